/* dossier.c - see dossier.h. */
#include "core/dossier.h"
#include "core/kpiagg.h"

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

static const char *const type_names[DH_DE_COUNT] = {
    "received",  "supplement_requested", "supplement_completed", "transferred", "extended",
    "processed", "result_returned",      "refused",              "stopped",     "withdrawn",
    "paid",      "rated",                "digitised"};

const char *dh_de_type_name(dh_de_type t) { return (unsigned)t < DH_DE_COUNT ? type_names[t] : "?"; }

int dh_de_type_parse(const char *s, dh_de_type *t)
{
    for (int i = 0; i < DH_DE_COUNT; i++)
        if (s && strcmp(s, type_names[i]) == 0)
            return *t = (dh_de_type)i, 0;
    return -1;
}

static const char *const channel_names[] = {"counter", "online", "postal"};
const char *dh_channel_name(dh_channel c) { return (unsigned)c < 3 ? channel_names[c] : "?"; }
int dh_channel_parse(const char *s, dh_channel *c)
{
    for (int i = 0; i < 3; i++)
        if (s && strcmp(s, channel_names[i]) == 0)
            return *c = (dh_channel)i, 0;
    return -1;
}

static const char *const dur_names[] = {"working_days", "working_hours", "days", "months"};
const char *dh_dur_unit_name(dh_dur_unit u) { return (unsigned)u < 4 ? dur_names[u] : "?"; }
int dh_dur_unit_parse(const char *s, dh_dur_unit *u)
{
    for (int i = 0; i < 4; i++)
        if (s && strcmp(s, dur_names[i]) == 0)
            return *u = (dh_dur_unit)i, 0;
    return -1;
}

static const char *const state_names[] = {"incomplete", "in_progress", "paused", "resolved",
                                          "closed"};
const char *dh_dstate_name(dh_dstate s) { return (unsigned)s < 5 ? state_names[s] : "?"; }
static const char *const outcome_names[] = {NULL,     "early",   "on_time", "late",
                                            "within", "at_risk", "overdue"};
const char *dh_outcome_name(dh_outcome o) { return (unsigned)o < 7 ? outcome_names[o] : NULL; }

static bool lifecycle(dh_de_type t) { return t <= DH_DE_WITHDRAWN; }
static bool terminal(dh_de_type t)
{
    return t == DH_DE_RESULT_RETURNED || t == DH_DE_REFUSED || t == DH_DE_STOPPED ||
           t == DH_DE_WITHDRAWN;
}

static int strcmp0(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : ""); }

static int cmp_event(const void *pa, const void *pb)
{
    const dh_devent *a = pa, *b = pb;
    if (a->at != b->at)
        return a->at < b->at ? -1 : 1;
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    int c = strcmp0(a->source, b->source);
    return c ? c : strcmp0(a->id, b->id);
}

void dh_devents_sort(dh_devent *ev, size_t n)
{
    if (n > 1)
        qsort(ev, n, sizeof *ev, cmp_event);
}

long dh_devents_check(const dh_devent *ev, size_t n, const char **why)
{
    long received = -1, term = -1;
    for (size_t i = 0; i < n; i++)
        if (ev[i].type == DH_DE_RECEIVED && received < 0)
            received = (long)i;
    for (size_t i = 0; i < n; i++) {
        const dh_devent *e = &ev[i];
        if (e->type == DH_DE_RECEIVED && (long)i != received) {
            *why = "the dossier was already received";
            return (long)i;
        }
        if (received >= 0 && (long)i < received && lifecycle(e->type)) {
            *why = e->type >= DH_DE_PROCESSED ? "a completion timed before the receipt"
                                              : "an event timed before the receipt";
            return (long)i;
        }
        if (term >= 0 && lifecycle(e->type)) {
            *why = "an event timed after the dossier's terminal event";
            return (long)i;
        }
        if (terminal(e->type) && term < 0)
            term = (long)i;
    }
    return -1;
}

