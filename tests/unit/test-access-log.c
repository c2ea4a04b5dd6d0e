/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The userspace half of the PROPOSED KVM access log, tested against a
 * MODEL of the kernel half.
 *
 * No kernel implements KVM_GET_ACCESS_LOG / KVM_CLEAR_ACCESS_LOG.  The
 * model_kvm_access_log_*() functions below are a few dozen lines of C that
 * follow docs/interop/kvm-access-log.rst: per-page accessed bits, pages a
 * fast-only call must skip, ranges it must refuse with EAGAIN, and the
 * documented argument checks.  They are not KVM and prove nothing about
 * any kernel; they let the harvester's bitmap layout, range splitting and
 * partial-result handling be checked.  The one test that touches the real
 * kernel (/access-log/probe-real) checks that it does NOT have the
 * capability.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "accel/access-log.h"
#include "util/error.h"

/* ---- The model of the proposed kernel semantics (not a kernel) ---- */

#define MODEL_NR_SLOTS 4

struct model_kvm_slot {
	bool present;
	uint64_t npages;
	uint8_t *young;	    /* the page's SPTE accessed bit */
	uint8_t *contended; /* a fast-only walk cannot examine this page */
};

struct model_kvm_call {
	bool clear;
	uint32_t flags;
	uint64_t first_page;
	uint32_t num_pages;
};

typedef struct ModelKvm {
	struct model_kvm_slot slots[MODEL_NR_SLOTS]; /* address space 0 */
	int64_t eagain_first; /* fast-only calls at this page: EAGAIN */
	GArray *calls;	      /* struct model_kvm_call, every valid call */
} ModelKvm;

static ModelKvm *model_kvm_new(void)
{
	ModelKvm *m = g_new0(ModelKvm, 1);

	m->eagain_first = -1;
	m->calls = g_array_new(FALSE, FALSE, sizeof(struct model_kvm_call));
	return m;
}

static void model_kvm_add_slot(ModelKvm *m, unsigned id, uint64_t npages)
{
	struct model_kvm_slot *s = &m->slots[id];

	s->present = true;
	s->npages = npages;
	s->young = g_new0(uint8_t, npages);
	s->contended = g_new0(uint8_t, npages);
}

static void model_kvm_free(ModelKvm *m)
{
	for (unsigned i = 0; i < MODEL_NR_SLOTS; i++) {
		g_free(m->slots[i].young);
		g_free(m->slots[i].contended);
	}
	g_array_free(m->calls, TRUE);
	g_free(m);
}

/* The documented argument checks, common to both ioctls. */
static int model_kvm_access_log_check(ModelKvm *m, struct kvm_access_log *log,
				      uint32_t valid_flags,
				      struct model_kvm_slot **slotp)
{
	unsigned as_id = log->slot >> 16, id = log->slot & 0xffff;
	struct model_kvm_slot *s;

	if (log->flags & ~valid_flags)
		return -EINVAL;
	for (unsigned i = 0; i < G_N_ELEMENTS(log->reserved); i++)
		if (log->reserved[i])
			return -EINVAL;
	if (as_id != 0 || id >= MODEL_NR_SLOTS)
		return -EINVAL;
	s = &m->slots[id];
	if (!s->present)
		return -ENOENT;
	if (log->first_page % 64 || !log->num_pages ||
	    log->num_pages > KVM_ACCESS_LOG_MAX_PAGES ||
	    log->first_page >= s->npages ||
	    log->num_pages > s->npages - log->first_page)
		return -EINVAL;
	if (log->num_pages % 64 &&
	    log->first_page + log->num_pages != s->npages)
		return -EINVAL;
	if (!log->bitmap)
		return -EFAULT;
	if ((log->flags & KVM_ACCESS_LOG_FAST_ONLY) &&
	    (int64_t)log->first_page == m->eagain_first)
		return -EAGAIN;
	*slotp = s;
	return 0;
}

static void model_set_bit(uint64_t *map, uint64_t i)
{
	map[i / 64] |= GUINT64_TO_LE(1ULL << (i % 64));
}

