/*
 * proc/listing_churn: /proc is read slowly, one tiny getdents64 call at a
 * time, while children are forked and exit between the calls. No name ever
 * comes back twice, every PID that lived through the whole listing (our
 * own, PID 1 and children that outlive the listing) appears exactly once,
 * and PIDs come in ascending order.
 */
#include "contract.h"
#include "dirlist.h"

#include <sys/mman.h>

#define STAYING 4
#define TINY_BUFFER 64
#define MAX_CALLS 100000

static pid_t start_sleeper(int fd, int other_end)
{
	pid_t pid = contract_fork();
	char c;

	if (pid == 0) {
		close(other_end);
		while (read(fd, &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	return pid;
}

static int listed_once(const struct dirlist *list, pid_t pid)
{
	char name[32];

	snprintf(name, sizeof(name), "%d", (int)pid);
	return dirlist_count(list, name) == 1;
}

int main(void)
{
	struct dirlist list = { 0 };
	pid_t staying[STAYING], churn;
	int go[2], fd, i, calls = 0, all_staying = 1, ascending = 1;
	long got, last = 0, pid;
	size_t k;

	CHECK("pipe", pipe(go) == 0);
	for (i = 0; i < STAYING; i++)
		staying[i] = start_sleeper(go[0], go[1]);

	fd = open("/proc", O_RDONLY | O_DIRECTORY);
	CHECK("open_proc", fd >= 0);
	do {
		got = dirlist_step(fd, TINY_BUFFER, &list);
		/* Between calls: one child is born and dies, one more is born. */
		churn = contract_fork();
		if (churn == 0)
			_exit(0);
		if (calls % 2 == 0) {
			contract_wait(churn);
		} else {
			/* Left as a zombie for a while, reaped two calls later. */
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
		}
	} while (got > 0 && ++calls < MAX_CALLS);
	CHECK_EQ("listing_ended_cleanly", got, 0);
	CHECK("listing_took_many_calls", calls > 10);

	CHECK("no_name_repeats", dirlist_unique(&list));
	CHECK("own_pid_once", listed_once(&list, getpid()));
	CHECK("pid_1_once", listed_once(&list, 1));
	for (i = 0; i < STAYING; i++)
		all_staying = all_staying && listed_once(&list, staying[i]);
	CHECK("long_lived_children_once", all_staying);
	for (k = 0; k < list.count; k++) {
		pid = contract_parse_pid(list.entries[k].name);
		if (pid <= 0)
			continue;
		ascending = ascending && pid > last;
		last = pid;
	}
	CHECK("pids_ascending", ascending);
	CHECK_EQ("self_listed_once", dirlist_count(&list, "self"), 1);

	close(go[1]);
	for (i = 0; i < STAYING; i++)
		contract_wait(staying[i]);
	while (wait(NULL) > 0)
		;
	dirlist_free(&list);
	close(fd);
	contract_pass();
}
