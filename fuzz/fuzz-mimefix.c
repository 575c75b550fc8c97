/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz-mimefix.c - the MIME framing repairs on any bytes, with any
 * multiparts a parser could report.  The input is a small header, then
 * the message:
 *   byte 0        bits 0-2: multiparts (0-7); bit 3: pin a blank line
 *   per part      7 bytes: flags (bit 0: no boundary; bits 1-2: 1 a
 *                 digest, 2 an embedded message, else a multipart), the
 *                 field's offset (2 bytes), the boundary's offset and
 *                 length in the message (2 + 2 bytes; a long one is the
 *                 message's bytes repeated)
 * Planned up to MIMEFIX_ROUNDS times, the second time with each renamed
 * boundary reported as its token, as GMime would.  Checked: the copy has
 * the length it says (ASan sees any write past it), the map from the copy
 * is monotonic and inside the original, every byte outside an edit maps to
 * the same byte, edits are sorted and disjoint, a plan made again from the
 * same report does not change, and a token stands for its boundary.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mimefix.h"
#include "banned.h"

#define MAX_PARTS 7

static uint16_t u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* A boundary: len bytes of msg from `at`, repeated as needed (NUL-free). */
static char *make_boundary(const uint8_t *msg, size_t n, size_t at,
			   size_t len)
{
	char *b = malloc(len + 1);

	for (size_t i = 0; i < len; i++) {
		char c = n ? (char)msg[(at + i) % n] : 'b';

		b[i] = c ? c : '0';
	}
	b[len] = '\0';
	return b;
}

static void check(const struct mimefix *f)
{
	size_t clen = mimefix_copy_len(f), prev = 0, e = 0;
	char *copy = malloc(clen ? clen : 1);

	mimefix_write(f, copy);
	for (size_t i = 0; i < f->nedits; i++) {
		const struct mimefix_edit *x = &f->edits[i];

		if (x->at + x->len > f->len || (i && x->at <
		    f->edits[i - 1].at + f->edits[i - 1].len))
			abort();
		if (memcmp(copy + x->copy_at, f->pool.data + x->rep,
			   x->rep_len))
			abort();
	}
	for (size_t pos = 0; pos <= clen; pos++) {
		size_t o = mimefix_to_orig(f, pos);

		if (o < prev || o > f->len)
			abort();
		prev = o;
		while (e < f->nedits &&
		       pos >= f->edits[e].copy_at + f->edits[e].rep_len)
			e++;
		if (pos < clen && (e == f->nedits || pos < f->edits[e].copy_at)
		    && (o >= f->len || copy[pos] != f->orig[o]))
			abort();
	}
	if (mimefix_to_orig(f, clen) != f->len)
		abort();
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mimefix_part parts[MAX_PARTS];
	char *own[MAX_PARTS] = { NULL };
	struct mimefix f;
	const uint8_t *msg;
	size_t nparts, head, n;

	if (size < 1)
		return 0;
	nparts = data[0] & 7;
	head = 1 + 7 * nparts;
	if (size < head)
		return 0;
	msg = data + head;
	n = size - head;
	for (size_t i = 0; i < nparts; i++) {
		const uint8_t *d = data + 1 + 7 * i;
		size_t len = u16(d + 5) % 2048;

		parts[i].kind = (d[0] >> 1 & 3) == 1 ? MIMEFIX_DIGEST
				: (d[0] >> 1 & 3) == 2 ? MIMEFIX_MESSAGE
				: MIMEFIX_MULTIPART;
		parts[i].header = n ? u16(d + 1) % (n + 1) : 0;
		own[i] = (d[0] & 1) ? NULL
			 : make_boundary(msg, n, u16(d + 3), len ? len : 1);
		parts[i].boundary = own[i];
	}
	mimefix_init(&f, (const char *)msg, n);
	if (data[0] & 8)
		mimefix_pin(&f, n ? u16(data) % (n + 1) : 0, "\n", 1);
	check(&f);
	for (int round = 0; round < MIMEFIX_ROUNDS; round++) {
		int changed = mimefix_plan(&f, parts, nparts);

		check(&f);
		if (round == 0 && mimefix_plan(&f, parts, nparts))
			abort(); /* the same report, the same plan */
		if (!changed)
			break;
	}
	/* only digests and embedded messages become leaves */
	for (size_t i = 0; i < nparts; i++) {
		int leafy = 0;

		for (size_t k = 0; k < nparts; k++)
			leafy |= parts[k].header == parts[i].header &&
				 parts[k].kind != MIMEFIX_MULTIPART;
		if (mimefix_leaf(&f, parts[i].header) && !leafy)
			abort();
	}
	/* the parser reports renamed boundaries as their tokens */
	for (size_t i = 0; i < f.nlongs && i < nparts; i++) {
		const char *l = f.longs.data + f.long_at[i];
		char tok[48];

		memcpy(tok, "=_trawl_long_boundary_", 22);
		tok[22] = (char)('0' + i % 10);
		memcpy(tok + 23, "_=", 3);
		if (i < 10 && strcmp(mimefix_boundary(&f, tok), l) != 0)
			abort();
	}
	mimefix_plan(&f, parts, nparts);
	check(&f);
	mimefix_release(&f);
	for (size_t i = 0; i < nparts; i++)
		free(own[i]);
	return 0;
}
