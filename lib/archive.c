/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * archive.c - opening and closing an archive directory.
 *
 *   DIR/trawl.db   SQLite database (WAL): the commit point
 *   DIR/blobs/     pack files of originals and attachments
 *   DIR/lock       flock()ed by the one writer
 *
 * Readers open the database read-only and take no lock: WAL lets them run
 * beside a writer, each seeing the last committed batch.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "internal.h"
#include "pack.h"
#include "segment.h"
#include "threadmap.h"
#include "bounds.h"
#include "banned.h"

trawl_status archive_fail(trawl_archive *a, trawl_status st, const char *fmt,
			  ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	buf_reset(&a->err);
	buf_puts(&a->err, msg);
	return st;
}

trawl_status archive_db_fail(trawl_archive *a, const char *what)
{
	return archive_fail(a, TRAWL_ERR_DB, "%s/trawl.db: %s: %s", a->dir, what,
			    sqlite3_errmsg(a->db));
}

const char *trawl_archive_errmsg(const trawl_archive *a)
{
	if (!a)
		return "out of memory";
	return a->err.data ? a->err.data : "";
}

void hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static trawl_status make_dir(trawl_archive *a, const char *path, int create)
{
	struct stat sb;

	if (stat(path, &sb) == 0) {
		if (S_ISDIR(sb.st_mode))
			return TRAWL_OK;
		return archive_fail(a, TRAWL_ERR_INVALID,
				    "%s: exists and is not a directory", path);
	}
	if (!create)
		return archive_fail(a, TRAWL_ERR_NOT_FOUND,
				    "%s: no archive here (%s)", path,
				    strerror(errno));
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return archive_fail(a, TRAWL_ERR_IO, "%s: cannot create: %s",
				    path, strerror(errno));
	return TRAWL_OK;
}

static trawl_status take_lock(trawl_archive *a)
{
	char *path = join(a->dir, "lock");
	trawl_status st = TRAWL_OK;

	if (!path)
		return TRAWL_ERR_NOMEM;
	a->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (a->lock_fd < 0)
		st = archive_fail(a, TRAWL_ERR_IO, "%s: %s", path,
				  strerror(errno));
	else if (flock(a->lock_fd, LOCK_EX | LOCK_NB) != 0)
		st = archive_fail(a, errno == EWOULDBLOCK ? TRAWL_ERR_LOCKED
							  : TRAWL_ERR_IO,
				  "%s: another trawl is writing to this "
				  "archive (%s)", a->dir, strerror(errno));
	free(path);
	return st;
}

/* Removes index/ files that no live segment owns (a flush or merge that
 * a crash interrupted before its commit, or segments merged away) and
 * thread maps but the current one. */
trawl_status archive_sweep_index(trawl_archive *a)
{
	sqlite3_stmt *q = NULL;
	int64_t gen = 0;
	uint64_t map_gen;
	trawl_status st;
	struct dirent *e;
	DIR *d;
	int fd;

	if ((st = db_prepare(a, "SELECT 1 FROM segments WHERE id = ?", &q)))
		return st;
	if (db_get_meta_int(a, "threads_map", &gen))
		gen = 0; /* no map yet */
	map_gen = (uint64_t)gen;
	fd = open(a->indexdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		sqlite3_finalize(q);
		return archive_fail(a, TRAWL_ERR_IO, "%s: %s", a->indexdir,
				    strerror(errno));
	}
	while ((e = readdir(d))) {
		uint64_t id;
		int live;

		if (e->d_name[0] == '.')
			continue;
		if (seg_parse_name(e->d_name, &id)) {
			sqlite3_bind_int64(q, 1, (sqlite3_int64)id);
			live = sqlite3_step(q) == SQLITE_ROW;
			sqlite3_reset(q);
			if (live)
				continue;
		}
		if (threadmap_parse_name(e->d_name, &id) && id == map_gen)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) && errno != ENOENT) {
			st = archive_fail(a, TRAWL_ERR_IO, "%s/%s: %s",
					  a->indexdir, e->d_name,
					  strerror(errno));
			break;
		}
	}
	closedir(d);
	sqlite3_finalize(q);
	return st;
}

