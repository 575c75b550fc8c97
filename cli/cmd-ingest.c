/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* cmd-ingest.c - trawl ingest: progress, report file, summary. */
#include <errno.h>
#include <getopt.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "banned.h"

struct ingest_ui {
	FILE *report;
	int tty;          /* stderr is a terminal: redraw one status line */
	double last_log;  /* plain mode: seconds of the last log line */
	const char *failpoint;
};

static void on_progress(void *ctx, const trawl_ingest_progress *p)
{
	struct ingest_ui *ui = ctx;
	double mb = (double)p->bytes / 1e6;
	double rate = p->seconds > 0 ? mb / p->seconds : 0;

	if (p->indexed_earlier && !p->files && !p->done) {
		if (!ui->tty && p->seconds - ui->last_log < 10)
			return;
		ui->last_log = p->seconds;
		fprintf(stderr, ui->tty ? "\r\033[Kindexing the items stored "
			"earlier without the index: %llu, %.0f s"
			: "ingest: indexing the items stored earlier without "
			"the index: %llu in %.1f s\n",
			(unsigned long long)p->indexed_earlier, p->seconds);
		return;
	}
	if (ui->tty) {
		char eta[32] = "";

		if (p->bytes_total && p->bytes && !p->done &&
		    p->bytes < p->bytes_total)
			snprintf(eta, sizeof(eta), ", ETA %.0f s",
				 p->seconds * (double)(p->bytes_total - p->bytes) /
					 (double)p->bytes);
		fprintf(stderr, "\r\033[K%llu files, %llu messages, %llu "
			"items, %.1f MB, %.1f MB/s, %.0f s%s%s",
			(unsigned long long)p->files,
			(unsigned long long)p->units,
			(unsigned long long)p->items, mb, rate, p->seconds, eta,
			p->failures ? " (failures: see report)" : "");
		if (p->done)
			fputc('\n', stderr);
		return;
	}
	if (!p->done && p->seconds - ui->last_log < 10)
		return;
	ui->last_log = p->seconds;
	fprintf(stderr, "ingest: %llu files, %llu units, %llu items, %.1f MB "
		"in %.1f s (%.1f MB/s), %llu failures\n",
		(unsigned long long)p->files, (unsigned long long)p->units,
		(unsigned long long)p->items, mb, p->seconds, rate,
		(unsigned long long)p->failures);
}

static json_t *event_json(const trawl_ingest_event *ev)
{
	json_t *j = json_object();

	json_object_set_new(j, "level", json_string(ev->level));
	json_object_set_new(j, "path", json_string(ev->path ? ev->path : ""));
	if (ev->member)
		json_object_set_new(j, "member", json_string(ev->member));
	if (ev->offset >= 0) {
		json_object_set_new(j, "offset", json_integer(ev->offset));
		json_object_set_new(j, "length", json_integer(ev->length));
	}
	if (ev->item)
		json_object_set_new(j, "item", json_integer(ev->item));
	json_object_set_new(j, "code", json_string(ev->code));
	json_object_set_new(j, "detail", json_string(ev->detail));
	return j;
}

static void on_event(void *ctx, const trawl_ingest_event *ev)
{
	struct ingest_ui *ui = ctx;

	if (ui->report)
		cli_print_json(ui->report, event_json(ev));
	if (!strcmp(ev->level, "failure")) {
		if (ui->tty)
			fputs("\r\033[K", stderr);
		fprintf(stderr, "trawl ingest: %s%s%s: %s: %s\n", ev->path,
			ev->member ? ":" : "", ev->member ? ev->member : "",
			ev->code, ev->detail);
	}
}

