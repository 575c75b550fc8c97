#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Write the trawl sample dump (samples/) deterministically.

    python3 samples/make-samples.py           rewrite every file in samples/
    python3 samples/make-samples.py --check   exit 1 when a file on disk differs

Everything in samples/ except this script is generated here: the mails are
templates below (one mail() call each, in rough date order), encoded with the
helpers in the first section and then stored as mbox, Maildir, loose .eml and
a zip.  At the end the generated files are parsed back with Python's email,
mailbox and zipfile modules, the counts are printed and README.md is written
from those counts, so the README always agrees with the files.

The company, the people, the domains (.example/.test/.invalid only), phone
numbers (555-01xx, +44 20 7946 0xxx) and IP addresses (RFC 5737) are fictional.
Python 3.8+ standard library only.
"""

import base64
import binascii
import email
import email.header
import email.policy
import email.utils
import hashlib
import io
import mailbox
import os
import quopri
import re
import shutil
import struct
import sys
import tempfile
import time
import zipfile
import zlib
from collections import Counter, OrderedDict, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPT = Path(__file__).name
ZIP_NAME = "archive.zip"
ZIP_TIME = (2024, 6, 3, 9, 30, 0)  # one fixed timestamp for every zip member

# ---------------------------------------------------------------------------
# Encoding helpers (all deterministic)
# ---------------------------------------------------------------------------


def qp(text, charset="utf-8"):
    """Quoted-printable body of text in charset, without the final newline."""
    if not text.endswith("\n"):
        text += "\n"
    return quopri.encodestring(text.encode(charset)).decode("ascii").rstrip("\n")


def b64(data, charset="utf-8"):
    """Base64 body (76-column lines) of bytes, or of text in charset."""
    if isinstance(data, str):
        data = data.encode(charset)
    return base64.encodebytes(data).decode("ascii").rstrip("\n")


def ew_b(text, charset="UTF-8"):
    """RFC 2047 B encoded words for text, folded; each word <= 75 chars."""
    words, chunk = [], ""
    for ch in text:
        if len((chunk + ch).encode(charset)) > 45:
            words.append(chunk)
            chunk = ""
        chunk += ch
    words.append(chunk)
    out = ["=?%s?B?%s?=" % (charset, base64.b64encode(w.encode(charset)).decode())
           for w in words]
    assert all(len(w) <= 75 for w in out)
    return "\n ".join(out)


def pct(text):
    """RFC 2231 percent-encoding of UTF-8 text (for filename*=)."""
    safe = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
    return "".join(chr(c) if c in safe else "%%%02X" % c for c in text.encode("utf-8"))


def uuencode(name, data, mode="644"):
    """Classic uuencode block (begin ... end) for bytes."""
    lines = ["begin %s %s" % (mode, name)]
    for i in range(0, len(data), 45):
        lines.append(binascii.b2a_uu(data[i:i + 45], backtick=True).decode().rstrip("\n"))
    lines += ["`", "end"]
    return "\n".join(lines)


def make_pdf():
    """A tiny valid one-page PDF 1.4 (Helvetica, text only) with a real xref."""
    lines = [
        (16, "Term sheet HML-CFL-2023-07 - draft, subject to contract"),
        (10, "Owners: Halvorsen Marine Logistics AS, Bergen"),
        (10, "Charterers: Castellan Freight Lines Inc., Seattle"),
        (10, "Vessel: MV Storfjord Spirit. 14 voyages Bergen - Rotterdam - Hamburg"),
        (10, "Freight: USD 212,000 per round voyage. Laytime: 72 running hours"),
        (10, "9.3 Time lost through breakdown of the vessel's own gear shall not count"),
        (10, "as laytime, provided Owners have maintained the gear per maker's schedule."),
        (10, "14.2 Demurrage: USD 18,500 per day or pro rata."),
        (10, "32 Arbitration: London."),
    ]
    ops = ["BT", "56 790 Td"]
    for i, (size, text) in enumerate(lines):
        text = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append("/F1 %d Tf %s(%s) Tj" % (size, "" if i == 0 else "0 -%d Td " % (22 if i == 1 else 15), text))
    ops.append("ET")
    stream = ("\n".join(ops) + "\n").encode("latin-1")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream",
        b"<< /Title (Term sheet HML-CFL-2023-07) /Producer (make-samples.py) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objs) + 1, xref)
    return bytes(out)


def zlib_stored(data):
    """A zlib stream of uncompressed (stored) deflate blocks.

    Unlike zlib.compress() its bytes do not depend on the zlib version, so
    the PNG below (and the mail carrying it) is the same everywhere."""
    out = bytearray(b"\x78\x01")
    for i in range(0, len(data), 65535):
        block = data[i:i + 65535]
        final = 1 if i + 65535 >= len(data) else 0
        out += struct.pack("<BHH", final, len(block), len(block) ^ 0xFFFF) + block
    return bytes(out + struct.pack(">I", zlib.adler32(data) & 0xFFFFFFFF))


def make_png():
    """A valid 48x20 RGB PNG: a berth plan (quay, water, three ships)."""
    w, h = 48, 20
    quay, water = (150, 150, 150), (31, 95, 159)
    ships = [((2, 5, 14, 9), (200, 40, 40)),      # Storfjord Spirit
             ((17, 5, 31, 9), (230, 150, 20)),    # Nordlys Trader
             ((34, 5, 45, 9), (40, 160, 70))]     # Fjordgull
    raw = bytearray()
    for y in range(h):
        raw.append(0)  # filter type None
        for x in range(w):
            c = quay if y < 4 else water
            for (x0, y0, x1, y1), col in ships:
                if x0 <= x <= x1 and y0 <= y <= y1:
                    c = col
            raw += bytes(c)

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib_stored(bytes(raw)))
            + chunk(b"IEND", b""))


PDF = make_pdf()
PNG = make_png()

# ---------------------------------------------------------------------------
# The mails
# ---------------------------------------------------------------------------
#
# mail(key, where, raw, ...) registers one message.  where is a list of
# locations; more than one location means byte-identical copies:
#   "mbox/NAME.mbox"                   appended to that mbox (mboxrd)
#   "maildir/PERSON/cur" or ".../new"  a Maildir file, name from the date
#   "eml/DIR/NAME.eml"                 a loose file
#   "zip:PATH.eml" / "zip:PATH.mbox"   a member of archive.zip
# raw is the message as text with LF line ends; enc is how it becomes bytes
# (the header block must be ASCII); crlf=True stores it with CRLF line ends.
# cases are keys of CASES below and feed the README table.

CASES = OrderedDict([
    # threading
    ("thread-deep", "last message of a thread 5 levels deep (References chain)"),
    ("ghost-parent", "reply whose parent is missing from the dump (ghost)"),
    ("re", "reply, Re: (examples)"),
    ("re-upper", "reply, RE: (Outlook)"),
    ("fwd-inline", "forward inline, Fwd:"),
    ("fwd-rfc822", "forward with the original attached as message/rfc822"),
    ("aw", "German reply, AW:"),
    ("tr", "French forward, TR:"),
    ("sv", "Norwegian reply, SV:"),
    ("auto-reply", "auto-reply (Auto-Submitted: auto-replied)"),
    ("dsn", "bounce, multipart/report delivery-status"),
    ("list", "mailing-list copy (List-Id, Sender, [All-staff] tag)"),
    # headers
    ("cc", "Cc / CC header (examples)"),
    ("bcc", "Bcc header (sender's own copy)"),
    ("reply-to", "Reply-To header"),
    ("sender", "Sender header differing from From"),
    ("ew-from", "RFC 2047 encoded display name in From"),
    # charsets and encodings
    ("subj-iso-q", "Subject =?ISO-8859-1?Q?...?="),
    ("subj-utf8-b", "Subject =?UTF-8?B?...?= (Japanese)"),
    ("subj-koi8-b", "Subject =?KOI8-R?B?...?= (Russian)"),
    ("body-latin1-qp", "body iso-8859-1, quoted-printable"),
    ("body-latin1-8bit", "body iso-8859-1, 8bit, declared"),
    ("body-cp1252", "body windows-1252, 8bit (0x80-0x9F bytes)"),
    ("body-koi8r", "body koi8-r, 8bit"),
    ("body-sjis", "body shift_jis, base64"),
    ("body-utf8-8bit", "body utf-8, 8bit"),
    ("body-undeclared", "8-bit body (iso-8859-1 bytes) with no MIME headers, no charset"),
    ("html-only", "HTML-only mail (text/html, no text/plain)"),
    ("alternative", "multipart/alternative (text/plain + text/html)"),
    ("uuencode", "uuencoded attachment inside a plain body"),
    # attachments
    ("att-pdf", "PDF attachment (hand-written PDF 1.4)"),
    ("att-png", "PNG attachment"),
    ("att-csv", "text/csv attachment"),
    ("att-txt", "text/plain attachment"),
    ("fn-2231", "attachment filename*=UTF-8''... (RFC 2231)"),
    ("fn-2231-cont", "attachment filename*0*= / filename*1*= (RFC 2231 continuation)"),
    ("fn-2047", "attachment filename as RFC 2047 encoded word"),
    # broken
    ("no-date", "BROKEN: no Date header (only the Maildir file name has a time)"),
    ("bad-date", "BROKEN: unparseable Date (a Received header has a good one)"),
    ("bad-ew", "BROKEN: malformed encoded word (no closing ?=) in Subject"),
    ("no-close-boundary", "BROKEN: multipart without closing boundary (not last in its mbox)"),
    ("leading-blank", "BROKEN: blank line before the headers"),
    ("no-message-id", "BROKEN: no Message-ID header"),
    # storage format
    ("mboxrd-from", "mboxrd: body line 'From ' stored as '>From '"),
    ("mboxrd-gtfrom", "mboxrd: body line '>From ' stored as '>>From '"),
    ("crlf", "CRLF line endings"),
    ("dup", "byte-identical duplicate of a file elsewhere in samples/"),
])


@dataclass
class Mail:
    key: str
    where: list
    raw: str
    enc: str = "ascii"
    crlf: bool = False
    cases: tuple = ()
    flags: str = "S"
    when: str = ""          # delivery time for mails without a usable Date
    data: bytes = field(default=b"", repr=False)


MAILS = []


def mail(key, where, raw, enc="ascii", crlf=False, cases=(), flags="S", when=""):
    if isinstance(where, str):
        where = [where]
    for c in cases:
        assert c in CASES, c
    m = Mail(key, where, raw, enc, crlf, tuple(cases), flags, when)
    head = raw.lstrip("\n").split("\n\n", 1)[0]
    head.encode("ascii")  # headers must be 7-bit
    data = raw.encode(enc)
    if crlf:
        data = data.replace(b"\n", b"\r\n")
    m.data = data
    MAILS.append(m)
    return m


# Frequently used addresses
HML = "halvorsen-marine.example"
INGRID = "Ingrid Halvorsen <ingrid.halvorsen@%s>" % HML
HANNA = "Hanna Solberg <hanna.solberg@%s>" % HML
MAGNUS = "Magnus Berg <magnus.berg@%s>" % HML
SOFIE = "Sofie Lindqvist <sofie.lindqvist@%s>" % HML
TOMAS = "Tomas Eriksen <tomas.eriksen@%s>" % HML
PRIYA = "Priya Raman <priya.raman@%s>" % HML
ELENA = "Elena Petrova <elena.petrova@%s>" % HML
LARS = "Lars Nygaard <lars.nygaard@%s>" % HML
DMITRI = "Dmitri Volkov <dmitri.volkov@%s>" % HML
JONAS = "Jonas Weber <jonas.weber@%s>" % HML
CAMILLE = "Camille Durand <camille.durand@%s>" % HML
KENJI_ADDR = "kenji.aoyama@%s" % HML
DANA = "Dana Whitcombe <dwhitcombe@castellan-freight.test>"
MARCUS = "Marcus Reyes <mreyes@castellan-freight.test>"
REBECCA = "Rebecca Thornfield <rthornfield@thornfield-okafor.example>"
OLIVER = "Oliver Kask <oliver.kask@harbour-ledger.example>"
KESSLER = "Klaus Kessler <k.kessler@kessler-hafentechnik.example>"

# Message-IDs that several mails refer to
ID_M01 = "<CAK7m2pQ8vXe1Lh0w3Rz@mail.castellan-freight.test>"
ID_M02 = "<5e0c2a4b-8f1d-4c3a-a9b2-7d61f0e3c4a1@halvorsen-marine.example>"
ID_M03 = "<CAK7m2pRb3Tn0Qw9s1Hy@mail.castellan-freight.test>"
ID_M04 = "<0b9d7e15-2c6a-4f8e-b1d3-94a5c7e2f6b8@halvorsen-marine.example>"
ID_M05 = "<6F1C2E9A-3B4D-4E5F-8A7B-C9D0E1F2A3B4@halvorsen-marine.example>"
ID_E01 = "<20230809064812.lars.3312@terminal-pc04.halvorsen-marine.example>"
ID_E02 = "<DB8P195MB0731C2E4F1A0@DB8P195MB0731.eurprd95.halvorsen-marine.example>"
ID_Z01 = "<4c1e2f0a-angebot-2023-0871@kessler-hafentechnik.example>"
ID_Z02 = "<a3f9d2c1-7e4b-4b8a-9d60-2f1e8c7b5a39@halvorsen-marine.example>"
ID_S1 = "<DB8P195MB0731D3A9B7E2@DB8P195MB0731.eurprd95.halvorsen-marine.example>"
ID_I1 = "<20230905112000.GA2201@it-ws01.halvorsen-marine.example>"
ID_K1 = "<20230918174510.6d2f9a.kenji@yokohama.halvorsen-marine.example>"
ID_09 = "<DB8P195MB07318E11F4C6@DB8P195MB0731.eurprd95.halvorsen-marine.example>"
ID_10 = "<7A2D4C8E-1F3B-4A5C-9E0D-B6C7D8E9F0A1@halvorsen-marine.example>"
ID_13 = "<HE1P190MB2214F0A7C3B1@HE1P190MB2214.eurprd90.halvorsen-marine.example>"
ID_15 = "<CAK7m2pS5dUq2Kz7v0Jx@mail.castellan-freight.test>"
ID_16 = "<e8c3b1d2-4a5f-4e6b-8c7d-0f1a2b3c4d5e@halvorsen-marine.example>"
ID_19 = "<1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a5b@halvorsen-marine.example>"
ID_20 = "<CAK7m2pT9wHs4Ne1b6Lm@mail.castellan-freight.test>"  # ghost: not in the dump
ID_21 = "<9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d@halvorsen-marine.example>"
ID_24 = "<170773088611.52094.1388245671902@newsroom.harbour-ledger.example>"
ID_25 = "<2B9E4F71-8C3D-4A16-B5E2-7D0C9A1F3E48@halvorsen-marine.example>"
ID_27 = "<C41D7A92-6E58-4F03-9B1C-2A8E5D7F0B36@halvorsen-marine.example>"
ID_E06 = "<HE1P190MB09A2B4C6D8E0@HE1P190MB09A2.eurprd90.halvorsen-marine.example>"
ID_E11 = "<LO2P265MB0192A7D1E3F5B9C0@LO2P265MB0192.GBRP265.PROD.thornfield-okafor.example>"
ID_36 = "<CAK7m2pU3xRk8Pf5c2Nq@mail.castellan-freight.test>"

RECEIVED_CFL = """\
Received: from mail.castellan-freight.test (mail.castellan-freight.test [192.0.2.41])
\tby mx1.halvorsen-marine.example (Postfix) with ESMTPS id %s
\tfor <%s>; %s"""

# ----- Thread 1: the charter contract HML-CFL-2023-07 (June 2023) ----------

M01_BODY = """\
Hi Tomas,

Good talking to you on Monday. As discussed, Castellan would like to
charter MV Storfjord Spirit for the Q3-Q4 rotation, 14 voyages
Bergen - Rotterdam - Hamburg, starting 1 August.

Our draft terms, for discussion:

  - Freight: USD 212,000 per round voyage
  - Laytime: 72 running hours per port call, SHINC
  - Demurrage (clause 14.2): USD 14,000 per day, pro rata
  - Force majeure (clause 21): standard wording, including
    breakdown of vessel equipment
  - Arbitration (clause 32): London

Let me know what you think. We'd like to sign before the end of June.

