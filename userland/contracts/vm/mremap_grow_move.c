/*
 * vm/mremap_grow_move: mremap grows a mapping in place when the pages after
 * it are free, moves it (contents kept, old range unmapped) when they are
 * not and MREMAP_MAYMOVE allows, moves it to a chosen address with
 * MREMAP_FIXED (replacing what was there, growing or shrinking on the way),
 * shrinks in place, leaves the old range mapped and empty with
 * MREMAP_DONTUNMAP, and maps a shared object a second time for an old
 * length of 0. The errors are Linux's: EINVAL for bad flags, alignment,
 * lengths and overlapping FIXED ranges, EFAULT for a range that is not
 * mapped throughout, ENOMEM when growth is blocked or asks for more than
 * memory.
 */
#include "contract.h"

#include <sys/mman.h>

#define P 4096UL

static unsigned char pattern(size_t i)
{
	return (unsigned char)((i * 13 + i / 4096 + 1) & 0xff);
}

static void fill(unsigned char *at, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		at[i] = pattern(i);
}

static int holds_pattern(const unsigned char *at, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (at[i] != pattern(i))
			return 0;
	}
	return 1;
}

static int is_zero(const unsigned char *at, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (at[i] != 0)
			return 0;
	}
	return 1;
}

/* Whether any page of [at, at + len) is unmapped: msync says ENOMEM. */
static int has_hole(void *at, size_t len)
{
	return msync(at, len, 0) == -1 && errno == ENOMEM;
}

static unsigned char *map_anon(size_t len)
{
	unsigned char *at = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0);

	if (at == MAP_FAILED)
		contract_fail("mmap", errno);
	return at;
}

static long raw_mremap(void *old, size_t old_len, size_t new_len, int flags, void *new_addr)
{
	return syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
}

