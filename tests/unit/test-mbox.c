/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test-mbox.c - the streaming mbox splitter: a table of inputs and the
 * messages they must give, each read whole and in random pieces of 1 to 7
 * bytes; From_ line dates; sniffing; I/O errors; long lines and large
 * inputs in bounded memory; the mbox files of the shared fixtures.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mbox.h"
#include "tap.h"
#include "banned.h"

/* ------------------------------------------------------------------ */
/* Sources */

struct src {
	const char *data;
	size_t len, pos;
	unsigned seed;   /* 0: whole reads; else pieces of 1..7 bytes */
	size_t fail_at;  /* fail with EIO once pos reaches this (0: never) */
};

static unsigned rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 16) & 0x7fff;
}

static ssize_t src_read(void *ctx, void *buf, size_t len)
{
	struct src *s = ctx;
	size_t n = s->len - s->pos;

	if (s->fail_at && s->pos >= s->fail_at) {
		errno = EIO;
		return -1;
	}
	if (s->seed) {
		size_t piece = 1 + rnd(&s->seed) % 7;

		if (n > piece)
			n = piece;
	}
	if (n > len)
		n = len;
	memcpy(buf, s->data + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

/* s made printable on one line (\r, \n, bytes >= 0x7f escaped), cut at 60
 * bytes; in a static buffer. */
static const char *show(const char *s)
{
	static char out[256];
	size_t o = 0;

	for (; *s && o < 60; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= ' ' && c < 0x7f)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, sizeof(out) - o,
					      c == '\n' ? "\\n" :
					      c == '\r' ? "\\r" : "\\x%02x", c);
	}
	out[o] = '\0';
	return out;
}

/* ------------------------------------------------------------------ */
/* Collected messages */

struct got {
	char *data;
	size_t len;
	char *from;
	int64_t time;
	uint64_t offset, length;
	int truncated, by_cl;
};

struct run {
	struct got m[64];
	int n;
	int rc; /* last mbox_reader_next result */
};

static void run_free(struct run *r)
{
	int i;

	for (i = 0; i < r->n; i++) {
		free(r->m[i].data);
		free(r->m[i].from);
	}
	r->n = 0;
}

static char *dup_bytes(const char *p, size_t n)
{
	char *d = malloc(n + 1);

	if (!d)
		abort();
	memcpy(d, p, n);
	d[n] = '\0';
	return d;
}

static void read_all(const char *data, size_t len, size_t max_msg,
		     unsigned seed, struct run *out)
{
	struct src s = { data, len, 0, seed, 0 };
	struct mbox_reader r;
	struct mbox_msg m;

	out->n = 0;
	mbox_reader_init(&r, src_read, &s, max_msg);
	while ((out->rc = mbox_reader_next(&r, &m)) == 1) {
		struct got *g = &out->m[out->n < 63 ? out->n++ : 63];

		g->data = dup_bytes(m.data, m.len);
		g->len = m.len;
		g->from = dup_bytes(m.from_line, strlen(m.from_line));
		g->time = m.from_time;
		g->offset = m.offset;
		g->length = m.length;
		g->truncated = m.truncated;
		g->by_cl = m.by_content_length;
	}
	mbox_reader_release(&r);
}

/* The ranges follow each other from the first offset to the end. */
static int tiles(const struct run *r, uint64_t first, uint64_t len)
{
	uint64_t at = first;
	int i;

	for (i = 0; i < r->n; i++) {
		if (r->m[i].offset != at)
			return 0;
		at += r->m[i].length;
	}
	return r->n == 0 ? 1 : at == len;
}

static int same_runs(const struct run *a, const struct run *b)
{
	int i;

	if (a->n != b->n || a->rc != b->rc)
		return 0;
	for (i = 0; i < a->n; i++) {
		const struct got *x = &a->m[i], *y = &b->m[i];

		if (x->len != y->len || memcmp(x->data, y->data, x->len) ||
		    strcmp(x->from, y->from) || x->time != y->time ||
		    x->offset != y->offset || x->length != y->length ||
		    x->truncated != y->truncated || x->by_cl != y->by_cl)
			return 0;
	}
	return 1;
}

/* ------------------------------------------------------------------ */
/* The table */

#define D1 "Sat Jan  3 01:05:34 1996"
#define D2 "Sun Jan  4 12:00:00 1996"
#define T1 820631134
#define T2 820756800

struct want {
	const char *from;
	const char *data;
	int truncated, by_cl;
};

struct tcase {
	const char *name;
	const char *input;
	size_t len;      /* 0: strlen(input) */
	size_t max_msg;  /* 0: default */
	uint64_t first;  /* offset of the first message */
	int n;
	struct want m[6];
};

