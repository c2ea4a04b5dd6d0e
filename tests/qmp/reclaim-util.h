/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the reclaim QMP tests (test-qmp-reclaim, test-qmp-reclaim-
 * proof): residency of a range, the reclaim info of the one aged memdev,
 * waiting for a job's result, its shortfall and accounting identities.
 */
#ifndef TESTS_QMP_RECLAIM_UTIL_H
#define TESTS_QMP_RECLAIM_UTIL_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "libqmp.h"

typedef struct Residency {
	gint64 present, swapped, absent;
} Residency;

gint64 reclaim_get_int(JsonObject *o, const char *key);
/* query-memory-residency of @memdev's [@off, @off + @size). */
Residency reclaim_residency(QmpConn *c, const char *memdev, gint64 off,
			    gint64 size);
/* The query-memory-reclaim entry of the only aged memdev (a copy). */
JsonNode *reclaim_info(QmpConn *c);
/* Wait for job @id to end (@timeout_s, scaled); returns its result. */
JsonNode *reclaim_wait_result(QmpConn *c, const char *id, int timeout_s);
/* Bytes of the result's shortfall for @reason (0 if none). */
gint64 reclaim_shortfall(JsonObject *r, const char *reason);
/*
 * selected = advised (would-advise in a dry run) + raced + absent +
 * already swapped + unswappable + failed + not reached, and requested =
 * selected + skipped hot + skipped unproven.
 */
void reclaim_check_sums(JsonObject *r);

#endif
