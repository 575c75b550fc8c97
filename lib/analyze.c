/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * analyze.c - the analyzer: UTF-8 text in, normalized tokens out (see
 * analyze.h for the interface).  These are the exact rules; any change to
 * what a text turns into must bump TRAWL_ANALYZER_VERSION.
 *
 * Characters.  Input is decoded with utf8proc_iterate(); a byte that does
 * not start a well-formed sequence (overlong, surrogate, above U+10FFFF,
 * truncated) is a separator of its own.  Each character has a class:
 *  - letter: general category L*, outside the CJK ranges;
 *  - digit: N* (Nd, Nl, No), outside the CJK ranges;
 *  - mark: M*, and the invisible U+00AD (soft hyphen), U+200C (ZWNJ),
 *    U+200D (ZWJ) and U+2060 (word joiner): a mark only continues what
 *    comes before it (a segment or a CJK character); anywhere else it is
 *    a separator;
 *  - CJK: a letter or number in Han (U+3400-4DBF, U+4E00-9FFF,
 *    U+F900-FAFF, U+20000-2FA1F, U+30000-323AF, and the ideographic
 *    letters/numbers U+3005-3007, U+3021-3029, U+3031-3035, U+3038-303C),
 *    Hiragana and Katakana (U+3040-30FF, U+31F0-31FF, half-width
 *    U+FF66-FF9D, U+1B000-1B16F) or Hangul (U+1100-11FF, U+3130-318F,
 *    U+A960-A97F, U+AC00-D7FF, half-width U+FFA0-FFDC).  The half-width
 *    voiced sound marks U+FF9E/FF9F and the Hangul medial and final jamo
 *    (U+1160-11FF, U+D7B0-D7FF) are CJK marks: after a CJK character they
 *    belong to it (so NFKC composes them), elsewhere they are a CJK
 *    character themselves;
 *  - everything else is a separator.
 *
 * Segments and compounds.  A segment is a letter or digit followed by any
 * letters, digits and marks.  A compound is a segment followed by up to
 * TRAWL_COMPOUND_PARTS - 1 more, each linked to the one before by exactly
 * one joiner character directly between them: one of . @ - _ ' U+2019 +
 * when a letter or digit follows it, or one of , / : when an ASCII digit
 * is on both sides.  The segments are the compound's parts.  After the
 * 64th part a joiner is dropped and the next segment starts a new
 * compound.
 *
 * URLs.  When the first part of a compound is ASCII letters only and is
 * followed by "://" and a letter, digit or CJK character, the compound is
 * a URL instead: it extends over printable ASCII other than space and
 * < > " ' ` ( ) [ ] { }, and over non-ASCII letters, digits, marks and CJK
 * characters; then trailing . , ; : ! ? are taken off.  Its parts are the
 * runs of letters, digits and marks (CJK characters count as letters
 * here: no bigrams inside a URL) in it, at most 64 (the URL then ends
 * with its 64th part).  The host is the parts after "://" linked by
 * single '.' or '-' characters.
 *
 * Tokens of a compound of one part: that part alone, at the next position
 * (see "Parts" below).  Tokens of a compound of n > 1 parts, in this
 * order, all TOK_COMPOUND except the parts:
 *  1. the whole compound at the first part's position; for a URL the
 *     normalized text of its whole extent, otherwise the normalized parts
 *     joined by their joiners (U+2019 written as ');
 *  2. when the parts are digits in thousands groups, d{1,3}(,ddd)+ and
 *     optionally .d+ at the end (ASCII digits), the same with the commas
 *     left out ("1,000.50" gives "1000.50"), same position and extent as
 *     the whole;
 *  3. for an e-mail address (a compound, not a URL, with exactly one '@'
 *     joiner and a '.' joiner after it): the local part (the parts before
 *     '@' with their joiners) if it has two parts or more, at the first
 *     part's position;
 *  4. the parts in order, at consecutive positions; and just before part
 *     k, the domain suffix that starts at part k, if any.  A domain is:
 *     the parts after '@' of an e-mail address, the host of a URL, or a
 *     whole compound (not a URL, no '@'), provided that its joiners are
 *     '.' and '-' only, the last part is letters only and is joined by
 *     '.', and it has two labels or more (labels are the '.'-separated
 *     pieces; '-' stays inside a label).  Each suffix of two labels or
 *     more is a token at the position of its first label, except the one
 *     that equals the whole compound.  So "mail.enron.com" gives
 *     "mail.enron.com", "mail", "enron.com", "enron", "com" and
 *     "jeff@mail.enron.com" gives the whole, "jeff", "mail.enron.com",
 *     "mail", "enron.com", "enron", "com".
 * Callbacks thus come in order of start offset, and among tokens with the
 * same start the longer first; positions never decrease either.
 *
 * Parts (and single segments): TOK_NUM when the segment has a digit
 * character, else TOK_WORD.  A compound of n parts uses n positions.
 *
 * CJK: a run of CJK characters (each with its marks) gives overlapping
 * bigrams of consecutive characters at consecutive positions: n >= 2
 * characters give n-1 bigrams; a lone character gives one unigram.  All
 * are TOK_CJK.
 *
 * Normalization.  Every token's text is normalized: for letters, digits
 * and URLs NFKC + case folding + marks removed + default-ignorable
 * characters removed (utf8proc STABLE|COMPAT|COMPOSE|CASEFOLD|STRIPMARK|
 * IGNORE); for CJK tokens the same without STRIPMARK (so the kana voicing
 * marks of が and ガ stay, and half-width ｶﾞ gives ガ); a URL and its
 * parts are normalized like words even where they hold kana.  Text that
 * is all ASCII is only lower-cased (the same result, without utf8proc).
 * A part is normalized on its own and compound tokens are built from the
 * normalized parts, which gives the same text as normalizing the whole
 * because no joiner composes with its neighbours.  Normalization looks at
 * most at the first NORM_WINDOW bytes of a part (or URL, or CJK
 * character), so a pathological run (thousands of marks) cannot cost more
 * than that.  Normalization may produce characters that are separators in
 * the input ("⑴" gives "(1)"), and may change the class ("Ⅻ" is a digit
 * and gives TOK_NUM "xii").  A token whose normalized text is empty is
 * not emitted; its position is still used.
 *
 * Cuts.  Normalized texts are cut on a character boundary: a part or
 * single segment to TRAWL_TOKEN_MAX bytes, or to TRAWL_TOKEN_MIXED_MAX if
 * it has both a letter and a digit; a CJK token to TRAWL_TOKEN_MAX; every
 * TOK_COMPOUND to TRAWL_COMPOUND_MAX (built from the parts before their
 * own cut).  Offsets always cover the whole source of the token, cut or
 * not.
 *
 * Stems.  A TOK_WORD whose text is 3 to TRAWL_TOKEN_MAX ASCII letters has
 * its Snowball English stem; any other TOK_WORD has stem == text.  A
 * two-way set-associative cache of STEM_CACHE entries (1 MB) keeps the
 * stems of words up to STEM_CACHE_WORD bytes, so that common words do not
 * run the stemmer again.
 *
 * Offsets and positions.  start/end are byte offsets of the token's
 * source characters in the input (end exclusive; marks included).  Only
 * the first TRAWL_ANALYZE_MAX bytes are looked at.  analyzer_run returns
 * the position after the last one used, or, when the callback stopped
 * it, the position after the token that stopped it.  Positions are
 * uint32_t and wrap around.
 *
 * Memory: everything lives in struct analyzer, allocated once; nothing is
 * allocated per call or per token, and nothing recurses.
 */
#include <libstemmer.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "analyze.h"
#include "banned.h"

/* Source bytes of one part, URL or CJK character that are normalized. */
#define NORM_WINDOW (8 * TRAWL_COMPOUND_MAX)
/* Code points the decomposition buffer holds (a window that decomposes
 * to more is halved until it fits). */
#define NORM_CPS (4 * NORM_WINDOW)
/* Stem cache: entries (a power of two, two per set) and the longest
 * word cached; 32 bytes an entry. */
#define STEM_CACHE 32768
#define STEM_KEY 16
#define STEM_CACHE_WORD (STEM_KEY - 1)
#define STEM_MIN 3

#define WORD_OPTS                                                            \
	(UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |              \
	 UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK | UTF8PROC_IGNORE)
#define CJK_OPTS                                                             \
	(UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |              \
	 UTF8PROC_CASEFOLD | UTF8PROC_IGNORE)

/* ------------------------------------------------------------------ */
/* Character classes */

enum char_class {
	CC_SEP = 0,
	CC_LETTER,
	CC_DIGIT,
	CC_MARK,
	CC_CJK,
	CC_CJKMARK,
};

/* Byte table bits.  B_LETTER, B_DIGIT and B_HIGH double as segment flags
 * (F_*), so a scan can OR table entries into its flags. */
#define B_LETTER 0x01 /* ASCII letter */
#define B_DIGIT 0x02  /* ASCII digit */
#define B_HIGH 0x04   /* byte >= 0x80 */
#define B_JOIN 0x08   /* . @ - _ ' + */
#define B_DJOIN 0x10  /* , / : between ASCII digits */
#define B_URL 0x20    /* may be inside a URL */
#define B_TRAIL 0x40  /* . , ; : ! ? not at the end of a URL */

#define F_LETTER B_LETTER /* the segment has a letter */
#define F_DIGIT B_DIGIT   /* ... a digit */
#define F_HIGH B_HIGH     /* ... a non-ASCII character */

#define B_ALNUM (B_LETTER | B_DIGIT)
#define U (B_URL)

static const uint8_t btab[256] = {
	['!'] = U | B_TRAIL,
	['#'] = U, ['$'] = U, ['%'] = U, ['&'] = U, ['*'] = U,
	['\''] = B_JOIN,
	['+'] = U | B_JOIN,
	[','] = U | B_DJOIN | B_TRAIL,
	['-'] = U | B_JOIN,
	['.'] = U | B_JOIN | B_TRAIL,
	['/'] = U | B_DJOIN,
	['0' ... '9'] = U | B_DIGIT,
	[':'] = U | B_DJOIN | B_TRAIL,
	[';'] = U | B_TRAIL,
	['='] = U,
	['?'] = U | B_TRAIL,
	['@'] = U | B_JOIN,
	['A' ... 'Z'] = U | B_LETTER,
	['\\'] = U, ['^'] = U,
	['_'] = U | B_JOIN,
	['a' ... 'z'] = U | B_LETTER,
	['|'] = U, ['~'] = U,
	[0x80 ... 0xff] = B_HIGH,
};

#undef U

static const struct {
	int32_t lo, hi;
} cjk_ranges[] = {
	{ 0x1100, 0x11ff },   { 0x3005, 0x3007 },   { 0x3021, 0x3029 },
	{ 0x3031, 0x3035 },   { 0x3038, 0x303c },   { 0x3040, 0x30ff },
	{ 0x3130, 0x318f },   { 0x31f0, 0x31ff },   { 0x3400, 0x4dbf },
	{ 0x4e00, 0x9fff },   { 0xa960, 0xa97f },   { 0xac00, 0xd7ff },
	{ 0xf900, 0xfaff },   { 0xff66, 0xffdc },   { 0x1b000, 0x1b16f },
	{ 0x20000, 0x2fa1f }, { 0x30000, 0x323af },
};

static int is_cjk(int32_t cp)
{
	size_t i;

	if (cp < 0x1100)
		return 0;
	for (i = 0; i < sizeof(cjk_ranges) / sizeof(cjk_ranges[0]); i++)
		if (cp >= cjk_ranges[i].lo && cp <= cjk_ranges[i].hi)
			return 1;
	return 0;
}

static int is_cjk_mark(int32_t cp)
{
	return (cp >= 0x1160 && cp <= 0x11ff) ||
	       (cp >= 0xd7b0 && cp <= 0xd7ff) || cp == 0xff9e || cp == 0xff9f;
}

static int class_of(int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
		if (!is_cjk(cp))
			return CC_LETTER;
		return is_cjk_mark(cp) ? CC_CJKMARK : CC_CJK;
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
		return is_cjk(cp) ? CC_CJK : CC_DIGIT;
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
		return CC_MARK;
	case UTF8PROC_CATEGORY_CF:
		return cp == 0xad || cp == 0x200c || cp == 0x200d ||
				       cp == 0x2060
			       ? CC_MARK
			       : CC_SEP;
	default:
		return CC_SEP;
	}
}

