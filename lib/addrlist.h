/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * addrlist.h - a lenient address-list splitter, for the headers GMime
 * rejects.  Real dumps are full of addresses RFC 5322 forbids (Enron's
 * "k..allen@enron.com", Exchange's "pete.davis@enron.com@ENRON", bare
 * names without addresses); GMime drops them, which would lose
 * correspondents.  The parser compares GMime's count with this one and
 * uses this split when GMime kept fewer addresses.
 */
#ifndef TRAWL_ADDRLIST_H
#define TRAWL_ADDRLIST_H

#include <stddef.h>

struct addr_piece {
	char *name; /* display name, still RFC 2047-encoded; malloc'd */
	char *addr; /* address as written ("" if none); malloc'd */
};

/*
 * Splits value at top-level commas and semicolons (not inside "quotes",
 * <angle brackets> or (comments)).  Each piece gives an address: the text
 * in <...> if any, else the piece if it holds an '@', else none (a name
 * alone).  A group's "name:" prefix is dropped.  The name is the quoted or
 * plain text before <...>, or a trailing (comment).  Empty pieces are
 * skipped.  Fills at most max pieces and returns how many there are in all.
 */
size_t addrlist_split(const char *value, struct addr_piece *out, size_t max);
/* How many pieces value splits into, empty ones too: never fewer than
 * addrlist_split counts, and found without copying anything. */
size_t addrlist_pieces(const char *value);
void addrlist_free(struct addr_piece *p, size_t n);

#endif
