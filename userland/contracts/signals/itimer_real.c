/*
 * signals/itimer_real: ITIMER_REAL sends SIGALRM to the process when it
 * expires and reloads from its interval; getitimer reads the setting back
 * and setitimer returns the previous one. alarm(2) sets the same timer and
 * returns the seconds that were left (rounded to the nearest, never 0 while
 * armed), alarm(0) cancels. The timer is not inherited by a fork child but
 * survives execve. alarm goes through syscall(): the C library may build it
 * on setitimer with a rounding of its own.
 */
#include "contract.h"

#include <sys/time.h>

#define PERIOD_USEC 20000
#define WANTED_FIRINGS 5
#define WAIT_LIMIT_MS 1500

static volatile sig_atomic_t fired;

static void on_alarm(int sig)
{
	(void)sig;
	fired++;
}

/* Sleeps in short steps until `count` SIGALRMs arrived or time runs out. */
static void wait_for_firings(int count, long limit_ms)
{
	long long end = contract_now_ms() + limit_ms;
	struct timespec step = { 0, 2000000 };

	while (fired < count && contract_now_ms() < end)
		nanosleep(&step, NULL);
}

static unsigned sys_alarm(unsigned seconds)
{
	return (unsigned)syscall(SYS_alarm, seconds);
}

static long long usec_of(struct timeval tv)
{
	return (long long)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* After execve: the alarm set before it is still running. */
static int after_exec(void)
{
	unsigned left = sys_alarm(0);

	return left == 10 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct itimerval set, got, old;
	struct sigaction act;
	int status;
	pid_t pid;

	if (argc > 1 && strcmp(argv[1], "after-exec") == 0)
		return after_exec();

	memset(&act, 0, sizeof(act));
	act.sa_handler = on_alarm;
	CHECK("sigaction", sigaction(SIGALRM, &act, NULL) == 0);

	/* Disarmed at start: zeros. */
	CHECK("getitimer_initial", getitimer(ITIMER_REAL, &got) == 0);
	CHECK("initially_disarmed", usec_of(got.it_value) == 0 && usec_of(got.it_interval) == 0);

	/* A periodic timer fires again and again. */
	memset(&set, 0, sizeof(set));
	set.it_value.tv_usec = PERIOD_USEC;
	set.it_interval.tv_usec = PERIOD_USEC;
	CHECK("setitimer_periodic", setitimer(ITIMER_REAL, &set, &old) == 0);
	CHECK("old_value_disarmed", usec_of(old.it_value) == 0 && usec_of(old.it_interval) == 0);
	CHECK("getitimer_periodic", getitimer(ITIMER_REAL, &got) == 0);
	CHECK_EQ("getitimer_interval", usec_of(got.it_interval), PERIOD_USEC);
	CHECK("getitimer_value_in_range",
	      usec_of(got.it_value) > 0 && usec_of(got.it_value) <= PERIOD_USEC);
	wait_for_firings(WANTED_FIRINGS, WAIT_LIMIT_MS);
	CHECK("periodic_fires_repeatedly", fired >= WANTED_FIRINGS);

	/* Disarming returns the running setting; nothing fires afterwards. */
	memset(&set, 0, sizeof(set));
	CHECK("setitimer_disarm", setitimer(ITIMER_REAL, &set, &old) == 0);
	CHECK_EQ("disarm_returns_interval", usec_of(old.it_interval), PERIOD_USEC);
	CHECK("disarm_returns_armed_value", usec_of(old.it_value) > 0);
	CHECK("getitimer_disarmed", getitimer(ITIMER_REAL, &got) == 0);
	CHECK("disarmed_reads_zero", usec_of(got.it_value) == 0 && usec_of(got.it_interval) == 0);
	fired = 0;
	contract_sleep_ms(60);
	CHECK_EQ("disarmed_does_not_fire", fired, 0);

	/* A one-shot timer fires once and then reads as disarmed. */
	set.it_value.tv_usec = PERIOD_USEC;
	CHECK("setitimer_one_shot", setitimer(ITIMER_REAL, &set, NULL) == 0);
	wait_for_firings(1, WAIT_LIMIT_MS);
	contract_sleep_ms(60);
	CHECK_EQ("one_shot_fires_once", fired, 1);
	CHECK("getitimer_after_one_shot", getitimer(ITIMER_REAL, &got) == 0);
	CHECK_EQ("one_shot_then_disarmed", usec_of(got.it_value), 0);

	/* Malformed settings. */
	set.it_value.tv_usec = 1000000;
	CHECK_ERRNO("usec_out_of_range_einval", setitimer(ITIMER_REAL, &set, NULL), EINVAL);
	set.it_value.tv_usec = PERIOD_USEC;
	CHECK_ERRNO("unknown_timer_einval", setitimer(99, &set, NULL), EINVAL);

	/* alarm shares the timer with ITIMER_REAL. */
	CHECK_EQ("alarm_first_returns_zero", sys_alarm(5), 0);
	CHECK("getitimer_sees_alarm", getitimer(ITIMER_REAL, &got) == 0);
	CHECK("alarm_value_seconds",
	      got.it_value.tv_sec == 4 || (got.it_value.tv_sec == 5 && got.it_value.tv_usec == 0));
	CHECK_EQ("alarm_interval_zero", usec_of(got.it_interval), 0);
	CHECK_EQ("alarm_returns_seconds_left", sys_alarm(3), 5);
	CHECK_EQ("alarm_zero_returns_left", sys_alarm(0), 3);
	CHECK("getitimer_after_alarm_zero", getitimer(ITIMER_REAL, &got) == 0);
	CHECK_EQ("alarm_zero_cancels", usec_of(got.it_value), 0);
	set.it_value.tv_sec = 2;
	set.it_value.tv_usec = 400000;
	set.it_interval.tv_usec = 0;
	CHECK("setitimer_fractional", setitimer(ITIMER_REAL, &set, NULL) == 0);
	CHECK_EQ("alarm_rounds_to_nearest", sys_alarm(0), 2);
	set.it_value.tv_sec = 0;
	set.it_value.tv_usec = 300000;
	CHECK("setitimer_below_second", setitimer(ITIMER_REAL, &set, NULL) == 0);
	CHECK_EQ("alarm_never_zero_while_armed", sys_alarm(0), 1);

	/* fork: the child starts with no timer. */
	CHECK_EQ("alarm_before_fork", sys_alarm(10), 0);
	pid = contract_fork();
	if (pid == 0) {
		struct itimerval child;

		if (getitimer(ITIMER_REAL, &child) != 0)
			_exit(2);
		_exit(usec_of(child.it_value) == 0 ? 0 : 1);
	}
	CHECK_EXIT("fork_child_has_no_timer", contract_wait(pid), 0);
	CHECK_EQ("parent_keeps_alarm", sys_alarm(0), 10);

	/* execve keeps the timer. */
	pid = contract_fork();
	if (pid == 0) {
		char self[PATH_MAX];
		char *args[] = { self, "after-exec", NULL };

		if (!realpath(argv[0], self))
			_exit(3);
		sys_alarm(10);
		execv(self, args);
		_exit(4);
	}
	status = contract_wait(pid);
	CHECK_EXIT("exec_keeps_alarm", status, 0);
	contract_pass();
}
