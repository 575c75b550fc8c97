/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test-qparse.c - the query language (lib/qparse.c, docs/QUERY.md):
 * every feature as the tree it parses to (trawl_query_describe), every
 * error with its position and message, every limit.  The tables are the
 * specification: docs/QUERY.md's examples are in them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "trawl.h"
#include "tap.h"
#include "banned.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

struct good {
	const char *query;
	const char *tree;
};

/* Dates: 2014 = [1388534400, 1420070399]; 2014-11 = [1414800000,
 * 1417391999]; 2014-11-24 = [1416787200, 1416873599]. */
static const struct good goods[] = {
	/* words: stems over every field; no stop words */
	{ "running", "(stem run)" },
	{ "Running", "(stem run)" },
	{ "Résumé", "(stem resum)" },
	{ "the", "(stem the)" },
	{ "and or not", "(and (stem and) (stem or) (stem not))" },
	{ "budget meeting", "(and (stem budget) (stem meet))" },
	{ "  budget\tmeeting  ", "(and (stem budget) (stem meet))" },
	{ "2014", "(exact 2014)" },
	/* compounds, whole and exact */
	{ "amy.pascal@sonypictures.com",
	  "(exact amy.pascal@sonypictures.com)" },
	{ "Amy.Pascal@SonyPictures.com",
	  "(exact amy.pascal@sonypictures.com)" },
	{ "sonypictures.com", "(exact sonypictures.com)" },
	{ "o'brien", "(exact o'brien)" },
	{ "O’Brien", "(exact o'brien)" },
	{ "555-1234", "(exact 555-1234)" },
	{ "$1,000", "(exact 1,000)" },
	{ "http://www.x.com/a", "(exact http://www.x.com/a)" },
	{ "10:30", "(exact 10:30)" },
	/* CJK: bigrams as a phrase */
	{ "東京都", "(phrase \"東京 京都\")" },
	{ "東京", "(exact 東京)" },
	/* punctuation only: left out */
	{ "budget !!! meeting", "(and (stem budget) (stem meet))" },
	{ "budget - meeting", "(and (stem budget) (stem meet))" },
	/* phrases: exact forms */
	{ "\"running\"", "(exact running)" },
	{ "\"budget meeting\"", "(phrase \"budget meeting\")" },
	{ "\"Budget  Meeting\"", "(phrase \"budget meeting\")" },
	{ "\"budget meeting\"~5", "(phrase~5 \"budget meeting\")" },
	{ "\"amy.pascal@x.com wrote\"",
	  "(phrase \"amy pascal x com wrote\")" },
	{ "\"o'brien\"", "(exact o'brien)" },
	{ "\"budget\"~3", "(exact budget)" },
	{ "\"!!\" budget", "(stem budget)" },
	/* prefixes: exact forms */
	{ "budg*", "(prefix budg)" },
	{ "Résu*", "(prefix resu)" },
	{ "amy.pas*", "(prefix amy.pas)" },
	{ "*", "(all)" },
	/* operators */
	{ "a OR b", "(or (stem a) (stem b))" },
	{ "a AND b", "(and (stem a) (stem b))" },
	{ "sony pictures OR columbia",
	  "(and (stem soni) (or (stem pictur) (stem columbia)))" },
	{ "a OR b c OR d",
	  "(and (or (stem a) (stem b)) (or (stem c) (stem d)))" },
	{ "a -b", "(bool +(stem a) -(stem b))" },
	{ "a NOT b", "(bool +(stem a) -(stem b))" },
	{ "a +b", "(and (stem a) (stem b))" },
	{ "-b", "(bool -(stem b))" },
	{ "NOT b", "(bool -(stem b))" },
	{ "- -b", "(bool -(stem b))" },
	{ "--b", "(stem b)" },
	{ "NOT NOT b", "(stem b)" },
	{ "a OR -b", "(or (stem a) (bool -(stem b)))" },
	{ "(a OR b) -(c d)",
	  "(bool +(or (stem a) (stem b)) -(and (stem c) (stem d)))" },
	{ "((a))", "(stem a)" },
	{ "-\"budget meeting\" x",
	  "(bool -(phrase \"budget meeting\") +(stem x))" },
	/* fields */
	{ "from:amy", "(exact amy from)" },
	{ "FROM:amy", "(exact amy from)" },
	{ "from:amy.pascal@sonypictures.com",
	  "(exact amy.pascal@sonypictures.com from)" },
	{ "from:sony.com", "(exact sony.com from)" },
	{ "to:\"amy pascal\"", "(phrase \"amy pascal\" to,cc,bcc)" },
	{ "cc:bob", "(exact bob cc)" },
	{ "bcc:bob", "(exact bob bcc)" },
	{ "from:(amy OR bob)", "(or (exact amy from) (exact bob from))" },
	{ "from:amy*", "(prefix amy from)" },
	{ "subject:running", "(stem run subject)" },
	{ "s:running", "(stem run subject)" },
	{ "body:budget", "(stem budget body,atttext)" },
	{ "b:budget", "(stem budget body,atttext)" },
	{ "subject:\"budget meeting\"", "(phrase \"budget meeting\" subject)" },
	{ "filename:report.pdf", "(exact report.pdf attname)" },
	{ "attachment:report", "(stem report attname)" },
	{ "n:report", "(stem report attname)" },
	{ "-from:amy budget", "(bool -(exact amy from) +(stem budget))" },
	{ "kind:email", "(kind email)" },
	{ "kind:Document", "(kind document)" },
	{ "has:attachment", "(has attachment)" },
	{ "has:attachments", "(has attachment)" },
	{ "type:application/pdf", "(atttype application/pdf)" },
	{ "type:pdf", "(or (atttype application/pdf) (ext pdf))" },
	{ "type:text", "(or (atttype text/plain) (ext txt))" },
	{ "type:xlsx", "(ext xlsx)" },
	{ "type:.XLSX", "(ext xlsx)" },
	{ "thread:42", "(thread 42)" },
	{ "id:42", "(id 42 42)" },
	{ "id:<abc@example.com>", "(msgid abc@example.com)" },
	{ "id:abc@example.com", "(msgid abc@example.com)" },
	{ "msgid:<Abc@Example.com>", "(msgid Abc@Example.com)" },
	{ "mid:abc@x", "(msgid abc@x)" },
	{ "path:/mail/allen-p", "(path \"/mail/allen-p\")" },
	{ "path:\"/my mail/x\"", "(path \"/my mail/x\")" },
	{ "size:>1MB", "(size 1048577 max)" },
	{ "size:>=1MB", "(size 1048576 max)" },
	{ "size:<10kb", "(size 0 10239)" },
	{ "size:<=10K", "(size 0 10240)" },
	{ "size:1.5MB..2MB", "(size 1572864 2097152)" },
	{ "size:1000", "(size 1000 1000)" },
	{ "size:..100", "(size 0 100)" },
	{ "size:100..", "(size 100 max)" },
	{ "date:2014", "(date 2014-01-01T00:00:00 2014-12-31T23:59:59)" },
	{ "date:2014-11", "(date 2014-11-01T00:00:00 2014-11-30T23:59:59)" },
	{ "date:2014-11-24",
	  "(date 2014-11-24T00:00:00 2014-11-24T23:59:59)" },
	{ "date:2014-11-01..2014-12-31",
	  "(date 2014-11-01T00:00:00 2014-12-31T23:59:59)" },
	{ "date:2014-11..2014-12",
	  "(date 2014-11-01T00:00:00 2014-12-31T23:59:59)" },
	{ "date:..2014-06", "(date min 2014-06-30T23:59:59)" },
	{ "date:2014-11..", "(date 2014-11-01T00:00:00 max)" },
	{ "date:2000-02", "(date 2000-02-01T00:00:00 2000-02-29T23:59:59)" },
	{ "date:1900-02-28", "(date 1900-02-28T00:00:00 1900-02-28T23:59:59)" },
	{ "date:1969-12-31", "(date 1969-12-31T00:00:00 1969-12-31T23:59:59)" },
	{ "-date:guessed", "(bool -(date guessed))" },
	{ "from:amy date:2014-11 budget",
	  "(and (exact amy from) (date 2014-11-01T00:00:00 "
	  "2014-11-30T23:59:59) (stem budget))" },
};

