/*
 * proc/bad_pointers: bad user pointers given to calls on /proc - a read
 * buffer, a readlink buffer, a getdents64 buffer, a path - give EFAULT,
 * and the file still reads correctly afterwards.
 *
 * Raw system calls are used so that libc does not get in the way.
 */
#include "contract.h"

#define LOW_BAD ((void *)1)
#define KERNEL_ADDR ((void *)0xffffffff80000000UL)

int main(void)
{
	char buf[1024], me[32];
	int fd, dir;

	snprintf(me, sizeof(me), "%d ", (int)getpid());
	fd = open("/proc/self/stat", O_RDONLY);
	CHECK("open_stat", fd >= 0);
	CHECK_ERRNO("read_low_efault", syscall(SYS_read, fd, LOW_BAD, 100), EFAULT);
	CHECK_ERRNO("read_null_efault", syscall(SYS_read, fd, NULL, 100), EFAULT);
	CHECK_ERRNO("read_kernel_efault", syscall(SYS_read, fd, KERNEL_ADDR, 100), EFAULT);
	CHECK("read_after_efault", read(fd, buf, sizeof(buf)) > 0);
	CHECK("read_after_efault_from_start", strncmp(buf, me, strlen(me)) == 0);
	close(fd);

	fd = open("/proc/meminfo", O_RDONLY);
	CHECK("open_meminfo", fd >= 0);
	CHECK_ERRNO("meminfo_read_kernel_efault", syscall(SYS_read, fd, KERNEL_ADDR, 64), EFAULT);
	close(fd);

	CHECK_ERRNO("readlink_self_low_efault",
		    syscall(SYS_readlinkat, AT_FDCWD, "/proc/self", LOW_BAD, 16), EFAULT);
	CHECK_ERRNO("readlink_exe_kernel_efault",
		    syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", KERNEL_ADDR, 16), EFAULT);
	CHECK_ERRNO("open_path_kernel_efault",
		    syscall(SYS_openat, AT_FDCWD, KERNEL_ADDR, O_RDONLY), EFAULT);

	dir = open("/proc", O_RDONLY | O_DIRECTORY);
	CHECK("open_proc", dir >= 0);
	CHECK_ERRNO("getdents_low_efault", syscall(SYS_getdents64, dir, LOW_BAD, 4096), EFAULT);
	CHECK_ERRNO("getdents_kernel_efault", syscall(SYS_getdents64, dir, KERNEL_ADDR, 4096),
		    EFAULT);
	CHECK("getdents_after_efault", syscall(SYS_getdents64, dir, buf, sizeof(buf)) > 0);
	close(dir);
	contract_pass();
}
