#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# A parser that crashes or hangs costs only its own message: the message
# is recorded as a failure with its raw bytes kept, the worker is
# replaced, and every other message is stored.  The faults are injected
# with the test hook TRAWL_FAILPOINT=worker-faults (marked input only).
. "$(dirname "$0")/lib.sh"

D=$TMP/dump
mkdir -p "$D"
for i in 01 02 03 04 05 06 07 08; do
	printf 'From: a%s@example.com\nSubject: normal %s\nMessage-ID: <n%s@x>\n\nhello %s\n' \
		"$i" "$i" "$i" "$i" >"$D/$i.eml"
done
printf 'From: c@example.com\nSubject: crash\n\nTRAWL-TEST-CRASH\n' >"$D/03-crash.eml"
printf 'From: h@example.com\nSubject: hang\n\nTRAWL-TEST-HANG\n' >"$D/05-hang.eml"
# an mbox with a crashing message in the middle
{
	printf 'From x@example.com Mon Jan  1 00:00:00 2024\nFrom: m1@example.com\nSubject: m1\n\none\n\n'
	printf 'From x@example.com Mon Jan  1 00:00:00 2024\nFrom: m2@example.com\nSubject: m2\n\nTRAWL-TEST-CRASH\n\n'
	printf 'From x@example.com Mon Jan  1 00:00:00 2024\nFrom: m3@example.com\nSubject: m3\n\nthree\n'
} >"$D/box.mbox"

# -j 3 with a commit every two messages: a checkpoint thread runs after
# each commit, and must be gone before a worker is forked again.
for j in 1 2 3; do
	A=$TMP/a$j
	t0=$SECONDS
	batch=
	[ $j = 3 ] && batch='--batch 2'
	# shellcheck disable=SC2086
	TRAWL_FAILPOINT=worker-faults "$TRAWL" -A "$A" ingest -q -j $j $batch \
		--parse-timeout 2 --report "$TMP/r$j.jsonl" "$D" 2>"$TMP/err$j"
	is "$?" 0 "-j $j: the ingest finishes"
	ok "-j $j: the hang was cut off in time ($((SECONDS - t0)) s)" test $((SECONDS - t0)) -lt 60
	"$TRAWL" -A "$A" stats --json >"$TMP/s$j.json"
	is "$(jget "$TMP/s$j.json" emails)" 10 "-j $j: the other 10 messages are stored"
	is "$(jget "$TMP/s$j.json" failed)" 3 "-j $j: 3 failures"
	is "$(grep -c '"code":"parser-crashed"' "$TMP/r$j.jsonl")" 2 "-j $j: two crashes reported"
	# (under ASan the sanitizer catches SIGSEGV and exits instead)
	sig='signal 11'
	[ "$VARIANT" = asan ] && sig='exited with status 99'
	ok "-j $j: the crash says how the parser died" grep -q "$sig" "$TMP/r$j.jsonl"
	is "$(grep -cE '"code":"parser-(timeout|crashed)".*(CPU|longer)' "$TMP/r$j.jsonl")" 1 \
		"-j $j: the hang reported as over its time"
	ok "-j $j: the mbox failure has its byte range" \
		grep -q '"path":"[^"]*box.mbox","offset":[0-9]*,"length"' "$TMP/r$j.jsonl"
	n=$(python3 -c 'import sqlite3,sys
c=sqlite3.connect("file:%s/trawl.db?mode=ro" % sys.argv[1], uri=True)
print(c.execute("select count(*) from failures f join blobs b on b.sha256=f.blob").fetchone()[0])' "$A")
	is "$n" 3 "-j $j: each failed message's raw bytes are kept as a blob"
	ok "-j $j: check is clean" "$TRAWL" -A "$A" check
done
# Without the test hook the marker strings are just text.
"$TRAWL" -A "$TMP/plain" ingest -q "$D" 2>/dev/null
"$TRAWL" -A "$TMP/plain" stats --json >"$TMP/plain.json"
is "$(jget "$TMP/plain.json" emails)" 13 "without the hook, nothing fails"
done_testing
