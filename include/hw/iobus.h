/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An address space of device handlers, used for both port I/O (KVM_EXIT_IO)
 * and MMIO (KVM_EXIT_MMIO).  Devices register [base, base+len) ranges at
 * init, before vCPUs run; dispatch then only reads the table, so it takes no
 * lock.  Handlers run in the vCPU thread that exited and must do their own
 * locking for device state.
 */
#ifndef HW_IOBUS_H
#define HW_IOBUS_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

typedef struct IoBus IoBus;

typedef struct IoBusOps {
	const char *name; /* device name for error messages; may be NULL */
	/* @addr is relative to the registered base; size is 1, 2, 4 or 8. */
	void (*read)(void *opaque, uint64_t addr, void *data, unsigned size);
	void (*write)(void *opaque, uint64_t addr, const void *data,
		      unsigned size);
} IoBusOps;

IoBus *iobus_new(const char *name);
void iobus_free(IoBus *bus);
bool iobus_register(IoBus *bus, uint64_t base, uint64_t len,
		    const IoBusOps *ops, void *opaque, GError **errp);
/*
 * Run the handler that covers @addr.  Returns false when no device does:
 * the caller then treats reads as all-ones and drops writes, like QEMU.
 */
bool iobus_dispatch(IoBus *bus, uint64_t addr, void *data, unsigned size,
		    bool is_write);

#endif
