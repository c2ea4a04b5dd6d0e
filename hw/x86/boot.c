/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest memory for a long-mode boot: GDT with kernel and user segments, one
 * TSS per vCPU, identity page tables with the User bit, boot info and the
 * -append string (see kvmage/guest-abi.h).  Per-vCPU registers: cpu.c.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "accel/kvm.h"
#include "hw/x86/boot.h"
#include "kvmage/guest-abi.h"
#include "util/error.h"
#include "util/page.h"

#define PTE_P  (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_US (1ULL << 2)
#define PTE_PS (1ULL << 7)

/* 64-bit TSS, as the CPU reads it. */
struct x86_tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

G_STATIC_ASSERT(sizeof(struct x86_tss) == BOOT_TSS_LIMIT + 1);
G_STATIC_ASSERT(sizeof(struct x86_tss) <= BOOT_TSS_SIZE);
G_STATIC_ASSERT(BOOT_GDT_GPA + (BOOT_GDT_NR_FIXED + 2 * BOOT_MAX_VCPUS) * 8 <=
		BOOT_TSS_GPA);
G_STATIC_ASSERT(BOOT_TSS_GPA + BOOT_MAX_VCPUS * BOOT_TSS_SIZE <= BOOT_INFO_GPA);
G_STATIC_ASSERT(BOOT_STACK_GPA + BOOT_MAX_VCPUS * BOOT_STACK_SIZE <=
		BOOT_PGTABLE_GPA);

static void *boot_ptr(RamList *ram, uint64_t gpa, uint64_t len, GError **errp)
{
	void *p = ram_gpa_to_hva(ram, gpa, len);

	if (!p)
		error_setg(errp,
			   "guest RAM does not cover boot area 0x%" G_GINT64_MODIFIER
			   "x+0x%" G_GINT64_MODIFIER "x",
			   gpa, len);
	return p;
}

static uint64_t boot_gdt_tss_desc(uint64_t base, uint32_t limit)
{
	return (limit & 0xffffULL) | ((base & 0xffffffULL) << 16) |
	       (0x89ULL << 40) | /* present, DPL 0, available 64-bit TSS */
	       ((uint64_t)(limit >> 16 & 0xf) << 48) |
	       ((base >> 24 & 0xffULL) << 56);
}

static bool boot_setup_gdt_tss(RamList *ram, unsigned nr_cpus, GError **errp)
{
	unsigned n = BOOT_GDT_NR_FIXED + 2 * nr_cpus;
	uint64_t *gdt = boot_ptr(ram, BOOT_GDT_GPA, n * 8, errp);

	if (!gdt)
		return false;
	gdt[0] = 0;
	gdt[1] = 0x00af9a000000ffffULL; /* kernel code64, DPL 0 */
	gdt[2] = 0x00cf92000000ffffULL; /* kernel data, DPL 0 */
	gdt[3] = 0x00cff2000000ffffULL; /* user data, DPL 3 */
	gdt[4] = 0x00affa000000ffffULL; /* user code64, DPL 3 */
	for (unsigned i = 0; i < nr_cpus; i++) {
		uint64_t tss_gpa = BOOT_TSS_GPA + i * BOOT_TSS_SIZE;
		struct x86_tss *tss =
			boot_ptr(ram, tss_gpa, sizeof(*tss), errp);

		if (!tss)
			return false;
		memset(tss, 0, sizeof(*tss));
		tss->rsp[0] = BOOT_STACK_GPA + (i + 1) * BOOT_STACK_SIZE;
		tss->iomap_base = sizeof(*tss); /* no bitmap: IOPL decides */
		gdt[GDT_TSS(i) / 8] =
			boot_gdt_tss_desc(tss_gpa, sizeof(*tss) - 1);
		gdt[GDT_TSS(i) / 8 + 1] = tss_gpa >> 32;
	}
	return true;
}

/* Identity map [0, top) with 2 MiB pages, all Present|RW|User. */
static bool boot_setup_pgtables(RamList *ram, GError **errp)
{
	uint64_t top = MAX(ram->ram_top, RAM_X86_HOLE_END);
	uint64_t nr_pd = (top + (1ULL << 30) - 1) >> 30;
	uint64_t pd_gpa = BOOT_PGTABLE_GPA + 2 * PAGE_SIZE;
	uint64_t *pml4, *pdpt, *pd;

	if (nr_pd > 512 || pd_gpa + nr_pd * PAGE_SIZE > BOOT_PGTABLE_END) {
		error_setg(errp,
			   "guest RAM top 0x%" G_GINT64_MODIFIER
			   "x is beyond what the boot page tables map",
			   top);
		return false;
	}
	pml4 = boot_ptr(ram, BOOT_PGTABLE_GPA, PAGE_SIZE, errp);
	pdpt = boot_ptr(ram, BOOT_PGTABLE_GPA + PAGE_SIZE, PAGE_SIZE, errp);
	pd = boot_ptr(ram, pd_gpa, nr_pd * PAGE_SIZE, errp);
	if (!pml4 || !pdpt || !pd)
		return false;
	memset(pml4, 0, PAGE_SIZE);
	memset(pdpt, 0, PAGE_SIZE);
	pml4[0] = (BOOT_PGTABLE_GPA + PAGE_SIZE) | PTE_P | PTE_RW | PTE_US;
	for (uint64_t i = 0; i < nr_pd; i++)
		pdpt[i] = (pd_gpa + i * PAGE_SIZE) | PTE_P | PTE_RW | PTE_US;
	for (uint64_t i = 0; i < nr_pd * 512; i++)
		pd[i] = (i << 21) | PTE_P | PTE_RW | PTE_US | PTE_PS;
	return true;
}

static bool boot_setup_info(RamList *ram, const char *append, unsigned nr_cpus,
			    GError **errp)
{
	struct boot_info *bi = boot_ptr(ram, BOOT_INFO_GPA, sizeof(*bi), errp);
	size_t len = strlen(append);
	char *cmdline;

	if (!bi)
		return false;
	if (len >= BOOT_CMDLINE_MAX) {
		error_setg(errp,
			   "-append: string of %zu bytes is longer than "
			   "the limit of %llu",
			   len, BOOT_CMDLINE_MAX - 1);
		return false;
	}
	cmdline = boot_ptr(ram, BOOT_CMDLINE_GPA, len + 1, errp);
	if (!cmdline)
		return false;
	memcpy(cmdline, append, len + 1);
	memset(bi, 0, sizeof(*bi));
	bi->magic = BOOT_INFO_MAGIC;
	bi->nr_cpus = nr_cpus;
	bi->cmdline_len = len;
	bi->cmdline_gpa = BOOT_CMDLINE_GPA;
	bi->ram_size = ram->ram_size;
	bi->ram_top = ram->ram_top;
	return true;
}

bool x86_boot_setup_memory(RamList *ram, const char *append, unsigned nr_cpus,
			   GError **errp)
{
	if (nr_cpus > BOOT_MAX_VCPUS) {
		error_setg(errp, "at most %u vCPUs are supported",
			   BOOT_MAX_VCPUS);
		return false;
	}
	if (ram->ram_top < BOOT_IMAGE_MIN_GPA) {
		error_setg(errp, "guest RAM must be at least %llu MiB",
			   BOOT_IMAGE_MIN_GPA >> 20);
		return false;
	}
	return boot_setup_gdt_tss(ram, nr_cpus, errp) &&
	       boot_setup_pgtables(ram, errp) &&
	       boot_setup_info(ram, append ? append : "", nr_cpus, errp);
}
