/*
 * proc/cpuinfo: one block per CPU, blocks separated by an empty line, the
 * first line "processor\t: 0", processors numbered from 0; every block has
 * the keys tools read, written "key<tabs>: value"; flags list fpu and sse2
 * (always there on x86-64); at least as many blocks as CPUs we may run on.
 */
#include "contract.h"

#include <sched.h>

static const char *const required[] = {
	"processor", "vendor_id", "cpu family", "model", "model name", "stepping",
	"cpu MHz", "flags", "bogomips",
};
#define REQUIRED (sizeof(required) / sizeof(required[0]))

/* Splits "key\t...: value" ; returns 0 when the line has that form. */
static int split(char *line, char **key, char **value)
{
	char *tab = strchr(line, '\t');
	char *colon;

	if (!tab || tab == line)
		return -1;
	colon = tab;
	while (*colon == '\t')
		colon++;
	if (colon[0] != ':' || (colon[1] != ' ' && colon[1] != '\0'))
		return -1;
	*tab = '\0';
	*key = line;
	*value = colon[1] ? colon + 2 : colon + 1;
	return 0;
}

static int has_word(const char *list, const char *word)
{
	size_t len = strlen(word);
	const char *p;

	for (p = list; (p = strstr(p, word)) != NULL; p += len) {
		if ((p == list || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0'))
			return 1;
	}
	return 0;
}

int main(void)
{
	static char text[1 << 17];
	char *line, *next, *key, *value;
	int blocks = 0, in_block = 0, formed = 1, numbered = 1, complete = 1, flags_ok = 1;
	unsigned seen = 0;
	cpu_set_t set;
	size_t i;

	CHECK("read_cpuinfo", contract_read_file("/proc/cpuinfo", text, sizeof(text)) > 0);
	CHECK("first_line_processor_0", strncmp(text, "processor\t: 0\n", 14) == 0);

	for (line = text; *line; line = next) {
		next = strchr(line, '\n');
		if (!next)
			break;
		*next++ = '\0';
		if (*line == '\0') {
			if (in_block)
				complete = complete && seen == (1u << REQUIRED) - 1;
			in_block = 0;
			continue;
		}
		if (!in_block) {
			in_block = 1;
			seen = 0;
			blocks++;
		}
		if (split(line, &key, &value) != 0) {
			/* "power management:" has no tab before its colon on Linux. */
			if (strcmp(line, "power management:") != 0)
				formed = 0;
			continue;
		}
		for (i = 0; i < REQUIRED; i++) {
			if (strcmp(key, required[i]) == 0)
				seen |= 1u << i;
		}
		if (strcmp(key, "processor") == 0 && atoi(value) != blocks - 1)
			numbered = 0;
		if (strcmp(key, "flags") == 0)
			flags_ok = flags_ok && has_word(value, "fpu") && has_word(value, "sse2");
	}
	if (in_block)
		complete = complete && seen == (1u << REQUIRED) - 1;

	CHECK("lines_key_tabs_colon_value", formed);
	CHECK("processors_numbered_from_0", numbered);
	CHECK("every_block_has_required_keys", complete);
	CHECK("flags_have_fpu_and_sse2", flags_ok);
	CHECK("sched_getaffinity", sched_getaffinity(0, sizeof(set), &set) == 0);
	CHECK("a_block_per_usable_cpu", blocks >= 1 && blocks >= CPU_COUNT(&set));
	contract_pass();
}
