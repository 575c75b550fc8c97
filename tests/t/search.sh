#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# trawl search and trawl count end to end (docs/QUERY.md): on the samples,
# the output formats agree with each other and with count, facets with
# the total, snippets mark what matched, errors point at the query and
# exit 2, batch mode; on an Enron slice, exact counts of senders, subject
# words and months against Python's own reading of the files
# (tests/search_oracle.py).
. "$(dirname "$0")/lib.sh"

S=$TOP/samples
A=$TMP/s
"$TRAWL" -A "$A" ingest -q "$S/mbox" "$S/maildir" "$S/eml" \
	"$S/archive.zip" "$S/docs" 2>/dev/null
is "$?" 0 "ingest the samples"

search() { "$TRAWL" -A "$A" search "$@"; }
count() { "$TRAWL" -A "$A" count "$@"; }
# py EXPR < JSON: evaluates EXPR with j = the parsed JSON
py() { python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }

# -- totals: count, json, the three collapse modes
for mode in "" --threads --copies; do
	c=$(count $mode invoice)
	t=$(search $mode --format json invoice | py 'j["total"]')
	is "$c" "$t" "count ${mode:-(copies once)} invoice = search's total ($t)"
done
c_all=$(count --copies storfjord)
c_once=$(count storfjord)
c_thr=$(count --threads storfjord)
ok "every copy >= copies once >= threads ($c_all >= $c_once >= $c_thr)" \
	test "$c_all" -ge "$c_once" -a "$c_once" -ge "$c_thr" -a "$c_thr" -gt 0

# -- the hits
search --format json --limit 50 storfjord >"$TMP/h.json"
is "$(py 'len(j["hits"]) == min(50, j["total"])' <"$TMP/h.json")" True \
	"as many hits as the total allows"
is "$(search --format json --limit 500 '*' |
	py 'sorted(set(h["kind"] for h in j["hits"]))')" \
	"['document', 'email']" "by default, emails and documents, no attachments"
is "$(search --format json 'storfjord kind:attachment' |
	py 'set(h["kind"] for h in j["hits"]) == {"attachment"} and j["total"] > 0')" \
	True "kind:attachment gives attachments only"
is "$(py 'all(a["score"] >= b["score"] for a, b in zip(j["hits"], j["hits"][1:]))' \
	<"$TMP/h.json")" True "by relevance, best first"
is "$(search --format json --sort newest --limit 50 storfjord |
	py 'all(a["date"] >= b["date"] for a, b in zip(j["hits"], j["hits"][1:]))')" \
	True "--sort newest: newest first"
is "$(search --format json --sort oldest --limit 50 storfjord |
	py 'all(a["date"] <= b["date"] for a, b in zip(j["hits"], j["hits"][1:]))')" \
	True "--sort oldest: oldest first"
p1=$(search --format ids --limit 5 storfjord | tr '\n' ' ')
p2=$(search --format ids --limit 5 --offset 5 storfjord | tr '\n' ' ')
p12=$(search --format ids --limit 10 storfjord | tr '\n' ' ')
is "$p1$p2" "$p12" "pages: offset 5 continues where limit 5 stopped"
is "$(search --format ids --limit 50 storfjord | tr '\n' ' ')" \
	"$(py '" ".join(str(h["id"]) for h in j["hits"]) + " "' <"$TMP/h.json")" \
	"--format ids lists the JSON hits in order"
is "$(search --format csv --limit 50 storfjord | python3 -c '
import csv, sys
rows = list(csv.reader(sys.stdin))
print(rows[0][:3], len(rows) - 1)')" \
	"$(py '"[\x27id\x27, \x27kind\x27, \x27date\x27] %d" % len(j["hits"])' <"$TMP/h.json")" \
	"--format csv: a header and a row per hit"

# the hits are loaded briefly (TRAWL_LOAD_BRIEF): what they show agrees
# with a full load (trawl show --json)
for id in $(search --format ids --limit 8 --copies storfjord); do
	search --format json --copies --limit 8 storfjord | python3 -c '
