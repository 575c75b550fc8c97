/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * trawl.h - the public interface of libtrawl.
 *
 * An archive is a directory holding trawl.db (SQLite), blobs/ (originals
 * and attachments, content-addressed) and, later, index/.  Everything the
 * CLI and the web server do goes through the functions below; the types are
 * opaque handles with accessors.
 *
 * Conventions:
 *  - Every fallible function returns a trawl_status.  When it fails on an
 *    archive handle, trawl_archive_errmsg() says what went wrong, naming the
 *    file or position.
 *  - Strings returned by accessors are owned by the handle they came from
 *    and live until that handle is freed.  They are UTF-8; NULL means the
 *    field is absent (as opposed to "" for present but empty).
 *  - The library never exits, never prints, never reads configuration.
 */
#ifndef TRAWL_H
#define TRAWL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TRAWL_VERSION "0.1.0"

typedef enum trawl_status {
	TRAWL_OK = 0,
	TRAWL_ERR_NOMEM,     /* out of memory */
	TRAWL_ERR_IO,        /* a read, write or sync failed */
	TRAWL_ERR_CORRUPT,   /* stored data fails validation */
	TRAWL_ERR_TOO_LARGE, /* input exceeds a limit in bounds.h */
	TRAWL_ERR_LOCKED,    /* another writer holds the archive */
	TRAWL_ERR_NOT_FOUND, /* no such item, file or archive */
	TRAWL_ERR_INVALID,   /* bad argument or malformed input */
	TRAWL_ERR_VERSION,   /* archive written by a newer trawl */
	TRAWL_ERR_DB,        /* SQLite reported an error */
	TRAWL_ERR_WORKER,    /* a parser worker could not be started */
	TRAWL_ERR_CANCELLED, /* stopped by the caller or a failpoint */
	TRAWL_ERR_INTERNAL,  /* a bug: an invariant did not hold */
} trawl_status;

/* A short English name for st ("corrupt data", "input too large", ...). */
const char *trawl_status_str(trawl_status st);

typedef enum trawl_kind {
	TRAWL_KIND_EMAIL = 1,      /* a message, top-level or embedded */
	TRAWL_KIND_ATTACHMENT = 2, /* a non-body MIME part of a message */
	TRAWL_KIND_DOCUMENT = 3,   /* an input file that is not mail */
} trawl_kind;

const char *trawl_kind_str(trawl_kind kind); /* "email", ... */

/* Where an email's date came from.  Anything but HEADER is a guess. */
typedef enum trawl_date_source {
	TRAWL_DATE_HEADER = 0,   /* the Date: header */
	TRAWL_DATE_RECEIVED = 1, /* the newest Received: header */
	TRAWL_DATE_FROM_LINE = 2,/* the mbox From_ line */
	TRAWL_DATE_MAILDIR = 3,  /* the time in a Maildir file name */
	TRAWL_DATE_MTIME = 4,    /* the file's modification time */
	TRAWL_DATE_NONE = 5,     /* nothing usable: date is 0 */
} trawl_date_source;

const char *trawl_date_source_str(trawl_date_source src); /* "header", ... */

/* Address roles, in the order they are stored. */
typedef enum trawl_role {
	TRAWL_ROLE_FROM = 0,
	TRAWL_ROLE_SENDER = 1,
	TRAWL_ROLE_REPLY_TO = 2,
	TRAWL_ROLE_TO = 3,
	TRAWL_ROLE_CC = 4,
	TRAWL_ROLE_BCC = 5,
} trawl_role;

const char *trawl_role_str(trawl_role role); /* "from", "to", ... */

/* ------------------------------------------------------------------ */
/* Archives */

typedef struct trawl_archive trawl_archive;

enum {
	TRAWL_OPEN_READ = 0,    /* read only; never blocks and is never blocked */
	TRAWL_OPEN_WRITE = 1,   /* take the writer lock (one writer at a time) */
	TRAWL_OPEN_CREATE = 2,  /* create the archive if it does not exist */
};

