/*
 * proc/root_buffers: the /proc listing gives the same names whether read
 * with one big getdents64 buffer or many tiny ones (compared on the names
 * that do not come and go: the static entries, our PID and 1); no name
 * repeats; PIDs come in ascending order; lseek(fd, 0, SEEK_SET) restarts;
 * a buffer too small for one entry is EINVAL.
 */
#include "contract.h"
#include "dirlist.h"

#define BIG_BUFFER 65536
#define TINY_BUFFER 64

/* The names that are not PIDs, concatenated in listing order. */
static void static_names(const struct dirlist *list, char *out, size_t size)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < list->count; i++) {
		if (contract_parse_pid(list->entries[i].name) > 0)
			continue;
		len += (size_t)snprintf(out + len, size - len, "%s/", list->entries[i].name);
		if (len >= size)
			contract_fail_why("static_names", "too many names");
	}
}

static int pids_ascending(const struct dirlist *list)
{
	long last = 0, pid;
	size_t i;

	for (i = 0; i < list->count; i++) {
		pid = contract_parse_pid(list->entries[i].name);
		if (pid <= 0)
			continue;
		if (pid <= last)
			return 0;
		last = pid;
	}
	return 1;
}

static int has_us_and_init(const struct dirlist *list)
{
	char me[32];

	snprintf(me, sizeof(me), "%d", (int)getpid());
	return dirlist_count(list, me) == 1 && dirlist_count(list, "1") == 1;
}

int main(void)
{
	static char names_big[16384], names_tiny[16384], names_again[16384];
	struct dirlist big = { 0 }, tiny = { 0 }, again = { 0 };
	char small[8];
	int fd;

	fd = open("/proc", O_RDONLY | O_DIRECTORY);
	CHECK("open_proc", fd >= 0);
	CHECK("read_big_buffer", dirlist_read(fd, BIG_BUFFER, &big) == 0);
	CHECK_EQ("end_stays_at_end", contract_getdents(fd, small, sizeof(small)), 0);
	CHECK("lseek_restart", lseek(fd, 0, SEEK_SET) == 0);
	CHECK("read_tiny_buffer", dirlist_read(fd, TINY_BUFFER, &tiny) == 0);
	CHECK("tiny_took_many_calls", tiny.count > 10);

	CHECK("big_has_no_repeats", dirlist_unique(&big));
	CHECK("tiny_has_no_repeats", dirlist_unique(&tiny));
	CHECK("big_has_us_and_init", has_us_and_init(&big));
	CHECK("tiny_has_us_and_init", has_us_and_init(&tiny));
	CHECK("big_pids_ascending", pids_ascending(&big));
	CHECK("tiny_pids_ascending", pids_ascending(&tiny));
	static_names(&big, names_big, sizeof(names_big));
	static_names(&tiny, names_tiny, sizeof(names_tiny));
	CHECK("same_static_names_both_sizes", strcmp(names_big, names_tiny) == 0);

	CHECK("lseek_restart_again", lseek(fd, 0, SEEK_SET) == 0);
	CHECK_ERRNO("buffer_too_small_einval", contract_getdents(fd, small, sizeof(small)), EINVAL);
	CHECK("read_after_einval", dirlist_read(fd, 200, &again) == 0);
	static_names(&again, names_again, sizeof(names_again));
	CHECK("same_static_names_after_einval", strcmp(names_big, names_again) == 0);
	CHECK("again_has_us_and_init", has_us_and_init(&again));
	CHECK("close", close(fd) == 0);

	dirlist_free(&big);
	dirlist_free(&tiny);
	dirlist_free(&again);
	contract_pass();
}