struct bad {
	const char *query;
	trawl_status st;
	size_t pos;
	const char *message; /* a part of it */
};

static const struct bad bads[] = {
	{ "", TRAWL_ERR_INVALID, 0, "the query is empty" },
	{ "   ", TRAWL_ERR_INVALID, 0, "the query is empty" },
	{ "!!! ???", TRAWL_ERR_INVALID, 0, "nothing to search for" },
	{ "\"budget meeting", TRAWL_ERR_INVALID, 0, "is not closed" },
	{ "a \"b", TRAWL_ERR_INVALID, 2, "the quote at 3 is not closed" },
	{ "(a OR b", TRAWL_ERR_INVALID, 0, "the '(' at 1 is not closed" },
	{ "a OR b)", TRAWL_ERR_INVALID, 6, "a ')' without its '('" },
	{ "()", TRAWL_ERR_INVALID, 0, "empty parentheses" },
	{ "a ( ) b", TRAWL_ERR_INVALID, 2, "empty parentheses" },
	{ "AND a", TRAWL_ERR_INVALID, 0, "AND needs a word on each side" },
	{ "a AND", TRAWL_ERR_INVALID, 2, "AND needs a word on each side" },
	{ "a OR", TRAWL_ERR_INVALID, 2, "OR needs a word on each side" },
	{ "OR a", TRAWL_ERR_INVALID, 0, "OR needs a word on each side" },
	{ "a OR OR b", TRAWL_ERR_INVALID, 2, "OR needs a word on each side" },
	{ "a AND OR b", TRAWL_ERR_INVALID, 2, "AND needs a word" },
	{ "a NOT", TRAWL_ERR_INVALID, 2, "NOT at the end" },
	{ "(a)b", TRAWL_ERR_INVALID, 3, "text right after a ')'" },
	{ "\"a b\"c", TRAWL_ERR_INVALID, 5, "right after a closing quote" },
	{ "\"a b\"~x", TRAWL_ERR_INVALID, 5, "'~x' is not a distance" },
	{ "\"a b\"~1001", TRAWL_ERR_INVALID, 5, "is not a distance" },
	{ "frm:amy", TRAWL_ERR_INVALID, 0, "unknown field 'frm:'" },
	{ "a re:budget", TRAWL_ERR_INVALID, 2, "unknown field 're:'" },
	{ "from:", TRAWL_ERR_INVALID, 0, "from: needs a value" },
	{ "from: amy", TRAWL_ERR_INVALID, 0, "from: needs a value" },
	{ "(from:)", TRAWL_ERR_INVALID, 1, "from: needs a value" },
	{ "from:(to:amy)", TRAWL_ERR_INVALID, 6, "to: inside from:(...)" },
	{ "kind:(email)", TRAWL_ERR_INVALID, 5, "kind: does not take a group" },
	{ "kind:mail", TRAWL_ERR_INVALID, 5, "unknown kind 'mail'" },
	{ "has:pdf", TRAWL_ERR_INVALID, 4, "unknown has:pdf" },
	{ "thread:abc", TRAWL_ERR_INVALID, 7, "is not a thread number" },
	{ "thread:0", TRAWL_ERR_INVALID, 7, "is not a thread number" },
	{ "id:<>", TRAWL_ERR_INVALID, 4, "the Message-ID is empty" },
	{ "type:.", TRAWL_ERR_INVALID, 5, "type: needs a value" },
	{ "size:big", TRAWL_ERR_INVALID, 5, "'big' is not a size" },
	{ "size:>", TRAWL_ERR_INVALID, 6, "'' is not a size" },
	{ "size:10XB", TRAWL_ERR_INVALID, 5, "'10XB' is not a size" },
	{ "size:<0", TRAWL_ERR_INVALID, 5, "nothing is smaller than 0" },
	{ "size:5MB..1MB", TRAWL_ERR_INVALID, 5, "ends before it starts" },
	{ "size:..", TRAWL_ERR_INVALID, 5, "is not a size range" },
	{ "date:yesterday", TRAWL_ERR_INVALID, 5, "'yesterday' is not a date" },
	{ "date:2014-13", TRAWL_ERR_INVALID, 5, "'2014-13' is not a date" },
	{ "date:2014-02-30", TRAWL_ERR_INVALID, 5, "2014-02 has no day 30" },
	{ "date:2013-02-29", TRAWL_ERR_INVALID, 5, "2013-02 has no day 29" },
	{ "date:14-11-24", TRAWL_ERR_INVALID, 5, "is not a date" },
	{ "date:2014-12..2014-11", TRAWL_ERR_INVALID, 5,
	  "ends before it starts" },
	{ "date:..", TRAWL_ERR_INVALID, 5, "'..' needs a date" },
	{ "date:2014..x", TRAWL_ERR_INVALID, 11, "'x' is not a date" },
	{ "a*b", TRAWL_ERR_INVALID, 1, "'*' in the middle of a word" },
	{ "!*", TRAWL_ERR_INVALID, 0, "'*' must follow the start of a word" },
	{ "東京都*", TRAWL_ERR_INVALID, 0, "is not one word" },
};

