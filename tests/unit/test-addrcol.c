/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test-addrcol.c - an item's address columns (lib/addrcol.c): the bytes
 * of a small list worked out by hand; round trips of lists with roles
 * past the brief cap, in mixed header order, full and brief; every
 * truncation and a byte flipped in every position of both columns read
 * without a crash (ASan sees any read past a column, each copied to a
 * heap buffer of its exact size) and refused when the lengths no longer
 * add up.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrcol.h"
#include "internal.h"
#include "tap.h"
#include "banned.h"

static struct addrcol_entry E(int role, int64_t id, const char *name,
			      const char *addr)
{
	return (struct addrcol_entry){ role, id, name, addr, strlen(name),
				       strlen(addr) };
}

/* Reads the columns whole; the entries into out (cap n), their number, or
 * -1 when they do not parse. */
static int read_all(const struct buf *b, const struct buf *m, int brief,
		    struct addrcol_entry *out, size_t n)
{
	struct addrcol_cursor c;
	size_t k = 0;
	int r;

	if (addrcol_open(&c, b->data, b->len, m->len ? m->data : NULL, m->len,
			 brief))
		return -1;
	while ((r = addrcol_next(&c, &out[k < n ? k : n - 1])) == 1)
		k++;
	return r < 0 ? -1 : (int)k;
}

/* A heap copy of exactly len bytes (NULL for 0), so ASan sees overruns. */
static struct buf exact(const char *p, size_t len)
{
	struct buf b = { 0 };

	b.data = len ? malloc(len) : NULL;
	if (len)
		memcpy(b.data, p, len);
	b.len = len;
	return b;
}

/* Whether a full read refuses every proper prefix of one column (which:
 * 0 addrs_brief, 1 addrs_more), the other whole. */
static int all_cuts_refused(const struct buf *b, const struct buf *m,
			    int which, struct addrcol_entry *out, size_t n)
{
	const struct buf *cut = which ? m : b;
	int good = 1;

	for (size_t len = 0; len < cut->len; len++) {
		struct buf t = exact(cut->data, len);

		if (read_all(which ? b : &t, which ? &t : m, 0, out, n) != -1)
			good = 0;
		free(t.data);
	}
	return good;
}

static void test_bytes(void)
{
	struct addrcol_entry e[] = {
		E(3, 7, "", "b@x"), E(0, 300, "Al", "a@x"),
	};
	struct buf b, m;
	static const char want[] =
		"\x01\x00\x00\x01\x00\x00"  /* counts */
		"\xac\x02\x02" "Al" "\x03" "a@x" /* From: id 300 */
		"\x07\x00\x03" "b@x";        /* To: id 7, no name */

	buf_init(&b, 1 << 20);
	buf_init(&m, 1 << 20);
	addrcol_encode(&b, &m, e, 2);
	ok(b.len == sizeof(want) - 1 && !memcmp(b.data, want, b.len),
	   "hand-computed addrs_brief bytes");
	is_int((int)m.len, 0, "nothing in addrs_more");
	buf_release(&b);
	buf_release(&m);
}

static void test_round_trip(void)
{
	enum { N = 40 };
	struct addrcol_entry in[N], out[N];
	char names[N][16], addrs[N][16];
	struct buf b, m;
	int n, good = 1;
	size_t want_brief = 0;

	/* roles in mixed order: 25 To, 12 Cc, 2 From, 1 Bcc */
	for (int i = 0; i < N; i++) {
		int role = i < 25 ? 3 : i < 37 ? 4 : i < 39 ? 0 : 5;

		snprintf(names[i], sizeof(names[i]), i % 3 ? "N%d" : "", i);
		snprintf(addrs[i], sizeof(addrs[i]), "a%d@x", i);
		in[(i * 7) % N] = E(role, 1000 + i, names[i], addrs[i]);
	}
	buf_init(&b, 1 << 20);
	buf_init(&m, 1 << 20);
	addrcol_encode(&b, &m, in, N);
	ok(m.len > 0, "addrs_more holds what is past ten of a role");
	n = read_all(&b, &m, 0, out, N);
	is_int(n, N, "a full read gives every address");
	/* in role order, then in the order of in[] within a role */
	for (int r = 0, k = 0; r < ADDRCOL_ROLES; r++)
		for (int i = 0; i < N; i++) {
			if (in[i].role != r)
				continue;
			if (k >= n || out[k].role != r || out[k].id != in[i].id ||
			    out[k].name_len != in[i].name_len ||
			    memcmp(out[k].name, in[i].name, in[i].name_len) ||
			    out[k].addr_len != in[i].addr_len ||
			    memcmp(out[k].addr, in[i].addr, in[i].addr_len))
				good = 0;
			k++;
		}
	ok(good, "role order, then header order, names and addresses kept");
	for (int r = 0; r < ADDRCOL_ROLES; r++) {
		size_t c = 0;

		for (int i = 0; i < N; i++)
			c += in[i].role == r;
		want_brief += c < ITEM_BRIEF_ADDRS ? c : ITEM_BRIEF_ADDRS;
	}
	is_int(read_all(&b, &m, 1, out, N), (int)want_brief,
	       "a brief read stops at ten of each role");
	{
		struct buf none = { 0 };

		is_int(read_all(&b, &none, 1, out, N), (int)want_brief,
		       "a brief read does not need addrs_more");
		is_int(read_all(&b, &none, 0, out, N), -1,
		       "a full read without addrs_more is refused");
	}
	/* every truncation of either column is refused */
	ok(all_cuts_refused(&b, &m, 0, out, N),
	   "every truncated addrs_brief is refused");
	ok(all_cuts_refused(&b, &m, 1, out, N),
	   "every truncated addrs_more is refused");
	/* flipped bytes: never a crash or a read past the column */
	for (size_t i = 0; i < b.len + m.len; i++) {
		struct buf tb = exact(b.data, b.len), tm = exact(m.data, m.len);

		if (i < b.len)
			tb.data[i] ^= 0x80;
		else
			tm.data[i - b.len] ^= 0x80;
		(void)read_all(&tb, &tm, 0, out, N);
		(void)read_all(&tb, &tm, 1, out, N);
		free(tb.data);
		free(tm.data);
	}
	ok(1, "a flipped byte anywhere is read without a crash");
	buf_release(&b);
	buf_release(&m);
}

static void test_empty(void)
{
	struct addrcol_entry out[1];
	struct buf b, m;

	buf_init(&b, 1 << 20);
	buf_init(&m, 1 << 20);
	addrcol_encode(&b, &m, NULL, 0);
	ok(b.len == 6 && !memcmp(b.data, "\0\0\0\0\0\0", 6),
	   "no addresses: six zero counts");
	is_int(read_all(&b, &m, 0, out, 1), 0, "and nothing to read");
	{
		struct buf none = { 0 };

		ok(read_all(&none, &m, 0, out, 1) == -1, "no addrs_brief at all "
		   "is refused");
	}
	buf_release(&b);
	buf_release(&m);
}

int main(void)
{
	test_bytes();
	test_round_trip();
	test_empty();
	return tap_done();
}
