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

#include "aging/aging-object.h"
#include "aging/feed.h"
#include "qapi-commands.h"

#define AGING_UFFD_SAMPLE_DEFAULT 64
#define AGING_UFFD_SAMPLE_MAX	  (1u << 20)

typedef struct AgingObject {
	char *id;
	char *memdev;
	uint64_t interval_ms;
	MemoryAgingBackend want; /* as asked: auto, dirty-log, ... */
	unsigned sample;	 /* last uffd N asked for (1: full) */
	bool has_mode;		 /* -object: mode= or sample= given */
	HostMemBackend *mem;
	bool enabled;
	Aging *a; /* kept across switches; hangs on mem->ages */
	MemoryAgingBackend backend; /* in use: access-log, dirty-log, uffd */
	AgingFeed feed;		    /* its feed (include/aging/feed.h) */
	AgingThread *thread;	    /* NULL while not scanning */
	/*
	 * -d aging: log each scan.  The harvest thread owns @log_prev and
	 * @log_scans while it runs; aging_object_run() sets them before.
	 */
	bool log;
	UffdTrackStats log_prev; /* the feed's counters after the last scan */
	uint64_t log_scans;	 /* completed scans then */
} AgingObject;

struct AgingObjects {
	const VmConfig *cfg; /* the -object list, for messages */
	AgingFeedEnv env;    /* KVM, RAM and the machine's dirty log */
	GPtrArray *objs;
	bool started; /* VM started: enabled objects scan */
};

/* The feed of a concrete backend (not auto). */
const AgingFeedOps *aging_backend_feed(MemoryAgingBackend backend);
/* The backend @want resolves to for @mem, or why it cannot be used. */
bool aging_backend_resolve(const AgingFeedEnv *env, const HostMemBackend *mem,
			   MemoryAgingBackend want, MemoryAgingBackend *out,
			   GError **errp);
/* The error for mode=sampled or sample= with dirty-log. */
void aging_sample_error(GError **errp);

/* Start @o's harvest thread on its feed. */
bool aging_object_run(AgingObject *o, GError **errp);
/* Stop and join @o's harvest thread, if any. */
void aging_object_halt(AgingObject *o);

/*
 * The objects query-memory-aging and memory-aging-set act on: the set
 * aging_objects_new() built last, until aging_objects_free(); NULL
 * when there is none (no VM, or -machine none).  Main thread.
 */
AgingObjects *aging_objects_current(void);

#endif
