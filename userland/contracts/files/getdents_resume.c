/*
 * files/getdents_resume: getdents64 on a directory of the temporary
 * filesystem (a fresh directory under the working directory) returns the
 * same names whether read with one big buffer or many tiny ones;
 * lseek(fd, 0, SEEK_SET) restarts the listing; a buffer too small for one
 * entry is EINVAL; entries removed in the middle of a listing never make it
 * repeat or miss a name that stayed.
 */
#include "contract.h"

#define DIR_NAME "listing"
#define FILES 60
#define BIG_BUFFER 32768
#define TINY_BUFFER 64 /* holds one or two records with our names */

static const char *kept_name_pattern = "f%02d_%.*s";

/* Names of varied length so records of several sizes are produced. */
static void file_name(int i, char *out, size_t size)
{
	snprintf(out, size, kept_name_pattern, i, i % 17, "abcdefghijklmnopqrstuvwxyz");
}

struct listing {
	int seen[FILES];  /* how many times each file name came back */
	int dots, dotdots, subdirs, others;
	int bad_types;
};

static int index_of(const char *name)
{
	char expect[64];
	int i;

	if (name[0] != 'f' || name[1] < '0' || name[1] > '9')
		return -1;
	i = (name[1] - '0') * 10 + (name[2] - '0');
	if (i < 0 || i >= FILES)
		return -1;
	file_name(i, expect, sizeof(expect));
	return strcmp(name, expect) == 0 ? i : -1;
}

static void account(struct listing *l, const struct contract_dirent *d)
{
	int i;

	if (strcmp(d->d_name, ".") == 0) {
		l->dots++;
		l->bad_types += d->d_type != DT_DIR;
	} else if (strcmp(d->d_name, "..") == 0) {
		l->dotdots++;
		l->bad_types += d->d_type != DT_DIR;
	} else if (strcmp(d->d_name, "subdir") == 0) {
		l->subdirs++;
		l->bad_types += d->d_type != DT_DIR;
	} else if ((i = index_of(d->d_name)) >= 0) {
		l->seen[i]++;
		l->bad_types += d->d_type != DT_REG;
	} else {
		l->others++;
	}
}

/* Reads one getdents64 batch into l; returns the byte count or -1. */
static long read_batch(int fd, size_t size, struct listing *l)
{
	static char buf[BIG_BUFFER];
	long got = contract_getdents(fd, buf, size);
	long pos;

	for (pos = 0; pos < got;) {
		struct contract_dirent *d = (struct contract_dirent *)(buf + pos);

		account(l, d);
		pos += d->d_reclen;
	}
	return got;
}

static int read_all(int fd, size_t size, struct listing *l)
{
	long got;

	memset(l, 0, sizeof(*l));
	while ((got = read_batch(fd, size, l)) > 0)
		;
	return got == 0;
}

static int complete(const struct listing *l)
{
	int i;

	for (i = 0; i < FILES; i++) {
		if (l->seen[i] != 1)
			return 0;
	}
	return l->dots == 1 && l->dotdots == 1 && l->subdirs == 1 && l->others == 0 &&
	       l->bad_types == 0;
}

int main(void)
{
	char name[64], path[128], tiny[8];
	struct listing big, small, again;
	int fd, i, ok, batches;

	CHECK("mkdir", mkdir(DIR_NAME, 0755) == 0);
	for (i = 0; i < FILES; i++) {
		file_name(i, name, sizeof(name));
		snprintf(path, sizeof(path), DIR_NAME "/%s", name);
		if (contract_write_file(path, "x", 1) != 0)
			contract_fail("create_files", errno);
	}
	CHECK("mkdir_subdir", mkdir(DIR_NAME "/subdir", 0755) == 0);

	fd = open(DIR_NAME, O_RDONLY | O_DIRECTORY);
	CHECK("open_dir", fd >= 0);
	CHECK("big_buffer_listing", read_all(fd, BIG_BUFFER, &big));
	CHECK("big_buffer_complete", complete(&big));
	CHECK_EQ("end_stays_at_end", contract_getdents(fd, tiny, sizeof(tiny)), 0);

	CHECK("lseek_restart", lseek(fd, 0, SEEK_SET) == 0);
	CHECK("tiny_buffer_listing", read_all(fd, TINY_BUFFER, &small));
	CHECK("tiny_buffer_complete", complete(&small));
	CHECK("same_names_both_sizes", memcmp(big.seen, small.seen, sizeof(big.seen)) == 0);

	CHECK("lseek_restart_again", lseek(fd, 0, SEEK_SET) == 0);
	CHECK_ERRNO("buffer_too_small_einval", contract_getdents(fd, tiny, sizeof(tiny)), EINVAL);
	CHECK("listing_after_einval", read_all(fd, BIG_BUFFER, &again));
	CHECK("listing_after_einval_complete", complete(&again));

	/*
	 * Read a third of the listing, remove every third file (some already
	 * listed, some not), then finish: names that stayed come back exactly
	 * once and nothing repeats.
	 */
	CHECK("lseek_restart_for_removal", lseek(fd, 0, SEEK_SET) == 0);
	memset(&again, 0, sizeof(again));
	for (batches = 0; batches < FILES / 3; batches++) {
		if (read_batch(fd, TINY_BUFFER, &again) <= 0)
			contract_fail_why("partial_listing", "listing ended early");
	}
	for (i = 0; i < FILES; i += 3) {
		file_name(i, name, sizeof(name));
		snprintf(path, sizeof(path), DIR_NAME "/%s", name);
		if (unlink(path) != 0)
			contract_fail("unlink_some", errno);
	}
	while (read_batch(fd, TINY_BUFFER, &again) > 0)
		;
	ok = 1;
	for (i = 0; i < FILES; i++) {
		if (again.seen[i] > 1 || (i % 3 != 0 && again.seen[i] != 1))
			ok = 0;
	}
	CHECK("removal_midway_no_repeat_no_miss", ok && again.dots == 1 && again.dotdots == 1);
	CHECK("close_dir", close(fd) == 0);

	fd = open(DIR_NAME "/f01_a", O_RDONLY);
	CHECK("open_file", fd >= 0);
	CHECK_ERRNO("getdents_on_file_enotdir", contract_getdents(fd, path, sizeof(path)), ENOTDIR);
	CHECK("close_file", close(fd) == 0);
	CHECK_ERRNO("getdents_bad_fd_ebadf", contract_getdents(-1, path, sizeof(path)), EBADF);
	contract_pass();
}
