/*
 * args.c - the argument pools: edge-case pointers, lengths, fds, flags,
 * paths, and the scratch memory and files they point into.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "worker.h"

#define PAGE 4096UL

/* Addresses no user access may reach. */
static const uint64_t KERNEL_ADDRESSES[] = {
	0xffffffff80000000ULL, /* kernel image */
	0xffffffff80100000ULL,
	0xffffffff80200000ULL,
	0xffffffffff600000ULL, /* where the vsyscall page would be */
	0xffff800000000000ULL, /* start of the higher half / direct map */
	0xffff800000001000ULL,
	0xffff888000000000ULL,
	0xfffffffffffff000ULL,
	0xffffffffffffffffULL,
};

static const uint64_t NON_CANONICAL[] = {
	0x0000800000000000ULL, /* first non-canonical address */
	0x0000800000001000ULL,
	0x7fffffffffffffffULL,
	0x8000000000000000ULL,
	0x1234567812345678ULL,
	0x0000fffffffff000ULL,
};

static const uint64_t TOP_OF_USER[] = {
	0x00007ffffffff000ULL, /* last user page, normally unmapped */
	0x00007fffffffffffULL,
	0x00007ffffffffff8ULL,
	0x00007fffffffeff0ULL,
};

static const uint64_t LENGTHS[] = {
	0, 1, 2, 3, 4, 7, 8, 15, 16, 24, 32, 63, 64, 127, 128, 255, 256, 511, 512, 1023,
	1024, 4095, 4096, 4097, 8191, 8192, 65535, 65536, 65537, 1 << 20, (1ULL << 31) - 1,
	1ULL << 31, 1ULL << 32, (1ULL << 32) + 1, 1ULL << 47, 1ULL << 62, 1ULL << 63,
	(uint64_t)-1, (uint64_t)-2, (uint64_t)-4096, (uint64_t)(int64_t)INT_MIN,
	0x7fffffffffffffffULL,
};

static const uint64_t OFFSETS[] = {
	0, 1, 511, 4095, 4096, 8192, 1ULL << 31, 1ULL << 32, 1ULL << 40, 1ULL << 62,
	0x7fffffffffffffffULL, 0x7ffffffffffff000ULL, (uint64_t)-1, (uint64_t)-4096,
	0x8000000000000000ULL, 0x10000000000ULL - 1,
};

static const uint64_t INTEGERS[] = {
	0, 1, 2, 3, 4, 5, 8, 16, 31, 32, 63, 64, 127, 128, 255, 256, 1024, 4096, 65535,
	0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL, (uint64_t)-1, (uint64_t)-2,
	(uint64_t)(int64_t)INT_MIN, 0x7fffffffffffffffULL, 0x8000000000000000ULL,
};

static const uint64_t MODES[] = {
	0, 0644, 0755, 0777, 07777, 0170000, S_IFREG | 0644, S_IFDIR | 0755, S_IFCHR | 0600,
	S_IFBLK | 0600, S_IFIFO | 0600, S_IFSOCK | 0600, S_IFLNK | 0777, 0xffffffff,
	(uint64_t)-1,
};

static const uint64_t IOCTLS[] = {
	0x5401, 0x5402, 0x5403, 0x5404, 0x5409, 0x540a, 0x540b, 0x540e, 0x540f, 0x5410,
	0x5411, 0x5412, 0x5413, 0x5414, 0x541b, 0x5421, 0x5422, 0x5423, 0x5424, 0x5429,
	0x5451, 0x5450, 0x5452, 0x80045430, 0x40045431, 0x802c542a, 0x402c542b, 0,
	0xffffffff,
};

