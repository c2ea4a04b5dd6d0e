/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The schema half of the differential QMP suite (test-qmp-diff.c): the
 * structure behind every command and event of kvmage's introspection,
 * compared with QEMU's; kvmage's own commands must be absent from QEMU.
 */
#include <string.h>

#include "libqmp.h"
#include "qmp-diff-schema.h"

static void shape(GHashTable *by_name, const char *name, GString *out,
		  int depth);

static void shape_members(GHashTable *by_name, JsonArray *m, GString *out,
			  int depth)
{
	guint i;

	for (i = 0; i < json_array_get_length(m); i++) {
		JsonObject *o = json_array_get_object_element(m, i);

		g_string_append_printf(out, "%s%s:",
				       json_object_get_string_member(o, "name"),
				       json_object_has_member(o, "default") ?
					       "?" :
					       "");
		if (json_object_has_member(o, "type"))
			shape(by_name, json_object_get_string_member(o, "type"),
			      out, depth + 1);
		g_string_append_c(out, ',');
	}
}

static void shape(GHashTable *by_name, const char *name, GString *out,
		  int depth)
{
	JsonObject *o = g_hash_table_lookup(by_name, name);
	const char *mt;
	guint i;

	g_assert_nonnull(o);
	g_assert_cmpint(depth, <, 20);
	mt = json_object_get_string_member(o, "meta-type");
	if (!strcmp(mt, "builtin")) {
		g_string_append(out, name);
	} else if (!strcmp(mt, "array")) {
		g_string_append_c(out, '[');
		shape(by_name, json_object_get_string_member(o, "element-type"),
		      out, depth + 1);
		g_string_append_c(out, ']');
	} else if (!strcmp(mt, "enum")) {
		JsonArray *v = json_object_get_array_member(o, "values");

		g_string_append(out, "enum(");
		for (i = 0; i < json_array_get_length(v); i++)
			g_string_append_printf(out, "%s,",
					       json_array_get_string_element(v,
									     i));
		g_string_append_c(out, ')');
	} else {
		g_string_append_c(out, '{');
		shape_members(by_name,
			      json_object_get_array_member(o, "members"), out,
			      depth);
		if (json_object_has_member(o, "tag")) {
			JsonArray *v =
				json_object_get_array_member(o, "variants");

			g_string_append_printf(out, "tag=%s;",
					       json_object_get_string_member(o,
									     "tag"));
			for (i = 0; i < json_array_get_length(v); i++) {
				JsonObject *c =
					json_array_get_object_element(v, i);

				g_string_append_printf(out, "%s=",
						       json_object_get_string_member(c,
										     "case"));
				shape(by_name,
				      json_object_get_string_member(c, "type"),
				      out, depth + 1);
			}
		}
		g_string_append_c(out, '}');
	}
}

static JsonNode *fetch_schema(const char *binary, GHashTable *by_name)
{
	QmpProc *p = qmp_proc_start(binary, NULL);
	QmpConn *c = qmp_conn_negotiated(p->sock);
	JsonNode *rsp = qmp_cmd(c, "{\"execute\":\"query-qmp-schema\"}");
	JsonArray *arr = json_object_get_array_member(json_node_get_object(rsp),
						      "return");
	guint i;

	for (i = 0; i < json_array_get_length(arr); i++) {
		JsonObject *o = json_array_get_object_element(arr, i);

		g_hash_table_insert(by_name,
				    (char *)json_object_get_string_member(o,
									  "name"),
				    o);
	}
	qmp_conn_free(c);
	qmp_proc_free(p);
	return rsp;
}