/* Class of the non-ASCII character at s[0..avail); *clen gets its length
 * (1 for an invalid byte, which is a separator). */
static int classify(const uint8_t *s, size_t avail, size_t *clen,
		    int32_t *cpp)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;

	n = utf8proc_iterate(s, avail > 4 ? 4 : (utf8proc_ssize_t)avail, &cp);
	if (n <= 0) {
		*clen = 1;
		*cpp = -1;
		return CC_SEP;
	}
	*clen = (size_t)n;
	*cpp = cp;
	return class_of(cp);
}

/* Cuts a UTF-8 string of len bytes to at most cap bytes on a character
 * boundary (s[cap] must be readable when len > cap). */
static size_t cut_utf8(const char *s, size_t len, size_t cap)
{
	if (len <= cap)
		return len;
	while (cap > 0 && ((uint8_t)s[cap] & 0xc0) == 0x80)
		cap--;
	return cap;
}

/* ------------------------------------------------------------------ */
/* The analyzer */

struct part {
	uint32_t start, end; /* source bytes */
	uint8_t flags;       /* F_* */
	uint8_t join;        /* the joiner before it as written in tokens */
	uint8_t gap;         /* source bytes between it and the part before */
};

/* key: the word padded with NULs; stem: NUL-terminated. */
struct stem_entry {
	uint64_t key[STEM_KEY / 8];
	char stem[STEM_KEY - 1];
	uint8_t slen;
};

