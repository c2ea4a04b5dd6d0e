/* SPDX-License-Identifier: GPL-2.0-or-later */
/* options_parse(): every option, valid and invalid, and the defaults. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "hw/x86/cpu-features.h"
#include "util/error.h"
#include "util/log.h"
#include "system/options.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

/* options_parse() on "kvmage" followed by the NULL-terminated arguments. */
static VmConfig *parse_va(GError **errp, const char *first, va_list ap)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	const char *a;

	g_ptr_array_add(args, "kvmage");
	for (a = first; a; a = va_arg(ap, const char *))
		g_ptr_array_add(args, (char *)a);
	g_ptr_array_add(args, NULL);
	return options_parse(args->len - 1, (char **)args->pdata, errp);
}

static VmConfig *parse_ok(const char *first, ...)
{
	GError *err = NULL;
	VmConfig *cfg;
	va_list ap;

	va_start(ap, first);
	cfg = parse_va(&err, first, ap);
	va_end(ap);
	g_assert_no_error(err);
	g_assert_nonnull(cfg);
	return cfg;
}

static void parse_err(const char *want, const char *first, ...)
{
	GError *err = NULL;
	VmConfig *cfg;
	va_list ap;

	va_start(ap, first);
	cfg = parse_va(&err, first, ap);
	va_end(ap);
	g_assert_null(cfg);
	g_assert_error(err, KVMAGE_ERROR, KVMAGE_ERROR_GENERIC);
	g_assert_cmpstr(err->message, ==, want);
	g_assert_null(strchr(err->message, '\n'));
	g_error_free(err);
}

#define OK(...)	       parse_ok(__VA_ARGS__, NULL)
#define ERR(want, ...) parse_err(want, __VA_ARGS__, NULL)

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmConfig, vm_config_free)

static void test_defaults(void)
{
	g_autoptr(VmConfig) cfg = parse_ok(NULL);
	g_autoptr(VmConfig) cfg0 = options_parse(0, NULL, NULL);

	g_assert_cmpuint(cfg->ram_size, ==, 128 * MiB);
	g_assert_false(cfg->ram_size_set);
	g_assert_cmpuint(cfg->smp, ==, 1);
	g_assert_cmpstr(cfg->machine_type, ==, "pc");
	g_assert_null(cfg->memory_backend);
	g_assert_cmpuint(cfg->objects->len, ==, 0);
	g_assert_null(cfg->kernel);
	g_assert_null(cfg->append);
	g_assert_cmpint(cfg->serial, ==, SERIAL_STDIO);
	g_assert_null(cfg->serial_path);
	g_assert_false(cfg->start_paused);
	g_assert_null(cfg->name);
	g_assert_false(cfg->nodefaults);
	g_assert_null(cfg->display);
	g_assert_false(cfg->show_version);
	g_assert_false(cfg->show_help);
	g_assert_false(cfg->show_debug_help);
	g_assert_null(cfg->debug_log);
	g_assert_false(log_item_enabled(cfg->debug_log, "ucall"));
	g_assert_nonnull(cfg0);
	g_assert_cmpuint(cfg0->ram_size, ==, 128 * MiB);
}

static void check_m(const char *arg, uint64_t want)
{
	g_autoptr(VmConfig) cfg = OK("-m", arg);

	g_assert_cmpuint(cfg->ram_size, ==, want);
	g_assert_true(cfg->ram_size_set);
}

