/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* cmd-optimize.c - trawl optimize: merge the index into one segment. */
#include <getopt.h>

#include "cli.h"
#include "banned.h"

int cmd_optimize(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "archive", required_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	trawl_archive *a;
	trawl_status st;
	int c, rc = EXIT_OK;

	while ((c = getopt_long(argc, argv, "A:", opts, NULL)) != -1) {
		if (c != 'A')
			return cli_usage("optimize");
		cli_archive = optarg;
	}
	if (optind != argc)
		return cli_usage("optimize");
	if (!(a = cli_open("optimize", TRAWL_OPEN_WRITE, &rc)))
		return rc;
	if ((st = trawl_optimize(a))) {
		cli_error("optimize", "%s", trawl_archive_errmsg(a));
		rc = cli_exit_for(st);
	}
	trawl_archive_close(a);
	return rc;
}