Best,
Dana

--
Dana Whitcombe | Chartering & Claims Manager
Castellan Freight Lines Inc. | Seattle WA
+1 206 555 0147
"""

mail("M01", "maildir/tomas.eriksen/cur", f"""\
Return-Path: <dwhitcombe@castellan-freight.test>
Delivered-To: tomas.eriksen@halvorsen-marine.example
{RECEIVED_CFL % ("4QhK2m1XyZz9t", "tomas.eriksen@" + HML, "Wed, 14 Jun 2023 18:03:11 +0200")}
From: {DANA}
To: {TOMAS}
Subject: Charter terms for Q3-Q4 North Sea rotation
Date: Wed, 14 Jun 2023 09:02:47 -0700
Message-ID: {ID_M01}
MIME-Version: 1.0
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: 7bit

{M01_BODY}""", flags="RS", cases=[])

M02_BODY = """\
Hi Dana,

Thanks, a good starting point. Two comments from our side:

1. Demurrage (14.2): USD 14,000/day is well below market for a vessel
   of this size. We need USD 18,500 per day, pro rata.

2. Force majeure (21): we cannot accept "breakdown of vessel equipment"
   as force majeure. We can accept a laytime exception instead, as a
   new clause 9.3: time lost through breakdown of the vessel's own gear
   does not count as laytime, provided the owners have maintained the
   gear in accordance with the maker's schedule.

Freight, laytime and London arbitration are fine.

Magnus Berg (our COO) is copied for the operational side.

Regards,
Tomas

--
Tomas Eriksen
Head of Chartering, Halvorsen Marine Logistics AS
Bergen, Norway

On 14.06.2023 18:02, Dana Whitcombe wrote:
> Hi Tomas,
>
> Good talking to you on Monday. As discussed, Castellan would like to
> charter MV Storfjord Spirit for the Q3-Q4 rotation, 14 voyages
> Bergen - Rotterdam - Hamburg, starting 1 August.
>
> Our draft terms, for discussion:
>
>   - Freight: USD 212,000 per round voyage
>   - Laytime: 72 running hours per port call, SHINC
>   - Demurrage (clause 14.2): USD 14,000 per day, pro rata
>   - Force majeure (clause 21): standard wording, including
>     breakdown of vessel equipment
>   - Arbitration (clause 32): London
"""

mail("M02", "maildir/tomas.eriksen/cur", f"""\
Message-ID: {ID_M02}
Date: Thu, 15 Jun 2023 10:14:05 +0200
MIME-Version: 1.0
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:102.0) Gecko/20100101
 Thunderbird/102.12.0
Subject: Re: Charter terms for Q3-Q4 North Sea rotation
Content-Language: en-GB
To: {DANA}
Cc: {MAGNUS}
References: {ID_M01}
From: {TOMAS}
In-Reply-To: {ID_M01}
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 7bit

{M02_BODY}""", cases=["re", "cc"])

mail("M03", "maildir/tomas.eriksen/cur", f"""\
Return-Path: <dwhitcombe@castellan-freight.test>
Delivered-To: tomas.eriksen@halvorsen-marine.example
{RECEIVED_CFL % ("4QlP7r0BvWz3k", "tomas.eriksen@" + HML, "Tue, 20 Jun 2023 20:40:31 +0200")}
MIME-Version: 1.0
References: {ID_M01}
 {ID_M02}
In-Reply-To: {ID_M02}
From: {DANA}
Date: Tue, 20 Jun 2023 11:40:19 -0700
Message-ID: {ID_M03}
Subject: Re: Charter terms for Q3-Q4 North Sea rotation
To: {TOMAS}
Content-Type: multipart/mixed; boundary="000000000000a1b2c3d4e5f60718"

--000000000000a1b2c3d4e5f60718
Content-Type: text/plain; charset="UTF-8"

Tomas,

We can live with USD 18,500/day demurrage and with moving gear
breakdown out of force majeure into a new laytime clause 9.3, with
your maintenance proviso.

Updated term sheet attached (HML-CFL-2023-07). If Ingrid signs by
Friday we can issue the first voyage instructions on 24 July.

Dana

On Thu, Jun 15, 2023 at 1:14 AM Tomas Eriksen <tomas.eriksen@halvorsen-marine.example> wrote:
> Hi Dana,
>
> Thanks, a good starting point. Two comments from our side:
>
> 1. Demurrage (14.2): USD 14,000/day is well below market for a vessel
>    of this size. We need USD 18,500 per day, pro rata.
[...]

--000000000000a1b2c3d4e5f60718
Content-Type: application/pdf; name="HML-CFL-2023-07_term-sheet.pdf"
Content-Disposition: attachment; filename="HML-CFL-2023-07_term-sheet.pdf"
Content-Transfer-Encoding: base64
X-Attachment-Id: f_lj4k2x7p0

{b64(PDF)}
--000000000000a1b2c3d4e5f60718--
""", cases=["att-pdf"])

mail("M04", "mbox/ingrid-halvorsen.mbox", f"""\
Return-Path: <tomas.eriksen@halvorsen-marine.example>
Received: from [10.20.4.31] (vpn-31.halvorsen-marine.example [198.51.100.31])
\tby mx1.halvorsen-marine.example (Postfix) with ESMTPSA id 4QmB1c6F0kz2w
\tfor <ingrid.halvorsen@halvorsen-marine.example>; Wed, 21 Jun 2023 08:55:41 +0200
Message-ID: {ID_M04}
Date: Wed, 21 Jun 2023 08:55:40 +0200
MIME-Version: 1.0
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:102.0) Gecko/20100101
 Thunderbird/102.12.0
Subject: Fwd: Re: Charter terms for Q3-Q4 North Sea rotation
References: {ID_M01}
 {ID_M02}
 {ID_M03}
To: {INGRID}
From: {TOMAS}
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 7bit

Ingrid,

Castellan has accepted our changes: USD 18,500/day demurrage, and gear
breakdown moved out of force majeure into a laytime exception (9.3)
with our maintenance proviso. The term sheet is in the contracts folder
as HML-CFL-2023-07.

OK to sign? Magnus has confirmed the vessel is free from 1 August.

Tomas


-------- Forwarded Message --------
Subject: Re: Charter terms for Q3-Q4 North Sea rotation
Date: Tue, 20 Jun 2023 11:40:19 -0700
From: {DANA}
To: {TOMAS}

Tomas,

We can live with USD 18,500/day demurrage and with moving gear
breakdown out of force majeure into a new laytime clause 9.3, with
your maintenance proviso.

Updated term sheet attached (HML-CFL-2023-07). If Ingrid signs by
Friday we can issue the first voyage instructions on 24 July.

Dana
""", cases=["fwd-inline"])

mail("M05", "mbox/ingrid-halvorsen.mbox", f"""\
From: {INGRID}
Content-Type: text/plain;
\tcharset=utf-8
Content-Transfer-Encoding: quoted-printable
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3731.600.7\\))
Subject: Re: Fwd: Re: Charter terms for Q3-Q4 North Sea rotation
Date: Thu, 22 Jun 2023 07:15:30 +0200
References: {ID_M01} {ID_M02} {ID_M03}
 {ID_M04}
To: {TOMAS}
In-Reply-To: {ID_M04}
Message-Id: {ID_M05}
X-Mailer: Apple Mail (2.3731.600.7)

{qp('''Approved — go ahead and sign.

One condition: Magnus must confirm the crane service schedule for Storfjord Spirit before 1 August. Clause 9.3 only helps us if the gear is maintained “in accordance with the maker’s schedule”.

Ingrid

> On 21 Jun 2023, at 08:55, Tomas Eriksen <tomas.eriksen@halvorsen-marine.example> wrote:
> 
> Ingrid,
> 
> Castellan has accepted our changes: USD 18,500/day demurrage, and gear
> breakdown moved out of force majeure into a laytime exception (9.3)
> with our maintenance proviso.
''')}
""", cases=["thread-deep"])

# ----- Thread 2: the crane service that was not done (August 2023) ---------

KESSLER_BODY = """\
Sehr geehrter Herr Weber,

vielen Dank für Ihre Anfrage vom 28. Juli. Gerne bieten wir Ihnen die
planmäßige Fünfjahreswartung für Bordkran 2 der MV Storfjord Spirit an:

  - Austausch der Hubwerksbremse und der Seiltrommellager
  - Prüfung der Hydraulik, Ölwechsel, Probebelastung mit 1,25-facher SWL
  - Ersatzteile laut beigefügter Übersicht

Gesamtpreis: 29.870,00 EUR netto (ca. NOK 340.000). Ausführung in
Bergen in KW 33 oder KW 34 während der Liegezeit; Dauer fünf Tage.

Der Hersteller schreibt die Wartung nach 10.000 Betriebsstunden vor.
Laut Logbuch steht der Kran bei 10.420 Stunden. Wir raten dringend
davon ab, die Wartung weiter aufzuschieben.

Mit freundlichen Grüßen

Klaus Keßler
Kessler Hafentechnik GmbH
Hafenstraße 7, Bremerhaven
"""

KESSLER_CSV = """\
Pos.;Artikel;Beschreibung;Menge;Einzelpreis EUR;Gesamt EUR
1;KH25-BR-04;Hubwerksbremse komplett;1;8.420,00;8.420,00
2;KH25-LG-11;Seiltrommellager;2;2.115,00;4.230,00
3;KH25-SL-02;Drahtseil 28 mm, 180 m;1;6.980,00;6.980,00
4;HY-OEL-46;Hydrauliköl HLP 46, 208 l;2;640,00;1.280,00
5;SV-MONT;Montage und Probebelastung (Std.);64;140,00;8.960,00
;;;;Summe netto;29.870,00
"""

SUBJ_KESSLER = "=?ISO-8859-1?Q?Angebot:_Wartung_und_Ersatzteile_f=FCr_Bordkran_2?=\n (MV Storfjord Spirit)"
assert len(SUBJ_KESSLER.split("\n")[0]) <= 75

mail("Z01", "zip:export/hamburg/2023-08-03_Angebot_Wartung_Bordkran_2.eml", f"""\
Return-Path: <k.kessler@kessler-hafentechnik.example>
Received: from smtp.kessler-hafentechnik.example (smtp.kessler-hafentechnik.example [203.0.113.88])
\tby mx1.halvorsen-marine.example (Postfix) with ESMTPS id 4RGm0S3qTfz7r
\tfor <jonas.weber@halvorsen-marine.example>; Thu, 03 Aug 2023 10:31:09 +0200
From: {KESSLER}
To: {JONAS}
Subject: {SUBJ_KESSLER}
Date: Thu, 03 Aug 2023 10:31:07 +0200
Message-ID: {ID_Z01}
Organization: Kessler Hafentechnik GmbH
X-Mailer: Microsoft Outlook 16.0
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="----=_NextPart_000_0017_01D9C5E2.3A4B5C60"

This is a multi-part message in MIME format.

------=_NextPart_000_0017_01D9C5E2.3A4B5C60
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

{qp(KESSLER_BODY, "iso-8859-1")}

------=_NextPart_000_0017_01D9C5E2.3A4B5C60
Content-Type: text/csv; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable
Content-Disposition: attachment;
 filename*=UTF-8''{pct("Ersatzteilübersicht Kran 2.csv")}

{qp(KESSLER_CSV, "iso-8859-1")}

------=_NextPart_000_0017_01D9C5E2.3A4B5C60--
""", cases=["subj-iso-q", "body-latin1-qp", "att-csv", "fn-2231"])

mail("Z02", "zip:export/hamburg/2023-08-04_AW_Angebot_Wartung_Bordkran_2.eml", f"""\
From: {JONAS}
To: {KESSLER}
Cc: {MAGNUS}
Subject: AW: {SUBJ_KESSLER}
Date: Fri, 04 Aug 2023 09:12:44 +0200
Message-ID: {ID_Z02}
In-Reply-To: {ID_Z01}
References: {ID_Z01}
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit
User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:102.0) Gecko/20100101
 Thunderbird/102.13.0

Sehr geehrter Herr Keßler,

vielen Dank für das Angebot. Ich habe es an Herrn Berg (COO, in Kopie)
zur Freigabe weitergeleitet. Bitte halten Sie KW 33 für uns frei.

Magnus - the quote is EUR 29,870 net, five days in Bergen in week 33.
Kessler strongly advise against postponing: the crane is at 10,420
hours, the maker's limit is 10,000. Please approve by Wednesday.

Mit freundlichen Grüßen / Best regards
Jonas Weber
Halvorsen Marine Logistics - Niederlassung Hamburg

Am 03.08.2023 um 10:31 schrieb Klaus Kessler:
> Sehr geehrter Herr Weber,
>
> vielen Dank für Ihre Anfrage vom 28. Juli. Gerne bieten wir Ihnen die
> planmäßige Fünfjahreswartung für Bordkran 2 der MV Storfjord Spirit an:
""", enc="utf-8", cases=["aw", "subj-iso-q", "body-utf8-8bit"])

mail("Z03", "zip:export/hamburg/2023-08-11_AW_AW_Angebot_Wartung_Bordkran_2.eml", f"""\
From: {JONAS}
To: {KESSLER}
Subject: AW: AW: {SUBJ_KESSLER}
Date: Fri, 11 Aug 2023 08:05:19 +0200
Message-ID: <5d7e9f1a-2b3c-4d5e-8f70-a1b2c3d4e5f6@halvorsen-marine.example>
In-Reply-To: {ID_Z02}
References: {ID_Z01} {ID_Z02}
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: 8bit

Sehr geehrter Herr Keßler,

leider muss ich Ihnen mitteilen, dass unsere Geschäftsleitung
beschlossen hat, die Wartung von Bordkran 2 auf das Trockendock im
Januar 2024 zu verschieben. Bitte stornieren Sie die Reservierung für
KW 33.

Ich bedaure das ausdrücklich und habe Ihre Warnung intern
weitergegeben.

Mit freundlichen Grüßen
Jonas Weber
""", enc="latin-1", cases=["aw", "body-latin1-8bit"])

mail("E01", "eml/operations/2023-08-09_service-dekkskran-2.eml", f"""\
Received: from terminal-pc04.halvorsen-marine.example (terminal-pc04 [10.20.1.44])
\tby mx1.halvorsen-marine.example (Postfix) with SMTP id 4RKx9Q0d1Lz5n
\tfor <magnus.berg@halvorsen-marine.example>; Wed,  9 Aug 2023 06:48:13 +0200 (CEST)
From: {LARS}
To: {MAGNUS}
Subject: Service paa dekkskran 2 - Storfjord Spirit
Date: Wed, 9 Aug 2023 06:48:12 +0200
Message-Id: {ID_E01}
X-Mailer: Terminal-Mail 2.1

Hei Magnus,

Kessler har sendt tilbud på femårsservice av dekkskran 2 på Storfjord
Spirit (via Jonas i Hamburg). De kan gjøre jobben her i Bergen i uke 33
mens hun ligger til kai, ca. 340 000 kroner.

Kranen har nå 10 420 driftstimer. Produsenten krever service ved 10 000.
Jeg har selv sett at bremsen på hovedvinsjen begynner å slure, og
mannskapet har meldt om unormal lyd fra trommellageret.

Mitt råd: ta servicen nå. Det blir dyrere om kranen stopper midt i en
lossing i Rotterdam.

Hilsen
Lars Nygaard
Terminalformann, Bergen
""", enc="latin-1", cases=["body-undeclared"])

mail("E02", ["eml/operations/2023-08-10_SV_service-dekkskran-2.eml",
             "zip:export/legal-hold/magnus-berg_2023-08-10_SV_service-dekkskran-2.eml"], f"""\
From: {MAGNUS}
To: {LARS}
CC: {JONAS}
Subject: SV: Service paa dekkskran 2 - Storfjord Spirit
Thread-Topic: Service paa dekkskran 2 - Storfjord Spirit
Thread-Index: AdnLc2hV0x1ZkLQ7TbCqk3vWm9Fh2g==
Date: Thu, 10 Aug 2023 17:22:51 +0200
Message-ID: {ID_E02}
References: {ID_E01}
In-Reply-To: {ID_E01}
Accept-Language: nb-NO, en-US
Content-Language: nb-NO
X-MS-Has-Attach:
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

