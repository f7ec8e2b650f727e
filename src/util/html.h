/* html.h - escaping text for HTML. Every interpolation into a page goes
 * through dh_html_escape. */
#ifndef DH_HTML_H
#define DH_HTML_H

#include <stdbool.h>

#include "util/buf.h"

/* Appends s to b with & < > " ' escaped; with br, a newline becomes <br>.
 * NULL appends nothing. */
void dh_html_escape(dh_buf *b, const char *s, bool br);

#endif
