/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * query-memory-residency against the real kvmage and the workload guest.
 *
 * Ground truth: size=64M writes a 64 MiB data area (from the first 2 MiB
 * boundary after the image: 8 MiB today) once in the fill, then rewrites
 * its 4 MiB hot set forever (passes=0).  The image, the page tables
 * kvmage builds, the stack and the verify table (16 KiB after the data
 * area) add a few MiB (8 MiB today, THP rounding included).  So once the
 * fill is done, the 96 MiB memdev has present bytes in [64M, 64M + SLACK]
 * and 32 consecutive 2 MiB ranges fully present.
 *
 * Also: ranges add up to the whole, bad arguments get their error class,
 * the guest keeps running; a memfd memdev is best-effort and stays
 * present while uffd aging (mode=full) zaps its page-table entries every
 * scan; KVMAGE_TEST_RESIDENCY_METHOD=pagemap (test-only) switches the method
 * and gives the same answers; -machine none lists every memdev.
 * Skips without /dev/kvm.
 */
#include <string.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "libqmp.h"

#define MiB   (1024 * 1024LL)
#define RAM   (96 * MiB)
#define DATA  (64 * MiB)
#define SLACK (16 * MiB)

static const char *workload;

static QmpProc *vm_start(const char *mem, const char *aging)
{
	g_autofree char *memobj = g_strdup_printf("%s,id=ram0,size=96M", mem);
	const char *args[] = {
		"-machine",
		"pc,memory-backend=ram0",
		"-object",
		memobj,
		"-kernel",
		workload,
		"-append",
		"size=64M hot=4M pattern=hotcold passes=0 rw=write",
		aging ? "-object" : NULL,
		aging,
		NULL,
	};

	return qmp_proc_start(g_getenv("KVMAGE_BINARY"), args);
}

/* query-memory-residency with @args ("" or ",'arguments':{...}") */
static JsonNode *residency(QmpConn *c, const char *args)
{
	g_autofree char *cmd =
		g_strdup_printf("{'execute':'query-memory-residency'%s}", args);

	return qmp_cmd_return(c, cmd);
}

/* The single entry of a reply for memdev ram0 and [@off, @off + @len). */
static JsonObject *one(JsonNode *list, gint64 off, gint64 len)
{
	JsonArray *a = json_node_get_array(list);
	JsonObject *o;

	g_assert_cmpuint(json_array_get_length(a), ==, 1);
	o = json_array_get_object_element(a, 0);
	g_assert_cmpstr(json_object_get_string_member(o, "memdev"), ==, "ram0");
	g_assert_cmpint(json_object_get_int_member(o, "offset"), ==, off);
	g_assert_cmpint(json_object_get_int_member(o, "size"), ==, len);
	g_assert_cmpint(json_object_get_int_member(o, "page-size"), ==, 4096);
	g_assert_cmpint(json_object_get_int_member(o, "present") +
				json_object_get_int_member(o, "swapped") +
				json_object_get_int_member(o, "absent"),
			==, len);
	return o;
}

/* present + swapped bytes: stable while the host's reclaim moves pages */
static gint64 populated_of(QmpConn *c, gint64 off, gint64 len)
{
	g_autofree char *args =
		g_strdup_printf(",'arguments':{'memdev':'ram0','offset':%" G_GINT64_FORMAT
				",'size':%" G_GINT64_FORMAT "}",
				off, len);
	g_autoptr(JsonNode) n = residency(c, args);

	JsonObject *o = one(n, off, len);

	return json_object_get_int_member(o, "present") +
	       json_object_get_int_member(o, "swapped");
}

/*
 * Query until the guest's fill is present and done (two readings 100 ms
 * apart agree), or 20 s (scaled) pass; the last reply.
 */
static JsonNode *wait_filled(QmpConn *c)
{
	gint64 end = timescale_deadline(20000), last = -1;

	for (;;) {
		JsonNode *n = residency(c, "");
		JsonObject *o = one(n, 0, RAM);
		gint64 present = json_object_get_int_member(o, "present") +
				 json_object_get_int_member(o, "swapped");

		if ((present >= DATA && present == last) ||
		    g_get_monotonic_time() > end)
			return n;
		last = present;
		json_node_unref(n);
		g_usleep(100000);
	}
}

