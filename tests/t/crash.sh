#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Crash safety: kill -9 at named failpoints (before and after each sync and
# commit) and at random moments, then run the same ingest again: the
# archive equals an uninterrupted run, byte for byte in its canonical dump,
# and trawl check is clean; the index holds the same postings (flushes
# and merges included).
. "$(dirname "$0")/lib.sh"

# A dump made here: 400 small mails in a tree, one mbox of 200, the samples.
D=$TMP/dump
python3 - "$D" <<'PY'
import os, sys
d = sys.argv[1]
for i in range(400):
    sub = os.path.join(d, "tree", "%02d" % (i % 7))
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "m%04d.eml" % i), "w") as f:
        f.write("From: user%d@example.com\nTo: team@example.com\n"
                "Subject: report %d\nDate: Mon, 1 Jan 2024 %02d:%02d:00 +0000\n"
                "Message-ID: <m%d@example.com>\n\nbody of message %d %s\n"
                % (i % 13, i, i % 24, i % 60, i, i, "x" * (i * 7 % 500)))
with open(os.path.join(d, "box.mbox"), "w") as f:
    for i in range(200):
        f.write("From sender@example.com Mon Jan  1 00:00:00 2024\n"
                "From: sender@example.com\nSubject: mbox %d\n"
                "Message-ID: <b%d@example.com>\n\nline\n>From here\n\n" % (i, i))
PY
cp -r "$TOP/samples/mbox" "$TOP/samples/maildir" "$TOP/samples/eml" "$D/"

ingest() { # ingest ARCHIVE [env...]
	local a=$1; shift
	env "$@" "$TRAWL" -A "$a" ingest -q -j 2 --batch 37 "$D" 2>>"$TMP/log"
}

t0=$(date +%s%N)
ingest "$TMP/ref"
is "$?" 0 "uninterrupted ingest"
ref_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
IDXDUMP=$TOP/build/$TRAWL_VARIANT/tools/idxdump
idx() { "$IDXDUMP" "$1" | LC_ALL=C sort; }
python3 "$TOP/tests/canon.py" "$TMP/ref" >"$TMP/ref.canon"
idx "$TMP/ref" >"$TMP/ref.idx"
nseg=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from segments").fetchone()[0])' "$TMP/ref/trawl.db")
ok "the reference index has several segments ($nseg)" test "$nseg" -gt 5
n=$(grep -c '^' "$TMP/ref.canon")
ok "reference archive is not empty ($n lines)" test "$n" -gt 600

same_as_ref() { # same_as_ref ARCHIVE DESCRIPTION
	python3 "$TOP/tests/canon.py" "$1" >"$TMP/got.canon"
	ok "$2: same archive as an uninterrupted run" \
		cmp "$TMP/ref.canon" "$TMP/got.canon"
	ok "$2: check is clean" "$TRAWL" -A "$1" check
	idx "$1" >"$TMP/got.idx"
	ok "$2: same index content as an uninterrupted run" \
		cmp "$TMP/ref.idx" "$TMP/got.idx"
}

for fp in before-blob-sync after-blob-sync after-segment-flush before-commit \
	after-commit; do
	for hit in 1 4; do
		a=$TMP/fp-$fp-$hit
		ingest "$a" TRAWL_FAILPOINT=$fp:$hit
		rc=$?
		is "$rc" 137 "$fp:$hit kills the ingest (SIGKILL)"
		ingest "$a"
		is "$?" 0 "$fp:$hit: ingest again"
		same_as_ref "$a" "$fp:$hit"
	done
done
# The threads are computed in the last batch's transaction, beside the
# writing of its segment: a crash there loses that batch, threads and all.
a=$TMP/fp-before-threads
ingest "$a" TRAWL_FAILPOINT=before-threads
is "$?" 137 "before-threads kills the ingest (SIGKILL)"
ingest "$a"
is "$?" 0 "before-threads: ingest again"
same_as_ref "$a" "before-threads"

# Merges (ten batches of 37 make the first one): crash after the merged
# segment is written, and after its commit, before the old files go.
for fp in after-merge-write after-merge-commit; do
	a=$TMP/fp-$fp
	ingest "$a" TRAWL_FAILPOINT=$fp:1
	is "$?" 137 "$fp:1 kills the ingest (SIGKILL)"
	ingest "$a"
	is "$?" 0 "$fp:1: ingest again"
	same_as_ref "$a" "$fp:1"
done

# Kills at random moments, several in a row on the same archive.  One
# ingest of this dump takes a few tenths of a second; kill within the
# first half of the time the uninterrupted run took (each killed run
# commits some batches, so the later runs have less to do: a later
# deadline would mostly land after they ended).
a=$TMP/random
killed=0
for i in 1 2 3 4 5 6 7 8; do
	"$TRAWL" -A "$a" ingest -q -j 2 --batch 37 "$D" 2>>"$TMP/log" &
	pid=$!
	ms=$(( RANDOM % (ref_ms / 2 + 1) + 5 ))
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ $? = 137 ] && killed=$((killed + 1))
done
echo "# $killed of 8 random kills landed during an ingest"
ok "random kills interrupted ingests ($killed of 8)" test "$killed" -ge 3
ingest "$a"
is "$?" 0 "random kills: final ingest"
same_as_ref "$a" "random kills"
done_testing
