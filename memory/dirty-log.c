/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The machine's dirty log: slot table, reference-counted consumers and
 * the fan-out of each harvest.  See include/memory/dirty-log.h.
 */
#include <string.h>
#include <time.h>

#include "memory/dirty-log.h"
#include "util/bitmap.h"

typedef struct DirtyLogSlot {
	DirtyLogSlotInfo info;
	uint64_t nwords;
	GMutex lock;		/* harvest vs. consumers of this slot */
	unsigned long *scratch; /* harvest target; lock held */
} DirtyLogSlot;

struct DirtyLogClient {
	DirtyLog *dl;
	char *name;
	const HostMemBackend *backend; /* NULL: every slot */
	unsigned long **bitmaps; /* per slot, NULL if not covered; slot lock */
};

struct DirtyLog {
	GPtrArray *slots; /* DirtyLogSlot *, fixed before the first client */
	const DirtyLogOps *ops;
	void *opaque;
	GMutex lock; /* protects clients; held by a whole harvest */
	GPtrArray *clients;
};

static uint64_t dirty_log_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static DirtyLogSlot *dirty_log_slot(DirtyLog *dl, unsigned i)
{
	return g_ptr_array_index(dl->slots, i);
}

static void dirty_log_slot_free(gpointer p)
{
	DirtyLogSlot *sl = p;

	g_mutex_clear(&sl->lock);
	g_free(sl->scratch);
	g_free(sl);
}

DirtyLog *dirty_log_new(void)
{
	DirtyLog *dl = g_new0(DirtyLog, 1);

	dl->slots = g_ptr_array_new_with_free_func(dirty_log_slot_free);
	dl->clients = g_ptr_array_new();
	g_mutex_init(&dl->lock);
	return dl;
}

void dirty_log_free(DirtyLog *dl)
{
	if (!dl)
		return;
	g_assert(dl->clients->len == 0);
	g_ptr_array_unref(dl->slots);
	g_ptr_array_unref(dl->clients);
	g_mutex_clear(&dl->lock);
	g_free(dl);
}

/* Main thread, no client yet: the table is read-only once one exists. */
void dirty_log_add_slot(DirtyLog *dl, const DirtyLogSlotInfo *si)
{
	DirtyLogSlot *sl = g_new0(DirtyLogSlot, 1);

	g_assert(dl->clients->len == 0);
	sl->info = *si;
	sl->nwords = BITS_TO_LONGS(si->npages);
	sl->scratch = g_new0(unsigned long, sl->nwords);
	g_mutex_init(&sl->lock);
	g_ptr_array_add(dl->slots, sl);
}

void dirty_log_connect(DirtyLog *dl, const DirtyLogOps *ops, void *opaque)
{
	g_assert(dl->clients->len == 0);
	dl->ops = ops;
	dl->opaque = opaque;
}

unsigned dirty_log_nr_slots(DirtyLog *dl)
{
	return dl->slots->len;
}

const DirtyLogSlotInfo *dirty_log_slot_info(DirtyLog *dl, unsigned i)
{
	return &dirty_log_slot(dl, i)->info;
}

static void dirty_log_client_free(DirtyLogClient *c)
{
	for (guint i = 0; i < c->dl->slots->len; i++)
		g_free(c->bitmaps[i]);
	g_free(c->bitmaps);
	g_free(c->name);
	g_free(c);
}

/*
 * Main thread.  The first client turns logging on before it joins the
 * list (no harvest can run without a client).  dl->clients->len is read
 * without dl->lock: only the main thread changes the list.
 */
DirtyLogClient *dirty_log_client_add(DirtyLog *dl, const char *name,
				     const HostMemBackend *backend,
				     GError **errp)
{
	DirtyLogClient *c = g_new0(DirtyLogClient, 1);

	c->dl = dl;
	c->name = g_strdup(name);
	c->backend = backend;
	c->bitmaps = g_new0(unsigned long *, dl->slots->len);
	for (guint i = 0; i < dl->slots->len; i++) {
		DirtyLogSlot *sl = dirty_log_slot(dl, i);

		if (backend && sl->info.bank->backend != backend)
			continue;
		/* Unknown history: everything may be dirty. */
		c->bitmaps[i] = g_new(unsigned long, sl->nwords);
		memset(c->bitmaps[i], 0xff, sl->nwords * sizeof(long));
	}
	if (!dl->clients->len && dl->ops &&
	    !dl->ops->start(dl->opaque, dl, errp)) {
		dirty_log_client_free(c);
		return NULL;
	}
	g_mutex_lock(&dl->lock);
	g_ptr_array_add(dl->clients, c);
	g_mutex_unlock(&dl->lock);
	return c;
}

