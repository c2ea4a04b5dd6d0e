/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Background jobs in QEMU's job model (include/job/job.h).
 *
 * Each job's run() works on its own thread.  Everything else happens in
 * the main thread: the QMP verbs, the steps after run() returned
 * (waiting, pending, concluded, null), freeing, and sending the
 * JOB_STATUS_CHANGE events.  Status changes made on a job's thread (to
 * paused, and "run() returned") are queued and the main context is
 * kicked; events are queued in the order of the changes, under the lock,
 * and only the main thread sends them, so clients see them in order.
 *
 * Locking: jobs.lock protects the job list, the event queue and every
 * field of every job but the constant ones (id, driver, opaque, flags
 * given to job_start()).  job->thread is touched by the main thread only.
 */
#include <string.h>

#include "job/job.h"
#include "qapi-events.h"
#include "util/error.h"

struct Job {
	char *id;
	const JobDriver *drv;
	void *opaque;
	bool auto_finalize;
	bool auto_dismiss;
	GThread *thread; /* main thread only; NULL once joined */
	/* under jobs.lock */
	JobStatus status;
	uint64_t progress_current;
	uint64_t progress_total;
	bool user_paused; /* job-pause given, job-resume not yet */
	bool cancelled;
	bool run_done; /* run() returned */
	bool run_ok;
	GError *run_err;
	char *error; /* JobInfo.error once aborting */
};

typedef struct JobEvent {
	char *id;
	JobStatus status;
} JobEvent;

static struct {
	GMutex lock;
	GCond cond;	 /* paused jobs wait here */
	GList *jobs;	 /* Job *, oldest first */
	GQueue events;	 /* JobEvent *, to send from the main thread */
	GPtrArray *dead; /* dismissed jobs to free (main thread) */
	bool kick_pending;
} jobs;

/* Which status may follow which (as QEMU's job model has it). */
static const bool job_transition_ok[JOB_STATUS__MAX][JOB_STATUS__MAX] = {
	[JOB_STATUS_UNDEFINED] = { [JOB_STATUS_CREATED] = 1 },
	[JOB_STATUS_CREATED] = { [JOB_STATUS_RUNNING] = 1,
				 [JOB_STATUS_ABORTING] = 1,
				 [JOB_STATUS_NULL] = 1 },
	[JOB_STATUS_RUNNING] = { [JOB_STATUS_PAUSED] = 1,
				 [JOB_STATUS_READY] = 1,
				 [JOB_STATUS_WAITING] = 1,
				 [JOB_STATUS_ABORTING] = 1 },
	[JOB_STATUS_PAUSED] = { [JOB_STATUS_RUNNING] = 1 },
	[JOB_STATUS_READY] = { [JOB_STATUS_STANDBY] = 1,
			       [JOB_STATUS_WAITING] = 1,
			       [JOB_STATUS_ABORTING] = 1 },
	[JOB_STATUS_STANDBY] = { [JOB_STATUS_READY] = 1 },
	[JOB_STATUS_WAITING] = { [JOB_STATUS_PENDING] = 1,
				 [JOB_STATUS_ABORTING] = 1 },
	[JOB_STATUS_PENDING] = { [JOB_STATUS_ABORTING] = 1,
				 [JOB_STATUS_CONCLUDED] = 1 },
	[JOB_STATUS_ABORTING] = { [JOB_STATUS_ABORTING] = 1,
				  [JOB_STATUS_CONCLUDED] = 1 },
	[JOB_STATUS_CONCLUDED] = { [JOB_STATUS_NULL] = 1 },
};

typedef enum {
	JOB_VERB_CANCEL,
	JOB_VERB_PAUSE,
	JOB_VERB_RESUME,
	JOB_VERB_COMPLETE,
	JOB_VERB_FINALIZE,
	JOB_VERB_DISMISS,
	JOB_VERB__MAX,
} JobVerb;

