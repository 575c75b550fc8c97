/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* test-mailutil.c - table-driven tests of lib/mailutil.c. */
#include <gmime/gmime.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mailutil.h"
#include "tap.h"
#include "banned.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */

static const struct {
	const char *in, *want;
} subject_cases[] = {
	{ "Re: foo", "foo" },
	{ "RE: foo", "foo" },
	{ "re: re: Re: foo", "foo" },
	{ "Re:foo", "foo" },
	{ "Re[2]: foo", "foo" },
	{ "Re(3): foo", "foo" },
	{ "Re^2: foo", "foo" },
	{ "Re : foo", "foo" },
	{ "Re [4] : foo", "foo" },
	{ "Fwd: foo", "foo" },
	{ "Fw: FW: fwd: foo", "foo" },
	{ "AW: WG: foo", "foo" },
	{ "Antwort: foo", "foo" },
	{ "TR: foo", "foo" },
	{ "SV: VS: foo", "foo" },
	{ "VB: VL: foo", "foo" },
	{ "Antw: Doorst: foo", "foo" },
	{ "RV: RIF: foo", "foo" },
	{ "R: foo", "foo" },
	{ "r: foo", "foo" },
	{ "R [2]: foo", "R [2]: foo" },
	{ "R : foo", "R : foo" },
	{ "Odp: PD: Enc: foo", "foo" },
	{ "Re: Fwd: Re: AW: foo", "foo" },
	{ "Re\xef\xbc\x9a" "foo", "foo" },
	{ "\xe5\x9b\x9e\xe5\xa4\x8d\xef\xbc\x9a" "foo", "foo" },
	{ "\xe8\xbd\xac\xe5\x8f\x91: foo", "foo" },
	{ "Ra: foo", "Ra: foo" },
	{ "Rex: foo", "Rex: foo" },
	{ "Reply: foo", "Reply: foo" },
	{ "Regarding foo", "Regarding foo" },
	{ "Re: [dev] Re: foo", "[dev] foo" },
	{ "[dev] Re: foo", "[dev] foo" },
	{ "Re: [dev] foo", "[dev] foo" },
	{ "[dev] foo", "[dev] foo" },
	{ "[dev] Re: [dev] foo", "[dev] foo" },
	{ "Re: [dev] [DEV] foo", "[dev] foo" },
	{ "Re: [PATCH 1/2] foo", "[PATCH 1/2] foo" },
	{ "[dev] [PATCH] Re: foo", "[dev] [PATCH] foo" },
	{ "[dev]foo", "[dev] foo" },
	{ "Re: [dev]", "[dev]" },
	{ "Re: [unclosed foo", "[unclosed foo" },
	{ "Re: foo [bar] baz", "foo [bar] baz" },
	{ "[1][2][3][4][5][6][7][8][9] Re: foo",
	  "[1] [2] [3] [4] [5] [6] [7] [8] [9] Re: foo" },
	{ "[Fwd: foo]", "foo" },
	{ "Fwd: [Fwd: foo] (fwd)", "foo" },
	{ "RE: Re: [Fwd: hello]", "hello" },
	{ "[dev] [Fwd: foo]", "[dev] foo" },
	{ "[Fwd: foo] bar", "[Fwd: foo] bar" },
	{ "[Fwd: a] [b]", "[Fwd: a] [b]" },
	{ "Re: [dev] [Fwd: hi] Re: [x]", "[dev] [Fwd: hi] Re: [x]" },
	{ "[Fwd: [dev] foo]", "[dev] foo" },
	{ "foo (fwd)", "foo" },
	{ "foo (FWD)  (fwd)", "foo" },
	{ "Fwd: foo (fwd) bar", "foo (fwd) bar" },
	{ "  Re:   foo \t bar  ", "foo bar" },
	{ "Re:\r\n\tfoo\r\n bar", "foo bar" },
	{ "Re: caf\xc3\xa9", "caf\xc3\xa9" },
	{ "Re: \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" },
	{ "Re: a\xc2\xa0 b", "a\xc2\xa0 b" },
	{ "Subject without prefix", "Subject without prefix" },
	{ "", "" },
	{ "   ", "" },
	{ "Re:", "" },
	{ "Re: Re: ", "" },
	{ "(fwd)", "" },
};

static void test_subject(void)
{
	size_t i;
	char *got;

	for (i = 0; i < N_ELEMENTS(subject_cases); i++) {
		got = subject_base(subject_cases[i].in);
		is_str(got, subject_cases[i].want, "subject_base(\"%s\")",
		       subject_cases[i].in);
		free(got);
	}
	got = subject_base(NULL);
	is_str(got, "", "subject_base(NULL)");
	free(got);
}