/* Main thread.  The last client turns logging off once it left. */
void dirty_log_client_remove(DirtyLogClient *c)
{
	DirtyLog *dl;

	if (!c)
		return;
	dl = c->dl;
	g_mutex_lock(&dl->lock);
	g_ptr_array_remove(dl->clients, c);
	g_mutex_unlock(&dl->lock);
	if (!dl->clients->len && dl->ops)
		dl->ops->stop(dl->opaque, dl);
	dirty_log_client_free(c);
}

DirtyLog *dirty_log_client_log(DirtyLogClient *c)
{
	return c->dl;
}

bool dirty_log_client_covers(DirtyLogClient *c, unsigned i)
{
	return c->bitmaps[i] != NULL;
}

/*
 * OR @sl->scratch into every covering client's bitmap; returns the bits
 * set.  dl->lock and the slot's lock held.
 */
static uint64_t dirty_log_fanout(DirtyLog *dl, DirtyLogSlot *sl, unsigned i)
{
	uint64_t dirty = 0;

	for (uint64_t w = 0; w < sl->nwords; w++) {
		unsigned long bits = sl->scratch[w];

		if (!bits)
			continue;
		dirty += __builtin_popcountl(bits);
		for (guint k = 0; k < dl->clients->len; k++) {
			DirtyLogClient *c = g_ptr_array_index(dl->clients, k);

			if (c->bitmaps[i])
				c->bitmaps[i][w] |= bits;
		}
	}
	return dirty;
}

/* Is slot @i wanted by anyone (by @only, when not NULL)?  dl->lock held. */
static bool dirty_log_wanted(DirtyLog *dl, unsigned i, DirtyLogClient *only)
{
	if (only)
		return only->bitmaps[i] != NULL;
	for (guint k = 0; k < dl->clients->len; k++) {
		DirtyLogClient *c = g_ptr_array_index(dl->clients, k);

		if (c->bitmaps[i])
			return true;
	}
	return false;
}

/* The harvest of the slots wanted (by @only, when not NULL). */
static bool dirty_log_harvest(DirtyLog *dl, DirtyLogClient *only,
			      DirtyLogStats *st, GError **errp)
{
	DirtyLogStats local;
	uint64_t t0 = dirty_log_now_ns();
	bool ok = true;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	if (!dl->ops)
		return true; /* offline: dirty_log_inject() harvests */
	g_mutex_lock(&dl->lock);
	for (guint i = 0; i < dl->slots->len && ok; i++) {
		DirtyLogSlot *sl = dirty_log_slot(dl, i);

		if (!dirty_log_wanted(dl, i, only))
			continue;
		if (!g_mutex_trylock(&sl->lock)) {
			st->skipped_slots++;
			continue;
		}
		ok = dl->ops->harvest(dl->opaque, &sl->info, sl->scratch, st,
				      errp);
		if (ok) {
			st->pages += sl->info.npages;
			st->dirty += dirty_log_fanout(dl, sl, i);
		}
		g_mutex_unlock(&sl->lock);
	}
	g_mutex_unlock(&dl->lock);
	st->user_ns = dirty_log_now_ns() - t0 - st->kernel_ns;
	return ok;
}

bool dirty_log_sync(DirtyLog *dl, DirtyLogStats *st, GError **errp)
{
	return dirty_log_harvest(dl, NULL, st, errp);
}

bool dirty_log_client_sync(DirtyLogClient *c, DirtyLogStats *st, GError **errp)
{
	return dirty_log_harvest(c->dl, c, st, errp);
}

/* Takes the slot's lock: the harvest of that slot is bounded. */
const DirtyLogSlotInfo *dirty_log_client_fetch(DirtyLogClient *c, unsigned i,
					       unsigned long *dst)
{
	DirtyLogSlot *sl = dirty_log_slot(c->dl, i);
	unsigned long *bm = c->bitmaps[i];

	g_assert(bm);
	g_mutex_lock(&sl->lock);
	if (dst)
		memcpy(dst, bm, sl->nwords * sizeof(long));
	memset(bm, 0, sl->nwords * sizeof(long));
	g_mutex_unlock(&sl->lock);
	return &sl->info;
}

void dirty_log_inject(DirtyLog *dl, unsigned i, const unsigned long *bits)
{
	DirtyLogSlot *sl = dirty_log_slot(dl, i);

	g_mutex_lock(&dl->lock);
	g_mutex_lock(&sl->lock);
	memcpy(sl->scratch, bits, sl->nwords * sizeof(long));
	dirty_log_fanout(dl, sl, i);
	g_mutex_unlock(&sl->lock);
	g_mutex_unlock(&dl->lock);
}
