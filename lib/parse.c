/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * parse.c - one unit to result records, with GMime.
 *
 * A unit is either mail (an RFC 5322 message, possibly with a leading blank
 * line) or a document (anything else).  A message yields its own item, then
 * one item per non-body MIME part (kind attachment) and per embedded
 * message/rfc822 (kind email, parsed the same way), depth-first.  Body
 * parts -- text/plain and text/html leaves that are not attachments, and
 * the text alternatives of a multipart/alternative -- are the message's
 * text, not items.  Nothing here may abort on bad input: what cannot be
 * decoded is reported as a warning and the original bytes are kept.
 *
 * GMime reads each message from a copy of its bytes in which mimefix.c
 * has repaired the MIME framing GMime would misread (a missing ';', a
 * delimiter line GMime does not take for one); the copy is parsed again
 * only when a first parse shows it needs repairs.  The copy also keeps a
 * message/rfc822 part a leaf to GMime (restore_leaves gives it its type
 * back): its bytes, as they stand in the parent, are the embedded
 * message's item, parsed on their own; content that does not start with a
 * header field is kept as an attachment instead.
 */
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <gmime/gmime.h>
#include <limits.h>
#include <magic.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "addrlist.h"
#include "blob.h"
#include "html.h"
#include "bounds.h"
#include "mailutil.h"
#include "mimefix.h"
#include "wire.h"
#include "banned.h"

struct job {
	int hint;
	int64_t from_time, maildir_time, mtime;
	struct span name;
	const char *data;
	size_t len;
};

/* The body-text buffer a worker keeps between units, at most */
#define PARSER_KEEP_BODIES ((size_t)16 << 20)

struct parser {
	magic_t magic;
	GMimeParserOptions *opts;
	struct buf tmp;       /* compression scratch */
	struct buf text;      /* body text being built */
	struct buf bodies;    /* this unit's stored body texts, end to end */
	struct body_at { size_t item, off, len; } *body_at;
	size_t nbody, cbody;
	struct buf *out;
	int nitems;           /* items emitted for this unit */
	int nwarn;            /* warnings on the current item */
	int gmime_warns;      /* GMime warnings seen while parsing */
	size_t skip;          /* leading blank bytes before the root's headers */
	size_t overrun;       /* where the root's body starts with no blank line */
	struct buf gmime_warn_detail;
};

/* What GMime parsed one message from: the bytes as found, and the copy
 * with the repairs that GMime read (mimefix.h). */
struct msg_src {
	const char *orig;     /* as found; not owned */
	size_t len;
	struct mimefix fix;
	GMimeStream *stream;  /* the copy; outlives the messages parsed */
};

/* ---- output helpers ---- */

static int begin_item(struct parser *p, int kind, int parent)
{
	uint8_t d[5];

	d[0] = (uint8_t)kind;
	wire_set_u32(d + 1, (uint32_t)(int32_t)parent);
	wire_put(p->out, W_ITEM, d, sizeof(d));
	p->nwarn = 0;
	return p->nitems++;
}

static void warn(struct parser *p, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void warn(struct parser *p, const char *code, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	struct buf w;
	uint8_t n[4];

	if (p->nwarn >= TRAWL_MAX_WARNINGS)
		return;
	p->nwarn++;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	buf_init(&w, 4096);
	wire_set_u32(n, (uint32_t)strlen(code));
	buf_append(&w, n, 4);
	buf_puts(&w, code);
	buf_puts(&w, detail);
	if (!w.err)
		wire_put(p->out, W_WARN, w.data, w.len);
	buf_release(&w);
}

/* Puts a text field, made valid UTF-8 and cut to the header limit. */
static void put_text(struct parser *p, int tag, const char *s,
		     const char *what)
{
	int cut = 0;
	char *clean;

	if (!s)
		return;
	clean = utf8_sanitize(s, strlen(s), TRAWL_MAX_HEADER_VALUE, &cut);
	if (!clean)
		return;
	if (cut)
		warn(p, "header-cut", "%s longer than %zu bytes was cut", what,
		     (size_t)TRAWL_MAX_HEADER_VALUE);
	wire_put_str(p->out, tag, clean);
	free(clean);
}

/* tail: the original's last bytes that are its body text, stored by
 * reference (put_body), 0 if none */
static void put_blob(struct parser *p, const void *data, size_t len,
		     int with_md5, size_t tail)
{
	uint8_t sha[32], md5[16];

	blob_sha256(data, len, sha);
	wire_put(p->out, W_SHA256, sha, 32);
	wire_put_u64(p->out, W_SIZE, len);
	if (with_md5) {
		blob_md5(data, len, md5);
		wire_put(p->out, W_MD5, md5, 16);
	}
	buf_reset(&p->tmp);
	if (blob_compress_split(data, len, tail, &p->tmp) == TRAWL_OK)
		wire_put(p->out, W_BLOBZ, p->tmp.data, p->tmp.len);
}

static void put_sniffed(struct parser *p, const void *data, size_t len)
{
	const char *t = magic_buffer(p->magic, data, len);

	wire_put_str(p->out, W_SNIFF, t ? t : "application/octet-stream");
}

static void put_date(struct parser *p, int64_t t, int tz, int src)
{
	uint8_t d[13];

	wire_set_u64(d, (uint64_t)t);
	wire_set_u32(d + 8, (uint32_t)tz);
	d[12] = (uint8_t)src;
	wire_put(p->out, W_DATE, d, sizeof(d));
}

/* ---- GMime warnings ---- */

static const char *gmime_warning_name(GMimeParserWarning w)
{
	switch (w) {
	case GMIME_WARN_DUPLICATED_HEADER: return "duplicated header";
	case GMIME_WARN_DUPLICATED_PARAMETER: return "duplicated parameter";
	case GMIME_WARN_UNENCODED_8BIT_HEADER: return "unencoded 8-bit header";
	case GMIME_WARN_INVALID_CONTENT_TYPE: return "invalid content type";
	case GMIME_WARN_INVALID_RFC2047_HEADER_VALUE:
		return "invalid RFC 2047 encoded word";
	case GMIME_WARN_MALFORMED_MULTIPART: return "malformed multipart";
	case GMIME_WARN_TRUNCATED_MESSAGE: return "truncated message";
	case GMIME_WARN_MALFORMED_MESSAGE: return "malformed message";
	case GMIME_WARN_INVALID_ADDRESS_LIST: return "invalid address list";
	case GMIME_CRIT_INVALID_HEADER_NAME: return "invalid header name";
	case GMIME_CRIT_CONFLICTING_HEADER: return "conflicting header";
	case GMIME_CRIT_CONFLICTING_PARAMETER: return "conflicting parameter";
	case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
		return "multipart without boundary";
	case GMIME_CRIT_NESTING_OVERFLOW: return "MIME nesting too deep";
	case GMIME_WARN_PART_WITHOUT_CONTENT: return "part without content";
	case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
		return "part without headers or content";
	default: return "parser warning";
	}
}

static void on_gmime_warning(gint64 offset, GMimeParserWarning code,
			     const gchar *item, gpointer ctx)
{
	struct parser *p = ctx;

	/* Duplicated headers are everyday mail, and rejected address lists
	 * are taken again by the lenient splitter (warning
	 * "address-fallback"). */
	if (code == GMIME_WARN_DUPLICATED_HEADER ||
	    code == GMIME_WARN_DUPLICATED_PARAMETER ||
	    code == GMIME_WARN_INVALID_ADDRESS_LIST)
		return;
	if (p->gmime_warns++ < 8) {
		if (p->gmime_warn_detail.len)
			buf_puts(&p->gmime_warn_detail, "; ");
		buf_printf(&p->gmime_warn_detail, "%s at byte %lld%s%.80s",
			   gmime_warning_name(code), (long long)offset,
			   item ? ": " : "", item ? item : "");
	}
}

/* ---- dates ---- */

static const char *header(GMimeObject *o, const char *name)
{
	return g_mime_object_get_header(o, name);
}

/* The newest Received: header is the first one. */
static int received_date(GMimeObject *o, int64_t *t, int *tz)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(o);
	int n = hl ? g_mime_header_list_get_count(hl) : 0;

	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *v;

		if (g_ascii_strcasecmp(g_mime_header_get_name(h), "Received"))
			continue;
		v = g_mime_header_get_value(h);
		return v && mail_received_date(v, t, tz);
	}
	return 0;
}

