/* page.h - building the dashboard's HTML pages on the server (issue 6):
 * the layout (header with the user's name, unit and role, navigation,
 * language switch, font-size control), escaped output, number formatting
 * the Vietnamese way, and inline SVG charts with text alternatives.
 *
 * Every string that did not come from this program's own literals goes
 * through dh_page_text (HTML-escaped). Pages are Vietnamese by default;
 * L(pg, vi, en) picks the user's language. No script is inline: the CSP
 * allows only /static/app.js.
 */
#ifndef DH_WEB_PAGE_H
#define DH_WEB_PAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "app/app.h"
#include "util/buf.h"

typedef struct dh_page {
    dh_buf b;
    bool en;              /* English instead of Vietnamese */
    const dh_actor *a;    /* NULL on public pages */
    char csrf[128];       /* for forms; "" when not signed in */
    const char *path;     /* the page's own path (for the language switch) */
} dh_page;

/* Picks the text in the page's language. */
#define L(pg, text_vi, text_en) ((pg)->en ? (text_en) : (text_vi))

/* Starts a page: doctype, head, header and navigation. nav: the active
 * section ("tong-quan", "ho-so", "bao-cao", "quan-tri", or "" for none). */
void dh_page_begin(dh_page *pg, const char *title, const char *nav);
/* Closes the page and returns the malloc'd HTML (the page is reset). */
char *dh_page_end(dh_page *pg);

void dh_page_raw(dh_page *pg, const char *html);            /* trusted literal HTML */
void dh_page_text(dh_page *pg, const char *s);              /* escaped text */
void dh_page_attr(dh_page *pg, const char *s);              /* escaped, for attributes */
void dh_page_fmt(dh_page *pg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A URL query value, percent-encoded. */
void dh_page_urlenc(dh_page *pg, const char *s);
/* 12345 -> "12.345" (Vietnamese grouping) or "12,345" (English). */
void dh_page_int(dh_page *pg, long long v);
/* A percentage with 2 decimals ("98,25%") or "—" (N/A) when v is NULL-ish. */
void dh_page_pct(dh_page *pg, const json_t *v);
/* The hidden CSRF field of a form. */
void dh_page_csrf(dh_page *pg);

/* A redirect target given by the user (?back=, the sign-in form's next):
 * s itself when it is a path on this site, else "/". A local path starts
 * with one "/" (not "//", which a browser reads as another host), holds no
 * backslash (browsers read "/\host" as "//host") and no control character
 * (browsers drop tabs and line breaks, so "/\t/host" becomes "//host"), and
 * is shorter than DH_PAGE_TARGET_MAX bytes. Never NULL. */
#define DH_PAGE_TARGET_MAX 400
const char *dh_page_local_target(const char *s);

/* A line chart (values may be NAN for gaps) with an optional target line
 * (NAN for none); labels under the x axis (about twelve, and no dots past
 * 40 points, for a long series); role=img with a title and the
 * figures as a visually hidden table for screen readers. */
void dh_svg_line(dh_page *pg, const char *title, const char *const *labels, const double *v,
                 size_t n, double target, const char *unit_suffix);
/* Horizontal bars, one per label, with an optional target mark. */
void dh_svg_bars(dh_page *pg, const char *title, const char *const *labels, const double *v,
                 size_t n, double target, const char *unit_suffix);

/* The stylesheet and the script served at /static/app.css and /static/app.js. */
extern const char dh_web_css[];
extern const char dh_web_js[];

#endif