import json, sys, subprocess
hit = [h for h in json.load(sys.stdin)["hits"] if h["id"] == int(sys.argv[1])][0]
full = json.loads(subprocess.run(sys.argv[2:], capture_output=True).stdout)
frm = [a["address"] for a in full["addresses"] if a["role"] == "from"][:1]
ok = (hit.get("subject") == full.get("subject") and
      hit.get("thread") == full.get("thread") and
      hit.get("copies", 0) == len(full.get("copies", [])) and
      [hit.get("from", {}).get("address")] * bool(frm) == frm and
      hit["kind"] == full["kind"])
print("same" if ok else "differs: %s / %s" % (hit, full))' "$id" "$TRAWL" -A "$A" show --json "$id"
done | sort | uniq -c | sed 's/^ *//' >"$TMP/brief"
is "$(cat "$TMP/brief")" "8 same" \
	"each hit's subject, sender, thread, copies agree with trawl show"

# -- snippets mark what matched: stems and folded forms, phrases whole
search --format json --limit 50 invoice >"$TMP/inv.json"
is "$(py 'sorted(set(s["text"][a:b].lower()[:6] for h in j["hits"] for s in h["snippets"] for a, b in s["marks"]))' \
	<"$TMP/inv.json")" "['invoic']" \
	"snippet marks of invoice are its inflections"
is "$(py 'sum(len(s["marks"]) for h in j["hits"] for s in h["snippets"]) >= len(j["hits"]) // 2' \
	<"$TMP/inv.json")" True "most hits have marks in their snippets"
search --format json --limit 50 '"storfjord spirit"' >"$TMP/ph.json"
is "$(py 'sorted(set(s["text"][a:b].lower() for h in j["hits"] for s in h["snippets"] for a, b in s["marks"]))' \
	<"$TMP/ph.json")" "['spirit', 'storfjord']" \
	"a phrase marks its words"
is "$(search --format json 'invoice -storfjord' |
	py 'all("storfjord" not in s["text"][a:b].lower() for h in j["hits"] for s in h["snippets"] for a, b in s["marks"])')" \
	True "excluded words are not marked"
is "$(search --color always --limit 1 invoice | grep -c $'\033\[1;33m')" 2 \
	"--color always marks in colour (subject and snippet)"
is "$(search --limit 3 invoice | grep -c $'\033')" 0 \
	"no colour when stdout is not a terminal"

# -- facets agree with the total
search --format json --facets storfjord >"$TMP/f.json"
is "$(py 'sum(v["count"] for v in j["facets"]["kinds"]) == j["total"]' \
	<"$TMP/f.json")" True "the kinds facet adds up to the total"
is "$(py 'sum(v["count"] for v in j["facets"]["months"]) == j["total"]' \
	<"$TMP/f.json")" True "so does the month histogram"
is "$(py 'sorted(j["facets"])' <"$TMP/f.json")" \
	"['attachment_types', 'domains', 'kinds', 'months', 'recipients', 'senders']" \
	"every facet is there"
top=$(py 'j["facets"]["senders"][0]["value"] + " " + str(j["facets"]["senders"][0]["count"])' <"$TMP/f.json")
is "$(count "storfjord from:${top% *}")" "${top#* }" \
	"the top sender's facet count is the count of from:${top% *}"

# -- fields that need the archive: id:, thread:, path:
id=$(search --format ids --limit 1 invoice)
is "$(search --format ids "id:$id")" "$id" "id:N finds item N"
thr=$(search --format json --limit 1 invoice | py 'j["hits"][0]["thread"]')
is "$(search --format json --copies --limit 100 "thread:$thr" |
	py 'all(h["thread"] == '"$thr"' for h in j["hits"]) and j["total"] > 0')" \
	True "thread:T finds the items of thread T"
