/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Recursive descent parser from framed tokens to a json-glib tree, with
 * QMP's error texts ("JSON parse error, ...").  The first error wins.
 *
 * Strings are stored as UTF-8, except that U+0000 is kept as the two-byte
 * "modified UTF-8" form C0 80 so C strings stay intact; the writer turns it
 * back into \u0000.  Integers that fit int64 are integers; integers beyond
 * that range become doubles.  Recursion depth is bounded by the framer's
 * nesting limit.  Locking: none, pure function of its input.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "qapi/json-stream.h"
#include "qapi/qjson.h"
#include "util/error.h"

typedef struct Parser {
	GPtrArray *tokens;
	guint pos;
	GError *err;
} Parser;

static void G_GNUC_PRINTF(2, 3) parse_error(Parser *p, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	if (p->err)
		return;
	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	p->err = g_error_new(KVMAGE_ERROR, KVMAGE_ERROR_GENERIC,
			     "JSON parse error, %s", msg);
}

static JsonToken *peek(Parser *p)
{
	return p->pos < p->tokens->len ? p->tokens->pdata[p->pos] : NULL;
}

static JsonToken *pop(Parser *p)
{
	JsonToken *t = peek(p);

	if (t)
		p->pos++;
	return t;
}

static int hex4(const char *s)
{
	int v = 0, i;

	for (i = 0; i < 4; i++) {
		char c = s[i];

		if (!g_ascii_isxdigit(c))
			return -1;
		v = v * 16 + g_ascii_xdigit_value(c);
	}
	return v;
}

static void append_cp(GString *out, gunichar cp)
{
	if (cp == 0)
		g_string_append_len(out, "\xC0\x80", 2);
	else
		g_string_append_unichar(out, cp);
}

/* Decode the \u escape at @beg; returns bytes consumed or -1. */
static int parse_ucode(Parser *p, JsonToken *t, const char *beg, GString *out)
{
	const char *ptr = beg + 2, *end = t->text + t->len;
	long cp = hex4(ptr), lo;

	ptr += 4;
	if (cp >= 0xD800 && cp <= 0xDBFF && ptr + 1 < end && ptr[0] == '\\' &&
	    ptr[1] == 'u') {
		lo = hex4(ptr + 2);
		if (lo >= 0xDC00 && lo <= 0xDFFF) {
			cp = 0x10000 + ((cp & 0x3FF) << 10) + (lo & 0x3FF);
			ptr += 6;
		} else {
			cp = -1;
		}
	}
	if (!qjson_codepoint_valid(cp)) {
		parse_error(p, "%.*s is not a valid Unicode character",
			    (int)MIN(ptr - beg, end - beg), beg);
		return -1;
	}
	append_cp(out, cp);
	return ptr - beg;
}

static int parse_escape(Parser *p, JsonToken *t, const char *s, GString *out)
{
	static const char from[] = "\"'\\/bfnrt";
	static const char to[] = "\"'\\/\b\f\n\r\t";
	const char *e = s[1] ? strchr(from, s[1]) : NULL;

	if (e) {
		g_string_append_c(out, to[e - from]);
		return 2;
	}
	if (s[1] == 'u')
		return parse_ucode(p, t, s, out);
	parse_error(p, "invalid escape sequence in string");
	return -1;
}

static JsonNode *parse_string(Parser *p, JsonToken *t)
{
	g_autoptr(GString) out = g_string_new(NULL);
	const char *s = t->text + 1, *end = t->text + t->len - 1;
	JsonNode *node;
	int n;

	while (s < end) {
		if (*s == '\\') {
			n = parse_escape(p, t, s, out);
		} else {
			long cp;

			n = qjson_utf8_decode(s, end - s, &cp);
			if (cp >= 0) {
				g_string_append_len(out, s, n);
			} else {
				parse_error(p, "invalid UTF-8 sequence in "
					       "string");
				n = -1;
			}
		}
		if (n < 0)
			return NULL;
		s += n;
	}
	node = json_node_new(JSON_NODE_VALUE);
	json_node_set_string(node, out->str);
	return node;
}

static JsonNode *parse_number(Parser *p, JsonToken *t)
{
	JsonNode *node = json_node_new(JSON_NODE_VALUE);
	gint64 i;

	if (t->type == JSON_TOK_INTEGER) {
		errno = 0;
		i = g_ascii_strtoll(t->text, NULL, 10);
		if (!errno) {
			json_node_set_int(node, i);
			return node;
		}
	}
	json_node_set_double(node, g_ascii_strtod(t->text, NULL));
	return node;
}

