/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest RAM is a list of typed banks.  Aging, reclaim, prefault and
 * migration walk banks with ram_for_each_bank(), never raw pointers.
 * Guest-physical addresses become host pointers only through
 * ram_gpa_to_hva(), which checks bounds and overflow.
 *
 * Two views of a bank.  @host is the guest's mapping: what KVM maps into
 * the guest and what watchers of guest accesses act on.  @host_alias is a
 * second, unregistered mapping of the same file, mapped by ram_bank_add()
 * for banks of shared backends (memfd, file with share=on) and unmapped
 * with the bank; private and anonymous banks have none (NULL), and no
 * watcher that needs one (userfaultfd) can be used on them.
 *
 * The rule:
 *  - @host, and only for what must act on the guest's own page tables:
 *    KVM memslots (kvm_ram_register, the dirty log), userfaultfd
 *    registration and zapping (uffd-track), preallocation (it populates
 *    the guest's page tables; it runs before any watcher), and madvise
 *    of the guest's view (merge, dump, reclaim's pageout/cold).
 *  - ram_gpa_to_hva() for everything kvmage itself reads or writes:
 *    devices (ucall arguments), the loader and boot setup, migration,
 *    reclaim's verification, any handler thread.  It returns the alias
 *    when there is one, so those accesses never raise a userfault, never
 *    count as guest accesses, and cannot wait on the thread that
 *    resolves faults (the handler touching @host would wait for itself).
 *    Do not pick a view by thread id: KVM may fault guest pages in from
 *    kworker threads (async page faults).
 *  - The alias's page-table entries are the VMM's own: reclaim that wants
 *    a page out of memory must zap it in both views (MADV_DONTNEED on a
 *    shared mapping keeps the data), or the alias keeps it mapped.
 * The alias costs address space (a second @size), not memory: both views
 * share the page cache (hugetlbfs: the same huge pages, one reservation).
 *
 * Locking: the list is built before vCPUs start and is read-only while
 * they run; lookups need no lock.
 */
#ifndef MEMORY_RAM_H
#define MEMORY_RAM_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "util/page.h"

typedef struct HostMemBackend HostMemBackend;

typedef enum {
	RAM_BANK_RAM,	   /* guest RAM backed by a memory backend */
	RAM_BANK_DEVICE,   /* device memory (not aged, not reclaimed) */
	RAM_BANK_RESERVED, /* a hole the guest must not use */
} RamBankType;

typedef struct RamBank {
	RamBankType type;
	uint64_t gpa;		 /* guest-physical start */
	uint64_t size;		 /* bytes */
	void *host;		 /* guest mapping of gpa (see above) */
	void *host_alias;	 /* kvmage's alias of gpa, or NULL */
	HostMemBackend *backend; /* NULL for RESERVED */
	uint64_t backend_offset; /* offset of host inside the backend */
	uint64_t page_size;	 /* host page size backing it */
	uint32_t slot;		 /* first KVM memslot, set by accel/kvm */
	uint32_t nr_slots;	 /* memslots it was split into */
	struct RamBank *next;
} RamBank;

typedef struct RamList {
	RamBank *head;
	unsigned nr_banks;
	uint64_t ram_size; /* sum of RAM_BANK_RAM sizes */
	uint64_t ram_top;  /* highest RAM gpa + 1 */
} RamList;

#define ram_for_each_bank(list, b) \
	for ((b) = (list)->head; (b); (b) = (b)->next)

void ram_list_init(RamList *list);
/* Frees banks and unmaps their aliases, not their backends. */
void ram_list_destroy(RamList *list);

/*
 * The guest's RAM list, as QEMU's ram_list: the one the VM's builder
 * (system/vm.c) set, or NULL when there is no VM.  QMP commands that
 * act on guest RAM (memory-populate) find it here.  Main thread; the
 * list must outlive its registration (set NULL before destroying it).
 */
void ram_list_set_guest(RamList *list);
RamList *ram_list_guest(void);

/*
 * Add a bank, kept sorted by gpa; fails on overlap, zero size or wrap.
 * A RAM or device bank of a shared backend gets its alias mapped here;
 * failing to map it fails the add.  Main thread.
 */
RamBank *ram_bank_add(RamList *list, RamBankType type, uint64_t gpa,
		      uint64_t size, HostMemBackend *backend,
		      uint64_t backend_offset, GError **errp);

/* Bank containing @gpa, or NULL. */
RamBank *ram_bank_find(RamList *list, uint64_t gpa);

/*
 * kvmage's pointer for [gpa, gpa+len) if it lies inside one bank with
 * memory, else NULL: in the alias when the bank has one, else in @host.
 */
void *ram_gpa_to_hva(RamList *list, uint64_t gpa, uint64_t len);

/*
 * Lay out @backend as the guest's RAM on x86: below the 3 GiB PCI hole
 * then from 4 GiB up, like QEMU's pc machine.
 */
bool ram_layout_x86(RamList *list, HostMemBackend *backend, GError **errp);

#define RAM_X86_HOLE_START 0xc0000000ULL
#define RAM_X86_HOLE_END   0x100000000ULL

const char *ram_bank_type_str(RamBankType type);

#endif
