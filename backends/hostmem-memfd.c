/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memory-backend-memfd: an anonymous file from memfd_create(), shared by
 * default so that another process can map it, optionally on hugetlbfs
 * (hugetlb=on, hugetlbsize=SIZE) and sealed against resizing (seal=on).
 *
 * Locking: none, see backends/hostmem.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/memfd.h>

#include "hostmem-int.h"
#include "util/error.h"
#include "util/size.h"

#define HOSTMEM_SEALS (F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL)

static unsigned hostmem_memfd_flags(HostMemBackend *be)
{
	unsigned flags = MFD_CLOEXEC;

	if (be->seal)
		flags |= MFD_ALLOW_SEALING;
	if (be->hugetlb) {
		flags |= MFD_HUGETLB;
		/* log2 of the size in the MFD_HUGE_SHIFT bits; 0: default */
		if (be->hugetlbsize)
			flags |= (unsigned)__builtin_ctzll(be->hugetlbsize)
				 << MFD_HUGE_SHIFT;
	}
	return flags;
}

static bool hostmem_memfd_open(HostMemBackend *be, GError **errp)
{
	g_autofree char *name = g_strdup_printf("kvmage-%s", be->id);
	unsigned flags = hostmem_memfd_flags(be);
	struct statfs fs;

	be->fd = memfd_create(name, flags);
	if (be->fd < 0) {
		g_autofree char *hs = size_to_str(be->hugetlbsize);

		error_setg_errno(errp, errno,
				 "cannot create memfd for backend "
				 "'%s'%s%s",
				 be->id,
				 be->hugetlbsize ? " with huge page size " : "",
				 be->hugetlbsize ? hs : "");
		return false;
	}
	if (!be->hugetlb) {
		be->page_size = hostmem_host_page_size();
		return true;
	}
	/* hugetlbfs reports its page size as the block size */
	if (fstatfs(be->fd, &fs) < 0) {
		error_setg_errno(errp, errno,
				 "cannot stat memfd of backend "
				 "'%s'",
				 be->id);
		return false;
	}
	be->page_size = fs.f_bsize;
	return true;
}

static bool hostmem_memfd_alloc(HostMemBackend *be, GError **errp)
{
	if (!hostmem_memfd_open(be, errp))
		return false;
	if (!hostmem_check_size(be, hostmem_memfd_class.name, be->page_size,
				be->hugetlb, errp))
		return false;
	if (ftruncate(be->fd, be->size) < 0) {
		error_setg_errno(errp, errno,
				 "cannot resize memfd of backend "
				 "'%s' to %" G_GUINT64_FORMAT,
				 be->id, be->size);
		return false;
	}
	if (be->seal && fcntl(be->fd, F_ADD_SEALS, HOSTMEM_SEALS) < 0) {
		error_setg_errno(errp, errno,
				 "cannot seal memfd of backend "
				 "'%s'",
				 be->id);
		return false;
	}
	return hostmem_map(be, errp);
}

const HostMemClass hostmem_memfd_class = {
	.name = "memory-backend-memfd",
	.share_default = true,
	.alloc = hostmem_memfd_alloc,
};
