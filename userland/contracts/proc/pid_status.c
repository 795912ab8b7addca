/*
 * proc/pid_status: /proc/<pid>/status has the lines tools parse - Name,
 * Umask, State, Tgid, Pid, PPid, Uid, Gid, Threads, SigBlk, SigIgn - with
 * the right values, for ourselves (running) and for a child asleep on a
 * pipe.
 */
#include "contract.h"

#define SIGNAL_BIT(sig) (1ULL << ((sig) - 1))

/* Copies the value of "Key:\t<value>\n" into out; returns 0 when found. */
static int field(const char *text, const char *key, char *out, size_t size)
{
	char pattern[64];
	const char *start, *end;

	snprintf(pattern, sizeof(pattern), "%s:\t", key);
	if (strncmp(text, pattern, strlen(pattern)) == 0) {
		start = text;
	} else {
		snprintf(pattern, sizeof(pattern), "\n%s:\t", key);
		start = strstr(text, pattern);
		if (!start)
			return -1;
		start++;
	}
	start += strlen(key) + 2;
	end = strchr(start, '\n');
	if (!end || (size_t)(end - start) >= size)
		return -1;
	memcpy(out, start, (size_t)(end - start));
	out[end - start] = '\0';
	return 0;
}

static void check_field(const char *name, const char *text, const char *key, const char *want)
{
	char value[256];

	if (field(text, key, value, sizeof(value)) != 0)
		contract_fail_why(name, "line missing");
	CHECK_STR(name, value, want);
}

static unsigned long long hex_field(const char *text, const char *key)
{
	char value[64];

	if (field(text, key, value, sizeof(value)) != 0 || strlen(value) != 16)
		contract_fail_why(key, "line missing or not 16 hex digits");
	return strtoull(value, NULL, 16);
}

/* Waits until the stat state of pid is `state`; returns 1 when it is. */
static int wait_state(pid_t pid, char state)
{
	long long deadline = contract_now_ms() + 5000;
	char path[64], buf[1024], *paren;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	while (contract_now_ms() < deadline) {
		if (contract_read_file(path, buf, sizeof(buf)) > 0 && (paren = strrchr(buf, ')')) &&
		    paren[2] == state)
			return 1;
		contract_sleep_ms(10);
	}
	return 0;
}

int main(void)
{
	char buf[4096], want[64], path[64];
	int to_child[2];
	sigset_t set;
	pid_t pid;
	char c;

	umask(022);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGUSR2, SIG_IGN);

	CHECK("read_self_status", contract_read_file("/proc/self/status", buf, sizeof(buf)) > 0);
	CHECK("name_is_first_line", strncmp(buf, "Name:\t", 6) == 0);
	check_field("name", buf, "Name", "pid_status");
	check_field("umask", buf, "Umask", "0022");
	check_field("state_running", buf, "State", "R (running)");
	snprintf(want, sizeof(want), "%d", (int)getpid());
	check_field("tgid", buf, "Tgid", want);
	check_field("pid", buf, "Pid", want);
	snprintf(want, sizeof(want), "%d", (int)getppid());
	check_field("ppid", buf, "PPid", want);
	check_field("tracer_pid", buf, "TracerPid", "0");
	snprintf(want, sizeof(want), "%d\t%d\t%d\t%d", (int)getuid(), (int)geteuid(),
		 (int)geteuid(), (int)geteuid());
	check_field("uid", buf, "Uid", want);
	snprintf(want, sizeof(want), "%d\t%d\t%d\t%d", (int)getgid(), (int)getegid(),
		 (int)getegid(), (int)getegid());
	check_field("gid", buf, "Gid", want);
	check_field("threads", buf, "Threads", "1");
	CHECK("sigblk_has_usr1", (hex_field(buf, "SigBlk") & SIGNAL_BIT(SIGUSR1)) != 0);
	CHECK("sigign_has_usr2", (hex_field(buf, "SigIgn") & SIGNAL_BIT(SIGUSR2)) != 0);
	CHECK("sigblk_lacks_usr2", (hex_field(buf, "SigBlk") & SIGNAL_BIT(SIGUSR2)) == 0);
	CHECK("vmrss_line", strstr(buf, "\nVmRSS:") != NULL);

	sigprocmask(SIG_UNBLOCK, &set, NULL);
	CHECK("reread_self_status", contract_read_file("/proc/self/status", buf, sizeof(buf)) > 0);
	CHECK("sigblk_usr1_cleared", (hex_field(buf, "SigBlk") & SIGNAL_BIT(SIGUSR1)) == 0);

	/* A child asleep in read(). */
	CHECK("pipe", pipe(to_child) == 0);
	pid = contract_fork();
	if (pid == 0) {
		close(to_child[1]);
		while (read(to_child[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(to_child[0]);
	CHECK("child_goes_to_sleep", wait_state(pid, 'S'));
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	CHECK("read_child_status", contract_read_file(path, buf, sizeof(buf)) > 0);
	check_field("child_name", buf, "Name", "pid_status");
	check_field("child_state_sleeping", buf, "State", "S (sleeping)");
	snprintf(want, sizeof(want), "%d", (int)pid);
	check_field("child_pid", buf, "Pid", want);
	snprintf(want, sizeof(want), "%d", (int)getpid());
	check_field("child_ppid", buf, "PPid", want);
	CHECK("child_inherits_ignore", (hex_field(buf, "SigIgn") & SIGNAL_BIT(SIGUSR2)) != 0);
	close(to_child[1]);
	CHECK_EXIT("child_exit", contract_wait(pid), 0);
	contract_pass();
}
