#!/usr/bin/python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""bench/run's index and query report (issue #3, and issue #4's end-to-end
search): reads what the ingest runs and the query harnesses left in
bench/work/runs/ and writes the side-by-side tables to results-index.md (and
prints them).

    report.py RUNS_DIR OUT.md      (the rest comes from B_* variables)

Per class and operation: p50 / p95 / p99 of the per-query medians, by
nearest rank, exactly as harness.h prints them; ratios are trawl / peer
(below 1: trawl is faster) in the latency tables, and peer / trawl
("x times faster") in the targets table.  Every input but trawl's own
1x figures may be missing (BENCH_QUICK=1, no baseline folder); its rows
then say "not run".
"""
import json
import math
import os
import statistics
import sys

R, MD = sys.argv[1], sys.argv[2]
E = os.environ
MiB = 1 << 20
QUICK = E.get("B_QUICK") == "1"
IN_BYTES = int(E["B_IN_BYTES"])
IN5_BYTES = int(E.get("B_IN5_BYTES") or 0)
RUNS = int(E["B_RUNS"])

OPS = [("top20_rank", "top 20 by relevance"),
       ("top20_date", "top 20 newest first"),
       ("count", "exact count")]
ENGINES = [("trawl", "trawl"), ("fts5", "FTS5"), ("xapian", "Xapian")]


def jload(name):
    p = os.path.join(R, name)
    return json.load(open(p)) if os.path.exists(p) else None


def num(name):
    p = os.path.join(R, name)
    return int(open(p).read().split()[0]) if os.path.exists(p) else None


def pct(v, p):
    """nearest rank, as harness.h"""
    if not v:
        return float("nan")
    v = sorted(v)
    r = max(1, math.ceil(p / 100 * len(v)))
    return v[min(r, len(v)) - 1]


def ms(x):
    if x is None or x != x:
        return "-"
    if x < 1:
        return "%.3f" % x
    if x < 10:
        return "%.2f" % x
    if x < 100:
        return "%.1f" % x
    return "%.0f" % x


def ratio(a, b):
    if a is None or b is None or a != a or b != b or b == 0:
        return "-"
    r = a / b
    return "%.3f" % r if r < 0.1 else "%.2f" % r if r < 10 else "%.0f" % r


def classes(run):
    out = []
    for q in run["queries"]:
        if q["class"] not in out:
            out.append(q["class"])
    return out


def cstats(run, op, cls):
    """figures of one class for one op, or None"""
    if not run:
        return None
    qs = [q["ops"][op] for q in run["queries"] if q["class"] == cls]
    if not qs:
        return None
    wall = [r["wall_med_us"] / 1e3 for r in qs]
    return dict(n=len(qs), p50=pct(wall, 50), p95=pct(wall, 95),
                p99=pct(wall, 99),
                cpu50=pct([r["cpu_med_us"] / 1e3 for r in qs], 50),
                sum=sum(r["result"] for r in qs),
                results=[r["result"] for r in qs])


class Out:
    """writes markdown to the file and an aligned copy to stdout"""

    def __init__(self, path):
        self.md = open(path, "w")

    def text(self, s=""):
        self.md.write(s + "\n")
        print(s)

    def table(self, hdr, rows, left=1):
        self.md.write("| " + " | ".join(hdr) + " |\n")
        self.md.write("|" + "|".join([":---"] * left + ["---:"] * (len(hdr) - left)) + "|\n")
        for r in rows:
            self.md.write("| " + " | ".join(r) + " |\n")
        self.md.write("\n")
        w = [max(len(t[i]) for t in [hdr] + rows) for i in range(len(hdr))]
        for j, t in enumerate([hdr] + rows):
            print("  ".join(c.ljust(w[i]) if i < left else c.rjust(w[i])
                            for i, c in enumerate(t)))
            if j == 0:
                print("  ".join("-" * x for x in w))
        print()


# ------------------------------------------------------------------ inputs
q1 = {e: jload("q-%s-1x.json" % e) for e, _ in ENGINES}
q5 = {e: jload("q-%s-5x.json" % e) for e, _ in ENGINES}
trawl1 = q1["trawl"]
CLS = classes(trawl1)
snip1 = jload("q-fts5snip-1x.json")   # issue #4: FTS5 with snippet()


def ingest(name, in_bytes, msgs_key="emails"):
    m = jload(name + ".json")
    if not m:
        return None
    m["size"] = num(name + ".size")
    m["isize"] = num(name + ".isize")
    st = jload(name + ".stats.json")
    m["msgs"] = st[msgs_key] if st else num(name + ".count")
    m["rate"] = m["msgs"] / m["wall_s"]
    m["mbs"] = in_bytes / 1e6 / m["wall_s"]
    m["cpu"] = m["user_s"] + m["sys_s"]
    return m


dirs = [ingest("dir%d" % i, IN_BYTES) for i in range(1, RUNS + 1)]
med = lambda k: statistics.median(d[k] for d in dirs)
tr1 = dict(wall_s=med("wall_s"), cpu=med("cpu"), msgs=dirs[0]["msgs"],
           size=med("size"), isize=med("isize"), tree_rss_kib=med("tree_rss_kib"))
tr1["rate"] = tr1["msgs"] / tr1["wall_s"]
tr1["mbs"] = IN_BYTES / 1e6 / tr1["wall_s"]
walls = sorted(d["wall_s"] for d in dirs)
nm = ingest("notmuch", IN_BYTES)
f1 = ingest("fts5-1x", IN_BYTES)
x5 = ingest("x5", IN5_BYTES)
f5 = ingest("fts5-5x", IN5_BYTES)

out = Out(MD)
FENCE = "`" * 3
out.text("# trawl index and query benchmark (issue #3)")
out.text()
out.text(FENCE)
out.text("date (UTC):  %s" % E["B_NOW"])
out.text("commit:      %s" % E["B_COMMIT"])
out.text("machine:     %s" % E["B_MACHINE"])
out.text("load avg:    %s at the start of the index section, %s at the end (1/5/15 min)"
         % (E["B_LOAD_START"], E["B_LOAD_END"]))
for e, name in ENGINES:
    for tag, q in (("1x", q1[e]), ("5x", q5[e])):
        if q:
            m = q["meta"]
            out.text("%-12s %s: %s, %d docs, %.0f s, load %s -> %s" % (
                name + " " + tag + ":", m["label"], m.get("version", ""),
                m.get("docs", 0), m["elapsed_s"], m["load_start"], m["load_end"]))
if snip1:
    m = snip1["meta"]
    out.text("%-12s %s: %s, %d docs, %.0f s, load %s -> %s" % (
        "FTS5 snip:", m["label"], m.get("version", ""), m.get("docs", 0),
        m["elapsed_s"], m["load_start"], m["load_end"]))
out.text("queries:     %s (%d)" % (E["B_QUERIES"], len(trawl1["queries"])))
out.text("repetitions: warm-up + %d..%d timed calls per query and op (more until %g ms)"
         % (trawl1["meta"]["min_reps"], trawl1["meta"]["max_reps"], trawl1["meta"]["target_ms"]))
out.text("section:     %s s (bench/run in all: %s s)" % (E["B_SECONDS"], E["B_TOTAL"]))
out.text(FENCE)
out.text()

# ------------------------------------------------------------------ ingest
out.text("## Ingest with indexing, and index size")
out.text()
raw_mb = IN_BYTES / 1e6
rows = [["trawl, unpacked tree (median of %d: %.1f-%.1f s)" % (RUNS, walls[0], walls[-1]),
         "%.1f" % tr1["wall_s"], "%.1f" % tr1["cpu"], "%.0f" % tr1["rate"], "%.2f" % tr1["mbs"],
         "%.1f" % (tr1["isize"] / MiB), "%.1f%%" % (100 * tr1["isize"] / IN_BYTES),
         "%.1f" % (tr1["size"] / MiB)]]
if f1:
    rows.append(["SQLite FTS5, the baseline's loader (1 run)", "%.1f" % f1["wall_s"],
                 "%.1f" % f1["cpu"], "%.0f" % f1["rate"], "%.2f" % f1["mbs"],
                 "%.1f" % (f1["size"] / MiB), "%.1f%%" % (100 * f1["size"] / IN_BYTES), "-"])
if nm:
    rows.append(["notmuch new, Xapian (1 run)", "%.1f" % nm["wall_s"], "%.1f" % nm["cpu"],
                 "%.0f" % nm["rate"], "%.2f" % nm["mbs"], "%.1f" % (nm["size"] / MiB),
                 "%.1f%%" % (100 * nm["size"] / IN_BYTES), "-"])
out.table(["engine, 1x corpus", "wall s", "CPU s", "messages/s", "MB/s", "index MiB",
           "index / raw mail", "archive MiB"], rows)
out.text("* raw mail: %d bytes (%.0f MB, the sum of the %s files' sizes). index = trawl's "
         "index/ directory (du -sb; the archive around it also holds trawl.db and the "
         "compressed originals); FTS5: the whole database file (contentless: no text, "
         "only the index and the msg table); notmuch: its whole database directory."
         % (IN_BYTES, raw_mb, E["B_NFILES"]))
out.text("* messages: trawl's emails (stats --json), FTS5's rows, notmuch count '*'. "
         "CPU = user + sys of the whole process tree (GNU time).")
out.text()

# ------------------------------------------------------------------ latency 1x
def side_by_side(op, runs, label):
    rows = []
    for c in CLS:
        s = {e: cstats(runs[e], op, c) for e, _ in ENGINES}
        t = s["trawl"]
        r = [c, str(t["n"])]
        for e, _ in ENGINES:
            x = s[e]
            r += [ms(x["p50"]), ms(x["p95"]), ms(x["p99"])] if x else ["not run", "-", "-"]
        for e in ("fts5", "xapian"):
            x = s[e]
            r += [ratio(t["p50"], x["p50"]), ratio(t["p95"], x["p95"])] if x else ["-", "-"]
        rows.append(r)
    hdr = ["class", "n"]
    for _, name in ENGINES:
        hdr += ["%s p50" % name, "p95", "p99"]
    hdr += ["trawl/FTS5 p50", "p95", "trawl/Xapian p50", "p95"]
    out.text("### %s, %s (ms)" % (label, dict(OPS)[op]))
    out.text()
    out.table(hdr, rows)


out.text("## Query latency, 1x corpus")
out.text()
out.text("p50 / p95 / p99 of the per-query medians, in ms; trawl/peer below 1 means trawl is "
         "faster. Each engine ran in its own process, one after the other; per-thread CPU "
         "p50 is in bench/work/runs/q-*.txt.")
out.text()
for op, _ in OPS:
    side_by_side(op, q1, "1x corpus")

# ------------------------------------------------------------------ matches
out.text("### Matches (sum over the class of the exact counts)")
out.text()
rows = []
for c in CLS:
    s = {e: cstats(q1[e], "count", c) for e, _ in ENGINES}
    r = [c, str(s["trawl"]["n"])] + [str(s[e]["sum"]) if s[e] else "not run" for e, _ in ENGINES]
    for e in ("fts5", "xapian"):
        if s[e]:
            pairs = list(zip(s["trawl"]["results"], s[e]["results"]))
            near = sum(1 for a, b in pairs if abs(a - b) <= max(2, 0.05 * b))
            r += ["%d/%d" % (near, len(pairs))]
        else:
            r += ["-"]
    rows.append(r)
out.table(["class", "n", "trawl", "FTS5", "Xapian (= notmuch)", "trawl ~ FTS5", "trawl ~ Xapian"], rows)
out.text("* trawl ~ peer: queries whose counts agree within max(2, 5%). The engines tokenize, "
         "stem and pick fields differently (see bench/README.md).")
out.text()

# ------------------------------------------------------------------ search
def search_section():
    """issue #4: trawl's `search` op beside fts5snip's, and their sizes"""
    out.text("## End-to-end search (issue #4), 1x corpus")
    out.text()
    if "search" not in trawl1["ops"] or not snip1:
        out.text("Not measured (qbench without the `search` op, or no fts5snip run).")
        out.text()
        return
    rows = []
    for c in CLS:
        t, f = cstats(trawl1, "search", c), cstats(snip1, "search", c)
        pairs = list(zip(t["results"], f["results"]))
        near = sum(1 for a, b in pairs if abs(a - b) <= max(2, 0.05 * b))
        rows.append([c, str(t["n"]), ms(t["p50"]), ms(t["p95"]), ms(t["p99"]),
                     ms(f["p50"]), ms(f["p95"]), ms(f["p99"]),
                     ratio(t["p50"], f["p50"]), ratio(t["p95"], f["p95"]),
                     str(t["sum"]), str(f["sum"]), "%d/%d" % (near, len(pairs))])
    out.table(["class", "n", "trawl p50", "p95", "p99", "FTS5 p50", "p95", "p99",
               "trawl/FTS5 p50", "p95", "matches trawl", "FTS5", "trawl ~ FTS5"], rows)
    out.text("* trawl: qbench's `search` op: the `notmuch` column through the query "
             "language, the exact total and the top 20 by relevance, each hit's item "
             "loaded and up to 3 passages of 160 bytes highlighted in its body. FTS5: "
             "bench/peers/fts5snip.c: count(*) for the `fts5_match` (and `fts5_where`) "
             "of the query, then the top 20 by bm25 with snippet(fts, 3, ..., 16) of the "
             "body, on an external-content table. ms; p50 / p95 / p99 of the per-query "
             "medians; trawl/FTS5 below 1 means trawl is faster; matches = the sum of "
             "the counts, trawl ~ FTS5 = queries whose counts agree within max(2, 5%).")
    ld = jload("fts5snip-1x.json")
    size = num("fts5snip-1x.size")
    isize = num("%s.isize" % E.get("B_QARCHIVE", "dir1"))
    kv = {}
    p = os.path.join(R, "fts5snip-1x.log")
    if os.path.exists(p):
        for line in open(p):
            kv.update(w.split("=", 1) for w in line.split() if "=" in w)
    if size and isize:
        out.text("* sizes: the FTS5 database %.1f MiB (its FTS5 index %.1f MiB, the docs "
                 "table with the body text and its date index %.1f MiB); trawl's index/ "
                 "%.1f MiB (its text is in trawl.db and blobs/, zstd-compressed). Load "
                 "from trawl.db: %.1f s wall (docs %s s, rebuild %s s, optimize %s s, "
                 "vacuum %s s)." % (size / MiB, int(kv.get("fts_bytes", 0)) / MiB,
                                    int(kv.get("docs_bytes", 0)) / MiB, isize / MiB,
                                    ld["wall_s"] if ld else float("nan"),
                                    kv.get("docs_s", "?"), kv.get("rebuild_s", "?"),
                                    kv.get("optimize_s", "?"), kv.get("vacuum_s", "?")))
    out.text()
    # issue #4: under 0.5 ms at p50 and under 3 ms at p99, in every class
    p50 = max((cstats(trawl1, "search", c)["p50"], c) for c in CLS)
    p99 = max((cstats(trawl1, "search", c)["p99"], c) for c in CLS)
    out.text("### Issue #4's targets, 1x corpus")
    out.text()
    out.table(["target", "measured", "met"],
              [["end to end: p50 < 0.5 ms in every class",
                "slowest: %s %s ms" % (p50[1], ms(p50[0])),
                "**yes**" if p50[0] < 0.5 else "**no**"],
               ["end to end: p99 < 3 ms in every class",
                "slowest: %s %s ms" % (p99[1], ms(p99[0])),
                "**yes**" if p99[0] < 3 else "**no**"]])
    out.text("* One run on a shared machine: read the load average above before "
             "trusting a borderline figure.")
    out.text()


