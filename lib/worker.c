/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* worker.c - forking, feeding and reaping parser workers. */
#include <errno.h>
#include <fcntl.h>
#include <gmime/gmime.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "worker.h"
#include "index.h"
#include "io.h"
#include "parse.h"
#include "wire.h"
#include "banned.h"

/* ---- child side ---- */

/*
 * RLIMIT_CPU is per process, cumulative and in whole seconds: before each
 * job the soft limit is moved to floor(CPU used so far) + 1 + the per-job
 * allowance, so that a job gets between allowance and allowance + 1 s.
 * Reading the CPU used takes three system calls, more than many a job's
 * parse, so the limit is moved only when it may have come too close: the
 * worker is single-threaded, so its CPU time grows no faster than the
 * monotonic clock, and while used + (now - then) stays below
 * floor(used) + 1 the limit set then still leaves the whole allowance.
 * (On Enron that is one move per few thousand jobs.)
 */
struct cpu_limit {
	int set;
	double used; /* CPU seconds used when the limit was last set */
	double at;   /* the monotonic clock then */
};

static double mono_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void limit_cpu_for_next_job(struct cpu_limit *cl, unsigned allowance)
{
	double now = mono_seconds(), used;
	struct rusage ru;
	struct rlimit rl;

	if (cl->set &&
	    cl->used + (now - cl->at) < (double)(uint64_t)cl->used + 1.0)
		return;
	if (getrusage(RUSAGE_SELF, &ru) != 0 || getrlimit(RLIMIT_CPU, &rl))
		return;
	used = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	rl.rlim_cur = (rlim_t)(uint64_t)used + 1 + allowance;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
		rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_CPU, &rl) != 0)
		return;
	cl->set = 1;
	cl->used = used;
	cl->at = now;
}

static void limit_memory(void)
{
	struct rlimit rl;

#if defined(__SANITIZE_ADDRESS__)
	return; /* ASan's shadow memory counts as data */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	return;
#endif
#endif
	rl.rlim_cur = rl.rlim_max = (rlim_t)TRAWL_WORKER_DATA_BYTES;
	setrlimit(RLIMIT_DATA, &rl);
}

static void send_fail(int fd, uint64_t seq, const char *code,
		      const char *detail)
{
	struct buf f;

	buf_init(&f, 4096);
	wire_frame_begin(&f, FRAME_FAIL, seq);
	buf_append(&f, code, strlen(code) + 1);
	buf_puts(&f, detail);
	wire_frame_end(&f);
	if (!f.err)
		io_write_all(fd, f.data, f.len);
	buf_release(&f);
}

/* The test hook of struct worker_config. */
static void injected_fault(const struct worker_config *cfg, const char *job,
			   size_t len)
{
	if (!cfg->failpoint || strcmp(cfg->failpoint, "worker-faults"))
		return;
	if (memmem(job, len, "TRAWL-TEST-CRASH", 16))
		raise(SIGSEGV);
	if (memmem(job, len, "TRAWL-TEST-HANG", 15))
		for (volatile unsigned long i = 0;; i++)
			;
}

/* docterms_body_fn: the body texts the parser kept */
static const char *stored_body(const void *p, size_t item, size_t *len)
{
	return parser_body(p, item, len);
}

/*
 * Analyzes the items of the result just written to out (after its frame
 * header) and appends their doc terms records.  The records are built in
 * terms first: out cannot grow while unit points into it.
 */
static trawl_status add_terms(struct docterms_builder *dt,
			      const struct parser *p,
			      struct rec_unit *unit, struct buf *out,
			      struct buf *terms)
{
	trawl_status st;

	if (rec_unit_redecode(unit, out->data + WIRE_HEADER_SIZE,
			      out->len - WIRE_HEADER_SIZE))
		return TRAWL_ERR_INTERNAL;
	buf_reset(terms);
	if ((st = docterms_build_unit(dt, unit, stored_body, p, terms)))
		return st;
	return buf_append(out, terms->data, terms->len);
}

/*
 * The jobs a worker reads: the pipe is read in large pieces and the
 * frames are taken from them in place (two read calls per job before).
 * in.data[in_off, in.len) is what is read and not yet taken.
 */
#define JOB_READ ((size_t)256 << 10) /* bytes asked of one read() */

struct job_reader {
	struct buf in;
	size_t in_off;
};

/* Makes n bytes available at r->in.data + r->in_off; 0, or -1 at the end
 * of the pipe, on an error, or when n is more than a frame may be. */