static const char *const job_verb_name[JOB_VERB__MAX] = {
	"cancel", "pause", "resume", "complete", "finalize", "dismiss",
};

#define S(x) (1u << JOB_STATUS_##x)
/* Statuses that accept each verb (QEMU's verb table). */
static const unsigned job_verb_ok[JOB_VERB__MAX] = {
	[JOB_VERB_CANCEL] = S(CREATED) | S(RUNNING) | S(PAUSED) | S(READY) |
			    S(STANDBY) | S(WAITING) | S(PENDING) | S(ABORTING),
	[JOB_VERB_PAUSE] = S(CREATED) | S(RUNNING) | S(PAUSED) | S(READY) |
			   S(STANDBY),
	[JOB_VERB_RESUME] = S(CREATED) | S(RUNNING) | S(PAUSED) | S(READY) |
			    S(STANDBY),
	[JOB_VERB_COMPLETE] = S(READY),
	[JOB_VERB_FINALIZE] = S(PENDING),
	[JOB_VERB_DISMISS] = S(CONCLUDED),
};
#undef S

static void job_kick_locked(void);

/* Lock held.  Change status and queue the event. */
static void job_set_status_locked(Job *job, JobStatus s)
{
	JobEvent *ev = g_new(JobEvent, 1);

	g_assert(job_transition_ok[job->status][s]);
	job->status = s;
	ev->id = g_strdup(job->id);
	ev->status = s;
	g_queue_push_tail(&jobs.events, ev);
}

/* Lock held.  A GenericError unless @job's status accepts @verb. */
static bool job_verb_locked(Job *job, JobVerb verb, GError **errp)
{
	if (job_verb_ok[verb] & (1u << job->status))
		return true;
	error_setg(errp,
		   "Job '%s' in state '%s' cannot accept command verb "
		   "'%s'",
		   job->id, JobStatus_str(job->status), job_verb_name[verb]);
	return false;
}

/* Lock held, main thread.  concluded -> null: off the list, to free. */
static void job_dismiss_locked(Job *job)
{
	job_set_status_locked(job, JOB_STATUS_NULL);
	jobs.jobs = g_list_remove(jobs.jobs, job);
	if (!jobs.dead)
		jobs.dead = g_ptr_array_new();
	g_ptr_array_add(jobs.dead, job);
}

/* Lock held, main thread.  pending -> concluded (-> null). */
static void job_finalize_locked(Job *job)
{
	job_set_status_locked(job, JOB_STATUS_CONCLUDED);
	if (job->auto_dismiss)
		job_dismiss_locked(job);
}

/* Lock held, main thread.  -> aborting -> concluded (-> null). */
static void job_abort_locked(Job *job, const char *msg)
{
	if (!job->error)
		job->error = g_strdup(msg);
	job_set_status_locked(job, JOB_STATUS_ABORTING);
	job_set_status_locked(job, JOB_STATUS_CONCLUDED);
	if (job->auto_dismiss)
		job_dismiss_locked(job);
}

/* Lock held, main thread: the steps after run() returned. */
static void job_completed_locked(Job *job)
{
	if (job->run_err) {
		job_abort_locked(job, job->run_err->message);
	} else if (job->cancelled) {
		job_abort_locked(job, "Operation canceled");
	} else if (!job->run_ok) {
		job_abort_locked(job, "Job failed without a reason");
	} else {
		job_set_status_locked(job, JOB_STATUS_WAITING);
		job_set_status_locked(job, JOB_STATUS_PENDING);
		if (job->auto_finalize)
			job_finalize_locked(job);
	}
}

/* Lock held: the first job whose thread can be joined (all if @all). */
static Job *job_next_joinable_locked(bool all)
{
	for (GList *l = jobs.jobs; l; l = l->next) {
		Job *job = l->data;

		if (job->thread && (all || job->run_done))
			return job;
	}
	return NULL;
}

/*
 * Main thread, lock not held.  Join the threads of the jobs whose run()
 * returned (of every job if @all, waiting for them) and take those jobs
 * through their remaining statuses.
 */