struct cjk_char {
	uint32_t start, end;
	size_t len;
	char text[TRAWL_TOKEN_MAX + 1];
};

struct analyzer {
	struct sb_stemmer *stemmer;

	/* the current run */
	const uint8_t *s;
	size_t n;
	analyze_cb cb;
	void *ctx;
	uint32_t pos;      /* next position */
	uint32_t stop_pos; /* position after the token that stopped us */
	int stopped;
	int lazy;          /* analyzer_lazy_stems */
	int letters;       /* the current TOK_WORD's text is ASCII a-z */

	/* the current compound */
	int nparts;
	int url;
	uint32_t url_end;
	struct part parts[TRAWL_COMPOUND_PARTS];
	uint8_t plen[TRAWL_COMPOUND_PARTS];
	char ptext[TRAWL_COMPOUND_PARTS][TRAWL_COMPOUND_MAX + 1];

	struct cjk_char cjk[2];

	/* the token handed to the callback, with room to build compounds */
	char tok[2 * TRAWL_COMPOUND_MAX + 8];
	char stem[TRAWL_TOKEN_MAX + 1];

	utf8proc_int32_t cps[NORM_CPS + 1];
	struct stem_entry cache[STEM_CACHE];
};

struct analyzer *analyzer_new(void)
{
	struct analyzer *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->stemmer = sb_stemmer_new("english", "UTF_8");
	if (!a->stemmer) {
		free(a);
		return NULL;
	}
	return a;
}

