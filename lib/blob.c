/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* blob.c - SHA-256/MD5 (nettle), zstd frames, and reading blobs back. */
#include <nettle/md5.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>
/* for ZSTD_c_literalCompressionMode (blob_compress_text), an experimental
 * parameter of zstd 1.5 */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include "blob.h"
#include "bounds.h"
#include "pack.h"
#include "banned.h"

/* nettle's fat build picks SHA-NI where the CPU has it */
void blob_sha256(const void *data, size_t len, uint8_t out[32])
{
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, len, data);
	sha256_digest(&c, SHA256_DIGEST_SIZE, out);
}

void blob_md5(const void *data, size_t len, uint8_t out[16])
{
	struct md5_ctx c;

	md5_init(&c);
	md5_update(&c, len, data);
	md5_digest(&c, MD5_DIGEST_SIZE, out);
}

/*
 * One context per process and kind (workers are single-threaded): level
 * BLOB_ZSTD_LEVEL for blobs, BLOB_ZSTD_LEVEL_TEXT for body texts, content
 * size and checksum in every frame; CC_TEXT_RAW turns zstd's literal
 * compression off (a zstd that does not know that
 * experimental parameter compresses the literals: the frame is the same
 * format either way).
 */
enum { CC_BLOB, CC_TEXT, CC_TEXT_RAW, CC_N };

static ZSTD_CCtx *compressor(int kind)
{
	static ZSTD_CCtx *cctx[CC_N];
	ZSTD_CCtx *c = cctx[kind];

	if (c || !(c = ZSTD_createCCtx()))
		return c;
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel,
			       kind == CC_BLOB ? BLOB_ZSTD_LEVEL
					       : BLOB_ZSTD_LEVEL_TEXT);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 1);
	if (kind == CC_TEXT_RAW)
		ZSTD_CCtx_setParameter(c, ZSTD_c_literalCompressionMode,
				       ZSTD_ps_disable);
	return cctx[kind] = c;
}

static trawl_status compress(ZSTD_CCtx *cctx, const void *data, size_t len,
			     struct buf *out)
{
	size_t bound = ZSTD_compressBound(len), n;
	char *p;

	if (!cctx)
		return TRAWL_ERR_NOMEM;
	if (!(p = buf_reserve(out, bound)))
		return out->err;
	n = ZSTD_compress2(cctx, p, bound, data, len);
	if (ZSTD_isError(n))
		return TRAWL_ERR_INTERNAL;
	buf_commit(out, n);
	return TRAWL_OK;
}

trawl_status blob_compress(const void *data, size_t len, struct buf *out)
{
	return compress(compressor(CC_BLOB), data, len, out);
}

static trawl_status compress_text(const void *data, size_t len,
				  struct buf *out)
{
	return compress(compressor(len < BLOB_TEXT_RAW_LITERALS ? CC_TEXT_RAW
							       : CC_TEXT),
			data, len, out);
}

trawl_status blob_compress_text(const void *data, size_t len,
				struct buf *out)
{
	trawl_status st;

	if (len <= BLOB_TEXT_HEAD)
		return compress_text(data, len, out);
	if ((st = compress_text(data, BLOB_TEXT_HEAD, out)))
		return st;
	return compress_text((const char *)data + BLOB_TEXT_HEAD,
			     len - BLOB_TEXT_HEAD, out);
}

trawl_status blob_compress_split(const void *data, size_t len, size_t tail,
				 struct buf *out)
{
	trawl_status st;

	if (!tail || tail >= len)
		return blob_compress(data, len, out);
	if ((st = blob_compress(data, len - tail, out)))
		return st;
	return blob_compress_text((const char *)data + (len - tail), tail,
				  out);
}

/* The frames of z (blob_frames_check): 1 or 2, with the first one's
 * compressed length in *first; -1 when z is not size bytes so laid out. */
