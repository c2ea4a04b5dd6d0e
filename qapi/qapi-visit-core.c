/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Scalar conversions and error texts for the generated visitors; see
 * qapi-visit-core.h.  Locking: none.
 */
#include <string.h>

#include "qapi/qapi-visit-core.h"
#include "util/error.h"

static void path_append(GString *out, const QapiPath *p)
{
	if (!p)
		return;
	path_append(out, p->parent);
	if (p->name) {
		if (out->len)
			g_string_append_c(out, '.');
		g_string_append(out, p->name);
	} else {
		g_string_append_printf(out, "[%u]", p->index);
	}
}

char *qapi_path_str(const QapiPath *p)
{
	GString *out = g_string_new(NULL);

	path_append(out, p);
	return g_string_free(out, FALSE);
}

void qapi_err_missing(const QapiPath *p, GError **errp)
{
	g_autofree char *name = qapi_path_str(p);

	error_setg(errp, "Parameter '%s' is missing", name);
}

static bool type_error(const QapiPath *p, const char *expected, GError **errp)
{
	g_autofree char *name = qapi_path_str(p);

	error_setg(errp, "Invalid parameter type for '%s', expected: %s", name,
		   expected);
	return false;
}

bool qapi_in_check_type(JsonNode *node, const QapiPath *p, JsonNodeType type,
			GError **errp)
{
	if (JSON_NODE_TYPE(node) == type)
		return true;
	return type_error(p, type == JSON_NODE_OBJECT ? "object" : "array",
			  errp);
}

static bool is_known(const char *name, const char *const known[])
{
	for (; *known; known++) {
		if (!strcmp(name, *known))
			return true;
	}
	return false;
}

/*
 * QEMU keeps the not yet visited members in a GHashTable filled in its
 * dictionary's order and reports the first one that table yields.  Doing
 * the same with the same GLib picks the same member when several are
 * unexpected.
 */
bool qapi_in_check_unexpected(JsonObject *obj, const QapiPath *p,
			      const char *const known[], GError **errp)
{
	g_autoptr(GPtrArray) names = qjson_object_members(obj);
	g_autoptr(GHashTable) left = NULL;
	GHashTableIter iter;
	gpointer key;
	const char *const *k;
	QapiPath mp;
	guint i;

	for (i = 0; i < names->len; i++) {
		if (!is_known(names->pdata[i], known))
			break;
	}
	if (i == names->len)
		return true;
	left = g_hash_table_new(g_str_hash, g_str_equal);
	for (i = 0; i < names->len; i++)
		g_hash_table_insert(left, names->pdata[i], NULL);
	for (k = known; *k; k++)
		g_hash_table_remove(left, *k);
	g_hash_table_iter_init(&iter, left);
	if (g_hash_table_iter_next(&iter, &key, NULL)) {
		g_autofree char *name = NULL;

		qapi_path_member(&mp, p, key);
		name = qapi_path_str(&mp);
		error_setg(errp, "Parameter '%s' is unexpected", name);
		return false;
	}
	return true;
}

static bool holds(JsonNode *node, GType type)
{
	return JSON_NODE_HOLDS_VALUE(node) &&
	       json_node_get_value_type(node) == type;
}

bool qapi_in_str(JsonNode *node, const QapiPath *p, char **out, GError **errp)
{
	if (!holds(node, G_TYPE_STRING))
		return type_error(p, "string", errp);
	*out = g_strdup(json_node_get_string(node));
	return true;
}

bool qapi_in_int(JsonNode *node, const QapiPath *p, int64_t *out, GError **errp)
{
	if (!holds(node, G_TYPE_INT64))
		return type_error(p, "integer", errp);
	*out = json_node_get_int(node);
	return true;
}

bool qapi_in_bool(JsonNode *node, const QapiPath *p, bool *out, GError **errp)
{
	if (!holds(node, G_TYPE_BOOLEAN))
		return type_error(p, "boolean", errp);
	*out = json_node_get_boolean(node);
	return true;
}

bool qapi_in_number(JsonNode *node, const QapiPath *p, double *out,
		    GError **errp)
{
	if (holds(node, G_TYPE_INT64))
		*out = json_node_get_int(node);
	else if (holds(node, G_TYPE_DOUBLE))
		*out = json_node_get_double(node);
	else
		return type_error(p, "number", errp);
	return true;
}

bool qapi_in_any(JsonNode *node, const QapiPath *p, JsonNode **out,
		 GError **errp)
{
	*out = json_node_copy(node);
	return true;
}

bool qapi_in_enum(JsonNode *node, const QapiPath *p, const char *const lookup[],
		  int max, int *out, GError **errp)
{
	const char *s;
	int i;

	if (!holds(node, G_TYPE_STRING))
		return type_error(p, "string", errp);
	s = json_node_get_string(node);
	for (i = 0; i < max; i++) {
		if (!strcmp(s, lookup[i])) {
			*out = i;
			return true;
		}
	}
	/* QEMU names the member, or "null" for a list element. */
	error_setg(errp, "Parameter '%s' does not accept value '%s'",
		   p && p->name ? p->name : "null", s);
	return false;
}

JsonNode *qapi_out_str(const char *v)
{
	return qjson_new_string(v ? v : "");
}

JsonNode *qapi_out_int(int64_t v)
{
	return qjson_new_int(v);
}

JsonNode *qapi_out_bool(bool v)
{
	return qjson_new_bool(v);
}

JsonNode *qapi_out_number(double v)
{
	JsonNode *node = json_node_new(JSON_NODE_VALUE);

	json_node_set_double(node, v);
	return node;
}

JsonNode *qapi_out_any(JsonNode *v)
{
	return v ? json_node_copy(v) : json_node_new(JSON_NODE_NULL);
}
