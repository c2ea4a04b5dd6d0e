/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The KVM accelerator: /dev/kvm, the VM, memslots and vCPU threads.
 *
 * Layering follows QEMU's accel/kvm: thin entry points here hand off to
 * per-slot helpers in kvm-all.c and per-vCPU helpers in kvm-cpu.c.  Every
 * ioctl goes through kvm_ioctl()/kvm_vm_ioctl()/vcpu_ioctl() so it can
 * be traced with -d kvm.
 */
#ifndef ACCEL_KVM_H
#define ACCEL_KVM_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "memory/ram.h"

typedef struct Vcpu Vcpu;

typedef struct KvmState {
	int fd; /* /dev/kvm */
	int vm_fd;
	int vcpu_mmap_size;
	unsigned nr_slots; /* KVM_CAP_NR_MEMSLOTS */
	unsigned max_vcpus;
	uint32_t next_slot;
	uint64_t slot_max_bytes; /* split banks into slots of at most this */
	bool trace;		 /* -d kvm */
	/*
	 * The VM's vCPUs, in creation order.  Grown by vcpu_create() before
	 * any vCPU runs, shrunk by vcpu_destroy() once all have stopped
	 * (main thread); read-only in between, read by vCPU threads.
	 */
	GPtrArray *vcpus;
} KvmState;

/*
 * Open /dev/kvm, check the API version and every capability kvmage relies
 * on (a missing one fails with KVMAGE_ERROR_KVM_MISSING_CAP naming it) and
 * create the VM.
 */
KvmState *kvm_init(bool trace, GError **errp);
void kvm_destroy(KvmState *s);

/* Register every RAM bank of @ram as memslots, split at slot_max_bytes. */
bool kvm_ram_register(KvmState *s, RamList *ram, GError **errp);

/*
 * Split [0, size) into pieces of at most @max bytes, each aligned to
 * @page_size; call @fn for each.  Pure, for unit tests.
 */
typedef bool (*KvmSlotFn)(void *opaque, uint64_t offset, uint64_t len,
			  GError **errp);
bool kvm_slot_split(uint64_t size, uint64_t max, uint64_t page_size,
		    KvmSlotFn fn, void *opaque, GError **errp);

int kvm_ioctl(KvmState *s, unsigned long req, void *arg);
int kvm_vm_ioctl(KvmState *s, unsigned long req, void *arg);
int kvm_check_extension(KvmState *s, long cap);

/*
 * vCPUs (kvm-cpu.c).  The accelerator knows no machine: what a vCPU
 * thread needs from above (device dispatch, stopping the VM) comes through
 * the VcpuOps its creator gives it.
 */
typedef struct VcpuOps {
	/*
	 * One guest access of @size bytes to port @port (pio) or guest-physical
	 * address @addr (mmio); @data is what is written, or where a read goes.
	 * Returns false when nothing claimed the access: a read then sees all
	 * ones.  Called from the vCPU thread that exited.
	 */
	bool (*pio)(void *opaque, uint64_t port, void *data, unsigned size,
		    bool is_write);
	bool (*mmio)(void *opaque, uint64_t addr, void *data, unsigned size,
		     bool is_write);
	/*
	 * Stop the VM with exit status @status and the one-line reason @msg
	 * ("vCPU 0: guest shutdown (triple fault) at rip 0x..."); the first
	 * request wins.  Any vCPU thread.
	 */
	void (*request_stop)(void *opaque, int status, const char *msg);
	/* Has the VM been asked to stop?  The thread then ends.  Any thread. */
	bool (*stop_requested)(void *opaque);
} VcpuOps;

/*
 * Create vCPU @index of the VM @s; its thread calls @ops with @opaque.
 * @ops must outlive the vCPU.  Main thread, before any vCPU starts.
 */
Vcpu *vcpu_create(KvmState *s, unsigned index, const VcpuOps *ops, void *opaque,
		  GError **errp);
void vcpu_destroy(Vcpu *cpu);
unsigned vcpu_index(Vcpu *cpu);
KvmState *vcpu_kvm(Vcpu *cpu);
/*
 * Is the vCPU out of KVM_RUN for good until resumed: not started, paused
 * by vcpu_pause_all(), or its thread ended?  Main thread; takes its lock.
 */
bool vcpu_is_parked(Vcpu *cpu);
int vcpu_ioctl(Vcpu *cpu, unsigned long req, void *arg);
/* Host thread id of the vCPU thread (0 before vcpu_start). Any thread. */
int vcpu_thread_id(Vcpu *cpu);
/* Start the vCPU thread; it stays paused if @paused. */
bool vcpu_start(Vcpu *cpu, bool paused, GError **errp);
/*
 * Stop ends the thread (joins it); false: the thread would not stop, and
 * the vCPU must not be destroyed.  Main thread only.
 */
bool vcpu_stop(Vcpu *cpu);

/*
 * Pause every vCPU of the VM @s (NULL: no VM, nothing to do): returns once
 * each is out of KVM_RUN and parked.  Resume lets them run again.  Main
 * thread only.  Hooks called from vCPU threads (testdev sync hooks) may
 * only be removed while the vCPUs are paused.
 */
void vcpu_pause_all(KvmState *s);
void vcpu_resume_all(KvmState *s);

#endif