/* The first Date: field that parses (a broken first one is sometimes
 * followed by a good one). */
static int header_date(GMimeObject *o, int64_t *t, int *tz)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(o);
	int n = hl ? g_mime_header_list_get_count(hl) : 0;

	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *v = g_mime_header_get_value(h);

		if (!g_ascii_strcasecmp(g_mime_header_get_name(h), "Date") &&
		    v && mail_date_parse(v, t, tz))
			return 1;
	}
	return 0;
}

static void put_message_date(struct parser *p, GMimeObject *o,
			     const struct job *j)
{
	const char *v = header(o, "Date");
	int64_t t;
	int tz = 0;

	if (v && header_date(o, &t, &tz)) {
		put_date(p, t, tz, TRAWL_DATE_HEADER);
		return;
	}
	if (v)
		warn(p, "bad-date", "Date header does not parse: %.200s", v);
	else
		warn(p, "no-date", "no Date header");
	if (received_date(o, &t, &tz))
		put_date(p, t, tz, TRAWL_DATE_RECEIVED);
	else if (j && j->from_time != INT64_MIN)
		put_date(p, j->from_time, 0, TRAWL_DATE_FROM_LINE);
	else if (j && j->maildir_time != INT64_MIN)
		put_date(p, j->maildir_time, 0, TRAWL_DATE_MAILDIR);
	else if (j && j->mtime != INT64_MIN)
		put_date(p, j->mtime, 0, TRAWL_DATE_MTIME);
	else
		put_date(p, 0, 0, TRAWL_DATE_NONE);
}

/* ---- addresses ---- */

static void put_addr(struct parser *p, int role, const char *name,
		     const char *addr)
{
	struct buf d;
	uint8_t n[4];
	char *norm = addr_normalize(addr ? addr : "");
	int cut = 0;
	char *cname = utf8_sanitize(name ? name : "", name ? strlen(name) : 0,
				    1024, &cut);
	char *caddr = norm ? utf8_sanitize(norm, strlen(norm), 1024, &cut)
			   : NULL;

	buf_init(&d, 4096);
	if (cname && caddr) {
		buf_putc(&d, role);
		wire_set_u32(n, (uint32_t)strlen(cname));
		buf_append(&d, n, 4);
		buf_puts(&d, cname);
		buf_puts(&d, caddr);
		if (!d.err)
			wire_put(p->out, W_ADDR, d.data, d.len);
	}
	buf_release(&d);
	free(norm);
	free(cname);
	free(caddr);
}

static int put_list(struct parser *p, int role, InternetAddressList *l,
		    int kept, int depth)
{
	int n = l ? internet_address_list_length(l) : 0;

	for (int i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(l, i);

		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			if (depth < 2)
				kept = put_list(p, role,
					internet_address_group_get_members(
						INTERNET_ADDRESS_GROUP(ia)),
					kept, depth + 1);
			continue;
		}
		if (kept >= TRAWL_MAX_ADDRS_PER_FIELD) {
			kept++;
			continue;
		}
		put_addr(p, role, internet_address_get_name(ia),
			 internet_address_mailbox_get_addr(
				 INTERNET_ADDRESS_MAILBOX(ia)));
		kept++;
	}
	return kept;
}

static int count_mailboxes(InternetAddressList *l, int depth)
{
	int n = l ? internet_address_list_length(l) : 0, total = 0;

	for (int i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(l, i);

		if (INTERNET_ADDRESS_IS_GROUP(ia))
			total += depth < 2 ? count_mailboxes(
				internet_address_group_get_members(
					INTERNET_ADDRESS_GROUP(ia)), depth + 1)
					   : 0;
		else
			total++;
	}
	return total;
}

/*
 * GMime drops addresses RFC 5322 forbids but mail is full of; when it
 * kept fewer (gmime) than a lenient split of raw finds, the lenient
 * split's addresses are put.  Returns how many there are in all, or -1
 * (nothing put) when the split finds no more than GMime.  Most headers
 * have no more pieces than GMime's mailboxes (addrlist_pieces, which
 * copies nothing): they are not split.
 */
static int put_lenient(struct parser *p, int role, const char *raw,
		       int gmime)
{
	struct addr_piece stack[64], *all = stack;
	size_t n = addrlist_pieces(raw), total, kept;

	if (n <= (size_t)gmime)
		return -1;
	if (n > TRAWL_MAX_ADDRS_PER_FIELD)
		n = TRAWL_MAX_ADDRS_PER_FIELD;
	if (n > ARRAY_SIZE(stack) && !(all = calloc(n, sizeof(*all))))
		return -1;
	total = addrlist_split(raw, all, n);
	kept = total < n ? total : n;
	if (total > (size_t)gmime)
		for (size_t i = 0; i < kept; i++) {
			char *name = g_mime_utils_header_decode_phrase(
				p->opts, all[i].name);

			put_addr(p, role, name, all[i].addr);
			g_free(name);
		}
	addrlist_free(all, kept);
	if (all != stack)
		free(all);
	return total > (size_t)gmime ? (int)total : -1;
}

/* Raw 8-bit bytes inside a Q encoded word ("=?iso-8859-1?Q?M\xFCller?=",
 * invalid but common): GMime turns the raw bytes into UTF-8 before it
 * decodes the word in its declared charset, doubling them ("MÃ¼ller").
 * Escaping them as =XX first lets the word decode as its charset says.
 * Returns a fixed copy (g_free) or NULL when there is nothing to fix. */
static char *fix_qwords(const char *raw)
{
	GString *out;
	const char *p = raw;
	int fixed = 0;

	if (!raw || !strstr(raw, "=?"))
		return NULL; /* no encoded word: nothing to fix */
	out = g_string_sized_new(strlen(raw) + 16);
	while (*p) {
		const char *q, *end;

		if (p[0] != '=' || p[1] != '?' ||
		    !(q = strchr(p + 2, '?')) ||
		    (q[1] != 'Q' && q[1] != 'q') || q[2] != '?' ||
		    !(end = strstr(q + 3, "?="))) {
			g_string_append_c(out, *p++);
			continue;
		}
		g_string_append_len(out, p, q + 3 - p);
		for (const char *c = q + 3; c < end; c++) {
			if ((unsigned char)*c >= 0x80) {
				g_string_append_printf(out, "=%02X",
						       (unsigned char)*c);
				fixed = 1;
			} else {
				g_string_append_c(out, *c);
			}
		}
		g_string_append(out, "?=");
		p = end + 2;
	}
	return g_string_free(out, !fixed);
}

