/*
 * files/symlinks: readlink returns the target without a terminating NUL;
 * stat follows a link and lstat does not; a loop of links is ELOOP, and
 * O_NOFOLLOW on a link is ELOOP; dangling links, relative targets, links in
 * the middle of a path, and O_CREAT through a dangling link.
 */
#include "contract.h"

#define TARGET "target_file"
#define CONTENT "target content\n"

int main(void)
{
	char buf[64];
	struct stat st, lst;
	ssize_t len;
	int fd;

	CHECK("create_target", contract_write_file(TARGET, CONTENT, strlen(CONTENT)) == 0);
	CHECK("symlink", symlink(TARGET, "link") == 0);

	memset(buf, 'X', sizeof(buf));
	len = readlink("link", buf, sizeof(buf));
	CHECK_EQ("readlink_length", len, strlen(TARGET));
	CHECK("readlink_text", memcmp(buf, TARGET, strlen(TARGET)) == 0);
	CHECK("readlink_no_nul_added", buf[len] == 'X');
	CHECK_EQ("readlink_truncates", readlink("link", buf, 3), 3);
	CHECK_ERRNO("readlink_regular_file_einval", readlink(TARGET, buf, sizeof(buf)), EINVAL);
	CHECK_ERRNO("readlink_missing_enoent", readlink("nothing", buf, sizeof(buf)), ENOENT);

	CHECK("stat_follows", stat("link", &st) == 0);
	CHECK("stat_sees_regular_file", S_ISREG(st.st_mode) && st.st_size == strlen(CONTENT));
	CHECK("lstat_sees_link", lstat("link", &lst) == 0 && S_ISLNK(lst.st_mode));
	CHECK_EQ("lstat_size_is_target_length", lst.st_size, strlen(TARGET));
	CHECK("link_and_target_differ", lst.st_ino != st.st_ino);
	CHECK("read_through_link", contract_read_file("link", buf, sizeof(buf)) ==
					   (ssize_t)strlen(CONTENT));
	CHECK_ERRNO("symlink_existing_name_eexist", symlink("other", "link"), EEXIST);

	/* Loops. */
	CHECK("make_loop", symlink("loop_b", "loop_a") == 0 && symlink("loop_a", "loop_b") == 0);
	CHECK_ERRNO("open_loop_eloop", open("loop_a", O_RDONLY), ELOOP);
	CHECK_ERRNO("stat_loop_eloop", stat("loop_a", &st), ELOOP);
	CHECK("lstat_loop_ok", lstat("loop_a", &st) == 0 && S_ISLNK(st.st_mode));
	CHECK("self_loop", symlink("self", "self") == 0);
	CHECK_ERRNO("open_self_loop_eloop", open("self", O_RDONLY), ELOOP);

	/* O_NOFOLLOW refuses a final link, and only a final one. */
	CHECK_ERRNO("nofollow_link_eloop", open("link", O_RDONLY | O_NOFOLLOW), ELOOP);
	fd = open(TARGET, O_RDONLY | O_NOFOLLOW);
	CHECK("nofollow_regular_file_ok", fd >= 0);
	close(fd);
	CHECK("mkdir_dir", mkdir("dir", 0755) == 0 && symlink("dir", "dirlink") == 0);
	CHECK("file_in_dir", contract_write_file("dir/inner", "in", 2) == 0);
	fd = open("dirlink/inner", O_RDONLY | O_NOFOLLOW);
	CHECK("nofollow_link_in_middle_ok", fd >= 0);
	close(fd);
	CHECK("lstat_through_dir_link", lstat("dirlink/inner", &st) == 0 && S_ISREG(st.st_mode));

	/* Relative targets resolve from the link's own directory. */
	CHECK("relative_link", symlink("../" TARGET, "dir/up") == 0);
	CHECK("relative_link_resolves", stat("dir/up", &st) == 0 && S_ISREG(st.st_mode) &&
						st.st_size == strlen(CONTENT));

	/* Dangling links: stat fails, lstat works, O_CREAT makes the target. */
	CHECK("dangling_link", symlink("made_by_creat", "dangling") == 0);
	CHECK_ERRNO("stat_dangling_enoent", stat("dangling", &st), ENOENT);
	CHECK("lstat_dangling_ok", lstat("dangling", &st) == 0 && S_ISLNK(st.st_mode));
	CHECK_ERRNO("creat_excl_on_dangling_eexist",
		    open("dangling", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	fd = open("dangling", O_WRONLY | O_CREAT, 0644);
	CHECK("creat_through_dangling", fd >= 0);
	close(fd);
	CHECK("target_created", lstat("made_by_creat", &st) == 0 && S_ISREG(st.st_mode));

	CHECK("unlink_removes_link_only", unlink("link") == 0 && access(TARGET, F_OK) == 0);
	contract_pass();
}
