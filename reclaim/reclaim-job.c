/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memory-reclaim as a job, and the per-memdev reclaim state behind
 * query-memory-reclaim (include/reclaim/reclaim.h).
 *
 * Locking: rs (the memdev list, the RAM list, the aging objects) is set
 * up and torn down by the main thread and read-only in between.  Each
 * ReclaimMemdev's mutex protects its running job id, last result, totals
 * and refaults: the main thread takes it to start a job and to answer
 * queries, the job thread to publish figures and to store its result.
 */
#include <string.h>
#include <sys/mman.h>

#include "aging/aging.h"
#include "job/job.h"
#include "reclaim/reclaim.h"
#include "util/error.h"
#include "util/size.h"

typedef struct ReclaimLast {
	char *job_id;
	MemoryReclaimAdvice advice;
	bool dry_run;
	bool has_min_age;
	bool confirm, allow_write_only;
	uint64_t min_age_ms, target_bytes;
	MemoryReclaimStatus status;
	char *error;
	ReclaimStats st;
} ReclaimLast;

typedef struct ReclaimMemdev {
	HostMemBackend *be;
	GMutex lock;  /* protects the fields below */
	char *job_id; /* the running reclaim job, or NULL */
	bool has_last;
	ReclaimLast last;
	uint64_t jobs, advised, swapped;
	ReclaimRefaults *rf;
} ReclaimMemdev;

typedef struct ReclaimJob {
	ReclaimMemdev *md;
	Job *job;
	ReclaimTarget t;
	ReclaimParams p;
	ReclaimLast meta; /* of this job: st unused */
} ReclaimJob;

static struct {
	RamList *ram;
	GPtrArray *mds; /* ReclaimMemdev, one per RAM backend */
} rs;

static void reclaim_memdev_free(gpointer p)
{
	ReclaimMemdev *md = p;

	g_free(md->job_id);
	g_free(md->last.job_id);
	g_free(md->last.error);
	reclaim_refaults_free(md->rf);
	g_mutex_clear(&md->lock);
	g_free(md);
}

void reclaim_setup(RamList *ram)
{
	RamBank *b;

	reclaim_teardown();
	rs.ram = ram;
	rs.mds = g_ptr_array_new_with_free_func(reclaim_memdev_free);
	ram_for_each_bank(ram, b) {
		ReclaimMemdev *md;
		bool seen = false;

		if (b->type != RAM_BANK_RAM || !b->backend)
			continue;
		for (guint i = 0; i < rs.mds->len; i++)
			seen |= ((ReclaimMemdev *)rs.mds->pdata[i])->be ==
				b->backend;
		if (seen)
			continue;
		md = g_new0(ReclaimMemdev, 1);
		md->be = b->backend;
		g_mutex_init(&md->lock);
		md->rf = reclaim_refaults_new();
		g_ptr_array_add(rs.mds, md);
	}
}

void reclaim_teardown(void)
{
	if (rs.mds)
		g_ptr_array_unref(rs.mds);
	memset(&rs, 0, sizeof(rs));
}

/* The ages hang on the memdev while a memory-aging object watches it. */
static Aging *reclaim_aging(ReclaimMemdev *md)
{
	return md->be->ages;
}

/* The memdev to reclaim: @name, or the only aged one.  Main thread. */
static ReclaimMemdev *reclaim_find(const char *name, GError **errp)
{
	ReclaimMemdev *found = NULL;
	unsigned aged = 0;

	for (guint i = 0; rs.mds && i < rs.mds->len; i++) {
		ReclaimMemdev *md = rs.mds->pdata[i];

		if (name && !strcmp(md->be->id, name))
			found = md;
		if (!name && reclaim_aging(md)) {
			found = md;
			aged++;
		}
	}
	if (name && !found) {
		g_set_error(errp, KVMAGE_ERROR, KVMAGE_ERROR_DEVICE_NOT_FOUND,
			    "Memory backend '%s' not found in guest RAM", name);
		return NULL;
	}
	if (!name && aged != 1) {
		error_setg(errp, aged ? "several memdevs have a memory-aging "
					"object: name one with 'memdev'" :
					"no memdev has a memory-aging object: "
					"reclaim needs page ages (-object "
					"memory-aging,memdev=...)");
		return NULL;
	}
	if (!reclaim_aging(found)) {
		error_setg(errp,
			   "memdev '%s' has no memory-aging object: reclaim "
			   "needs page ages (-object memory-aging,memdev=%s)",
			   found->be->id, found->be->id);
		return NULL;
	}
	return found;
}

