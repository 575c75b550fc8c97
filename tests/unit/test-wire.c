/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test-wire.c - frames between ingest and its workers (lib/wire.c): frame
 * headers; field cursors; result payloads built with wire_put* and decoded
 * with rec_unit_decode, every field compared; a table of malformed
 * payloads that must be rejected; the caps on items, addresses and
 * warnings; every prefix and single-byte change of a good payload.
 *
 * Malformed payloads, prefixes and mutations are decoded from a malloc'd
 * copy of their exact length, so that ASan sees any read past the end.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"
#include "bounds.h"
#include "tap.h"
#include "banned.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* Decodes a malloc'd copy of p[0..n) and releases it; returns the result. */
static int decode_copy(const void *p, size_t n)
{
	void *copy = malloc(n ? n : 1);
	struct rec_unit u;
	int r;

	if (!copy)
		abort();
	if (n)
		memcpy(copy, p, n);
	r = rec_unit_decode(&u, copy, n);
	rec_unit_release(&u);
	free(copy);
	return r;
}

/* ------------------------------------------------------------------ */
/* Little-endian helpers, frame headers */

static void test_le(void)
{
	uint8_t b[8];

	wire_set_u32(b, 0x04030201u);
	ok(b[0] == 1 && b[1] == 2 && b[2] == 3 && b[3] == 4,
	   "wire_set_u32 is little-endian");
	is_int(wire_get_u32(b), 0x04030201u, "wire_get_u32 reads it back");
	wire_set_u64(b, 0x0807060504030201ull);
	ok(b[0] == 1 && b[3] == 4 && b[4] == 5 && b[7] == 8,
	   "wire_set_u64 is little-endian");
	ok(wire_get_u64(b) == 0x0807060504030201ull,
	   "wire_get_u64 reads it back");
	wire_set_u64(b, UINT64_MAX);
	ok(wire_get_u64(b) == UINT64_MAX, "u64 all ones");
}

static void test_frame(void)
{
	struct buf b;
	const uint8_t *h;
	size_t before;

	buf_init(&b, 1 << 20);
	buf_puts(&b, "left over from the last frame");
	wire_frame_begin(&b, FRAME_RESULT, 0x1122334455667788ull);
	h = (const uint8_t *)b.data;
	is_int(b.len, WIRE_HEADER_SIZE, "frame begin: resets, reserves 16");
	is_int(wire_get_u32(h), 0, "frame begin: length 0 until the end");
	is_int(wire_get_u32(h + 4), FRAME_RESULT, "frame begin: type");
	ok(wire_get_u64(h + 8) == 0x1122334455667788ull,
	   "frame begin: sequence number");
	wire_put_str(&b, W_SUBJECT, "hello");
	wire_put_u64(&b, W_SIZE, 42);
	wire_frame_end(&b);
	h = (const uint8_t *)b.data;
	is_int(b.len, WIRE_HEADER_SIZE + 10 + 13, "frame: two fields");
	is_int(wire_get_u32(h), 10 + 13, "frame end: payload length");
	is_int(wire_get_u32(h + 4), FRAME_RESULT, "frame end: type kept");
	ok(wire_get_u64(h + 8) == 0x1122334455667788ull,
	   "frame end: sequence number kept");
	ok(h[16] == W_SUBJECT && wire_get_u32(h + 17) == 5 &&
	   memcmp(h + 21, "hello", 5) == 0, "field: tag, length, bytes");
	ok(h[26] == W_SIZE && wire_get_u32(h + 27) == 8 &&
	   wire_get_u64(h + 31) == 42, "u64 field");

	wire_frame_begin(&b, FRAME_FAIL, 0);
	wire_frame_end(&b);
	h = (const uint8_t *)b.data;
	ok(b.len == WIRE_HEADER_SIZE && wire_get_u32(h) == 0 &&
	   wire_get_u32(h + 4) == FRAME_FAIL && wire_get_u64(h + 8) == 0,
	   "empty FRAME_FAIL frame");

	wire_frame_begin(&b, FRAME_JOB, UINT64_MAX);
	before = b.len;
	wire_put_str(&b, J_NAME, NULL);
	is_int(b.len, before, "wire_put_str(NULL) adds nothing");
	wire_put_str(&b, J_NAME, "");
	is_int(b.len, before + 5, "wire_put_str(\"\") adds an empty field");
	wire_put_i64(&b, J_FROMTIME, INT64_MIN);
	h = (const uint8_t *)b.data;
	ok((int64_t)wire_get_u64(h + before + 10) == INT64_MIN,
	   "wire_put_i64(INT64_MIN) round trip");
	wire_frame_end(&b);
	ok(wire_get_u64((const uint8_t *)b.data + 8) == UINT64_MAX,
	   "sequence number UINT64_MAX");
	if (SIZE_MAX > UINT32_MAX) {
		before = b.len;
		/* never read: the length is refused first */
		wire_put(&b, J_DATA, "x", (size_t)UINT32_MAX + 1);
		ok(b.err == TRAWL_ERR_TOO_LARGE && b.len == before,
		   "field over 4 GiB: TRAWL_ERR_TOO_LARGE, nothing added");
	} else {
		ok(1, "size_t is 32 bits: no field can pass 4 GiB");
	}
	buf_release(&b);

	/* A frame that outgrows its buffer keeps the error: no length. */
	buf_init(&b, WIRE_HEADER_SIZE + 10);
	wire_frame_begin(&b, FRAME_RESULT, 7);
	wire_put(&b, W_BLOBZ, "0123456789", 10);
	wire_frame_end(&b);
	ok(b.err != TRAWL_OK, "frame over its cap: sticky error");
	ok(b.len >= WIRE_HEADER_SIZE && wire_get_u32((uint8_t *)b.data) == 0,
	   "frame over its cap: length never filled in");
	wire_frame_begin(&b, FRAME_RESULT, 8);
	is_int(b.err, TRAWL_OK, "frame begin clears the error");
	buf_release(&b);
}

