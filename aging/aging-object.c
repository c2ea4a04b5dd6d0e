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

#include "accel/access-log.h"
#include "aging/aging-object-int.h"
#include "util/error.h"

static void aging_object_free(AgingObject *o)
{
	aging_object_halt(o);
	aging_feed_free(&o->feed);
	if (o->a)
		aging_free(o->a);
	g_free(o->id);
	g_free(o->memdev);
	g_free(o);
}

/*
 * Why uffd cannot track @mem, or NULL if it can: userfaultfd MINOR faults
 * need shared memory, and kvmage's own accesses need a file behind it to
 * map an alias of (system/ram.h).  Huge pages (hugetlbfs) are fine.
 */
const char *aging_uffd_why(const HostMemBackend *mem)
{
	if ((mem->type == HOSTMEM_MEMFD || mem->type == HOSTMEM_FILE) &&
	    mem->share)
		return NULL;
	if (mem->type == HOSTMEM_MEMFD)
		return "private memfd memory (share=off): userfaultfd minor "
		       "faults need shared memory (use share=on)";
	if (mem->type == HOSTMEM_FILE)
		return "private file memory (share=off): userfaultfd minor "
		       "faults need shared memory (use share=on)";
	if (mem->share)
		return "anonymous shared RAM (memory-backend-ram): kvmage's "
		       "own accesses need a file to map twice (use "
		       "memory-backend-memfd)";
	return "private RAM (memory-backend-ram): userfaultfd minor faults "
	       "need shared memory (use memory-backend-memfd)";
}

/*
 * The backend @want resolves to for @mem, or an error saying why it
 * cannot be.
 */
