/*
 * isolation/no_kernel_pointers: nothing a process can read holds a
 * kernel-half address or stale kernel bytes. Every number in /proc/self/stat
 * and /proc/1/stat, every range in /proc/self/maps, every auxiliary vector
 * entry (from getauxval and /proc/self/auxv) and every getdents64 d_off
 * cookie of / and /proc stays out of the kernel half. The ucontext of a
 * signal sent with kill(2) carries no fault state, no kernel address in
 * its registers, and zeroed reserved words. Structures the kernel copies
 * out - stat, statx, sigaction, uname, sysinfo - have zeroed padding: the
 * buffers are filled with 0xAA first, so a byte not written by the kernel
 * shows.
 */
#include "contract.h"

#include <stddef.h>
#include <sys/auxv.h>
#include <sys/utsname.h>
#include <ucontext.h>

#define KERNEL_HALF 0xffff800000000000ULL
#define FILL 0xaa

static int is_kernel_half(uint64_t value)
{
	return value >= KERNEL_HALF;
}

/* Whether len bytes at buf are all zero. */
static int all_zero(const void *buf, size_t len)
{
	const unsigned char *bytes = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		if (bytes[i] != 0)
			return 0;
	}
	return 1;
}

/* ---- /proc files ---------------------------------------------------------- */

/*
 * Checks every numeric field after the command name. Negative numbers are
 * fine when small (a priority, say); a kernel address printed signed would
 * be huge and negative. The one all-ones value is rsslim's RLIM_INFINITY.
 */
static void check_stat_file(const char *what, const char *path)
{
	char buf[2048], name[96], *p, *end;
	int fields = 0, ok = 1;

	snprintf(name, sizeof(name), "%s_readable", what);
	CHECK(name, contract_read_file(path, buf, sizeof(buf)) > 0);
	p = strrchr(buf, ')');
	snprintf(name, sizeof(name), "%s_has_comm", what);
	CHECK(name, p != NULL);
	for (p = p + 1; *p; p = end) {
		while (*p == ' ' || *p == '\n')
			p++;
		if (!*p)
			break;
		if (*p == '-') {
			long long value = strtoll(p, &end, 10);

			if (value < -(1LL << 32))
				ok = 0;
		} else if (*p >= '0' && *p <= '9') {
			unsigned long long value = strtoull(p, &end, 10);

			if (is_kernel_half(value) && value != UINT64_MAX)
				ok = 0;
		} else {
			end = p + 1; /* the state letter */
		}
		if (end == p)
			end = p + 1;
		fields++;
	}
	snprintf(name, sizeof(name), "%s_has_fields", what);
	CHECK(name, fields >= 44);
	snprintf(name, sizeof(name), "%s_no_kernel_values", what);
	CHECK(name, ok);
}

/*
 * Linux shows the legacy vsyscall page at 0xffffffffff600000 ("[vsyscall]")
 * in every process's maps: a fixed, well-known address that reveals nothing
 * of the kernel's layout. That one line is skipped; any other kernel-half
 * range is a failure.
 */
static void check_maps(void)
{
	static char buf[65536];
	char *line, *next;
	int ranges = 0, ok = 1;

	CHECK("maps_readable", contract_read_file("/proc/self/maps", buf, sizeof(buf)) > 0);
	for (line = buf; *line; line = next) {
		unsigned long long start, end;

		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		if (strstr(line, "[vsyscall]") && strstr(line, "[vsyscall]") < next)
			continue;
		if (sscanf(line, "%llx-%llx", &start, &end) != 2) {
			ok = 0;
			continue;
		}
		if (is_kernel_half(start) || is_kernel_half(end - 1) || end > (1ULL << 47))
			ok = 0;
		ranges++;
	}
	CHECK("maps_has_ranges", ranges >= 3);
	CHECK("maps_all_user_half", ok);
}

/* ---- the auxiliary vector ------------------------------------------------- */

static void check_auxv(void)
{
	static const unsigned long types[] = {
		AT_PHDR,  AT_PHENT, AT_PHNUM,  AT_PAGESZ, AT_ENTRY,	   AT_UID,
		AT_EUID,  AT_GID,   AT_EGID,   AT_HWCAP,  AT_CLKTCK,	   AT_SECURE,
		AT_RANDOM, AT_EXECFN, AT_SYSINFO_EHDR, AT_BASE, AT_FLAGS, AT_HWCAP2,
	};
	uint64_t auxv[128];
	ssize_t len;
	size_t i;
	int ok = 1, terminated = 0;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (is_kernel_half(getauxval(types[i])))
			ok = 0;
	}
	CHECK("getauxval_no_kernel_values", ok);

	len = contract_read_file("/proc/self/auxv", (char *)auxv, sizeof(auxv));
	CHECK("proc_auxv_readable", len > 0 && len % 16 == 0);
	for (i = 0; i + 1 < (size_t)len / 8; i += 2) {
		if (auxv[i] == AT_NULL) {
			terminated = 1;
			break;
		}
		if (is_kernel_half(auxv[i + 1]))
			ok = 0;
	}
	CHECK("proc_auxv_terminated", terminated);
	CHECK("proc_auxv_no_kernel_values", ok);
}

