/*
 * isolation/syscall_registers: no kernel value comes back through a
 * register. With every general-purpose register and all sixteen XMM
 * registers loaded with distinct patterns, a system call - one that succeeds,
 * one that fails, one unknown, a read of 0 bytes, ones that fill a struct,
 * one that sleeps, fork in both parent and child - returns with every
 * register but RAX unchanged, except that RCX holds the address after the
 * `syscall` instruction and R11 the RFLAGS it was issued with (as the x86-64
 * `syscall` instruction defines them), and RFLAGS itself is restored. A
 * signal delivered on the way out of a system call sees those registers in
 * its ucontext, and after the handler (which scribbles on every register)
 * returns through sigreturn they are all back. A signal that interrupts user
 * code in a loop restores everything, RAX, RCX and R11 included.
 */
#include "contract.h"

#include <stddef.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <ucontext.h>

#define NGPR 15
#define NXMM 16

/* The layout the assembly below relies on, checked with _Static_assert. */
struct regs {
	uint64_t gpr[NGPR]; /* rax rbx rcx rdx rsi rdi rbp r8 .. r15 */
	uint64_t rsp;
	uint64_t rflags;
	uint64_t rip_after; /* the address right after the syscall (or loop) */
	uint64_t rflags_before;
	uint64_t rsp_before;
	uint64_t xmm[NXMM][2];
};

enum { RAX, RBX, RCX, RDX, RSI, RDI, RBP, R8, R9, R10, R11, R12, R13, R14, R15 };

static const char *const gpr_names[NGPR] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8",
	"r9",  "r10", "r11", "r12", "r13", "r14", "r15",
};

_Static_assert(offsetof(struct regs, rsp) == 120, "rsp offset");
_Static_assert(offsetof(struct regs, rflags) == 128, "rflags offset");
_Static_assert(offsetof(struct regs, rip_after) == 136, "rip_after offset");
_Static_assert(offsetof(struct regs, rflags_before) == 144, "rflags_before offset");
_Static_assert(offsetof(struct regs, rsp_before) == 152, "rsp_before offset");
_Static_assert(offsetof(struct regs, xmm) == 160, "xmm offset");

/*
 * void regs_<name>(const struct regs *in, struct regs *out): loads every
 * register from *in (RFLAGS with CF set), runs the body and stores every
 * register into *out. RSP stays where it was across the body.
 */
#define XMM_LOAD(n) "movdqu " #n "*16+160(%rdi), %xmm" #n "\n"
#define XMM_STORE(n) "movdqu %xmm" #n ", " #n "*16+160(%rdi)\n"
#define REGS_FUNCTION(name, body)                                                         \
	".text\n"                                                                         \
	".globl regs_" name "\n"                                                          \
	"regs_" name ":\n"                                                                \
	"push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"         \
	"push %rsi\n"                                                                     \
	XMM_LOAD(0) XMM_LOAD(1) XMM_LOAD(2) XMM_LOAD(3) XMM_LOAD(4) XMM_LOAD(5)           \
	XMM_LOAD(6) XMM_LOAD(7) XMM_LOAD(8) XMM_LOAD(9) XMM_LOAD(10) XMM_LOAD(11)         \
	XMM_LOAD(12) XMM_LOAD(13) XMM_LOAD(14) XMM_LOAD(15)                               \
	"stc\n"                                                                           \
	"pushfq\n pop %rax\n mov %rax, 144(%rsi)\n"                                       \
	"mov %rsp, 152(%rsi)\n"                                                           \
	"mov 8(%rdi), %rbx\n mov 16(%rdi), %rcx\n mov 24(%rdi), %rdx\n"                   \
	"mov 32(%rdi), %rsi\n mov 48(%rdi), %rbp\n mov 56(%rdi), %r8\n"                   \
	"mov 64(%rdi), %r9\n mov 72(%rdi), %r10\n mov 80(%rdi), %r11\n"                   \
	"mov 88(%rdi), %r12\n mov 96(%rdi), %r13\n mov 104(%rdi), %r14\n"                 \
	"mov 112(%rdi), %r15\n mov 0(%rdi), %rax\n mov 40(%rdi), %rdi\n"                  \
	body                                                                              \
	"1:\n"                                                                            \
	"pushfq\n push %rdi\n mov 16(%rsp), %rdi\n"                                       \
	"mov %rax, 0(%rdi)\n mov %rbx, 8(%rdi)\n mov %rcx, 16(%rdi)\n"                    \
	"mov %rdx, 24(%rdi)\n mov %rsi, 32(%rdi)\n mov %rbp, 48(%rdi)\n"                  \
	"mov %r8, 56(%rdi)\n mov %r9, 64(%rdi)\n mov %r10, 72(%rdi)\n"                    \
	"mov %r11, 80(%rdi)\n mov %r12, 88(%rdi)\n mov %r13, 96(%rdi)\n"                  \
	"mov %r14, 104(%rdi)\n mov %r15, 112(%rdi)\n"                                     \
	"pop %rax\n mov %rax, 40(%rdi)\n pop %rax\n mov %rax, 128(%rdi)\n"                \
	"mov %rsp, 120(%rdi)\n lea 1b(%rip), %rax\n mov %rax, 136(%rdi)\n"                \
	XMM_STORE(0) XMM_STORE(1) XMM_STORE(2) XMM_STORE(3) XMM_STORE(4) XMM_STORE(5)     \
	XMM_STORE(6) XMM_STORE(7) XMM_STORE(8) XMM_STORE(9) XMM_STORE(10) XMM_STORE(11)   \
	XMM_STORE(12) XMM_STORE(13) XMM_STORE(14) XMM_STORE(15)                           \
	"pop %rsi\n"                                                                      \
	"pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n"               \
	"ret\n"

