#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Facet counts (kinds, months, senders, recipients, domains, attachment
# types, extensions) equal the exact counts of the query filtered by each
# value (tests/tools/facetcheck.c), on the samples and on an Enron slice
# cut into several segments, with some items removed.
. "$(dirname "$0")/lib.sh"

FC=$TOP/build/$VARIANT/tools/facetcheck
S=$TOP/samples

"$TRAWL" -A "$TMP/s" ingest -q --batch 20 "$S/mbox" "$S/maildir" "$S/eml" \
	"$S/archive.zip" "$S/docs" 2>/dev/null
is "$?" 0 "ingest the samples"
"$FC" "$TMP/s" storfjord invoic memo >"$TMP/fc.out"
is "$?" 0 "facets on the samples agree with filtered counts"
grep -c '^ok' "$TMP/fc.out" | sed 's/^/# checks: /'
grep '^not ok' -A2 "$TMP/fc.out" | head -20

"$TRAWL" -A "$TMP/s" remove --keep-index --reason test 5 12 30 2>/dev/null
"$FC" "$TMP/s" storfjord invoic >"$TMP/fc2.out"
is "$?" 0 "and after removing items (deleted documents left out)"
grep '^not ok' -A2 "$TMP/fc2.out" | head -20

# two copies of one mail (one content hash) that differ in Bcc: a value
# only the second copy has still counts the mail, once
mkdir -p "$TMP/bccsrc"
m='From: Alice Example <alice@example.com>
To: Bob Example <bob@example.com>
%sSubject: Quarterly storfjord report
Date: Mon, 4 Mar 2024 10:00:00 +0000
Message-ID: <copy-1@example.com>

The storfjord numbers are in.
'
printf "$m" "" >"$TMP/bccsrc/a.eml"
printf "$m" "Bcc: Carol Hidden <carol@hidden.example>
" >"$TMP/bccsrc/b.eml"
"$TRAWL" -A "$TMP/bcc" ingest -q "$TMP/bccsrc" 2>/dev/null
"$FC" "$TMP/bcc" storfjord >"$TMP/fc-bcc.out"
is "$?" 0 "copies that differ in Bcc: facets with copies collapsed agree"
grep '^not ok' -A2 "$TMP/fc-bcc.out" | head -20

if [ -e "$CORPORA/enron-inbox.tar.gz" ]; then
	n=2000
	[ "$VARIANT" = asan ] && n=600
	enron_slice "$TMP/enron" "$n"
	"$TRAWL" -A "$TMP/e" ingest -q --batch 250 "$TMP/enron" 2>/dev/null
	is "$?" 0 "ingest an Enron slice of $n files in batches of 250"
	"$FC" "$TMP/e" gas meet california >"$TMP/fc3.out"
	is "$?" 0 "facets on the slice agree with filtered counts"
	grep '^not ok' -A2 "$TMP/fc3.out" | head -20
else
	skip "enron corpus absent"
fi
done_testing
