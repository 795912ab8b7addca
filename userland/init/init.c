/*
 * init - the first user process of a Kestrel (or Linux) initramfs.
 *
 * It mounts the pseudo filesystems, puts the console on fds 0-2, sets up a
 * minimal environment and then, depending on the `initmode` variable (the
 * kernel passes `initmode=...` from its command line as an environment
 * variable), runs one of:
 *
 *   shell (default)  BusyBox sh on the console as a session leader;
 *                    power off when it exits.
 *   contracts        every program listed in /contracts/list, one after the
 *                    other, each framed by @@CONTRACT lines; power off.
 *                    `contracts=a,b` keeps those whose name contains a or b.
 *   script           /bin/sh /etc/session.sh when it exists; power off.
 *   bench            the benchmarks, with the comma-separated words of the
 *                    `benchargs` variable as arguments; power off.
 *   fuzz             the syscall fuzzer /fuzz/fuzz, with the comma-separated
 *                    words of `fuzzargs` as arguments; power off.
 *
 * In every mode it reaps orphans, and SIGUSR1 (halt), SIGUSR2 (poweroff)
 * and SIGTERM (reboot), which BusyBox's halt/poweroff/reboot send to PID 1,
 * stop the system.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define CONSOLE_PATH "/dev/console"
#define SHELL_PATH "/bin/sh"
#define SESSION_SCRIPT "/etc/session.sh"
#define CONTRACT_LIST "/contracts/list"
#define CONTRACT_ROOT "/contracts/"
#define BENCH_PATH "/bin/kestrel-bench"
#define BENCH_MAX_ARGS 16
#define FUZZ_PATH "/fuzz/fuzz"
#define FUZZ_MAX_ARGS 16
#define CONTRACT_TIMEOUT_MS 20000
#define SHUTDOWN_GRACE_MS 1000

extern char **environ;

/* When init started (CLOCK_MONOTONIC, which counts from boot). */
static struct timespec init_start;

/* ---- output ------------------------------------------------------------ */

/* Writes one whole line to the console with a single write(2). */
static void say(const char *fmt, ...)
{
	char line[512];
	va_list args;
	int len;

	va_start(args, fmt);
	len = vsnprintf(line, sizeof(line) - 1, fmt, args);
	va_end(args);
	if (len < 0)
		return;
	if (len > (int)sizeof(line) - 2)
		len = (int)sizeof(line) - 2;
	line[len++] = '\n';
	while (write(STDOUT_FILENO, line, (size_t)len) < 0 && errno == EINTR)
		;
}

/* ---- time -------------------------------------------------------------- */

static long long now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return 0;
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- shutdown ---------------------------------------------------------- */

/* Reaps every child that has already exited. */
static void reap_exited(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/*
 * Stops every other process, flushes filesystems and asks the kernel to
 * halt, power off or restart. Never returns: if the kernel refuses, it
 * keeps reaping so that PID 1 never exits.
 */
static _Noreturn void shut_down(int how)
{
	long long deadline;

	kill(-1, SIGTERM);
	deadline = now_ms() + SHUTDOWN_GRACE_MS;
	while (now_ms() < deadline) {
		pid_t pid = waitpid(-1, NULL, WNOHANG);

		if (pid < 0 && errno == ECHILD)
			break;
		if (pid <= 0)
			sleep_ms(20);
	}
	kill(-1, SIGKILL);
	reap_exited();

	sync();
	reboot(how);
	if (how != RB_POWER_OFF)
		reboot(RB_POWER_OFF);
	say("init: reboot(2) failed: %s; idling", strerror(errno));
	for (;;) {
		if (wait(NULL) < 0)
			pause();
	}
}

/* The action of BusyBox's halt (SIGUSR1), poweroff (SIGUSR2), reboot (SIGTERM). */
static void on_stop_signal(int sig)
{
	if (sig == SIGTERM)
		shut_down(RB_AUTOBOOT);
	if (sig == SIGUSR1)
		shut_down(RB_HALT_SYSTEM);
	shut_down(RB_POWER_OFF);
}

static void install_stop_handlers(void)
{
	static const int signals[] = { SIGUSR1, SIGUSR2, SIGTERM };
	struct sigaction act;
	size_t i;

	memset(&act, 0, sizeof(act));
	act.sa_handler = on_stop_signal;
	sigfillset(&act.sa_mask);
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		sigaction(signals[i], &act, NULL);
}

/* ---- early setup ------------------------------------------------------- */

static void make_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		say("init: mkdir %s: %s", path, strerror(errno));
}

/* True when something is already mounted on path (it is on another device). */
static int is_mount_point(const char *path)
{
	struct stat root, here;

	if (stat("/", &root) < 0 || stat(path, &here) < 0)
		return 0;
	return root.st_dev != here.st_dev;
}

