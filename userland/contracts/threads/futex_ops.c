/*
 * threads/futex_ops: the futex operations thread libraries build on.
 * FUTEX_WAIT returns EAGAIN when the word already changed and ETIMEDOUT
 * when its timeout passes (relative, or absolute for FUTEX_WAIT_BITSET);
 * FUTEX_WAKE wakes a sleeper and reports how many it woke; the bitset
 * variants wake only waiters whose bits match; FUTEX_CMP_REQUEUE checks the
 * word, wakes some waiters and moves the rest to a second futex, and
 * FUTEX_REQUEUE does the same unchecked; FUTEX_WAKE_OP changes a second
 * word and wakes its waiters only when the old value passes the compare.
 */
#include "contract.h"

#include <limits.h>
#include "futex.h"
#include <pthread.h>
#include <sched.h>

#define WAIT_LIMIT_MS 5000
#define WAITERS 3

#define futex futex_call


struct waiter {
	int *word;
	int op;
	int bitset;
	long result;
	int err;
	pthread_t thread;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	struct timespec limit = { 10, 0 };

	/* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline. */
	if ((w->op & ~FUTEX_PRIVATE_FLAG) == FUTEX_WAIT_BITSET) {
		clock_gettime(CLOCK_MONOTONIC, &limit);
		limit.tv_sec += 10;
	}
	w->result = futex(w->word, w->op, *w->word, (long)&limit, NULL, w->bitset);
	w->err = errno;
	return NULL;
}

static void start_waiter(struct waiter *w, int *word, int op, int bitset)
{
	w->word = word;
	w->op = op;
	w->bitset = bitset;
	w->result = -2;
	if (pthread_create(&w->thread, NULL, wait_thread, w) != 0)
		contract_fail_why("pthread_create", "failed");
}

static int word_a, word_b;

