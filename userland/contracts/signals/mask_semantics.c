/*
 * signals/mask_semantics: SIG_BLOCK holds a signal pending, SIG_UNBLOCK
 * delivers it; SIG_SETMASK returns the previous mask; SIGKILL and SIGSTOP
 * can never be blocked; a child inherits the mask but not pending signals.
 */
#include "contract.h"

static volatile int calls;

static void on_usr1(int sig)
{
	(void)sig;
	calls++;
}

int main(void)
{
	sigset_t usr1, all, old, now, pending;
	struct sigaction act;
	int status;
	pid_t pid;

	memset(&act, 0, sizeof(act));
	act.sa_handler = on_usr1;
	CHECK("install_handler", sigaction(SIGUSR1, &act, NULL) == 0);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);

	CHECK("block_usr1", sigprocmask(SIG_BLOCK, &usr1, &old) == 0);
	CHECK("old_mask_lacks_usr1", sigismember(&old, SIGUSR1) == 0);
	CHECK("send_usr1", kill(getpid(), SIGUSR1) == 0);
	CHECK_EQ("not_delivered_while_blocked", calls, 0);
	CHECK("sigpending", sigpending(&pending) == 0);
	CHECK("usr1_pending", sigismember(&pending, SIGUSR1) == 1);

	/* A child inherits the mask, but not the pending signal. */
	pid = contract_fork();
	if (pid == 0) {
		sigset_t child_mask, child_pending;

		sigprocmask(SIG_BLOCK, NULL, &child_mask);
		sigpending(&child_pending);
		if (!sigismember(&child_mask, SIGUSR1))
			_exit(1);
		if (sigismember(&child_pending, SIGUSR1))
			_exit(2);
		_exit(0);
	}
	status = contract_wait(pid);
	CHECK_EXIT("child_mask_inherited_pending_not", status, 0);

	CHECK("unblock_usr1", sigprocmask(SIG_UNBLOCK, &usr1, NULL) == 0);
	CHECK_EQ("delivered_on_unblock", calls, 1);
	CHECK("sigpending_after", sigpending(&pending) == 0);
	CHECK("usr1_not_pending_after", sigismember(&pending, SIGUSR1) == 0);

	/* SIG_SETMASK replaces the mask and reports the previous one. */
	CHECK("setmask_usr1", sigprocmask(SIG_SETMASK, &usr1, &old) == 0);
	CHECK("setmask_old_lacks_usr1", sigismember(&old, SIGUSR1) == 0);
	CHECK("setmask_empty", sigprocmask(SIG_SETMASK, &old, &now) == 0);
	CHECK("setmask_old_had_usr1", sigismember(&now, SIGUSR1) == 1);

	/* Blocking everything never blocks SIGKILL or SIGSTOP. */
	sigfillset(&all);
	CHECK("block_all", sigprocmask(SIG_BLOCK, &all, &old) == 0);
	CHECK("query_mask", sigprocmask(SIG_BLOCK, NULL, &now) == 0);
	CHECK("sigkill_not_blocked", sigismember(&now, SIGKILL) == 0);
	CHECK("sigstop_not_blocked", sigismember(&now, SIGSTOP) == 0);
	CHECK("sigterm_blocked", sigismember(&now, SIGTERM) == 1);
	CHECK("restore_mask", sigprocmask(SIG_SETMASK, &old, NULL) == 0);

	CHECK_ERRNO("bad_how_einval", sigprocmask(12345, &usr1, NULL), EINVAL);
	CHECK_EQ("no_stray_delivery", calls, 1);
	contract_pass();
}
