/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test-index.c - the doc terms record (docterms.c), the inverter's
 * validation, stem keys written as aliases of their exact key's list by a
 * flush and kept by a merge (and an alias without one read as corrupt),
 * the merge policy and the scoring function's monotonicity.
 * The index as a whole is tested end to end against a naive evaluator
 * (tests/tools/oracle.c) and by the shell tests.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze.h"
#include "codec.h"
#include "index.h"
#include "merge.h"
#include "score.h"
#include "segment.h"
#include "tap.h"
#include "banned.h"

/* ---- doc terms: build, then read back ---- */

struct seen {
	int found;
	uint32_t freq;
	uint32_t pos[16];
	size_t npos;
};

static int find(const void *rec, size_t len, int field, const char *term,
		struct seen *out)
{
	struct docterms_cursor c;
	struct docterm t;
	uint32_t lens[FLD_NTEXT];
	int r;

	memset(out, 0, sizeof(*out));
	if (docterms_open(&c, rec, len, lens))
		return -1;
	while ((r = docterms_next(&c, &t)) == 1) {
		const uint8_t *p = t.pos, *end = t.pos + t.pos_len;
		uint32_t prev = 0;

		if (t.key[0] != field || t.klen != 1 + strlen(term) ||
		    memcmp(t.key + 1, term, t.klen - 1))
			continue;
		out->found = 1;
		out->freq = t.freq;
		while (p && p < end && out->npos < 16) {
			uint32_t d;

			if (varint_get32(&p, end, &d))
				return -1;
			prev += d;
			out->pos[out->npos++] = prev;
		}
	}
	return r;
}

static int tmpdir_open(char *dir)
{
	return mkdtemp(dir) ? open(dir, O_RDONLY | O_DIRECTORY) : -1;
}

static void tmpdir_remove(char *dir, int fd)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(fd, e->d_name, 0);
	if (d)
		closedir(d);
	close(fd);
	rmdir(dir);
}

/* After a flush, the memory the flush budget counts is back to nothing,
 * although the inverter keeps its tables mapped for the next batch. */
static void test_flush_budget(struct inverter *iv, const struct buf *rec)
{
	char dir[] = "/tmp/trawl-test-index-XXXXXX", err[256];
	struct doc_meta m = { .item = 9, .kind = 1 };
	struct seg_info info;
	size_t used = inverter_bytes(iv);
	int fd;

	if ((fd = tmpdir_open(dir)) < 0) {
		ok(0, "inverter: a temporary directory for a flush");
		return;
	}
	ok(used > 0, "inverter: two documents fill %zu bytes", used);
	ok(inverter_flush(iv, fd, 1, &info, err, sizeof(err)) == TRAWL_OK &&
	   info.ndocs == 2, "inverter: flush");
	ok(inverter_bytes(iv) == 0 && inverter_docs(iv) == 0,
	   "inverter: after a flush the budget counts 0 bytes, not the "
	   "mapped tables (%zu)", inverter_bytes(iv));
	ok(inverter_add(iv, &m, rec->data, rec->len) == TRAWL_OK &&
	   inverter_docs(iv) == 1 && inverter_bytes(iv) > 0 &&
	   inverter_bytes(iv) <= used,
	   "inverter: a document after the flush fills afresh");
	tmpdir_remove(dir, fd);
}

