#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# trawl reindex rebuilds index/ from trawl.db alone: the postings equal
# those the ingest wrote (compared with tests/tools/idxdump, whatever the
# segment cut), check is clean, and an index made by another analyzer
# version or in an older index format is refused until reindexed.
. "$(dirname "$0")/lib.sh"

IDXDUMP=$TOP/build/$VARIANT/tools/idxdump
idx() { "$IDXDUMP" "$1" | LC_ALL=C sort; }
S=$TOP/samples
nsegs() { python3 -c 'import sqlite3,sys
print(sqlite3.connect(sys.argv[1]).execute("select count(*) from segments").fetchone()[0])' "$1/trawl.db"; }

src="$S/mbox $S/maildir $S/eml $S/archive.zip $S/docs"
if [ -e "$CORPORA/enron-inbox.tar.gz" ]; then
	n=2500
	[ "$VARIANT" = asan ] && n=800
	enron_slice "$TMP/enron" "$n"
	src="$src $TMP/enron"
else
	skip "enron corpus absent: reindex runs on the samples only"
fi

# shellcheck disable=SC2086
"$TRAWL" -A "$TMP/a" ingest -q --batch 400 $src 2>/dev/null
is "$?" 0 "ingest in batches of 400 items"
segs=$(nsegs "$TMP/a")
ok "the ingest made several segments ($segs)" test "$segs" -gt 1
idx "$TMP/a" >"$TMP/ingest.idx"
ok "the index is not empty" test -s "$TMP/ingest.idx"

cp -r "$TMP/a" "$TMP/b"
"$TRAWL" -A "$TMP/b" reindex -q
is "$?" 0 "reindex exits 0"
is "$(nsegs "$TMP/b")" 1 "reindex within the memory budget makes one segment"
idx "$TMP/b" >"$TMP/re.idx"
ok "reindex gives the postings the ingest wrote" cmp "$TMP/ingest.idx" "$TMP/re.idx"
ok "check is clean after reindex" "$TRAWL" -A "$TMP/b" check
is "$(ls "$TMP/b/index" | grep -c "^seg-")" 4 "the old segments' files are gone"

"$TRAWL" -A "$TMP/b" reindex -q --batch 300
is "$?" 0 "reindex in segments of 300"
ok "several segments" test "$(nsegs "$TMP/b")" -gt 1
idx "$TMP/b" >"$TMP/re2.idx"
ok "same postings again" cmp "$TMP/ingest.idx" "$TMP/re2.idx"

# An index file of another analyzer version, or of an older index format
# (checksum made right), is refused with a message naming reindex.
# bump FILE OFFSET DELTA: adds DELTA to the u32 at OFFSET, fixes the CRC.
bump() {
	python3 - "$@" <<'PY'
import struct, sys
def crc32c(data):
    tab = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        tab.append(c)
    crc = 0xFFFFFFFF
    for b in data:
        crc = tab[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF
p, off, delta = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
d = bytearray(open(p, "rb").read())
struct.pack_into("<I", d, off, struct.unpack_from("<I", d, off)[0] + delta)
struct.pack_into("<I", d, len(d) - 4, crc32c(bytes(d[:-4])))
open(p, "wb").write(d)
PY
}
for what in "analyzer version:12:1" "older index format:8:-1"; do
	name=${what%%:*}
	off=${what#*:}; off=${off%%:*}
	delta=${what##*:}
	seg=$(ls "$TMP/b/index" | grep "^seg-" | head -1)
	bump "$TMP/b/index/$seg" "$off" "$delta"
	"$TRAWL" -A "$TMP/b" check >"$TMP/check.out" 2>&1
	is "$?" 1 "check fails on an index of another $name"
	ok "and says to run trawl reindex ($name)" \
		grep -q "run .trawl reindex" "$TMP/check.out"
	"$TRAWL" -A "$TMP/b" search enron >"$TMP/search.out" 2>&1
	ok "search fails too, and says to reindex ($name)" \
		test "$?" -ne 0 -a -n "$(grep "run .trawl reindex" "$TMP/search.out")"
	"$TRAWL" -A "$TMP/b" reindex -q
	is "$?" 0 "reindex repairs it ($name)"
	ok "check is clean again ($name)" "$TRAWL" -A "$TMP/b" check
	idx "$TMP/b" >"$TMP/re3.idx"
	ok "same postings after the repair ($name)" \
		cmp "$TMP/ingest.idx" "$TMP/re3.idx"
done

# Lost index/: reindex rebuilds it from trawl.db and blobs alone.
rm -rf "$TMP/b/index"/*
"$TRAWL" -A "$TMP/b" check >/dev/null 2>&1
is "$?" 1 "check reports missing segment files"
"$TRAWL" -A "$TMP/b" reindex -q
is "$?" 0 "reindex after index/ was emptied"
idx "$TMP/b" >"$TMP/re4.idx"
ok "same postings from the archive alone" cmp "$TMP/ingest.idx" "$TMP/re4.idx"
done_testing