/* ------------------------------------------------------------------ */

static const struct {
	const char *in;
	const char *want; /* UTC "YYYY-MM-DD HH:MM:SS", or NULL: rejected */
	int tz;
} date_cases[] = {
	/* Enron and RFC 5322 forms */
	{ "Mon, 14 May 2001 16:39:00 -0700 (PDT)", "2001-05-14 23:39:00", -420 },
	{ "14 May 2001 16:39:00 -0700", "2001-05-14 23:39:00", -420 },
	{ "Mon,14 May 2001 16:39:00 -0700", "2001-05-14 23:39:00", -420 },
	{ "  Mon,  14  May   2001   16:39:00   -0700  ", "2001-05-14 23:39:00", -420 },
	{ "Mon, 14 May 2001 16:39:00 +0530", "2001-05-14 11:09:00", 330 },
	{ "Mon, 14 May 2001 16:39:00 -0000", "2001-05-14 16:39:00", 0 },
	/* years */
	{ "Mon, 14 May 01 16:39:00 -0700", "2001-05-14 23:39:00", -420 },
	{ "Fri, 14 May 99 16:39:00 +0000", "1999-05-14 16:39:00", 0 },
	{ "14 May 49 16:39:00 +0000", "2049-05-14 16:39:00", 0 },
	{ "14 May 50 16:39:00 +0000", "1950-05-14 16:39:00", 0 },
	{ "14 May 101 16:39:00 +0000", "2001-05-14 16:39:00", 0 },
	{ "Mon, 30 May 0001 13:10:06 -0800 (PST)", "2001-05-30 21:10:06", -480 },
	{ "Mon, 13 Feb 0101 09:29:38 +0000", "2001-02-13 09:29:38", 0 },
	{ "Mon, 14 May 1979 16:39:00 -0700", "1979-05-14 23:39:00", -420 },
	{ "Sat, 14 May 2044 16:39:00 -0700", "2044-05-14 23:39:00", -420 },
	{ "Tue, 29 Feb 2000 12:00:00 +0000", "2000-02-29 12:00:00", 0 },
	/* zones */
	{ "Mon, 14 May 2001 16:39 PDT", "2001-05-14 23:39:00", -420 },
	{ "Mon, 14 May 2001 16:39:00 PST", "2001-05-15 00:39:00", -480 },
	{ "Mon, 14 May 2001 16:39:00 EST", "2001-05-14 21:39:00", -300 },
	{ "Mon, 14 May 2001 16:39:00 edt", "2001-05-14 20:39:00", -240 },
	{ "Mon, 14 May 2001 16:39:00 CST", "2001-05-14 22:39:00", -360 },
	{ "Mon, 14 May 2001 16:39:00 CDT", "2001-05-14 21:39:00", -300 },
	{ "Mon, 14 May 2001 16:39:00 MST", "2001-05-14 23:39:00", -420 },
	{ "Mon, 14 May 2001 16:39:00 MDT", "2001-05-14 22:39:00", -360 },
	{ "Mon, 14 May 2001 16:39:00 GMT", "2001-05-14 16:39:00", 0 },
	{ "Mon, 14 May 2001 16:39:00 UT", "2001-05-14 16:39:00", 0 },
	{ "Mon, 14 May 2001 16:39:00 UTC", "2001-05-14 16:39:00", 0 },
	{ "Mon, 14 May 2001 16:39:00 Z", "2001-05-14 16:39:00", 0 },
	{ "Mon, 14 May 2001 16:39:00 A", "2001-05-14 16:39:00", 0 },
	{ "Mon, 14 May 2001 16:39:00 XYZ", "2001-05-14 16:39:00", 0 },
	{ "Mon, 14 May 2001 16:39:00 (PST)", "2001-05-15 00:39:00", -480 },
	{ "Mon, 14 May 2001 16:39:00", "2001-05-14 16:39:00", 0 },
	{ "Mon, 14 May 2001 16:39:00 GMT+0200", "2001-05-14 14:39:00", 120 },
	{ "Wed, 20 Sep 1995 00:19:00 (EDT) -0400", "1995-09-20 04:19:00", -240 },
	{ "Fri, 6 Apr 2001 09:23:06 -0800 (GMT-0800)", "2001-04-06 17:23:06", -480 },
	{ "Mon, 21 Aug 95 13:30:57 -600", "1995-08-21 19:30:57", -360 },
	{ "Tue, 12 Oct 2010 16:21:05 H0500", "2010-10-12 16:21:05", 0 },
	/* times */
	{ "Mon, 14 May 2001 16.39.00 -0700", "2001-05-14 23:39:00", -420 },
	{ "Fri, 23 Aug 2002 2:32:53 -0400", "2002-08-23 06:32:53", -240 },
	{ "Tue, 17 Jul 2012 22:23:35.882 0000", "2012-07-17 22:23:35", 0 },
	{ "Wed 29 May 2019 06:09:22 PM EDT", "2019-05-29 22:09:22", -240 },
	{ "Wed 29 May 2019 12:09:22 AM +0000", "2019-05-29 00:09:22", 0 },
	{ "Sat, 31 Dec 2016 23:59:60 +0000", "2017-01-01 00:00:00", 0 },
	{ "14 May 2001", "2001-05-14 00:00:00", 0 },
	/* other shapes */
	{ "Fri, 12 June 2025 23:42:00 +0200", "2025-06-12 21:42:00", 120 },
	{ "Tues, 4 Sept 2001 10:00:00 +0000", "2001-09-04 10:00:00", 0 },
	{ "14-May-2001 16:39:00 -0700", "2001-05-14 23:39:00", -420 },
	{ "14. May 2001 16:39:00 +0200", "2001-05-14 14:39:00", 120 },
	{ "Mon May 14 16:39:00 2001", "2001-05-14 16:39:00", 0 },
	{ "Mon May 14 16:39:00 PDT 2001", "2001-05-14 23:39:00", -420 },
	{ "Mon, 14 May 2001 16:39:00 -0700</field>", "2001-05-14 23:39:00", -420 },
	{ "Mon, 14 May 2001 16:39:00 -0700 -0800", "2001-05-14 23:39:00", -420 },
	{ "2001-05-14T16:39:00Z", "2001-05-14 16:39:00", 0 },
	{ "2001-05-14T16:39:00.123-07:00", "2001-05-14 23:39:00", -420 },
	{ "2001-05-14 16:39:00+02:00", "2001-05-14 14:39:00", 120 },
	{ "2001-05-14 16:39:00 -0700", "2001-05-14 23:39:00", -420 },
	{ "2012-12-08 00:48", "2012-12-08 00:48:00", 0 },
	/* rejected */
	{ "", NULL, 0 },
	{ "   ", NULL, 0 },
	{ "garbage", NULL, 0 },
	{ "Whenever", NULL, 0 },
	{ "Thu,", NULL, 0 },
	{ "1 2 3", NULL, 0 },
	{ "Mon, 14 Foo 2001 16:39:00 -0700", NULL, 0 },
	{ "Mon, 32 May 2001 16:39:00 -0700", NULL, 0 },
	{ "Mon, 0 May 2001 16:39:00 -0700", NULL, 0 },
	{ "Thu, 29 Feb 2001 16:39:00 -0700", NULL, 0 },
	{ "Mon, 31 Apr 2001 16:39:00 -0700", NULL, 0 },
	{ "Mon, 14 May 2001 25:39:00 -0700", NULL, 0 },
	{ "Mon, 14 May 2001 24:00:00 -0700", NULL, 0 },
	{ "Mon, 14 May 2001 16:60:00 -0700", NULL, 0 },
	{ "Mon, 14 May 2001 16:39:61 -0700", NULL, 0 },
	{ "Mon, 14 May 2001 16:39:00 +2500", NULL, 0 },
	{ "Mon, 14 May 2001 16:39:00 +0975", NULL, 0 },
	{ "Wed, 15 Dec 2010    59:10 -0500", NULL, 0 },
	{ "Tue, 7 Apr 2026 10:00:t <rimap-test@example.test>", NULL, 0 },
	{ "Mon, 14 May 2001 16:39:00:00 -0700", NULL, 0 },
	{ "Mon, 14 May 2001 18:09 AM", NULL, 0 },
	{ "Thu Jan 01 00:00:10 +0000", NULL, 0 },
	{ "Pn, 29 paX 2007 21:13:00 +0100", NULL, 0 },
	{ "Mon, 14 May 20011 16:39:00 -0700", NULL, 0 },
	{ "Mon, 14 May 12345678901 16:39:00", NULL, 0 },
	{ "Mon, 14 May May 2001 16:39:00", NULL, 0 },
	{ "2001-13-01T00:00:00Z", NULL, 0 },
	{ "2001-02-30", NULL, 0 },
	{ "05/14/2001 16:39", NULL, 0 },
	{ "14.05.2001 16:39", NULL, 0 },
};

