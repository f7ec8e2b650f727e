/* fbagg.c - the feedback aggregates' upkeep shared by both backends: the
 * contributions of one stored record (core/fbagg.h) applied through the
 * backend's agg_add around the backend's write of the row, under a new
 * value of the meta counter fb_agg_rev (the readers' copy, app/fbaggs.c,
 * loads the cells changed since the value it last saw). */
#include <stdlib.h>
#include <string.h>

#include "store/feedback.h"
#include "store/meta.h"
#include "util/buf.h"

static dh_status apply(dh_conn *c, const char *unit, const dh_fbfact *f, int sign, int64_t rev,
                       dh_err *e)
{
    dh_fbcontrib out[DH_FBFACT_MAX];
    size_t n = dh_fbfact_contribs(f, out);
    for (size_t i = 0; i < n; i++) {
        dh_fbcell d = {{0}};
        dh_fbcell_add(&d, &out[i].d, sign);
        dh_status s = DH_FEEDBACK(c)->agg_add(c, unit, out[i].day, &d, rev, e);
        if (s)
            return s;
    }
    return DH_OK;
}

static void fact_of(const dh_fb_record_row *r, dh_fbfact *f)
{
    dh_fbfact_of(r->state, r->outcome, r->received_at, r->answered_at, r->due_at,
                 r->answer_minutes, r->rating, f);
}

typedef struct old_rec {
    bool found;
    char *unit;
    dh_fbfact f;
} old_rec;

static int on_old(void *closure, const dh_fb_record_row *r)
{
    old_rec *o = closure;
    o->found = true;
    o->unit = dh_xstrdup(r->unit);
    fact_of(r, &o->f);
    return 1;
}

dh_status dh_fb_agg_save(dh_conn *c, const dh_fb_record_row *r, int64_t *id,
                         dh_status (*save_row)(dh_conn *, const dh_fb_record_row *, int64_t *,
                                               dh_err *),
                         dh_err *e)
{
    old_rec o = {0};
    int64_t rev = 0;
    dh_status s = DH_META(c)->meta_bump(c, DH_FB_AGG_REV, e);
    if (s == DH_OK)
        s = DH_META(c)->meta_get(c, DH_FB_AGG_REV, &rev, e);
    if (s == DH_OK && r->id) {
        dh_fb_filter f = {0};
        f.id = r->id;
        f.limit = 1;
        s = DH_FEEDBACK(c)->list_records(c, &f, on_old, &o, e);
        if (s == DH_OK && o.found)
            s = apply(c, o.unit, &o.f, -1, rev, e);
    }
    if (s == DH_OK) {
        s = save_row(c, r, id, e);
        if (s && o.found) { /* put the stored record's contributions back */
            dh_err e2;
            apply(c, o.unit, &o.f, +1, rev, &e2);
        }
    }
    if (s == DH_OK) {
        dh_fbfact f;
        fact_of(r, &f);
        if (o.found) /* the update keeps the stored receipt */
            f.received_at = o.f.received_at;
        s = apply(c, r->unit, &f, +1, rev, e);
    }
    free(o.unit);
    return s;
}
