/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * pack.c - append-only blob packs.
 *
 * Format (little-endian), also in docs/FORMAT.md:
 *
 *   pack file   = header record*
 *   header      = "TRAWLPK\0" (8) | version u32 = 1 | reserved u32 = 0
 *   record      = "TBLB" (4) | reserved u32 = 0 | sha256 (32)
 *                 | size u64 (original bytes) | clen u64 | payload (clen)
 *   payload     = zstd frames, each with its content size and checksum
 *                 (one, or an email's header then its body text's:
 *                 blob_compress_split)
 *
 * Packs are never rewritten in place except to cut off an uncommitted tail.
 * A record is found through the blobs table, never by scanning, but the
 * headers make a pack self-describing so that `trawl check` can verify it
 * and a lost database could be rebuilt from the packs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pack.h"
#include "io.h"
#include "bounds.h"
#include "banned.h"

/* Appends are gathered in memory up to this much before a write(). */
#define PACK_WBUF_SIZE ((size_t)1 << 20)

void pack_path(trawl_archive *a, uint32_t id, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/pack-%06u.tpk", a->blobdir, id);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/* Cuts pack id back to len bytes (the committed length). */
static trawl_status sweep_pack(trawl_archive *a, uint32_t id, uint64_t len)
{
	char path[TRAWL_MAX_PATH];
	struct stat sb;

	pack_path(a, id, path, sizeof(path));
	if (stat(path, &sb) != 0)
		return archive_fail(a, TRAWL_ERR_CORRUPT,
				    "%s: missing (the database records %llu "
				    "bytes in it)", path,
				    (unsigned long long)len);
	if ((uint64_t)sb.st_size < len)
		return archive_fail(a, TRAWL_ERR_CORRUPT,
				    "%s: %llu bytes, shorter than the %llu "
				    "committed", path,
				    (unsigned long long)sb.st_size,
				    (unsigned long long)len);
	if ((uint64_t)sb.st_size > len && truncate(path, (off_t)len) != 0)
		return archive_fail(a, TRAWL_ERR_IO, "%s: cannot cut back "
				    "uncommitted tail: %s", path,
				    strerror(errno));
	return TRAWL_OK;
}

/* Removes pack files newer than the newest committed pack. */
static trawl_status sweep_unknown(trawl_archive *a, uint32_t newest)
{
	DIR *d = opendir(a->blobdir);
	struct dirent *e;
	trawl_status st = TRAWL_OK;

	if (!d)
		return archive_fail(a, TRAWL_ERR_IO, "%s: %s", a->blobdir,
				    strerror(errno));
	while ((e = readdir(d))) {
		unsigned id;
		char tail[8], path[TRAWL_MAX_PATH];

		if (sscanf(e->d_name, "pack-%6u.tp%1s", &id, tail) != 2 ||
		    id <= newest)
			continue;
		pack_path(a, id, path, sizeof(path));
		if (unlink(path) != 0 && errno != ENOENT) {
			st = archive_fail(a, TRAWL_ERR_IO, "%s: %s", path,
					  strerror(errno));
			break;
		}
	}
	closedir(d);
	return st;
}

static trawl_status open_pack(struct pack_writer *w, uint32_t id, int create)
{
	char path[TRAWL_MAX_PATH];
	trawl_archive *a = w->a;
	uint8_t hdr[PACK_HEADER_SIZE] = { 0 };
	struct stat sb;

	pack_path(a, id, path, sizeof(path));
	w->fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0),
		     0644);
	if (w->fd < 0)
		return archive_fail(a, TRAWL_ERR_IO, "%s: %s", path,
				    strerror(errno));
	w->id = id;
	if (create) {
		memcpy(hdr, PACK_MAGIC, 8);
		put_u32(hdr + 8, PACK_VERSION);
		if (io_write_all(w->fd, hdr, sizeof(hdr)) != 0 ||
		    fsync_dir(a->blobdir) != 0)
			return archive_fail(a, TRAWL_ERR_IO, "%s: %s", path,
					    strerror(errno));
		w->len = PACK_HEADER_SIZE;
		return TRAWL_OK;
	}
	if (fstat(w->fd, &sb) != 0)
		return archive_fail(a, TRAWL_ERR_IO, "%s: %s", path,
				    strerror(errno));
	w->len = (uint64_t)sb.st_size;
	if (lseek(w->fd, 0, SEEK_END) < 0)
		return archive_fail(a, TRAWL_ERR_IO, "%s: %s", path,
				    strerror(errno));
	return TRAWL_OK;
}

