/*
 * threads/mutex_contention: a pthread mutex keeps a read-modify-write of a
 * plain counter exact while several threads fight for it (a holder yields
 * the CPU inside the critical section, so others must sleep on the lock);
 * trylock on a held mutex gives EBUSY, and an error-checking mutex refuses
 * a relock with EDEADLK.
 */
#include "contract.h"

#include <pthread.h>
#include <sched.h>

#define THREADS 4
#define ROUNDS 5000
#define YIELD_EVERY 16

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static int inside;
static int overlap_seen;

static void *worker(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < ROUNDS; i++) {
		long value;

		pthread_mutex_lock(&lock);
		if (__atomic_add_fetch(&inside, 1, __ATOMIC_SEQ_CST) != 1)
			overlap_seen = 1;
		value = counter;
		if (i % YIELD_EVERY == 0)
			sched_yield();
		counter = value + 1;
		__atomic_sub_fetch(&inside, 1, __ATOMIC_SEQ_CST);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static void *try_lock(void *arg)
{
	(void)arg;
	return (void *)(long)pthread_mutex_trylock(&lock);
}

int main(void)
{
	pthread_t threads[THREADS];
	pthread_mutexattr_t attr;
	pthread_mutex_t checked;
	void *result;
	int i;

	for (i = 0; i < THREADS; i++)
		if (pthread_create(&threads[i], NULL, worker, NULL) != 0)
			contract_fail_why("pthread_create", "failed");
	for (i = 0; i < THREADS; i++)
		pthread_join(threads[i], NULL);
	CHECK_EQ("counter_exact", counter, (long)THREADS * ROUNDS);
	CHECK("never_two_holders", !overlap_seen);

	pthread_mutex_lock(&lock);
	CHECK("trylock_thread", pthread_create(&threads[0], NULL, try_lock, NULL) == 0);
	pthread_join(threads[0], &result);
	CHECK_EQ("trylock_held_ebusy", (long)result, EBUSY);
	pthread_mutex_unlock(&lock);
	CHECK("trylock_thread_again", pthread_create(&threads[0], NULL, try_lock, NULL) == 0);
	pthread_join(threads[0], &result);
	CHECK_EQ("trylock_free_succeeds", (long)result, 0);
	CHECK_EQ("unlock_after_trylock", pthread_mutex_unlock(&lock), 0);

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&checked, &attr);
	CHECK_EQ("errorcheck_lock", pthread_mutex_lock(&checked), 0);
	CHECK_EQ("errorcheck_relock_edeadlk", pthread_mutex_lock(&checked), EDEADLK);
	CHECK_EQ("errorcheck_unlock", pthread_mutex_unlock(&checked), 0);
	CHECK_EQ("errorcheck_unlock_unowned_eperm", pthread_mutex_unlock(&checked), EPERM);
	contract_pass();
}
