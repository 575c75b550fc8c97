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

/* Records segment si as live (a row of `segments`), in the caller's
 * transaction. */
struct seg_info;
trawl_status index_record_segment(trawl_archive *a, const struct seg_info *si);

/* Indexes the items stored without the index (meta unindexed_from on)
 * into new segments and makes them live, in one transaction; *docs: how
 * many.  Nothing to do when there are none.  failpoint: the ingest's test
 * hook ("catch-up-before-commit"), or NULL; progress: its on_progress is
 * called every 1000 items and once at the end (may be NULL). */
struct trawl_reindex_options;
trawl_status index_catch_up(trawl_archive *a, const char *failpoint,
			    const struct trawl_reindex_options *progress,
			    uint64_t *docs);
/*
 * Builds the documents of items ids[0..n) from trawl.db (as reindex
 * does) into a new segment `segment_id` (written and fsynced; the caller
 * records it).  info->ndocs is 0 when none of them exists.
 */
trawl_status reindex_items(trawl_archive *a, const int64_t *ids, size_t n,
			   int64_t segment_id, struct seg_info *info);

#endif
