/* html.c - see html.h. */
#include "util/html.h"
#include "util/asset.h"

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

const char dh_html_doc_css[] =
    "body.letter{font-family:'Times New Roman','Liberation Serif',serif;font-size:14pt;"
    "max-width:17cm;margin:2cm auto;line-height:1.5}.letter p{text-align:justify}"
    ".letter .b{font-weight:bold;text-align:center}.letter .c{text-align:center}"
    ".letter .i{font-style:italic;text-align:center}.letter .r{text-align:right}"
    "@media print{body.letter{margin:0}}"
    "body.form{font-family:system-ui,sans-serif;margin:1.5rem}"
    ".form table{border-collapse:collapse}.form th,.form td{border:1px solid #555;"
    "padding:.25rem .4rem}.form td.n{text-align:right}"
    ".form caption{font-weight:bold;margin-bottom:.5rem}"
    "body.lookup{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;"
    "padding:0 1rem;color:#111;line-height:1.5}"
    ".lookup th{text-align:left;padding-right:1rem;vertical-align:top}"
    ".lookup input{font-size:1rem;padding:.3rem}.lookup button{font-size:1rem;"
    "padding:.3rem .8rem}.lookup .late{color:#a00;font-weight:bold}"
    ".lookup .hp{position:absolute;left:-9999px}"
    ".lookup input,.lookup textarea,.lookup select{max-width:100%;box-sizing:border-box}";

void dh_html_doc_style(dh_buf *b, bool link)
{
    if (link) {
        dh_buf_printf(b, "<link rel=\"stylesheet\" href=\"/static/%s/doc.css\">",
                      dh_asset_tag(dh_html_doc_css));
        return;
    }
    dh_buf_puts(b, "<style>");
    dh_buf_puts(b, dh_html_doc_css);
    dh_buf_puts(b, "</style>");
}
