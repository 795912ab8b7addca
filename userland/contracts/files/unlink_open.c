/*
 * files/unlink_open: unlinking an open file removes the name but keeps the
 * data reachable through every open fd (link count 0) until the last one
 * is closed; a new file with the same name is a different file.
 */
#include "contract.h"

int main(void)
{
	char buf[32];
	struct stat st;
	int fd, other, fresh;

	CHECK("create", contract_write_file("f", "precious", 8) == 0);
	fd = open("f", O_RDWR);
	other = open("f", O_RDONLY);
	CHECK("open_twice", fd >= 0 && other >= 0);
	CHECK("unlink", unlink("f") == 0);
	CHECK_ERRNO("name_gone", stat("f", &st), ENOENT);
	CHECK_ERRNO("open_by_name_enoent", open("f", O_RDONLY), ENOENT);

	CHECK("fstat_after_unlink", fstat(fd, &st) == 0);
	CHECK_EQ("link_count_zero", st.st_nlink, 0);
	CHECK_EQ("size_kept", st.st_size, 8);
	CHECK_EQ("read_after_unlink", read(fd, buf, sizeof(buf)), 8);
	CHECK("data_after_unlink", memcmp(buf, "precious", 8) == 0);
	CHECK_EQ("write_after_unlink", write(fd, "!!", 2), 2);
	CHECK_EQ("other_fd_sees_write", pread(other, buf, sizeof(buf), 0), 10);
	CHECK("other_fd_data", memcmp(buf, "precious!!", 10) == 0);

	/* A new file with the old name is independent. */
	fresh = open("f", O_RDWR | O_CREAT | O_EXCL, 0644);
	CHECK("recreate_name", fresh >= 0);
	CHECK_EQ("new_file_empty", read(fresh, buf, sizeof(buf)), 0);
	CHECK_EQ("write_new_file", write(fresh, "new", 3), 3);
	CHECK_EQ("old_data_unaffected", pread(fd, buf, sizeof(buf), 0), 10);
	CHECK("old_data_unchanged", memcmp(buf, "precious!!", 10) == 0);
	CHECK("close_first", close(fd) == 0);
	CHECK_EQ("last_fd_still_reads", pread(other, buf, 8, 0), 8);
	CHECK("close_all", close(other) == 0 && close(fresh) == 0);

	/* A hard link keeps the file when one name goes. */
	CHECK("hard_link", link("f", "g") == 0);
	CHECK("link_count_two", stat("f", &st) == 0 && st.st_nlink == 2);
	CHECK("unlink_one_name", unlink("f") == 0);
	CHECK("other_name_remains", stat("g", &st) == 0 && st.st_nlink == 1 && st.st_size == 3);
	contract_pass();
}
