/*
 * signals/sigaltstack: an SA_ONSTACK handler runs on the alternate signal
 * stack; sigaltstack called there reports SS_ONSTACK and refuses changes
 * with EPERM; SS_DISABLE turns the stack off; bad flags are EINVAL and a
 * stack smaller than MINSIGSTKSZ is ENOMEM; SS_AUTODISARM clears the stack
 * while a handler runs on it and rt_sigreturn puts it back from uc_stack;
 * and a stack overflow (endless recursion) is caught by a SIGSEGV handler
 * that runs on the alternate stack.
 */
#include "contract.h"

#include <setjmp.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <ucontext.h>

#define ALT_SIZE (64 * 1024)

static char *alt_base;

static int in_alt(const void *p)
{
	const char *c = p;
	return c >= alt_base && c < alt_base + ALT_SIZE;
}

/* What the handler saw. */
static volatile int ran, local_in_alt, query_ret, query_flags, change_ret, change_errno;
static volatile int disable_ret, disable_errno, uc_stack_ok;
static volatile size_t query_size;

static void on_usr1(int sig, siginfo_t *info, void *ctx)
{
	volatile char local = 0;
	ucontext_t *uc = ctx;
	stack_t now, other;

	(void)sig;
	(void)info;
	ran++;
	local_in_alt = in_alt((const void *)&local);
	query_ret = sigaltstack(NULL, &now);
	query_flags = now.ss_flags;
	query_size = now.ss_size;
	other.ss_sp = alt_base;
	other.ss_size = ALT_SIZE / 2;
	other.ss_flags = 0;
	errno = 0;
	change_ret = sigaltstack(&other, NULL);
	change_errno = errno;
	other.ss_flags = SS_DISABLE;
	errno = 0;
	disable_ret = sigaltstack(&other, NULL);
	disable_errno = errno;
	uc_stack_ok = uc->uc_stack.ss_sp == alt_base && uc->uc_stack.ss_size == ALT_SIZE;
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) != 0)
		contract_fail("sigaction", errno);
}

static int set_alt(void *sp, size_t size, int flags)
{
	stack_t ss;

	ss.ss_sp = sp;
	ss.ss_size = size;
	ss.ss_flags = flags;
	return sigaltstack(&ss, NULL);
}

/* ---- stack overflow --------------------------------------------------- */

static sigjmp_buf overflow_jump;
static volatile int overflow_on_alt, overflow_code;
/* Never reached; it only keeps the compiler from calling the recursion endless. */
static volatile int depth_limit = INT_MAX;

static void on_segv(int sig, siginfo_t *info, void *ctx)
{
	volatile char local = 0;

	(void)sig;
	(void)ctx;
	overflow_on_alt = in_alt((const void *)&local);
	overflow_code = info->si_code;
	siglongjmp(overflow_jump, 1);
}

static __attribute__((noinline)) int recurse(int depth)
{
	volatile char pad[512];

	pad[0] = (char)depth;
	if (depth == depth_limit)
		return 0;
	return recurse(depth + 1) + pad[0];
}

static int overflow_child(void *arg)
{
	(void)arg;
	if (set_alt(alt_base, ALT_SIZE, 0) != 0)
		return 10;
	install(SIGSEGV, on_segv, SA_ONSTACK);
	if (sigsetjmp(overflow_jump, 1) == 0) {
		recurse(0);
		return 11;
	}
	if (!overflow_on_alt)
		return 12;
	if (overflow_code != SEGV_MAPERR && overflow_code != SEGV_ACCERR)
		return 13;
	return 0;
}

