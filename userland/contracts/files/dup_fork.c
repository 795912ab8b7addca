/*
 * files/dup_fork: dup, dup2, dup3 and F_DUPFD give the lowest free number,
 * share the file offset and flags with the original but not the
 * close-on-exec flag; after fork, parent and child share offsets too.
 */
#include "contract.h"

/* The raw call: the libc wrapper answers some cases itself. */
static long sys_dup3(int from, int to, int flags)
{
	return syscall(SYS_dup3, from, to, flags);
}

static int cloexec(int fd)
{
	return (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
}

int main(void)
{
	char buf[64];
	int fd, copy, spare, low, high;
	pid_t pid;

	fd = open("data", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK("open", fd >= 0);
	CHECK_EQ("write_abc", write(fd, "abc", 3), 3);

	/* dup: a new number sharing the offset, without close-on-exec. */
	copy = dup(fd);
	CHECK("dup", copy >= 0 && copy != fd);
	CHECK("dup_shares_offset", lseek(copy, 0, SEEK_CUR) == 3);
	CHECK("lseek_via_copy", lseek(copy, 1, SEEK_SET) == 1);
	CHECK("offset_seen_by_original", lseek(fd, 0, SEEK_CUR) == 1);
	CHECK("original_has_cloexec", cloexec(fd));
	CHECK("dup_clears_cloexec", !cloexec(copy));

	/* The lowest free number is reused. */
	spare = dup(fd);
	CHECK("close_copy", close(copy) == 0);
	CHECK_EQ("dup_takes_lowest_free", dup(fd), copy);
	CHECK("close_both", close(copy) == 0 && close(spare) == 0);

	/* dup2 and dup3. */
	CHECK_EQ("dup2_to_chosen_number", dup2(fd, 40), 40);
	CHECK("dup2_shares_offset", lseek(40, 0, SEEK_CUR) == 1);
	CHECK_EQ("dup2_same_fd_returns_it", dup2(fd, fd), fd);
	CHECK_ERRNO("dup3_same_fd_einval", sys_dup3(fd, fd, 0), EINVAL);
	CHECK_ERRNO("dup3_bad_flags_einval", sys_dup3(fd, 41, 12345), EINVAL);
	low = open("/dev/null", O_RDONLY);
	CHECK_EQ("dup2_over_open_fd", dup2(low, 40), 40);
	CHECK("replaced_fd_is_new_file", lseek(40, 0, SEEK_CUR) == 0 &&
						 read(40, buf, 1) == 0);
	CHECK("close_low", close(low) == 0);
	CHECK_EQ("dup3_cloexec", sys_dup3(fd, 40, O_CLOEXEC), 40);
	CHECK("dup3_sets_cloexec", cloexec(40));
	CHECK("close_40", close(40) == 0);

	/* F_DUPFD and F_DUPFD_CLOEXEC pick the lowest free number >= arg. */
	high = fcntl(fd, F_DUPFD, 50);
	CHECK_EQ("f_dupfd_min", high, 50);
	CHECK_EQ("f_dupfd_next", fcntl(fd, F_DUPFD_CLOEXEC, 50), 51);
	CHECK("f_dupfd_cloexec_flag", cloexec(51) && !cloexec(50));
	CHECK("close_50_51", close(50) == 0 && close(51) == 0);

	CHECK_ERRNO("dup_bad_fd_ebadf", dup(-1), EBADF);
	CHECK_ERRNO("dup2_bad_fd_ebadf", dup2(99, 40), EBADF);
	CHECK_ERRNO("dup2_negative_target_ebadf", dup2(fd, -1), EBADF);
	CHECK_ERRNO("close_closed_ebadf", close(40), EBADF);

	/* After fork the offset is shared: writes interleave in order. */
	CHECK("truncate", ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0);
	CHECK_EQ("parent_writes_A", write(fd, "A", 1), 1);
	pid = contract_fork();
	if (pid == 0) {
		int ok = lseek(fd, 0, SEEK_CUR) == 1 && write(fd, "BB", 2) == 2;

		_exit(ok ? 0 : 1);
	}
	CHECK_EXIT("child_writes_BB", contract_wait(pid), 0);
	CHECK("parent_sees_child_offset", lseek(fd, 0, SEEK_CUR) == 3);
	CHECK_EQ("parent_writes_C", write(fd, "C", 1), 1);
	pid = contract_fork();
	if (pid == 0)
		_exit(lseek(fd, 0, SEEK_SET) == 0 ? 0 : 1);
	CHECK_EXIT("child_seeks_to_start", contract_wait(pid), 0);
	CHECK("parent_offset_moved_by_child", lseek(fd, 0, SEEK_CUR) == 0);
	CHECK_EQ("read_whole_file", read(fd, buf, sizeof(buf)), 4);
	CHECK("file_is_ABBC", memcmp(buf, "ABBC", 4) == 0);
	contract_pass();
}
