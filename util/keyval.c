/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QEMU's option syntax: "[implied,]key=value,key=value".
 *
 * Elements are separated by a single ','; ",," stands for a literal comma
 * in a value (and in the implied element).  A key is non-empty and made of
 * letters, digits, '-', '_' and '.'.  The first element may omit "key="
 * when the caller names an implied key.  A single trailing ',' is allowed.
 */
#include <stdarg.h>
#include <string.h>

#include "util/error.h"
#include "util/keyval.h"

/* Set "OPT STR: message" (or just "message" without an option name). */
static void G_GNUC_PRINTF(4, 5)
	keyval_error(GError **errp, const char *opt_name, const char *str,
		     const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (opt_name)
		error_setg(errp, "%s %s: %s", opt_name, str, msg);
	else
		error_setg(errp, "%s", msg);
}

/*
 * Copy characters from @p into @out up to the end of the element (a single
 * ',' or the end of the string), unescaping ",,".  With @stop_at_eq, also
 * stop at '='.  Returns where scanning stopped.
 */
static const char *keyval_scan(const char *p, bool stop_at_eq, GString *out)
{
	while (*p) {
		if (*p == ',') {
			if (p[1] != ',')
				break;
			p++;
		} else if (stop_at_eq && *p == '=') {
			break;
		}
		g_string_append_c(out, *p++);
	}
	return p;
}

static bool keyval_key_valid(const char *key)
{
	const char *p;

	if (!*key)
		return false;
	for (p = key; *p; p++) {
		if (!g_ascii_isalnum(*p) && !strchr("-_.", *p))
			return false;
	}
	return true;
}

/*
 * Parse the element at *@pp into @key and @val and advance *@pp past it
 * and its separator.  @implied_key applies when non-NULL (first element).
 */
static bool keyval_parse_one(const char **pp, const char *implied_key,
			     GString *key, GString *val, const char *opt_name,
			     const char *str, GError **errp)
{
	const char *p = keyval_scan(*pp, true, key);

	if (*p == '=') {
		p = keyval_scan(p + 1, false, val);
		if (!keyval_key_valid(key->str)) {
			keyval_error(errp, opt_name, str,
				     "Invalid parameter '%s'", key->str);
			return false;
		}
	} else if (implied_key) {
		g_string_assign(val, key->str);
		g_string_assign(key, implied_key);
	} else if (!key->len) {
		keyval_error(errp, opt_name, str, "Invalid parameter ''");
		return false;
	} else {
		keyval_error(errp, opt_name, str,
			     "Expected '=' after parameter '%s'", key->str);
		return false;
	}
	*pp = *p == ',' ? p + 1 : p;
	return true;
}

GHashTable *keyval_parse(const char *str, const char *implied_key,
			 const char *opt_name, GError **errp)
{
	g_autoptr(GHashTable) kv = NULL;
	g_autoptr(GString) key = g_string_new(NULL);
	g_autoptr(GString) val = g_string_new(NULL);
	const char *p = str;

	kv = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	while (*p) {
		g_string_truncate(key, 0);
		g_string_truncate(val, 0);
		if (!keyval_parse_one(&p, p == str ? implied_key : NULL, key,
				      val, opt_name, str, errp))
			return NULL;
		if (g_hash_table_contains(kv, key->str)) {
			keyval_error(errp, opt_name, str,
				     "Parameter '%s' is given more than once",
				     key->str);
			return NULL;
		}
		g_hash_table_insert(kv, g_strdup(key->str), g_strdup(val->str));
	}
	return g_steal_pointer(&kv);
}

bool keyval_get_bool(GHashTable *kv, const char *key, bool def, bool *out,
		     GError **errp)
{
	static const char *const on[] = { "on", "yes", "true" };
	static const char *const off[] = { "off", "no", "false" };
	const char *val = g_hash_table_lookup(kv, key);
	unsigned i;

	if (!val) {
		*out = def;
		return true;
	}
	for (i = 0; i < G_N_ELEMENTS(on); i++) {
		if (!strcmp(val, on[i]) || !strcmp(val, off[i])) {
			*out = !strcmp(val, on[i]);
			return true;
		}
	}
	error_setg(errp, "Parameter '%s' expects 'on' or 'off'", key);
	return false;
}
