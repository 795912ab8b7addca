/*
 * threads/thread_signals: pthread_kill (tgkill) runs the handler in the
 * thread it names; a signal sent to the process (kill) is taken by a thread
 * that does not block it; a new thread starts with its creator's signal
 * mask; a signal a thread blocks stays pending for that thread only. A stop
 * signal stops every thread of the process, whichever thread takes it (a
 * SIGSTOP from outside, a SIGTSTP one thread raises), the parent hears of
 * the stop once, and SIGCONT sets every thread going again.
 */
#include "contract.h"

#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>

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

/* ---- group stop --------------------------------------------------------- */

#define SPINNERS 2
/* How long counters must stand still to count as stopped. */
#define STILL_MS 100

struct spin_area {
	volatile unsigned long count[SPINNERS];
	volatile int raise_tstp;
};

static struct spin_area *area;

static void *spinner(void *arg)
{
	long index = (long)arg;

	for (;;) {
		area->count[index]++;
		if (index == 1 && area->raise_tstp) {
			area->raise_tstp = 0;
			raise(SIGTSTP);
		}
	}
	return NULL;
}

static void spinning_child(void)
{
	pthread_t threads[SPINNERS];
	long i;

	for (i = 0; i < SPINNERS; i++)
		if (pthread_create(&threads[i], NULL, spinner, (void *)i) != 0)
			_exit(1);
	/* The main thread sleeps: a sleeping thread must stop too. */
	for (;;)
		contract_sleep_ms(5);
}

/* Waits until every spinner has counted past its last value. */
static int all_spinning(void)
{
	unsigned long before[SPINNERS];
	long long deadline = contract_now_ms() + WAIT_LIMIT_MS;
	int i, moved;

	for (i = 0; i < SPINNERS; i++)
		before[i] = area->count[i];
	do {
		moved = 0;
		for (i = 0; i < SPINNERS; i++)
			moved += area->count[i] != before[i];
		if (moved == SPINNERS)
			return 1;
		contract_sleep_ms(1);
	} while (contract_now_ms() < deadline);
	return 0;
}

static int none_spinning(void)
{
	unsigned long before[SPINNERS];
	int i;

	contract_sleep_ms(10);
	for (i = 0; i < SPINNERS; i++)
		before[i] = area->count[i];
	contract_sleep_ms(STILL_MS);
	for (i = 0; i < SPINNERS; i++)
		if (area->count[i] != before[i])
			return 0;
	return 1;
}

static void check_group_stop(void)
{
	pid_t child;
	int status;

	area = mmap(NULL, sizeof(*area), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK("stop_area", area != MAP_FAILED);
	child = contract_fork();
	if (child == 0) {
		/*
		 * A group of its own, whose leader's parent is in another group
		 * of the session: never orphaned, so SIGTSTP is not discarded
		 * however the test itself was started.
		 */
		if (setpgid(0, 0) != 0)
			_exit(2);
		/* Spinners must not outlive a test that failed; best effort. */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		spinning_child();
	}
	CHECK("spinners_run", all_spinning());

	CHECK("sigstop_sent", kill(child, SIGSTOP) == 0);
	CHECK("sigstop_reported", waitpid(child, &status, WUNTRACED) == child &&
					  WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
	CHECK("sigstop_stops_every_thread", none_spinning());
	CHECK("sigcont_sent", kill(child, SIGCONT) == 0);
	CHECK("sigcont_reported",
	      waitpid(child, &status, WCONTINUED) == child && WIFCONTINUED(status));
	CHECK("sigcont_resumes_every_thread", all_spinning());

	area->raise_tstp = 1;
	CHECK("sigtstp_reported", waitpid(child, &status, WUNTRACED) == child &&
					  WIFSTOPPED(status) && WSTOPSIG(status) == SIGTSTP);
	CHECK("sigtstp_stops_every_thread", none_spinning());
	CHECK_EQ("stop_reported_once", waitpid(child, &status, WUNTRACED | WNOHANG), 0);
	CHECK("sigcont_again", kill(child, SIGCONT) == 0);
	CHECK("sigcont_again_resumes_every_thread", all_spinning());

	CHECK("kill_spinners", kill(child, SIGKILL) == 0);
	CHECK_SIGNALED("spinners_killed", contract_wait(child), SIGKILL);
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

	check_group_stop();
	contract_pass();
}
