/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The job model (job/job.c): every status transition, the events in
 * order, pause/resume/cancel, manual finalize and dismiss, verbs refused
 * with QEMU's messages, ids, errors, job_shutdown().
 *
 * Jobs run a TEST DRIVER defined here: run() does @chunks chunks, each
 * after job_yield() and only when the test hands it a token, so the test
 * decides where the job is when it pauses or cancels it.
 *
 * JOB_STATUS_CHANGE events are captured by linking with
 * -Wl,--wrap=qapi_event_send_job_status_change (tests/unit/meson.build):
 * job.c's calls land in __wrap_qapi_event_send_job_status_change() below.
 */
#include <string.h>

#include "job/job.h"
#include "util/error.h"
#include "../timescale.h"

#define WAIT_MS 5000 /* for a job to reach a state, scaled */

static GPtrArray *events; /* "id:status", in the order sent */
static GThread *main_thread;

void __wrap_qapi_event_send_job_status_change(char *id, JobStatus status);
void __wrap_qapi_event_send_job_status_change(char *id, JobStatus status)
{
	/* job.c sends every event from the main thread */
	g_assert(g_thread_self() == main_thread);
	g_ptr_array_add(events,
			g_strdup_printf("%s:%s", id, JobStatus_str(status)));
}

/* ---- the test driver ---- */

typedef struct TestWork {
	GMutex lock;
	GCond cond;
	int tokens; /* chunks the test lets run, -1: any number */
	int chunks;
	int fail_at;  /* chunk that fails, -1: none */
	int done;     /* under lock */
	bool blocked; /* under lock: waiting for a token */
	int freed;
} TestWork;

/* Wait for a token; false if the job is cancelled meanwhile. */
static bool test_work_take(Job *job, TestWork *w)
{
	bool ok = true;

	g_mutex_lock(&w->lock);
	while (w->tokens == 0) {
		w->blocked = true;
		g_cond_broadcast(&w->cond);
		if (job_is_cancelled(job)) {
			ok = false;
			break;
		}
		g_cond_wait_until(&w->cond, &w->lock,
				  g_get_monotonic_time() + 2000);
	}
	w->blocked = false;
	if (ok && w->tokens > 0)
		w->tokens--;
	g_mutex_unlock(&w->lock);
	return ok;
}

static bool test_work_run(Job *job, void *opaque, GError **errp)
{
	TestWork *w = opaque;

	job_progress_set_total(job, w->chunks);
	for (int i = 0; i < w->chunks; i++) {
		if (!job_yield(job) || !test_work_take(job, w))
			return false;
		if (i == w->fail_at) {
			error_setg(errp, "test driver failed at chunk %d", i);
			return false;
		}
		job_progress_add(job, 1);
		g_mutex_lock(&w->lock);
		w->done++;
		g_cond_broadcast(&w->cond);
		g_mutex_unlock(&w->lock);
	}
	return true;
}

static void test_work_free(void *opaque)
{
	TestWork *w = opaque;

	g_assert(g_thread_self() == main_thread);
	w->freed++;
}

static const JobDriver test_driver = {
	.type = JOB_TYPE_MEMORY_POPULATE,
	.run = test_work_run,
	.free = test_work_free,
};

static void test_work_init(TestWork *w, int chunks, int tokens)
{
	memset(w, 0, sizeof(*w));
	g_mutex_init(&w->lock);
	g_cond_init(&w->cond);
	w->chunks = chunks;
	w->tokens = tokens;
	w->fail_at = -1;
}

static void test_work_give(TestWork *w, int n)
{
	g_mutex_lock(&w->lock);
	w->tokens += n;
	g_cond_broadcast(&w->cond);
	g_mutex_unlock(&w->lock);
}

static void test_work_clear(TestWork *w)
{
	g_mutex_clear(&w->lock);
	g_cond_clear(&w->cond);
}

/* ---- helpers ---- */

