/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test-codec.c - the integer codecs and checksums of lib/codec.c:
 * varints (edge values, hand-computed bytes, truncated, too long and
 * overflowing input, random round trips); bit-packed blocks of every
 * width 0..32 against a bit-by-bit reference packer, with hand-computed
 * layouts, maximal and random values, each block read from the very end
 * of a heap buffer at every alignment (so ASan sees any read past it);
 * CRC-32C check values (iSCSI, RFC 3720) and the SSE4.2 and table
 * versions against each other; the norm byte over all 256 bytes and a
 * dense sample of lengths.
 *
 * CODEC_BENCH=1 also prints throughputs (unpack per width, pack, crc32c,
 * varints) as TAP comments and checks the norms over every u32.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "tap.h"
#include "banned.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

/* xorshift64*: a fixed seed, so every run sees the same data. */
static uint64_t rnd64(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1du;
}

static void *xmalloc(size_t len)
{
	void *p = malloc(len ? len : 1);

	if (!p)
		abort();
	return p;
}

/* A copy of len bytes in a heap block of exactly that size. */
static uint8_t *exact_copy(const uint8_t *data, size_t len)
{
	uint8_t *p = xmalloc(len);

	memcpy(p, data, len);
	return p;
}

static uint32_t mask_of(unsigned w)
{
	return w >= 32 ? UINT32_MAX : (UINT32_C(1) << w) - 1;
}

/* ------------------------------------------------------------------ */
/* Varints */

static const struct {
	uint64_t v;
	size_t len;
} varint_values[] = {
	{ 0, 1 },
	{ 1, 1 },
	{ 127, 1 },
	{ 128, 2 },
	{ 300, 2 },
	{ 16383, 2 },
	{ 16384, 3 },
	{ (1u << 21) - 1, 3 },
	{ 1u << 21, 4 },
	{ (1u << 28) - 1, 4 },
	{ 1u << 28, 5 },
	{ UINT32_MAX, 5 },
	{ (uint64_t)UINT32_MAX + 1, 5 },
	{ (UINT64_C(1) << 35) - 1, 5 },
	{ UINT64_C(1) << 35, 6 },
	{ UINT64_C(1) << 56, 9 },
	{ (UINT64_C(1) << 63) - 1, 9 },
	{ UINT64_C(1) << 63, 10 },
	{ UINT64_MAX, 10 },
};

/* Writes v, reads it back from a buffer of exactly its size, and reads
 * every truncation of it (which must fail and leave the cursor alone). */
static int varint_round_trip(uint64_t v, size_t want_len)
{
	uint8_t tmp[10], *buf;
	const uint8_t *p;
	uint64_t got = 0;
	uint32_t got32 = 0;
	size_t len = varint_put(tmp, v), cut;
	int good = len == want_len && varint_len(v) == want_len;

	buf = exact_copy(tmp, len);
	p = buf;
	good &= varint_get(&p, buf + len, &got) == 0 && got == v &&
		p == buf + len;
	p = buf;
	if (v <= UINT32_MAX)
		good &= varint_get32(&p, buf + len, &got32) == 0 &&
			got32 == v && p == buf + len;
	else
		good &= varint_get32(&p, buf + len, &got32) == -1 && p == buf;
	for (cut = 0; cut < len; cut++) {
		p = buf;
		good &= varint_get(&p, buf + cut, &got) == -1 && p == buf;
		good &= varint_get32(&p, buf + cut, &got32) == -1 && p == buf;
	}
	free(buf);
	return good;
}

static void test_varint_values(void)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(varint_values); i++)
		ok(varint_round_trip(varint_values[i].v, varint_values[i].len),
		   "varint %llu: %zu bytes, round trip, truncations fail",
		   (unsigned long long)varint_values[i].v, varint_values[i].len);
}

