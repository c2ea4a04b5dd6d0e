/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dirty-log harvester and its fan-out to clients; the dirty-log aging
 * backend.  See include/accel/dirty-log.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <linux/kvm.h>

#include "accel/dirty-log.h"
#include "util/error.h"
#include "util/bitmap.h"

#define DIRTY_LOG_MANUAL \
	(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET)

typedef struct DirtyLogSlot {
	DirtyLogSlotInfo info;
	unsigned index; /* in DirtyLog.slots and client bitmaps */
	void *hva;
	uint64_t nwords;
	GMutex lock;		/* harvest vs. consumers of this slot */
	unsigned long *scratch; /* GET_DIRTY_LOG target; lock held */
} DirtyLogSlot;

struct DirtyLogClient {
	DirtyLog *dl;
	char *name;
	unsigned long **bitmaps; /* per slot; the slot's lock protects it */
};

struct DirtyLog {
	KvmState *s;
	GPtrArray *slots; /* DirtyLogSlot *, fixed after dirty_log_new() */
	GMutex lock;	  /* protects clients; held by a whole harvest */
	GPtrArray *clients;
};

const AgingCoverage dirty_log_coverage = {
	.backend = "dirty-log",
	.reads = false,
	.writes = true,
	.sampled = 1.0,
	.note = "the KVM dirty log records guest writes only: pages the "
		"guest only reads look idle",
};

/* Nanoseconds: the costs are reported in ns, so measure in ns. */
static uint64_t dirty_log_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Per-slot helper: set or clear KVM_MEM_LOG_DIRTY_PAGES.  Main thread. */
static bool dirty_log_slot_flags(DirtyLog *dl, DirtyLogSlot *sl, uint32_t flags,
				 GError **errp)
{
	struct kvm_userspace_memory_region r = {
		.slot = sl->info.slot,
		.flags = flags,
		.guest_phys_addr = sl->info.gpa,
		.memory_size = sl->info.npages << PAGE_SHIFT,
		.userspace_addr = (uintptr_t)sl->hva,
	};

	if (kvm_vm_ioctl(dl->s, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		error_setg_errno(errp, errno,
				 "KVM_SET_USER_MEMORY_REGION slot %u flags 0x%x",
				 r.slot, flags);
		return false;
	}
	return true;
}

struct dirty_log_bank_ctx {
	DirtyLog *dl;
	RamBank *bank;
	uint32_t next;
};

/* kvm_slot_split() callback: the same split kvm_ram_register() made. */
static bool dirty_log_add_slot(void *opaque, uint64_t off, uint64_t len,
			       GError **errp)
{
	struct dirty_log_bank_ctx *ctx = opaque;
	DirtyLogSlot *sl = g_new0(DirtyLogSlot, 1);

	sl->index = ctx->dl->slots->len;
	sl->info.slot = ctx->bank->slot + ctx->next++;
	sl->info.gpa = ctx->bank->gpa + off;
	sl->info.npages = len >> PAGE_SHIFT;
	sl->info.bank = ctx->bank;
	/* Offline test banks have no host mapping. */
	sl->hva = ctx->bank->host ? (char *)ctx->bank->host + off : NULL;
	sl->nwords = (sl->info.npages + BITS_PER_LONG - 1) / BITS_PER_LONG;
	sl->scratch = g_new0(unsigned long, sl->nwords);
	g_mutex_init(&sl->lock);
	g_ptr_array_add(ctx->dl->slots, sl);
	if (ctx->dl->s &&
	    !dirty_log_slot_flags(ctx->dl, sl, KVM_MEM_LOG_DIRTY_PAGES, errp)) {
		g_ptr_array_remove_index(ctx->dl->slots,
					 ctx->dl->slots->len - 1);
		return false;
	}
	return true;
}

static void dirty_log_slot_free(gpointer p)
{
	DirtyLogSlot *sl = p;

	g_mutex_clear(&sl->lock);
	g_free(sl->scratch);
	g_free(sl);
}

static bool dirty_log_enable(KvmState *s, GError **errp)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
		.args = { DIRTY_LOG_MANUAL },
	};
	int have = kvm_check_extension(s, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);

	if ((have & DIRTY_LOG_MANUAL) != DIRTY_LOG_MANUAL) {
		g_set_error(errp, KVMAGE_ERROR, KVMAGE_ERROR_KVM_MISSING_CAP,
			    "KVM lacks the capability "
			    "KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 "
			    "(with INITIALLY_SET), which the dirty-log "
			    "backend needs");
		return false;
	}
	if (kvm_vm_ioctl(s, KVM_ENABLE_CAP, &cap) < 0) {
		error_setg_errno(errp, errno,
				 "KVM_ENABLE_CAP "
				 "KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2");
		return false;
	}
	return true;
}

