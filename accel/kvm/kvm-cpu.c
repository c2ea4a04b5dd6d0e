/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vCPU threads: one thread per vCPU runs KVM_RUN and dispatches every exit.
 *
 * Pause protocol (main thread <-> vCPU thread), protected by cpu->lock:
 * the main thread sets pause_req and kicks the thread with SIG_KICK, whose
 * handler sets run->immediate_exit so that a KVM_RUN about to start returns
 * at once.  The vCPU thread checks pause_req at the top of every iteration,
 * parks with paused = true, and waits on cpu->cond.
 *
 * The accelerator knows no machine: exits reach devices, and failures stop
 * the VM, through the VcpuOps the creator passed to vcpu_create().
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "accel/kvm.h"
#include "util/error.h"

#define SIG_KICK SIGUSR1

struct Vcpu {
	KvmState *kvm;
	const VcpuOps *ops;
	void *opaque; /* for ops */
	unsigned index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	int tid; /* host thread id, set by the thread; under lock */

	GMutex lock; /* protects the fields below */
	GCond cond;
	bool pause_req;
	bool paused;
	bool stop_req;
	bool halted;
};

static __thread Vcpu *current_vcpu;

/*
 * Signal context, in the kicked vCPU thread: only touches that thread's own
 * kvm_run.  A KVM_RUN that is about to start or running returns -EINTR.
 */
static void vcpu_kick_handler(int sig)
{
	if (current_vcpu)
		current_vcpu->run->immediate_exit = 1;
}

static void vcpu_install_kick_handler(void)
{
	static gsize done;

	if (g_once_init_enter(&done)) {
		/*
		 * SA_RESTART: a kick must not fail a vCPU's write to a slow
		 * stdout (serial, testdev); KVM_RUN is never restarted, it
		 * returns -EINTR whatever the flag says.
		 */
		struct sigaction sa = { .sa_handler = vcpu_kick_handler,
					.sa_flags = SA_RESTART };

		sigemptyset(&sa.sa_mask);
		sigaction(SIG_KICK, &sa, NULL);
		g_once_init_leave(&done, 1);
	}
}

int vcpu_ioctl(Vcpu *cpu, unsigned long req, void *arg)
{
	int ret = ioctl(cpu->fd, req, arg);
	int saved = errno;

	if (cpu->kvm->trace)
		fprintf(stderr, "kvm: vcpu%u ioctl 0x%lx = %d\n", cpu->index,
			req, ret);
	errno = saved;
	return ret;
}

unsigned vcpu_index(Vcpu *cpu)
{
	return cpu->index;
}

KvmState *vcpu_kvm(Vcpu *cpu)
{
	return cpu->kvm;
}

/* Main thread; takes cpu->lock. */
bool vcpu_is_parked(Vcpu *cpu)
{
	bool parked;

	if (!cpu->started)
		return true;
	g_mutex_lock(&cpu->lock);
	parked = cpu->paused && (cpu->pause_req || cpu->halted);
	g_mutex_unlock(&cpu->lock);
	return parked;
}

/* Main thread, before any vCPU of @s runs (grows s->vcpus). */
Vcpu *vcpu_create(KvmState *s, unsigned index, const VcpuOps *ops, void *opaque,
		  GError **errp)
{
	Vcpu *cpu = g_new0(Vcpu, 1);

	cpu->kvm = s;
	cpu->ops = ops;
	cpu->opaque = opaque;
	cpu->index = index;
	g_mutex_init(&cpu->lock);
	g_cond_init(&cpu->cond);
	cpu->fd = kvm_vm_ioctl(s, KVM_CREATE_VCPU, (void *)(long)index);
	if (cpu->fd < 0) {
		error_setg_errno(errp, errno, "KVM_CREATE_VCPU %u", index);
		goto err_free;
	}
	cpu->run = mmap(NULL, s->vcpu_mmap_size, PROT_READ | PROT_WRITE,
			MAP_SHARED, cpu->fd, 0);
	if (cpu->run == MAP_FAILED) {
		error_setg_errno(errp, errno, "mmap of vCPU %u state", index);
		goto err_close;
	}
	vcpu_install_kick_handler();
	g_ptr_array_add(s->vcpus, cpu);
	return cpu;

err_close:
	close(cpu->fd);
err_free:
	g_mutex_clear(&cpu->lock);
	g_cond_clear(&cpu->cond);
	g_free(cpu);
	return NULL;
}

/* Main thread, once every vCPU of the VM has stopped (shrinks s->vcpus). */
void vcpu_destroy(Vcpu *cpu)
{
	if (!cpu)
		return;
	if (!vcpu_stop(cpu)) {
		/* Still running (blocked outside KVM): leave its state be. */
		return;
	}
	g_ptr_array_remove(cpu->kvm->vcpus, cpu);
	if (munmap(cpu->run, cpu->kvm->vcpu_mmap_size) < 0 ||
	    close(cpu->fd) < 0)
		g_warning("vCPU %u teardown: %s", cpu->index,
			  g_strerror(errno));
	g_mutex_clear(&cpu->lock);
	g_cond_clear(&cpu->cond);
	g_free(cpu);
}

