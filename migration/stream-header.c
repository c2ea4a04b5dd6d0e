/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The migration stream's header: magic, version and the source's memory
 * layout, checked against the receiver's before anything is written to
 * it (see include/migration/stream.h).
 */
#include <string.h>

#include "backends/hostmem.h"
#include "migration/stream.h"
#include "util/error.h"
#include "util/size.h"

/* One migrating bank as the header carries it. */
typedef struct MigBankDesc {
	char id[MIG_STREAM_MAX_ID_LEN + 1];   /* memdev id */
	char type[MIG_STREAM_MAX_ID_LEN + 1]; /* backend's QOM type */
	uint32_t bank_type;		      /* RamBankType */
	uint64_t gpa, size, page_size;
} MigBankDesc;

bool mig_bank_migrates(const RamBank *b)
{
	return b->backend != NULL;
}

static unsigned count_banks(RamList *ram)
{
	unsigned n = 0;
	RamBank *b;

	ram_for_each_bank(ram, b)
		n += mig_bank_migrates(b);
	return n;
}

bool mig_put_str(MigStream *s, const char *str, GError **errp)
{
	size_t len = MIN(strlen(str), MIG_STREAM_MAX_ID_LEN);

	return mig_put_u32(s, len, errp) && mig_put(s, str, len, errp);
}

bool mig_get_str(MigStream *s, char *out, const char *what, GError **errp)
{
	uint32_t len;

	if (!mig_get_u32(s, &len, what, errp))
		return false;
	if (len > MIG_STREAM_MAX_ID_LEN) {
		error_setg(errp,
			   "migration stream: %s of %u bytes (at most %d)",
			   what, len, MIG_STREAM_MAX_ID_LEN);
		return false;
	}
	if (!mig_get(s, out, len, what, errp))
		return false;
	out[len] = 0;
	return true;
}

bool mig_header_write(MigStream *s, RamList *ram, GError **errp)
{
	RamBank *b;

	if (!mig_put(s, MIG_STREAM_MAGIC, MIG_STREAM_MAGIC_LEN, errp) ||
	    !mig_put_u32(s, MIG_STREAM_VERSION, errp) ||
	    !mig_put_u32(s, count_banks(ram), errp))
		return false;
	ram_for_each_bank(ram, b) {
		if (!mig_bank_migrates(b))
			continue;
		if (!mig_put_str(s, b->backend->id, errp) ||
		    !mig_put_str(s, hostmem_type_name(b->backend->type),
				 errp) ||
		    !mig_put_u32(s, b->type, errp) ||
		    !mig_put_u64(s, b->gpa, errp) ||
		    !mig_put_u64(s, b->size, errp) ||
		    !mig_put_u64(s, b->page_size, errp))
			return false;
	}
	return true;
}

static bool read_bank(MigStream *s, MigBankDesc *d, GError **errp)
{
	return mig_get_str(s, d->id, "memdev id", errp) &&
	       mig_get_str(s, d->type, "backend type", errp) &&
	       mig_get_u32(s, &d->bank_type, "bank type", errp) &&
	       mig_get_u64(s, &d->gpa, "bank gpa", errp) &&
	       mig_get_u64(s, &d->size, "bank size", errp) &&
	       mig_get_u64(s, &d->page_size, "bank page size", errp);
}

/* "bank N (memdev 'id' at gpa 0x...): <what> is A in the stream, B here" */
static bool differs(const MigBankDesc *d, unsigned i, const char *what,
		    const char *theirs, const char *ours, GError **errp)
{
	error_setg(errp,
		   "memory layout differs: bank %u (memdev '%s' at gpa "
		   "0x%" G_GINT64_MODIFIER "x): %s is %s in the stream, %s "
		   "here",
		   i, d->id, d->gpa, what, theirs, ours);
	return false;
}

static bool differs_size(const MigBankDesc *d, unsigned i, const char *what,
			 uint64_t theirs, uint64_t ours, GError **errp)
{
	g_autofree char *t = size_to_str(theirs);
	g_autofree char *o = size_to_str(ours);

	return differs(d, i, what, t, o, errp);
}

static bool check_bank(const MigBankDesc *d, unsigned i, RamBank *b,
		       GError **errp)
{
	const char *type = hostmem_type_name(b->backend->type);
	char t[32], o[32];

	if (strcmp(d->id, b->backend->id))
		return differs(d, i, "memdev id", d->id, b->backend->id, errp);
	if (d->gpa != b->gpa) {
		g_snprintf(t, sizeof(t), "0x%" G_GINT64_MODIFIER "x", d->gpa);
		g_snprintf(o, sizeof(o), "0x%" G_GINT64_MODIFIER "x", b->gpa);
		return differs(d, i, "gpa", t, o, errp);
	}
	if (d->size != b->size)
		return differs_size(d, i, "size", d->size, b->size, errp);
	if (d->page_size != b->page_size)
		return differs_size(d, i, "page size", d->page_size,
				    b->page_size, errp);
	if (strcmp(d->type, type))
		return differs(d, i, "backend type", d->type, type, errp);
	if (d->bank_type != b->type)
		return differs(d, i, "bank type",
			       ram_bank_type_str((RamBankType)d->bank_type),
			       ram_bank_type_str(b->type), errp);
	return true;
}

static bool check_magic_version(MigStream *s, GError **errp)
{
	char magic[MIG_STREAM_MAGIC_LEN];
	uint32_t version;

	if (!mig_get(s, magic, sizeof(magic), "stream magic", errp))
		return false;
	if (memcmp(magic, MIG_STREAM_MAGIC, sizeof(magic))) {
		error_setg(errp, "not a kvmage migration stream (bad magic)");
		return false;
	}
	if (!mig_get_u32(s, &version, "stream version", errp))
		return false;
	if (version != MIG_STREAM_VERSION) {
		error_setg(errp,
			   "migration stream version %u, this kvmage reads "
			   "version %d",
			   version, MIG_STREAM_VERSION);
		return false;
	}
	return true;
}

bool mig_header_read(MigStream *s, RamList *ram, GError **errp)
{
	unsigned ours = count_banks(ram), i = 0;
	MigBankDesc d;
	uint32_t n;
	RamBank *b;

	if (!check_magic_version(s, errp) ||
	    !mig_get_u32(s, &n, "number of banks", errp))
		return false;
	if (n != ours) {
		error_setg(errp,
			   "memory layout differs: %u memory banks in the "
			   "stream, %u here",
			   n, ours);
		return false;
	}
	ram_for_each_bank(ram, b) {
		if (!mig_bank_migrates(b))
			continue;
		if (!read_bank(s, &d, errp) || !check_bank(&d, i, b, errp))
			return false;
		i++;
	}
	return true;
}
