/*
 * proc/meminfo: every line is "Key:<spaces><number>[ kB]"; MemTotal,
 * MemFree and MemAvailable come first in that order; the keys free, top
 * and ps read are present with sane values; MemTotal is what sysinfo(2)
 * reports.
 */
#include "contract.h"

#include <ctype.h>
#include <sys/sysinfo.h>

static const char *const required[] = {
	"MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached", "SwapCached", "Active",
	"Inactive", "SwapTotal", "SwapFree", "Shmem", "SReclaimable",
};

/* Returns the value of a key, or -1 when missing. */
static long long value_of(const char *text, const char *key)
{
	char pattern[64];
	const char *p;

	snprintf(pattern, sizeof(pattern), "\n%s:", key);
	if (strncmp(text, pattern + 1, strlen(pattern + 1)) == 0)
		p = text + strlen(pattern + 1);
	else if ((p = strstr(text, pattern)) != NULL)
		p += strlen(pattern);
	else
		return -1;
	return strtoll(p, NULL, 10);
}

static int line_well_formed(const char *line, const char *end)
{
	const char *p = line;

	while (p < end && *p != ':' && !isspace((unsigned char)*p))
		p++;
	if (p == line || p >= end || *p != ':')
		return 0;
	p++;
	if (*p != ' ')
		return 0;
	while (p < end && *p == ' ')
		p++;
	if (p == end || !isdigit((unsigned char)*p))
		return 0;
	while (p < end && isdigit((unsigned char)*p))
		p++;
	return p == end || (end - p == 3 && memcmp(p, " kB", 3) == 0);
}

int main(void)
{
	static char text[16384];
	const char *line, *end;
	int lines = 0, all_formed = 1;
	struct sysinfo info;
	long long total;
	size_t i;

	CHECK("read_meminfo", contract_read_file("/proc/meminfo", text, sizeof(text)) > 0);
	for (line = text; *line; line = end + 1) {
		end = strchr(line, '\n');
		if (!end) {
			all_formed = 0;
			break;
		}
		all_formed = all_formed && line_well_formed(line, end);
		lines++;
	}
	CHECK("every_line_key_value", all_formed && lines >= (int)(sizeof(required) /
								   sizeof(required[0])));
	CHECK("memtotal_first", strncmp(text, "MemTotal:", 9) == 0);
	CHECK("memfree_second", strncmp(strchr(text, '\n') + 1, "MemFree:", 8) == 0);
	CHECK("memavailable_third",
	      strncmp(strchr(strchr(text, '\n') + 1, '\n') + 1, "MemAvailable:", 13) == 0);
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (value_of(text, required[i]) < 0)
			contract_fail_why("required_keys_present", required[i]);
	}
	contract_ok("required_keys_present");

	total = value_of(text, "MemTotal");
	CHECK("memtotal_positive", total > 0);
	CHECK("memfree_within_total", value_of(text, "MemFree") <= total);
	CHECK("memavailable_within_total", value_of(text, "MemAvailable") <= total);
	CHECK("swapfree_within_swaptotal", value_of(text, "SwapFree") <= value_of(text, "SwapTotal"));
	CHECK("sysinfo", sysinfo(&info) == 0);
	CHECK_EQ("memtotal_matches_sysinfo", (long long)info.totalram * info.mem_unit / 1024, total);
	contract_pass();
}
