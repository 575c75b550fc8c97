/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * index.h - what the full-text index holds: fields, term keys, and the
 * "doc terms" record a parser worker sends for each item it indexes.
 *
 * A term key is one field byte followed by the term's bytes:
 *   0..7    an exact form in a text field (with positions)
 *   8..15   a Snowball stem in text field (k - 8) (no positions)
 *   16..    keyword fields (exact values, no positions, no frequencies)
 * Keys sort bytewise, so each field's terms are contiguous.
 */
#ifndef TRAWL_INDEX_H
#define TRAWL_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "trawl.h"

enum index_field {
	FLD_SUBJECT = 0,
	FLD_BODY = 1,
	FLD_FROM = 2,    /* From and Sender: names and addresses */
	FLD_TO = 3,
	FLD_CC = 4,
	FLD_BCC = 5,
	FLD_ATTNAME = 6, /* attachment (or document) file names */
	FLD_ATTTEXT = 7, /* text extracted from attachments */
	FLD_NTEXT = 8,
	FLD_STEM = 8,    /* + text field: its stems */
	KW_FROM = 16,    /* exact addresses, lower-cased */
	KW_TO = 17,
	KW_CC = 18,
	KW_BCC = 19,
	KW_MSGID = 20,   /* Message-ID without <> */
	KW_KIND = 21,    /* "email", "attachment", "document" */
	KW_MIME = 22,    /* declared MIME type, lower-cased */
	KW_EXT = 23,     /* file name extension, lower-cased, without '.' */
	KW_HAS = 24,     /* "attachment" */
	KW_DATE = 25,    /* "guessed" when the date is not from Date: */
	KW_ATTTYPE = 26, /* an email's attachments' declared MIME types; an
			  * attachment's or document's own */
	FLD_MAX = 27,
};

/*
 * The last n bytes of k (1 <= n <= 7) of a key of len bytes, as a number,
 * read without a byte loop: a byte loop into a variable that is then
 * read whole stalls the load behind the byte stores (on Enron, a quarter
 * of the per-document key table's time).  Loads overlap instead, always
 * within the key.
 */
static inline uint64_t key_tail(const uint8_t *k, size_t len, size_t n)
{
	uint64_t v;
	uint32_t a, b;

	if (len >= 8) {
		__builtin_memcpy(&v, k + len - 8, 8);
		return v >> (8 - n) * 8; /* the last n bytes (little-endian;
					  * big-endian hashes other bytes, as
					  * deterministically) */
	}
	k += len - n;
	if (n >= 4) {
		__builtin_memcpy(&a, k, 4);
		__builtin_memcpy(&b, k + n - 4, 4);
		return (uint64_t)a | (uint64_t)b << 32;
	}
	return (uint64_t)k[0] | (uint64_t)k[n >> 1] << 8 |
	       (uint64_t)k[n - 1] << 16;
}

/* Hash of a term key, for the in-memory tables (8 bytes at a time); seed
 * tells apart keys hashed in pieces (docterms.c: the field byte, then the
 * text). */
static inline uint32_t key_hash_seed(const uint8_t *k, size_t n,
				     uint64_t seed)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n ^ seed;
	size_t len = n;

	while (n >= 8) {
		uint64_t v;

		__builtin_memcpy(&v, k, 8);
		h = (h ^ v) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 29;
		k += 8;
		n -= 8;
	}
	if (n) {
		h = (h ^ key_tail(k - (len - n), len, n)) *
		    0x94d049bb133111ebull;
		h ^= h >> 31;
	}
	h *= 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(h >> 32);
}

static inline uint32_t key_hash(const uint8_t *k, size_t n)
{
	return key_hash_seed(k, n, 0);
}

static inline int field_is_text(int f) { return f >= 0 && f < FLD_NTEXT; }
static inline int field_has_freq(int f) { return f >= 0 && f < 2 * FLD_NTEXT; }
static inline int field_has_pos(int f) { return field_is_text(f); }

/* Positions skipped between two values of one field (two addresses, two
 * attachment names), so that a phrase never spans them. */
#define INDEX_VALUE_GAP 8

/*
 * The doc terms record (a W_TERMS field of a worker result, after a u32
 * index of the item in the unit):
 *   varint nlen; nlen x { u8 field, varint length }    field lengths
 *   varint nterms; nterms x {
 *     varint klen; key (klen bytes);
 *     varint freq (only for fields with frequencies; otherwise 1);
 *     freq x varint position delta (only for fields with positions;
 *                                   the first is the position itself)
 *   }
 * Terms appear once each, in no particular order.
 */
#define DOCTERMS_MAX_KEY (1 + 128)

struct rec_unit;
struct docterms_builder;

/* One per worker process (it holds an analyzer).  NULL: out of memory. */
struct docterms_builder *docterms_builder_new(void);
void docterms_builder_free(struct docterms_builder *b);

/* Appends a W_TERMS field for every item of u (the worker's result, just
 * decoded) to out.  An item's body text is body(ctx, item, &len) when body
 * is given and knows it (the text the parser just compressed), else it is
 * decompressed from the unit. */
typedef const char *docterms_body_fn(const void *ctx, size_t item,
				     size_t *len);
trawl_status docterms_build_unit(struct docterms_builder *b,
				 const struct rec_unit *u,
				 docterms_body_fn *body, const void *ctx,
				 struct buf *out);

/* Builds the doc terms of one item from its indexed values (also used to
 * rebuild from trawl.db).  out is appended to. */
struct doc_values_in {
	const char *subject; size_t subject_len;
	const char *body; size_t body_len;
	/* addresses: role (trawl_role), name, address */
	size_t naddrs;
	const int *roles;
	const char *const *names; const size_t *name_lens;
	const char *const *addrs; const size_t *addr_lens;
	/* attachment or document names */
	size_t nnames;
	const char *const *attnames; const size_t *attname_lens;
	/* attachment MIME types (an email's attachments', or the item's) */
	size_t ntypes;
	const char *const *atttypes; const size_t *atttype_lens;
	const char *msgid; size_t msgid_len;
	int kind;
	const char *mime; size_t mime_len;
	int has_attachment;
	int date_guessed;
};
trawl_status docterms_build(struct docterms_builder *b,
			    const struct doc_values_in *v, struct buf *out);

/* A cursor over a doc terms record, validating as it goes. */
struct docterms_cursor {
	const uint8_t *p, *end;
	uint32_t nterms;  /* terms left */
};
struct docterm {
	const uint8_t *key;
	size_t klen;
	uint32_t freq;
	const uint8_t *pos; /* freq position-delta varints, or NULL */
	size_t pos_len;
};
/* Reads the field lengths into lens[FLD_NTEXT] (zeroed first) and starts
 * the cursor on the terms.  0, or -1 when malformed. */
int docterms_open(struct docterms_cursor *c, const void *data, size_t len,
		  uint32_t lens[FLD_NTEXT]);
/* 1 = a term in *t; 0 = end; -1 = malformed. */
int docterms_next(struct docterms_cursor *c, struct docterm *t);

#endif