/* The slot table of @ram, split like kvm_ram_register() does. */
static DirtyLog *dirty_log_build(KvmState *s, RamList *ram, uint64_t slot_max,
				 GError **errp)
{
	DirtyLog *dl;
	RamBank *b;

	dl = g_new0(DirtyLog, 1);
	dl->s = s;
	dl->slots = g_ptr_array_new_with_free_func(dirty_log_slot_free);
	dl->clients = g_ptr_array_new();
	g_mutex_init(&dl->lock);
	ram_for_each_bank(ram, b) {
		struct dirty_log_bank_ctx ctx = { dl, b, 0 };

		if (b->type != RAM_BANK_RAM || (s && !b->nr_slots))
			continue;
		if (!kvm_slot_split(b->size, slot_max, b->page_size,
				    dirty_log_add_slot, &ctx, errp)) {
			dirty_log_free(dl);
			return NULL;
		}
	}
	return dl;
}

DirtyLog *dirty_log_new(KvmState *s, RamList *ram, GError **errp)
{
	if (!dirty_log_enable(s, errp))
		return NULL;
	return dirty_log_build(s, ram, s->slot_max_bytes, errp);
}

DirtyLog *dirty_log_new_offline(RamList *ram, uint64_t slot_max_bytes,
				GError **errp)
{
	return dirty_log_build(NULL, ram, slot_max_bytes, errp);
}

void dirty_log_free(DirtyLog *dl)
{
	if (!dl)
		return;
	g_assert(dl->clients->len == 0);
	for (guint i = 0; dl->s && i < dl->slots->len; i++) {
		g_autoptr(GError) err = NULL;

		if (!dirty_log_slot_flags(dl, g_ptr_array_index(dl->slots, i),
					  0, &err))
			fprintf(stderr, "dirty-log: %s\n", err->message);
	}
	g_ptr_array_unref(dl->slots);
	g_ptr_array_unref(dl->clients);
	g_mutex_clear(&dl->lock);
	g_free(dl);
}

unsigned dirty_log_nr_slots(DirtyLog *dl)
{
	return dl->slots->len;
}

const DirtyLogSlotInfo *dirty_log_slot_info(DirtyLog *dl, unsigned i)
{
	return &((DirtyLogSlot *)g_ptr_array_index(dl->slots, i))->info;
}

DirtyLogClient *dirty_log_client_add(DirtyLog *dl, const char *name)
{
	DirtyLogClient *c = g_new0(DirtyLogClient, 1);

	c->dl = dl;
	c->name = g_strdup(name);
	c->bitmaps = g_new0(unsigned long *, dl->slots->len);
	for (guint i = 0; i < dl->slots->len; i++) {
		DirtyLogSlot *sl = g_ptr_array_index(dl->slots, i);

		/* Unknown history: everything may be dirty. */
		c->bitmaps[i] = g_new(unsigned long, sl->nwords);
		memset(c->bitmaps[i], 0xff, sl->nwords * sizeof(long));
	}
	g_mutex_lock(&dl->lock);
	g_ptr_array_add(dl->clients, c);
	g_mutex_unlock(&dl->lock);
	return c;
}

void dirty_log_client_remove(DirtyLogClient *c)
{
	DirtyLog *dl;

	if (!c)
		return;
	dl = c->dl;
	g_mutex_lock(&dl->lock);
	g_ptr_array_remove(dl->clients, c);
	g_mutex_unlock(&dl->lock);
	for (guint i = 0; i < dl->slots->len; i++)
		g_free(c->bitmaps[i]);
	g_free(c->bitmaps);
	g_free(c->name);
	g_free(c);
}