/* ------------------------------------------------------------------ */
/* The cursor */

static void test_cursor(void)
{
	static const uint8_t good[] = {
		1, 3, 0, 0, 0, 'a', 'b', 'c', 200, 0, 0, 0, 0,
		6, 1, 0, 0, 0, 'z',
	};
	static const uint8_t bad[] = { 1, 5, 0, 0, 0, 'a', 'b', 0, 0 };
	struct wire_cursor c;
	const uint8_t *d = NULL;
	size_t n = 0;
	int tag = 0, r1, r2, r3, r4, r5;

	wire_cursor_init(&c, good, sizeof(good));
	r1 = wire_next(&c, &tag, &d, &n);
	ok(r1 == 1 && tag == 1 && n == 3 && memcmp(d, "abc", 3) == 0,
	   "cursor: first field");
	r2 = wire_next(&c, &tag, &d, &n);
	ok(r2 == 1 && tag == 200 && n == 0, "cursor: empty field");
	r3 = wire_next(&c, &tag, &d, &n);
	ok(r3 == 1 && tag == 6 && n == 1 && d[0] == 'z',
	   "cursor: last field");
	r4 = wire_next(&c, &tag, &d, &n);
	r5 = wire_next(&c, &tag, &d, &n);
	ok(r4 == 0 && r5 == 0 && !c.err, "cursor: end, and end again");

	wire_cursor_init(&c, bad, sizeof(bad));
	r1 = wire_next(&c, &tag, &d, &n);
	r2 = wire_next(&c, &tag, &d, &n);
	ok(r1 == -1 && r2 == -1 && c.err, "cursor: length past end, sticky");

	wire_cursor_init(&c, good, 4);
	ok(wire_next(&c, &tag, &d, &n) == -1, "cursor: 4-byte field header");

	wire_cursor_init(&c, good, 0);
	ok(wire_next(&c, &tag, &d, &n) == 0, "cursor: empty input is the end");
}

/* ------------------------------------------------------------------ */
/* Round trips */

#define N_STR 8
#define N_ADDR 6
#define N_WARN 3

struct spec {
	int kind;
	int32_t parent;
	int shape; /* 0 every field, 1 only the required ones, 2 empty strings */
	uint8_t sha[32], md5[16], chash[32];
	uint64_t size;
	uint8_t blobz[12];
	char str[N_STR][40];
	size_t str_n[N_STR];
	int64_t date;
	int32_t tz;
	uint8_t date_source;
	uint64_t body_len;
	uint8_t bodyz[10];
	uint32_t flags;
	int naddrs;
	struct { int role; char name[24], addr[24]; } addrs[N_ADDR];
	int nwarns;
	struct { char code[24], detail[40]; } warns[N_WARN];
};

/* The string fields, in the order of spec.str. */
static const int str_tags[N_STR] = {
	W_MSGID, W_SUBJECT, W_BASESUBJ, W_IRT, W_REFS, W_NAME, W_MIME, W_SNIFF,
};

