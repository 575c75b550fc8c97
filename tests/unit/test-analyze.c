/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test-analyze.c - table-driven tests of lib/analyze.c.
 *
 * Tokens are written "K pos start-end text[ stem]" (K: W word, N number,
 * C compound, J CJK) and joined with " | ".
 *
 * TRAWL_ANALYZE_BENCH=FILE also measures the throughput on FILE, read in
 * 64 KB pieces (printed as a TAP comment), e.g. on the Enron mail:
 *   tar -xzOf /work/shared/corpora/enron-inbox.tar.gz | head -c 50000000
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>

#include "analyze.h"
#include "mailutil.h"
#include "tap.h"
#include "banned.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* Collecting tokens */

struct collect {
	char out[16384];
	size_t len;
	int count;
	int stop_at; /* stop after this many tokens (0: never) */
};

static int collect_cb(void *ctx, const struct token *t)
{
	static const char kinds[] = "?WNCJ";
	struct collect *c = ctx;
	int n;

	n = snprintf(c->out + c->len, sizeof(c->out) - c->len,
		     "%s%c %u %u-%u %s%s%s", c->count ? " | " : "",
		     t->kind >= 1 && t->kind <= 4 ? kinds[t->kind] : '?',
		     t->pos, t->start, t->end, t->text, t->stem ? " " : "",
		     t->stem ? t->stem : "");
	if (n > 0 && (size_t)n < sizeof(c->out) - c->len)
		c->len += (size_t)n;
	c->count++;
	return c->stop_at && c->count >= c->stop_at;
}

static uint32_t run(struct analyzer *a, const char *text, size_t len,
		    uint32_t pos0, struct collect *c)
{
	c->out[0] = '\0';
	c->len = 0;
	c->count = 0;
	return analyzer_run(a, text, len, pos0, collect_cb, c);
}

/* ------------------------------------------------------------------ */
/* The rules, case by case */

