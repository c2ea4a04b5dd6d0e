/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memory-aging objects: parse and check -object memory-aging, build the
 * Aging and its feed (dirty-log, or uffd for shared banks) and run the
 * harvest thread from VM start to teardown.  The QMP commands and the
 * run-time backend switch are in aging-qmp.c.
 *
 * Interval limits: at least AGING_OBJECT_MIN_INTERVAL (10 ms).  Ages
 * saturate at AGING_AGE_MAX (32768) scans, so at 10 ms idle times above
 * 5.5 minutes are no longer told apart, and each scan has a fixed cost (a
 * thread wake-up and a KVM_GET_DIRTY_LOG per memslot) that below 10 ms
 * becomes a visible share of a host core for no gain: the histogram's
 * first bin is 100 ms wide.  At most one hour.
 *
 * Locking: main thread only; a feed is changed or freed only while its
 * harvest thread is stopped (see aging-object-int.h).
 */
#include <string.h>

#include "aging/aging-object-int.h"
#include "backends/hostmem.h"
#include "util/error.h"
#include "util/log.h"

/* The set QMP answers for: the last one built and not yet freed. */
static AgingObjects *aging_current;

static void aging_object_free(AgingObject *o)
{
	aging_object_halt(o);
	aging_feed_free(&o->feed);
	if (o->mem && o->mem->ages == o->a)
		o->mem->ages = NULL;
	if (o->a)
		aging_free(o->a);
	g_free(o->id);
	g_free(o->memdev);
	g_free(o);
}

static const AgingFeedOps *const aging_feeds[MEMORY_AGING_BACKEND__MAX] = {
	[MEMORY_AGING_BACKEND_ACCESS_LOG] = &aging_feed_access_log,
	[MEMORY_AGING_BACKEND_DIRTY_LOG] = &aging_feed_dirty_log,
	[MEMORY_AGING_BACKEND_UFFD] = &aging_feed_uffd,
};

const AgingFeedOps *aging_backend_feed(MemoryAgingBackend backend)
{
	g_assert(backend < MEMORY_AGING_BACKEND__MAX && aging_feeds[backend]);
	return aging_feeds[backend];
}

/*
 * The backend @want resolves to for @mem, or an error saying why it
 * cannot be: KVMMissingCap for access-log (from the probe), why uffd
 * cannot track @mem.  auto takes the first usable of access-log, uffd
 * and dirty-log.
 */
bool aging_backend_resolve(const AgingFeedEnv *env, const HostMemBackend *mem,
			   MemoryAgingBackend want, MemoryAgingBackend *out,
			   GError **errp)
{
	static const MemoryAgingBackend order[] = {
		MEMORY_AGING_BACKEND_ACCESS_LOG,
		MEMORY_AGING_BACKEND_UFFD,
		MEMORY_AGING_BACKEND_DIRTY_LOG,
	};
	const char *why;

	if (want == MEMORY_AGING_BACKEND_AUTO) {
		for (size_t i = 0; i < G_N_ELEMENTS(order); i++) {
			*out = order[i];
			if (!aging_feeds[order[i]]->why(env, mem))
				break;
		}
		return true;
	}
	if (want == MEMORY_AGING_BACKEND_ACCESS_LOG && !env->access_log_ops &&
	    !access_log_probe(env->kvm, errp))
		return false;
	why = aging_backend_feed(want)->why(env, mem);
	if (why) {
		error_setg(errp, "backend=%s: memdev '%s' is %s",
			   MemoryAgingBackend_str(want), mem->id, why);
		return false;
	}
	*out = want;
	return true;
}

static bool aging_parse_uint(const char *key, const char *val, uint64_t min,
			     uint64_t max, uint64_t *out, GError **errp)
{
	guint64 n;

	if (!g_ascii_string_to_unsigned(val, 10, min, max, &n, NULL)) {
		error_setg(errp,
			   "Parameter '%s' expects an integer from "
			   "%" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT,
			   key, min, max);
		return false;
	}
	*out = n;
	return true;
}

