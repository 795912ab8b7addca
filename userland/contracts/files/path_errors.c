/*
 * files/path_errors: which errno a bad path gives. A missing component is
 * ENOENT, a file used as a directory ENOTDIR (also with a trailing slash),
 * an over-long component or path ENAMETOOLONG, an empty path ENOENT;
 * mkdir, rmdir and unlink refuse the wrong kind of target.
 */
#include "contract.h"

#define NAME_MAX_BYTES 255
#define PATH_MAX_BYTES 4096

int main(void)
{
	static char long_name[NAME_MAX_BYTES + 2], long_path[PATH_MAX_BYTES + 16];
	struct stat st, root, root_up;
	size_t i;

	CHECK("create_file", contract_write_file("file", "data", 4) == 0);
	CHECK("mkdir_dir", mkdir("dir", 0755) == 0);

	/* ENOENT against ENOTDIR. */
	CHECK_ERRNO("missing_file_enoent", open("missing", O_RDONLY), ENOENT);
	CHECK_ERRNO("missing_dir_in_path_enoent", open("missing/x", O_RDONLY), ENOENT);
	CHECK_ERRNO("file_as_dir_enotdir", open("file/x", O_RDONLY), ENOTDIR);
	CHECK_ERRNO("file_as_dir_stat_enotdir", stat("file/x", &st), ENOTDIR);
	CHECK_ERRNO("file_as_dir_creat_enotdir", open("file/x", O_CREAT | O_WRONLY, 0644), ENOTDIR);
	CHECK_ERRNO("file_as_dir_mkdir_enotdir", mkdir("file/sub", 0755), ENOTDIR);
	CHECK_ERRNO("empty_path_enoent", open("", O_RDONLY), ENOENT);
	CHECK_ERRNO("empty_path_stat_enoent", stat("", &st), ENOENT);

	/* A trailing slash demands a directory. */
	CHECK_ERRNO("trailing_slash_on_file_stat_enotdir", stat("file/", &st), ENOTDIR);
	CHECK_ERRNO("trailing_slash_on_file_open_enotdir", open("file/", O_RDONLY), ENOTDIR);
	CHECK_ERRNO("dot_after_file_enotdir", stat("file/.", &st), ENOTDIR);
	CHECK_ERRNO("trailing_slash_creat_eisdir", open("newfile/", O_CREAT | O_WRONLY, 0644),
		    EISDIR);
	CHECK_ERRNO("trailing_slash_new_file_not_made", access("newfile", F_OK), ENOENT);
	CHECK("trailing_slash_on_dir_ok", stat("dir/", &st) == 0 && S_ISDIR(st.st_mode));
	CHECK("dot_in_dir_ok", stat("dir/.", &st) == 0 && S_ISDIR(st.st_mode));
	CHECK("dotdot_ok", stat("dir/../file", &st) == 0 && S_ISREG(st.st_mode));
	CHECK("mkdir_trailing_slash_ok", mkdir("dir2/", 0755) == 0);
	CHECK("root_parent_is_root", stat("/", &root) == 0 && stat("/..", &root_up) == 0 &&
					     root.st_ino == root_up.st_ino &&
					     root.st_dev == root_up.st_dev);

	/* Length limits. */
	memset(long_name, 'n', NAME_MAX_BYTES);
	long_name[NAME_MAX_BYTES] = '\0';
	CHECK("name_of_255_bytes_ok", contract_write_file(long_name, "", 0) == 0);
	long_name[NAME_MAX_BYTES] = 'n';
	long_name[NAME_MAX_BYTES + 1] = '\0';
	CHECK_ERRNO("name_of_256_bytes_enametoolong",
		    open(long_name, O_CREAT | O_WRONLY, 0644), ENAMETOOLONG);
	CHECK_ERRNO("lookup_256_bytes_enametoolong", stat(long_name, &st), ENAMETOOLONG);
	for (i = 0; i + 2 < sizeof(long_path); i += 2) {
		long_path[i] = '.';
		long_path[i + 1] = '/';
	}
	long_path[sizeof(long_path) - 1] = '\0';
	CHECK_ERRNO("path_over_path_max_enametoolong", stat(long_path, &st), ENAMETOOLONG);

	/* Wrong kind of target. */
	CHECK_ERRNO("mkdir_existing_eexist", mkdir("dir", 0755), EEXIST);
	CHECK_ERRNO("mkdir_over_file_eexist", mkdir("file", 0755), EEXIST);
	CHECK_ERRNO("rmdir_file_enotdir", rmdir("file"), ENOTDIR);
	CHECK_ERRNO("unlink_dir_eisdir", unlink("dir"), EISDIR);
	CHECK_ERRNO("rmdir_missing_enoent", rmdir("missing"), ENOENT);
	CHECK("create_in_dir", contract_write_file("dir/inner", "x", 1) == 0);
	CHECK_ERRNO("rmdir_nonempty_enotempty", rmdir("dir"), ENOTEMPTY);
	CHECK_ERRNO("rmdir_dot_einval", rmdir("dir/."), EINVAL);
	CHECK_ERRNO("rmdir_dotdot_enotempty", rmdir("dir/.."), ENOTEMPTY);
	CHECK_ERRNO("link_to_dir_eperm", link("dir", "dirlink"), EPERM);
	CHECK_ERRNO("chdir_to_file_enotdir", chdir("file"), ENOTDIR);
	CHECK_ERRNO("chdir_missing_enoent", chdir("missing"), ENOENT);
	contract_pass();
}
