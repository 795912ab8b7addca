/*
 * vm/demand_paging: a large anonymous mapping is usable page by page; the
 * first, middle and last pages read back what was written and pages never
 * written read as zero.
 */
#include "contract.h"

#include <sys/mman.h>

#define PAGE_BYTES 4096UL
#define MAP_BYTES (64UL * 1024 * 1024)
#define PAGES (MAP_BYTES / PAGE_BYTES)
#define STRIDE 61 /* pages between written pages: leaves most pages untouched */

static unsigned long stamp(unsigned long page)
{
	return page * 2654435761UL + 0x5a5a;
}

static int page_is_zero(const unsigned char *p)
{
	unsigned long i;

	for (i = 0; i < PAGE_BYTES; i++) {
		if (p[i])
			return 0;
	}
	return 1;
}

int main(void)
{
	unsigned char *map = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long page, bad = 0;
	unsigned long *last_word;

	CHECK("mmap_64m", map != MAP_FAILED);

	/* Reading first touches a fresh page: it must be zero. */
	CHECK("first_page_zero", page_is_zero(map));
	CHECK("middle_page_zero", page_is_zero(map + (PAGES / 2) * PAGE_BYTES));
	CHECK("last_page_zero", page_is_zero(map + (PAGES - 1) * PAGE_BYTES));

	/* Write the first, middle and last pages and a sparse set in between. */
	for (page = 0; page < PAGES; page += STRIDE)
		*(unsigned long *)(map + page * PAGE_BYTES + (page % 500) * 8) = stamp(page);
	*(unsigned long *)(map + (PAGES / 2) * PAGE_BYTES) = stamp(PAGES / 2);
	last_word = (unsigned long *)(map + MAP_BYTES - sizeof(unsigned long));
	*last_word = stamp(PAGES - 1);
	map[0] = 0x11;

	CHECK_EQ("first_page_reads_back", map[0], 0x11);
	CHECK("middle_page_reads_back",
	      *(unsigned long *)(map + (PAGES / 2) * PAGE_BYTES) == stamp(PAGES / 2));
	CHECK("last_page_reads_back", *last_word == stamp(PAGES - 1));
	for (page = STRIDE; page < PAGES; page += STRIDE) {
		if (*(unsigned long *)(map + page * PAGE_BYTES + (page % 500) * 8) != stamp(page))
			bad++;
	}
	CHECK_EQ("sparse_pages_read_back", bad, 0);

	/* Pages next to written ones were never written: still zero. */
	CHECK("untouched_page_after_first_zero", page_is_zero(map + PAGE_BYTES));
	CHECK("untouched_page_before_last_zero", page_is_zero(map + (PAGES - 2) * PAGE_BYTES));
	CHECK("untouched_page_after_middle_zero",
	      page_is_zero(map + (PAGES / 2 + 1) * PAGE_BYTES));

	CHECK("munmap", munmap(map, MAP_BYTES) == 0);
	contract_pass();
}
