/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * qparse.c - the query language: text in, a query tree (query.h) out.
 *
 * docs/QUERY.md is the user's view; this is the grammar:
 *
 *   query    := and_list
 *   and_list := or_list { [ "AND" ] or_list }      implicit AND
 *   or_list  := unary { "OR" unary }               OR binds tighter
 *   unary    := ( "NOT" | "-" | "+" ) unary | primary
 *   primary  := "(" and_list ")" | phrase [ "~" N ] | word [ "*" ]
 *             | field ":" ( value | phrase | "(" and_list ")" )
 *
 * OR binding tighter than AND is what Google and Gmail do: `sony
 * pictures OR columbia` is sony AND (pictures OR columbia).  The
 * operators are upper case; `and`, `or` and `not` are words (there are no
 * stop words).
 *
 * The text is cut into pieces at white space, parentheses and quotes; a
 * piece is an operator, a field (a known name before its first ':'), or a
 * word.  A word goes through the analyzer (analyze.h), the one that built
 * the index:
 *   - one token: the token (a word of letters by its stem, matching its
 *     inflections; anything else, or a word in a quoted phrase or an
 *     address field, by its exact form);
 *   - a compound whose whole is one token (an address, a domain, a URL,
 *     `o'brien`, `555-1234`, `$1,000`): that whole, exact;
 *   - several tokens, none covering the rest (CJK bigrams): a phrase of
 *     them;
 *   - no token at all (punctuation): nothing, and the word is left out.
 * A phrase keeps, at each position, the shortest token there (a
 * compound's parts, not the whole), so `"amy.pascal@x.com wrote"` is the
 * phrase amy pascal x com wrote, as the index holds it.
 *
 * Every error carries the byte position and a hint; limits (bounds.h)
 * are checked as the text is read, so no query costs more than them.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "bounds.h"
#include "buf.h"
#include "internal.h"
#include "mailutil.h"
#include "query.h"
#include "banned.h"

struct trawl_parser {
	struct analyzer *an;
};

trawl_parser *trawl_parser_new(void)
{
	trawl_parser *p = calloc(1, sizeof(*p));

	if (p && !(p->an = analyzer_new())) {
		free(p);
		p = NULL;
	}
	return p;
}

void trawl_parser_free(trawl_parser *p)
{
	if (!p)
		return;
	analyzer_free(p->an);
	free(p);
}

/* ------------------------------------------------------------------ */
/* fields */

enum ftype {
	F_TEXT = 1,  /* words, stemmed: subject, body, file names */
	F_ADDR,      /* words, exact: from, to, cc, bcc */
	F_KIND, F_HAS, F_TYPE, F_THREAD, F_ID, F_MSGID, F_PATH, F_SIZE,
	F_DATE,
};

struct field {
	const char *name;
	enum ftype type;
	unsigned mask;    /* F_TEXT, F_ADDR */
};

static const struct field fields[] = {
	{ "from", F_ADDR, TRAWL_FIELD_FROM },
	{ "to", F_ADDR, TRAWL_FIELD_TO | TRAWL_FIELD_CC | TRAWL_FIELD_BCC },
	{ "cc", F_ADDR, TRAWL_FIELD_CC },
	{ "bcc", F_ADDR, TRAWL_FIELD_BCC },
	{ "subject", F_TEXT, TRAWL_FIELD_SUBJECT },
	{ "s", F_TEXT, TRAWL_FIELD_SUBJECT },
	{ "body", F_TEXT, TRAWL_FIELD_BODY | TRAWL_FIELD_ATTTEXT },
	{ "b", F_TEXT, TRAWL_FIELD_BODY | TRAWL_FIELD_ATTTEXT },
	{ "filename", F_TEXT, TRAWL_FIELD_ATTNAME },
	{ "attachment", F_TEXT, TRAWL_FIELD_ATTNAME },
	{ "n", F_TEXT, TRAWL_FIELD_ATTNAME },
	{ "type", F_TYPE, 0 },
	{ "kind", F_KIND, 0 },
	{ "has", F_HAS, 0 },
	{ "thread", F_THREAD, 0 },
	{ "id", F_ID, 0 },
	{ "msgid", F_MSGID, 0 },
	{ "mid", F_MSGID, 0 },
	{ "path", F_PATH, 0 },
	{ "size", F_SIZE, 0 },
	{ "date", F_DATE, 0 },
};

#define FIELD_LIST "from: to: cc: bcc: subject: body: filename: type: " \
		   "kind: has: thread: id: msgid: path: size: date:"

/* URL schemes: `http://...` is a word, not a field. */
static const char *const schemes[] = { "http", "https", "ftp", "ftps",
				       "mailto", "file", "news", "tel",
				       "sip", "cid", "urn", "ldap" };

/* MIME type families for type: (attachment types, and extensions for
 * attachments declared application/octet-stream). */
struct family {
	const char *name;
	const char *types; /* space-separated */
	const char *exts;
};

static const struct family families[] = {
	{ "pdf", "application/pdf", "pdf" },
	{ "image", "image/jpeg image/png image/gif image/tiff image/bmp "
		   "image/webp image/heic image/svg+xml image/pjpeg",
	  "jpg jpeg png gif tif tiff bmp webp heic svg" },
	{ "spreadsheet", "application/vnd.ms-excel "
			 "application/vnd.openxmlformats-officedocument."
			 "spreadsheetml.sheet "
			 "application/vnd.oasis.opendocument.spreadsheet "
			 "text/csv",
	  "xls xlsx xlsm ods csv" },
	{ "document", "application/msword "
		      "application/vnd.openxmlformats-officedocument."
		      "wordprocessingml.document "
		      "application/vnd.oasis.opendocument.text "
		      "application/rtf text/rtf",
	  "doc docx odt rtf" },
	{ "presentation", "application/vnd.ms-powerpoint "
			  "application/vnd.openxmlformats-officedocument."
			  "presentationml.presentation "
			  "application/vnd.oasis.opendocument.presentation",
	  "ppt pptx pps odp" },
	{ "text", "text/plain", "txt" },
	{ "html", "text/html", "html htm" },
	{ "archive", "application/zip application/x-zip-compressed "
		     "application/x-tar application/gzip "
		     "application/x-gzip application/x-7z-compressed "
		     "application/x-rar-compressed application/vnd.rar",
	  "zip tar gz tgz 7z rar" },
	{ "audio", "audio/mpeg audio/wav audio/x-wav audio/mp4 audio/ogg",
	  "mp3 wav m4a ogg" },
	{ "video", "video/mp4 video/quicktime video/x-msvideo video/mpeg",
	  "mp4 mov avi mpg mpeg" },
	{ "calendar", "text/calendar", "ics vcs" },
	{ "email", "message/rfc822", "eml msg" },
};

#define FAMILY_LIST "pdf, image, spreadsheet, document, presentation, " \
		    "text, html, archive, audio, video, calendar, email"

/* ------------------------------------------------------------------ */
/* the parse */

/* A parsed part: a query, or nothing (a word without letters or
 * digits), possibly negated. */
struct part {
	trawl_query *q; /* NULL: nothing */
	int neg;
};

struct ctx {
	trawl_parser *p;
	const char *s;    /* the text */
	size_t len, at;
	int depth;
	size_t words;
	trawl_status st;  /* first error: INVALID, TOO_LARGE or NOMEM */
	trawl_parse_error *err;
	/* tokens of the word being analyzed */
	struct qtok {
		char *text;
		char *stem;
		uint32_t pos, start, end;
		int kind;
	} *tok;
	size_t ntok, ctok;
	int tok_oom;
};

__attribute__((format(printf, 4, 5)))
static void fail(struct ctx *c, size_t pos, const char *hint,
		 const char *fmt, ...)
{
	va_list ap;

	if (c->st)
		return;
	c->st = TRAWL_ERR_INVALID;
	if (!c->err)
		return;
	c->err->pos = pos;
	va_start(ap, fmt);
	vsnprintf(c->err->message, sizeof(c->err->message), fmt, ap);
	va_end(ap);
	snprintf(c->err->hint, sizeof(c->err->hint), "%s", hint ? hint : "");
}

static void nomem(struct ctx *c)
{
	if (!c->st) {
		fail(c, c->at, NULL, "out of memory");
		c->st = TRAWL_ERR_NOMEM;
	}
}

static void too_large(struct ctx *c, size_t pos, const char *what)
{
	if (!c->st) {
		fail(c, pos, "split it into several searches", "%s", what);
		c->st = TRAWL_ERR_TOO_LARGE;
	}
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
	       ch == '\f' || ch == '\v';
}

/* Ends a bare piece of text. */
static int is_stop(char ch)
{
	return !ch || is_space(ch) || ch == '(' || ch == ')' || ch == '"';
}

static void skip_space(struct ctx *c)
{
	while (c->at < c->len && is_space(c->s[c->at]))
		c->at++;
}

static size_t piece_end(const struct ctx *c, size_t from)
{
	while (from < c->len && !is_stop(c->s[from]))
		from++;
	return from;
}

/* An operator word at c->at: "AND", "OR", "NOT"; 0 if none. */
static int op_at(const struct ctx *c, size_t at, size_t *len)
{
	static const char *const ops[] = { "AND", "OR", "NOT" };

	for (int i = 0; i < 3; i++) {
		size_t n = strlen(ops[i]);

		if (at + n <= c->len && !memcmp(c->s + at, ops[i], n) &&
		    (at + n == c->len || is_stop(c->s[at + n]))) {
			*len = n;
			return i + 1;
		}
	}
	return 0;
}

enum { OP_AND = 1, OP_OR = 2, OP_NOT = 3 };

/* ---- analysis ---- */

static int on_token(void *ctx, const struct token *t)
{
	struct ctx *c = ctx;
	struct qtok *k;

	if (c->ntok == c->ctok) {
		size_t nc = c->ctok ? 2 * c->ctok : 16;
		struct qtok *x = realloc(c->tok, nc * sizeof(*x));

		if (!x) {
			c->tok_oom = 1;
			return 1;
		}
		c->tok = x;
		c->ctok = nc;
	}
	k = &c->tok[c->ntok];
	k->text = strndup(t->text, t->len);
	k->stem = t->stem ? strndup(t->stem, t->stem_len) : NULL;
	if (!k->text || (t->stem && !k->stem)) {
		free(k->text);
		free(k->stem);
		c->tok_oom = 1;
		return 1;
	}
	k->pos = t->pos;
	k->start = t->start;
	k->end = t->end;
	k->kind = t->kind;
	c->ntok++;
	return 0;
}

static void clear_tokens(struct ctx *c)
{
	for (size_t i = 0; i < c->ntok; i++) {
		free(c->tok[i].text);
		free(c->tok[i].stem);
	}
	c->ntok = 0;
}

static int analyze(struct ctx *c, const char *s, size_t n)
{
	clear_tokens(c);
	c->tok_oom = 0;
	analyzer_run(c->p->an, s, n, 0, on_token, c);
	if (c->tok_oom) {
		nomem(c);
		return -1;
	}
	return 0;
}

/* 1 when the first token spans every other (a compound's whole). */
static int first_covers(const struct ctx *c)
{
	for (size_t i = 1; i < c->ntok; i++)
		if (c->tok[i].start < c->tok[0].start ||
		    c->tok[i].end > c->tok[0].end)
			return 0;
	return 1;
}

static int count_word(struct ctx *c, size_t pos)
{
	if (++c->words > TRAWL_MAX_QUERY_WORDS) {
		char msg[96];

		snprintf(msg, sizeof(msg), "the query has more than %d words",
			 TRAWL_MAX_QUERY_WORDS);
		too_large(c, pos, msg);
		return -1;
	}
	return 0;
}

/* The phrase of the analyzed tokens: at each position the shortest. */
static trawl_query *tokens_phrase(struct ctx *c, size_t pos, unsigned mask,
				  unsigned slop)
{
	const char *terms[TRAWL_MAX_PHRASE_TERMS];
	size_t n = 0;
	trawl_query *q;

	for (size_t i = 0; i < c->ntok;) {
		size_t best = i, j = i;

		for (; j < c->ntok && c->tok[j].pos == c->tok[i].pos; j++)
			if (c->tok[j].end - c->tok[j].start <
			    c->tok[best].end - c->tok[best].start)
				best = j;
		if (n == TRAWL_MAX_PHRASE_TERMS) {
			char msg[96];

			snprintf(msg, sizeof(msg), "a phrase has more than %d "
				 "words", TRAWL_MAX_PHRASE_TERMS);
			too_large(c, pos, msg);
			return NULL;
		}
		terms[n++] = c->tok[best].text;
		i = j;
	}
	if (!(q = trawl_query_phrase(terms, n, mask, slop)))
		nomem(c);
	return q;
}

/*
 * The query for one word s[0..n) at pos over the fields in mask: by its
 * stem when stem is allowed and it is one word of letters.  *q = NULL
 * with no error: the word has no token.
 */
static int word_query(struct ctx *c, const char *s, size_t n, size_t pos,
		      unsigned mask, int stem, trawl_query **q)
{
	const struct qtok *t;

	*q = NULL;
	if (analyze(c, s, n))
		return -1;
	if (!c->ntok)
		return 0;
	if (count_word(c, pos))
		return -1;
	if (c->ntok > 1 && !first_covers(c)) {
		*q = tokens_phrase(c, pos, mask, 0);
		return *q ? 0 : -1;
	}
	t = &c->tok[0];
	if (stem && t->kind == TOK_WORD && t->stem)
		*q = trawl_query_term(t->stem, mask, 1);
	else
		*q = trawl_query_term(t->text, mask, 0);
	if (!*q)
		nomem(c);
	return *q ? 0 : -1;
}

/* A quoted phrase s[0..n) (without its quotes): exact forms. */
static int phrase_query(struct ctx *c, const char *s, size_t n, size_t pos,
			unsigned mask, unsigned slop, trawl_query **q)
{
	*q = NULL;
	if (analyze(c, s, n))
		return -1;
	if (!c->ntok)
		return 0;
	if (count_word(c, pos))
		return -1;
	if (c->ntok == 1 || first_covers(c))
		*q = trawl_query_term(c->tok[0].text, mask, 0);
	else
		*q = tokens_phrase(c, pos, mask, slop);
	if (!*q && !c->st)
		nomem(c);
	return *q ? 0 : -1;
}

/* word* : a prefix over exact forms. */
static int prefix_query(struct ctx *c, const char *s, size_t n, size_t pos,
			unsigned mask, trawl_query **q)
{
	*q = NULL;
	if (analyze(c, s, n))
		return -1;
	if (!c->ntok) {
		fail(c, pos, "put letters or digits before the '*': budg*",
		     "'*' must follow the start of a word");
		return -1;
	}
	if (c->ntok > 1 && !first_covers(c)) {
		fail(c, pos, "a prefix is the start of one word: budg*",
		     "'%.*s*' is not one word", (int)n, s);
		return -1;
	}
	if (count_word(c, pos))
		return -1;
	if (!(*q = trawl_query_prefix(c->tok[0].text, mask)))
		nomem(c);
	return *q ? 0 : -1;
}

/* ---- combining ---- */

static trawl_query *negated(struct ctx *c, trawl_query *q)
{
	trawl_query *b = trawl_query_bool();

	if (!b || trawl_query_add(b, TRAWL_MUST_NOT, q)) {
		if (!b)
			trawl_query_free(q);
		trawl_query_free(b);
		nomem(c);
		return NULL;
	}
	return b;
}

/* Folds parts[0..n) into one node with occur (MUST or SHOULD); negated
 * parts are MUST_NOT under MUST, a negation of their own under SHOULD.
 * Takes the parts. */
static struct part combine(struct ctx *c, struct part *parts, size_t n,
			   trawl_occur occur)
{
	struct part r = { NULL, 0 };
	size_t live = 0, last = 0;
	trawl_query *b = NULL;

	for (size_t i = 0; i < n; i++)
		if (parts[i].q) {
			live++;
			last = i;
		}
	if (live == 1) {
		r = parts[last];
		return r;
	}
	if (!live)
		return r;
	if (!(b = trawl_query_bool())) {
		nomem(c);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		trawl_query *k = parts[i].q;
		trawl_occur o = occur;

		if (!k)
			continue;
		parts[i].q = NULL;
		if (parts[i].neg) {
			if (occur == TRAWL_MUST)
				o = TRAWL_MUST_NOT;
			else if (!(k = negated(c, k)))
				goto out;
		}
		if (trawl_query_add(b, o, k)) {
			nomem(c);
			goto out;
		}
	}
	r.q = b;
	b = NULL;
out:
	trawl_query_free(b);
	for (size_t i = 0; i < n; i++)
		trawl_query_free(parts[i].q);
	return r;
}

/* ---- values of structured fields ---- */

static int digits(const char *s, size_t n, int64_t *v)
{
	*v = 0;
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*v = *v * 10 + (s[i] - '0');
	}
	return 1;
}

