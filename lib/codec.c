/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * codec.c - integer codecs and checksums of the index files (codec.h).
 *
 * Varints: LEB128, the low 7 bits first, the high bit of a byte set when
 * another byte follows.  A u64 takes at most 10 bytes, and the 10th may
 * only carry bit 63 (0x00 or 0x01); a u32 read with varint_get32 takes at
 * most 5, the 5th carrying bits 28..31 (0x00..0x0f).  Non-minimal forms
 * (a value padded with 0x80 bytes) are accepted within those lengths.  A
 * failed read leaves *p where it was.
 *
 * Bit-packed blocks: CODEC_BLOCK (128) values of width w, value i in bits
 * [i*w, (i+1)*w) of the block, bit j of the block being bit j%8 of byte
 * j/8.  So a block is w*16 bytes, and 8 values always fill w whole bytes.
 * Example, w=3, values 1,2,3,4,5,6,7,0,...: bits 001 010 011 100 101 110
 * 111 000 read from the low end give bytes 0xd1 0x58 0x1f.
 *
 * Both directions are specialized per width: a switch picks an
 * always-inlined loop with a constant w, unrolled over groups of 32
 * values (4*w bytes), so that in the unpacker every value is one
 * unaligned 64-bit load at a constant offset, a shift and a mask (a value
 * at bit offset b spans at most w+7 <= 39 bits from byte b/8).  A load
 * near the end of the block that would pass in[w*16-1] is moved back to
 * end exactly there, with the shift grown to match; a block is at least
 * 16 bytes, so that load stays inside it.  (Unrolling all 128 values is
 * about 10% faster and twice the code, 70 KB for the unpacker.)  The
 * packer drops bits of a value above w; a width over 32, a caller's bug,
 * packs nothing and unpacks zeros.
 *
 * CRC-32C: the reflected Castagnoli polynomial 0x82f63b78, pre- and
 * post-inverted inside crc32c() so that calls chain.  The SSE4.2 crc32
 * instruction when the CPU has it (checked once), else slicing-by-8.
 *
 * Norms: lengths 0..39 are their own byte.  From 40 up a length of L
 * significant bits keeps its top 4 bits (the leading one and 3 mantissa
 * bits, as Lucene's SmallFloat.longToInt4): code = (L-3)*8 + mantissa,
 * byte = code + 14, which makes 40 -> 40 and UINT32_MAX -> 253.  Decoding
 * gives the smallest length of the bucket, so it never exceeds the
 * length encoded and loses less than 1/8 of it.  Bytes 254 and 255 are
 * never written; they decode as 253 does.
 */
#include <pthread.h>
#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#include "buf.h"
#include "codec.h"
#include "banned.h"

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* ------------------------------------------------------------------ */
/* Varints */

size_t varint_put(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

void varint_append(struct buf *b, uint64_t v)
{
	uint8_t t[10];

	buf_append(b, t, varint_put(t, v));
}

/* Reads at most max bytes (5 or 10); the last one may not exceed top. */
static ALWAYS_INLINE int varint_read(const uint8_t **p, const uint8_t *end,
				     uint64_t *v, unsigned max, uint8_t top)
{
	const uint8_t *s = *p;
	uint64_t x = 0;
	unsigned i;

	for (i = 0; i < max && s + i < end; i++) {
		uint8_t c = s[i];

		if (i == max - 1 && c > top)
			return -1;
		x |= (uint64_t)(c & 0x7f) << (7 * i);
		if (c < 0x80) {
			*v = x;
			*p = s + i + 1;
			return 0;
		}
	}
	return -1;
}

int varint_get(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	if (*p < end && **p < 0x80) {
		*v = *(*p)++;
		return 0;
	}
	return varint_read(p, end, v, 10, 0x01);
}

int varint_get32(const uint8_t **p, const uint8_t *end, uint32_t *v)
{
	uint64_t x;

	if (*p < end && **p < 0x80) {
		*v = *(*p)++;
		return 0;
	}
	if (varint_read(p, end, &x, 5, 0x0f) < 0)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

size_t varint_len(uint64_t v)
{
	unsigned bits = 64 - (unsigned)__builtin_clzll(v | 1);

	return (bits + 6) / 7;
}

/* ------------------------------------------------------------------ */
/* Bit-packed blocks */

unsigned bits_needed(const uint32_t *v, size_t n)
{
	uint32_t all = 0;
	size_t i;

	for (i = 0; i < n; i++)
		all |= v[i];
	return all ? 32 - (unsigned)__builtin_clz(all) : 0;
}

static ALWAYS_INLINE uint64_t load64le(const uint8_t *p)
{
	uint64_t x;

	memcpy(&x, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	x = __builtin_bswap64(x);
#endif
	return x;
}

static ALWAYS_INLINE void store32le(uint8_t *p, uint32_t x)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	x = __builtin_bswap32(x);
#endif
	memcpy(p, &x, 4);
}

static ALWAYS_INLINE uint32_t width_mask(unsigned w)
{
	return w >= 32 ? UINT32_MAX : (UINT32_C(1) << w) - 1;
}

/* With w a constant (1..32) every offset, shift and branch below is one
 * too.  32 values fill w 32-bit words, so the accumulator (< 32 bits
 * between values) is empty after each group of 32. */
static ALWAYS_INLINE void pack32(const uint32_t *in, unsigned w, uint8_t *out)
{
	const uint32_t mask = width_mask(w);
	uint64_t acc = 0;
	unsigned n = 0, i;

#pragma GCC unroll 32
	for (i = 0; i < 32; i++) {
		acc |= (uint64_t)(in[i] & mask) << n;
		n += w;
		if (n >= 32) {
			store32le(out, (uint32_t)acc);
			out += 4;
			acc >>= 32;
			n -= 32;
		}
	}
}

static ALWAYS_INLINE void pack_w(const uint32_t *in, unsigned w, uint8_t *out)
{
	unsigned g;

	for (g = 0; g < CODEC_BLOCK / 32; g++)
		pack32(in + 32 * g, w, out + 4 * w * g);
}

/* 32 values (4*w bytes) from in: value i from the 8 bytes at bit i*w / 8
 * or, when those start after in + lim, from the 8 at in + lim. */
static ALWAYS_INLINE void unpack32(const uint8_t *in, unsigned w,
				   uint32_t *out, ptrdiff_t lim)
{
	const uint32_t mask = width_mask(w);
	unsigned i;

#pragma GCC unroll 32
	for (i = 0; i < 32; i++) {
		ptrdiff_t bit = (ptrdiff_t)i * w;
		ptrdiff_t at = bit / 8 < lim ? bit / 8 : lim;

		out[i] = (uint32_t)(load64le(in + at) >> (bit - 8 * at)) & mask;
	}
}

/* The first three groups may load up to 8*w bytes from their start (a
 * block is 16*w), the last one only up to its end, 4*w bytes: for w=1 its
 * loads start 4 bytes before it. */
static ALWAYS_INLINE void unpack_w(const uint8_t *in, unsigned w,
				   uint32_t *out)
{
	unsigned g;

	for (g = 0; g < 3; g++)
		unpack32(in + 4 * w * g, w, out + 32 * g, 8 * (ptrdiff_t)w - 8);
	unpack32(in + 12 * w, w, out + 96, 4 * (ptrdiff_t)w - 8);
}

#define CASE_1(op, w) case w: op(w); break;
#define CASE_4(op, w) \
	CASE_1(op, w) CASE_1(op, w + 1) CASE_1(op, w + 2) CASE_1(op, w + 3)
#define CASE_1_TO_32(op)                                                     \
	CASE_4(op, 1) CASE_4(op, 5) CASE_4(op, 9) CASE_4(op, 13)              \
	CASE_4(op, 17) CASE_4(op, 21) CASE_4(op, 25) CASE_4(op, 29)

size_t bitpack128(const uint32_t *in, unsigned w, uint8_t *out)
{
#define PACK(w) pack_w(in, w, out)
	switch (w) {
	CASE_1_TO_32(PACK)
	default:
		w = 0;
		break;
	}
#undef PACK
	return (size_t)w * 16;
}

void bitunpack128(const uint8_t *in, unsigned w, uint32_t *out)
{
#define UNPACK(w) unpack_w(in, w, out)
	switch (w) {
	CASE_1_TO_32(UNPACK)
	default:
		memset(out, 0, CODEC_BLOCK * sizeof(*out));
		break;
	}
#undef UNPACK
}

/* ------------------------------------------------------------------ */
/* PFOR blocks */

size_t pfor_pack128(const uint32_t *in, uint8_t *out)
{
	unsigned cnt[33] = { 0 }, mx = 0, best_w, above = 0;
	size_t best, n = 0;
	uint32_t low[CODEC_BLOCK];
	int w;

	for (int i = 0; i < CODEC_BLOCK; i++) {
		unsigned b = in[i] ? 32 - (unsigned)__builtin_clz(in[i]) : 0;

		cnt[b]++;
		if (b > mx)
			mx = b;
	}
	best_w = mx;
	best = (size_t)mx * 16;
	/* w below mx: the values wider than w become exceptions, whose high
	 * part (v >> w) must fit a byte */
	for (w = (int)mx - 1; w >= 0 && w + 8 >= (int)mx; w--) {
		size_t cost;

		above += cnt[w + 1];
		if (above > PFOR_MAX_EXC)
			break;
		if (w > 24)
			continue;
		cost = (size_t)w * 16 + 1 + 2 * (size_t)above;
		if (cost < best) {
			best = cost;
			best_w = (unsigned)w;
		}
	}
	if (best_w == mx) {
		out[0] = (uint8_t)mx;
		return 1 + bitpack128(in, mx, out + 1);
	}
	out[n++] = (uint8_t)(best_w | 0x80);
	n++; /* the count, below */
	for (int i = 0; i < CODEC_BLOCK; i++) {
		if (in[i] >> best_w) {
			out[n++] = (uint8_t)i;
			out[n++] = (uint8_t)(in[i] >> best_w);
		}
		low[i] = in[i] & (((uint32_t)1 << best_w) - 1);
	}
	out[1] = (uint8_t)((n - 2) / 2);
	return n + bitpack128(low, best_w, out + n);
}

size_t pfor_size(const uint8_t *p, const uint8_t *end)
{
	size_t n = 1, w;

	if (p >= end)
		return 0;
	w = p[0] & 0x7f;
	if (w > 32)
		return 0;
	if (p[0] & 0x80) {
		if (end - p < 2 || w > 24 || p[1] < 1 || p[1] > PFOR_MAX_EXC)
			return 0;
		n += 1 + 2 * (size_t)p[1];
	}
	n += w * 16;
	return n <= (size_t)(end - p) ? n : 0;
}

size_t pfor_unpack128(const uint8_t *p, const uint8_t *end, uint32_t *out)
{
	size_t n = pfor_size(p, end);
	unsigned w;

	if (!n)
		return 0;
	w = p[0] & 0x7f;
	if (!(p[0] & 0x80)) {
		bitunpack128(p + 1, w, out);
		return n;
	}
	bitunpack128(p + 2 + 2 * (size_t)p[1], w, out);
	for (unsigned k = 0; k < p[1]; k++) {
		const uint8_t *e = p + 2 + 2 * k;

		if (e[0] >= CODEC_BLOCK)
			return 0;
		out[e[0]] += (uint32_t)e[1] << w;
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* CRC-32C */

#define CRC32C_POLY 0x82f63b78u

static uint32_t crc_table[8][256];
static pthread_once_t crc_table_once = PTHREAD_ONCE_INIT;

/* crc_table[0] is the byte-at-a-time table; crc_table[k][b] is the CRC
 * of byte b followed by k zero bytes. */
static void crc_table_init(void)
{
	uint32_t c;
	unsigned b, k, j;

	for (b = 0; b < 256; b++) {
		c = b;
		for (j = 0; j < 8; j++)
			c = c & 1 ? c >> 1 ^ CRC32C_POLY : c >> 1;
		crc_table[0][b] = c;
	}
	for (b = 0; b < 256; b++) {
		c = crc_table[0][b];
		for (k = 1; k < 8; k++) {
			c = c >> 8 ^ crc_table[0][c & 0xff];
			crc_table[k][b] = c;
		}
	}
}

static uint32_t crc_sw_raw(uint32_t c, const uint8_t *p, size_t len)
{
	const uint32_t(*t)[256] = (const uint32_t(*)[256])crc_table;
	uint64_t x;

	for (; len >= 8; p += 8, len -= 8) {
		x = load64le(p) ^ c;
		c = t[7][x & 0xff] ^ t[6][x >> 8 & 0xff] ^
		    t[5][x >> 16 & 0xff] ^ t[4][x >> 24 & 0xff] ^
		    t[3][x >> 32 & 0xff] ^ t[2][x >> 40 & 0xff] ^
		    t[1][x >> 48 & 0xff] ^ t[0][x >> 56];
	}
	for (; len; p++, len--)
		c = c >> 8 ^ t[0][(c ^ *p) & 0xff];
	return c;
}

uint32_t crc32c_sw(uint32_t crc, const void *data, size_t len)
{
	pthread_once(&crc_table_once, crc_table_init);
	return ~crc_sw_raw(~crc, data, len);
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t crc_hw_raw(uint32_t c, const uint8_t *p, size_t len)
{
	uint64_t c64 = c, x;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&x, p, 8);
		c64 = _mm_crc32_u64(c64, x);
	}
	c = (uint32_t)c64;
	for (; len; p++, len--)
		c = _mm_crc32_u8(c, *p);
	return c;
}

static int crc_use_hw;
static pthread_once_t crc_pick_once = PTHREAD_ONCE_INIT;

static void crc_pick(void)
{
	__builtin_cpu_init();
	crc_use_hw = __builtin_cpu_supports("sse4.2");
	if (!crc_use_hw)
		pthread_once(&crc_table_once, crc_table_init);
}

uint32_t crc32c(uint32_t crc, const void *data, size_t len)
{
	pthread_once(&crc_pick_once, crc_pick);
	if (crc_use_hw)
		return ~crc_hw_raw(~crc, data, len);
	return ~crc_sw_raw(~crc, data, len);
}
#else
uint32_t crc32c(uint32_t crc, const void *data, size_t len)
{
	return crc32c_sw(crc, data, len);
}
#endif

/* ------------------------------------------------------------------ */
/* Length norms */

#define NORM_EXACT 40   /* lengths below this are their own byte */
#define NORM_BIAS 14    /* byte = code + NORM_BIAS from 40 up */
#define NORM_TOP 253    /* the byte of UINT32_MAX */

/* The smallest length of byte b's bucket (b <= NORM_TOP). */
#define NORM_LEN(b)                                                          \
	((b) < NORM_EXACT                                                    \
		 ? (uint32_t)(b)                                             \
		 : (UINT32_C(8) | NORM_CODE(b) % 8) << (NORM_CODE(b) / 8 - 1))
/* The log-scale code of byte b, clamped so that it is never negative. */
#define NORM_CODE(b) ((b) < NORM_EXACT ? 26 : (b) - NORM_BIAS)
#define NORM_1(b) NORM_LEN((b) > NORM_TOP ? NORM_TOP : (b))
#define NORM_4(b) NORM_1(b), NORM_1(b + 1), NORM_1(b + 2), NORM_1(b + 3)
#define NORM_16(b) NORM_4(b), NORM_4(b + 4), NORM_4(b + 8), NORM_4(b + 12)
#define NORM_64(b) \
	NORM_16(b), NORM_16(b + 16), NORM_16(b + 32), NORM_16(b + 48)

static const uint32_t norm_table[256] = {
	NORM_64(0), NORM_64(64), NORM_64(128), NORM_64(192),
};

uint8_t norm_encode(uint32_t len)
{
	unsigned shift;

	if (len < NORM_EXACT)
		return (uint8_t)len;
	shift = 28 - (unsigned)__builtin_clz(len);   /* bits - 4 */
	return (uint8_t)(((shift + 1) << 3 | (len >> shift & 7)) + NORM_BIAS);
}

uint32_t norm_decode(uint8_t b)
{
	return norm_table[b];
}