void analyzer_free(struct analyzer *a)
{
	if (!a)
		return;
	sb_stemmer_delete(a->stemmer);
	free(a);
}

/* ------------------------------------------------------------------ */
/* Normalization */

/* Lower-cases ASCII src[0..len) into out, at most cap bytes. */
static size_t lower_ascii(const uint8_t *src, size_t len, char *out,
			  size_t cap)
{
	size_t i, m = len < cap ? len : cap;

	for (i = 0; i < m; i++)
		out[i] = (char)(src[i] | ((btab[src[i]] & B_LETTER) << 5));
	return m;
}

/* The same for ASCII letters and digits only (a digit has the 0x20 bit
 * set already). */
static size_t lower_alnum(const uint8_t *src, size_t len, char *out,
			  size_t cap)
{
	size_t i, m = len < cap ? len : cap;

	for (i = 0; i < m; i++)
		out[i] = (char)(src[i] | 0x20);
	return m;
}

/* Normalizes src[0..len) (valid UTF-8) with utf8proc into out, at most
 * cap bytes cut on a character boundary; returns the length. */
static size_t norm_slow(struct analyzer *a, const uint8_t *src, size_t len,
			int opts, char *out, size_t cap)
{
	size_t w = len < NORM_WINDOW ? len : NORM_WINDOW, m;
	utf8proc_ssize_t r;

	for (;;) {
		while (w > 0 && w < len && (src[w] & 0xc0) == 0x80)
			w--;
		if (w == 0)
			return 0;
		r = utf8proc_decompose(src, (utf8proc_ssize_t)w, a->cps,
				       NORM_CPS, (utf8proc_option_t)opts);
		if (r < 0)
			return 0;
		if (r <= NORM_CPS)
			break;
		len = w;
		w /= 2;
	}
	r = utf8proc_reencode(a->cps, r, (utf8proc_option_t)opts);
	if (r < 0)
		return 0;
	m = cut_utf8((const char *)a->cps, (size_t)r, cap);
	memcpy(out, a->cps, m);
	return m;
}

static size_t norm_part(struct analyzer *a, const struct part *pt,
			char *out, size_t cap)
{
	const uint8_t *src = a->s + pt->start;
	size_t len = pt->end - pt->start;

	if (!(pt->flags & F_HIGH))
		return lower_alnum(src, len, out, cap);
	return norm_slow(a, src, len, WORD_OPTS, out, cap);
}

static size_t part_cap(const struct part *pt)
{
	if ((pt->flags & (F_LETTER | F_DIGIT)) == (F_LETTER | F_DIGIT))
		return TRAWL_TOKEN_MIXED_MAX;
	return TRAWL_TOKEN_MAX;
}

/* ------------------------------------------------------------------ */
/* Stems and emission */

/* 1 if s[0..len) is ASCII a-z only. */
static int ascii_letters(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] < 'a' || s[i] > 'z')
			return 0;
	return 1;
}

/* The cache set (two entries) of the word whose key is k. */
static struct stem_entry *stem_set(struct analyzer *a, const uint64_t *k)
{
	uint64_t h = (k[0] ^ (k[1] * 0x9e3779b97f4a7c15u)) *
		     0xff51afd7ed558ccdu;

	return &a->cache[((h >> 40) & (STEM_CACHE / 2 - 1)) * 2];
}

/* Sets t->stem for the word t->text, which is a->tok.  letters: the word
 * is known to be ASCII a-z only. */
static void stem_word(struct analyzer *a, struct token *t, int letters)
{
	struct stem_entry *e = NULL;
	const sb_symbol *r;
	uint64_t key[2];
	int slen, w;

	t->stem = t->text;
	t->stem_len = t->len;
	if (t->len < STEM_MIN ||
	    (!letters && !ascii_letters(t->text, t->len)))
		return;
	if (t->len <= STEM_CACHE_WORD) {
		/* the key: the word padded with NULs (a->tok has room) */
		memset(a->tok + t->len, 0, STEM_KEY);
		memcpy(key, a->tok, STEM_KEY);
		e = stem_set(a, key);
		for (w = 0; w < 2; w++) {
			if (e[w].key[0] == key[0] && e[w].key[1] == key[1]) {
				t->stem = e[w].stem;
				t->stem_len = e[w].slen;
				return;
			}
		}
	}
	r = sb_stemmer_stem(a->stemmer, (const sb_symbol *)t->text,
			    (int)t->len);
	slen = r ? sb_stemmer_length(a->stemmer) : 0;
	if (slen <= 0 || slen > TRAWL_TOKEN_MAX)
		return; /* no memory in the stemmer: the word is its stem */
	if (e && slen < STEM_KEY - 1) {
		e[1] = e[0]; /* the older entry of the set goes */
		e->key[0] = key[0];
		e->key[1] = key[1];
		memcpy(e->stem, r, (size_t)slen);
		e->stem[slen] = '\0';
		e->slen = (uint8_t)slen;
		t->stem = e->stem;
	} else {
		memcpy(a->stem, r, (size_t)slen);
		a->stem[slen] = '\0';
		t->stem = a->stem;
	}
	t->stem_len = (size_t)slen;
}