static void test_varint_bytes(void)
{
	static const uint8_t b300[] = { 0xac, 0x02 };
	static const uint8_t bmax[] = { 0xff, 0xff, 0xff, 0xff, 0xff,
					0xff, 0xff, 0xff, 0xff, 0x01 };
	static const uint8_t bu32[] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
	uint8_t out[10];

	ok(varint_put(out, 300) == 2 && !memcmp(out, b300, 2),
	   "varint bytes: 300 is ac 02");
	ok(varint_put(out, UINT32_MAX) == 5 && !memcmp(out, bu32, 5),
	   "varint bytes: 2^32-1 is ff ff ff ff 0f");
	ok(varint_put(out, UINT64_MAX) == 10 && !memcmp(out, bmax, 10),
	   "varint bytes: 2^64-1 is nine ff and 01");
	ok(varint_put(out, 0) == 1 && out[0] == 0, "varint bytes: 0 is 00");
}

/* Byte strings for both readers: the status and value of varint_get and
 * of varint_get32 (-1: refused, the cursor stays). */
static const struct {
	const char *what;
	uint8_t bytes[12];
	size_t len;
	int rc64;
	uint64_t v64;
	int rc32;
	uint32_t v32;
} varint_inputs[] = {
	{ "empty input", { 0 }, 0, -1, 0, -1, 0 },
	{ "a lone continuation byte", { 0x80 }, 1, -1, 0, -1, 0 },
	{ "non-minimal zero (80 00)", { 0x80, 0x00 }, 2, 0, 0, 0, 0 },
	{ "2^32-1", { 0xff, 0xff, 0xff, 0xff, 0x0f }, 5, 0, UINT32_MAX, 0,
	  UINT32_MAX },
	{ "2^32: too big for get32", { 0x80, 0x80, 0x80, 0x80, 0x10 }, 5, 0,
	  UINT64_C(1) << 32, -1, 0 },
	{ "2^35-1: too big for get32", { 0xff, 0xff, 0xff, 0xff, 0x7f }, 5,
	  0, (UINT64_C(1) << 35) - 1, -1, 0 },
	{ "6-byte zero: too long for get32",
	  { 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 }, 6, 0, 0, -1, 0 },
	{ "2^63", { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
		    0x01 }, 10, 0, UINT64_C(1) << 63, -1, 0 },
	{ "2^64-1", { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		      0x01 }, 10, 0, UINT64_MAX, -1, 0 },
	{ "10 bytes overflowing 64 bits (last 02)",
	  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02 }, 10,
	  -1, 0, -1, 0 },
	{ "10 bytes overflowing 64 bits (last 7f)",
	  { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f }, 10,
	  -1, 0, -1, 0 },
	{ "10th byte with the continuation bit",
	  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81 }, 10,
	  -1, 0, -1, 0 },
	{ "11-byte zero",
	  { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
	    0x00 }, 11, -1, 0, -1, 0 },
	{ "12 continuation bytes",
	  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff }, 12, -1, 0, -1, 0 },
	{ "9 continuation bytes, then the end",
	  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 9, -1, 0,
	  -1, 0 },
};

static void test_varint_inputs(void)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(varint_inputs); i++) {
		uint8_t *buf = exact_copy(varint_inputs[i].bytes,
					  varint_inputs[i].len);
		const uint8_t *end = buf + varint_inputs[i].len, *p = buf;
		uint64_t v64 = 0;
		uint32_t v32 = 0;
		int rc64, rc32, good;

		rc64 = varint_get(&p, end, &v64);
		good = rc64 == varint_inputs[i].rc64 &&
		       (rc64 ? p == buf
			     : p == end && v64 == varint_inputs[i].v64);
		p = buf;
		rc32 = varint_get32(&p, end, &v32);
		good &= rc32 == varint_inputs[i].rc32 &&
			(rc32 ? p == buf
			      : p == end && v32 == varint_inputs[i].v32);
		ok(good, "varint input: %s (get %d, get32 %d)",
		   varint_inputs[i].what, rc64, rc32);
		free(buf);
	}
}

/* A random value of a random bit length, so every length is common. */
static uint64_t rnd_bits(unsigned maxbits)
{
	unsigned bits = (unsigned)(rnd64() % (maxbits + 1));

	return bits ? rnd64() >> (64 - bits) : 0;
}

