/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * mailutil.c - small pure helpers for the parser workers (see mailutil.h
 * for the rules each one follows).
 *
 * Every parser here walks a span with an explicit end pointer; nothing
 * reads past it, and every output grows in a struct buf whose cap is
 * derived from the input length.
 */
#include <errno.h>
#include <gmime/gmime.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "bounds.h"
#include "mailutil.h"
#include "banned.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int is_wsp(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* ASCII case-insensitive comparison of n bytes. */
static int ascii_ieq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

/* A malloc()ed copy of "" (buf_detach gives one for an empty buffer). */
static char *empty_string(void)
{
	return calloc(1, 1);
}

/* ================================================================== */
/* Subjects */

/* A span of text [p, end). */
struct span {
	const char *p, *end;
};

static const char *const reply_words[] = {
	"re", "fwd", "fw", "aw", "wg", "antw", "tr", "sv", "vs", "vb", "vl",
	"antwort", "doorst", "rv", "rif", "odp", "pd", "enc",
	"回复", "回覆", "答复", "答覆", "转发", "轉寄", "转寄",
};

#define FULLWIDTH_COLON "\xef\xbc\x9a" /* U+FF1A */

/* Length of a colon (ASCII or full-width) at p, or 0. */
static size_t colon_at(const char *p, const char *end)
{
	if (p < end && *p == ':')
		return 1;
	if (end - p >= 3 && memcmp(p, FULLWIDTH_COLON, 3) == 0)
		return 3;
	return 0;
}

/* Skips a counter "[N]", "(N)" or "^N" at p; returns where it ends. */
static const char *skip_counter(const char *p, const char *end)
{
	const char *q;
	char close;

	if (p >= end || (*p != '[' && *p != '(' && *p != '^'))
		return p;
	close = *p == '[' ? ']' : *p == '(' ? ')' : 0;
	q = p + 1;
	while (q < end && is_digit((unsigned char)*q))
		q++;
	if (q == p + 1)
		return p;
	if (!close)
		return q;
	return q < end && *q == close ? q + 1 : p;
}

/* If a reply/forward prefix starts at p, returns the end of its colon;
 * else NULL.  Text is already white-space normalized (single spaces). */
static const char *match_prefix(const char *p, const char *end)
{
	size_t i, n, c;
	const char *q;

	if (end - p >= 2 && (*p == 'R' || *p == 'r') && p[1] == ':')
		return p + 2; /* Italian "R:" and nothing looser */
	for (i = 0; i < ARRAY_LEN(reply_words); i++) {
		n = strlen(reply_words[i]);
		if ((size_t)(end - p) < n || !ascii_ieq(p, reply_words[i], n))
			continue;
		q = p + n;
		while (q < end && *q == ' ')
			q++;
		q = skip_counter(q, end);
		while (q < end && *q == ' ')
			q++;
		c = colon_at(q, end);
		if (c)
			return q + c;
	}
	return NULL;
}

/* If a list tag "[...]" starts at p, returns the end of it; else NULL. */
static const char *match_tag(const char *p, const char *end)
{
	const char *q;

	if (p >= end || *p != '[')
		return NULL;
	for (q = p + 1; q < end; q++) {
		if (*q == '[')
			return NULL;
		if (*q == ']')
			return q + 1;
	}
	return NULL;
}