int main(void)
{
	stack_t ss;

	alt_base = mmap(NULL, ALT_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("mmap", alt_base != MAP_FAILED);

	CHECK("query_initial", sigaltstack(NULL, &ss) == 0);
	CHECK("initially_disabled", ss.ss_flags == SS_DISABLE);
	CHECK_ERRNO("bad_flags_einval", set_alt(alt_base, ALT_SIZE, 0x1234), EINVAL);
	CHECK_ERRNO("too_small_enomem", set_alt(alt_base, MINSIGSTKSZ - 1, 0), ENOMEM);
	CHECK("still_disabled", sigaltstack(NULL, &ss) == 0 && ss.ss_flags == SS_DISABLE);

	CHECK("set", set_alt(alt_base, ALT_SIZE, 0) == 0);
	CHECK("query_set", sigaltstack(NULL, &ss) == 0);
	CHECK("query_set_fields",
	      ss.ss_sp == alt_base && ss.ss_size == ALT_SIZE && ss.ss_flags == 0);

	/* A handler on the alternate stack. */
	install(SIGUSR1, on_usr1, SA_ONSTACK);
	raise(SIGUSR1);
	CHECK_EQ("handler_ran", ran, 1);
	CHECK("handler_local_on_alt_stack", local_in_alt);
	CHECK("handler_query", query_ret == 0);
	CHECK_EQ("handler_query_onstack", query_flags, SS_ONSTACK);
	CHECK_EQ("handler_query_size", query_size, ALT_SIZE);
	contract_check_errno("handler_change_eperm", change_ret, change_errno, EPERM);
	contract_check_errno("handler_disable_eperm", disable_ret, disable_errno, EPERM);
	CHECK("handler_uc_stack", uc_stack_ok);
	CHECK("after_handler_query", sigaltstack(NULL, &ss) == 0);
	CHECK("after_handler_unchanged",
	      ss.ss_sp == alt_base && ss.ss_size == ALT_SIZE && ss.ss_flags == 0);

	/* Without SA_ONSTACK the handler stays on the normal stack. */
	install(SIGUSR1, on_usr1, 0);
	raise(SIGUSR1);
	CHECK("plain_handler_off_alt_stack", !local_in_alt);
	CHECK_EQ("plain_handler_query_not_onstack", query_flags, 0);
	CHECK("plain_handler_may_change", change_ret == 0);
	CHECK("plain_handler_may_disable", disable_ret == 0);
	/* rt_sigreturn put back the stack the frame's uc_stack names. */
	CHECK("plain_handler_change_undone_by_sigreturn", sigaltstack(NULL, &ss) == 0);
	CHECK("plain_handler_restored_fields",
	      ss.ss_sp == alt_base && ss.ss_size == ALT_SIZE && ss.ss_flags == 0);

	/* SS_AUTODISARM: disarmed inside the handler, restored by sigreturn. */
	CHECK("set_autodisarm", set_alt(alt_base, ALT_SIZE, SS_AUTODISARM) == 0);
	CHECK("query_autodisarm",
	      sigaltstack(NULL, &ss) == 0 && ss.ss_flags == SS_AUTODISARM);
	install(SIGUSR1, on_usr1, SA_ONSTACK);
	raise(SIGUSR1);
	CHECK("autodisarm_handler_on_alt_stack", local_in_alt);
	CHECK_EQ("autodisarm_handler_query_disabled", query_flags, SS_DISABLE);
	CHECK("autodisarm_handler_may_change", change_ret == 0);
	CHECK("autodisarm_restored_by_sigreturn", sigaltstack(NULL, &ss) == 0);
	CHECK("autodisarm_restored_fields",
	      ss.ss_sp == alt_base && ss.ss_size == ALT_SIZE && ss.ss_flags == SS_AUTODISARM);

	/* SS_DISABLE: an SA_ONSTACK handler runs on the normal stack. */
	CHECK("disable", set_alt(NULL, 0, SS_DISABLE) == 0);
	CHECK("query_disabled", sigaltstack(NULL, &ss) == 0 && ss.ss_flags == SS_DISABLE);
	raise(SIGUSR1);
	CHECK("disabled_handler_off_alt_stack", !local_in_alt);

	/* A stack overflow, in a child of its own. */
	CHECK_EXIT("overflow_caught_on_alt_stack", contract_run_child(overflow_child, NULL), 0);
	contract_pass();
}