static void check_filled(JsonObject *o, bool shared, const char *method)
{
	gint64 present = json_object_get_int_member(o, "present");

	g_test_message("present %" G_GINT64_FORMAT " swapped %" G_GINT64_FORMAT
		       " absent %" G_GINT64_FORMAT " method %s",
		       present, json_object_get_int_member(o, "swapped"),
		       json_object_get_int_member(o, "absent"),
		       json_object_get_string_member(o, "method"));
	/*
	 * The host's DAMON may page out a few pages at once (unmapped ones
	 * in particular): swapped, not absent.  pagemap alone would report
	 * about the hot set present on a memfd that uffd aging zaps.
	 */
	g_assert_cmpint(present + json_object_get_int_member(o, "swapped"), >=,
			DATA);
	g_assert_cmpint(present, >=, DATA / 2);
	g_assert_cmpint(present, <=, DATA + SLACK);
	g_assert_cmpint(json_object_get_boolean_member(o, "best-effort"), ==,
			shared);
	if (method)
		g_assert_cmpstr(json_object_get_string_member(o, "method"), ==,
				method);
}

static char *cmd_error(QmpConn *c, const char *cmd, const char *want)
{
	g_autoptr(JsonNode) reply = qmp_cmd(c, cmd);
	JsonObject *o = json_node_get_object(reply), *e;

	if (!json_object_has_member(o, "error"))
		g_error("%s succeeded: %s", cmd, json_to_string(reply, FALSE));
	e = json_object_get_object_member(o, "error");
	g_test_message("%s: %s", cmd, json_object_get_string_member(e, "desc"));
	g_assert_nonnull(
		strstr(json_object_get_string_member(e, "desc"), want));
	return g_strdup(json_object_get_string_member(e, "class"));
}

static void check_error(QmpConn *c, const char *args, const char *cls,
			const char *want)
{
	g_autofree char *cmd =
		g_strdup_printf("{'execute':'query-memory-residency','arguments':{%s}}",
				args);
	g_autofree char *got = cmd_error(c, cmd, want);

	g_assert_cmpstr(got, ==, cls);
}

static void test_ram(void)
{
	QmpProc *p = vm_start("memory-backend-ram", NULL);
	QmpConn *c = qmp_conn_negotiated(p->sock);
	g_autoptr(JsonNode) all = wait_filled(c);
	JsonObject *o = one(all, 0, RAM);
	gint64 whole = json_object_get_int_member(o, "present") +
		       json_object_get_int_member(o, "swapped"),
	       sum = 0;

	check_filled(o, false, NULL);
	/* the guest only rewrites its hot set now: ranges add up */
	for (gint64 off = 0; off < RAM; off += 32 * MiB)
		sum += populated_of(c, off, 32 * MiB);
	g_assert_cmpint(sum, ==, whole);
	sum = 0;
	/* the data area: 32 consecutive 2 MiB ranges fully populated */
	for (gint64 off = 0, run = 0; off < RAM; off += 2 * MiB) {
		gint64 pr = populated_of(c, off, 2 * MiB);

		run = pr == 2 * MiB ? run + 1 : 0;
		sum = MAX(sum, run);
	}
	g_assert_cmpint(sum, >=, DATA / (2 * MiB));
	/* offset alone: up to the end */
	{
		g_autoptr(JsonNode) n =
			residency(c,
				  ",'arguments':{'memdev':'ram0','offset':4096}");

		one(n, 4096, RAM - 4096);
	}

	check_error(c, "'memdev':'nope'", "DeviceNotFound",
		    "Memory backend 'nope' not found");
	check_error(c, "'memdev':'ram0','offset':100", "GenericError",
		    "'offset' must be a multiple of the page size 4 KiB");
	check_error(c, "'memdev':'ram0','size':6000", "GenericError",
		    "'size' must be a multiple");
	check_error(c, "'memdev':'ram0','offset':100663296", "GenericError",
		    "outside memdev 'ram0'");
	check_error(c, "'memdev':'ram0','offset':4096,'size':100663296",
		    "GenericError", "outside memdev 'ram0'");
	check_error(c, "'memdev':'ram0','offset':-4096", "GenericError",
		    "'offset' must be a positive number or zero");
	check_error(c, "'memdev':'ram0','size':0", "GenericError",
		    "'size' must be a positive number");
	check_error(c, "'offset':0", "GenericError", "'offset' needs 'memdev'");
	check_error(c, "'size':4096", "GenericError", "'size' needs 'memdev'");
	check_error(c, "'memdev':'ram0','size':'1M'", "GenericError",
		    "expected: integer");
	qmp_vm_assert_running(c);
	qmp_vm_quit(p, c, 5000);
}