trawl_status pack_writer_open(struct pack_writer *w, trawl_archive *a)
{
	sqlite3_stmt *q = NULL;
	trawl_status st;
	uint32_t newest = 0;
	int rc;

	memset(w, 0, sizeof(*w));
	w->a = a;
	w->fd = w->prev_fd = -1;
	buf_init(&w->wbuf, PACK_WBUF_SIZE);
	st = db_prepare(a, "SELECT id, length FROM packs ORDER BY id", &q);
	while (!st && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		newest = (uint32_t)sqlite3_column_int64(q, 0);
		st = sweep_pack(a, newest, (uint64_t)sqlite3_column_int64(q, 1));
	}
	if (!st && rc != SQLITE_DONE)
		st = archive_db_fail(a, "reading packs");
	sqlite3_finalize(q);
	if (!st)
		st = sweep_unknown(a, newest);
	if (!st)
		st = newest ? open_pack(w, newest, 0) : open_pack(w, 1, 1);
	return st;
}

/* Writes the buffered appends to the current pack. */
static trawl_status flush_wbuf(struct pack_writer *w)
{
	if (w->wbuf.len && io_write_all(w->fd, w->wbuf.data, w->wbuf.len) != 0) {
		char path[TRAWL_MAX_PATH];

		pack_path(w->a, w->id, path, sizeof(path));
		return archive_fail(w->a, TRAWL_ERR_IO, "%s: write: %s", path,
				    strerror(errno));
	}
	buf_reset(&w->wbuf);
	return TRAWL_OK;
}

static trawl_status roll(struct pack_writer *w)
{
	trawl_status fst = flush_wbuf(w);

	if (fst)
		return fst;
	/* Keep the full pack open until the next sync makes it durable. */
	if (w->dirty_prev) {
		trawl_status st = pack_writer_sync(w);

		if (st)
			return st;
	}
	w->prev_fd = w->fd;
	w->prev_id = w->id;
	w->prev_len = w->len;
	w->dirty_prev = 1;
	w->fd = -1;
	return open_pack(w, w->id + 1, 1);
}

trawl_status pack_writer_append(struct pack_writer *w, const uint8_t sha[32],
				uint64_t size, const void *z, size_t zlen,
				uint32_t *pack, uint64_t *offset)
{
	uint8_t hdr[PACK_REC_HEADER_SIZE] = { 0 };
	trawl_status st;

	if (w->len > PACK_HEADER_SIZE && w->len + zlen > TRAWL_PACK_ROLL_SIZE &&
	    (st = roll(w)))
		return st;
	memcpy(hdr, PACK_REC_MAGIC, 4);
	memcpy(hdr + 8, sha, 32);
	put_u64(hdr + 40, size);
	put_u64(hdr + 48, zlen);
	if (w->wbuf.len + sizeof(hdr) + zlen > PACK_WBUF_SIZE &&
	    (st = flush_wbuf(w)))
		return st;
	if (sizeof(hdr) + zlen <= PACK_WBUF_SIZE) {
		buf_append(&w->wbuf, hdr, sizeof(hdr));
		buf_append(&w->wbuf, z, zlen);
	} else if (io_write_all(w->fd, hdr, sizeof(hdr)) != 0 ||
		   io_write_all(w->fd, z, zlen) != 0) {
		char path[TRAWL_MAX_PATH];

		pack_path(w->a, w->id, path, sizeof(path));
		return archive_fail(w->a, TRAWL_ERR_IO, "%s: write: %s", path,
				    strerror(errno));
	}
	*pack = w->id;
	*offset = w->len;
	w->len += sizeof(hdr) + zlen;
	return TRAWL_OK;
}

