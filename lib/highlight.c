/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * highlight.c - snippets: the passages of a text that a query matched,
 * with the matched words marked (trawl.h, "Highlighting").
 *
 * What is marked.  The query tree is walked once: every TERM, PREFIX and
 * PHRASE node whose field mask holds the field, and which is not under a
 * MUST_NOT, is a leaf (identical leaves count once).  Each leaf gives
 * keys: an exact form (TERM with stem=0, each term of a PHRASE), a stem
 * (TERM with stem=1) or a prefix.  The text is run through the one
 * analyzer (analyze.h), as indexing does, and every token is looked up:
 * its normalized text among the exact keys, its stem (words only) among
 * the stem keys, and the first L bytes of its text among the prefixes of
 * L bytes.  Each (token, key) pair found is a hit, with the token's byte
 * range and position.  A hit of a TERM or PREFIX is a match.  A hit of a
 * phrase term is one only where the whole phrase matched, counted as the
 * engine counts it (search.c, phrase_freq): from each position p0 of the
 * first term, each next term takes its smallest position after the one
 * before, and the phrase matches when the last one is within
 * nterms - 1 + slop of p0; the tokens at the positions taken are marked.
 * Since the positions are the analyzer's, a compound token and its first
 * part share a position exactly as in the index, and a phrase term that
 * is a compound (or a part) picks the token with that very text.
 *
 * Matches become marks: ranges of the text, merged where they overlap or
 * touch (a compound and its parts, CJK bigrams) and where two tokens of
 * one phrase lie in one compound with only a joiner between them (the
 * phrase "jeff dasovich" marks "jeff.dasovich" once; the terms jeff and
 * dasovich give two marks).  trawl_highlight_nmatches() counts these
 * marks over the scanned text.
 *
 * Choosing passages.  Sizes are counted in "collapsed" bytes: a run of
 * ASCII white space or control bytes counts one, as it will be printed.
 * Each match (in text order, one per start offset) anchors a candidate
 * window: the matches that start less than passage_bytes after it.  A
 * window scores by the number of distinct leaves it matches, then by its
 * number of matches, then by being earlier (the idea of Lucene's
 * passage scoring and Tantivy's fragments, without the IDF weights, which
 * the highlighter does not know).  The best windows that do not overlap
 * are taken, at most max_passages, and put back in text order.  A window's
 * core runs from its first match to the furthest end of its matches that
 * end within passage_bytes (a first match longer than that is shown
 * whole up to HL_LONG_MATCH bytes); the bytes left are context, a third
 * before the core and the rest after (what one side cannot use goes to
 * the other), never reaching into the neighbouring passages.  Each end
 * then moves to a cut that splits no mark: the nearest within HL_SNAP
 * bytes at white space, or failing that the nearest within HL_SNAP that
 * splits no word (not inside a word or number token, not inside a UTF-8
 * character, not before a combining mark or emoji modifier, not at a
 * zero-width joiner; CJK text may be cut between any two characters), or
 * failing that the first such cut towards the core; only when there is
 * none may a cut split a mark (a long URL), and then a word only when
 * nothing else is left.  With no match, one passage starts at the text's
 * start; when passage_bytes covers the whole text, that passage (or the
 * one window) is the whole text.
 *
 * Passage text.  The passage is copied with every run of white space and
 * control characters (ASCII ones, C1 controls, U+00A0, U+1680,
 * U+2000-200A, U+2028, U+2029, U+202F, U+205F, U+3000, and NUL) turned
 * into one space and none at either end, and each maximal ill-formed
 * UTF-8 subsequence (Unicode 3.9, as utf8_sanitize does) turned into
 * U+FFFD, so that the text is always valid UTF-8 with no NUL and no
 * control character to reach a terminal.  Marks are byte ranges of that
 * passage text (not of the input): [start, end) of trawl_passage.text.
 * offset is the input offset of the passage's first character; cut_before
 * and cut_after say whether the input has anything other than white space
 * before or after it (after: always when the scan stopped short of len).
 *
 * Reading less.  The analyzer runs only on the words (runs between white
 * space) where a key can hit: words with a byte that is not ASCII, and
 * ASCII words where a key's needle starts a segment (scan_words); the
 * word bitmap of the other words is filled in when a cut looks at them.
 * No token spans white space, so this gives exactly what analyzing the
 * whole text gives (tests/tools/hlcheck.c compares the two on Enron).
 *
 * Bounds.  At most TRAWL_HIGHLIGHT_SCAN bytes are looked at (cut back to
 * a character boundary), and fewer when every word of the query (phrases
 * aside) has as many hits as passages are wanted: the scan then reads on
 * for room for a passage and stops (scan()).  At most HL_MAX_HITS hits are kept; later tokens
 * are not looked up, so a text with more matches than that is marked
 * only up to there.  At most HL_MAX_PASSAGES passages.  The query is held
 * to the engine's bounds (TRAWL_MAX_QUERY_NODES, TRAWL_MAX_QUERY_DEPTH,
 * TRAWL_MAX_PHRASE_TERMS): a larger one is TRAWL_ERR_TOO_LARGE.  Memory:
 * the highlighter keeps its analyzer, a bitmap of the scan size and its
 * scratch arrays between calls; a trawl_highlight owns its passages'
 * text and marks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "analyze.h"
#include "bounds.h"
#include "buf.h"
#include "highlight.h"
#include "mailutil.h"
#include "query.h"
#include "trawl.h"
#include "banned.h"

#define HL_MAX_HITS 16384       /* (token, key) hits kept per text */
#define HL_MAX_PASSAGES 64      /* passages returned, whatever is asked */
#define HL_DEFAULT_PASSAGES 3
#define HL_DEFAULT_BYTES 160
#define HL_SNAP 24              /* bytes looked at for a cut, each side */
#define HL_MAX_TERM (DOCTERMS_MAX_KEY - 1) /* longest term that can match */
#define HL_JOINER_GAP 3         /* longest joiner (U+2019) between parts */
#define HL_LONG_MATCH 256       /* bytes of a long match always shown */
#define HL_WINDOW_MIN 64        /* shorter texts are read whole */
#define HL_MAX_PAIRS 48         /* needle starts looked for two bytes at once */
#define ONES8 0x0101010101010101ull  /* eight bytes at a time */
#define HIGH8 0x8080808080808080ull

enum key_kind { K_EXACT = 0, K_STEM = 1, K_PREFIX = 2 };

struct key {
	const char *text;  /* in the query tree */
	uint32_t len;
	uint32_t kind;     /* enum key_kind */
	uint32_t leaf;     /* index into leaves */
	uint32_t term;     /* PHRASE: which of its terms */
};

struct hit {
	uint32_t start, end; /* the token's bytes in the text */
	uint32_t cstart;     /* start in collapsed bytes */
	uint32_t pos;        /* the token's position */
	uint32_t unit;       /* start of the compound (or lone token) */
	uint32_t key;        /* index into keys */
	int marked;
};

/* A phrase hit, for sorting by phrase, term and text order. */
struct phit {
	uint32_t leaf, term, idx;
};

/* A mark in input bytes. */
struct span {
	size_t start, end;
};

/* A candidate passage: matches [first, last) of the marked hits. */
struct window {
	size_t first, last;
	size_t distinct, total;
	size_t start, end;   /* first match's start, furthest match's end */
};

