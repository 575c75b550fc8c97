/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz-analyze.c - runs the analyzer on the input and checks the promises
 * of analyze.h for every token: a kind, non-empty well-formed UTF-8 text
 * within its cap, a stem exactly for TOK_WORD, offsets inside the input,
 * start offsets and positions that never go back, and a return value past
 * every position used.  It also checks that a second run from another
 * pos0 gives the same tokens shifted, and that stopping at the k-th token
 * (k from the first input byte) stops there.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "mailutil.h"
#include "banned.h"

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond))                                                 \
			__builtin_trap();                                    \
	} while (0)

#define POS0 1000u
#define SHIFT 7u

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct analyzer *an;

struct run {
	size_t size;
	uint32_t pos0, last_pos, last_start, max_pos;
	uint64_t sum; /* of everything a token has, less pos0 */
	size_t count, stop_at;
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	an = analyzer_new();
	return 0;
}

static uint64_t mix(uint64_t h, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211u;
	return h;
}

static size_t cap_of(int kind)
{
	return kind == TOK_COMPOUND ? TRAWL_COMPOUND_MAX : TRAWL_TOKEN_MAX;
}

static int check_cb(void *ctx, const struct token *t)
{
	struct run *r = ctx;

	CHECK(t->kind >= TOK_WORD && t->kind <= TOK_CJK);
	CHECK(t->text != NULL && t->len > 0 && strlen(t->text) == t->len);
	CHECK(t->len <= cap_of(t->kind));
	CHECK(utf8_valid(t->text, t->len));
	if (t->kind == TOK_WORD) {
		CHECK(t->stem != NULL && t->stem_len > 0);
		CHECK(strlen(t->stem) == t->stem_len);
		CHECK(t->stem_len <= TRAWL_TOKEN_MAX);
		CHECK(utf8_valid(t->stem, t->stem_len));
	} else {
		CHECK(t->stem == NULL);
	}
	CHECK(t->start < t->end && t->end <= r->size);
	CHECK(t->pos >= r->pos0 && t->pos - r->pos0 < r->size);
	if (r->count) {
		CHECK(t->start >= r->last_start);
		CHECK(t->pos >= r->last_pos);
	}
	r->last_start = t->start;
	r->last_pos = t->pos;
	if (t->pos + 1 > r->max_pos)
		r->max_pos = t->pos + 1;
	r->sum = mix(r->sum, t->text, t->len + 1);
	if (t->stem)
		r->sum = mix(r->sum, t->stem, t->stem_len);
	r->sum = r->sum * 31 + (t->pos - r->pos0) * 7 + t->start * 3 +
		 t->end + (uint64_t)t->kind;
	r->count++;
	return r->stop_at && r->count == r->stop_at;
}

static uint32_t run(const char *d, size_t size, uint32_t pos0,
		    size_t stop_at, struct run *r)
{
	memset(r, 0, sizeof(*r));
	r->size = size;
	r->pos0 = pos0;
	r->stop_at = stop_at;
	return analyzer_run(an, d, size, pos0, check_cb, r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data;
	struct run r1, r2, r3;
	uint32_t n1, n2, n3;
	size_t k;

	if (!an)
		return 0;
	n1 = run(d, size, POS0, 0, &r1);
	CHECK(n1 >= POS0 && n1 - POS0 <= size);
	CHECK(r1.count == 0 || n1 >= r1.max_pos);

	n2 = run(d, size, POS0 + SHIFT, 0, &r2);
	CHECK(n2 == n1 + SHIFT);
	CHECK(r2.count == r1.count && r2.sum == r1.sum);

	if (r1.count && size) {
		k = 1 + data[0] % r1.count;
		n3 = run(d, size, POS0, k, &r3);
		CHECK(r3.count == k);
		CHECK(n3 == r3.last_pos + 1);
	}
	return 0;
}
