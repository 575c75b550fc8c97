#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# MIME framing GMime misreads and trawl repairs (lib/mimefix.c) or takes
# around (message/rfc822 parts as leaves, lib/parse.c), one small message
# each, checked through show --json and the stored bytes:
#   1 'multipart/mixed' folded into 'boundary=' with no ';'
#   2 a message/rfc822 part whose content is not a message
#   3 an embedded message stored as found, not as GMime writes it back
#   4 a delimiter line ending unlike the line before it (CRLF after LF,
#     LF after CRLF)
#   5 a delimiter line with text after the boundary (RFC 2046 5.1.1)
#   6 a boundary longer than GMime's 4 KiB line buffer
#   7 what GMime's message parse does that its part parse would not:
#     repeated Received fields are no conflict, an embedded message may
#     start with a From_ line
# and that mail needing none of it is parsed once and left alone.
. "$(dirname "$0")/lib.sh"

D=$TMP/mail
mkdir -p "$D"

# ingest NAME: the file $D/NAME.eml into its own archive $TMP/NAME; the
# message is item 1, its children 2, 3, ...
ingest() {
	"$TRAWL" -A "$TMP/$1" ingest -q "$D/$1.eml" 2>"$TMP/$1.err"
	is "$?" 0 "$1: ingest exits 0"
}
# field NAME ID KEY: a top-level key of show --json (empty when absent)
field() {
	"$TRAWL" -A "$TMP/$1" show --json "$2" | python3 -c 'import json,sys
v=json.load(sys.stdin).get(sys.argv[1], "")
print(" ".join(map(str, v)) if isinstance(v, list) else v)' "$3"
}
# body NAME ID: the text body, its lines joined by "|", runs of more than
# 9 x written x*N
body() {
	"$TRAWL" -A "$TMP/$1" show --json "$2" | python3 -c 'import json,re,sys
b=json.load(sys.stdin).get("body", "").rstrip()
b=re.sub(r"x{10,}", lambda m: "x*%d" % len(m.group(0)), b)
print("|".join(b.splitlines()))'
}
# raw NAME ID: the stored bytes of an item into $TMP/NAME.ID
raw() {
	"$TRAWL" -A "$TMP/$1" show --raw "$2" >"$TMP/$1.$2"
}

# 1. no ';' between the subtype and the boundary parameter
printf 'From: a@example.com\nSubject: semicolon\nContent-Type: multipart/mixed\n\tboundary="b1"\n\n--b1\nContent-Type: text/plain\n\nthe text\n--b1\nContent-Type: image/png\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="a.png"\n\naGVsbG8gd29ybGQK\n--b1--\n' >"$D/semicolon.eml"
ingest semicolon
is "$(field semicolon 1 children)" 2 "semicolon: the image is a child"
is "$(body semicolon 1)" "the text" "semicolon: the text part is the body"
is "$(field semicolon 2 name)" a.png "semicolon: the image keeps its name"
raw semicolon 2
is "$(cat "$TMP/semicolon.2")" "hello world" "semicolon: the image's bytes"
ok "semicolon: the repair is named in the mime warning" sh -c \
	"'$TRAWL' -A '$TMP/semicolon' show --json 1 | grep -q \"without ';'\""
printf 'From: a@example.com\nSubject: same line\nContent-Type: multipart/mixed boundary=b2\n\n--b2\nContent-Type: text/plain\n\nsame line text\n--b2--\n' >"$D/sameline.eml"
ingest sameline
is "$(body sameline 1)" "same line text" "semicolon on one line: the body is found"

