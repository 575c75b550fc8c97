/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* thread.c - threads by References/In-Reply-To, with ghosts (see thread.h). */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "thread.h"
#include "banned.h"

/* ---- union-find over node indexes ---- */

struct uf {
	size_t *up;
	size_t n, cap;
};

static size_t uf_find(struct uf *u, size_t x)
{
	while (u->up[x] != x) {
		u->up[x] = u->up[u->up[x]];
		x = u->up[x];
	}
	return x;
}

static void uf_union(struct uf *u, size_t a, size_t b)
{
	a = uf_find(u, a);
	b = uf_find(u, b);
	if (a != b)
		u->up[a > b ? a : b] = a < b ? a : b;
}

static int uf_add(struct uf *u, size_t *idx)
{
	if (u->n == u->cap) {
		size_t ncap = u->cap ? u->cap * 2 : 1024;
		size_t *p = realloc(u->up, ncap * sizeof(*p));

		if (!p)
			return -1;
		u->up = p;
		u->cap = ncap;
	}
	u->up[u->n] = u->n;
	*idx = u->n++;
	return 0;
}

/* ---- the graph ---- */

struct graph {
	struct uf uf;
	GHashTable *ids; /* Message-ID -> node index + 1 */
	size_t nmsgs;    /* nodes 0..nmsgs-1 are the messages */
};

/* Node of Message-ID s[0..len), created as a ghost if new. */
static int node_of(struct graph *g, const char *s, size_t len, size_t *idx)
{
	char *key = g_strndup(s, len);
	gpointer v = g_hash_table_lookup(g->ids, key);

	if (v) {
		*idx = (size_t)(uintptr_t)v - 1;
		g_free(key);
		return 0;
	}
	if (uf_add(&g->uf, idx)) {
		g_free(key);
		return -1;
	}
	g_hash_table_insert(g->ids, key, (gpointer)(uintptr_t)(*idx + 1));
	return 0;
}

/* Links message i to every ID in the space-separated list s. */
static int link_ids(struct graph *g, size_t i, const char *s,
		    const char **last)
{
	while (s && *s) {
		size_t n, node;

		while (*s == ' ')
			s++;
		n = strcspn(s, " ");
		if (!n)
			break;
		if (node_of(g, s, n, &node))
			return -1;
		uf_union(&g->uf, i, node);
		if (last)
			*last = s;
		s += n;
	}
	return 0;
}

/* White-space-collapsed, ASCII-lower-cased copy, for comparing subjects. */
static char *fold(const char *s)
{
	size_t n = strlen(s ? s : ""), k = 0;
	char *r = malloc(n + 1);
	int sp = 0;

	if (!r)
		return NULL;
	for (const char *p = s ? s : ""; *p; p++) {
		char c = *p;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			sp = k > 0;
			continue;
		}
		if (sp)
			r[k++] = ' ';
		sp = 0;
		r[k++] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
	}
	r[k] = '\0';
	return r;
}

struct by_subject {
	size_t i;
	int64_t date;
	int reply;          /* the subject has a reply/forward prefix */
	const char *msgid, *tiebreak;
	char *base;
};

/* Order within one base subject: by date, originals before replies at
 * the same second, then by Message-ID and content.  Never by item ID:
 * IDs depend on the order of ingest, and threads must not. */
static int subject_cmp(const void *a, const void *b)
{
	const struct by_subject *x = a, *y = b;
	int c = strcmp(x->base, y->base);

	if (c)
		return c;
	if (x->date != y->date)
		return x->date < y->date ? -1 : 1;
	if (x->reply != y->reply)
		return x->reply - y->reply;
	c = strcmp(x->msgid, y->msgid);
	return c ? c : strcmp(x->tiebreak, y->tiebreak);
}

static int has_refs(const struct thread_msg *m)
{
	return (m->in_reply_to && *m->in_reply_to) || (m->refs && *m->refs);
}

/* The fallback: a reply without references joins the latest earlier
 * message with the same base subject within the window. */
