#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Ingest of loose files, a Maildir and odd inputs made here: IDs, fields,
# raw bytes, re-ingest, -j independence, locking, check, failure accounting.
. "$(dirname "$0")/lib.sh"

D=$TMP/dump
mkdir -p "$D/eml/sub" "$D/Maildir/cur" "$D/Maildir/new" "$D/Maildir/tmp" "$D/docs"
printf 'From: Alice Example <Alice@Example.COM>\nTo: bob@example.com, "Doe, Jane" <jane@example.com>\nSubject: Re: Fwd: budget\nDate: Tue, 14 May 2024 10:00:00 -0700\nMessage-ID: <one@example.com>\n\nHello Bob,\nthe budget.\n' >"$D/eml/a.eml"
printf 'From: bob@example.com\nTo: alice@example.com\nSubject: no date here\nMessage-ID: <two@example.com>\nIn-Reply-To: <one@example.com>\nReferences: <zero@example.com> <one@example.com>\n\nreply\n' >"$D/eml/sub/b.eml"
# the same bytes again elsewhere: one item, two source locations
cp "$D/eml/a.eml" "$D/docs/copy-of-a.eml"
printf '\nDate: Sun, 30 Dec 2001 13:20:05 -0800 (PST)\nFrom: x@example.com\nSubject: leading blank line\n\nbody\n' >"$D/Maildir/cur/1700000000.M1P1.host:2,S"
printf 'From: y@example.com\nSubject: maildir new\n\nno date, maildir time\n' >"$D/Maildir/new/1700000100.M2P2.host"
printf 'filename,category\n1,spam\n' >"$D/docs/label.csv"
: >"$D/docs/empty"
ln -s nowhere "$D/docs/broken-link"
mkfifo "$D/docs/fifo"

A=$TMP/arch
"$TRAWL" -A "$A" ingest -q -j 2 --report "$TMP/report.jsonl" "$D" 2>"$TMP/err"
rc=$?; [ $rc = 0 ] || sed "s/^/# /" "$TMP/err" | head -40
is "$rc" 0 "ingest exits 0 even with bad inputs"
"$TRAWL" -A "$A" stats --json >"$TMP/stats.json"
is "$(jget "$TMP/stats.json" emails)" 4 "4 emails"
is "$(jget "$TMP/stats.json" documents)" 2 "2 documents (csv, empty file)"
is "$(jget "$TMP/stats.json" failed)" 2 "2 failures (broken symlink, fifo)"
is "$(jget "$TMP/stats.json" sources)" 7 "7 source locations (one duplicate)"
is "$(jget "$TMP/stats.json" format)" 2 "stats JSON has a format version (2)"
is "$(grep -c '"level":"failure"' "$TMP/report.jsonl")" 2 "report lists both failures"
# without -q the summary ends with the CPU split (main process, parsers)
"$TRAWL" -A "$TMP/cpu" ingest -j 2 "$D/docs" 2>"$TMP/cpu.err" >/dev/null
ok "the summary says the CPU of the main process and of the parsers" \
	grep -Eq '^CPU: [0-9]+\.[0-9] s in the main process \(input, writer\), [0-9]+\.[0-9] s in the parsers' "$TMP/cpu.err"
ok "report names the broken link" grep -q 'broken-link.*broken-symlink' "$TMP/report.jsonl"
ok "stderr names the fifo" grep -q 'fifo: not-a-file' "$TMP/err"
"$TRAWL" -A "$A" stats --failures >"$TMP/failures.txt"
is "$(wc -l <"$TMP/failures.txt")" 2 "stats --failures lists both"
ok "with the path and the reason" grep -q '/docs/broken-link: broken-symlink: ' "$TMP/failures.txt"

# every input file is accounted for: items' sources + failures = files
files=$(find "$D" -type f -o -type l -o -type p | wc -l)
acc=$(( $(jget "$TMP/stats.json" sources) + $(jget "$TMP/stats.json" failed) ))
is "$acc" "$files" "every input file is in the archive or the report"

