/*
 * proc/unknown_names: names /proc does not have are ENOENT - made-up
 * names, numbers that are no live PID, numbers written with leading zeros,
 * signs or trailing letters, unknown files in a PID directory, closed fds;
 * a path through a file is ENOTDIR. Our own thread is reachable under
 * task/ and directly by its TID.
 */
#include "contract.h"

static const char *const missing[] = {
	"/proc/no_such_entry", "/proc/0", "/proc/007", "/proc/01", "/proc/12abc", "/proc/+1",
	"/proc/-1", "/proc/1.0", "/proc/99999999", "/proc/self/no_such_entry",
	"/proc/self/fd/999", "/proc/self/fdinfo/999", "/proc/self/task/0",
	"/proc/sys/kernel/no_such_entry",
};

int main(void)
{
	char name[128], path[64];
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
		snprintf(name, sizeof(name), "open %s enoent", missing[i]);
		CHECK_ERRNO(name, open(missing[i], O_RDONLY), ENOENT);
		snprintf(name, sizeof(name), "lstat %s enoent", missing[i]);
		CHECK_ERRNO(name, lstat(missing[i], &st), ENOENT);
	}
	CHECK_ERRNO("path_through_file_enotdir", open("/proc/self/stat/x", O_RDONLY), ENOTDIR);
	CHECK_ERRNO("trailing_slash_on_file_enotdir", open("/proc/self/stat/", O_RDONLY), ENOTDIR);
	CHECK_ERRNO("path_through_system_file_enotdir", stat("/proc/version/x", &st), ENOTDIR);

	snprintf(path, sizeof(path), "/proc/self/task/%ld", (long)syscall(SYS_gettid));
	CHECK("own_task_dir", stat(path, &st) == 0 && S_ISDIR(st.st_mode));
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)syscall(SYS_gettid));
	CHECK("own_tid_dir", access(path, R_OK) == 0);
	contract_pass();
}