static void test_varint_random(void)
{
	enum { N = 20000 };
	uint64_t *v = xmalloc(N * sizeof(*v));
	uint8_t *buf = xmalloc(N * 10);
	const uint8_t *p, *end;
	size_t i, len = 0, bad = 0;

	for (i = 0; i < N; i++) {
		v[i] = rnd_bits(i % 2 ? 32 : 64);
		len += varint_put(buf + len, v[i]);
	}
	end = buf + len;
	p = buf;
	for (i = 0; i < N && !bad; i++) {
		uint64_t g64;
		uint32_t g32;

		if (i % 2 && (varint_get32(&p, end, &g32) || g32 != v[i]))
			bad = i + 1;
		if (!(i % 2) && (varint_get(&p, end, &g64) || g64 != v[i]))
			bad = i + 1;
	}
	ok(!bad && p == end, "varint: %d random values (u32 and u64) in a "
	   "row read back (first bad %zu)", N, bad);
	free(v);
	free(buf);
}

/* ------------------------------------------------------------------ */
/* Bit-packed blocks */

/* The layout of codec.h, one bit at a time. */
static void ref_pack(const uint32_t *in, unsigned w, uint8_t *out)
{
	size_t bit;

	memset(out, 0, (size_t)w * 16);
	for (bit = 0; bit < (size_t)w * CODEC_BLOCK; bit++)
		if (in[bit / w] >> (bit % w) & 1)
			out[bit / 8] |= (uint8_t)(1u << (bit % 8));
}

/* Packs in at width w, compares with the reference, and unpacks it from
 * the very end of a heap buffer at each of 8 alignments. */
static int pack_round_trip(const uint32_t *in, unsigned w)
{
	uint8_t packed[32 * 16 + 1], ref[32 * 16], *heap;
	uint32_t out[CODEC_BLOCK];
	size_t len = (size_t)w * 16, align;
	int good;

	memset(packed, 0xa5, sizeof(packed));
	good = bitpack128(in, w, packed) == len;
	ref_pack(in, w, ref);
	good &= !memcmp(packed, ref, len) && packed[len] == 0xa5;
	for (align = 0; align < 8 && good; align++) {
		heap = xmalloc(len + align);
		memcpy(heap + align, packed, len);
		memset(out, 0x5a, sizeof(out));
		bitunpack128(heap + align, w, out);
		good &= !memcmp(out, in, sizeof(out));
		free(heap);
	}
	return good;
}

static void test_pack_widths(void)
{
	uint32_t in[CODEC_BLOCK];
	unsigned w, i, k;

	for (w = 0; w <= 32; w++) {
		int good = 1;

		for (i = 0; i < CODEC_BLOCK; i++)
			in[i] = mask_of(w);
		good &= pack_round_trip(in, w) &&
			bits_needed(in, CODEC_BLOCK) == w;
		for (k = 0; k < 20; k++) {
			for (i = 0; i < CODEC_BLOCK; i++)
				in[i] = (uint32_t)rnd64() & mask_of(w);
			/* Random data plus one maximal value somewhere. */
			in[rnd64() % CODEC_BLOCK] = mask_of(w);
			good &= pack_round_trip(in, w) &&
				bits_needed(in, CODEC_BLOCK) == w;
		}
		for (i = 0; i < CODEC_BLOCK; i++)
			in[i] = i % 3 ? 0 : mask_of(w);
		good &= pack_round_trip(in, w);
		ok(good, "bitpack width %u: max, random and sparse blocks match "
		   "the reference layout and unpack", w);
	}
}

