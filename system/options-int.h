/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to system/options*.c: the option table and its handlers.
 */
#ifndef SYSTEM_OPTIONS_INT_H
#define SYSTEM_OPTIONS_INT_H

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

typedef bool (*OptHandler)(OptState *st, GError **errp);

typedef struct OptionDef {
	const char *name;     /* without the leading '-' */
	const char *arg_name; /* for the help text; NULL: no argument */
	OptHandler fn;
	const char *help;  /* one line; NULL hides an alias */
	const char *alias; /* other spelling shown in the help */
} OptionDef;

/* Set "OPT ARG: message" (or "OPT: message" for options without one). */
void opt_error(const OptState *st, GError **errp, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);

ObjectConfig *options_find_object(VmConfig *cfg, const char *id);

/* Parse the argument as key=value pairs and refuse keys not in @keys. */
GHashTable *opt_keyval(OptState *st, const char *implied,
		       const char *const *keys, GError **errp);
/* The value of @key, or NULL with an error when it is missing. */
const char *opt_require(OptState *st, GHashTable *kv, const char *key,
			GError **errp);
/* Check that @id, the value of @key, is an identifier like QEMU's. */
bool opt_check_id(OptState *st, const char *key, const char *id, GError **errp);

bool opt_help(OptState *st, GError **errp);
bool opt_version(OptState *st, GError **errp);
bool opt_machine(OptState *st, GError **errp);
bool opt_m(OptState *st, GError **errp);
bool opt_smp(OptState *st, GError **errp);
bool opt_cpu(OptState *st, GError **errp);
bool opt_object(OptState *st, GError **errp);
bool opt_kernel(OptState *st, GError **errp);
bool opt_append(OptState *st, GError **errp);
bool opt_monitor(OptState *st, GError **errp);
bool opt_serial(OptState *st, GError **errp);
bool opt_start_paused(OptState *st, GError **errp);
bool opt_name(OptState *st, GError **errp);
bool opt_nodefaults(OptState *st, GError **errp);
bool opt_display(OptState *st, GError **errp);
bool opt_debug(OptState *st, GError **errp);
bool opt_enable_kvm(OptState *st, GError **errp);
bool opt_accel(OptState *st, GError **errp);

#endif
