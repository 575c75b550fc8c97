/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * bounds.h - every bound on something that grows from input, in one place.
 *
 * Each limit says what it caps and what happens when input exceeds it.
 * Nothing in the library allocates in proportion to input without one of
 * these caps in front of it.
 */
#ifndef TRAWL_BOUNDS_H
#define TRAWL_BOUNDS_H

/* One unit handed to a parser: a loose file, one mbox message, one archive
 * member.  Larger units are reported as failures ("too large") and skipped;
 * their location is in the ingest report. */
#define TRAWL_MAX_UNIT_SIZE ((size_t)512 << 20)

/* Bytes sniffed at the start of a file to decide its kind. */
#define TRAWL_SNIFF_SIZE 4096

/* Header block of one message; beyond this GMime still parses, but the
 * mail-or-not heuristic stops looking. */
#define TRAWL_MAX_HEADER_SCAN ((size_t)64 << 10)

/* Nesting of multiparts and message/rfc822 parts; deeper parts are kept as
 * opaque attachments with a warning. */
#define TRAWL_MAX_MIME_DEPTH 32

/* MIME parts (attachments and embedded messages) taken from one message;
 * the rest are counted in a warning. */
#define TRAWL_MAX_MIME_PARTS 4096

/* The repairs of MIME framing made before GMime reads a message have
 * their own caps beside their code, in mimefix.h: multiparts looked at
 * (MIMEFIX_MAX_MULTIPARTS), edits (MIMEFIX_MAX_EDITS), boundary and
 * Content-Type field lengths (MIMEFIX_MAX_BOUNDARY, MIMEFIX_MAX_FIELD)
 * and parses of one message (MIMEFIX_ROUNDS). */

/* Extracted text body kept per item; longer text is cut with a warning. */
#define TRAWL_MAX_BODY_TEXT ((size_t)32 << 20)

/* Addresses kept per header field of one message (To: lists of thousands
 * exist); the rest are counted in a warning. */
#define TRAWL_MAX_ADDRS_PER_FIELD 2000

/* Warnings kept per item. */
#define TRAWL_MAX_WARNINGS 32

/* Length kept of any single header value (Subject, Message-ID, References).
 * Longer values are cut at a UTF-8 boundary with a warning. */
#define TRAWL_MAX_HEADER_VALUE ((size_t)64 << 10)

/* Path length and directory depth while walking an input tree. */
#define TRAWL_MAX_PATH 4096
#define TRAWL_MAX_DIR_DEPTH 128

/* Archives inside archives (zip in tar.gz in zip ...), and the size of a
 * nested archive spooled to a temporary file so that it can be read with
 * seeking (zip, 7z).  Deeper or larger nested archives are failures. */
#define TRAWL_MAX_ARCHIVE_DEPTH 8
#define TRAWL_MAX_SPOOL ((unsigned long long)4 << 30)

/* Entries read from one directory before sorting them. */
#define TRAWL_MAX_DIR_ENTRIES 10000000

/* Units parsed but not yet written, waiting for their turn in input order
 * (the reorder window), by count and by bytes. */
#define TRAWL_REORDER_UNITS 512
#define TRAWL_REORDER_BYTES ((size_t)512 << 20)

/* Jobs queued on one worker at once. */
#define TRAWL_WORKER_QUEUE 64

/* One batch (the commit unit of an ingest, and one index segment): items,
 * compressed blob bytes, or the inverter's memory, whichever fills first. */
#define TRAWL_BATCH_ITEMS 100000
#define TRAWL_BATCH_BYTES ((size_t)512 << 20)
#define TRAWL_INDEX_BUDGET ((size_t)256 << 20)

/* SQLite's page cache, in KiB: a writable archive's, and an ingest's,
 * which holds a batch's new pages so that they are written once, at the
 * commit, instead of spilled to the WAL and written again. */
#define TRAWL_DB_CACHE_KIB 65536
#define TRAWL_INGEST_CACHE_KIB 262144

/* Resources of one parser worker: CPU seconds per job (RLIMIT_CPU, raised
 * before each job), wall-clock seconds per job before it is killed, and
 * data segment (RLIMIT_DATA). */
#define TRAWL_WORKER_CPU_SECONDS 60
#define TRAWL_WORKER_WALL_SECONDS 180
#define TRAWL_WORKER_DATA_BYTES ((unsigned long long)6 << 30)

/* A frame on a worker pipe (a job or a result). */
#define TRAWL_MAX_FRAME ((size_t)1200 << 20)

/* Size at which a blob pack is closed and a new one started. */
#define TRAWL_PACK_ROLL_SIZE ((unsigned long long)1 << 30)

/* Workers (-j). */
#define TRAWL_MAX_JOBS 64

/* Queries: offset + limit of one search; terms a prefix may expand to;
 * nodes of one query tree, and its depth; terms of one phrase. */
#define TRAWL_MAX_RESULTS 10000
#define TRAWL_MAX_PREFIX_TERMS 1000
#define TRAWL_MAX_QUERY_NODES 1024
#define TRAWL_MAX_QUERY_DEPTH 32
#define TRAWL_MAX_PHRASE_TERMS 64
/* Bytes of query text; words (terms, phrases, prefixes, fields) in one
 * query; items one path: prefix may stand for. */
#define TRAWL_MAX_QUERY_LEN 4096
#define TRAWL_MAX_QUERY_WORDS 256
#define TRAWL_MAX_PATH_ITEMS 10000000

#endif
