/*
 * worker.c - one fuzzing worker: sets up its scratch directory, memory and
 * fds, then issues random syscalls until the run's budget is spent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"
#include "pools.h"
#include "worker.h"

#define PAGE 4096UL
/* The fd verbose mode logs calls on. */
#define LOG_FD 999
/* Syscall numbers tried beyond the table go up to this. */
#define MAX_NR 460
#define ELF_HEAD_BYTES 4096

struct worker w;

static struct rng rng;
static int weights_total;
static unsigned char in_table[MAX_NR];
static unsigned char elf_head[ELF_HEAD_BYTES];
static size_t elf_head_len;

/* ---- raw syscalls -------------------------------------------------------- */

static long raw_syscall(long nr, const uint64_t a[6])
{
	register long r10 __asm__("r10") = (long)a[3];
	register long r8 __asm__("r8") = (long)a[4];
	register long r9 __asm__("r9") = (long)a[5];
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/*
 * Issues fork, vfork, clone or clone3. A child it makes runs no C code (it
 * may share this memory, or have a garbage stack): when `child_rsp` is set
 * it calls rt_sigreturn with that stack, then it exits.
 */
static long spawn_syscall(long nr, const uint64_t a[5], uint64_t child_rsp)
{
	register long r10 __asm__("r10") = (long)a[3];
	register long r8 __asm__("r8") = (long)a[4];
	register long r12 __asm__("r12") = (long)child_rsp;
	long ret;

	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "test %%r12, %%r12\n\t"
			 "jz 2f\n\t"
			 "mov %%r12, %%rsp\n\t"
			 "mov $15, %%eax\n\t"
			 "syscall\n"
			 "2:\n\t"
			 "mov $60, %%eax\n\t"
			 "xor %%edi, %%edi\n\t"
			 "syscall\n\t"
			 "ud2\n"
			 "1:\n"
			 : "=a"(ret)
			 : "0"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r12)
			 : "rcx", "r11", "memory");
	return ret;
}

/* ---- setup ---------------------------------------------------------------- */

static char *map_pages(size_t bytes, int guard)
{
	char *mem = mmap(NULL, bytes + (guard ? PAGE : 0), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED)
		_exit(90);
	if (guard && mprotect(mem + bytes, PAGE, PROT_NONE) < 0)
		_exit(91);
	return mem;
}

static void write_file(const char *name, const void *data, size_t len, mode_t mode)
{
	int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0)
		return;
	if (write(fd, data, len) < 0)
		(void)0;
	close(fd);
	chmod(name, mode);
}

static void add_fd(int fd)
{
	if (fd >= 0 && w.fd_count < MAX_FDS)
		w.fds[w.fd_count++] = fd;
}

/* A copy of this program's ELF headers, to mutate into bad executables. */
static void read_elf_head(void)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0)
		fd = open("/fuzz/fuzz", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	got = read(fd, elf_head, sizeof(elf_head));
	close(fd);
	elf_head_len = got > 0 ? (size_t)got : 0;
}

/* Writes `elf_mut`: the ELF headers with a few bytes changed, and no code. */
static void write_mutated_elf(void)
{
	unsigned char copy[ELF_HEAD_BYTES];
	unsigned flips = 1 + (unsigned)rng_below(&rng, 8), i;
	size_t len = elf_head_len;

	if (len == 0)
		return;
	memcpy(copy, elf_head, len);
	for (i = 0; i < flips; i++) {
		size_t at = rng_one_in(&rng, 2) ? rng_below(&rng, 64) : rng_below(&rng, 512);

		if (at < len)
			copy[at] = rng_one_in(&rng, 2) ? (unsigned char)rng_next(&rng)
						       : copy[at] ^ (1u << rng_below(&rng, 8));
	}
	if (rng_one_in(&rng, 4))
		len = rng_below(&rng, len + 1);
	write_file("elf_mut", copy, len, 0755);
}

