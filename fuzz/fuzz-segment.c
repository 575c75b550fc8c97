/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz-segment.c - the index segment reader on hostile files.
 *
 * Input: four u32 little-endian lengths, then the four files of one
 * segment (dic, pst, pos, dvs) back to back; lengths past the end are
 * cut.  Checksums are not verified (a fuzzer would never get past them):
 * the reader's own bounds checks must hold.
 * The target opens the segment, walks every term, decodes every postings
 * list with its positions, advances cursors to scattered targets, and
 * looks a few keys up.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "segment.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct walk {
	const struct segment *seg;
	uint32_t pos[256];
	unsigned terms;
};

static int on_term(void *ctx, const uint8_t *key, size_t klen,
		   const struct term_info *ti)
{
	struct walk *w = ctx;
	struct postings pc, pa;
	struct term_info found;
	uint32_t last = 0, n = 0;

	postings_init(&pc, w->seg, key[0], ti);
	for (uint32_t d = postings_next(&pc); d != DOC_END;
	     d = postings_next(&pc)) {
		if (n++ && d <= last)
			__builtin_trap(); /* docs must ascend */
		if (d >= w->seg->ndocs)
			__builtin_trap();
		last = d;
		if (field_has_pos(key[0]) && postings_tf(&pc) <= 256)
			postings_positions(&pc, w->pos);
		if (n > 1000000)
			break;
	}
	postings_init(&pa, w->seg, key[0], ti);
	postings_next(&pa);
	for (uint32_t t = 7; pa.doc != DOC_END && t < w->seg->ndocs; t += 97) {
		if (pa.doc < t && postings_advance(&pa, t) < t)
			__builtin_trap();
	}
	segment_lookup(w->seg, key, klen, &found);
	return ++w->terms > 20000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seg_map m[SEG_NFILES];
	struct segment s;
	struct walk w = { .seg = &s };
	uint8_t *copy;
	size_t off = 16;
	char err[256];

	if (size < 16)
		return 0;
	copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	for (int i = 0; i < SEG_NFILES; i++) {
		uint32_t n = (uint32_t)data[4 * i] | (uint32_t)data[4 * i + 1] << 8 |
			     (uint32_t)data[4 * i + 2] << 16 |
			     (uint32_t)data[4 * i + 3] << 24;

		if (n > size - off)
			n = (uint32_t)(size - off);
		m[i] = (struct seg_map){ copy + off, n };
		off += n;
	}
	if (segment_open_mem(&s, 1, m, 0, err, sizeof(err)) == TRAWL_OK) {
		segment_terms(&s, (const uint8_t *)"", 0, on_term, &w);
		segment_lookup(&s, (const uint8_t *)"\001the", 4,
			       &(struct term_info){ 0 });
		free(s.sparse);
	}
	free(copy);
	return 0;
}