static JsonNode *parse_keyword(Parser *p, JsonToken *t)
{
	if (!strcmp(t->text, "null"))
		return json_node_new(JSON_NODE_NULL);
	if (!strcmp(t->text, "true") || !strcmp(t->text, "false")) {
		JsonNode *node = json_node_new(JSON_NODE_VALUE);

		json_node_set_boolean(node, t->text[0] == 't');
		return node;
	}
	parse_error(p, "invalid keyword '%s'", t->text);
	return NULL;
}

static JsonNode *parse_value(Parser *p);

static bool parse_pair(Parser *p, JsonObject *obj)
{
	g_autoptr(JsonNode) key = NULL;
	JsonNode *value;
	JsonToken *t;

	if (!peek(p)) {
		parse_error(p, "premature EOI");
		return false;
	}
	key = parse_value(p);
	if (!key || !JSON_NODE_HOLDS_VALUE(key) ||
	    json_node_get_value_type(key) != G_TYPE_STRING) {
		parse_error(p, "key is not a string in object");
		return false;
	}
	t = pop(p);
	if (!t) {
		parse_error(p, "premature EOI");
		return false;
	}
	if (t->type != JSON_TOK_COLON) {
		parse_error(p, "missing : in object pair");
		return false;
	}
	value = parse_value(p);
	if (!value) {
		parse_error(p, "Missing value in dict");
		return false;
	}
	if (json_object_has_member(obj, json_node_get_string(key))) {
		json_node_unref(value);
		parse_error(p, "duplicate key");
		return false;
	}
	json_object_set_member(obj, json_node_get_string(key), value);
	return true;
}

/* The elements of an object or array, after the opening token. */
static bool parse_members(Parser *p, JsonTokType close, JsonObject *obj,
			  JsonArray *arr)
{
	const char *sep = obj ? "expected separator in dict" :
				"expected separator in list";
	JsonNode *v;
	JsonToken *t = peek(p);

	if (!t) {
		parse_error(p, "premature EOI");
		return false;
	}
	if (t->type == close) {
		pop(p);
		return true;
	}
	for (;;) {
		if (obj) {
			if (!parse_pair(p, obj))
				return false;
		} else {
			v = parse_value(p);
			if (!v)
				return false;
			json_array_add_element(arr, v);
		}
		t = pop(p);
		if (!t) {
			parse_error(p, "premature EOI");
			return false;
		}
		if (t->type == close)
			return true;
		if (t->type != JSON_TOK_COMMA) {
			parse_error(p, "%s", sep);
			return false;
		}
	}
}

static JsonNode *parse_container(Parser *p, bool object)
{
	JsonNode *node =
		json_node_new(object ? JSON_NODE_OBJECT : JSON_NODE_ARRAY);
	JsonObject *obj = object ? json_object_new() : NULL;
	JsonArray *arr = object ? NULL : json_array_new();

	pop(p);
	if (object)
		json_node_take_object(node, obj);
	else
		json_node_take_array(node, arr);
	if (!parse_members(p, object ? JSON_TOK_RCURLY : JSON_TOK_RSQUARE, obj,
			   arr)) {
		json_node_unref(node);
		return NULL;
	}
	return node;
}

static JsonNode *parse_value(Parser *p)
{
	JsonToken *t = peek(p);

	if (!t) {
		parse_error(p, "premature EOI");
		return NULL;
	}
	switch (t->type) {
	case JSON_TOK_LCURLY:
		return parse_container(p, true);
	case JSON_TOK_LSQUARE:
		return parse_container(p, false);
	case JSON_TOK_INTEGER:
	case JSON_TOK_FLOAT:
		return parse_number(p, pop(p));
	case JSON_TOK_KEYWORD:
		return parse_keyword(p, pop(p));
	case JSON_TOK_STRING:
		return parse_string(p, pop(p));
	default:
		parse_error(p, "expecting value");
		return NULL;
	}
}

JsonNode *json_parse_tokens(GPtrArray *tokens, GError **errp)
{
	Parser p = { .tokens = tokens };
	JsonNode *ret = parse_value(&p);

	if (p.err) {
		if (ret)
			json_node_unref(ret);
		g_propagate_error(errp, p.err);
		return NULL;
	}
	return ret;
}
