/*
 * vm/mmap_anon: anonymous private and shared mappings. Private pages are
 * copied on fork; shared pages are seen by both processes.
 */
#include "contract.h"

#include <sys/mman.h>

#define MAP_BYTES (4 * 4096)

static int all_equal(const unsigned char *p, size_t len, unsigned char c)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != c)
			return 0;
	}
	return 1;
}

int main(void)
{
	unsigned char *priv, *shared;
	int status;
	pid_t pid;

	priv = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("mmap_private", priv != MAP_FAILED);
	CHECK("private_starts_zero", all_equal(priv, MAP_BYTES, 0));
	memset(priv, 0xab, MAP_BYTES);
	CHECK("private_reads_back", all_equal(priv, MAP_BYTES, 0xab));

	shared = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK("mmap_shared", shared != MAP_FAILED);
	CHECK("shared_starts_zero", all_equal(shared, MAP_BYTES, 0));
	memset(shared, 0x11, MAP_BYTES);

	pid = contract_fork();
	if (pid == 0) {
		int ok = all_equal(shared, MAP_BYTES, 0x11) && all_equal(priv, MAP_BYTES, 0xab);

		memset(shared, 0x22, MAP_BYTES);
		memset(priv, 0x33, MAP_BYTES);
		_exit(ok ? 0 : 1);
	}
	status = contract_wait(pid);
	CHECK_EXIT("child_inherits_both", status, 0);
	CHECK("shared_write_seen_by_parent", all_equal(shared, MAP_BYTES, 0x22));
	CHECK("private_write_not_seen_by_parent", all_equal(priv, MAP_BYTES, 0xab));

	/* And the other way round: the parent writes, a new child reads. */
	shared[MAP_BYTES - 1] = 0x44;
	pid = contract_fork();
	if (pid == 0)
		_exit(shared[MAP_BYTES - 1] == 0x44 && shared[0] == 0x22 ? 0 : 1);
	CHECK_EXIT("parent_write_seen_by_child", contract_wait(pid), 0);

	CHECK("munmap_private", munmap(priv, MAP_BYTES) == 0);
	CHECK("munmap_shared", munmap(shared, MAP_BYTES) == 0);
	contract_pass();
}