void analyzer_lazy_stems(struct analyzer *a, int lazy)
{
	a->lazy = lazy;
}

const char *analyzer_stem(struct analyzer *a, const struct token *t,
			  size_t *len)
{
	struct token c = *t;

	if (t->kind != TOK_WORD || t->text != a->tok) {
		*len = 0;
		return NULL;
	}
	if (t->stem) {
		*len = t->stem_len;
		return t->stem;
	}
	stem_word(a, &c, a->letters);
	*len = c.stem_len;
	return c.stem;
}

/* Hands the token in a->tok[0..len) to the callback; 1 if it asked to
 * stop.  flags: of the part a TOK_WORD comes from (F_LETTER alone: its
 * text is ASCII a-z), else 0. */
static int emit(struct analyzer *a, size_t len, int kind, uint32_t pos,
		uint32_t start, uint32_t end, int flags)
{
	struct token t;

	if (len == 0)
		return 0;
	a->tok[len] = '\0';
	t.text = a->tok;
	t.len = len;
	t.stem = NULL;
	t.stem_len = 0;
	t.pos = pos;
	t.start = start;
	t.end = end;
	t.kind = kind;
	if (kind == TOK_WORD && !a->lazy)
		stem_word(a, &t, flags == F_LETTER);
	a->letters = flags == F_LETTER;
	if (a->cb(a->ctx, &t)) {
		a->stopped = 1;
		a->stop_pos = pos + 1;
		return 1;
	}
	return 0;
}

static int part_kind(const struct part *pt)
{
	return pt->flags & F_DIGIT ? TOK_NUM : TOK_WORD;
}

/* ------------------------------------------------------------------ */
/* Scanning */

/* 1 if the character at s[p] starts a segment (letter or digit); with
 * url, a CJK character too. */
static int starts_segment(const struct analyzer *a, size_t p, size_t n,
			  int url)
{
	size_t clen;
	int32_t cp;
	int c;

	if (p >= n)
		return 0;
	if (!(btab[a->s[p]] & B_HIGH))
		return (btab[a->s[p]] & B_ALNUM) != 0;
	c = classify(a->s + p, n - p, &clen, &cp);
	return c == CC_LETTER || c == CC_DIGIT || (url && c == CC_CJK);
}

/* Scans the segment that starts at p (a letter or digit) up to n; returns
 * its end and sets *flags.  With url, CJK characters are letters. */
static size_t scan_segment(const struct analyzer *a, size_t p, size_t n,
			   int url, uint8_t *flags)
{
	const uint8_t *s = a->s;
	uint8_t f = 0;
	size_t clen;
	int32_t cp;
	int c;

	for (;;) {
		while (p < n && (btab[s[p]] & B_ALNUM))
			f |= btab[s[p++]];
		if (p >= n || !(btab[s[p]] & B_HIGH))
			break;
		c = classify(s + p, n - p, &clen, &cp);
		if (c == CC_LETTER || (url && c == CC_CJK))
			f |= F_LETTER | F_HIGH;
		else if (c == CC_DIGIT)
			f |= F_DIGIT | F_HIGH;
		else if (c == CC_MARK || (url && c == CC_CJKMARK))
			f |= F_HIGH;
		else
			break;
		p += clen;
	}
	*flags = f & (F_LETTER | F_DIGIT | F_HIGH);
	return p;
}

/* Source length of the joiner at q linking the segment that ends at q to
 * a next one, or 0; *jc gets the joiner as written in tokens. */
static size_t joiner_at(const struct analyzer *a, size_t q, uint8_t *jc)
{
	const uint8_t *s = a->s;
	size_t n = a->n, jl = 1;
	uint8_t b = s[q];

	if (btab[b] & B_DJOIN) {
		if (!(btab[s[q - 1]] & B_DIGIT) || q + 1 >= n ||
		    !(btab[s[q + 1]] & B_DIGIT))
			return 0;
	} else if (b == 0xe2 && q + 2 < n && s[q + 1] == 0x80 &&
		   s[q + 2] == 0x99) {
		jl = 3; /* U+2019 */
		b = '\'';
	} else if (!(btab[b] & B_JOIN)) {
		return 0;
	}
	if (!starts_segment(a, q + jl, n, 0))
		return 0;
	*jc = b;
	return jl;
}

/* 1 if the part pt, the first of a compound, is the scheme of a URL. */
static int url_starts(const struct analyzer *a, const struct part *pt)
{
	const uint8_t *s = a->s + pt->end;

	return pt->flags == F_LETTER && a->n - pt->end > 3 && s[0] == ':' &&
	       s[1] == '/' && s[2] == '/' &&
	       starts_segment(a, pt->end + 3, a->n, 1);
}

/* Adds the part of a URL that starts at x to a->parts[k]; gap: where the
 * text before it starts.  Returns the end of the part. */
