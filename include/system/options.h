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

#include "backends/hostmem.h"

typedef enum {
	SERIAL_STDIO,
	SERIAL_FILE,
	SERIAL_NONE,
} SerialKind;

typedef struct ObjectConfig {
	char *qom_type; /* "memory-backend-ram", ... */
	char *id;
	GHashTable *props; /* remaining key=value pairs, owned */
} ObjectConfig;

typedef struct VmConfig {
	uint64_t ram_size; /* -m, default 128 MiB */
	bool ram_size_set;
	unsigned smp;		 /* -smp, default 1 */
	uint32_t cpu_hide;	 /* -cpu host,-F: 1 << X86Feature to hide */
	char *machine_type;	 /* -machine TYPE: "pc" (default) or "none" */
	char *memory_backend;	 /* -machine memory-backend=ID */
	GPtrArray *objects;	 /* ObjectConfig *, in command-line order */
	GPtrArray *monitor_opts; /* -qmp/-chardev/-mon: option, argument... */
	char *kernel;		 /* -kernel */
	char *append;		 /* -append */
	SerialKind serial;	 /* -serial, default stdio */
	char *serial_path;	 /* -serial file:PATH */
	bool start_paused;	 /* -S */
	char *name;		 /* -name */
	bool nodefaults;	 /* -nodefaults */
	char *display;		 /* -display (only "none") */
	bool show_version;	 /* -version */
	bool show_help;		 /* -help / -h */
	char *debug_log;	 /* -d ITEMS (comma list, e.g. "ucall,unimp") */
	bool show_debug_help;	 /* -d help (also sets show_help) */
} VmConfig;

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
/* Is log item @item ("ucall", "unimp", "kvm") enabled by -d? */
bool options_debug_enabled(const VmConfig *cfg, const char *item);

#endif
