/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * input.c - sorted tree walk, file sniffing, archives, mbox splitting.
 *
 * State is a stack: the directory levels being walked, then the current
 * file, then the archives open inside it (outermost first), then the
 * stream being read (a plain file or an archive member), and, when that
 * stream is an mbox, the mbox reader.  input_next() pops levels as they
 * run out.  The kind of a stream is decided by its first bytes, not its
 * name (only .emlx is also recognised by name).
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input.h"
#include "mailutil.h"
#include "wire.h"
#include "banned.h"

#define MEMBER_SEP "!/"

struct dir_entry {
	char *name;
	char *key;   /* name, with '/' appended for directories */
	int is_dir;
	int is_link;
};

struct dir_level {
	struct dir_entry *e;
	size_t n, i;
	size_t pathlen; /* length of the directory's path in in->path */
	int fd;         /* the directory, open: its entries are opened
			 * relative to it, without walking the whole path */
};

struct arc_level {
	struct archive *ar;
	int fd;            /* what it reads: the file, or a spooled member */
	int pending;       /* first header already read (by the probe) */
	struct archive_entry *entry;
	size_t container_len; /* in->member naming the archive itself */
	size_t member_len;    /* in->member before this level's names */
};

/* ---- small helpers ---- */

static int entry_cmp(const void *a, const void *b)
{
	const struct dir_entry *x = a, *y = b;

	return strcmp(x->key, y->key);
}

static void free_level(struct dir_level *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->e[i].name);
		free(l->e[i].key);
	}
	free(l->e);
	if (l->fd >= 0)
		close(l->fd);
	memset(l, 0, sizeof(*l));
	l->fd = -1;
}

static const char *cur_member(struct input *in)
{
	return in->narcs ? in->member.data : NULL;
}