/*
 * memfd: best-effort, and present although uffd aging (mode=full) zaps
 * every page-table entry of the bank each scan; both methods.
 */
static void run_memfd(const char *method)
{
	QmpProc *p;
	QmpConn *c;
	g_autoptr(JsonNode) all = NULL, again = NULL, aging = NULL;
	JsonArray *a;

	if (method)
		g_setenv("KVMAGE_TEST_RESIDENCY_METHOD", method, TRUE);
	p = vm_start("memory-backend-memfd",
		     "memory-aging,id=age0,memdev=ram0,backend=uffd,"
		     "mode=full,interval=50");
	g_unsetenv("KVMAGE_TEST_RESIDENCY_METHOD");
	c = qmp_conn_negotiated(p->sock);
	all = wait_filled(c);
	check_filled(one(all, 0, RAM), true, method);
	/* several scans later (entries zapped), still all present */
	timescale_sleep_ms(500);
	aging = qmp_cmd_return(c, "{'execute':'query-memory-aging'}");
	a = json_node_get_array(aging);
	g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(a,
										    0),
						      "backend"),
			==, "uffd");
	g_assert_cmpint(json_object_get_int_member(json_array_get_object_element(a,
										 0),
						   "scans"),
			>=, 3);
	again = residency(c, "");
	check_filled(one(again, 0, RAM), true, method);
	qmp_vm_assert_running(c);
	qmp_vm_quit(p, c, 5000);
}

static void test_memfd(void)
{
	run_memfd(NULL);
}

static void test_memfd_pagemap(void)
{
	run_memfd("pagemap");
}

/* -machine none: every memdev, in order; prealloc'd memfd populated */
static void test_machine_none(void)
{
	const char *args[] = {
		"-object", "memory-backend-memfd,id=m0,size=32M,prealloc=on",
		"-object", "memory-backend-ram,id=m1,size=16M",
		NULL,
	};
	QmpProc *p = qmp_proc_start(g_getenv("KVMAGE_BINARY"), args);
	QmpConn *c = qmp_conn_negotiated(p->sock);
	g_autoptr(JsonNode) n = residency(c, "");
	JsonArray *a = json_node_get_array(n);
	JsonObject *m0, *m1;

	g_assert_cmpuint(json_array_get_length(a), ==, 2);
	m0 = json_array_get_object_element(a, 0);
	m1 = json_array_get_object_element(a, 1);
	g_assert_cmpstr(json_object_get_string_member(m0, "memdev"), ==, "m0");
	/*
	 * prealloc'd: all populated.  Present or swapped: the platform's
	 * DAMON may page an idle page of it out at any time (seen: one page).
	 */
	g_assert_cmpint(json_object_get_int_member(m0, "present") +
				json_object_get_int_member(m0, "swapped"),
			==, 32 * MiB);
	g_assert_cmpint(json_object_get_int_member(m0, "absent"), ==, 0);
	g_assert_true(json_object_get_boolean_member(m0, "best-effort"));
	g_assert_cmpstr(json_object_get_string_member(m1, "memdev"), ==, "m1");
	g_assert_cmpint(json_object_get_int_member(m1, "absent"), ==, 16 * MiB);
	g_assert_false(json_object_get_boolean_member(m1, "best-effort"));
	qmp_vm_quit(p, c, 5000);
}

int main(int argc, char **argv)
{
	int status;

	workload = qmp_vm_workload_or_skip(argc, argv, &status);
	if (!workload)
		return status;
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/qmp/residency/ram", test_ram);
	g_test_add_func("/qmp/residency/memfd", test_memfd);
	g_test_add_func("/qmp/residency/memfd-pagemap", test_memfd_pagemap);
	g_test_add_func("/qmp/residency/machine-none", test_machine_none);
	return g_test_run();
}
