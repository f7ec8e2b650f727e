/* html.h - escaping text for HTML. Every interpolation into a page goes
 * through dh_html_escape. */
#ifndef DH_HTML_H
#define DH_HTML_H

#include <stdbool.h>

#include "util/buf.h"

/* Appends s to b with & < > " ' escaped; with br, a newline becomes <br>.
 * NULL appends nothing. */
void dh_html_escape(dh_buf *b, const char *s, bool br);

/* The stylesheet of the standalone printable documents: the apology letter
 * (<body class="letter">), Biểu II.06a (class "form") and the public lookup
 * page (class "lookup"). The server serves it at /static/doc.css. */
extern const char dh_html_doc_css[];
/* Appends the documents' stylesheet to a <head>: with link, a <link> to
 * /static/doc.css (pages the server sends: its CSP forbids inline styles);
 * without, a <style> element holding it (files the CLI writes to disk,
 * opened without the server and without a CSP). */
void dh_html_doc_style(dh_buf *b, bool link);

#endif