/* The raw bytes of the first field called name, or NULL. */
static const char *raw_header(GMimeObject *o, const char *name)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(o);
	int n = hl ? g_mime_header_list_get_count(hl) : 0;

	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);

		if (!g_ascii_strcasecmp(g_mime_header_get_name(h), name))
			return g_mime_header_get_raw_value(h);
	}
	return NULL;
}

static void put_addresses(struct parser *p, GMimeMessage *m)
{
	static const struct {
		int role;
		GMimeAddressType type;
		const char *header;
	} roles[] = {
		{ TRAWL_ROLE_FROM, GMIME_ADDRESS_TYPE_FROM, "From" },
		{ TRAWL_ROLE_SENDER, GMIME_ADDRESS_TYPE_SENDER, "Sender" },
		{ TRAWL_ROLE_REPLY_TO, GMIME_ADDRESS_TYPE_REPLY_TO, "Reply-To" },
		{ TRAWL_ROLE_TO, GMIME_ADDRESS_TYPE_TO, "To" },
		{ TRAWL_ROLE_CC, GMIME_ADDRESS_TYPE_CC, "Cc" },
		{ TRAWL_ROLE_BCC, GMIME_ADDRESS_TYPE_BCC, "Bcc" },
	};

	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		InternetAddressList *l = g_mime_message_get_addresses(
			m, roles[i].type), *own = NULL;
		const char *raw = header(GMIME_OBJECT(m), roles[i].header);
		char *fixed = fix_qwords(raw_header(GMIME_OBJECT(m),
						    roles[i].header));
		int n = -1;

		if (fixed && (own = internet_address_list_parse(p->opts,
								 fixed)))
			l = own;
		g_free(fixed);
		if (raw)
			n = put_lenient(p, roles[i].role, raw,
					count_mailboxes(l, 0));
		if (n >= 0)
			warn(p, "address-fallback", "%s: kept addresses the "
			     "MIME parser rejected: %.200s",
			     trawl_role_str(roles[i].role), raw);
		else
			n = put_list(p, roles[i].role, l, 0, 0);
		if (n > TRAWL_MAX_ADDRS_PER_FIELD)
			warn(p, "too-many-addresses",
			     "%s: kept %d of %d addresses",
			     trawl_role_str(roles[i].role),
			     TRAWL_MAX_ADDRS_PER_FIELD, n);
		if (own)
			g_object_unref(own);
	}
}

/* ---- references ---- */

/* "ref" with its NUL, then the id without one (a NULL id adds nothing) */
static void hash_ref(struct sha256_ctx *ch, const char *id)
{
	sha256_update(ch, 4, (const uint8_t *)"ref");
	if (id)
		sha256_update(ch, strlen(id), (const uint8_t *)id);
}

static void put_refs(struct parser *p, GMimeObject *o, struct sha256_ctx *ch)
{
	const char *irt = header(o, "In-Reply-To");
	const char *refs = header(o, "References");
	GMimeReferences *r;
	struct buf all;

	if (irt && (r = g_mime_references_parse(p->opts, irt))) {
		if (g_mime_references_length(r) > 0)
			put_text(p, W_IRT, g_mime_references_get_message_id(r, 0),
				 "In-Reply-To");
		for (int i = 0; i < g_mime_references_length(r); i++)
			hash_ref(ch, g_mime_references_get_message_id(r, i));
		g_mime_references_free(r);
	}
	if (!refs || !(r = g_mime_references_parse(p->opts, refs)))
		return;
	buf_init(&all, TRAWL_MAX_HEADER_VALUE);
	for (int i = 0; i < g_mime_references_length(r); i++) {
		const char *id = g_mime_references_get_message_id(r, i);

		if (all.len)
			buf_putc(&all, ' ');
		buf_puts(&all, id);
		hash_ref(ch, id);
	}
	if (all.err)
		warn(p, "header-cut", "References longer than %zu bytes was cut",
		     (size_t)TRAWL_MAX_HEADER_VALUE);
	if (all.len)
		put_text(p, W_REFS, all.data, "References");
	buf_release(&all);
	g_mime_references_free(r);
}

/* ---- content hash (as public-inbox does: what a copy keeps) ---- */

static void hash_str(struct sha256_ctx *ch, const char *tag, const char *v)
{
	size_t n = v ? strlen(v) : 0, k = 0;
	char *norm;
	int sp = 0;

	sha256_update(ch, strlen(tag) + 1, (const uint8_t *)tag);
	if (!v)
		return;
	/* whitespace runs count as one space */
	norm = g_malloc(n + 1);
	for (; *v; v++) {
		if (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n') {
			sp = 1;
			continue;
		}
		if (sp)
			norm[k++] = ' ';
		sp = 0;
		norm[k++] = *v;
	}
	norm[k++] = '\0';
	sha256_update(ch, k, (const uint8_t *)norm);
	g_free(norm);
}

static void hash_addrs(struct sha256_ctx *ch, const char *tag,
		       InternetAddressList *l)
{
	int n = l ? internet_address_list_length(l) : 0;

	for (int i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(l, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			char *a = addr_normalize(internet_address_mailbox_get_addr(
				INTERNET_ADDRESS_MAILBOX(ia)));

			hash_str(ch, tag, a);
			free(a);
		}
	}
}

/* Text of a part for the content hash: CRLF as LF, trailing space cut. */
static void hash_text(struct sha256_ctx *ch, const char *s, size_t len)
{
	size_t start = 0;

	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
		       s[len - 1] == '\r' || s[len - 1] == '\n'))
		len--;
	sha256_update(ch, 5, (const uint8_t *)"part");
	/* runs between the CRs of CRLF pairs go in whole */
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n') {
			sha256_update(ch, i - start,
				      (const uint8_t *)s + start);
			start = i + 1;
		}
	}
	sha256_update(ch, len - start, (const uint8_t *)s + start);
}

/* ---- sources: what GMime reads ---- */

static void src_open(struct msg_src *s, const char *orig, size_t len)
{
	s->orig = orig;
	s->len = len;
	s->stream = NULL;
	mimefix_init(&s->fix, orig, len);
}

/* After every message parsed from s is gone: their parts read its copy. */
static void src_close(struct msg_src *s)
{
	if (s->stream)
		g_object_unref(s->stream);
	mimefix_release(&s->fix);
}

/* The copy the current plan makes: the original when it has no edits. */
static GMimeStream *src_stream(const struct msg_src *s)
{
	size_t n;
	GByteArray *ba;

	if (!s->fix.nedits)
		return g_mime_stream_mem_new_with_buffer(s->orig, s->len);
	n = mimefix_copy_len(&s->fix);
	ba = g_byte_array_sized_new((guint)n);
	g_byte_array_set_size(ba, (guint)n);
	mimefix_write(&s->fix, (char *)ba->data);
	return g_mime_stream_mem_new_with_byte_array(ba);
}

