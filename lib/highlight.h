/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* highlight.h - what tests may ask of the highlighter (highlight.c). */
#ifndef TRAWL_HIGHLIGHT_H
#define TRAWL_HIGHLIGHT_H

#include "trawl.h"

/* on: always analyze the whole text, never only the words where a key
 * can hit (scan_words) -- for tests that compare the two. */
void highlighter_full_scan(trawl_highlighter *h, int on);
/* Bytes of the words the last call analyzed one by one (0: it analyzed
 * the whole text). */
size_t highlighter_windowed(const trawl_highlighter *h);

#endif