static void fail(struct input *in, struct input_failure *f, const char *code,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void fail(struct input *in, struct input_failure *f, const char *code,
		 const char *fmt, ...)
{
	va_list ap;

	f->path = in->path.data;
	f->member = cur_member(in);
	f->offset = f->length = -1;
	f->code = code;
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
}

static void set_path(struct input *in, size_t keep, const char *name)
{
	in->path.len = keep;
	if (in->path.data)
		in->path.data[keep] = '\0';
	if (name) {
		if (keep && in->path.data[keep - 1] != '/')
			buf_putc(&in->path, '/');
		buf_puts(&in->path, name);
	}
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Maildir: a file directly in cur/, new/ or tmp/ whose name starts with a
 * delivery time. */
static int64_t maildir_time_of(const char *path)
{
	const char *name = base_name(path);
	size_t plen = (size_t)(name - path);
	int64_t t;

	if (plen < 4 || (strncmp(path + plen - 4, "cur/", 4) &&
			 strncmp(path + plen - 4, "new/", 4) &&
			 strncmp(path + plen - 4, "tmp/", 4)))
		return INT64_MIN;
	if (plen > 4 && path[plen - 5] != '/')
		return INT64_MIN;
	t = maildir_name_time(name);
	return t < 0 ? INT64_MIN : t;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* ---- directories ---- */

/* The directory of the entry being visited (AT_FDCWD at the top), and
 * the name to open there: the entry's, or in->path itself. */
static int at_dir(const struct input *in, const char **name)
{
	if (in->depth == 0) {
		*name = in->path.data;
		return AT_FDCWD;
	}
	*name = in->levels[in->depth - 1].e[in->levels[in->depth - 1].i - 1]
			.name;
	return in->levels[in->depth - 1].fd;
}

/* Reads and sorts directory in->path as a new level.  0, or -1 with *f. */
static int push_dir(struct input *in, struct input_failure *f)
{
	struct dir_level *l;
	DIR *d = NULL;
	struct dirent *de;
	size_t cap = 0;
	const char *name;
	int dfd, fd;

	if (in->depth >= TRAWL_MAX_DIR_DEPTH) {
		fail(in, f, "too-deep", "directories nested deeper than %d "
		     "are not walked", TRAWL_MAX_DIR_DEPTH);
		return -1;
	}
	/* fd stays open for the level; readdir reads a copy of it */
	dfd = at_dir(in, &name);
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dfd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
	if (dfd >= 0 && !(d = fdopendir(dfd))) {
		int e = errno;

		close(dfd);
		errno = e;
	}
	if (!d) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		fail(in, f, "unreadable", "cannot read directory: %s",
		     strerror(e));
		return -1;
	}
	l = &in->levels[in->depth];
	memset(l, 0, sizeof(*l));
	l->pathlen = in->path.len;
	l->fd = fd;
	while ((de = readdir(d))) {
		struct dir_entry *e;
		struct stat sb;
		size_t nlen;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (l->n == cap) {
			struct dir_entry *ne;

			if (cap >= TRAWL_MAX_DIR_ENTRIES)
				break;
			cap = cap ? cap * 2 : 64;
			ne = realloc(l->e, cap * sizeof(*ne));
			if (!ne)
				break;
			l->e = ne;
		}
		e = &l->e[l->n];
		nlen = strlen(de->d_name);
		e->name = strdup(de->d_name);
		e->key = malloc(nlen + 2);
		if (!e->name || !e->key) {
			free(e->name);
			free(e->key);
			break;
		}
		/* Directories (not symlinks to them) sort as "name/".  The
		 * type from readdir saves an lstat where the file system
		 * gives it. */
		e->is_dir = e->is_link = 0;
		if (de->d_type != DT_UNKNOWN) {
			e->is_dir = de->d_type == DT_DIR;
			e->is_link = de->d_type == DT_LNK;
		} else if (fstatat(fd, de->d_name, &sb,
				   AT_SYMLINK_NOFOLLOW) == 0) {
			e->is_dir = S_ISDIR(sb.st_mode);
			e->is_link = S_ISLNK(sb.st_mode);
		}
		memcpy(e->key, de->d_name, nlen);
		e->key[nlen] = e->is_dir ? '/' : '\0';
		e->key[nlen + 1] = '\0';
		l->n++;
	}
	closedir(d);
	if (l->n)
		qsort(l->e, l->n, sizeof(*l->e), entry_cmp);
	in->depth++;
	return 0;
}

/* ---- streams: a plain file or an archive member ---- */

static ssize_t raw_read(struct input *in, void *dst, size_t len)
{
	ssize_t n;

	if (in->cur_ar) {
		do
			n = archive_read_data(in->cur_ar, dst, len);
		while (n == ARCHIVE_RETRY);
		if (n < 0)
			errno = EIO;
	} else {
		do
			n = read(in->fd, dst, len);
		while (n < 0 && errno == EINTR);
	}
	if (n > 0)
		in->bytes += (uint64_t)n;
	return n < 0 ? -1 : n;
}

/* Reads from the sniffed prefix first, then from the stream. */
static ssize_t stream_read(void *ctx, void *dst, size_t len)
{
	struct input *in = ctx;

	if (in->prefix_off < in->prefix_len) {
		size_t k = in->prefix_len - in->prefix_off;

		if (k > len)
			k = len;
		memcpy(dst, in->prefix + in->prefix_off, k);
		in->prefix_off += k;
		return (ssize_t)k;
	}
	return raw_read(in, dst, len);
}

/* Bytes of the current stream, when known (a plain file); -1 otherwise. */
static int64_t stream_size(struct input *in)
{
	return in->cur_ar || in->fd < 0 ? -1 : (int64_t)in->st.st_size;
}

static int sniff(struct input *in)
{
	int64_t size = stream_size(in);

	in->prefix_len = in->prefix_off = 0;
	while (in->prefix_len < sizeof(in->prefix) &&
	       (size < 0 || (int64_t)in->prefix_len < size)) {
		ssize_t n = raw_read(in, in->prefix + in->prefix_len,
				     sizeof(in->prefix) - in->prefix_len);

		if (n < 0)
			return -1;
		if (n == 0)
			break;
		in->prefix_len += (size_t)n;
	}
	return 0;
}

static int is_archive(const unsigned char *p, size_t n)
{
	static const struct {
		size_t off, len;
		const char *magic;
	} magics[] = {
		{ 0, 4, "PK\x03\x04" },           /* zip */
		{ 0, 4, "PK\x05\x06" },           /* empty zip */
		{ 0, 2, "\x1f\x8b" },             /* gzip */
		{ 0, 4, "\x28\xb5\x2f\xfd" },     /* zstd */
		{ 0, 6, "\xfd" "7zXZ\0" },        /* xz */
		{ 0, 3, "BZh" },                  /* bzip2 */
		{ 0, 6, "7z\xbc\xaf\x27\x1c" },   /* 7z */
		{ 257, 5, "ustar" },              /* tar */
		{ 0, 6, "070707" },               /* cpio */
		{ 0, 6, "070701" },
		{ 0, 4, "Rar!" },                 /* rar */
	};

	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (n >= magics[i].off + magics[i].len &&
		    !memcmp(p + magics[i].off, magics[i].magic, magics[i].len))
			return 1;
	return 0;
}

static void close_stream(struct input *in)
{
	if (in->in_mbox)
		mbox_reader_release(&in->mbox);
	in->in_mbox = 0;
	in->cur_ar = NULL;
	if (in->fd >= 0)
		close(in->fd);
	in->fd = -1;
}

static void unit_common(struct input *in, struct input_unit *u)
{
	const char *m = cur_member(in);

	memset(u, 0, sizeof(*u));
	u->path = in->path.data;
	u->member = m;
	u->name = base_name(m ? m : in->path.data);
	u->offset = u->length = -1;
	u->from_time = INT64_MIN;
	u->maildir_time = in->maildir_time;
	u->mtime = in->mtime;
}

/* The next message of the open mbox: 1, 2 (failure) or 0 (stream done). */
static int next_mbox(struct input *in, struct input_unit *u,
		     struct input_failure *f)
{
	struct mbox_msg m;
	int r = mbox_reader_next(&in->mbox, &m);

	if (r == 0)
		return 0;
	if (r < 0) {
		fail(in, f, "read-error", "reading mbox: %s",
		     in->cur_ar ? archive_error_string(in->cur_ar)
				: strerror(errno));
		mbox_reader_release(&in->mbox);
		in->in_mbox = 0;
		return 2;
	}
	if (m.truncated) {
		fail(in, f, "too-large", "message larger than %zu bytes",
		     (size_t)TRAWL_MAX_UNIT_SIZE);
		f->offset = (int64_t)m.offset;
		f->length = (int64_t)m.length;
		return 2;
	}
	unit_common(in, u);
	u->offset = (int64_t)m.offset;
	u->length = (int64_t)m.length;
	u->data = m.data;
	u->len = m.len;
	u->hint = JOB_HINT_MESSAGE;
	u->from_time = m.from_time;
	return 1;
}

/* Reads the rest of the stream into in->data: 0, or -1 with *f. */
static int read_whole(struct input *in, struct input_failure *f)
{
	ssize_t n = 1;

	buf_reset(&in->data);
	buf_append(&in->data, in->prefix, in->prefix_len);
	/* A small plain file was read whole by the sniff; a larger one is
	 * read in one call of its size (plus one byte, to see it grew). */
	if (stream_size(in) >= 0 && (int64_t)in->prefix_len == stream_size(in) &&
	    in->prefix_len < sizeof(in->prefix))
		n = 0;
	else if (stream_size(in) > (int64_t)in->prefix_len &&
		 (uint64_t)stream_size(in) < TRAWL_MAX_UNIT_SIZE) {
		size_t want = (size_t)stream_size(in) - in->prefix_len + 1;
		char *p = buf_reserve(&in->data, want);

		n = p ? raw_read(in, p, want) : -1;
		if (n > 0)
			buf_commit(&in->data, (size_t)n);
		if (n >= 0 && (size_t)n < want)
			n = 0; /* at the end, as expected */
	}
	while (n > 0 && !in->data.err) {
		char *p = buf_reserve(&in->data, 1 << 16);

		if (!p)
			break;
		n = raw_read(in, p, 1 << 16);
		if (n > 0)
			buf_commit(&in->data, (size_t)n);
	}
	if (in->data.err == TRAWL_ERR_TOO_LARGE) {
		fail(in, f, "too-large", "larger than %zu bytes",
		     (size_t)TRAWL_MAX_UNIT_SIZE);
		return -1;
	}
	if (n < 0 || in->data.err) {
		fail(in, f, "read-error", "%s", in->cur_ar
		     ? archive_error_string(in->cur_ar) : strerror(errno));
		return -1;
	}
	return 0;
}

/* Apple Mail .emlx: a line with the message's length, the message, then a
 * property list.  The unit is the message, located by its byte range. */
static int emlx_unit(struct input *in, struct input_unit *u)
{
	const char *d = in->data.data;
	size_t len = in->data.len, i = 0;
	unsigned long long n = 0;

	while (i < len && i < 20 && d[i] >= '0' && d[i] <= '9')
		n = n * 10 + (unsigned)(d[i++] - '0');
	while (i < len && i < 24 && (d[i] == ' ' || d[i] == '\t'))
		i++;
	if (i == 0 || i >= len || (d[i] != '\n' && d[i] != '\r'))
		return 0;
	i += d[i] == '\r' && i + 1 < len && d[i + 1] == '\n' ? 2 : 1;
	if (n == 0 || n > len - i)
		return 0;
	unit_common(in, u);
	u->data = d + i;
	u->len = (size_t)n;
	u->offset = (int64_t)i;
	u->length = (int64_t)n;
	u->hint = JOB_HINT_MESSAGE;
	return 1;
}

static int open_archive(struct input *in, int fd, struct input_failure *f);

/* The stream (file or member) is open and in->maildir_time/mtime are set:
 * decide what it is.  Returns 1 (unit), 2 (failure), or -1 to go on (an
 * archive level was pushed, or the stream held nothing). */
static int take_stream(struct input *in, struct input_unit *u,
		       struct input_failure *f)
{
	const char *name = base_name(cur_member(in) ? cur_member(in)
						    : in->path.data);
	int r;

	if (sniff(in) != 0) {
		fail(in, f, "read-error", "%s", in->cur_ar
		     ? archive_error_string(in->cur_ar) : strerror(errno));
		return 2;
	}
	if (mbox_sniff(in->prefix, in->prefix_len)) {
		mbox_reader_init(&in->mbox, stream_read, in,
				 TRAWL_MAX_UNIT_SIZE);
		in->in_mbox = 1;
		r = next_mbox(in, u, f);
		return r ? r : -1;
	}
	if (is_archive((const unsigned char *)in->prefix, in->prefix_len) &&
	    in->narcs < TRAWL_MAX_ARCHIVE_DEPTH) {
		r = open_archive(in, in->cur_ar ? -1 : in->fd, f);
		if (r == 2)
			return 2;
		if (r == 1) {
			in->fd = -1; /* the archive level owns it now */
			return -1;
		}
		/* not an archive after all: a document */
	}
	if (read_whole(in, f))
		return 2;
	if ((has_suffix(name, ".emlx") || has_suffix(name, ".EMLX")) &&
	    emlx_unit(in, u))
		return 1;
	unit_common(in, u);
	u->data = in->data.data ? in->data.data : "";
	u->len = in->data.len;
	u->hint = JOB_HINT_AUTO;
	return 1;
}

/* ---- archives ---- */

/* Copies the current member (prefix + rest) to an unlinked temporary file
 * so that formats that seek (zip, 7z) can read it.  Returns the fd or -1. */
static int spool_member(struct input *in, struct input_failure *f)
{
	char tmpl[] = "/tmp/trawl-spool-XXXXXX";
	const char *dir = getenv("TMPDIR");
	char path[TRAWL_MAX_PATH];
	unsigned long long total = in->prefix_len;
	char *chunk = malloc(1 << 16);
	int fd;
	ssize_t n = 1;

	if (dir && *dir)
		snprintf(path, sizeof(path), "%s/trawl-spool-XXXXXX", dir);
	else
		snprintf(path, sizeof(path), "%s", tmpl);
	fd = chunk ? mkstemp(path) : -1;
	if (fd < 0) {
		fail(in, f, "spool-error", "cannot spool a nested archive: %s",
		     strerror(errno));
		free(chunk);
		return -1;
	}
	unlink(path);
	if (write(fd, in->prefix, in->prefix_len) != (ssize_t)in->prefix_len)
		n = -2;
	while (n > 0) {
		n = raw_read(in, chunk, 1 << 16);
		if (n > 0 && (total += (unsigned long long)n) > TRAWL_MAX_SPOOL)
			n = -3;
		else if (n > 0 && write(fd, chunk, (size_t)n) != n)
			n = -2;
	}
	free(chunk);
	if (n < 0) {
		fail(in, f, n == -3 ? "too-large" : "spool-error",
		     n == -3 ? "nested archive larger than %llu bytes"
			     : "cannot spool a nested archive (%llu bytes read)",
		     n == -3 ? (unsigned long long)TRAWL_MAX_SPOOL : total);
		close(fd);
		return -1;
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* Pushes an archive level reading fd (-1: spool the current member
 * first).  Returns 1 when it is an archive, 0 when libarchive does not
 * take it (the caller treats the stream as a document; for a spooled
 * member the prefix and data are replayed from the spool), 2 on failure. */
static int open_archive(struct input *in, int fd, struct input_failure *f)
{
	struct arc_level *l = &in->arcs[in->narcs];
	int spooled = fd < 0;
	int r;

	if (spooled && (fd = spool_member(in, f)) < 0)
		return 2;
	if (!spooled)
		lseek(fd, 0, SEEK_SET);
	memset(l, 0, sizeof(*l));
	l->ar = archive_read_new();
	archive_read_support_filter_all(l->ar);
	archive_read_support_format_all(l->ar);
	archive_read_support_format_raw(l->ar);
	if (archive_read_open_fd(l->ar, fd, 1 << 16) != ARCHIVE_OK ||
	    (r = archive_read_next_header(l->ar, &l->entry)) < ARCHIVE_WARN) {
		archive_read_free(l->ar);
		l->ar = NULL;
		/* Not an archive: read it as a plain stream again. */
		if (spooled) {
			in->cur_ar = NULL;
			in->fd = fd;
		} else {
			lseek(fd, 0, SEEK_SET);
		}
		in->bytes -= in->prefix_len;
		sniff(in);
		return 0;
	}
	l->fd = fd;
	l->pending = 1;
	l->container_len = in->member.len;
	if (in->narcs)
		buf_puts(&in->member, MEMBER_SEP);
	l->member_len = in->member.len;
	in->narcs++;
	in->cur_ar = NULL;
	return 1;
}

static void pop_archive(struct input *in)
{
	struct arc_level *l = &in->arcs[--in->narcs];

	archive_read_free(l->ar);
	if (l->fd >= 0)
		close(l->fd);
	l->ar = NULL;
	l->fd = -1;
	in->member.len = l->container_len;
	if (in->member.data)
		in->member.data[in->member.len] = '\0';
	in->cur_ar = NULL;
}

/* Name of a member: its path, or for a compressed single file (libarchive's
 * "raw" format) the container's name without the compression suffix. */
static void put_entry_name(struct input *in, struct archive *ar,
			   struct archive_entry *e)
{
	static const char *const suffixes[] = { ".gz", ".bz2", ".xz", ".zst",
						".Z", ".lz4", ".lzma" };
	const char *n = archive_entry_pathname(e);
	const char *outer;
	size_t len, clen;

	if (archive_format(ar) != ARCHIVE_FORMAT_RAW && n && *n) {
		buf_puts(&in->member, n);
		return;
	}
	clen = in->arcs[in->narcs - 1].container_len;
	if (clen == 0) {
		outer = base_name(in->path.data);
		len = strlen(outer);
	} else {
		outer = in->member.data;
		for (size_t i = 0; i < clen; i++)
			if (in->member.data[i] == '/')
				outer = in->member.data + i + 1;
		len = clen - (size_t)(outer - in->member.data);
	}
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t k = strlen(suffixes[i]);

		if (len > k && !strncmp(outer + len - k, suffixes[i], k)) {
			len -= k;
			break;
		}
	}
	if (len == 0)
		buf_puts(&in->member, "data");
	else
		buf_append(&in->member, outer, len);
}

/* The next member of the innermost archive.  Returns like take_stream. */
static int next_member(struct input *in, struct input_unit *u,
		       struct input_failure *f)
{
	struct arc_level *l = &in->arcs[in->narcs - 1];
	struct archive_entry *e;
	int r;

	/* a spooled member that was not an archive after all */
	if (in->fd >= 0) {
		close(in->fd);
		in->fd = -1;
	}
	in->cur_ar = NULL;
	if (l->pending) {
		l->pending = 0;
		e = l->entry;
		r = ARCHIVE_OK;
	} else {
		r = archive_read_next_header(l->ar, &e);
	}
	if (r == ARCHIVE_EOF) {
		pop_archive(in);
		return -1;
	}
	in->member.len = l->member_len;
	in->member.data[in->member.len] = '\0';
	if (r < ARCHIVE_WARN) {
		fail(in, f, "archive-error", "after member %s: %s",
		     in->member.len ? in->member.data : "(none)",
		     archive_error_string(l->ar));
		pop_archive(in);
		return 2;
	}
	put_entry_name(in, l->ar, e);
	if (archive_entry_filetype(e) == AE_IFDIR)
		return -1;
	if (archive_entry_filetype(e) != AE_IFREG) {
		fail(in, f, "not-a-file", "archive member is not a regular "
		     "file (type %o)", (unsigned)archive_entry_filetype(e));
		return 2;
	}
	if (archive_entry_is_encrypted(e)) {
		fail(in, f, "encrypted", "archive member is encrypted");
		return 2;
	}
	in->cur_ar = l->ar;
	in->maildir_time = maildir_time_of(in->member.data);
	in->mtime = archive_entry_mtime_is_set(e) ? archive_entry_mtime(e)
						   : (int64_t)in->st.st_mtime;
	return take_stream(in, u, f);
}

/* ---- files ---- */

/* Opens the file at in->path and takes its stream. */
static int open_file(struct input *in, struct input_unit *u,
		     struct input_failure *f)
{
	const char *name;
	int dfd = at_dir(in, &name);

	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	in->fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (in->fd < 0 || fstat(in->fd, &in->st) != 0) {
		fail(in, f, "unreadable", "%s", strerror(errno));
		close_stream(in);
		return 2;
	}
	if (!S_ISREG(in->st.st_mode)) {
		fail(in, f, "not-a-file", "not a regular file");
		close_stream(in);
		return 2;
	}
	in->files++;
	in->maildir_time = maildir_time_of(in->path.data);
	in->mtime = (int64_t)in->st.st_mtime;
	return take_stream(in, u, f);
}

/* Handles directory entry e of the top level; returns like input_next, or
 * -1 to go on walking. */
static int visit(struct input *in, struct dir_level *l, struct input_unit *u,
		 struct input_failure *f)
{
	struct dir_entry *e = &l->e[l->i++];
	struct stat sb;

	set_path(in, l->pathlen, e->name);
	if (in->path.err) {
		fail(in, f, "path-too-long", "path too long");
		return 2;
	}
	if (e->is_dir)
		return push_dir(in, f) ? 2 : -1;
	if (e->is_link) {
		if (fstatat(l->fd, e->name, &sb, 0) != 0) {
			fail(in, f, "broken-symlink",
			     "symbolic link to nothing: %s", strerror(errno));
			return 2;
		}
		if (S_ISDIR(sb.st_mode)) {
			fail(in, f, "symlink-to-directory",
			     "symbolic link to a directory is not followed");
			return 2;
		}
	}
	return open_file(in, u, f);
}

static int start_root(struct input *in, struct input_unit *u,
		      struct input_failure *f)
{
	const char *root = in->roots[in->next_root++];
	char *abs = realpath(root, NULL);
	struct stat sb;

	/* Source paths are stored absolute, so that the same file ingested
	 * from another working directory is the same location. */
	set_path(in, 0, NULL);
	buf_puts(&in->path, abs ? abs : root);
	free(abs);
	while (in->path.len > 1 && in->path.data[in->path.len - 1] == '/')
		in->path.data[--in->path.len] = '\0';
	if (stat(in->path.data, &sb) != 0) {
		fail(in, f, "unreadable", "%s", strerror(errno));
		return 2;
	}
	if (S_ISDIR(sb.st_mode))
		return push_dir(in, f) ? 2 : -1;
	return open_file(in, u, f);
}

int input_next(struct input *in, struct input_unit *u,
	       struct input_failure *f)
{
	for (;;) {
		int r;

		if (in->in_mbox) {
			r = next_mbox(in, u, f);
			if (r)
				return r;
			mbox_reader_release(&in->mbox);
			in->in_mbox = 0;
		}
		if (in->narcs > 0) {
			r = next_member(in, u, f);
		} else {
			close_stream(in);
			if (in->depth > 0) {
				struct dir_level *l = &in->levels[in->depth - 1];

				if (l->i == l->n) {
					free_level(l);
					in->depth--;
					continue;
				}
				r = visit(in, l, u, f);
			} else if (in->next_root < in->nroots) {
				r = start_root(in, u, f);
			} else {
				return 0;
			}
		}
		if (r >= 0)
			return r;
	}
}

int input_init(struct input *in, const char *const *roots, size_t nroots)
{
	memset(in, 0, sizeof(*in));
	in->roots = roots;
	in->nroots = nroots;
	in->fd = -1;
	buf_init(&in->path, TRAWL_MAX_PATH);
	buf_init(&in->member, TRAWL_MAX_PATH * TRAWL_MAX_ARCHIVE_DEPTH);
	buf_puts(&in->member, "");
	buf_init(&in->data, TRAWL_MAX_UNIT_SIZE);
	in->levels = calloc(TRAWL_MAX_DIR_DEPTH, sizeof(*in->levels));
	in->arcs = calloc(TRAWL_MAX_ARCHIVE_DEPTH, sizeof(*in->arcs));
	return in->levels && in->arcs ? 0 : -1;
}

void input_release(struct input *in)
{
	if (in->in_mbox)
		mbox_reader_release(&in->mbox);
	in->in_mbox = 0;
	while (in->arcs && in->narcs)
		pop_archive(in);
	close_stream(in);
	for (int i = 0; i < in->depth; i++)
		free_level(&in->levels[i]);
	free(in->levels);
	free(in->arcs);
	buf_release(&in->path);
	buf_release(&in->member);
	buf_release(&in->data);
}
