#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Every file of ../shared/corpora/email-fixtures (hard cases from the test
# suites of other mail parsers) ingests without a crash or a sanitizer
# report, and every file is accounted for: in the archive or in the report.
. "$(dirname "$0")/lib.sh"
need_corpus email-fixtures

F=$CORPORA/email-fixtures
A=$TMP/a
"$TRAWL" -A "$A" ingest -q --report "$TMP/report.jsonl" "$F" 2>"$TMP/err"
is "$?" 0 "ingest of every fixture exits 0"
ok "no sanitizer report" sh -c "! grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' '$TMP/err'"
crashes=$(grep -cE '"code":"(parser-crashed|parser-timeout|bad-result)"' "$TMP/report.jsonl")
is "$crashes" 0 "no parser crashed, hung or returned a bad record"
[ "$crashes" = 0 ] || grep -E 'parser-(crashed|timeout)|bad-result' "$TMP/report.jsonl" | head -5 | sed 's/^/# /'
ok "check is clean" "$TRAWL" -A "$A" check

# Accounting: every file is a source of some item or a failure.
python3 - "$A" "$F" >"$TMP/acct" <<'PY'
import os, sqlite3, sys
arch, root = sys.argv[1], os.path.realpath(sys.argv[2])
db = sqlite3.connect("file:%s/trawl.db?mode=ro" % arch, uri=True)
seen = {r[0] for r in db.execute("SELECT path FROM sources")}
seen |= {r[0] for r in db.execute("SELECT path FROM failures")}
files = []
for d, dirs, names in os.walk(root):
    for n in names:
        files.append(os.path.join(d, n))
missing = [f for f in files if f not in seen]
print(len(files), len(missing))
for m in missing[:10]:
    print("# missing:", m)
PY
read -r nfiles nmissing <"$TMP/acct"
is "$nmissing" 0 "all $nfiles fixture files are in the archive or the report"
grep '^#' "$TMP/acct"
"$TRAWL" -A "$A" stats --json >"$TMP/s.json"
echo "# $(cat "$TMP/s.json")"
ok "some mail was found" test "$(jget "$TMP/s.json" emails)" -gt 1000
ok "attachments were found" test "$(jget "$TMP/s.json" attachments)" -gt 500
done_testing
