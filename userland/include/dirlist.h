/*
 * dirlist.h - collect the entries of a directory through raw getdents64,
 * with a chosen buffer size, for the tests that look at how a listing is
 * produced (/proc and tmpfs directories). Include after contract.h.
 */
#ifndef KESTREL_DIRLIST_H
#define KESTREL_DIRLIST_H

#include "contract.h"

#define DIRLIST_NAME_MAX 256

struct dirlist_entry {
	char name[DIRLIST_NAME_MAX];
	unsigned char type;
	uint64_t ino;
};

struct dirlist {
	struct dirlist_entry *entries;
	size_t count, capacity;
};

static inline void dirlist_free(struct dirlist *list)
{
	free(list->entries);
	memset(list, 0, sizeof(*list));
}

static inline void dirlist_add(struct dirlist *list, const struct contract_dirent *d)
{
	struct dirlist_entry *e;

	if (list->count == list->capacity) {
		size_t capacity = list->capacity ? list->capacity * 2 : 64;
		void *bigger = realloc(list->entries, capacity * sizeof(*list->entries));

		if (!bigger)
			contract_fail("dirlist_realloc", errno);
		list->entries = bigger;
		list->capacity = capacity;
	}
	e = &list->entries[list->count++];
	snprintf(e->name, sizeof(e->name), "%s", d->d_name);
	e->type = d->d_type;
	e->ino = d->d_ino;
}

/*
 * Does one getdents64 call with a buffer of `size` bytes and appends what
 * it returns. Returns the byte count (0 at the end) or -1 with errno set.
 */
static inline long dirlist_step(int fd, size_t size, struct dirlist *list)
{
	char *buf = malloc(size);
	long got, pos;

	if (!buf)
		contract_fail("dirlist_malloc", errno);
	got = contract_getdents(fd, buf, size);
	for (pos = 0; got > 0 && pos < got;) {
		const struct contract_dirent *d = (const struct contract_dirent *)(buf + pos);

		dirlist_add(list, d);
		pos += d->d_reclen;
	}
	if (got < 0) {
		int err = errno;

		free(buf);
		errno = err;
		return -1;
	}
	free(buf);
	return got;
}

/* Reads from the current position to the end; returns 0, or -1 with errno. */
static inline int dirlist_read(int fd, size_t size, struct dirlist *list)
{
	long got;

	while ((got = dirlist_step(fd, size, list)) > 0)
		;
	return got < 0 ? -1 : 0;
}

/* Opens path and reads all of it with one buffer size; returns 0 or -1. */
static inline int dirlist_read_path(const char *path, size_t size, struct dirlist *list)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -1;
	ret = dirlist_read(fd, size, list);
	close(fd);
	return ret;
}

/* How many entries carry this name. */
static inline size_t dirlist_count(const struct dirlist *list, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < list->count; i++)
		n += strcmp(list->entries[i].name, name) == 0;
	return n;
}

/* The first entry with this name, or NULL. */
static inline const struct dirlist_entry *dirlist_find(const struct dirlist *list,
						       const char *name)
{
	size_t i;

	for (i = 0; i < list->count; i++) {
		if (strcmp(list->entries[i].name, name) == 0)
			return &list->entries[i];
	}
	return NULL;
}

/* True when no name appears twice. */
static inline int dirlist_unique(const struct dirlist *list)
{
	size_t i, j;

	for (i = 0; i < list->count; i++) {
		for (j = i + 1; j < list->count; j++) {
			if (strcmp(list->entries[i].name, list->entries[j].name) == 0)
				return 0;
		}
	}
	return 1;
}

#endif /* KESTREL_DIRLIST_H */
