/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest RAM is a list of typed banks.  Aging, reclaim, prefault and
 * migration walk banks with ram_for_each_bank(), never raw pointers.
 * Guest-physical addresses become host pointers only through
 * ram_gpa_to_hva(), which checks bounds and overflow.
 *
 * Locking: the list is built before vCPUs start and is read-only while
 * they run; lookups need no lock.
 */
#ifndef SYSTEM_RAM_H
#define SYSTEM_RAM_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

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
	void *host;		 /* host address of gpa */
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
void ram_list_destroy(RamList *list); /* frees banks, not their backends */

/* Add a bank, kept sorted by gpa; fails on overlap, zero size or wrap. */
RamBank *ram_bank_add(RamList *list, RamBankType type, uint64_t gpa,
		      uint64_t size, HostMemBackend *backend,
		      uint64_t backend_offset, GError **errp);

/* Bank containing @gpa, or NULL. */
RamBank *ram_bank_find(RamList *list, uint64_t gpa);

/* Host pointer for [gpa, gpa+len) if it lies inside one RAM bank, else NULL. */
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
