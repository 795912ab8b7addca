/*
 * threads/pthread_basic: pthread_create passes its argument and
 * pthread_join returns the thread's result; every thread has its own thread
 * id (gettid, never the process id) and sees the process id of the whole
 * group (getpid); thread-local variables start from their initial value in
 * each thread and are private to it; threads share ordinary memory.
 */
#include "contract.h"

#include <pthread.h>

#define THREADS 8
#define TLS_INITIAL 7

static __thread int tls_value = TLS_INITIAL;
static int shared_slots[THREADS];

struct report {
	long index;
	pid_t tid;
	pid_t pid;
	int tls_at_start;
	int tls_at_end;
	int *tls_address;
};

static void *worker(void *arg)
{
	struct report *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->index = (long)arg;
	r->tid = (pid_t)syscall(SYS_gettid);
	r->pid = getpid();
	r->tls_at_start = tls_value;
	tls_value += (int)r->index * 10;
	/* Give the other threads a chance to run and touch their own copy. */
	sched_yield();
	contract_sleep_ms(5);
	r->tls_at_end = tls_value;
	r->tls_address = &tls_value;
	shared_slots[r->index] = (int)r->index + 100;
	return r;
}

int main(void)
{
	pthread_t threads[THREADS];
	struct report *reports[THREADS];
	pid_t pid = getpid();
	int i, j, ok;

	CHECK_EQ("main_tid_is_pid", syscall(SYS_gettid), pid);
	tls_value = 1;
	for (i = 0; i < THREADS; i++) {
		int err = pthread_create(&threads[i], NULL, worker, (void *)(long)i);

		if (err)
			contract_fail("pthread_create", err);
	}
	contract_ok("pthread_create");
	for (i = 0; i < THREADS; i++) {
		void *result = NULL;
		int err = pthread_join(threads[i], &result);

		if (err)
			contract_fail("pthread_join", err);
		reports[i] = result;
		if (!reports[i])
			contract_fail_why("pthread_join", "no result");
	}
	contract_ok("pthread_join");

	ok = 1;
	for (i = 0; i < THREADS; i++)
		ok &= reports[i]->index == i;
	CHECK("argument_and_result_round_trip", ok);

	ok = 1;
	for (i = 0; i < THREADS; i++)
		ok &= reports[i]->pid == pid;
	CHECK("getpid_same_in_every_thread", ok);

	ok = 1;
	for (i = 0; i < THREADS; i++) {
		ok &= reports[i]->tid != pid && reports[i]->tid > 0;
		for (j = 0; j < i; j++)
			ok &= reports[i]->tid != reports[j]->tid;
	}
	CHECK("gettid_distinct_and_not_pid", ok);

	ok = 1;
	for (i = 0; i < THREADS; i++)
		ok &= reports[i]->tls_at_start == TLS_INITIAL;
	CHECK("tls_starts_from_initial_value", ok);

	ok = 1;
	for (i = 0; i < THREADS; i++) {
		ok &= reports[i]->tls_at_end == TLS_INITIAL + i * 10;
		ok &= reports[i]->tls_address != &tls_value;
		for (j = 0; j < i; j++)
			ok &= reports[i]->tls_address != reports[j]->tls_address;
	}
	CHECK("tls_private_per_thread", ok);
	CHECK_EQ("main_tls_untouched", tls_value, 1);

	ok = 1;
	for (i = 0; i < THREADS; i++)
		ok &= shared_slots[i] == i + 100;
	CHECK("memory_shared", ok);
	CHECK_EQ("main_tid_unchanged", syscall(SYS_gettid), pid);
	contract_pass();
}