static const struct tcase cases[] = {
	{ "empty input", "", 0, 0, 0, 0, { { 0 } } },
	{ "one message", "From a@b " D1 "\nSubject: x\n\nbody\n", 0, 0, 0, 1,
	  { { "From a@b " D1, "Subject: x\n\nbody\n", 0, 0 } } },
	{ "mboxo, two messages, separator line dropped",
	  "From a@b " D1 "\nSubject: x\n\nbody1\n\n"
	  "From c@d " D2 "\nSubject: y\n\nbody2\n\n", 0, 0, 0, 2,
	  { { "From a@b " D1, "Subject: x\n\nbody1\n", 0, 0 },
	    { "From c@d " D2, "Subject: y\n\nbody2\n", 0, 0 } } },
	{ "mboxrd un-escaping",
	  "From a@b " D1 "\nS: x\n\n>From x\n>>From y\n>>>From z\n"
	  "> From no\n>Fromage\n>From\n>>From  two spaces\n", 0, 0, 0, 1,
	  { { "From a@b " D1, "S: x\n\nFrom x\n>From y\n>>From z\n"
	      "> From no\n>Fromage\n>From\n>From  two spaces\n", 0, 0 } } },
	{ "CRLF line endings kept, From_ line without CR",
	  "From a@b " D1 "\r\nS: x\r\n\r\nbody\r\n>From q\r\n\r\n"
	  "From c@d " D2 "\r\nS: y\r\n\r\nb2\r\n", 0, 0, 0, 2,
	  { { "From a@b " D1, "S: x\r\n\r\nbody\r\nFrom q\r\n", 0, 0 },
	    { "From c@d " D2, "S: y\r\n\r\nb2\r\n", 0, 0 } } },
	{ "body lines starting 'From ' after a blank line do not split",
	  "From a@b " D1 "\nS: x\n\nHi\n\nFrom here on we go.\n\n"
	  "From Russia with love\n\nFrom me to you, Sat Jan 3\n\n"
	  "From  \n\nFrom\n", 0, 0, 0, 1,
	  { { "From a@b " D1, "S: x\n\nHi\n\nFrom here on we go.\n\n"
	      "From Russia with love\n\nFrom me to you, Sat Jan 3\n\n"
	      "From  \n\nFrom\n", 0, 0 } } },
	{ "a strict From_ line splits without a blank line before it",
	  "From a@b " D1 "\nS: x\n\nbody\nFrom c@d " D2 "\nS: y\n", 0, 0, 0,
	  2, { { "From a@b " D1, "S: x\n\nbody\n", 0, 0 },
	       { "From c@d " D2, "S: y\n", 0, 0 } } },
	{ "a From_ line with no date or a bad date needs a blank line",
	  "From a@b " D1 "\nS: x\n\nbody\nFrom x@y\n"
	  "From c@d Sat Jan 33 01:05:34 1996\n", 0, 0, 0, 1,
	  { { "From a@b " D1, "S: x\n\nbody\nFrom x@y\n"
	      "From c@d Sat Jan 33 01:05:34 1996\n", 0, 0 } } },
	{ "Mozilla 'From - ' and Takeout 'From 123@xxx' after a blank line",
	  "From - \nS: 1\n\nb1\n\nFrom -\nS: 2\n\nb2\n\n"
	  "From 1844347839636459560@xxx\nS: 3\n\nb3\n", 0, 0, 0, 3,
	  { { "From - ", "S: 1\n\nb1\n", 0, 0 },
	    { "From -", "S: 2\n\nb2\n", 0, 0 },
	    { "From 1844347839636459560@xxx", "S: 3\n\nb3\n", 0, 0 } } },
	{ "date after a sender of several words, after a blank line",
	  "From a@b " D1 "\nS: x\n\nb\n\nFrom John Doe <j@x> " D2 "\nS: y\n"
	  "\nb\nFrom John Doe <j@x> " D2 "\n", 0, 0, 0, 2,
	  { { "From a@b " D1, "S: x\n\nb\n", 0, 0 },
	    { "From John Doe <j@x> " D2,
	      "S: y\n\nb\nFrom John Doe <j@x> " D2 "\n", 0, 0 } } },
	{ "Content-Length good: From_ lines in the body stay",
	  "From a@b " D1 "\nContent-Length: 73\nS: x\n\n"
	  "From c@d " D2 "\n\nFrom e@f " D2 "\nend\n"
	  "\nFrom g@h " D2 "\nS: y\n\nb\n", 0, 0, 0, 2,
	  { { "From a@b " D1, "Content-Length: 73\nS: x\n\n"
	      "From c@d " D2 "\n\nFrom e@f " D2 "\nend\n", 0, 1 },
	    { "From g@h " D2, "S: y\n\nb\n", 0, 0 } } },
	{ "Content-Length good: next From_ line right at the end",
	  "From a@b " D1 "\ncontent-length:   5  \n\nabc\n\nFrom - \nS: y\n",
	  0, 0, 0, 2,
	  { { "From a@b " D1, "content-length:   5  \n\nabc\n\n", 0, 1 },
	    { "From - ", "S: y\n", 0, 0 } } },
	{ "Content-Length good at the end of the input, nothing dropped",
	  "From a@b " D1 "\nContent-Length: 6\n\nabc\n\n\n", 0, 0, 0, 1,
	  { { "From a@b " D1, "Content-Length: 6\n\nabc\n\n\n", 0, 1 } } },
	{ "Content-Length good, then one blank line and the end",
	  "From a@b " D1 "\nContent-Length: 4\n\nabc\n\n", 0, 0, 0, 1,
	  { { "From a@b " D1, "Content-Length: 4\n\nabc\n", 0, 1 } } },
	{ "Content-Length good with CRLF",
	  "From a@b " D1 "\r\nContent-Length: 40\r\n\r\n"
	  "From c@d " D2 "\r\nend\r\n\r\nFrom - \r\nS: y\r\n", 0, 0, 0, 2,
	  { { "From a@b " D1, "Content-Length: 40\r\n\r\n"
	      "From c@d " D2 "\r\nend\r\n", 0, 1 },
	    { "From - ", "S: y\r\n", 0, 0 } } },
	{ "Content-Length too short: ignored",
	  "From a@b " D1 "\nContent-Length: 3\n\nabc\n\nFrom c@d " D2 "\nx\n",
	  0, 0, 0, 2,
	  { { "From a@b " D1, "Content-Length: 3\n\nabc\n", 0, 0 },
	    { "From c@d " D2, "x\n", 0, 0 } } },
	{ "Content-Length too long: ignored",
	  "From a@b " D1 "\nContent-Length: 99\n\nabc\n\nFrom c@d " D2 "\nx\n",
	  0, 0, 0, 2,
	  { { "From a@b " D1, "Content-Length: 99\n\nabc\n", 0, 0 },
	    { "From c@d " D2, "x\n", 0, 0 } } },
	{ "Content-Length not at a From_ line: ignored",
	  "From a@b " D1 "\nContent-Length: 4\n\nabc\nxyz\n\n"
	  "From c@d " D2 "\nx\n", 0, 0, 0, 2,
	  { { "From a@b " D1, "Content-Length: 4\n\nabc\nxyz\n", 0, 0 },
	    { "From c@d " D2, "x\n", 0, 0 } } },
	{ "Content-Length wrong, From_ line inside: split there",
	  "From a@b " D1 "\nContent-Length: 30\n\nabc\n\nFrom c@d " D2 "\nx\n",
	  0, 0, 0, 2,
	  { { "From a@b " D1, "Content-Length: 30\n\nabc\n", 0, 0 },
	    { "From c@d " D2, "x\n", 0, 0 } } },
	{ "two different Content-Lengths: ignored",
	  "From a@b " D1 "\nContent-Length: 4\nContent-Length: 5\n\nabc\n\n"
	  "From c@d " D2 "\nx\n", 0, 0, 0, 2,
	  { { "From a@b " D1, "Content-Length: 4\nContent-Length: 5\n\n"
	      "abc\n", 0, 0 },
	    { "From c@d " D2, "x\n", 0, 0 } } },
	{ "malformed Content-Length: ignored",
	  "From a@b " D1 "\nContent-Length: 4x\n\nabc\n\nFrom c@d " D2 "\n",
	  0, 0, 0, 2,
	  { { "From a@b " D1, "Content-Length: 4x\n\nabc\n", 0, 0 },
	    { "From c@d " D2, "", 0, 0 } } },
	{ "Content-Length in the body is not a header",
	  "From a@b " D1 "\nS: x\n\nContent-Length: 0\n\nFrom c@d " D2 "\n",
	  0, 0, 0, 2,
	  { { "From a@b " D1, "S: x\n\nContent-Length: 0\n", 0, 0 },
	    { "From c@d " D2, "", 0, 0 } } },
	{ "Content-Length body larger than max_msg: not checked, split",
	  "From a@b " D1 "\nContent-Length: 37\n\n"
	  "x\n\nFrom c@d " D2 "\n\n", 0, 20, 0, 2,
	  { { "From a@b " D1, "Content-Length: 37\n\n", 1, 0 },
	    { "From c@d " D2, "", 0, 0 } } },
	{ "truncation keeps the first max_msg bytes and goes on",
	  "From a@b " D1 "\n0123456789abcdef\nmore\n\nFrom c@d " D2 "\nxy\n",
	  0, 10, 0, 2,
	  { { "From a@b " D1, "0123456789", 1, 0 },
	    { "From c@d " D2, "xy\n", 0, 0 } } },
	{ "exactly max_msg bytes after dropping the blank line",
	  "From a@b " D1 "\n0123456\n\r\n\r\nFrom c@d " D2 "\n", 0, 10, 0, 2,
	  { { "From a@b " D1, "0123456\n\r\n", 0, 0 },
	    { "From c@d " D2, "", 0, 0 } } },
	{ "one byte over max_msg",
	  "From a@b " D1 "\n0123456\n\r\nX\n", 0, 10, 0, 1,
	  { { "From a@b " D1, "0123456\n\r\n", 1, 0 } } },
	{ "leading text becomes a message without From_ line",
	  "garbage\nmore\n\nFrom a@b " D1 "\nS: x\n", 0, 0, 0, 2,
	  { { "", "garbage\nmore\n", 0, 0 },
	    { "From a@b " D1, "S: x\n", 0, 0 } } },
	{ "leading white space is skipped",
	  "\n \t\r\n\nFrom a@b " D1 "\nS: x\n", 0, 0, 6, 1,
	  { { "From a@b " D1, "S: x\n", 0, 0 } } },
	{ "a file of white space has no message", "\n\n \n", 0, 0, 0, 0,
	  { { 0 } } },
	{ "no From_ line at all", "Subject: x\n\nhello", 0, 0, 0, 1,
	  { { "", "Subject: x\n\nhello", 0, 0 } } },
	{ "no trailing newline", "From a@b " D1 "\nS: x\n\nbody", 0, 0, 0, 1,
	  { { "From a@b " D1, "S: x\n\nbody", 0, 0 } } },
	{ "only 'From '", "From ", 0, 0, 0, 1, { { "From ", "", 0, 0 } } },
	{ "only 'From' is text", "From", 0, 0, 0, 1, { { "", "From", 0, 0 } } },
	{ "any first line starting 'From ' starts a message",
	  "From here\nS: x\n", 0, 0, 0, 1, { { "From here", "S: x\n", 0, 0 } } },
	{ "last From_ line without newline",
	  "From a@b " D1 "\nS: x\n\nFrom c@d " D2, 0, 0, 0, 2,
	  { { "From a@b " D1, "S: x\n", 0, 0 },
	    { "From c@d " D2, "", 0, 0 } } },
	{ "From_ lines back to back",
	  "From a@b " D1 "\nFrom c@d " D2 "\nx\n", 0, 0, 0, 2,
	  { { "From a@b " D1, "", 0, 0 }, { "From c@d " D2, "x\n", 0, 0 } } },
	{ "a lone CR is not a line ending",
	  "From a@b " D1 "\rS: x\r\rFrom c@d " D2 "\r", 0, 0, 0, 1,
	  { { "From a@b " D1 "\rS: x\r\rFrom c@d " D2 "\r", "", 0, 0 } } },
	{ "a lone 'From -' splits without an empty line before it",
	  "From a@b " D1 "\nS: x\n\nbody\nFrom - \nS: y\n\nFrom -x\n"
	  "From - y\n", 0, 0, 0, 2,
	  { { "From a@b " D1, "S: x\n\nbody\n", 0, 0 },
	    { "From - ", "S: y\n\nFrom -x\nFrom - y\n", 0, 0 } } },
	{ "a byte order mark before the first From_ line",
	  "\xef\xbb\xbf" "From -\nS: x\n\nb\n", 0, 0, 0, 1,
	  { { "From -", "S: x\n\nb\n", 0, 0 } } },
	{ "headers only, the empty line ends the header block",
	  "From a@b " D1 "\nS: x\n\nFrom c@d " D2 "\nS: y\n\n", 0, 0, 0, 2,
	  { { "From a@b " D1, "S: x\n", 0, 0 },
	    { "From c@d " D2, "S: y\n", 0, 0 } } },
	{ "an escaped From_ line does not split",
	  "From a@b " D1 "\nS: x\n\n>From c@d " D2 "\n", 0, 0, 0, 1,
	  { { "From a@b " D1, "S: x\n\nFrom c@d " D2 "\n", 0, 0 } } },
};

