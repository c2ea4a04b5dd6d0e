/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memory-reclaim and query-memory-reclaim (qapi/reclaim.json), answered
 * by reclaim/reclaim-job.c with the defaults of the schema applied here.
 * Before the machine sets reclaim up there is no memdev: memory-reclaim
 * fails and the query returns an empty list.
 * Locking: main thread only.
 */
#include "qapi-commands.h"
#include "reclaim/reclaim.h"

bool qmp_memory_reclaim(char *job_id, bool has_memdev, char *memdev,
			bool has_min_age_ms, int64_t min_age_ms,
			bool has_target_bytes, int64_t target_bytes,
			bool has_advice, MemoryReclaimAdvice advice,
			bool has_rate_limit, int64_t rate_limit,
			bool has_dry_run, bool dry_run, bool has_confirm,
			bool confirm, bool has_allow_write_only,
			bool allow_write_only, bool has_auto_finalize,
			bool auto_finalize, bool has_auto_dismiss,
			bool auto_dismiss, GError **errp)
{
	const ReclaimRequest req = {
		.job_id = job_id,
		.memdev = has_memdev ? memdev : NULL,
		.has_min_age = has_min_age_ms,
		.min_age_ms = min_age_ms,
		.has_target = has_target_bytes,
		.target_bytes = target_bytes,
		.advice = has_advice ? advice : MEMORY_RECLAIM_ADVICE_PAGEOUT,
		.rate_limit = has_rate_limit ? rate_limit : 0,
		.dry_run = has_dry_run && dry_run,
		.confirm = !has_confirm || confirm,
		.allow_write_only = has_allow_write_only && allow_write_only,
		.auto_finalize = !has_auto_finalize || auto_finalize,
		.auto_dismiss = !has_auto_dismiss || auto_dismiss,
	};

	return reclaim_start(&req, errp);
}

bool qmp_query_memory_reclaim(MemoryReclaimInfoList **ret, GError **errp)
{
	*ret = reclaim_query(errp);
	return true;
}
