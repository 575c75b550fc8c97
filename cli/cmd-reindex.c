/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* cmd-reindex.c - trawl reindex: rebuild index/ from the archive alone. */
#include <getopt.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "banned.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_progress(void *ctx, uint64_t docs)
{
	if (*(int *)ctx)
		fprintf(stderr, "\rreindex: %llu documents",
			(unsigned long long)docs);
}

int cmd_reindex(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "archive", required_argument, NULL, 'A' },
		{ "batch", required_argument, NULL, 'b' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	trawl_reindex_options opt = { 0 };
	trawl_archive *a;
	trawl_status st;
	uint64_t docs = 0;
	int c, rc = EXIT_OK, quiet = 0, tty = isatty(2);
	double t0 = now();
	char *end;

	while ((c = getopt_long(argc, argv, "A:q", opts, NULL)) != -1) {
		switch (c) {
		case 'A':
			cli_archive = optarg;
			break;
		case 'b':
			opt.batch_items = strtoul(optarg, &end, 10);
			if (*end || !opt.batch_items)
				return cli_usage("reindex");
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			return cli_usage("reindex");
		}
	}
	if (optind != argc)
		return cli_usage("reindex");
	tty = tty && !quiet;
	opt.on_progress = on_progress;
	opt.ctx = &tty;
	if (!(a = cli_open("reindex", TRAWL_OPEN_WRITE, &rc)))
		return rc;
	st = trawl_reindex(a, &opt, &docs);
	if (tty)
		fputc('\n', stderr);
	if (st) {
		cli_error("reindex", "%s", trawl_archive_errmsg(a));
		rc = cli_exit_for(st);
	} else if (!quiet) {
		fprintf(stderr, "reindexed %llu documents in %.1f s\n",
			(unsigned long long)docs, now() - t0);
	}
	trawl_archive_close(a);
	return rc;
}
