/*
 * threads/futex_requeue_timeout: a waiter moved to a second futex by
 * FUTEX_REQUEUE that then times out, or is interrupted by a signal, leaves
 * the second futex's queue: nothing is left there for a later FUTEX_WAKE to
 * spend a wake-up on. FUTEX_WAKE_OP reads its 12-bit operation and compare
 * arguments as signed numbers, and takes a shift of 32 or more modulo 32.
 */
#include "contract.h"

#include <limits.h>
#include "futex.h"
#include <pthread.h>

#define WAIT_LIMIT_MS 5000
#define WAITER_TIMEOUT_MS 300

#define futex futex_call


struct waiter {
	int *word;
	int expected;
	int timed;
	volatile pid_t tid;
	long result;
	int err;
	pthread_t thread;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	struct timespec limit = { 0, WAITER_TIMEOUT_MS * 1000000L };

	w->tid = gettid();
	w->result = futex(w->word, FUTEX_WAIT_PRIVATE, w->expected, w->timed ? (long)&limit : 0,
			  NULL, 0);
	w->err = errno;
	return NULL;
}

static void start_waiter(struct waiter *w, int *word, int timed)
{
	w->word = word;
	w->expected = *word;
	w->timed = timed;
	w->tid = 0;
	w->result = -2;
	if (pthread_create(&w->thread, NULL, wait_thread, w) != 0)
		contract_fail_why("pthread_create", "failed");
}

static volatile sig_atomic_t interrupts;

static void on_usr1(int sig)
{
	(void)sig;
	interrupts++;
}

static int word_a, word_b, word_c, word_d;

int main(void)
{
	struct sigaction sa;
	struct waiter w;
	long r;

	/* Requeued, then timed out. */
	start_waiter(&w, &word_a, 1);
	CHECK("timed_waiter_asleep", futex_wait_sleepers(&word_a, 1, WAIT_LIMIT_MS));
	CHECK_EQ("requeue_timed_waiter", futex(&word_a, FUTEX_REQUEUE_PRIVATE, 0, 1, &word_b, 0), 1);
	pthread_join(w.thread, NULL);
	contract_check_errno("requeued_waiter_times_out", w.result, w.err, ETIMEDOUT);
	CHECK_EQ("timed_out_waiter_left_new_queue", futex_sleepers(&word_b), 0);
	CHECK_EQ("timed_out_waiter_left_old_queue", futex_sleepers(&word_a), 0);
	CHECK_EQ("wake_after_timeout_wakes_nobody",
		 futex(&word_b, FUTEX_WAKE_PRIVATE, INT_MAX, 0, NULL, 0), 0);

	/* Requeued, then interrupted by a handler without SA_RESTART. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	CHECK("sigaction", sigaction(SIGUSR1, &sa, NULL) == 0);
	start_waiter(&w, &word_a, 0);
	CHECK("interrupted_waiter_asleep", futex_wait_sleepers(&word_a, 1, WAIT_LIMIT_MS));
	CHECK_EQ("requeue_untimed_waiter",
		 futex(&word_a, FUTEX_CMP_REQUEUE_PRIVATE, 0, 1, &word_b, word_a), 1);
	CHECK("tgkill", syscall(SYS_tgkill, getpid(), w.tid, SIGUSR1) == 0);
	pthread_join(w.thread, NULL);
	contract_check_errno("requeued_waiter_interrupted", w.result, w.err, EINTR);
	CHECK_EQ("handler_ran", interrupts, 1);
	CHECK_EQ("interrupted_waiter_left_new_queue", futex_sleepers(&word_b), 0);
	CHECK_EQ("wake_after_signal_wakes_nobody",
		 futex(&word_b, FUTEX_WAKE_PRIVATE, INT_MAX, 0, NULL, 0), 0);

	/* A requeued waiter still wakes through its new futex. */
	start_waiter(&w, &word_a, 0);
	CHECK("moved_waiter_asleep", futex_wait_sleepers(&word_a, 1, WAIT_LIMIT_MS));
	CHECK_EQ("requeue_moved_waiter", futex(&word_a, FUTEX_REQUEUE_PRIVATE, 0, 1, &word_b, 0), 1);
	CHECK_EQ("wake_moved_waiter", futex(&word_b, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0), 1);
	pthread_join(w.thread, NULL);
	CHECK_EQ("moved_waiter_returns_0", w.result, 0);

	/* WAKE_OP: an oparg of 0xfff is -1. */
	word_c = 5;
	r = futex(&word_a, FUTEX_WAKE_OP_PRIVATE, 0, 0, &word_c,
		  FUTEX_OP(FUTEX_OP_ADD, -1, FUTEX_OP_CMP_EQ, 0));
	CHECK_EQ("wake_op_add_minus_one_returns", r, 0);
	CHECK_EQ("wake_op_add_minus_one", word_c, 4);

	/* A cmparg of 0xfff is -1, and 4 > -1. */
	start_waiter(&w, &word_c, 0);
	CHECK("cmparg_waiter_asleep", futex_wait_sleepers(&word_c, 1, WAIT_LIMIT_MS));
	r = futex(&word_a, FUTEX_WAKE_OP_PRIVATE, 0, 1, &word_c,
		  FUTEX_OP(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_GT, -1));
	CHECK_EQ("wake_op_negative_cmparg_wakes", r, 1);
	pthread_join(w.thread, NULL);
	CHECK_EQ("cmparg_waiter_returns_0", w.result, 0);

	/* SET -3, compared with -3: the word keeps its value and the waiter wakes. */
	word_d = -3;
	start_waiter(&w, &word_d, 0);
	CHECK("set_waiter_asleep", futex_wait_sleepers(&word_d, 1, WAIT_LIMIT_MS));
	r = futex(&word_a, FUTEX_WAKE_OP_PRIVATE, 0, 1, &word_d,
		  FUTEX_OP(FUTEX_OP_SET, -3, FUTEX_OP_CMP_EQ, -3));
	CHECK_EQ("wake_op_negative_set_wakes", r, 1);
	CHECK_EQ("wake_op_negative_set_stored", word_d, -3);
	pthread_join(w.thread, NULL);

	/* FUTEX_OP_OPARG_SHIFT with 33 shifts by 1. */
	word_d = 0;
	r = futex(&word_a, FUTEX_WAKE_OP_PRIVATE, 0, 0, &word_d,
		  FUTEX_OP(FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, 33, FUTEX_OP_CMP_EQ, 0));
	CHECK_EQ("wake_op_shift_returns", r, 0);
	CHECK_EQ("wake_op_shift_modulo_32", word_d, 2);
	contract_pass();
}