#define DATE_HINT "dates are YYYY, YYYY-MM or YYYY-MM-DD (UTC), ranges " \
		  "A..B, ..B or A..: date:2014-11..2014-12"

/* One calendar unit s[0..n) as [*lo, *hi] in UTC seconds. */
static int parse_day(struct ctx *c, const char *s, size_t n, size_t pos,
		     int64_t *lo, int64_t *hi)
{
	int64_t y = 0, m = 0, d = 0, last;

	if (n == 4 && digits(s, 4, &y)) {
		*lo = days_from_civil(y, 1, 1) * 86400;
		*hi = days_from_civil(y + 1, 1, 1) * 86400 - 1;
		return 0;
	}
	if ((n == 7 || n == 10) && digits(s, 4, &y) && s[4] == '-' &&
	    digits(s + 5, 2, &m) && m >= 1 && m <= 12) {
		if (n == 7) {
			*lo = days_from_civil(y, (int)m, 1) * 86400;
			*hi = *lo + (int64_t)days_in_month((long)y, (int)m - 1) * 86400 - 1;
			return 0;
		}
		if (s[7] == '-' && digits(s + 8, 2, &d)) {
			last = days_in_month((long)y, (int)m - 1);
			if (d < 1 || d > last) {
				fail(c, pos, DATE_HINT, "%.*s has no day "
				     "%lld", 7, s, (long long)d);
				return -1;
			}
			*lo = days_from_civil(y, (int)m, (int)d) * 86400;
			*hi = *lo + 86399;
			return 0;
		}
	}
	fail(c, pos, DATE_HINT, "'%.*s' is not a date", (int)n, s);
	return -1;
}

