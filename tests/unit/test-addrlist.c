/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test-addrlist.c - the lenient address-list splitter (lib/addrlist.c): a
 * table of header values and the (name, address) pieces they must give;
 * the max cut; very long inputs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrlist.h"
#include "tap.h"
#include "banned.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_WANT 6

/* ------------------------------------------------------------------ */
/* The table */

struct want_piece {
	const char *name, *addr;
};

struct tcase {
	const char *what;
	const char *in;
	size_t n; /* pieces in all */
	struct want_piece p[MAX_WANT];
};

static const struct tcase cases[] = {
	/* plain addresses */
	{ "plain address", "a@b.com", 1, { { "", "a@b.com" } } },
	{ "surrounding white space trimmed", " \t a@b.com  ", 1,
	  { { "", "a@b.com" } } },
	{ "two addresses", "a@b.com, c@d.org", 2,
	  { { "", "a@b.com" }, { "", "c@d.org" } } },
	{ "folded header (CRLF, tab)", "a@b.com,\r\n\tc@d.org", 2,
	  { { "", "a@b.com" }, { "", "c@d.org" } } },
	{ "angle address alone", "<js@x.org>", 1, { { "", "js@x.org" } } },

	/* invalid addresses real dumps are full of */
	{ "Enron k..allen", "k..allen@enron.com", 1,
	  { { "", "k..allen@enron.com" } } },
	{ "Exchange double @", "pete.davis@enron.com@ENRON", 1,
	  { { "", "pete.davis@enron.com@ENRON" } } },
	{ "both in one list with a name",
	  "Phillip K Allen <k..allen@enron.com>, pete.davis@enron.com@ENRON",
	  2, { { "Phillip K Allen", "k..allen@enron.com" },
	       { "", "pete.davis@enron.com@ENRON" } } },
	{ "Enron X-To: a bare name, then a Notes address",
	  "Phillip K Allen, Tim Belden <Tim Belden/Enron@EnronXGate>", 2,
	  { { "Phillip K Allen", "" },
	    { "Tim Belden", "Tim Belden/Enron@EnronXGate" } } },
	{ "Exchange X.400 path in angle brackets",
	  "</O=ENRON/OU=NA/CN=RECIPIENTS/CN=PALLEN>", 1,
	  { { "", "/O=ENRON/OU=NA/CN=RECIPIENTS/CN=PALLEN" } } },
	{ "stray '>' kept in a bare address", "j@x.org>, k@y.org", 2,
	  { { "", "j@x.org>" }, { "", "k@y.org" } } },

	/* names */
	{ "Name <addr>", "John Smith <js@x.org>", 1,
	  { { "John Smith", "js@x.org" } } },
	{ "quoted name with a comma", "\"Allen, Phillip K.\" <k..allen@enron.com>",
	  1, { { "Allen, Phillip K.", "k..allen@enron.com" } } },
	{ "two quoted names with commas",
	  "\"Allen, Phillip\" <pa@x.org>, \"Davis, Pete\" <pd@x.org>", 2,
	  { { "Allen, Phillip", "pa@x.org" }, { "Davis, Pete", "pd@x.org" } } },
	{ "quoted name with a semicolon", "\"Smith; Jones\" <sj@x.org>", 1,
	  { { "Smith; Jones", "sj@x.org" } } },
	{ "quoted name with a colon is not a group", "\"Re: Smith\" <a@b.org>",
	  1, { { "Re: Smith", "a@b.org" } } },
	/* RFC 5322 3.2.4: a quoted-pair's backslash is not part of the
	 * name; GMime's parser drops it (in quotes and in comments), and
	 * g_mime_utils_header_decode_phrase, which the parser applies to
	 * these names next, does not. */
	{ "escaped quotes and a comma inside a quoted name",
	  "\"Joe \\\"JJ, Jr\\\" Smith\" <j@x.org>, k@y.org", 2,
	  { { "Joe \"JJ, Jr\" Smith", "j@x.org" }, { "", "k@y.org" } } },
	{ "quoted name ending in an escaped backslash",
	  "\"a\\\\\" <a@x.org>, b@x.org", 2,
	  { { "a\\", "a@x.org" }, { "", "b@x.org" } } },
	{ "empty quoted name", "\"\" <a@b.org>", 1, { { "", "a@b.org" } } },
	{ "single-quoted name (Outlook)", "'John Smith' <j@x.org>", 1,
	  { { "John Smith", "j@x.org" } } },
	{ "name with a comment before <addr>", "John (Jr) <j@x.org>", 1,
	  { { "John (Jr)", "j@x.org" } } },
	{ "comment after <addr> ignored", "John <j@x.org> (work)", 1,
	  { { "John", "j@x.org" } } },
	{ "name holding an '@' before <addr>", "a@b.org <c@d.org>", 1,
	  { { "a@b.org", "c@d.org" } } },
	{ "name with empty <>", "Name <>", 1, { { "Name", "" } } },

	/* comments */
	{ "addr (Comment Name)", "js@x.org (John Smith)", 1,
	  { { "John Smith", "js@x.org" } } },
	{ "comment with a comma", "js@x.org (Smith, John)", 1,
	  { { "Smith, John", "js@x.org" } } },
	{ "nested comment", "js@x.org (John (Jack) Smith), k@y.org", 2,
	  { { "John (Jack) Smith", "js@x.org" }, { "", "k@y.org" } } },
	{ "escaped parenthesis in a comment", "a@b.org (x \\) y), c@d.org", 2,
	  { { "x ) y", "a@b.org" }, { "", "c@d.org" } } },
	/* Only a trailing comment names the address (as in GMime, which
	 * gives these the same pieces); a leading one is dropped. */
	{ "comment before the address, inside a list",
	  "x@y.org, (Comment) a@b.org", 2,
	  { { "", "x@y.org" }, { "", "a@b.org" } } },
	{ "comment before the address, at the start", "(Comment) a@b.org", 1,
	  { { "", "a@b.org" } } },

	/* groups */
	{ "group", "team: a@b.org, c@d.org;", 2,
	  { { "", "a@b.org" }, { "", "c@d.org" } } },
	{ "group without spaces, then an address",
	  "team:a@b.org,c@d.org;next@x.org", 3,
	  { { "", "a@b.org" }, { "", "c@d.org" }, { "", "next@x.org" } } },
	{ "empty group", "undisclosed-recipients:;", 0, { { 0 } } },
	{ "empty group with a space", "undisclosed-recipients: ;", 0,
	  { { 0 } } },
	{ "group with a quoted name holding a comma",
	  "team: \"B, A\" <a@b.org>, c@d.org;, e@f.org", 3,
	  { { "B, A", "a@b.org" }, { "", "c@d.org" }, { "", "e@f.org" } } },
	{ "two groups", "t1: a@b.org; t2: c@d.org;", 2,
	  { { "", "a@b.org" }, { "", "c@d.org" } } },
	{ "a name with a colon reads as a group", "Attn: Bob <b@x.org>", 1,
	  { { "Bob", "b@x.org" } } },

	/* names alone, empty pieces, separators */
	{ "name only", "John Smith", 1, { { "John Smith", "" } } },
	{ "empty pieces skipped", "a@b.org,,c@d.org", 2,
	  { { "", "a@b.org" }, { "", "c@d.org" } } },
	{ "only separators and white space", ", ,\t,  ;", 0, { { 0 } } },
	{ "empty string", "", 0, { { 0 } } },
	{ "empty angle brackets alone", "<>", 0, { { 0 } } },
	{ "semicolons as separators", "a@b.org; c@d.org;e@f.org", 3,
	  { { "", "a@b.org" }, { "", "c@d.org" }, { "", "e@f.org" } } },
	{ "mixed separators", "a@b.org; c@d.org, e@f.org", 3,
	  { { "", "a@b.org" }, { "", "c@d.org" }, { "", "e@f.org" } } },

	/* unterminated syntax: the rest of the value is one piece */
	{ "unterminated quote", "\"Smith, John <j@x.org>, k@y.org", 1,
	  { { "", "\"Smith, John <j@x.org>, k@y.org" } } },
	{ "unterminated quote, no address", "\"abc\\", 1,
	  { { "\"abc\\", "" } } },
	{ "a lone quote", "\"", 1, { { "\"", "" } } },
	{ "unterminated angle bracket", "John <j@x.org, k@y.org", 1,
	  { { "", "John <j@x.org, k@y.org" } } },
	{ "unterminated comment", "j@x.org (John, k@y.org", 1,
	  { { "(John, k@y.org", "j@x.org" } } },
	{ "unterminated nested comment", "(((", 1, { { "(((", "" } } },

	/* RFC 2047 encoded names stay encoded */
	{ "encoded word name", "=?utf-8?B?Sm/Dqw==?= <j@x.org>", 1,
	  { { "=?utf-8?B?Sm/Dqw==?=", "j@x.org" } } },
	{ "quoted encoded word", "\"=?iso-8859-1?Q?Andr=E9?=\" <a@x.org>", 1,
	  { { "=?iso-8859-1?Q?Andr=E9?=", "a@x.org" } } },
	{ "encoded word in a comment", "a@x.org (=?utf-8?Q?Ren=C3=A9?=)", 1,
	  { { "=?utf-8?Q?Ren=C3=A9?=", "a@x.org" } } },
	{ "encoded word with a comma, quoted",
	  "\"=?utf-8?Q?Smith,_J?=\" <s@x.org>, t@x.org", 2,
	  { { "=?utf-8?Q?Smith,_J?=", "s@x.org" }, { "", "t@x.org" } } },
};

