/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP: migrate, migrate-incoming, migrate_cancel, query-migrate,
 * capabilities and parameters.  Replies and errors are QEMU 7.2's.
 *
 * Locking: main thread; MigState's (L) fields under mig.lock.
 */
#include "migration-int.h"
#include "qapi-commands.h"
#include "util/error.h"
#include "util/page.h"

static MigrationStats *mig_ram_info_locked(void)
{
	MigrationStats *r = g_new0(MigrationStats, 1);

	r->transferred = mig.transferred;
	r->remaining = mig.remaining;
	r->total = mig.total;
	r->duplicate = mig.duplicate;
	r->normal = mig.normal;
	r->normal_bytes = mig.normal * PAGE_SIZE;
	r->dirty_pages_rate = mig.dirty_rate;
	r->mbps = mig.mbps;
	r->dirty_sync_count = mig.passes;
	r->page_size = PAGE_SIZE;
	r->pages_per_second = mig.total_ms ? (mig.normal + mig.duplicate) *
						     1000 / mig.total_ms :
					     0;
	r->precopy_bytes = mig.precopy_bytes;
	r->downtime_bytes = mig.downtime_bytes;
	return r;
}

/* kvmage's own figures beside QEMU's: the cold lane and the holes. */
static MigrationColdLane *mig_cold_lane_locked(void)
{
	MigrationColdLane *r = g_new0(MigrationColdLane, 1);

	r->cold_bytes = mig.cold_pages * PAGE_SIZE;
	r->cold_batches = mig.cold_batches;
	r->cold_left_resident = mig.cold_left_resident;
	r->hole_pages = mig.hole_pages;
	r->peak_extra_rss = mig.peak_extra_rss;
	return r;
}

bool qmp_query_migrate(MigrationInfo **ret, GError **errp)
{
	MigrationInfo *info = g_new0(MigrationInfo, 1);
	MigrationStatus st;

	g_mutex_lock(&mig.lock);
	st = mig.status;
	if (st == MIGRATION_STATUS_NONE)
		goto out;
	/* as QEMU: a destination has a status once the source is there */
	if (mig.incoming && st == MIGRATION_STATUS_SETUP)
		goto out;
	info->has_status = true;
	info->status = st;
	if (mig.incoming)
		goto out;
	/* as QEMU: figures while active and once completed, not after */
	if (st != MIGRATION_STATUS_ACTIVE &&
	    st != MIGRATION_STATUS_CANCELLING &&
	    st != MIGRATION_STATUS_COMPLETED)
		goto out;
	info->has_ram = true;
	info->ram = mig_ram_info_locked();
	info->has___org_kvmage_cold_lane = true;
	info->__org_kvmage_cold_lane = mig_cold_lane_locked();
	info->has_setup_time = true;
	info->setup_time = mig.setup_ms;
	info->has_total_time = true;
	info->total_time = mig.thread ? g_get_monotonic_time() / 1000 -
						mig.start_us / 1000 :
					mig.total_ms;
	if (st == MIGRATION_STATUS_COMPLETED) {
		info->has_downtime = true;
		info->downtime = mig.downtime_ms;
	} else {
		info->has_expected_downtime = true;
		info->expected_downtime = mig.expected_ms;
	}
out:
	if (st == MIGRATION_STATUS_FAILED && mig.error) {
		info->has_error_desc = true;
		info->error_desc = g_strdup(mig.error);
	}
	g_mutex_unlock(&mig.lock);
	*ret = info;
	return true;
}

bool qmp_migrate_cancel(GError **errp)
{
	/* as QEMU: succeeds with nothing to cancel */
	mig_cancel_source();
	return true;
}

/* Forget the previous migration's figures; under mig.lock. */
static void mig_reset_locked(bool incoming)
{
	g_clear_pointer(&mig.error, g_free);
	mig.cancel = false;
	mig.incoming = incoming;
	mig.start_us = g_get_monotonic_time();
	mig.setup_ms = mig.total_ms = mig.downtime_ms = mig.expected_ms = 0;
	mig.transferred = mig.remaining = mig.dirty_rate = mig.passes = 0;
	mig.normal = mig.duplicate = mig.precopy_bytes = 0;
	mig.downtime_bytes = 0;
	mig.cold_pages = mig.cold_batches = mig.cold_left_resident = 0;
	mig.hole_pages = mig.peak_extra_rss = 0;
	mig.mbps = 0;
}

static uint64_t mig_ram_total(RamList *ram)
{
	uint64_t total = 0;

	for (RamBank *b = ram->head; b; b = b->next) {
		if (mig_bank_migrates(b))
			total += b->size;
	}
	return total;
}

/* Fail a migration that never got its thread: QEMU's setup -> failed. */
static void mig_fail_setup(GError *err)
{
	g_mutex_lock(&mig.lock);
	mig.error = g_strdup(err->message);
	mig_set_status_locked(MIGRATION_STATUS_FAILED);
	g_mutex_unlock(&mig.lock);
}

