/*
 * isolation/kernel_memory: user code cannot touch the kernel half of the
 * address space, nor the guard page right below it, nor non-canonical
 * addresses. A read, a write or a jump to a kernel-half address is SIGSEGV
 * with SEGV_MAPERR and si_addr the address; the saved context reports a page
 * fault whose error code always has the protection bit, so it does not tell
 * which kernel pages exist. A non-canonical address is a general protection
 * fault: SIGSEGV with SI_KERNEL and no address. The top user page cannot be
 * mapped. System calls given kernel addresses, or a user buffer whose length
 * runs into the kernel half, fail with EFAULT. (files/efault covers the
 * common calls with one kernel address; signals/fault_info the user-half
 * faults.)
 */
#include "contract.h"

#include <setjmp.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <ucontext.h>

#define PAGE 4096

/* Page-fault error code bits (SDM vol. 3, 4.7). */
#define PF_PROT 0x1
#define PF_WRITE 0x2
#define PF_USER 0x4
#define PF_INSTR 0x10
#define TRAP_PAGE_FAULT 14
#define TRAP_GENERAL_PROTECTION 13

/* Linux's TASK_SIZE_MAX: the last user page is never mapped. */
#define USER_TOP_PAGE 0x00007ffffffff000UL

struct seen {
	int signo;
	int code;
	uintptr_t addr;
	long long trapno;
	long long err;
	long long cr2;
};

static volatile struct seen seen;
static sigjmp_buf jump;

static void on_segv(int sig, siginfo_t *info, void *ctx)
{
	ucontext_t *uc = ctx;

	seen.signo = sig;
	seen.code = info->si_code;
	seen.addr = (uintptr_t)info->si_addr;
	seen.trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	seen.err = uc->uc_mcontext.gregs[REG_ERR];
	seen.cr2 = uc->uc_mcontext.gregs[REG_CR2];
	siglongjmp(jump, 1);
}

enum access { READ, WRITE, EXEC };

static const char *const access_names[] = { "read", "write", "exec" };

/* Performs one access at addr; returns 1 when it faulted. */
static int touch(uintptr_t addr, enum access how)
{
	volatile uintptr_t target = addr;

	memset((void *)&seen, 0, sizeof(seen));
	if (sigsetjmp(jump, 1) != 0)
		return 1;
	switch (how) {
	case READ:
		(void)*(volatile char *)target;
		break;
	case WRITE:
		*(volatile char *)target = 1;
		break;
	case EXEC:
		((void (*)(void))target)();
		break;
	}
	return 0;
}

/*
 * Reads, writes and jumps to addr. A kernel-half (or guard-page) address is
 * a page fault reported as MAPERR with the address; a non-canonical one a
 * general protection fault with SI_KERNEL, no address and no error code.
 */
static void check_faults(const char *where, uintptr_t addr, int canonical)
{
	static const long long access_bits[] = { 0, PF_WRITE, PF_INSTR };
	char name[96];
	int how;

	for (how = READ; how <= EXEC; how++) {
		const char *verb = access_names[how];

		snprintf(name, sizeof(name), "%s_%s_faults", where, verb);
		CHECK(name, touch(addr, how));
		snprintf(name, sizeof(name), "%s_%s_sigsegv", where, verb);
		CHECK_EQ(name, seen.signo, SIGSEGV);
		snprintf(name, sizeof(name), "%s_%s_%s", where, verb,
			 canonical ? "maperr" : "si_kernel");
		CHECK_EQ(name, seen.code, canonical ? SEGV_MAPERR : SI_KERNEL);
		snprintf(name, sizeof(name), "%s_%s_%s", where, verb,
			 canonical ? "si_addr" : "no_addr");
		CHECK(name, seen.addr == (canonical ? addr : 0));
		snprintf(name, sizeof(name), "%s_%s_trapno", where, verb);
		CHECK_EQ(name, seen.trapno, canonical ? TRAP_PAGE_FAULT : TRAP_GENERAL_PROTECTION);
		snprintf(name, sizeof(name), "%s_%s_err", where, verb);
		CHECK_EQ(name, seen.err, canonical ? PF_PROT | PF_USER | access_bits[how] : 0);
		if (!canonical)
			continue;
		snprintf(name, sizeof(name), "%s_%s_cr2", where, verb);
		CHECK(name, seen.cr2 == (long long)addr);
	}
}