/* Copies s with white-space runs collapsed to one space, trimmed. */
static char *collapse_space(const char *s, size_t len)
{
	struct buf b;
	size_t i;
	int pending = 0;

	buf_init(&b, len);
	for (i = 0; i < len; i++) {
		if (is_wsp((unsigned char)s[i])) {
			pending = b.len > 0;
			continue;
		}
		if (pending)
			buf_putc(&b, ' ');
		pending = 0;
		buf_putc(&b, s[i]);
	}
	if (b.err) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static void trim_span(struct span *s)
{
	while (s->p < s->end && *s->p == ' ')
		s->p++;
	while (s->end > s->p && s->end[-1] == ' ')
		s->end--;
}

/* Removes trailing "(fwd)" (and spaces) as often as they occur. */
static void strip_trailers(struct span *s)
{
	for (;;) {
		trim_span(s);
		if (s->end - s->p < 5 || !ascii_ieq(s->end - 5, "(fwd)", 5))
			return;
		s->end -= 5;
	}
}

#define MAX_TAGS 8

struct subject_state {
	struct span tags[MAX_TAGS];
	size_t ntags;
};

/* Keeps tag t unless an equal one is kept already.  Returns 0 when the
 * tag list is full and t is new. */
static int keep_tag(struct subject_state *st, const char *p, const char *e)
{
	size_t i, n = (size_t)(e - p);

	for (i = 0; i < st->ntags; i++) {
		const struct span *t = &st->tags[i];

		if ((size_t)(t->end - t->p) == n && ascii_ieq(t->p, p, n))
			return 1;
	}
	if (st->ntags == MAX_TAGS)
		return 0;
	st->tags[st->ntags].p = p;
	st->tags[st->ntags].end = e;
	st->ntags++;
	return 1;
}

/* If s is "[<prefix> ...]" as a whole (the '[' at its start pairs with
 * the ']' at its end), narrows it to the inside text after the prefix
 * and returns 1. */
static int unwrap_forward(struct span *s)
{
	const char *q;
	size_t depth = 0;

	if (s->end - s->p < 3 || *s->p != '[' || s->end[-1] != ']')
		return 0;
	for (q = s->p; q < s->end - 1; q++) {
		if (*q == '[')
			depth++;
		else if (*q == ']' && --depth == 0)
			return 0; /* "[Fwd: a] [b]" */
	}
	q = match_prefix(s->p + 1, s->end - 1);
	if (!q)
		return 0;
	s->p = q;
	s->end--;
	return 1;
}

/* Strips the leader of s (prefixes and tags); returns 1 if anything
 * changed. */
static int strip_leader(struct span *s, struct subject_state *st)
{
	const char *q;
	int changed = 0;

	for (;;) {
		trim_span(s);
		q = match_prefix(s->p, s->end);
		if (q) {
			s->p = q;
			changed = 1;
			continue;
		}
		if (unwrap_forward(s)) {
			changed = 1;
			continue;
		}
		/* "[Fwd: x] y" is text, not a tag */
		q = match_tag(s->p, s->end);
		if (!q || match_prefix(s->p + 1, q) || !keep_tag(st, s->p, q))
			return changed;
		s->p = q;
		changed = 1;
	}
}

static char *subject_join(const struct subject_state *st,
			  const struct span *rest, size_t max)
{
	struct buf b;
	size_t i;

	buf_init(&b, max);
	for (i = 0; i < st->ntags; i++) {
		if (i)
			buf_putc(&b, ' ');
		buf_append(&b, st->tags[i].p,
			   (size_t)(st->tags[i].end - st->tags[i].p));
	}
	if (st->ntags && rest->end > rest->p)
		buf_putc(&b, ' ');
	buf_append(&b, rest->p, (size_t)(rest->end - rest->p));
	if (b.err) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

char *subject_base(const char *subject)
{
	struct subject_state st = { .ntags = 0 };
	struct span s;
	char *norm, *out;
	size_t len;
	int changed;

	if (!subject)
		return empty_string();
	len = strlen(subject);
	norm = collapse_space(subject, len);
	if (!norm)
		return NULL;
	s.p = norm;
	s.end = norm + strlen(norm);
	do {
		strip_trailers(&s);
		changed = strip_leader(&s, &st);
	} while (changed);
	/* Each kept tag may gain one separating space. */
	out = subject_join(&st, &s, len + MAX_TAGS + 1);
	free(norm);
	return out;
}

/* ================================================================== */
/* Dates */

struct zone_name {
	const char *name;
	int minutes;
};

static const struct zone_name zone_names[] = {
	{ "ut", 0 }, { "utc", 0 }, { "gmt", 0 }, { "z", 0 },
	{ "est", -300 }, { "edt", -240 }, { "cst", -360 }, { "cdt", -300 },
	{ "mst", -420 }, { "mdt", -360 }, { "pst", -480 }, { "pdt", -420 },
	{ "bst", 60 }, { "cet", 60 }, { "cest", 120 }, { "met", 60 },
	{ "mest", 120 }, { "eet", 120 }, { "eest", 180 }, { "wet", 0 },
	{ "west", 60 }, { "jst", 540 }, { "kst", 540 }, { "hkt", 480 },
	{ "sgt", 480 }, { "msk", 180 }, { "hst", -600 }, { "akst", -540 },
	{ "akdt", -480 }, { "ast", -240 }, { "adt", -180 }, { "nzst", 720 },
	{ "nzdt", 780 }, { "aest", 600 }, { "aedt", 660 }, { "acst", 570 },
	{ "awst", 480 },
};

static const char *const month_names[] = {
	"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december",
};

static const char *const weekday_names[] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
	"sunday",
};

/* Index of the word [p, p+n) in names: its first three letters match
 * and it is a prefix of the full name ("Sept", "Tues", "June").  -1 if
 * none. */
static int name_index(const char *p, size_t n, const char *const *names,
		      size_t count)
{
	size_t i;

	if (n < 3)
		return -1;
	for (i = 0; i < count; i++)
		if (n <= strlen(names[i]) && ascii_ieq(p, names[i], n))
			return (int)i;
	return -1;
}

/* Offset of zone name [p, p+n), or 0 with *known = 0 if unknown. */
static int zone_offset(const char *p, size_t n, int *known)
{
	size_t i;

	*known = 1;
	for (i = 0; i < ARRAY_LEN(zone_names); i++)
		if (strlen(zone_names[i].name) == n &&
		    ascii_ieq(p, zone_names[i].name, n))
			return zone_names[i].minutes;
	*known = 0;
	return 0;
}

enum { DP_FAIL = 0, DP_OK = 1 };

/* What the token loop has gathered. */
struct date_parts {
	int mon;            /* 0..11, -1 if none yet */
	int nnum;           /* plain numbers seen (day, year) */
	long num[2];
	int numlen[2];      /* digits in each */
	int have_time, hour, min, sec;
	int have_zone;      /* 0 none, 1 named/unknown, 2 numeric */
	int zone;           /* minutes east of UTC */
	int bad;            /* a token made the value invalid */
	int stop;           /* the rest of the value is ignored */
};

static int parts_complete(const struct date_parts *d)
{
	return d->mon >= 0 && d->nnum == 2 && d->have_time;
}

/* Reads up to maxd digits at *pp (none if not a digit); sets *n to the
 * count; returns the value. */
static long read_num(const char **pp, const char *end, int maxd, int *n)
{
	const char *p = *pp;
	long v = 0;

	*n = 0;
	while (p < end && is_digit((unsigned char)*p) && *n < maxd) {
		v = v * 10 + (*p - '0');
		p++;
		(*n)++;
	}
	*pp = p;
	return v;
}

/* Skips a comment "(...)", nested, with backslash quoting. */
static const char *skip_comment(const char *p, const char *end)
{
	int depth = 0;

	while (p < end) {
		if (*p == '\\' && p + 1 < end) {
			p += 2;
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p + 1;
		p++;
	}
	return end;
}

/* A time "h:mm[:ss[.frac]]" or "h.mm[.ss]" at p; returns its end. */
static const char *date_time_token(const char *p, const char *end,
				   struct date_parts *d)
{
	char sep;
	int n;

	if (d->have_time) {
		d->bad = 1;
		return end;
	}
	d->hour = (int)read_num(&p, end, 2, &n);
	sep = *p++;
	d->min = (int)read_num(&p, end, 2, &n);
	if (n == 0) {
		d->bad = 1;
		return end;
	}
	d->sec = 0;
	if (p + 1 < end && *p == sep && is_digit((unsigned char)p[1])) {
		p++;
		d->sec = (int)read_num(&p, end, 2, &n);
		if (sep == ':' && p + 1 < end && *p == '.' &&
		    is_digit((unsigned char)p[1])) {
			p++;
			while (p < end && is_digit((unsigned char)*p))
				p++;
		}
	}
	if (p < end && (*p == ':' || *p == '.' || is_digit((unsigned char)*p)))
		d->bad = 1; /* "10:00:t", "1:2:3:4", "16:39:000" */
	d->have_time = 1;
	return p;
}

/* A numeric zone at p ('+' or '-' then digits). */
static const char *date_zone_token(const char *p, const char *end,
				   struct date_parts *d)
{
	int sign = *p == '-' ? -1 : 1, n, n2, hh, mm = 0;
	long v;

	if (d->have_zone == 2) {
		d->stop = 1;
		return end;
	}
	p++;
	v = read_num(&p, end, 4, &n);
	if (n == 4 || n == 3) {
		hh = (int)(v / 100);
		mm = (int)(v % 100);
	} else {
		hh = (int)v;
		if (p + 1 < end && *p == ':' && is_digit((unsigned char)p[1])) {
			p++;
			mm = (int)read_num(&p, end, 2, &n2);
		}
	}
	if (hh > 23 || mm > 59 || (p < end && is_digit((unsigned char)*p))) {
		d->bad = 1;
		return end;
	}
	d->zone = sign * (hh * 60 + mm);
	d->have_zone = 2;
	return p;
}

/* A word: weekday, month, AM/PM or zone. */
static const char *date_word_token(const char *p, const char *end,
				   struct date_parts *d)
{
	const char *q = p;
	size_t n;
	int m, known, off;

	while (q < end && is_alpha((unsigned char)*q))
		q++;
	n = (size_t)(q - p);
	if (q < end && *q == '.')
		q++; /* "Mon." */
	if (name_index(p, n, weekday_names, ARRAY_LEN(weekday_names)) >= 0 &&
	    !d->have_time)
		return q;
	m = name_index(p, n, month_names, ARRAY_LEN(month_names));
	if (m >= 0 && d->mon < 0) {
		d->mon = m;
		return q;
	}
	if (n == 2 && d->have_time && (ascii_ieq(p, "am", 2) ||
				       ascii_ieq(p, "pm", 2))) {
		int pm = lower((unsigned char)*p) == 'p';

		if (d->hour >= 1 && d->hour <= 12)
			d->hour = d->hour % 12 + (pm ? 12 : 0);
		else if ((d->hour == 0 && pm) || (d->hour > 12 && !pm))
			d->bad = 1; /* "00:10 PM", "18:09 AM" */
		return q;
	}
	if (!d->have_time) {
		/* "2001-05-14T16:39" */
		if (n == 1 && lower((unsigned char)*p) == 't' &&
		    q < end && is_digit((unsigned char)*q) && d->nnum == 2)
			return q;
		d->bad = 1; /* an unknown word before the time */
		return end;
	}
	off = zone_offset(p, n, &known);
	if (d->have_zone == 0 && (known || n <= 5)) {
		/* Unknown names and military letters: -0000. */
		d->zone = known ? off : 0;
		d->have_zone = 1;
		return q;
	}
	if (parts_complete(d))
		d->stop = 1;
	else if (d->have_zone == 0 || !known)
		d->bad = 1;
	return q;
}

/* A plain number (day or year), or a time. */
static const char *date_number_token(const char *p, const char *end,
				     struct date_parts *d)
{
	const char *q = p;
	int n;
	long v;

	while (q < end && is_digit((unsigned char)*q))
		q++;
	n = (int)(q - p);
	if (n <= 2 && q + 1 < end && (*q == ':' || *q == '.') &&
	    is_digit((unsigned char)q[1]))
		return date_time_token(p, end, d);
	if (n > 9) {
		d->bad = 1;
		return end;
	}
	if (d->nnum == 2) {
		/* trailing junk after a full date, e.g. "22:23:35 0000" */
		if (d->have_time)
			d->stop = 1;
		else
			d->bad = 1;
		return end;
	}
	v = read_num(&p, q, 9, &n);
	d->num[d->nnum] = v;
	d->numlen[d->nnum] = n;
	d->nnum++;
	if (q < end && *q == '.')
		q++; /* "14. May" */
	return q;
}

/* An ISO 8601 date "YYYY-MM-DD" at the start of [p, end); returns its
 * end, or p if there is none. */
static const char *date_iso_prefix(const char *p, const char *end,
				   struct date_parts *d)
{
	const char *q = p;
	long y, m, day;
	int n1, n2, n3;

	y = read_num(&q, end, 4, &n1);
	if (n1 != 4 || q >= end || *q != '-')
		return p;
	q++;
	m = read_num(&q, end, 2, &n2);
	if (n2 != 2 || q >= end || *q != '-')
		return p;
	q++;
	day = read_num(&q, end, 2, &n3);
	if (n3 != 2 || (q < end && is_digit((unsigned char)*q)))
		return p;
	if (m < 1 || m > 12) {
		d->bad = 1;
		return end;
	}
	d->mon = (int)m - 1;
	d->num[0] = day;
	d->numlen[0] = 2;
	d->num[1] = y;
	d->numlen[1] = 4;
	d->nnum = 2;
	return q;
}

static int is_leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(long y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
				    30, 31 };

	return m == 1 && is_leap(y) ? 29 : days[m];
}

int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Turns the gathered parts into a time; 0 if they do not make a date. */
static int date_finish(const struct date_parts *d, int64_t *utc)
{
	long day, year;
	int ylen;

	if (d->bad || d->mon < 0 || d->nnum != 2)
		return DP_FAIL;
	if (d->numlen[0] >= 3 || d->num[0] > 31) {
		year = d->num[0];
		ylen = d->numlen[0];
		day = d->num[1];
		if (d->numlen[1] > 2)
			return DP_FAIL;
	} else {
		day = d->num[0];
		year = d->num[1];
		ylen = d->numlen[1];
	}
	/* By value, not digits: Y2K-era mailers wrote "0001" for 2001 and
	 * "0101" or "101" for 2001 (years since 1900). */
	if (ylen > 4)
		return DP_FAIL;
	if (year < 50)
		year += 2000;
	else if (year < 1000)
		year += 1900;
	if (day < 1 || day > days_in_month(year, d->mon))
		return DP_FAIL;
	if (d->hour > 23 || d->min > 59 || d->sec > 60)
		return DP_FAIL;
	*utc = days_from_civil(year, d->mon + 1, (int)day) * 86400 +
	       d->hour * 3600 + d->min * 60 + d->sec - (int64_t)d->zone * 60;
	return DP_OK;
}

/* "16:39:00 (PST)": a zone name alone in a comment counts when no zone
 * came before it.  [p, end) is the comment after its '('. */
static void date_comment_zone(const char *p, const char *end,
			      struct date_parts *d)
{
	int known, off;

	if (!d->have_time || d->have_zone)
		return;
	if (end > p && end[-1] == ')')
		end--;
	while (p < end && is_wsp((unsigned char)*p))
		p++;
	while (end > p && is_wsp((unsigned char)end[-1]))
		end--;
	off = zone_offset(p, (size_t)(end - p), &known);
	if (known) {
		d->zone = off;
		d->have_zone = 1;
	}
}

/* The token loop over [p, end). */
static int date_parse_span(const char *p, const char *end, int64_t *utc,
			   int *tz)
{
	struct date_parts d = { .mon = -1 };
	unsigned char c;

	while (p < end && is_wsp((unsigned char)*p))
		p++;
	p = date_iso_prefix(p, end, &d);
	while (p < end && !d.bad && !d.stop) {
		c = (unsigned char)*p;
		if (is_wsp(c) || c == ',') {
			p++;
		} else if (c == '(') {
			const char *q = skip_comment(p, end);

			date_comment_zone(p + 1, q, &d);
			p = q;
		} else if ((c == '+' || c == '-') && d.have_time &&
			   p + 1 < end && is_digit((unsigned char)p[1])) {
			p = date_zone_token(p, end, &d); /* "GMT+0200" too */
		} else if (parts_complete(&d) && d.have_zone) {
			d.stop = 1;
		} else if (c == '-' || c == '/') {
			p++; /* "14-May-2001" */
		} else if (is_alpha(c)) {
			p = date_word_token(p, end, &d);
		} else if (is_digit(c)) {
			p = date_number_token(p, end, &d);
		} else if (parts_complete(&d)) {
			d.stop = 1;
		} else {
			d.bad = 1;
		}
	}
	*tz = d.zone;
	return date_finish(&d, utc);
}

int mail_date_parse(const char *value, int64_t *utc, int *tz_minutes)
{
	int64_t t = 0;
	int tz = 0, ok = DP_FAIL;

	if (!value)
		goto out;
	ok = date_parse_span(value, value + strlen(value), &t, &tz);
out:
	if (!ok)
		t = tz = 0;
	if (utc)
		*utc = t;
	if (tz_minutes)
		*tz_minutes = tz;
	return ok;
}

int mail_received_date(const char *received_value, int64_t *utc,
		       int *tz_minutes)
{
	const char *semi = received_value ? strrchr(received_value, ';') :
					    NULL;

	return mail_date_parse(semi ? semi + 1 : NULL, utc, tz_minutes);
}

int64_t maildir_name_time(const char *basename)
{
	int64_t t = 0;
	int n = 0;

	if (!basename)
		return -1;
	while (is_digit((unsigned char)basename[n]) && n < 11) {
		t = t * 10 + (basename[n] - '0');
		n++;
	}
	if (n < 9 || n > 10 || basename[n] != '.')
		return -1;
	return t;
}

/* ================================================================== */
/* Mail or not */

static const char *const common_headers[] = {
	"from", "date", "subject", "message-id", "to", "received",
	"return-path", "mime-version", "delivered-to", "content-type",
	"x-mailer", "sender", "reply-to", "in-reply-to", "references", "cc",
};

#define SNIFF_MAX_BLANK 4

/* Length of a UTF-8 BOM and up to SNIFF_MAX_BLANK blank lines at data. */
static size_t sniff_leading(const char *data, size_t len)
{
	size_t i = 0, j;
	int lines;

	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	for (lines = 0; lines < SNIFF_MAX_BLANK; lines++) {
		for (j = i; j < len && (data[j] == ' ' || data[j] == '\t' ||
					data[j] == '\r'); j++)
			;
		if (j >= len || data[j] != '\n')
			break;
		i = j + 1;
	}
	return i;
}

/* A byte that never appears in a header line. */
static int bad_control(unsigned char c)
{
	return (c < 0x20 && c != '\t' && c != '\r' && c != 0x1b) || c == 0x7f;
}

enum line_kind { LINE_BAD, LINE_FIELD, LINE_CONT, LINE_BLANK };

/* Classifies the line [p, end) (without its LF).  For a field, *name and
 * *nlen give the field name. */
static enum line_kind sniff_line(const char *p, const char *end,
				 const char **name, size_t *nlen)
{
	const char *q;

	while (end > p && end[-1] == '\r')
		end--;
	for (q = p; q < end; q++)
		if (bad_control((unsigned char)*q))
			return LINE_BAD;
	if (p == end)
		return LINE_BLANK;
	if (*p == ' ' || *p == '\t')
		return LINE_CONT;
	for (q = p; q < end && *q > 32 && *q < 127 && *q != ':'; q++)
		;
	*name = p;
	*nlen = (size_t)(q - p);
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	if (*nlen == 0 || q >= end || *q != ':')
		return LINE_BAD;
	return LINE_FIELD;
}

static int is_common_header(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(common_headers); i++)
		if (strlen(common_headers[i]) == n &&
		    ascii_ieq(name, common_headers[i], n))
			return 1;
	return 0;
}

