/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ages sections (include/migration/sections.h): each aged bank's
 * proven ages in milliseconds, run-length encoded, rebased on import.
 */
#include <string.h>

#include "aging/aging.h"
#include "backends/hostmem.h"
#include "migration/sections.h"
#include "util/error.h"

typedef struct AgesHdr {
	uint32_t version, count;
	uint64_t gpa, unit_size, nr_units, nr_runs;
} AgesHdr;

static bool bank_aged(const RamBank *b)
{
	return mig_bank_migrates(b) && b->backend->ages;
}

/* End of the run of equal ages starting at unit @u (at most u32 long). */
static uint64_t run_end(const AgingAges *ag, uint64_t u)
{
	uint64_t end = u + 1;

	while (end < ag->nr_units && ag->age_ms[end] == ag->age_ms[u] &&
	       end - u < UINT32_MAX)
		end++;
	return end;
}

static uint64_t count_runs(const AgingAges *ag)
{
	uint64_t runs = 0;

	for (uint64_t u = 0; u < ag->nr_units; u = run_end(ag, u))
		runs++;
	return runs;
}

/* Runs of equal ages, each: u32 units, u64 age_ms. */
static bool put_runs(MigStream *s, const AgingAges *ag, GError **errp)
{
	for (uint64_t u = 0, end; u < ag->nr_units; u = end) {
		end = run_end(ag, u);
		if (!mig_put_u32(s, end - u, errp) ||
		    !mig_put_u64(s, ag->age_ms[u], errp))
			return false;
	}
	return true;
}

static bool save_bank(MigStream *s, RamBank *b, uint32_t index, uint32_t count,
		      GError **errp)
{
	AgingAges *ag = aging_export(b->backend->ages, b->gpa, errp);
	bool ok;

	if (!ag)
		return false;
	ok = mig_section_write(s, MIG_SECTION_AGES, index, errp) &&
	     mig_put_u32(s, MIG_AGES_VERSION, errp) &&
	     mig_put_u32(s, count, errp) && mig_put_u64(s, ag->gpa, errp) &&
	     mig_put_u64(s, ag->unit_size, errp) &&
	     mig_put_u64(s, ag->nr_units, errp) &&
	     mig_put_u64(s, count_runs(ag), errp) && put_runs(s, ag, errp);
	aging_ages_free(ag);
	return ok;
}

