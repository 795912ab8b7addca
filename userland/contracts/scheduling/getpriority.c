/*
 * scheduling/getpriority: getpriority/setpriority on the calling process
 * report and change its nice value; a child inherits it; the parent can
 * change a child's value; a PID that no longer exists is ESRCH.
 */
#include "contract.h"

#include <sys/resource.h>

/* getpriority can legitimately return -1, so errno tells failures apart. */
static int nice_of(pid_t pid, int *value)
{
	errno = 0;
	*value = getpriority(PRIO_PROCESS, (id_t)pid);
	return errno == 0;
}

static void read_byte(int fd)
{
	char c;

	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
}

int main(void)
{
	int start, value, go[2];
	pid_t pid;

	CHECK("getpriority_self", nice_of(0, &start));
	CHECK("start_value_in_range", start >= -20 && start <= 19);

	CHECK("setpriority_self_7", setpriority(PRIO_PROCESS, 0, 7) == 0);
	CHECK("getpriority_reports_7", nice_of(0, &value) && value == 7);
	CHECK("getpriority_by_own_pid", nice_of(getpid(), &value) && value == 7);

	/* A forked child starts with the parent's nice value. */
	pid = contract_fork();
	if (pid == 0)
		_exit(nice_of(0, &value) ? value : 100);
	CHECK_EXIT("child_inherits_nice", contract_wait(pid), 7);

	/* The parent changes a living child's nice value. */
	CHECK("pipe", pipe(go) == 0);
	pid = contract_fork();
	if (pid == 0) {
		close(go[1]);
		read_byte(go[0]);
		_exit(nice_of(0, &value) ? value : 100);
	}
	close(go[0]);
	CHECK("setpriority_child_11", setpriority(PRIO_PROCESS, (id_t)pid, 11) == 0);
	CHECK("getpriority_child_reports_11", nice_of(pid, &value) && value == 11);
	write(go[1], "g", 1);
	close(go[1]);
	CHECK_EXIT("child_sees_11", contract_wait(pid), 11);

	/* The child is reaped: its PID is gone. */
	errno = 0;
	CHECK_ERRNO("getpriority_reaped_pid_esrch", getpriority(PRIO_PROCESS, (id_t)pid), ESRCH);
	CHECK_ERRNO("setpriority_reaped_pid_esrch", setpriority(PRIO_PROCESS, (id_t)pid, 3), ESRCH);
	CHECK_ERRNO("getpriority_bad_which_einval", getpriority(42, 0), EINVAL);

	/* Root may lower the value again. */
	CHECK("setpriority_back_to_start", setpriority(PRIO_PROCESS, 0, start) == 0);
	CHECK("getpriority_reports_start", nice_of(0, &value) && value == start);
	contract_pass();
}
