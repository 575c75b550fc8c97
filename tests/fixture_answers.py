#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Hold trawl's archive against the answer keys two fixture sets ship.

Used by tests/t/fixture-answers.sh; python3 standard library only (and the
zstd command, when present, to read stored bodies; else `trawl show --json`).

  fixture_answers.py stalwart ROOT ARCHIVE TRAWL
      ROOT is stalwart-mail-parser-resources/resources/eml: every NNN.eml
      has NNN.json / NNN.crlf.json, mail-parser's own parse (its Message as
      JSON: parts with decoded header fields and byte offsets, the part
      tree, decoded bodies, nested messages inline).
  fixture_answers.py mime4j ROOT ARCHIVE TRAWL
      ROOT is mime4j-test-resources/core/src/test/resources: every X.msg
      with X_decoded.xml (mime4j's parse tree: raw header fields, the MIME
      structure, each leaf's transfer-decoded bytes in X_decoded_N_M.txt
      or .bin) and X.xml (the same tree with the raw bodies).
ARCHIVE is an archive the message files were ingested into; TRAWL the
binary.

What is compared, for every keyed message and every message embedded in
one (matched to trawl's items by source path, then child by child):
  kind        the message is an email item
  subject     decoded (mime4j: RFC 2047 decoded here), white space folded
  message_id  without angle brackets
  date, tz    the Date as a UTC instant (trawl's only when its date_source
              is the Date header; none on both sides also agrees) and zone
  from/to/cc  the addresses, lower-cased, in order
  names       the display names where the key has one
  att_count   trawl's child items against the key's non-body parts
  att_names   their file names
  att_content SHA-256 of the decoded bytes (the key's decoded text where it
              gives text), an embedded message's bytes in its parent
  body        trawl's text body against the key's body parts, white space
              folded (HTML: the words)
The keys split body from attachments by their own rules (mail-parser by
RFC 8621's; mime4j not at all), so the split applied to the key's parts is
trawl's documented one (see split()).  A disagreement is accepted only as
one of the CLASSES, recognised by a test on the input or the key, and each
class is bounded per set (BOUNDS); anything else fails.

Prints TAP fragments for the shell test to number:
    ok<TAB>description        a check that passed
    not ok<TAB>description    a check that failed (details follow)
    # text                    a diagnostic
and one machine line per field, "field<TAB>SET<TAB>FIELD<TAB>AGREE<TAB>TOTAL",
for the shell test to hold against its floors.
"""
import base64
import binascii
import calendar
import collections
import datetime
import email.errors
import email.header
import email.message
import email.parser
import email.policy
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

import trawldb

KIND_EMAIL, KIND_ATTACHMENT, KIND_DOCUMENT = 1, 2, 3
ROLES = {"from": 0, "sender": 1, "reply-to": 2, "to": 3, "cc": 4, "bcc": 5}
FIELDS = ("kind", "subject", "message_id", "date", "tz", "from", "to", "cc",
          "names",
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
        for item, role, _, _, name, addr in trawldb.item_addrs(self.db):
            self.items[item]["addrs"][role].append((name, addr))
        for item, code in self.db.execute("SELECT item, code FROM warnings"):
            self.items[item].setdefault("warnings", set()).add(code)
        self.by_path = {}
        for path, item in self.db.execute("SELECT path, item FROM sources"):
            self.by_path[path] = item
        self._bodies()

    def _bodies(self):
        # an empty value: the body is the tail of the original
        # (docs/FORMAT.md), read through trawl show --raw below
        ids = [i for i in sorted(self.items)
               if self.items[i]["bodyz"]]
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
            if it["bodyz"] is not None and not it["bodyz"]:
                raw = self.raw(i)
                got[i] = raw[len(raw) - it["body_len"]:].decode("utf-8")
            it["body"] = got.get(i, "")

    def raw(self, item):
        """The item's original bytes (for attachments compared as text)."""
        return subprocess.run(
            [self.trawl, "-A", self.path, "show", "--raw", str(item)],
            stdout=subprocess.PIPE, check=True).stdout


# ---------------------------------------------------------------- answer keys
#
# Both keys become the same tree: a Msg (its header fields, decoded, and a
# root Node) whose Nodes are multiparts, leaves with their decoded content,
# or embedded Msgs.  Header fields hold every instance the key lists: RFC
# 5322 allows one, and when a malformed message has two, which one a parser
# keeps is a choice, not a fact.

class Msg:
    def __init__(self, label):
        self.label = label
        self.subject = self.message_id = self.date = None   # [values]
        self.tz = []         # zone of each Date, minutes east
        self.addrs = {}      # role -> [[(name, addr)], ...], one per field
        self.root = None
        self.nfields = 0     # header fields the key found


class Node:
    def __init__(self):
        self.ctype = "text/plain"   # declared (or default) type, lower case
        self.boundary = None
        self.declared = []          # boundaries of all its Content-Types
        self.n_ctypes = 0           # how many Content-Type fields it has
        self.charset = None
        self.disposition = None     # "attachment", "inline", ...
        self.filename = None        # Content-Disposition filename, else name
        self.cte = None             # Content-Transfer-Encoding, lower case
        self.children = None        # multipart: [Node]
        self.msg = None             # message/rfc822: Msg
        self.data = None            # leaf: decoded bytes ...
        self.text = None            # ... or text the key decoded itself
        self.raw = None             # leaf: the encoded body, when known
        self.raw_msg = None         # message/rfc822: its bytes, when known


def unfold(s):
    return re.sub(r"\r?\n(?=[ \t])", "", s or "")


def rfc2047(s):
    """RFC 2047 decoding of a header text; white space between adjacent
    encoded-words goes (RFC 2047 6.2), an unknown charset reads as UTF-8."""
    s = unfold(s)
    try:
        chunks = email.header.decode_header(s)
    except (email.errors.HeaderParseError, ValueError):
        return s
    out = []
    for b, cs in chunks:
        if isinstance(b, str):
            out.append(b)
        elif cs is None:
            out.append(b.decode("raw-unicode-escape"))
        else:
            try:
                out.append(b.decode(cs.split("*")[0]))
            except (LookupError, UnicodeError):
                out.append(b.decode("utf-8", "replace"))
    return "".join(out)


EW = re.compile(r"=\?([^?*]+)(?:\*[^?]*)?\?([QqBb])\?([^?]*)\?=")


def ew_anywhere(s):
    """Encoded-words decoded wherever they stand, as mail readers do with
    file names (RFC 2047 5 forbids them in a quoted string; Outlook put
    them there, and readers, trawl among them, decode them)."""
    def one(m):
        cs, enc, text = m.groups()
        try:
            if enc in "Bb":
                b = base64.b64decode(text + "=" * (-len(text) % 4))
            else:
                b = re.sub(rb"=([0-9A-Fa-f]{2})",
                           lambda x: bytes([int(x.group(1), 16)]),
                           text.replace("_", " ").encode("latin-1"))
            return b.decode(cs)
        except (LookupError, UnicodeError, ValueError):
            return m.group(0)
    s = re.sub(r"(\?=)\s+(?==\?)", r"\1", s)
    return EW.sub(one, s)


# -- stalwart mail-parser: NNN.json (LF input) / NNN.crlf.json (CRLF input)

def st_values(part, name):
    return [h["value"] for h in part["headers"] if h["name"] == name]


def st_text(v):
    if isinstance(v, dict) and "Text" in v:
        return v["Text"]
    if isinstance(v, dict) and v.get("TextList"):
        return v["TextList"][0]
    return None


def st_addrs(v):
    if not isinstance(v, dict) or "Address" not in v:
        return []
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


def st_tz(v):
    if not isinstance(v, dict) or "DateTime" not in v:
        return None
    d = v["DateTime"]
    off = d["tz_hour"] * 60 + d["tz_minute"]
    return -off if d["tz_before_gmt"] else off


def st_ct(part, header, leaf=False):
    """A content-type-like field and its parameters.  A part with two
    Content-Type fields has the one the key's own parse followed: a
    multipart only when the key split the part."""
    found = []
    for v in st_values(part, header):
        if isinstance(v, dict) and "ContentType" in v:
            ct = v["ContentType"]
            found.append((ct, {a["name"].lower(): a["value"]
                               for a in ct.get("attributes") or []}))
    if leaf and len(found) > 1:
        single = [f for f in found if f[0]["c_type"].lower() != "multipart"]
        if single:
            return single[-1]
    return found[0] if found else (None, {})


def st_msg(j, label, raw, exact):
    """raw: the bytes the key was made from (offsets point into them);
    exact: they are the file's bytes (not a line-end variant of them)."""
    parts = j["parts"]
    m = Msg(label)
    top = parts[0]
    m.subject = [st_text(v) for v in st_values(top, "subject")] or [None]
    m.message_id = [st_text(v) for v in st_values(top, "message_id")] or [None]
    m.date = [st_date(v) for v in st_values(top, "date")] or [None]
    m.tz = [st_tz(v) for v in st_values(top, "date")]
    for role in ("from", "to", "cc"):
        m.addrs[role] = [st_addrs(v) for v in st_values(top, role)] or [[]]
    m.nfields = len(top["headers"])
    n_msgs = [0]

    def node(i, digest):
        p = parts[i]
        n = Node()
        b = p["body"]
        kind = next(iter(b)) if isinstance(b, dict) else b
        ct, params = st_ct(p, "content_type", kind != "Multipart")
        if ct:
            n.ctype = ("%s/%s" % (ct["c_type"], ct.get("c_subtype") or "")
                       ).lower()
        elif digest:
            n.ctype = "message/rfc822"
        n.boundary = params.get("boundary")
        n.n_ctypes = len(st_values(p, "content_type"))
        n.declared = [a["value"] for v in st_values(p, "content_type")
                      if isinstance(v, dict) and "ContentType" in v
                      for a in v["ContentType"].get("attributes") or []
                      if a["name"].lower() == "boundary"]
        n.charset = params.get("charset")
        cd, dparams = st_ct(p, "content_disposition")
        if cd:
            n.disposition = (cd["c_type"] or "").lower()
        n.filename = dparams.get("filename") or params.get("name")
        cte = [st_text(v) for v in st_values(p, "content_transfer_encoding")]
        n.cte = (cte[0] or "").strip().lower() if cte else None
        body = raw[p["offset_body"]:p["offset_end"]] if raw is not None \
            else None
        if kind == "Multipart":
            dg = n.ctype == "multipart/digest"
            n.children = [node(c, dg) for c in b[kind]]
        elif kind == "Message":
            n_msgs[0] += 1
            plain = n.cte in (None, "", "7bit", "8bit", "binary")
            # offsets inside a nested message count from the top one's
            n.msg = st_msg(b[kind], "%s>m%d" % (label, n_msgs[0]),
                           raw if plain else None, exact and plain)
            if exact and plain:
                n.raw_msg = body
        elif kind in ("Binary", "InlineBinary"):
            n.data = bytes(b[kind])
        elif kind in ("Text", "Html"):
            n.text = b[kind]
        if n.children is None and n.msg is None:
            n.raw = body
        return n
    m.root = node(0, False)
    return m


def stalwart_keys(root):
    """(message file, Msg) for every NNN.eml with its key.  mail-parser's
    test feeds each file twice, CRs stripped (NNN.json) and LF made CRLF
    (NNN.crlf.json); the key whose input is byte for byte the file is the
    answer (mixed line ends: the LF one)."""
    for d in sorted(os.listdir(root)):
        if not os.path.isdir(os.path.join(root, d)):
            continue
        for f in sorted(os.listdir(os.path.join(root, d))):
            if not f.endswith(".eml"):
                continue
            path = os.path.join(root, d, f)
            with open(path, "rb") as fh:
                raw = fh.read()
            if b"\r\n" in raw and raw.count(b"\n") == raw.count(b"\r\n"):
                key, fed = path[:-4] + ".crlf.json", raw
            else:
                key, fed = path[:-4] + ".json", raw.replace(b"\r\n", b"\n")
            if os.path.exists(key):
                with open(key, encoding="utf-8") as fh:
                    yield path, st_msg(json.load(fh), d + "/" + f, fed,
                                       fed == raw)


# -- mime4j: X.msg, X.xml (raw bodies), X_decoded.xml (decoded bodies)

def m4_header(el):
    # each <field> starts with a line break of the XML layout
    fields = [re.sub(r"\A\r?\n", "", f.text or "")
              for f in el.find("header").findall("field")]
    # RFC 5322 4.5 obsolete syntax: white space before the colon
    fields = [re.sub(r"\A([^:\s]+)[ \t]+:", r"\1:", f) for f in fields]
    return email.parser.HeaderParser(policy=email.policy.compat32).parsestr(
        "".join(f.replace("\r\n", "\n") + "\n" for f in fields) + "\n")


def m4_addrs(values):
    got = []
    for v in values:
        m = re.fullmatch(r"\s*\(([^()]*)\)\s*", unfold(v))
        if m:
            # a field that is only a comment: a name without an address,
            # as the stalwart key reads the same construct (rfc/000.eml)
            got.append((m.group(1), None))
    if got:
        return got
    for name, addr in email.utils.getaddresses([unfold(v) for v in values]):
        if name or addr:
            got.append((rfc2047(name) if name else None, addr or None))
    return got


def m4_param(h, name, header):
    """A parameter of a header field: RFC 2231 collapsed, or a quoted
    string with its quoted-pairs undone (RFC 5322 3.2.4)."""
    raw = h.get(header)
    if raw is None:
        return None
    raw = unfold(str(raw))
    if re.search(r"(?i)(?:^|;)\s*" + name + r"\*", raw):
        try:
            v = h.get_param(name, header=header)
        except (LookupError, ValueError):
            return None
        if isinstance(v, tuple):
            v = email.utils.collapse_rfc2231_value(v)
        return v
    m = re.search(r"(?i)(?:^|;)\s*" + name +
                  r'\s*=\s*("(?:[^"\\]|\\.)*"?|[^;]*)', raw)
    if not m:
        return None
    v = m.group(1).strip()
    if v.startswith('"'):
        v = v[1:-1] if len(v) > 1 and v.endswith('"') else v[1:]
        v = re.sub(r"\\(.)", r"\1", v)
    return v


def m4_date(v):
    t = email.utils.parsedate_tz(unfold(v))
    if not t:
        return None
    try:
        return email.utils.mktime_tz(t if t[9] is not None else t[:9] + (0,))
    except (OverflowError, ValueError):
        return None


def m4_tz(v):
    t = email.utils.parsedate_tz(unfold(v))
    return (t[9] or 0) // 60 if t else None


def m4_msgid(v):
    v = unfold(v).strip()
    m = re.search(r"<([^>]*)>", v)
    return m.group(1).strip() if m else (v or None)


def m4_msg(dec, raw, d, label):
    """dec, raw: the <message> elements of X_decoded.xml and X.xml."""
    h = m4_header(dec)
    m = Msg(label)
    m.nfields = len(h.keys())
    m.subject = [rfc2047(v).strip()
                 for v in h.get_all("subject", [])] or [None]
    m.message_id = [m4_msgid(v) for v in h.get_all("message-id", [])] or [None]
    m.date = [m4_date(v) for v in h.get_all("date", [])] or [None]
    m.tz = [m4_tz(v) for v in h.get_all("date", [])]
    for role in ("from", "to", "cc"):
        vs = h.get_all(role, [])
        m.addrs[role] = [m4_addrs([v]) for v in vs] or [[]]
    counter = [0]

    def node(hel, dec_body, raw_body, digest):
        n = Node()
        hh = m4_header(hel)
        if digest and hh.get("content-type") is None:
            n.ctype = "message/rfc822"
        else:
            n.ctype = hh.get_content_type()
        n.boundary = hh.get_param("boundary")
        if isinstance(n.boundary, tuple):
            n.boundary = email.utils.collapse_rfc2231_value(n.boundary)
        n.n_ctypes = len(hh.get_all("content-type", []))
        for v in hh.get_all("content-type", []):
            one = email.message.Message()
            one["Content-Type"] = v
            b = one.get_param("boundary")
            if b:
                n.declared.append(b if isinstance(b, str) else
                                  email.utils.collapse_rfc2231_value(b))
        n.charset = hh.get_content_charset()
        n.disposition = hh.get_content_disposition()
        fn = m4_param(hh, "filename", "content-disposition") or \
            m4_param(hh, "name", "content-type")
        n.filename = ew_anywhere(fn) if fn else None
        cte = hh.get("content-transfer-encoding")
        n.cte = str(cte).strip().lower() if cte is not None else None
        if dec_body.tag == "multipart":
            dg = n.ctype == "multipart/digest"
            n.children = [node(bd, bd.find(_body_tag(bd)),
                               br.find(_body_tag(br)), dg)
                          for bd, br in zip(dec_body.findall("body-part"),
                                            raw_body.findall("body-part"))]
        elif dec_body.tag == "message":
            counter[0] += 1
            n.msg = m4_msg(dec_body, raw_body, d,
                           "%s>m%d" % (label, counter[0]))
        else:
            with open(os.path.join(d, dec_body.get("name")), "rb") as fh:
                n.data = fh.read()
            if raw_body is not None:
                n.raw = (raw_body.text or "").encode("latin-1")
        return n
    m.root = node(dec, dec.find(_body_tag(dec)), raw.find(_body_tag(raw)),
                  False)
    return m


def _body_tag(el):
    for c in el:
        if c.tag != "header":
            return c.tag
    return None


def xml_lenient(path):
    """X.xml holds raw bodies, some with bytes XML does not allow; only
    their base64 validity is looked at, so such a byte becomes "?"."""
    with open(path, "rb") as fh:
        text = fh.read().decode("latin-1")
    return ET.fromstring(re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "?", text))


def mime4j_keys(root):
    for d in ("testmsgs", "mimetools-testmsgs"):
        dd = os.path.join(root, d)
        if not os.path.isdir(dd):
            continue
        for f in sorted(os.listdir(dd)):
            if not f.endswith(".msg"):
                continue
            base = os.path.join(dd, f[:-4])
            if not (os.path.exists(base + "_decoded.xml") and
                    os.path.exists(base + ".xml")):
                continue
            dec = ET.parse(base + "_decoded.xml").getroot()
            raw = xml_lenient(base + ".xml")
            yield base + ".msg", m4_msg(dec, raw, dd, d + "/" + f)


# ------------------------------------------------------------ trawl's model
#
# What trawl should store for a key's tree, by the rules FORMAT.md and
# lib/parse.c document: leaves that are text/plain or text/html, not
# Content-Disposition: attachment and without a file name, are the body
# (text/plain preferred, parts joined by a blank line; HTML only when the
# plain parts hold no text at all); other text/* inside a
# multipart/alternative is another form of the body and no item; every
# other leaf and every message/rfc822 is a child item, in MIME order; a
# "begin NNN name" ... "end" block in a plain body part becomes a child
# (after that part's earlier siblings) and "[uuencoded file: name]" in the
# text.  The keys' own splits differ (mail-parser follows RFC 8621 4.1.4,
# which puts e.g. a second inline text/plain among the attachments); the
# parts and their contents are the facts compared.

def w1252(b):
    return "".join(bytes([c]).decode("cp1252", "replace")
                   .replace("\ufffd", chr(c)) for c in b)


def decode_text(b, charset):
    """Bytes to text as trawl reads them: the declared charset, else (when
    the bytes are not valid in it, or it is unknown) UTF-8, else
    windows-1252."""
    cs = (charset or "").strip().lower()
    if cs and cs not in ("us-ascii", "ascii", "utf-8", "utf8"):
        try:
            return b.decode(cs)
        except (LookupError, UnicodeError):
            pass
    try:
        return b.decode("utf-8")
    except UnicodeError:
        return w1252(b)


def uudecode(lines):
    out = bytearray()
    for line in lines:
        line = line.rstrip("\r\n")
        if not line:
            continue
        n = (ord(line[0]) - 32) & 63
        if n == 0:
            continue
        v = [(ord(c) - 32) & 63 for c in line[1:]]
        v += [0] * (-len(v) % 4)
        chunk = bytearray()
        for i in range(0, len(v), 4):
            a, b, c, d = v[i:i + 4]
            chunk += bytes([(a << 2 | b >> 4) & 255, (b << 4 | c >> 2) & 255,
                            (c << 6 | d) & 255])
        out += chunk[:n]
    return bytes(out)


UU_BEGIN = re.compile(r"begin [0-7]{3,4} (.+)\Z")


def extract_uu(text):
    """(text with markers, [(name, bytes)]), as lib/parse.c extract_uu."""
    lines = text.splitlines(keepends=True)
    out, files, i = [], [], 0
    while i < len(lines):
        m = UU_BEGIN.match(lines[i].rstrip("\r\n"))
        if m:
            for k in range(i + 1, len(lines)):
                if lines[k].rstrip("\r\n") == "end":
                    files.append((m.group(1), uudecode(lines[i + 1:k])))
                    out.append("[uuencoded file: %s]\n" % m.group(1))
                    i = k + 1
                    break
            else:
                m = None
        if not m:
            out.append(lines[i])
            i += 1
    return "".join(out), files


def html_words(s):
    """The words of an HTML text as a reader sees them."""
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


def leaf_text(n):
    if n.text is not None:
        return n.text
    return decode_text(n.data, n.charset)


def split(msg):
    plain, html_, atts = [], [], []

    def walk(n, in_alt, chain):
        if n.children is not None:
            for c in n.children:
                walk(c, n.ctype == "multipart/alternative",
                     chain + ((n.boundary,) if n.boundary else ()))
            return
        if n.msg is not None:
            atts.append(dict(kind="message", node=n, chain=chain))
            return
        attached = n.disposition == "attachment" or n.filename
        if not attached and n.ctype == "text/plain":
            if n.text is not None:
                text, files = extract_uu(n.text)
            else:
                t, files = extract_uu(n.data.decode("latin-1"))
                text = decode_text(t.encode("latin-1"), n.charset)
            plain.append((text, n))
            for name, data in files:
                atts.append(dict(kind="uu", node=n, name=name, data=data))
        elif not attached and n.ctype == "text/html":
            html_.append((leaf_text(n), n))
        elif not attached and in_alt and n.ctype.startswith("text/"):
            pass
        else:
            atts.append(dict(kind="part", node=n, name=n.filename))
    walk(msg.root, False, ())
    return plain, html_, atts


# ---------------------------------------------------------------- classes
#
# Accepted disagreements: each is a reading the key and trawl may both
# defend, recognised by a test on the key (and trawl's value where it can be
# derived), with a bound per set on how often it may occur.  A disagreement
# no class explains is a failure.

CLASSES = {
    # message-level, all fields
    "header-section-cut": (
        "a header section that runs into a line that is not a header "
        "field (no colon, 8-bit name, a white-space line before the text) "
        "without an empty line: trawl ends the header there and keeps the "
        "rest as body, with a no-header-end warning (FORMAT.md); the key "
        "(mime4j) skips such lines as bad fields and drops their text"),
    "no-header-document": (
        "a file with no header field at all: the key was told to parse it "
        "as a message; trawl decides the kind from the first bytes and "
        "keeps a text without any header as a document (FORMAT.md)"),
    # field-level: trawl matches the key once the key is read this way
    "bare-word-address": (
        "a mailbox that is one bare word (\"From: Whomever\"): the key "
        "reads a display name without address, trawl the local part of an "
        "address as RFC 822-era local mail wrote it (\"From: root\"); the "
        "word is the same"),
    "name-comment": (
        "a comment inside a display name (\"A1 (The Enforcer) Gore\"): the "
        "key moves comments to the end of the name, trawl keeps them where "
        "they stand; without the comments the names are equal"),
    "nul-in-text": (
        "U+0000 in the key's text is U+FFFD in trawl's: stored text is "
        "NUL-free UTF-8 (a NUL is not text, and would cut C strings)"),
    "x-uuencode-left-encoded": (
        "Content-Transfer-Encoding: x-uuencode: the key leaves the part "
        "encoded, trawl decodes it; uudecoding the key's bytes gives "
        "trawl's bytes (SHA-256)"),
    # part- and message-level: the input has no defined reading
    "invalid-base64": (
        "a base64 part that is not valid base64 (text that was never "
        "encoded, or junk after the padding): RFC 2045 only says to ignore "
        "characters outside the alphabet, so decoders differ on the rest "
        "(the key keeps the text or decodes on past the padding; trawl "
        "decodes what is left and stops at the padding)"),
    "ambiguous-boundary": (
        "nested multiparts whose boundaries are equal or one a prefix of "
        "the other, so a delimiter line belongs to more than one of them "
        "(RFC 2046 5.1.1 matches a boundary at the start of a line, and "
        "asks for boundaries that cannot be confused; these inputs are "
        "malformed on purpose, from Dovecot's parser tests): the key and "
        "trawl (GMime) split the parts differently"),
    "missed-delimiter": (
        "a delimiter line of an enclosing multipart inside a part the key "
        "was still reading (an inner multipart never closed, or a nested "
        "message's header cut short by it), so the key has fewer parts "
        "than the boundary has delimiter lines: trawl (GMime) ends the "
        "part there, as RFC 2046 5.1.1 implies (a boundary must not occur "
        "inside an encapsulated part); the key reads on"),
    "duplicate-content-type": (
        "a part with two Content-Type fields (RFC 2045 allows one): the key "
        "follows the first, trawl (GMime, with a \"conflicting header\" "
        "warning) the last"),
    "no-delimiter": (
        "a multipart whose boundary never occurs: by RFC 2046 5.1.1 all of "
        "it is preamble, which is to be ignored (trawl); the key keeps it "
        "as a text part"),
    "delimiter-mid-line": (
        "a close delimiter that does not start a line (\"invalid--1--\"): "
        "RFC 2046 5.1.1 has delimiters only at the start of a line, so "
        "trawl keeps it as text; the key ends the part there"),
}

# Known trawl bugs, open: each is a defect, not an accepted reading.  They
# are listed by file, {set: {label: class}}, with the class in CLASSES
# (its text starting "KNOWN BUG") and a bound in BOUNDS, so that they stay
# visible (TAP diagnostics and the issue note) without blocking everything
# else; a bug fixed makes its row agree, and its entries then go.  Nothing
# else may use them.  None is open.
KNOWN_BUGS = {}

# Most instances of each class in each set: found by hand when this test
# was written (the counts in the run's diagnostics), so that a change in
# trawl that makes a class grow is noticed.
BOUNDS = {
    "stalwart": {
        "ambiguous-boundary": 4,        # malformed/001 004 007 016
        "bare-word-address": 6,         # rfc/001, rfc/004 and its 2 digests
        "delimiter-mid-line": 1,        # thirdparty/005
        "invalid-base64": 3,            # rfc/000 (2 parts), thirdparty/002
        "missed-delimiter": 4,          # malformed/009 011 012, thirdparty/015
        "name-comment": 1,              # rfc/002 (its forwarded message)
        "no-delimiter": 1,              # malformed/002
        "nul-in-text": 1,               # thirdparty/000
        "x-uuencode-left-encoded": 6,   # legacy/017 026 048
    },
    "mime4j": {
        "duplicate-content-type": 1,    # multi-bad
        "header-section-cut": 5,        # basic-plain-with-bad-header-
        # separator, malformedHeader(StartsBody)-nocrlfcrlf, obsolete,
        # hdr-fakeout
        "no-header-document": 2,        # malformedHeader(StartsBody)-noheader
    },
}

STRUCTURE_FIELDS = ("body", "att_count", "att_names", "att_content")
CLASS_FIELDS = {"header-section-cut": FIELDS}


def header_cut(raw):
    """The header section (up to the first empty line) has a line that
    is neither a header field nor a folded continuation."""
    head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0]
    for i, line in enumerate(head.split(b"\n")):
        line = line.rstrip(b"\r")
        if i and line[:1] in (b" ", b"\t"):
            continue
        if not re.match(rb"[\x21-\x39\x3b-\x7e]+[ \t]*:", line):
            return True
    return False