static char *repeat(const char *unit, size_t n, const char *tail)
{
	size_t u = strlen(unit), t = strlen(tail);
	char *s = malloc(u * n + t + 1);

	for (size_t i = 0; i < n; i++)
		memcpy(s + i * u, unit, u);
	memcpy(s + u * n, tail, t + 1);
	return s;
}

static void check_good(trawl_parser *p, const char *query, const char *want)
{
	trawl_parse_error err;
	trawl_query *q = NULL;
	trawl_status st = trawl_query_parse(p, query, &q, &err);
	char *got = st ? NULL : trawl_query_describe(q);

	if (st)
		printf("# %s: error at %zu: %s\n", query, err.pos, err.message);
	is_str(got, want, "parse: %s", query);
	free(got);
	trawl_query_free(q);
}

static void check_bad(trawl_parser *p, const struct bad *b)
{
	trawl_parse_error err;
	trawl_query *q = NULL;
	trawl_status st = trawl_query_parse(p, b->query, &q, &err);

	ok(st == b->st && !q && err.pos == b->pos &&
		   (!b->message || strstr(err.message, b->message)),
	   "error: '%s' -> %s at %zu: %s%s%s", b->query, trawl_status_str(st),
	   err.pos, err.message, err.hint[0] ? " / hint: " : "", err.hint);
	if (st != b->st || err.pos != b->pos)
		printf("#   want %s at %zu: %s\n", trawl_status_str(b->st),
		       b->pos, b->message ? b->message : "");
	trawl_query_free(q);
}

