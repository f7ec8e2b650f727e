/* dsegs.c - the keyset plan of the dossier lists (store/dossiers.h), shared
 * by both backends: which index ranges, in which order, make up a list. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/dossiers.h"
#include "util/buf.h"

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
    dh_dseg s = {group, state, phase, lo, hi, nulls, test, NULL};
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

/* ---- The walk by unit of a small subtree. -------------------------------- */

/* A row copied out of a backend's statement (its strings in s). */
typedef struct rowcopy {
    dh_dossier_row r;
    char *s;
} rowcopy;

typedef struct rowset {
    rowcopy *v;
    size_t n, cap;
} rowset;

static const char *put_str(char **at, const char *x)
{
    if (!x)
        return NULL;
    size_t n = strlen(x) + 1;
    memcpy(*at, x, n);
    const char *out = *at;
    *at += n;
    return out;
}

static int collect(void *cl, const dh_dossier_row *r)
{
    rowset *rs = cl;
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 64;
        rs->v = dh_xrealloc(rs->v, rs->cap * sizeof *rs->v);
    }
    const char *str[] = {r->code,  r->unit,  r->receiving_unit, r->procedure,
                         r->channel, r->state, r->outcome};
    size_t len = 0;
    for (size_t i = 0; i < sizeof str / sizeof *str; i++)
        len += str[i] ? strlen(str[i]) + 1 : 0;
    rowcopy *d = &rs->v[rs->n++];
    d->r = *r;
    d->r.fact = NULL;
    d->s = dh_xmalloc(len + 1);
    char *at = d->s;
    d->r.code = put_str(&at, r->code);
    d->r.unit = put_str(&at, r->unit);
    d->r.receiving_unit = put_str(&at, r->receiving_unit);
    d->r.procedure = put_str(&at, r->procedure);
    d->r.channel = put_str(&at, r->channel);
    d->r.state = put_str(&at, r->state);
    d->r.outcome = put_str(&at, r->outcome);
    return 0;
}

static int cmp_rows(const void *a, const void *b)
{
    const dh_dossier_row *x = &((const rowcopy *)a)->r, *y = &((const rowcopy *)b)->r;
    if (x->due_effective != y->due_effective) /* the NULL deadlines (0) are read apart */
        return x->due_effective < y->due_effective ? -1 : 1;
    return strcmp(x->code, y->code);
}

typedef struct walker {
    dh_dseg_read read;
    char **units; /* NULL: by segments */
    size_t nunits;
} walker;

/* One part of segment g (its NULL deadlines, or its range from the
 * cursor): read as it is, or as each unit's range of each of the
 * segment's states, at most limit rows each, merged. */
static dh_status read_part(dh_conn *c, const dh_dossier_filter *f, const walker *w,
                           const dh_dseg *g, bool nulls, int64_t after_due, const char *after_code,
                           int64_t limit, struct seg_page *p, dh_err *e)
{
    if (!w->units)
        return w->read(c, f, g, nulls, after_due, after_code, limit, seg_row, p, e);
    static const char *const open[] = {"in_progress", "paused", NULL};
    static const char *const finished[] = {"resolved", "closed", NULL};
    const char *one[] = {g->state, NULL};
    const char *const *states = g->state ? one : g->phase == 0 ? open : finished;
    dh_dossier_filter sub = *f;
    sub.units_json = NULL; /* each read is one unit's */
    rowset rs = {0};
    dh_status st = DH_OK;
    for (size_t u = 0; u < w->nunits && st == DH_OK; u++)
        for (const char *const *s = states; *s && st == DH_OK; s++) {
            dh_dseg one_unit = *g;
            one_unit.state = *s;
            one_unit.unit = w->units[u];
            st = w->read(c, &sub, &one_unit, nulls, after_due, after_code, limit, collect, &rs,
                         e);
        }
    if (st == DH_OK && rs.n)
        qsort(rs.v, rs.n, sizeof *rs.v, cmp_rows);
    for (size_t i = 0; st == DH_OK && i < rs.n && !p->stop; i++)
        seg_row(p, &rs.v[i].r);
    for (size_t i = 0; i < rs.n; i++)
        free(rs.v[i].s);
    free(rs.v);
    return st;
}

/* The units of f's scope when it is walked by unit (see DH_DSEG_UNITS_MAX),
 * else NULL. */
static char **walk_units(const dh_dossier_filter *f, size_t *n)
{
    *n = 0;
    if (!f->units_json || f->wide)
        return NULL;
    json_t *a = json_loads(f->units_json, 0, NULL);
    size_t k = json_array_size(a);
    char **out = NULL;
    if (k && k <= DH_DSEG_UNITS_MAX) {
        out = dh_xcalloc(k, sizeof *out);
        for (size_t i = 0; i < k; i++) {
            const char *s = json_string_value(json_array_get(a, i));
            if (!s) { /* not a list of codes: the residual test decides */
                for (size_t j = 0; j < *n; j++)
                    free(out[j]);
                free(out);
                out = NULL;
                *n = 0;
                break;
            }
            out[(*n)++] = dh_xstrdup(s);
        }
    }
    json_decref(a);
    return out;
}

dh_status dh_dossier_walk(dh_conn *c, const dh_dossier_filter *f, const dh_dseg *seg, size_t n,
                          dh_dseg_read read, dh_dossier_cb cb, void *closure, dh_err *e)
{
    struct seg_page p = {cb, closure, f->after_code ? 0 : f->offset, f->limit, f->limit == 0};
    if (p.skip < 0)
        p.skip = 0;
    walker w = {read, NULL, 0};
    w.units = walk_units(f, &w.nunits);
    dh_status s = DH_OK;
    for (size_t i = 0; i < n && s == DH_OK && !p.stop; i++) {
        const dh_dseg *g = &seg[i];
        bool here = f->after_code && f->after_group == g->group;
        if (f->after_code && f->after_group > g->group)
            continue;
        /* the NULL deadlines, then the range, from the cursor when it is here */
        if (g->nulls && !(here && !f->after_due_null))
            s = read_part(c, f, &w, g, true, 0, here ? f->after_code : "",
                          p.left < 0 ? -1 : p.skip + p.left, &p, e);
        if (s == DH_OK && !p.stop) {
            bool in_range = here && !f->after_due_null && f->after_due >= g->lo;
            s = read_part(c, f, &w, g, false, in_range ? f->after_due : g->lo,
                          in_range ? f->after_code : "", p.left < 0 ? -1 : p.skip + p.left, &p,
                          e);
        }
    }
    for (size_t i = 0; i < w.nunits; i++)
        free(w.units[i]);
    free(w.units);
    return s;
}