{qp('''Hei Lars,

Takk. Vi utsetter servicen til dokkingen i januar. Kvartalet er stramt, og Castellan-rotasjonen startet 1. august – vi har ikke fem ledige dager før januar.

Be mannskapet følge med på bremsen og rapportere hver uke. Jonas, gi beskjed til Kessler.

Magnus

Magnus Berg
COO, Halvorsen Marine Logistics AS

-----Opprinnelig melding-----
Fra: Lars Nygaard <lars.nygaard@halvorsen-marine.example>
Sendt: onsdag 9. august 2023 06:48
Til: Magnus Berg <magnus.berg@halvorsen-marine.example>
Emne: Service paa dekkskran 2 - Storfjord Spirit

Hei Magnus,

Kessler har sendt tilbud på femårsservice av dekkskran 2 på Storfjord Spirit (via Jonas i Hamburg). De kan gjøre jobben her i Bergen i uke 33 mens hun ligger til kai, ca. 340 000 kroner.
''')}
""", cases=["sv", "cc", "dup"])

mail("S1", "maildir/sofie.lindqvist/cur", f"""\
Return-Path: <magnus.berg@halvorsen-marine.example>
Delivered-To: sofie.lindqvist@halvorsen-marine.example
From: {MAGNUS}
To: {SOFIE}
Subject: Budget 2024 - operations, first cut
Thread-Topic: Budget 2024 - operations, first cut
Date: Mon, 14 Aug 2023 15:40:02 +0200
Message-ID: {ID_S1}
Accept-Language: nb-NO, en-US
Content-Language: en-US
MIME-Version: 1.0
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: 7bit

Sofie,

First cut of the operations budget is in the shared folder
(Finance/Budget 2024/ops-v1.xlsx).

Note for Q3: I have deferred the five-year service of crane 2 on
Storfjord Spirit to the January dry-dock. NOK 340,000 moves from
Q3 2023 to Q1 2024, which keeps us inside the Q3 target.

Magnus
""", cases=[])

mail("S2", "maildir/sofie.lindqvist/cur", f"""\
From: {SOFIE}
To: {MAGNUS}
Subject: RE: Budget 2024 - operations, first cut
Thread-Topic: Budget 2024 - operations, first cut
Date: Tue, 15 Aug 2023 09:03:27 +0200
Message-ID: <HE1P190MB2214A1C3E5F7@HE1P190MB2214.eurprd90.halvorsen-marine.example>
References: {ID_S1}
In-Reply-To: {ID_S1}
MIME-Version: 1.0
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: 7bit

Noted. I have moved it to Q1 2024 as "Dry-dock Storfjord Spirit incl.
crane 2 service".

Is the classification society OK with the deferral? The auditors will
ask.

Sofie

-----Original Message-----
From: Magnus Berg <magnus.berg@halvorsen-marine.example>
Sent: Monday, August 14, 2023 3:40 PM
To: Sofie Lindqvist <sofie.lindqvist@halvorsen-marine.example>
Subject: Budget 2024 - operations, first cut

Note for Q3: I have deferred the five-year service of crane 2 on
Storfjord Spirit to the January dry-dock.
""", cases=["re-upper"])

# ----- IT, Yokohama, misc (September / October 2023) ------------------------

mail("I1", "zip:export/it/helpdesk.mbox", f"""\
Date: Tue, 5 Sep 2023 13:20:00 +0200
From: {ELENA}
To: Kenji Aoyama <{KENJI_ADDR}>
Subject: VPN access for the Yokohama office
Message-ID: {ID_I1}
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
Content-Disposition: inline
User-Agent: Mutt/2.2.9 (2022-11-12)

Kenji,

your VPN profile is ready. Install the client from the intranet
(IT > Remote access), log in with your normal account and approve the
push on your phone.

From now on the old PPTP gateway is switched off; please tell the
agents in Yokohama too.

-- 
Elena Petrova, IT, Halvorsen Marine Logistics
""", cases=["mboxrd-from"])

mail("I2", "zip:export/it/helpdesk.mbox", f"""\
From: Kenji Aoyama <{KENJI_ADDR}>
To: {ELENA}
Subject: Re: VPN access for the Yokohama office
Date: Wed, 6 Sep 2023 10:02:33 +0900
Message-ID: <20230906100233.4b1c.kenji@yokohama.halvorsen-marine.example>
In-Reply-To: {ID_I1}
References: {ID_I1}
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Elena-san,

It works, thank you. The push arrives after about 10 seconds from
Yokohama, which is fine.

Kenji

> From now on the old PPTP gateway is switched off; please tell the
> agents in Yokohama too.
""", cases=["re"])

K1_SUBJECT = "Nordlys Trader 横浜入港スケジュールの確認"
K1_BODY = """\
エリクセン様

いつもお世話になっております。横浜事務所の青山です。

MV Nordlys Trader の横浜入港予定について確認させてください。
代理店からの連絡では、10月2日（月）午前6時に本牧埠頭D-5バースへ
着岸の予定です。荷役は2日間、出港は10月4日（水）の予定です。

通関書類は9月27日までに提出が必要です。
今回の寄港にはCastellan向けの貨物は含まれていません。

ご確認のほど、よろしくお願いいたします。

青山 健二
Halvorsen Marine Logistics 横浜事務所

---
English summary: Nordlys Trader ETA Yokohama Mon 2 Oct 06:00, berth
Honmoku D-5, two days cargo operations, ETD Wed 4 Oct. Customs papers
due 27 Sep. No Castellan cargo on this call. Please confirm.
Kenji
"""

mail("K1", "zip:export/yokohama/2023-09-18_nordlys-trader-eta.eml", f"""\
From: {ew_b("青山 健二")} <{KENJI_ADDR}>
To: {TOMAS}
Subject: {ew_b(K1_SUBJECT)}
Date: Mon, 18 Sep 2023 17:45:10 +0900
Message-ID: {ID_K1}
MIME-Version: 1.0
Content-Type: text/plain; charset=Shift_JIS
Content-Transfer-Encoding: base64
X-Mailer: Becky! ver. 2.81.04

{b64(K1_BODY, "shift_jis")}
""", cases=["subj-utf8-b", "body-sjis", "ew-from"])

mail("K2", "zip:export/yokohama/2023-09-18_re_nordlys-trader-eta.eml", f"""\
Message-ID: <3c5e7a9b-1d2f-4e6a-8b0c-2d4f6a8c0e1f@halvorsen-marine.example>
Date: Mon, 18 Sep 2023 14:12:38 +0200
MIME-Version: 1.0
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:102.0) Gecko/20100101
 Thunderbird/102.15.0
Subject: Re: {ew_b(K1_SUBJECT)}
To: {ew_b("青山 健二")} <{KENJI_ADDR}>
References: {ID_K1}
From: {TOMAS}
In-Reply-To: {ID_K1}
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

{qp('''Hi Kenji,

Confirmed, thank you. Please book the pilot for 05:00 on 2 October and
send me the agent's cost estimate when you have it.

Tomas

On 18.09.2023 10:45, 青山 健二 wrote:
> エリクセン様
>
> いつもお世話になっております。横浜事務所の青山です。
>
> MV Nordlys Trader の横浜入港予定について確認させてください。
''')}
""", cases=["re", "subj-utf8-b"])

mail("E09", "eml/misc/2023-09-28_new-laptop.eml", f"""\

Return-Path: <elena.petrova@halvorsen-marine.example>
From: {ELENA}
To: {HANNA}
Subject: Your new laptop is ready
Date: Thu, 28 Sep 2023 11:20:45 +0200
Message-ID: <20230928092045.GB2201@it-ws01.halvorsen-marine.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Hanna,

your new laptop is ready for pick-up in the IT room (2nd floor). Bring
the old one; we keep it for 30 days before wiping it.

Elena
""", cases=["leading-blank"])

mail("L1", "mbox/all-staff.mbox", f"""\
Return-Path: <all-staff-bounces@halvorsen-marine.example>
From: {ELENA}
To: All staff <all-staff@halvorsen-marine.example>
Subject: [All-staff] Mail server migration Saturday 14 October
Date: Mon, 2 Oct 2023 09:00:12 +0200
Message-ID: <20231002070012.GA3107@it-ws01.halvorsen-marine.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
List-Id: HML all staff <all-staff.halvorsen-marine.example>
List-Post: <mailto:all-staff@halvorsen-marine.example>
Precedence: list
Sender: all-staff-bounces@halvorsen-marine.example
Errors-To: all-staff-bounces@halvorsen-marine.example

Hi all,

On Saturday 14 October between 08:00 and 14:00 the mail server moves to
new hardware. Mail sent to you in that window is queued, not lost.
Phones may ask for your password again on Monday.

Elena (IT)
""", cases=["list", "sender"])

# ----- Thread 3: the incident in Rotterdam (November 2023) -----------------

mail("M09", "mbox/ingrid-halvorsen.mbox", f"""\
Return-Path: <magnus.berg@halvorsen-marine.example>
From: {MAGNUS}
To: {INGRID}, {SOFIE},
 {TOMAS}
Subject: Storfjord Spirit held at Rotterdam - crane 2 failure
Thread-Topic: Storfjord Spirit held at Rotterdam - crane 2 failure
Date: Mon, 6 Nov 2023 07:58:21 +0100
Message-ID: {ID_09}
Importance: high
X-Priority: 1
MIME-Version: 1.0
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: 7bit

All,

Storfjord Spirit arrived Rotterdam (Waalhaven) at 04:10 this morning.
At 06:35, during discharge of the first hatch, the hoist brake of
crane 2 failed under load and a 12 t steel coil dropped about 1.5 m
onto the hatch coaming. Nobody was hurt.

Port State Control has been informed and the crane is tagged out.
Discharge with crane 1 alone is too slow; the terminal can give us a
shore crane from Thursday at the earliest. Kessler can fly in a
technician, but the brake parts are in Bremerhaven.

Expect 7 to 10 days delay. Castellan's customs documents for the
Hamburg cargo are not released yet either; Tomas, please document that.

Magnus
""", cases=[])

mail("M10", "mbox/ingrid-halvorsen.mbox", f"""\
From: {INGRID}
Content-Type: text/plain;
\tcharset=us-ascii
Content-Transfer-Encoding: 7bit
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3731.700.6\\))
Subject: Re: Storfjord Spirit held at Rotterdam - crane 2 failure
Date: Mon, 6 Nov 2023 08:31:09 +0100
References: {ID_09}
To: {MAGNUS}
Cc: {SOFIE}, {TOMAS}
In-Reply-To: {ID_09}
Message-Id: {ID_10}
X-Mailer: Apple Mail (2.3731.700.6)

Thank you, Magnus. Safety first, then the customer.

Please make sure everything is documented: log book, photos, crane
hours, the PSC report.

Tomas - what does this mean under the Castellan contract?

Ingrid
""", cases=["re", "cc"])

mail("M11", "mbox/ingrid-halvorsen.mbox", f"""\
Return-Path: <tomas.eriksen@halvorsen-marine.example>
Message-ID: <b7a9c1e3-5f7a-4b9c-8d1e-3f5a7b9c1d2e@halvorsen-marine.example>
Date: Mon, 6 Nov 2023 09:47:55 +0100
MIME-Version: 1.0
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101
 Thunderbird/115.4.1
Subject: Re: Storfjord Spirit held at Rotterdam - crane 2 failure
Content-Language: en-GB
To: {INGRID}, {MAGNUS}
Cc: {SOFIE}
References: {ID_09}
 {ID_10}
From: {TOMAS}
In-Reply-To: {ID_10}
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 7bit

Under clause 14.2 demurrage runs at USD 18,500/day once the 72 hours of
laytime are used up.

Castellan will point to 9.3: time lost through breakdown of the
vessel's own gear does not count as laytime. Our answer is that their
customs documents for the Hamburg cargo were not released, so the
vessel could not have sailed anyway. Magnus, I need the release time
from the agent.

One question I have to ask: 9.3 only protects Castellan if we
maintained the gear per the maker's schedule. Was the crane 2 service
done in August?

Tomas
""", cases=[])

E05_SUBJECT = "Wi-Fi на Storfjord Spirit в Роттердаме"

mail("E05", "eml/operations/2023-11-09_wifi-storfjord-spirit.eml", f"""\
From: {DMITRI}
To: {ELENA}
Subject: {ew_b(E05_SUBJECT, "KOI8-R")}
Date: Thu, 9 Nov 2023 21:14:37 +0100
Message-ID: <87h6l3x9qz.fsf@crew-lt02.halvorsen-marine.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=koi8-r
Content-Transfer-Encoding: 8bit

Лена, привет!

Экипаж Storfjord Spirit стоит в Роттердаме уже четвёртый день из-за
поломки крана 2. Люди просят нормальный интернет: спутниковый канал
даёт 2 Мбит/с на 19 человек, и все звонки домой обрываются.

Можно ли временно поднять лимит трафика или купить пакет у портового
провайдера? Счёт пусть идёт на отдел экипажей (центр затрат 4410).

И ещё: капитан Хаугланд просит доступ к общей папке "Техника/Кран 2",
он хочет выгрузить журнал неисправностей для страховщика.

Спасибо!
Дмитрий
""", enc="koi8-r", cases=["subj-koi8-b", "body-koi8r"])

mail("L2", "mbox/all-staff.mbox", f"""\
Return-Path: <all-staff-bounces@halvorsen-marine.example>
From: {PRIYA}
To: All staff <all-staff@halvorsen-marine.example>
Reply-To: {PRIYA}
Subject: [All-staff] Julebord 15 December - sign up by 1 December
Date: Mon, 20 Nov 2023 12:00:04 +0100
Message-ID: <HE1P190MB09A2F1E3D5C7@HE1P190MB09A2.eurprd90.halvorsen-marine.example>
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: quoted-printable
List-Id: HML all staff <all-staff.halvorsen-marine.example>
Precedence: list
Sender: all-staff-bounces@halvorsen-marine.example

{qp('''Dear all,

This year's julebord is on Friday 15 December at 19:00, at Bryggeloftet (2nd floor). Partners are welcome.

Please sign up by 1 December with your menu choice (pinnekjøtt, lutefisk or vegetarian) by replying to me – not to the list.

Priya''')}
""", cases=["list", "reply-to", "sender"])

DEMURRAGE_CSV = """\
item,from,to,days,rate_usd,amount_usd,note
Laytime allowed (72 h),2023-11-06 04:10,2023-11-09 04:10,3.000,0,0,arrival Waalhaven
Demurrage,2023-11-09 04:10,2023-11-18 04:10,9.000,18500,166500,clause 14.2
Total,,,,,166500,
Memo: crane 2 out of service,2023-11-06 06:35,2023-11-15 11:00,,,,"clause 9.3 - if it applies, demurrage is 3 days (USD 55,500)"
Memo: customs release Hamburg cargo,2023-11-09 14:00,,,,,Castellan documents
"""

mail("M13", "maildir/tomas.eriksen/cur", f"""\
Return-Path: <sofie.lindqvist@halvorsen-marine.example>
Delivered-To: tomas.eriksen@halvorsen-marine.example
From: {SOFIE}
To: {TOMAS}
Subject: Demurrage calculation Storfjord Spirit (Rotterdam)
Thread-Topic: Demurrage calculation Storfjord Spirit (Rotterdam)
Date: Mon, 20 Nov 2023 14:26:48 +0100
Message-ID: {ID_13}
MIME-Version: 1.0
Content-Type: multipart/mixed;
\tboundary="_002_HE1P190MB2214F0A7C3B1HE1P190MB2214eurp_"

--_002_HE1P190MB2214F0A7C3B1HE1P190MB2214eurp_
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: 7bit

Tomas,

Calculation for the invoice attached. 9 days of demurrage after
laytime at USD 18,500 = USD 166,500.

I have assumed the whole period counts, since you said the customs hold
is our argument. If 9.3 applies to the days crane 2 was down (6-15 Nov),
demurrage drops to 3 days, USD 55,500.

Sofie

--_002_HE1P190MB2214F0A7C3B1HE1P190MB2214eurp_
Content-Type: text/csv; name="demurrage-storfjord-spirit-2023-11.csv"
Content-Description: demurrage-storfjord-spirit-2023-11.csv
Content-Disposition: attachment; filename="demurrage-storfjord-spirit-2023-11.csv";
\tsize={len(DEMURRAGE_CSV.encode())}; creation-date="Mon, 20 Nov 2023 13:25:02 GMT"
Content-Transfer-Encoding: base64

