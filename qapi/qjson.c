/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * JSON writer with QEMU's formatting and member order; see qjson.h.
 * Locking: none.
 */
#include <stdint.h>
#include <string.h>

#include "qapi/qjson.h"

#define QEMU_DICT_BUCKETS 512

/* The bucket QEMU's dictionary puts @key in (a tdb-style string hash). */
static unsigned key_bucket(const char *key)
{
	uint32_t v = 0x238F13AFu * (uint32_t)strlen(key);
	unsigned i;

	for (i = 0; key[i]; i++)
		v += (uint32_t)(unsigned char)key[i] << (i * 5 % 24);
	return (1103515243u * v + 12345u) % QEMU_DICT_BUCKETS;
}

typedef struct MemberKey {
	const char *name;
	unsigned bucket;
	unsigned index;
} MemberKey;

static int member_cmp(gconstpointer a, gconstpointer b)
{
	const MemberKey *x = a, *y = b;

	if (x->bucket != y->bucket)
		return x->bucket < y->bucket ? -1 : 1;
	return x->index < y->index ? 1 : x->index > y->index ? -1 : 0;
}

GPtrArray *qjson_object_members(JsonObject *obj)
{
	GList *names = json_object_get_members(obj), *l;
	guint n = g_list_length(names), i = 0;
	g_autofree MemberKey *keys = g_new(MemberKey, n ? n : 1);
	GPtrArray *out = g_ptr_array_sized_new(n);

	for (l = names; l; l = l->next, i++) {
		keys[i].name = l->data;
		keys[i].bucket = key_bucket(l->data);
		keys[i].index = i;
	}
	g_list_free(names);
	qsort(keys, n, sizeof(*keys), member_cmp);
	for (i = 0; i < n; i++)
		g_ptr_array_add(out, (gpointer)keys[i].name);
	return out;
}

bool qjson_codepoint_valid(long cp)
{
	if (cp < 0 || cp > 0x10FFFF)
		return false;
	if (cp >= 0xD800 && cp <= 0xDFFF)
		return false;
	if (cp >= 0xFDD0 && cp <= 0xFDEF)
		return false;
	return (cp & 0xFFFE) != 0xFFFE;
}

/*
 * Like QEMU: a lead byte announces up to six bytes; continuation bytes
 * are consumed as long as they are present, so one malformed sequence is
 * one error (and one U+FFFD on output).
 */
int qjson_utf8_decode(const char *s, size_t len, long *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	static const long min[] = { 0x80, 0x800, 0x10000, 0x200000, 0x4000000 };
	unsigned n = 0, i;
	long v;

	*cp = -1;
	if (!len)
		return 0;
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if (u[0] >= 0xFE || !(u[0] & 0x40))
		return 1; /* impossible byte, or a stray continuation */
	while (u[0] & (0x80 >> n))
		n++;
	v = u[0] & ((0x80 >> n) - 1);
	for (i = 1; i < n; i++) {
		if (i >= len || (u[i] & 0xC0) != 0x80)
			return i;
		v = v << 6 | (u[i] & 0x3F);
	}
	if (!qjson_codepoint_valid(v))
		return n;
	if (v < min[n - 2] && !(v == 0 && n == 2))
		return n; /* overlong, except modified UTF-8's C0 80 */
	*cp = v;
	return n;
}

static void append_string(GString *out, const char *s)
{
	size_t len = strlen(s);
	long cp;
	int n;

	g_string_append_c(out, '"');
	while (len) {
		n = qjson_utf8_decode(s, len, &cp);
		if (cp < 0)
			cp = 0xFFFD;
		s += n;
		len -= n;
		switch (cp) {
		case '"':
			g_string_append(out, "\\\"");
			continue;
		case '\\':
			g_string_append(out, "\\\\");
			continue;
		case '\b':
			g_string_append(out, "\\b");
			continue;
		case '\f':
			g_string_append(out, "\\f");
			continue;
		case '\n':
			g_string_append(out, "\\n");
			continue;
		case '\r':
			g_string_append(out, "\\r");
			continue;
		case '\t':
			g_string_append(out, "\\t");
			continue;
		}
		if (cp > 0xFFFF) {
			cp -= 0x10000;
			g_string_append_printf(out, "\\u%04lX\\u%04lX",
					       0xD800 + (cp >> 10),
					       0xDC00 + (cp & 0x3FF));
		} else if (cp < 0x20 || cp >= 0x7F) {
			g_string_append_printf(out, "\\u%04lX", cp);
		} else {
			g_string_append_c(out, cp);
		}
	}
	g_string_append_c(out, '"');
}

