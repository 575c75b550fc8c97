/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * buf.h - the one growable byte buffer, with a hard cap and a sticky error.
 *
 * Every buffer that grows from input is a struct buf with a maximum.  Once
 * an append fails (cap reached or out of memory) the buffer keeps that
 * status and every later append is a no-op: check b->err once at the end.
 * The data is always NUL-terminated (the NUL is not counted in len), so a
 * buffer of text can be handed to C string functions.
 */
#ifndef TRAWL_BUF_H
#define TRAWL_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "trawl.h"

struct buf {
	char *data;       /* owned; NULL until the first append */
	size_t len;
	size_t cap;
	size_t max;       /* hard cap on len */
	trawl_status err; /* first error, sticky */
};

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
/* Empties the buffer and clears its error; keeps the memory. */
void buf_reset(struct buf *b);
/* buf_append and buf_putc when the bytes do not fit the memory held. */
trawl_status buf_append_grow(struct buf *b, const void *data, size_t len);
/* Appends, inline while the bytes and the NUL fit the memory held (cap
 * is at most max + 1, so the cap holds too). */
static inline trawl_status buf_append(struct buf *b, const void *data,
				      size_t len)
{
	if (!b->err && len < b->cap - b->len) {
		if (len)
			memcpy(b->data + b->len, data, len);
		b->len += len;
		b->data[b->len] = '\0';
		return TRAWL_OK;
	}
	return buf_append_grow(b, data, len);
}
static inline trawl_status buf_putc(struct buf *b, int c)
{
	char ch = (char)c;

	return buf_append(b, &ch, 1);
}
trawl_status buf_puts(struct buf *b, const char *s);
trawl_status buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Makes room for len more bytes and returns where they go (NULL on error);
 * commit them with buf_commit. */
char *buf_reserve(struct buf *b, size_t len);
void buf_commit(struct buf *b, size_t len);
/* Hands the data to the caller (free() it) and empties the buffer. */
char *buf_detach(struct buf *b, size_t *len);

#endif
