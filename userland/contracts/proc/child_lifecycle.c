/*
 * proc/child_lifecycle: a child's /proc/<pid> appears in the listing and
 * can be looked up while the child lives, and after it is reaped it is
 * neither listed nor found (ENOENT); through a directory fd opened before
 * it went, a lookup fails with ESRCH.
 */
#include "contract.h"
#include "dirlist.h"

static int listed(const char *name)
{
	struct dirlist list = { 0 };
	const struct dirlist_entry *e;
	int found;

	if (dirlist_read_path("/proc", 65536, &list) != 0)
		contract_fail("read_proc", errno);
	e = dirlist_find(&list, name);
	found = e && e->type == DT_DIR;
	dirlist_free(&list);
	return found;
}

int main(void)
{
	char name[32], path[64], buf[512];
	int go[2], status, dirfd;
	struct stat st;
	pid_t pid;
	char c;

	CHECK("pipe", pipe(go) == 0);
	pid = contract_fork();
	if (pid == 0) {
		close(go[1]);
		while (read(go[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(go[0]);
	snprintf(name, sizeof(name), "%d", (int)pid);

	CHECK("child_listed_while_alive", listed(name));
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	CHECK("child_dir_found", stat(path, &st) == 0 && S_ISDIR(st.st_mode));
	dirfd = open(path, O_RDONLY | O_DIRECTORY);
	CHECK("open_child_dir", dirfd >= 0);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	CHECK("child_stat_readable", contract_read_file(path, buf, sizeof(buf)) > 0);

	write(go[1], "g", 1);
	status = contract_wait(pid);
	CHECK_EXIT("child_exited", status, 0);

	CHECK("child_not_listed_after_reap", !listed(name));
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	CHECK_ERRNO("reaped_dir_enoent", stat(path, &st), ENOENT);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	CHECK_ERRNO("reaped_stat_enoent", open(path, O_RDONLY), ENOENT);
	CHECK_ERRNO("old_dir_fd_lookup_esrch", openat(dirfd, "stat", O_RDONLY), ESRCH);
	CHECK("close_old_dir_fd", close(dirfd) == 0);
	contract_pass();
}
