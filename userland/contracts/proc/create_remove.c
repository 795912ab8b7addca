/*
 * proc/create_remove: nothing can be created, removed or renamed in /proc.
 * A new name is not found (ENOENT) whatever the call - open with O_CREAT,
 * mkdir, symlink, link, mknod, rename; O_CREAT|O_EXCL on an existing file
 * is EEXIST; unlink of a file and rmdir of a PID directory are EPERM;
 * rmdir of the self link is ENOTDIR.
 */
#include "contract.h"

int main(void)
{
	char path[64];

	CHECK_ERRNO("creat_in_root_enoent", open("/proc/new_file", O_CREAT | O_WRONLY, 0644),
		    ENOENT);
	CHECK_ERRNO("creat_in_pid_dir_enoent",
		    open("/proc/self/new_file", O_CREAT | O_WRONLY, 0644), ENOENT);
	CHECK_ERRNO("creat_excl_existing_eexist",
		    open("/proc/version", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
	CHECK_ERRNO("mkdir_in_root_enoent", mkdir("/proc/new_dir", 0755), ENOENT);
	CHECK_ERRNO("mkdir_in_pid_dir_enoent", mkdir("/proc/self/new_dir", 0755), ENOENT);
	CHECK_ERRNO("symlink_in_root_enoent", symlink("version", "/proc/new_link"), ENOENT);
	CHECK_ERRNO("link_in_root_enoent", link("/proc/version", "/proc/new_hard_link"), ENOENT);
	CHECK_ERRNO("mknod_in_root_enoent", mknod("/proc/new_node", S_IFREG | 0644, 0), ENOENT);
	CHECK_ERRNO("rename_in_root_enoent", rename("/proc/version", "/proc/new_name"), ENOENT);
	CHECK_ERRNO("rename_in_pid_dir_enoent", rename("/proc/self/stat", "/proc/self/new_name"),
		    ENOENT);

	CHECK_ERRNO("unlink_system_file_eperm", unlink("/proc/version"), EPERM);
	CHECK_ERRNO("unlink_pid_file_eperm", unlink("/proc/self/stat"), EPERM);
	snprintf(path, sizeof(path), "/proc/%d", (int)getpid());
	CHECK_ERRNO("rmdir_pid_dir_eperm", rmdir(path), EPERM);
	CHECK_ERRNO("rmdir_pid_1_eperm", rmdir("/proc/1"), EPERM);
	CHECK_ERRNO("rmdir_self_link_enotdir", rmdir("/proc/self"), ENOTDIR);

	CHECK("version_still_there", access("/proc/version", R_OK) == 0);
	CHECK("stat_still_there", access("/proc/self/stat", R_OK) == 0);
	contract_pass();
}
