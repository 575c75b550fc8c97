/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * internal.h - what the library's own files share: the archive handle's
 * layout and the error-message helper.  Not installed; not for clients.
 */
#ifndef TRAWL_INTERNAL_H
#define TRAWL_INTERNAL_H

#include <sqlite3.h>
#include <stdint.h>

#include "buf.h"
#include "trawl.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* A macro's value as a string literal. */
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

struct trawl_archive {
	char *dir;        /* the archive directory */
	char *blobdir;    /* dir/blobs */
	char *indexdir;   /* dir/index */
	sqlite3 *db;
	unsigned flags;   /* TRAWL_OPEN_* */
	int lock_fd;      /* flock()ed dir/lock when writing, else -1 */
	struct buf err;   /* last error message */
	char *reason;     /* trawl_removed_reason's answer */
	/* prepared statements of the hot read paths, by the address of
	 * their SQL text (db_cached) */
	struct db_cache {
		const char *sql;
		sqlite3_stmt *st;
	} cache[16];
	size_t ncache;
	struct ZSTD_DCtx_s *dctx; /* archive_dctx */
	/* pack files kept open for reading (pack.c, pack_read_buf): fd + 1,
	 * 0 when the slot is free */
	struct {
		uint32_t id;
		int fd1;
	} packfd[4];
	unsigned packfd_next; /* the slot to reuse next */
	struct buf zbuf;  /* pack_read_buf's bytes for blob_read_tail */
	int snapshot;     /* in trawl_archive_read_begin's transaction */
};

/* Sets a's error message (printf-style) and returns st, so that callers
 * can write `return archive_fail(a, TRAWL_ERR_IO, "...", ...)`. */
trawl_status archive_fail(trawl_archive *a, trawl_status st, const char *fmt,
			  ...) __attribute__((format(printf, 3, 4)));
/* archive_fail() with SQLite's message for the last error on a->db. */
trawl_status archive_db_fail(trawl_archive *a, const char *what);

/* A zstd decompression context kept for the life of a (allocating one
 * per call costs more than a small body's decompression); NULL when
 * memory ran out (callers then pass NULL to blob_decompress). */
struct ZSTD_DCtx_s *archive_dctx(trawl_archive *a);

/* Punches blobs of removed items out of their packs (remove.c). */
trawl_status archive_purge_pending(trawl_archive *a);
/* Removes index/ files no live segment owns (archive.c). */
trawl_status archive_sweep_index(trawl_archive *a);

/* db.c: schema creation and migrations (see docs/FORMAT.md). */
#define TRAWL_SCHEMA_VERSION 8
/* The oldest version a reader opens as it is, unmigrated: 5 differs from
 * 6 and 7 only in what they may write (two-frame body texts; bodies
 * stored as their originals' tails) */
#define TRAWL_SCHEMA_READ_FROM 5
/* items.addrs_brief holds the first ITEM_BRIEF_ADDRS of each role
 * (TRAWL_BRIEF_ADDRS, what a brief load shows) */
#define ITEM_BRIEF_ADDRS 10 /* a format constant: docs/FORMAT.md */
_Static_assert(TRAWL_BRIEF_ADDRS == ITEM_BRIEF_ADDRS,
	       "a brief load reads addrs_brief alone");
trawl_status db_open(trawl_archive *a, const char *path, int create);
trawl_status db_exec(trawl_archive *a, const char *sql);
/* Prepares sql, or fails with the message set on a. */
trawl_status db_prepare(trawl_archive *a, const char *sql, sqlite3_stmt **st);
/* A prepared statement kept for the life of a: sql must be a string
 * literal (its address is the key).  Hand it back with db_done, never
 * sqlite3_finalize.  Falls back to a fresh statement when the cache is
 * full (db_done then finalizes it). */
trawl_status db_cached(trawl_archive *a, const char *sql, sqlite3_stmt **st);
void db_done(trawl_archive *a, sqlite3_stmt *st);
/* Finalizes the cached statements (before closing a->db). */
void db_cache_clear(trawl_archive *a);
/* meta table values that are integers. */
trawl_status db_get_meta_int(trawl_archive *a, const char *key, int64_t *v);
trawl_status db_get_unindexed_from(trawl_archive *a, int64_t *v);
trawl_status db_set_meta_int(trawl_archive *a, const char *key, int64_t v);

/* Hex encoding of n bytes into out (2n+1 bytes). */
void hex_encode(const uint8_t *in, size_t n, char *out);

#endif
