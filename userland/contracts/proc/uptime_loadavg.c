/*
 * proc/uptime_loadavg: /proc/uptime is two numbers with two decimals
 * (uptime, idle) and does not go backwards; /proc/loadavg is three load
 * averages with two decimals, "running/total" and the last PID given out,
 * which is at least that of a child just forked.
 */
#include "contract.h"

#include <ctype.h>

/* Checks "<digits>.<2 digits>" at *p and moves past it. */
static int decimal(const char **p)
{
	const char *s = *p;

	if (!isdigit((unsigned char)*s))
		return 0;
	while (isdigit((unsigned char)*s))
		s++;
	if (s[0] != '.' || !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[2]))
		return 0;
	*p = s + 3;
	return 1;
}

static int uptime_formed(const char *text)
{
	const char *p = text;

	return decimal(&p) && *p++ == ' ' && decimal(&p) && strcmp(p, "\n") == 0;
}

int main(void)
{
	char text[256];
	double up1, up2, idle;
	int running, total, last_pid;
	const char *p;
	pid_t pid;

	CHECK("read_uptime", contract_read_file("/proc/uptime", text, sizeof(text)) > 0);
	CHECK("uptime_two_decimals", uptime_formed(text));
	CHECK("uptime_parse", sscanf(text, "%lf %lf", &up1, &idle) == 2);
	CHECK("uptime_positive", up1 > 0 && idle >= 0);
	contract_sleep_ms(30);
	CHECK("reread_uptime", contract_read_file("/proc/uptime", text, sizeof(text)) > 0 &&
				       sscanf(text, "%lf", &up2) == 1);
	CHECK("uptime_not_backwards", up2 >= up1);

	pid = contract_fork();
	if (pid == 0)
		_exit(0);
	CHECK("read_loadavg", contract_read_file("/proc/loadavg", text, sizeof(text)) > 0);
	contract_wait(pid);
	p = text;
	CHECK("loadavg_three_averages", decimal(&p) && *p++ == ' ' && decimal(&p) &&
						*p++ == ' ' && decimal(&p) && *p++ == ' ');
	CHECK("loadavg_tasks_and_last_pid",
	      sscanf(p, "%d/%d %d", &running, &total, &last_pid) == 3 && text[strlen(text) - 1] == '\n');
	CHECK("loadavg_running_at_least_us", running >= 1);
	CHECK("loadavg_total_at_least_running", total >= running);
	CHECK("loadavg_last_pid_at_least_child", last_pid >= pid);
	contract_pass();
}