search_section()

# ------------------------------------------------------------------ targets
def worst(op, key, skip=("phrase",)):
    s = [(cstats(trawl1, op, c)[key], c) for c in CLS if c not in skip]
    return max(s)


def speedups(op, peer, only=None, skip=("phrase",)):
    """peer / trawl for p50 and p95, per class; the smallest"""
    if not q1[peer]:
        return None
    out_ = []
    for c in CLS:
        if c in skip or (only and c not in only):
            continue
        t, p = cstats(trawl1, op, c), cstats(q1[peer], op, c)
        out_.append((min(p["p50"] / t["p50"], p["p95"] / t["p95"]), c,
                     p["p50"] / t["p50"], p["p95"] / t["p95"]))
    return min(out_)


def yes(ok):
    return "**yes**" if ok else "**no**"


rows = []
v, c = worst("top20_rank", "p50")
rows.append(["top 20 by relevance: p50 <= 0.1 ms in every class but phrase",
             "slowest: %s %s ms" % (c, ms(v)), yes(v <= 0.1)])
v, c = worst("top20_rank", "p95")
rows.append(["top 20 by relevance: p95 <= 1 ms in every class but phrase",
             "slowest: %s %s ms" % (c, ms(v)), yes(v <= 1)])
sp = speedups("top20_rank", "xapian")
rows.append(["top 20 by relevance: >= 3x faster than Xapian in every class but phrase (p50 and p95)",
             "least: %s %.1fx (p50 %.1fx, p95 %.1fx)" % (sp[1], sp[0], sp[2], sp[3]) if sp else "Xapian not run",
             yes(sp[0] >= 3) if sp else "-"])
