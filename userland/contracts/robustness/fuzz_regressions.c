/*
 * fuzz_regressions - calls the syscall fuzzer once crashed the kernel
 * with. Each now fails with the errno Linux gives, and the kernel lives on.
 */
#include "contract.h"

#include <sys/mman.h>
#include <sys/select.h>
#include <sys/uio.h>

/* The first 64 bytes of clone3's struct clone_args. */
struct clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

/* clone3 with a stack and size that wrap around, or only one of the two. */
static void clone3_stacks(void)
{
	struct clone_args args;

	memset(&args, 0, sizeof(args));
	args.exit_signal = SIGCHLD;
	args.stack = ~0ULL - 100;
	args.stack_size = 4096;
	CHECK_ERRNO("clone3_stack_wraps", syscall(SYS_clone3, &args, sizeof(args)), EINVAL);
	args.stack = 0;
	CHECK_ERRNO("clone3_size_without_stack", syscall(SYS_clone3, &args, sizeof(args)),
		    EINVAL);
	args.stack = 0x10000;
	args.stack_size = 0;
	CHECK_ERRNO("clone3_stack_without_size", syscall(SYS_clone3, &args, sizeof(args)),
		    EINVAL);
}

/*
 * A huge mapping with one page touched: mprotect, madvise, mremap and
 * munmap over all of it cost what is mapped, not its length.
 */
static void huge_sparse_mapping(void)
{
	size_t len = 1ULL << 44;
	long long start = contract_now_ms();
	char *map = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	CHECK("huge_mmap", map != MAP_FAILED);
	CHECK("huge_mprotect", mprotect(map, len, PROT_READ | PROT_WRITE) == 0);
	map[len / 2] = 1;
	CHECK("huge_madvise", madvise(map, len, MADV_DONTNEED) == 0);
	CHECK("huge_zero_after_dontneed", map[len / 2] == 0);
	CHECK("huge_mremap_shrink", mremap(map, len, len / 2, 0) == map);
	CHECK("huge_munmap", munmap(map, len) == 0);
	CHECK("huge_is_quick", contract_now_ms() - start < 5000);
}

/* mremap lengths that wrap around the address space. */
static void mremap_wrapping(void)
{
	char *map = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK("mremap_map", map != MAP_FAILED);
	CHECK("mremap_old_len_wraps", mremap(map, (size_t)-4096, 8192, 0) == MAP_FAILED);
	CHECK_ERRNO("mremap_new_len_huge",
		    mremap(map, 4096, (size_t)-4096, MREMAP_MAYMOVE), ENOMEM);
	CHECK("mremap_still_mapped", munmap(map, 4096) == 0);
}

/* Positioned I/O whose span runs past the largest offset. */
static void offsets_that_wrap(void)
{
	char buf[8] = "abcdefg";
	struct iovec iov[2] = { { buf, 4 }, { buf + 4, 4 } };
	int fd = open("wrap", O_RDWR | O_CREAT | O_TRUNC, 0600);

	CHECK("wrap_open", fd >= 0);
	CHECK_ERRNO("pwrite_past_max", pwrite(fd, buf, 8, INT64_MAX - 2), EINVAL);
	CHECK_ERRNO("pread_past_max", pread(fd, buf, 8, INT64_MAX - 2), EINVAL);
	CHECK_ERRNO("pwritev_past_max", pwritev(fd, iov, 2, INT64_MAX - 2), EINVAL);
	CHECK_ERRNO("preadv_past_max", preadv(fd, iov, 2, INT64_MAX - 2), EINVAL);
	CHECK_ERRNO("preadv_negative", preadv(fd, iov, 2, -1), EINVAL);
	CHECK_EQ("pwrite_still_works", pwrite(fd, buf, 8, 0), 8);
	close(fd);
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* select with a timeout of centuries waits until a signal comes. */
static void select_huge_timeout(void)
{
	struct timeval forever = { INT64_MAX, 0 };
	struct sigaction act;
	pid_t child;

	memset(&act, 0, sizeof(act));
	act.sa_handler = on_usr1;
	sigaction(SIGUSR1, &act, NULL);
	child = contract_fork();
	if (child == 0) {
		contract_sleep_ms(100);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	CHECK_ERRNO("select_huge_timeout", select(0, NULL, NULL, NULL, &forever), EINTR);
	contract_wait(child);
}

/* An executable whose program headers claim to be terabytes into the file. */
static void exec_far_program_headers(void)
{
	unsigned char head[64];
	uint64_t far = 0xe90000000000ULL;
	char *argv[] = { "far", NULL };
	int fd = open("/proc/self/exe", O_RDONLY);

	CHECK("far_read_self", fd >= 0 && read(fd, head, sizeof(head)) == sizeof(head));
	close(fd);
	memcpy(head + 32, &far, sizeof(far)); /* e_phoff */
	CHECK("far_write", contract_write_file("far", (const char *)head, sizeof(head)) == 0);
	CHECK("far_chmod", chmod("far", 0755) == 0);
	CHECK("exec_far_program_headers_fails", execve("far", argv, NULL) == -1);
}

int main(void)
{
	clone3_stacks();
	huge_sparse_mapping();
	mremap_wrapping();
	offsets_that_wrap();
	select_huge_timeout();
	exec_far_program_headers();
	contract_pass();
}
