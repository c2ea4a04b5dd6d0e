/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The destination: -incoming URI / defer + migrate-incoming.  The VM is
 * built with its vCPUs paused and without the guest program loaded (its
 * RAM reads as zero); a thread accepts the connection or reads the file
 * and loads every section, then the main thread starts the guest.
 *
 * Locking: the thread owns its stream and the VM's RAM and vCPU state
 * until it ends (the vCPUs stay paused until the cleanup); MigState's
 * (L) fields under mig.lock.
 */
#include "migration-int.h"
#include "migration/sections.h"
#include "qapi-events.h"
#include "util/error.h"

/* Main thread, through mig_main_call(): the state of vCPUs and devices. */
static bool mig_load_state(void *opaque, GError **errp)
{
	MigStream *s = opaque;
	MigSectionType type;
	uint32_t id;

	if (!mig_section_peek(s, &type, &id, errp))
		return false;
	switch (type) {
	case MIG_SECTION_VCPU:
		return mig_vcpus_load(s, mig.m->kvm, errp);
	case MIG_SECTION_DEVICE:
		return mig_devices_load(s, mig.m, errp);
	default:
		/* the aging feed runs; the guest does not yet */
		return mig_ages_load(s, &mig.m->ram, errp);
	}
}

/* One group of sections; RAM in this thread, the rest on the main one. */
static bool mig_load_section(MigStream *s, MigSectionType type, bool *vcpus,
			     GError **errp)
{
	MigRamStats st;
	uint32_t id;

	switch (type) {
	case MIG_SECTION_RAM:
		if (!mig_section_read(s, &type, &id, errp) ||
		    !mig_ram_load(s, &mig.m->ram, &st, errp))
			return false;
		break;
	case MIG_SECTION_RAM_DIRTY:
		if (!mig_ram_dirty_load(s, &mig.m->ram, &st, errp))
			return false;
		break;
	case MIG_SECTION_VCPU:
		*vcpus = true;
		/* fall through */
	case MIG_SECTION_DEVICE:
	case MIG_SECTION_AGES:
		return mig_main_call(mig_load_state, s, errp);
	default:
		error_setg(errp, "unexpected %s section",
			   mig_section_name(type));
		return false;
	}
	mig_stats_add(&st, false);
	return true;
}

static bool mig_load(int fd, GError **errp)
{
	g_autoptr(MigStream) s = mig_stream_new(fd, false);
	MigSectionType type;
	bool vcpus = false;
	uint32_t id;

	if (!mig_header_read(s, &mig.m->ram, errp))
		return false;
	for (;;) {
		if (!mig_section_peek(s, &type, &id, errp))
			return false;
		if (type == MIG_SECTION_END)
			break;
		if (!mig_load_section(s, type, &vcpus, errp))
			return false;
		g_mutex_lock(&mig.lock);
		mig.transferred = mig_stream_offset(s);
		g_mutex_unlock(&mig.lock);
	}
	if (!vcpus) {
		error_setg(errp, "migration stream ended without vCPU state");
		return false;
	}
	return true;
}

gpointer mig_incoming_thread(gpointer opaque)
{
	bool listening = GPOINTER_TO_INT(opaque);
	g_autoptr(GError) err = NULL;
	int fd = mig.ch.fd;
	bool ok = false;

	if (listening) {
		fd = mig_uri_accept(mig.ch.fd, &err);
		g_mutex_lock(&mig.lock);
		mig.ch.fd = fd;
		mig.fd = fd;
		if (mig.cancel && fd >= 0)
			error_setg(&err, "migration cancelled");
		g_mutex_unlock(&mig.lock);
	}
	if (!err) {
		mig_set_status(MIGRATION_STATUS_ACTIVE);
		ok = mig_load(fd, &err);
	}
	g_mutex_lock(&mig.lock);
	if (ok)
		mig.done = true; /* completed once the cleanup has run */
	else if (!mig.error)
		mig.error = g_strdup(err->message);
	g_mutex_unlock(&mig.lock);
	mig_schedule_cleanup();
	return NULL;
}

void migration_incoming_expect(void)
{
	mig.incoming_expected = true;
}

bool migration_incoming_start(const char *uri, GError **errp)
{
	bool listening;

	/* as QEMU: the destination announces setup whatever the capability */
	qapi_event_send_migration(MIGRATION_STATUS_SETUP);
	if (!mig_uri_valid(uri)) {
		error_setg(errp, "unknown migration protocol: %s", uri);
		return false;
	}
	mig.m = machine_current();
	if (!mig.m || !mig.m->kvm) {
		error_setg(errp, "an incoming migration needs a VM with vCPUs "
				 "(not -machine none)");
		return false;
	}
	if (!mig_uri_listen(uri, &mig.ch, &listening, errp))
		return false;
	mig.incoming_expected = false;
	g_mutex_lock(&mig.lock);
	mig.incoming = true;
	mig.start_us = g_get_monotonic_time();
	mig.fd = mig.ch.fd;
	mig.status = MIGRATION_STATUS_SETUP;
	mig.thread = g_thread_new("migration-in", mig_incoming_thread,
				  GINT_TO_POINTER(listening));
	g_mutex_unlock(&mig.lock);
	return true;
}