static const struct {
	const char *in;
	const char *want;
	uint32_t next; /* return value with pos0 = 0 */
} cases[] = {
	/* words and stems */
	{ "", "", 0 },
	{ " \t,;!?()<>\"", "", 0 },
	{ "Hello, World!", "W 0 0-5 hello hello | W 1 7-12 world world", 2 },
	{ "running runs ran easily generously",
	  "W 0 0-7 running run | W 1 8-12 runs run | W 2 13-16 ran ran | "
	  "W 3 17-23 easily easili | W 4 24-34 generously generous", 5 },
	{ "Connected connecting connection connections",
	  "W 0 0-9 connected connect | W 1 10-20 connecting connect | "
	  "W 2 21-31 connection connect | W 3 32-43 connections connect", 4 },
	{ "skies dying is as a",
	  "W 0 0-5 skies sky | W 1 6-11 dying die | W 2 12-14 is is | "
	  "W 3 15-17 as as | W 4 18-19 a a", 5 },
	{ "abc123 2001 0x1F", "N 0 0-6 abc123 | N 1 7-11 2001 | N 2 12-16 0x1f",
	  3 },

	/* e-mail addresses and domains */
	{ "jeff.dasovich@enron.com",
	  "C 0 0-23 jeff.dasovich@enron.com | C 0 0-13 jeff.dasovich | "
	  "W 0 0-4 jeff jeff | W 1 5-13 dasovich dasovich | "
	  "C 2 14-23 enron.com | W 2 14-19 enron enron | W 3 20-23 com com",
	  4 },
	{ "<Jeff+List@Mail.Enron.COM>",
	  "C 0 1-25 jeff+list@mail.enron.com | C 0 1-10 jeff+list | "
	  "W 0 1-5 jeff jeff | W 1 6-10 list list | "
	  "C 2 11-25 mail.enron.com | W 2 11-15 mail mail | "
	  "C 3 16-25 enron.com | W 3 16-21 enron enron | W 4 22-25 com com",
	  5 },
	{ "pallen@enron.com.",
	  "C 0 0-16 pallen@enron.com | W 0 0-6 pallen pallen | "
	  "C 1 7-16 enron.com | W 1 7-12 enron enron | W 2 13-16 com com", 3 },
	{ "user@10.0.0.1",
	  "C 0 0-13 user@10.0.0.1 | W 0 0-4 user user | N 1 5-7 10 | "
	  "N 2 8-9 0 | N 3 10-11 0 | N 4 12-13 1", 5 },
	{ "a.b@c.d@e.com",
	  "C 0 0-13 a.b@c.d@e.com | W 0 0-1 a a | W 1 2-3 b b | W 2 4-5 c c | "
	  "W 3 6-7 d d | W 4 8-9 e e | W 5 10-13 com com", 6 },
	{ "me@localhost", "C 0 0-12 me@localhost | W 0 0-2 me me | "
	  "W 1 3-12 localhost localhost", 2 },
	{ "mail.enron.com",
	  "C 0 0-14 mail.enron.com | W 0 0-4 mail mail | C 1 5-14 enron.com | "
	  "W 1 5-10 enron enron | W 2 11-14 com com", 3 },
	{ "www.enron-online.com",
	  "C 0 0-20 www.enron-online.com | W 0 0-3 www www | "
	  "C 1 4-20 enron-online.com | W 1 4-9 enron enron | "
	  "W 2 10-16 online onlin | W 3 17-20 com com", 4 },
	{ "version 3.14.15",
	  "W 0 0-7 version version | C 1 8-15 3.14.15 | N 1 8-9 3 | "
	  "N 2 10-12 14 | N 3 13-15 15", 4 },

	/* joiners */
	{ "o'brien", "C 0 0-7 o'brien | W 0 0-1 o o | W 1 2-7 brien brien", 2 },
	{ "O\xe2\x80\x99" "Brien",
	  "C 0 0-9 o'brien | W 0 0-1 o o | W 1 4-9 brien brien", 2 },
	{ "e.g. I'm",
	  "C 0 0-3 e.g | W 0 0-1 e e | W 1 2-3 g g | C 2 5-8 i'm | "
	  "W 2 5-6 i i | W 3 7-8 m m", 4 },
	{ "a..b -a- c++ x_y 'q'",
	  "W 0 0-1 a a | W 1 3-4 b b | W 2 6-7 a a | W 3 9-10 c c | "
	  "C 4 13-16 x_y | W 4 13-14 x x | W 5 15-16 y y | W 6 18-19 q q", 7 },
	{ "555-1234", "C 0 0-8 555-1234 | N 0 0-3 555 | N 1 4-8 1234", 2 },
	{ "2001-05-14",
	  "C 0 0-10 2001-05-14 | N 0 0-4 2001 | N 1 5-7 05 | N 2 8-10 14", 3 },
	{ "10:30 5/14/2001",
	  "C 0 0-5 10:30 | N 0 0-2 10 | N 1 3-5 30 | C 2 6-15 5/14/2001 | "
	  "N 2 6-7 5 | N 3 8-10 14 | N 4 11-15 2001", 5 },
	{ "a,b a:b 1/a a/1 end.",
	  "W 0 0-1 a a | W 1 2-3 b b | W 2 4-5 a a | W 3 6-7 b b | "
	  "N 4 8-9 1 | W 5 10-11 a a | W 6 12-13 a a | N 7 14-15 1 | "
	  "W 8 16-19 end end", 9 },
	{ "x1,2y", "C 0 0-5 x1,2y | N 0 0-2 x1 | N 1 3-5 2y", 2 },
	{ "dogs\xe2\x80\x99 toys \xe2\x80\x98q\xe2\x80\x99",
	  "W 0 0-4 dogs dog | W 1 8-12 toys toy | W 2 16-17 q q", 3 },

	/* thousands */
	{ "$1,000", "C 0 1-6 1,000 | C 0 1-6 1000 | N 0 1-2 1 | N 1 3-6 000",
	  2 },
	{ "1,000,000.50",
	  "C 0 0-12 1,000,000.50 | C 0 0-12 1000000.50 | N 0 0-1 1 | "
	  "N 1 2-5 000 | N 2 6-9 000 | N 3 10-12 50", 4 },
	{ "1,2 12,34 1234,567",
	  "C 0 0-3 1,2 | N 0 0-1 1 | N 1 2-3 2 | C 2 4-9 12,34 | N 2 4-6 12 | "
	  "N 3 7-9 34 | C 4 10-18 1234,567 | N 4 10-14 1234 | N 5 15-18 567",
	  6 },

	/* URLs */
	{ "http://www.enron.com/foo?x=1.",
	  "C 0 0-28 http://www.enron.com/foo?x=1 | W 0 0-4 http http | "
	  "C 1 7-20 www.enron.com | W 1 7-10 www www | "
	  "C 2 11-20 enron.com | W 2 11-16 enron enron | W 3 17-20 com com | "
	  "W 4 21-24 foo foo | W 5 25-26 x x | N 6 27-28 1", 7 },
	{ "<HTTP://Foo.COM/Bar>, see",
	  "C 0 1-19 http://foo.com/bar | W 0 1-5 http http | "
	  "C 1 8-15 foo.com | W 1 8-11 foo foo | W 2 12-15 com com | "
	  "W 3 16-19 bar bar | W 4 22-25 see see", 5 },
	{ "(https://host:8080/a_b)",
	  "C 0 1-22 https://host:8080/a_b | W 0 1-6 https https | "
	  "W 1 9-13 host host | N 2 14-18 8080 | W 3 19-20 a a | "
	  "W 4 21-22 b b", 5 },
	{ "http:// x", "W 0 0-4 http http | W 1 8-9 x x", 2 },
	{ "x.http://a.b",
	  "C 0 0-6 x.http | W 0 0-1 x x | W 1 2-6 http http | "
	  "C 2 9-12 a.b | W 2 9-10 a a | W 3 11-12 b b", 4 },

	/* normalization */
	{ "R\xc3\xa9sum\xc3\xa9 RESUME r\xc3\xa9sum\xc3\xa9",
	  "W 0 0-8 resume resum | W 1 9-15 resume resum | "
	  "W 2 16-24 resume resum", 3 },
	{ "\xef\xac\x81le \xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3 "
	  "Stra\xc3\x9f" "e",
	  "W 0 0-5 file file | W 1 6-15 abc abc | W 2 16-23 strasse strass",
	  3 },
	{ "e\xcc\x81" "cole cafe\xcc\x81",
	  "W 0 0-7 ecole ecol | W 1 8-14 cafe cafe", 2 },
	{ "\xcc\x81x", "W 0 2-3 x x", 1 },
	{ "ex\xc2\xad" "ample", "W 0 0-9 example exampl", 1 },
	{ "\xc4\xb0stanbul \xe2\x85\xab \xe2\x91\xa0 \xef\xbc\x91\xef\xbc\x92",
	  "W 0 0-9 istanbul istanbul | N 1 10-13 xii | N 2 14-17 1 | "
	  "N 3 18-24 12", 4 },
	{ "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xd0\xbc\xd0\xb8"
	  "\xd1\x80, Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln, "
	  "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d",
	  "W 0 0-12 \xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 "
	  "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 | "
	  "W 1 13-19 \xd0\xbc\xd0\xb8\xd1\x80 \xd0\xbc\xd0\xb8\xd1\x80 | "
	  "W 2 21-28 grusse gruss | W 3 29-32 aus aus | W 4 33-38 koln koln | "
	  "W 5 40-48 \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d "
	  "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", 6 },

	/* CJK */
	{ "日本語のテキスト",
	  "J 0 0-6 日本 | J 1 3-9 本語 | J 2 6-12 語の | J 3 9-15 のテ | "
	  "J 4 12-18 テキ | J 5 15-21 キス | J 6 18-24 スト", 7 },
	{ "日", "J 0 0-3 日", 1 },
	{ "Enron社 2001年",
	  "W 0 0-5 enron enron | J 1 5-8 社 | N 2 9-13 2001 | J 3 13-16 年", 4 },
	{ "東京, 大阪", "J 0 0-6 東京 | J 1 8-14 大阪", 2 },
	{ "\xef\xbd\xb6\xef\xbe\x9e\xef\xbd\xb7\xef\xbe\x9e",
	  "J 0 0-12 ガギ", 1 },
	{ "がガ", "J 0 0-6 がガ", 1 },
	{ "한국어 한", "J 0 0-6 한국 | J 1 3-9 국어 | J 2 10-13 한", 3 },
	{ "\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab", "J 0 0-9 한", 1 },
	{ "\xe5\x9b\xbd\xcc\x81x", "J 0 0-5 \xe5\x9b\xbd\xcc\x81 | W 1 5-6 x x",
	  2 },

	/* invalid UTF-8 */
	{ "ab\xff\xfe" "cd \xc0\xafx \xed\xa0\x80y z\xc3",
	  "W 0 0-2 ab ab | W 1 4-6 cd cd | W 2 9-10 x x | W 3 14-15 y y | "
	  "W 4 16-17 z z", 5 },
	{ "\xe6\x97", "", 0 },
	{ "\xf4\x90\x80\x80" "a", "W 0 4-5 a a", 1 },

	/* mixed letters and digits over TRAWL_TOKEN_MIXED_MAX */
	{ "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0123456789",
	  "N 0 0-45 qujdrevgr0hjsktmtu5puffsu1rvvldy", 1 },
	{ "0123456789abcdef0123456789abcdef0123@x.com",
	  "C 0 0-42 0123456789abcdef0123456789abcdef0123@x.com | "
	  "N 0 0-36 0123456789abcdef0123456789abcdef | C 1 37-42 x.com | "
	  "W 1 37-38 x x | W 2 39-42 com com", 3 },
};

