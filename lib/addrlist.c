/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* addrlist.c - lenient address-list splitting (see addrlist.h). */
#include <stdlib.h>
#include <string.h>

#include "addrlist.h"
#include "banned.h"

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A trimmed copy of s[0..n), with one pair of surrounding quotes (or
 * parentheses) removed. */
static char *trimmed(const char *s, size_t n)
{
	char *r;

	while (n && is_space(*s)) {
		s++;
		n--;
	}
	while (n && is_space(s[n - 1]))
		n--;
	if (n >= 2 && ((s[0] == '"' && s[n - 1] == '"') ||
		       (s[0] == '(' && s[n - 1] == ')') ||
		       (s[0] == '\'' && s[n - 1] == '\''))) {
		s++;
		n -= 2;
	}
	r = malloc(n + 1);
	if (r) {
		memcpy(r, s, n);
		r[n] = '\0';
	}
	return r;
}

/* End of the piece starting at s: a top-level ',' or ';' or the end. */
static const char *piece_end(const char *s, const char **lt, const char **gt,
			     const char **colon, const char **comment)
{
	int quote = 0, angle = 0, paren = 0;

	*lt = *gt = *colon = *comment = NULL;
	for (; *s; s++) {
		char c = *s;

		if (quote) {
			if (c == '\\' && s[1])
				s++;
			else if (c == '"')
				quote = 0;
			continue;
		}
		if (paren) {
			if (c == '\\' && s[1])
				s++;
			else if (c == '(')
				paren++;
			else if (c == ')')
				paren--;
			continue;
		}
		if (c == '"') {
			quote = 1;
		} else if (c == '(') {
			if (!*comment)
				*comment = s;
			paren = 1;
		} else if (c == '<' && !angle) {
			angle = 1;
			*lt = s;
		} else if (c == '>' && angle) {
			angle = 0;
			*gt = s;
		} else if (c == ':' && !angle && !*lt && !*colon) {
			*colon = s;
		} else if ((c == ',' || c == ';') && !angle) {
			break;
		}
	}
	return s;
}

static int has_at(const char *s, size_t n)
{
	return memchr(s, '@', n) != NULL;
}

size_t addrlist_split(const char *value, struct addr_piece *out, size_t max)
{
	const char *s = value ? value : "";
	size_t count = 0;

	while (*s) {
		const char *lt, *gt, *colon, *comment, *end;
		const char *start = s;
		char *name = NULL, *addr = NULL;

		end = piece_end(s, &lt, &gt, &colon, &comment);
		/* "group: a@b" -- drop the group name */
		if (colon && (!lt || colon < lt) &&
		    !has_at(start, (size_t)(colon - start)))
			start = colon + 1;
		if (lt && gt && gt > lt) {
			name = trimmed(start, (size_t)(lt - start));
			addr = trimmed(lt + 1, (size_t)(gt - lt - 1));
		} else if (has_at(start, (size_t)(end - start))) {
			const char *stop = comment && comment > start ? comment
								      : end;
			addr = trimmed(start, (size_t)(stop - start));
			name = comment && comment > start
				       ? trimmed(comment, (size_t)(end - comment))
				       : strdup("");
		} else {
			name = trimmed(start, (size_t)(end - start));
			addr = strdup("");
		}
		if (name && addr && (*name || *addr)) {
			if (count < max) {
				out[count].name = name;
				out[count].addr = addr;
				name = addr = NULL;
			}
			count++;
		}
		free(name);
		free(addr);
		s = *end ? end + 1 : end;
	}
	return count;
}

void addrlist_free(struct addr_piece *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].name);
		free(p[i].addr);
	}
}