trawl_status pack_writer_sync(struct pack_writer *w)
{
	trawl_status st = flush_wbuf(w);

	if (st)
		return st;
	if (w->dirty_prev && w->prev_fd >= 0) {
		if (fdatasync(w->prev_fd) != 0)
			return archive_fail(w->a, TRAWL_ERR_IO,
					    "pack %u: fdatasync: %s", w->prev_id,
					    strerror(errno));
	}
	if (w->fd >= 0 && fdatasync(w->fd) != 0)
		return archive_fail(w->a, TRAWL_ERR_IO, "pack %u: fdatasync: %s",
				    w->id, strerror(errno));
	return TRAWL_OK;
}

static trawl_status record_len(struct pack_writer *w, uint32_t id,
			       uint64_t len)
{
	sqlite3_stmt *q = NULL;
	trawl_status st = db_prepare(w->a, "INSERT OR REPLACE INTO packs"
				     "(id, length) VALUES(?, ?)", &q);

	if (!st) {
		sqlite3_bind_int64(q, 1, id);
		sqlite3_bind_int64(q, 2, (sqlite3_int64)len);
		if (sqlite3_step(q) != SQLITE_DONE)
			st = archive_db_fail(w->a, "recording pack length");
	}
	sqlite3_finalize(q);
	return st;
}

trawl_status pack_writer_record(struct pack_writer *w)
{
	trawl_status st = TRAWL_OK;

	if (w->dirty_prev) {
		st = record_len(w, w->prev_id, w->prev_len);
		if (w->prev_fd >= 0)
			close(w->prev_fd);
		w->prev_fd = -1;
		w->dirty_prev = 0;
	}
	if (!st && w->fd >= 0)
		st = record_len(w, w->id, w->len);
	return st;
}

void pack_writer_close(struct pack_writer *w)
{
	buf_release(&w->wbuf); /* unsynced appends are uncommitted: dropped */
	if (w->fd >= 0)
		close(w->fd);
	if (w->prev_fd >= 0)
		close(w->prev_fd);
	w->fd = w->prev_fd = -1;
}

