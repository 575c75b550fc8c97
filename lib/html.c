/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* html.c - HTML to readable text with gumbo. */
#include <gumbo.h>
#include <string.h>

#include "html.h"
#include "bounds.h"
#include "banned.h"

struct text_out {
	struct buf *out;
	int nl;     /* trailing newlines already written (2 = blank line) */
	int space;  /* a space is pending before the next word */
};

static int is_block(GumboTag t)
{
	switch (t) {
	case GUMBO_TAG_P: case GUMBO_TAG_DIV: case GUMBO_TAG_BR:
	case GUMBO_TAG_LI: case GUMBO_TAG_TR: case GUMBO_TAG_H1:
	case GUMBO_TAG_H2: case GUMBO_TAG_H3: case GUMBO_TAG_H4:
	case GUMBO_TAG_H5: case GUMBO_TAG_H6: case GUMBO_TAG_TABLE:
	case GUMBO_TAG_UL: case GUMBO_TAG_OL: case GUMBO_TAG_BLOCKQUOTE:
	case GUMBO_TAG_PRE: case GUMBO_TAG_HR: case GUMBO_TAG_DL:
	case GUMBO_TAG_DT: case GUMBO_TAG_DD: case GUMBO_TAG_ADDRESS:
	case GUMBO_TAG_SECTION: case GUMBO_TAG_ARTICLE: case GUMBO_TAG_HEADER:
	case GUMBO_TAG_FOOTER: case GUMBO_TAG_CENTER:
		return 1;
	default:
		return 0;
	}
}

static void newline(struct text_out *t)
{
	if (t->out->len == 0 || t->nl >= 2)
		return;
	buf_putc(t->out, '\n');
	t->nl++;
	t->space = 0;
}

static void text(struct text_out *t, const char *s, int pre)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (pre && c == '\n') {
			buf_putc(t->out, '\n');
			t->nl = 1;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		    c == '\f') {
			if (t->out->len && !t->nl)
				t->space = 1;
			continue;
		}
		if (t->space)
			buf_putc(t->out, ' ');
		t->space = 0;
		t->nl = 0;
		buf_putc(t->out, (char)c);
	}
}

static void walk(struct text_out *t, const GumboNode *n, int depth, int pre)
{
	const GumboVector *kids;
	GumboTag tag;

	if (t->out->err || depth > TRAWL_MAX_MIME_DEPTH * 8)
		return;
	if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE ||
	    n->type == GUMBO_NODE_CDATA) {
		text(t, n->v.text.text, pre);
		return;
	}
	if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_DOCUMENT &&
	    n->type != GUMBO_NODE_TEMPLATE)
		return;
	if (n->type == GUMBO_NODE_DOCUMENT) {
		kids = &n->v.document.children;
		tag = GUMBO_TAG_UNKNOWN;
	} else {
		kids = &n->v.element.children;
		tag = n->v.element.tag;
	}
	if (tag == GUMBO_TAG_SCRIPT || tag == GUMBO_TAG_STYLE ||
	    tag == GUMBO_TAG_HEAD || tag == GUMBO_TAG_TITLE)
		return;
	if (is_block(tag))
		newline(t);
	if (tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH)
		t->space = t->out->len && !t->nl;
	for (unsigned i = 0; i < kids->length; i++)
		walk(t, kids->data[i], depth + 1, pre || tag == GUMBO_TAG_PRE);
	if (is_block(tag))
		newline(t);
}

void html_to_text(const char *html, size_t len, struct buf *out)
{
	GumboOptions opts = kGumboDefaultOptions;
	GumboOutput *doc;
	struct text_out t = { out, 0, 0 };

	opts.max_errors = 100;
	doc = gumbo_parse_with_options(&opts, html, len);
	if (!doc)
		return;
	walk(&t, doc->document, 0, 0);
	while (out->len && out->data[out->len - 1] == '\n')
		out->data[--out->len] = '\0';
	gumbo_destroy_output(&opts, doc);
}