/* The last line, cut off by the end of the sniffed bytes: only its bytes
 * are checked. */
static int partial_line_ok(const char *p, const char *end)
{
	for (; p < end; p++)
		if (bad_control((unsigned char)*p))
			return 0;
	return 1;
}

/* Lines of the header block that are not fields or continuations are
 * tolerated up to one in SNIFF_BAD_RATIO. */
#define SNIFF_BAD_RATIO 8
/* Common fields after which a non-field line starts the body. */
#define SNIFF_BODY_AFTER 1

int mail_sniff(const char *data, size_t len, size_t *skip)
{
	const char *p, *end, *nl, *name = NULL;
	size_t lead, nlen = 0, good = 0, bad = 0, common = 0;
	int result = 0;
	enum line_kind k;

	lead = data ? sniff_leading(data, len) : 0;
	if (skip)
		*skip = lead;
	if (!data)
		goto out;
	if (len > TRAWL_MAX_HEADER_SCAN)
		len = TRAWL_MAX_HEADER_SCAN;
	p = data + lead;
	end = data + len;
	if (end - p >= 5 && memcmp(p, "From ", 5) == 0) {
		const char *q = p + 5;

		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q >= end || *q != ':')
			goto out; /* mbox */
	}
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl && good > 0) {
			/* the last line, cut off: only its bytes count */
			if (!partial_line_ok(p, end))
				bad++;
			break;
		}
		k = sniff_line(p, nl ? nl : end, &name, &nlen);
		p = nl ? nl + 1 : end;
		if (k == LINE_BLANK)
			break;
		if (good == 0 && k != LINE_FIELD)
			goto out;
		if (k == LINE_BAD) {
			if (common >= SNIFF_BODY_AFTER)
				break; /* a body without the blank line */
			bad++;
			continue;
		}
		good++;
		if (k == LINE_FIELD && is_common_header(name, nlen))
			common++;
	}
	result = common > 0 && bad * SNIFF_BAD_RATIO <= good + bad;
