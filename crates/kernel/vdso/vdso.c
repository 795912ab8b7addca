/*
 * The vDSO: clock reads that run in user space, without a system call.
 *
 * The kernel maps this shared object (built by the kernel crate's build.rs)
 * into every process right after a read-only data page, the vvar page, and
 * passes its address in AT_SYSINFO_EHDR; musl and glibc look the functions
 * up by name and version (LINUX_2.6) as on Linux. The vvar page holds what
 * `platform::time` uses to turn the TSC into nanoseconds; when the clock is
 * not the TSC, or for clocks handled only by the kernel, the functions make
 * the system call instead, so the answers are always the kernel's.
 *
 * Freestanding: no libc, no relocations, general-purpose registers only.
 */
#include <stdint.h>

#include "vvar.h"

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_USEC 1000ULL

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define CLOCK_TAI 11

#define SYS_gettimeofday 96
#define SYS_time 201
#define SYS_clock_gettime 228

/* Everything is hidden (-fvisibility=hidden) but the entry points. */
#define EXPORT __attribute__((visibility("default")))

struct timespec {
	int64_t tv_sec;
	int64_t tv_nsec;
};

struct timeval {
	int64_t tv_sec;
	int64_t tv_usec;
};

/*
 * The vvar page lies just before this object's ELF header (`__ehdr_start`,
 * which the linker defines). The address is taken in assembly so that the
 * compiler does not see an access before the start of an object.
 */
static const volatile struct vvar *vvar(void)
{
	uintptr_t ehdr;

	__asm__("lea __ehdr_start(%%rip), %0" : "=r"(ehdr));
	return (const volatile struct vvar *)(ehdr - VVAR_PAGE_SIZE);
}

static long syscall2(long nr, long a, long b)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b)
			 : "rcx", "r11", "memory");
	return ret;
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	/* lfence keeps the read from running ahead of the sequence count. */
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/*
 * Monotonic and wall time in ns, read consistently against the kernel's
 * sequence count; returns 0 when the kernel must be asked.
 */
static int read_clocks(uint64_t *monotonic_ns, uint64_t *realtime_ns)
{
	const volatile struct vvar *v = vvar();
	uint32_t seq;
	uint64_t ns, base, at;

	do {
		seq = v->seq;
		__asm__ volatile("" ::: "memory");
		if (seq & 1)
			continue;
		if (v->clock_mode != VCLOCK_TSC)
			return 0;
		ns = (uint64_t)(((unsigned __int128)(rdtsc() - v->boot_tsc) * v->tsc_mult) >>
				VVAR_TSC_MULT_SHIFT);
		base = v->realtime_base_ns;
		at = v->realtime_at_ns;
		__asm__ volatile("" ::: "memory");
	} while (seq & 1 || v->seq != seq);
	*monotonic_ns = ns;
	*realtime_ns = base + (ns > at ? ns - at : 0);
	return 1;
}

EXPORT int __vdso_clock_gettime(int clock, struct timespec *ts)
{
	uint64_t monotonic, realtime, ns;

	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_TAI:
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		if (read_clocks(&monotonic, &realtime))
			break;
		/* fall through */
	default:
		return (int)syscall2(SYS_clock_gettime, clock, (long)ts);
	}
	ns = clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE || clock == CLOCK_TAI
		     ? realtime
		     : monotonic;
	ts->tv_sec = (int64_t)(ns / NSEC_PER_SEC);
	ts->tv_nsec = (int64_t)(ns % NSEC_PER_SEC);
	return 0;
}

EXPORT int __vdso_gettimeofday(struct timeval *tv, void *tz)
{
	uint64_t monotonic, realtime;

	if (tz || !read_clocks(&monotonic, &realtime))
		return (int)syscall2(SYS_gettimeofday, (long)tv, (long)tz);
	if (tv) {
		tv->tv_sec = (int64_t)(realtime / NSEC_PER_SEC);
		tv->tv_usec = (int64_t)(realtime % NSEC_PER_SEC / NSEC_PER_USEC);
	}
	return 0;
}

EXPORT int64_t __vdso_time(int64_t *t)
{
	uint64_t monotonic, realtime;

	if (!read_clocks(&monotonic, &realtime))
		return syscall2(SYS_time, (long)t, 0);
	if (t)
		*t = (int64_t)(realtime / NSEC_PER_SEC);
	return (int64_t)(realtime / NSEC_PER_SEC);
}

EXPORT int clock_gettime(int, struct timespec *)
	__attribute__((weak, alias("__vdso_clock_gettime")));
EXPORT int gettimeofday(struct timeval *, void *) __attribute__((weak, alias("__vdso_gettimeofday")));
EXPORT int64_t time(int64_t *) __attribute__((weak, alias("__vdso_time")));
