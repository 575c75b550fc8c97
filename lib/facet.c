/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * facet.c - exact facet counts over a query's matching set.
 *
 * The matching set of each segment becomes a bitmap (deleted documents
 * left out).  Doc-value facets (kind, month) read their column for each
 * set bit.  Keyword facets (senders, recipients, domains, attachment
 * types, extensions) walk the postings of the facet's keyword fields
 * against the bitmap, so their cost follows the number of such postings,
 * not the size of the match.  A value found in several fields (an address
 * in To and in Cc) or several keys (the addresses of one domain) counts a
 * document once: a stamp per document records the last value counted.
 * Counts add up across segments by value.
 *
 * With copies collapsed, a mail and its copies (same content hash) count
 * once per value: a value counts the group if any matching copy has it
 * (copies can differ in Bcc, Sender or attachment names).  Only documents
 * with copies need the check: a set of (group, value) pairs, across
 * segments.
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mailutil.h"
#include "query.h"
#include "search-internal.h"
#include "banned.h"

struct trawl_facets {
	char **value;
	uint64_t *count;
	size_t n;
};

size_t trawl_facets_size(const trawl_facets *f)
{
	return f ? f->n : 0;
}

const char *trawl_facets_value(const trawl_facets *f, size_t i)
{
	return f && i < f->n ? f->value[i] : NULL;
}

uint64_t trawl_facets_docs(const trawl_facets *f, size_t i)
{
	return f && i < f->n ? f->count[i] : 0;
}

void trawl_facets_free(trawl_facets *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		free(f->value[i]);
	free(f->value);
	free(f->count);
	free(f);
}

/* ---- counting ---- */

struct fctx {
	GHashTable *counts;       /* value (owned) -> uint64_t* (owned) */
	const struct segment *seg;
	const uint64_t *bits;     /* matching docs */
	uint32_t *stamp;          /* per doc: last value id + 1 counted */
	uint32_t value_id;
	int oom;
	/* collapsing copies: the map, the value being counted, and the
	 * (group, value) pairs counted */
	const struct threadmap *tm;
	const char *value;
	size_t value_len;
	GHashTable *groups;
};

/* 0 when d is a copy whose group was counted for the current value. */
static int first_of_group(struct fctx *c, uint32_t d)
{
	uint64_t item, g;
	char *key;

	if (!c->groups)
		return 1;
	item = seg_item(c->seg, d);
	if (!c->tm->copy || item >= c->tm->n || !(g = c->tm->copy[item]))
		return 1;
	key = g_strdup_printf("%llu:%.*s", (unsigned long long)g,
			      (int)c->value_len, c->value);
	if (g_hash_table_contains(c->groups, key)) {
		g_free(key);
		return 0;
	}
	g_hash_table_add(c->groups, key);
	return 1;
}

static int match(const struct fctx *c, uint32_t d)
{
	return (c->bits[d >> 6] >> (d & 63)) & 1;
}

static void add(struct fctx *c, const char *value, size_t n, uint64_t k)
{
	uint64_t *p;
	char *key;

	if (!k)
		return;
	key = g_strndup(value, n);
	p = g_hash_table_lookup(c->counts, key);
	if (p) {
		*p += k;
		g_free(key);
		return;
	}
	p = g_new(uint64_t, 1);
	*p = k;
	g_hash_table_insert(c->counts, key, p);
}

/* Counts the matching docs of one postings list not yet stamped with the
 * current value. */
static uint64_t count_list(struct fctx *c, int field,
			   const struct term_info *ti)
{
	struct postings pc;
	uint64_t k = 0;

	postings_init(&pc, c->seg, field, ti);
	for (uint32_t d = postings_next(&pc); d != DOC_END;
	     d = postings_next(&pc)) {
		if (!match(c, d) || c->stamp[d] == c->value_id)
			continue;
		c->stamp[d] = c->value_id;
		k += first_of_group(c, d);
	}
	if (pc.corrupt)
		c->oom = -1;
	return k;
}

/* One key range of a keyword field, merged by value with the others: the
 * dictionary iterators of each field walk together. */
struct kwalk {
	struct seg_dict_iter it;
	struct term_info ti;
	int field, live;
};

static void kwalk_next(struct kwalk *w)
{
	w->live = seg_dict_iter_next(&w->it, &w->ti);
	if (w->live < 0)
		return;
	if (w->live && w->it.key[0] != w->field)
		w->live = 0;
}

static void kwalk_seek(struct kwalk *w, const struct segment *s, int field)
{
	uint8_t key = (uint8_t)field;

	w->field = field;
	/* to the block where the field starts (keys sort by their field
	 * byte first), then to its first key */
	seg_dict_iter_seek(&w->it, s, &key, 1);
	do
		w->live = seg_dict_iter_next(&w->it, &w->ti);
	while (w->live == 1 && w->it.key[0] < key);
	if (w->live == 1 && w->it.key[0] != key)
		w->live = 0;
}