void regs_syscall(const struct regs *in, struct regs *out);
void regs_spin(const struct regs *in, struct regs *out);

static volatile unsigned char spin_release;

__asm__(REGS_FUNCTION("syscall", "syscall\n"));
/* Spins, touching no register but RFLAGS, until a signal handler releases it. */
__asm__(REGS_FUNCTION("spin", "2: cmpb $0, spin_release(%rip)\n je 2b\n"));

/* Distinct patterns that look like nothing else. */
static void fill_patterns(struct regs *in)
{
	int i;

	memset(in, 0, sizeof(*in));
	for (i = 0; i < NGPR; i++)
		in->gpr[i] = 0x5a5a000000000000ULL | ((uint64_t)(i + 1) << 40) | 0x00a5c3e1ULL;
	for (i = 0; i < NXMM; i++) {
		in->xmm[i][0] = 0xc0de0000f00d0000ULL | (uint64_t)(2 * i);
		in->xmm[i][1] = 0xc0de0000f00d0000ULL | (uint64_t)(2 * i + 1);
	}
}

/* First index + 1 of a general register that differs, skipping rax/rcx/r11 when asked. */
static int gpr_mismatch(const struct regs *in, const struct regs *out, int skip_clobbered)
{
	int i;

	for (i = 0; i < NGPR; i++) {
		if (skip_clobbered && (i == RAX || i == RCX || i == R11))
			continue;
		if (in->gpr[i] != out->gpr[i])
			return i + 1;
	}
	return 0;
}

static int xmm_mismatch(const struct regs *in, const struct regs *out)
{
	return memcmp(in->xmm, out->xmm, sizeof(in->xmm)) != 0;
}

/* The checks for a register set that came back from a system call. */
static void check_syscall_return(const char *what, const struct regs *in, const struct regs *out)
{
	char name[96];
	int i;

	for (i = 0; i < NGPR; i++) {
		if (i == RAX || i == RCX || i == R11)
			continue;
		snprintf(name, sizeof(name), "%s_%s_preserved", what, gpr_names[i]);
		CHECK(name, out->gpr[i] == in->gpr[i]);
	}
	snprintf(name, sizeof(name), "%s_rcx_is_return_rip", what);
	CHECK(name, out->gpr[RCX] == out->rip_after);
	snprintf(name, sizeof(name), "%s_r11_is_rflags", what);
	CHECK(name, out->gpr[R11] == out->rflags_before);
	snprintf(name, sizeof(name), "%s_rflags_restored", what);
	CHECK(name, out->rflags == out->rflags_before);
	snprintf(name, sizeof(name), "%s_rsp_preserved", what);
	CHECK(name, out->rsp == out->rsp_before);
	snprintf(name, sizeof(name), "%s_xmm_preserved", what);
	CHECK(name, !xmm_mismatch(in, out));
}