static void make_spec(struct spec *s, int i, int kind, int32_t parent,
		      int shape)
{
	int k;

	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->parent = parent;
	s->shape = shape;
	for (k = 0; k < 32; k++) {
		s->sha[k] = (uint8_t)(i * 31 + k);
		s->chash[k] = (uint8_t)(255 - k - i);
	}
	for (k = 0; k < 16; k++)
		s->md5[k] = (uint8_t)(i + k * 3);
	for (k = 0; k < 12; k++) /* binary, with NULs */
		s->blobz[k] = (uint8_t)(k % 3 ? 0 : 0xf0 + i + k);
	if (shape == 1)
		return;
	s->size = i == 0 ? UINT64_MAX : (uint64_t)i * 1000003u;
	for (k = 0; k < N_STR && shape == 0; k++)
		s->str_n[k] = (size_t)snprintf(s->str[k], sizeof(s->str[k]),
					       "f%d item %d \xc3\xa9", k, i);
	if (shape == 0) /* a NUL inside a value travels too */
		s->str[1][3] = '\0';
	s->date = i == 0 ? INT64_MIN : i == 1 ? -86400 : 1700000000 + i;
	s->tz = i == 0 ? -720 : 330;
	s->date_source = (uint8_t)(i % 6);
	s->body_len = i == 0 ? UINT64_MAX : 12345;
	for (k = 0; k < 10; k++)
		s->bodyz[k] = (uint8_t)(k * 17 + i);
	s->flags = i == 0 ? UINT32_MAX : 1;
	s->naddrs = N_ADDR;
	for (k = 0; k < N_ADDR; k++) {
		s->addrs[k].role = (k + i) % 6;
		if (shape == 0 && k != 2)
			snprintf(s->addrs[k].name, 24, "Name %d,%d", i, k);
		snprintf(s->addrs[k].addr, 24, "a%d@x%d.org", k, i);
	}
	s->nwarns = N_WARN;
	for (k = 0; k < N_WARN; k++) {
		snprintf(s->warns[k].code, 24, "code-%d", k);
		if (k != 1)
			snprintf(s->warns[k].detail, 40, "detail %d of %d", k,
				 i);
	}
}

static void put_addr(struct buf *b, int role, const char *name,
		     const char *addr)
{
	size_t nl = strlen(name), al = strlen(addr);
	uint8_t d[64];

	d[0] = (uint8_t)role;
	wire_set_u32(d + 1, (uint32_t)nl);
	memcpy(d + 5, name, nl);
	memcpy(d + 5 + nl, addr, al);
	wire_put(b, W_ADDR, d, 5 + nl + al);
}

static void put_warn(struct buf *b, const char *code, const char *detail)
{
	size_t cl = strlen(code), dl = strlen(detail);
	uint8_t d[80];

	wire_set_u32(d, (uint32_t)cl);
	memcpy(d + 4, code, cl);
	memcpy(d + 4 + cl, detail, dl);
	wire_put(b, W_WARN, d, 4 + cl + dl);
}

static void put_item(struct buf *b, int kind, int32_t parent)
{
	uint8_t d[5];

	d[0] = (uint8_t)kind;
	wire_set_u32(d + 1, (uint32_t)parent);
	wire_put(b, W_ITEM, d, 5);
}

static void put_u32(struct buf *b, int tag, uint32_t v)
{
	uint8_t d[4];

	wire_set_u32(d, v);
	wire_put(b, tag, d, 4);
}

static void encode_spec(struct buf *b, const struct spec *s)
{
	uint8_t d[32];
	int k;

	put_item(b, s->kind, s->parent);
	/* the required fields last: order within an item is free */
	if (s->shape != 1) {
		wire_put(b, W_MD5, s->md5, 16);
		wire_put(b, W_CHASH, s->chash, 32);
		wire_put_u64(b, W_SIZE, s->size);
		for (k = 0; k < N_STR; k++)
			wire_put(b, str_tags[k], s->str[k], s->str_n[k]);
		wire_set_u64(d, (uint64_t)s->date);
		wire_set_u32(d + 8, (uint32_t)s->tz);
		d[12] = s->date_source;
		wire_put(b, W_DATE, d, 13);
		wire_set_u64(d, s->body_len);
		memcpy(d + 8, s->bodyz, 10);
		wire_put(b, W_BODYZ, d, 18);
		put_u32(b, W_FLAGS, s->flags);
	}
	for (k = 0; k < N_ADDR || k < N_WARN; k++) { /* interleaved */
		if (k < s->naddrs)
			put_addr(b, s->addrs[k].role, s->addrs[k].name,
				 s->addrs[k].addr);
		if (k < s->nwarns)
			put_warn(b, s->warns[k].code, s->warns[k].detail);
	}
	wire_put(b, W_BLOBZ, s->blobz, 12);
	wire_put(b, W_SHA256, s->sha, 32);
}

static int span_is(struct span s, const void *p, size_t n)
{
	return s.p && s.n == n && memcmp(s.p, p, n) == 0;
}

