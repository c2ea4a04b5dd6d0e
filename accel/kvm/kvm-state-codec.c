/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vCPU state blob (docs/interop/vcpu-state.rst): a header (magic,
 * version, part count), a table of (part type, length) and the parts'
 * payloads in table order.  Every integer of the header and table is
 * little-endian; the payloads are the x86-64 KVM UAPI structures, which
 * are little-endian on the only hosts kvmage runs on.  Pure code.
 */
#include <string.h>

#include "accel/kvm-state.h"
#include "util/error.h"

G_STATIC_ASSERT(G_BYTE_ORDER == G_LITTLE_ENDIAN);

#define VCPU_BLOB_MAGIC	  "KVMAGEVS"
#define VCPU_BLOB_VERSION 1
#define VCPU_BLOB_HDR	  16 /* magic[8], version u32, nr_parts u32 */
#define VCPU_BLOB_ENTRY	  8  /* type u32, length u32 */

/* Fixed payload sizes, 0 for the variable parts (XSAVE, MSRS). */
static size_t vcpu_part_fixed_size(unsigned type)
{
	switch (type) {
	case VCPU_STATE_PART_REGS:
		return sizeof(struct kvm_regs);
	case VCPU_STATE_PART_SREGS:
		return sizeof(struct kvm_sregs);
	case VCPU_STATE_PART_SREGS2:
		return sizeof(struct kvm_sregs2);
	case VCPU_STATE_PART_FPU:
		return sizeof(struct kvm_fpu);
	case VCPU_STATE_PART_XCRS:
		return sizeof(struct kvm_xcrs);
	case VCPU_STATE_PART_EVENTS:
		return sizeof(struct kvm_vcpu_events);
	case VCPU_STATE_PART_DEBUGREGS:
		return sizeof(struct kvm_debugregs);
	default:
		return 0;
	}
}

/* Where part @type lives in @st, and its length. */
static void *vcpu_part_ptr(const VcpuState *st, unsigned type, size_t *len)
{
	*len = vcpu_part_fixed_size(type);
	switch (type) {
	case VCPU_STATE_PART_REGS:
		return (void *)&st->regs;
	case VCPU_STATE_PART_SREGS:
		return (void *)&st->sregs;
	case VCPU_STATE_PART_SREGS2:
		return (void *)&st->sregs2;
	case VCPU_STATE_PART_FPU:
		return (void *)&st->fpu;
	case VCPU_STATE_PART_XCRS:
		return (void *)&st->xcrs;
	case VCPU_STATE_PART_EVENTS:
		return (void *)&st->events;
	case VCPU_STATE_PART_DEBUGREGS:
		return (void *)&st->debugregs;
	case VCPU_STATE_PART_XSAVE:
		*len = st->xsave_size;
		return st->xsave;
	case VCPU_STATE_PART_MSRS:
		*len = (size_t)st->nr_msrs * sizeof(struct kvm_msr_entry);
		return st->msrs;
	}
	g_assert_not_reached();
}

void vcpu_state_clear(VcpuState *st)
{
	g_free(st->xsave);
	g_free(st->msrs);
	memset(st, 0, sizeof(*st));
}

size_t vcpu_state_size(const VcpuState *st)
{
	size_t size = VCPU_BLOB_HDR, len;

	for (unsigned t = 1; t <= VCPU_STATE_PART_MAX; t++) {
		if (!VCPU_STATE_HAS(st, t))
			continue;
		vcpu_part_ptr(st, t, &len);
		size += VCPU_BLOB_ENTRY + len;
	}
	return size;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	v = GUINT32_TO_LE(v);
	memcpy(p, &v, 4);
}

static uint32_t get_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return GUINT32_FROM_LE(v);
}

size_t vcpu_state_encode(const VcpuState *st, void *buf, size_t size)
{
	uint8_t *p = buf, *table = p + VCPU_BLOB_HDR, *data;
	unsigned nr = 0;
	size_t len;

	g_assert(size >= vcpu_state_size(st));
	for (unsigned t = 1; t <= VCPU_STATE_PART_MAX; t++)
		nr += VCPU_STATE_HAS(st, t);
	memcpy(p, VCPU_BLOB_MAGIC, 8);
	put_le32(p + 8, VCPU_BLOB_VERSION);
	put_le32(p + 12, nr);
	data = table + (size_t)nr * VCPU_BLOB_ENTRY;
	for (unsigned t = 1; t <= VCPU_STATE_PART_MAX; t++) {
		const void *src;

		if (!VCPU_STATE_HAS(st, t))
			continue;
		src = vcpu_part_ptr(st, t, &len);
		put_le32(table, t);
		put_le32(table + 4, len);
		table += VCPU_BLOB_ENTRY;
		memcpy(data, src, len);
		data += len;
	}
	return data - p;
}

static const char *const vcpu_part_names[] = {
	[VCPU_STATE_PART_REGS] = "REGS",
	[VCPU_STATE_PART_SREGS] = "SREGS",
	[VCPU_STATE_PART_SREGS2] = "SREGS2",
	[VCPU_STATE_PART_FPU] = "FPU",
	[VCPU_STATE_PART_XSAVE] = "XSAVE",
	[VCPU_STATE_PART_XCRS] = "XCRS",
	[VCPU_STATE_PART_EVENTS] = "EVENTS",
	[VCPU_STATE_PART_DEBUGREGS] = "DEBUGREGS",
	[VCPU_STATE_PART_MSRS] = "MSRS",
};

