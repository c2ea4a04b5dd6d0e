/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The source's migration thread: header, a full RAM pass, dirty passes
 * until the rest fits downtime-limit, then the guest stopped (by the main
 * thread) for the last pass, the vCPUs, the devices and the ages.
 *
 * Locking: runs in the migration thread and owns its stream; it reads
 * and writes MigState's (L) fields under mig.lock only, and reaches the
 * run state only through mig_main_call().
 */
#include <poll.h>

#include "migration-int.h"
#include "migration/sections.h"
#include "qapi-events.h"
#include "util/error.h"
#include "util/page.h"

static int64_t now_ms(void)
{
	return g_get_monotonic_time() / 1000;
}

void mig_stats_add(const MigRamStats *st, bool downtime)
{
	g_mutex_lock(&mig.lock);
	mig.normal += st->data_pages + st->cold_pages;
	mig.duplicate += st->zero_pages + st->hole_pages;
	mig.cold_pages += st->cold_pages;
	mig.cold_batches += st->cold_batches;
	mig.cold_left_resident += st->cold_left_resident;
	mig.hole_pages += st->hole_pages;
	mig.peak_extra_rss = MAX(mig.peak_extra_rss, st->peak_extra_rss);
	if (downtime)
		mig.downtime_bytes += st->bytes;
	else
		mig.precopy_bytes += st->bytes;
	g_mutex_unlock(&mig.lock);
}

/* Update transferred, mbps; returns the bandwidth in bytes per ms. */
static uint64_t mig_progress(MigStream *s)
{
	uint64_t off = mig_stream_offset(s), bw;
	int64_t ms;

	g_mutex_lock(&mig.lock);
	ms = MAX(now_ms() - mig.start_us / 1000, 1);
	mig.transferred = off;
	mig.total_ms = ms;
	bw = MAX(off / ms, 1);
	mig.mbps = (double)off * 8 / 1000.0 / ms;
	g_mutex_unlock(&mig.lock);
	return bw;
}

/* Has the reader of @fd gone away (socket closed, pipe broken)? */
static bool mig_peer_gone(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };

	/* the destination never writes: any event means it has gone */
	return poll(&p, 1, 0) > 0 && p.revents;
}

/*
 * max-bandwidth: wait until the bytes sent fit it, waking up for a
 * cancel or a destination that went away.
 */
static bool mig_throttle(MigStream *s, GError **errp)
{
	for (;;) {
		uint64_t off = mig_stream_offset(s);
		int64_t due, bw;

		g_mutex_lock(&mig.lock);
		bw = MAX(mig.max_bandwidth, 1);
		due = mig.start_us / 1000 + (int64_t)(off * 1000 / bw);
		if (!mig.cancel && now_ms() < due)
			g_cond_wait_until(&mig.cond, &mig.lock,
					  g_get_monotonic_time() +
						  20 * G_TIME_SPAN_MILLISECOND);
		g_mutex_unlock(&mig.lock);
		if (mig_cancelled()) {
			error_setg(errp, "migration cancelled");
			return false;
		}
		if (mig_peer_gone(mig.ch.fd)) {
			error_setg(errp, "Unable to write to socket: "
					 "Connection reset by peer");
			return false;
		}
		if (now_ms() >= due)
			return true;
	}
}

static void mig_pass_event(void)
{
	uint64_t pass;
	bool events;

	g_mutex_lock(&mig.lock);
	pass = ++mig.passes;
	events = mig.events;
	g_mutex_unlock(&mig.lock);
	if (events)
		qapi_event_send_migration_pass(pass);
}

/* The first pass: every page of RAM. */
static bool mig_full_pass(MigStream *s, GError **errp)
{
	MigRamStats st;

	mig_pass_event();
	if (!mig_ram_dirty_begin(mig.client, errp) ||
	    !mig_section_write(s, MIG_SECTION_RAM, 0, errp) ||
	    !mig_ram_save(s, &mig.m->ram, &st, errp))
		return false;
	mig_stats_add(&st, false);
	return true;
}

