/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A VMM-less kvmage for the QMP tests: parses the monitor options with
 * monitor_parse_opt(), runs GLib's main loop like kvmage's main, and
 * registers run-state and machine hooks that only record what they are
 * asked.  QEMU-only options the differential suite passes to both
 * programs (-machine none, -display none, -nodefaults) are accepted.
 *
 * Test knobs:  --no-reset      the machine cannot reset
 *              --fail-resume   the resume hook fails
 *              --fake-cpus=N   report N vCPUs
 *              --memdev=ID:SIZE report one memory backend
 *              --thread-event  a second thread sends RESET events
 *   -object memory-backend-ram,id=ID,size=BYTES|NM|NG   (as with QEMU's
 *              -machine none: listed by query-memdev, no guest RAM)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib-unix.h>

#include "backends/hostmem.h"
#include "monitor/monitor.h"
#include "monitor/qmp-machine.h"
#include "qapi-events.h"
#include "system/runstate.h"
#include "util/error.h"
#include "../timescale.h"

static struct {
	bool quit;
	bool no_reset;
	bool fail_resume;
	unsigned cpus;
	char *memdev_id;
	gint64 memdev_size;
	char *name;
	unsigned resets;
	bool thread_event;
	GPtrArray *backends; /* HostMemBackend *, from -object */
} srv;

/* Events may come from any thread (vCPUs): send some from another one. */
static gpointer event_thread(gpointer data)
{
	int i;

	/* 5 s (scaled): enough for a client that connects late to see some */
	for (i = 0; i < 50; i++) {
		timescale_sleep_ms(100);
		qapi_event_send_reset(true, SHUTDOWN_CAUSE_GUEST_RESET);
	}
	return NULL;
}

static bool fake_pause(void *opaque, GError **errp)
{
	return true;
}

static bool fake_resume(void *opaque, GError **errp)
{
	if (srv.fail_resume) {
		error_setg(errp, "vCPUs cannot be resumed (test)");
		return false;
	}
	return true;
}

static bool fake_reset(void *opaque, GError **errp)
{
	srv.resets++;
	return true;
}

static void fake_quit(void *opaque)
{
	srv.quit = true;
	g_main_context_wakeup(NULL);
}

static const RunstateOps ops_reset = {
	.pause = fake_pause,
	.resume = fake_resume,
	.reset = fake_reset,
	.quit = fake_quit,
};

static const RunstateOps ops_no_reset = {
	.pause = fake_pause,
	.resume = fake_resume,
	.quit = fake_quit,
};

static const char *fake_name(void *opaque)
{
	return srv.name;
}

static bool fake_cpus(void *opaque, CpuInfoFastList **ret, GError **errp)
{
	CpuInfoFastList **tail = ret;
	unsigned i;

	for (i = 0; i < srv.cpus; i++) {
		CpuInfoFast *c = g_new0(CpuInfoFast, 1);

		c->cpu_index = i;
		c->qom_path =
			g_strdup_printf("/machine/unattached/device[%u]", i);
		c->thread_id = getpid() + 1 + i;
		c->target = SYS_EMU_TARGET_X86_64;
		c->has_props = true;
		c->props = g_new0(CpuInstanceProperties, 1);
		c->props->has_core_id = true;
		c->props->core_id = i;
		*tail = g_new0(CpuInfoFastList, 1);
		(*tail)->value = c;
		tail = &(*tail)->next;
	}
	return true;
}

static bool fake_memdevs(void *opaque, MemdevList **ret, GError **errp)
{
	HostMemBackend be = {
		.id = srv.memdev_id,
		.size = srv.memdev_size,
		.merge = true,
		.dump = true,
	};
	MemdevList *l;

	*ret = qmp_memdev_list(srv.backends);
	if (srv.memdev_id) {
		l = g_new0(MemdevList, 1);
		l->value = qmp_memdev_from_backend(&be);
		l->next = *ret;
		*ret = l;
	}
	return true;
}

