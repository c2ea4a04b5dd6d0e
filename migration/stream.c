/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The migration stream's buffered reader and writer, and its sections
 * (see include/migration/stream.h, docs/interop/migration-stream.rst).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "migration/stream.h"
#include "util/error.h"

struct MigStream {
	int fd;
	bool writing;
	uint8_t *buf;
	size_t pos;	 /* reader: next byte; writer: bytes buffered */
	size_t len;	 /* reader: bytes in buf */
	uint64_t offset; /* bytes consumed or written before buf */
};

MigStream *mig_stream_new(int fd, bool writing)
{
	MigStream *s = g_new0(MigStream, 1);

	s->fd = fd;
	s->writing = writing;
	s->buf = g_malloc(MIG_STREAM_BUF_SIZE);
	return s;
}

void mig_stream_free(MigStream *s)
{
	if (!s)
		return;
	g_free(s->buf);
	g_free(s);
}

uint64_t mig_stream_offset(MigStream *s)
{
	return s->offset + s->pos;
}

static bool write_all(int fd, const uint8_t *p, size_t len, GError **errp)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error_setg_errno(errp, errno,
					 "migration stream: write failed");
			return false;
		}
		p += n;
		len -= n;
	}
	return true;
}

bool mig_stream_flush(MigStream *s, GError **errp)
{
	g_assert(s->writing);
	if (!write_all(s->fd, s->buf, s->pos, errp))
		return false;
	s->offset += s->pos;
	s->pos = 0;
	return true;
}

bool mig_put(MigStream *s, const void *buf, size_t len, GError **errp)
{
	g_assert(s->writing);
	if (s->pos + len > MIG_STREAM_BUF_SIZE) {
		if (!mig_stream_flush(s, errp))
			return false;
		if (len >= MIG_STREAM_BUF_SIZE) {
			if (!write_all(s->fd, buf, len, errp))
				return false;
			s->offset += len;
			return true;
		}
	}
	memcpy(s->buf + s->pos, buf, len);
	s->pos += len;
	return true;
}

bool mig_put_u32(MigStream *s, uint32_t v, GError **errp)
{
	v = GUINT32_TO_LE(v);
	return mig_put(s, &v, sizeof(v), errp);
}

bool mig_put_u64(MigStream *s, uint64_t v, GError **errp)
{
	v = GUINT64_TO_LE(v);
	return mig_put(s, &v, sizeof(v), errp);
}

/* read() up to @len into @p; 0 at end of file, -1 with errp set. */
static ssize_t read_some(MigStream *s, uint8_t *p, size_t len, GError **errp)
{
	for (;;) {
		ssize_t n = read(s->fd, p, len);

		if (n >= 0)
			return n;
		if (errno != EINTR) {
			error_setg_errno(errp, errno,
					 "migration stream: read failed");
			return -1;
		}
	}
}

static bool truncated(const char *what, uint64_t start, size_t got, size_t len,
		      GError **errp)
{
	error_setg(errp,
		   "truncated stream: %s at offset %" G_GUINT64_FORMAT
		   ": got %zu of %zu bytes",
		   what, start, got, len);
	return false;
}

bool mig_get(MigStream *s, void *buf, size_t len, const char *what,
	     GError **errp)
{
	uint64_t start = mig_stream_offset(s);
	uint8_t *p = buf;
	size_t got = 0;

	g_assert(!s->writing);
	while (got < len) {
		size_t avail = s->len - s->pos;
		ssize_t n;

		if (avail) {
			size_t k = MIN(avail, len - got);

			memcpy(p + got, s->buf + s->pos, k);
			s->pos += k;
			got += k;
			continue;
		}
		s->offset += s->len;
		s->pos = s->len = 0;
		/* a large remainder goes straight to its destination */
		if (len - got >= MIG_STREAM_BUF_SIZE) {
			n = read_some(s, p + got, len - got, errp);
			if (n > 0) {
				s->offset += n;
				got += n;
			}
		} else {
			n = read_some(s, s->buf, MIG_STREAM_BUF_SIZE, errp);
			if (n > 0)
				s->len = n;
		}
		if (n < 0)
			return false;
		if (n == 0)
			return truncated(what, start, got, len, errp);
	}
	return true;
}

bool mig_get_u32(MigStream *s, uint32_t *v, const char *what, GError **errp)
{
	if (!mig_get(s, v, sizeof(*v), what, errp))
		return false;
	*v = GUINT32_FROM_LE(*v);
	return true;
}

bool mig_get_u64(MigStream *s, uint64_t *v, const char *what, GError **errp)
{
	if (!mig_get(s, v, sizeof(*v), what, errp))
		return false;
	*v = GUINT64_FROM_LE(*v);
	return true;
}

static const char *const section_names[MIG_SECTION__MAX] = {
	[MIG_SECTION_END] = "end",   [MIG_SECTION_RAM] = "ram",
	[MIG_SECTION_VCPU] = "vcpu", [MIG_SECTION_DEVICE] = "device",
	[MIG_SECTION_AGES] = "ages", [MIG_SECTION_RAM_DIRTY] = "ram-dirty",
};

const char *mig_section_name(MigSectionType type)
{
	return (unsigned)type < MIG_SECTION__MAX ? section_names[type] : "?";
}

bool mig_section_write(MigStream *s, MigSectionType type, uint32_t id,
		       GError **errp)
{
	return mig_put_u32(s, type, errp) && mig_put_u32(s, id, errp);
}

bool mig_end_write(MigStream *s, GError **errp)
{
	return mig_section_write(s, MIG_SECTION_END, 0, errp) &&
	       mig_stream_flush(s, errp);
}

bool mig_section_read(MigStream *s, MigSectionType *type, uint32_t *id,
		      GError **errp)
{
	uint64_t at = mig_stream_offset(s);
	uint32_t t;

	if (!mig_get_u32(s, &t, "section type", errp) ||
	    !mig_get_u32(s, id, "section id", errp))
		return false;
	if (t >= MIG_SECTION__MAX) {
		error_setg(errp,
			   "unknown section type %u (id %u) at offset "
			   "%" G_GUINT64_FORMAT,
			   t, *id, at);
		return false;
	}
	*type = t;
	return true;
}

/* Make the next @n bytes (< the buffer) available in it, not consumed. */
static bool fill(MigStream *s, size_t n, const char *what, GError **errp)
{
	uint64_t at = mig_stream_offset(s);

	while (s->len - s->pos < n) {
		ssize_t got;

		memmove(s->buf, s->buf + s->pos, s->len - s->pos);
		s->offset += s->pos;
		s->len -= s->pos;
		s->pos = 0;
		got = read_some(s, s->buf + s->len,
				MIG_STREAM_BUF_SIZE - s->len, errp);
		if (got < 0)
			return false;
		if (got == 0)
			return truncated(what, at, s->len, n, errp);
		s->len += got;
	}
	return true;
}

bool mig_section_peek(MigStream *s, MigSectionType *type, uint32_t *id,
		      GError **errp)
{
	uint64_t pos;
	bool ok;

	g_assert(!s->writing);
	if (!fill(s, 2 * sizeof(uint32_t), "section type", errp))
		return false;
	/* read it, then step back: the bytes stay in the buffer */
	pos = s->pos;
	ok = mig_section_read(s, type, id, errp);
	s->pos = pos;
	return ok;
}