static int span_is_str(struct span s, const char *str)
{
	return span_is(s, str, strlen(str));
}

static void check_item(const struct rec_item *it, const struct spec *s,
		       int i)
{
	int k, same;

	ok(it->kind == s->kind && it->parent == s->parent,
	   "item %d: kind %d, parent %d", i, s->kind, (int)s->parent);
	ok(it->sha256 && memcmp(it->sha256, s->sha, 32) == 0 &&
	   span_is(it->blobz, s->blobz, 12), "item %d: sha256, blobz", i);
	if (s->shape == 1) {
		same = !it->md5 && !it->chash && it->size == 0 &&
		       !it->has_date && !it->bodyz.p && it->body_len == 0 &&
		       it->flags == 0 && it->naddrs == 0 && it->nwarns == 0;
		ok(same && !it->message_id.p && !it->subject.p &&
		   !it->base_subject.p && !it->in_reply_to.p && !it->refs.p &&
		   !it->name.p && !it->mime_type.p && !it->sniffed_type.p,
		   "item %d: absent fields are absent", i);
		return;
	}
	ok(it->md5 && memcmp(it->md5, s->md5, 16) == 0 && it->chash &&
	   memcmp(it->chash, s->chash, 32) == 0, "item %d: md5, chash", i);
	ok(it->size == s->size, "item %d: size", i);
	ok(span_is(it->message_id, s->str[0], s->str_n[0]) &&
	   span_is(it->subject, s->str[1], s->str_n[1]) &&
	   span_is(it->base_subject, s->str[2], s->str_n[2]) &&
	   span_is(it->in_reply_to, s->str[3], s->str_n[3]) &&
	   span_is(it->refs, s->str[4], s->str_n[4]) &&
	   span_is(it->name, s->str[5], s->str_n[5]) &&
	   span_is(it->mime_type, s->str[6], s->str_n[6]) &&
	   span_is(it->sniffed_type, s->str[7], s->str_n[7]),
	   "item %d: the eight string fields%s", i,
	   s->shape == 2 ? " (present, empty)" : "");
	ok(it->has_date && it->date == s->date && it->tz == s->tz &&
	   it->date_source == s->date_source,
	   "item %d: date %lld, tz %d, source %d", i, (long long)s->date,
	   (int)s->tz, s->date_source);
	ok(it->body_len == s->body_len && span_is(it->bodyz, s->bodyz, 10),
	   "item %d: body length and frame", i);
	is_int(it->flags, s->flags, "item %d: flags", i);
	same = it->naddrs == (size_t)s->naddrs;
	for (k = 0; same && k < s->naddrs; k++)
		same = it->addrs[k].role == s->addrs[k].role &&
		       span_is_str(it->addrs[k].name, s->addrs[k].name) &&
		       span_is_str(it->addrs[k].addr, s->addrs[k].addr);
	ok(same, "item %d: %d addresses, in order", i, s->naddrs);
	same = it->nwarns == (size_t)s->nwarns;
	for (k = 0; same && k < s->nwarns; k++)
		same = span_is_str(it->warns[k].code, s->warns[k].code) &&
		       span_is_str(it->warns[k].detail, s->warns[k].detail);
	ok(same, "item %d: %d warnings, in order", i, s->nwarns);
}

/* The round-trip payload, for the prefix and mutation tests. */
static uint8_t *good_payload;
static size_t good_len;

static void test_round_trip(void)
{
	static const struct { int kind, parent, shape; } shape[] = {
		{ TRAWL_KIND_EMAIL, -1, 0 },
		{ TRAWL_KIND_ATTACHMENT, 0, 0 },
		{ TRAWL_KIND_EMAIL, 0, 1 },
		{ TRAWL_KIND_ATTACHMENT, 2, 2 },
		{ TRAWL_KIND_DOCUMENT, 1, 0 },
	};
	struct spec specs[N_ELEMENTS(shape)];
	struct rec_unit u;
	struct buf b;
	size_t i, len;
	int r;

	buf_init(&b, 1 << 20);
	wire_frame_begin(&b, FRAME_RESULT, 99);
	for (i = 0; i < N_ELEMENTS(shape); i++) {
		make_spec(&specs[i], (int)i, shape[i].kind, shape[i].parent,
			  shape[i].shape);
		encode_spec(&b, &specs[i]);
	}
	wire_frame_end(&b);
	is_int(b.err, TRAWL_OK, "round trip: built");
	len = b.len - WIRE_HEADER_SIZE;
	is_int(wire_get_u32((uint8_t *)b.data), len,
	       "round trip: frame length");
	good_payload = malloc(len);
	if (!good_payload)
		abort();
	memcpy(good_payload, b.data + WIRE_HEADER_SIZE, len);
	good_len = len;
	buf_release(&b);

	r = rec_unit_decode(&u, good_payload, good_len);
	is_int(r, 0, "round trip: decodes");
	is_int(u.nitems, N_ELEMENTS(shape), "round trip: %zu items",
	       N_ELEMENTS(shape));
	for (i = 0; r == 0 && i < u.nitems && i < N_ELEMENTS(shape); i++)
		check_item(&u.items[i], &specs[i], (int)i);
	rec_unit_release(&u);
	ok(u.items == NULL && u.nitems == 0, "release empties the unit");
}

