/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the migration unit tests. */
#include <unistd.h>

#include "memory/residency.h"
#include "migration-util.h"

void migvm_init(MigVm *vm, uint64_t bank)
{
	g_autofree char *props =
		g_strdup_printf("size=%" G_GUINT64_FORMAT, 2 * bank);
	GError *err = NULL;

	vm->be = alloc_ok(HOSTMEM_MEMFD, props);
	vm->bank = bank;
	ram_list_init(&vm->ram);
	g_assert_nonnull(
		ram_bank_add(&vm->ram, RAM_BANK_RAM, 0, bank, vm->be, 0, &err));
	g_assert_nonnull(ram_bank_add(&vm->ram, RAM_BANK_RAM, MIG_HI_GPA, bank,
				      vm->be, bank, &err));
	g_assert_no_error(err);
}

void migvm_destroy(MigVm *vm)
{
	ram_list_destroy(&vm->ram);
	hostmem_free(vm->be);
}

uint64_t migvm_present(MigVm *vm)
{
	uint64_t present = 0;
	RamBank *b;

	ram_for_each_bank(&vm->ram, b) {
		ResidencyCounts c;
		GError *err = NULL;

		g_assert_true(residency_count(b, 0, b->size, &c, &err));
		g_assert_no_error(err);
		present += c.present;
	}
	return present;
}

void migvm_assert_untouched(MigVm *vm)
{
	RamBank *b;

	ram_for_each_bank(&vm->ram, b) {
		ResidencyCounts c;
		GError *err = NULL;

		g_assert_true(residency_count(b, 0, b->size, &c, &err));
		g_assert_no_error(err);
		g_assert_cmpuint(c.absent, ==, b->size);
	}
}

static gpointer sender(gpointer opaque)
{
	MigXfer *tx = opaque;

	tx->ok = mig_ram_stream_save(tx->fd, &tx->src->ram, &tx->st, &tx->err);
	close(tx->fd);
	return NULL;
}

void mig_transfer(MigVm *src, MigVm *dst, MigXfer *tx, MigXfer *rx)
{
	int fds[2];
	GThread *t;

	g_assert_cmpint(pipe(fds), ==, 0);
	*tx = (MigXfer){ .src = src, .fd = fds[1] };
	*rx = (MigXfer){ .fd = fds[0] };
	t = g_thread_new("mig-send", sender, tx);
	rx->ok = mig_ram_stream_load(rx->fd, &dst->ram, &rx->st, &rx->err);
	/* a refused stream: unblock the sender, which then sees EPIPE */
	close(rx->fd);
	g_thread_join(t);
}

static gpointer pipe_sender(gpointer opaque)
{
	MigPipe *p = opaque;
	g_autoptr(MigStream) s = mig_stream_new(p->wfd, true);

	p->ok = p->fn(s, p->opaque, &p->err) && mig_end_write(s, &p->err);
	close(p->wfd);
	return NULL;
}

void mig_pipe_start(MigPipe *p, MigSaveFn fn, void *opaque)
{
	int fds[2];

	g_assert_cmpint(pipe(fds), ==, 0);
	*p = (MigPipe){
		.fn = fn, .opaque = opaque, .rfd = fds[0], .wfd = fds[1]
	};
	p->thread = g_thread_new("mig-send", pipe_sender, p);
}

bool mig_pipe_join(MigPipe *p)
{
	close(p->rfd);
	g_thread_join(p->thread);
	return p->ok;
}
