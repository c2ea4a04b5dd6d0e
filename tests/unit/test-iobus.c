/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>
#include <glib.h>

#include "hw/iobus.h"
#include "util/error.h"

/* A fake device that records its last access. */
typedef struct FakeDev {
	int id;
	unsigned reads, writes;
	uint64_t last_addr;
	unsigned last_size;
	uint64_t last_val;
} FakeDev;

static void fake_read(void *opaque, uint64_t addr, void *data, unsigned size)
{
	FakeDev *d = opaque;
	uint64_t val = ((uint64_t)d->id << 32) | addr;

	d->reads++;
	d->last_addr = addr;
	d->last_size = size;
	memcpy(data, &val, size);
}

static void fake_write(void *opaque, uint64_t addr, const void *data,
		       unsigned size)
{
	FakeDev *d = opaque;

	d->writes++;
	d->last_addr = addr;
	d->last_size = size;
	d->last_val = 0;
	memcpy(&d->last_val, data, size);
}

static const IoBusOps fake_ops = {
	.name = "fake",
	.read = fake_read,
	.write = fake_write,
};
static const IoBusOps other_ops = {
	.name = "other",
	.read = fake_read,
	.write = fake_write,
};
static const IoBusOps write_only_ops = {
	.name = "wo",
	.write = fake_write,
};

static void test_dispatch_relative(void)
{
	IoBus *bus = iobus_new("pio");
	FakeDev a = { .id = 1 }, b = { .id = 2 };
	uint32_t val = 0xdeadbeef;
	uint64_t rd = 0;
	GError *err = NULL;

	g_assert_true(iobus_register(bus, 0x3f8, 8, &fake_ops, &a, &err));
	g_assert_no_error(err);
	g_assert_true(iobus_register(bus, 0xe0, 4, &other_ops, &b, &err));
	g_assert_no_error(err);

	g_assert_true(iobus_dispatch(bus, 0x3fd, &val, 4, true));
	g_assert_cmpuint(a.writes, ==, 1);
	g_assert_cmpuint(a.last_addr, ==, 5);
	g_assert_cmpuint(a.last_size, ==, 4);
	g_assert_cmphex(a.last_val, ==, 0xdeadbeef);
	g_assert_cmpuint(b.writes, ==, 0);

	g_assert_true(iobus_dispatch(bus, 0xe3, &rd, 8, false));
	g_assert_cmpuint(b.reads, ==, 1);
	g_assert_cmphex(rd, ==, (2ULL << 32) | 3);
	g_assert_cmpuint(a.reads, ==, 0);
	iobus_free(bus);
}

static void test_dispatch_miss(void)
{
	IoBus *bus = iobus_new("pio");
	FakeDev a = { .id = 1 };
	uint8_t v = 0;

	/* Empty bus. */
	g_assert_false(iobus_dispatch(bus, 0, &v, 1, false));
	g_assert_true(iobus_register(bus, 0x100, 0x10, &fake_ops, &a, NULL));
	g_assert_false(iobus_dispatch(bus, 0xff, &v, 1, false));
	g_assert_false(iobus_dispatch(bus, 0x110, &v, 1, true));
	g_assert_false(iobus_dispatch(bus, 0, &v, 1, true));
	g_assert_false(iobus_dispatch(bus, UINT64_MAX, &v, 1, true));
	g_assert_true(iobus_dispatch(bus, 0x100, &v, 1, true));
	g_assert_true(iobus_dispatch(bus, 0x10f, &v, 1, true));
	g_assert_cmpuint(a.writes, ==, 2);
	g_assert_cmpuint(a.last_addr, ==, 0xf);
	g_assert_cmpuint(a.reads, ==, 0);
	iobus_free(bus);
}

static void test_write_only_reads_ones(void)
{
	IoBus *bus = iobus_new("pio");
	FakeDev a = { .id = 1 };
	uint32_t v = 0;

	g_assert_true(iobus_register(bus, 0xf4, 1, &write_only_ops, &a, NULL));
	g_assert_true(iobus_dispatch(bus, 0xf4, &v, 2, false));
	g_assert_cmphex(v, ==, 0xffff);
	iobus_free(bus);
}

static void check_overlap(IoBus *bus, uint64_t base, uint64_t len,
			  const char *expect)
{
	FakeDev d = { 0 };
	GError *err = NULL;

	g_assert_false(iobus_register(bus, base, len, &other_ops, &d, &err));
	g_assert_error(err, KVMAGE_ERROR, KVMAGE_ERROR_GENERIC);
	g_assert_cmpstr(err->message, ==, expect);
	g_error_free(err);
}

