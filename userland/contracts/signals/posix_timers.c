/*
 * signals/posix_timers: timer_create with SIGEV_SIGNAL queues the chosen
 * signal with si_code SI_TIMER, the sigevent's si_value and the timer id;
 * a null sigevent means SIGALRM carrying the timer id; SIGEV_NONE sends
 * nothing but still counts down. timer_settime arms relative or absolute
 * (TIMER_ABSTIME) expiries with an interval and returns the old setting;
 * timer_gettime reads it back. Expiries while the signal is still pending
 * join it as overruns. Deleted ids and bad clocks fail with EINVAL; fork
 * does not inherit timers and execve deletes them.
 */
#include "contract.h"

#define MS 1000000L
#define WAIT_LIMIT_MS 1500

static volatile sig_atomic_t usr1_count;
static volatile int usr1_code, usr1_value, usr1_timerid;
static volatile sig_atomic_t alrm_count;
static volatile int alrm_code, alrm_value;
static volatile sig_atomic_t rt_count;
static volatile int rt_overrun;
static timer_t rt_timer;

static void on_usr1(int sig, siginfo_t *info, void *context)
{
	(void)sig;
	(void)context;
	usr1_code = info->si_code;
	usr1_value = info->si_value.sival_int;
	usr1_timerid = info->si_timerid;
	usr1_count++;
}

static void on_alrm(int sig, siginfo_t *info, void *context)
{
	(void)sig;
	(void)context;
	alrm_code = info->si_code;
	alrm_value = info->si_value.sival_int;
	alrm_count++;
}

/* Stops the timer at once, so exactly one signal is seen. */
static void on_rt(int sig, siginfo_t *info, void *context)
{
	struct itimerspec zero;

	(void)sig;
	(void)context;
	memset(&zero, 0, sizeof(zero));
	timer_settime(rt_timer, 0, &zero, NULL);
	rt_overrun = info->si_overrun;
	rt_count++;
}

static void install(int sig, void (*handler)(int, siginfo_t *, void *))
{
	struct sigaction act;

	memset(&act, 0, sizeof(act));
	act.sa_sigaction = handler;
	act.sa_flags = SA_SIGINFO;
	if (sigaction(sig, &act, NULL) != 0)
		contract_fail("sigaction", errno);
}

static void wait_for(volatile sig_atomic_t *count, int wanted)
{
	long long end = contract_now_ms() + WAIT_LIMIT_MS;
	struct timespec step = { 0, 2 * MS };

	while (*count < wanted && contract_now_ms() < end)
		nanosleep(&step, NULL);
}

static long long ns_of(struct timespec ts)
{
	return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct itimerspec setting(long value_ns, long interval_ns)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_nsec = value_ns;
	its.it_interval.tv_nsec = interval_ns;
	return its;
}

static int kernel_id(timer_t timer)
{
	return (int)(intptr_t)timer;
}