ph = cstats(trawl1, "top20_rank", "phrase")
rows.append(["phrase: p95 <= 2 ms (top 20 by relevance)", "%s ms" % ms(ph["p95"]), yes(ph["p95"] <= 2)])
sp = speedups("count", "xapian", skip=())
rows.append(["exact counts faster than Xapian's in every class (p50 and p95)",
             "least: %s %.2fx (p50 %.2fx, p95 %.2fx)" % (sp[1], sp[0], sp[2], sp[3]) if sp else "Xapian not run",
             yes(sp[0] > 1) if sp else "-"])
sp = speedups("top20_rank", "fts5", only=("common",), skip=())
rows.append([">= 50x faster than FTS5 on the common class (top 20 by relevance, p50 and p95)",
             "%.0fx (p50 %.0fx, p95 %.0fx)" % (sp[0], sp[2], sp[3]) if sp else "FTS5 not run",
             yes(sp[0] >= 50) if sp else "-"])
rows.append(["ingest with indexing >= 9,000 messages/s", "%.0f messages/s (median of %d runs)"
             % (tr1["rate"], RUNS), yes(tr1["rate"] >= 9000)])
rows.append(["index/ <= 40%% of the raw mail (%.0f MB)" % raw_mb, "%.1f%% (%.1f MB)"
             % (100 * tr1["isize"] / IN_BYTES, tr1["isize"] / 1e6), yes(tr1["isize"] <= 0.4 * IN_BYTES)])
