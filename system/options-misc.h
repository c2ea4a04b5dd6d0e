/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to system/options*.c: handlers of the simple options
 * (options-misc.c), called from the option table in options.c.
 */
#ifndef SYSTEM_OPTIONS_MISC_H
#define SYSTEM_OPTIONS_MISC_H

#include "options-util.h"

bool opt_cpu(OptState *st, GError **errp);
bool opt_kernel(OptState *st, GError **errp);
bool opt_append(OptState *st, GError **errp);
bool opt_monitor(OptState *st, GError **errp);
bool opt_serial(OptState *st, GError **errp);
bool opt_start_paused(OptState *st, GError **errp);
bool opt_incoming(OptState *st, GError **errp);
bool opt_name(OptState *st, GError **errp);
bool opt_nodefaults(OptState *st, GError **errp);
bool opt_display(OptState *st, GError **errp);
bool opt_debug(OptState *st, GError **errp);
bool opt_enable_kvm(OptState *st, GError **errp);
bool opt_accel(OptState *st, GError **errp);

#endif
