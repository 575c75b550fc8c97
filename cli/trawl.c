/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * trawl.c - the command-line front end: global options and the command
 * table.  Each subcommand lives in its own cmd-*.c and talks to the
 * archive only through trawl.h.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "banned.h"

const char *cli_archive;

static const struct cmd commands[] = {
	{ "ingest", cmd_ingest,
	  "ingest [-A ARCHIVE] [-j N] [--report FILE] [--batch N]\n"
	  "             [--parse-timeout SECONDS] [--no-index] [-q] PATH...",
	  "add mail and files to the archive (creating it if needed); "
	  "--no-index stores them only, and the next ingest or reindex "
	  "indexes them" },
	{ "search", cmd_search,
	  "search [-A ARCHIVE] [--sort relevance|newest|oldest] [--limit N]\n"
	  "             [--offset N] [--facets] [--threads] [--copies]\n"
	  "             [--format text|json|csv|ids] [--explain]\n"
	  "             [--color auto|always|never] QUERY...\n"
	  "       trawl search [-A ARCHIVE] [options] --batch FILE",
	  "search the archive (docs/QUERY.md); --batch runs a query per line "
	  "of FILE and writes each one's count, top IDs and time" },
	{ "count", cmd_count,
	  "count [-A ARCHIVE] [--threads] [--copies] QUERY...",
	  "print how many results trawl search reports for QUERY" },
	{ "show", cmd_show, "show [-A ARCHIVE] ID [--raw | --json]",
	  "print one item; --raw writes its original bytes" },
	{ "stats", cmd_stats, "stats [-A ARCHIVE] [--json] [--failures]",
	  "counts of items, correspondents, sources, warnings, failures" },
	{ "check", cmd_check, "check [-A ARCHIVE]",
	  "verify every blob, reference and index segment; exit 1 if "
	  "anything is wrong" },
	{ "remove", cmd_remove,
	  "remove [-A ARCHIVE] --reason TEXT [--keep-index] ID...",
	  "take items down (with what is inside them); their IDs stay as "
	  "tombstones" },
	{ "optimize", cmd_optimize, "optimize [-A ARCHIVE]",
	  "merge the index into one segment (faster searches; drops what "
	  "was removed)" },
	{ "reindex", cmd_reindex, "reindex [-A ARCHIVE] [--batch N] [-q]",
	  "rebuild the full-text index from the archive alone" },
};

static void help(FILE *f)
{
	fprintf(f, "usage: trawl [-A ARCHIVE] COMMAND [ARGS]\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  trawl %s\n      %s\n", commands[i].usage,
			commands[i].summary);
	fprintf(f,
		"\nThe archive is the directory given with -A, else "
		"$TRAWL_ARCHIVE, else ./trawl-archive.\n"
		"\nExit status:\n"
		"  0  success\n"
		"  1  the command ran and found problems (check)\n"
		"  2  usage error\n"
		"  3  archive missing, locked by another writer, or newer "
		"than this trawl\n"
		"  4  no such item\n"
		"  5  I/O, database or corrupt-data error\n");
}

void cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "trawl %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage(const char *cmd)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, cmd))
			fprintf(stderr, "usage: trawl %s\n", commands[i].usage);
	return EXIT_USAGE;
}

int cli_exit_for(trawl_status st)
{
	switch (st) {
	case TRAWL_OK: return EXIT_OK;
	case TRAWL_ERR_LOCKED:
	case TRAWL_ERR_VERSION: return EXIT_ARCHIVE;
	case TRAWL_ERR_NOT_FOUND: return EXIT_NOT_FOUND;
	case TRAWL_ERR_INVALID: return EXIT_USAGE;
	default: return EXIT_ERROR;
	}
}

trawl_archive *cli_open(const char *cmd, unsigned flags, int *rc)
{
	trawl_archive *a = NULL;
	trawl_status st = trawl_archive_open(cli_archive, flags, &a);

	if (st == TRAWL_OK)
		return a;
	cli_error(cmd, "%s", trawl_archive_errmsg(a));
	*rc = st == TRAWL_ERR_NOT_FOUND ? EXIT_ARCHIVE : cli_exit_for(st);
	trawl_archive_close(a);
	return NULL;
}

void cli_print_json(FILE *f, json_t *j)
{
	json_dumpf(j, f, JSON_COMPACT | JSON_ENSURE_ASCII * 0);
	fputc('\n', f);
	json_decref(j);
}

void cli_format_date(int64_t t, int tz, char *out, size_t n)
{
	time_t tt = (time_t)(t + (int64_t)tz * 60);
	struct tm tm;

	if (!gmtime_r(&tt, &tm)) {
		snprintf(out, n, "(invalid date %lld)", (long long)t);
		return;
	}
	strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm);
}

/*
 * GLib 2.74 (Debian 12) hands out small blocks from its own slice
 * magazines unless G_SLICE=always-malloc is in the environment when GLib
 * initializes, which is before main(); GLib 2.76 and later always use
 * malloc.  GMime allocates its parse through it, and malloc (mimalloc
 * here) is cheaper: about 0.2-0.3 s of CPU on Enron's ingest.  So an
 * ingest sets the variable and runs itself once more, by the path the
 * kernel (or valgrind, which emulates the link) gives for this program;
 * when that fails, it runs on as it is.  Under valgrind, set G_SLICE
 * yourself: the exec would leave the tool.
 */
static void slices_from_malloc(char **argv)
{
	char self[PATH_MAX];
	ssize_t n;

	if (getenv("G_SLICE"))
		return;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0 || setenv("G_SLICE", "always-malloc", 1))
		return;
	self[n] = '\0';
	execv(self, argv);
	unsetenv("G_SLICE");
}

int main(int argc, char **argv)
{
	int i = 1;

	cli_archive = getenv("TRAWL_ARCHIVE");
	if (!cli_archive || !*cli_archive)
		cli_archive = "trawl-archive";
	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "-A") && i + 1 < argc) {
			cli_archive = argv[i + 1];
			i += 2;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			help(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--version")) {
			printf("trawl %s\n", TRAWL_VERSION);
			return EXIT_OK;
		} else {
			fprintf(stderr, "trawl: unknown option %s\n", argv[i]);
			help(stderr);
			return EXIT_USAGE;
		}
	}
	if (i == argc) {
		help(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[i], "ingest"))
		slices_from_malloc(argv);
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (!strcmp(commands[c].name, argv[i]))
			return commands[c].run(argc - i, argv + i);
	fprintf(stderr, "trawl: unknown command '%s'\n", argv[i]);
	help(stderr);
	return EXIT_USAGE;
}