static void job_reap(bool all)
{
	Job *job;

	g_mutex_lock(&jobs.lock);
	while ((job = job_next_joinable_locked(all))) {
		GThread *t = job->thread;

		job->thread = NULL;
		g_mutex_unlock(&jobs.lock);
		g_thread_join(t);
		g_mutex_lock(&jobs.lock);
		job_completed_locked(job);
	}
	g_mutex_unlock(&jobs.lock);
}

static void job_free(Job *job)
{
	if (job->drv->free)
		job->drv->free(job->opaque);
	g_clear_error(&job->run_err);
	g_free(job->error);
	g_free(job->id);
	g_free(job);
}

/*
 * Main thread, lock not held: send the queued events in order, then
 * free the dismissed jobs.
 */
static void job_flush(void)
{
	GPtrArray *dead;
	JobEvent *ev;

	for (;;) {
		g_mutex_lock(&jobs.lock);
		ev = g_queue_pop_head(&jobs.events);
		g_mutex_unlock(&jobs.lock);
		if (!ev)
			break;
		qapi_event_send_job_status_change(ev->id, ev->status);
		g_free(ev->id);
		g_free(ev);
	}
	g_mutex_lock(&jobs.lock);
	dead = jobs.dead;
	jobs.dead = NULL;
	g_mutex_unlock(&jobs.lock);
	for (guint i = 0; dead && i < dead->len; i++)
		job_free(dead->pdata[i]);
	if (dead)
		g_ptr_array_unref(dead);
}

/* Main context: a job's thread changed something. */
static gboolean job_kick_cb(gpointer data)
{
	g_mutex_lock(&jobs.lock);
	jobs.kick_pending = false;
	g_mutex_unlock(&jobs.lock);
	job_reap(false);
	job_flush();
	return G_SOURCE_REMOVE;
}

/* Lock held, any thread: have the main context run job_kick_cb(). */
static void job_kick_locked(void)
{
	GSource *s;

	if (jobs.kick_pending)
		return;
	jobs.kick_pending = true;
	s = g_idle_source_new();
	g_source_set_priority(s, G_PRIORITY_DEFAULT);
	g_source_set_callback(s, job_kick_cb, NULL, NULL);
	g_source_attach(s, NULL);
	g_source_unref(s);
}

static gpointer job_thread(gpointer opaque)
{
	Job *job = opaque;
	GError *err = NULL;
	bool ok;

	ok = job->drv->run(job, job->opaque, &err);
	g_mutex_lock(&jobs.lock);
	job->run_done = true;
	job->run_ok = ok;
	job->run_err = ok ? NULL : err;
	if (ok)
		g_clear_error(&err); /* a driver bug: success sets no error */
	job_kick_locked();
	g_mutex_unlock(&jobs.lock);
	return NULL;
}

/* QEMU's rule for ids: a letter, then letters, digits, '-', '.', '_'. */
static bool job_id_wellformed(const char *id)
{
	if (!g_ascii_isalpha(id[0]))
		return false;
	for (const char *p = id + 1; *p; p++) {
		if (!g_ascii_isalnum(*p) && !strchr("-._", *p))
			return false;
	}
	return true;
}

/* Lock held. */
static Job *job_find_locked(const char *id)
{
	for (GList *l = jobs.jobs; l; l = l->next) {
		Job *job = l->data;

		if (!strcmp(job->id, id))
			return job;
	}
	return NULL;
}