/* One dirty pass; *@pages gets the pages it sent. */
static bool mig_dirty_pass(MigStream *s, bool downtime, uint64_t *pages,
			   GError **errp)
{
	MigRamStats st;

	mig_pass_event();
	if (!mig_ram_dirty_save(s, &mig.m->ram, mig.client, &st, errp))
		return false;
	mig_stats_add(&st, downtime);
	*pages = st.dirty_pages;
	return true;
}

/* Dirty passes until the next one fits downtime-limit (or the cap). */
static bool mig_precopy(MigStream *s, GError **errp)
{
	for (unsigned pass = 0; pass < MIG_MAX_PASSES; pass++) {
		int64_t t0 = now_ms(), limit, dt;
		uint64_t pages, bw;

		if (!mig_throttle(s, errp) ||
		    !mig_dirty_pass(s, false, &pages, errp))
			return false;
		bw = mig_progress(s);
		dt = MAX(now_ms() - t0, 1);
		g_mutex_lock(&mig.lock);
		limit = mig.downtime_limit;
		mig.remaining = pages * PAGE_SIZE;
		mig.dirty_rate = pages * 1000 / dt;
		mig.expected_ms = mig.remaining / bw;
		g_mutex_unlock(&mig.lock);
		if ((int64_t)(pages * PAGE_SIZE / bw) <= limit)
			return true;
	}
	return true;
}

/*
 * Main thread, through mig_main_call(): stop the guest and send the
 * rest, with the main loop held as QEMU holds its big lock for this: no
 * QMP command can touch the vCPUs or devices meanwhile.  A destination
 * that stops reading without closing blocks it (as QEMU).
 */
static bool mig_complete(void *opaque, GError **errp)
{
	MigStream *s = opaque;
	Machine *m = mig.m;
	uint64_t pages;
	int64_t t0 = now_ms();

	if (!mig.ops->stop(&mig.was_running, errp))
		return false;
	mig.stopped = true;
	if (!mig_dirty_pass(s, true, &pages, errp) ||
	    !mig_vcpus_save(s, m->kvm, errp) || !mig_devices_save(s, m, errp) ||
	    !mig_ages_save(s, &m->ram, errp) || !mig_end_write(s, errp))
		return false;
	g_mutex_lock(&mig.lock);
	mig.downtime_ms = now_ms() - t0;
	mig.remaining = 0;
	g_mutex_unlock(&mig.lock);
	return true;
}

static bool mig_source_run(MigStream *s, GError **errp)
{
	if (!mig_header_write(s, &mig.m->ram, errp))
		return false;
	g_mutex_lock(&mig.lock);
	mig.setup_ms = now_ms() - mig.start_us / 1000;
	if (mig.cancel) {
		g_mutex_unlock(&mig.lock);
		error_setg(errp, "migration cancelled");
		return false;
	}
	mig_set_status_locked(MIGRATION_STATUS_ACTIVE);
	g_mutex_unlock(&mig.lock);
	if (!mig_full_pass(s, errp))
		return false;
	mig_progress(s);
	if (!mig_precopy(s, errp) || !mig_main_call(mig_complete, s, errp))
		return false;
	mig_progress(s);
	return true;
}

gpointer mig_source_thread(gpointer opaque)
{
	g_autoptr(GError) err = NULL;
	MigStream *s = mig_stream_new(mig.ch.fd, true);
	bool ok = mig_source_run(s, &err);

	mig_stream_free(s);
	g_mutex_lock(&mig.lock);
	if (ok && !mig.cancel)
		mig.done = true; /* completed once the cleanup has run */
	else if (!mig.cancel && !mig.error)
		mig.error = g_strdup(err ? err->message : "unknown error");
	g_mutex_unlock(&mig.lock);
	mig_schedule_cleanup();
	return NULL;
}
