/*
 * threads/exec_threads: execve in a multi-threaded process ends every other
 * thread (a thread that kept writing into a pipe falls silent), whichever
 * thread calls it; the new program keeps the process id and its one thread
 * has the process id as its thread id.
 */
#include "contract.h"

#include <pthread.h>

static char self[PATH_MAX];
static int pipe_fds[2];

static void *chatter(void *arg)
{
	(void)arg;
	for (;;) {
		write(pipe_fds[1], "x", 1);
		contract_sleep_ms(2);
	}
	return NULL;
}

static void exec_self(pid_t expected_pid)
{
	char fd_text[16], pid_text[16];
	char *argv[] = { self, "after", fd_text, pid_text, NULL };

	snprintf(fd_text, sizeof(fd_text), "%d", pipe_fds[0]);
	snprintf(pid_text, sizeof(pid_text), "%d", (int)expected_pid);
	execv(self, argv);
	_exit(90);
}

static void *exec_thread(void *arg)
{
	(void)arg;
	contract_sleep_ms(10);
	exec_self(getpid());
	return NULL;
}

/* The new program: exit 0 when it is alone, or a code saying what is wrong. */
static int after_exec(int fd, pid_t expected_pid)
{
	char buf[256];
	int flags = fcntl(fd, F_GETFL);

	if (getpid() != expected_pid)
		return 10;
	if (syscall(SYS_gettid) != expected_pid)
		return 11;
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	contract_sleep_ms(60);
	if (read(fd, buf, sizeof(buf)) >= 0)
		return 12;
	if (errno != EAGAIN)
		return 13;
	return 0;
}

static int run_case(int from_thread)
{
	pthread_t t;

	if (pipe(pipe_fds) != 0)
		return 80;
	pthread_create(&t, NULL, chatter, NULL);
	contract_sleep_ms(10);
	if (from_thread) {
		pthread_create(&t, NULL, exec_thread, NULL);
		for (;;)
			pause();
	}
	exec_self(getpid());
	return 81;
}

static int exec_from_main(void *arg)
{
	(void)arg;
	return run_case(0);
}

static int exec_from_other(void *arg)
{
	(void)arg;
	return run_case(1);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "after") == 0)
		return after_exec(atoi(argv[2]), (pid_t)atoi(argv[3]));
	CHECK("realpath", realpath(argv[0], self) != NULL);

	CHECK_EXIT("exec_from_main_thread_ends_others",
		   contract_run_child(exec_from_main, NULL), 0);
	CHECK_EXIT("exec_from_other_thread_ends_others",
		   contract_run_child(exec_from_other, NULL), 0);
	contract_pass();
}
