/* html.c - see html.h. */
#include "util/html.h"

void dh_html_escape(dh_buf *b, const char *s, bool br)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            dh_buf_puts(b, "&lt;");
            break;
        case '>':
            dh_buf_puts(b, "&gt;");
            break;
        case '&':
            dh_buf_puts(b, "&amp;");
            break;
        case '"':
            dh_buf_puts(b, "&quot;");
            break;
        case '\'':
            dh_buf_puts(b, "&#39;");
            break;
        case '\n':
            dh_buf_puts(b, br ? "<br>" : "\n");
            break;
        default:
            dh_buf_append(b, s, 1);
        }
    }
}
