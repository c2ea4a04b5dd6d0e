/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Command-line options that create monitors: -qmp, -chardev, -mon, in
 * QEMU's syntax.  Parsing only records configurations; monitor_init_all()
 * opens them before the machine is built, as QEMU opens its chardevs.
 *
 * Locking: main thread, during start-up.
 */
#include <string.h>

#include "monitor/monitor.h"
#include "monitor-int.h"
#include "util/error.h"

static struct {
	GHashTable *chardevs; /* id -> MonitorConfig *, owned */
	GPtrArray *configs;   /* MonitorConfig * to open, owned */
	unsigned qmp_count;   /* -qmp options so far: compat_monitorN */
	unsigned seq;	      /* -qmp and -chardev options so far */
	bool opened;
} opts;

void monitor_config_free(MonitorConfig *cfg)
{
	if (!cfg)
		return;
	g_free(cfg->id);
	g_free(cfg->opt);
	g_free(cfg->label);
	g_free(cfg->path);
	g_free(cfg->host);
	g_free(cfg->port);
	g_free(cfg);
}

GPtrArray *monitor_configs(void)
{
	return opts.configs;
}

/* Split "a,b=c,,d" at single commas; ",," is a literal comma. */
static char **split_opts(const char *arg)
{
	GPtrArray *out = g_ptr_array_new();
	GString *cur = g_string_new(NULL);
	const char *p;

	for (p = arg; *p; p++) {
		if (*p == ',' && p[1] == ',') {
			g_string_append_c(cur, ',');
			p++;
		} else if (*p == ',') {
			g_ptr_array_add(out, g_string_free(cur, FALSE));
			cur = g_string_new(NULL);
		} else {
			g_string_append_c(cur, *p);
		}
	}
	g_ptr_array_add(out, g_string_free(cur, FALSE));
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

static bool parse_bool(const char *opt, const char *key, const char *val,
		       bool *out, GError **errp)
{
	if (!val || !strcmp(val, "on") || !strcmp(val, "yes") ||
	    !strcmp(val, "true")) {
		*out = true;
	} else if (!strcmp(val, "off") || !strcmp(val, "no") ||
		   !strcmp(val, "false")) {
		*out = false;
	} else {
		error_setg(errp, "%s: Parameter '%s' expects 'on' or 'off'",
			   opt, key);
		return false;
	}
	return true;
}

/*
 * Apply one "key[=value]" of a socket or stdio backend.  Flags without a
 * value ("server", "nowait") are QEMU's legacy spellings.
 */
static bool apply_param(MonitorConfig *cfg, const char *opt, char *item,
			bool chardev, GError **errp)
{
	char *eq = strchr(item, '=');
	const char *key = item, *val = NULL;

	if (eq) {
		*eq = '\0';
		val = eq + 1;
	}
	if (!strcmp(key, "server"))
		return parse_bool(opt, key, val, &cfg->server, errp);
	if (!strcmp(key, "wait"))
		return parse_bool(opt, key, val, &cfg->wait, errp);
	if (!strcmp(key, "nowait") && !val) {
		cfg->wait = false;
		return true;
	}
	if (chardev && val && !strcmp(key, "id")) {
		g_free(cfg->id);
		cfg->id = g_strdup(val);
		return true;
	}
	if (chardev && val && cfg->kind != MON_STDIO &&
	    (!strcmp(key, "path") || !strcmp(key, "host") ||
	     !strcmp(key, "port"))) {
		char **field = key[0] == 'p' && key[1] == 'a' ? &cfg->path :
			       key[0] == 'h'		      ? &cfg->host :
								&cfg->port;

		g_free(*field);
		*field = g_strdup(val);
		return true;
	}
	error_setg(errp, "%s: Invalid parameter '%s'", opt, key);
	return false;
}

/* "unix:PATH", "tcp:[HOST]:PORT" or "stdio": the -qmp address. */
static bool parse_address(MonitorConfig *cfg, const char *addr, GError **errp)
{
	const char *colon;

	if (!strcmp(addr, "stdio")) {
		cfg->kind = MON_STDIO;
	} else if (g_str_has_prefix(addr, "unix:") && addr[5]) {
		cfg->kind = MON_UNIX;
		cfg->path = g_strdup(addr + 5);
	} else if (g_str_has_prefix(addr, "tcp:") &&
		   (colon = strrchr(addr + 4, ':')) && colon[1]) {
		cfg->kind = MON_TCP;
		cfg->host = g_strndup(addr + 4, colon - addr - 4);
		cfg->port = g_strdup(colon + 1);
	} else {
		error_setg(errp,
			   "%s: '%s' is not a valid char driver "
			   "(expected unix:PATH, tcp:HOST:PORT or stdio)",
			   cfg->opt, addr);
		return false;
	}
	return true;
}

/*
 * A TCP port is a decimal number from 1 to 65535, or 0 for a server that
 * lets the kernel choose (query-chardev tells which).  Service names and
 * other spellings getaddrinfo() would take ("http", "+80", "99999" as
 * 34463) are refused.
 */
static bool check_port(MonitorConfig *cfg, GError **errp)
{
	const char *p = cfg->port;
	unsigned long v = 0;

	for (; g_ascii_isdigit(*p) && v <= 65535; p++)
		v = v * 10 + (*p - '0');
	if (!cfg->port[0] || *p || v > 65535) {
		error_setg(errp,
			   "%s: invalid port '%s': use a decimal number "
			   "from 1 to 65535 (or 0 with server=on: any free "
			   "port, see query-chardev)",
			   cfg->opt, cfg->port);
		return false;
	}
	if (v == 0 && !cfg->server) {
		error_setg(errp,
			   "%s: port 0 means any free port, which only a "
			   "server (server=on) can use",
			   cfg->opt);
		return false;
	}
	/* "080" is 80: messages and query-chardev show the number */
	g_free(cfg->port);
	cfg->port = g_strdup_printf("%lu", v);
	return true;
}

static bool finish_socket(MonitorConfig *cfg, GError **errp)
{
	if (cfg->kind == MON_TCP) {
		if (!cfg->port) {
			error_setg(errp, "%s: 'port' is required", cfg->opt);
			return false;
		}
		if (!check_port(cfg, errp))
			return false;
		/* loopback only unless the user names an address */
		if (!cfg->host || !cfg->host[0]) {
			g_free(cfg->host);
			cfg->host = g_strdup("127.0.0.1");
		}
		/* [::1] -> ::1 */
		if (cfg->host[0] == '[') {
			char *h = g_strndup(cfg->host + 1,
					    strcspn(cfg->host + 1, "]"));

			g_free(cfg->host);
			cfg->host = h;
		}
	}
	return true;
}

/* Add @cfg to the monitors to open; stdio can serve only one. */
static bool config_add(MonitorConfig *cfg, GError **errp)
{
	guint i;

	for (i = 0; cfg->kind == MON_STDIO && i < opts.configs->len; i++) {
		MonitorConfig *c = opts.configs->pdata[i];

		if (c->kind == MON_STDIO) {
			error_setg(errp,
				   "%s: cannot use stdio by multiple "
				   "character devices",
				   cfg->opt);
			return false;
		}
	}
	g_ptr_array_add(opts.configs, cfg);
	return true;
}

static MonitorConfig *config_new(const char *opt, const char *arg)
{
	MonitorConfig *cfg = g_new0(MonitorConfig, 1);

	cfg->opt = g_strdup_printf("-%s %s", opt, arg);
	cfg->wait = true; /* QEMU's default for server=on */
	cfg->seq = opts.seq++;
	return cfg;
}

static bool parse_qmp(const char *arg, GError **errp)
{
	MonitorConfig *cfg = config_new("qmp", arg);
	g_auto(GStrv) items = split_opts(arg);
	int i;

	/* QEMU names the chardev of each -qmp, failed or not, in order */
	cfg->label = g_strdup_printf("compat_monitor%u", opts.qmp_count++);

	if (!parse_address(cfg, items[0], errp))
		goto fail;
	for (i = 1; items[i]; i++) {
		if (cfg->kind == MON_STDIO ||
		    !apply_param(cfg, cfg->opt, items[i], false, errp)) {
			if (cfg->kind == MON_STDIO)
				error_setg(errp, "%s: Invalid parameter '%s'",
					   cfg->opt, items[i]);
			goto fail;
		}
	}
	if (!finish_socket(cfg, errp) || !config_add(cfg, errp))
		goto fail;
	return true;
fail:
	monitor_config_free(cfg);
	return false;
}

static bool parse_chardev(const char *arg, GError **errp)
{
	MonitorConfig *cfg = config_new("chardev", arg);
	g_auto(GStrv) items = split_opts(arg);
	int i;

	if (!strcmp(items[0], "stdio")) {
		cfg->kind = MON_STDIO;
	} else if (!strcmp(items[0], "socket")) {
		cfg->kind = MON_UNIX;
	} else {
		error_setg(errp,
			   "%s: chardev backend '%s' is not supported "
			   "(socket or stdio)",
			   cfg->opt, items[0]);
		goto fail;
	}
	for (i = 1; items[i]; i++) {
		if (!apply_param(cfg, cfg->opt, items[i], true, errp))
			goto fail;
	}
	if (!cfg->id) {
		error_setg(errp, "%s: Parameter 'id' is missing", cfg->opt);
		goto fail;
	}
	cfg->label = g_strdup(cfg->id);
	if (cfg->kind != MON_STDIO) {
		if (!!cfg->path == !!(cfg->host || cfg->port)) {
			error_setg(errp,
				   "%s: give either 'path' or 'host' and "
				   "'port'",
				   cfg->opt);
			goto fail;
		}
		cfg->kind = cfg->path ? MON_UNIX : MON_TCP;
	}
	if (!finish_socket(cfg, errp))
		goto fail;
	if (g_hash_table_contains(opts.chardevs, cfg->id)) {
		error_setg(errp,
			   "%s: attempt to add duplicate property '%s' "
			   "to object (type 'container')",
			   cfg->opt, cfg->id);
		goto fail;
	}
	g_hash_table_insert(opts.chardevs, cfg->id, cfg);
	return true;
fail:
	monitor_config_free(cfg);
	return false;
}

static MonitorConfig *config_copy(const MonitorConfig *c, const char *opt)
{
	MonitorConfig *cfg = g_memdup2(c, sizeof(*c));

	cfg->id = g_strdup(c->id);
	cfg->opt = g_strdup(opt);
	cfg->label = g_strdup(c->label);
	cfg->path = g_strdup(c->path);
	cfg->host = g_strdup(c->host);
	cfg->port = g_strdup(c->port);
	return cfg;
}

static bool parse_mon(const char *arg, GError **errp)
{
	g_autofree char *opt = g_strdup_printf("-mon %s", arg);
	g_auto(GStrv) items = split_opts(arg);
	const char *chardev = NULL, *mode = NULL;
	MonitorConfig *dev, *cfg;
	bool pretty = false;
	guint i;

	for (i = 0; items[i]; i++) {
		char *eq = strchr(items[i], '=');

		if (eq)
			*eq++ = '\0';
		if (eq && !strcmp(items[i], "chardev")) {
			chardev = eq;
		} else if (eq && !strcmp(items[i], "mode")) {
			mode = eq;
		} else if (!strcmp(items[i], "pretty")) {
			if (!parse_bool(opt, "pretty", eq, &pretty, errp))
				return false;
		} else {
			error_setg(errp, "%s: Invalid parameter '%s'", opt,
				   items[i]);
			return false;
		}
	}
	if (!chardev) {
		error_setg(errp, "%s: Parameter 'chardev' is missing", opt);
		return false;
	}
	if (!mode || strcmp(mode, "control")) {
		error_setg(errp, "%s: only mode=control (QMP) is supported",
			   opt);
		return false;
	}
	dev = g_hash_table_lookup(opts.chardevs, chardev);
	if (!dev) {
		error_setg(errp, "%s: chardev \"%s\" not found", opt, chardev);
		return false;
	}
	for (i = 0; i < opts.configs->len; i++) {
		MonitorConfig *c = opts.configs->pdata[i];

		if (c->id && !strcmp(c->id, chardev)) {
			error_setg(errp, "%s: chardev '%s' is already in use",
				   opt, chardev);
			return false;
		}
	}
	cfg = config_copy(dev, opt);
	cfg->pretty = pretty;
	if (!config_add(cfg, errp)) {
		monitor_config_free(cfg);
		return false;
	}
	return true;
}

bool monitor_is_opt(const char *opt)
{
	return !strcmp(opt, "qmp") || !strcmp(opt, "chardev") ||
	       !strcmp(opt, "mon");
}

bool monitor_parse_opt(const char *opt, const char *arg, GError **errp)
{
	if (!opts.configs) {
		opts.configs = g_ptr_array_new_with_free_func(
			(GDestroyNotify)monitor_config_free);
		opts.chardevs =
			g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					      (GDestroyNotify)
						      monitor_config_free);
	}
	if (!strcmp(opt, "qmp"))
		return parse_qmp(arg, errp);
	if (!strcmp(opt, "chardev"))
		return parse_chardev(arg, errp);
	if (!strcmp(opt, "mon"))
		return parse_mon(arg, errp);
	error_setg(errp, "-%s: not a monitor option", opt);
	return false;
}

bool monitor_init_all(GError **errp)
{
	guint i;

	if (!opts.configs || opts.opened)
		return true;
	opts.opened = true;
	for (i = 0; i < opts.configs->len; i++) {
		if (!monitor_open(opts.configs->pdata[i], errp))
			return false;
	}
	return true;
}
