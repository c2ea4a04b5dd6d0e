/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memory-reclaim and query-memory-reclaim (qapi/reclaim.json), answered
 * by reclaim-job.c with the defaults of the schema applied here.
 * Before system/vm.c sets reclaim up there is no memdev: memory-reclaim
 * fails and the query returns an empty list.
 * Locking: main thread only.
 */
#include "qapi-commands.h"
#include "reclaim/reclaim.h"

bool qmp_memory_reclaim(q_obj_memory_reclaim_arg *arg, GError **errp)
{
	const ReclaimRequest req = {
		.job_id = arg->job_id,
		.memdev = arg->has_memdev ? arg->memdev : NULL,
		.has_min_age = arg->has_min_age_ms,
		.min_age_ms = arg->min_age_ms,
		.has_target = arg->has_target_bytes,
		.target_bytes = arg->target_bytes,
		.advice = arg->has_advice ? arg->advice :
					    MEMORY_RECLAIM_ADVICE_PAGEOUT,
		.rate_limit = arg->has_rate_limit ? arg->rate_limit : 0,
		.dry_run = arg->has_dry_run && arg->dry_run,
		.confirm = !arg->has_confirm || arg->confirm,
		.allow_write_only = arg->has_allow_write_only &&
				    arg->allow_write_only,
		.auto_finalize = !arg->has_auto_finalize || arg->auto_finalize,
		.auto_dismiss = !arg->has_auto_dismiss || arg->auto_dismiss,
	};

	return reclaim_start(&req, errp);
}

bool qmp_query_memory_reclaim(MemoryReclaimInfoList **ret, GError **errp)
{
	*ret = reclaim_query(errp);
	return true;
}
