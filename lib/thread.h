/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * thread.h - conversation threads.
 *
 * Threads are computed over the top-level emails of the whole archive, as
 * in jwz's "Message Threading": every Message-ID named in In-Reply-To or
 * References is a node, present or not (a missing one is a "ghost" that
 * still holds its thread together); a message is linked to each ID it
 * names.  A thread is a connected set; its ID is the smallest item ID in
 * it.  A message that names no ID at all but whose subject carries a reply
 * or forward prefix is, as a fallback, put in the thread of the latest
 * earlier message with the same base subject within THREAD_SUBJECT_WINDOW
 * seconds.  The result depends only on the set of messages, never on the
 * order or batches in which they arrived.
 */
#ifndef TRAWL_THREAD_H
#define TRAWL_THREAD_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

#define THREAD_SUBJECT_WINDOW (30 * 24 * 3600)

struct thread_msg {
	int64_t id;
	const char *msgid;        /* may be NULL */
	const char *in_reply_to;  /* may be NULL */
	const char *refs;         /* space-separated IDs, may be NULL */
	const char *subject;      /* may be NULL */
	const char *base_subject; /* may be NULL */
	int64_t date;
	const char *tiebreak;     /* content key (blob SHA-256 hex), may be NULL */
};

/*
 * Computes, for each of the n messages, its thread ID (thread[i]) and the
 * Message-ID of its parent (parent[i]: the last ID of References, else
 * the last of In-Reply-To; NULL for a root).  parent[i] points into the
 * input string and ends at the next space or NUL.
 * Returns 0, or -1 when memory ran out.
 */
int thread_compute(const struct thread_msg *m, size_t n, int64_t *thread,
		   const char **parent);

/* Recomputes the threads table from the items in a, in the write
 * transaction the caller holds (the ingest's last batch); a thread whose
 * ID changes because it merged into another is recorded in
 * thread_redirects. */
trawl_status threads_update(trawl_archive *a);

#endif
