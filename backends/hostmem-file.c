/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memory-backend-file: map mem-path, a file on tmpfs, hugetlbfs or any
 * file system.  A directory gets an unlinked temporary file of its own.
 * A file that does not exist is created and kept; an empty one is sized,
 * a shorter one is an error.  Private (MAP_PRIVATE) unless share=on.
 *
 * Locking: none, see backends/hostmem.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "hostmem-int.h"
#include "util/error.h"

/* Create and unlink a file in directory @dir; returns the fd or -1. */
static int hostmem_file_tmp(HostMemBackend *be, GError **errp)
{
	g_autofree char *path = NULL;
	int fd;

	path = g_strdup_printf("%s/kvmage-%s.XXXXXX", be->mem_path, be->id);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		error_setg_errno(errp, errno,
				 "can't create backing store in "
				 "%s for backend '%s'",
				 be->mem_path, be->id);
		return -1;
	}
	if (unlink(path) < 0) {
		error_setg_errno(errp, errno, "can't unlink %s", path);
		close(fd);
		return -1;
	}
	return fd;
}

static bool hostmem_file_open(HostMemBackend *be, GError **errp)
{
	struct stat st;

	if (!stat(be->mem_path, &st) && S_ISDIR(st.st_mode)) {
		be->fd = hostmem_file_tmp(be, errp);
		return be->fd >= 0;
	}
	be->fd = open(be->mem_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (be->fd < 0) {
		error_setg_errno(errp, errno,
				 "can't open backing store %s for "
				 "backend '%s'",
				 be->mem_path, be->id);
		return false;
	}
	return true;
}

/* hugetlbfs: its page size; anything else: the base page size. */
static bool hostmem_file_page_size(HostMemBackend *be, GError **errp)
{
	struct statfs fs;

	if (fstatfs(be->fd, &fs) < 0) {
		error_setg_errno(errp, errno, "can't statfs %s", be->mem_path);
		return false;
	}
	if ((unsigned long)fs.f_type == HUGETLBFS_MAGIC)
		be->page_size = fs.f_bsize;
	else
		be->page_size = hostmem_host_page_size();
	return true;
}

static bool hostmem_file_size(HostMemBackend *be, GError **errp)
{
	struct stat st;

	if (fstat(be->fd, &st) < 0) {
		error_setg_errno(errp, errno, "can't stat %s", be->mem_path);
		return false;
	}
	if (st.st_size == 0) {
		if (ftruncate(be->fd, be->size) < 0) {
			error_setg_errno(errp, errno,
					 "can't resize %s to %" G_GUINT64_FORMAT,
					 be->mem_path, be->size);
			return false;
		}
		return true;
	}
	if ((uint64_t)st.st_size < be->size) {
		error_setg(errp,
			   "backing store %s size 0x%" G_GINT64_MODIFIER
			   "x is smaller than 'size' option 0x%" G_GINT64_MODIFIER
			   "x",
			   be->mem_path, (uint64_t)st.st_size, be->size);
		return false;
	}
	return true;
}

static bool hostmem_file_alloc(HostMemBackend *be, GError **errp)
{
	if (!hostmem_file_open(be, errp) || !hostmem_file_page_size(be, errp))
		return false;
	if (!hostmem_check_size(be, hostmem_file_class.name, be->page_size,
				be->page_size != hostmem_host_page_size(),
				errp))
		return false;
	if (!hostmem_file_size(be, errp))
		return false;
	return hostmem_map(be, errp);
}

const HostMemClass hostmem_file_class = {
	.name = "memory-backend-file",
	.share_default = false,
	.alloc = hostmem_file_alloc,
};
