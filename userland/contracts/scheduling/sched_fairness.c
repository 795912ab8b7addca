/*
 * scheduling/sched_fairness: forked children are all scheduled, run to
 * completion and report their exit codes. Each child spins, without ever
 * yielding, until every sibling has started: this only finishes when the
 * scheduler preempts a running child to run the others.
 */
#include "contract.h"

#include <sys/mman.h>

#define CHILDREN 4
#define SPIN_LIMIT_MS 10000
#define WORK_ROUNDS 2000000

struct board {
	int started[CHILDREN];
	unsigned long result[CHILDREN];
};

static unsigned long work(unsigned long seed)
{
	unsigned long x = seed;
	long i;

	for (i = 0; i < WORK_ROUNDS; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	return x;
}

static int all_started(struct board *b)
{
	int i;

	for (i = 0; i < CHILDREN; i++) {
		if (!__atomic_load_n(&b->started[i], __ATOMIC_SEQ_CST))
			return 0;
	}
	return 1;
}

static int child(struct board *b, int index)
{
	long long deadline = contract_now_ms() + SPIN_LIMIT_MS;
	unsigned long spins = 0;

	__atomic_store_n(&b->started[index], 1, __ATOMIC_SEQ_CST);
	while (!all_started(b)) {
		/* Look at the clock only now and then: the loop is pure CPU. */
		if (++spins % 100000 == 0 && contract_now_ms() > deadline)
			return 100;
	}
	b->result[index] = work((unsigned long)index);
	return 10 + index;
}

int main(void)
{
	struct board *b = mmap(NULL, sizeof(*b), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pids[CHILDREN];
	int i, reaped = 0;

	CHECK("mmap_shared_board", b != MAP_FAILED);
	for (i = 0; i < CHILDREN; i++) {
		pids[i] = contract_fork();
		if (pids[i] == 0)
			_exit(child(b, i));
	}

	/* Reap in whatever order they finish; match each PID to its index. */
	while (reaped < CHILDREN) {
		int status, j;
		pid_t pid = wait(&status);

		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			contract_fail("wait", errno);
		for (j = 0; j < CHILDREN && pids[j] != pid; j++)
			;
		if (j == CHILDREN)
			contract_fail_why("wait_returns_own_child", "unknown pid");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 10 + j)
			CHECK_EXIT("child_exit_code", status, 10 + j);
		pids[j] = -1;
		reaped++;
	}
	contract_ok("all_children_exit_codes");
	CHECK_ERRNO("no_children_left", wait(NULL), ECHILD);

	for (i = 0; i < CHILDREN; i++) {
		if (b->result[i] != work((unsigned long)i))
			contract_fail_why("children_results", "wrong result");
	}
	contract_ok("children_results");
	contract_pass();
}
