/*
 * fuzz.h - what the fuzzer's supervisor (fuzz.c) and workers (worker.c)
 * share: options, the shared progress page and the random generator.
 */
#ifndef KESTREL_FUZZ_H
#define KESTREL_FUZZ_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#define MAX_PROCS 32
/* Where each worker gets a scratch directory of its own. */
#define SCRATCH_ROOT "/tmp/fuzz"
/* A worker whose heartbeat stands still this long is killed and replaced. */
#define WATCHDOG_MS 1500
/* ...and one blocked this long gets WAKE_SIGNAL, which it catches. */
#define WAKE_MS 200
#define WAKE_SIGNAL SIGUSR1
/* Console-touching calls allowed in the whole run, all workers together. */
#define CONSOLE_BUDGET 64

struct options {
	uint64_t seed;
	long long calls;
	unsigned procs;
	long seconds;
	int verbose;
};

/* One worker slot, written by the worker and read by the supervisor. */
struct slot {
	volatile long long calls;     /* syscalls issued by every generation */
	volatile uint64_t heartbeat;  /* bumped before each call */
	volatile uint64_t last_nr;    /* the syscall in progress */
	uint64_t beat_last;           /* supervisor's last look at heartbeat */
	long long beat_seen_ms;       /* when heartbeat last moved */
	int woken;                    /* WAKE_SIGNAL sent since */
	unsigned generation;          /* restarts of this slot */
};

/* A MAP_SHARED page: workers may trample their own memory, not this. */
struct shared {
	volatile long long claimed;   /* calls handed out so far */
	long long limit;
	volatile int stop;
	int console_budget;           /* console-touching calls left */
	struct slot slot[MAX_PROCS];
};

extern struct shared *shared;

/* splitmix64: small, fast, and the same everywhere. */
struct rng {
	uint64_t state;
};

static inline uint64_t rng_next(struct rng *rng)
{
	uint64_t z = (rng->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number in [0, n). */
static inline uint64_t rng_below(struct rng *rng, uint64_t n)
{
	return n ? rng_next(rng) % n : 0;
}

/* True one time in n. */
static inline int rng_one_in(struct rng *rng, uint64_t n)
{
	return rng_below(rng, n) == 0;
}

void say(const char *fmt, ...);
long long now_ms(void);
_Noreturn void worker_main(const struct options *opts, unsigned slot, unsigned generation,
			   int null_fd, int console_fd);

#endif
