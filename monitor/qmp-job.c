/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP commands of the job model (qapi/job.json): query-jobs and the job
 * verbs, answered by job/job.c.  Locking: main thread only (the job_*
 * functions take the job lock themselves).
 */
#include "job/job.h"
#include "qapi-commands.h"

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
