/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * wire.h - frames between the ingest process and its parser workers.
 *
 * A frame is a 16-byte header (payload length u32, type u32, sequence
 * number u64; little-endian) and a payload of tagged fields: tag u8,
 * length u32, bytes.  Jobs go to workers; results come back.  The writer
 * validates every frame before trusting it: a worker is a separate process
 * that may have been subverted by the file it parsed.
 *
 * A result is a flat list of items in ID order: the unit's own item first,
 * then its children depth-first; each W_ITEM starts an item and names its
 * parent by index in the list.
 */
#ifndef TRAWL_WIRE_H
#define TRAWL_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define WIRE_HEADER_SIZE 16u

enum wire_frame_type {
	FRAME_JOB = 1,
	FRAME_RESULT = 2,
	FRAME_FAIL = 3, /* payload: code, NUL, detail */
};

enum wire_tag {
	/* job fields */
	J_HINT = 1,     /* u8: JOB_HINT_* */
	J_FROMTIME,     /* i64: mbox From_ line time, or INT64_MIN */
	J_MDTIME,       /* i64: Maildir file-name time, or INT64_MIN */
	J_MTIME,        /* i64: file modification time, or INT64_MIN */
	J_NAME,         /* file name (for documents) */
	J_DATA,         /* the bytes */
	/* result fields */
	W_ITEM = 32,    /* u8 kind, i32 parent index (-1 for the root) */
	W_SHA256,       /* 32 bytes */
	W_MD5,          /* 16 bytes */
	W_SIZE,         /* u64 */
	W_BLOBZ,        /* zstd frame of the item's original bytes */
	W_MSGID,
	W_DATE,         /* i64 utc, i32 tz minutes, u8 source */
	W_SUBJECT,
	W_BASESUBJ,
	W_IRT,
	W_REFS,
	W_ADDR,         /* u8 role, u32 name length, name, address */
	W_BODYZ,        /* u64 text length, zstd frame(s) (blob_frames_check) */
	W_CHASH,        /* 32 bytes */
	W_NAME,
	W_MIME,
	W_SNIFF,
	W_WARN,         /* u32 code length, code, detail */
	W_FLAGS,        /* u32 ITEM_FLAG_* */
	W_TERMS,        /* u32 item index, doc terms record (index.h) */
};

enum job_hint {
	JOB_HINT_AUTO = 0,    /* sniff: mail or document */
	JOB_HINT_MESSAGE = 1, /* from an mbox: a message whatever it looks like */
};

void wire_put(struct buf *b, int tag, const void *data, size_t len);
void wire_put_str(struct buf *b, int tag, const char *s); /* no-op if NULL */
void wire_put_u64(struct buf *b, int tag, uint64_t v);
void wire_put_i64(struct buf *b, int tag, int64_t v);
/* Starts a frame in b (reserving the header); wire_frame_end fills it. */
void wire_frame_begin(struct buf *b, uint32_t type, uint64_t seq);
void wire_frame_end(struct buf *b);

/* Little-endian helpers. */
uint32_t wire_get_u32(const uint8_t *p);
uint64_t wire_get_u64(const uint8_t *p);
void wire_set_u32(uint8_t *p, uint32_t v);
void wire_set_u64(uint8_t *p, uint64_t v);

struct wire_cursor {
	const uint8_t *p, *end;
	int err; /* set when a field runs past end */
};

void wire_cursor_init(struct wire_cursor *c, const void *data, size_t len);
/* 1 = a field in tag, data and len; 0 = end; -1 = malformed. */
int wire_next(struct wire_cursor *c, int *tag, const uint8_t **data,
	      size_t *len);

/* ---- decoded results (views into the frame; valid while it lives) ---- */

struct span {
	const char *p; /* NULL when absent */
	size_t n;
};

struct rec_addr {
	int role;
	struct span name, addr;
};

struct rec_warn {
	struct span code, detail;
};

struct rec_item {
	int kind;
	int parent;           /* index in rec_unit.items, -1 for the root */
	const uint8_t *sha256; /* 32 bytes */
	const uint8_t *md5;   /* 16 bytes or NULL */
	uint64_t size;
	struct span blobz;
	struct span message_id, subject, base_subject, in_reply_to, refs;
	struct span name, mime_type, sniffed_type;
	int has_date;
	int64_t date;
	int32_t tz;
	int date_source;
	struct span bodyz;
	uint64_t body_len;
	const uint8_t *chash; /* 32 bytes or NULL */
	struct span terms;    /* doc terms record (index.h), or absent */
	uint32_t flags;
	struct rec_addr *addrs;
	size_t naddrs, caddrs;
	struct rec_warn *warns;
	size_t nwarns, cwarns;
};

struct rec_unit {
	struct rec_item *items;
	size_t nitems, citems;
	size_t hw; /* items[0..hw) hold arrays to reuse or free */
};

/* Decodes a result payload into u (arrays malloc'd; free with
 * rec_unit_release).  Returns 0, or -1 when the payload is malformed. */
int rec_unit_decode(struct rec_unit *u, const void *payload, size_t len);
void rec_unit_release(struct rec_unit *u);
/* rec_unit_decode into a unit that was decoded before (or zeroed),
 * reusing its arrays: no allocation once they are large enough. */
int rec_unit_redecode(struct rec_unit *u, const void *payload, size_t len);
/* Checks that every compressed frame declares exactly the size its item
 * says (a cheap header check; the writer runs it before trusting a
 * worker's result).  0, or -1. */
int rec_unit_check_frames(const struct rec_unit *u);

#endif
