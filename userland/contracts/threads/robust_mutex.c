// contract: cc=gcc
/*
 * threads/robust_mutex: robust futex lists. set_robust_list takes only
 * sizeof(struct robust_list_head) and get_robust_list gives back what was
 * set (ESRCH for no such thread, EPERM for another user's). When the owner
 * of a PTHREAD_MUTEX_ROBUST mutex dies holding it, the kernel marks the
 * lock word FUTEX_OWNER_DIED and wakes a waiter: the next pthread_mutex_lock
 * returns EOWNERDEAD, and after pthread_mutex_consistent the mutex works
 * again. The owner here is a thread that returns (glibc leaves its list to
 * the kernel), a child process that _exits holding a PTHREAD_PROCESS_SHARED
 * mutex in a MAP_SHARED mapping, and a child killed while another thread
 * of the parent sleeps in pthread_mutex_lock.
 */
#include "contract.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#define WAIT_LIMIT_MS 5000
/* An unprivileged uid that owns no other process. */
#define OTHER_UID 54321

static long set_list(void *head, size_t len)
{
	return syscall(SYS_set_robust_list, head, len);
}

static long get_list(pid_t pid, void **head, size_t *len)
{
	return syscall(SYS_get_robust_list, pid, head, len);
}

static void init_robust(pthread_mutex_t *m, int pshared)
{
	pthread_mutexattr_t attr;

	pthread_mutexattr_init(&attr);
	if (pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST) != 0)
		contract_fail_why("setrobust", "failed");
	if (pshared && pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) != 0)
		contract_fail_why("setpshared", "failed");
	if (pthread_mutex_init(m, &attr) != 0)
		contract_fail_why("mutex_init", "failed");
	pthread_mutexattr_destroy(&attr);
}

/* Locks an owner-dead mutex, repairs it, and checks it works again. */
static void check_recovery(const char *what, pthread_mutex_t *m, int lock_result)
{
	char name[96];

	snprintf(name, sizeof(name), "%s_lock_eownerdead", what);
	CHECK_EQ(name, lock_result, EOWNERDEAD);
	snprintf(name, sizeof(name), "%s_consistent", what);
	CHECK_EQ(name, pthread_mutex_consistent(m), 0);
	snprintf(name, sizeof(name), "%s_unlock", what);
	CHECK_EQ(name, pthread_mutex_unlock(m), 0);
	snprintf(name, sizeof(name), "%s_relock", what);
	CHECK_EQ(name, pthread_mutex_lock(m), 0);
	snprintf(name, sizeof(name), "%s_unlock_again", what);
	CHECK_EQ(name, pthread_mutex_unlock(m), 0);
}

static pthread_mutex_t thread_mutex;

static void *lock_and_return(void *arg)
{
	(void)arg;
	if (pthread_mutex_lock(&thread_mutex) != 0)
		return (void *)1;
	return NULL;
}

struct shared {
	pthread_mutex_t mutex;
	volatile int locked;
};

static struct shared *shared;

/* What the waiting thread got: the lock's result, then the repair's. */
struct waiter_result {
	int lock;
	int consistent;
	int unlock;
};

static struct waiter_result waiter_result;

static void *lock_in_thread(void *arg)
{
	waiter_result.lock = pthread_mutex_lock(arg);
	/* The thread that is told EOWNERDEAD owns the mutex and repairs it. */
	waiter_result.consistent = pthread_mutex_consistent(arg);
	waiter_result.unlock = pthread_mutex_unlock(arg);
	return NULL;
}

static int query_parent_as_other_user(void *arg)
{
	pid_t target = *(pid_t *)arg;
	void *head;
	size_t len;

	if (geteuid() == 0 && setuid(OTHER_UID) != 0)
		return 10;
	if (get_list(target, &head, &len) == 0)
		return 11;
	return errno == EPERM ? 0 : 12;
}