/*
 * Opens the archive in directory dir.  *out is set even on failure (unless
 * memory ran out), so that trawl_archive_errmsg() can say why; close it
 * either way.  Opening for write sweeps what an interrupted writer left.
 */
trawl_status trawl_archive_open(const char *dir, unsigned flags,
				trawl_archive **out);
void trawl_archive_close(trawl_archive *a);
/* The detail of the last failure on a (never NULL). */
const char *trawl_archive_errmsg(const trawl_archive *a);

/* One read snapshot of the archive across several calls (the hits of a
 * results page): the calls between see one state of trawl.db, and each
 * skips taking a snapshot of its own, which costs more than a small
 * item's load.  Not for an archive open for writing.  _end is harmless
 * without _begin. */
trawl_status trawl_archive_read_begin(trawl_archive *a);
void trawl_archive_read_end(trawl_archive *a);

/* ------------------------------------------------------------------ */
/* Ingest */

typedef struct trawl_ingest_progress {
	uint64_t files;       /* input files opened so far */
	uint64_t units;       /* messages and files parsed */
	uint64_t items;       /* new items stored */
	uint64_t bytes;       /* input bytes read */
	uint64_t bytes_total; /* input bytes expected (0 if unknown) */
	uint64_t failures;
	uint64_t warnings;
	double seconds;
	int done;             /* 1 on the final call */
	/* before the files: items stored earlier without the index (an
	 * ingest with no_index) indexed so far, every 1000 and at the end of
	 * that phase, whose calls have every count above 0 */
	uint64_t indexed_earlier;
} trawl_ingest_progress;

/* One line of the ingest report: a warning about an item, or a failure
 * (something that is not in the archive, with the reason). */
typedef struct trawl_ingest_event {
	const char *level;   /* "warning" or "failure" */
	const char *path;    /* input file */
	const char *member;  /* archive member path, or NULL */
	int64_t offset;      /* byte offset within the file or member, or -1 */
	int64_t length;      /* bytes, or -1 */
	int64_t item;        /* item ID the warning is about, or 0 */
	const char *code;    /* stable token, e.g. "leading-blank-line" */
	const char *detail;  /* human-readable detail */
} trawl_ingest_event;

typedef struct trawl_ingest_options {
	unsigned jobs; /* parser workers; 0 = one per core */
	void (*on_progress)(void *ctx, const trawl_ingest_progress *p);
	void (*on_event)(void *ctx, const trawl_ingest_event *ev);
	void *ctx;
	/* Items per batch (the commit unit); 0 = the default in bounds.h.
	 * Smaller batches make more of the ingest visible to readers sooner
	 * and lose less to a crash, at some cost in speed. */
	unsigned batch_items;
	/* CPU seconds one message or file may take to parse before its
	 * parser is killed and the unit recorded as a failure (wall-clock
	 * limit: three times as much); 0 = the defaults in bounds.h. */
	unsigned parse_seconds;
	/* Parse and store only: the new items go into no index segment, so
	 * no search finds them until the next ingest without no_index (which
	 * indexes them first) or trawl_reindex.  trawl_index_pending counts
	 * them. */
	int no_index;
	/* Test hook: the name of a failpoint at which the ingest kills its own
	 * process with SIGKILL (see docs/FORMAT.md, "Crash safety"), or
	 * "worker-faults" to make parsers crash or hang on marked test input.
	 * NULL in normal use. */
	const char *failpoint;
} trawl_ingest_options;

