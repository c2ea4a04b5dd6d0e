/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to system/options*.c: handlers of the key=value options
 * (options-parse.c), called from the option table in options.c.
 */
#ifndef SYSTEM_OPTIONS_PARSE_H
#define SYSTEM_OPTIONS_PARSE_H

#include "options-util.h"

bool opt_help(OptState *st, GError **errp);
bool opt_version(OptState *st, GError **errp);
bool opt_machine(OptState *st, GError **errp);
bool opt_m(OptState *st, GError **errp);
bool opt_smp(OptState *st, GError **errp);
bool opt_object(OptState *st, GError **errp);

#endif