static void check_limits(trawl_parser *p)
{
	trawl_parse_error err;
	trawl_query *q = NULL;
	char *s;

	/* length */
	s = repeat("a", TRAWL_MAX_QUERY_LEN, "");
	ok(trawl_query_parse(p, s, &q, &err) == TRAWL_OK,
	   "a query of %d bytes parses", TRAWL_MAX_QUERY_LEN);
	trawl_query_free(q);
	free(s);
	s = repeat("a", TRAWL_MAX_QUERY_LEN + 1, "");
	ok(trawl_query_parse(p, s, &q, &err) == TRAWL_ERR_TOO_LARGE && !q &&
		   strstr(err.message, "longer than"),
	   "one byte more is refused: %s", err.message);
	free(s);
	/* words */
	s = repeat("w ", TRAWL_MAX_QUERY_WORDS, "");
	ok(trawl_query_parse(p, s, &q, &err) == TRAWL_OK,
	   "%d words parse", TRAWL_MAX_QUERY_WORDS);
	trawl_query_free(q);
	free(s);
	s = repeat("w ", TRAWL_MAX_QUERY_WORDS + 1, "");
	ok(trawl_query_parse(p, s, &q, &err) == TRAWL_ERR_TOO_LARGE && !q &&
		   strstr(err.message, "more than") &&
		   err.pos == 2 * TRAWL_MAX_QUERY_WORDS,
	   "one word more is refused at its position: %s (at %zu)",
	   err.message, err.pos);
	free(s);
	s = repeat("w OR ", TRAWL_MAX_QUERY_WORDS, "w");
	ok(trawl_query_parse(p, s, &q, &err) == TRAWL_ERR_TOO_LARGE && !q,
	   "so are too many words in one OR: %s", err.message);
	free(s);
	/* nesting */
	s = malloc(2 * TRAWL_MAX_QUERY_DEPTH + 2);
	for (int i = 0; i < TRAWL_MAX_QUERY_DEPTH; i++) {
		s[i] = '(';
		s[TRAWL_MAX_QUERY_DEPTH + 1 + i] = ')';
	}
	s[TRAWL_MAX_QUERY_DEPTH] = 'a';
	s[2 * TRAWL_MAX_QUERY_DEPTH + 1] = 0;
	ok(trawl_query_parse(p, s, &q, &err) == TRAWL_OK,
	   "%d levels of parentheses parse", TRAWL_MAX_QUERY_DEPTH);
	trawl_query_free(q);
	free(s);
	s = repeat("(", TRAWL_MAX_QUERY_DEPTH + 1, "a");
	ok(trawl_query_parse(p, s, &q, &err) == TRAWL_ERR_TOO_LARGE && !q &&
		   strstr(err.message, "nests too deep") &&
		   err.pos == TRAWL_MAX_QUERY_DEPTH,
	   "one more is refused: %s (at %zu)", err.message, err.pos);
	free(s);
	s = repeat("-", 2 * TRAWL_MAX_QUERY_DEPTH, "a");
	ok(trawl_query_parse(p, s, &q, &err) == TRAWL_ERR_TOO_LARGE && !q,
	   "so is a long run of negations: %s", err.message);
	free(s);
	s = repeat("NOT ", TRAWL_MAX_QUERY_DEPTH + 1, "a");
	ok(trawl_query_parse(p, s, &q, &err) == TRAWL_ERR_TOO_LARGE && !q,
	   "and of NOTs: %s", err.message);
	free(s);
	/* phrase terms */
	s = repeat(" w", TRAWL_MAX_PHRASE_TERMS, "\"");
	s[0] = '"';
	ok(trawl_query_parse(p, s, &q, &err) == TRAWL_OK,
	   "a phrase of %d words parses", TRAWL_MAX_PHRASE_TERMS);
	trawl_query_free(q);
	free(s);
	s = repeat(" w", TRAWL_MAX_PHRASE_TERMS + 1, "\"");
	s[0] = '"';
	ok(trawl_query_parse(p, s, &q, &err) == TRAWL_ERR_TOO_LARGE && !q &&
		   strstr(err.message, "a phrase has more than"),
	   "one word more is refused: %s", err.message);
	free(s);
	/* a NULL error pointer is fine */
	ok(trawl_query_parse(p, "(", &q, NULL) == TRAWL_ERR_INVALID && !q,
	   "errors without an error record");
}

