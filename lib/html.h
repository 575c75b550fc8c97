/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* html.h - readable text from HTML (HTML-only mail, later documents). */
#ifndef TRAWL_HTML_H
#define TRAWL_HTML_H

#include <stddef.h>

#include "buf.h"

/* Appends the readable text of the UTF-8 HTML in html to out: text nodes
 * in document order, a line break after block elements and <br>, script,
 * style and head content dropped, runs of blank lines collapsed.  Stops
 * quietly when out reaches its cap (out->err says so). */
void html_to_text(const char *html, size_t len, struct buf *out);

#endif
