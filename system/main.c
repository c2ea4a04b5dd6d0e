/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kvmage: parse the command line, build the machine, open the QMP monitors,
 * run the GLib main loop until a shutdown is requested (guest done, error,
 * signal, QMP quit), tear down.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <glib-unix.h>

#include "job/job.h"
#include "migration/migration.h"
#include "monitor/monitor.h"
#include "system/options.h"
#include "system/runstate.h"
#include "system/vm.h"
#include "util/error.h"

struct main_state {
	Machine *m; /* NULL while the machine is being built */
	int signal; /* first signal seen, 0 if none */
};

struct main_signal {
	struct main_state *st;
	int sig;
};

/*
 * SIGINT/SIGTERM/SIGHUP: stop the guest cleanly and exit 0, like QEMU.
 * Main thread (a GLib source).  Signals that arrive while the machine is
 * built (a long prealloc) are dispatched once it is, and end it then.
 */
static gboolean main_on_signal(gpointer opaque)
{
	struct main_signal *s = opaque;

	fprintf(stderr, "kvmage: terminating on signal %d\n", s->sig);
	if (!s->st->signal)
		s->st->signal = s->sig;
	if (s->st->m) {
		machine_request_shutdown(s->st->m, 0, "terminated by signal %d",
					 s->sig);
		if (!runstate_shutdown_requested())
			runstate_shutdown(false, SHUTDOWN_CAUSE_HOST_SIGNAL);
	}
	return G_SOURCE_CONTINUE;
}

/* Tell QMP clients how the VM ended (SHUTDOWN), unless QMP or a signal did. */
static void main_report_shutdown(int status)
{
	if (runstate_shutdown_requested())
		return;
	if (status == 0)
		runstate_shutdown(true, SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
	else
		runstate_shutdown(false, SHUTDOWN_CAUSE_HOST_ERROR);
}

/* -incoming: listen or read now, or wait for migrate-incoming (defer). */
static bool main_start_incoming(VmConfig *cfg)
{
	g_autoptr(GError) err = NULL;

	if (!cfg->incoming)
		return true;
	if (!strcmp(cfg->incoming, "defer")) {
		migration_incoming_expect();
		return true;
	}
	if (migration_incoming_start(cfg->incoming, &err))
		return true;
	fprintf(stderr, "kvmage: -incoming %s: %s\n", cfg->incoming,
		err->message);
	return false;
}

/* Run the machine until a shutdown request; returns the exit status. */
static int main_loop(struct main_state *st, GMainContext *ctx)
{
	VmConfig *cfg = st->m->cfg;
	g_autoptr(GError) err = NULL;
	const char *reason;
	int status;

	/* vCPU threads exist (parked with -S) before any QMP query runs. */
	if (!vm_start(st->m, &err)) {
		fprintf(stderr, "kvmage: %s\n", err->message);
		return 1;
	}
	while (g_main_context_iteration(ctx, FALSE))
		; /* signals and monitor input that came in during setup */
	if (st->signal)
		return 0;
	if (!main_start_incoming(cfg))
		return 1;
	/* -machine none without a monitor: nothing can ever happen. */
	if (!machine_has_cpus(st->m) && cfg->monitor_opts->len == 0)
		return 0;
	while (!machine_shutdown_requested(st->m))
		g_main_context_iteration(ctx, TRUE);
	reason = machine_shutdown_status(st->m, &status);
	main_report_shutdown(status);
	if (status != 0 || machine_log_enabled(st->m, "ucall"))
		fprintf(stderr, "kvmage: %s\n", reason);
	return status;
}

/* Check every -qmp/-chardev/-mon before anything is built. */
static bool main_parse_monitors(VmConfig *cfg, GError **errp)
{
	for (guint i = 0; i + 1 < cfg->monitor_opts->len; i += 2) {
		if (!monitor_parse_opt(g_ptr_array_index(cfg->monitor_opts, i),
				       g_ptr_array_index(cfg->monitor_opts,
							 i + 1),
				       errp))
			return false;
	}
	return true;
}

static int main_run(VmConfig *cfg)
{
	GMainContext *ctx = g_main_context_default();
	struct main_state st = { 0 };
	struct main_signal sigs[] = { { &st, SIGINT },
				      { &st, SIGTERM },
				      { &st, SIGHUP } };
	guint ids[G_N_ELEMENTS(sigs)];
	g_autoptr(GError) err = NULL;
	int status = 1;

	for (size_t i = 0; i < G_N_ELEMENTS(sigs); i++)
		ids[i] = g_unix_signal_add(sigs[i].sig, main_on_signal,
					   &sigs[i]);
	/* Monitors open before the machine is built, as QEMU's chardevs. */
	runstate_init(cfg->start_paused);
	runstate_migration_setup(ctx);
	if (cfg->incoming) {
		/* vCPUs stay parked until the stream is loaded */
		runstate_set_inmigrate(!cfg->start_paused);
		cfg->start_paused = true;
	}
	if (main_parse_monitors(cfg, &err) && monitor_init_all(&err))
		st.m = vm_create(cfg, ctx, &err);
	if (st.m) {
		status = main_loop(&st, ctx);
	} else {
		fprintf(stderr, "kvmage: %s\n", err->message);
	}
	/* Jobs end (cancelled) while clients can still see their events. */
	job_shutdown();
	/* Replies and the SHUTDOWN event reach clients first. */
	monitor_cleanup(1000);
	/* a migration thread uses the VM: it ends first */
	migration_shutdown();
	vm_destroy(st.m);
	for (size_t i = 0; i < G_N_ELEMENTS(ids); i++)
		g_source_remove(ids[i]);
	return status;
}

int main(int argc, char **argv)
{
	g_autoptr(GError) err = NULL;
	VmConfig *cfg;
	int status;

	cfg = options_parse(argc, argv, &err);
	if (!cfg) {
		fprintf(stderr, "kvmage: %s\n", err->message);
		return 1;
	}
	if (cfg->show_debug_help) {
		options_print_debug_help(stdout);
		vm_config_free(cfg);
		return 0;
	}
	if (cfg->show_help) {
		options_print_help(stdout);
		vm_config_free(cfg);
		return 0;
	}
	if (cfg->show_version) {
		options_print_version(stdout);
		vm_config_free(cfg);
		return 0;
	}
	status = main_run(cfg);
	vm_config_free(cfg);
	return status;
}