/* "memory-backend-ram,id=ID,size=N[M|G]", nothing else. */
static bool parse_object(const char *arg, GError **errp)
{
	g_auto(GStrv) kv = g_strsplit(arg, ",", -1);
	HostMemBackend *be = g_new0(HostMemBackend, 1);
	char *end;
	int i;

	be->merge = be->dump = true;
	be->fd = -1;
	for (i = 1; kv[0] && !strcmp(kv[0], "memory-backend-ram") && kv[i];
	     i++) {
		if (g_str_has_prefix(kv[i], "id=")) {
			be->id = g_strdup(kv[i] + 3);
		} else if (g_str_has_prefix(kv[i], "size=")) {
			be->size = g_ascii_strtoull(kv[i] + 5, &end, 10);
			be->size <<= *end == 'G' ? 30 : *end == 'M' ? 20 : 0;
		}
	}
	if (!be->id || !be->size) {
		g_free(be->id);
		g_free(be);
		error_setg(errp, "-object %s: not supported by the test server",
			   arg);
		return false;
	}
	g_ptr_array_add(srv.backends, be);
	return true;
}

static bool fake_memory(void *opaque, MemoryInfo *info, GError **errp)
{
	info->base_memory = srv.memdev_size;
	return true;
}

static const QmpMachineOps machine_ops = {
	.name = fake_name,
	.cpus = fake_cpus,
	.memdevs = fake_memdevs,
	.memory = fake_memory,
};

static gboolean on_signal(gpointer data)
{
	runstate_shutdown(false, SHUTDOWN_CAUSE_HOST_SIGNAL);
	return G_SOURCE_CONTINUE;
}

static bool parse_args(int argc, char **argv, bool *paused, GError **errp)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_arg = i + 1 < argc;

		if (a[0] == '-' && monitor_is_opt(a + 1) && has_arg) {
			if (!monitor_parse_opt(a + 1, argv[++i], errp))
				return false;
		} else if (!strcmp(a, "-S")) {
			*paused = true;
		} else if (!strcmp(a, "-name") && has_arg) {
			srv.name = argv[++i];
		} else if ((!strcmp(a, "-machine") || !strcmp(a, "-display")) &&
			   has_arg) {
			i++;
		} else if (!strcmp(a, "-object") && has_arg) {
			if (!parse_object(argv[++i], errp))
				return false;
		} else if (!strcmp(a, "-nodefaults")) {
			continue;
		} else if (!strcmp(a, "--no-reset")) {
			srv.no_reset = true;
		} else if (!strcmp(a, "--thread-event")) {
			srv.thread_event = true;
		} else if (!strcmp(a, "--fail-resume")) {
			srv.fail_resume = true;
		} else if (g_str_has_prefix(a, "--fake-cpus=")) {
			srv.cpus = atoi(a + 12);
		} else if (g_str_has_prefix(a, "--memdev=") && strchr(a, ':')) {
			srv.memdev_id = g_strndup(a + 9, strcspn(a + 9, ":"));
			srv.memdev_size =
				g_ascii_strtoll(strchr(a, ':') + 1, NULL, 0);
		} else {
			error_setg(errp, "unknown option '%s'", a);
			return false;
		}
	}
	return true;
}

int main(int argc, char **argv)
{
	GError *err = NULL;
	bool paused = false;

	signal(SIGPIPE, SIG_IGN);
	srv.backends = g_ptr_array_new();
	if (!parse_args(argc, argv, &paused, &err)) {
		error_report_err(err);
		return 1;
	}
	runstate_init(paused);
	runstate_set_ops(srv.no_reset ? &ops_no_reset : &ops_reset, NULL);
	qmp_machine_set_ops(&machine_ops, NULL);
	g_unix_signal_add(SIGTERM, on_signal, NULL);
	g_unix_signal_add(SIGINT, on_signal, NULL);
	if (!monitor_init_all(&err)) {
		error_report_err(err);
		return 1;
	}
	if (srv.thread_event)
		g_thread_unref(g_thread_new("events", event_thread, NULL));
	while (!srv.quit)
		g_main_context_iteration(NULL, TRUE);
	monitor_cleanup(timescale_ms(2000));
	g_free(srv.memdev_id);
	return 0;
}