static void test_pack_bytes(void)
{
	static const uint8_t w3[] = { 0xd1, 0x58, 0x1f };
	static const uint8_t w12[] = { 0xbc, 0x3a, 0x12 };
	uint32_t in[CODEC_BLOCK] = { 0 }, out[CODEC_BLOCK];
	uint8_t packed[32 * 16];
	unsigned i;
	int good;

	for (i = 0; i < CODEC_BLOCK; i++)
		in[i] = (i + 1) % 8;
	good = bitpack128(in, 3, packed) == 48;
	for (i = 0; i < 48; i++)
		good &= packed[i] == w3[i % 3];
	ok(good, "bitpack bytes: w=3, 1 2 3 4 5 6 7 0 ... is d1 58 1f ...");

	for (i = 0; i < CODEC_BLOCK; i++)
		in[i] = i % 2;
	good = bitpack128(in, 1, packed) == 16;
	for (i = 0; i < 16; i++)
		good &= packed[i] == 0xaa;
	ok(good, "bitpack bytes: w=1, 0 1 0 1 ... is aa ...");

	memset(in, 0, sizeof(in));
	in[0] = 0xabc;
	in[1] = 0x123;
	good = bitpack128(in, 12, packed) == 192 && !memcmp(packed, w12, 3);
	for (i = 3; i < 192; i++)
		good &= packed[i] == 0;
	ok(good, "bitpack bytes: w=12, abc 123 0 ... is bc 3a 12 00 ...");

	for (i = 0; i < CODEC_BLOCK; i++)
		in[i] = 0x01020304u * i;
	good = bitpack128(in, 32, packed) == 512;
	for (i = 0; i < CODEC_BLOCK; i++)
		good &= packed[4 * i] == (uint8_t)in[i] &&
			packed[4 * i + 3] == (uint8_t)(in[i] >> 24);
	ok(good, "bitpack bytes: w=32 is little-endian words");

	memset(out, 0x5a, sizeof(out));
	bitunpack128(NULL, 0, out);
	good = bitpack128(in, 0, packed) == 0;
	for (i = 0; i < CODEC_BLOCK; i++)
		good &= out[i] == 0;
	ok(good, "bitpack: w=0 is 0 bytes, unpacks to zeros, reads nothing");
}

static void test_bits_needed(void)
{
	static const uint32_t v[] = { 0, 0, 1, 3, 4, 0x80000000u, UINT32_MAX };
	static const struct {
		size_t from, n;
		unsigned want;
	} cases[] = {
		{ 0, 0, 0 }, { 0, 2, 0 }, { 2, 1, 1 }, { 3, 1, 2 },
		{ 3, 2, 3 }, { 5, 1, 32 }, { 6, 1, 32 }, { 0, 5, 3 },
	};
	size_t i;

	for (i = 0; i < N_ELEMENTS(cases); i++)
		is_int(bits_needed(v + cases[i].from, cases[i].n),
		       cases[i].want, "bits_needed of v[%zu..+%zu]",
		       cases[i].from, cases[i].n);
}

/* ------------------------------------------------------------------ */
/* PFOR blocks */

/* Encodes in, checks the size and that it decodes back from an exactly
 * sized heap copy; returns the encoded size (0 on a mismatch). */
static size_t pfor_round_trip(const uint32_t *in)
{
	uint8_t packed[PFOR_MAX_BYTES + 1], *heap;
	uint32_t out[CODEC_BLOCK];
	size_t n;
	int good;

	memset(packed, 0xa5, sizeof(packed));
	n = pfor_pack128(in, packed);
	good = n >= 1 && n <= PFOR_MAX_BYTES && packed[n] == 0xa5;
	heap = exact_copy(packed, n);
	good &= pfor_size(heap, heap + n) == n;
	memset(out, 0x5a, sizeof(out));
	good &= pfor_unpack128(heap, heap + n, out) == n &&
		!memcmp(out, in, sizeof(out));
	free(heap);
	return good ? n : 0;
}