struct parts {
	struct mimefix_part part[MIMEFIX_MAX_MULTIPARTS];
	size_t n;
	int over;             /* there were more */
};

/* The Content-Type field GMime went by (the last one): its offset in the
 * copy, or -1. */
static gint64 content_type_offset(GMimeObject *o)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(o);
	int n = hl ? g_mime_header_list_get_count(hl) : 0;

	for (int i = n - 1; i >= 0; i--) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);

		if (!g_ascii_strcasecmp(g_mime_header_get_name(h),
					"Content-Type"))
			return g_mime_header_get_offset(h);
	}
	return -1;
}

static void add_part(const struct msg_src *s, struct parts *ps, int kind,
		     GMimeObject *o, gint64 at)
{
	struct mimefix_part *p = &ps->part[ps->n];

	if (at < 0)
		return;
	if (ps->n == MIMEFIX_MAX_MULTIPARTS) {
		ps->over = 1;
		return;
	}
	p->kind = kind;
	p->boundary = kind == MIMEFIX_MESSAGE ? NULL :
		      g_mime_object_get_content_type_parameter(o, "boundary");
	p->header = mimefix_to_orig(&s->fix, (size_t)at);
	ps->n++;
}

/* The multiparts and embedded messages GMime found (a message's own: not
 * inside an embedded one), with their fields' offsets in s->orig. */
static void collect_parts(const struct msg_src *s, GMimeObject *o,
			  struct parts *ps, int depth)
{
	GMimeContentType *ct = o ? g_mime_object_get_content_type(o) : NULL;
	GMimeMultipart *m;

	if (!o || depth > TRAWL_MAX_MIME_DEPTH)
		return;
	if (GMIME_IS_MESSAGE_PART(o) || (GMIME_IS_PART(o) && ct &&
	    g_mime_content_type_is_type(ct, MIMEFIX_LEAF_TYPE, "*")))
		add_part(s, ps, MIMEFIX_MESSAGE, o, content_type_offset(o));
	if (!GMIME_IS_MULTIPART(o))
		return;
	add_part(s, ps, ct && (g_mime_content_type_is_type(ct, "*", "digest")
			       || g_mime_content_type_is_type(ct, "*",
						MIMEFIX_LEAF_DIGEST))
			? MIMEFIX_DIGEST : MIMEFIX_MULTIPART,
		 o, content_type_offset(o));
	m = GMIME_MULTIPART(o);
	for (int i = 0; i < g_mime_multipart_get_count(m); i++)
		collect_parts(s, g_mime_multipart_get_part(m, i), ps,
			      depth + 1);
}

/* Gives the parts the copy made leaves (mimefix.h) their types back: a
 * message/rfc822 part's, a digest's, and the digest's parts without a
 * Content-Type their default message/rfc822. */
static void restore_leaves(const struct msg_src *s, GMimeObject *o,
			   int depth, int in_digest)
{
	gint64 at = content_type_offset(o);
	int leaf = at >= 0 && mimefix_leaf(&s->fix,
					   mimefix_to_orig(&s->fix, (size_t)at));
	GMimeMultipart *m;

	if (depth > TRAWL_MAX_MIME_DEPTH)
		return;
	if (GMIME_IS_PART(o) && leaf) {
		g_mime_content_type_set_media_type(
			g_mime_object_get_content_type(o), "message");
	} else if (GMIME_IS_PART(o) && in_digest && at < 0) {
		GMimeContentType *ct = g_mime_content_type_new("message",
							       "rfc822");

		g_mime_object_set_content_type(o, ct);
		g_object_unref(ct);
	}
	if (!GMIME_IS_MULTIPART(o))
		return;
	if (leaf)
		g_mime_content_type_set_media_subtype(
			g_mime_object_get_content_type(o), "digest");
	m = GMIME_MULTIPART(o);
	for (int i = 0; i < g_mime_multipart_get_count(m); i++)
		restore_leaves(s, g_mime_multipart_get_part(m, i), depth + 1,
			       leaf);
}

/* Parses s as a message; parses it again, from a new copy, while the
 * parts found ask for repairs or leaves (at most MIMEFIX_ROUNDS parses).
 * The GMime warnings are those of the last parse.  Returns the message
 * (unref it before src_close) or NULL. */
static GMimeMessage *src_parse(struct parser *p, struct msg_src *s)
{
	GMimeMessage *m = NULL;

	for (int round = 0; round < MIMEFIX_ROUNDS; round++) {
		struct parts ps;
		GMimeParser *gp;

		if (m)
			g_object_unref(m);
		if (s->stream)
			g_object_unref(s->stream);
		s->stream = src_stream(s);
		p->gmime_warns = 0;
		buf_reset(&p->gmime_warn_detail);
		gp = g_mime_parser_new_with_stream(s->stream);
		g_mime_parser_set_format(gp, GMIME_FORMAT_MESSAGE);
		m = g_mime_parser_construct_message(gp, p->opts);
		g_object_unref(gp);
		if (!m || round + 1 == MIMEFIX_ROUNDS)
			break;
		ps.n = 0;
		ps.over = 0;
		collect_parts(s, g_mime_message_get_mime_part(m), &ps, 0);
		if (ps.over || !mimefix_plan(&s->fix, ps.part, ps.n))
			break;
	}
	if (m && g_mime_message_get_mime_part(m))
		restore_leaves(s, g_mime_message_get_mime_part(m), 0, 0);
	return m;
}

/* ---- MIME walk ---- */

struct walk {
	GPtrArray *children;  /* struct child*: attachments, embedded messages */
	struct buf plain;     /* body text from text/plain parts */
	struct buf html;      /* body text from text/html parts */
	struct sha256_ctx ch; /* the content hash */
	int parts;
	int too_deep, too_many;
	int charset_warned, text_cut;
};

/* A child of a message: a MIME part, or a file uuencoded inside a text
 * part ("begin 644 name" ... "end"). */
struct child {
	GMimeObject *o;
	char *uu_name;
	GByteArray *uu_data;
	GByteArray *bytes; /* the part's decoded bytes, once decoded */
};

static void add_child(struct walk *w, GMimeObject *o, char *uu_name,
		      GByteArray *uu_data)
{
	struct child *c = g_new0(struct child, 1);

	c->o = o;
	c->uu_name = uu_name;
	c->uu_data = uu_data;
	g_ptr_array_add(w->children, c);
}

static void free_child(gpointer p)
{
	struct child *c = p;

	g_free(c->uu_name);
	if (c->uu_data)
		g_byte_array_unref(c->uu_data);
	if (c->bytes)
		g_byte_array_unref(c->bytes);
	g_free(c);
}

/* Length of the line at s (without its end), and where the next starts. */
static size_t line_at(const char *s, const char *end, const char **next)
{
	const char *nl = memchr(s, '\n', (size_t)(end - s));
	size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);

	*next = nl ? nl + 1 : end;
	if (n && s[n - 1] == '\r')
		n--;
	return n;
}

