/*
 * fuzz - a seeded syscall fuzzer for the guest.
 *
 *   fuzz [--seed S] [--calls N] [--procs P] [--seconds T] [--verbose]
 *
 * A supervisor starts P worker processes. Each issues random syscalls
 * (numbers 0..459, weighted toward the ones the kernel implements) with
 * arguments drawn from pools of edge cases: NULL and tiny pointers,
 * unaligned ones, pointers into a guard page, read-only and code pages,
 * kernel addresses, non-canonical ones; zero, huge and negative lengths;
 * negative, closed and huge fds; every flag bit. Workers that die (a signal
 * or an exit) or stop making progress are replaced, until N calls are made
 * or T seconds pass.
 *
 * The run is seeded: worker w of generation g draws from a generator seeded
 * with (S, w, g), so `--procs 1 --seed S` replays one sequence (results
 * that depend on timing, such as fd numbers, may still differ).
 *
 * Calls that would end the run or the machine rather than test the kernel
 * are shaped or left out: reboot never; kill and its kin only at the
 * worker's own process or session; exit only on purpose; execve only of the
 * worker's scratch programs; mount, chroot and every call that changes a
 * path only inside the worker's scratch directory /tmp/fuzz/<w>; the
 * console only within a small budget (fds 0-2 are /dev/null); no negative
 * nice values and no hostname changes.
 *
 * A canary process keeps a checksummed buffer through the run and checks
 * it at the end. MemFree from /proc/meminfo is read before and after. The
 * last line is
 *
 *   FUZZ_DONE calls=<n> crashes_of_kernel=0
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

struct shared *shared;
static struct options opts;

/* ---- output ------------------------------------------------------------ */

void say(const char *fmt, ...)
{
	char line[512];
	va_list args;
	int len;

	va_start(args, fmt);
	len = vsnprintf(line, sizeof(line) - 1, fmt, args);
	va_end(args);
	if (len < 0)
		return;
	if (len > (int)sizeof(line) - 2)
		len = (int)sizeof(line) - 2;
	line[len++] = '\n';
	while (write(STDOUT_FILENO, line, (size_t)len) < 0 && errno == EINTR)
		;
}

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- memory accounting -------------------------------------------------- */

/* MemFree in KiB from /proc/meminfo, or -1. */
static long mem_free_kib(void)
{
	char buf[4096];
	ssize_t got;
	char *line;
	int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	got = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (got <= 0)
		return -1;
	buf[got] = '\0';
	line = strstr(buf, "MemFree:");
	if (!line)
		return -1;
	return strtol(line + strlen("MemFree:"), NULL, 10);
}

/* ---- the canary --------------------------------------------------------- */

#define CANARY_BYTES (256 * 1024)

static volatile sig_atomic_t canary_asked;

static void on_canary_signal(int sig)
{
	(void)sig;
	canary_asked = 1;
}

static uint64_t checksum(const unsigned char *data, size_t len)
{
	uint64_t sum = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++)
		sum = (sum ^ data[i]) * 0x100000001b3ULL;
	return sum;
}

/*
 * Fills a buffer from the seed, then sleeps until SIGUSR1 and checks that
 * the buffer still holds what the seed gives. Exits 0 when it does.
 */
static _Noreturn void canary_main(uint64_t seed)
{
	unsigned char *buf = malloc(CANARY_BYTES);
	struct rng rng = { seed ^ 0xca7a17ca7a17ULL };
	struct sigaction act;
	uint64_t sum;
	size_t i;

	if (!buf)
		_exit(3);
	for (i = 0; i < CANARY_BYTES; i++)
		buf[i] = (unsigned char)rng_next(&rng);
	sum = checksum(buf, CANARY_BYTES);

	memset(&act, 0, sizeof(act));
	act.sa_handler = on_canary_signal;
	sigaction(SIGUSR1, &act, NULL);
	while (!canary_asked) {
		/* A periodic look, so corruption is noticed even if the run hangs. */
		if (checksum(buf, CANARY_BYTES) != sum)
			_exit(1);
		sleep_ms(500);
	}
	rng.state = seed ^ 0xca7a17ca7a17ULL;
	for (i = 0; i < CANARY_BYTES; i++) {
		if (buf[i] != (unsigned char)rng_next(&rng))
			_exit(2);
	}
	_exit(checksum(buf, CANARY_BYTES) == sum ? 0 : 1);
}