static void test_cases(struct analyzer *a)
{
	struct collect c = { .stop_at = 0 };
	uint32_t next;
	size_t i;

	for (i = 0; i < N_ELEMENTS(cases); i++) {
		next = run(a, cases[i].in, strlen(cases[i].in), 0, &c);
		is_str(c.out, cases[i].want, "tokens of \"%s\"", cases[i].in);
		is_int(next, cases[i].next, "next position after \"%s\"",
		       cases[i].in);
	}
}

/* ------------------------------------------------------------------ */
/* Invariants, on any input */

struct check {
	size_t len;
	uint32_t pos0, last_pos, last_start, max_pos;
	int count, bad;
	char why[200];
};

static void fail(struct check *k, const char *why, const struct token *t)
{
	if (!k->bad)
		snprintf(k->why, sizeof(k->why), "%s (token \"%.40s\" at %u)",
			 why, t->text ? t->text : "(null)", t->start);
	k->bad = 1;
}

static size_t kind_cap(int kind)
{
	return kind == TOK_COMPOUND ? TRAWL_COMPOUND_MAX : TRAWL_TOKEN_MAX;
}

static int check_cb(void *ctx, const struct token *t)
{
	struct check *k = ctx;

	if (t->kind < TOK_WORD || t->kind > TOK_CJK)
		fail(k, "kind", t);
	else if (!t->text || t->len == 0 || strlen(t->text) != t->len)
		fail(k, "text length", t);
	else if (t->len > kind_cap(t->kind) || !utf8_valid(t->text, t->len))
		fail(k, "text over its cap or not UTF-8", t);
	else if ((t->kind == TOK_WORD) != (t->stem != NULL))
		fail(k, "stem set for the wrong kind", t);
	else if (t->stem && (t->stem_len == 0 ||
			     strlen(t->stem) != t->stem_len ||
			     t->stem_len > TRAWL_TOKEN_MAX ||
			     !utf8_valid(t->stem, t->stem_len)))
		fail(k, "stem", t);
	else if (t->start >= t->end || t->end > k->len)
		fail(k, "offsets outside the input", t);
	else if (k->count && (t->start < k->last_start || t->pos < k->last_pos))
		fail(k, "start or position went back", t);
	else if (t->pos < k->pos0 || t->pos - k->pos0 >= k->len)
		fail(k, "position out of range", t);
	k->last_start = t->start;
	k->last_pos = t->pos;
	if (t->pos + 1 > k->max_pos)
		k->max_pos = t->pos + 1;
	k->count++;
	return 0;
}

