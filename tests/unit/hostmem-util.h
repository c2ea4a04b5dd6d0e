/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the hostmem and prealloc unit tests. */
#ifndef TESTS_UNIT_HOSTMEM_UTIL_H
#define TESTS_UNIT_HOSTMEM_UTIL_H

#include <glib.h>

#include "backends/hostmem.h"

#define MiB (1ULL << 20)

GHashTable *props_new(const char *str);
HostMemBackend *new_ok(HostMemType type, const char *props);
void new_err(HostMemType type, const char *props, const char *want);
HostMemBackend *alloc_ok(HostMemType type, const char *props);
/* The mapping can be written and read back. */
void check_usable(HostMemBackend *be);

#endif
