/* fbint.h - what the feedback files of src/app/ (feedback.c, fbsubmit.c,
 * fbflow.c, fbread.c) share and nobody else sees: owned copies of records,
 * the record's JSON, the handling test and the clock's calendar. */
#ifndef DH_APP_FBINT_H
#define DH_APP_FBINT_H

#include "app/internal.h"
#include "core/feedback.h"
#include "store/feedback.h"

/* Records copied out of a list callback (their strings owned, freed by
 * dh_fbi_recs_free). dh_fbi_recs_add is the callback. */
typedef struct fb_recs {
    dh_fb_record_row *v;
    size_t n;
} fb_recs;
int dh_fbi_recs_add(void *closure, const dh_fb_record_row *row);
void dh_fbi_recs_free(fb_recs *rs);

/* An instant as ISO 8601 in Vietnam's time, or null for 0. */
json_t *dh_fbi_time_json(time_t t);

/* May a see the contact of, and act on, records handled by `unit`? */
bool dh_fbi_may_handle(const dh_unitreg *reg, const dh_actor *a, const char *unit, dh_date d);

/* The working calendar of `unit` on d (the default one when it has none). */
const dh_workcal *dh_fbi_unit_wc(const dh_calset *cs, const dh_unitreg *reg, const char *unit,
                                 dh_date d);

/* "within", "at_risk", "overdue" or "paused" for an open stored record at
 * now, on its unit's calendar wc (core's dh_fb_open_outcome). */
const char *dh_fbi_open_status(const dh_fb_record_row *r, const dh_workcal *wc, time_t now);

/* The JSON of a record; the contact only with personal. */
json_t *dh_fbi_record_json(const dh_fb_record_row *row, bool personal, const dh_unitreg *reg,
                           const dh_calset *cs, time_t now);
/* The same with the handling unit's name and calendar already found (a
 * list finds them once per unit). */
json_t *dh_fbi_record_json_of(const dh_fb_record_row *row, bool personal, const char *uname,
                              const dh_workcal *wc, time_t now);

/* A text member of body, at most 4000 bytes, not empty when required. */
dh_status dh_fbi_text_field(json_t *body, const char *key, bool required, char **out, dh_err *e);

/* A list_categories callback copying the limits and active flag of the
 * first row into a dh_fb_category_row (code set to "found"). */
int dh_fbi_cat_copy(void *closure, const dh_fb_category_row *r);

/* Checks an image by content (JPEG, PNG, WebP, GIF; at most 5 MB:
 * DH_E_TOOLARGE "too_large", else DH_E_INVALID "not_an_image", naming
 * `name` when given) and gives its type (static) and SHA-256 in hex. */
dh_status dh_fbi_image_check(const void *data, size_t len, const char *name, const char **mime,
                             char hex[65], dh_err *e);
/* The path our stored image is served at, a record's media_url. */
void dh_fbi_media_path(const char *code, const char *sha256, char *out, size_t cap);

/* Fills the summary columns of r from the view. */
void dh_fbi_summarise(dh_fb_record_row *r, const dh_fb_view *v, time_t now);

#endif
