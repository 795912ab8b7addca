/*
 * signals/sa_restart: a read blocked on an empty pipe, interrupted by a
 * handled signal installed without SA_RESTART, fails with EINTR; with
 * SA_RESTART the read resumes and returns the data written later.
 */
#include "contract.h"

#include <poll.h>

#define SIGNAL_PERIOD_MS 50
#define MAX_SIGNALS 200

static volatile int calls;

static void on_usr1(int sig)
{
	(void)sig;
	calls++;
}

static void install(int flags)
{
	struct sigaction act;

	memset(&act, 0, sizeof(act));
	act.sa_handler = on_usr1;
	act.sa_flags = flags;
	if (sigaction(SIGUSR1, &act, NULL) != 0)
		contract_fail("sigaction", errno);
}

static int readable(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, 0) == 1;
}

/*
 * Child: signal the parent every SIGNAL_PERIOD_MS until `done` becomes
 * readable (then exit), or, when `then_write` >= 0, three times and then
 * write one byte into that fd.
 */
static void signaller(pid_t parent, int done, int then_write)
{
	int i;

	for (i = 0; i < MAX_SIGNALS; i++) {
		contract_sleep_ms(SIGNAL_PERIOD_MS);
		if (then_write < 0 && readable(done))
			_exit(0);
		kill(parent, SIGUSR1);
		if (then_write >= 0 && i == 2) {
			contract_sleep_ms(SIGNAL_PERIOD_MS);
			write(then_write, "x", 1);
			_exit(0);
		}
	}
	_exit(1);
}

int main(void)
{
	int data[2], done[2];
	char byte = 0;
	ssize_t got;
	pid_t pid;

	/* Without SA_RESTART: EINTR. */
	install(0);
	CHECK("pipes", pipe(data) == 0 && pipe(done) == 0);
	pid = contract_fork();
	if (pid == 0)
		signaller(getppid(), done[0], -1);
	CHECK_ERRNO("read_interrupted_eintr", read(data[0], &byte, 1), EINTR);
	CHECK("handler_ran", calls >= 1);
	write(done[1], "d", 1);
	CHECK_EXIT("signaller_done", contract_wait(pid), 0);
	close(data[0]);
	close(data[1]);

	/* With SA_RESTART: the read carries on and gets the byte. */
	install(SA_RESTART);
	calls = 0;
	CHECK("pipe_again", pipe(data) == 0);
	pid = contract_fork();
	if (pid == 0)
		signaller(getppid(), -1, data[1]);
	close(data[1]);
	got = read(data[0], &byte, 1);
	CHECK_EQ("read_restarted_returns_data", got, 1);
	CHECK("read_got_written_byte", byte == 'x');
	CHECK("handler_ran_during_read", calls >= 1);
	CHECK_EXIT("writer_done", contract_wait(pid), 0);
	contract_pass();
}
