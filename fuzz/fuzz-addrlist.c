/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* fuzz-addrlist.c - the lenient address-list splitter, and the plain-list
 * splitter (each address it gives is a substring of the input). */
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
	{
		struct buf out;
		long np;
		size_t dropped;
		const char *a;

		buf_init(&out, (size_t)1 << 24);
		np = addrlist_plain(s, &out, &dropped);
		a = out.data;
		if (np < 0 ? out.len != 0 : np == 0 && !dropped)
			abort();
		for (long i = 0; i < np; i++) {
			if (!*a || !strstr(s, a) || !strchr(a, '@'))
				abort();
			a += strlen(a) + 1;
		}
		if (np >= 0 && (size_t)(a - out.data) != out.len)
			abort();
		buf_release(&out);
	}
	free(s);
	return 0;
}