static const char *find_dots(const char *s, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (s[i] == '.' && s[i + 1] == '.')
			return s + i;
	return NULL;
}

static trawl_query *date_query(struct ctx *c, const char *s, size_t n,
			       size_t pos)
{
	const char *dots = find_dots(s, n);
	int64_t lo = INT64_MIN, hi = INT64_MAX, x;
	trawl_query *q;

	if (n == 7 && !memcmp(s, "guessed", 7)) {
		if (!(q = trawl_query_keyword(TRAWL_KW_DATE, "guessed")))
			nomem(c);
		return q;
	}
	if (!dots) {
		if (parse_day(c, s, n, pos, &lo, &hi))
			return NULL;
	} else {
		size_t a = (size_t)(dots - s), b = n - a - 2;

		if (!a && !b) {
			fail(c, pos, DATE_HINT, "'..' needs a date on one "
			     "side at least");
			return NULL;
		}
		if (a && parse_day(c, s, a, pos, &lo, &x))
			return NULL;
		if (b && parse_day(c, dots + 2, b, pos + a + 2, &x, &hi))
			return NULL;
		if (lo > hi) {
			fail(c, pos, "write the earlier date first",
			     "the range %.*s ends before it starts", (int)n, s);
			return NULL;
		}
	}
	if (!(q = trawl_query_range(TRAWL_COL_DATE, lo, hi)))
		nomem(c);
	return q;
}