out:
	return result;
}

/* ================================================================== */
/* Addresses */

char *addr_normalize(const char *addr)
{
	const char *p, *end;
	struct buf b;

	if (!addr)
		return empty_string();
	p = addr;
	end = addr + strlen(addr);
	while (p < end && is_wsp((unsigned char)*p))
		p++;
	while (end > p && is_wsp((unsigned char)end[-1]))
		end--;
	if (p < end && *p == '<')
		p++;
	if (end > p && end[-1] == '>')
		end--;
	while (p < end && is_wsp((unsigned char)*p))
		p++;
	while (end > p && (is_wsp((unsigned char)end[-1]) || end[-1] == '.'))
		end--;
	buf_init(&b, (size_t)(end - p));
	for (; p < end; p++)
		buf_putc(&b, lower((unsigned char)*p));
	if (b.err) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/* ================================================================== */
/* UTF-8 */

size_t utf8_decode(const unsigned char *p, const unsigned char *end,
		   int32_t *cp, size_t *bad)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	*bad = 1;
	*cp = c;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	*cp = c & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if (p + i >= end || p[i] < lo || p[i] > hi) {
			*bad = i;
			return 0;
		}
		*cp = (*cp << 6) | (p[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	return n;
}

static size_t utf8_seq(const unsigned char *p, const unsigned char *end,
		       size_t *bad)
{
	int32_t cp;

	return utf8_decode(p, end, &cp, bad);
}

int utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t n, bad;

	if (!s)
		return len == 0;
	while (p < end) {
		if (*p == 0)
			return 0;
		n = utf8_seq(p, end, &bad);
		if (!n)
			return 0;
		p += n;
	}
	return 1;
}

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

char *utf8_sanitize(const char *s, size_t len, size_t max, int *cut)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	const char *piece;
	size_t n, bad, plen, bound;
	struct buf b;
	int was_cut = 0;

	if (!s)
		p = end = NULL;
	/* At most 3 output bytes per input byte (U+FFFD for one byte). */
	bound = len > (SIZE_MAX - 1) / 3 ? SIZE_MAX - 1 : len * 3;
	buf_init(&b, max < bound ? max : bound);
	while (p < end) {
		/* a run of plain ASCII is copied in one piece */
		const unsigned char *run = p;

		while (p < end && *p && *p < 0x80)
			p++;
		if (p > run) {
			plen = (size_t)(p - run);
			if (plen > b.max - b.len) {
				buf_append(&b, run, b.max - b.len);
				was_cut = 1;
				break;
			}
			buf_append(&b, run, plen);
			continue;
		}
		n = utf8_seq(p, end, &bad);
		if (n && *p) {
			piece = (const char *)p;
			plen = n;
		} else {
			piece = REPLACEMENT;
			plen = 3;
			n = n ? n : bad;
		}
		if (plen > b.max - b.len) {
			was_cut = 1;
			break;
		}
		buf_append(&b, piece, plen);
		p += n;
	}
	if (cut)
		*cut = was_cut;
	if (b.err) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/* Counts well-formed multi-byte sequences and ill-formed subparts. */
static void utf8_stats(const char *s, size_t len, size_t *multi,
		       size_t *bad_parts)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t n, bad;

	*multi = *bad_parts = 0;
	while (p < end) {
		n = utf8_seq(p, end, &bad);
		if (n > 1)
			(*multi)++;
		if (!n)
			(*bad_parts)++;
		p += n ? n : bad;
	}
}

