/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP commands of the job model (qapi/job.json): query-jobs and the job
 * verbs, answered by job/job.c; and the commands that start memory jobs
 * (memory-populate), through the hooks the machine registers
 * (include/monitor/qmp-job.h).  Locking: main thread only (the job_*
 * functions take the job lock themselves).
 */
#include "job/job.h"
#include "job/populate.h"
#include "monitor/qmp-job.h"
#include "qapi-commands.h"
#include "util/error.h"

static struct {
	const QmpJobOps *ops;
	void *opaque;
} qmp_job;

void qmp_job_set_ops(const QmpJobOps *ops, void *opaque)
{
	qmp_job.ops = ops;
	qmp_job.opaque = opaque;
}

bool qmp_query_jobs(JobInfoList **ret, GError **errp)
{
	*ret = job_query_all();
	return true;
}

bool qmp_job_pause(char *id, GError **errp)
{
	return job_user_pause(id, errp);
}

bool qmp_job_resume(char *id, GError **errp)
{
	return job_user_resume(id, errp);
}

/* As QEMU's job-cancel: always a forced cancel. */
bool qmp_job_cancel(char *id, GError **errp)
{
	return job_user_cancel(id, true, errp);
}

bool qmp_job_complete(char *id, GError **errp)
{
	return job_complete(id, errp);
}

bool qmp_job_dismiss(char *id, GError **errp)
{
	return job_dismiss(id, errp);
}

bool qmp_job_finalize(char *id, GError **errp)
{
	return job_finalize(id, errp);
}

bool qmp_memory_populate(char *job_id, char *memdev, bool has_offset,
			 int64_t offset, bool has_size, int64_t size,
			 bool has_mode, MemoryPopulateMode mode,
			 bool has_auto_finalize, bool auto_finalize,
			 bool has_auto_dismiss, bool auto_dismiss,
			 GError **errp)
{
	PopulateParams p = {
		.has_offset = has_offset,
		.offset = offset,
		.has_size = has_size,
		.size = size,
		.mode = has_mode ? mode : MEMORY_POPULATE_MODE_WRITE,
		.auto_finalize = has_auto_finalize ? auto_finalize : true,
		.auto_dismiss = has_auto_dismiss ? auto_dismiss : true,
	};

	if (qmp_job.ops)
		p.backend = qmp_job.ops->memdev(qmp_job.opaque, memdev, &p.ram);
	if (!p.backend) {
		g_set_error(errp, KVMAGE_ERROR, KVMAGE_ERROR_DEVICE_NOT_FOUND,
			    "Memory backend '%s' not found", memdev);
		return false;
	}
	return populate_start(job_id, &p, errp) != NULL;
}
