/*
 * files/umask: umask returns the previous mask and clears bits from the
 * mode of files and directories at creation, not from chmod; symbolic
 * links are always 0777; a child inherits the mask.
 */
#include "contract.h"

static mode_t mode_of(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return (mode_t)-1;
	return st.st_mode & 07777;
}

int main(void)
{
	int fd;
	pid_t pid;

	umask(022);
	CHECK_EQ("umask_returns_previous", umask(027), 022);
	CHECK_EQ("umask_returns_027", umask(027), 027);

	fd = open("file", O_WRONLY | O_CREAT, 0777);
	CHECK("create_file", fd >= 0);
	CHECK_EQ("file_mode_masked", mode_of("file"), 0750);
	CHECK("fchmod", fchmod(fd, 0777) == 0);
	CHECK_EQ("fchmod_ignores_umask", mode_of("file"), 0777);
	close(fd);
	CHECK("chmod", chmod("file", 0604) == 0);
	CHECK_EQ("chmod_ignores_umask", mode_of("file"), 0604);

	CHECK("mkdir", mkdir("dir", 0777) == 0);
	CHECK_EQ("dir_mode_masked", mode_of("dir"), 0750);
	CHECK("symlink", symlink("file", "link") == 0);
	CHECK_EQ("symlink_mode_0777", mode_of("link"), 0777);

	/* The child inherits the mask and changes only its own. */
	pid = contract_fork();
	if (pid == 0)
		_exit(umask(0) == 027 ? 0 : 1);
	CHECK_EXIT("child_inherits_umask", contract_wait(pid), 0);
	CHECK_EQ("parent_umask_unchanged", umask(0), 027);

	fd = open("open_file", O_WRONLY | O_CREAT, 0666);
	CHECK("create_with_zero_umask", fd >= 0);
	CHECK_EQ("zero_umask_keeps_mode", mode_of("open_file"), 0666);
	close(fd);
	CHECK("mkdir_zero_umask", mkdir("dir2", 0775) == 0);
	CHECK_EQ("zero_umask_dir_mode", mode_of("dir2"), 0775);
	CHECK_EQ("umask_only_permission_bits", umask(0777 | 07000), 0);
	CHECK_EQ("umask_stored_masked", umask(022), 0777);
	contract_pass();
}
