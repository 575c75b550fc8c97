/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* test-threads.c - thread_compute: links, ghosts, loops, subject fallback. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "thread.h"

#define DAY (24 * 3600)

struct msg {
	int64_t id;
	const char *msgid, *irt, *refs, *subject, *base;
	int64_t date;
};

/* Runs thread_compute on a table; want[i] is the expected thread of i,
 * want_parent[i] the expected parent ID (or NULL). */
static void check(const char *name, const struct msg *t, size_t n,
		  const int64_t *want, const char *const *want_parent)
{
	struct thread_msg m[16] = { { 0 } };
	int64_t got[16];
	const char *parent[16];

	for (size_t i = 0; i < n; i++) {
		m[i].id = t[i].id;
		m[i].msgid = t[i].msgid;
		m[i].in_reply_to = t[i].irt;
		m[i].refs = t[i].refs;
		m[i].subject = t[i].subject;
		m[i].base_subject = t[i].base;
		m[i].date = t[i].date;
		m[i].tiebreak = NULL;
	}
	if (!ok(thread_compute(m, n, got, parent) == 0, "%s: computes", name))
		return;
	for (size_t i = 0; i < n; i++) {
		is_int(got[i], want[i], "%s: message %lld is in thread %lld",
		       name, (long long)t[i].id, (long long)want[i]);
		if (want_parent) {
			char buf[128] = "";

			if (parent[i])
				snprintf(buf, sizeof(buf), "%.*s",
					 (int)strcspn(parent[i], " "), parent[i]);
			is_str(parent[i] ? buf : NULL, want_parent[i],
			       "%s: parent of %lld", name, (long long)t[i].id);
		}
	}
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

int main(void)
{
	{
		static const struct msg t[] = {
			{ 1, "a", NULL, NULL, "x", "x", 0 },
			{ 2, "b", "a", "a", "Re: x", "x", 10 },
			{ 3, "c", "b", "a b", "Re: x", "x", 20 },
			{ 4, "d", NULL, NULL, "y", "y", 30 },
		};
		static const int64_t want[] = { 1, 1, 1, 4 };
		static const char *const par[] = { NULL, "a", "b", NULL };

		check("simple chain", t, N(t), want, par);
	}
	{
		/* 5 and 7 both reply to the missing g: the ghost joins them */
		static const struct msg t[] = {
			{ 5, "m5", NULL, "g", "Re: q", "q", 0 },
			{ 7, "m7", "g", NULL, "Re: q", "q", 0 },
			{ 9, "m9", NULL, "other-ghost", "z", "z", 0 },
		};
		static const int64_t want[] = { 5, 5, 9 };
		static const char *const par[] = { "g", "g", "other-ghost" };

		check("ghost parent", t, N(t), want, par);
	}
	{
		/* arrival order does not matter: a reply stored first */
		static const struct msg t[] = {
			{ 1, "r", "o", "o", "Re: s", "s", 50 },
			{ 2, "o", NULL, NULL, "s", "s", 40 },
		};
		static const int64_t want[] = { 1, 1 };

		check("reply before original", t, N(t), want, NULL);
	}
	{
		/* References loops and self-references must not hang */
		static const struct msg t[] = {
			{ 1, "a", "b", "b a", "p", "p", 0 },
			{ 2, "b", "a", "a b", "p", "p", 0 },
			{ 3, "c", "c", "c", "r", "r", 0 },
		};
		static const int64_t want[] = { 1, 1, 3 };

		check("loops", t, N(t), want, NULL);
	}
	{
		/* duplicate Message-IDs share a thread; empty and missing IDs */
		static const struct msg t[] = {
			{ 1, "dup", NULL, NULL, "d", "d", 0 },
			{ 2, "dup", NULL, NULL, "d", "d", 0 },
			{ 3, "", "", "", "e", "e", 0 },
			{ 4, NULL, NULL, "  ", "f", "f", 0 },
		};
		static const int64_t want[] = { 1, 1, 3, 4 };

		check("duplicates and empty", t, N(t), want, NULL);
	}
	{
		/* subject fallback: only replies without references, only
		 * within the window, to the latest earlier message */
		static const struct msg t[] = {
			{ 1, "o1", NULL, NULL, "Budget", "Budget", 0 },
			{ 2, "r1", NULL, NULL, "RE:  budget", "budget", DAY },
			{ 3, "o2", NULL, NULL, "Budget", "Budget", 2 * DAY },
			{ 4, "r2", NULL, NULL, "Re: Budget", "Budget",
			  2 * DAY + THREAD_SUBJECT_WINDOW },
			{ 5, "r3", NULL, NULL, "Re: Budget", "Budget",
			  4 * DAY + 2 * THREAD_SUBJECT_WINDOW + 1 },
			{ 6, "r4", NULL, "elsewhere", "Re: Budget", "Budget",
			  4 * DAY + 2 * THREAD_SUBJECT_WINDOW + 2 },
		};
		/* 1+2; 3 is a new original, not a reply; 4 joins 3 exactly at
		 * the window's edge; 5 is past the window after 4; 6 has a
		 * reference and is threaded by it alone */
		static const int64_t want[] = { 1, 1, 3, 3, 5, 6 };

		check("subject fallback", t, N(t), want, NULL);
	}
	{
		/* a reply to a message whose base subject differs is still
		 * linked by its reference */
		static const struct msg t[] = {
			{ 10, "x", NULL, NULL, "Lunch", "Lunch", 0 },
			{ 11, "y", "x", NULL, "Re: lunch moved", "lunch moved", 1 },
		};
		static const int64_t want[] = { 10, 10 };

		check("reference beats subject", t, N(t), want, NULL);
	}
	{
		/* same second: an original and a reply; the reply joins the
		 * original whichever has the smaller ID (IDs follow ingest
		 * order and must not change threads) */
		static const struct msg t1[] = {
			{ 1, "o0", NULL, NULL, "Plan", "Plan", 0 },
			{ 2, "o1", NULL, NULL, "Plan", "Plan", 100 },
			{ 3, "r", NULL, NULL, "Re: Plan", "Plan", 100 },
		};
		static const struct msg t2[] = {
			{ 1, "o0", NULL, NULL, "Plan", "Plan", 0 },
			{ 2, "r", NULL, NULL, "Re: Plan", "Plan", 100 },
			{ 3, "o1", NULL, NULL, "Plan", "Plan", 100 },
		};
		static const int64_t w1[] = { 1, 2, 2 };
		static const int64_t w2[] = { 1, 2, 2 };

		check("same-second tie, order 1", t1, N(t1), w1, NULL);
		check("same-second tie, order 2", t2, N(t2), w2, NULL);
	}
	{
		struct thread_msg none;
		int64_t th;
		const char *p;

		ok(thread_compute(&none, 0, &th, &p) == 0, "no messages");
	}
	return tap_done();
}
