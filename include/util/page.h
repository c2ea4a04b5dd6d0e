/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The base page: the unit of KVM's dirty log, of pagemap and mincore, and
 * of every per-page table kvmage keeps.  Huge pages are multiples of it.
 */
#ifndef UTIL_PAGE_H
#define UTIL_PAGE_H

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1ULL << PAGE_SHIFT)

#endif
