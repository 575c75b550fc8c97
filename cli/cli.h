/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* cli.h - what the subcommands of the trawl CLI share. */
#ifndef TRAWL_CLI_H
#define TRAWL_CLI_H

#include <jansson.h>
#include <stdio.h>

#include "trawl.h"

/* Exit codes (also in `trawl --help`). */
enum {
	EXIT_OK = 0,
	EXIT_PROBLEMS = 1,  /* ran, and found problems (check) */
	EXIT_USAGE = 2,     /* bad command line */
	EXIT_ARCHIVE = 3,   /* archive missing, locked, or of a newer version */
	EXIT_NOT_FOUND = 4, /* no such item */
	EXIT_ERROR = 5,     /* I/O, database or corrupt data */
};

/* Format version of every JSON output; bumped on incompatible change. */
#define CLI_JSON_FORMAT 2

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
	const char *summary;
};

extern const char *cli_archive; /* -A, $TRAWL_ARCHIVE, or "trawl-archive" */

/* Prints "trawl NAME: message" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prints the usage of cmd to stderr and returns EXIT_USAGE. */
int cli_usage(const char *cmd);
/* Opens the archive or prints why not; returns NULL on failure with *rc. */
trawl_archive *cli_open(const char *cmd, unsigned flags, int *rc);
/* Exit code for a library status. */
int cli_exit_for(trawl_status st);
/* Writes j as JSON to f, one line, and releases it. */
void cli_print_json(FILE *f, json_t *j);
/* A UTC timestamp as "YYYY-MM-DD HH:MM:SS" shifted by tz minutes. */
void cli_format_date(int64_t t, int tz, char *out, size_t n);

int cmd_ingest(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_reindex(int argc, char **argv);
int cmd_remove(int argc, char **argv);
int cmd_optimize(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_count(int argc, char **argv);

#endif
