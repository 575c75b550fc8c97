/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz-mbox.c - the mbox splitter on any bytes.  Each input is read three
 * times: whole, in pieces of 1 to 7 bytes, and with a tiny max_msg.  Checked
 * on every run: the ranges tile the input, every range but a leading-text
 * one starts with "From " (or a byte order mark and "From "), data and
 * from_line are NUL-terminated and within their caps, a message is never
 * longer than its range; and the first two runs give the same messages.
 * Also runs mbox_sniff and mbox_from_line_time on the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "mbox.h"
#include "banned.h"

#define MAX_KEPT 4096

struct src {
	const uint8_t *data;
	size_t len, pos;
	unsigned seed; /* 0: whole reads */
};

static ssize_t src_read(void *ctx, void *buf, size_t len)
{
	struct src *s = ctx;
	size_t n = s->len - s->pos;

	if (s->seed) {
		size_t piece;

		s->seed = s->seed * 1103515245u + 12345u;
		piece = 1 + ((s->seed >> 16) % 7);
		if (n > piece)
			n = piece;
	}
	if (n > len)
		n = len;
	if (n)
		memcpy(buf, s->data + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

static uint64_t hash(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ c[i]) * 1099511628211u;
	return h;
}

static uint64_t msg_hash(const struct mbox_msg *m)
{
	uint64_t h = 14695981039346656037u;

	h = hash(h, m->data, m->len);
	h = hash(h, m->from_line, strlen(m->from_line));
	h = hash(h, &m->offset, sizeof(m->offset));
	h = hash(h, &m->length, sizeof(m->length));
	h = hash(h, &m->from_time, sizeof(m->from_time));
	h = hash(h, &m->len, sizeof(m->len));
	h = hash(h, &m->truncated, sizeof(m->truncated));
	return hash(h, &m->by_content_length, sizeof(m->by_content_length));
}

static void check_msg(const uint8_t *data, size_t size, size_t max_msg,
		      const struct mbox_msg *m, uint64_t at, int first)
{
	const uint8_t *p = data + m->offset;
	uint64_t left = m->length;

	if (m->offset != at || m->length > size - m->offset || m->length == 0)
		abort();
	if (m->data[m->len] != '\0' || m->len > max_msg ||
	    m->len > m->length || strlen(m->from_line) > MBOX_FROM_LINE_MAX)
		abort();
	if (m->truncated && m->len != max_msg)
		abort();
	if (left >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0 && m->offset == 0 &&
	    m->from_line[0]) {
		p += 3;
		left -= 3;
	}
	if (m->from_line[0] || !first || m->offset != 0) {
		if (left < 5 || memcmp(p, "From ", 5) != 0)
			abort();
		if (memcmp(m->from_line, p, strlen(m->from_line)) != 0)
			abort();
	}
}

/* Reads the input; fills hashes (if not NULL) and returns the count. */
static size_t run(const uint8_t *data, size_t size, unsigned seed,
		  size_t max_msg, uint64_t *hashes)
{
	struct src s = { data, size, 0, seed };
	struct mbox_reader r;
	struct mbox_msg m;
	uint64_t at = 0;
	size_t n = 0;
	int rc;

	mbox_reader_init(&r, src_read, &s, max_msg);
	while ((rc = mbox_reader_next(&r, &m)) == 1) {
		if (n == 0)
			at = m.offset; /* leading white space skipped */
		check_msg(data, size, max_msg ? max_msg : TRAWL_MAX_UNIT_SIZE,
			  &m, at, n == 0);
		at += m.length;
		if (hashes && n < MAX_KEPT)
			hashes[n] = msg_hash(&m);
		n++;
	}
	if (rc != 0 || (n && at != size))
		abort();
	if (mbox_reader_next(&r, &m) != 0)
		abort();
	mbox_reader_release(&r);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t a[MAX_KEPT], b[MAX_KEPT];
	size_t na, nb, i;

	na = run(data, size, 0, 0, a);
	nb = run(data, size, (unsigned)size * 2654435761u + 1, 0, b);
	if (na != nb)
		abort();
	for (i = 0; i < na && i < MAX_KEPT; i++)
		if (a[i] != b[i])
			abort();
	run(data, size, 0, 1 + size % 13, NULL);
	mbox_sniff((const char *)data, size);
	mbox_from_line_time((const char *)data, size);
	return 0;
}
