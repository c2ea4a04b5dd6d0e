/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP commands of the job model (qapi/job.json): query-jobs and the job
 * verbs, answered by job/job.c; and memory-populate, which starts a job
 * on a memory backend (hostmem_find()) mapped into the guest's RAM
 * (ram_list_guest()).  With no VM there is no guest RAM: memory-populate
 * fails with DeviceNotFound, as before any backend exists.
 * Locking: main thread only (the job_* functions take the job lock
 * themselves).
 */
#include "backends/hostmem.h"
#include "job/job.h"
#include "job/populate.h"
#include "qapi-commands.h"
#include "util/error.h"

bool qmp_query_jobs(JobInfoList **ret, GError **errp)
{
	*ret = job_query_all();
	return true;
}

bool qmp_job_pause(q_obj_job_pause_arg *arg, GError **errp)
{
	return job_user_pause(arg->id, errp);
}

bool qmp_job_resume(q_obj_job_resume_arg *arg, GError **errp)
{
	return job_user_resume(arg->id, errp);
}

/* As QEMU's job-cancel: always a forced cancel. */
bool qmp_job_cancel(q_obj_job_cancel_arg *arg, GError **errp)
{
	return job_user_cancel(arg->id, true, errp);
}

bool qmp_job_complete(q_obj_job_complete_arg *arg, GError **errp)
{
	return job_complete(arg->id, errp);
}

bool qmp_job_dismiss(q_obj_job_dismiss_arg *arg, GError **errp)
{
	return job_dismiss(arg->id, errp);
}

bool qmp_job_finalize(q_obj_job_finalize_arg *arg, GError **errp)
{
	return job_finalize(arg->id, errp);
}

bool qmp_memory_populate(q_obj_memory_populate_arg *arg, GError **errp)
{
	PopulateParams p = {
		.has_offset = arg->has_offset,
		.offset = arg->offset,
		.has_size = arg->has_size,
		.size = arg->size,
		.mode = arg->has_mode ? arg->mode : MEMORY_POPULATE_MODE_WRITE,
		.auto_finalize = !arg->has_auto_finalize || arg->auto_finalize,
		.auto_dismiss = !arg->has_auto_dismiss || arg->auto_dismiss,
	};

	p.ram = ram_list_guest();
	if (p.ram)
		p.backend = hostmem_find(arg->memdev);
	if (!p.backend) {
		g_set_error(errp, KVMAGE_ERROR, KVMAGE_ERROR_DEVICE_NOT_FOUND,
			    "Memory backend '%s' not found", arg->memdev);
		return false;
	}
	return populate_start(arg->job_id, &p, errp) != NULL;
}