/* Hooks: the job's thread. */
static bool reclaim_hook_yield(void *opaque)
{
	return job_yield(((ReclaimJob *)opaque)->job);
}

static bool reclaim_hook_cancelled(void *opaque)
{
	return job_is_cancelled(((ReclaimJob *)opaque)->job);
}

static void reclaim_hook_total(void *opaque, uint64_t bytes)
{
	job_progress_set_total(((ReclaimJob *)opaque)->job, bytes);
}

static void reclaim_hook_progress(void *opaque, uint64_t bytes)
{
	job_progress_add(((ReclaimJob *)opaque)->job, bytes);
}

/* Store @st as the memdev's last result.  Takes md->lock. */
static void reclaim_store(ReclaimJob *rj, const ReclaimStats *st,
			  MemoryReclaimStatus status, const char *error)
{
	ReclaimMemdev *md = rj->md;

	g_mutex_lock(&md->lock);
	if (g_strcmp0(md->last.job_id, rj->meta.job_id)) {
		g_free(md->last.job_id);
		g_free(md->last.error);
		md->last = rj->meta;
		md->last.job_id = g_strdup(rj->meta.job_id);
		md->last.error = NULL;
	}
	md->has_last = true;
	md->last.st = *st;
	md->last.status = status;
	if (error && !md->last.error)
		md->last.error = g_strdup(error);
	g_mutex_unlock(&md->lock);
}

static void reclaim_hook_publish(void *opaque, const ReclaimStats *st)
{
	reclaim_store(opaque, st, MEMORY_RECLAIM_STATUS_RUNNING, NULL);
}

static bool reclaim_job_run(Job *job, void *opaque, GError **errp)
{
	ReclaimJob *rj = opaque;
	ReclaimMemdev *md = rj->md;
	const ReclaimHooks hooks = {
		.yield = reclaim_hook_yield,
		.cancelled = reclaim_hook_cancelled,
		.set_total = reclaim_hook_total,
		.progress = reclaim_hook_progress,
		.publish = reclaim_hook_publish,
		.opaque = rj,
	};
	ReclaimRefaults *rf = reclaim_refaults_new();
	MemoryReclaimStatus status;
	GError *err = NULL;
	ReclaimStats st;
	bool ok;

	rj->job = job;
	ok = reclaim_run(&rj->t, &rj->p, &hooks, rf, &st, &err);
	status = !ok	      ? MEMORY_RECLAIM_STATUS_FAILED :
		 st.cancelled ? MEMORY_RECLAIM_STATUS_CANCELLED :
				MEMORY_RECLAIM_STATUS_COMPLETED;
	reclaim_store(rj, &st, status, err ? err->message : NULL);
	g_mutex_lock(&md->lock);
	md->jobs++;
	if (rj->p.advice == MADV_PAGEOUT) {
		md->advised += st.advised;
		md->swapped += st.swapped;
	}
	reclaim_refaults_take(md->rf, rf, rj->t.a);
	g_clear_pointer(&md->job_id, g_free);
	g_mutex_unlock(&md->lock);
	reclaim_refaults_free(rf);
	if (err)
		g_propagate_error(errp, err);
	return ok && !st.cancelled;
}

static void reclaim_job_free(void *opaque)
{
	ReclaimJob *rj = opaque;

	g_free(rj->meta.job_id);
	g_free(rj);
}

static const JobDriver reclaim_job_driver = {
	.type = JOB_TYPE_MEMORY_RECLAIM,
	.run = reclaim_job_run,
	.free = reclaim_job_free,
};

