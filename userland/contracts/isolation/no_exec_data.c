/*
 * isolation/no_exec_data: memory that holds data is not executable. A `ret`
 * copied into a stack buffer, a static array, a malloc'd block, the brk area
 * or an anonymous read/write mapping faults when called: SIGSEGV with
 * SEGV_ACCERR, si_addr at the instruction, a page-fault error code saying
 * an instruction fetch from a present page. After mprotect adds PROT_EXEC
 * the mapping runs. Conversely program text and the vDSO are not writable.
 */
#include "contract.h"

#include <setjmp.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <ucontext.h>

#define PAGE 4096
#define RET_OPCODE 0xc3

/* Page-fault error code bits (SDM vol. 3, 4.7). */
#define PF_PROT 0x1
#define PF_WRITE 0x2
#define PF_USER 0x4
#define PF_INSTR 0x10

struct seen {
	int signo;
	int code;
	uintptr_t addr;
	long long err;
};

static volatile struct seen seen;
static sigjmp_buf jump;

/* Page aligned and a page long, so no code shares its page. */
static unsigned char data_array[PAGE] __attribute__((aligned(PAGE))) = { 1 };

static void on_segv(int sig, siginfo_t *info, void *ctx)
{
	ucontext_t *uc = ctx;

	seen.signo = sig;
	seen.code = info->si_code;
	seen.addr = (uintptr_t)info->si_addr;
	seen.err = uc->uc_mcontext.gregs[REG_ERR];
	siglongjmp(jump, 1);
}

/* Calls code (a `ret` already written there); returns 1 when the call faulted. */
static int call_at(unsigned char *code)
{
	void (*volatile fn)(void) = (void (*)(void))code;

	memset((void *)&seen, 0, sizeof(seen));
	if (sigsetjmp(jump, 1) != 0)
		return 1;
	fn();
	return 0;
}

/* Writes one byte at addr; returns 1 when the write faulted. */
static int write_byte(uintptr_t addr)
{
	volatile unsigned char *target = (volatile unsigned char *)addr;

	memset((void *)&seen, 0, sizeof(seen));
	if (sigsetjmp(jump, 1) != 0)
		return 1;
	*target = *target;
	return 0;
}

/* The fault just seen was SEGV_ACCERR at addr with that error code. */
static void check_accerr(const char *what, uintptr_t addr, long long err)
{
	char name[96];

	snprintf(name, sizeof(name), "%s_sigsegv", what);
	CHECK_EQ(name, seen.signo, SIGSEGV);
	snprintf(name, sizeof(name), "%s_accerr", what);
	CHECK_EQ(name, seen.code, SEGV_ACCERR);
	snprintf(name, sizeof(name), "%s_si_addr", what);
	CHECK(name, seen.addr == addr);
	snprintf(name, sizeof(name), "%s_err", what);
	CHECK_EQ(name, seen.err, err);
}

static void check_no_exec(const char *where, unsigned char *code)
{
	char name[96];

	code[0] = RET_OPCODE;
	snprintf(name, sizeof(name), "%s_call_faults", where);
	CHECK(name, call_at(code));
	check_accerr(where, (uintptr_t)code, PF_PROT | PF_USER | PF_INSTR);
}

static void check_not_writable(const char *where, uintptr_t addr)
{
	char name[96];

	snprintf(name, sizeof(name), "%s_write_faults", where);
	CHECK(name, write_byte(addr));
	snprintf(name, sizeof(name), "%s_write", where);
	check_accerr(name, addr, PF_PROT | PF_USER | PF_WRITE);
}

int main(void)
{
	unsigned char stack_buf[64];
	unsigned char *heap, *map, *brk_area;
	uintptr_t brk_start, vdso;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	CHECK("sigaction", sigaction(SIGSEGV, &sa, NULL) == 0);

	check_no_exec("stack", stack_buf);
	check_no_exec("static_data", data_array);

	heap = malloc(256);
	CHECK("malloc", heap != NULL);
	check_no_exec("malloc", heap);
	free(heap);

	/* Raw brk: the libc allocator may use brk for itself. */
	brk_start = (uintptr_t)syscall(SYS_brk, 0);
	CHECK("brk_grow", (uintptr_t)syscall(SYS_brk, brk_start + 2 * PAGE) == brk_start + 2 * PAGE);
	brk_area = (unsigned char *)brk_start;
	check_no_exec("brk", brk_area);
	CHECK("brk_shrink", (uintptr_t)syscall(SYS_brk, brk_start) == brk_start);

	map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("mmap_rw", map != MAP_FAILED);
	check_no_exec("mmap_rw", map);
	CHECK("mprotect_exec", mprotect(map, PAGE, PROT_READ | PROT_EXEC) == 0);
	CHECK("mmap_exec_runs", !call_at(map));
	munmap(map, PAGE);

	check_not_writable("text", (uintptr_t)&main);
	vdso = (uintptr_t)getauxval(AT_SYSINFO_EHDR);
	CHECK("vdso_present", vdso != 0);
	check_not_writable("vdso", vdso);
	contract_pass();
}