/* Adds `months` to the local date of t, keeping the time of day; the day
 * is clamped to the month's end. */
static time_t add_months(time_t t, int months)
{
    int64_t local = (int64_t)t + DH_VN_OFFSET;
    int64_t day = local / 86400 - (local % 86400 < 0);
    int64_t sec = local - day * 86400;
    int y, m, d;
    dh_date_to_ymd((dh_date)day, &y, &m, &d);
    int total = y * 12 + (m - 1) + months;
    y = total / 12;
    m = total % 12 + 1;
    int dim = dh_date_days_in_month(y, m);
    if (d > dim)
        d = dim;
    return (time_t)((int64_t)dh_date_from_ymd(y, m, d) * 86400 + sec - DH_VN_OFFSET);
}

static int statutory_due(const dh_workcal *wc, const dh_time_limit *tl, time_t received,
                         time_t *due)
{
    switch (tl->unit) {
    case DH_DUR_WORKING_DAYS:
        return dh_workcal_add_days(wc, received, tl->duration, tl->cutoff_min, due);
    case DH_DUR_WORKING_HOURS:
        return dh_workcal_add_minutes(wc, received, (int64_t)tl->duration * 60, tl->cutoff_min,
                                      due);
    case DH_DUR_DAYS:
    case DH_DUR_MONTHS: {
        /* Calendar time; a deadline on a day off moves to the next working
         * instant (Civil Code art. 148). */
        time_t d = tl->unit == DH_DUR_DAYS ? received + (time_t)tl->duration * 86400
                                           : add_months(received, tl->duration);
        return dh_workcal_next(wc, d, due);
    }
    }
    return -1;
}