static bool model_test_bit(const uint64_t *map, uint64_t i)
{
	return GUINT64_FROM_LE(map[i / 64]) & (1ULL << (i % 64));
}

static void model_kvm_record(ModelKvm *m, bool clear,
			     const struct kvm_access_log *log)
{
	struct model_kvm_call c = { clear, log->flags, log->first_page,
				    log->num_pages };

	g_array_append_val(m->calls, c);
}

/* Model of KVM_GET_ACCESS_LOG. */
static int model_kvm_access_log_get(void *opaque, struct kvm_access_log *log)
{
	ModelKvm *m = opaque;
	bool fast = log->flags & KVM_ACCESS_LOG_FAST_ONLY;
	bool tac = log->flags & KVM_ACCESS_LOG_TEST_AND_CLEAR;
	uint64_t words = (log->num_pages + 63) / 64;
	uint64_t *map = log->bitmap, *skip = log->skipped_bitmap;
	struct model_kvm_slot *s;
	int ret;

	ret = model_kvm_access_log_check(m, log, KVM_ACCESS_LOG_VALID_FLAGS,
					 &s);
	if (ret)
		return ret;
	model_kvm_record(m, false, log);
	memset(map, 0, words * 8);
	if (skip)
		memset(skip, 0, words * 8);
	log->pages_accessed = log->pages_skipped = 0;
	for (uint64_t i = 0; i < log->num_pages; i++) {
		uint64_t gfn = log->first_page + i;

		if (fast && s->contended[gfn]) {
			if (skip)
				model_set_bit(skip, i);
			log->pages_skipped++;
		} else if (s->young[gfn]) {
			model_set_bit(map, i);
			log->pages_accessed++;
			if (tac)
				s->young[gfn] = 0;
		}
	}
	log->status = log->pages_skipped ? KVM_ACCESS_LOG_STATUS_PARTIAL :
					   KVM_ACCESS_LOG_STATUS_COMPLETE;
	return 0;
}

/* Model of KVM_CLEAR_ACCESS_LOG. */
static int model_kvm_access_log_clear(void *opaque, struct kvm_access_log *log)
{
	ModelKvm *m = opaque;
	bool fast = log->flags & KVM_ACCESS_LOG_FAST_ONLY;
	const uint64_t *map = log->bitmap;
	uint64_t *skip = log->skipped_bitmap;
	struct model_kvm_slot *s;
	int ret;

	ret = model_kvm_access_log_check(m, log, KVM_ACCESS_LOG_FAST_ONLY, &s);
	if (ret)
		return ret;
	model_kvm_record(m, true, log);
	if (skip)
		memset(skip, 0, (log->num_pages + 63) / 64 * 8);
	log->pages_accessed = log->pages_skipped = 0;
	for (uint64_t i = 0; i < log->num_pages; i++) {
		uint64_t gfn = log->first_page + i;

		if (!model_test_bit(map, i))
			continue;
		if (fast && s->contended[gfn]) {
			if (skip)
				model_set_bit(skip, i);
			log->pages_skipped++;
		} else if (s->young[gfn]) {
			s->young[gfn] = 0;
			log->pages_accessed++;
		}
	}
	log->status = log->pages_skipped ? KVM_ACCESS_LOG_STATUS_PARTIAL :
					   KVM_ACCESS_LOG_STATUS_COMPLETE;
	return 0;
}

static const AccessLogOps model_kvm_access_log_ops = {
	.get = model_kvm_access_log_get,
	.clear = model_kvm_access_log_clear,
};

/* ---- Helpers ---- */

static AccessLogSlot *slot_new(uint32_t slot, uint64_t npages, uint32_t max)
{
	g_autoptr(GError) err = NULL;
	AccessLogSlot *ls = access_log_slot_new(slot, npages, max, &err);

	g_assert_no_error(err);
	return ls;
}

static void scan_ok(AccessLogSlot *ls, ModelKvm *m, uint32_t flags)
{
	g_autoptr(GError) err = NULL;

	g_assert_true(access_log_slot_scan(ls, &model_kvm_access_log_ops, m,
					   flags, &err));
	g_assert_no_error(err);
}