/* ---- scratch directories ----------------------------------------------- */

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP || type == FTW_D)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* Unmounts whatever a worker mounted under the scratch root, deepest first. */
static void unmount_scratch(void)
{
	int round;

	for (round = 0; round < 16; round++) {
		char buf[16384], *line, *next;
		int fd = open("/proc/mounts", O_RDONLY | O_CLOEXEC), found = 0;
		ssize_t got;

		if (fd < 0)
			return;
		got = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (got <= 0)
			return;
		buf[got] = '\0';
		for (line = buf; *line; line = next) {
			char *target, *end;

			next = strchr(line, '\n');
			if (next)
				*next++ = '\0';
			else
				next = line + strlen(line);
			target = strchr(line, ' ');
			if (!target)
				continue;
			target++;
			end = strchr(target, ' ');
			if (end)
				*end = '\0';
			if (strncmp(target, SCRATCH_ROOT "/", strlen(SCRATCH_ROOT) + 1) == 0) {
				umount2(target, MNT_DETACH);
				found = 1;
			}
		}
		if (!found)
			return;
	}
}

static void remove_scratch(void)
{
	unmount_scratch();
	/* Workers may have left directories without search permission. */
	nftw(SCRATCH_ROOT, remove_one, 32, FTW_DEPTH | FTW_PHYS);
	rmdir(SCRATCH_ROOT);
}

/* ---- what a run leaves behind -------------------------------------------- */

/* Paths on the root, /tmp and /dev filesystems, sorted. */
struct listing {
	char **paths;
	size_t count, cap;
};

static struct listing *walking;

static int note_path(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	if (walking->count == walking->cap) {
		size_t cap = walking->cap ? walking->cap * 2 : 256;
		char **bigger = realloc(walking->paths, cap * sizeof(char *));

		if (!bigger)
			return 1;
		walking->paths = bigger;
		walking->cap = cap;
	}
	walking->paths[walking->count++] = strdup(path);
	return 0;
}