/* ================================================================== */
/* Charsets */

/* What a charset label means to text_from_8bit. */
enum cs_kind {
	CS_NONE,    /* no usable declaration */
	CS_ASCII,   /* 7-bit; 8-bit bytes mean the label is wrong */
	CS_UTF8,
	CS_CP1252,  /* decoded here, never fails */
	CS_ICONV,   /* through iconv under the given name */
};

struct cs_alias {
	const char *label;
	enum cs_kind kind;
	const char *iconv; /* for CS_ICONV */
};

static const struct cs_alias cs_aliases[] = {
	{ "x-unknown", CS_NONE, NULL }, { "unknown", CS_NONE, NULL },
	{ "unknown-8bit", CS_NONE, NULL }, { "x-user-defined", CS_NONE, NULL },
	{ "default", CS_NONE, NULL }, { "none", CS_NONE, NULL },
	{ "8bit", CS_NONE, NULL }, { "binary", CS_NONE, NULL },
	{ "charset", CS_NONE, NULL },
	{ "us-ascii", CS_ASCII, NULL }, { "ascii", CS_ASCII, NULL },
	{ "ansi_x3.4-1968", CS_ASCII, NULL },
	{ "ansi_x3.4-1986", CS_ASCII, NULL }, { "iso646-us", CS_ASCII, NULL },
	{ "iso-ir-6", CS_ASCII, NULL }, { "us", CS_ASCII, NULL },
	{ "cp367", CS_ASCII, NULL }, { "ibm367", CS_ASCII, NULL },
	{ "csascii", CS_ASCII, NULL }, { "iso_646.irv:1991", CS_ASCII, NULL },
	{ "utf-8", CS_UTF8, NULL }, { "utf8", CS_UTF8, NULL },
	{ "unicode-1-1-utf-8", CS_UTF8, NULL },
	{ "x-unicode20utf8", CS_UTF8, NULL },
	{ "iso-8859-1", CS_CP1252, NULL }, { "iso8859-1", CS_CP1252, NULL },
	{ "iso_8859-1", CS_CP1252, NULL },
	{ "iso_8859-1:1987", CS_CP1252, NULL }, { "latin1", CS_CP1252, NULL },
	{ "latin-1", CS_CP1252, NULL }, { "l1", CS_CP1252, NULL },
	{ "8859-1", CS_CP1252, NULL }, { "cp819", CS_CP1252, NULL },
	{ "ibm819", CS_CP1252, NULL }, { "iso-ir-100", CS_CP1252, NULL },
	{ "csisolatin1", CS_CP1252, NULL }, { "windows-1252", CS_CP1252, NULL },
	{ "cp1252", CS_CP1252, NULL }, { "x-cp1252", CS_CP1252, NULL },
	{ "cp-1252", CS_CP1252, NULL }, { "win-1252", CS_CP1252, NULL },
	{ "ansi", CS_CP1252, NULL }, { "x-ansi", CS_CP1252, NULL },
	{ "shift_jis", CS_ICONV, "CP932" }, { "shift-jis", CS_ICONV, "CP932" },
	{ "sjis", CS_ICONV, "CP932" }, { "x-sjis", CS_ICONV, "CP932" },
	{ "ms_kanji", CS_ICONV, "CP932" }, { "csshiftjis", CS_ICONV, "CP932" },
	{ "windows-31j", CS_ICONV, "CP932" }, { "cp932", CS_ICONV, "CP932" },
	{ "x-ms-cp932", CS_ICONV, "CP932" },
	{ "euc-kr", CS_ICONV, "CP949" }, { "ks_c_5601-1987", CS_ICONV, "CP949" },
	{ "ks_c_5601-1989", CS_ICONV, "CP949" }, { "ksc5601", CS_ICONV, "CP949" },
	{ "ksc_5601", CS_ICONV, "CP949" }, { "cseuckr", CS_ICONV, "CP949" },
	{ "windows-949", CS_ICONV, "CP949" }, { "cp949", CS_ICONV, "CP949" },
	{ "gb2312", CS_ICONV, "GB18030" }, { "gbk", CS_ICONV, "GB18030" },
	{ "x-gbk", CS_ICONV, "GB18030" }, { "cp936", CS_ICONV, "GB18030" },
	{ "csgb2312", CS_ICONV, "GB18030" }, { "chinese", CS_ICONV, "GB18030" },
	{ "gb_2312-80", CS_ICONV, "GB18030" }, { "ms936", CS_ICONV, "GB18030" },
	{ "euc-cn", CS_ICONV, "GB18030" }, { "x-euc-cn", CS_ICONV, "GB18030" },
	{ "windows-936", CS_ICONV, "GB18030" },
	{ "big5", CS_ICONV, "BIG5-HKSCS" }, { "x-x-big5", CS_ICONV, "BIG5-HKSCS" },
	{ "cn-big5", CS_ICONV, "BIG5-HKSCS" }, { "csbig5", CS_ICONV, "BIG5-HKSCS" },
	{ "x-big5", CS_ICONV, "BIG5-HKSCS" },
	{ "unicode-1-1-utf-7", CS_ICONV, "UTF-7" },
	{ "x-utf-7", CS_ICONV, "UTF-7" }, { "csunicode11utf7", CS_ICONV, "UTF-7" },
	{ "iso-8859-8-i", CS_ICONV, "ISO-8859-8" },
	{ "iso-8859-8-e", CS_ICONV, "ISO-8859-8" },
	{ "csiso88598i", CS_ICONV, "ISO-8859-8" },
	{ "tis-620", CS_ICONV, "CP874" }, { "iso-8859-11", CS_ICONV, "CP874" },
	{ "windows-874", CS_ICONV, "CP874" }, { "dos-874", CS_ICONV, "CP874" },
	{ "x-mac-roman", CS_ICONV, "MACINTOSH" },
	{ "x-mac", CS_ICONV, "MACINTOSH" }, { "mac", CS_ICONV, "MACINTOSH" },
	{ "iso-8859-9", CS_ICONV, "CP1254" }, { "latin5", CS_ICONV, "CP1254" },
	{ "iso8859-9", CS_ICONV, "CP1254" },
};

