/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memory-aging objects: parse and check -object memory-aging, build the
 * Aging and its feed (dirty-log, or uffd for shared banks), run the
 * harvest thread from VM start to teardown, and answer the QMP commands.
 * The backend is chosen at start-up; memory-aging-set cannot switch it.
 *
 * Interval limits: at least AGING_OBJECT_MIN_INTERVAL (10 ms).  Ages
 * saturate at AGING_AGE_MAX (32768) scans, so at 10 ms idle times above
 * 5.5 minutes are no longer told apart, and each scan has a fixed cost (a
 * thread wake-up and a KVM_GET_DIRTY_LOG per memslot) that below 10 ms
 * becomes a visible share of a host core for no gain: the histogram's
 * first bin is 100 ms wide.  At most one hour.
 *
 * Locking: main thread only (see include/aging/aging-object.h).
 */
#include <string.h>

#include "accel/access-log.h"
#include "accel/dirty-log.h"
#include "accel/uffd-aging.h"
#include "aging/aging-object.h"
#include "monitor/qmp-aging.h"
#include "util/error.h"

#define ACCESS_LOG_WHY                                                 \
	"KVM lacks KVM_CAP_ACCESS_LOG (proposed interface, no kernel " \
	"implements it)"
#define UFFD_SAMPLE_DEFAULT 64

typedef struct AgingObject {
	char *id;
	char *memdev;
	uint64_t interval_ms;
	MemoryAgingBackend want;    /* as asked: auto, dirty-log, ... */
	MemoryAgingBackend backend; /* in use: dirty-log or uffd */
	unsigned sample;	    /* uffd: 1 page in @sample per scan */
	bool has_mode;		    /* mode= or sample= given */
	HostMemBackend *mem;
	bool enabled;
	Aging *a;
	DirtyLogAging *da;   /* dirty-log feed */
	UffdAging *ua;	     /* uffd feed */
	AgingThread *thread; /* NULL while not scanning */
} AgingObject;

struct AgingObjects {
	KvmState *kvm;
	DirtyLog *dl; /* the VM's harvester, NULL without objects */
	GPtrArray *objs;
	bool started; /* VM started: enabled objects scan */
};

static void aging_object_free(AgingObject *o)
{
	if (o->thread)
		aging_stop(o->thread);
	dirty_log_aging_free(o->da);
	uffd_aging_free(o->ua);
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
static const char *aging_uffd_why(const HostMemBackend *mem)
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
static bool aging_backend_resolve(KvmState *kvm, const HostMemBackend *mem,
				  MemoryAgingBackend want,
				  MemoryAgingBackend *out, GError **errp)
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
	if (val && !aging_parse_uint("sample", val, 1, 1u << 20, &sample, errp))
		return false;
	if (val && mode && strcmp(mode, "sampled")) {
		error_setg(errp, "sample= applies to mode=sampled only");
		return false;
	}
	o->has_mode = mode || val;
	o->sample = mode && !strcmp(mode, "full") ? 1 :
		    val				  ? (unsigned)sample :
						    UFFD_SAMPLE_DEFAULT;
	return true;
}

