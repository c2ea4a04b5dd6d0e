/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The machine's QMP queries: query-name, query-kvm, query-cpus-fast and
 * query-memory-size-summary, answered from machine_current().  Without
 * a machine (none built yet, or a program that has none) the answers
 * are those of QEMU's "-machine none": no name, KVM not enabled, no
 * vCPUs, no memory.
 *
 * Locking: main thread only (the monitor's context); vCPU state is read
 * through vcpu_*() accessors, which lock.
 */
#include <unistd.h>

#include "accel/kvm.h"
#include "hw/machine.h"
#include "qapi-commands.h"

bool qmp_query_name(NameInfo **ret, GError **errp)
{
	Machine *m = machine_current();
	NameInfo *info = g_new0(NameInfo, 1);

	if (m && m->cfg->name) {
		info->has_name = true;
		info->name = g_strdup(m->cfg->name);
	}
	*ret = info;
	return true;
}

bool qmp_query_kvm(KvmInfo **ret, GError **errp)
{
	Machine *m = machine_current();
	KvmInfo *info = g_new0(KvmInfo, 1);

	info->enabled = m && m->kvm;
	info->present = info->enabled || access("/dev/kvm", R_OK | W_OK) == 0;
	*ret = info;
	return true;
}

bool qmp_query_cpus_fast(CpuInfoFastList **ret, GError **errp)
{
	Machine *m = machine_current();
	CpuInfoFastList **tail = ret;

	*ret = NULL;
	for (unsigned i = 0; m && i < m->nr_vcpus; i++) {
		CpuInfoFast *info = g_new0(CpuInfoFast, 1);

		info->cpu_index = i;
		info->qom_path =
			g_strdup_printf("/machine/unattached/device[%u]", i);
		info->thread_id = vcpu_thread_id(m->vcpus[i]);
		info->has_props = true;
		info->props = g_new0(CpuInstanceProperties, 1);
		info->props->has_socket_id = true;
		info->props->socket_id = i;
		info->props->has_core_id = true;
		info->props->has_thread_id = true;
		info->target = SYS_EMU_TARGET_X86_64;
		*tail = g_new0(CpuInfoFastList, 1);
		(*tail)->value = info;
		tail = &(*tail)->next;
	}
	return true;
}

bool qmp_query_memory_size_summary(MemoryInfo **ret, GError **errp)
{
	Machine *m = machine_current();
	MemoryInfo *info = g_new0(MemoryInfo, 1);

	/* QEMU's -machine none: no RAM, hot-plug reported as 0 */
	info->base_memory = m ? m->ram.ram_size : 0;
	info->has_plugged_memory = true;
	info->plugged_memory = 0;
	*ret = info;
	return true;
}
