/*
 * proc/pid_links: /proc/<pid>/exe names the program file (the real file
 * even when started through a symlink), /proc/<pid>/cwd follows chdir,
 * /proc/<pid>/root is "/", for ourselves and for a child; a child confined
 * with chroot shows its root and cwd as paths from the reader's root.
 */
#include "contract.h"

static void link_text(const char *name, const char *path, char *out, size_t size)
{
	ssize_t len = readlink(path, out, size - 1);

	if (len < 0)
		contract_fail(name, errno);
	out[len] = '\0';
}

int main(int argc, char **argv)
{
	char self[PATH_MAX], exe[PATH_MAX], text[PATH_MAX], cwd[PATH_MAX], want[PATH_MAX + 16];
	char path[64];
	struct stat a, b;
	int to_child[2], from_child[2];
	pid_t pid;
	char c;

	if (argc == 2 && strcmp(argv[1], "wait") == 0) {
		while (read(STDIN_FILENO, &c, 1) > 0)
			;
		return 0;
	}
	if (!realpath(argv[0], self))
		contract_fail("realpath_argv0", errno);

	link_text("readlink_self_exe", "/proc/self/exe", exe, sizeof(exe));
	CHECK_STR("self_exe_is_program", exe, self);
	CHECK("stat_self_exe", stat("/proc/self/exe", &a) == 0 && stat(self, &b) == 0);
	CHECK("self_exe_same_file", a.st_dev == b.st_dev && a.st_ino == b.st_ino);
	CHECK("lstat_exe_is_link", lstat("/proc/self/exe", &a) == 0 && S_ISLNK(a.st_mode));

	CHECK("getcwd", getcwd(cwd, sizeof(cwd)) != NULL);
	link_text("readlink_self_cwd", "/proc/self/cwd", text, sizeof(text));
	CHECK_STR("self_cwd", text, cwd);
	CHECK("mkdir_sub", mkdir("sub", 0755) == 0 && chdir("sub") == 0);
	link_text("readlink_cwd_after_chdir", "/proc/self/cwd", text, sizeof(text));
	snprintf(want, sizeof(want), "%s/sub", cwd);
	CHECK_STR("cwd_follows_chdir", text, want);
	CHECK("chdir_back", chdir(cwd) == 0);
	link_text("readlink_self_root", "/proc/self/root", text, sizeof(text));
	CHECK_STR("self_root", text, "/");

	/* A child started through a symlink, in its own directory. */
	CHECK("alias_link", symlink(self, "alias") == 0);
	CHECK("pipes", pipe(to_child) == 0 && pipe(from_child) == 0);
	pid = contract_fork();
	if (pid == 0) {
		char *child_argv[] = { "../alias", "wait", NULL };

		dup2(to_child[0], STDIN_FILENO);
		close(to_child[0]);
		close(to_child[1]);
		close(from_child[0]);
		if (chdir("sub") != 0)
			_exit(126);
		/* close-on-exec: the parent sees EOF once exec has happened. */
		fcntl(from_child[1], F_SETFD, FD_CLOEXEC);
		execv(child_argv[0], child_argv);
		_exit(127);
	}
	close(to_child[0]);
	close(from_child[1]);
	CHECK_EQ("child_exec_done", read(from_child[0], &c, 1), 0);

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	link_text("readlink_child_exe", path, text, sizeof(text));
	CHECK_STR("child_exe_is_real_file", text, self);
	snprintf(path, sizeof(path), "/proc/%d/cwd", (int)pid);
	link_text("readlink_child_cwd", path, text, sizeof(text));
	snprintf(want, sizeof(want), "%s/sub", cwd);
	CHECK_STR("child_cwd", text, want);
	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	link_text("readlink_child_root", path, text, sizeof(text));
	CHECK_STR("child_root", text, "/");

	close(to_child[1]);
	CHECK_EXIT("child_exit", contract_wait(pid), 0);

	/* A chrooted child (the test runs as root on both kernels). */
	CHECK("pipes_again", pipe(to_child) == 0 && pipe(from_child) == 0);
	pid = contract_fork();
	if (pid == 0) {
		close(to_child[1]);
		close(from_child[0]);
		if (chroot("sub") != 0 || chdir("/") != 0)
			_exit(126);
		if (write(from_child[1], "r", 1) != 1)
			_exit(125);
		while (read(to_child[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(to_child[0]);
	close(from_child[1]);
	CHECK_EQ("chrooted_child_ready", read(from_child[0], &c, 1), 1);
	snprintf(want, sizeof(want), "%s/sub", cwd);
	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	link_text("readlink_chrooted_root", path, text, sizeof(text));
	CHECK_STR("chrooted_root_is_its_directory", text, want);
	snprintf(path, sizeof(path), "/proc/%d/cwd", (int)pid);
	link_text("readlink_chrooted_cwd", path, text, sizeof(text));
	CHECK_STR("chrooted_cwd_from_our_root", text, want);
	close(to_child[1]);
	CHECK_EXIT("chrooted_child_exit", contract_wait(pid), 0);
	contract_pass();
}