static void check_kind(trawl_parser *p)
{
	static const struct {
		const char *query;
		int names;
	} t[] = {
		{ "budget", 0 },
		{ "kind:attachment budget", 1 },
		{ "a OR (b -kind:document)", 1 },
		{ "has:attachment", 0 },
	};

	for (size_t i = 0; i < N_ELEMENTS(t); i++) {
		trawl_query *q = NULL;

		trawl_query_parse(p, t[i].query, &q, NULL);
		is_int(trawl_query_names_kind(q), t[i].names,
		       "names a kind: %s", t[i].query);
		trawl_query_free(q);
	}
}

static void check_forms(trawl_parser *p)
{
	static const struct {
		trawl_search_form f;
		const char *text, *tree;
	} t[] = {
		{ { .words = "budget meeting" }, "(budget meeting)",
		  "(and (stem budget) (stem meet))" },
		{ { .words = "budget", .not_words = "draft \"first cut\"" },
		  "(budget) -(draft) -(\"first cut\")",
		  "(bool +(stem budget) -(stem draft) -(phrase \"first cut\"))" },
		{ { .from = "amy pascal", .not_to = "legal@sony.com" },
		  "from:(amy pascal) -to:(legal@sony.com)",
		  "(bool +(and (exact amy from) (exact pascal from)) "
		  "-(exact legal@sony.com to,cc,bcc))" },
		{ { .subject = "\"q3 numbers", .not_subject = " " },
		  "subject:(\"q3 numbers\")",
		  "(phrase \"q3 numbers\" subject)" },
		{ { .words = "(x) y)", .date_from = "2014-11" },
		  "( x  y ) date:2014-11..",
		  "(and (and (stem x) (stem y)) "
		  "(date 2014-11-01T00:00:00 max))" },
		{ { .date_to = " 2014 " }, "date:..2014 ",
		  "(date min 2014-12-31T23:59:59)" },
		{ { .not_from = "a b" }, "-from:(a) -from:(b)",
		  "(bool -(exact a from) -(exact b from))" },
		{ { 0 }, "", NULL },
	};

	for (size_t i = 0; i < N_ELEMENTS(t); i++) {
		char *text = trawl_search_form_query(&t[i].f), *d = NULL;
		trawl_query *q = NULL;

		is_str(text, t[i].text, "form %zu as text", i);
		if (t[i].tree) {
			trawl_query_parse(p, text, &q, NULL);
			d = q ? trawl_query_describe(q) : NULL;
			is_str(d, t[i].tree, "form %zu parses", i);
		}
		free(d);
		free(text);
		trawl_query_free(q);
	}
}

int main(void)
{
	trawl_parser *p = trawl_parser_new();

	if (!p) {
		printf("Bail out! no parser\n");
		return 1;
	}
	for (size_t i = 0; i < N_ELEMENTS(goods); i++)
		check_good(p, goods[i].query, goods[i].tree);
	for (size_t i = 0; i < N_ELEMENTS(bads); i++)
		check_bad(p, &bads[i]);
	check_limits(p);
	check_kind(p);
	check_forms(p);
	trawl_parser_free(p);
	return tap_done();
}