/* "begin MODE NAME": the name, or NULL. */
static char *uu_begin(const char *s, size_t n)
{
	size_t i = 6, digits = 0;

	if (n < 9 || memcmp(s, "begin ", 6) != 0)
		return NULL;
	while (i < n && s[i] >= '0' && s[i] <= '7' && digits < 4) {
		i++;
		digits++;
	}
	if (digits < 3 || i >= n || s[i] != ' ' || i + 1 >= n)
		return NULL;
	return g_strndup(s + i + 1, n - i - 1);
}

#define MAX_UU_FILES 256

/* Takes the uuencoded files out of text (decoded part bytes): each becomes
 * a child; the text keeps a marker in its place.  Returns the text to
 * index (malloc'd) or NULL when there is nothing to take out. */
static char *extract_uu(struct walk *w, const char *s, size_t len)
{
	const char *p = s, *end = s + len, *next;
	struct buf out;
	int found = 0;

	buf_init(&out, len + 1);
	while (p < end) {
		size_t n = line_at(p, end, &next);
		char *name = found < MAX_UU_FILES ? uu_begin(p, n) : NULL;
		const char *q = next, *stop = NULL, *after = NULL;

		while (name && q < end && !stop) {
			const char *qn;
			size_t k = line_at(q, end, &qn);

			if (k == 3 && !memcmp(q, "end", 3)) {
				stop = q;
				after = qn;
			}
			q = qn;
		}
		if (!stop) {
			g_free(name);
			buf_append(&out, p, (size_t)(next - p));
			p = next;
			continue;
		}
		{
			GByteArray *ba = g_byte_array_sized_new(
				(guint)(stop - next) + 4);
			int state = GMIME_UUDECODE_STATE_BEGIN;
			guint32 save = 0;
			size_t got = g_mime_encoding_uudecode_step(
				(const unsigned char *)next,
				(size_t)(after - next), ba->data, &state, &save);

			g_byte_array_set_size(ba, (guint)got);
			buf_printf(&out, "[uuencoded file: %s]\n", name);
			add_child(w, NULL, name, ba);
		}
		found++;
		p = after;
	}
	if (!found) {
		buf_release(&out);
		return NULL;
	}
	return buf_detach(&out, NULL);
}

/* Decoded (transfer-encoding removed) bytes of a leaf part; data is
 * never NULL, even when empty. */
static GByteArray *part_bytes(GMimePart *part)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	GMimeStream *s;
	GByteArray *ba = g_byte_array_sized_new(1);

	if (!w)
		return ba;
	s = g_mime_stream_mem_new_with_byte_array(ba);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(s), FALSE);
	g_mime_data_wrapper_write_to_stream(w, s);
	g_object_unref(s);
	return ba;
}

static int is_attachment(GMimeObject *o)
{
	GMimeContentDisposition *d = g_mime_object_get_content_disposition(o);

	if (d && g_mime_content_disposition_is_attachment(d))
		return 1;
	return GMIME_IS_PART(o) && g_mime_part_get_filename(GMIME_PART(o));
}

static void add_text(struct parser *p, struct walk *w, GMimePart *part,
		     int html)
{
	GByteArray *ba = part_bytes(part);
	const char *cs = g_mime_object_get_content_type_parameter(
		GMIME_OBJECT(part), "charset");
	int cut = 0;
	enum text_origin origin = TEXT_DECLARED;
	char *uu = html ? NULL : extract_uu(w, (const char *)ba->data, ba->len);
	char *utf8 = text_from_8bit(uu ? uu : (const char *)ba->data,
				    uu ? strlen(uu) : ba->len, cs,
				    TRAWL_MAX_BODY_TEXT, &cut, &origin);

	free(uu);
	struct buf *dst = html ? &w->html : &w->plain;

	if (cs && *cs && origin != TEXT_DECLARED && !w->charset_warned) {
		w->charset_warned = 1;
		warn(p, "charset", "text declared as %.60s read as %s", cs,
		     origin == TEXT_UTF8 ? "UTF-8"
		     : origin == TEXT_WINDOWS_1252 ? "windows-1252"
		     : "damaged UTF-8");
	}
	if (cut)
		w->text_cut = 1;

	if (utf8) {
		if (dst->len)
			buf_puts(dst, "\n\n");
		if (html)
			html_to_text(utf8, strlen(utf8), dst);
		else
			buf_puts(dst, utf8);
		hash_text(&w->ch, utf8, strlen(utf8));
	}
	free(utf8);
	g_byte_array_unref(ba);
}

/* "Content-Type: text" without a subtype means text/plain (RFC 2045
 * 5.2); GMime reads it as application/octet-stream. */
static int bare_text_type(GMimeObject *o)
{
	const char *v = g_mime_object_get_header(o, "Content-Type");

	if (!v)
		return 0;
	while (*v == ' ' || *v == '\t')
		v++;
	return !g_ascii_strncasecmp(v, "text", 4) &&
	       (v[4] == '\0' || v[4] == ';' || v[4] == ' ' || v[4] == '\t');
}

/* The subtypes GMime parses as an embedded message. */
static const char *const message_subtypes[] = {
	"rfc822", "rfc2822", "global", "news",
};

/* A message/rfc822 part kept a leaf (mimefix.h), or a transfer-encoded
 * one (GMime keeps those leaves). */
static int is_message_part(GMimeObject *o)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	const char *sub;

	if (!GMIME_IS_PART(o) || !ct || g_ascii_strcasecmp(
		    g_mime_content_type_get_media_type(ct), "message"))
		return 0;
	sub = g_mime_content_type_get_media_subtype(ct);
	for (size_t i = 0; sub && i < G_N_ELEMENTS(message_subtypes); i++)
		if (!g_ascii_strcasecmp(sub, message_subtypes[i]))
			return 1;
	return 0;
}

static int identity_encoding(GMimeContentEncoding e)
{
	return e == GMIME_CONTENT_ENCODING_DEFAULT ||
	       e == GMIME_CONTENT_ENCODING_7BIT ||
	       e == GMIME_CONTENT_ENCODING_8BIT ||
	       e == GMIME_CONTENT_ENCODING_BINARY;
}

static int transfer_encoded(GMimeObject *o)
{
	GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(o));

	return w && !identity_encoding(g_mime_data_wrapper_get_encoding(w));
}

static void walk_part(struct parser *p, struct walk *w, GMimeObject *o,
		      int depth, int in_alternative)
{
	if (++w->parts > TRAWL_MAX_MIME_PARTS) {
		w->too_many = 1;
		return;
	}
	if (depth > TRAWL_MAX_MIME_DEPTH) {
		w->too_deep = 1;
		add_child(w, o, NULL, NULL);
		return;
	}
	if (GMIME_IS_MULTIPART(o)) {
		GMimeMultipart *mp = GMIME_MULTIPART(o);
		GMimeContentType *ct = g_mime_object_get_content_type(o);
		int alt = ct && g_mime_content_type_is_type(ct, "multipart",
							     "alternative");
		int n = g_mime_multipart_get_count(mp);

		for (int i = 0; i < n; i++)
			walk_part(p, w, g_mime_multipart_get_part(mp, i),
				  depth + 1, alt);
		return;
	}
	if (GMIME_IS_PART(o) && !is_attachment(o)) {
		GMimeContentType *ct = g_mime_object_get_content_type(o);

		if ((ct && g_mime_content_type_is_type(ct, "text", "plain")) ||
		    bare_text_type(o)) {
			add_text(p, w, GMIME_PART(o), 0);
			return;
		}
		if (ct && g_mime_content_type_is_type(ct, "text", "html")) {
			add_text(p, w, GMIME_PART(o), 1);
			return;
		}
		if (in_alternative && ct &&
		    g_mime_content_type_is_type(ct, "text", "*"))
			return; /* text/enriched etc.: another form of the body */
	}
	add_child(w, o, NULL, NULL);
}

