/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A VMM-less kvmage for the QMP tests: parses the monitor options with
 * monitor_parse_opt(), runs GLib's main loop like kvmage's main, and
 * stands in for the VM at link time: it defines the run-state actions
 * of system/vm.c (vm_pause(), vm_resume(), vm_reset(), vm_quit()) and
 * the machine's queries of hw/machine-qmp.c (query-name, query-kvm,
 * query-cpus-fast, query-memory-size-summary), which only record what
 * they are asked, so the linker leaves those two objects of libkvmage
 * out; every other command is kvmage's own.  Define all the functions
 * of those two files here, or the link fails on duplicates.  QEMU-only
 * options the differential suite passes to both programs (-machine
 * none, -display none, -nodefaults) are accepted.
 *
 * Test knobs:  --no-reset      the machine cannot reset
 *              --fail-resume   the resume hook fails
 *              --fake-cpus=N   report N vCPUs
 *              --memdev=ID:SIZE report one memory backend
 *              --thread-event  a second thread sends RESET events
 *   -object memory-backend-ram,id=ID,size=BYTES|NM|NG   (as with QEMU's
 *              -machine none: a real backend, listed by query-memdev,
 *              no guest RAM; --memdev=ID:SIZE is one too, created first,
 *              and its size is query-memory-size-summary's base memory)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib-unix.h>

#include "backends/hostmem.h"
#include "monitor/monitor.h"
#include "qapi-commands.h"
#include "qapi-events.h"
#include "system/runstate.h"
#include "system/vm.h"
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
	GPtrArray *objects; /* the -object arguments, in order */
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

/* system/vm.c's run-state actions, as the test knobs want them. */
bool vm_pause(GError **errp)
{
	return true;
}

bool vm_resume(GError **errp)
{
	if (srv.fail_resume) {
		error_setg(errp, "vCPUs cannot be resumed (test)");
		return false;
	}
	return true;
}

bool vm_reset(GError **errp)
{
	if (srv.no_reset) {
		/* what kvmage says without a machine to reset */
		error_setg(errp, "this feature or command is not currently "
				 "supported");
		return false;
	}
	srv.resets++;
	return true;
}

void vm_quit(void)
{
	srv.quit = true;
	g_main_context_wakeup(NULL);
}

/* hw/machine-qmp.c's queries, from the knobs. */
bool qmp_query_name(NameInfo **ret, GError **errp)
{
	*ret = g_new0(NameInfo, 1);
	(*ret)->has_name = srv.name != NULL;
	(*ret)->name = g_strdup(srv.name);
	return true;
}

bool qmp_query_kvm(KvmInfo **ret, GError **errp)
{
	*ret = g_new0(KvmInfo, 1);
	(*ret)->present = access("/dev/kvm", R_OK | W_OK) == 0;
	return true;
}

bool qmp_query_cpus_fast(CpuInfoFastList **ret, GError **errp)
{
	CpuInfoFastList **tail = ret;
	unsigned i;

	*ret = NULL;
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

bool qmp_query_memory_size_summary(MemoryInfo **ret, GError **errp)
{
	*ret = g_new0(MemoryInfo, 1);
	(*ret)->base_memory = srv.memdev_size;
	(*ret)->has_plugged_memory = true;
	return true;
}

/* A real memory-backend-ram of @size bytes (mapped, never touched). */
static bool backend_add(const char *id, uint64_t size, GError **errp)
{
	g_autoptr(GHashTable) props =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	HostMemBackend *be;

	g_hash_table_insert(props, g_strdup("size"),
			    g_strdup_printf("%" G_GUINT64_FORMAT, size));
	be = hostmem_new(HOSTMEM_RAM, id, props, errp);
	if (be && hostmem_alloc(be, errp))
		return true;
	hostmem_free(be);
	return false;
}

/* "memory-backend-ram,id=ID,size=N[M|G]", nothing else. */
static bool parse_object(const char *arg, GError **errp)
{
	g_auto(GStrv) kv = g_strsplit(arg, ",", -1);
	g_autofree char *id = NULL;
	uint64_t size = 0;
	char *end;
	int i;

	for (i = 1; kv[0] && !strcmp(kv[0], "memory-backend-ram") && kv[i];
	     i++) {
		if (g_str_has_prefix(kv[i], "id=")) {
			g_free(id);
			id = g_strdup(kv[i] + 3);
		} else if (g_str_has_prefix(kv[i], "size=")) {
			size = g_ascii_strtoull(kv[i] + 5, &end, 10);
			size <<= *end == 'G' ? 30 : *end == 'M' ? 20 : 0;
		}
	}
	if (!id || !size) {
		error_setg(errp, "-object %s: not supported by the test server",
			   arg);
		return false;
	}
	return backend_add(id, size, errp);
}

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
			g_ptr_array_add(srv.objects, argv[++i]);
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
	/* --memdev first, then -object in order, as query-memdev lists them */
	if (srv.memdev_id && !backend_add(srv.memdev_id, srv.memdev_size, errp))
		return false;
	for (guint j = 0; j < srv.objects->len; j++) {
		if (!parse_object(srv.objects->pdata[j], errp))
			return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	GError *err = NULL;
	bool paused = false;

	signal(SIGPIPE, SIG_IGN);
	srv.objects = g_ptr_array_new();
	if (!parse_args(argc, argv, &paused, &err)) {
		error_report_err(err);
		return 1;
	}
	runstate_init(paused);
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
