/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the QMP input path: bytes -> lexer/framer ->
 * parser -> request checks -> argument unmarshalling -> commands ->
 * response serialisation.  The first byte picks the read size (to vary
 * how messages are split) and whether the client is still negotiating.
 *
 * Build: meson setup -Dfuzz=true with CC=clang; run e.g.
 *   build/tests/qmp/fuzz-qmp -max_total_time=60 tests/qmp/fuzz-corpus
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "qapi/json-stream.h"
#include "qapi/qjson.h"
#include "qapi/qmp-dispatch.h"
#include "qapi-commands.h"
#include "system/runstate.h"

typedef struct FuzzState {
	bool negotiating;
	bool oob;
} FuzzState;

static void fuzz_emit(void *opaque, JsonNode *msg, GError *err)
{
	FuzzState *st = opaque;
	JsonNode *rsp;
	char *text;

	if (err) {
		rsp = qmp_error_response(err);
		g_error_free(err);
	} else {
		rsp = qmp_dispatch(&qmp_commands, msg, st->negotiating,
				   st->oob);
		json_node_unref(msg);
	}
	text = qjson_to_string(rsp, st->oob);
	g_free(text);
	json_node_unref(rsp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzState st;
	JsonStream *s;
	size_t chunk, off;

	if (!size)
		return 0;
	st.negotiating = data[0] & 0x80;
	st.oob = data[0] & 0x40;
	chunk = (data[0] & 0x3f) + 1;
	data++;
	size--;
	runstate_init(false);
	s = json_stream_new(fuzz_emit, &st);
	/* smaller limits so that the limit paths are reachable */
	json_stream_set_limits(s, 4096, 512, 64);
	for (off = 0; off < size; off += chunk)
		json_stream_feed(s, (const char *)data + off,
				 MIN(chunk, size - off));
	json_stream_flush(s);
	json_stream_free(s);
	return 0;
}