static struct model_kvm_call *call(ModelKvm *m, guint i)
{
	return &g_array_index(m->calls, struct model_kvm_call, i);
}

/* Every page's bit in @map equals @expect[page]. */
static void assert_bitmap(const uint64_t *map, const uint8_t *expect,
			  uint64_t npages)
{
	for (uint64_t i = 0; i < npages; i++)
		g_assert_cmpint(access_log_test_bit(map, i), ==, !!expect[i]);
}

/* ---- Tests ---- */

/* Bit i of word w is page 64 * w + i; bits past the slot end stay 0. */
static void test_layout(void)
{
	static const uint64_t young[] = { 0, 1, 63, 64, 130, 199 };
	ModelKvm *m = model_kvm_new();
	AccessLogSlot *ls;

	model_kvm_add_slot(m, 1, 200);
	for (unsigned i = 0; i < G_N_ELEMENTS(young); i++)
		m->slots[1].young[young[i]] = 1;
	ls = slot_new(1, 200, 256);
	g_assert_cmpuint(ls->nwords, ==, 4);
	scan_ok(ls, m, 0);
	g_assert_cmphex(GUINT64_FROM_LE(ls->accessed[0]), ==,
			1ULL | 2ULL | 1ULL << 63);
	g_assert_cmphex(GUINT64_FROM_LE(ls->accessed[1]), ==, 1);
	g_assert_cmphex(GUINT64_FROM_LE(ls->accessed[2]), ==, 1ULL << 2);
	g_assert_cmphex(GUINT64_FROM_LE(ls->accessed[3]), ==, 1ULL << 7);
	/* Byte view: bit i is bit i % 8 of byte i / 8 (little-endian). */
	g_assert_cmphex(((uint8_t *)ls->accessed)[7], ==, 0x80);
	g_assert_cmphex(((uint8_t *)ls->accessed)[16], ==, 0x04);
	assert_bitmap(ls->accessed, m->slots[1].young, 200);
	g_assert_cmpuint(ls->last.calls, ==, 1);
	g_assert_cmpuint(ls->last.pages_accessed, ==, G_N_ELEMENTS(young));
	g_assert_cmpuint(ls->last.pages_skipped, ==, 0);
	g_assert_cmpuint(call(m, 0)->num_pages, ==, 200);
	access_log_slot_free(ls);
	model_kvm_free(m);
}

/* Scan @npages with @max and check the ranges the model saw. */
static void check_split(uint64_t npages, uint32_t max, const uint64_t *firsts,
			const uint32_t *lens, unsigned n)
{
	ModelKvm *m = model_kvm_new();
	AccessLogSlot *ls;

	model_kvm_add_slot(m, 0, npages);
	/* Pages on both sides of every range boundary, and the last one. */
	for (unsigned i = 1; i < n; i++) {
		m->slots[0].young[firsts[i] - 1] = 1;
		m->slots[0].young[firsts[i]] = 1;
	}
	m->slots[0].young[npages - 1] = 1;
	ls = slot_new(0, npages, max);
	scan_ok(ls, m, 0);
	g_assert_cmpuint(m->calls->len, ==, n);
	for (unsigned i = 0; i < n; i++) {
		g_assert_cmpuint(call(m, i)->first_page, ==, firsts[i]);
		g_assert_cmpuint(call(m, i)->num_pages, ==, lens[i]);
	}
	assert_bitmap(ls->accessed, m->slots[0].young, npages);
	g_assert_cmpuint(ls->last.pages_accessed, ==, 2 * (n - 1) + 1);
	access_log_slot_free(ls);
	model_kvm_free(m);
}