#define SIZE_HINT "sizes are bytes or with a unit (KB, MB, GB; 1 KB = " \
		  "1024 bytes): size:>1MB, size:<10KB, size:1MB..5MB"

static int parse_size(struct ctx *c, const char *s, size_t n, size_t pos,
		      int64_t *v)
{
	size_t i = 0;
	uint64_t whole = 0, frac = 0, scale = 1, unit = 1;

	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		if (whole > (uint64_t)1 << 40)
			goto bad;
		whole = whole * 10 + (uint64_t)(s[i] - '0');
	}
	if (!i)
		goto bad;
	if (i < n && s[i] == '.') {
		size_t f = ++i;

		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (i - f < 6) {
				frac = frac * 10 + (uint64_t)(s[i] - '0');
				scale *= 10;
			}
		if (i == f)
			goto bad;
	}
	if (i < n) {
		char u = (char)tolower((unsigned char)s[i]);
		size_t rest = n - i;

		if (u == 'b' && rest == 1)
			unit = 1;
		else if ((u == 'k' || u == 'm' || u == 'g') &&
			 (rest == 1 || (rest == 2 &&
					tolower((unsigned char)s[i + 1]) == 'b')))
			unit = u == 'k' ? 1024 : u == 'm' ? 1024 * 1024
							  : 1024ull << 20;
		else
			goto bad;
	}
	/* whole < 2^40 and unit <= 2^30: no overflow of 2^70 -- check */
	if (whole > (uint64_t)INT64_MAX / unit)
		goto bad;
	*v = (int64_t)(whole * unit + (frac * unit + scale / 2) / scale);
	return 0;
bad:
	fail(c, pos, SIZE_HINT, "'%.*s' is not a size", (int)n, s);
	return -1;
}

static trawl_query *size_query(struct ctx *c, const char *s, size_t n,
			       size_t pos)
{
	const char *dots = find_dots(s, n);
	int64_t lo = 0, hi = INT64_MAX, v;
	trawl_query *q;

	if (dots) {
		size_t a = (size_t)(dots - s), b = n - a - 2;

		if ((!a && !b) || (a && parse_size(c, s, a, pos, &lo)) ||
		    (b && parse_size(c, dots + 2, b, pos + a + 2, &hi))) {
			fail(c, pos, SIZE_HINT, "'%.*s' is not a size range",
			     (int)n, s);
			return NULL;
		}
		if (lo > hi) {
			fail(c, pos, "write the smaller size first",
			     "the range %.*s ends before it starts", (int)n, s);
			return NULL;
		}
	} else if (n >= 2 && (s[0] == '>' || s[0] == '<') && s[1] == '=') {
		if (parse_size(c, s + 2, n - 2, pos + 2, &v))
			return NULL;
		if (s[0] == '>')
			lo = v;
		else
			hi = v;
	} else if (n >= 1 && (s[0] == '>' || s[0] == '<')) {
		if (parse_size(c, s + 1, n - 1, pos + 1, &v))
			return NULL;
		if (s[0] == '>') {
			lo = v + 1;
		} else {
			if (!v) {
				fail(c, pos, SIZE_HINT, "nothing is smaller "
				     "than 0 bytes");
				return NULL;
			}
			hi = v - 1;
		}
	} else {
		if (parse_size(c, s, n, pos, &v))
			return NULL;
		lo = hi = v;
	}
	if (!(q = trawl_query_range(TRAWL_COL_SIZE, lo, hi)))
		nomem(c);
	return q;
}

