/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Run kvmage under a deadline and collect what it printed.  All I/O is
 * asynchronous on the default GMainContext, driven by harness_iterate();
 * nothing here is thread-safe (g_test programs are single-threaded).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <linux/kvm.h>
#include <gio/gio.h>

#include "harness.h"

#define HARNESS_READ_CHUNK    65536
#define HARNESS_KILL_GRACE_MS 10000

typedef struct HarnessPipe {
	HarnessProc *proc;
	GInputStream *stream;
	GString *data;
	bool eof;
} HarnessPipe;

struct HarnessProc {
	GSubprocess *sp;
	char *cmdline;
	gint64 start_us;
	GCancellable *cancel;
	HarnessPipe out, err;
	unsigned pending; /* async operations not yet completed */
	bool exited;
	bool deadline_hit;
};

static char *harness_bin;
static bool harness_tap;

static void harness_skip_all(const char *reason)
{
	if (harness_tap) {
		printf("1..0 # SKIP %s\n", reason);
		fflush(stdout);
		exit(0);
	}
	fprintf(stderr, "SKIP: %s\n", reason);
	exit(77);
}

static void harness_check_kvm(void)
{
	g_autofree char *reason = NULL;
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return;
	}
	reason = g_strdup_printf("cannot open /dev/kvm: %s", g_strerror(errno));
	harness_skip_all(reason);
}

void harness_init(int *argc, char ***argv)
{
	const char *bin = g_getenv("KVMAGE_BINARY");
	int i;

	for (i = 1; i < *argc; i++)
		if (!strcmp((*argv)[i], "--tap"))
			harness_tap = true;
	g_test_init(argc, argv, NULL);
	/* One failing VM run must not hide the results of the others. */
	g_test_set_nonfatal_assertions();
	timescale_factor(); /* a bad KVMAGE_TEST_TIME_SCALE ends us here */
	harness_check_kvm();
	if (bin) {
		harness_bin = g_strdup(bin);
	} else {
		/* Run by hand from the build tree: build/tests/kvm/<test>. */
		g_autofree char *dir = g_path_get_dirname((*argv)[0]);

		harness_bin = g_build_filename(dir, "..", "..", "kvmage", NULL);
	}
	if (!g_file_test(harness_bin, G_FILE_TEST_IS_EXECUTABLE)) {
		g_printerr("kvmage binary not found at %s "
			   "(set KVMAGE_BINARY)\n",
			   harness_bin);
		exit(1);
	}
}

const char *harness_kvmage(void)
{
	return harness_bin;
}

const char *harness_guest(const char *name)
{
	g_autofree char *var = g_ascii_strup(name, -1);
	g_autofree char *key = NULL;
	const char *path;

	g_strdelimit(var, "-", '_');
	key = g_strconcat("KVMAGE_GUEST_", var, NULL);
	path = g_getenv(key);
	if (!path || !g_file_test(path, G_FILE_TEST_IS_REGULAR))
		return NULL;
	return path;
}

