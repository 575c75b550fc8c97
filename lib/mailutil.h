/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * mailutil.h - small pure helpers for the parser workers: base subjects,
 * lenient dates, Maildir name times, the mail-or-not sniffer, address
 * normalization and text conversion to UTF-8.
 *
 * Conventions:
 *  - Strings in and out are NUL-terminated UTF-8 unless a length is given.
 *  - Every function returning char * returns memory from malloc(): the
 *    caller frees it with free().  NULL is returned only when memory ran
 *    out (never for "empty": that is "").
 *  - Nothing here prints, exits or keeps state between calls.
 *  - text_from_8bit() uses GMime's charset tables: call g_mime_init()
 *    once before it.  The other functions do not need GMime.
 */
#ifndef TRAWL_MAILUTIL_H
#define TRAWL_MAILUTIL_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* Subjects */

/*
 * The base subject of a (decoded) Subject value, for grouping replies
 * with the message they answer.  Rules, applied until nothing changes:
 *
 *  1. Runs of ASCII white space (SP, TAB, CR, LF, VT, FF) become one
 *     space; leading and trailing space is removed.
 *  2. Trailing "(fwd)" (any case) is removed, as often as it occurs.
 *  3. Leading reply/forward prefixes are removed, any number of them:
 *     a keyword, an optional counter "[N]", "(N)" or "^N", optional
 *     spaces, then ':' or the full-width colon U+FF1A.  Keywords, any
 *     ASCII case: Re, Fwd, Fw (English); AW, WG, Antw (German); TR
 *     (French); SV, VS, VB, VL (Nordic); Antw, Doorst (Dutch); RV, RE
 *     (Spanish); RIF (Italian); Odp, PD (Polish); Enc (Portuguese); plus
 *     the Chinese 回复, 回覆, 答复, 答覆, 转发, 轉寄, 转寄.  The Italian
 *     "R" counts only as exactly "R:" (no counter, no space).
 *  4. List tags: a "[...]" (no brackets inside) met among the leading
 *     prefixes is kept, each distinct tag (ASCII case-insensitive) once,
 *     in the order first seen, in front of the remaining text.  So
 *     "Re: [dev] Re: foo", "[dev] Re: foo" and "Re: [dev] foo" all give
 *     "[dev] foo", while "[PATCH 1/2] foo" keeps its tag (patches in a
 *     series stay distinct).  At most 8 distinct tags are gathered; the
 *     text from a 9th on is kept as it stands.  A bracket group that
 *     starts with a prefix ("[Fwd: a] b") is text, not a tag.
 *  5. A whole subject "[Fwd: ...]" (any prefix keyword; the brackets
 *     must pair up) is unwrapped.
 *
 * Case is kept (the caller case-folds for comparison if it wants).  Bytes
 * >= 0x80 are copied as they are, so a UTF-8 sequence is never cut.
 * Returns "" for an empty result and for NULL; NULL only on no memory.
 */
char *subject_base(const char *subject);

/* ------------------------------------------------------------------ */
/* Dates */

