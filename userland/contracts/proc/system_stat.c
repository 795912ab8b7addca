/*
 * proc/system_stat: /proc/stat starts with the "cpu" total line (at least
 * four tick counts), has one cpuN line per CPU, and the intr, ctxt, btime,
 * processes, procs_running and procs_blocked lines; btime plus the uptime
 * is about now.
 */
#include "contract.h"

#include <time.h>

/* Value of a "key <number>" line, or -1. */
static long long line_value(const char *text, const char *key)
{
	char pattern[64];
	const char *p;

	snprintf(pattern, sizeof(pattern), "\n%s ", key);
	p = strstr(text, pattern);
	if (!p)
		return -1;
	return strtoll(p + strlen(pattern), NULL, 10);
}

static int count_numbers(const char *p)
{
	int n = 0;
	char *end;

	while (*p == ' ') {
		strtoull(p + 1, &end, 10);
		if (end == p + 1)
			break;
		n++;
		p = end;
	}
	return *p == '\n' ? n : -1;
}

int main(void)
{
	static char text[1 << 16];
	char up_text[128], pattern[32];
	long long btime;
	double uptime;
	int cpus = 0;

	CHECK("read_stat", contract_read_file("/proc/stat", text, sizeof(text)) > 0);
	CHECK("starts_with_cpu_total", strncmp(text, "cpu  ", 5) == 0);
	CHECK("cpu_total_tick_counts", count_numbers(text + 4) >= 4);
	for (;;) {
		snprintf(pattern, sizeof(pattern), "\ncpu%d ", cpus);
		if (!strstr(text, pattern))
			break;
		cpus++;
	}
	CHECK("cpu_lines_from_0", cpus >= 1);
	CHECK("intr_line", line_value(text, "intr") >= 0);
	CHECK("ctxt_line", line_value(text, "ctxt") >= 0);
	btime = line_value(text, "btime");
	CHECK("btime_line", btime > 0);
	CHECK("processes_line", line_value(text, "processes") >= 1);
	CHECK("procs_running_line", line_value(text, "procs_running") >= 1);
	CHECK("procs_blocked_line", line_value(text, "procs_blocked") >= 0);

	CHECK("read_uptime", contract_read_file("/proc/uptime", up_text, sizeof(up_text)) > 0 &&
				     sscanf(up_text, "%lf", &uptime) == 1);
	CHECK("btime_plus_uptime_is_now", llabs(btime + (long long)uptime - (long long)time(NULL)) <= 5);
	contract_pass();
}
