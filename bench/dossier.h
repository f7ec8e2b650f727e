/* bench/dossier.h - the synthetic dossiers of bench/kpis.c and bench/mega.c:
 * one random stream per dossier (so that a dossier can be drawn again), the
 * dossier's times, outcome and fact (core/kpiagg.h) drawn from it once its
 * unit and procedure are chosen, and the aggregation keys met (unit \x1f
 * procedure \x1f field).
 * Include after bench.h, app/internal.h and store/store.h. See kpis.c for
 * the distribution. */
#ifndef DH_BENCH_DOSSIER_H
#define DH_BENCH_DOSSIER_H

#include <stdint.h>

/* ---- The random stream. -------------------------------------------------- */

/* the stream of dossier i under a seed (kpis.c: seed 0) */
static uint64_t rng;
static void rng_seed(uint64_t seed, long i)
{
    uint64_t z = (uint64_t)i * 0x9E3779B97F4A7C15ULL + 0x5DEECE66DULL + seed * 0xD1B54A32D192ED03ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    rng = (z ^ (z >> 31)) | 1;
}
static uint64_t rnd(void)
{
    uint64_t x = rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng = x;
}
static double unif(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }
static long pick(long n) { return (long)(rnd() % (uint64_t)n); }

typedef struct dossier {
    char code[24];
    const char *unit;
    const dh_proc *proc;
    int channel; /* 0 counter, 1 online, 2 postal */
    bool by_applicant, paid, paid_online, digitised, open;
    time_t recv, due, risk, done;
    int64_t budget, work;
    const char *state, *outcome;
    int rating;
    dh_dfact f;
} dossier;

/* The rest of a dossier whose code, unit and procedure are set, received on
 * day d at working minute `minute` (of the calendar wc, daymin minutes a day),
 * the data ending at `end`: the next draws of its stream. */