static void test_m(void)
{
	g_autoptr(VmConfig) twice = OK("-m", "1G", "--m", "2G");

	check_m("512", 512 * MiB);
	check_m("2G", 2 * GiB);
	check_m("2g", 2 * GiB);
	check_m("size=1G", GiB);
	check_m("size=256", 256 * MiB);
	check_m("4k", 4096);
	check_m("8192B", 8192);
	check_m("0x10", 16 * MiB);
	check_m("1.5G", GiB + GiB / 2);
	g_assert_cmpuint(twice->ram_size, ==, 2 * GiB);

	ERR("-m: requires an argument", "-m");
	ERR("-m abc: invalid size 'abc': expected a number", "-m", "abc");
	ERR("-m size=abc: invalid size 'abc': expected a number", "-m",
	    "size=abc");
	ERR("-m -1: invalid size '-1': sizes cannot be negative", "-m", "-1");
	ERR("-m 1.5: invalid size '1.5': a fraction needs a suffix "
	    "K, M, G, T, P or E",
	    "-m", "1.5");
	ERR("-m 1Gx: invalid size '1Gx': trailing characters 'x'", "-m", "1Gx");
	ERR("-m 99999999999T: size '99999999999T' overflows 64 bits when "
	    "scaled to bytes (it must be below 16 EiB)",
	    "-m", "99999999999T");
	/* below 2^64 as a number, but that many MiB */
	ERR("-m 18446744073709551615: size '18446744073709551615' "
	    "overflows 64 bits when scaled to bytes: a number without a "
	    "suffix is in MiB here, so it must be below 17592186044416",
	    "-m", "18446744073709551615");
	ERR("-m 18446744073709551616: size '18446744073709551616' is out "
	    "of range (must be below 2^64)",
	    "-m", "18446744073709551616");
	ERR("-m 0: RAM size must be greater than zero", "-m", "0");
	ERR("-m 4097k: RAM size 4097 KiB is not a multiple of 4 KiB", "-m",
	    "4097k");
	ERR("-m 1.5k: RAM size 1536 B is not a multiple of 4 KiB", "-m",
	    "1.5k");
	ERR("-m foo=1: Invalid parameter 'foo'", "-m", "foo=1");
	ERR("-m 1G,maxmem=2G: Invalid parameter 'maxmem'", "-m",
	    "1G,maxmem=2G");
	ERR("-m 1G,size=2G: Parameter 'size' is given more than once", "-m",
	    "1G,size=2G");
	ERR("-m : Parameter 'size' is missing", "-m", "");
	ERR("--m abc: invalid size 'abc': expected a number", "--m", "abc");
}

static void test_smp(void)
{
	g_autoptr(VmConfig) a = OK("-smp", "4");
	g_autoptr(VmConfig) b = OK("-smp", "cpus=8");
	g_autoptr(VmConfig) c = OK("--smp", "32");
	g_autoptr(VmConfig) d = OK("-smp", "1");

	g_assert_cmpuint(a->smp, ==, 4);
	g_assert_cmpuint(b->smp, ==, 8);
	g_assert_cmpuint(c->smp, ==, 32);
	g_assert_cmpuint(d->smp, ==, 1);

	ERR("-smp: requires an argument", "-smp");
	ERR("-smp 0: Parameter 'cpus' must be greater than zero", "-smp", "0");
	ERR("-smp cpus=0: Parameter 'cpus' must be greater than zero", "-smp",
	    "cpus=0");
	ERR("-smp 33: Invalid SMP CPUs 33. The max CPUs supported by kvmage "
	    "is 32",
	    "-smp", "33");
	ERR("-smp abc: Parameter 'cpus' expects an integer", "-smp", "abc");
	ERR("-smp -1: Parameter 'cpus' expects an integer", "-smp", "-1");
	ERR("-smp 1.5: Parameter 'cpus' expects an integer", "-smp", "1.5");
	ERR("-smp 99999999999999999999: Parameter 'cpus' expects an integer",
	    "-smp", "99999999999999999999");
	ERR("-smp foo=1: Invalid parameter 'foo'", "-smp", "foo=1");
	ERR("-smp 2,foo: Expected '=' after parameter 'foo'", "-smp", "2,foo");
	ERR("-smp 2,cpus=3: Parameter 'cpus' is given more than once", "-smp",
	    "2,cpus=3");
	ERR("-smp : Parameter 'cpus' is missing", "-smp", "");
}

static ObjectConfig *object(VmConfig *cfg, unsigned i)
{
	g_assert_cmpuint(i, <, cfg->objects->len);
	return g_ptr_array_index(cfg->objects, i);
}