static void fmt_utc(int64_t t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) ||
	    strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(out, n, "(bad time)");
}

static void check_date(int ok, int64_t t, int tz, const char *what,
		       const char *in, const char *want, int want_tz)
{
	char got[64];

	if (!want) {
		is_int(ok, 0, "%s(\"%s\") rejected", what, in);
		is_int(t == 0 && tz == 0, 1, "%s(\"%s\") zeroes", what, in);
		return;
	}
	fmt_utc(t, got, sizeof(got));
	is_int(ok, 1, "%s(\"%s\") parsed", what, in);
	is_str(got, want, "%s(\"%s\") time", what, in);
	is_int(tz, want_tz, "%s(\"%s\") zone", what, in);
}

static void test_date(void)
{
	size_t i;
	int64_t t;
	int tz, ok;

	for (i = 0; i < N_ELEMENTS(date_cases); i++) {
		t = -1;
		tz = -1;
		ok = mail_date_parse(date_cases[i].in, &t, &tz);
		check_date(ok, t, tz, "mail_date_parse", date_cases[i].in,
			   date_cases[i].want, date_cases[i].tz);
	}
	ok = mail_date_parse(NULL, &t, &tz);
	is_int(ok, 0, "mail_date_parse(NULL)");
	ok = mail_date_parse("14 May 2001 16:39:00 +0000", NULL, NULL);
	is_int(ok, 1, "mail_date_parse with NULL outputs");
}

