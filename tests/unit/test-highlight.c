/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test-highlight.c - table-driven tests of lib/highlight.c.
 *
 * Queries are written as items separated by spaces, each one kid of a
 * boolean query: an optional occur ('+' MUST, '-' MUST_NOT, else
 * SHOULD), an optional field ("S=" subject only, "B=" body only, else
 * every field), then "t:form" (exact term), "s:stem" (stem term),
 * "p:prefix" or "q:a,b,c~slop" (phrase; "~slop" optional).
 *
 * Results are rendered as the passages joined by " | ", each with "..."
 * for cut_before / cut_after and "[" "]" around its marks, and compared
 * whole.  Every result is also checked against the contract: passage
 * count, valid UTF-8 without NUL or control bytes, collapsed white space,
 * offsets in order, marks in range, ordered, not overlapping, and each
 * mark's text, analyzed again, giving a token that the query matches.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "mailutil.h"
#include "query.h"
#include "tap.h"
#include "highlight.h"
#include "trawl.h"
#include "banned.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

#define BODY TRAWL_FIELD_BODY
#define SUBJ TRAWL_FIELD_SUBJECT

static struct analyzer *an;

/* ------------------------------------------------------------------ */
/* Query specs */

struct item {
	int occur;
	unsigned fields;
	char kind;        /* t s p q */
	char text[256];   /* q: terms joined by ',' */
	unsigned slop;
};

/* Reads the next item of spec at *p; 0 at the end. */
static int next_item(const char **p, struct item *it)
{
	const char *s = *p, *e, *tilde;
	size_t n;

	while (*s == ' ')
		s++;
	if (!*s)
		return 0;
	memset(it, 0, sizeof(*it));
	it->occur = TRAWL_SHOULD;
	it->fields = TRAWL_FIELD_ALL;
	if (*s == '+' || *s == '-')
		it->occur = *s++ == '+' ? TRAWL_MUST : TRAWL_MUST_NOT;
	if ((*s == 'S' || *s == 'B') && s[1] == '=') {
		it->fields = *s == 'S' ? SUBJ : BODY;
		s += 2;
	}
	it->kind = *s;
	s += 2; /* "k:" */
	for (e = s; *e && *e != ' '; e++)
		;
	n = (size_t)(e - s);
	tilde = memchr(s, '~', n);
	if (tilde) {
		it->slop = (unsigned)strtoul(tilde + 1, NULL, 10);
		n = (size_t)(tilde - s);
	}
	snprintf(it->text, sizeof(it->text), "%.*s", (int)n, s);
	*p = e;
	return 1;
}

static trawl_query *phrase_of(const struct item *it)
{
	char copy[256], *terms[64], *c;
	size_t n = 0;

	snprintf(copy, sizeof(copy), "%s", it->text);
	for (c = copy; n < 64; c++) {
		terms[n++] = c;
		if (!(c = strchr(c, ',')))
			break;
		*c = '\0';
	}
	return trawl_query_phrase((const char *const *)terms, n, it->fields,
				  it->slop);
}

static trawl_query *build_query(const char *spec)
{
	trawl_query *b = trawl_query_bool(), *k = NULL;
	struct item it;

	while (b && next_item(&spec, &it)) {
		switch (it.kind) {
		case 't': k = trawl_query_term(it.text, it.fields, 0); break;
		case 's': k = trawl_query_term(it.text, it.fields, 1); break;
		case 'p': k = trawl_query_prefix(it.text, it.fields); break;
		case 'q': k = phrase_of(&it); break;
		default: k = NULL;
		}
		if (!k || trawl_query_add(b, (trawl_occur)it.occur, k)) {
			trawl_query_free(b);
			return NULL;
		}
	}
	return b;
}

/* 1 if the query spec (its items not under MUST_NOT, of field) matches
 * token t. */