static int vcmp(const struct kwalk *a, const struct kwalk *b)
{
	size_t an = a->it.klen - 1, bn = b->it.klen - 1;
	int r = memcmp(a->it.key + 1, b->it.key + 1, an < bn ? an : bn);

	return r ? r : (an > bn) - (an < bn);
}

/* Counts every value of fields[0..nf) (the same value in several fields
 * counting a doc once). */
static void count_keywords(struct fctx *c, const int *fields, int nf)
{
	struct kwalk w[4];

	for (int i = 0; i < nf; i++)
		kwalk_seek(&w[i], c->seg, fields[i]);
	for (;;) {
		struct kwalk *min = NULL;
		uint64_t k = 0;
		char value[DOCTERMS_MAX_KEY];
		size_t vn;

		for (int i = 0; i < nf; i++) {
			if (w[i].live < 0) {
				c->oom = -1;
				return;
			}
			if (w[i].live && (!min || vcmp(&w[i], min) < 0))
				min = &w[i];
		}
		if (!min)
			return;
		vn = min->it.klen - 1;
		memcpy(value, min->it.key + 1, vn);
		c->value_id++;
		c->value = value;
		c->value_len = vn;
		for (int i = 0; i < nf; i++) {
			if (!w[i].live || w[i].it.klen - 1 != vn ||
			    memcmp(w[i].it.key + 1, value, vn))
				continue;
			k += count_list(c, w[i].field, &w[i].ti);
			kwalk_next(&w[i]);
		}
		add(c, value, vn, k);
	}
}

/* Domains of the addresses in fields[0..nf): each domain counts a doc
 * once however many of its addresses the doc has. */
struct addr_ref {
	const char *domain;  /* into the copied key */
	char *key;
	struct term_info ti;
	int field;
};

static int cmp_ref(const void *a, const void *b)
{
	const struct addr_ref *x = a, *y = b;

	return strcmp(x->domain, y->domain);
}

static void count_domains(struct fctx *c, const int *fields, int nf)
{
	struct addr_ref *refs = NULL;
	size_t n = 0, cap = 0;

	for (int i = 0; i < nf && !c->oom; i++) {
		struct kwalk w;

		for (kwalk_seek(&w, c->seg, fields[i]); w.live == 1;
		     kwalk_next(&w)) {
			char *key, *at;

			if (n == cap) {
				struct addr_ref *p = realloc(refs,
					(cap ? cap * 2 : 256) * sizeof(*p));

				if (!p) {
					c->oom = 1;
					break;
				}
				refs = p;
				cap = cap ? cap * 2 : 256;
			}
			key = g_strndup((const char *)w.it.key + 1,
					w.it.klen - 1);
			at = strrchr(key, '@');
			refs[n++] = (struct addr_ref){ at ? at + 1 : key, key,
						       w.ti, fields[i] };
		}
		if (w.live < 0)
			c->oom = -1;
	}
	if (n)
		qsort(refs, n, sizeof(*refs), cmp_ref);
	for (size_t i = 0; i < n && !c->oom;) {
		size_t j = i;
		uint64_t k = 0;

		c->value_id++;
		c->value = refs[i].domain;
		c->value_len = strlen(refs[i].domain);
		for (; j < n && !strcmp(refs[j].domain, refs[i].domain); j++)
			k += count_list(c, refs[j].field, &refs[j].ti);
		if (*refs[i].domain)
			add(c, refs[i].domain, strlen(refs[i].domain), k);
		i = j;
	}
	for (size_t i = 0; i < n; i++)
		g_free(refs[i].key);
	free(refs);
}

/* "YYYY-MM" of a UTC time. */
static void month_of(int64_t t, char out[16])
{
	int64_t y;
	int m, d;

	civil_from_days((t >= 0 ? t : t - 86399) / 86400, &y, &m, &d);
	g_snprintf(out, 16, "%04lld-%02d", (long long)y, m);
}

static const char *const kind_name[] = { "", "email", "attachment",
					 "document" };

static void count_columns(struct fctx *c, trawl_facet f)
{
	const struct segment *s = c->seg;

	for (uint32_t d = 0; d < s->ndocs; d++) {
		char tmp[16];
		const char *v;

		if (!match(c, d))
			continue;
		if (f == TRAWL_FACET_KIND) {
			uint8_t k = ((const uint8_t *)s->col[COL_KIND])[d];

			if (k >= ARRAY_SIZE(kind_name) || !*kind_name[k])
				continue;
			v = kind_name[k];
		} else {
			month_of(seg_date(s, d), tmp);
			v = tmp;
		}
		c->value = v;
		c->value_len = strlen(v);
		if (first_of_group(c, d))
			add(c, v, strlen(v), 1);
	}
}

