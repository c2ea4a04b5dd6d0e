/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * I/O bus: a sorted table of [base, base + len) ranges, each owned by one
 * device, looked up by binary search on every port I/O or MMIO exit.
 *
 * Locking: the table is built by the main thread while the machine is set
 * up, before any vCPU runs, and is read-only from then on.  Dispatch
 * therefore takes no lock; it runs in whichever vCPU thread exited, and the
 * device handlers protect their own state.  iobus_register() and
 * iobus_free() must not run while vCPUs may dispatch.
 */
#include <inttypes.h>
#include <string.h>

#include "hw/iobus.h"
#include "util/error.h"

typedef struct IoBusRange {
	uint64_t base;
	uint64_t len;
	const IoBusOps *ops;
	void *opaque;
} IoBusRange;

struct IoBus {
	char *name;
	GArray *ranges; /* IoBusRange, sorted by base, never overlapping */
};

IoBus *iobus_new(const char *name)
{
	IoBus *bus = g_new0(IoBus, 1);

	bus->name = g_strdup(name);
	bus->ranges = g_array_new(FALSE, FALSE, sizeof(IoBusRange));
	return bus;
}

void iobus_free(IoBus *bus)
{
	if (!bus)
		return;
	g_array_free(bus->ranges, TRUE);
	g_free(bus->name);
	g_free(bus);
}

static IoBusRange *iobus_range(IoBus *bus, guint i)
{
	return &g_array_index(bus->ranges, IoBusRange, i);
}

/* Index of the first range whose base is greater than @addr. */
static guint iobus_upper_bound(IoBus *bus, uint64_t addr)
{
	guint lo = 0, hi = bus->ranges->len;

	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;

		if (iobus_range(bus, mid)->base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Last byte of a range, which cannot overflow once registered. */
static uint64_t iobus_range_last(const IoBusRange *r)
{
	return r->base + r->len - 1;
}

static const char *iobus_ops_name(const IoBusOps *ops)
{
	return ops->name ? ops->name : "unnamed device";
}

static bool iobus_check_overlap(IoBus *bus, guint pos, const IoBusOps *ops,
				uint64_t base, uint64_t last, GError **errp)
{
	const IoBusRange *r = NULL;

	if (pos > 0 && iobus_range_last(iobus_range(bus, pos - 1)) >= base)
		r = iobus_range(bus, pos - 1);
	else if (pos < bus->ranges->len && iobus_range(bus, pos)->base <= last)
		r = iobus_range(bus, pos);
	if (!r)
		return true;
	error_setg(errp,
		   "%s: %s at 0x%" PRIx64 "-0x%" PRIx64
		   " overlaps %s at 0x%" PRIx64 "-0x%" PRIx64,
		   bus->name, iobus_ops_name(ops), base, last,
		   iobus_ops_name(r->ops), r->base, iobus_range_last(r));
	return false;
}

/* Main thread only, before vCPUs run (see the locking rule above). */
bool iobus_register(IoBus *bus, uint64_t base, uint64_t len,
		    const IoBusOps *ops, void *opaque, GError **errp)
{
	IoBusRange r = {
		.base = base,
		.len = len,
		.ops = ops,
		.opaque = opaque,
	};
	uint64_t last;
	guint pos;

	if (!len) {
		error_setg(errp, "%s: %s has an empty range at 0x%" PRIx64,
			   bus->name, iobus_ops_name(ops), base);
		return false;
	}
	if (base + (len - 1) < base) {
		error_setg(errp,
			   "%s: %s range at 0x%" PRIx64 " of 0x%" PRIx64
			   " bytes wraps around",
			   bus->name, iobus_ops_name(ops), base, len);
		return false;
	}
	last = base + (len - 1);
	pos = iobus_upper_bound(bus, base);
	if (!iobus_check_overlap(bus, pos, ops, base, last, errp))
		return false;
	g_array_insert_val(bus->ranges, pos, r);
	return true;
}

/* Lock-free: the table is read-only while vCPUs run. */
bool iobus_dispatch(IoBus *bus, uint64_t addr, void *data, unsigned size,
		    bool is_write)
{
	guint pos = iobus_upper_bound(bus, addr);
	const IoBusRange *r;

	if (!pos)
		return false;
	r = iobus_range(bus, pos - 1);
	if (addr > iobus_range_last(r))
		return false;
	if (is_write) {
		if (r->ops->write)
			r->ops->write(r->opaque, addr - r->base, data, size);
	} else if (r->ops->read) {
		r->ops->read(r->opaque, addr - r->base, data, size);
	} else {
		memset(data, 0xff, size);
	}
	return true;
}
