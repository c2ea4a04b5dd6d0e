/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Command line in QEMU's shape: the option table, the parse loop and the
 * checks that involve several options.  Each option's argument is handled
 * in options-parse.c (key=value options) or options-misc.c (the others),
 * both using the helpers of options-util.c; calls go one way, from here
 * to the handlers and from both to the helpers.  Nothing here exits:
 * every error is one line "OPTION ARG: message" (or "OPTION: message")
 * returned through GError.
 *
 * Locking: none; the command line is parsed by the main thread before any
 * other thread exists.
 */
#include <string.h>

#include "util/error.h"
#include "system/options.h"
#include "options-misc.h"
#include "options-parse.h"
#include "options-util.h"

typedef bool (*OptHandler)(OptState *st, GError **errp);

typedef struct OptionDef {
	const char *name;     /* without the leading '-' */
	const char *arg_name; /* for the help text; NULL: no argument */
	OptHandler fn;
	const char *help;  /* one line; NULL hides an alias */
	const char *alias; /* other spelling shown in the help */
} OptionDef;

/* Options in the order of the help text; "-opt" and "--opt" both work. */
static const OptionDef options[] = {
	{ "help", NULL, opt_help, "display this help and exit", "h" },
	{ "h", NULL, opt_help, NULL, NULL },
	{ "version", NULL, opt_version, "display version information and exit",
	  NULL },
	{ "machine", "[type=]TYPE[,memory-backend=ID]", opt_machine,
	  "machine pc (default) or none; RAM from backend ID", "M" },
	{ "M", "[type=]TYPE[,memory-backend=ID]", opt_machine, NULL, NULL },
	{ "m", "[size=]SIZE", opt_m,
	  "guest RAM, default 128M; bare numbers are MiB", NULL },
	{ "smp", "[cpus=]N", opt_smp, "number of vCPUs, 1 to 32 (default 1)",
	  NULL },
	{ "cpu", "host[,-FEATURE...]", opt_cpu,
	  "CPU model host (KVM's CPUID); -FEATURE hides one", NULL },
	{ "object", "TYPE,id=ID[,PROP=VALUE...]", opt_object,
	  "memory-backend-ram|memfd|file or memory-aging, id ID", NULL },
	{ "kernel", "FILE", opt_kernel, "ELF guest program to boot", NULL },
	{ "append", "STRING", opt_append, "command line given to the guest",
	  NULL },
	{ "serial", "stdio|file:PATH|none", opt_serial,
	  "COM1 (default stdio; none with -nodefaults)", NULL },
	{ "S", NULL, opt_start_paused,
	  "do not start the vCPUs until the monitor's 'cont'", NULL },
	{ "incoming", "URI|defer", opt_incoming,
	  "receive a migration (unix:, tcp:, file:, exec:)", NULL },
	{ "name", "[guest=]NAME", opt_name, "name of the guest", NULL },
	{ "nodefaults", NULL, opt_nodefaults,
	  "no default devices: no serial port unless -serial", NULL },
	{ "display", "none", opt_display, "display type; only none exists",
	  NULL },
	{ "d", "ITEM[,ITEM...]", opt_debug,
	  "log ITEMs to stderr (-d help lists them)", NULL },
	{ "qmp", "unix:PATH|tcp:HOST:PORT|stdio[,server=on][,wait=off]",
	  opt_monitor, "QMP monitor on a socket or stdio", NULL },
	{ "chardev", "socket,id=ID,path=PATH|host=H,port=P[,server=on]...",
	  opt_monitor, "character device for -mon", NULL },
	{ "mon", "chardev=ID,mode=control[,pretty=on|off]", opt_monitor,
	  "QMP monitor on -chardev ID", NULL },
	{ "enable-kvm", NULL, opt_enable_kvm,
	  "accepted for compatibility: KVM is always used", NULL },
	{ "accel", "kvm", opt_accel,
	  "accepted for compatibility: kvm is the only one", NULL },
};

static const OptionDef *options_find(const char *typed)
{
	const char *name = typed + 1;
	unsigned i;

	if (g_str_has_prefix(typed, "--"))
		name++;
	for (i = 0; i < G_N_ELEMENTS(options); i++) {
		if (!strcmp(options[i].name, name))
			return &options[i];
	}
	return NULL;
}