#define CS_LABEL_MAX 64

/*
 * Reads a charset label: trims white space and quotes, lower-cases it into
 * name (CS_LABEL_MAX bytes) and looks it up.  Unknown labels are CS_ICONV
 * under their own (lower-cased) name, "cp-NNN" becoming "cpNNN".
 */
static enum cs_kind cs_lookup(const char *label, char *name,
			      const char **iconv_name)
{
	const char *p = label, *end;
	size_t i, n;

	*iconv_name = name;
	if (!label)
		return CS_NONE;
	end = p + strlen(p);
	while (p < end && (is_wsp((unsigned char)*p) || *p == '"' || *p == '\''))
		p++;
	while (end > p && (is_wsp((unsigned char)end[-1]) || end[-1] == '"' ||
			   end[-1] == '\''))
		end--;
	n = (size_t)(end - p);
	if (n == 0 || n >= CS_LABEL_MAX)
		return CS_NONE;
	for (i = 0; i < n; i++)
		name[i] = (char)lower((unsigned char)p[i]);
	name[n] = '\0';
	for (i = 0; i < ARRAY_LEN(cs_aliases); i++) {
		if (strcmp(name, cs_aliases[i].label) == 0) {
			if (cs_aliases[i].iconv)
				*iconv_name = cs_aliases[i].iconv;
			return cs_aliases[i].kind;
		}
	}
	if (n > 3 && memcmp(name, "cp-", 3) == 0)
		memmove(name + 2, name + 3, n - 2);
	return CS_ICONV;
}