static const uint64_t FCNTLS[] = {
	F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW, F_SETOWN,
	F_GETOWN, F_SETSIG, F_GETSIG, F_SETOWN_EX, F_GETOWN_EX, F_OFD_GETLK, F_OFD_SETLK,
	F_OFD_SETLKW, F_SETLEASE, F_GETLEASE, F_NOTIFY, F_DUPFD_CLOEXEC, F_SETPIPE_SZ,
	F_GETPIPE_SZ, F_ADD_SEALS, F_GET_SEALS, 1033, 1036, 99, (uint64_t)-1,
};

/* Names a worker may create, change or remove: all in its scratch dir. */
static const char *const SCRATCH_NAMES[] = {
	"f0", "f1", "d0", "d0/f2", "d0/d1", "d0/d1/f3", "l0", "l1", "x", "fifo",
	"d0/../f4", "f0/", "d0/", "f0/x", "d0/d1/../../x", ".", "..", "",
};

/* Mount points and chroot targets: scratch directories only. */
static const char *const MOUNT_NAMES[] = {
	"d0", "d0/d1", "f0", "l0", "x", "nonexistent",
};

/* Symlink targets: nothing that leads out of the scratch dir. */
static const char *const LINK_TARGETS[] = {
	"f0", "d0", "d0/f2", "l1", "nonexistent", "/nonexistent/x", "", "d0/d1",
};

/* Paths that are only read, looked up or opened read-only. */
static const char *const READ_PATHS[] = {
	"/", "/proc", "/proc/self", "/proc/self/maps", "/proc/self/status", "/proc/self/stat",
	"/proc/self/fd", "/proc/self/fd/0", "/proc/self/mem", "/proc/self/cmdline",
	"/proc/self/environ", "/proc/self/exe", "/proc/self/cwd", "/proc/1/stat",
	"/proc/meminfo", "/proc/mounts", "/proc/stat", "/proc/uptime", "/dev", "/dev/null",
	"/dev/zero", "/dev/tty", "/bin/busybox", "/bin", "/fuzz/fuzz", "/init", "/tmp",
	"/nonexistent", "/proc/self/task", "/proc/999999/stat", "/dev/null/x",
	"/proc/self/root/proc/self/root", "//proc///self//maps",
};

static const char *const MOUNT_TYPES[] = {
	"tmpfs", "proc", "devtmpfs", "ramfs", "sysfs", "nofs", "",
};

/* ---- interesting integers -------------------------------------------- */

static uint64_t pick(struct rng *rng, const uint64_t *pool, size_t count)
{
	return pool[rng_below(rng, count)];
}

#define PICK(rng, pool) pick(rng, pool, sizeof(pool) / sizeof(pool[0]))
#define COUNT(pool) (sizeof(pool) / sizeof(pool[0]))

uint64_t pick_length(struct rng *rng)
{
	switch (rng_below(rng, 8)) {
	case 0:
		return rng_next(rng);
	case 1:
		return rng_below(rng, 70000);
	default:
		return PICK(rng, LENGTHS);
	}
}

static uint64_t pick_integer(struct rng *rng)
{
	switch (rng_below(rng, 6)) {
	case 0:
		return rng_next(rng);
	case 1:
		return rng_below(rng, 64);
	default:
		return PICK(rng, INTEGERS);
	}
}

static uint64_t pick_flags(struct rng *rng)
{
	switch (rng_below(rng, 7)) {
	case 0:
		return 0;
	case 1:
		return 1ULL << rng_below(rng, 64);
	case 2:
		return (uint64_t)-1;
	case 3:
		return rng_next(rng);
	case 4:
		return rng_next(rng) & 0xffffffff;
	default:
		return (1ULL << rng_below(rng, 32)) | (1ULL << rng_below(rng, 32)) |
		       (rng_one_in(rng, 2) ? 1ULL << rng_below(rng, 24) : 0);
	}
}

static uint64_t pick_offset(struct rng *rng)
{
	if (rng_one_in(rng, 5))
		return rng_next(rng);
	if (rng_one_in(rng, 4))
		return rng_below(rng, 20000);
	return PICK(rng, OFFSETS);
}

/* ---- pointers -------------------------------------------------------- */

