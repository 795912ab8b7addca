/*
 * proc/root_types: the /proc listing has `.` and `..` (DT_DIR), `self` and
 * `thread-self` (DT_LNK), one DT_DIR per PID (ours and 1 among them) and
 * regular files such as meminfo; each listed name can be looked up with
 * the same type and inode number; self and thread-self point at us.
 */
#include "contract.h"
#include "dirlist.h"

static int same_type(const struct dirlist_entry *e, const struct stat *st)
{
	switch (e->type) {
	case DT_DIR: return S_ISDIR(st->st_mode);
	case DT_LNK: return S_ISLNK(st->st_mode);
	case DT_REG: return S_ISREG(st->st_mode);
	default: return 0;
	}
}

int main(void)
{
	struct dirlist list = { 0 };
	const struct dirlist_entry *e;
	char me[32], path[300], target[64], want[64];
	int pids_are_dirs = 1, lookups_agree = 1, pids = 0;
	struct stat st;
	ssize_t len;
	size_t i;

	snprintf(me, sizeof(me), "%d", (int)getpid());
	CHECK("read_proc", dirlist_read_path("/proc", 32768, &list) == 0);

	e = dirlist_find(&list, ".");
	CHECK("dot_is_dir", e && e->type == DT_DIR);
	e = dirlist_find(&list, "..");
	CHECK("dotdot_is_dir", e && e->type == DT_DIR);
	e = dirlist_find(&list, "self");
	CHECK("self_is_link", e && e->type == DT_LNK);
	e = dirlist_find(&list, "thread-self");
	CHECK("thread_self_is_link", e && e->type == DT_LNK);
	e = dirlist_find(&list, me);
	CHECK("own_pid_is_dir", e && e->type == DT_DIR);
	e = dirlist_find(&list, "1");
	CHECK("pid_1_is_dir", e && e->type == DT_DIR);
	e = dirlist_find(&list, "meminfo");
	CHECK("meminfo_is_regular", e && e->type == DT_REG);
	e = dirlist_find(&list, "sys");
	CHECK("sys_is_dir", e && e->type == DT_DIR);

	for (i = 0; i < list.count; i++) {
		e = &list.entries[i];
		if (contract_parse_pid(e->name) > 0) {
			pids++;
			pids_are_dirs = pids_are_dirs && e->type == DT_DIR;
		}
		if (strcmp(e->name, "..") == 0)
			continue; /* the parent lies outside /proc */
		snprintf(path, sizeof(path), "/proc/%s", e->name);
		if (lstat(path, &st) != 0) {
			/* A process may exit between the listing and the lookup. */
			if (errno == ENOENT && contract_parse_pid(e->name) > 0)
				continue;
			lookups_agree = 0;
			continue;
		}
		if (!same_type(e, &st) || st.st_ino != e->ino)
			lookups_agree = 0;
	}
	CHECK("every_pid_is_dir", pids >= 2 && pids_are_dirs);
	CHECK("lookup_matches_type_and_inode", lookups_agree);

	len = readlink("/proc/self", target, sizeof(target) - 1);
	CHECK("readlink_self", len > 0);
	target[len] = '\0';
	CHECK_STR("self_target_is_pid", target, me);
	len = readlink("/proc/thread-self", target, sizeof(target) - 1);
	CHECK("readlink_thread_self", len > 0);
	target[len] = '\0';
	snprintf(want, sizeof(want), "%s/task/%ld", me, (long)syscall(SYS_gettid));
	CHECK_STR("thread_self_target", target, want);
	CHECK("self_resolves_to_dir", stat("/proc/self", &st) == 0 && S_ISDIR(st.st_mode));
	dirlist_free(&list);
	contract_pass();
}
