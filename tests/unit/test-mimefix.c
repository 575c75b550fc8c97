/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test-mimefix.c - the repair plans of lib/mimefix.c: what each kind of
 * framing becomes in the copy, what is left alone, the map back to the
 * original, and the bounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimefix.h"
#include "tap.h"

/* A message and the multiparts a parser would report: boundary (NULL:
 * none) and the nth "Content-Type:" field (0-based) as the header. */
struct fix_case {
	const char *what;
	const char *in;
	const char *boundary[3];
	int field[3];
	int nparts;
	const char *want;          /* the copy; NULL: no edit */
	int kind, count;           /* edits of that kind */
};

static const struct fix_case cases[] = {
	{ "no ';' before a folded parameter",
	  "Content-Type: multipart/mixed\n\tboundary=\"b\"\n\n--b\nx\n--b--\n",
	  { NULL }, { 0 }, 1,
	  "Content-Type: multipart/mixed;\n\tboundary=\"b\"\n\n--b\nx\n--b--\n",
	  MIMEFIX_SEMICOLON, 1 },
	{ "no ';' after a comment, on one line",
	  "Content-Type: multipart/mixed (c) boundary=b\n\n",
	  { NULL }, { 0 }, 1,
	  "Content-Type: multipart/mixed; (c) boundary=b\n\n",
	  MIMEFIX_SEMICOLON, 1 },
	{ "';' present: left alone",
	  "Content-Type: multipart/mixed; boundary=b\n\n--b\nx\n--b--\n",
	  { "b" }, { 0 }, 1, NULL, 0, 0 },
	{ "no parameter at all: left alone",
	  "Content-Type: multipart/mixed\nSubject: x\n\n", { NULL }, { 0 }, 1,
	  NULL, 0, 0 },
	{ "a word but no '=': left alone",
	  "Content-Type: multipart/mixed boundary\n\n", { NULL }, { 0 }, 1,
	  NULL, 0, 0 },
	{ "not a Content-Type field: left alone",
	  "Content-Typo: multipart/mixed boundary=b\n\n", { NULL }, { 0 }, 1,
	  NULL, 0, 0 },
	{ "text after the boundary, both delimiters",
	  "Content-Type: multipart/mixed; boundary=b\n\n--b junk\nA\n"
	  "--b--\tend\n",
	  { "b" }, { 0 }, 1,
	  "Content-Type: multipart/mixed; boundary=b\n\n--b\nA\n--b--\n",
	  MIMEFIX_TRAILING_TEXT, 2 },
	{ "text glued to the boundary: another boundary, left alone",
	  "Content-Type: multipart/mixed; boundary=b\n\n--b\nA\n--bX y\n"
	  "--b--\n",
	  { "b" }, { 0 }, 1, NULL, 0, 0 },
	{ "white space only after the boundary: GMime reads it",
	  "Content-Type: multipart/mixed; boundary=b\n\n--b \t\nA\n--b-- \n",
	  { "b" }, { 0 }, 1, NULL, 0, 0 },
	{ "before the field and after the close: not delimiters",
	  "X: 1\n--b early\nContent-Type: multipart/mixed; boundary=b\n\n"
	  "--b\nA\n--b--\n--b late\n",
	  { "b" }, { 0 }, 1, NULL, 0, 0 },
	{ "the longest open boundary wins",
	  "Content-Type: multipart/mixed; boundary=a\n\n--a\n"
	  "Content-Type: multipart/mixed; boundary=a-b\n\n--a-b x\nB\n"
	  "--a-b--\n--a--\n",
	  { "a", "a-b" }, { 0, 1 }, 2,
	  "Content-Type: multipart/mixed; boundary=a\n\n--a\n"
	  "Content-Type: multipart/mixed; boundary=a-b\n\n--a-b\nB\n"
	  "--a-b--\n--a--\n",
	  MIMEFIX_TRAILING_TEXT, 1 },
	{ "CRLF delimiter after a bare LF",
	  "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nAB\n"
	  "--b--\r\n",
	  { "b" }, { 0 }, 1,
	  "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nAB\n"
	  "--b--\n",
	  MIMEFIX_LINE_END, 1 },
	{ "LF delimiter after CRLF",
	  "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nAB\r\n"
	  "--b--\n",
	  { "b" }, { 0 }, 1,
	  "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nAB\r\n"
	  "--b--\r\n",
	  MIMEFIX_LINE_END, 1 },
	{ "close delimiter at the end without a line end, after CRLF",
	  "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nAB\r\n"
	  "--b--",
	  { "b" }, { 0 }, 1,
	  "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nAB\r\n"
	  "--b--\r\n",
	  MIMEFIX_LINE_END, 1 },
	{ "... and after LF: GMime reads it",
	  "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nAB\n--b--",
	  { "b" }, { 0 }, 1, NULL, 0, 0 },
	{ "a multipart without boundary and none wanted: nothing to scan",
	  "Content-Type: multipart/mixed;\n\n--b x\n", { NULL }, { 0 }, 1,
	  NULL, 0, 0 },
};

