/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "hw/serial.h"
#include "kvmage/guest-abi.h"
#include "util/error.h"

enum {
	THR,
	IER,
	IIR,
	LCR,
	MCR,
	LSR,
	MSR,
	SCR
};

typedef struct Fixture {
	VmConfig cfg;
	Machine m;
	void *dev;
	char *dir;
	char *path;
} Fixture;

static void fixture_buses_new(Fixture *f)
{
	f->m.pio = iobus_new("pio");
	f->m.mmio = iobus_new("mmio");
}

static void fixture_buses_free(Fixture *f)
{
	iobus_free(f->m.pio);
	iobus_free(f->m.mmio);
}

static bool fixture_start(Fixture *f, SerialKind kind, GError **errp)
{
	memset(f, 0, sizeof(*f));
	f->dir = g_dir_make_tmp("test-serial-XXXXXX", NULL);
	g_assert_nonnull(f->dir);
	f->path = g_build_filename(f->dir, "out.txt", NULL);
	f->cfg.serial = kind;
	f->cfg.serial_path = f->path;
	f->m.cfg = &f->cfg;
	fixture_buses_new(f);
	g_mutex_init(&f->m.lock);
	return serial_init(&f->m, &f->dev, errp);
}

static void fixture_stop(Fixture *f)
{
	if (f->dev)
		serial_exit(&f->m, f->dev);
	f->dev = NULL;
	fixture_buses_free(f);
	g_mutex_clear(&f->m.lock);
	g_unlink(f->path);
	g_rmdir(f->dir);
	g_free(f->path);
	g_free(f->dir);
}

static void outb(Fixture *f, unsigned reg, uint8_t v)
{
	g_assert_true(iobus_dispatch(f->m.pio, COM1_PORT + reg, &v, 1, true));
}

static uint8_t inb(Fixture *f, unsigned reg)
{
	uint8_t v = 0x5a;

	g_assert_true(iobus_dispatch(f->m.pio, COM1_PORT + reg, &v, 1, false));
	return v;
}

static void outs(Fixture *f, const char *s)
{
	for (; *s; s++)
		outb(f, THR, *s);
}

static char *file_text(Fixture *f)
{
	char *text = NULL;

	g_assert_true(g_file_get_contents(f->path, &text, NULL, NULL));
	return text;
}

/* Restart the device on the same fixture (the bus cannot unregister). */
static void fixture_restart(Fixture *f)
{
	if (f->dev)
		serial_exit(&f->m, f->dev);
	f->dev = NULL;
	fixture_buses_free(f);
	fixture_buses_new(f);
	g_assert_true(serial_init(&f->m, &f->dev, NULL));
}

static void test_file_output(void)
{
	Fixture f;
	g_autofree char *t1 = NULL, *t2 = NULL, *t3 = NULL;

	g_assert_true(fixture_start(&f, SERIAL_FILE, NULL));
	outs(&f, "hello\n");
	t1 = file_text(&f); /* flushed at the newline */
	g_assert_cmpstr(t1, ==, "hello\n");
	outs(&f, "partial");
	serial_exit(&f.m, f.dev); /* flushes the rest */
	f.dev = NULL;
	t2 = file_text(&f);
	g_assert_cmpstr(t2, ==, "hello\npartial");

	/* The file is truncated when the device starts. */
	fixture_restart(&f);
	outs(&f, "new\n");
	t3 = file_text(&f);
	g_assert_cmpstr(t3, ==, "new\n");
	fixture_stop(&f);
}

