/*
 * signals/stop_continue: what a shell's job control relies on. A sleeping
 * child stopped by SIGSTOP, then by SIGTSTP (^Z), and continued each time,
 * is reported stopped (WUNTRACED, with the stop signal) and continued
 * (WCONTINUED), and its sleep goes on to the end every time. A fatal signal
 * sent to a stopped child waits until SIGCONT and then kills it (the shell's
 * `fg` then ^C).
 */
#include "contract.h"

#define MS 1000000L
#define SLEEP_MS 400
#define PAUSE_MS 30
#define ROUNDS 3

/* Child: tells the parent it is about to sleep, then sleeps SLEEP_MS. */
static _Noreturn void sleeper(int ready)
{
	struct timespec request = { 0, SLEEP_MS * MS };
	long long start;
	int ret;

	write(ready, "s", 1);
	start = contract_now_ms();
	ret = nanosleep(&request, NULL);
	_exit(ret == 0 && contract_now_ms() - start >= SLEEP_MS - 1 ? 0 : 1);
}

static pid_t start_sleeper(void)
{
	int ready[2];
	char byte;
	pid_t pid;

	CHECK("pipe", pipe(ready) == 0);
	pid = contract_fork();
	if (pid == 0) {
		/*
		 * A group of its own, whose leader's parent is in another group
		 * of the session: never orphaned, so SIGTSTP is not discarded
		 * however the test itself was started.
		 */
		if (setpgid(0, 0) != 0)
			_exit(2);
		sleeper(ready[1]);
	}
	close(ready[1]);
	CHECK_EQ("sleeper_ready", read(ready[0], &byte, 1), 1);
	close(ready[0]);
	contract_sleep_ms(PAUSE_MS);
	return pid;
}

static int wait_status(pid_t pid, int options)
{
	int status = 0;

	if (waitpid(pid, &status, options) != pid)
		contract_fail("waitpid", errno);
	return status;
}

/*
 * Stops the child with `sig` and continues it, checking what wait reports,
 * then gives it time to go back to sleep.
 */
static void stop_and_continue(pid_t pid, int sig, const char *stopped, const char *continued)
{
	int status;

	CHECK("kill_stop", kill(pid, sig) == 0);
	status = wait_status(pid, WUNTRACED);
	CHECK(stopped, WIFSTOPPED(status) && WSTOPSIG(status) == sig);
	contract_sleep_ms(PAUSE_MS);
	CHECK("kill_cont", kill(pid, SIGCONT) == 0);
	status = wait_status(pid, WCONTINUED);
	CHECK(continued, WIFCONTINUED(status));
	contract_sleep_ms(PAUSE_MS);
}

int main(void)
{
	int status;
	pid_t pid;

	/* Stopped again and again while its sleep restarts. */
	pid = start_sleeper();
	stop_and_continue(pid, SIGSTOP, "sigstop_reported", "sigstop_continued");
	stop_and_continue(pid, SIGTSTP, "sigtstp_reported", "sigtstp_continued");
	for (int i = 0; i < ROUNDS; i++)
		stop_and_continue(pid, SIGTSTP, "restopped", "recontinued");
	CHECK_EXIT("sleep_ends_after_stops", contract_wait(pid), 0);

	/* A fatal signal waits for SIGCONT. */
	pid = start_sleeper();
	CHECK("kill_tstp", kill(pid, SIGTSTP) == 0);
	status = wait_status(pid, WUNTRACED);
	CHECK("stopped_for_int", WIFSTOPPED(status) && WSTOPSIG(status) == SIGTSTP);
	CHECK("kill_int", kill(pid, SIGINT) == 0);
	contract_sleep_ms(PAUSE_MS);
	CHECK_EQ("still_stopped", waitpid(pid, &status, WNOHANG), 0);
	CHECK("kill_cont", kill(pid, SIGCONT) == 0);
	CHECK_SIGNALED("killed_once_continued", contract_wait(pid), SIGINT);
	contract_pass();
}
