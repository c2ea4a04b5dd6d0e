/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hooks through which the machine's memory-aging objects answer
 * query-memory-aging and memory-aging-set.  Until main registers them
 * there are no objects: the query returns an empty list and
 * memory-aging-set fails with DeviceNotFound.
 * Locking: hooks are called from the main thread.
 */
#ifndef MONITOR_QMP_AGING_H
#define MONITOR_QMP_AGING_H

#include <stdbool.h>
#include <glib.h>

#include "qapi-types.h"

/* The members of memory-aging-set, as the client gave them. */
typedef struct QmpAgingSet {
	const char *id;
	bool has_enable, has_interval, has_backend, has_mode, has_sample;
	bool enable;
	int64_t interval;
	MemoryAgingBackend backend;
	MemoryAgingMode mode;
	int64_t sample;
} QmpAgingSet;

typedef struct QmpAgingOps {
	bool (*query)(void *opaque, bool has_cold_ms, int64_t cold_ms,
		      MemoryAgingInfoList **ret, GError **errp);
	bool (*set)(void *opaque, const QmpAgingSet *req, GError **errp);
} QmpAgingOps;

void qmp_aging_set_ops(const QmpAgingOps *ops, void *opaque);

#endif
