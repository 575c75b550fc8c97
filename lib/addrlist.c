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
 * parentheses) removed and, inside them, backslash escapes undone. */
static char *trimmed(const char *s, size_t n)
{
	char *r;
	size_t k = 0;
	int quoted = 0;

	while (n && is_space(*s)) {
		s++;
		n--;
	}
	while (n && is_space(s[n - 1]))
		n--;
	if (n >= 2 && ((s[0] == '"' && s[n - 1] == '"') ||
		       (s[0] == '(' && s[n - 1] == ')') ||
		       (s[0] == '\'' && s[n - 1] == '\''))) {
		quoted = s[0] != '\'';
		s++;
		n -= 2;
	}
	r = malloc(n + 1);
	if (!r)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (quoted && s[i] == '\\' && i + 1 < n)
			i++;
		r[k++] = s[i];
	}
	r[k] = '\0';
	return r;
}

/* The piece s[0..n) without its (comments), trimmed; *comment gets the
 * text of the first comment (malloc'd, "" if none). */
static char *without_comments(const char *s, size_t n, char **comment)
{
	char *r = malloc(n + 1), *out;
	size_t k = 0, k_first = 0;
	int depth = 0, quote = 0;
	const char *first = NULL, *first_end = NULL;

	*comment = NULL;
	if (!r)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (depth) {
			if (c == '\\' && i + 1 < n)
				i++;
			else if (c == '(')
				depth++;
			else if (c == ')' && --depth == 0 && !first_end)
				first_end = s + i + 1;
			continue;
		}
		if (quote && c == '\\' && i + 1 < n) {
			r[k++] = c;
			r[k++] = s[++i];
			continue;
		}
		if (c == '"')
			quote = !quote;
		if (c == '(' && !quote) {
			depth = 1;
			if (!first) {
				first = s + i;
				k_first = k;
			}
			continue;
		}
		r[k++] = c;
	}
	if (first && !first_end)
		first_end = s + n;
	/* "addr (Name)" names the address; "(note) addr" does not */
	{
		size_t i = 0;

		while (i < k_first && is_space(r[i]))
			i++;
		if (first && i == k_first)
			first = NULL;
	}
	*comment = first ? trimmed(first, (size_t)(first_end - first))
			 : strdup("");
	out = trimmed(r, k);
	free(r);
	return out;
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
			addr = without_comments(start, (size_t)(end - start),
						&name);
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

size_t addrlist_pieces(const char *value)
{
	const char *s = value ? value : "", *lt, *gt, *colon, *comment;
	size_t count = 0;

	while (*s) {
		const char *end = piece_end(s, &lt, &gt, &colon, &comment);

		count++;
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
