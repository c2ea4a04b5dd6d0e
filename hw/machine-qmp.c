/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The machine's side of QMP: run-state hooks (stop, cont, quit) and the
 * answers to query-name, query-kvm, query-cpus-fast, query-memdev,
 * query-memory-size-summary, and the backends query-memory-residency
 * reads.  Registered by main once the machine exists.
 *
 * Locking: every hook runs in the main thread (the monitor's context);
 * vCPU state is read through vcpu_*() accessors, which lock.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "accel/kvm.h"
#include "aging/aging-object.h"
#include "hw/machine-qmp.h"
#include "monitor/qmp-job.h"
#include "monitor/qmp-machine.h"
#include "monitor/qmp-residency.h"
#include "reclaim/reclaim.h"
#include "system/runstate.h"
#include "util/error.h"

static bool machine_qmp_pause(void *opaque, GError **errp)
{
	vcpu_pause_all(((Machine *)opaque)->kvm);
	return true;
}

static bool machine_qmp_resume(void *opaque, GError **errp)
{
	vcpu_resume_all(((Machine *)opaque)->kvm);
	return true;
}

static void machine_qmp_quit(void *opaque)
{
	machine_request_shutdown(opaque, 0, "quit requested over QMP");
}

/*
 * -machine none has no CPU or device state to reset, so system_reset just
 * succeeds (and sends RESET), as in QEMU.  Resetting a running guest
 * program (reloading the image and the boot state of every vCPU) is not
 * implemented yet: system_reset then fails with a GenericError.
 */
static bool machine_qmp_reset(void *opaque, GError **errp)
{
	Machine *m = opaque;

	if (machine_has_cpus(m)) {
		error_setg(errp, "system_reset is not supported for guest "
				 "programs yet (machine 'pc')");
		return false;
	}
	return true;
}

static const RunstateOps machine_runstate_ops = {
	.pause = machine_qmp_pause,
	.resume = machine_qmp_resume,
	.reset = machine_qmp_reset,
	.quit = machine_qmp_quit,
};

static const char *machine_qmp_name(void *opaque)
{
	Machine *m = opaque;

	return m->cfg->name;
}

static void machine_qmp_kvm(void *opaque, bool *enabled, bool *present)
{
	Machine *m = opaque;

	*enabled = m->kvm != NULL;
	*present = *enabled || access("/dev/kvm", R_OK | W_OK) == 0;
}

static bool machine_qmp_cpus(void *opaque, CpuInfoFastList **ret, GError **errp)
{
	Machine *m = opaque;
	CpuInfoFastList **tail = ret;

	for (unsigned i = 0; i < m->nr_vcpus; i++) {
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

static bool machine_qmp_memdevs(void *opaque, MemdevList **ret, GError **errp)
{
	Machine *m = opaque;

	*ret = qmp_memdev_list(m->backends);
	return true;
}

static bool machine_qmp_memory(void *opaque, MemoryInfo *info, GError **errp)
{
	Machine *m = opaque;

	info->base_memory = m->ram.ram_size;
	info->has_plugged_memory = true;
	info->plugged_memory = 0;
	return true;
}

static const QmpMachineOps machine_qmp_ops = {
	.name = machine_qmp_name,
	.kvm = machine_qmp_kvm,
	.cpus = machine_qmp_cpus,
	.memdevs = machine_qmp_memdevs,
	.memory = machine_qmp_memory,
};

static GPtrArray *machine_qmp_backends(void *opaque)
{
	Machine *m = opaque;

	return m->backends;
}

static const QmpResidencyOps machine_residency_ops = {
	.backends = machine_qmp_backends,
};

static HostMemBackend *machine_qmp_memdev(void *opaque, const char *id,
					  RamList **ram)
{
	Machine *m = opaque;

	*ram = &m->ram;
	for (guint i = 0; i < m->backends->len; i++) {
		HostMemBackend *be = g_ptr_array_index(m->backends, i);

		if (!strcmp(be->id, id))
			return be;
	}
	return NULL;
}

static const QmpJobOps machine_job_ops = {
	.memdev = machine_qmp_memdev,
};

void machine_qmp_register(Machine *m)
{
	runstate_set_ops(&machine_runstate_ops, m);
	qmp_machine_set_ops(&machine_qmp_ops, m);
	qmp_residency_set_ops(&machine_residency_ops, m);
	qmp_job_set_ops(&machine_job_ops, m);
	if (m->aging)
		aging_objects_qmp_register(m->aging);
	reclaim_setup(&m->ram, m->aging);
}
