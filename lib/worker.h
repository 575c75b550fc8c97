/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * worker.h - parser worker processes.
 *
 * The ingest process forks its workers before it creates any thread.  Each
 * worker reads job frames from a pipe, parses with GMime in its own address
 * space under resource limits, and writes result frames back.  A worker
 * that crashes, runs out of CPU time or hangs costs only the job it was
 * working on; the ingest process reports that job and starts a new worker.
 */
#ifndef TRAWL_WORKER_H
#define TRAWL_WORKER_H

#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "bounds.h"

struct worker {
	pid_t pid;            /* 0 when not running */
	int to_fd;            /* jobs, non-blocking */
	int from_fd;          /* results, non-blocking */
	struct buf out;       /* bytes waiting to be written to to_fd */
	size_t out_off;
	struct buf in;        /* bytes read from from_fd, frames not yet taken */
	size_t in_off;        /* start of the first frame not yet taken */
	uint64_t queue[TRAWL_WORKER_QUEUE]; /* seqs sent, oldest first */
	int nqueue;
	double head_since;    /* when the oldest job became the current one */
};

/* What a worker process is told when it starts. */
struct worker_config {
	unsigned cpu_seconds;  /* RLIMIT_CPU allowance per job */
	int no_terms;          /* send no doc terms (an ingest without index) */
	/* Test hook: when "worker-faults", a job whose bytes contain
	 * "TRAWL-TEST-CRASH" crashes the worker (SIGSEGV) and one with
	 * "TRAWL-TEST-HANG" spins forever.  NULL in normal use, and then the
	 * strings mean nothing. */
	const char *failpoint;
};

/* Forks a worker.  close_fds (ncfd entries) are closed in the child: the
 * other workers' pipes, the archive lock.  Returns 0 or -1 (errno set). */
int worker_spawn(struct worker *w, const struct worker_config *cfg,
		 const int *close_fds, int ncfd);
/* Kills (SIGKILL) and reaps the worker; *status gets its wait status. */
void worker_kill(struct worker *w, int *status);
/* Closes the job pipe so the worker exits, then reaps it. */
void worker_stop(struct worker *w);
void worker_release(struct worker *w);

/* Queues a job frame (already framed in job) for writing. */
int worker_queue_job(struct worker *w, const struct buf *job, uint64_t seq);
/* Writes what it can of the queued bytes.  0, or -1 when the pipe broke. */
int worker_flush(struct worker *w);
/* Reads what is available.  Returns 1 when a whole frame is ready
 * (worker_frame gives it; worker_take_frame moves past it), 0 when more is
 * needed, -1 on EOF or error (the worker died), -2 when the frame is
 * malformed. */
int worker_read(struct worker *w);
const uint8_t *worker_frame(const struct worker *w, size_t *len);
void worker_take_frame(struct worker *w);

/* Monotonic seconds, for job timeouts. */
double worker_now(void);

/* Entry point of the child process; never returns. */
void worker_main(int in_fd, int out_fd, const struct worker_config *cfg)
	__attribute__((noreturn));

#endif
