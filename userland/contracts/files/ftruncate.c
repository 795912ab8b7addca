/*
 * files/ftruncate: growing a file with ftruncate leaves a hole that reads
 * as zeros; shrinking drops the data, and growing again does not bring it
 * back; writing past the end also leaves a zero hole; bad requests fail.
 */
#include "contract.h"

#define BIG 10000

static int zeros(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (buf[i])
			return 0;
	}
	return 1;
}

int main(void)
{
	static char buf[BIG + 100];
	struct stat st;
	int fd, ro, p[2];

	fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK("create", fd >= 0);
	CHECK_EQ("write_hello", write(fd, "hello", 5), 5);

	CHECK("grow", ftruncate(fd, BIG) == 0);
	CHECK("size_after_grow", fstat(fd, &st) == 0 && st.st_size == BIG);
	CHECK_EQ("offset_not_moved", lseek(fd, 0, SEEK_CUR), 5);
	CHECK_EQ("read_grown_file", pread(fd, buf, sizeof(buf), 0), BIG);
	CHECK("old_data_kept", memcmp(buf, "hello", 5) == 0);
	CHECK("hole_reads_zero", zeros(buf + 5, BIG - 5));

	CHECK("shrink", ftruncate(fd, 3) == 0);
	CHECK("size_after_shrink", fstat(fd, &st) == 0 && st.st_size == 3);
	CHECK_EQ("read_after_shrink", pread(fd, buf, sizeof(buf), 0), 3);
	CHECK("shrunk_data", memcmp(buf, "hel", 3) == 0);
	CHECK("grow_again", ftruncate(fd, 10) == 0);
	CHECK_EQ("read_regrown", pread(fd, buf, sizeof(buf), 0), 10);
	CHECK("dropped_bytes_stay_zero", memcmp(buf, "hel", 3) == 0 && zeros(buf + 3, 7));

	/* Writing past the end. */
	CHECK_EQ("write_past_end", pwrite(fd, "end", 3, 5000), 3);
	CHECK("size_after_far_write", fstat(fd, &st) == 0 && st.st_size == 5003);
	CHECK_EQ("read_far", pread(fd, buf, sizeof(buf), 0), 5003);
	CHECK("gap_reads_zero", zeros(buf + 10, 4990) && memcmp(buf + 5000, "end", 3) == 0);
	CHECK_EQ("read_at_eof", pread(fd, buf, 10, 5003), 0);

	CHECK("truncate_by_path", truncate("f", 2) == 0 && stat("f", &st) == 0 &&
					  st.st_size == 2);
	CHECK("truncate_to_zero", ftruncate(fd, 0) == 0 && fstat(fd, &st) == 0 &&
					  st.st_size == 0);

	CHECK_ERRNO("negative_length_einval", ftruncate(fd, -1), EINVAL);
	ro = open("f", O_RDONLY);
	CHECK_ERRNO("read_only_fd_einval", ftruncate(ro, 10), EINVAL);
	close(ro);
	CHECK("pipe", pipe(p) == 0);
	CHECK_ERRNO("pipe_einval", ftruncate(p[1], 10), EINVAL);
	CHECK_ERRNO("bad_fd_ebadf", ftruncate(-1, 10), EBADF);
	CHECK("mkdir", mkdir("d", 0755) == 0);
	CHECK_ERRNO("truncate_dir_eisdir", truncate("d", 0), EISDIR);
	contract_pass();
}
