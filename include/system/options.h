/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Command line in QEMU's shape.  options_parse() turns argv into a
 * VmConfig and never exits: errors are one line naming the option, the
 * caller prints them as "kvmage: <message>" and exits 1, like QEMU.
 */
#ifndef SYSTEM_OPTIONS_H
#define SYSTEM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <glib.h>

#include "hw/vm-config.h"

/* The project version from meson, e.g. "0.1.0" (generated version.c). */
extern const char kvmage_version[];

/*
 * Parse argv[1..argc-1].  -help, -version and -d help stop parsing (the
 * rest of the line is ignored, as in QEMU) and set show_help, show_version
 * or show_debug_help: check show_debug_help before show_help.  As in QEMU,
 * -nodefaults means no serial port unless -serial is given.
 */
VmConfig *options_parse(int argc, char **argv, GError **errp);
void vm_config_free(VmConfig *cfg);
void options_print_help(FILE *out);
void options_print_version(FILE *out);
/* List the -d log items with a description each. */
void options_print_debug_help(FILE *out);

#endif
