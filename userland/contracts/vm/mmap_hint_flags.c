/*
 * vm/mmap_hint_flags: MAP_STACK and MAP_GROWSDOWN are accepted (they may be
 * ignored, never refused) and give usable memory.
 */
#include "contract.h"

#include <sys/mman.h>

#define MAP_BYTES (16 * 4096)

static int usable(unsigned char *p)
{
	p[0] = 1;
	p[MAP_BYTES - 1] = 2;
	return p[0] == 1 && p[MAP_BYTES - 1] == 2;
}

int main(void)
{
	const int rw = PROT_READ | PROT_WRITE;
	const int anon = MAP_PRIVATE | MAP_ANONYMOUS;
	unsigned char *p;

	p = mmap(NULL, MAP_BYTES, rw, anon | MAP_STACK, -1, 0);
	CHECK("map_stack_accepted", p != MAP_FAILED);
	CHECK("map_stack_usable", usable(p));
	CHECK("map_stack_unmap", munmap(p, MAP_BYTES) == 0);

	p = mmap(NULL, MAP_BYTES, rw, anon | MAP_GROWSDOWN, -1, 0);
	CHECK("map_growsdown_accepted", p != MAP_FAILED);
	CHECK("map_growsdown_usable", usable(p));
	CHECK("map_growsdown_unmap", munmap(p, MAP_BYTES) == 0);

	p = mmap(NULL, MAP_BYTES, rw, anon | MAP_STACK | MAP_GROWSDOWN, -1, 0);
	CHECK("map_stack_growsdown_accepted", p != MAP_FAILED);
	CHECK("map_stack_growsdown_usable", usable(p));
	CHECK("map_stack_growsdown_unmap", munmap(p, MAP_BYTES) == 0);

	p = mmap(NULL, MAP_BYTES, rw, anon | MAP_STACK | MAP_NORESERVE, -1, 0);
	CHECK("map_stack_noreserve_accepted", p != MAP_FAILED);
	CHECK("map_stack_noreserve_usable", usable(p));
	CHECK("map_stack_noreserve_unmap", munmap(p, MAP_BYTES) == 0);
	contract_pass();
}