static const struct {
	const char *in, *want;
	int tz;
} received_cases[] = {
	{ "from mail.example.com (mail.example.com [192.0.2.1]) by "
	  "mx.example.org with ESMTP id abc; Mon, 14 May 2001 16:39:00 "
	  "-0700 (PDT)", "2001-05-14 23:39:00", -420 },
	{ "from a by b;\r\n\tMon, 14 May 2001 16:39:00 -0700",
	  "2001-05-14 23:39:00", -420 },
	{ "from a (b; c) by d; id x; 14 May 2001 16:39:00 GMT",
	  "2001-05-14 16:39:00", 0 },
	{ "by mx.example.org;Tue, 29 Feb 2000 12:00:00 +0100",
	  "2000-02-29 11:00:00", 60 },
	{ "from a by b", NULL, 0 },
	{ "from a by b; garbage", NULL, 0 },
	{ "from a by b;", NULL, 0 },
	{ "from a by b; Mon, 14 May 2001 16:39:00 -0700; x", NULL, 0 },
	{ "", NULL, 0 },
};

static void test_received(void)
{
	size_t i;
	int64_t t;
	int tz, ok;

	for (i = 0; i < N_ELEMENTS(received_cases); i++) {
		ok = mail_received_date(received_cases[i].in, &t, &tz);
		check_date(ok, t, tz, "mail_received_date",
			   received_cases[i].in, received_cases[i].want,
			   received_cases[i].tz);
	}
	is_int(mail_received_date(NULL, &t, &tz), 0, "mail_received_date(NULL)");
}

static const struct {
	const char *in;
	int64_t want;
} maildir_cases[] = {
	{ "1700000000.M123P45.host,S=123:2,S", 1700000000 },
	{ "1700000000.12345_1.host", 1700000000 },
	{ "1035478339.27041_118.foo.org,S=1000,W=1030:2,RDF", 1035478339 },
	{ "999999999.x", 999999999 },
	{ "0123456789.host", 123456789 },
	{ "12345678.host", -1 },
	{ "17000000001.host", -1 },
	{ "1700000000", -1 },
	{ "1700000000_1.host", -1 },
	{ "abc.1700000000", -1 },
	{ ".1700000000", -1 },
	{ "", -1 },
};

static void test_maildir(void)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(maildir_cases); i++)
		is_int(maildir_name_time(maildir_cases[i].in),
		       maildir_cases[i].want, "maildir_name_time(\"%s\")",
		       maildir_cases[i].in);
	is_int(maildir_name_time(NULL), -1, "maildir_name_time(NULL)");
}

/* ------------------------------------------------------------------ */

#define S(lit) lit, sizeof(lit) - 1