static int spec_matches(const char *spec, unsigned field,
			const struct token *t)
{
	struct item it;
	char *c, *save = NULL;

	while (next_item(&spec, &it)) {
		if (it.occur == TRAWL_MUST_NOT || !(it.fields & field))
			continue;
		if (it.kind == 't' && !strcmp(it.text, t->text))
			return 1;
		if (it.kind == 's' && t->stem && !strcmp(it.text, t->stem))
			return 1;
		if (it.kind == 'p' &&
		    !strncmp(it.text, t->text, strlen(it.text)))
			return 1;
		if (it.kind != 'q')
			continue;
		for (c = strtok_r(it.text, ",", &save); c;
		     c = strtok_r(NULL, ",", &save))
			if (!strcmp(c, t->text))
				return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Rendering and checking results */

static void render(const trawl_highlight *hl, char *out, size_t size)
{
	size_t o = 0;

	out[0] = '\0';
#define PUT(...)                                                             \
	do {                                                                 \
		int n_ = snprintf(out + o, size - o, __VA_ARGS__);           \
		if (n_ > 0)                                                  \
			o = o + (size_t)n_ < size ? o + (size_t)n_ : size - 1; \
	} while (0)
	for (size_t i = 0; i < trawl_highlight_npassages(hl); i++) {
		const trawl_passage *p = trawl_highlight_passage(hl, i);
		size_t at = 0;

		PUT("%s%s", i ? " | " : "", p->cut_before ? "..." : "");
		for (size_t m = 0; m < p->nmarks; m++) {
			PUT("%.*s[%.*s]", (int)(p->marks[m].start - at),
			    p->text + at,
			    (int)(p->marks[m].end - p->marks[m].start),
			    p->text + p->marks[m].start);
			at = p->marks[m].end;
		}
		PUT("%s%s", p->text + at, p->cut_after ? "..." : "");
	}
#undef PUT
}

struct mark_check {
	const char *spec;
	unsigned field;
	int matched;
};

static int on_mark_token(void *ctx, const struct token *t)
{
	struct mark_check *mc = ctx;

	if (spec_matches(mc->spec, mc->field, t))
		mc->matched = 1;
	return 0;
}

/* NULL if hl keeps the contract, else what is wrong.  spec: also check
 * that each mark's text holds a token the query matches. */
static const char *check(const trawl_highlight *hl, size_t maxp,
			 size_t len, const char *spec, unsigned field)
{
	size_t np = trawl_highlight_npassages(hl), want = maxp ? maxp : 3;
	size_t prev_off = 0;

	if (np < 1 || np > (want > 64 ? 64 : want))
		return "passage count";
	if (trawl_highlight_passage(hl, np) != NULL)
		return "passage past the end";
	for (size_t i = 0; i < np; i++) {
		const trawl_passage *p = trawl_highlight_passage(hl, i);
		size_t end = 0;

		if (!p || !p->text || strlen(p->text) != p->len)
			return "passage text or length";
		if (!utf8_valid(p->text, p->len))
			return "passage not valid UTF-8";
		for (size_t j = 0; j < p->len; j++)
			if ((unsigned char)p->text[j] < 0x20 ||
			    p->text[j] == 0x7f)
				return "control byte in passage";
		if (strstr(p->text, "  ") ||
		    (p->len && (p->text[0] == ' ' ||
				p->text[p->len - 1] == ' ')))
			return "white space not collapsed";
		if (p->offset > len || (i && p->offset <= prev_off))
			return "passage offsets";
		prev_off = p->offset;
		for (size_t m = 0; m < p->nmarks; m++) {
			const trawl_mark *k = &p->marks[m];
			struct mark_check mc = { spec, field, 0 };

			if (k->start >= k->end || k->end > p->len ||
			    k->start < end)
				return "marks out of range or order";
			end = k->end;
			if (!utf8_valid(p->text + k->start, k->end - k->start))
				return "mark cuts a character";
			if (!spec)
				continue;
			analyzer_run(an, p->text + k->start,
				     k->end - k->start, 0, on_mark_token, &mc);
			if (!mc.matched)
				return "a mark the query does not match";
		}
	}
	return NULL;
}

/* Highlights and renders; returns the status. */
static trawl_status hl_run(trawl_highlighter *h, const char *spec,
			   unsigned field, const char *text, size_t len,
			   size_t maxp, size_t pb, char *out, size_t size,
			   size_t *nmatches, const char **why)
{
	trawl_query *q = build_query(spec);
	trawl_highlight *hl = NULL;
	trawl_status st;

	*why = NULL;
	out[0] = '\0';
	if (!q) {
		*why = "query";
		return TRAWL_ERR_INVALID;
	}
	st = trawl_highlight_text(h, q, field, text, len, maxp, pb, &hl);
	if (!st) {
		render(hl, out, size);
		*nmatches = trawl_highlight_nmatches(hl);
		*why = check(hl, maxp, len, spec, field);
	}
	trawl_highlight_free(hl);
	trawl_query_free(q);
	return st;
}

/* ------------------------------------------------------------------ */
/* The cases */

#define CAFE "caf\xc3\xa9"
#define FFFD "\xef\xbf\xbd"

static const struct {
	const char *name;
	const char *query;
	unsigned field;
	const char *text;
	size_t maxp, pb;
	const char *want;
	size_t nmatches;
} cases[] = {
	/* what matches */
	{ "folded form", "t:resume", BODY,
	  "Please send your R\xc3\xa9sum\xc3\xa9 today.", 0, 0,
	  "Please send your [R\xc3\xa9sum\xc3\xa9] today.", 1 },
	{ "folded upper case", "t:resume", BODY, "RESUME, resume; Resumes.",
	  0, 0, "[RESUME], [resume]; Resumes.", 2 },
	{ "stem", "s:run", BODY, "He was running, she runs, they ran.", 0, 0,
	  "He was [running], she [runs], they ran.", 2 },
	{ "exact form only", "t:running", BODY,
	  "He was running, she runs, they ran.", 0, 0,
	  "He was [running], she runs, they ran.", 1 },
	{ "exact stem-like form", "t:run", BODY, "run running runs", 0, 0,
	  "[run] running runs", 1 },
	{ "prefix", "p:comp", BODY,
	  "Computers compute; a compact composer. Incomplete.", 0, 0,
	  "[Computers] [compute]; a [compact] [composer]. Incomplete.", 4 },
	{ "non-ASCII prefix", "p:gru", BODY,
	  "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln, grun", 0, 0,
	  "[Gr\xc3\xbc\xc3\x9f" "e] aus K\xc3\xb6ln, [grun]", 2 },

	/* phrases */
	{ "phrase", "q:new,york", BODY,
	  "New York is not york new, nor New Jersey or new  york.", 0, 0,
	  "[New] [York] is not york new, nor New Jersey or [new] [york].",
	  4 },
	{ "phrase never whole", "q:new,york", BODY, "new jersey and york", 0,
	  0, "new jersey and york", 0 },
	{ "phrase with slop", "q:quick,fox~1", BODY,
	  "the quick brown fox; quick red slow fox", 0, 0,
	  "the [quick] brown [fox]; quick red slow fox", 2 },
	{ "phrase with slop keeps the order", "q:quick,fox~5", BODY,
	  "fox quick", 0, 0, "fox quick", 0 },
	{ "sloppy phrase from each first term", "q:quick,fox~1", BODY,
	  "quick quick fox", 0, 0, "[quick] [quick] [fox]", 3 },
	{ "phrase of a repeated word", "q:to,be,or,not,to,be", BODY,
	  "to be or not to be, to be", 0, 0,
	  "[to] [be] [or] [not] [to] [be], to be", 6 },
	{ "phrase and term", "q:new,york t:jersey", BODY,
	  "new jersey and york", 0, 0, "new [jersey] and york", 1 },
	{ "phrase through a compound", "q:jeff,dasovich", BODY,
	  "Mail jeff.dasovich@enron.com now", 0, 0,
	  "Mail [jeff.dasovich]@enron.com now", 1 },
	{ "phrase of compound parts", "q:jeff,dasovich,enron,com", BODY,
	  "Mail jeff.dasovich@enron.com now", 0, 0,
	  "Mail [jeff.dasovich@enron.com] now", 1 },
	{ "phrase with a compound term", "q:mail,jeff.dasovich@enron.com",
	  BODY, "Mail jeff.dasovich@enron.com now", 0, 0,
	  "[Mail] [jeff.dasovich@enron.com] now", 2 },
	{ "phrase after a compound, as the engine",
	  "q:jeff.dasovich@enron.com,now", BODY,
	  "Mail jeff.dasovich@enron.com now", 0, 0,
	  "Mail jeff.dasovich@enron.com now", 0 },
	{ "CJK phrase", "q:\xe6\x9d\xb1\xe4\xba\xac,\xe4\xba\xac\xe9\x83\xbd",
	  BODY,
	  "\xe7\xa7\x81\xe3\x81\xaf\xe6\x9d\xb1\xe4\xba\xac\xe9\x83\xbd"
	  "\xe3\x81\xab\xe4\xbd\x8f\xe3\x82\x80", 0, 0,
	  "\xe7\xa7\x81\xe3\x81\xaf[\xe6\x9d\xb1\xe4\xba\xac\xe9\x83\xbd]"
	  "\xe3\x81\xab\xe4\xbd\x8f\xe3\x82\x80", 1 },

	/* compounds */
	{ "address", "t:jeff.dasovich@enron.com", BODY,
	  "Mail jeff.dasovich@enron.com now", 0, 0,
	  "Mail [jeff.dasovich@enron.com] now", 1 },
	{ "address and a part: one mark", "t:jeff.dasovich@enron.com t:enron",
	  BODY, "Mail jeff.dasovich@enron.com now", 0, 0,
	  "Mail [jeff.dasovich@enron.com] now", 1 },
	{ "a part", "t:enron", BODY, "Mail jeff.dasovich@enron.com now", 0,
	  0, "Mail jeff.dasovich@[enron].com now", 1 },
	{ "a domain", "t:enron.com", BODY,
	  "Mail jeff.dasovich@enron.com now", 0, 0,
	  "Mail jeff.dasovich@[enron.com] now", 1 },
	{ "two parts apart", "t:jeff t:com", BODY,
	  "Mail jeff.dasovich@enron.com now", 0, 0,
	  "Mail [jeff].dasovich@enron.[com] now", 2 },
	{ "two terms in a compound: two marks", "t:jeff t:dasovich", BODY,
	  "Mail jeff.dasovich@enron.com now", 0, 0,
	  "Mail [jeff].[dasovich]@enron.com now", 2 },
	{ "a word twice in an address", "t:enron", BODY,
	  "From: chairman.enron@enron.com", 0, 0,
	  "From: chairman.[enron]@[enron].com", 2 },
	{ "the same leaves twice count once",
	  "q:new,york q:new,york t:york B=t:york", BODY,
	  "new york, york", 0, 0, "[new] [york], [york]", 3 },
	{ "prefix of a compound", "p:jeff", BODY,
	  "Mail jeff.dasovich@enron.com now", 0, 0,
	  "Mail [jeff.dasovich@enron.com] now", 1 },

	/* what is not marked */
	{ "MUST_NOT", "t:apple -t:pear", BODY, "apple and pear", 0, 0,
	  "[apple] and pear", 1 },
	{ "MUST_NOT phrase", "t:apple -q:and,pear", BODY, "apple and pear", 0,
	  0, "[apple] and pear", 1 },
	{ "subject term in the body", "S=t:apple t:pear", BODY,
	  "apple and pear", 0, 0, "apple and [pear]", 1 },
	{ "subject term in the subject", "S=t:apple t:pear", SUBJ,
	  "apple and pear", 0, 0, "[apple] and [pear]", 2 },
	{ "body-only phrase in the subject", "B=q:and,pear", SUBJ,
	  "apple and pear", 0, 0, "apple and pear", 0 },
	{ "no match", "t:zzz", BODY, "abc def", 0, 0, "abc def", 0 },
	{ "empty text", "t:zzz", BODY, "", 0, 0, "", 0 },
	{ "only white space", "t:zzz", BODY, " \r\n\t ", 0, 0, "", 0 },

	/* passage text */
	{ "white space collapsed", "t:world t:foo", BODY,
	  "\r\n  Hello\r\n\r\n   world\n\n\tfoo  \n", 0, 0,
	  "Hello [world] [foo]", 2 },
	{ "controls and NUL", "t:apple", BODY,
	  "a\x01" "b\x1b" "c\x7f" "d apple", 0, 0, "a b c d [apple]", 1 },
	{ "C1 controls and wide spaces", "t:pear", BODY,
	  "apple\xc2\xa0\xc2\xa0pear\xc2\x9b" "1m\xe3\x80\x80x\xe2\x80\xa8y",
	  0, 0, "apple [pear] 1m x y", 1 },
	{ "invalid UTF-8", "t:apple", BODY, "caf\xff\xfe apple \xe3\x81", 0,
	  0, "caf" FFFD FFFD " [apple] " FFFD, 1 },
	{ "surrogate and overlong", "t:apple", BODY,
	  "\xed\xa0\x80 apple \xc0\xaf", 0, 0,
	  FFFD FFFD FFFD " [apple] " FFFD FFFD, 1 },
	{ "emoji", "t:cafe", BODY,
	  "I \xe2\x9d\xa4\xef\xb8\x8f " CAFE " \xf0\x9f\x98\x80\xf0\x9f\x98\x80"
	  " \xf0\x9f\x8e\x89", 0, 0,
	  "I \xe2\x9d\xa4\xef\xb8\x8f [" CAFE "] "
	  "\xf0\x9f\x98\x80\xf0\x9f\x98\x80 \xf0\x9f\x8e\x89", 1 },

	/* whole texts */
	{ "whole subject", "t:report s:quarter", SUBJ,
	  "Re: Quarterly report for the quarter", 1, 200,
	  "Re: [Quarterly] [report] for the [quarter]", 3 },
	{ "whole subject, passage_bytes = len", "t:b", SUBJ, "a b c d e f",
	  1, 11, "a [b] c d e f", 1 },
	{ "whole text without a match", "t:zzz", BODY,
	  "one two three four five six seven", 1, 100,
	  "one two three four five six seven", 0 },
};

static void test_cases(trawl_highlighter *h)
{
	char got[4096];
	size_t nm = 0;
	const char *why;

	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		trawl_status st = hl_run(h, cases[i].query, cases[i].field,
					 cases[i].text, strlen(cases[i].text),
					 cases[i].maxp, cases[i].pb, got,
					 sizeof(got), &nm, &why);

		if (!ok(st == TRAWL_OK, "%s: status", cases[i].name)) {
			printf("#   status %s\n", trawl_status_str(st));
			continue;
		}
		is_str(got, cases[i].want, "%s", cases[i].name);
		is_int(nm, cases[i].nmatches, "%s: matches", cases[i].name);
		ok(why == NULL, "%s: contract%s%s", cases[i].name,
		   why ? ": " : "", why ? why : "");
	}
}

/* ------------------------------------------------------------------ */
/* Passages */

/* Appends n filler words ("w0 w1 ...", never a query word). */
static size_t filler(char *buf, size_t o, int from, int n)
{
	for (int i = 0; i < n; i++)
		o += (size_t)snprintf(buf + o, 64, "w%d%s", from + i,
				      i % 7 == 6 ? ".\n\n" : " ");
	return o;
}

static void test_passage_choice(trawl_highlighter *h)
{
	char text[8192], got[4096];
	size_t o = 0, nm = 0;
	const char *why;

	o = filler(text, o, 0, 40);
	o += (size_t)snprintf(text + o, 64, "alpha ");
	o = filler(text, o, 100, 60);
	o += (size_t)snprintf(text + o, 64, "alpha beta ");
	o = filler(text, o, 200, 60);
	o += (size_t)snprintf(text + o, 64, "gamma ");
	o = filler(text, o, 300, 40);
	hl_run(h, "t:alpha t:beta t:gamma", BODY, text, o, 2, 60, got,
	       sizeof(got), &nm, &why);
	is_str(got, "...w36 w37 w38 w39 [alpha] w100 w101 w102 w103 w104 w105 "
		    "w106.... | ...w157 w158 w159 [alpha] [beta] w200 w201 "
		    "w202 w203 w204 w205 w206....",
	       "two passages: the best two, in text order");
	is_int(nm, 4, "matches over the whole text");
	ok(why == NULL, "two passages: contract%s%s", why ? ": " : "",
	   why ? why : "");
}

static void test_passage_counts(trawl_highlighter *h)
{
	char text[65536], got[65536];
	size_t o = 0, nm = 0, np;
	const char *why;
	trawl_query *q = build_query("t:needle");
	trawl_highlight *hl = NULL;
	int ordered = 1;

	for (int i = 0; i < 100; i++) {
		o = filler(text, o, i * 100, 30);
		o += (size_t)snprintf(text + o, 64, "needle ");
	}
	hl_run(h, "t:needle", BODY, text, o, 0, 0, got, sizeof(got), &nm,
	       &why);
	ok(why == NULL, "defaults: contract%s%s", why ? ": " : "",
	   why ? why : "");
	/* one word: the scan stops once the three passages are found */
	ok(nm >= 3 && nm < 100, "defaults: the scan stops early (%zu of 100 "
	   "matches)", nm);
	hl_run(h, "q:needle,needle~200", BODY, text, o, 0, 0, got,
	       sizeof(got), &nm, &why);
	is_int(nm, 100, "with a phrase it reads on: every match counted");
	trawl_highlight_text(h, q, BODY, text, o, 0, 0, &hl);
	is_int(trawl_highlight_npassages(hl), 3, "defaults: 3 passages");
	for (size_t i = 0; i < trawl_highlight_npassages(hl); i++) {
		const trawl_passage *p = trawl_highlight_passage(hl, i);

		ok(p->len >= 120 && p->len <= 160 + 2 * 24,
		   "defaults: passage %zu is about 160 bytes (%zu)", i, p->len);
		ok(p->nmarks == 1 && p->cut_before && p->cut_after,
		   "defaults: passage %zu has its match, cut both sides", i);
	}
	trawl_highlight_free(hl);
	hl = NULL;
	trawl_highlight_text(h, q, BODY, text, o, 1000, 20, &hl);
	np = trawl_highlight_npassages(hl);
	is_int(np, 64, "max_passages capped at 64");
	for (size_t i = 0; i + 1 < np; i++)
		if (trawl_highlight_passage(hl, i)->offset >=
		    trawl_highlight_passage(hl, i + 1)->offset)
			ordered = 0;
	ok(ordered, "passages in text order");
	is_str(trawl_highlight_passage(hl, 0)->text, "w29 needle w100 w101",
	       "a small passage keeps whole words");
	trawl_highlight_free(hl);
	trawl_query_free(q);
}

/* A match far from the start: context on both sides, whole words. */
static void test_context(trawl_highlighter *h)
{
	char got[1024];
	size_t nm;
	const char *why;
	const char *text =
		"The quarterly numbers were sent to everyone on the list "
		"yesterday, and the board will review the budget in detail "
		"next week before the meeting with the auditors from Houston.";

	hl_run(h, "t:budget", BODY, text, strlen(text), 1, 60, got,
	       sizeof(got), &nm, &why);
	is_str(got, "...will review the [budget] in detail next week before "
		    "the meeting...", "context before and after, whole words");
	hl_run(h, "t:the", BODY, text, strlen(text), 1, 40, got, sizeof(got),
	       &nm, &why);
	is_str(got, "...on [the] list yesterday, and [the] board will...",
	       "the first window with most matches wins");
	is_int(nm, 6, "every 'the' counted");
}

/* Japanese and emoji text cut into small passages: never inside a
 * character, never before a combining mark or inside an emoji ZWJ. */
static void test_utf8_cuts(trawl_highlighter *h)
{
	static const char *const pieces[] = {
		"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", /* 日本語 */
		"\xe3\x81\xae\xe3\x83\x86\xe3\x82\xad\xe3\x82\xb9\xe3\x83\x88",
		"\xe3\x80\x82",                          /* 。 */
		"\xf0\x9f\x98\x80",                      /* 😀 */
		/* man, ZWJ, woman */
		"\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9",
		"e\xcc\x81",                             /* e + acute */
		"\xe3\x81\x8b\xe3\x82\x99",              /* か + voicing */
		" ", "\n", "abc", "xyz", "\xc3\xa9t\xc3\xa9",
	};
	char text[4096], got[16384];
	size_t o, nm;
	const char *why;
	int bad = 0;
	unsigned r = 12345;

	for (int round = 0; round < 200 && !bad; round++) {
		o = 0;
		for (int i = 0; i < 120; i++) {
			const char *p;

			r = r * 1103515245u + 12345u;
			p = pieces[(r >> 16) % N_ELEMENTS(pieces)];
			memcpy(text + o, p, strlen(p));
			o += strlen(p);
		}
		for (size_t pb = 1; pb < 40 && !bad; pb += 3) {
			hl_run(h, "q:\xe6\x97\xa5\xe6\x9c\xac t:abc p:xy",
			       BODY, text, o, 4, pb, got, sizeof(got), &nm,
			       &why);
			if (why) {
				bad = 1;
				ok(0, "small passages of multibyte text (round "
				      "%d, %zu bytes): %s", round, pb, why);
				printf("#   %s\n", got);
			}
		}
	}
	if (!bad)
		ok(1, "small passages of multibyte text keep the contract");
	hl_run(h, "t:abc", BODY, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e abc", 13,
	       1, 4, got, sizeof(got), &nm, &why);
	is_str(got, "...[abc]", "a passage shorter than a word ends whole");
}

/* A match longer than the passage: shown whole up to 256 bytes. */
static void test_long_match(trawl_highlighter *h)
{
	char text[4096], want[4096], got[8192];
	size_t o, nm;
	const char *why;

	o = (size_t)snprintf(text, sizeof(text), "see http://x.com/");
	memset(text + o, 'a', 3000);
	o += 3000;
	o += (size_t)snprintf(text + o, 64, " and more words here");
	hl_run(h, "p:http", BODY, text, o, 1, 40, got, sizeof(got), &nm, &why);
	is_str(got, "see [http://x.com/]...",
	       "a long URL: cut at a joiner, not in its word");
	ok(why == NULL, "long URL: contract%s%s", why ? ": " : "",
	   why ? why : "");
	/* the exact form is the URL cut to 128 bytes */
	snprintf(want, sizeof(want), "t:http://x.com/%.*s", 115, text + 17);
	hl_run(h, want, BODY, text, o, 1, 40, got, sizeof(got), &nm, &why);
	snprintf(want, sizeof(want), "...[http://x.com/%.*s]...", 256 - 13,
		 text + 17);
	is_str(got, want, "a long match is shown for 256 bytes, no context");
	is_int(nm, 1, "long match: one mark");
	ok(why == NULL, "long match: contract%s%s", why ? ": " : "",
	   why ? why : "");
}

/* Marks after white space collapsing point at the matched words. */
static void test_collapsed_marks(trawl_highlighter *h)
{
	const char *text = "\n\n  Dear   all,\r\n\r\n> > the  PRICE of\t\tgas"
			   "\r\n>\r\n>   is  rising;\n\n\n\nprices   rise.\n";
	trawl_query *q = build_query("s:price t:rising");
	trawl_highlight *hl = NULL;
	const trawl_passage *p;
	static const char *const want[] = { "PRICE", "rising", "prices" };
	int good = 1;

	trawl_highlight_text(h, q, BODY, text, strlen(text), 1, 1000, &hl);
	p = trawl_highlight_passage(hl, 0);
	is_str(p ? p->text : NULL, "Dear all, > > the PRICE of gas > > is "
				    "rising; prices rise.", "collapsed text");
	is_int(p ? p->nmarks : 0, 3, "three marks");
	for (size_t i = 0; p && i < p->nmarks && i < 3; i++)
		if (p->marks[i].end - p->marks[i].start != strlen(want[i]) ||
		    memcmp(p->text + p->marks[i].start, want[i],
			   strlen(want[i])))
			good = 0;
	ok(good, "each mark covers its word in the collapsed text");
	is_int(p ? p->offset : 99, 4, "offset of the first character");
	ok(p && !p->cut_before && !p->cut_after, "not cut: the rest is "
						  "white space");
	trawl_highlight_free(hl);
	trawl_query_free(q);
}

/* ------------------------------------------------------------------ */
/* Bounds */

static void test_scan_bound(trawl_highlighter *h)
{
	size_t len = TRAWL_HIGHLIGHT_SCAN + 50000, o, nm;
	char *text = malloc(len + 1), *got = malloc(4 * len);
	trawl_query *q = build_query("t:needle");
	trawl_highlight *hl = NULL;
	const trawl_passage *p;
	const char *why;

	if (!text || !got || !q) {
		skip("no memory");
		goto out;
	}
	for (o = 0; o < len; o++)
		text[o] = "lorem ipsum "[o % 12];
	/* " needle " where a space was: offsets 11 modulo 12 */
	o = TRAWL_HIGHLIGHT_SCAN + 1000;
	memcpy(text + o - o % 12 + 11, " needle ", 8);
	hl_run(h, "t:needle", BODY, text, len, 0, 0, got, 4 * len, &nm, &why);
	is_int(nm, 0, "a match past the scan is not marked");
	ok(why == NULL, "scan bound: contract");
	memcpy(text + 1199, " needle ", 8);
	hl_run(h, "t:needle", BODY, text, len, 0, 0, got, 4 * len, &nm, &why);
	is_int(nm, 1, "a match inside the scan is marked");
	o = TRAWL_HIGHLIGHT_SCAN - 20;
	memcpy(text + o - o % 12 + 11, " needle ", 8);
	hl_run(h, "t:needle", BODY, text, len, 0, 0, got, 4 * len, &nm, &why);
	is_int(nm, 2, "a match just inside the scan is marked");
	/* the scan ends inside a 2-byte character */
	/* from offset 1: the scan bound falls inside a character */
	text[0] = 'x';
	for (o = 1; o + 1 < len; o += 2)
		memcpy(text + o, o % 20 == 19 ? " \xc3" : "\xc3\xa9", 2);
	trawl_highlight_text(h, q, BODY, text, len, 1, len, &hl);
	p = trawl_highlight_passage(hl, 0);
	ok(p && utf8_valid(p->text, p->len), "scan cut back to a character");
	/* one byte in 20 is invalid and becomes 3 bytes: 10% longer */
	ok(p && p->offset == 0 && p->len > TRAWL_HIGHLIGHT_SCAN &&
	   p->len < TRAWL_HIGHLIGHT_SCAN / 10 * 11 + 10,
	   "the whole scan as one passage (%zu bytes)", p ? p->len : 0);
	ok(p && !p->cut_before && p->cut_after, "cut after: the text goes "
						 "on past the scan");
	trawl_highlight_free(hl);
	hl = NULL;
	/* more matches than the highlighter keeps */
	for (o = 0; o + 7 <= len; o += 7)
		memcpy(text + o, "needle ", 7);
	/* (a phrase query: a word alone would stop the scan early) */
	hl_run(h, "q:needle,needle", BODY, text, len, 0, 0, got, 4 * len, &nm,
	       &why);
	ok(nm > 1000 && nm <= 16384, "matches kept are bounded (%zu)", nm);
	ok(why == NULL, "many matches: contract");
out:
	trawl_query_free(q);
	free(text);
	free(got);
}

static void test_errors(trawl_highlighter *h)
{
	trawl_query *q = build_query("t:apple"), *deep;
	trawl_highlight *hl = (trawl_highlight *)&hl;
	static const unsigned bad_fields[] = { 0, 3, 0x100, 0xff };

	for (size_t i = 0; i < N_ELEMENTS(bad_fields); i++) {
		is_int(trawl_highlight_text(h, q, bad_fields[i], "apple", 5, 0,
					    0, &hl),
		       TRAWL_ERR_INVALID, "field %#x is invalid",
		       bad_fields[i]);
		ok(hl == NULL, "*out is NULL on failure");
	}
	is_int(trawl_highlight_text(h, NULL, BODY, "apple", 5, 0, 0, &hl),
	       TRAWL_ERR_INVALID, "NULL query");
	is_int(trawl_highlight_text(h, q, BODY, NULL, 5, 0, 0, &hl),
	       TRAWL_ERR_INVALID, "NULL text with a length");
	is_int(trawl_highlight_text(NULL, q, BODY, "apple", 5, 0, 0, &hl),
	       TRAWL_ERR_INVALID, "NULL highlighter");
	is_int(trawl_highlight_text(h, q, BODY, NULL, 0, 0, 0, &hl), TRAWL_OK,
	       "NULL text of length 0");
	is_str(trawl_highlight_passage(hl, 0) ?
		       trawl_highlight_passage(hl, 0)->text : NULL,
	       "", "... gives one empty passage");
	trawl_highlight_free(hl);
	/* deeper than the engine takes */
	deep = build_query("t:apple");
	for (int i = 0; i < 40 && deep; i++) {
		trawl_query *b = trawl_query_bool();

		if (!b || trawl_query_add(b, TRAWL_MUST, deep)) {
			trawl_query_free(b);
			deep = NULL;
			break;
		}
		deep = b;
	}
	is_int(trawl_highlight_text(h, deep, BODY, "apple", 5, 0, 0, &hl),
	       TRAWL_ERR_TOO_LARGE, "a query deeper than the engine's bound");
	trawl_query_free(deep);
	is_int(trawl_highlight_npassages(NULL), 0, "npassages(NULL)");
	is_int(trawl_highlight_nmatches(NULL), 0, "nmatches(NULL)");
	ok(trawl_highlight_passage(NULL, 0) == NULL, "passage(NULL)");
	trawl_highlight_free(NULL);
	trawl_highlighter_free(NULL);
	trawl_query_free(q);
}

/* Nested MUST_NOT: nothing below it is marked, at any depth; other
 * node types are ignored. */
static void test_tree(trawl_highlighter *h)
{
	trawl_query *root = trawl_query_bool(), *neg = trawl_query_bool();
	trawl_query *inner = trawl_query_bool();
	trawl_highlight *hl = NULL;
	char got[256];

	trawl_query_add(inner, TRAWL_SHOULD, trawl_query_term("apple",
							      BODY, 0));
	trawl_query_add(neg, TRAWL_MUST, inner);
	trawl_query_add(root, TRAWL_MUST_NOT, neg);
	trawl_query_add(root, TRAWL_MUST, trawl_query_term("pear", BODY, 0));
	trawl_query_add(root, TRAWL_MUST, trawl_query_all());
	trawl_query_add(root, TRAWL_SHOULD,
			trawl_query_keyword(TRAWL_KW_FROM, "apple"));
	trawl_query_add(root, TRAWL_SHOULD,
			trawl_query_range(TRAWL_COL_DATE, 0, 100));
	is_int(trawl_highlight_text(h, root, BODY, "apple and pear", 14, 0, 0,
				    &hl), TRAWL_OK, "tree: status");
	render(hl, got, sizeof(got));
	is_str(got, "apple and [pear]", "nested MUST_NOT is not marked");
	trawl_highlight_free(hl);
	trawl_query_free(root);
}

/* Trees the constructors would refuse (query.h nodes built by hand). */
static void test_malformed(trawl_highlighter *h)
{
	char longer[200];
	char *terms[] = { "a", NULL };
	struct qchild kid = { TRAWL_SHOULD, NULL };
	trawl_query bad[] = {
		{ .type = Q_TERM, .fields = BODY, .text = NULL },
		{ .type = Q_TERM, .fields = BODY, .text = "" },
		{ .type = Q_PREFIX, .fields = BODY, .text = longer },
		{ .type = Q_PHRASE, .fields = BODY, .terms = terms },
		{ .type = Q_PHRASE, .fields = BODY, .terms = terms,
		  .nterms = 2 },
		{ .type = Q_PHRASE, .fields = BODY, .terms = terms,
		  .nterms = 65 },
		{ .type = Q_BOOL, .kids = &kid, .nkids = 1 },
		{ .type = Q_BOOL, .kids = NULL, .nkids = 1 },
		{ .type = 99 },
	};
	trawl_highlight *hl = NULL;

	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	for (size_t i = 0; i < N_ELEMENTS(bad); i++)
		is_int(trawl_highlight_text(h, &bad[i], BODY, "a x", 3, 0, 0,
					    &hl), TRAWL_ERR_INVALID,
		       "malformed query node %zu is refused", i);
	ok(hl == NULL, "no result for a malformed query");
}

/* Random texts and queries: the contract always holds, and the same
 * call twice gives the same result (scratch state is reset). */
static void test_random(trawl_highlighter *h)
{
	static const char *const words[] = {
		"apple", "Apples", "pear", "jeff.dasovich@enron.com", "enron",
		"running", "runs", "\xe6\x9d\xb1\xe4\xba\xac\xe9\x83\xbd",
		CAFE, "\xff", "\xe3\x81", "\n\n", "  ", "\t", ",", "o'brien",
		"\xf0\x9f\x98\x80", "1,000", "e\xcc\x81", "\x00",
	};
	static const char *const specs[] = {
		"t:apple", "s:appl t:pear", "p:ap -t:pear", "q:apple,pear~2",
		"t:jeff.dasovich@enron.com t:enron", "q:jeff,dasovich",
		"s:run S=t:pear", "q:\xe6\x9d\xb1\xe4\xba\xac,\xe4\xba\xac\xe9"
		"\x83\xbd", "t:" CAFE " t:cafe p:o", "t:1000 t:1,000 q:o,brien",
	};
	char text[8192], a[65536], b[65536];
	size_t o, na, nb;
	const char *why, *why2;
	unsigned r = 777;
	int bad = 0;

	for (int round = 0; round < 1500 && !bad; round++) {
		size_t n, pb, maxp;
		const char *spec;

		r = r * 1103515245u + 12345u;
		n = 1 + (r >> 16) % 400;
		for (o = 0; n--;) {
			const char *w;
			size_t wl;

			r = r * 1103515245u + 12345u;
			w = words[(r >> 16) % N_ELEMENTS(words)];
			wl = *w ? strlen(w) : 1;
			if (o + wl + 1 > sizeof(text))
				break;
			memcpy(text + o, w, wl);
			o += wl;
			if ((r >> 8) & 1)
				text[o++] = ' ';
		}
		spec = specs[(r >> 4) % N_ELEMENTS(specs)];
		pb = (r >> 12) % 300;
		maxp = (r >> 20) % 6;
		hl_run(h, spec, BODY, text, o, maxp, pb, a, sizeof(a), &na,
		       &why);
		hl_run(h, spec, BODY, text, o, maxp, pb, b, sizeof(b), &nb,
		       &why2);
		if (why || strcmp(a, b) || na != nb) {
			bad = 1;
			ok(0, "random round %d (%s, %zu, %zu): %s", round, spec,
			   maxp, pb, why ? why : "not the same twice");
			printf("#   %s\n", a);
		}
	}
	if (!bad)
		ok(1, "1500 random texts and queries keep the contract");
}

/*
 * Texts are read only in the words where a key can hit (scan_words);
 * whole texts must give the same passages and marks.  Random texts of
 * 600 bytes to 67 KB of words in every case, inflections, accented and
 * CJK words, addresses, URLs, numbers and runs of white space; random
 * queries of terms, stems, prefixes and phrases (whose positions go on
 * across the words not read).
 */
static void test_windows(trawl_highlighter *h)
{
	static const char *const words[] = {
		"Running", "runs", "ran", "runner", "budget", "BUDGETS", "meeting",
		"meet", "dying", "die", "happily", "happy", "Résumé", "resume",
		"naïve", "東京都", "jeff.dasovich@enron.com", "enron", "ENRON.com",
		"555-1234", "1,000", "relational", "relate", "cafe", "café",
		"ﬁnance", "finance", "O'Brien", "sky", "skies", "lying", "lie",
		"the", "a", "of", "and", "gas", "natural", "Gas-fired", "x",
		"New", "York", "new-york", "http://www.enron.com/gas?x=1", "1000",
		"$1,000.50", "a.b.c.d.e", "--", "...", "\t\t", "\n\n\n", "gas,",
		"(natural)", "x1y2z3", "NATURAL-GAS", "york's", "natural gas",
		"New York", "the gas", "natural, gas", "a b c", "new\n\nyork",
	};
	static const char *const specs[] = {
		"s:run", "t:budget", "s:meet", "s:die", "s:happi", "t:resume",
		"s:financ", "p:fin", "t:enron", "p:rel", "s:sky", "s:lie",
		"t:gas s:natur", "t:cafe", "t:naive", "s:run t:budget p:gas",
		"t:x", "t:zzz", "s:relat", "t:brien", "q:natural,gas",
		"q:new,york", "q:gas,natural~3", "q:enron,com t:gas",
		"q:the,gas", "t:1000", "t:1000.50", "t:enron.com", "p:10",
		"q:a,b,c", "t:www.enron.com", "q:york,s", "t:555-1234",
		/* more needle starts than are looked for in pairs */
		"t:aa t:ae t:ai t:ao t:au t:ba t:be t:bi t:bo t:bu t:ca t:ce t:ci t:co t:cu t:da t:de t:di t:do t:du t:ea t:ee t:ei t:eo t:eu t:fa t:fe t:fi t:fo t:fu t:ga t:ge t:gi t:go t:gu t:ha t:he t:hi t:ho t:hu t:ia t:ie t:ii t:io t:iu t:ja t:je t:ji t:jo t:ju s:run t:gas",
	};
	static char text[70000], full[200000], win[200000];
	uint64_t r = 0x1234567;
	size_t same = 0, runs = 0, windowed = 0;

	for (int round = 0; round < 80; round++) {
		size_t o = 0, target = 600 + (size_t)(round * 1877) % 67000;

		while (o + 64 < target) {
			const char *w;

			r = r * 6364136223846793005ull + 1442695040888963407ull;
			/* matches are rare: mostly filler */
			w = (r >> 33) % (round % 5 ? 60 : 6)
				    ? "lorem ipsum dolor"
				    : words[(r >> 40) % N_ELEMENTS(words)];
			o += (size_t)snprintf(text + o, 64, "%s%s", w,
					      (r >> 20) % 7 ? " "
					      : (r >> 24) % 2 ? ".\n\n" : "  \t ");
		}
		for (size_t k = 0; k < N_ELEMENTS(specs); k += 1 + round % 3) {
			size_t nf = 0, nw = 0;
			const char *why;

			highlighter_full_scan(h, 1);
			hl_run(h, specs[k], BODY, text, o, 1 + round % 4,
			       80 + (size_t)round * 7, full, sizeof(full), &nf,
			       &why);
			highlighter_full_scan(h, 0);
			hl_run(h, specs[k], BODY, text, o, 1 + round % 4,
			       80 + (size_t)round * 7, win, sizeof(win), &nw,
			       &why);
			runs++;
			windowed += highlighter_windowed(h) > 0 &&
				    highlighter_windowed(h) < o;
			if (!strcmp(full, win))
				same++;
			else if (runs - same <= 3)
				printf("# differs: %s on round %d\n#  full: %.300s"
				       "\n#  win:  %.300s\n", specs[k], round,
				       full, win);
		}
	}
	is_int(same, runs, "reading candidate words only gives what the "
	       "whole text gives (%zu texts and queries)", runs);
	ok(windowed > runs / 2, "most of them were read in part (%zu)",
	   windowed);
}

int main(void)
{
	trawl_highlighter *h = trawl_highlighter_new();

	an = analyzer_new();
	if (!ok(h != NULL && an != NULL, "trawl_highlighter_new"))
		return tap_done();
	test_cases(h);
	test_passage_choice(h);
	test_passage_counts(h);
	test_context(h);
	test_utf8_cuts(h);
	test_collapsed_marks(h);
	test_long_match(h);
	test_scan_bound(h);
	test_errors(h);
	test_tree(h);
	test_malformed(h);
	test_random(h);
	test_windows(h);
	trawl_highlighter_free(h);
	analyzer_free(an);
	return tap_done();
}
