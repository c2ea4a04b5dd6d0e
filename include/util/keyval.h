/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UTIL_KEYVAL_H
#define UTIL_KEYVAL_H

#include <stdbool.h>
#include <glib.h>

/*
 * Parse QEMU's option syntax "[implied,]key=value,key=value".  ",," is a
 * literal comma inside a value.  If @implied_key is non-NULL a first
 * element without '=' is stored under it.  Duplicate keys, empty keys and
 * elements without '=' (other than the implied one) are errors naming the
 * option @opt_name.  Returns a string->string table, owned by the caller.
 */
GHashTable *keyval_parse(const char *str, const char *implied_key,
			 const char *opt_name, GError **errp);

/* "on"/"off" (also "yes"/"no", "true"/"false") -> bool, error names @key. */
bool keyval_get_bool(GHashTable *kv, const char *key, bool def, bool *out,
		     GError **errp);

#endif
