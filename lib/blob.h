/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * blob.h - hashing and compression of stored bytes, and reading blobs back.
 */
#ifndef TRAWL_BLOB_H
#define TRAWL_BLOB_H

#include <stddef.h>
#include <stdint.h>

#include <zstd.h>

#include "internal.h"

/* Originals and attachments: level 1 (on Enron's mail 231 MB/s against
 * level 3's 166, for 2% more bytes).  Body texts: level 1 too; against
 * level 3, on Enron (2026-11-29, SHA-NI machine), 0.5 s less CPU in an
 * ingest of 10 s, 3.7 MB more in trawl.db (+7% of the bodies), and the
 * search hits' bodies decode no slower (the query set's end-to-end
 * search 0-5% faster). */
#define BLOB_ZSTD_LEVEL 1
#define BLOB_ZSTD_LEVEL_TEXT 1

void blob_sha256(const void *data, size_t len, uint8_t out[32]);
void blob_md5(const void *data, size_t len, uint8_t out[16]);
/* Appends one zstd frame (with content size and checksum; level
 * BLOB_ZSTD_LEVEL) to out. */
trawl_status blob_compress(const void *data, size_t len, struct buf *out);
/* The same for a body text, at BLOB_ZSTD_LEVEL_TEXT: a text under
 * BLOB_TEXT_RAW_LITERALS bytes keeps its literals uncompressed (no Huffman
 * table to read back), which decodes about twice as fast for a quarter
 * more bytes; a longer one has its literals compressed too.  A text longer
 * than BLOB_TEXT_HEAD bytes is two frames, its first BLOB_TEXT_HEAD bytes
 * and the rest, so that a search hit's snippet (which looks at no more,
 * TRAWL_BRIEF_BODY) decodes only the first: one frame would decode a
 * whole 128 KiB zstd block to give 64 KiB. */
#define BLOB_TEXT_RAW_LITERALS ((size_t)16 << 10)
#define BLOB_TEXT_HEAD ((size_t)TRAWL_BRIEF_BODY)
trawl_status blob_compress_text(const void *data, size_t len,
				struct buf *out);
/* An email's original whose last `tail` bytes are its body text, stored
 * by reference (docs/FORMAT.md, items.body): its first len - tail bytes
 * as blob_compress does, then the tail as blob_compress_text does, so
 * that a search hit decodes the body's own frames and nothing before
 * them.  tail 0 (or len): blob_compress. */
trawl_status blob_compress_split(const void *data, size_t len, size_t tail,
				 struct buf *out);
/* Whether z holds size bytes as blob_compress or blob_compress_text
 * writes them: one frame of size bytes, or (size > BLOB_TEXT_HEAD) a frame
 * of BLOB_TEXT_HEAD bytes then one of the rest, and nothing after; every
 * frame with its content size.  Reads frame and block headers only (no
 * decoding): 0 yes, -1 no. */
int blob_frames_check(const void *z, size_t zlen, uint64_t size);
/* The bytes the zstd frames z[0..zlen) hold together, from their headers
 * (no decoding); UINT64_MAX when zlen is not whole frames that each give
 * their content size. */
uint64_t blob_frames_size(const void *z, size_t zlen);
/* Decompresses z, which must hold size bytes as blob_frames_check says;
 * appends to out.  dctx: a context to reuse (archive_dctx), or NULL for a
 * fresh one. */
trawl_status blob_decompress(ZSTD_DCtx *dctx, const void *z, size_t zlen,
			     uint64_t size, struct buf *out);
/* The first `want` bytes (fewer when z holds fewer) of z, which holds
 * size bytes, appended to out; z is decoded only as far as needed (from a
 * text's first frame alone when want <= BLOB_TEXT_HEAD), so the checksum
 * of a frame not read to its end is not checked. */
trawl_status blob_decompress_head(ZSTD_DCtx *dctx, const void *z, size_t zlen,
				  uint64_t size, size_t want, struct buf *out);
/* The body text of an item stored as the last `tail` bytes of its
 * original, blob sha: its first `want` bytes (all when want >= tail)
 * appended to out.  Frames that end before the tail are passed over by
 * their headers; decoding starts at the frame the tail starts in.  dctx:
 * a context to reuse, or NULL. */
trawl_status blob_read_tail(trawl_archive *a, ZSTD_DCtx *dctx,
			    const uint8_t sha[32], uint64_t tail, size_t want,
			    struct buf *out);
/* An item's body text from its row: val, vlen (items.body), len
 * (body_len) and sha, shalen (items.blob); its first want bytes (all:
 * SIZE_MAX) appended to out.  val holds the compressed text, or is empty
 * when the text is the tail of the original (docs/FORMAT.md). */
trawl_status blob_body(trawl_archive *a, const void *val, size_t vlen,
		       uint64_t len, const void *sha, size_t shalen,
		       size_t want, struct buf *out);
/* Streams blob sha's original bytes to sink; checks the SHA-256 at the
 * end when verify is set (TRAWL_ERR_CORRUPT on mismatch). */
trawl_status blob_stream(trawl_archive *a, const uint8_t sha[32], int verify,
			 trawl_sink sink, void *ctx);

#endif
