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

#include "buf.h"

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
void addrlist_free(struct addr_piece *p, size_t n);

/*
 * A plain list: one or more bare addr-specs separated by commas, with
 * white space (space, tab, CR, LF) around them and nothing else -- no
 * names, quotes, comments, groups or empty items.  The local part is made
 * of letters, digits, '_', '+', '-' and dots; the domain is a dot-atom of
 * letters, digits and '-' with no "xn--" (IDN) label.  GMime's
 * internet_address_list_parse gives such a list's addresses as written,
 * in order, without names -- but for those whose local part is not a
 * dot-atom (Enron's "k..allen@enron.com": a dot at either end or two
 * together), which it drops.  Appends each address GMime keeps, with its
 * NUL, to out, counts the others in *dropped, and returns how many it
 * appended; -1 (out as it was, but for its length) when raw is not a
 * plain list.
 */
long addrlist_plain(const char *raw, struct buf *out, size_t *dropped);

#endif
