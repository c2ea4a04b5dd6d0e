/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where the generated event senders (qapi_event_send_<name>()) put their
 * events.  The QAPI runtime does not know who delivers them: the monitor
 * installs itself as the emitter when it opens its first server; until
 * then, and in programs without a monitor, events are dropped, as they
 * would be with no client connected.
 */
#ifndef QAPI_QMP_EVENT_H
#define QAPI_QMP_EVENT_H

#include <json-glib/json-glib.h>

/* Deliver event @name with @data (NULL: no data); takes @data. */
typedef void (*QapiEventEmitFn)(const char *name, JsonNode *data);

/*
 * Install @fn (NULL: drop events).  Any thread may emit while another
 * installs: the pointer is read and written atomically.
 */
void qapi_event_set_emitter(QapiEventEmitFn fn);

/* Hand event @name to the emitter; takes @data.  Any thread. */
void qapi_event_emit(const char *name, JsonNode *data);

#endif
