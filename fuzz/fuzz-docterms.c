/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz-docterms.c - the doc terms record a parser worker sends (index.h),
 * as the ingest process reads it: validated, then inverted.  A bad record
 * must be refused whole (the document kept without terms); a good one
 * must add its terms.  Every 256 inputs the inverter starts afresh.
 */
#include <stdint.h>
#include <stdlib.h>

#include "segment.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct inverter *iv;
	static unsigned runs;
	struct doc_meta m = { .item = runs + 1, .kind = 1 };
	uint32_t before;
	trawl_status st;

	if (!iv || runs % 256 == 0) {
		inverter_free(iv);
		iv = inverter_new();
		if (!iv)
			return 0;
	}
	runs++;
	before = inverter_docs(iv);
	st = inverter_add(iv, &m, data, size);
	if (st != TRAWL_OK && st != TRAWL_ERR_CORRUPT && st != TRAWL_ERR_NOMEM)
		__builtin_trap();
	if (inverter_docs(iv) != before + 1)
		__builtin_trap();
	return 0;
}
