/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* search-internal.h - what facet.c needs of the searcher (search.c). */
#ifndef TRAWL_SEARCH_INTERNAL_H
#define TRAWL_SEARCH_INTERNAL_H

#include <stdint.h>

#include "segment.h"
#include "threadmap.h"
#include "trawl.h"

trawl_status searcher_fail(trawl_searcher *s, trawl_status st,
			   const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const struct segment *searcher_segment(const trawl_searcher *s, size_t i);
/* The docs of every live segment that match q, deleted ones left out,
 * only o's kinds (o may be NULL: every match): (*bits)[i] is segment i's
 * bitmap (bit d of word d / 64), *n the number of segments.  Free each
 * bitmap and the array. */
trawl_status searcher_match_bits(trawl_searcher *s, const trawl_query *q,
				 const trawl_search_options *o,
				 uint64_t ***bits, size_t *n);

/* The item -> thread and item -> first copy map of the searcher's
 * commit. */
const struct threadmap *searcher_threads(const trawl_searcher *s);

#endif