/* Lower-cased copy of s[0..n) (ASCII), NUL-terminated. */
static char *lower_dup(struct ctx *c, const char *s, size_t n)
{
	char *r = malloc(n + 1);

	if (!r) {
		nomem(c);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		r[i] = (char)tolower((unsigned char)s[i]);
	r[n] = 0;
	return r;
}

/* OR of a keyword over space-separated values. */
static int add_values(struct ctx *c, trawl_query *b, trawl_keyword kw,
		      const char *list)
{
	while (*list) {
		const char *e = strchr(list, ' ');
		size_t n = e ? (size_t)(e - list) : strlen(list);
		char v[128];
		trawl_query *k;

		snprintf(v, sizeof(v), "%.*s", (int)n, list);
		if (!(k = trawl_query_keyword(kw, v)) ||
		    trawl_query_add(b, TRAWL_SHOULD, k)) {
			nomem(c);
			return -1;
		}
		list += n;
		while (*list == ' ')
			list++;
	}
	return 0;
}

static trawl_query *type_query(struct ctx *c, const char *s, size_t n,
			       size_t pos)
{
	char *v = lower_dup(c, s, n);
	trawl_query *q = NULL, *b = NULL;

	if (!v)
		return NULL;
	if (n >= DOCTERMS_MAX_KEY - 1) {
		fail(c, pos, NULL, "the type '%.*s' is too long", (int)n, s);
		goto out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
		if (strcmp(v, families[i].name))
			continue;
		if (!(b = trawl_query_bool()) ||
		    add_values(c, b, TRAWL_KW_ATTTYPE, families[i].types) ||
		    add_values(c, b, TRAWL_KW_EXT, families[i].exts)) {
			if (!b)
				nomem(c);
			goto out;
		}
		q = b;
		b = NULL;
		goto out;
	}
	if (strchr(v, '/'))
		q = trawl_query_keyword(TRAWL_KW_ATTTYPE, v);
	else if (v[0] == '.')
		q = v[1] ? trawl_query_keyword(TRAWL_KW_EXT, v + 1) : NULL;
	else
		q = trawl_query_keyword(TRAWL_KW_EXT, v);
	if (!q) {
		if (v[0] == '.' && !v[1])
			fail(c, pos, "type: takes " FAMILY_LIST ", a MIME type "
			     "or an extension", "type: needs a value");
		else
			nomem(c);
	}
out:
	trawl_query_free(b);
	free(v);
	return q;
}

/* The value of a structured field, s[0..n) at pos. */
static trawl_query *field_value(struct ctx *c, const struct field *f,
				const char *s, size_t n, size_t pos)
{
	trawl_query *q = NULL;
	int64_t v;
	char *low;

	switch (f->type) {
	case F_KIND:
		low = lower_dup(c, s, n);
		if (!low)
			return NULL;
		if (!strcmp(low, "email") || !strcmp(low, "attachment") ||
		    !strcmp(low, "document")) {
			if (!(q = trawl_query_keyword(TRAWL_KW_KIND, low)))
				nomem(c);
		} else {
			fail(c, pos, "kind: is email, attachment or document",
			     "unknown kind '%.*s'", (int)n, s);
		}
		free(low);
		return q;
	case F_HAS:
		if ((n == 10 && !strncasecmp(s, "attachment", 10)) ||
		    (n == 11 && !strncasecmp(s, "attachments", 11))) {
			if (!(q = trawl_query_keyword(TRAWL_KW_HAS,
						      "attachment")))
				nomem(c);
		} else {
			fail(c, pos, "has: takes attachment",
			     "unknown has:%.*s", (int)n, s);
		}
		return q;
	case F_TYPE:
		return type_query(c, s, n, pos);
	case F_THREAD:
		if (!digits(s, n, &v) || n > 18 || v <= 0) {
			fail(c, pos, "thread: takes a thread's number, as "
			     "`trawl show` prints it: thread:1234",
			     "'%.*s' is not a thread number", (int)n, s);
			return NULL;
		}
		if (!(q = trawl_query_thread(v)))
			nomem(c);
		return q;
	case F_ID:
		if (digits(s, n, &v) && n <= 18) {
			if (!(q = trawl_query_range(TRAWL_COL_ITEM, v, v)))
				nomem(c);
			return q;
		}
		/* a Message-ID */
		__attribute__((fallthrough));
	case F_MSGID:
		if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
			s++;
			n -= 2;
			pos++;
		}
		if (!n || n >= DOCTERMS_MAX_KEY - 1) {
			fail(c, pos, "give the Message-ID with or without "
			     "its <>: id:1234@example.com",
			     n ? "the Message-ID is too long"
			       : "the Message-ID is empty");
			return NULL;
		}
		low = strndup(s, n);
		if (!low || !(q = trawl_query_keyword(TRAWL_KW_MSGID, low)))
			nomem(c);
		free(low);
		return q;
	case F_PATH:
		low = strndup(s, n);
		if (!low || !(q = trawl_query_path(low)))
			nomem(c);
		free(low);
		return q;
	case F_SIZE:
		return size_query(c, s, n, pos);
	case F_DATE:
		return date_query(c, s, n, pos);
	default:
		break;
	}
	fail(c, pos, NULL, "internal: field %s", f->name);
	return NULL;
}

/* ---- the grammar ---- */

static struct part parse_and(struct ctx *c, const struct field *in,
			     int group);

static const struct field *field_named(const char *s, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		if (strlen(fields[i].name) == n &&
		    !strncasecmp(fields[i].name, s, n))
			return &fields[i];
	return NULL;
}

/* Reads a quoted phrase at c->at (on its '"'): *s, *n its inside; and a
 * ~N after it (*slop, 0 if none). */
static int read_phrase(struct ctx *c, const char **s, size_t *n,
		       unsigned *slop)
{
	size_t open = c->at, e = c->at + 1;
	int64_t v;

	while (e < c->len && c->s[e] != '"')
		e++;
	if (e >= c->len) {
		fail(c, open, "close it with another '\"'",
		     "the quote at %zu is not closed", open + 1);
		return -1;
	}
	*s = c->s + open + 1;
	*n = e - open - 1;
	*slop = 0;
	c->at = e + 1;
	if (c->at < c->len && c->s[c->at] == '~') {
		size_t f = ++c->at, g = piece_end(c, f);

		if (!digits(c->s + f, g - f, &v) || g - f > 4 || v > 1000) {
			fail(c, f - 1, "~ takes a number of words from 0 to "
			     "1000: \"budget meeting\"~5",
			     "'~%.*s' is not a distance", (int)(g - f),
			     c->s + f);
			return -1;
		}
		*slop = (unsigned)v;
		c->at = g;
	} else if (c->at < c->len && !is_stop(c->s[c->at])) {
		fail(c, c->at, "put a space after the closing quote",
		     "text right after a closing quote");
		return -1;
	}
	return 0;
}

static unsigned text_mask(const struct field *in)
{
	return in ? in->mask : TRAWL_FIELD_ALL;
}

/* A word s[0..n) at pos in field `in` (NULL: every text field). */
static struct part parse_word(struct ctx *c, const struct field *in,
			      const char *s, size_t n, size_t pos)
{
	struct part r = { NULL, 0 };
	int stem = !in || in->type == F_TEXT;

	if (n == 1 && s[0] == '*') {
		if (!(r.q = trawl_query_all()))
			nomem(c);
		return r;
	}
	if (n > 1 && s[n - 1] == '*') {
		prefix_query(c, s, n - 1, pos, text_mask(in), &r.q);
		return r;
	}
	for (size_t i = 0; i < n; i++)
		if (s[i] == '*') {
			fail(c, pos + i, "a '*' ends a prefix: budg*; quote "
			     "the word to search it as written: \"a*b\"",
			     "'*' in the middle of a word");
			return r;
		}
	word_query(c, s, n, pos, text_mask(in), stem, &r.q);
	return r;
}

