#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Canonical dump of an archive's trawl.db, for byte-for-byte comparison.

Every table, every row, in primary-key order, with BLOBs as hex.  Left
out: the `ingests` table (run timestamps) -- nothing else in the archive
depends on when or how often an ingest ran -- and how the index is cut
into segments (the `segments` table, meta's next_segment): an interrupted
ingest cuts them elsewhere.  What the index holds is compared with
tests/tools/idxdump.

usage: canon.py ARCHIVE [--no-paths PREFIX]
  --strip PREFIX   remove PREFIX from the start of source paths, so that
                   archives made from copies at different places compare
"""
import sqlite3
import sys

SKIP = {"ingests", "sqlite_sequence", "segments"}
SKIP_META = {"next_segment", "threads_map"}


def fmt(v):
    if isinstance(v, bytes):
        return "x'" + v.hex() + "'"
    if v is None:
        return "NULL"
    return repr(v)


def main():
    path = sys.argv[1]
    strip = None
    if len(sys.argv) > 3 and sys.argv[2] == "--strip":
        strip = sys.argv[3]
    db = sqlite3.connect("file:%s/trawl.db?mode=ro" % path, uri=True)
    out = sys.stdout
    tables = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    for t in tables:
        if t in SKIP:
            continue
        cols = [r[1] for r in db.execute("PRAGMA table_info(%s)" % t)]
        out.write("table %s (%s)\n" % (t, ", ".join(cols)))
        rows = db.execute("SELECT * FROM %s" % t).fetchall()
        lines = []
        for row in rows:
            vals = list(row)
            if t == "meta" and vals[0] in SKIP_META:
                continue
            if strip and t in ("sources", "failures"):
                vals[0] = vals[0].replace(strip, "", 1)
            lines.append(" ".join(fmt(v) for v in vals))
        for line in sorted(lines):
            out.write(line + "\n")


if __name__ == "__main__":
    main()
