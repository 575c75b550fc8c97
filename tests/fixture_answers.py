#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Hold trawl's archive against the answer keys that ship with two fixture sets.

Used by tests/t/fixture-answers.sh; python3 standard library only (and the
zstd command, when present, to read stored bodies; else `trawl show --json`).

  fixture_answers.py stalwart ROOT ARCHIVE TRAWL
      ROOT is stalwart-mail-parser-resources/resources/eml: every NNN.eml
      has NNN.json, mail-parser's own parse (serde of its Message: parts
      with decoded headers, text_body / html_body / attachments indices,
      decoded bodies; nested messages inline).
  fixture_answers.py mime4j ROOT ARCHIVE TRAWL
      ROOT is mime4j-test-resources/core/src/test/resources: every X.msg
      with X_decoded.xml (mime4j's parse tree: raw header fields, the MIME
      structure, each leaf's transfer-decoded bytes in X_decoded_N_M.txt
      or .bin).

Prints TAP fragments for the shell test to number:
    ok<TAB>description        a check that passed
    not ok<TAB>description    a check that failed (details follow)
    # text                    a diagnostic
and one machine line per field, "field<TAB>SET<TAB>FIELD<TAB>AGREE<TAB>TOTAL",
for the shell test to hold against its floors.
"""
import base64
import calendar
import codecs
import collections
import datetime
import email.header
import email.utils
import hashlib
import html.parser
import json
import os
import re
import sqlite3
import subprocess
import shutil
import sys
import xml.etree.ElementTree as ET

KIND_EMAIL, KIND_ATTACHMENT = 1, 2
ROLES = {"from": 0, "sender": 1, "reply-to": 2, "to": 3, "cc": 4, "bcc": 5}
FIELDS = ("subject", "message_id", "date", "from", "to", "cc", "names",
          "att_count", "att_names", "att_content", "body")
WS = re.compile(r"\s+")
WORD = re.compile(r"\w+")
EXAMPLES = 12


def out(line):
    sys.stdout.write(line + "\n")


def diag(text):
    for line in str(text).splitlines() or [""]:
        out("# " + line)


def norm(s):
    return WS.sub(" ", s or "").strip()


def short(v, n=160):
    s = repr(v)
    return s if len(s) <= n else s[:n] + "..."


# ---------------------------------------------------------------- archive

class Archive:
    """What trawl stored, read from trawl.db (and the packs for bytes)."""

    def __init__(self, path, trawl):
        self.path, self.trawl = path, trawl
        self.db = sqlite3.connect("file:%s/trawl.db?mode=ro" % path, uri=True)
        self.items = {}
        for r in self.db.execute(
                "SELECT id, kind, parent, lower(hex(blob)), size, message_id,"
                " date, tz, date_source, subject, body, body_len, name,"
                " mime_type FROM items ORDER BY id"):
            self.items[r[0]] = dict(
                id=r[0], kind=r[1], parent=r[2], sha256=r[3], size=r[4],
                message_id=r[5], date=r[6], tz=r[7], date_source=r[8],
                subject=r[9], bodyz=r[10], body_len=r[11], name=r[12],
                mime_type=r[13], children=[],
                addrs=collections.defaultdict(list))
        for it in self.items.values():
            if it["parent"]:
                self.items[it["parent"]]["children"].append(it["id"])
        for item, role, addr, name in self.db.execute(
                "SELECT ia.item, ia.role, a.addr, ia.name FROM item_addrs ia"
                " JOIN addresses a ON a.id = ia.addr"
                " ORDER BY ia.item, ia.role, ia.pos"):
            self.items[item]["addrs"][role].append((name, addr))
        self.by_path = {}
        for path, item in self.db.execute("SELECT path, item FROM sources"):
            self.by_path[path] = item
        self._bodies()

    def _bodies(self):
        ids = [i for i in sorted(self.items)
               if self.items[i]["bodyz"] is not None]
        got = None
        if shutil.which("zstd"):
            # one run over all the frames; body_len splits the output
            r = subprocess.run(
                ["zstd", "-dcq"], stdout=subprocess.PIPE,
                input=b"".join(self.items[i]["bodyz"] for i in ids))
            want = sum(self.items[i]["body_len"] for i in ids)
            if r.returncode == 0 and len(r.stdout) == want:
                got, off = {}, 0
                for i in ids:
                    n = self.items[i]["body_len"]
                    got[i] = r.stdout[off:off + n].decode("utf-8")
                    off += n
        if got is None:
            got = {}
            for i in ids:
                j = json.loads(subprocess.run(
                    [self.trawl, "-A", self.path, "show", "--json", str(i)],
                    stdout=subprocess.PIPE, check=True).stdout)
                got[i] = j.get("body", "")
        for i, it in self.items.items():
            it["body"] = got.get(i, "")

    def raw(self, item):
        """The item's original bytes (for attachments compared as text)."""
        return subprocess.run(
            [self.trawl, "-A", self.path, "show", "--raw", str(item)],
            stdout=subprocess.PIPE, check=True).stdout


