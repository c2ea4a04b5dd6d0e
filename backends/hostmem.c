/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The abstract host memory backend: the property table, parsing and
 * checking of -object properties, and what every backend type does around
 * its allocation (madvise, preallocation, unmapping).
 *
 * Locking: none.  A backend is created, allocated and freed by the main
 * thread before vCPUs run (see backends/hostmem.h); so is the list of
 * live backends (hostmem_find(), hostmem_foreach()).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backends/hostmem.h"
#include "hostmem-int.h"
#include "util/error.h"
#include "util/size.h"

/* Every live backend, in creation order (QEMU's /objects).  Main thread. */
static GPtrArray *hostmem_list;

#define T_RAM	(1u << HOSTMEM_RAM)
#define T_MEMFD (1u << HOSTMEM_MEMFD)
#define T_FILE	(1u << HOSTMEM_FILE)
#define T_ALL	(T_RAM | T_MEMFD | T_FILE)

typedef enum {
	PROP_SIZE,   /* uint64_t, QEMU size syntax, bare number = bytes */
	PROP_BOOL,   /* bool, on/off */
	PROP_UINT32, /* unsigned */
	PROP_STR,    /* char *, owned */
} HostMemPropKind;

typedef struct HostMemProp {
	const char *name;
	HostMemPropKind kind;
	unsigned types; /* T_* the property applies to */
	size_t offset;	/* of the field in HostMemBackend */
	const char *desc;
} HostMemProp;

#define PROP(n, k, t, field, d)                             \
	{                                                   \
		n, k, t, offsetof(HostMemBackend, field), d \
	}

static const HostMemProp hostmem_props[] = {
	PROP("size", PROP_SIZE, T_ALL, size,
	     "Size of the memory region (ex: 500M), required"),
	PROP("share", PROP_BOOL, T_ALL, share,
	     "MAP_SHARED, else private (default: on for memfd only)"),
	PROP("prealloc", PROP_BOOL, T_ALL, prealloc,
	     "Populate every page before the guest starts"),
	PROP("prealloc-threads", PROP_UINT32, T_ALL, prealloc_threads,
	     "Number of threads used for prealloc (default 1)"),
	PROP("merge", PROP_BOOL, T_ALL, merge,
	     "Mark the memory as mergeable by KSM (default on)"),
	PROP("dump", PROP_BOOL, T_ALL, dump,
	     "Set to 'off' to exclude the memory from core dumps"),
	PROP("hugetlb", PROP_BOOL, T_MEMFD, hugetlb,
	     "Use huge pages (hugetlbfs)"),
	PROP("hugetlbsize", PROP_SIZE, T_MEMFD, hugetlbsize,
	     "Huge page size (ex: 2M, 1G), default: the system's"),
	PROP("seal", PROP_BOOL, T_MEMFD, seal,
	     "Seal growing and shrinking of the memfd (default on)"),
	PROP("mem-path", PROP_STR, T_FILE, mem_path,
	     "File, or directory for an unlinked file, to map; required"),
};

static const HostMemClass *const hostmem_classes[] = {
	[HOSTMEM_RAM] = &hostmem_ram_class,
	[HOSTMEM_MEMFD] = &hostmem_memfd_class,
	[HOSTMEM_FILE] = &hostmem_file_class,
};

const char *hostmem_type_name(HostMemType type)
{
	if ((unsigned)type >= G_N_ELEMENTS(hostmem_classes))
		return "memory-backend-?";
	return hostmem_classes[type]->name;
}

bool hostmem_type_parse(const char *qom_type, HostMemType *type)
{
	unsigned i;

	for (i = 0; i < G_N_ELEMENTS(hostmem_classes); i++) {
		if (qom_type && !strcmp(qom_type, hostmem_classes[i]->name)) {
			*type = i;
			return true;
		}
	}
	return false;
}

void hostmem_print_help(HostMemType type, FILE *out)
{
	unsigned i;

	fprintf(out, "%s options:\n", hostmem_type_name(type));
	for (i = 0; i < G_N_ELEMENTS(hostmem_props); i++) {
		const HostMemProp *p = &hostmem_props[i];
		const char *kind = p->kind == PROP_BOOL ? "bool" :
				   p->kind == PROP_STR	? "string" :
				   p->kind == PROP_SIZE ? "size" :
							  "int";
		g_autofree char *lhs = NULL;

		if (!(p->types & (1u << type)))
			continue;
		lhs = g_strdup_printf("%s=<%s>", p->name, kind);
		fprintf(out, "  %-22s - %s\n", lhs, p->desc);
	}
}

