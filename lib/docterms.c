/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * docterms.c - turning an item's values into its doc terms record.
 *
 * Runs in the parser workers, right after a unit is parsed, so that the
 * analysis (the costly part of indexing) is spread over every core; the
 * ingest process only inverts the records (invert.c).  The same function
 * rebuilds records from trawl.db for `trawl reindex`.
 *
 * What goes where (docs/FORMAT.md repeats it):
 *   subject          FLD_SUBJECT
 *   body text        FLD_BODY
 *   From, Sender     FLD_FROM: display name, then address, per mailbox
 *   To / Cc / Bcc    FLD_TO / FLD_CC / FLD_BCC, the same way
 *   file names       FLD_ATTNAME: an email's attachments' names; an
 *                    attachment's or document's own name
 *   keyword fields   exact addresses per role, Message-ID, kind, MIME
 *                    type, extension, has:attachment, date:guessed,
 *                    attachment MIME types
 * Text fields keep positions (values of one field INDEX_VALUE_GAP apart).
 * A word's stem key (the stem field) is not in the record: the inverter
 * derives the stem keys from the word keys when it flushes (invert.c,
 * derive_stems), but for words of a length that the key's text cannot
 * tell from a cut segment of letters and digits (STEM_AMBIGUOUS), whose
 * stem entries stay here.  A field's length is the number of exact
 * tokens in it.
 */
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "analyze.h"
#include "blob.h"
#include "bounds.h"
#include "codec.h"
#include "index.h"
#include "internal.h"
#include "wire.h"
#include "banned.h"

struct entry {
	uint32_t koff, klen; /* key in keys */
	uint32_t freq;
	uint32_t hash;
	int32_t stem;        /* a word's stem entry, once known; -1 */
};

struct occ {
	uint32_t entry, pos;
};

struct unit_values;

struct docterms_builder {
	struct analyzer *an;
	struct entry *e;
	size_t ne, ce;
	uint32_t *slot;      /* open addressing: entry index + 1, 0 = empty */
	size_t nslot;        /* power of two */
	struct buf keys;
	struct occ *occ;     /* exact tokens of text fields, in order */
	size_t nocc, cocc;
	uint32_t lens[FLD_NTEXT];
	uint32_t *start;     /* per entry: first index into sorted */
	uint32_t *sorted;    /* positions grouped by entry */
	size_t csorted, cstart;
	struct unit_values *uv;
	ZSTD_DCtx *dctx;     /* for bodies, made once */
	trawl_status err;
	int field;           /* while analyzing */
	struct buf body;     /* decompressed body */
};

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * size);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

static int rehash(struct docterms_builder *b, size_t nslot)
{
	uint32_t *s = calloc(nslot, sizeof(*s));

	if (!s)
		return -1;
	for (size_t i = 0; i < b->ne; i++) {
		size_t j = b->e[i].hash & (nslot - 1);

		while (s[j])
			j = (j + 1) & (nslot - 1);
		s[j] = (uint32_t)i + 1;
	}
	free(b->slot);
	b->slot = s;
	b->nslot = nslot;
	return 0;
}

/* Finds or adds the key (field byte + text, cut to DOCTERMS_MAX_KEY);
 * returns its entry or -1.  The text is hashed and compared where it is,
 * and copied only into a new entry. */
static long intern(struct docterms_builder *b, int field, const char *text,
		   size_t len)
{
	size_t klen = 1 + len, j;
	uint32_t h;

	if (klen > DOCTERMS_MAX_KEY)
		klen = DOCTERMS_MAX_KEY;
	len = klen - 1;
	h = key_hash_seed((const uint8_t *)text, len, (uint64_t)field << 8);
	if ((b->ne + 1) * 2 > b->nslot &&
	    rehash(b, b->nslot ? b->nslot * 2 : 1024))
		return -1;
	for (j = h & (b->nslot - 1); b->slot[j]; j = (j + 1) & (b->nslot - 1)) {
		struct entry *e = &b->e[b->slot[j] - 1];
		const uint8_t *k = (const uint8_t *)b->keys.data + e->koff;

		if (e->hash == h && e->klen == klen && k[0] == field &&
		    !memcmp(k + 1, text, len))
			return (long)(b->slot[j] - 1);
	}
	if (grow((void **)&b->e, &b->ce, b->ne + 1, sizeof(*b->e)))
		return -1;
	b->e[b->ne] = (struct entry){ .koff = (uint32_t)b->keys.len,
				      .klen = (uint32_t)klen, .hash = h,
				      .stem = -1 };
	if (buf_putc(&b->keys, field) || buf_append(&b->keys, text, len))
		return -1;
	b->slot[j] = (uint32_t)b->ne + 1;
	return (long)b->ne++;
}