# IDs follow bytewise path order: Maildir/ < docs/ < eml/
"$TRAWL" -A "$A" show --json 1 >"$TMP/1.json"
is "$(jget "$TMP/1.json" subject)" "leading blank line" "ID 1 is Maildir/cur (first in path order)"
is "$(jget "$TMP/1.json" warnings.0.code)" "leading-blank-line" "leading blank line warned"
is "$(jget "$TMP/1.json" date_source)" "header" "its Date header is used"
"$TRAWL" -A "$A" show --json 2 >"$TMP/2.json"
is "$(jget "$TMP/2.json" date_source)" "maildir" "no Date: falls back to the Maildir name time"
is "$(jget "$TMP/2.json" date)" 1700000100 "Maildir time taken from the file name"
id_a=$(for i in 1 2 3 4 5 6; do "$TRAWL" -A "$A" show --json $i | grep -q '"subject":"Re: Fwd: budget"' && echo $i; done | head -1)
"$TRAWL" -A "$A" show --json "$id_a" >"$TMP/a.json"
is "$(jget "$TMP/a.json" base_subject)" "budget" "base subject drops Re:/Fwd:"
is "$(jget "$TMP/a.json" addresses.0.address)" "alice@example.com" "From address lower-cased"
is "$(jget "$TMP/a.json" addresses.0.name)" "Alice Example" "From display name"
is "$(jget "$TMP/a.json" addresses.2.name)" "Doe, Jane" "quoted display name with comma"
is "$(jget "$TMP/a.json" message_id)" "one@example.com" "Message-ID"
is "$(jget "$TMP/a.json" date)" 1715706000 "Date in UTC"
is "$(jget "$TMP/a.json" tz_offset)" -420 "original offset kept"
is "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["sources"]))' "$TMP/a.json")" 2 "duplicate bytes: one item, two locations"
"$TRAWL" -A "$A" show --raw "$id_a" >"$TMP/a.raw"
ok "show --raw gives the original bytes" cmp "$TMP/a.raw" "$D/eml/a.eml"
"$TRAWL" -A "$A" show "$id_a" >"$TMP/a.txt"
ok "show prints the body" grep -q "the budget" "$TMP/a.txt"

ok "check is clean" "$TRAWL" -A "$A" check
python3 "$TOP/tests/canon.py" "$A" >"$TMP/canon1"

# re-ingest: nothing new, no ID changes
"$TRAWL" -A "$A" ingest -q "$D" 2>/dev/null
python3 "$TOP/tests/canon.py" "$A" >"$TMP/canon2"
ok "re-ingest changes nothing" cmp "$TMP/canon1" "$TMP/canon2"

# -j 1 gives the same archive as -j 2
"$TRAWL" -A "$TMP/arch-j1" ingest -q -j 1 "$D" 2>/dev/null
python3 "$TOP/tests/canon.py" "$TMP/arch-j1" >"$TMP/canon3"
ok "-j 1 and -j 2 give identical archives" cmp "$TMP/canon1" "$TMP/canon3"

# one writer at a time
flock "$A/lock" sleep 3 &
sleep 0.5
"$TRAWL" -A "$A" ingest -q "$D" 2>"$TMP/lockerr"
is "$?" 3 "a second writer is refused with exit 3"
ok "and says the archive is locked" grep -q "another trawl is writing" "$TMP/lockerr"
ok "readers are not blocked by the writer" "$TRAWL" -A "$A" stats
wait

# usage and missing things
"$TRAWL" -A "$A" show 999 2>/dev/null
is "$?" 4 "show of a missing item exits 4"
"$TRAWL" -A "$A" show abc 2>/dev/null
is "$?" 2 "show of a non-number is a usage error"
"$TRAWL" -A "$TMP/none" stats 2>/dev/null
is "$?" 3 "stats on a missing archive exits 3"
"$TRAWL" -A "$TMP/typo" ingest "$TMP/no-such-dump" 2>"$TMP/typo.err"
is "$?" 2 "ingest of a path that does not exist is a usage error"
ok "which names the path" grep -q "no-such-dump: No such file" "$TMP/typo.err"
ok "and creates no archive" test ! -e "$TMP/typo"
"$TRAWL" frobnicate 2>/dev/null
is "$?" 2 "unknown command is a usage error"
ok "--help documents exit codes" sh -c "'$TRAWL' --help | grep -q 'Exit status'"

# The same mail filed in two mailboxes (other Message-ID and X-Folder,
# same sender, recipients, subject, date and body): two items, each
# listing the other as a copy.  A changed body is not a copy.
C=$TMP/copies
mkdir -p "$C/a" "$C/b" "$C/c"
body='From: x@example.com\nTo: y@example.com\nSubject: plan\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n'
printf "${body}Message-ID: <1@a>\nX-Folder: \\\\Inbox\n\nthe plan\n" >"$C/a/1"
printf "${body}Message-ID: <2@b>\nX-Folder: \\\\Sent\n\nthe plan\n" >"$C/b/1"
printf "${body}Message-ID: <3@c>\n\nanother plan\n" >"$C/c/1"
"$TRAWL" -A "$TMP/ca" ingest -q "$C" 2>/dev/null
"$TRAWL" -A "$TMP/ca" show --json 1 >"$TMP/c1.json"
"$TRAWL" -A "$TMP/ca" show --json 3 >"$TMP/c3.json"
is "$(jget "$TMP/c1.json" copies)" "[2]" "a copy in another mailbox is listed"
ok "a different body is not a copy" python3 -c 'import json,sys; sys.exit("copies" in json.load(open(sys.argv[1])))' "$TMP/c3.json"

