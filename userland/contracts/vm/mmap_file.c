/*
 * vm/mmap_file: a file mapped with mmap shows the file's bytes, at offset 0
 * and at a page offset; the rest of the last page past end of file reads as
 * zero; writing a private mapping does not change the file.
 */
#include "contract.h"

#include <sys/mman.h>

#define PAGE_BYTES 4096
#define FILE_BYTES (2 * PAGE_BYTES + 1000)

static unsigned char pattern(size_t i)
{
	return (unsigned char)((i * 31 + i / 251) & 0xff);
}

int main(void)
{
	static unsigned char data[FILE_BYTES];
	unsigned char *map, *tail, byte;
	size_t i, bad = 0;
	int fd;

	for (i = 0; i < FILE_BYTES; i++)
		data[i] = pattern(i);
	CHECK("create_file", contract_write_file("mapped.bin", data, FILE_BYTES) == 0);
	fd = open("mapped.bin", O_RDONLY);
	CHECK("open_file", fd >= 0);

	map = mmap(NULL, FILE_BYTES, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK("mmap_whole_file", map != MAP_FAILED);
	CHECK("mapping_shows_file_bytes", memcmp(map, data, FILE_BYTES) == 0);
	for (i = FILE_BYTES; i < 3 * PAGE_BYTES; i++) {
		if (map[i] != 0)
			bad++;
	}
	CHECK_EQ("bytes_past_eof_in_last_page_zero", bad, 0);
	CHECK("munmap_whole", munmap(map, FILE_BYTES) == 0);

	tail = mmap(NULL, PAGE_BYTES, PROT_READ, MAP_PRIVATE, fd, PAGE_BYTES);
	CHECK("mmap_at_page_offset", tail != MAP_FAILED);
	CHECK("offset_mapping_shows_file_bytes", memcmp(tail, data + PAGE_BYTES, PAGE_BYTES) == 0);
	CHECK("munmap_offset", munmap(tail, PAGE_BYTES) == 0);

	CHECK_ERRNO("mmap_unaligned_offset_einval",
		    mmap(NULL, PAGE_BYTES, PROT_READ, MAP_PRIVATE, fd, 100), EINVAL);

	/* A private writable mapping of a read-only fd: writes stay private. */
	map = mmap(NULL, FILE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK("mmap_private_writable", map != MAP_FAILED);
	map[10] = (unsigned char)~data[10];
	CHECK("private_write_visible_in_mapping", map[10] == (unsigned char)~data[10]);
	CHECK("pread_byte", pread(fd, &byte, 1, 10) == 1);
	CHECK("private_write_not_in_file", byte == data[10]);
	CHECK("munmap_private", munmap(map, FILE_BYTES) == 0);

	/* The mapping survives close of the fd. */
	map = mmap(NULL, FILE_BYTES, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK("mmap_again", map != MAP_FAILED);
	CHECK("close_fd", close(fd) == 0);
	CHECK("mapping_valid_after_close", memcmp(map, data, FILE_BYTES) == 0);
	contract_pass();
}
