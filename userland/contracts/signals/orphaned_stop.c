/*
 * signals/orphaned_stop: SIGTSTP, SIGTTIN and SIGTTOU with their default
 * action do not stop a process whose process group is orphaned (no member
 * has a parent in another group of the same session), since nothing would
 * ever continue it; SIGSTOP still does. A group with such a parent stops.
 */
#include "contract.h"

#define WAIT_LIMIT_MS 5000

/* Raises each terminal stop signal at itself; exits 0 if it kept running. */
static _Noreturn void raise_terminal_stops(void)
{
	raise(SIGTSTP);
	raise(SIGTTIN);
	raise(SIGTTOU);
	_exit(0);
}

/* The child's status, waiting with WUNTRACED; SIGKILL after the limit. */
static int status_of(pid_t pid)
{
	long long deadline = contract_now_ms() + WAIT_LIMIT_MS;
	int status = 0;

	while (waitpid(pid, &status, WNOHANG | WUNTRACED) == 0) {
		if (contract_now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			break;
		}
		contract_sleep_ms(5);
	}
	return status;
}

int main(void)
{
	pid_t pid;
	int status;

	/* A session of its own: its group's only member has its parent elsewhere. */
	pid = contract_fork();
	if (pid == 0) {
		if (setsid() < 0)
			_exit(2);
		raise_terminal_stops();
	}
	status = status_of(pid);
	CHECK("orphaned_group_not_stopped", !WIFSTOPPED(status));
	CHECK_EXIT("orphaned_group_ran_on", status, 0);

	/* SIGSTOP stops it all the same. */
	pid = contract_fork();
	if (pid == 0) {
		if (setsid() < 0)
			_exit(2);
		raise(SIGSTOP);
		_exit(0);
	}
	status = status_of(pid);
	CHECK("sigstop_stops_orphaned_group", WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
	CHECK("continue", kill(pid, SIGCONT) == 0);
	CHECK_EXIT("continued_to_exit", contract_wait(pid), 0);

	/* A group of its own whose parent is in another group of the session. */
	pid = contract_fork();
	if (pid == 0) {
		if (setpgid(0, 0) != 0)
			_exit(2);
		raise_terminal_stops();
	}
	status = status_of(pid);
	CHECK("attached_group_stopped", WIFSTOPPED(status) && WSTOPSIG(status) == SIGTSTP);
	CHECK("kill_stopped", kill(pid, SIGKILL) == 0);
	CHECK_SIGNALED("killed", contract_wait(pid), SIGKILL);
	contract_pass();
}
