/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* merge.h - merging index segments, and choosing which (merge.c). */
#ifndef TRAWL_MERGE_H
#define TRAWL_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "segment.h"

#define MERGE_FACTOR 10
#define MERGE_MIN_DOCS 1000 /* segments below this share the lowest tier */

/*
 * Writes segment `id` from the live documents of in[0..n) (adjacent, in
 * item order): del[i] is input i's deletion bitmap (bit d of byte d/8 set:
 * document d is deleted), or NULL; del itself may be NULL.
 */
trawl_status segments_merge(const struct segment *in,
			    const uint8_t *const *del, size_t n, int dirfd,
			    uint64_t id, struct seg_info *info, char *err,
			    size_t errlen);

/* One live segment as the policy sees it (in item order). */
struct merge_cand {
	uint64_t id;
	uint64_t ndocs, ndeleted;
};

/* Picks segments to merge: 1 with the run c[*first .. *first + *count),
 * 0 when none needs merging. */
int merge_pick(const struct merge_cand *c, size_t n, size_t *first,
	       size_t *count);

#endif
