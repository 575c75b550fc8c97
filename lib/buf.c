/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "banned.h"

void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
	b->err = TRAWL_OK;
}

void buf_release(struct buf *b)
{
	free(b->data);
	buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->err = TRAWL_OK;
	if (b->data)
		b->data[0] = '\0';
}

char *buf_reserve(struct buf *b, size_t len)
{
	size_t want, ncap;
	char *p;

	if (b->err)
		return NULL;
	if (len > b->max - b->len) {
		b->err = TRAWL_ERR_TOO_LARGE;
		return NULL;
	}
	want = b->len + len + 1;
	if (want <= b->cap)
		return b->data + b->len;
	ncap = b->cap ? b->cap : 64;
	while (ncap < want)
		ncap = ncap > SIZE_MAX / 2 ? want : ncap * 2;
	if (b->max < SIZE_MAX && ncap > b->max + 1)
		ncap = b->max + 1;
	p = realloc(b->data, ncap);
	if (!p) {
		b->err = TRAWL_ERR_NOMEM;
		return NULL;
	}
	b->data = p;
	b->cap = ncap;
	return b->data + b->len;
}

void buf_commit(struct buf *b, size_t len)
{
	b->len += len;
	b->data[b->len] = '\0';
}

trawl_status buf_append_grow(struct buf *b, const void *data, size_t len)
{
	char *p = buf_reserve(b, len);

	if (!p)
		return b->err;
	if (len)
		memcpy(p, data, len);
	buf_commit(b, len);
	return TRAWL_OK;
}

trawl_status buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

trawl_status buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return b->err = TRAWL_ERR_INVALID;
	p = buf_reserve(b, (size_t)n);
	if (!p)
		return b->err;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf_commit(b, (size_t)n);
	return TRAWL_OK;
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *p = b->data;

	if (len)
		*len = b->len;
	if (!p)
		p = calloc(1, 1);
	buf_init(b, b->max);
	return p;
}