def strip_comments(s):
    prev = None
    while prev != s:
        prev, s = s, re.sub(r"\([^()]*\)", " ", s)
    return norm(s)


def b64_valid(raw):
    s = re.sub(rb"\s+", b"", raw or b"")
    if not s:
        return True
    try:
        binascii.a2b_base64(s, strict_mode=True)
        return True
    except binascii.Error:
        return False


def leaves(n):
    if n.children is not None:
        for c in n.children:
            yield from leaves(c)
    elif n.msg is None:
        yield n


def delimiter_lines(raw, boundary):
    """How many (non-final) delimiter lines of boundary raw has."""
    return len(re.findall(rb"(?m)^--" + re.escape(boundary.encode(
        "utf-8", "replace")) + rb"[ \t]*\r?$", raw))


def structure_classes(msg, raw, outer=()):
    """The message-level classes that apply to msg (its whole subtree,
    nested messages included), in CLASSES order; raw: the bytes of the
    file it is in; outer: boundaries of enclosing multiparts."""
    found = set()

    def walk(n, chain):
        if n.n_ctypes > 1:
            found.add("duplicate-content-type")
        if n.ctype.startswith("multipart/") and n.boundary and raw:
            have = len(n.children) if n.children is not None else 0
            lines = delimiter_lines(raw, n.boundary)
            if n.children is None and lines == 0:
                found.add("no-delimiter")
            elif have < lines:
                found.add("missed-delimiter")
            if re.search(rb"[^\r\n]--" + re.escape(n.boundary.encode(
                    "utf-8", "replace")) + rb"--", raw):
                found.add("delimiter-mid-line")
        elif n.ctype.startswith("multipart/") and n.children is None:
            found.add("no-delimiter")
        for b in n.declared:
            if any(o.startswith(b) or b.startswith(o) for o in chain):
                found.add("ambiguous-boundary")
        if n.children is not None:
            for c in n.children:
                walk(c, chain + ((n.boundary,) if n.boundary else ()))
        elif n.msg is not None:
            walk(n.msg.root, chain)
    walk(msg.root, tuple(outer))
    return [c for c in CLASSES if c in found]


