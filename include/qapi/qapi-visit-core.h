/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Runtime support for the generated converters between json-glib trees
 * and C types (qapi-visit.c).  Input checks and their messages follow
 * QEMU's QObject input visitor:
 *
 *   Parameter 'a.b' is missing
 *   Invalid parameter type for 'a.list[2]', expected: integer
 *   Parameter 'a.x' is unexpected
 *   Parameter 'name' does not accept value 'foo'   (enums)
 *
 * A QapiPath names the value being converted, as a chain of member names
 * and list indexes on the caller's stack.  Locking: none.
 */
#ifndef QAPI_QAPI_VISIT_CORE_H
#define QAPI_QAPI_VISIT_CORE_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "qapi/qjson.h"

typedef struct QapiPath {
	const struct QapiPath *parent;
	const char *name; /* NULL for a list element */
	guint index;
} QapiPath;

static inline void qapi_path_member(QapiPath *p, const QapiPath *parent,
				    const char *name)
{
	p->parent = parent;
	p->name = name;
	p->index = 0;
}

static inline void qapi_path_index(QapiPath *p, const QapiPath *parent,
				   guint index)
{
	p->parent = parent;
	p->name = NULL;
	p->index = index;
}

/* "a.b[1].c"; "" for the top level (NULL). */
char *qapi_path_str(const QapiPath *p);

void qapi_err_missing(const QapiPath *p, GError **errp);
bool qapi_in_check_type(JsonNode *node, const QapiPath *p, JsonNodeType type,
			GError **errp);
/* Fail on the first member of @obj not in NULL-terminated @known. */
bool qapi_in_check_unexpected(JsonObject *obj, const QapiPath *p,
			      const char *const known[], GError **errp);

bool qapi_in_str(JsonNode *node, const QapiPath *p, char **out, GError **errp);
bool qapi_in_int(JsonNode *node, const QapiPath *p, int64_t *out,
		 GError **errp);
bool qapi_in_bool(JsonNode *node, const QapiPath *p, bool *out, GError **errp);
bool qapi_in_number(JsonNode *node, const QapiPath *p, double *out,
		    GError **errp);
bool qapi_in_any(JsonNode *node, const QapiPath *p, JsonNode **out,
		 GError **errp);
bool qapi_in_enum(JsonNode *node, const QapiPath *p, const char *const lookup[],
		  int max, int *out, GError **errp);

JsonNode *qapi_out_str(const char *v);
JsonNode *qapi_out_int(int64_t v);
JsonNode *qapi_out_bool(bool v);
JsonNode *qapi_out_number(double v);
JsonNode *qapi_out_any(JsonNode *v);

#endif
