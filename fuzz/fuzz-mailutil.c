/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz-mailutil.c - runs every helper of lib/mailutil.c on the input and
 * checks the promises of mailutil.h: outputs are well-formed UTF-8 within
 * their cap, base subjects are stable, sniff skips stay inside the input,
 * parsed zones are within a day.
 *
 * Input: if it holds a '\n' within its first 48 bytes, the text before it
 * is the charset name for text_from_8bit and the rest is the text; every
 * other helper gets the whole input.
 */
#include <gmime/gmime.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "mailutil.h"
#include "banned.h"

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond))                                                 \
			__builtin_trap();                                    \
	} while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	g_mime_init();
	return 0;
}

static void check_utf8(const char *s, size_t max)
{
	CHECK(s != NULL);
	CHECK(strlen(s) <= max);
	CHECK(utf8_valid(s, strlen(s)));
}

static void fuzz_subject(const char *s)
{
	char *base, *again;

	base = subject_base(s);
	CHECK(base != NULL);
	CHECK(strlen(base) <= strlen(s) + 8);
	if (utf8_valid(s, strlen(s)))
		CHECK(utf8_valid(base, strlen(base)));
	again = subject_base(base);
	CHECK(again != NULL);
	CHECK(strcmp(again, base) == 0);
	free(again);
	free(base);
}

static void fuzz_dates(const char *s)
{
	int64_t t;
	int tz;

	if (mail_date_parse(s, &t, &tz))
		CHECK(tz > -24 * 60 && tz < 24 * 60);
	else
		CHECK(t == 0 && tz == 0);
	if (mail_received_date(s, &t, &tz))
		CHECK(tz > -24 * 60 && tz < 24 * 60);
	CHECK(maildir_name_time(s) >= -1);
}

static void fuzz_sniff(const char *data, size_t size)
{
	size_t skip, n = size < TRAWL_SNIFF_SIZE ? size : TRAWL_SNIFF_SIZE;
	int r;

	r = mail_sniff(data, size, &skip);
	CHECK(r == 0 || r == 1);
	CHECK(skip <= size);
	r = mail_sniff(data, n, &skip);
	CHECK(skip <= n);
	if (r)
		CHECK(skip < n);
}

static void fuzz_text(const char *data, size_t size, const char *charset)
{
	size_t maxes[] = { SIZE_MAX, size / 2, 7 }, i;
	enum text_origin origin;
	char *out;
	int cut;

	for (i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
		out = utf8_sanitize(data, size, maxes[i], &cut);
		check_utf8(out, maxes[i]);
		if (!cut && utf8_valid(data, size))
			CHECK(strlen(out) == size && !memcmp(out, data, size));
		free(out);
		out = text_from_8bit(data, size, charset, maxes[i], &cut,
				     &origin);
		check_utf8(out, maxes[i]);
		CHECK(origin >= TEXT_DECLARED && origin <= TEXT_REPLACED);
		free(out);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data, *nl;
	char *s, *charset = NULL, *addr;
	size_t clen = 0;

	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	fuzz_subject(s);
	fuzz_dates(s);
	fuzz_sniff(d, size);
	addr = addr_normalize(s);
	CHECK(addr != NULL && strlen(addr) <= strlen(s));
	free(addr);
	(void)utf8_valid(d, size);

	nl = memchr(d, '\n', size < 48 ? size : 48);
	if (nl) {
		clen = (size_t)(nl - d);
		charset = malloc(clen + 1);
		if (charset) {
			memcpy(charset, d, clen);
			charset[clen] = '\0';
		}
		fuzz_text(nl + 1, size - clen - 1, charset);
		free(charset);
	} else {
		fuzz_text(d, size, NULL);
	}
	free(s);
	return 0;
}