/* The job's info (NULL if it does not exist); free with qapi_free_. */
static JobInfo *job_info(const char *id)
{
	JobInfoList *all = job_query_all(), *l;
	JobInfo *found = NULL;

	for (l = all; l; l = l->next) {
		if (!strcmp(l->value->id, id)) {
			found = l->value;
			l->value = NULL;
			break;
		}
	}
	qapi_free_JobInfoList(all);
	return found;
}

/* Run the main context until @id has @status (NULL: is gone). */
static void wait_status(const char *id, JobStatus status)
{
	gint64 end = timescale_deadline(WAIT_MS);

	for (;;) {
		JobInfo *info = job_info(id);
		bool done = info ? info->status == status :
				   status == JOB_STATUS_NULL;

		qapi_free_JobInfo(info);
		if (done)
			return;
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_main_context_iteration(NULL, FALSE);
		g_usleep(200);
	}
}

/* Send any event queued by job threads (the main loop's work). */
static void run_main_loop_briefly(void)
{
	gint64 end = timescale_deadline(10);

	do {
		while (g_main_context_iteration(NULL, FALSE))
			;
		g_usleep(200);
	} while (g_get_monotonic_time() < end);
}

/* Take the events of job @id out of the list, as "s1 s2 ...". */
static char *events_take(const char *id)
{
	GString *s = g_string_new(NULL);
	size_t n = strlen(id);

	for (guint i = 0; i < events->len;) {
		const char *e = events->pdata[i];

		if (strncmp(e, id, n) || e[n] != ':') {
			i++;
			continue;
		}
		g_string_append_printf(s, "%s%s", s->len ? " " : "", e + n + 1);
		g_ptr_array_remove_index(events, i);
	}
	return g_string_free(s, FALSE);
}

#define assert_events(id, want)                          \
	do {                                             \
		g_autofree char *got_ = events_take(id); \
		g_assert_cmpstr(got_, ==, want);         \
	} while (0)

/* @ok is false and the error's message is @msg. */
#define assert_refused(ok, err, msg)                                  \
	do {                                                          \
		g_assert_false(ok);                                   \
		g_assert_nonnull(err);                                \
		g_assert_true(g_error_matches(err, KVMAGE_ERROR,      \
					      KVMAGE_ERROR_GENERIC)); \
		g_assert_cmpstr((err)->message, ==, msg);             \
		g_clear_error(&(err));                                \
	} while (0)

static Job *start(const char *id, TestWork *w, bool fin, bool dis)
{
	GError *err = NULL;
	Job *job = job_start(id, &test_driver, w, fin, dis, &err);
	JobInfo *info;

	g_assert_no_error(err);
	g_assert_nonnull(job);
	g_assert_cmpstr(job_id(job), ==, id);
	info = job_info(id);
	g_assert_nonnull(info);
	qapi_free_JobInfo(info);
	return job;
}

/* ---- tests ---- */

static void test_success_auto(void)
{
	TestWork w;

	test_work_init(&w, 4, -1);
	start("j1", &w, true, true);
	wait_status("j1", JOB_STATUS_NULL);
	run_main_loop_briefly();
	assert_events("j1", "created running waiting pending concluded null");
	g_assert_cmpint(w.done, ==, 4);
	g_assert_cmpint(w.freed, ==, 1);
	g_assert_null(job_info("j1"));
	g_assert_null(job_query_all());
	test_work_clear(&w);
}