/* Runs one system call with the patterns loaded plus the given arguments. */
static void run_syscall(const char *what, long nr, long want_rax, int nargs, const long *args)
{
	static const int arg_regs[] = { RDI, RSI, RDX, R10, R8, R9 };
	struct regs in, out;
	char name[96];
	int i;

	fill_patterns(&in);
	in.gpr[RAX] = (uint64_t)nr;
	for (i = 0; i < nargs; i++)
		in.gpr[arg_regs[i]] = (uint64_t)args[i];
	regs_syscall(&in, &out);
	snprintf(name, sizeof(name), "%s_result", what);
	CHECK_EQ(name, (long)out.gpr[RAX], want_rax);
	check_syscall_return(what, &in, &out);
}

/* ---- signals -------------------------------------------------------------- */

static struct regs handler_saw;
static volatile int handler_runs;

/* Loads junk into every register the handler may legally clobber and more. */
static void scribble(void)
{
	__asm__ volatile("pcmpeqd %%xmm0, %%xmm0\n pcmpeqd %%xmm1, %%xmm1\n"
			 "pcmpeqd %%xmm2, %%xmm2\n pcmpeqd %%xmm3, %%xmm3\n"
			 "pcmpeqd %%xmm4, %%xmm4\n pcmpeqd %%xmm5, %%xmm5\n"
			 "pcmpeqd %%xmm6, %%xmm6\n pcmpeqd %%xmm7, %%xmm7\n"
			 "pcmpeqd %%xmm8, %%xmm8\n pcmpeqd %%xmm9, %%xmm9\n"
			 "pcmpeqd %%xmm10, %%xmm10\n pcmpeqd %%xmm11, %%xmm11\n"
			 "pcmpeqd %%xmm12, %%xmm12\n pcmpeqd %%xmm13, %%xmm13\n"
			 "pcmpeqd %%xmm14, %%xmm14\n pcmpeqd %%xmm15, %%xmm15\n"
			 "mov $-1, %%rax\n mov $-1, %%rbx\n mov $-1, %%rcx\n mov $-1, %%rdx\n"
			 "mov $-1, %%rsi\n mov $-1, %%rdi\n mov $-1, %%r8\n mov $-1, %%r9\n"
			 "mov $-1, %%r10\n mov $-1, %%r11\n mov $-1, %%r12\n mov $-1, %%r13\n"
			 "mov $-1, %%r14\n mov $-1, %%r15\n std\n cld\n"
			 :
			 :
			 : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
			   "r12", "r13", "r14", "r15", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
			   "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
			   "xmm13", "xmm14", "xmm15", "memory", "cc");
}

static void on_signal(int sig, siginfo_t *info, void *ctx)
{
	static const int greg_index[NGPR] = {
		REG_RAX, REG_RBX, REG_RCX, REG_RDX, REG_RSI, REG_RDI, REG_RBP, REG_R8,
		REG_R9,	 REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
	};
	ucontext_t *uc = ctx;
	int i;

	(void)sig;
	(void)info;
	for (i = 0; i < NGPR; i++)
		handler_saw.gpr[i] = (uint64_t)uc->uc_mcontext.gregs[greg_index[i]];
	handler_saw.rsp = (uint64_t)uc->uc_mcontext.gregs[REG_RSP];
	handler_saw.rip_after = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	handler_saw.rflags = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
	handler_runs++;
	getppid();
	scribble();
	spin_release = 1;
}

static void install(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) != 0)
		contract_fail("sigaction", errno);
}

