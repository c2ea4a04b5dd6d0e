/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "hw/testdev.h"
#include "util/error.h"

#define RAM_GPA	 0x400000ULL
#define RAM_SIZE 0x100000ULL
#define UC_GPA	 (RAM_GPA + 0x1000)

typedef struct Fixture {
	VmConfig cfg;
	Machine m;
	RamBank bank;
	void *dev;
	char *ram;
} Fixture;

static void fixture_start(Fixture *f, const char *debug_log)
{
	GError *err = NULL;

	memset(f, 0, sizeof(*f));
	f->ram = g_malloc0(RAM_SIZE);
	f->bank = (RamBank){
		.type = RAM_BANK_RAM,
		.gpa = RAM_GPA,
		.size = RAM_SIZE,
		.host = f->ram,
		.page_size = 4096,
	};
	f->m.ram = (RamList){
		.head = &f->bank,
		.nr_banks = 1,
		.ram_size = RAM_SIZE,
		.ram_top = RAM_GPA + RAM_SIZE,
	};
	f->cfg.debug_log = (char *)debug_log;
	f->m.cfg = &f->cfg;
	f->m.pio = iobus_new("pio");
	f->m.mmio = iobus_new("mmio");
	g_mutex_init(&f->m.lock);
	g_assert_true(testdev_init(&f->m, &f->dev, &err));
	g_assert_no_error(err);
}

static void fixture_stop(Fixture *f)
{
	testdev_exit(&f->m, f->dev);
	iobus_free(f->m.pio);
	iobus_free(f->m.mmio);
	g_mutex_clear(&f->m.lock);
	g_free(f->m.shutdown_reason);
	g_free(f->ram);
}

static struct ucall *uc_host(Fixture *f, uint64_t gpa)
{
	return (struct ucall *)(f->ram + (gpa - RAM_GPA));
}

static struct ucall *uc_fill(Fixture *f, uint64_t gpa, uint64_t cmd,
			     const char *text)
{
	struct ucall *uc = uc_host(f, gpa);

	memset(uc, 0, sizeof(*uc));
	uc->cmd = cmd;
	uc->cpu = 1;
	uc->ret = 0xbad;
	if (text)
		g_strlcpy(uc->buf, text, sizeof(uc->buf));
	return uc;
}

static void ucall_out(Fixture *f, uint32_t gpa)
{
	g_assert_true(iobus_dispatch(f->m.pio, UCALL_PORT, &gpa, 4, true));
}

static void assert_running(Fixture *f)
{
	g_assert_false(f->m.shutdown_requested);
}

static void assert_shutdown(Fixture *f, int status, const char *reason)
{
	g_assert_true(f->m.shutdown_requested);
	g_assert_cmpint(f->m.exit_status, ==, status);
	if (reason)
		g_assert_cmpstr(f->m.shutdown_reason, ==, reason);
}

typedef struct HookLog {
	unsigned calls;
	uint64_t last_stage, last_ret;
} HookLog;

static void sync_hook(void *opaque, const struct ucall *uc)
{
	HookLog *log = opaque;

	log->calls++;
	log->last_stage = uc->args[0];
	log->last_ret = uc->ret;
}

static void test_sync(void)
{
	HookLog log = { 0 };
	struct ucall *uc;
	Fixture f;

	fixture_start(&f, NULL);
	uc = uc_fill(&f, UC_GPA, UCALL_SYNC, NULL);
	uc->args[0] = 10;
	ucall_out(&f, UC_GPA);
	g_assert_cmpuint(uc->ret, ==, 1);
	g_assert_cmpuint(log.calls, ==, 0);

	testdev_set_sync_hook(f.dev, sync_hook, &log);
	uc->args[0] = 11;
	ucall_out(&f, UC_GPA);
	g_assert_cmpuint(uc->ret, ==, 2);
	g_assert_cmpuint(log.calls, ==, 1);
	g_assert_cmpuint(log.last_stage, ==, 11);
	g_assert_cmpuint(log.last_ret, ==, 2);

	/* A block ending exactly at the end of RAM is fine. */
	uc = uc_fill(&f, RAM_GPA + RAM_SIZE - sizeof(*uc), UCALL_SYNC, NULL);
	ucall_out(&f, RAM_GPA + RAM_SIZE - sizeof(*uc));
	g_assert_cmpuint(uc->ret, ==, 3);
	assert_running(&f);
	fixture_stop(&f);
}

