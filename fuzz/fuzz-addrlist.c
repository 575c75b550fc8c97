/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* fuzz-addrlist.c - the lenient address-list splitter, and the bound on
 * its count that addrlist_pieces gives. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addrlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct addr_piece pieces[16];
	size_t n, kept;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	n = addrlist_split(s, pieces, 16);
	kept = n < 16 ? n : 16;
	for (size_t i = 0; i < kept; i++)
		if (!pieces[i].name || !pieces[i].addr)
			abort();
	addrlist_free(pieces, kept);
	/* the parser skips the split when GMime kept this many */
	if (addrlist_pieces(s) < n)
		abort();
	free(s);
	return 0;
}