static uint64_t bad_pointer(struct rng *rng)
{
	switch (rng_below(rng, 8)) {
	case 0:
		return 0;
	case 1:
		return 1 + rng_below(rng, PAGE * 16);
	case 2:
		return PICK(rng, KERNEL_ADDRESSES) - 8 * rng_below(rng, 2);
	case 3:
		return PICK(rng, NON_CANONICAL);
	case 4:
		return PICK(rng, TOP_OF_USER);
	case 5:
		return (uint64_t)(uintptr_t)w.guard + rng_below(rng, PAGE);
	case 6:
		return rng_next(rng);
	default:
		return PICK(rng, KERNEL_ADDRESSES);
	}
}

uint64_t pick_pointer(struct rng *rng)
{
	uint64_t scratch = (uint64_t)(uintptr_t)w.scratch;

	switch (rng_below(rng, 16)) {
	case 0:
	case 1:
	case 2:
		return scratch;
	case 3:
		return scratch + 1 + rng_below(rng, 7); /* unaligned */
	case 4:
		return scratch + rng_below(rng, SCRATCH_BYTES);
	case 5:
		return scratch + SCRATCH_BYTES - 1 - rng_below(rng, 32); /* runs into the guard */
	case 6:
		return (uint64_t)(uintptr_t)w.readonly + 8 * rng_below(rng, 8);
	case 7:
		return (uint64_t)(uintptr_t)w.victim + PAGE * rng_below(rng, VICTIM_PAGES);
	case 8:
		return (uint64_t)(uintptr_t)&pick_pointer; /* code */
	default:
		return bad_pointer(rng);
	}
}

uint64_t pick_address(struct rng *rng)
{
	uint64_t victim = (uint64_t)(uintptr_t)w.victim;

	switch (rng_below(rng, 12)) {
	case 0:
	case 1:
	case 2:
	case 3:
		return victim + PAGE * rng_below(rng, VICTIM_PAGES);
	case 4:
		return victim + rng_below(rng, VICTIM_PAGES * PAGE); /* unaligned */
	case 5:
		return 0;
	case 6:
		return (rng_next(rng) & 0x00007ffffffff000ULL);
	case 7:
		return PICK(rng, TOP_OF_USER) & ~(PAGE - 1);
	case 8:
		if (rng_one_in(rng, 8))
			return (uint64_t)(uintptr_t)w.scratch;
		return victim;
	default:
		return bad_pointer(rng) & ~(PAGE - 1);
	}
}

/* Fills the head of the scratch buffer with words from every pool. */
void fill_scratch(struct rng *rng)
{
	uint64_t *words = (uint64_t *)w.scratch;
	size_t i, count = SCRATCH_WORDS;

	switch (rng_below(rng, 10)) {
	case 0:
		memset(words, 0, count * 8);
		return;
	case 1:
		memset(words, 0xff, count * 8);
		return;
	default:
		break;
	}
	for (i = 0; i < count; i++) {
		switch (rng_below(rng, 6)) {
		case 0:
			words[i] = pick_pointer(rng);
			break;
		case 1:
			words[i] = pick_length(rng);
			break;
		case 2:
			words[i] = pick_integer(rng);
			break;
		case 3:
			words[i] = rng_below(rng, 1000000000);
			break;
		default:
			words[i] = rng_next(rng);
			break;
		}
	}
}

/* ---- paths ----------------------------------------------------------- */

/* The next of the two path buffers. */
static char *path_buffer(void)
{
	w.path_turn ^= 1;
	return w.paths[w.path_turn];
}

/* Puts a path in a path buffer and returns a pointer to it. */
static uint64_t put_path(const char *text)
{
	char *buf = path_buffer();
	size_t len = strlen(text);

	if (len >= PATH_BYTES)
		len = PATH_BYTES - 1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	return (uint64_t)(uintptr_t)buf;
}

