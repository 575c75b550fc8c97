/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz-highlight.c - highlights a text for a query and checks the promises
 * of trawl.h ("Highlighting") on the result.
 *
 * Input: byte 0 picks max_passages (0-7), byte 1 passage_bytes (0-510),
 * byte 2 the shape of the query and the field; then the query bytes, a
 * NUL, and the text.  Without a NUL the same bytes are query and text, so
 * that the query surely matches.  The query bytes are analyzed and each
 * token (at most MAX_ITEMS) becomes one kid of a boolean query: an exact
 * term, a stem term, a prefix of its first bytes, or a phrase of it and
 * the next tokens, with an occur and a field mask taken from the shape
 * byte and the token's index; every third kid goes into a nested boolean.
 *
 * Checked: the status; 1 to max_passages passages with offsets in order;
 * each passage's text valid UTF-8 of its length, with no control byte,
 * no doubled, leading or trailing space; marks inside it, in order, not
 * overlapping, not cutting a character, each holding at least one token;
 * with query and text the same, at least one match when an exact term of
 * the field is not negated; and the same result from a second call.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "mailutil.h"
#include "trawl.h"
#include "banned.h"

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond))                                                 \
			__builtin_trap();                                    \
	} while (0)

#define MAX_ITEMS 12
#define MAX_QUERY 512

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct analyzer *an;
static trawl_highlighter *hlr;

struct qtok {
	char text[TRAWL_COMPOUND_MAX + 1];
	char stem[TRAWL_TOKEN_MAX + 1];
};

struct qtoks {
	struct qtok t[MAX_ITEMS + 3];
	size_t n;
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	an = analyzer_new();
	hlr = trawl_highlighter_new();
	return 0;
}

static int on_qtok(void *ctx, const struct token *t)
{
	struct qtoks *q = ctx;
	struct qtok *k = &q->t[q->n++];

	memcpy(k->text, t->text, t->len + 1);
	k->stem[0] = '\0';
	if (t->stem)
		memcpy(k->stem, t->stem, t->stem_len + 1);
	return q->n == MAX_ITEMS + 3;
}

static int on_any(void *ctx, const struct token *t)
{
	*(int *)ctx = 1;
	return 1;
}

/* One kid for token i; *exact: it is a plain exact term. */
static trawl_query *make_kid(const struct qtoks *qt, size_t i, unsigned shape,
			     unsigned fields, int *exact)
{
	const struct qtok *k = &qt->t[i];
	const char *terms[4];
	char pre[4];
	size_t n = 0, plen;

	*exact = 0;
	switch ((shape + i) % 4) {
	case 0:
		*exact = 1;
		return trawl_query_term(k->text, fields, 0);
	case 1:
		return trawl_query_term(k->stem[0] ? k->stem : k->text, fields,
					1);
	case 2:
		plen = 1 + (shape >> 3) % 3;
		plen = plen < strlen(k->text) ? plen : strlen(k->text);
		memcpy(pre, k->text, plen);
		pre[plen] = '\0';
		return trawl_query_prefix(pre, fields);
	default:
		while (n < 1 + (shape >> 2) % 3 && i + n < qt->n) {
			terms[n] = qt->t[i + n].text;
			n++;
		}
		return trawl_query_phrase(terms, n, fields, (shape >> 5) % 3);
	}
}

/* The query for the tokens; *sure: a match is certain in the same text. */
static trawl_query *make_query(const struct qtoks *qt, unsigned shape,
			       unsigned field, int *sure)
{
	static const unsigned masks[] = { TRAWL_FIELD_ALL, TRAWL_FIELD_BODY,
					  TRAWL_FIELD_SUBJECT };
	trawl_query *root = trawl_query_bool(), *nest = trawl_query_bool();
	int nest_neg = (shape >> 6) & 1;

	*sure = 0;
	for (size_t i = 0; i < qt->n && i < MAX_ITEMS && root && nest; i++) {
		unsigned fields = masks[(shape / 3 + i) % 3];
		trawl_occur occur = (trawl_occur)((shape + 2 * i) % 3);
		int exact, nested = i % 3 == 2;
		trawl_query *k = make_kid(qt, i, shape, fields, &exact);

		if (!k)
			continue;
		if (exact && occur != TRAWL_MUST_NOT && (fields & field) &&
		    !(nested && nest_neg))
			*sure = 1;
		trawl_query_add(nested ? nest : root, occur, k);
	}
	if (root && nest)
		trawl_query_add(root, nest_neg ? TRAWL_MUST_NOT : TRAWL_SHOULD,
				nest);
	else
		trawl_query_free(nest);
	return root;
}

