/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP against a running VM: the real kvmage with the workload guest on two
 * vCPUs.  -S then cont, stop, query-status and the machine queries, the
 * STOP/RESUME/SHUTDOWN events with their causes, and a guest that ends
 * by itself.  Skips (77 by hand, a TAP skip under meson) without /dev/kvm.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "libqmp.h"

static const char *workload;

static QmpProc *vm_start(const char *append, bool paused)
{
	const char *args[] = { "-machine",
			       "pc",
			       "-m",
			       "64M",
			       "-smp",
			       "2",
			       "-name",
			       "qmp-vm",
			       "-kernel",
			       workload,
			       "-append",
			       append,
			       paused ? "-S" : NULL,
			       NULL };

	return qmp_proc_start(g_getenv("KVMAGE_BINARY"), args);
}

static const char *member_str(JsonNode *n, const char *key)
{
	return json_object_get_string_member(json_node_get_object(n), key);
}

static void assert_status(QmpConn *c, const char *status, bool running)
{
	g_autoptr(JsonNode) r = qmp_cmd_return(c, "{'execute':'query-status'}");
	JsonObject *o = json_node_get_object(r);

	g_assert_cmpstr(json_object_get_string_member(o, "status"), ==, status);
	g_assert_cmpint(json_object_get_boolean_member(o, "running"), ==,
			running);
}

static void test_lifecycle(void)
{
	QmpProc *p = vm_start("size=8M passes=0", true);
	QmpConn *c = qmp_conn_negotiated(p->sock);
	g_autoptr(JsonNode) cpus = NULL, name = NULL, kvm = NULL, mem = NULL;
	g_autofree char *ev = NULL;
	JsonArray *a;

	assert_status(c, "prelaunch", false);
	cpus = qmp_cmd_return(c, "{'execute':'query-cpus-fast'}");
	a = json_node_get_array(cpus);
	g_assert_cmpuint(json_array_get_length(a), ==, 2);
	for (guint i = 0; i < 2; i++) {
		JsonObject *o = json_array_get_object_element(a, i);
		g_autofree char *task =
			g_strdup_printf("/proc/%d/task/%" G_GINT64_FORMAT,
					p->pid,
					json_object_get_int_member(o,
								   "thread-id"));

		g_assert_cmpint(json_object_get_int_member(o, "cpu-index"), ==,
				i);
		/* thread-id is a real thread of the kvmage process */
		g_assert_true(g_file_test(task, G_FILE_TEST_IS_DIR));
	}
	name = qmp_cmd_return(c, "{'execute':'query-name'}");
	g_assert_cmpstr(member_str(name, "name"), ==, "qmp-vm");
	kvm = qmp_cmd_return(c, "{'execute':'query-kvm'}");
	g_assert_true(json_object_get_boolean_member(json_node_get_object(kvm),
						     "enabled"));
	mem = qmp_cmd_return(c, "{'execute':'query-memory-size-summary'}");
	g_assert_cmpint(json_object_get_int_member(json_node_get_object(mem),
						   "base-memory"),
			==, 64 << 20);

	json_node_unref(qmp_cmd_return(c, "{'execute':'cont'}"));
	ev = qmp_event_wait(c, "RESUME", 5000);
	g_assert_nonnull(ev);
	assert_status(c, "running", true);
	json_node_unref(qmp_cmd_return(c, "{'execute':'stop'}"));
	g_clear_pointer(&ev, g_free);
	ev = qmp_event_wait(c, "STOP", 5000);
	g_assert_nonnull(ev);
	assert_status(c, "paused", false);
	json_node_unref(qmp_cmd_return(c, "{'execute':'quit'}"));
	g_clear_pointer(&ev, g_free);
	ev = qmp_event_wait(c, "SHUTDOWN", 5000);
	g_assert_nonnull(ev);
	g_assert_nonnull(strstr(ev, "\"reason\": \"host-qmp-quit\""));
	g_assert_nonnull(strstr(ev, "\"guest\": false"));
	qmp_vm_exit_ok(p, c, 5000);
}

/* A guest that finishes by itself: SHUTDOWN {guest: true}. */
static void test_guest_done(void)
{
	QmpProc *p = vm_start("size=8M passes=3", true);
	QmpConn *c = qmp_conn_negotiated(p->sock);
	g_autofree char *ev = NULL;

	json_node_unref(qmp_cmd_return(c, "{'execute':'cont'}"));
	ev = qmp_event_wait(c, "SHUTDOWN", 10000);
	g_assert_nonnull(ev);
	g_assert_nonnull(strstr(ev, "\"reason\": \"guest-shutdown\""));
	g_assert_nonnull(strstr(ev, "\"guest\": true"));
	qmp_vm_exit_ok(p, c, 5000);
}

int main(int argc, char **argv)
{
	int status;

	workload = qmp_vm_workload_or_skip(argc, argv, &status);
	if (!workload)
		return status;
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/qmp/vm/lifecycle", test_lifecycle);
	g_test_add_func("/qmp/vm/guest-done", test_guest_done);
	return g_test_run();
}
