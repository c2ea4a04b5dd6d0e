/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The generic half of the harvest feeds (include/aging/feed.h): build,
 * scan and free through the ops table.
 *
 * Locking: as the feeds: main thread while no scan runs, except
 * aging_feed_scan() on the harvest thread.
 */
#include <string.h>

#include "aging/feed.h"

bool aging_feed_new(AgingFeed *f, const AgingFeedOps *ops,
		    const AgingFeedEnv *env, Aging *a, HostMemBackend *mem,
		    unsigned sample, bool rebase, GError **errp)
{
	memset(f, 0, sizeof(*f));
	sample = sample ? sample : 1;
	f->state = ops->create(env, a, mem, sample, errp);
	if (!f->state)
		return false;
	f->ops = ops;
	f->sample = ops->set_sample ? sample : 1;
	if (!rebase || !ops->rebase || ops->rebase(f->state, errp))
		return true;
	aging_feed_free(f);
	return false;
}

void aging_feed_free(AgingFeed *f)
{
	if (f->ops)
		f->ops->free(f->state);
	memset(f, 0, sizeof(*f));
}

bool aging_feed_scan(void *opaque, unsigned ticks, GError **errp)
{
	AgingFeed *f = opaque;

	return f->ops->scan(f->state, ticks, errp);
}

AgingCoverage aging_feed_coverage(const AgingFeed *f)
{
	return f->ops->coverage(f->sample);
}

bool aging_feed_set_sample(AgingFeed *f, unsigned sample, GError **errp)
{
	sample = sample ? sample : 1;
	g_assert(f->ops->set_sample);
	if (!f->ops->set_sample(f->state, sample, errp))
		return false;
	f->sample = sample;
	return true;
}
