/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * oracle.c - the index oracle (issue #3): the search engine against a
 * naive evaluator that looks at every document.
 *
 *   oracle ARCHIVE SEED NQUERIES
 *
 * 1. The model.  What the index should hold is re-derived straight from
 *    trawl.db -- not from the index files, not through docterms.c -- by
 *    the field rules written in lib/docterms.c and lib/index.h: subject,
 *    body, From+Sender, To, Cc, Bcc (name then address of each mailbox,
 *    by role then position), attachment names; every value analyzed with
 *    analyzer_run(), values of one field INDEX_VALUE_GAP positions apart;
 *    the keyword fields; the doc values (item, date or 0, size).  Every
 *    item is a document (the archive must have no deleted ones).
 * 2. The statistics of score.h: N, the sums of field lengths, document
 *    frequencies per field of exact terms and of stems, length norms.
 * 3. NQUERIES random queries (splitmix64 from SEED, so a run is
 *    reproducible): terms of every document-frequency band, exact and
 *    stemmed, over random field masks; phrases cut from real fields (some
 *    with slop, some shuffled); prefixes (some beyond the expansion cap);
 *    keywords; date, size and item ID ranges; source path prefixes (a
 *    whole path, a folder, a cut, one that matches nothing); absent
 *    terms; and booleans of all of these to depth 3, pure negations
 *    included.
 * 4. Each query runs through trawl_search -- by relevance at offset 0
 *    with and without a total (without, the engine skips blocks that
 *    cannot enter the top), sometimes further on; newest; oldest; count
 *    only -- and through the evaluator here, which walks every document;
 *    totals, hit order, dates, scores (1e-9 relative; they are expected
 *    to be bit-identical) and groups must agree, and a prefix over
 *    TRAWL_MAX_PREFIX_TERMS must fail the query with TRAWL_ERR_TOO_LARGE.
 * 5. About 40% of those calls go through trawl_search_run with random
 *    options: kinds (all, email|document, attachment, email, document)
 *    and collapsing (none, copies, threads).  The model's relations come
 *    from the live archive's trawl.db by SQL of their own (not through
 *    threadmap.c): a document's copy group is the smallest ID of the
 *    items that share its content hash (itself when none does); its
 *    thread is the threads row of its top-level email, found through
 *    parent after parent (0: none); collapsing by threads groups by the
 *    thread of the first copy, or by that copy's ID when it has none.
 *    The expected hits are the model's matches in the call's order, of
 *    the kinds asked for, the first of each group; the total counts
 *    groups.  Path prefixes are evaluated from the sources table the
 *    same way: items found at a matching path and everything inside
 *    them.
 *
 * Prints TAP: a few checks on the model, then one line per query, with
 * the query as text and the first difference on a mismatch.  Exit status
 * 1 when anything disagreed.
 */
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

#include "analyze.h"
#include "bounds.h"
#include "buf.h"
#include "codec.h"
#include "index.h"
#include "score.h"
#include "trawl.h"
#include "../unit/tap.h"
#include "banned.h"

#define NONE UINT32_MAX
#define NO_DOC SIZE_MAX
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define TOP_K 20
#define OPTION_SHARE 40 /* % of the calls made with search options */
#define SCORE_TOL 1e-9
#define MAX_KW_VALUE (DOCTERMS_MAX_KEY - 1) /* longest value a query takes */

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fprintf(stderr, "oracle: out of memory\n");
		exit(2);
	}
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "oracle: out of memory\n");
		exit(2);
	}
	return p;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		fprintf(stderr, "oracle: out of memory\n");
		exit(2);
	}
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Grows *p (of *cap elements of size) to hold need. */
static void grow(void *pp, size_t *cap, size_t need, size_t size)
{
	void **p = pp;
	size_t n = *cap ? *cap : 16;

	if (need <= *cap)
		return;
	while (n < need)
		n *= 2;
	*p = xrealloc(*p, n * size);
	*cap = n;
}

/* ------------------------------------------------------------------ */
/* a dictionary: byte strings to dense ids */

struct dict {
	char **str;      /* NUL-terminated copies */
	uint32_t *len;
	uint32_t *hash;
	size_t n, cap;
	uint32_t *slot;  /* id + 1, 0 = empty; open addressing */
	size_t nslot;    /* power of two */
};

static uint32_t fnv(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static void dict_rehash(struct dict *d, size_t nslot)
{
	free(d->slot);
	d->slot = xcalloc(nslot, sizeof(*d->slot));
	d->nslot = nslot;
	for (size_t i = 0; i < d->n; i++) {
		size_t j = d->hash[i] & (nslot - 1);

		while (d->slot[j])
			j = (j + 1) & (nslot - 1);
		d->slot[j] = (uint32_t)i + 1;
	}
}

/* The id of s[0..n), or NONE when absent and add is 0. */
static uint32_t dict_id(struct dict *d, const char *s, size_t n, int add)
{
	uint32_t h = fnv(s, n);
	size_t j;

	if (!d->nslot)
		dict_rehash(d, 1024);
	for (j = h & (d->nslot - 1); d->slot[j]; j = (j + 1) & (d->nslot - 1)) {
		uint32_t i = d->slot[j] - 1;

		if (d->hash[i] == h && d->len[i] == n &&
		    !memcmp(d->str[i], s, n))
			return i;
	}
	if (!add)
		return NONE;
	if (d->n == d->cap) {
		grow(&d->str, &d->cap, d->n + 1, sizeof(*d->str));
		d->len = xrealloc(d->len, d->cap * sizeof(*d->len));
		d->hash = xrealloc(d->hash, d->cap * sizeof(*d->hash));
	}
	d->str[d->n] = xstrndup(s, n);
	d->len[d->n] = (uint32_t)n;
	d->hash[d->n] = h;
	d->slot[j] = (uint32_t)d->n + 1;
	d->n++;
	if (d->n * 2 > d->nslot)
		dict_rehash(d, d->nslot * 2);
	return (uint32_t)d->n - 1;
}

static void dict_release(struct dict *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->str[i]);
	free(d->str);
	free(d->len);
	free(d->hash);
	free(d->slot);
}

/* ------------------------------------------------------------------ */
/* the model */

struct tok {
	uint32_t term, pos;
};

struct tf {
	uint32_t term, n;
};

struct dfield {
	struct tok *tok;    /* exact tokens, in the analyzer's order */
	uint32_t ntok;      /* the field length */
	uint8_t norm;       /* its one-byte length norm (codec.h) */
	struct tf *exact;   /* sorted by term */
	uint32_t nexact;
	struct tf *stem;    /* sorted by term */
	uint32_t nstem;
};

struct doc {
	int64_t item, date;
	uint64_t size;
	int kind;
	int deleted;        /* removed from the archive, still in the index */
	struct dfield f[FLD_NTEXT];
	uint32_t *kw;       /* ids in oracle.kws: field byte + value */
	size_t nkw;
	/* relations (relations_load), from the live archive's trawl.db */
	int64_t parent_item; /* items.parent, 0 for top level */
	size_t parent;      /* its index in docs, or NO_DOC */
	uint64_t copy;      /* smallest ID sharing its content hash */
	uint64_t thread;    /* thread of its top-level email, 0: none */
	uint64_t by_thread; /* its group collapsing by threads */
	size_t path_at, npath; /* its source paths: oracle.paths[path_at..] */
};

struct oracle {
	struct dict terms;  /* exact forms and stems */
	struct dict kws;    /* keyword keys: field byte + value */
	struct doc *docs;
	size_t ndocs, cdocs;
	uint32_t *df[2 * FLD_NTEXT]; /* [f] exact, [FLD_STEM + f] stems */
	uint64_t sum_len[FLD_NTEXT];
	struct bm25_stats stats;
	struct analyzer *an;
	char **paths;       /* sources.path of every source row, by item */
	size_t npaths, cpaths;
	uint32_t *gseen;    /* per group key: the stamp of the last call
			     * that kept a hit of it */
	uint32_t gstamp;
	uint64_t max_group; /* the largest group key */
	/* scratch while building a field */
	struct tok *tok;
	size_t ntok, ctok;
	uint32_t *stems;
	size_t nstems, cstems;
};

/* One address of an item (its address columns), or one attachment
 * name, loaded whole and sorted by item. */
struct addr_row {
	int64_t item;
	int role;
	char *name, *addr;
	size_t name_len, addr_len;
};

struct att_row {
	int64_t parent;
	char *name;         /* NULL when the attachment has no name */
	size_t name_len;
};

struct loader {
	sqlite3 *db;
	const char *dir;      /* the archive, for its packs */
	sqlite3_stmt *blob;   /* a blob's place in its pack */
	struct addr_row *addrs;
	size_t naddrs, caddrs, at_addr;
	struct att_row *atts;
	size_t natts, catts, at_att;
};

static int on_token(void *ctx, const struct token *t)
{
	struct oracle *o = ctx;

	grow(&o->tok, &o->ctok, o->ntok + 1, sizeof(*o->tok));
	o->tok[o->ntok++] = (struct tok){
		dict_id(&o->terms, t->text, t->len, 1), t->pos };
	if (t->kind == TOK_WORD) {
		const char *s = t->stem ? t->stem : t->text;
		size_t n = t->stem ? t->stem_len : t->len;

		grow(&o->stems, &o->cstems, o->nstems + 1, sizeof(*o->stems));
		o->stems[o->nstems++] = dict_id(&o->terms, s, n, 1);
	}
	return 0;
}

