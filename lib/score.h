/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * score.h - the one scoring function: BM25F.
 *
 * For a term t and a document d:
 *   tf~ = sum over the fields f searched (in field order) with tf_f > 0 of
 *         tf_f * K_f(norm_f),  K_f(n) = w_f / (1 - b_f + b_f * len(n) / avglen_f)
 *   score = idf * (k1 + 1) * tf~ / (k1 + tf~)
 *   idf = ln(1 + (N - df + 0.5) / (df + 0.5))
 * norm_f is the document's length-norm byte and len(n) the length it
 * stands for (codec.h); K_f is tabulated per collection for the 256 norm
 * values, so scoring a field is one multiplication.  N, the documents of every
 * live segment (deleted ones too, until merged away); avglen_f the sum of
 * the field's lengths over them divided by N; df the largest of the
 * term's per-field document frequencies (summed over segments).  A
 * phrase scores the same way with its frequency as tf and the sum of its
 * terms' idf.  A query's score is the sum of its clauses' scores, in
 * clause order.  The engine and the naive evaluator of the tests both
 * call these functions, compiled with -ffp-contract=off, so that their
 * scores agree to the last bit but for summation order.
 */
#ifndef TRAWL_SCORE_H
#define TRAWL_SCORE_H

#include <stdint.h>

#include "index.h"

#define BM25_K1 1.2

struct bm25_stats {
	uint64_t ndocs;
	double avglen[FLD_NTEXT];
	double k[FLD_NTEXT][256]; /* K_f(norm byte) */
};

extern const double bm25_weight[FLD_NTEXT];
extern const double bm25_b[FLD_NTEXT];

void bm25_stats_init(struct bm25_stats *st, uint64_t ndocs,
		     const uint64_t sum_len[FLD_NTEXT]);
double bm25_idf(const struct bm25_stats *st, uint64_t df);
/* tf and norm (length-norm bytes) are indexed by field; mask selects the
 * fields (bit f).  Monotonic: more tf or a smaller norm never scores
 * less, which block-max bounds rely on. */
double bm25f(const struct bm25_stats *st, double idf, const uint32_t *tf,
	     const uint8_t *norm, unsigned mask);

/* bm25f in pieces, for callers that hold one field at a time: summing
 * bm25f_part over the fields with tf > 0 in field order, then
 * bm25f_final, is bm25f to the last bit. */
static inline double bm25f_part(const struct bm25_stats *st, int f,
				uint32_t tf, uint8_t norm)
{
	return (double)tf * st->k[f][norm];
}

static inline double bm25f_final(double idf, double t)
{
	return idf * (BM25_K1 + 1.0) * t / (BM25_K1 + t);
}

#endif
