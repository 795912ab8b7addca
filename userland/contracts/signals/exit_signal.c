/*
 * signals/exit_signal: the signal a parent gets when its child ends is the
 * one named in the child's clone flags; such a "clone child" is waited for
 * only with __WCLONE or __WALL. A CLONE_PARENT child is its caller's sibling:
 * the caller's parent waits for it, and hears of its exit by the caller's own
 * exit signal (SIGCHLD), never by one the caller picked.
 */
#include "contract.h"

#include <sched.h>

static volatile sig_atomic_t usr1_count, chld_count;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		usr1_count++;
	else if (sig == SIGCHLD)
		chld_count++;
}

/* fork-like clone: no new stack, so the child returns here with 0. */
static pid_t clone_child(unsigned long flags)
{
	return (pid_t)syscall(SYS_clone, flags, 0, NULL, NULL, 0);
}

static void wait_for_signal(volatile sig_atomic_t *count)
{
	long long deadline = contract_now_ms() + 5000;

	while (*count == 0 && contract_now_ms() < deadline)
		contract_sleep_ms(5);
}

static void clone_child_with_own_signal(void)
{
	pid_t pid;
	int status;

	usr1_count = chld_count = 0;
	pid = clone_child(SIGUSR1);
	if (pid == 0)
		_exit(5);
	CHECK("clone_with_sigusr1", pid > 0);
	wait_for_signal(&usr1_count);
	CHECK("parent_got_sigusr1", usr1_count == 1);
	CHECK("parent_got_no_sigchld", chld_count == 0);
	CHECK_ERRNO("plain_wait_skips_clone_child", waitpid(pid, &status, WNOHANG), ECHILD);
	CHECK_EQ("wclone_waits_for_it", waitpid(pid, &status, __WCLONE), pid);
	CHECK_EXIT("clone_child_status", status, 5);
}

static void clone_child_seen_by_wall(void)
{
	pid_t pid = clone_child(SIGUSR1);
	int status;

	if (pid == 0)
		_exit(6);
	CHECK("clone_again", pid > 0);
	CHECK_EQ("wall_waits_for_it", waitpid(pid, &status, __WALL), pid);
	CHECK_EXIT("wall_child_status", status, 6);
}

/* A child that makes a CLONE_PARENT sibling asking for SIGUSR1. */
static void clone_parent_sibling(void)
{
	int fds[2];
	pid_t middle, sibling = 0;
	int status;

	CHECK("pipe", pipe(fds) == 0);
	usr1_count = chld_count = 0;
	middle = contract_fork();
	if (middle == 0) {
		pid_t pid = clone_child(CLONE_PARENT | SIGUSR1);

		if (pid == 0)
			_exit(7);
		if (write(fds[1], &pid, sizeof(pid)) != sizeof(pid))
			_exit(2);
		/* Not our child: we cannot wait for it, with any flags. */
		if (waitpid(pid, NULL, __WALL) != -1 || errno != ECHILD)
			_exit(3);
		_exit(0);
	}
	CHECK("read_sibling_pid", read(fds[0], &sibling, sizeof(sibling)) == sizeof(sibling));
	CHECK("sibling_created", sibling > 0);
	CHECK_EQ("sibling_is_our_child", waitpid(sibling, &status, 0), sibling);
	CHECK_EXIT("sibling_status", status, 7);
	CHECK_EQ("wait_middle", waitpid(middle, &status, 0), middle);
	CHECK_EXIT("middle_could_not_wait_for_sibling", status, 0);
	CHECK("no_sigusr1_from_sibling", usr1_count == 0);
	CHECK("sigchld_from_children", chld_count > 0);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	struct sigaction act;

	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;
	act.sa_flags = SA_RESTART;
	CHECK("sigaction_usr1", sigaction(SIGUSR1, &act, NULL) == 0);
	CHECK("sigaction_chld", sigaction(SIGCHLD, &act, NULL) == 0);

	clone_child_with_own_signal();
	clone_child_seen_by_wall();
	clone_parent_sibling();
	contract_pass();
}