static const HostMemProp *hostmem_prop_find(const char *name)
{
	unsigned i;

	for (i = 0; i < G_N_ELEMENTS(hostmem_props); i++)
		if (!strcmp(hostmem_props[i].name, name))
			return &hostmem_props[i];
	return NULL;
}

static bool hostmem_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "on", "yes", "true", "y" };
	static const char *const no[] = { "off", "no", "false", "n" };
	unsigned i;

	for (i = 0; i < G_N_ELEMENTS(yes); i++) {
		if (!strcmp(s, yes[i]) || !strcmp(s, no[i])) {
			*out = !strcmp(s, yes[i]);
			return true;
		}
	}
	return false;
}

/* Decimal or 0x hex, no sign: what QEMU's uint parser accepts. */
static bool hostmem_parse_u64(const char *s, uint64_t *out)
{
	guint64 v;
	unsigned base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!g_ascii_isxdigit(*s))
		return false;
	if (!g_ascii_string_to_unsigned(s, base, 0, G_MAXUINT64, &v, NULL))
		return false;
	*out = v;
	return true;
}

static bool hostmem_prop_set(HostMemBackend *be, const HostMemProp *p,
			     const char *val, GError **errp)
{
	void *field = (char *)be + p->offset;
	uint64_t u;

	switch (p->kind) {
	case PROP_SIZE:
		if (!size_parse(val, 'B', field, NULL)) {
			error_setg(errp, "Parameter '%s' expects a size value",
				   p->name);
			return false;
		}
		return true;
	case PROP_BOOL:
		if (!hostmem_parse_bool(val, field)) {
			error_setg(errp, "Parameter '%s' expects 'on' or 'off'",
				   p->name);
			return false;
		}
		return true;
	case PROP_UINT32:
		if (!hostmem_parse_u64(val, &u)) {
			error_setg(errp,
				   "Parameter '%s' expects a uint64 "
				   "value",
				   p->name);
			return false;
		}
		if (u > UINT32_MAX) {
			error_setg(errp, "Parameter '%s' expects uint32_t",
				   p->name);
			return false;
		}
		*(unsigned *)field = u;
		return true;
	case PROP_STR:
		g_free(*(char **)field);
		*(char **)field = g_strdup(val);
		return true;
	}
	return false;
}

static void hostmem_set_defaults(HostMemBackend *be)
{
	be->share = hostmem_classes[be->type]->share_default;
	be->prealloc_threads = 1;
	be->merge = true;
	be->dump = true;
	be->seal = true;
	be->fd = -1;
}

static int hostmem_key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Apply every "key"="value" of @props, in key order so that the first
 * error reported does not depend on hashing.  Sets bit i of *@seen for
 * hostmem_props[i].
 */
static bool hostmem_apply_props(HostMemBackend *be, GHashTable *props,
				uint64_t *seen, GError **errp)
{
	g_autofree const char **keys = NULL;
	guint i, n = 0;

	*seen = 0;
	if (!props)
		return true;
	keys = (const char **)g_hash_table_get_keys_as_array(props, &n);
	qsort(keys, n, sizeof(*keys), hostmem_key_cmp);
	for (i = 0; i < n; i++) {
		const HostMemProp *p;

		if (!strcmp(keys[i], "id") || !strcmp(keys[i], "qom-type"))
			continue;
		p = hostmem_prop_find(keys[i]);
		if (!p || !(p->types & (1u << be->type))) {
			error_setg(errp, "Invalid parameter '%s'", keys[i]);
			return false;
		}
		if (!hostmem_prop_set(be, p,
				      g_hash_table_lookup(props, keys[i]),
				      errp))
			return false;
		*seen |= 1ULL << (p - hostmem_props);
	}
	return true;
}

static bool hostmem_seen(uint64_t seen, const char *name)
{
	return seen & (1ULL << (hostmem_prop_find(name) - hostmem_props));
}