static struct part parse_field(struct ctx *c, const struct field *f,
			       size_t name_at, size_t colon)
{
	struct part r = { NULL, 0 };
	size_t at = colon + 1, e;

	c->at = at;
	if (at >= c->len || is_space(c->s[at]) || c->s[at] == ')') {
		fail(c, name_at, "write the value right after the colon: "
		     "from:amy", "%s: needs a value", f->name);
		return r;
	}
	if (c->s[at] == '"') {
		const char *s;
		size_t n;
		unsigned slop;

		if (read_phrase(c, &s, &n, &slop))
			return r;
		if (f->type == F_TEXT || f->type == F_ADDR) {
			phrase_query(c, s, n, at, f->mask, slop, &r.q);
			return r;
		}
		if (!n) {
			fail(c, name_at, NULL, "%s: needs a value", f->name);
			return r;
		}
		if (count_word(c, at))
			return r;
		r.q = field_value(c, f, s, n, at + 1);
		return r;
	}
	if (c->s[at] == '(') {
		if (f->type != F_TEXT && f->type != F_ADDR) {
			fail(c, at, "give one value, or repeat the field: "
			     "(kind:email OR kind:document)",
			     "%s: does not take a group", f->name);
			return r;
		}
		return parse_and(c, f, 1);
	}
	e = piece_end(c, at);
	c->at = e;
	if (f->type == F_TEXT || f->type == F_ADDR)
		return parse_word(c, f, c->s + at, e - at, at);
	if (count_word(c, at))
		return r;
	r.q = field_value(c, f, c->s + at, e - at, at);
	return r;
}

/* A piece at c->at that is not an operator, quote or parenthesis. */
static struct part parse_piece(struct ctx *c, const struct field *in)
{
	size_t at = c->at, e = piece_end(c, at);
	const char *s = c->s + at;
	struct part r = { NULL, 0 };

	for (size_t i = 0; i < e - at; i++) {
		const struct field *f;
		int letters = 1;

		if (s[i] != ':')
			continue;
		for (size_t j = 0; j < i; j++)
			if (!isalpha((unsigned char)s[j]))
				letters = 0;
		if (!i || !letters)
			break; /* 10:30, :x -- a word */
		if ((f = field_named(s, i))) {
			if (in) {
				fail(c, at, "take the field out of the group",
				     "%.*s: inside %s:(...)", (int)i, s,
				     in->name);
				return r;
			}
			return parse_field(c, f, at, at + i);
		}
		for (size_t k = 0; k < ARRAY_SIZE(schemes); k++)
			if (strlen(schemes[k]) == i &&
			    !strncasecmp(schemes[k], s, i))
				goto word;
		fail(c, at, "fields are " FIELD_LIST "; to search the text "
		     "as written, quote it: \"re:budget\"",
		     "unknown field '%.*s:'", (int)i, s);
		return r;
	}
word:
	c->at = e;
	return parse_word(c, in, s, e - at, at);
}

static struct part parse_unary(struct ctx *c, const struct field *in);

static struct part parse_primary(struct ctx *c, const struct field *in)
{
	struct part r = { NULL, 0 };
	size_t oplen;

	skip_space(c);
	if (c->at >= c->len) {
		fail(c, c->at, "remove the operator, or add a word after it",
		     "the query ends where a word should be");
		return r;
	}
	switch (c->s[c->at]) {
	case '(':
		return parse_and(c, in, 1);
	case ')':
		fail(c, c->at, "remove it, or add a '(' before it",
		     "a ')' without its '('");
		return r;
	case '"': {
		size_t at = c->at;
		const char *s;
		size_t n;
		unsigned slop;

		if (!read_phrase(c, &s, &n, &slop))
			phrase_query(c, s, n, at + 1, text_mask(in), slop,
				     &r.q);
		return r;
	}
	}
	if (op_at(c, c->at, &oplen)) {
		fail(c, c->at, "put a word between operators; to search for "
		     "the word itself, quote it or write it in lower case: "
		     "\"and\"", "%.*s where a word should be", (int)oplen,
		     c->s + c->at);
		return r;
	}
	return parse_piece(c, in);
}

static struct part parse_unary(struct ctx *c, const struct field *in)
{
	struct part r = { NULL, 0 };
	size_t oplen;
	char ch;

	skip_space(c);
	if (c->at >= c->len)
		return parse_primary(c, in); /* the error */
	ch = c->s[c->at];
	if (op_at(c, c->at, &oplen) == OP_NOT || ch == '-' || ch == '+') {
		int neg = ch != '+';
		size_t at = c->at;

		c->at += ch == '-' || ch == '+' ? 1 : oplen;
		if (ch == '-' || ch == '+') {
			/* a lone '-' or '+' is punctuation, a word with no
			 * token */
			if (c->at >= c->len || is_space(c->s[c->at]) ||
			    c->s[c->at] == ')')
				return r;
		} else {
			skip_space(c);
			if (c->at >= c->len) {
				fail(c, at, "add what to leave out: NOT "
				     "word", "NOT at the end of the query");
				return r;
			}
		}
		if (++c->depth > TRAWL_MAX_QUERY_DEPTH) {
			too_large(c, at, "the query nests too deep");
			return r;
		}
		r = parse_unary(c, in);
		c->depth--;
		if (neg)
			r.neg = !r.neg;
		return r;
	}
	return parse_primary(c, in);
}

/* The parts of one AND or OR list, on the heap (a query nests 32 deep;
 * arrays of the word limit on the stack would take 256 KB of it). */
struct plist {
	struct part *v;
	size_t n, cap;
};

#define PLIST_MAX (TRAWL_MAX_QUERY_WORDS + 1)

static int plist_push(struct ctx *c, struct plist *l, struct part p,
		      size_t at)
{
	if (l->n == PLIST_MAX) {
		trawl_query_free(p.q);
		too_large(c, at, "the query has too many words");
		return -1;
	}
	if (l->n == l->cap) {
		size_t nc = l->cap ? 2 * l->cap : 4;
		struct part *v = realloc(l->v, nc * sizeof(*v));

		if (!v) {
			trawl_query_free(p.q);
			nomem(c);
			return -1;
		}
		l->v = v;
		l->cap = nc;
	}
	l->v[l->n++] = p;
	return 0;
}

static void plist_free(struct plist *l)
{
	for (size_t i = 0; i < l->n; i++)
		trawl_query_free(l->v[i].q);
	free(l->v);
}

/* Folds the list (taking its parts) and frees it. */
static struct part plist_fold(struct ctx *c, struct plist *l,
			      trawl_occur occur)
{
	struct part r = combine(c, l->v, l->n, occur);

	free(l->v);
	return r;
}