static void test_docterms(void)
{
	struct docterms_builder *b = docterms_builder_new();
	const int roles[] = { TRAWL_ROLE_FROM, TRAWL_ROLE_TO, TRAWL_ROLE_TO };
	const char *names[] = { "Jeff Dasovich", "", "Amy" };
	const size_t name_lens[] = { 13, 0, 3 };
	const char *addrs[] = { "jeff.dasovich@enron.com", "a@b.org",
				"amy@sony.com" };
	const size_t addr_lens[] = { 23, 7, 12 };
	const char *att[] = { "Report.PDF" };
	const size_t att_lens[] = { 10 };
	const char *types[] = { "Application/PDF" };
	const size_t type_lens[] = { 15 };
	struct doc_values_in v = {
		.subject = "Gas prices rising", .subject_len = 17,
		.body = "prices prices and more prices", .body_len = 29,
		.naddrs = 3, .roles = roles, .names = names,
		.name_lens = name_lens, .addrs = addrs, .addr_lens = addr_lens,
		.nnames = 1, .attnames = att, .attname_lens = att_lens,
		.ntypes = 1, .atttypes = types, .atttype_lens = type_lens,
		.msgid = "1.2@x", .msgid_len = 5, .kind = TRAWL_KIND_EMAIL,
		.has_attachment = 1, .date_guessed = 1,
	};
	struct docterms_cursor c;
	uint32_t lens[FLD_NTEXT];
	struct buf out;
	struct seen s;

	buf_init(&out, 1 << 20);
	ok(b != NULL, "a builder");
	ok(docterms_build(b, &v, &out) == TRAWL_OK, "a record is built");
	ok(docterms_open(&c, out.data, out.len, lens) == 0 &&
	   lens[FLD_SUBJECT] == 3 && lens[FLD_BODY] == 5,
	   "field lengths: subject 3, body 5 (got %u, %u)", lens[FLD_SUBJECT],
	   lens[FLD_BODY]);
	ok(find(out.data, out.len, FLD_BODY, "prices", &s) == 0 && s.found &&
	   s.freq == 3 && s.npos == 3 && s.pos[0] == 0 && s.pos[1] == 1 &&
	   s.pos[2] == 4, "body 'prices': tf 3 at positions 0 1 4");
	/* stems are not sent: the inverter derives them when it flushes
	 * (the stem keys and aliases below, and every stem of Enron's
	 * index in the oracle, come out of that) */
	ok(find(out.data, out.len, FLD_STEM + FLD_BODY, "price", &s) == 0 &&
	   !s.found, "no stem entry 'price': the flush derives it");
	ok(find(out.data, out.len, FLD_FROM, "dasovich", &s) == 0 && s.found,
	   "from: the address's parts");
	ok(find(out.data, out.len, FLD_TO, "amy", &s) == 0 && s.found &&
	   s.freq == 2 && s.pos[1] - s.pos[0] > INDEX_VALUE_GAP - 1,
	   "to: 'amy' twice (name, address), values apart (%u, %u)",
	   s.pos[0], s.pos[1]);
	ok(find(out.data, out.len, KW_TO, "amy@sony.com", &s) == 0 && s.found,
	   "keyword to: the exact address");
	ok(find(out.data, out.len, KW_FROM, "jeff.dasovich@enron.com", &s) == 0
	   && s.found, "keyword from");
	ok(find(out.data, out.len, KW_EXT, "pdf", &s) == 0 && s.found,
	   "extension, lower-cased");
	ok(find(out.data, out.len, KW_ATTTYPE, "application/pdf", &s) == 0 &&
	   s.found, "attachment type, lower-cased");
	ok(find(out.data, out.len, KW_HAS, "attachment", &s) == 0 && s.found &&
	   find(out.data, out.len, KW_DATE, "guessed", &s) == 0 && s.found &&
	   find(out.data, out.len, KW_KIND, "email", &s) == 0 && s.found &&
	   find(out.data, out.len, KW_MSGID, "1.2@x", &s) == 0 && s.found,
	   "has, date, kind and message-id keywords");

	/* malformed records */
	{
		static const struct {
			const char *what;
			const char *rec;
			size_t len;
		} bad[] = {
			{ "empty", "", 0 },
			{ "nine field lengths", "\x09", 1 },
			{ "a length for a keyword field", "\x01\x10\x01\x00", 4 },
			{ "a field length twice", "\x02\x00\x01\x00\x01\x00", 6 },
			{ "a term count past the end", "\x00\x05", 2 },
			{ "an empty key", "\x00\x01\x00", 3 },
			{ "a key of field 27", "\x00\x01\x02\x1b" "a", 5 },
			{ "frequency 0", "\x00\x01\x02\x01" "a\x00", 6 },
			{ "positions cut short", "\x00\x01\x02\x00" "a\x02\x01", 7 },
			{ "trailing bytes", "\x00\x00\x00", 3 },
			{ "a key longer than the cap",
			  "\x00\x01\xff\x01", 4 },
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			int r = find(bad[i].rec, bad[i].len, 0, "a", &s);

			ok(r < 0, "malformed record rejected: %s", bad[i].what);
		}
	}

	/* the inverter takes a bad record as a document without terms */
	{
		struct inverter *iv = inverter_new();
		struct doc_meta m = { .item = 7, .kind = 1 };

		ok(inverter_add(iv, &m, "\x09", 1) == TRAWL_ERR_CORRUPT &&
		   inverter_docs(iv) == 1,
		   "inverter: a bad record is refused, its document kept");
		m.item = 8;
		ok(inverter_add(iv, &m, out.data, out.len) == TRAWL_OK &&
		   inverter_docs(iv) == 2, "inverter: a good record after it");
		test_flush_budget(iv, &out);
		inverter_free(iv);
	}
	buf_release(&out);
	docterms_builder_free(b);
}