/* What an interrupted writer may leave: a pack tail past its committed
 * length, or a pack the database never recorded.  Opening the pack writer
 * sweeps both; we do it here so every writer starts clean. */
static trawl_status sweep(trawl_archive *a)
{
	struct pack_writer w;
	trawl_status st = pack_writer_open(&w, a);

	pack_writer_close(&w);
	if (!st)
		st = archive_purge_pending(a);
	return st ? st : archive_sweep_index(a);
}

static trawl_status do_open(trawl_archive *a, const char *dir, unsigned flags)
{
	int create = (flags & TRAWL_OPEN_CREATE) && (flags & TRAWL_OPEN_WRITE);
	char *dbpath = NULL;
	trawl_status st;

	a->dir = strdup(dir);
	a->blobdir = join(dir, "blobs");
	a->indexdir = join(dir, "index");
	dbpath = join(dir, "trawl.db");
	if (!a->dir || !a->blobdir || !a->indexdir || !dbpath) {
		st = archive_fail(a, TRAWL_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((st = make_dir(a, a->dir, create)) ||
	    (st = make_dir(a, a->blobdir, create)))
		goto out;
	/* index/ came with schema 3: an older archive gets it when opened
	 * for writing */
	if ((st = make_dir(a, a->indexdir,
			   create || (flags & TRAWL_OPEN_WRITE))))
		goto out;
	if ((flags & TRAWL_OPEN_WRITE) && (st = take_lock(a)))
		goto out;
	if (!create && access(dbpath, F_OK) != 0) {
		st = archive_fail(a, TRAWL_ERR_NOT_FOUND,
				  "%s: no archive here (no trawl.db)", dir);
		goto out;
	}
	if ((st = db_open(a, dbpath, create)))
		goto out;
	if (flags & TRAWL_OPEN_WRITE)
		st = sweep(a);
out:
	free(dbpath);
	return st;
}

trawl_status trawl_archive_open(const char *dir, unsigned flags,
				trawl_archive **out)
{
	trawl_archive *a = calloc(1, sizeof(*a));

	*out = a;
	if (!a)
		return TRAWL_ERR_NOMEM;
	a->flags = flags;
	a->lock_fd = -1;
	buf_init(&a->err, 4096);
	buf_init(&a->zbuf, TRAWL_MAX_FRAME + 64);
	if (!dir || !*dir)
		return archive_fail(a, TRAWL_ERR_INVALID, "no archive path");
	return do_open(a, dir, flags);
}

trawl_status trawl_archive_read_begin(trawl_archive *a)
{
	if (!a->db || (a->flags & TRAWL_OPEN_WRITE) ||
	    !sqlite3_get_autocommit(a->db))
		return archive_fail(a, TRAWL_ERR_INVALID, "a read snapshot "
				    "needs a reader outside a transaction");
	if (sqlite3_exec(a->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return archive_db_fail(a, "beginning a read snapshot");
	a->snapshot = 1;
	return TRAWL_OK;
}

void trawl_archive_read_end(trawl_archive *a)
{
	if (a && a->snapshot) {
		sqlite3_exec(a->db, "COMMIT", NULL, NULL, NULL);
		a->snapshot = 0;
	}
}

struct ZSTD_DCtx_s *archive_dctx(trawl_archive *a)
{
	if (!a->dctx)
		a->dctx = ZSTD_createDCtx();
	return a->dctx;
}

void trawl_archive_close(trawl_archive *a)
{
	if (!a)
		return;
	ZSTD_freeDCtx(a->dctx);
	pack_close_all(a);
	buf_release(&a->zbuf);
	if (a->db) {
		db_cache_clear(a);
		sqlite3_close_v2(a->db);
	}
	if (a->lock_fd >= 0)
		close(a->lock_fd);
	free(a->dir);
	free(a->blobdir);
	free(a->indexdir);
	free(a->reason);
	buf_release(&a->err);
	free(a);
}