static void count_segment(struct fctx *c, trawl_facet f)
{
	static const int from[] = { KW_FROM };
	static const int rcpt[] = { KW_TO, KW_CC, KW_BCC };
	static const int all[] = { KW_FROM, KW_TO, KW_CC, KW_BCC };
	static const int type[] = { KW_ATTTYPE };
	static const int ext[] = { KW_EXT };

	switch (f) {
	case TRAWL_FACET_KIND:
	case TRAWL_FACET_MONTH:
		count_columns(c, f);
		break;
	case TRAWL_FACET_FROM: count_keywords(c, from, 1); break;
	case TRAWL_FACET_TO: count_keywords(c, rcpt, 3); break;
	case TRAWL_FACET_DOMAIN: count_domains(c, all, 4); break;
	case TRAWL_FACET_TYPE: count_keywords(c, type, 1); break;
	case TRAWL_FACET_EXT: count_keywords(c, ext, 1); break;
	}
}

struct entry {
	const char *value;
	uint64_t count;
};

static int cmp_entry(const void *a, const void *b, void *by_value)
{
	const struct entry *x = a, *y = b;

	if (!*(int *)by_value && x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->value, y->value);
}

static trawl_status collect(GHashTable *counts, trawl_facet f, size_t top,
			    trawl_facets **out)
{
	size_t n = g_hash_table_size(counts), k = 0;
	struct entry *e = malloc((n + 1) * sizeof(*e));
	trawl_facets *r = calloc(1, sizeof(*r));
	int by_value = f == TRAWL_FACET_MONTH;
	GHashTableIter it;
	gpointer key, val;

	if (!e || !r)
		goto nomem;
	g_hash_table_iter_init(&it, counts);
	while (g_hash_table_iter_next(&it, &key, &val))
		e[k++] = (struct entry){ key, *(uint64_t *)val };
	qsort_r(e, n, sizeof(*e), cmp_entry, &by_value);
	if (top && n > top)
		n = top;
	r->value = calloc(n + 1, sizeof(*r->value));
	r->count = calloc(n + 1, sizeof(*r->count));
	if (!r->value || !r->count)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		if (!(r->value[i] = strdup(e[i].value)))
			goto nomem;
		r->count[i] = e[i].count;
		r->n = i + 1;
	}
	free(e);
	*out = r;
	return TRAWL_OK;
nomem:
	free(e);
	trawl_facets_free(r);
	return TRAWL_ERR_NOMEM;
}

trawl_status trawl_search_facets(trawl_searcher *s, const trawl_query *q,
				 const trawl_search_options *o,
				 const trawl_facet *fs, size_t nf, size_t top,
				 trawl_facets **out)
{
	GHashTable *counts = NULL;
	uint64_t **bits = NULL;
	uint32_t *stamp = NULL;
	size_t nsegs = 0;
	trawl_status st;

	for (size_t k = 0; k < nf; k++) {
		out[k] = NULL;
		if (fs[k] < TRAWL_FACET_KIND || fs[k] > TRAWL_FACET_EXT)
			return searcher_fail(s, TRAWL_ERR_INVALID,
					     "unknown facet");
	}
	st = searcher_match_bits(s, q, o, &bits, &nsegs);
	for (size_t k = 0; k < nf && !st; k++) {
		GHashTable *groups = o && o->collapse
			? g_hash_table_new_full(g_str_hash, g_str_equal,
						g_free, NULL) : NULL;

		counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					       g_free);
		for (size_t i = 0; i < nsegs && !st; i++) {
			struct fctx c = { .counts = counts, .groups = groups,
					  .tm = searcher_threads(s) };

			c.seg = searcher_segment(s, i);
			c.bits = bits[i];
			c.stamp = stamp = calloc(c.seg->ndocs + 1,
						 sizeof(*c.stamp));
			if (!c.stamp)
				st = searcher_fail(s, TRAWL_ERR_NOMEM,
						   "out of memory");
			else
				count_segment(&c, fs[k]);
			if (!st && c.oom)
				st = searcher_fail(s, c.oom < 0
							   ? TRAWL_ERR_CORRUPT
							   : TRAWL_ERR_NOMEM,
						   "facet counts: %s",
						   c.oom < 0
							   ? "corrupt index "
							     "segment"
							   : "out of memory");
			free(stamp);
			stamp = NULL;
		}
		if (!st && collect(counts, fs[k], top, &out[k]))
			st = searcher_fail(s, TRAWL_ERR_NOMEM, "out of memory");
		g_hash_table_destroy(counts);
		if (groups)
			g_hash_table_destroy(groups);
	}
	for (size_t i = 0; i < nsegs; i++)
		free(bits[i]);
	free(bits);
	if (st)
		for (size_t k = 0; k < nf; k++) {
			trawl_facets_free(out[k]);
			out[k] = NULL;
		}
	return st;
}

trawl_status trawl_search_facet(trawl_searcher *s, const trawl_query *q,
				trawl_facet f, size_t top, trawl_facets **out)
{
	return trawl_search_facets(s, q, NULL, &f, 1, top, out);
}