/* Check the keys of one object; fills @o's configuration. */
static bool aging_object_parse(AgingObject *o, GHashTable *props, GError **errp)
{
	static const char *const keys[] = { "memdev", "backend", "interval",
					    "mode",   "sample",	 NULL };
	const char *val, *mode;
	GHashTableIter it;
	gpointer key;
	uint64_t sample;
	int b;

	g_hash_table_iter_init(&it, props);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		if (!g_strv_contains(keys, key)) {
			error_setg(errp, "Invalid parameter '%s'", (char *)key);
			return false;
		}
	}
	val = g_hash_table_lookup(props, "memdev");
	if (!val) {
		error_setg(errp, "Parameter 'memdev' is missing");
		return false;
	}
	o->memdev = g_strdup(val);
	val = g_hash_table_lookup(props, "interval");
	if (!val) {
		error_setg(errp, "Parameter 'interval' is missing");
		return false;
	}
	if (!aging_parse_uint("interval", val, AGING_OBJECT_MIN_INTERVAL,
			      AGING_OBJECT_MAX_INTERVAL, &o->interval_ms, errp))
		return false;
	val = g_hash_table_lookup(props, "backend");
	b = MEMORY_AGING_BACKEND_AUTO;
	if (val) {
		for (b = 0; b < MEMORY_AGING_BACKEND__MAX; b++) {
			if (!strcmp(val, MemoryAgingBackend_str(b)))
				break;
		}
		if (b == MEMORY_AGING_BACKEND__MAX) {
			error_setg(errp,
				   "Parameter 'backend' does not accept "
				   "value '%s' (use auto, access-log, "
				   "dirty-log or uffd)",
				   val);
			return false;
		}
	}
	o->want = b;
	mode = g_hash_table_lookup(props, "mode");
	if (mode && strcmp(mode, "full") && strcmp(mode, "sampled")) {
		error_setg(errp,
			   "Parameter 'mode' does not accept value '%s' "
			   "(use full or sampled)",
			   mode);
		return false;
	}
	val = g_hash_table_lookup(props, "sample");
	if (val && !aging_parse_uint("sample", val, 1, AGING_UFFD_SAMPLE_MAX,
				     &sample, errp))
		return false;
	if (val && mode && strcmp(mode, "sampled")) {
		error_setg(errp, "sample= applies to mode=sampled only");
		return false;
	}
	o->has_mode = mode || val;
	o->sample = mode && !strcmp(mode, "full") ? 1 :
		    val				  ? (unsigned)sample :
						    AGING_UFFD_SAMPLE_DEFAULT;
	return true;
}

void aging_sample_error(GError **errp)
{
	error_setg(errp,
		   "mode=sampled and sample= apply to the uffd backend "
		   "only; dirty-log always covers every page (mode=full)");
}

/* Resolve the backend for @o->mem; check mode= and sample= against it. */
static bool aging_object_choose(AgingObject *o, const AgingFeedEnv *env,
				MemoryAgingBackend *backend, GError **errp)
{
	if (!aging_backend_resolve(env, o->mem, o->want, backend, errp))
		return false;
	/* only uffd samples; the others read every page each scan */
	if (!aging_backend_feed(*backend)->set_sample && o->has_mode &&
	    o->sample != 1) {
		aging_sample_error(errp);
		return false;
	}
	return true;
}

/* The backend of @ram's guest RAM called @memdev, or NULL. */
static HostMemBackend *aging_find_ram(RamList *ram, const char *memdev)
{
	for (RamBank *b = ram->head; b; b = b->next) {
		if (b->type == RAM_BANK_RAM && b->backend &&
		    !strcmp(b->backend->id, memdev))
			return b->backend;
	}
	return NULL;
}

