/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Background jobs in QEMU's job model (qapi/job.json): reclaim and
 * populate run as jobs that QMP can list (query-jobs), pause, resume,
 * cancel, finalize and dismiss, with JOB_STATUS_CHANGE events.
 *
 * Life cycle (status names as in QMP):
 *   created -> running <-> paused
 *   running -> waiting -> pending -> concluded -> null
 *   any live status -> aborting -> concluded -> null   (cancel or error)
 * Our jobs never become "ready" (nothing to complete).  A job with
 * auto-finalize false stops in "pending" until job-finalize; with
 * auto-dismiss false it stays "concluded" (and listed, with its error)
 * until job-dismiss.  Both default to true.
 *
 * Each job runs its driver's run() on its own GThread.  run() works in
 * bounded batches and calls job_yield() between them: that is where a
 * pause waits and where cancellation is seen (job_yield() returns false,
 * run() then stops and returns false without setting an error, or sets
 * one if it failed).  run() reports progress with job_progress_*().
 *
 * Locking: one global mutex protects the job list and every job's status,
 * progress and flags.  The job_* functions take it themselves; never call
 * them with it held.  Status changes emit JOB_STATUS_CHANGE from whichever
 * thread makes them (qapi_event_emit() is thread-safe).  QMP commands
 * run in the main thread; run() runs in the job's thread; free() runs in
 * the main thread once the job is dismissed (or at job_shutdown()).
 */
#ifndef JOB_JOB_H
#define JOB_JOB_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "qapi-types.h"

typedef struct Job Job;

typedef struct JobDriver {
	JobType type;
	/*
	 * The work, on the job's thread.  Returns true when done, false when
	 * cancelled (errp untouched) or failed (errp set).
	 */
	bool (*run)(Job *job, void *opaque, GError **errp);
	/* Optional: release @opaque (main thread, after the job is gone). */
	void (*free)(void *opaque);
} JobDriver;

/*
 * Create a job named @id (must be unique among existing jobs, and a valid
 * QMP id) in status "created", then start its thread ("running").  Fails
 * with a GenericError on a duplicate or malformed id; @opaque then stays
 * the caller's (drv->free is not called).  Main thread.
 */
Job *job_start(const char *id, const JobDriver *drv, void *opaque,
	       bool auto_finalize, bool auto_dismiss, GError **errp);

/*
 * Between batches, on the job's thread: waits while the job is paused;
 * returns false once it is cancelled (stop and return from run()).
 */
bool job_yield(Job *job);
/* Has job-cancel been asked for?  Any thread. */
bool job_is_cancelled(Job *job);

/* Progress in driver-defined units (bytes for memory jobs). */
void job_progress_set_total(Job *job, uint64_t total);
void job_progress_add(Job *job, uint64_t done);

const char *job_id(Job *job);

/*
 * The QMP verbs, main thread.  Each fails with a GenericError when no job
 * has the id, or when the job's status does not allow the verb (the
 * message names the job, its status and the verb, as QEMU's does).
 */
bool job_user_pause(const char *id, GError **errp);
bool job_user_resume(const char *id, GError **errp);
bool job_user_cancel(const char *id, bool force, GError **errp);
bool job_finalize(const char *id, GError **errp);
bool job_dismiss(const char *id, GError **errp);
bool job_complete(const char *id, GError **errp); /* always refused */

/* query-jobs: every job, oldest first.  Main thread. */
JobInfoList *job_query_all(void);

/*
 * Cancel every job, wait for their threads and free them all (machine
 * teardown, before the memory they work on goes away).  Main thread.
 */
void job_shutdown(void);

#endif