want=$(python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1] + "/trawl.db")
print(db.execute("SELECT count(DISTINCT s.item) FROM sources s JOIN items i "
                 "ON i.id = s.item WHERE s.path >= ? AND s.path < ? AND i.kind = 1",
                 (sys.argv[2], sys.argv[2] + "\xff")).fetchone()[0])' "$A" "$S/eml/")
is "$(count --copies "path:$S/eml/ kind:email")" "$want" \
	"path: counts the emails found under a folder ($want)"
ok "path: takes in the attachments of what it finds" \
	test "$(count "path:$S/ kind:attachment")" -gt 0
# paths are bytes: 0xff right after the prefix is still under it
mkdir -p "$TMP/ff"
for f in xa x$'\xc3\xa9' x$'\xff' x$'\xff'a; do
	sed "s/^Subject: .*/Subject: file $f/" \
		"$S/eml/compliance/2024-02-13_who-accessed-the-memo.eml" \
		>"$TMP/ff/$f.eml"
done
"$TRAWL" -A "$TMP/ffa" ingest -q "$TMP/ff" 2>/dev/null
is "$("$TRAWL" -A "$TMP/ffa" count --copies "path:$TMP/ff/x kind:email")" 4 \
	"path: takes file names with any bytes"
is "$("$TRAWL" -A "$TMP/ffa" count --copies "path:$TMP/ff/x"$'\xff' kind:email)" 2 \
	"and prefixes that end in 0xff"

# -- errors: they quote the query and point at it, exit 2
search 'frm:amy budget' >"$TMP/o" 2>"$TMP/e"
is "$?" 2 "a parse error exits 2"
is "$(sed -n 1p "$TMP/e")" \
	"trawl search: cannot search for this: unknown field 'frm:'" \
	"it says what is wrong"
is "$(sed -n 2,3p "$TMP/e" | tr '\n' '|')" "  frm:amy budget|  ^|" \
	"it quotes the query and points at the place"
grep -q 'hint:' "$TMP/e"
is "$?" 0 "and gives a hint"
search 'budget (meeting' 2>"$TMP/e" >/dev/null
is "$(sed -n 3p "$TMP/e")" "         ^" "the caret points at the open parenthesis"
count 'date:2014-02-30' >/dev/null 2>&1
is "$?" 2 "trawl count refuses the same way"
search --offset 9990 --limit 20 invoice >/dev/null 2>"$TMP/e"
is "$?" 2 "offset + limit over 10,000 is refused"
grep -q 'over 10000' "$TMP/e"
is "$?" 0 "with a message saying why"
search >/dev/null 2>&1
is "$?" 2 "no query is a usage error"

# -- batch
printf 'invoice\n\n# a comment\nstorfjord spirit\nfrm:x\n"open\n' >"$TMP/b.txt"
search --batch "$TMP/b.txt" >"$TMP/b.csv"
is "$?" 1 "a batch with bad queries exits 1"
python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for r in rows:
    print(r["query"], r["count"], len(r["ids"].split()),
          r["error"].split(":")[0], sep="|")' \
	"$TMP/b.csv" >"$TMP/b.rows"
is "$(wc -l <"$TMP/b.rows")" 4 "one row per query, comments and blanks skipped"
is "$(sed -n 1p "$TMP/b.rows")" \
	"invoice|$(count invoice)|$(search --format ids invoice | wc -l)|" \
	"a row: the query, its count, its top IDs"
is "$(sed -n 2p "$TMP/b.rows" | cut -d'|' -f2)" "$(count storfjord spirit)" \
	"the second query's count"
is "$(sed -n 3p "$TMP/b.rows")" "frm:x|-1|0|at 0" \
	"a bad query gets its error in its row"
# a line far over the query limit: refused in its row, the next one runs
{ head -c 100000 /dev/zero | tr '\0' 'a'; printf '\ninvoice\n'; } >"$TMP/long.txt"
search --batch "$TMP/long.txt" | python3 -c '
import csv, sys
rows = list(csv.DictReader(sys.stdin))
print(len(rows), rows[0]["count"], "longer than" in rows[0]["error"],
      rows[1]["query"], rows[1]["count"] != "-1")' >"$TMP/long.out"