static void test_manual_finalize_dismiss(void)
{
	GError *err = NULL;
	JobInfo *info;
	TestWork w;

	test_work_init(&w, 3, -1);
	start("j2", &w, false, false);
	wait_status("j2", JOB_STATUS_PENDING);
	info = job_info("j2");
	g_assert_cmpint(info->q_type, ==, JOB_TYPE_MEMORY_POPULATE);
	g_assert_cmpint(info->current_progress, ==, 3);
	g_assert_cmpint(info->total_progress, ==, 3);
	g_assert_false(info->has_error);
	qapi_free_JobInfo(info);
	assert_refused(job_dismiss("j2", &err), err,
		       "Job 'j2' in state 'pending' cannot accept command "
		       "verb 'dismiss'");
	assert_refused(job_user_pause("j2", &err), err,
		       "Job 'j2' in state 'pending' cannot accept command "
		       "verb 'pause'");
	assert_refused(job_user_resume("j2", &err), err,
		       "Can't resume a job that was not paused");
	g_assert_true(job_finalize("j2", &err));
	g_assert_no_error(err);
	info = job_info("j2");
	g_assert_cmpint(info->status, ==, JOB_STATUS_CONCLUDED);
	g_assert_false(info->has_error);
	qapi_free_JobInfo(info);
	assert_refused(job_finalize("j2", &err), err,
		       "Job 'j2' in state 'concluded' cannot accept command "
		       "verb 'finalize'");
	g_assert_cmpint(w.freed, ==, 0);
	g_assert_true(job_dismiss("j2", &err));
	g_assert_no_error(err);
	g_assert_cmpint(w.freed, ==, 1);
	g_assert_null(job_info("j2"));
	assert_events("j2", "created running waiting pending concluded null");
	test_work_clear(&w);
}

/* auto-finalize on, auto-dismiss off: stops in concluded */
static void test_manual_dismiss(void)
{
	GError *err = NULL;
	TestWork w;

	test_work_init(&w, 2, -1);
	start("j3", &w, true, false);
	wait_status("j3", JOB_STATUS_CONCLUDED);
	run_main_loop_briefly();
	assert_events("j3", "created running waiting pending concluded");
	g_assert_true(job_dismiss("j3", &err));
	assert_events("j3", "null");
	g_assert_cmpint(w.freed, ==, 1);
	test_work_clear(&w);
}

/* Let the job finish chunk @n (1-based) and wait until it has. */
static void wait_done(TestWork *w, int n)
{
	gint64 end = timescale_deadline(WAIT_MS);

	g_mutex_lock(&w->lock);
	while (w->done < n)
		g_assert_true(g_cond_wait_until(&w->cond, &w->lock, end));
	g_mutex_unlock(&w->lock);
}

/* Wait until the job waits for a token (past its job_yield()). */
static void wait_blocked(TestWork *w)
{
	gint64 end = timescale_deadline(WAIT_MS);

	g_mutex_lock(&w->lock);
	while (!w->blocked)
		g_assert_true(g_cond_wait_until(&w->cond, &w->lock, end));
	g_mutex_unlock(&w->lock);
}

/* With no token given yet: pause the job once it did one chunk. */
static void pause_after_one(TestWork *w, const char *id)
{
	GError *err = NULL;

	wait_blocked(w);
	g_assert_true(job_user_pause(id, &err));
	g_assert_no_error(err);
	test_work_give(w, 1);
}

static void test_pause_resume(void)
{
	GError *err = NULL;
	JobInfo *info;
	TestWork w;

	test_work_init(&w, 3, 0);
	start("p1", &w, true, true);
	wait_blocked(&w);
	g_assert_true(job_user_pause("p1", &err));
	g_assert_no_error(err);
	assert_refused(job_user_pause("p1", &err), err,
		       "Job is already paused");
	/* still running until the chunk in progress ends */
	info = job_info("p1");
	g_assert_cmpint(info->status, ==, JOB_STATUS_RUNNING);
	qapi_free_JobInfo(info);
	test_work_give(&w, 1);
	wait_status("p1", JOB_STATUS_PAUSED);
	run_main_loop_briefly();
	/* paused after one chunk: no further progress while paused */
	test_work_give(&w, 5);
	run_main_loop_briefly();
	info = job_info("p1");
	g_assert_cmpint(info->status, ==, JOB_STATUS_PAUSED);
	g_assert_cmpint(info->current_progress, ==, 1);
	qapi_free_JobInfo(info);
	assert_events("p1", "created running paused");
	g_assert_true(job_user_resume("p1", &err));
	g_assert_no_error(err);
	assert_refused(job_user_resume("p1", &err), err,
		       "Can't resume a job that was not paused");
	wait_status("p1", JOB_STATUS_NULL);
	run_main_loop_briefly();
	assert_events("p1", "running waiting pending concluded null");
	g_assert_cmpint(w.done, ==, 3);
	test_work_clear(&w);
}