static char *entity_shape(GHashTable *by_name, const char *name)
{
	JsonObject *o = g_hash_table_lookup(by_name, name);
	GString *out = g_string_new(NULL);

	if (!o)
		return g_string_free(out, FALSE);
	g_string_append_printf(out, "%s args=",
			       json_object_get_string_member(o, "meta-type"));
	shape(by_name, json_object_get_string_member(o, "arg-type"), out, 0);
	if (json_object_has_member(o, "ret-type")) {
		g_string_append(out, " ret=");
		shape(by_name, json_object_get_string_member(o, "ret-type"),
		      out, 0);
	}
	if (json_object_has_member(o, "allow-oob"))
		g_string_append(out, " oob");
	return g_string_free(out, FALSE);
}

static void cut_at(char *s, const char *pat)
{
	char *p = strstr(s, pat);

	if (p)
		*p = '\0';
}

/* Drop the values of the enum that follows @pat (as "enum()"). */
static void mask_enum(char *s, const char *pat)
{
	char *p = strstr(s, pat), *end;

	if (!p)
		return;
	p += strlen(pat);
	end = strchr(p, ')');
	if (end)
		memmove(p, end, strlen(end) + 1);
}

static bool subset(GHashTable *q, const char *qn, GHashTable *k, const char *kn,
		   int depth);

/*
 * A downstream extension by QEMU's naming rules (__RFQDN_name): QEMU
 * reserves the prefix for others and never defines such a member, so it
 * is kvmage's own.  It must be optional: QEMU's clients do not ask for it.
 */
static bool downstream_member(JsonObject *a, const char *name)
{
	if (strncmp(name, "__", 2))
		return false;
	if (!json_object_has_member(a, "default")) {
		g_test_message("member %s: kvmage's own, must be optional",
			       name);
		g_test_fail();
	}
	return true;
}

/*
 * Every member of kvmage's object @km is in QEMU's @qm, same type, but
 * kvmage's own downstream extensions.
 */
static bool subset_members(GHashTable *q, JsonArray *qm, GHashTable *k,
			   JsonArray *km, int depth)
{
	for (guint i = 0; i < json_array_get_length(km); i++) {
		JsonObject *a = json_array_get_object_element(km, i);
		const char *name = json_object_get_string_member(a, "name");
		JsonObject *b = NULL;

		if (downstream_member(a, name))
			continue;
		for (guint j = 0; j < json_array_get_length(qm) && !b; j++) {
			JsonObject *c = json_array_get_object_element(qm, j);

			if (!strcmp(json_object_get_string_member(c, "name"),
				    name))
				b = c;
		}
		if (!b || json_object_has_member(a, "default") !=
				  json_object_has_member(b, "default")) {
			g_test_message("member %s: not in QEMU, or not with "
				       "the same optionality",
				       name);
			return false;
		}
		if (!subset(q, json_object_get_string_member(b, "type"), k,
			    json_object_get_string_member(a, "type"),
			    depth + 1)) {
			g_test_message("member %s: another type", name);
			return false;
		}
	}
	return true;
}

/*
 * kvmage's type @kn is QEMU's @qn or a part of it: the same builtin,
 * enum values and object members among QEMU's.
 */