static void make_scratch(unsigned slot, unsigned generation)
{
	static const char SCRIPT[] = "#!/bin/busybox true\n";
	static const char BAD_INTERP[] = "#!/nonexistent/interp -x\n";
	static const char LOOP[] = "#!./loop.sh\n";
	char garbage[512];
	size_t i;

	/* An earlier worker may have made its directory unusable: then take a new one. */
	mkdir(SCRATCH_ROOT, 0777);
	chmod(SCRATCH_ROOT, 0777);
	snprintf(w.dir, sizeof(w.dir), "%s/%u", SCRATCH_ROOT, slot);
	mkdir(w.dir, 0777);
	chmod(w.dir, 0777);
	if (chdir(w.dir) < 0) {
		snprintf(w.dir, sizeof(w.dir), "%s/%u.%u", SCRATCH_ROOT, slot, generation);
		mkdir(w.dir, 0777);
		if (chdir(w.dir) < 0)
			_exit(92);
	}
	for (i = 0; i < sizeof(garbage); i++)
		garbage[i] = (char)rng_next(&rng);
	write_file("f0", w.scratch, 8192, 0644);
	mkdir("d0", 0755);
	mkdir("d0/d1", 0755);
	symlink("d0", "l0");
	symlink("l1", "l1");
	mkfifo("fifo", 0644);
	write_file("garbage", garbage, sizeof(garbage), 0755);
	write_file("script", SCRIPT, sizeof(SCRIPT) - 1, 0755);
	write_file("badinterp", BAD_INTERP, sizeof(BAD_INTERP) - 1, 0755);
	write_file("loop.sh", LOOP, sizeof(LOOP) - 1, 0755);
	write_file("elf_trunc", elf_head, elf_head_len < 64 ? elf_head_len : 64, 0755);
	write_mutated_elf();
}

static void open_fds(int console_fd)
{
	int pipes[2];
	int fd;

	w.dir_fd = open(".", O_RDONLY | O_DIRECTORY);
	add_fd(w.dir_fd);
	add_fd(open("/", O_RDONLY | O_DIRECTORY));
	add_fd(open("/proc", O_RDONLY | O_DIRECTORY));
	add_fd(open("/dev", O_RDONLY | O_DIRECTORY));
	add_fd(open("f0", O_RDWR));
	add_fd(open("/dev/null", O_RDWR));
	add_fd(open("/dev/zero", O_RDWR));
	add_fd(open("/proc/self/maps", O_RDONLY));
	add_fd(open("/proc/self/stat", O_RDONLY));
	add_fd(open("/proc/meminfo", O_RDONLY));
	add_fd(open("fifo", O_RDWR | O_NONBLOCK));
	if (pipe(pipes) == 0) {
		add_fd(pipes[0]);
		add_fd(pipes[1]);
	}
	if (pipe2(pipes, O_NONBLOCK) == 0) {
		if (write(pipes[1], "data", 4) < 0)
			(void)0;
		add_fd(pipes[0]);
		add_fd(pipes[1]);
	}
	w.console_fd = dup(console_fd);
	add_fd(w.console_fd);
	fd = dup(0);
	w.closed_fd = fd;
	close(fd);
}

/* ---- choosing a call --------------------------------------------------------- */

static int weight_of(const struct syscall_desc *desc)
{
	switch (desc->how) {
	case BLOCKED:
		return 0;
	case EXIT:
	case SIGRETURN:
		return 1;
	case KILL:
	case EXEC:
	case SLEEPY:
		return desc->weight > 2 ? 2 : desc->weight;
	case SPAWN:
		return desc->weight > 3 ? 3 : desc->weight;
	default:
		return desc->weight;
	}
}

static void build_weights(void)
{
	size_t i;

	for (i = 0; i < SYSCALL_COUNT; i++) {
		weights_total += weight_of(&SYSCALLS[i]);
		if (SYSCALLS[i].nr < MAX_NR)
			in_table[SYSCALLS[i].nr] = 1;
	}
}

static const struct syscall_desc *choose(void)
{
	int target = (int)rng_below(&rng, (uint64_t)weights_total);
	size_t i;

	for (i = 0; i < SYSCALL_COUNT; i++) {
		target -= weight_of(&SYSCALLS[i]);
		if (target < 0)
			return &SYSCALLS[i];
	}
	return &SYSCALLS[0];
}

/* ---- the console budget ----------------------------------------------------- */

static int is_write_call(long nr)
{
	switch (nr) {
	case 1: case 18: case 20: case 40: case 44: case 46: case 275: case 276:
	case 278: case 296: case 326: case 328:
		return 1;
	default:
		return 0;
	}
}

/*
 * Calls naming the console spend the budget; writes to it are kept short
 * and harmless. Once spent, the worker's console fd is closed.
 */