static const struct {
	const char *what;
	const char *data;
	size_t len;
	int want;
	size_t skip;
} sniff_cases[] = {
	{ "simple", S("From: a@b\nSubject: hi\n\nbody\n"), 1, 0 },
	{ "CRLF", S("From: a@b\r\nSubject: hi\r\n\r\nbody\r\n"), 1, 0 },
	{ "leading blank line", S("\nDate: Mon, 14 May 2001 16:39:00 -0700\n"
				  "From: x@y\n\nbody\n"), 1, 1 },
	{ "two CRLF blank lines", S("\r\n\r\nFrom: a\r\n\r\n"), 1, 4 },
	{ "blank line of spaces", S("   \t \nFrom: a\n\n"), 1, 6 },
	{ "five blank lines", S("\n\n\n\n\nFrom: a\n\n"), 0, 4 },
	{ "UTF-8 BOM", S("\xef\xbb\xbf" "From: a\n\n"), 1, 3 },
	{ "folded lines", S("Subject: a\n long\n\tcontinued\nTo: b\n\nx"), 1, 0 },
	{ "space before colon", S("Subject : hi\n\n"), 1, 0 },
	{ "obsolete From :", S("From : a@b\n\n"), 1, 0 },
	{ "body without blank line", S("Date: Mon, 10 Dec 2001 14:59:55 -0800\n"
				       "From: a@b\nSubject: P&L\n"
				       "Attached is the information.\n"), 1, 0 },
	{ "headers cut at the end", S("From: a\nSubject: this is cu"), 1, 0 },
	{ "one field, no newline", S("From:"), 1, 0 },
	{ "MIME entity", S("Content-Type: text/plain\n\nhello"), 1, 0 },
	{ "raw ISO-2022-JP", S("Subject: \x1b$BF|K\\\x1b(B\nFrom: a\n\n"), 1, 0 },
	{ "1 bad line in 9", S("X-1: a\nX-2: b\nX-3: c\nX-4: d\nX-5: e\nX-6: f\n"
			       "X-7: g\nbad line\nFrom: x\n\n"), 1, 0 },
	{ "2 bad lines in 4", S("X-A: 1\nbad line\nbad line 2\nFrom: a\n\n"), 0, 0 },
	{ "binary after From", S("From: a\n\x01\x02\x03\n"), 1, 0 },
	{ "mbox From line", S("From a@b Mon May 14 16:39:00 2001\nFrom: a\n\n"), 0, 0 },
	{ "mbox after blank", S("\nFrom a@b Mon May 14 16:39:00 2001\n"), 0, 1 },
	{ "CSV", S("filename,category\n1,spam\n2,ham\n"), 0, 0 },
	{ "PDF", S("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"), 0, 0 },
	{ "HTML", S("<html><head><title>x</title></head></html>\n"), 0, 0 },
	{ "zip", S("PK\x03\x04\x14\x00\x00\x00\x08\x00"), 0, 0 },
	{ "NUL in first line", S("From: a\0b\nSubject: x\n\n"), 0, 0 },
	{ "prose", S("Hello world, this is a letter.\nRegards\n"), 0, 0 },
	{ "prose with colon", S("Note: this is prose.\nMore prose here.\n"), 0, 0 },
	{ "no common field", S("User-Agent: goodbot\nDisallow: /\n"), 0, 0 },
	{ "continuation first", S(" Subject: x\nFrom: a\n\n"), 0, 0 },
	{ "JSON", S("{\"From\": \"a\"}\n"), 0, 0 },
	{ "empty name", S(": x\nFrom: a\n\n"), 0, 0 },
	{ "empty", S(""), 0, 0 },
	{ "only blank lines", S("\n\r\n"), 0, 3 },
};

static void test_sniff(void)
{
	size_t i, skip;
	int got;

	for (i = 0; i < N_ELEMENTS(sniff_cases); i++) {
		skip = 99;
		got = mail_sniff(sniff_cases[i].data, sniff_cases[i].len, &skip);
		is_int(got, sniff_cases[i].want, "mail_sniff: %s",
		       sniff_cases[i].what);
		is_int(skip, sniff_cases[i].skip, "mail_sniff: %s (skip)",
		       sniff_cases[i].what);
	}
	is_int(mail_sniff(NULL, 10, &skip), 0, "mail_sniff(NULL)");
	is_int(mail_sniff(S("From: a\n\n"), NULL), 1, "mail_sniff, no skip");
}

/* ------------------------------------------------------------------ */

