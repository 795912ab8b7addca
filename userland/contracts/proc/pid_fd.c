/*
 * proc/pid_fd: /proc/self/fd lists exactly the open descriptors as
 * symlinks; their targets are the file's path, "pipe:[<inode>]" for a
 * pipe, the device path for /dev/null; stat through them reaches the open
 * file and open() reopens it; a closed fd disappears; fdinfo shows the
 * offset.
 */
#include "contract.h"
#include "dirlist.h"

#define FD_FILE 100
#define FD_PIPE_READ 101
#define FD_PIPE_WRITE 102
#define FD_NULL 103
#define MAX_PROBE 1024

static void move_fd(int from, int to)
{
	if (dup2(from, to) != to)
		contract_fail("dup2", errno);
	close(from);
}

static void link_of(int fd, char *out, size_t size)
{
	char path[64];
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	len = readlink(path, out, size - 1);
	out[len < 0 ? 0 : len] = '\0';
}

int main(void)
{
	char cwd[PATH_MAX], text[PATH_MAX + 32], want[PATH_MAX + 32], buf[256];
	struct dirlist list = { 0 };
	const struct dirlist_entry *e;
	struct stat st, via;
	int p[2], dirfd, fd, all_listed = 1, all_open = 1;
	size_t i;

	CHECK("getcwd", getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK("create_file", contract_write_file("afile", "0123456789", 10) == 0);
	move_fd(open("afile", O_RDWR), FD_FILE);
	CHECK("pipe", pipe(p) == 0);
	move_fd(p[0], FD_PIPE_READ);
	move_fd(p[1], FD_PIPE_WRITE);
	move_fd(open("/dev/null", O_WRONLY), FD_NULL);

	/* The listing names exactly the open descriptors, as symlinks. */
	dirfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
	CHECK("open_fd_dir", dirfd >= 0);
	CHECK("read_fd_dir", dirlist_read(dirfd, 4096, &list) == 0);
	for (i = 0; i < list.count; i++) {
		e = &list.entries[i];
		if (strcmp(e->name, ".") == 0 || strcmp(e->name, "..") == 0)
			continue;
		fd = (int)contract_parse_pid(e->name);
		if (strcmp(e->name, "0") == 0)
			fd = 0;
		if (fd < 0 || e->type != DT_LNK || fcntl(fd, F_GETFD) < 0)
			all_open = 0;
	}
	for (fd = 0; fd < MAX_PROBE; fd++) {
		snprintf(buf, sizeof(buf), "%d", fd);
		if (fcntl(fd, F_GETFD) >= 0 && dirlist_count(&list, buf) != 1)
			all_listed = 0;
	}
	CHECK("listed_fds_are_open_links", all_open);
	CHECK("open_fds_are_listed", all_listed);
	CHECK("dot_entries", dirlist_count(&list, ".") == 1 && dirlist_count(&list, "..") == 1);
	dirlist_free(&list);
	close(dirfd);

	/* Targets. */
	link_of(FD_FILE, text, sizeof(text));
	snprintf(want, sizeof(want), "%s/afile", cwd);
	CHECK_STR("file_target_is_path", text, want);
	CHECK("fstat_pipe", fstat(FD_PIPE_READ, &st) == 0);
	snprintf(want, sizeof(want), "pipe:[%lu]", (unsigned long)st.st_ino);
	link_of(FD_PIPE_READ, text, sizeof(text));
	CHECK("pipe_read_target", strcmp(text, want) == 0);
	link_of(FD_PIPE_WRITE, text, sizeof(text));
	CHECK("pipe_write_target_same_pipe", strcmp(text, want) == 0);
	link_of(FD_NULL, text, sizeof(text));
	CHECK_STR("dev_null_target", text, "/dev/null");

	/* Following the link reaches the open file; open() makes a new one. */
	CHECK("stat_through_link", stat("/proc/self/fd/100", &via) == 0 &&
					   fstat(FD_FILE, &st) == 0);
	CHECK("same_file_through_link", via.st_ino == st.st_ino && via.st_dev == st.st_dev);
	CHECK("lstat_is_link", lstat("/proc/self/fd/100", &via) == 0 && S_ISLNK(via.st_mode));
	CHECK_EQ("seek_original", lseek(FD_FILE, 7, SEEK_SET), 7);
	fd = open("/proc/self/fd/100", O_RDONLY);
	CHECK("reopen_through_link", fd >= 0);
	CHECK_EQ("reopened_has_own_offset", read(fd, buf, 3), 3);
	CHECK("reopened_reads_from_start", memcmp(buf, "012", 3) == 0);
	close(fd);

	/* fdinfo. */
	CHECK("read_fdinfo", contract_read_file("/proc/self/fdinfo/100", buf, sizeof(buf)) > 0);
	CHECK("fdinfo_pos_first", strncmp(buf, "pos:\t7\n", 7) == 0);
	CHECK("fdinfo_flags_line", strstr(buf, "\nflags:\t") != NULL);

	/* A closed descriptor disappears. */
	CHECK("close_file_fd", close(FD_FILE) == 0);
	CHECK_ERRNO("closed_fd_link_enoent", readlink("/proc/self/fd/100", text, sizeof(text)),
		    ENOENT);
	CHECK_ERRNO("closed_fd_info_enoent", open("/proc/self/fdinfo/100", O_RDONLY), ENOENT);
	CHECK("read_fd_dir_again", dirlist_read_path("/proc/self/fd", 4096, &list) == 0);
	CHECK("closed_fd_not_listed", dirlist_count(&list, "100") == 0 &&
					      dirlist_count(&list, "101") == 1);
	dirlist_free(&list);
	contract_pass();
}
