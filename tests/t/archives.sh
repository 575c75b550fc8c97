#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Archives read in place (zip, tar, tar.gz, tar.zst, tar.xz, 7z, a gzipped
# mbox, archives inside archives) and Apple .emlx: every one gives the same
# items as the loose files, with member paths as source locations.
. "$(dirname "$0")/lib.sh"

S=$TOP/samples
T=$TMP/tree
mkdir -p "$T"
cp -r "$S/eml" "$S/maildir" "$T/"
"$TRAWL" -A "$TMP/ref" ingest -q "$T" 2>/dev/null
ids() { python3 -c 'import sqlite3,sys
c=sqlite3.connect("file:%s/trawl.db?mode=ro" % sys.argv[1], uri=True)
for r in c.execute("select id, kind, hex(blob) from items order by id"): print(*r)' "$1"; }
ids "$TMP/ref" >"$TMP/ref.ids"
n=$(wc -l <"$TMP/ref.ids")

make_archive() { # FORMAT FILE
	case $1 in
	zip) (cd "$T" && bsdtar --format zip -cf "$2" $(cd "$T" && find . -type f | LC_ALL=C sort)) ;;
	7z) (cd "$T" && bsdtar --format 7zip -cf "$2" $(cd "$T" && find . -type f | LC_ALL=C sort)) ;;
	tar) tar -C "$T" --sort=name -cf "$2" . ;;
	tar.gz) tar -C "$T" --sort=name -czf "$2" . ;;
	tar.zst) tar -C "$T" --sort=name --zstd -cf "$2" . ;;
	tar.xz) tar -C "$T" --sort=name -cJf "$2" . ;;
	esac
}
for fmt in zip 7z tar tar.gz tar.zst tar.xz; do
	f=$TMP/dump.$fmt
	make_archive "$fmt" "$f"
	"$TRAWL" -A "$TMP/a-$fmt" ingest -q "$f" 2>"$TMP/err-$fmt"
	ids "$TMP/a-$fmt" >"$TMP/$fmt.ids"
	ok "$fmt: the same $n items and IDs as the tree" cmp "$TMP/ref.ids" "$TMP/$fmt.ids"
done

# nested: a zip holding a tar.gz of the tree; member paths joined by !/
(cd "$TMP" && mkdir nest && cp dump.tar.gz nest/ && cd nest && bsdtar --format zip -cf ../nest.zip dump.tar.gz)
"$TRAWL" -A "$TMP/a-nest" ingest -q "$TMP/nest.zip" 2>/dev/null
ids "$TMP/a-nest" >"$TMP/nest.ids"
ok "zip in which a tar.gz: the same items" cmp "$TMP/ref.ids" "$TMP/nest.ids"
m=$(python3 -c 'import sqlite3,sys
c=sqlite3.connect("file:%s/trawl.db?mode=ro" % sys.argv[1], uri=True)
print(c.execute("select member from sources order by item limit 1").fetchone()[0])' "$TMP/a-nest")
case "$m" in dump.tar.gz!/./*) r=0 ;; *) r=1 ;; esac
is "$r" 0 "nested member path: $m"

# a gzipped mbox: its messages, with byte ranges in the decompressed mbox
gzip -c "$S/mbox/all-staff.mbox" >"$TMP/all-staff.mbox.gz"
"$TRAWL" -A "$TMP/a-gz" ingest -q "$TMP/all-staff.mbox.gz" 2>/dev/null
"$TRAWL" -A "$TMP/a-gz" stats --json >"$TMP/gz.json"
is "$(jget "$TMP/gz.json" emails)" 4 "mbox.gz: its 4 messages"
"$TRAWL" -A "$TMP/a-gz" show --json 2 >"$TMP/gz2.json"
is "$(jget "$TMP/gz2.json" sources.0.member)" "all-staff.mbox" "mbox.gz: the member is the mbox's name"

# .emlx: the message between the length line and the property list
msg=$(find "$S/eml" -name '*.eml' | LC_ALL=C sort | head -1)
mkdir -p "$TMP/emlx"
{ printf '%d      \n' "$(wc -c <"$msg")"; cat "$msg"
  printf '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>flags</key><integer>8590195713</integer></dict></plist>\n'; } >"$TMP/emlx/1.emlx"
"$TRAWL" -A "$TMP/a-emlx" ingest -q "$TMP/emlx" 2>/dev/null
"$TRAWL" -A "$TMP/a-emlx" show --raw 1 >"$TMP/emlx.raw"
ok ".emlx: the stored message is exactly the embedded one" cmp "$TMP/emlx.raw" "$msg"
"$TRAWL" -A "$TMP/a-emlx" show --json 1 >"$TMP/emlx.json"
is "$(jget "$TMP/emlx.json" kind)" email ".emlx: an email"

# A truncated tar keeps the members before the cut and reports the rest;
# a compressed archive too damaged to open is kept whole as a document.
sz=$(stat -c %s "$TMP/dump.tar")
head -c $((sz / 2)) "$TMP/dump.tar" >"$TMP/cut.tar"
"$TRAWL" -A "$TMP/a-cut" ingest -q --report "$TMP/cut.jsonl" "$TMP/cut.tar" 2>/dev/null
is "$?" 0 "a truncated tar does not stop the ingest"
"$TRAWL" -A "$TMP/a-cut" stats --json >"$TMP/cut.json"
ok "the members before the cut are stored ($(jget "$TMP/cut.json" emails))" \
	test "$(jget "$TMP/cut.json" emails)" -gt 5
ok "the cut is reported with the archive's path" \
	grep -q 'cut.tar".*"code":"\(archive-error\|read-error\)"' "$TMP/cut.jsonl"
head -c 3000 "$TMP/dump.tar.gz" >"$TMP/cut.tar.gz"
"$TRAWL" -A "$TMP/a-cutgz" ingest -q "$TMP/cut.tar.gz" 2>/dev/null
"$TRAWL" -A "$TMP/a-cutgz" stats --json >"$TMP/cutgz.json"
is "$(jget "$TMP/cutgz.json" documents)" 1 "a tar.gz too short to open is kept as a document"
done_testing