trawl_status pack_read(trawl_archive *a, uint32_t pack, uint64_t offset,
		       uint64_t clen, uint64_t size, const uint8_t sha[32],
		       void **z)
{
	char path[TRAWL_MAX_PATH];
	uint8_t hdr[PACK_REC_HEADER_SIZE];
	int fd;
	trawl_status st = TRAWL_ERR_CORRUPT;
	void *data = NULL;

	*z = NULL;
	pack_path(a, pack, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return archive_fail(a, errno == ENOENT ? TRAWL_ERR_CORRUPT
						       : TRAWL_ERR_IO,
				    "%s: %s", path, strerror(errno));
	if (clen > TRAWL_MAX_FRAME) {
		archive_fail(a, st, "%s@%llu: record too large", path,
			     (unsigned long long)offset);
		goto out;
	}
	if (io_pread_all(fd, hdr, PACK_HEADER_SIZE, 0) != 0 ||
	    memcmp(hdr, PACK_MAGIC, 8) != 0 ||
	    get_u64(hdr + 8) != PACK_VERSION) {
		archive_fail(a, st, "%s: not a trawl pack, or version %llu",
			     path, (unsigned long long)(get_u64(hdr + 8) &
							0xffffffffu));
		goto out;
	}
	if (io_pread_all(fd, hdr, sizeof(hdr), offset) != 0 ||
	    memcmp(hdr, PACK_REC_MAGIC, 4) != 0 ||
	    (hdr[4] | hdr[5] | hdr[6] | hdr[7]) != 0 ||
	    get_u64(hdr + 40) != size ||
	    memcmp(hdr + 8, sha, 32) != 0 || get_u64(hdr + 48) != clen) {
		char hex[65];

		hex_encode(sha, 32, hex);
		archive_fail(a, st, "%s@%llu: the record header does not match "
			     "blob %s", path, (unsigned long long)offset, hex);
		goto out;
	}
	data = malloc(clen ? clen : 1);
	if (!data) {
		st = archive_fail(a, TRAWL_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (io_pread_all(fd, data, clen, offset + sizeof(hdr)) != 0) {
		archive_fail(a, st, "%s@%llu: blob record cut short", path,
			     (unsigned long long)offset);
		goto out;
	}
	*z = data;
	data = NULL;
	st = TRAWL_OK;
out:
	free(data);
	close(fd);
	return st;
}

/* The pack's file, opened and its header checked (or kept from before,
 * unless fresh): an fd, or -1 with *st and a's error set. */
static int pack_fd(trawl_archive *a, uint32_t pack, int fresh,
		   trawl_status *st)
{
	unsigned n = ARRAY_SIZE(a->packfd), i;
	char path[TRAWL_MAX_PATH];
	uint8_t hdr[PACK_HEADER_SIZE];
	int fd;

	for (i = 0; i < n; i++)
		if (a->packfd[i].fd1 && a->packfd[i].id == pack) {
			if (!fresh)
				return a->packfd[i].fd1 - 1;
			close(a->packfd[i].fd1 - 1);
			a->packfd[i].fd1 = 0;
			break;
		}
	if (i == n) {
		i = a->packfd_next++ % n;
		if (a->packfd[i].fd1)
			close(a->packfd[i].fd1 - 1);
		a->packfd[i].fd1 = 0;
	}
	pack_path(a, pack, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*st = archive_fail(a, errno == ENOENT ? TRAWL_ERR_CORRUPT
						      : TRAWL_ERR_IO,
				   "%s: %s", path, strerror(errno));
		return -1;
	}
	if (io_pread_all(fd, hdr, sizeof(hdr), 0) != 0 ||
	    memcmp(hdr, PACK_MAGIC, 8) != 0 ||
	    get_u64(hdr + 8) != PACK_VERSION) {
		*st = archive_fail(a, TRAWL_ERR_CORRUPT, "%s: not a trawl "
				   "pack, or version %llu", path,
				   (unsigned long long)(get_u64(hdr + 8) &
							0xffffffffu));
		close(fd);
		return -1;
	}
	a->packfd[i].id = pack;
	a->packfd[i].fd1 = fd + 1;
	return fd;
}

void pack_close_all(trawl_archive *a)
{
	for (size_t i = 0; i < ARRAY_SIZE(a->packfd); i++) {
		if (a->packfd[i].fd1)
			close(a->packfd[i].fd1 - 1);
		a->packfd[i].fd1 = 0;
	}
}

trawl_status pack_read_buf(trawl_archive *a, uint32_t pack, uint64_t offset,
			   uint64_t clen, uint64_t size, const uint8_t sha[32],
			   struct buf *out, const void **z)
{
	size_t at = out->len;
	uint8_t *p;

	if (clen > TRAWL_MAX_FRAME)
		return archive_fail(a, TRAWL_ERR_CORRUPT, "pack %u@%llu: record "
				    "too large", pack,
				    (unsigned long long)offset);
	if (!(p = (uint8_t *)buf_reserve(out, PACK_REC_HEADER_SIZE + clen)))
		return archive_fail(a, out->err, "pack %u@%llu: no room for "
				    "the record", pack,
				    (unsigned long long)offset);
	/* a kept fd that reads wrong is opened afresh once: the pack may
	 * have been replaced since (an uncommitted one cut off and made
	 * again) */
	for (int fresh = 0; fresh < 2; fresh++) {
		trawl_status st = TRAWL_OK;
		int fd = pack_fd(a, pack, fresh, &st);

		if (fd < 0)
			return st;
		if (io_pread_all(fd, p, PACK_REC_HEADER_SIZE + clen,
				 offset) == 0 &&
		    memcmp(p, PACK_REC_MAGIC, 4) == 0 &&
		    (p[4] | p[5] | p[6] | p[7]) == 0 &&
		    get_u64(p + 40) == size && memcmp(p + 8, sha, 32) == 0 &&
		    get_u64(p + 48) == clen) {
			buf_commit(out, PACK_REC_HEADER_SIZE + clen);
			*z = out->data + at + PACK_REC_HEADER_SIZE;
			return TRAWL_OK;
		}
	}
	{
		char hex[65];

		hex_encode(sha, 32, hex);
		return archive_fail(a, TRAWL_ERR_CORRUPT, "pack %u@%llu: the "
				    "record does not match blob %s, or is cut "
				    "short", pack, (unsigned long long)offset,
				    hex);
	}
}
