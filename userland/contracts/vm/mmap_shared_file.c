/*
 * vm/mmap_shared_file: a MAP_SHARED file mapping is the file. Stores through
 * it are seen by read() without msync, write() is seen through it, two
 * mappings of the same file (in one process, after fork, or made separately
 * by another process) see each other's stores, and stores never change the
 * file size. Bytes past the end of the file in the last page read as zero
 * and are not the file's; a page wholly past the end raises SIGBUS
 * (BUS_ADRERR at the address touched), also after ftruncate cut the file
 * under the mapping; a cut inside a page zeroes the rest of it. A read-only open refuses writable shared mappings.
 * msync checks its arguments and the range.
 */
#include "contract.h"

#include <setjmp.h>
#include <sys/mman.h>

#define PAGE_BYTES 4096
#define FILE_BYTES (2 * PAGE_BYTES + 100)
#define MAP_BYTES (4 * PAGE_BYTES)
#define NAME "shared_map.bin"

static sigjmp_buf bus_jump;
static volatile sig_atomic_t bus_code;
static void *volatile bus_addr;

static void on_bus(int sig, siginfo_t *info, void *context)
{
	(void)sig;
	(void)context;
	bus_code = info->si_code;
	bus_addr = info->si_addr;
	siglongjmp(bus_jump, 1);
}

/* Reads one byte at `at`; returns 1 when it raised SIGBUS instead. */
static int touch_faults(volatile unsigned char *at)
{
	bus_code = 0;
	bus_addr = NULL;
	if (sigsetjmp(bus_jump, 1) == 0) {
		(void)*at;
		return 0;
	}
	return 1;
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)((i * 7 + i / 4096) & 0xff);
}

static off_t file_size(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		contract_fail("fstat", errno);
	return st.st_size;
}

static void check_stores_and_writes(int fd, unsigned char *map)
{
	unsigned char buf[8];
	size_t i, bad = 0;

	for (i = FILE_BYTES; i < 3 * PAGE_BYTES; i++)
		bad += map[i] != 0;
	CHECK_EQ("bytes_past_eof_in_last_page_zero", bad, 0);

	memcpy(map + 10, "through", 7);
	memcpy(map + PAGE_BYTES + 5, "second", 6);
	CHECK("pread_sees_store", pread(fd, buf, 7, 10) == 7 && memcmp(buf, "through", 7) == 0);
	CHECK("pread_sees_store_on_second_page",
	      pread(fd, buf, 6, PAGE_BYTES + 5) == 6 && memcmp(buf, "second", 6) == 0);

	CHECK("pwrite", pwrite(fd, "written", 7, 2 * PAGE_BYTES + 3) == 7);
	CHECK("mapping_sees_write", memcmp(map + 2 * PAGE_BYTES + 3, "written", 7) == 0);

	map[FILE_BYTES + 10] = 'x';
	CHECK_EQ("store_past_eof_keeps_size", file_size(fd), FILE_BYTES);
	CHECK_EQ("store_past_eof_not_read", pread(fd, buf, 8, FILE_BYTES), 0);
}

static void check_second_mapping(int fd, unsigned char *map)
{
	unsigned char *other = mmap(NULL, PAGE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
				    PAGE_BYTES);

	CHECK("mmap_second_mapping", other != MAP_FAILED);
	CHECK("second_mapping_sees_first", memcmp(other + 5, "second", 6) == 0);
	memcpy(other + 100, "other", 5);
	CHECK("first_mapping_sees_second", memcmp(map + PAGE_BYTES + 100, "other", 5) == 0);
	CHECK("munmap_second_mapping", munmap(other, PAGE_BYTES) == 0);
}

/* A child stores through the inherited mapping, and another maps the file itself. */
static void check_other_processes(unsigned char *map)
{
	unsigned char buf[5];
	pid_t pid;
	int fd;

	pid = contract_fork();
	if (pid == 0) {
		if (memcmp(map + 10, "through", 7) != 0)
			_exit(2);
		memcpy(map + 200, "child", 5);
		_exit(0);
	}
	CHECK_EXIT("child_sees_parent_stores", contract_wait(pid), 0);
	CHECK("parent_sees_child_store", memcmp(map + 200, "child", 5) == 0);

	pid = contract_fork();
	if (pid == 0) {
		int own = open(NAME, O_RDWR);
		unsigned char *mine;

		if (own < 0)
			_exit(2);
		mine = mmap(NULL, PAGE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, own, 0);
		if (mine == MAP_FAILED)
			_exit(3);
		if (memcmp(mine + 200, "child", 5) != 0)
			_exit(4);
		memcpy(mine + 300, "apart", 5);
		_exit(0);
	}
	CHECK_EXIT("separate_process_maps_file", contract_wait(pid), 0);
	CHECK("parent_sees_separate_store", memcmp(map + 300, "apart", 5) == 0);

	fd = open(NAME, O_RDONLY);
	CHECK("reopen", fd >= 0);
	CHECK("read_by_new_open_sees_store", pread(fd, buf, 5, 300) == 5 &&
					     memcmp(buf, "apart", 5) == 0);
	close(fd);
}

