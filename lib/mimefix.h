/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * mimefix.h - repairs, on a copy of a message's bytes, the MIME framing
 * that GMime misreads, so that GMime parses the copy as RFC 2046 reads the
 * original.  The original is never changed: it is what trawl stores.
 *
 * The caller parses the message with GMime, tells mimefix_plan() which
 * multiparts and embedded messages GMime found (boundary, and where the
 * Content-Type field stands in the original), and parses again when the
 * plan changed.  A plan
 * is a sorted list of edits to the original, made again from scratch on
 * every call, so the result does not depend on the number of rounds:
 *
 *   - a multipart Content-Type whose parameters follow the subtype with
 *     no ';' ("multipart/mixed\n\tboundary=x"): a ';' is inserted after
 *     the subtype (GMime reads no parameters, so no boundary);
 *   - a delimiter line with text after the boundary ("--b ignored"):
 *     RFC 2046 5.1.1 asks only that the boundary stand whole at the start
 *     of the line; GMime wants nothing but white space after it.  The
 *     line is cut to the boundary;
 *   - a delimiter line that ends differently from the line before it
 *     ("text\n--b\r\n"): GMime takes two bytes off the part when the
 *     delimiter line ends in CRLF and one otherwise, not the line break
 *     that precedes the delimiter (RFC 2046: the CRLF before it belongs to
 *     it).  The delimiter's line end is made that of the line before;
 *   - a boundary longer than MIMEFIX_LONG_BOUNDARY: GMime matches a line
 *     only if it fits its 4 KiB read buffer.  The boundary is renamed to a
 *     short token absent from the message, in its parameter and in every
 *     delimiter line.
 *
 * And one change that is no repair: GMime parses a message/rfc822 part in
 * place and keeps only the parsed message, so its bytes as found are lost,
 * and content that is no message swallows the delimiter lines after it as
 * header lines.  The copy renames the type of such a part's Content-Type
 * ("message" -> MIMEFIX_LEAF_TYPE), and the subtype of a multipart/digest,
 * whose parts default to message/rfc822 (-> MIMEFIX_LEAF_DIGEST): GMime
 * then keeps the part as a leaf whose content is a span of the copy, and
 * the caller gives the parsed part its type back (mimefix_leaf()).
 *
 * Only delimiter lines of a multipart the parser found, from its
 * Content-Type field to its close delimiter, are looked at; a message
 * with neither a multipart nor an embedded message costs one call that
 * returns at once.  The work is
 * one pass over the lines per plan, each line starting with "--" compared
 * with at most MIMEFIX_MAX_MULTIPARTS boundaries.
 */
#ifndef TRAWL_MIMEFIX_H
#define TRAWL_MIMEFIX_H

#include <stddef.h>

#include "buf.h"

/* Parts one plan looks at; a message with more is parsed as found. */
#define MIMEFIX_MAX_MULTIPARTS 128

/* Edits in one plan besides the pinned ones; delimiter lines past it are
 * left as found. */
#define MIMEFIX_MAX_EDITS 4096

/* Boundaries longer than this are renamed (GMime's limit is its 4 KiB
 * line buffer; RFC 2046 allows 70).  Boundaries longer than
 * MIMEFIX_MAX_BOUNDARY are left alone, and so is a Content-Type field
 * longer than MIMEFIX_MAX_FIELD. */
#define MIMEFIX_LONG_BOUNDARY 998
#define MIMEFIX_MAX_BOUNDARY ((size_t)64 << 10)
#define MIMEFIX_MAX_FIELD ((size_t)64 << 10)

/* Parses of one message: as found, then at most two repaired. */
#define MIMEFIX_ROUNDS 3

/* The types a leaf made of a message/rfc822 part or of a digest has in
 * the copy (as long as "message" and "digest"). */
#define MIMEFIX_LEAF_TYPE "x-trawl"
#define MIMEFIX_LEAF_DIGEST "x-trwl"

