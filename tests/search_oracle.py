#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Known answers for trawl search, from Python's reading of the files.

Used by tests/t/search.sh; python3 standard library only.

  search_oracle.py ROOT
      reads every regular file under ROOT as one email (the Enron
      maildir), byte-identical files once, and prints lines
          QUERY<TAB>COUNT
      for queries whose exact count Python can work out on its own:
        from:ADDRESS            the first From mailbox's address (the same
                                normalization as tests/enron_oracle.py),
                                for the most frequent senders and a few
                                rare ones
        subject:"WORD"          decoded subjects holding WORD as a word
                                (a run of letters and digits between
                                other characters, case folded -- a run
                                that mixes letters and digits is one
                                token for trawl too); WORD is letters
                                only and never in a subject with
                                non-ASCII text, where folding could
                                differ
        date:YYYY-MM -date:guessed   messages whose Date header parses, in
                                that UTC month
      Each query is to be run with --copies (every byte-distinct message)
      and kind:email.
"""
import collections
import email
import email.header
import email.utils
import hashlib
import os
import re
import sys
import time


def decode_subject(raw):
    if raw is None:
        return ""
    try:
        parts = email.header.decode_header(str(raw))
        out = []
        for text, cs in parts:
            if isinstance(text, bytes):
                try:
                    out.append(text.decode(cs or "ascii", "replace"))
                except LookupError:
                    out.append(text.decode("latin-1"))
            else:
                out.append(text)
        return " ".join(" ".join(out).split())
    except Exception:
        return " ".join(str(raw).split())


def first_from(msg):
    for v in msg.get_all("From") or []:
        for _, addr in email.utils.getaddresses([str(v)]):
            if addr:
                return addr.lower()
    return None


def main():
    root = sys.argv[1]
    seen = set()
    senders = collections.Counter()
    subj_words = collections.Counter()
    months = collections.Counter()
    tainted = set()  # words of subjects with non-ASCII text
    paths = []
    for d, _, files in os.walk(root):
        for f in files:
            paths.append(os.path.join(d, f))
    paths.sort(key=lambda p: p.encode())
    for p in paths:
        with open(p, "rb") as fh:
            data = fh.read()
        h = hashlib.sha256(data).digest()
        if h in seen:
            continue
        seen.add(h)
        msg = email.message_from_bytes(data.lstrip(b"\r\n"))
        a = first_from(msg)
        if a:
            senders[a] += 1
        s = decode_subject(msg["Subject"]).casefold()
        words = set(re.findall(r"[^\W_]+", s))
        if s.isascii():
            for w in words:
                subj_words[w] += 1
        else:
            tainted.update(words)
        dt = msg["Date"]
        if dt is not None:
            t = email.utils.parsedate_tz(str(dt))
            if t is not None:
                try:
                    ts = email.utils.mktime_tz(t)
                    months[time.strftime("%Y-%m", time.gmtime(ts))] += 1
                except (OverflowError, ValueError):
                    pass
    common = [a for a, _ in senders.most_common(5)]
    rare = sorted(a for a, n in senders.items() if n == 1)[:3]
    for a in common + rare:
        # the address must be one compound token: plain local part and
        # domain characters
        if re.fullmatch(r"[a-z0-9]+([._-][a-z0-9]+)*@[a-z0-9]+"
                        r"([.-][a-z0-9]+)*", a):
            print("from:%s\t%d" % (a, senders[a]))
    picked = 0
    for w, n in sorted(subj_words.items(), key=lambda x: (-x[1], x[0])):
        if w in tainted or n < 3 or len(w) < 4 or not w.isalpha():
            continue
        print('subject:"%s"\t%d' % (w, n))
        picked += 1
        if picked == 5:
            break
    for m, n in sorted(months.items(), key=lambda x: -x[1])[:3]:
        print("date:%s -date:guessed\t%d" % (m, n))


if __name__ == "__main__":
    main()
