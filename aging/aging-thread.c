/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The harvest thread: one GThread per aging user that calls a backend's
 * scan function every interval.  vCPUs never wait for it: the backend
 * works in bounded chunks and skips what is busy.
 */
#include <stdio.h>

#include "aging/aging.h"
#include "util/error.h"

struct AgingThread {
	char *name;
	uint64_t interval_ms;
	AgingScanFn scan;
	void *opaque;
	GThread *thread;
	GMutex lock; /* protects stop */
	GCond cond;
	bool stop;
	uint64_t scans;	 /* written by the thread, read after join */
	uint64_t errors; /* idem */
};

/* Sleep until @deadline or a stop request; true if asked to stop. */
static bool aging_thread_sleep(AgingThread *t, gint64 deadline)
{
	bool stop;

	g_mutex_lock(&t->lock);
	while (!t->stop && g_get_monotonic_time() < deadline)
		g_cond_wait_until(&t->cond, &t->lock, deadline);
	stop = t->stop;
	g_mutex_unlock(&t->lock);
	return stop;
}

static gpointer aging_thread_fn(gpointer opaque)
{
	AgingThread *t = opaque;
	gint64 period = (gint64)t->interval_ms * 1000;
	gint64 next = g_get_monotonic_time() + period, now;
	unsigned ticks = 1;

	while (!aging_thread_sleep(t, next)) {
		g_autoptr(GError) err = NULL;

		if (!t->scan(t->opaque, ticks, &err) && t->errors++ == 0)
			fprintf(stderr, "aging %s: scan failed: %s\n", t->name,
				err ? err->message : "unknown error");
		t->scans++;
		/* A slow scan counts the intervals it overran. */
		now = g_get_monotonic_time();
		next += period;
		ticks = 1;
		while (next <= now) {
			next += period;
			ticks++;
		}
	}
	return NULL;
}

AgingThread *aging_start(const char *name, uint64_t interval_ms,
			 AgingScanFn scan, void *opaque, GError **errp)
{
	AgingThread *t = g_new0(AgingThread, 1);
	g_autofree char *tname = g_strdup_printf("aging/%s", name);

	if (!interval_ms) {
		error_setg(errp, "aging %s: interval must be > 0", name);
		g_free(t);
		return NULL;
	}
	t->name = g_strdup(name);
	t->interval_ms = interval_ms;
	t->scan = scan;
	t->opaque = opaque;
	g_mutex_init(&t->lock);
	g_cond_init(&t->cond);
	t->thread = g_thread_try_new(tname, aging_thread_fn, t, errp);
	if (!t->thread) {
		g_cond_clear(&t->cond);
		g_mutex_clear(&t->lock);
		g_free(t->name);
		g_free(t);
		return NULL;
	}
	return t;
}

uint64_t aging_stop(AgingThread *t)
{
	uint64_t scans;

	if (!t)
		return 0;
	g_mutex_lock(&t->lock);
	t->stop = true;
	g_cond_signal(&t->cond);
	g_mutex_unlock(&t->lock);
	g_thread_join(t->thread);
	scans = t->scans;
	g_cond_clear(&t->cond);
	g_mutex_clear(&t->lock);
	g_free(t->name);
	g_free(t);
	return scans;
}
