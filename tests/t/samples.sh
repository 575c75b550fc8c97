#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Known answers on samples/ (see samples/README.md for what is where):
# counts, duplicates, charsets, encoded file names, HTML-only mail,
# uuencode, mbox un-escaping, dates guessed from fallbacks, and the same
# IDs whether the tree is ingested as files or as a tar.gz.
. "$(dirname "$0")/lib.sh"

S=$TOP/samples
A=$TMP/a
"$TRAWL" -A "$A" ingest -q --report "$TMP/report.jsonl" \
	"$S/mbox" "$S/maildir" "$S/eml" "$S/archive.zip" "$S/docs" 2>"$TMP/err"
is "$?" 0 "ingest of the samples"
"$TRAWL" -A "$A" stats --json >"$TMP/s.json"
is "$(jget "$TMP/s.json" emails)" 56 "56 unique top-level messages (58 with 2 byte-identical copies)"
is "$(jget "$TMP/s.json" embedded)" 1 "1 forwarded message/rfc822 becomes its own item"
is "$(jget "$TMP/s.json" attachments)" 11 "11 attachments (9 files, 1 uuencoded, 2 parts of a bounce)"
is "$(jget "$TMP/s.json" documents)" 2 "2 documents (docs/notes.txt, docs/budget.csv)"
is "$(jget "$TMP/s.json" failed)" 0 "nothing failed"
is "$(jget "$TMP/s.json" sources)" 60 "60 source locations (58 messages + 2 documents)"
ok "check is clean" "$TRAWL" -A "$A" check
uu_parent=$("$TRAWL" -A "$A" show --json 48 | python3 -c 'import json,sys; print(json.load(sys.stdin).get("parent"))')
"$TRAWL" -A "$A" show "$uu_parent" >"$TMP/parent.txt"
ok "show names a message's attachments" grep -q "^Contains: .*attachment: print-log-2024-01.txt" "$TMP/parent.txt"

# One JSON line per item for the checks below.
for id in $(seq 1 "$(jget "$TMP/s.json" items)"); do
	"$TRAWL" -A "$A" show --json "$id"
done >"$TMP/items.jsonl"
q() { # q PYTHON-EXPRESSION over items (list of dicts) -> printed value
	python3 -c 'import json,sys
items=[json.loads(l) for l in open(sys.argv[1])]
print(eval(sys.argv[2]))' "$TMP/items.jsonl" "$1"
}
by_subject() { # the item whose subject contains $1
	echo "[i for i in items if '$1' in (i.get('subject') or '')][0]"
}

is "$(q "len($(by_subject 'without prejudice settlement proposal')['sources'])")" 2 \
	"settlement proposal: one item, found in eml/ and in the Maildir"
is "$(q "sorted(s.get('member','') for s in $(by_subject 'SV: Service paa dekkskran 2')['sources'])")" \
	"['', 'export/legal-hold/magnus-berg_2023-08-10_SV_service-dekkskran-2.eml']" \
	"file and zip member with the same bytes: one item, two locations"
is "$(q "[w['code'] for w in [i for i in items if any(s['path'].endswith('new-laptop.eml') for s in i['sources'])][0]['warnings']]")" \
	"['leading-blank-line']" "leading blank line: kept as mail, with a warning"
is "$(q "[i['date_source'] for i in items if (i.get('subject') or '').startswith('Dekkskran 2 - rapport')]")" "['received']" \
	"unparseable Date: taken from the Received header"
is "$(q "sum(1 for i in items if i['kind']=='email' and i.get('date_source')=='maildir')")" 1 \
	"no Date and no Received: the Maildir file-name time"
ok "Japanese (UTF-8 B) subject decoded" sh -c "grep -q '横浜入港スケジュール' '$TMP/items.jsonl'"
ok "shift_jis body converted" sh -c "python3 -c \"import json,sys
b=[json.loads(l).get('body','') for l in open('$TMP/items.jsonl')]
sys.exit(0 if any('横浜' in x for x in b) else 1)\""
ok "koi8-r body converted" sh -c "grep -q 'Роттердам' '$TMP/items.jsonl'"
ok "RFC 2231 file name decoded" sh -c "grep -q 'Ersatzteilübersicht Kran 2.csv' '$TMP/items.jsonl'"
ok "RFC 2047 file name decoded" sh -c "grep -q 'Récapitulatif escale Fjordgull.csv' '$TMP/items.jsonl'"
is "$(q "[i for i in items if i.get('name')=='print-log-2024-01.txt'][0]['size'] > 100")" True \
	"uuencoded file extracted as an attachment"
html_id=$(q "[i['id'] for i in items if (i.get('subject') or '').startswith('Bergen operator deferred')][0]")
"$TRAWL" -A "$A" show --raw "$html_id" >"$TMP/html.raw"
if grep -qi 'text/html' "$TMP/html.raw" && ! grep -qi 'text/plain' "$TMP/html.raw"; then
	ok "HTML-only mail has a text body without tags" sh -c "! '$TRAWL' -A '$A' show '$html_id' | sed '1,/^\$/d' | grep -q '<p>'"
else
	ok "the HTML-only sample is press mbox #7" false
fi

# mbox un-escaping: ">From " lines in the mbox are "From " in the message
esc_id=$(q "[i['id'] for i in items if any(s.get('path','').endswith('all-staff.mbox') and s.get('offset',0)>0 for s in i['sources'])][1]")
"$TRAWL" -A "$A" show --raw "$esc_id" >"$TMP/esc.raw"
ok "mboxrd message stored un-escaped" grep -q '^From ' "$TMP/esc.raw"
ok "and no escaped line left" sh -c "! grep -q '^>From ' '$TMP/esc.raw'"

# zip member bytes round-trip
python3 - "$S/archive.zip" "$TMP" <<'PY'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
name = "export/yokohama/2023-09-18_nordlys-trader-eta.eml"
open(sys.argv[2] + "/member.eml", "wb").write(z.read(name))
PY
zid=$(q "[i['id'] for i in items if any(s.get('member','').endswith('2023-09-18_nordlys-trader-eta.eml') for s in i['sources'])][0]")
"$TRAWL" -A "$A" show --raw "$zid" >"$TMP/member.raw"
ok "zip member stored byte for byte" cmp "$TMP/member.raw" "$TMP/member.eml"

# The same dump as a tar.gz (sorted member order) gives the same IDs.
(cd "$TMP" && mkdir tree && cp -r "$S/mbox" "$S/maildir" "$S/eml" tree/ &&
	tar -C tree --sort=name -czf dump.tar.gz .)
"$TRAWL" -A "$TMP/t1" ingest -q "$TMP/tree" 2>/dev/null
"$TRAWL" -A "$TMP/t2" ingest -q "$TMP/dump.tar.gz" 2>/dev/null
ids() { python3 -c 'import sqlite3,sys
c=sqlite3.connect("file:%s/trawl.db?mode=ro" % sys.argv[1], uri=True)
for r in c.execute("select id, kind, hex(blob) from items order by id"): print(*r)' "$1"; }
ids "$TMP/t1" >"$TMP/ids1"
ids "$TMP/t2" >"$TMP/ids2"
ok "tree and tar.gz give identical IDs ($(wc -l <"$TMP/ids1") items)" cmp "$TMP/ids1" "$TMP/ids2"
done_testing
