/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz-qparse.c - the query parser on any bytes: it returns a tree or an
 * error, never both, never neither; an error's position lies within the
 * query and its message is set; a tree describes itself, and parsing the
 * same text again gives the same tree (no hidden state).  Trees stay
 * within the limits of bounds.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "query.h"
#include "trawl.h"
#include "banned.h"

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond))                                                 \
			__builtin_trap();                                    \
	} while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static trawl_parser *parser;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	parser = trawl_parser_new();
	return 0;
}

/* Nodes, and the depth of the deepest. */
static size_t nodes(const trawl_query *q, int depth, int *max_depth)
{
	size_t n = 1;

	if (depth > *max_depth)
		*max_depth = depth;
	for (size_t i = 0; i < q->nkids; i++)
		n += nodes(q->kids[i].q, depth + 1, max_depth);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	trawl_query *q = NULL, *q2 = NULL;
	trawl_parse_error err, err2;
	trawl_status st, st2;
	char *d1 = NULL, *d2 = NULL;
	int depth = 0;

	if (!parser)
		parser = trawl_parser_new();
	if (size > TRAWL_MAX_QUERY_LEN + 16)
		size = TRAWL_MAX_QUERY_LEN + 16;
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = 0;
	st = trawl_query_parse(parser, text, &q, &err);
	CHECK(!st == !!q);
	if (st) {
		CHECK(st == TRAWL_ERR_INVALID || st == TRAWL_ERR_TOO_LARGE);
		CHECK(err.pos <= strlen(text));
		CHECK(err.message[0]);
	} else {
		CHECK(nodes(q, 0, &depth) <= 2 * TRAWL_MAX_QUERY_WORDS * 16);
		CHECK(depth <= 2 * TRAWL_MAX_QUERY_DEPTH + 4);
		d1 = trawl_query_describe(q);
		CHECK(d1 && d1[0] == '(');
		(void)trawl_query_names_kind(q);
	}
	st2 = trawl_query_parse(parser, text, &q2, &err2);
	CHECK(st2 == st);
	if (!st) {
		d2 = trawl_query_describe(q2);
		CHECK(d2 && !strcmp(d1, d2));
	} else {
		CHECK(err2.pos == err.pos && !strcmp(err.message, err2.message));
	}
	free(d1);
	free(d2);
	trawl_query_free(q);
	trawl_query_free(q2);
	free(text);
	return 0;
}