static void test_stdio_output(void)
{
	Fixture f;

	if (g_test_subprocess()) {
		g_assert_true(fixture_start(&f, SERIAL_STDIO, NULL));
		outs(&f, "console line\nno newline");
		fixture_stop(&f);
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
	g_test_trap_assert_stdout("console line\nno newline");
}

static void test_none_output(void)
{
	Fixture f;

	if (g_test_subprocess()) {
		g_assert_true(fixture_start(&f, SERIAL_NONE, NULL));
		outs(&f, "discarded\n");
		outb(&f, SCR, 0x42);
		g_assert_cmphex(inb(&f, SCR), ==, 0x42);
		g_assert_cmphex(inb(&f, LSR), ==, 0x60);
		g_assert_false(g_file_test(f.path, G_FILE_TEST_EXISTS));
		fixture_stop(&f);
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
	g_test_trap_assert_stdout("");
}

static void test_bad_path(void)
{
	Fixture f;
	GError *err = NULL;
	g_autofree char *missing = NULL;

	g_assert_true(fixture_start(&f, SERIAL_NONE, NULL));
	serial_exit(&f.m, f.dev);
	f.dev = NULL;
	fixture_buses_free(&f);
	fixture_buses_new(&f);

	missing = g_build_filename(f.dir, "no-such-dir", "out", NULL);
	f.cfg.serial = SERIAL_FILE;
	f.cfg.serial_path = missing;
	g_assert_false(serial_init(&f.m, &f.dev, &err));
	g_assert_null(f.dev);
	g_assert_error(err, KVMAGE_ERROR, KVMAGE_ERROR_GENERIC);
	g_assert_nonnull(strstr(err->message, missing));
	g_assert_nonnull(strstr(err->message, "No such file"));
	g_error_free(err);
	f.cfg.serial_path = f.path;
	fixture_stop(&f);
}

static void test_registers(void)
{
	Fixture f;
	g_autofree char *text = NULL;

	g_assert_true(fixture_start(&f, SERIAL_FILE, NULL));
	/* Scratch register reads back. */
	outb(&f, SCR, 0xa5);
	g_assert_cmphex(inb(&f, SCR), ==, 0xa5);
	/* Transmitter always empty, never data ready, RBR reads 0. */
	g_assert_cmphex(inb(&f, LSR), ==, 0x60);
	g_assert_cmphex(inb(&f, THR), ==, 0);
	/* Divisor latch behind DLAB, separate from THR and IER. */
	outb(&f, IER, 0x01);
	outb(&f, LCR, 0x83);
	outb(&f, THR, 0x0c);
	outb(&f, IER, 0x00);
	g_assert_cmphex(inb(&f, THR), ==, 0x0c);
	g_assert_cmphex(inb(&f, IER), ==, 0x00);
	g_assert_cmphex(inb(&f, LCR), ==, 0x83);
	outb(&f, LCR, 0x03);
	g_assert_cmphex(inb(&f, IER), ==, 0x01);
	g_assert_cmphex(inb(&f, THR), ==, 0);
	outb(&f, THR, 'x');
	/* MCR keeps 5 bits; MSR: a connected modem. */
	outb(&f, MCR, 0xeb);
	g_assert_cmphex(inb(&f, MCR), ==, 0x0b);
	g_assert_cmphex(inb(&f, MSR), ==, 0xb0);
	serial_exit(&f.m, f.dev);
	f.dev = NULL;
	text = file_text(&f);
	g_assert_cmpstr(text, ==, "x"); /* the divisor byte was not sent */
	fixture_stop(&f);
}

static void test_iir_fifo(void)
{
	Fixture f;

	g_assert_true(fixture_start(&f, SERIAL_NONE, NULL));
	g_assert_cmphex(inb(&f, IIR), ==, 0x01);
	outb(&f, IIR, 0x07); /* enable and clear FIFOs */
	g_assert_cmphex(inb(&f, IIR), ==, 0xc1);
	outb(&f, IER, 0x02); /* THR empty interrupt: pending at once */
	g_assert_cmphex(inb(&f, IIR), ==, 0xc2);
	g_assert_cmphex(inb(&f, IIR), ==, 0xc1); /* read acknowledged it */
	outb(&f, THR, 'a');
	g_assert_cmphex(inb(&f, IIR), ==, 0xc2);
	outb(&f, IIR, 0x00);
	outb(&f, IER, 0x00);
	outb(&f, THR, 'b');
	g_assert_cmphex(inb(&f, IIR), ==, 0x01);
	fixture_stop(&f);
}

static void test_loopback(void)
{
	Fixture f;
	g_autofree char *text = NULL;

	g_assert_true(fixture_start(&f, SERIAL_FILE, NULL));
	outb(&f, MCR, 0x10 | 0x02); /* loopback, RTS */
	g_assert_cmphex(inb(&f, MSR), ==, 0x10);
	outb(&f, MCR, 0x10 | 0x0f);
	g_assert_cmphex(inb(&f, MSR), ==, 0xf0);
	outs(&f, "looped\n");
	outb(&f, MCR, 0x03);
	outs(&f, "sent\n");
	text = file_text(&f);
	g_assert_cmpstr(text, ==, "sent\n");
	fixture_stop(&f);
}

/* The same registers at COM1_MMIO_GPA, one byte apart. */
static void test_mmio(void)
{
	g_autofree char *text = NULL;
	uint8_t v = 0x3c;
	Fixture f;

	g_assert_true(fixture_start(&f, SERIAL_FILE, NULL));
	g_assert_true(
		iobus_dispatch(f.m.mmio, COM1_MMIO_GPA + SCR, &v, 1, true));
	g_assert_cmphex(inb(&f, SCR), ==, 0x3c);
	outb(&f, SCR, 0x99);
	g_assert_true(
		iobus_dispatch(f.m.mmio, COM1_MMIO_GPA + SCR, &v, 1, false));
	g_assert_cmphex(v, ==, 0x99);
	g_assert_true(
		iobus_dispatch(f.m.mmio, COM1_MMIO_GPA + LSR, &v, 1, false));
	g_assert_cmphex(v, ==, 0x60);
	outs(&f, "po");
	v = 'r';
	g_assert_true(
		iobus_dispatch(f.m.mmio, COM1_MMIO_GPA + THR, &v, 1, true));
	v = '\n';
	g_assert_true(
		iobus_dispatch(f.m.mmio, COM1_MMIO_GPA + THR, &v, 1, true));
	text = file_text(&f);
	g_assert_cmpstr(text, ==, "por\n");
	fixture_stop(&f);
}

static void test_overlap(void)
{
	Fixture f;
	void *second = NULL;
	GError *err = NULL;

	g_assert_true(fixture_start(&f, SERIAL_NONE, NULL));
	g_assert_false(serial_init(&f.m, &second, &err));
	g_assert_null(second);
	g_assert_nonnull(strstr(err->message, "serial at 0x3f8-0x3ff"));
	g_error_free(err);
	fixture_stop(&f);
}

#define NR_THREADS	 4
#define BYTES_PER_THREAD 5000

static gpointer writer_thread(gpointer opaque)
{
	Fixture *f = opaque;
	int i;

	for (i = 0; i < BYTES_PER_THREAD; i++)
		outb(f, THR, i % 64 == 63 ? '\n' : 'a' + i % 26);
	return NULL;
}

/* Concurrent vCPU writes: every byte arrives exactly once. */
static void test_concurrent(void)
{
	GThread *threads[NR_THREADS];
	g_autofree char *text = NULL;
	Fixture f;
	gsize len = 0;
	int i;

	g_assert_true(fixture_start(&f, SERIAL_FILE, NULL));
	for (i = 0; i < NR_THREADS; i++)
		threads[i] = g_thread_new("writer", writer_thread, &f);
	for (i = 0; i < NR_THREADS; i++)
		g_thread_join(threads[i]);
	serial_exit(&f.m, f.dev);
	f.dev = NULL;
	g_assert_true(g_file_get_contents(f.path, &text, &len, NULL));
	g_assert_cmpuint(len, ==, NR_THREADS * BYTES_PER_THREAD);
	fixture_stop(&f);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/serial/file-output", test_file_output);
	g_test_add_func("/serial/stdio-output", test_stdio_output);
	g_test_add_func("/serial/none-output", test_none_output);
	g_test_add_func("/serial/bad-path", test_bad_path);
	g_test_add_func("/serial/registers", test_registers);
	g_test_add_func("/serial/iir-fifo", test_iir_fifo);
	g_test_add_func("/serial/loopback", test_loopback);
	g_test_add_func("/serial/mmio", test_mmio);
	g_test_add_func("/serial/overlap", test_overlap);
	g_test_add_func("/serial/concurrent", test_concurrent);
	return g_test_run();
}
