# SPDX-License-Identifier: AGPL-3.0-or-later
"""Reading trawl.db from the test oracles, independently of the C code.

item_addrs(db): every item's addresses from items.addrs_brief and
items.addrs_more (docs/FORMAT.md), as (item, role, pos, address_id, name,
address) in (item, role, pos) order.
"""

ROLES = 6  # From, Sender, Reply-To, To, Cc, Bcc
BRIEF = 10  # addresses of a role in addrs_brief; the rest in addrs_more


def _varint(b, i):
    v = shift = 0
    while True:
        if i >= len(b) or shift > 63:
            raise ValueError("bad varint")
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        if not c & 0x80:
            return v, i
        shift += 7


def _text(b, i):
    n, i = _varint(b, i)
    if i + n > len(b):
        raise ValueError("text runs past the column")
    return b[i:i + n].decode("utf-8"), i + n


def decode(brief, more):
    """[(role, pos, address_id, name, address)] of one item's columns."""
    out = []
    counts = []
    i = j = 0
    for _ in range(ROLES):
        n, i = _varint(brief, i)
        counts.append(n)
    more = more or b""
    for role in range(ROLES):
        for pos in range(counts[role]):
            if pos < BRIEF:
                aid, i = _varint(brief, i)
                name, i = _text(brief, i)
                addr, i = _text(brief, i)
            else:
                aid, j = _varint(more, j)
                name, j = _text(more, j)
                addr, j = _text(more, j)
            out.append((role, pos, aid, name, addr))
    if i != len(brief) or j != len(more):
        raise ValueError("bytes left over in the address columns")
    return out


def item_addrs(db):
    for item, brief, more in db.execute(
            "SELECT id, addrs_brief, addrs_more FROM items ORDER BY id"):
        for role, pos, aid, name, addr in decode(brief, more):
            yield item, role, pos, aid, name, addr
