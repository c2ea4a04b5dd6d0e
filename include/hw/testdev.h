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

/*
 * The state the guest can observe, for migration: the count of
 * UCALL_SYNC calls, which each call returns to the guest, as a
 * little-endian u64 (TESTDEV_STATE_SIZE bytes, version
 * TESTDEV_STATE_VERSION).  The hook and the output are the host's, not
 * state.  Same contract as serial_state_save/load (include/hw/serial.h).
 * Both take the device lock.
 */
#define TESTDEV_STATE_VERSION 1
#define TESTDEV_STATE_SIZE    8
size_t testdev_state_save(void *state, uint8_t *buf, size_t size);
bool testdev_state_load(void *state, uint32_t version, const uint8_t *buf,
			size_t len, GError **errp);

#endif