static void test_object(void)
{
	g_autoptr(VmConfig) cfg =
		OK("-object", "memory-backend-ram,id=ram0,size=1G,prealloc=on",
		   "-object", "qom-type=memory-backend-memfd,id=m.1,hugetlb=on",
		   "--object",
		   "memory-backend-file,id=f_2,mem-path=/a,,b,size=2M");
	ObjectConfig *o;

	g_assert_cmpuint(cfg->objects->len, ==, 3);
	o = object(cfg, 0);
	g_assert_cmpstr(o->qom_type, ==, "memory-backend-ram");
	g_assert_cmpstr(o->id, ==, "ram0");
	g_assert_cmpuint(g_hash_table_size(o->props), ==, 2);
	g_assert_cmpstr(g_hash_table_lookup(o->props, "size"), ==, "1G");
	g_assert_cmpstr(g_hash_table_lookup(o->props, "prealloc"), ==, "on");
	g_assert_false(g_hash_table_contains(o->props, "id"));
	g_assert_false(g_hash_table_contains(o->props, "qom-type"));
	o = object(cfg, 1);
	g_assert_cmpstr(o->qom_type, ==, "memory-backend-memfd");
	g_assert_cmpstr(o->id, ==, "m.1");
	g_assert_cmpuint(g_hash_table_size(o->props), ==, 1);
	g_assert_cmpstr(g_hash_table_lookup(o->props, "hugetlb"), ==, "on");
	o = object(cfg, 2);
	g_assert_cmpstr(o->qom_type, ==, "memory-backend-file");
	g_assert_cmpstr(o->id, ==, "f_2");
	g_assert_cmpstr(g_hash_table_lookup(o->props, "mem-path"), ==, "/a,b");
	g_assert_cmpstr(g_hash_table_lookup(o->props, "size"), ==, "2M");
}

static void test_object_invalid(void)
{
	ERR("-object: requires an argument", "-object");
	ERR("-object memory-backend-ram: Parameter 'id' is missing", "-object",
	    "memory-backend-ram");
	ERR("-object memory-backend-ram,size=1M: Parameter 'id' is missing",
	    "-object", "memory-backend-ram,size=1M");
	ERR("-object memory-backend-ram,id=: Parameter 'id' expects an "
	    "identifier (letters, digits, '-', '.', '_', starting with a "
	    "letter)",
	    "-object", "memory-backend-ram,id=");
	ERR("-object memory-backend-ram,id=1a: Parameter 'id' expects an "
	    "identifier (letters, digits, '-', '.', '_', starting with a "
	    "letter)",
	    "-object", "memory-backend-ram,id=1a");
	ERR("-object memory-backend-ram,id=x,,y: Parameter 'id' expects an "
	    "identifier (letters, digits, '-', '.', '_', starting with a "
	    "letter)",
	    "-object", "memory-backend-ram,id=x,,y");
	ERR("-object foo,id=x: Parameter 'qom-type' does not accept value "
	    "'foo' (use memory-backend-ram, memory-backend-memfd, "
	    "memory-backend-file or memory-aging)",
	    "-object", "foo,id=x");
	ERR("-object id=x: Parameter 'qom-type' is missing", "-object", "id=x");
	ERR("-object memory-backend-ram,id=a,id=b: Parameter 'id' is given "
	    "more than once",
	    "-object", "memory-backend-ram,id=a,id=b");
	ERR("-object memory-backend-ram,id=a,prealloc: Expected '=' after "
	    "parameter 'prealloc'",
	    "-object",
	    "memory-backend-ram,id=a,"
	    "prealloc");
	ERR("-object memory-backend-memfd,id=x: Duplicate ID 'x' for object",
	    "-object", "memory-backend-ram,id=x,size=1M", "-object",
	    "memory-backend-memfd,id=x");
}