static int job_need(struct job_reader *r, int fd, size_t n)
{
	size_t have = r->in.len - r->in_off;

	if (have >= n)
		return 0;
	if (r->in_off) {
		memmove(r->in.data, r->in.data + r->in_off, have);
		r->in.len = have;
		r->in_off = 0;
	}
	if (n > r->in.max)
		return -1;
	while (r->in.len < n) {
		/* JOB_READ, or what the frame still needs if more; never
		 * past the cap (buf_reserve's error would stick) */
		size_t room = r->in.max - r->in.len, want = n - r->in.len;
		char *d;
		ssize_t k;

		if (want < JOB_READ)
			want = JOB_READ < room ? JOB_READ : room;
		if (!(d = buf_reserve(&r->in, want)))
			return -1;
		k = read(fd, d, want);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		buf_commit(&r->in, (size_t)k);
	}
	return 0;
}

void worker_main(int in_fd, int out_fd, const struct worker_config *cfg)
{
	struct parser *p;
	struct buf out, terms;
	struct job_reader jr = { .in_off = 0 };
	struct rec_unit unit = { 0 };
	struct docterms_builder *dt;
	struct cpu_limit cl = { 0 };
	int rc = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_DFL);
	limit_memory();
	g_mime_init();
	p = parser_new();
	dt = docterms_builder_new();
	buf_init(&jr.in, WIRE_HEADER_SIZE + TRAWL_MAX_FRAME);
	buf_init(&out, TRAWL_MAX_FRAME);
	buf_init(&terms, TRAWL_MAX_FRAME);
	if (!p || !dt) {
		rc = 3;
		goto out;
	}
	while (job_need(&jr, in_fd, WIRE_HEADER_SIZE) == 0) {
		const uint8_t *h = (const uint8_t *)jr.in.data + jr.in_off;
		uint32_t len = wire_get_u32(h);
		uint64_t seq = wire_get_u64(h + 8);
		const char *d;
		trawl_status st;

		if (len > TRAWL_MAX_FRAME ||
		    job_need(&jr, in_fd, WIRE_HEADER_SIZE + (size_t)len) != 0) {
			rc = 4;
			break;
		}
		d = jr.in.data + jr.in_off + WIRE_HEADER_SIZE;
		jr.in_off += WIRE_HEADER_SIZE + (size_t)len;
		limit_cpu_for_next_job(&cl, cfg->cpu_seconds);
		injected_fault(cfg, d, len);
		wire_frame_begin(&out, FRAME_RESULT, seq);
		st = parser_run(p, d, len, &out);
		if (!st && !cfg->no_terms)
			st = add_terms(dt, p, &unit, &out, &terms);
		if (st) {
			send_fail(out_fd, seq, st == TRAWL_ERR_INVALID ? "bad-job"
				  : "result-too-large", trawl_status_str(st));
			continue;
		}
		wire_frame_end(&out);
		if (io_write_all(out_fd, out.data, out.len) != 0) {
			rc = 5;
			break;
		}
		/* Do not keep a huge buffer around after a huge message. */
		if (out.cap > ((size_t)64 << 20))
			buf_release(&out);
		if (jr.in.cap > ((size_t)64 << 20) && jr.in_off == jr.in.len) {
			buf_release(&jr.in);
			jr.in_off = 0;
		}
		if (terms.cap > ((size_t)64 << 20))
			buf_release(&terms);
	}
out:
	buf_release(&jr.in);
	buf_release(&out);
	buf_release(&terms);
	rec_unit_release(&unit);
	docterms_builder_free(dt);
	parser_free(p);
	g_mime_shutdown();
	exit(rc);
}

/* ---- parent side ---- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int worker_spawn(struct worker *w, const struct worker_config *cfg,
		 const int *close_fds, int ncfd)
{
	int jobs[2], results[2];
	pid_t pid;

	memset(w, 0, sizeof(*w));
	buf_init(&w->out, TRAWL_MAX_FRAME + WIRE_HEADER_SIZE);
	buf_init(&w->in, TRAWL_MAX_FRAME + WIRE_HEADER_SIZE);
	w->to_fd = w->from_fd = -1;
	if (pipe2(jobs, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(results, O_CLOEXEC) != 0) {
		close(jobs[0]);
		close(jobs[1]);
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(jobs[0]);
		close(jobs[1]);
		close(results[0]);
		close(results[1]);
		return -1;
	}
	if (pid == 0) {
		for (int i = 0; i < ncfd; i++)
			if (close_fds[i] >= 0)
				close(close_fds[i]);
		close(jobs[1]);
		close(results[0]);
		worker_main(jobs[0], results[1], cfg);
	}
	close(jobs[0]);
	close(results[1]);
	w->pid = pid;
	w->to_fd = jobs[1];
	w->from_fd = results[0];
	/* Larger pipes: fewer wake-ups per unit on both sides. */
	fcntl(w->to_fd, F_SETPIPE_SZ, 1 << 20);
	fcntl(w->from_fd, F_SETPIPE_SZ, 1 << 20);
	fcntl(w->to_fd, F_SETFL, O_NONBLOCK);
	fcntl(w->from_fd, F_SETFL, O_NONBLOCK);
	return 0;
}