/* @memdev is not a RAM bank: say whether it exists at all. */
static void aging_memdev_error(const VmConfig *cfg, const char *memdev,
			       GError **errp)
{
	bool pc_ram = !cfg->memory_backend &&
		      strcmp(cfg->machine_type, "none") != 0;

	for (guint i = 0; i < cfg->objects->len; i++) {
		ObjectConfig *oc = g_ptr_array_index(cfg->objects, i);

		if (strcmp(oc->id, memdev))
			continue;
		if (!g_str_has_prefix(oc->qom_type, "memory-backend-")) {
			error_setg(errp,
				   "memdev '%s' is the id of a %s object, not "
				   "of a memory backend",
				   memdev, oc->qom_type);
			return;
		}
		error_setg(errp,
			   "memdev '%s' is not guest RAM (give it to "
			   "-machine memory-backend=, or use pc.ram "
			   "for -m)",
			   memdev);
		return;
	}
	error_setg(errp,
		   "memory backend '%s' does not exist (memdev= takes the id "
		   "of an -object memory-backend-*%s)",
		   memdev, pc_ram ? ", or pc.ram for the RAM of -m" : "");
}

/* Is @mem aged by another object already?  Then say which. */
static bool aging_object_aging(AgingObjects *ao, HostMemBackend *mem,
			       GError **errp)
{
	for (guint i = 0; i < ao->objs->len; i++) {
		AgingObject *o = g_ptr_array_index(ao->objs, i);

		if (o->mem == mem) {
			error_setg(errp,
				   "memdev '%s' is already aged by "
				   "memory-aging '%s' (one object per memdev)",
				   mem->id, o->id);
			return true;
		}
	}
	return false;
}

static AgingObject *aging_object_new(AgingObjects *ao, ObjectConfig *oc,
				     GError **errp)
{
	AgingObject *o = g_new0(AgingObject, 1);
	const AgingFeedOps *ops;
	MemoryAgingBackend backend;
	AgingCoverage cov;

	o->id = g_strdup(oc->id);
	o->enabled = true;
	o->log = log_item_enabled(ao->cfg->debug_log, "aging");
	if (!aging_object_parse(o, oc->props, errp))
		goto err;
	o->mem = aging_find_ram(ao->env.ram, o->memdev);
	if (!o->mem) {
		aging_memdev_error(ao->cfg, o->memdev, errp);
		goto err;
	}
	if (aging_object_aging(ao, o->mem, errp))
		goto err;
	if (!aging_object_choose(o, &ao->env, &backend, errp))
		goto err;
	o->backend = backend;
	ops = aging_backend_feed(backend);
	cov = ops->coverage(ops->set_sample ? o->sample : 1);
	o->a = aging_new(o->memdev, ao->env.ram, o->mem, o->interval_ms, &cov,
			 errp);
	if (!o->a)
		goto err;
	if (aging_feed_new(&o->feed, ops, &ao->env, o->a, o->mem, o->sample,
			   false, errp)) {
		o->mem->ages = o->a;
		return o;
	}
	if (backend == MEMORY_AGING_BACKEND_UFFD)
		g_prefix_error(errp, "memdev '%s': ", o->memdev);
err:
	aging_object_free(o);
	return NULL;
}

AgingObjects *aging_objects_new(VmConfig *cfg, RamList *ram, KvmState *kvm,
				DirtyLog *dl, GError **errp)
{
	AgingObjects *ao = g_new0(AgingObjects, 1);

	ao->cfg = cfg;
	ao->env.kvm = kvm;
	ao->env.ram = ram;
	ao->env.dl = dl;
	ao->objs = g_ptr_array_new();
	for (guint i = 0; i < cfg->objects->len; i++) {
		ObjectConfig *oc = g_ptr_array_index(cfg->objects, i);
		AgingObject *o;

		if (strcmp(oc->qom_type, AGING_OBJECT_TYPE))
			continue;
		if (!kvm) {
			error_setg(errp, "needs a machine with KVM "
					 "(not -machine none)");
		} else if ((o = aging_object_new(ao, oc, errp))) {
			g_ptr_array_add(ao->objs, o);
			continue;
		}
		g_prefix_error(errp, "-object %s,id=%s: ", oc->qom_type,
			       oc->id);
		aging_objects_free(ao);
		return NULL;
	}
	aging_current = ao;
	return ao;
}