/* windows-1252 0x80..0x9f; the five holes map to C1 controls (WHATWG). */
static const uint16_t cp1252_high[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};

static void put_utf8(struct buf *b, unsigned cp)
{
	char u[3];

	if (cp < 0x80) {
		buf_putc(b, (int)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		buf_append(b, u, 2);
	} else {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		buf_append(b, u, 3);
	}
}

/* Decodes windows-1252 into b, stopping once b holds more than limit
 * bytes (the final sanitize pass cuts at a boundary). */
static void cp1252_decode(const char *s, size_t len, size_t limit,
			  struct buf *b)
{
	size_t i;
	unsigned c;

	for (i = 0; i < len && b->len <= limit && !b->err; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x80 && c < 0xa0)
			c = cp1252_high[c - 0x80];
		put_utf8(b, c);
	}
}

#define ICONV_CHUNK ((size_t)64 << 10)

/*
 * Converts s[0..len) from charset name to UTF-8 into b through GMime's
 * iconv wrapper.  Stops once b holds more than limit bytes.  Returns 1 if
 * everything converted (a sequence cut by the end of the input becomes
 * U+FFFD), 0 if the charset is unknown or the input is invalid in it.
 */
static int iconv_decode(const char *s, size_t len, const char *name,
			size_t limit, struct buf *b)
{
	iconv_t cd;
	char *in = (char *)s, *out;
	size_t inleft = len, outleft, room, r;
	int ok = 0;

	cd = g_mime_iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1 && strncmp(name, "x-", 2) == 0)
		cd = g_mime_iconv_open("UTF-8", name + 2);
	if (cd == (iconv_t)-1)
		return 0;
	while (inleft > 0 && b->len <= limit) {
		room = inleft < ICONV_CHUNK / 4 ? inleft * 4 + 16 : ICONV_CHUNK;
		out = buf_reserve(b, room);
		if (!out)
			goto out;
		outleft = room;
		r = iconv(cd, &in, &inleft, &out, &outleft);
		buf_commit(b, room - outleft);
		if (r != (size_t)-1 || errno == E2BIG)
			continue;
		if (errno == EINVAL) { /* cut multi-byte sequence at the end */
			buf_puts(b, REPLACEMENT);
			inleft = 0;
			break;
		}
		goto out; /* EILSEQ */
	}
	out = buf_reserve(b, 16);
	if (out) { /* end a stateful encoding (ISO-2022-JP) */
		outleft = 16;
		iconv(cd, NULL, NULL, &out, &outleft);
		buf_commit(b, 16 - outleft);
	}
	ok = !b->err;
