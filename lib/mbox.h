/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * mbox.h - the streaming mbox splitter.
 *
 * An mbox is a file of messages, each one starting with a "From_ line"
 * ("From sender asctime-date").  There are four dialects (mboxo, mboxrd,
 * mboxcl, mboxcl2; see RFC 4155 and mbox(5) of mutt and qmail) and many
 * broken writers; the reader below accepts all of them:
 *
 *   struct mbox_reader r;
 *   struct mbox_msg m;
 *   int rc;
 *
 *   mbox_reader_init(&r, my_read, my_ctx, TRAWL_MAX_UNIT_SIZE);
 *   while ((rc = mbox_reader_next(&r, &m)) == 1)
 *           ... m.data, m.len, m.offset, m.length ...
 *   mbox_reader_release(&r);
 *   if (rc < 0) ... -rc is a trawl_status (TRAWL_ERR_IO or _NOMEM) ...
 *
 * Where a message starts (the separator rule).  A line that begins with
 * "From " starts a new message when
 *   1. it is the first line of the input (a UTF-8 byte order mark before it
 *      is allowed and counted as part of the From_ line), whatever follows;
 *   2. or it is strict: "From ", a sender word (possibly empty), white
 *      space and then a date that mbox_from_line_time() can parse;
 *   3. or it is Mozilla's "From -" with nothing after the "-" but white
 *      space (old Netscape and MIME test suites write it without a date,
 *      and not always after an empty line);
 *   4. or the line before it is empty ("\n" or "\r\n") and either the
 *      line holds a parseable date starting at any word ("From John Doe
 *      <j@x> Sat Jan  3 01:05:34 1996"), or it is "From " plus one word
 *      containing '@' (Gmail Takeout's "From 123@xxx" without a date).
 * So the body text "From here on we..." or "From Russia with love" does
 * not split, even after an empty line (no date, several words), while a
 * real From_ line does, even when the writer forgot the empty line before
 * it.  (Thunderbird, GMime, MimeKit and Python's mailbox split at every
 * line starting "From "; that differs only on such body lines.)
 * Only the first MBOX_FROM_LINE_MAX bytes of a line are looked at.  A
 * line ending is "\n" (a "\r" before it is part of the line ending); a
 * lone "\r" is an ordinary byte.
 *
 * Content-Length (mboxcl, mboxcl2).  When the header block of a message
 * (up to its first empty line) has one Content-Length: N (or several with
 * the same N), and the N bytes after the empty line end exactly at the end
 * of the input, or at a line beginning with "From ", or at one empty line
 * followed by either of those, then the message ends there and
 * by_content_length is 1: the body may then hold From_ lines of its own.
 * Otherwise Content-Length is ignored.  Checking it may need to hold the
 * body in memory when a From_ line occurs inside it; this is only done for
 * messages up to max_msg bytes (larger ones are split at From_ lines).
 *
 * The message data.  The bytes after the From_ line, line endings kept
 * as they are, with each line (header or body) matching ^>+From  losing
 * one '>' (mboxrd un-escaping, right for mboxo's ">From " too; also done
 * under Content-Length, since mutt writes mboxcl with escaped lines).
 * When the last line of a message is empty, that line belongs to the
 * separator and is dropped (so "body\n\nFrom ..." gives "body\n", and a
 * writer that left out the empty line keeps its last newline).  Under
 * Content-Length the data is exactly the header block and the N body
 * bytes (N counts them as stored, before un-escaping), and the one empty
 * line after them, if any, is the separator.
 *
 * Bytes before the first From_ line (an input not starting with "From ")
 * are returned as a message of their own with offset 0, from_line "" and
 * from_time INT64_MIN, unless they are only white space, in which case
 * they are skipped and the first message's offset is after them.  Apart
 * from such skipped white space, the ranges (offset, length) of the
 * messages tile the input exactly: each one starts where the one before
 * ended, and the last one ends at the end of the input.
 *
 * Memory.  The reader holds one message (at most max_msg bytes; a larger
 * message is cut to its first max_msg bytes and flagged truncated, and the
 * reader skips the rest), the From_ line (at most MBOX_FROM_LINE_MAX
 * bytes) and a read window of MBOX_WINDOW bytes, however large the input
 * and however long its lines.  Only the Content-Length check above can
 * grow the window, to at most max_msg bytes for one message, after which
 * it shrinks back: the worst case is about 2 * max_msg + MBOX_WINDOW.
 */
#ifndef TRAWL_MBOX_H
#define TRAWL_MBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

/* Bytes of a From_ line that are looked at and kept in from_line. */
#define MBOX_FROM_LINE_MAX 1024

/* Size of the read window: a line longer than this is handled in pieces,
 * and only its first MBOX_WINDOW bytes decide how it is read.  (Fuzzing
 * builds may define a smaller one to reach those paths with small
 * inputs.) */
#ifndef MBOX_WINDOW
#define MBOX_WINDOW ((size_t)64 << 10)
#endif

/* Reads up to len bytes from a source into buf; returns the number of
 * bytes read, 0 at the end of the input, -1 on error with errno set
 * (EINTR is retried). */
typedef ssize_t (*mbox_read_fn)(void *ctx, void *buf, size_t len);

/* A reader.  Allocated by the caller; every field is private. */
struct mbox_reader {
	mbox_read_fn read;
	void *ctx;
	size_t max_msg;
	trawl_status err;     /* first error, sticky */
	int started;          /* the start of the input has been looked at */
	int at_from;          /* the cursor is at a From_ line */
	int eof;              /* read returned 0 */
	int done;             /* end of input reported */

	struct buf win;       /* read window */
	size_t pos;           /* cursor in win.data */
	uint64_t win_off;     /* input offset of win.data[0] */

	struct buf out;       /* the current message, un-escaped */
	uint64_t out_total;   /* bytes of it produced, stored or not */
	struct buf from;      /* the current From_ line */

	/* state of the current message */
	uint64_t start;       /* input offset where it starts */
	int line_start;       /* the cursor is at the start of a line */
	int in_headers;       /* still in its header block */
	int last_blank;       /* the last line begun was empty */
	size_t blank_len;     /* and the length of that empty line */
	int nonblank;         /* a byte other than white space was seen */
	int cl_state;         /* Content-Length: none, pending, trusted */
	int cl_count;         /* Content-Length headers seen, -1 if they differ */
	uint64_t cl_value;
	uint64_t cl_end;      /* input offset where the body would end */
};

struct mbox_msg {
	uint64_t offset;      /* input offset of the From_ line */
	uint64_t length;      /* bytes from there to the next message (or the
			       * end of the input), separator included */
	const char *data;     /* the message, un-escaped, From_ line removed,
			       * NUL-terminated; owned by the reader, valid
			       * until the next call */
	size_t len;
	const char *from_line;/* the From_ line without line ending or byte
			       * order mark, at most MBOX_FROM_LINE_MAX bytes,
			       * NUL-terminated ("" before the first From_
			       * line); owned by the reader like data */
	int64_t from_time;    /* its date as Unix seconds UTC, or INT64_MIN */
	int truncated;        /* the message exceeded max_msg: data holds only
			       * its first max_msg bytes */
	int by_content_length;/* Content-Length decided where it ends */
};

/* Sets up r to read from read(ctx, ...).  max_msg caps one message's data
 * (0 means TRAWL_MAX_UNIT_SIZE).  Allocates nothing. */
void mbox_reader_init(struct mbox_reader *r, mbox_read_fn read, void *ctx,
		      size_t max_msg);
/* Frees what r holds; r may be initialised again. */
void mbox_reader_release(struct mbox_reader *r);

/* Reads the next message into *m.  Returns 1 for a message, 0 at the end
 * of the input, or -TRAWL_ERR_IO (read failed; errno as read left it) or
 * -TRAWL_ERR_NOMEM.  Errors are sticky: later calls return the same. */
int mbox_reader_next(struct mbox_reader *r, struct mbox_msg *m);

/* Does data (the first len bytes of a file, e.g. TRAWL_SNIFF_SIZE) look
 * like an mbox?  1 when it starts (after an optional byte order mark) with
 * a From_ line holding a parseable date, or with "From " and one word
 * followed by a line that looks like a header field ("Name: value"). */
int mbox_sniff(const char *data, size_t len);

/*
 * The date of a From_ line (with or without its leading "From " and line
 * ending) as Unix seconds UTC, or INT64_MIN if none parses.  The date may
 * start at any word after the sender and reads
 *     [Weekday[,]] Mon DD HH:MM[:SS] [up to 3 zone words] YYYY [zone]
 * (asctime with the variants' zones: "Sat Jan  3 01:05:34 1996",
 * "Sat Jan 03 01:05:34 +0000 2015", "Sat Jan  3 01:05:34 MET DST 1996",
 * "Sat Jan  3 01:05:34 1996 -0800", "... 1996 remote from host") or
 *     [Weekday[,]] DD Mon YYYY HH:MM[:SS] [zone]
 * (RFC 5322 order, written by some tools); anything may follow.  Years
 * of two digits are 1950-2049, of three digits 1900+, of four 1900-9999;
 * numeric zones and UT, UTC, GMT, Z and the US zones are applied; other
 * zone names, and no zone, count as UTC.  Days up to 31 are accepted in
 * any month and roll over into the next one.
 */
int64_t mbox_from_line_time(const char *line, size_t len);

#endif
