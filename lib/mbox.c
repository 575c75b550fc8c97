/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * mbox.c - the streaming mbox splitter.  The rules (where a message starts
 * and ends, what its data is) are in mbox.h; this is how they are run.
 *
 * The input flows through a read window (r->win): bytes [win_off,
 * win_off + win.len) of the input, with the cursor at r->pos.  The reader
 * takes the input one line at a time, or, for a line longer than the
 * window, one window-full at a time (a "piece"); only the first piece of a
 * line is looked at (From_ line, escaping, headers), and it always holds
 * the whole line or at least MBOX_WINDOW bytes of it.
 *
 * At each line start the reader decides whether the current message ends
 * there: at the Content-Length end, or at a From_ line.  It never consumes
 * the From_ line that ends a message: the next call starts on it.  Pieces
 * of the message go to r->out, which keeps at most max_msg + 2 bytes (the
 * 2 so that an empty last line can still be dropped from a message of
 * exactly max_msg bytes) while r->out_total counts them all.
 *
 * The one place that looks further ahead than a line is a From_ line
 * inside a body whose Content-Length is not yet proved: the window then
 * grows to reach the Content-Length end and the reader looks there.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "bounds.h"
#include "mbox.h"
#include "banned.h"

enum { CL_NONE, CL_PENDING, CL_TRUSTED };

/* Bytes at the start of a line looked at for From_ and header checks: the
 * first piece of a line always has them (or the whole line). */
#define LOOK (MBOX_FROM_LINE_MAX < MBOX_WINDOW ? MBOX_FROM_LINE_MAX \
					       : MBOX_WINDOW)

/* How a message ended (read_body's result when not negative). */
enum { END_NONE, END_SEPARATOR, END_CONTENT_LENGTH, END_INPUT };

static const char bom[3] = { '\xef', '\xbb', '\xbf' };

/* ------------------------------------------------------------------ */
/* Dates: spans (s, end), never read past end. */

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int to_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Case-insensitive: does s[0..n) start with the lower-case word w? */
static int starts_ci(const char *s, size_t n, const char *w)
{
	size_t i, wn = strlen(w);

	if (n < wn)
		return 0;
	for (i = 0; i < wn; i++)
		if (to_lower(s[i]) != w[i])
			return 0;
	return 1;
}

/* The next word (run of non-blanks) from *s: sets *tok, returns its length
 * (0 at the end) and moves *s past it. */
static size_t next_word(const char **s, const char *end, const char **tok)
{
	const char *p = *s;

	while (p < end && is_space(*p))
		p++;
	*tok = p;
	while (p < end && !is_space(*p))
		p++;
	*s = p;
	return (size_t)(p - *tok);
}

/* Index of the three-letter name t[0..n) in names, or -1. */
static int name_index(const char *t, size_t n, const char *const *names,
		      int count)
{
	int i;

	if (n != 3)
		return -1;
	for (i = 0; i < count; i++)
		if (starts_ci(t, n, names[i]))
			return i;
	return -1;
}

static int is_weekday(const char *t, size_t n)
{
	static const char *const days[] = {
		"sun", "mon", "tue", "wed", "thu", "fri", "sat",
	};

	if (n == 4 && t[3] == ',')
		n = 3;
	return name_index(t, n, days, 7) >= 0;
}

/* 1..12, or 0. */
static int month_number(const char *t, size_t n)
{
	static const char *const months[] = {
		"jan", "feb", "mar", "apr", "may", "jun",
		"jul", "aug", "sep", "oct", "nov", "dec",
	};

	return name_index(t, n, months, 12) + 1;
}

/* t[0..n) is all digits, between minlen and maxlen of them. */
static int parse_digits(const char *t, size_t n, size_t minlen, size_t maxlen,
			int *out)
{
	size_t i;
	int v = 0;

	if (n < minlen || n > maxlen)
		return 0;
	for (i = 0; i < n; i++) {
		if (!is_digit(t[i]))
			return 0;
		v = v * 10 + (t[i] - '0');
	}
	*out = v;
	return 1;
}

static int parse_year(const char *t, size_t n, int *year)
{
	int y;

	if (!parse_digits(t, n, 2, 4, &y))
		return 0;
	if (n == 2)
		y += y < 50 ? 2000 : 1900;
	else if (n == 3)
		y += 1900;
	else if (y < 1900)
		return 0;
	*year = y;
	return 1;
}