static int on_token(void *ctx, const struct token *t)
{
	struct docterms_builder *b = ctx;
	long e = intern(b, b->field, t->text, t->len);

	if (e < 0 || grow((void **)&b->occ, &b->cocc, b->nocc + 1,
			  sizeof(*b->occ)))
		goto fail;
	b->e[e].freq++;
	b->occ[b->nocc++] = (struct occ){ (uint32_t)e, t->pos };
	b->lens[b->field]++;
	/* Stem entries only for words of an ambiguous length (analyze.h):
	 * the inverter derives the others from the word keys when it
	 * flushes (invert.c, derive_stems). */
	if (t->kind == TOK_WORD && STEM_AMBIGUOUS(t->len)) {
		long s = b->e[e].stem;

		if (s < 0) {
			size_t slen;
			const char *stem = analyzer_stem(b->an, t, &slen);

			if (!stem)
				return 0;
			s = intern(b, b->field + FLD_STEM, stem, slen);
			if (s < 0)
				goto fail;
			b->e[e].stem = (int32_t)s;
		}
		b->e[s].freq++;
	}
	return 0;
fail:
	b->err = TRAWL_ERR_NOMEM;
	return 1;
}

/* Analyzes one value of a text field; *pos is the field's next position. */
static void add_text(struct docterms_builder *b, int field, const char *s,
		     size_t n, uint32_t *pos)
{
	uint32_t next;

	if (!s || !n || b->err)
		return;
	b->field = field;
	next = analyzer_run(b->an, s, n, *pos, on_token, b);
	if (next != *pos)
		*pos = next + INDEX_VALUE_GAP;
}

static void add_keyword(struct docterms_builder *b, int field, const char *s,
			size_t n)
{
	long e;

	if (!s || !n || b->err)
		return;
	e = intern(b, field, s, n);
	if (e < 0)
		b->err = TRAWL_ERR_NOMEM;
	else
		b->e[e].freq = 1;
}

static const char *const kind_names[] = { "", "email", "attachment",
					   "document" };

