/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * codec.h - integer codecs and checksums of the index files.
 *
 * Varints are LEB128 (7 bits per byte, low first, at most 10 bytes for a
 * u64, 5 for a u32).  Bit-packed blocks hold exactly CODEC_BLOCK values of
 * one width w (0..32 bits), little-endian bit order: value i occupies bits
 * [i*w, (i+1)*w) of the block, so a block is exactly CODEC_BLOCK*w/8 bytes
 * (w*16 bytes).  Checksums are CRC-32C (Castagnoli), as in Lucene, iSCSI
 * and ext4.  Length norms are one byte: small lengths exact, larger ones on
 * a log scale, always rounded down (a decoded length never exceeds the
 * true one).
 *
 * Every decoder takes an end pointer and never reads past it.
 */
#ifndef TRAWL_CODEC_H
#define TRAWL_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define CODEC_BLOCK 128

/* Writes v at p (room for 10 bytes); returns the bytes written. */
size_t varint_put(uint8_t *p, uint64_t v);
/* Reads a varint from [*p, end) into *v and advances *p.  Returns 0, or -1
 * if it runs past end or is longer than 10 bytes / overflows 64 bits. */
int varint_get(const uint8_t **p, const uint8_t *end, uint64_t *v);
/* The same for a value that must fit in 32 bits (-1 otherwise). */
int varint_get32(const uint8_t **p, const uint8_t *end, uint32_t *v);
/* Appends v as a varint to b (an error stays in b). */
struct buf;
void varint_append(struct buf *b, uint64_t v);
/* Bytes varint_put would write. */
size_t varint_len(uint64_t v);

/* Smallest width that holds every one of the n values (0 if all are 0). */
unsigned bits_needed(const uint32_t *v, size_t n);
/* Packs CODEC_BLOCK values of width w (each < 2^w) into out, which has
 * room for w*16 bytes.  Returns w*16. */
size_t bitpack128(const uint32_t *in, unsigned w, uint8_t *out);
/* Unpacks CODEC_BLOCK values of width w from in (w*16 bytes, which the
 * caller has checked are there). */
void bitunpack128(const uint8_t *in, unsigned w, uint32_t *out);

/*
 * Patched frame of reference (PFOR, as Lucene's PForUtil): a block of
 * CODEC_BLOCK values packed in a width w that most of them fit, the few
 * larger ones ("exceptions") patched with their high bits:
 *   u8 token    w (0..32), | 0x80 when exceptions follow
 *   [u8 n       exceptions, 1..PFOR_MAX_EXC (only when w <= 24)
 *    n x (u8 index, u8 high)]   value[index] += high << w
 *   w*16 bytes  every value's low w bits, bit-packed as above
 * The encoder picks the smallest block; an exception's high part fits a
 * byte, so w is at least the widest value's width - 8.
 */
#define PFOR_MAX_EXC 32
#define PFOR_MAX_BYTES (2 + 2 * PFOR_MAX_EXC + 32 * 16)
/* Encodes CODEC_BLOCK values into out (room for PFOR_MAX_BYTES). Returns
 * the bytes written. */
size_t pfor_pack128(const uint32_t *in, uint8_t *out);
/* Bytes of the block at [p, end), or 0 when it is malformed or runs past
 * end. */
size_t pfor_size(const uint8_t *p, const uint8_t *end);
/* Decodes the block at [p, end) into out.  Returns its bytes, or 0 when
 * it is malformed or runs past end (out is then undefined). */
size_t pfor_unpack128(const uint8_t *p, const uint8_t *end, uint32_t *out);

/* CRC-32C of data, continuing from crc (start with 0). */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);
/* For tests: the table-driven CRC-32C that crc32c() falls back to when
 * the CPU has no SSE4.2; the same results. */
uint32_t crc32c_sw(uint32_t crc, const void *data, size_t len);

/* Length norms: the byte for a field length, and the length a byte stands
 * for (norm_decode(norm_encode(n)) <= n; equal for n < 40; monotonic). */
uint8_t norm_encode(uint32_t len);
uint32_t norm_decode(uint8_t b);

#endif