# ---------------------------------------------------------------- compare

def text_match(want, got):
    """Equal with white-space runs as one space; U+FFFD in the key (its
    lossy reading of bytes invalid in their charset) stands for whatever
    one or more characters trawl made of them."""
    want, got = norm(want), norm(got)
    if "\ufffd" not in want:
        return want == got
    rx = "".join(".+?" if c == "\ufffd" else re.escape(c) for c in want)
    return re.fullmatch(rx, got, re.S) is not None


def bare_word(cand):
    """A mailbox list with one-word, address-less names read as addresses."""
    return [(None, n.strip()) if a is None and n and re.fullmatch(
        r"[^\s@<>()\",;:]+", n.strip()) else (n, a) for n, a in cand]


class Comparison:
    def __init__(self, setname, archive):
        self.set, self.a = setname, archive
        self.results = []   # (field, verdict, label, want, got)
        self.messages = 0

    def note(self, field, verdict, label, want, got, structure=()):
        """verdict: True (agree), a class name, or False (unexplained); an
        unexplained disagreement takes the first of the message's classes
        that covers the field."""
        if verdict is False:
            for c in structure:
                if field in CLASS_FIELDS.get(c, STRUCTURE_FIELDS):
                    verdict = c
                    break
        self.results.append((field, verdict, label, want, got))

    def message(self, m, item, raw, outer=()):
        it = self.a.items[item]
        self.messages += 1
        L = m.label
        st = structure_classes(m, raw, outer)
        if not outer and "no-header-end" in it.get("warnings", ()) and \
                header_cut(raw):
            st.insert(0, "header-section-cut")
        got = it["subject"] or None
        self.note("subject", any(
            (w is None and not norm(got)) or
            (w is not None and got is not None and text_match(w, got))
            for w in m.subject), L, m.subject, got, st)
        got = it["message_id"] or None
        self.note("message_id", got in m.message_id, L, m.message_id, got,
                  st)
        got = it["date"] if it["date_source"] == 0 else None
        self.note("date", got in m.date, L, m.date,
                  (it["date"], it["date_source"]), st)
        if got is not None and got in m.date:
            zones = [z for d, z in zip(m.date, m.tz) if d == got]
            self.note("tz", it["tz"] in zones, L, zones, it["tz"], st)
        self.addresses(m, it, st)
        self.body(m, it, st)
        self.attachments(m, it, raw, st, outer)

    def addresses(self, m, it, st):
        L = m.label
        names_want, names_got, verdict = [], [], True
        for role, cands in m.addrs.items():
            got = it["addrs"].get(ROLES[role], [])
            got_a = [a for _, a in got]

            def addrs(c):
                return [(a or "").strip().lower() for _, a in c]
            match, v = None, False
            for c in cands:
                if addrs(c) == got_a:
                    match, v = c, True
                    break
            if match is None:
                for c in cands:
                    if addrs(bare_word(c)) == got_a:
                        match, v = bare_word(c), "bare-word-address"
                        break
            self.note(role, v, L, [addrs(c) for c in cands], got_a, st)
            for c in ([match] if match is not None else cands[:1]):
                for k, (n, a) in enumerate(c):
                    if n is None or not n.strip():
                        continue
                    gn = got[k][0] if k < len(got) else None
                    names_want.append(n)
                    names_got.append(gn)
                    if gn is not None and text_match(n, gn):
                        continue
                    if gn is not None and strip_comments(n) == \
                            strip_comments(gn):
                        if verdict is True:
                            verdict = "name-comment"
                        continue
                    verdict = False
        if names_want:
            self.note("names", verdict, L, names_want, names_got, st)

    def body(self, m, it, st):
        plain, html_, _ = split(m)
        got = it["body"]
        if not "".join(t for t, _ in plain):
            plain = []     # only empty plain parts: trawl takes the HTML
        parts = plain or html_
        bad64 = any(n.cte == "base64" and n.raw is not None and
                    not b64_valid(n.raw) for _, n in parts)
        if plain:
            want = "\n\n".join(t for t, _ in plain)
            v = text_match(want, got)
            if not v and "\x00" in want and \
                    text_match(want.replace("\x00", "\ufffd"), got):
                v = "nul-in-text"
        elif html_:
            want = "\n\n".join(t for t, _ in html_)
            v = html_words(want) == WORD.findall(got)
        else:
            want = ""
            v = not norm(got)
        if not v and bad64:
            v = "invalid-base64"
        self.note("body", v, m.label, norm(want), norm(got), st)

    def attachments(self, m, it, raw, st, outer):
        _, _, atts = split(m)
        kids = [self.a.items[c] for c in it["children"]]
        L = m.label
        self.note("att_count", len(kids) == len(atts), L, len(atts),
                  len(kids), st)
        if len(kids) != len(atts):
            return
        # trawl stores no file name for an embedded message (an email item)
        named = [(a, k) for a, k in zip(atts, kids)
                 if a["kind"] != "message" and k["kind"] != KIND_EMAIL]
        if any(a.get("name") for a, _ in named):
            want = [a.get("name") or None for a, _ in named]
            got = [k["name"] or None for _, k in named]
            ok = all((w is None and g is None) or
                     (w is not None and g is not None and text_match(w, g))
                     for w, g in zip(want, got))
            self.note("att_names", ok, L, want, got, st)
        for n, (a, k) in enumerate(zip(atts, kids)):
            self.att_content(m, "%s>%d" % (L, n + 1), a, k, raw, st, outer)

    def att_content(self, m, lab, a, k, raw, st, outer):
        node = a["node"]
        if a["kind"] == "message":
            if k["kind"] != KIND_EMAIL:
                self.note("att_content", False, lab, "embedded message",
                          "attachment %s (%s)" % (k["mime_type"], k["sha256"]),
                          st)
                return
            if node.raw_msg is None:
                self.note("att_content", True, lab, "embedded message",
                          "email item %d" % k["id"])
            else:
                # the item's blob is "the message as found" (FORMAT.md)
                want = hashlib.sha256(node.raw_msg).hexdigest()
                self.note("att_content", want == k["sha256"], lab,
                          "embedded message of %d bytes, %s" % (
                              len(node.raw_msg), want),
                          "email item %d of %d bytes, %s" % (
                              k["id"], k["size"], k["sha256"]), st)
            self.message(node.msg, k["id"], raw, tuple(outer) + a["chain"])
            return
        if k["kind"] != KIND_ATTACHMENT:
            self.note("att_content", False, lab, a["kind"],
                      "email item %d" % k["id"], st)
            return
        bad64 = node.cte == "base64" and node.raw is not None and \
            not b64_valid(node.raw)
        uu_cte = (node.cte or "") in ("x-uuencode", "x-uue", "uuencode")
        if a["kind"] == "uu":
            want = hashlib.sha256(a["data"]).hexdigest()
            self.note("att_content", want == k["sha256"], lab, want,
                      k["sha256"], st)
            return
        if node.data is not None:
            want = hashlib.sha256(node.data).hexdigest()
            v = want == k["sha256"]
            if not v and uu_cte:
                _, files = extract_uu(node.data.decode("latin-1"))
                if files and hashlib.sha256(files[0][1]).hexdigest() == \
                        k["sha256"]:
                    v = "x-uuencode-left-encoded"
            if not v and bad64:
                v = "invalid-base64"
            self.note("att_content", v, lab, want, k["sha256"], st)
            return
        # the key decoded this part to text itself: compare as text
        if uu_cte:
            _, files = extract_uu(node.text)
            if files and hashlib.sha256(files[0][1]).hexdigest() == \
                    k["sha256"]:
                self.note("att_content", "x-uuencode-left-encoded", lab,
                          "uudecoded", k["sha256"], st)
                return
        text = decode_text(self.a.raw(k["id"]), node.charset)
        v = text_match(node.text, text)
        if not v and "\x00" in node.text and \
                text_match(node.text.replace("\x00", "\ufffd"), text):
            v = "nul-in-text"
        if not v and bad64:
            v = "invalid-base64"
        self.note("att_content", v, lab, norm(node.text)[:200],
                  norm(text)[:200], st)