static void test_split(void)
{
	/* 300 is rounded down to 256; the tail range reaches the slot end. */
	check_split(1000, 300, (uint64_t[]){ 0, 256, 512, 768 },
		    (uint32_t[]){ 256, 256, 256, 232 }, 4);
	/* Exactly two ranges, no empty third. */
	check_split(512, 256, (uint64_t[]){ 0, 256 }, (uint32_t[]){ 256, 256 },
		    2);
	/* The range limit larger than the slot: one call. */
	check_split(100, 4096, (uint64_t[]){ 0 }, (uint32_t[]){ 100 }, 1);
	/* At the kernel's per-call limit. */
	check_split(2ULL * KVM_ACCESS_LOG_MAX_PAGES + 64,
		    KVM_ACCESS_LOG_MAX_PAGES,
		    (uint64_t[]){ 0, KVM_ACCESS_LOG_MAX_PAGES,
				  2ULL * KVM_ACCESS_LOG_MAX_PAGES },
		    (uint32_t[]){ KVM_ACCESS_LOG_MAX_PAGES,
				  KVM_ACCESS_LOG_MAX_PAGES, 64 },
		    3);
}

static void test_slot_new_errors(void)
{
	g_autoptr(GError) e1 = NULL;
	g_autoptr(GError) e2 = NULL;
	g_autoptr(GError) e3 = NULL;

	g_assert_null(access_log_slot_new(0, 100, 63, &e1));
	g_assert_error(e1, KVMAGE_ERROR, KVMAGE_ERROR_GENERIC);
	g_assert_null(access_log_slot_new(0, 100, KVM_ACCESS_LOG_MAX_PAGES + 64,
					  &e2));
	g_assert_error(e2, KVMAGE_ERROR, KVMAGE_ERROR_GENERIC);
	g_assert_null(access_log_slot_new(0, 0, 256, &e3));
	g_assert_error(e3, KVMAGE_ERROR, KVMAGE_ERROR_GENERIC);
}

/* Peek leaves accessed bits set; test-and-clear consumes them. */
static void test_test_and_clear(void)
{
	ModelKvm *m = model_kvm_new();
	struct model_kvm_slot *s;
	g_autofree uint8_t *want = g_new0(uint8_t, 300);
	AccessLogSlot *ls;

	model_kvm_add_slot(m, 2, 300);
	s = &m->slots[2];
	for (unsigned i = 0; i < 300; i += 7)
		s->young[i] = want[i] = 1;
	ls = slot_new(2, 300, 128);
	for (int pass = 0; pass < 2; pass++) {
		scan_ok(ls, m, 0);
		assert_bitmap(ls->accessed, want, 300);
		for (unsigned i = 0; i < 300; i++)
			g_assert_cmpuint(s->young[i], ==, want[i]);
	}
	scan_ok(ls, m, KVM_ACCESS_LOG_TEST_AND_CLEAR);
	assert_bitmap(ls->accessed, want, 300);
	g_assert_cmpuint(ls->last.pages_accessed, ==, (300 + 6) / 7);
	for (unsigned i = 0; i < 300; i++)
		g_assert_cmpuint(s->young[i], ==, 0);
	scan_ok(ls, m, KVM_ACCESS_LOG_TEST_AND_CLEAR);
	g_assert_cmpuint(ls->last.pages_accessed, ==, 0);
	/* The guest touches page 5 again. */
	s->young[5] = 1;
	scan_ok(ls, m, KVM_ACCESS_LOG_TEST_AND_CLEAR);
	g_assert_cmpuint(ls->last.pages_accessed, ==, 1);
	g_assert_true(access_log_test_bit(ls->accessed, 5));
	g_assert_cmpuint(ls->scans, ==, 5);
	access_log_slot_free(ls);
	model_kvm_free(m);
}

/*
 * Fast-only: contended pages are skipped, counted and marked unknown, and
 * keep their accessed bit, so the next scan reports them.
 */