Job *job_start(const char *id, const JobDriver *drv, void *opaque,
	       bool auto_finalize, bool auto_dismiss, GError **errp)
{
	g_autoptr(GError) err = NULL;
	Job *job;

	if (!job_id_wellformed(id)) {
		error_setg(errp, "Invalid job ID '%s'", id);
		return NULL;
	}
	g_mutex_lock(&jobs.lock);
	if (job_find_locked(id)) {
		g_mutex_unlock(&jobs.lock);
		error_setg(errp, "Job ID '%s' already in use", id);
		return NULL;
	}
	job = g_new0(Job, 1);
	job->id = g_strdup(id);
	job->drv = drv;
	job->opaque = opaque;
	job->auto_finalize = auto_finalize;
	job->auto_dismiss = auto_dismiss;
	jobs.jobs = g_list_append(jobs.jobs, job);
	job_set_status_locked(job, JOB_STATUS_CREATED);
	/* the thread waits for the lock before it can see the job */
	job->thread = g_thread_try_new(id, job_thread, job, &err);
	if (!job->thread) {
		job_set_status_locked(job, JOB_STATUS_NULL);
		jobs.jobs = g_list_remove(jobs.jobs, job);
		g_mutex_unlock(&jobs.lock);
		job_flush();
		error_setg(errp, "job '%s': cannot start its thread: %s", id,
			   err->message);
		g_free(job->id);
		g_free(job);
		return NULL;
	}
	job_set_status_locked(job, JOB_STATUS_RUNNING);
	g_mutex_unlock(&jobs.lock);
	job_flush();
	return job;
}

bool job_yield(Job *job)
{
	bool go;

	g_mutex_lock(&jobs.lock);
	while (job->user_paused && !job->cancelled) {
		if (job->status == JOB_STATUS_RUNNING) {
			job_set_status_locked(job, JOB_STATUS_PAUSED);
			job_kick_locked();
		}
		g_cond_wait(&jobs.cond, &jobs.lock);
	}
	go = !job->cancelled;
	g_mutex_unlock(&jobs.lock);
	return go;
}

bool job_is_cancelled(Job *job)
{
	bool c;

	g_mutex_lock(&jobs.lock);
	c = job->cancelled;
	g_mutex_unlock(&jobs.lock);
	return c;
}

void job_progress_set_total(Job *job, uint64_t total)
{
	g_mutex_lock(&jobs.lock);
	job->progress_total = total;
	g_mutex_unlock(&jobs.lock);
}

void job_progress_add(Job *job, uint64_t done)
{
	g_mutex_lock(&jobs.lock);
	job->progress_current += done;
	g_mutex_unlock(&jobs.lock);
}

const char *job_id(Job *job)
{
	return job->id;
}

/* Lock held.  The job named @id or "Job not found", as QEMU says. */
static Job *job_get_locked(const char *id, GError **errp)
{
	Job *job = job_find_locked(id);

	if (!job)
		error_setg(errp, "Job not found");
	return job;
}

/* Lock held: a paused job goes on (resumed or cancelled). */
static void job_wake_locked(Job *job)
{
	if (job->status == JOB_STATUS_PAUSED)
		job_set_status_locked(job, JOB_STATUS_RUNNING);
	g_cond_broadcast(&jobs.cond);
}

bool job_user_pause(const char *id, GError **errp)
{
	bool ok = false;
	Job *job;

	g_mutex_lock(&jobs.lock);
	job = job_get_locked(id, errp);
	if (!job || !job_verb_locked(job, JOB_VERB_PAUSE, errp))
		goto out;
	if (job->user_paused) {
		error_setg(errp, "Job is already paused");
		goto out;
	}
	/* the job goes to paused at its next job_yield() */
	job->user_paused = true;
	ok = true;
out:
	g_mutex_unlock(&jobs.lock);
	return ok;
}

bool job_user_resume(const char *id, GError **errp)
{
	bool ok = false;
	Job *job;

	g_mutex_lock(&jobs.lock);
	job = job_get_locked(id, errp);
	if (!job)
		goto out;
	/* QEMU checks this before the verb table */
	if (!job->user_paused) {
		error_setg(errp, "Can't resume a job that was not paused");
		goto out;
	}
	if (!job_verb_locked(job, JOB_VERB_RESUME, errp))
		goto out;
	job->user_paused = false;
	job_wake_locked(job);
	ok = true;
out:
	g_mutex_unlock(&jobs.lock);
	job_flush();
	return ok;
}