/* After a binary operator: 1 when something other than the end, a ')'
 * or another AND / OR comes next (c->at moved past the blanks). */
static int word_follows(struct ctx *c)
{
	size_t oplen;
	int op;

	skip_space(c);
	if (c->at >= c->len || c->s[c->at] == ')')
		return 0;
	op = op_at(c, c->at, &oplen);
	return op != OP_AND && op != OP_OR;
}

/* or_list := unary { OR unary } */
static struct part parse_or(struct ctx *c, const struct field *in)
{
	struct plist l = { 0 };
	size_t oplen;

	if (plist_push(c, &l, parse_unary(c, in), c->at))
		goto fail;
	for (;;) {
		size_t at;

		skip_space(c);
		at = c->at;
		if (c->st || op_at(c, at, &oplen) != OP_OR)
			break;
		c->at += oplen;
		if (!word_follows(c)) {
			fail(c, at, "add a word after OR", "OR needs a word "
			     "on each side");
			break;
		}
		if (l.n == PLIST_MAX) {
			too_large(c, at, "the query has too many words");
			break;
		}
		if (plist_push(c, &l, parse_unary(c, in), at))
			break;
	}
	if (c->st)
		goto fail;
	return plist_fold(c, &l, TRAWL_SHOULD);
fail:
	plist_free(&l);
	return (struct part){ NULL, 0 };
}

/*
 * and_list, to the end of the text (top level) or, for a group (c->at on
 * its '('), to its ')'.
 */
static struct part parse_and(struct ctx *c, const struct field *in,
			     int group)
{
	struct plist l = { 0 };
	size_t open = c->at, oplen;

	if (group) {
		if (++c->depth > TRAWL_MAX_QUERY_DEPTH) {
			too_large(c, open, "the query nests too deep");
			return (struct part){ NULL, 0 };
		}
		c->at++;
	}
	for (;;) {
		size_t at;

		skip_space(c);
		at = c->at;
		if (c->st || at >= c->len || c->s[at] == ')')
			break;
		if (op_at(c, at, &oplen) == OP_AND) {
			if (!l.n) {
				fail(c, at, "remove it, or add a word before "
				     "it", "AND needs a word on each side");
				break;
			}
			c->at += oplen;
			if (!word_follows(c)) {
				fail(c, at, "add a word after AND",
				     "AND needs a word on each side");
				break;
			}
			continue;
		}
		if (op_at(c, at, &oplen) == OP_OR) {
			fail(c, at, "remove it, or add a word before it",
			     "OR needs a word on each side");
			break;
		}
		if (l.n == PLIST_MAX) {
			too_large(c, at, "the query has too many words");
			break;
		}
		if (plist_push(c, &l, parse_or(c, in), at))
			break;
	}
	if (!c->st) {
		if (group && c->at >= c->len)
			fail(c, open, "close it with a ')'",
			     "the '(' at %zu is not closed", open + 1);
		else if (!group && c->at < c->len)
			fail(c, c->at, "remove it, or add a '(' before it",
			     "a ')' without its '('");
		else if (group && !l.n)
			fail(c, open, "put words inside, or remove them",
			     "empty parentheses");
	}
	if (c->st)
		goto fail;
	if (group) {
		c->at++; /* the ')' */
		c->depth--;
		if (c->at < c->len && !is_stop(c->s[c->at]) &&
		    c->s[c->at] != '"') {
			fail(c, c->at, "put a space after the ')'",
			     "text right after a ')'");
			goto fail;
		}
	}
	return plist_fold(c, &l, TRAWL_MUST);
fail:
	plist_free(&l);
	return (struct part){ NULL, 0 };
}

trawl_status trawl_query_parse(trawl_parser *p, const char *text,
			       trawl_query **out, trawl_parse_error *err)
{
	struct ctx c = { .p = p, .s = text, .err = err };
	struct part r;

	*out = NULL;
	if (err)
		memset(err, 0, sizeof(*err));
	if (!p || !text) {
		fail(&c, 0, NULL, "no query");
		return c.st;
	}
	c.len = strlen(text);
	if (c.len > TRAWL_MAX_QUERY_LEN) {
		char msg[96];

		snprintf(msg, sizeof(msg), "the query is longer than %d "
			 "bytes", TRAWL_MAX_QUERY_LEN);
		too_large(&c, TRAWL_MAX_QUERY_LEN, msg);
		return c.st;
	}
	r = parse_and(&c, NULL, 0);
	clear_tokens(&c);
	free(c.tok);
	if (c.st) {
		trawl_query_free(r.q);
		return c.st;
	}
	if (!r.q) {
		size_t i = 0;

		while (i < c.len && is_space(text[i]))
			i++;
		c.at = i < c.len;
		fail(&c, 0, "search for words, \"a phrase\", from:someone, "
		     "date:2014-11 ...; * lists everything", c.at
		     ? "nothing to search for: no word has a letter or digit"
		     : "the query is empty");
		return c.st;
	}
	if (r.neg && !(r.q = negated(&c, r.q)))
		return c.st;
	*out = r.q;
	return TRAWL_OK;
}

/* ------------------------------------------------------------------ */
/* describing */

int trawl_query_names_kind(const trawl_query *q)
{
	if (!q)
		return 0;
	if (q->type == Q_KEYWORD && q->kw == TRAWL_KW_KIND)
		return 1;
	for (size_t i = 0; i < q->nkids; i++)
		if (trawl_query_names_kind(q->kids[i].q))
			return 1;
	return 0;
}

static const char *const mask_names[] = { "subject", "body", "from", "to",
					  "cc", "bcc", "attname", "atttext" };
static const char *const kw_names[] = { "from", "to", "cc", "bcc", "msgid",
					"kind", "mime", "ext", "has", "date",
					"atttype" };

static void put_mask(struct buf *b, unsigned mask)
{
	int first = 1;

	if (mask == TRAWL_FIELD_ALL)
		return;
	buf_putc(b, ' ');
	for (int i = 0; i < 8; i++)
		if (mask & (1u << i)) {
			buf_printf(b, "%s%s", first ? "" : ",", mask_names[i]);
			first = 0;
		}
}