enum mimefix_kind {
	MIMEFIX_SEMICOLON,      /* ';' put before Content-Type parameters */
	MIMEFIX_TRAILING_TEXT,  /* text after a delimiter's boundary cut */
	MIMEFIX_LINE_END,       /* a delimiter's line end made the one before */
	MIMEFIX_LONG,           /* a long boundary renamed */
	MIMEFIX_REPAIRS,        /* (the kinds above are repairs) */
	MIMEFIX_LEAF = MIMEFIX_REPAIRS, /* a type renamed to keep a leaf */
	MIMEFIX_PINNED,         /* an edit the caller made (mimefix_pin) */
	MIMEFIX_KINDS
};

enum mimefix_part_kind {
	MIMEFIX_MULTIPART,
	MIMEFIX_DIGEST,         /* a multipart/digest (or one renamed) */
	MIMEFIX_MESSAGE,        /* a message/rfc822 part (or one renamed) */
};

/* One part as the parser found it: a multipart, or an embedded message. */
struct mimefix_part {
	int kind;             /* enum mimefix_part_kind */
	const char *boundary; /* a multipart's, as reported; NULL: none */
	size_t header;        /* its Content-Type field, in the original */
};

struct mimefix_edit {
	size_t at, len;       /* the bytes of the original replaced */
	size_t rep, rep_len;  /* the replacement, in the pool */
	size_t copy_at;       /* where the replacement starts in the copy */
	size_t field;         /* MIMEFIX_LEAF: the Content-Type field */
	int kind;
};

/* An insertion the caller asked for (mimefix_pin). */
struct mimefix_pin {
	size_t at, n;
	char s[16];
};

#define MIMEFIX_MAX_PINS 4

struct mimefix {
	const char *orig;     /* the message as found (not owned) */
	size_t len;
	struct mimefix_edit *edits; /* the plan: sorted by at, disjoint */
	size_t nedits;
	struct buf pool;      /* the plan's replacement bytes */
	int count[MIMEFIX_KINDS]; /* the plan's edits of each kind */
	struct mimefix_pin pins[MIMEFIX_MAX_PINS];
	size_t npins;
	struct buf longs;     /* renamed boundaries, each NUL-terminated */
	size_t long_at[MIMEFIX_MAX_MULTIPARTS];  /* where each starts */
	size_t long_len[MIMEFIX_MAX_MULTIPARTS]; /* and its length */
	size_t nlongs;
};

/* orig (len bytes) must outlive f. */
void mimefix_init(struct mimefix *f, const char *orig, size_t len);
void mimefix_release(struct mimefix *f);

/* Inserts s (n bytes, n <= 16) before byte at of the original in every
 * plan (the blank line that ends a header section without one).  Call
 * before the first parse. */
trawl_status mimefix_pin(struct mimefix *f, size_t at, const char *s,
			 size_t n);

/* Makes the plan for the parts the parser found in the copy the current
 * plan gave it.  Returns 1 when the plan changed (parse the new
 * copy), 0 when it did not.  On a failed allocation the plan keeps only
 * the pinned edits. */
int mimefix_plan(struct mimefix *f, const struct mimefix_part *parts,
		 size_t n);

/* The copy: mimefix_copy_len() bytes, written by mimefix_write() to out,
 * which has room for them.  Without edits it is the original. */
size_t mimefix_copy_len(const struct mimefix *f);
void mimefix_write(const struct mimefix *f, char *out);

/* The offset in the original of byte pos of the copy (pos <= copy
 * length).  A position inside a replacement maps to where it starts. */
size_t mimefix_to_orig(const struct mimefix *f, size_t pos);

/* The boundary a renamed one stands for (b itself when not renamed).
 * The result lives as long as b or f. */
const char *mimefix_boundary(const struct mimefix *f, const char *b);

/* Did the plan rename the type of the Content-Type field at header (an
 * offset in the original) to keep the part a leaf? */
int mimefix_leaf(const struct mimefix *f, size_t header);

#endif
