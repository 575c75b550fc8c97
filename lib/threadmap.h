/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* threadmap.h - the per-commit item -> thread and item -> first copy
 * arrays (threadmap.c). */
#ifndef TRAWL_THREADMAP_H
#define TRAWL_THREADMAP_H

#include <stddef.h>
#include <stdint.h>

#include "trawl.h"

struct threadmap {
	const uint8_t *p;       /* the mapped file */
	size_t len;
	uint64_t gen;
	uint64_t n;             /* entries: item IDs 0..n-1 */
	const uint64_t *thread; /* thread[item], 0: none */
	const uint64_t *copy;   /* copy[item]: the smallest ID of the
				 * item's group of copies (same content
				 * hash), 0: no copies; NULL in a version 1
				 * map */
};

void threadmap_file_name(uint64_t gen, char out[40]);
int threadmap_parse_name(const char *name, uint64_t *gen);

/* Writes a new map from trawl.db and commits it (a must be open for
 * writing, outside a transaction). */
trawl_status threadmap_write(trawl_archive *a);

/* Maps and validates generation gen in dirfd. */
trawl_status threadmap_open(struct threadmap *m, int dirfd, uint64_t gen,
			    char *err, size_t errlen);
void threadmap_close(struct threadmap *m);

static inline uint64_t threadmap_get(const struct threadmap *m,
				     uint64_t item)
{
	return item < m->n ? m->thread[item] : 0;
}

/* The first of the item's copies (itself when it has none). */
static inline uint64_t threadmap_copy_of(const struct threadmap *m,
					 uint64_t item)
{
	uint64_t c = m->copy && item < m->n ? m->copy[item] : 0;

	return c ? c : item;
}

#endif