AgingObjects *aging_objects_current(void)
{
	return aging_current;
}

/*
 * A scan with -d aging: the feed's scan, then one line on stderr with
 * what it harvested (the units seen accessed, the feed's kernel and user
 * time, and for uffd the faults and zapped pages since the last scan).
 * An AgingScanFn.  Harvest thread; reads @o's feed, which the main
 * thread changes only while this thread is stopped.
 */
static bool aging_object_scan_log(void *opaque, unsigned ticks, GError **errp)
{
	AgingObject *o = opaque;
	gint64 t0 = g_get_monotonic_time();
	bool ok = aging_feed_scan(&o->feed, ticks, errp);
	gint64 us = g_get_monotonic_time() - t0;
	UffdTrackStats st;
	AgingCost cost;
	uint64_t scans = aging_last_scan(o->a, &cost);

	if (!ok) {
		fprintf(stderr,
			"aging: %s: scan failed after %" G_GINT64_FORMAT
			" us\n",
			o->memdev, us);
		return false;
	}
	if (scans == o->log_scans) {
		fprintf(stderr, "aging: %s: scan skipped (ages busy)\n",
			o->memdev);
		return true;
	}
	aging_feed_uffd_stats(&o->feed, &st);
	fprintf(stderr,
		"aging: %s: scan %" G_GUINT64_FORMAT " (%s): %" G_GUINT64_FORMAT
		" accessed of %" G_GUINT64_FORMAT " pages, %" G_GINT64_FORMAT
		" us (kernel %" G_GUINT64_FORMAT " us, user %" G_GUINT64_FORMAT
		" us), %" G_GUINT64_FORMAT " faults, %" G_GUINT64_FORMAT
		" zapped\n",
		o->memdev, scans, o->feed.ops->name, cost.written, cost.pages,
		us, cost.kernel_ns / 1000, cost.user_ns / 1000,
		st.faults - o->log_prev.faults, st.zapped - o->log_prev.zapped);
	o->log_prev = st;
	o->log_scans = scans;
	return true;
}

bool aging_object_run(AgingObject *o, GError **errp)
{
	AgingScanFn scan = aging_feed_scan;
	void *opaque = &o->feed;

	if (o->log) {
		/* the feed may be new (a switch): its counters start here */
		aging_feed_uffd_stats(&o->feed, &o->log_prev);
		o->log_scans = aging_last_scan(o->a, &(AgingCost){ 0 });
		scan = aging_object_scan_log;
		opaque = o;
	}
	o->thread = aging_start(o->id, o->interval_ms, scan, opaque, errp);
	if (o->thread)
		aging_set_watching(o->a, true);
	return o->thread != NULL;
}

void aging_object_halt(AgingObject *o)
{
	if (o->thread)
		aging_stop(o->thread);
	o->thread = NULL;
}

bool aging_objects_start(AgingObjects *ao, GError **errp)
{
	ao->started = true;
	for (guint i = 0; i < ao->objs->len; i++) {
		AgingObject *o = g_ptr_array_index(ao->objs, i);

		if (o->enabled && !o->thread && !aging_object_run(o, errp))
			return false;
	}
	return true;
}

void aging_objects_stop(AgingObjects *ao)
{
	if (!ao)
		return;
	ao->started = false;
	for (guint i = 0; i < ao->objs->len; i++) {
		AgingObject *o = g_ptr_array_index(ao->objs, i);

		aging_object_halt(o);
		aging_set_watching(o->a, false);
	}
}

void aging_objects_free(AgingObjects *ao)
{
	if (!ao)
		return;
	aging_objects_stop(ao);
	if (aging_current == ao)
		aging_current = NULL;
	/* The dirty log's consumers go with the feeds. */
	for (guint i = 0; i < ao->objs->len; i++)
		aging_object_free(g_ptr_array_index(ao->objs, i));
	g_ptr_array_unref(ao->objs);
	g_free(ao);
}