static void check_case(const struct tcase *t)
{
	struct addr_piece got[MAX_WANT + 2];
	size_t n, kept, i;
	int same;

	memset(got, 0, sizeof(got));
	n = addrlist_split(t->in, got, MAX_WANT);
	kept = n < MAX_WANT ? n : MAX_WANT;
	same = n == t->n;
	for (i = 0; same && i < kept; i++)
		same = got[i].name && got[i].addr &&
		       strcmp(got[i].name, t->p[i].name) == 0 &&
		       strcmp(got[i].addr, t->p[i].addr) == 0;
	if (!ok(same, "%s", t->what)) {
		printf("#   input: '%s'\n#   got %zu pieces:\n", t->in, n);
		for (i = 0; i < kept; i++)
			printf("#     name '%s' addr '%s'\n", got[i].name,
			       got[i].addr);
		printf("#   want %zu pieces:\n", t->n);
		for (i = 0; i < t->n && i < MAX_WANT; i++)
			printf("#     name '%s' addr '%s'\n", t->p[i].name,
			       t->p[i].addr);
	}
	addrlist_free(got, kept);
	/* the parser splits only when GMime kept fewer than this bound */
	if (addrlist_pieces(t->in) < n)
		ok(0, "%s: addrlist_pieces %zu under the split's %zu", t->what,
		   addrlist_pieces(t->in), n);
}

