/*
 * bench - system-call and process micro-benchmarks, the same static binary
 * for Kestrel and for Linux.
 *
 * Each row runs its operation in a timed loop (CLOCK_MONOTONIC). The count
 * is calibrated first: it doubles until one loop takes a tenth of the
 * target time, then the final loop is sized to take the target time
 * (0.3 s, or 0.05 s with --quick). Every row prints one line:
 *
 *   BENCH <name> iters=<n> ns_per_iter=<x>
 *   BENCH_FAIL <name> <reason>
 *
 * and a failed row does not stop the others. The run starts with
 * "BENCH_START" and a "BENCH_INFO" line naming the kernel, and ends with
 * "BENCH_DONE". Options: --quick, --time-ms=N (each timed loop's length, for
 * profiling one row at length), --only=PREFIX (repeatable), --list.
 *
 * When init starts it in `initmode=bench`, init passes its own start time
 * (CLOCK_MONOTONIC, which both kernels count from boot) as BENCH_INIT_NS,
 * shown as the boot_to_init row.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_SEC 1000000000LL
#define TARGET_NS (300 * 1000000LL)
#define QUICK_TARGET_NS (50 * 1000000LL)
#define MAX_ITERS 100000000L
#define MAX_ONLY 16

#define WORK_DIR "/tmp"
#define DATA_FILE "/tmp/bench.file"
#define DATA_LINK "/tmp/bench.link"
#define TRUE_PATH "/tmp/bench.true"
#define PAGE_BYTES 4096UL
#define SMALL_MAP_BYTES (64UL * 1024)
#define FAULT_MAP_BYTES (4UL * 1024 * 1024)
#define FAULT_PAGES (FAULT_MAP_BYTES / PAGE_BYTES)
#define MPROTECT_BYTES (4 * PAGE_BYTES)
#define BRK_STEP (64 * 1024)
#define SMALL_IO 64

/* ---- output ------------------------------------------------------------ */

/* Writes one whole line with a single write(2): no stdio buffer to fork. */
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

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/*
 * A row that fails records what failed here and returns -1; the harness
 * prints it with errno.
 */
static const char *failed_call;
static int failed_errno;

static int fail(const char *call)
{
	failed_call = call;
	failed_errno = errno;
	return -1;
}

/* ---- shared state of the rows ------------------------------------------ */

static int null_fd = -1, zero_fd = -1, data_fd = -1;
static pid_t self_pid;
static char io_buf[PAGE_BYTES];
static volatile sig_atomic_t signals_seen;

static void on_signal(int sig)
{
	(void)sig;
	signals_seen++;
}

/*
 * The smallest static program: an ELF header, one loadable segment and
 * three instructions that call exit(0). Written to tmpfs at start, so the
 * exec row measures the kernel's exec path and not a libc's start-up.
 */
static const unsigned char exit_code[] = {
	0xb8, 0x3c, 0x00, 0x00, 0x00, /* mov $60, %eax (SYS_exit) */
	0x31, 0xff,                   /* xor %edi, %edi */
	0x0f, 0x05,                   /* syscall */
};

struct tiny_elf {
	Elf64_Ehdr ehdr;
	Elf64_Phdr phdr;
	unsigned char code[sizeof(exit_code)];
};

#define TINY_BASE 0x400000UL