# 2. message/rfc822 content that is not a message, with a part after it
printf 'From: a@example.com\r\nSubject: not a message\r\nContent-Type: multipart/mixed; boundary="BOUND"\r\n\r\n--BOUND\r\nContent-Type: text/plain\r\n\r\nhello\r\n--BOUND\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename="broken.eml"\r\n\r\nthis attachment is not a valid eml, sorry!\r\n--BOUND\r\nContent-Type: text/plain\r\n\r\nafter it\r\n--BOUND--\r\n' >"$D/notmsg.eml"
ingest notmsg
is "$(field notmsg 1 children)" 2 "not a message: one child"
is "$(field notmsg 2 kind)" attachment "not a message: kept as an attachment"
is "$(field notmsg 2 mime_type)" message/rfc822 "not a message: with its declared type"
is "$(field notmsg 2 name)" broken.eml "not a message: and its file name"
raw notmsg 2
printf 'this attachment is not a valid eml, sorry!' >"$TMP/notmsg.want"
ok "not a message: its bytes, as found" cmp "$TMP/notmsg.2" "$TMP/notmsg.want"
is "$(body notmsg 1)" "hello||after it" \
	"not a message: the part after it is still read, as body"
printf 'From: a@example.com\nSubject: blank first line\nContent-Type: message/rfc822\n\n\nno header here\n' >"$D/blankmsg.eml"
ingest blankmsg
is "$(field blankmsg 2 kind)" attachment "content starting with a blank line: an attachment"

# 3. an embedded multipart message whose close delimiter is followed at
# once by the parent's: its bytes are those between the parent's
# delimiter lines, without the line break that belongs to the next one
emb='From: inner@example.com\nSubject: inner\nContent-Type: multipart/mixed; boundary=in\n\n--in\nContent-Type: text/plain\n\ninner text\n--in--'
printf "From: a@example.com\nSubject: outer\nContent-Type: multipart/mixed; boundary=out\n\n--out\nContent-Type: text/plain\n\nouter text\n--out\nContent-Type: message/rfc822\n\n$emb\n--out--\n" >"$D/embedded.eml"
ingest embedded
is "$(field embedded 2 kind)" email "embedded: the message is an email item"
is "$(field embedded 2 subject)" inner "embedded: parsed"
is "$(body embedded 2)" "inner text" "embedded: its body"
raw embedded 2
printf "$emb" >"$TMP/embedded.want"
ok "embedded: stored byte for byte as found in the parent" \
	cmp "$TMP/embedded.2" "$TMP/embedded.want"
# a digest: headerless parts default to message/rfc822
printf 'From: d@example.com\nSubject: digest\nContent-Type: multipart/digest; boundary=1\n\n--1\n\nFrom: one@example.com\nSubject: first\n\nfirst body\n--1\n\nFrom: two@example.com\nSubject: second\n\nsecond body\n--1--\n' >"$D/digest.eml"
ingest digest
raw digest 3
printf 'From: two@example.com\nSubject: second\n\nsecond body' >"$TMP/digest.want"
ok "digest: a headerless part's message stored as found" \
	cmp "$TMP/digest.3" "$TMP/digest.want"

# 4. CRLF message, a binary part ending in a bare LF before a CRLF
# delimiter (GMime took two bytes off), and an LF delimiter after a part
# ending in CRLF (GMime left the CR on)
printf 'From: a@example.com\r\nSubject: line ends\r\nContent-Type: multipart/mixed; boundary="b4"\r\n\r\n--b4\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\nContent-Disposition: attachment; filename="lf.bin"\r\n\r\nAB\nCD\n--b4\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\nContent-Disposition: attachment; filename="crlf.bin"\r\n\r\nXY\r\n--b4--\n' >"$D/lineend.eml"
ingest lineend
raw lineend 2
raw lineend 3
printf 'AB\nCD' >"$TMP/lineend.want2"
printf 'XY' >"$TMP/lineend.want3"
ok "line ends: a part ending in LF before a CRLF delimiter keeps its last byte" \
	cmp "$TMP/lineend.2" "$TMP/lineend.want2"
ok "line ends: a part ending in CRLF before an LF delimiter loses its CR" \
	cmp "$TMP/lineend.3" "$TMP/lineend.want3"
