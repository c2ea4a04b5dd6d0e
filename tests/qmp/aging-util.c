/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers of the aging QMP tests (test-qmp-aging, test-qmp-aging-switch):
 * start the workload guest with aging, query and wait for scans, check
 * the reply against the workload's ground truth (see aging-util.h).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "libqmp.h"
#include "aging-util.h"

const char *workload;

const char *aging_obj(const char *backend)
{
	static char buf[160];

	snprintf(buf, sizeof(buf),
		 "memory-aging,id=age0,memdev=ram0,backend=%s,interval=%d",
		 backend, IVAL);
	return buf;
}

/* @mem: the memdev type; @backend: backend= and any mode= */
QmpProc *vm_start_with(const char *mem, const char *backend)
{
	g_autofree char *memobj = g_strdup_printf("%s,id=ram0,size=96M", mem);
	const char *args[] = {
		"-machine", "pc,memory-backend=ram0",
		"-object",  memobj,
		"-object",  aging_obj(backend),
		"-kernel",  workload,
		"-append",  "size=64M hot=4M pattern=hotcold passes=0 rw=write",
		NULL,
	};

	return qmp_proc_start(g_getenv("KVMAGE_BINARY"), args);
}

QmpProc *vm_start(void)
{
	return vm_start_with("memory-backend-ram", "dirty-log");
}

/* The single MemoryAgingInfo of query-memory-aging (@args: JSON or ""). */
JsonNode *aging_query(QmpConn *c, const char *args)
{
	g_autofree char *cmd =
		g_strdup_printf("{'execute':'query-memory-aging'%s}", args);
	g_autoptr(JsonNode) reply = qmp_cmd(c, cmd);
	JsonObject *o = json_node_get_object(reply);
	JsonArray *a;

	if (!json_object_has_member(o, "return"))
		g_error("%s failed: %s", cmd, json_to_string(reply, FALSE));
	a = json_object_get_array_member(o, "return");
	g_assert_cmpuint(json_array_get_length(a), ==, 1);
	return json_node_copy(json_array_get_element(a, 0));
}

gint64 info_int(JsonNode *n, const char *key)
{
	return json_object_get_int_member(json_node_get_object(n), key);
}

gint64 aging_scans(QmpConn *c)
{
	g_autoptr(JsonNode) n = aging_query(c, "");

	return info_int(n, "scans");
}

/* Wait until at least @n scans are done; the count reached. */
gint64 wait_scans(QmpConn *c, gint64 n, int timeout_ms)
{
	gint64 end = timescale_deadline(timeout_ms), s;

	while ((s = aging_scans(c)) < n && g_get_monotonic_time() < end)
		g_usleep(20000);
	return s;
}

/*
 * Query (cold threshold 200 ms) until @scans are done, the youngest bin
 * holds no more than the hot set and SLACK and every other page is cold
 * (the fill has aged past the threshold), or @timeout_ms passes.
 */
JsonNode *wait_settled(QmpConn *c, gint64 scans, int timeout_ms)
{
	gint64 end = timescale_deadline(timeout_ms);
	const char *args = ",'arguments':{'cold-threshold-ms':200}";

	for (;;) {
		JsonNode *n = aging_query(c, args);
		JsonArray *h =
			json_object_get_array_member(json_node_get_object(n),
						     "histogram");
		gint64 young =
			json_object_get_int_member(json_array_get_object_element(h,
										 0),
						   "bytes");

		if ((info_int(n, "scans") >= scans && young <= HOT + SLACK &&
		     young + info_int(n, "cold-bytes") ==
			     info_int(n, "total-bytes")) ||
		    g_get_monotonic_time() > end)
			return n;
		json_node_unref(n);
		g_usleep(20000);
	}
}

/* The error class of @cmd, which must fail. */
char *cmd_error(QmpConn *c, const char *cmd)
{
	g_autoptr(JsonNode) reply = qmp_cmd(c, cmd);
	JsonObject *o = json_node_get_object(reply);

	if (!json_object_has_member(o, "error"))
		g_error("%s succeeded: %s", cmd, json_to_string(reply, FALSE));
	return g_strdup(
		json_object_get_string_member(json_object_get_object_member(o,
									    "error"),
					      "class"));
}