/* One value of a text field; *pos is the field's next position. */
static void add_value(struct oracle *o, const char *s, size_t n,
		      uint32_t *pos)
{
	uint32_t next;

	if (!s || !n)
		return;
	next = analyzer_run(o->an, s, n, *pos, on_token, o);
	if (next != *pos)
		*pos = next + INDEX_VALUE_GAP;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorted (term, count) pairs of ids[0..n); sorts ids. */
static struct tf *count_terms(uint32_t *ids, size_t n, uint32_t *nout)
{
	struct tf *out = xmalloc(n * sizeof(*out));
	size_t k = 0;

	if (n)
		qsort(ids, n, sizeof(*ids), cmp_u32);
	for (size_t i = 0; i < n; i++) {
		if (k && out[k - 1].term == ids[i])
			out[k - 1].n++;
		else
			out[k++] = (struct tf){ ids[i], 1 };
	}
	*nout = (uint32_t)k;
	return out;
}

/* Moves the scratch tokens into field f of d. */
static void finish_field(struct oracle *o, struct doc *d, int f)
{
	struct dfield *df = &d->f[f];
	uint32_t *ids = xmalloc(o->ntok * sizeof(*ids));

	df->tok = xmalloc(o->ntok * sizeof(*df->tok));
	if (o->ntok)
		memcpy(df->tok, o->tok, o->ntok * sizeof(*df->tok));
	df->ntok = (uint32_t)o->ntok;
	df->norm = norm_encode(df->ntok);
	for (size_t i = 0; i < o->ntok; i++)
		ids[i] = o->tok[i].term;
	df->exact = count_terms(ids, o->ntok, &df->nexact);
	df->stem = count_terms(o->stems, o->nstems, &df->nstem);
	free(ids);
	o->ntok = o->nstems = 0;
}

/* A keyword value: a key holds at most DOCTERMS_MAX_KEY bytes, so a
 * longer value is cut (index.h); a query never holds a longer one. */
static void add_kw(struct oracle *o, struct doc *d, int field, const char *s,
		   size_t n)
{
	char key[1 + MAX_KW_VALUE];

	if (!s || !n)
		return;
	if (n > MAX_KW_VALUE)
		n = MAX_KW_VALUE;
	key[0] = (char)field;
	memcpy(key + 1, s, n);
	d->kw = xrealloc(d->kw, (d->nkw + 1) * sizeof(*d->kw));
	d->kw[d->nkw++] = dict_id(&o->kws, key, n + 1, 1);
}

/* The rule of docterms.c: the bytes after the last '.', if no '/' comes
 * after it, 1 to 16 of them, ASCII lower-cased. */
static void add_ext(struct oracle *o, struct doc *d, const char *name,
		    size_t n)
{
	const char *dot = NULL;
	char ext[16];

	for (size_t i = 0; i < n; i++) {
		if (name[i] == '.')
			dot = name + i;
		else if (name[i] == '/')
			dot = NULL;
	}
	if (!dot || (size_t)(name + n - dot - 1) == 0 ||
	    (size_t)(name + n - dot - 1) > sizeof(ext))
		return;
	n = (size_t)(name + n - dot - 1);
	for (size_t i = 0; i < n; i++) {
		char c = dot[1 + i];

		ext[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	add_kw(o, d, KW_EXT, ext, n);
}

static void add_lower_kw(struct oracle *o, struct doc *d, int field,
			 const char *s, size_t n)
{
	char tmp[256];

	if (!s || n >= sizeof(tmp))
		return;
	for (size_t i = 0; i < n; i++)
		tmp[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a')
						    : s[i];
	add_kw(o, d, field, tmp, n);
}

static char *col_text(sqlite3_stmt *q, int i, size_t *n)
{
	const unsigned char *s = sqlite3_column_text(q, i);

	*n = (size_t)sqlite3_column_bytes(q, i);
	return s ? xstrndup((const char *)s, *n) : NULL;
}

/* A varint of an address column (LEB128); -1 past the end. */
static int col_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return -1;
		*v |= (uint64_t)(**p & 0x7f) << shift;
		if (!(*(*p)++ & 0x80))
			return 0;
	}
	return -1;
}

static int col_text_at(const uint8_t **p, const uint8_t *end, char **s,
		       size_t *n)
{
	uint64_t len;

	if (col_varint(p, end, &len) || len > (uint64_t)(end - *p))
		return -1;
	*s = xstrndup((const char *)*p, (size_t)len);
	*n = (size_t)len;
	*p += len;
	return 0;
}

/* One item's addresses from items.addrs_brief and items.addrs_more
 * (docs/FORMAT.md), read here without the library's decoder. */
static int load_item_addrs(struct loader *l, int64_t item, const uint8_t *b,
			   const uint8_t *bend, const uint8_t *m,
			   const uint8_t *mend)
{
	uint64_t count[6], id;

	for (int r = 0; r < 6; r++)
		if (col_varint(&b, bend, &count[r]))
			return -1;
	for (int r = 0; r < 6; r++)
		for (uint64_t k = 0; k < count[r]; k++) {
			const uint8_t **p = k < 10 ? &b : &m;
			const uint8_t *end = k < 10 ? bend : mend;
			struct addr_row *row;

			grow(&l->addrs, &l->caddrs, l->naddrs + 1,
			     sizeof(*l->addrs));
			row = &l->addrs[l->naddrs];
			row->item = item;
			row->role = r;
			if (!*p || col_varint(p, end, &id) ||
			    col_text_at(p, end, &row->name, &row->name_len))
				return -1;
			if (col_text_at(p, end, &row->addr, &row->addr_len)) {
				free(row->name);
				return -1;
			}
			l->naddrs++;
		}
	return b == bend && m == mend ? 0 : -1;
}

static int load_side_tables(struct loader *l)
{
	static const char addr_sql[] =
		"SELECT id, addrs_brief, addrs_more FROM items ORDER BY id";
	static const char att_sql[] =
		"SELECT parent, name FROM items WHERE kind = 2 AND "
		"parent IS NOT NULL ORDER BY parent, id";
	sqlite3_stmt *q = NULL;
	int rc;

	if (sqlite3_prepare_v2(l->db, addr_sql, -1, &q, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const uint8_t *b = sqlite3_column_blob(q, 1);
		const uint8_t *m = sqlite3_column_blob(q, 2);

		if (!b || load_item_addrs(l, sqlite3_column_int64(q, 0), b,
					  b + sqlite3_column_bytes(q, 1), m,
					  m ? m + sqlite3_column_bytes(q, 2)
					    : NULL)) {
			sqlite3_finalize(q);
			return -1;
		}
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE ||
	    sqlite3_prepare_v2(l->db, att_sql, -1, &q, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct att_row *r;

		grow(&l->atts, &l->catts, l->natts + 1, sizeof(*l->atts));
		r = &l->atts[l->natts++];
		r->parent = sqlite3_column_int64(q, 0);
		r->name = col_text(q, 1, &r->name_len);
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The address text fields and keywords of d: roles 0 and 1 to FLD_FROM,
 * 3, 4, 5 to FLD_TO, FLD_CC, FLD_BCC; reply-to nowhere. */
static void build_addrs(struct oracle *o, struct loader *l, struct doc *d)
{
	static const int field_of_role[] = { FLD_FROM, FLD_FROM, -1, FLD_TO,
					     FLD_CC, FLD_BCC };
	size_t first, end;

	while (l->at_addr < l->naddrs && l->addrs[l->at_addr].item < d->item)
		l->at_addr++;
	first = l->at_addr;
	for (end = first; end < l->naddrs && l->addrs[end].item == d->item;)
		end++;
	for (int f = FLD_FROM; f <= FLD_BCC; f++) {
		uint32_t pos = 0;

		for (size_t i = first; i < end; i++) {
			const struct addr_row *r = &l->addrs[i];

			if (r->role < 0 || r->role > 5 ||
			    field_of_role[r->role] != f)
				continue;
			add_value(o, r->name, r->name_len, &pos);
			add_value(o, r->addr, r->addr_len, &pos);
			add_kw(o, d, KW_FROM + (f - FLD_FROM), r->addr,
			       r->addr_len);
		}
		finish_field(o, d, f);
	}
	l->at_addr = end;
}

/* Attachment names: an email's attachment children, in ID order; an
 * attachment's or a document's own name.  *has gets whether an email
 * has an attachment child. */
static void build_names(struct oracle *o, struct loader *l, struct doc *d,
			const char *own, size_t own_len, int *has)
{
	uint32_t pos = 0;

	*has = 0;
	if (d->kind != TRAWL_KIND_EMAIL) {
		add_value(o, own, own_len, &pos);
		if (own)
			add_ext(o, d, own, own_len);
	} else {
		while (l->at_att < l->natts &&
		       l->atts[l->at_att].parent < d->item)
			l->at_att++;
		for (; l->at_att < l->natts &&
		       l->atts[l->at_att].parent == d->item; l->at_att++) {
			const struct att_row *r = &l->atts[l->at_att];

			*has = 1;
			add_value(o, r->name, r->name_len, &pos);
			if (r->name)
				add_ext(o, d, r->name, r->name_len);
		}
	}
	finish_field(o, d, FLD_ATTNAME);
}

/* The last n bytes of the original with SHA-256 sha, read from its pack
 * as docs/FORMAT.md describes it (the record's header is 56 bytes; its
 * payload, zstd frames), independently of lib/blob.c (free() it), or
 * NULL. */
static char *original_tail(struct loader *l, const void *sha, int64_t n)
{
	char path[4096], *out = NULL;
	void *z = NULL, *whole = NULL;
	int64_t size, off, clen;
	FILE *f = NULL;

	sqlite3_reset(l->blob);
	sqlite3_bind_blob(l->blob, 1, sha, 32, SQLITE_STATIC);
	if (sqlite3_step(l->blob) != SQLITE_ROW)
		return NULL;
	snprintf(path, sizeof(path), "%s/blobs/pack-%06d.tpk", l->dir,
		 sqlite3_column_int(l->blob, 0));
	off = sqlite3_column_int64(l->blob, 1);
	clen = sqlite3_column_int64(l->blob, 2);
	size = sqlite3_column_int64(l->blob, 3);
	if (n > size || clen < 0 || clen > ((int64_t)1 << 30))
		return NULL;
	z = xmalloc((size_t)clen + 1);
	whole = xmalloc((size_t)size + 1);
	if ((f = fopen(path, "rb")) && fseek(f, (long)(off + 56), SEEK_SET) == 0 &&
	    fread(z, 1, (size_t)clen, f) == (size_t)clen &&
	    ZSTD_decompress(whole, (size_t)size, z, (size_t)clen) ==
		    (size_t)size) {
		out = xmalloc((size_t)n + 1);
		memcpy(out, (char *)whole + (size - n), (size_t)n);
	}
	if (f)
		fclose(f);
	free(z);
	free(whole);
	return out;
}

/* The body text of the row, decompressed (free() it), or NULL. */
static char *row_body(struct loader *l, sqlite3_stmt *q, size_t *len,
		      int *bad)
{
	const void *z = sqlite3_column_blob(q, 8);
	size_t zn = (size_t)sqlite3_column_bytes(q, 8);
	int64_t n = sqlite3_column_int64(q, 9);
	char *out;

	*len = 0;
	if (sqlite3_column_type(q, 8) == SQLITE_NULL ||
	    sqlite3_column_type(q, 9) == SQLITE_NULL)
		return NULL;
	if (n < 0 || n > (int64_t)TRAWL_MAX_BODY_TEXT) {
		*bad = 1;
		return NULL;
	}
	if (!zn) { /* the tail of the item's original */
		if (n == 0 || sqlite3_column_bytes(q, 12) != 32 ||
		    !(out = original_tail(l, sqlite3_column_blob(q, 12), n))) {
			*bad = 1;
			return NULL;
		}
		out[n] = '\0';
		*len = (size_t)n;
		return out;
	}
	out = xmalloc((size_t)n + 1);
	if (ZSTD_decompress(out, (size_t)n, z, zn) != (size_t)n) {
		*bad = 1;
		free(out);
		return NULL;
	}
	out[n] = '\0';
	*len = (size_t)n;
	return out;
}

static const char *const kind_names[] = { "", "email", "attachment",
					   "document" };

static int build_doc(struct oracle *o, struct loader *l, sqlite3_stmt *q)
{
	struct doc *d;
	size_t n, name_len, body_len;
	const char *s;
	char *name, *body;
	int has = 0, bad = 0;
	uint32_t pos;

	grow(&o->docs, &o->cdocs, o->ndocs + 1, sizeof(*o->docs));
	d = &o->docs[o->ndocs++];
	memset(d, 0, sizeof(*d));
	d->item = sqlite3_column_int64(q, 0);
	d->kind = sqlite3_column_int(q, 1);
	d->size = (uint64_t)sqlite3_column_int64(q, 2);
	d->date = sqlite3_column_int64(q, 4); /* NULL reads as 0 */
	d->parent_item = sqlite3_column_int64(q, 11);
	d->parent = NO_DOC;
	d->copy = (uint64_t)d->item;

	pos = 0;
	s = (const char *)sqlite3_column_text(q, 6);
	add_value(o, s, (size_t)sqlite3_column_bytes(q, 6), &pos);
	finish_field(o, d, FLD_SUBJECT);
	pos = 0;
	body = row_body(l, q, &body_len, &bad);
	add_value(o, body, body_len, &pos);
	free(body);
	finish_field(o, d, FLD_BODY);
	build_addrs(o, l, d);
	name = col_text(q, 7, &name_len);
	build_names(o, l, d, name, name_len, &has);
	free(name);
	finish_field(o, d, FLD_ATTTEXT); /* nothing goes there yet */

	s = (const char *)sqlite3_column_text(q, 3);
	add_kw(o, d, KW_MSGID, s, (size_t)sqlite3_column_bytes(q, 3));
	if (d->kind > 0 && d->kind <= 3)
		add_kw(o, d, KW_KIND, kind_names[d->kind],
		       strlen(kind_names[d->kind]));
	s = (const char *)sqlite3_column_text(q, 10);
	n = (size_t)sqlite3_column_bytes(q, 10);
	if (s)
		add_lower_kw(o, d, KW_MIME, s, n);
	if (d->kind == TRAWL_KIND_EMAIL && has)
		add_kw(o, d, KW_HAS, "attachment", 10);
	if (d->kind == TRAWL_KIND_EMAIL &&
	    (sqlite3_column_type(q, 5) == SQLITE_NULL ||
	     sqlite3_column_int(q, 5) != TRAWL_DATE_HEADER))
		add_kw(o, d, KW_DATE, "guessed", 7);
	return bad ? -1 : 0;
}

static void count_df(struct oracle *o)
{
	for (int f = 0; f < 2 * FLD_NTEXT; f++)
		o->df[f] = xcalloc(o->terms.n, sizeof(uint32_t));
	for (size_t i = 0; i < o->ndocs; i++) {
		for (int f = 0; f < FLD_NTEXT; f++) {
			const struct dfield *df = &o->docs[i].f[f];

			for (uint32_t k = 0; k < df->nexact; k++)
				o->df[f][df->exact[k].term]++;
			for (uint32_t k = 0; k < df->nstem; k++)
				o->df[FLD_STEM + f][df->stem[k].term]++;
			o->sum_len[f] += df->ntok;
		}
	}
	bm25_stats_init(&o->stats, o->ndocs, o->sum_len);
}

static void loader_release(struct loader *l)
{
	for (size_t i = 0; i < l->naddrs; i++) {
		free(l->addrs[i].name);
		free(l->addrs[i].addr);
	}
	free(l->addrs);
	for (size_t i = 0; i < l->natts; i++)
		free(l->atts[i].name);
	free(l->atts);
	sqlite3_finalize(l->blob);
	if (l->db)
		sqlite3_close(l->db);
}

/* Builds the model from dir/trawl.db.  0, or -1 with a message printed. */
static int model_load(struct oracle *o, const char *dir, int64_t *nsegs)
{
	static const char item_sql[] =
		"SELECT id, kind, size, message_id, date, date_source, "
		"subject, name, body, body_len, mime_type, parent, blob "
		"FROM items ORDER BY id";
	struct loader l = { .dir = dir };
	sqlite3_stmt *q = NULL;
	char path[4096];
	int rc, ret = -1, bad = 0;

	snprintf(path, sizeof(path), "%s/trawl.db", dir);
	if (sqlite3_open_v2(path, &l.db, SQLITE_OPEN_READONLY, NULL) !=
		    SQLITE_OK ||
	    load_side_tables(&l) ||
	    sqlite3_prepare_v2(l.db, "SELECT pack, offset, clen, size FROM "
			       "blobs WHERE sha256 = ?", -1, &l.blob,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(l.db, item_sql, -1, &q, NULL) != SQLITE_OK)
		goto out;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		bad += build_doc(o, &l, q) != 0;
	if (rc != SQLITE_DONE)
		goto out;
	sqlite3_finalize(q);
	q = NULL;
	if (sqlite3_prepare_v2(l.db, "SELECT count(*) FROM segments", -1, &q,
			       NULL) != SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_ROW)
		goto out;
	*nsegs = sqlite3_column_int64(q, 0);
	ok(!bad, "every stored body decompresses (%d do not)", bad);
	count_df(o);
	ret = 0;
out:
	if (ret)
		printf("# %s: %s\n", path, l.db ? sqlite3_errmsg(l.db) : "?");
	sqlite3_finalize(q);
	loader_release(&l);
	return ret;
}

/* The index in docs of item id, or NO_DOC. */
static size_t doc_of(const struct oracle *o, int64_t id)
{
	size_t lo = 0, hi = o->ndocs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (o->docs[mid].item < id)
			lo = mid + 1;
		else if (o->docs[mid].item > id)
			hi = mid;
		else
			return mid;
	}
	return NO_DOC;
}

/* Runs sql (two integer columns) and calls fn on each row. */
static int each_pair(sqlite3 *db, const char *sql,
		     void (*fn)(struct oracle *, int64_t, int64_t),
		     struct oracle *o)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		fn(o, sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1));
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void set_copy(struct oracle *o, int64_t id, int64_t first)
{
	size_t i = doc_of(o, id);

	if (i != NO_DOC && first > 0)
		o->docs[i].copy = (uint64_t)first;
}

static void set_thread(struct oracle *o, int64_t id, int64_t thread)
{
	size_t i = doc_of(o, id);

	if (i != NO_DOC && thread > 0)
		o->docs[i].thread = (uint64_t)thread;
}

/* The source paths, one per row of sources, grouped by item. */
static int load_paths(struct oracle *o, sqlite3 *db)
{
	static const char sql[] =
		"SELECT item, path FROM sources ORDER BY item, path";
	sqlite3_stmt *q = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		size_t i = doc_of(o, sqlite3_column_int64(q, 0)), n;
		char *path = col_text(q, 1, &n);

		if (i == NO_DOC || !path) {
			free(path);
			continue;
		}
		grow(&o->paths, &o->cpaths, o->npaths + 1, sizeof(*o->paths));
		if (!o->docs[i].npath)
			o->docs[i].path_at = o->npaths;
		o->docs[i].npath++;
		o->paths[o->npaths++] = path;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * The relations of the documents, from dir/trawl.db (the live archive:
 * after a removal, the copies and threads it now has): parents, copy
 * groups, threads, source paths, and each document's group by threads.
 * Written from the schema, not from threadmap.c.  0, or -1.
 */
static int relations_load(struct oracle *o, const char *dir)
{
	static const char copies_sql[] =
		"SELECT i.id, (SELECT min(c.id) FROM items c WHERE "
		"c.content_hash = i.content_hash) FROM items i WHERE "
		"i.content_hash IS NOT NULL";
	static const char threads_sql[] =
		"WITH RECURSIVE r(id, root) AS (SELECT id, id FROM items WHERE "
		"parent IS NULL UNION ALL SELECT i.id, r.root FROM items i "
		"JOIN r ON i.parent = r.id) SELECT r.id, t.thread FROM r JOIN "
		"threads t ON t.item = r.root";
	char path[4096];
	sqlite3 *db = NULL;
	int ret = -1;

	snprintf(path, sizeof(path), "%s/trawl.db", dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ||
	    each_pair(db, copies_sql, set_copy, o) ||
	    each_pair(db, threads_sql, set_thread, o) || load_paths(o, db)) {
		printf("# %s: %s\n", path, db ? sqlite3_errmsg(db) : "?");
		goto out;
	}
	o->max_group = 0;
	for (size_t i = 0; i < o->ndocs; i++) {
		struct doc *d = &o->docs[i];
		size_t f = doc_of(o, (int64_t)d->copy);
		uint64_t t = f != NO_DOC ? o->docs[f].thread : 0;

		if (d->parent_item)
			d->parent = doc_of(o, d->parent_item);
		d->by_thread = t ? t : d->copy;
		if (d->by_thread > o->max_group)
			o->max_group = d->by_thread;
		if (d->copy > o->max_group)
			o->max_group = d->copy;
		if ((uint64_t)d->item > o->max_group)
			o->max_group = (uint64_t)d->item;
	}
	o->gseen = xcalloc(o->max_group + 1, sizeof(*o->gseen));
	ret = 0;
out:
	sqlite3_close(db);
	return ret;
}

/* Statistics of the relations, for the log: documents with copies, copy
 * groups, threads, documents in threads, documents with a path. */
static void relations_print(const struct oracle *o)
{
	size_t with_copies = 0, threaded = 0, threads = 0, children = 0;
	size_t with_path = 0;

	for (size_t i = 0; i < o->ndocs; i++) {
		const struct doc *d = &o->docs[i];

		with_copies += d->copy != (uint64_t)d->item;
		threaded += d->thread != 0;
		threads += d->thread == (uint64_t)d->item;
		with_path += d->npath > 0;
		children += d->parent != NO_DOC;
	}
	printf("# relations: %zu documents are copies of an earlier one, "
	       "%zu in %zu threads, %zu inside another, %zu with a source "
	       "path (%zu paths)\n", with_copies, threaded, threads, children,
	       with_path, o->npaths);
}

static void model_release(struct oracle *o)
{
	for (size_t i = 0; i < o->ndocs; i++) {
		struct doc *d = &o->docs[i];

		for (int f = 0; f < FLD_NTEXT; f++) {
			free(d->f[f].tok);
			free(d->f[f].exact);
			free(d->f[f].stem);
		}
		free(d->kw);
	}
	free(o->docs);
	for (size_t i = 0; i < o->npaths; i++)
		free(o->paths[i]);
	free(o->paths);
	free(o->gseen);
	for (int f = 0; f < 2 * FLD_NTEXT; f++)
		free(o->df[f]);
	free(o->tok);
	free(o->stems);
	dict_release(&o->terms);
	dict_release(&o->kws);
}

/* ------------------------------------------------------------------ */
/* the mirror of a query tree, and its naive evaluation */

enum mq_type { MQ_TERM = 1, MQ_PHRASE, MQ_PREFIX, MQ_KEYWORD, MQ_RANGE,
	       MQ_ALL, MQ_BOOL, MQ_PATH, MQ_NTYPES };

static const char *const mq_type_names[MQ_NTYPES] = {
	"", "term", "phrase", "prefix", "keyword", "range", "all", "bool",
	"path" };

struct mq {
	int type;
	unsigned fields;    /* TERM, PHRASE, PREFIX */
	int stem;           /* TERM */
	char *text;         /* TERM, PREFIX, KEYWORD, PATH */
	char **terms;       /* PHRASE */
	size_t nterms;
	unsigned slop;
	int kw;             /* KEYWORD */
	int col;            /* RANGE: TRAWL_COL_* */
	int64_t lo, hi;
	struct mq **kids;   /* BOOL */
	int *occur;
	size_t nkids;
	/* prepared */
	uint32_t id;        /* TERM: in terms; KEYWORD: in kws */
	uint32_t *ids;      /* PHRASE */
	double idf;         /* TERM; PHRASE: the sum */
	uint32_t *exp;      /* PREFIX: the expansion, in strcmp order */
	double *exp_idf;
	size_t nexp;        /* may exceed the cap: then exp is not kept */
	int32_t *rank;      /* PREFIX: term id -> index in exp, or -1 */
	uint32_t *seen;     /* PREFIX: per exp entry, doc stamp */
	uint32_t *hit;      /* PREFIX: scratch */
	uint8_t *set;       /* PATH: per document, 1 when under the prefix */
	size_t nset;
};

static void mq_free(struct mq *q)
{
	if (!q)
		return;
	free(q->text);
	for (size_t i = 0; i < q->nterms; i++)
		free(q->terms[i]);
	free(q->terms);
	for (size_t i = 0; i < q->nkids; i++)
		mq_free(q->kids[i]);
	free(q->kids);
	free(q->occur);
	free(q->ids);
	free(q->exp);
	free(q->exp_idf);
	free(q->rank);
	free(q->seen);
	free(q->hit);
	free(q->set);
	free(q);
}

static struct mq *mq_new(int type)
{
	struct mq *q = xcalloc(1, sizeof(*q));

	q->type = type;
	q->id = NONE;
	return q;
}

static void mq_add(struct mq *b, int occur, struct mq *k)
{
	b->kids = xrealloc(b->kids, (b->nkids + 1) * sizeof(*b->kids));
	b->occur = xrealloc(b->occur, (b->nkids + 1) * sizeof(*b->occur));
	b->kids[b->nkids] = k;
	b->occur[b->nkids++] = occur;
}

/* The largest per-field document frequency of a term over a mask. */
static uint64_t mask_df(const struct oracle *o, uint32_t id, unsigned mask,
			int stem)
{
	uint64_t best = 0;

	if (id == NONE)
		return 0;
	for (int f = 0; f < FLD_NTEXT; f++)
		if ((mask & (1u << f)) &&
		    o->df[f + (stem ? FLD_STEM : 0)][id] > best)
			best = o->df[f + (stem ? FLD_STEM : 0)][id];
	return best;
}

static uint32_t term_id(struct oracle *o, const char *s)
{
	return dict_id(&o->terms, s, strlen(s), 0);
}

static int cmp_term_text(const void *a, const void *b, void *ctx)
{
	const struct dict *d = ctx;

	return strcmp(d->str[*(const uint32_t *)a],
		      d->str[*(const uint32_t *)b]);
}

/* The distinct exact terms of the searched fields that start with
 * prefix, in strcmp order (only counted beyond the cap). */
static void prepare_prefix(struct oracle *o, struct mq *q)
{
	size_t plen = strlen(q->text), cap = 0;

	for (uint32_t id = 0; id < o->terms.n; id++) {
		if (o->terms.len[id] < plen ||
		    memcmp(o->terms.str[id], q->text, plen) ||
		    !mask_df(o, id, q->fields, 0))
			continue;
		if (q->nexp <= TRAWL_MAX_PREFIX_TERMS)
			grow(&q->exp, &cap, q->nexp + 1, sizeof(*q->exp));
		if (q->nexp < cap)
			q->exp[q->nexp] = id;
		q->nexp++;
	}
	if (q->nexp > TRAWL_MAX_PREFIX_TERMS)
		return;
	if (q->nexp)
		qsort_r(q->exp, q->nexp, sizeof(*q->exp), cmp_term_text,
			&o->terms);
	q->exp_idf = xmalloc(q->nexp * sizeof(*q->exp_idf));
	q->rank = xmalloc(o->terms.n * sizeof(*q->rank));
	memset(q->rank, 0xff, o->terms.n * sizeof(*q->rank));
	q->seen = xcalloc(q->nexp, sizeof(*q->seen));
	q->hit = xmalloc(q->nexp * sizeof(*q->hit));
	for (size_t i = 0; i < q->nexp; i++) {
		q->rank[q->exp[i]] = (int32_t)i;
		q->exp_idf[i] = bm25_idf(&o->stats,
					 mask_df(o, q->exp[i], q->fields, 0));
	}
}

/* 1 when one of d's own source paths starts with p[0..n). */
static int own_path(const struct oracle *o, const struct doc *d,
		    const char *p, size_t n)
{
	for (size_t i = 0; i < d->npath; i++) {
		const char *s = o->paths[d->path_at + i];

		if (!strncmp(s, p, n))
			return 1;
	}
	return 0;
}

/* The documents under a path prefix: found at a path that starts with
 * it, or inside one that is (parent after parent). */
static void prepare_path(const struct oracle *o, struct mq *q)
{
	size_t n = strlen(q->text);

	q->set = xcalloc(o->ndocs, 1);
	for (size_t i = 0; i < o->ndocs; i++) {
		size_t j = i;

		for (size_t hops = 0; j != NO_DOC && hops <= o->ndocs; hops++) {
			if (own_path(o, &o->docs[j], q->text, n)) {
				q->set[i] = 1;
				q->nset += !o->docs[i].deleted;
				break;
			}
			j = o->docs[j].parent;
		}
	}
}

/* Collection statistics and expansions.  Returns 1 when some prefix is
 * over the cap (the engine must refuse the query). */
static int mq_prepare(struct oracle *o, struct mq *q)
{
	char key[1 + MAX_KW_VALUE];
	int too_large = 0;
	size_t n;

	switch (q->type) {
	case MQ_TERM:
		q->id = term_id(o, q->text);
		q->idf = bm25_idf(&o->stats,
				  mask_df(o, q->id, q->fields, q->stem));
		break;
	case MQ_PHRASE:
		q->ids = xmalloc(q->nterms * sizeof(*q->ids));
		q->idf = 0.0;
		for (size_t i = 0; i < q->nterms; i++) {
			q->ids[i] = term_id(o, q->terms[i]);
			q->idf += bm25_idf(&o->stats,
					   mask_df(o, q->ids[i], q->fields, 0));
		}
		break;
	case MQ_PREFIX:
		prepare_prefix(o, q);
		too_large = q->nexp > TRAWL_MAX_PREFIX_TERMS;
		break;
	case MQ_KEYWORD:
		n = strlen(q->text);
		key[0] = (char)q->kw;
		memcpy(key + 1, q->text, n);
		q->id = dict_id(&o->kws, key, n + 1, 0);
		break;
	case MQ_PATH:
		prepare_path(o, q);
		break;
	case MQ_BOOL:
		for (size_t i = 0; i < q->nkids; i++)
			too_large |= mq_prepare(o, q->kids[i]);
		break;
	}
	return too_large;
}

struct res {
	int match;
	double score;
};

static uint32_t tf_of(const struct tf *v, uint32_t n, uint32_t term)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (v[mid].term < term)
			lo = mid + 1;
		else if (v[mid].term > term)
			hi = mid;
		else
			return v[mid].n;
	}
	return 0;
}

static struct res eval_term(const struct oracle *o, uint32_t id, int stem,
			    unsigned mask, double idf, const struct doc *d)
{
	uint32_t tf[FLD_NTEXT] = { 0 };
	uint8_t norm[FLD_NTEXT] = { 0 };
	struct res r = { 0, 0.0 };

	if (id == NONE)
		return r;
	for (int f = 0; f < FLD_NTEXT; f++) {
		const struct dfield *df = &d->f[f];

		if (!(mask & (1u << f)))
			continue;
		tf[f] = stem ? tf_of(df->stem, df->nstem, id)
			     : tf_of(df->exact, df->nexact, id);
		norm[f] = df->norm;
		r.match |= tf[f] > 0;
	}
	if (r.match)
		r.score = bm25f(&o->stats, idf, tf, norm, mask);
	return r;
}

/* The smallest position of term after prev in the field (1), or 0. */
static int next_pos(const struct dfield *df, uint32_t term, uint32_t prev,
		    uint32_t *out)
{
	int found = 0;

	for (uint32_t b = 0; b < df->ntok; b++) {
		uint32_t p = df->tok[b].pos;

		if (df->tok[b].term == term && p > prev && (!found || p < *out)) {
			*out = p;
			found = 1;
		}
	}
	return found;
}

/* Phrase frequency of q in one field: from each position p0 of the first
 * term, take for each next term its smallest position after the one
 * before; count p0 when the last is within n - 1 + slop of p0. */
static uint32_t phrase_freq(const struct mq *q, const struct dfield *df)
{
	uint32_t freq = 0, span = (uint32_t)(q->nterms - 1 + q->slop);

	for (size_t i = 0; i < q->nterms; i++)
		if (!tf_of(df->exact, df->nexact, q->ids[i]))
			return 0;
	for (uint32_t a = 0; a < df->ntok; a++) {
		uint32_t p0, prev, p = 0;
		size_t i;

		if (df->tok[a].term != q->ids[0])
			continue;
		p0 = prev = df->tok[a].pos;
		for (i = 1; i < q->nterms; i++) {
			if (!next_pos(df, q->ids[i], prev, &p) || p - p0 > span)
				break;
			prev = p;
		}
		freq += i == q->nterms;
	}
	return freq;
}

static struct res eval_phrase(const struct oracle *o, const struct mq *q,
			      const struct doc *d)
{
	uint32_t tf[FLD_NTEXT] = { 0 };
	uint8_t norm[FLD_NTEXT] = { 0 };
	struct res r = { 0, 0.0 };

	for (size_t i = 0; i < q->nterms; i++)
		if (q->ids[i] == NONE)
			return r;
	for (int f = 0; f < FLD_NTEXT; f++) {
		if (!(q->fields & (1u << f)) || !d->f[f].ntok)
			continue;
		tf[f] = phrase_freq(q, &d->f[f]);
		norm[f] = d->f[f].norm;
		r.match |= tf[f] > 0;
	}
	if (r.match)
		r.score = bm25f(&o->stats, q->idf, tf, norm, q->fields);
	return r;
}

/* A prefix is the disjunction of its expansion's terms, in strcmp order. */
static struct res eval_prefix(const struct oracle *o, const struct mq *q,
			      const struct doc *d, uint32_t stamp)
{
	struct res r = { 0, 0.0 };
	size_t nhit = 0;

	for (int f = 0; f < FLD_NTEXT; f++) {
		const struct dfield *df = &d->f[f];

		if (!(q->fields & (1u << f)))
			continue;
		for (uint32_t k = 0; k < df->nexact; k++) {
			int32_t rk = q->rank[df->exact[k].term];

			if (rk < 0 || q->seen[rk] == stamp)
				continue;
			q->seen[rk] = stamp;
			q->hit[nhit++] = (uint32_t)rk;
		}
	}
	qsort(q->hit, nhit, sizeof(*q->hit), cmp_u32);
	for (size_t i = 0; i < nhit; i++) {
		struct res t = eval_term(o, q->exp[q->hit[i]], 0, q->fields,
					 q->exp_idf[q->hit[i]], d);

		r.match = 1;
		r.score += t.score;
	}
	return r;
}

static int has_kw(const struct doc *d, uint32_t id)
{
	for (size_t i = 0; i < d->nkw; i++)
		if (d->kw[i] == id)
			return 1;
	return 0;
}

static struct res eval(const struct oracle *o, const struct mq *q,
		       size_t di);

static struct res eval_bool(const struct oracle *o, const struct mq *q,
			    size_t di)
{
	struct res r = { 0, 0.0 }, small[8], *k = small;
	size_t nmust = 0, nshould = 0, must_ok = 0, should_ok = 0;

	if (!q->nkids)
		return r;
	if (q->nkids > ARRAY_LEN(small))
		k = xmalloc(q->nkids * sizeof(*k));
	for (size_t i = 0; i < q->nkids; i++) {
		k[i] = eval(o, q->kids[i], di);
		if (q->occur[i] == TRAWL_MUST_NOT && k[i].match)
			goto out;
		nmust += q->occur[i] == TRAWL_MUST;
		must_ok += q->occur[i] == TRAWL_MUST && k[i].match;
		nshould += q->occur[i] == TRAWL_SHOULD;
		should_ok += q->occur[i] == TRAWL_SHOULD && k[i].match;
	}
	if (nmust)
		r.match = must_ok == nmust;
	else if (nshould)
		r.match = should_ok > 0;
	else
		r.match = 1;
	for (size_t i = 0; r.match && i < q->nkids; i++)
		if (q->occur[i] != TRAWL_MUST_NOT && k[i].match)
			r.score += k[i].score;
out:
	if (k != small)
		free(k);
	return r;
}

static struct res eval(const struct oracle *o, const struct mq *q, size_t di)
{
	const struct doc *d = &o->docs[di];
	struct res r = { 0, 0.0 };

	switch (q->type) {
	case MQ_TERM:
		return eval_term(o, q->id, q->stem, q->fields, q->idf, d);
	case MQ_PHRASE:
		return eval_phrase(o, q, d);
	case MQ_PREFIX:
		return eval_prefix(o, q, d, (uint32_t)di + 1);
	case MQ_KEYWORD:
		r.match = q->id != NONE && has_kw(d, q->id);
		return r;
	case MQ_RANGE:
		if (q->col == TRAWL_COL_DATE)
			r.match = d->date >= q->lo && d->date <= q->hi;
		else if (q->col == TRAWL_COL_ITEM)
			r.match = d->item >= q->lo && d->item <= q->hi;
		else
			r.match = (int64_t)d->size >= q->lo &&
				  (int64_t)d->size <= q->hi;
		return r;
	case MQ_ALL:
		r.match = 1;
		return r;
	case MQ_PATH:
		r.match = q->set[di];
		return r;
	case MQ_BOOL:
		return eval_bool(o, q, di);
	}
	return r;
}

/* ------------------------------------------------------------------ */
/* the same tree for the engine, and as text */

static trawl_query *mq_build(const struct mq *q)
{
	trawl_query *t = NULL;

	switch (q->type) {
	case MQ_TERM:
		return trawl_query_term(q->text, q->fields, q->stem);
	case MQ_PHRASE:
		return trawl_query_phrase((const char *const *)q->terms,
					  q->nterms, q->fields, q->slop);
	case MQ_PREFIX:
		return trawl_query_prefix(q->text, q->fields);
	case MQ_KEYWORD:
		return trawl_query_keyword((trawl_keyword)q->kw, q->text);
	case MQ_RANGE:
		return trawl_query_range((trawl_column)q->col, q->lo, q->hi);
	case MQ_ALL:
		return trawl_query_all();
	case MQ_PATH:
		return trawl_query_path(q->text);
	case MQ_BOOL:
		if (!(t = trawl_query_bool()))
			return NULL;
		for (size_t i = 0; i < q->nkids; i++) {
			trawl_query *k = mq_build(q->kids[i]);

			if (!k || trawl_query_add(t, (trawl_occur)q->occur[i],
						  k)) {
				trawl_query_free(t);
				return NULL;
			}
		}
		return t;
	}
	return NULL;
}

static const char *const field_names[FLD_NTEXT] = {
	"subject", "body", "from", "to", "cc", "bcc", "attname", "atttext" };
static const char *const kw_names[] = {
	"from", "to", "cc", "bcc", "msgid", "kind", "mime", "ext", "has",
	"date" };

/* 1 when s is well-formed UTF-8 (loosely: lead and continuation bytes). */
static int utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = *p < 0x80 ? 0 : *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2
			: *p >= 0xc2 ? 1 : -1;

		if (n < 0)
			return 0;
		for (p++; n > 0; n--, p++)
			if ((*p & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

/* s for a TAP line: control characters as '?', and every byte above
 * 0x7f as \xHH when s is not UTF-8 (a prefix cut inside a character). */
static void print_text(struct buf *b, const char *s)
{
	int raw = utf8_ok(s);

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20)
			buf_putc(b, '?');
		else if (c >= 0x80 && !raw)
			buf_printf(b, "\\x%02x", c);
		else
			buf_putc(b, c);
	}
}

static void print_mask(struct buf *b, unsigned mask)
{
	const char *sep = "";

	if (mask == TRAWL_FIELD_ALL) {
		buf_puts(b, "all:");
		return;
	}
	buf_putc(b, '{');
	for (int f = 0; f < FLD_NTEXT; f++) {
		if (!(mask & (1u << f)))
			continue;
		buf_printf(b, "%s%s", sep, field_names[f]);
		sep = "|";
	}
	buf_puts(b, "}:");
}

/* The query as text: all:word, {subject|body}:~stem, all:"a b"~2,
 * body:pre*, from=addr, date:[lo..hi] (size:, item:), path:"/a/b", *,
 * (+must should -mustnot). */
static void mq_print(struct buf *b, const struct mq *q)
{
	static const char occ[] = "+ -";

	switch (q->type) {
	case MQ_TERM:
		print_mask(b, q->fields);
		buf_puts(b, q->stem ? "~" : "");
		print_text(b, q->text);
		break;
	case MQ_PHRASE:
		print_mask(b, q->fields);
		buf_putc(b, '"');
		for (size_t i = 0; i < q->nterms; i++) {
			buf_puts(b, i ? " " : "");
			print_text(b, q->terms[i]);
		}
		buf_putc(b, '"');
		if (q->slop)
			buf_printf(b, "~%u", q->slop);
		break;
	case MQ_PREFIX:
		print_mask(b, q->fields);
		print_text(b, q->text);
		buf_putc(b, '*');
		break;
	case MQ_KEYWORD:
		buf_printf(b, "%s=", kw_names[q->kw - KW_FROM]);
		print_text(b, q->text);
		break;
	case MQ_RANGE:
		buf_printf(b, "%s:[%" PRId64 "..%" PRId64 "]",
			   q->col == TRAWL_COL_DATE   ? "date"
			   : q->col == TRAWL_COL_ITEM ? "item"
						      : "size",
			   q->lo, q->hi);
		break;
	case MQ_PATH:
		buf_puts(b, "path:\"");
		print_text(b, q->text);
		buf_putc(b, '"');
		break;
	case MQ_ALL:
		buf_putc(b, '*');
		break;
	case MQ_BOOL:
		buf_putc(b, '(');
		for (size_t i = 0; i < q->nkids; i++) {
			if (i)
				buf_putc(b, ' ');
			if (occ[q->occur[i]] != ' ')
				buf_putc(b, occ[q->occur[i]]);
			mq_print(b, q->kids[i]);
		}
		buf_putc(b, ')');
		break;
	}
}

/* ------------------------------------------------------------------ */
/* random queries */

struct gen {
	uint64_t s;
	struct oracle *o;
	uint32_t *band[2][4]; /* [stem][band]: df 1, 2..10, medium, top */
	size_t nband[2][4];
	uint32_t *top;        /* scratch */
	int depth_max;
};

static uint64_t rnd64(struct gen *g)
{
	uint64_t z = (g->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t rnd(struct gen *g, size_t n)
{
	return n ? (size_t)(rnd64(g) % n) : 0;
}

static int chance(struct gen *g, unsigned percent)
{
	return rnd(g, 100) < percent;
}

#define TOP_BAND 30

static uint32_t any_df(const struct oracle *o, uint32_t id, int stem)
{
	return (uint32_t)mask_df(o, id, TRAWL_FIELD_ALL, stem);
}

struct df_order {
	const struct oracle *o;
	int stem;
};

static int cmp_by_df(const void *a, const void *b, void *ctx)
{
	const struct df_order *c = ctx;
	uint32_t x = any_df(c->o, *(const uint32_t *)a, c->stem);
	uint32_t y = any_df(c->o, *(const uint32_t *)b, c->stem);

	if (x != y)
		return x > y ? -1 : 1;
	return cmp_u32(a, b);
}

/* Terms by document frequency: df 1; 2..10; above 10 but not among the
 * TOP_BAND most common; the TOP_BAND most common. */
static void gen_bands(struct gen *g)
{
	struct oracle *o = g->o;

	for (int stem = 0; stem < 2; stem++) {
		uint32_t *all = xmalloc(o->terms.n * sizeof(*all));
		struct df_order order = { o, stem };
		size_t n = 0;

		for (uint32_t id = 0; id < o->terms.n; id++)
			if (any_df(o, id, stem) && o->terms.len[id] <=
							   MAX_KW_VALUE)
				all[n++] = id;
		qsort_r(all, n, sizeof(*all), cmp_by_df, &order);
		for (int b = 0; b < 4; b++)
			g->band[stem][b] = xmalloc(n * sizeof(uint32_t));
		for (size_t i = 0; i < n; i++) {
			uint32_t df = any_df(o, all[i], stem);
			int b = i < TOP_BAND ? 3 : df == 1 ? 0 : df <= 10 ? 1 : 2;

			g->band[stem][b][g->nband[stem][b]++] = all[i];
		}
		free(all);
	}
}

static uint32_t pick_term(struct gen *g, int stem)
{
	for (int tries = 0; tries < 16; tries++) {
		int b = (int)rnd(g, 4);

		if (g->nband[stem][b])
			return g->band[stem][b][rnd(g, g->nband[stem][b])];
	}
	return NONE;
}

/* A field mask for a term: often all fields, often one field that holds
 * it, sometimes any non-empty mask. */
static unsigned pick_mask(struct gen *g, uint32_t id, int stem)
{
	int fields[FLD_NTEXT], n = 0;

	if (chance(g, 40))
		return TRAWL_FIELD_ALL;
	if (id != NONE && chance(g, 60)) {
		for (int f = 0; f < FLD_NTEXT; f++)
			if (g->o->df[f + (stem ? FLD_STEM : 0)][id])
				fields[n++] = f;
		if (n)
			return 1u << fields[rnd(g, (size_t)n)];
	}
	if (chance(g, 50))
		return 1u << rnd(g, FLD_NTEXT);
	return (unsigned)(1 + rnd(g, TRAWL_FIELD_ALL));
}

static struct mq *gen_absent(struct gen *g)
{
	static const char *const words[] = { "zqxjv", "qwzzy", "xylophonium",
					     "000000000000017" };
	struct mq *q = mq_new(MQ_TERM);
	char tmp[64];

	snprintf(tmp, sizeof(tmp), "%s%zu", words[rnd(g, 4)], rnd(g, 1000));
	q->text = xstrndup(tmp, strlen(tmp));
	q->stem = chance(g, 30);
	q->fields = pick_mask(g, NONE, 0);
	return q;
}

static struct mq *gen_term(struct gen *g)
{
	int stem = chance(g, 35);
	uint32_t id = pick_term(g, stem);
	struct mq *q;

	if (id == NONE)
		return gen_absent(g);
	q = mq_new(MQ_TERM);
	q->stem = stem;
	q->text = xstrndup(g->o->terms.str[id], g->o->terms.len[id]);
	q->fields = pick_mask(g, id, stem);
	return q;
}

/* A field to cut a phrase from: mostly the body. */
static int pick_phrase_field(struct gen *g)
{
	static const int weights[FLD_NTEXT] = { 15, 45, 12, 15, 6, 2, 5, 0 };
	size_t r = rnd(g, 100);

	for (int f = 0; f < FLD_NTEXT; f++) {
		if (r < (size_t)weights[f])
			return f;
		r -= (size_t)weights[f];
	}
	return FLD_BODY;
}

/* Up to n terms of df from token a on: each next one a token at the
 * next position used (one of them, at random: a compound and its first
 * part share a position).  *width gets the distance from the first
 * position to the last. */
static size_t cut_phrase(struct gen *g, const struct dfield *df, uint32_t a,
			 size_t n, uint32_t *ids, uint32_t *width)
{
	size_t k = 0;
	uint32_t p0 = df->tok[a].pos;

	ids[k++] = df->tok[a].term;
	while (k < n) {
		uint32_t prev = df->tok[a].pos, b = a + 1, m = 0;

		while (b < df->ntok && df->tok[b].pos <= prev)
			b++;
		if (b == df->ntok)
			break;
		while (b + m < df->ntok && df->tok[b + m].pos == df->tok[b].pos)
			m++;
		a = b + (uint32_t)rnd(g, m);
		ids[k++] = df->tok[a].term;
	}
	*width = df->tok[a].pos - p0;
	return k;
}

static struct mq *gen_phrase(struct gen *g)
{
	struct oracle *o = g->o;
	uint32_t ids[4], width = 0;
	size_t n = chance(g, 5) ? 1 : 2 + rnd(g, 3), got = 0;
	int f = FLD_BODY;
	struct mq *q;

	for (int tries = 0; tries < 40 && got < n; tries++) {
		const struct doc *d = &o->docs[rnd(g, o->ndocs)];

		f = pick_phrase_field(g);
		if (d->f[f].ntok)
			got = cut_phrase(g, &d->f[f],
					 (uint32_t)rnd(g, d->f[f].ntok), n,
					 ids, &width);
	}
	if (got < n)
		return gen_term(g);
	q = mq_new(MQ_PHRASE);
	if (n > 1 && chance(g, 20))
		for (size_t i = n - 1; i > 0; i--) {
			size_t j = rnd(g, i + 1);
			uint32_t t = ids[i];

			ids[i] = ids[j];
			ids[j] = t;
		}
	q->terms = xmalloc(n * sizeof(*q->terms));
	q->nterms = n;
	for (size_t i = 0; i < n; i++)
		q->terms[i] = xstrndup(o->terms.str[ids[i]],
				       o->terms.len[ids[i]]);
	/* slop 1..3; or just around the slop the phrase needs where it was
	 * cut (when it spans the gap between two values: about the gap) */
	q->slop = chance(g, 25) ? 1 + (unsigned)rnd(g, 3) : 0;
	if (chance(g, width > n ? 60 : 10) && width + 1 >= n) {
		uint32_t need = width + 1 - (uint32_t)n;

		q->slop = need + (uint32_t)rnd(g, 3);
		q->slop = q->slop ? q->slop - 1 : 0;
	}
	q->fields = chance(g, 45)   ? 1u << f
		    : chance(g, 60) ? TRAWL_FIELD_ALL
				    : (1u << f) | (unsigned)rnd(g, 256);
	return q;
}

static size_t prefix_count(struct oracle *o, const char *p, size_t plen,
			   unsigned mask)
{
	size_t n = 0;

	for (uint32_t id = 0; id < o->terms.n; id++)
		if (o->terms.len[id] >= plen &&
		    !memcmp(o->terms.str[id], p, plen) &&
		    mask_df(o, id, mask, 0))
			n++;
	return n;
}

/* A prefix of 2..5 bytes of a real term; inside a boolean, mostly one
 * under the expansion cap (a query over it fails as a whole). */
static struct mq *gen_prefix(struct gen *g, int nested)
{
	struct oracle *o = g->o;
	uint32_t id = pick_term(g, 0);
	size_t plen = 2 + rnd(g, 4);
	struct mq *q;

	if (id == NONE)
		return gen_absent(g);
	q = mq_new(MQ_PREFIX);
	q->fields = chance(g, 50) ? TRAWL_FIELD_ALL : pick_mask(g, id, 0);
	if (plen > o->terms.len[id])
		plen = o->terms.len[id];
	if (nested && chance(g, 90))
		while (plen < o->terms.len[id] &&
		       prefix_count(o, o->terms.str[id], plen, q->fields) >
			       TRAWL_MAX_PREFIX_TERMS)
			plen++;
	q->text = xstrndup(o->terms.str[id], plen);
	return q;
}

/* A keyword value of field kw from a random document (or, sometimes, of
 * another field); NULL when none was found. */
static const char *pick_kw(struct gen *g, int kw, size_t *n)
{
	struct oracle *o = g->o;

	for (int tries = 0; tries < 60; tries++) {
		const struct doc *d = &o->docs[rnd(g, o->ndocs)];

		for (size_t i = 0; i < d->nkw; i++) {
			const char *k = o->kws.str[d->kw[i]];
			size_t len = o->kws.len[d->kw[i]] - 1;

			if (k[0] == kw && len <= MAX_KW_VALUE &&
			    !memchr(k + 1, '\0', len) && chance(g, 50)) {
				*n = len;
				return k + 1;
			}
		}
	}
	return NULL;
}

static struct mq *gen_keyword(struct gen *g)
{
	struct mq *q = mq_new(MQ_KEYWORD);
	int from = KW_FROM + (int)rnd(g, KW_DATE - KW_FROM + 1);
	const char *v;
	size_t n = 0;

	/* a value of one field, looked up in another, now and then */
	q->kw = from;
	if (from <= KW_BCC && chance(g, 15))
		q->kw = KW_FROM + (int)rnd(g, 4);
	if (from == KW_KIND && chance(g, 60))
		v = kind_names[1 + rnd(g, 3)];
	else
		v = pick_kw(g, from, &n);
	if (!v || from == KW_KIND)
		n = strlen(v ? v : "nosuchvalue");
	q->text = xstrndup(v ? v : "nosuchvalue", n);
	return q;
}

static int64_t pick_value(struct gen *g, int col)
{
	const struct doc *d = &g->o->docs[rnd(g, g->o->ndocs)];

	return col == TRAWL_COL_DATE   ? d->date
	       : col == TRAWL_COL_ITEM ? d->item
				       : (int64_t)d->size;
}

static struct mq *gen_range(struct gen *g)
{
	struct mq *q = mq_new(MQ_RANGE);
	int64_t a, b;

	q->col = chance(g, 40) ? TRAWL_COL_DATE
		 : chance(g, 55) ? TRAWL_COL_SIZE : TRAWL_COL_ITEM;
	a = pick_value(g, q->col);
	b = pick_value(g, q->col);
	q->lo = a < b ? a : b;
	q->hi = a < b ? b : a;
	switch (rnd(g, 10)) {
	case 0: q->hi = q->lo; break;
	case 1: q->lo = q->hi + 1 + (int64_t)rnd(g, 10); break; /* empty */
	case 2: q->lo = INT64_MIN; break;
	case 3: q->hi = INT64_MAX; break;
	case 4: q->lo = -(int64_t)rnd(g, 1000) - 1; break;
	case 5: q->hi = -(int64_t)rnd(g, 10); break;
	}
	return q;
}

/* Where a path prefix is cut: after one of the last slashes of p (a
 * folder; now and then any slash, "/" included), or anywhere. */
static size_t cut_path(struct gen *g, const char *p, size_t n, int folder)
{
	size_t slash[64], ns = 0;

	if (!folder)
		return 1 + rnd(g, n);
	for (size_t i = 0; i < n && ns < ARRAY_LEN(slash); i++)
		if (p[i] == '/')
			slash[ns++] = i;
	if (!ns)
		return n;
	if (ns > 3 && chance(g, 80))
		return slash[ns - 3 + rnd(g, 3)] + 1;
	return slash[rnd(g, ns)] + 1;
}

/* A source path prefix: a whole path, a folder, a cut anywhere, or one
 * that matches nothing (a path with more after it, a path whose last
 * byte is the next one up, a folder that is not there). */
static struct mq *gen_path(struct gen *g)
{
	struct oracle *o = g->o;
	struct mq *q = mq_new(MQ_PATH);
	const char *p = o->npaths ? o->paths[rnd(g, o->npaths)] : "/";
	size_t n = strlen(p), r = rnd(g, 100);
	struct buf b;

	buf_init(&b, 1 << 16);
	if (r < 30) {
		buf_append(&b, p, n);
	} else if (r < 60) {
		buf_append(&b, p, cut_path(g, p, n, 1));
	} else if (r < 80) {
		buf_append(&b, p, cut_path(g, p, n, 0));
	} else if (r < 88) {
		buf_append(&b, p, n);
		buf_puts(&b, chance(g, 50) ? "~" : "/x");
	} else if (r < 95 && n && (unsigned char)p[n - 1] < 0x7e) {
		buf_append(&b, p, n - 1);
		buf_putc(&b, p[n - 1] + 1);
	} else {
		buf_puts(&b, "/no/such/folder");
		buf_append(&b, p, n);
	}
	if (!b.len)
		buf_puts(&b, "/no/such/folder");
	q->text = xstrndup(b.data, b.len);
	buf_release(&b);
	return q;
}

static struct mq *gen_node(struct gen *g, int depth);

static struct mq *gen_bool(struct gen *g, int depth)
{
	struct mq *q = mq_new(MQ_BOOL);
	size_t n = chance(g, 3) ? 0 : 1 + rnd(g, 5);
	int negations = chance(g, 12);

	for (size_t i = 0; i < n; i++) {
		size_t r = rnd(g, 100);
		int occur = negations ? TRAWL_MUST_NOT
			    : r < 35  ? TRAWL_MUST
			    : r < 75  ? TRAWL_SHOULD
				      : TRAWL_MUST_NOT;

		mq_add(q, occur, gen_node(g, depth + 1));
	}
	return q;
}

/* Two or three of the most common terms, all MUST, mostly over every
 * field: the conjunction search.c ranks term at a time (run_terms),
 * which random booleans rarely make. */
static struct mq *gen_common_and(struct gen *g)
{
	struct mq *q = mq_new(MQ_BOOL);
	size_t n = 2 + rnd(g, 2);

	for (size_t i = 0; i < n; i++) {
		int stem = chance(g, 50);
		struct mq *t;
		uint32_t id;

		if (!g->nband[stem][3]) {
			mq_add(q, TRAWL_MUST, gen_term(g));
			continue;
		}
		id = g->band[stem][3][rnd(g, g->nband[stem][3])];
		t = mq_new(MQ_TERM);
		t->stem = stem;
		t->text = xstrndup(g->o->terms.str[id], g->o->terms.len[id]);
		t->fields = chance(g, 75) ? TRAWL_FIELD_ALL
					  : pick_mask(g, id, stem);
		mq_add(q, TRAWL_MUST, t);
	}
	return q;
}

static struct mq *gen_node(struct gen *g, int depth)
{
	size_t r;

	if (depth == 0 && chance(g, 6))
		return gen_common_and(g);
	if (depth < 3 && chance(g, depth == 0 ? 45 : 25))
		return gen_bool(g, depth);
	r = rnd(g, 100);
	if (r < 31)
		return gen_term(g);
	if (r < 50)
		return gen_phrase(g);
	if (r < 62)
		return gen_prefix(g, depth > 0);
	if (r < 76)
		return gen_keyword(g);
	if (r < 88)
		return gen_range(g);
	if (r < 94)
		return gen_path(g);
	if (r < 96)
		return mq_new(MQ_ALL);
	return gen_absent(g);
}

static void gen_release(struct gen *g)
{
	for (int s = 0; s < 2; s++)
		for (int b = 0; b < 4; b++)
			free(g->band[s][b]);
}

/* ------------------------------------------------------------------ */
/* running and comparing */

struct counts {
	unsigned long top[MQ_NTYPES], nodes[MQ_NTYPES];
	unsigned long nonempty, too_large, calls, scores, exact_scores;
	unsigned long item_ranges, paths_empty, paths_matched;
	unsigned long opt_calls, by_collapse[3], kinds_calls, merged, groups;
	double max_rel;
	double model_s, engine_s; /* seconds in the model, in trawl_search */
	double prefix_s;          /* engine seconds on queries with a prefix */
	int has_prefix;           /* the query running has one */
	double slowest_s;         /* the slowest trawl_search call */
	unsigned slowest_q;
	unsigned query;           /* the one running */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void count_nodes(struct counts *c, const struct mq *q)
{
	c->nodes[q->type]++;
	c->item_ranges += q->type == MQ_RANGE && q->col == TRAWL_COL_ITEM;
	for (size_t i = 0; i < q->nkids; i++)
		count_nodes(c, q->kids[i]);
}

/* Path prefixes that matched nothing, and the others (once prepared). */
static void count_paths(struct counts *c, const struct mq *q)
{
	if (q->type == MQ_PATH) {
		c->paths_empty += !q->nset;
		c->paths_matched += q->nset > 0;
	}
	for (size_t i = 0; i < q->nkids; i++)
		count_paths(c, q->kids[i]);
}

static int has_prefix(const struct mq *q)
{
	int yes = q->type == MQ_PREFIX;

	for (size_t i = 0; i < q->nkids && !yes; i++)
		yes = has_prefix(q->kids[i]);
	return yes;
}

static trawl_sort cmp_sort;

/* The engine's documented orders: score descending, date descending or
 * ascending; then item ascending. */
static int cmp_hit(const void *pa, const void *pb)
{
	const trawl_hit *a = pa, *b = pb;

	if (cmp_sort == TRAWL_SORT_RELEVANCE && a->score != b->score)
		return a->score > b->score ? -1 : 1;
	if (cmp_sort == TRAWL_SORT_NEWEST && a->date != b->date)
		return a->date > b->date ? -1 : 1;
	if (cmp_sort == TRAWL_SORT_OLDEST && a->date != b->date)
		return a->date < b->date ? -1 : 1;
	return a->item < b->item ? -1 : a->item > b->item;
}

static const char *const sort_names[] = { "relevance", "newest", "oldest" };

static double rel_err(double a, double b)
{
	double m = fmax(fabs(a), fabs(b));

	return m == 0.0 ? 0.0 : fabs(a - b) / m;
}

/* One trawl_search call of a query: relevance, newest or oldest, at an
 * offset; limit 0 counts only; without count, no total is asked for (and
 * ranking by relevance skips what cannot enter the top).  With run, the
 * call is trawl_search_run with kinds and collapse. */
struct call {
	trawl_sort sort;
	size_t offset, limit;
	int count;
	int run;
	unsigned kinds, collapse;
};

static const char *const collapse_names[] = { "none", "copies", "threads" };

static trawl_status call_engine(trawl_searcher *s, const trawl_query *tq,
				const struct call *call, trawl_hit *got,
				size_t *nhits, uint64_t *total)
{
	trawl_search_options opt = { .sort = call->sort,
				     .offset = call->offset,
				     .limit = call->limit,
				     .kinds = call->kinds,
				     .collapse = call->collapse };

	if (!call->run)
		return trawl_search(s, tq, call->sort, call->offset,
				    call->limit, got, nhits,
				    call->count ? total : NULL);
	return trawl_search_run(s, tq, &opt, got, nhits,
				call->count ? total : NULL);
}

static void describe_call(struct buf *diag, const struct call *call)
{
	buf_printf(diag, "%s offset %zu limit %zu%s", sort_names[call->sort],
		   call->offset, call->limit, call->count ? "" : " (no count)");
	if (call->run)
		buf_printf(diag, " run kinds 0x%x collapse %s", call->kinds,
			   collapse_names[call->collapse]);
	buf_puts(diag, ": ");
}

/* Compares one engine call with the hits it should give (want[0..nwant),
 * every group of the call's result in its order: expect_hits); appends
 * what differs to diag.  0 when they agree. */
static int check_call(trawl_searcher *s, const trawl_query *tq,
		      const struct call *call, trawl_status want_st,
		      const trawl_hit *want, size_t nwant, struct counts *c,
		      struct buf *diag)
{
	trawl_sort sort = call->sort;
	size_t offset = call->offset, limit = call->limit;
	trawl_hit got[TOP_K];
	size_t nhits = 0, expect;
	uint64_t total = 0;
	trawl_status st;
	double t0 = now(), t;

	c->calls++;
	st = call_engine(s, tq, call, got, &nhits, &total);
	t = now() - t0;
	c->engine_s += t;
	if (c->has_prefix)
		c->prefix_s += t;
	if (t > c->slowest_s) {
		c->slowest_s = t;
		c->slowest_q = c->query;
	}
	describe_call(diag, call);
	if (st != want_st) {
		buf_printf(diag, "status %s (%s), want %s\n",
			   trawl_status_str(st), trawl_searcher_errmsg(s),
			   trawl_status_str(want_st));
		return 1;
	}
	if (st) {
		buf_reset(diag);
		return 0;
	}
	if (call->count && total != nwant) {
		buf_printf(diag, "total %" PRIu64 ", want %zu\n", total, nwant);
		return 1;
	}
	expect = nwant > offset ? nwant - offset : 0;
	expect = expect < limit ? expect : limit;
	if (nhits != expect) {
		buf_printf(diag, "%zu hits, want %zu\n", nhits, expect);
		return 1;
	}
	for (size_t i = 0; i < nhits; i++) {
		const trawl_hit *w = &want[offset + i], *h = &got[i];
		double e = rel_err(h->score, w->score);
		int score_ok = sort != TRAWL_SORT_RELEVANCE || e <= SCORE_TOL;

		if (sort == TRAWL_SORT_RELEVANCE) {
			c->scores++;
			c->exact_scores += h->score == w->score;
			c->max_rel = fmax(c->max_rel, e);
		}
		if (h->item != w->item || h->date != w->date || !score_ok ||
		    h->group != w->group) {
			buf_printf(diag, "rank %zu: got item %" PRIu64
				   " date %" PRId64 " score %.17g group %"
				   PRIu64 "; want item %" PRIu64 " date %"
				   PRId64 " score %.17g group %" PRIu64 "\n",
				   offset + i, h->item, h->date, h->score,
				   h->group, w->item, w->date, w->score,
				   w->group);
			return 1;
		}
	}
	buf_reset(diag);
	return 0;
}

/* The model's matches of q, unsorted; their group fields hold their
 * documents' indexes in docs (expect_hits turns them into groups). */
static trawl_hit *model_hits(struct oracle *o, const struct mq *q,
			     size_t *n)
{
	trawl_hit *h = xmalloc(o->ndocs * sizeof(*h));

	*n = 0;
	for (size_t i = 0; i < o->ndocs; i++) {
		struct res r;

		if (o->docs[i].deleted)
			continue;
		r = eval(o, q, i);
		if (r.match)
			h[(*n)++] = (trawl_hit){ (uint64_t)o->docs[i].item,
						 r.score, o->docs[i].date, i, 0 };
	}
	return h;
}

static void sort_hits(trawl_hit *h, size_t n, trawl_sort sort)
{
	cmp_sort = sort;
	qsort(h, n, sizeof(*h), cmp_hit);
}

/* The group key of document d as the call collapses. */
static uint64_t group_key(const struct doc *d, unsigned collapse)
{
	return collapse == TRAWL_COLLAPSE_COPIES    ? d->copy
	       : collapse == TRAWL_COLLAPSE_THREADS ? d->by_thread
						    : (uint64_t)d->item;
}

/* The result of a call from all the model's matches in its order (from
 * model_hits, sorted): the matches of the call's kinds, the first of
 * each group, with its group key; into out.  Returns how many: the
 * total the call must report.  *merged gets how many matches of the
 * kinds collapsing left out. */
static size_t expect_hits(struct oracle *o, const trawl_hit *all, size_t n,
			  const struct call *call, trawl_hit *out,
			  size_t *merged)
{
	unsigned kinds = call->run ? call->kinds : 0;
	unsigned collapse = call->run ? call->collapse : 0;
	size_t k = 0;

	*merged = 0;
	if (++o->gstamp == 0) {
		memset(o->gseen, 0, (o->max_group + 1) * sizeof(*o->gseen));
		o->gstamp = 1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct doc *d = &o->docs[all[i].group];
		uint64_t key = group_key(d, collapse);

		if (kinds && !((kinds >> d->kind) & 1))
			continue;
		if (collapse && o->gseen[key] == o->gstamp) {
			(*merged)++;
			continue;
		}
		o->gseen[key] = o->gstamp;
		out[k] = all[i];
		out[k++].group = key;
	}
	return k;
}

/* Now and then (OPTION_SHARE %), trawl_search_run with random kinds and
 * collapsing, the same for the call in every other respect but for an
 * offset deep into the results now and then. */
static void plan_options(struct gen *g, struct call *call)
{
	static const unsigned kinds[] = {
		0, (1u << TRAWL_KIND_EMAIL) | (1u << TRAWL_KIND_DOCUMENT),
		1u << TRAWL_KIND_ATTACHMENT, 1u << TRAWL_KIND_EMAIL,
		1u << TRAWL_KIND_DOCUMENT };

	if (!chance(g, OPTION_SHARE))
		return;
	call->run = 1;
	call->kinds = kinds[rnd(g, ARRAY_LEN(kinds))];
	call->collapse = (unsigned)rnd(g, 3);
	/* deep pages: many groups in and out of the engine's heap */
	if (call->limit && chance(g, 10))
		call->offset = 40 + rnd(g, 1500);
}

/* The calls to make for one query: by relevance at offset 0 with a total
 * and without one (with a random limit), sometimes further on; newest and
 * oldest (sometimes at an offset, sometimes without a total); a count.
 * A query with a prefix gets three (both by relevance, then newest or
 * oldest): its expansion, the same for every call, is most of the cost
 * of each.  Returns how many, at most 6. */
static size_t plan_calls(struct gen *g, int has_prefix, struct call *calls)
{
	size_t n = 0;

	calls[n++] = (struct call){ .sort = TRAWL_SORT_RELEVANCE,
				    .limit = TOP_K, .count = 1 };
	calls[n++] = (struct call){ .sort = TRAWL_SORT_RELEVANCE,
				    .limit = chance(g, 30) ? 1 + rnd(g, TOP_K)
							   : TOP_K };
	if (!has_prefix && chance(g, 35))
		calls[n++] = (struct call){ .sort = TRAWL_SORT_RELEVANCE,
					    .offset = 5 + rnd(g, 26),
					    .limit = TOP_K,
					    .count = chance(g, 50) };
	for (int sort = TRAWL_SORT_NEWEST; sort <= TRAWL_SORT_OLDEST; sort++) {
		if (has_prefix && chance(g, 50))
			continue;
		calls[n++] = (struct call){
			.sort = (trawl_sort)sort,
			.offset = chance(g, 25) ? 5 + rnd(g, 26) : 0,
			.limit = TOP_K, .count = !chance(g, 25) };
		if (has_prefix)
			break;
	}
	if (!has_prefix)
		calls[n++] = (struct call){ .sort = TRAWL_SORT_RELEVANCE,
					    .count = 1 };
	for (size_t i = 0; i < n; i++)
		plan_options(g, &calls[i]);
	return n;
}

static void count_call(struct counts *c, const struct call *call,
		       size_t groups, size_t merged)
{
	if (!call->run)
		return;
	c->opt_calls++;
	c->by_collapse[call->collapse]++;
	c->kinds_calls += call->kinds != 0;
	c->merged += merged > 0;
	c->groups += call->collapse && groups > 0;
}

/* Runs query number k: the model, then the engine's calls. */
static void run_query(struct oracle *o, trawl_searcher *s, struct gen *g,
		      unsigned k, struct counts *c)
{
	struct mq *q = gen_node(g, 0);
	struct buf text, diag;
	trawl_query *tq = NULL;
	trawl_status want_st;
	trawl_hit *hits = NULL, *want = NULL;
	size_t n = 0;
	int bad = 0;
	struct call calls[6];
	size_t ncalls = 0;
	double t0;

	buf_init(&text, 1 << 20);
	buf_init(&diag, 1 << 20);
	c->query = k;
	mq_print(&text, q);
	c->top[q->type]++;
	count_nodes(c, q);
	c->has_prefix = has_prefix(q);
	want_st = mq_prepare(o, q) ? TRAWL_ERR_TOO_LARGE : TRAWL_OK;
	c->too_large += want_st != TRAWL_OK;
	count_paths(c, q);
	if (!(tq = mq_build(q))) {
		ok(0, "q%u: the query is built: %s", k, text.data);
		goto out;
	}
	t0 = now();
	if (!want_st)
		hits = model_hits(o, q, &n);
	want = xmalloc((n ? n : 1) * sizeof(*want));
	c->model_s += now() - t0;
	c->nonempty += n > 0;
	ncalls = plan_calls(g, c->has_prefix, calls);
	for (size_t i = 0; i < ncalls && !bad; i++) {
		size_t nwant = 0, merged = 0;

		if (hits) {
			sort_hits(hits, n, calls[i].sort);
			nwant = expect_hits(o, hits, n, &calls[i], want,
					    &merged);
		}
		count_call(c, &calls[i], nwant, merged);
		bad = check_call(s, tq, &calls[i], want_st, want, nwant, c,
				 &diag);
	}
	if (!ok(!bad, "q%u: %zu matches%s: %.300s%s", k, n,
		want_st ? " (prefix over the cap: too large)" : "", text.data,
		text.len > 300 ? "..." : ""))
		printf("#   query: %s\n#   %s", text.data, diag.data);
out:
	free(hits);
	free(want);
	trawl_query_free(tq);
	mq_free(q);
	buf_release(&text);
	buf_release(&diag);
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	*v = strtoull(s, &end, 10);
	return *s && !*end ? 0 : -1;
}

static void print_counts(const struct counts *c, unsigned nq)
{
	printf("# %u queries; at the top:", nq);
	for (int t = 1; t < MQ_NTYPES; t++)
		printf(" %s %lu", mq_type_names[t], c->top[t]);
	printf("\n# nodes:");
	for (int t = 1; t < MQ_NTYPES; t++)
		printf(" %s %lu", mq_type_names[t], c->nodes[t]);
	printf("\n# %lu with matches, %lu too large; %lu engine calls; "
	       "%lu scores compared, %lu bit-identical, largest relative "
	       "error %.3g\n",
	       c->nonempty, c->too_large, c->calls, c->scores, c->exact_scores,
	       c->max_rel);
	printf("# %lu item ranges; %lu path prefixes matched something, %lu "
	       "nothing\n", c->item_ranges, c->paths_matched, c->paths_empty);
	printf("# %lu calls with options: collapse none %lu, copies %lu, "
	       "threads %lu; %lu with kinds; %lu collapsing with hits, %lu "
	       "where collapsing left matches out\n", c->opt_calls,
	       c->by_collapse[0], c->by_collapse[1], c->by_collapse[2],
	       c->kinds_calls, c->groups, c->merged);
	printf("# seconds: model %.2f, engine %.2f (%.2f on queries with a "
	       "prefix; slowest call %.3f, q%u)\n", c->model_s, c->engine_s,
	       c->prefix_s, c->slowest_s, c->slowest_q);
}

static int64_t count_segments(const char *archive)
{
	char path[4096];
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int64_t n = -1;

	snprintf(path, sizeof(path), "%s/trawl.db", archive);
	if (!sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) &&
	    !sqlite3_prepare_v2(db, "SELECT count(*) FROM segments", -1, &q,
				NULL) &&
	    sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

/* With a model from an earlier copy of the archive: its items that the
 * archive no longer has were removed with --keep-index.  They still count
 * in the statistics (until a merge) but match nothing.  Returns how many,
 * or -1. */
static long mark_removed(struct oracle *o, const char *archive)
{
	char path[4096];
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	long n = 0;

	snprintf(path, sizeof(path), "%s/trawl.db", archive);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ||
	    sqlite3_prepare_v2(db, "SELECT 1 FROM items WHERE id = ?", -1, &q,
			       NULL)) {
		sqlite3_close(db);
		return -1;
	}
	for (size_t i = 0; i < o->ndocs; i++) {
		sqlite3_bind_int64(q, 1, o->docs[i].item);
		if (sqlite3_step(q) != SQLITE_ROW) {
			o->docs[i].deleted = 1;
			n++;
		}
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

int main(int argc, char **argv)
{
	struct oracle o = { 0 };
	struct gen g = { 0 };
	struct counts c = { 0 };
	trawl_archive *a = NULL;
	trawl_searcher *s = NULL;
	uint64_t seed, nq;
	int64_t nsegs = 0;
	trawl_status st;
	clock_t t0 = clock();

	if ((argc != 4 && argc != 5) || parse_u64(argv[2], &seed) ||
	    parse_u64(argv[3], &nq)) {
		fprintf(stderr, "usage: oracle ARCHIVE SEED NQUERIES "
			"[MODEL_ARCHIVE]\n");
		return 2;
	}
	if (!(o.an = analyzer_new()) ||
	    model_load(&o, argc == 5 ? argv[4] : argv[1], &nsegs)) {
		ok(0, "the model is built from %s/trawl.db",
		   argc == 5 ? argv[4] : argv[1]);
		goto out;
	}
	if (argc == 5) {
		long removed = mark_removed(&o, argv[1]);

		if (!ok(removed > 0, "the model knows %ld items removed since "
			"(deleted in the index, counted in its statistics)",
			removed))
			goto out;
		/* the live archive's segment count */
		nsegs = count_segments(argv[1]);
	}
	if (!ok(!relations_load(&o, argv[1]), "the model's copies, threads "
		"and source paths are read from %s/trawl.db", argv[1]))
		goto out;
	relations_print(&o);
	printf("# model: %zu documents, %zu terms, %zu keyword values, "
	       "%" PRId64 " segments, built in %.2f s\n", o.ndocs, o.terms.n,
	       o.kws.n, nsegs, (double)(clock() - t0) / CLOCKS_PER_SEC);
	printf("# segments: %" PRId64 "\n", nsegs);
	st = trawl_archive_open(argv[1], TRAWL_OPEN_READ, &a);
	if (!ok(!st, "the archive opens: %s", trawl_archive_errmsg(a)))
		goto out;
	st = trawl_searcher_open(a, &s);
	if (!ok(!st, "the searcher opens: %s", trawl_searcher_errmsg(s)))
		goto out;
	is_int(trawl_searcher_docs(s), o.ndocs,
	       "the index holds every item of trawl.db");
	g.s = seed;
	g.o = &o;
	gen_bands(&g);
	printf("# bands (exact / stem): df 1: %zu / %zu; 2..10: %zu / %zu; "
	       "medium: %zu / %zu; top: %zu / %zu\n", g.nband[0][0],
	       g.nband[1][0], g.nband[0][1], g.nband[1][1], g.nband[0][2],
	       g.nband[1][2], g.nband[0][3], g.nband[1][3]);
	t0 = clock();
	for (unsigned k = 0; k < nq; k++)
		run_query(&o, s, &g, k, &c);
	print_counts(&c, (unsigned)nq);
	printf("# queries ran in %.2f s\n",
	       (double)(clock() - t0) / CLOCKS_PER_SEC);
out:
	gen_release(&g);
	trawl_searcher_close(s);
	trawl_archive_close(a);
	analyzer_free(o.an);
	model_release(&o);
	return tap_done();
}
