/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals shared by aging-object.c (parsing, building, start and stop)
 * and aging-qmp.c (query-memory-aging, memory-aging-set and the run-time
 * backend switch).  Not an interface: include/aging/aging-object.h is.
 *
 * Locking: everything here is main thread only.  An object's feed (its
 * backend state) is used by two threads: the main thread builds, switches
 * and frees it, the harvest thread (o->thread) scans it.  The rule: the
 * main thread changes or frees a feed only while o->thread is NULL, that
 * is after aging_object_halt() has stopped and joined the harvest thread,
 * so no scan can run on state being torn down.  The Aging itself is
 * shared with the harvest thread under its own lock (include/aging/
 * aging.h) and outlives every feed.
 */
#ifndef AGING_AGING_OBJECT_INT_H
#define AGING_AGING_OBJECT_INT_H

#include "accel/dirty-log.h"
#include "accel/uffd-aging.h"
#include "aging/aging-object.h"
#include "monitor/qmp-aging.h"
#include "qapi-types.h"

#define AGING_UFFD_SAMPLE_DEFAULT 64
#define AGING_UFFD_SAMPLE_MAX	  (1u << 20)

/* One backend's state, feeding an object's Aging. */
typedef struct AgingFeed {
	MemoryAgingBackend backend; /* dirty-log or uffd */
	unsigned sample;	    /* uffd: 1 page in @sample per scan */
	DirtyLogAging *da;	    /* dirty-log */
	UffdAging *ua;		    /* uffd */
} AgingFeed;

typedef struct AgingObject {
	char *id;
	char *memdev;
	uint64_t interval_ms;
	MemoryAgingBackend want; /* as asked: auto, dirty-log, ... */
	unsigned sample;	 /* last uffd N asked for (1: full) */
	bool has_mode;		 /* -object: mode= or sample= given */
	HostMemBackend *mem;
	bool enabled;
	Aging *a;	     /* kept across backend switches */
	AgingFeed feed;	     /* the backend in use */
	AgingThread *thread; /* NULL while not scanning */
} AgingObject;

struct AgingObjects {
	const VmConfig *cfg; /* the -object list, for messages */
	KvmState *kvm;
	RamList *ram;
	DirtyLog *dl; /* the VM's harvester, created on first use */
	GPtrArray *objs;
	bool started; /* VM started: enabled objects scan */
};

/* Why uffd cannot track @mem, or NULL if it can. */
const char *aging_uffd_why(const HostMemBackend *mem);
/* The backend @want resolves to for @mem, or why it cannot be used. */
bool aging_backend_resolve(KvmState *kvm, const HostMemBackend *mem,
			   MemoryAgingBackend want, MemoryAgingBackend *out,
			   GError **errp);
/* The error for mode=sampled or sample= with dirty-log. */
void aging_sample_error(GError **errp);

/*
 * Build the @backend feed (@sample for uffd) of @o's Aging into @f.
 * @rebase: the Aging already holds ages, so a dirty-log feed drops what
 * its first harvest would report from before now.  On failure nothing is
 * left behind.  @o's harvest thread stopped.
 */
bool aging_feed_build(AgingObjects *ao, AgingObject *o,
		      MemoryAgingBackend backend, unsigned sample, bool rebase,
		      AgingFeed *f, GError **errp);
/* Tear @f down (uffd: unregister; dirty-log: detach).  Thread stopped. */
void aging_feed_free(AgingFeed *f);
/* One scan of @f from the calling thread.  Thread stopped. */
bool aging_feed_scan(AgingFeed *f, GError **errp);
/* What @f sees. */
AgingCoverage aging_feed_coverage(const AgingFeed *f);

/* Start @o's harvest thread on its feed. */
bool aging_object_run(AgingObject *o, GError **errp);
/* Stop and join @o's harvest thread, if any. */
void aging_object_halt(AgingObject *o);

/* The QMP hooks (aging-qmp.c). */
bool aging_qmp_query(void *opaque, bool has_cold, int64_t cold_ms,
		     MemoryAgingInfoList **ret, GError **errp);
bool aging_qmp_set(void *opaque, const QmpAgingSet *req, GError **errp);

#endif
