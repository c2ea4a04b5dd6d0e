/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * query-memory-aging and memory-aging-set for the memory-aging objects,
 * with the run-time backend switch.
 *
 * A switch (memory-aging-set with another backend, or uffd with another
 * mode or sample) keeps the object's Aging: ages are counted in scans,
 * so they carry over; the coverage becomes the new backend's.  Steps:
 *  1. check every member against the memdev (resolve @backend as at
 *     start-up, mode/sample rules of -object, ranges); nothing changes
 *     before all of it passed;
 *  2. stop and join the harvest thread: from here the main thread alone
 *     touches the feeds;
 *  3. uffd to uffd: only the sample changes (aging_feed_set_sample()
 *     arms the new sample's first phase);
 *     otherwise build the new feed next to the old one (uffd: register
 *     and arm the first sample; dirty-log: attach a client to the VM's
 *     harvester and take a baseline so that writes from before the
 *     switch are not reported), then, if the object was scanning, run
 *     one last scan of the old feed so what it saw since its previous
 *     scan reaches the ages (it counts as a scan), then tear
 *     the old feed down (uffd: close the userfaultfds, which unregisters
 *     the range, so zapped pages fault back in from the page cache;
 *     dirty-log: detach aging's client, the harvester goes on for any
 *     other client);
 *  4. restart the thread if the object is enabled.
 * If step 3 fails the new feed is freed, the old one is untouched and
 * its thread restarts: the error is returned and nothing is lost.
 * The guest runs throughout; neither backend changes guest memory.
 *
 * Locking: main thread only (QMP); see aging-object-int.h for the rule
 * that feeds change only while the harvest thread is stopped.
 */
#include <stdio.h>
#include <string.h>

#include "aging/aging-object-int.h"
#include "util/error.h"

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
		const char *why =
			aging_backend_feed(order[i])->why(&ao->env, o->mem);

		bi->backend = order[i];
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
		bin->has_error_bytes = st->hist_estimated[k];
		bin->error_bytes = st->hist_error[k];
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
	info->proven_cold_bytes = st.proven_cold_bytes;
	info->has_cold_bytes_error = st.cold_estimated;
	info->cold_bytes_error = st.cold_error;
	info->histogram = aging_qmp_hist(&st);
	return info;
}