static void guard_console(long nr, uint64_t a[6])
{
	int i, touches = 0;

	if (w.console_fd < 0)
		return;
	for (i = 0; i < 6; i++) {
		if ((a[i] & 0xffffffff) == (uint64_t)w.console_fd)
			touches = 1;
	}
	if (!touches)
		return;
	if (__atomic_sub_fetch(&shared->console_budget, 1, __ATOMIC_SEQ_CST) < 0) {
		unsigned k;

		for (k = 0; k < w.fd_count; k++) {
			if (w.fds[k] == w.console_fd)
				w.fds[k] = w.dir_fd;
		}
		close(w.console_fd);
		w.console_fd = -1;
		a[0] = (uint64_t)-1;
		return;
	}
	if (is_write_call(nr)) {
		memset(w.scratch, 'z', SCRATCH_WORDS * 8);
		for (i = 1; i < 6; i++) {
			if (a[i] > 64 && a[i] < (1ULL << 40))
				a[i] = 64;
		}
	}
}

/* ---- special calls ------------------------------------------------------------ */

static void reap_some(void)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (waitpid(-1, NULL, WNOHANG | __WALL) <= 0)
			break;
	}
}

static long do_spawn(long nr)
{
	uint64_t a[6] = { 0 };

	if (nr == 56) {
		a[0] = (rng_next(&rng) & ~0xffULL & (rng_one_in(&rng, 2) ? 0x7fffff00 : ~0ULL)) |
		       rng_below(&rng, 70);
		if (rng_one_in(&rng, 3))
			a[0] = SIGCHLD | (rng_one_in(&rng, 2) ? 0x100 /* CLONE_VM */ : 0) |
			       (rng_one_in(&rng, 2) ? 0x4000 /* CLONE_VFORK */ : 0);
		a[1] = rng_one_in(&rng, 2) ? 0 : pick_address(&rng);
		a[2] = pick_pointer(&rng);
		a[3] = pick_pointer(&rng);
		a[4] = rng_one_in(&rng, 2) ? 0 : pick_pointer(&rng);
	} else if (nr == 435) {
		uint64_t *args = (uint64_t *)w.scratch;
		static const uint64_t SIZES[] = { 64, 80, 88, 0, 8, 63, 4096, 1ULL << 32 };

		fill_scratch(&rng);
		args[0] = rng_one_in(&rng, 2) ? 0 : args[0] & 0xffffffff;
		args[4] = rng_one_in(&rng, 2) ? SIGCHLD : args[4];
		a[0] = (uint64_t)(uintptr_t)w.scratch;
		a[1] = SIZES[rng_below(&rng, sizeof(SIZES) / sizeof(SIZES[0]))];
		if (rng_one_in(&rng, 8))
			a[0] = pick_pointer(&rng);
	}
	long ret = spawn_syscall(nr, a, 0);

	reap_some();
	return ret;
}

/* rt_sigreturn on a frame of pool words, in a child that then exits. */
static long do_sigreturn(void)
{
	static const uint64_t WORDS[] = {
		0, 1, 0x33, 0x2b, 0x23, 0x1b, 0x202, 0x3202, 0x40202, 0xffffffff80000000ULL,
		0xffff800000000000ULL, 0x0000800000000000ULL, 0x8000000000000000ULL,
		0x00007ffffffff000ULL, (uint64_t)-1,
	};
	uint64_t *frame = (uint64_t *)w.scratch;
	uint64_t a[6] = { 0 };
	size_t i;
	long ret;

	for (i = 0; i < SCRATCH_WORDS; i++)
		frame[i] = rng_one_in(&rng, 3) ? rng_next(&rng)
					       : WORDS[rng_below(&rng, sizeof(WORDS) / 8)];
	ret = spawn_syscall(57, a, (uint64_t)(uintptr_t)w.scratch + 8 * rng_below(&rng, 4));
	reap_some();
	return ret;
}

static uint64_t exec_argv(void)
{
	static const char *const STRINGS[] = { "true", "", "-x", "--seed", "a=b" };
	uint64_t *array = (uint64_t *)(w.scratch + 1024);
	unsigned count = (unsigned)rng_below(&rng, 6), i;

	switch (rng_below(&rng, 5)) {
	case 0:
		return 0;
	case 1:
		return pick_pointer(&rng);
	default:
		break;
	}
	for (i = 0; i < count; i++) {
		array[i] = rng_one_in(&rng, 6) ? pick_pointer(&rng)
					       : (uint64_t)(uintptr_t)STRINGS[rng_below(&rng, 5)];
	}
	array[count] = rng_one_in(&rng, 10) ? pick_pointer(&rng) : 0;
	return (uint64_t)(uintptr_t)array;
}