/* Every prefix: rejected unless it ends on a field boundary after the
 * first item is complete; never a crash. */
static void test_prefixes(void)
{
	struct wire_cursor c;
	const uint8_t *d;
	size_t n, cut, wrong = 0, accepted = 0;
	char *boundary = calloc(good_len + 1, 1);
	int tag;

	if (!boundary)
		abort();
	wire_cursor_init(&c, good_payload, good_len);
	boundary[0] = 1;
	while (wire_next(&c, &tag, &d, &n) == 1)
		boundary[c.p - good_payload] = 1;
	for (cut = 0; cut < good_len; cut++) {
		int r = decode_copy(good_payload, cut);

		accepted += r == 0;
		wrong += r == 0 && !boundary[cut];
	}
	is_int(wrong, 0, "prefixes: none cut inside a field is accepted");
	/* items 0..3 complete, item 4 not yet */
	is_int(accepted, 4, "prefixes: only the 4 ending a complete item");
	free(boundary);
}

/* Every byte replaced by a few values: no crash, no leak. */
static void test_mutations(void)
{
	static const uint8_t vals[] = { 0x00, 0x01, 0x06, 0x20, 0x7f, 0xff };
	uint8_t *p = malloc(good_len);
	size_t i, v, runs = 0, accepted = 0;

	if (!p)
		abort();
	for (i = 0; i < good_len; i++) {
		for (v = 0; v < N_ELEMENTS(vals); v++) {
			memcpy(p, good_payload, good_len);
			p[i] = vals[v];
			accepted += decode_copy(p, good_len) == 0;
			runs++;
		}
	}
	ok(runs > 0, "mutations: %zu payloads decoded without a crash "
	   "(%zu accepted)", runs, accepted);
	free(p);
}

/* ------------------------------------------------------------------ */
/* Malformed payloads */

struct fld {
	int tag; /* -1 ends the list */
	size_t len;
	const char *data;
};

#define F(tag, lit) { (tag), sizeof(lit) - 1, (lit) }
#define END { -1, 0, NULL }
#define SHA F(W_SHA256, "0123456789abcdef0123456789abcdef")
#define BLOBZ F(W_BLOBZ, "zstd")
#define ROOT F(W_ITEM, "\x01" "\xff\xff\xff\xff")
#define P0 "\x00\x00\x00\x00"
#define P1 "\x01\x00\x00\x00"
#define TAIL(lit) (lit), sizeof(lit) - 1

struct mcase {
	const char *what;
	int want; /* 0 accepted, -1 rejected */
	struct fld f[12];
	const char *tail; /* raw bytes after the fields */
	size_t tail_n;
	size_t cut; /* bytes removed from the end */
};