static void append_value(GString *out, JsonNode *node)
{
	switch (json_node_get_value_type(node)) {
	case G_TYPE_INT64:
		g_string_append_printf(out, "%" G_GINT64_FORMAT,
				       json_node_get_int(node));
		break;
	case G_TYPE_DOUBLE:
		g_string_append_printf(out, "%.17g",
				       json_node_get_double(node));
		break;
	case G_TYPE_BOOLEAN:
		g_string_append(out,
				json_node_get_boolean(node) ? "true" : "false");
		break;
	case G_TYPE_STRING:
		append_string(out, json_node_get_string(node));
		break;
	default:
		g_string_append(out, "null");
		break;
	}
}

static void newline(GString *out, bool pretty, int depth)
{
	if (pretty) {
		g_string_append_c(out, '\n');
		g_string_append_printf(out, "%*s", depth * 4, "");
	}
}

static void append_node(GString *out, JsonNode *node, bool pretty, int depth);

static void append_object(GString *out, JsonObject *obj, bool pretty, int depth)
{
	g_autoptr(GPtrArray) names = qjson_object_members(obj);
	guint i;

	g_string_append_c(out, '{');
	for (i = 0; i < names->len; i++) {
		if (i)
			g_string_append(out, pretty ? "," : ", ");
		newline(out, pretty, depth + 1);
		append_string(out, names->pdata[i]);
		g_string_append(out, ": ");
		append_node(out, json_object_get_member(obj, names->pdata[i]),
			    pretty, depth + 1);
	}
	if (names->len)
		newline(out, pretty, depth);
	g_string_append_c(out, '}');
}

static void append_array(GString *out, JsonArray *arr, bool pretty, int depth)
{
	guint i, n = json_array_get_length(arr);

	g_string_append_c(out, '[');
	for (i = 0; i < n; i++) {
		if (i)
			g_string_append(out, pretty ? "," : ", ");
		newline(out, pretty, depth + 1);
		append_node(out, json_array_get_element(arr, i), pretty,
			    depth + 1);
	}
	if (n)
		newline(out, pretty, depth);
	g_string_append_c(out, ']');
}

static void append_node(GString *out, JsonNode *node, bool pretty, int depth)
{
	switch (node ? JSON_NODE_TYPE(node) : JSON_NODE_NULL) {
	case JSON_NODE_OBJECT:
		append_object(out, json_node_get_object(node), pretty, depth);
		break;
	case JSON_NODE_ARRAY:
		append_array(out, json_node_get_array(node), pretty, depth);
		break;
	case JSON_NODE_VALUE:
		append_value(out, node);
		break;
	case JSON_NODE_NULL:
		g_string_append(out, "null");
		break;
	}
}

void qjson_append(GString *out, JsonNode *node, bool pretty)
{
	append_node(out, node, pretty, 0);
}

char *qjson_to_string(JsonNode *node, bool pretty)
{
	GString *out = g_string_new(NULL);

	qjson_append(out, node, pretty);
	return g_string_free(out, FALSE);
}

JsonNode *qjson_new_object(JsonObject **obj)
{
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);
	JsonObject *o = json_object_new();

	json_node_take_object(node, o);
	if (obj)
		*obj = o;
	return node;
}

JsonNode *qjson_new_array(JsonArray **arr)
{
	JsonNode *node = json_node_new(JSON_NODE_ARRAY);
	JsonArray *a = json_array_new();

	json_node_take_array(node, a);
	if (arr)
		*arr = a;
	return node;
}

JsonNode *qjson_new_string(const char *s)
{
	JsonNode *node = json_node_new(JSON_NODE_VALUE);

	json_node_set_string(node, s);
	return node;
}

JsonNode *qjson_new_int(gint64 v)
{
	JsonNode *node = json_node_new(JSON_NODE_VALUE);

	json_node_set_int(node, v);
	return node;
}

JsonNode *qjson_new_bool(bool v)
{
	JsonNode *node = json_node_new(JSON_NODE_VALUE);

	json_node_set_boolean(node, v);
	return node;
}