/* A signal raised by kill(2) itself, delivered as that call returns. */
static void check_signal_on_syscall_return(void)
{
	struct regs in, out;

	install(SIGUSR1);
	fill_patterns(&in);
	in.gpr[RAX] = SYS_kill;
	in.gpr[RDI] = (uint64_t)getpid();
	in.gpr[RSI] = SIGUSR1;
	handler_runs = 0;
	regs_syscall(&in, &out);
	CHECK_EQ("kill_handler_ran", handler_runs, 1);
	CHECK_EQ("kill_result", (long)out.gpr[RAX], 0);
	check_syscall_return("kill_sigreturn", &in, &out);

	/* What the handler was shown is the same register state. */
	CHECK_EQ("kill_ucontext_rax", (long)handler_saw.gpr[RAX], 0);
	CHECK_EQ("kill_ucontext_gprs", gpr_mismatch(&in, &handler_saw, 1), 0);
	CHECK("kill_ucontext_rip", handler_saw.rip_after == out.rip_after);
	CHECK("kill_ucontext_rcx", handler_saw.gpr[RCX] == out.rip_after);
	CHECK("kill_ucontext_r11", handler_saw.gpr[R11] == out.rflags_before);
	CHECK("kill_ucontext_rflags", handler_saw.rflags == out.rflags_before);
	CHECK("kill_ucontext_rsp", handler_saw.rsp == out.rsp_before);
}

/* A timer signal that interrupts a loop in user code. */
static void check_signal_in_user_code(void)
{
	struct itimerval timer = { { 0, 0 }, { 0, 20000 } };
	struct regs in, out;
	char name[96];
	int i;

	install(SIGALRM);
	fill_patterns(&in);
	spin_release = 0;
	handler_runs = 0;
	CHECK("setitimer", setitimer(ITIMER_REAL, &timer, NULL) == 0);
	regs_spin(&in, &out);
	CHECK_EQ("alarm_handler_ran", handler_runs, 1);
	for (i = 0; i < NGPR; i++) {
		snprintf(name, sizeof(name), "alarm_%s_restored", gpr_names[i]);
		CHECK(name, out.gpr[i] == in.gpr[i]);
	}
	CHECK("alarm_rsp_restored", out.rsp == out.rsp_before);
	CHECK("alarm_xmm_restored", !xmm_mismatch(&in, &out));
	CHECK("alarm_ucontext_gprs", gpr_mismatch(&in, &handler_saw, 0) == 0);
}

/* fork: both sides come back with the caller's registers. */
static void check_fork(void)
{
	struct regs in, out;
	int bad, status;

	fill_patterns(&in);
	in.gpr[RAX] = SYS_fork;
	regs_syscall(&in, &out);
	if (out.gpr[RAX] == 0) {
		bad = gpr_mismatch(&in, &out, 1);
		if (!bad && out.gpr[RCX] != out.rip_after)
			bad = RCX + 1;
		if (!bad && out.gpr[R11] != out.rflags_before)
			bad = R11 + 1;
		if (!bad && (out.rsp != out.rsp_before || out.rflags != out.rflags_before))
			bad = 100;
		if (!bad && xmm_mismatch(&in, &out))
			bad = 101;
		_exit(bad);
	}
	CHECK("fork_parent_result", (long)out.gpr[RAX] > 0);
	check_syscall_return("fork_parent", &in, &out);
	status = contract_wait((pid_t)out.gpr[RAX]);
	CHECK_EXIT("fork_child_registers", status, 0);
}

int main(void)
{
	struct timespec ts, nap = { 0, 1000000 };
	struct utsname uts;
	char byte;
	long args[3];
	int fd;

	run_syscall("getpid", SYS_getpid, getpid(), 0, NULL);

	args[0] = -1;
	run_syscall("close_ebadf", SYS_close, -EBADF, 1, args);

	run_syscall("unknown_enosys", 1000, -ENOSYS, 0, NULL);

	fd = open("/dev/zero", O_RDONLY);
	CHECK("open_dev_zero", fd >= 0);
	args[0] = fd;
	args[1] = (long)&byte;
	args[2] = 0;
	run_syscall("read_zero_bytes", SYS_read, 0, 3, args);
	args[2] = 1;
	run_syscall("read_one_byte", SYS_read, 1, 3, args);
	close(fd);

	args[0] = CLOCK_MONOTONIC;
	args[1] = (long)&ts;
	run_syscall("clock_gettime", SYS_clock_gettime, 0, 2, args);

	args[0] = (long)&uts;
	run_syscall("uname", SYS_uname, 0, 1, args);

	args[0] = (long)&nap;
	args[1] = 0;
	run_syscall("nanosleep", SYS_nanosleep, 0, 2, args);

	run_syscall("sched_yield", SYS_sched_yield, 0, 0, NULL);

	check_fork();
	check_signal_on_syscall_return();
	check_signal_in_user_code();
	contract_pass();
}
