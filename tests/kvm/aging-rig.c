/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Common rig of the in-process kvm tests (see aging-rig.h). */
#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "accel/kvm.h"
#include "system/vm.h"
#include "aging-rig.h"
#include "system/options.h"

Machine *rig_machine_new(char **argv, TestdevSyncFn hook, void *opaque,
			 VmConfig **cfgp, GError **errp)
{
	g_autoptr(GError) err = NULL;
	VmConfig *cfg;
	Machine *m;
	void *td;

	cfg = options_parse(g_strv_length(argv), argv, &err);
	g_assert_no_error(err);
	m = vm_create(cfg, NULL, errp);
	if (!m) {
		vm_config_free(cfg);
		return NULL;
	}
	td = machine_device_state(m, "testdev");
	testdev_set_output(td, stderr);
	if (hook)
		testdev_set_sync_hook(td, hook, opaque);
	*cfgp = cfg;
	return m;
}

void rig_machine_free(Machine *m, VmConfig *cfg)
{
	vm_destroy(m);
	vm_config_free(cfg);
}

/* Locking: before any vCPU runs, or after all are paused. */
void rig_workload_reset(RigWorkload *w)
{
	g_atomic_int_set(&w->syncs, 0);
	g_atomic_int_set(&w->filled, 0);
	w->control_gpa = 0;
	w->data_gpa = w->data_size = w->hot_size = 0;
}

/*
 * Locking: the vCPU thread's SYNC hook; the layout is written before
 * @filled and @syncs are bumped, so a reader that saw them sees it.
 */
void rig_workload_sync(RigWorkload *w, const struct ucall *uc)
{
	if (uc->args[0] == 0)
		w->control_gpa = uc->args[1];
	if (uc->args[0] == 1) {
		w->data_gpa = uc->args[1];
		w->data_size = uc->args[2];
		w->hot_size = uc->args[3];
		g_atomic_int_set(&w->filled, 1);
	}
	g_atomic_int_inc(&w->syncs);
}

AgingFeedEnv rig_feed_env(Machine *m)
{
	return (AgingFeedEnv){ .kvm = m->kvm,
			       .ram = &m->ram,
			       .dl = m->dirty_log };
}

void rig_uffd_start(RigUffd *r, unsigned sample, unsigned ival_ms,
		    RigWorkload *w)
{
	g_autoptr(GError) err = NULL;
	AgingCoverage cov = aging_feed_uffd.coverage(sample);
	AgingFeedEnv env = rig_feed_env(r->m);

	r->a = aging_new("mem0", &r->m->ram, NULL, ival_ms, &cov, &err);
	g_assert_no_error(err);
	g_assert_true(aging_feed_new(&r->feed, &aging_feed_uffd, &env, r->a,
				     NULL, sample, false, &err));
	g_assert_no_error(err);
	rig_workload_reset(w);
	g_assert_true(machine_start(r->m, &err));
	g_assert_no_error(err);
}

void rig_uffd_stop(RigUffd *r)
{
	vcpu_pause_all(r->m->kvm);
	aging_feed_free(&r->feed);
	aging_free(r->a);
	rig_machine_free(r->m, r->cfg);
}