/* Offset of the nth "Content-Type" or "Content-Typo" in s. */
static size_t nth_field(const char *s, int n)
{
	const char *p = s;

	for (;;) {
		p = strstr(p, "Content-Typ");
		if (!p || n-- == 0)
			break;
		p++;
	}
	return p ? (size_t)(p - s) : 0;
}

static size_t make_parts(const struct fix_case *c, struct mimefix_part *parts)
{
	for (int i = 0; i < c->nparts; i++) {
		parts[i].kind = MIMEFIX_MULTIPART;
		parts[i].boundary = c->boundary[i];
		parts[i].header = nth_field(c->in, c->field[i]);
	}
	return (size_t)c->nparts;
}

static char *copy_of(const struct mimefix *f)
{
	size_t n = mimefix_copy_len(f);
	char *out = malloc(n + 1);

	mimefix_write(f, out);
	out[n] = '\0';
	return out;
}

static void run_case(const struct fix_case *c)
{
	struct mimefix f;
	struct mimefix_part parts[3];
	size_t n = make_parts(c, parts);
	int changed;
	char *copy;

	mimefix_init(&f, c->in, strlen(c->in));
	changed = mimefix_plan(&f, parts, n);
	copy = copy_of(&f);
	is_int(changed, c->want != NULL, "%s: plan changed", c->what);
	is_str(copy, c->want ? c->want : c->in, "%s: the copy", c->what);
	if (c->want)
		is_int(f.count[c->kind], c->count, "%s: counted", c->what);
	is_int(mimefix_plan(&f, parts, n), 0, "%s: planning again changes "
	       "nothing", c->what);
	free(copy);
	mimefix_release(&f);
}

/* Every position of the copy maps into the original, in order; bytes
 * outside the edits map to themselves. */
static void check_map(const char *in, const char *boundary, const char *what)
{
	struct mimefix f;
	struct mimefix_part part = { MIMEFIX_MULTIPART, boundary, 0 };
	size_t len = strlen(in), prev = 0, clen;
	char *copy;
	int monotonic = 1, same = 1;

	mimefix_init(&f, in, len);
	mimefix_plan(&f, &part, 1);
	copy = copy_of(&f);
	clen = mimefix_copy_len(&f);
	for (size_t pos = 0; pos <= clen; pos++) {
		size_t o = mimefix_to_orig(&f, pos);
		int in_edit = 0;

		monotonic = monotonic && o >= prev && o <= len;
		prev = o;
		for (size_t i = 0; i < f.nedits; i++) {
			const struct mimefix_edit *e = &f.edits[i];

			in_edit |= pos >= e->copy_at &&
				   pos < e->copy_at + e->rep_len;
		}
		if (!in_edit && pos < clen && o < len && copy[pos] != in[o])
			same = 0;
	}
	ok(f.nedits > 0, "%s: there are edits", what);
	ok(monotonic, "%s: the map is monotonic and inside the original", what);
	ok(same, "%s: bytes outside the edits map to themselves", what);
	is_int(mimefix_to_orig(&f, clen), len, "%s: the end maps to the end",
	       what);
	free(copy);
	mimefix_release(&f);
}