static void put_time(struct buf *b, int64_t t)
{
	int64_t z, y, sec;
	int m, d;

	if (t == INT64_MIN || t == INT64_MAX) {
		buf_puts(b, t == INT64_MIN ? "min" : "max");
		return;
	}
	z = (t >= 0 ? t : t - 86399) / 86400;
	sec = t - z * 86400;
	civil_from_days(z, &y, &m, &d);
	buf_printf(b, "%04lld-%02d-%02dT%02lld:%02lld:%02lld", (long long)y, m,
		   d, (long long)(sec / 3600), (long long)(sec / 60 % 60),
		   (long long)(sec % 60));
}

static void describe(struct buf *b, const trawl_query *q)
{
	int all_must = 1, all_should = 1;

	switch (q->type) {
	case Q_TERM:
		buf_printf(b, "(%s %s", q->stem ? "stem" : "exact", q->text);
		put_mask(b, q->fields);
		buf_putc(b, ')');
		return;
	case Q_PHRASE:
		buf_puts(b, "(phrase");
		if (q->slop)
			buf_printf(b, "~%u", q->slop);
		buf_puts(b, " \"");
		for (size_t i = 0; i < q->nterms; i++)
			buf_printf(b, "%s%s", i ? " " : "", q->terms[i]);
		buf_putc(b, '"');
		put_mask(b, q->fields);
		buf_putc(b, ')');
		return;
	case Q_PREFIX:
		buf_printf(b, "(prefix %s", q->text);
		put_mask(b, q->fields);
		buf_putc(b, ')');
		return;
	case Q_KEYWORD:
		buf_printf(b, "(%s %s)", q->kw >= TRAWL_KW_FROM &&
			   q->kw <= TRAWL_KW_ATTTYPE
				   ? kw_names[q->kw - TRAWL_KW_FROM] : "?",
			   q->text);
		return;
	case Q_RANGE:
		if (q->col == TRAWL_COL_DATE) {
			buf_puts(b, "(date ");
			put_time(b, q->lo);
			buf_putc(b, ' ');
			put_time(b, q->hi);
			buf_putc(b, ')');
		} else {
			buf_printf(b, "(%s %lld ", q->col == TRAWL_COL_SIZE
				   ? "size" : "id", (long long)q->lo);
			if (q->hi == INT64_MAX)
				buf_puts(b, "max)");
			else
				buf_printf(b, "%lld)", (long long)q->hi);
		}
		return;
	case Q_THREAD:
		buf_printf(b, "(thread %lld)", (long long)q->lo);
		return;
	case Q_PATH:
		buf_printf(b, "(path \"%s\")", q->text);
		return;
	case Q_ALL:
		buf_puts(b, "(all)");
		return;
	case Q_BOOL:
		for (size_t i = 0; i < q->nkids; i++) {
			all_must &= q->kids[i].occur == TRAWL_MUST;
			all_should &= q->kids[i].occur == TRAWL_SHOULD;
		}
		buf_puts(b, all_must ? "(and" : all_should ? "(or" : "(bool");
		for (size_t i = 0; i < q->nkids; i++) {
			buf_putc(b, ' ');
			if (!all_must && !all_should)
				buf_putc(b, q->kids[i].occur == TRAWL_MUST
						    ? '+'
					    : q->kids[i].occur == TRAWL_MUST_NOT
						    ? '-'
						    : '~');
			describe(b, q->kids[i].q);
		}
		buf_putc(b, ')');
		return;
	}
	buf_puts(b, "(?)");
}

char *trawl_query_describe(const trawl_query *q)
{
	struct buf b;
	char *r = NULL;

	buf_init(&b, (size_t)1 << 20);
	if (q)
		describe(&b, q);
	if (!b.err && (r = malloc(b.len + 1))) {
		memcpy(r, b.data ? b.data : "", b.len);
		r[b.len] = 0;
	}
	buf_release(&b);
	return r;
}

/* ------------------------------------------------------------------ */
/* search forms */

/* Appends " PREFIX(value)" to b, the value with parentheses taken out
 * (they would end the group) and its quotes balanced; nothing when the
 * value holds nothing else. */
static void put_field(struct buf *b, const char *prefix, const char *v)
{
	size_t n, quotes = 0;
	char *t;

	if (!v || !(t = strdup(v)))
		return;
	for (n = 0; t[n]; n++) {
		if (t[n] == '(' || t[n] == ')')
			t[n] = ' ';
		quotes += t[n] == '"';
	}
	if (t[strspn(t, " \t\r\n\"")]) {
		if (b->len)
			buf_putc(b, ' ');
		buf_printf(b, "%s(%s%s)", prefix, t, quotes % 2 ? "\"" : "");
	}
	free(t);
}

/* An exclusion: each word or quoted phrase of v excluded on its own
 * (the mails that have any of them go). */
static void put_each(struct buf *b, const char *prefix, const char *v)
{
	while (v && *v) {
		const char *e;
		char *piece;

		v += strspn(v, " \t\r\n");
		if (!*v)
			break;
		if (*v == '"') {
			e = strchr(v + 1, '"');
			e = e ? e + 1 : v + strlen(v);
		} else {
			e = v + strcspn(v, " \t\r\n\"");
		}
		if ((piece = strndup(v, (size_t)(e - v)))) {
			put_field(b, prefix, piece);
			free(piece);
		}
		v = e;
	}
}

static int blank(const char *s)
{
	return !s || !s[strspn(s, " \t")];
}

char *trawl_search_form_query(const trawl_search_form *f)
{
	struct buf b;
	char *r = NULL;

	buf_init(&b, 4 * TRAWL_MAX_QUERY_LEN);
	put_field(&b, "", f->words);
	put_each(&b, "-", f->not_words);
	put_field(&b, "from:", f->from);
	put_each(&b, "-from:", f->not_from);
	put_field(&b, "to:", f->to);
	put_each(&b, "-to:", f->not_to);
	put_field(&b, "subject:", f->subject);
	put_each(&b, "-subject:", f->not_subject);
	if (!blank(f->date_from) || !blank(f->date_to)) {
		if (b.len)
			buf_putc(&b, ' ');
		buf_printf(&b, "date:%s..%s",
			   blank(f->date_from) ? "" : f->date_from + strspn(
				   f->date_from, " \t"),
			   blank(f->date_to) ? "" : f->date_to + strspn(
				   f->date_to, " \t"));
	}
	if (!b.err && (r = malloc(b.len + 1))) {
		memcpy(r, b.data ? b.data : "", b.len);
		r[b.len] = 0;
	}
	buf_release(&b);
	return r;
}