static void test_machine(void)
{
	g_autoptr(VmConfig) a = OK("-machine", "none");
	g_autoptr(VmConfig) b = OK("-machine", "type=none");
	g_autoptr(VmConfig) c = OK("-M", "pc,memory-backend=mem", "-object",
				   "memory-backend-ram,id=mem");
	g_autoptr(VmConfig) d = OK("-object", "memory-backend-ram,id=m",
				   "-machine", "memory-backend=m");
	g_autoptr(VmConfig) e = OK("-machine", "none", "--machine",
				   "memory-backend=m,accel=kvm", "-object",
				   "memory-backend-ram,id=m");
	g_autoptr(VmConfig) f = OK("-machine", "none", "-M", "pc");

	g_assert_cmpstr(a->machine_type, ==, "none");
	g_assert_null(a->memory_backend);
	g_assert_cmpstr(b->machine_type, ==, "none");
	g_assert_cmpstr(c->machine_type, ==, "pc");
	g_assert_cmpstr(c->memory_backend, ==, "mem");
	g_assert_cmpstr(d->machine_type, ==, "pc");
	g_assert_cmpstr(d->memory_backend, ==, "m");
	g_assert_cmpstr(e->machine_type, ==, "none"); /* merged */
	g_assert_cmpstr(e->memory_backend, ==, "m");
	g_assert_cmpstr(f->machine_type, ==, "pc");

	ERR("-machine: requires an argument", "-machine");
	ERR("-machine foo: unsupported machine type 'foo' (use pc or none)",
	    "-machine", "foo");
	ERR("-M q35: unsupported machine type 'q35' (use pc or none)", "-M",
	    "q35");
	ERR("-machine none,foo=bar: Invalid parameter 'foo'", "-machine",
	    "none,foo=bar");
	ERR("-machine pc,accel=tcg: Parameter 'accel' does not accept value "
	    "'tcg' (kvm is the only accelerator)",
	    "-machine", "pc,accel=tcg");
	ERR("-machine memory-backend=: Parameter 'memory-backend' expects an "
	    "identifier (letters, digits, '-', '.', '_', starting with a "
	    "letter)",
	    "-machine", "memory-backend=");
	ERR("-machine pc,memory-backend=mem: Memory backend 'mem' not found "
	    "(no -object with that id)",
	    "-machine", "pc,memory-backend=mem");
	ERR("-M memory-backend=b: Memory backend 'b' not found (no -object "
	    "with that id)",
	    "-object", "memory-backend-ram,id=a", "-M", "memory-backend=b");
}

static void test_kernel_append(void)
{
	g_autofree char *longest = g_strnfill(4095, 'x');
	g_autofree char *too_long = g_strnfill(4096, 'x');
	g_autoptr(VmConfig)
		a = OK("-kernel", "guest.elf", "-append", "-foo bar=1,2");
	g_autoptr(VmConfig)
		b = OK("-kernel", "a", "--kernel", "b", "-append", longest);
	g_autoptr(VmConfig) c = OK("-append", "");

	g_assert_cmpstr(a->kernel, ==, "guest.elf");
	g_assert_cmpstr(a->append, ==, "-foo bar=1,2");
	g_assert_cmpstr(b->kernel, ==, "b");
	g_assert_cmpstr(b->append, ==, longest);
	g_assert_cmpstr(c->append, ==, "");

	ERR("-kernel: requires an argument", "-kernel");
	ERR("-kernel : empty file name", "-kernel", "");
	ERR("-append: requires an argument", "-append");
	ERR("-append: command line too long (4096 bytes, at most 4095)",
	    "-append", too_long);
}

static void check_serial(SerialKind want, const char *path, ...)
{
	g_autoptr(VmConfig) cfg = NULL;
	GError *err = NULL;
	const char *first;
	va_list ap;

	va_start(ap, path);
	first = va_arg(ap, const char *);
	cfg = parse_va(&err, first, ap);
	va_end(ap);
	g_assert_no_error(err);
	g_assert_cmpint(cfg->serial, ==, want);
	g_assert_cmpstr(cfg->serial_path, ==, path);
}

static void test_serial(void)
{
	check_serial(SERIAL_STDIO, NULL, "-serial", "stdio", NULL);
	check_serial(SERIAL_NONE, NULL, "-serial", "none", NULL);
	check_serial(SERIAL_FILE, "/tmp/com1.log", "--serial",
		     "file:/tmp/com1.log", NULL);
	check_serial(SERIAL_FILE, "a:b", "-serial", "file:a:b", NULL);
	/* -nodefaults drops the default serial port, not an explicit one */
	check_serial(SERIAL_NONE, NULL, "-nodefaults", NULL);
	check_serial(SERIAL_STDIO, NULL, "-nodefaults", "-serial", "stdio",
		     NULL);
	check_serial(SERIAL_STDIO, NULL, "-serial", "stdio", "-nodefaults",
		     NULL);

	ERR("-serial: requires an argument", "-serial");
	ERR("-serial file:: missing file name after 'file:'", "-serial",
	    "file:");
	ERR("-serial bogus: 'bogus' is not a valid char driver (use stdio, "
	    "file:PATH or none)",
	    "-serial", "bogus");
	ERR("-serial mon:stdio: 'mon:stdio' is not a valid char driver (use "
	    "stdio, file:PATH or none)",
	    "-serial", "mon:stdio");
	ERR("-serial none: only one serial port is supported", "-serial",
	    "stdio", "-serial", "none");
}

