/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The -d log items: which exist, and whether a "-d ucall,kvm" list
 * enables one.  The command line checks items against this table; the
 * devices and the accelerator ask it, so they need not know options.
 *
 * Locking: none; the table is constant and lists are the caller's.
 */
#ifndef UTIL_LOG_H
#define UTIL_LOG_H

#include <stdbool.h>
#include <stdio.h>

/* Is @item a known log item? */
bool log_item_known(const char *item);
/* Does the comma list @items (NULL: none) enable @item? */
bool log_item_enabled(const char *items, const char *item);
/* List the items with a description each (-d help). */
void log_print_help(FILE *out);

#endif