static void test_fast_only_partial(void)
{
	const uint32_t fast_tac = KVM_ACCESS_LOG_FAST_ONLY |
				  KVM_ACCESS_LOG_TEST_AND_CLEAR;
	ModelKvm *m = model_kvm_new();
	struct model_kvm_slot *s;
	AccessLogSlot *ls;

	model_kvm_add_slot(m, 0, 512);
	s = &m->slots[0];
	s->young[10] = s->young[20] = s->young[300] = 1;
	s->contended[20] = s->contended[21] = s->contended[300] = 1;
	ls = slot_new(0, 512, 256);
	scan_ok(ls, m, fast_tac);
	g_assert_cmpuint(ls->last.pages_accessed, ==, 1);
	g_assert_true(access_log_test_bit(ls->accessed, 10));
	g_assert_false(access_log_test_bit(ls->accessed, 20));
	g_assert_cmpuint(ls->last.pages_skipped, ==, 3);
	g_assert_cmpuint(ls->last.ranges_partial, ==, 2);
	g_assert_true(access_log_test_bit(ls->skipped, 20));
	g_assert_true(access_log_test_bit(ls->skipped, 21));
	g_assert_true(access_log_test_bit(ls->skipped, 300));
	g_assert_false(access_log_test_bit(ls->skipped, 10));
	/* Skipped pages were not cleared. */
	g_assert_cmpuint(s->young[10], ==, 0);
	g_assert_cmpuint(s->young[20], ==, 1);
	g_assert_cmpuint(s->young[300], ==, 1);

	/* Contention gone: the next scan picks them up. */
	memset(s->contended, 0, 512);
	scan_ok(ls, m, fast_tac);
	g_assert_cmpuint(ls->last.pages_skipped, ==, 0);
	g_assert_cmpuint(ls->last.ranges_partial, ==, 0);
	g_assert_cmpuint(ls->last.pages_accessed, ==, 2);
	g_assert_true(access_log_test_bit(ls->accessed, 20));
	g_assert_true(access_log_test_bit(ls->accessed, 300));
	g_assert_false(access_log_test_bit(ls->skipped, 20));
	g_assert_cmpuint(ls->total_skipped, ==, 3);
	g_assert_cmpuint(ls->scans, ==, 2);

	/* Without FAST_ONLY contention does not matter. */
	s->contended[7] = s->young[7] = 1;
	scan_ok(ls, m, KVM_ACCESS_LOG_TEST_AND_CLEAR);
	g_assert_cmpuint(ls->last.pages_skipped, ==, 0);
	g_assert_true(access_log_test_bit(ls->accessed, 7));
	access_log_slot_free(ls);
	model_kvm_free(m);
}

/* A fast-only range refused with EAGAIN is skipped whole; others go on. */
static void test_fast_only_eagain(void)
{
	const uint32_t fast_tac = KVM_ACCESS_LOG_FAST_ONLY |
				  KVM_ACCESS_LOG_TEST_AND_CLEAR;
	ModelKvm *m = model_kvm_new();
	struct model_kvm_slot *s;
	AccessLogSlot *ls;

	model_kvm_add_slot(m, 0, 600);
	s = &m->slots[0];
	s->young[5] = s->young[300] = s->young[599] = 1;
	m->eagain_first = 256;
	ls = slot_new(0, 600, 256);
	scan_ok(ls, m, fast_tac);
	g_assert_cmpuint(ls->last.calls, ==, 3);
	g_assert_cmpuint(ls->last.ranges_eagain, ==, 1);
	g_assert_cmpuint(ls->last.pages_skipped, ==, 256);
	g_assert_cmpuint(ls->last.pages_accessed, ==, 2);
	for (uint64_t i = 0; i < 600; i++)
		g_assert_cmpint(access_log_test_bit(ls->skipped, i), ==,
				i >= 256 && i < 512);
	g_assert_false(access_log_test_bit(ls->accessed, 300));
	g_assert_true(access_log_test_bit(ls->accessed, 599));
	g_assert_cmpuint(s->young[300], ==, 1);
	/* The refusal is only for fast-only calls. */
	scan_ok(ls, m, KVM_ACCESS_LOG_TEST_AND_CLEAR);
	g_assert_cmpuint(ls->last.ranges_eagain, ==, 0);
	g_assert_true(access_log_test_bit(ls->accessed, 300));
	g_assert_cmpuint(ls->total_skipped, ==, 256);
	access_log_slot_free(ls);
	model_kvm_free(m);
}