static int frames(const void *z, size_t zlen, uint64_t size, size_t *first)
{
	unsigned long long f1 = ZSTD_getFrameContentSize(z, zlen);
	size_t c;

	*first = zlen;
	if (f1 == ZSTD_CONTENTSIZE_UNKNOWN || f1 == ZSTD_CONTENTSIZE_ERROR)
		return -1; /* every frame trawl writes has its size */
	if (f1 != size && (size <= BLOB_TEXT_HEAD || f1 != BLOB_TEXT_HEAD))
		return -1;
	/* where the first frame ends: block headers only */
	c = ZSTD_findFrameCompressedSize(z, zlen);
	if (ZSTD_isError(c))
		return -1;
	if (f1 == size)
		return c == zlen ? 1 : -1;
	if (c >= zlen ||
	    ZSTD_getFrameContentSize((const char *)z + c, zlen - c) !=
	    size - BLOB_TEXT_HEAD ||
	    ZSTD_findFrameCompressedSize((const char *)z + c, zlen - c) !=
	    zlen - c)
		return -1;
	*first = c;
	return 2;
}

int blob_frames_check(const void *z, size_t zlen, uint64_t size)
{
	size_t first;

	return frames(z, zlen, size, &first) > 0 ? 0 : -1;
}

uint64_t blob_frames_size(const void *z, size_t zlen)
{
	const char *p = z;
	uint64_t total = 0;

	if (!zlen)
		return UINT64_MAX;
	while (zlen) {
		unsigned long long fs = ZSTD_getFrameContentSize(p, zlen);
		size_t cs = ZSTD_findFrameCompressedSize(p, zlen);

		if (fs == ZSTD_CONTENTSIZE_UNKNOWN ||
		    fs == ZSTD_CONTENTSIZE_ERROR || ZSTD_isError(cs) ||
		    fs >= UINT64_MAX - total)
			return UINT64_MAX;
		total += fs;
		p += cs;
		zlen -= cs;
	}
	return total;
}

trawl_status blob_decompress(ZSTD_DCtx *dctx, const void *z, size_t zlen,
			     uint64_t size, struct buf *out)
{
	size_t first;
	char *p;
	size_t n;

	/* ZSTD_decompress* decode every frame of src, one after another */
	if (frames(z, zlen, size, &first) < 0)
		return TRAWL_ERR_CORRUPT;
	p = buf_reserve(out, (size_t)size);
	if (!p)
		return out->err;
	n = dctx ? ZSTD_decompressDCtx(dctx, p, (size_t)size, z, zlen)
		 : ZSTD_decompress(p, (size_t)size, z, zlen);
	if (ZSTD_isError(n) || n != size)
		return TRAWL_ERR_CORRUPT;
	buf_commit(out, n);
	return TRAWL_OK;
}

trawl_status blob_decompress_head(ZSTD_DCtx *dctx, const void *z, size_t zlen,
				  uint64_t size, size_t want, struct buf *out)
{
	ZSTD_inBuffer in = { z, zlen, 0 };
	ZSTD_outBuffer o;
	size_t r = 1, first;
	int nf;
	char *p;

	if (want >= size || !dctx)
		return blob_decompress(dctx, z, zlen, size, out);
	if ((nf = frames(z, zlen, size, &first)) < 0)
		return TRAWL_ERR_CORRUPT;
	if (nf == 2 && want <= BLOB_TEXT_HEAD) {
		if (want == BLOB_TEXT_HEAD) /* the first frame, whole */
			return blob_decompress(dctx, z, first, BLOB_TEXT_HEAD,
					       out);
		return blob_decompress_head(dctx, z, first, BLOB_TEXT_HEAD,
					    want, out);
	}
	if (!(p = buf_reserve(out, want)))
		return out->err;
	o = (ZSTD_outBuffer){ p, want, 0 };
	ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
	/* a frame's end (r == 0) goes on into the next one, if any */
	while (o.pos < want && (r != 0 || in.pos < zlen)) {
		size_t before = o.pos, used = in.pos;

		r = ZSTD_decompressStream(dctx, &o, &in);
		if (ZSTD_isError(r) || (o.pos == before && in.pos == used))
			return TRAWL_ERR_CORRUPT;
	}
	if (o.pos < want)
		return TRAWL_ERR_CORRUPT; /* the frames ended short of size */
	buf_commit(out, o.pos);
	return TRAWL_OK;
}

