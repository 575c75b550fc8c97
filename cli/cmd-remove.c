/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* cmd-remove.c - trawl remove: take items down, with a reason. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>

#include "cli.h"
#include "banned.h"

int cmd_remove(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "archive", required_argument, NULL, 'A' },
		{ "reason", required_argument, NULL, 'r' },
		{ "keep-index", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const char *reason = NULL;
	unsigned flags = 0;
	int64_t *ids = NULL;
	uint64_t removed = 0;
	trawl_archive *a;
	trawl_status st;
	int c, rc = EXIT_OK, n;

	while ((c = getopt_long(argc, argv, "A:", opts, NULL)) != -1) {
		switch (c) {
		case 'A':
			cli_archive = optarg;
			break;
		case 'r':
			reason = optarg;
			break;
		case 'k':
			flags |= TRAWL_REMOVE_KEEP_INDEX;
			break;
		default:
			return cli_usage("remove");
		}
	}
	n = argc - optind;
	if (n < 1 || !reason || !*reason) {
		cli_error("remove", "name the items and give --reason TEXT");
		return cli_usage("remove");
	}
	if (!(ids = calloc((size_t)n, sizeof(*ids))))
		return EXIT_ERROR;
	for (int i = 0; i < n; i++) {
		char *end;

		errno = 0;
		ids[i] = strtoll(argv[optind + i], &end, 10);
		if (errno || *end || ids[i] <= 0) {
			cli_error("remove", "'%s' is not an item ID",
				  argv[optind + i]);
			free(ids);
			return cli_usage("remove");
		}
	}
	if (!(a = cli_open("remove", TRAWL_OPEN_WRITE, &rc))) {
		free(ids);
		return rc;
	}
	st = trawl_remove(a, ids, (size_t)n, reason, flags, &removed);
	if (st) {
		cli_error("remove", "%s", trawl_archive_errmsg(a));
		rc = cli_exit_for(st);
	} else {
		fprintf(stderr, "removed %llu item%s\n",
			(unsigned long long)removed, removed == 1 ? "" : "s");
	}
	trawl_archive_close(a);
	free(ids);
	return rc;
}