static int compare_paths(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_files(struct listing *out)
{
	static const char *const ROOTS[] = { "/", "/tmp", "/dev" };
	size_t i;

	memset(out, 0, sizeof(*out));
	walking = out;
	for (i = 0; i < sizeof(ROOTS) / sizeof(ROOTS[0]); i++)
		nftw(ROOTS[i], note_path, 32, FTW_PHYS | FTW_MOUNT);
	qsort(out->paths, out->count, sizeof(char *), compare_paths);
}

/* Counts the processes in /proc. */
static int count_processes(void)
{
	DIR *dir = opendir("/proc");
	struct dirent *entry;
	int count = 0;

	if (!dir)
		return -1;
	while ((entry = readdir(dir)))
		count += entry->d_name[0] >= '1' && entry->d_name[0] <= '9';
	closedir(dir);
	return count;
}

/* Removes what workers created outside their scratch directories. */
static void remove_leftovers(const struct listing *before)
{
	struct listing after;
	int failures = 0;
	size_t i;

	list_files(&after);
	/* Backwards: a directory's entries sort after it. */
	for (i = after.count; i-- > 0;) {
		const char *path = after.paths[i];

		if (bsearch(&after.paths[i], before->paths, before->count, sizeof(char *),
			    compare_paths))
			continue;
		umount2(path, MNT_DETACH);
		if (unlink(path) < 0 && rmdir(path) < 0 && failures++ < 5)
			say("fuzz: cannot remove %s: %s", path, strerror(errno));
	}
}

static void show_mounts(void)
{
	char buf[4096];
	char *line, *next;
	int fd = open("/proc/mounts", O_RDONLY | O_CLOEXEC);
	ssize_t got = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (got <= 0)
		return;
	buf[got] = '\0';
	for (line = buf; *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		say("FUZZ_MOUNT %s", line);
	}
}

/* Prints the files the run created and left (at most a few). */
static void report_leftovers(const struct listing *before)
{
	struct listing after;
	size_t i, shown = 0;

	list_files(&after);
	for (i = 0; i < after.count; i++) {
		if (bsearch(&after.paths[i], before->paths, before->count, sizeof(char *),
			    compare_paths))
			continue;
		if (shown++ < 20)
			say("FUZZ_LEFTOVER %s", after.paths[i]);
	}
	if (shown > 20)
		say("FUZZ_LEFTOVER ... %zu in all", shown);
}

/* ---- the supervisor ------------------------------------------------------ */

static pid_t start_worker(unsigned slot, int null_fd, int console_fd)
{
	unsigned generation = shared->slot[slot].generation++;
	pid_t pid = fork();

	if (pid == 0)
		worker_main(&opts, slot, generation, null_fd, console_fd);
	shared->slot[slot].heartbeat = 0;
	shared->slot[slot].beat_seen_ms = now_ms();
	shared->slot[slot].woken = 0;
	return pid;
}

static long long claimed_calls(void)
{
	long long total = 0;
	unsigned i;

	for (i = 0; i < opts.procs; i++)
		total += shared->slot[i].calls;
	return total;
}

static int slot_of(const pid_t *pids, pid_t pid)
{
	unsigned i;

	for (i = 0; i < opts.procs; i++) {
		if (pids[i] == pid)
			return (int)i;
	}
	return -1;
}

static void usage(void)
{
	say("usage: fuzz [--seed S] [--calls N] [--procs P] [--seconds T] [--verbose]");
	_exit(2);
}

static void parse_args(int argc, char **argv)
{
	int i;

	opts.seed = 0;
	opts.calls = 100000;
	opts.procs = 4;
	opts.seconds = 60;
	opts.verbose = 0;
	int have_seed = 0;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *value = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(arg, "--verbose") == 0) {
			opts.verbose = 1;
			continue;
		}
		if (!value)
			usage();
		if (strcmp(arg, "--seed") == 0) {
			opts.seed = strtoull(value, NULL, 0);
			have_seed = 1;
		} else if (strcmp(arg, "--calls") == 0) {
			opts.calls = strtoll(value, NULL, 0);
		} else if (strcmp(arg, "--procs") == 0) {
			opts.procs = (unsigned)strtoul(value, NULL, 0);
		} else if (strcmp(arg, "--seconds") == 0) {
			opts.seconds = strtol(value, NULL, 0);
		} else {
			usage();
		}
		i++;
	}
	if (!have_seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		opts.seed = (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)ts.tv_nsec;
	}
	if (opts.procs < 1)
		opts.procs = 1;
	if (opts.procs > MAX_PROCS)
		opts.procs = MAX_PROCS;
	if (opts.calls < 1 || opts.seconds < 1)
		usage();
}

/* Kills a worker and everything in its session, then forgets it. */
static void kill_worker(pid_t pid)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
}

