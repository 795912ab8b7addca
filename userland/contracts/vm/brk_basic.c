/*
 * vm/brk_basic: brk grows and shrinks the heap, and a brk that cannot be
 * honoured returns the current break instead of an error code.
 *
 * The raw system call is used: libc wrappers hide what the kernel returns.
 */
#include "contract.h"

#define GROW_BYTES (64 * 1024)
#define PAGE_BYTES 4096

static unsigned long sys_brk(unsigned long addr)
{
	return (unsigned long)syscall(SYS_brk, addr);
}

static int all_zero(const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != 0)
			return 0;
	}
	return 1;
}

int main(void)
{
	unsigned long start = sys_brk(0);
	unsigned long top;
	unsigned char *heap;
	size_t i;

	CHECK("brk_query_nonzero", start != 0 && start != (unsigned long)-1);
	CHECK_EQ("brk_query_stable", sys_brk(0), start);

	/* Grow: the new break is the requested one and the memory is usable. */
	top = start + GROW_BYTES;
	CHECK_EQ("brk_grow_returns_new_break", sys_brk(top), top);
	CHECK_EQ("brk_query_after_grow", sys_brk(0), top);
	heap = (unsigned char *)start;
	CHECK("brk_fresh_memory_zero", all_zero(heap, GROW_BYTES));
	for (i = 0; i < GROW_BYTES; i++)
		heap[i] = (unsigned char)(i * 7 + 1);
	for (i = 0; i < GROW_BYTES; i++) {
		if (heap[i] != (unsigned char)(i * 7 + 1))
			break;
	}
	CHECK_EQ("brk_memory_holds_data", i, GROW_BYTES);

	/* Requests that cannot be honoured leave the break where it was. */
	CHECK_EQ("brk_below_start_returns_old", sys_brk(PAGE_BYTES), top);
	CHECK_EQ("brk_kernel_half_returns_old", sys_brk(0xffff800000000000UL), top);
	CHECK_EQ("brk_unchanged_after_failures", sys_brk(0), top);

	/* Shrink back, then grow again: the pages come back zeroed. */
	CHECK_EQ("brk_shrink_returns_new_break", sys_brk(start), start);
	CHECK_EQ("brk_regrow_returns_new_break", sys_brk(top), top);
	CHECK("brk_regrown_memory_zero", all_zero(heap, GROW_BYTES));
	CHECK_EQ("brk_final_shrink", sys_brk(start), start);

	contract_pass();
}
