// contract: cc=gcc
/*
 * threads/glibc_pthreads: the same pthread basics as a static glibc program
 * (glibc sets up threads with clone3 or clone, rseq and robust lists, and
 * waits with its own futex patterns): create and join, a contended mutex,
 * a condition variable broadcast, thread-local storage, and thread ids.
 */
#include "contract.h"

#include <pthread.h>
#include <sched.h>

#define THREADS 4
#define ROUNDS 2000
#define TLS_INITIAL 11

static __thread int tls_value = TLS_INITIAL;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go = PTHREAD_COND_INITIALIZER;
static long counter;
static int started, released, go_flag;

struct report {
	pid_t tid;
	pid_t pid;
	int tls_ok;
};

static void *worker(void *arg)
{
	struct report *r = calloc(1, sizeof(*r));
	long index = (long)arg;
	int i;

	r->tid = (pid_t)syscall(SYS_gettid);
	r->pid = getpid();
	r->tls_ok = tls_value == TLS_INITIAL;
	tls_value = (int)index;
	for (i = 0; i < ROUNDS; i++) {
		long value;

		pthread_mutex_lock(&lock);
		value = counter;
		if (i % 32 == 0)
			sched_yield();
		counter = value + 1;
		pthread_mutex_unlock(&lock);
	}
	r->tls_ok &= tls_value == (int)index;

	pthread_mutex_lock(&lock);
	started++;
	while (!go_flag)
		pthread_cond_wait(&go, &lock);
	released++;
	pthread_mutex_unlock(&lock);
	return r;
}

int main(void)
{
	pthread_t threads[THREADS];
	struct report *reports[THREADS];
	long long deadline;
	int i, j, ok, ready;

	for (i = 0; i < THREADS; i++)
		if (pthread_create(&threads[i], NULL, worker, (void *)(long)i) != 0)
			contract_fail_why("pthread_create", "failed");
	contract_ok("pthread_create");

	deadline = contract_now_ms() + 10000;
	do {
		pthread_mutex_lock(&lock);
		ready = started;
		pthread_mutex_unlock(&lock);
		if (ready < THREADS)
			contract_sleep_ms(2);
	} while (ready < THREADS && contract_now_ms() < deadline);
	CHECK_EQ("all_waiting", ready, THREADS);
	pthread_mutex_lock(&lock);
	go_flag = 1;
	pthread_cond_broadcast(&go);
	pthread_mutex_unlock(&lock);

	for (i = 0; i < THREADS; i++)
		if (pthread_join(threads[i], (void **)&reports[i]) != 0 || !reports[i])
			contract_fail_why("pthread_join", "failed");
	contract_ok("pthread_join");
	CHECK_EQ("broadcast_released_all", released, THREADS);
	CHECK_EQ("mutex_counter_exact", counter, (long)THREADS * ROUNDS);

	ok = 1;
	for (i = 0; i < THREADS; i++) {
		ok &= reports[i]->pid == getpid() && reports[i]->tid != getpid();
		for (j = 0; j < i; j++)
			ok &= reports[i]->tid != reports[j]->tid;
	}
	CHECK("thread_ids", ok);
	ok = 1;
	for (i = 0; i < THREADS; i++)
		ok &= reports[i]->tls_ok;
	CHECK("tls_per_thread", ok);
	CHECK_EQ("main_tls_untouched", tls_value, TLS_INITIAL);
	contract_pass();
}
