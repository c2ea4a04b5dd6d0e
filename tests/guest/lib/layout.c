/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where guest programs may put large data areas. */
#include <stdint.h>

#include "guest/crt.h"
#include "guest/layout.h"
#include "guest/ucall.h"

/* RAM_X86_HOLE_END in memory/ram.h: high RAM starts there. */
#define X86_HOLE_END 0x100000000ULL

uint64_t layout_free_start(void)
{
	return ALIGN_UP((uint64_t)guest_image_end(), HPAGE_SIZE);
}

uint64_t layout_low_ram_top(void)
{
	const struct boot_info *bi = guest_boot_info();

	/* Above the hole lies ram_top - 4 GiB; the rest is below it. */
	if (bi->ram_top > bi->ram_size && bi->ram_top > X86_HOLE_END)
		return bi->ram_size - (bi->ram_top - X86_HOLE_END);
	return bi->ram_top;
}

void *layout_data_area(uint64_t size, uint64_t extra)
{
	uint64_t start = layout_free_start();
	uint64_t top = layout_low_ram_top();
	uint64_t need = ALIGN_UP(size, PAGE_SIZE) + ALIGN_UP(extra, PAGE_SIZE);

	if (!size || need < size || start + need < start || start + need > top)
		GUEST_FAIL("data area of %lu bytes (+%lu) at %#lx does not "
			   "fit below %#lx",
			   size, extra, start, top);
	return (void *)(uintptr_t)start;
}
