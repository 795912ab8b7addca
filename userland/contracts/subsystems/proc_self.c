/*
 * subsystems/proc_self: /proc/self/exe names the running program (the same
 * file, by device and inode); /proc/self/stat reads "pid (comm) S ..." with
 * our PID, our program name and a valid state (R, since we are running).
 */
#include "contract.h"

int main(void)
{
	char exe[PATH_MAX], buf[4096];
	struct stat via_link, via_target;
	const char *base, *open_paren, *close_paren;
	ssize_t len;
	int pid;

	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	CHECK("readlink_exe", len > 0);
	exe[len] = '\0';
	CHECK("exe_is_absolute", exe[0] == '/');
	base = strrchr(exe, '/') + 1;
	CHECK_STR("exe_names_program", base, "proc_self");
	CHECK("stat_exe_link", stat("/proc/self/exe", &via_link) == 0);
	CHECK("stat_exe_target", stat(exe, &via_target) == 0);
	CHECK("exe_is_same_file", via_link.st_dev == via_target.st_dev &&
					  via_link.st_ino == via_target.st_ino);

	len = contract_read_file("/proc/self/stat", buf, sizeof(buf));
	CHECK("read_self_stat", len > 0);
	CHECK("stat_pid_is_ours", sscanf(buf, "%d ", &pid) == 1 && pid == getpid());
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	CHECK("stat_has_comm_parens", open_paren && close_paren && close_paren > open_paren);
	CHECK("stat_comm_is_program",
	      close_paren - open_paren - 1 == 9 && strncmp(open_paren + 1, "proc_self", 9) == 0);
	CHECK("stat_space_after_comm", close_paren[1] == ' ' && close_paren[3] == ' ');
	CHECK("stat_state_valid", strchr("RSDZTtXI", close_paren[2]) != NULL);
	CHECK("stat_state_running", close_paren[2] == 'R');
	contract_pass();
}