/* H:MM or H:MM:SS, H of one or two digits. */
static int parse_clock(const char *t, size_t n, int *secs)
{
	const char *c1 = memchr(t, ':', n), *c2;
	size_t hl, rest;
	int h, m, s = 0;

	if (!c1)
		return 0;
	hl = (size_t)(c1 - t);
	rest = n - hl - 1;
	c2 = memchr(c1 + 1, ':', rest);
	if (!parse_digits(t, hl, 1, 2, &h) || h > 23)
		return 0;
	if (!parse_digits(c1 + 1, c2 ? (size_t)(c2 - c1 - 1) : rest, 2, 2, &m) ||
	    m > 59)
		return 0;
	if (c2 && (!parse_digits(c2 + 1, (size_t)(t + n - c2 - 1), 2, 2, &s) ||
		   s > 60))
		return 0;
	*secs = h * 3600 + m * 60 + s;
	return 1;
}

/* A zone: +HHMM / -HHMM, or (when any_name) any name of up to five letters;
 * otherwise only a known name.  *minutes east of UTC; unknown names are 0. */
static int parse_zone(const char *t, size_t n, int any_name, int *minutes)
{
	static const struct { const char *name; int hours; } names[] = {
		{ "ut", 0 }, { "utc", 0 }, { "gmt", 0 }, { "z", 0 },
		{ "est", -5 }, { "edt", -4 }, { "cst", -6 }, { "cdt", -5 },
		{ "mst", -7 }, { "mdt", -6 }, { "pst", -8 }, { "pdt", -7 },
	};
	size_t i;
	int hh, mm;

	if (n == 5 && (t[0] == '+' || t[0] == '-')) {
		if (!parse_digits(t + 1, 2, 2, 2, &hh) ||
		    !parse_digits(t + 3, 2, 2, 2, &mm) || hh > 23 || mm > 59)
			return 0;
		*minutes = (t[0] == '-' ? -1 : 1) * (hh * 60 + mm);
		return 1;
	}
	if (n == 0 || n > 5)
		return 0;
	for (i = 0; i < n; i++)
		if (!is_alpha(t[i]))
			return 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strlen(names[i].name) == n && starts_ci(t, n, names[i].name)) {
			*minutes = names[i].hours * 60;
			return 1;
		}
	}
	*minutes = 0;
	return any_name;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; d may run past the
 * end of the month). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Month and day in either order; in RFC 5322 order the year follows. */
static int parse_month_day(const char **s, const char *end, int *mon,
			   int *day, int *year)
{
	const char *t;
	size_t n = next_word(s, end, &t);

	if (is_weekday(t, n))
		n = next_word(s, end, &t);
	*mon = month_number(t, n);
	if (*mon) {
		n = next_word(s, end, &t);
		return parse_digits(t, n, 1, 2, day) && *day >= 1 && *day <= 31;
	}
	if (!parse_digits(t, n, 1, 2, day) || *day < 1 || *day > 31)
		return 0;
	n = next_word(s, end, &t);
	*mon = month_number(t, n);
	if (!*mon)
		return 0;
	n = next_word(s, end, &t);
	return parse_year(t, n, year);
}

/* A date starting at s (see mbox_from_line_time).  1 and *out, or 0. */
static int parse_date(const char *s, const char *end, int64_t *out)
{
	const char *t, *after;
	size_t n;
	int mon, day, year = -1, secs, zone = 0, z, i;

	if (!parse_month_day(&s, end, &mon, &day, &year))
		return 0;
	n = next_word(&s, end, &t);
	if (!parse_clock(t, n, &secs))
		return 0;
	for (i = 0; year < 0; i++) {
		n = next_word(&s, end, &t);
		if (parse_year(t, n, &year))
			break;
		if (i == 3 || !parse_zone(t, n, 1, &z))
			return 0;
		if (i == 0)
			zone = z;
	}
	if (i == 0) {
		after = s;
		n = next_word(&after, end, &t);
		if (parse_zone(t, n, 0, &z))
			zone = z;
	}
	*out = days_from_civil(year, mon, day) * 86400 + secs -
	       (int64_t)zone * 60;
	return 1;
}

