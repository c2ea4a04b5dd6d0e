/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hooks through which the machine lends its memory to the memory jobs'
 * QMP commands (memory-populate).  Until main registers them there is no
 * memory backend: memory-populate fails with DeviceNotFound.
 * Locking: hooks are called from the main thread.
 */
#ifndef MONITOR_QMP_JOB_H
#define MONITOR_QMP_JOB_H

#include "memory/ram.h"

typedef struct QmpJobOps {
	/*
	 * The memory backend named @id and the machine's RAM banks, or NULL
	 * if there is no such backend.  Both live until job_shutdown().
	 */
	HostMemBackend *(*memdev)(void *opaque, const char *id, RamList **ram);
} QmpJobOps;

void qmp_job_set_ops(const QmpJobOps *ops, void *opaque);

#endif