/* Adds one email per body (items 1, 2, ...) to iv through b and flushes
 * them as segment 1 of fd, opened into *s; what: the checks' prefix. */
static void segment_of_bodies(const char *what, const char *const *bodies,
			      int n, struct docterms_builder *b,
			      struct inverter *iv, int fd, struct segment *s)
{
	struct seg_info info;
	struct buf rec;
	char err[256];

	buf_init(&rec, 1 << 20);
	for (int i = 0; i < n; i++) {
		struct doc_values_in v = { .body = bodies[i],
					   .body_len = strlen(bodies[i]),
					   .kind = TRAWL_KIND_EMAIL };
		struct doc_meta m = { .item = (uint64_t)i + 1, .kind = 1 };

		buf_reset(&rec);
		ok(docterms_build(b, &v, &rec) == TRAWL_OK &&
		   inverter_add(iv, &m, rec.data, rec.len) == TRAWL_OK,
		   "%s: document %d", what, i + 1);
	}
	buf_release(&rec);
	ok(fd >= 0 && inverter_flush(iv, fd, 1, &info, err, sizeof(err)) ==
			      TRAWL_OK &&
	   segment_open(s, fd, 1, 1, err, sizeof(err)) == TRAWL_OK,
	   "%s: a segment of the %d", what, n);
}

/* ---- stem keys sharing their exact key's list (aliases) ---- */