static bool reclaim_check_args(const ReclaimRequest *req, GError **errp)
{
	if (req->has_min_age == req->has_target) {
		error_setg(errp, "give exactly one of 'min-age-ms' and "
				 "'target-bytes'");
		return false;
	}
	if (req->has_min_age && req->min_age_ms < 0) {
		error_setg(errp, "Parameter 'min-age-ms' must not be negative");
		return false;
	}
	if (req->has_target && req->target_bytes <= 0) {
		error_setg(errp, "Parameter 'target-bytes' must be positive");
		return false;
	}
	if (req->rate_limit < 0) {
		error_setg(errp, "Parameter 'rate-limit' must not be negative "
				 "(0 means no limit)");
		return false;
	}
	return true;
}

/* Only what exists can be reclaimed: the target fits the memdev. */
static bool reclaim_check_target(const ReclaimRequest *req, ReclaimMemdev *md,
				 GError **errp)
{
	g_autofree char *want = NULL, *have = NULL;

	if (!req->has_target || (uint64_t)req->target_bytes <= md->be->size)
		return true;
	want = size_to_str(req->target_bytes);
	have = size_to_str(md->be->size);
	error_setg(errp,
		   "Parameter 'target-bytes' (%" G_GINT64_FORMAT
		   " bytes, %s) exceeds the size of memdev '%s' (%s)",
		   req->target_bytes, want, md->be->id, have);
	return false;
}

/* No swap for pageout is an error up front, as in reclaim_run(). */
static bool reclaim_check_swap(ReclaimMemdev *md, GError **errp)
{
	ReclaimSwap sw;

	if (!reclaim_swap_read(&sw, errp))
		return false;
	if (sw.total)
		return true;
	error_setg(errp,
		   "memdev '%s': advice pageout needs swap and the host has "
		   "none (set up swap, e.g. zram: see docs/system/reclaim.rst)",
		   md->be->id);
	return false;
}

/* Claim @md for @job_id; false if a reclaim job already runs on it. */
static bool reclaim_claim(ReclaimMemdev *md, const char *job_id, GError **errp)
{
	bool busy;

	g_mutex_lock(&md->lock);
	busy = md->job_id != NULL;
	if (busy)
		error_setg(errp,
			   "reclaim job '%s' is already running on memdev "
			   "'%s' (one at a time: wait for it or job-cancel it)",
			   md->job_id, md->be->id);
	else
		md->job_id = g_strdup(job_id);
	g_mutex_unlock(&md->lock);
	return !busy;
}

static ReclaimBlocker reclaim_blocker; /* main thread */

void reclaim_set_blocker(ReclaimBlocker fn)
{
	reclaim_blocker = fn;
}

bool reclaim_start(const ReclaimRequest *req, GError **errp)
{
	const char *why = reclaim_blocker ? reclaim_blocker() : NULL;
	ReclaimMemdev *md;
	ReclaimJob *rj;

	if (why) {
		error_setg(errp, "memory-reclaim: %s", why);
		return false;
	}
	if (!reclaim_check_args(req, errp))
		return false;
	md = reclaim_find(req->memdev, errp);
	if (!md || !reclaim_check_target(req, md, errp) ||
	    !reclaim_ages_usable(md->be->id, reclaim_aging(md),
				 req->allow_write_only, errp))
		return false;
	if (req->advice == MEMORY_RECLAIM_ADVICE_PAGEOUT && !req->dry_run &&
	    !reclaim_check_swap(md, errp))
		return false;
	if (!reclaim_claim(md, req->job_id, errp))
		return false;
	rj = g_new0(ReclaimJob, 1);
	rj->md = md;
	rj->t = (ReclaimTarget){ md->be->id, rs.ram, md->be,
				 reclaim_aging(md) };
	rj->p.min_age_ms = req->has_min_age ? req->min_age_ms : 0;
	rj->p.target_bytes = req->has_target ? req->target_bytes : 0;
	rj->p.advice = req->advice == MEMORY_RECLAIM_ADVICE_COLD ? MADV_COLD :
								   MADV_PAGEOUT;
	rj->p.rate_limit = req->rate_limit;
	rj->p.dry_run = req->dry_run;
	rj->p.no_confirm = !req->confirm;
	rj->p.allow_write_only = req->allow_write_only;
	rj->meta = (ReclaimLast){
		.job_id = g_strdup(req->job_id),
		.advice = req->advice,
		.dry_run = req->dry_run,
		.has_min_age = req->has_min_age,
		.confirm = req->confirm,
		.allow_write_only = req->allow_write_only,
		.min_age_ms = rj->p.min_age_ms,
		.target_bytes = rj->p.target_bytes,
	};
	if (!job_start(req->job_id, &reclaim_job_driver, rj, req->auto_finalize,
		       req->auto_dismiss, errp)) {
		g_mutex_lock(&md->lock);
		g_clear_pointer(&md->job_id, g_free);
		g_mutex_unlock(&md->lock);
		reclaim_job_free(rj);
		return false;
	}
	return true;
}

