/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef HW_TESTDEV_H
#define HW_TESTDEV_H

#include <stdio.h>

#include "hw/machine.h"
#include "kvmage/guest-abi.h"

/*
 * The test device: ucall at UCALL_PORT and the exit port at EXIT_PORT
 * (see kvmage/guest-abi.h).  Runs in the vCPU thread that made the call.
 */
bool testdev_init(Machine *m, void **state, GError **errp);
void testdev_exit(Machine *m, void *state);

/*
 * Hook for subsystems that follow the guest's progress (aging tests,
 * migration): called for every UCALL_SYNC after the device has handled it,
 * from the vCPU thread.  One hook at a time.
 */
typedef void (*TestdevSyncFn)(void *opaque, const struct ucall *uc);
void testdev_set_sync_hook(void *state, TestdevSyncFn fn, void *opaque);

/*
 * Send guest text (PRINTF, REPORT) to @out instead of stdout, e.g. stderr
 * in in-process tests whose stdout carries TAP.  Before the vCPUs run.
 */
void testdev_set_output(void *state, FILE *out);

#endif
