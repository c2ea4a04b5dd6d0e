/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Proven ages through aging_export() (tests/proven-ages.h).
 */
#include <glib.h>

#include "proven-ages.h"

AgingAges *ages_export(Aging *a, uint64_t bank_gpa)
{
	g_autoptr(GError) err = NULL;
	AgingAges *ex = aging_export(a, bank_gpa, &err);

	g_assert_no_error(err);
	g_assert_nonnull(ex);
	return ex;
}

AgingAges *ages_export_at(Aging *a, RamList *ram, uint64_t gpa)
{
	RamBank *b = ram_bank_find(ram, gpa);

	g_assert_nonnull(b);
	return ages_export(a, b->gpa);
}

unsigned ages_at(Aging *a, const AgingAges *ex, uint64_t gpa)
{
	uint64_t u;

	g_assert_cmpuint(gpa, >=, ex->gpa);
	u = (gpa - ex->gpa) / ex->unit_size;
	g_assert_cmpuint(u, <, ex->nr_units);
	return aging_ms_to_scans(a, ex->age_ms[u]);
}

unsigned ages_page_age(Aging *a, uint64_t bank_gpa, uint64_t gpa)
{
	g_autoptr(AgingAges) ex = ages_export(a, bank_gpa);

	return ages_at(a, ex, gpa);
}