/* Runs the analyzer on s[0..len) and checks every promise of analyze.h;
 * returns NULL or what went wrong. */
static const char *check_text(struct analyzer *a, const char *s, size_t len)
{
	static struct check k;
	uint32_t next;

	memset(&k, 0, sizeof(k));
	k.len = len;
	k.pos0 = 1000;
	next = analyzer_run(a, s, len, k.pos0, check_cb, &k);
	if (k.bad)
		return k.why;
	if (next < k.pos0 || (k.count && next < k.max_pos) ||
	    next - k.pos0 > len)
		return "return value";
	return NULL;
}

static const char *const samples[] = {
	"From: \"Dasovich, Jeff\" <jeff.dasovich@enron.com>\r\n",
	"Date: Mon, 14 May 2001 16:39:00 -0700 (PDT)\r\n",
	"See http://www.enron.com/foo?x=1, (or https://a.b/c.) and <ftp://x>",
	"The Caf\xc3\xa9 na\xc3\xafve co\xc3\xb6perate \xef\xac\x81" "nal\n",
	"Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln \xe2\x80\x94 "
	"sch\xc3\xb6ne Stra\xc3\x9f" "e!",
	"日本語のテキストと English の混在、"
	"２００１年５月１４日。",
	"\xef\xbd\xb6\xef\xbe\x9e\xef\xbe\x9e\xef\xbe\x9e \xef\xbe\x9e",
	"\xcc\x81\xcc\x81\xcc\x81 a\xcc\x81\xcc\x81\xcc\x81 "
	"\xe1\x85\xa1\xe1\x85\xa1",
	"\xff\xfe\xfd\xc0\x80\xe0\x80\x80\xed\xbf\xbf\xf8\x88\x80\x80\x80",
	"a.-b@@c..d--e__f''g++h,,1,,2//3::4",
	"\xe2\x80\x99x\xe2\x80\x99 x\xe2\x80\x99\xe2\x80\x99y",
};