static long do_exec(long nr)
{
	static const char *const PROGRAMS[] = {
		"garbage", "script", "badinterp", "loop.sh", "elf_trunc", "elf_mut", "elf_mut",
		"d0", "f0", "fifo", "nonexistent", "",
	};
	static char path[64];
	uint64_t a[6] = { 0 };

	write_mutated_elf();
	snprintf(path, sizeof(path), "%s", PROGRAMS[rng_below(&rng, 12)]);
	if (nr == 59) {
		a[0] = rng_one_in(&rng, 8) ? pick_pointer(&rng) : (uint64_t)(uintptr_t)path;
		a[1] = exec_argv();
		a[2] = exec_argv();
	} else {
		a[0] = rng_one_in(&rng, 2) ? (uint64_t)(int64_t)AT_FDCWD : pick_fd(&rng);
		a[1] = rng_one_in(&rng, 8) ? pick_pointer(&rng) : (uint64_t)(uintptr_t)path;
		a[2] = exec_argv();
		a[3] = exec_argv();
		a[4] = rng_one_in(&rng, 2) ? 0 : pick_arg(&rng, 'F');
	}
	return raw_syscall(nr, a);
}

static long do_kill(long nr)
{
	uint64_t self = (uint64_t)getpid();
	uint64_t none = 0x7ffffff0;
	uint64_t a[6] = { 0 };

	switch (nr) {
	case 62: /* kill */
		a[0] = pick_pid(&rng);
		a[1] = pick_signal(&rng);
		break;
	case 200: /* tkill */
		a[0] = rng_one_in(&rng, 2) ? self : none;
		a[1] = pick_signal(&rng);
		break;
	case 234: /* tgkill */
		a[0] = rng_one_in(&rng, 3) ? (uint64_t)-1 : rng_one_in(&rng, 2) ? self : 0;
		a[1] = rng_one_in(&rng, 2) ? self : none;
		a[2] = pick_signal(&rng);
		break;
	case 129: /* rt_sigqueueinfo */
		fill_scratch(&rng);
		a[0] = rng_one_in(&rng, 2) ? self : none;
		a[1] = pick_signal(&rng);
		a[2] = pick_pointer(&rng);
		break;
	default: /* rt_tgsigqueueinfo */
		fill_scratch(&rng);
		a[0] = self;
		a[1] = rng_one_in(&rng, 2) ? self : none;
		a[2] = pick_signal(&rng);
		a[3] = pick_pointer(&rng);
		break;
	}
	return raw_syscall(nr, a);
}

static long do_open(const struct syscall_desc *desc)
{
	uint64_t a[6] = { 0 };
	unsigned base = desc->nr == 257 ? 1 : 0;
	uint64_t flags = pick_arg(&rng, 'F');
	uint64_t writing = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND |
			   (O_TMPFILE & ~O_DIRECTORY);

	if (rng_one_in(&rng, 3))
		flags &= O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_DIRECTORY |
			 O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_PATH;
	if (base)
		a[0] = pick_arg(&rng, 'd');
	a[base] = (flags & writing) ? pick_scratch_path(&rng) : pick_read_path(&rng);
	a[base + 1] = flags;
	a[base + 2] = pick_arg(&rng, 'm');
	return raw_syscall(desc->nr, a);
}

static long do_generic(const struct syscall_desc *desc)
{
	uint64_t a[6];
	size_t i, kinds = strlen(desc->kinds);

	fill_scratch(&rng);
	for (i = 0; i < 6; i++)
		a[i] = i < kinds ? pick_arg(&rng, desc->kinds[i]) : pick_arg(&rng, 'x');
	switch (desc->how) {
	case SETPRIO: {
		static const uint64_t WHICH[] = { 0, 1, 3, (uint64_t)-1, 0x100 };

		a[0] = WHICH[rng_below(&rng, 5)];
		a[1] = rng_one_in(&rng, 2) ? 0 : (uint64_t)getpid();
		a[2] = rng_one_in(&rng, 8) ? 0x7fffffff : rng_below(&rng, 40);
		break;
	}
	case HOSTNAME:
		if (rng_one_in(&rng, 2))
			a[0] = rng_one_in(&rng, 2) ? 0 : 0xffffffff80000000ULL;
		else
			a[1] = 65 + rng_below(&rng, 5000);
		break;
	case WAIT: {
		static const uint64_t PIDS[] = { (uint64_t)-1, 0, 0x7ffffff0, 0x80000000 };
		uint64_t nohang = rng_one_in(&rng, 8) ? 0 : WNOHANG;

		if (desc->nr == 61) {
			a[0] = PIDS[rng_below(&rng, 4)];
			a[2] = (a[2] & (WUNTRACED | WCONTINUED | __WALL | __WCLONE)) | nohang;
		} else {
			a[0] = rng_below(&rng, 5);
			a[1] = rng_one_in(&rng, 2) ? 0 : PIDS[rng_below(&rng, 4)];
			a[3] = (a[3] & 0x7fffffff) | nohang;
		}
		break;
	}
	default:
		break;
	}
	guard_console(desc->nr, a);
	return raw_syscall(desc->nr, a);
}

