/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* highlight.h - what tests may ask of the highlighter (highlight.c). */
#ifndef TRAWL_HIGHLIGHT_H
#define TRAWL_HIGHLIGHT_H

#include "trawl.h"

/* on: always analyze the whole text, never only the windows around its
 * candidates -- for tests that compare the two. */
void highlighter_full_scan(trawl_highlighter *h, int on);
/* Bytes the last call read in windows (0: it read the whole text). */
size_t highlighter_windowed(const trawl_highlighter *h);

#endif
