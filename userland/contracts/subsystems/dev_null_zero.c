/*
 * subsystems/dev_null_zero: /dev/null swallows writes and reads end of file;
 * /dev/zero reads zeros and accepts writes; both are the character devices
 * Linux numbers 1:3 and 1:5.
 */
#include "contract.h"

#include <sys/sysmacros.h>

int main(void)
{
	char buf[8192];
	struct stat st;
	size_t i;
	int fd, zero_ok;

	fd = open("/dev/null", O_RDWR);
	CHECK("open_dev_null", fd >= 0);
	memset(buf, 'x', sizeof(buf));
	CHECK_EQ("null_write_swallowed", write(fd, buf, sizeof(buf)), sizeof(buf));
	CHECK_EQ("null_read_eof", read(fd, buf, sizeof(buf)), 0);
	CHECK_EQ("null_read_eof_again", read(fd, buf, 1), 0);
	CHECK("fstat_dev_null", fstat(fd, &st) == 0);
	CHECK("null_is_char_device", S_ISCHR(st.st_mode));
	CHECK("null_is_1_3", major(st.st_rdev) == 1 && minor(st.st_rdev) == 3);
	CHECK("close_dev_null", close(fd) == 0);

	fd = open("/dev/zero", O_RDWR);
	CHECK("open_dev_zero", fd >= 0);
	memset(buf, 0xff, sizeof(buf));
	CHECK_EQ("zero_read_full", read(fd, buf, sizeof(buf)), sizeof(buf));
	zero_ok = 1;
	for (i = 0; i < sizeof(buf); i++)
		zero_ok = zero_ok && buf[i] == 0;
	CHECK("zero_reads_zeros", zero_ok);
	memset(buf, 0xff, 10);
	CHECK_EQ("zero_read_odd_size", read(fd, buf + 3, 5), 5);
	CHECK("zero_odd_read_exact", buf[2] == (char)0xff && buf[3] == 0 && buf[7] == 0 &&
					buf[8] == (char)0xff);
	CHECK_EQ("zero_write_accepted", write(fd, "abc", 3), 3);
	CHECK("fstat_dev_zero", fstat(fd, &st) == 0);
	CHECK("zero_is_char_device", S_ISCHR(st.st_mode));
	CHECK("zero_is_1_5", major(st.st_rdev) == 1 && minor(st.st_rdev) == 5);
	CHECK("close_dev_zero", close(fd) == 0);
	contract_pass();
}
