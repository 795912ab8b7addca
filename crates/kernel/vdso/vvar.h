/*
 * The vvar page: clock data the kernel writes and the vDSO reads. The layout
 * is mirrored by `Vvar` in crates/kernel/src/vdso.rs; keep the two in step.
 */
#ifndef KESTREL_VVAR_H
#define KESTREL_VVAR_H

#include <stdint.h>

#define VVAR_PAGE_SIZE 4096
#define VVAR_TSC_MULT_SHIFT 32

/* clock_mode: how user space may read the clock. */
#define VCLOCK_NONE 0 /* ask the kernel */
#define VCLOCK_TSC 1  /* rdtsc, then the conversion below */

struct vvar {
	/* Odd while the kernel updates the page. */
	uint32_t seq;
	uint32_t clock_mode;
	/* Monotonic ns = ((rdtsc - boot_tsc) * tsc_mult) >> VVAR_TSC_MULT_SHIFT. */
	uint64_t boot_tsc;
	uint64_t tsc_mult;
	/* Wall time was realtime_base_ns when the monotonic clock read realtime_at_ns. */
	uint64_t realtime_base_ns;
	uint64_t realtime_at_ns;
};

#endif
