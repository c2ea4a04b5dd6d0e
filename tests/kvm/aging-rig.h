/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The common part of the in-process kvm tests' rigs (test-aging-*.c,
 * test-uffd-alias.c): build a machine from a kvmage command line with the
 * testdev wired to the test, tear it down, and record the layout the
 * workload guest reports in its SYNC ucalls.  Each test keeps its own
 * aging backend, scans and scoring.
 */
#ifndef TESTS_KVM_AGING_RIG_H
#define TESTS_KVM_AGING_RIG_H

#include <stdint.h>
#include <glib.h>

#include "aging/aging.h"
#include "aging/feed.h"
#include "hw/machine.h"
#include "hw/testdev.h"

/*
 * options_parse() of the NULL-terminated @argv (argv[0] first; a bad
 * command line fails the test), then vm_create() (the machine, its
 * -object memory-aging objects, which QMP then sees, and reclaim; start
 * with vm_start() to start those objects too).  On success the
 * testdev prints to stderr and, if @hook is not NULL, calls
 * @hook(@opaque, uc) at each SYNC; *@cfgp is the config to hand to
 * rig_machine_free().  NULL with @errp set if vm_create() failed
 * (the config is freed then).
 */
Machine *rig_machine_new(char **argv, TestdevSyncFn hook, void *opaque,
			 VmConfig **cfgp, GError **errp);
/* Destroy @m and free @cfg; pause the vCPUs first if they ran. */
void rig_machine_free(Machine *m, VmConfig *cfg);

/*
 * What the workload guest said: the number of SYNCs, the control word
 * (SYNC 0) and the data area and its hot bytes (SYNC 1).  Written by the
 * vCPU thread in the SYNC hook, read by the test thread: @syncs and
 * @filled are atomic, the rest is read only once @filled or @syncs says
 * SYNC 1 came.
 */
typedef struct RigWorkload {
	gint syncs;
	gint filled; /* 1 once SYNC 1 came */
	uint64_t control_gpa;
	uint64_t data_gpa, data_size, hot_size;
} RigWorkload;

/* Zero @w before a run (no vCPU may be running). */
void rig_workload_reset(RigWorkload *w);
/* Record SYNC @uc in @w; called from a test's SYNC hook. */
void rig_workload_sync(RigWorkload *w, const struct ucall *uc);

/* The feed environment of @m (its KVM, RAM and dirty log). */
AgingFeedEnv rig_feed_env(Machine *m);

/* A machine aged by userfaultfd (test-aging-uffd, test-aging-uffd-huge). */
typedef struct RigUffd {
	VmConfig *cfg;
	Machine *m;
	Aging *a;
	AgingFeed feed; /* uffd */
} RigUffd;

/*
 * Age memdev "mem0" of @r->m (from rig_machine_new()) every @ival_ms by
 * uffd, 1 in @sample pages armed per scan, reset @w and start the
 * machine; a failure fails the test.
 */
void rig_uffd_start(RigUffd *r, unsigned sample, unsigned ival_ms,
		    RigWorkload *w);
/* Pause the vCPUs and free what rig_uffd_start() and @r->m hold. */
void rig_uffd_stop(RigUffd *r);

#endif
