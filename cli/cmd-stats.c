/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* cmd-stats.c - trawl stats: counts, as a table or as JSON. */
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "banned.h"

/* The stable keys of `trawl stats --json`, in output order. */
static const struct {
	const char *key;
	size_t off;
	const char *label;
} fields[] = {
#define F(k, f, l) { k, offsetof(trawl_stats, f), l }
	F("items", items, "items"),
	F("emails", emails, "emails"),
	F("embedded", embedded, "embedded messages"),
	F("attachments", attachments, "attachments"),
	F("documents", documents, "documents"),
	F("correspondents", correspondents, "correspondents"),
	F("threads", threads, "threads"),
	F("sources", sources, "source locations"),
	F("warnings", warnings, "warnings"),
	F("failed", failed, "failed inputs"),
	F("guessed_dates", guessed_dates, "guessed dates"),
	F("duplicate_groups", duplicate_groups, "duplicate groups"),
	F("conflicts", conflicts, "Message-ID conflicts"),
	F("unindexed", unindexed, "items not yet indexed"),
	F("blobs", blobs, "blobs"),
	F("blob_bytes", blob_bytes, "original bytes"),
	F("stored_bytes", stored_bytes, "stored bytes"),
#undef F
};

static json_t *stats_json(const trawl_stats *s)
{
	json_t *j = json_object();

	json_object_set_new(j, "format", json_integer(CLI_JSON_FORMAT));
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		json_object_set_new(j, fields[i].key, json_integer(
			(json_int_t)*(const uint64_t *)((const char *)s +
							fields[i].off)));
	if (s->first_date || s->last_date) {
		json_object_set_new(j, "first_date", json_integer(s->first_date));
		json_object_set_new(j, "last_date", json_integer(s->last_date));
	}
	return j;
}

static void stats_text(json_t *j)
{
	char d1[32], d2[32];

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		printf("%-22s %lld\n", fields[i].label, (long long)
		       json_integer_value(json_object_get(j, fields[i].key)));
	if (json_object_get(j, "first_date")) {
		cli_format_date(json_integer_value(json_object_get(j,
				"first_date")), 0, d1, sizeof(d1));
		cli_format_date(json_integer_value(json_object_get(j,
				"last_date")), 0, d2, sizeof(d2));
		printf("%-22s %s .. %s UTC\n", "dates", d1, d2);
	}
}

static void print_failure(void *ctx, const trawl_ingest_event *ev)
{
	printf("%s%s%s", ev->path, ev->member ? ":" : "",
	       ev->member ? ev->member : "");
	if (ev->offset >= 0)
		printf(" @%lld+%lld", (long long)ev->offset,
		       (long long)ev->length);
	printf(": %s: %s\n", ev->code, ev->detail);
}

int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "archive", required_argument, NULL, 'A' },
		{ "json", no_argument, NULL, 'J' },
		{ "failures", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	trawl_stats s;
	trawl_archive *a;
	trawl_status st;
	int c, json = 0, failures = 0, rc = EXIT_OK;

	while ((c = getopt_long(argc, argv, "A:", opts, NULL)) != -1) {
		switch (c) {
		case 'A': cli_archive = optarg; break;
		case 'J': json = 1; break;
		case 'F': failures = 1; break;
		default: return cli_usage("stats");
		}
	}
	if (optind != argc)
		return cli_usage("stats");
	if (!(a = cli_open("stats", TRAWL_OPEN_READ, &rc)))
		return rc;
	st = trawl_stats_get(a, &s);
	if (!st && failures)
		st = trawl_failures(a, print_failure, NULL);
	if (st) {
		cli_error("stats", "%s", trawl_archive_errmsg(a));
		rc = cli_exit_for(st);
	} else if (!failures) {
		json_t *j = stats_json(&s);

		if (json) {
			cli_print_json(stdout, j);
		} else {
			stats_text(j);
			json_decref(j);
		}
	}
	trawl_archive_close(a);
	return rc;
}