static void close_pipes(struct worker *w)
{
	if (w->to_fd >= 0)
		close(w->to_fd);
	if (w->from_fd >= 0)
		close(w->from_fd);
	w->to_fd = w->from_fd = -1;
}

void worker_kill(struct worker *w, int *status)
{
	int st = 0;

	if (w->pid > 0) {
		kill(w->pid, SIGKILL);
		while (waitpid(w->pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	if (status)
		*status = st;
	close_pipes(w);
	w->pid = 0;
}

void worker_stop(struct worker *w)
{
	int st;

	if (w->to_fd >= 0)
		close(w->to_fd);
	w->to_fd = -1;
	if (w->pid > 0)
		while (waitpid(w->pid, &st, 0) < 0 && errno == EINTR)
			;
	close_pipes(w);
	w->pid = 0;
}

void worker_release(struct worker *w)
{
	buf_release(&w->out);
	buf_release(&w->in);
}

int worker_queue_job(struct worker *w, const struct buf *job, uint64_t seq)
{
	if (w->nqueue >= TRAWL_WORKER_QUEUE)
		return -1;
	if (w->out_off && w->out_off == w->out.len) {
		buf_reset(&w->out);
		w->out_off = 0;
	}
	if (buf_append(&w->out, job->data, job->len))
		return -1;
	if (w->nqueue == 0)
		w->head_since = now();
	w->queue[w->nqueue++] = seq;
	return 0;
}

int worker_flush(struct worker *w)
{
	while (w->out_off < w->out.len) {
		ssize_t n = write(w->to_fd, w->out.data + w->out_off,
				  w->out.len - w->out_off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		w->out_off += (size_t)n;
	}
	buf_reset(&w->out);
	w->out_off = 0;
	return 0;
}

/* Length of the whole frame at the start of the unread bytes, or 0 if it
 * is not all there yet; (size_t)-1 if its header is malformed. */
static size_t frame_ready(const struct worker *w)
{
	size_t have = w->in.len - w->in_off;
	uint32_t len;

	if (have < WIRE_HEADER_SIZE)
		return 0;
	len = wire_get_u32((const uint8_t *)w->in.data + w->in_off);
	if (len > TRAWL_MAX_FRAME)
		return (size_t)-1;
	return have >= WIRE_HEADER_SIZE + len ? WIRE_HEADER_SIZE + len : 0;
}

int worker_read(struct worker *w)
{
	for (;;) {
		size_t ready = frame_ready(w), want;
		ssize_t n;
		char *p;

		if (ready == (size_t)-1)
			return -2;
		if (ready)
			return 1;
		/* keep the partial frame, drop what was taken */
		if (w->in_off) {
			memmove(w->in.data, w->in.data + w->in_off,
				w->in.len - w->in_off);
			w->in.len -= w->in_off;
			w->in_off = 0;
		}
		want = 1 << 16;
		if (w->in.len >= WIRE_HEADER_SIZE) {
			size_t need = WIRE_HEADER_SIZE +
				wire_get_u32((uint8_t *)w->in.data) - w->in.len;

			if (need > want)
				want = need;
		}
		/* read ahead only as far as the buffer's cap allows */
		if (want > w->in.max - w->in.len)
			want = w->in.max - w->in.len;
		p = want ? buf_reserve(&w->in, want) : NULL;
		if (!p)
			return -2;
		n = read(w->from_fd, p, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		buf_commit(&w->in, (size_t)n);
	}
}

const uint8_t *worker_frame(const struct worker *w, size_t *len)
{
	*len = frame_ready(w);
	return (const uint8_t *)w->in.data + w->in_off;
}

void worker_take_frame(struct worker *w)
{
	w->in_off += frame_ready(w);
	if (w->in_off == w->in.len) {
		buf_reset(&w->in);
		w->in_off = 0;
	}
}

double worker_now(void)
{
	return now();
}
