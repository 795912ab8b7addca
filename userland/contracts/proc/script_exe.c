/*
 * proc/script_exe: a program started through a `#!` script runs as its
 * interpreter: /proc/self/exe names the interpreter's file, the script's path
 * comes as an argument after the interpreter's optional one, and
 * /proc/self/cmdline shows that argv.
 */
#include "contract.h"

static void child(int argc, char **argv)
{
	char exe[PATH_MAX], self[PATH_MAX], cmdline[4096];
	ssize_t len;

	/* argv: interpreter, "script-child", script path, "extra" */
	if (argc != 4 || strcmp(argv[3], "extra") != 0)
		_exit(10);
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len < 0)
		_exit(11);
	exe[len] = '\0';
	if (!realpath(argv[0], self) || strcmp(exe, self) != 0)
		_exit(12);
	len = contract_read_file("/proc/self/cmdline", cmdline, sizeof(cmdline));
	if (len < 0 || strcmp(cmdline, argv[0]) != 0 ||
	    strcmp(cmdline + strlen(argv[0]) + 1, "script-child") != 0)
		_exit(13);
	_exit(0);
}

int main(int argc, char **argv)
{
	char self[PATH_MAX], script[PATH_MAX + 32];
	char *script_argv[] = { "./script.sh", "extra", NULL };
	int fd, len;
	pid_t pid;

	if (argc > 1 && strcmp(argv[1], "script-child") == 0)
		child(argc, argv);
	if (!realpath(argv[0], self))
		contract_fail("realpath_argv0", errno);

	len = snprintf(script, sizeof(script), "#!%s script-child\n", self);
	fd = open("script.sh", O_WRONLY | O_CREAT | O_TRUNC, 0755);
	CHECK("create_script", fd >= 0);
	CHECK_EQ("write_script", write(fd, script, len), len);
	close(fd);

	pid = contract_fork();
	if (pid == 0) {
		execv(script_argv[0], script_argv);
		_exit(127);
	}
	CHECK_EXIT("script_runs_as_its_interpreter", contract_wait(pid), 0);
	CHECK("remove_script", unlink("script.sh") == 0);
	contract_pass();
}
