/*
 * proc/pid_maps: /proc/self/maps lines read "start-end perms offset
 * major:minor inode path", sorted and not overlapping; the executable's
 * code is an r-x mapping named by its path; the stack is named [stack];
 * new mappings show with their permissions, file offset and path, and an
 * unmapped range disappears.
 */
#include "contract.h"

#include <sys/mman.h>

#define PAGE 4096UL
#define MAX_LINES 512

struct map_line {
	unsigned long start, end, offset, inode;
	char perms[5];
	char path[PATH_MAX];
};

static struct map_line lines[MAX_LINES];
static int line_count;

/* Reads and parses /proc/self/maps into lines[]; returns 0 on success. */
static int load_maps(void)
{
	static char text[256 * 1024];
	char *line, *next;
	unsigned major, minor;

	if (contract_read_file("/proc/self/maps", text, sizeof(text)) <= 0)
		return -1;
	line_count = 0;
	for (line = text; *line && line_count < MAX_LINES; line = next) {
		struct map_line *m = &lines[line_count];
		int used = 0;

		next = strchr(line, '\n');
		if (!next)
			return -1;
		*next++ = '\0';
		if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu %n", &m->start, &m->end, m->perms,
			   &m->offset, &major, &minor, &m->inode, &used) < 7 || used == 0)
			return -1;
		snprintf(m->path, sizeof(m->path), "%s", line + used);
		line_count++;
	}
	return 0;
}

static const struct map_line *covering(unsigned long addr)
{
	int i;

	for (i = 0; i < line_count; i++) {
		if (lines[i].start <= addr && addr < lines[i].end)
			return &lines[i];
	}
	return NULL;
}

static int well_formed(void)
{
	int i;

	for (i = 0; i < line_count; i++) {
		const struct map_line *m = &lines[i];

		if (m->start >= m->end || m->start % PAGE || m->end % PAGE)
			return 0;
		if (i > 0 && lines[i - 1].end > m->start)
			return 0;
		if (!strchr("r-", m->perms[0]) || !strchr("w-", m->perms[1]) ||
		    !strchr("x-", m->perms[2]) || !strchr("ps", m->perms[3]))
			return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	char self[PATH_MAX], cwd[PATH_MAX], want[PATH_MAX + 16];
	static char data[3 * PAGE];
	const struct map_line *m;
	unsigned char *anon, *file_map;
	int local = 0, fd;

	(void)argc;
	if (!realpath(argv[0], self))
		contract_fail("realpath_argv0", errno);
	CHECK("getcwd", getcwd(cwd, sizeof(cwd)) != NULL);

	CHECK("parse_maps", load_maps() == 0);
	CHECK("lines_sorted_and_well_formed", well_formed());
	m = covering((unsigned long)main);
	CHECK("main_is_mapped", m != NULL);
	CHECK_STR("code_mapping_names_program", m->path, self);
	CHECK("code_mapping_executable", m->perms[0] == 'r' && m->perms[2] == 'x' &&
						 m->perms[3] == 'p');
	CHECK("code_mapping_has_inode", m->inode != 0);
	m = covering((unsigned long)&local);
	CHECK("stack_is_mapped", m != NULL);
	CHECK_STR("stack_named", m->path, "[stack]");
	CHECK("stack_rw_private", strcmp(m->perms, "rw-p") == 0);

	/* A fresh anonymous read-only mapping, then gone after munmap. */
	anon = mmap(NULL, 3 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("mmap_anon", anon != MAP_FAILED);
	CHECK("parse_maps_after_mmap", load_maps() == 0);
	m = covering((unsigned long)anon);
	CHECK("anon_mapping_listed", m && m->end >= (unsigned long)anon + 3 * PAGE);
	CHECK_STR("anon_perms", m->perms, "r--p");
	CHECK("anon_no_inode", m->inode == 0);

	/* A file mapping at a page offset. */
	CHECK("create_file", contract_write_file("mapped", data, sizeof(data)) == 0);
	fd = open("mapped", O_RDONLY);
	CHECK("open_file", fd >= 0);
	file_map = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, PAGE);
	CHECK("mmap_file", file_map != MAP_FAILED);
	close(fd);
	CHECK("munmap_anon", munmap(anon, 3 * PAGE) == 0);
	CHECK("parse_maps_after_munmap", load_maps() == 0);
	CHECK("unmapped_range_gone", covering((unsigned long)anon) == NULL &&
					     covering((unsigned long)anon + 2 * PAGE) == NULL);
	m = covering((unsigned long)file_map);
	CHECK("file_mapping_listed", m != NULL && m->start == (unsigned long)file_map &&
					     m->end == (unsigned long)file_map + PAGE);
	snprintf(want, sizeof(want), "%s/mapped", cwd);
	CHECK_STR("file_mapping_path", m->path, want);
	CHECK_STR("file_mapping_perms", m->perms, "r--s");
	CHECK_EQ("file_mapping_offset", m->offset, PAGE);
	CHECK("file_mapping_has_inode", m->inode != 0);
	CHECK("lines_still_well_formed", well_formed());
	contract_pass();
}
