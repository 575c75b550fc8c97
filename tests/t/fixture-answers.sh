#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Two fixture sets ship their parser's expected output; hold what trawl
# stores against it (tests/fixture_answers.py reads trawl.db and the keys):
#   stalwart-mail-parser-resources/resources/eml: 107 legacy, malformed,
#     RFC and third-party messages, each NNN.eml with mail-parser's parse
#     as JSON (decoded headers, part tree, decoded bodies);
#   mime4j-test-resources/core/src/test/resources: 80 messages, each X.msg
#     with mime4j's parse tree (X_decoded.xml: raw header fields, MIME
#     structure, every leaf's transfer-decoded bytes in a file).
# Compared, per message and per embedded message: Subject, Message-ID,
# Date (as a UTC instant, and its zone), From/To/Cc addresses, display
# names, the text body (white space folded), and the child items: count,
# file names, contents (SHA-256 of the decoded bytes, the key's decoded
# text, or for an embedded message its bytes in the parent).
# Agreement per field is printed and held to a floor; each accepted class
# of disagreement (in fixture_answers.py, with its reason) to a bound; any
# disagreement no class explains fails.
. "$(dirname "$0")/lib.sh"

F=$CORPORA/email-fixtures
HELPER=$TOP/tests/fixture_answers.py

# Agreement per set and field, last raised when the six GMime framing
# defects were mended (lib/mimefix.c): a floor (a fix in trawl may raise
# a count; nothing may lower one).
floors() {
	case $1 in
	stalwart) echo "kind 107 subject 121 message_id 121 date 121 tz 79
		from 117 to 119 cc 121 names 74 att_count 118 att_names 39
		att_content 107 body 112" ;;
	mime4j) echo "kind 78 subject 99 message_id 99 date 99 tz 44 from 99
		to 99 cc 99 names 51 att_count 99 att_names 34 att_content 85
		body 93" ;;
	esac
}

# check_set NAME ROOT FILE...: ingest the message files, compare.
check_set() {
	local name=$1 root=$2 a=$TMP/$1 line field agree total want rc
	shift 2
	"$TRAWL" -A "$a" ingest -q --report "$TMP/$name.report" "$@" \
		2>"$TMP/$name.err"
	rc=$?
	[ $rc = 0 ] || sed 's/^/# /' "$TMP/$name.err" | head -20
	is "$rc" 0 "$name: ingest of $# message files exits 0"
	ok "$name: no sanitizer report" sh -c \
		"! grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' '$TMP/$name.err'"
	is "$(grep -c '"level":"failure"' "$TMP/$name.report")" 0 \
		"$name: no message file failed"
	python3 "$HELPER" "$name" "$root" "$a" "$TRAWL" \
		>"$TMP/$name.out" 2>"$TMP/$name.perr"
	rc=$?
	: >"$TMP/$name.fields"
	while IFS= read -r line; do
		case "$line" in
		"# "*) echo "$line" ;;
		"ok	"*) is ok ok "${line#ok	}" ;;
		"not ok	"*) is "failed (see below)" passes "${line#not ok	}" ;;
		"field	"*) echo "${line#field	}" >>"$TMP/$name.fields" ;;
		*) echo "# helper: $line" ;;
		esac
	done <"$TMP/$name.out"
	[ $rc = 0 ] || sed 's/^/# /' "$TMP/$name.perr" | tail -20
	is "$rc" 0 "$name: the comparison ran to the end"
	set -- $(floors "$name")
	while [ $# -ge 2 ]; do
		field=$1 want=$2
		shift 2
		read -r agree total < <(awk -F '\t' -v s="$name" -v f="$field" \
			'$1 == s && $2 == f { print $3, $4 }' "$TMP/$name.fields")
		ok "$name $field: ${agree:-?} of ${total:-?} agree, at least $want" \
			test "${agree:-0}" -ge "$want"
	done
}

ran=0
S=$F/stalwart-mail-parser-resources/resources/eml
if [ -d "$S" ]; then
	ran=1
	mapfile -t files < <(find "$S" -name '*.eml' | LC_ALL=C sort)
	check_set stalwart "$S" "${files[@]}"
else
	skip "corpus $S not present"
fi
M=$F/mime4j-test-resources/core/src/test/resources
if [ -d "$M" ]; then
	ran=1
	mapfile -t files < <(find "$M/testmsgs" "$M/mimetools-testmsgs" \
		-name '*.msg' | LC_ALL=C sort)
	check_set mime4j "$M" "${files[@]}"
else
	skip "corpus $M not present"
fi
[ $ran = 1 ] || echo "# neither fixture set with answer keys is present"
done_testing
