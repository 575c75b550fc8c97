/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* indexdb.h - live segments in trawl.db; merges (indexdb.c). */
#ifndef TRAWL_INDEXDB_H
#define TRAWL_INDEXDB_H

#include "trawl.h"

struct index_hooks {
	/* called at "after-merge-write" and "after-merge-commit" */
	void (*failpoint)(void *ctx, const char *name);
	void *ctx;
};

enum index_merge_mode {
	INDEX_MERGE_POLICY = 0,  /* while the policy (merge.h) picks some */
	INDEX_MERGE_ALL = 1,     /* every live segment into one */
	INDEX_MERGE_EXPUNGE = 2, /* each segment with deletions, alone */
};

/*
 * Merges segments, each merge its own commit; merged segments lose their
 * deleted documents.  a must be open for writing, with no transaction
 * open; dirfd is index/.
 */
trawl_status index_merge(trawl_archive *a, int dirfd, int mode,
			 const struct index_hooks *h);

#endif