/* Is @len a valid payload length for part @type? */
static bool vcpu_part_len_ok(unsigned type, uint32_t len, GError **errp)
{
	size_t fixed = vcpu_part_fixed_size(type);
	bool ok;

	if (fixed)
		ok = len == fixed;
	else if (type == VCPU_STATE_PART_XSAVE)
		ok = len >= sizeof(struct kvm_xsave) &&
		     len <= VCPU_STATE_MAX_XSAVE_SIZE && len % 4 == 0;
	else
		ok = len % sizeof(struct kvm_msr_entry) == 0 &&
		     len / sizeof(struct kvm_msr_entry) <= VCPU_STATE_MAX_MSRS;
	if (!ok)
		error_setg(errp, "vCPU state blob: part %s has a bad length %u",
			   vcpu_part_names[type], len);
	return ok;
}

/* Check the header and part table; sets *@parts and the total length. */
static bool vcpu_blob_check_table(const uint8_t *p, size_t len, uint32_t *parts,
				  GError **errp)
{
	uint32_t version, nr;
	uint64_t total;

	if (len < VCPU_BLOB_HDR) {
		error_setg(errp,
			   "vCPU state blob truncated: %zu bytes, the header needs %d",
			   len, VCPU_BLOB_HDR);
		return false;
	}
	if (memcmp(p, VCPU_BLOB_MAGIC, 8)) {
		error_setg(errp, "not a kvmage vCPU state blob (bad magic)");
		return false;
	}
	version = get_le32(p + 8);
	if (version != VCPU_BLOB_VERSION) {
		error_setg(errp,
			   "vCPU state blob version %u, this kvmage reads version %d",
			   version, VCPU_BLOB_VERSION);
		return false;
	}
	nr = get_le32(p + 12);
	if (nr == 0 || nr > VCPU_STATE_PART_MAX) {
		error_setg(errp, "vCPU state blob: bad part count %u", nr);
		return false;
	}
	total = VCPU_BLOB_HDR + (uint64_t)nr * VCPU_BLOB_ENTRY;
	if (len < total) {
		error_setg(errp,
			   "vCPU state blob truncated: %zu bytes, the part table needs %" G_GUINT64_FORMAT,
			   len, total);
		return false;
	}
	*parts = 0;
	for (uint32_t i = 0; i < nr; i++) {
		const uint8_t *e = p + VCPU_BLOB_HDR + i * VCPU_BLOB_ENTRY;
		uint32_t type = get_le32(e), plen = get_le32(e + 4);

		if (type == 0 || type > VCPU_STATE_PART_MAX) {
			error_setg(errp,
				   "vCPU state blob: unknown part type %u",
				   type);
			return false;
		}
		if (*parts & (1u << type)) {
			error_setg(errp, "vCPU state blob: part %s twice",
				   vcpu_part_names[type]);
			return false;
		}
		if (!vcpu_part_len_ok(type, plen, errp))
			return false;
		*parts |= 1u << type;
		total += plen;
	}
	if (len != total) {
		error_setg(errp,
			   "vCPU state blob %s: %zu bytes, its parts need %" G_GUINT64_FORMAT,
			   len < total ? "truncated" : "has trailing bytes",
			   len, total);
		return false;
	}
	return true;
}

/* Exactly one of each alternative, REGS always. */
static bool vcpu_blob_check_parts(uint32_t parts, GError **errp)
{
	bool sregs = parts & (1u << VCPU_STATE_PART_SREGS);
	bool sregs2 = parts & (1u << VCPU_STATE_PART_SREGS2);
	bool fpu = parts & (1u << VCPU_STATE_PART_FPU);
	bool xsave = parts & (1u << VCPU_STATE_PART_XSAVE);

	if (!(parts & (1u << VCPU_STATE_PART_REGS)) || sregs == sregs2 ||
	    fpu == xsave) {
		error_setg(errp,
			   "vCPU state blob: needs REGS, one of SREGS and SREGS2, one of FPU and XSAVE (has 0x%x)",
			   parts);
		return false;
	}
	return true;
}

bool vcpu_state_decode(VcpuState *st, const void *buf, size_t len,
		       GError **errp)
{
	const uint8_t *p = buf, *data;
	uint32_t parts, nr;

	vcpu_state_clear(st);
	if (!vcpu_blob_check_table(p, len, &parts, errp) ||
	    !vcpu_blob_check_parts(parts, errp))
		return false;
	nr = get_le32(p + 12);
	data = p + VCPU_BLOB_HDR + (size_t)nr * VCPU_BLOB_ENTRY;
	for (uint32_t i = 0; i < nr; i++) {
		const uint8_t *e = p + VCPU_BLOB_HDR + i * VCPU_BLOB_ENTRY;
		uint32_t type = get_le32(e), plen = get_le32(e + 4);
		size_t size;
		void *dst;

		if (type == VCPU_STATE_PART_XSAVE) {
			st->xsave = g_malloc0(plen);
			st->xsave_size = plen;
		} else if (type == VCPU_STATE_PART_MSRS) {
			st->nr_msrs = plen / sizeof(struct kvm_msr_entry);
			st->msrs = g_malloc0(plen + 1);
		}
		dst = vcpu_part_ptr(st, type, &size);
		memcpy(dst, data, plen);
		data += plen;
	}
	st->parts = parts;
	return true;
}
