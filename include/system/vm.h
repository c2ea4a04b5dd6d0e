/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VM as a whole: the top of the layers, which wires together what
 * the lower ones must not know about each other.  vm_create() builds the
 * machine (hw/), then the -object memory-aging objects on its RAM and
 * KVM VM (aging/), then sets reclaim up on both (reclaim/), and makes
 * them what QMP sees (machine_current(), ram_list_guest(), the aging
 * objects' own list); vm_destroy() ends the jobs (job/) and tears down
 * in reverse.  One VM per process.
 *
 * The run-state actions (vm_pause(), vm_resume(), vm_reset(), vm_quit())
 * are what system/runstate.c does to the VM on stop, cont, system_reset
 * and quit.  Without a VM they answer as QEMU's -machine none with no
 * machine to act on: pause and resume do nothing, reset is unsupported,
 * quit only leaves the main loop of whoever watches the run state.
 * (The QMP test server, tests/qmp/qmp-test-server.c, links its own
 * versions of these four functions instead, so this file is left out.)
 *
 * Locking: main thread only.
 */
#ifndef SYSTEM_VM_H
#define SYSTEM_VM_H

#include <stdbool.h>
#include <glib.h>

#include "hw/machine.h"

/*
 * Build the machine of @cfg (machine_create()), its aging objects and
 * reclaim; NULL with @errp set on failure, with nothing left behind.
 * @main_ctx is woken when a shutdown is requested.
 */
Machine *vm_create(VmConfig *cfg, GMainContext *main_ctx, GError **errp);
/* Start the vCPUs (paused with -S), then the aging harvest threads. */
bool vm_start(Machine *m, GError **errp);
/*
 * End the jobs (cancelled), tear reclaim and the aging objects down,
 * then destroy the machine.  NULL is a no-op.
 */
void vm_destroy(Machine *m);

/* Pause every vCPU (QMP stop). */
bool vm_pause(GError **errp);
/* Start or resume every vCPU (QMP cont). */
bool vm_resume(GError **errp);
/* Reset the VM (QMP system_reset); fails where that is not supported. */
bool vm_reset(GError **errp);
/* Ask the main loop to end the VM with status 0 (QMP quit). */
void vm_quit(void);

#endif