static void test_alias(void)
{
	char dir[] = "/tmp/trawl-test-alias-XXXXXX", err[256];
	struct docterms_builder *b = docterms_builder_new();
	struct inverter *iv = inverter_new();
	const char *bodies[] = { "zebra prices", "zebra zebra price" };
	struct seg_info info;
	struct segment s;
	struct term_info zs, ze, ps, pe;
	struct buf rec;
	int fd = tmpdir_open(dir);

	segment_of_bodies("alias", bodies, 2, b, iv, fd, &s);
	buf_init(&rec, 1 << 20);
	ok(segment_lookup(&s, (const uint8_t *)"\x09zebra", 6, &zs) == 1 &&
	   segment_lookup(&s, (const uint8_t *)"\x01zebra", 6, &ze) == 1 &&
	   zs.alias && !ze.alias && zs.post_off == ze.post_off &&
	   zs.post_len == ze.post_len && zs.df == 2,
	   "alias: stem 'zebra' (only ever written so) is its exact list");
	ok(segment_lookup(&s, (const uint8_t *)"\x09price", 6, &ps) == 1 &&
	   segment_lookup(&s, (const uint8_t *)"\x01price", 6, &pe) == 1 &&
	   !ps.alias && ps.df == 2 && pe.df == 1 && ps.post_off != pe.post_off,
	   "alias: stem 'price' (of prices and price) has a list of its own");
	{
		struct postings pc;
		uint32_t d1, d2, t2;

		postings_init(&pc, &s, FLD_STEM + FLD_BODY, &zs);
		d1 = postings_next(&pc);
		d2 = postings_next(&pc);
		t2 = postings_tf(&pc);
		ok(d1 == 0 && d2 == 1 && t2 == 2 &&
		   postings_next(&pc) == DOC_END && !pc.corrupt,
		   "alias: its postings read as the stem's (docs 0 1, tf 2)");
	}
	/* a merge keeps an alias that every input holding the stem has */
	{
		struct segment two[2], m;
		struct doc_values_in v = { .body = "zebra", .body_len = 5,
					   .kind = TRAWL_KIND_EMAIL };
		struct doc_meta dm = { .item = 3, .kind = 1 };
		struct term_info a, e;

		two[0] = s;
		buf_reset(&rec);
		ok(docterms_build(b, &v, &rec) == TRAWL_OK &&
		   inverter_add(iv, &dm, rec.data, rec.len) == TRAWL_OK &&
		   inverter_flush(iv, fd, 2, &info, err, sizeof(err)) ==
			   TRAWL_OK &&
		   segment_open(&two[1], fd, 2, 1, err, sizeof(err)) ==
			   TRAWL_OK &&
		   segments_merge(two, NULL, 2, fd, 3, &info, err,
				  sizeof(err)) == TRAWL_OK &&
		   segment_open(&m, fd, 3, 1, err, sizeof(err)) == TRAWL_OK,
		   "alias: a third document in a second segment, merged");
		ok(segment_lookup(&m, (const uint8_t *)"\x09zebra", 6, &a) == 1 &&
		   segment_lookup(&m, (const uint8_t *)"\x01zebra", 6, &e) == 1 &&
		   a.alias && a.df == 3 && a.post_off == e.post_off,
		   "alias: the merged stem 'zebra' is still an alias (df 3)");
		ok(segment_lookup(&m, (const uint8_t *)"\x09price", 6, &a) == 1 &&
		   !a.alias && a.df == 2,
		   "alias: the merged stem 'price' keeps its own list");
		segment_close(&two[1]);
		segment_close(&m);
	}
	segment_close(&s);
	tmpdir_remove(dir, fd);

	/* an alias without its exact key is corrupt, never a crash */
	{
		char d2[] = "/tmp/trawl-test-alias-XXXXXX";
		int fd2 = tmpdir_open(d2);
		uint64_t item = 1, size = 0;
		int64_t date = 0;
		uint32_t from = 0, doc = 0, tf = 1;
		uint8_t kind = 1, flags = 0, norm = 1;
		struct seg_docs sd = { .ndocs = 1, .item = &item, .size = &size,
				       .date = &date, .from = &from,
				       .kind = &kind, .flags = &flags };
		struct seg_writer *w = NULL;
		struct term_info ti;

		for (int f = 0; f < FLD_NTEXT; f++)
			sd.norm[f] = &norm;
		ok(fd2 >= 0 &&
		   seg_writer_open(&w, fd2, 2, &sd, err, sizeof(err)) ==
			   TRAWL_OK &&
		   seg_writer_add(w, (const uint8_t *)"\x01" "ant", 4, 1, &doc,
				  &tf, (const uint8_t *)"\x00", 1) ==
			   TRAWL_OK &&
		   seg_writer_add_alias(w, (const uint8_t *)"\x09" "bee", 4, 1,
					&doc, &tf) == TRAWL_OK &&
		   seg_writer_finish(w, fd2, &info, err, sizeof(err)) ==
			   TRAWL_OK &&
		   segment_open(&s, fd2, 2, 1, err, sizeof(err)) == TRAWL_OK,
		   "alias: a segment whose alias has no exact key");
		ok(segment_lookup(&s, (const uint8_t *)"\x09" "bee", 4, &ti) == -1,
		   "alias: looking it up says corrupt");
		ok(segment_lookup(&s, (const uint8_t *)"\x01" "ant", 4, &ti) == 1,
		   "alias: the keys before it still read");
		segment_close(&s);
		tmpdir_remove(d2, fd2);
	}
	buf_release(&rec);
	inverter_free(iv);
	docterms_builder_free(b);
}

