/* fbagg.c - feedback KPIs as sums of per (unit, day) counters; see fbagg.h. */
#include "core/fbagg.h"

#include <string.h>

#include "core/feedback.h"

void dh_fbcell_add(dh_fbcell *into, const dh_fbcell *c, int sign)
{
    for (int i = 0; i < DH_FBC_N; i++)
        into->n[i] += sign * c->n[i];
}

bool dh_fbcell_zero(const dh_fbcell *c)
{
    for (int i = 0; i < DH_FBC_N; i++)
        if (c->n[i])
            return false;
    return true;
}

void dh_fbfact_of(const char *state, const char *outcome, time_t received_at,
                  time_t answered_at, time_t due_at, int64_t answer_minutes, int rating,
                  dh_fbfact *out)
{
    memset(out, 0, sizeof *out);
    dh_fb_state s;
    out->open = state && dh_fb_state_parse(state, &s) == 0 && dh_fb_state_open(s);
    out->received_at = received_at;
    out->answered_at = answered_at;
    out->due_at = due_at;
    out->on_time = outcome && !strcmp(outcome, "on_time");
    out->late = outcome && !strcmp(outcome, "late");
    out->answer_minutes = answer_minutes;
    out->rating = rating;
}

/* The slot of day in out[0..*n), added when missing. */
static dh_fbcell *slot(dh_fbcontrib *out, size_t *n, dh_date day)
{
    for (size_t i = 0; i < *n; i++)
        if (out[i].day == day)
            return &out[i].d;
    memset(&out[*n], 0, sizeof out[*n]);
    out[*n].day = day;
    return &out[(*n)++].d;
}

size_t dh_fbfact_contribs(const dh_fbfact *f, dh_fbcontrib out[DH_FBFACT_MAX])
{
    size_t n = 0;
    dh_fbcell *r = slot(out, &n, dh_date_of_time_vn(f->received_at));
    r->n[DH_FBC_RECEIVED] = 1;
    if (f->open)
        r->n[DH_FBC_OPEN] = 1;
    if (f->answered_at) {
        dh_fbcell *a = slot(out, &n, dh_date_of_time_vn(f->answered_at));
        a->n[DH_FBC_ANSWERED] += 1;
        a->n[DH_FBC_ON_TIME] += f->on_time;
        a->n[DH_FBC_LATE] += f->late;
        a->n[DH_FBC_RATED] += f->rating > 0;
        a->n[DH_FBC_SATISFIED] += f->rating >= 4;
        a->n[DH_FBC_MINUTES] += f->answer_minutes;
    }
    if (f->open && f->due_at)
        slot(out, &n, dh_date_of_time_vn(f->due_at))->n[DH_FBC_DUE] += 1;
    return n;
}

void dh_fbfigures_of(const dh_fbcell *period, const dh_fbcell *upto, const dh_fbcell *before,
                     int64_t due_today, dh_fbfigures *out)
{
    out->received = period->n[DH_FBC_RECEIVED];
    out->answered = period->n[DH_FBC_ANSWERED];
    out->on_time = period->n[DH_FBC_ON_TIME];
    out->late = period->n[DH_FBC_LATE];
    out->answer_minutes = period->n[DH_FBC_MINUTES];
    out->rated = period->n[DH_FBC_RATED];
    out->satisfied = period->n[DH_FBC_SATISFIED];
    out->open_overdue = before->n[DH_FBC_DUE] + due_today;
    out->open_within = upto->n[DH_FBC_OPEN] - out->open_overdue;
}
