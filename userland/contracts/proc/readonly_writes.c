/*
 * proc/readonly_writes: files of /proc that cannot be written refuse the
 * write with the errno Linux gives - EIO for the system files, EINVAL for
 * per-process files - and their text is unchanged; sysctl files that are
 * read-only cannot even be opened for writing (EACCES).
 *
 * The contracts run as root, who may open these files for writing.
 */
#include "contract.h"

static const char *const system_files[] = {
	"/proc/meminfo", "/proc/version", "/proc/uptime", "/proc/loadavg", "/proc/cpuinfo",
	"/proc/stat", "/proc/filesystems", "/proc/cmdline",
};
static const char *const process_files[] = {
	"/proc/self/stat", "/proc/self/status", "/proc/self/cmdline", "/proc/self/maps",
	"/proc/self/statm", "/proc/self/mounts", "/proc/self/environ",
};

static void check_write_fails(const char *path, int expected)
{
	char name[128];
	int fd = open(path, O_WRONLY);

	snprintf(name, sizeof(name), "open_for_write %s", path);
	if (fd < 0)
		contract_fail(name, errno);
	contract_ok(name);
	snprintf(name, sizeof(name), "write_refused %s", path);
	CHECK_ERRNO(name, write(fd, "0\n", 2), expected);
	close(fd);
}

int main(void)
{
	static char before[8192], after[8192];
	size_t i;

	CHECK("read_version", contract_read_file("/proc/version", before, sizeof(before)) > 0);
	for (i = 0; i < sizeof(system_files) / sizeof(system_files[0]); i++)
		check_write_fails(system_files[i], EIO);
	for (i = 0; i < sizeof(process_files) / sizeof(process_files[0]); i++)
		check_write_fails(process_files[i], EINVAL);
	CHECK("reread_version", contract_read_file("/proc/version", after, sizeof(after)) > 0);
	CHECK("version_unchanged", strcmp(before, after) == 0);

	CHECK_ERRNO("osrelease_write_open_eacces", open("/proc/sys/kernel/osrelease", O_WRONLY),
		    EACCES);
	CHECK_ERRNO("ostype_write_open_eacces", open("/proc/sys/kernel/ostype", O_RDWR), EACCES);
	CHECK_ERRNO("open_proc_dir_for_write_eisdir", open("/proc", O_WRONLY), EISDIR);
	CHECK_ERRNO("open_pid_dir_for_write_eisdir", open("/proc/self", O_RDWR), EISDIR);
	contract_pass();
}
