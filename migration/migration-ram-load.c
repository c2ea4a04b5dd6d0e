/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The RAM section's receiver, and whole RAM streams (include/migration/ram.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "backends/hostmem.h"
#include "migration/ram.h"
#include "util/error.h"

typedef struct LoadCtx {
	MigStream *s;
	RamList *ram;
	MigRamStats *st;
	RamBank *bank;	/* where the next record must start */
	uint32_t index; /* of bank among the migrating ones */
	uint64_t off;	/* in bank */
} LoadCtx;

typedef struct MigRamRec {
	uint32_t kind, bank;
	uint64_t off, npages;
} MigRamRec;

/* The first migrating bank at or after @b, or NULL. */
static RamBank *next_bank(RamBank *b)
{
	while (b && !mig_bank_migrates(b))
		b = b->next;
	return b;
}

static bool read_rec(LoadCtx *c, MigRamRec *r, GError **errp)
{
	return mig_get_u32(c->s, &r->kind, "RAM record kind", errp) &&
	       mig_get_u32(c->s, &r->bank, "RAM record bank", errp) &&
	       mig_get_u64(c->s, &r->off, "RAM record offset", errp) &&
	       mig_get_u64(c->s, &r->npages, "RAM record page count", errp);
}

/* The record must continue where the last one ended, inside its bank. */
static bool check_rec(LoadCtx *c, const MigRamRec *r, uint64_t at,
		      GError **errp)
{
	if (r->kind >= MIG_RAM_REC__MAX) {
		error_setg(errp,
			   "unknown RAM record kind %u at offset "
			   "%" G_GUINT64_FORMAT,
			   r->kind, at);
		return false;
	}
	if (r->kind == MIG_RAM_REC_END) {
		if (!c->bank)
			return true;
		error_setg(errp,
			   "RAM section ends early: bank %u (memdev '%s') "
			   "sent up to offset 0x%" G_GINT64_MODIFIER "x of "
			   "0x%" G_GINT64_MODIFIER "x",
			   c->index, c->bank->backend->id, c->off,
			   c->bank->size);
		return false;
	}
	if (!c->bank || r->bank != c->index || r->off != c->off || !r->npages ||
	    r->npages > MIG_RAM_SCAN_PAGES ||
	    r->npages * PAGE_SIZE > c->bank->size - c->off) {
		error_setg(errp,
			   "bad RAM record at offset %" G_GUINT64_FORMAT
			   ": bank %u offset 0x%" G_GINT64_MODIFIER
			   "x, %" G_GUINT64_FORMAT
			   " pages (expected bank %u offset "
			   "0x%" G_GINT64_MODIFIER "x)",
			   at, r->bank, r->off, r->npages, c->index, c->off);
		return false;
	}
	return true;
}

bool mig_ram_alias_drop(RamBank *b, void *p, uint64_t len, GError **errp)
{
	if (!b->host_alias || b->page_size != PAGE_SIZE)
		return true;
	if (madvise(p, len, MADV_DONTNEED)) {
		error_setg_errno(errp, errno, "migration: madvise(DONTNEED)");
		return false;
	}
	return true;
}

/* DATA and COLD: contents straight into kvmage's view of the bank. */
static bool load_pages(LoadCtx *c, const MigRamRec *r, GError **errp)
{
	uint64_t len = r->npages * PAGE_SIZE;
	uint8_t *p = ram_gpa_to_hva(c->ram, c->bank->gpa + r->off, len);
	g_autofree char *what =
		g_strdup_printf("page data of bank %u at offset 0x%" G_GINT64_MODIFIER
				"x",
				r->bank, r->off);

	g_assert(p);
	if (!mig_get(c->s, p, len, what, errp))
		return false;
	if (r->kind == MIG_RAM_REC_DATA) {
		c->st->data_pages += r->npages;
		return mig_ram_alias_drop(c->bank, p, len, errp);
	}
	/* cold: out again as the batch arrives */
	if (madvise(p, len, MADV_PAGEOUT)) {
		error_setg_errno(errp, errno, "migration: madvise(PAGEOUT)");
		return false;
	}
	c->st->cold_pages += r->npages;
	c->st->cold_batches++;
	return true;
}

static bool load_rec(LoadCtx *c, const MigRamRec *r, GError **errp)
{
	switch (r->kind) {
	case MIG_RAM_REC_DATA:
	case MIG_RAM_REC_COLD:
		if (!load_pages(c, r, errp))
			return false;
		break;
	case MIG_RAM_REC_ZERO:
		/* fresh RAM reads as zero: not touched (see ram.h) */
		c->st->zero_pages += r->npages;
		break;
	default:
		c->st->hole_pages += r->npages;
		break;
	}
	c->off += r->npages * PAGE_SIZE;
	if (c->off == c->bank->size) {
		c->bank = next_bank(c->bank->next);
		c->index++;
		c->off = 0;
	}
	return true;
}

bool mig_ram_load(MigStream *s, RamList *ram, MigRamStats *st, GError **errp)
{
	LoadCtx c = { .s = s, .ram = ram, .st = st };
	uint64_t start = mig_stream_offset(s);
	MigRamRec r;

	memset(st, 0, sizeof(*st));
	c.bank = next_bank(ram->head);
	for (;;) {
		uint64_t at = mig_stream_offset(s);

		if (!read_rec(&c, &r, errp) || !check_rec(&c, &r, at, errp))
			return false;
		if (r.kind == MIG_RAM_REC_END)
			break;
		if (!load_rec(&c, &r, errp))
			return false;
	}
	st->bytes = mig_stream_offset(s) - start;
	return true;
}

bool mig_ram_stream_save(int fd, RamList *ram, MigRamStats *st, GError **errp)
{
	g_autoptr(MigStream) s = mig_stream_new(fd, true);

	return mig_header_write(s, ram, errp) &&
	       mig_section_write(s, MIG_SECTION_RAM, 0, errp) &&
	       mig_ram_save(s, ram, st, errp) && mig_end_write(s, errp);
}

bool mig_ram_stream_load(int fd, RamList *ram, MigRamStats *st, GError **errp)
{
	g_autoptr(MigStream) s = mig_stream_new(fd, false);
	MigSectionType type;
	bool have_ram = false;
	uint32_t id;

	if (!mig_header_read(s, ram, errp))
		return false;
	for (;;) {
		if (!mig_section_read(s, &type, &id, errp))
			return false;
		if (type == MIG_SECTION_END)
			break;
		if (have_ram) {
			error_setg(errp,
				   "migration stream: a second RAM "
				   "section (id %u)",
				   id);
			return false;
		}
		if (!mig_ram_load(s, ram, st, errp))
			return false;
		have_ram = true;
	}
	if (!have_ram) {
		error_setg(errp,
			   "migration stream ended without a RAM section");
		return false;
	}
	return true;
}