static bool hostmem_check(HostMemBackend *be, uint64_t seen, GError **errp)
{
	const char *tn = hostmem_type_name(be->type);

	if (!hostmem_seen(seen, "size")) {
		error_setg(errp, "Parameter 'size' is missing");
		return false;
	}
	if (be->type == HOSTMEM_FILE && !be->mem_path) {
		error_setg(errp, "Parameter 'mem-path' is missing");
		return false;
	}
	if (be->mem_path && !be->mem_path[0]) {
		error_setg(errp,
			   "property 'mem-path' of %s doesn't take "
			   "value ''",
			   tn);
		return false;
	}
	if (!be->size) {
		error_setg(errp, "property 'size' of %s doesn't take value '0'",
			   tn);
		return false;
	}
	if (!be->prealloc_threads) {
		error_setg(errp,
			   "property 'prealloc-threads' of %s doesn't "
			   "take value '0'",
			   tn);
		return false;
	}
	if (hostmem_seen(seen, "hugetlbsize") && !be->hugetlb) {
		error_setg(errp,
			   "property 'hugetlbsize' of %s needs "
			   "'hugetlb=on'",
			   tn);
		return false;
	}
	if (be->hugetlbsize && (be->hugetlbsize & (be->hugetlbsize - 1) ||
				be->hugetlbsize < hostmem_host_page_size())) {
		error_setg(errp,
			   "property 'hugetlbsize' of %s must be a "
			   "power of 2 of at least the page size",
			   tn);
		return false;
	}
	if (be->hugetlbsize && be->size % be->hugetlbsize) {
		g_autofree char *sz = size_to_str(be->size);
		g_autofree char *hs = size_to_str(be->hugetlbsize);

		error_setg(errp,
			   "property 'size' of %s: %s is not a multiple "
			   "of 'hugetlbsize' %s",
			   tn, sz, hs);
		return false;
	}
	return hostmem_check_size(be, hostmem_classes[be->type]->name,
				  hostmem_host_page_size(), false, errp);
}

HostMemBackend *hostmem_new(HostMemType type, const char *id, GHashTable *props,
			    GError **errp)
{
	HostMemBackend *be;
	uint64_t seen;

	if ((unsigned)type >= G_N_ELEMENTS(hostmem_classes)) {
		error_setg(errp, "Invalid memory backend type %d", type);
		return NULL;
	}
	be = g_new0(HostMemBackend, 1);
	be->id = g_strdup(id ? id : "");
	be->type = type;
	hostmem_set_defaults(be);
	if (!hostmem_apply_props(be, props, &seen, errp) ||
	    !hostmem_check(be, seen, errp)) {
		hostmem_free(be);
		return NULL;
	}
	if (!hostmem_list)
		hostmem_list = g_ptr_array_new();
	g_ptr_array_add(hostmem_list, be);
	return be;
}

/* Main thread. */
HostMemBackend *hostmem_find(const char *id)
{
	for (guint i = 0; hostmem_list && i < hostmem_list->len; i++) {
		HostMemBackend *be = g_ptr_array_index(hostmem_list, i);

		if (!strcmp(be->id, id))
			return be;
	}
	return NULL;
}

/* Main thread; @fn must not create or free backends. */
bool hostmem_foreach(HostMemForeachFn fn, void *opaque, GError **errp)
{
	for (guint i = 0; hostmem_list && i < hostmem_list->len; i++) {
		if (!fn(g_ptr_array_index(hostmem_list, i), opaque, errp))
			return false;
	}
	return true;
}

/* madvise(), where EINVAL means "not built into this kernel". */
static bool hostmem_advise(HostMemBackend *be, int advice, const char *what,
			   bool optional, GError **errp)
{
	if (!madvise(be->host, be->size, advice))
		return true;
	if (errno == EINVAL && optional)
		return true;
	error_setg_errno(errp, errno, "madvise(%s) on backend '%s' failed",
			 what, be->id);
	return false;
}

static bool hostmem_advise_all(HostMemBackend *be, GError **errp)
{
	/* KSM and THP may be compiled out; merging is best effort as in QEMU */
	if (!hostmem_advise(be, be->merge ? MADV_MERGEABLE : MADV_UNMERGEABLE,
			    be->merge ? "MADV_MERGEABLE" : "MADV_UNMERGEABLE",
			    true, errp))
		return false;
	if (!be->dump &&
	    !hostmem_advise(be, MADV_DONTDUMP, "MADV_DONTDUMP", false, errp))
		return false;
	/* THP is "madvise" on typical hosts: ask for it on anonymous RAM. */
	if (be->fd < 0 &&
	    !hostmem_advise(be, MADV_HUGEPAGE, "MADV_HUGEPAGE", true, errp))
		return false;
	return true;
}