int main(void)
{
	struct robust_list_head mine, *saved_head;
	void *head;
	size_t len, saved_len;
	pthread_t thread;
	void *result;
	pid_t pid, target;
	int status, pipefd[2];
	char byte;

	/* The syscalls. */
	CHECK("get_initial", get_list(0, (void **)&saved_head, &saved_len) == 0);
	mine.list.next = &mine.list;
	mine.futex_offset = 0;
	mine.list_op_pending = NULL;
	CHECK_ERRNO("set_short_len_einval", set_list(&mine, sizeof(mine) - 1), EINVAL);
	CHECK_ERRNO("set_long_len_einval", set_list(&mine, sizeof(mine) + 8), EINVAL);
	CHECK("set", set_list(&mine, sizeof(mine)) == 0);
	CHECK("get_self", get_list(0, &head, &len) == 0);
	CHECK("get_self_head", head == &mine && len == sizeof(mine));
	CHECK("get_own_tid", get_list(gettid(), &head, &len) == 0 && head == &mine);
	CHECK_ERRNO("get_no_such_thread_esrch", get_list(0x3ffffff0, &head, &len), ESRCH);
	CHECK_ERRNO("get_bad_pointer_efault", get_list(0, (void **)8, &len), EFAULT);
	CHECK("restore", set_list(saved_head, saved_len) == 0);
	target = geteuid() == 0 ? getpid() : 1;
	CHECK_EXIT("get_other_user_eperm", contract_run_child(query_parent_as_other_user, &target),
		   0);

	/* A thread that returns holding the mutex. */
	init_robust(&thread_mutex, 0);
	CHECK("thread_create", pthread_create(&thread, NULL, lock_and_return, NULL) == 0);
	CHECK("thread_join", pthread_join(thread, &result) == 0 && result == NULL);
	check_recovery("dead_thread", &thread_mutex, pthread_mutex_lock(&thread_mutex));

	/* A child process that _exits holding a process-shared mutex. */
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	CHECK("mmap_shared", shared != MAP_FAILED);
	init_robust(&shared->mutex, 1);
	pid = contract_fork();
	if (pid == 0) {
		if (pthread_mutex_lock(&shared->mutex) != 0)
			_exit(1);
		_exit(0);
	}
	status = contract_wait(pid);
	CHECK_EXIT("child_locked_and_exited", status, 0);
	CHECK("owner_died_bit_set", (*(volatile int *)&shared->mutex & FUTEX_OWNER_DIED) != 0);
	check_recovery("dead_child", &shared->mutex, pthread_mutex_lock(&shared->mutex));

	/* A child killed while a thread here waits for the mutex it holds. */
	CHECK("pipe", pipe(pipefd) == 0);
	pid = contract_fork();
	if (pid == 0) {
		/* It must not outlive a test that failed; best effort. */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(pipefd[0]);
		if (pthread_mutex_lock(&shared->mutex) != 0)
			_exit(1);
		if (write(pipefd[1], "L", 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	close(pipefd[1]);
	CHECK("child_holds_mutex", read(pipefd[0], &byte, 1) == 1);
	close(pipefd[0]);
	CHECK("waiter_create", pthread_create(&thread, NULL, lock_in_thread, &shared->mutex) == 0);
	/* Give the waiter time to sleep in the kernel; it passes either way. */
	contract_sleep_ms(50);
	CHECK("kill_owner", kill(pid, SIGKILL) == 0);
	CHECK_SIGNALED("owner_killed", contract_wait(pid), SIGKILL);
	CHECK("waiter_join", pthread_join(thread, NULL) == 0);
	CHECK_EQ("waiter_lock_eownerdead", waiter_result.lock, EOWNERDEAD);
	CHECK_EQ("waiter_consistent", waiter_result.consistent, 0);
	CHECK_EQ("waiter_unlock", waiter_result.unlock, 0);
	CHECK_EQ("after_waiter_relock", pthread_mutex_lock(&shared->mutex), 0);
	CHECK_EQ("after_waiter_unlock", pthread_mutex_unlock(&shared->mutex), 0);
	contract_pass();
}