/* The first date that parses at a word of s[0..end). */
static int scan_date(const char *s, const char *end, int64_t *out)
{
	while (s < end) {
		while (s < end && is_space(*s))
			s++;
		if (s < end && parse_date(s, end, out))
			return 1;
		while (s < end && !is_space(*s))
			s++;
	}
	return 0;
}

int64_t mbox_from_line_time(const char *line, size_t len)
{
	int64_t t = INT64_MIN;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len >= 5 && memcmp(line, "From ", 5) == 0) {
		line += 5;
		len -= 5;
	}
	if (!scan_date(line, line + len, &t))
		t = INT64_MIN;
	return t;
}

/* ------------------------------------------------------------------ */
/* From_ lines: p[0..n) is a line without its line ending. */

static int starts_from(const char *p, size_t n)
{
	return n >= 5 && memcmp(p, "From ", 5) == 0;
}

/* "From ", a sender word (maybe empty), white space, a date. */
static int from_strict(const char *p, size_t n)
{
	const char *s = p + 5, *end = p + n;
	int64_t t;

	while (s < end && !is_space(*s))
		s++;
	return parse_date(s, end, &t);
}

/* "From " and one word (*word, *wn) and nothing else. */
static int from_one_word(const char *p, size_t n, const char **word,
			 size_t *wn)
{
	const char *s = p + 5, *end = p + n, *t2;

	*wn = next_word(&s, end, word);
	return *wn > 0 && next_word(&s, end, &t2) == 0;
}

static int is_separator(const char *p, size_t n, int after_blank)
{
	const char *w;
	size_t wn;
	int64_t t;

	if (!starts_from(p, n))
		return 0;
	if (from_strict(p, n))
		return 1;
	if (!from_one_word(p, n, &w, &wn))
		return after_blank && scan_date(p + 5, p + n, &t);
	return (wn == 1 && w[0] == '-') || (after_blank && memchr(w, '@', wn));
}

/* "Name:" with a name of printable ASCII. */
static int looks_like_header(const char *p, const char *end)
{
	const char *s = p;

	while (s < end && *s > ' ' && *s < 127 && *s != ':')
		s++;
	return s > p && s < end && *s == ':';
}

int mbox_sniff(const char *data, size_t len)
{
	const char *p = data, *end = data + len, *nl, *w;
	size_t n, wn;
	int64_t t;

	if (len >= 3 && memcmp(p, bom, 3) == 0)
		p += 3;
	if (!starts_from(p, (size_t)(end - p)))
		return 0;
	nl = memchr(p, '\n', (size_t)(end - p));
	n = (size_t)((nl ? nl : end) - p);
	if (n && p[n - 1] == '\r')
		n--;
	if (n > MBOX_FROM_LINE_MAX)
		n = MBOX_FROM_LINE_MAX;
	if (scan_date(p + 5, p + n, &t))
		return 1;
	return nl && from_one_word(p, n, &w, &wn) &&
	       looks_like_header(nl + 1, end);
}

/* ------------------------------------------------------------------ */
/* The read window */

static size_t avail(const struct mbox_reader *r)
{
	return r->win.len - r->pos;
}

static uint64_t cur_off(const struct mbox_reader *r)
{
	return r->win_off + r->pos;
}

static const char *cursor(const struct mbox_reader *r)
{
	return r->win.data + r->pos;
}

static void compact(struct mbox_reader *r)
{
	size_t a = avail(r);

	if (r->pos == 0)
		return;
	memmove(r->win.data, r->win.data + r->pos, a);
	r->win_off += r->pos;
	r->pos = 0;
	r->win.len = a;
}

/* Reads until at least need bytes follow the cursor, or the input ends.
 * 0, or -1 with r->err set.  Moves the window data: re-take pointers. */
static int fill(struct mbox_reader *r, size_t need)
{
	while (!r->eof && avail(r) < need) {
		size_t room = (need > MBOX_WINDOW ? need : MBOX_WINDOW);
		char *p;
		ssize_t got;

		compact(r);
		room -= r->win.len;
		p = buf_reserve(&r->win, room);
		if (!p) {
			r->err = r->win.err == TRAWL_ERR_NOMEM ? TRAWL_ERR_NOMEM
							      : TRAWL_ERR_INTERNAL;
			return -1;
		}
		got = r->read(r->ctx, p, room);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 || (size_t)got > room) {
			r->err = TRAWL_ERR_IO;
			return -1;
		}
		if (got == 0)
			r->eof = 1;
		buf_commit(&r->win, (size_t)got);
	}
	return 0;
}