static void test_pfor_bytes(void)
{
	uint32_t in[CODEC_BLOCK], out[CODEC_BLOCK];
	uint8_t packed[PFOR_MAX_BYTES];
	size_t n, i;
	int good;

	/* 127 ones and one 300 (9 bits): width 1, one exception at index
	 * 5 with high part 300 >> 1 = 150; 300's low bit is 0 */
	for (i = 0; i < CODEC_BLOCK; i++)
		in[i] = 1;
	in[5] = 300;
	n = pfor_pack128(in, packed);
	good = n == 20 && packed[0] == 0x81 && packed[1] == 1 &&
	       packed[2] == 5 && packed[3] == 150 && packed[4] == 0xdf;
	for (i = 5; i < 20 && good; i++)
		good &= packed[i] == 0xff;
	ok(good, "pfor bytes: 1 x127 and 300 is 81 01 05 96 df ff.. (20)");
	is_int(pfor_round_trip(in), 20, "pfor: and decodes back");

	memset(in, 0, sizeof(in));
	n = pfor_pack128(in, packed);
	ok(n == 1 && packed[0] == 0, "pfor bytes: all zeros is one byte 00");
	is_int(pfor_round_trip(in), 1, "pfor: zeros decode back");

	/* no exceptions pay: every value 7 bits */
	for (i = 0; i < CODEC_BLOCK; i++)
		in[i] = 64 + (uint32_t)i % 64;
	n = pfor_pack128(in, packed);
	ok(n == 113 && packed[0] == 7, "pfor bytes: 7-bit values are 07 "
	   "and 112 packed bytes");

	/* a value of 32 bits among small ones: width 24, one exception */
	for (i = 0; i < CODEC_BLOCK; i++)
		in[i] = (uint32_t)i;
	in[100] = UINT32_MAX;
	n = pfor_round_trip(in);
	ok(n == 2 + 2 + 24 * 16, "pfor: UINT32_MAX among small values is "
	   "width 24 with one exception (%zu bytes)", n);

	/* 33 large values: more than PFOR_MAX_EXC, so no exceptions */
	for (i = 0; i < CODEC_BLOCK; i++)
		in[i] = i < PFOR_MAX_EXC + 1 ? 1000 : 1;
	n = pfor_pack128(in, packed);
	ok(n == 1 + 10 * 16 && packed[0] == 10,
	   "pfor: %d exceptions are too many: plain width 10",
	   PFOR_MAX_EXC + 1);

	/* malformed blocks: every truncation, bad widths, counts, indexes */
	for (i = 0; i < CODEC_BLOCK; i++)
		in[i] = i % 3;
	in[7] = 5000;
	in[9] = 70000;
	n = pfor_pack128(in, packed);
	good = !!(packed[0] & 0x80);
	for (i = 0; i < n && good; i++) {
		uint8_t *h = exact_copy(packed, i);

		good &= pfor_size(h, h + i) == 0 &&
			pfor_unpack128(h, h + i, out) == 0;
		free(h);
	}
	ok(good, "pfor: every truncation of a block with exceptions fails");
	{
		static const uint8_t bad[][4] = {
			{ 33 },                 /* width 33 */
			{ 0x80 | 25, 1, 0, 1 }, /* exceptions over width 24 */
			{ 0x80, 0, 0, 0 },      /* exceptions, count 0 */
			{ 0x80, PFOR_MAX_EXC + 1, 0, 0 },
			{ 0x80, 1, 128, 1 },    /* index past the block */
		};
		uint8_t blk[4 + 2 * (PFOR_MAX_EXC + 1) + 512] = { 0 };

		for (i = 0; i < N_ELEMENTS(bad); i++) {
			uint8_t *h;

			memcpy(blk, bad[i], 4);
			h = exact_copy(blk, sizeof(blk));
			is_int(pfor_unpack128(h, h + sizeof(blk), out), 0,
			       "pfor: malformed block %zu is refused", i);
			free(h);
		}
	}
}