/*
 * Parses a Date: value (RFC 5322 with its obsolete forms, plus what real
 * mailers write).  On success returns 1 and sets *utc (seconds since the
 * epoch, UTC) and *tz_minutes (the written offset east of UTC; 0 for an
 * unknown zone, "-0000" or none).  On failure returns 0 and sets both to
 * 0.  Either pointer may be NULL.
 *
 * Accepted, in any order that makes sense (tokens are separated by white
 * space, commas or '-'; comments in parentheses are skipped):
 *  - an optional weekday ("Mon", "Tues", "Thursday"), never checked;
 *  - day, month name ("May", "Sept", "June") and year; the day may come
 *    after the month ("May 14 2001") and the year after the time (asctime
 *    "Mon May 14 16:39:00 2001");
 *  - years by value (RFC 5322 4.3, extended to zero-padded years, which
 *    Y2K-era mailers wrote: Enron has "Mon, 30 May 0001"): 0-49 are
 *    2000-2049, 50-999 add 1900 ("95" is 1995, "101" and "0101" are
 *    2001), 1000-9999 as written (far past and future years are kept);
 *  - hh:mm[:ss[.fraction]] or hh.mm[.ss]; seconds may be missing (0) or
 *    60 (leap second); an optional AM/PM after it;  a missing time is
 *    00:00:00;
 *  - zones: +hhmm, -hhmm, +hh:mm, +hmm (e.g. "-600"), +hh; UT, UTC, GMT,
 *    Z; EST EDT CST CDT MST MDT PST PDT and a few other common names
 *    (BST, CET, CEST, MET, MEST, EET, EEST, WET, WEST, JST, KST, HKT, SGT,
 *    MSK, HST, AKST, AKDT, AST, ADT, NZST, NZDT, AEST, AEDT, ACST, AWST);
 *    military single letters and other unknown names count as -0000
 *    (offset 0), as RFC 5322 says.  A numeric zone wins over a name.  A
 *    known name alone in a comment ("16:39:00 (PST)") counts when no zone
 *    came before it.
 *  - ISO 8601: "2001-05-14T16:39:00Z", "2001-05-14 16:39:00+02:00",
 *    "2001-05-14 16:39", with an optional fraction.
 * Anything after a complete date, time and zone is ignored.
 *
 * Rejected: no month name (or ISO date), no year, an unknown word before
 * the time, month/day/hour/minute/second/zone out of range (month 13,
 * 31 April, 29 February 2001, hour 24 or 25, zone +2500), numbers of more
 * than 9 digits, and empty or NULL values.
 *
 * GMime's g_mime_utils_header_decode_date() is deliberately not used.
 * On 38,591 distinct Date and Received dates (Enron and the fixtures) it
 * never read a value this parser rejects, and where the two disagree
 * GMime is wrong: it turns "16.39.00" into midnight, reads "50".."99" as
 * 2050..2099, drops the zone when junk follows it ("-0400</field>"),
 * ignores PM, reads "-600" as +0000, gives military zones RFC 822's
 * wrong-signed offsets, dates "1 2 3" as 2 January 2003 and turns the
 * invalid zone "+2500" into +0000.
 */
int mail_date_parse(const char *value, int64_t *utc, int *tz_minutes);

/*
 * The date of a Received: value: mail_date_parse() of the text after its
 * last ';'.  Returns 0 (and zeros) if there is no ';' or no valid date.
 */
int mail_received_date(const char *received_value, int64_t *utc,
		       int *tz_minutes);

/*
 * The Unix time at the start of a Maildir file name: "1700000000.M1P2.host,
 * S=123:2,S" and the older "1700000000.12345_1.host" give 1700000000.
 * The name must start with 9 or 10 digits followed by '.'; otherwise (or
 * for NULL) returns -1.
 */
int64_t maildir_name_time(const char *basename);

/* ------------------------------------------------------------------ */
/* Mail or not */

/*
 * Does data[0..len) (the start of a file: up to TRAWL_SNIFF_SIZE bytes,
 * or the whole of a smaller file) look like an RFC 5322 message?
 * Returns 1 if so, 0 if not.  *skip (may be NULL) is always set to the
 * number of leading bytes that come before the headers: a UTF-8 byte
 * order mark and up to 4 blank lines (LF or CRLF, possibly holding only
 * spaces and tabs).  The rule, after the skip:
 *
 *  - an mbox "From " line is not for this function: 0 (the caller sees
 *    "From " at data + *skip and treats the file as mbox);
 *  - the first line must be a header field: a name of printable ASCII
 *    (33..126, not ':'), optional spaces or tabs, then ':';
 *  - the header block runs to the first empty line, the end of the bytes
 *    (at most TRAWL_MAX_HEADER_SCAN), or the first line that is not a
 *    field once a common field (below) has been seen: a body that follows
 *    the headers without the empty line, as in Enron's cut-down messages;
 *  - before that, each line must be a field line or a folded continuation
 *    (starting with space or tab); one line in eight may be neither, but
 *    never the first.  A line holding a control byte other than TAB, CR
 *    and ESC (raw ISO-2022-JP headers) is neither.  The last line, when
 *    the bytes end inside it, is only checked for control bytes;
 *  - the block must hold at least one of From, Date, Subject, Message-ID,
 *    To, Received, Return-Path, MIME-Version, Delivered-To, Content-Type,
 *    X-Mailer, Sender, Reply-To, In-Reply-To, References, Cc (any case).
 */
