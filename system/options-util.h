/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to system/options*.c: the parse state and the helpers every
 * option handler shares.  options-util.c calls nothing else of the
 * command line: options.c and the handlers call it, never the reverse.
 */
#ifndef SYSTEM_OPTIONS_UTIL_H
#define SYSTEM_OPTIONS_UTIL_H

#include <stdbool.h>
#include <glib.h>

#include "system/options.h"

typedef struct OptState {
	VmConfig *cfg;
	const char *opt; /* the option as typed: "-m" or "--m" */
	const char *arg; /* its argument, NULL if it takes none */
	bool serial_set; /* -serial given */
	char *mb_where;	 /* "-machine ARG" that set memory-backend */
	bool stop;	 /* -help, -version, -d help: stop parsing */
} OptState;

/* Set "OPT ARG: message" (or "OPT: message" for options without one). */
void opt_error(const OptState *st, GError **errp, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);

/* The -object with id @id, or NULL. */
ObjectConfig *options_find_object(VmConfig *cfg, const char *id);

/* Parse the argument as key=value pairs and refuse keys not in @keys. */
GHashTable *opt_keyval(OptState *st, const char *implied,
		       const char *const *keys, GError **errp);
/* The value of @key, or NULL with an error when it is missing. */
const char *opt_require(OptState *st, GHashTable *kv, const char *key,
			GError **errp);
/* Check that @id, the value of @key, is an identifier like QEMU's. */
bool opt_check_id(OptState *st, const char *key, const char *id, GError **errp);

#endif