static int write_true_program(void)
{
	struct tiny_elf image;
	int fd;

	memset(&image, 0, sizeof(image));
	memcpy(image.ehdr.e_ident, ELFMAG, SELFMAG);
	image.ehdr.e_ident[EI_CLASS] = ELFCLASS64;
	image.ehdr.e_ident[EI_DATA] = ELFDATA2LSB;
	image.ehdr.e_ident[EI_VERSION] = EV_CURRENT;
	image.ehdr.e_type = ET_EXEC;
	image.ehdr.e_machine = EM_X86_64;
	image.ehdr.e_version = EV_CURRENT;
	image.ehdr.e_entry = TINY_BASE + offsetof(struct tiny_elf, code);
	image.ehdr.e_phoff = offsetof(struct tiny_elf, phdr);
	image.ehdr.e_ehsize = sizeof(Elf64_Ehdr);
	image.ehdr.e_phentsize = sizeof(Elf64_Phdr);
	image.ehdr.e_phnum = 1;
	image.phdr.p_type = PT_LOAD;
	image.phdr.p_flags = PF_R | PF_X;
	image.phdr.p_vaddr = TINY_BASE;
	image.phdr.p_paddr = TINY_BASE;
	image.phdr.p_filesz = sizeof(image);
	image.phdr.p_memsz = sizeof(image);
	image.phdr.p_align = PAGE_BYTES;
	memcpy(image.code, exit_code, sizeof(exit_code));

	fd = open(TRUE_PATH, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (fd < 0)
		return -1;
	if (write(fd, &image, sizeof(image)) != (ssize_t)sizeof(image)) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static void prepare_files(void)
{
	static const char text[] = "benchmark data file\n";
	int fd, i;

	if (chdir(WORK_DIR) < 0)
		say("bench: chdir %s: %s", WORK_DIR, strerror(errno));
	fd = open(DATA_FILE, O_RDWR | O_CREAT | O_TRUNC, 0644);
	for (i = 0; fd >= 0 && i < (int)(PAGE_BYTES / (sizeof(text) - 1)); i++) {
		if (write(fd, text, sizeof(text) - 1) < 0)
			break;
	}
	if (fd >= 0)
		close(fd);
	unlink(DATA_LINK);
	if (symlink("bench.file", DATA_LINK) < 0)
		say("bench: symlink %s: %s", DATA_LINK, strerror(errno));
	if (write_true_program() < 0)
		say("bench: cannot write %s: %s", TRUE_PATH, strerror(errno));

	null_fd = open("/dev/null", O_RDWR);
	zero_fd = open("/dev/zero", O_RDONLY);
	data_fd = open(DATA_FILE, O_RDONLY);
	self_pid = getpid();
}

/* ---- plain system calls ------------------------------------------------ */

/* Raw syscall(): libc may cache getpid/gettid. */
static int run_getpid(long n)
{
	while (n--)
		syscall(SYS_getpid);
	return 0;
}

static int run_gettid(long n)
{
	while (n--)
		syscall(SYS_gettid);
	return 0;
}

/* Through libc, which uses the vDSO where the kernel offers one. */
static int run_clock_gettime(long n)
{
	struct timespec ts;

	while (n--) {
		if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
			return fail("clock_gettime");
	}
	return 0;
}

static int run_uname(long n)
{
	struct utsname name;

	while (n--) {
		if (uname(&name) < 0)
			return fail("uname");
	}
	return 0;
}

static int run_read_null(long n)
{
	while (n--) {
		if (read(null_fd, io_buf, SMALL_IO) != 0)
			return fail("read /dev/null");
	}
	return 0;
}

static int run_write_null(long n)
{
	while (n--) {
		if (write(null_fd, io_buf, SMALL_IO) != SMALL_IO)
			return fail("write /dev/null");
	}
	return 0;
}

static int run_read_zero(long n)
{
	while (n--) {
		if (read(zero_fd, io_buf, PAGE_BYTES) != (ssize_t)PAGE_BYTES)
			return fail("read /dev/zero");
	}
	return 0;
}

static int run_pread(long n)
{
	while (n--) {
		if (pread(data_fd, io_buf, SMALL_IO, 128) != SMALL_IO)
			return fail("pread");
	}
	return 0;
}

static int run_writev(long n)
{
	struct iovec iov[2] = {
		{ io_buf, SMALL_IO / 2 },
		{ io_buf + SMALL_IO, SMALL_IO / 2 },
	};

	while (n--) {
		if (writev(null_fd, iov, 2) != SMALL_IO)
			return fail("writev");
	}
	return 0;
}

static int run_open_close(long n)
{
	while (n--) {
		int fd = open(DATA_FILE, O_RDONLY);

		if (fd < 0)
			return fail("open");
		close(fd);
	}
	return 0;
}

static int run_stat(long n)
{
	struct stat st;

	while (n--) {
		if (stat(DATA_FILE, &st) < 0)
			return fail("stat");
	}
	return 0;
}

static int run_fstat(long n)
{
	struct stat st;

	while (n--) {
		if (fstat(data_fd, &st) < 0)
			return fail("fstat");
	}
	return 0;
}

static int run_lseek(long n)
{
	while (n--) {
		if (lseek(data_fd, 0, SEEK_SET) < 0)
			return fail("lseek");
	}
	return 0;
}

static int run_fcntl(long n)
{
	while (n--) {
		if (fcntl(data_fd, F_GETFL) < 0)
			return fail("fcntl");
	}
	return 0;
}

static int run_dup_close(long n)
{
	while (n--) {
		int fd = dup(data_fd);

		if (fd < 0)
			return fail("dup");
		close(fd);
	}
	return 0;
}

static int run_getcwd(long n)
{
	char path[256];

	while (n--) {
		if (!getcwd(path, sizeof(path)))
			return fail("getcwd");
	}
	return 0;
}

static int run_access(long n)
{
	while (n--) {
		if (access(DATA_FILE, R_OK) < 0)
			return fail("access");
	}
	return 0;
}

static int run_readlink(long n)
{
	char target[64];

	while (n--) {
		if (readlink(DATA_LINK, target, sizeof(target)) < 0)
			return fail("readlink");
	}
	return 0;
}

/* ---- memory ------------------------------------------------------------ */

static int run_mmap_munmap(long n)
{
	while (n--) {
		void *map = mmap(NULL, SMALL_MAP_BYTES, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (map == MAP_FAILED)
			return fail("mmap");
		if (munmap(map, SMALL_MAP_BYTES) < 0)
			return fail("munmap");
	}
	return 0;
}

/* One iteration is one 4 MiB mapping written page by page (FAULT_PAGES units). */
static int run_page_faults(long n)
{
	while (n--) {
		volatile char *map = mmap(NULL, FAULT_MAP_BYTES, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		unsigned long page;

		if (map == (void *)MAP_FAILED)
			return fail("mmap");
		/* Count 4 KiB faults on both kernels, not Linux's huge pages. */
		madvise((void *)map, FAULT_MAP_BYTES, MADV_NOHUGEPAGE);
		for (page = 0; page < FAULT_PAGES; page++)
			map[page * PAGE_BYTES] = 1;
		if (munmap((void *)map, FAULT_MAP_BYTES) < 0)
			return fail("munmap");
	}
	return 0;
}

static char *protect_map;

static int setup_mprotect(void)
{
	protect_map = mmap(NULL, MPROTECT_BYTES, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (protect_map == MAP_FAILED) {
		protect_map = NULL;
		return fail("mmap");
	}
	memset(protect_map, 1, MPROTECT_BYTES);
	return 0;
}

static int run_mprotect(long n)
{
	while (n--) {
		int prot = (n & 1) ? PROT_READ : PROT_READ | PROT_WRITE;

		if (mprotect(protect_map, MPROTECT_BYTES, prot) < 0)
			return fail("mprotect");
	}
	return 0;
}

static void teardown_mprotect(void)
{
	if (protect_map)
		munmap(protect_map, MPROTECT_BYTES);
	protect_map = NULL;
}

/* One iteration grows the break by 64 KiB and shrinks it back: two calls. */
static int run_brk(long n)
{
	long base = syscall(SYS_brk, 0);

	while (n--) {
		if (syscall(SYS_brk, base + BRK_STEP) != base + BRK_STEP)
			return fail("brk grow");
		if (syscall(SYS_brk, base) != base)
			return fail("brk shrink");
	}
	return 0;
}

/* ---- signals and scheduling -------------------------------------------- */

static int run_sigaction(long n)
{
	struct sigaction act;

	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;
	while (n--) {
		if (sigaction(SIGUSR2, &act, NULL) < 0)
			return fail("sigaction");
	}
	return 0;
}

static int run_sigprocmask(long n)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	while (n--) {
		if (sigprocmask((n & 1) ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL) < 0)
			return fail("sigprocmask");
	}
	return 0;
}

static int setup_signal(void)
{
	struct sigaction act;

	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;
	if (sigaction(SIGUSR1, &act, NULL) < 0)
		return fail("sigaction");
	return 0;
}

/* kill(2) itself, not raise(3), which adds mask changes around it. */
static int run_signal_self(long n)
{
	long want = signals_seen + n;

	while (n--) {
		if (kill(self_pid, SIGUSR1) < 0)
			return fail("kill");
	}
	if (signals_seen != want) {
		errno = EPROTO;
		return fail("handler count");
	}
	return 0;
}

static void teardown_signal(void)
{
	signal(SIGUSR1, SIG_DFL);
}

static int run_sched_yield(long n)
{
	while (n--)
		sched_yield();
	return 0;
}

static int run_getpriority(long n)
{
	while (n--) {
		errno = 0;
		if (getpriority(PRIO_PROCESS, 0) == -1 && errno)
			return fail("getpriority");
	}
	return 0;
}

/* ---- processes --------------------------------------------------------- */

static int wait_ok(pid_t pid, const char *what)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return fail("waitpid");
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		errno = ECHILD;
		return fail(what);
	}
	return 0;
}

static int run_fork(long n)
{
	while (n--) {
		pid_t pid = fork();

		if (pid < 0)
			return fail("fork");
		if (pid == 0)
			_exit(0);
		if (wait_ok(pid, "child status") < 0)
			return -1;
	}
	return 0;
}

static int run_vfork_exec(long n)
{
	char *argv[] = { TRUE_PATH, NULL };
	char *envp[] = { NULL };

	while (n--) {
		pid_t pid = vfork();

		if (pid < 0)
			return fail("vfork");
		if (pid == 0) {
			execve(TRUE_PATH, argv, envp);
			_exit(127);
		}
		if (wait_ok(pid, "exec status") < 0)
			return -1;
	}
	return 0;
}

/* The peer of the pipe row: echoes each byte until the pipe closes. */
static int ping[2] = { -1, -1 }, pong[2] = { -1, -1 };
static pid_t echo_pid = -1;

static int setup_pipe(void)
{
	if (pipe(ping) < 0 || pipe(pong) < 0)
		return fail("pipe");
	echo_pid = fork();
	if (echo_pid < 0)
		return fail("fork");
	if (echo_pid == 0) {
		char byte;

		close(ping[1]);
		close(pong[0]);
		while (read(ping[0], &byte, 1) == 1) {
			if (write(pong[1], &byte, 1) != 1)
				break;
		}
		_exit(0);
	}
	close(ping[0]);
	close(pong[1]);
	ping[0] = pong[1] = -1;
	return 0;
}

static int run_pipe(long n)
{
	char byte = 'x';

	while (n--) {
		if (write(ping[1], &byte, 1) != 1)
			return fail("pipe write");
		if (read(pong[0], &byte, 1) != 1)
			return fail("pipe read");
	}
	return 0;
}

static void teardown_pipe(void)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (ping[i] >= 0)
			close(ping[i]);
		if (pong[i] >= 0)
			close(pong[i]);
		ping[i] = pong[i] = -1;
	}
	if (echo_pid > 0)
		waitpid(echo_pid, NULL, 0);
	echo_pid = -1;
}