/* Resolve the backend for @o->mem; check mode= and sample= against it. */
static bool aging_object_choose(AgingObject *o, KvmState *kvm, GError **errp)
{
	if (!aging_backend_resolve(kvm, o->mem, o->want, &o->backend, errp))
		return false;
	/* dirty-log reads the whole log each scan: nothing to sample */
	if (o->backend == MEMORY_AGING_BACKEND_DIRTY_LOG && o->has_mode &&
	    o->sample != 1) {
		error_setg(errp, "mode=sampled and sample= apply to the uffd "
				 "backend only; dirty-log always covers every "
				 "page (mode=full)");
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

/* The uffd feed of @o; frees @o on failure. */
static bool aging_object_new_uffd(AgingObject *o, RamList *ram, GError **errp)
{
	AgingCoverage cov = uffd_aging_coverage(o->sample);

	o->a = aging_new(o->memdev, ram, o->mem, o->interval_ms, &cov, errp);
	if (o->a)
		o->ua = uffd_aging_new(o->a, ram, o->mem, o->sample, errp);
	if (o->ua)
		return true;
	g_prefix_error(errp, "memdev '%s': ", o->memdev);
	aging_object_free(o);
	return false;
}

static AgingObject *aging_object_new(AgingObjects *ao, ObjectConfig *oc,
				     RamList *ram, GError **errp)
{
	AgingObject *o = g_new0(AgingObject, 1);

	o->id = g_strdup(oc->id);
	o->enabled = true;
	if (!aging_object_parse(o, oc->props, errp))
		goto err;
	o->mem = aging_find_ram(ram, o->memdev);
	if (!o->mem) {
		error_setg(errp,
			   "memdev '%s' is not guest RAM (give it to "
			   "-machine memory-backend=, or use pc.ram "
			   "for -m)",
			   o->memdev);
		goto err;
	}
	if (!aging_object_choose(o, ao->kvm, errp))
		goto err;
	if (o->backend == MEMORY_AGING_BACKEND_UFFD)
		return aging_object_new_uffd(o, ram, errp) ? o : NULL;
	if (!ao->dl) {
		ao->dl = dirty_log_new(ao->kvm, ram, errp);
		if (!ao->dl)
			goto err;
	}
	o->a = aging_new(o->memdev, ram, o->mem, o->interval_ms,
			 &dirty_log_coverage, errp);
	if (!o->a)
		goto err;
	o->da = dirty_log_aging_new(ao->dl, o->a);
	return o;

err:
	aging_object_free(o);
	return NULL;
}

AgingObjects *aging_objects_new(VmConfig *cfg, RamList *ram, KvmState *kvm,
				GError **errp)
{
	AgingObjects *ao = g_new0(AgingObjects, 1);

	ao->kvm = kvm;
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
		} else if ((o = aging_object_new(ao, oc, ram, errp))) {
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

static bool aging_object_run(AgingObject *o, GError **errp)
{
	if (o->backend == MEMORY_AGING_BACKEND_UFFD)
		o->thread = aging_start(o->id, o->interval_ms, uffd_aging_scan,
					o->ua, errp);
	else
		o->thread = aging_start(o->id, o->interval_ms,
					dirty_log_aging_scan, o->da, errp);
	return o->thread != NULL;
}

static void aging_object_halt(AgingObject *o)
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
	for (guint i = 0; i < ao->objs->len; i++)
		aging_object_halt(g_ptr_array_index(ao->objs, i));
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

/* QMP */

static MemoryAgingBackendInfoList *aging_qmp_backends(AgingObjects *ao,
						      AgingObject *o)
{
	static const MemoryAgingBackend order[] = {
		MEMORY_AGING_BACKEND_ACCESS_LOG,
		MEMORY_AGING_BACKEND_DIRTY_LOG,
		MEMORY_AGING_BACKEND_UFFD,
	};
	MemoryAgingBackendInfoList *head = NULL, **tail = &head;

	for (size_t i = 0; i < G_N_ELEMENTS(order); i++) {
		MemoryAgingBackendInfo *bi = g_new0(MemoryAgingBackendInfo, 1);
		const char *why = NULL;

		bi->backend = order[i];
		if (order[i] == MEMORY_AGING_BACKEND_ACCESS_LOG)
			why = access_log_probe(ao->kvm, NULL) ?
				      "kvmage does not feed aging from the "
				      "access log yet" :
				      ACCESS_LOG_WHY;
		else if (order[i] == MEMORY_AGING_BACKEND_UFFD)
			why = aging_uffd_why(o->mem);
		bi->available = !why;
		bi->has_reason = why != NULL;
		bi->reason = g_strdup(why);
		*tail = g_new0(MemoryAgingBackendInfoList, 1);
		(*tail)->value = bi;
		tail = &(*tail)->next;
	}
	return head;
}

static MemoryAgingBinList *aging_qmp_hist(const AgingStats *st)
{
	MemoryAgingBinList *head = NULL, **tail = &head;

	for (unsigned k = 0; k < AGING_HIST_BINS; k++) {
		MemoryAgingBin *bin = g_new0(MemoryAgingBin, 1);

		bin->has_upper_bound_ms = k + 1 < AGING_HIST_BINS;
		if (bin->has_upper_bound_ms)
			bin->upper_bound_ms = aging_hist_edge_ms(k + 1);
		bin->bytes = st->hist_bytes[k];
		*tail = g_new0(MemoryAgingBinList, 1);
		(*tail)->value = bin;
		tail = &(*tail)->next;
	}
	return head;
}

static MemoryAgingInfo *aging_qmp_info(AgingObjects *ao, AgingObject *o,
				       bool has_cold, int64_t cold_ms)
{
	MemoryAgingInfo *info = g_new0(MemoryAgingInfo, 1);
	MemoryAgingCoverage *cov = g_new0(MemoryAgingCoverage, 1);
	AgingStats st;

	aging_query(o->a, has_cold ? (uint64_t)cold_ms : 10 * o->interval_ms,
		    &st);
	info->id = g_strdup(o->id);
	info->memdev = g_strdup(o->memdev);
	info->enabled = o->enabled;
	info->backend = o->backend;
	info->backends = aging_qmp_backends(ao, o);
	info->interval_ms = st.interval_ms;
	info->scans = st.scans;
	info->skipped_scans = st.skipped;
	cov->reads = st.coverage.reads;
	cov->writes = st.coverage.writes;
	cov->sampled_fraction = st.coverage.sampled;
	cov->has_note = st.coverage.note != NULL;
	cov->note = g_strdup(st.coverage.note);
	info->coverage = cov;
	info->last_scan_cost = g_new0(MemoryAgingScanCost, 1);
	info->last_scan_cost->kernel_ns = st.last_cost.kernel_ns;
	info->last_scan_cost->user_ns = st.last_cost.user_ns;
	info->total_bytes = st.total_bytes;
	info->cold_threshold_ms = st.cold_ms;
	info->cold_bytes = st.cold_bytes;
	info->histogram = aging_qmp_hist(&st);
	return info;
}

static bool aging_qmp_query(void *opaque, bool has_cold, int64_t cold_ms,
			    MemoryAgingInfoList **ret, GError **errp)
{
	AgingObjects *ao = opaque;
	MemoryAgingInfoList **tail = ret;

	for (guint i = 0; i < ao->objs->len; i++) {
		*tail = g_new0(MemoryAgingInfoList, 1);
		(*tail)->value = aging_qmp_info(ao, ao->objs->pdata[i],
						has_cold, cold_ms);
		tail = &(*tail)->next;
	}
	return true;
}

static AgingObject *aging_objects_find(AgingObjects *ao, const char *id)
{
	for (guint i = 0; i < ao->objs->len; i++) {
		AgingObject *o = g_ptr_array_index(ao->objs, i);

		if (!strcmp(o->id, id))
			return o;
	}
	return NULL;
}

/* Everything is checked before anything changes. */
static bool aging_qmp_set(void *opaque, const char *id, bool has_enable,
			  bool enable, bool has_interval, int64_t interval,
			  bool has_backend, MemoryAgingBackend backend,
			  GError **errp)
{
	AgingObjects *ao = opaque;
	AgingObject *o = aging_objects_find(ao, id);
	MemoryAgingBackend use;
	bool restart;

	if (!o) {
		g_set_error(errp, KVMAGE_ERROR, KVMAGE_ERROR_DEVICE_NOT_FOUND,
			    "Memory aging object '%s' not found", id);
		return false;
	}
	if (has_interval && (interval < AGING_OBJECT_MIN_INTERVAL ||
			     interval > AGING_OBJECT_MAX_INTERVAL)) {
		error_setg(errp, "Parameter 'interval' must be from %d to %d",
			   AGING_OBJECT_MIN_INTERVAL,
			   AGING_OBJECT_MAX_INTERVAL);
		return false;
	}
	if (has_backend &&
	    !aging_backend_resolve(ao->kvm, o->mem, backend, &use, errp))
		return false;
	if (has_backend && use != o->backend) {
		error_setg(errp,
			   "memory-aging-set cannot switch '%s' from %s to "
			   "%s at run time (restart with -object "
			   "memory-aging,backend=%s)",
			   id, MemoryAgingBackend_str(o->backend),
			   MemoryAgingBackend_str(use),
			   MemoryAgingBackend_str(use));
		return false;
	}
	restart = has_interval && o->thread;
	if (restart)
		aging_object_halt(o);
	if (has_interval) {
		o->interval_ms = interval;
		aging_set_interval(o->a, interval);
	}
	if (has_enable)
		o->enabled = enable;
	if (!o->enabled)
		aging_object_halt(o);
	else if (ao->started && !o->thread)
		return aging_object_run(o, errp);
	return true;
}

static const QmpAgingOps aging_qmp_ops = {
	.query = aging_qmp_query,
	.set = aging_qmp_set,
};

void aging_objects_qmp_register(AgingObjects *ao)
{
	qmp_aging_set_ops(&aging_qmp_ops, ao);
}
