/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * JSON output in QEMU's exact format, for json-glib trees.
 *
 * QEMU prints objects in the iteration order of its hash table: members
 * sorted by a hash bucket of their name, later insertions first within a
 * bucket.  qjson_to_string() reproduces that order and QEMU's spacing
 * ({"a": 1, "b": [1, 2]}), string escapes (\uXXXX in upper case for
 * control and non-ASCII characters) and number formats (%.17g doubles),
 * so kvmage's output can be compared with QEMU's byte for byte.
 *
 * Locking: none; pure functions.
 */
#ifndef QAPI_QJSON_H
#define QAPI_QJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>
#include <json-glib/json-glib.h>

/* Serialise @node; @pretty indents by four spaces, one member a line. */
char *qjson_to_string(JsonNode *node, bool pretty);
void qjson_append(GString *out, JsonNode *node, bool pretty);

/* The members of @obj in QEMU's output order (names owned by @obj). */
GPtrArray *qjson_object_members(JsonObject *obj);

/*
 * Decode one UTF-8 sequence of at most @len bytes at @s, the way QEMU
 * does: set *@cp to the code point, or to -1 for a malformed sequence, a
 * surrogate or a noncharacter; the overlong C0 80 stands for U+0000
 * (modified UTF-8).  Returns the bytes consumed (1 or more if @len > 0).
 */
int qjson_utf8_decode(const char *s, size_t len, long *cp);
bool qjson_codepoint_valid(long cp);

/* Small helpers for building trees. */
JsonNode *qjson_new_object(JsonObject **obj);
JsonNode *qjson_new_array(JsonArray **arr);
JsonNode *qjson_new_string(const char *s);
JsonNode *qjson_new_int(gint64 v);
JsonNode *qjson_new_bool(bool v);

#endif
