/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hooks through which the machine answers QMP's queries about itself.
 * main registers them once the machine exists; until then (or for hooks
 * left NULL) the answers are those of QEMU's "-machine none": no name,
 * KVM not enabled, no vCPUs, no memory backends, zero memory.
 *
 * The result structures are the generated QAPI types; the hook allocates
 * them with g_new0()/g_strdup() and the monitor frees them.
 * Locking: hooks are called from the main thread.
 */
#ifndef MONITOR_QMP_MACHINE_H
#define MONITOR_QMP_MACHINE_H

#include <stdbool.h>
#include <glib.h>

#include "qapi-types.h"

typedef struct QmpMachineOps {
	/* -name, or NULL */
	const char *(*name)(void *opaque);
	void (*kvm)(void *opaque, bool *enabled, bool *present);
	bool (*cpus)(void *opaque, CpuInfoFastList **ret, GError **errp);
	bool (*memdevs)(void *opaque, MemdevList **ret, GError **errp);
	bool (*memory)(void *opaque, MemoryInfo *info, GError **errp);
} QmpMachineOps;

void qmp_machine_set_ops(const QmpMachineOps *ops, void *opaque);

typedef struct HostMemBackend HostMemBackend;

/* query-memdev's entry for @be, as QEMU reports a memory backend. */
Memdev *qmp_memdev_from_backend(const HostMemBackend *be);
/* A list for @backends (HostMemBackend *), in order; NULL if empty. */
MemdevList *qmp_memdev_list(GPtrArray *backends);

#endif
