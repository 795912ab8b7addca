/*
 * hog - uses up one kind of resource until the kernel refuses more, then
 * says what refused it. The `limits` test stage runs it from the shell
 * (as /bin/kestrel-hog),
 * several at once, to drive the kernel to its limits; the kernel must
 * answer with an errno or by killing a hog, and live on.
 *
 *   hog files   open /dev/null until EMFILE (RLIMIT_NOFILE)
 *   hog tasks   fork sleeping children until fork fails, then kill them
 *   hog pages   map and touch anonymous memory until mmap fails or the
 *               kernel kills the hog
 *   hog maps    map single pages, every other one writable so no two
 *               merge, until mmap fails (vm.max_map_count, or memory)
 *   hog pipes   raise RLIMIT_NOFILE, make pipes and fill each until the
 *               descriptors or memory run out
 *
 * Each mode prints one line, "<mode>: <what happened>", and the hogs that
 * hold something keep it for a second so that hogs run together overlap.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
#define MAX_TASKS 100000

static const char *errno_name(int err)
{
	switch (err) {
	case EMFILE: return "EMFILE";
	case ENFILE: return "ENFILE";
	case ENOMEM: return "ENOMEM";
	case EAGAIN: return "EAGAIN";
	case ENOSPC: return "ENOSPC";
	default: return strerror(err);
	}
}

static int hog_files(void)
{
	long count = 0;

	while (open("/dev/null", O_RDONLY) >= 0)
		count++;
	printf("files: %s after %ld opens\n", errno_name(errno), count);
	return errno == EMFILE ? 0 : 1;
}

static int hog_tasks(void)
{
	static pid_t children[MAX_TASKS];
	long count = 0;
	int err = 0;

	while (count < MAX_TASKS) {
		pid_t pid = fork();

		if (pid == 0) {
			pause();
			_exit(0);
		}
		if (pid < 0) {
			err = errno;
			break;
		}
		children[count++] = pid;
	}
	for (long i = 0; i < count; i++)
		kill(children[i], SIGKILL);
	for (long i = 0; i < count; i++)
		waitpid(children[i], NULL, 0);
	printf("tasks: %s after %ld forks\n", err ? errno_name(err) : "no failure", count);
	return err == EAGAIN || err == ENOMEM ? 0 : 1;
}

static int hog_pages(void)
{
	const size_t chunk = 1 << 20;
	long mib = 0;

	for (;;) {
		char *map = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0);

		if (map == MAP_FAILED)
			break;
		for (size_t at = 0; at < chunk; at += PAGE)
			map[at] = 1;
		mib++;
	}
	printf("pages: %s after %ld MiB\n", errno_name(errno), mib);
	return 0;
}

static int hog_maps(void)
{
	long count = 0;

	for (;;) {
		int prot = count % 2 ? PROT_READ : PROT_READ | PROT_WRITE;

		if (mmap(NULL, PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
			break;
		count++;
	}
	printf("maps: %s after %ld mappings\n", errno_name(errno), count);
	sleep(1);
	return 0;
}

static int hog_pipes(void)
{
	struct rlimit limit;
	static char block[PAGE];
	long pipes = 0, kib = 0;
	int fds[2];

	if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
		limit.rlim_cur = limit.rlim_max;
		setrlimit(RLIMIT_NOFILE, &limit);
	}
	memset(block, 'p', sizeof(block));
	while (pipe2(fds, O_NONBLOCK) == 0) {
		pipes++;
		while (write(fds[1], block, sizeof(block)) > 0)
			kib += sizeof(block) / 1024;
		if (errno != EAGAIN) {
			printf("pipes: write: %s\n", errno_name(errno));
			break;
		}
	}
	printf("pipes: %s after %ld pipes holding %ld KiB\n", errno_name(errno), pipes, kib);
	sleep(1);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(void);
	} modes[] = {
		{ "files", hog_files }, { "tasks", hog_tasks }, { "pages", hog_pages },
		{ "maps", hog_maps },   { "pipes", hog_pipes },
	};

	setvbuf(stdout, NULL, _IONBF, 0);
	for (size_t i = 0; argc == 2 && i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(argv[1], modes[i].name) == 0)
			return modes[i].run();
	}
	fprintf(stderr, "usage: hog files|tasks|pages|maps|pipes\n");
	return 2;
}