/* vCPU thread: stop the VM with status @status, naming the RIP. */
static void vcpu_fail_status(Vcpu *cpu, int status, const char *what)
{
	struct kvm_regs regs;
	g_autofree char *msg = NULL;

	if (vcpu_ioctl(cpu, KVM_GET_REGS, &regs) < 0)
		msg = g_strdup_printf("vCPU %u: %s (rip unknown: %s)",
				      cpu->index, what, g_strerror(errno));
	else
		msg = g_strdup_printf("vCPU %u: %s at rip 0x%llx", cpu->index,
				      what, (unsigned long long)regs.rip);
	cpu->ops->request_stop(cpu->opaque, status, msg);
}

static void vcpu_fail(Vcpu *cpu, const char *what)
{
	vcpu_fail_status(cpu, 1, what);
}

/*
 * Any vCPU thread; takes each vCPU's lock in turn, never two at once.
 * s->vcpus is read-only while vCPUs run.
 */
static bool vcpu_all_halted(KvmState *s)
{
	for (guint i = 0; i < s->vcpus->len; i++) {
		Vcpu *c = g_ptr_array_index(s->vcpus, i);
		bool h;

		g_mutex_lock(&c->lock);
		h = c->halted;
		g_mutex_unlock(&c->lock);
		if (!h)
			return false;
	}
	return true;
}

/* KVM_EXIT_IO: one or more (rep) accesses of io.size bytes. */
static void vcpu_handle_io(Vcpu *cpu)
{
	struct kvm_run *run = cpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;

	for (uint32_t i = 0; i < run->io.count; i++) {
		if (!cpu->ops->pio(cpu->opaque, run->io.port, data,
				   run->io.size, is_write) &&
		    !is_write)
			memset(data, 0xff, run->io.size);
		data += run->io.size;
	}
}

static void vcpu_handle_mmio(Vcpu *cpu)
{
	struct kvm_run *run = cpu->run;
	unsigned len = MIN(run->mmio.len, sizeof(run->mmio.data));

	if (!cpu->ops->mmio(cpu->opaque, run->mmio.phys_addr, run->mmio.data,
			    len, run->mmio.is_write) &&
	    !run->mmio.is_write)
		memset(run->mmio.data, 0xff, len);
}

static void vcpu_handle_internal_error(Vcpu *cpu)
{
	struct kvm_run *run = cpu->run;
	GString *what = g_string_new(NULL);
	unsigned n = MIN(run->internal.ndata, G_N_ELEMENTS(run->internal.data));

	g_string_printf(what, "KVM internal error, suberror %u%s",
			run->internal.suberror,
			run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ?
				" (instruction emulation failed)" :
				"");
	for (unsigned i = 0; i < n; i++)
		g_string_append_printf(what, "%s0x%llx", i ? " " : ", data ",
				       (unsigned long long)
					       run->internal.data[i]);
	vcpu_fail(cpu, what->str);
	g_string_free(what, TRUE);
}

/* Returns false when the vCPU must stop running. */
static bool vcpu_handle_exit(Vcpu *cpu)
{
	struct kvm_run *run = cpu->run;
	g_autofree char *what = NULL;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_handle_io(cpu);
		return true;
	case KVM_EXIT_MMIO:
		vcpu_handle_mmio(cpu);
		return true;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_HLT:
		g_mutex_lock(&cpu->lock);
		cpu->halted = true;
		g_mutex_unlock(&cpu->lock);
		/*
		 * No interrupt can wake a halted vCPU (no irqchip): it is done.
		 * A guest ends with GUEST_DONE or the exit register, so all
		 * vCPUs halting first means it is stuck.
		 */
		if (vcpu_all_halted(cpu->kvm))
			vcpu_fail(cpu, "all vCPUs halted without GUEST_DONE");
		return false;
	case KVM_EXIT_SHUTDOWN:
		vcpu_fail(cpu, "guest shutdown (triple fault)");
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		vcpu_handle_internal_error(cpu);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		what = g_strdup_printf("VM entry failed, hardware reason 0x%llx",
				       (unsigned long long)run->fail_entry
					       .hardware_entry_failure_reason);
		vcpu_fail(cpu, what);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		what = g_strdup_printf("system event %u",
				       run->system_event.type);
		vcpu_fail(cpu, what);
		return false;
	default:
		what = g_strdup_printf("unhandled KVM exit reason %u",
				       run->exit_reason);
		vcpu_fail(cpu, what);
		return false;
	}
}

/*
 * Park while a pause is requested.  Returns false when the thread must
 * end.  Takes cpu->lock.
 */
static bool vcpu_wait_runnable(Vcpu *cpu)
{
	bool run;

	g_mutex_lock(&cpu->lock);
	while (cpu->pause_req && !cpu->stop_req) {
		cpu->paused = true;
		g_cond_broadcast(&cpu->cond);
		g_cond_wait(&cpu->cond, &cpu->lock);
	}
	cpu->paused = false;
	run = !cpu->stop_req && !cpu->halted;
	if (!run) {
		cpu->paused = true;
		g_cond_broadcast(&cpu->cond);
	}
	g_mutex_unlock(&cpu->lock);
	return run;
}