static const struct {
	const char *in, *want;
} addr_cases[] = {
	{ " <Jeff.Dasovich@ENRON.com.> ", "jeff.dasovich@enron.com" },
	{ "A@B.COM", "a@b.com" },
	{ "<a@b>", "a@b" },
	{ "< a@b >", "a@b" },
	{ "<<a@b>>", "<a@b>" },
	{ "a@b.com...", "a@b.com" },
	{ "\t k..allen@enron.com\r\n", "k..allen@enron.com" },
	{ "\xc3\x9cn\xc3\xaf" "code@Example.COM",
	  "\xc3\x9cn\xc3\xaf" "code@example.com" },
	{ "undisclosed-recipients:;", "undisclosed-recipients:;" },
	{ "<>", "" },
	{ "", "" },
	{ "   ", "" },
	{ ".", "" },
};

static void test_addr(void)
{
	size_t i;
	char *got;

	for (i = 0; i < N_ELEMENTS(addr_cases); i++) {
		got = addr_normalize(addr_cases[i].in);
		is_str(got, addr_cases[i].want, "addr_normalize(\"%s\")",
		       addr_cases[i].in);
		free(got);
	}
	got = addr_normalize(NULL);
	is_str(got, "", "addr_normalize(NULL)");
	free(got);
}

/* ------------------------------------------------------------------ */

#define FFFD "\xef\xbf\xbd"

static const struct {
	const char *what;
	const char *in;
	size_t len;
	int valid;
} valid_cases[] = {
	{ "empty", S(""), 1 },
	{ "ASCII", S("abc"), 1 },
	{ "2-byte", S("caf\xc3\xa9"), 1 },
	{ "4-byte", S("\xf0\x9f\x98\x80"), 1 },
	{ "U+10FFFF", S("\xf4\x8f\xbf\xbf"), 1 },
	{ "overlong 2-byte", S("\xc0\xaf"), 0 },
	{ "overlong 3-byte", S("\xe0\x80\xaf"), 0 },
	{ "overlong 4-byte", S("\xf0\x80\x80\xaf"), 0 },
	{ "surrogate", S("\xed\xa0\x80"), 0 },
	{ "above U+10FFFF", S("\xf4\x90\x80\x80"), 0 },
	{ "truncated", S("caf\xc3"), 0 },
	{ "lone continuation", S("\x80"), 0 },
	{ "0xFF", S("\xff"), 0 },
	{ "NUL", S("a\0b"), 0 },
};

static const struct {
	const char *what;
	const char *in;
	size_t len, max;
	const char *want;
	int cut;
} sanitize_cases[] = {
	{ "ASCII", S("abc"), SIZE_MAX, "abc", 0 },
	{ "valid", S("caf\xc3\xa9"), SIZE_MAX, "caf\xc3\xa9", 0 },
	{ "overlong", S("\xc0\xaf"), SIZE_MAX, FFFD FFFD, 0 },
	{ "surrogate", S("\xed\xa0\x80"), SIZE_MAX, FFFD FFFD FFFD, 0 },
	{ "above U+10FFFF", S("\xf4\x90\x80\x80"), SIZE_MAX,
	  FFFD FFFD FFFD FFFD, 0 },
	{ "truncated 3-byte", S("a\xe2\x82"), SIZE_MAX, "a" FFFD, 0 },
	{ "truncated 4-byte", S("\xf0\x9f\x98z"), SIZE_MAX, FFFD "z", 0 },
	{ "NUL", S("a\0b"), SIZE_MAX, "a" FFFD "b", 0 },
	{ "latin-1 byte", S("caf\xe9!"), SIZE_MAX, "caf" FFFD "!", 0 },
	{ "cut before 2-byte", S("caf\xc3\xa9"), 4, "caf", 1 },
	{ "exact fit", S("caf\xc3\xa9"), 5, "caf\xc3\xa9", 0 },
	{ "cut between euros", S("\xe2\x82\xac\xe2\x82\xac"), 5,
	  "\xe2\x82\xac", 1 },
	{ "cut inside emoji", S("a\xf0\x9f\x98\x80"), 4, "a", 1 },
	{ "cut before U+FFFD", S("\xff"), 2, "", 1 },
	{ "max 0", S("a"), 0, "", 1 },
	{ "empty, max 0", S(""), 0, "", 0 },
};

static void test_utf8(void)
{
	size_t i;
	char *got;
	int cut;

	for (i = 0; i < N_ELEMENTS(valid_cases); i++)
		is_int(utf8_valid(valid_cases[i].in, valid_cases[i].len),
		       valid_cases[i].valid, "utf8_valid: %s",
		       valid_cases[i].what);
	for (i = 0; i < N_ELEMENTS(sanitize_cases); i++) {
		cut = -1;
		got = utf8_sanitize(sanitize_cases[i].in, sanitize_cases[i].len,
				    sanitize_cases[i].max, &cut);
		is_str(got, sanitize_cases[i].want, "utf8_sanitize: %s",
		       sanitize_cases[i].what);
		is_int(cut, sanitize_cases[i].cut, "utf8_sanitize: %s (cut)",
		       sanitize_cases[i].what);
		ok(got && utf8_valid(got, strlen(got)),
		   "utf8_sanitize: %s (valid)", sanitize_cases[i].what);
		free(got);
	}
}