static void parse_message(struct parser *p, const struct msg_src *src,
			  GMimeMessage *m, const char *raw, size_t rawlen,
			  int parent, const struct job *j, int depth);

/* decoded: the part's bytes if already decoded (NULL: decode here) */
static void emit_attachment(struct parser *p, GMimeObject *o, int parent,
			    GByteArray *decoded)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	char *type = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
	GByteArray *ba;
	const char *name = NULL;

	begin_item(p, TRAWL_KIND_ATTACHMENT, parent);
	if (GMIME_IS_PART(o)) {
		ba = decoded ? g_byte_array_ref(decoded)
			     : part_bytes(GMIME_PART(o));
		name = g_mime_part_get_filename(GMIME_PART(o));
	} else {
		/* message/partial, or a part past the depth limit: its bytes
		 * as they stand in the message */
		GMimeStream *s;

		ba = g_byte_array_new();
		s = g_mime_stream_mem_new_with_byte_array(ba);
		g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(s), FALSE);
		if (GMIME_IS_MESSAGE_PART(o) || GMIME_IS_MULTIPART(o))
			g_mime_object_write_content_to_stream(o, NULL, s);
		else
			g_mime_object_write_to_stream(o, NULL, s);
		g_object_unref(s);
	}
	put_blob(p, ba->data, ba->len, 1, 0);
	put_text(p, W_NAME, name, "file name");
	put_text(p, W_MIME, type, "content type");
	put_sniffed(p, ba->data, ba->len);
	g_byte_array_unref(ba);
	g_free(type);
}

static void emit_uu(struct parser *p, const struct child *c, int parent)
{
	begin_item(p, TRAWL_KIND_ATTACHMENT, parent);
	put_blob(p, c->uu_data->data, c->uu_data->len, 1, 0);
	put_text(p, W_NAME, c->uu_name, "file name");
	wire_put_str(p->out, W_MIME, "application/x-uuencode");
	put_sniffed(p, c->uu_data->data, c->uu_data->len);
}

/* Where a part without transfer encoding stands in src->orig: its content
 * is a span of the copy GMime read (GMime keeps a leaf's content as a
 * substream when it parses a seekable stream).  0 when it is not. */
static int part_span(const struct msg_src *src, GMimePart *part,
		     size_t *from, size_t *to)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	GMimeStream *st = w ? g_mime_data_wrapper_get_stream(w) : NULL;
	gint64 at, n;

	if (!st || !GMIME_IS_STREAM_MEM(st) || !src->stream ||
	    !identity_encoding(g_mime_data_wrapper_get_encoding(w)) ||
	    g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(st)) !=
	    g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(src->stream)))
		return 0;
	g_mime_stream_reset(st);
	at = g_mime_stream_tell(st);
	n = g_mime_stream_length(st);
	if (at < 0 || n < 0)
		return 0;
	*from = mimefix_to_orig(&src->fix, (size_t)at);
	*to = mimefix_to_orig(&src->fix, (size_t)(at + n));
	return *from <= *to;
}

/* The bytes of a message part: as found in the parent, or decoded when
 * it has a transfer encoding.  decoded: already decoded, or NULL. */
static GByteArray *message_bytes(const struct msg_src *src, GMimePart *part,
				 GByteArray *decoded)
{
	size_t from, to;
	GByteArray *ba;

	if (!part_span(src, part, &from, &to))
		return decoded ? g_byte_array_ref(decoded) : part_bytes(part);
	ba = g_byte_array_sized_new((guint)(to - from) + 1);
	g_byte_array_append(ba, (const guint8 *)src->orig + from,
			    (guint)(to - from));
	return ba;
}

/* An embedded message GMime parsed in place (when the copy could not keep
 * it a leaf): stored as GMime writes it back. */
static void emit_parsed_message(struct parser *p, GMimeMessagePart *mp,
				int parent, int depth)
{
	GMimeMessage *m = g_mime_message_part_get_message(mp);
	struct msg_src none;
	GByteArray *ba;
	GMimeStream *s;

	if (!m) {
		emit_attachment(p, GMIME_OBJECT(mp), parent, NULL);
		return;
	}
	ba = g_byte_array_new();
	s = g_mime_stream_mem_new_with_byte_array(ba);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(s), FALSE);
	g_mime_object_write_to_stream(GMIME_OBJECT(m), NULL, s);
	g_object_unref(s);
	src_open(&none, (const char *)ba->data, ba->len);
	p->gmime_warns = 0;
	parse_message(p, &none, m, (const char *)ba->data, ba->len, parent,
		      NULL, depth + 1);
	src_close(&none);
	g_byte_array_unref(ba);
}

/* Did GMime find a header field?  Content that does not start with one
 * (or with an mbox From_ line) is no message: GMime returns none, or one
 * without fields when the content starts with a blank line. */
static int has_fields(GMimeMessage *m)
{
	GMimeObject *body = g_mime_message_get_mime_part(m);
	GMimeHeaderList *a = g_mime_object_get_header_list(GMIME_OBJECT(m));
	GMimeHeaderList *b = body ? g_mime_object_get_header_list(body) : NULL;

	return (a && g_mime_header_list_get_count(a) > 0) ||
	       (b && g_mime_header_list_get_count(b) > 0);
}

/* An embedded message: its bytes (message_bytes) parsed on their own, or
 * kept as an attachment when they are no message. */
static void emit_message_part(struct parser *p, const struct msg_src *src,
			      GMimeObject *o, int parent, int depth,
			      GByteArray *decoded)
{
	GByteArray *ba = message_bytes(src, GMIME_PART(o), decoded);
	GMimeMessage *m = NULL;
	struct msg_src inner;

	src_open(&inner, (const char *)ba->data, ba->len);
	if (ba->len)
		m = src_parse(p, &inner);
	if (m && has_fields(m))
		parse_message(p, &inner, m, (const char *)ba->data, ba->len,
			      parent, NULL, depth + 1);
	else
		emit_attachment(p, o, parent, ba);
	if (m)
		g_object_unref(m);
	src_close(&inner);
	g_byte_array_unref(ba);
}

/* Keeps item's stored body for parser_body: 0, or -1 when it does not
 * fit and is left out (the worker then decompresses it). */
static int keep_body(struct parser *p, int item, const char *s, size_t n)
{
	size_t off = p->bodies.len;

	if (p->nbody == p->cbody) {
		size_t c = p->cbody ? p->cbody * 2 : 16;
		struct body_at *a = realloc(p->body_at, c * sizeof(*a));

		if (!a)
			return -1;
		p->body_at = a;
		p->cbody = c;
	}
	if (buf_append(&p->bodies, s, n)) {
		p->bodies.len = off;
		p->bodies.err = TRAWL_OK;
		if (p->bodies.data)
			p->bodies.data[off] = '\0';
		return -1;
	}
	p->body_at[p->nbody++] = (struct body_at){ (size_t)item, off, n };
	return 0;
}