void check_backends(JsonNode *info)
{
	JsonObject *o = json_node_get_object(info);
	JsonArray *b = json_object_get_array_member(o, "backends");
	JsonObject *cov = json_object_get_object_member(o, "coverage");

	g_assert_cmpstr(json_object_get_string_member(o, "backend"), ==,
			"dirty-log");
	g_assert_cmpuint(json_array_get_length(b), ==, 3);
	for (guint i = 0; i < 3; i++) {
		JsonObject *e = json_array_get_object_element(b, i);
		const char *name = json_object_get_string_member(e, "backend");
		bool avail = json_object_get_boolean_member(e, "available");

		g_assert_cmpint(avail, ==, !strcmp(name, "dirty-log"));
		g_assert_cmpint(json_object_has_member(e, "reason"), ==,
				!avail);
		if (!strcmp(name, "access-log"))
			g_assert_nonnull(
				strstr(json_object_get_string_member(e,
								     "reason"),
				       "KVM_CAP_ACCESS_LOG"));
		if (!strcmp(name, "uffd"))
			g_assert_nonnull(
				strstr(json_object_get_string_member(e,
								     "reason"),
				       "private RAM"));
	}
	/* dirty-log sees writes only, every page, and says so */
	g_assert_false(json_object_get_boolean_member(cov, "reads"));
	g_assert_true(json_object_get_boolean_member(cov, "writes"));
	g_assert_cmpfloat(json_object_get_double_member(cov,
							"sampled-fraction"),
			  ==, 1.0);
	g_assert_true(json_object_has_member(cov, "note"));
}

/*
 * Bins that state an error-bytes (sampled estimates); *@cold_err is the
 * cold-bytes-error, or -1 without one.
 */
int count_estimates(JsonNode *info, gint64 *cold_err)
{
	JsonObject *o = json_node_get_object(info);
	JsonArray *h = json_object_get_array_member(o, "histogram");
	int bins = 0;

	for (guint i = 0; i < json_array_get_length(h); i++)
		bins += json_object_has_member(json_array_get_object_element(h,
									     i),
					       "error-bytes");
	*cold_err = json_object_has_member(o, "cold-bytes-error") ?
			    info_int(info, "cold-bytes-error") :
			    -1;
	return bins;
}

/* The hot set is young, the rest of the memdev cold: counted, exact. */
void check_ages(JsonNode *info)
{
	JsonObject *o = json_node_get_object(info);
	JsonArray *h = json_object_get_array_member(o, "histogram");
	gint64 total = info_int(info, "total-bytes");
	gint64 cold = info_int(info, "cold-bytes");
	gint64 young =
		json_object_get_int_member(json_array_get_object_element(h, 0),
					   "bytes");
	gint64 sum = 0;

	for (guint i = 0; i < json_array_get_length(h); i++)
		sum += json_object_get_int_member(json_array_get_object_element(h,
										i),
						  "bytes");
	g_test_message("total %" G_GINT64_FORMAT " young %" G_GINT64_FORMAT
		       " cold %" G_GINT64_FORMAT " scans %" G_GINT64_FORMAT,
		       total, young, cold, info_int(info, "scans"));
	g_assert_cmpint(total, ==, RAM);
	g_assert_cmpint(sum, ==, total);
	g_assert_cmpint(json_object_get_int_member(json_array_get_object_element(h,
										 0),
						   "upper-bound-ms"),
			==, 100);
	/* young: the hot set and at most SLACK more */
	g_assert_cmpint(young, >=, HOT);
	g_assert_cmpint(young, <=, HOT + SLACK);
	/* cold: everything else, so the 60 MiB cold data above all */
	g_assert_cmpint(cold, >=, COLD_DATA);
	g_assert_cmpint(cold, >=, RAM - HOT - SLACK);
	g_assert_cmpint(cold, <=, RAM - HOT);
	/* from per-page ages: no error stated anywhere */
	g_assert_cmpint(count_estimates(info, &cold), ==, 0);
	g_assert_cmpint(cold, ==, -1);
}

const char *info_str(JsonNode *n, const char *key)
{
	return json_object_get_string_member(json_node_get_object(n), key);
}
