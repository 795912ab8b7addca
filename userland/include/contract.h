/*
 * contract.h - the few helpers every contract test uses.
 *
 * A contract test prints one "<check>: ok" line per check that holds and
 * ends with "CONTRACT_PASS" (exit 0). The first check that does not hold
 * prints "CONTRACT_FAIL <check> (<why>)" and exits 1. Every line is written
 * with a single write(2) on stdout, never through stdio buffers, so a fork
 * never duplicates pending output and lines from parent and child never mix.
 *
 * Passing lines must be the same on every kernel: never print PIDs,
 * addresses, inode numbers or times. Failure lines may show values, since
 * they exist to be read by a person.
 */
#ifndef KESTREL_CONTRACT_H
#define KESTREL_CONTRACT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- output ----------------------------------------------------------- */

/* The symbolic name of an errno value, or NULL when it is not in the table. */
static inline const char *contract_errno_name(int err)
{
	switch (err) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case E2BIG: return "E2BIG";
	case ENOEXEC: return "ENOEXEC";
	case EBADF: return "EBADF";
	case ECHILD: return "ECHILD";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case EXDEV: return "EXDEV";
	case ENODEV: return "ENODEV";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL";
	case ENFILE: return "ENFILE";
	case EMFILE: return "EMFILE";
	case ENOTTY: return "ENOTTY";
	case EFBIG: return "EFBIG";
	case ENOSPC: return "ENOSPC";
	case ESPIPE: return "ESPIPE";
	case EROFS: return "EROFS";
	case EMLINK: return "EMLINK";
	case EPIPE: return "EPIPE";
	case ERANGE: return "ERANGE";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOSYS: return "ENOSYS";
	case ENOTEMPTY: return "ENOTEMPTY";
	case ELOOP: return "ELOOP";
	case EOVERFLOW: return "EOVERFLOW";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ETIMEDOUT: return "ETIMEDOUT";
	default: return NULL;
	}
}

/* Formats an errno value into buf: its symbolic name, else its number. */
static inline const char *contract_errno_text(int err, char *buf, size_t size)
{
	const char *name = contract_errno_name(err);

	if (name)
		return name;
	snprintf(buf, size, "%d", err);
	return buf;
}

/* Writes one line (a newline is appended) with a single write(2). */
static inline void contract_say(const char *fmt, ...)
{
	char line[1024];
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

static inline void contract_ok(const char *name)
{
	contract_say("%s: ok", name);
}

/* Reports a failed check with a free-form reason and exits 1. */
static inline _Noreturn void contract_fail_why(const char *name, const char *why)
{
	contract_say("CONTRACT_FAIL %s (%s)", name, why);
	_exit(1);
}

/* Reports a failed check with the errno seen at the time and exits 1. */
static inline _Noreturn void contract_fail(const char *name, int err)
{
	char num[16], why[64];

	snprintf(why, sizeof(why), "errno=%s", contract_errno_text(err, num, sizeof(num)));
	contract_fail_why(name, why);
}

static inline _Noreturn void contract_pass(void)
{
	contract_say("CONTRACT_PASS");
	_exit(0);
}

/* ---- checks ------------------------------------------------------------ */

/* Passes when expr is true; on failure reports the errno left by expr. */
#define CHECK(name, expr)                                                      \
	do {                                                                   \
		errno = 0;                                                     \
		int check_ok_ = !!(expr);                                      \
		int check_errno_ = errno;                                      \
		if (check_ok_)                                                 \
			contract_ok(name);                                     \
		else                                                           \
			contract_fail(name, check_errno_);                     \
	} while (0)

static inline void contract_check_errno(const char *name, long ret, int err, int expected)
{
	char num1[16], num2[16], why[96];

	if (ret == -1 && err == expected) {
		contract_ok(name);
		return;
	}
	if (ret == -1)
		snprintf(why, sizeof(why), "errno=%s, expected %s",
			 contract_errno_text(err, num1, sizeof(num1)),
			 contract_errno_text(expected, num2, sizeof(num2)));
	else
		snprintf(why, sizeof(why), "succeeded, expected %s",
			 contract_errno_text(expected, num2, sizeof(num2)));
	contract_fail_why(name, why);
}

/*
 * Passes when call returns -1 (or MAP_FAILED) with errno == expected.
 * call may return an integer or a pointer.
 */
#define CHECK_ERRNO(name, call, expected)                                      \
	do {                                                                   \
		errno = 0;                                                     \
		long check_ret_ = (long)(call);                                \
		contract_check_errno(name, check_ret_, errno, expected);       \
	} while (0)

static inline void contract_check_eq(const char *name, long long got, long long want)
{
	char why[96];

	if (got == want) {
		contract_ok(name);
		return;
	}
	snprintf(why, sizeof(why), "got %lld, want %lld", got, want);
	contract_fail_why(name, why);
}

/* Passes when two integers are equal; a failure shows both. */
#define CHECK_EQ(name, got, want) contract_check_eq(name, (long long)(got), (long long)(want))

/* Passes when two NUL-terminated strings are equal; a failure shows both. */
static inline void contract_check_str(const char *name, const char *got, const char *want)
{
	char why[512];

	if (got && want && strcmp(got, want) == 0) {
		contract_ok(name);
		return;
	}
	snprintf(why, sizeof(why), "got \"%.200s\", want \"%.200s\"", got ? got : "(null)",
		 want ? want : "(null)");
	contract_fail_why(name, why);
}

#define CHECK_STR(name, got, want) contract_check_str(name, got, want)

/* ---- processes --------------------------------------------------------- */

static inline pid_t contract_fork(void)
{
	pid_t pid = fork();

	if (pid < 0)
		contract_fail("fork", errno);
	return pid;
}

/* Waits for one child (retrying on EINTR) and returns its wait status. */
static inline int contract_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			contract_fail("waitpid", errno);
	}
	return status;
}