static double cpu_seconds(const struct rusage *ru)
{
	return (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) +
	       (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e6;
}

static void summary(const trawl_ingest_summary *s, int no_index)
{
	struct rusage self, kids;

	if (s->indexed_earlier)
		fprintf(stderr, "indexed %llu items stored earlier without the "
			"index\n", (unsigned long long)s->indexed_earlier);

	fprintf(stderr,
		"ingested %llu files (%.1f MB) in %.1f s: %llu new items "
		"(%llu emails, %llu attachments, %llu documents), %llu already "
		"present, %llu new source locations, %llu warnings, %llu "
		"failures%s\n",
		(unsigned long long)s->files, (double)s->bytes / 1e6, s->seconds,
		(unsigned long long)s->items, (unsigned long long)s->emails,
		(unsigned long long)s->attachments,
		(unsigned long long)s->documents, (unsigned long long)s->known,
		(unsigned long long)s->locations,
		(unsigned long long)s->warnings,
		(unsigned long long)s->failures,
		s->removed ? "; skipped what was removed from the archive" : "");
	if (no_index && s->items)
		fprintf(stderr, "not indexed (--no-index): no search finds the "
			"new items until the next trawl ingest or trawl "
			"reindex\n");
	if (getrusage(RUSAGE_SELF, &self) == 0 &&
	    getrusage(RUSAGE_CHILDREN, &kids) == 0)
		fprintf(stderr, "CPU: %.1f s in the main process (input, writer), %.1f s in "
			"the parsers (user + system)\n",
			cpu_seconds(&self), cpu_seconds(&kids));
}

int cmd_ingest(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "archive", required_argument, NULL, 'A' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "report", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "batch", required_argument, NULL, 'b' },
		{ "parse-timeout", required_argument, NULL, 't' },
		{ "no-index", no_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	struct ingest_ui ui = { 0 };
	trawl_ingest_options o = { 0 };
	trawl_ingest_summary s;
	trawl_archive *a;
	trawl_status st;
	const char *report = NULL;
	int c, quiet = 0, rc = EXIT_OK;
	char *end;

	while ((c = getopt_long(argc, argv, "A:j:q", opts, NULL)) != -1) {
		switch (c) {
		case 'A': cli_archive = optarg; break;
		case 'j':
			errno = 0;
			o.jobs = (unsigned)strtoul(optarg, &end, 10);
			if (errno || *end || !o.jobs || o.jobs > 64) {
				cli_error("ingest", "-j wants 1..64, not '%s'",
					  optarg);
				return cli_usage("ingest");
			}
			break;
		case 'r': report = optarg; break;
		case 't':
			errno = 0;
			o.parse_seconds = (unsigned)strtoul(optarg, &end, 10);
			if (errno || *end || !o.parse_seconds ||
			    o.parse_seconds > 86400) {
				cli_error("ingest", "--parse-timeout wants 1..86400 "
					  "seconds, not '%s'", optarg);
				return cli_usage("ingest");
			}
			break;
		case 'b':
			errno = 0;
			o.batch_items = (unsigned)strtoul(optarg, &end, 10);
			if (errno || *end || !o.batch_items) {
				cli_error("ingest", "--batch wants a positive "
					  "number, not '%s'", optarg);
				return cli_usage("ingest");
			}
			break;
		case 'q': quiet = 1; break;
		case 'N': o.no_index = 1; break;
		default: return cli_usage("ingest");
		}
	}
	if (optind >= argc) {
		cli_error("ingest", "no input paths");
		return cli_usage("ingest");
	}
	/* A path that is not there is a mistake on the command line, not
	 * a bad input: say so before touching the archive. */
	for (int i = optind; i < argc; i++) {
		if (access(argv[i], F_OK) != 0) {
			cli_error("ingest", "%s: %s", argv[i], strerror(errno));
			return EXIT_USAGE;
		}
	}
	if (report && !(ui.report = fopen(report, "w"))) {
		cli_error("ingest", "%s: %s", report, strerror(errno));
		return EXIT_ERROR;
	}
	ui.tty = !quiet && isatty(2);
	o.on_progress = quiet ? NULL : on_progress;
	o.on_event = on_event;
	o.ctx = &ui;
	/* Test hook for the crash-safety tests (see docs/FORMAT.md). */
	o.failpoint = getenv("TRAWL_FAILPOINT");
	a = cli_open("ingest", TRAWL_OPEN_WRITE | TRAWL_OPEN_CREATE, &rc);
	if (a) {
		st = trawl_ingest(a, (const char *const *)argv + optind,
				  (size_t)(argc - optind), &o, &s);
		if (!quiet)
			summary(&s, o.no_index);
		if (st) {
			cli_error("ingest", "%s", trawl_archive_errmsg(a));
			rc = cli_exit_for(st);
		}
		trawl_archive_close(a);
	}
	if (ui.report && fclose(ui.report) != 0) {
		cli_error("ingest", "%s: %s", report, strerror(errno));
		rc = EXIT_ERROR;
	}
	return rc;
}