/* ---- /proc ------------------------------------------------------------- */

static int read_whole(const char *path)
{
	int fd = open(path, O_RDONLY);
	ssize_t got;

	if (fd < 0)
		return fail("open");
	got = read(fd, io_buf, sizeof(io_buf));
	close(fd);
	if (got <= 0)
		return fail("read");
	return 0;
}

static int run_proc_self_stat(long n)
{
	while (n--) {
		if (read_whole("/proc/self/stat") < 0)
			return -1;
	}
	return 0;
}

static int run_proc_1_stat(long n)
{
	while (n--) {
		if (read_whole("/proc/1/stat") < 0)
			return -1;
	}
	return 0;
}

static int run_readlink_proc_self(long n)
{
	char target[32];

	while (n--) {
		if (readlink("/proc/self", target, sizeof(target)) <= 0)
			return fail("readlink");
	}
	return 0;
}

/* Extra processes that sleep in pause() while /proc is listed. */
static pid_t *sleepers;
static long sleeper_count;

static void stop_sleepers(void)
{
	long i;

	for (i = 0; i < sleeper_count; i++)
		kill(sleepers[i], SIGKILL);
	for (i = 0; i < sleeper_count; i++)
		waitpid(sleepers[i], NULL, 0);
	free(sleepers);
	sleepers = NULL;
	sleeper_count = 0;
}