out.text("## Issue #3's targets, 1x corpus")
out.text()
out.table(["target", "measured", "met"], rows)
out.text("* x faster = peer's figure / trawl's, per class, for p50 and for p95; the least of "
         "the two over the classes is shown. One run on a shared machine: read the load "
         "average above before trusting a borderline figure.")
out.text()

# ------------------------------------------------------------------ 5x
out.text("## 5x corpus")
out.text()
if not x5:
    out.text("Not run (BENCH_QUICK=1).")
else:
    rows = [["trawl, 1x (median of %d)" % RUNS, str(tr1["msgs"]), "%.1f" % tr1["wall_s"],
             "%.1f" % tr1["cpu"], "%.0f" % tr1["rate"], "%.2f" % tr1["mbs"],
             "%.1f" % (tr1["isize"] / MiB), "%.1f%%" % (100 * tr1["isize"] / IN_BYTES),
             "%.1f" % (tr1["size"] / MiB)],
            ["trawl, 5x (1 run)", str(x5["msgs"]), "%.1f" % x5["wall_s"], "%.1f" % x5["cpu"],
             "%.0f" % x5["rate"], "%.2f" % x5["mbs"], "%.1f" % (x5["isize"] / MiB),
             "%.1f%%" % (100 * x5["isize"] / IN5_BYTES), "%.1f" % (x5["size"] / MiB)]]
    if f5:
        rows.append(["SQLite FTS5 loader, 5x (1 run)", str(f5["msgs"]), "%.1f" % f5["wall_s"],
                     "%.1f" % f5["cpu"], "%.0f" % f5["rate"], "%.2f" % f5["mbs"],
                     "%.1f" % (f5["size"] / MiB), "%.1f%%" % (100 * f5["size"] / IN5_BYTES), "-"])
    out.table(["ingest", "messages", "wall s", "CPU s", "messages/s", "MB/s", "index MiB",
               "index / raw mail", "archive MiB"], rows)
    out.text("* 5x raw mail: %d bytes (%.0f MB). Copy 0 is the corpus; copies 1-4 start each "
             "file with a line X-Trawl-Replica: N. notmuch and Xapian are not run on it: "
             "notmuch new would take ~15-25 min on this machine (over the time budget), and it "
             "folds the copies into one message each by Message-ID." % (IN5_BYTES, IN5_BYTES / 1e6))
    out.text()
    for op, label in OPS:
        rows = []
        for c in CLS:
            a, b = cstats(trawl1, op, c), cstats(q5["trawl"], op, c)
            f = cstats(q5["fts5"], op, c)
            r = [c, str(a["n"]), ms(a["p50"]), ms(a["p95"]), ms(a["p99"]),
                 ms(b["p50"]), ms(b["p95"]), ms(b["p99"]),
                 ratio(b["p50"], a["p50"]), ratio(b["p95"], a["p95"])]
            r += [ms(f["p50"]), ms(f["p95"]), ratio(b["p50"], f["p50"]), ratio(b["p95"], f["p95"])] \
                if f else ["not run", "-", "-", "-"]
            if op == "count":
                r += ["%.2f" % (b["sum"] / a["sum"]) if a["sum"] else "-"]
            rows.append(r)
        hdr = ["class", "n", "trawl 1x p50", "p95", "p99", "trawl 5x p50", "p95", "p99",
               "5x/1x p50", "p95", "FTS5 5x p50", "p95", "trawl/FTS5 5x p50", "p95"]
        if op == "count":
            hdr += ["matches 5x/1x"]
        out.text("### 5x corpus, %s (ms)" % label)
        out.text()
        out.table(hdr, rows)
print("written: " + MD)