static int group_by_subject(struct graph *g, const struct thread_msg *m,
			    size_t n)
{
	struct by_subject *s = calloc(n ? n : 1, sizeof(*s));
	size_t k = 0;
	int rc = 0;

	if (!s)
		return -1;
	for (size_t i = 0; i < n && !rc; i++) {
		char *base = fold(m[i].base_subject), *subj;

		if (!base || !*base) {
			rc = base ? 0 : -1;
			free(base);
			continue;
		}
		subj = fold(m[i].subject);
		if (!subj) {
			free(base);
			rc = -1;
			break;
		}
		s[k].i = i;
		s[k].date = m[i].date;
		s[k].reply = strcmp(subj, base) != 0;
		s[k].msgid = m[i].msgid ? m[i].msgid : "";
		s[k].tiebreak = m[i].tiebreak ? m[i].tiebreak : "";
		s[k++].base = base;
		free(subj);
	}
	if (!rc)
		qsort(s, k, sizeof(*s), subject_cmp);
	for (size_t j = 1; j < k && !rc; j++) {
		if (!s[j].reply || has_refs(&m[s[j].i]) ||
		    strcmp(s[j - 1].base, s[j].base))
			continue;
		if (s[j].date - s[j - 1].date <= THREAD_SUBJECT_WINDOW)
			uf_union(&g->uf, s[j].i, s[j - 1].i);
	}
	for (size_t j = 0; j < k; j++)
		free(s[j].base);
	free(s);
	return rc;
}

int thread_compute(const struct thread_msg *m, size_t n, int64_t *thread,
		   const char **parent)
{
	struct graph g = { { NULL, 0, 0 }, NULL, n };
	int64_t *min = NULL;
	int rc = -1;

	g.ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (size_t i = 0; i < n; i++) {
		size_t idx;

		if (uf_add(&g.uf, &idx))
			goto out;
	}
	/* Messages claim their own IDs first (the first of duplicates wins;
	 * the others are linked to it). */
	for (size_t i = 0; i < n; i++) {
		gpointer v;

		if (!m[i].msgid || !*m[i].msgid)
			continue;
		v = g_hash_table_lookup(g.ids, m[i].msgid);
		if (v)
			uf_union(&g.uf, i, (size_t)(uintptr_t)v - 1);
		else
			g_hash_table_insert(g.ids, g_strdup(m[i].msgid),
					    (gpointer)(uintptr_t)(i + 1));
	}
	for (size_t i = 0; i < n; i++) {
		const char *last = NULL;

		if (link_ids(&g, i, m[i].refs, &last) ||
		    link_ids(&g, i, m[i].in_reply_to, last ? NULL : &last))
			goto out;
		parent[i] = last;
	}
	if (group_by_subject(&g, m, n))
		goto out;
	min = malloc((g.uf.n ? g.uf.n : 1) * sizeof(*min));
	if (!min)
		goto out;
	for (size_t i = 0; i < g.uf.n; i++)
		min[i] = INT64_MAX;
	for (size_t i = 0; i < n; i++) {
		size_t r = uf_find(&g.uf, i);

		if (m[i].id < min[r])
			min[r] = m[i].id;
	}
	for (size_t i = 0; i < n; i++)
		thread[i] = min[uf_find(&g.uf, i)];
	rc = 0;
out:
	free(min);
	free(g.uf.up);
	g_hash_table_destroy(g.ids);
	return rc;
}

/* ---- the database side ---- */

struct loaded {
	struct thread_msg *m;
	size_t n, cap;
	GStringChunk *strings;
};

static const char *keep(struct loaded *l, sqlite3_stmt *q, int col)
{
	const char *s = (const char *)sqlite3_column_text(q, col);

	return s ? g_string_chunk_insert(l->strings, s) : NULL;
}

static trawl_status load(trawl_archive *a, struct loaded *l)
{
	sqlite3_stmt *q = NULL;
	trawl_status st = db_prepare(a, "SELECT id, message_id, in_reply_to, "
				     "refs, subject, base_subject, date FROM "
				     "items WHERE kind = 1 AND parent IS NULL "
				     "ORDER BY id", &q);
	int rc;

	if (st)
		return st;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct thread_msg *t;

		if (l->n == l->cap) {
			size_t ncap = l->cap ? l->cap * 2 : 4096;
			struct thread_msg *p = realloc(l->m, ncap * sizeof(*p));

			if (!p) {
				st = archive_fail(a, TRAWL_ERR_NOMEM,
						  "out of memory threading");
				break;
			}
			l->m = p;
			l->cap = ncap;
		}
		t = &l->m[l->n++];
		t->id = sqlite3_column_int64(q, 0);
		t->msgid = keep(l, q, 1);
		t->in_reply_to = keep(l, q, 2);
		t->refs = keep(l, q, 3);
		t->subject = keep(l, q, 4);
		t->base_subject = keep(l, q, 5);
		t->date = sqlite3_column_int64(q, 6);
		t->tiebreak = keep(l, q, 7);
	}
	if (!st && rc != SQLITE_DONE)
		st = archive_db_fail(a, "reading messages for threading");
	sqlite3_finalize(q);
	return st;
}