static void dossier_fill(const dh_workcal *wc, int daymin, time_t end, dh_date d, int minute,
                         dossier *x, int32_t key)
{
    const dh_proc *p = x->proc;
    time_t midnight = (time_t)((int64_t)d * 86400 - DH_VN_OFFSET);
    double ch = unif();
    x->channel = ch < 0.60 ? 1 : ch < 0.96 ? 0 : 2;
    x->by_applicant = x->channel == 1 && unif() < 0.75;
    x->paid = p->fee_bearing;
    x->paid_online = p->fee_bearing && x->channel == 1 && unif() < 0.7;
    x->digitised = unif() < 0.85;
    int64_t budget = p->limit.unit == DH_DUR_WORKING_HOURS ? (int64_t)p->limit.duration * 60
                                                           : (int64_t)p->limit.duration * daymin;
    if (p->limit.unit == DH_DUR_DAYS || p->limit.unit == DH_DUR_MONTHS)
        budget = (int64_t)p->limit.duration * daymin * 5 / 7;
    x->budget = budget;
    /* receipt, and the due instant; a due instant at the very end of a
     * working day is moved off by receiving a minute later, so that "open
     * and due before the end of the period" (what SQL sees) is exactly
     * "open and over its time at the end of the period" (what the facts say) */
    for (;; minute++) {
        time_t next;
        if (dh_workcal_add_minutes(wc, midnight, minute, -1, &x->recv) ||
            dh_workcal_add_minutes(wc, x->recv, budget, -1, &x->due) ||
            dh_workcal_add_minutes(wc, x->due, 1, -1, &next))
            fail("calendar", "out of range");
        if (dh_date_of_time_vn(next) == dh_date_of_time_vn(x->due))
            break;
    }
    if (budget > daymin) {
        if (dh_workcal_add_minutes(wc, x->recv, budget - daymin, -1, &x->risk))
            fail("calendar", "out of range");
    } else {
        x->risk = x->recv;
    }
    double o = unif();
    int64_t work = o < 0.05   ? budget + 30 + pick(3 * daymin)
                   : o < 0.15 ? budget - pick(60)
                              : (int64_t)((double)budget * (0.2 + 0.7 * unif()));
    if (work < 1)
        work = 1;
    x->work = work;
    if (dh_workcal_add_minutes(wc, x->recv, work, -1, &x->done))
        fail("calendar", "out of range");
    x->open = x->done >= end;
    double fate = unif();
    x->rating = 0;
    if (x->open) {
        x->state = "in_progress";
        x->outcome = NULL;
    } else {
        x->state = fate < 0.04 ? "closed" : "resolved";
        x->outcome = work > budget ? "late"
                     : dh_date_of_time_vn(x->done) < dh_date_of_time_vn(x->due) ? "early"
                                                                               : "on_time";
        if (fate >= 0.04 && unif() < 0.35) {
            double s = unif();
            x->rating = s < 0.60 ? 5 : s < 0.85 ? 4 : s < 0.95 ? 3 : s < 0.98 ? 2 : 1;
        }
    }
    /* the fact: what the aggregates count for it */
    dh_dfact *f = &x->f;
    memset(f, 0, sizeof *f);
    f->key = key;
    f->r_day = dh_date_of_time_vn(x->recv);
    f->f_day = f->o_day = f->paid_day = f->rated_day = DH_NO_DAY;
    f->channel = (uint8_t)x->channel;
    f->by_applicant = x->by_applicant;
    f->digitised = x->digitised;
    if (x->paid) {
        f->paid_day = f->r_day;
        f->paid_online = x->paid_online;
    }
    if (!x->open) {
        f->f_day = dh_date_of_time_vn(x->done);
        f->fin = x->outcome[0] == 'e' ? DH_KFIN_EARLY
                 : x->outcome[0] == 'o' ? DH_KFIN_ON_TIME
                                        : DH_KFIN_LATE;
        f->used_minutes = work;
        if (x->rating) {
            f->rated_day = f->f_day;
            f->satisfied = x->rating >= 4;
        }
    }
    /* over its time at the end of the day of its due instant (never at the
     * very end of a working day, see above) while still open */
    if (x->open || work > budget) {
        dh_date od = dh_date_of_time_vn(x->due);
        if (f->f_day == DH_NO_DAY || od < f->f_day)
            f->o_day = od;
    }
}

/* ---- Key names met in the data. ------------------------------------------ */

typedef struct keyset {
    char **name; /* unit \x1f procedure \x1f field */
    int32_t *id;
    size_t n, cap;
} keyset;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* index of the key, added when new */
static size_t key_slot(keyset *k, const char *name)
{
    if ((k->n + 1) * 2 > k->cap) {
        size_t ncap = k->cap ? k->cap * 2 : 1024;
        char **nn = calloc(ncap, sizeof *nn);
        int32_t *ni = calloc(ncap, sizeof *ni);
        for (size_t i = 0; i < k->cap; i++) {
            if (!k->name[i])
                continue;
            size_t j = hash_str(k->name[i]) & (ncap - 1);
            while (nn[j])
                j = (j + 1) & (ncap - 1);
            nn[j] = k->name[i];
            ni[j] = k->id[i];
        }
        free(k->name);
        free(k->id);
        k->name = nn;
        k->id = ni;
        k->cap = ncap;
    }
    size_t j = hash_str(name) & (k->cap - 1);
    while (k->name[j] && strcmp(k->name[j], name))
        j = (j + 1) & (k->cap - 1);
    if (!k->name[j]) {
        k->name[j] = strdup(name);
        k->id[j] = 0;
        k->n++;
    }
    return j;
}

static void key_name(const dossier *x, char *out, size_t cap)
{
    snprintf(out, cap, "%s\x1f%s\x1f%s", x->unit, x->proc->code, x->proc->field);
}

static const char *const dossier_channel[3] = {"counter", "online", "postal"};


#endif
