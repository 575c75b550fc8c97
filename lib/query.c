/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* query.c - building and freeing query trees (trawl.h). */
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "query.h"
#include "banned.h"

static trawl_query *node(int type)
{
	trawl_query *q = calloc(1, sizeof(*q));

	if (q)
		q->type = type;
	return q;
}

static int valid_term(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > 0 && n < DOCTERMS_MAX_KEY;
}

trawl_query *trawl_query_term(const char *term, unsigned fields, int stem)
{
	trawl_query *q;

	if (!valid_term(term) || !(fields & TRAWL_FIELD_ALL) ||
	    (fields & ~(unsigned)TRAWL_FIELD_ALL) || !(q = node(Q_TERM)))
		return NULL;
	q->fields = fields;
	q->stem = !!stem;
	if (!(q->text = strdup(term))) {
		free(q);
		return NULL;
	}
	return q;
}

trawl_query *trawl_query_phrase(const char *const *terms, size_t n,
				unsigned fields, unsigned slop)
{
	trawl_query *q;

	if (n < 1 || n > TRAWL_MAX_PHRASE_TERMS || !(fields & TRAWL_FIELD_ALL) ||
	    (fields & ~(unsigned)TRAWL_FIELD_ALL) || slop > 1000)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!valid_term(terms[i]))
			return NULL;
	if (!(q = node(Q_PHRASE)))
		return NULL;
	q->fields = fields;
	q->slop = slop;
	q->terms = calloc(n, sizeof(*q->terms));
	if (!q->terms) {
		free(q);
		return NULL;
	}
	q->nterms = n;
	for (size_t i = 0; i < n; i++) {
		if (!(q->terms[i] = strdup(terms[i]))) {
			trawl_query_free(q);
			return NULL;
		}
	}
	return q;
}

trawl_query *trawl_query_prefix(const char *prefix, unsigned fields)
{
	trawl_query *q = trawl_query_term(prefix, fields, 0);

	if (q)
		q->type = Q_PREFIX;
	return q;
}

trawl_query *trawl_query_keyword(trawl_keyword field, const char *value)
{
	trawl_query *q;

	if ((int)field < TRAWL_KW_FROM || (int)field >= FLD_MAX || !valid_term(value) ||
	    !(q = node(Q_KEYWORD)))
		return NULL;
	q->kw = field;
	if (!(q->text = strdup(value))) {
		free(q);
		return NULL;
	}
	return q;
}

trawl_query *trawl_query_range(trawl_column col, int64_t lo, int64_t hi)
{
	trawl_query *q;

	if ((col != TRAWL_COL_DATE && col != TRAWL_COL_SIZE &&
	     col != TRAWL_COL_ITEM) ||
	    !(q = node(Q_RANGE)))
		return NULL;
	q->col = col;
	q->lo = lo;
	q->hi = hi;
	return q;
}

trawl_query *trawl_query_thread(int64_t thread)
{
	trawl_query *q;

	if (thread <= 0 || !(q = node(Q_THREAD)))
		return NULL;
	q->lo = thread;
	return q;
}

trawl_query *trawl_query_path(const char *prefix)
{
	trawl_query *q;

	if (!prefix || !*prefix || strlen(prefix) > TRAWL_MAX_QUERY_LEN ||
	    !(q = node(Q_PATH)))
		return NULL;
	if (!(q->text = strdup(prefix))) {
		free(q);
		return NULL;
	}
	return q;
}

trawl_query *trawl_query_all(void)
{
	return node(Q_ALL);
}

trawl_query *trawl_query_bool(void)
{
	return node(Q_BOOL);
}

trawl_status trawl_query_add(trawl_query *b, trawl_occur occur,
			     trawl_query *child)
{
	struct qchild *k;

	if (!b || b->type != Q_BOOL || !child || occur < TRAWL_MUST ||
	    occur > TRAWL_MUST_NOT) {
		trawl_query_free(child);
		return TRAWL_ERR_INVALID;
	}
	if (b->nkids >= TRAWL_MAX_QUERY_NODES) {
		trawl_query_free(child);
		return TRAWL_ERR_TOO_LARGE;
	}
	k = realloc(b->kids, (b->nkids + 1) * sizeof(*k));
	if (!k) {
		trawl_query_free(child);
		return TRAWL_ERR_NOMEM;
	}
	b->kids = k;
	b->kids[b->nkids++] = (struct qchild){ occur, child };
	return TRAWL_OK;
}

void trawl_query_free(trawl_query *q)
{
	if (!q)
		return;
	free(q->text);
	for (size_t i = 0; i < q->nterms; i++)
		free(q->terms[i]);
	free(q->terms);
	for (size_t i = 0; i < q->nkids; i++)
		trawl_query_free(q->kids[i].q);
	free(q->kids);
	free(q);
}