struct trawl_highlighter {
	struct analyzer *an;
	const trawl_query **leaves;
	size_t nleaves, cleaves;
	struct key *keys;
	size_t nkeys, ckeys;
	uint8_t plens[HL_MAX_TERM + 1]; /* prefix lengths in use */
	size_t nplens;
	uint8_t plist[HL_MAX_TERM];     /* the same, as a list */
	/* first bytes of the stem keys: only a word starting with one of
	 * them is stemmed (a Snowball stem keeps its word's first letter) */
	uint8_t stem_first[256];
	int have_stems;
	struct hit *hits;
	size_t nhits, chits;
	uint8_t *inword;  /* bit x: byte boundary x is inside a word */
	uint8_t *known;   /* bit x: byte x's word is in inword */
	/* the text being scanned */
	const uint8_t *s;
	size_t n;
	size_t cx, cc;    /* collapsed bytes cc before byte cx */
	uint32_t unit_start, unit_end;
	int oom;
	/* stopping early: hits per leaf, leaves with fewer than `need`
	 * (phrases never count as done), and the byte after which the scan
	 * stops once every leaf has them */
	size_t *lhits;
	size_t clhits;
	size_t need, short_leaves, stop_at, margin;
	/* reading candidate words only (scan_words): the needles of
	 * the keys and their first bytes, the longest phrase span, the
	 * offset of the range being read */
	struct needle { const char *text; size_t len; } *needles;
	size_t nneedles, cneedles;
	uint8_t needle_first[256];
	/* the distinct first two bytes of the needles (second 0 for a needle
	 * of one byte, or for all when there are too many pairs) */
	struct { uint8_t a, b; } pairs[HL_MAX_PAIRS];
	size_t npairs;
	int has_phrase;
	size_t base;      /* the offset of the word being read */
	int stopped;      /* a run stopped at stop_at */
	int full_scan;    /* highlighter_full_scan: always the whole text */
	size_t windowed;  /* bytes of the words read by scan_words, or 0 */
	/* scratch, kept between calls */
	size_t *count;    /* per leaf, in the window sweep */
	size_t ccount;
	struct phit *ph;
	size_t cph;
	struct window *win;
	size_t cwin;
	size_t *deque;
	size_t cdeque;
	struct span *spans;
	size_t nspans, cspans;
};

struct trawl_highlight {
	trawl_passage *p;
	size_t np;
	trawl_mark *marks;
	size_t nmarks;
	size_t nmatches;
	struct buf text;  /* every passage's text, each NUL-terminated */
};

