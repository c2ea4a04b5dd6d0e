/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Streaming JSON input for QMP, with QEMU's observable behaviour.
 *
 * Bytes go through a lexer (tokens, QEMU's error recovery) and a framer
 * that cuts the token stream into top-level values by counting brackets;
 * each value is parsed into a json-glib tree.  The parser is our own so
 * that error texts, single-quoted strings and number rules match QEMU's.
 *
 * Limits (QEMU's): 64 MiB of token text per message, 2 Mi tokens per
 * message, nesting depth 1024.  Exceeding one reports an error and resets
 * the framer, so memory per connection stays bounded.
 *
 * Locking: a JsonStream belongs to one connection and is used by one
 * thread at a time; it has no internal locking.
 */
#ifndef QAPI_JSON_STREAM_H
#define QAPI_JSON_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#define JSON_MAX_TOKEN_SIZE  (64u << 20)
#define JSON_MAX_TOKEN_COUNT (2u << 20)
#define JSON_MAX_NESTING     1024u

typedef enum {
	JSON_TOK_LCURLY,
	JSON_TOK_RCURLY,
	JSON_TOK_LSQUARE,
	JSON_TOK_RSQUARE,
	JSON_TOK_COLON,
	JSON_TOK_COMMA,
	JSON_TOK_INTEGER,
	JSON_TOK_FLOAT,
	JSON_TOK_KEYWORD,
	JSON_TOK_STRING,
	JSON_TOK_ERROR,
	JSON_TOK_PARTIAL, /* an over-long token cut off by the lexer */
} JsonTokType;

typedef struct JsonToken {
	JsonTokType type;
	size_t len;
	char text[]; /* NUL-terminated, may contain NULs before len */
} JsonToken;

/*
 * Called once per top-level value: exactly one of @msg and @err is set
 * and the callee owns it.  The callback must not free the stream.
 */
typedef void (*JsonStreamEmit)(void *opaque, JsonNode *msg, GError *err);

typedef struct JsonStream JsonStream;

JsonStream *json_stream_new(JsonStreamEmit emit, void *opaque);
void json_stream_free(JsonStream *s);
/* Lower the limits (tests); values above QEMU's are clamped. */
void json_stream_set_limits(JsonStream *s, size_t max_size, size_t max_tokens,
			    unsigned max_depth);
void json_stream_feed(JsonStream *s, const char *buf, size_t len);
/* End of input: emit a pending number/keyword and any partial message. */
void json_stream_flush(JsonStream *s);
/* Forget any partial input (a client reconnected). */
void json_stream_reset(JsonStream *s);
/*
 * True while a top-level value has begun and not been emitted: an open
 * bracket or string, or a number or keyword that needs its delimiter.
 * A client uses it to tell an incomplete request from a whole one.
 */
bool json_stream_pending(const JsonStream *s);

/* Parse one framed message; @tokens holds JsonToken *. */
JsonNode *json_parse_tokens(GPtrArray *tokens, GError **errp);

/* Parse a whole string holding exactly one value (tests, tools). */
JsonNode *json_parse_string(const char *str, size_t len, GError **errp);

#endif