int dh_dossier_replay(const dh_devent *ev, size_t n, const dh_workcal *wc, const dh_time_limit *tl,
                      const dh_clock_rules *rules, time_t now, dh_dossier_view *out)
{
    memset(out, 0, sizeof *out);
    const dh_devent *rec = NULL, *end = NULL;
    enum { MAXP = 64 };
    dh_interval pauses[MAXP];
    size_t np = 0;
    int end_rank = 99;
    for (size_t i = 0; i < n; i++) {
        const dh_devent *e = &ev[i];
        switch (e->type) {
        case DH_DE_RECEIVED:
            if (!rec)
                rec = e;
            break;
        case DH_DE_SUPPLEMENT_REQUESTED:
            out->nsupplements++;
            if (!out->in_pause && np < MAXP) {
                pauses[np++] = (dh_interval){e->at, 0};
                out->in_pause = true;
            }
            break;
        case DH_DE_SUPPLEMENT_COMPLETED:
            if (out->in_pause) {
                pauses[np - 1].to = e->at;
                out->in_pause = false;
            }
            break;
        case DH_DE_TRANSFERRED:
            out->unit = e->to_unit;
            break;
        case DH_DE_EXTENDED:
            out->extended_to = e->new_appointment;
            break;
        case DH_DE_PROCESSED:
        case DH_DE_RESULT_RETURNED:
        case DH_DE_REFUSED:
        case DH_DE_STOPPED:
        case DH_DE_WITHDRAWN: {
            /* end = first of: processed > result returned > stopped/refused/withdrawn */
            int rank = e->type == DH_DE_PROCESSED ? 0 : e->type == DH_DE_RESULT_RETURNED ? 1 : 2;
            if (rank < end_rank) {
                end_rank = rank;
                end = e;
            }
            break;
        }
        case DH_DE_PAID:
            if (!out->paid) {
                out->first_paid_at = e->at;
                out->first_paid_online = e->paid_online;
            }
            out->paid = true;
            out->paid_online = out->paid_online || e->paid_online;
            break;
        case DH_DE_RATED:
            if (!out->first_rating) {
                out->first_rating = e->rating;
                out->first_rated_at = e->at;
            }
            out->rating = e->rating;
            break;
        case DH_DE_DIGITISED:
            if (e->digitised_input && !out->digitised_input)
                out->digitised_input_at = e->at;
            out->digitised_input |= e->digitised_input;
            out->digitised_result |= e->digitised_result;
            break;
        case DH_DE_COUNT:
            break;
        }
    }
    if (!rec) {
        out->state = DH_DS_INCOMPLETE;
        return 0;
    }
    out->receiving_unit = rec->unit;
    if (!out->unit)
        out->unit = rec->unit;
    out->procedure = rec->procedure;
    out->channel = rec->channel;
    out->by_applicant = rec->by_applicant;
    out->received_at = rec->at;
    int cutoff = tl ? tl->cutoff_min : -1;
    if (dh_workcal_add_minutes(wc, rec->at, 0, cutoff, &out->counting_from))
        return -1;
    if (rec->appointment)
        out->due_at = rec->appointment;
    else if (!tl || statutory_due(wc, tl, rec->at, &out->due_at))
        return -1;
    if (out->due_at < out->counting_from) {
        out->budget_minutes = 0;
    } else if (dh_workcal_between(wc, out->counting_from, out->due_at, NULL, 0,
                                  &out->budget_minutes)) {
        return -1;
    }
    /* The instant at which the clock is read: the end, else now; a dossier
     * waiting for a supplement is measured at the request. */
    time_t at;
    if (end && end->at <= now) {
        out->finished_at = end->at;
        at = end->at;
        out->in_pause = false;
        out->state = end->type <= DH_DE_RESULT_RETURNED ? DH_DS_RESOLVED : DH_DS_CLOSED;
        /* a supplement asked for after the end does not make it late */
        out->nsupplements = 0;
        for (size_t i = 0; i < n; i++)
            out->nsupplements += ev[i].type == DH_DE_SUPPLEMENT_REQUESTED && ev[i].at <= end->at;
    } else {
        at = now;
        out->state = out->in_pause ? DH_DS_PAUSED : DH_DS_IN_PROGRESS;
        if (out->in_pause)
            at = pauses[np - 1].from;
    }
    if (at < out->counting_from)
        at = out->counting_from;
    for (size_t i = 0; i < np; i++)
        if (pauses[i].to == 0 || pauses[i].to > at)
            pauses[i].to = at > pauses[i].from ? at : pauses[i].from;
    int64_t total;
    if (dh_workcal_between(wc, out->counting_from, at, NULL, 0, &total) ||
        dh_workcal_between(wc, out->counting_from, at, pauses, np, &out->used_minutes))
        return -1;
    out->paused_minutes = total - out->used_minutes;
    if (dh_workcal_add_minutes(wc, out->counting_from, out->budget_minutes + out->paused_minutes,
                               -1, &out->due_effective))
        out->due_effective = out->due_at;
    out->late_minutes = out->used_minutes - out->budget_minutes;
    int maxs = rules && rules->max_supplements > 0 ? rules->max_supplements : 1;
    if (out->state == DH_DS_RESOLVED || out->state == DH_DS_CLOSED) {
        dh_date fin = dh_date_of_time_vn(out->finished_at);
        dh_date due = dh_date_of_time_vn(out->due_effective);
        if (out->late_minutes > 0 || out->nsupplements > maxs)
            out->outcome = DH_OUT_LATE;
        else if (fin < due)
            out->outcome = DH_OUT_EARLY;
        else
            out->outcome = DH_OUT_ON_TIME;
    } else {
        int margin = rules && rules->at_risk_minutes > 0 ? rules->at_risk_minutes
                                                         : dh_workcal_day_minutes(wc);
        if (out->late_minutes > 0)
            out->outcome = DH_OUT_OVERDUE;
        else if (-out->late_minutes <= margin)
            out->outcome = DH_OUT_AT_RISK;
        else
            out->outcome = DH_OUT_WITHIN;
    }
    return 0;
}

/* ---- The aggregates' fact. ----------------------------------------------- */

static time_t day_end(dh_date d) { return (time_t)((int64_t)(d + 1) * 86400 - DH_VN_OFFSET - 1); }

