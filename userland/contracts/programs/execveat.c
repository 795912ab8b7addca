/*
 * programs/execveat: execveat(2) runs a program named by an open fd
 * (AT_EMPTY_PATH, what fexecve does) or by a path relative to a directory
 * fd, and the new program's AT_EXECFN is /dev/fd/N or /dev/fd/N/<path>.
 * An absolute path or AT_FDCWD works like execve. Errors: an empty path
 * without AT_EMPTY_PATH is ENOENT, a relative path from a file fd ENOTDIR,
 * from a closed fd EBADF, an unknown flag EINVAL, a directory EACCES, and
 * a final symlink under AT_SYMLINK_NOFOLLOW ELOOP.
 *
 * The test runs itself: /proc/self/exe is opened to get the binary, and the
 * child, started with "child CODE EXECFN", exits with CODE when its
 * AT_EXECFN is EXECFN ("-" skips the comparison).
 */
#include "contract.h"

#include <sys/auxv.h>

#define LINK_NAME "execveat.link"
#define CHILD_FAILED 1

extern char **environ;

static int execveat_raw(int dirfd, const char *path, char *const argv[], int flags)
{
	return (int)syscall(SYS_execveat, dirfd, path, argv, environ, flags);
}

static _Noreturn void child(const char *code, const char *want_execfn)
{
	const char *execfn = (const char *)getauxval(AT_EXECFN);

	if (strcmp(want_execfn, "-") != 0 && (!execfn || strcmp(execfn, want_execfn) != 0))
		_exit(CHILD_FAILED);
	_exit(atoi(code));
}

/* Forks a child that execveat()s itself; returns its wait status. */
static int run(int dirfd, const char *path, int flags, const char *code, const char *execfn)
{
	char *argv[] = { "execveat", "child", (char *)code, (char *)execfn, NULL };
	pid_t pid = contract_fork();

	if (pid == 0) {
		execveat_raw(dirfd, path, argv, flags);
		_exit(127);
	}
	return contract_wait(pid);
}

int main(int argc, char **argv)
{
	char exe[PATH_MAX], dir[PATH_MAX], base[PATH_MAX], execfn[PATH_MAX + 32];
	char *none[] = { "execveat", NULL };
	char *slash;
	ssize_t len;
	int fd, dirfd, closed;

	if (argc == 4 && strcmp(argv[1], "child") == 0)
		child(argv[2], argv[3]);

	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	CHECK("readlink_self_exe", len > 0);
	exe[len] = '\0';
	slash = strrchr(exe, '/');
	CHECK("exe_is_absolute", slash != NULL);
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - exe), exe);
	if (dir[0] == '\0')
		snprintf(dir, sizeof(dir), "/");
	snprintf(base, sizeof(base), "%s", slash + 1);

	/* fexecve: the fd itself. */
	fd = open("/proc/self/exe", O_RDONLY);
	CHECK("open_self_exe", fd >= 0);
	snprintf(execfn, sizeof(execfn), "/dev/fd/%d", fd);
	CHECK_EXIT("empty_path_runs_the_fd", run(fd, "", AT_EMPTY_PATH, "42", execfn), 42);

	/* A path relative to a directory fd. */
	dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK("open_dir", dirfd >= 0);
	snprintf(execfn, sizeof(execfn), "/dev/fd/%d/%s", dirfd, base);
	CHECK_EXIT("relative_to_dirfd_runs", run(dirfd, base, 0, "43", execfn), 43);

	/* An absolute path ignores dirfd; AT_FDCWD is execve. */
	CHECK_EXIT("absolute_path_runs", run(fd, exe, 0, "44", exe), 44);
	unlink(LINK_NAME);
	CHECK("symlink", symlink(exe, LINK_NAME) == 0);
	CHECK_EXIT("cwd_relative_runs", run(AT_FDCWD, LINK_NAME, 0, "45", LINK_NAME), 45);

	/* Errors, in the caller itself. */
	CHECK_ERRNO("empty_path_needs_flag", execveat_raw(fd, "", none, 0), ENOENT);
	CHECK_ERRNO("file_fd_not_a_dir", execveat_raw(fd, base, none, 0), ENOTDIR);
	closed = dup(fd);
	CHECK("dup", closed >= 0 && close(closed) == 0);
	CHECK_ERRNO("closed_dirfd", execveat_raw(closed, base, none, 0), EBADF);
	CHECK_ERRNO("unknown_flag", execveat_raw(dirfd, base, none, AT_REMOVEDIR), EINVAL);
	CHECK_ERRNO("directory_fd", execveat_raw(dirfd, "", none, AT_EMPTY_PATH), EACCES);
	CHECK_ERRNO("nofollow_symlink",
		    execveat_raw(AT_FDCWD, LINK_NAME, none, AT_SYMLINK_NOFOLLOW), ELOOP);

	unlink(LINK_NAME);
	close(dirfd);
	close(fd);
	contract_pass();
}