static size_t url_part(struct analyzer *a, int k, size_t gap, size_t x)
{
	struct part *pt = &a->parts[k];
	size_t y;
	uint8_t f;

	y = scan_segment(a, x, a->n, 1, &f);
	pt->start = (uint32_t)x;
	pt->end = (uint32_t)y;
	pt->flags = f;
	pt->join = a->s[gap];
	pt->gap = (uint8_t)(x - gap < 255 ? x - gap : 255);
	return y;
}

/* Scans the URL whose scheme is a->parts[0], in one pass (so that text
 * full of URLs stays linear): its other parts go to a->parts[1..], its
 * end to a->url_end. */
static void scan_url(struct analyzer *a)
{
	const uint8_t *s = a->s;
	size_t x = a->parts[0].end + 3, gap = a->parts[0].end, clen = 1;
	size_t lo = x;
	int32_t cp;
	int k = 1, c;

	while (x < a->n) {
		if (!(btab[s[x]] & (B_ALNUM | B_HIGH))) {
			if (!(btab[s[x]] & B_URL))
				break;
			x++;
			continue;
		}
		c = CC_LETTER;
		if (btab[s[x]] & B_HIGH)
			c = classify(s + x, a->n - x, &clen, &cp);
		if (c == CC_SEP)
			break;
		if (c == CC_MARK || c == CC_CJKMARK) {
			x += clen; /* in the URL, not in a part */
			continue;
		}
		if (k == TRAWL_COMPOUND_PARTS) {
			x = a->parts[k - 1].end;
			break;
		}
		gap = x = url_part(a, k++, gap, x);
	}
	while (x > lo && (btab[s[x - 1]] & B_TRAIL))
		x--;
	a->nparts = k;
	a->url = 1;
	a->url_end = (uint32_t)x;
}

/* Scans the compound (or URL) starting at p, a letter or digit, into
 * a->parts; returns where it ends. */
static size_t scan_compound(struct analyzer *a, size_t p)
{
	struct part *pt = &a->parts[0];
	size_t q, jl;
	uint8_t f, jc = 0;

	q = scan_segment(a, p, a->n, 0, &f);
	pt->start = (uint32_t)p;
	pt->end = (uint32_t)q;
	pt->flags = f;
	pt->join = 0;
	pt->gap = 0;
	a->nparts = 1;
	a->url = 0;
	if (q < a->n && a->s[q] == ':' && url_starts(a, pt)) {
		scan_url(a);
		return a->url_end;
	}
	while (q < a->n && a->nparts < TRAWL_COMPOUND_PARTS) {
		jl = joiner_at(a, q, &jc);
		if (!jl)
			break;
		pt = &a->parts[a->nparts++];
		pt->start = (uint32_t)(q + jl);
		pt->join = jc;
		pt->gap = (uint8_t)jl;
		q = scan_segment(a, q + jl, a->n, 0, &f);
		pt->end = (uint32_t)q;
		pt->flags = f;
	}
	return q;
}

/* ------------------------------------------------------------------ */
/* Compounds */

/* Joins the normalized parts [i, j) with their joiners into a->tok (the
 * commas left out with drop_commas), cut to TRAWL_COMPOUND_MAX. */
static size_t join_parts(struct analyzer *a, int i, int j, int drop_commas)
{
	size_t len = 0;
	int k;

	for (k = i; k < j && len <= TRAWL_COMPOUND_MAX; k++) {
		if (k > i && !(drop_commas && a->parts[k].join == ','))
			a->tok[len++] = (char)a->parts[k].join;
		memcpy(a->tok + len, a->ptext[k], a->plen[k]);
		len += a->plen[k];
	}
	return cut_utf8(a->tok, len, TRAWL_COMPOUND_MAX);
}

/* 1 if parts [i, j) are a domain (see the header comment). */
static int is_domain(const struct analyzer *a, int i, int j)
{
	const struct part *last = &a->parts[j - 1];
	int k;

	if (j - i < 2 || last->join != '.' || last->gap != 1 ||
	    (last->flags & F_DIGIT))
		return 0;
	for (k = i + 1; k < j; k++)
		if (a->parts[k].gap != 1 ||
		    (a->parts[k].join != '.' && a->parts[k].join != '-'))
			return 0;
	return 1;
}

static int ascii_digits(const struct part *pt, size_t min, size_t max)
{
	size_t len = pt->end - pt->start;

	return pt->flags == F_DIGIT && len >= min && len <= max;
}

/* 1 if the compound is digits in thousands groups. */
static int is_thousands(const struct analyzer *a)
{
	int k, n = a->nparts;

	if (n > 2 && a->parts[n - 1].join == '.' &&
	    ascii_digits(&a->parts[n - 1], 1, SIZE_MAX))
		n--;
	if (!ascii_digits(&a->parts[0], 1, 3))
		return 0;
	for (k = 1; k < n; k++)
		if (a->parts[k].join != ',' ||
		    !ascii_digits(&a->parts[k], 3, 3))
			return 0;
	return n > 1;
}

/* The part after the one '@' of an e-mail address, or 0. */
static int email_at(const struct analyzer *a)
{
	int k, at = 0, dot = 0;

	for (k = 1; k < a->nparts; k++) {
		if (a->parts[k].join == '@') {
			if (at)
				return 0;
			at = k;
		} else if (at && a->parts[k].join == '.') {
			dot = 1;
		}
	}
	return dot ? at : 0;
}