static void hostmem_release(HostMemBackend *be)
{
	if (be->host) {
		munmap(be->host, be->size);
		be->host = NULL;
	}
	if (be->fd >= 0) {
		close(be->fd);
		be->fd = -1;
	}
	be->page_size = 0;
	be->allocated = false;
}

/* One "Key:   N kB" figure of /proc/meminfo, in bytes; 0 if absent. */
static uint64_t hostmem_meminfo(const char *info, const char *key)
{
	const char *p = strstr(info, key);

	return p ? g_ascii_strtoull(p + strlen(key), NULL, 10) * 1024 : 0;
}

/*
 * prealloc=on of anonymous or memfd RAM larger than what the host can give
 * would end in the OOM killer, not in an error: refuse it up front.  Huge
 * pages are reserved at mmap time and need no check; file backends may sit
 * on a disk and are not checked.
 */
static bool hostmem_check_fits(HostMemBackend *be, GError **errp)
{
	g_autofree char *info = NULL;
	g_autofree char *want = NULL, *avail = NULL;
	uint64_t have;

	if (!be->prealloc || be->hugetlb || be->type == HOSTMEM_FILE ||
	    !g_file_get_contents("/proc/meminfo", &info, NULL, NULL))
		return true;
	have = hostmem_meminfo(info, "MemAvailable:") +
	       hostmem_meminfo(info, "SwapFree:");
	if (be->size <= have)
		return true;
	want = size_to_str(be->size);
	avail = size_to_str(have);
	error_setg(errp,
		   "Cannot preallocate memory for backend '%s': size %s "
		   "does not fit in the host's available memory and swap (%s)",
		   be->id, want, avail);
	return false;
}

bool hostmem_alloc(HostMemBackend *be, GError **errp)
{
	GError *err = NULL;

	if (be->allocated) {
		error_setg(errp, "backend '%s' is already allocated", be->id);
		return false;
	}
	if (!hostmem_check_fits(be, errp))
		return false;
	if (!hostmem_classes[be->type]->alloc(be, errp))
		goto fail;
	if (!hostmem_advise_all(be, errp))
		goto fail;
	if (be->prealloc && !prealloc_range(be->host, be->size, be->page_size,
					    be->prealloc_threads,
					    be->share ? be->fd : -1, &err)) {
		g_propagate_prefixed_error(errp, err,
					   "Cannot preallocate "
					   "memory for backend '%s': ",
					   be->id);
		goto fail;
	}
	be->allocated = true;
	return true;
fail:
	hostmem_release(be);
	return false;
}

void *hostmem_map_alias(HostMemBackend *be, uint64_t offset, uint64_t len,
			GError **errp)
{
	void *p;

	if (!be->allocated || be->fd < 0 || !be->share) {
		error_setg(errp,
			   "backend '%s' (%s%s) has no shared file to map "
			   "twice: use memory-backend-memfd or "
			   "memory-backend-file with share=on",
			   be->id, hostmem_type_name(be->type),
			   be->allocated ? "" : ", not allocated");
		return NULL;
	}
	if (!len || offset > be->size || len > be->size - offset ||
	    offset % be->page_size || len % be->page_size) {
		error_setg(errp,
			   "alias of backend '%s': range [0x%" G_GINT64_MODIFIER
			   "x, +0x%" G_GINT64_MODIFIER "x) is empty, outside "
			   "it or not aligned to its pages",
			   be->id, offset, len);
		return NULL;
	}
	/* hugetlbfs: a shared mapping takes no second reservation. */
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, be->fd, offset);
	if (p == MAP_FAILED) {
		error_setg_errno(errp, errno,
				 "unable to map an alias of backend '%s'",
				 be->id);
		return NULL;
	}
	return p;
}

void hostmem_unmap_alias(void *alias, uint64_t len)
{
	/* Unmapping a whole mapping we made cannot fail. */
	if (alias && munmap(alias, len))
		g_warning("hostmem: munmap of an alias: %s", g_strerror(errno));
}

void hostmem_free(HostMemBackend *be)
{
	if (!be)
		return;
	if (hostmem_list)
		g_ptr_array_remove(hostmem_list, be);
	hostmem_release(be);
	g_free(be->mem_path);
	g_free(be->id);
	g_free(be);
}
