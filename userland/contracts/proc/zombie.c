/*
 * proc/zombie: a child that has exited but is not yet reaped is still in
 * /proc with state Z (in stat and status) and an empty cmdline; once
 * reaped its directory is gone (ENOENT), and reading a file opened before
 * the reap fails with ESRCH.
 */
#include "contract.h"
#include "dirlist.h"

int main(void)
{
	char path[64], buf[1024], name[32];
	struct dirlist list = { 0 };
	siginfo_t info;
	char *close_paren;
	int fd, status;
	pid_t pid;

	pid = contract_fork();
	if (pid == 0)
		_exit(3);
	memset(&info, 0, sizeof(info));
	CHECK("waitid_nowait", waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) == 0);
	CHECK("waitid_reports_exit", info.si_pid == pid && info.si_code == CLD_EXITED &&
					     info.si_status == 3);

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	CHECK("read_zombie_stat", contract_read_file(path, buf, sizeof(buf)) > 0);
	close_paren = strrchr(buf, ')');
	CHECK("zombie_stat_state_z", close_paren && close_paren[1] == ' ' && close_paren[2] == 'Z');
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	CHECK("read_zombie_status", contract_read_file(path, buf, sizeof(buf)) > 0);
	CHECK("zombie_status_state_z", strstr(buf, "\nState:\tZ (zombie)\n") != NULL);
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	CHECK_EQ("zombie_cmdline_empty", contract_read_file(path, buf, sizeof(buf)), 0);

	snprintf(name, sizeof(name), "%d", (int)pid);
	CHECK("read_proc", dirlist_read_path("/proc", 65536, &list) == 0);
	CHECK_EQ("zombie_still_listed", dirlist_count(&list, name), 1);
	dirlist_free(&list);

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	CHECK("open_stat_before_reap", fd >= 0);

	status = contract_wait(pid);
	CHECK_EXIT("reap_exit_code", status, 3);
	CHECK_ERRNO("reaped_stat_open_enoent", open(path, O_RDONLY), ENOENT);
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	CHECK_ERRNO("reaped_dir_enoent", access(path, F_OK), ENOENT);
	CHECK_ERRNO("read_after_reap_esrch", read(fd, buf, sizeof(buf)), ESRCH);
	CHECK("close", close(fd) == 0);

	CHECK("read_proc_again", dirlist_read_path("/proc", 65536, &list) == 0);
	CHECK_EQ("reaped_not_listed", dirlist_count(&list, name), 0);
	dirlist_free(&list);
	contract_pass();
}