int mail_sniff(const char *data, size_t len, size_t *skip);

/* ------------------------------------------------------------------ */
/* Addresses */

/*
 * An address as stored and compared: white space trimmed, one pair of
 * surrounding angle brackets and trailing dots removed, ASCII letters
 * lower-cased (bytes >= 0x80 untouched), e.g. " <Jeff.Dasovich@ENRON.com.>"
 * gives "jeff.dasovich@enron.com".  Returns "" for an empty or NULL input.
 */
char *addr_normalize(const char *addr);

/* ------------------------------------------------------------------ */
/* Text */

/*
 * 1 if s[0..len) is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF) with no NUL byte, else 0.
 */
int utf8_valid(const char *s, size_t len);
/*
 * The well-formed UTF-8 sequence at p (before end): its length (1..4),
 * with its code point in *cp; or 0 when there is none, with *bad the
 * length of the maximal ill-formed subpart there (>= 1; what becomes one
 * U+FFFD).  A NUL byte is a sequence of length 1.
 */
size_t utf8_decode(const unsigned char *p, const unsigned char *end,
		   int32_t *cp, size_t *bad);

/*
 * A well-formed UTF-8 copy of s[0..len) without NUL bytes: each NUL and
 * each maximal ill-formed subsequence (Unicode 3.9, as the WHATWG decoder
 * does it) becomes U+FFFD.  The result is at most max bytes (plus the
 * terminating NUL), cut at a character boundary; *cut (may be NULL) is
 * set to 1 if it was cut, else 0.  Pass SIZE_MAX for no limit.
 */
char *utf8_sanitize(const char *s, size_t len, size_t max, int *cut);

/* How text_from_8bit() read its input. */
enum text_origin {
	TEXT_DECLARED = 0,       /* converted from the declared charset */
	TEXT_UTF8 = 1,           /* already well-formed UTF-8 */
	TEXT_WINDOWS_1252 = 2,   /* undeclared 8-bit text, read as cp1252 */
	TEXT_REPLACED = 3,       /* mostly UTF-8; bad bytes became U+FFFD */
};

/*
 * Converts s[0..len) to UTF-8, at most max bytes (cut at a character
 * boundary; *cut set as for utf8_sanitize).  The declared charset (NULL
 * or "" for none) is used when it is known and converts without an
 * error; us-ascii counts only if the bytes are 7-bit, and the labels
 * iso-8859-1/latin1 are read as windows-1252, their superset (as the
 * WHATWG encoding standard does).  Labels iconv lacks are mapped:
 * ansi_x3.4-1968 (ASCII), unicode-1-1-utf-7, x-sjis and shift_jis (CP932),
 * ks_c_5601-1987 and euc-kr (CP949), gb2312 and gbk (GB18030), big5
 * (BIG5-HKSCS), iso-8859-8-i, x-mac-roman, cp-NNN; "x-unknown",
 * "unknown-8bit" and the like count as no charset.  Otherwise:
 * well-formed UTF-8 is kept; text with more well-formed multi-byte
 * sequences than bad bytes is taken as damaged UTF-8 (bad bytes become
 * U+FFFD); anything else is read as windows-1252.  NUL bytes always
 * become U+FFFD.  *origin (may be NULL) says which way was taken.
 * Needs g_mime_init().
 */
char *text_from_8bit(const char *s, size_t len, const char *charset,
		     size_t max, int *cut, enum text_origin *origin);

/* The proleptic Gregorian calendar, in UTC days since 1970-01-01 (no
 * time zone involved): y-m-d (m 1..12) to days, days to y-m-d, and the
 * days of month m (0..11) of year y. */
int64_t days_from_civil(int64_t y, int m, int d);
void civil_from_days(int64_t z, int64_t *y, int *m, int *d);
int days_in_month(long y, int m);

#endif