/* System calls that write or read a buffer at a kernel address. */
static void check_efault(const char *where, uintptr_t addr, int fd)
{
	void *bad = (void *)addr;
	char name[96];

	snprintf(name, sizeof(name), "%s_read_efault", where);
	CHECK_ERRNO(name, syscall(SYS_read, fd, bad, 16), EFAULT);
	snprintf(name, sizeof(name), "%s_write_efault", where);
	CHECK_ERRNO(name, syscall(SYS_write, fd, bad, 16), EFAULT);
	snprintf(name, sizeof(name), "%s_fstat_efault", where);
	CHECK_ERRNO(name, syscall(SYS_fstat, fd, bad), EFAULT);
	snprintf(name, sizeof(name), "%s_stat_path_efault", where);
	CHECK_ERRNO(name, syscall(SYS_newfstatat, AT_FDCWD, bad, bad, 0), EFAULT);
	snprintf(name, sizeof(name), "%s_clock_gettime_efault", where);
	CHECK_ERRNO(name, syscall(SYS_clock_gettime, CLOCK_MONOTONIC, bad), EFAULT);
	snprintf(name, sizeof(name), "%s_gettimeofday_efault", where);
	CHECK_ERRNO(name, syscall(SYS_gettimeofday, bad, NULL), EFAULT);
	snprintf(name, sizeof(name), "%s_sysinfo_efault", where);
	CHECK_ERRNO(name, syscall(SYS_sysinfo, bad), EFAULT);
	snprintf(name, sizeof(name), "%s_times_efault", where);
	CHECK_ERRNO(name, syscall(SYS_times, bad), EFAULT);
	snprintf(name, sizeof(name), "%s_rt_sigaction_old_efault", where);
	CHECK_ERRNO(name, syscall(SYS_rt_sigaction, SIGUSR1, NULL, bad, 8), EFAULT);
	snprintf(name, sizeof(name), "%s_rt_sigprocmask_old_efault", where);
	CHECK_ERRNO(name, syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, bad, 8), EFAULT);
}

int main(void)
{
	static const struct {
		const char *name;
		uintptr_t addr;
	} kernel[] = {
		{ "kernel_image", 0xffffffff80000000UL },
		{ "direct_map", 0xffff800000000000UL },
		{ "kernel_heap", 0xffffc00000000000UL },
		{ "top_page", 0xfffffffffffff000UL },
		{ "user_top_page", USER_TOP_PAGE },
	};
	static const struct {
		const char *name;
		uintptr_t addr;
	} noncanonical[] = {
		{ "noncanonical_low", 0x0000800000000000UL },
		{ "noncanonical_high", 0x8000000000000000UL },
	};
	struct sigaction sa;
	char buf[64];
	void *map;
	size_t i;
	int fd, dir;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	CHECK("sigaction", sigaction(SIGSEGV, &sa, NULL) == 0);

	for (i = 0; i < sizeof(kernel) / sizeof(kernel[0]); i++)
		check_faults(kernel[i].name, kernel[i].addr, 1);
	for (i = 0; i < sizeof(noncanonical) / sizeof(noncanonical[0]); i++)
		check_faults(noncanonical[i].name, noncanonical[i].addr, 0);

	/* The page below the canonical boundary stays unmapped. */
	CHECK_ERRNO("user_top_page_mmap_fixed_enomem",
		    mmap((void *)USER_TOP_PAGE, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
		    ENOMEM);
	map = mmap((void *)USER_TOP_PAGE, PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("user_top_page_hint_ignored",
	      map != MAP_FAILED && (uintptr_t)map + PAGE <= USER_TOP_PAGE);
	CHECK("user_top_page_hint_unmap", munmap(map, PAGE) == 0);
	CHECK_ERRNO("kernel_half_mmap_fixed_enomem",
		    mmap((void *)0xffff800000000000UL, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
		    ENOMEM);

	CHECK("create_file", contract_write_file("file", "0123456789abcdef", 16) == 0);
	fd = open("file", O_RDWR);
	CHECK("open_file", fd >= 0);
	for (i = 0; i < sizeof(kernel) / sizeof(kernel[0]); i++)
		check_efault(kernel[i].name, kernel[i].addr, fd);
	for (i = 0; i < sizeof(noncanonical) / sizeof(noncanonical[0]); i++)
		check_efault(noncanonical[i].name, noncanonical[i].addr, fd);

	/* The buffer is checked before anything is read: even for 0 bytes. */
	CHECK_ERRNO("read_kernel_zero_len_efault",
		    syscall(SYS_read, fd, (void *)0xffffffff80000000UL, 0), EFAULT);
	CHECK_ERRNO("write_kernel_zero_len_efault",
		    syscall(SYS_write, fd, (void *)0xffffffff80000000UL, 0), EFAULT);
	dir = open("/", O_RDONLY | O_DIRECTORY);
	CHECK("open_dir", dir >= 0);
	CHECK_ERRNO("read_dir_kernel_efault_before_eisdir",
		    syscall(SYS_read, dir, (void *)0xffffffff80000000UL, 16), EFAULT);
	CHECK_ERRNO("read_dir_eisdir", syscall(SYS_read, dir, buf, 16), EISDIR);
	close(dir);

	/* A user buffer whose length reaches into the kernel half. */
	CHECK_ERRNO("read_len_into_kernel_efault", syscall(SYS_read, fd, buf, 1UL << 62), EFAULT);
	CHECK_ERRNO("write_len_into_kernel_efault", syscall(SYS_write, fd, buf, 1UL << 62),
		    EFAULT);
	CHECK_ERRNO("read_wrapping_efault",
		    syscall(SYS_read, fd, (void *)0xfffffffffffff000UL, 0x2000), EFAULT);
	CHECK_ERRNO("write_wrapping_efault",
		    syscall(SYS_write, fd, (void *)0xfffffffffffff000UL, 0x2000), EFAULT);

	/* Nothing moved, and the file is as it was. */
	CHECK_EQ("offset_unchanged", lseek(fd, 0, SEEK_CUR), 0);
	CHECK_EQ("file_reads_back", read(fd, buf, sizeof(buf)), 16);
	CHECK("file_intact", memcmp(buf, "0123456789abcdef", 16) == 0);
	close(fd);
	contract_pass();
}
