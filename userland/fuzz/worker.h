/*
 * worker.h - the state of one fuzzing worker and the argument pools.
 */
#ifndef KESTREL_FUZZ_WORKER_H
#define KESTREL_FUZZ_WORKER_H

#include <stdint.h>

#include "fuzz.h"

/* The scratch buffer most pointers point into, followed by a guard page. */
#define SCRATCH_BYTES 65536UL
/* Its first words are refilled from the pools before each call. */
#define SCRATCH_WORDS 96
/* The path buffer: two pages, then a guard page. */
#define PATH_BYTES 8192UL
/* A region that mmap, munmap, mprotect and mremap mostly aim at. */
#define VICTIM_PAGES 64UL
#define MAX_FDS 24

struct worker {
	char *scratch;
	char *guard;     /* PROT_NONE page after the scratch buffer */
	char *readonly;  /* a PROT_READ page of pool words */
	char *paths[2];  /* two, for calls that take two paths */
	int path_turn;
	char *victim;
	char dir[64];    /* the scratch directory */
	int dir_fd;
	int closed_fd;
	int console_fd;  /* the console, until its budget is spent */
	int fds[MAX_FDS];
	unsigned fd_count;
};

extern struct worker w;

uint64_t pick_arg(struct rng *rng, char kind);
uint64_t pick_pointer(struct rng *rng);
uint64_t pick_address(struct rng *rng);
uint64_t pick_length(struct rng *rng);
uint64_t pick_fd(struct rng *rng);
uint64_t pick_pid(struct rng *rng);
uint64_t pick_signal(struct rng *rng);
uint64_t pick_scratch_path(struct rng *rng);
uint64_t pick_read_path(struct rng *rng);
void fill_scratch(struct rng *rng);

#endif