/* End of the host of a URL (parts from 1). */
static int url_host_end(const struct analyzer *a)
{
	int h = 2;

	while (h < a->nparts && a->parts[h].gap == 1 &&
	       (a->parts[h].join == '.' || a->parts[h].join == '-'))
		h++;
	return h;
}

static int emit_part(struct analyzer *a, int k, uint32_t pos)
{
	const struct part *pt = &a->parts[k];
	size_t len = cut_utf8(a->ptext[k], a->plen[k], part_cap(pt));

	memcpy(a->tok, a->ptext[k], len);
	return emit(a, len, part_kind(pt), pos + (uint32_t)k, pt->start,
		    pt->end, pt->flags);
}

/* The whole compound: the URL's own text, or the parts joined. */
static size_t whole_text(struct analyzer *a)
{
	const struct part *p0 = &a->parts[0];
	const uint8_t *src = a->s + p0->start;
	size_t len = a->url_end - p0->start, i, m;

	if (!a->url)
		return join_parts(a, 0, a->nparts, 0);
	for (i = 0; i < len && !(btab[src[i]] & B_HIGH); i++)
		;
	if (i == len)
		m = lower_ascii(src, len, a->tok, TRAWL_COMPOUND_MAX);
	else
		m = norm_slow(a, src, len, WORD_OPTS, a->tok,
			      TRAWL_COMPOUND_MAX);
	return m;
}

static void emit_compound(struct analyzer *a)
{
	int n = a->nparts, k, at = 0, dom_i = -1, dom_j = -1;
	uint32_t pos = a->pos, start = a->parts[0].start;
	uint32_t end = a->url ? a->url_end : a->parts[n - 1].end;
	size_t len;

	a->pos += (uint32_t)n;
	for (k = 0; k < n; k++)
		a->plen[k] = (uint8_t)norm_part(a, &a->parts[k], a->ptext[k],
						 TRAWL_COMPOUND_MAX);
	len = whole_text(a);
	if (emit(a, len, TOK_COMPOUND, pos, start, end, 0))
		return;
	if (a->url) {
		dom_i = 1;
		dom_j = url_host_end(a);
	} else if ((at = email_at(a)) > 0) {
		dom_i = at;
		dom_j = n;
	} else {
		dom_i = 0;
		dom_j = n;
		for (k = 1; k < n; k++)
			if (a->parts[k].join == '@')
				dom_i = -1;
	}
	if (dom_i >= 0 && !is_domain(a, dom_i, dom_j))
		dom_i = -1;
	if (!a->url && is_thousands(a)) {
		len = join_parts(a, 0, n, 1);
		if (emit(a, len, TOK_COMPOUND, pos, start, end, 0))
			return;
	}
	if (at >= 2) {
		len = join_parts(a, 0, at, 0);
		if (emit(a, len, TOK_COMPOUND, pos, start,
			 a->parts[at - 1].end, 0))
			return;
	}
	for (k = 0; k < n; k++) {
		if (dom_i >= 0 && k > 0 && k >= dom_i && k < dom_j - 1 &&
		    (k == dom_i || a->parts[k].join == '.')) {
			len = join_parts(a, k, dom_j, 0);
			if (emit(a, len, TOK_COMPOUND, pos + (uint32_t)k,
				 a->parts[k].start, a->parts[dom_j - 1].end, 0))
				return;
		}
		if (emit_part(a, k, pos))
			return;
	}
}

static void emit_segment(struct analyzer *a)
{
	const struct part *pt = &a->parts[0];
	size_t len = norm_part(a, pt, a->tok, part_cap(pt));

	emit(a, len, part_kind(pt), a->pos++, pt->start, pt->end, pt->flags);
}

/* ------------------------------------------------------------------ */
/* CJK */

/* 1 if the character cp alone is unchanged by CJK normalization. */
static int cjk_identity(int32_t cp)
{
	return (cp >= 0x4e00 && cp <= 0x9fff) ||
	       (cp >= 0x3400 && cp <= 0x4dbf) ||
	       (cp >= 0xac00 && cp <= 0xd7a3) ||
	       (cp >= 0x3041 && cp <= 0x3096) ||
	       (cp >= 0x30a1 && cp <= 0x30fa) || cp == 0x30fc;
}

/* Scans the CJK character at p with its marks into c; returns its end. */
static size_t scan_cjk_char(struct analyzer *a, size_t p, int32_t cp,
			    size_t clen, struct cjk_char *c)
{
	const uint8_t *s = a->s;
	size_t q = p + clen, mlen;
	int32_t mcp;
	int cls;

	while (q < a->n && (btab[s[q]] & B_HIGH)) {
		cls = classify(s + q, a->n - q, &mlen, &mcp);
		if (cls != CC_MARK && cls != CC_CJKMARK)
			break;
		q += mlen;
	}
	c->start = (uint32_t)p;
	c->end = (uint32_t)q;
	if (q == p + clen && cjk_identity(cp)) {
		memcpy(c->text, s + p, clen);
		c->len = clen;
	} else {
		c->len = norm_slow(a, s + p, q - p, CJK_OPTS, c->text,
				   TRAWL_TOKEN_MAX);
	}
	return q;
}