/* Runs fn(arg) in a forked child whose exit code is fn's result. */
static inline int contract_run_child(int (*fn)(void *), void *arg)
{
	pid_t pid = contract_fork();

	if (pid == 0)
		_exit(fn(arg));
	return contract_wait(pid);
}

/* Describes a wait status as "exit=N", "signal=N" or "status=0xN". */
static inline const char *contract_status_text(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exit=%d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "signal=%d", WTERMSIG(status));
	else
		snprintf(buf, size, "status=0x%x", status);
	return buf;
}

/* Passes when status says the child exited with the given code. */
static inline void contract_check_exit(const char *name, int status, int code)
{
	char text[32], why[64];

	if (WIFEXITED(status) && WEXITSTATUS(status) == code) {
		contract_ok(name);
		return;
	}
	snprintf(why, sizeof(why), "%s, want exit=%d",
		 contract_status_text(status, text, sizeof(text)), code);
	contract_fail_why(name, why);
}

/* Passes when status says the child was killed by the given signal. */
static inline void contract_check_signaled(const char *name, int status, int sig)
{
	char text[32], why[64];

	if (WIFSIGNALED(status) && WTERMSIG(status) == sig) {
		contract_ok(name);
		return;
	}
	snprintf(why, sizeof(why), "%s, want signal=%d",
		 contract_status_text(status, text, sizeof(text)), sig);
	contract_fail_why(name, why);
}

#define CHECK_EXIT(name, status, code) contract_check_exit(name, status, code)
#define CHECK_SIGNALED(name, status, sig) contract_check_signaled(name, status, sig)

/* ---- time -------------------------------------------------------------- */

static inline long long contract_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void contract_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- files ------------------------------------------------------------- */

/*
 * Reads a whole file into buf (NUL-terminated, at most size - 1 bytes).
 * Returns the length, or -1 with errno set.
 */
static inline ssize_t contract_read_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (len + 1 < size) {
		ssize_t got = read(fd, buf + len, size - 1 - len);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int err = errno;

			close(fd);
			errno = err;
			return -1;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	buf[len] = '\0';
	close(fd);
	return (ssize_t)len;
}

/* Creates (or truncates) a file holding len bytes of data; returns 0 or -1. */
static inline int contract_write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -1;
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* One record of a getdents64 buffer, as the kernel lays it out. */
struct contract_dirent {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static inline long contract_getdents(int fd, void *buf, size_t size)
{
	return syscall(SYS_getdents64, fd, buf, size);
}

/* Parses a whole string as a positive decimal number without leading zeros. */
static inline long contract_parse_pid(const char *name)
{
	long value = 0;

	if (name[0] < '1' || name[0] > '9')
		return -1;
	for (; *name; name++) {
		if (*name < '0' || *name > '9' || value > 100000000)
			return -1;
		value = value * 10 + (*name - '0');
	}
	return value;
}

#endif /* KESTREL_CONTRACT_H */
