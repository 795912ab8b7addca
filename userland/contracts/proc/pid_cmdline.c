/*
 * proc/pid_cmdline: /proc/<pid>/cmdline is the argument vector, each
 * argument followed by a NUL (empty arguments included), the same whether
 * read at once or a few bytes at a time; /proc/<pid>/comm is the program
 * name (at most 15 bytes) and a newline, and a process may rename itself
 * through it or through prctl(PR_SET_NAME), which stat and status reflect.
 *
 * Run with "wait" as first argument, the program waits for end of file on
 * stdin: the test runs itself that way to have a child with known argv.
 */
#include "contract.h"

#include <sys/prctl.h>

static const char want_tail[] = "wait\0\0two words\0last";

/* Reads a file a few bytes per read() call; returns the length or -1. */
static ssize_t read_in_pieces(const char *path, char *buf, size_t size, size_t piece)
{
	int fd = open(path, O_RDONLY);
	size_t len = 0;
	ssize_t got;

	if (fd < 0)
		return -1;
	while (len + piece <= size && (got = read(fd, buf + len, piece)) > 0)
		len += (size_t)got;
	close(fd);
	return (ssize_t)len;
}

int main(int argc, char **argv)
{
	char self[PATH_MAX], path[64], whole[PATH_MAX + 64], pieces[PATH_MAX + 64];
	char want[PATH_MAX + 64], buf[256];
	int to_child[2], i;
	size_t want_len, self_len;
	ssize_t len;
	pid_t pid;

	if (argc >= 2 && strcmp(argv[1], "wait") == 0) {
		while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
			;
		return 0;
	}
	if (!realpath(argv[0], self) && readlink("/proc/self/exe", self, sizeof(self) - 1) < 0)
		contract_fail("find_own_path", errno);

	/* Our own command line is our argv. */
	len = contract_read_file("/proc/self/cmdline", whole, sizeof(whole));
	want_len = 0;
	for (i = 0; i < argc; i++) {
		memcpy(want + want_len, argv[i], strlen(argv[i]) + 1);
		want_len += strlen(argv[i]) + 1;
	}
	CHECK_EQ("self_cmdline_length", len, want_len);
	CHECK("self_cmdline_is_argv", memcmp(whole, want, want_len) == 0);

	/* A child with an empty argument and one with a space. */
	CHECK("pipe", pipe(to_child) == 0);
	pid = contract_fork();
	if (pid == 0) {
		char *child_argv[] = { self, "wait", "", "two words", "last", NULL };

		dup2(to_child[0], STDIN_FILENO);
		close(to_child[0]);
		close(to_child[1]);
		execv(self, child_argv);
		_exit(127);
	}
	close(to_child[0]);

	self_len = strlen(self) + 1;
	memcpy(want, self, self_len);
	memcpy(want + self_len, want_tail, sizeof(want_tail));
	want_len = self_len + sizeof(want_tail);
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	{
		/* Before exec the child still shows our argv: wait for the new one. */
		long long deadline = contract_now_ms() + 5000;

		while (contract_now_ms() < deadline) {
			len = contract_read_file(path, whole, sizeof(whole));
			if (len == (ssize_t)want_len)
				break;
			contract_sleep_ms(10);
		}
	}
	CHECK_EQ("child_cmdline_length", len, want_len);
	CHECK("child_cmdline_nul_separated", memcmp(whole, want, want_len) == 0);
	len = read_in_pieces(path, pieces, sizeof(pieces), 3);
	CHECK_EQ("small_reads_same_length", len, want_len);
	CHECK("small_reads_same_bytes", memcmp(pieces, want, want_len) == 0);
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	CHECK("read_child_comm", contract_read_file(path, buf, sizeof(buf)) > 0);
	CHECK_STR("child_comm", buf, "pid_cmdline\n");
	close(to_child[1]);
	CHECK_EXIT("child_exit", contract_wait(pid), 0);

	/* comm: read, rename through the file, through prctl, truncation. */
	CHECK("read_self_comm", contract_read_file("/proc/self/comm", buf, sizeof(buf)) > 0);
	CHECK_STR("self_comm", buf, "pid_cmdline\n");
	CHECK("write_self_comm", contract_write_file("/proc/self/comm", "renamed", 7) == 0);
	CHECK("reread_comm", contract_read_file("/proc/self/comm", buf, sizeof(buf)) > 0);
	CHECK_STR("comm_renamed", buf, "renamed\n");
	CHECK("stat_shows_new_name", contract_read_file("/proc/self/stat", buf, sizeof(buf)) > 0 &&
					     strstr(buf, " (renamed) ") != NULL);
	CHECK("prctl_set_name", prctl(PR_SET_NAME, "a-much-longer-name-here", 0, 0, 0) == 0);
	CHECK("read_comm_after_prctl", contract_read_file("/proc/self/comm", buf, sizeof(buf)) > 0);
	CHECK_STR("comm_truncated_to_15", buf, "a-much-longer-n\n");
	CHECK("status_shows_name", contract_read_file("/proc/self/status", buf, sizeof(buf)) > 0 &&
					   strncmp(buf, "Name:\ta-much-longer-n\n", 22) == 0);
	CHECK("prctl_get_name", prctl(PR_GET_NAME, buf, 0, 0, 0) == 0);
	CHECK_STR("prctl_get_name_value", buf, "a-much-longer-n");
	contract_pass();
}
