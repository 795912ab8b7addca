/*
 * vm/mmap_limits: absurd mmap requests get the errno Linux gives (lengths
 * of 0, past the address space or wrapping, unaligned offsets and fixed
 * addresses, offsets past the largest file, bad types, fds and file kinds,
 * shared mappings of files that have no pages to share);
 * a private writable or shared anonymous request larger than any machine's
 * RAM fails with ENOMEM under the default overcommit heuristic, unless it
 * is MAP_NORESERVE or read-only, and brk refuses such growth. munmap over a
 * hole unmaps what is there; mprotect over a hole fails with ENOMEM after
 * changing the mappings before the hole, and changes nothing when the range
 * starts in one.
 *
 * The system calls are made directly: libc wrappers check some lengths
 * themselves. 1 << 46 bytes (64 TiB) exceeds the RAM of any machine this
 * runs on but fits in the 128 TiB user address space.
 */
#include "contract.h"

#include <sys/mman.h>

#define P 4096UL
#define HUGE_LEN (1UL << 46)
#define TASK_TOP ((1UL << 47) - P)
#define NAME "limits.bin"

static long raw_mmap(unsigned long addr, unsigned long len, int prot, int flags, int fd,
		     unsigned long offset)
{
	return syscall(SYS_mmap, addr, len, prot, flags, fd, offset);
}

static const int ANON = MAP_PRIVATE | MAP_ANONYMOUS;
static const int RW = PROT_READ | PROT_WRITE;

/* Whether a child writing to `at` survives (1) or dies of SIGSEGV (0). */
static int write_survives(volatile unsigned char *at)
{
	pid_t pid = contract_fork();
	int status;

	if (pid == 0) {
		*at = 1;
		_exit(0);
	}
	status = contract_wait(pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 1;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV)
		return 0;
	contract_fail_why("write_child", "ended neither by exit 0 nor by SIGSEGV");
}

