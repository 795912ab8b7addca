/*
 * no_leaks - processes that end, however they end, give their memory back:
 * after a hundred children that exit, a hundred killed by SIGKILL, a hundred
 * that fault, a hundred killed by SIGTERM and a hundred that exit with a
 * second thread still running, free memory comes back within a
 * margin each time.
 */
#include "contract.h"

#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>

#define ROUNDS 100
/* Kernel heap caches may keep a little. */
#define MARGIN_KIB 1024
/*
 * Where /proc/zoneinfo exists (Linux), free memory moves with everything else
 * the machine does (slab caches, page cache, other processes), by megabytes
 * between two readings on a busy host: there the test can only catch a gross
 * leak. Kestrel has no zoneinfo and an exact figure, and gets the tight margin.
 */
#define NOISY_MARGIN_KIB (64 * 1024)
#define TRIES 5

static long margin_kib = MARGIN_KIB;

/*
 * Free memory in KiB. Linux parks freed pages on per-CPU lists that MemFree
 * does not count, and how many it parks swings by megabytes after a burst of
 * exits; /proc/zoneinfo shows both the free pages and those lists, so where it
 * exists their sum is the figure. Kestrel frees straight to its allocator and
 * has no zoneinfo: MemFree is already exact there.
 */
static long mem_free_kib(void)
{
	static char buf[256 * 1024];
	long pages = 0;
	char *line;

	if (contract_read_file("/proc/zoneinfo", buf, sizeof(buf)) > 0) {
		margin_kib = NOISY_MARGIN_KIB;
		for (line = buf; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
			while (*line == ' ')
				line++;
			if (strncmp(line, "nr_free_pages ", 14) == 0)
				pages += strtol(line + 14, NULL, 10);
			else if (strncmp(line, "count:", 6) == 0)
				pages += strtol(line + 6, NULL, 10);
		}
		return pages * 4;
	}
	if (contract_read_file("/proc/meminfo", buf, sizeof(buf)) < 0)
		return -1;
	line = strstr(buf, "MemFree:");
	return line ? strtol(line + strlen("MemFree:"), NULL, 10) : -1;
}

static const char *const WAYS[] = { "exit", "sigkill", "segv", "sigterm", "thread" };
#define NWAYS ((int)(sizeof(WAYS) / sizeof(WAYS[0])))

static void *spin(void *arg)
{
	(void)arg;
	for (;;)
		sched_yield();
	return NULL;
}

/* A child that touches some memory and ends in `way`. */
static _Noreturn void child(int way)
{
	char *mem = mmap(NULL, 64 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	pthread_t thread;

	if (mem != MAP_FAILED)
		memset(mem, 1, 64 * 1024);
	if (chdir("/proc") < 0)
		_exit(2);
	switch (way) {
	case 0:
		_exit(0);
	case 1:
		kill(getpid(), SIGKILL);
		break;
	case 2:
		*(volatile int *)(uintptr_t)mem_free_kib = 1;
		break;
	case 3:
		raise(SIGTERM);
		break;
	default:
		/* exit_group with another thread still running. */
		if (pthread_create(&thread, NULL, spin, NULL) == 0)
			_exit(0);
		break;
	}
	_exit(3);
}

static void children(int way)
{
	int round;

	for (round = 0; round < ROUNDS; round++) {
		pid_t pid = contract_fork();

		if (pid == 0)
			child(way);
		contract_wait(pid);
	}
}

/*
 * How much less memory is free after ROUNDS children that end in `way`.
 * Kestrel's figure is exact, so a leak shows on every try; on Linux, other
 * work on the machine can take memory during a try, so a deficit counts only
 * when it is there on each of TRIES tries.
 */
static long deficit_kib(int way)
{
	long least = -1;
	int try;

	for (try = 0; try < TRIES; try++) {
		long before, after;

		sync();
		before = mem_free_kib();
		children(way);
		sync();
		contract_sleep_ms(100);
		after = mem_free_kib();
		if (before < 0 || after < 0)
			contract_fail_why("meminfo", "no free memory figure in /proc");
		if (least < 0 || before - after < least)
			least = before - after < 0 ? 0 : before - after;
		if (least <= margin_kib)
			break;
	}
	return least;
}

int main(void)
{
	int way;

	/* A first round warms caches that stay allocated. */
	for (way = 0; way < NWAYS; way++)
		children(way);
	for (way = 0; way < NWAYS; way++) {
		long deficit = deficit_kib(way);
		char name[64];

		snprintf(name, sizeof(name), "memory_returns_after_%s", WAYS[way]);
		if (deficit > margin_kib) {
			char why[96];

			snprintf(why, sizeof(why), "%ld KiB less free after %d children",
				 deficit, ROUNDS);
			contract_fail_why(name, why);
		}
		contract_ok(name);
	}
	contract_pass();
}
