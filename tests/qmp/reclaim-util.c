/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the reclaim QMP tests: see reclaim-util.h. */
#include <string.h>

#include "reclaim-util.h"

gint64 reclaim_get_int(JsonObject *o, const char *key)
{
	return json_object_get_int_member(o, key);
}

Residency reclaim_residency(QmpConn *c, const char *memdev, gint64 off,
			    gint64 size)
{
	g_autofree char *cmd =
		g_strdup_printf("{'execute':'query-memory-residency','arguments':"
				"{'memdev':'%s','offset':%" G_GINT64_FORMAT
				",'size':%" G_GINT64_FORMAT "}}",
				memdev, off, size);
	g_autoptr(JsonNode) r = qmp_cmd_return(c, cmd);
	JsonObject *o =
		json_array_get_object_element(json_node_get_array(r), 0);

	return (Residency){ reclaim_get_int(o, "present"),
			    reclaim_get_int(o, "swapped"),
			    reclaim_get_int(o, "absent") };
}

JsonNode *reclaim_info(QmpConn *c)
{
	g_autoptr(JsonNode)
		r = qmp_cmd_return(c, "{'execute':'query-memory-reclaim'}");
	JsonArray *a = json_node_get_array(r);

	g_assert_cmpuint(json_array_get_length(a), ==, 1);
	return json_node_copy(json_array_get_element(a, 0));
}

JsonNode *reclaim_wait_result(QmpConn *c, const char *id, int timeout_s)
{
	gint64 end = timescale_deadline(timeout_s * 1000);

	for (;;) {
		g_autoptr(JsonNode) info = reclaim_info(c);
		JsonObject *o = json_node_get_object(info), *last;

		last = json_object_has_member(o, "last") ?
			       json_object_get_object_member(o, "last") :
			       NULL;
		if (!json_object_has_member(o, "job-id") && last &&
		    !strcmp(json_object_get_string_member(last, "job-id"),
			    id)) {
			JsonNode *n = json_node_copy(
				json_object_get_member(o, "last"));
			g_autofree char *txt = json_to_string(n, FALSE);

			g_test_message("%s: %s", id, txt);
			return n;
		}
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(20000);
	}
}

gint64 reclaim_shortfall(JsonObject *r, const char *reason)
{
	JsonArray *a = json_object_get_array_member(r, "shortfall");

	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonObject *s = json_array_get_object_element(a, i);

		if (!strcmp(json_object_get_string_member(s, "reason"), reason))
			return reclaim_get_int(s, "bytes");
	}
	return 0;
}

void reclaim_check_sums(JsonObject *r)
{
	gint64 sum = reclaim_get_int(r, "skipped-raced-bytes") +
		     reclaim_get_int(r, "absent-bytes") +
		     reclaim_get_int(r, "already-swapped-bytes") +
		     reclaim_get_int(r, "unswappable-bytes") +
		     reclaim_get_int(r, "failed-bytes") +
		     reclaim_get_int(r, "not-reached-bytes");

	if (json_object_get_boolean_member(r, "dry-run"))
		sum += reclaim_get_int(r, "would-advise-bytes");
	else
		sum += reclaim_get_int(r, "advised-bytes");
	g_assert_cmpint(sum, ==, reclaim_get_int(r, "selected-bytes"));
	g_assert_cmpint(reclaim_get_int(r, "selected-bytes") +
				reclaim_get_int(r, "skipped-hot-bytes") +
				reclaim_get_int(r, "skipped-unproven-bytes"),
			==, reclaim_get_int(r, "requested-bytes"));
}
