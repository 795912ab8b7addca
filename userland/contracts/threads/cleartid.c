/*
 * threads/cleartid: clone with CLONE_PARENT_SETTID and CLONE_CHILD_SETTID
 * stores the new thread id in both places; at the thread's exit the kernel
 * zeroes the CLONE_CHILD_CLEARTID word and wakes a futex waiter on it (what
 * pthread_join relies on). A thread ending with SYS_exit ends only itself.
 */
#include "contract.h"

#include "futex.h"
#include <sched.h>

#define STACK_BYTES (64 * 1024)
#define WAIT_LIMIT_MS 5000

static volatile pid_t parent_tid_word;
static volatile pid_t child_tid_word;
static volatile pid_t seen_tid, seen_pid;
static volatile int child_ran;

static int thread_main(void *arg)
{
	struct timespec ts = { 0, 200 * 1000000L };

	(void)arg;
	seen_tid = (pid_t)syscall(SYS_gettid);
	seen_pid = (pid_t)syscall(SYS_getpid);
	child_ran = 1;
	/* Still asleep when the parent starts waiting on the word. */
	syscall(SYS_nanosleep, &ts, NULL);
	syscall(SYS_exit, 0);
	return 0;
}

int main(void)
{
	int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
		    CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID |
		    CLONE_CHILD_CLEARTID;
	char *stack = malloc(STACK_BYTES);
	long long deadline;
	pid_t tid;
	int woken = 0;

	CHECK("stack", stack != NULL);
	tid = clone(thread_main, stack + STACK_BYTES, flags, NULL, &parent_tid_word, NULL,
		    &child_tid_word);
	CHECK("clone_thread", tid > 0);
	CHECK("parent_settid_stored", parent_tid_word == tid);

	deadline = contract_now_ms() + WAIT_LIMIT_MS;
	while (!child_ran && contract_now_ms() < deadline)
		sched_yield();
	CHECK("thread_ran", child_ran);
	CHECK("thread_tid_matches", seen_tid == tid);
	CHECK("thread_shares_pid", seen_pid == getpid());
	CHECK("thread_tid_not_pid", tid != getpid());

	/* The word holds the tid until the thread exits (or already is 0). */
	CHECK("child_settid_stored", child_tid_word == tid || child_tid_word == 0);
	while (child_tid_word != 0 && contract_now_ms() < deadline) {
		struct timespec ts = { 1, 0 };
		long r = syscall(SYS_futex, &child_tid_word, FUTEX_WAIT, tid, &ts, NULL, 0);

		if (r == 0)
			woken = 1;
	}
	CHECK("cleartid_zeroed", child_tid_word == 0);
	CHECK("futex_woken_at_exit", woken);
	CHECK("process_still_alive", getpid() > 0);
	/* The id goes away once the thread is fully gone, just after. */
	while (syscall(SYS_tgkill, getpid(), tid, 0) == 0 && contract_now_ms() < deadline)
		sched_yield();
	CHECK_ERRNO("thread_gone", syscall(SYS_tgkill, getpid(), tid, 0), ESRCH);
	contract_pass();
}
