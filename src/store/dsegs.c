/* dsegs.c - the keyset plan of the dossier lists (store/dossiers.h), shared
 * by both backends: which index ranges, in which order, make up a list. */
#include <stdint.h>
#include <string.h>

#include "store/dossiers.h"

int dh_dossier_group(const dh_dossier_row *r, time_t now)
{
    bool prog = !strcmp(r->state, "in_progress");
    if (prog && r->due_effective && r->due_effective < now)
        return 0;
    if (prog && r->at_risk_from && r->at_risk_from <= now)
        return 1;
    if (prog || !strcmp(r->state, "paused"))
        return 2;
    return 3;
}

bool dh_dossier_by_unit(const dh_dossier_filter *f)
{
    static const char *const open_states[] = {"overdue", "at_risk", "within", NULL};
    if (f->after_code || !f->units_json || !f->state || f->wide)
        return false;
    for (const char *const *o = open_states; *o; o++)
        if (strcmp(*o, f->state) == 0)
            return true;
    return false;
}

static dh_dseg seg_of(int group, const char *state, int phase, int64_t lo, int64_t hi,
                      bool nulls, int test)
{
    dh_dseg s = {group, state, phase, lo, hi, nulls, test};
    return s;
}

size_t dh_dossier_segments(const dh_dossier_filter *f, dh_dseg seg[4])
{
    const char *st = f->state;
    int64_t now = (int64_t)f->now;
    if (!st) { /* "Tất cả": the four groups one after the other */
        seg[0] = seg_of(0, NULL, 0, INT64_MIN, now, false, DH_DSEG_IN_PROGRESS);
        seg[1] = seg_of(1, NULL, 0, now, INT64_MAX, true, DH_DSEG_AT_RISK);
        seg[2] = seg_of(2, NULL, 0, INT64_MIN, INT64_MAX, true, DH_DSEG_OTHER_OPEN);
        seg[3] = seg_of(3, NULL, 1, INT64_MIN, INT64_MAX, true, DH_DSEG_FINISHED);
        return 4;
    }
    if (!strcmp(st, "overdue"))
        seg[0] = seg_of(0, "in_progress", 0, INT64_MIN, now, false, DH_DSEG_ANY);
    else if (!strcmp(st, "at_risk"))
        seg[0] = seg_of(0, "in_progress", 0, now, INT64_MAX, false, DH_DSEG_AT_RISK);
    else if (!strcmp(st, "within"))
        seg[0] = seg_of(0, "in_progress", 0, INT64_MIN, INT64_MAX, true, DH_DSEG_WITHIN);
    else if (!strcmp(st, "in_progress") || !strcmp(st, "paused") || !strcmp(st, "resolved") ||
             !strcmp(st, "closed"))
        seg[0] = seg_of(0, st, 0, INT64_MIN, INT64_MAX, true, DH_DSEG_ANY);
    else if (!strcmp(st, "early") || !strcmp(st, "on_time") || !strcmp(st, "late"))
        seg[0] = seg_of(0, NULL, 1, INT64_MIN, INT64_MAX, true, DH_DSEG_OUTCOME);
    else
        return 0;
    return 1; /* one segment: group 0 (the order is by deadline alone) */
}

struct seg_page {
    dh_dossier_cb cb;
    void *closure;
    int64_t skip; /* rows of the offset still to skip */
    int64_t left; /* rows still wanted (< 0: all) */
    bool stop;
};

static int seg_row(void *cl, const dh_dossier_row *r)
{
    struct seg_page *p = cl;
    if (p->skip > 0) {
        p->skip--;
        return 0;
    }
    if (p->cb(p->closure, r) || (p->left > 0 && --p->left == 0)) {
        p->stop = true;
        return 1;
    }
    return 0;
}

dh_status dh_dossier_walk(dh_conn *c, const dh_dossier_filter *f, const dh_dseg *seg, size_t n,
                          dh_dseg_read read, dh_dossier_cb cb, void *closure, dh_err *e)
{
    struct seg_page p = {cb, closure, f->after_code ? 0 : f->offset, f->limit, f->limit == 0};
    if (p.skip < 0)
        p.skip = 0;
    dh_status s = DH_OK;
    for (size_t i = 0; i < n && s == DH_OK && !p.stop; i++) {
        const dh_dseg *g = &seg[i];
        bool here = f->after_code && f->after_group == g->group;
        if (f->after_code && f->after_group > g->group)
            continue;
        /* the NULL deadlines, then the range, from the cursor when it is here */
        if (g->nulls && !(here && !f->after_due_null))
            s = read(c, f, g, true, 0, here ? f->after_code : "",
                     p.left < 0 ? -1 : p.skip + p.left, seg_row, &p, e);
        if (s == DH_OK && !p.stop) {
            bool in_range = here && !f->after_due_null && f->after_due >= g->lo;
            s = read(c, f, g, false, in_range ? f->after_due : g->lo,
                     in_range ? f->after_code : "", p.left < 0 ? -1 : p.skip + p.left, seg_row,
                     &p, e);
        }
    }
    return s;
}