/* body_at is in item order (a message's body is kept before its
 * children begin): a binary search, so that a unit of many items costs no
 * more than its items. */
const char *parser_body(const struct parser *p, size_t item, size_t *len)
{
	size_t lo = 0, hi = p->nbody;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->body_at[mid].item < item)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == p->nbody || p->body_at[lo].item != item)
		return NULL;
	*len = p->body_at[lo].len;
	return p->bodies.data + p->body_at[lo].off;
}

/*
 * The body text of item self, the message being parsed, whose original is
 * raw.  When the text is the original's last bytes, after its header,
 * byte for byte (most single-part plain-text mail), it is stored by
 * reference: W_BODYZ holds its length alone, and the caller compresses
 * the original with the text as frames of their own (put_blob's tail,
 * the return value here; else 0).  On Enron that is 96% of the bodies:
 * their bytes are neither compressed nor stored twice.  The worker must
 * have kept the text (keep_body), since it cannot decompress a
 * reference.
 */
static size_t put_body(struct parser *p, struct walk *w, int self,
		       const char *raw, size_t rawlen)
{
	struct buf *text = w->plain.len ? &w->plain : &w->html;
	int cut = 0;
	char *clean;
	size_t n;

	if (!text->len)
		return 0;
	if (text->err == TRAWL_ERR_TOO_LARGE || w->text_cut)
		warn(p, "body-cut", "text body longer than %zu bytes was cut",
		     (size_t)TRAWL_MAX_BODY_TEXT);
	clean = utf8_sanitize(text->data, text->len, TRAWL_MAX_BODY_TEXT, &cut);
	if (!clean)
		return 0;
	n = strlen(clean);
	buf_reset(&p->tmp);
	{
		uint8_t len[8];

		wire_set_u64(len, n);
		buf_append(&p->tmp, len, 8);
	}
	if (n && n < rawlen && raw[rawlen - n - 1] == '\n' &&
	    !memcmp(raw + (rawlen - n), clean, n) &&
	    !keep_body(p, self, clean, n)) {
		wire_put(p->out, W_BODYZ, p->tmp.data, p->tmp.len);
		free(clean);
		return n;
	}
	if (blob_compress_text(clean, n, &p->tmp) == TRAWL_OK) {
		wire_put(p->out, W_BODYZ, p->tmp.data, p->tmp.len);
		keep_body(p, self, clean, n);
	}
	free(clean);
	return 0;
}

/* The mime warning: the repairs made for GMime, then GMime's own. */
static void put_mime_warning(struct parser *p, const struct msg_src *src)
{
	static const char *const what[] = {
		[MIMEFIX_SEMICOLON] = "Content-Type fields without ';' before "
				      "their parameters",
		[MIMEFIX_TRAILING_TEXT] = "delimiter lines with text after "
					  "the boundary",
		[MIMEFIX_LINE_END] = "delimiter lines ending unlike the line "
				     "before them",
		[MIMEFIX_LONG] = "lines with a boundary too long for GMime",
	};
	struct buf d;

	buf_init(&d, 4096);
	for (int k = 0; k < MIMEFIX_REPAIRS; k++)
		if (src->fix.count[k])
			buf_printf(&d, "%s%s (%d)", d.len ? ", " : "repaired: ",
				   what[k], src->fix.count[k]);
	if (p->gmime_warns)
		buf_printf(&d, "%s%s%s", d.len ? "; " : "",
			   p->gmime_warn_detail.data,
			   p->gmime_warns > 8 ? "; ..." : "");
	if (d.len && !d.err)
		warn(p, "mime", "%s", d.data);
	buf_release(&d);
}

static void parse_message(struct parser *p, const struct msg_src *src,
			  GMimeMessage *m, const char *raw, size_t rawlen,
			  int parent, const struct job *j, int depth)
{
	GMimeObject *o = GMIME_OBJECT(m);
	GMimeObject *body = g_mime_message_get_mime_part(m);
	struct walk w;
	int self;
	uint8_t digest[SHA256_DIGEST_SIZE];
	char *base;

	self = begin_item(p, TRAWL_KIND_EMAIL, parent);
	if (self == 0 && p->skip)
		warn(p, "leading-blank-line", "%zu blank byte(s) before the "
		     "header; parsed as mail", p->skip);
	if (self == 0 && p->overrun)
		warn(p, "no-header-end", "no blank line after the header; the "
		     "body starts at byte %zu", p->skip + p->overrun);
	memset(&w, 0, sizeof(w));
	w.children = g_ptr_array_new_with_free_func(free_child);
	buf_init(&w.plain, TRAWL_MAX_BODY_TEXT);
	buf_init(&w.html, TRAWL_MAX_BODY_TEXT);
	sha256_init(&w.ch);

	put_text(p, W_MSGID, g_mime_message_get_message_id(m), "Message-ID");
	put_message_date(p, o, j);
	put_text(p, W_SUBJECT, g_mime_message_get_subject(m), "Subject");
	base = subject_base(g_mime_message_get_subject(m) ?
			    g_mime_message_get_subject(m) : "");
	put_text(p, W_BASESUBJ, base, "Subject");
	free(base);
	put_addresses(p, m);
	put_refs(p, o, &w.ch);

	hash_addrs(&w.ch, "From", g_mime_message_get_from(m));
	hash_str(&w.ch, "Subject", header(o, "Subject"));
	hash_str(&w.ch, "Date", header(o, "Date"));
	hash_addrs(&w.ch, "To", g_mime_message_get_to(m));
	hash_addrs(&w.ch, "Cc", g_mime_message_get_cc(m));
	if (body)
		walk_part(p, &w, body, depth, 0);
	for (guint i = 0; i < w.children->len; i++) {
		struct child *c = g_ptr_array_index(w.children, i);

		if (c->uu_data) {
			hash_text(&w.ch, (const char *)c->uu_data->data,
				  c->uu_data->len);
		} else if (GMIME_IS_PART(c->o) && (!is_message_part(c->o) ||
						   transfer_encoded(c->o))) {
			/* decoded once: the attachment item reuses it.  An
			 * embedded message counts only when transfer-encoded,
			 * as before message/rfc822 parts were leaves, so that
			 * content hashes stay what they were */
			c->bytes = part_bytes(GMIME_PART(c->o));
			hash_text(&w.ch, (const char *)c->bytes->data,
				  c->bytes->len);
		}
	}
	sha256_digest(&w.ch, sizeof(digest), digest);
	wire_put(p->out, W_CHASH, digest, sizeof(digest));
	/* the original after the body: its frames depend on it */
	put_blob(p, raw, rawlen, 0, put_body(p, &w, self, raw, rawlen));
	if (w.too_deep)
		warn(p, "mime-too-deep", "parts nested deeper than %d kept "
		     "whole as attachments", TRAWL_MAX_MIME_DEPTH);
	if (w.too_many)
		warn(p, "too-many-parts", "only the first %d MIME parts were "
		     "taken", TRAWL_MAX_MIME_PARTS);
	put_mime_warning(p, src);

	for (guint i = 0; i < w.children->len; i++) {
		struct child *c = g_ptr_array_index(w.children, i);

		if (c->uu_data)
			emit_uu(p, c, self);
		else if (is_message_part(c->o) && depth < TRAWL_MAX_MIME_DEPTH)
			emit_message_part(p, src, c->o, self, depth, c->bytes);
		else if (GMIME_IS_MESSAGE_PART(c->o) &&
			 depth < TRAWL_MAX_MIME_DEPTH)
			emit_parsed_message(p, GMIME_MESSAGE_PART(c->o), self,
					    depth);
		else
			emit_attachment(p, c->o, self, c->bytes);
	}
	buf_release(&w.plain);
	buf_release(&w.html);
	g_ptr_array_free(w.children, TRUE);
}