typedef struct trawl_ingest_summary {
	uint64_t files;        /* input files */
	uint64_t units;        /* messages and files handed to parsers */
	uint64_t items;        /* new items, all kinds */
	uint64_t emails;       /* new email items (top-level and embedded) */
	uint64_t attachments;
	uint64_t documents;
	uint64_t known;        /* units already in the archive (byte-identical) */
	uint64_t removed;      /* units skipped: taken down (trawl remove) */
	uint64_t locations;    /* new source locations recorded */
	uint64_t failures;     /* units or files not stored; see the report */
	uint64_t warnings;
	uint64_t bytes;        /* input bytes */
	double seconds;
	/* items stored earlier without the index, indexed by this ingest
	 * before its own (trawl_ingest_options.no_index) */
	uint64_t indexed_earlier;
} trawl_ingest_summary;

/*
 * Ingests the files and directory trees in paths.  Needs an archive opened
 * with TRAWL_OPEN_WRITE.  A bad input never stops the ingest: it becomes a
 * failure event; the return value is an error only when the archive itself
 * could not be written.
 */
trawl_status trawl_ingest(trawl_archive *a, const char *const *paths,
			  size_t npaths, const trawl_ingest_options *opt,
			  trawl_ingest_summary *summary);

/* ------------------------------------------------------------------ */
/* Items */

typedef struct trawl_item trawl_item;

/* Loads item id with everything stored about it.  TRAWL_ERR_NOT_FOUND if
 * there is no such item. */
trawl_status trawl_item_load(trawl_archive *a, int64_t id, trawl_item **out);
/* What a list of results shows, faster: trawl_item_load without the
 * source locations, warnings and children (their counts read 0) nor the
 * thread (0; a search hit has it: trawl_hit.thread), with at
 * most TRAWL_BRIEF_ADDRS addresses of each role (the first ones;
 * trawl_item_role_count has them all) and at most TRAWL_BRIEF_BODY bytes
 * of the body (enough for trawl_highlight_text, which looks at
 * TRAWL_HIGHLIGHT_SCAN bytes and needs to see there are more;
 * trawl_item_body_len has the whole length). */
#define TRAWL_LOAD_BRIEF 1u
#define TRAWL_BRIEF_ADDRS 10
#define TRAWL_BRIEF_BODY (TRAWL_HIGHLIGHT_SCAN + 4)
trawl_status trawl_item_load_ex(trawl_archive *a, int64_t id, unsigned flags,
				trawl_item **out);
void trawl_item_free(trawl_item *it);

int64_t trawl_item_id(const trawl_item *it);
trawl_kind trawl_item_kind(const trawl_item *it);
int64_t trawl_item_parent(const trawl_item *it);   /* 0 for top level */
const char *trawl_item_message_id(const trawl_item *it);
/* Seconds since the epoch, UTC; *tz_minutes gets the original offset east
 * of UTC, *src where the date came from.  Either pointer may be NULL. */
int64_t trawl_item_date(const trawl_item *it, int *tz_minutes,
			trawl_date_source *src);
const char *trawl_item_subject(const trawl_item *it);
const char *trawl_item_base_subject(const trawl_item *it);
const char *trawl_item_in_reply_to(const trawl_item *it);
const char *trawl_item_references(const trawl_item *it);
const char *trawl_item_name(const trawl_item *it);      /* file name */
const char *trawl_item_mime_type(const trawl_item *it); /* declared */
const char *trawl_item_sniffed_type(const trawl_item *it);
uint64_t trawl_item_size(const trawl_item *it);         /* original bytes */
const char *trawl_item_sha256(const trawl_item *it);    /* hex */
const char *trawl_item_md5(const trawl_item *it);       /* hex or NULL */
const char *trawl_item_content_hash(const trawl_item *it); /* hex or NULL */
/* The text body (decompressed; NUL-terminated), or NULL.  A brief load
 * has at most its first TRAWL_BRIEF_BODY bytes (which may end inside a
 * character). */
const char *trawl_item_body(const trawl_item *it, size_t *len);
/* The length of the whole body text, loaded in full or not (0: none). */
uint64_t trawl_item_body_len(const trawl_item *it);

