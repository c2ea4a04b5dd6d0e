/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the command-line handlers: errors naming the option,
 * key=value arguments, identifiers, the -object lookup.  Called by
 * options.c and the handlers; calls nothing else of the command line.
 *
 * Locking: none; only the main thread parses the command line.
 */
#include <stdarg.h>
#include <string.h>

#include "util/error.h"
#include "util/keyval.h"
#include "options-util.h"

void opt_error(const OptState *st, GError **errp, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (st->arg)
		error_setg(errp, "%s %s: %s", st->opt, st->arg, msg);
	else
		error_setg(errp, "%s: %s", st->opt, msg);
}

ObjectConfig *options_find_object(VmConfig *cfg, const char *id)
{
	unsigned i;

	for (i = 0; i < cfg->objects->len; i++) {
		ObjectConfig *obj = g_ptr_array_index(cfg->objects, i);

		if (!strcmp(obj->id, id))
			return obj;
	}
	return NULL;
}

GHashTable *opt_keyval(OptState *st, const char *implied,
		       const char *const *keys, GError **errp)
{
	GHashTable *kv = keyval_parse(st->arg, implied, st->opt, errp);
	GHashTableIter it;
	gpointer key;

	if (!kv)
		return NULL;
	g_hash_table_iter_init(&it, kv);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		if (!g_strv_contains(keys, key)) {
			opt_error(st, errp, "Invalid parameter '%s'",
				  (char *)key);
			g_hash_table_unref(kv);
			return NULL;
		}
	}
	return kv;
}

const char *opt_require(OptState *st, GHashTable *kv, const char *key,
			GError **errp)
{
	const char *val = g_hash_table_lookup(kv, key);

	if (!val)
		opt_error(st, errp, "Parameter '%s' is missing", key);
	return val;
}

/* QEMU's identifiers: a letter, then letters, digits, '-', '.', '_'. */
static bool id_wellformed(const char *id)
{
	const char *p;

	if (!g_ascii_isalpha(id[0]))
		return false;
	for (p = id + 1; *p; p++) {
		if (!g_ascii_isalnum(*p) && !strchr("-._", *p))
			return false;
	}
	return true;
}

bool opt_check_id(OptState *st, const char *key, const char *id, GError **errp)
{
	if (id_wellformed(id))
		return true;
	opt_error(st, errp,
		  "Parameter '%s' expects an identifier (letters, "
		  "digits, '-', '.', '_', starting with a letter)",
		  key);
	return false;
}