/* Resumed before it reached its pause point: never shows paused. */
static void test_pause_resume_early(void)
{
	GError *err = NULL;
	TestWork w;

	test_work_init(&w, 2, 0);
	start("p2", &w, true, true);
	g_assert_true(job_user_pause("p2", &err));
	g_assert_true(job_user_resume("p2", &err));
	g_assert_no_error(err);
	test_work_give(&w, 2);
	wait_status("p2", JOB_STATUS_NULL);
	run_main_loop_briefly();
	assert_events("p2", "created running waiting pending concluded null");
	test_work_clear(&w);
}

static void test_cancel_running(void)
{
	GError *err = NULL;
	JobInfo *info;
	TestWork w;

	test_work_init(&w, 100, 2);
	start("c1", &w, true, false);
	wait_done(&w, 2); /* blocked waiting for its third token */
	g_assert_true(job_user_cancel("c1", true, &err));
	g_assert_no_error(err);
	wait_status("c1", JOB_STATUS_CONCLUDED);
	info = job_info("c1");
	g_assert_true(info->has_error);
	g_assert_cmpstr(info->error, ==, "Operation canceled");
	g_assert_cmpint(info->current_progress, ==, 2);
	g_assert_cmpint(info->total_progress, ==, 100);
	qapi_free_JobInfo(info);
	run_main_loop_briefly();
	assert_events("c1", "created running aborting concluded");
	assert_refused(job_user_cancel("c1", true, &err), err,
		       "Job 'c1' in state 'concluded' cannot accept command "
		       "verb 'cancel'");
	assert_refused(job_user_pause("c1", &err), err,
		       "Job 'c1' in state 'concluded' cannot accept command "
		       "verb 'pause'");
	g_assert_true(job_dismiss("c1", &err));
	assert_events("c1", "null");
	g_assert_cmpint(w.freed, ==, 1);
	test_work_clear(&w);
}

static void test_cancel_paused(void)
{
	GError *err = NULL;
	TestWork w;

	test_work_init(&w, 10, 0);
	start("c2", &w, true, true);
	pause_after_one(&w, "c2");
	wait_status("c2", JOB_STATUS_PAUSED);
	/* tokens to spare: only job_yield() returning false stops it */
	test_work_give(&w, 100);
	g_assert_true(job_user_cancel("c2", true, &err));
	g_assert_no_error(err);
	wait_status("c2", JOB_STATUS_NULL);
	run_main_loop_briefly();
	/* as QEMU: cancelling a paused job resumes it first */
	assert_events("c2", "created running paused running aborting concluded "
			    "null");
	g_assert_cmpint(w.done, ==, 1);
	test_work_clear(&w);
}

static void test_cancel_pending(void)
{
	GError *err = NULL;
	JobInfo *info;
	TestWork w;

	test_work_init(&w, 1, -1);
	start("c3", &w, false, false);
	wait_status("c3", JOB_STATUS_PENDING);
	g_assert_true(job_user_cancel("c3", true, &err));
	g_assert_no_error(err);
	info = job_info("c3");
	g_assert_cmpint(info->status, ==, JOB_STATUS_CONCLUDED);
	g_assert_cmpstr(info->error, ==, "Operation canceled");
	qapi_free_JobInfo(info);
	assert_events("c3",
		      "created running waiting pending aborting concluded");
	g_assert_true(job_dismiss("c3", &err));
	test_work_clear(&w);
}

