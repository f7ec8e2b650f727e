/* kpiagg.c - see kpiagg.h. */
#include "core/kpiagg.h"

#include <string.h>

void dh_kcell_add(dh_kcell *into, const dh_kcell *c, int sign)
{
    for (int i = 0; i < DH_KC_N; i++)
        into->n[i] += sign * c->n[i];
    into->minutes += sign * c->minutes;
}

bool dh_kcell_zero(const dh_kcell *c)
{
    for (int i = 0; i < DH_KC_N; i++)
        if (c->n[i])
            return false;
    return c->minutes == 0;
}

size_t dh_dfact_contribs(const dh_dfact *f, dh_kcontrib out[DH_DFACT_MAX])
{
    size_t n = 0;
#define PUT(d, k, m) (out[n++] = (dh_kcontrib){(d), (k), (m)})
    if (f->r_day == DH_NO_DAY)
        return 0;
    PUT(f->r_day, f->channel == 1 ? DH_KC_RECV_ONLINE : f->channel == 2 ? DH_KC_RECV_POSTAL
                                                                        : DH_KC_RECV_COUNTER,
        0);
    if (f->by_applicant && f->channel == 1)
        PUT(f->r_day, DH_KC_BY_APPLICANT, 0);
    if (f->digitised)
        PUT(f->r_day, DH_KC_DIGITISED, 0);
    if (f->f_day != DH_NO_DAY) {
        int k = f->fin == DH_KFIN_EARLY     ? DH_KC_FIN_EARLY
                : f->fin == DH_KFIN_ON_TIME ? DH_KC_FIN_ON_TIME
                                            : DH_KC_FIN_LATE;
        PUT(f->f_day, k, f->used_minutes);
    }
    /* overdue at the end of the days o_day .. f_day - 1 */
    if (f->o_day != DH_NO_DAY && (f->f_day == DH_NO_DAY || f->o_day < f->f_day)) {
        PUT(f->o_day, DH_KC_OVERDUE_FROM, 0);
        if (f->f_day != DH_NO_DAY)
            PUT(f->f_day, DH_KC_OVERDUE_TO, 0);
    }
    if (f->paid_day != DH_NO_DAY) {
        PUT(f->paid_day, DH_KC_PAID, 0);
        if (f->paid_online)
            PUT(f->paid_day, DH_KC_PAID_ONLINE, 0);
    }
    if (f->rated_day != DH_NO_DAY) {
        PUT(f->rated_day, DH_KC_RATED, 0);
        if (f->satisfied)
            PUT(f->rated_day, DH_KC_SATISFIED, 0);
    }
#undef PUT
    return n;
}

int dh_dfact_apply(const dh_dfact *f, int sign, dh_kcell *cells, int32_t d0, int32_t len)
{
    dh_kcontrib c[DH_DFACT_MAX];
    size_t n = dh_dfact_contribs(f, c);
    for (size_t i = 0; i < n; i++)
        if (c[i].day < d0 || c[i].day >= d0 + len)
            return -1;
    for (size_t i = 0; i < n; i++) {
        dh_kcell *cell = &cells[c[i].day - d0];
        cell->n[c[i].counter] += sign;
        cell->minutes += sign * c[i].minutes;
    }
    return 0;
}

static int64_t sum3(const dh_kcell *c, int a, int b, int d) { return (int64_t)c->n[a] + c->n[b] + c->n[d]; }

void dh_kfigures_from_cum(const dh_kcell *s, const dh_kcell *e, dh_kfigures *o)
{
    memset(o, 0, sizeof *o);
#define RANGE(k) ((int64_t)e->n[k] - s->n[k])
    int64_t recv_s = sum3(s, DH_KC_RECV_COUNTER, DH_KC_RECV_ONLINE, DH_KC_RECV_POSTAL);
    int64_t recv_e = sum3(e, DH_KC_RECV_COUNTER, DH_KC_RECV_ONLINE, DH_KC_RECV_POSTAL);
    int64_t fin_s = sum3(s, DH_KC_FIN_EARLY, DH_KC_FIN_ON_TIME, DH_KC_FIN_LATE);
    int64_t fin_e = sum3(e, DH_KC_FIN_EARLY, DH_KC_FIN_ON_TIME, DH_KC_FIN_LATE);
    o->received_online = RANGE(DH_KC_RECV_ONLINE);
    o->received_counter = RANGE(DH_KC_RECV_COUNTER);
    o->received_postal = RANGE(DH_KC_RECV_POSTAL);
    o->received_counter_postal = o->received_counter + o->received_postal;
    o->carried_over = recv_s - fin_s;
    o->received_total = o->received_online + o->received_counter_postal + o->carried_over;
    o->early = RANGE(DH_KC_FIN_EARLY);
    o->on_time = RANGE(DH_KC_FIN_ON_TIME);
    o->late = RANGE(DH_KC_FIN_LATE);
    o->resolved_total = o->early + o->on_time + o->late;
    o->in_progress_total = recv_e - fin_e;
    o->overdue = (int64_t)e->n[DH_KC_OVERDUE_FROM] - e->n[DH_KC_OVERDUE_TO];
    o->within = o->in_progress_total - o->overdue;
    o->received_by_applicant = RANGE(DH_KC_BY_APPLICANT);
    o->digitised = RANGE(DH_KC_DIGITISED);
    o->paid = RANGE(DH_KC_PAID);
    o->paid_online = RANGE(DH_KC_PAID_ONLINE);
    o->rated = RANGE(DH_KC_RATED);
    o->satisfied = RANGE(DH_KC_SATISFIED);
    o->resolved_minutes = e->minutes - s->minutes;
#undef RANGE
}

