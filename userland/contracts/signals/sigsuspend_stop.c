/*
 * signals/sigsuspend_stop: a sigsuspend that a stop and SIGCONT interrupt
 * goes on waiting (the stop runs no handler), and when a handled signal
 * finally ends it, the caller's own signal mask is back, not the one it
 * passed to sigsuspend.
 */
#include "contract.h"

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

static int suspender(int ready)
{
	struct sigaction sa;
	sigset_t blocked, during, now;
	int ret;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) != 0)
		return 10;
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGUSR1);
	sigaddset(&blocked, SIGUSR2);
	if (sigprocmask(SIG_SETMASK, &blocked, NULL) != 0)
		return 11;
	sigemptyset(&during);
	sigaddset(&during, SIGUSR2);
	if (write(ready, "R", 1) != 1)
		return 12;
	ret = sigsuspend(&during);
	if (ret != -1 || errno != EINTR)
		return 13;
	if (handled != 1)
		return 14;
	if (sigprocmask(SIG_SETMASK, NULL, &now) != 0)
		return 15;
	if (!sigismember(&now, SIGUSR1) || !sigismember(&now, SIGUSR2))
		return 16;
	return 0;
}

int main(void)
{
	int pipefd[2], status;
	pid_t child;
	char byte;

	CHECK("pipe", pipe(pipefd) == 0);
	child = contract_fork();
	if (child == 0) {
		close(pipefd[0]);
		_exit(suspender(pipefd[1]));
	}
	close(pipefd[1]);
	CHECK("child_ready", read(pipefd[0], &byte, 1) == 1);
	/* Let it reach sigsuspend; the checks hold either way. */
	contract_sleep_ms(50);
	CHECK("sigstop", kill(child, SIGSTOP) == 0);
	CHECK("stopped", waitpid(child, &status, WUNTRACED) == child && WIFSTOPPED(status));
	CHECK("sigcont", kill(child, SIGCONT) == 0);
	CHECK("continued", waitpid(child, &status, WCONTINUED) == child && WIFCONTINUED(status));
	contract_sleep_ms(20);
	CHECK("sigusr1", kill(child, SIGUSR1) == 0);
	CHECK_EXIT("mask_restored_after_suspend", contract_wait(child), 0);
	contract_pass();
}
