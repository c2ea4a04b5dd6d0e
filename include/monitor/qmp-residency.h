/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hook through which the machine lets query-memory-residency see its
 * memory backends.  Until main registers it there are none: the query
 * returns an empty list, and naming a memdev fails with DeviceNotFound.
 * Locking: the hook is called from the main thread.
 */
#ifndef MONITOR_QMP_RESIDENCY_H
#define MONITOR_QMP_RESIDENCY_H

#include <glib.h>

typedef struct QmpResidencyOps {
	/* HostMemBackend *, allocated, in query-memdev order (borrowed) */
	GPtrArray *(*backends)(void *opaque);
} QmpResidencyOps;

void qmp_residency_set_ops(const QmpResidencyOps *ops, void *opaque);

#endif