# ---------------------------------------------------------------- answers
#
# Both keys become the same shape, one Expect per message (nested ones
# too): for each field the list of acceptable values, or None where the
# key says nothing.

class Expect:
    def __init__(self, label):
        self.label = label
        self.subject = self.message_id = self.date = None
        self.addrs = {}      # role -> list of candidate [(name, addr)]
        self.body = None     # ("text", str) | ("html", str) | ("none",)
        self.atts = None     # [dict(kind, name, content, msg)]


def html_words(s):
    """The words of an HTML text, as a reader sees them."""
    class P(html.parser.HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.text, self.skip = [], 0

        def handle_starttag(self, tag, attrs):
            if tag in ("script", "style", "head", "title"):
                self.skip += 1

        def handle_endtag(self, tag):
            if tag in ("script", "style", "head", "title") and self.skip:
                self.skip -= 1

        def handle_data(self, d):
            if not self.skip:
                self.text.append(d)
    p = P()
    p.feed(s)
    p.close()
    return WORD.findall(" ".join(p.text))


# -- stalwart mail-parser JSON

def st_values(part, name):
    return [h["value"] for h in part["headers"] if h["name"] == name]


def st_text(v):
    if isinstance(v, dict) and "Text" in v:
        return v["Text"]
    if isinstance(v, dict) and "TextList" in v:
        return v["TextList"][0] if v["TextList"] else None
    return None


def st_addrs(v):
    if not isinstance(v, dict) or "Address" not in v:
        return None
    a = v["Address"]
    if "List" in a:
        return [(x.get("name"), x.get("address")) for x in a["List"]]
    got = []
    for g in a.get("Group", []):
        got += [(x.get("name"), x.get("address")) for x in g["addresses"]]
    return got


def st_date(v):
    if not isinstance(v, dict) or "DateTime" not in v:
        return None
    d = v["DateTime"]
    try:
        t = calendar.timegm(datetime.datetime(
            d["year"], d["month"], d["day"], d["hour"], d["minute"],
            d["second"]).timetuple())
    except ValueError:
        return None
    off = (d["tz_hour"] * 60 + d["tz_minute"]) * 60
    return t + off if d["tz_before_gmt"] else t - off


def st_param(part, header, attr):
    for v in st_values(part, header):
        if isinstance(v, dict) and "ContentType" in v:
            for a in v["ContentType"].get("attributes") or []:
                if a["name"].lower() == attr:
                    return a["value"]
    return None


def st_expect(j, label):
    parts = j["parts"]
    top = parts[0]
    e = Expect(label)
    # Every instance of a field the key lists is acceptable: RFC 5322
    # allows one, and when a (malformed) message has two, which one wins
    # is a choice, not a fact.
    e.subject = [st_text(v) for v in st_values(top, "subject")] or [None]
    e.message_id = [st_text(v) for v in st_values(top, "message_id")] or [None]
    e.date = [st_date(v) for v in st_values(top, "date")] or [None]
    for role, key in (("from", "from"), ("to", "to"), ("cc", "cc")):
        e.addrs[role] = [st_addrs(v) or [] for v in st_values(top, key)] or [[]]
    text = [parts[i]["body"]["Text"] for i in j["text_body"]
            if isinstance(parts[i]["body"], dict) and "Text" in parts[i]["body"]]
    html_ = [parts[i]["body"]["Html"] for i in j["text_body"]
             if isinstance(parts[i]["body"], dict) and "Html" in parts[i]["body"]]
    if text:
        e.body = ("text", "\n\n".join(text))
    elif html_:
        e.body = ("html", "\n\n".join(html_))
    else:
        e.body = ("none",)
    e.atts = []
    for n, i in enumerate(j["attachments"]):
        p = parts[i]
        b = p["body"]
        kind = next(iter(b)) if isinstance(b, dict) else b
        a = dict(kind="part", name=st_param(p, "content_disposition", "filename")
                 or st_param(p, "content_type", "name"), content=None, msg=None)
        if kind in ("Binary", "InlineBinary"):
            a["content"] = ("sha256", hashlib.sha256(bytes(b[kind])).hexdigest())
        elif kind in ("Text", "Html"):
            a["content"] = ("text", b[kind],
                            st_param(p, "content_type", "charset") or "us-ascii")
        elif kind == "Message":
            a["kind"] = "message"
            a["msg"] = st_expect(b[kind], "%s>%d" % (label, n + 1))
        e.atts.append(a)
    return e


def stalwart_keys(root):
    for d in sorted(os.listdir(root)):
        if not os.path.isdir(os.path.join(root, d)):
            continue
        for f in sorted(os.listdir(os.path.join(root, d))):
            if f.endswith(".eml"):
                path = os.path.join(root, d, f)
                key = path[:-4] + ".json"
                if os.path.exists(key):
                    with open(key, encoding="utf-8") as fh:
                        yield path, st_expect(json.load(fh), d + "/" + f)


# ---------------------------------------------------------------- compare

def text_match(want, got):
    """Normalized equality; U+FFFD in the key (its lossy reading of raw
    8-bit bytes) stands for whatever one or more characters trawl made of
    them."""
    want, got = norm(want), norm(got)
    if "\ufffd" not in want:
        return want == got
    rx = "".join(".+?" if c == "\ufffd" else re.escape(c) for c in want)
    return re.fullmatch(rx, got) is not None


class Comparison:
    def __init__(self, setname, archive):
        self.set, self.a = setname, archive
        self.results = []   # (field, agree, label, want, got)
        self.messages = 0

    def note(self, field, agree, label, want, got):
        self.results.append((field, bool(agree), label, want, got))

    def message(self, e, item):
        it = self.a.items[item]
        self.messages += 1
        L = e.label
        if e.subject is not None:
            got = it["subject"] or None
            ok = any((w is None and not norm(got)) or
                     (w is not None and got is not None and text_match(w, got))
                     for w in e.subject)
            self.note("subject", ok, L, e.subject, got)
        if e.message_id is not None:
            got = it["message_id"] or None
            self.note("message_id", got in e.message_id, L, e.message_id, got)
        if e.date is not None:
            got = it["date"] if it["date_source"] == 0 else None
            self.note("date", got in e.date, L, e.date,
                      (it["date"], it["date_source"]))
        names_want, names_got, names_ok = [], [], True
        for role, cands in e.addrs.items():
            got = it["addrs"].get(ROLES[role], [])
            got_a = [a for _, a in got]
            match = None
            for c in cands:
                if [(a or "").strip().lower() for _, a in c] == got_a:
                    match = c
                    break
            self.note(role, match is not None, L,
                      [[a for _, a in c] for c in cands], got_a)
            for c in ([match] if match is not None else cands[:1]):
                for k, (n, a) in enumerate(c):
                    if n is None or not n.strip():
                        continue
                    gn = got[k][0] if k < len(got) else None
                    names_want.append(n)
                    names_got.append(gn)
                    if gn is None or not text_match(n, gn):
                        names_ok = False
        if names_want:
            self.note("names", names_ok, L, names_want, names_got)
        if e.body is not None:
            self.body(e, it)
        if e.atts is not None:
            self.attachments(e, it)

    def body(self, e, it):
        got = it["body"]
        if e.body[0] == "none":
            ok = not norm(got)
            want = ""
        elif e.body[0] == "text":
            want = e.body[1]
            ok = text_match(want, got)
        else:
            want = e.body[1]
            ok = html_words(want) == WORD.findall(got)
        self.note("body", ok, e.label, norm(want), norm(got))

    def attachments(self, e, it):
        kids = [self.a.items[c] for c in it["children"]]
        L = e.label
        self.note("att_count", len(kids) == len(e.atts), L,
                  len(e.atts), len(kids))
        if len(kids) != len(e.atts):
            return
        if any(a["name"] for a in e.atts):
            want = [a["name"] or None for a in e.atts]
            got = [k["name"] or None for k in kids]
            ok = all((w is None and g is None) or
                     (w is not None and g is not None and text_match(w, g))
                     for w, g in zip(want, got))
            self.note("att_names", ok, L, want, got)
        for n, (a, k) in enumerate(zip(e.atts, kids)):
            lab = "%s>%d" % (L, n + 1)
            if a["kind"] == "message":
                if k["kind"] != KIND_EMAIL:
                    self.note("att_content", False, lab, "embedded message",
                              "attachment %s" % k["mime_type"])
                else:
                    self.note("att_content", True, lab, "embedded message",
                              "email item %d" % k["id"])
                    self.message(a["msg"], k["id"])
                continue
            if a["content"] is None:
                continue
            if k["kind"] != KIND_ATTACHMENT:
                self.note("att_content", False, lab, a["content"][0],
                          "email item %d" % k["id"])
            elif a["content"][0] == "sha256":
                self.note("att_content", a["content"][1] == k["sha256"], lab,
                          a["content"][1], k["sha256"])
            else:
                raw = self.a.raw(k["id"])
                try:
                    text = raw.decode(a["content"][2], "replace")
                except LookupError:
                    text = raw.decode("latin-1")
                self.note("att_content", text_match(a["content"][1], text),
                          lab, norm(a["content"][1])[:200], norm(text)[:200])