bool mig_ages_save(MigStream *s, RamList *ram, GError **errp)
{
	uint32_t count = 0, index = 0;
	RamBank *b;

	ram_for_each_bank(ram, b)
		count += bank_aged(b);
	if (!count)
		return mig_section_write(s, MIG_SECTION_AGES, MIG_AGES_NONE,
					 errp) &&
		       mig_put_u32(s, MIG_AGES_VERSION, errp) &&
		       mig_put_u32(s, 0, errp);
	ram_for_each_bank(ram, b) {
		if (!mig_bank_migrates(b))
			continue;
		if (b->backend->ages && !save_bank(s, b, index, count, errp)) {
			g_prefix_error(errp, "memdev '%s': ", b->backend->id);
			return false;
		}
		index++;
	}
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

static bool read_hdr(MigStream *s, AgesHdr *h, GError **errp)
{
	if (!mig_get_u32(s, &h->version, "ages section version", errp) ||
	    !mig_get_u32(s, &h->count, "ages section count", errp))
		return false;
	if (h->version != MIG_AGES_VERSION) {
		error_setg(errp,
			   "migration stream: ages section version %u, this "
			   "kvmage reads version %d",
			   h->version, MIG_AGES_VERSION);
		return false;
	}
	return true;
}

/* The bank's layout, checked against @b before anything is allocated. */
static bool read_layout(MigStream *s, AgesHdr *h, RamBank *b, uint32_t id,
			GError **errp)
{
	if (!mig_get_u64(s, &h->gpa, "ages gpa", errp) ||
	    !mig_get_u64(s, &h->unit_size, "ages unit size", errp) ||
	    !mig_get_u64(s, &h->nr_units, "ages unit count", errp) ||
	    !mig_get_u64(s, &h->nr_runs, "ages run count", errp))
		return false;
	if (h->gpa != b->gpa || !h->unit_size || h->unit_size > b->size ||
	    h->nr_units != b->size / h->unit_size || h->nr_runs > h->nr_units) {
		error_setg(errp,
			   "migration stream: ages of bank %u (memdev '%s' at "
			   "gpa 0x%" G_GINT64_MODIFIER "x) do not fit it: gpa "
			   "0x%" G_GINT64_MODIFIER "x, %" G_GUINT64_FORMAT
			   " units of %" G_GUINT64_FORMAT " bytes, "
			   "%" G_GUINT64_FORMAT " runs",
			   id, b->backend->id, b->gpa, h->gpa, h->nr_units,
			   h->unit_size, h->nr_runs);
		return false;
	}
	return true;
}

/* The runs into @age_ms (nr_units entries; NULL: read and dropped). */
static bool read_runs(MigStream *s, const AgesHdr *h, uint64_t *age_ms,
		      uint32_t id, GError **errp)
{
	uint64_t u = 0;

	for (uint64_t r = 0; r < h->nr_runs; r++) {
		uint32_t n;
		uint64_t ms;

		if (!mig_get_u32(s, &n, "ages run length", errp) ||
		    !mig_get_u64(s, &ms, "ages run value", errp))
			return false;
		if (!n || n > h->nr_units - u) {
			error_setg(errp,
				   "migration stream: ages of bank %u: run "
				   "%" G_GUINT64_FORMAT " of %u units at unit "
				   "%" G_GUINT64_FORMAT
				   " leaves the %" G_GUINT64_FORMAT " units",
				   id, r, n, u, h->nr_units);
			return false;
		}
		for (uint64_t end = u + n; age_ms && u < end; u++)
			age_ms[u] = ms;
		if (!age_ms)
			u += n;
	}
	if (u != h->nr_units) {
		error_setg(errp,
			   "migration stream: ages of bank %u: runs cover "
			   "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
			   " units",
			   id, u, h->nr_units);
		return false;
	}
	return true;
}

static bool load_bank(MigStream *s, RamList *ram, AgesHdr *h, uint32_t id,
		      GError **errp)
{
	RamBank *b = nth_bank(ram, id);
	AgingAges ag;
	bool ok;

	if (!b) {
		error_setg(errp,
			   "migration stream: ages of bank %u, this VM "
			   "has no such bank",
			   id);
		return false;
	}
	if (!read_layout(s, h, b, id, errp))
		return false;
	if (!b->backend->ages) /* not aged here: the ages are dropped */
		return read_runs(s, h, NULL, id, errp);
	ag = (AgingAges){ h->gpa, h->unit_size, h->nr_units,
			  g_new(uint64_t, h->nr_units) };
	ok = read_runs(s, h, ag.age_ms, id, errp) &&
	     aging_import(b->backend->ages, &ag, errp);
	if (!ok)
		g_prefix_error(errp, "memdev '%s': ", b->backend->id);
	g_free(ag.age_ms);
	return ok;
}

bool mig_ages_load(MigStream *s, RamList *ram, GError **errp)
{
	uint32_t id, count = 1;
	AgesHdr h;

	for (uint32_t k = 0; k < count; k++) {
		if (!mig_section_expect(s, MIG_SECTION_AGES, &id, errp) ||
		    !read_hdr(s, &h, errp))
			return false;
		if (k == 0 && !h.count && id == MIG_AGES_NONE)
			return true;
		if (!h.count || (k && h.count != count)) {
			error_setg(errp,
				   "migration stream: ages section %u "
				   "says %u sections",
				   id, h.count);
			return false;
		}
		count = h.count;
		if (!load_bank(s, ram, &h, id, errp))
			return false;
	}
	return true;
}