static void add_extension(struct docterms_builder *b, const char *name,
			  size_t n)
{
	char ext[17];
	size_t i = n, m;

	while (i > 0 && name[i - 1] != '.' && name[i - 1] != '/')
		i--;
	if (i == 0 || name[i - 1] != '.' || i == n || n - i >= sizeof(ext))
		return;
	m = n - i;
	for (size_t j = 0; j < m; j++) {
		char c = name[i + j];

		ext[j] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	add_keyword(b, KW_EXT, ext, m);
}

static void add_lower(struct docterms_builder *b, int field, const char *s,
		      size_t n)
{
	char tmp[256];

	if (!s || n >= sizeof(tmp))
		return;
	for (size_t j = 0; j < n; j++)
		tmp[j] = (s[j] >= 'A' && s[j] <= 'Z') ? (char)(s[j] + 32)
						      : s[j];
	add_keyword(b, field, tmp, n);
}

static void reset(struct docterms_builder *b)
{
	/* A table grown for a big document is dropped rather than cleared
	 * for each small one after it (Enron has bodies of 100,000 words;
	 * most have a few hundred): a small table is cleared in a few
	 * cache lines and probed in L1. */
	if (b->nslot > 4096 && b->ne * 8 < b->nslot) {
		free(b->slot);
		b->slot = NULL;
		b->nslot = 0;
	} else if (b->nslot) {
		memset(b->slot, 0, b->nslot * sizeof(*b->slot));
	}
	b->ne = b->nocc = 0;
	buf_reset(&b->keys);
	memset(b->lens, 0, sizeof(b->lens));
	b->err = TRAWL_OK;
}

static const int role_field[] = {
	[TRAWL_ROLE_FROM] = FLD_FROM, [TRAWL_ROLE_SENDER] = FLD_FROM,
	[TRAWL_ROLE_REPLY_TO] = -1,   [TRAWL_ROLE_TO] = FLD_TO,
	[TRAWL_ROLE_CC] = FLD_CC,     [TRAWL_ROLE_BCC] = FLD_BCC,
};

static void add_values(struct docterms_builder *b, const struct doc_values_in *v)
{
	uint32_t pos[FLD_NTEXT] = { 0 };

	add_text(b, FLD_SUBJECT, v->subject, v->subject_len, &pos[FLD_SUBJECT]);
	add_text(b, FLD_BODY, v->body, v->body_len, &pos[FLD_BODY]);
	for (size_t i = 0; i < v->naddrs; i++) {
		int r = v->roles[i];
		int f = (r >= 0 && r < (int)ARRAY_SIZE(role_field))
				? role_field[r] : -1;

		if (f < 0)
			continue;
		add_text(b, f, v->names[i], v->name_lens[i], &pos[f]);
		add_text(b, f, v->addrs[i], v->addr_lens[i], &pos[f]);
		add_keyword(b, KW_FROM + (f - FLD_FROM), v->addrs[i],
			    v->addr_lens[i]);
	}
	for (size_t i = 0; i < v->nnames; i++) {
		add_text(b, FLD_ATTNAME, v->attnames[i], v->attname_lens[i],
			 &pos[FLD_ATTNAME]);
		add_extension(b, v->attnames[i], v->attname_lens[i]);
	}
	for (size_t i = 0; i < v->ntypes; i++)
		add_lower(b, KW_ATTTYPE, v->atttypes[i], v->atttype_lens[i]);
	add_keyword(b, KW_MSGID, v->msgid, v->msgid_len);
	if (v->kind > 0 && v->kind < (int)ARRAY_SIZE(kind_names))
		add_keyword(b, KW_KIND, kind_names[v->kind],
			    strlen(kind_names[v->kind]));
	add_lower(b, KW_MIME, v->mime, v->mime_len);
	if (v->has_attachment)
		add_keyword(b, KW_HAS, "attachment", 10);
	if (v->date_guessed)
		add_keyword(b, KW_DATE, "guessed", 7);
}

/* Groups the positions of each exact entry (a counting sort). */
static int group_positions(struct docterms_builder *b)
{
	if (grow((void **)&b->start, &b->cstart, b->ne + 1, sizeof(uint32_t)) ||
	    grow((void **)&b->sorted, &b->csorted, b->nocc + 1,
		 sizeof(uint32_t)))
		return -1;
	memset(b->start, 0, (b->ne + 1) * sizeof(uint32_t));
	for (size_t i = 0; i < b->nocc; i++)
		b->start[b->occ[i].entry + 1]++;
	for (size_t i = 0; i < b->ne; i++)
		b->start[i + 1] += b->start[i];
	for (size_t i = 0; i < b->nocc; i++) {
		struct occ o = b->occ[i];

		b->sorted[b->start[o.entry]++] = o.pos;
	}
	/* start[e] now points past entry e's run: shift back */
	for (size_t i = b->ne; i > 0; i--)
		b->start[i] = b->start[i - 1];
	b->start[0] = 0;
	return 0;
}

static trawl_status serialize(struct docterms_builder *b, struct buf *out)
{
	size_t nlen = 0;

	if (group_positions(b))
		return TRAWL_ERR_NOMEM;
	for (int f = 0; f < FLD_NTEXT; f++)
		nlen += b->lens[f] != 0;
	varint_append(out, nlen);
	for (int f = 0; f < FLD_NTEXT; f++) {
		if (!b->lens[f])
			continue;
		buf_putc(out, f);
		varint_append(out, b->lens[f]);
	}
	varint_append(out, b->ne);
	for (size_t i = 0; i < b->ne; i++) {
		const struct entry *e = &b->e[i];
		const uint8_t *k = (const uint8_t *)b->keys.data + e->koff;
		int freq = field_has_freq(k[0]);
		int pos = freq && field_has_pos(k[0]);
		/* room for the whole entry, written in place: the key's
		 * length and the freq take at most 10 bytes each, a
		 * position gap (u32) 5 */
		uint8_t *w = (uint8_t *)buf_reserve(
			out, 20 + e->klen + (pos ? (size_t)e->freq * 5 : 0));
		uint8_t *q = w;

		if (!w)
			return out->err;
		q += varint_put(q, e->klen);
		memcpy(q, k, e->klen);
		q += e->klen;
		if (freq)
			q += varint_put(q, e->freq);
		for (uint32_t j = 0, prev = 0; pos && j < e->freq; j++) {
			uint32_t p = b->sorted[b->start[i] + j];

			if (p - prev < 0x80)
				*q++ = (uint8_t)(p - prev); /* most gaps */
			else
				q += varint_put(q, p - prev);
			prev = p;
		}
		buf_commit(out, (size_t)(q - w));
	}
	return out->err;
}

trawl_status docterms_build(struct docterms_builder *b,
			    const struct doc_values_in *v, struct buf *out)
{
	reset(b);
	add_values(b, v);
	if (b->err)
		return b->err;
	return serialize(b, out);
}

/* ---- from a worker's result ---- */

#define MAX_ADDRS (6 * TRAWL_MAX_ADDRS_PER_FIELD)
#define MAX_NAMES (TRAWL_MAX_MIME_PARTS + 2)

struct unit_values {
	int roles[MAX_ADDRS];
	const char *names[MAX_ADDRS], *addrs[MAX_ADDRS];
	size_t name_lens[MAX_ADDRS], addr_lens[MAX_ADDRS];
	const char *att[MAX_NAMES], *types[MAX_NAMES];
	size_t att_lens[MAX_NAMES], type_lens[MAX_NAMES];
};

static void item_values(const struct rec_unit *u, size_t idx,
			struct unit_values *uv, struct doc_values_in *v)
{
	const struct rec_item *it = &u->items[idx];
	size_t n = 0, nt = 0;

	*v = (struct doc_values_in){ 0 };
	v->subject = it->subject.p;
	v->subject_len = it->subject.n;
	v->msgid = it->message_id.p;
	v->msgid_len = it->message_id.n;
	v->kind = it->kind;
	v->mime = it->mime_type.p;
	v->mime_len = it->mime_type.n;
	v->date_guessed = it->kind == TRAWL_KIND_EMAIL &&
			  (!it->has_date ||
			   it->date_source != TRAWL_DATE_HEADER);
	for (size_t i = 0; i < it->naddrs && i < MAX_ADDRS; i++) {
		uv->roles[i] = it->addrs[i].role;
		uv->names[i] = it->addrs[i].name.p;
		uv->name_lens[i] = it->addrs[i].name.n;
		uv->addrs[i] = it->addrs[i].addr.p;
		uv->addr_lens[i] = it->addrs[i].addr.n;
	}
	v->naddrs = it->naddrs < MAX_ADDRS ? it->naddrs : MAX_ADDRS;
	v->roles = uv->roles;
	v->names = uv->names;
	v->name_lens = uv->name_lens;
	v->addrs = uv->addrs;
	v->addr_lens = uv->addr_lens;
	if (it->kind != TRAWL_KIND_EMAIL) {
		if (it->name.p) {
			uv->att[n] = it->name.p;
			uv->att_lens[n++] = it->name.n;
		}
		if (it->mime_type.p) {
			uv->types[nt] = it->mime_type.p;
			uv->type_lens[nt++] = it->mime_type.n;
		}
	} else {
		for (size_t i = idx + 1; i < u->nitems && n < MAX_NAMES; i++) {
			const struct rec_item *c = &u->items[i];

			if (c->parent != (int)idx ||
			    c->kind != TRAWL_KIND_ATTACHMENT)
				continue;
			v->has_attachment = 1;
			if (c->name.p) {
				uv->att[n] = c->name.p;
				uv->att_lens[n++] = c->name.n;
			}
			if (c->mime_type.p) {
				uv->types[nt] = c->mime_type.p;
				uv->type_lens[nt++] = c->mime_type.n;
			}
		}
	}
	v->ntypes = nt;
	v->atttypes = uv->types;
	v->atttype_lens = uv->type_lens;
	v->nnames = n;
	v->attnames = uv->att;
	v->attname_lens = uv->att_lens;
}

trawl_status docterms_build_unit(struct docterms_builder *b,
				 const struct rec_unit *u,
				 docterms_body_fn *body, const void *ctx,
				 struct buf *out)
{
	struct unit_values *uv = b->uv;
	struct buf rec;
	trawl_status st = TRAWL_OK;

	buf_init(&rec, out->max);
	for (size_t i = 0; i < u->nitems; i++) {
		const struct rec_item *it = &u->items[i];
		struct doc_values_in v;
		uint8_t idx[4];

		item_values(u, i, uv, &v);
		buf_reset(&b->body);
		if (it->bodyz.p && body &&
		    (v.body = body(ctx, i, &v.body_len)) != NULL) {
			if (v.body_len != it->body_len) {
				st = TRAWL_ERR_INTERNAL;
				goto out;
			}
		} else if (it->bodyz.p) {
			if (!b->dctx && !(b->dctx = ZSTD_createDCtx())) {
				st = TRAWL_ERR_NOMEM;
				goto out;
			}
			st = blob_decompress(b->dctx, it->bodyz.p, it->bodyz.n,
					     it->body_len, &b->body);
			if (st)
				goto out;
			v.body = b->body.data;
			v.body_len = b->body.len;
		}
		buf_reset(&rec);
		wire_set_u32(idx, (uint32_t)i);
		buf_append(&rec, idx, 4);
		if ((st = docterms_build(b, &v, &rec)) || (st = rec.err))
			goto out;
		wire_put(out, W_TERMS, rec.data, rec.len);
	}
	st = out->err;
out:
	buf_release(&rec);
	return st;
}

struct docterms_builder *docterms_builder_new(void)
{
	struct docterms_builder *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->an = analyzer_new();
	if (b->an)
		analyzer_lazy_stems(b->an, 1);
	b->uv = malloc(sizeof(*b->uv));
	if (!b->an || !b->uv) {
		analyzer_free(b->an);
		free(b->uv);
		free(b);
		return NULL;
	}
	buf_init(&b->keys, (size_t)1 << 31);
	buf_init(&b->body, TRAWL_MAX_BODY_TEXT + 1);
	return b;
}

void docterms_builder_free(struct docterms_builder *b)
{
	if (!b)
		return;
	analyzer_free(b->an);
	free(b->uv);
	free(b->e);
	free(b->slot);
	free(b->occ);
	free(b->start);
	free(b->sorted);
	buf_release(&b->keys);
	buf_release(&b->body);
	ZSTD_freeDCtx(b->dctx);
	free(b);
}

/* ---- reading ---- */

int docterms_open(struct docterms_cursor *c, const void *data, size_t len,
		  uint32_t lens[FLD_NTEXT])
{
	uint64_t n, l;

	c->p = data;
	c->end = c->p + len;
	memset(lens, 0, FLD_NTEXT * sizeof(*lens));
	if (varint_get(&c->p, c->end, &n) || n > FLD_NTEXT)
		return -1;
	while (n--) {
		int f;

		if (c->p >= c->end)
			return -1;
		f = *c->p++;
		if (!field_is_text(f) || varint_get(&c->p, c->end, &l) ||
		    l > UINT32_MAX || lens[f])
			return -1;
		lens[f] = (uint32_t)l;
	}
	if (varint_get(&c->p, c->end, &n) || n > (uint64_t)(c->end - c->p))
		return -1;
	c->nterms = (uint32_t)n;
	return 0;
}

int docterms_next(struct docterms_cursor *c, struct docterm *t)
{
	uint64_t klen, freq = 1;
	const uint8_t *p0;

	if (!c->nterms)
		return c->p == c->end ? 0 : -1;
	c->nterms--;
	if (varint_get(&c->p, c->end, &klen) || klen < 1 ||
	    klen > DOCTERMS_MAX_KEY || klen > (uint64_t)(c->end - c->p))
		return -1;
	t->key = c->p;
	t->klen = klen;
	c->p += klen;
	if (t->key[0] >= FLD_MAX)
		return -1;
	t->pos = NULL;
	t->pos_len = 0;
	if (field_has_freq(t->key[0]) &&
	    (varint_get(&c->p, c->end, &freq) || freq < 1 ||
	     freq > (uint64_t)UINT32_MAX))
		return -1;
	t->freq = (uint32_t)freq;
	if (field_has_pos(t->key[0])) {
		p0 = c->p;
		for (uint64_t j = 0; j < freq; j++) {
			uint32_t d;

			if (varint_get32(&c->p, c->end, &d))
				return -1;
		}
		t->pos = p0;
		t->pos_len = (size_t)(c->p - p0);
	}
	return 1;
}
