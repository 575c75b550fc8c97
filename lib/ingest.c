/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * ingest.c - the ingest loop: inputs -> workers -> reorder window -> writer.
 *
 * One process, no threads.  The loop pulls units from the input walker in
 * their fixed order and numbers them (seq), queues each on the least busy
 * worker, collects results as they come, and hands them to the writer
 * strictly in seq order through a bounded reorder window.  IDs therefore
 * follow input order whatever -j is and whichever worker finishes first.
 *
 * A worker that dies (crash, CPU limit, memory limit) or exceeds the
 * wall-clock limit costs only the job at the head of its queue, which is
 * recorded as a failure with its raw bytes; the rest of its queue goes to
 * a fresh worker.
 */
#include <errno.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "indexdb.h"
#include "input.h"
#include "bounds.h"
#include "wire.h"
#include "threadmap.h"
#include "worker.h"
#include "writer.h"
#include "banned.h"

enum { SLOT_FREE, SLOT_QUEUED, SLOT_DONE };

struct slot {
	int state;
	uint64_t seq;
	struct buf job;        /* the job frame, kept until written */
	size_t data_off, data_len; /* the unit's bytes within job */
	struct unit_source src;
	char *path, *member;
	struct buf result;     /* the result frame */
	char *fail_code, *fail_detail;
};

struct ingest {
	trawl_archive *a;
	const trawl_ingest_options *opt;
	trawl_ingest_summary *sum;
	struct input in;
	int in_done;
	struct writer w;
	struct worker *workers;
	unsigned nworkers;
	struct slot *slots;    /* TRAWL_REORDER_UNITS, indexed by seq */
	uint64_t next_seq;     /* seq of the next unit read */
	uint64_t next_write;   /* seq the writer needs next */
	size_t window_bytes;
	double t0, last_progress;
	uint64_t bytes_total;  /* estimated input bytes, for the ETA */
	struct worker_config wcfg;
	struct rec_unit ru;    /* the decoded result being written */
	unsigned wall_seconds; /* per job, before a worker is killed */
	unsigned respawns;
};

static struct slot *slot_of(struct ingest *g, uint64_t seq)
{
	return &g->slots[seq % TRAWL_REORDER_UNITS];
}

static void slot_clear(struct ingest *g, struct slot *s)
{
	g->window_bytes -= s->job.len;
	buf_reset(&s->job);
	buf_reset(&s->result);
	if (s->job.cap > ((size_t)8 << 20))
		buf_release(&s->job);
	if (s->result.cap > ((size_t)8 << 20))
		buf_release(&s->result);
	free(s->path);
	free(s->member);
	free(s->fail_code);
	free(s->fail_detail);
	s->path = s->member = s->fail_code = s->fail_detail = NULL;
	s->state = SLOT_FREE;
}

static void slot_fail(struct slot *s, const char *code, const char *detail)
{
	s->fail_code = strdup(code);
	s->fail_detail = strdup(detail);
	s->state = SLOT_DONE;
}

/* ---- workers ---- */

static trawl_status spawn(struct ingest *g, unsigned i)
{
	int fds[2 * TRAWL_MAX_JOBS + 1];
	int n = 0;
	trawl_status st;

	for (unsigned k = 0; k < g->nworkers; k++) {
		if (k == i || !g->workers[k].pid)
			continue;
		fds[n++] = g->workers[k].to_fd;
		fds[n++] = g->workers[k].from_fd;
	}
	fds[n++] = g->a->lock_fd;
	/* no thread may live across the fork */
	if ((st = writer_checkpoint_wait(&g->w)))
		return st;
	if (worker_spawn(&g->workers[i], &g->wcfg, fds, n) != 0)
		return archive_fail(g->a, TRAWL_ERR_WORKER,
				    "cannot start a parser worker: %s",
				    strerror(errno));
	return TRAWL_OK;
}

static void describe_death(const struct ingest *g, int status, int timed_out,
			   char *out, size_t n)
{
	if (timed_out)
		snprintf(out, n, "parser took longer than %u s and was killed",
			 g->wall_seconds);
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU)
		snprintf(out, n, "parser used more than %u s of CPU and was "
			 "killed", g->wcfg.cpu_seconds);
	else if (WIFSIGNALED(status))
		snprintf(out, n, "parser crashed (signal %d, %s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status))
		snprintf(out, n, "parser exited with status %d",
			 WEXITSTATUS(status));
	else
		snprintf(out, n, "parser stopped");
}