/* A path with no NUL before the guard page, or longer than PATH_MAX. */
static uint64_t overlong_path(struct rng *rng)
{
	char *buf = path_buffer();

	if (rng_one_in(rng, 2)) {
		/* Fill up to the guard: the string never ends. */
		memset(buf, 'a', PATH_BYTES);
		return (uint64_t)(uintptr_t)buf;
	}
	memset(buf, 'b', PATH_MAX + 1);
	buf[PATH_MAX + 1] = '\0';
	return (uint64_t)(uintptr_t)buf;
}

/* A long name component, or deep nesting of a real one. */
static uint64_t long_name(struct rng *rng)
{
	char buf[PATH_MAX];
	size_t i, len;

	if (rng_one_in(rng, 2)) {
		len = 255 + rng_below(rng, 3);
		memset(buf, 'n', len);
		buf[len] = '\0';
	} else {
		len = 0;
		for (i = 0; len + 3 < sizeof(buf) && i < 2000; i++) {
			memcpy(buf + len, "d0/", 3);
			len += 3;
		}
		buf[len] = '\0';
	}
	return put_path(buf);
}

uint64_t pick_scratch_path(struct rng *rng)
{
	char buf[128];

	switch (rng_below(rng, 16)) {
	case 0:
		return bad_pointer(rng);
	case 1:
		return overlong_path(rng);
	case 2:
		return long_name(rng);
	case 3:
		snprintf(buf, sizeof(buf), "%s/%s", w.dir,
			 SCRATCH_NAMES[rng_below(rng, COUNT(SCRATCH_NAMES))]);
		return put_path(buf);
	default:
		return put_path(SCRATCH_NAMES[rng_below(rng, COUNT(SCRATCH_NAMES))]);
	}
}

uint64_t pick_mount_path(struct rng *rng)
{
	char buf[128];

	if (rng_one_in(rng, 8))
		return bad_pointer(rng);
	if (rng_one_in(rng, 4)) {
		snprintf(buf, sizeof(buf), "%s/%s", w.dir,
			 MOUNT_NAMES[rng_below(rng, COUNT(MOUNT_NAMES))]);
		return put_path(buf);
	}
	return put_path(MOUNT_NAMES[rng_below(rng, COUNT(MOUNT_NAMES))]);
}

uint64_t pick_link_target(struct rng *rng)
{
	/* The target lives apart from the path buffer: symlink takes both. */
	static char target[64];
	const char *text = LINK_TARGETS[rng_below(rng, COUNT(LINK_TARGETS))];

	if (rng_one_in(rng, 10))
		return bad_pointer(rng);
	snprintf(target, sizeof(target), "%s", text);
	return (uint64_t)(uintptr_t)target;
}

uint64_t pick_read_path(struct rng *rng)
{
	if (rng_one_in(rng, 3))
		return pick_scratch_path(rng);
	return put_path(READ_PATHS[rng_below(rng, COUNT(READ_PATHS))]);
}

uint64_t pick_mount_type(struct rng *rng)
{
	static char type[32];

	if (rng_one_in(rng, 6))
		return bad_pointer(rng);
	snprintf(type, sizeof(type), "%s", MOUNT_TYPES[rng_below(rng, COUNT(MOUNT_TYPES))]);
	return (uint64_t)(uintptr_t)type;
}

/* ---- fds, pids, signals ----------------------------------------------- */

uint64_t pick_fd(struct rng *rng)
{
	switch (rng_below(rng, 12)) {
	case 0:
		return (uint64_t)-1;
	case 1:
		return (uint64_t)(int64_t)-100; /* AT_FDCWD where it means nothing */
	case 2:
		return rng_below(rng, 3);
	case 3: {
		static const uint64_t HUGE_FDS[] = {
			1023, 1024, 4095, 4096, 65535, 0x7fffffff, 0x80000000,
			(uint64_t)(int64_t)INT_MIN, 0xffffffff,
		};
		return PICK(rng, HUGE_FDS);
	}
	case 4:
		return (uint64_t)w.closed_fd;
	case 5:
		/* A valid fd in the low half, garbage in the high half. */
		return (1ULL << 32) | (uint64_t)w.fds[rng_below(rng, w.fd_count)];
	case 6:
		return rng_below(rng, 64);
	default:
		return (uint64_t)w.fds[rng_below(rng, w.fd_count)];
	}
}

