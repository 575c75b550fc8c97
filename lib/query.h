/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* query.h - the query tree behind trawl_query (trawl.h). */
#ifndef TRAWL_QUERY_H
#define TRAWL_QUERY_H

#include <stdint.h>

#include "index.h"
#include "trawl.h"

enum qtype { Q_TERM = 1, Q_PHRASE, Q_PREFIX, Q_KEYWORD, Q_RANGE, Q_ALL,
	     Q_BOOL, Q_THREAD, Q_PATH };

struct qchild {
	int occur; /* trawl_occur */
	struct trawl_query *q;
};

struct trawl_query {
	int type;
	unsigned fields;   /* TERM, PHRASE, PREFIX: mask of text fields */
	int stem;          /* TERM */
	char *text;        /* TERM, PREFIX, KEYWORD; PATH: the path prefix */
	char **terms;      /* PHRASE */
	size_t nterms;
	unsigned slop;     /* PHRASE */
	int kw;            /* KEYWORD: field */
	int col;           /* RANGE */
	int64_t lo, hi;    /* RANGE; THREAD: lo is the thread ID */
	struct qchild *kids; /* BOOL */
	size_t nkids;
};

#endif