is "$(cat "$TMP/long.out")" "2 -1 True invoice True" \
	"a 100 KB line is refused as too long, and the next line runs"
is "$(search --batch "$TMP/b.txt" --format json | python3 -c '
import json, sys
print(sum(1 for l in sys.stdin if "count" in json.loads(l)))')" 2 \
	"--format json: a JSON line per query"

# -- known answers on an Enron slice
if [ ! -e "$CORPORA/enron-inbox.tar.gz" ]; then
	skip "corpus $CORPORA/enron-inbox.tar.gz not present: known answers"
	done_testing
	exit
fi
n=3000
[ "$VARIANT" = asan ] && n=800
python3 "$TOP/tests/enron_oracle.py" slice "$CORPORA/enron-inbox.tar.gz" \
	"$TMP/enron" "$n" >/dev/null
"$TRAWL" -A "$TMP/ea" ingest -q --batch 400 "$TMP/enron/maildir" 2>/dev/null
is "$?" 0 "ingest an Enron slice of $n files"
python3 "$TOP/tests/search_oracle.py" "$TMP/enron" >"$TMP/known.tsv"
ok "Python found known answers" test "$(wc -l <"$TMP/known.tsv")" -ge 10
while IFS=$'\t' read -r q want; do
	got=$("$TRAWL" -A "$TMP/ea" count --copies "$q kind:email")
	is "$got" "$want" "Enron: $q"
done <"$TMP/known.tsv"
# brief loads of mails to many people: the first ten To and ten Cc, and
# the count of them all, as a full load (trawl show) has them
"$TRAWL" -A "$TMP/ea" search --format json --limit 100 --copies enron >"$TMP/big.json"
python3 - "$TRAWL" "$TMP/ea" "$TMP/big.json" >"$TMP/big.out" <<'PY'
import json, subprocess, sys
hits = json.load(open(sys.argv[3]))["hits"]
big = [h for h in hits if h.get("to_count", 0) > 10]
bad = 0
for h in hits:
    full = json.loads(subprocess.run([sys.argv[1], "-A", sys.argv[2], "show",
                                      "--json", str(h["id"])],
                                     capture_output=True).stdout)
    to = [a["address"] for a in full["addresses"] if a["role"] == "to"]
    cc = [a["address"] for a in full["addresses"] if a["role"] == "cc"]
    if (h["to_count"] != len(to) + len(cc) or
            [a["address"] for a in h["to"]] != to[:10] + cc[:10] or
            h.get("thread") != full.get("thread")):
        bad += 1
print(len(big), bad, len(hits))
PY
read -r nbig nbad nhits <"$TMP/big.out"
ok "hits sent to more than ten people: $nbig" test "${nbig:-0}" -ge 3
is "$nbad" 0 "the first ten To and Cc, their count and the thread of $nhits hits agree with trawl show"

# an archive of schema 4 (addresses in item_addrs; no addrs_brief in the
# items stored before schema 4) is migrated by the next ingest: the same
# hits, the same item pages, a clean check
rm -rf "$TMP/ea4" && cp -r "$TMP/ea" "$TMP/ea4"
python3 - "$TOP/tests" "$TMP/ea4/trawl.db" <<'PY'
import sqlite3, sys
sys.path.insert(0, sys.argv[1])
import trawldb
c = sqlite3.connect(sys.argv[2])
rows = list(trawldb.item_addrs(c))
c.executescript("""
CREATE TABLE item_addrs(item INTEGER NOT NULL, role INTEGER NOT NULL,
 pos INTEGER NOT NULL, addr INTEGER NOT NULL, name TEXT NOT NULL,
 PRIMARY KEY(item, role, pos)) WITHOUT ROWID;
CREATE INDEX item_addrs_addr ON item_addrs(addr);""")
c.executemany("INSERT INTO item_addrs VALUES(?, ?, ?, ?, ?)",
              [(i, r, p, a, n) for i, r, p, a, n, _ in rows])