static int start_sleepers(long count)
{
	sleepers = calloc((size_t)count, sizeof(*sleepers));
	if (!sleepers)
		return fail("calloc");
	while (sleeper_count < count) {
		pid_t pid = fork();

		if (pid < 0) {
			int err = errno;

			stop_sleepers();
			errno = err;
			return fail("fork");
		}
		if (pid == 0) {
			for (;;)
				pause();
		}
		sleepers[sleeper_count++] = pid;
	}
	return 0;
}

static int setup_sleepers_100(void)
{
	return start_sleepers(100);
}

static int setup_sleepers_1000(void)
{
	return start_sleepers(1000);
}

static int run_proc_list(long n)
{
	while (n--) {
		DIR *dir = opendir("/proc");
		long entries = 0;

		if (!dir)
			return fail("opendir /proc");
		errno = 0;
		while (readdir(dir))
			entries++;
		if (errno)
			return fail("readdir /proc");
		closedir(dir);
		if (entries < sleeper_count) {
			errno = ENOENT;
			return fail("listing misses processes");
		}
	}
	return 0;
}

/* ---- the harness ------------------------------------------------------- */

struct row {
	const char *name;
	int (*run)(long iters);
	int (*setup)(void);
	void (*teardown)(void);
	/* Units of work per iteration: the reported count is in units. */
	long units;
};