static trawl_status requeue(struct ingest *g, unsigned i, const uint64_t *q,
			    int nq);

/* Worker i died or hung: fail its current job, restart it, resend the
 * rest of its queue. */
static trawl_status worker_lost(struct ingest *g, unsigned i, int timed_out)
{
	struct worker *w = &g->workers[i];
	uint64_t q[TRAWL_WORKER_QUEUE];
	int nq = w->nqueue, status = 0;
	char why[256];
	trawl_status st;

	memcpy(q, w->queue, sizeof(q));
	worker_kill(w, &status);
	worker_release(w);
	if (++g->respawns > 1000 + g->next_seq / 10)
		return archive_fail(g->a, TRAWL_ERR_WORKER,
				    "parser workers keep dying (last: status "
				    "%d)", status);
	if (nq == 0) /* died idle (killed from outside): just replace it */
		return spawn(g, i);
	describe_death(g, status, timed_out, why, sizeof(why));
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU)
		timed_out = 1;
	slot_fail(slot_of(g, q[0]), timed_out ? "parser-timeout"
			: "parser-crashed", why);
	if ((st = spawn(g, i)))
		return st;
	return requeue(g, i, q + 1, nq - 1);
}

static trawl_status requeue(struct ingest *g, unsigned i, const uint64_t *q,
			    int nq)
{
	for (int k = 0; k < nq; k++)
		if (worker_queue_job(&g->workers[i], &slot_of(g, q[k])->job,
				     q[k]))
			return archive_fail(g->a, TRAWL_ERR_NOMEM,
					    "out of memory queueing a job");
	return TRAWL_OK;
}

/* A frame arrived from worker i. */
static trawl_status take_frame(struct ingest *g, unsigned i)
{
	struct worker *w = &g->workers[i];
	size_t flen;
	const uint8_t *h = worker_frame(w, &flen);
	uint32_t type = wire_get_u32(h + 4);
	uint64_t seq = wire_get_u64(h + 8);
	struct slot *s;

	if (w->nqueue == 0 || w->queue[0] != seq ||
	    (type != FRAME_RESULT && type != FRAME_FAIL))
		return worker_lost(g, i, 0);
	s = slot_of(g, seq);
	memmove(w->queue, w->queue + 1, (size_t)(w->nqueue - 1) *
		sizeof(w->queue[0]));
	w->nqueue--;
	w->head_since = worker_now();
	if (type == FRAME_FAIL) {
		const char *p = (const char *)h + WIRE_HEADER_SIZE;
		size_t n = flen - WIRE_HEADER_SIZE;
		size_t cl = strnlen(p, n);
		char *code = strndup(p, cl);
		char *detail = cl < n ? strndup(p + cl + 1, n - cl - 1) : NULL;

		slot_fail(s, code && *code ? code : "parser-failed",
			  detail ? detail : "");
		free(code);
		free(detail);
	} else {
		buf_reset(&s->result);
		if (buf_append(&s->result, h, flen))
			slot_fail(s, "result-too-large", "result frame too large");
		else
			s->state = SLOT_DONE;
	}
	worker_take_frame(w);
	return TRAWL_OK;
}

static trawl_status read_worker(struct ingest *g, unsigned i)
{
	for (;;) {
		int r = worker_read(&g->workers[i]);
		trawl_status st;

		if (r == 0)
			return TRAWL_OK;
		if (r < 0)
			return worker_lost(g, i, 0);
		if ((st = take_frame(g, i)))
			return st;
	}
}

/* ---- feeding ---- */

static unsigned least_busy(struct ingest *g)
{
	unsigned best = 0;

	for (unsigned i = 1; i < g->nworkers; i++)
		if (g->workers[i].nqueue < g->workers[best].nqueue)
			best = i;
	return best;
}

static int window_has_room(struct ingest *g)
{
	if (g->next_seq - g->next_write >= TRAWL_REORDER_UNITS)
		return 0;
	/* always let one unit through, however large */
	return g->next_seq == g->next_write ||
	       g->window_bytes < TRAWL_REORDER_BYTES;
}

static void set_src(struct slot *s, const char *path, const char *member,
		    int64_t off, int64_t len)
{
	s->path = strdup(path);
	s->member = member ? strdup(member) : NULL;
	s->src.path = s->path;
	s->src.member = s->member;
	s->src.offset = off;
	s->src.length = len;
}