uint32_t harness_kvm_cpuid_edx(uint32_t function)
{
	g_autofree struct kvm_cpuid2 *c = NULL;
	uint32_t edx = 0;
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	unsigned nent = 64;

	g_assert_cmpint(fd, >=, 0);
	for (;;) {
		g_free(c);
		c = g_malloc0(sizeof(*c) +
			      nent * sizeof(struct kvm_cpuid_entry2));
		c->nent = nent;
		if (ioctl(fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			break;
		if (errno != E2BIG || nent >= 4096) {
			g_test_fail_printf("KVM_GET_SUPPORTED_CPUID: %s",
					   g_strerror(errno));
			close(fd);
			return 0;
		}
		nent *= 2;
	}
	close(fd);
	for (unsigned i = 0; i < c->nent; i++) {
		if (c->entries[i].function == function &&
		    c->entries[i].index == 0)
			edx = c->entries[i].edx;
	}
	return edx;
}

bool harness_wait_counter(gint *counter, int n, unsigned ms)
{
	gint64 end = timescale_deadline(ms);

	while (g_atomic_int_get(counter) < n) {
		if (g_get_monotonic_time() > end)
			return false;
		g_usleep(500);
	}
	return true;
}

static void harness_pipe_read(HarnessPipe *pipe);

static void harness_pipe_done(GObject *src, GAsyncResult *res, gpointer data)
{
	HarnessPipe *pipe = data;
	g_autoptr(GError) err = NULL;
	g_autoptr(GBytes) bytes = NULL;

	pipe->proc->pending--;
	bytes = g_input_stream_read_bytes_finish(G_INPUT_STREAM(src), res,
						 &err);
	if (!bytes || !g_bytes_get_size(bytes)) {
		pipe->eof = true; /* EOF, error or cancelled */
		return;
	}
	g_string_append_len(pipe->data, g_bytes_get_data(bytes, NULL),
			    g_bytes_get_size(bytes));
	harness_pipe_read(pipe);
}

static void harness_pipe_read(HarnessPipe *pipe)
{
	pipe->proc->pending++;
	g_input_stream_read_bytes_async(pipe->stream, HARNESS_READ_CHUNK,
					G_PRIORITY_DEFAULT, pipe->proc->cancel,
					harness_pipe_done, pipe);
}

static void harness_wait_done(GObject *src, GAsyncResult *res, gpointer data)
{
	HarnessProc *p = data;

	p->pending--;
	/* Fails only when cancelled; then the process is reaped by GLib. */
	if (g_subprocess_wait_finish(G_SUBPROCESS(src), res, NULL))
		p->exited = true;
}

static void harness_pipe_start(HarnessProc *p, HarnessPipe *pipe,
			       GInputStream *stream)
{
	pipe->proc = p;
	pipe->stream = g_object_ref(stream);
	pipe->data = g_string_new(NULL);
	harness_pipe_read(pipe);
}

/*
 * In the child before exec: its own process group, so that a timeout
 * kills whatever it started too, and death with the test program.
 */
static void harness_child_setup(gpointer data)
{
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/* SIGKILL the process group of the child (see harness_child_setup()). */
static void harness_kill_group(HarnessProc *p)
{
	const char *id = g_subprocess_get_identifier(p->sp);

	if (id)
		kill(-(pid_t)g_ascii_strtoll(id, NULL, 10), SIGKILL);
	g_subprocess_force_exit(p->sp);
}

HarnessProc *harness_spawn(const char *const *args)
{
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) err = NULL;
	HarnessProc *p = g_new0(HarnessProc, 1);
	GOutputStream *in;

	g_ptr_array_add(argv, harness_bin);
	for (; *args; args++)
		g_ptr_array_add(argv, (char *)*args);
	g_ptr_array_add(argv, NULL);
	p->cmdline = g_strjoinv(" ", (char **)argv->pdata);
	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_PIPE |
					     G_SUBPROCESS_FLAGS_STDOUT_PIPE |
					     G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_subprocess_launcher_set_child_setup(launcher, harness_child_setup,
					      NULL, NULL);
	p->sp = g_subprocess_launcher_spawnv(launcher,
					     (const char *const *)argv->pdata,
					     &err);
	g_assert_no_error(err);
	p->start_us = g_get_monotonic_time();
	p->cancel = g_cancellable_new();
	in = g_subprocess_get_stdin_pipe(p->sp);
	g_assert_true(g_output_stream_close(in, NULL, &err));
	g_assert_no_error(err);
	harness_pipe_start(p, &p->out, g_subprocess_get_stdout_pipe(p->sp));
	harness_pipe_start(p, &p->err, g_subprocess_get_stderr_pipe(p->sp));
	p->pending++;
	g_subprocess_wait_async(p->sp, p->cancel, harness_wait_done, p);
	return p;
}

static gboolean harness_deadline(gpointer data)
{
	HarnessProc *p = data;

	p->deadline_hit = true;
	return G_SOURCE_REMOVE;
}

typedef bool (*HarnessCond)(HarnessProc *p, const void *arg);

/*
 * Iterate until @cond holds; false if the deadline, @timeout_ms scaled by
 * KVMAGE_TEST_TIME_SCALE, came first.
 */
static bool harness_iterate(HarnessProc *p, HarnessCond cond, const void *arg,
			    unsigned timeout_ms)
{
	GSource *timer = g_timeout_source_new(timescale_ms(timeout_ms));
	bool ok;

	p->deadline_hit = false;
	g_source_set_callback(timer, harness_deadline, p, NULL);
	g_source_attach(timer, NULL);
	while (!(ok = cond(p, arg)) && !p->deadline_hit)
		g_main_context_iteration(NULL, TRUE);
	g_source_destroy(timer);
	g_source_unref(timer);
	return ok;
}

static bool harness_cond_finished(HarnessProc *p, const void *arg)
{
	return p->exited && p->out.eof && p->err.eof;
}

static bool harness_cond_idle(HarnessProc *p, const void *arg)
{
	return p->pending == 0;
}

static bool harness_cond_output(HarnessProc *p, const void *arg)
{
	const char *needle = arg;

	return strstr(p->out.data->str, needle) ||
	       strstr(p->err.data->str, needle) || p->exited;
}

bool harness_proc_wait_output(HarnessProc *p, const char *needle,
			      unsigned timeout_ms)
{
	harness_iterate(p, harness_cond_output, needle, timeout_ms);
	return strstr(p->out.data->str, needle) ||
	       strstr(p->err.data->str, needle);
}

void harness_proc_signal(HarnessProc *p, int sig)
{
	g_subprocess_send_signal(p->sp, sig);
}

static void harness_proc_free(HarnessProc *p)
{
	g_object_unref(p->out.stream);
	g_object_unref(p->err.stream);
	g_object_unref(p->cancel);
	g_object_unref(p->sp);
	g_free(p->cmdline);
	g_free(p);
}

HarnessResult *harness_proc_finish(HarnessProc *p, unsigned timeout_ms)
{
	HarnessResult *r = g_new0(HarnessResult, 1);

	if (!harness_iterate(p, harness_cond_finished, NULL, timeout_ms)) {
		r->timed_out = true;
		harness_kill_group(p);
		/* Output a child left open must not hang us either. */
		harness_iterate(p, harness_cond_finished, NULL,
				HARNESS_KILL_GRACE_MS);
	}
	g_cancellable_cancel(p->cancel);
	harness_iterate(p, harness_cond_idle, NULL, HARNESS_KILL_GRACE_MS);
	g_assert_cmpuint(p->pending, ==, 0);

	r->seconds = (g_get_monotonic_time() - p->start_us) / 1e6;
	r->cmdline = g_steal_pointer(&p->cmdline);
	r->out = g_string_free(p->out.data, FALSE);
	r->err = g_string_free(p->err.data, FALSE);
	if (p->exited && g_subprocess_get_if_exited(p->sp)) {
		r->exited = true;
		r->status = g_subprocess_get_exit_status(p->sp);
	} else if (p->exited && g_subprocess_get_if_signaled(p->sp)) {
		r->term_sig = g_subprocess_get_term_sig(p->sp);
	}
	harness_proc_free(p);
	return r;
}

HarnessResult *harness_runv(const char *const *args)
{
	HarnessResult *r;

	r = harness_proc_finish(harness_spawn(args), HARNESS_RUN_TIMEOUT_MS);
	g_test_message("ran in %.2fs: %s", r->seconds, r->cmdline);
	return r;
}

HarnessResult *harness_run(const char *arg, ...)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	va_list ap;

	va_start(ap, arg);
	for (; arg; arg = va_arg(ap, const char *))
		g_ptr_array_add(args, (char *)arg);
	va_end(ap);
	g_ptr_array_add(args, NULL);
	return harness_runv((const char *const *)args->pdata);
}

HarnessResult *harness_run_guest(const char *kernel, ...)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	const char *arg;
	va_list ap;

	g_ptr_array_add(args, "-kernel");
	g_ptr_array_add(args, (char *)kernel);
	va_start(ap, kernel);
	while ((arg = va_arg(ap, const char *)))
		g_ptr_array_add(args, (char *)arg);
	va_end(ap);
	g_ptr_array_add(args, NULL);
	return harness_runv((const char *const *)args->pdata);
}