static void test_pfor_random(void)
{
	uint32_t in[CODEC_BLOCK];
	int good = 1, with_exc = 0, i, k;

	for (i = 0; i < 20000 && good; i++) {
		unsigned w = (unsigned)(rnd64() % 33);
		unsigned nbig = (unsigned)(rnd64() % 48);
		size_t n;

		for (k = 0; k < CODEC_BLOCK; k++)
			in[k] = (uint32_t)rnd64() & mask_of(w);
		for (k = 0; k < (int)nbig; k++)
			in[rnd64() % CODEC_BLOCK] = (uint32_t)rnd64() >>
						    (rnd64() % 32);
		n = pfor_round_trip(in);
		good &= n > 0 &&
			n <= 1 + (size_t)bits_needed(in, CODEC_BLOCK) * 16;
		if (!good)
			printf("# block %d (w %u, %u large values) failed\n",
			       i, w, nbig);
		with_exc += n && n != 1 + (size_t)bits_needed(in, CODEC_BLOCK) * 16;
	}
	ok(good, "pfor: 20,000 random blocks round-trip, never larger than "
	   "plain packing");
	ok(with_exc > 1000, "pfor: %d of them used exceptions", with_exc);
}

/* ------------------------------------------------------------------ */
/* CRC-32C */

static void test_crc_vectors(void)
{
	static const char check[] = "123456789";
	uint8_t b[32];
	size_t i;
	uint32_t (*const fn[2])(uint32_t, const void *, size_t) = {
		crc32c, crc32c_sw
	};
	static const char *const name[2] = { "crc32c", "crc32c_sw" };
	size_t f;

	for (f = 0; f < 2; f++) {
		is_int(fn[f](0, check, 9), 0xe3069283u, "%s(\"123456789\")",
		       name[f]);
		is_int(fn[f](0, check, 0), 0, "%s of nothing is 0", name[f]);
		memset(b, 0, 32);
		is_int(fn[f](0, b, 32), 0x8a9136aau, "%s: 32 zeros", name[f]);
		memset(b, 0xff, 32);
		is_int(fn[f](0, b, 32), 0x62a8ab43u, "%s: 32 ff", name[f]);
		for (i = 0; i < 32; i++)
			b[i] = (uint8_t)i;
		is_int(fn[f](0, b, 32), 0x46dd794eu, "%s: 00..1f", name[f]);
		for (i = 0; i < 32; i++)
			b[i] = (uint8_t)(31 - i);
		is_int(fn[f](0, b, 32), 0x113fdb5cu, "%s: 1f..00", name[f]);
	}
}

static void test_crc_chain(void)
{
	uint8_t data[100];
	size_t i, cut;
	uint32_t whole, whole_sw;
	int good = 1;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)rnd64();
	whole = crc32c(0, data, sizeof(data));
	whole_sw = crc32c_sw(0, data, sizeof(data));
	for (cut = 0; cut <= sizeof(data); cut++) {
		good &= crc32c(crc32c(0, data, cut), data + cut,
			       sizeof(data) - cut) == whole;
		good &= crc32c_sw(crc32c_sw(0, data, cut), data + cut,
				  sizeof(data) - cut) == whole_sw;
	}
	ok(good && whole == whole_sw,
	   "crc32c(crc32c(0, a), b) == crc32c(0, a b) at every cut");
}

static void test_crc_agree(void)
{
	enum { MAX = 5000 };
	uint8_t *src = xmalloc(MAX + 16), *buf;
	size_t i, len, align, bad = 0;
	uint32_t seed;

	for (i = 0; i < MAX + 16; i++)
		src[i] = (uint8_t)rnd64();
	for (i = 0; i < 600 && !bad; i++) {
		len = i < 100 ? i : (size_t)(rnd64() % MAX);
		align = i % 16;
		seed = i % 3 ? (uint32_t)rnd64() : 0;
		buf = exact_copy(src, len + align);
		if (crc32c(seed, buf + align, len) !=
		    crc32c_sw(seed, buf + align, len))
			bad = i + 1;
		free(buf);
	}
	ok(!bad, "crc32c (%s) and crc32c_sw agree on 600 lengths and "
	   "alignments (first bad %zu)",
	   __builtin_cpu_supports("sse4.2") ? "SSE4.2" : "no SSE4.2: table",
	   bad);
	free(src);
}

/* ------------------------------------------------------------------ */
/* Norms */