static const struct mcase mcases[] = {
	/* accepted */
	{ "minimal item: W_ITEM, W_SHA256, W_BLOBZ", 0,
	  { ROOT, SHA, BLOBZ, END }, NULL, 0, 0 },
	{ "three items, kinds 1 to 3", 0,
	  { ROOT, SHA, BLOBZ, F(W_ITEM, "\x02" P0), SHA, BLOBZ,
	    F(W_ITEM, "\x03" P1), SHA, BLOBZ, END }, NULL, 0, 0 },
	{ "unknown tags are skipped", 0,
	  { ROOT, F(0, "x"), F(31, ""), F(90, "abc"), F(200, ""), F(255, "zz"),
	    F(J_DATA, "job data"), F(J_HINT, "\x01\x02"), SHA, BLOBZ, END },
	  NULL, 0, 0 },
	{ "an unknown empty field at the very end", 0,
	  { ROOT, SHA, BLOBZ, END }, TAIL("\x99\x00\x00\x00\x00"), 0 },
	{ "W_BODYZ of exactly 8 bytes", 0,
	  { ROOT, SHA, BLOBZ, F(W_BODYZ, "\x00\x00\x00\x00\x00\x00\x00\x00"),
	    END }, NULL, 0, 0 },
	{ "W_ADDR role 5 (Bcc), empty name and address", 0,
	  { ROOT, SHA, BLOBZ, F(W_ADDR, "\x05" P0), END }, NULL, 0, 0 },
	{ "W_ADDR whose name fills the field", 0,
	  { ROOT, SHA, BLOBZ, F(W_ADDR, "\x03" "\x03\x00\x00\x00" "Bob"), END },
	  NULL, 0, 0 },
	{ "W_WARN with empty code and detail", 0,
	  { ROOT, SHA, BLOBZ, F(W_WARN, P0), END }, NULL, 0, 0 },
	{ "W_TERMS for items 0 and 1, after both", 0,
	  { ROOT, SHA, BLOBZ, F(W_ITEM, "\x02" P0), SHA, BLOBZ,
	    F(W_TERMS, P0 "ab"), F(W_TERMS, P1 "cd"), END }, NULL, 0, 0 },
	{ "W_TERMS: an item index not yet seen", -1,
	  { ROOT, SHA, BLOBZ, F(W_TERMS, P1 "ab"), END }, NULL, 0, 0 },
	{ "W_TERMS: the same item twice", -1,
	  { ROOT, SHA, BLOBZ, F(W_TERMS, P0 "ab"), F(W_TERMS, P0 "cd"), END },
	  NULL, 0, 0 },
	{ "W_TERMS: shorter than its index", -1,
	  { ROOT, SHA, BLOBZ, F(W_TERMS, "\x00\x00"), END }, NULL, 0, 0 },

	/* framing */
	{ "empty payload", -1, { END }, NULL, 0, 0 },
	{ "only unknown fields, no item", -1, { F(200, "x"), END }, NULL, 0,
	  0 },
	{ "truncated field header (3 bytes)", -1, { ROOT, SHA, BLOBZ, END },
	  TAIL("\x25\x01\x00"), 0 },
	{ "truncated field header (4 bytes)", -1, { ROOT, SHA, BLOBZ, END },
	  TAIL("\x25\x00\x00\x00"), 0 },
	{ "field length past the end", -1, { ROOT, SHA, BLOBZ, END },
	  TAIL("\x25\x05\x00\x00\x00" "abc"), 0 },
	{ "field length 0xffffffff", -1, { ROOT, SHA, BLOBZ, END },
	  TAIL("\x25\xff\xff\xff\xff" "abc"), 0 },
	{ "last field cut by one byte", -1, { ROOT, SHA, BLOBZ, END }, NULL,
	  0, 1 },

	/* W_ITEM */
	{ "W_ITEM of 4 bytes", -1,
	  { F(W_ITEM, "\x01\xff\xff\xff"), SHA, BLOBZ, END }, NULL, 0, 0 },
	{ "W_ITEM of 6 bytes", -1,
	  { F(W_ITEM, "\x01\xff\xff\xff\xff\x00"), SHA, BLOBZ, END }, NULL, 0,
	  0 },
	{ "W_ITEM empty", -1, { F(W_ITEM, ""), SHA, BLOBZ, END }, NULL, 0, 0 },
	{ "a field before any W_ITEM", -1, { SHA, ROOT, SHA, BLOBZ, END },
	  NULL, 0, 0 },
	{ "an unknown field before any W_ITEM", -1,
	  { F(200, "x"), ROOT, SHA, BLOBZ, END }, NULL, 0, 0 },
	{ "first item's parent 0, not -1", -1,
	  { F(W_ITEM, "\x01" P0), SHA, BLOBZ, END }, NULL, 0, 0 },
	{ "first item's parent -2", -1,
	  { F(W_ITEM, "\x01" "\xfe\xff\xff\xff"), SHA, BLOBZ, END }, NULL, 0,
	  0 },
	{ "second item's parent -1", -1,
	  { ROOT, SHA, BLOBZ, F(W_ITEM, "\x02" "\xff\xff\xff\xff"), SHA, BLOBZ,
	    END }, NULL, 0, 0 },
	{ "second item's parent 1 (itself)", -1,
	  { ROOT, SHA, BLOBZ, F(W_ITEM, "\x02" P1), SHA, BLOBZ, END }, NULL, 0,
	  0 },
	{ "third item's parent 5", -1,
	  { ROOT, SHA, BLOBZ, F(W_ITEM, "\x02" P0), SHA, BLOBZ,
	    F(W_ITEM, "\x02" "\x05\x00\x00\x00"), SHA, BLOBZ, END }, NULL, 0,
	  0 },
	{ "parent INT32_MAX", -1,
	  { ROOT, SHA, BLOBZ, F(W_ITEM, "\x02" "\xff\xff\xff\x7f"), SHA, BLOBZ,
	    END }, NULL, 0, 0 },
	{ "parent INT32_MIN", -1,
	  { ROOT, SHA, BLOBZ, F(W_ITEM, "\x02" "\x00\x00\x00\x80"), SHA, BLOBZ,
	    END }, NULL, 0, 0 },
	{ "kind 0", -1, { F(W_ITEM, "\x00" "\xff\xff\xff\xff"), SHA, BLOBZ,
			  END }, NULL, 0, 0 },
	{ "kind 4", -1, { F(W_ITEM, "\x04" "\xff\xff\xff\xff"), SHA, BLOBZ,
			  END }, NULL, 0, 0 },
	{ "kind 255 on a child", -1,
	  { ROOT, SHA, BLOBZ, F(W_ITEM, "\xff" P0), SHA, BLOBZ, END }, NULL, 0,
	  0 },
	{ "item without W_SHA256", -1, { ROOT, BLOBZ, END }, NULL, 0, 0 },
	{ "item without W_BLOBZ", -1, { ROOT, SHA, END }, NULL, 0, 0 },
	{ "second item without W_SHA256", -1,
	  { ROOT, SHA, BLOBZ, F(W_ITEM, "\x02" P0), BLOBZ, END }, NULL, 0, 0 },

	/* fixed sizes */
	{ "SHA-256 of 31 bytes", -1,
	  { ROOT, F(W_SHA256, "0123456789abcdef0123456789abcde"), BLOBZ, END },
	  NULL, 0, 0 },
	{ "SHA-256 of 33 bytes", -1,
	  { ROOT, F(W_SHA256, "0123456789abcdef0123456789abcdefX"), BLOBZ,
	    END }, NULL, 0, 0 },
	{ "SHA-256 empty", -1, { ROOT, F(W_SHA256, ""), BLOBZ, END }, NULL, 0,
	  0 },
	{ "MD5 of 15 bytes", -1,
	  { ROOT, SHA, BLOBZ, F(W_MD5, "0123456789abcde"), END }, NULL, 0, 0 },
	{ "content hash of 31 bytes", -1,
	  { ROOT, SHA, BLOBZ, F(W_CHASH, "0123456789abcdef0123456789abcde"),
	    END }, NULL, 0, 0 },
	{ "W_SIZE of 7 bytes", -1,
	  { ROOT, SHA, BLOBZ, F(W_SIZE, "1234567"), END }, NULL, 0, 0 },
	{ "W_SIZE of 9 bytes", -1,
	  { ROOT, SHA, BLOBZ, F(W_SIZE, "123456789"), END }, NULL, 0, 0 },
	{ "W_FLAGS of 3 bytes", -1,
	  { ROOT, SHA, BLOBZ, F(W_FLAGS, "123"), END }, NULL, 0, 0 },
	{ "W_DATE of 12 bytes", -1,
	  { ROOT, SHA, BLOBZ, F(W_DATE, "123456789012"), END }, NULL, 0, 0 },
	{ "W_DATE of 14 bytes", -1,
	  { ROOT, SHA, BLOBZ, F(W_DATE, "12345678901234"), END }, NULL, 0, 0 },
	{ "W_BODYZ of 7 bytes", -1,
	  { ROOT, SHA, BLOBZ, F(W_BODYZ, "1234567"), END }, NULL, 0, 0 },

	/* W_ADDR, W_WARN */
	{ "W_ADDR role 6", -1,
	  { ROOT, SHA, BLOBZ, F(W_ADDR, "\x06" "\x01\x00\x00\x00" "ab"), END },
	  NULL, 0, 0 },
	{ "W_ADDR role 255", -1,
	  { ROOT, SHA, BLOBZ, F(W_ADDR, "\xff" P0), END }, NULL, 0, 0 },
	{ "W_ADDR empty", -1, { ROOT, SHA, BLOBZ, F(W_ADDR, ""), END }, NULL,
	  0, 0 },
	{ "W_ADDR of the role alone", -1,
	  { ROOT, SHA, BLOBZ, F(W_ADDR, "\x03"), END }, NULL, 0, 0 },
	{ "W_ADDR name length cut short", -1,
	  { ROOT, SHA, BLOBZ, F(W_ADDR, "\x03\x01\x00"), END }, NULL, 0, 0 },
	{ "W_ADDR name length past the end", -1,
	  { ROOT, SHA, BLOBZ, F(W_ADDR, "\x03" "\x0a\x00\x00\x00" "Bob"), END },
	  NULL, 0, 0 },
	{ "W_ADDR name length 0xffffffff", -1,
	  { ROOT, SHA, BLOBZ, F(W_ADDR, "\x03" "\xff\xff\xff\xff" "Bob"), END },
	  NULL, 0, 0 },
	{ "W_WARN of 3 bytes", -1,
	  { ROOT, SHA, BLOBZ, F(W_WARN, "\x00\x00\x00"), END }, NULL, 0, 0 },
	{ "W_WARN code length past the end", -1,
	  { ROOT, SHA, BLOBZ, F(W_WARN, "\x05\x00\x00\x00" "abcd"), END },
	  NULL, 0, 0 },
	{ "W_WARN code length 0xffffffff", -1,
	  { ROOT, SHA, BLOBZ, F(W_WARN, "\xff\xff\xff\xff" "abcd"), END },
	  NULL, 0, 0 },
};