# Bytes stored first as an attachment, then met as a file of their own:
# a new document item that shares the stored blob.
B=$TMP/shared
mkdir -p "$B"
printf 'From: a@example.com\nSubject: with a file\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee attached\n--b\nContent-Type: text/csv\nContent-Disposition: attachment; filename=n.csv\n\na,b\n1,2\n--b--\n' >"$B/1.eml"
"$TRAWL" -A "$TMP/sh" ingest -q "$B/1.eml" 2>/dev/null
"$TRAWL" -A "$TMP/sh" show --raw 2 >"$TMP/n.csv"
"$TRAWL" -A "$TMP/sh" ingest -q "$TMP/n.csv" 2>"$TMP/sh.err"
is "$?" 0 "a file with the bytes of a stored attachment ingests"
"$TRAWL" -A "$TMP/sh" stats --json >"$TMP/sh.json"
is "$(jget "$TMP/sh.json" documents)/$(jget "$TMP/sh.json" blobs)" "1/2" \
	"it is a new document sharing the attachment's blob"
ok "check is clean after sharing a blob" "$TRAWL" -A "$TMP/sh" check

# a body text that is its original's last bytes is stored as a reference
# to them (docs/FORMAT.md, items.body): readers get the original's tail,
# also from an original stored first as an attachment's bytes, in one zstd
# frame rather than a header frame and text frames
R=$TMP/refs
mkdir -p "$R/d"
printf 'From: c@example.com\nSubject: inner\n\nthe attached note\nsecond line\n' >"$TMP/inner.eml"
printf 'From: a@example.com\nSubject: carrier\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XX\n\n--XX\nContent-Type: text/plain\n\nsee attached\n--XX\nContent-Type: application/octet-stream; name=note.bin\nContent-Transfer-Encoding: base64\n\n%s\n--XX--\n' "$(base64 -w0 "$TMP/inner.eml")" >"$R/d/1.eml"
cp "$TMP/inner.eml" "$R/d/2.eml"
printf 'From: q@example.com\nSubject: qp\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\ncaf=C3=A9 au lait\n' >"$R/d/3.eml"
"$TRAWL" -A "$R/a" ingest -q "$R/d"
is "$?" 0 "a mail, its attached copy as bytes, and the copy alone ingest"
is "$(python3 -c 'import sqlite3, sys; print(" ".join("%d:%d:%d" % r for r in sqlite3.connect(sys.argv[1]).execute("SELECT id, kind, length(body) = 0 FROM items WHERE body IS NOT NULL ORDER BY id")))' "$R/a/trawl.db")" \
	"1:1:0 3:1:1 4:1:0" \
	"the copy alone (3) has its body by reference; the multipart mail (1) and the quoted-printable one (4) compressed"
for id in 1 3 4; do
	"$TRAWL" -A "$R/a" show --json "$id" >"$TMP/ref$id.json"
	"$TRAWL" -A "$R/a" show --raw "$id" >"$TMP/ref$id.raw"
done
is "$(jget "$TMP/ref3.json" body)" "$(printf 'the attached note\nsecond line')" \
	"its text is the original's tail"
ok "byte for byte, read from inside the attachment's one frame" python3 -c '
import json, sys
j = json.load(open(sys.argv[1])); raw = open(sys.argv[2], "rb").read()
b = j["body"].encode()
sys.exit(not (raw.endswith(b) and len(b) == 30))' "$TMP/ref3.json" "$TMP/ref3.raw"
is "$(jget "$TMP/ref4.json" body)" "café au lait" "a decoded body is stored as text"
ok "check is clean with bodies by reference" "$TRAWL" -A "$R/a" check
cp -r "$R/a" "$R/bad"
python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("UPDATE items SET body_len = 500 WHERE id = 3"); c.commit()' "$R/bad/trawl.db"
"$TRAWL" -A "$R/bad" check >"$TMP/refcheck"
is "$?" 1 "check exits 1 on a reference longer than its original"
ok "check names the item" grep -q "item 3: stored body text is corrupt" "$TMP/refcheck"
"$TRAWL" -A "$R/bad" show 3 >/dev/null 2>"$TMP/referr"
is "$?" 5 "show fails on it (exit 5: corrupt data)"
ok "naming the item" grep -q "item 3: stored body text does not decompress" "$TMP/referr"

