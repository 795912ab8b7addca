/*
 * signals/handler_context: sigaction installs a handler and returns the old
 * one; the handler gets the signal number and, with SA_SIGINFO, who sent it;
 * inside the handler the signal and sa_mask are blocked, and the mask is
 * restored afterwards; SIG_IGN discards the signal; SIGKILL cannot be
 * caught; a child killed by an unhandled signal reports it.
 */
#include "contract.h"

static volatile int first_calls, second_calls, last_signo;
static volatile int usr1_blocked_inside, usr2_blocked_inside;
static volatile int info_signo, info_code, info_pid_is_self;

static void first_handler(int sig)
{
	(void)sig;
	first_calls++;
}

static void second_handler(int sig)
{
	sigset_t now;

	second_calls++;
	last_signo = sig;
	sigprocmask(SIG_BLOCK, NULL, &now);
	usr1_blocked_inside = sigismember(&now, SIGUSR1);
	usr2_blocked_inside = sigismember(&now, SIGUSR2);
}

static void info_handler(int sig, siginfo_t *info, void *context)
{
	(void)sig;
	(void)context;
	info_signo = info->si_signo;
	info_code = info->si_code;
	info_pid_is_self = info->si_pid == getpid();
}

int main(void)
{
	struct sigaction act, old;
	sigset_t now;
	int status;
	pid_t pid;

	/* The initial disposition is the default one. */
	CHECK("query_initial", sigaction(SIGUSR1, NULL, &old) == 0);
	CHECK("initial_is_default", old.sa_handler == SIG_DFL);

	memset(&act, 0, sizeof(act));
	act.sa_handler = first_handler;
	CHECK("install_first", sigaction(SIGUSR1, &act, &old) == 0);
	CHECK("old_was_default", old.sa_handler == SIG_DFL);

	memset(&act, 0, sizeof(act));
	act.sa_handler = second_handler;
	sigemptyset(&act.sa_mask);
	sigaddset(&act.sa_mask, SIGUSR2);
	CHECK("install_second", sigaction(SIGUSR1, &act, &old) == 0);
	CHECK("old_is_first_handler", old.sa_handler == first_handler);

	CHECK("kill_usr1", kill(getpid(), SIGUSR1) == 0);
	CHECK("second_handler_ran", second_calls == 1 && first_calls == 0);
	CHECK_EQ("handler_got_signo", last_signo, SIGUSR1);
	CHECK("signal_blocked_inside_handler", usr1_blocked_inside == 1);
	CHECK("sa_mask_blocked_inside_handler", usr2_blocked_inside == 1);
	CHECK("query_mask_after", sigprocmask(SIG_BLOCK, NULL, &now) == 0);
	CHECK("mask_restored_after_handler",
	      !sigismember(&now, SIGUSR1) && !sigismember(&now, SIGUSR2));

	/* SA_SIGINFO: the handler learns the signal, the code and the sender. */
	memset(&act, 0, sizeof(act));
	act.sa_sigaction = info_handler;
	act.sa_flags = SA_SIGINFO;
	CHECK("install_siginfo", sigaction(SIGUSR2, &act, NULL) == 0);
	CHECK("kill_usr2", kill(getpid(), SIGUSR2) == 0);
	CHECK_EQ("siginfo_signo", info_signo, SIGUSR2);
	CHECK_EQ("siginfo_code_si_user", info_code, SI_USER);
	CHECK("siginfo_pid_is_sender", info_pid_is_self == 1);
	CHECK("query_siginfo_flag", sigaction(SIGUSR2, NULL, &old) == 0);
	CHECK("siginfo_flag_kept", (old.sa_flags & SA_SIGINFO) != 0);

	/* SIG_IGN: the signal is discarded and the process lives on. */
	memset(&act, 0, sizeof(act));
	act.sa_handler = SIG_IGN;
	CHECK("install_ignore", sigaction(SIGUSR1, &act, &old) == 0);
	CHECK("old_is_second_handler", old.sa_handler == second_handler);
	CHECK("kill_ignored", kill(getpid(), SIGUSR1) == 0);
	CHECK_EQ("ignored_signal_not_handled", second_calls, 1);
	CHECK("sigpending_empty", sigpending(&now) == 0 && !sigismember(&now, SIGUSR1));
	CHECK("query_ignore", sigaction(SIGUSR1, NULL, &old) == 0 && old.sa_handler == SIG_IGN);

	/* SIGKILL and SIGSTOP cannot be caught or ignored. */
	memset(&act, 0, sizeof(act));
	act.sa_handler = first_handler;
	CHECK_ERRNO("sigkill_handler_einval", sigaction(SIGKILL, &act, NULL), EINVAL);
	CHECK_ERRNO("sigstop_handler_einval", sigaction(SIGSTOP, &act, NULL), EINVAL);
	CHECK_ERRNO("bad_signal_number_einval", sigaction(0, &act, NULL), EINVAL);

	/* A child that does not handle SIGUSR1 is killed by it. */
	pid = contract_fork();
	if (pid == 0) {
		signal(SIGUSR1, SIG_DFL);
		kill(getpid(), SIGUSR1);
		_exit(0);
	}
	status = contract_wait(pid);
	CHECK_SIGNALED("default_action_terminates", status, SIGUSR1);
	contract_pass();
}