static void test_overlap(void)
{
	IoBus *bus = iobus_new("pio");
	FakeDev a = { .id = 1 };
	FakeDev b = { .id = 2 };

	g_assert_true(iobus_register(bus, 0x100, 0x10, &fake_ops, &a, NULL));
	check_overlap(bus, 0x100, 0x10,
		      "pio: other at 0x100-0x10f overlaps fake at 0x100-0x10f");
	check_overlap(bus, 0xf0, 0x11,
		      "pio: other at 0xf0-0x100 overlaps fake at 0x100-0x10f");
	check_overlap(bus, 0x10f, 1,
		      "pio: other at 0x10f-0x10f overlaps fake at 0x100-0x10f");
	check_overlap(bus, 0x104, 2,
		      "pio: other at 0x104-0x105 overlaps fake at 0x100-0x10f");
	check_overlap(bus, 0, 0x1000,
		      "pio: other at 0x0-0xfff overlaps fake at 0x100-0x10f");
	/* Adjacent ranges on both sides are fine. */
	g_assert_true(iobus_register(bus, 0xf0, 0x10, &other_ops, &b, NULL));
	g_assert_true(iobus_register(bus, 0x110, 1, &other_ops, &b, NULL));
	check_overlap(bus, 0xe0, 0x11,
		      "pio: other at 0xe0-0xf0 overlaps other at 0xf0-0xff");
	iobus_free(bus);
}

static void test_bad_ranges(void)
{
	IoBus *bus = iobus_new("mmio");
	FakeDev a = { 0 };
	GError *err = NULL;

	g_assert_false(iobus_register(bus, 0x1000, 0, &fake_ops, &a, &err));
	g_assert_nonnull(strstr(err->message, "empty range"));
	g_clear_error(&err);
	g_assert_false(
		iobus_register(bus, UINT64_MAX - 1, 3, &fake_ops, &a, &err));
	g_assert_nonnull(strstr(err->message, "wraps"));
	g_clear_error(&err);
	/* The very top of the address space is allowed. */
	g_assert_true(
		iobus_register(bus, UINT64_MAX - 1, 2, &fake_ops, &a, &err));
	g_assert_no_error(err);
	g_assert_true(iobus_dispatch(bus, UINT64_MAX, &a.id, 1, true));
	g_assert_cmpuint(a.last_addr, ==, 1);
	iobus_free(bus);
}

/* Many ranges registered in random order: compare with a linear model. */
static void test_many_ranges(void)
{
	enum {
		N = 200,
		STRIDE = 16
	};
	IoBus *bus = iobus_new("pio");
	FakeDev devs[N];
	GRand *rand = g_rand_new_with_seed(42);
	unsigned order[N];
	unsigned i;

	for (i = 0; i < N; i++)
		order[i] = i;
	for (i = N - 1; i > 0; i--) {
		unsigned j = g_rand_int_range(rand, 0, i + 1);
		unsigned t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	/* Device i covers [i * STRIDE, i * STRIDE + len), len in 1..8. */
	for (i = 0; i < N; i++) {
		unsigned k = order[i];

		devs[k] = (FakeDev){ .id = k };
		g_assert_true(iobus_register(bus, k * STRIDE, 1 + k % 8,
					     &fake_ops, &devs[k], NULL));
	}
	for (uint64_t addr = 0; addr < N * STRIDE + 4; addr++) {
		unsigned k = addr / STRIDE;
		bool hit = k < N && addr % STRIDE < 1 + k % 8;
		uint64_t v = 0;

		g_assert_cmpint(iobus_dispatch(bus, addr, &v, 8, false), ==,
				hit);
		if (hit)
			g_assert_cmphex(v, ==,
					((uint64_t)k << 32) | (addr % STRIDE));
	}
	g_rand_free(rand);
	iobus_free(bus);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/iobus/dispatch-relative", test_dispatch_relative);
	g_test_add_func("/iobus/dispatch-miss", test_dispatch_miss);
	g_test_add_func("/iobus/write-only-reads-ones",
			test_write_only_reads_ones);
	g_test_add_func("/iobus/overlap", test_overlap);
	g_test_add_func("/iobus/bad-ranges", test_bad_ranges);
	g_test_add_func("/iobus/many-ranges", test_many_ranges);
	return g_test_run();
}