# corruption is found by check
cp -r "$A" "$TMP/bad"
pack=$(ls "$TMP/bad/blobs/"pack-*.tpk | head -1)
python3 - "$pack" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
b[200] ^= 0xff
open(p, 'wb').write(b)
PY
"$TRAWL" -A "$TMP/bad" check >"$TMP/checkout"
is "$?" 1 "check exits 1 on a flipped byte in a pack"
ok "check names the damaged blob" grep -q "blob" "$TMP/checkout"

# Files are opened relative to their directory: a deep tree, a symbolic
# link to a file (followed, under the link's own path) and one to a
# directory (not followed: a failure that names it), from another
# working directory.
L=$TMP/links
mkdir -p "$L/a/b/c/d" "$L/real"
printf 'From: deep@example.com\nSubject: deep\n\nfour levels down\n' >"$L/a/b/c/d/deep.eml"
printf 'From: real@example.com\nSubject: real\n\nlinked to\n' >"$L/real/r.eml"
ln -s ../real/r.eml "$L/a/link.eml"
ln -s ../real "$L/a/dirlink"
(cd / && "$TRAWL" -A "$TMP/links-arch" ingest -q --report "$TMP/links.jsonl" "$L/a" 2>/dev/null)
is "$?" 0 "links: the ingest exits 0"
"$TRAWL" -A "$TMP/links-arch" stats --json >"$TMP/links.json"
is "$(jget "$TMP/links.json" emails)" 2 "links: the deep file and the linked one"
is "$(jget "$TMP/links.json" failed)" 1 "links: one failure"
ok "links: the directory link is named with its reason" \
	grep -q 'dirlink.*symlink-to-directory' "$TMP/links.jsonl"
"$TRAWL" -A "$TMP/links-arch" show 1 >"$TMP/links-show.txt"
ok "links: the deep file's source path is whole" \
	grep -q "^Source: *$L/a/b/c/d/deep.eml\$" "$TMP/links-show.txt"
ok "links: a guessed date says from where, on its line" \
	grep -q '^Date: .*(guessed from mtime)$' "$TMP/links-show.txt"
"$TRAWL" -A "$TMP/links-arch" show 2 >"$TMP/links-show2.txt"
ok "links: the linked file under the link's path" \
	grep -q "^Source: *$L/a/link.eml\$" "$TMP/links-show2.txt"

# A worker reads its jobs from the pipe in 256 KiB pieces and takes the
# frames from them in place: a 6 MB message between small ones, read
# across many pieces, keeps every byte.
B=$TMP/big
mkdir -p "$B"
for i in 1 3 4; do printf 'From: s%s@example.com\nSubject: small %s\n\nsmall\n' $i $i >"$B/$i-small.eml"; done
python3 - "$B/2-big.eml" "$TMP/big.sha" <<'PY'
import base64, os, sys
import hashlib
data = bytes((i * 7 + 3) % 256 for i in range(4_500_000))
with open(sys.argv[2], "w") as f:
    f.write(hashlib.sha256(data).hexdigest())
with open(sys.argv[1], "w") as f:
    f.write("From: big@example.com\nSubject: big\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
            "Content-Type: text/plain\n\nsee attached\n--b\n"
            "Content-Type: application/octet-stream; name=blob.bin\n"
            "Content-Transfer-Encoding: base64\n\n")
    enc = base64.b64encode(data).decode()
    f.write("\n".join(enc[i:i + 76] for i in range(0, len(enc), 76)))
    f.write("\n--b--\n")
PY
"$TRAWL" -A "$TMP/big-arch" ingest -q -j 1 "$B" 2>/dev/null
is "$?" 0 "big: the ingest exits 0"
"$TRAWL" -A "$TMP/big-arch" stats --json >"$TMP/big.json"
is "$(jget "$TMP/big.json" emails)" 4 "big: the big message and the three small ones"
is "$(jget "$TMP/big.json" attachments)" 1 "big: its attachment"
"$TRAWL" -A "$TMP/big-arch" show 3 >"$TMP/big-show.txt"
ok "big: the attachment (item 3) keeps its 4,500,000 bytes" \
	grep -q "^Original: *4500000 bytes, sha256 $(cat "$TMP/big.sha")\$" "$TMP/big-show.txt"
ok "big: check is clean" "$TRAWL" -A "$TMP/big-arch" check
done_testing
