/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ram-dirty sections (include/migration/sections.h): one precopy
 * pass of the pages the dirty log saw written, as DATA records of the
 * RAM section's layout, up to an END record.
 */
#include <string.h>

#include "migration/sections.h"
#include "util/bitmap.h"
#include "util/error.h"

typedef struct DirtyCtx {
	MigStream *s;
	RamList *ram;
	MigRamStats *st;
} DirtyCtx;

bool mig_ram_dirty_begin(DirtyLogClient *c, GError **errp)
{
	DirtyLog *dl = dirty_log_client_log(c);

	/*
	 * A slot whose logging the consumer just turned on (uffd aging does
	 * not log) harvests all set once (KVM_DIRTY_LOG_INITIALLY_SET):
	 * take that harvest now, or the first pass would read every page,
	 * swapping the cold set in and populating the holes.
	 */
	if (!dirty_log_client_sync(c, NULL, errp))
		return false;
	for (unsigned i = 0; i < dirty_log_nr_slots(dl); i++)
		if (dirty_log_client_covers(c, i))
			dirty_log_client_fetch(c, i, NULL);
	return true;
}

/* Index of @bank among the migrating banks of @ram. */
static uint32_t bank_index(RamList *ram, RamBank *bank)
{
	uint32_t index = 0;
	RamBank *b;

	ram_for_each_bank(ram, b) {
		if (b == bank)
			break;
		index += mig_bank_migrates(b);
	}
	return index;
}

static bool put_data(DirtyCtx *c, RamBank *b, uint64_t off, uint64_t n,
		     GError **errp)
{
	uint64_t len = n * PAGE_SIZE;
	void *p = ram_gpa_to_hva(c->ram, b->gpa + off, len);

	g_assert(p);
	c->st->dirty_pages += n;
	c->st->data_pages += n;
	return mig_put_u32(c->s, MIG_RAM_REC_DATA, errp) &&
	       mig_put_u32(c->s, bank_index(c->ram, b), errp) &&
	       mig_put_u64(c->s, off, errp) && mig_put_u64(c->s, n, errp) &&
	       mig_put(c->s, p, len, errp);
}

/* The dirty pages of slot @si, @bits fetched, in runs of at most 512. */
static bool save_slot(DirtyCtx *c, const DirtyLogSlotInfo *si,
		      const unsigned long *bits, GError **errp)
{
	RamBank *b = ram_bank_find(c->ram, si->gpa);
	uint64_t base, i = 0;

	if (!b || !mig_bank_migrates(b))
		return true; /* not migrated: nothing to send */
	base = si->gpa - b->gpa;
	while (i < si->npages) {
		uint64_t n = 0;

		if (!bitmap_test(bits, i)) {
			i++;
			continue;
		}
		while (i + n < si->npages && bitmap_test(bits, i + n) &&
		       n < MIG_RAM_SCAN_PAGES)
			n++;
		if (!put_data(c, b, base + i * PAGE_SIZE, n, errp))
			return false;
		i += n;
	}
	return true;
}

bool mig_ram_dirty_save(MigStream *s, RamList *ram, DirtyLogClient *c,
			MigRamStats *st, GError **errp)
{
	DirtyLog *dl = dirty_log_client_log(c);
	DirtyCtx ctx = { s, ram, st };
	uint64_t start = mig_stream_offset(s);

	memset(st, 0, sizeof(*st));
	if (!dirty_log_client_sync(c, NULL, errp) ||
	    !mig_section_write(s, MIG_SECTION_RAM_DIRTY, 0, errp))
		return false;
	for (unsigned i = 0; i < dirty_log_nr_slots(dl); i++) {
		const DirtyLogSlotInfo *si;
		g_autofree unsigned long *bits = NULL;

		if (!dirty_log_client_covers(c, i))
			continue;
		si = dirty_log_slot_info(dl, i);
		bits = g_new0(unsigned long, BITS_TO_LONGS(si->npages));
		dirty_log_client_fetch(c, i, bits);
		if (!save_slot(&ctx, si, bits, errp))
			return false;
	}
	if (!mig_put_u32(s, MIG_RAM_REC_END, errp) ||
	    !mig_put_u32(s, 0, errp) || !mig_put_u64(s, 0, errp) ||
	    !mig_put_u64(s, 0, errp))
		return false;
	st->bytes = mig_stream_offset(s) - start;
	return true;
}

/* The migrating bank @index of @ram, or NULL. */
static RamBank *nth_bank(RamList *ram, uint32_t index)
{
	RamBank *b;

	ram_for_each_bank(ram, b)
		if (mig_bank_migrates(b) && !index--)
			return b;
	return NULL;
}

static bool load_rec(DirtyCtx *c, uint32_t bank, uint64_t off, uint64_t n,
		     uint64_t at, GError **errp)
{
	RamBank *b = nth_bank(c->ram, bank);
	g_autofree char *what = NULL;
	void *p;

	if (!b || off % PAGE_SIZE || !n || n > MIG_RAM_SCAN_PAGES ||
	    off >= b->size || n * PAGE_SIZE > b->size - off) {
		error_setg(errp,
			   "bad ram-dirty record at offset %" G_GUINT64_FORMAT
			   ": bank %u offset 0x%" G_GINT64_MODIFIER
			   "x, %" G_GUINT64_FORMAT " pages",
			   at, bank, off, n);
		return false;
	}
	p = ram_gpa_to_hva(c->ram, b->gpa + off, n * PAGE_SIZE);
	g_assert(p);
	what = g_strdup_printf("dirty page data of bank %u at offset "
			       "0x%" G_GINT64_MODIFIER "x",
			       bank, off);
	if (!mig_get(c->s, p, n * PAGE_SIZE, what, errp))
		return false;
	c->st->dirty_pages += n;
	c->st->data_pages += n;
	return mig_ram_alias_drop(b, p, n * PAGE_SIZE, errp);
}

bool mig_ram_dirty_load(MigStream *s, RamList *ram, MigRamStats *st,
			GError **errp)
{
	DirtyCtx ctx = { s, ram, st };
	uint64_t start = mig_stream_offset(s);
	uint32_t id;

	memset(st, 0, sizeof(*st));
	if (!mig_section_expect(s, MIG_SECTION_RAM_DIRTY, &id, errp))
		return false;
	for (;;) {
		uint64_t at = mig_stream_offset(s), off, n;
		uint32_t kind, bank;

		if (!mig_get_u32(s, &kind, "ram-dirty record kind", errp) ||
		    !mig_get_u32(s, &bank, "ram-dirty record bank", errp) ||
		    !mig_get_u64(s, &off, "ram-dirty record offset", errp) ||
		    !mig_get_u64(s, &n, "ram-dirty record page count", errp))
			return false;
		if (kind == MIG_RAM_REC_END)
			break;
		if (kind != MIG_RAM_REC_DATA) {
			error_setg(errp,
				   "unknown ram-dirty record kind %u at offset "
				   "%" G_GUINT64_FORMAT,
				   kind, at);
			return false;
		}
		if (!load_rec(&ctx, bank, off, n, at, errp))
			return false;
	}
	st->bytes = mig_stream_offset(s) - start;
	return true;
}
