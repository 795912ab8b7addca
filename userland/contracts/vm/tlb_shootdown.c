/*
 * vm/tlb_shootdown: two tasks share one address space (clone with CLONE_VM).
 * The worker touches a page, the main task makes it read-only, and the
 * worker's very next write faults; after the page is made writable again
 * the worker's write goes through, and the shared data stays intact.
 */
#include "contract.h"

#include <sched.h>
#include <setjmp.h>
#include <sys/mman.h>

#define PAGE_BYTES 4096
#define STACK_BYTES (256 * 1024)
#define WAIT_LIMIT_MS 10000

enum step {
	STEP_START,
	STEP_WORKER_WARM,     /* worker wrote the page: its TLB holds it */
	STEP_MAIN_PROTECTED,  /* main made the page read-only */
	STEP_WORKER_TRIED,    /* worker tried a write */
	STEP_MAIN_RESTORED,   /* main made the page writable again */
	STEP_WORKER_DONE,
};

static volatile char *page;
static int step;
static pid_t main_pid;
static sigjmp_buf main_resume, worker_resume;
static volatile int worker_faulted, worker_wrote_after_restore;

static void on_segv(int sig)
{
	(void)sig;
	if (syscall(SYS_getpid) == main_pid)
		siglongjmp(main_resume, 1);
	siglongjmp(worker_resume, 1);
}

static void set_step(int value)
{
	__atomic_store_n(&step, value, __ATOMIC_SEQ_CST);
}

/* Waits (yielding) until the shared step reaches value; 0 on time out. */
static int wait_step(int value)
{
	long long deadline = contract_now_ms() + WAIT_LIMIT_MS;

	while (__atomic_load_n(&step, __ATOMIC_SEQ_CST) != value) {
		if (contract_now_ms() > deadline)
			return 0;
		sched_yield();
	}
	return 1;
}

static int worker(void *arg)
{
	(void)arg;
	page[0] = 'w';
	set_step(STEP_WORKER_WARM);
	if (!wait_step(STEP_MAIN_PROTECTED))
		return 2;

	if (sigsetjmp(worker_resume, 1) == 0) {
		page[1] = 'x';
		worker_faulted = 0;
	} else {
		worker_faulted = 1;
	}
	set_step(STEP_WORKER_TRIED);
	if (!wait_step(STEP_MAIN_RESTORED))
		return 3;

	if (sigsetjmp(worker_resume, 1) == 0) {
		page[2] = 'y';
		worker_wrote_after_restore = 1;
	}
	set_step(STEP_WORKER_DONE);
	return 0;
}

int main(void)
{
	struct sigaction act;
	char *stack;
	int status;
	pid_t pid;

	main_pid = getpid();
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_segv;
	CHECK("install_segv_handler", sigaction(SIGSEGV, &act, NULL) == 0);

	page = mmap(NULL, PAGE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("mmap_page", page != MAP_FAILED);
	stack = mmap(NULL, STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("mmap_stack", stack != MAP_FAILED);

	pid = clone(worker, stack + STACK_BYTES, CLONE_VM | SIGCHLD, NULL);
	CHECK("clone_vm", pid > 0);

	CHECK("worker_touched_page", wait_step(STEP_WORKER_WARM));
	CHECK("mprotect_read_only", mprotect((void *)page, PAGE_BYTES, PROT_READ) == 0);
	set_step(STEP_MAIN_PROTECTED);
	CHECK("worker_tried_write", wait_step(STEP_WORKER_TRIED));
	CHECK("worker_write_faulted", worker_faulted == 1);

	if (sigsetjmp(main_resume, 1) == 0) {
		page[3] = 'm';
		contract_fail_why("main_write_faulted", "write to read-only page succeeded");
	}
	contract_ok("main_write_faulted");

	CHECK("mprotect_read_write", mprotect((void *)page, PAGE_BYTES, PROT_READ | PROT_WRITE) == 0);
	set_step(STEP_MAIN_RESTORED);
	CHECK("worker_finished", wait_step(STEP_WORKER_DONE));
	CHECK("worker_write_after_restore", worker_wrote_after_restore == 1);

	status = contract_wait(pid);
	CHECK_EXIT("worker_exit_status", status, 0);
	CHECK("data_intact", page[0] == 'w' && page[1] == 0 && page[2] == 'y' && page[3] == 0);
	contract_pass();
}
