/*
 * signals/fault_info: what a fault handler learns. A read of an unmapped
 * address is SIGSEGV with SEGV_MAPERR and si_addr the address; a write to a
 * read-only page is SEGV_ACCERR with that address, and the handler can
 * mprotect the page and return so the write is done again; a non-canonical
 * address is SIGSEGV with SI_KERNEL and no address; ud2 is SIGILL with
 * ILL_ILLOPN and si_addr at the instruction; an integer divide by zero is
 * SIGFPE with FPE_INTDIV at the instruction; int3 is SIGTRAP with SI_KERNEL.
 * The saved context agrees (RIP, trap number, page-fault error code, CR2),
 * and a handler may move RIP past the instruction to go on. (SIGBUS past the
 * end of a mapped file is signals/sigbus_eof.)
 */
#include "contract.h"

#include <setjmp.h>
#include <sys/mman.h>
#include <ucontext.h>

#define PAGE 4096

/* Page-fault error code bits (SDM vol. 3, 4.7). */
#define PF_PRESENT 0x1
#define PF_WRITE 0x2
#define PF_USER 0x4
#define TRAP_PAGE_FAULT 14
#define TRAP_INVALID_OPCODE 6
#define TRAP_DIVIDE_ERROR 0

/* Each returns 1; the faulting instruction is at the *_insn label. */
extern int do_ud2(void);
extern char ud2_insn[];
extern int do_div0(void);
extern char div0_insn[];
extern int do_int3(void);

__asm__(".text\n"
	".globl do_ud2\n"
	"do_ud2:\n"
	".globl ud2_insn\n"
	"ud2_insn: ud2\n"
	"	mov $1, %eax\n"
	"	ret\n"
	".globl do_div0\n"
	"do_div0:\n"
	"	mov $7, %eax\n"
	"	xor %edx, %edx\n"
	"	xor %ecx, %ecx\n"
	".globl div0_insn\n"
	"div0_insn: div %ecx\n"
	"	mov $1, %eax\n"
	"	ret\n"
	".globl do_int3\n"
	"do_int3:\n"
	"	int3\n"
	"	mov $1, %eax\n"
	"	ret\n");

/* The length of ud2 and of `div %ecx`, which the handler steps over. */
#define UD2_LEN 2
#define DIV_ECX_LEN 2

struct seen {
	int signo;
	int code;
	void *addr;
	long long rip;
	long long trapno;
	long long err;
	long long cr2;
};

static volatile struct seen seen;
static sigjmp_buf jump;
static char *readonly_page;
static volatile int fixups;

static void record(int sig, siginfo_t *info, ucontext_t *uc)
{
	seen.signo = sig;
	seen.code = info->si_code;
	seen.addr = info->si_addr;
	seen.rip = uc->uc_mcontext.gregs[REG_RIP];
	seen.trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	seen.err = uc->uc_mcontext.gregs[REG_ERR];
	seen.cr2 = uc->uc_mcontext.gregs[REG_CR2];
}

static void on_fault(int sig, siginfo_t *info, void *ctx)
{
	ucontext_t *uc = ctx;

	record(sig, info, uc);
	if (sig == SIGSEGV && info->si_code == SEGV_ACCERR && (char *)info->si_addr == readonly_page) {
		/* Fix the cause and return: the write runs again and succeeds. */
		fixups++;
		if (mprotect(readonly_page, PAGE, PROT_READ | PROT_WRITE) != 0)
			siglongjmp(jump, 2);
		return;
	}
	if (sig == SIGILL && (char *)info->si_addr == ud2_insn) {
		uc->uc_mcontext.gregs[REG_RIP] += UD2_LEN;
		return;
	}
	if (sig == SIGFPE && (char *)info->si_addr == div0_insn) {
		uc->uc_mcontext.gregs[REG_RIP] += DIV_ECX_LEN;
		return;
	}
	if (sig == SIGTRAP)
		return; /* RIP is already past int3. */
	siglongjmp(jump, 1);
}

static void install(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) != 0)
		contract_fail("sigaction", errno);
}

static void clear_seen(void)
{
	memset((void *)&seen, 0, sizeof(seen));
}