static void test_long_boundary(void)
{
	size_t blen = MIMEFIX_LONG_BOUNDARY + 2;
	char *b = malloc(blen + 1), *in = malloc(4 * blen + 200), *copy;
	const char *tok = "=_trawl_long_boundary_0_=";
	struct mimefix f;
	struct mimefix_part part;
	int n;

	memset(b, 'q', blen);
	b[blen] = '\0';
	n = snprintf(in, 4 * blen + 200, "Content-Type: multipart/mixed; "
		     "boundary=\"%s\"\n\n--%s\nbody\n--%s--\n", b, b, b);
	part.kind = MIMEFIX_MULTIPART;
	part.boundary = b;
	part.header = 0;
	mimefix_init(&f, in, (size_t)n);
	is_int(mimefix_plan(&f, &part, 1), 1, "long boundary: renamed");
	copy = copy_of(&f);
	is_str(copy, "Content-Type: multipart/mixed; boundary=\""
	       "=_trawl_long_boundary_0_=\"\n\n--=_trawl_long_boundary_0_=\n"
	       "body\n--=_trawl_long_boundary_0_=--\n", "long boundary: the "
	       "copy");
	free(copy);
	is_str(mimefix_boundary(&f, tok), b, "long boundary: the token "
	       "stands for it");
	is_str(mimefix_boundary(&f, "=_trawl_long_boundary_7_="),
	       "=_trawl_long_boundary_7_=", "an unknown token stands for "
	       "itself");
	/* the parser reports the token next time: the same plan */
	part.boundary = tok;
	is_int(mimefix_plan(&f, &part, 1), 0, "long boundary: reported as "
	       "its token, the plan stays");
	mimefix_release(&f);
	free(in);
	free(b);
}

static void test_long_boundary_text(void)
{
	/* the longer line after the body is text, not renamed */
	size_t blen = MIMEFIX_LONG_BOUNDARY + 2;
	char *b = malloc(blen + 1), *in = malloc(4 * blen + 200), *copy;
	struct mimefix f;
	struct mimefix_part part;
	int n;

	memset(b, 'q', blen);
	b[blen] = '\0';
	n = snprintf(in, 4 * blen + 200, "Content-Type: multipart/mixed; "
		     "boundary=%s\n\n--%s\nA\n--%sq\n--%s--\n", b, b, b, b);
	part.kind = MIMEFIX_MULTIPART;
	part.boundary = b;
	part.header = 0;
	mimefix_init(&f, in, (size_t)n);
	mimefix_plan(&f, &part, 1);
	copy = copy_of(&f);
	ok(strstr(copy, "\n--=_trawl_long_boundary_0_=\nA\n--qqq") != NULL,
	   "long boundary: a line with more after it stays text");
	is_int(f.count[MIMEFIX_LONG], 3, "long boundary: the parameter and "
	       "two delimiter lines");
	free(copy);
	mimefix_release(&f);
	/* the token in the message: no rename */
	n = snprintf(in, 4 * blen + 200, "Content-Type: multipart/mixed; "
		     "boundary=%s\n\n=_trawl_long_boundary_0_=\n--%s--\n",
		     b, b);
	mimefix_init(&f, in, (size_t)n);
	is_int(mimefix_plan(&f, &part, 1), 0, "long boundary: its token in "
	       "the message, no rename");
	mimefix_release(&f);
	free(in);
	free(b);
}

static void test_pin(void)
{
	const char *in = "Subject: x\nbody\n";
	struct mimefix f;
	char *copy;

	mimefix_init(&f, in, strlen(in));
	is_int(mimefix_pin(&f, 11, "\n", 1), TRAWL_OK, "pin: accepted");
	copy = copy_of(&f);
	is_str(copy, "Subject: x\n\nbody\n", "pin: in the copy at once");
	free(copy);
	is_int(mimefix_plan(&f, NULL, 0), 0, "pin: a plan without multiparts "
	       "keeps it, unchanged");
	is_int(mimefix_to_orig(&f, 11), 11, "pin: its byte maps to where it "
	       "went in");
	is_int(mimefix_to_orig(&f, 12), 11, "pin: the byte after it maps back");
	is_int(mimefix_pin(&f, 99, "\n", 1), TRAWL_ERR_INVALID,
	       "pin: outside the original refused");
	mimefix_release(&f);
}

/* message/rfc822 parts and digests: their types renamed in the copy, and
 * found again by their fields. */