/* addrlist_pieces counts empty pieces too, and nothing inside quotes,
 * angle brackets or comments splits. */
static void test_pieces(void)
{
	is_int(addrlist_pieces(NULL), 0, "pieces: NULL");
	is_int(addrlist_pieces(""), 0, "pieces: empty");
	is_int(addrlist_pieces("a@x.org, , b@x.org;"), 3,
	       "pieces: an empty piece counts, a trailing separator not");
	is_int(addrlist_split("a@x.org, , b@x.org;", NULL, 0), 2,
	       "... where the split finds 2");
	is_int(addrlist_pieces("\"A, B\" <a@x.org>, (c, d) e@x.org, <f,g@x>"), 3,
	       "pieces: commas in quotes, comments, angle brackets");
}

/* ------------------------------------------------------------------ */
/* NULL, the max cut */

static void test_null(void)
{
	struct addr_piece p[1];

	is_int(addrlist_split(NULL, p, 1), 0, "NULL value: no pieces");
	is_int(addrlist_split(NULL, NULL, 0), 0, "NULL value, no room");
	addrlist_free(NULL, 0);
	ok(1, "addrlist_free(NULL, 0) is harmless");
}

static void test_max(void)
{
	static const char in[] = "a@x.org, Bob, \"C, D\" <c@x.org>,, e@x.org";
	struct addr_piece p[4], sentinel = { (char *)"untouched", NULL };
	size_t n;

	p[2] = sentinel;
	p[3] = sentinel;
	n = addrlist_split(in, p, 2);
	is_int(n, 4, "max 2: the return value counts all 4 pieces");
	is_str(p[0].addr, "a@x.org", "max 2: first filled");
	is_str(p[1].name, "Bob", "max 2: second filled");
	ok(p[2].name == sentinel.name && p[2].addr == NULL &&
	   p[3].name == sentinel.name && p[3].addr == NULL,
	   "max 2: nothing written past max");
	addrlist_free(p, 2);

	is_int(addrlist_split(in, NULL, 0), 4, "max 0: counts, writes nothing");

	n = addrlist_split(in, p, 4);
	is_int(n, 4, "max 4: all 4");
	is_str(p[2].name, "C, D", "max 4: third name");
	is_str(p[3].addr, "e@x.org", "max 4: last address");
	addrlist_free(p, n);

	/* The shape the parser uses to count: one slot. */
	n = addrlist_split("a@x.org, b@x.org, c@x.org", p, 1);
	is_int(n, 3, "max 1: counts 3");
	is_str(p[0].addr, "a@x.org", "max 1: the first");
	addrlist_free(p, 1);
}