/* The addresses loaded (a brief load: at most TRAWL_BRIEF_ADDRS of each
 * role), and how many the item has in a role, loaded or not. */
size_t trawl_item_naddrs(const trawl_item *it);
size_t trawl_item_role_count(const trawl_item *it, trawl_role role);
/* Address i in header order: role, display name (may be ""), address
 * (lower-cased; may be "" for a name without address), address ID. */
void trawl_item_addr(const trawl_item *it, size_t i, trawl_role *role,
		     const char **name, const char **addr, int64_t *addr_id);

size_t trawl_item_nsources(const trawl_item *it);
/* Source location i: file path, archive member (or NULL), and the byte
 * range within it (offset -1 when the whole file). */
void trawl_item_source(const trawl_item *it, size_t i, const char **path,
		       const char **member, int64_t *offset, int64_t *length);

size_t trawl_item_nwarnings(const trawl_item *it);
void trawl_item_warning(const trawl_item *it, size_t i, const char **code,
			const char **detail);

/* The thread the item belongs to (for an attachment or embedded message:
 * the thread of the message that carries it), 0 if none yet; *parent (may
 * be NULL) gets the Message-ID this message replies to, present in the
 * archive or not, or NULL for a thread's first message. */
int64_t trawl_item_thread(const trawl_item *it, const char **parent);

/* Other emails that are copies of this one: the same content hash (same
 * sender, recipients, subject, date and body) but other bytes -- the same
 * mail filed in other mailboxes.  In ID order, at most 1,000. */
size_t trawl_item_ncopies(const trawl_item *it);
int64_t trawl_item_copy(const trawl_item *it, size_t i);

size_t trawl_item_nchildren(const trawl_item *it);
int64_t trawl_item_child(const trawl_item *it, size_t i);

/* Streams the original bytes of the item (the raw message, attachment or
 * file) to sink, in pieces.  A sink returning non-zero stops the stream
 * with TRAWL_ERR_CANCELLED. */
typedef int (*trawl_sink)(void *ctx, const void *data, size_t len);
trawl_status trawl_item_raw(trawl_archive *a, const trawl_item *it,
			    trawl_sink sink, void *ctx);

/* ------------------------------------------------------------------ */
/* Statistics and checks */

typedef struct trawl_stats {
	uint64_t items;
	uint64_t emails;       /* top-level messages */
	uint64_t embedded;     /* messages inside messages (also emails) */
	uint64_t attachments;
	uint64_t documents;
	uint64_t correspondents; /* distinct addresses */
	uint64_t threads;      /* 0 until threading exists */
	uint64_t sources;      /* source locations */
	uint64_t warnings;
	uint64_t failed;       /* inputs not stored, with their reasons */
	uint64_t guessed_dates;
	uint64_t blobs;
	uint64_t blob_bytes;   /* original bytes */
	uint64_t stored_bytes; /* compressed bytes in blobs/ */
	uint64_t duplicate_groups; /* content hashes shared by several emails */
	uint64_t conflicts;    /* Message-IDs on emails with different bytes */
	int64_t first_date, last_date; /* of emails with a header date */
	uint64_t unindexed;    /* items no search finds yet (trawl_index_pending) */
} trawl_stats;

trawl_status trawl_stats_get(trawl_archive *a, trawl_stats *st);

/* *n: the items in no index segment, which no search finds until an
 * ingest without no_index or trawl_reindex indexes them: those stored by
 * an ingest with no_index, and those of an archive made before the index
 * existed.  Removed items do not count. */
trawl_status trawl_index_pending(trawl_archive *a, uint64_t *n);

/* A failure recorded at ingest, for listing. */
typedef void (*trawl_failure_cb)(void *ctx, const trawl_ingest_event *ev);
trawl_status trawl_failures(trawl_archive *a, trawl_failure_cb cb, void *ctx);

/*
 * Deep integrity check: every blob present, decompressing to the bytes its
 * SHA-256 names; every reference between tables valid.  Calls cb once per
 * problem and sets *problems.  Returns TRAWL_OK when the check ran (even
 * with problems found).
 */
