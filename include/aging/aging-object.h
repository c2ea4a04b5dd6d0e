/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The user's side of aging: -object memory-aging,id=ID,memdev=MEM,
 * backend=auto|access-log|dirty-log|uffd,interval=MS[,mode=full|sampled]
 * [,sample=N], and the QMP commands query-memory-aging and
 * memory-aging-set (qapi/aging.json, docs/system/aging.rst).
 *
 * Backends today: dirty-log for any RAM, uffd for shared memdevs (memfd,
 * share=on file, hugetlbfs included); auto picks uffd where it can, else
 * dirty-log.  access-log fails with KVMMissingCap (no kernel has
 * KVM_CAP_ACCESS_LOG).  memory-aging-set switches between dirty-log and
 * uffd (and uffd modes) at run time, keeping the ages (aging/aging-qmp.c).
 * Any number of memdevs can be aged, each by one object with its own
 * harvest thread; the dirty-log objects share the machine's dirty log as
 * separate consumers, each harvesting the memslots of its memdev.
 *
 * Locking: everything here runs in the main thread (VM creation, start,
 * teardown and the QMP commands); the harvest thread only runs the
 * backend's scan function, which locks what it shares.  Backend state is
 * changed or freed only after the harvest thread has been joined.
 */
#ifndef AGING_AGING_OBJECT_H
#define AGING_AGING_OBJECT_H

#include <stdbool.h>
#include <glib.h>

#include "accel/kvm.h"
#include "memory/dirty-log.h"
#include "aging/aging.h"
#include "hw/vm-config.h"
#include "memory/ram.h"

#define AGING_OBJECT_TYPE	  "memory-aging"
#define AGING_OBJECT_MIN_INTERVAL 10	  /* ms */
#define AGING_OBJECT_MAX_INTERVAL 3600000 /* ms */

typedef struct AgingObjects AgingObjects;

/*
 * Validate and build every memory-aging object of @cfg against the RAM
 * banks of @ram (memdev must be guest RAM, aged by one object at most) on
 * @kvm, whose memslots are registered; the dirty-log backend consumes the
 * machine's dirty log @dl.  Each object hangs its Aging on its memdev
 * (HostMemBackend.ages) until aging_objects_free().  NULL @kvm (machine
 * none) is an error if any object exists.  Returns an empty set when
 * there is none.  The set becomes the one
 * query-memory-aging and memory-aging-set see (aging/aging-qmp.c) until
 * it is freed.
 */
AgingObjects *aging_objects_new(VmConfig *cfg, RamList *ram, KvmState *kvm,
				DirtyLog *dl, GError **errp);
/* Start the harvest threads of the enabled objects (VM start). */
bool aging_objects_start(AgingObjects *ao, GError **errp);
/* Stop and join every harvest thread; idempotent. */
void aging_objects_stop(AgingObjects *ao);
/* Stop, then free (before the memslots and the VM go away). */
void aging_objects_free(AgingObjects *ao);

#endif