static trawl_status lookup(trawl_archive *a, const uint8_t sha[32],
			   uint32_t *pack, uint64_t *off, uint64_t *clen,
			   uint64_t *size)
{
	sqlite3_stmt *q = NULL;
	trawl_status st;
	char hex[65];
	int rc;

	st = db_cached(a, "SELECT pack, offset, clen, size FROM blobs "
		       "WHERE sha256 = ?", &q);
	if (st)
		return st;
	sqlite3_bind_blob(q, 1, sha, 32, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*pack = (uint32_t)sqlite3_column_int64(q, 0);
		*off = (uint64_t)sqlite3_column_int64(q, 1);
		*clen = (uint64_t)sqlite3_column_int64(q, 2);
		*size = (uint64_t)sqlite3_column_int64(q, 3);
	} else if (rc == SQLITE_DONE) {
		hex_encode(sha, 32, hex);
		st = archive_fail(a, TRAWL_ERR_CORRUPT,
				  "blob %s is not in the blobs table", hex);
	} else {
		st = archive_db_fail(a, "reading blobs");
	}
	db_done(a, q);
	return st;
}

static trawl_status stream_frames(trawl_archive *a, const void *z, size_t zlen,
				 uint64_t size, const uint8_t sha[32],
				 int verify, trawl_sink sink, void *ctx)
{
	ZSTD_DStream *ds = ZSTD_createDStream();
	size_t outcap = ZSTD_DStreamOutSize(), r = 1;
	char *outbuf = malloc(outcap);
	ZSTD_inBuffer in = { z, zlen, 0 };
	struct sha256_ctx c;
	uint64_t total = 0;
	trawl_status st = TRAWL_OK;
	uint8_t got[32];
	char hex[65];

	if (!ds || !outbuf) {
		st = TRAWL_ERR_NOMEM;
		goto out;
	}
	sha256_init(&c);
	/* a frame's end (r == 0) goes on into the next one, if any */
	while (r != 0 || in.pos < in.size) {
		ZSTD_outBuffer o = { outbuf, outcap, 0 };
		size_t used = in.pos;

		r = ZSTD_decompressStream(ds, &o, &in);
		if (ZSTD_isError(r) || (!o.pos && in.pos == used)) {
			hex_encode(sha, 32, hex);
			st = archive_fail(a, TRAWL_ERR_CORRUPT,
					  "blob %s: compressed data is corrupt",
					  hex);
			goto out;
		}
		total += o.pos;
		if (verify)
			sha256_update(&c, o.pos, (const uint8_t *)outbuf);
		if (o.pos && sink && sink(ctx, outbuf, o.pos)) {
			st = TRAWL_ERR_CANCELLED;
			goto out;
		}
	}
	hex_encode(sha, 32, hex);
	if (total != size) {
		st = archive_fail(a, TRAWL_ERR_CORRUPT,
				  "blob %s: %llu bytes, expected %llu", hex,
				  (unsigned long long)total,
				  (unsigned long long)size);
	} else if (verify) {
		sha256_digest(&c, sizeof(got), got);
		if (memcmp(got, sha, 32) != 0)
			st = archive_fail(a, TRAWL_ERR_CORRUPT,
					  "blob %s: content does not match its "
					  "SHA-256", hex);
	}
out:
	ZSTD_freeDStream(ds);
	free(outbuf);
	return st;
}

trawl_status blob_stream(trawl_archive *a, const uint8_t sha[32], int verify,
			 trawl_sink sink, void *ctx)
{
	uint32_t pack = 0;
	uint64_t off = 0, clen = 0, size = 0;
	void *z = NULL;
	trawl_status st;

	st = lookup(a, sha, &pack, &off, &clen, &size);
	if (!st)
		st = pack_read(a, pack, off, clen, size, sha, &z);
	if (!st)
		st = stream_frames(a, z, (size_t)clen, size, sha, verify, sink,
				  ctx);
	free(z);
	return st;
}

/* Skips the first skip bytes of the frames in, then decodes want bytes
 * into out (both within the frames: else TRAWL_ERR_CORRUPT). */
