/*
 * proc/stat_flags: the flags field (the ninth) of /proc/<pid>/stat carries
 * PF_FORKNOEXEC while a forked child has not called execve, and PF_EXITING
 * once a process has exited (a zombie still shows it).
 */
#include "contract.h"

/* From Linux's include/linux/sched.h. */
#define PF_EXITING 0x00000004UL
#define PF_FORKNOEXEC 0x00000040UL

/* The flags field of /proc/<pid>/stat, or ~0 when it cannot be read. */
static unsigned long stat_flags(const char *path)
{
	char buf[1024];
	unsigned long flags;
	char *after;

	if (contract_read_file(path, buf, sizeof(buf)) < 0)
		return ~0UL;
	after = strrchr(buf, ')');
	/* state ppid pgrp session tty_nr tpgid flags */
	if (!after || sscanf(after + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return ~0UL;
	return flags;
}

int main(int argc, char **argv)
{
	char path[64];
	unsigned long flags;
	int pipefd[2];
	pid_t pid;
	char c;

	if (argc == 2 && strcmp(argv[1], "after-exec") == 0)
		return (stat_flags("/proc/self/stat") & PF_FORKNOEXEC) ? 1 : 0;

	flags = stat_flags("/proc/self/stat");
	CHECK("read_own_flags", flags != ~0UL);
	CHECK("started_by_exec_not_forknoexec", !(flags & PF_FORKNOEXEC));
	CHECK("running_not_exiting", !(flags & PF_EXITING));

	pid = contract_fork();
	if (pid == 0)
		_exit((stat_flags("/proc/self/stat") & PF_FORKNOEXEC) ? 0 : 1);
	CHECK_EXIT("forked_child_forknoexec", contract_wait(pid), 0);

	pid = contract_fork();
	if (pid == 0) {
		char *child_argv[] = { argv[0], "after-exec", NULL };

		execv(argv[0], child_argv);
		_exit(127);
	}
	CHECK_EXIT("exec_clears_forknoexec", contract_wait(pid), 0);

	/* A zombie: exited, not reaped yet. */
	CHECK("pipe", pipe(pipefd) == 0);
	pid = contract_fork();
	if (pid == 0) {
		close(pipefd[0]);
		_exit(0);
	}
	close(pipefd[1]);
	CHECK_EQ("child_gone", read(pipefd[0], &c, 1), 0);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (int tries = 0; tries < 500; tries++) {
		flags = stat_flags(path);
		if (flags != ~0UL && (flags & PF_EXITING))
			break;
		contract_sleep_ms(2);
	}
	CHECK("zombie_exiting", flags != ~0UL && (flags & PF_EXITING));
	CHECK_EXIT("reap_zombie", contract_wait(pid), 0);
	contract_pass();
}