typedef void (*trawl_problem_cb)(void *ctx, const char *problem);
trawl_status trawl_check(trawl_archive *a, trawl_problem_cb cb, void *ctx,
			 uint64_t *problems);

/* ------------------------------------------------------------------ */
/* Reindex: rebuild index/ from trawl.db alone (after an analyzer or
 * format change, or for an archive older than the index). */

typedef struct trawl_reindex_options {
	size_t batch_items;  /* documents per segment (0: memory budget) */
	void (*on_progress)(void *ctx, uint64_t docs);
	void *ctx;
} trawl_reindex_options;

/* a must be open for writing.  *docs: documents indexed. */
trawl_status trawl_reindex(trawl_archive *a, const trawl_reindex_options *opt,
			   uint64_t *docs);

/* Merges every index segment into one, leaving out removed items'
 * documents (a must be open for writing). */
trawl_status trawl_optimize(trawl_archive *a);

/* ------------------------------------------------------------------ */
/* Takedowns */

enum {
	/* leave the removed documents' postings in index/ until the next
	 * merge (they are hidden at once either way; tests use this) */
	TRAWL_REMOVE_KEEP_INDEX = 1,
};

/*
 * Removes items ids[0..n) and everything inside them (attachments,
 * embedded messages), in one transaction: their rows, their blobs unless
 * another item shares them, their documents in the index.  Each ID stays
 * a tombstone with the reason; ingesting the same bytes again does not
 * bring it back.  a must be open for writing.  *removed: items removed.
 */
trawl_status trawl_remove(trawl_archive *a, const int64_t *ids, size_t n,
			  const char *reason, unsigned flags,
			  uint64_t *removed);
/* The reason an ID was removed (NULL if it was not), valid until the next
 * call on a. */
const char *trawl_removed_reason(trawl_archive *a, int64_t id);

/* ------------------------------------------------------------------ */
/* Search: the engine, over a tree of queries on analyzed terms.  The
 * query language (`trawl search`) parses text into these trees. */

/* Text fields, as bits of a field mask. */
enum {
	TRAWL_FIELD_SUBJECT = 1u << 0,
	TRAWL_FIELD_BODY = 1u << 1,
	TRAWL_FIELD_FROM = 1u << 2,   /* From and Sender: names, addresses */
	TRAWL_FIELD_TO = 1u << 3,
	TRAWL_FIELD_CC = 1u << 4,
	TRAWL_FIELD_BCC = 1u << 5,
	TRAWL_FIELD_ATTNAME = 1u << 6, /* attachment and document names */
	TRAWL_FIELD_ATTTEXT = 1u << 7, /* text of attachments */
	TRAWL_FIELD_ALL = 0xffu,
};

/* Keyword fields: exact values. */
typedef enum trawl_keyword {
	TRAWL_KW_FROM = 16,  /* an address, lower-cased */
	TRAWL_KW_TO = 17,
	TRAWL_KW_CC = 18,
	TRAWL_KW_BCC = 19,
	TRAWL_KW_MSGID = 20, /* Message-ID without <> */
	TRAWL_KW_KIND = 21,  /* "email", "attachment", "document" */
	TRAWL_KW_MIME = 22,  /* declared MIME type, lower-cased */
	TRAWL_KW_EXT = 23,   /* file name extension, lower-cased */
	TRAWL_KW_HAS = 24,   /* "attachment" */
	TRAWL_KW_DATE = 25,  /* "guessed" */
	TRAWL_KW_ATTTYPE = 26, /* attachment MIME types, lower-cased (an
				* email's attachments'; an attachment's own) */
} trawl_keyword;

typedef enum trawl_column {
	TRAWL_COL_DATE = 1,  /* UTC seconds */
	TRAWL_COL_SIZE = 2,  /* bytes */
	TRAWL_COL_ITEM = 3,  /* the item ID */
} trawl_column;