void harness_result_free(HarnessResult *r)
{
	if (!r)
		return;
	g_free(r->cmdline);
	g_free(r->out);
	g_free(r->err);
	g_free(r);
}

static void harness_dump_text(const char *what, const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	int i;

	for (i = 0; lines[i]; i++)
		if (lines[i][0] || lines[i + 1])
			g_test_message("%s| %s", what, lines[i]);
}

void harness_result_dump(const HarnessResult *r)
{
	g_test_message("command: %s", r->cmdline);
	if (r->timed_out)
		g_test_message("TIMED OUT after %.1fs and was killed",
			       r->seconds);
	else if (r->exited)
		g_test_message("exit status %d after %.2fs", r->status,
			       r->seconds);
	else
		g_test_message("killed by signal %d (%s)", r->term_sig,
			       g_strsignal(r->term_sig));
	harness_dump_text("stdout", r->out);
	harness_dump_text("stderr", r->err);
}

void harness_fail(const HarnessResult *r, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	harness_result_dump(r);
	g_test_message("FAILED: %s", msg);
	g_test_fail();
}

void harness_assert_exit(const HarnessResult *r, int status)
{
	if (!r->timed_out && r->exited && r->status == status)
		return;
	harness_result_dump(r);
	g_assert_false(r->timed_out);
	g_assert_true(r->exited);
	g_assert_cmpint(r->status, ==, status);
}

char *harness_report_get(const char *out, const char *key)
{
	static const char prefix[] = "guest-report: ";
	g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
	g_autofree char *want = g_strconcat(key, "=", NULL);
	char *value = NULL;
	int i, j;

	for (i = 0; lines[i]; i++) {
		g_auto(GStrv) words = NULL;

		if (!g_str_has_prefix(lines[i], prefix))
			continue;
		words = g_strsplit(lines[i] + strlen(prefix), " ", -1);
		for (j = 0; words[j]; j++) {
			if (!g_str_has_prefix(words[j], want))
				continue;
			g_free(value);
			value = g_strdup(words[j] + strlen(want));
		}
	}
	return value;
}

GPtrArray *harness_grep(const char *text, const char *needle)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GPtrArray *hits = g_ptr_array_new_with_free_func(g_free);
	int i;

	for (i = 0; lines[i]; i++)
		if (strstr(lines[i], needle))
			g_ptr_array_add(hits, g_strdup(lines[i]));
	return hits;
}