/* query-memory-reclaim */

static void reclaim_add_short(MemoryReclaimShortfallList ***tail,
			      MemoryReclaimReason reason, uint64_t bytes,
			      const char *detail)
{
	MemoryReclaimShortfall *s;

	if (!bytes)
		return;
	s = g_new0(MemoryReclaimShortfall, 1);
	s->reason = reason;
	s->bytes = bytes;
	s->detail = g_strdup(detail);
	**tail = g_new0(MemoryReclaimShortfallList, 1);
	(**tail)->value = s;
	*tail = &(**tail)->next;
}

/* Why @l fell short of its request, reason by reason. */
static MemoryReclaimShortfallList *reclaim_shortfall(const ReclaimLast *l)
{
	const ReclaimStats *st = &l->st;
	MemoryReclaimShortfallList *head = NULL, **tail = &head;
	g_autofree char *err = NULL, *full = NULL;
	uint64_t kept = st->advised - MIN(st->advised, st->swapped);

	err = g_strdup_printf("madvise failed: %s",
			      g_strerror(st->first_errno));
	full = g_strdup_printf("swap had %" G_GUINT64_FORMAT
			       " bytes free, %" G_GUINT64_FORMAT
			       " usable above the host's reserve, for the "
			       "next batch",
			       st->swap_free, st->swap_room);
	reclaim_add_short(&tail, MEMORY_RECLAIM_REASON_HOT, st->skipped_hot,
			  l->has_min_age ?
				  "seen accessed within min-age-ms, or while "
				  "being confirmed" :
				  "seen accessed within the last interval, or "
				  "while being confirmed");
	reclaim_add_short(&tail, MEMORY_RECLAIM_REASON_UNPROVEN, st->unproven,
			  "not proven idle that long: the sampled aging had "
			  "not re-armed them since their last access, and "
			  "they were not confirmed");
	reclaim_add_short(&tail, MEMORY_RECLAIM_REASON_RACED, st->raced,
			  "accessed by the guest after the plan");
	reclaim_add_short(&tail, MEMORY_RECLAIM_REASON_ABSENT, st->absent,
			  "not in memory (never populated)");
	reclaim_add_short(&tail, MEMORY_RECLAIM_REASON_ALREADY_SWAPPED,
			  st->already_swapped,
			  "already in swap before this job (host reclaim or "
			  "an earlier job)");
	reclaim_add_short(&tail,
			  st->hugetlb ? MEMORY_RECLAIM_REASON_HUGETLB :
					MEMORY_RECLAIM_REASON_LOCKED,
			  st->unswappable,
			  st->hugetlb ? "hugetlb pages cannot be paged out" :
					"madvise refused it (EINVAL): locked "
					"or unevictable memory");
	reclaim_add_short(&tail, MEMORY_RECLAIM_REASON_ERROR, st->failed, err);
	reclaim_add_short(&tail,
			  st->swap_full ? MEMORY_RECLAIM_REASON_SWAP_FULL :
			  st->cancelled ? MEMORY_RECLAIM_REASON_CANCELLED :
			  st->aging_stopped ?
					  MEMORY_RECLAIM_REASON_AGING_STOPPED :
					  MEMORY_RECLAIM_REASON_ERROR,
			  st->not_reached,
			  st->swap_full ? full :
			  st->cancelled ? "job cancelled before reaching them" :
			  st->aging_stopped ?
					  "the aging stopped watching: pages "
					  "could no longer be re-checked" :
					  "the job stopped on an error");
	if (l->advice == MEMORY_RECLAIM_ADVICE_COLD)
		reclaim_add_short(&tail, MEMORY_RECLAIM_REASON_COLD_ADVICE,
				  kept,
				  "advice cold leaves pages in memory until "
				  "the host reclaims");
	else if (!l->dry_run)
		reclaim_add_short(&tail, MEMORY_RECLAIM_REASON_NOT_SWAPPED,
				  kept,
				  "advised but not in swap: kept by the "
				  "kernel or touched again at once");
	return head;
}

