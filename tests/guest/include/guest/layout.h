/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Free guest memory above the image, for data areas.  Guest RAM is
 * contiguous from 0 up to the x86 PCI hole (3 GiB) and continues at 4 GiB
 * (see ram_layout_x86()); boot_info does not describe the hole, so it is
 * derived from ram_size and ram_top.
 */
#ifndef GUEST_LAYOUT_H
#define GUEST_LAYOUT_H

#include <stdint.h>

#define PAGE_SIZE      4096UL
#define HPAGE_SIZE     0x200000UL
#define ALIGN_UP(x, a) (((x) + (a)-1) & ~((uint64_t)(a)-1))

/* First 2 MiB-aligned address after the image and user stacks. */
uint64_t layout_free_start(void);
/* End (exclusive) of the RAM contiguous with the image. */
uint64_t layout_low_ram_top(void);
/*
 * A data area of @size bytes at layout_free_start(), followed by @extra
 * bytes (page aligned): asserts that both fit in low RAM.
 */
void *layout_data_area(uint64_t size, uint64_t extra);

#endif