# ---------------------------------------------------------------- main

def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("stalwart", "mime4j"):
        sys.stderr.write(__doc__)
        return 2
    setname, root, arch, trawl = sys.argv[1:]
    a = Archive(arch, trawl)
    c = Comparison(setname, a)
    keys = stalwart_keys(root) if setname == "stalwart" else mime4j_keys(root)
    nkeys = 0
    for path, m in keys:
        nkeys += 1
        rel = os.path.relpath(path, root)
        item = a.by_path.get(os.path.realpath(path))
        kind = a.items[item]["kind"] if item else None
        if kind != KIND_EMAIL:
            c.note("kind", "no-header-document" if kind == KIND_DOCUMENT
                   and m.nfields == 0 else False, rel, "email",
                   "item %s of kind %s" % (item, kind))
            continue
        c.note("kind", True, rel, "email", "email")
        with open(path, "rb") as fh:
            raw = fh.read()
        c.message(m, item, raw)
    out("ok\t%s: %d messages with a key" % (setname, nkeys) if nkeys else
        "not ok\t%s: no message with a key found" % setname)
    diag("%s: %d keyed messages, %d with the embedded ones" %
         (setname, nkeys, c.messages))

    per = collections.OrderedDict((f, collections.Counter()) for f in FIELDS)
    bad = collections.defaultdict(list)
    classes = collections.Counter()
    examples = collections.defaultdict(list)
    known = KNOWN_BUGS.get(setname, {})
    for field, v, label, want, got in c.results:
        if v is False and label in known:
            v = known[label]
        per[field]["total"] += 1
        if v is True:
            per[field]["agree"] += 1
        elif v is False:
            per[field]["unexplained"] += 1
            bad[field].append((label, want, got))
        else:
            per[field][v] += 1
            classes[v] += 1
            examples[v].append("%s %s" % (field, label))
    for field, n in per.items():
        acc = ", ".join("%s %d" % (k, v) for k, v in sorted(n.items())
                        if k not in ("total", "agree", "unexplained"))
        desc = "%s %s: %d of %d agree with the key%s" % (
            setname, field, n["agree"], n["total"],
            " (accepted: %s)" % acc if acc else "")
        if bad[field]:
            out("not ok\t%s; %d unexplained" % (desc, len(bad[field])))
            for label, want, got in bad[field][:EXAMPLES]:
                diag("%s\n    key:   %s\n    trawl: %s" % (
                    label, short(want, 300), short(got, 300)))
        else:
            out("ok\t" + desc)
        out("field\t%s\t%s\t%d\t%d" % (setname, field, n["agree"], n["total"]))
    bounds = BOUNDS[setname]
    for cls in sorted(set(classes) | set(bounds)):
        n, b = classes.get(cls, 0), bounds.get(cls, 0)
        out(("ok" if n <= b else "not ok") +
            "\t%s accepted class %s: %d (at most %d)" % (setname, cls, n, b))
        if n:
            diag("  %s: %s" % (cls, CLASSES[cls]))
            diag("  where: " + ", ".join(examples[cls][:EXAMPLES]) +
                 (", ..." if len(examples[cls]) > EXAMPLES else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