/* After execve: the timer id the parent image created is gone. */
static int after_exec(const char *id)
{
	struct itimerspec its;
	long ret = syscall(SYS_timer_gettime, atoi(id), &its);

	return ret == -1 && errno == EINVAL ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct sigevent event;
	struct itimerspec its, old;
	struct timespec now;
	timer_t timer, alrm_timer, quiet;
	long long abs_ns;
	sigset_t rt_set;
	pid_t pid;
	int kid;

	if (argc > 2 && strcmp(argv[1], "after-exec") == 0)
		return after_exec(argv[2]);

	install(SIGUSR1, on_usr1);
	install(SIGALRM, on_alrm);
	install(SIGRTMIN + 2, on_rt);

	/* SIGEV_SIGNAL on CLOCK_MONOTONIC, one shot. */
	memset(&event, 0, sizeof(event));
	event.sigev_notify = SIGEV_SIGNAL;
	event.sigev_signo = SIGUSR1;
	event.sigev_value.sival_int = 42;
	CHECK("timer_create_signal", timer_create(CLOCK_MONOTONIC, &event, &timer) == 0);
	CHECK("timer_gettime_new", timer_gettime(timer, &its) == 0);
	CHECK("new_timer_disarmed", ns_of(its.it_value) == 0 && ns_of(its.it_interval) == 0);
	its = setting(30 * MS, 0);
	CHECK("timer_settime_relative", timer_settime(timer, 0, &its, &old) == 0);
	CHECK("old_setting_disarmed", ns_of(old.it_value) == 0);
	CHECK("timer_gettime_armed", timer_gettime(timer, &its) == 0);
	CHECK("armed_value_in_range", ns_of(its.it_value) > 0 && ns_of(its.it_value) <= 30 * MS);
	wait_for(&usr1_count, 1);
	CHECK_EQ("one_shot_fired", usr1_count, 1);
	CHECK_EQ("si_code_si_timer", usr1_code, SI_TIMER);
	CHECK_EQ("si_value_from_sigevent", usr1_value, 42);
	CHECK_EQ("si_timerid_is_timer", usr1_timerid, kernel_id(timer));
	CHECK_EQ("overrun_zero", timer_getoverrun(timer), 0);
	CHECK("timer_gettime_expired", timer_gettime(timer, &its) == 0);
	CHECK_EQ("one_shot_then_disarmed", ns_of(its.it_value), 0);

	/* Periodic. */
	usr1_count = 0;
	its = setting(20 * MS, 20 * MS);
	CHECK("timer_settime_periodic", timer_settime(timer, 0, &its, NULL) == 0);
	wait_for(&usr1_count, 4);
	CHECK("periodic_fires_repeatedly", usr1_count >= 4);
	CHECK("timer_gettime_periodic", timer_gettime(timer, &its) == 0);
	CHECK_EQ("periodic_interval", ns_of(its.it_interval), 20 * MS);
	CHECK("periodic_value_in_range",
	      ns_of(its.it_value) > 0 && ns_of(its.it_value) <= 20 * MS);
	its = setting(0, 0);
	CHECK("timer_settime_disarm", timer_settime(timer, 0, &its, &old) == 0);
	CHECK_EQ("disarm_returns_interval", ns_of(old.it_interval), 20 * MS);
	CHECK("disarm_returns_armed_value", ns_of(old.it_value) > 0);
	CHECK("timer_gettime_disarmed", timer_gettime(timer, &its) == 0);
	CHECK("disarmed_reads_zero", ns_of(its.it_value) == 0 && ns_of(its.it_interval) == 0);

	/* TIMER_ABSTIME on CLOCK_MONOTONIC: never early. */
	usr1_count = 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	abs_ns = ns_of(now) + 50 * MS;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = abs_ns / 1000000000;
	its.it_value.tv_nsec = abs_ns % 1000000000;
	CHECK("timer_settime_abstime", timer_settime(timer, TIMER_ABSTIME, &its, NULL) == 0);
	wait_for(&usr1_count, 1);
	clock_gettime(CLOCK_MONOTONIC, &now);
	CHECK_EQ("abstime_fired", usr1_count, 1);
	CHECK("abstime_not_early", ns_of(now) >= abs_ns);
	usr1_count = 0;
	its.it_value.tv_sec = 1;
	its.it_value.tv_nsec = 0;
	CHECK("timer_settime_abstime_past", timer_settime(timer, TIMER_ABSTIME, &its, NULL) == 0);
	wait_for(&usr1_count, 1);
	CHECK_EQ("abstime_past_fires_at_once", usr1_count, 1);

	/* Null sigevent: SIGALRM with the timer id as si_value. */
	CHECK("timer_create_null_event", timer_create(CLOCK_REALTIME, NULL, &alrm_timer) == 0);
	its = setting(20 * MS, 0);
	CHECK("timer_settime_realtime", timer_settime(alrm_timer, 0, &its, NULL) == 0);
	wait_for(&alrm_count, 1);
	CHECK_EQ("null_event_sends_sigalrm", alrm_count, 1);
	CHECK_EQ("null_event_si_code", alrm_code, SI_TIMER);
	CHECK_EQ("null_event_value_is_id", alrm_value, kernel_id(alrm_timer));
	CHECK("timer_delete_realtime", timer_delete(alrm_timer) == 0);

	/* SIGEV_NONE counts down silently. */
	memset(&event, 0, sizeof(event));
	event.sigev_notify = SIGEV_NONE;
	CHECK("timer_create_none", timer_create(CLOCK_MONOTONIC, &event, &quiet) == 0);
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = 10;
	CHECK("timer_settime_none", timer_settime(quiet, 0, &its, NULL) == 0);
	CHECK("timer_gettime_none", timer_gettime(quiet, &its) == 0);
	CHECK("none_counts_down", its.it_value.tv_sec == 9 || ns_of(its.it_value) == 10000000000LL);

	/* Expiries while the signal is blocked become overruns of one signal. */
	memset(&event, 0, sizeof(event));
	event.sigev_notify = SIGEV_SIGNAL;
	event.sigev_signo = SIGRTMIN + 2;
	CHECK("timer_create_rt", timer_create(CLOCK_MONOTONIC, &event, &rt_timer) == 0);
	sigemptyset(&rt_set);
	sigaddset(&rt_set, SIGRTMIN + 2);
	sigprocmask(SIG_BLOCK, &rt_set, NULL);
	its = setting(10 * MS, 10 * MS);
	CHECK("timer_settime_rt", timer_settime(rt_timer, 0, &its, NULL) == 0);
	contract_sleep_ms(100);
	sigprocmask(SIG_UNBLOCK, &rt_set, NULL);
	CHECK_EQ("blocked_expiries_one_signal", rt_count, 1);
	CHECK("blocked_expiries_overrun", rt_overrun >= 3);
	CHECK("timer_delete_rt", timer_delete(rt_timer) == 0);

	/* fork does not inherit timers; execve deletes them. */
	kid = kernel_id(quiet);
	pid = contract_fork();
	if (pid == 0) {
		struct itimerspec child;
		long ret = syscall(SYS_timer_gettime, kid, &child);

		_exit(ret == -1 && errno == EINVAL ? 0 : 1);
	}
	CHECK_EXIT("fork_child_has_no_timers", contract_wait(pid), 0);
	pid = contract_fork();
	if (pid == 0) {
		char self[PATH_MAX], id[16];
		char *args[] = { self, "after-exec", id, NULL };
		timer_t mine;

		if (!realpath(argv[0], self))
			_exit(3);
		memset(&event, 0, sizeof(event));
		event.sigev_notify = SIGEV_NONE;
		if (timer_create(CLOCK_MONOTONIC, &event, &mine) != 0)
			_exit(4);
		snprintf(id, sizeof(id), "%d", kernel_id(mine));
		execv(self, args);
		_exit(5);
	}
	CHECK_EXIT("exec_deletes_timers", contract_wait(pid), 0);

	/* Deleted timers and bad arguments. */
	CHECK("timer_delete", timer_delete(timer) == 0);
	its = setting(10 * MS, 0);
	CHECK_ERRNO("settime_deleted_einval", timer_settime(timer, 0, &its, NULL), EINVAL);
	CHECK_ERRNO("gettime_deleted_einval", timer_gettime(timer, &its), EINVAL);
	/* musl's timer_delete returns the raw error without setting errno. */
	CHECK_ERRNO("delete_twice_einval", syscall(SYS_timer_delete, kernel_id(timer)), EINVAL);
	CHECK_ERRNO("getoverrun_deleted_einval", timer_getoverrun(timer), EINVAL);
	CHECK_ERRNO("settime_null_einval", syscall(SYS_timer_settime, kernel_id(quiet), 0, NULL,
						    NULL), EINVAL);
	its.it_value.tv_nsec = 1000000000;
	CHECK_ERRNO("settime_bad_nsec_einval", timer_settime(quiet, 0, &its, NULL), EINVAL);
	CHECK("timer_delete_none", timer_delete(quiet) == 0);
	memset(&event, 0, sizeof(event));
	event.sigev_notify = SIGEV_SIGNAL;
	event.sigev_signo = SIGUSR1;
	CHECK_ERRNO("bad_clock_einval", syscall(SYS_timer_create, 99, &event, &kid), EINVAL);
	event.sigev_signo = 0;
	CHECK_ERRNO("bad_signal_einval", syscall(SYS_timer_create, CLOCK_MONOTONIC, &event, &kid),
		    EINVAL);
	event.sigev_signo = SIGUSR1;
	event.sigev_notify = 77;
	CHECK_ERRNO("bad_notify_einval", syscall(SYS_timer_create, CLOCK_MONOTONIC, &event, &kid),
		    EINVAL);
	contract_pass();
}
