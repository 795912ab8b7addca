/*
 * vm/fork_cow: after fork, parent and child write the same pages (a global,
 * a private anonymous mapping, a stack buffer) and each sees only its own
 * data.
 */
#include "contract.h"

#include <sys/mman.h>

#define PAGE_BYTES 4096

static char global_page[PAGE_BYTES];

struct areas {
	char *global;
	char *mapped;
	char *stack;
};

static void fill(struct areas *a, char c)
{
	memset(a->global, c, PAGE_BYTES);
	memset(a->mapped, c, PAGE_BYTES);
	memset(a->stack, c, PAGE_BYTES);
}

static int holds(const struct areas *a, char c)
{
	int i;

	for (i = 0; i < PAGE_BYTES; i++) {
		if (a->global[i] != c || a->mapped[i] != c || a->stack[i] != c)
			return 0;
	}
	return 1;
}

static void read_byte(int fd)
{
	char c;

	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
}

int main(void)
{
	char stack_page[PAGE_BYTES];
	struct areas a = { global_page, NULL, stack_page };
	int to_parent[2], to_child[2];
	pid_t pid;

	a.mapped = mmap(NULL, PAGE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	CHECK("mmap_private", a.mapped != MAP_FAILED);
	fill(&a, 'I');
	CHECK("pipes", pipe(to_parent) == 0 && pipe(to_child) == 0);

	pid = contract_fork();
	if (pid == 0) {
		/* Child: check the inherited data, overwrite it, let the parent look. */
		int ok = holds(&a, 'I');

		fill(&a, 'C');
		ok = ok && holds(&a, 'C');
		write(to_parent[1], "c", 1);
		read_byte(to_child[0]);
		/* The parent has written its own data meanwhile. */
		_exit(ok && holds(&a, 'C') ? 0 : 1);
	}

	read_byte(to_parent[0]);
	CHECK("parent_keeps_data_after_child_write", holds(&a, 'I'));
	fill(&a, 'P');
	CHECK("parent_sees_own_write", holds(&a, 'P'));
	write(to_child[1], "p", 1);
	CHECK_EXIT("child_sees_only_its_data", contract_wait(pid), 0);
	CHECK("parent_data_intact_after_child_exit", holds(&a, 'P'));
	contract_pass();
}