typedef enum trawl_occur {
	TRAWL_MUST = 0,
	TRAWL_SHOULD = 1,
	TRAWL_MUST_NOT = 2,
} trawl_occur;

typedef struct trawl_query trawl_query;

/*
 * Query nodes.  Terms are analyzed already (lower-cased, folded: what the
 * analyzer produces); a term with stem=1 is a Snowball stem and matches
 * every inflection, otherwise the exact form.  Constructors return NULL
 * when memory runs out or an argument is invalid; trawl_query_add takes
 * ownership of child even when it fails.
 */
trawl_query *trawl_query_term(const char *term, unsigned fields, int stem);
trawl_query *trawl_query_phrase(const char *const *terms, size_t n,
				unsigned fields, unsigned slop);
trawl_query *trawl_query_prefix(const char *prefix, unsigned fields);
trawl_query *trawl_query_keyword(trawl_keyword field, const char *value);
/* lo..hi inclusive */
trawl_query *trawl_query_range(trawl_column col, int64_t lo, int64_t hi);
/* Items of thread `thread` (an email's thread, or its attachments' and
 * embedded messages'), as of the last threading pass. */
trawl_query *trawl_query_thread(int64_t thread);
/* Items found at a source path that starts with prefix (bytewise), and
 * the attachments and embedded messages inside them. */
trawl_query *trawl_query_path(const char *prefix);
trawl_query *trawl_query_all(void);
trawl_query *trawl_query_bool(void);
trawl_status trawl_query_add(trawl_query *bool_query, trawl_occur occur,
			     trawl_query *child);
void trawl_query_free(trawl_query *q);

/* ------------------------------------------------------------------ */
/* The query language (docs/QUERY.md): text in, a query tree out. */

typedef struct trawl_parser trawl_parser;

/* One per thread (it holds an analyzer, about 1 MB).  NULL: no memory. */
trawl_parser *trawl_parser_new(void);
void trawl_parser_free(trawl_parser *p);

typedef struct trawl_parse_error {
	size_t pos;        /* byte offset in the query where it went wrong */
	char message[256]; /* what went wrong */
	char hint[256];    /* how to write it instead ("" when none) */
} trawl_parse_error;

/*
 * Parses NUL-terminated text into *out.  A query that cannot be parsed
 * gets TRAWL_ERR_INVALID, one over a limit (bounds.h: length, words,
 * nesting) TRAWL_ERR_TOO_LARGE; err (may be NULL) then says where and
 * why.  Nothing is ever silently reinterpreted: a word that holds no
 * letter or digit is left out, everything else is searched as written
 * or refused.
 */
trawl_status trawl_query_parse(trawl_parser *p, const char *text,
			       trawl_query **out, trawl_parse_error *err);

/* An advanced search form as WikiLeaks' archives have it: each field is
 * what the user typed (NULL or "" when empty). */
typedef struct trawl_search_form {
	const char *words, *not_words;
	const char *from, *not_from;
	const char *to, *not_to;
	const char *subject, *not_subject;
	const char *date_from, *date_to; /* YYYY, YYYY-MM or YYYY-MM-DD */
} trawl_search_form;

/* The form as query text in the language (malloc'd; NULL when memory
 * ran out, or "" when the form is empty), for trawl_query_parse and to
 * show the user the query their form made: words as typed, each field
 * as field:(value), each word or quoted phrase of an exclusion as its
 * own -field:(word), dates as date:FROM..TO.  Quotes in a value are
 * kept (a phrase); parentheses are taken out. */
char *trawl_search_form_query(const trawl_search_form *f);

/* 1 when q has a kind: condition (callers add their default kinds only
 * to queries without one). */
int trawl_query_names_kind(const trawl_query *q);

/* The tree as an S-expression, for tests and `trawl search --explain`
 * (malloc'd; NULL when memory ran out).  docs/QUERY.md shows the form. */
