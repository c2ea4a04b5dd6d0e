/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 8250/16550A-compatible UART at COM1, enough for a polling driver.  The
 * same registers appear at COM1_PORT (ring 0) and at COM1_MMIO_GPA, one byte
 * apart (ring 3: port I/O faults there on some hosts, see guest-abi.h).
 *
 * Modelled: THR (output), RBR (reads 0: no input), IER, IIR/FCR, LCR with
 * DLAB and the divisor latch (DLL/DLM), MCR (loopback suppresses output),
 * LSR (transmitter always empty, never data ready), MSR (a connected modem:
 * CTS, DSR and DCD; the MCR bits in loopback) and the scratch register.
 * There is no interrupt line: IIR reports a pending THR-empty interrupt
 * when IER asks for one, for drivers that poll IIR, but nothing is raised.
 *
 * Output goes to stdout (-serial stdio), a file truncated at start
 * (-serial file:PATH) or nowhere (-serial none, registers still work).
 * Bytes go through a stdio FILE that is flushed at every newline and at
 * serial_exit(), so output is line buffered and nothing is lost at exit.
 * With stdio, the serial console and the test device's PRINTF/REPORT lines
 * share the one stdout FILE (and its internal lock), so text reaches the
 * host in the order the guest produced it, whichever path it took.
 *
 * Locking: SerialState.lock protects the registers and the output stream;
 * it is taken by the port handlers, which run in any vCPU thread, and by
 * serial_exit().  Lock order: SerialState.lock, then the FILE's own lock.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hw/serial.h"
#include "kvmage/guest-abi.h"
#include "util/error.h"

enum {
	UART_RBR_THR, /* DLL when LCR.DLAB */
	UART_IER,     /* DLM when LCR.DLAB */
	UART_IIR_FCR,
	UART_LCR,
	UART_MCR,
	UART_LSR,
	UART_MSR,
	UART_SCR,
	UART_NR_REGS,
};

#define UART_IER_ETBEI	0x02 /* THR empty interrupt enable */
#define UART_IER_MASK	0x0f
#define UART_IIR_NO_INT 0x01
#define UART_IIR_THRI	0x02
#define UART_IIR_FIFO	0xc0 /* FIFOs enabled */
#define UART_FCR_ENABLE 0x01
#define UART_FCR_KEEP	0xc9 /* enable, DMA mode, trigger level */
#define UART_LCR_DLAB	0x80
#define UART_MCR_LOOP	0x10
#define UART_MCR_MASK	0x1f
#define UART_LSR_THRE	0x20
#define UART_LSR_TEMT	0x40
#define UART_MSR_CTS	0x10
#define UART_MSR_DSR	0x20
#define UART_MSR_RI	0x40
#define UART_MSR_DCD	0x80

typedef struct SerialState {
	GMutex lock; /* protects everything below */
	FILE *out;   /* NULL for -serial none */
	bool own_out;
	char *out_name;
	bool out_failed;

	uint8_t ier, lcr, mcr, scr, fcr;
	uint8_t dll, dlm;
	bool thr_irq; /* THR-empty interrupt pending (reported in IIR) */
} SerialState;

/* Called with s->lock held.  Reports the first failure and goes quiet. */
static void serial_out_failed(SerialState *s, int err)
{
	s->out_failed = true;
	fprintf(stderr, "kvmage: serial: write to %s failed: %s\n", s->out_name,
		g_strerror(err));
}

/* Called with s->lock held. */
static void serial_flush(SerialState *s)
{
	if (s->out && !s->out_failed && fflush(s->out) == EOF)
		serial_out_failed(s, errno);
}

/* Called with s->lock held. */
static void serial_transmit(SerialState *s, uint8_t byte)
{
	s->thr_irq = true;
	/* In loopback the byte goes to the receiver, which isn't modelled. */
	if (s->mcr & UART_MCR_LOOP)
		return;
	if (!s->out || s->out_failed)
		return;
	if (putc(byte, s->out) == EOF) {
		serial_out_failed(s, errno);
		return;
	}
	if (byte == '\n')
		serial_flush(s);
}

