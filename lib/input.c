/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* input.c - sorted tree walk, file sniffing, mbox splitting. */
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

struct dir_entry {
	char *name;
	char *key;   /* name, with '/' appended for directories */
	int is_dir;
};

struct dir_level {
	struct dir_entry *e;
	size_t n, i;
	size_t pathlen; /* length of the directory's path in in->path */
};

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
	memset(l, 0, sizeof(*l));
}

static void fail(struct input_failure *f, const char *path, const char *code,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void fail(struct input_failure *f, const char *path, const char *code,
		 const char *fmt, ...)
{
	va_list ap;

	f->path = path;
	f->member = NULL;
	f->offset = f->length = -1;
	f->code = code;
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
}

/* Reads and sorts directory in->path as a new level.  0, or -1 with *f. */
static int push_dir(struct input *in, struct input_failure *f)
{
	struct dir_level *l;
	DIR *d;
	struct dirent *de;
	size_t cap = 0;

	if (in->depth >= TRAWL_MAX_DIR_DEPTH) {
		fail(f, in->path.data, "too-deep", "directories nested deeper "
		     "than %d are not walked", TRAWL_MAX_DIR_DEPTH);
		return -1;
	}
	d = opendir(in->path.data);
	if (!d) {
		fail(f, in->path.data, "unreadable", "cannot read directory: %s",
		     strerror(errno));
		return -1;
	}
	l = &in->levels[in->depth];
	memset(l, 0, sizeof(*l));
	l->pathlen = in->path.len;
	while ((de = readdir(d))) {
		struct dir_entry *e;
		struct stat sb;
		char *full;
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
		full = malloc(in->path.len + nlen + 2);
		if (!e->name || !e->key || !full) {
			free(e->name);
			free(e->key);
			free(full);
			break;
		}
		snprintf(full, in->path.len + nlen + 2, "%s/%s", in->path.data,
			 de->d_name);
		/* Directories (not symlinks to them) sort as "name/". */
		e->is_dir = lstat(full, &sb) == 0 && S_ISDIR(sb.st_mode);
		free(full);
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

	if (plen < 5 || path[plen - 1] != '/')
		return INT64_MIN;
	if (!(plen >= 4 && (!strncmp(path + plen - 4, "cur/", 4) ||
			    !strncmp(path + plen - 4, "new/", 4) ||
			    !strncmp(path + plen - 4, "tmp/", 4))))
		return INT64_MIN;
	if (plen > 4 && path[plen - 5] != '/')
		return INT64_MIN;
	t = maildir_name_time(name);
	return t < 0 ? INT64_MIN : t;
}

static void close_file(struct input *in)
{
	if (in->in_mbox)
		mbox_reader_release(&in->mbox);
	in->in_mbox = 0;
	if (in->fd >= 0)
		close(in->fd);
	in->fd = -1;
}

static ssize_t mbox_read(void *ctx, void *dst, size_t len)
{
	struct input *in = ctx;
	ssize_t n;

	if (in->prefix_off < in->prefix_len) {
		size_t k = in->prefix_len - in->prefix_off;

		if (k > len)
			k = len;
		memcpy(dst, in->prefix + in->prefix_off, k);
		in->prefix_off += k;
		return (ssize_t)k;
	}
	do
		n = read(in->fd, dst, len);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		in->bytes += (uint64_t)n;
	return n;
}

static ssize_t read_some(int fd, char *dst, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, dst + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static void unit_common(struct input *in, struct input_unit *u)
{
	memset(u, 0, sizeof(*u));
	u->path = in->path.data;
	u->name = base_name(in->path.data);
	u->offset = u->length = -1;
	u->from_time = INT64_MIN;
	u->maildir_time = in->maildir_time;
	u->mtime = (int64_t)in->st.st_mtime;
}

/* The next message of the open mbox: 1, 2 (failure) or 0 (file done). */
static int next_mbox(struct input *in, struct input_unit *u,
		     struct input_failure *f)
{
	struct mbox_msg m;
	int r = mbox_reader_next(&in->mbox, &m);

	if (r == 0)
		return 0;
	if (r < 0) {
		fail(f, in->path.data, "read-error", "reading mbox: %s",
		     strerror(errno));
		return 2;
	}
	if (m.truncated) {
		fail(f, in->path.data, "too-large", "message larger than "
		     "%zu bytes", (size_t)TRAWL_MAX_UNIT_SIZE);
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

/* Opens the file at in->path: an mbox starts splitting, anything else is
 * read whole as one unit. */
static int open_file(struct input *in, struct input_unit *u,
		     struct input_failure *f)
{
	ssize_t n;
	char *p;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	in->fd = open(in->path.data, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (in->fd < 0 || fstat(in->fd, &in->st) != 0) {
		fail(f, in->path.data, "unreadable", "%s", strerror(errno));
		close_file(in);
		return 2;
	}
	if (!S_ISREG(in->st.st_mode)) {
		fail(f, in->path.data, "not-a-file", "not a regular file");
		close_file(in);
		return 2;
	}
	in->files++;
	in->maildir_time = maildir_time_of(in->path.data);
	n = read_some(in->fd, in->prefix, sizeof(in->prefix));
	if (n < 0) {
		fail(f, in->path.data, "read-error", "%s", strerror(errno));
		close_file(in);
		return 2;
	}
	in->bytes += (uint64_t)n;
	if (mbox_sniff(in->prefix, (size_t)n)) {
		in->prefix_len = (size_t)n;
		in->prefix_off = 0;
		mbox_reader_init(&in->mbox, mbox_read, in, TRAWL_MAX_UNIT_SIZE);
		in->in_mbox = 1;
		return -1; /* caller continues with next_mbox */
	}
	if ((uint64_t)in->st.st_size > TRAWL_MAX_UNIT_SIZE) {
		fail(f, in->path.data, "too-large", "file of %lld bytes is "
		     "larger than %zu", (long long)in->st.st_size,
		     (size_t)TRAWL_MAX_UNIT_SIZE);
		close_file(in);
		return 2;
	}
	buf_reset(&in->data);
	buf_append(&in->data, in->prefix, (size_t)n);
	while (n > 0 && !in->data.err) {
		p = buf_reserve(&in->data, 1 << 16);
		if (!p)
			break;
		n = read_some(in->fd, p, 1 << 16);
		if (n > 0) {
			buf_commit(&in->data, (size_t)n);
			in->bytes += (uint64_t)n;
		}
	}
	if (n < 0 || in->data.err) {
		fail(f, in->path.data, in->data.err ? "too-large" : "read-error",
		     "%s", in->data.err ? "file grew past the size limit"
					: strerror(errno));
		close_file(in);
		return 2;
	}
	close_file(in);
	unit_common(in, u);
	u->data = in->data.data ? in->data.data : "";
	u->len = in->data.len;
	u->hint = JOB_HINT_AUTO;
	return 1;
}

/* Handles directory entry e of the top level; returns like input_next, or
 * -1 to go on walking. */
static int visit(struct input *in, struct dir_level *l, struct input_unit *u,
		 struct input_failure *f)
{
	struct dir_entry *e = &l->e[l->i++];
	struct stat sb;
	int r;

	set_path(in, l->pathlen, e->name);
	if (in->path.err) {
		fail(f, in->path.data, "path-too-long", "path too long");
		return 2;
	}
	if (e->is_dir)
		return push_dir(in, f) ? 2 : -1;
	if (lstat(in->path.data, &sb) == 0 && S_ISLNK(sb.st_mode)) {
		if (stat(in->path.data, &sb) != 0) {
			fail(f, in->path.data, "broken-symlink",
			     "symbolic link to nothing: %s", strerror(errno));
			return 2;
		}
		if (S_ISDIR(sb.st_mode)) {
			fail(f, in->path.data, "symlink-to-directory",
			     "symbolic link to a directory is not followed");
			return 2;
		}
	}
	r = open_file(in, u, f);
	if (r == -1)
		r = next_mbox(in, u, f);
	if (r == 0) {
		close_file(in);
		return -1;
	}
	return r;
}

static int start_root(struct input *in, struct input_unit *u,
		      struct input_failure *f)
{
	const char *root = in->roots[in->next_root++];
	struct stat sb;
	int r;

	char *abs = realpath(root, NULL);

	/* Source paths are stored absolute, so that the same file ingested
	 * from another working directory is the same location. */
	set_path(in, 0, NULL);
	buf_puts(&in->path, abs ? abs : root);
	free(abs);
	while (in->path.len > 1 && in->path.data[in->path.len - 1] == '/')
		in->path.data[--in->path.len] = '\0';
	if (stat(in->path.data, &sb) != 0) {
		fail(f, in->path.data, "unreadable", "%s", strerror(errno));
		return 2;
	}
	if (S_ISDIR(sb.st_mode))
		return push_dir(in, f) ? 2 : -1;
	r = open_file(in, u, f);
	if (r == -1)
		r = next_mbox(in, u, f);
	if (r == 0) {
		close_file(in);
		return -1;
	}
	return r;
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
			close_file(in);
		}
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
	buf_init(&in->data, TRAWL_MAX_UNIT_SIZE);
	in->levels = calloc(TRAWL_MAX_DIR_DEPTH, sizeof(*in->levels));
	return in->levels ? 0 : -1;
}

void input_release(struct input *in)
{
	close_file(in);
	for (int i = 0; i < in->depth; i++)
		free_level(&in->levels[i]);
	free(in->levels);
	buf_release(&in->path);
	buf_release(&in->data);
}