uint64_t pick_dirfd(struct rng *rng)
{
	if (rng_one_in(rng, 2))
		return (uint64_t)(int64_t)AT_FDCWD;
	if (rng_one_in(rng, 2))
		return (uint64_t)w.dir_fd;
	return pick_fd(rng);
}

uint64_t pick_pid(struct rng *rng)
{
	uint64_t self = (uint64_t)getpid();

	switch (rng_below(rng, 7)) {
	case 0:
		return 0;
	case 1:
		return self;
	case 2:
		return 0x7ffffff0; /* no such process */
	case 3:
		return (uint64_t)(int64_t)-0x7ffffff0;
	case 4:
		return (uint64_t)(int64_t)INT_MIN;
	case 5:
		return (1ULL << 32) | self;
	default:
		return (uint64_t)-(int64_t)self; /* the worker's own group */
	}
}

uint64_t pick_signal(struct rng *rng)
{
	if (rng_one_in(rng, 10)) {
		static const uint64_t ODD[] = { (uint64_t)-1, 65, 100, 0x7fffffff, 1ULL << 32 };
		return PICK(rng, ODD);
	}
	return rng_below(rng, 65);
}

static uint64_t pick_id(struct rng *rng)
{
	static const uint64_t IDS[] = { 0, 1, 1000, 65534, (uint64_t)-1, 0xffffffff, 0x7fffffff };

	if (rng_one_in(rng, 5))
		return rng_next(rng);
	return PICK(rng, IDS);
}

uint64_t pick_iov_count(struct rng *rng)
{
	static const uint64_t COUNTS[] = {
		0, 1, 2, 3, 8, 16, 1023, 1024, 1025, 0x7fffffff, (uint64_t)-1, 1ULL << 32,
	};
	return PICK(rng, COUNTS);
}

/* One argument of the given kind. */
uint64_t pick_arg(struct rng *rng, char kind)
{
	switch (kind) {
	case '-':
		return 0;
	case 'p':
		return pick_pointer(rng);
	case 'P':
		return pick_read_path(rng);
	case 'W':
		return pick_scratch_path(rng);
	case 'M':
		return pick_mount_path(rng);
	case 'T':
		return pick_link_target(rng);
	case 't':
		return pick_mount_type(rng);
	case 'l':
		return pick_length(rng);
	case 'o':
		return pick_offset(rng);
	case 'v':
		return pick_iov_count(rng);
	case 'f':
		return pick_fd(rng);
	case 'd':
		return pick_dirfd(rng);
	case 'F':
		return pick_flags(rng);
	case 'i':
		return pick_integer(rng);
	case 'm':
		return rng_one_in(rng, 4) ? rng_next(rng) : PICK(rng, MODES);
	case 'a':
		return pick_address(rng);
	case 'k':
		return pick_pid(rng);
	case 's':
		return pick_signal(rng);
	case 'u':
		return pick_id(rng);
	case 'c':
		return rng_one_in(rng, 4) ? rng_next(rng) & 0xffffffff : PICK(rng, IOCTLS);
	case 'C':
		return rng_one_in(rng, 6) ? pick_integer(rng) : PICK(rng, FCNTLS);
	default:
		switch (rng_below(rng, 6)) {
		case 0:
			return pick_pointer(rng);
		case 1:
			return pick_length(rng);
		case 2:
			return pick_flags(rng);
		case 3:
			return pick_fd(rng);
		default:
			return pick_integer(rng);
		}
	}
}