static void test_incoming(void)
{
	g_autoptr(VmConfig) a = OK("-incoming", "defer");
	g_autoptr(VmConfig)
		b = OK("-incoming", "unix:/tmp/x", "-incoming", "file:/tmp/y");

	g_assert_cmpstr(a->incoming, ==, "defer");
	g_assert_cmpstr(b->incoming, ==, "file:/tmp/y");
	ERR("-incoming foo:bar: unknown migration protocol (use unix:, "
	    "tcp:, file:, exec: or defer)",
	    "-incoming", "foo:bar");
	ERR("-incoming: requires an argument", "-incoming");
}

static void test_flags(void)
{
	g_autoptr(VmConfig) cfg = OK("-S", "--nodefaults", "-display", "none",
				     "-enable-kvm", "-accel", "kvm", "--accel",
				     "accel=kvm");

	g_assert_true(cfg->start_paused);
	g_assert_true(cfg->nodefaults);
	g_assert_cmpstr(cfg->display, ==, "none");

	ERR("-display: requires an argument", "-display");
	ERR("-display gtk: Parameter 'type' does not accept value 'gtk' "
	    "(only none is supported)",
	    "-display", "gtk");
	ERR("-display none,gl=on: Invalid parameter 'gl'", "-display",
	    "none,gl=on");
	ERR("-display : Parameter 'type' is missing", "-display", "");
	ERR("-accel tcg: Parameter 'accel' does not accept value 'tcg' (kvm "
	    "is the only accelerator)",
	    "-accel", "tcg");
	ERR("-S1: invalid option", "-S1");
}

static void test_name(void)
{
	g_autoptr(VmConfig) a = OK("-name", "vm1");
	g_autoptr(VmConfig) b = OK("-name", "guest=vm2,debug-threads=on");
	g_autoptr(VmConfig) c = OK("-name", "name=vm3");
	g_autoptr(VmConfig) d = OK("--name", "a,,b");
	g_autoptr(VmConfig) e = OK("-name", "debug-threads=off");

	g_assert_cmpstr(a->name, ==, "vm1");
	g_assert_cmpstr(b->name, ==, "vm2");
	g_assert_cmpstr(c->name, ==, "vm3");
	g_assert_cmpstr(d->name, ==, "a,b");
	g_assert_null(e->name);

	ERR("-name: requires an argument", "-name");
	ERR("-name a,foo=1: Invalid parameter 'foo'", "-name", "a,foo=1");
	ERR("-name a,name=b: Parameters 'guest' and 'name' both set the "
	    "name, give only one",
	    "-name", "a,name=b");
	ERR("-name a,debug-threads=maybe: Parameter 'debug-threads' expects "
	    "'on' or 'off'",
	    "-name", "a,debug-threads=maybe");
}

static void test_debug(void)
{
	g_autoptr(VmConfig) a = OK("-d", "ucall,kvm");
	g_autoptr(VmConfig) b = OK("-d", "unimp", "-d", "kvm");
	g_autoptr(VmConfig) c = OK("-d", "help", "-bogus");

	g_assert_cmpstr(a->debug_log, ==, "ucall,kvm");
	g_assert_true(log_item_enabled(a->debug_log, "ucall"));
	g_assert_true(log_item_enabled(a->debug_log, "kvm"));
	g_assert_false(log_item_enabled(a->debug_log, "unimp"));
	g_assert_false(log_item_enabled(a->debug_log, "ucal"));
	g_assert_cmpstr(b->debug_log, ==, "kvm"); /* the last one wins */
	g_assert_false(log_item_enabled(b->debug_log, "unimp"));
	g_assert_true(c->show_debug_help);
	g_assert_true(c->show_help);
	g_assert_null(c->debug_log);
	g_assert_false(a->show_debug_help);
	g_assert_false(a->show_help);

	ERR("-d: requires an argument", "-d");
	ERR("-d foo: unknown log item 'foo' (-d help lists them)", "-d", "foo");
	ERR("-d ucall,,kvm: unknown log item '' (-d help lists them)", "-d",
	    "ucall,,kvm");
	ERR("-d : unknown log item '' (-d help lists them)", "-d", "");
}