static bool subset(GHashTable *q, const char *qn, GHashTable *k, const char *kn,
		   int depth)
{
	JsonObject *qo = g_hash_table_lookup(q, qn);
	JsonObject *ko = g_hash_table_lookup(k, kn);
	const char *mt;

	g_assert_nonnull(qo);
	g_assert_nonnull(ko);
	g_assert_cmpint(depth, <, 20);
	mt = json_object_get_string_member(ko, "meta-type");
	if (strcmp(mt, json_object_get_string_member(qo, "meta-type")))
		return false;
	if (!strcmp(mt, "builtin"))
		return !strcmp(qn, kn);
	if (!strcmp(mt, "array"))
		return subset(q,
			      json_object_get_string_member(qo, "element-type"),
			      k,
			      json_object_get_string_member(ko, "element-type"),
			      depth + 1);
	if (!strcmp(mt, "enum")) {
		JsonArray *qv = json_object_get_array_member(qo, "values");
		JsonArray *kv = json_object_get_array_member(ko, "values");

		for (guint i = 0; i < json_array_get_length(kv); i++) {
			const char *v = json_array_get_string_element(kv, i);
			bool found = false;

			for (guint j = 0; j < json_array_get_length(qv); j++)
				found |=
					!strcmp(v,
						json_array_get_string_element(qv,
									      j));
			if (!found)
				return false;
		}
		return true;
	}
	if (!strcmp(mt, "command") || !strcmp(mt, "event")) {
		if (!subset(q, json_object_get_string_member(qo, "arg-type"), k,
			    json_object_get_string_member(ko, "arg-type"),
			    depth + 1))
			return false;
		if (!json_object_has_member(ko, "ret-type"))
			return !json_object_has_member(qo, "ret-type");
		return json_object_has_member(qo, "ret-type") &&
		       subset(q, json_object_get_string_member(qo, "ret-type"),
			      k, json_object_get_string_member(ko, "ret-type"),
			      depth + 1);
	}
	return subset_members(q, json_object_get_array_member(qo, "members"), k,
			      json_object_get_array_member(ko, "members"),
			      depth);
}

/*
 * Migration: kvmage has a part of QEMU's members, capabilities and
 * parameters (docs/system/migration.rst); each must be QEMU's, with
 * QEMU's type.
 */
static const char *const kvmage_subset[] = { "query-migrate",
					     "migrate-set-capabilities",
					     "query-migrate-capabilities",
					     "migrate-set-parameters",
					     "query-migrate-parameters",
					     "migrate",
					     "migrate_cancel",
					     "migrate-incoming",
					     "MIGRATION",
					     "MIGRATION_PASS",
					     NULL };

/*
 * kvmage's own commands (aging, residency, populate, reclaim): not in
 * QEMU
 */
static const char *const kvmage_only[] = { "query-memory-aging",
					   "memory-aging-set",
					   "query-memory-residency",
					   "memory-populate",
					   "memory-reclaim",
					   "query-memory-reclaim",
					   NULL };

void qmp_diff_test_schema(void)
{
	g_autoptr(GHashTable) q = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) k = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(JsonNode) qs = fetch_schema(qmp_qemu_binary(), q);
	g_autoptr(JsonNode) ks = fetch_schema(qmp_test_binary(), k);
	GHashTableIter it;
	gpointer name, obj;
	guint n = 0;

	g_hash_table_iter_init(&it, k);
	while (g_hash_table_iter_next(&it, &name, &obj)) {
		const char *mt =
			json_object_get_string_member(obj, "meta-type");
		g_autofree char *want = NULL, *got = NULL;

		if (strcmp(mt, "command") && strcmp(mt, "event"))
			continue;
		if (g_strv_contains(kvmage_only, name)) {
			g_assert_false(g_hash_table_contains(q, name));
			continue;
		}
		n++;
		if (g_strv_contains(kvmage_subset, name)) {
			if (!subset(q, name, k, name, 0)) {
				g_test_message("%s: not a part of QEMU's",
					       (char *)name);
				g_test_fail();
			}
			continue;
		}
		want = entity_shape(q, name);
		got = entity_shape(k, name);
		/* QEMU's CpuInfoFast is a union with an s390x variant */
		if (!strcmp(name, "query-cpus-fast"))
			cut_at(want, "tag="), cut_at(got, "}]");
		/* JobType lists each program's own kinds of job */
		if (!strcmp(name, "query-jobs"))
			mask_enum(want, "type:enum("),
				mask_enum(got, "type:enum(");
		if (g_strcmp0(want, got)) {
			g_test_message("%s\n  qemu:   %s\n  kvmage: %s",
				       (char *)name, want, got);
			g_test_fail();
		}
	}
	g_assert_cmpuint(n, ==, 37);
	/* the trees own the names and objects used above */
	g_assert_nonnull(qs);
	g_assert_nonnull(ks);
}
