/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Handlers of the simple options (-kernel, -append, -serial, -S, -name,
 * -nodefaults, -display, -d, -enable-kvm, -accel, -cpu); the -d items are
 * util/log.c's.  As in QEMU the last -kernel, -append, -name, -d, -cpu...
 * wins.
 *
 * Locking: none; only the main thread parses the command line.
 */
#include <string.h>

#include "hw/x86/cpu-features.h"
#include "kvmage/guest-abi.h"
#include "util/error.h"
#include "util/keyval.h"
#include "util/log.h"
#include "options-misc.h"

static void set_str(char **dst, const char *val)
{
	g_free(*dst);
	*dst = g_strdup(val);
}

bool opt_kernel(OptState *st, GError **errp)
{
	if (!*st->arg) {
		opt_error(st, errp, "empty file name");
		return false;
	}
	set_str(&st->cfg->kernel, st->arg);
	return true;
}

/*
 * -qmp, -chardev, -mon: kept in order as name/argument pairs ("qmp", ...);
 * the monitor
 * checks them (monitor_parse_opt()) when main sets it up.
 */
bool opt_monitor(OptState *st, GError **errp)
{
	const char *name = st->opt + (st->opt[1] == '-' ? 2 : 1);

	g_ptr_array_add(st->cfg->monitor_opts, g_strdup(name));
	g_ptr_array_add(st->cfg->monitor_opts, g_strdup(st->arg));
	return true;
}

bool opt_append(OptState *st, GError **errp)
{
	size_t len = strlen(st->arg);

	if (len >= BOOT_CMDLINE_MAX) {
		error_setg(errp,
			   "%s: command line too long (%zu bytes, "
			   "at most %llu)",
			   st->opt, len, BOOT_CMDLINE_MAX - 1);
		return false;
	}
	set_str(&st->cfg->append, st->arg);
	return true;
}

bool opt_serial(OptState *st, GError **errp)
{
	VmConfig *cfg = st->cfg;

	if (st->serial_set) {
		opt_error(st, errp, "only one serial port is supported");
		return false;
	}
	if (!strcmp(st->arg, "stdio")) {
		cfg->serial = SERIAL_STDIO;
	} else if (!strcmp(st->arg, "none")) {
		cfg->serial = SERIAL_NONE;
	} else if (g_str_has_prefix(st->arg, "file:")) {
		if (!st->arg[5]) {
			opt_error(st, errp, "missing file name after 'file:'");
			return false;
		}
		cfg->serial = SERIAL_FILE;
		set_str(&cfg->serial_path, st->arg + 5);
	} else {
		opt_error(st, errp,
			  "'%s' is not a valid char driver "
			  "(use stdio, file:PATH or none)",
			  st->arg);
		return false;
	}
	st->serial_set = true;
	return true;
}

bool opt_start_paused(OptState *st, GError **errp)
{
	st->cfg->start_paused = true;
	return true;
}

bool opt_incoming(OptState *st, GError **errp)
{
	static const char *const protos[] = { "unix:", "tcp:", "file:",
					      "exec:" };

	for (size_t i = 0; i < G_N_ELEMENTS(protos); i++) {
		if (g_str_has_prefix(st->arg, protos[i]))
			goto ok;
	}
	if (strcmp(st->arg, "defer")) {
		error_setg(errp,
			   "%s %s: unknown migration protocol (use "
			   "unix:, tcp:, file:, exec: or defer)",
			   st->opt, st->arg);
		return false;
	}
ok:
	g_free(st->cfg->incoming);
	st->cfg->incoming = g_strdup(st->arg);
	return true;
}

bool opt_nodefaults(OptState *st, GError **errp)
{
	st->cfg->nodefaults = true;
	return true;
}

bool opt_name(OptState *st, GError **errp)
{
	static const char *const keys[] = { "guest", "name", "debug-threads",
					    NULL };
	g_autoptr(GHashTable) kv = opt_keyval(st, "guest", keys, errp);
	const char *guest, *name;
	bool dummy;

	if (!kv)
		return false;
	guest = g_hash_table_lookup(kv, "guest");
	name = g_hash_table_lookup(kv, "name");
	if (guest && name) {
		opt_error(st, errp,
			  "Parameters 'guest' and 'name' both set "
			  "the name, give only one");
		return false;
	}
	/* debug-threads is accepted (libvirt passes it) but unused. */
	if (!keyval_get_bool(kv, "debug-threads", false, &dummy, errp)) {
		g_prefix_error(errp, "%s %s: ", st->opt, st->arg);
		return false;
	}
	if (guest || name)
		set_str(&st->cfg->name, guest ? guest : name);
	return true;
}

