/*
 * programs/busybox_basic: fork + execve + waitpid. Exit codes 0, 1 and 42
 * come back from BusyBox (true, false, sh -c 'exit 42') and from this very
 * program re-executed; five children run in turn, each reporting its own
 * code; getppid is the parent, before and after execve.
 *
 * Re-executed with arguments, the program acts as a helper:
 *   exit <n>    exit with code n
 *   ppid <pid>  exit 0 when getppid() == pid, 1 otherwise
 */
#include "contract.h"

#define BUSYBOX "/bin/busybox"

extern char **environ;

static char self[PATH_MAX];

static int run(char *const argv[])
{
	pid_t pid = contract_fork();

	if (pid == 0) {
		execve(argv[0], argv, environ);
		_exit(127);
	}
	return contract_wait(pid);
}

static int run_self(const char *verb, long value)
{
	char arg[32];
	char *argv[] = { self, (char *)verb, arg, NULL };

	snprintf(arg, sizeof(arg), "%ld", value);
	return run(argv);
}

static int helper(char **argv)
{
	long value = strtol(argv[2], NULL, 10);

	if (strcmp(argv[1], "exit") == 0)
		return (int)value;
	if (strcmp(argv[1], "ppid") == 0)
		return getppid() == (pid_t)value ? 0 : 1;
	return 99;
}

int main(int argc, char **argv)
{
	char *bb_true[] = { BUSYBOX, "true", NULL };
	char *bb_false[] = { BUSYBOX, "false", NULL };
	char *bb_exit42[] = { BUSYBOX, "sh", "-c", "exit 42", NULL };
	char *missing[] = { "/nonexistent/program", NULL };
	int i, status;
	pid_t pid, me;

	if (argc == 3)
		return helper(argv);

	if (!realpath(argv[0], self) && readlink("/proc/self/exe", self, sizeof(self) - 1) < 0)
		contract_fail("find_own_path", errno);

	/* BusyBox when present, else this program standing in for it. */
	if (access(BUSYBOX, X_OK) == 0) {
		CHECK_EXIT("exec_exit_0", run(bb_true), 0);
		CHECK_EXIT("exec_exit_1", run(bb_false), 1);
		CHECK_EXIT("exec_exit_42", run(bb_exit42), 42);
	} else {
		CHECK_EXIT("exec_exit_0", run_self("exit", 0), 0);
		CHECK_EXIT("exec_exit_1", run_self("exit", 1), 1);
		CHECK_EXIT("exec_exit_42", run_self("exit", 42), 42);
	}
	CHECK_EXIT("self_exec_exit_0", run_self("exit", 0), 0);
	CHECK_EXIT("self_exec_exit_1", run_self("exit", 1), 1);
	CHECK_EXIT("self_exec_exit_42", run_self("exit", 42), 42);

	/* Five children, one after the other, each with its own exit code. */
	for (i = 1; i <= 5; i++) {
		status = run_self("exit", 100 + i);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 100 + i)
			CHECK_EXIT("five_children_in_turn", status, 100 + i);
	}
	contract_ok("five_children_in_turn");
	CHECK_ERRNO("no_children_left", waitpid(-1, NULL, WNOHANG), ECHILD);

	/* getppid: in a forked child, and in a child after execve. */
	me = getpid();
	pid = contract_fork();
	if (pid == 0)
		_exit(getppid() == me ? 0 : 1);
	CHECK_EXIT("getppid_in_child", contract_wait(pid), 0);
	CHECK_EXIT("getppid_after_exec", run_self("ppid", me), 0);

	CHECK_EXIT("exec_missing_program_fails", run(missing), 127);
	CHECK_ERRNO("execve_missing_enoent", execve(missing[0], missing, environ), ENOENT);
	contract_pass();
}
