/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The device sections (include/migration/sections.h): each device keeps
 * its own save and load functions (hw/ does not know the stream); this
 * file frames them.
 */
#include <string.h>

#include "hw/serial.h"
#include "hw/testdev.h"
#include "migration/sections.h"
#include "util/error.h"

typedef struct MigDevice {
	const char *name; /* the device module's (hw/machine.c) */
	uint32_t version;
	size_t (*save)(void *state, uint8_t *buf, size_t size);
	bool (*load)(void *state, uint32_t version, const uint8_t *buf,
		     size_t len, GError **errp);
} MigDevice;

/*
 * In the machine's device order.  A device with no state the guest can
 * observe is listed too, with a save that returns 0: its section goes
 * empty but versioned, so a later version can add state.
 */
static const MigDevice mig_devices[] = {
	{ "serial", SERIAL_STATE_VERSION, serial_state_save,
	  serial_state_load },
	{ "testdev", TESTDEV_STATE_VERSION, testdev_state_save,
	  testdev_state_load },
};

static void *dev_state(Machine *m, unsigned i)
{
	return m->devices ? machine_device_state(m, mig_devices[i].name) : NULL;
}

static uint32_t count_devices(Machine *m)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < G_N_ELEMENTS(mig_devices); i++)
		n += dev_state(m, i) != NULL;
	return n;
}

bool mig_devices_save(MigStream *s, Machine *m, GError **errp)
{
	uint32_t n = count_devices(m), k = 0;
	uint8_t buf[MIG_DEVICE_MAX_STATE];

	for (unsigned i = 0; i < G_N_ELEMENTS(mig_devices); i++) {
		const MigDevice *d = &mig_devices[i];
		void *state = dev_state(m, i);
		size_t len;

		if (!state)
			continue;
		len = d->save(state, buf, sizeof(buf));
		if (!mig_section_write(s, MIG_SECTION_DEVICE, k++, errp) ||
		    !mig_put_u32(s, MIG_DEVICE_VERSION, errp) ||
		    !mig_put_u32(s, n, errp) ||
		    !mig_put_str(s, d->name, errp) ||
		    !mig_put_u32(s, d->version, errp) ||
		    !mig_put_u32(s, len, errp) || !mig_put(s, buf, len, errp))
			return false;
	}
	return true;
}

/* The @k-th device @m has, or -1. */
static int nth_device(Machine *m, uint32_t k)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(mig_devices); i++)
		if (dev_state(m, i) && !k--)
			return i;
	return -1;
}

/* The head of section @k, up to the name, checked against @m. */
static int read_head(MigStream *s, Machine *m, uint32_t k, uint32_t *count,
		     GError **errp)
{
	char name[MIG_STREAM_MAX_ID_LEN + 1];
	uint32_t id, version;
	int i;

	if (!mig_section_expect(s, MIG_SECTION_DEVICE, &id, errp) ||
	    !mig_get_u32(s, &version, "device section version", errp) ||
	    !mig_get_u32(s, count, "device count", errp) ||
	    !mig_get_str(s, name, "device name", errp))
		return -1;
	if (version != MIG_DEVICE_VERSION) {
		error_setg(errp,
			   "migration stream: device section version %u, this "
			   "kvmage reads version %d",
			   version, MIG_DEVICE_VERSION);
		return -1;
	}
	if (*count != count_devices(m)) {
		error_setg(errp,
			   "migration stream has %u devices, this VM has %u",
			   *count, count_devices(m));
		return -1;
	}
	i = nth_device(m, k);
	if (id != k || strcmp(name, mig_devices[i].name)) {
		error_setg(errp,
			   "migration stream has device '%s' (section %u), "
			   "this VM has '%s' (section %u)",
			   name, id, mig_devices[i].name, k);
		return -1;
	}
	return i;
}

typedef struct DevBlob {
	int dev; /* index in mig_devices */
	uint32_t version, len;
	uint8_t buf[MIG_DEVICE_MAX_STATE];
} DevBlob;

static bool read_one(MigStream *s, Machine *m, uint32_t k, uint32_t *count,
		     DevBlob *b, GError **errp)
{
	b->dev = read_head(s, m, k, count, errp);
	if (b->dev < 0 ||
	    !mig_get_u32(s, &b->version, "device state version", errp) ||
	    !mig_get_u32(s, &b->len, "device state length", errp))
		return false;
	if (b->len > sizeof(b->buf)) {
		error_setg(errp,
			   "migration stream: state of device '%s' of %u "
			   "bytes (at most %zu)",
			   mig_devices[b->dev].name, b->len, sizeof(b->buf));
		return false;
	}
	return mig_get(s, b->buf, b->len, "device state", errp);
}

bool mig_devices_load(MigStream *s, Machine *m, GError **errp)
{
	uint32_t count = count_devices(m), k;
	g_autofree DevBlob *b = g_new0(DevBlob, count);

	/* the whole group first: a truncated one changes no device */
	for (k = 0; k < count; k++)
		if (!read_one(s, m, k, &count, &b[k], errp))
			return false;
	for (k = 0; k < count; k++) {
		const MigDevice *d = &mig_devices[b[k].dev];

		if (!d->load(dev_state(m, b[k].dev), b[k].version, b[k].buf,
			     b[k].len, errp))
			return false;
	}
	return true;
}
