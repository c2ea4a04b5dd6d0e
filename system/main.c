/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kvmage: parse the command line, build the machine, run the GLib main
 * loop until a shutdown is requested (guest done, error, signal), tear down.
 */
#include <signal.h>
#include <stdio.h>
#include <glib-unix.h>

#include "hw/machine.h"
#include "system/options.h"
#include "util/error.h"

struct main_signal {
	Machine *m;
	int sig;
};

/* SIGINT/SIGTERM/SIGHUP: stop the guest cleanly and exit 0, like QEMU. */
static gboolean main_on_signal(gpointer opaque)
{
	struct main_signal *s = opaque;

	fprintf(stderr, "kvmage: terminating on signal %d\n", s->sig);
	machine_request_shutdown(s->m, 0, "terminated by signal %d", s->sig);
	return G_SOURCE_CONTINUE;
}

static int main_run(VmConfig *cfg)
{
	GMainContext *ctx = g_main_context_default();
	g_autoptr(GError) err = NULL;
	Machine *m;
	int status;

	m = machine_create(cfg, ctx, &err);
	if (!m) {
		fprintf(stderr, "kvmage: %s\n", err->message);
		return 1;
	}
	if (!machine_has_cpus(m)) {
		/* -machine none: nothing runs until a monitor exists. */
		machine_destroy(m);
		return 0;
	}
	struct main_signal sigs[] = { { m, SIGINT }, { m, SIGTERM },
				      { m, SIGHUP } };
	guint ids[G_N_ELEMENTS(sigs)];

	for (size_t i = 0; i < G_N_ELEMENTS(sigs); i++)
		ids[i] = g_unix_signal_add(sigs[i].sig, main_on_signal, &sigs[i]);
	if (!machine_start(m, &err)) {
		fprintf(stderr, "kvmage: %s\n", err->message);
		machine_destroy(m);
		return 1;
	}
	while (!machine_shutdown_requested(m))
		g_main_context_iteration(ctx, TRUE);

	for (size_t i = 0; i < G_N_ELEMENTS(ids); i++)
		g_source_remove(ids[i]);
	status = m->exit_status;
	if (status != 0 || machine_log_enabled(m, "ucall"))
		fprintf(stderr, "kvmage: %s\n", m->shutdown_reason);
	machine_destroy(m);
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
