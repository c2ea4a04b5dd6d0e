/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Export and import of proven ages (include/aging/aging.h), so that
 * migration can carry them: an age leaves as the milliseconds it proves
 * and arrives rebased onto the receiver's scan counter and interval
 * history, rounded down, so no side claims more idleness than was proven.
 *
 * Locking: both take the Aging's lock for the walk.
 */

#include "aging/aging-int.h"
#include "util/error.h"

/* The range starting at @gpa, or NULL.  Lock held (ranges are fixed). */
static AgingRange *aging_range_at(Aging *a, uint64_t gpa)
{
	for (guint i = 0; i < a->ranges->len; i++) {
		AgingRange *r = &g_array_index(a->ranges, AgingRange, i);

		if (r->gpa == gpa)
			return r;
	}
	return NULL;
}

AgingAges *aging_export(Aging *a, uint64_t gpa, GError **errp)
{
	AgingAges *ex;
	AgingRange *r;

	g_mutex_lock(&a->lock);
	r = aging_range_at(a, gpa);
	if (!r) {
		g_mutex_unlock(&a->lock);
		error_setg(errp,
			   "memdev '%s' ages no bank at 0x%" G_GINT64_MODIFIER
			   "x",
			   a->name, gpa);
		return NULL;
	}
	ex = g_new0(AgingAges, 1);
	ex->gpa = r->gpa;
	ex->unit_size = r->page_size;
	ex->nr_units = r->nr_units;
	ex->age_ms = g_new(uint64_t, r->nr_units);
	for (uint64_t u = 0; u < r->nr_units; u++)
		ex->age_ms[u] = aging_scans_ms(a, aging_proven_age(a, r, u));
	g_mutex_unlock(&a->lock);
	return ex;
}

void aging_ages_free(AgingAges *ex)
{
	if (!ex)
		return;
	g_free(ex->age_ms);
	g_free(ex);
}

/*
 * The most scans of @a's history that @ms covers (rounded down), at most
 * AGING_AGE_MAX.  Lock held.
 */
static unsigned aging_ms_floor(const Aging *a, uint64_t ms)
{
	uint64_t k = aging_ms_scans(a, ms);

	/* k is the fewest scans covering at least @ms: one too many? */
	if (k > AGING_AGE_MAX)
		return AGING_AGE_MAX;
	if (aging_scans_ms(a, k) > ms)
		k--;
	return k;
}

/*
 * Set unit @u of @r to proven age @age scans (never older than before
 * if it was seen accessed).  Lock held.
 */
static void aging_import_unit(Aging *a, AgingRange *r, uint64_t u, unsigned age)
{
	unsigned horizon = MIN(a->now, AGING_AGE_MAX);
	uint16_t at;

	/* Seen accessed here: what the receiver saw is as good a proof. */
	if (aging_seen_age(a, r, u) < horizon)
		age = MIN(age, aging_proven_age(a, r, u));
	at = (uint16_t)(a->now - age);
	r->last[u] = at;
	if (r->since)
		r->since[u] = at;
}

bool aging_import(Aging *a, const AgingAges *ex, GError **errp)
{
	AgingRange *r;

	g_mutex_lock(&a->lock);
	r = aging_range_at(a, ex->gpa);
	if (!r || r->page_size != ex->unit_size ||
	    r->nr_units != ex->nr_units) {
		g_mutex_unlock(&a->lock);
		error_setg(errp,
			   "memdev '%s': the imported ages of the bank at "
			   "0x%" G_GINT64_MODIFIER "x (%" G_GUINT64_FORMAT
			   " units of %" G_GUINT64_FORMAT
			   " bytes) match no bank aged here",
			   a->name, ex->gpa, ex->nr_units, ex->unit_size);
		return false;
	}
	for (uint64_t u = 0; u < r->nr_units; u++)
		aging_import_unit(a, r, u, aging_ms_floor(a, ex->age_ms[u]));
	g_mutex_unlock(&a->lock);
	return true;
}