static void test_sync_log(void)
{
	struct ucall *uc;
	Fixture f;

	if (g_test_subprocess()) {
		fixture_start(&f, "unimp,ucall");
		uc = uc_fill(&f, UC_GPA, UCALL_SYNC, NULL);
		uc->cpu = 3;
		uc->args[0] = 5;
		uc->args[1] = 0xabc;
		ucall_out(&f, UC_GPA);
		uc->args[0] = 6;
		ucall_out(&f, UC_GPA);
		fixture_stop(&f);
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
	g_test_trap_assert_stderr("ucall: SYNC cpu=3 stage=5 args=0xabc,0x0,"
				  "0x0,0x0,0x0 count=1\n"
				  "ucall: SYNC cpu=3 stage=6 *count=2\n");
}

static void test_sync_quiet(void)
{
	Fixture f;

	if (g_test_subprocess()) {
		fixture_start(&f, "ucallx");
		uc_fill(&f, UC_GPA, UCALL_SYNC, NULL);
		ucall_out(&f, UC_GPA);
		fixture_stop(&f);
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
	g_test_trap_assert_stderr("");
}

static void test_bad_address(void)
{
	struct ucall *uc;
	Fixture f;

	fixture_start(&f, NULL);
	ucall_out(&f, 0x1000); /* below RAM */
	assert_shutdown(&f, 1, "testdev: bad ucall address 0x1000");
	fixture_stop(&f);

	fixture_start(&f, NULL);
	ucall_out(&f, RAM_GPA + RAM_SIZE - 8); /* straddles the end of RAM */
	assert_shutdown(&f, 1, "testdev: bad ucall address 0x4ffff8");
	/* Once the VM is stopping, ucalls are ignored. */
	uc = uc_fill(&f, UC_GPA, UCALL_SYNC, NULL);
	ucall_out(&f, UC_GPA);
	g_assert_cmphex(uc->ret, ==, 0xbad);
	fixture_stop(&f);
}

static void test_bad_size(void)
{
	uint16_t v = 0x1000;
	uint32_t l = UC_GPA;
	Fixture f;

	fixture_start(&f, NULL);
	g_assert_true(iobus_dispatch(f.m.pio, UCALL_PORT, &v, 2, true));
	assert_shutdown(&f, 1,
			"testdev: bad ucall port access: 2 bytes at "
			"offset 0");
	fixture_stop(&f);

	fixture_start(&f, NULL);
	uc_fill(&f, UC_GPA, UCALL_SYNC, NULL);
	g_assert_true(iobus_dispatch(f.m.pio, UCALL_PORT + 1, &l, 4, true));
	assert_shutdown(&f, 1,
			"testdev: bad ucall port access: 4 bytes at "
			"offset 1");
	fixture_stop(&f);
}

static void test_assert(void)
{
	Fixture f;

	if (g_test_subprocess()) {
		fixture_start(&f, NULL);
		uc_fill(&f, UC_GPA, UCALL_ASSERT,
			"guest/assert.c:12: x == 1: x is 2\n");
		ucall_out(&f, UC_GPA);
		assert_shutdown(&f, 1,
				"guest assertion failed: "
				"guest/assert.c:12: x == 1: x is 2");
		fixture_stop(&f);
		return;
	}
	/* The reason is printed by main, not by the device. */
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
	g_test_trap_assert_stderr("");
	g_test_trap_assert_stdout("");
}

static void test_printf_report(void)
{
	struct ucall *uc;
	Fixture f;

	if (g_test_subprocess()) {
		fixture_start(&f, NULL);
		uc_fill(&f, UC_GPA, UCALL_PRINTF, "hello ");
		ucall_out(&f, UC_GPA);
		uc_fill(&f, UC_GPA, UCALL_PRINTF, "world\n");
		ucall_out(&f, UC_GPA);
		uc = uc_fill(&f, UC_GPA, UCALL_REPORT, "a=1\nb=2\r\n");
		ucall_out(&f, UC_GPA);
		/* The guest's copy is left alone; only ret is written. */
		g_assert_cmpstr(uc->buf, ==, "a=1\nb=2\r\n");
		g_assert_cmpuint(uc->ret, ==, 0);
		assert_running(&f);
		fixture_stop(&f);
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
	g_test_trap_assert_stdout("hello world\nguest-report: a=1 b=2\n");
	g_test_trap_assert_stderr("");
}

/* A buffer without a NUL is cut at UCALL_BUF_SIZE - 1 bytes. */
static void test_unterminated(void)
{
	g_autofree char *expect = NULL;
	struct ucall *uc;
	Fixture f;

	if (g_test_subprocess()) {
		fixture_start(&f, NULL);
		uc = uc_fill(&f, UC_GPA, UCALL_PRINTF, NULL);
		memset(uc->buf, 'A', sizeof(uc->buf));
		memset(uc + 1, 'B', 64); /* whatever follows in guest RAM */
		ucall_out(&f, UC_GPA);
		fixture_stop(&f);
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
	/* No wildcard: the pattern matches exactly 1023 'A's. */
	expect = g_strnfill(UCALL_BUF_SIZE - 1, 'A');
	g_test_trap_assert_stdout(expect);
}

static void test_done(void)
{
	struct ucall *uc;
	Fixture f;

	fixture_start(&f, NULL);
	uc = uc_fill(&f, UC_GPA, UCALL_DONE, NULL);
	uc->args[0] = 3;
	ucall_out(&f, UC_GPA);
	assert_shutdown(&f, 3, "guest done");
	fixture_stop(&f);

	fixture_start(&f, NULL);
	uc = uc_fill(&f, UC_GPA, UCALL_DONE, NULL);
	ucall_out(&f, UC_GPA);
	assert_shutdown(&f, 0, "guest done");
	fixture_stop(&f);
}

static void test_done_out_of_range(void)
{
	struct ucall *uc;
	Fixture f;

	fixture_start(&f, NULL);
	uc = uc_fill(&f, UC_GPA, UCALL_DONE, NULL);
	uc->args[0] = 256;
	ucall_out(&f, UC_GPA);
	assert_shutdown(&f, 1, "testdev: guest exit status 256 out of range");
	fixture_stop(&f);
}

static void test_exception(void)
{
	struct ucall *uc;
	Fixture f;

	fixture_start(&f, NULL);
	uc = uc_fill(&f, UC_GPA, UCALL_EXCEPTION, NULL);
	uc->cpu = 1;
	uc->args[0] = 14;
	uc->args[1] = 0x2;
	uc->args[2] = 0x401234;
	uc->args[3] = 0xdead000;
	ucall_out(&f, UC_GPA);
	assert_shutdown(&f, 1,
			"guest exception: vector 14 (#PF) error_code "
			"0x2 rip 0x401234 cr2 0xdead000 on cpu 1");
	fixture_stop(&f);

	fixture_start(&f, NULL);
	uc = uc_fill(&f, UC_GPA, UCALL_EXCEPTION, NULL);
	uc->cpu = 0;
	uc->args[0] = 255;
	ucall_out(&f, UC_GPA);
	assert_shutdown(&f, 1,
			"guest exception: vector 255 (external) "
			"error_code 0x0 rip 0x0 cr2 0x0 on cpu 0");
	fixture_stop(&f);
}

static void test_unknown_cmd(void)
{
	Fixture f;

	fixture_start(&f, NULL);
	uc_fill(&f, UC_GPA, UCALL_MAX, NULL);
	ucall_out(&f, UC_GPA);
	assert_shutdown(&f, 1, "testdev: unknown ucall command 7 on cpu 1");
	fixture_stop(&f);

	fixture_start(&f, NULL);
	uc_fill(&f, UC_GPA, UCALL_NONE, NULL);
	ucall_out(&f, UC_GPA);
	assert_shutdown(&f, 1, "testdev: unknown ucall command 0 on cpu 1");
	fixture_stop(&f);
}

static void test_exit_port(void)
{
	uint8_t b = 7;
	uint32_t l = 7;
	Fixture f;

	fixture_start(&f, NULL);
	g_assert_true(iobus_dispatch(f.m.pio, EXIT_PORT, &b, 1, true));
	assert_shutdown(&f, 7, "guest wrote 7 to the exit port");
	fixture_stop(&f);

	fixture_start(&f, NULL);
	g_assert_true(iobus_dispatch(f.m.pio, EXIT_PORT, &l, 4, true));
	assert_shutdown(&f, 1, "testdev: bad exit register access size 4");
	fixture_stop(&f);
}

/* ucall and exit through MMIO, as ring-3 code does. */
static void test_mmio(void)
{
	uint64_t gpa64 = UC_GPA;
	uint32_t gpa32 = UC_GPA + 0x2000;
	struct ucall *uc;
	uint8_t b = 9;
	Fixture f;

	fixture_start(&f, NULL);
	uc = uc_fill(&f, UC_GPA, UCALL_SYNC, NULL);
	g_assert_true(
		iobus_dispatch(f.m.mmio, UCALL_MMIO_GPA, &gpa64, 8, true));
	g_assert_cmpuint(uc->ret, ==, 1);
	uc = uc_fill(&f, gpa32, UCALL_SYNC, NULL);
	g_assert_true(
		iobus_dispatch(f.m.mmio, UCALL_MMIO_GPA, &gpa32, 4, true));
	g_assert_cmpuint(uc->ret, ==, 2);
	assert_running(&f);
	g_assert_true(iobus_dispatch(f.m.mmio, EXIT_MMIO_GPA, &b, 1, true));
	assert_shutdown(&f, 9, "guest wrote 9 to the exit port");
	fixture_stop(&f);
}

static void check_mmio_bad(uint64_t offset, uint64_t gpa, unsigned size,
			   const char *reason)
{
	Fixture f;

	fixture_start(&f, NULL);
	uc_fill(&f, UC_GPA, UCALL_SYNC, NULL);
	g_assert_true(iobus_dispatch(f.m.mmio, UCALL_MMIO_GPA + offset, &gpa,
				     size, true));
	assert_shutdown(&f, 1, reason);
	fixture_stop(&f);
}

static void test_mmio_bad(void)
{
	check_mmio_bad(4, UC_GPA, 4,
		       "testdev: bad ucall MMIO access: 4 bytes at offset 4");
	check_mmio_bad(0, UC_GPA, 2,
		       "testdev: bad ucall MMIO access: 2 bytes at offset 0");
	check_mmio_bad(0, 0x100000000000ULL, 8,
		       "testdev: bad ucall address 0x100000000000");
}

#define NR_THREADS	 4
#define SYNCS_PER_THREAD 2000

typedef struct SyncThread {
	Fixture *f;
	uint64_t gpa;
	uint64_t *rets;
} SyncThread;

static gpointer sync_thread(gpointer opaque)
{
	SyncThread *t = opaque;
	struct ucall *uc = uc_fill(t->f, t->gpa, UCALL_SYNC, NULL);
	int i;

	for (i = 0; i < SYNCS_PER_THREAD; i++) {
		ucall_out(t->f, t->gpa);
		t->rets[i] = uc->ret;
	}
	return NULL;
}

/* SYNCs from several vCPUs at once get distinct, gap-free counts. */
static void test_sync_concurrent(void)
{
	enum {
		TOTAL = NR_THREADS * SYNCS_PER_THREAD
	};
	g_autofree uint64_t *rets = g_new0(uint64_t, TOTAL);
	g_autofree bool *seen = g_new0(bool, TOTAL + 1);
	GThread *threads[NR_THREADS];
	SyncThread t[NR_THREADS];
	Fixture f;
	int i;

	fixture_start(&f, NULL);
	for (i = 0; i < NR_THREADS; i++) {
		t[i] = (SyncThread){
			.f = &f,
			.gpa = UC_GPA + i * 0x1000,
			.rets = rets + i * SYNCS_PER_THREAD,
		};
		threads[i] = g_thread_new("vcpu", sync_thread, &t[i]);
	}
	for (i = 0; i < NR_THREADS; i++)
		g_thread_join(threads[i]);
	for (i = 0; i < TOTAL; i++) {
		g_assert_cmpuint(rets[i], >=, 1);
		g_assert_cmpuint(rets[i], <=, TOTAL);
		g_assert_false(seen[rets[i]]);
		seen[rets[i]] = true;
	}
	fixture_stop(&f);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/testdev/sync", test_sync);
	g_test_add_func("/testdev/sync-log", test_sync_log);
	g_test_add_func("/testdev/sync-quiet", test_sync_quiet);
	g_test_add_func("/testdev/sync-concurrent", test_sync_concurrent);
	g_test_add_func("/testdev/bad-address", test_bad_address);
	g_test_add_func("/testdev/bad-size", test_bad_size);
	g_test_add_func("/testdev/assert", test_assert);
	g_test_add_func("/testdev/printf-report", test_printf_report);
	g_test_add_func("/testdev/unterminated", test_unterminated);
	g_test_add_func("/testdev/done", test_done);
	g_test_add_func("/testdev/done-out-of-range", test_done_out_of_range);
	g_test_add_func("/testdev/exception", test_exception);
	g_test_add_func("/testdev/unknown-cmd", test_unknown_cmd);
	g_test_add_func("/testdev/exit-port", test_exit_port);
	g_test_add_func("/testdev/mmio", test_mmio);
	g_test_add_func("/testdev/mmio-bad", test_mmio_bad);
	return g_test_run();
}
