/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The test device, the VMM side of kvmage/guest-abi.h: ucall at UCALL_PORT
 * (ring 0) and UCALL_MMIO_GPA (ring 3), the exit register at EXIT_PORT and
 * EXIT_MMIO_GPA.
 *
 * The guest is not trusted: the ucall block is copied out of guest memory
 * once (another vCPU may be rewriting it), its text is NUL-terminated in
 * the copy, and only @ret is written back.
 *
 * Output: PRINTF text and REPORT lines go to stdout through the stdio FILE
 * that the serial console also uses with -serial stdio, each flushed at
 * once, so stdout shows guest output in the order the guest produced it.
 * The -d ucall log goes to stderr, one fprintf() per line.
 *
 * Errors (failed assertion, exception, bad ucall) stop the VM with status 1
 * and their message as the shutdown reason, which main prints as
 * "kvmage: <reason>" on stderr.  Once a shutdown has been requested, further
 * ucalls are ignored: vCPUs may run a little longer while the VM stops, and
 * what they say then (say a GUEST_FAIL after the exit register was written)
 * would only obscure the reason that counts, the first one.
 *
 * Locking: TestdevState.lock protects the SYNC count and the sync hook.
 * Port handlers run in any vCPU thread; the hook is called without the lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "hw/testdev.h"
#include "util/error.h"
#include "util/log.h"

typedef struct TestdevState {
	Machine *m;
	bool log_ucall;	    /* -d ucall; read-only after init */
	FILE *out;	    /* stdout, or what testdev_set_output() set */
	bool stdout_failed; /* under out's FILE lock */

	GMutex lock; /* protects the fields below */
	uint64_t sync_count;
	TestdevSyncFn sync_fn;
	void *sync_opaque;
} TestdevState;

/* Stop the VM with status 1; @fmt is the reason main will print. */
static void G_GNUC_PRINTF(2, 3)
	testdev_fail(TestdevState *s, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	machine_request_shutdown(s->m, 1, "%s", msg);
}

/* Make guest text one line: control characters become spaces. */
static void testdev_one_line(char *buf)
{
	g_strchomp(buf);
	for (; *buf; buf++) {
		if ((unsigned char)*buf < 0x20 || *buf == 0x7f)
			*buf = ' ';
	}
}

/*
 * Any thread: stdio's FILE lock orders these lines with serial output.
 * The first write error is reported, later ones would only repeat it.
 */
static void testdev_stdout(TestdevState *s, const char *prefix,
			   const char *text, const char *suffix)
{
	FILE *out = s->out;

	flockfile(out);
	fputs(prefix, out);
	fputs(text, out);
	fputs(suffix, out);
	if (fflush(out) == EOF && !s->stdout_failed) {
		s->stdout_failed = true;
		fprintf(stderr,
			"kvmage: testdev: write of guest output failed: "
			"%s\n",
			g_strerror(errno));
	}
	funlockfile(out);
}

/* Takes s->lock to count; calls the hook without it. */
static void testdev_sync(TestdevState *s, struct ucall *uc)
{
	TestdevSyncFn fn;
	void *opaque;

	g_mutex_lock(&s->lock);
	uc->ret = ++s->sync_count;
	fn = s->sync_fn;
	opaque = s->sync_opaque;
	g_mutex_unlock(&s->lock);

	if (s->log_ucall)
		fprintf(stderr,
			"ucall: SYNC cpu=%" PRIu64 " stage=%" PRIu64
			" args=0x%" PRIx64 ",0x%" PRIx64 ",0x%" PRIx64
			",0x%" PRIx64 ",0x%" PRIx64 " count=%" PRIu64 "\n",
			uc->cpu, uc->args[0], uc->args[1], uc->args[2],
			uc->args[3], uc->args[4], uc->args[5], uc->ret);
	if (fn)
		fn(opaque, uc);
}

static const char *testdev_vector_name(uint64_t vector)
{
	static const char *const names[] = {
		"#DE",	    "#DB", "NMI", "#BP", "#OF",
		"#BR",	    "#UD", "#NM", "#DF", "coprocessor overrun",
		"#TS",	    "#NP", "#SS", "#GP", "#PF",
		"reserved", "#MF", "#AC", "#MC", "#XM",
		"#VE",	    "#CP",
	};

	if (vector < G_N_ELEMENTS(names))
		return names[vector];
	return vector < 32 ? "reserved" : "external";
}