static MemoryReclaimResult *reclaim_result(const ReclaimLast *l)
{
	MemoryReclaimResult *r = g_new0(MemoryReclaimResult, 1);
	const ReclaimStats *st = &l->st;

	r->job_id = g_strdup(l->job_id);
	r->status = l->status;
	r->has_error = l->error != NULL;
	r->error = g_strdup(l->error);
	r->advice = l->advice;
	r->dry_run = l->dry_run;
	r->has_min_age_ms = l->has_min_age;
	r->min_age_ms = l->min_age_ms;
	r->has_target_bytes = !l->has_min_age;
	r->target_bytes = l->target_bytes;
	r->confirm = l->confirm;
	r->allow_write_only = l->allow_write_only;
	r->ages_see_reads = st->reads;
	r->ages_sampled = st->sampled;
	r->requested_bytes = st->requested;
	r->selected_bytes = st->selected;
	r->confirmed_bytes = st->confirmed;
	r->confirm_ms = st->confirm_ns / 1000000;
	r->advised_bytes = st->advised;
	r->has_would_advise_bytes = l->dry_run;
	r->would_advise_bytes = st->would_advise;
	r->swapped_bytes = st->swapped;
	r->skipped_hot_bytes = st->skipped_hot;
	r->skipped_unproven_bytes = st->unproven;
	r->skipped_raced_bytes = st->raced;
	r->absent_bytes = st->absent;
	r->already_swapped_bytes = st->already_swapped;
	r->unswappable_bytes = st->unswappable;
	r->failed_bytes = st->failed;
	r->not_reached_bytes = st->not_reached;
	r->batches = st->batches;
	r->duration_ms = st->duration_ns / 1000000;
	r->method = g_strdup(st->uring ? "io_uring" : "madvise");
	r->thp_splits = st->thp_splits;
	r->shortfall = reclaim_shortfall(l);
	return r;
}

/* One memdev's info.  Takes md->lock (polls its refaults). */
static MemoryReclaimInfo *reclaim_info(ReclaimMemdev *md, Aging *a)
{
	MemoryReclaimInfo *info = g_new0(MemoryReclaimInfo, 1);
	ReclaimRefaultStats rst;
	uint64_t ws = aging_bytes_accessed_within(a, RECLAIM_RATE_WINDOW_MS);

	info->memdev = g_strdup(md->be->id);
	g_mutex_lock(&md->lock);
	reclaim_refaults_poll(md->rf, a, rs.ram);
	reclaim_refaults_stats(md->rf, &rst);
	info->has_job_id = md->job_id != NULL;
	info->job_id = g_strdup(md->job_id);
	info->has_last = md->has_last;
	if (md->has_last)
		info->last = reclaim_result(&md->last);
	info->jobs = md->jobs;
	info->advised_bytes = md->advised;
	info->swapped_bytes = md->swapped;
	g_mutex_unlock(&md->lock);
	info->watched_bytes = rst.watched;
	info->refault_bytes = rst.refaulted;
	info->refault_bytes_aging = rst.by_aging;
	info->refault_bytes_residency = rst.by_residency;
	info->refault_bytes_last_minute = rst.last_minute;
	info->working_set_bytes = ws;
	info->has_promotion_rate = ws > 0;
	info->promotion_rate = ws ? 100.0 * rst.last_minute / ws : 0;
	return info;
}

MemoryReclaimInfoList *reclaim_query(GError **errp)
{
	MemoryReclaimInfoList *head = NULL, **tail = &head;

	for (guint i = 0; rs.mds && i < rs.mds->len; i++) {
		ReclaimMemdev *md = rs.mds->pdata[i];
		Aging *a = reclaim_aging(md);

		if (!a)
			continue;
		*tail = g_new0(MemoryReclaimInfoList, 1);
		(*tail)->value = reclaim_info(md, a);
		tail = &(*tail)->next;
	}
	return head;
}