{b64(DEMURRAGE_CSV)}

--_002_HE1P190MB2214F0A7C3B1HE1P190MB2214eurp_--
""", flags="RS", cases=["att-csv"])

mail("M14", "maildir/tomas.eriksen/cur", f"""\
Message-ID: <d4e6f8a0-2b4c-4d6e-8f0a-1b3c5d7e9f02@halvorsen-marine.example>
Date: Tue, 21 Nov 2023 10:05:13 +0100
MIME-Version: 1.0
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101
 Thunderbird/115.4.1
Subject: Invoice INV-2023-1147 - demurrage, MV Storfjord Spirit, Rotterdam
Content-Language: en-GB
To: {DANA}
Cc: {SOFIE}
Bcc: {MAGNUS}
From: {TOMAS}
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 7bit

Dear Dana,

Under charter party HML-CFL-2023-07, laytime at Rotterdam expired on
9 November at 04:10 and the vessel was on demurrage until 18 November
at 04:10, i.e. 9 days at USD 18,500 (clause 14.2).

Our accounts department is sending invoice INV-2023-1147 for
USD 166,500 today, payable within 30 days.

Regards,
Tomas
""", cases=["bcc", "cc"])

CAMILLE_BODY = """\
Bonjour Tomas,

Ci-dessous le récapitulatif de l’escale du Fjordgull des 21–22 novembre,
transmis par la capitainerie. Les frais de pilotage ont augmenté de 12 %
depuis le 1er octobre : 4 860 € au lieu de 4 340 €. Le détail est dans
la pièce jointe.

PS : on entend beaucoup de choses sur le Storfjord Spirit à Rotterdam… la
grue n° 2 ? Bon courage à l’équipe.

Cordialement,
Camille Durand
Agence Le Havre – Halvorsen Marine Logistics

-----Message d'origine-----
De : Capitainerie – Escales <escales@capitainerie-lehavre.example>
Envoyé : jeudi 23 novembre 2023 17:12
À : Camille Durand <camille.durand@halvorsen-marine.example>
Objet : Escale Fjordgull – récapitulatif des frais

Madame,

Veuillez trouver le récapitulatif des frais de l’escale du navire
FJORDGULL (21/11/2023 – 22/11/2023) : pilotage 4 860 €, remorquage
6 120 €, droits de port 3 975 €, soit un total de 14 955 € HT.

« Merci de régler sous 30 jours. »

La Capitainerie
"""

CAMILLE_CSV = """\
Poste;Date;Montant €;Commentaire
Pilotage entrée;21/11/2023;2 430;tarif au 1er octobre
Pilotage sortie;22/11/2023;2 430;tarif au 1er octobre
Remorquage (2 remorqueurs);21/11/2023;6 120;
Droits de port;22/11/2023;3 975;
Total HT;;14 955;
"""

mail("C1", "zip:export/le-havre/2023-11-24_TR_Escale_Fjordgull.eml", f"""\
From: {CAMILLE}
To: {TOMAS}
Subject: TR: Escale Fjordgull - =?utf-8?Q?r=C3=A9capitulatif?= des frais
Thread-Topic: Escale Fjordgull - =?utf-8?Q?r=C3=A9capitulatif?= des frais
Thread-Index: AdoeFm4k8qL1v0QnSxW3cD1e2f3g4A==
Date: Fri, 24 Nov 2023 16:48:22 +0100
Message-ID: <PAXP193MB1571B2D4F6A8C0E2@PAXP193MB1571.EURP193.PROD.halvorsen-marine.example>
Accept-Language: fr-FR, en-US
Content-Language: fr-FR
X-MS-Has-Attach: yes
MIME-Version: 1.0
Content-Type: multipart/mixed;
\tboundary="_004_PAXP193MB1571B2D4F6A8C0E2PAXP193MB1571EURP_"

--_004_PAXP193MB1571B2D4F6A8C0E2PAXP193MB1571EURP_
Content-Type: text/plain; charset="windows-1252"
Content-Transfer-Encoding: 8bit

{CAMILLE_BODY}
--_004_PAXP193MB1571B2D4F6A8C0E2PAXP193MB1571EURP_
Content-Type: text/csv;
\tname="=?utf-8?Q?R=C3=A9capitulatif_escale_Fjordgull.csv?="
Content-Description: =?utf-8?Q?R=C3=A9capitulatif_escale_Fjordgull.csv?=
Content-Disposition: attachment;
\tfilename="=?utf-8?Q?R=C3=A9capitulatif_escale_Fjordgull.csv?="; size={len(CAMILLE_CSV.encode("cp1252"))};
\tcreation-date="Fri, 24 Nov 2023 15:47:10 GMT"
Content-Transfer-Encoding: base64

{b64(CAMILLE_CSV, "cp1252")}

--_004_PAXP193MB1571B2D4F6A8C0E2PAXP193MB1571EURP_--
""", enc="cp1252", crlf=True, cases=["tr", "body-cp1252", "att-csv", "fn-2047", "crlf"])

# ----- Thread 4: the dispute (December 2023 - January 2024) ----------------

M15_BODY = """\
Dear Tomas,

Castellan Freight Lines disputes invoice INV-2023-1147 (USD 166,500) in
full, for the following reasons:

1. The delay at Rotterdam from 6 to 15 November was caused by the
   failure of the vessel's crane 2. Under clause 9.3 of charter party
   HML-CFL-2023-07, time lost through breakdown of the vessel's own
   gear does not count as laytime.

2. The customs release for the Hamburg cargo on 9 November did not
   delay the vessel, which could not have discharged in any case.

3. We reserve our rights regarding the damage to the steel coil dropped
   on 6 November (our claim ref. CFL-CL-23-0388).

We request a credit note for the full amount. Our legal department is
copied.

Regards,
Dana

--
Dana Whitcombe | Chartering & Claims Manager
Castellan Freight Lines Inc. | Seattle WA
+1 206 555 0147
"""

M15 = f"""\
Return-Path: <dwhitcombe@castellan-freight.test>
Delivered-To: tomas.eriksen@halvorsen-marine.example
{RECEIVED_CFL % ("4SkD3v5Wq1z8m", "tomas.eriksen@" + HML, "Mon, 04 Dec 2023 18:22:14 +0100")}
MIME-Version: 1.0
From: {DANA}
Date: Mon, 4 Dec 2023 09:22:10 -0800
Message-ID: {ID_15}
Subject: Dispute of INV-2023-1147 - demurrage, MV Storfjord Spirit
To: {TOMAS}
Cc: {MARCUS}
Content-Type: text/plain; charset="UTF-8"

{M15_BODY}"""

mail("M15", "maildir/tomas.eriksen/cur", M15, flags="RS", cases=[])

mail("M16", "maildir/tomas.eriksen/cur", f"""\
Message-ID: {ID_16}
Date: Mon, 4 Dec 2023 20:05:33 +0100
MIME-Version: 1.0
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101
 Thunderbird/115.5.1
Subject: Fwd: Dispute of INV-2023-1147 - demurrage, MV Storfjord Spirit
Content-Language: en-GB
To: {REBECCA}
References: {ID_15}
From: {TOMAS}
Content-Type: multipart/mixed; boundary="------------0Xk3mQ9vT2pL8wR4sY6nB1cD"

This is a multi-part message in MIME format.
--------------0Xk3mQ9vT2pL8wR4sY6nB1cD
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 7bit

Rebecca,

As discussed on the phone: Castellan's dispute letter is attached.
Charter party HML-CFL-2023-07 is in the data room you have access to.

Could you give us a first view on clause 9.3 and the customs point
before Friday?

Tomas

--------------0Xk3mQ9vT2pL8wR4sY6nB1cD
Content-Type: message/rfc822;
 name="Dispute of INV-2023-1147 - demurrage, MV Storfjord Spirit.eml"
Content-Disposition: attachment;
 filename="Dispute of INV-2023-1147 - demurrage, MV Storfjord Spirit.eml"

{M15}
--------------0Xk3mQ9vT2pL8wR4sY6nB1cD--
""", cases=["fwd-rfc822"])

mail("M17", "maildir/tomas.eriksen/cur", f"""\
Return-Path: <rthornfield@thornfield-okafor.example>
Delivered-To: tomas.eriksen@halvorsen-marine.example
From: {REBECCA}
To: {TOMAS}
CC: {INGRID}
Subject: RE: Dispute of INV-2023-1147 - demurrage, MV Storfjord Spirit
Thread-Topic: Dispute of INV-2023-1147 - demurrage, MV Storfjord Spirit
Thread-Index: AQHaJu4p0Rk7mVw3XEuZrLx8Jc2H1bCaB9Gw
Date: Tue, 5 Dec 2023 11:47:02 +0000
Message-ID: <LO2P265MB0192C4E6A8B0D2F4@LO2P265MB0192.GBRP265.PROD.thornfield-okafor.example>
References: {ID_15} {ID_16}
In-Reply-To: {ID_16}
Accept-Language: en-GB, en-US
Content-Language: en-GB
MIME-Version: 1.0
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: 7bit

PRIVILEGED & CONFIDENTIAL - LEGAL ADVICE

Tomas,

A first view, to be confirmed once I have seen the documents:

1. Clause 9.3 has a proviso: the exception only applies if the gear was
   maintained in accordance with the maker's schedule. If crane 2 was
   maintained, Castellan can rely on 9.3 and most of the invoice falls
   away. If it was not, 9.3 does not apply and demurrage runs - but you
   will have to disclose the maintenance records, and those would also
   support Castellan's cargo claim (CFL-CL-23-0388).

2. The customs point helps only for the hours before the release on
   9 November.

Please (a) put a litigation hold on all documents about crane 2,
(b) send me the maintenance log and all correspondence with Kessler,
and (c) do not discuss the merits with Castellan by e-mail.

Kind regards,
Rebecca

Rebecca Thornfield
Partner, Thornfield & Okafor LLP, London
+44 20 7946 0958
""", crlf=True, cases=["re-upper", "cc", "crlf"])

RETENTION_TEXT = """\
To all staff,

With immediate effect, do not delete, alter or discard any document,
e-mail, chat message, log book entry, photo or file relating to:

  - MV Storfjord Spirit, crane 2 and its maintenance
  - Castellan Freight Lines and charter party HML-CFL-2023-07
  - Kessler Hafentechnik GmbH

This applies to shared folders, phones and personal devices too. The
notice stays in force until you hear otherwise from me.

Questions to Priya Raman (compliance).

Ingrid Halvorsen
CEO, Halvorsen Marine Logistics AS
"""

RETENTION_HTML = """\
<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>
<body style="font-family: Calibri, sans-serif; font-size: 11pt">
<p>To all staff,</p>
<p>With immediate effect, <b>do not delete, alter or discard</b> any document, e-mail, chat message, log book entry, photo or file relating to:</p>
<ul>
<li>MV Storfjord Spirit, crane 2 and its maintenance</li>
<li>Castellan Freight Lines and charter party HML-CFL-2023-07</li>
<li>Kessler Hafentechnik GmbH</li>
</ul>
<p>This applies to shared folders, phones and personal devices too. The notice stays in force until you hear otherwise from me.</p>
<p>Questions to Priya Raman (compliance).</p>
<p>Ingrid Halvorsen<br>CEO, Halvorsen Marine Logistics AS</p>
</body></html>
"""

mail("M18", "mbox/ingrid-halvorsen.mbox", f"""\
From: {INGRID}
Sender: {HANNA}
To: All staff <all-staff@halvorsen-marine.example>
Bcc: {REBECCA}
Subject: Document retention notice - Castellan / MV Storfjord Spirit
Date: Tue, 5 Dec 2023 15:30:00 +0100
Message-ID: <HE1P190MB0C11E7A9B3D5@HE1P190MB0C11.eurprd90.halvorsen-marine.example>
Importance: high
MIME-Version: 1.0
Content-Type: multipart/alternative;
\tboundary="_000_HE1P190MB0C11E7A9B3D5HE1P190MB0C11eurp_"

--_000_HE1P190MB0C11E7A9B3D5HE1P190MB0C11eurp_
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

{qp(RETENTION_TEXT)}

--_000_HE1P190MB0C11E7A9B3D5HE1P190MB0C11eurp_
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

{qp(RETENTION_HTML)}

--_000_HE1P190MB0C11E7A9B3D5HE1P190MB0C11eurp_--
""", cases=["alternative", "sender", "bcc"])

mail("M19", "maildir/tomas.eriksen/cur", f"""\
Message-ID: {ID_19}
Date: Tue, 12 Dec 2023 13:18:40 +0100
MIME-Version: 1.0
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101
 Thunderbird/115.5.1
Subject: Re: Dispute of INV-2023-1147 - demurrage, MV Storfjord Spirit
Content-Language: en-GB
To: {DANA}
Cc: {MARCUS}
References: {ID_15}
From: {TOMAS}
In-Reply-To: {ID_15}
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 7bit

Dear Dana,

We do not accept the dispute. Laytime at Rotterdam expired on
9 November at 04:10, and the customs release for the Hamburg cargo was
only granted on 9 November at 14:00. We maintain invoice INV-2023-1147.

This is without prejudice to all our rights under the charter party.

Regards,
Tomas

On 04.12.2023 18:22, Dana Whitcombe wrote:
> Dear Tomas,
>
> Castellan Freight Lines disputes invoice INV-2023-1147 (USD 166,500) in
> full, for the following reasons:
""", cases=[])

# ID_20 (Dana, 19 Dec 2023, offering 50%) is deliberately NOT in the dump.

mail("M21", "maildir/tomas.eriksen/cur", f"""\
Message-ID: {ID_21}
Date: Mon, 8 Jan 2024 10:26:14 +0100
MIME-Version: 1.0
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101
 Thunderbird/115.6.0
Subject: Re: Dispute of INV-2023-1147 - demurrage, MV Storfjord Spirit
Content-Language: en-GB
To: {DANA}
Cc: {MARCUS}, {REBECCA}
References: {ID_15}
 {ID_19}
 {ID_20}
From: {TOMAS}
In-Reply-To: {ID_20}
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 7bit

Dear Dana,

Thank you for the proposal. We cannot accept 50%, and we are not in a
position to share internal maintenance records outside formal
proceedings.

Our counsel, Rebecca Thornfield of Thornfield & Okafor LLP (copied),
will contact Marcus.

Regards,
Tomas

On 19.12.2023 18:11, Dana Whitcombe wrote:
> Tomas,
>
> In the interest of the relationship, Castellan is prepared to pay 50%
> of the invoice, USD 83,250, in full and final settlement, provided
> that HML provides the maintenance records of crane 2 for 2023.
>
> Happy holidays,
> Dana
""", cases=["ghost-parent"])

mail("M22", "maildir/tomas.eriksen/cur", f"""\
Return-Path: <dwhitcombe@castellan-freight.test>
Delivered-To: tomas.eriksen@halvorsen-marine.example
{RECEIVED_CFL % ("4T8Gq2N0wFz1p", "tomas.eriksen@" + HML, "Tue, 09 Jan 2024 19:03:01 +0100")}
MIME-Version: 1.0
References: {ID_15} {ID_19} {ID_20}
 {ID_21}
In-Reply-To: {ID_21}
From: {DANA}
Date: Tue, 9 Jan 2024 10:02:57 -0800
Message-ID: <CAK7m2pTz6Vb0Jc3e8Ks@mail.castellan-freight.test>
Subject: Re: Dispute of INV-2023-1147 - demurrage, MV Storfjord Spirit
To: {TOMAS}
Cc: {MARCUS}, {REBECCA}
Content-Type: text/plain; charset="UTF-8"

Noted. Then we will leave it to the lawyers. Marcus will be in touch
with Ms Thornfield about arbitration under clause 32.