/* Pieces the random texts are made of. */
static const char *const pieces[] = {
	"a", "Z", "9", "0", ".", "@", "-", "'", ",", "/", ":", " ", "\n", "+",
	"_", "http://", "\xc3\xa9", "e\xcc\x81", "\xcc\x81", "日", "本", "ｶ",
	"\xef\xbe\x9e", "\xff", "\xe6\x97", "\xd0\xb6", "\xe2\x80\x99",
	"\xc2\xad", "\xe2\x85\xab", "한", "\xe1\x85\xa1", "\xe2\x80\xa6",
	"com", "enron", "1,000", "\xef\xbc\xa1", "\xef\xb7\xba", "\xe1\xba\x9e",
};

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

static void test_invariants(struct analyzer *a)
{
	char buf[4096];
	const char *why;
	size_t i, len, n;
	int j, bad = 0;

	for (i = 0; i < N_ELEMENTS(samples); i++) {
		why = check_text(a, samples[i], strlen(samples[i]));
		ok(why == NULL, "invariants on sample %zu%s%s", i,
		   why ? ": " : "", why ? why : "");
	}
	for (j = 0; j < 3000 && !bad; j++) {
		len = 0;
		n = 1 + rng() % 300;
		while (n-- > 0) {
			const char *p = pieces[rng() % N_ELEMENTS(pieces)];
			size_t pl = strlen(p);

			if (len + pl > sizeof(buf))
				break;
			memcpy(buf + len, p, pl);
			len += pl;
		}
		why = check_text(a, buf, len);
		if (why) {
			bad = 1;
			ok(0, "invariants on random text %d: %s", j, why);
		}
	}
	if (!bad)
		ok(1, "invariants on 3000 random texts");
}

/* ------------------------------------------------------------------ */
/* The ASCII fast path agrees with utf8proc */

/* The first token's text and stem of s, as "text stem". */
static void first_token(struct analyzer *a, const char *s, char *out,
			size_t size)
{
	struct collect c = { .stop_at = 1 };
	char *sp;

	run(a, s, strlen(s), 0, &c);
	sp = strchr(c.out, ' ');
	sp = sp ? strchr(sp + 1, ' ') : NULL;
	sp = sp ? strchr(sp + 1, ' ') : NULL; /* after "K pos a-b " */
	snprintf(out, size, "%s", sp ? sp + 1 : "");
}

static void to_fullwidth(const char *s, char *out, size_t size)
{
	size_t o = 0;

	for (; *s && o + 4 < size; s++) {
		utf8proc_ssize_t n =
			utf8proc_encode_char(0xff00 + (*s - 0x20),
					     (utf8proc_uint8_t *)out + o);
		o += (size_t)n;
	}
	out[o] = '\0';
}

static void test_paths(struct analyzer *a)
{
	static const char *const words[] = {
		"Hello", "WORLD", "Running", "x1Y2", "ABCxyz", "Generously",
		"a", "Z9", "ENRON", "connections",
		"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0123456789",
	};
	char fast[256], slow[256], in[512];
	size_t i;
	int c, bad = 0;

	for (i = 0; i < N_ELEMENTS(words); i++) {
		first_token(a, words[i], fast, sizeof(fast));
		snprintf(in, sizeof(in), "%s\xcc\x81", words[i]);
		first_token(a, in, slow, sizeof(slow));
		is_str(slow, fast, "slow path (with a mark) = fast path: %s",
		       words[i]);
		to_fullwidth(words[i], in, sizeof(in));
		first_token(a, in, slow, sizeof(slow));
		is_str(slow, fast, "full-width = ASCII: %s", words[i]);
	}
	for (c = 0x21; c < 0x7f; c++) {
		char s[2] = { (char)c, 0 };
		utf8proc_uint8_t *m = NULL;
		struct collect col = { .stop_at = 0 };

		run(a, s, 1, 0, &col);
		if (col.count == 0)
			continue;
		utf8proc_map((const utf8proc_uint8_t *)s, 1, &m,
			     UTF8PROC_STABLE | UTF8PROC_COMPAT |
				     UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD |
				     UTF8PROC_STRIPMARK | UTF8PROC_IGNORE);
		snprintf(in, sizeof(in), "%c 0 0-1 %s",
			 c <= '9' ? 'N' : 'W', m ? (const char *)m : "");
		if (col.count != 1 || strncmp(col.out, in, strlen(in)) != 0)
			bad++;
		free(m);
	}
	ok(bad == 0, "ASCII letters and digits agree with utf8proc_map");
	first_token(a, "Jeff.Dasovich@Enron.COM", fast, sizeof(fast));
	first_token(a, "Jeff.Da\xcc\x81sovich@Enron.CO\xcc\x81M", slow,
		    sizeof(slow));
	is_str(slow, fast, "compound: slow path = fast path");
}

