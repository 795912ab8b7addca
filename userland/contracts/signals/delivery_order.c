/*
 * signals/delivery_order: a blocked standard signal sent twice is delivered
 * once after unblocking; several blocked standard signals are delivered
 * lowest number first when each handler blocks all signals; a real-time
 * signal sent three times is delivered three times, in sending order.
 */
#include "contract.h"

#define MAX_EVENTS 16

static volatile int events[MAX_EVENTS];
static volatile int values[MAX_EVENTS];
static volatile int event_count;

static void record(int sig, siginfo_t *info, void *context)
{
	(void)context;
	if (event_count < MAX_EVENTS) {
		events[event_count] = sig;
		values[event_count] = info->si_value.sival_int;
		event_count++;
	}
}

static void install(int sig)
{
	struct sigaction act;

	memset(&act, 0, sizeof(act));
	act.sa_sigaction = record;
	act.sa_flags = SA_SIGINFO;
	sigfillset(&act.sa_mask);
	if (sigaction(sig, &act, NULL) != 0)
		contract_fail("sigaction", errno);
}

static void mask(int how, int a, int b, int c)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, a);
	if (b)
		sigaddset(&set, b);
	if (c)
		sigaddset(&set, c);
	if (sigprocmask(how, &set, NULL) != 0)
		contract_fail("sigprocmask", errno);
}

int main(void)
{
	const int rt = SIGRTMIN + 2;
	sigset_t pending;
	int i, in_order;

	install(SIGUSR1);
	install(SIGUSR2);
	install(SIGTERM);
	install(rt);

	/* The same standard signal twice while blocked: one delivery. */
	mask(SIG_BLOCK, SIGUSR1, 0, 0);
	CHECK("kill_first", kill(getpid(), SIGUSR1) == 0);
	CHECK("kill_second", kill(getpid(), SIGUSR1) == 0);
	CHECK_EQ("nothing_delivered_while_blocked", event_count, 0);
	CHECK("sigpending", sigpending(&pending) == 0);
	CHECK("usr1_pending", sigismember(&pending, SIGUSR1) == 1);
	mask(SIG_UNBLOCK, SIGUSR1, 0, 0);
	CHECK_EQ("delivered_once", event_count, 1);
	CHECK_EQ("delivered_signal_is_usr1", events[0], SIGUSR1);
	CHECK("sigpending_after", sigpending(&pending) == 0);
	CHECK("usr1_no_longer_pending", sigismember(&pending, SIGUSR1) == 0);

	/* Three different standard signals: lowest number first. */
	event_count = 0;
	mask(SIG_BLOCK, SIGUSR1, SIGUSR2, SIGTERM);
	kill(getpid(), SIGTERM);
	kill(getpid(), SIGUSR2);
	kill(getpid(), SIGUSR1);
	mask(SIG_UNBLOCK, SIGUSR1, SIGUSR2, SIGTERM);
	CHECK_EQ("three_signals_delivered", event_count, 3);
	CHECK("lowest_number_first",
	      events[0] == SIGUSR1 && events[1] == SIGUSR2 && events[2] == SIGTERM);

	/* A real-time signal queues every instance, in order. */
	event_count = 0;
	mask(SIG_BLOCK, rt, 0, 0);
	for (i = 1; i <= 3; i++) {
		union sigval value = { .sival_int = i };

		if (sigqueue(getpid(), rt, value) != 0)
			contract_fail("sigqueue", errno);
	}
	CHECK_EQ("rt_nothing_while_blocked", event_count, 0);
	mask(SIG_UNBLOCK, rt, 0, 0);
	CHECK_EQ("rt_delivered_three_times", event_count, 3);
	in_order = 1;
	for (i = 0; i < 3; i++)
		in_order = in_order && events[i] == rt && values[i] == i + 1;
	CHECK("rt_delivered_in_order", in_order);
	contract_pass();
}
