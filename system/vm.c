/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VM: machine, aging objects, reclaim and jobs wired together, and
 * the run-state actions on them; see include/system/vm.h.
 * Locking: main thread only.
 */
#include "accel/kvm.h"
#include "aging/aging-object.h"
#include "job/job.h"
#include "memory/ram.h"
#include "reclaim/reclaim.h"
#include "system/vm.h"
#include "util/error.h"

/* The process's VM, NULL while none is built.  Main thread. */
static struct {
	Machine *m;
	AgingObjects *aging;
} vm;

Machine *vm_create(VmConfig *cfg, GMainContext *main_ctx, GError **errp)
{
	Machine *m;

	if (vm.m) {
		error_setg(errp, "a VM already exists in this process");
		return NULL;
	}
	m = machine_create(cfg, main_ctx, errp);
	if (!m)
		return NULL;
	/* -machine none has no KVM VM: aging objects are refused then */
	vm.aging = aging_objects_new(cfg, &m->ram, m->kvm, m->dirty_log, errp);
	if (!vm.aging) {
		machine_destroy(m);
		return NULL;
	}
	reclaim_setup(&m->ram);
	ram_list_set_guest(&m->ram);
	machine_set_current(m);
	vm.m = m;
	return m;
}

bool vm_start(Machine *m, GError **errp)
{
	if (!machine_start(m, errp))
		return false;
	/* Harvest from VM start (also when paused: idle pages age). */
	return aging_objects_start(vm.aging, errp);
}

void vm_destroy(Machine *m)
{
	if (!m)
		return;
	/* Jobs work on guest RAM: they end before anything goes away. */
	job_shutdown();
	reclaim_teardown();
	/*
	 * Then the aging objects (harvest threads joined first), while the
	 * KVM VM and its memslots they watch exist.
	 */
	aging_objects_free(vm.aging);
	vm.aging = NULL;
	machine_set_current(NULL);
	ram_list_set_guest(NULL);
	vm.m = NULL;
	machine_destroy(m);
}

bool vm_pause(GError **errp)
{
	if (vm.m)
		vcpu_pause_all(vm.m->kvm);
	return true;
}

bool vm_resume(GError **errp)
{
	if (vm.m)
		vcpu_resume_all(vm.m->kvm);
	return true;
}

bool vm_reset(GError **errp)
{
	if (!vm.m) {
		/* QEMU's wording for an unsupported operation */
		error_setg(errp, "this feature or command is not currently "
				 "supported");
		return false;
	}
	return machine_reset(vm.m, errp);
}

void vm_quit(void)
{
	if (vm.m)
		machine_request_shutdown(vm.m, 0, "quit requested over QMP");
}
