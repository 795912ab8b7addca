/*
 * files/pipes: data passes in order; read returns end of file once every
 * writer is closed (also across fork); writing with no reader is EPIPE and
 * raises SIGPIPE; O_NONBLOCK turns waiting into EAGAIN; poll and FIONREAD
 * report what is there.
 */
#include "contract.h"

#include <poll.h>
#include <sys/ioctl.h>

static volatile int sigpipe_count;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipe_count++;
}

static short poll_events(int fd, short events)
{
	struct pollfd p = { fd, events, 0 };

	if (poll(&p, 1, 0) < 0)
		return -1;
	return p.revents;
}

int main(void)
{
	char buf[128];
	int p[2], avail, status;
	long total;
	ssize_t n;
	pid_t pid;

	CHECK("pipe", pipe(p) == 0);
	CHECK("empty_pipe_not_readable", poll_events(p[0], POLLIN) == 0);
	CHECK("empty_pipe_writable", poll_events(p[1], POLLOUT) == POLLOUT);
	CHECK_EQ("write_hello", write(p[1], "hello", 5), 5);
	CHECK_EQ("write_world", write(p[1], " world", 6), 6);
	CHECK("fionread", ioctl(p[0], FIONREAD, &avail) == 0);
	CHECK_EQ("fionread_counts_bytes", avail, 11);
	CHECK("poll_pollin", poll_events(p[0], POLLIN) == POLLIN);
	CHECK_EQ("read_part", read(p[0], buf, 3), 3);
	CHECK("read_part_data", memcmp(buf, "hel", 3) == 0);
	CHECK_EQ("read_rest", read(p[0], buf, sizeof(buf)), 8);
	CHECK("read_rest_data", memcmp(buf, "lo world", 8) == 0);
	CHECK_ERRNO("read_write_end_ebadf", read(p[1], buf, 1), EBADF);
	CHECK_ERRNO("write_read_end_ebadf", write(p[0], "x", 1), EBADF);
	CHECK_ERRNO("lseek_pipe_espipe", lseek(p[0], 0, SEEK_CUR), ESPIPE);

	/* End of file after the writer closes, with data still drained first. */
	CHECK_EQ("write_last", write(p[1], "bye", 3), 3);
	CHECK("close_writer", close(p[1]) == 0);
	CHECK("poll_pollhup_with_data",
	      (poll_events(p[0], POLLIN) & (POLLIN | POLLHUP)) == (POLLIN | POLLHUP));
	CHECK_EQ("data_before_eof", read(p[0], buf, sizeof(buf)), 3);
	CHECK_EQ("eof", read(p[0], buf, sizeof(buf)), 0);
	CHECK_EQ("eof_again", read(p[0], buf, sizeof(buf)), 0);
	CHECK("poll_pollhup", poll_events(p[0], POLLIN) == POLLHUP);
	CHECK("close_reader", close(p[0]) == 0);

	/* Across fork: EOF comes when the child, the last writer, exits. */
	CHECK("pipe_fork", pipe(p) == 0);
	pid = contract_fork();
	if (pid == 0) {
		close(p[0]);
		write(p[1], "from child", 10);
		_exit(0);
	}
	close(p[1]);
	total = 0;
	while ((n = read(p[0], buf + total, sizeof(buf) - total)) > 0)
		total += n;
	CHECK_EQ("child_data_then_eof", total, 10);
	CHECK("child_data", memcmp(buf, "from child", 10) == 0);
	CHECK_EXIT("child_exit", contract_wait(pid), 0);
	close(p[0]);

	/* No reader: SIGPIPE kills by default; handled, write gives EPIPE. */
	CHECK("pipe_no_reader", pipe(p) == 0 && close(p[0]) == 0);
	pid = contract_fork();
	if (pid == 0) {
		write(p[1], "x", 1);
		_exit(0);
	}
	status = contract_wait(pid);
	CHECK_SIGNALED("sigpipe_kills_by_default", status, SIGPIPE);
	signal(SIGPIPE, on_sigpipe);
	CHECK_ERRNO("write_no_reader_epipe", write(p[1], "x", 1), EPIPE);
	CHECK_EQ("sigpipe_delivered", sigpipe_count, 1);
	signal(SIGPIPE, SIG_IGN);
	CHECK_ERRNO("write_no_reader_ignored_epipe", write(p[1], "x", 1), EPIPE);
	CHECK("poll_pollerr_no_reader", (poll_events(p[1], POLLOUT) & POLLERR) == POLLERR);
	close(p[1]);

	/* O_NONBLOCK: EAGAIN instead of waiting, both ways. */
	CHECK("pipe2_nonblock", pipe2(p, O_NONBLOCK) == 0);
	CHECK("nonblock_flag_set", (fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0);
	CHECK_ERRNO("read_empty_eagain", read(p[0], buf, 1), EAGAIN);
	memset(buf, 'z', sizeof(buf));
	total = 0;
	while ((n = write(p[1], buf, sizeof(buf))) > 0)
		total += n;
	CHECK_ERRNO("write_full_eagain", write(p[1], buf, 1), EAGAIN);
	CHECK("capacity_at_least_pipe_buf", total >= 4096);
	CHECK("full_pipe_not_writable", poll_events(p[1], POLLOUT) == 0);
	CHECK_EQ("drain_some", read(p[0], buf, sizeof(buf)), sizeof(buf));
	CHECK("pipe2_cloexec_not_set", (fcntl(p[0], F_GETFD) & FD_CLOEXEC) == 0);
	close(p[0]);
	close(p[1]);
	CHECK("pipe2_cloexec", pipe2(p, O_CLOEXEC) == 0 && (fcntl(p[1], F_GETFD) & FD_CLOEXEC));
	CHECK_ERRNO("pipe2_bad_flags_einval", pipe2(p, 0x12345678), EINVAL);
	contract_pass();
}
