#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# trawl remove: a takedown takes an item and what is inside it out of the
# database, the blob store and the index; its ID stays a tombstone with the
# reason; ingesting the same dump again does not bring it back; IDs are
# never given again.  trawl optimize drops removed documents from index/.
. "$(dirname "$0")/lib.sh"

S=$TOP/samples
IDXDUMP=$TOP/build/$VARIANT/tools/idxdump
A=$TMP/a
sql() { python3 -c 'import sqlite3,sys
c=sqlite3.connect("file:%s/trawl.db?mode=ro" % sys.argv[1], uri=True)
for r in c.execute(sys.argv[2]): print("|".join("" if v is None else str(v) for v in r))' "$A" "$1"; }
in_index() { "$IDXDUMP" "$A" | awk -F'\t' -v id="$1" '$2 == id || ($1 == "doc" && $2 == id)' | wc -l; }

"$TRAWL" -A "$A" ingest -q --batch 20 "$S/mbox" "$S/maildir" "$S/eml" \
	"$S/archive.zip" "$S/docs" 2>/dev/null
is "$?" 0 "ingest the samples in segments of 20"
items0=$(sql "select count(*) from items")
max0=$(sql "select max(id) from items")

# an email with one attachment, and where its blobs are
parent=$(sql "select i.id from items i where i.parent is null and i.kind = 1 and (select count(*) from items c where c.parent = i.id) = 1 order by i.id limit 1")
child=$(sql "select id from items where parent = $parent")
ok "an email with one attachment ($parent, $child)" test -n "$parent" -a -n "$child"
sql "select b.pack, b.offset, b.clen from blobs b join items i on i.blob = b.sha256 where i.id = $parent" >"$TMP/loc"
ok "the email is in the index" test "$(in_index "$parent")" -gt 0

"$TRAWL" -A "$A" remove --keep-index 2>/dev/null "$parent"
is "$?" 2 "remove without --reason is a usage error"
"$TRAWL" -A "$A" remove --reason "court order 2024-17" 99999 2>"$TMP/err"
is "$?" 4 "remove of an unknown ID exits 4"
ok "and names it" grep -q "no item 99999" "$TMP/err"
is "$(sql "select count(*) from items")" "$items0" "a failed remove changes nothing"

"$TRAWL" -A "$A" remove --keep-index --reason "court order 2024-17" "$parent" 2>"$TMP/err"
is "$?" 0 "remove exits 0"
ok "it says how many items went" grep -q "removed 2 items" "$TMP/err"
is "$(sql "select count(*) from items")" "$((items0 - 2))" "the email and its attachment are gone"
is "$(sql "select count(*) from items where id in ($parent, $child)")" 0 "neither row is left"
for t in sources warnings threads; do
	col=item
	is "$(sql "select count(*) from $t where $col in ($parent, $child)")" 0 "no $t rows are left"
done
is "$(sql "select reason from removed where id = $parent")" "court order 2024-17" "the tombstone keeps the reason"
"$TRAWL" -A "$A" show "$parent" >/dev/null 2>"$TMP/err"
is "$?" 4 "show of a removed ID exits 4"
ok "and says why" grep -q "was removed: court order 2024-17" "$TMP/err"
"$TRAWL" -A "$A" remove --reason again "$parent" 2>"$TMP/err"
is "$?" 4 "removing it again exits 4"
ok "saying it was removed already" grep -q "removed already" "$TMP/err"
read -r pack off clen <<<"$(tr '|' ' ' <"$TMP/loc")"
python3 - "$A/blobs/pack-$(printf %06d "$pack").tpk" "$off" "$clen" <<'PY' >"$TMP/zeros"
import sys
f = open(sys.argv[1], "rb"); f.seek(int(sys.argv[2]))
print("zero" if not any(f.read(int(sys.argv[3]) + 56)) else "data")
PY
is "$(cat "$TMP/zeros")" zero "the blob's bytes are punched out of the pack"
is "$(sql "select count(*) from purge_pending")" 0 "no purge is left pending"
ok "check is clean (deleted documents in the index)" "$TRAWL" -A "$A" check
is "$(sql "select sum(ndeleted) from segments")" 2 "--keep-index: two documents marked deleted"
ok "--keep-index: the postings are still in index/" test "$(in_index "$parent")" -gt 0

"$TRAWL" -A "$A" optimize
is "$?" 0 "optimize exits 0"
is "$(sql "select count(*) from segments")" 1 "one segment"
is "$(sql "select ndeleted from segments")" 0 "without deleted documents"
is "$(in_index "$parent")" 0 "the removed email's postings are gone from index/"
ok "check is clean after optimize" "$TRAWL" -A "$A" check

# without --keep-index the segment is rewritten at once
other=$(sql "select id from items where kind = 1 and parent is null and id <> $parent order by id desc limit 1")
"$TRAWL" -A "$A" remove --reason "privacy" "$other" 2>/dev/null
is "$?" 0 "remove of the newest email"
is "$(in_index "$other")" 0 "its postings left index/ with the remove"
ok "check is clean" "$TRAWL" -A "$A" check

"$TRAWL" -A "$A" ingest "$S/mbox" "$S/maildir" "$S/eml" "$S/archive.zip" \
	"$S/docs" 2>"$TMP/err"
is "$?" 0 "ingest the samples again"
ok "it says it skipped what was removed" grep -q "skipped what was removed" "$TMP/err"
is "$(sql "select count(*) from items where id in ($parent, $child, $other)")" 0 "nothing removed came back"
printf 'From: a@example.com\nSubject: new\nMessage-ID: <new@x>\n\nnew mail\n' >"$TMP/new.eml"
"$TRAWL" -A "$A" ingest -q "$TMP/new.eml" 2>/dev/null
new=$(sql "select max(id) from items")
ok "a new item gets an ID above every removed one ($new > $max0)" test "$new" -gt "$max0"
ok "check is clean at the end" "$TRAWL" -A "$A" check
done_testing