static void test_error(void)
{
	GError *err = NULL;
	JobInfo *info;
	TestWork w;

	test_work_init(&w, 5, -1);
	w.fail_at = 2;
	start("e1", &w, false, false);
	/* a failed job does not stop in pending */
	wait_status("e1", JOB_STATUS_CONCLUDED);
	info = job_info("e1");
	g_assert_true(info->has_error);
	g_assert_cmpstr(info->error, ==, "test driver failed at chunk 2");
	g_assert_cmpint(info->current_progress, ==, 2);
	qapi_free_JobInfo(info);
	run_main_loop_briefly();
	assert_events("e1", "created running aborting concluded");
	g_assert_true(job_dismiss("e1", &err));
	g_assert_cmpint(w.freed, ==, 1);
	test_work_clear(&w);
}

static void test_verbs_refused(void)
{
	static const char *const verbs[] = {
		"pause", "resume", "cancel", "complete", "finalize", "dismiss"
	};
	GError *err = NULL;
	TestWork w;
	bool ok;

	for (size_t i = 0; i < G_N_ELEMENTS(verbs); i++) {
		switch (i) {
		case 0:
			ok = job_user_pause("nope", &err);
			break;
		case 1:
			ok = job_user_resume("nope", &err);
			break;
		case 2:
			ok = job_user_cancel("nope", true, &err);
			break;
		case 3:
			ok = job_complete("nope", &err);
			break;
		case 4:
			ok = job_finalize("nope", &err);
			break;
		default:
			ok = job_dismiss("nope", &err);
			break;
		}
		g_test_message("%s on an unknown id", verbs[i]);
		assert_refused(ok, err, "Job not found");
	}
	test_work_init(&w, 1, 0);
	start("v1", &w, true, true);
	assert_refused(job_complete("v1", &err), err,
		       "Job 'v1' in state 'running' cannot accept command "
		       "verb 'complete'");
	assert_refused(job_finalize("v1", &err), err,
		       "Job 'v1' in state 'running' cannot accept command "
		       "verb 'finalize'");
	assert_refused(job_dismiss("v1", &err), err,
		       "Job 'v1' in state 'running' cannot accept command "
		       "verb 'dismiss'");
	assert_refused(job_user_resume("v1", &err), err,
		       "Can't resume a job that was not paused");
	test_work_give(&w, 1);
	wait_status("v1", JOB_STATUS_NULL);
	run_main_loop_briefly();
	g_ptr_array_set_size(events, 0);
	test_work_clear(&w);
}

static void test_ids(void)
{
	static const char *const bad[] = { "",	  "1x", "-a", "a b",
					   "a/b", "é",	"a:b" };
	static const char *const good[] = { "a", "Z", "j-1.x_y" };
	GError *err = NULL;
	TestWork w, w2;

	test_work_init(&w, 1, -1);
	test_work_init(&w2, 1, -1);
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *msg =
			g_strdup_printf("Invalid job ID '%s'", bad[i]);

		assert_refused(job_start(bad[i], &test_driver, &w, true, true,
					 &err) != NULL,
			       err, msg);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
		start(good[i], &w, true, true);
		wait_status(good[i], JOB_STATUS_NULL);
	}
	/* a concluded job keeps its id until it is dismissed */
	start("dup", &w, true, false);
	wait_status("dup", JOB_STATUS_CONCLUDED);
	assert_refused(job_start("dup", &test_driver, &w2, true, true, &err) !=
			       NULL,
		       err, "Job ID 'dup' already in use");
	g_assert_cmpint(w2.freed, ==, 0);
	g_assert_true(job_dismiss("dup", &err));
	start("dup", &w2, true, true);
	wait_status("dup", JOB_STATUS_NULL);
	run_main_loop_briefly();
	g_assert_cmpint(w.freed, ==, 4);
	g_assert_cmpint(w2.freed, ==, 1);
	g_ptr_array_set_size(events, 0);
	test_work_clear(&w);
	test_work_clear(&w2);
}

