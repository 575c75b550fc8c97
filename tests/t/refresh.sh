#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# A searcher whose refresh fails half-way (a removal rewrote the first
# segment, then a later segment's deletion bitmap is damaged) keeps
# answering from what it had, and a later refresh picks up the repaired
# list (tests/tools/refresh.c).
. "$(dirname "$0")/lib.sh"

R=$TOP/build/$VARIANT/tools/refresh
S=$TOP/samples
DB=$TMP/a/trawl.db
sql() { python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
r = c.execute(sys.argv[2]).fetchall()
c.commit()
print("\n".join(str(x[0]) for x in r))' "$DB" "$1"; }

"$TRAWL" -A "$TMP/a" ingest -q --batch 8 "$S/mbox" "$S/maildir" "$S/eml" \
	2>/dev/null
is "$?" 0 "samples ingested in batches of 8 items"
nseg=$(sql "SELECT count(*) FROM segments")
ok "several segments ($nseg)" test "$nseg" -ge 3
first=$(sql "SELECT min(id) FROM items WHERE kind = 1")
last=$(sql "SELECT id FROM segments ORDER BY min_item DESC LIMIT 1")

cat >"$TMP/damage.py" <<PY
import sqlite3
c = sqlite3.connect("$DB")
c.execute("UPDATE segments SET deleted = x'00000000000000' WHERE id = $last")
c.commit()
PY
cat >"$TMP/repair.py" <<PY
import sqlite3
c = sqlite3.connect("$DB")
c.execute("UPDATE segments SET deleted = NULL WHERE id = $last")
c.commit()
PY
BREAK="'$TRAWL' -A '$TMP/a' remove $first --reason test >/dev/null && python3 '$TMP/damage.py'"
FIX="python3 '$TMP/repair.py'"
"$R" "$TMP/a" budget "$BREAK" "$FIX" >"$TMP/out" 2>"$TMP/err"
is "$?" 0 "the refresh tool ran" || sed 's/^/# /' "$TMP/out" "$TMP/err"
mapfile -t L <"$TMP/out"
is "${L[1]}" "refresh: failed" "a refresh over a damaged bitmap fails"
is "${L[2]}" "${L[0]}" "the searcher still counts what it had"
is "${L[3]}" "refresh: ok" "the refresh after the repair succeeds"
read -r _ all0 _ <<<"${L[0]}"
read -r _ all1 _ <<<"${L[4]}"
is "$all1" "$((all0 - 1))" "and counts one email fewer"
done_testing