/* ---- stems derived at the flush, and keys of an ambiguous length ---- */

/*
 * The flush derives stem keys from word keys (invert.c, derive_stems).
 * A segment of letters and digits cut to TRAWL_TOKEN_MIXED_MAX bytes can
 * leave a key of letters only, the same as a word's: "abcd...ef9" (33
 * bytes, a number) is cut to the 32 letters that the word "abcd...ef"
 * also is.  Only the word may count toward the stem.
 */
static void test_ambiguous_stem(void)
{
	static const char word[] = "abcdefghijklmnopqrstuvwxyzabcdef";
	char dir[] = "/tmp/trawl-test-stem-XXXXXX";
	struct docterms_builder *b = docterms_builder_new();
	struct inverter *iv = inverter_new();
	const char *bodies[] = { "abcdefghijklmnopqrstuvwxyzabcdef9 holds",
				 "abcdefghijklmnopqrstuvwxyzabcdef holding" };
	uint8_t key[64];
	struct seg_dict_iter it;
	struct term_info ex, st = { 0 }, hs;
	struct segment s;
	int fd = tmpdir_open(dir), found = 0;

	_Static_assert(sizeof(word) - 1 == TRAWL_TOKEN_MIXED_MAX,
		       "the word is as long as a cut mixed segment");
	segment_of_bodies("ambiguous", bodies, 2, b, iv, fd, &s);
	key[0] = FLD_BODY;
	memcpy(key + 1, word, sizeof(word) - 1);
	ok(segment_lookup(&s, key, sizeof(word), &ex) == 1 && ex.df == 2,
	   "ambiguous: the 32-letter key is in both documents");
	/* the word's stem: the one stem key starting with its first 26
	 * letters */
	key[0] = FLD_STEM + FLD_BODY;
	seg_dict_iter_seek(&it, &s, key, 27);
	while (seg_dict_iter_next(&it, &st) == 1)
		if (it.klen >= 27 && !memcmp(it.key, key, 27)) {
			found = 1;
			break;
		} else if (memcmp(it.key, key, 27) > 0) {
			break;
		}
	ok(found && st.df == 1,
	   "ambiguous: its stem counts the word only (df %u, want 1)", st.df);
	ok(segment_lookup(&s, (const uint8_t *)"\x09hold", 5, &hs) == 1 &&
	   hs.df == 2 && !hs.alias,
	   "ambiguous: 'holds' and 'holding' make the stem 'hold' (df 2)");
	segment_close(&s);
	tmpdir_remove(dir, fd);
	inverter_free(iv);
	docterms_builder_free(b);
}

/* ---- merge policy ---- */

static void test_policy(void)
{
	struct merge_cand c[40];
	size_t first, count;

	memset(c, 0, sizeof(c));
	for (int i = 0; i < 40; i++)
		c[i] = (struct merge_cand){ .id = (uint64_t)i + 1, .ndocs = 100 };
	ok(!merge_pick(c, 9, &first, &count), "9 small segments: no merge");
	ok(merge_pick(c, 10, &first, &count) && first == 0 && count == 10,
	   "10 small segments merge");
	c[0].ndocs = 500000;
	c[1].ndocs = 20000;
	ok(merge_pick(c, 12, &first, &count) && first == 2 && count == 10,
	   "the small run after two big segments merges (%zu, %zu)", first,
	   count);
	ok(!merge_pick(c, 11, &first, &count),
	   "two big and nine small: no merge");
	c[5].ndeleted = 30;
	ok(merge_pick(c, 11, &first, &count) && first == 5 && count == 1,
	   "a segment with a third deleted is rewritten alone");
	c[5].ndeleted = 0;
	for (int i = 2; i < 12; i++)
		c[i].ndocs = 5000 + (uint64_t)i;
	c[12].ndocs = 10;
	ok(merge_pick(c, 13, &first, &count) && count == 10 && first == 2,
	   "ten of one tier merge past a smaller one at the end");
}

