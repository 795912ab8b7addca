/*
 * programs/fork_limit: RLIMIT_NPROC caps the tasks (processes and threads,
 * zombies until reaped) of a non-root user. Below the limit fork works; at
 * the limit fork and pthread_create fail with EAGAIN and the caller goes on
 * as before; reaping children makes room again. The checks run in a child
 * that becomes a uid no other process uses (when started as root), so the
 * count does not depend on what else runs on the machine.
 */
#include "contract.h"

#include <pthread.h>
#include <sys/resource.h>

/* An unprivileged uid that owns no other process. */
#define OTHER_UID 54321
/* Tasks the test process may have besides itself. */
#define ROOM 3

/* The tasks whose real uid is `uid`, from /proc (for a non-root start). */
static long tasks_of_uid(uid_t uid)
{
	char path[64], buf[2048];
	struct dirent *entry;
	long total = 0;
	DIR *dir = opendir("/proc");

	if (!dir)
		return -1;
	while ((entry = readdir(dir))) {
		long pid = contract_parse_pid(entry->d_name);
		unsigned real;
		long threads;
		char *line;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/status", pid);
		if (contract_read_file(path, buf, sizeof(buf)) <= 0)
			continue;
		line = strstr(buf, "\nUid:");
		if (!line || sscanf(line + 5, "%u", &real) != 1 || real != uid)
			continue;
		line = strstr(buf, "\nThreads:");
		threads = line && sscanf(line + 9, "%ld", &threads) == 1 ? threads : 1;
		total += threads;
	}
	closedir(dir);
	return total;
}

static void *idle_thread(void *arg)
{
	return arg;
}

/* A child that sleeps until the write end of `release` is closed. */
static pid_t sleeper(const int release[2])
{
	char byte;
	pid_t pid = fork();

	if (pid == 0) {
		close(release[1]);
		(void)read(release[0], &byte, 1);
		_exit(0);
	}
	return pid;
}

static int limited(void *arg)
{
	struct rlimit limit;
	pid_t kids[ROOM], extra;
	pthread_t thread;
	int release[2], i, err, status;
	long base;

	(void)arg;
	if (geteuid() == 0) {
		if (setgid(OTHER_UID) != 0 || setuid(OTHER_UID) != 0)
			contract_fail("setuid", errno);
		base = 1;
	} else {
		base = tasks_of_uid(getuid());
	}
	CHECK("counted_own_tasks", base >= 1);
	limit.rlim_cur = limit.rlim_max = (rlim_t)(base + ROOM);
	CHECK("setrlimit", setrlimit(RLIMIT_NPROC, &limit) == 0);
	CHECK("pipe", pipe(release) == 0);

	for (i = 0; i < ROOM; i++)
		kids[i] = sleeper(release);
	for (i = 0; i < ROOM; i++)
		if (kids[i] < 0)
			contract_fail("forks_below_limit", errno);
	contract_ok("forks_below_limit");

	errno = 0;
	extra = fork();
	if (extra == 0)
		_exit(0);
	contract_check_errno("fork_at_limit_eagain", extra, errno, EAGAIN);
	err = pthread_create(&thread, NULL, idle_thread, NULL);
	CHECK_EQ("thread_at_limit_eagain", err, EAGAIN);
	CHECK("usable_after_eagain", getpid() > 0 && write(release[1], "", 0) == 0);

	close(release[1]);
	close(release[0]);
	for (i = 0; i < ROOM; i++)
		CHECK_EXIT("sleeper_exit", contract_wait(kids[i]), 0);
	extra = fork();
	if (extra == 0)
		_exit(0);
	CHECK("fork_after_reap", extra > 0);
	CHECK_EXIT("fork_after_reap_exit", contract_wait(extra), 0);
	CHECK("thread_after_reap", pthread_create(&thread, NULL, idle_thread, NULL) == 0 &&
					   pthread_join(thread, NULL) == 0);

	/* Zombies still count until they are reaped. */
	for (i = 0; i < ROOM; i++) {
		siginfo_t info;

		kids[i] = fork();
		if (kids[i] == 0)
			_exit(0);
		if (kids[i] < 0)
			contract_fail("zombie_fork", errno);
		if (waitid(P_PID, kids[i], &info, WEXITED | WNOWAIT) != 0)
			contract_fail("zombie_wait", errno);
	}
	errno = 0;
	extra = fork();
	if (extra == 0)
		_exit(0);
	contract_check_errno("zombies_count_eagain", extra, errno, EAGAIN);
	for (i = 0; i < ROOM; i++)
		CHECK("zombie_reap", waitpid(kids[i], &status, 0) == kids[i]);
	extra = fork();
	if (extra == 0)
		_exit(0);
	CHECK("fork_after_zombies_reaped", extra > 0);
	CHECK_EXIT("fork_after_zombies_exit", contract_wait(extra), 0);
	return 0;
}

int main(void)
{
	CHECK_EXIT("limited_child", contract_run_child(limited, NULL), 0);
	contract_pass();
}