bool aging_backend_resolve(KvmState *kvm, const HostMemBackend *mem,
			   MemoryAgingBackend want, MemoryAgingBackend *out,
			   GError **errp)
{
	const char *why;

	switch (want) {
	case MEMORY_AGING_BACKEND_ACCESS_LOG:
		if (!access_log_probe(kvm, errp))
			return false;
		error_setg(errp, "backend=access-log: KVM has "
				 "KVM_CAP_ACCESS_LOG but kvmage does not feed "
				 "aging from it yet");
		return false;
	case MEMORY_AGING_BACKEND_UFFD:
		why = aging_uffd_why(mem);
		if (why) {
			error_setg(errp, "backend=uffd: memdev '%s' is %s",
				   mem->id, why);
			return false;
		}
		*out = MEMORY_AGING_BACKEND_UFFD;
		return true;
	case MEMORY_AGING_BACKEND_AUTO:
		/* access-log is missing: uffd for shared banks */
		*out = aging_uffd_why(mem) ? MEMORY_AGING_BACKEND_DIRTY_LOG :
					     MEMORY_AGING_BACKEND_UFFD;
		return true;
	case MEMORY_AGING_BACKEND_DIRTY_LOG:
	default:
		*out = MEMORY_AGING_BACKEND_DIRTY_LOG;
		return true;
	}
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
static bool aging_object_choose(AgingObject *o, KvmState *kvm,
				MemoryAgingBackend *backend, GError **errp)
{
	if (!aging_backend_resolve(kvm, o->mem, o->want, backend, errp))
		return false;
	/* dirty-log reads the whole log each scan: nothing to sample */
	if (*backend == MEMORY_AGING_BACKEND_DIRTY_LOG && o->has_mode &&
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

AgingCoverage aging_feed_coverage(const AgingFeed *f)
{
	if (f->backend == MEMORY_AGING_BACKEND_UFFD)
		return uffd_aging_coverage(f->sample);
	return dirty_log_coverage;
}

bool aging_feed_build(AgingObjects *ao, AgingObject *o,
		      MemoryAgingBackend backend, unsigned sample, bool rebase,
		      AgingFeed *f, GError **errp)
{
	bool new_dl = false;

	memset(f, 0, sizeof(*f));
	f->backend = backend;
	f->sample = sample;
	if (backend == MEMORY_AGING_BACKEND_UFFD) {
		f->ua = uffd_aging_new(o->a, ao->ram, o->mem, sample, errp);
		return f->ua != NULL;
	}
	if (!ao->dl) {
		ao->dl = dirty_log_new(ao->kvm, ao->ram, errp);
		if (!ao->dl)
			return false;
		new_dl = true;
	}
	f->da = dirty_log_aging_new(ao->dl, o->a);
	if (!rebase || dirty_log_aging_rebase(f->da, errp))
		return true;
	dirty_log_aging_free(f->da);
	f->da = NULL;
	if (new_dl) {
		/* Ours was its only client: logging goes off again. */
		dirty_log_free(ao->dl);
		ao->dl = NULL;
	}
	return false;
}

void aging_feed_free(AgingFeed *f)
{
	dirty_log_aging_free(f->da);
	uffd_aging_free(f->ua);
	f->da = NULL;
	f->ua = NULL;
}

static AgingScanFn aging_feed_fn(AgingFeed *f, void **opaque)
{
	if (f->backend == MEMORY_AGING_BACKEND_UFFD) {
		*opaque = f->ua;
		return uffd_aging_scan;
	}
	*opaque = f->da;
	return dirty_log_aging_scan;
}

bool aging_feed_scan(AgingFeed *f, GError **errp)
{
	void *opaque;
	AgingScanFn fn = aging_feed_fn(f, &opaque);

	return fn(opaque, 1, errp);
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

static AgingObject *aging_object_new(AgingObjects *ao, ObjectConfig *oc,
				     GError **errp)
{
	AgingObject *o = g_new0(AgingObject, 1);
	MemoryAgingBackend backend;
	AgingCoverage cov;

	o->id = g_strdup(oc->id);
	o->enabled = true;
	if (!aging_object_parse(o, oc->props, errp))
		goto err;
	o->mem = aging_find_ram(ao->ram, o->memdev);
	if (!o->mem) {
		aging_memdev_error(ao->cfg, o->memdev, errp);
		goto err;
	}
	if (!aging_object_choose(o, ao->kvm, &backend, errp))
		goto err;
	o->feed.backend = backend;
	o->feed.sample = o->sample;
	cov = aging_feed_coverage(&o->feed);
	o->a = aging_new(o->memdev, ao->ram, o->mem, o->interval_ms, &cov,
			 errp);
	if (!o->a)
		goto err;
	if (aging_feed_build(ao, o, backend, o->sample, false, &o->feed, errp))
		return o;
	if (backend == MEMORY_AGING_BACKEND_UFFD)
		g_prefix_error(errp, "memdev '%s': ", o->memdev);
err:
	aging_object_free(o);
	return NULL;
}

AgingObjects *aging_objects_new(VmConfig *cfg, RamList *ram, KvmState *kvm,
				GError **errp)
{
	AgingObjects *ao = g_new0(AgingObjects, 1);

	ao->cfg = cfg;
	ao->kvm = kvm;
	ao->ram = ram;
	ao->objs = g_ptr_array_new();
	for (guint i = 0; i < cfg->objects->len; i++) {
		ObjectConfig *oc = g_ptr_array_index(cfg->objects, i);
		AgingObject *o;

		if (strcmp(oc->qom_type, AGING_OBJECT_TYPE))
			continue;
		if (!kvm) {
			error_setg(errp, "needs a machine with KVM "
					 "(not -machine none)");
		} else if (ao->objs->len) {
			error_setg(errp, "only one memory-aging object per VM "
					 "is supported for now");
		} else if ((o = aging_object_new(ao, oc, errp))) {
			g_ptr_array_add(ao->objs, o);
			continue;
		}
		g_prefix_error(errp, "-object %s,id=%s: ", oc->qom_type,
			       oc->id);
		aging_objects_free(ao);
		return NULL;
	}
	return ao;
}

bool aging_object_run(AgingObject *o, GError **errp)
{
	void *opaque;
	AgingScanFn fn = aging_feed_fn(&o->feed, &opaque);

	o->thread = aging_start(o->id, o->interval_ms, fn, opaque, errp);
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
	qmp_aging_set_ops(NULL, NULL);
	/* Clients first: dirty_log_free() wants none left. */
	for (guint i = 0; i < ao->objs->len; i++)
		aging_object_free(g_ptr_array_index(ao->objs, i));
	g_ptr_array_unref(ao->objs);
	if (ao->dl)
		dirty_log_free(ao->dl);
	g_free(ao);
}

static const QmpAgingOps aging_qmp_ops = {
	.query = aging_qmp_query,
	.set = aging_qmp_set,
};

Aging *aging_objects_lookup(AgingObjects *ao, const char *memdev)
{
	for (guint i = 0; ao && i < ao->objs->len; i++) {
		AgingObject *o = g_ptr_array_index(ao->objs, i);

		if (!strcmp(o->memdev, memdev))
			return o->a;
	}
	return NULL;
}

void aging_objects_qmp_register(AgingObjects *ao)
{
	qmp_aging_set_ops(&aging_qmp_ops, ao);
}
