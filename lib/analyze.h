/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * analyze.h - the one analyzer: text in, normalized tokens out.
 *
 * Indexing, querying and highlighting all call analyzer_run(), so what is
 * indexed, what a query looks up and what a snippet marks can never
 * disagree.  The rules (docs/QUERY.md and docs/FORMAT.md describe them for
 * users) are versioned by TRAWL_ANALYZER_VERSION: any change to what a text
 * turns into must bump it, and an index made by another version is refused
 * (`trawl reindex` rebuilds it).
 *
 * Summary of the rules:
 *  - Input is UTF-8; invalid bytes are separators.
 *  - Word characters are Unicode letters, digits and combining marks.  A
 *    run of word segments joined by single joiners (. @ - _ ' U+2019 +, and
 *    ',' or '/' or ':' between digits) is one compound: its parts are
 *    tokens at consecutive positions, and the whole compound is also a
 *    token (TOK_COMPOUND) at its first part's position.  E-mail addresses
 *    also give their local part (if it has two parts or more) and their
 *    domain; a domain also gives each suffix of two labels or more
 *    ("mail.enron.com" gives "enron.com"); a number with thousands
 *    separators also gives its digits alone ("1,000" gives "1000").  URLs
 *    (scheme://...) are one compound, whose host is a domain.
 *  - Each token is normalized: NFKC, case folding and diacritics removed
 *    (utf8proc); ASCII text takes a fast path with the same result.
 *  - Han, Hiragana, Katakana and Hangul runs become overlapping bigrams (a
 *    lone character is a unigram); they keep their marks (が is not か).
 *  - Over-long tokens are cut: a part to TRAWL_TOKEN_MAX bytes, a compound
 *    to TRAWL_COMPOUND_MAX bytes (on a character boundary); a segment that
 *    mixes letters and digits over TRAWL_TOKEN_MIXED_MAX bytes (base64,
 *    hex, hashes) is cut to that length.
 *  - Words of letters only also carry their English Snowball stem.
 * lib/analyze.c has the exact rules.
 */
#ifndef TRAWL_ANALYZE_H
#define TRAWL_ANALYZE_H

#include <stddef.h>
#include <stdint.h>

#define TRAWL_ANALYZER_VERSION 1u

#define TRAWL_TOKEN_MAX 64        /* bytes of one normalized part */
#define TRAWL_COMPOUND_MAX 128    /* bytes of one normalized compound */
#define TRAWL_TOKEN_MIXED_MAX 32  /* letters+digits segments (base64, hex) */
#define TRAWL_COMPOUND_PARTS 64   /* parts of one compound kept together */

enum tok_kind {
	TOK_WORD = 1,     /* letters (and marks) only: has a stem */
	TOK_NUM = 2,      /* contains a digit */
	TOK_COMPOUND = 3, /* a whole compound, or its local part, domain... */
	TOK_CJK = 4,      /* a CJK bigram or lone character */
};

struct token {
	const char *text;  /* normalized, NUL-terminated; owned by the
			    * analyzer, valid until the callback returns */
	size_t len;
	const char *stem;  /* TOK_WORD only: its stem (may equal text);
			    * NULL for other kinds; same lifetime */
	size_t stem_len;
	uint32_t pos;      /* position: pos0 + index of the token's part */
	uint32_t start;    /* byte offsets of the token in the input */
	uint32_t end;
	int kind;          /* enum tok_kind */
};

/* Return 0 to go on, nonzero to stop analyzer_run early. */
typedef int (*analyze_cb)(void *ctx, const struct token *t);

struct analyzer;

/* One per process or thread (it holds the stemmer and its cache, about
 * 1 MB, allocated once).  NULL when memory ran out. */
struct analyzer *analyzer_new(void);
void analyzer_free(struct analyzer *a);

/*
 * Tokenizes text[0..len) and calls cb for each token, in order of start
 * offset, and among tokens with the same start the longer first (a
 * compound's whole token comes before its parts, a domain suffix just
 * before its first label); positions never decrease either.  Positions
 * start at pos0.  Returns the position after the last one used (pos0 if
 * there was no token), so that a caller can chain several values of one
 * field with a gap; when cb stopped the run, the position after the token
 * that stopped it.  Offsets above UINT32_MAX are not produced: callers
 * pass at most TRAWL_ANALYZE_MAX bytes.
 */
uint32_t analyzer_run(struct analyzer *a, const char *text, size_t len,
		      uint32_t pos0, analyze_cb cb, void *ctx);

/*
 * Lazy stems (for highlighting, where few tokens need one): TOK_WORD
 * tokens then come with stem NULL, and a callback that wants one asks
 * analyzer_stem() for the token it was handed -- the same stem as an
 * eager run gives.  Off by default.
 */
void analyzer_lazy_stems(struct analyzer *a, int lazy);
/* The stem of t, a token being handed to a callback of a's current run
 * (NULL, *len 0, for other kinds).  Valid until the callback returns. */
const char *analyzer_stem(struct analyzer *a, const struct token *t,
			  size_t *len);

/*
 * Whether text[0..len), a normalized token's text as an index key holds
 * it, is a word (TOK_WORD: what analyzer_run gives for that text is that
 * one word, unchanged) and then its stem in *stem, *slen (valid until a's
 * next call): 1; 0 for anything else (a number, a compound, CJK).  The
 * index derives its stem keys from its word keys with this.
 */
int analyzer_word_stem(struct analyzer *a, const char *text, size_t len,
		       const char **stem, size_t *slen);
/* A segment of letters and digits cut to TRAWL_TOKEN_MIXED_MAX bytes (on
 * a character boundary) may keep letters only: a key of such a length
 * does not say whether it was a word.  Words of these lengths keep their
 * stem entries in the documents' terms, and the flush derives no stem
 * from keys of these lengths. */
#define STEM_AMBIGUOUS(len) \
	((len) + 3 >= TRAWL_TOKEN_MIXED_MAX && (len) <= TRAWL_TOKEN_MIXED_MAX)

/* Input bytes analyzer_run looks at; longer text is cut there. */
#define TRAWL_ANALYZE_MAX ((size_t)64 << 20)

#endif