static void mount_fs(const char *source, const char *target, const char *type,
		     const char *options, mode_t dir_mode)
{
	make_dir(target, dir_mode);
	if (is_mount_point(target))
		return;
	if (mount(source, target, type, 0, options) < 0 && errno != EBUSY)
		say("init: mount %s on %s: %s", type, target, strerror(errno));
}

/* Puts /dev/console on fds 0, 1 and 2, whatever they were before. */
static void open_console(void)
{
	int fd = open(CONSOLE_PATH, O_RDWR | O_NOCTTY);
	int i;

	if (fd < 0) {
		say("init: open %s: %s", CONSOLE_PATH, strerror(errno));
		return;
	}
	for (i = 0; i <= 2; i++) {
		if (fd != i)
			dup2(fd, i);
	}
	if (fd > 2)
		close(fd);
}

static void set_environment(void)
{
	setenv("PATH", "/bin:/sbin:/usr/bin:/usr/sbin", 1);
	setenv("HOME", "/root", 1);
	setenv("TERM", "linux", 0);
}

/* ---- children ---------------------------------------------------------- */

/*
 * In a freshly forked child: restore the signal state init changed, so the
 * program starts the way any program expects.
 */
static void reset_child_signals(void)
{
	sigset_t none;

	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * In a freshly forked child: become a session leader and take the console
 * as controlling terminal, with this process group in the foreground.
 */
static void take_console(void)
{
	if (setsid() < 0)
		say("init: setsid: %s", strerror(errno));
	if (ioctl(STDIN_FILENO, TIOCSCTTY, 0) < 0 && ioctl(STDIN_FILENO, TIOCSCTTY, 1) < 0)
		say("init: TIOCSCTTY: %s (no job control)", strerror(errno));
	else if (tcsetpgrp(STDIN_FILENO, getpid()) < 0)
		say("init: tcsetpgrp: %s", strerror(errno));
}

/* Starts argv on the console as a session leader; returns its PID or -1. */
static pid_t spawn_session(char *const argv[])
{
	pid_t pid = fork();

	if (pid < 0) {
		say("init: fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		reset_child_signals();
		take_console();
		execve(argv[0], argv, environ);
		say("init: exec %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

/* Reaps every child, orphans included, until `pid` itself has exited. */
static void wait_for(pid_t pid, const char *what)
{
	for (;;) {
		int status;
		pid_t done = wait(&status);

		if (done == pid) {
			if (WIFSIGNALED(status))
				say("init: %s killed by signal %d", what, WTERMSIG(status));
			else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
				say("init: %s exited with status %d", what, WEXITSTATUS(status));
			return;
		}
		if (done < 0 && errno == ECHILD)
			return;
	}
}

/* ---- modes ------------------------------------------------------------- */

static _Noreturn void run_shell(void)
{
	char *argv[] = { SHELL_PATH, NULL };
	pid_t pid = spawn_session(argv);

	if (pid > 0)
		wait_for(pid, argv[0]);
	shut_down(RB_POWER_OFF);
}

/* Runs the benchmarks, telling them when init started; powers off. */
static _Noreturn void run_bench(void)
{
	char *argv[BENCH_MAX_ARGS + 2] = { BENCH_PATH };
	char *args = getenv("benchargs");
	char start_ns[32];
	int argc = 1;
	pid_t pid;

	args = args ? strdup(args) : NULL;
	for (char *word = args ? strtok(args, ",") : NULL; word && argc <= BENCH_MAX_ARGS;
	     word = strtok(NULL, ","))
		argv[argc++] = word;
	snprintf(start_ns, sizeof(start_ns), "%lld",
		 (long long)init_start.tv_sec * 1000000000LL + init_start.tv_nsec);
	setenv("BENCH_INIT_NS", start_ns, 1);

	pid = spawn_session(argv);
	if (pid > 0)
		wait_for(pid, argv[0]);
	shut_down(RB_POWER_OFF);
}

/* Runs the fuzzer with the words of `fuzzargs`, reaping its orphans; powers off. */
static _Noreturn void run_fuzz(void)
{
	char *argv[FUZZ_MAX_ARGS + 2] = { FUZZ_PATH };
	char *args = getenv("fuzzargs");
	int argc = 1;
	pid_t pid;

	args = args ? strdup(args) : NULL;
	for (char *word = args ? strtok(args, ",") : NULL; word && argc <= FUZZ_MAX_ARGS;
	     word = strtok(NULL, ","))
		argv[argc++] = word;
	pid = fork();
	if (pid == 0) {
		reset_child_signals();
		execve(argv[0], argv, environ);
		say("init: exec %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid > 0)
		wait_for(pid, argv[0]);
	else
		say("init: fork: %s", strerror(errno));
	shut_down(RB_POWER_OFF);
}

static _Noreturn void run_script(void)
{
	char *argv[] = { SHELL_PATH, SESSION_SCRIPT, NULL };

	if (access(SESSION_SCRIPT, R_OK) == 0) {
		pid_t pid = spawn_session(argv);

		if (pid > 0)
			wait_for(pid, argv[0]);
	} else {
		say("init: %s not found", SESSION_SCRIPT);
	}
	shut_down(RB_POWER_OFF);
}

/* Reads a whole file into a fresh NUL-terminated buffer, or returns NULL. */
static char *read_whole_file(const char *path)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !buf) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	for (;;) {
		ssize_t got;

		if (len + 1 >= cap) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger)
				break;
			buf = bigger;
			cap *= 2;
		}
		got = read(fd, buf + len, cap - 1 - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* Forks and execs one contract; returns its PID or -1. */
static pid_t start_contract(const char *path, const char *workdir)
{
	pid_t pid = fork();

	if (pid < 0) {
		say("init: fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		char *argv[] = { (char *)path, NULL };
		int null_fd;

		reset_child_signals();
		setpgid(0, 0);
		null_fd = open("/dev/null", O_RDONLY);
		if (null_fd > 0) {
			dup2(null_fd, STDIN_FILENO);
			close(null_fd);
		}
		if (chdir(workdir) < 0) {
			say("init: chdir %s: %s", workdir, strerror(errno));
			_exit(126);
		}
		execve(path, argv, environ);
		say("init: exec %s: %s", path, strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	return pid;
}

/*
 * Waits for a contract with a time limit, reaping orphans meanwhile.
 * Returns 1 with *status filled, or 0 when it timed out (it is then killed).
 */
static int wait_contract(pid_t pid, int *status)
{
	long long deadline = now_ms() + CONTRACT_TIMEOUT_MS;
	long pause_ms = 1;

	for (;;) {
		int st;
		pid_t done = waitpid(-1, &st, WNOHANG);

		if (done == pid) {
			*status = st;
			return 1;
		}
		if (done > 0)
			continue;
		if (done < 0 && errno == ECHILD)
			break;
		if (now_ms() >= deadline)
			break;
		sleep_ms(pause_ms);
		if (pause_ms < 50)
			pause_ms *= 2;
	}
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return 0;
}

static void run_one_contract(const char *name, unsigned index)
{
	char path[512], workdir[64];
	int status = 0;
	pid_t pid;

	snprintf(path, sizeof(path), "%s%s", CONTRACT_ROOT, name);
	snprintf(workdir, sizeof(workdir), "/tmp/contract.%u", index);
	make_dir(workdir, 0755);

	say("@@CONTRACT BEGIN %s", name);
	pid = start_contract(path, workdir);
	if (pid < 0) {
		say("@@CONTRACT END %s status=127", name);
		return;
	}
	if (!wait_contract(pid, &status))
		say("@@CONTRACT END %s timeout", name);
	else if (WIFEXITED(status))
		say("@@CONTRACT END %s status=%d", name, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		say("@@CONTRACT END %s signal=%d", name, WTERMSIG(status));
	else
		say("@@CONTRACT END %s status=%d", name, status);

	/* Whatever the contract left running in its group goes too. */
	kill(-pid, SIGKILL);
	reap_exited();
}

/* Whether `name` is selected by the comma-separated words of `filter`. */
static int selected(const char *name, const char *filter)
{
	char word[128];
	const char *start = filter;

	if (!filter || !*filter)
		return 1;
	while (*start) {
		size_t len = strcspn(start, ",");

		if (len > 0 && len < sizeof(word)) {
			memcpy(word, start, len);
			word[len] = '\0';
			if (strstr(name, word))
				return 1;
		}
		start += len + (start[len] == ',');
	}
	return 0;
}

static _Noreturn void run_contracts(void)
{
	const char *filter = getenv("contracts");
	char *list = read_whole_file(CONTRACT_LIST);
	unsigned index = 0;
	char *line, *next;

	if (!list)
		say("init: cannot read %s: %s", CONTRACT_LIST, strerror(errno));
	for (line = list; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (line[0] == '\0' || line[0] == '#' || !selected(line, filter))
			continue;
		run_one_contract(line, index++);
	}
	free(list);

	say("@@CONTRACTS DONE");
	shut_down(RB_POWER_OFF);
}

int main(void)
{
	const char *mode;

	clock_gettime(CLOCK_MONOTONIC, &init_start);
	install_stop_handlers();

	mount_fs("devtmpfs", "/dev", "devtmpfs", NULL, 0755);
	open_console();
	mount_fs("proc", "/proc", "proc", NULL, 0555);
	mount_fs("tmpfs", "/tmp", "tmpfs", NULL, 01777);
	make_dir("/root", 0700);
	set_environment();

	mode = getenv("initmode");
	if (mode && strcmp(mode, "contracts") == 0)
		run_contracts();
	if (mode && strcmp(mode, "script") == 0)
		run_script();
	if (mode && strcmp(mode, "bench") == 0)
		run_bench();
	if (mode && strcmp(mode, "fuzz") == 0)
		run_fuzz();
	if (mode && mode[0] && strcmp(mode, "shell") != 0)
		say("init: unknown initmode '%s', starting a shell", mode);
	run_shell();
}