static void check_sigbus(int fd, unsigned char *map)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_bus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	CHECK("sigaction_sigbus", sigaction(SIGBUS, &sa, NULL) == 0);

	CHECK("last_partial_page_readable", !touch_faults(map + 3 * PAGE_BYTES - 1));
	CHECK("page_past_eof_sigbus", touch_faults(map + 3 * PAGE_BYTES + 8));
	CHECK_EQ("sigbus_code_adrerr", bus_code, BUS_ADRERR);
	CHECK("sigbus_addr", bus_addr == map + 3 * PAGE_BYTES + 8);

	/* Cut the file inside a page, then to one page, then grow it back. */
	CHECK("ftruncate_mid_page", ftruncate(fd, PAGE_BYTES + 50) == 0);
	CHECK("cut_tail_reads_zero", map[PAGE_BYTES + 5] == 's' && map[PAGE_BYTES + 100] == 0);
	CHECK("ftruncate_shrink", ftruncate(fd, PAGE_BYTES) == 0);
	CHECK("first_page_still_mapped", !touch_faults(map) && map[10] == 't');
	CHECK("cut_page_sigbus", touch_faults(map + PAGE_BYTES + 5));
	CHECK_EQ("cut_page_sigbus_code", bus_code, BUS_ADRERR);
	CHECK("ftruncate_grow", ftruncate(fd, 2 * PAGE_BYTES) == 0);
	CHECK("regrown_page_reads_zero", !touch_faults(map + PAGE_BYTES + 5) &&
					 map[PAGE_BYTES + 5] == 0);
}

static void check_read_only_open(void)
{
	int fd = open(NAME, O_RDONLY);
	unsigned char *map;

	CHECK("open_read_only", fd >= 0);
	CHECK_ERRNO("writable_shared_on_read_only_fd_eacces",
		    mmap(NULL, PAGE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EACCES);
	map = mmap(NULL, PAGE_BYTES, PROT_READ, MAP_SHARED, fd, 0);
	CHECK("read_only_shared_mapping", map != MAP_FAILED);
	CHECK_ERRNO("mprotect_write_on_read_only_fd_eacces",
		    mprotect(map, PAGE_BYTES, PROT_READ | PROT_WRITE), EACCES);
	CHECK("munmap_read_only_shared_mapping", munmap(map, PAGE_BYTES) == 0);
	close(fd);
}

static void check_read_only_mapping_tracks_writes(int fd)
{
	unsigned char *map = mmap(NULL, PAGE_BYTES, PROT_READ, MAP_SHARED, fd, 0);
	unsigned char buf[8];

	CHECK("mmap_read_only_shared", map != MAP_FAILED);
	CHECK("read_only_mapping_shows_file", map[10] == 't');
	CHECK("pwrite_after_touch", pwrite(fd, "late", 4, 400) == 4);
	CHECK("read_only_mapping_sees_later_write", memcmp(map + 400, "late", 4) == 0);
	CHECK("mprotect_read_write", mprotect(map, PAGE_BYTES, PROT_READ | PROT_WRITE) == 0);
	memcpy(map + 500, "upgraded", 8);
	CHECK("store_after_mprotect_in_file",
	      pread(fd, buf, 8, 500) == 8 && memcmp(buf, "upgraded", 8) == 0);
	CHECK("munmap_read_only_shared", munmap(map, PAGE_BYTES) == 0);
}

static void check_msync(unsigned char *map)
{
	CHECK("msync_sync", msync(map, 2 * PAGE_BYTES, MS_SYNC) == 0);
	CHECK("msync_async", msync(map, PAGE_BYTES, MS_ASYNC) == 0);
	CHECK("msync_invalidate", msync(map, PAGE_BYTES, MS_INVALIDATE) == 0);
	CHECK("msync_zero_length", msync(map, 0, MS_SYNC) == 0);
	CHECK_ERRNO("msync_async_and_sync_einval", msync(map, PAGE_BYTES, MS_ASYNC | MS_SYNC),
		    EINVAL);
	CHECK_ERRNO("msync_unaligned_einval", msync(map + 1, PAGE_BYTES, MS_SYNC), EINVAL);
	CHECK_ERRNO("msync_bad_flag_einval", msync(map, PAGE_BYTES, 8), EINVAL);
	CHECK("munmap_last_page", munmap(map + 3 * PAGE_BYTES, PAGE_BYTES) == 0);
	CHECK_ERRNO("msync_over_hole_enomem", msync(map, MAP_BYTES, MS_SYNC), ENOMEM);
	CHECK_ERRNO("msync_async_over_hole_enomem", msync(map, MAP_BYTES, MS_ASYNC), ENOMEM);
	CHECK_ERRNO("msync_unmapped_enomem", msync(map + 3 * PAGE_BYTES, PAGE_BYTES, MS_SYNC),
		    ENOMEM);
}

int main(void)
{
	static unsigned char data[FILE_BYTES];
	unsigned char *map, buf[7];
	size_t i;
	int fd;

	for (i = 0; i < FILE_BYTES; i++)
		data[i] = pattern(i);
	CHECK("create_file", contract_write_file(NAME, data, FILE_BYTES) == 0);
	fd = open(NAME, O_RDWR);
	CHECK("open_file", fd >= 0);

	map = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK("mmap_shared_writable", map != MAP_FAILED);
	CHECK("mapping_shows_file_bytes", memcmp(map, data, FILE_BYTES) == 0);

	check_stores_and_writes(fd, map);
	check_second_mapping(fd, map);
	check_other_processes(map);
	check_read_only_open();
	check_sigbus(fd, map);
	check_read_only_mapping_tracks_writes(fd);
	check_msync(map);

	CHECK("munmap_mapping", munmap(map, 3 * PAGE_BYTES) == 0);
	CHECK("data_stays_after_munmap", pread(fd, buf, 7, 10) == 7 &&
					 memcmp(buf, "through", 7) == 0);
	CHECK("close_file", close(fd) == 0);
	CHECK("unlink_file", unlink(NAME) == 0);
	contract_pass();
}
