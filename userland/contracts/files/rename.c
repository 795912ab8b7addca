/*
 * files/rename: rename over an existing file replaces it atomically; a
 * directory cannot move into its own subtree (EINVAL); a directory can
 * replace an empty directory but not a non-empty one (ENOTEMPTY); file
 * over directory is EISDIR and directory over file ENOTDIR; renaming a
 * name onto itself does nothing; RENAME_NOREPLACE refuses to replace.
 */
#include "contract.h"

#define RENAME_NOREPLACE_FLAG 1 /* RENAME_NOREPLACE of renameat2(2) */

static int holds(const char *path, const char *text)
{
	char buf[64];

	return contract_read_file(path, buf, sizeof(buf)) == (ssize_t)strlen(text) &&
	       strcmp(buf, text) == 0;
}

static long renameat2_noreplace(const char *from, const char *to)
{
	return syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE_FLAG);
}

int main(void)
{
	struct stat before, after;

	/* A file over an existing file. */
	CHECK("create_a", contract_write_file("a", "alpha", 5) == 0);
	CHECK("create_b", contract_write_file("b", "bravo", 5) == 0);
	CHECK("stat_a", stat("a", &before) == 0);
	CHECK("rename_over_existing", rename("a", "b") == 0);
	CHECK_ERRNO("old_name_gone", access("a", F_OK), ENOENT);
	CHECK("new_name_has_old_content", holds("b", "alpha"));
	CHECK("same_inode_after_rename", stat("b", &after) == 0 && after.st_ino == before.st_ino);
	CHECK_ERRNO("rename_missing_enoent", rename("a", "c"), ENOENT);

	/* A name onto itself, and onto a hard link of itself: nothing happens. */
	CHECK("rename_onto_itself", rename("b", "b") == 0);
	CHECK("still_there", holds("b", "alpha"));
	CHECK("link_b_c", link("b", "c") == 0);
	CHECK("rename_onto_own_hard_link", rename("b", "c") == 0);
	CHECK("both_links_remain", access("b", F_OK) == 0 && access("c", F_OK) == 0);
	CHECK("unlink_c", unlink("c") == 0);

	/* Directories. */
	CHECK("mkdir_tree", mkdir("d", 0755) == 0 && mkdir("d/sub", 0755) == 0);
	CHECK_ERRNO("dir_into_own_subtree_einval", rename("d", "d/sub/inside"), EINVAL);
	CHECK_ERRNO("dir_onto_own_child_einval", rename("d", "d/sub"), EINVAL);
	CHECK("mkdir_full", mkdir("full", 0755) == 0 &&
				    contract_write_file("full/file", "x", 1) == 0);
	CHECK_ERRNO("dir_over_nonempty_dir_enotempty", rename("d", "full"), ENOTEMPTY);
	CHECK("mkdir_empty", mkdir("empty", 0755) == 0);
	CHECK("dir_over_empty_dir", rename("d", "empty") == 0);
	CHECK("moved_dir_keeps_children", access("empty/sub", F_OK) == 0);
	CHECK_ERRNO("old_dir_name_gone", access("d", F_OK), ENOENT);
	CHECK_ERRNO("file_over_dir_eisdir", rename("b", "empty"), EISDIR);
	CHECK_ERRNO("dir_over_file_enotdir", rename("empty", "b"), ENOTDIR);
	CHECK("move_file_between_dirs", rename("b", "empty/sub/b") == 0);
	CHECK("moved_file_content", holds("empty/sub/b", "alpha"));
	CHECK("parent_link_follows_move", rename("empty/sub", "sub2") == 0 &&
						  holds("sub2/../sub2/b", "alpha"));

	/* renameat2 with RENAME_NOREPLACE. */
	CHECK("create_x_y", contract_write_file("x", "xray", 4) == 0 &&
				    contract_write_file("y", "yankee", 6) == 0);
	CHECK_ERRNO("noreplace_existing_eexist", renameat2_noreplace("x", "y"), EEXIST);
	CHECK("noreplace_left_both", holds("x", "xray") && holds("y", "yankee"));
	CHECK("noreplace_to_new_name", renameat2_noreplace("x", "z") == 0 && holds("z", "xray"));
	contract_pass();
}
