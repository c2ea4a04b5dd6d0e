/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vcpu sections (include/migration/sections.h): each vCPU's state as
 * the versioned blob of accel/kvm-state.h.
 */
#include <string.h>

#include "accel/kvm-state.h"
#include "migration/sections.h"
#include "util/error.h"

bool mig_section_expect(MigStream *s, MigSectionType type, uint32_t *id,
			GError **errp)
{
	uint64_t at = mig_stream_offset(s);
	MigSectionType t;

	if (!mig_section_read(s, &t, id, errp))
		return false;
	if (t != type) {
		error_setg(errp,
			   "migration stream: expected a section of type "
			   "'%s', got '%s' (id %u) at offset %" G_GUINT64_FORMAT,
			   mig_section_name(type), mig_section_name(t), *id,
			   at);
		return false;
	}
	return true;
}

static bool save_one(MigStream *s, Vcpu *cpu, unsigned n, GError **errp)
{
	VcpuState st = { 0 };
	g_autofree uint8_t *blob = NULL;
	size_t size;
	bool ok;

	if (!vcpu_state_save(cpu, &st, errp))
		return false;
	size = vcpu_state_size(&st);
	blob = g_malloc(size);
	vcpu_state_encode(&st, blob, size);
	vcpu_state_clear(&st);
	ok = mig_section_write(s, MIG_SECTION_VCPU, vcpu_index(cpu), errp) &&
	     mig_put_u32(s, MIG_VCPU_VERSION, errp) &&
	     mig_put_u32(s, n, errp) && mig_put_u64(s, size, errp) &&
	     mig_put(s, blob, size, errp);
	return ok;
}

bool mig_vcpus_save(MigStream *s, KvmState *kvm, GError **errp)
{
	for (unsigned i = 0; i < kvm->vcpus->len; i++) {
		Vcpu *cpu = g_ptr_array_index(kvm->vcpus, i);

		if (!save_one(s, cpu, kvm->vcpus->len, errp)) {
			g_prefix_error(errp, "vCPU %u: ", vcpu_index(cpu));
			return false;
		}
	}
	return true;
}

/* Read section @i of the group and decode its blob into @st. */
static bool read_one(MigStream *s, KvmState *kvm, unsigned i, VcpuState *st,
		     GError **errp)
{
	uint32_t id, version, n;
	uint64_t len;
	g_autofree uint8_t *blob = NULL;

	if (!mig_section_expect(s, MIG_SECTION_VCPU, &id, errp) ||
	    !mig_get_u32(s, &version, "vCPU section version", errp) ||
	    !mig_get_u32(s, &n, "vCPU count", errp) ||
	    !mig_get_u64(s, &len, "vCPU state length", errp))
		return false;
	if (version != MIG_VCPU_VERSION) {
		error_setg(errp,
			   "migration stream: vCPU section version %u, this "
			   "kvmage reads version %d",
			   version, MIG_VCPU_VERSION);
		return false;
	}
	if (n != kvm->vcpus->len) {
		error_setg(errp,
			   "migration stream has %u vCPUs, this VM has %u", n,
			   kvm->vcpus->len);
		return false;
	}
	if (id != i || len > MIG_VCPU_MAX_BLOB) {
		error_setg(errp,
			   "migration stream: bad vCPU section: vCPU %u of "
			   "%" G_GUINT64_FORMAT " bytes (expected vCPU %u, at "
			   "most %u bytes)",
			   id, len, i, MIG_VCPU_MAX_BLOB);
		return false;
	}
	blob = g_malloc(len);
	if (!mig_get(s, blob, len, "vCPU state", errp))
		return false;
	if (!vcpu_state_decode(st, blob, len, errp)) {
		g_prefix_error(errp, "migration stream: vCPU %u: ", i);
		return false;
	}
	return true;
}

static Vcpu *find_vcpu(KvmState *kvm, unsigned index)
{
	for (unsigned i = 0; i < kvm->vcpus->len; i++) {
		Vcpu *cpu = g_ptr_array_index(kvm->vcpus, i);

		if (vcpu_index(cpu) == index)
			return cpu;
	}
	return NULL;
}

bool mig_vcpus_load(MigStream *s, KvmState *kvm, GError **errp)
{
	unsigned n = kvm->vcpus->len, i;
	VcpuState *st = g_new0(VcpuState, n);
	bool ok = false;

	/* decode all first: a bad stream leaves every vCPU untouched */
	for (i = 0; i < n; i++)
		if (!read_one(s, kvm, i, &st[i], errp))
			goto out;
	for (i = 0; i < n; i++) {
		Vcpu *cpu = find_vcpu(kvm, i);

		if (!cpu) {
			error_setg(errp, "migration: this VM has no vCPU %u",
				   i);
			goto out;
		}
		if (!vcpu_state_load(cpu, &st[i], errp)) {
			g_prefix_error(errp, "migration: vCPU %u: ", i);
			goto out;
		}
	}
	ok = true;
out:
	for (i = 0; i < n; i++)
		vcpu_state_clear(&st[i]);
	g_free(st);
	return ok;
}
