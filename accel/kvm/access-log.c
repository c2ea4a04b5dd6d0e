/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Userspace half of the PROPOSED KVM access log: probe and per-slot
 * harvester (include/accel/access-log.h).
 *
 * The kernel half does not exist.  The probe reports the capability
 * missing on every kernel; the harvester is exercised only against the
 * model in tests/unit/test-access-log.c and has never run against KVM.
 */
#include <errno.h>
#include <string.h>

#include "accel/access-log.h"
#include "util/error.h"

static int access_log_kvm_get(void *opaque, struct kvm_access_log *log)
{
	return kvm_vm_ioctl(opaque, KVM_GET_ACCESS_LOG, log) < 0 ? -errno : 0;
}

static int access_log_kvm_clear(void *opaque, struct kvm_access_log *log)
{
	return kvm_vm_ioctl(opaque, KVM_CLEAR_ACCESS_LOG, log) < 0 ? -errno : 0;
}

const AccessLogOps access_log_kvm_ops = {
	.get = access_log_kvm_get,
	.clear = access_log_kvm_clear,
};

bool access_log_probe(KvmState *s, GError **errp)
{
	if (kvm_check_extension(s, KVM_CAP_ACCESS_LOG) > 0)
		return true;
	g_set_error(errp, KVMAGE_ERROR, KVMAGE_ERROR_KVM_MISSING_CAP,
		    "KVM lacks the capability KVM_CAP_ACCESS_LOG, which the "
		    "access-log backend needs (a proposed interface that no "
		    "kernel implements yet)");
	return false;
}

AccessLogSlot *access_log_slot_new(uint32_t slot, uint64_t npages,
				   uint32_t max_pages, GError **errp)
{
	AccessLogSlot *ls;

	max_pages -= max_pages % 64;
	if (max_pages < 64 || max_pages > KVM_ACCESS_LOG_MAX_PAGES) {
		error_setg(errp,
			   "access-log range of %u pages is outside 64..%u",
			   max_pages, KVM_ACCESS_LOG_MAX_PAGES);
		return NULL;
	}
	if (!npages) {
		error_setg(errp, "access-log slot 0x%x has no pages", slot);
		return NULL;
	}
	ls = g_new0(AccessLogSlot, 1);
	ls->slot = slot;
	ls->npages = npages;
	ls->max_pages = max_pages;
	ls->nwords = (npages + 63) / 64;
	ls->accessed = g_new0(uint64_t, ls->nwords);
	ls->skipped = g_new0(uint64_t, ls->nwords);
	return ls;
}

void access_log_slot_free(AccessLogSlot *ls)
{
	if (!ls)
		return;
	g_free(ls->accessed);
	g_free(ls->skipped);
	g_free(ls);
}

static uint64_t bitmap_weight(const uint64_t *map, uint64_t nwords)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < nwords; i++)
		n += __builtin_popcountll(map[i]);
	return n;
}

/* Set bits [0, n) of a range bitmap (little-endian words). */
static void bitmap_fill(uint64_t *map, uint32_t n)
{
	uint32_t full = n / 64;

	memset(map, 0xff, full * sizeof(*map));
	if (n % 64)
		map[full] = GUINT64_TO_LE((1ULL << (n % 64)) - 1);
}

/* Pages in the range starting at @first (a multiple of max_pages). */
static uint32_t access_log_range_len(AccessLogSlot *ls, uint64_t first)
{
	return MIN(ls->max_pages, ls->npages - first);
}

/*
 * Check the kernel's (or model's) answer for one range against the
 * specification before trusting it.
 */
static bool access_log_check_reply(AccessLogSlot *ls,
				   const struct kvm_access_log *log,
				   GError **errp)
{
	uint64_t words = (log->num_pages + 63) / 64;
	uint64_t w = log->first_page / 64;
	bool fast = log->flags & KVM_ACCESS_LOG_FAST_ONLY;
	bool ok;

	switch (log->status) {
	case KVM_ACCESS_LOG_STATUS_COMPLETE:
		ok = !log->pages_skipped;
		break;
	case KVM_ACCESS_LOG_STATUS_PARTIAL:
		ok = fast && log->pages_skipped &&
		     log->pages_skipped <= log->num_pages;
		break;
	default:
		ok = false;
	}
	ok = ok && log->pages_skipped == bitmap_weight(ls->skipped + w, words);
	ok = ok &&
	     log->pages_accessed == bitmap_weight(ls->accessed + w, words);
	if (!ok)
		error_setg(errp,
			   "KVM_GET_ACCESS_LOG slot 0x%x pages %" G_GUINT64_FORMAT
			   "+%u: inconsistent reply (status %u, %" G_GUINT64_FORMAT
			   " accessed, %" G_GUINT64_FORMAT " skipped)",
			   ls->slot, (guint64)log->first_page, log->num_pages,
			   log->status, (guint64)log->pages_accessed,
			   (guint64)log->pages_skipped);
	return ok;
}