/* ---- directory cookies ---------------------------------------------------- */

/* A d_off is a position for lseek: never negative, so never a kernel address. */
static void check_dir_cookies(const char *what, const char *path)
{
	char buf[4096], name[96];
	int fd, entries = 0, ok = 1;
	long got;

	fd = open(path, O_RDONLY | O_DIRECTORY);
	snprintf(name, sizeof(name), "%s_open", what);
	CHECK(name, fd >= 0);
	while ((got = contract_getdents(fd, buf, sizeof(buf))) > 0) {
		long pos = 0;

		while (pos < got) {
			struct contract_dirent *entry = (struct contract_dirent *)(buf + pos);

			if (entry->d_off <= 0 || is_kernel_half((uint64_t)entry->d_off))
				ok = 0;
			entries++;
			pos += entry->d_reclen;
		}
	}
	snprintf(name, sizeof(name), "%s_listed", what);
	CHECK(name, got == 0 && entries >= 2);
	snprintf(name, sizeof(name), "%s_d_off_positive", what);
	CHECK(name, ok);
	close(fd);
}

/* ---- the signal frame ----------------------------------------------------- */

static ucontext_t saw;
static volatile int handler_runs;

static void on_usr1(int sig, siginfo_t *info, void *ctx)
{
	(void)sig;
	(void)info;
	memcpy(&saw, ctx, sizeof(saw));
	handler_runs++;
}

/*
 * The process has not faulted before this runs (a fault's trap number,
 * error code and address would legitimately show in later frames).
 */
static void check_signal_frame(void)
{
	struct sigaction sa;
	int ok = 1, i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	CHECK("sigframe_sigaction", sigaction(SIGUSR1, &sa, NULL) == 0);
	CHECK("sigframe_kill", kill(getpid(), SIGUSR1) == 0);
	CHECK_EQ("sigframe_handler_ran", handler_runs, 1);

	CHECK_EQ("sigframe_trapno_zero", saw.uc_mcontext.gregs[REG_TRAPNO], 0);
	CHECK_EQ("sigframe_err_zero", saw.uc_mcontext.gregs[REG_ERR], 0);
	CHECK_EQ("sigframe_cr2_zero", saw.uc_mcontext.gregs[REG_CR2], 0);
	CHECK_EQ("sigframe_oldmask_empty", saw.uc_mcontext.gregs[REG_OLDMASK], 0);
	CHECK("sigframe_rip_user", !is_kernel_half((uint64_t)saw.uc_mcontext.gregs[REG_RIP]));
	CHECK("sigframe_rsp_user", !is_kernel_half((uint64_t)saw.uc_mcontext.gregs[REG_RSP]));
	CHECK("sigframe_fpregs_user", saw.uc_mcontext.fpregs != NULL &&
					      !is_kernel_half((uint64_t)saw.uc_mcontext.fpregs));
	CHECK("sigframe_reserved_zero",
	      all_zero(saw.uc_mcontext.__reserved1, sizeof(saw.uc_mcontext.__reserved1)));
	CHECK("sigframe_uc_link_null", saw.uc_link == NULL);
	CHECK("sigframe_uc_stack_empty", saw.uc_stack.ss_sp == NULL && saw.uc_stack.ss_size == 0);

	/*
	 * No general register (REG_R8 up to REG_RCX) holds a kernel address;
	 * small negative numbers such as -1 are user values.
	 */
	for (i = REG_R8; i <= REG_RCX; i++) {
		if (saw.uc_mcontext.gregs[i] < -(1LL << 32))
			ok = 0;
	}
	CHECK("sigframe_gprs_no_kernel_values", ok);
}

/* ---- structure padding ---------------------------------------------------- */

/* The x86-64 struct stat as the kernel writes it. */
struct kernel_stat {
	uint64_t dev, ino, nlink;
	uint32_t mode, uid, gid, pad0;
	uint64_t rdev;
	int64_t size, blksize, blocks;
	uint64_t atime, atime_nsec, mtime, mtime_nsec, ctime, ctime_nsec;
	int64_t unused[3];
};