/* Called with s->lock held. */
static uint8_t serial_read_iir(SerialState *s)
{
	uint8_t iir = UART_IIR_NO_INT;

	if ((s->ier & UART_IER_ETBEI) && s->thr_irq) {
		iir = UART_IIR_THRI;
		s->thr_irq = false; /* reading IIR acknowledges THRE */
	}
	if (s->fcr & UART_FCR_ENABLE)
		iir |= UART_IIR_FIFO;
	return iir;
}

/* Called with s->lock held. */
static uint8_t serial_read_msr(SerialState *s)
{
	uint8_t msr = 0;

	if (!(s->mcr & UART_MCR_LOOP))
		return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	/* Loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
	if (s->mcr & 0x01)
		msr |= UART_MSR_DSR;
	if (s->mcr & 0x02)
		msr |= UART_MSR_CTS;
	if (s->mcr & 0x04)
		msr |= UART_MSR_RI;
	if (s->mcr & 0x08)
		msr |= UART_MSR_DCD;
	return msr;
}

/* Called with s->lock held. */
static uint8_t serial_read_reg(SerialState *s, uint64_t reg)
{
	bool dlab = s->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_RBR_THR:
		return dlab ? s->dll : 0;
	case UART_IER:
		return dlab ? s->dlm : s->ier;
	case UART_IIR_FCR:
		return serial_read_iir(s);
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		return UART_LSR_THRE | UART_LSR_TEMT;
	case UART_MSR:
		return serial_read_msr(s);
	case UART_SCR:
		return s->scr;
	}
	return 0xff;
}

/* Called with s->lock held. */
static void serial_write_reg(SerialState *s, uint64_t reg, uint8_t val)
{
	bool dlab = s->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_RBR_THR:
		if (dlab)
			s->dll = val;
		else
			serial_transmit(s, val);
		break;
	case UART_IER:
		if (dlab) {
			s->dlm = val;
			break;
		}
		s->ier = val & UART_IER_MASK;
		/* The transmitter is always empty: enabling THRE fires it. */
		if (s->ier & UART_IER_ETBEI)
			s->thr_irq = true;
		break;
	case UART_IIR_FCR:
		s->fcr = val & UART_FCR_KEEP;
		break;
	case UART_LCR:
		s->lcr = val;
		break;
	case UART_MCR:
		s->mcr = val & UART_MCR_MASK;
		break;
	case UART_SCR:
		s->scr = val;
		break;
	default: /* LSR and MSR writes are factory tests: ignored */
		break;
	}
}

/* vCPU threads; takes s->lock.  Only the low byte of wider reads is set. */
static void serial_pio_read(void *opaque, uint64_t addr, void *data,
			    unsigned size)
{
	SerialState *s = opaque;
	uint8_t *bytes = data;

	memset(data, 0, size);
	g_mutex_lock(&s->lock);
	bytes[0] = serial_read_reg(s, addr);
	g_mutex_unlock(&s->lock);
}

/* vCPU threads; takes s->lock.  Only the low byte of wider writes counts. */
static void serial_pio_write(void *opaque, uint64_t addr, const void *data,
			     unsigned size)
{
	SerialState *s = opaque;

	g_mutex_lock(&s->lock);
	serial_write_reg(s, addr, *(const uint8_t *)data);
	g_mutex_unlock(&s->lock);
}

static const IoBusOps serial_ops = {
	.name = "serial",
	.read = serial_pio_read,
	.write = serial_pio_write,
};