int main(void)
{
	struct waiter w[WAITERS], single, other;
	struct timespec short_wait = { 0, 30 * 1000000L };
	struct timespec past;
	long long start;
	long r;
	int i, ok;

	CHECK_ERRNO("wait_value_changed_eagain", futex(&word_a, FUTEX_WAIT_PRIVATE, 1, 0, NULL, 0),
		    EAGAIN);
	start = contract_now_ms();
	CHECK_ERRNO("wait_timeout_etimedout",
		    futex(&word_a, FUTEX_WAIT_PRIVATE, 0, (long)&short_wait, NULL, 0), ETIMEDOUT);
	CHECK("wait_timeout_waited", contract_now_ms() - start >= 25);
	/* One nanosecond after boot: past on any machine. */
	past.tv_sec = 0;
	past.tv_nsec = 1;
	CHECK_ERRNO("wait_bitset_absolute_past_etimedout",
		    futex(&word_a, FUTEX_WAIT_BITSET_PRIVATE, 0, (long)&past, NULL,
			  FUTEX_BITSET_MATCH_ANY),
		    ETIMEDOUT);
	CHECK_ERRNO("wait_bitset_zero_einval",
		    futex(&word_a, FUTEX_WAIT_BITSET_PRIVATE, 0, 0, NULL, 0), EINVAL);
	CHECK_EQ("wake_nobody", futex(&word_a, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0), 0);

	/* WAKE. */
	start_waiter(&single, &word_a, FUTEX_WAIT_PRIVATE, 0);
	CHECK("waiter_asleep", futex_wait_sleepers(&word_a, 1, WAIT_LIMIT_MS));
	CHECK_EQ("wake_one", futex(&word_a, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0), 1);
	pthread_join(single.thread, NULL);
	CHECK_EQ("woken_wait_returns_0", single.result, 0);

	/* Bitsets. */
	start_waiter(&single, &word_a, FUTEX_WAIT_BITSET_PRIVATE, 0x1);
	CHECK("bitset_waiter_asleep", futex_wait_sleepers(&word_a, 1, WAIT_LIMIT_MS));
	CHECK_EQ("wake_bitset_other_bits",
		 futex(&word_a, FUTEX_WAKE_BITSET_PRIVATE, 1, 0, NULL, 0x2), 0);
	CHECK_EQ("wake_bitset_matching", futex(&word_a, FUTEX_WAKE_BITSET_PRIVATE, 1, 0, NULL, 0x3),
		 1);
	pthread_join(single.thread, NULL);
	CHECK_EQ("bitset_wait_returns_0", single.result, 0);

	/* CMP_REQUEUE: one woken, two moved to word_b. */
	for (i = 0; i < WAITERS; i++)
		start_waiter(&w[i], &word_a, FUTEX_WAIT_PRIVATE, 0);
	CHECK("requeue_waiters_asleep", futex_wait_sleepers(&word_a, WAITERS, WAIT_LIMIT_MS));
	CHECK_ERRNO("cmp_requeue_value_changed_eagain",
		    futex(&word_a, FUTEX_CMP_REQUEUE_PRIVATE, 1, INT_MAX, &word_b, 5), EAGAIN);
	r = futex(&word_a, FUTEX_CMP_REQUEUE_PRIVATE, 1, INT_MAX, &word_b, 0);
	CHECK_EQ("cmp_requeue_woken_plus_moved", r, WAITERS);
	CHECK_EQ("requeued_left_first_word", futex_sleepers(&word_a), 0);
	CHECK_EQ("requeued_on_second_word", futex_sleepers(&word_b), WAITERS - 1);
	CHECK_EQ("wake_requeued", futex(&word_b, FUTEX_WAKE_PRIVATE, INT_MAX, 0, NULL, 0),
		 WAITERS - 1);
	ok = 1;
	for (i = 0; i < WAITERS; i++) {
		pthread_join(w[i].thread, NULL);
		ok &= w[i].result == 0;
	}
	CHECK("requeued_waits_return_0", ok);

	/* Plain REQUEUE: none woken, one moved. */
	start_waiter(&single, &word_a, FUTEX_WAIT_PRIVATE, 0);
	CHECK("plain_requeue_waiter_asleep", futex_wait_sleepers(&word_a, 1, WAIT_LIMIT_MS));
	CHECK_EQ("plain_requeue", futex(&word_a, FUTEX_REQUEUE_PRIVATE, 0, 1, &word_b, 0), 1);
	CHECK_EQ("plain_requeue_moved", futex_sleepers(&word_b), 1);
	CHECK_EQ("plain_requeue_wake", futex(&word_b, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0), 1);
	pthread_join(single.thread, NULL);

	/* WAKE_OP: set word_b to 5, wake word_a; wake word_b when it was 0. */
	start_waiter(&single, &word_a, FUTEX_WAIT_PRIVATE, 0);
	start_waiter(&other, &word_b, FUTEX_WAIT_PRIVATE, 0);
	CHECK("wake_op_waiters_asleep", futex_wait_sleepers(&word_a, 1, WAIT_LIMIT_MS) &&
						   futex_wait_sleepers(&word_b, 1, WAIT_LIMIT_MS));
	r = futex(&word_a, FUTEX_WAKE_OP_PRIVATE, 1, 1, &word_b,
		  FUTEX_OP(FUTEX_OP_SET, 5, FUTEX_OP_CMP_EQ, 0));
	CHECK_EQ("wake_op_wakes_both", r, 2);
	CHECK_EQ("wake_op_stored", word_b, 5);
	pthread_join(single.thread, NULL);
	pthread_join(other.thread, NULL);

	/* WAKE_OP whose compare fails: word_b += 1, only word_a's waiter wakes. */
	start_waiter(&single, &word_a, FUTEX_WAIT_PRIVATE, 0);
	start_waiter(&other, &word_b, FUTEX_WAIT_PRIVATE, 0);
	CHECK("wake_op2_waiters_asleep", futex_wait_sleepers(&word_a, 1, WAIT_LIMIT_MS) &&
						   futex_wait_sleepers(&word_b, 1, WAIT_LIMIT_MS));
	r = futex(&word_a, FUTEX_WAKE_OP_PRIVATE, 1, 1, &word_b,
		  FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_GT, 100));
	CHECK_EQ("wake_op_compare_fails", r, 1);
	CHECK_EQ("wake_op_added", word_b, 6);
	CHECK_EQ("second_waiter_still_asleep", futex_sleepers(&word_b), 1);
	pthread_join(single.thread, NULL);
	CHECK_EQ("wake_left_waiter", futex(&word_b, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0), 1);
	pthread_join(other.thread, NULL);
	contract_pass();
}