char *trawl_query_describe(const trawl_query *q);

typedef struct trawl_searcher trawl_searcher;

/* A reader of the archive's index as of its last commit.  *out is set even
 * on failure (for trawl_searcher_errmsg) unless memory ran out. */
trawl_status trawl_searcher_open(trawl_archive *a, trawl_searcher **out);
/* Picks up segments committed since the open or the last refresh. */
trawl_status trawl_searcher_refresh(trawl_searcher *s);
void trawl_searcher_close(trawl_searcher *s);
const char *trawl_searcher_errmsg(const trawl_searcher *s);
/* Documents in the index (deleted ones included until merged away). */
uint64_t trawl_searcher_docs(const trawl_searcher *s);

typedef enum trawl_sort {
	TRAWL_SORT_RELEVANCE = 0, /* score, then item ID ascending */
	TRAWL_SORT_NEWEST = 1,    /* date descending, then item ID */
	TRAWL_SORT_OLDEST = 2,    /* date ascending, then item ID */
} trawl_sort;

typedef struct trawl_hit {
	uint64_t item;
	double score;
	int64_t date;
	uint64_t group; /* collapsing: the thread ID (TRAWL_COLLAPSE_THREADS)
			 * or the first copy's item ID (_COPIES); else item */
	uint64_t thread; /* the item's thread, as trawl_item_thread gives it,
			  * as of the index commit searched (0: none) */
} trawl_hit;

/* Hits that stand for others. */
enum {
	TRAWL_COLLAPSE_NONE = 0,    /* every matching document */
	TRAWL_COLLAPSE_COPIES = 1,  /* the copies of one mail (the same
				     * content hash: trawl_item_ncopies)
				     * once, by their best hit */
	TRAWL_COLLAPSE_THREADS = 2, /* one hit per thread (a document, or
				     * an item with no thread yet, is its
				     * own); copies count once */
};

typedef struct trawl_search_options {
	trawl_sort sort;
	size_t offset, limit;
	unsigned kinds;    /* bits (1u << trawl_kind) to keep; 0: all */
	unsigned collapse; /* TRAWL_COLLAPSE_* */
} trawl_search_options;

/*
 * Runs q: fills hits with at most `limit` hits after skipping `offset`
 * (offset + limit <= TRAWL_MAX_RESULTS), *nhits with how many, and *total
 * with the exact number of matching documents.  total may be NULL when
 * the count is not needed: ranking by relevance then skips the blocks of
 * documents that cannot enter the top (much faster for common words).
 */
trawl_status trawl_search(trawl_searcher *s, const trawl_query *q,
			  trawl_sort sort, size_t offset, size_t limit,
			  trawl_hit *hits, size_t *nhits, uint64_t *total);
/* The same with options: kinds to keep, collapsing (then *total counts
 * groups: threads, or mails with their copies). */
trawl_status trawl_search_run(trawl_searcher *s, const trawl_query *q,
			      const trawl_search_options *o, trawl_hit *hits,
			      size_t *nhits, uint64_t *total);

/* Facets: exact counts of documents per value over a query's matches. */
typedef enum trawl_facet {
	TRAWL_FACET_KIND = 0,   /* "email", "attachment", "document" */
	TRAWL_FACET_MONTH = 1,  /* "YYYY-MM" of the date (UTC), by value */
	TRAWL_FACET_FROM = 2,   /* sender addresses */
	TRAWL_FACET_TO = 3,     /* recipient addresses (To, Cc, Bcc) */
	TRAWL_FACET_DOMAIN = 4, /* domains of senders and recipients */
	TRAWL_FACET_TYPE = 5,   /* attachment MIME types */
	TRAWL_FACET_EXT = 6,    /* attachment file name extensions */
} trawl_facet;

typedef struct trawl_facets trawl_facets;