Dana
""", cases=["thread-deep"])

Q4_CSV = """\
line,q4_2023_nok,q4_2022_nok,comment
Freight revenue,48210000,44870000,
Demurrage receivable Castellan (disputed),1803000,0,USD 166500 at 10.83
Provision against Castellan receivable,-901500,0,50% pending arbitration
Vessel operating costs,-31460000,-29980000,
Crew welfare Rotterdam layover,-81250,0,
Legal fees,-212000,-35000,Thornfield & Okafor
"""

mail("G", "mbox/ingrid-halvorsen.mbox", f"""\
Return-Path: <sofie.lindqvist@halvorsen-marine.example>
From: {SOFIE}
To: {INGRID}
Subject: Q4 2023 - preliminary figures
Date: Wed, 10 Jan 2024 16:44:30 +0100
Message-ID: <HE1P190MB22149B7D5F3A@HE1P190MB2214.eurprd90.halvorsen-marine.example>
MIME-Version: 1.0
Content-Type: multipart/mixed;
\tboundary="_003_HE1P190MB22149B7D5F3AHE1P190MB2214eurp_"

--_003_HE1P190MB22149B7D5F3AHE1P190MB2214eurp_
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: 7bit

Ingrid,

Preliminary Q4 figures attached. I have booked the Castellan demurrage
as a receivable with a 50% provision until the arbitration is decided.
The auditors will want to see Rebecca's assessment.

Sofie

--_003_HE1P190MB22149B7D5F3AHE1P190MB2214eurp_
Content-Type: text/csv; name="q4-2023-preliminary.csv"
Content-Disposition: attachment; filename="q4-2023-preliminary.csv"
Content-Transfer-Encoding: 7bit

{Q4_CSV}""", cases=["att-csv", "no-close-boundary"])

ASSESSMENT = """\
STORFJORD SPIRIT - INTERNAL ASSESSMENT OF THE ROTTERDAM INCIDENT
Author: Magnus Berg, COO                         Date: 15 January 2024
Distribution: I. Halvorsen, S. Lindqvist, R. Thornfield (counsel)
CONFIDENTIAL - prepared for the purpose of obtaining legal advice

1. What happened
On 6 November 2023 the hoist brake of crane 2 failed during discharge
at Rotterdam. A 12 t coil fell about 1.5 m. The vessel lost 9 days.

2. Maintenance history
The maker's five-year service was due at 10,000 running hours. At
10,420 hours, on 10 August 2023, I deferred it to the January 2024
dry-dock, against the advice of Lars Nygaard and of Kessler
Hafentechnik (quote of 3 August, EUR 29,870).

3. Findings in dry-dock (January 2024)
Brake lining worn to 2 mm (limit 6 mm); drum bearing damaged. Kessler's
report says the failure is consistent with overdue service.

4. Consequences
- Clause 9.3: we cannot credibly say the gear was maintained "in
  accordance with the maker's schedule". 9.3 therefore does not protect
  Castellan - but arguing this means disclosing the deferral.
- Castellan's cargo claim CFL-CL-23-0388 becomes much stronger.
- Port State Control was not told that the service was overdue.

5. Recommendation
Settle the demurrage dispute; budget for the cargo claim; review how
maintenance deferrals are approved.
"""

mail("M23", "mbox/ingrid-halvorsen.mbox", f"""\
Return-Path: <magnus.berg@halvorsen-marine.example>
From: {MAGNUS}
To: {INGRID}
CC: {SOFIE}
Subject: CONFIDENTIAL: Storfjord Spirit - internal assessment
Thread-Topic: CONFIDENTIAL: Storfjord Spirit - internal assessment
Date: Mon, 15 Jan 2024 13:55:48 +0100
Message-ID: <DB8P195MB0731A4C6E8F0@DB8P195MB0731.eurprd95.halvorsen-marine.example>
Sensitivity: Company-Confidential
MIME-Version: 1.0
Content-Type: multipart/mixed;
\tboundary="_005_DB8P195MB0731A4C6E8F0DB8P195MB0731eurp_"

--_005_DB8P195MB0731A4C6E8F0DB8P195MB0731eurp_
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: 7bit

Ingrid, Sofie,

As requested, my internal assessment of the Rotterdam incident is
attached. The short version:

From the start of August the five-year service of crane 2 was deferred
to the January dry-dock. I took that decision on 10 August to protect
the Q3 result (about NOK 340,000) and because the Castellan rotation
left no five-day window. Lars Nygaard and Kessler both advised against
it.

The brake failure on 6 November is consistent with the wear found in
dry-dock last week. In my view we cannot credibly say the gear was
maintained "in accordance with the maker's schedule" (clause 9.3).

This is for the two of you and Rebecca only. Please do not forward or
print it.

Magnus

--_005_DB8P195MB0731A4C6E8F0DB8P195MB0731eurp_
Content-Type: text/plain; charset="us-ascii"; name="Storfjord_internal_assessment.txt"
Content-Description: Storfjord_internal_assessment.txt
Content-Disposition: attachment; filename="Storfjord_internal_assessment.txt"
Content-Transfer-Encoding: 7bit

{ASSESSMENT}
--_005_DB8P195MB0731A4C6E8F0DB8P195MB0731eurp_--
""", cases=["att-txt", "mboxrd-from"])

# ----- Thread 6: the leak (February 2024) ----------------------------------

OLIVER_BODY = """\
Dear Ms Halvorsen,

I am a reporter at The Harbour Ledger. We have obtained a copy of an
internal Halvorsen Marine Logistics document dated 15 January 2024,
titled "Storfjord Spirit - internal assessment". It states, among other
things:

>From the start of August the five-year service of crane 2 was deferred
>to the January dry-dock. I took that decision on 10 August to protect
>the Q3 result

We intend to publish a story this week on the incident at Rotterdam on
6 November 2023 and the dispute with Castellan Freight Lines. I would
like to give you the opportunity to comment:

1. Is the document authentic?
2. Did HML defer maintenance that the manufacturer had specified?
3. Was Port State Control told that the service was overdue?
4. Is HML still claiming demurrage from Castellan for the delay?

Our deadline is Wednesday 14 February, 12:00 GMT. Please reply to the
address above or call me on +44 20 7946 0321.

Kind regards,
Oliver Kask
Shipping correspondent, The Harbour Ledger
"""

mail("M24", "mbox/ingrid-halvorsen-press.mbox", f"""\
Return-Path: <oliver.kask@harbour-ledger.example>
Received: from out-7.harbour-ledger.example (out-7.harbour-ledger.example [203.0.113.17])
\tby mx1.halvorsen-marine.example (Postfix) with ESMTPS id 4TYn5k2LcJz4h
\tfor <ingrid.halvorsen@halvorsen-marine.example>; Mon, 12 Feb 2024 10:41:29 +0100 (CET)
From: {OLIVER}
Reply-To: Oliver Kask <tips@harbour-ledger.example>
To: {INGRID}
Subject: Request for comment: Storfjord Spirit maintenance memo
Date: Mon, 12 Feb 2024 09:41:26 +0000
Message-ID: {ID_24}
MIME-Version: 1.0
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: 7bit

{OLIVER_BODY}""", cases=["reply-to", "mboxrd-gtfrom"])

mail("M25", "mbox/ingrid-halvorsen-press.mbox", f"""\
From: {INGRID}
Content-Type: text/plain;
\tcharset=us-ascii
Content-Transfer-Encoding: 7bit
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.300.61.1.2\\))
Subject: Fwd: Request for comment: Storfjord Spirit maintenance memo
Date: Mon, 12 Feb 2024 11:02:03 +0100
References: {ID_24}
To: {REBECCA}
Cc: {PRIYA}
Message-Id: {ID_25}
X-Mailer: Apple Mail (2.3774.300.61.1.2)

Rebecca, Priya - see below. How do we answer? The quote is word for
word from Magnus's memo.

Ingrid

> Begin forwarded message:
>
> From: Oliver Kask <oliver.kask@harbour-ledger.example>
> Subject: Request for comment: Storfjord Spirit maintenance memo
> Date: 12 February 2024 at 10:41:26 CET
> To: Ingrid Halvorsen <ingrid.halvorsen@halvorsen-marine.example>
> Reply-To: Oliver Kask <tips@harbour-ledger.example>
>
"""
+ "".join(("> " + line if line else ">") + "\n" for line in OLIVER_BODY.splitlines()),
    cases=["fwd-inline"])

mail("E10", "eml/legal/2024-02-12_automatic-reply.eml", f"""\
From: {REBECCA}
To: {INGRID}
Subject: Automatic reply: Fwd: Request for comment: Storfjord Spirit
 maintenance memo
Thread-Topic: Request for comment: Storfjord Spirit maintenance memo
Date: Mon, 12 Feb 2024 10:02:09 +0000
Message-ID: <LO2P265MB0192E0F2A4C6@LO2P265MB0192.GBRP265.PROD.thornfield-okafor.example>
In-Reply-To: {ID_25}
References: {ID_25}
Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All
X-MS-Exchange-Inbox-Rules-Loop: rthornfield@thornfield-okafor.example
Content-Language: en-GB
MIME-Version: 1.0
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: 7bit

I am in a hearing until 14:00 today with limited access to e-mail.
For urgent matters please call my assistant on +44 20 7946 0959.

Rebecca Thornfield
Thornfield & Okafor LLP
""", cases=["auto-reply"])

mail("M26", "mbox/ingrid-halvorsen-press.mbox", f"""\
Return-Path: <rthornfield@thornfield-okafor.example>
From: {REBECCA}
To: {INGRID}
CC: {PRIYA}
Subject: RE: Request for comment: Storfjord Spirit maintenance memo
Thread-Topic: Request for comment: Storfjord Spirit maintenance memo
Date: Mon, 12 Feb 2024 14:36:50 +0000
Message-ID: <LO2P265MB0192F1A3B5C7@LO2P265MB0192.GBRP265.PROD.thornfield-okafor.example>
References: {ID_24} {ID_25}
In-Reply-To: {ID_25}
MIME-Version: 1.0
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: 7bit

PRIVILEGED & CONFIDENTIAL - LEGAL ADVICE

Ingrid,

Do not confirm or deny that the document is authentic, and do not
answer the individual questions. Suggested holding statement:

  "HML does not comment on leaked documents or on matters that are the
  subject of arbitration. The safety of our crews and of the cargo
  entrusted to us is our first priority. The crane in question was
  fully overhauled in January 2024 and has been inspected by the
  classification society."

We must assume Castellan will read the article. I recommend we reopen
settlement talks now; I will send a proposal.

Separately, Priya should start a leak review. Keep it small.

Rebecca
""", cases=["re-upper"])

mail("E06", "eml/compliance/2024-02-13_who-accessed-the-memo.eml", f"""\
From: {PRIYA}
To: {ELENA}
Subject: Who accessed the Storfjord assessment memo?
Date: Tue, 13 Feb 2024 08:12:30 +0100
Message-ID: {ID_E06}
Sensitivity: Private
MIME-Version: 1.0
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: 7bit

Elena,

Confidentially: The Harbour Ledger has what looks like Magnus's
internal assessment of 15 January. It went to Ingrid and Sofie only.

Can you pull the access log of Management/Board/2024 on the file share
and the print server log for 15-31 January? Please keep this between
us and Ingrid.

Priya
""", cases=[])

mail("M27", "mbox/ingrid-halvorsen-press.mbox", f"""\
From: {INGRID}
Content-Type: text/plain;
\tcharset=us-ascii
Content-Transfer-Encoding: 7bit
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.300.61.1.2\\))
Subject: Re: Request for comment: Storfjord Spirit maintenance memo
Date: Tue, 13 Feb 2024 16:40:17 +0100
References: {ID_24}
To: Oliver Kask <tips@harbour-ledger.example>
Cc: newsdesk@harbour-ledgr.example
In-Reply-To: {ID_24}
Message-Id: {ID_27}
X-Mailer: Apple Mail (2.3774.300.61.1.2)

Dear Mr Kask,

Statement from Halvorsen Marine Logistics:

"HML does not comment on leaked documents or on matters that are the
subject of arbitration. The safety of our crews and of the cargo
entrusted to us is our first priority. The crane in question was fully
overhauled in January 2024 and has been inspected by the
classification society."