static void *vcpu_thread(void *opaque)
{
	Vcpu *cpu = opaque;
	sigset_t set;

	current_vcpu = cpu;
	g_mutex_lock(&cpu->lock);
	cpu->tid = gettid();
	g_cond_broadcast(&cpu->cond);
	g_mutex_unlock(&cpu->lock);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	while (vcpu_wait_runnable(cpu)) {
		int ret = ioctl(cpu->fd, KVM_RUN, NULL);

		cpu->run->immediate_exit = 0;
		if (ret < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			g_autofree char *what =
				g_strdup_printf("KVM_RUN failed: %s",
						g_strerror(errno));

			vcpu_fail(cpu, what);
			break;
		}
		/* Stop at once after an exit that asked for shutdown. */
		if (!vcpu_handle_exit(cpu) ||
		    cpu->ops->stop_requested(cpu->opaque))
			break;
	}
	/* Parked for good: wake anybody waiting for a pause to complete. */
	g_mutex_lock(&cpu->lock);
	cpu->paused = true;
	cpu->halted = true;
	g_cond_broadcast(&cpu->cond);
	g_mutex_unlock(&cpu->lock);
	return NULL;
}

/* Main thread.  pause_req is written unlocked: the thread does not exist yet. */
bool vcpu_start(Vcpu *cpu, bool paused, GError **errp)
{
	int ret;

	cpu->pause_req = paused;
	ret = pthread_create(&cpu->thread, NULL, vcpu_thread, cpu);
	if (ret) {
		error_setg_errno(errp, ret, "cannot start vCPU %u thread",
				 cpu->index);
		return false;
	}
	cpu->started = true;
	/* Wait for its thread id, so that queries never see 0. */
	g_mutex_lock(&cpu->lock);
	while (!cpu->tid)
		g_cond_wait(&cpu->cond, &cpu->lock);
	g_mutex_unlock(&cpu->lock);
	return true;
}

int vcpu_thread_id(Vcpu *cpu)
{
	int tid;

	g_mutex_lock(&cpu->lock);
	tid = cpu->tid;
	g_mutex_unlock(&cpu->lock);
	return tid;
}

static void vcpu_kick(Vcpu *cpu)
{
	if (cpu->started)
		pthread_kill(cpu->thread, SIG_KICK);
}

/* Main thread: returns once the vCPU is out of KVM_RUN and parked. */
static void vcpu_pause(Vcpu *cpu)
{
	if (!cpu->started)
		return;
	g_mutex_lock(&cpu->lock);
	cpu->pause_req = true;
	while (!cpu->paused) {
		g_mutex_unlock(&cpu->lock);
		vcpu_kick(cpu);
		g_mutex_lock(&cpu->lock);
		if (cpu->paused)
			break;
		g_cond_wait_until(&cpu->cond, &cpu->lock,
				  g_get_monotonic_time() +
					  10 * G_TIME_SPAN_MILLISECOND);
	}
	g_mutex_unlock(&cpu->lock);
}

/* Main thread; takes cpu->lock. */
static void vcpu_resume(Vcpu *cpu)
{
	g_mutex_lock(&cpu->lock);
	cpu->pause_req = false;
	g_cond_broadcast(&cpu->cond);
	g_mutex_unlock(&cpu->lock);
}

/*
 * Main thread.  Kick until the thread leaves KVM_RUN (one signal can race
 * the entry) and join it.  A thread blocked outside KVM for over
 * VCPU_STOP_TIMEOUT_MS (say, writing to a stdout nobody reads) is left
 * behind with a warning: returns false, and its state must not be freed.
 */
#define VCPU_STOP_TIMEOUT_MS 5000

bool vcpu_stop(Vcpu *cpu)
{
	gint64 deadline = g_get_monotonic_time() +
			  VCPU_STOP_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

	if (!cpu->started)
		return true;
	g_mutex_lock(&cpu->lock);
	cpu->stop_req = true;
	g_cond_broadcast(&cpu->cond);
	g_mutex_unlock(&cpu->lock);
	while (pthread_tryjoin_np(cpu->thread, NULL) == EBUSY) {
		if (g_get_monotonic_time() > deadline) {
			g_warning("vCPU %u does not stop; leaving it behind",
				  cpu->index);
			return false;
		}
		vcpu_kick(cpu);
		g_usleep(1000);
	}
	cpu->started = false;
	return true;
}

/* Main thread. */
void vcpu_pause_all(KvmState *s)
{
	for (guint i = 0; s && i < s->vcpus->len; i++)
		vcpu_pause(g_ptr_array_index(s->vcpus, i));
}

/* Main thread. */
void vcpu_resume_all(KvmState *s)
{
	for (guint i = 0; s && i < s->vcpus->len; i++)
		vcpu_resume(g_ptr_array_index(s->vcpus, i));
}
