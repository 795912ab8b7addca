/*
 * files/open_flags: O_CREAT with O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY,
 * O_CLOEXEC; a directory cannot be opened for writing (EISDIR); an fd can
 * only be used the way it was opened (EBADF); F_GETFL/F_SETFL.
 */
#include "contract.h"

static int holds(const char *path, const char *text)
{
	char buf[64];

	return contract_read_file(path, buf, sizeof(buf)) == (ssize_t)strlen(text) &&
	       strcmp(buf, text) == 0;
}

int main(void)
{
	char buf[16];
	struct stat st;
	int fd, flags;

	/* O_CREAT | O_EXCL. */
	fd = open("f", O_WRONLY | O_CREAT | O_EXCL, 0644);
	CHECK("creat_excl_new", fd >= 0);
	CHECK_EQ("write_initial", write(fd, "hello world", 11), 11);
	close(fd);
	CHECK_ERRNO("creat_excl_existing_eexist", open("f", O_WRONLY | O_CREAT | O_EXCL, 0644),
		    EEXIST);
	CHECK_ERRNO("open_missing_without_creat_enoent", open("g", O_RDONLY), ENOENT);
	fd = open("f", O_RDONLY | O_CREAT, 0644);
	CHECK("creat_existing_opens_it", fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 11);
	close(fd);

	/* O_APPEND writes at the end whatever the offset. */
	fd = open("f", O_WRONLY | O_APPEND);
	CHECK("open_append", fd >= 0);
	CHECK("lseek_start", lseek(fd, 0, SEEK_SET) == 0);
	CHECK_EQ("append_write", write(fd, "!", 1), 1);
	CHECK_EQ("offset_after_append", lseek(fd, 0, SEEK_CUR), 12);
	CHECK("appended_at_end", holds("f", "hello world!"));
	flags = fcntl(fd, F_GETFL);
	CHECK("getfl_append", flags >= 0 && (flags & O_APPEND) && (flags & O_ACCMODE) == O_WRONLY);
	CHECK("setfl_clear_append", fcntl(fd, F_SETFL, flags & ~O_APPEND) == 0);
	CHECK("getfl_append_cleared", (fcntl(fd, F_GETFL) & O_APPEND) == 0);
	CHECK("lseek_start_again", lseek(fd, 0, SEEK_SET) == 0);
	CHECK_EQ("overwrite_without_append", write(fd, "J", 1), 1);
	CHECK("overwritten_at_start", holds("f", "Jello world!"));
	CHECK_ERRNO("read_from_write_only_ebadf", read(fd, buf, 1), EBADF);
	close(fd);

	/* O_TRUNC. */
	fd = open("f", O_WRONLY | O_TRUNC);
	CHECK("open_trunc", fd >= 0);
	CHECK("trunc_emptied", fstat(fd, &st) == 0 && st.st_size == 0);
	close(fd);

	/* Reading and writing only as opened. */
	fd = open("f", O_RDONLY);
	CHECK("open_read_only", fd >= 0);
	CHECK_ERRNO("write_to_read_only_ebadf", write(fd, "x", 1), EBADF);
	CHECK("getfl_read_only", (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY);
	close(fd);
	CHECK_ERRNO("write_closed_fd_ebadf", write(fd, "x", 1), EBADF);

	/* Directories. */
	CHECK("mkdir", mkdir("d", 0755) == 0);
	fd = open("d", O_RDONLY | O_DIRECTORY);
	CHECK("o_directory_on_dir", fd >= 0);
	CHECK_ERRNO("read_dir_eisdir", read(fd, buf, sizeof(buf)), EISDIR);
	close(fd);
	CHECK_ERRNO("o_directory_on_file_enotdir", open("f", O_RDONLY | O_DIRECTORY), ENOTDIR);
	CHECK_ERRNO("open_dir_write_only_eisdir", open("d", O_WRONLY), EISDIR);
	CHECK_ERRNO("open_dir_read_write_eisdir", open("d", O_RDWR), EISDIR);
	CHECK_ERRNO("creat_on_dir_eisdir", open("d", O_WRONLY | O_CREAT, 0644), EISDIR);

	/* O_CLOEXEC. */
	fd = open("f", O_RDONLY | O_CLOEXEC);
	CHECK("o_cloexec_sets_fd_flag", fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC));
	CHECK("clear_cloexec", fcntl(fd, F_SETFD, 0) == 0 && fcntl(fd, F_GETFD) == 0);
	close(fd);
	fd = open("f", O_RDONLY);
	CHECK("no_cloexec_by_default", fd >= 0 && fcntl(fd, F_GETFD) == 0);
	close(fd);
	contract_pass();
}
