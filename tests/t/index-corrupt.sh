#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Corruption: bytes flipped in, and truncations of, every index file.
# trawl check reports the file, a searcher fails with a clear "corrupt"
# (or version) status, and nothing crashes.  (The decoders behind the
# checksum are fuzzed with checksums off: fuzz/fuzz-segment.c.)
. "$(dirname "$0")/lib.sh"

SQ=$TOP/build/$VARIANT/tools/squery
S=$TOP/samples
mkdir -p "$TMP/blk"
python3 - "$TMP/blk" <<'PY'
import sys
for i in range(300):
    open("%s/m%03d.eml" % (sys.argv[1], i), "w").write(
        "From: a%d@x.org\nTo: b@y.org\nSubject: s %d\nMessage-ID: <%d@x>\n"
        "Date: Mon, 1 Jan 2024 00:00:00 +0000\n\nhello world hello %s\n"
        % (i % 7, i % 3, i, "again " * (i % 5)))
PY
"$TRAWL" -A "$TMP/a" ingest -q "$S/mbox" "$S/maildir" "$S/eml" "$TMP/blk" 2>/dev/null
is "$?" 0 "ingest (one segment, lists of several blocks)"
"$SQ" "$TMP/a" >/dev/null
is "$?" 0 "the intact index answers every kind of query"

seg=$(cd "$TMP/a/index" && ls seg-*.dic | sed 's/\.dic$//')
try() { # try DESCRIPTION: check and search the damaged copy in $TMP/c
	"$TRAWL" -A "$TMP/c" check >"$TMP/check.out" 2>&1
	local rc=$?
	if [ "$rc" = 1 ] && grep -q "seg-" "$TMP/check.out"; then
		echo "ok $((_n += 1)) - $1: check reports the file"
	else
		_failed=$((_failed + 1))
		echo "not ok $((_n += 1)) - $1: check exit $rc"
		sed 's/^/#   /' "$TMP/check.out" | head -5
	fi
	"$SQ" "$TMP/c" >/dev/null 2>"$TMP/sq.err"
	rc=$?
	if [ "$rc" = 3 ] && grep -qiE "corrupt|truncated|version|checksum|not a trawl" "$TMP/sq.err"; then
		echo "ok $((_n += 1)) - $1: search fails cleanly ($(head -c 80 "$TMP/sq.err" | tr -d '\n'))"
	else
		_failed=$((_failed + 1))
		echo "not ok $((_n += 1)) - $1: search exit $rc"
		sed 's/^/#   /' "$TMP/sq.err" | head -5
	fi
}
for ext in dic pst pos dvs; do
	f=$seg.$ext
	size=$(stat -c %s "$TMP/a/index/$f")
	for cut in 0 10 23 40 $((size / 2)) $((size - 1)); do
		rm -rf "$TMP/c" && cp -r "$TMP/a" "$TMP/c"
		truncate -s "$cut" "$TMP/c/index/$f"
		try "$f cut to $cut bytes"
	done
	for off in 0 5 9 13 20 30 $((size / 3)) $((size / 2)) $((size * 2 / 3)) \
		$((size - 20)) $((size - 10)) $((size - 2)); do
		rm -rf "$TMP/c" && cp -r "$TMP/a" "$TMP/c"
		python3 -c 'import sys
p, o = sys.argv[1], int(sys.argv[2])
d = bytearray(open(p, "rb").read()); d[o] ^= 0x5a; open(p, "wb").write(d)' \
			"$TMP/c/index/$f" "$off"
		try "$f byte $off flipped"
	done
done
rm -rf "$TMP/c" && cp -r "$TMP/a" "$TMP/c"
rm "$TMP/c/index/$seg.pos"
try "$seg.pos missing"
done_testing