static int grow(void *pp, size_t *cap, size_t need, size_t size)
{
	void **p = pp;
	size_t n = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	if (!(q = realloc(*p, n * size)))
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

trawl_highlighter *trawl_highlighter_new(void)
{
	trawl_highlighter *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->an = analyzer_new();
	h->inword = calloc(TRAWL_HIGHLIGHT_SCAN / 8 + 1, 1);
	h->known = calloc(TRAWL_HIGHLIGHT_SCAN / 8 + 1, 1);
	if (!h->an || !h->inword || !h->known) {
		trawl_highlighter_free(h);
		return NULL;
	}
	analyzer_lazy_stems(h->an, 1);
	return h;
}

void trawl_highlighter_free(trawl_highlighter *h)
{
	if (!h)
		return;
	analyzer_free(h->an);
	free(h->inword);
	free(h->known);
	free(h->leaves);
	free(h->keys);
	free(h->hits);
	free(h->count);
	free(h->lhits);
	free(h->needles);
	free(h->ph);
	free(h->win);
	free(h->deque);
	free(h->spans);
	free(h);
}

/* ------------------------------------------------------------------ */
/* Characters */

/* ASCII white space and control bytes: what sizes count as one run. */
static int space_byte(uint8_t c)
{
	return c <= 0x20 || c == 0x7f;
}

/* Characters that a passage prints as (part of) one space. */
static int space_cp(int32_t cp)
{
	return cp <= 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp == 0x1680 ||
	       (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* The character at s[x..end): utf8_decode (mailutil.h). */
static size_t utf8_at(const uint8_t *s, size_t x, size_t end, int32_t *cp,
		      size_t *bad)
{
	return utf8_decode(s + x, s + end, cp, bad);
}

/* 1 unless x is inside a well-formed character of the scanned text. */
static int char_boundary(const trawl_highlighter *h, size_t x)
{
	int32_t cp;
	size_t y, bad, n;

	if (x == 0 || x >= h->n || (h->s[x] & 0xc0) != 0x80)
		return 1;
	for (y = x - 1; y + 3 >= x; y--) {
		if ((h->s[y] & 0xc0) != 0x80) {
			n = utf8_at(h->s, y, h->n, &cp, &bad);
			return !(n && y + n > x);
		}
		if (y == 0)
			break;
	}
	return 1;
}

static void learn_word(trawl_highlighter *h, size_t x);

/* Whether boundary x is strictly inside a word or number token: never
 * next to white space, which no token holds; elsewhere the word bitmap,
 * filled in for x's word if no run has read it yet (learn_word). */
static int in_word(trawl_highlighter *h, size_t x)
{
	if (x == 0 || x >= h->n || space_byte(h->s[x]) ||
	    space_byte(h->s[x - 1]))
		return 0;
	if (!((h->known[x >> 3] >> (x & 7)) & 1))
		learn_word(h, x);
	return (h->inword[x >> 3] >> (x & 7)) & 1;
}

static int joins(int32_t cp)
{
	utf8proc_category_t c = utf8proc_category(cp);

	return c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC ||
	       c == UTF8PROC_CATEGORY_ME || cp == 0x200d ||
	       (cp >= 0x1f3fb && cp <= 0x1f3ff);
}

/* A cut at x splits no word, no character and no character cluster
 * (combining marks, zero-width joiners, emoji modifiers). */
static int good_cut(trawl_highlighter *h, size_t x)
{
	int32_t cp;
	size_t bad;

	if (x == 0 || x >= h->n)
		return 1;
	if (in_word(h, x) || !char_boundary(h, x))
		return 0;
	if (utf8_at(h->s, x, h->n, &cp, &bad) && joins(cp))
		return 0;
	return !(x >= 3 && !memcmp(h->s + x - 3, "\xe2\x80\x8d", 3));
}

/* A cut at x is at white space: a passage starting (at_end 0) or ending
 * (at_end 1) there begins or ends a word. */
static int space_cut(const trawl_highlighter *h, size_t x, int at_end)
{
	if (at_end)
		return x >= h->n || space_byte(h->s[x]);
	return x == 0 || space_byte(h->s[x - 1]);
}

/* ------------------------------------------------------------------ */
/* The query: leaves and keys */

static int same_leaf(const trawl_query *a, const trawl_query *b)
{
	if (a->type != b->type)
		return 0;
	if (a->type != Q_PHRASE)
		return a->stem == b->stem && !strcmp(a->text, b->text);
	if (a->nterms != b->nterms || a->slop != b->slop)
		return 0;
	for (size_t i = 0; i < a->nterms; i++)
		if (strcmp(a->terms[i], b->terms[i]))
			return 0;
	return 1;
}

static int valid_text(const char *s)
{
	size_t n = s ? strnlen(s, HL_MAX_TERM + 1) : 0;

	return n > 0 && n <= HL_MAX_TERM;
}

static trawl_status add_key(trawl_highlighter *h, const char *text, int kind,
			    size_t term)
{
	size_t len = strlen(text);

	if (grow(&h->keys, &h->ckeys, h->nkeys + 1, sizeof(*h->keys)))
		return TRAWL_ERR_NOMEM;
	h->keys[h->nkeys++] = (struct key){ text, (uint32_t)len,
					    (uint32_t)kind,
					    (uint32_t)(h->nleaves - 1),
					    (uint32_t)term };
	if (kind == K_PREFIX && !h->plens[len]) {
		h->plens[len] = 1;
		h->plist[h->nplens++] = (uint8_t)len;
	}
	return TRAWL_OK;
}

static trawl_status add_leaf(trawl_highlighter *h, const trawl_query *q)
{
	trawl_status st = TRAWL_OK;

	for (size_t i = 0; i < h->nleaves; i++)
		if (same_leaf(h->leaves[i], q))
			return TRAWL_OK;
	if (grow(&h->leaves, &h->cleaves, h->nleaves + 1, sizeof(*h->leaves)))
		return TRAWL_ERR_NOMEM;
	h->leaves[h->nleaves++] = q;
	if (q->type == Q_PREFIX)
		return add_key(h, q->text, K_PREFIX, 0);
	if (q->type == Q_TERM)
		return add_key(h, q->text, q->stem ? K_STEM : K_EXACT, 0);
	for (size_t i = 0; i < q->nterms && !st; i++)
		st = add_key(h, q->terms[i], K_EXACT, i);
	return st;
}

static int valid_leaf(const trawl_query *q)
{
	if (q->type != Q_PHRASE)
		return valid_text(q->text);
	if (!q->terms || q->nterms < 1 || q->nterms > TRAWL_MAX_PHRASE_TERMS)
		return 0;
	for (size_t i = 0; i < q->nterms; i++)
		if (!valid_text(q->terms[i]))
			return 0;
	return 1;
}

static trawl_status collect(trawl_highlighter *h, const trawl_query *q,
			    unsigned field, int depth, size_t *nodes)
{
	trawl_status st = TRAWL_OK;

	if (!q)
		return TRAWL_ERR_INVALID;
	if (depth > TRAWL_MAX_QUERY_DEPTH || ++*nodes > TRAWL_MAX_QUERY_NODES)
		return TRAWL_ERR_TOO_LARGE;
	switch (q->type) {
	case Q_TERM:
	case Q_PREFIX:
	case Q_PHRASE:
		if (!valid_leaf(q))
			return TRAWL_ERR_INVALID;
		return q->fields & field ? add_leaf(h, q) : TRAWL_OK;
	case Q_BOOL:
		if (q->nkids && !q->kids)
			return TRAWL_ERR_INVALID;
		for (size_t i = 0; i < q->nkids && !st; i++)
			if (q->kids[i].occur != TRAWL_MUST_NOT)
				st = collect(h, q->kids[i].q, field, depth + 1,
					     nodes);
		return st;
	case Q_KEYWORD:
	case Q_RANGE:
	case Q_ALL:
	case Q_THREAD:
	case Q_PATH:
		return TRAWL_OK;
	default:
		return TRAWL_ERR_INVALID;
	}
}

static int key_cmp(uint32_t kind, const char *s, size_t len,
		   const struct key *k)
{
	int c;

	if (kind != k->kind)
		return kind < k->kind ? -1 : 1;
	c = memcmp(s, k->text, len < k->len ? len : k->len);
	if (c)
		return c;
	return len < k->len ? -1 : len > k->len;
}

static int cmp_keys(const void *pa, const void *pb)
{
	const struct key *a = pa, *b = pb;
	int c = key_cmp(a->kind, a->text, a->len, b);

	if (c)
		return c;
	if (a->leaf != b->leaf)
		return a->leaf < b->leaf ? -1 : 1;
	return a->term < b->term ? -1 : a->term > b->term;
}

static trawl_status prepare_windows(trawl_highlighter *h);

static trawl_status prepare_query(trawl_highlighter *h, const trawl_query *q,
				  unsigned field)
{
	size_t nodes = 0;
	trawl_status st;

	h->nleaves = h->nkeys = h->nplens = 0;
	memset(h->plens, 0, sizeof(h->plens));
	memset(h->stem_first, 0, sizeof(h->stem_first));
	h->have_stems = 0;
	st = collect(h, q, field, 0, &nodes);
	if (!st && h->nkeys)
		qsort(h->keys, h->nkeys, sizeof(*h->keys), cmp_keys);
	for (size_t i = 0; !st && i < h->nkeys; i++)
		if (h->keys[i].kind == K_STEM && h->keys[i].len) {
			h->stem_first[(uint8_t)h->keys[i].text[0]] = 1;
			h->have_stems = 1;
		}
	return st ? st : prepare_windows(h);
}

/* ------------------------------------------------------------------ */
/* Scanning: tokens to hits */

/* The high bit of each byte of v that is white space or control
 * (space_byte), eight at a time: no sum carries into the next byte. */
static uint64_t space_bytes8(uint64_t v)
{
	const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full;
	uint64_t above = ((v & lo7) + 0x5f5f5f5f5f5f5f5full) | v; /* > 0x20 */
	uint64_t d = v ^ lo7;
	uint64_t not7f = ((d & lo7) + lo7) | d;                 /* != 0x7f */

	return ~(above & not7f) & 0x8080808080808080ull;
}

/* Collapsed bytes before byte x (x never goes back between calls): a
 * byte counts unless it and the one before are both white space. */
static uint32_t collapse_to(trawl_highlighter *h, size_t x)
{
	const uint8_t *s = h->s;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (h->cx == 0 && x > 0) {
		h->cx = 1;
		h->cc = 1;
	}
	while (h->cx + 8 <= x) {
		uint64_t v, sp, prev;

		memcpy(&v, s + h->cx, 8);
		sp = space_bytes8(v);
		prev = sp << 8 | (space_byte(s[h->cx - 1]) ? 0x80u : 0u);
		/* the pairs of white space, counted by a multiply */
		h->cc += 8 - (size_t)((((sp & prev) >> 7) * ONES8) >> 56);
		h->cx += 8;
	}
#endif
	for (; h->cx < x; h->cx++)
		if (!space_byte(s[h->cx]) || h->cx == 0 ||
		    !space_byte(s[h->cx - 1]))
			h->cc++;
	return (uint32_t)h->cc;
}

static void add_hit(trawl_highlighter *h, const struct token *t, size_t key)
{
	size_t leaf;

	if (h->nhits == HL_MAX_HITS)
		return;
	if (grow(&h->hits, &h->chits, h->nhits + 1, sizeof(*h->hits))) {
		h->oom = 1;
		return;
	}
	h->hits[h->nhits++] = (struct hit){
		.start = t->start, .end = t->end,
		.cstart = collapse_to(h, t->start), .pos = t->pos,
		.unit = h->unit_start, .key = (uint32_t)key };
	leaf = h->keys[key].leaf;
	if (h->leaves[leaf]->type != Q_PHRASE && ++h->lhits[leaf] == h->need &&
	    !--h->short_leaves)
		h->stop_at = (size_t)t->end + h->margin;
}

/* The first key of this kind not below s[0..len). */
static size_t key_lb(const trawl_highlighter *h, int kind, const char *s,
		     size_t len)
{
	size_t lo = 0, hi = h->nkeys, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (key_cmp((uint32_t)kind, s, len, &h->keys[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int key_at(const trawl_highlighter *h, size_t i, int kind,
		  const char *s, size_t len)
{
	return i < h->nkeys && !key_cmp((uint32_t)kind, s, len, &h->keys[i]);
}

/* Adds a hit for every key of this kind equal to s[0..len). */
static void look_up(trawl_highlighter *h, const struct token *t, int kind,
		    const char *s, size_t len)
{
	for (size_t i = key_lb(h, kind, s, len); key_at(h, i, kind, s, len);
	     i++)
		add_hit(h, t, i);
}

static void mark_word(trawl_highlighter *h, const struct token *t)
{
	for (size_t x = (size_t)t->start + 1; x < t->end && x < h->n; x++)
		h->inword[x >> 3] |= (uint8_t)(1u << (x & 7));
}

static int on_token(void *ctx, const struct token *t)
{
	trawl_highlighter *h = ctx;

	if (t->start > h->stop_at) {
		h->stopped = 1;
		return 1; /* every passage can be chosen from what was read */
	}
	if (t->kind == TOK_WORD || t->kind == TOK_NUM)
		mark_word(h, t);
	if (t->start >= h->unit_end) {
		h->unit_start = t->start;
		h->unit_end = t->end;
	} else if (t->end > h->unit_end) {
		h->unit_end = t->end;
	}
	if (h->oom || !h->nkeys)
		return h->oom;
	look_up(h, t, K_EXACT, t->text, t->len);
	/* stems are lazy (analyzer_lazy_stems): asked for only when a stem
	 * key starts with the word's first letter */
	if (h->have_stems && t->kind == TOK_WORD &&
	    h->stem_first[(uint8_t)t->text[0]]) {
		size_t sl;
		const char *stem = analyzer_stem(h->an, t, &sl);

		if (stem)
			look_up(h, t, K_STEM, stem, sl);
	}
	for (size_t i = 0; i < h->nplens; i++)
		if (h->plist[i] <= t->len)
			look_up(h, t, K_PREFIX, t->text, h->plist[i]);
	return h->oom;
}

/* A token of a word analyzed alone (scan_words), its offsets made the
 * text's. */
static int on_window_token(void *ctx, const struct token *t)
{
	trawl_highlighter *h = ctx;
	struct token c = *t;

	c.start += (uint32_t)h->base;
	c.end += (uint32_t)h->base;
	return on_token(h, &c);
}

/* A token of learn_word's run: the word bitmap only. */
static int on_mark_token(void *ctx, const struct token *t)
{
	trawl_highlighter *h = ctx;
	struct token c = *t;

	c.start += (uint32_t)h->base;
	c.end += (uint32_t)h->base;
	if (c.kind == TOK_WORD || c.kind == TOK_NUM)
		mark_word(h, &c);
	return 0;
}

/* Marks the tokens of the word (run between white space) around x in the
 * word bitmap, and the word as known. */
static void learn_word(trawl_highlighter *h, size_t x)
{
	size_t ws = x, we = x;

	while (ws > 0 && !space_byte(h->s[ws - 1]))
		ws--;
	while (we < h->n && !space_byte(h->s[we]))
		we++;
	h->base = ws;
	analyzer_run(h->an, (const char *)h->s + ws, we - ws, 0, on_mark_token,
		     h);
	h->base = 0;
	for (x = ws; x < we; x++)
		h->known[x >> 3] |= (uint8_t)(1u << (x & 7));
}

void highlighter_full_scan(trawl_highlighter *h, int on)
{
	h->full_scan = on;
}

size_t highlighter_windowed(const trawl_highlighter *h)
{
	return h->windowed;
}

static int ascii_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

/* The bytes a key's token must show in the raw text, case aside, where
 * that token comes from a word (a run between white space) of ASCII
 * bytes alone: there a token's text is its source lower-cased (the
 * analyzer's ASCII path), cut at the end when over-long, except the
 * digits of a number written in thousands groups ("1,000" gives "1000").
 * So the needle is the key itself, or for a key with a digit its first
 * byte; for a stem, its first letters: a Snowball stem keeps the start of
 * its word except in its last letters ("happi" from "happy") and in
 * dying, lying, tying (die, lie, tie), whose first letter alone is kept.
 * Such a token starts with a letter or digit, where no letter or digit
 * is before it.  0: no token of an ASCII word can give the key (it has a
 * byte that is not ASCII or is upper case, starts with neither a letter
 * nor a digit, or is a stem with other than letters a-z): such a key is
 * found only in words with a byte that is not ASCII. */
static size_t needle_of(const struct key *k)
{
	size_t n = k->len;
	int digit = 0;

	if (!n || !ascii_alnum((uint8_t)k->text[0]))
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)k->text[i];

		if (c >= 0x80 || c <= 0x20 || (c >= 'A' && c <= 'Z'))
			return 0;
		if (k->kind == K_STEM && (c < 'a' || c > 'z'))
			return 0;
		digit |= c >= '0' && c <= '9';
	}
	if (digit)
		return 1;
	if (k->kind != K_STEM)
		return n;
	if (n == 3 && (!memcmp(k->text, "die", 3) || !memcmp(k->text, "lie", 3) ||
		       !memcmp(k->text, "tie", 3)))
		return 1;
	n = n > 1 ? n - 1 : 1;
	return n < 4 ? n : 4;
}

/* The distinct needles of the keys, by first byte, and whether there is
 * a phrase (whose hits need positions). */
static trawl_status prepare_windows(trawl_highlighter *h)
{
	h->nneedles = h->npairs = 0;
	memset(h->needle_first, 0, sizeof(h->needle_first));
	for (size_t i = 0; i < h->nkeys; i++) {
		const struct key *k = &h->keys[i];
		size_t len = needle_of(k), j;

		if (!len)
			continue;
		for (j = 0; j < h->nneedles; j++)
			if (h->needles[j].len == len &&
			    !memcmp(h->needles[j].text, k->text, len))
				break;
		if (j < h->nneedles)
			continue;
		if (grow(&h->needles, &h->cneedles, h->nneedles + 1,
			 sizeof(*h->needles)))
			return TRAWL_ERR_NOMEM;
		h->needles[h->nneedles++] = (struct needle){ k->text, len };
		h->needle_first[(uint8_t)k->text[0]] = 1;
	}
	/* the pairs; with too many, the first bytes alone (at most 36: a
	 * needle starts with a-z or 0-9) */
	for (int one = 0, full = 1; full; one++) {
		h->npairs = 0;
		full = 0;
		for (size_t i = 0; i < h->nneedles && !full; i++) {
			const struct needle *nd = &h->needles[i];
			uint8_t a = (uint8_t)nd->text[0],
				b = one || nd->len < 2 ? 0 : (uint8_t)nd->text[1];
			size_t j;

			for (j = 0; j < h->npairs; j++)
				if (h->pairs[j].a == a &&
				    (!h->pairs[j].b || h->pairs[j].b == b))
					break;
			if (j < h->npairs)
				continue;
			if (h->npairs == HL_MAX_PAIRS) {
				full = 1;
				break;
			}
			h->pairs[h->npairs].a = a;
			h->pairs[h->npairs++].b = b;
		}
	}
	h->has_phrase = 0;
	for (size_t i = 0; i < h->nleaves; i++)
		h->has_phrase |= h->leaves[i]->type == Q_PHRASE;
	return TRAWL_OK;
}

/* Whether a needle starts at s[x] (case aside). */
static int needle_at(const trawl_highlighter *h, size_t x)
{
	const uint8_t *s = h->s;
	uint8_t c = s[x] >= 'A' && s[x] <= 'Z' ? (uint8_t)(s[x] | 32) : s[x];

	if (!h->needle_first[c])
		return 0;
	for (size_t i = 0; i < h->nneedles; i++) {
		const struct needle *nd = &h->needles[i];
		size_t j;

		if ((uint8_t)nd->text[0] != c || nd->len > h->n - x)
			continue;
		for (j = 1; j < nd->len; j++) {
			uint8_t b = s[x + j];

			if ((b >= 'A' && b <= 'Z' ? (b | 32) : b) !=
			    (uint8_t)nd->text[j])
				break;
		}
		if (j == nd->len)
			return 1;
	}
	return 0;
}

/* Segment starts in the ASCII word s[a..b): a letter or digit after
 * anything else.  Each is a segment of the analyzer, and so takes one
 * position: a word of ASCII bytes uses as many positions as it has
 * segment starts. */
static uint32_t segments_in(const uint8_t *s, size_t a, size_t b)
{
	uint32_t k = 0;
	int prev = 0;

	for (size_t x = a; x < b; x++) {
		int cur = ascii_alnum(s[x]);

		k += (uint32_t)(cur && !prev);
		prev = cur;
	}
	return k;
}

#ifdef __SSE2__
/* Whether the sixteen bytes at p (p[16] readable) hold a byte that is not
 * ASCII, or may start a needle: its first two bytes there, letters case
 * aside (or-ing 0x20 folds A-Z onto a-z). */
static int busy16(const trawl_highlighter *h, const uint8_t *p)
{
	__m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i v1 = _mm_loadu_si128((const __m128i *)(const void *)(p + 1));
	__m128i case20 = _mm_set1_epi8(0x20), hit = _mm_setzero_si128();
	__m128i f0 = _mm_or_si128(v0, case20), f1 = _mm_or_si128(v1, case20);

	if (_mm_movemask_epi8(v0))
		return 1;
	for (size_t i = 0; i < h->npairs; i++) {
		uint8_t a = h->pairs[i].a, b = h->pairs[i].b;
		__m128i e = _mm_cmpeq_epi8(a >= 'a' && a <= 'z' ? f0 : v0,
					   _mm_set1_epi8((char)a));

		if (b)
			e = _mm_and_si128(e, _mm_cmpeq_epi8(
				b >= 'a' && b <= 'z' ? f1 : v1,
				_mm_set1_epi8((char)b)));
		hit = _mm_or_si128(hit, e);
	}
	return _mm_movemask_epi8(hit) != 0;
}
#endif

/* The first place from x on where a key may hit: a byte that is not
 * ASCII, or a needle where a segment starts (no letter or digit before
 * it); n when there is none.  Sixteen bytes at a time (SSE2) while they
 * hold neither. */
static size_t next_candidate(const trawl_highlighter *h, size_t x)
{
	const uint8_t *s = h->s;
	size_t n = h->n, end;

	for (;;) {
#ifdef __SSE2__
		while (x + 17 <= n && !busy16(h, s + x))
			x += 16;
#endif
		for (end = x + 16 < n ? x + 16 : n; x < end; x++)
			if (s[x] >= 0x80 ||
			    ((x == 0 || !ascii_alnum(s[x - 1])) &&
			     needle_at(h, x)))
				return x;
		if (x >= n)
			return n;
	}
}

/*
 * Analyzes, word by word (a word is a run between white space), only the
 * words where a key can hit; no token spans white space, so a word read
 * alone gives the tokens the whole text gives there.  Candidates are
 * found without the analyzer (next_candidate): a word with a byte that
 * is not ASCII (folding, NFKC and other scripts can make any key there),
 * or one where a key's needle (needle_of) starts at a letter or digit
 * with none before it.  Positions go on across the words skipped, which
 * are ASCII: such a word uses one per segment start (segments_in), so a
 * phrase's hits have the positions a whole-text run gives them.  The
 * word bitmap of the words skipped is filled in when a cut looks at them
 * (in_word).  Stops, as the whole-text run does, at the first token past
 * stop_at.
 */
static void scan_words(trawl_highlighter *h)
{
	const uint8_t *s = h->s;
	size_t n = h->n, x = 0, c, ws, we;
	uint32_t pos = 0;

	while (!h->oom && (c = next_candidate(h, x)) < n) {
		for (ws = c; ws > x && !space_byte(s[ws - 1]); ws--)
			;
		if (ws > h->stop_at)
			break;
		for (we = c; we < n && !space_byte(s[we]); we++)
			;
		if (h->has_phrase)
			pos += segments_in(s, x, ws);
		h->base = ws;
		h->windowed += we - ws;
		pos = analyzer_run(h->an, (const char *)s + ws, we - ws, pos,
				   on_window_token, h);
		if (h->stopped)
			break;
		x = we;
	}
	h->base = 0;
}

/*
 * Analyzes text[0..n) into hits and the word bitmap.  Once every leaf but
 * a phrase has `need` hits (as many as the passages asked for), the scan
 * goes on for `margin` bytes -- room for a passage's core, its context
 * and its cut -- and stops: a long body full of a common word is not read
 * to its end for three passages.  With a phrase in the query it reads
 * on, since a phrase's hits are matches only where the whole phrase is.
 * A text of HL_WINDOW_MIN bytes or more is read only in the words where
 * a key can hit (scan_words).
 */
static void scan(trawl_highlighter *h, const char *text, size_t n,
		 size_t need, size_t passage_bytes)
{
	if (grow(&h->lhits, &h->clhits, h->nleaves + 1, sizeof(*h->lhits))) {
		h->oom = 1;
		return;
	}
	memset(h->lhits, 0, (h->nleaves + 1) * sizeof(*h->lhits));
	h->need = need;
	h->short_leaves = h->nleaves;
	h->stop_at = SIZE_MAX;
	h->margin = 2 * passage_bytes + 2 * HL_SNAP + HL_LONG_MATCH;
	if (!h->nkeys) /* nothing to mark: the first passage is all */
		h->stop_at = h->margin;
	h->s = (const uint8_t *)text;
	h->n = n;
	h->nhits = 0;
	h->cx = h->cc = 0;
	h->unit_start = h->unit_end = 0;
	h->oom = 0;
	h->base = 0;
	h->windowed = 0;
	h->stopped = 0;
	memset(h->inword, 0, n / 8 + 1);
	memset(h->known, 0, n / 8 + 1);
	if (!n)
		return;
	if (h->full_scan || n < HL_WINDOW_MIN || !h->nkeys)
		analyzer_run(h->an, text, n, 0, on_token, h);
	else
		scan_words(h);
}

/* ------------------------------------------------------------------ */
/* Phrases */

static int cmp_phit(const void *pa, const void *pb)
{
	const struct phit *a = pa, *b = pb;

	if (a->leaf != b->leaf)
		return a->leaf < b->leaf ? -1 : 1;
	if (a->term != b->term)
		return a->term < b->term ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Marks the tokens of every match of one phrase; ph: its hits, sorted. */
static void match_phrase(trawl_highlighter *h, const struct phit *ph,
			 size_t n)
{
	const trawl_query *q = h->leaves[ph[0].leaf];
	size_t nt = q->nterms, b[TRAWL_MAX_PHRASE_TERMS + 1];
	size_t at[TRAWL_MAX_PHRASE_TERMS], x = 0, i;
	uint32_t span = (uint32_t)(nt - 1 + q->slop), p0, prev;

#define POS(k) (h->hits[ph[k].idx].pos)
	for (i = 0; i <= nt; i++) {
		while (x < n && ph[x].term < i)
			x++;
		b[i] = x;
	}
	for (i = 0; i < nt; i++) {
		if (b[i] == b[i + 1])
			return;
		at[i] = b[i];
	}
	for (size_t k = b[0]; k < b[1]; k++) {
		p0 = prev = POS(k);
		for (i = 1; i < nt; i++) {
			while (at[i] < b[i + 1] && POS(at[i]) <= prev)
				at[i]++;
			if (at[i] == b[i + 1] || POS(at[i]) - p0 > span)
				break;
			prev = POS(at[i]);
		}
		if (i < nt)
			continue;
		h->hits[ph[k].idx].marked = 1;
		for (i = 1; i < nt; i++)
			h->hits[ph[at[i]].idx].marked = 1;
	}
#undef POS
}

/* Decides which hits are matches and keeps only those, in text order. */
static trawl_status resolve_hits(trawl_highlighter *h)
{
	size_t n = 0, i, j;

	if (grow(&h->ph, &h->cph, h->nhits, sizeof(*h->ph)))
		return TRAWL_ERR_NOMEM;
	for (i = 0; i < h->nhits; i++) {
		const struct key *k = &h->keys[h->hits[i].key];

		h->hits[i].marked = h->leaves[k->leaf]->type != Q_PHRASE;
		if (!h->hits[i].marked)
			h->ph[n++] = (struct phit){ k->leaf, k->term,
						    (uint32_t)i };
	}
	if (n)
		qsort(h->ph, n, sizeof(*h->ph), cmp_phit);
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && h->ph[j].leaf == h->ph[i].leaf; j++)
			;
		match_phrase(h, h->ph + i, j - i);
	}
	for (i = j = 0; i < h->nhits; i++)
		if (h->hits[i].marked)
			h->hits[j++] = h->hits[i];
	h->nhits = j;
	return TRAWL_OK;
}

/* Hits a and b (a first) are tokens of one phrase match inside one
 * compound with a joiner between them ("jeff" "." "dasovich"). */
static int joined(const trawl_highlighter *h, const struct hit *a,
		  const struct hit *b)
{
	uint32_t leaf = h->keys[a->key].leaf;

	return a->unit == b->unit && b->start - a->end <= HL_JOINER_GAP &&
	       h->keys[b->key].leaf == leaf &&
	       h->leaves[leaf]->type == Q_PHRASE;
}

/* The matches as marks of the input: merged where they overlap or touch,
 * and across a joiner inside one phrase match. */
static trawl_status merge_spans(trawl_highlighter *h)
{
	struct span *l = NULL;
	const struct hit *prev = NULL;

	h->nspans = 0;
	if (grow(&h->spans, &h->cspans, h->nhits, sizeof(*h->spans)))
		return TRAWL_ERR_NOMEM;
	for (size_t i = 0; i < h->nhits; i++) {
		const struct hit *t = &h->hits[i];

		if (l && (t->start <= l->end ||
			  joined(h, prev, t))) {
			if (t->end > l->end)
				l->end = t->end;
			if (t->end >= prev->end)
				prev = t;
			continue;
		}
		l = &h->spans[h->nspans++];
		*l = (struct span){ t->start, t->end };
		prev = t;
	}
	return TRAWL_OK;
}

/* ------------------------------------------------------------------ */
/* Choosing windows */

static size_t leaf_of(const trawl_highlighter *h, size_t i)
{
	return h->keys[h->hits[i].key].leaf;
}

/* One candidate window per start offset of a match, scored by a sweep
 * (leaf counts in, out) with a deque for the furthest end. */
static size_t find_windows(trawl_highlighter *h, size_t pb)
{
	const struct hit *t = h->hits;
	size_t m = h->nhits, j = 0, nw = 0, distinct = 0, dh = 0, dt = 0;

	memset(h->count, 0, h->nleaves * sizeof(*h->count));
	for (size_t i = 0; i < m; i++) {
		for (; j < m && t[j].cstart < (size_t)t[i].cstart + pb; j++) {
			if (!h->count[leaf_of(h, j)]++)
				distinct++;
			while (dt > dh && t[h->deque[dt - 1]].end <= t[j].end)
				dt--;
			h->deque[dt++] = j;
		}
		while (h->deque[dh] < i)
			dh++;
		if (i == 0 || t[i].start != t[i - 1].start)
			h->win[nw++] = (struct window){
				i, j, distinct, j - i, t[i].start,
				t[h->deque[dh]].end };
		if (!--h->count[leaf_of(h, i)])
			distinct--;
	}
	return nw;
}

static int cmp_window(const void *pa, const void *pb)
{
	const struct window *a = pa, *b = pb;

	if (a->distinct != b->distinct)
		return a->distinct > b->distinct ? -1 : 1;
	if (a->total != b->total)
		return a->total > b->total ? -1 : 1;
	return a->first < b->first ? -1 : a->first > b->first;
}

/* The best non-overlapping windows, at most maxp, in text order. */
static trawl_status pick_windows(trawl_highlighter *h, size_t maxp,
				 size_t pb, struct window *out, size_t *np)
{
	size_t nw, n = 0, i, j;

	*np = 0;
	if (!h->nhits)
		return TRAWL_OK;
	if (grow(&h->count, &h->ccount, h->nleaves, sizeof(*h->count)) ||
	    grow(&h->win, &h->cwin, h->nhits, sizeof(*h->win)) ||
	    grow(&h->deque, &h->cdeque, h->nhits, sizeof(*h->deque)))
		return TRAWL_ERR_NOMEM;
	nw = find_windows(h, pb);
	qsort(h->win, nw, sizeof(*h->win), cmp_window);
	for (i = 0; i < nw && n < maxp; i++) {
		const struct window *w = &h->win[i];

		for (j = 0; j < n; j++)
			if (w->start < out[j].end && out[j].start < w->end)
				break;
		if (j < n)
			continue;
		for (j = n++; j > 0 && out[j - 1].start > w->start; j--)
			out[j] = out[j - 1];
		out[j] = *w;
	}
	*np = n;
	return TRAWL_OK;
}

/* ------------------------------------------------------------------ */
/* Placing a passage */

/* Counts a byte that is not white space, and the first of a run. */
static int counts(const trawl_highlighter *h, size_t x)
{
	return !space_byte(h->s[x]) || x == 0 || !space_byte(h->s[x - 1]);
}

static size_t walk_back(const trawl_highlighter *h, size_t x, size_t lo,
			size_t *budget)
{
	while (x > lo && *budget) {
		x--;
		if (counts(h, x))
			(*budget)--;
	}
	return x;
}

static size_t walk_fwd(const trawl_highlighter *h, size_t x, size_t hi,
		       size_t *budget)
{
	while (x < hi && *budget) {
		if (counts(h, x))
			(*budget)--;
		x++;
	}
	return x;
}

static size_t collapsed_len(const trawl_highlighter *h, size_t a, size_t b)
{
	size_t n = 0;

	for (; a < b; a++)
		n += (size_t)counts(h, a);
	return n;
}

/* 1 if x is strictly inside a mark (spans are sorted and disjoint). */
static int in_span(const trawl_highlighter *h, size_t x)
{
	size_t lo = 0, hi = h->nspans, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (h->spans[mid].end <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < h->nspans && h->spans[lo].start < x;
}

/* A cut of the kind asked for (spaces: at white space), not in a mark. */
static int cut_ok(trawl_highlighter *h, size_t x, int at_end,
		  int spaces)
{
	if (spaces ? !space_cut(h, x, at_end) : !good_cut(h, x))
		return 0;
	return !in_span(h, x);
}

/* The cut nearest x among [lo, hi] within HL_SNAP, preferring the side
 * towards the core (up for a start, down for an end). */
static size_t near_cut(trawl_highlighter *h, size_t x, size_t lo,
		       size_t hi, int at_end, int spaces, int *found)
{
	for (size_t d = 0; d <= HL_SNAP; d++) {
		for (int side = 0; side < 2; side++) {
			int up = at_end ? side : !side;
			size_t y = up ? x + d : x - d;

			if (up ? d > hi - x : d > x - lo)
				continue;
			if (cut_ok(h, y, at_end, spaces)) {
				*found = 1;
				return y;
			}
		}
	}
	*found = 0;
	return x;
}

/* The first cut from x towards the core (hi for a start, lo for an end)
 * that splits no word and, with avoid_marks, no mark. */
static size_t toward_core(trawl_highlighter *h, size_t x, size_t lo,
			  size_t hi, int at_end, int avoid_marks, int *found)
{
	*found = 1;
	for (;;) {
		if (avoid_marks ? cut_ok(h, x, at_end, 0) : good_cut(h, x))
			return x;
		if (at_end ? x == lo : x == hi)
			break;
		x = at_end ? x - 1 : x + 1;
	}
	*found = 0;
	return x;
}

static size_t char_floor(const trawl_highlighter *h, size_t x, size_t lo)
{
	while (x > lo && !char_boundary(h, x))
		x--;
	return x;
}

/*
 * Moves x (in [lo, hi]) to the best cut: the nearest at white space
 * within HL_SNAP bytes, else the nearest that splits no word within
 * HL_SNAP, else the first towards the core (at hi for a start, at_end 0;
 * at lo for an end) that splits no word, all outside marks; else one that
 * cuts a mark but no word; else a character boundary.
 */
static size_t snap(trawl_highlighter *h, size_t x, size_t lo,
		   size_t hi, int at_end)
{
	int found;
	size_t y = near_cut(h, x, lo, hi, at_end, 1, &found);

	if (!found)
		y = near_cut(h, x, lo, hi, at_end, 0, &found);
	if (!found)
		y = toward_core(h, x, lo, hi, at_end, 1, &found);
	if (!found)
		y = toward_core(h, x, lo, hi, at_end, 0, &found);
	if (found)
		return y;
	return at_end ? char_floor(h, x, lo) : hi;
}

/*
 * The end of w's core: the furthest end of its matches that end within
 * pb collapsed bytes of its start.  When none does, the end of its first
 * match, cut (on a character boundary) at pb or HL_LONG_MATCH bytes,
 * whichever is further.  A window without matches (no match in the text)
 * has an empty core.
 */
static size_t core_end(const trawl_highlighter *h, const struct window *w,
		       size_t pb, size_t hi)
{
	size_t budget = pb, cap, ce = w->start;

	if (w->first == w->last)
		return ce;
	cap = walk_fwd(h, w->start, hi, &budget);
	for (size_t i = w->first; i < w->last; i++)
		if (h->hits[i].end <= cap && h->hits[i].end > ce)
			ce = h->hits[i].end;
	if (ce > w->start)
		return ce;
	ce = h->hits[w->first].end;
	if (cap < w->start + HL_LONG_MATCH)
		cap = w->start + HL_LONG_MATCH;
	return ce > cap ? char_floor(h, cap, w->start) : ce;
}

/*
 * Where the passage of window w goes: [*ps, *pe) within [lo, hi]: its
 * core plus context up to pb collapsed bytes in all, a third of it
 * before the core (none when before is 0) and the rest after, then
 * moved to good cuts.
 */
static void place(trawl_highlighter *h, const struct window *w,
		  size_t pb, size_t lo, size_t hi, int before, size_t *ps,
		  size_t *pe)
{
	size_t cs = w->start, ce = core_end(h, w, pb, hi), slack, want;
	size_t s, e, after, budget;

	slack = collapsed_len(h, cs, ce);
	slack = pb > slack ? pb - slack : 0;
	want = before ? slack / 3 : 0;
	budget = want;
	s = walk_back(h, cs, lo, &budget);
	after = slack - (want - budget);
	e = walk_fwd(h, ce, hi, &after);
	if (after)
		s = walk_back(h, s, lo, &after);
	*ps = snap(h, s, lo, cs, 0);
	*pe = snap(h, e, ce, hi, 1);
}

/* ------------------------------------------------------------------ */
/* Writing a passage */

struct render {
	const trawl_highlighter *h;
	struct buf *out;
	size_t base;         /* the passage's first byte in out */
	char *o0, *o;        /* the passage's room in out, and where the
			      * next byte goes */
	trawl_mark *marks;   /* its marks go here */
	size_t nmarks;
	size_t k;            /* next span */
	int open;
	size_t first, last;  /* input bytes written: first start, last end */
	int any, pending;    /* wrote a character; owes a space */
};

static void close_mark(struct render *r)
{
	size_t at = (size_t)(r->o - r->o0);

	if (at > r->marks[r->nmarks].start)
		r->marks[r->nmarks++].end = at;
	r->open = 0;
}

/* Opens and closes marks at input offset x (opening: x starts a
 * character that is not white space). */
static void marks_at(struct render *r, size_t x, int opening)
{
	const struct span *sp = r->h->spans;

	for (;;) {
		if (r->open) {
			if (sp[r->k].end > x)
				return;
			close_mark(r);
			r->k++;
			continue;
		}
		if (!opening || r->k == r->h->nspans || sp[r->k].start > x)
			return;
		if (sp[r->k].end <= x) {
			r->k++;
			continue;
		}
		r->marks[r->nmarks].start = (size_t)(r->o - r->o0);
		r->open = 1;
	}
}

/* The input offset where a mark next opens or closes (after marks_at at
 * a character before it). */
static size_t next_mark_edge(const struct render *r)
{
	const struct span *sp = r->h->spans;

	if (r->open)
		return sp[r->k].end;
	return r->k < r->h->nspans ? sp[r->k].start : SIZE_MAX;
}

/* Writes the character at x (n input bytes; clen 0: ill-formed, written
 * as U+FFFD), with the space owed before it. */
static void put_char(struct render *r, size_t x, size_t n, size_t clen)
{
	marks_at(r, x, 0);
	if (r->pending)
		*r->o++ = ' ';
	r->pending = 0;
	marks_at(r, x, 1);
	if (clen) {
		memcpy(r->o, r->h->s + x, clen);
		r->o += clen;
	} else {
		memcpy(r->o, "\xef\xbf\xbd", 3);
		r->o += 3;
	}
	if (!r->any)
		r->first = x;
	r->any = 1;
	r->last = x + n;
}

/* Writes the printable ASCII characters from x on, up to e or the next
 * place a mark opens or closes, as put_char would one by one; returns
 * where it stopped. */
static size_t put_ascii(struct render *r, size_t x, size_t e)
{
	const uint8_t *s = r->h->s;
	size_t y = x + 1, b;

	put_char(r, x, 1, 1);
	b = next_mark_edge(r);
	if (b < e)
		e = b;
	while (y < e && s[y] > 0x20 && s[y] < 0x7f)
		y++;
	memcpy(r->o, s + x + 1, y - x - 1);
	r->o += y - x - 1;
	r->last = y;
	return y;
}

/* Writes text[s..e) as a passage's text (see the top of the file), NUL
 * ended, straight into room reserved in out: at most three bytes per
 * input byte (U+FFFD for an ill-formed one), and the NUL. */
static void render(struct render *r, size_t s, size_t e)
{
	size_t x = s, n, bad;
	int32_t cp;

	r->base = r->out->len;
	r->nmarks = 0;
	r->open = r->any = r->pending = 0;
	r->first = r->last = s;
	if (!(r->o0 = r->o = buf_reserve(r->out, 3 * (e - s) + 1)))
		return; /* the buffer keeps the error */
	while (x < e) {
		if (r->h->s[x] > 0x20 && r->h->s[x] < 0x7f) {
			x = put_ascii(r, x, e);
			continue;
		}
		n = utf8_at(r->h->s, x, e, &cp, &bad);
		if (n && space_cp(cp)) {
			marks_at(r, x, 0);
			r->pending = r->any;
			x += n;
			continue;
		}
		put_char(r, x, n ? n : bad, n);
		x += n ? n : bad;
	}
	marks_at(r, e, 0);
	if (r->open)
		close_mark(r);
	*r->o++ = '\0';
	buf_commit(r->out, (size_t)(r->o - r->o0));
}

/* Input bytes [fc, lc) hold every character that is not white space:
 * found from each end (not by walking the whole text). */
static void content_range(const trawl_highlighter *h, size_t *fc,
			  size_t *lc)
{
	size_t x = 0, n, bad;
	int32_t cp;

	*fc = *lc = 0;
	while (x < h->n) {
		n = utf8_at(h->s, x, h->n, &cp, &bad);
		if (!n || !space_cp(cp))
			break;
		x += n;
	}
	if (x >= h->n)
		return; /* nothing but white space */
	*fc = x;
	x = h->n;
	while (x > *fc) {
		size_t y = x - 1;

		while (y > *fc && x - y < 4 && (h->s[y] & 0xc0) == 0x80)
			y--;
		n = utf8_at(h->s, y, h->n, &cp, &bad);
		/* a character that ends at x and is white space: go on;
		 * anything else (a character, ill-formed bytes) is content */
		if (n != x - y || !space_cp(cp))
			break;
		x = y;
	}
	*lc = x;
}

/* ------------------------------------------------------------------ */
/* The handle */

static trawl_status alloc_result(trawl_highlight **out, size_t np,
				 size_t nmarks)
{
	trawl_highlight *hl = calloc(1, sizeof(*hl));

	*out = hl;
	if (!hl)
		return TRAWL_ERR_NOMEM;
	buf_init(&hl->text, 3 * TRAWL_HIGHLIGHT_SCAN + 2 * HL_MAX_PASSAGES);
	hl->p = calloc(np, sizeof(*hl->p));
	hl->marks = calloc(nmarks ? nmarks : 1, sizeof(*hl->marks));
	return hl->p && hl->marks ? TRAWL_OK : TRAWL_ERR_NOMEM;
}

static trawl_status build(trawl_highlighter *h, size_t len, size_t maxp,
			  size_t pb, trawl_highlight **out)
{
	struct window w[HL_MAX_PASSAGES];
	size_t np, lo = 0, hi, s, e, fc, lc, toff[HL_MAX_PASSAGES];
	struct render r = { .h = h };
	trawl_highlight *hl;
	trawl_status st;

	if ((st = pick_windows(h, maxp, pb, w, &np)))
		return st;
	if (!np)
		w[np++] = (struct window){ 0 };
	if ((st = alloc_result(out, np, h->nspans + np)))
		return st;
	hl = *out;
	hl->np = np;
	hl->nmatches = h->nspans;
	content_range(h, &fc, &lc);
	r.out = &hl->text;
	for (size_t i = 0; i < np; i++) {
		trawl_passage *p = &hl->p[i];

		hi = i + 1 < np ? w[i + 1].start : h->n;
		place(h, &w[i], pb, lo, hi, h->nspans > 0, &s, &e);
		r.marks = hl->marks + hl->nmarks;
		render(&r, s, e);
		lo = e;
		toff[i] = r.base;
		p->len = r.out->len - 1 - r.base;
		p->offset = r.first;
		p->cut_before = r.first > fc;
		p->cut_after = len > h->n || r.last < lc;
		p->marks = r.marks;
		p->nmarks = r.nmarks;
		hl->nmarks += r.nmarks;
	}
	if (hl->text.err)
		return hl->text.err;
	for (size_t i = 0; i < np; i++)
		hl->p[i].text = hl->text.data + toff[i];
	return TRAWL_OK;
}

static int one_field(unsigned field)
{
	return field && !(field & (field - 1)) &&
	       !(field & ~(unsigned)TRAWL_FIELD_ALL);
}

/* The scanned length: at most TRAWL_HIGHLIGHT_SCAN, not inside a
 * character. */
static size_t scan_len(const char *text, size_t len)
{
	size_t n = len, k = 0;

	if (n <= TRAWL_HIGHLIGHT_SCAN)
		return n;
	n = TRAWL_HIGHLIGHT_SCAN;
	while (k < 3 && n > 0 && ((uint8_t)text[n] & 0xc0) == 0x80) {
		n--;
		k++;
	}
	return n;
}

trawl_status trawl_highlight_text(trawl_highlighter *h, const trawl_query *q,
				  unsigned field, const char *text, size_t len,
				  size_t max_passages, size_t passage_bytes,
				  trawl_highlight **out)
{
	trawl_status st = TRAWL_ERR_INVALID;
	trawl_highlight *hl = NULL;

	if (out)
		*out = NULL;
	if (!h || !q || !out || !one_field(field) || (!text && len))
		goto out;
	if (!text)
		text = "";
	if (!max_passages)
		max_passages = HL_DEFAULT_PASSAGES;
	if (max_passages > HL_MAX_PASSAGES)
		max_passages = HL_MAX_PASSAGES;
	if (!passage_bytes)
		passage_bytes = HL_DEFAULT_BYTES;
	if (passage_bytes > TRAWL_HIGHLIGHT_SCAN)
		passage_bytes = TRAWL_HIGHLIGHT_SCAN;
	if ((st = prepare_query(h, q, field)))
		goto out;
	scan(h, text, scan_len(text, len), max_passages, passage_bytes);
	st = TRAWL_ERR_NOMEM;
	if (h->oom || resolve_hits(h) || merge_spans(h))
		goto out;
	st = build(h, len, max_passages, passage_bytes, &hl);
out:
	if (h)
		h->s = NULL;
	if (st) {
		trawl_highlight_free(hl);
		hl = NULL;
	}
	if (out)
		*out = hl;
	return st;
}

size_t trawl_highlight_npassages(const trawl_highlight *hl)
{
	return hl ? hl->np : 0;
}

const trawl_passage *trawl_highlight_passage(const trawl_highlight *hl,
					     size_t i)
{
	return hl && i < hl->np ? &hl->p[i] : NULL;
}

size_t trawl_highlight_nmatches(const trawl_highlight *hl)
{
	return hl ? hl->nmatches : 0;
}

void trawl_highlight_free(trawl_highlight *hl)
{
	if (!hl)
		return;
	buf_release(&hl->text);
	free(hl->p);
	free(hl->marks);
	free(hl);
}