out:
	g_mime_iconv_close(cd);
	return ok;
}

static int all_ascii(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* How the declared charset turned out. */
enum decl_result {
	DECL_UNUSABLE, /* none, unknown, or the bytes are invalid in it */
	DECL_AS_IS,    /* the input itself is the text (ASCII, UTF-8) */
	DECL_DECODED,  /* the text is in the buffer */
};

static enum decl_result decode_declared(const char *s, size_t len,
					const char *charset, size_t limit,
					struct buf *b)
{
	char name[CS_LABEL_MAX];
	const char *iname;
	size_t multi, bad;

	switch (cs_lookup(charset, name, &iname)) {
	case CS_NONE:
		break;
	case CS_ASCII:
		if (all_ascii(s, len))
			return DECL_AS_IS;
		break;
	case CS_UTF8:
		utf8_stats(s, len, &multi, &bad);
		if (bad == 0)
			return DECL_AS_IS;
		break;
	case CS_CP1252:
		cp1252_decode(s, len, limit, b);
		return DECL_DECODED;
	case CS_ICONV:
		if (iconv_decode(s, len, iname, limit, b))
			return DECL_DECODED;
		break;
	}
	return DECL_UNUSABLE;
}

char *text_from_8bit(const char *s, size_t len, const char *charset,
		     size_t max, int *cut, enum text_origin *origin)
{
	enum text_origin how = TEXT_DECLARED;
	const char *text = s;
	size_t multi, bad, limit, text_len = len;
	struct buf b;
	char *out = NULL;

	if (!s) {
		s = text = "";
		len = text_len = 0;
	}
	/* Decoded text is cut to max by the final sanitize pass; decode a
	 * little beyond max so that the pass can tell that it cut.  The
	 * buffer needs room for one more iconv chunk past the limit. */
	limit = max < SIZE_MAX / 2 ? max + 4 : SIZE_MAX / 2;
	buf_init(&b, limit + ICONV_CHUNK + 64);
	switch (decode_declared(s, len, charset, limit, &b)) {
	case DECL_AS_IS:
		goto convert;
	case DECL_DECODED:
		if (b.err)
			goto out;
		text = b.data ? b.data : "";
		text_len = b.len;
		goto convert;
	case DECL_UNUSABLE:
		break;
	}
	buf_reset(&b);
	utf8_stats(s, len, &multi, &bad);
	if (bad == 0 || multi > bad) {
		how = bad == 0 ? TEXT_UTF8 : TEXT_REPLACED;
		goto convert;
	}
	how = TEXT_WINDOWS_1252;
	cp1252_decode(s, len, limit, &b);
	if (b.err)
		goto out;
	text = b.data ? b.data : "";
	text_len = b.len;
convert:
	out = utf8_sanitize(text, text_len, max, cut);
out:
	buf_release(&b);
	if (origin)
		*origin = how;
	return out;
}