static void test_norm_bytes(void)
{
	unsigned b, bad_mono = 0, bad_inv = 0, bad_tight = 0;

	for (b = 1; b < 256; b++)
		if (norm_decode((uint8_t)b) < norm_decode((uint8_t)(b - 1)))
			bad_mono = b;
	for (b = 0; b <= 253; b++) {
		uint32_t len = norm_decode((uint8_t)b);

		if (norm_encode(len) != b)
			bad_inv = b;
		/* decode(b) is the smallest length of its byte. */
		if (b && norm_encode(len - 1) != b - 1)
			bad_tight = b;
	}
	ok(!bad_mono, "norm_decode is non-decreasing over all bytes (%u)",
	   bad_mono);
	ok(!bad_inv, "norm_encode(norm_decode(b)) == b for b 0..253 (%u)",
	   bad_inv);
	ok(!bad_tight, "norm_decode(b) is the least length of byte b (%u)",
	   bad_tight);
	is_int(norm_encode(UINT32_MAX), 253, "norm_encode(2^32-1) is 253");
	ok(norm_decode(253) >= UINT32_C(1) << 31,
	   "norm_decode(253) = %u covers 2^31", norm_decode(253));
	is_int(norm_decode(254), norm_decode(253), "norm byte 254 is 253");
	is_int(norm_decode(255), norm_decode(253), "norm byte 255 is 253");
}

/* n's byte b is the one with decode(b) <= n < decode(b+1): with the
 * checks above that is rounding down, monotonic, and at most 1/8 lost. */
static int norm_good(uint32_t n)
{
	uint8_t b = norm_encode(n);

	if (n < 40 && (b != n || norm_decode(b) != n))
		return 0;
	if (n >= 40 && n - norm_decode(b) > n / 8)
		return 0;
	return norm_decode(b) <= n && (b >= 253 || n < norm_decode(b + 1));
}

static void test_norm_lengths(void)
{
	uint32_t n, bad = 0, e, d;
	int s, any_bad = 0;

	for (n = 0; n < (1u << 20); n++)
		if (!norm_good(n) && !any_bad++)
			bad = n;
	ok(!any_bad, "norm: every length below 2^20 (first bad %u)", bad);
	for (e = 0; e < 32; e++)
		for (s = -3; s <= 3; s++) {
			for (d = 0; d < 16; d++) {
				n = (UINT32_C(1) << e) + (d << (e > 3 ? e - 3 : 0)) +
				    (uint32_t)s;
				if (!norm_good(n) && !any_bad++)
					bad = n;
			}
		}
	ok(!any_bad, "norm: every bucket edge +-3 up to 2^32 (first bad %u)",
	   bad);
	for (n = 0; n < 1000000; n++) {
		uint32_t x = (uint32_t)rnd_bits(32);

		if (!norm_good(x) && !any_bad++)
			bad = x;
	}
	ok(!any_bad && norm_good(UINT32_MAX),
	   "norm: a million random lengths (first bad %u)", bad);
}

/* Bucket by bucket, every u32: the lengths from decode(b) up to just
 * below decode(b+1) are exactly those that encode to b. */
static void test_norm_all(void)
{
	uint64_t n, lo, hi;
	unsigned b, bad = 0;

	for (b = 0; b <= 253; b++) {
		lo = norm_decode((uint8_t)b);
		hi = b < 253 ? norm_decode((uint8_t)(b + 1)) : UINT64_C(1) << 32;
		if (!norm_good((uint32_t)(hi - 1)))
			bad = b;
		for (n = lo; n < hi; n++)
			if (norm_encode((uint32_t)n) != b)
				bad = b;
	}
	ok(!bad, "norm: every u32 length, bucket by bucket (bad byte %u)", bad);
}

/* ------------------------------------------------------------------ */
/* Throughput, with CODEC_BENCH=1 */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum { BENCH_BLOCKS = 256 };