/* ------------------------------------------------------------------ */
/* Very long inputs */

static char *xmalloc(size_t n)
{
	char *p = malloc(n);

	if (!p)
		abort();
	return p;
}

static void test_long(void)
{
	size_t count = 10000, len = 0, i, n, bad = 0;
	char *in = xmalloc(count * 32), want[64];
	struct addr_piece *all = calloc(count, sizeof(*all)), few[16];
	size_t big = (size_t)1 << 20;

	if (!all)
		abort();
	for (i = 0; i < count; i++)
		len += (size_t)snprintf(in + len, 32, "%suser%zu@example.com",
					i ? ", " : "", i);

	n = addrlist_split(in, few, 16);
	is_int(n, count, "10000 addresses: all counted with max 16");
	is_str(few[15].addr, "user15@example.com", "10000: 16th filled");
	addrlist_free(few, 16);

	n = addrlist_split(in, all, count);
	is_int(n, count, "10000 addresses: all split");
	for (i = 0; i < n && i < count; i++) {
		snprintf(want, sizeof(want), "user%zu@example.com", i);
		bad += strcmp(all[i].addr, want) != 0 || all[i].name[0];
	}
	is_int(bad, 0, "10000 addresses: each one right");
	addrlist_free(all, n < count ? n : count);
	free(all);
	free(in);

	/* One 1 MiB name, quoted, with commas inside. */
	in = xmalloc(big + 32);
	in[0] = '"';
	for (i = 1; i <= big; i++)
		in[i] = i % 100 == 0 ? ',' : 'n';
	snprintf(in + big + 1, 31, "\" <long@x.org>");
	n = addrlist_split(in, few, 16);
	ok(n == 1 && strlen(few[0].name) == big &&
	   strcmp(few[0].addr, "long@x.org") == 0,
	   "1 MiB quoted name with commas: one piece, name whole");
	addrlist_free(few, n < 16 ? n : 16);

	/* 1 MiB of separators; 1 MiB of open parentheses. */
	memset(in, ',', big);
	in[big] = '\0';
	is_int(addrlist_split(in, few, 16), 0, "1 MiB of commas: no pieces");
	memset(in, '(', big);
	n = addrlist_split(in, few, 16);
	ok(n == 1 && strlen(few[0].name) == big,
	   "1 MiB of '(': one unterminated comment, kept as a name");
	addrlist_free(few, n < 16 ? n : 16);
	free(in);
}

int main(void)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(cases); i++)
		check_case(&cases[i]);
	test_pieces();
	test_null();
	test_max();
	test_long();
	return tap_done();
}