/* ---- scoring ---- */

static void test_score(void)
{
	uint64_t sum[FLD_NTEXT] = { 300, 20000, 400, 600, 100, 10, 50, 0 };
	struct bm25_stats st;
	uint32_t tf[FLD_NTEXT] = { 0 };
	uint8_t norm[FLD_NTEXT] = { 0 };
	int mono = 1;
	double idf, prev;

	bm25_stats_init(&st, 100, sum);
	idf = bm25_idf(&st, 10);
	ok(idf > 0 && bm25_idf(&st, 1) > idf && bm25_idf(&st, 100) > 0,
	   "idf: positive, falls with df");
	for (int f = 0; f < FLD_NTEXT; f++) {
		prev = -1.0;
		memset(tf, 0, sizeof(tf));
		for (uint32_t t = 0; t < 300; t += 7) {
			double s;

			tf[f] = t;
			norm[f] = 30;
			s = bm25f(&st, idf, tf, norm, 0xff);
			if (s < prev)
				mono = 0;
			prev = s;
		}
		prev = 1e300;
		tf[f] = 5;
		for (int n = 0; n < 256; n++) {
			double s;

			norm[f] = (uint8_t)n;
			s = bm25f(&st, idf, tf, norm, 0xff);
			if (s > prev)
				mono = 0;
			prev = s;
		}
	}
	ok(mono, "bm25f rises with tf and falls with the norm, every field");
	memset(tf, 0, sizeof(tf));
	tf[FLD_BODY] = 3;
	norm[FLD_BODY] = 20;
	ok(bm25f(&st, idf, tf, norm, 1u << FLD_SUBJECT) == 0.0,
	   "fields outside the mask do not count");
}

/* ---- a flush split between two threads writes the same bytes ---- */

/* The whole of file name in directory fd, or NULL; *len its size. */
static uint8_t *slurp(int fd, const char *name, size_t *len)
{
	int f = openat(fd, name, O_RDONLY);
	uint8_t *p = NULL;
	off_t n;

	*len = 0;
	if (f < 0)
		return NULL;
	n = lseek(f, 0, SEEK_END);
	if (n > 0 && (p = malloc((size_t)n)) &&
	    pread(f, p, (size_t)n, 0) != n) {
		free(p);
		p = NULL;
	}
	close(f);
	*len = p ? (size_t)n : 0;
	return p;
}