int main(void)
{
	volatile char *target;
	char *page;

	install(SIGSEGV);
	install(SIGILL);
	install(SIGFPE);
	install(SIGTRAP);

	/* An address that was mapped and no longer is. */
	page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("mmap", page != MAP_FAILED);
	CHECK("munmap", munmap(page, PAGE) == 0);
	target = page + 123;
	clear_seen();
	if (sigsetjmp(jump, 1) == 0) {
		(void)*target;
		contract_fail_why("unmapped_read_faults", "the read succeeded");
	}
	CHECK_EQ("unmapped_sigsegv", seen.signo, SIGSEGV);
	CHECK_EQ("unmapped_maperr", seen.code, SEGV_MAPERR);
	CHECK("unmapped_si_addr", seen.addr == (void *)target);
	CHECK_EQ("unmapped_trapno", seen.trapno, TRAP_PAGE_FAULT);
	CHECK_EQ("unmapped_read_err", seen.err, PF_USER);
	CHECK("unmapped_cr2", seen.cr2 == (long long)(uintptr_t)target);

	/* A write to a read-only page, fixed by the handler. */
	readonly_page = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("mmap_readonly", readonly_page != MAP_FAILED);
	/* Read first, so the page is present and the fault is a protection one. */
	CHECK_EQ("readonly_reads_zero", *(volatile char *)readonly_page, 0);
	clear_seen();
	if (sigsetjmp(jump, 1) == 0)
		*(volatile char *)readonly_page = 42;
	else
		contract_fail_why("readonly_fixup", "the handler could not fix the page");
	CHECK_EQ("readonly_sigsegv", seen.signo, SIGSEGV);
	CHECK_EQ("readonly_accerr", seen.code, SEGV_ACCERR);
	CHECK("readonly_si_addr", seen.addr == (void *)readonly_page);
	CHECK_EQ("readonly_write_err", seen.err, PF_USER | PF_WRITE | PF_PRESENT);
	CHECK_EQ("readonly_fixed_once", fixups, 1);
	CHECK_EQ("readonly_write_landed", readonly_page[0], 42);

	/* A non-canonical address: #GP, with no address to give. */
	target = (volatile char *)0x8000000000000000ULL;
	clear_seen();
	if (sigsetjmp(jump, 1) == 0) {
		(void)*target;
		contract_fail_why("noncanonical_faults", "the read succeeded");
	}
	CHECK_EQ("noncanonical_sigsegv", seen.signo, SIGSEGV);
	CHECK_EQ("noncanonical_si_kernel", seen.code, SI_KERNEL);
	CHECK("noncanonical_no_addr", seen.addr == NULL);

	/* ud2, stepped over by the handler. */
	clear_seen();
	if (sigsetjmp(jump, 1) == 0)
		CHECK_EQ("ud2_resumed", do_ud2(), 1);
	else
		contract_fail_why("ud2_resumed", "the handler jumped out");
	CHECK_EQ("ud2_sigill", seen.signo, SIGILL);
	CHECK_EQ("ud2_illopn", seen.code, ILL_ILLOPN);
	CHECK("ud2_si_addr", seen.addr == (void *)ud2_insn);
	CHECK("ud2_rip", seen.rip == (long long)(uintptr_t)ud2_insn);
	CHECK_EQ("ud2_trapno", seen.trapno, TRAP_INVALID_OPCODE);

	/* Integer division by zero, stepped over by the handler. */
	clear_seen();
	if (sigsetjmp(jump, 1) == 0)
		CHECK_EQ("div0_resumed", do_div0(), 1);
	else
		contract_fail_why("div0_resumed", "the handler jumped out");
	CHECK_EQ("div0_sigfpe", seen.signo, SIGFPE);
	CHECK_EQ("div0_intdiv", seen.code, FPE_INTDIV);
	CHECK("div0_si_addr", seen.addr == (void *)div0_insn);
	CHECK_EQ("div0_trapno", seen.trapno, TRAP_DIVIDE_ERROR);

	/* int3 is a trap: the handler returns past it. */
	clear_seen();
	if (sigsetjmp(jump, 1) == 0)
		CHECK_EQ("int3_resumed", do_int3(), 1);
	else
		contract_fail_why("int3_resumed", "the handler jumped out");
	CHECK_EQ("int3_sigtrap", seen.signo, SIGTRAP);
	CHECK_EQ("int3_si_kernel", seen.code, SI_KERNEL);

	contract_pass();
}
