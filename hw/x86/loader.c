/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Loader for static ELF64 x86-64 guest programs (-kernel).  Every header
 * field is checked against the file size and every segment against guest
 * RAM before anything is copied.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hw/x86/boot.h"
#include "kvmage/guest-abi.h"
#include "util/error.h"

static bool elf_check_header(const Elf64_Ehdr *eh, gsize len, const char *path,
			     GError **errp)
{
	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0) {
		error_setg(errp, "-kernel %s: not an ELF file", path);
		return false;
	}
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_X86_64) {
		error_setg(errp, "-kernel %s: not an ELF64 x86-64 program",
			   path);
		return false;
	}
	if (eh->e_type != ET_EXEC) {
		error_setg(errp,
			   "-kernel %s: not a static executable "
			   "(ELF type %u)",
			   path, eh->e_type);
		return false;
	}
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
	    eh->e_phoff > len ||
	    (len - eh->e_phoff) / sizeof(Elf64_Phdr) < eh->e_phnum) {
		error_setg(errp, "-kernel %s: bad program headers", path);
		return false;
	}
	return true;
}

static bool elf_load_segment(RamList *ram, const guint8 *file, gsize len,
			     const Elf64_Phdr *ph, const char *path,
			     GError **errp)
{
	uint8_t *dst;

	if (ph->p_filesz > ph->p_memsz || ph->p_offset > len ||
	    len - ph->p_offset < ph->p_filesz) {
		error_setg(errp,
			   "-kernel %s: segment at 0x%" G_GINT64_MODIFIER
			   "x lies outside the file",
			   path, ph->p_paddr);
		return false;
	}
	if (ph->p_vaddr != ph->p_paddr) {
		error_setg(errp,
			   "-kernel %s: segment at 0x%" G_GINT64_MODIFIER
			   "x is not identity mapped (vaddr 0x%" G_GINT64_MODIFIER
			   "x)",
			   path, ph->p_paddr, ph->p_vaddr);
		return false;
	}
	if (ph->p_paddr < BOOT_IMAGE_MIN_GPA) {
		error_setg(errp,
			   "-kernel %s: segment at 0x%" G_GINT64_MODIFIER
			   "x is below 0x%llx, which kvmage reserves",
			   path, ph->p_paddr, BOOT_IMAGE_MIN_GPA);
		return false;
	}
	dst = ram_gpa_to_hva(ram, ph->p_paddr, ph->p_memsz);
	if (!dst) {
		error_setg(errp,
			   "-kernel %s: segment 0x%" G_GINT64_MODIFIER
			   "x+0x%" G_GINT64_MODIFIER
			   "x does not fit in guest RAM",
			   path, ph->p_paddr, ph->p_memsz);
		return false;
	}
	memcpy(dst, file + ph->p_offset, ph->p_filesz);
	memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	return true;
}

/*
 * Read a regular file no larger than @max bytes (a guest image can't be
 * larger than guest RAM): never /dev/zero or a FIFO into host memory.
 */
static guint8 *elf_read_file(const char *path, uint64_t max, gsize *len,
			     GError **errp)
{
	g_autofree guint8 *buf = NULL;
	struct stat st;
	gsize done = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		error_setg_errno(errp, errno, "-kernel %s", path);
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		error_setg_errno(errp, errno, "-kernel %s", path);
		goto err_close;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		error_setg(errp, "-kernel %s: %s", path,
			   !S_ISREG(st.st_mode) ? "not a regular file" :
						  "larger than guest RAM");
		goto err_close;
	}
	buf = g_malloc(st.st_size ? st.st_size : 1);
	while (done < (gsize)st.st_size) {
		ssize_t n = read(fd, buf + done, st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			error_setg(errp, "-kernel %s: short read", path);
			goto err_close;
		}
		done += n;
	}
	close(fd);
	*len = done;
	return g_steal_pointer(&buf);

err_close:
	close(fd);
	return NULL;
}

bool x86_load_elf(RamList *ram, const char *path, uint64_t *entry,
		  GError **errp)
{
	g_autofree guint8 *file = NULL;
	const Elf64_Ehdr *eh;
	const Elf64_Phdr *ph;
	bool entry_ok = false;
	gsize len;

	file = elf_read_file(path, ram->ram_size, &len, errp);
	if (!file)
		return false;
	eh = (const Elf64_Ehdr *)file;
	if (!elf_check_header(eh, len, path, errp))
		return false;
	ph = (const Elf64_Phdr *)(file + eh->e_phoff);
	for (unsigned i = 0; i < eh->e_phnum; i++, ph++) {
		if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
			continue;
		if (!elf_load_segment(ram, file, len, ph, path, errp))
			return false;
		if ((ph->p_flags & PF_X) && eh->e_entry >= ph->p_paddr &&
		    eh->e_entry - ph->p_paddr < ph->p_memsz)
			entry_ok = true;
	}
	if (!entry_ok) {
		error_setg(errp,
			   "-kernel %s: entry point 0x%" G_GINT64_MODIFIER
			   "x is not in an executable segment",
			   path, (uint64_t)eh->e_entry);
		return false;
	}
	*entry = eh->e_entry;
	return true;
}
