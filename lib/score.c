/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* score.c - BM25F (see score.h). */
#include <math.h>

#include "codec.h"
#include "score.h"
#include "banned.h"

/* subject, body, from, to, cc, bcc, attachment names, attachment text */
const double bm25_weight[FLD_NTEXT] = { 3.0, 1.0, 2.0, 1.5, 1.0, 1.0, 2.0,
					0.8 };
const double bm25_b[FLD_NTEXT] = { 0.5, 0.75, 0.3, 0.3, 0.3, 0.3, 0.5,
				   0.75 };

void bm25_stats_init(struct bm25_stats *st, uint64_t ndocs,
		     const uint64_t sum_len[FLD_NTEXT])
{
	st->ndocs = ndocs;
	for (int f = 0; f < FLD_NTEXT; f++) {
		st->avglen[f] = ndocs && sum_len[f]
					? (double)sum_len[f] / (double)ndocs
					: 1.0;
		for (int n = 0; n < 256; n++)
			st->k[f][n] = bm25_weight[f] /
				      (1.0 - bm25_b[f] +
				       bm25_b[f] * (double)norm_decode((uint8_t)n) /
					       st->avglen[f]);
	}
}

double bm25_idf(const struct bm25_stats *st, uint64_t df)
{
	double n = (double)st->ndocs, d = (double)df;

	return log(1.0 + (n - d + 0.5) / (d + 0.5));
}

double bm25f(const struct bm25_stats *st, double idf, const uint32_t *tf,
	     const uint8_t *norm, unsigned mask)
{
	double t = 0.0;

	for (int f = 0; f < FLD_NTEXT; f++)
		if ((mask & (1u << f)) && tf[f])
			t += bm25f_part(st, f, tf[f], norm[f]);
	return bm25f_final(idf, t);
}