static void check_mcase(const struct mcase *t)
{
	struct buf b;
	size_t i, len;
	int r;

	buf_init(&b, 1 << 16);
	for (i = 0; t->f[i].tag >= 0; i++)
		wire_put(&b, t->f[i].tag, t->f[i].data, t->f[i].len);
	if (t->tail)
		buf_append(&b, t->tail, t->tail_n);
	len = b.len - t->cut;
	r = decode_copy(b.data, len);
	if (!ok(b.err == TRAWL_OK && r == t->want, "%s: %s", t->what,
		t->want ? "rejected" : "accepted"))
		printf("#   got %d, want %d (%zu bytes)\n", r, t->want, len);
	buf_release(&b);
}

/* ------------------------------------------------------------------ */
/* Caps: items, addresses per item, warnings per item */

static const uint8_t sha0[32] = { 1 };

static void put_min_item(struct buf *b, int32_t parent)
{
	put_item(b, parent < 0 ? TRAWL_KIND_EMAIL : TRAWL_KIND_ATTACHMENT,
		 parent);
	wire_put(b, W_SHA256, sha0, 32);
	wire_put(b, W_BLOBZ, "z", 1);
}

/* A payload of items items, the first with addrs addresses and warns
 * warnings; decoded. */
static int decode_built(size_t items, size_t addrs, size_t warns,
			size_t *nitems, size_t *naddrs, size_t *nwarns)
{
	struct rec_unit u;
	struct buf b;
	size_t i;
	int r;

	buf_init(&b, (size_t)64 << 20);
	put_min_item(&b, -1);
	for (i = 0; i < addrs; i++)
		put_addr(&b, (int)(i % 6), "N", "a@b");
	for (i = 0; i < warns; i++)
		put_warn(&b, "code", "detail");
	for (i = 1; i < items; i++)
		put_min_item(&b, (int32_t)(i - 1));
	if (b.err)
		abort();
	r = rec_unit_decode(&u, b.data, b.len);
	*nitems = u.nitems;
	*naddrs = u.nitems ? u.items[0].naddrs : 0;
	*nwarns = u.nitems ? u.items[0].nwarns : 0;
	rec_unit_release(&u);
	buf_release(&b);
	return r;
}