printf 'From: a@example.com\r\nSubject: at the end\r\nContent-Type: multipart/mixed; boundary="b5"\r\n\r\n--b5\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\nContent-Disposition: attachment; filename="end.bin"\r\n\r\nEF\r\n--b5--' >"$D/eofend.eml"
ingest eofend
raw eofend 2
printf 'EF' >"$TMP/eofend.want"
ok "line ends: a close delimiter without a line end, after CRLF" \
	cmp "$TMP/eofend.2" "$TMP/eofend.want"

# 5. delimiter lines with text after the boundary; the same delimiter
# after the close one is epilogue
printf 'From: a@example.com\r\nSubject: trailing text\r\nContent-Type: multipart/mixed; boundary="boundary"\r\n\r\n--boundary This should be ignored\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n--boundary\tnot part of it either\r\nContent-Type: text/plain\r\n\r\nsecond part\r\n--boundary-- This should be ignored too\r\n\r\n--boundary\r\nepilogue\r\n' >"$D/trailing.eml"
ingest trailing
is "$(body trailing 1)" "first part||second part" \
	"trailing text: both parts are read, the epilogue is not"
# text glued to the boundary is another boundary, not a delimiter
printf 'From: a@example.com\nSubject: glued\nContent-Type: multipart/mixed; boundary="g"\n\n--g\nContent-Type: text/plain\n\nkeep\n--gX not a delimiter\nstill the part\n--g--\n' >"$D/glued.eml"
ingest glued
is "$(body glued 1)" "keep|--gX not a delimiter|still the part" \
	"trailing text: a line with the boundary and more glued on is text"

# 6. a boundary longer than GMime's line buffer (RFC 2046 allows 70)
long=$(printf 'x%.0s' $(seq 1 5000))
printf 'From: a@example.com\nSubject: long\nContent-Type: multipart/mixed; boundary="%s"\n\npreamble\n--%s\nContent-Type: text/plain\n\nlong boundary text\n--%sy\nstill text\n--%s--\nepilogue\n' \
	"$long" "$long" "$long" "$long" >"$D/long.eml"
ingest long
is "$(body long 1)" "long boundary text|--x*5000y|still text" \
	"long boundary: the part is read, a longer line is text"
raw long 1
ok "long boundary: the message is stored as found" cmp "$TMP/long.1" "$D/long.eml"

# 7. two different Received fields (nearly every real message) are not a
# conflict worth a warning; a message/rfc822 part saved with its From_
# line is still an embedded message
printf 'Received: from a.example.com by b.example.com; Mon, 1 Jan 2001 00:00:00 +0000\nReceived: from c.example.com by a.example.com; Mon, 1 Jan 2001 00:00:00 +0000\nFrom: a@example.com\nDate: Mon, 1 Jan 2001 00:00:00 +0000\nSubject: received\n\nplain text\n' >"$D/received.eml"
ingest received
is "$("$TRAWL" -A "$TMP/received" show --json 1 | python3 -c 'import json,sys
print(" ".join(w.get("code", "") for w in json.load(sys.stdin).get("warnings", [])) or "none")')" none \
	"received: two Received fields give no warning"
printf 'From: a@example.com\nSubject: outer\nContent-Type: multipart/mixed; boundary="f"\n\n--f\nContent-Type: text/plain\n\nsee attached\n--f\nContent-Type: message/rfc822\n\nFrom b@example.com Mon Jan  1 00:00:00 2001\nFrom: b@example.com\nSubject: inner with a From_ line\n\ninner text\n--f--\n' >"$D/fromline.eml"
ingest fromline
is "$(field fromline 2 kind)" email "fromline: the part is an embedded email"
is "$(field fromline 2 subject)" "inner with a From_ line" "fromline: its subject is read"

# every archive checks clean, and nothing went to a sanitizer
for n in semicolon sameline notmsg blankmsg embedded digest lineend eofend trailing glued long received fromline; do
	ok "$n: check is clean" "$TRAWL" -A "$TMP/$n" check
done
ok "no sanitizer report" sh -c \
	"! cat '$TMP'/*.err | grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error'"
done_testing
