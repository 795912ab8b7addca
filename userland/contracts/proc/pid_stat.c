/*
 * proc/pid_stat: /proc/<pid>/stat has at least 44 fields; the command name
 * is everything between the first '(' and the last ')', even when it holds
 * ") (" itself; pid, state, ppid, pgrp, session, priority, nice,
 * num_threads, exit_signal and the code and stack addresses agree with
 * what the process knows about itself.
 *
 * Run with the argument "wait", the program waits for end of file on
 * stdin: the test runs itself under an odd name to make such a child.
 */
#include "contract.h"

#include <sys/resource.h>

#define ODD_NAME "x) (y"
#define MIN_FIELDS 44

struct stat_line {
	int pid;
	char comm[64];
	char state;
	unsigned long long field[64]; /* field[n] is stat field n (1-based), from 4 on */
	int count;                    /* number of fields in the line */
};

/* Parses a stat line; returns 0 on success. */
static int parse_stat(const char *text, struct stat_line *out)
{
	const char *open_paren = strchr(text, '(');
	const char *close_paren = strrchr(text, ')');
	const char *p;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (!open_paren || !close_paren || close_paren < open_paren || sscanf(text, "%d", &out->pid) != 1)
		return -1;
	len = (size_t)(close_paren - open_paren - 1);
	if (len >= sizeof(out->comm))
		return -1;
	memcpy(out->comm, open_paren + 1, len);
	if (close_paren[1] != ' ' || close_paren[3] != ' ')
		return -1;
	out->state = close_paren[2];
	out->count = 3;
	for (p = close_paren + 3; *p == ' ';) {
		char *end;
		unsigned long long value;

		p++;
		if (*p == '-') {
			value = (unsigned long long)strtoll(p, &end, 10);
		} else {
			value = strtoull(p, &end, 10);
		}
		if (end == p)
			return -1;
		out->count++;
		if (out->count < 64)
			out->field[out->count] = value;
		p = end;
	}
	return *p == '\n' ? 0 : -1;
}

static void read_stat(const char *name, const char *path, struct stat_line *out)
{
	char buf[2048];

	if (contract_read_file(path, buf, sizeof(buf)) <= 0)
		contract_fail(name, errno);
	if (parse_stat(buf, out) != 0)
		contract_fail_why(name, "malformed stat line");
	contract_ok(name);
}

int main(int argc, char **argv)
{
	char self[PATH_MAX], path[64], buf[256];
	struct stat_line st;
	double uptime;
	int to_child[2], local;
	pid_t pid;

	if (argc == 2 && strcmp(argv[1], "wait") == 0) {
		while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
			;
		return 0;
	}
	if (!realpath(argv[0], self) && readlink("/proc/self/exe", self, sizeof(self) - 1) < 0)
		contract_fail("find_own_path", errno);

	/* Our own stat. */
	CHECK("setpriority_5", setpriority(PRIO_PROCESS, 0, 5) == 0);
	read_stat("read_self_stat", "/proc/self/stat", &st);
	CHECK("self_field_count", st.count >= MIN_FIELDS);
	CHECK_EQ("self_pid", st.pid, getpid());
	CHECK_STR("self_comm", st.comm, "pid_stat");
	CHECK("self_state_running", st.state == 'R');
	CHECK_EQ("self_ppid", st.field[4], getppid());
	CHECK_EQ("self_pgrp", st.field[5], getpgrp());
	CHECK_EQ("self_session", st.field[6], getsid(0));
	CHECK_EQ("self_priority", st.field[18], 25);
	CHECK_EQ("self_nice", st.field[19], 5);
	CHECK_EQ("self_num_threads", st.field[20], 1);
	CHECK_EQ("self_exit_signal_sigchld", st.field[38], SIGCHLD);
	CHECK("self_vsize_nonzero", st.field[23] > 0);
	CHECK("main_within_code", st.field[26] <= (unsigned long)main &&
					  (unsigned long)main < st.field[27]);
	CHECK("local_below_stack_start", (unsigned long)&local < st.field[28]);
	CHECK("read_uptime", contract_read_file("/proc/uptime", buf, sizeof(buf)) > 0 &&
				     sscanf(buf, "%lf", &uptime) == 1);
	CHECK("starttime_not_in_future",
	      st.field[22] <= (unsigned long long)((uptime + 1) * sysconf(_SC_CLK_TCK)));

	/* A child started under a name holding ") (". */
	CHECK("odd_name_link", symlink(self, ODD_NAME) == 0);
	CHECK("pipe", pipe(to_child) == 0);
	pid = contract_fork();
	if (pid == 0) {
		char *child_argv[] = { "./" ODD_NAME, "wait", NULL };

		dup2(to_child[0], STDIN_FILENO);
		close(to_child[0]);
		close(to_child[1]);
		execv(child_argv[0], child_argv);
		_exit(127);
	}
	close(to_child[0]);

	/* Wait until the child has exec'ed: its comm changes. */
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	{
		long long deadline = contract_now_ms() + 5000;

		while (contract_now_ms() < deadline) {
			if (contract_read_file(path, buf, sizeof(buf)) > 0 && strstr(buf, ODD_NAME))
				break;
			contract_sleep_ms(10);
		}
	}
	read_stat("read_child_stat", path, &st);
	CHECK_STR("child_comm_with_parens", st.comm, ODD_NAME);
	CHECK_EQ("child_pid", st.pid, pid);
	CHECK("child_state_valid", strchr("RSD", st.state) != NULL);
	CHECK("child_field_count", st.count >= MIN_FIELDS);
	CHECK_EQ("child_ppid_is_us", st.field[4], getpid());
	CHECK_EQ("child_nice_inherited", st.field[19], 5);
	CHECK_EQ("child_num_threads", st.field[20], 1);

	close(to_child[1]);
	CHECK_EXIT("child_exit", contract_wait(pid), 0);
	contract_pass();
}
