/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * parse.h - turning one unit (a message or a file) into result records.
 * Runs only inside a parser worker process: it uses GMime, iconv and
 * libmagic, none of which the ingest process touches.
 */
#ifndef TRAWL_PARSE_H
#define TRAWL_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct parser;

/* Creates the per-process parser state (GMime must be initialised). */
struct parser *parser_new(void);
void parser_free(struct parser *p);

/* Parses the job payload (J_* fields) and writes the result payload
 * (W_* fields) to out.  Returns TRAWL_ERR_INVALID for a malformed job and
 * TRAWL_ERR_TOO_LARGE / TRAWL_ERR_NOMEM when out overflowed. */
trawl_status parser_run(struct parser *p, const void *job, size_t len,
			struct buf *out);

/* The body text that the last parser_run stored for its item'th item (the
 * bytes its W_BODYZ frame holds, uncompressed), so that the worker can
 * analyze it without decompressing it again; NULL when that run kept none
 * for it.  Valid until the next parser_run. */
const char *parser_body(const struct parser *p, size_t item, size_t *len);

#endif
