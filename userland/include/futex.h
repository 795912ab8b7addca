/*
 * futex.h - futex(2) numbers and a raw wrapper, for tests built with
 * musl-gcc, which has no <linux/futex.h>. Values are the Linux ABI's.
 */
#ifndef KESTREL_FUTEX_H
#define KESTREL_FUTEX_H

#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256

#define FUTEX_WAIT_PRIVATE (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)
#define FUTEX_REQUEUE_PRIVATE (FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG)
#define FUTEX_CMP_REQUEUE_PRIVATE (FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_OP_PRIVATE (FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAIT_BITSET_PRIVATE (FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_BITSET_PRIVATE (FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG)

#define FUTEX_BITSET_MATCH_ANY 0xffffffff

#define FUTEX_OP_SET 0
#define FUTEX_OP_ADD 1
#define FUTEX_OP_OR 2
#define FUTEX_OP_ANDN 3
#define FUTEX_OP_XOR 4
/* Or-ed into op: the operation argument is a shift count, 1 << oparg. */
#define FUTEX_OP_OPARG_SHIFT 8
#define FUTEX_OP_CMP_EQ 0
#define FUTEX_OP_CMP_NE 1
#define FUTEX_OP_CMP_LT 2
#define FUTEX_OP_CMP_LE 3
#define FUTEX_OP_CMP_GT 4
#define FUTEX_OP_CMP_GE 5
#define FUTEX_OP(op, oparg, cmp, cmparg)                                        \
	((((op) & 0xf) << 28) | (((cmp) & 0xf) << 24) | (((oparg) & 0xfff) << 12) | \
	 ((cmparg) & 0xfff))

/* futex(2) with every argument, returning the raw result (-1 and errno). */
static inline long futex_call(int *uaddr, int op, int val, long val2, int *uaddr2, int val3)
{
	return syscall(SYS_futex, uaddr, op, val, val2, uaddr2, val3);
}

/*
 * How many tasks sleep on a private futex word, woken none: a CMP_REQUEUE of
 * the word onto itself that wakes nobody returns how many it moved.
 */
static inline long futex_sleepers(int *word)
{
	return futex_call(word, FUTEX_CMP_REQUEUE_PRIVATE, 0, 0x7fffffff, word, *word);
}

/* Polls until `count` tasks sleep on `word`; 0 when `limit_ms` passes first. */
static inline int futex_wait_sleepers(int *word, long count, long long limit_ms)
{
	struct timespec pause = { 0, 1000000 };
	struct timespec now;
	long long deadline;

	clock_gettime(CLOCK_MONOTONIC, &now);
	deadline = now.tv_sec * 1000LL + now.tv_nsec / 1000000 + limit_ms;
	while (futex_sleepers(word) != count) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec * 1000LL + now.tv_nsec / 1000000 > deadline)
			return 0;
		nanosleep(&pause, NULL);
	}
	return 1;
}

#endif /* KESTREL_FUTEX_H */