/* Every CJK character the analyzer copies as it is must be one that
 * utf8proc leaves as it is. */
static void test_cjk_identity(struct analyzer *a)
{
	static const int32_t ranges[][2] = {
		{ 0x4e00, 0x9fff }, { 0x3400, 0x4dbf }, { 0xac00, 0xd7a3 },
		{ 0x3041, 0x3096 }, { 0x30a1, 0x30fc },
	};
	utf8proc_uint8_t s[8], *m;
	struct collect col = { .stop_at = 0 };
	char want[64];
	size_t i;
	int32_t cp;
	int bad = 0, n;

	for (i = 0; i < N_ELEMENTS(ranges); i++) {
		for (cp = ranges[i][0]; cp <= ranges[i][1]; cp++) {
			n = (int)utf8proc_encode_char(cp, s);
			s[n] = 0;
			m = NULL;
			utf8proc_map(s, n, &m,
				     UTF8PROC_STABLE | UTF8PROC_COMPAT |
					     UTF8PROC_COMPOSE |
					     UTF8PROC_CASEFOLD |
					     UTF8PROC_IGNORE);
			run(a, (const char *)s, (size_t)n, 0, &col);
			snprintf(want, sizeof(want), "J 0 0-%d %s", n,
				 m ? (const char *)m : "");
			if (col.count > 1 ||
			    (col.count == 1 && strcmp(col.out, want) != 0))
				bad++;
			free(m);
		}
	}
	ok(bad == 0, "CJK characters copied as they are: %d differ", bad);
}

/* ------------------------------------------------------------------ */
/* Cuts */

static void repeat(char *out, const char *piece, int n, const char *sep)
{
	int i;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i && sep)
			strncat(out, sep, 8);
		strncat(out, piece, 16);
	}
}

static void test_cuts(struct analyzer *a)
{
	static char in[1024], want[1024], line[4096];
	struct collect c = { .stop_at = 0 };
	uint32_t next;

	repeat(in, "a", 100, NULL);
	repeat(want, "a", 64, NULL);
	run(a, in, strlen(in), 0, &c);
	snprintf(line, sizeof(line), "W 0 0-100 %s %s", want, want);
	is_str(c.out, line, "a long word is cut to TRAWL_TOKEN_MAX");

	repeat(in, "\xd0\xb6", 50, NULL); /* 100 bytes of Cyrillic */
	repeat(want, "\xd0\xb6", 32, NULL);
	run(a, in, strlen(in), 0, &c);
	snprintf(line, sizeof(line), "W 0 0-100 %s %s", want, want);
	is_str(c.out, line, "a long non-ASCII word is cut on a character");

	repeat(in, "1\xd0\xb6", 20, NULL); /* mixed, 60 bytes */
	repeat(want, "1\xd0\xb6", 10, NULL);
	strncat(want, "1", 2);
	run(a, in, strlen(in), 0, &c);
	snprintf(line, sizeof(line), "N 0 0-60 %s", want);
	is_str(c.out, line, "a mixed segment is cut on a character");

	repeat(in, "abcdefghij", 15, "-"); /* 164 bytes */
	next = run(a, in, strlen(in), 0, &c);
	memcpy(want, in, TRAWL_COMPOUND_MAX);
	want[TRAWL_COMPOUND_MAX] = '\0';
	snprintf(line, sizeof(line), "C 0 0-164 %s | W 0 0-10 abcdefghij",
		 want);
	ok(strncmp(c.out, line, strlen(line)) == 0,
	   "a long compound is cut to TRAWL_COMPOUND_MAX");
	is_int(next, 15, "a long compound keeps all its parts");

	repeat(in, "\xd0\xb6", 70, NULL); /* 140 bytes */
	repeat(in + 141, "\xd0\xb6", 70, NULL);
	in[140] = '-';
	repeat(want, "\xd0\xb6", 64, NULL);
	run(a, in, strlen(in), 0, &c);
	snprintf(line, sizeof(line), "C 0 0-281 %s | ", want);
	ok(strncmp(c.out, line, strlen(line)) == 0,
	   "a long non-ASCII compound is cut on a character");

	repeat(in, "a", 70, "."); /* 70 parts */
	next = run(a, in, strlen(in), 0, &c);
	repeat(want, "a", 64, ".");
	snprintf(line, sizeof(line), "C 0 0-127 %s | W 0 0-1 a a | ", want);
	ok(strncmp(c.out, line, strlen(line)) == 0,
	   "a compound keeps TRAWL_COMPOUND_PARTS parts together");
	ok(strstr(c.out, "| C 64 128-139 a.a.a.a.a.a | W 64 128-129 a a") !=
		   NULL,
	   "the parts after them start a new compound");
	is_int(next, 70, "70 parts use 70 positions");

	snprintf(in, sizeof(in), "http://h/");
	repeat(in + 9, "b", 70, "/");
	next = run(a, in, strlen(in), 0, &c);
	ok(strncmp(c.out, "C 0 0-132 http://h/b/b/b/", 25) == 0,
	   "a URL ends with its 64th part");
	ok(strstr(c.out, "| W 63 131-132 b b | W 64 133-134 b b | "
			 "W 65 135-136 b b | W 66") != NULL,
	   "the parts after them are single words");
	is_int(next, 72, "a long URL: next position");
}

