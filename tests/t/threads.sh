#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Threads: the samples' known threads and ghost parent; and ingesting a
# corpus in random batch splits gives exactly the threads of one
# from-scratch run.
. "$(dirname "$0")/lib.sh"

S=$TOP/samples
A=$TMP/a
"$TRAWL" -A "$A" ingest -q "$S/mbox" "$S/maildir" "$S/eml" "$S/archive.zip" \
	"$S/docs" 2>/dev/null
is "$?" 0 "ingest of the samples"
sizes=$(python3 -c 'import sqlite3,sys
c=sqlite3.connect("file:%s/trawl.db?mode=ro" % sys.argv[1], uri=True)
print(sorted((r[0] for r in c.execute("select count(*) from threads group by thread having count(*)>1")), reverse=True))' "$A")
is "$sizes" "[6, 6, 5, 3, 3, 2, 2, 2, 2, 2, 2, 2]" \
	"the 12 threads of samples/README.md, by size"
ghost=$(python3 -c 'import sqlite3,sys
c=sqlite3.connect("file:%s/trawl.db?mode=ro" % sys.argv[1], uri=True)
r=c.execute("select t.item, t.thread from threads t where t.parent = ? and not exists (select 1 from items where message_id = t.parent)", ("CAK7m2pT9wHs4Ne1b6Lm@mail.castellan-freight.test",)).fetchall()
print(len(r), r and c.execute("select count(*) from threads where thread=?", (r[0][1],)).fetchone()[0])' "$A")
is "$ghost" "1 6" "the reply to the missing offer keeps its ghost parent, in the 6-message dispute thread"
"$TRAWL" -A "$A" show --json 1 >"$TMP/1.json"
ok "show gives the thread" sh -c "grep -q '\"thread\":' '$TMP/1.json'"

# Random batch splits: a corpus of files in random groups, in random
# order, against one run over all of them.  Threads are compared as sets
# of item contents (SHA-256), since IDs follow the order of ingest.
if [ -e "$CORPORA/enron-inbox.tar.gz" ]; then
	n=2500
	[ "$VARIANT" = asan ] && n=1200
	enron_slice "$TMP/enron" "$n"
	src=$TMP/enron
else
	skip "enron corpus absent: batch splits run on the samples only"
	src=$S/maildir
fi
find "$src" "$S/eml" "$S/mbox" -type f | LC_ALL=C sort >"$TMP/files"
"$TRAWL" -A "$TMP/whole" ingest -q $(cat "$TMP/files") 2>/dev/null
partition() { python3 -c 'import sqlite3,sys
c=sqlite3.connect("file:%s/trawl.db?mode=ro" % sys.argv[1], uri=True)
g={}
for t, b in c.execute("select t.thread, hex(i.blob) from threads t join items i on i.id=t.item"):
    g.setdefault(t, []).append(b)
for s in sorted(",".join(sorted(v)) for v in g.values()): print(s)' "$1"; }
partition "$TMP/whole" >"$TMP/p.whole"
nthreads=$(wc -l <"$TMP/p.whole")
for seed in 1 2 3; do
	python3 - "$TMP/files" "$seed" "$TMP/batch" <<'PY'
import random, sys
files = open(sys.argv[1]).read().split()
rng = random.Random(int(sys.argv[2]))
rng.shuffle(files)
k = rng.randint(3, 6)
cuts = sorted(rng.sample(range(1, len(files)), k - 1))
parts = [files[i:j] for i, j in zip([0] + cuts, cuts + [len(files)])]
for n, p in enumerate(parts):
    open("%s.%d" % (sys.argv[3], n), "w").write("\n".join(p) + "\n")
print(k)
PY
	a=$TMP/split-$seed
	for b in "$TMP"/batch.*; do
		"$TRAWL" -A "$a" ingest -q $(cat "$b") 2>/dev/null
	done
	rm -f "$TMP"/batch.*
	partition "$a" >"$TMP/p.$seed"
	ok "random batch split $seed gives the threads of one run ($nthreads threads)" \
		cmp "$TMP/p.whole" "$TMP/p.$seed"
	bad=$(python3 -c 'import sqlite3,sys
c=sqlite3.connect("file:%s/trawl.db?mode=ro" % sys.argv[1], uri=True)
print(c.execute("select count(*) from (select thread, min(item) m from threads group by thread) where thread <> m").fetchone()[0] +
      c.execute("select count(*) from thread_redirects r where not exists (select 1 from threads t where t.thread = r.new)").fetchone()[0])' "$a")
	is "$bad" 0 "split $seed: every thread is named by its smallest item and every redirect leads to a live thread"
done
done_testing
