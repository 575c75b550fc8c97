/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * pack.h - the blob store: append-only pack files under blobs/.
 *
 * Every original file, message and attachment is stored once, keyed by the
 * SHA-256 of its bytes, zstd-compressed, appended to the current pack file
 * blobs/pack-NNNNNN.tpk.  The blobs table of trawl.db maps a SHA-256 to
 * (pack, offset, clen); the packs table holds each pack's committed length.
 * Bytes past the committed length are the remains of an interrupted batch
 * and are cut off when the archive is next opened for writing.  The exact
 * bytes are described in docs/FORMAT.md.
 */
#ifndef TRAWL_PACK_H
#define TRAWL_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

#define PACK_MAGIC "TRAWLPK\0"
#define PACK_VERSION 1u
#define PACK_HEADER_SIZE 16u
#define PACK_REC_MAGIC "TBLB"
#define PACK_REC_HEADER_SIZE 56u

struct pack_writer {
	trawl_archive *a;
	int fd;             /* current pack, open for append, or -1 */
	uint32_t id;        /* its number */
	uint64_t len;       /* its length including uncommitted appends */
	int dirty_prev;     /* an earlier pack got appends this batch */
	int prev_fd;        /* that pack, kept open until the next sync */
	uint32_t prev_id;
	uint64_t prev_len;
	struct buf wbuf;    /* appends not yet written to fd */
};

/* Opens the newest pack for appending, after cutting every pack back to
 * its committed length and removing packs the database does not know. */
trawl_status pack_writer_open(struct pack_writer *w, trawl_archive *a);
/* Appends one compressed blob; *pack and *offset say where it went. */
trawl_status pack_writer_append(struct pack_writer *w, const uint8_t sha[32],
				uint64_t size, const void *z, size_t zlen,
				uint32_t *pack, uint64_t *offset);
/* Makes every append so far durable (fdatasync) and records the packs'
 * lengths in the packs table, inside the caller's open transaction. */
trawl_status pack_writer_sync(struct pack_writer *w);
trawl_status pack_writer_record(struct pack_writer *w);
void pack_writer_close(struct pack_writer *w);

/* Reads and checks the record at (pack, offset) and returns its compressed
 * payload in *z (malloc'd, caller frees), after validating the pack header
 * and the record header against sha, size and clen. */
trawl_status pack_read(trawl_archive *a, uint32_t pack, uint64_t offset,
		       uint64_t clen, uint64_t size, const uint8_t sha[32],
		       void **z);

/* pack_read for the hot read paths: the record header and payload in
 * one read, appended to out, the payload at *z (valid until out next
 * changes); the pack file is kept open in a until pack_close_all. */
trawl_status pack_read_buf(trawl_archive *a, uint32_t pack, uint64_t offset,
			   uint64_t clen, uint64_t size, const uint8_t sha[32],
			   struct buf *out, const void **z);
void pack_close_all(trawl_archive *a);

/* Path of pack id in out. */
void pack_path(trawl_archive *a, uint32_t id, char *out, size_t outlen);

#endif
