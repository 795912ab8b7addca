/*
 * proc/filesystems: each line is "nodev\t<name>" or "\t<name>"; proc,
 * tmpfs and devtmpfs are there, marked nodev.
 */
#include "contract.h"

int main(void)
{
	char text[8192], *line, *next;
	int formed = 1, lines = 0;

	CHECK("read_filesystems", contract_read_file("/proc/filesystems", text, sizeof(text)) > 0);
	CHECK("has_nodev_proc", strstr(text, "nodev\tproc\n") != NULL);
	CHECK("has_nodev_tmpfs", strstr(text, "nodev\ttmpfs\n") != NULL);
	CHECK("has_nodev_devtmpfs", strstr(text, "nodev\tdevtmpfs\n") != NULL);
	for (line = text; *line; line = next) {
		next = strchr(line, '\n');
		if (!next) {
			formed = 0;
			break;
		}
		*next++ = '\0';
		lines++;
		if (strncmp(line, "nodev\t", 6) == 0)
			line += 6;
		else if (line[0] == '\t')
			line += 1;
		else
			formed = 0;
		if (*line == '\0' || strchr(line, '\t') || strchr(line, ' '))
			formed = 0;
	}
	CHECK("lines_nodev_tab_name", formed && lines >= 3);
	contract_pass();
}