bool opt_display(OptState *st, GError **errp)
{
	static const char *const keys[] = { "type", NULL };
	g_autoptr(GHashTable) kv = opt_keyval(st, "type", keys, errp);
	const char *type;

	if (!kv || !(type = opt_require(st, kv, "type", errp)))
		return false;
	if (strcmp(type, "none")) {
		opt_error(st, errp,
			  "Parameter 'type' does not accept value "
			  "'%s' (only none is supported)",
			  type);
		return false;
	}
	set_str(&st->cfg->display, type);
	return true;
}

bool opt_debug(OptState *st, GError **errp)
{
	g_auto(GStrv) items = NULL;
	unsigned i;

	if (!strcmp(st->arg, "help")) {
		/* show_help too, for callers unaware of show_debug_help */
		st->cfg->show_debug_help = true;
		st->cfg->show_help = true;
		st->stop = true;
		return true;
	}
	items = g_strsplit(st->arg, ",", -1);
	for (i = 0; items[i] && log_item_known(items[i]); i++)
		;
	/* items is empty for "": that is an empty item too */
	if (items[i] || i == 0) {
		opt_error(st, errp,
			  "unknown log item '%s' "
			  "(-d help lists them)",
			  items[i] ? items[i] : "");
		return false;
	}
	set_str(&st->cfg->debug_log, st->arg);
	return true;
}

bool opt_enable_kvm(OptState *st, GError **errp)
{
	return true;
}

bool opt_accel(OptState *st, GError **errp)
{
	static const char *const keys[] = { "accel", NULL };
	g_autoptr(GHashTable) kv = opt_keyval(st, "accel", keys, errp);
	const char *accel;

	if (!kv || !(accel = opt_require(st, kv, "accel", errp)))
		return false;
	if (strcmp(accel, "kvm")) {
		opt_error(st, errp,
			  "Parameter 'accel' does not accept value "
			  "'%s' (kvm is the only accelerator)",
			  accel);
		return false;
	}
	return true;
}

/*
 * One -cpu element after the model: "-F" or "F=off" hides feature F;
 * "+F" and "F=on" are refused, since the guest already has every feature
 * KVM supports.  Sets the feature's bit in *@hide.
 */
static bool opt_cpu_feature(OptState *st, const char *elem, uint32_t *hide,
			    GError **errp)
{
	g_autoptr(GHashTable) kv = NULL;
	g_autofree char *name = NULL;
	g_autofree char *names = NULL;
	const char *eq = strchr(elem, '=');
	bool on;
	int f;

	if (elem[0] == '-' || elem[0] == '+') {
		name = g_strdup(elem + 1);
		on = elem[0] == '+';
	} else if (eq) {
		name = g_strndup(elem, eq - elem);
		kv = g_hash_table_new(g_str_hash, g_str_equal);
		g_hash_table_insert(kv, name, (char *)eq + 1);
		if (!keyval_get_bool(kv, name, false, &on, errp)) {
			g_prefix_error(errp, "%s %s: ", st->opt, st->arg);
			return false;
		}
	} else {
		opt_error(st, errp,
			  "'%s': expected -FEATURE or FEATURE=off after "
			  "the CPU model",
			  elem);
		return false;
	}
	f = x86_feature_find(name);
	if (f < 0) {
		names = x86_feature_names();
		opt_error(st, errp,
			  "unknown CPU feature '%s' (features that can be "
			  "hidden: %s)",
			  name, names);
		return false;
	}
	if (on) {
		opt_error(st, errp,
			  "'%s': kvmage cannot add CPU features: 'host' "
			  "already has every feature KVM supports (use -%s "
			  "to hide it)",
			  elem, name);
		return false;
	}
	*hide |= 1u << f;
	return true;
}

/* -cpu host[,-FEATURE|FEATURE=off]...: the last -cpu wins. */
bool opt_cpu(OptState *st, GError **errp)
{
	g_auto(GStrv) elems = g_strsplit(st->arg, ",", -1);
	uint32_t hide = 0;

	if (!elems[0] || strcmp(elems[0], "host")) {
		opt_error(st, errp,
			  "unknown CPU model '%s' (kvmage has only 'host': "
			  "the CPUID KVM supports)",
			  elems[0] ? elems[0] : "");
		return false;
	}
	for (unsigned i = 1; elems[i]; i++) {
		if (!opt_cpu_feature(st, elems[i], &hide, errp))
			return false;
	}
	st->cfg->cpu_hide = hide;
	return true;
}

void options_print_debug_help(FILE *out)
{
	log_print_help(out);
}