static void test_split_flush(void)
{
	char d1[] = "/tmp/trawl-test-split-XXXXXX";
	char d2[] = "/tmp/trawl-test-split-XXXXXX", err[256];
	struct docterms_builder *b = docterms_builder_new();
	struct inverter *one = inverter_new(), *two = inverter_new();
	int f1 = tmpdir_open(d1), f2 = tmpdir_open(d2), good = 1, opened;
	uint64_t rng = 0x243f6a8885a308d3u;
	struct seg_info i1, i2;
	struct segment s;
	struct term_info ti;
	struct buf rec, text;

	buf_init(&rec, 1 << 20);
	buf_init(&text, 1 << 20);
	inverter_set_split(one, SIZE_MAX);
	inverter_set_split(two, 64);
	/* 400 documents of words drawn from 3,000 (skewed: long lists with
	 * full blocks, PFOR exceptions, tails), and stems shared or not */
	for (int i = 0; i < 400 && good; i++) {
		struct doc_meta m = { .item = (uint64_t)i + 1, .kind = 1 };
		struct doc_values_in v = { .kind = TRAWL_KIND_EMAIL };

		buf_reset(&text);
		for (int w = 0; w < 60; w++) {
			uint64_t r;

			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			r = rng % 3000;
			r = r * r / 3000; /* more small numbers */
			buf_printf(&text, "w%llu%s ", (unsigned long long)r,
				   r % 3 ? "s" : "");
		}
		v.body = text.data;
		v.body_len = text.len;
		buf_reset(&rec);
		good &= docterms_build(b, &v, &rec) == TRAWL_OK &&
			inverter_add(one, &m, rec.data, rec.len) == TRAWL_OK &&
			inverter_add(two, &m, rec.data, rec.len) == TRAWL_OK;
	}
	ok(good, "split: 400 documents into two inverters");
	ok(f1 >= 0 && f2 >= 0 &&
	   inverter_flush(one, f1, 1, &i1, err, sizeof(err)) == TRAWL_OK &&
	   inverter_flush(two, f2, 1, &i2, err, sizeof(err)) == TRAWL_OK,
	   "split: flushed with one thread and with two");
	for (int f = 0; f < SEG_NFILES; f++) {
		char name[32];
		size_t n1, n2;
		uint8_t *a, *c;

		seg_file_name(1, f, name);
		a = slurp(f1, name, &n1);
		c = slurp(f2, name, &n2);
		ok(a && c && n1 == n2 && !memcmp(a, c, n1),
		   "split: %s is the same bytes (%zu)", name, n1);
		free(a);
		free(c);
	}
	memset(&ti, 0, sizeof(ti));
	opened = segment_open(&s, f2, 1, 1, err, sizeof(err)) == TRAWL_OK;
	good = opened && s.nterms > 64 &&
	       segment_lookup(&s, (const uint8_t *)"\x01w0", 3, &ti) == 1;
	ok(good && ti.df > 128, "split: the two-thread segment reads (%llu "
	   "keys; 'w0' in %u documents)",
	   opened ? (unsigned long long)s.nterms : 0ULL, ti.df);
	if (opened)
		segment_close(&s);
	inverter_free(one);
	inverter_free(two);
	docterms_builder_free(b);
	buf_release(&rec);
	buf_release(&text);
	tmpdir_remove(d1, f1);
	tmpdir_remove(d2, f2);
}

/*
 * key_hash reads a key's last bytes with loads that overlap rather than
 * one at a time: it must stay a function of the key's bytes alone (the
 * same bytes anywhere in memory, whatever follows them, hash the same)
 * and never read past the key (each copy is a heap block of exactly its
 * length, which ASan guards).  And a key with any one byte changed
 * hashes otherwise: a tail read that skipped a byte would not.
 */
static void test_key_hash(void)
{
	int bad_same = 0, bad_diff = 0;

	for (size_t n = 1; n <= 40; n++) {
		uint8_t src[48], *a = malloc(n), *b = malloc(n + 9);

		if (!a || !b) {
			ok(0, "memory");
			free(a);
			free(b);
			return;
		}
		for (size_t i = 0; i < n; i++)
			src[i] = (uint8_t)('a' + (i * 7 + n) % 26);
		memcpy(a, src, n);
		memset(b, 0xee, n + 9);
		memcpy(b + 1 + n % 8, src, n);
		if (key_hash(a, n) != key_hash(b + 1 + n % 8, n) ||
		    key_hash_seed(a, n, 5) != key_hash_seed(b + 1 + n % 8, n, 5))
			bad_same++;
		for (size_t i = 0; i < n; i++) {
			a[i] ^= 1;
			if (key_hash(a, n) == key_hash(src, n))
				bad_diff++;
			a[i] ^= 1;
		}
		free(a);
		free(b);
	}
	is_int(bad_same, 0, "key_hash: the same bytes hash the same anywhere");
	is_int(bad_diff, 0, "key_hash: every byte of a key counts (lengths 1-40)");
}

int main(void)
{
	test_key_hash();
	test_docterms();
	test_alias();
	test_ambiguous_stem();
	test_split_flush();
	test_policy();
	test_score();
	return tap_done();
}
