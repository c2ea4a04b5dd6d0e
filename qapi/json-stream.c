/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * JSON lexer and message framer for QMP input.
 *
 * The lexer is a byte-at-a-time state machine.  A number or keyword ends
 * only when a byte that cannot continue it arrives ("lookahead"); that
 * byte is then lexed again from the start state.  An invalid byte ends the
 * token as an error token that includes it, after which the lexer skips
 * input until a byte that can resynchronise the stream: a structural
 * character, a control character other than tab, or 0xFE/0xFF (clients
 * send these on purpose to reset the parser, as QMP's spec describes).
 *
 * The framer counts braces and brackets over the tokens and hands a
 * message to the parser when both counts are back to zero, or as soon as
 * one goes negative.  Locking: none, see json-stream.h.
 */
#include <string.h>

#include "qapi/json-stream.h"
#include "util/error.h"

enum lex_state {
	LEX_START,
	LEX_KEYWORD,
	LEX_ZERO,
	LEX_NEG,
	LEX_INT,
	LEX_FRAC0,
	LEX_FRAC,
	LEX_EXP0,
	LEX_EXPSIGN,
	LEX_EXP,
	LEX_DQ,
	LEX_DQ_ESC,
	LEX_SQ,
	LEX_SQ_ESC,
	LEX_RECOVERY,
};

/* What a byte does in a state. */
enum lex_action {
	ACT_NEXT,      /* append the byte, go to *next */
	ACT_SKIP,      /* drop the byte, go to *next */
	ACT_TOKEN,     /* append the byte, emit token *type */
	ACT_LOOKAHEAD, /* emit token *type without the byte, relex it */
	ACT_RESYNC,    /* leave recovery, relex the byte */
	ACT_ERROR,     /* append the byte, emit an error token */
};

struct JsonStream {
	JsonStreamEmit emit;
	void *opaque;
	/* lexer */
	enum lex_state state;
	GString *tok;
	/* framer */
	GPtrArray *tokens;
	size_t token_size;
	long braces, brackets;
	size_t max_size, max_tokens;
	unsigned max_depth;
};

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static enum lex_action lex_start(unsigned char c, enum lex_state *next,
				 JsonTokType *type)
{
	static const char structural[] = "{}[]:,";
	static const JsonTokType structural_type[] = {
		JSON_TOK_LCURLY,  JSON_TOK_RCURLY, JSON_TOK_LSQUARE,
		JSON_TOK_RSQUARE, JSON_TOK_COLON,  JSON_TOK_COMMA,
	};
	const char *p;

	if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
		return ACT_SKIP;
	if (c && (p = strchr(structural, c))) {
		*type = structural_type[p - structural];
		return ACT_TOKEN;
	}
	if (c == '"')
		*next = LEX_DQ;
	else if (c == '\'')
		*next = LEX_SQ;
	else if (c == '0')
		*next = LEX_ZERO;
	else if (c >= '1' && c <= '9')
		*next = LEX_INT;
	else if (c == '-')
		*next = LEX_NEG;
	else if (c >= 'a' && c <= 'z')
		*next = LEX_KEYWORD;
	else
		return ACT_ERROR;
	return ACT_NEXT;
}

/* States of a number: which bytes continue it and where they lead. */
static enum lex_action lex_number(enum lex_state s, unsigned char c,
				  enum lex_state *next, JsonTokType *type)
{
	bool digit = is_digit(c), exp = c == 'e' || c == 'E';

	switch (s) {
	case LEX_NEG:
		if (!digit)
			return ACT_ERROR;
		*next = c == '0' ? LEX_ZERO : LEX_INT;
		return ACT_NEXT;
	case LEX_ZERO:
		/* QEMU: no exponent right after a leading zero ("0e1") */
		if (digit)
			return ACT_ERROR;
		if (c == '.') {
			*next = LEX_FRAC0;
			return ACT_NEXT;
		}
		*type = JSON_TOK_INTEGER;
		return ACT_LOOKAHEAD;
	case LEX_INT:
		if (digit || c == '.' || exp) {
			*next = digit ? LEX_INT : exp ? LEX_EXP0 : LEX_FRAC0;
			return ACT_NEXT;
		}
		*type = JSON_TOK_INTEGER;
		return ACT_LOOKAHEAD;
	case LEX_FRAC0:
	case LEX_EXPSIGN:
		if (!digit)
			return ACT_ERROR;
		*next = s == LEX_FRAC0 ? LEX_FRAC : LEX_EXP;
		return ACT_NEXT;
	case LEX_FRAC:
		if (digit || exp) {
			*next = digit ? LEX_FRAC : LEX_EXP0;
			return ACT_NEXT;
		}
		*type = JSON_TOK_FLOAT;
		return ACT_LOOKAHEAD;
	case LEX_EXP0:
		if (!digit && c != '+' && c != '-')
			return ACT_ERROR;
		*next = digit ? LEX_EXP : LEX_EXPSIGN;
		return ACT_NEXT;
	case LEX_EXP:
		if (digit)
			return ACT_NEXT;
		*type = JSON_TOK_FLOAT;
		return ACT_LOOKAHEAD;
	default:
		g_assert_not_reached();
	}
}

/* Strings: escapes are checked by the parser, raw bytes here. */
static enum lex_action lex_string(enum lex_state s, unsigned char c,
				  enum lex_state *next, JsonTokType *type)
{
	bool dq = s == LEX_DQ || s == LEX_DQ_ESC;
	bool esc = s == LEX_DQ_ESC || s == LEX_SQ_ESC;

	if (c < 0x20 || c >= 0xFE)
		return ACT_ERROR;
	if (esc) {
		*next = dq ? LEX_DQ : LEX_SQ;
		return ACT_NEXT;
	}
	if (c == '\\') {
		*next = dq ? LEX_DQ_ESC : LEX_SQ_ESC;
		return ACT_NEXT;
	}
	if (c == (dq ? '"' : '\'')) {
		*type = JSON_TOK_STRING;
		return ACT_TOKEN;
	}
	return ACT_NEXT;
}

static enum lex_action lex_step(enum lex_state s, unsigned char c,
				enum lex_state *next, JsonTokType *type)
{
	*next = s;
	switch (s) {
	case LEX_START:
		return lex_start(c, next, type);
	case LEX_KEYWORD:
		if (c >= 'a' && c <= 'z')
			return ACT_NEXT;
		*type = JSON_TOK_KEYWORD;
		return ACT_LOOKAHEAD;
	case LEX_DQ:
	case LEX_DQ_ESC:
	case LEX_SQ:
	case LEX_SQ_ESC:
		return lex_string(s, c, next, type);
	case LEX_RECOVERY:
		if ((c < 0x20 && c != '\t') || c >= 0xFE ||
		    (c && strchr("{}[]:,", c)))
			return ACT_RESYNC;
		return ACT_SKIP;
	default:
		return lex_number(s, c, next, type);
	}
}

static void frame_reset(JsonStream *s)
{
	g_ptr_array_set_size(s->tokens, 0);
	s->token_size = 0;
	s->braces = 0;
	s->brackets = 0;
}

static void frame_emit(JsonStream *s, JsonNode *msg, GError *err)
{
	frame_reset(s);
	s->emit(s->opaque, msg, err);
}

static void frame_error(JsonStream *s, const char *what)
{
	GError *err = NULL;

	g_set_error(&err, KVMAGE_ERROR, KVMAGE_ERROR_GENERIC, "%s", what);
	frame_emit(s, NULL, err);
}

/* Take one token from the lexer; parse once a whole value is framed. */
static void frame_token(JsonStream *s, JsonTokType type, GString *text)
{
	JsonToken *t;
	JsonNode *msg;
	GError *err = NULL;

	switch (type) {
	case JSON_TOK_LCURLY:
		s->braces++;
		break;
	case JSON_TOK_RCURLY:
		s->braces--;
		break;
	case JSON_TOK_LSQUARE:
		s->brackets++;
		break;
	case JSON_TOK_RSQUARE:
		s->brackets--;
		break;
	case JSON_TOK_ERROR:
		g_set_error(&err, KVMAGE_ERROR, KVMAGE_ERROR_GENERIC,
			    "JSON parse error, stray '%s'", text->str);
		frame_emit(s, NULL, err);
		return;
	default:
		break;
	}
	if (s->token_size + text->len + 1 > s->max_size) {
		frame_error(s, "JSON token size limit exceeded");
		return;
	}
	if (s->tokens->len + 1 > s->max_tokens) {
		frame_error(s, "JSON token count limit exceeded");
		return;
	}
	if (s->braces + s->brackets > (long)s->max_depth) {
		frame_error(s, "JSON nesting depth limit exceeded");
		return;
	}
	t = g_malloc(sizeof(*t) + text->len + 1);
	t->type = type;
	t->len = text->len;
	memcpy(t->text, text->str, text->len + 1);
	g_ptr_array_add(s->tokens, t);
	s->token_size += text->len;
	if ((s->braces > 0 || s->brackets > 0) && s->braces >= 0 &&
	    s->brackets >= 0)
		return;
	msg = json_parse_tokens(s->tokens, &err);
	frame_emit(s, msg, err);
}

static void lex_emit(JsonStream *s, JsonTokType type)
{
	frame_token(s, type, s->tok);
	g_string_truncate(s->tok, 0);
}

static void lex_byte(JsonStream *s, unsigned char c)
{
	enum lex_state next;
	JsonTokType type = JSON_TOK_ERROR;

	for (;;) {
		switch (lex_step(s->state, c, &next, &type)) {
		case ACT_NEXT:
			g_string_append_c(s->tok, c);
			s->state = next;
			break;
		case ACT_SKIP:
			break;
		case ACT_TOKEN:
			g_string_append_c(s->tok, c);
			lex_emit(s, type);
			s->state = LEX_START;
			break;
		case ACT_LOOKAHEAD:
			lex_emit(s, type);
			s->state = LEX_START;
			continue;
		case ACT_RESYNC:
			s->state = LEX_START;
			continue;
		case ACT_ERROR:
			g_string_append_c(s->tok, c);
			lex_emit(s, JSON_TOK_ERROR);
			s->state = LEX_RECOVERY;
			break;
		}
		break;
	}
	/* Never let a single token grow without bound. */
	if (s->tok->len > s->max_size) {
		lex_emit(s, JSON_TOK_PARTIAL);
		s->state = LEX_START;
	}
}

void json_stream_feed(JsonStream *s, const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		lex_byte(s, buf[i]);
}

void json_stream_flush(JsonStream *s)
{
	GError *err = NULL;
	JsonNode *msg;

	switch (s->state) {
	case LEX_KEYWORD:
		lex_emit(s, JSON_TOK_KEYWORD);
		break;
	case LEX_ZERO:
	case LEX_INT:
		lex_emit(s, JSON_TOK_INTEGER);
		break;
	case LEX_FRAC:
	case LEX_EXP:
		lex_emit(s, JSON_TOK_FLOAT);
		break;
	case LEX_START:
	case LEX_RECOVERY:
		break;
	default:
		lex_emit(s, JSON_TOK_ERROR);
		break;
	}
	s->state = LEX_START;
	g_string_truncate(s->tok, 0);
	if (!s->tokens->len)
		return;
	msg = json_parse_tokens(s->tokens, &err);
	frame_emit(s, msg, err);
}

void json_stream_reset(JsonStream *s)
{
	s->state = LEX_START;
	g_string_truncate(s->tok, 0);
	frame_reset(s);
}

bool json_stream_pending(const JsonStream *s)
{
	return s->tokens->len > 0 ||
	       (s->state != LEX_START && s->state != LEX_RECOVERY);
}

JsonStream *json_stream_new(JsonStreamEmit emit, void *opaque)
{
	JsonStream *s = g_new0(JsonStream, 1);

	s->emit = emit;
	s->opaque = opaque;
	s->tok = g_string_new(NULL);
	s->tokens = g_ptr_array_new_with_free_func(g_free);
	s->max_size = JSON_MAX_TOKEN_SIZE;
	s->max_tokens = JSON_MAX_TOKEN_COUNT;
	s->max_depth = JSON_MAX_NESTING;
	return s;
}

void json_stream_set_limits(JsonStream *s, size_t max_size, size_t max_tokens,
			    unsigned max_depth)
{
	s->max_size = MIN(max_size, (size_t)JSON_MAX_TOKEN_SIZE);
	s->max_tokens = MIN(max_tokens, (size_t)JSON_MAX_TOKEN_COUNT);
	s->max_depth = MIN(max_depth, JSON_MAX_NESTING);
}

void json_stream_free(JsonStream *s)
{
	if (!s)
		return;
	g_string_free(s->tok, TRUE);
	g_ptr_array_free(s->tokens, TRUE);
	g_free(s);
}

static void collect_one(void *opaque, JsonNode *msg, GError *err)
{
	GPtrArray *out = opaque;

	if (err) {
		g_ptr_array_add(out, NULL);
		g_ptr_array_add(out, err);
	} else {
		g_ptr_array_add(out, msg);
		g_ptr_array_add(out, NULL);
	}
}

JsonNode *json_parse_string(const char *str, size_t len, GError **errp)
{
	g_autoptr(GPtrArray) out = g_ptr_array_new();
	JsonStream *s = json_stream_new(collect_one, out);
	JsonNode *ret = NULL;
	guint i;

	json_stream_feed(s, str, len);
	json_stream_flush(s);
	json_stream_free(s);
	if (out->len == 2 && out->pdata[0]) {
		ret = out->pdata[0];
		out->pdata[0] = NULL;
	} else if (out->len >= 2 && out->pdata[1]) {
		g_propagate_error(errp, out->pdata[1]);
		out->pdata[1] = NULL;
	} else {
		error_setg(errp, out->len ? "trailing data after JSON value" :
					    "no JSON value");
	}
	for (i = 0; i < out->len; i += 2) {
		if (out->pdata[i])
			json_node_unref(out->pdata[i]);
		if (out->pdata[i + 1])
			g_error_free(out->pdata[i + 1]);
	}
	return ret;
}
