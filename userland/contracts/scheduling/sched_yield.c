/*
 * scheduling/sched_yield: sched_yield returns 0, and a process that waits by
 * yielding lets a sibling make progress: two processes take turns a hundred
 * times through shared memory, each yielding while it is not its turn.
 */
#include "contract.h"

#include <sched.h>
#include <sys/mman.h>

#define ROUNDS 100
#define WAIT_LIMIT_MS 10000

struct turn {
	int whose; /* 0: parent, 1: child */
	int count;
};

/* Waits (yielding) for our turn; returns 0 when it took too long. */
static int wait_turn(struct turn *t, int me)
{
	long long deadline = contract_now_ms() + WAIT_LIMIT_MS;

	while (__atomic_load_n(&t->whose, __ATOMIC_SEQ_CST) != me) {
		if (sched_yield() != 0)
			return 0;
		if (contract_now_ms() > deadline)
			return 0;
	}
	return 1;
}

static int play(struct turn *t, int me)
{
	int i;

	for (i = 0; i < ROUNDS; i++) {
		if (!wait_turn(t, me))
			return 0;
		t->count++;
		__atomic_store_n(&t->whose, 1 - me, __ATOMIC_SEQ_CST);
	}
	return 1;
}

int main(void)
{
	struct turn *t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int i, all_zero = 1;
	pid_t pid;

	for (i = 0; i < 10; i++)
		all_zero = all_zero && sched_yield() == 0;
	CHECK("sched_yield_returns_0", all_zero);

	CHECK("mmap_shared", t != MAP_FAILED);
	pid = contract_fork();
	if (pid == 0)
		_exit(play(t, 1) ? 0 : 1);
	CHECK("parent_took_all_turns", play(t, 0));
	CHECK_EXIT("child_took_all_turns", contract_wait(pid), 0);
	CHECK_EQ("turn_count", t->count, 2 * ROUNDS);
	contract_pass();
}
