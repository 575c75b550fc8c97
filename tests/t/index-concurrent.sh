#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# A reader beside a writer: while an ingest commits segment after segment
# (and merges them), a searcher refreshes and searches in a loop; every
# search succeeds, counts only grow, and the reader ends with every
# document (tests/tools/watch.c).
. "$(dirname "$0")/lib.sh"

W=$TOP/build/$VARIANT/tools/watch
mkdir -p "$TMP/d"
python3 - "$TMP/d" <<'PY'
import os, sys
for i in range(3000):
    sub = os.path.join(sys.argv[1], "%02d" % (i % 10))
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "m%05d.eml" % i), "w") as f:
        f.write("From: u%d@example.com\nTo: t@example.com\nSubject: n %d\n"
                "Message-ID: <c%d@x>\nDate: Tue, 2 Jan 2024 10:00:00 +0000\n\n"
                "the note %d of the day %s\n" % (i % 50, i, i, i, "w" * (i % 40)))
PY
"$W" "$TMP/a" 3000 120 >"$TMP/watch.out" &
wpid=$!
"$TRAWL" -A "$TMP/a" ingest -q -j 1 --batch 40 "$TMP/d" 2>/dev/null
is "$?" 0 "ingest in 75 batches of 40, with merges"
wait "$wpid"
is "$?" 0 "the reader beside it"
sed 's/^/# /' "$TMP/watch.out"
ok "check is clean" "$TRAWL" -A "$TMP/a" check
done_testing