/* A number the table does not list, with anything for arguments. */
static long do_unlisted(void)
{
	uint64_t a[6];
	long nr;
	int i;

	do {
		nr = (long)rng_below(&rng, MAX_NR);
	} while (in_table[nr]);
	if (rng_one_in(&rng, 20)) {
		static const long ODD[] = { 0x40000027, -1, 1000, 0x7fffffff, 512, 1 << 20 };

		nr = ODD[rng_below(&rng, 6)];
	}
	fill_scratch(&rng);
	for (i = 0; i < 6; i++)
		a[i] = pick_arg(&rng, 'x');
	guard_console(nr, a);
	return raw_syscall(nr, a);
}

/* ---- waking up ----------------------------------------------------------------- */

static void on_wake(int sig)
{
	(void)sig;
}

/*
 * The supervisor sends WAKE_SIGNAL to a worker blocked for a while; with
 * this handler (which fuzzed calls may undo, so it is set again now and
 * then) the blocked call returns EINTR instead of waiting for the watchdog.
 */
static void arm_wakeup(void)
{
	struct sigaction act;
	sigset_t set;

	memset(&act, 0, sizeof(act));
	act.sa_handler = on_wake;
	sigaction(WAKE_SIGNAL, &act, NULL);
	sigemptyset(&set);
	sigaddset(&set, WAKE_SIGNAL);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* ---- the loop ------------------------------------------------------------------ */

static void log_call(const struct slot *me, long nr)
{
	char line[96];
	int len = snprintf(line, sizeof(line), "fuzz: call %lld nr %ld\n", me->calls, nr);

	if (write(LOG_FD, line, (size_t)len) < 0)
		(void)0;
}

_Noreturn void worker_main(const struct options *opts, unsigned slot, unsigned generation,
			   int null_fd, int console_fd)
{
	struct slot *me = &shared->slot[slot];

	rng.state = opts->seed ^ (0x51afd7ed558ccdULL * (slot + 1)) ^
		    (0xc4ceb9fe1a85ec53ULL * generation);
	setsid();
	if (opts->verbose)
		dup2(console_fd, LOG_FD);
	dup2(null_fd, 0);
	dup2(null_fd, 1);
	dup2(null_fd, 2);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGHUP, SIG_DFL);

	w.scratch = map_pages(SCRATCH_BYTES, 1);
	w.guard = w.scratch + SCRATCH_BYTES;
	w.paths[0] = map_pages(PATH_BYTES, 1);
	w.paths[1] = map_pages(PATH_BYTES, 1);
	w.victim = map_pages(VICTIM_PAGES * PAGE, 0);
	w.readonly = map_pages(PAGE, 0);
	fill_scratch(&rng);
	memcpy(w.readonly, w.scratch, PAGE);
	mprotect(w.readonly, PAGE, PROT_READ);
	build_weights();
	read_elf_head();
	make_scratch(slot, generation);
	open_fds(console_fd);
	arm_wakeup();
	close(console_fd);
	close(null_fd);

	for (;;) {
		const struct syscall_desc *desc;
		long nr;

		if (shared->stop)
			_exit(0);
		if (__atomic_fetch_add(&shared->claimed, 1, __ATOMIC_SEQ_CST) >= shared->limit)
			_exit(0);
		me->calls++;
		me->heartbeat++;
		if ((me->calls & 31) == 0)
			arm_wakeup();
		if (rng_one_in(&rng, 40)) {
			me->last_nr = 1000;
			if (opts->verbose)
				log_call(me, -1);
			do_unlisted();
			continue;
		}
		desc = choose();
		nr = desc->nr;
		me->last_nr = (uint64_t)nr;
		if (opts->verbose)
			log_call(me, nr);
		switch (desc->how) {
		case BLOCKED:
			break;
		case SPAWN:
			do_spawn(nr);
			break;
		case SIGRETURN:
			do_sigreturn();
			break;
		case EXEC:
			do_exec(nr);
			break;
		case EXIT: {
			uint64_t a[6] = { rng_below(&rng, 256) };

			raw_syscall(nr, a);
			break;
		}
		case KILL:
			do_kill(nr);
			break;
		case OPEN:
			do_open(desc);
			break;
		default:
			do_generic(desc);
			break;
		}
	}
}
