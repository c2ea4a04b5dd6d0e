/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The migration state machine shared by both sides, the handshake with
 * the main thread, and the cleanup that ends a migration; see
 * include/migration/migration.h.
 *
 * Locking: mig.lock protects the fields marked (L) in migration-int.h.
 * The migration thread never calls MigrationVmOps itself: it asks the
 * main thread (mig_main_call()) and waits, and the main thread never
 * waits for the migration thread while holding mig.lock, so the two
 * cannot deadlock.  Only the cleanup, on the main thread, joins it.
 */
#include <sys/socket.h>

#include "migration-int.h"
#include "reclaim/reclaim.h"
#include "qapi-events.h"
#include "util/error.h"

MigState mig = {
	.status = MIGRATION_STATUS_NONE,
	.fd = -1,
	.max_bandwidth = MIG_DEFAULT_MAX_BANDWIDTH,
	.downtime_limit = MIG_DEFAULT_DOWNTIME_LIMIT,
	.ch = { .fd = -1 },
};

static bool mig_main_gone;  /* (L) teardown: no more main calls */
static GCond mig_main_cond; /* signalled under mig.lock: a call ended */

/* reclaim/'s blocker: no reclaim job starts during a migration. */
static const char *mig_blocks_reclaim(void)
{
	if (!migration_is_running())
		return NULL;
	return "a migration is in progress (query-migrate); start it "
	       "after the migration ends";
}

void migration_init(const MigrationVmOps *ops, GMainContext *main_ctx)
{
	mig.ops = ops;
	mig.main_ctx = main_ctx;
	reclaim_set_blocker(mig_blocks_reclaim);
}

void mig_set_status_locked(MigrationStatus st)
{
	mig.status = st;
	/* any thread may send an event (qapi/qmp-event.c) */
	if (mig.events)
		qapi_event_send_migration(st);
}

void mig_set_status(MigrationStatus st)
{
	g_mutex_lock(&mig.lock);
	mig_set_status_locked(st);
	g_mutex_unlock(&mig.lock);
}

bool mig_cancelled(void)
{
	bool c;

	g_mutex_lock(&mig.lock);
	c = mig.cancel;
	g_mutex_unlock(&mig.lock);
	return c;
}

bool migration_is_running(void)
{
	bool r;

	g_mutex_lock(&mig.lock);
	r = mig.thread || mig.status == MIGRATION_STATUS_SETUP ||
	    mig.status == MIGRATION_STATUS_ACTIVE ||
	    mig.status == MIGRATION_STATUS_DEVICE ||
	    mig.status == MIGRATION_STATUS_CANCELLING;
	g_mutex_unlock(&mig.lock);
	return r;
}

/* A call from the migration thread, run by the main loop. */
typedef struct MigMainCall {
	bool (*fn)(void *opaque, GError **errp);
	void *opaque;
	GError *err;
	bool ok, done, abandoned; /* (L) */
} MigMainCall;

static gboolean mig_main_call_cb(gpointer opaque)
{
	MigMainCall *c = opaque;
	GError *err = NULL;
	bool ok = false, skip;

	g_mutex_lock(&mig.lock);
	skip = mig_main_gone;
	g_mutex_unlock(&mig.lock);
	if (!skip)
		ok = c->fn(c->opaque, &err);
	g_mutex_lock(&mig.lock);
	if (c->abandoned) {
		g_clear_error(&err);
		g_free(c);
	} else {
		c->ok = ok;
		c->err = err;
		c->done = true;
		g_cond_broadcast(&mig_main_cond);
	}
	g_mutex_unlock(&mig.lock);
	return G_SOURCE_REMOVE;
}

bool mig_main_call(bool (*fn)(void *opaque, GError **errp), void *opaque,
		   GError **errp)
{
	MigMainCall *c = g_new0(MigMainCall, 1);
	bool ok;

	c->fn = fn;
	c->opaque = opaque;
	g_main_context_invoke(mig.main_ctx, mig_main_call_cb, c);
	g_mutex_lock(&mig.lock);
	while (!c->done && !mig_main_gone)
		g_cond_wait(&mig_main_cond, &mig.lock);
	if (!c->done) {
		/* the callback may still run: it frees @c then */
		c->abandoned = true;
		g_mutex_unlock(&mig.lock);
		error_setg(errp, "kvmage is shutting down");
		return false;
	}
	g_mutex_unlock(&mig.lock);
	ok = c->ok;
	if (!ok)
		g_propagate_error(errp, c->err);
	g_free(c);
	return ok;
}

/* Main thread: join the thread and settle the VM and the status. */
static gboolean mig_cleanup(gpointer opaque)
{
	MigrationStatus st;
	g_autofree char *err = NULL;

	if (!mig.thread)
		return G_SOURCE_REMOVE; /* migration_shutdown() joined it */
	g_thread_join(mig.thread);
	mig_channel_close(&mig.ch);
	if (mig.client)
		dirty_log_client_remove(mig.client);
	mig.client = NULL;
	g_mutex_lock(&mig.lock);
	mig.thread = NULL;
	mig.fd = -1;
	if (mig.done && !mig.cancel)
		st = MIGRATION_STATUS_COMPLETED;
	else
		st = mig.cancel ? MIGRATION_STATUS_CANCELLED :
				  MIGRATION_STATUS_FAILED;
	mig.done = false;
	mig.total_ms = g_get_monotonic_time() / 1000 - mig.start_us / 1000;
	err = g_strdup(mig.error);
	g_mutex_unlock(&mig.lock);
	/*
	 * The run state moves first (postmigrate, or running/paused on the
	 * destination), then the status: whoever sees "completed" also sees
	 * the run state that goes with it.
	 */
	if (mig.incoming) {
		mig.ops->incoming_done(st == MIGRATION_STATUS_COMPLETED, err);
	} else if (st == MIGRATION_STATUS_COMPLETED) {
		mig.ops->completed();
	} else if (mig.stopped) {
		mig.ops->restore(mig.was_running);
	}
	g_mutex_lock(&mig.lock);
	if (st != mig.status)
		mig_set_status_locked(st);
	g_mutex_unlock(&mig.lock);
	return G_SOURCE_REMOVE;
}

void mig_schedule_cleanup(void)
{
	g_main_context_invoke(mig.main_ctx, mig_cleanup, NULL);
}

/* Stop the thread: cancel, unblock its I/O. Under mig.lock. */
static void mig_cancel_locked(void)
{
	mig.cancel = true;
	g_cond_broadcast(&mig.cond);
	if (mig.fd >= 0) {
		/* unblocks read()/write(); a file or pipe just ends early */
		(void)shutdown(mig.fd, SHUT_RDWR);
	}
}

void mig_cancel_source(void)
{
	g_mutex_lock(&mig.lock);
	if (mig.thread && !mig.incoming && !mig.cancel && !mig.done &&
	    mig.status != MIGRATION_STATUS_COMPLETED) {
		mig_set_status_locked(MIGRATION_STATUS_CANCELLING);
		mig_cancel_locked();
	}
	g_mutex_unlock(&mig.lock);
}

void migration_shutdown(void)
{
	GThread *t;

	g_mutex_lock(&mig.lock);
	t = mig.thread;
	mig_cancel_locked();
	mig_main_gone = true;
	g_cond_broadcast(&mig_main_cond);
	g_mutex_unlock(&mig.lock);
	if (!t)
		return;
	/* the cleanup will not run any more: do its part here */
	g_thread_join(t);
	mig.thread = NULL;
	mig_channel_close(&mig.ch);
	if (mig.client)
		dirty_log_client_remove(mig.client);
	mig.client = NULL;
}