/* Allocates the window, or shrinks it back after a Content-Length check
 * made it grow. */
static int window_ready(struct mbox_reader *r)
{
	struct buf nw;

	if (!r->win.data) {
		if (buf_reserve(&r->win, MBOX_WINDOW))
			return 0;
		r->err = TRAWL_ERR_NOMEM;
		return -1;
	}
	if (r->win.cap <= 4 * MBOX_WINDOW || avail(r) > MBOX_WINDOW)
		return 0;
	buf_init(&nw, r->win.max);
	if (!buf_reserve(&nw, MBOX_WINDOW) ||
	    buf_append(&nw, cursor(r), avail(r)) != TRAWL_OK) {
		buf_release(&nw);
		r->err = TRAWL_ERR_NOMEM;
		return -1;
	}
	r->win_off += r->pos;
	r->pos = 0;
	buf_release(&r->win);
	r->win = nw;
	return 0;
}

/* The next piece of the line at the cursor: *n bytes, up to and including
 * its '\n' (*eol = 1); or, for a line longer than the window, the window's
 * bytes; or at the end of the input the rest.  *n == 0: end of input. */
static int get_piece(struct mbox_reader *r, size_t *n, int *eol)
{
	size_t scanned = 0, a;
	const char *nl;

	for (;;) {
		a = avail(r);
		nl = a > scanned ? memchr(cursor(r) + scanned, '\n', a - scanned)
				 : NULL;
		if (nl) {
			*n = (size_t)(nl - cursor(r)) + 1;
			*eol = 1;
			return 0;
		}
		if (r->eof || a >= MBOX_WINDOW) {
			*n = a;
			*eol = 0;
			return 0;
		}
		scanned = a;
		if (fill(r, a + 1) < 0)
			return -1;
	}
}

/* Length of piece p[0..n) without its line ending. */
static size_t content_len(const char *p, size_t n, int eol)
{
	if (!eol)
		return n;
	n--;
	if (n && p[n - 1] == '\r')
		n--;
	return n;
}

/* ------------------------------------------------------------------ */
/* One message */

static void out_append(struct mbox_reader *r, const char *p, size_t n)
{
	size_t room = r->out.max - r->out.len;

	if (n && room)
		buf_append(&r->out, p, n < room ? n : room);
	r->out_total += n;
}

static void msg_begin(struct mbox_reader *r)
{
	buf_reset(&r->out);
	buf_reset(&r->from);
	r->out_total = 0;
	r->start = cur_off(r);
	r->line_start = 1;
	r->in_headers = 1;
	r->last_blank = 0;
	r->blank_len = 0;
	r->nonblank = 0;
	r->cl_state = CL_NONE;
	r->cl_count = 0;
	r->cl_value = 0;
	r->cl_end = 0;
}

/* Consumes the From_ line at the cursor into r->from (its first
 * MBOX_FROM_LINE_MAX bytes, without the line ending). */
static int read_from_line(struct mbox_reader *r)
{
	uint64_t total = 0;
	size_t n = 0, room, keep;
	int eol = 0, cr = 0;

	if (r->start == 0 && avail(r) >= 3 && memcmp(cursor(r), bom, 3) == 0)
		r->pos += 3;
	while (!eol) {
		if (get_piece(r, &n, &eol) < 0)
			return -1;
		if (n == 0)
			break;
		room = MBOX_FROM_LINE_MAX - r->from.len;
		if (room)
			buf_append(&r->from, cursor(r), n < room ? n : room);
		if (n >= 2 || !eol)
			cr = cursor(r)[n - (eol ? 2 : 1)] == '\r';
		total += n;
		r->pos += n;
	}
	if (r->from.err) {
		r->err = r->from.err;
		return -1;
	}
	keep = r->from.len;
	if (eol && total - 1 - (uint64_t)cr < keep)
		keep = (size_t)(total - 1 - (uint64_t)cr);
	r->from.len = keep;
	if (r->from.data)
		r->from.data[keep] = '\0';
	return 0;
}

