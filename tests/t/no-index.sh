#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# trawl ingest --no-index stores without indexing: no search finds the new
# items, stats and every search say how many are waiting, check is clean.
# The next ingest without --no-index indexes them first, as trawl reindex
# does, and the postings are then those of an archive that was indexed all
# along (compared with tests/tools/idxdump, whatever the segment cut).
. "$(dirname "$0")/lib.sh"

IDXDUMP=$TOP/build/$VARIANT/tools/idxdump
idx() { "$IDXDUMP" "$1" | LC_ALL=C sort; }
S=$TOP/samples
stat_of() { "$TRAWL" -A "$1" stats --json >"$TMP/stats.json" &&
	jget "$TMP/stats.json" "$2"; }
nsegs() { ls "$1/index" | grep -c '\.pst$'; }

part1="$S/mbox $S/maildir $S/eml $S/archive.zip $S/docs"
part2=
if [ -e "$CORPORA/enron-inbox.tar.gz" ]; then
	n=1200
	[ "$VARIANT" = asan ] && n=400
	enron_slice "$TMP/enron" "$n"
	part2=$TMP/enron
else
	skip "enron corpus absent: --no-index runs on the samples only"
	mkdir -p "$TMP/more"
	cp "$S"/eml/*.eml "$TMP/more/" && for f in "$TMP"/more/*.eml; do
		printf '\nanother copy\n' >>"$f"
	done
	part2=$TMP/more
fi

# The reference: the same inputs, indexed as they come.
# shellcheck disable=SC2086
"$TRAWL" -A "$TMP/ref" ingest -q $part1 2>/dev/null &&
	"$TRAWL" -A "$TMP/ref" ingest -q "$part2" 2>/dev/null
is "$?" 0 "the reference archive ingests"
idx "$TMP/ref" >"$TMP/ref.idx"
ok "the reference index is not empty" test -s "$TMP/ref.idx"
word=$("$TRAWL" -A "$TMP/ref" count budget 2>/dev/null)
ok "the reference finds 'budget' ($word)" test "${word:-0}" -gt 0

# --no-index, twice
# shellcheck disable=SC2086
"$TRAWL" -A "$TMP/a" ingest --no-index $part1 2>"$TMP/ni.err"
is "$?" 0 "ingest --no-index exits 0"
ok "its summary says the items are not indexed" \
	grep -q "not indexed (--no-index)" "$TMP/ni.err"
"$TRAWL" -A "$TMP/a" ingest -q --no-index "$part2" 2>/dev/null
is "$?" 0 "a second ingest --no-index exits 0"
items=$(stat_of "$TMP/a" items)
is "$(stat_of "$TMP/a" unindexed)" "$items" "stats: all $items items unindexed"
is "$items" "$(stat_of "$TMP/ref" items)" "the same items as the reference"
is "$(nsegs "$TMP/a")" 0 "no segment was written"
got=$("$TRAWL" -A "$TMP/a" count budget 2>"$TMP/count.err")
is "$got" 0 "no search finds an unindexed item"
ok "count says how many items are not indexed" \
	grep -q "note: $items items are not indexed yet" "$TMP/count.err"
"$TRAWL" -A "$TMP/a" search budget >/dev/null 2>"$TMP/search.err"
ok "search says so too" grep -q "not indexed yet" "$TMP/search.err"
ok "check is clean with unindexed items" "$TRAWL" -A "$TMP/a" check
ok "show works on an unindexed item" "$TRAWL" -A "$TMP/a" show 1

cp -r "$TMP/a" "$TMP/b"
cp -r "$TMP/a" "$TMP/c"
cp -r "$TMP/a" "$TMP/e"

# The next ingest indexes them first (here it brings nothing new).
"$TRAWL" -A "$TMP/a" ingest "$S/eml" 2>"$TMP/catch.err"
is "$?" 0 "an ingest without --no-index exits 0"
ok "it says it indexed the waiting items" \
	grep -q "indexed $items items stored earlier without the index" \
	"$TMP/catch.err"
is "$(stat_of "$TMP/a" unindexed)" 0 "stats: nothing unindexed"
idx "$TMP/a" >"$TMP/a.idx"
ok "the postings equal the reference's" cmp "$TMP/ref.idx" "$TMP/a.idx"
is "$("$TRAWL" -A "$TMP/a" count budget 2>"$TMP/count2.err")" "$word" \
	"search finds what the reference finds"
ok "and no longer warns" test ! -s "$TMP/count2.err"
ok "check is clean" "$TRAWL" -A "$TMP/a" check
"$TRAWL" -A "$TMP/a" ingest "$S/eml" 2>"$TMP/again.err"
ok "a further ingest has nothing to catch up" \
	sh -c "! grep -q 'stored earlier' '$TMP/again.err'"

# On a terminal, the catch-up shows its progress (script(1) gives it one).
cp -r "$TMP/b" "$TMP/f"
script -qec "'$TRAWL' -A '$TMP/f' ingest '$S/eml'" /dev/null >"$TMP/tty.out" 2>&1
is "$?" 0 "an ingest on a terminal exits 0"
ok "it shows the catch-up's progress up to all $items items" \
	grep -q "indexing the items stored earlier without the index: $items," \
	"$TMP/tty.out"

# Killed with the catch-up's segments written but not live: the next
# ingest sweeps them and indexes the items again.
TRAWL_FAILPOINT=catch-up-before-commit "$TRAWL" -A "$TMP/e" ingest -q \
	"$S/eml" 2>/dev/null
is "$?" 137 "killed at catch-up-before-commit"
ok "its segment files were written" test "$(nsegs "$TMP/e")" -gt 0
is "$(stat_of "$TMP/e" unindexed)" "$items" "the items still wait"
"$TRAWL" -A "$TMP/e" ingest -q "$S/eml" 2>/dev/null
is "$?" 0 "the same ingest again exits 0"
idx "$TMP/e" >"$TMP/e.idx"
ok "the reference's postings after the crash" cmp "$TMP/ref.idx" "$TMP/e.idx"
ok "check is clean after the crash" "$TRAWL" -A "$TMP/e" check
is "$(nsegs "$TMP/e")" "$(nsegs "$TMP/a")" "the dead segment's files are gone"

# trawl reindex indexes them too.
"$TRAWL" -A "$TMP/b" reindex -q
is "$?" 0 "reindex of the unindexed archive exits 0"
is "$(stat_of "$TMP/b" unindexed)" 0 "stats: nothing unindexed after reindex"
idx "$TMP/b" >"$TMP/b.idx"
ok "reindex gives the reference's postings" cmp "$TMP/ref.idx" "$TMP/b.idx"
ok "check is clean after reindex" "$TRAWL" -A "$TMP/b" check

# Indexed, then not: only the first part is searchable until the catch-up.
# shellcheck disable=SC2086
"$TRAWL" -A "$TMP/d" ingest -q $part1 2>/dev/null
before=$(stat_of "$TMP/d" items)
p0=$("$TRAWL" -A "$TMP/d" count '*' 2>/dev/null)
"$TRAWL" -A "$TMP/d" ingest -q --no-index "$part2" 2>/dev/null
is "$?" 0 "--no-index onto an indexed archive exits 0"
after=$(stat_of "$TMP/d" items)
ok "check is clean with indexed and unindexed items" "$TRAWL" -A "$TMP/d" check
is "$("$TRAWL" -A "$TMP/d" count '*' 2>/dev/null)" "$p0" \
	"search finds the indexed part only ($p0 results)"
is "$(stat_of "$TMP/d" unindexed)" "$((after - before))" \
	"the rest waits ($((after - before)) items)"
"$TRAWL" -A "$TMP/d" ingest -q "$S/eml" 2>/dev/null
idx "$TMP/d" >"$TMP/d.idx"
ok "after the catch-up, the reference's postings" cmp "$TMP/ref.idx" "$TMP/d.idx"

# A removal inside the unindexed part: the parent of a removed attachment
# is not re-indexed into a segment (it has none); the catch-up indexes it
# without the attachment.
att=$(python3 - "$TMP/c/trawl.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
r = c.execute("select min(id) from items where kind = 2").fetchone()
print(r[0] or "")
PY
)
ok "the samples have an attachment ($att)" test -n "$att"
"$TRAWL" -A "$TMP/c" remove "$att" --reason "test" >/dev/null 2>&1
is "$?" 0 "remove of an unindexed attachment exits 0"
ok "check is clean after the removal" "$TRAWL" -A "$TMP/c" check
is "$(nsegs "$TMP/c")" 0 "the removal wrote no segment"
"$TRAWL" -A "$TMP/c" ingest -q "$S/eml" 2>/dev/null
is "$(stat_of "$TMP/c" unindexed)" 0 "the catch-up after a removal"
ok "check is clean after it" "$TRAWL" -A "$TMP/c" check

done_testing