static int emit_bigram(struct analyzer *a, const struct cjk_char *x,
		       const struct cjk_char *y, uint32_t pos)
{
	size_t len = x->len;

	memcpy(a->tok, x->text, x->len);
	memcpy(a->tok + len, y->text, y->len);
	len = cut_utf8(a->tok, len + y->len, TRAWL_TOKEN_MAX);
	return emit(a, len, TOK_CJK, pos, x->start, y->end, 0);
}

/* Tokenizes the run of CJK characters starting at p; returns its end. */
static size_t do_cjk(struct analyzer *a, size_t p)
{
	struct cjk_char *cur, *prev = NULL;
	uint32_t count = 0, pos = a->pos;
	size_t clen;
	int32_t cp;
	int cls;

	while (p < a->n && (btab[a->s[p]] & B_HIGH)) {
		cls = classify(a->s + p, a->n - p, &clen, &cp);
		if (cls != CC_CJK && cls != CC_CJKMARK)
			break;
		cur = &a->cjk[count & 1];
		p = scan_cjk_char(a, p, cp, clen, cur);
		if (prev && emit_bigram(a, prev, cur, pos + count - 1))
			return p;
		prev = cur;
		count++;
	}
	if (count == 1) {
		memcpy(a->tok, prev->text, prev->len);
		emit(a, prev->len, TOK_CJK, pos, prev->start, prev->end, 0);
	}
	a->pos += count > 1 ? count - 1 : count;
	return p;
}

/* ------------------------------------------------------------------ */

uint32_t analyzer_run(struct analyzer *a, const char *text, size_t len,
		      uint32_t pos0, analyze_cb cb, void *ctx)
{
	const uint8_t *s = (const uint8_t *)text;
	size_t p = 0, clen = 1;
	int32_t cp;
	int cls;

	if (len > TRAWL_ANALYZE_MAX)
		len = TRAWL_ANALYZE_MAX;
	a->s = s;
	a->n = s ? len : 0;
	a->cb = cb;
	a->ctx = ctx;
	a->pos = pos0;
	a->stopped = 0;
	while (p < a->n && !a->stopped) {
		while (!(btab[s[p]] & (B_ALNUM | B_HIGH)))
			if (++p == a->n)
				goto out;
		cls = CC_LETTER;
		if (btab[s[p]] & B_HIGH)
			cls = classify(s + p, a->n - p, &clen, &cp);
		if (cls == CC_LETTER || cls == CC_DIGIT) {
			p = scan_compound(a, p);
			if (a->nparts == 1)
				emit_segment(a);
			else
				emit_compound(a);
		} else if (cls == CC_CJK || cls == CC_CJKMARK) {
			p = do_cjk(a, p);
		} else {
			p += clen;
		}
	}
out:
	return a->stopped ? a->stop_pos : a->pos;
}

/* analyzer_word_stem's run: one TOK_WORD with the key's very text. */
struct word_probe {
	const char *text;
	size_t len;
	int ntok, word;
	char stem[TRAWL_TOKEN_MAX + 1];
	size_t slen;
};

static int probe_cb(void *ctx, const struct token *t)
{
	struct word_probe *w = ctx;

	if (w->ntok++ || t->kind != TOK_WORD || t->len != w->len ||
	    memcmp(t->text, w->text, w->len) || !t->stem ||
	    t->stem_len > TRAWL_TOKEN_MAX)
		return 1;
	memcpy(w->stem, t->stem, t->stem_len);
	w->slen = t->stem_len;
	w->word = 1;
	return 0;
}

int analyzer_word_stem(struct analyzer *a, const char *text, size_t len,
		       const char **stem, size_t *slen)
{
	struct word_probe w;
	struct token t;
	size_t i;
	int lazy = a->lazy;

	if (!len || len > TRAWL_TOKEN_MAX)
		return 0;
	for (i = 0; i < len && text[i] >= 'a' && text[i] <= 'z'; i++)
		;
	if (i == len) { /* ASCII a-z: a word, as emit() stems it */
		memcpy(a->tok, text, len);
		a->tok[len] = '\0';
		t.text = a->tok;
		t.len = len;
		t.kind = TOK_WORD;
		stem_word(a, &t, 1);
		*stem = t.stem;
		*slen = t.stem_len;
		return 1;
	}
	for (i = 0; i < len && !((unsigned char)text[i] & 0x80); i++)
		;
	if (i == len)
		return 0; /* ASCII with digits or joiners: not a word */
	w = (struct word_probe){ .text = text, .len = len };
	a->lazy = 0;
	analyzer_run(a, text, len, 0, probe_cb, &w);
	a->lazy = lazy;
	if (!w.word || w.ntok != 1)
		return 0;
	memcpy(a->stem, w.stem, w.slen);
	a->stem[w.slen] = '\0';
	*stem = a->stem;
	*slen = w.slen;
	return 1;
}