static void check_result(const trawl_highlight *hl, size_t maxp, size_t size)
{
	size_t np = trawl_highlight_npassages(hl), prev = 0;

	maxp = maxp ? maxp : 3;
	CHECK(np >= 1 && np <= maxp);
	CHECK(trawl_highlight_passage(hl, np) == NULL);
	CHECK(trawl_highlight_nmatches(hl) <= 16384);
	for (size_t i = 0; i < np; i++) {
		const trawl_passage *p = trawl_highlight_passage(hl, i);
		size_t end = 0;

		CHECK(p && p->text && strlen(p->text) == p->len);
		CHECK(utf8_valid(p->text, p->len));
		for (size_t j = 0; j < p->len; j++)
			CHECK((uint8_t)p->text[j] >= 0x20 &&
			      p->text[j] != 0x7f);
		CHECK(!strstr(p->text, "  "));
		CHECK(!p->len || (p->text[0] != ' ' &&
				  p->text[p->len - 1] != ' '));
		CHECK(p->offset <= size && (!i || p->offset > prev));
		CHECK(!p->cut_before || p->offset > 0);
		prev = p->offset;
		for (size_t m = 0; m < p->nmarks; m++) {
			const trawl_mark *k = &p->marks[m];
			int any = 0;

			CHECK(k->start < k->end && k->end <= p->len);
			CHECK(k->start >= end);
			end = k->end;
			CHECK(utf8_valid(p->text + k->start,
					 k->end - k->start));
			analyzer_run(an, p->text + k->start, k->end - k->start,
				     0, on_any, &any);
			CHECK(any);
		}
	}
}

static int same(const trawl_highlight *a, const trawl_highlight *b)
{
	if (trawl_highlight_npassages(a) != trawl_highlight_npassages(b) ||
	    trawl_highlight_nmatches(a) != trawl_highlight_nmatches(b))
		return 0;
	for (size_t i = 0; i < trawl_highlight_npassages(a); i++) {
		const trawl_passage *p = trawl_highlight_passage(a, i);
		const trawl_passage *q = trawl_highlight_passage(b, i);

		if (p->len != q->len || p->offset != q->offset ||
		    p->nmarks != q->nmarks ||
		    memcmp(p->text, q->text, p->len) ||
		    memcmp(p->marks, q->marks, p->nmarks * sizeof(*p->marks)))
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data + 3, *text, *nul;
	size_t n, qlen, tlen, maxp, pb;
	unsigned shape, field;
	struct qtoks qt = { .n = 0 };
	trawl_query *q;
	trawl_highlight *a = NULL, *b = NULL;
	int sure;

	if (!an || !hlr || size < 3)
		return 0;
	n = size - 3;
	maxp = data[0] % 8;
	pb = 2 * (size_t)data[1];
	shape = data[2];
	field = shape & 0x80 ? TRAWL_FIELD_SUBJECT : TRAWL_FIELD_BODY;
	nul = memchr(d, '\0', n);
	qlen = nul ? (size_t)(nul - d) : n;
	text = nul ? nul + 1 : d;
	tlen = nul ? n - qlen - 1 : n;
	analyzer_run(an, d, qlen < MAX_QUERY ? qlen : MAX_QUERY, 0, on_qtok,
		     &qt);
	if (!(q = make_query(&qt, shape, field, &sure)))
		return 0;
	CHECK(trawl_highlight_text(hlr, q, field, text, tlen, maxp, pb, &a) ==
	      TRAWL_OK);
	check_result(a, maxp, tlen);
	if (!nul && sure && qlen <= MAX_QUERY && tlen < 4096)
		CHECK(trawl_highlight_nmatches(a) >= 1);
	CHECK(trawl_highlight_text(hlr, q, field, text, tlen, maxp, pb, &b) ==
	      TRAWL_OK);
	CHECK(same(a, b));
	trawl_highlight_free(a);
	trawl_highlight_free(b);
	trawl_query_free(q);
	return 0;
}