/* One KVM_CLEAR_DIRTY_LOG of words [w, w + n) of @sl.  Slot lock held. */
static bool dirty_log_clear(DirtyLog *dl, DirtyLogSlot *sl, uint64_t w,
			    uint64_t n, DirtyLogStats *st, GError **errp)
{
	uint64_t first = w * BITS_PER_LONG;
	struct kvm_clear_dirty_log c = {
		.slot = sl->info.slot,
		.first_page = first,
		.num_pages = MIN(n * BITS_PER_LONG, sl->info.npages - first),
		.dirty_bitmap = &sl->scratch[w],
	};
	uint64_t t0 = dirty_log_now_ns(), dt;

	if (kvm_vm_ioctl(dl->s, KVM_CLEAR_DIRTY_LOG, &c) < 0) {
		error_setg_errno(errp, errno,
				 "KVM_CLEAR_DIRTY_LOG slot %u pages %" PRIu64
				 "+%u",
				 c.slot, first, c.num_pages);
		return false;
	}
	dt = dirty_log_now_ns() - t0;
	st->kernel_ns += dt;
	st->max_clear_ns = MAX(st->max_clear_ns, dt);
	st->clear_calls++;
	return true;
}

/*
 * Re-protect the pages set in @sl->scratch: runs of non-zero words, at
 * most DIRTY_LOG_CLEAR_CHUNK pages per call.  Slot lock held.
 */
static bool dirty_log_clear_set(DirtyLog *dl, DirtyLogSlot *sl,
				DirtyLogStats *st, GError **errp)
{
	const uint64_t max = DIRTY_LOG_CLEAR_CHUNK / BITS_PER_LONG;
	uint64_t w = 0, n;

	while (w < sl->nwords) {
		if (!sl->scratch[w]) {
			w++;
			continue;
		}
		for (n = 1; n < max && w + n < sl->nwords; n++) {
			if (!sl->scratch[w + n])
				break;
		}
		if (!dirty_log_clear(dl, sl, w, n, st, errp))
			return false;
		w += n;
	}
	return true;
}

/* OR @sl->scratch into every client's bitmap; returns bits set.  Locks held. */
static uint64_t dirty_log_fanout(DirtyLog *dl, DirtyLogSlot *sl)
{
	uint64_t dirty = 0;

	for (uint64_t w = 0; w < sl->nwords; w++) {
		unsigned long bits = sl->scratch[w];

		if (!bits)
			continue;
		dirty += __builtin_popcountl(bits);
		for (guint i = 0; i < dl->clients->len; i++) {
			DirtyLogClient *c = g_ptr_array_index(dl->clients, i);

			c->bitmaps[sl->index][w] |= bits;
		}
	}
	return dirty;
}

/* Per-slot helper: GET, fan out to every client, CLEAR.  Lock held. */
static bool dirty_log_slot_sync(DirtyLog *dl, DirtyLogSlot *sl,
				DirtyLogStats *st, GError **errp)
{
	struct kvm_dirty_log log = {
		.slot = sl->info.slot,
		.dirty_bitmap = sl->scratch,
	};
	uint64_t t0 = dirty_log_now_ns();

	if (kvm_vm_ioctl(dl->s, KVM_GET_DIRTY_LOG, &log) < 0) {
		error_setg_errno(errp, errno, "KVM_GET_DIRTY_LOG slot %u",
				 log.slot);
		return false;
	}
	st->kernel_ns += dirty_log_now_ns() - t0;
	st->get_calls++;
	st->pages += sl->info.npages;
	st->dirty += dirty_log_fanout(dl, sl);
	return dirty_log_clear_set(dl, sl, st, errp);
}

void dirty_log_inject(DirtyLog *dl, unsigned i, const unsigned long *bits)
{
	DirtyLogSlot *sl = g_ptr_array_index(dl->slots, i);

	g_mutex_lock(&dl->lock);
	g_mutex_lock(&sl->lock);
	memcpy(sl->scratch, bits, sl->nwords * sizeof(long));
	dirty_log_fanout(dl, sl);
	g_mutex_unlock(&sl->lock);
	g_mutex_unlock(&dl->lock);
}