static void check_case(const struct tcase *c)
{
	size_t len = c->len ? c->len : strlen(c->input);
	struct run whole, piece;
	unsigned seed;
	int i, ok_all = 1;

	read_all(c->input, len, c->max_msg, 0, &whole);
	is_int(whole.rc, 0, "%s: ends cleanly", c->name);
	is_int(whole.n, c->n, "%s: %d messages", c->name, c->n);
	for (i = 0; i < whole.n && i < c->n; i++) {
		const struct want *w = &c->m[i];
		const struct got *g = &whole.m[i];
		size_t wl = strlen(w->data);

		is_str(g->from, w->from, "%s: [%d] from_line", c->name, i);
		ok(g->len == wl && memcmp(g->data, w->data, wl) == 0,
		   "%s: [%d] data", c->name, i);
		if (g->len != wl || memcmp(g->data, w->data, wl))
			printf("#   got %zu bytes: '%s'\n", g->len, show(g->data));
		is_int(g->truncated, w->truncated, "%s: [%d] truncated",
		       c->name, i);
		is_int(g->by_cl, w->by_cl, "%s: [%d] by_content_length",
		       c->name, i);
	}
	ok(tiles(&whole, c->first, len), "%s: ranges tile the input",
	   c->name);
	for (seed = 1; seed <= 8; seed++) {
		read_all(c->input, len, c->max_msg, seed * 7919, &piece);
		ok_all &= same_runs(&whole, &piece);
		run_free(&piece);
	}
	ok(ok_all, "%s: same result read in pieces of 1..7 bytes", c->name);
	run_free(&whole);
}