int main(void)
{
	unsigned char *base, *moved, *blocker, *target, *other, *shared, *twin;

	/* One page with seven free pages after it. */
	base = map_anon(8 * P);
	CHECK("unmap_room", munmap(base + P, 7 * P) == 0);
	fill(base, P);
	CHECK("grow_in_place", mremap(base, P, 3 * P, 0) == base);
	CHECK("grown_keeps_contents", holds_pattern(base, P));
	CHECK("grown_pages_zero", is_zero(base + P, 2 * P));
	base[3 * P - 1] = 1;
	CHECK("grow_in_place_with_maymove", mremap(base, 3 * P, 4 * P, MREMAP_MAYMOVE) == base);

	/* Something in the way: growth fails, or moves. */
	blocker = mmap(base + 4 * P, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		       -1, 0);
	CHECK("map_blocker", blocker == base + 4 * P);
	blocker[0] = 0x5a;
	CHECK_ERRNO("blocked_growth_enomem", mremap(base, 4 * P, 6 * P, 0), ENOMEM);
	CHECK("blocked_growth_changes_nothing", !has_hole(base, 4 * P) && holds_pattern(base, P));
	moved = mremap(base, 4 * P, 6 * P, MREMAP_MAYMOVE);
	CHECK("maymove_moves", moved != MAP_FAILED && moved != base);
	CHECK("moved_keeps_contents", holds_pattern(moved, P) && moved[3 * P - 1] == 1);
	CHECK("moved_new_pages_zero", is_zero(moved + 4 * P, 2 * P));
	CHECK("old_range_unmapped", has_hole(base, P) && has_hole(base + 3 * P, P));
	CHECK("blocker_untouched", blocker[0] == 0x5a);

	/* MREMAP_FIXED replaces what is at the target. */
	target = map_anon(6 * P);
	memset(target, 0xee, 6 * P);
	CHECK("fixed_move", mremap(moved, 6 * P, 6 * P, MREMAP_MAYMOVE | MREMAP_FIXED, target) ==
				    target);
	CHECK("fixed_keeps_contents", holds_pattern(target, P) && target[3 * P - 1] == 1 &&
					      is_zero(target + 4 * P, 2 * P));
	CHECK("fixed_old_range_unmapped", has_hole(moved, P));

	other = map_anon(8 * P);
	CHECK("fixed_grow", mremap(target, 6 * P, 8 * P, MREMAP_MAYMOVE | MREMAP_FIXED, other) ==
				    other);
	CHECK("fixed_grow_keeps_contents", holds_pattern(other, P) && is_zero(other + 6 * P, 2 * P));
	target = map_anon(2 * P);
	CHECK("fixed_shrink", mremap(other, 8 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, target) ==
				      target);
	CHECK("fixed_shrink_keeps_contents", holds_pattern(target, P));
	CHECK("fixed_shrink_old_range_unmapped", has_hole(other, P) && has_hole(other + 7 * P, P));

	/* Shrinking in place unmaps the tail. */
	CHECK("shrink_in_place", mremap(target, 2 * P, P, 0) == target);
	CHECK("shrunk_keeps_contents", holds_pattern(target, P));
	CHECK("shrunk_tail_unmapped", has_hole(target + P, P));

	/* MREMAP_DONTUNMAP: the pages move, the old range stays mapped and empty. */
	moved = mremap(target, P, P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
	CHECK("dontunmap_moves", moved != MAP_FAILED && moved != target);
	CHECK("dontunmap_keeps_contents", holds_pattern(moved, P));
	CHECK("dontunmap_old_range_empty", !has_hole(target, P) && is_zero(target, P));

	/* An old length of 0 maps a shared object again. */
	shared = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK("map_shared", shared != MAP_FAILED);
	twin = mremap(shared, 0, P, MREMAP_MAYMOVE);
	CHECK("duplicate_shared", twin != MAP_FAILED && twin != shared);
	shared[7] = 0x77;
	CHECK("duplicate_sees_stores", twin[7] == 0x77);
	CHECK_ERRNO("duplicate_private_einval", mremap(moved, 0, P, MREMAP_MAYMOVE), EINVAL);
	CHECK_ERRNO("duplicate_without_maymove_enomem", mremap(shared, 0, P, 0), ENOMEM);

	/* Errors. */
	CHECK_ERRNO("fixed_without_maymove_einval",
		    raw_mremap(moved, P, P, MREMAP_FIXED, other), EINVAL);
	CHECK_ERRNO("fixed_overlap_einval",
		    raw_mremap(moved, P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, moved - P), EINVAL);
	CHECK_ERRNO("fixed_same_place_einval",
		    raw_mremap(moved, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, moved), EINVAL);
	CHECK_ERRNO("fixed_unaligned_target_einval",
		    raw_mremap(moved, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, other + 1), EINVAL);
	CHECK_ERRNO("fixed_target_past_top_einval",
		    raw_mremap(moved, P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)-P), EINVAL);
	CHECK_ERRNO("dontunmap_resize_einval",
		    raw_mremap(moved, P, 2 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL), EINVAL);
	CHECK_ERRNO("unaligned_old_einval", raw_mremap(moved + 1, P, 2 * P, MREMAP_MAYMOVE, NULL),
		    EINVAL);
	CHECK_ERRNO("zero_new_len_einval", raw_mremap(moved, P, 0, MREMAP_MAYMOVE, NULL), EINVAL);
	CHECK_ERRNO("unknown_flag_einval", raw_mremap(moved, P, 2 * P, 0x100, NULL), EINVAL);
	/*
	 * Recent Linux checks the length first (EINVAL); older kernels fail
	 * the search for room (ENOMEM).
	 */
	CHECK("huge_new_len_fails", raw_mremap(moved, P, 1UL << 48, MREMAP_MAYMOVE, NULL) == -1 &&
					    (errno == EINVAL || errno == ENOMEM));
	CHECK_ERRNO("unmapped_old_efault", raw_mremap(other, P, 2 * P, MREMAP_MAYMOVE, NULL),
		    EFAULT);
	CHECK_ERRNO("unmapped_shrink_efault", raw_mremap(other, 2 * P, P, 0, NULL), EFAULT);
	CHECK_ERRNO("grow_across_mapping_end_efault",
		    raw_mremap(moved, 2 * P, 3 * P, MREMAP_MAYMOVE, NULL), EFAULT);
	CHECK_ERRNO("grow_beyond_memory_enomem",
		    raw_mremap(moved, P, 1UL << 46, MREMAP_MAYMOVE, NULL), ENOMEM);
	CHECK("failed_calls_keep_mapping", holds_pattern(moved, P));
	contract_pass();
}
