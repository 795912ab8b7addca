/*
 * vm/mprotect_basic: mprotect to read-only makes a write raise SIGSEGV, which
 * a handler catches; the data stays readable, and making the page writable
 * again lets the write through.
 */
#include "contract.h"

#include <setjmp.h>
#include <sys/mman.h>

#define PAGE_BYTES 4096

static sigjmp_buf resume;
static volatile sig_atomic_t faults;

static void on_segv(int sig)
{
	(void)sig;
	faults++;
	siglongjmp(resume, 1);
}

/* Tries one write; returns 1 when it faulted. */
static int write_faults(volatile char *p, char value)
{
	if (sigsetjmp(resume, 1) == 0) {
		*p = value;
		return 0;
	}
	return 1;
}

int main(void)
{
	struct sigaction act;
	volatile char *page;

	memset(&act, 0, sizeof(act));
	act.sa_handler = on_segv;
	CHECK("install_segv_handler", sigaction(SIGSEGV, &act, NULL) == 0);

	page = mmap(NULL, PAGE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("mmap_rw", page != MAP_FAILED);
	CHECK("write_while_rw_ok", !write_faults(page, 'a'));
	CHECK_EQ("no_fault_yet", faults, 0);

	CHECK("mprotect_read_only", mprotect((void *)page, PAGE_BYTES, PROT_READ) == 0);
	CHECK("write_to_read_only_faults", write_faults(page, 'b'));
	CHECK_EQ("handler_ran_once", faults, 1);
	CHECK("data_still_readable", page[0] == 'a');
	CHECK("second_write_faults_too", write_faults(page + 100, 'c'));
	CHECK_EQ("handler_ran_twice", faults, 2);

	CHECK("mprotect_read_write", mprotect((void *)page, PAGE_BYTES, PROT_READ | PROT_WRITE) == 0);
	CHECK("write_after_restore_ok", !write_faults(page, 'd'));
	CHECK("write_landed", page[0] == 'd');
	CHECK_EQ("no_extra_faults", faults, 2);

	CHECK("mprotect_none", mprotect((void *)page, PAGE_BYTES, PROT_NONE) == 0);
	CHECK("write_to_prot_none_faults", write_faults(page, 'e'));
	CHECK("mprotect_back", mprotect((void *)page, PAGE_BYTES, PROT_READ) == 0);
	CHECK("data_survives_prot_none", page[0] == 'd');
	contract_pass();
}