static void check_lengths_and_addresses(void)
{
	long at;

	CHECK_ERRNO("zero_length_einval", raw_mmap(0, 0, PROT_READ, ANON, -1, 0), EINVAL);
	CHECK_ERRNO("wrapping_length_enomem", raw_mmap(0, -1UL, PROT_READ, ANON, -1, 0), ENOMEM);
	CHECK_ERRNO("length_past_address_space_enomem",
		    raw_mmap(0, 1UL << 47, PROT_READ, ANON, -1, 0), ENOMEM);
	CHECK_ERRNO("unaligned_offset_einval", raw_mmap(0, P, PROT_READ, ANON, -1, 1), EINVAL);
	CHECK_ERRNO("unaligned_offset_before_bad_fd_einval",
		    raw_mmap(0, P, PROT_READ, MAP_PRIVATE, 999, 1), EINVAL);
	CHECK_ERRNO("fixed_unaligned_einval",
		    raw_mmap(0x100001, P, PROT_READ, ANON | MAP_FIXED, -1, 0), EINVAL);
	CHECK_ERRNO("fixed_past_top_enomem",
		    raw_mmap(TASK_TOP - P, 2 * P, PROT_READ, ANON | MAP_FIXED, -1, 0), ENOMEM);
	CHECK_ERRNO("fixed_at_top_enomem", raw_mmap(TASK_TOP, P, PROT_READ, ANON | MAP_FIXED, -1, 0),
		    ENOMEM);
	CHECK_ERRNO("no_map_type_einval", raw_mmap(0, P, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL);
	CHECK_ERRNO("shared_validate_anonymous_einval",
		    raw_mmap(0, P, PROT_READ, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1, 0), EINVAL);
	CHECK_ERRNO("shared_growsdown_einval",
		    raw_mmap(0, P, PROT_READ, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0),
		    EINVAL);

	at = raw_mmap(0, P, PROT_READ | 0x100, ANON, -1, 0);
	CHECK("unknown_prot_bits_ignored", at != -1 && munmap((void *)at, P) == 0);
	at = raw_mmap(0, P, PROT_READ, ANON, -1, 0xfffffffffffff000UL);
	CHECK("anonymous_ignores_offset", at != -1 && munmap((void *)at, P) == 0);
}

static void check_files(void)
{
	int fd, dir, proc;
	long at;

	CHECK("create_file", contract_write_file(NAME, "data", 4) == 0);
	fd = open(NAME, O_RDWR);
	CHECK("open_file", fd >= 0);
	dir = open(".", O_RDONLY | O_DIRECTORY);
	CHECK("open_dir", dir >= 0);

	CHECK_ERRNO("bad_fd_ebadf", raw_mmap(0, P, PROT_READ, MAP_PRIVATE, 999, 0), EBADF);
	CHECK_ERRNO("bad_fd_before_zero_length_ebadf",
		    raw_mmap(0, 0, PROT_READ, MAP_PRIVATE, 999, 0), EBADF);
	CHECK_ERRNO("directory_enodev", raw_mmap(0, P, PROT_READ, MAP_PRIVATE, dir, 0), ENODEV);
	proc = open("/proc/self/stat", O_RDONLY);
	CHECK("open_proc_file", proc >= 0);
	CHECK_ERRNO("shared_proc_file_enodev", raw_mmap(0, P, PROT_READ, MAP_SHARED, proc, 0),
		    ENODEV);
	close(proc);
	CHECK_ERRNO("offset_past_largest_file_eoverflow",
		    raw_mmap(0, P, PROT_READ, MAP_SHARED, fd, 0x7ffffffffffff000UL), EOVERFLOW);
	CHECK_ERRNO("offset_wrapping_eoverflow",
		    raw_mmap(0, P, PROT_READ, MAP_PRIVATE, fd, 0xfffffffffffff000UL), EOVERFLOW);
	at = raw_mmap(0, P, PROT_READ, MAP_SHARED, fd, 0x7fffffffffffe000UL);
	CHECK("offset_at_largest_file_maps", at != -1 && munmap((void *)at, P) == 0);
	CHECK_ERRNO("shared_validate_unknown_flag_eopnotsupp",
		    raw_mmap(0, P, PROT_READ, MAP_SHARED_VALIDATE | 0x800000, fd, 0), EOPNOTSUPP);
	at = raw_mmap(0, P, PROT_READ, MAP_SHARED | 0x800000, fd, 0);
	CHECK("shared_ignores_unknown_flag", at != -1 && munmap((void *)at, P) == 0);
	CHECK_ERRNO("file_growsdown_einval",
		    raw_mmap(0, P, PROT_READ, MAP_PRIVATE | MAP_GROWSDOWN, fd, 0), EINVAL);
	CHECK_ERRNO("private_writable_file_beyond_memory_enomem",
		    raw_mmap(0, HUGE_LEN, RW, MAP_PRIVATE, fd, 0), ENOMEM);

	close(dir);
	close(fd);
	CHECK("unlink_file", unlink(NAME) == 0);
}

static void check_overcommit(void)
{
	unsigned long brk_now;
	long at;

	CHECK_ERRNO("private_writable_beyond_memory_enomem", raw_mmap(0, HUGE_LEN, RW, ANON, -1, 0),
		    ENOMEM);
	CHECK_ERRNO("shared_anonymous_beyond_memory_enomem",
		    raw_mmap(0, HUGE_LEN, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0), ENOMEM);
	at = raw_mmap(0, HUGE_LEN, RW, ANON | MAP_NORESERVE, -1, 0);
	CHECK("noreserve_beyond_memory_maps", at != -1);
	((volatile unsigned char *)at)[HUGE_LEN / 2] = 1;
	CHECK("noreserve_page_usable", ((volatile unsigned char *)at)[HUGE_LEN / 2] == 1);
	CHECK("munmap_noreserve", munmap((void *)at, HUGE_LEN) == 0);
	at = raw_mmap(0, HUGE_LEN, PROT_READ, ANON, -1, 0);
	CHECK("read_only_beyond_memory_maps", at != -1 && munmap((void *)at, HUGE_LEN) == 0);

	brk_now = syscall(SYS_brk, 0);
	CHECK_EQ("brk_beyond_memory_keeps_break", syscall(SYS_brk, brk_now + HUGE_LEN), brk_now);
}

static void check_holes(void)
{
	unsigned char *at = (unsigned char *)raw_mmap(0, 3 * P, PROT_READ, ANON, -1, 0);

	CHECK("map_three_pages", at != (unsigned char *)-1);
	CHECK("munmap_middle", munmap(at + P, P) == 0);
	CHECK_ERRNO("mprotect_over_hole_enomem", mprotect(at, 3 * P, RW), ENOMEM);
	CHECK("mprotect_changed_page_before_hole", write_survives(at));
	CHECK("mprotect_left_page_after_hole", !write_survives(at + 2 * P));
	CHECK_ERRNO("mprotect_from_hole_enomem", mprotect(at + P, 2 * P, RW), ENOMEM);
	CHECK("mprotect_from_hole_changed_nothing", !write_survives(at + 2 * P));
	CHECK_ERRNO("mprotect_unaligned_einval", syscall(SYS_mprotect, at + 1, P, PROT_READ),
		    EINVAL);
	CHECK_ERRNO("mprotect_bad_prot_einval", mprotect(at, P, 0x100), EINVAL);
	CHECK_EQ("mprotect_zero_length_ignores_prot", syscall(SYS_mprotect, at, 0, 0x100), 0);
	CHECK_ERRNO("mprotect_past_top_enomem", syscall(SYS_mprotect, TASK_TOP, P, PROT_READ),
		    ENOMEM);
	CHECK_ERRNO("mprotect_wrapping_enomem", syscall(SYS_mprotect, at, -P, PROT_READ), ENOMEM);

	CHECK("munmap_over_hole", munmap(at, 3 * P) == 0);
	CHECK("munmap_unmapped", munmap(at, 3 * P) == 0);
	CHECK_ERRNO("munmap_zero_length_einval", munmap(at, 0), EINVAL);
	CHECK_ERRNO("munmap_unaligned_einval", syscall(SYS_munmap, at + 1, P), EINVAL);
	CHECK_ERRNO("munmap_past_top_einval", syscall(SYS_munmap, TASK_TOP, P), EINVAL);
	CHECK_ERRNO("munmap_across_top_einval", syscall(SYS_munmap, TASK_TOP - P, 2 * P), EINVAL);
}

int main(void)
{
	check_lengths_and_addresses();
	check_files();
	check_overcommit();
	check_holes();
	contract_pass();
}