static void test_shutdown(void)
{
	TestWork run, paused, pending, concluded;
	gint64 t0;

	test_work_init(&run, 1000, 0);
	test_work_init(&paused, 10, 0);
	test_work_init(&pending, 1, -1);
	test_work_init(&concluded, 1, -1);
	start("s-run", &run, true, true);
	start("s-paused", &paused, true, true);
	start("s-pending", &pending, false, true);
	start("s-concluded", &concluded, true, false);
	pause_after_one(&paused, "s-paused");
	wait_status("s-paused", JOB_STATUS_PAUSED);
	wait_status("s-pending", JOB_STATUS_PENDING);
	wait_status("s-concluded", JOB_STATUS_CONCLUDED);
	run_main_loop_briefly();
	g_ptr_array_set_size(events, 0);
	t0 = g_get_monotonic_time();
	job_shutdown();
	g_assert_cmpint(g_get_monotonic_time() - t0, <,
			timescale_us(G_USEC_PER_SEC));
	g_assert_null(job_query_all());
	g_assert_cmpint(run.freed, ==, 1);
	g_assert_cmpint(paused.freed, ==, 1);
	g_assert_cmpint(pending.freed, ==, 1);
	g_assert_cmpint(concluded.freed, ==, 1);
	assert_events("s-run", "aborting concluded null");
	assert_events("s-paused", "running aborting concluded null");
	assert_events("s-pending", "aborting concluded null");
	assert_events("s-concluded", "null");
	/* the kick the paused job left behind finds nothing to do */
	run_main_loop_briefly();
	g_assert_cmpuint(events->len, ==, 0);
	job_shutdown(); /* nothing left: a no-op */
	test_work_clear(&run);
	test_work_clear(&paused);
	test_work_clear(&pending);
	test_work_clear(&concluded);
}

/* The events of the other jobs at shutdown, checked one by one. */
static void test_shutdown_events(void)
{
	TestWork paused, pending;

	test_work_init(&paused, 10, 0);
	test_work_init(&pending, 1, -1);
	start("t-paused", &paused, true, true);
	start("t-pending", &pending, false, false);
	pause_after_one(&paused, "t-paused");
	wait_status("t-paused", JOB_STATUS_PAUSED);
	wait_status("t-pending", JOB_STATUS_PENDING);
	run_main_loop_briefly();
	job_shutdown();
	assert_events("t-paused", "created running paused running aborting "
				  "concluded null");
	assert_events("t-pending", "created running waiting pending aborting "
				   "concluded null");
	g_assert_cmpuint(events->len, ==, 0);
	test_work_clear(&paused);
	test_work_clear(&pending);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	main_thread = g_thread_self();
	events = g_ptr_array_new_with_free_func(g_free);
	g_test_add_func("/job/success-auto", test_success_auto);
	g_test_add_func("/job/manual-finalize-dismiss",
			test_manual_finalize_dismiss);
	g_test_add_func("/job/manual-dismiss", test_manual_dismiss);
	g_test_add_func("/job/pause-resume", test_pause_resume);
	g_test_add_func("/job/pause-resume-early", test_pause_resume_early);
	g_test_add_func("/job/cancel-running", test_cancel_running);
	g_test_add_func("/job/cancel-paused", test_cancel_paused);
	g_test_add_func("/job/cancel-pending", test_cancel_pending);
	g_test_add_func("/job/error", test_error);
	g_test_add_func("/job/verbs-refused", test_verbs_refused);
	g_test_add_func("/job/ids", test_ids);
	g_test_add_func("/job/shutdown", test_shutdown);
	g_test_add_func("/job/shutdown-events", test_shutdown_events);
	return g_test_run();
}
