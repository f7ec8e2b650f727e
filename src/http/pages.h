/* pages.h - what the dashboard's page files (ep_pages*.c) share. */
#ifndef DH_HTTP_PAGES_H
#define DH_HTTP_PAGES_H

#include "core/period.h"
#include "http/http.h"
#include "web/page.h"

/* Fills the page from the request: language (cookie dh_lang), the signed-in
 * actor and the CSRF token for forms. */
void dh_pages_init(dh_req *rq, dh_page *pg);
/* True when signed in; else replies with a redirect to the sign-in page. */
bool dh_pages_signed_in(dh_req *rq, dh_resp *rs);
/* Ends the page into the reply. */
void dh_pages_send(dh_resp *rs, dh_page *pg, int status);
/* An error page for e (403 for a forbidden unit, 422 for bad input, ...). */
void dh_pages_error(dh_resp *rs, dh_page *pg, const dh_err *e);
/* ?period= or ?from=&to=, default this month to date; the label shown in
 * the form. When unparseable, replies with the error page and returns -1. */
int dh_pages_period(dh_req *rq, dh_resp *rs, dh_page *pg, dh_period *p, char *label, size_t cap);
/* The unit asked for, else the actor's; NULL for an administrator without
 * a unit. */
const char *dh_pages_unit(dh_req *rq, const char *given);
/* The same, but for an administrator without a unit the first root unit
 * open today (pages that must show one unit; a thread-local string). */
const char *dh_pages_unit_or_root(dh_req *rq, const char *given);
/* Units as a person reads them (issue 19): short names (else names) on the
 * day d (DH_DATE_NONE: today) in Vietnamese order, each with its code on
 * hover; more than `show` of them collapse to "First và N đơn vị khác",
 * expandable (<details>). codes is a JSON array of unit codes; an unknown
 * code is shown as it is. */
void dh_pages_units(dh_req *rq, dh_page *pg, const json_t *codes, dh_date d, size_t show);
/* One unit code as its name (see dh_pages_units). */
void dh_pages_unit_name(dh_req *rq, dh_page *pg, const char *code, dh_date d);
/* The unit and period form (GET to action). unit NULL: no unit field. */
void dh_pages_period_form(dh_page *pg, const char *action, const char *unit, const char *label);
/* The directive form (leaders and admins only): source "dossiers" (with the
 * list's state) or "unit". */
void dh_pages_directive_form(dh_page *pg, const char *source, const char *unit,
                             const char *state);
/* Overdue tasks and missing reports of a unit's subtree, as a section. */
void dh_pages_task_alerts(dh_req *rq, dh_page *pg, const char *unit);
/* A file upload form (id form_id, accepted extensions) with a progress bar,
 * a status line and the list of errors that /static/app.js fills. */
void dh_pages_upload_form(dh_page *pg, const char *form_id, const char *accept);
/* A number of a JSON object, NAN when absent or null (a rate's N/A). */
double dh_pages_num(const json_t *o, const char *k);
/* A month item's "key" (YYYY-MM) as the axis label "MM/YY" in out. */
const char *dh_pages_month_label(const json_t *item, char out[8]);
/* The same quarter as `to` over eleven years (a table) and the ten years of
 * months ending with it (charts), for unit and its subtree (issue 20). */
void dh_pages_trends(dh_req *rq, dh_page *pg, const char *unit, dh_date to);
/* The 766 index as a table (and the ranking). */
void dh_pages_index766(dh_page *pg, const json_t *idx, bool with_ranking);


#endif
