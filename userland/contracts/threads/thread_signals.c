/*
 * threads/thread_signals: pthread_kill (tgkill) runs the handler in the
 * thread it names; a signal sent to the process (kill) is taken by a thread
 * that does not block it; a new thread starts with its creator's signal
 * mask; a signal a thread blocks stays pending for that thread only.
 */
#include "contract.h"

#include <pthread.h>
#include <sched.h>

#define WAIT_LIMIT_MS 5000

static volatile pid_t handled_by;
static volatile int handled_count;

static void on_usr1(int sig)
{
	(void)sig;
	handled_by = (pid_t)syscall(SYS_gettid);
	handled_count++;
}

static volatile int stop;
static volatile pid_t worker_tid;
static volatile int worker_mask_ok;

static void *worker(void *arg)
{
	sigset_t current;

	(void)arg;
	pthread_sigmask(SIG_SETMASK, NULL, &current);
	worker_mask_ok = sigismember(&current, SIGUSR2) && !sigismember(&current, SIGUSR1);
	worker_tid = (pid_t)syscall(SYS_gettid);
	while (!stop)
		contract_sleep_ms(1);
	return NULL;
}

static int wait_count(int count)
{
	long long deadline = contract_now_ms() + WAIT_LIMIT_MS;

	while (handled_count < count && contract_now_ms() < deadline)
		sched_yield();
	return handled_count >= count;
}

int main(void)
{
	struct sigaction act;
	sigset_t set, pending;
	pthread_t thread;
	long long deadline;

	memset(&act, 0, sizeof(act));
	act.sa_handler = on_usr1;
	CHECK("sigaction", sigaction(SIGUSR1, &act, NULL) == 0);

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	CHECK("create", pthread_create(&thread, NULL, worker, NULL) == 0);
	deadline = contract_now_ms() + WAIT_LIMIT_MS;
	while (!worker_tid && contract_now_ms() < deadline)
		sched_yield();
	CHECK("worker_started", worker_tid != 0);
	CHECK("mask_inherited", worker_mask_ok);

	CHECK_EQ("pthread_kill", pthread_kill(thread, SIGUSR1), 0);
	CHECK("handled", wait_count(1));
	CHECK("handled_in_named_thread", handled_by == worker_tid);

	CHECK_EQ("raise_self", raise(SIGUSR1), 0);
	CHECK("handled_again", wait_count(2));
	CHECK("raise_handled_in_caller", handled_by == (pid_t)syscall(SYS_gettid));

	/* The main thread blocks SIGUSR1: a process signal goes to the worker. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	CHECK("kill_process", kill(getpid(), SIGUSR1) == 0);
	CHECK("process_signal_handled", wait_count(3));
	CHECK("taken_by_unblocking_thread", handled_by == worker_tid);

	/* A thread-directed signal the main thread blocks waits for it. */
	CHECK_EQ("pthread_kill_self_blocked", pthread_kill(pthread_self(), SIGUSR1), 0);
	contract_sleep_ms(20);
	CHECK_EQ("not_taken_by_other_thread", handled_count, 3);
	sigpending(&pending);
	CHECK("pending_for_main", sigismember(&pending, SIGUSR1));
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	CHECK_EQ("delivered_on_unblock", handled_count, 4);
	CHECK("delivered_to_main", handled_by == (pid_t)syscall(SYS_gettid));

	stop = 1;
	pthread_join(thread, NULL);
	contract_pass();
}