static void build_job(struct slot *s, const struct input_unit *u)
{
	uint8_t hint = (uint8_t)u->hint;

	wire_frame_begin(&s->job, FRAME_JOB, s->seq);
	wire_put(&s->job, J_HINT, &hint, 1);
	if (u->from_time != INT64_MIN)
		wire_put_i64(&s->job, J_FROMTIME, u->from_time);
	if (u->maildir_time != INT64_MIN)
		wire_put_i64(&s->job, J_MDTIME, u->maildir_time);
	if (u->mtime != INT64_MIN)
		wire_put_i64(&s->job, J_MTIME, u->mtime);
	wire_put_str(&s->job, J_NAME, u->name);
	wire_put(&s->job, J_DATA, u->data, u->len);
	s->data_off = s->job.len - u->len;
	s->data_len = u->len;
	wire_frame_end(&s->job);
}

/* Reads the next unit and queues it; 0 when nothing more can be fed now. */
static trawl_status feed_one(struct ingest *g, int *fed)
{
	struct input_unit u;
	struct input_failure f;
	struct slot *s;
	unsigned wi;
	int r;

	*fed = 0;
	if (g->in_done || !window_has_room(g))
		return TRAWL_OK;
	wi = least_busy(g);
	if (g->workers[wi].nqueue >= TRAWL_WORKER_QUEUE)
		return TRAWL_OK;
	r = input_next(&g->in, &u, &f);
	*fed = 1;
	if (r == 0) {
		g->in_done = 1;
		*fed = 0;
		return TRAWL_OK;
	}
	s = slot_of(g, g->next_seq);
	s->seq = g->next_seq++;
	if (r == 2) {
		/* a failure takes a seq too, so it is written in order */
		set_src(s, f.path, f.member, f.offset, f.length);
		slot_fail(s, f.code, f.detail);
		return TRAWL_OK;
	}
	set_src(s, u.path, u.member, u.offset, u.length);
	build_job(s, &u);
	if (s->job.err) {
		slot_fail(s, "too-large", "unit too large for a job frame");
		return TRAWL_OK;
	}
	g->window_bytes += s->job.len;
	s->state = SLOT_QUEUED;
	g->sum->units++;
	if (worker_queue_job(&g->workers[wi], &s->job, s->seq))
		return archive_fail(g->a, TRAWL_ERR_NOMEM, "out of memory");
	return TRAWL_OK;
}

/* ---- writing ---- */

static trawl_status write_slot(struct ingest *g, struct slot *s)
{
	struct rec_unit *u = &g->ru; /* reused: no allocation per unit */
	trawl_status st;

	if (s->fail_code) {
		int has_raw = s->job.len > 0;

		return writer_failure(&g->w, &s->src, s->fail_code,
				      s->fail_detail ? s->fail_detail : "",
				      has_raw ? s->job.data + s->data_off : NULL,
				      has_raw ? s->data_len : 0);
	}
	if (rec_unit_redecode(u, s->result.data + WIRE_HEADER_SIZE,
			      s->result.len - WIRE_HEADER_SIZE) ||
	    rec_unit_check_frames(u))
		return writer_failure(&g->w, &s->src, "bad-result",
				      "the parser returned a malformed record",
				      s->job.data + s->data_off, s->data_len);
	st = writer_unit(&g->w, &s->src, u);
	return st;
}

/* Queues units on the workers while they have room, and sends what is
 * queued. */
static trawl_status feed(struct ingest *g)
{
	trawl_status st = TRAWL_OK;
	int fed = 1;

	while (!st && fed)
		st = feed_one(g, &fed);
	for (unsigned i = 0; i < g->nworkers && !st; i++)
		if (worker_flush(&g->workers[i]) != 0)
			st = worker_lost(g, i, 0);
	return st;
}

/*
 * Writes the units that are next in order.  A poll can bring a hundred
 * results at once, and writing them takes longer than the workers take
 * to empty their queues or to fill their result pipes (and the ingest
 * process is not always on a core: it shares two with two workers).  So
 * every DRAIN_FEED units the results that are there are taken and the
 * workers topped up.  On Enron, each worker waited for jobs 1.6-1.8 s
 * of the ingest's 5.5 without that (and 16 jobs queued), 0.2-0.3 s with
 * it (and 64).
 */
#define DRAIN_FEED 8

static trawl_status pump(struct ingest *g)
{
	trawl_status st = TRAWL_OK;

	for (unsigned i = 0; i < g->nworkers && !st; i++)
		st = read_worker(g, i);
	return st ? st : feed(g);
}

