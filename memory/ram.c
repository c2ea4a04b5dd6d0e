/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest RAM: a list of typed banks sorted by guest-physical address.
 *
 * A bank covers [gpa, gpa + size) with gpa + size <= 2^64 - 1, so that the
 * end of every bank is representable and no check below can wrap.
 *
 * Locking: the list is built by the main thread before vCPUs start and is
 * read-only while they run; ram_bank_find() and ram_gpa_to_hva() take no
 * lock (see memory/ram.h, which also says which view of a bank to use).
 */
#include <stdint.h>
#include <unistd.h>

#include "backends/hostmem.h"
#include "memory/ram.h"
#include "util/error.h"

static const char *const ram_bank_type_names[] = {
	[RAM_BANK_RAM] = "ram",
	[RAM_BANK_DEVICE] = "device",
	[RAM_BANK_RESERVED] = "reserved",
};

const char *ram_bank_type_str(RamBankType type)
{
	if ((unsigned)type >= G_N_ELEMENTS(ram_bank_type_names))
		return "unknown";
	return ram_bank_type_names[type];
}

/* The guest's RAM (see ram_list_guest()).  Main thread. */
static RamList *ram_guest;

void ram_list_set_guest(RamList *list)
{
	ram_guest = list;
}

RamList *ram_list_guest(void)
{
	return ram_guest;
}

void ram_list_init(RamList *list)
{
	list->head = NULL;
	list->nr_banks = 0;
	list->ram_size = 0;
	list->ram_top = 0;
}

static void ram_bank_free(RamBank *b)
{
	hostmem_unmap_alias(b->host_alias, b->size);
	g_free(b);
}

void ram_list_destroy(RamList *list)
{
	RamBank *b, *next;

	for (b = list->head; b; b = next) {
		next = b->next;
		ram_bank_free(b);
	}
	ram_list_init(list);
}

/* Check the bank's own range and its backend; no list access. */
static bool ram_bank_check(RamBankType type, uint64_t gpa, uint64_t size,
			   HostMemBackend *be, uint64_t offset, GError **errp)
{
	if ((unsigned)type >= G_N_ELEMENTS(ram_bank_type_names)) {
		error_setg(errp, "invalid RAM bank type %d", type);
		return false;
	}
	if (!size) {
		error_setg(errp,
			   "%s bank at 0x%" G_GINT64_MODIFIER "x has "
			   "zero size",
			   ram_bank_type_str(type), gpa);
		return false;
	}
	if (size > UINT64_MAX - gpa) {
		error_setg(errp,
			   "%s bank at 0x%" G_GINT64_MODIFIER "x of size "
			   "0x%" G_GINT64_MODIFIER "x wraps around the address "
			   "space",
			   ram_bank_type_str(type), gpa, size);
		return false;
	}
	if (type == RAM_BANK_RESERVED) {
		if (be) {
			error_setg(errp, "a reserved bank has no backend");
			return false;
		}
		return true;
	}
	if (!be || !be->host) {
		error_setg(errp,
			   "%s bank at 0x%" G_GINT64_MODIFIER "x needs "
			   "an allocated memory backend",
			   ram_bank_type_str(type), gpa);
		return false;
	}
	if (offset > be->size || size > be->size - offset) {
		error_setg(errp,
			   "%s bank at 0x%" G_GINT64_MODIFIER "x: "
			   "offset 0x%" G_GINT64_MODIFIER
			   "x + size 0x%" G_GINT64_MODIFIER
			   "x is beyond backend '%s' "
			   "(size 0x%" G_GINT64_MODIFIER "x)",
			   ram_bank_type_str(type), gpa, offset, size, be->id,
			   be->size);
		return false;
	}
	return true;
}

/*
 * Link in a new bank before the first bank above it, or fail naming the
 * bank it overlaps.  Returns the link to write the new bank into.
 */
