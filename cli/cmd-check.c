/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* cmd-check.c - trawl check: the deep integrity check. */
#include <getopt.h>

#include "cli.h"
#include "banned.h"

static void on_problem(void *ctx, const char *problem)
{
	printf("%s\n", problem);
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "archive", required_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	trawl_archive *a;
	trawl_status st;
	uint64_t problems = 0;
	int c, rc = EXIT_OK;

	while ((c = getopt_long(argc, argv, "A:", opts, NULL)) != -1) {
		if (c != 'A')
			return cli_usage("check");
		cli_archive = optarg;
	}
	if (optind != argc)
		return cli_usage("check");
	if (!(a = cli_open("check", TRAWL_OPEN_READ, &rc)))
		return rc;
	st = trawl_check(a, on_problem, NULL, &problems);
	if (st) {
		cli_error("check", "%s", trawl_archive_errmsg(a));
		rc = cli_exit_for(st);
	} else {
		printf("%llu problem%s\n", (unsigned long long)problems,
		       problems == 1 ? "" : "s");
		rc = problems ? EXIT_PROBLEMS : EXIT_OK;
	}
	trawl_archive_close(a);
	return rc;
}