/* @force: our drivers have no soft cancel; every cancel is forced. */
bool job_user_cancel(const char *id, bool force, GError **errp)
{
	bool ok = false;
	Job *job;

	g_mutex_lock(&jobs.lock);
	job = job_get_locked(id, errp);
	if (!job || !job_verb_locked(job, JOB_VERB_CANCEL, errp))
		goto out;
	ok = true;
	if (job->status == JOB_STATUS_ABORTING)
		goto out; /* already ending */
	job->cancelled = true;
	if (job->status == JOB_STATUS_WAITING ||
	    job->status == JOB_STATUS_PENDING) {
		/* run() is over and joined: abort from here */
		job_abort_locked(job, "Operation canceled");
		goto out;
	}
	job->user_paused = false;
	job_wake_locked(job);
out:
	g_mutex_unlock(&jobs.lock);
	job_flush();
	return ok;
}

bool job_finalize(const char *id, GError **errp)
{
	bool ok = false;
	Job *job;

	g_mutex_lock(&jobs.lock);
	job = job_get_locked(id, errp);
	if (job && job_verb_locked(job, JOB_VERB_FINALIZE, errp)) {
		job_finalize_locked(job);
		ok = true;
	}
	g_mutex_unlock(&jobs.lock);
	job_flush();
	return ok;
}

bool job_dismiss(const char *id, GError **errp)
{
	bool ok = false;
	Job *job;

	g_mutex_lock(&jobs.lock);
	job = job_get_locked(id, errp);
	if (job && job_verb_locked(job, JOB_VERB_DISMISS, errp)) {
		job_dismiss_locked(job);
		ok = true;
	}
	g_mutex_unlock(&jobs.lock);
	job_flush();
	return ok;
}

bool job_complete(const char *id, GError **errp)
{
	Job *job;

	g_mutex_lock(&jobs.lock);
	job = job_get_locked(id, errp);
	/* our jobs are never ready, so the verb table refuses */
	if (job && job_verb_locked(job, JOB_VERB_COMPLETE, errp))
		error_setg(errp, "Job '%s' cannot be completed", id);
	g_mutex_unlock(&jobs.lock);
	return false;
}

JobInfoList *job_query_all(void)
{
	JobInfoList *head = NULL, **tail = &head;

	g_mutex_lock(&jobs.lock);
	for (GList *l = jobs.jobs; l; l = l->next) {
		Job *job = l->data;
		JobInfo *info = g_new0(JobInfo, 1);

		info->id = g_strdup(job->id);
		info->q_type = job->drv->type;
		info->status = job->status;
		info->current_progress = job->progress_current;
		info->total_progress = job->progress_total;
		info->has_error = job->error != NULL;
		info->error = g_strdup(job->error);
		*tail = g_new0(JobInfoList, 1);
		(*tail)->value = info;
		tail = &(*tail)->next;
	}
	g_mutex_unlock(&jobs.lock);
	return head;
}

void job_shutdown(void)
{
	g_mutex_lock(&jobs.lock);
	for (GList *l = jobs.jobs; l; l = l->next) {
		Job *job = l->data;

		job->cancelled = true;
		job->user_paused = false;
		job_wake_locked(job);
	}
	g_mutex_unlock(&jobs.lock);
	job_reap(true);
	g_mutex_lock(&jobs.lock);
	/* every thread is joined: the jobs are pending or concluded */
	while (jobs.jobs) {
		Job *job = jobs.jobs->data;

		if (job->status == JOB_STATUS_PENDING)
			job_abort_locked(job, "Operation canceled");
		g_assert(job->status == JOB_STATUS_CONCLUDED ||
			 job->status == JOB_STATUS_NULL);
		if (job->status == JOB_STATUS_CONCLUDED)
			job_dismiss_locked(job);
	}
	g_mutex_unlock(&jobs.lock);
	job_flush();
}