static void test_help_version(void)
{
	g_autoptr(VmConfig) a = OK("-help");
	g_autoptr(VmConfig) b = OK("-h");
	g_autoptr(VmConfig) c = OK("--help", "-m", "abc");
	g_autoptr(VmConfig) d = OK("-version", "-bogus");
	g_autoptr(VmConfig) e = OK("--version");
	/* -help stops parsing before the cross-option checks */
	g_autoptr(VmConfig) f = OK("-machine", "memory-backend=x", "-h");

	g_assert_true(a->show_help);
	g_assert_false(a->show_version);
	g_assert_true(b->show_help);
	g_assert_true(c->show_help); /* parsing stops at -help, as in QEMU */
	g_assert_cmpuint(c->ram_size, ==, 128 * MiB);
	g_assert_true(d->show_version);
	g_assert_false(d->show_help);
	g_assert_true(e->show_version);
	/* errors before -help still count */
	ERR("-m abc: invalid size 'abc': expected a number", "-m", "abc",
	    "-help");
	g_assert_true(f->show_help);
}

static void test_invalid_option(void)
{
	ERR("-foo: invalid option", "-foo");
	ERR("--foo: invalid option", "--foo");
	ERR("-: invalid option", "-");
	ERR("--: invalid option", "--");
	ERR("---m: invalid option", "---m", "1G");
	ERR("-X: invalid option", "-m", "1G", "-X");
	ERR("disk.img: unexpected argument (not an option)", "disk.img");
	ERR("-foo: invalid option", "-S", "-foo", "-bar");
}

