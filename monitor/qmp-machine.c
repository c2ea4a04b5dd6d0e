/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * query-name, query-kvm, query-cpus-fast, query-memdev and
 * query-memory-size-summary, answered through the hooks main registers
 * (include/monitor/qmp-machine.h).  Locking: main thread only.
 */
#include <unistd.h>

#include "backends/hostmem.h"
#include "monitor/qmp-machine.h"
#include "qapi-commands.h"

static struct {
	const QmpMachineOps *ops;
	void *opaque;
} machine;

void qmp_machine_set_ops(const QmpMachineOps *ops, void *opaque)
{
	machine.ops = ops;
	machine.opaque = opaque;
}

#define HOOK(fn) (machine.ops && machine.ops->fn)

bool qmp_query_name(NameInfo **ret, GError **errp)
{
	NameInfo *info = g_new0(NameInfo, 1);
	const char *name = HOOK(name) ? machine.ops->name(machine.opaque) :
					NULL;

	if (name) {
		info->has_name = true;
		info->name = g_strdup(name);
	}
	*ret = info;
	return true;
}

bool qmp_query_kvm(KvmInfo **ret, GError **errp)
{
	KvmInfo *info = g_new0(KvmInfo, 1);

	if (HOOK(kvm)) {
		machine.ops->kvm(machine.opaque, &info->enabled,
				 &info->present);
	} else {
		info->enabled = false;
		info->present = access("/dev/kvm", R_OK | W_OK) == 0;
	}
	*ret = info;
	return true;
}

bool qmp_query_cpus_fast(CpuInfoFastList **ret, GError **errp)
{
	*ret = NULL;
	return HOOK(cpus) ? machine.ops->cpus(machine.opaque, ret, errp) : true;
}

bool qmp_query_memdev(MemdevList **ret, GError **errp)
{
	*ret = NULL;
	return HOOK(memdevs) ? machine.ops->memdevs(machine.opaque, ret, errp) :
			       true;
}

bool qmp_query_memory_size_summary(MemoryInfo **ret, GError **errp)
{
	MemoryInfo *info = g_new0(MemoryInfo, 1);

	/* QEMU's -machine none: no RAM, hot-plug reported as 0 */
	info->has_plugged_memory = true;
	if (HOOK(memory) && !machine.ops->memory(machine.opaque, info, errp)) {
		qapi_free_MemoryInfo(info);
		return false;
	}
	*ret = info;
	return true;
}

Memdev *qmp_memdev_from_backend(const HostMemBackend *be)
{
	Memdev *m = g_new0(Memdev, 1);

	m->has_id = be->id != NULL;
	m->id = g_strdup(be->id);
	m->size = be->size;
	m->merge = be->merge;
	m->dump = be->dump;
	m->prealloc = be->prealloc;
	m->share = be->share;
	/* kvmage never maps guest memory with MAP_NORESERVE */
	m->has_reserve = true;
	m->reserve = true;
	m->host_nodes = NULL;
	m->policy = HOST_MEM_POLICY_DEFAULT;
	return m;
}

MemdevList *qmp_memdev_list(GPtrArray *backends)
{
	MemdevList *head = NULL, **tail = &head;
	guint i;

	for (i = 0; backends && i < backends->len; i++) {
		*tail = g_new0(MemdevList, 1);
		(*tail)->value = qmp_memdev_from_backend(backends->pdata[i]);
		tail = &(*tail)->next;
	}
	return head;
}
