/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz-parse.c - the worker's message parser (GMime, charsets, HTML,
 * libmagic, the lenient address splitter) on arbitrary bytes, as a loose
 * file and as an mbox message; then the writer's decoder on the result.
 */
#include <gmime/gmime.h>
#include <stdint.h>
#include <stdlib.h>

#include "parse.h"
#include "wire.h"

static struct parser *p;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	g_mime_init();
	p = parser_new();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (uint8_t hint = 0; hint < 2; hint++) {
		struct buf job, out;
		struct rec_unit u;

		buf_init(&job, (size_t)64 << 20);
		buf_init(&out, (size_t)256 << 20);
		wire_put(&job, J_HINT, &hint, 1);
		wire_put_i64(&job, J_MTIME, 1700000000);
		wire_put_str(&job, J_NAME, "fuzz.eml");
		wire_put(&job, J_DATA, data, size);
		if (!job.err && p && parser_run(p, job.data, job.len, &out) == 0) {
			/* our own output must decode, and its zstd frames
			 * (an original, a body text, a body stored as the
			 * original's tail) must pass the writer's check */
			if (rec_unit_decode(&u, out.data, out.len) != 0 ||
			    rec_unit_check_frames(&u) != 0)
				abort();
			rec_unit_release(&u);
		}
		buf_release(&job);
		buf_release(&out);
	}
	return 0;
}
