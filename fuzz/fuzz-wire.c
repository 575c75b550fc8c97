/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz-wire.c - the writer's decoder of worker results: a worker is a
 * process that may have been subverted by what it parsed, so its frames
 * are validated like any other input, and so are the zstd frames inside
 * a decoded unit (rec_unit_check_frames: an original's frames, a body
 * text's, a body stored as the original's tail).
 */
#include <stdint.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec_unit u;

	if (rec_unit_decode(&u, data, size) == 0)
		(void)rec_unit_check_frames(&u);
	rec_unit_release(&u);
	return 0;
}