static void bench_width(unsigned w, uint32_t *vals, uint8_t *packed,
			uint32_t *out)
{
	double t0, tp, tu;
	size_t b, i, reps = 0, preps = 0;
	uint32_t sum = 0;

	for (i = 0; i < BENCH_BLOCKS * CODEC_BLOCK; i++)
		vals[i] = (uint32_t)rnd64() & mask_of(w);
	t0 = now();
	do {
		for (b = 0; b < BENCH_BLOCKS; b++)
			bitpack128(vals + b * CODEC_BLOCK, w, packed + b * 512);
		preps++;
	} while ((tp = now() - t0) < 0.05);
	t0 = now();
	do {
		for (b = 0; b < BENCH_BLOCKS; b++) {
			bitunpack128(packed + b * 512, w, out);
			sum += out[b % CODEC_BLOCK];
		}
		reps++;
	} while ((tu = now() - t0) < 0.15);
	printf("# w=%2u  unpack %5.2f G ints/s  pack %5.2f G ints/s  (%x)\n", w,
	       (double)reps * BENCH_BLOCKS * CODEC_BLOCK / tu / 1e9,
	       (double)preps * BENCH_BLOCKS * CODEC_BLOCK / tp / 1e9,
	       sum & 0xf);
}

static void bench_crc(const char *name,
		      uint32_t (*fn)(uint32_t, const void *, size_t),
		      const uint8_t *buf, size_t len)
{
	double t0, t;
	size_t reps = 0, i;
	uint32_t c = 0;

	t0 = now();
	do {
		/* About 1 MB between clock reads; each call waits for the
		 * last, so this is latency-bound. */
		for (i = 0; i < (1u << 20) / len; i++)
			c = fn(c, buf, len);
		reps += i;
	} while ((t = now() - t0) < 0.2);
	printf("# %s, %zu-byte buffers: %.2f GB/s (%08x)\n", name, len,
	       (double)reps * len / t / 1e9, c);
}

static void bench_varint(uint8_t *buf)
{
	enum { N = 100000 };
	size_t i, len = 0, reps = 0;
	const uint8_t *p;
	uint32_t v, sum = 0;
	double t0, t;

	for (i = 0; i < N; i++)
		len += varint_put(buf + len, rnd_bits(i % 4 ? 14 : 28));
	t0 = now();
	do {
		for (p = buf; p < buf + len && !varint_get32(&p, buf + len, &v);)
			sum += v;
		reps++;
	} while ((t = now() - t0) < 0.2);
	printf("# varint_get32 (1-4 byte values): %.0f M/s (%x)\n",
	       (double)reps * N / t / 1e6, sum & 0xf);
}

static void bench(void)
{
	uint32_t *vals = xmalloc(BENCH_BLOCKS * CODEC_BLOCK * sizeof(*vals));
	uint8_t *buf = xmalloc(BENCH_BLOCKS * 512 + (1u << 20));
	uint32_t out[CODEC_BLOCK];
	unsigned w;
	size_t i;

	for (w = 0; w <= 32; w++)
		bench_width(w, vals, buf, out);
	for (i = 0; i < (1u << 20); i++)
		buf[i] = (uint8_t)rnd64();
	bench_crc("crc32c", crc32c, buf, 1u << 20);
	bench_crc("crc32c_sw", crc32c_sw, buf, 1u << 20);
	bench_crc("crc32c", crc32c, buf, 4096);
	bench_crc("crc32c", crc32c, buf, 64);
	bench_varint(buf);
	test_norm_all();
	free(vals);
	free(buf);
}

int main(void)
{
	const char *b = getenv("CODEC_BENCH");

	test_varint_values();
	test_varint_bytes();
	test_varint_inputs();
	test_varint_random();
	test_pack_widths();
	test_pack_bytes();
	test_bits_needed();
	test_pfor_bytes();
	test_pfor_random();
	test_crc_vectors();
	test_crc_chain();
	test_crc_agree();
	test_norm_bytes();
	test_norm_lengths();
	if (b && !strcmp(b, "1"))
		bench();
	return tap_done();
}