/* One KVM_GET_ACCESS_LOG for the range at @first.  Harvest thread only. */
static bool access_log_get_range(AccessLogSlot *ls, const AccessLogOps *ops,
				 void *opaque, uint64_t first, uint32_t flags,
				 GError **errp)
{
	uint64_t w = first / 64;
	struct kvm_access_log log = {
		.slot = ls->slot,
		.flags = flags,
		.first_page = first,
		.num_pages = access_log_range_len(ls, first),
		.bitmap = ls->accessed + w,
		.skipped_bitmap = ls->skipped + w,
	};
	int ret;

	ls->last.calls++;
	ret = ops->get(opaque, &log);
	if (ret == -EAGAIN && (flags & KVM_ACCESS_LOG_FAST_ONLY)) {
		/* Nothing examined, no bit cleared: the whole range is unknown. */
		memset(ls->accessed + w, 0, (log.num_pages + 63) / 64 * 8);
		bitmap_fill(ls->skipped + w, log.num_pages);
		ls->last.ranges_eagain++;
		ls->last.pages_skipped += log.num_pages;
		return true;
	}
	if (ret < 0) {
		error_setg_errno(errp, -ret,
				 "KVM_GET_ACCESS_LOG slot 0x%x pages "
				 "%" G_GUINT64_FORMAT "+%u",
				 ls->slot, (guint64)first, log.num_pages);
		return false;
	}
	if (!access_log_check_reply(ls, &log, errp))
		return false;
	if (log.status == KVM_ACCESS_LOG_STATUS_PARTIAL)
		ls->last.ranges_partial++;
	ls->last.pages_accessed += log.pages_accessed;
	ls->last.pages_skipped += log.pages_skipped;
	return true;
}

bool access_log_slot_scan(AccessLogSlot *ls, const AccessLogOps *ops,
			  void *opaque, uint32_t flags, GError **errp)
{
	if (flags & ~KVM_ACCESS_LOG_VALID_FLAGS) {
		error_setg(errp, "access-log: unknown flags 0x%x", flags);
		return false;
	}
	memset(&ls->last, 0, sizeof(ls->last));
	/* The kernel writes every word of a range; start clean anyway. */
	memset(ls->accessed, 0, ls->nwords * sizeof(uint64_t));
	memset(ls->skipped, 0, ls->nwords * sizeof(uint64_t));
	for (uint64_t first = 0; first < ls->npages; first += ls->max_pages) {
		if (!access_log_get_range(ls, ops, opaque, first, flags, errp))
			return false;
	}
	ls->scans++;
	ls->total_skipped += ls->last.pages_skipped;
	return true;
}

/* One KVM_CLEAR_ACCESS_LOG; @map covers exactly the range. */
static bool access_log_clear_range(AccessLogSlot *ls, const AccessLogOps *ops,
				   void *opaque, uint64_t first,
				   const uint64_t *map, uint32_t flags,
				   uint64_t *skipped, GError **errp)
{
	struct kvm_access_log log = {
		.slot = ls->slot,
		.flags = flags,
		.first_page = first,
		.num_pages = access_log_range_len(ls, first),
		.bitmap = (void *)map,
	};
	int ret = ops->clear(opaque, &log);

	if (ret == -EAGAIN && (flags & KVM_ACCESS_LOG_FAST_ONLY)) {
		*skipped += bitmap_weight(map, (log.num_pages + 63) / 64);
		return true;
	}
	if (ret < 0) {
		error_setg_errno(errp, -ret,
				 "KVM_CLEAR_ACCESS_LOG slot 0x%x pages "
				 "%" G_GUINT64_FORMAT "+%u",
				 ls->slot, (guint64)first, log.num_pages);
		return false;
	}
	*skipped += log.pages_skipped;
	return true;
}

bool access_log_slot_clear(AccessLogSlot *ls, const AccessLogOps *ops,
			   void *opaque, const uint64_t *bitmap, uint32_t flags,
			   uint64_t *skipped, GError **errp)
{
	g_autofree uint64_t *ones = NULL;
	uint64_t dummy = 0;

	if (flags & ~KVM_ACCESS_LOG_FAST_ONLY) {
		error_setg(errp, "KVM_CLEAR_ACCESS_LOG takes only FAST_ONLY");
		return false;
	}
	if (!skipped)
		skipped = &dummy;
	*skipped = 0;
	if (!bitmap)
		ones = g_new0(uint64_t, ls->max_pages / 64);
	for (uint64_t first = 0; first < ls->npages; first += ls->max_pages) {
		const uint64_t *map = bitmap ? bitmap + first / 64 : ones;

		if (ones)
			bitmap_fill(ones, access_log_range_len(ls, first));
		if (!access_log_clear_range(ls, ops, opaque, first, map, flags,
					    skipped, errp))
			return false;
	}
	return true;
}