/* A text that is one long run of URL characters takes linear time: each
 * URL stops scanning at its 64th part. */
static void test_many_urls(struct analyzer *a)
{
	size_t n = (size_t)1 << 20, i;
	struct check k = { 0 };
	char *s = malloc(n);
	uint32_t next;

	if (!s) {
		skip("no memory for many URLs");
		return;
	}
	for (i = 0; i < n; i++)
		s[i] = "http://a."[i % 9];
	k.len = n;
	next = analyzer_run(a, s, n, 0, check_cb, &k);
	ok(!k.bad && next > n / 9, "a megabyte of URLs: %s",
	   k.bad ? k.why : "ok");
	free(s);
}

static void test_analyze_max(struct analyzer *a)
{
	size_t n = TRAWL_ANALYZE_MAX + 10;
	struct collect c = { .stop_at = 0 };
	char *big = malloc(n), want[64];
	uint32_t next;

	if (!big) {
		skip("no memory for TRAWL_ANALYZE_MAX");
		return;
	}
	memset(big, ' ', n);
	memcpy(big + TRAWL_ANALYZE_MAX - 2, "abcd", 4);
	next = run(a, big, n, 0, &c);
	snprintf(want, sizeof(want), "W 0 %zu-%zu ab ab", TRAWL_ANALYZE_MAX - 2,
		 TRAWL_ANALYZE_MAX);
	is_str(c.out, want, "text is cut at TRAWL_ANALYZE_MAX");
	is_int(next, 1, "text is cut at TRAWL_ANALYZE_MAX (position)");
	free(big);
}

/* ------------------------------------------------------------------ */
/* Positions and stopping */

static void test_positions(struct analyzer *a)
{
	struct collect c = { .stop_at = 0 };
	uint32_t next;

	next = run(a, "alpha beta", 10, 10, &c);
	is_str(c.out, "W 10 0-5 alpha alpha | W 11 6-10 beta beta",
	       "positions start at pos0");
	is_int(next, 12, "the next position is returned");
	next = run(a, "gamma a@b.c", 11, next + 100, &c);
	is_str(c.out,
	       "W 112 0-5 gamma gamma | C 113 6-11 a@b.c | W 113 6-7 a a | "
	       "C 114 8-11 b.c | W 114 8-9 b b | W 115 10-11 c c",
	       "a second value chained with a gap");
	is_int(next, 116, "chained: next position");
	next = run(a, NULL, 0, 7, &c);
	ok(c.count == 0 && next == 7, "NULL, 0 gives no token and pos0");
	next = run(a, " ... ", 5, 7, &c);
	ok(c.count == 0 && next == 7, "separators only give pos0");
	next = run(a, "a\0b", 3, 0, &c);
	is_str(c.out, "W 0 0-1 a a | W 1 2-3 b b", "a NUL byte is a separator");

	c.stop_at = 2;
	next = run(a, "one two three four", 18, 0, &c);
	is_str(c.out, "W 0 0-3 one one | W 1 4-7 two two",
	       "the callback stops the run");
	is_int(next, 2, "stopped: position after the last token");
	c.stop_at = 1;
	next = run(a, "a.b c", 5, 5, &c);
	ok(c.count == 1 && next == 6, "stopped at a whole compound");
	next = run(a, "日本語", 9, 0, &c);
	ok(c.count == 1 && next == 1, "stopped at a bigram");
	c.stop_at = 3;
	next = run(a, "x@y.com z", 9, 0, &c);
	ok(c.count == 3 && next == 2, "stopped at a domain suffix");
}

