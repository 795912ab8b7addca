/*
 * threads/exit_group: exit_group (what exit and _exit call) from any thread
 * ends every thread of the process at once, even threads asleep in
 * nanosleep, a futex wait or a pipe read, and the parent sees the code;
 * when the main thread calls pthread_exit the process lives on, and it ends
 * with status 0 when its last thread returns.
 */
#include "contract.h"

#include "futex.h"
#include <pthread.h>

#define EXIT_CODE 42
#define QUICK_MS 5000

static int never_changes;
static int pipe_fds[2];

static void *sleeper(void *arg)
{
	struct timespec ts = { 100, 0 };

	(void)arg;
	nanosleep(&ts, NULL);
	return NULL;
}

static void *futex_waiter(void *arg)
{
	(void)arg;
	syscall(SYS_futex, &never_changes, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	return NULL;
}

static void *reader(void *arg)
{
	char byte;

	(void)arg;
	read(pipe_fds[0], &byte, 1);
	return NULL;
}

static void *exiter(void *arg)
{
	(void)arg;
	contract_sleep_ms(30);
	_exit(EXIT_CODE);
}

static int group_exit_child(void)
{
	pthread_t t;

	if (pipe(pipe_fds) != 0)
		return 1;
	pthread_create(&t, NULL, sleeper, NULL);
	pthread_create(&t, NULL, futex_waiter, NULL);
	pthread_create(&t, NULL, reader, NULL);
	pthread_create(&t, NULL, exiter, NULL);
	/* The main thread waits for a thread that never returns by itself. */
	pthread_join(t, NULL);
	return 2;
}

static void *last_thread(void *arg)
{
	(void)arg;
	contract_sleep_ms(50);
	write(pipe_fds[1], "L", 1);
	return NULL;
}

/*
 * Runs in a freshly exec'd process: musl re-arms the thread-list lock's
 * clear-tid word only at startup, so after a plain fork a main thread that
 * calls pthread_exit would leave that lock held (on Linux too).
 */
static int main_exits_first_child(void)
{
	pthread_t t;

	pthread_create(&t, NULL, last_thread, NULL);
	pthread_exit(NULL);
}

int main(int argc, char **argv)
{
	long long start;
	char byte = 0;
	pid_t pid;
	int status;

	if (argc == 3 && strcmp(argv[1], "main-exits-first") == 0) {
		pipe_fds[1] = atoi(argv[2]);
		return main_exits_first_child();
	}
	start = contract_now_ms();
	pid = contract_fork();
	if (pid == 0)
		_exit(group_exit_child());
	status = contract_wait(pid);
	CHECK_EXIT("exit_from_thread_ends_process", status, EXIT_CODE);
	CHECK("sleeping_threads_did_not_hold_it", contract_now_ms() - start < QUICK_MS);

	CHECK("pipe", pipe(pipe_fds) == 0);
	pid = contract_fork();
	if (pid == 0) {
		char fd_arg[16];

		snprintf(fd_arg, sizeof(fd_arg), "%d", pipe_fds[1]);
		execl("/proc/self/exe", argv[0], "main-exits-first", fd_arg, (char *)NULL);
		_exit(127);
	}
	close(pipe_fds[1]);
	CHECK_EQ("process_lives_after_main_pthread_exit", read(pipe_fds[0], &byte, 1), 1);
	CHECK("last_thread_ran", byte == 'L');
	status = contract_wait(pid);
	CHECK_EXIT("last_thread_return_exits_zero", status, 0);
	contract_pass();
}