static trawl_status drain(struct ingest *g)
{
	trawl_status st = TRAWL_OK;
	unsigned n = 0;

	while (!st && g->next_write < g->next_seq) {
		struct slot *s = slot_of(g, g->next_write);

		if (s->state != SLOT_DONE)
			break;
		st = write_slot(g, s);
		slot_clear(g, s);
		g->next_write++;
		if (!st)
			st = writer_commit(&g->w, 0);
		if (!st && ++n % DRAIN_FEED == 0)
			st = pump(g);
	}
	return st;
}

/* ---- the loop ---- */

static void progress(struct ingest *g, int done)
{
	trawl_ingest_progress p;
	double t = worker_now();

	if (!g->opt || !g->opt->on_progress)
		return;
	if (!done && t - g->last_progress < 0.25)
		return;
	g->last_progress = t;
	memset(&p, 0, sizeof(p));
	p.files = g->in.files;
	p.units = g->sum->units;
	p.items = g->sum->items;
	p.bytes = g->in.bytes;
	p.bytes_total = g->bytes_total;
	p.failures = g->sum->failures;
	p.warnings = g->sum->warnings;
	p.seconds = t - g->t0;
	p.done = done;
	g->opt->on_progress(g->opt->ctx, &p);
}

static trawl_status poll_workers(struct ingest *g)
{
	struct pollfd pfd[2 * TRAWL_MAX_JOBS];
	trawl_status st = TRAWL_OK;
	double t = worker_now();
	int n = 0, timeout = 1000;

	for (unsigned i = 0; i < g->nworkers; i++) {
		struct worker *w = &g->workers[i];

		pfd[2 * i].fd = w->from_fd;
		pfd[2 * i].events = POLLIN;
		pfd[2 * i + 1].fd = w->out_off < w->out.len ? w->to_fd : -1;
		pfd[2 * i + 1].events = POLLOUT;
		n += 2;
	}
	if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
		return archive_fail(g->a, TRAWL_ERR_IO, "poll: %s",
				    strerror(errno));
	for (unsigned i = 0; i < g->nworkers && !st; i++) {
		struct worker *w = &g->workers[i];

		if (pfd[2 * i + 1].revents && worker_flush(w) != 0) {
			st = worker_lost(g, i, 0);
			continue;
		}
		if (pfd[2 * i].revents)
			st = read_worker(g, i);
		else if (w->nqueue &&
			 t - w->head_since > g->wall_seconds)
			st = worker_lost(g, i, 1);
	}
	return st;
}

static trawl_status run(struct ingest *g)
{
	trawl_status st = TRAWL_OK;

	while (!st) {
		st = feed(g);
		if (!st)
			st = drain(g);
		if (st || (g->in_done && g->next_write == g->next_seq))
			break;
		/* Only wait when some worker has work: failures from the
		 * walker need no worker. */
		{
			int busy = 0;

			for (unsigned i = 0; i < g->nworkers; i++)
				busy |= g->workers[i].nqueue > 0;
			if (busy)
				st = poll_workers(g);
		}
		progress(g, 0);
	}
	return st;
}

/* For the progress ETA: the bytes of the regular files under paths (a
 * stat-only walk; archives count as their compressed size). */
static uint64_t walk_total;

static int add_size(const char *path, const struct stat *sb, int type,
		    struct FTW *ftw)
{
	if (type == FTW_F && S_ISREG(sb->st_mode))
		walk_total += (uint64_t)sb->st_size;
	return 0;
}

static uint64_t estimate_total(const char *const *paths, size_t n)
{
	walk_total = 0;
	for (size_t i = 0; i < n; i++)
		nftw(paths[i], add_size, 64, FTW_PHYS);
	return walk_total;
}

/* One worker per core.  The workers parse and analyze (the index terms
 * of each item), which is more work than the ingest process's share
 * (inverting, SQLite, blobs): with a worker fewer than the cores, that
 * worker was the bottleneck.  Enron on 2 cores, three pairs of runs,
 * alternating, on a shared machine: 2 workers 12.3-21.6 s, 1 worker
 * 15.6-31.9 s, each pair in 2's favour. */
static unsigned default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > TRAWL_MAX_JOBS ? TRAWL_MAX_JOBS : (unsigned)n;
}

/* trawl_reindex_options.on_progress of the catch-up (ctx: the ingest) */
static void catch_up_progress(void *ctx, uint64_t docs)
{
	const struct ingest *g = ctx;
	trawl_ingest_progress p = {
		.seconds = worker_now() - g->t0,
		.indexed_earlier = docs,
	};

	g->opt->on_progress(g->opt->ctx, &p);
}