/* Is the Content-Length end, rel bytes after the cursor, a place where a
 * message can end: the end of the input, or a line starting "From ",
 * either maybe after one empty line (*sep gets its length)?  1, 0 or -1. */
static int cl_end_ok(struct mbox_reader *r, size_t rel, size_t *sep)
{
	const char *q;
	size_t left, bl;

	if (fill(r, rel + 7) < 0)
		return -1;
	if (avail(r) < rel)
		return 0;
	q = cursor(r) + rel;
	left = avail(r) - rel;
	*sep = 0;
	if (rel > 0 && q[-1] != '\n')
		return 0;
	if (left == 0 || starts_from(q, left))
		return 1;
	if (q[0] == '\n')
		bl = 1;
	else if (left >= 2 && q[0] == '\r' && q[1] == '\n')
		bl = 2;
	else
		return 0;
	*sep = bl;
	return left == bl || starts_from(q + bl, left - bl);
}

/* A From_ line at the cursor inside a body whose Content-Length end lies
 * ahead: look there, if the message fits in max_msg.  1 if it holds. */
static int cl_lookahead(struct mbox_reader *r)
{
	size_t sep;

	if (r->cl_end - r->start > r->max_msg)
		return 0;
	return cl_end_ok(r, (size_t)(r->cl_end - cur_off(r)), &sep);
}

/* A header line (first piece, without line ending): notes Content-Length
 * and the end of the header block. */
static void header_line(struct mbox_reader *r, const char *p, size_t n,
			int blank, uint64_t next_off)
{
	const char *s, *end = p + n, *t, *t2;
	size_t tn;
	int d;
	uint64_t v = 0;

	if (blank) {
		r->in_headers = 0;
		if (r->cl_count > 0) {
			r->cl_state = CL_PENDING;
			r->cl_end = next_off + r->cl_value;
		}
		return;
	}
	if (!starts_ci(p, n, "content-length:"))
		return;
	s = p + 15;
	tn = next_word(&s, end, &t);
	if (tn == 0 || tn > 18 || next_word(&s, end, &t2) != 0)
		return;
	for (; tn; tn--, t++) {
		if (!parse_digits(t, 1, 1, 1, &d))
			return;
		v = v * 10 + (uint64_t)d;
	}
	if (r->cl_count == 0)
		r->cl_value = v;
	r->cl_count = r->cl_count < 0 || r->cl_value != v ? -1 : 1;
}

/* At a line start: does the message end here?  END_NONE, END_SEPARATOR,
 * END_CONTENT_LENGTH or -1.  n and eol describe the piece at the cursor. */
static int line_start(struct mbox_reader *r, size_t n, int eol)
{
	uint64_t off = cur_off(r);
	size_t ln, sep = 0;
	int rc, blank = eol && n <= 2 && content_len(cursor(r), n, eol) == 0;

	if (r->cl_state != CL_NONE && off >= r->cl_end) {
		rc = off == r->cl_end ? cl_end_ok(r, 0, &sep) : 0;
		if (rc < 0)
			return -1;
		if (rc) {
			r->pos += sep;
			return END_CONTENT_LENGTH;
		}
		r->cl_state = CL_NONE;
	}
	ln = content_len(cursor(r), n, eol);
	if (ln > LOOK)
		ln = LOOK;
	if (r->cl_state != CL_TRUSTED &&
	    is_separator(cursor(r), ln, r->last_blank)) {
		rc = r->cl_state == CL_PENDING ? cl_lookahead(r) : 0;
		if (rc < 0)
			return -1;
		if (!rc)
			return END_SEPARATOR;
		r->cl_state = CL_TRUSTED;
	}
	if (r->in_headers)
		header_line(r, cursor(r), ln, blank, off + n);
	r->last_blank = blank;
	r->blank_len = blank ? n : 0;
	return END_NONE;
}

/* Has p[0..n) a byte other than white space? */
static int has_nonspace(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_space(p[i]) && p[i] != '\r' && p[i] != '\n')
			return 1;
	return 0;
}

