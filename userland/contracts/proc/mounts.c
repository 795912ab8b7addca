/*
 * proc/mounts: /proc/mounts is a symlink to self/mounts; every line has
 * six fields "source target type options 0 0"; / and /proc (type proc) are
 * there; /proc/self/mountinfo lists the same mounts with " - " before the
 * type.
 */
#include "contract.h"

static int count_lines(const char *text)
{
	int n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

int main(void)
{
	static char mounts[65536], self_mounts[65536], info[65536];
	char source[256], target[512], type[64], options[512], link[64], *line, *next;
	int freq, pass, formed = 1, has_root = 0, has_proc = 0, proc_rw = 0, info_proc = 0;
	ssize_t len;

	len = readlink("/proc/mounts", link, sizeof(link) - 1);
	CHECK("mounts_is_link", len > 0);
	link[len] = '\0';
	CHECK_STR("mounts_link_target", link, "self/mounts");
	CHECK("read_mounts", contract_read_file("/proc/mounts", mounts, sizeof(mounts)) > 0);
	CHECK("read_self_mounts",
	      contract_read_file("/proc/self/mounts", self_mounts, sizeof(self_mounts)) > 0);
	CHECK("self_mounts_same_text", strcmp(mounts, self_mounts) == 0);

	for (line = self_mounts; *line; line = next) {
		next = strchr(line, '\n');
		if (!next) {
			formed = 0;
			break;
		}
		*next++ = '\0';
		if (sscanf(line, "%255s %511s %63s %511s %d %d", source, target, type, options, &freq,
			   &pass) != 6 || freq != 0 || pass != 0) {
			formed = 0;
			continue;
		}
		if (strcmp(target, "/") == 0)
			has_root = 1;
		if (strcmp(target, "/proc") == 0 && strcmp(type, "proc") == 0) {
			has_proc = 1;
			proc_rw = strncmp(options, "rw", 2) == 0;
		}
	}
	CHECK("lines_have_six_fields", formed);
	CHECK("root_mounted", has_root);
	CHECK("proc_mounted_at_proc", has_proc);
	CHECK("proc_options_start_rw", proc_rw);

	CHECK("read_mountinfo", contract_read_file("/proc/self/mountinfo", info, sizeof(info)) > 0);
	CHECK_EQ("mountinfo_same_count", count_lines(info), count_lines(mounts));
	for (line = info; *line; line = next) {
		next = strchr(line, '\n');
		if (!next)
			break;
		*next++ = '\0';
		if (strstr(line, " /proc ") && strstr(line, " - proc "))
			info_proc = 1;
	}
	CHECK("mountinfo_has_proc", info_proc);
	contract_pass();
}
