/*
 * subsystems/proc_mount: reading the /proc directory gives `self` and
 * numeric PID entries (our own among them); readlink("/proc/self") is our
 * PID; /proc/1/stat is readable and starts with "1 (".
 */
#include "contract.h"

#include <dirent.h>

int main(void)
{
	char buf[4096], me[32];
	int has_self = 0, has_me = 0, has_one = 0, numeric = 0;
	struct dirent *entry;
	ssize_t len;
	DIR *dir;

	snprintf(me, sizeof(me), "%d", (int)getpid());
	dir = opendir("/proc");
	CHECK("opendir_proc", dir != NULL);
	while ((entry = readdir(dir)) != NULL) {
		if (strcmp(entry->d_name, "self") == 0)
			has_self = 1;
		if (strcmp(entry->d_name, me) == 0)
			has_me = 1;
		if (strcmp(entry->d_name, "1") == 0)
			has_one = 1;
		if (contract_parse_pid(entry->d_name) > 0)
			numeric++;
	}
	CHECK("closedir", closedir(dir) == 0);
	CHECK("listing_has_self", has_self);
	CHECK("listing_has_numeric_entries", numeric >= 2);
	CHECK("listing_has_own_pid", has_me);
	CHECK("listing_has_pid_1", has_one);

	len = readlink("/proc/self", buf, sizeof(buf) - 1);
	CHECK("readlink_self", len > 0);
	buf[len] = '\0';
	CHECK("self_is_own_pid", strcmp(buf, me) == 0);

	len = contract_read_file("/proc/1/stat", buf, sizeof(buf));
	CHECK("read_pid1_stat", len > 0);
	CHECK("pid1_stat_starts_with_pid", strncmp(buf, "1 (", 3) == 0);
	CHECK("pid1_stat_ends_with_newline", buf[len - 1] == '\n');
	contract_pass();
}
