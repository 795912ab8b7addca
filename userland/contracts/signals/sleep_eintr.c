/*
 * signals/sleep_eintr: a handled signal cuts nanosleep short with EINTR
 * (even under SA_RESTART) and writes the time that was left, more than 0
 * and less than asked. clock_nanosleep reports EINTR as its return value
 * and leaves errno alone; with TIMER_ABSTIME it writes no remaining time.
 * An uninterrupted sleep returns 0, and so does one that a stop and a
 * continue (no handler) interrupted: it resumes for the time that was left.
 */
#include "contract.h"

#include <sys/time.h>

#define MS 1000000L
#define REQUEST_SEC 1
#define SIGNAL_AFTER_USEC 100000

static volatile sig_atomic_t fired;

static void on_alarm(int sig)
{
	(void)sig;
	fired++;
}

static void install(int flags)
{
	struct sigaction act;

	memset(&act, 0, sizeof(act));
	act.sa_handler = on_alarm;
	act.sa_flags = flags;
	if (sigaction(SIGALRM, &act, NULL) != 0)
		contract_fail("sigaction", errno);
}

/* SIGALRM in SIGNAL_AFTER_USEC, once. */
static void arm(void)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	it.it_value.tv_usec = SIGNAL_AFTER_USEC;
	if (setitimer(ITIMER_REAL, &it, NULL) != 0)
		contract_fail("setitimer", errno);
}

/* Child: tells the parent it is about to sleep, then sleeps. */
static void sleeper(int ready)
{
	struct timespec request = { 0, 300 * MS };
	long long start;
	int ret;

	write(ready, "s", 1);
	start = contract_now_ms();
	ret = nanosleep(&request, NULL);
	_exit(ret == 0 && contract_now_ms() - start >= 299 ? 0 : 1);
}

static long long ns_of(struct timespec ts)
{
	return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int left_in_range(struct timespec left)
{
	return ns_of(left) > 0 && ns_of(left) < REQUEST_SEC * 1000000000LL;
}

int main(void)
{
	struct timespec request = { REQUEST_SEC, 0 }, left, now;
	int ready[2], ret;
	char byte;
	pid_t pid;

	/* nanosleep without SA_RESTART. */
	install(0);
	arm();
	memset(&left, 0, sizeof(left));
	CHECK_ERRNO("nanosleep_eintr", nanosleep(&request, &left), EINTR);
	CHECK_EQ("handler_ran", fired, 1);
	CHECK("nanosleep_left_in_range", left_in_range(left));

	/* nanosleep is never restarted after a handler, SA_RESTART or not. */
	install(SA_RESTART);
	fired = 0;
	arm();
	memset(&left, 0, sizeof(left));
	CHECK_ERRNO("nanosleep_sa_restart_eintr", nanosleep(&request, &left), EINTR);
	CHECK_EQ("handler_ran_sa_restart", fired, 1);
	CHECK("nanosleep_sa_restart_left_in_range", left_in_range(left));

	/* clock_nanosleep returns the error; errno stays as it was. */
	install(0);
	fired = 0;
	arm();
	memset(&left, 0, sizeof(left));
	errno = 0;
	ret = clock_nanosleep(CLOCK_MONOTONIC, 0, &request, &left);
	CHECK_EQ("clock_nanosleep_returns_eintr", ret, EINTR);
	CHECK_EQ("clock_nanosleep_errno_untouched", errno, 0);
	CHECK_EQ("handler_ran_clock", fired, 1);
	CHECK("clock_nanosleep_left_in_range", left_in_range(left));

	/* Absolute: EINTR, and the remaining time is not written. */
	fired = 0;
	arm();
	clock_gettime(CLOCK_MONOTONIC, &now);
	now.tv_sec += REQUEST_SEC;
	left.tv_sec = 77;
	left.tv_nsec = 7;
	ret = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &now, &left);
	CHECK_EQ("abstime_returns_eintr", ret, EINTR);
	CHECK_EQ("handler_ran_abstime", fired, 1);
	CHECK("abstime_left_untouched", left.tv_sec == 77 && left.tv_nsec == 7);

	/* Nothing to interrupt: 0. */
	request.tv_sec = 0;
	request.tv_nsec = 20 * MS;
	CHECK_EQ("nanosleep_uninterrupted", nanosleep(&request, NULL), 0);
	CHECK_EQ("clock_nanosleep_uninterrupted",
		 clock_nanosleep(CLOCK_MONOTONIC, 0, &request, NULL), 0);
	request.tv_nsec = 1000000000;
	CHECK_EQ("clock_nanosleep_bad_nsec", clock_nanosleep(CLOCK_MONOTONIC, 0, &request, NULL),
		 EINVAL);

	/* Stopped and continued: the sleep goes on to its end. */
	CHECK("pipe", pipe(ready) == 0);
	pid = contract_fork();
	if (pid == 0)
		sleeper(ready[1]);
	CHECK_EQ("sleeper_ready", read(ready[0], &byte, 1), 1);
	contract_sleep_ms(30);
	CHECK("stop_sleeper", kill(pid, SIGSTOP) == 0);
	contract_sleep_ms(30);
	CHECK("continue_sleeper", kill(pid, SIGCONT) == 0);
	CHECK_EXIT("stopped_sleep_resumes", contract_wait(pid), 0);
	contract_pass();
}
