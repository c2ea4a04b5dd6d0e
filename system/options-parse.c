/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Handlers of the options with key=value arguments (-m, -smp, -object,
 * -machine): each one checks its argument and fills the VmConfig.  Given
 * twice they behave as in QEMU: the last -m or -smp wins, -machine merges
 * its keys, every -object adds an object.
 *
 * Locking: none; only the main thread parses the command line.
 */
#include <string.h>

#include "kvmage/guest-abi.h"
#include "util/error.h"
#include "util/keyval.h"
#include "util/page.h"
#include "util/size.h"
#include "options-parse.h"

static const char *const object_types[] = {
	"memory-backend-ram",
	"memory-backend-memfd",
	"memory-backend-file",
	"memory-aging",
	NULL,
};

bool opt_help(OptState *st, GError **errp)
{
	st->cfg->show_help = true;
	st->stop = true;
	return true;
}

bool opt_version(OptState *st, GError **errp)
{
	st->cfg->show_version = true;
	st->stop = true;
	return true;
}

bool opt_m(OptState *st, GError **errp)
{
	static const char *const keys[] = { "size", NULL };
	g_autoptr(GHashTable) kv = opt_keyval(st, "size", keys, errp);
	g_autofree char *str = NULL;
	GError *err = NULL;
	const char *val;
	uint64_t size;

	if (!kv || !(val = opt_require(st, kv, "size", errp)))
		return false;
	if (!size_parse(val, 'M', &size, &err)) {
		g_propagate_prefixed_error(errp, err, "%s %s: ", st->opt,
					   st->arg);
		return false;
	}
	if (!size) {
		opt_error(st, errp, "RAM size must be greater than zero");
		return false;
	}
	if (size % PAGE_SIZE) {
		str = size_to_str(size);
		opt_error(st, errp, "RAM size %s is not a multiple of 4 KiB",
			  str);
		return false;
	}
	st->cfg->ram_size = size;
	st->cfg->ram_size_set = true;
	return true;
}

bool opt_smp(OptState *st, GError **errp)
{
	static const char *const keys[] = { "cpus", NULL };
	g_autoptr(GHashTable) kv = opt_keyval(st, "cpus", keys, errp);
	const char *val;
	guint64 n;

	if (!kv || !(val = opt_require(st, kv, "cpus", errp)))
		return false;
	if (!g_ascii_string_to_unsigned(val, 10, 0, G_MAXUINT64, &n, NULL)) {
		opt_error(st, errp, "Parameter 'cpus' expects an integer");
		return false;
	}
	if (n == 0) {
		opt_error(st, errp,
			  "Parameter 'cpus' must be greater than "
			  "zero");
		return false;
	}
	if (n > BOOT_MAX_VCPUS) {
		opt_error(st, errp,
			  "Invalid SMP CPUs %" G_GUINT64_FORMAT ". "
			  "The max CPUs supported by kvmage is %u",
			  n, BOOT_MAX_VCPUS);
		return false;
	}
	st->cfg->smp = n;
	return true;
}

/* Check qom-type and id; on success the table keeps only the properties. */
static bool opt_object_check(OptState *st, GHashTable *kv, GError **errp)
{
	const char *type, *id;

	if (!(type = opt_require(st, kv, "qom-type", errp)))
		return false;
	if (!g_strv_contains(object_types, type)) {
		opt_error(st, errp,
			  "Parameter 'qom-type' does not accept "
			  "value '%s' (use memory-backend-ram, "
			  "memory-backend-memfd, memory-backend-file "
			  "or memory-aging)",
			  type);
		return false;
	}
	if (!(id = opt_require(st, kv, "id", errp)) ||
	    !opt_check_id(st, "id", id, errp))
		return false;
	if (options_find_object(st->cfg, id)) {
		opt_error(st, errp, "Duplicate ID '%s' for object", id);
		return false;
	}
	return true;
}

bool opt_object(OptState *st, GError **errp)
{
	g_autoptr(GHashTable)
		kv = keyval_parse(st->arg, "qom-type", st->opt, errp);
	ObjectConfig *obj;

	if (!kv || !opt_object_check(st, kv, errp))
		return false;
	obj = g_new0(ObjectConfig, 1);
	obj->qom_type = g_strdup(g_hash_table_lookup(kv, "qom-type"));
	obj->id = g_strdup(g_hash_table_lookup(kv, "id"));
	g_hash_table_remove(kv, "qom-type");
	g_hash_table_remove(kv, "id");
	obj->props = g_steal_pointer(&kv);
	g_ptr_array_add(st->cfg->objects, obj);
	return true;
}

bool opt_machine(OptState *st, GError **errp)
{
	static const char *const keys[] = { "type", "memory-backend", "accel",
					    NULL };
	static const char *const types[] = { "pc", "none", NULL };
	g_autoptr(GHashTable) kv = opt_keyval(st, "type", keys, errp);
	const char *type, *mb, *accel;

	if (!kv)
		return false;
	type = g_hash_table_lookup(kv, "type");
	mb = g_hash_table_lookup(kv, "memory-backend");
	accel = g_hash_table_lookup(kv, "accel");
	if (type && !g_strv_contains(types, type)) {
		opt_error(st, errp,
			  "unsupported machine type '%s' "
			  "(use pc or none)",
			  type);
		return false;
	}
	if (mb && !opt_check_id(st, "memory-backend", mb, errp))
		return false;
	if (accel && strcmp(accel, "kvm")) {
		opt_error(st, errp,
			  "Parameter 'accel' does not accept value "
			  "'%s' (kvm is the only accelerator)",
			  accel);
		return false;
	}
	if (type) {
		g_free(st->cfg->machine_type);
		st->cfg->machine_type = g_strdup(type);
	}
	if (mb) {
		g_free(st->cfg->memory_backend);
		st->cfg->memory_backend = g_strdup(mb);
		g_free(st->mb_where);
		st->mb_where = g_strdup_printf("%s %s", st->opt, st->arg);
	}
	return true;
}
