/*
 * threads/condvar: condition variables hand work from producers to
 * consumers through a small bounded queue without losing or duplicating an
 * item; pthread_cond_broadcast releases every waiter at once (the waiters
 * are moved to the mutex, which a libc may do with FUTEX_REQUEUE);
 * pthread_cond_timedwait gives ETIMEDOUT when nothing signals it.
 */
#include "contract.h"

#include <pthread.h>

#define PRODUCERS 2
#define CONSUMERS 3
#define ITEMS_EACH 2000
#define QUEUE_SLOTS 4
#define WAITERS 6
#define WAIT_LIMIT_MS 10000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static int queue[QUEUE_SLOTS];
static int queued, head;
static int producers_left = PRODUCERS;
static long long consumed_sum;
static int consumed_count;

static void *producer(void *arg)
{
	int base = (int)(long)arg * ITEMS_EACH, i;

	for (i = 1; i <= ITEMS_EACH; i++) {
		pthread_mutex_lock(&lock);
		while (queued == QUEUE_SLOTS)
			pthread_cond_wait(&not_full, &lock);
		queue[(head + queued) % QUEUE_SLOTS] = base + i;
		queued++;
		pthread_cond_signal(&not_empty);
		pthread_mutex_unlock(&lock);
	}
	pthread_mutex_lock(&lock);
	producers_left--;
	pthread_cond_broadcast(&not_empty);
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		while (queued == 0 && producers_left > 0)
			pthread_cond_wait(&not_empty, &lock);
		if (queued == 0)
			break;
		consumed_sum += queue[head];
		consumed_count++;
		head = (head + 1) % QUEUE_SLOTS;
		queued--;
		pthread_cond_signal(&not_full);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

static pthread_cond_t go = PTHREAD_COND_INITIALIZER;
static int started, released, go_flag;

static void *waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	started++;
	while (!go_flag)
		pthread_cond_wait(&go, &lock);
	released++;
	pthread_mutex_unlock(&lock);
	return NULL;
}

static long long expected_sum(void)
{
	long long sum = 0;
	int p, i;

	for (p = 0; p < PRODUCERS; p++)
		for (i = 1; i <= ITEMS_EACH; i++)
			sum += p * ITEMS_EACH + i;
	return sum;
}

int main(void)
{
	pthread_t producers[PRODUCERS], consumers[CONSUMERS], waiters[WAITERS];
	struct timespec deadline;
	long long limit;
	int i, err, ready;

	for (i = 0; i < CONSUMERS; i++)
		pthread_create(&consumers[i], NULL, consumer, NULL);
	for (i = 0; i < PRODUCERS; i++)
		pthread_create(&producers[i], NULL, producer, (void *)(long)i);
	for (i = 0; i < PRODUCERS; i++)
		pthread_join(producers[i], NULL);
	for (i = 0; i < CONSUMERS; i++)
		pthread_join(consumers[i], NULL);
	CHECK_EQ("every_item_consumed_once", consumed_count, PRODUCERS * ITEMS_EACH);
	CHECK("item_sum_matches", consumed_sum == expected_sum());

	for (i = 0; i < WAITERS; i++)
		pthread_create(&waiters[i], NULL, waiter, NULL);
	limit = contract_now_ms() + WAIT_LIMIT_MS;
	do {
		pthread_mutex_lock(&lock);
		ready = started;
		pthread_mutex_unlock(&lock);
		if (ready < WAITERS)
			contract_sleep_ms(2);
	} while (ready < WAITERS && contract_now_ms() < limit);
	CHECK_EQ("waiters_waiting", ready, WAITERS);
	/* Let the last of them reach the futex. */
	contract_sleep_ms(20);
	pthread_mutex_lock(&lock);
	CHECK_EQ("none_released_before_broadcast", released, 0);
	go_flag = 1;
	pthread_cond_broadcast(&go);
	pthread_mutex_unlock(&lock);
	for (i = 0; i < WAITERS; i++)
		pthread_join(waiters[i], NULL);
	CHECK_EQ("broadcast_released_all", released, WAITERS);

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_nsec += 30 * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&lock);
	err = pthread_cond_timedwait(&go, &lock, &deadline);
	pthread_mutex_unlock(&lock);
	CHECK_EQ("timedwait_etimedout", err, ETIMEDOUT);
	contract_pass();
}
