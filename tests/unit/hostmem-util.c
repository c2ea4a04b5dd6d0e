/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the hostmem and prealloc unit tests. */
#include <string.h>

#include "hostmem-util.h"
#include "util/error.h"

/* "k=v,k=v" -> table; no escaping needed in these tests. */
GHashTable *props_new(const char *str)
{
	GHashTable *h =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_auto(GStrv) kv = g_strsplit(str, ",", -1);
	unsigned i;

	for (i = 0; kv[i]; i++) {
		char *eq = strchr(kv[i], '=');

		if (!*kv[i])
			continue;
		g_assert_nonnull(eq);
		g_hash_table_insert(h, g_strndup(kv[i], eq - kv[i]),
				    g_strdup(eq + 1));
	}
	return h;
}

HostMemBackend *new_ok(HostMemType type, const char *props)
{
	g_autoptr(GHashTable) h = props_new(props);
	GError *err = NULL;
	HostMemBackend *be = hostmem_new(type, "m", h, &err);

	g_assert_no_error(err);
	g_assert_nonnull(be);
	return be;
}

void new_err(HostMemType type, const char *props, const char *want)
{
	g_autoptr(GHashTable) h = props_new(props);
	GError *err = NULL;

	g_assert_null(hostmem_new(type, "m", h, &err));
	g_assert_error(err, KVMAGE_ERROR, KVMAGE_ERROR_GENERIC);
	g_assert_cmpstr(err->message, ==, want);
	g_error_free(err);
}

HostMemBackend *alloc_ok(HostMemType type, const char *props)
{
	HostMemBackend *be = new_ok(type, props);
	GError *err = NULL;

	g_assert_true(hostmem_alloc(be, &err));
	g_assert_no_error(err);
	g_assert_true(be->allocated);
	g_assert_nonnull(be->host);
	return be;
}

/* Write a pattern over the backend and read it back. */
void check_usable(HostMemBackend *be)
{
	uint64_t *p = be->host, n = be->size / sizeof(*p), i;

	for (i = 0; i < n; i += 512)
		p[i] = i * 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < n; i += 512)
		g_assert_cmphex(p[i], ==, i * 0x9e3779b97f4a7c15ULL);
}
