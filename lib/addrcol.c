/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* addrcol.c - the address columns of items (addrcol.h). */
#include <string.h>

#include "addrcol.h"
#include "codec.h"
#include "internal.h"
#include "banned.h"

static void put_entry(struct buf *b, const struct addrcol_entry *e)
{
	varint_append(b, (uint64_t)e->id);
	varint_append(b, e->name_len);
	if (e->name_len)
		buf_append(b, e->name, e->name_len);
	varint_append(b, e->addr_len);
	if (e->addr_len)
		buf_append(b, e->addr, e->addr_len);
}

void addrcol_encode(struct buf *brief, struct buf *more,
		    const struct addrcol_entry *e, size_t n)
{
	size_t count[ADDRCOL_ROLES] = { 0 };

	for (size_t i = 0; i < n; i++)
		if (e[i].role >= 0 && e[i].role < ADDRCOL_ROLES)
			count[e[i].role]++;
	for (int r = 0; r < ADDRCOL_ROLES; r++)
		varint_append(brief, count[r]);
	for (int r = 0; r < ADDRCOL_ROLES; r++) {
		size_t k = 0;

		if (!count[r])
			continue;
		for (size_t i = 0; i < n; i++)
			if (e[i].role == r)
				put_entry(k++ < ITEM_BRIEF_ADDRS ? brief
								 : more,
					  &e[i]);
	}
}

int addrcol_open(struct addrcol_cursor *c, const void *brief, size_t blen,
		 const void *more, size_t mlen, int brief_only)
{
	memset(c, 0, sizeof(*c));
	if (!brief)
		return -1;
	c->p = brief;
	c->end = c->p + blen;
	c->mp = more;
	c->mend = more ? c->mp + mlen : NULL;
	c->brief_only = brief_only;
	for (int r = 0; r < ADDRCOL_ROLES; r++) {
		uint64_t n;

		if (varint_get(&c->p, c->end, &n) || n > UINT32_MAX)
			return -1;
		c->count[r] = (size_t)n;
	}
	return 0;
}

int addrcol_open_row(struct addrcol_cursor *c, sqlite3_stmt *q,
		     int col_brief, int col_more, int brief_only)
{
	if (sqlite3_column_type(q, col_brief) != SQLITE_BLOB)
		return -1;
	return addrcol_open(c, sqlite3_column_blob(q, col_brief),
			    (size_t)sqlite3_column_bytes(q, col_brief),
			    brief_only ? NULL : sqlite3_column_blob(q, col_more),
			    brief_only ? 0
				       : (size_t)sqlite3_column_bytes(q, col_more),
			    brief_only);
}

static int get_text(const uint8_t **p, const uint8_t *end, const char **s,
		    size_t *len)
{
	uint64_t n;

	if (varint_get(p, end, &n) || n > (uint64_t)(end - *p))
		return -1;
	*s = (const char *)*p;
	*len = (size_t)n;
	*p += n;
	return 0;
}

int addrcol_next(struct addrcol_cursor *c, struct addrcol_entry *e)
{
	const uint8_t **p, *end;
	uint64_t id;

	for (;;) {
		size_t cap;

		if (c->role >= ADDRCOL_ROLES) {
			/* everything read, and nothing left over */
			if (c->p != c->end ||
			    (!c->brief_only && c->mp != c->mend))
				return -1;
			return 0;
		}
		cap = c->brief_only && c->count[c->role] > ITEM_BRIEF_ADDRS
			      ? ITEM_BRIEF_ADDRS : c->count[c->role];
		if (c->pos < cap)
			break;
		c->role++;
		c->pos = 0;
	}
	if (c->pos < ITEM_BRIEF_ADDRS) {
		p = &c->p;
		end = c->end;
	} else {
		if (!c->mp)
			return -1;
		p = &c->mp;
		end = c->mend;
	}
	if (varint_get(p, end, &id) || id > INT64_MAX ||
	    get_text(p, end, &e->name, &e->name_len) ||
	    get_text(p, end, &e->addr, &e->addr_len))
		return -1;
	e->role = c->role;
	e->id = (int64_t)id;
	c->pos++;
	return 1;
}
