/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * writer.h - the one writer of an ingest: assigns item IDs in input order,
 * appends blobs, and commits batches.
 *
 * The commit unit is a batch: its blobs are appended to the pack and made
 * durable (fdatasync), its index segment written and fsynced, then one
 * SQLite transaction records its items, blobs, source locations, the
 * packs' new lengths and the new segment.  A crash anywhere
 * leaves the last committed batch; the next writer cuts the pack tails
 * back, and ingesting the same inputs again adds exactly what was lost.
 */
#ifndef TRAWL_WRITER_H
#define TRAWL_WRITER_H

#include <glib.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>

#include "internal.h"
#include "pack.h"
#include "segment.h"
#include "wire.h"

/* items.flags */
#define ITEM_FLAG_MSGID_CONFLICT 1u /* another email has this Message-ID */

struct writer {
	trawl_archive *a;
	const trawl_ingest_options *opt;
	trawl_ingest_summary *sum;
	struct pack_writer pw;
	sqlite3_stmt *find_blob, *ins_blob, *find_root, *ins_item, *find_addr,
		*ins_addr, *ins_source, *ins_warning,
		*ins_failure, *find_msgid, *flag_conflict;
	GHashTable *addr_ids;  /* address -> id, a cache of the table */
	struct inverter *inv;  /* the batch's documents: its segment */
	int index_fd;          /* index/ */
	int64_t next_segment;
	int any_removed;       /* the archive has tombstones */
	int no_index;          /* store only (trawl_ingest_options) */
	int64_t next_id;
	size_t batch_items, batch_bytes;
	int in_txn;
	int last;              /* the commit of writer_finish */
	int64_t ingest_id;
	unsigned failpoint_hits;
	struct buf tmp;
	struct buf key;        /* address being looked up */
	struct buf brief, more; /* the item's addrs_brief, addrs_more */
	/* the checkpoint after a commit, in a thread of its own (writer.c) */
	pthread_t ckpt_thread;
	int ckpt_running;
	int ckpt_rc;           /* its SQLite result */
	char *ckpt_path;       /* trawl.db's path, for its connection */
};

/* Where a unit came from. */
struct unit_source {
	const char *path, *member;
	int64_t offset, length;
};

/* A writer that writer_close may be given before (or after a failed)
 * writer_open: no descriptor to close. */
void writer_init(struct writer *w);
trawl_status writer_open(struct writer *w, trawl_archive *a,
			 const trawl_ingest_options *opt,
			 trawl_ingest_summary *sum);
/* Stores a parsed unit: new items, or one more location of known bytes. */
trawl_status writer_unit(struct writer *w, const struct unit_source *src,
			 const struct rec_unit *u);
/* Records a unit or file that could not be stored as items; raw (may be
 * NULL) is kept as a blob so that nothing is lost. */
trawl_status writer_failure(struct writer *w, const struct unit_source *src,
			    const char *code, const char *detail,
			    const void *raw, size_t rawlen);
/* Waits for the checkpoint a commit started in the background; an error
 * when it failed to write.  Before any fork, and before the ingest ends. */
trawl_status writer_checkpoint_wait(struct writer *w);
/* Commits the batch if it is full (or always, with force). */
trawl_status writer_commit(struct writer *w, int force);
/* Commits what is left and finishes the ingest record. */
trawl_status writer_finish(struct writer *w);
void writer_close(struct writer *w);

/* Kills the process when opt->failpoint names this point (test hook). */
void writer_failpoint(struct writer *w, const char *name);

#endif