/* ---- units ---- */

/* Where the header section ends without the blank line RFC 5322 wants:
 * the offset of the first line that is neither a header field, nor a
 * folded continuation, nor blank (Enron's cut-down messages go straight
 * from "Subject:" to the body).  0 when the section ends properly. */
static size_t header_overrun(const char *d, size_t len)
{
	const char *p = d, *end = d + (len < TRAWL_MAX_HEADER_SCAN
				       ? len : TRAWL_MAX_HEADER_SCAN);

	while (p < end) {
		const char *next;
		size_t n = line_at(p, end, &next), i = 0;

		if (n == 0)
			return 0; /* the blank line: a proper end */
		if (p != d && (*p == ' ' || *p == '\t'))
			goto next_line; /* folded continuation */
		while (i < n && p[i] > ' ' && p[i] < 127 && p[i] != ':')
			i++;
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i == 0 || i >= n || p[i] != ':')
			return p == d ? 0 : (size_t)(p - d);
next_line:
		p = next;
	}
	return 0;
}

static void parse_email_unit(struct parser *p, const struct job *j,
			     size_t skip)
{
	struct msg_src src;
	GMimeMessage *m;
	size_t over = header_overrun(j->data + skip, j->len - skip);

	p->skip = skip;
	p->overrun = over;
	src_open(&src, j->data + skip, j->len - skip);
	/* parsed with the missing blank line put in; the stored original
	 * keeps its bytes */
	if (over)
		mimefix_pin(&src.fix, over, "\n", 1);
	m = src_parse(p, &src);
	if (m) {
		parse_message(p, &src, m, j->data, j->len, -1, j, 0);
		g_object_unref(m);
	} else {
		begin_item(p, TRAWL_KIND_EMAIL, -1);
		put_blob(p, j->data, j->len, 0, 0);
		warn(p, "unparseable", "GMime could not parse the message");
		if (skip)
			warn(p, "leading-blank-line", "%zu blank byte(s) "
			     "before the header", skip);
		put_date(p, j->from_time != INT64_MIN ? j->from_time
			    : j->maildir_time != INT64_MIN ? j->maildir_time
			    : j->mtime != INT64_MIN ? j->mtime : 0,
			 0, j->from_time != INT64_MIN ? TRAWL_DATE_FROM_LINE
			    : j->maildir_time != INT64_MIN ? TRAWL_DATE_MAILDIR
			    : j->mtime != INT64_MIN ? TRAWL_DATE_MTIME
			    : TRAWL_DATE_NONE);
	}
	src_close(&src);
}

static void parse_document_unit(struct parser *p, const struct job *j)
{
	char *name;

	begin_item(p, TRAWL_KIND_DOCUMENT, -1);
	put_blob(p, j->data, j->len, 1, 0);
	if (j->name.p) {
		name = g_strndup(j->name.p, j->name.n);
		put_text(p, W_NAME, name, "file name");
		g_free(name);
	}
	put_sniffed(p, j->data, j->len);
}

static int decode_job(struct job *j, const void *payload, size_t len)
{
	struct wire_cursor c;
	const uint8_t *d;
	size_t n;
	int tag, r;

	memset(j, 0, sizeof(*j));
	j->from_time = j->maildir_time = j->mtime = INT64_MIN;
	wire_cursor_init(&c, payload, len);
	while ((r = wire_next(&c, &tag, &d, &n)) == 1) {
		switch (tag) {
		case J_HINT:
			if (n != 1)
				return -1;
			j->hint = d[0];
			break;
		case J_FROMTIME:
		case J_MDTIME:
		case J_MTIME:
			if (n != 8)
				return -1;
			*(tag == J_FROMTIME ? &j->from_time
			  : tag == J_MDTIME ? &j->maildir_time
			  : &j->mtime) = (int64_t)wire_get_u64(d);
			break;
		case J_NAME:
			j->name.p = (const char *)d;
			j->name.n = n;
			break;
		case J_DATA:
			j->data = (const char *)d;
			j->len = n;
			break;
		}
	}
	return r < 0 || !j->data ? -1 : 0;
}

trawl_status parser_run(struct parser *p, const void *payload, size_t len,
			struct buf *out)
{
	struct job j;
	size_t skip = 0;

	if (decode_job(&j, payload, len))
		return TRAWL_ERR_INVALID;
	p->out = out;
	p->nitems = 0;
	p->nbody = 0;
	if (p->bodies.cap > PARSER_KEEP_BODIES)
		buf_release(&p->bodies); /* a huge unit's: not kept for life */
	else
		buf_reset(&p->bodies);
	if (j.hint == JOB_HINT_MESSAGE) {
		size_t sniff = j.len < TRAWL_MAX_HEADER_SCAN ? j.len
							     : TRAWL_MAX_HEADER_SCAN;
		if (!mail_sniff(j.data, sniff, &skip))
			skip = 0;
		parse_email_unit(p, &j, skip);
	} else if (mail_sniff(j.data, j.len < TRAWL_MAX_HEADER_SCAN ? j.len
				   : TRAWL_MAX_HEADER_SCAN, &skip)) {
		parse_email_unit(p, &j, skip);
	} else {
		parse_document_unit(p, &j);
	}
	return out->err;
}

struct parser *parser_new(void)
{
	struct parser *p = calloc(1, sizeof(*p));
	const char *fallback[] = { "UTF-8", "windows-1252", NULL };

	if (!p)
		return NULL;
	p->magic = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);
	if (!p->magic || magic_load(p->magic, NULL) != 0) {
		parser_free(p);
		return NULL;
	}
	p->opts = g_mime_parser_options_new();
	g_mime_parser_options_set_rfc2047_compliance_mode(
		p->opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_address_compliance_mode(
		p->opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(
		p->opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_fallback_charsets(p->opts, fallback);
	g_mime_parser_options_set_warning_callback(p->opts, on_gmime_warning,
						   p);
	buf_init(&p->tmp, TRAWL_MAX_FRAME);
	buf_init(&p->text, TRAWL_MAX_BODY_TEXT);
	buf_init(&p->bodies, TRAWL_MAX_FRAME);
	buf_init(&p->gmime_warn_detail, 2048);
	return p;
}

void parser_free(struct parser *p)
{
	if (!p)
		return;
	if (p->magic)
		magic_close(p->magic);
	if (p->opts)
		g_mime_parser_options_free(p->opts);
	buf_release(&p->tmp);
	buf_release(&p->text);
	buf_release(&p->bodies);
	free(p->body_at);
	buf_release(&p->gmime_warn_detail);
	free(p);
}