/* ------------------------------------------------------------------ */
/* Throughput, on demand */

static int count_cb(void *ctx, const struct token *t)
{
	(*(size_t *)ctx)++;
	return 0;
}

static void bench(struct analyzer *a, const char *path)
{
	FILE *f = fopen(path, "rb");
	struct timespec t0, t1;
	size_t size, off, piece = 64 << 10, tokens = 0;
	char *data = NULL;
	double secs;
	long end;
	int r;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		goto out;
	size = (size_t)end;
	data = malloc(size);
	if (!data || fread(data, 1, size, f) != size)
		goto out;
	for (r = 0; r < 3; r++) {
		tokens = 0;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
		for (off = 0; off < size; off += piece)
			analyzer_run(a, data + off,
				     size - off < piece ? size - off : piece, 0,
				     count_cb, &tokens);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
		secs = (double)(t1.tv_sec - t0.tv_sec) +
		       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		printf("# bench: %zu bytes, %zu tokens, %.1f MB/s of CPU time\n",
		       size, tokens, (double)size / secs / 1e6);
	}
out:
	free(data);
	if (f)
		fclose(f);
}

/* Lazy stems: every token as an eager run gives it, the stem asked for
 * with analyzer_stem() equal to the eager one. */
struct lazy_run {
	struct analyzer *a;
	int lazy;
	char out[8192];
	size_t len;
};

static int lazy_cb(void *ctx, const struct token *t)
{
	struct lazy_run *r = ctx;
	size_t sl = 0;
	const char *stem = t->stem;

	if (r->lazy) {
		if (t->kind == TOK_WORD && t->stem)
			return 1; /* a lazy run must not stem */
		stem = analyzer_stem(r->a, t, &sl);
	} else {
		sl = t->stem_len;
	}
	if (r->len < sizeof(r->out) - 200)
		r->len += (size_t)snprintf(r->out + r->len, 200, "%s/%.*s@%u ",
					   t->text, (int)sl, stem ? stem : "",
					   t->pos);
	return 0;
}

static void test_lazy_stems(void)
{
	static const char text[] = "Running runners ran; the skies were "
		"dying, happily.  relational possibility jeff.dasovich@enron."
		"com 555-1234 o'brien Résumé résumés naïve 東京都 running";
	struct lazy_run e = { .a = analyzer_new() }, l = { .a = analyzer_new(),
							   .lazy = 1 };

	analyzer_lazy_stems(l.a, 1);
	analyzer_run(e.a, text, strlen(text), 0, lazy_cb, &e);
	analyzer_run(l.a, text, strlen(text), 0, lazy_cb, &l);
	ok(e.len > 100 && e.len == l.len && !memcmp(e.out, l.out, e.len),
	   "lazy stems: the same tokens and stems as an eager run");
	if (e.len != l.len || memcmp(e.out, l.out, e.len))
		printf("#   eager: %s\n#   lazy:  %s\n", e.out, l.out);
	analyzer_lazy_stems(l.a, 0);
	l.len = 0;
	l.lazy = 0;
	analyzer_run(l.a, text, strlen(text), 0, lazy_cb, &l);
	ok(e.len == l.len && !memcmp(e.out, l.out, e.len),
	   "and eager again once switched back");
	analyzer_free(e.a);
	analyzer_free(l.a);
}

int main(void)
{
	struct analyzer *a = analyzer_new();
	const char *b = getenv("TRAWL_ANALYZE_BENCH");

	if (!ok(a != NULL, "analyzer_new"))
		return tap_done();
	test_cases(a);
	test_invariants(a);
	test_paths(a);
	test_cjk_identity(a);
	test_cuts(a);
	test_many_urls(a);
	test_analyze_max(a);
	test_positions(a);
	test_lazy_stems();
	if (b && *b)
		bench(a, b);
	analyzer_free(a);
	analyzer_free(NULL);
	return tap_done();
}