/* Counts f over the matches of q: the `top` values with most documents
 * (0: all), most first and then by value; months in calendar order. */
trawl_status trawl_search_facet(trawl_searcher *s, const trawl_query *q,
				trawl_facet f, size_t top, trawl_facets **out);
/* Several facets over one matching set: the documents of o's kinds (o
 * may be NULL: all).  When o collapses (threads or copies), a mail and
 * its copies count once per value: the value counts if any matching copy
 * has it.  out[i] gets fs[i]'s counts. */
trawl_status trawl_search_facets(trawl_searcher *s, const trawl_query *q,
				 const trawl_search_options *o,
				 const trawl_facet *fs, size_t nf, size_t top,
				 trawl_facets **out);
size_t trawl_facets_size(const trawl_facets *f);
const char *trawl_facets_value(const trawl_facets *f, size_t i);
uint64_t trawl_facets_docs(const trawl_facets *f, size_t i);
void trawl_facets_free(trawl_facets *f);

/* ------------------------------------------------------------------ */
/* Highlighting: the passages of a text that a query matched. */

typedef struct trawl_highlighter trawl_highlighter;

/* One per thread (it holds an analyzer, about 1 MB).  NULL: no memory. */
trawl_highlighter *trawl_highlighter_new(void);
void trawl_highlighter_free(trawl_highlighter *h);

/* A marked range of a passage: bytes [start, end) of its text. */
typedef struct trawl_mark {
	size_t start, end;
} trawl_mark;

typedef struct trawl_passage {
	const char *text;   /* the passage, valid UTF-8, NUL-terminated;
			     * never cuts a character; white space runs
			     * are one space, control characters gone,
			     * invalid bytes U+FFFD */
	size_t len;
	size_t offset;      /* where text starts in the input */
	int cut_before;     /* 1: the input goes on before / after it */
	int cut_after;
	const trawl_mark *marks; /* byte ranges of text (not of the
				  * input), in order, not overlapping */
	size_t nmarks;
} trawl_passage;

typedef struct trawl_highlight trawl_highlight;

/*
 * The best passages (at most max_passages, each about passage_bytes long;
 * 0 for either: 3 and 160) of text[0..len), which is field `field` of an
 * item (one TRAWL_FIELD_* bit), for query q: the words q matched there
 * marked, as the analyzer sees them (folded forms, stems, prefixes, and
 * phrases only where the whole phrase matches).  Terms under MUST_NOT and
 * terms of other fields are not marked.  At most TRAWL_HIGHLIGHT_SCAN
 * bytes of the text are looked at.  Passages come in text order; with
 * no match, one passage from the start of the text (no marks).  With
 * passage_bytes >= len and max_passages 1 the whole text is one passage
 * (for a subject).  *out lives until trawl_highlight_free.
 * TRAWL_ERR_INVALID for a bad field or tree; TRAWL_ERR_TOO_LARGE for a
 * tree over the engine's limits (bounds.h).
 */
/* 64 KiB: as Lucene's highlighter (50 KiB), a bound on the work one hit
 * costs; 0.2% of Enron's bodies are longer */
#define TRAWL_HIGHLIGHT_SCAN ((size_t)64 << 10)
trawl_status trawl_highlight_text(trawl_highlighter *h, const trawl_query *q,
				  unsigned field, const char *text, size_t len,
				  size_t max_passages, size_t passage_bytes,
				  trawl_highlight **out);
size_t trawl_highlight_npassages(const trawl_highlight *hl);
const trawl_passage *trawl_highlight_passage(const trawl_highlight *hl,
					     size_t i);
/* Marks over the text looked at (what matched, for tests): the scan
 * stops early once every word of q (phrases aside) has as many matches
 * as passages are wanted, and room for them. */
size_t trawl_highlight_nmatches(const trawl_highlight *hl);
void trawl_highlight_free(trawl_highlight *hl);

#ifdef __cplusplus
}
#endif

#endif