Kind regards,
Ingrid Halvorsen
CEO, Halvorsen Marine Logistics AS
""", cases=[])

DSN_HEADERS = f"""\
From: {INGRID}
Subject: Re: Request for comment: Storfjord Spirit maintenance memo
Date: Tue, 13 Feb 2024 16:40:17 +0100
To: Oliver Kask <tips@harbour-ledger.example>
Cc: newsdesk@harbour-ledgr.example
Message-Id: {ID_27}
"""

mail("DSN", "mbox/ingrid-halvorsen-press.mbox", f"""\
Return-Path: <>
Received: by mx1.halvorsen-marine.example (Postfix)
\tid 4TZQ0w1Rbpz6d; Tue, 13 Feb 2024 16:40:52 +0100 (CET)
Date: Tue, 13 Feb 2024 16:40:52 +0100 (CET)
From: MAILER-DAEMON@mx1.halvorsen-marine.example (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: ingrid.halvorsen@halvorsen-marine.example
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="4TZQ0w1Rbpz6d.1707838852/mx1.halvorsen-marine.example"
Content-Transfer-Encoding: 8bit
Message-Id: <20240213154052.4TZQ0w1Rbpz6d@mx1.halvorsen-marine.example>

This is a MIME-encapsulated message.

--4TZQ0w1Rbpz6d.1707838852/mx1.halvorsen-marine.example
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx1.halvorsen-marine.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<newsdesk@harbour-ledgr.example>: Host or domain name not found. Name service
    error for name=harbour-ledgr.example type=MX: Host not found, try again

--4TZQ0w1Rbpz6d.1707838852/mx1.halvorsen-marine.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx1.halvorsen-marine.example
X-Postfix-Queue-ID: 4TZPzw0QnKz5c
X-Postfix-Sender: rfc822; ingrid.halvorsen@halvorsen-marine.example
Arrival-Date: Tue, 13 Feb 2024 16:40:18 +0100 (CET)

Final-Recipient: rfc822; newsdesk@harbour-ledgr.example
Original-Recipient: rfc822;newsdesk@harbour-ledgr.example
Action: failed
Status: 5.4.4
Diagnostic-Code: X-Postfix; Host or domain name not found. Name service error
    for name=harbour-ledgr.example type=MX: Host not found, try again

--4TZQ0w1Rbpz6d.1707838852/mx1.halvorsen-marine.example
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

{DSN_HEADERS}
--4TZQ0w1Rbpz6d.1707838852/mx1.halvorsen-marine.example--
""", cases=["dsn", "auto-reply"])

UUE_LOG = b"""\
# hml-print01 job log 2024-01-15..2024-01-31, filter: name ~ "assessment"
2024-01-15 14:02:11 job 88213 magnus.berg     MFP-2F-EAST       Storfjord_internal_assessment.txt  4 p
2024-01-16 08:47:55 job 88240 sofie.lindqvist MFP-3F            Storfjord_internal_assessment.txt  4 p
2024-01-29 17:31:02 job 88911 mfp-guest       MFP-1F-RECEPTION  scan-to-usb                        4 p
# share access Management/Board/2024/Storfjord_internal_assessment.txt
2024-01-15 13:56:40 read magnus.berg
2024-01-15 14:20:03 read ingrid.halvorsen
2024-01-16 08:46:12 read sofie.lindqvist
"""

mail("E07", "eml/compliance/2024-02-14_re-who-accessed-the-memo.eml", f"""\
Date: Wed, 14 Feb 2024 11:27:05 +0100
From: {ELENA}
To: {PRIYA}
Subject: Re: Who accessed the Storfjord assessment memo?
Message-ID: <20240214102705.GC2201@it-ws01.halvorsen-marine.example>
References: {ID_E06}
In-Reply-To: {ID_E06}
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
Content-Disposition: inline
User-Agent: Mutt/2.2.12 (2023-09-09)

Priya,

File share: only Magnus, Ingrid and Sofie opened the file.

Print server: Magnus printed it on 15 Jan, Sofie on 16 Jan. The
interesting line is the scan-to-USB on the reception MFP on 29 January
at 17:31, 4 pages, guest account. The MFP export tool cannot attach
files, so the log is uuencoded below.

CCTV at reception is kept for 30 days, so we have until 28 February.

Elena

{uuencode("print-log-2024-01.txt", UUE_LOG)}
""", cases=["uuencode", "re"])

mail("M28", "mbox/ingrid-halvorsen-press.mbox", f"""\
Return-Path: <oliver.kask@harbour-ledger.example>
Received: from out-7.harbour-ledger.example (out-7.harbour-ledger.example [203.0.113.17])
\tby mx1.halvorsen-marine.example (Postfix) with ESMTPS id 4TZvB81mKqz2s
\tfor <ingrid.halvorsen@halvorsen-marine.example>; Wed, 14 Feb 2024 10:12:47 +0100 (CET)
From: {OLIVER}
Reply-To: Oliver Kask <tips@harbour-ledger.example>
To: {INGRID}
Subject: Re: Request for comment: Storfjord Spirit maintenance memo
Date: Wed, 14 Feb 2024 09:12:44 +0000
Message-ID: <170790196403.52094.7730291845113@newsroom.harbour-ledger.example>
In-Reply-To: {ID_27}
References: {ID_24} {ID_27}
MIME-Version: 1.0
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: 7bit

Dear Ms Halvorsen,

Thank you for the statement, which we will carry in full.

For completeness: two independent sources have confirmed that the crane
service was deferred in August. The article will run on Friday
16 February. Would you be available for a short interview on Thursday?

Kind regards,
Oliver Kask
""", cases=["re", "reply-to"])

mail("E08", "eml/compliance/2024-02-15_leak-review-preliminary.eml", f"""\
From: {PRIYA}
To: {INGRID}
Subject: Leak review - preliminary findings
Date: Thu, 15 Feb 2024 17:03:39 +0100
Message-ID: <HE1P190MB09A2C8E0F2A4@HE1P190MB09A2.eurprd90.halvorsen-marine.example>
Sensitivity: Company-Confidential
Importance: high
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

{qp('''Ingrid,

Preliminary findings, for you only:

1. Only Magnus, you and Sofie opened the memo on the file share.
2. Printed copies: Magnus (15 Jan) and Sofie (16 Jan).
3. On 29 January at 17:31 someone scanned 4 pages to a USB stick on the reception MFP, using the guest account. CCTV footage for that evening has been secured.
4. The journalist's quote matches the e-mail body, not the attachment – so the source may have had the e-mail itself, not the printout.

Next steps: interview the cleaning contractor and the evening receptionist; check who the memo e-mail was forwarded to.

Priya''')}
""", cases=[])

mail("J", "mbox/ingrid-halvorsen.mbox", f"""\
Return-Path: <intranet@halvorsen-marine.example>
From: {HANNA}
Sender: HML Intranet <intranet@halvorsen-marine.example>
To: {INGRID}
Subject: Travel: London 20-21 February
Date: Thu, 15 Feb 2024 10:15:00 +0100
X-Mailer: hml-intranet/1.4 (travel booking)
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Ingrid,

your trip is booked:

  Tue 20 Feb  07:05  Bergen -> London, arrival 08:10 local time
              Hotel: The Quayside, 2 nights (confirmation HQ-55871)
  Wed 21 Feb  10:00  Thornfield & Okafor LLP - meeting with Rebecca
                     Thornfield on the Castellan arbitration
  Thu 22 Feb  17:40  London -> Bergen, arrival 20:35

Hanna Solberg – Executive Assistant to the CEO
""", enc="utf-8", cases=["no-message-id", "sender", "body-utf8-8bit"])

NEWSLETTER_HTML = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>The Harbour Ledger Daily - 16 February 2024</title>
<style>
body { font-family: Georgia, serif; max-width: 640px; margin: 0 auto; color: #222; }
h1 { font-size: 24px; line-height: 1.2; }
.kicker { color: #8a1c1c; text-transform: uppercase; font-size: 12px; letter-spacing: 1px; }
.foot { font-size: 11px; color: #777; border-top: 1px solid #ccc; margin-top: 2em; }
</style>
</head>
<body>
<p class="kicker">Exclusive &middot; Short sea</p>
<h1>Bergen operator deferred crane service months before Rotterdam drop, memo shows</h1>
<p><em>By Oliver Kask &middot; 16 February 2024</em></p>
<p>Halvorsen Marine Logistics postponed a manufacturer-mandated overhaul of a deck crane on the
<strong>MV Storfjord Spirit</strong> in August 2023 to protect its quarterly result, according to an
internal assessment seen by <em>The Harbour Ledger</em>. Three months later the crane&#8217;s hoist brake
failed in Rotterdam and a 12-tonne steel coil fell onto the hatch coaming.</p>
<p>The incident kept the vessel in port for nine days and is at the heart of a demurrage dispute
with charterer Castellan Freight Lines, which has gone to arbitration in London.</p>
<p>In a statement, HML said it &ldquo;does not comment on leaked documents or on matters that are
the subject of arbitration&rdquo; and that the crane was fully overhauled in January.</p>
<p><a href="https://harbour-ledger.example/2024/02/16/storfjord-spirit-crane-memo">Read the full story</a></p>
<p class="foot">You receive The Harbour Ledger Daily because you subscribed with
ingrid.halvorsen@halvorsen-marine.example.
<a href="https://harbour-ledger.example/newsletter/unsubscribe?u=7f3a9c21">Unsubscribe</a></p>
</body>
</html>
"""

mail("NL", "mbox/ingrid-halvorsen-press.mbox", f"""\
Return-Path: <bounce-7f3a9c21@newsletter.harbour-ledger.example>
Received: from mta3.newsletter.harbour-ledger.example (mta3.newsletter.harbour-ledger.example [203.0.113.45])
\tby mx1.halvorsen-marine.example (Postfix) with ESMTPS id 4Tbh2M6yQvz9w
\tfor <ingrid.halvorsen@halvorsen-marine.example>; Fri, 16 Feb 2024 07:00:04 +0100 (CET)
From: The Harbour Ledger Daily <newsletter@harbour-ledger.example>
Reply-To: The Harbour Ledger <letters@harbour-ledger.example>
To: ingrid.halvorsen@halvorsen-marine.example
Subject: Bergen operator deferred crane service months before Rotterdam drop
Date: Fri, 16 Feb 2024 06:00:00 +0000
Message-ID: <nl-20240216-0600.7f3a9c21@newsletter.harbour-ledger.example>
List-Id: The Harbour Ledger Daily <daily.harbour-ledger.example>
List-Unsubscribe: <https://harbour-ledger.example/newsletter/unsubscribe?u=7f3a9c21>,
 <mailto:unsubscribe-7f3a9c21@newsletter.harbour-ledger.example>
List-Unsubscribe-Post: List-Unsubscribe=One-Click
Precedence: bulk
MIME-Version: 1.0
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

{qp(NEWSLETTER_HTML)}
""", cases=["html-only", "reply-to"])

mail("L3", "mbox/all-staff.mbox", f"""\
Return-Path: <all-staff-bounces@halvorsen-marine.example>
From: {INGRID}
To: All staff <all-staff@halvorsen-marine.example>
Subject: [All-staff] About this week's press coverage
Date: Fri, 16 Feb 2024 12:30:41 +0100
Message-Id: <E5A17C3B-9D24-4F86-A0B1-6C2E8D4F7A93@halvorsen-marine.example>
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.300.61.1.2\\))
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit
List-Id: HML all staff <all-staff.halvorsen-marine.example>
Precedence: list
Sender: all-staff-bounces@halvorsen-marine.example

Dear colleagues,

Many of you will have seen today's article in The Harbour Ledger about
Storfjord Spirit. I understand it is unsettling.

From Monday 19 February, all press enquiries go to Priya Raman. Please
do not comment to journalists, on social media or to customers; refer
them to Priya.

The retention notice of 5 December is still in force.

Ingrid
""", cases=["list", "sender", "mboxrd-from"])

# ----- Thread 7: settlement (March - May 2024) -----------------------------

mail("S4", "maildir/sofie.lindqvist/new", f"""\
From: {HANNA}
To: {SOFIE}
Cc: {INGRID}
Subject: Board pack - draft agenda for 20 March
Message-ID: <20240312150244.hanna.7731@hml-ws12.halvorsen-marine.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Sofie,

draft agenda for the board meeting on 20 March - can you send the
finance papers by Friday?

  1. Accounts Q4 2023 (S. Lindqvist)
  2. Castellan arbitration - status (R. Thornfield)
  3. Press coverage and leak review (P. Raman)
  4. Budget 2024 revision - dry-dock overrun (M. Berg)
  5. Maintenance deferral policy (M. Berg)

Hanna
""", when="2024-03-12T16:02:44+01:00", cases=["no-date", "cc"])

mail("E03", "eml/operations/2024-03-14_kran-2-rapport.eml", f"""\
Received: from terminal-pc04.halvorsen-marine.example (terminal-pc04 [10.20.1.44])
\tby mx1.halvorsen-marine.example (Postfix) with SMTP id 4TwK1h3NqSz7b
\tfor <magnus.berg@halvorsen-marine.example>; Thu, 14 Mar 2024 07:45:12 +0100 (CET)
From: {LARS}
To: {MAGNUS}
Cc: {TOMAS}
Subject: Dekkskran 2 - rapport etter overhaling i dokk
Date: 14.03.2024 kl. 07:45
Message-Id: <20240314074512.lars.4471@terminal-pc04.halvorsen-marine.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit
X-Mailer: Terminal-Mail 2.1

Hei Magnus,

Rapport fra Kessler etter overhalingen i dokk:

- Bremsebelegg på hovedvinsjen slitt ned til 2 mm (grense 6 mm)
- Trommellager skadet, skiftet
- Wire skiftet, ny prøvebelastning godkjent av klassen 12. mars

Kessler skriver at bruddet i november "samsvarer med forsinket
service". Tomas, du ba om rapporten til advokaten.

Hilsen
Lars
""", enc="utf-8", cases=["bad-date", "body-utf8-8bit"])

mail("E04", "eml/operations/2024-03-18_kaiplan-uke-12.eml", f"""\
From: {LARS}
To: {MAGNUS}, {TOMAS}, {DMITRI}
Subject: =?UTF-8?Q?Kaiplan_uke_12_=E2=80=93_oppdatert
Date: Mon, 18 Mar 2024 07:12:26 +0100
Message-Id: <20240318071226.lars.4502@terminal-pc04.halvorsen-marine.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="=-=kaiplan-uke12=-="
X-Mailer: Terminal-Mail 2.1

--=-=kaiplan-uke12=-=
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

{qp('''Hei alle,

Oppdatert kaiplan for uke 12 vedlagt: Storfjord Spirit på kai 1 (rød), Nordlys Trader kai 2 (oransje), Fjordgull kai 3 (grønn).

Storfjord Spirit går ut torsdag kl. 18.00 med begge kraner i drift.

Lars''')}
--=-=kaiplan-uke12=-=
Content-Type: image/png; name="kaiplan-uke12.png"
Content-Disposition: attachment; filename="kaiplan-uke12.png"
Content-Transfer-Encoding: base64

{b64(PNG)}
--=-=kaiplan-uke12=-=--
""", cases=["bad-ew", "att-png"])

SETTLEMENT_TXT = """\
WITHOUT PREJUDICE - SAVE AS TO COSTS
Castellan Freight Lines Inc. v Halvorsen Marine Logistics AS
Charter party HML-CFL-2023-07, invoice INV-2023-1147

Draft terms of settlement (for discussion, 18 March 2024)

1. Castellan pays HML USD 95,000 within 14 days, in full and final
   settlement of invoice INV-2023-1147 (USD 166,500).
2. HML issues a credit note for USD 71,500.
3. Castellan withdraws cargo claim CFL-CL-23-0388; HML pays USD 22,000
   towards the damaged coil.
4. Each party bears its own costs. The arbitration is discontinued.
5. The terms are confidential. No admission of liability by either
   party.
"""

SETTLEMENT_MAIL_TEXT = """\
Tomas, Ingrid,

Following our meeting on 21 February and the article, I attach draft
terms for a without prejudice proposal to Castellan.

In short: USD 95,000 for the demurrage (57% of the invoice), and
USD 22,000 towards the coil in exchange for withdrawal of the cargo
claim. My view is that this is better than what we can expect in
arbitration once the maintenance records are disclosed.

Please confirm by Wednesday and I will send it to Marcus Reyes.

Kind regards,
Rebecca

Rebecca Thornfield
Partner, Thornfield & Okafor LLP, London
"""

SETTLEMENT_MAIL_HTML = """\
<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<style><!-- p.MsoNormal { margin: 0cm; font-size: 11pt; font-family: "Calibri", sans-serif; } --></style>
</head><body lang="EN-GB">
<div class="WordSection1">
<p class="MsoNormal">Tomas, Ingrid,</p>
<p class="MsoNormal">&nbsp;</p>
<p class="MsoNormal">Following our meeting on 21 February and the article, I attach draft terms for a <i>without prejudice</i> proposal to Castellan.</p>
<p class="MsoNormal">&nbsp;</p>
<p class="MsoNormal">In short: USD 95,000 for the demurrage (57% of the invoice), and USD 22,000 towards the coil in exchange for withdrawal of the cargo claim. My view is that this is better than what we can expect in arbitration once the maintenance records are disclosed.</p>
<p class="MsoNormal">&nbsp;</p>
<p class="MsoNormal">Please confirm by Wednesday and I will send it to Marcus Reyes.</p>
<p class="MsoNormal">&nbsp;</p>
<p class="MsoNormal">Kind regards,<br>Rebecca</p>
<p class="MsoNormal">&nbsp;</p>
<p class="MsoNormal"><b>Rebecca Thornfield</b><br>Partner, Thornfield &amp; Okafor LLP, London</p>
</div></body></html>
"""

SETTLEMENT_FN = "Without prejudice – settlement terms Castellan v HML.txt"
_fn = pct(SETTLEMENT_FN)
_cut = _fn.index("%20Castellan")

mail("E11", ["eml/legal/2024-03-18_without-prejudice-settlement-proposal.eml",
             "maildir/tomas.eriksen/cur"], f"""\
Return-Path: <rthornfield@thornfield-okafor.example>
Delivered-To: tomas.eriksen@halvorsen-marine.example
From: {REBECCA}
To: {TOMAS}
CC: {INGRID}
Subject: Castellan v HML - without prejudice settlement proposal
Thread-Topic: Castellan v HML - without prejudice settlement proposal
Thread-Index: Adp5Xk9TqzB1m0wTQ7yKc2vN4f8hGw==
Date: Mon, 18 Mar 2024 16:20:33 +0000
Message-ID: {ID_E11}
Accept-Language: en-GB, en-US
Content-Language: en-GB
X-MS-Has-Attach: yes
MIME-Version: 1.0
Content-Type: multipart/mixed;
\tboundary="_004_LO2P265MB0192A7D1E3F5B9C0LO2P265MB0192GBRP_"

--_004_LO2P265MB0192A7D1E3F5B9C0LO2P265MB0192GBRP_
Content-Type: multipart/alternative;
\tboundary="_000_LO2P265MB0192A7D1E3F5B9C0LO2P265MB0192GBRP_"

--_000_LO2P265MB0192A7D1E3F5B9C0LO2P265MB0192GBRP_
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

{qp(SETTLEMENT_MAIL_TEXT)}

--_000_LO2P265MB0192A7D1E3F5B9C0LO2P265MB0192GBRP_
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

{qp(SETTLEMENT_MAIL_HTML)}

--_000_LO2P265MB0192A7D1E3F5B9C0LO2P265MB0192GBRP_--

--_004_LO2P265MB0192A7D1E3F5B9C0LO2P265MB0192GBRP_
Content-Type: text/plain; charset="utf-8";
\tname*0*=UTF-8''{_fn[:_cut]};
\tname*1*={_fn[_cut:]}
Content-Description: settlement terms
Content-Disposition: attachment;
\tfilename*0*=UTF-8''{_fn[:_cut]};
\tfilename*1*={_fn[_cut:]};
\tsize={len(SETTLEMENT_TXT.encode())}; creation-date="Mon, 18 Mar 2024 16:12:00 GMT"
Content-Transfer-Encoding: base64

{b64(SETTLEMENT_TXT)}

--_004_LO2P265MB0192A7D1E3F5B9C0LO2P265MB0192GBRP_--
""", crlf=True, flags="FS",
     cases=["alternative", "att-txt", "fn-2231-cont", "crlf", "dup"])

mail("E12", "eml/legal/2024-03-20_re-without-prejudice-settlement-proposal.eml", f"""\
Message-ID: <f0e1d2c3-b4a5-4968-8776-a5b4c3d2e1f0@halvorsen-marine.example>
Date: Wed, 20 Mar 2024 09:48:15 +0100
MIME-Version: 1.0
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101
 Thunderbird/115.8.1
Subject: Re: Castellan v HML - without prejudice settlement proposal
Content-Language: en-GB
To: {REBECCA}
Cc: {INGRID}
References: {ID_E11}
From: {TOMAS}
In-Reply-To: {ID_E11}
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 7bit

Rebecca,

Ingrid and the board approved the terms yesterday. Please send them to
Marcus. Our floor for the demurrage is USD 90,000 if they push back.

Tomas
""", cases=[])

mail("M36", "maildir/tomas.eriksen/new", f"""\
Return-Path: <dwhitcombe@castellan-freight.test>
Delivered-To: tomas.eriksen@halvorsen-marine.example
{RECEIVED_CFL % ("4V7Lh0J2PRz3y", "tomas.eriksen@" + HML, "Tue, 02 Apr 2024 17:31:47 +0200")}
MIME-Version: 1.0
From: {DANA}
Date: Tue, 2 Apr 2024 08:31:44 -0700
Message-ID: {ID_36}
Subject: Settlement - Castellan / HML
To: {TOMAS}
Cc: {SOFIE}, {MARCUS}
Content-Type: text/plain; charset="UTF-8"

Tomas,

Marcus tells me the lawyers have agreed the terms: USD 95,000 to HML,
credit note for the balance of INV-2023-1147, and the cargo claim is
withdrawn against USD 22,000.

Sofie, could you send me the payment details? We will pay this month.

On a personal note: glad this is over. Let's talk about the next
rotation.

Dana
""", cases=[])

mail("S3", "maildir/sofie.lindqvist/cur", f"""\
From: {SOFIE}
To: {DANA}
Cc: {TOMAS}
Subject: RE: Settlement - Castellan / HML
Thread-Topic: Settlement - Castellan / HML
Date: Wed, 3 Apr 2024 10:22:18 +0200
Message-ID: <HE1P190MB2214E5C7A9B1@HE1P190MB2214.eurprd90.halvorsen-marine.example>
References: {ID_36}
In-Reply-To: {ID_36}
MIME-Version: 1.0
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: 7bit

Dear Dana,

Please pay USD 95,000 to the account on our credit note CN-2024-0031
(sent separately), quoting INV-2023-1147. The credit note covers the
balance of USD 71,500.

Kind regards,
Sofie Lindqvist
CFO, Halvorsen Marine Logistics AS
""", cases=["re-upper"])

mail("L4", "mbox/all-staff.mbox", f"""\
Return-Path: <all-staff-bounces@halvorsen-marine.example>
From: {INGRID}
To: All staff <all-staff@halvorsen-marine.example>
Subject: [All-staff] Castellan matter closed
Date: Mon, 6 May 2024 09:15:03 +0200
Message-Id: <0D3F5A7C-2E4B-4C6D-8E9F-1A2B3C4D5E6F@halvorsen-marine.example>
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.500.171.1.1\\))
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit
List-Id: HML all staff <all-staff.halvorsen-marine.example>
Precedence: list
Sender: all-staff-bounces@halvorsen-marine.example

Dear colleagues,

The dispute with Castellan Freight Lines has been settled and the
arbitration is withdrawn. The retention notice of 5 December is lifted
for Castellan matters; documents about crane 2 must still be kept.

From June, deferring any maker's maintenance needs my written approval
and a risk note from Lars's team.

Thank you for your patience.

Ingrid
""", cases=["list", "sender", "mboxrd-from"])

# ---------------------------------------------------------------------------
# Documents that are not mail
# ---------------------------------------------------------------------------

NOTES_TXT = """\
CRISIS MEETING - 13 FEBRUARY 2024, 08:30, BOARD ROOM
Notes: Hanna Solberg

Present: Ingrid Halvorsen (CEO), Magnus Berg (COO), Sofie Lindqvist (CFO),
Tomas Eriksen (Chartering), Priya Raman (Compliance).
Rebecca Thornfield (Thornfield & Okafor) by phone from 09:00.

1. The Harbour Ledger
   Oliver Kask has a copy of Magnus's internal assessment of 15 January
   (the Storfjord Spirit crane 2 memo) and quotes it word for word.
   Deadline for comment: Wednesday 14 February, 12:00 GMT.
   Decision: holding statement only, drafted by Rebecca. Ingrid replies.

2. Leak review
   Priya leads, with Elena (IT) for the logs. Small circle: Ingrid,
   Priya, Elena. Magnus and Sofie are not to be involved, as the memo's
   only other recipients.

3. Castellan
   Rebecca: the memo makes our position on clause 9.3 hard to hold in
   arbitration. Reopen settlement talks; target USD 90-100k for the
   demurrage invoice INV-2023-1147 (USD 166,500).

4. Staff
   Ingrid writes to all staff on Friday once the article is out.
   Press enquiries to Priya from Monday 19 February.

Action items
- Rebecca: holding statement (today), settlement proposal (by 18 March)
- Priya/Elena: access and print logs, CCTV reception 29 January
- Sofie: provision for Castellan receivable and cargo claim
- Magnus: maintenance deferral policy for the board on 20 March
"""

BUDGET_CSV = """\
cost_centre,line,period,budget_nok,actual_nok,comment
4100,Storfjord Spirit - crew,2023-Q3,2450000,2431870,
4100,Storfjord Spirit - bunkers,2023-Q3,3120000,3296400,fuel price increase
4120,Storfjord Spirit - crane 2 five-year service (Kessler),2023-Q3,340000,0,"deferred to dry-dock 2024-Q1 (M. Berg, 10.08.2023)"
4100,Storfjord Spirit - crew,2023-Q4,2450000,2518300,
4410,Crew welfare - satellite data,2023-Q4,60000,81250,"Rotterdam layover 6-15 Nov"
4120,Storfjord Spirit - dry-dock incl. crane 2 service,2024-Q1,1850000,2264300,"overrun: brake, drum bearing and wire replaced"
5200,Legal fees - Castellan arbitration,2023-Q4,0,212000,Thornfield & Okafor
5200,Legal fees - Castellan arbitration,2024-Q1,150000,318500,Thornfield & Okafor
5200,Legal fees - Castellan arbitration,2024-Q2,250000,96000,settled April 2024
6100,Demurrage income - Castellan (INV-2023-1147),2024-Q2,1803000,1029000,"USD 95,000 received; credit note CN-2024-0031 USD 71,500"
6150,Cargo claim CFL-CL-23-0388,2024-Q2,0,-238000,USD 22000 towards damaged coil
"""

# ---------------------------------------------------------------------------
# Building the tree
# ---------------------------------------------------------------------------


def mail_time(m):
    """Unix time for the mbox separator / Maildir name: Date, else m.when."""
    try:
        msg = email.message_from_bytes(m.data)
        dt = email.utils.parsedate_to_datetime(msg["Date"]) if msg["Date"] else None
    except (TypeError, ValueError, IndexError):
        dt = None
    if dt is None or dt.tzinfo is None:
        assert m.when, "%s needs when=" % m.key
        from datetime import datetime
        dt = datetime.fromisoformat(m.when)
    return int(dt.timestamp())


def envelope_sender(m):
    msg = email.message_from_bytes(m.data.lstrip(b"\r\n"))
    rp = msg.get("Return-Path", "")
    addr = email.utils.parseaddr(rp)[1] if rp.strip() not in ("", "<>") else ""
    if rp.strip() == "<>":
        return "MAILER-DAEMON"
    return addr or email.utils.parseaddr(msg.get("From", ""))[1] or "MAILER-DAEMON"


def mboxrd_entry(m):
    """'From ' line + message with ^>*From quoted (mboxrd) + a blank line."""
    assert not m.crlf, "mbox members are LF-only here"
    sep = "From %s %s\n" % (envelope_sender(m), time.asctime(time.gmtime(mail_time(m))))
    body = re.sub(rb"(?m)^(>*From )", rb">\1", m.data)
    assert body.endswith(b"\n")
    return sep.encode("ascii") + body + b"\n"


def maildir_name(m, sub, n):
    h = hashlib.sha256(m.data).hexdigest()
    usec = int(h[:5], 16) % 1000000
    pid = 1000 + int(h[5:9], 16) % 30000
    name = "%d.M%dP%d.hml-mail01" % (mail_time(m), usec, pid)
    if sub == "cur":
        name += ":2," + "".join(sorted(m.flags))
    return name


def build():
    """Return {relative path: bytes} for every generated file but README.md."""
    files = {}
    mboxes = defaultdict(list)
    zipped = {}
    zip_mboxes = defaultdict(list)
    n = 0
    for m in MAILS:
        for w in m.where:
            n += 1
            if w.startswith("zip:"):
                inner = w[4:]
                if inner.endswith(".mbox"):
                    zip_mboxes[inner].append(m)
                else:
                    assert inner not in zipped
                    zipped[inner] = m.data
            elif w.startswith("mbox/"):
                mboxes[w].append(m)
            elif w.startswith("maildir/"):
                sub = w.rsplit("/", 1)[1]
                assert sub in ("cur", "new")
                path = "%s/%s" % (w, maildir_name(m, sub, n))
                assert path not in files
                files[path] = m.data
            elif w.startswith("eml/"):
                assert w not in files
                files[w] = m.data
            else:
                raise ValueError(w)
    for path, ms in mboxes.items():
        files[path] = b"".join(mboxrd_entry(m) for m in ms)
    for path, ms in zip_mboxes.items():
        zipped[path] = b"".join(mboxrd_entry(m) for m in ms)
    files[ZIP_NAME] = make_zip(zipped)
    files["docs/notes.txt"] = NOTES_TXT.encode("ascii")
    files["docs/budget.csv"] = BUDGET_CSV.encode("ascii")
    files[".gitattributes"] = (
        b"# Sample mail must stay byte-for-byte as generated (CRLF files, 8-bit\n"
        b"# bodies, mbox quoting): no end-of-line conversion, no diff filters.\n"
        b"* -text\n")
    return files


def make_zip(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in sorted(members):
            zi = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            zi.create_system = 3                    # Unix
            zi.external_attr = 0o100644 << 16       # regular file, rw-r--r--
            zi.compress_type = (zipfile.ZIP_STORED if name.endswith(".mbox")
                                else zipfile.ZIP_DEFLATED)
            z.writestr(zi, members[name], compresslevel=9)
    return buf.getvalue()


# ---------------------------------------------------------------------------
# Reading the tree back: counts for the README and sanity checks
# ---------------------------------------------------------------------------

IDRE = re.compile(r"<[^<>\s]+>")


def analyse(root):
    """Parse every generated mail back; return the numbers and per-mail info."""
    items = []  # dicts: fmt, container, loc, data (bytes as stored / as read)

    def add(fmt, container, loc, data):
        items.append(dict(fmt=fmt, container=container, loc=loc, data=data))

    for p in sorted((root / "mbox").glob("*.mbox")):
        rel = p.relative_to(root).as_posix()
        mb = mailbox.mbox(str(p), create=False)
        for i, k in enumerate(sorted(mb.keys()), 1):
            add("mbox", rel, "%s #%d" % (rel, i), mb.get_bytes(k))
        mb.close()
    for person in sorted((root / "maildir").iterdir()):
        md = mailbox.Maildir(str(person), factory=None, create=False)
        keys = list(md.keys())
        found = 0
        for sub in ("cur", "new"):
            for f in sorted((person / sub).iterdir()) if (person / sub).is_dir() else []:
                rel = f.relative_to(root).as_posix()
                add("maildir", person.relative_to(root).as_posix(), rel, f.read_bytes())
                found += 1
        assert found == len(keys), (person, found, len(keys))
    for f in sorted((root / "eml").rglob("*.eml")):
        rel = f.relative_to(root).as_posix()
        add("eml", rel.rsplit("/", 1)[0], rel, f.read_bytes())
    zmembers = []
    with zipfile.ZipFile(root / ZIP_NAME) as z:
        assert z.testzip() is None
        for zi in z.infolist():
            zmembers.append(zi.filename)
            data = z.read(zi)
            loc = "%s: %s" % (ZIP_NAME, zi.filename)
            if zi.filename.endswith(".eml"):
                add("zip", ZIP_NAME, loc, data)
            elif zi.filename.endswith(".mbox"):
                with tempfile.TemporaryDirectory() as td:
                    tp = Path(td) / "x.mbox"
                    tp.write_bytes(data)
                    mb = mailbox.mbox(str(tp), create=False)
                    for i, k in enumerate(sorted(mb.keys()), 1):
                        add("zip", ZIP_NAME, "%s #%d" % (loc, i), mb.get_bytes(k))
                    mb.close()
    # parse each one twice: compat32 (never raises) and the modern policy
    for it in items:
        msg = email.message_from_bytes(it["data"])
        modern = email.message_from_bytes(it["data"], policy=email.policy.default)
        for h in ("Subject", "From", "To", "Cc", "Date", "Message-ID"):
            try:
                modern.get(h)            # header parsing must not raise
            except Exception as e:       # pragma: no cover
                raise SystemExit("%s: header %s: %r" % (it["loc"], h, e))
        list(modern.walk())
        it["msg"], it["modern"] = msg, modern
        it["mid"] = (IDRE.findall(msg.get("Message-ID", "") or "") or [None])[0]
        refs = []
        for h in ("References", "In-Reply-To"):
            for r in IDRE.findall(msg.get(h, "") or ""):
                if r not in refs:
                    refs.append(r)
        it["refs"] = refs
        it["parent"] = (IDRE.findall(msg.get("In-Reply-To", "") or "")
                        or IDRE.findall(msg.get("References", "") or "")[-1:] or [None])[-1]
        it["sha"] = hashlib.sha256(it["data"]).hexdigest()
        it["defects"] = sorted({type(d).__name__ for part in msg.walk() for d in part.defects}
                               | {type(d).__name__ for d in msg.defects})
    return items, zmembers


def attachments_of(msg):
    out = []
    for part in msg.walk():
        ctype = part.get_content_type()
        fn = part.get_filename()
        if fn:
            fn = str(email.header.make_header(email.header.decode_header(fn)))
        if ctype == "message/rfc822":
            out.append((fn or "(message/rfc822)", ctype))
        elif fn and not part.is_multipart():
            out.append((fn, ctype))
        elif not part.is_multipart() and ctype == "text/plain":
            payload = part.get_payload(decode=True) or b""
            for mm in re.finditer(rb"(?m)^begin [0-7]{3} (\S+)$", payload):
                out.append((mm.group(1).decode(), "uuencoded"))
    return out


def summarise(root):
    items, zmembers = analyse(root)
    per_fmt = Counter(it["fmt"] for it in items)
    per_container = OrderedDict()
    for it in items:
        per_container.setdefault((it["fmt"], it["container"]), []).append(it)
    groups = defaultdict(list)
    for it in items:
        if it["fmt"] != "mbox":        # whole files: eml, maildir, zip members
            groups[it["sha"]].append(it)
    dups = [g for g in groups.values() if len(g) > 1]
    dup_locs = {it["loc"] for g in dups for it in g[1:]}
    unique = [it for it in items if it["loc"] not in dup_locs]
    present = {it["mid"] for it in unique if it["mid"]}
    ghosts = sorted({r for it in unique for r in it["refs"]} - present)
    no_mid = [it for it in unique if not it["mid"]]
    att = [(it["loc"], fn, ct) for it in unique for fn, ct in attachments_of(it["msg"])]
    # threads: connected components over Message-ID links (ghosts included)
    parent = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for i, it in enumerate(unique):
        node = it["mid"] or "#%d" % i
        find(node)
        for r in it["refs"]:
            parent[find(r)] = find(node)
    comps = defaultdict(list)
    for i, it in enumerate(unique):
        comps[find(it["mid"] or "#%d" % i)].append(it)
    threads = []
    for comp in comps.values():
        if len(comp) < 2:
            continue
        depth = max(len(it["refs"]) + 1 for it in comp)
        root_it = min(comp, key=lambda it: len(it["refs"]))
        subj = str(root_it["modern"]["Subject"] or "")
        ghost_in = sorted({r for it in comp for r in it["refs"]} & set(ghosts))
        formats = sorted({it["fmt"] for it in comp})
        threads.append(dict(subject=subj, n=len(comp), depth=depth, ghosts=ghost_in,
                            formats=formats))
    threads.sort(key=lambda t: (-t["depth"], -t["n"], t["subject"]))
    return dict(items=items, unique=unique, per_fmt=per_fmt, per_container=per_container,
                dups=dups, ghosts=ghosts, no_mid=no_mid, att=att, threads=threads,
                zmembers=zmembers)


def check_consistency(s):
    """The numbers must match what the templates above say."""
    expected = sum(len(m.where) for m in MAILS)
    assert len(s["items"]) == expected, (len(s["items"]), expected)
    assert len(s["dups"]) == sum(1 for m in MAILS if len(m.where) > 1)
    assert all(len(g) == 2 for g in s["dups"])
    assert s["ghosts"] == [ID_20], s["ghosts"]
    assert ID_20 not in {it["mid"] for it in s["items"]}
    mids = [it["mid"] for it in s["unique"] if it["mid"]]
    assert len(mids) == len(set(mids)), "duplicate Message-ID"
    # weekday in Date must agree with the date itself
    for m in MAILS:
        msg = email.message_from_bytes(m.data.lstrip(b"\r\n"))
        d = msg["Date"]
        if not d:
            continue
        t = email.utils.parsedate_tz(d)
        if t is None or not re.match(r"[A-Z][a-z]{2},", d):
            continue
        dt = email.utils.parsedate_to_datetime(d)
        assert d[:3] == dt.strftime("%a"), (m.key, d)
    # mboxrd quoting really happened
    for p, pat in (("mbox/ingrid-halvorsen.mbox", rb"\n>From the start"),
                   ("mbox/ingrid-halvorsen-press.mbox", rb"\n>>From the start")):
        assert re.search(pat, (s["root"] / p).read_bytes()), p


def fmt_where(loc):
    return "`%s`" % loc


def readme(s):
    """README.md text from the analysed tree."""
    pf = s["per_fmt"]
    total = len(s["items"])
    uniq = len(s["unique"])
    lines = []
    A = lines.append
    A("<!-- Generated by make-samples.py; edit the script, not this file. -->")
    A("# samples/ - a fictional mail dump")
    A("")
    A("A small dump of the mail of **Halvorsen Marine Logistics AS** (HML), a fictional")
    A("Bergen shipping company, used by `make demo` and by the end-to-end tests. Every")
    A("person, company, address, phone number and message here is invented; domains")
    A("are `.example`/`.test`/`.invalid` only, IP addresses are RFC 5737 test ranges.")
    A("")
    A("Everything in this folder is written by `make-samples.py` (Python 3 standard")
    A("library only, deterministic: same bytes on every run):")
    A("")
    A("    python3 samples/make-samples.py          # rewrite every file")
    A("    python3 samples/make-samples.py --check  # exit 1 if any file differs")
    A("")
    A("The script parses the files back with Python's `email`, `mailbox` and")
    A("`zipfile` modules and writes the numbers below from what it read.")
    A("`.gitattributes` here sets `-text` so git never converts line endings.")
    A("")
    A("## The story (for search demos)")
    A("")
    A("June 2023: HML charters **MV Storfjord Spirit** to **Castellan Freight Lines**")
    A("(Seattle) under charter party **HML-CFL-2023-07**: demurrage USD 18,500/day")
    A("(**clause 14.2**), and a laytime exception for breakdown of the ship's gear")
    A("(**clause 9.3**) - *provided the gear was maintained per the maker's schedule*.")
    A("August 2023: supplier **Kessler Hafentechnik** quotes the five-year service of")
    A("**crane 2** (EUR 29,870, about NOK 340,000); COO Magnus Berg **defers** it to save")
    A("the quarter, against the advice of the dock foreman and the supplier.")
    A("6 November 2023: crane 2's brake fails in **Rotterdam**, a steel coil drops, the")
    A("ship loses 9 days. HML invoices **INV-2023-1147** (USD 166,500); Castellan")
    A("disputes it, lawyer **Rebecca Thornfield** advises a litigation hold.")
    A("January 2024: Magnus writes a **confidential internal assessment** admitting the")
    A("deferral. February 2024: journalist **Oliver Kask** (*The Harbour Ledger*) has the")
    A("memo - the **leak**; compliance traces a scan-to-USB on the reception printer.")
    A("March-May 2024: **settlement** at USD 95,000; the matter is closed.")
    A("")
    A("Good search terms: `Storfjord Spirit`, `crane 2`, `Kranen`/`Bordkran`, `demurrage`,")
    A("`clause 9.3`, `INV-2023-1147`, `Castellan`, `Kessler`, `leak`, `memo`, `Rotterdam`,")
    A("`Роттердам`, `横浜`, `récapitulatif`, `Fünfjahreswartung`, `dekkskran`.")
    A("")
    A("People: Ingrid Halvorsen (CEO), Hanna Solberg (assistant), Magnus Berg (COO),")
    A("Sofie Lindqvist (CFO), Tomas Eriksen (chartering), Priya Raman (compliance),")
    A("Elena Petrova (IT), Lars Nygaard (dock foreman), Dmitri Volkov (crew manager),")
    A("Jonas Weber (Hamburg), Camille Durand (Le Havre), Kenji Aoyama (Yokohama) - all")
    A("`@halvorsen-marine.example`. Outside: Dana Whitcombe and Marcus Reyes")
    A("(`castellan-freight.test`), Rebecca Thornfield (`thornfield-okafor.example`),")
    A("Oliver Kask (`harbour-ledger.example`), Klaus Kessler")
    A("(`kessler-hafentechnik.example`).")
    A("")
    A("## Counts")
    A("")
    A("A *message* is one top-level mail: one mbox entry, one Maildir file, one")
    A(".eml file, or one mbox entry / .eml member inside the zip.")
    A("")
    A("| format | where | messages |")
    A("|---|---|---:|")
    for (fmt, cont), its in s["per_container"].items():
        extra = ""
        if fmt == "maildir":
            c = Counter(it["loc"].split("/")[2] for it in its)
            extra = " (cur %d, new %d)" % (c["cur"], c["new"])
        if fmt == "zip":
            continue
        A("| %s | `%s`%s | %d |" % (fmt, cont, extra, len(its)))
    zc = Counter("mbox" if ".mbox #" in it["loc"] else "eml" for it in s["items"] if it["fmt"] == "zip")
    A("| zip | `%s` (%d .eml members + %d messages in 1 mbox member) | %d |"
      % (ZIP_NAME, zc["eml"], zc["mbox"], pf["zip"]))
    A("")
    A("| total | number |")
    A("|---|---:|")
    A("| messages in mbox files | %d |" % pf["mbox"])
    A("| messages in Maildirs | %d |" % pf["maildir"])
    A("| loose .eml files | %d |" % pf["eml"])
    A("| messages in `%s` | %d |" % (ZIP_NAME, pf["zip"]))
    A("| **all messages** | **%d** |" % total)
    A("| byte-identical duplicates | %d |" % (total - uniq))
    A("| **unique messages** | **%d** |" % uniq)
    A("| unique messages with a Message-ID (as Python's parser sees them) | %d |"
      % (uniq - len(s["no_mid"])))
    A("| unique messages without one | %d |" % len(s["no_mid"]))
    A("| ghost parents (referenced, not in the dump) | %d |" % len(s["ghosts"]))
    A("| threads (2+ messages linked by Message-ID/In-Reply-To/References) | %d |"
      % len(s["threads"]))
    A("| attachments in unique messages (see below) | %d |" % len(s["att"]))
    A("| documents that are not mail (`docs/`) | %d |" % len(s["docs"]))
    A("| files in `%s` | %d |" % (ZIP_NAME, len(s["zmembers"])))
    A("")
    A("The two messages without a Message-ID are `%s` (really has none) and"
      % [it["loc"] for it in s["no_mid"] if "mbox" in it["loc"]][0])
    A("`%s` (has one, but a blank line comes before the headers, so a strict"
      % [it["loc"] for it in s["no_mid"] if "mbox" not in it["loc"]][0])
    A("RFC 5322 parser reads the whole file as body). A parser that skips leading")
    A("blank lines sees %d Message-IDs." % (uniq - len(s["no_mid"]) + 1))
    A("")
    A("## Deliberate duplicates")
    A("")
    A("Byte-identical files (same SHA-256); a deduplicating ingest keeps one of each:")
    A("")
    for g in s["dups"]:
        A("- `%s` = `%s`" % (g[0]["loc"], g[1]["loc"]))
    A("")
    A("Not duplicates: `%s` carries a copy of the Castellan dispute letter as an"
      % [l for l, fn, ct in s["att"] if ct == "message/rfc822"][0])
    A("attached message/rfc822 part - the same Message-ID as the top-level letter in")
    A("the same Maildir, inside another message.")
    A("")
    A("## Threads")
    A("")
    A("By header links only (not by subject). Depth counts the ghost as a level.")
    A("")
    A("| first subject | messages | depth | formats | ghost |")
    A("|---|---:|---:|---|---|")
    for t in s["threads"]:
        A("| %s | %d | %d | %s | %s |" % (t["subject"].replace("|", "\\|"), t["n"], t["depth"],
                                         ", ".join(t["formats"]), " ".join(t["ghosts"]) or ""))
    A("")
    A("The ghost `%s` is Castellan's 19 December 2023 offer of 50%%: it is quoted in" % s["ghosts"][0])
    A("Tomas's reply of 8 January 2024 and listed in its References, but is not stored.")
    A("")
    A("## Attachments")
    A("")
    A("Counted: MIME parts with a file name, message/rfc822 parts, and uuencoded")
    A("blocks in plain bodies, in unique messages (parts inside an attached")
    A("message are not counted separately).")
    A("")
    A("| message | file name | type |")
    A("|---|---|---|")
    for loc, fn, ct in s["att"]:
        A("| `%s` | %s | %s |" % (loc, fn.replace("|", "\\|"), ct))
    A("")
    A("## Special cases")
    A("")
    A("| case | where |")
    A("|---|---|")
    locs = {}
    for it in s["items"]:
        locs.setdefault(it["sha"], []).append(it["loc"])
    by_key = {}
    for it in s["items"]:
        by_key.setdefault(it["key"], []).append(it["loc"])
    for case, desc in CASES.items():
        where = []
        for m in MAILS:
            if case in m.cases:
                where += by_key[m.key]
        assert where, "case %s unused" % case
        if case == "dup":
            where = [w for g in s["dups"] for w in (g[0]["loc"], g[1]["loc"])]
        A("| %s | %s |" % (desc, "<br>".join(fmt_where(w) for w in where)))
    A("")
    A("Other notes:")
    A("")
    A("- Time zones: -0800/-0700 (Seattle), +0000 (London), +0100/+0200 (Bergen,")
    A("  Hamburg, Le Havre), +0900 (Yokohama); dates run from June 2023 to May 2024.")
    A("- mbox files are **mboxrd**: `From ` separator lines (envelope sender and")
    A("  asctime date in UTC), a blank line before each separator, body lines")
    A("  matching `^>*From ` get one more `>`. All files use LF except the CRLF ones.")
    A("- Maildir file names are `<unix time>.M<usec>P<pid>.hml-mail01` (+ `:2,<flags>`")
    A("  in `cur/`); the time matches the Date header. There are no `tmp/` folders")
    A("  (git keeps no empty folders); readers should accept a Maildir with only")
    A("  `cur/` and `new/`.")
    A("- The mail without a Date header (`new/` in Sofie's Maildir) has no Received")
    A("  header either; only its Maildir file name carries a time.")
    A("- `%s` members all have the timestamp %04d-%02d-%02d %02d:%02d:%02d; .eml members"
      % ((ZIP_NAME,) + ZIP_TIME))
    A("  are deflated, the mbox member is stored. Members:")
    A("")
    for zm in s["zmembers"]:
        A("  - `%s`" % zm)
    A("")
    A("- `docs/notes.txt` (crisis meeting notes) and `docs/budget.csv` (operations")
    A("  budget with the deferred crane service) are documents, not mail.")
    A("- Ingesting the whole folder also meets %d files that are not part of the"
      % len(s["other"]))
    A("  dump: %s. Counted with them, samples/ holds %d files that are not mail."
      % (", ".join("`%s`" % f for f in s["other"]), len(s["docs"]) + len(s["other"])))
    A("- Files in samples/: %d in total (%d Maildir files, %d .eml files, %d mbox"
      % s["filecounts"])
    A("  files, 1 zip, %d documents, %d others)." % (len(s["docs"]), len(s["other"])))
    A("")
    return "\n".join(lines)


def generate(root):
    files = build()
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    s = summarise(root)
    s["root"] = root
    key_of = {}
    for m in MAILS:
        key_of.setdefault(m.data, m.key)
    for it in s["items"]:
        # mbox entries come back without the From line and with quoting; map by body
        it["key"] = key_of.get(it["data"]) or key_of.get(
            re.sub(rb"(?m)^>(>*From )", rb"\1", it["data"]))
        assert it["key"], it["loc"]
    check_consistency(s)
    s["docs"] = sorted(r for r in files if r.startswith("docs/"))
    s["other"] = sorted([r for r in files if "/" not in r and r != ZIP_NAME]
                        + ["README.md", SCRIPT])
    md = sum(1 for r in files if r.startswith("maildir/"))
    em = sum(1 for r in files if r.startswith("eml/"))
    mb = sum(1 for r in files if r.startswith("mbox/"))
    s["filecounts"] = (md + em + mb + 1 + len(s["docs"]) + len(s["other"]), md, em, mb)
    text = readme(s)
    (root / "README.md").write_bytes(text.encode("utf-8"))
    files["README.md"] = text.encode("utf-8")
    return files, s


def report(s, root):
    pf = s["per_fmt"]
    print("messages: mbox %d, maildir %d, eml %d, zip %d -> total %d, unique %d"
          % (pf["mbox"], pf["maildir"], pf["eml"], pf["zip"], len(s["items"]), len(s["unique"])))
    for (fmt, cont), its in s["per_container"].items():
        print("  %-8s %-42s %3d" % (fmt, cont, len(its)))
    print("duplicates (byte-identical): %d" % len(s["dups"]))
    for g in s["dups"]:
        print("  %s == %s" % (g[0]["loc"], g[1]["loc"]))
    print("ghost parents: %s" % " ".join(s["ghosts"]))
    print("no Message-ID: %s" % ", ".join(it["loc"] for it in s["no_mid"]))
    print("threads: %d (depths %s)" % (len(s["threads"]), [t["depth"] for t in s["threads"]]))
    print("attachments: %d" % len(s["att"]))
    print("zip members: %d" % len(s["zmembers"]))
    print("parser defects (Python email, compat32):")
    for it in s["items"]:
        if it["defects"]:
            print("  %s: %s" % (it["loc"], ", ".join(it["defects"])))
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and p.name != SCRIPT)
    print("size of generated files: %d bytes" % size)
    assert size < 300 * 1024


def zip_content(data):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(zi.filename, zi.date_time, zi.compress_type, zi.external_attr,
                 z.read(zi)) for zi in z.infolist()]


