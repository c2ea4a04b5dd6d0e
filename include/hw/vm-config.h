/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the command line asks of the VM: system/options.c fills a VmConfig
 * from argv, the machine and the -object builders read it.  A plain
 * record, so the layers below system/ can take it without knowing how it
 * was parsed.
 */
#ifndef HW_VM_CONFIG_H
#define HW_VM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

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
	char *incoming;		 /* -incoming URI, or "defer" */
	char *name;		 /* -name */
	bool nodefaults;	 /* -nodefaults */
	char *display;		 /* -display (only "none") */
	bool show_version;	 /* -version */
	bool show_help;		 /* -help / -h */
	char *debug_log;	 /* -d ITEMS (comma list, e.g. "ucall,unimp") */
	bool show_debug_help;	 /* -d help (also sets show_help) */
} VmConfig;

#endif