/* Everything written to a stream by @fn. */
static char *capture(void (*fn)(FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	g_assert_nonnull(f);
	fn(f);
	g_assert_cmpint(fclose(f), ==, 0);
	return buf;
}

static void test_help_text(void)
{
	static const char *const opts[] = {
		"-help, -h",
		"-version",
		"-machine, -M [type=]TYPE",
		"-m [size=]SIZE",
		"-smp [cpus=]N",
		"-cpu host[,-FEATURE...]",
		"-object TYPE,id=ID",
		"-kernel FILE",
		"-append STRING",
		"-serial stdio|file:PATH|none",
		"-S ",
		"-name [guest=]NAME",
		"-nodefaults",
		"-display none",
		"-d ITEM",
		"-enable-kvm",
		"-accel kvm",
	};
	g_autofree char *help = capture(options_print_help);
	g_autofree char *dbg = capture(options_print_debug_help);
	g_auto(GStrv) lines = g_strsplit(help, "\n", -1);
	unsigned i, j;

	g_assert_true(g_str_has_prefix(help, "usage: kvmage [options]\n"));
	for (i = 0; i < G_N_ELEMENTS(opts); i++) {
		for (j = 0; lines[j]; j++) {
			if (g_str_has_prefix(lines[j], opts[i]))
				break;
		}
		if (!lines[j])
			g_error("help lacks a line for %s:\n%s", opts[i], help);
	}
	for (j = 0; lines[j]; j++)
		g_assert_cmpuint(strlen(lines[j]), <=, 80);
	g_assert_true(g_str_has_prefix(dbg, "Log items for -d"));
	g_assert_nonnull(strstr(help, dbg)); /* -help lists them too */
	g_assert_nonnull(strstr(dbg, "\nucall "));
	g_assert_nonnull(strstr(dbg, "\nunimp "));
	g_assert_nonnull(strstr(dbg, "\nkvm "));
}

static void test_version_text(void)
{
	g_autofree char *out = capture(options_print_version);
	g_autofree char *want =
		g_strdup_printf("kvmage version %s\n", kvmage_version);

	g_assert_cmpstr(out, ==, want);
	g_assert_true(g_regex_match_simple("^[0-9]+\\.[0-9]+\\.[0-9]+$",
					   kvmage_version, 0, 0));
}

/* -cpu host[,-F|F=off]...: a mask of hidden features, the last -cpu wins. */
static void test_cpu(void)
{
	g_autoptr(VmConfig) def = OK("-m", "64");
	g_autoptr(VmConfig) host = OK("-cpu", "host");
	g_autoptr(VmConfig) a = OK("-cpu", "host,-rdtscp");
	g_autoptr(VmConfig) b = OK("--cpu", "host,rdtscp=off,-invtsc");
	g_autoptr(VmConfig)
		c = OK("-cpu", "host,-rdtscp", "-cpu", "host,-invtsc");
	g_autoptr(VmConfig) d = OK("-cpu", "host,-rdtscp,-rdtscp");
	g_autoptr(VmConfig) e = OK("-cpu", "host,rdtscp=no,invtsc=false");

	g_assert_cmphex(def->cpu_hide, ==, 0);
	g_assert_cmphex(host->cpu_hide, ==, 0);
	g_assert_cmphex(a->cpu_hide, ==, 1u << X86_FEATURE_RDTSCP);
	g_assert_cmphex(b->cpu_hide, ==,
			1u << X86_FEATURE_RDTSCP | 1u << X86_FEATURE_INVTSC);
	g_assert_cmphex(c->cpu_hide, ==, 1u << X86_FEATURE_INVTSC);
	g_assert_cmphex(d->cpu_hide, ==, 1u << X86_FEATURE_RDTSCP);
	g_assert_cmphex(e->cpu_hide, ==,
			1u << X86_FEATURE_RDTSCP | 1u << X86_FEATURE_INVTSC);

	ERR("-cpu: requires an argument", "-cpu");
	ERR("-cpu qemu64: unknown CPU model 'qemu64' (kvmage has only "
	    "'host': the CPUID KVM supports)",
	    "-cpu", "qemu64");
	ERR("-cpu : unknown CPU model '' (kvmage has only 'host': the CPUID "
	    "KVM supports)",
	    "-cpu", "");
	ERR("-cpu host,-foo: unknown CPU feature 'foo' (features that can be "
	    "hidden: rdtscp, invtsc)",
	    "-cpu", "host,-foo");
	ERR("-cpu host,-tsc: unknown CPU feature 'tsc' (features that can be "
	    "hidden: rdtscp, invtsc)",
	    "-cpu", "host,-tsc");
	ERR("-cpu host,x2apic=off: unknown CPU feature 'x2apic' (features "
	    "that can be hidden: rdtscp, invtsc)",
	    "-cpu", "host,x2apic=off");
	ERR("-cpu host,+rdtscp: '+rdtscp': kvmage cannot add CPU features: "
	    "'host' already has every feature KVM supports (use -rdtscp to "
	    "hide it)",
	    "-cpu", "host,+rdtscp");
	ERR("-cpu host,invtsc=on: 'invtsc=on': kvmage cannot add CPU "
	    "features: 'host' already has every feature KVM supports (use "
	    "-invtsc to hide it)",
	    "-cpu", "host,invtsc=on");
	ERR("-cpu host,rdtscp: 'rdtscp': expected -FEATURE or FEATURE=off "
	    "after the CPU model",
	    "-cpu", "host,rdtscp");
	ERR("-cpu host,: '': expected -FEATURE or FEATURE=off after the CPU "
	    "model",
	    "-cpu", "host,");
	ERR("-cpu host,rdtscp=maybe: Parameter 'rdtscp' expects 'on' or "
	    "'off'",
	    "-cpu", "host,rdtscp=maybe");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/options/defaults", test_defaults);
	g_test_add_func("/options/m", test_m);
	g_test_add_func("/options/incoming", test_incoming);
	g_test_add_func("/options/smp", test_smp);
	g_test_add_func("/options/cpu", test_cpu);
	g_test_add_func("/options/object", test_object);
	g_test_add_func("/options/object-invalid", test_object_invalid);
	g_test_add_func("/options/machine", test_machine);
	g_test_add_func("/options/kernel-append", test_kernel_append);
	g_test_add_func("/options/serial", test_serial);
	g_test_add_func("/options/flags", test_flags);
	g_test_add_func("/options/name", test_name);
	g_test_add_func("/options/debug", test_debug);
	g_test_add_func("/options/help-version", test_help_version);
	g_test_add_func("/options/invalid-option", test_invalid_option);
	g_test_add_func("/options/help-text", test_help_text);
	g_test_add_func("/options/version-text", test_version_text);
	return g_test_run();
}