static const struct row rows[] = {
	{ "getpid", run_getpid },
	{ "gettid", run_gettid },
	{ "clock_gettime", run_clock_gettime },
	{ "uname", run_uname },
	{ "read_null", run_read_null },
	{ "write_null", run_write_null },
	{ "read_zero_4k", run_read_zero },
	{ "pread", run_pread },
	{ "writev", run_writev },
	{ "pipe_roundtrip", run_pipe, setup_pipe, teardown_pipe },
	{ "open_close", run_open_close },
	{ "stat", run_stat },
	{ "fstat", run_fstat },
	{ "lseek", run_lseek },
	{ "fcntl_getfl", run_fcntl },
	{ "dup_close", run_dup_close },
	{ "getcwd", run_getcwd },
	{ "access", run_access },
	{ "readlink", run_readlink },
	{ "mmap_munmap_64k", run_mmap_munmap },
	{ "page_fault", run_page_faults, NULL, NULL, FAULT_PAGES },
	{ "mprotect", run_mprotect, setup_mprotect, teardown_mprotect },
	{ "brk_grow_shrink", run_brk },
	{ "sigaction", run_sigaction },
	{ "sigprocmask", run_sigprocmask },
	{ "signal_self", run_signal_self, setup_signal, teardown_signal },
	{ "sched_yield", run_sched_yield },
	{ "getpriority", run_getpriority },
	{ "fork_exit_wait", run_fork },
	{ "vfork_exec_wait", run_vfork_exec },
	{ "proc_self_stat", run_proc_self_stat },
	{ "proc_1_stat", run_proc_1_stat },
	{ "readlink_proc_self", run_readlink_proc_self },
	{ "proc_list", run_proc_list },
	{ "proc_list_100", run_proc_list, setup_sleepers_100, stop_sleepers },
	{ "proc_list_1000", run_proc_list, setup_sleepers_1000, stop_sleepers },
};

