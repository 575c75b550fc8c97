#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# The index oracle (issue #3).  build/VARIANT/tools/oracle (tests/tools/
# oracle.c) rebuilds what the index should hold straight from trawl.db,
# runs random queries of every operator mix through trawl_search and
# through a naive evaluator that looks at every document, and demands the
# same totals, the same hits in the same order (by relevance, newest,
# oldest; at offset 0 and further) and the same scores (1e-9 relative).
# Its TAP lines are relayed here, one per query.
#
#  1. samples/ in one segment; then the same after `trawl remove` of an
#     attachment alone and of an email with its attachment;
#  2. the first 3,000 files of the Enron corpus ingested with --batch 180,
#     which leaves several segments: one merged from ten batches, and the
#     batches after it (ten batches of 300 would merge into one);
#  2b. that archive after `remove --keep-index` of 25 emails: deleted
#     documents that still count in the statistics (the model is the
#     archive before the removal, told which items went);
#  2c. then after `trawl optimize`: one segment, deletions gone;
#  3. the same files in one batch: one segment.
# TRAWL_ORACLE_SEED=N runs other queries (the default seeds are fixed).
. "$(dirname "$0")/lib.sh"

ORACLE=$TOP/build/$VARIANT/tools/oracle
SEED=${TRAWL_ORACLE_SEED:-1}
if [ "$VARIANT" = asan ]; then
	nsamples=300 nmany=600 none=200
else
	nsamples=500 nmany=2000 none=300
fi
T=$SECONDS
times=""
lap() { times="$times $1 $((SECONDS - T))s"; T=$SECONDS; }

if [ ! -x "$ORACLE" ]; then
	ok "the oracle is built ($ORACLE; make test-bins)" false
	done_testing
	exit
fi

# ingest WHAT ARGS...: trawl ingest, checked, its errors shown.
ingest() {
	local what=$1 rc
	shift
	"$TRAWL" ingest -q "$@" 2>"$TMP/err"
	rc=$?
	[ $rc = 0 ] || sed 's/^/# /' "$TMP/err" | head -20
	is "$rc" 0 "ingest of $what"
}

# oracle NAME ARCHIVE SEED NQUERIES: runs the oracle and relays its TAP
# (numbered in this test's sequence, prefixed with NAME); its comments
# pass through.  Sets segments to the count the oracle read.
oracle() {
	local name=$1 out=$TMP/oracle-$1.out rc line n=0 plan
	shift
	"$ORACLE" "$@" >"$out" 2>"$TMP/oracle-$name.err"
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*)
			n=$((n + 1))
			is ok ok "$name: ${line#ok * - }" ;;
		"not ok "*)
			n=$((n + 1))
			is "disagrees (see below)" agrees \
				"$name: ${line#not ok * - }" ;;
		"#"*) echo "$line" ;;
		esac
	done <"$out"
	plan=$(sed -n 's/^1\.\.//p' "$out")
	segments=$(sed -n 's/^# segments: //p' "$out")
	[ $rc = 0 ] || sed 's/^/# stderr: /' "$TMP/oracle-$name.err" | tail -20
	is "$rc/$n" "0/${plan:-(no plan)}" \
		"$name: the oracle ran to the end and every check passed"
}

# 1. samples/, one segment
S=$TOP/samples
ingest samples/ -A "$TMP/samples" "$S/mbox" "$S/maildir" "$S/eml" \
	"$S/archive.zip" "$S/docs"
oracle samples "$TMP/samples" "$SEED" "$nsamples"
is "$segments" 1 "samples/ is one segment"
lap samples

# 1b. the same after takedowns: an attachment on its own (its email stays,
# without it) and an email with its attachment.  The index must forget
# them as if they had never been ingested.
cp -a "$TMP/samples" "$TMP/removed"
rm_ids=$(python3 -c 'import sqlite3, sys
c = sqlite3.connect("file:%s/trawl.db?mode=ro" % sys.argv[1], uri=True)
one = lambda name: c.execute("SELECT id, parent FROM items WHERE name = ?",
                             (name,)).fetchone()
print(one("HML-CFL-2023-07_term-sheet.pdf")[0],
      one("q4-2023-preliminary.csv")[1])' "$TMP/samples")
"$TRAWL" -A "$TMP/removed" remove --reason "oracle test" $rm_ids \
	>/dev/null 2>"$TMP/err"
rc=$?
[ $rc = 0 ] || sed 's/^/# /' "$TMP/err" | head -20
is "$rc" 0 "trawl remove of an attachment and of an email (items $rm_ids)"
oracle removed "$TMP/removed" "$SEED" "$nsamples"
lap removed

# 2-3. a slice of the Enron corpus, in several segments and in one
TARBALL=$CORPORA/enron-inbox.tar.gz
if [ ! -e "$TARBALL" ]; then
	skip "corpus $TARBALL not present: the Enron slice"
	echo "# $VARIANT, seed $SEED; seconds:$times"
	done_testing
	exit
fi
python3 "$TOP/tests/enron_oracle.py" slice "$TARBALL" "$TMP" 3000 \
	>"$TMP/slice.txt"
rc=$?
is "$rc/$(wc -l <"$TMP/slice.txt")" 0/3000 \
	"the 3,000-file Enron slice is extracted"
lap slice

ingest "the slice in batches of 180" -A "$TMP/many" --batch 180 \
	"$TMP/maildir"
lap ingest-many
oracle many "$TMP/many" "$((SEED + 1))" "$nmany"
ok "the slice in batches is several segments (got ${segments:-?})" \
	test "${segments:-0}" -ge 3
lap oracle-many

# 2b. many segments with deletions: items removed with --keep-index stay
# in their segments, marked deleted, and still count in the statistics;
# the model is the archive before the removal, told which items went.
cp -a "$TMP/many" "$TMP/deleted"
del_ids=$(python3 -c 'import sqlite3,sys
c=sqlite3.connect(sys.argv[1])
ids=[r[0] for r in c.execute("select id from items where parent is null and kind = 1 order by id")]
print(" ".join(str(i) for i in ids[::97][:25]))' "$TMP/deleted/trawl.db")
"$TRAWL" -A "$TMP/deleted" remove --keep-index --reason "oracle test" \
	$del_ids 2>/dev/null
is "$?" 0 "trawl remove --keep-index of 25 emails across the segments"
nd=$(python3 -c 'import sqlite3,sys
print(sqlite3.connect(sys.argv[1]).execute("select sum(ndeleted) from segments").fetchone()[0])' "$TMP/deleted/trawl.db")
ok "their documents are marked deleted ($nd)" test "${nd:-0}" -ge 25
oracle deleted "$TMP/deleted" "$((SEED + 3))" "$((nmany / 2))" "$TMP/many"
lap oracle-deleted

# 2c. after merging all of it: the deleted documents are gone, from the
# statistics too, and the model is the archive as it now is.
"$TRAWL" -A "$TMP/deleted" optimize
is "$?" 0 "optimize merges the segments, dropping deleted documents"
oracle merged "$TMP/deleted" "$((SEED + 4))" "$none"
is "$segments" 1 "after optimize, one segment"
lap oracle-merged

ingest "the slice in one batch" -A "$TMP/one" --batch 100000 "$TMP/maildir"
lap ingest-one
oracle one "$TMP/one" "$((SEED + 2))" "$none"
is "$segments" 1 "the slice in one batch is one segment"
lap oracle-one

echo "# $VARIANT, seed $SEED; seconds:$times"
done_testing
