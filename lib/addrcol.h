/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * addrcol.h - an item's addresses, as items.addrs_brief and
 * items.addrs_more hold them (docs/FORMAT.md).
 *
 * addrs_brief: six varints, the number of From, Sender, Reply-To, To, Cc
 * and Bcc addresses; then, role by role in that order, the first
 * ITEM_BRIEF_ADDRS of the role in header order, each as varint address
 * ID, varint length + bytes of the display name, varint length + bytes of
 * the address.  addrs_more: the rest of each role, role by role, in the
 * same triples; NULL when no role has more than ITEM_BRIEF_ADDRS.  A
 * results list reads addrs_brief alone; the item page reads both.
 */
#ifndef TRAWL_ADDRCOL_H
#define TRAWL_ADDRCOL_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "buf.h"

#define ADDRCOL_ROLES 6 /* TRAWL_ROLE_FROM .. TRAWL_ROLE_BCC */

struct addrcol_entry {
	int role;
	int64_t id;
	const char *name, *addr; /* not NUL-terminated */
	size_t name_len, addr_len;
};

/* Appends the n entries (any order of roles; within a role, header order)
 * to brief and more, which the caller emptied.  Errors stay in the bufs. */
void addrcol_encode(struct buf *brief, struct buf *more,
		    const struct addrcol_entry *e, size_t n);

struct addrcol_cursor {
	const uint8_t *p, *end;    /* addrs_brief */
	const uint8_t *mp, *mend;  /* addrs_more */
	size_t count[ADDRCOL_ROLES];
	int role;
	size_t pos;                /* within role */
	int brief_only;
};

/* Opens the columns (more may be NULL); brief_only: the walk stops at
 * ITEM_BRIEF_ADDRS per role.  -1 when the counts do not parse. */
int addrcol_open(struct addrcol_cursor *c, const void *brief, size_t blen,
		 const void *more, size_t mlen, int brief_only);
/* addrcol_open on the columns col_brief and col_more of a result row
 * (addrs_brief must be a BLOB; addrs_more may be NULL). */
int addrcol_open_row(struct addrcol_cursor *c, sqlite3_stmt *q,
		     int col_brief, int col_more, int brief_only);
/* The next address in role order, then header order: 1, 0 at the end, -1
 * when the columns do not parse (or disagree with the counts). */
int addrcol_next(struct addrcol_cursor *c, struct addrcol_entry *e);

#endif
