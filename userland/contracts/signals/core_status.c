/*
 * signals/core_status: a process killed by a signal whose default action
 * dumps core (SIGSEGV, SIGQUIT, SIGABRT, a real fault) is reported killed by
 * that signal, and the wait status says "core dumped" only when a core file
 * was written: with RLIMIT_CORE at 0 none is, so WCOREDUMP is false (a shell
 * prints "Segmentation fault", not "Segmentation fault (core dumped)").
 */
#include "contract.h"

#include <sys/resource.h>

/* Child: dies of `sig`, sent to itself or, for 0, raised by a bad write. */
static _Noreturn void die_of(int sig)
{
	if (sig == 0)
		*(volatile int *)16 = 1;
	else
		kill(getpid(), sig);
	_exit(0);
}

static void check_death(const char *what, int sig)
{
	char killed[64], no_core[64];
	int status;
	pid_t pid = contract_fork();

	if (pid == 0)
		die_of(sig);
	status = contract_wait(pid);
	snprintf(killed, sizeof(killed), "%s_kills", what);
	snprintf(no_core, sizeof(no_core), "%s_no_core", what);
	CHECK_SIGNALED(killed, status, sig ? sig : SIGSEGV);
	CHECK(no_core, !WCOREDUMP(status));
}

int main(void)
{
	struct rlimit limit;

	CHECK("getrlimit", getrlimit(RLIMIT_CORE, &limit) == 0);
	limit.rlim_cur = 0;
	CHECK("no_core_files", setrlimit(RLIMIT_CORE, &limit) == 0);

	check_death("sigsegv", SIGSEGV);
	check_death("sigquit", SIGQUIT);
	check_death("sigabrt", SIGABRT);
	check_death("fault", 0);
	contract_pass();
}
