/*
 * scheduling/nice_values: nice 0 -> 5 -> 10 -> 19 is reported back exactly,
 * values past the ends are clamped to 19 and -20, and nice(3) adds to the
 * current value.
 */
#include "contract.h"

#include <sys/resource.h>

static int current_nice(void)
{
	errno = 0;
	return getpriority(PRIO_PROCESS, 0);
}

static void set_and_check(const char *name, int value)
{
	if (setpriority(PRIO_PROCESS, 0, value) != 0)
		contract_fail(name, errno);
	CHECK_EQ(name, current_nice(), value);
}

int main(void)
{
	set_and_check("nice_0", 0);
	set_and_check("nice_5", 5);
	set_and_check("nice_10", 10);
	set_and_check("nice_19", 19);

	CHECK("setpriority_above_max", setpriority(PRIO_PROCESS, 0, 40) == 0);
	CHECK_EQ("clamped_to_19", current_nice(), 19);

	/* Lowering needs privilege; the contracts run as root. */
	set_and_check("nice_back_to_0", 0);
	set_and_check("nice_minus_5", -5);
	CHECK("setpriority_below_min", setpriority(PRIO_PROCESS, 0, -40) == 0);
	CHECK_EQ("clamped_to_minus_20", current_nice(), -20);

	set_and_check("nice_reset_0", 0);
	CHECK_EQ("nice_call_adds_3", nice(3), 3);
	CHECK_EQ("nice_call_adds_4", nice(4), 7);
	CHECK_EQ("nice_call_reported", current_nice(), 7);
	set_and_check("nice_final_0", 0);
	contract_pass();
}