static void test_leaves(void)
{
	const char *in = "Content-Type: multipart/Digest; boundary=d\n\n--d\n"
			 "Content-Type: Message/rfc822\n\nSubject: x\n\n"
			 "--d--\n";
	size_t digest = 0, msg = strstr(in, "Content-Type: M") - in;
	struct mimefix_part parts[2] = {
		{ MIMEFIX_DIGEST, "d", 0 },
		{ MIMEFIX_MESSAGE, NULL, 0 },
	};
	struct mimefix f;
	char *copy;

	parts[1].header = msg;
	mimefix_init(&f, in, strlen(in));
	is_int(mimefix_plan(&f, parts, 2), 1, "leaves: planned");
	copy = copy_of(&f);
	is_str(copy, "Content-Type: multipart/x-trwl; boundary=d\n\n--d\n"
	       "Content-Type: x-trawl/rfc822\n\nSubject: x\n\n--d--\n",
	       "leaves: the digest's subtype and the message's type renamed");
	free(copy);
	ok(mimefix_leaf(&f, digest), "leaves: the digest's field is found");
	ok(mimefix_leaf(&f, msg), "leaves: the message part's field is found");
	ok(!mimefix_leaf(&f, msg + 1), "leaves: no other field");
	is_int(f.count[MIMEFIX_LEAF], 2, "leaves: counted, not as repairs");
	/* reported as renamed next time: the same plan */
	is_int(mimefix_plan(&f, parts, 2), 0, "leaves: the plan stays");
	mimefix_release(&f);

	in = "Content-Type: text/rfc822\n\n";
	parts[1].header = 0;
	mimefix_init(&f, in, strlen(in));
	is_int(mimefix_plan(&f, parts + 1, 1), 0, "leaves: a type other than "
	       "message is left alone");
	mimefix_release(&f);
}

static void test_bounds(void)
{
	static struct mimefix_part parts[MIMEFIX_MAX_MULTIPARTS + 1];
	const char *in = "Content-Type: multipart/mixed boundary=b\n\n--b x\n";
	struct mimefix f;

	for (size_t i = 0; i <= MIMEFIX_MAX_MULTIPARTS; i++) {
		parts[i].kind = MIMEFIX_MULTIPART;
		parts[i].boundary = "b";
		parts[i].header = 0;
	}
	mimefix_init(&f, in, strlen(in));
	is_int(mimefix_plan(&f, parts, MIMEFIX_MAX_MULTIPARTS + 1), 0,
	       "more multiparts than MIMEFIX_MAX_MULTIPARTS: no plan");
	parts[0].header = strlen(in);
	is_int(mimefix_plan(&f, parts, 1), 0, "a field past the end: ignored");
	is_int(mimefix_plan(&f, NULL, 0), 0, "no multiparts: nothing to do");
	mimefix_release(&f);
}

static void test_many_delimiters(void)
{
	/* more delimiter lines to cut than MIMEFIX_MAX_EDITS: the first
	 * ones are, the rest stay as found */
	size_t n = MIMEFIX_MAX_EDITS + 10, at = 0, cap = 64 + n * 8;
	char *in = malloc(cap);
	struct mimefix f;
	struct mimefix_part part = { MIMEFIX_MULTIPART, "b", 0 };

	at += (size_t)snprintf(in, cap, "Content-Type: multipart/mixed; "
			       "boundary=b\n\n");
	for (size_t i = 0; i < n; i++)
		at += (size_t)snprintf(in + at, cap - at, "--b t\nx\n");
	mimefix_init(&f, in, at);
	is_int(mimefix_plan(&f, &part, 1), 1, "many delimiters: planned");
	is_int(f.nedits, MIMEFIX_MAX_EDITS,
	       "many delimiters: as many edits as the bound allows");
	mimefix_release(&f);
	free(in);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	check_map("Content-Type: multipart/mixed\n\tboundary=b\n\n--b junk\n"
		  "A\r\n--b--\n", NULL, "map, ';' inserted");
	check_map("Content-Type: multipart/mixed; boundary=b\n\n--b junk\n"
		  "A\r\n--b--\nepilogue\n", "b", "map, lines cut and grown");
	test_long_boundary();
	test_long_boundary_text();
	test_pin();
	test_leaves();
	test_bounds();
	test_many_delimiters();
	return tap_done();
}