static void testdev_exception(TestdevState *s, const struct ucall *uc)
{
	testdev_fail(s,
		     "guest exception: vector %" PRIu64 " (%s) error_code"
		     " 0x%" PRIx64 " rip 0x%" PRIx64 " cr2 0x%" PRIx64
		     " on cpu %" PRIu64,
		     uc->args[0], testdev_vector_name(uc->args[0]), uc->args[1],
		     uc->args[2], uc->args[3], uc->cpu);
}

static void testdev_done(TestdevState *s, const struct ucall *uc)
{
	if (uc->args[0] > 255) {
		testdev_fail(s,
			     "testdev: guest exit status %" PRIu64
			     " out of range",
			     uc->args[0]);
		return;
	}
	machine_request_shutdown(s->m, (int)uc->args[0], "guest done");
}

/* vCPU thread; @uc is the device's private copy of the guest's block. */
static void testdev_handle(TestdevState *s, struct ucall *uc)
{
	switch (uc->cmd) {
	case UCALL_SYNC:
		testdev_sync(s, uc);
		break;
	case UCALL_ASSERT:
		testdev_one_line(uc->buf);
		testdev_fail(s, "guest assertion failed: %s", uc->buf);
		break;
	case UCALL_PRINTF:
		testdev_stdout(s, "", uc->buf, "");
		break;
	case UCALL_REPORT:
		testdev_one_line(uc->buf);
		testdev_stdout(s, "guest-report: ", uc->buf, "\n");
		break;
	case UCALL_DONE:
		testdev_done(s, uc);
		break;
	case UCALL_EXCEPTION:
		testdev_exception(s, uc);
		break;
	default:
		testdev_fail(s,
			     "testdev: unknown ucall command %" PRIu64
			     " on cpu %" PRIu64,
			     uc->cmd, uc->cpu);
		break;
	}
}

/* vCPU threads.  The RAM list is read-only while they run: no lock. */
static void testdev_ucall(TestdevState *s, uint64_t gpa)
{
	struct ucall uc;
	char *hva;

	if (machine_shutdown_requested(s->m))
		return;
	hva = ram_gpa_to_hva(&s->m->ram, gpa, sizeof(uc));
	if (!hva) {
		testdev_fail(s, "testdev: bad ucall address 0x%" PRIx64, gpa);
		return;
	}
	memcpy(&uc, hva, sizeof(uc));
	uc.buf[UCALL_BUF_SIZE - 1] = '\0';
	uc.ret = 0;
	testdev_handle(s, &uc);
	memcpy(hva + offsetof(struct ucall, ret), &uc.ret, sizeof(uc.ret));
}

/* UCALL_PORT: one 32-bit OUT (ring 0). */
static void testdev_ucall_pio_write(void *opaque, uint64_t addr,
				    const void *data, unsigned size)
{
	TestdevState *s = opaque;
	uint32_t gpa;

	if (addr != 0 || size != sizeof(gpa)) {
		testdev_fail(s,
			     "testdev: bad ucall port access: %u bytes at "
			     "offset %" PRIu64,
			     size, addr);
		return;
	}
	memcpy(&gpa, data, sizeof(gpa));
	testdev_ucall(s, gpa);
}

/* UCALL_MMIO_GPA: one 32- or 64-bit store (ring 3). */
static void testdev_ucall_mmio_write(void *opaque, uint64_t addr,
				     const void *data, unsigned size)
{
	TestdevState *s = opaque;
	uint32_t gpa32;
	uint64_t gpa;

	if (addr != 0 || (size != sizeof(gpa32) && size != sizeof(gpa))) {
		testdev_fail(s,
			     "testdev: bad ucall MMIO access: %u bytes at "
			     "offset %" PRIu64,
			     size, addr);
		return;
	}
	if (size == sizeof(gpa32)) {
		memcpy(&gpa32, data, sizeof(gpa32));
		gpa = gpa32;
	} else {
		memcpy(&gpa, data, sizeof(gpa));
	}
	testdev_ucall(s, gpa);
}