/* ------------------------------------------------------------------ */

static const struct {
	const char *what, *charset;
	const char *in;
	size_t len, max;
	const char *want;
	enum text_origin origin;
	int cut;
} text_cases[] = {
	{ "iso-8859-1", "iso-8859-1", S("caf\xe9"), SIZE_MAX,
	  "caf\xc3\xa9", TEXT_DECLARED, 0 },
	{ "latin1 label, cp1252 quotes", "ISO-8859-1", S("\x93hi\x94"),
	  SIZE_MAX, "\xe2\x80\x9chi\xe2\x80\x9d", TEXT_DECLARED, 0 },
	{ "windows-1252 smart quotes and euro", "windows-1252",
	  S("\x93hi\x94 \x80 \x85"), SIZE_MAX,
	  "\xe2\x80\x9chi\xe2\x80\x9d \xe2\x82\xac \xe2\x80\xa6",
	  TEXT_DECLARED, 0 },
	{ "cp1252 hole 0x81", "cp1252", S("a\x81"), SIZE_MAX, "a\xc2\x81",
	  TEXT_DECLARED, 0 },
	{ "quoted label", " \"Windows-1252\" ", S("\x96"), SIZE_MAX,
	  "\xe2\x80\x93", TEXT_DECLARED, 0 },
	{ "koi8-r", "koi8-r", S("\xf0\xd2\xc9\xd7\xc5\xd4"), SIZE_MAX,
	  "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", TEXT_DECLARED, 0 },
	{ "shift_jis", "shift_jis", S("\x93\xfa\x96\x7b"), SIZE_MAX,
	  "\xe6\x97\xa5\xe6\x9c\xac", TEXT_DECLARED, 0 },
	{ "shift_jis NEC circled 1 (CP932)", "Shift_JIS", S("\x87\x40"),
	  SIZE_MAX, "\xe2\x91\xa0", TEXT_DECLARED, 0 },
	{ "x-sjis", "x-sjis", S("\x93\xfa"), SIZE_MAX, "\xe6\x97\xa5",
	  TEXT_DECLARED, 0 },
	{ "iso-2022-jp", "iso-2022-jp", S("\x1b$BF|K\\\x1b(B"), SIZE_MAX,
	  "\xe6\x97\xa5\xe6\x9c\xac", TEXT_DECLARED, 0 },
	{ "gb2312", "gb2312", S("\xc4\xe3\xba\xc3"), SIZE_MAX,
	  "\xe4\xbd\xa0\xe5\xa5\xbd", TEXT_DECLARED, 0 },
	{ "big5", "big5", S("\xa7\x41\xa6\x6e"), SIZE_MAX,
	  "\xe4\xbd\xa0\xe5\xa5\xbd", TEXT_DECLARED, 0 },
	{ "ks_c_5601-1987", "ks_c_5601-1987", S("\xc7\xd1"), SIZE_MAX,
	  "\xed\x95\x9c", TEXT_DECLARED, 0 },
	{ "unicode-1-1-utf-7", "unicode-1-1-utf-7", S("Hi Mom -+Jjo--!"),
	  SIZE_MAX, "Hi Mom -\xe2\x98\xba-!", TEXT_DECLARED, 0 },
	{ "utf-16 with BOM", "utf-16", S("\xff\xfeh\0i\0"), SIZE_MAX, "hi",
	  TEXT_DECLARED, 0 },
	{ "iso-8859-2 via iconv", "iso-8859-2", S("\xb1"), SIZE_MAX,
	  "\xc4\x85", TEXT_DECLARED, 0 },
	{ "cp-850 label", "cp-850", S("\x82"), SIZE_MAX, "\xc3\xa9",
	  TEXT_DECLARED, 0 },
	{ "shift_jis cut at the end", "shift_jis", S("\x93\xfa\x96"),
	  SIZE_MAX, "\xe6\x97\xa5" FFFD, TEXT_DECLARED, 0 },
	{ "us-ascii, 7-bit", "us-ascii", S("hello"), SIZE_MAX, "hello",
	  TEXT_DECLARED, 0 },
	{ "ansi_x3.4-1968, 7-bit", "ANSI_X3.4-1968", S("hello"), SIZE_MAX,
	  "hello", TEXT_DECLARED, 0 },
	{ "us-ascii label on UTF-8", "us-ascii", S("caf\xc3\xa9"), SIZE_MAX,
	  "caf\xc3\xa9", TEXT_UTF8, 0 },
	{ "us-ascii label on latin-1", "us-ascii", S("caf\xe9"), SIZE_MAX,
	  "caf\xc3\xa9", TEXT_WINDOWS_1252, 0 },
	{ "utf-8", "utf-8", S("caf\xc3\xa9"), SIZE_MAX, "caf\xc3\xa9",
	  TEXT_DECLARED, 0 },
	{ "utf-8 label on latin-1", "UTF-8", S("caf\xe9"), SIZE_MAX,
	  "caf\xc3\xa9", TEXT_WINDOWS_1252, 0 },
	{ "damaged utf-8", "utf-8", S("caf\xc3\xa9 na\xefve \xc3\xa9t\xc3\xa9"),
	  SIZE_MAX, "caf\xc3\xa9 na" FFFD "ve \xc3\xa9t\xc3\xa9",
	  TEXT_REPLACED, 0 },
	{ "bogus charset, latin-1 bytes", "x-bogus-charset", S("caf\xe9"),
	  SIZE_MAX, "caf\xc3\xa9", TEXT_WINDOWS_1252, 0 },
	{ "bogus charset, UTF-8 bytes", "bogus", S("caf\xc3\xa9"), SIZE_MAX,
	  "caf\xc3\xa9", TEXT_UTF8, 0 },
	{ "x-unknown", "x-unknown", S("\x93q\x94"), SIZE_MAX,
	  "\xe2\x80\x9cq\xe2\x80\x9d", TEXT_WINDOWS_1252, 0 },
	{ "8-bit bytes invalid in iso-2022-jp", "iso-2022-jp", S("caf\xe9"),
	  SIZE_MAX, "caf\xc3\xa9", TEXT_WINDOWS_1252, 0 },
	{ "undeclared UTF-8", NULL, S("\xe6\x97\xa5"), SIZE_MAX,
	  "\xe6\x97\xa5", TEXT_UTF8, 0 },
	{ "undeclared latin-1", "", S("na\xefve"), SIZE_MAX, "na\xc3\xafve",
	  TEXT_WINDOWS_1252, 0 },
	{ "NUL byte", "iso-8859-1", S("a\0b"), SIZE_MAX, "a" FFFD "b",
	  TEXT_DECLARED, 0 },
	{ "NUL byte, undeclared", NULL, S("a\0b"), SIZE_MAX, "a" FFFD "b",
	  TEXT_UTF8, 0 },
	{ "cut cp1252", "windows-1252", S("\x93\x93\x93"), 7,
	  "\xe2\x80\x9c\xe2\x80\x9c", TEXT_DECLARED, 1 },
	{ "cut iconv", "koi8-r", S("\xf0\xd2\xc9"), 5, "\xd0\x9f\xd1\x80",
	  TEXT_DECLARED, 1 },
	{ "cut UTF-8", NULL, S("caf\xc3\xa9"), 4, "caf", TEXT_UTF8, 1 },
	{ "empty", "utf-8", S(""), SIZE_MAX, "", TEXT_DECLARED, 0 },
};

static void test_text(void)
{
	enum text_origin origin;
	size_t i;
	char *got;
	int cut;

	for (i = 0; i < N_ELEMENTS(text_cases); i++) {
		origin = (enum text_origin)-1;
		cut = -1;
		got = text_from_8bit(text_cases[i].in, text_cases[i].len,
				     text_cases[i].charset, text_cases[i].max,
				     &cut, &origin);
		is_str(got, text_cases[i].want, "text_from_8bit: %s",
		       text_cases[i].what);
		is_int(origin, text_cases[i].origin,
		       "text_from_8bit: %s (origin)", text_cases[i].what);
		is_int(cut, text_cases[i].cut, "text_from_8bit: %s (cut)",
		       text_cases[i].what);
		free(got);
	}
	got = text_from_8bit(NULL, 5, "utf-8", SIZE_MAX, NULL, NULL);
	is_str(got, "", "text_from_8bit(NULL)");
	free(got);
}

int main(void)
{
	g_mime_init();
	test_subject();
	test_date();
	test_received();
	test_maildir();
	test_sniff();
	test_addr();
	test_utf8();
	test_text();
	g_mime_shutdown();
	return tap_done();
}