static void object_config_free(gpointer p)
{
	ObjectConfig *obj = p;

	g_free(obj->qom_type);
	g_free(obj->id);
	if (obj->props)
		g_hash_table_unref(obj->props);
	g_free(obj);
}

static VmConfig *vm_config_new(void)
{
	VmConfig *cfg = g_new0(VmConfig, 1);

	cfg->ram_size = 128 * 1024 * 1024;
	cfg->smp = 1;
	cfg->machine_type = g_strdup("pc");
	cfg->objects = g_ptr_array_new_with_free_func(object_config_free);
	cfg->monitor_opts = g_ptr_array_new_with_free_func(g_free);
	cfg->serial = SERIAL_STDIO;
	return cfg;
}

void vm_config_free(VmConfig *cfg)
{
	if (!cfg)
		return;
	g_free(cfg->machine_type);
	g_free(cfg->memory_backend);
	g_ptr_array_unref(cfg->objects);
	g_ptr_array_unref(cfg->monitor_opts);
	g_free(cfg->kernel);
	g_free(cfg->incoming);
	g_free(cfg->append);
	g_free(cfg->serial_path);
	g_free(cfg->name);
	g_free(cfg->display);
	g_free(cfg->debug_log);
	g_free(cfg);
}

/* Checks between options, once the whole command line is known. */
static bool options_check(OptState *st, GError **errp)
{
	VmConfig *cfg = st->cfg;

	if (cfg->memory_backend &&
	    !options_find_object(cfg, cfg->memory_backend)) {
		error_setg(errp,
			   "%s: Memory backend '%s' not found "
			   "(no -object with that id)",
			   st->mb_where, cfg->memory_backend);
		return false;
	}
	if (cfg->nodefaults && !st->serial_set)
		cfg->serial = SERIAL_NONE;
	return true;
}

/* Run the handler of the option at argv[*i], consuming its argument. */
static bool options_parse_one(OptState *st, int argc, char **argv, int *i,
			      GError **errp)
{
	const OptionDef *def = NULL;

	st->opt = argv[*i];
	st->arg = NULL;
	if (st->opt[0] != '-') {
		error_setg(errp, "%s: unexpected argument (not an option)",
			   st->opt);
		return false;
	}
	def = options_find(st->opt);
	if (!def) {
		error_setg(errp, "%s: invalid option", st->opt);
		return false;
	}
	if (def->arg_name) {
		if (*i + 1 >= argc) {
			error_setg(errp, "%s: requires an argument", st->opt);
			return false;
		}
		st->arg = argv[++*i];
	}
	return def->fn(st, errp);
}

VmConfig *options_parse(int argc, char **argv, GError **errp)
{
	OptState st = { .cfg = vm_config_new() };
	int i;

	for (i = 1; i < argc && !st.stop; i++) {
		if (!options_parse_one(&st, argc, argv, &i, errp))
			goto fail;
	}
	/* -help, -version and -d help end parsing like in QEMU. */
	if (!st.stop && !options_check(&st, errp))
		goto fail;
	g_free(st.mb_where);
	return st.cfg;

fail:
	g_free(st.mb_where);
	vm_config_free(st.cfg);
	return NULL;
}

void options_print_help(FILE *out)
{
	unsigned i;

	fprintf(out,
		"usage: kvmage [options]\n\n"
		"Options may be written -opt or --opt.  SIZE is a number with "
		"an optional suffix\nB, K, M, G, T, P or E (powers of 1024).\n"
		"\n");
	for (i = 0; i < G_N_ELEMENTS(options); i++) {
		const OptionDef *def = &options[i];
		g_autofree char *head = NULL;

		if (!def->help)
			continue;
		head = g_strdup_printf("-%s%s%s%s%s", def->name,
				       def->alias ? ", -" : "",
				       def->alias ? def->alias : "",
				       def->arg_name ? " " : "",
				       def->arg_name ? def->arg_name : "");
		if (strlen(head) > 22)
			fprintf(out, "%s\n%-24s%s\n", head, "", def->help);
		else
			fprintf(out, "%-24s%s\n", head, def->help);
	}
	fprintf(out, "\n");
	options_print_debug_help(out);
}

void options_print_version(FILE *out)
{
	fprintf(out, "kvmage version %s\n", kvmage_version);
}