c.execute("UPDATE items SET addrs_brief = NULL WHERE id % 3 = 0")
c.execute("ALTER TABLE items DROP COLUMN addrs_more")
c.execute("PRAGMA user_version = 4")
c.commit()
PY
"$TRAWL" -A "$TMP/ea4" search enron >/dev/null 2>"$TMP/e"
ok "a search of a schema-4 archive says to migrate it" grep -q "schema version 4 is old; run an ingest" "$TMP/e"
mkdir -p "$TMP/nothing"
"$TRAWL" -A "$TMP/ea4" ingest -q "$TMP/nothing" 2>"$TMP/e"
is "$?" 0 "an ingest migrates it"
is "$(python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); print(c.execute("PRAGMA user_version").fetchone()[0], c.execute("SELECT count(*) FROM sqlite_master WHERE name = ?", ("item_addrs",)).fetchone()[0], c.execute("SELECT count(*) FROM items WHERE addrs_more IS NOT NULL").fetchone()[0] > 0)' "$TMP/ea4/trawl.db")" "8 0 True" \
	"schema 5, item_addrs dropped, addresses past the tenth of a role in addrs_more"
for a in ea ea4; do
	"$TRAWL" -A "$TMP/$a" search --format json --limit 200 --copies 'enron OR meeting' |
		py 'json.dumps(j["hits"])' >"$TMP/$a.hits"
	for id in $(py '" ".join(str(h["id"]) for h in j["hits"][:60])' <"$TMP/big.json"); do
		"$TRAWL" -A "$TMP/$a" show --json "$id"
	done >"$TMP/$a.show"
done
ok "the same hits after the migration ($(wc -c <"$TMP/ea.hits") bytes)" cmp -s "$TMP/ea.hits" "$TMP/ea4.hits"
ok "the same item pages after the migration ($(wc -c <"$TMP/ea.show") bytes)" cmp -s "$TMP/ea.show" "$TMP/ea4.show"
is "$("$TRAWL" -A "$TMP/ea4" check 2>&1 | tail -1)" "0 problems" "trawl check after the migration"

# schema 5 differs from 6 and 7 only in what they may write (two-frame
# body texts; bodies stored as their originals' tails): a reader opens it
# as it is, the next writer migrates it
rm -rf "$TMP/ea5" && cp -r "$TMP/ea" "$TMP/ea5"
python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("PRAGMA user_version = 5"); c.commit()' "$TMP/ea5/trawl.db"
"$TRAWL" -A "$TMP/ea5" search --format json --limit 200 --copies 'enron OR meeting' |
	py 'json.dumps(j["hits"])' >"$TMP/ea5.hits"
ok "a search of a schema-5 archive reads it as it is" cmp -s "$TMP/ea.hits" "$TMP/ea5.hits"
"$TRAWL" -A "$TMP/ea5" ingest -q "$TMP/nothing" 2>"$TMP/e"
is "$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA user_version").fetchone()[0])' "$TMP/ea5/trawl.db")" 8 "an ingest migrates it to schema 8"

# schema 7 lacks only the meta key unindexed_from (ingest --no-index): a
# reader takes it as 0, the next writer adds it
rm -rf "$TMP/ea7" && cp -r "$TMP/ea" "$TMP/ea7"
python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("DELETE FROM meta WHERE key = ?", ("unindexed_from",)); c.execute("PRAGMA user_version = 7"); c.commit()' "$TMP/ea7/trawl.db"
"$TRAWL" -A "$TMP/ea7" search --format json --limit 200 --copies 'enron OR meeting' 2>"$TMP/e" |
	py 'json.dumps(j["hits"])' >"$TMP/ea7.hits"
