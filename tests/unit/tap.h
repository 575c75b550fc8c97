/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * tap.h - a minimal TAP producer for the C unit tests.
 *
 *   ok(cond, "what")           one check
 *   is_str(got, want, "what")  strings (NULL-safe), shows both on failure
 *   is_int(got, want, "what")  integers, shows both on failure
 *   skip("why")                a check that could not run
 *   return tap_done();         prints the plan; exit status 1 if any failed
 *
 * tests/run counts "ok", "not ok" and "# SKIP" lines.
 */
#ifndef TRAWL_TAP_H
#define TRAWL_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

__attribute__((format(printf, 4, 5), unused))
static int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!pass)
		tap_failed++;
	printf("%sok %d - ", pass ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass)
		printf("#   at %s:%d\n", file, line);
	fflush(stdout);
	return pass;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_str(got, want, ...)                                               \
	do {                                                                 \
		const char *g_ = (got), *w_ = (want);                        \
		int p_ = (g_ == NULL && w_ == NULL) ||                       \
			 (g_ && w_ && strcmp(g_, w_) == 0);                  \
		if (!tap_ok(p_, __FILE__, __LINE__, __VA_ARGS__))            \
			printf("#   got:  '%s'\n#   want: '%s'\n",           \
			       g_ ? g_ : "(null)", w_ ? w_ : "(null)");      \
	} while (0)

#define is_int(got, want, ...)                                               \
	do {                                                                 \
		long long g_ = (long long)(got), w_ = (long long)(want);     \
		if (!tap_ok(g_ == w_, __FILE__, __LINE__, __VA_ARGS__))      \
			printf("#   got:  %lld\n#   want: %lld\n", g_, w_);  \
	} while (0)

__attribute__((unused))
static void skip(const char *why)
{
	tap_count++;
	printf("ok %d # SKIP %s\n", tap_count, why);
}

__attribute__((unused))
static int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
