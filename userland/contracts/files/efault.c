/*
 * files/efault: a bad user pointer - a low unmapped address, NULL or a
 * kernel-half address - gives EFAULT from read, write, stat, open and
 * friends; the process is not killed and the fd stays usable.
 *
 * Raw system calls are used: libc wrappers may copy through their own
 * buffers and fault in user space instead.
 */
#include "contract.h"

#define LOW_BAD ((void *)1)
#define KERNEL_ADDR ((void *)0xffffffff80000000UL)

int main(void)
{
	void *const bad[] = { LOW_BAD, NULL, KERNEL_ADDR };
	const char *const names[] = { "low", "null", "kernel" };
	char check[64], buf[16];
	int fd, i;

	CHECK("create_file", contract_write_file("file", "0123456789", 10) == 0);
	fd = open("file", O_RDWR);
	CHECK("open_file", fd >= 0);
	CHECK("symlink_for_readlink", symlink("file", "link") == 0);

	for (i = 0; i < 3; i++) {
		snprintf(check, sizeof(check), "read_%s_efault", names[i]);
		CHECK_ERRNO(check, syscall(SYS_read, fd, bad[i], 10), EFAULT);
		snprintf(check, sizeof(check), "write_%s_efault", names[i]);
		CHECK_ERRNO(check, syscall(SYS_write, fd, bad[i], 10), EFAULT);
		snprintf(check, sizeof(check), "pread_%s_efault", names[i]);
		CHECK_ERRNO(check, syscall(SYS_pread64, fd, bad[i], 4, 0), EFAULT);
		snprintf(check, sizeof(check), "stat_path_%s_efault", names[i]);
		CHECK_ERRNO(check, syscall(SYS_newfstatat, AT_FDCWD, bad[i], buf, 0), EFAULT);
		snprintf(check, sizeof(check), "stat_buf_%s_efault", names[i]);
		CHECK_ERRNO(check, syscall(SYS_newfstatat, AT_FDCWD, "file", bad[i], 0), EFAULT);
		snprintf(check, sizeof(check), "fstat_buf_%s_efault", names[i]);
		CHECK_ERRNO(check, syscall(SYS_fstat, fd, bad[i]), EFAULT);
		snprintf(check, sizeof(check), "open_path_%s_efault", names[i]);
		CHECK_ERRNO(check, syscall(SYS_openat, AT_FDCWD, bad[i], O_RDONLY), EFAULT);
		snprintf(check, sizeof(check), "mkdir_path_%s_efault", names[i]);
		CHECK_ERRNO(check, syscall(SYS_mkdirat, AT_FDCWD, bad[i], 0755), EFAULT);
		snprintf(check, sizeof(check), "readlink_buf_%s_efault", names[i]);
		CHECK_ERRNO(check, syscall(SYS_readlinkat, AT_FDCWD, "link", bad[i], 10), EFAULT);
		snprintf(check, sizeof(check), "getcwd_%s_efault", names[i]);
		CHECK_ERRNO(check, syscall(SYS_getcwd, bad[i], 256), EFAULT);
		snprintf(check, sizeof(check), "pipe_%s_efault", names[i]);
		CHECK_ERRNO(check, syscall(SYS_pipe2, bad[i], 0), EFAULT);
		snprintf(check, sizeof(check), "uname_%s_efault", names[i]);
		CHECK_ERRNO(check, syscall(SYS_uname, bad[i]), EFAULT);
	}

	/* Nothing moved: the offset is still 0 and the data intact. */
	CHECK_EQ("offset_unchanged", lseek(fd, 0, SEEK_CUR), 0);
	CHECK_EQ("fd_still_usable", read(fd, buf, 10), 10);
	CHECK("data_intact", memcmp(buf, "0123456789", 10) == 0);
	contract_pass();
}