/* Writes the computed threads, changing only rows that changed. */
static trawl_status store(trawl_archive *a, const struct loaded *l,
			  const int64_t *thread, const char **parent)
{
	sqlite3_stmt *get = NULL, *put = NULL, *redir = NULL, *chain = NULL,
		*unredir = NULL;
	trawl_status st;

	if ((st = db_prepare(a, "SELECT thread, parent FROM threads WHERE "
			     "item = ?", &get)) ||
	    (st = db_prepare(a, "INSERT OR REPLACE INTO threads(item, thread, "
			     "parent) VALUES(?, ?, ?)", &put)) ||
	    (st = db_prepare(a, "INSERT OR REPLACE INTO thread_redirects(old, "
			     "new) VALUES(?, ?)", &redir)) ||
	    (st = db_prepare(a, "UPDATE thread_redirects SET new = ? WHERE "
			     "new = ?", &chain)) ||
	    (st = db_prepare(a, "DELETE FROM thread_redirects WHERE old = ?",
			     &unredir)))
		goto out;
	for (size_t i = 0; i < l->n && !st; i++) {
		int64_t id = l->m[i].id, old = 0;
		size_t plen = parent[i] ? strcspn(parent[i], " ") : 0;
		const char *op = NULL;
		int rc;

		sqlite3_bind_int64(get, 1, id);
		rc = sqlite3_step(get);
		if (rc == SQLITE_ROW) {
			old = sqlite3_column_int64(get, 0);
			op = (const char *)sqlite3_column_text(get, 1);
		}
		if (rc == SQLITE_ROW && old == thread[i] &&
		    ((!op && !parent[i]) || (op && parent[i] &&
		     strlen(op) == plen && !strncmp(op, parent[i], plen)))) {
			sqlite3_reset(get);
			continue;
		}
		sqlite3_reset(get);
		sqlite3_bind_int64(put, 1, id);
		sqlite3_bind_int64(put, 2, thread[i]);
		if (parent[i])
			sqlite3_bind_text(put, 3, parent[i], (int)plen,
					  SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(put, 3);
		if (sqlite3_step(put) != SQLITE_DONE)
			st = archive_db_fail(a, "recording a thread");
		sqlite3_reset(put);
		/* A thread named after this item merged into another. */
		if (!st && old == id && thread[i] != id) {
			sqlite3_bind_int64(redir, 1, id);
			sqlite3_bind_int64(redir, 2, thread[i]);
			if (sqlite3_step(redir) != SQLITE_DONE)
				st = archive_db_fail(a, "recording a redirect");
			sqlite3_reset(redir);
			sqlite3_bind_int64(chain, 1, thread[i]);
			sqlite3_bind_int64(chain, 2, id);
			if (!st && sqlite3_step(chain) != SQLITE_DONE)
				st = archive_db_fail(a, "updating redirects");
			sqlite3_reset(chain);
		}
		/* ... or is a thread again. */
		if (!st && thread[i] == id && old != id) {
			sqlite3_bind_int64(unredir, 1, id);
			if (sqlite3_step(unredir) != SQLITE_DONE)
				st = archive_db_fail(a, "updating redirects");
			sqlite3_reset(unredir);
		}
	}
out:
	sqlite3_finalize(get);
	sqlite3_finalize(put);
	sqlite3_finalize(redir);
	sqlite3_finalize(chain);
	sqlite3_finalize(unredir);
	return st;
}

trawl_status threads_update(trawl_archive *a)
{
	struct loaded l = { NULL, 0, 0, g_string_chunk_new(1 << 20) };
	int64_t *thread = NULL;
	const char **parent = NULL;
	trawl_status st;

	st = load(a, &l);
	if (!st) {
		thread = malloc((l.n ? l.n : 1) * sizeof(*thread));
		parent = malloc((l.n ? l.n : 1) * sizeof(*parent));
		if (!thread || !parent ||
		    thread_compute(l.m, l.n, thread, parent))
			st = archive_fail(a, TRAWL_ERR_NOMEM,
					  "out of memory threading");
	}
	if (!st)
		st = store(a, &l, thread, parent);
	free(thread);
	free(parent);
	free(l.m);
	g_string_chunk_free(l.strings);
	return st;
}