/* Moves the piece at the cursor into the message, un-escaping ^>+From . */
static void take_piece(struct mbox_reader *r, size_t n, int eol)
{
	const char *p = cursor(r);
	size_t k = 0;

	if (r->line_start) {
		size_t look = n < MBOX_WINDOW ? n : MBOX_WINDOW;

		while (k < look && p[k] == '>')
			k++;
		if (k && starts_from(p + k, look - k)) {
			p++;
			n--;
			r->pos++;
		}
	}
	if (!r->nonblank)
		r->nonblank = has_nonspace(p, n);
	out_append(r, p, n);
	r->pos += n;
	r->line_start = eol;
}

/* Reads the message's lines up to its end: END_* or -1. */
static int read_body(struct mbox_reader *r)
{
	size_t n;
	int eol, how = END_NONE;

	while (how == END_NONE) {
		if (get_piece(r, &n, &eol) < 0)
			return -1;
		if (n == 0) {
			how = END_INPUT;
			if (r->cl_state != CL_NONE && cur_off(r) == r->cl_end)
				how = END_CONTENT_LENGTH;
			break;
		}
		if (r->line_start)
			how = line_start(r, n, eol);
		if (how == END_NONE)
			take_piece(r, n, eol);
	}
	return how;
}

/* Fills *m from the message just read. */
static int msg_finish(struct mbox_reader *r, int how, struct mbox_msg *m)
{
	uint64_t logical = r->out_total;
	size_t keep;

	if (r->out.err) {
		r->err = r->out.err;
		return -(int)r->err;
	}
	if (how != END_CONTENT_LENGTH && r->last_blank)
		logical -= r->blank_len;
	keep = logical < r->out.len ? (size_t)logical : r->out.len;
	if (keep > r->max_msg)
		keep = r->max_msg;
	r->out.len = keep;
	if (r->out.data)
		r->out.data[keep] = '\0';
	m->offset = r->start;
	m->length = cur_off(r) - r->start;
	m->data = r->out.data ? r->out.data : "";
	m->len = keep;
	m->from_line = r->from.data ? r->from.data : "";
	m->from_time = r->from.len ? mbox_from_line_time(r->from.data,
							 r->from.len)
				   : INT64_MIN;
	m->truncated = logical > r->max_msg;
	m->by_content_length = how == END_CONTENT_LENGTH;
	return 1;
}

void mbox_reader_init(struct mbox_reader *r, mbox_read_fn read, void *ctx,
		      size_t max_msg)
{
	memset(r, 0, sizeof(*r));
	r->read = read;
	r->ctx = ctx;
	if (max_msg == 0)
		max_msg = TRAWL_MAX_UNIT_SIZE;
	if (max_msg > SIZE_MAX / 4)
		max_msg = SIZE_MAX / 4;
	r->max_msg = max_msg;
	buf_init(&r->win, max_msg + MBOX_WINDOW + 64);
	buf_init(&r->out, max_msg + 2);
	buf_init(&r->from, MBOX_FROM_LINE_MAX);
}

void mbox_reader_release(struct mbox_reader *r)
{
	buf_release(&r->win);
	buf_release(&r->out);
	buf_release(&r->from);
}

int mbox_reader_next(struct mbox_reader *r, struct mbox_msg *m)
{
	int rc = 0, how, had_from;

	memset(m, 0, sizeof(*m));
	m->data = m->from_line = "";
	m->from_time = INT64_MIN;
	if (r->err || r->done || window_ready(r) < 0)
		goto out;
	for (;;) {
		if (fill(r, 8) < 0)
			goto out;
		if (avail(r) == 0) {
			r->done = 1;
			goto out;
		}
		msg_begin(r);
		if (!r->started) {
			r->started = 1;
			r->at_from = starts_from(cursor(r), avail(r)) ||
				     (avail(r) >= 8 &&
				      memcmp(cursor(r), bom, 3) == 0 &&
				      starts_from(cursor(r) + 3, avail(r) - 3));
		}
		had_from = r->at_from;
		if (had_from && read_from_line(r) < 0)
			goto out;
		how = read_body(r);
		if (how < 0)
			goto out;
		r->at_from = how != END_INPUT;
		r->done = how == END_INPUT;
		if (had_from || r->nonblank) {
			rc = msg_finish(r, how, m);
			goto out;
		}
	}
out:
	if (r->err)
		rc = -(int)r->err;
	return rc;
}