void dh_kfigures_add(dh_kfigures *into, const dh_kfigures *f)
{
    int64_t *a = (int64_t *)into;
    const int64_t *b = (const int64_t *)f;
    for (size_t i = 0; i < sizeof *f / sizeof(int64_t); i++)
        a[i] += b[i];
}

bool dh_kfigures_identities(const dh_kfigures *f)
{
    return f->received_total == f->received_online + f->received_counter_postal + f->carried_over &&
           f->resolved_total == f->early + f->on_time + f->late &&
           f->in_progress_total == f->within + f->overdue &&
           f->received_total == f->resolved_total + f->in_progress_total && f->overdue >= 0 &&
           f->within >= 0 && f->carried_over >= 0;
}

static void put32(unsigned char *p, int32_t v)
{
    uint32_t u = (uint32_t)v;
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(u >> (8 * i));
}
static int32_t get32(const unsigned char *p)
{
    uint32_t u = 0;
    for (int i = 0; i < 4; i++)
        u |= (uint32_t)p[i] << (8 * i);
    return (int32_t)u;
}

void dh_dfact_pack(const dh_dfact *f, unsigned char out[DH_DFACT_BLOB])
{
    put32(out, f->key);
    put32(out + 4, f->r_day);
    put32(out + 8, f->f_day);
    put32(out + 12, f->o_day);
    put32(out + 16, f->paid_day);
    put32(out + 20, f->rated_day);
    out[24] = f->channel;
    out[25] = f->by_applicant;
    out[26] = f->digitised;
    out[27] = f->paid_online;
    out[28] = f->satisfied;
    out[29] = f->fin;
    uint64_t m = (uint64_t)f->used_minutes;
    put32(out + 30, (int32_t)(m & 0xffffffffu));
    put32(out + 34, (int32_t)(m >> 32));
}

int dh_dfact_unpack(const unsigned char *b, size_t n, dh_dfact *f)
{
    if (!b || n != DH_DFACT_BLOB || b[24] > 2 || b[29] > DH_KFIN_LATE)
        return -1;
    f->key = get32(b);
    f->r_day = get32(b + 4);
    f->f_day = get32(b + 8);
    f->o_day = get32(b + 12);
    f->paid_day = get32(b + 16);
    f->rated_day = get32(b + 20);
    f->channel = b[24];
    f->by_applicant = b[25];
    f->digitised = b[26];
    f->paid_online = b[27];
    f->satisfied = b[28];
    f->fin = b[29];
    uint64_t lo = (uint32_t)get32(b + 30), hi = (uint32_t)get32(b + 34);
    f->used_minutes = (int64_t)(lo | hi << 32);
    return 0;
}

void dh_kcell_pack(const dh_kcell *c, unsigned char out[DH_KCELL_BLOB])
{
    for (int i = 0; i < DH_KC_N; i++)
        put32(out + 4 * i, c->n[i]);
    uint64_t m = (uint64_t)c->minutes;
    put32(out + 4 * DH_KC_N, (int32_t)(m & 0xffffffffu));
    put32(out + 4 * DH_KC_N + 4, (int32_t)(m >> 32));
}

int dh_kcell_unpack(const unsigned char *b, size_t n, dh_kcell *c)
{
    if (!b || n != DH_KCELL_BLOB)
        return -1;
    for (int i = 0; i < DH_KC_N; i++)
        c->n[i] = get32(b + 4 * i);
    uint64_t lo = (uint32_t)get32(b + 4 * DH_KC_N), hi = (uint32_t)get32(b + 4 * DH_KC_N + 4);
    c->minutes = (int64_t)(lo | hi << 32);
    return 0;
}