/* NUL bytes are data like any other. */
static void test_nul(void)
{
	static const char in[] = "From a@b " D1 "\nS: \0x\n\n\0\n\n"
				 "From c@d " D2 "\n\0";
	struct run whole, piece;

	read_all(in, sizeof(in) - 1, 0, 0, &whole);
	ok(whole.rc == 0 && whole.n == 2, "NUL bytes: 2 messages");
	ok(whole.n == 2 && whole.m[0].len == 9 &&
	   memcmp(whole.m[0].data, "S: \0x\n\n\0\n", 9) == 0 &&
	   whole.m[1].len == 1 && whole.m[1].data[0] == '\0',
	   "NUL bytes: kept in the data");
	ok(tiles(&whole, 0, sizeof(in) - 1), "NUL bytes: ranges tile");
	read_all(in, sizeof(in) - 1, 0, 99, &piece);
	ok(same_runs(&whole, &piece), "NUL bytes: same in pieces");
	run_free(&piece);
	run_free(&whole);
}

/* ------------------------------------------------------------------ */
/* From_ line dates */

static void test_times(void)
{
	static const struct { const char *line; int64_t want; } t[] = {
		{ "From a@b " D1, T1 },
		{ "From a@b " D1 "\r\n", T1 },
		{ D1, T1 },
		{ "From - " D1, T1 },
		{ "From a Sat Jan 03 01:05:34 +0000 1996", T1 },
		{ "From a Sat Jan  3 01:05:34 1996 +0000", T1 },
		{ "From a Sat Jan  3 01:05:34 1996 -0800", T1 + 8 * 3600 },
		{ "From a Sat Jan  3 01:05:34 PST 1996", T1 + 8 * 3600 },
		{ "From a Sat Jan  3 01:05:34 1996 EDT", T1 + 4 * 3600 },
		{ "From a Sat Jan  3 01:05:34 MET DST 1996", T1 },
		{ "From a Sat Jan  3 01:05:34 1996 remote from bar", T1 },
		{ "From a Sat Jan  3 01:05 1996", T1 - 34 },
		{ "From a Sat Jan  3 1:05:34 1996", T1 },
		{ "From a Sat Jan  3 01:05:34 96", T1 },
		{ "From a Sat Jan  3 01:05:34 096", T1 },
		{ "From a Mon Jan  3 01:05:34 04", 1073091934 },
		{ "From a Jan  3 01:05:34 1996", T1 },
		{ "From a sat jan  3 01:05:34 1996", T1 },
		{ "From a Sat, 3 Jan 1996 01:05:34 +0100", T1 - 3600 },
		{ "From John Doe <j@x> " D1, T1 },
		{ "From  " D1, T1 },
		{ "From a Thu Feb 29 12:00:00 2024", 1709208000 },
		{ "From a Wed Dec 31 23:59:59 1969", -1 },
		{ "From a Thu Jan  1 00:00:00 1970", 0 },
		{ "From a Fri Dec 31 23:59:60 2016", 1483228800 },
		{ "From a Sat Feb 30 00:00:00 2019", 1551484800 },
		{ "From here on we go", INT64_MIN },
		{ "From -", INT64_MIN },
		{ "", INT64_MIN },
		{ "From a Sat Jan 32 01:05:34 1996", INT64_MIN },
		{ "From a Sat Foo  3 01:05:34 1996", INT64_MIN },
		{ "From a Sat Jan  3 24:05:34 1996", INT64_MIN },
		{ "From a Sat Jan  3 01:60:34 1996", INT64_MIN },
		{ "From a Sat Jan  3 01:05:61 1996", INT64_MIN },
		{ "From a Sat Jan  3 01:05:34 +2500 1996", INT64_MIN },
		{ "From a Sat Jan  3 01:05:34 +01x0 1996", INT64_MIN },
		{ "From a Sat Jan  3 01:05:34", INT64_MIN },
		{ "From a Sat Jan  3 01:05:34 1996x", INT64_MIN },
		{ "From a Sat Jan  3 01:05:34 1899", INT64_MIN },
		{ "From a Sat Jan  3 01:05:34 19961", INT64_MIN },
		{ "From a Sat Jan  3 01:5:34 1996", INT64_MIN },
		{ "From a Sat Jan  3 0105 1996", INT64_MIN },
		{ "From a Sat Jan  3 01:05:34 A B C D 1996", INT64_MIN },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_int(mbox_from_line_time(t[i].line, strlen(t[i].line)),
		       t[i].want, "from_line_time '%s'", show(t[i].line));
	is_int(mbox_from_line_time("From a@b " D1 "xxxx", 33), T1,
	       "from_line_time stops at len");
}

static void test_sniff(void)
{
	static const struct { const char *data; int want; } t[] = {
		{ "From a@b " D1 "\nS: x\n", 1 },
		{ "\xef\xbb\xbf" "From a@b " D1 "\r\n", 1 },
		{ "From - \nX-Mozilla-Status: 0001\n", 1 },
		{ "From MAILER-DAEMON\nReturn-Path: <>\n", 1 },
		{ "From 123@xxx\nX-GM-THRID: 1\n", 1 },
		{ "From a@b " D1, 1 },
		{ "From the desk of J.\nTo: all\n", 0 },
		{ "From -\nnot a header\n", 0 },
		{ "From -", 0 },
		{ "Subject: x\n\nFrom a@b " D1 "\n", 0 },
		{ "From: a@b\n", 0 },
		{ "", 0 },
		{ " From a@b " D1 "\n", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_int(mbox_sniff(t[i].data, strlen(t[i].data)), t[i].want,
		       "sniff '%s'", show(t[i].data));
}

/* ------------------------------------------------------------------ */
/* Errors, size */

static void test_io_error(void)
{
	static const char in[] = "From a@b " D1 "\nS: x\n\nbody\n\n"
				 "From c@d " D2 "\nS: y\n\nbody two\n";
	struct src s = { in, sizeof(in) - 1, 0, 3, 90 };
	struct mbox_reader r;
	struct mbox_msg m;
	int rc1, rc2, rc3;

	mbox_reader_init(&r, src_read, &s, 0);
	rc1 = mbox_reader_next(&r, &m);
	rc2 = mbox_reader_next(&r, &m);
	rc3 = mbox_reader_next(&r, &m);
	mbox_reader_release(&r);
	is_int(rc1, 1, "I/O error: the message before it is returned");
	is_int(rc2, -TRAWL_ERR_IO, "I/O error: then -TRAWL_ERR_IO");
	is_int(rc3, -TRAWL_ERR_IO, "I/O error: sticky");
}

/* A generated input, never held whole: count messages of n_msgs, each a
 * From_ line, headers and body_len bytes of body in lines of line_len. */
struct gen {
	unsigned long msg, n_msgs;
	size_t body_len, line_len, at, part_len;
	char part[256];
	uint64_t total;
};

static void gen_next_part(struct gen *g)
{
	int n = snprintf(g->part, sizeof(g->part),
			 "From gen@x " D1 "\nSubject: %lu\n\n", g->msg);

	g->part_len = (size_t)n;
}

static ssize_t gen_read(void *ctx, void *buf, size_t len)
{
	struct gen *g = ctx;
	char *out = buf;
	size_t done = 0;

	while (done < len && g->msg < g->n_msgs) {
		size_t body_at, k;

		if (g->at == 0)
			gen_next_part(g);
		if (g->at < g->part_len) {
			out[done++] = g->part[g->at++];
			continue;
		}
		body_at = g->at - g->part_len;
		if (body_at < g->body_len) {
			k = body_at % g->line_len == g->line_len - 1 ||
			    body_at == g->body_len - 1;
			out[done++] = k ? '\n' : 'a' + (char)(body_at % 26);
			g->at++;
			continue;
		}
		out[done++] = '\n'; /* the separating empty line */
		g->at = 0;
		g->msg++;
	}
	g->total += done;
	return (ssize_t)done;
}

static void test_large(void)
{
	struct gen g = { 0, 2000, 30000, 77, 0, 0, { 0 }, 0 };
	struct gen huge = { 0, 3, (size_t)20 << 20, (size_t)8 << 20, 0, 0,
			    { 0 }, 0 };
	struct mbox_reader r;
	struct mbox_msg m;
	unsigned long count = 0, bad = 0, trunc = 0;
	uint64_t at = 0;
	size_t peak = 0;
	int rc;

	mbox_reader_init(&r, gen_read, &g, 100000);
	while ((rc = mbox_reader_next(&r, &m)) == 1) {
		bad += m.offset != at || m.truncated || m.len < 30000;
		at += m.length;
		count++;
	}
	is_int(rc, 0, "2000 messages: clean end");
	is_int(count, 2000, "2000 messages: all found");
	is_int(bad, 0, "2000 messages: offsets follow, none truncated");
	ok(at == g.total, "2000 messages: ranges cover %llu bytes",
	   (unsigned long long)g.total);
	mbox_reader_release(&r);

	/* 8 MiB lines, 20 MiB bodies, a 1 MiB cap: memory stays small. */
	mbox_reader_init(&r, gen_read, &huge, (size_t)1 << 20);
	count = 0;
	at = 0;
	while ((rc = mbox_reader_next(&r, &m)) == 1) {
		bad += m.offset != at || m.len != ((size_t)1 << 20);
		trunc += m.truncated;
		at += m.length;
		count++;
		if (r.win.cap + r.out.cap + r.from.cap > peak)
			peak = r.win.cap + r.out.cap + r.from.cap;
	}
	is_int(rc, 0, "huge lines: clean end");
	is_int(count, 3, "huge lines: 3 messages");
	is_int(trunc, 3, "huge lines: all truncated");
	is_int(bad, 0, "huge lines: offsets follow, data is 1 MiB");
	ok(at == huge.total, "huge lines: ranges cover the input");
	ok(peak <= ((size_t)1 << 20) + 4 * MBOX_WINDOW,
	   "huge lines: memory stays within max_msg + window (%zu)", peak);
	mbox_reader_release(&r);
}

/* A From_ line longer than the window and than MBOX_FROM_LINE_MAX, and a
 * body line longer than the window that starts with ">From ". */
static void test_long_lines(void)
{
	size_t fl = 100000, bl = 200000, len = 0, i;
	char *in = malloc(fl + bl + 200);
	struct run whole, piece;

	if (!in)
		abort();
	len += (size_t)snprintf(in, 200, "From a@b " D1 " ");
	memset(in + len, 'x', fl);
	len += fl;
	in[len++] = '\n';
	memcpy(in + len, "S: x\n\n>From ", 12);
	len += 12;
	memset(in + len, 'y', bl);
	len += bl;
	len += (size_t)snprintf(in + len, 200, "\n\nFrom c@d " D2 "\nz\n");
	read_all(in, len, 0, 0, &whole);
	is_int(whole.n, 2, "long lines: 2 messages");
	if (whole.n == 2) {
		is_int(strlen(whole.m[0].from), MBOX_FROM_LINE_MAX,
		       "long lines: From_ line kept to its cap");
		is_int(whole.m[0].time, T1, "long lines: its date");
		is_int(whole.m[0].len, 6 + 5 + bl + 1,
		       "long lines: body line un-escaped, kept whole");
		ok(memcmp(whole.m[0].data + 6, "From yyy", 8) == 0,
		   "long lines: un-escaped");
		for (i = 11; i < 11 + bl && whole.m[0].data[i] == 'y'; i++)
			;
		is_int(i, 11 + bl, "long lines: body line intact");
		is_str(whole.m[1].data, "z\n", "long lines: next message");
	}
	ok(tiles(&whole, 0, len), "long lines: ranges tile the input");
	read_all(in, len, 0, 12345, &piece);
	ok(same_runs(&whole, &piece), "long lines: same read in pieces");
	run_free(&piece);
	read_all(in, len, 1000, 0, &piece);
	ok(piece.n == 2 && piece.m[0].truncated && piece.m[0].len == 1000 &&
	   !piece.m[1].truncated, "long lines: max_msg 1000 truncates one");
	run_free(&piece);
	run_free(&whole);
	free(in);
}

/* Content-Length with a From_ line inside a body larger than the window:
 * the window grows to check it, then shrinks back. */
static void test_cl_lookahead(void)
{
	size_t body = 300000, len = 0;
	char *in = malloc(body + 400);
	struct src s;
	struct mbox_reader r;
	struct mbox_msg m;
	int rc, n = 0, cl = 0;
	size_t big = 0, after = 0;

	if (!in)
		abort();
	len += (size_t)snprintf(in, 400, "From a@b " D1 "\n"
				"Content-Length: %zu\n\nstart\n\n"
				"From c@d " D2 "\n", body);
	memset(in + len, 'q', body - 6 - 1 - 34 - 1);
	len += body - 6 - 1 - 34 - 1;
	in[len++] = '\n';
	len += (size_t)snprintf(in + len, 400, "\nFrom e@f " D2 "\nz\n\n"
				"From g@h " D2 "\nw\n");
	s = (struct src){ in, len, 0, 0, 0 };
	mbox_reader_init(&r, src_read, &s, 0);
	while ((rc = mbox_reader_next(&r, &m)) == 1) {
		n++;
		cl += m.by_content_length;
		if (n == 1) {
			big = r.win.cap;
			ok(m.len == 24 + body,
			   "lookahead: body kept whole (%zu)", m.len);
		}
		if (n == 3)
			after = r.win.cap;
	}
	mbox_reader_release(&r);
	is_int(rc, 0, "lookahead: clean end");
	is_int(n, 3, "lookahead: 3 messages");
	is_int(cl, 1, "lookahead: the first by Content-Length");
	ok(big > body, "lookahead: the window grew to check it");
	ok(after <= 4 * MBOX_WINDOW, "lookahead: and shrank back");
	free(in);
}

/* ------------------------------------------------------------------ */
/* Real files */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *d = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (d = malloc((size_t)n + 1)) &&
	    fread(d, 1, (size_t)n, f) == (size_t)n) {
		*len = (size_t)n;
	} else {
		free(d);
		d = NULL;
	}
	fclose(f);
	return d;
}

static void test_fixtures(void)
{
	/* Counts checked by hand against Python's mailbox module (which
	 * splits at every "From " line) and the files' own descriptions. */
	static const struct { const char *path; int n, by_cl; } t[] = {
		{ "mimekit-testdata/UnitTests/TestData/mbox/content-length.mbox.txt",
		  29, 18 },
		{ "mimekit-testdata/UnitTests/TestData/mbox/simple.mbox.txt",
		  3, 0 },
		{ "mimekit-testdata/UnitTests/TestData/mbox/unmunged.mbox.txt",
		  2, 0 },
		{ "mimekit-testdata/UnitTests/TestData/mbox/issue1189.mbox.txt",
		  4, 0 },
		{ "gmime-tests-data/tests/data/mbox/input/substring.mbox", 3, 0 },
		{ "mime4j-test-resources/mbox/src/test/resources/test-1/mbox.rlug",
		  5, 0 },
		{ "roundcube-test-mails/tests/src/import.mbox", 3, 0 },
		{ "aspose-email-examples-data/Examples/Data/Thunderbird/"
		  "ExampleMbox.mbox", 1, 0 },
	};
	const char *top = getenv("TRAWL_TOP");
	char path[4096];
	size_t i, len;
	struct run whole, piece;
	int j, cl;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *data;

		snprintf(path, sizeof(path),
			 "%s/../shared/corpora/email-fixtures/%s",
			 top ? top : ".", t[i].path);
		data = slurp(path, &len);
		if (!data) {
			skip("fixture not present");
			skip("fixture not present");
			continue;
		}
		read_all(data, len, 0, 0, &whole);
		for (j = cl = 0; j < whole.n; j++)
			cl += whole.m[j].by_cl;
		ok(whole.rc == 0 && whole.n == t[i].n && cl == t[i].by_cl &&
		   tiles(&whole, 0, len),
		   "%s: %d messages (%d by Content-Length), tiling", t[i].path,
		   t[i].n, t[i].by_cl);
		if (whole.n != t[i].n || cl != t[i].by_cl)
			printf("#   got %d messages, %d by Content-Length\n",
			       whole.n, cl);
		read_all(data, len, 0, 4242, &piece);
		ok(same_runs(&whole, &piece), "%s: same in pieces", t[i].path);
		run_free(&piece);
		run_free(&whole);
		free(data);
	}
}

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
	test_nul();
	test_times();
	test_sniff();
	test_io_error();
	test_long_lines();
	test_cl_lookahead();
	test_large();
	test_fixtures();
	return tap_done();
}