static void check_stat_padding(const char *what, const char *path)
{
	struct kernel_stat st;
	char name[96];

	memset(&st, FILL, sizeof(st));
	snprintf(name, sizeof(name), "%s_stat", what);
	CHECK(name, syscall(SYS_newfstatat, AT_FDCWD, path, &st, 0) == 0);
	snprintf(name, sizeof(name), "%s_stat_pad_zero", what);
	CHECK(name, st.pad0 == 0);
	snprintf(name, sizeof(name), "%s_stat_unused_zero", what);
	CHECK(name, all_zero(st.unused, sizeof(st.unused)));
}

/* Offsets in struct statx (include/uapi/linux/stat.h) of words the kernel reserves. */
#define STATX_SIZE 256
#define STATX_SPARE0 0x1e
#define STATX_TIMESTAMP_RESERVED(n) (0x40 + 16 * (n) + 12)
#define STATX_SPARE_TAIL 0xbc

static void check_statx_padding(const char *what, const char *path)
{
	unsigned char buf[STATX_SIZE];
	char name[96];
	int i, ok;

	memset(buf, FILL, sizeof(buf));
	snprintf(name, sizeof(name), "%s_statx", what);
	CHECK(name, syscall(SYS_statx, AT_FDCWD, path, 0, 0x7ff, buf) == 0);
	snprintf(name, sizeof(name), "%s_statx_spare0_zero", what);
	CHECK(name, all_zero(buf + STATX_SPARE0, 2));
	for (ok = 1, i = 0; i < 4; i++)
		ok &= all_zero(buf + STATX_TIMESTAMP_RESERVED(i), 4);
	snprintf(name, sizeof(name), "%s_statx_timestamp_reserved_zero", what);
	CHECK(name, ok);
	snprintf(name, sizeof(name), "%s_statx_spare_tail_zero", what);
	CHECK(name, all_zero(buf + STATX_SPARE_TAIL, STATX_SIZE - STATX_SPARE_TAIL));
}

/* The kernel's struct sigaction for rt_sigaction with an 8-byte mask. */
struct kernel_sigaction {
	uint64_t handler, flags, restorer, mask;
};

static void check_sigaction_old(void)
{
	struct kernel_sigaction old;

	memset(&old, FILL, sizeof(old));
	CHECK("sigaction_old_default",
	      syscall(SYS_rt_sigaction, SIGUSR2, NULL, &old, sizeof(uint64_t)) == 0);
	CHECK("sigaction_old_default_all_zero", all_zero(&old, sizeof(old)));
}

static void check_uname_tails(void)
{
	struct utsname uts;
	const char *fields[6];
	int i, ok = 1;

	memset(&uts, FILL, sizeof(uts));
	CHECK("uname", syscall(SYS_uname, &uts) == 0);
	fields[0] = uts.sysname;
	fields[1] = uts.nodename;
	fields[2] = uts.release;
	fields[3] = uts.version;
	fields[4] = uts.machine;
	fields[5] = uts.domainname;
	for (i = 0; i < 6; i++) {
		size_t used = strnlen(fields[i], sizeof(uts.sysname));

		if (used == sizeof(uts.sysname) ||
		    !all_zero(fields[i] + used, sizeof(uts.sysname) - used))
			ok = 0;
	}
	CHECK("uname_tails_zero", ok);
}

/* The kernel's struct sysinfo (libc's may be longer). */
struct kernel_sysinfo {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
};

static void check_sysinfo_padding(void)
{
	struct kernel_sysinfo info;
	size_t procs_end = offsetof(struct kernel_sysinfo, procs) + sizeof(info.procs);
	size_t unit_end = offsetof(struct kernel_sysinfo, mem_unit) + sizeof(info.mem_unit);

	memset(&info, FILL, sizeof(info));
	CHECK("sysinfo", syscall(SYS_sysinfo, &info) == 0);
	CHECK("sysinfo_pad_after_procs_zero",
	      all_zero((char *)&info + procs_end,
		       offsetof(struct kernel_sysinfo, totalhigh) - procs_end));
	CHECK("sysinfo_tail_zero", all_zero((char *)&info + unit_end, sizeof(info) - unit_end));
}

int main(void)
{
	check_signal_frame();

	check_stat_file("self_stat", "/proc/self/stat");
	check_stat_file("init_stat", "/proc/1/stat");
	check_maps();
	check_auxv();
	check_dir_cookies("root_dir", "/");
	check_dir_cookies("proc_dir", "/proc");

	CHECK("create_file", contract_write_file("file", "data", 4) == 0);
	check_stat_padding("file", "file");
	check_stat_padding("root", "/");
	check_stat_padding("dev_null", "/dev/null");
	check_stat_padding("proc_self_stat", "/proc/self/stat");
	check_statx_padding("file", "file");
	check_statx_padding("proc_self_stat", "/proc/self/stat");
	check_sigaction_old();
	check_uname_tails();
	check_sysinfo_padding();
	contract_pass();
}