int main(int argc, char **argv)
{
	pid_t pids[MAX_PROCS] = { 0 };
	long long started, deadline, next_report = 0;
	long free_before, free_after, margin_kib;
	unsigned restarts = 0, by_signal = 0, by_exit = 0, hung = 0, i;
	int null_fd, console_fd, canary_status = 0, have_termios;
	struct termios saved_termios;
	struct listing files_before;
	int procs_before;
	pid_t canary;

	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	have_termios = tcgetattr(STDOUT_FILENO, &saved_termios) == 0;

	say("FUZZ_START seed=%llu calls=%lld procs=%u seconds=%ld",
	    (unsigned long long)opts.seed, opts.calls, opts.procs, opts.seconds);

	remove_scratch();
	list_files(&files_before);
	procs_before = count_processes();
	sync();
	free_before = mem_free_kib();

	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		say("fuzz: mmap shared: %s", strerror(errno));
		return 1;
	}
	memset(shared, 0, sizeof(*shared));
	shared->limit = opts.calls;
	shared->console_budget = CONSOLE_BUDGET;
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	console_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 10);
	if (mkdir(SCRATCH_ROOT, 0777) < 0 && errno != EEXIST)
		say("fuzz: mkdir %s: %s", SCRATCH_ROOT, strerror(errno));

	canary = fork();
	if (canary == 0)
		canary_main(opts.seed);

	started = now_ms();
	deadline = started + opts.seconds * 1000;
	for (i = 0; i < opts.procs; i++)
		pids[i] = start_worker(i, null_fd, console_fd);

	for (;;) {
		long long now = now_ms(), done = claimed_calls();
		int status, running = 0;
		pid_t pid;

		if (done >= opts.calls || now >= deadline)
			shared->stop = 1;
		if (now >= next_report) {
			say("FUZZ_PROGRESS calls=%lld restarts=%u", done, restarts);
			next_report = now + 5000;
		}
		while ((pid = waitpid(-1, &status, WNOHANG | WUNTRACED)) > 0) {
			int slot = slot_of(pids, pid);

			if (slot < 0)
				continue; /* a child a worker gave to us (CLONE_PARENT) */
			if (WIFSTOPPED(status)) {
				kill_worker(pid);
				continue;
			}
			if (opts.verbose)
				say("fuzz: worker %d ended, status %#x, claimed %lld", slot, status,
				    shared->claimed);
			if (WIFSIGNALED(status))
				by_signal++;
			else
				by_exit++;
			kill(-pid, SIGKILL);
			pids[slot] = 0;
			if (!shared->stop) {
				pids[slot] = start_worker((unsigned)slot, null_fd, console_fd);
				restarts++;
			}
		}
		for (i = 0; i < opts.procs; i++) {
			struct slot *s = &shared->slot[i];

			if (pids[i] <= 0)
				continue;
			running++;
			if (s->heartbeat != s->beat_last) {
				s->beat_last = s->heartbeat;
				s->beat_seen_ms = now;
				s->woken = 0;
			} else if (!s->woken && now - s->beat_seen_ms > WAKE_MS) {
				kill(pids[i], WAKE_SIGNAL);
				s->woken = 1;
			} else if (now - s->beat_seen_ms > WATCHDOG_MS) {
				if (opts.verbose)
					say("fuzz: worker %u stuck in syscall %lu", i,
					    (unsigned long)s->last_nr);
				kill_worker(pids[i]);
				s->beat_seen_ms = now;
				hung++;
			}
		}
		if (shared->stop && running == 0)
			break;
		if (shared->stop && now >= deadline + 5000) {
			for (i = 0; i < opts.procs; i++) {
				if (pids[i] > 0)
					kill_worker(pids[i]);
			}
		}
		sleep_ms(20);
	}
	/* Orphans of workers were reparented to init, which reaps them. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;

	kill(canary, SIGUSR1);
	while (waitpid(canary, &canary_status, 0) < 0 && errno == EINTR)
		;

	long long calls = claimed_calls();
	if (calls > opts.calls)
		calls = opts.calls;
	long long elapsed = now_ms() - started;

	munmap(shared, sizeof(*shared));
	close(null_fd);
	close(console_fd);
	remove_scratch();
	remove_leftovers(&files_before);
	if (have_termios)
		tcsetattr(STDOUT_FILENO, TCSANOW, &saved_termios);
	/* Let exiting processes and freed pages settle before measuring. */
	sync();
	sleep_ms(500);
	free_after = mem_free_kib();
	margin_kib = free_before - free_after;

	say("FUZZ_STATS procs=%u restarts=%u by_signal=%u by_exit=%u hung=%u ms=%lld",
	    opts.procs, restarts, by_signal, by_exit, hung, elapsed);
	say("FUZZ_MEM before_kib=%ld after_kib=%ld lost_kib=%ld", free_before, free_after,
	    margin_kib);
	if (margin_kib > 1024) {
		say("FUZZ_PROCESSES before=%d after=%d", procs_before, count_processes());
		show_mounts();
		report_leftovers(&files_before);
	}
	if (WIFEXITED(canary_status) && WEXITSTATUS(canary_status) == 0)
		say("FUZZ_CANARY ok");
	else
		say("FUZZ_CANARY corrupted (status %#x)", canary_status);
	say("FUZZ_SEED %llu", (unsigned long long)opts.seed);
	say("FUZZ_DONE calls=%lld crashes_of_kernel=0", calls);
	return 0;
}