static long long target_ns = TARGET_NS;
static const char *only[MAX_ONLY];
static int only_count;

static int selected(const char *name)
{
	int i;

	if (only_count == 0)
		return 1;
	for (i = 0; i < only_count; i++) {
		if (strncmp(name, only[i], strlen(only[i])) == 0)
			return 1;
	}
	return 0;
}

/* Times `iters` iterations; -1 when the row failed. */
static long long timed(const struct row *row, long iters)
{
	long long start = now_ns();

	if (row->run(iters) < 0)
		return -1;
	return now_ns() - start;
}

/*
 * Doubles the count until a loop takes a tenth of the target, then runs
 * one loop sized for the whole target; that last loop is the result.
 */
static int measure(const struct row *row, long *iters, long long *elapsed)
{
	long n = 1;
	long long took;

	for (;;) {
		took = timed(row, n);
		if (took < 0)
			return -1;
		if (took * 10 >= target_ns || n >= MAX_ITERS)
			break;
		n *= took * 100 < target_ns ? 8 : 2;
	}
	if (took * 2 < target_ns) {
		long long want = (long long)n * target_ns / (took > 0 ? took : 1);

		n = want > MAX_ITERS ? MAX_ITERS : (long)want;
		took = timed(row, n);
		if (took < 0)
			return -1;
	}
	*iters = n;
	*elapsed = took;
	return 0;
}

static void run_row(const struct row *row)
{
	long units = row->units ? row->units : 1;
	long iters;
	long long elapsed;
	int ok;

	failed_call = NULL;
	ok = !row->setup || row->setup() == 0;
	if (ok)
		ok = measure(row, &iters, &elapsed) == 0;
	if (row->teardown)
		row->teardown();
	if (!ok) {
		say("BENCH_FAIL %s %s: %s", row->name, failed_call ? failed_call : "?",
		    strerror(failed_errno));
		return;
	}
	say("BENCH %s iters=%ld ns_per_iter=%.1f", row->name, iters * units,
	    (double)elapsed / ((double)iters * units));
}

static void report_boot(void)
{
	const char *init_ns = getenv("BENCH_INIT_NS");

	if (init_ns && selected("boot_to_init"))
		say("BENCH boot_to_init iters=1 ns_per_iter=%s", init_ns);
}

static void usage(void)
{
	say("usage: bench [--quick] [--time-ms=N] [--only=PREFIX]... [--list]");
	exit(2);
}

int main(int argc, char **argv)
{
	struct utsname name;
	size_t i;
	int arg;

	for (arg = 1; arg < argc; arg++) {
		if (strcmp(argv[arg], "--quick") == 0) {
			target_ns = QUICK_TARGET_NS;
		} else if (strncmp(argv[arg], "--time-ms=", 10) == 0) {
			target_ns = atoll(argv[arg] + 10) * 1000000LL;
			if (target_ns <= 0)
				usage();
		} else if (strncmp(argv[arg], "--only=", 7) == 0 && only_count < MAX_ONLY) {
			only[only_count++] = argv[arg] + 7;
		} else if (strcmp(argv[arg], "--list") == 0) {
			say("boot_to_init");
			for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
				say("%s", rows[i].name);
			return 0;
		} else {
			usage();
		}
	}

	say("BENCH_START");
	if (uname(&name) == 0)
		say("BENCH_INFO kernel=%s %s %s", name.sysname, name.release, name.version);
	report_boot();
	prepare_files();
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (selected(rows[i].name))
			run_row(&rows[i]);
	}
	say("BENCH_DONE");
	return 0;
}