static bool aging_qmp_query(AgingObjects *ao, bool has_cold, int64_t cold_ms,
			    MemoryAgingInfoList **ret, GError **errp)
{
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

/*
 * The uffd sample N that @req asks for on @o (1: full), checking mode and
 * sample against each other and their range; @backend is the resolved
 * target.  Absent mode and sample keep @o's last uffd N.
 */
static bool aging_qmp_sample(AgingObject *o,
			     const q_obj_memory_aging_set_arg *req,
			     MemoryAgingBackend backend, unsigned *out,
			     GError **errp)
{
	bool full = req->has_mode && req->mode == MEMORY_AGING_MODE_FULL;
	unsigned n = o->sample;

	if (full && req->has_sample) {
		error_setg(errp, "sample= applies to mode=sampled only");
		return false;
	}
	if (req->has_sample &&
	    (req->sample < 1 || req->sample > AGING_UFFD_SAMPLE_MAX)) {
		error_setg(errp, "Parameter 'sample' must be from 1 to %u",
			   AGING_UFFD_SAMPLE_MAX);
		return false;
	}
	if (full)
		n = 1;
	else if (req->has_sample)
		n = req->sample;
	else if (req->has_mode && n == 1)
		n = AGING_UFFD_SAMPLE_DEFAULT; /* sampled, from full */
	/* only uffd samples; the others read every page each scan */
	if (!aging_backend_feed(backend)->set_sample &&
	    (req->has_mode || req->has_sample) && n != 1) {
		aging_sample_error(errp);
		return false;
	}
	*out = n;
	return true;
}

/* Restart @o's thread after a failed switch; the old feed is intact. */
static void aging_qmp_resume(AgingObject *o, bool was_running)
{
	g_autoptr(GError) err = NULL;

	if (!was_running || aging_object_run(o, &err))
		return;
	/* Say so in query-memory-aging (enabled: false) and on stderr. */
	o->enabled = false;
	aging_set_watching(o->a, false);
	fprintf(stderr, "aging %s: cannot restart the harvest thread: %s\n",
		o->id, err->message);
}

/*
 * Switch @o to @backend with uffd sample @sample (steps 2 and 3 of the
 * comment at the top).  The caller restarts the thread.  On failure @o
 * keeps its feed and its thread is running again as before.
 */
static bool aging_qmp_switch(AgingObjects *ao, AgingObject *o,
			     MemoryAgingBackend backend, unsigned sample,
			     GError **errp)
{
	bool was_running = o->thread != NULL;
	AgingFeed nf;
	AgingCoverage cov;

	aging_object_halt(o);
	if (o->backend == backend) {
		/* uffd to uffd: the trackers stay, only the sample changes */
		if (!aging_feed_set_sample(&o->feed, sample, errp))
			goto err;
	} else {
		if (!aging_feed_new(&nf, aging_backend_feed(backend), &ao->env,
				    o->a, o->mem, sample, true, errp))
			goto err;
		/* Disabled: no scans, the old backend's news is dropped. */
		if (was_running && !aging_feed_scan(&o->feed, 1, errp)) {
			aging_feed_free(&nf);
			goto err;
		}
		aging_feed_free(&o->feed);
		o->feed = nf;
		o->backend = backend;
	}
	cov = aging_feed_coverage(&o->feed);
	aging_set_coverage(o->a, &cov);
	return true;

err:
	g_prefix_error(errp, "memory-aging '%s': switch from %s to %s: ", o->id,
		       MemoryAgingBackend_str(o->backend),
		       MemoryAgingBackend_str(backend));
	aging_qmp_resume(o, was_running);
	return false;
}

/* Everything is checked before anything changes. */
static bool aging_qmp_set(AgingObjects *ao,
			  const q_obj_memory_aging_set_arg *req, GError **errp)
{
	AgingObject *o = aging_objects_find(ao, req->id);
	MemoryAgingBackend use;
	unsigned sample;
	bool change;

	if (!o) {
		g_set_error(errp, KVMAGE_ERROR, KVMAGE_ERROR_DEVICE_NOT_FOUND,
			    "Memory aging object '%s' not found", req->id);
		return false;
	}
	if (req->has_interval && (req->interval < AGING_OBJECT_MIN_INTERVAL ||
				  req->interval > AGING_OBJECT_MAX_INTERVAL)) {
		error_setg(errp, "Parameter 'interval' must be from %d to %d",
			   AGING_OBJECT_MIN_INTERVAL,
			   AGING_OBJECT_MAX_INTERVAL);
		return false;
	}
	use = o->backend;
	if (req->has_backend &&
	    !aging_backend_resolve(&ao->env, o->mem, req->backend, &use, errp))
		return false;
	if (!aging_qmp_sample(o, req, use, &sample, errp))
		return false;
	change = use != o->backend ||
		 (o->feed.ops->set_sample && sample != o->feed.sample);
	if (change && !aging_qmp_switch(ao, o, use, sample, errp))
		return false;
	if (req->has_backend)
		o->want = req->backend;
	if (aging_backend_feed(use)->set_sample)
		o->sample = sample;
	/* A new interval needs a new thread, as does a new feed. */
	if (req->has_interval) {
		aging_object_halt(o);
		o->interval_ms = req->interval;
		aging_set_interval(o->a, req->interval);
	}
	if (req->has_enable)
		o->enabled = req->enable;
	if (!o->enabled) {
		aging_object_halt(o);
		/* users of the ages (reclaim jobs) must know they are blind */
		aging_set_watching(o->a, false);
	} else if (ao->started && !o->thread) {
		return aging_object_run(o, errp);
	}
	return true;
}

bool qmp_query_memory_aging(q_obj_query_memory_aging_arg *arg,
			    MemoryAgingInfoList **ret, GError **errp)
{
	AgingObjects *ao = aging_objects_current();

	*ret = NULL;
	if (arg->has_cold_threshold_ms && arg->cold_threshold_ms < 0) {
		error_setg(errp, "Parameter 'cold-threshold-ms' must not be "
				 "negative");
		return false;
	}
	/* no VM, or -machine none: no objects, an empty list */
	if (!ao)
		return true;
	return aging_qmp_query(ao, arg->has_cold_threshold_ms,
			       arg->cold_threshold_ms, ret, errp);
}

bool qmp_memory_aging_set(q_obj_memory_aging_set_arg *arg, GError **errp)
{
	AgingObjects *ao = aging_objects_current();

	if (!ao) {
		g_set_error(errp, KVMAGE_ERROR, KVMAGE_ERROR_DEVICE_NOT_FOUND,
			    "Memory aging object '%s' not found", arg->id);
		return false;
	}
	return aging_qmp_set(ao, arg, errp);
}