/* Open and overdue at the end of day d, replaying what had happened by then. */
static int overdue_at_end(const dh_devent *ev, size_t n, const dh_workcal *wc,
                          const dh_time_limit *tl, const dh_clock_rules *rules, dh_date d)
{
    time_t t = day_end(d);
    size_t k = n;
    while (k > 0 && ev[k - 1].at > t)
        k--;
    dh_dossier_view v;
    if (dh_dossier_replay(ev, k, wc, tl, rules, t, &v))
        return 0;
    return (v.state == DH_DS_IN_PROGRESS || v.state == DH_DS_PAUSED) &&
           v.outcome == DH_OUT_OVERDUE;
}

int dh_dossier_fact(const dh_devent *ev, size_t n, const dh_workcal *wc, const dh_time_limit *tl,
                    const dh_clock_rules *rules, struct dh_dfact *f)
{
    memset(f, 0, sizeof *f);
    f->r_day = f->f_day = f->o_day = f->paid_day = f->rated_day = DH_NO_DAY;
    if (n == 0)
        return 0;
    time_t last = ev[0].at;
    for (size_t i = 1; i < n; i++)
        if (ev[i].at > last)
            last = ev[i].at;
    dh_dossier_view v;
    if (dh_dossier_replay(ev, n, wc, tl, rules, last, &v))
        return -1;
    if (v.state == DH_DS_INCOMPLETE)
        return 0;
    f->r_day = dh_date_of_time_vn(v.received_at);
    f->channel = (uint8_t)v.channel;
    f->by_applicant = v.by_applicant;
    f->digitised = v.digitised_input_at && dh_date_of_time_vn(v.digitised_input_at) == f->r_day;
    if (v.first_paid_at) {
        f->paid_day = dh_date_of_time_vn(v.first_paid_at);
        f->paid_online = v.first_paid_online;
    }
    if (v.first_rated_at) {
        f->rated_day = dh_date_of_time_vn(v.first_rated_at);
        f->satisfied = v.first_rating >= 4;
    }
    bool finished = v.state == DH_DS_RESOLVED || v.state == DH_DS_CLOSED;
    if (finished) {
        f->f_day = dh_date_of_time_vn(v.finished_at);
        f->fin = v.outcome == DH_OUT_EARLY ? DH_KFIN_EARLY
                 : v.outcome == DH_OUT_ON_TIME ? DH_KFIN_ON_TIME
                                               : DH_KFIN_LATE;
        f->used_minutes = v.used_minutes;
        if (v.late_minutes <= 0)
            return 0; /* never over its time while open */
    }
    /* The first day at whose end it was open and overdue: overdue is
     * monotone while open (the working time used never goes down), so a
     * guess near the effective due day is checked and, when wrong, a
     * binary search finds it. */
    dh_date lo = dh_date_of_time_vn(v.counting_from);
    dh_date hi = finished ? f->f_day - 1 : dh_date_of_time_vn(dh_workcal_max(wc)) - 1;
    if (lo > hi)
        return 0;
    dh_date g = dh_date_of_time_vn(v.due_effective);
    g = g < lo ? lo : g > hi ? hi : g;
#define P(d) overdue_at_end(ev, n, wc, tl, rules, (d))
    if (P(g)) {
        if (g == lo || !P(g - 1)) {
            f->o_day = g;
            return 0;
        }
        hi = g - 1;
    } else {
        if (g == hi)
            return 0;
        if (P(g + 1)) {
            f->o_day = g + 1;
            return 0;
        }
        lo = g + 2;
        if (lo > hi || !P(hi))
            return 0;
    }
    /* P(hi) holds: the first d in [lo, hi] with P(d) */
    while (lo < hi) {
        dh_date mid = lo + (hi - lo) / 2;
        if (P(mid))
            hi = mid;
        else
            lo = mid + 1;
    }
#undef P
    f->o_day = lo;
    return 0;
}
