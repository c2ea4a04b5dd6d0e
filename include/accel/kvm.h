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

typedef struct Machine Machine;

typedef struct KvmState {
	int fd; /* /dev/kvm */
	int vm_fd;
	int vcpu_mmap_size;
	unsigned nr_slots; /* KVM_CAP_NR_MEMSLOTS */
	unsigned max_vcpus;
	uint32_t next_slot;
	uint64_t slot_max_bytes; /* split banks into slots of at most this */
	bool trace;		 /* -d kvm */
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

/* vCPUs (kvm-cpu.c). */
typedef struct Vcpu Vcpu;

Vcpu *vcpu_create(Machine *m, unsigned index, GError **errp);
void vcpu_destroy(Vcpu *cpu);
int vcpu_fd(Vcpu *cpu);
unsigned vcpu_index(Vcpu *cpu);
int vcpu_ioctl(Vcpu *cpu, unsigned long req, void *arg);
/* Host thread id of the vCPU thread (0 before vcpu_start). Any thread. */
int vcpu_thread_id(Vcpu *cpu);
/* Parked (paused, halted or stopped)?  Any thread. */
bool vcpu_is_paused(Vcpu *cpu);
/* Start the vCPU thread; it stays paused if @paused. */
bool vcpu_start(Vcpu *cpu, bool paused, GError **errp);
/*
 * Pause: returns once the vCPU is out of KVM_RUN and parked.  Resume lets
 * it run again.  Stop ends the thread (joins it).  Main thread only.
 * Hooks called from vCPU threads (testdev sync hooks) may only be removed
 * while the vCPUs are paused.
 */
void vcpu_pause(Vcpu *cpu);
void vcpu_resume(Vcpu *cpu);
bool vcpu_stop(Vcpu *cpu); /* false: the thread would not stop */

/* All vCPUs of the machine. */
void vcpu_pause_all(Machine *m);
void vcpu_resume_all(Machine *m);

#endif