static RamBank **ram_bank_slot(RamList *list, uint64_t gpa, uint64_t size,
			       GError **errp)
{
	RamBank **link, *b;

	for (link = &list->head; (b = *link); link = &b->next) {
		if (b->gpa >= gpa + size)
			break;
		if (b->gpa + b->size <= gpa)
			continue;
		error_setg(errp,
			   "bank [0x%" G_GINT64_MODIFIER
			   "x, 0x%" G_GINT64_MODIFIER
			   "x) overlaps %s bank [0x%" G_GINT64_MODIFIER
			   "x, 0x%" G_GINT64_MODIFIER "x)",
			   gpa, gpa + size, ram_bank_type_str(b->type), b->gpa,
			   b->gpa + b->size);
		return NULL;
	}
	return link;
}

RamBank *ram_bank_add(RamList *list, RamBankType type, uint64_t gpa,
		      uint64_t size, HostMemBackend *backend,
		      uint64_t backend_offset, GError **errp)
{
	RamBank **link, *b;

	if (!ram_bank_check(type, gpa, size, backend, backend_offset, errp))
		return NULL;
	link = ram_bank_slot(list, gpa, size, errp);
	if (!link)
		return NULL;

	b = g_new0(RamBank, 1);
	if (backend && backend->share && backend->fd >= 0) {
		b->host_alias =
			hostmem_map_alias(backend, backend_offset, size, errp);
		if (!b->host_alias) {
			g_free(b);
			return NULL;
		}
	}
	b->type = type;
	b->gpa = gpa;
	b->size = size;
	b->backend = backend;
	b->backend_offset = backend_offset;
	if (backend) {
		b->host = (uint8_t *)backend->host + backend_offset;
		b->page_size = backend->page_size;
	} else {
		b->page_size = sysconf(_SC_PAGESIZE);
	}
	b->next = *link;
	*link = b;

	list->nr_banks++;
	if (type == RAM_BANK_RAM) {
		list->ram_size += size;
		list->ram_top = MAX(list->ram_top, gpa + size);
	}
	return b;
}

/* Undo ram_bank_add() of @bank. */
static void ram_bank_remove(RamList *list, RamBank *bank)
{
	RamBank **link, *b;

	for (link = &list->head; *link; link = &(*link)->next) {
		if (*link != bank)
			continue;
		*link = bank->next;
		list->nr_banks--;
		if (bank->type == RAM_BANK_RAM)
			list->ram_size -= bank->size;
		break;
	}
	list->ram_top = 0;
	ram_for_each_bank(list, b)
		if (b->type == RAM_BANK_RAM)
			list->ram_top = b->gpa + b->size;
	ram_bank_free(bank);
}

RamBank *ram_bank_find(RamList *list, uint64_t gpa)
{
	RamBank *b;

	ram_for_each_bank(list, b) {
		if (gpa < b->gpa)
			break;
		if (gpa - b->gpa < b->size)
			return b;
	}
	return NULL;
}

void *ram_gpa_to_hva(RamList *list, uint64_t gpa, uint64_t len)
{
	RamBank *b = ram_bank_find(list, gpa);
	uint64_t off;

	if (!b || !b->host)
		return NULL;
	off = gpa - b->gpa;
	/* off < b->size, so the subtraction cannot wrap */
	if (len > b->size - off)
		return NULL;
	return (uint8_t *)(b->host_alias ? b->host_alias : b->host) + off;
}

bool ram_layout_x86(RamList *list, HostMemBackend *backend, GError **errp)
{
	uint64_t low, high;
	RamBank *b;

	if (!backend) {
		error_setg(errp, "no memory backend for guest RAM");
		return false;
	}
	low = MIN(backend->size, RAM_X86_HOLE_START);
	high = backend->size - low;
	b = ram_bank_add(list, RAM_BANK_RAM, 0, low, backend, 0, errp);
	if (!b)
		return false;
	if (high && !ram_bank_add(list, RAM_BANK_RAM, RAM_X86_HOLE_END, high,
				  backend, low, errp)) {
		ram_bank_remove(list, b);
		return false;
	}
	return true;
}