static void test_clear(void)
{
	ModelKvm *m = model_kvm_new();
	struct model_kvm_slot *s;
	g_autofree uint64_t *even = NULL;
	g_autoptr(GError) err = NULL;
	uint64_t skipped = 99;
	AccessLogSlot *ls;

	model_kvm_add_slot(m, 3, 300);
	s = &m->slots[3];
	memset(s->young, 1, 300);
	ls = slot_new(3, 300, 128);
	even = g_new0(uint64_t, ls->nwords);
	for (uint64_t i = 0; i < 300; i += 2)
		model_set_bit(even, i);
	g_assert_true(access_log_slot_clear(ls, &model_kvm_access_log_ops, m,
					    even, 0, &skipped, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(skipped, ==, 0);
	g_assert_cmpuint(m->calls->len, ==, 3);
	g_assert_true(call(m, 2)->clear);
	g_assert_cmpuint(call(m, 2)->num_pages, ==, 300 - 256);
	for (unsigned i = 0; i < 300; i++)
		g_assert_cmpuint(s->young[i], ==, i % 2);

	/* Fast-only clear of everything: contended pages stay young. */
	s->contended[1] = s->contended[299] = 1;
	g_assert_true(access_log_slot_clear(ls, &model_kvm_access_log_ops, m,
					    NULL, KVM_ACCESS_LOG_FAST_ONLY,
					    &skipped, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(skipped, ==, 2);
	for (unsigned i = 0; i < 300; i++)
		g_assert_cmpuint(s->young[i], ==, i == 1 || i == 299);

	/* TEST_AND_CLEAR means nothing to KVM_CLEAR_ACCESS_LOG. */
	g_assert_false(access_log_slot_clear(ls, &model_kvm_access_log_ops, m,
					     NULL,
					     KVM_ACCESS_LOG_TEST_AND_CLEAR,
					     NULL, &err));
	g_assert_error(err, KVMAGE_ERROR, KVMAGE_ERROR_GENERIC);
	access_log_slot_free(ls);
	model_kvm_free(m);
}

/* Ops that pass through to the model, then break the reply. */
static int lying_get(void *opaque, struct kvm_access_log *log)
{
	int ret = model_kvm_access_log_get(opaque, log);

	log->pages_skipped = 1; /* with STATUS_COMPLETE */
	return ret;
}

static int eagain_get(void *opaque, struct kvm_access_log *log)
{
	return -EAGAIN;
}

static void scan_fails(AccessLogSlot *ls, const AccessLogOps *ops, void *m,
		       uint32_t flags, const char *needle)
{
	g_autoptr(GError) err = NULL;

	g_assert_false(access_log_slot_scan(ls, ops, m, flags, &err));
	g_assert_nonnull(err);
	if (!strstr(err->message, needle))
		g_error("'%s' lacks '%s'", err->message, needle);
}

static void test_scan_errors(void)
{
	const AccessLogOps lying = { lying_get, model_kvm_access_log_clear };
	const AccessLogOps eagain = { eagain_get, model_kvm_access_log_clear };
	ModelKvm *m = model_kvm_new();
	AccessLogSlot *ls;

	model_kvm_add_slot(m, 0, 256);
	/* Slot 1 is not present: ENOENT. */
	ls = slot_new(1, 256, 256);
	scan_fails(ls, &model_kvm_access_log_ops, m, 0, g_strerror(ENOENT));
	access_log_slot_free(ls);
	/* Address space 1 does not exist: EINVAL. */
	ls = slot_new(1 << 16, 256, 256);
	scan_fails(ls, &model_kvm_access_log_ops, m, 0, g_strerror(EINVAL));
	access_log_slot_free(ls);
	/* A harvester larger than the slot: the range runs past the end. */
	ls = slot_new(0, 512, 512);
	scan_fails(ls, &model_kvm_access_log_ops, m, 0, g_strerror(EINVAL));
	access_log_slot_free(ls);

	ls = slot_new(0, 256, 256);
	/* Unknown flags never reach the kernel. */
	scan_fails(ls, &model_kvm_access_log_ops, m, 1u << 7, "unknown flags");
	g_assert_cmpuint(m->calls->len, ==, 0);
	/* An inconsistent reply is not trusted. */
	scan_fails(ls, &lying, m, 0, "inconsistent reply");
	/* EAGAIN is only an answer to FAST_ONLY. */
	scan_fails(ls, &eagain, m, 0, g_strerror(EAGAIN));
	scan_ok(ls, m, 0);
	access_log_slot_free(ls);
	model_kvm_free(m);
}

/* The model refuses what the specification says KVM refuses. */
static void test_model_errors(void)
{
	ModelKvm *m = model_kvm_new();
	uint64_t map[8] = { 0 };
	struct kvm_access_log ok = {
		.slot = 0, .first_page = 64, .num_pages = 128, .bitmap = map
	};
	struct kvm_access_log l;

	model_kvm_add_slot(m, 0, 300);
	l = ok;
	g_assert_cmpint(model_kvm_access_log_get(m, &l), ==, 0);
	l = ok, l.first_page = 32;
	g_assert_cmpint(model_kvm_access_log_get(m, &l), ==, -EINVAL);
	l = ok, l.num_pages = 100; /* not a multiple of 64, not the end */
	g_assert_cmpint(model_kvm_access_log_get(m, &l), ==, -EINVAL);
	l = ok, l.first_page = 256, l.num_pages = 44; /* reaches the end */
	g_assert_cmpint(model_kvm_access_log_get(m, &l), ==, 0);
	l = ok, l.first_page = 256, l.num_pages = 64; /* past the end */
	g_assert_cmpint(model_kvm_access_log_get(m, &l), ==, -EINVAL);
	l = ok, l.num_pages = 0;
	g_assert_cmpint(model_kvm_access_log_get(m, &l), ==, -EINVAL);
	l = ok, l.flags = 1u << 5;
	g_assert_cmpint(model_kvm_access_log_get(m, &l), ==, -EINVAL);
	l = ok, l.reserved[3] = 1;
	g_assert_cmpint(model_kvm_access_log_get(m, &l), ==, -EINVAL);
	l = ok, l.bitmap = NULL;
	g_assert_cmpint(model_kvm_access_log_get(m, &l), ==, -EFAULT);
	l = ok, l.slot = 2;
	g_assert_cmpint(model_kvm_access_log_get(m, &l), ==, -ENOENT);
	l = ok, l.flags = KVM_ACCESS_LOG_TEST_AND_CLEAR;
	g_assert_cmpint(model_kvm_access_log_clear(m, &l), ==, -EINVAL);
	model_kvm_free(m);
}

/*
 * The real kernel: the probe must report the capability missing, and the
 * proposed ioctl number must be refused.  This is the only test that talks
 * to KVM, and it checks that the interface is NOT there.
 */
static void test_probe_real(void)
{
	g_autoptr(GError) err = NULL;
	uint64_t map[1] = { 0 };
	struct kvm_access_log log = { .num_pages = 64, .bitmap = map };
	KvmState *s;
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		g_autofree char *why =
			g_strdup_printf("/dev/kvm: %s", g_strerror(errno));

		g_test_skip(why);
		return;
	}
	close(fd);
	s = kvm_init(false, &err);
	if (!s) {
		g_test_skip(err->message);
		return;
	}
	g_assert_false(access_log_probe(s, &err));
	g_assert_error(err, KVMAGE_ERROR, KVMAGE_ERROR_KVM_MISSING_CAP);
	g_assert_nonnull(strstr(err->message, "KVM_CAP_ACCESS_LOG"));
	/* Unknown to KVM: the VM ioctl falls through to ENOTTY. */
	g_assert_cmpint(access_log_kvm_ops.get(s, &log), ==, -ENOTTY);
	kvm_destroy(s);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/access-log/model/layout", test_layout);
	g_test_add_func("/access-log/model/split", test_split);
	g_test_add_func("/access-log/slot-new-errors", test_slot_new_errors);
	g_test_add_func("/access-log/model/test-and-clear",
			test_test_and_clear);
	g_test_add_func("/access-log/model/fast-only-partial",
			test_fast_only_partial);
	g_test_add_func("/access-log/model/fast-only-eagain",
			test_fast_only_eagain);
	g_test_add_func("/access-log/model/clear", test_clear);
	g_test_add_func("/access-log/model/scan-errors", test_scan_errors);
	g_test_add_func("/access-log/model/model-errors", test_model_errors);
	g_test_add_func("/access-log/probe-real", test_probe_real);
	return g_test_run();
}