static void test_caps(void)
{
	size_t maxw = TRAWL_MAX_WARNINGS + 1;
	size_t maxa = 6 * (size_t)TRAWL_MAX_ADDRS_PER_FIELD;
	size_t maxi = TRAWL_MAX_MIME_PARTS + 2;
	size_t ni, na, nw;
	int r;

	r = decode_built(1, 0, maxw, &ni, &na, &nw);
	ok(r == 0 && nw == maxw, "%zu warnings (TRAWL_MAX_WARNINGS+1): "
	   "accepted", maxw);
	r = decode_built(1, 0, maxw + 1, &ni, &na, &nw);
	is_int(r, -1, "%zu warnings: rejected", maxw + 1);
	r = decode_built(1, maxa, 0, &ni, &na, &nw);
	ok(r == 0 && na == maxa, "%zu addresses (6 fields of %d): accepted",
	   maxa, TRAWL_MAX_ADDRS_PER_FIELD);
	r = decode_built(1, maxa + 1, 0, &ni, &na, &nw);
	is_int(r, -1, "%zu addresses: rejected", maxa + 1);
	r = decode_built(maxi, 0, 0, &ni, &na, &nw);
	ok(r == 0 && ni == maxi, "%zu items (TRAWL_MAX_MIME_PARTS+2): "
	   "accepted", maxi);
	r = decode_built(maxi + 1, 0, 0, &ni, &na, &nw);
	is_int(r, -1, "%zu items: rejected", maxi + 1);
}

int main(void)
{
	size_t i;

	test_le();
	test_frame();
	test_cursor();
	test_round_trip();
	test_prefixes();
	test_mutations();
	for (i = 0; i < N_ELEMENTS(mcases); i++)
		check_mcase(&mcases[i]);
	test_caps();
	free(good_payload);
	return tap_done();
}
