/*
 * programs/vdso: the kernel maps a vDSO and names it in AT_SYSINFO_EHDR; its
 * clock_gettime, gettimeofday and time agree with the system calls; /proc
 * shows [vdso] (readable, executable) and [vvar] (read-only, which mprotect
 * cannot change); a process that makes its vDSO writable changes only its
 * own copy.
 */
#include "contract.h"

#include <elf.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/time.h>

#define NSEC_PER_SEC 1000000000LL

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);
typedef int (*gettimeofday_fn)(struct timeval *, void *);
typedef time_t (*time_fn)(time_t *);

/* Looks up a versioned symbol in the vDSO through its dynamic section. */
static void *vdso_symbol(const Elf64_Ehdr *ehdr, const char *name)
{
	const Elf64_Phdr *phdrs = (const void *)((const char *)ehdr + ehdr->e_phoff);
	const Elf64_Dyn *dynamic = NULL;
	const Elf64_Sym *symbols = NULL;
	const Elf32_Word *hash = NULL;
	const char *strings = NULL;
	uintptr_t base = 0;
	int i;

	for (i = 0; i < ehdr->e_phnum; i++) {
		if (phdrs[i].p_type == PT_LOAD)
			base = (uintptr_t)ehdr + phdrs[i].p_offset - phdrs[i].p_vaddr;
		else if (phdrs[i].p_type == PT_DYNAMIC)
			dynamic = (const void *)((const char *)ehdr + phdrs[i].p_offset);
	}
	if (!base || !dynamic)
		return NULL;
	for (; dynamic->d_tag != DT_NULL; dynamic++) {
		if (dynamic->d_tag == DT_SYMTAB)
			symbols = (const void *)(base + dynamic->d_un.d_ptr);
		else if (dynamic->d_tag == DT_STRTAB)
			strings = (const void *)(base + dynamic->d_un.d_ptr);
		else if (dynamic->d_tag == DT_HASH)
			hash = (const void *)(base + dynamic->d_un.d_ptr);
	}
	if (!symbols || !strings || !hash)
		return NULL;
	for (Elf32_Word k = 0; k < hash[1]; k++) {
		if (symbols[k].st_shndx != SHN_UNDEF && strcmp(strings + symbols[k].st_name, name) == 0)
			return (void *)(base + symbols[k].st_value);
	}
	return NULL;
}

static long long ns_of(const struct timespec *ts)
{
	return ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

static long long syscall_ns(clockid_t clock)
{
	struct timespec ts;

	if (syscall(SYS_clock_gettime, clock, &ts) != 0)
		return -1;
	return ns_of(&ts);
}

static void check_clock(clock_gettime_fn vdso_clock_gettime, clockid_t clock, const char *name)
{
	struct timespec ts;
	long long before, during, after;
	char check[64];

	before = syscall_ns(clock);
	CHECK_EQ(name, vdso_clock_gettime(clock, &ts), 0);
	during = ns_of(&ts);
	after = syscall_ns(clock);
	snprintf(check, sizeof(check), "%s_between_syscalls", name);
	CHECK(check, before <= during && during <= after);
	snprintf(check, sizeof(check), "%s_nsec_in_range", name);
	CHECK(check, ts.tv_nsec >= 0 && ts.tv_nsec < NSEC_PER_SEC);
}

/* The [vdso] or [vvar] line of /proc/self/maps: its range and permissions. */
static int find_mapping(const char *name, unsigned long *start, unsigned long *end, char perms[5])
{
	static char maps[65536];
	char *line;

	if (contract_read_file("/proc/self/maps", maps, sizeof(maps)) < 0)
		return 0;
	for (line = strtok(maps, "\n"); line; line = strtok(NULL, "\n")) {
		if (strstr(line, name) && sscanf(line, "%lx-%lx %4s", start, end, perms) == 3)
			return 1;
	}
	return 0;
}

int main(void)
{
	const Elf64_Ehdr *ehdr = (const void *)getauxval(AT_SYSINFO_EHDR);
	unsigned long start, end, vvar_start, vvar_end;
	char perms[5], vvar_perms[5];
	clock_gettime_fn vdso_clock_gettime;
	gettimeofday_fn vdso_gettimeofday;
	time_fn vdso_time;
	struct timeval tv;
	time_t now, t = 0;

	CHECK("at_sysinfo_ehdr", ehdr != NULL);
	CHECK("elf_magic", memcmp(ehdr->e_ident, ELFMAG, SELFMAG) == 0);
	CHECK("shared_object", ehdr->e_type == ET_DYN);

	vdso_clock_gettime = (clock_gettime_fn)vdso_symbol(ehdr, "__vdso_clock_gettime");
	vdso_gettimeofday = (gettimeofday_fn)vdso_symbol(ehdr, "__vdso_gettimeofday");
	vdso_time = (time_fn)vdso_symbol(ehdr, "__vdso_time");
	CHECK("has_clock_gettime", vdso_clock_gettime != NULL);
	CHECK("has_gettimeofday", vdso_gettimeofday != NULL);
	CHECK("has_time", vdso_time != NULL);

	check_clock(vdso_clock_gettime, CLOCK_MONOTONIC, "monotonic");
	check_clock(vdso_clock_gettime, CLOCK_BOOTTIME, "boottime");
	check_clock(vdso_clock_gettime, CLOCK_REALTIME, "realtime");
	CHECK_EQ("cputime_clock_works", vdso_clock_gettime(CLOCK_PROCESS_CPUTIME_ID,
							   &(struct timespec){ 0 }),
		 0);
	CHECK_EQ("bad_clock_fails", vdso_clock_gettime(12345, &(struct timespec){ 0 }), -EINVAL);

	CHECK_EQ("gettimeofday", vdso_gettimeofday(&tv, NULL), 0);
	CHECK("usec_in_range", tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	now = vdso_time(&t);
	CHECK("time_matches_its_store", now == t);
	CHECK("time_after_gettimeofday", now >= tv.tv_sec && now <= tv.tv_sec + 2);
	CHECK("gettimeofday_null_tv", vdso_gettimeofday(NULL, NULL) == 0);

	CHECK("vdso_in_maps", find_mapping("[vdso]", &start, &end, perms));
	CHECK("vdso_maps_start_is_ehdr", start == (unsigned long)ehdr);
	CHECK_STR("vdso_perms", perms, "r-xp");
	CHECK("vvar_in_maps", find_mapping("[vvar]", &vvar_start, &vvar_end, vvar_perms));
	CHECK("vvar_readable", vvar_perms[0] == 'r' && vvar_perms[1] == '-' && vvar_perms[2] == '-');
	CHECK_ERRNO("vvar_cannot_become_writable",
		    mprotect((void *)vvar_start, 4096, PROT_READ | PROT_WRITE), EACCES);

	/* A private copy: the change stays in this process. */
	CHECK("vdso_made_writable",
	      mprotect((void *)start, end - start, PROT_READ | PROT_WRITE | PROT_EXEC) == 0);
	pid_t pid = contract_fork();
	if (pid == 0) {
		((volatile Elf64_Ehdr *)ehdr)->e_ident[EI_PAD] = 0x5a;
		_exit(((const volatile Elf64_Ehdr *)ehdr)->e_ident[EI_PAD] == 0x5a ? 0 : 1);
	}
	CHECK_EXIT("child_wrote_its_copy", contract_wait(pid), 0);
	CHECK("parent_copy_unchanged", ehdr->e_ident[EI_PAD] == 0);
	check_clock(vdso_clock_gettime, CLOCK_MONOTONIC, "monotonic_after_fork");
	contract_pass();
}
