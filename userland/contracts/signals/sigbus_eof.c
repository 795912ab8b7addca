/*
 * signals/sigbus_eof: a MAP_SHARED mapping of a file may reach past the end
 * of the file; the page that holds the file's last byte reads as the file
 * (zeros after the end), and a touch of a page wholly past the end is
 * SIGBUS with BUS_ADRERR and si_addr the address touched.
 */
#include "contract.h"

#include <setjmp.h>
#include <sys/mman.h>

#define PAGE 4096
#define FILE_SIZE 100

static sigjmp_buf jump;
static volatile int seen_signo, seen_code;
static void *volatile seen_addr;

static void on_fault(int sig, siginfo_t *info, void *ctx)
{
	(void)ctx;
	seen_signo = sig;
	seen_code = info->si_code;
	seen_addr = info->si_addr;
	siglongjmp(jump, 1);
}

int main(void)
{
	char path[] = "/tmp/sigbus_eof_XXXXXX";
	struct sigaction sa;
	volatile char *target;
	char *page;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	CHECK("sigaction", sigaction(SIGBUS, &sa, NULL) == 0 && sigaction(SIGSEGV, &sa, NULL) == 0);

	fd = mkstemp(path);
	CHECK("mkstemp", fd >= 0);
	CHECK("unlink", unlink(path) == 0);
	CHECK("write", write(fd, "x", 1) == 1);
	CHECK("ftruncate", ftruncate(fd, FILE_SIZE) == 0);
	page = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	CHECK("mmap", page != MAP_FAILED);
	CHECK_EQ("first_byte", page[0], 'x');
	CHECK_EQ("after_end_in_last_page_reads_zero", page[FILE_SIZE + 10], 0);

	target = page + PAGE + 8;
	if (sigsetjmp(jump, 1) == 0) {
		(void)*target;
		contract_fail_why("beyond_eof_faults", "the read succeeded");
	}
	CHECK_EQ("beyond_eof_sigbus", seen_signo, SIGBUS);
	CHECK_EQ("beyond_eof_adrerr", seen_code, BUS_ADRERR);
	CHECK("beyond_eof_si_addr", seen_addr == (void *)target);
	close(fd);
	contract_pass();
}