/* Open the URI and the dirty-log consumer, start the thread. */
static void mig_source_start(const char *uri)
{
	g_autoptr(GError) err = NULL;

	if (!mig_uri_connect(uri, &mig.ch, &err))
		goto fail;
	mig.client =
		dirty_log_client_add(mig.m->dirty_log, "migration", NULL, &err);
	if (!mig.client) {
		mig_channel_close(&mig.ch);
		goto fail;
	}
	mig.stopped = false;
	g_mutex_lock(&mig.lock);
	mig.fd = mig.ch.fd;
	mig.thread = g_thread_new("migration", mig_source_thread, NULL);
	g_mutex_unlock(&mig.lock);
	return;
fail:
	mig_fail_setup(err);
}

bool qmp_migrate(q_obj_migrate_arg *arg, GError **errp)
{
	Machine *m = machine_current();

	if (mig.incoming_expected || mig.incoming) {
		error_setg(errp, "Guest is waiting for an incoming migration");
		return false;
	}
	if (migration_is_running()) {
		error_setg(errp, "There's a migration process in progress");
		return false;
	}
	g_mutex_lock(&mig.lock);
	mig_reset_locked(false);
	mig.total = m ? mig_ram_total(&m->ram) : 0;
	mig_set_status_locked(MIGRATION_STATUS_SETUP);
	g_mutex_unlock(&mig.lock);
	mig.m = m;
	if (!mig_uri_valid(arg->uri)) {
		error_setg(errp, "Parameter 'uri' expects a valid migration "
				 "protocol");
		/* as QEMU: failed, with no error-desc */
		mig_set_status(MIGRATION_STATUS_FAILED);
		return false;
	}
	if (!m || !m->kvm || !m->dirty_log) {
		error_setg(errp, "migrate: this VM has no vCPUs to migrate "
				 "(-machine none)");
		mig_fail_setup(*errp);
		return false;
	}
	/* as QEMU: a URI that cannot be opened fails the migration later */
	mig_source_start(arg->uri);
	return true;
}

bool qmp_migrate_incoming(q_obj_migrate_incoming_arg *arg, GError **errp)
{
	if (mig.incoming) {
		error_setg(errp, "The incoming migration has already been "
				 "started");
		return false;
	}
	if (!mig.incoming_expected) {
		error_setg(errp, "'-incoming' was not specified on the command "
				 "line");
		return false;
	}
	g_mutex_lock(&mig.lock);
	mig_reset_locked(false);
	g_mutex_unlock(&mig.lock);
	return migration_incoming_start(arg->uri, errp);
}

bool qmp_migrate_set_capabilities(q_obj_migrate_set_capabilities_arg *arg,
				  GError **errp)
{
	if (migration_is_running()) {
		error_setg(errp, "There's a migration process in progress");
		return false;
	}
	g_mutex_lock(&mig.lock);
	for (MigrationCapabilityStatusList *l = arg->capabilities; l;
	     l = l->next) {
		if (l->value->capability == MIGRATION_CAPABILITY_EVENTS)
			mig.events = l->value->state;
	}
	g_mutex_unlock(&mig.lock);
	return true;
}

bool qmp_query_migrate_capabilities(MigrationCapabilityStatusList **ret,
				    GError **errp)
{
	MigrationCapabilityStatusList *l =
		g_new0(MigrationCapabilityStatusList, 1);

	l->value = g_new0(MigrationCapabilityStatus, 1);
	l->value->capability = MIGRATION_CAPABILITY_EVENTS;
	g_mutex_lock(&mig.lock);
	l->value->state = mig.events;
	g_mutex_unlock(&mig.lock);
	*ret = l;
	return true;
}

bool qmp_migrate_set_parameters(MigrateSetParameters *arg, GError **errp)
{
	if (arg->has_downtime_limit &&
	    (arg->downtime_limit < 0 ||
	     arg->downtime_limit > MIG_MAX_DOWNTIME_LIMIT)) {
		error_setg(errp,
			   "Parameter 'downtime_limit' expects an integer "
			   "in the range of 0 to (2000 * 1000) ms");
		return false;
	}
	g_mutex_lock(&mig.lock);
	if (arg->has_downtime_limit)
		mig.downtime_limit = arg->downtime_limit;
	if (arg->has_max_bandwidth) {
		/* QEMU's size type takes -1 as 2^64 - 1: unlimited */
		mig.max_bandwidth = arg->max_bandwidth < 0 ? G_MAXINT64 :
							     arg->max_bandwidth;
	}
	g_cond_broadcast(&mig.cond); /* a throttled thread re-reads it */
	g_mutex_unlock(&mig.lock);
	return true;
}

bool qmp_query_migrate_parameters(MigrationParameters **ret, GError **errp)
{
	MigrationParameters *p = g_new0(MigrationParameters, 1);

	g_mutex_lock(&mig.lock);
	p->has_max_bandwidth = p->has_downtime_limit = true;
	p->max_bandwidth = mig.max_bandwidth;
	p->downtime_limit = mig.downtime_limit;
	g_mutex_unlock(&mig.lock);
	*ret = p;
	return true;
}