static bool serial_open_output(SerialState *s, const VmConfig *cfg,
			       GError **errp)
{
	switch (cfg->serial) {
	case SERIAL_STDIO:
		s->out = stdout;
		s->out_name = g_strdup("stdout");
		return true;
	case SERIAL_FILE:
		if (!cfg->serial_path || !*cfg->serial_path) {
			error_setg(errp, "serial: -serial file: needs a path");
			return false;
		}
		s->out = fopen(cfg->serial_path, "we");
		if (!s->out) {
			error_setg_errno(errp, errno, "serial: cannot open %s",
					 cfg->serial_path);
			return false;
		}
		s->own_out = true;
		s->out_name = g_strdup(cfg->serial_path);
		return true;
	case SERIAL_NONE:
		s->out_name = g_strdup("none");
		return true;
	}
	error_setg(errp, "serial: unknown backend %d", cfg->serial);
	return false;
}

/* Main thread, before vCPUs run. */
bool serial_init(Machine *m, void **state, GError **errp)
{
	SerialState *s = g_new0(SerialState, 1);

	g_mutex_init(&s->lock);
	s->dll = 0x01; /* 115200 baud */
	if (!serial_open_output(s, m->cfg, errp))
		goto err_free;
	if (!iobus_register(m->pio, COM1_PORT, UART_NR_REGS, &serial_ops, s,
			    errp) ||
	    !iobus_register(m->mmio, COM1_MMIO_GPA, UART_NR_REGS, &serial_ops,
			    s, errp))
		goto err_close;
	*state = s;
	return true;

err_close:
	/*
	 * A range registered before the failure stays on its bus: buses
	 * cannot unregister, and a failed init is fatal to the machine,
	 * which frees its buses without dispatching through them again.
	 * Nothing was written yet, so a failing fclose loses nothing.
	 */
	if (s->own_out)
		(void)fclose(s->out);
err_free:
	g_free(s->out_name);
	g_mutex_clear(&s->lock);
	g_free(s);
	return false;
}

/* Main thread, after vCPUs have stopped; takes s->lock for the flush. */
void serial_exit(Machine *m, void *state)
{
	SerialState *s = state;

	if (!s)
		return;
	g_mutex_lock(&s->lock);
	serial_flush(s);
	if (s->own_out && fclose(s->out) == EOF && !s->out_failed)
		serial_out_failed(s, errno);
	s->out = NULL;
	g_mutex_unlock(&s->lock);
	g_free(s->out_name);
	g_mutex_clear(&s->lock);
	g_free(s);
}

size_t serial_state_save(void *state, uint8_t *buf, size_t size)
{
	SerialState *s = state;

	if (size < SERIAL_STATE_SIZE)
		return 0;
	g_mutex_lock(&s->lock);
	buf[0] = s->ier;
	buf[1] = s->lcr;
	buf[2] = s->mcr;
	buf[3] = s->scr;
	buf[4] = s->fcr;
	buf[5] = s->dll;
	buf[6] = s->dlm;
	buf[7] = s->thr_irq;
	g_mutex_unlock(&s->lock);
	return SERIAL_STATE_SIZE;
}

bool serial_state_load(void *state, uint32_t version, const uint8_t *buf,
		       size_t len, GError **errp)
{
	SerialState *s = state;

	if (version != SERIAL_STATE_VERSION || len != SERIAL_STATE_SIZE) {
		error_setg(errp,
			   "serial: state version %u of %zu bytes, this kvmage "
			   "reads version %d of %d bytes",
			   version, len, SERIAL_STATE_VERSION,
			   SERIAL_STATE_SIZE);
		return false;
	}
	if ((buf[0] & ~UART_IER_MASK) || (buf[2] & ~UART_MCR_MASK) ||
	    (buf[4] & ~UART_FCR_KEEP) || buf[7] > 1) {
		error_setg(errp,
			   "serial: bad state: IER 0x%02x, MCR 0x%02x, FCR "
			   "0x%02x, THR interrupt %u",
			   buf[0], buf[2], buf[4], buf[7]);
		return false;
	}
	g_mutex_lock(&s->lock);
	s->ier = buf[0];
	s->lcr = buf[1];
	s->mcr = buf[2];
	s->scr = buf[3];
	s->fcr = buf[4];
	s->dll = buf[5];
	s->dlm = buf[6];
	s->thr_irq = buf[7];
	g_mutex_unlock(&s->lock);
	return true;
}
