/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Proven ages read back the way the product hands them out: through
 * aging_export() (include/aging/aging.h), which gives, per unit of one
 * bank, the milliseconds the unit is proven idle, turned back into scans
 * with aging_ms_to_scans().  The round trip is exact: every interval is
 * at least 1 ms, so the milliseconds of k scans are covered by no fewer
 * than k scans.  It is exact only while the Aging's scan counter and
 * interval do not move between the export and the lookups: export after
 * the scans, with no harvest thread running.
 *
 * Locking: aging_export() takes the Aging's lock; an AgingAges is the
 * caller's.
 */
#ifndef TESTS_AGING_UTIL_H
#define TESTS_AGING_UTIL_H

#include <stdint.h>

#include "aging/aging.h"

/* aging_export() of the bank at @bank_gpa; a failure fails the test. */
AgingAges *ages_export(Aging *a, uint64_t bank_gpa);
/* aging_export() of the bank of @ram holding @gpa (a machine's banks). */
AgingAges *ages_export_at(Aging *a, RamList *ram, uint64_t gpa);
/*
 * Proven age in scans of the unit of @ex holding @gpa (fails the test
 * if @ex does not hold it).
 */
unsigned ages_at(Aging *a, const AgingAges *ex, uint64_t gpa);
/* ages_at() on a fresh export of the bank at @bank_gpa. */
unsigned ages_page_age(Aging *a, uint64_t bank_gpa, uint64_t gpa);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(AgingAges, aging_ages_free)

#endif