bool dirty_log_sync(DirtyLog *dl, DirtyLogStats *st, GError **errp)
{
	DirtyLogStats local;
	uint64_t t0 = dirty_log_now_ns();
	bool ok = true;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	g_mutex_lock(&dl->lock);
	for (guint i = 0; i < dl->slots->len && ok; i++) {
		DirtyLogSlot *sl = g_ptr_array_index(dl->slots, i);

		if (!g_mutex_trylock(&sl->lock)) {
			st->skipped_slots++;
			continue;
		}
		ok = dirty_log_slot_sync(dl, sl, st, errp);
		g_mutex_unlock(&sl->lock);
	}
	g_mutex_unlock(&dl->lock);
	st->user_ns = dirty_log_now_ns() - t0 - st->kernel_ns;
	return ok;
}

void dirty_log_client_consume(DirtyLogClient *c, unsigned i,
			      DirtyLogConsumeFn fn, void *opaque)
{
	DirtyLogSlot *sl = g_ptr_array_index(c->dl->slots, i);

	g_mutex_lock(&sl->lock);
	fn(opaque, &sl->info, c->bitmaps[i]);
	memset(c->bitmaps[i], 0, sl->nwords * sizeof(long));
	g_mutex_unlock(&sl->lock);
}

/* The aging backend. */
struct DirtyLogAging {
	DirtyLog *dl;
	Aging *a;
	DirtyLogClient *client;
	GMutex lock; /* protects last */
	DirtyLogStats last;
};

DirtyLogAging *dirty_log_aging_new(DirtyLog *dl, Aging *a)
{
	DirtyLogAging *da = g_new0(DirtyLogAging, 1);

	da->dl = dl;
	da->a = a;
	da->client = dirty_log_client_add(dl, aging_name(a));
	g_mutex_init(&da->lock);
	return da;
}

void dirty_log_aging_free(DirtyLogAging *da)
{
	if (!da)
		return;
	dirty_log_client_remove(da->client);
	g_mutex_clear(&da->lock);
	g_free(da);
}

static void dirty_log_aging_feed(void *opaque, const DirtyLogSlotInfo *si,
				 const unsigned long *bitmap)
{
	aging_update(opaque, si->gpa, bitmap, si->npages);
}

/* Consume without feeding: dirty_log_client_consume() clears the bits. */
static void dirty_log_aging_drop(void *opaque, const DirtyLogSlotInfo *si,
				 const unsigned long *bitmap)
{
	(void)opaque;
	(void)si;
	(void)bitmap;
}

bool dirty_log_aging_rebase(DirtyLogAging *da, GError **errp)
{
	if (!dirty_log_sync(da->dl, NULL, errp))
		return false;
	for (unsigned i = 0; i < dirty_log_nr_slots(da->dl); i++)
		dirty_log_client_consume(da->client, i, dirty_log_aging_drop,
					 NULL);
	return true;
}

bool dirty_log_aging_scan(void *opaque, unsigned ticks, GError **errp)
{
	DirtyLogAging *da = opaque;
	DirtyLogStats st;
	AgingCost cost = { 0 };
	uint64_t t0;

	if (!dirty_log_sync(da->dl, &st, errp))
		return false;
	g_mutex_lock(&da->lock);
	da->last = st;
	g_mutex_unlock(&da->lock);
	/* Busy: the bits wait in our client bitmaps for the next scan. */
	if (!aging_scan_begin(da->a, ticks))
		return true;
	t0 = dirty_log_now_ns();
	for (unsigned i = 0; i < dirty_log_nr_slots(da->dl); i++) {
		const DirtyLogSlotInfo *si = dirty_log_slot_info(da->dl, i);

		if (aging_covers(da->a, si->gpa, si->npages))
			dirty_log_client_consume(da->client, i,
						 dirty_log_aging_feed, da->a);
	}
	cost.kernel_ns = st.kernel_ns;
	cost.user_ns = st.user_ns + (dirty_log_now_ns() - t0);
	cost.pages = st.pages;
	aging_scan_end(da->a, &cost);
	return true;
}

void dirty_log_aging_last(DirtyLogAging *da, DirtyLogStats *st)
{
	g_mutex_lock(&da->lock);
	*st = da->last;
	g_mutex_unlock(&da->lock);
}
