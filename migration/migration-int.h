/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the migration engine: URIs, the shared state, the threads.
 * Locking: see include/migration/migration.h; MigState.lock protects
 * every field marked (L).
 */
#ifndef MIGRATION_INT_H
#define MIGRATION_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "hw/machine.h"
#include "memory/dirty-log.h"
#include "migration/migration.h"
#include "migration/ram.h"
#include "qapi-types.h"

/* QEMU's defaults: 128 MiB/s, 300 ms. */
#define MIG_DEFAULT_MAX_BANDWIDTH  (128ll << 20)
#define MIG_DEFAULT_DOWNTIME_LIMIT 300
#define MIG_MAX_DOWNTIME_LIMIT	   (2000 * 1000)
/* Dirty passes after the first before the guest is stopped anyway. */
#define MIG_MAX_PASSES		   30

/* An opened URI: @fd carries the stream; @pid is an exec: child or 0. */
typedef struct MigChannel {
	int fd;
	GPid pid;
} MigChannel;

/* Is @uri of a protocol kvmage knows (unix:, file:, tcp:, exec:)? */
bool mig_uri_valid(const char *uri);
/* Source: connect / create, in the caller's thread. */
bool mig_uri_connect(const char *uri, MigChannel *ch, GError **errp);
/*
 * Destination: bind and listen (unix:, tcp:; @ch->fd is the listener
 * and *listening set) or open (file:, exec:).
 */
bool mig_uri_listen(const char *uri, MigChannel *ch, bool *listening,
		    GError **errp);
/* Accept one connection on @lfd, closing @lfd. */
int mig_uri_accept(int lfd, GError **errp);
void mig_channel_close(MigChannel *ch);

typedef struct MigState {
	GMutex lock;
	GCond cond;		   /* broadcast under lock on cancel */
	const MigrationVmOps *ops; /* set once at init */
	GMainContext *main_ctx;	   /* set once at init */

	MigrationStatus status; /* (L) */
	bool incoming;		/* (L) this side receives */
	bool incoming_expected; /* -incoming given and not yet used */
	bool cancel;		/* (L) migrate_cancel asked */
	bool done;		/* (L) the thread finished its side */
	int fd;			/* (L) the stream's fd, -1 when none */
	char *error;		/* (L) error-desc */
	bool events;		/* (L) capability 'events' */
	int64_t max_bandwidth;	/* (L) bytes/s */
	int64_t downtime_limit; /* (L) ms */

	/* (L) statistics */
	int64_t start_us, setup_ms, total_ms, downtime_ms, expected_ms;
	uint64_t total, transferred, remaining, dirty_rate, passes;
	uint64_t normal, duplicate, precopy_bytes, downtime_bytes;
	/* (L) the cold lane and holes, summed; peak_extra_rss: the max */
	uint64_t cold_pages, cold_batches, cold_left_resident, hole_pages;
	uint64_t peak_extra_rss;
	double mbps;

	GThread *thread;	/* main thread only */
	MigChannel ch;		/* the thread's */
	DirtyLogClient *client; /* main thread adds and removes */
	Machine *m;		/* the VM migrated, set before the thread */
	bool was_running;	/* main thread: the guest ran before stop */
	bool stopped;		/* main thread: ops->stop() was called */
} MigState;

extern MigState mig;

/* Under mig.lock: set the status and send MIGRATION if 'events'. */
void mig_set_status_locked(MigrationStatus st);
void mig_set_status(MigrationStatus st);
bool mig_cancelled(void);
/* migrate_cancel: stop an outgoing migration, if one runs. */
void mig_cancel_source(void);
/* Run @fn on the main thread and wait for it (migration thread). */
bool mig_main_call(bool (*fn)(void *opaque, GError **errp), void *opaque,
		   GError **errp);
/* The thread's last act: let the main thread clean up. */
void mig_schedule_cleanup(void);

/* migration-source.c / migration-incoming.c: the threads. */
gpointer mig_source_thread(gpointer opaque);
gpointer mig_incoming_thread(gpointer opaque);
void mig_stats_add(const MigRamStats *st, bool downtime);

#endif
