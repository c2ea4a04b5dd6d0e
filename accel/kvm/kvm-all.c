/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /dev/kvm, capabilities, the VM and its memslots.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "accel/kvm.h"
#include "backends/hostmem.h"
#include "util/error.h"

/* x86 KVM_MEM_MAX_NR_PAGES is 2^31 - 1 pages; stay well inside it. */
#define KVM_SLOT_MAX_DEFAULT (1ULL << 42)

struct kvm_required_cap {
	const char *name;
	long cap;
};

#define CAP(x)        \
	{             \
#x, x \
	}
static const struct kvm_required_cap kvm_required_caps[] = {
	CAP(KVM_CAP_USER_MEMORY),    CAP(KVM_CAP_EXT_CPUID),
	CAP(KVM_CAP_IMMEDIATE_EXIT), CAP(KVM_CAP_NR_MEMSLOTS),
	CAP(KVM_CAP_MAX_VCPUS),
};
#undef CAP

/* Trace one ioctl with -d kvm; keeps errno for the caller. */
static void kvm_trace(KvmState *s, const char *what, unsigned long req, int ret)
{
	int saved = errno;

	if (s && s->trace)
		fprintf(stderr, "kvm: %s ioctl 0x%lx = %d%s%s\n", what, req,
			ret, ret < 0 ? " " : "",
			ret < 0 ? g_strerror(saved) : "");
	errno = saved;
}

int kvm_ioctl(KvmState *s, unsigned long req, void *arg)
{
	int ret = ioctl(s->fd, req, arg);

	kvm_trace(s, "system", req, ret);
	return ret;
}

int kvm_vm_ioctl(KvmState *s, unsigned long req, void *arg)
{
	int ret = ioctl(s->vm_fd, req, arg);

	kvm_trace(s, "vm", req, ret);
	return ret;
}

int kvm_check_extension(KvmState *s, long cap)
{
	int ret = ioctl(s->fd, KVM_CHECK_EXTENSION, cap);

	kvm_trace(s, "check-extension", (unsigned long)cap, ret);
	return ret < 0 ? 0 : ret;
}

static bool kvm_check_caps(KvmState *s, GError **errp)
{
	for (size_t i = 0; i < G_N_ELEMENTS(kvm_required_caps); i++) {
		if (kvm_check_extension(s, kvm_required_caps[i].cap) <= 0) {
			g_set_error(errp, KVMAGE_ERROR,
				    KVMAGE_ERROR_KVM_MISSING_CAP,
				    "KVM lacks the capability %s, which kvmage needs",
				    kvm_required_caps[i].name);
			return false;
		}
	}
	return true;
}

KvmState *kvm_init(bool trace, GError **errp)
{
	KvmState *s = g_new0(KvmState, 1);
	int ret;

	s->trace = trace;
	s->vm_fd = -1;
	s->slot_max_bytes = KVM_SLOT_MAX_DEFAULT;
	s->vcpus = g_ptr_array_new();
	s->fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (s->fd < 0) {
		error_setg_errno(errp, errno,
				 "Could not access KVM kernel module");
		goto err_free;
	}
	ret = kvm_ioctl(s, KVM_GET_API_VERSION, NULL);
	if (ret != KVM_API_VERSION) {
		error_setg(errp, "KVM API version %d, kvmage needs %d", ret,
			   KVM_API_VERSION);
		goto err_close;
	}
	if (!kvm_check_caps(s, errp))
		goto err_close;
	s->nr_slots = kvm_check_extension(s, KVM_CAP_NR_MEMSLOTS);
	s->max_vcpus = kvm_check_extension(s, KVM_CAP_MAX_VCPUS);
	s->vcpu_mmap_size = kvm_ioctl(s, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (s->vcpu_mmap_size < (int)sizeof(struct kvm_run)) {
		error_setg_errno(errp, errno, "KVM_GET_VCPU_MMAP_SIZE");
		goto err_close;
	}
	do {
		s->vm_fd = ioctl(s->fd, KVM_CREATE_VM, 0);
	} while (s->vm_fd < 0 && errno == EINTR);
	if (s->vm_fd < 0) {
		error_setg_errno(errp, errno, "KVM_CREATE_VM");
		goto err_close;
	}
	return s;

err_close:
	close(s->fd);
err_free:
	g_ptr_array_unref(s->vcpus);
	g_free(s);
	return NULL;
}

void kvm_destroy(KvmState *s)
{
	if (!s)
		return;
	g_ptr_array_unref(s->vcpus);
	if (s->vm_fd >= 0)
		close(s->vm_fd);
	close(s->fd);
	g_free(s);
}

bool kvm_slot_split(uint64_t size, uint64_t max, uint64_t page_size,
		    KvmSlotFn fn, void *opaque, GError **errp)
{
	uint64_t off = 0;

	if (!page_size || max < page_size) {
		error_setg(errp,
			   "memslot limit %" G_GUINT64_FORMAT
			   " is below the page size %" G_GUINT64_FORMAT,
			   max, page_size);
		return false;
	}
	max -= max % page_size;
	while (off < size) {
		uint64_t len = MIN(max, size - off);

		if (!fn(opaque, off, len, errp))
			return false;
		off += len;
	}
	return true;
}

struct kvm_slot_ctx {
	KvmState *s;
	RamBank *bank;
};

/* Per-slot helper: one KVM_SET_USER_MEMORY_REGION.  Main thread only. */
static bool kvm_slot_register(void *opaque, uint64_t off, uint64_t len,
			      GError **errp)
{
	struct kvm_slot_ctx *ctx = opaque;
	KvmState *s = ctx->s;
	struct kvm_userspace_memory_region r = {
		.slot = s->next_slot,
		.guest_phys_addr = ctx->bank->gpa + off,
		.memory_size = len,
		.userspace_addr = (uintptr_t)ctx->bank->host + off,
	};

	if (s->next_slot >= s->nr_slots) {
		error_setg(errp, "out of KVM memslots (%u)", s->nr_slots);
		return false;
	}
	if (kvm_vm_ioctl(s, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		error_setg_errno(errp, errno,
				 "KVM_SET_USER_MEMORY_REGION slot %u gpa 0x%llx",
				 r.slot, (unsigned long long)r.guest_phys_addr);
		return false;
	}
	if (ctx->bank->nr_slots++ == 0)
		ctx->bank->slot = s->next_slot;
	s->next_slot++;
	return true;
}

bool kvm_ram_register(KvmState *s, RamList *ram, GError **errp)
{
	RamBank *b;

	ram_for_each_bank(ram, b) {
		struct kvm_slot_ctx ctx = { s, b };

		if (b->type == RAM_BANK_RESERVED)
			continue;
		b->nr_slots = 0;
		if (!kvm_slot_split(b->size, s->slot_max_bytes, b->page_size,
				    kvm_slot_register, &ctx, errp))
			return false;
	}
	return true;
}