def main(argv):
    check = "--check" in argv[1:]
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        files, s = generate(tmp)
        report(s, tmp)
        on_disk = {p.relative_to(HERE).as_posix() for p in HERE.rglob("*")
                   if p.is_file() and p.name != SCRIPT and "__pycache__" not in p.parts}
        stale = sorted(on_disk - set(files))
        changed = sorted(r for r in files if not (HERE / r).is_file()
                         or (HERE / r).read_bytes() != files[r])
        if ZIP_NAME in changed and (HERE / ZIP_NAME).is_file() and \
                zip_content((HERE / ZIP_NAME).read_bytes()) == zip_content(files[ZIP_NAME]):
            # same members, names, times and data; only the deflate output of
            # this Python's zlib differs: not a change
            print("note: %s has the same content; compressed bytes differ (zlib version)"
                  % ZIP_NAME)
            changed.remove(ZIP_NAME)
        if check:
            for r in changed:
                print("differs: %s" % r)
            for r in stale:
                print("not generated: %s" % r)
            return 1 if changed or stale else 0
        for r in stale:
            (HERE / r).unlink()
        for r in changed:
            p = HERE / r
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(files[r])
        for d in sorted((p for p in HERE.rglob("*") if p.is_dir()), reverse=True):
            if not any(d.iterdir()):
                d.rmdir()
        print("wrote %d files (%d changed, %d removed)" % (len(files), len(changed), len(stale)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