trawl_status trawl_ingest(trawl_archive *a, const char *const *paths,
			  size_t npaths, const trawl_ingest_options *opt,
			  trawl_ingest_summary *summary)
{
	struct ingest g;
	trawl_ingest_summary local;
	trawl_status st;
	void (*old_pipe)(int);

	if (!summary)
		summary = &local;
	memset(summary, 0, sizeof(*summary));
	if (!(a->flags & TRAWL_OPEN_WRITE))
		return archive_fail(a, TRAWL_ERR_INVALID,
				    "archive not opened for writing");
	memset(&g, 0, sizeof(g));
	writer_init(&g.w); /* the cleanup below closes no fd 0 */
	g.t0 = worker_now();
	/* Items an earlier ingest stored without the index are indexed
	 * first, so that this ingest's segments follow theirs.  The flush's
	 * threads are joined before the workers fork. */
	if (!(opt && opt->no_index)) {
		trawl_reindex_options ro = { .on_progress = catch_up_progress,
					     .ctx = &g };

		g.opt = opt;
		if ((st = index_catch_up(a, opt ? opt->failpoint : NULL,
					 opt && opt->on_progress ? &ro : NULL,
					 &summary->indexed_earlier)))
			return st;
	}
	g.a = a;
	g.opt = opt;
	g.sum = summary;
	g.nworkers = opt && opt->jobs ? opt->jobs : default_jobs();
	g.wcfg.cpu_seconds = opt && opt->parse_seconds ? opt->parse_seconds
						      : TRAWL_WORKER_CPU_SECONDS;
	g.wall_seconds = opt && opt->parse_seconds ? 3 * opt->parse_seconds
						  : TRAWL_WORKER_WALL_SECONDS;
	g.wcfg.failpoint = opt ? opt->failpoint : NULL;
	g.wcfg.no_terms = opt && opt->no_index;
	if (g.nworkers > TRAWL_MAX_JOBS)
		g.nworkers = TRAWL_MAX_JOBS;
	old_pipe = signal(SIGPIPE, SIG_IGN);
	g.workers = calloc(g.nworkers, sizeof(*g.workers));
	g.slots = calloc(TRAWL_REORDER_UNITS, sizeof(*g.slots));
	for (unsigned i = 0; g.workers && i < g.nworkers; i++)
		g.workers[i].to_fd = g.workers[i].from_fd = -1;
	if (!g.workers || !g.slots || input_init(&g.in, paths, npaths)) {
		st = archive_fail(a, TRAWL_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < TRAWL_REORDER_UNITS; i++) {
		buf_init(&g.slots[i].job, TRAWL_MAX_FRAME);
		buf_init(&g.slots[i].result, TRAWL_MAX_FRAME);
	}
	if (opt && opt->on_progress)
		g.bytes_total = estimate_total(paths, npaths);
	/* Workers first: fork before anything else is set up. */
	for (unsigned i = 0; i < g.nworkers; i++)
		if ((st = spawn(&g, i)))
			goto out;
	if ((st = writer_open(&g.w, a, opt, summary)))
		goto out;
	st = run(&g);
	if (!st)
		st = writer_finish(&g.w);
	/* The threads were recomputed over the whole archive in the last
	 * batch's transaction (membership depends only on the set of
	 * messages); the map readers use follows the commit. */
	if (!st)
		st = threadmap_write(a);
	if (!st)
		st = writer_checkpoint_wait(&g.w);
out:
	for (unsigned i = 0; g.workers && i < g.nworkers; i++) {
		if (st)
			worker_kill(&g.workers[i], NULL);
		else
			worker_stop(&g.workers[i]);
		worker_release(&g.workers[i]);
	}
	writer_close(&g.w);
	for (unsigned i = 0; g.slots && i < TRAWL_REORDER_UNITS; i++) {
		slot_clear(&g, &g.slots[i]);
		buf_release(&g.slots[i].job);
		buf_release(&g.slots[i].result);
	}
	summary->files = g.in.files;
	summary->bytes = g.in.bytes;
	summary->seconds = worker_now() - g.t0;
	if (g.in.levels)
		progress(&g, 1);
	input_release(&g.in);
	rec_unit_release(&g.ru);
	free(g.workers);
	free(g.slots);
	signal(SIGPIPE, old_pipe);
	return st;
}