static trawl_status decode_range(ZSTD_DCtx *dctx, ZSTD_inBuffer *in,
				 uint64_t skip, size_t want, struct buf *out)
{
	char scratch[4096], *p;
	ZSTD_outBuffer o;
	size_t r = 1;

	ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
	while (skip) {
		size_t used = in->pos;

		o = (ZSTD_outBuffer){ scratch, skip < sizeof(scratch)
					       ? (size_t)skip : sizeof(scratch),
				      0 };
		r = ZSTD_decompressStream(dctx, &o, in);
		if (ZSTD_isError(r) || (!o.pos && in->pos == used))
			return TRAWL_ERR_CORRUPT;
		skip -= o.pos;
	}
	if (!(p = buf_reserve(out, want ? want : 1)))
		return out->err;
	o = (ZSTD_outBuffer){ p, want, 0 };
	while (o.pos < want) {
		size_t before = o.pos, used = in->pos;

		if (r == 0 && in->pos == in->size)
			return TRAWL_ERR_CORRUPT; /* the frames ended short */
		r = ZSTD_decompressStream(dctx, &o, in);
		if (ZSTD_isError(r) || (o.pos == before && in->pos == used))
			return TRAWL_ERR_CORRUPT;
	}
	buf_commit(out, want);
	return TRAWL_OK;
}

trawl_status blob_read_tail(trawl_archive *a, ZSTD_DCtx *dctx,
			    const uint8_t sha[32], uint64_t tail, size_t want,
			    struct buf *out)
{
	uint32_t pack = 0;
	uint64_t off = 0, clen = 0, size = 0, pos = 0, start;
	ZSTD_DCtx *own = NULL;
	ZSTD_inBuffer in;
	const char *z;
	const void *zp = NULL;
	trawl_status st;
	char hex[65];

	if ((st = lookup(a, sha, &pack, &off, &clen, &size)))
		return st;
	hex_encode(sha, 32, hex);
	if (!tail || tail > size || tail > TRAWL_MAX_BODY_TEXT)
		return archive_fail(a, TRAWL_ERR_CORRUPT, "blob %s: a body text "
				    "of %llu bytes cannot be the tail of its "
				    "%llu bytes", hex, (unsigned long long)tail,
				    (unsigned long long)size);
	buf_reset(&a->zbuf);
	if ((st = pack_read_buf(a, pack, off, clen, size, sha, &a->zbuf,
				&zp)))
		return st;
	z = zp;
	start = size - tail;
	in = (ZSTD_inBuffer){ z, (size_t)clen, 0 };
	/* the frames that end before the tail, by their headers */
	for (;;) {
		unsigned long long fs = ZSTD_getFrameContentSize(
			z + in.pos, in.size - in.pos);
		size_t cs = ZSTD_findFrameCompressedSize(z + in.pos,
							 in.size - in.pos);

		if (fs == ZSTD_CONTENTSIZE_UNKNOWN ||
		    fs == ZSTD_CONTENTSIZE_ERROR || ZSTD_isError(cs) ||
		    fs > size - pos) {
			st = TRAWL_ERR_CORRUPT;
			goto out;
		}
		if (pos + fs > start)
			break;
		pos += fs;
		in.pos += cs;
	}
	if (want > tail)
		want = (size_t)tail;
	if (!dctx && !(dctx = own = ZSTD_createDCtx())) {
		st = archive_fail(a, TRAWL_ERR_NOMEM, "out of memory");
		goto out;
	}
	st = decode_range(dctx, &in, start - pos, want, out);
out:
	if (st == TRAWL_ERR_CORRUPT)
		archive_fail(a, st, "blob %s: compressed data is corrupt", hex);
	else if (st)
		archive_fail(a, st, "blob %s: cannot read its body text", hex);
	ZSTD_freeDCtx(own);
	if (a->zbuf.cap > ((size_t)1 << 20))
		buf_release(&a->zbuf); /* keep no huge record */
	return st;
}

trawl_status blob_body(trawl_archive *a, const void *val, size_t vlen,
		       uint64_t len, const void *sha, size_t shalen,
		       size_t want, struct buf *out)
{
	if (vlen)
		return blob_decompress_head(archive_dctx(a), val, vlen, len,
					    want, out);
	if (shalen != 32)
		return TRAWL_ERR_CORRUPT;
	return blob_read_tail(a, archive_dctx(a), sha, len, want, out);
}