/* EXIT_PORT and EXIT_MMIO_GPA: a 1-byte write; no device state. */
static void testdev_exit_write(void *opaque, uint64_t addr, const void *data,
			       unsigned size)
{
	TestdevState *s = opaque;
	uint8_t status = *(const uint8_t *)data;

	if (size != 1) {
		testdev_fail(s, "testdev: bad exit register access size %u",
			     size);
		return;
	}
	machine_request_shutdown(s->m, status,
				 "guest wrote %u to the exit port", status);
}

static const IoBusOps testdev_ucall_pio_ops = {
	.name = "testdev-ucall",
	.write = testdev_ucall_pio_write,
};

static const IoBusOps testdev_ucall_mmio_ops = {
	.name = "testdev-ucall",
	.write = testdev_ucall_mmio_write,
};

static const IoBusOps testdev_exit_ops = {
	.name = "testdev-exit",
	.write = testdev_exit_write,
};

/* Main thread, before vCPUs run. */
bool testdev_init(Machine *m, void **state, GError **errp)
{
	TestdevState *s = g_new0(TestdevState, 1);

	s->m = m;
	s->out = stdout;
	s->log_ucall = log_item_enabled(m->cfg->debug_log, "ucall");
	g_mutex_init(&s->lock);
	if (!iobus_register(m->pio, UCALL_PORT, 4, &testdev_ucall_pio_ops, s,
			    errp) ||
	    !iobus_register(m->pio, EXIT_PORT, 1, &testdev_exit_ops, s, errp) ||
	    !iobus_register(m->mmio, UCALL_MMIO_GPA, 8, &testdev_ucall_mmio_ops,
			    s, errp) ||
	    !iobus_register(m->mmio, EXIT_MMIO_GPA, 1, &testdev_exit_ops, s,
			    errp))
		goto err;
	*state = s;
	return true;

err:
	/*
	 * The bus cannot unregister: a failed init is fatal to the machine,
	 * which frees its buses without dispatching through them again.
	 */
	g_mutex_clear(&s->lock);
	g_free(s);
	return false;
}

/* Main thread, after vCPUs have stopped. */
void testdev_exit(Machine *m, void *state)
{
	TestdevState *s = state;

	if (!s)
		return;
	g_mutex_clear(&s->lock);
	g_free(s);
}

/* Any thread; takes s->lock. */
void testdev_set_sync_hook(void *state, TestdevSyncFn fn, void *opaque)
{
	TestdevState *s = state;

	g_mutex_lock(&s->lock);
	s->sync_fn = fn;
	s->sync_opaque = opaque;
	g_mutex_unlock(&s->lock);
}

/* Main thread, before the vCPUs run: they read s->out unlocked. */
void testdev_set_output(void *state, FILE *out)
{
	TestdevState *s = state;

	s->out = out;
}

size_t testdev_state_save(void *state, uint8_t *buf, size_t size)
{
	TestdevState *s = state;
	uint64_t v;

	if (size < TESTDEV_STATE_SIZE)
		return 0;
	g_mutex_lock(&s->lock);
	v = GUINT64_TO_LE(s->sync_count);
	g_mutex_unlock(&s->lock);
	memcpy(buf, &v, sizeof(v));
	return TESTDEV_STATE_SIZE;
}

bool testdev_state_load(void *state, uint32_t version, const uint8_t *buf,
			size_t len, GError **errp)
{
	TestdevState *s = state;
	uint64_t v;

	if (version != TESTDEV_STATE_VERSION || len != TESTDEV_STATE_SIZE) {
		error_setg(errp,
			   "testdev: state version %u of %zu bytes, this "
			   "kvmage reads version %d of %d bytes",
			   version, len, TESTDEV_STATE_VERSION,
			   TESTDEV_STATE_SIZE);
		return false;
	}
	memcpy(&v, buf, sizeof(v));
	g_mutex_lock(&s->lock);
	s->sync_count = GUINT64_FROM_LE(v);
	g_mutex_unlock(&s->lock);
	return true;
}