ok "a search of a schema-7 archive reads it as it is" cmp -s "$TMP/ea.hits" "$TMP/ea7.hits"
ok "and says nothing of unindexed items" test ! -s "$TMP/e"
is "$("$TRAWL" -A "$TMP/ea7" check 2>&1 | tail -1)" "0 problems" "trawl check of a schema-7 archive"
"$TRAWL" -A "$TMP/ea7" ingest -q "$TMP/nothing" 2>"$TMP/e"
is "$(python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); print(c.execute("PRAGMA user_version").fetchone()[0], c.execute("SELECT value FROM meta WHERE key = ?", ("unindexed_from",)).fetchone()[0])' "$TMP/ea7/trawl.db")" "8 0" "an ingest migrates it to schema 8"

# snippets read only the words where a query can match: on real mail, the
# same passages and marks as reading the whole body
{
	printf '%s\n' the enron 'natural gas' '"natural gas"' '"enron com"' \
		'"please let me know"' 'meeting tomorrow' 'pric*' 'power OR gas' \
		'energy -gas' jeff.dasovich@enron.com dasovich 1,000 '"to be"~3' \
		'subject:meeting' 'résumé' 'schedul*' '"you have any"'
	[ -e "$TOP/../shared/bench/queries.tsv" ] &&
		cut -f3 "$TOP/../shared/bench/queries.tsv" | tail -n +2
} >"$TMP/hlq"
"$TOP/build/$VARIANT/tools/hlcheck" "$TMP/ea" <"$TMP/hlq" >"$TMP/hl.out"
is "$?" 0 "snippets from the candidate words equal snippets from whole bodies ($(cat "$TMP/hl.out"))"
"$TRAWL" -A "$TMP/ea" search 'a*' >/dev/null 2>"$TMP/e"
is "$?" 2 "a prefix that stands for too many words is refused"
grep -q 'matches more than 1000 words' "$TMP/e"
is "$?" 0 "with a message saying so"

# A phrase with slop can hold more often than its later words occur:
# "x x y" holds "x y"~1 twice.  So score bounds may only count the first
# word's occurrences; a bound from the last word's once passed the best
# mail over.  Mail b holds the phrase twice, a once (and is shorter); with
# the phrase in the body only (the document-at-a-time walk), then in the
# subject too, with a third mail making the second word the rarer one in
# the body (run_phrase's term-at-a-time bounds).
# slopmail DIR NAME SUBJECT BODY
slopmail() {
	mkdir -p "$1"
	printf 'From: a@example.com\nTo: b@example.com\nSubject: %s\nMessage-ID: <%s@slop>\nDate: Mon, 1 Dec 2014 10:00:00 +0000\n\n%s\n' \
		"$3" "$2" "$4" >"$1/$2.eml"
}
slopmail "$TMP/slop1" a alpha 'quorzel flimbat padone padtwo'
slopmail "$TMP/slop1" b bravo 'quorzel quorzel flimbat padone padtwo'
slopmail "$TMP/slop2" a 'quorzel flimbat alpha' 'quorzel flimbat padone padtwo'
slopmail "$TMP/slop2" b 'quorzel flimbat bravo' 'quorzel quorzel flimbat padone padtwo'
slopmail "$TMP/slop2" c charlie 'quorzel padone padtwo padthree'
for d in slop1 slop2; do
	"$TRAWL" -A "$TMP/$d.a" ingest -q "$TMP/$d" 2>/dev/null
	got=$("$TRAWL" -A "$TMP/$d.a" search --format json --limit 1 \
		'"quorzel flimbat"~1' | py 'j["total"], j["hits"][0]["subject"]')
	want=$("$TRAWL" -A "$TMP/$d.a" search --format json --limit 5 \
		'"quorzel flimbat"~1' | py 'j["total"], j["hits"][0]["subject"]')
	is "$got" "$want" "$d: the top hit of a slop phrase with limit 1 is the top of limit 5 ($want)"
	case $want in *bravo*) r=0 ;; *) r=1 ;; esac
	is "$r" 0 "$d: it is the mail that holds the phrase twice"
done
done_testing
