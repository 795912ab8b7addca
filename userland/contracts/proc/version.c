/*
 * proc/version: /proc/version is one line "Linux version <release> ..."
 * with the release uname(2) reports; /proc/sys/kernel/ostype, osrelease
 * and hostname match uname; pid_max is a number above our PID.
 */
#include "contract.h"

#include <sys/utsname.h>

int main(void)
{
	char text[1024], want[512];
	struct utsname u;
	long pid_max;

	CHECK("uname", uname(&u) == 0);
	CHECK("read_version", contract_read_file("/proc/version", text, sizeof(text)) > 0);
	snprintf(want, sizeof(want), "%s version %s ", u.sysname, u.release);
	CHECK("version_names_release", strncmp(text, want, strlen(want)) == 0);
	CHECK("sysname_linux", strcmp(u.sysname, "Linux") == 0);
	CHECK("version_one_line", strchr(text, '\n') == text + strlen(text) - 1);

	CHECK("read_ostype", contract_read_file("/proc/sys/kernel/ostype", text, sizeof(text)) > 0);
	snprintf(want, sizeof(want), "%s\n", u.sysname);
	CHECK_STR("ostype_matches", text, want);
	CHECK("read_osrelease",
	      contract_read_file("/proc/sys/kernel/osrelease", text, sizeof(text)) > 0);
	snprintf(want, sizeof(want), "%s\n", u.release);
	CHECK_STR("osrelease_matches", text, want);
	CHECK("read_hostname",
	      contract_read_file("/proc/sys/kernel/hostname", text, sizeof(text)) > 0);
	snprintf(want, sizeof(want), "%s\n", u.nodename);
	CHECK_STR("hostname_matches", text, want);
	CHECK("read_pid_max", contract_read_file("/proc/sys/kernel/pid_max", text, sizeof(text)) > 0);
	pid_max = strtol(text, NULL, 10);
	CHECK("pid_max_above_our_pid", pid_max > getpid());
	contract_pass();
}
