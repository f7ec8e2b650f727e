/* dossiers.c - dossier events in, dossier state out: validation, idempotent
 * storage on (source, id), the order checks, and the derived dossier rows
 * (always a replay of every event of the dossier, so a late event corrects
 * them); queries and the daily overdue list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/internal.h"
#include "util/buf.h"
#include "util/metrics.h"
#include "util/strmap.h"
#include "util/text.h"

#define BATCH_MAX 10000

/* ---- Parsing one event. ------------------------------------------------ */

static bool valid_ident(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x21 || *p == 0x7f)
            return false;
    return true;
}

/* RFC 3339 with an offset ("Z" or ±hh:mm), seconds optional. */
static int parse_instant(const char *s, time_t *t)
{
    size_t n = strlen(s);
    if (n < 17)
        return -1;
    bool zoned = s[n - 1] == 'Z' || (n >= 6 && (s[n - 6] == '+' || s[n - 6] == '-') &&
                                     s[n - 3] == ':');
    if (!zoned || s[10] != 'T')
        return -1;
    return dh_time_parse(s, t);
}

static const char *str_of(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

typedef struct ctx {
    dh_app *app;
    const dh_actor *a;
    const dh_unitreg *reg;
    const dh_procset *procs;
    const dh_calset *cals;
    time_t now;
    dh_aggbatch *agg; /* the aggregates' deltas (writers only) */
} ctx;

/* Fills ev from o (strings borrowed from o). */
static dh_status parse_event(const ctx *c, json_t *o, dh_devent *ev, dh_err *e)
{
    memset(ev, 0, sizeof *ev);
    if (!json_is_object(o))
        return dh_err_set(e, DH_E_MALFORMED, "invalid_type", NULL, "an event must be an object");
    static const char *const common[] = {"id", "source", "dossier", "type", "at", NULL};
    for (const char *const *k = common; *k; k++) {
        const char *v = str_of(o, *k);
        if (!v)
            return dh_err_set(e, DH_E_INVALID, json_object_get(o, *k) ? "invalid_type"
                                                                    : "missing_field",
                              *k, "%s is required (a string)", *k);
        if (dh_utf8_invalid_offset(v, strlen(v)) >= 0 || !valid_ident(v, *k[0] == 'd' ? 64 : 100))
            if (strcmp(*k, "type") && strcmp(*k, "at"))
                return dh_err_set(e, DH_E_INVALID, "invalid_value", *k,
                                  "'%s' is not a valid %s (1 to %d visible characters)", v, *k,
                                  *k[0] == 'd' ? 64 : 100);
    }
    ev->id = str_of(o, "id");
    ev->source = str_of(o, "source");
    if (dh_de_type_parse(str_of(o, "type"), &ev->type))
        return dh_err_set(e, DH_E_INVALID, "invalid_type", "type",
                          "'%s' is not an event type (received, supplement_requested, "
                          "supplement_completed, transferred, extended, processed, "
                          "result_returned, refused, stopped, withdrawn, paid, rated, digitised)",
                          str_of(o, "type"));
    if (parse_instant(str_of(o, "at"), &ev->at))
        return dh_err_set(e, DH_E_INVALID, "invalid_time", "at",
                          "'%s' is not an RFC 3339 time with an offset (e.g. "
                          "2025-03-03T08:00:00+07:00)",
                          str_of(o, "at"));
    if (dh_date_of_time_vn(ev->at) < dh_date_from_ymd(DH_HOLIDAY_YEAR_MIN, 1, 1) ||
        dh_date_of_time_vn(ev->at) > dh_date_from_ymd(DH_HOLIDAY_YEAR_MAX - 1, 12, 31))
        return dh_err_set(e, DH_E_INVALID, "out_of_range", "at", "'%s' is outside %d-%d",
                          str_of(o, "at"), DH_HOLIDAY_YEAR_MIN, DH_HOLIDAY_YEAR_MAX - 1);
    if (ev->at > c->now + 86400)
        return dh_err_set(e, DH_E_INVALID, "in_the_future", "at",
                          "'%s' is more than a day in the future", str_of(o, "at"));
    const char *extra[6] = {0};
    switch (ev->type) {
    case DH_DE_RECEIVED:
        extra[0] = "unit", extra[1] = "procedure", extra[2] = "channel", extra[3] = "by_applicant",
        extra[4] = "appointment";
        break;
    case DH_DE_TRANSFERRED:
        extra[0] = "to_unit";
        break;
    case DH_DE_EXTENDED:
        extra[0] = "new_appointment", extra[1] = "reason";
        break;
    case DH_DE_PAID:
        extra[0] = "method", extra[1] = "amount";
        break;
    case DH_DE_RATED:
        extra[0] = "rating";
        break;
    case DH_DE_DIGITISED:
        extra[0] = "input", extra[1] = "result";
        break;
    case DH_DE_SUPPLEMENT_REQUESTED:
    case DH_DE_SUPPLEMENT_COMPLETED:
    case DH_DE_PROCESSED:
    case DH_DE_RESULT_RETURNED:
    case DH_DE_REFUSED:
    case DH_DE_STOPPED:
    case DH_DE_WITHDRAWN:
        extra[0] = "reason";
        break;
    case DH_DE_COUNT:
        break;
    }
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        bool ok = false;
        for (const char *const *k = common; *k; k++)
            ok |= strcmp(*k, key) == 0;
        for (int i = 0; i < 6 && extra[i]; i++)
            ok |= strcmp(extra[i], key) == 0;
        if (!ok)
            return dh_err_set(e, DH_E_INVALID, "unknown_field", key,
                              "'%s' is not a field of a %s event", key, dh_de_type_name(ev->type));
    }
    dh_date day = dh_date_of_time_vn(ev->at);
    if (ev->type == DH_DE_RECEIVED) {
        ev->unit = str_of(o, "unit");
        ev->procedure = str_of(o, "procedure");
        if (!ev->unit || dh_unitreg_find(c->reg, ev->unit) < 0)
            return dh_err_set(e, DH_E_INVALID, "unknown_unit", "unit", "unknown unit '%s'",
                              ev->unit ? ev->unit : "");
        if (!ev->procedure || !dh_procset_at(c->procs, ev->procedure, day))
            return dh_err_set(e, DH_E_INVALID, "unknown_procedure", "procedure",
                              "unknown procedure '%s' (or none in force on that date)",
                              ev->procedure ? ev->procedure : "");
        const char *ch = str_of(o, "channel");
        if (json_object_get(o, "channel") && dh_channel_parse(ch, &ev->channel))
            return dh_err_set(e, DH_E_INVALID, "invalid_channel", "channel",
                              "channel must be counter, online or postal");
        json_t *b = json_object_get(o, "by_applicant");
        if (b && !json_is_boolean(b))
            return dh_err_set(e, DH_E_INVALID, "invalid_type", "by_applicant",
                              "by_applicant must be true or false");
        ev->by_applicant = b && json_is_true(b);
        if (ev->by_applicant && ev->channel != DH_CH_ONLINE)
            return dh_err_set(e, DH_E_INVALID, "invalid_value", "by_applicant",
                              "by_applicant is for online dossiers only");
        const char *ap = str_of(o, "appointment");
        if (json_object_get(o, "appointment") && (!ap || parse_instant(ap, &ev->appointment)))
            return dh_err_set(e, DH_E_INVALID, "invalid_time", "appointment",
                              "appointment must be an RFC 3339 time with an offset");
        if (ev->appointment && ev->appointment < ev->at)
            return dh_err_set(e, DH_E_INVALID, "invalid_time", "appointment",
                              "the appointment is before the receipt");
    } else if (ev->type == DH_DE_TRANSFERRED) {
        ev->to_unit = str_of(o, "to_unit");
        if (!ev->to_unit || dh_unitreg_find(c->reg, ev->to_unit) < 0)
            return dh_err_set(e, DH_E_INVALID, "unknown_unit", "to_unit", "unknown unit '%s'",
                              ev->to_unit ? ev->to_unit : "");
    } else if (ev->type == DH_DE_EXTENDED) {
        const char *na = str_of(o, "new_appointment");
        if (!na || parse_instant(na, &ev->new_appointment))
            return dh_err_set(e, DH_E_INVALID, "invalid_time", "new_appointment",
                              "new_appointment is required: an RFC 3339 time with an offset");
    } else if (ev->type == DH_DE_PAID) {
        const char *m = str_of(o, "method");
        if (!m || (strcmp(m, "online") && strcmp(m, "offline")))
            return dh_err_set(e, DH_E_INVALID, "invalid_value", "method",
                              "method must be online or offline");
        ev->paid_online = strcmp(m, "online") == 0;
        json_t *amt = json_object_get(o, "amount");
        if (amt && (!json_is_number(amt) || json_number_value(amt) < 0))
            return dh_err_set(e, DH_E_INVALID, "invalid_value", "amount",
                              "amount must be a number >= 0");
    } else if (ev->type == DH_DE_RATED) {
        json_t *r = json_object_get(o, "rating");
        if (!json_is_integer(r) || json_integer_value(r) < 1 || json_integer_value(r) > 5)
            return dh_err_set(e, DH_E_INVALID, "invalid_value", "rating",
                              "rating must be a whole number from 1 to 5");
        ev->rating = (int)json_integer_value(r);
    } else if (ev->type == DH_DE_DIGITISED) {
        json_t *in = json_object_get(o, "input"), *res = json_object_get(o, "result");
        if ((in && !json_is_boolean(in)) || (res && !json_is_boolean(res)) || (!in && !res))
            return dh_err_set(e, DH_E_INVALID, "invalid_value", "input",
                              "input and/or result must be given as true or false");
        ev->digitised_input = in && json_is_true(in);
        ev->digitised_result = res && json_is_true(res);
    }
    json_t *reason = json_object_get(o, "reason");
    if (reason && !json_is_string(reason))
        return dh_err_set(e, DH_E_INVALID, "invalid_type", "reason", "reason must be a string");
    return DH_OK;
}

/* ---- Per-dossier buckets during a batch. -------------------------------- */

typedef struct bucket {
    char *code;
    json_t *bodies; /* array keeping the parsed JSON of every event alive */
    dh_devent *ev;
    size_t n, cap;
    bool dirty;
} bucket;

typedef struct bmap {
    bucket *v;
    size_t cap, n;
} bmap;

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static bucket *bmap_get(bmap *m, const char *code, bool *fresh)
{
    if (m->n * 2 >= m->cap) {
        bmap old = *m;
        m->cap = m->cap ? m->cap * 2 : 64;
        m->v = dh_xcalloc(m->cap, sizeof *m->v);
        m->n = 0;
        for (size_t i = 0; i < old.cap; i++) {
            if (!old.v[i].code)
                continue;
            size_t j = hash(old.v[i].code) & (m->cap - 1);
            while (m->v[j].code)
                j = (j + 1) & (m->cap - 1);
            m->v[j] = old.v[i];
            m->n++;
        }
        free(old.v);
    }
    size_t j = hash(code) & (m->cap - 1);
    while (m->v[j].code && strcmp(m->v[j].code, code) != 0)
        j = (j + 1) & (m->cap - 1);
    *fresh = !m->v[j].code;
    if (*fresh) {
        m->v[j].code = dh_xstrdup(code);
        m->v[j].bodies = json_array();
        m->n++;
    }
    return &m->v[j];
}

/* The bucket of `code`, or NULL (nothing is made). */
static bucket *bmap_find(const bmap *m, const char *code)
{
    if (!m->cap)
        return NULL;
    size_t j = hash(code) & (m->cap - 1);
    while (m->v[j].code && strcmp(m->v[j].code, code) != 0)
        j = (j + 1) & (m->cap - 1);
    return m->v[j].code ? &m->v[j] : NULL;
}

static void bmap_free(bmap *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->v[i].code)
            continue;
        free(m->v[i].code);
        json_decref(m->v[i].bodies);
        free(m->v[i].ev);
    }
    free(m->v);
}

static void bucket_push(bucket *b, const dh_devent *ev)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 8;
        b->ev = dh_xrealloc(b->ev, b->cap * sizeof *b->ev);
    }
    b->ev[b->n++] = *ev;
}

struct load_ev {
    const ctx *c;
    bucket *b;       /* one dossier's (load_bucket), or NULL: */
    const bmap *m;   /* the bucket of each row's dossier (load_buckets) */
    dh_status st;
    dh_err *e;
};

static int on_stored_event(void *cl, const dh_devent_row *r)
{
    struct load_ev one = *(struct load_ev *)cl, *l = cl;
    if (!one.b)
        one.b = bmap_find(l->m, r->dossier);
    if (!one.b)
        return 0; /* not asked for */
    json_t *o = json_loads(r->body, 0, NULL);
    dh_devent ev;
    dh_err pe;
    /* Stored events were valid when taken; parse them leniently against
     * today's catalogue (a procedure removed later must not break replay). */
    if (!o) {
        l->st = dh_err_set(l->e, DH_E_INTERNAL, "corrupt_event", NULL, "stored event %s/%s",
                           r->source, r->id);
        return 1;
    }
    json_array_append_new(one.b->bodies, o);
    if (parse_event(one.c, o, &ev, &pe) == DH_OK) {
        bucket_push(one.b, &ev);
    } else {
        /* Keep the lifecycle facts even when a reference no longer resolves. */
        memset(&ev, 0, sizeof ev);
        dh_de_type_parse(str_of(o, "type"), &ev.type);
        ev.at = r->at;
        ev.source = str_of(o, "source");
        ev.id = str_of(o, "id");
        ev.unit = str_of(o, "unit");
        ev.procedure = str_of(o, "procedure");
        ev.to_unit = str_of(o, "to_unit");
        bucket_push(one.b, &ev);
    }
    return 0;
}

static dh_status load_bucket(const ctx *c, dh_conn *conn, bucket *b, dh_err *e)
{
    struct load_ev l = {c, b, NULL, DH_OK, e};
    dh_status st = DH_DOSSIERS(conn)->load_devents(conn, b->code, on_stored_event, &l, e);
    return st ? st : l.st;
}

/* Fills the n buckets of m named by codes (new ones) with their stored
 * events, in one call. */
static dh_status load_buckets(const ctx *c, dh_conn *conn, const bmap *m,
                              const char *const *codes, size_t n, dh_err *e)
{
    struct load_ev l = {c, NULL, m, DH_OK, e};
    dh_status st =
        DH_DOSSIERS(conn)->load_devents_many(conn, codes, n, on_stored_event, &l, e);
    return st ? st : l.st;
}

/* ---- Who holds an event key: (source, id) -> dossier. --------------------- */

static void key_of(char *out, size_t cap, const char *source, const char *id)
{
    snprintf(out, cap, "%s\x1f%s", source, id); /* both at most 100 bytes (parse_event) */
}

/* The dossier holding (source, id), or NULL. */
static const char *holder_of(const dh_strmap *held, const char *source, const char *id)
{
    char key[256];
    key_of(key, sizeof key, source, id);
    return dh_strmap_get(held, key);
}

static void hold(dh_strmap *held, const char *source, const char *id, const char *dossier)
{
    char key[256];
    key_of(key, sizeof key, source, id);
    dh_strmap_put(held, key, dossier);
}

static int on_key_holder(void *cl, const dh_devent_row *r)
{
    hold(cl, r->source, r->id, r->dossier);
    return 0;
}

/* The unit that answers for a dossier: after transfers, else the receiving. */
static const char *dossier_unit(const bucket *b)
{
    const char *u = NULL;
    const dh_devent *rec = NULL;
    for (size_t i = 0; i < b->n; i++)
        if (b->ev[i].type == DH_DE_RECEIVED && (!rec || b->ev[i].at < rec->at))
            rec = &b->ev[i];
    time_t last = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->ev[i].type == DH_DE_TRANSFERRED && b->ev[i].at >= last)
            u = b->ev[i].to_unit, last = b->ev[i].at;
    return u ? u : rec ? rec->unit : NULL;
}

/* Would adding ev break the order rules? */
static const char *order_problem(bucket *b, const dh_devent *ev)
{
    dh_devent *tmp = dh_xmalloc((b->n + 1) * sizeof *tmp);
    if (b->n)
        memcpy(tmp, b->ev, b->n * sizeof *tmp);
    tmp[b->n] = *ev;
    dh_devents_sort(tmp, b->n + 1);
    const char *why = NULL;
    long bad = dh_devents_check(tmp, b->n + 1, &why);
    free(tmp);
    return bad >= 0 ? why : NULL;
}

/* ---- Deriving the dossier row. ------------------------------------------ */

/* Works out the row of b's dossier into *out (its strings borrowed from b,
 * its fact in *fact) and the aggregates' change; the caller writes the row
 * (put_dossier, or put_dossiers for many). */
static dh_status derive(const ctx *c, dh_conn *conn, bucket *b, dh_dossier_row *out,
                        dh_dfact *fact, dh_err *e)
{
    dh_devents_sort(b->ev, b->n);
    dh_dossier_row row = {0};
    row.code = b->code;
    row.updated_at = c->now;
    dh_dossier_view v;
    const dh_devent *rec = NULL;
    for (size_t i = 0; i < b->n && !rec; i++)
        if (b->ev[i].type == DH_DE_RECEIVED)
            rec = &b->ev[i];
    if (!rec) {
        row.state = "incomplete";
        row.unit = row.receiving_unit = row.procedure = row.channel = "";
        *out = row;
        return c->agg ? dh_aggbatch_change(c->agg, conn, b->code, NULL, e) : DH_OK;
    }
    dh_date day = dh_date_of_time_vn(rec->at);
    const dh_proc *p = dh_procset_at(c->procs, rec->procedure, day);
    int32_t u = dh_unitreg_find(c->reg, rec->unit);
    const dh_calendar *cal = u >= 0 ? dh_calset_for_unit(c->cals, c->reg, u, day)
                                    : dh_calset_find(c->cals, "default");
    dh_clock_rules rules = {1, 0};
    if (!p || !cal ||
        dh_dossier_replay(b->ev, b->n, cal->wc, &p->limit, &rules, c->now, &v) != 0)
        return dh_err_set(e, DH_E_INVALID, "cannot_compute", "dossier",
                          "dossier %s: its deadline cannot be computed (procedure or calendar "
                          "range)",
                          b->code);
    row.unit = v.unit ? v.unit : "";
    row.receiving_unit = v.receiving_unit ? v.receiving_unit : "";
    row.procedure = v.procedure ? v.procedure : "";
    row.channel = dh_channel_name(v.channel);
    row.by_applicant = v.by_applicant;
    row.received_at = v.received_at;
    row.counting_from = v.counting_from;
    row.due_at = v.due_at;
    row.due_effective = v.due_effective;
    int margin = dh_workcal_day_minutes(cal->wc);
    int64_t risk = v.budget_minutes + v.paused_minutes - margin;
    if (dh_workcal_add_minutes(cal->wc, v.counting_from, risk > 0 ? risk : 0, -1,
                               &row.at_risk_from))
        row.at_risk_from = v.counting_from;
    row.extended_to = v.extended_to;
    row.finished_at = v.finished_at;
    row.state = dh_dstate_name(v.state);
    row.outcome = v.state == DH_DS_RESOLVED || v.state == DH_DS_CLOSED ? dh_outcome_name(v.outcome)
                                                                      : NULL;
    row.used_minutes = v.used_minutes;
    row.budget_minutes = v.budget_minutes;
    row.late_minutes = v.late_minutes;
    row.nsupplements = v.nsupplements;
    row.paid = v.paid;
    row.paid_online = v.paid_online;
    row.rating = v.rating;
    row.digitised_input = v.digitised_input;
    row.digitised_result = v.digitised_result;
    /* what the aggregates count for it (core/kpiagg.h) */
    if (dh_dossier_fact(b->ev, b->n, cal->wc, &p->limit, &rules, fact))
        return dh_err_set(e, DH_E_INVALID, "cannot_compute", "dossier",
                          "dossier %s: its deadline cannot be computed (calendar range)", b->code);
    dh_status st = DH_OK;
    if (fact->r_day != DH_NO_DAY) {
        st = dh_aggbatch_key(c->agg, conn, rec->unit, p->code, p->field, &fact->key, e);
        row.fact = fact;
    }
    if (st == DH_OK)
        st = dh_aggbatch_change(c->agg, conn, b->code, row.fact, e);
    *out = row;
    return st;
}

/* ---- Ingestion. ---------------------------------------------------------- */

/* lines index the chunk (i); messages without lines count in the whole input (index0 + i) */
static void where(char *out, size_t cap, const char *name, const long *lines, size_t i,
                  size_t index0)
{
    if (name && lines)
        snprintf(out, cap, "%s:%ld: ", name, lines[i]);
    else
        snprintf(out, cap, "event %zu: ", index0 + i);
}

static void refuse(dh_ingest_report *rep, size_t i, const char *at, const dh_err *pe)
{
    rep->refused++;
    char msg[sizeof pe->message + 200];
    snprintf(msg, sizeof msg, "%s%s%s%s", at, pe->field[0] ? pe->field : "",
             pe->field[0] ? ": " : "", pe->message);
    json_array_append_new(rep->results, json_pack("{s:I,s:s,s:s,s:s}", "index", (json_int_t)i,
                                                  "status", "refused", "code", pe->code, "error",
                                                  msg));
}

static bool may_submit(const ctx *c, const char *unit)
{
    if (c->a->role == DH_ROLE_ADMIN)
        return true;
    int32_t u = unit ? dh_unitreg_find(c->reg, unit) : -1;
    if (u < 0)
        return true; /* not known yet: judged when the receipt arrives */
    return dh_access_allows(c->reg, c->a->role, dh_app_actor_scope(c->reg, c->a), DH_ACT_SUBMIT,
                            u, dh_date_of_time_vn(c->now));
}

struct dh_ingest {
    ctx c;
    dh_conn *conn; /* the runner's transaction */
    bool partial;
    dh_err first; /* the first refusal */
};

/* The snapshots an ingestion reads (registry, catalogue, calendars), taken
 * once for all the runner's attempts. */
static dh_ingest *ingest_open(dh_app *app, const dh_actor *a, bool partial, time_t now,
                              dh_err *e)
{
    dh_ingest *g = dh_xcalloc(1, sizeof *g);
    g->c = (ctx){app, a, NULL, NULL, NULL, now, NULL};
    g->partial = partial;
    g->c.reg = dh_app_units_acquire(app, e);
    g->c.procs = g->c.reg ? dh_app_procedures_acquire(app, e) : NULL;
    g->c.cals = g->c.procs ? dh_app_calendars_acquire(app, e) : NULL;
    if (g->c.cals)
        return g;
    dh_app_procedures_release(app, g->c.procs);
    dh_app_units_release(app, g->c.reg);
    free(g);
    return NULL;
}

static void ingest_close(dh_ingest *g)
{
    dh_app_calendars_release(g->c.app, g->c.cals);
    dh_app_procedures_release(g->c.app, g->c.procs);
    dh_app_units_release(g->c.app, g->c.reg);
    dh_aggbatch_free(g->c.agg);
    free(g);
}

/* What one attempt starts from: no aggregate change, no refusal, the
 * attempt's connection. */
static void ingest_reset(dh_ingest *g, dh_conn *conn)
{
    dh_aggbatch_free(g->c.agg);
    g->c.agg = dh_aggbatch_new();
    memset(&g->first, 0, sizeof g->first);
    g->conn = conn;
}

/* An empty report for the attempt, keeping its results array. */
static void report_reset(dh_ingest_report *rep)
{
    json_t *results = rep->results;
    json_array_clear(results);
    memset(rep, 0, sizeof *rep);
    rep->results = results;
}

static void note_first(dh_ingest *g, const dh_err *pe, const char *at, const char *name,
                       const long *lines, size_t i)
{
    if (g->first.status)
        return;
    g->first = *pe;
    snprintf(g->first.message, sizeof g->first.message, "%s%s", at, pe->message);
    g->first.line = name && lines ? lines[i] : 0;
}

/* Before a chunk's events are judged: a bucket for each dossier they name,
 * with its stored events (one call for the chunk's new dossiers), and who
 * holds each (source, id) already stored (one call), so that the events
 * are then judged in memory and written in one call. */
static dh_status load_chunk(dh_ingest *g, json_t *events, const dh_devent *ev, const bool *bad,
                            size_t n, bmap *m, dh_strmap *held, dh_err *e)
{
    const char **codes = dh_xcalloc(n ? n : 1, sizeof *codes);
    const char **sources = dh_xcalloc(n ? n : 1, sizeof *sources);
    const char **ids = dh_xcalloc(n ? n : 1, sizeof *ids);
    size_t ncodes = 0, nkeys = 0;
    for (size_t i = 0; i < n; i++) {
        if (bad[i])
            continue;
        bool fresh;
        bucket *b = bmap_get(m, str_of(json_array_get(events, i), "dossier"), &fresh);
        if (fresh)
            codes[ncodes++] = b->code; /* the string stays where it is when m grows */
        sources[nkeys] = ev[i].source;
        ids[nkeys++] = ev[i].id;
    }
    dh_status st = load_buckets(&g->c, g->conn, m, codes, ncodes, e);
    if (st == DH_OK && nkeys)
        st = DH_DOSSIERS(g->conn)->find_devents_many(g->conn, sources, ids, nkeys,
                                                     on_key_holder, held, e);
    free(codes);
    free(sources);
    free(ids);
    return st;
}

/* Derives the row of every dossier the chunk changed and writes them in
 * one call, after reading their stored facts in one call. */
static dh_status derive_chunk(dh_ingest *g, bmap *m, dh_ingest_report *rep, dh_err *e)
{
    size_t k = 0;
    for (size_t i = 0; i < m->cap; i++)
        k += m->v[i].code && m->v[i].dirty;
    if (!k)
        return DH_OK;
    const char **codes = dh_xcalloc(k, sizeof *codes);
    dh_dossier_row *rows = dh_xcalloc(k, sizeof *rows);
    dh_dfact *facts = dh_xcalloc(k, sizeof *facts);
    size_t j = 0;
    for (size_t i = 0; i < m->cap; i++)
        if (m->v[i].code && m->v[i].dirty)
            codes[j++] = m->v[i].code;
    dh_status st = dh_aggbatch_prefetch(g->c.agg, g->conn, codes, k, e);
    j = 0;
    for (size_t i = 0; i < m->cap && st == DH_OK; i++) {
        if (m->v[i].code && m->v[i].dirty) {
            st = derive(&g->c, g->conn, &m->v[i], &rows[j], &facts[j], e);
            j++;
            rep->dossiers++;
        }
    }
    if (st == DH_OK)
        st = DH_DOSSIERS(g->conn)->put_dossiers(g->conn, rows, k, e);
    free(codes);
    free(rows);
    free(facts);
    return st;
}

dh_status dh_ingest_add(dh_ingest *g, json_t *events, const char *name, const long *lines,
                        size_t index0, dh_ingest_report *rep, dh_err *e)
{
    ctx *c = &g->c;
    size_t n = json_array_size(events);
    dh_devent *ev = dh_xcalloc(n ? n : 1, sizeof *ev);
    char **canon = dh_xcalloc(n ? n : 1, sizeof *canon);
    bool *bad = dh_xcalloc(n ? n : 1, sizeof *bad);
    char at[300];
    dh_status st = DH_OK;
    for (size_t i = 0; i < n; i++) {
        dh_err pe = {0};
        json_t *o = json_array_get(events, i);
        dh_status ps = parse_event(c, o, &ev[i], &pe);
        if (ps == DH_OK && ev[i].type == DH_DE_RECEIVED && !may_submit(c, ev[i].unit))
            ps = dh_err_set(&pe, DH_E_FORBIDDEN, "forbidden", "unit",
                            "this account may not submit events for unit %s", ev[i].unit);
        if (ps) {
            bad[i] = true;
            where(at, sizeof at, name, lines, i, index0);
            refuse(rep, index0 + i, at, &pe);
            note_first(g, &pe, at, name, lines, i);
            continue;
        }
        canon[i] = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    }
    bmap m = {0};
    dh_strmap held = {0};
    dh_devent_row *rows = dh_xcalloc(n ? n : 1, sizeof *rows);
    size_t nrows = 0;
    bool stop = g->first.status && !g->partial; /* the batch is lost: only report */
    if (!stop)
        st = load_chunk(g, events, ev, bad, n, &m, &held, e);
    for (size_t i = 0; i < n && st == DH_OK && !stop; i++) {
        if (bad[i])
            continue;
        json_t *o = json_array_get(events, i);
        const char *dossier = str_of(o, "dossier");
        dh_err pe = {0};
        bucket *b = bmap_find(&m, dossier);
        /* The same (source, id) already stored for this dossier, or earlier here? */
        int dup = 0; /* 1 duplicate, -1 conflict */
        for (size_t k = 0; k < b->n && !dup; k++) {
            /* bodies[k] is the JSON of ev[k] (they are appended together) */
            if (b->ev[k].id && b->ev[k].source && strcmp(b->ev[k].id, ev[i].id) == 0 &&
                strcmp(b->ev[k].source, ev[i].source) == 0) {
                char *cb = json_dumps(json_array_get(b->bodies, k), JSON_COMPACT | JSON_SORT_KEYS);
                dup = cb && strcmp(cb, canon[i]) == 0 ? 1 : -1;
                free(cb);
            }
        }
        where(at, sizeof at, name, lines, i, index0);
        if (dup == 1) {
            rep->duplicates++;
            json_array_append_new(rep->results, json_pack("{s:I,s:s}", "index",
                                                          (json_int_t)(index0 + i), "status",
                                                          "duplicate"));
            continue;
        }
        const char *holder = dup ? NULL : holder_of(&held, ev[i].source, ev[i].id);
        if (dup == -1) {
            dh_err_set(&pe, DH_E_CONFLICT, "event_conflict", "id",
                       "event %s/%s was already received with different content", ev[i].source,
                       ev[i].id);
        } else if (holder && strcmp(holder, dossier) != 0) {
            /* (source, id) is stored, or taken earlier here, under another dossier */
            dh_err_set(&pe, DH_E_CONFLICT, "event_conflict", "id",
                       "event %s/%s was already received for another dossier", ev[i].source,
                       ev[i].id);
        } else {
            const char *u = ev[i].type == DH_DE_RECEIVED ? ev[i].unit : dossier_unit(b);
            const char *why = b->n ? order_problem(b, &ev[i]) : NULL;
            if (why)
                dh_err_set(&pe, DH_E_INVALID, "event_order", "at", "%s (dossier %s)", why,
                           dossier);
            else if (!may_submit(c, u))
                dh_err_set(&pe, DH_E_FORBIDDEN, "forbidden", "dossier",
                           "this account may not submit events for dossier %s of unit %s",
                           dossier, u);
        }
        if (pe.status) {
            refuse(rep, index0 + i, at, &pe);
            note_first(g, &pe, at, name, lines, i);
            if (!g->partial)
                stop = true;
            continue;
        }
        /* Taken: written below with the chunk's others, in this order. */
        rows[nrows++] = (dh_devent_row){0,        ev[i].source, ev[i].id, dossier,
                                        dh_de_type_name(ev[i].type), ev[i].at, canon[i], c->now};
        hold(&held, ev[i].source, ev[i].id, dossier);
        json_array_append(b->bodies, o);
        bucket_push(b, &ev[i]);
        b->dirty = true;
        rep->accepted++;
        if (n <= 10000)
            json_array_append_new(rep->results, json_pack("{s:I,s:s}", "index",
                                                          (json_int_t)(index0 + i), "status",
                                                          "accepted"));
    }
    if (st == DH_OK && !stop)
        st = DH_DOSSIERS(g->conn)->insert_devents(g->conn, rows, nrows, e);
    if (st == DH_OK && !stop)
        st = derive_chunk(g, &m, rep, e);
    free(rows);
    dh_strmap_free(&held);
    bmap_free(&m);
    for (size_t i = 0; i < n; i++)
        free(canon[i]);
    free(canon);
    free(bad);
    free(ev);
    return st;
}

/* Concurrency: an ingestion reads the stored events of each dossier it
 * touches (load_bucket), decides duplicates and order against them, and
 * writes the new events, the dossier's derived row, its fact and the
 * aggregate cells. Two writers adding events of the same dossier must not
 * both derive from a list missing the other's event: every writer of these
 * tables runs with DH_TX_DOSSIERS, alone among them (BEGIN IMMEDIATE on
 * SQLite; on PostgreSQL READ COMMITTED under the dossiers' advisory lock,
 * taken before the first read: app.c, above dh_tx_run). (source, id) of an
 * event is UNIQUE: a duplicate that slips past the read is refused by the
 * constraint. */
struct ingest_run {
    dh_ingest *g;
    dh_ingest_source src;
    void *closure;
    dh_ingest_report *rep;
};

static dh_status ingest_tx(dh_tx *tx, void *closure, dh_err *e)
{
    struct ingest_run *x = closure;
    dh_ingest *g = x->g;
    ingest_reset(g, tx->c);
    report_reset(x->rep);
    dh_status st = x->src(g, x->closure, x->rep, e);
    if (st)
        return st;
    if (g->first.status && !g->partial) {
        *e = g->first;
        return g->first.status;
    }
    if (x->rep->accepted) {
        /* One audit row per batch: who sent how many events (the events
         * themselves are the record of what changed). */
        json_t *after = json_pack("{s:i,s:i,s:i}", "accepted", x->rep->accepted, "duplicates",
                                  x->rep->duplicates, "dossiers", x->rep->dossiers);
        st = dh_app_audit(tx->c, g->c.a, "ingest", "dossier_events", "", "", "ok", NULL, after,
                          g->c.now, e);
        json_decref(after);
    }
    if (st == DH_OK)
        st = dh_aggbatch_flush(g->c.agg, tx->c, e);
    return st;
}

dh_status dh_app_ingest_run(dh_app *app, const dh_actor *a, bool partial, time_t now,
                            dh_ingest_source src, void *closure, dh_ingest_report *rep, dh_err *e)
{
    if (!rep->results)
        rep->results = json_array();
    dh_ingest *g = ingest_open(app, a, partial, now, e);
    if (!g)
        return e->status;
    struct ingest_run x = {g, src, closure, rep};
    dh_status st = dh_tx_run(app, DH_TX_DOSSIERS, ingest_tx, &x, e);
    if (st && g->first.status && !partial)
        rep->accepted = rep->duplicates = rep->dossiers = 0;
    ingest_close(g);
    if (st == DH_OK) {
        static const char *const help = "Dossier events received, by result (stored, or a "
                                        "duplicate of one stored before).";
        dh_metric_count("dieuhanh_events_ingested_total", help, "result=\"stored\"",
                        rep->accepted);
        dh_metric_count("dieuhanh_events_ingested_total", help, "result=\"duplicate\"",
                        rep->duplicates);
    }
    return st;
}

/* ---- Rebuild. ------------------------------------------------------------ */

struct codes {
    char **v;
    size_t n, cap;
};

static int on_code(void *cl, const char *code)
{
    struct codes *c = cl;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->v = dh_xrealloc(c->v, c->cap * sizeof *c->v);
    }
    c->v[c->n++] = dh_xstrdup(code);
    return 0;
}

struct rebuild_run {
    dh_ingest *g;
    void (*progress)(long done, long total, void *closure);
    void *closure;
    long ndossiers;
};

static dh_status rebuild_tx(dh_tx *tx, void *closure, dh_err *e)
{
    struct rebuild_run *x = closure;
    dh_ingest *g = x->g;
    dh_conn *conn = tx->c;
    ingest_reset(g, conn);
    x->ndossiers = 0;
    struct codes codes = {0};
    dh_status st = DH_AGGS(conn)->agg_reset(conn, e);
    if (st == DH_OK)
        st = DH_META(conn)->meta_bump(conn, "agg_epoch", e);
    if (st == DH_OK)
        st = DH_DOSSIERS(conn)->list_dossier_codes(conn, on_code, &codes, e);
    bucket b = {0};
    for (size_t i = 0; i < codes.n && st == DH_OK; i++) {
        b.code = codes.v[i];
        b.bodies = json_array();
        st = load_bucket(&g->c, conn, &b, e);
        dh_dossier_row row;
        dh_dfact fact;
        if (st == DH_OK)
            st = derive(&g->c, conn, &b, &row, &fact, e);
        if (st == DH_OK)
            st = DH_DOSSIERS(conn)->put_dossier(conn, &row, e);
        json_decref(b.bodies);
        free(b.ev);
        memset(&b, 0, sizeof b);
        if (x->progress && (i + 1) % 10000 == 0)
            x->progress((long)(i + 1), (long)codes.n, x->closure);
    }
    if (st == DH_OK)
        st = DH_META(conn)->meta_bump(conn, "agg_built", e);
    if (st == DH_OK) {
        json_t *after = json_pack("{s:I}", "dossiers", (json_int_t)codes.n);
        st = dh_app_audit(conn, g->c.a, "rebuild", "aggregates", "", "", "ok", NULL, after,
                          g->c.now, e);
        json_decref(after);
    }
    if (st == DH_OK)
        st = dh_aggbatch_flush(g->c.agg, conn, e);
    for (size_t i = 0; i < codes.n; i++)
        free(codes.v[i]);
    free(codes.v);
    if (st == DH_OK)
        x->ndossiers = (long)codes.n;
    return st;
}

/* Concurrency: the rebuild reads every dossier's events and rewrites every
 * derived row and aggregate cell in one write transaction, so readers see
 * the old aggregates or the new ones (agg_epoch tells them to reload) and
 * an ingestion waits for it or, past the busy timeout, is retried. */
dh_status dh_app_rebuild(dh_app *app, const dh_actor *a, time_t now,
                         void (*progress)(long done, long total, void *closure), void *closure,
                         long *ndossiers, dh_err *e)
{
    *ndossiers = 0;
    dh_ingest *g = ingest_open(app, a, false, now, e);
    if (!g)
        return e->status;
    struct rebuild_run x = {g, progress, closure, 0};
    dh_status st = dh_tx_run(app, DH_TX_DOSSIERS, rebuild_tx, &x, e);
    if (st == DH_OK)
        *ndossiers = x.ndossiers;
    ingest_close(g);
    return st;
}

struct batch_source {
    json_t *events;
    const char *name;
    const long *lines;
};

static dh_status batch_source(dh_ingest *g, void *closure, dh_ingest_report *rep, dh_err *e)
{
    struct batch_source *s = closure;
    return dh_ingest_add(g, s->events, s->name, s->lines, 0, rep, e);
}

dh_status dh_app_dossier_ingest(dh_app *app, const dh_actor *a, json_t *events, bool partial,
                                const char *name, const long *lines, time_t now,
                                dh_ingest_report *rep, dh_err *e)
{
    memset(rep, 0, sizeof *rep);
    rep->results = json_array();
    if (!json_is_array(events) || json_array_size(events) == 0)
        return dh_err_set(e, DH_E_INVALID, "invalid_type", "events",
                          "events must be a non-empty array");
    if (!name && json_array_size(events) > BATCH_MAX)
        return dh_err_set(e, DH_E_TOOLARGE, "too_many", "events",
                          "at most %d events in one request", BATCH_MAX);
    struct batch_source s = {events, name, lines};
    return dh_app_ingest_run(app, a, partial, now, batch_source, &s, rep, e);
}

/* ---- Reading. ------------------------------------------------------------ */

static json_t *time_json(time_t t)
{
    if (!t)
        return json_null();
    char s[20];
    dh_time_format_vn(t, s);
    char full[32];
    snprintf(full, sizeof full, "%s:00+07:00", s);
    return json_string(full);
}

/* The outcome of a row at `now` (in progress rows are judged now). */
static const char *row_outcome(const dh_dossier_row *r, time_t now)
{
    if (r->outcome)
        return r->outcome;
    if (strcmp(r->state, "in_progress") != 0 && strcmp(r->state, "paused") != 0)
        return NULL;
    if (strcmp(r->state, "paused") == 0)
        return r->late_minutes > 0 ? "overdue" : "within";
    if (r->due_effective && now > r->due_effective)
        return "overdue";
    if (r->at_risk_from && now >= r->at_risk_from)
        return "at_risk";
    return "within";
}

static json_t *row_json(const dh_dossier_row *r, time_t now)
{
    json_t *o = json_object();
    json_object_set_new(o, "code", json_string(r->code));
    json_object_set_new(o, "unit", json_string(r->unit));
    json_object_set_new(o, "receiving_unit", json_string(r->receiving_unit));
    json_object_set_new(o, "procedure", json_string(r->procedure));
    json_object_set_new(o, "channel", json_string(r->channel));
    json_object_set_new(o, "by_applicant", json_boolean(r->by_applicant));
    json_object_set_new(o, "received_at", time_json(r->received_at));
    json_object_set_new(o, "due_at", time_json(r->due_at));
    json_object_set_new(o, "due_effective", time_json(r->due_effective));
    json_object_set_new(o, "extended_to", time_json(r->extended_to));
    json_object_set_new(o, "finished_at", time_json(r->finished_at));
    json_object_set_new(o, "state", json_string(r->state));
    const char *out = row_outcome(r, now);
    json_object_set_new(o, "outcome", out ? json_string(out) : json_null());
    json_object_set_new(o, "working_minutes_used", json_integer(r->used_minutes));
    json_object_set_new(o, "working_minutes_allowed", json_integer(r->budget_minutes));
    json_object_set_new(o, "late_minutes", json_integer(r->late_minutes));
    json_object_set_new(o, "supplement_requests", json_integer(r->nsupplements));
    json_object_set_new(o, "paid_online", json_boolean(r->paid_online));
    json_object_set_new(o, "rating", r->rating ? json_integer(r->rating) : json_null());
    return o;
}

struct list_ctx {
    json_t *items;
    time_t now;
};

static int one_row(void *cl, const dh_dossier_row *r)
{
    struct list_ctx *l = cl;
    l->items = row_json(r, l->now);
    return 1;
}

static int collect_event(void *cl, const dh_devent_row *r)
{
    json_t *o = json_loads(r->body, 0, NULL);
    if (o)
        json_array_append_new(cl, o);
    return 0;
}

static bool may_read(const dh_unitreg *reg, const dh_actor *a, const char *unit, time_t now)
{
    if (a->role == DH_ROLE_ADMIN)
        return true;
    int32_t u = dh_unitreg_find(reg, unit);
    return u >= 0 && dh_access_allows(reg, a->role, dh_app_actor_scope(reg, a), DH_ACT_READ, u,
                                      dh_date_of_time_vn(now));
}

dh_status dh_app_dossier_get(dh_app *app, const dh_actor *a, const char *code, bool public_view,
                             time_t now, json_t **out, dh_err *e)
{
    dh_conn *c = dh_store_acquire(app->store, e);
    if (!c)
        return e->status;
    struct list_ctx one = {NULL, now};
    dh_status st = DH_DOSSIERS(c)->get_dossier(c, code, one_row, &one, e);
    json_t *res[1] = {one.items};
    json_t *events = json_array();
    if (st == DH_OK && !public_view)
        st = DH_DOSSIERS(c)->load_devents(c, code, collect_event, events, e);
    dh_store_release(c);
    if (st == DH_OK && strcmp(json_string_value(json_object_get(res[0], "state")),
                              "incomplete") == 0)
        st = dh_err_set(e, DH_E_NOTFOUND, "not_found", NULL, "no dossier '%s'", code);
    if (st) {
        json_decref(res[0]);
        json_decref(events);
        return st;
    }
    if (public_view) {
        json_decref(events);
        /* Only what the public may see: no applicant data exists here, and
         * not even the internal units or the working-time details. */
        json_t *o = res[0];
        static const char *const keep[] = {"code", "procedure", "received_at", "due_at",
                                           "extended_to", "finished_at", "state", "outcome"};
        json_t *p = json_object();
        for (size_t i = 0; i < sizeof keep / sizeof *keep; i++)
            json_object_set(p, keep[i], json_object_get(o, keep[i]));
        json_decref(o);
        *out = p;
        return DH_OK;
    }
    const dh_unitreg *reg = dh_app_units_acquire(app, e);
    if (!reg) {
        json_decref(res[0]);
        json_decref(events);
        return e->status;
    }
    const char *unit = json_string_value(json_object_get(res[0], "unit"));
    bool ok = may_read(reg, a, unit, now);
    dh_app_units_release(app, reg);
    if (!ok) {
        char u[64];
        snprintf(u, sizeof u, "%s", unit);
        json_decref(res[0]);
        json_decref(events);
        /* Answered exactly as a missing dossier (issue 13): a 403 would tell
         * that the code exists in another unit. The refusal is audited. */
        dh_app_audit_denied(app, a, "read", "dossier", code, u, now);
        return dh_err_set(e, DH_E_NOTFOUND, "not_found", NULL, "no dossier '%s'", code);
    }
    json_object_set_new(res[0], "events", events);
    *out = res[0];
    return DH_OK;
}

/* The JSON array of unit codes a query covers (NULL: every unit). */
dh_status dh_app_scope_units_of(dh_app *app, const dh_actor *a, const char *unit, bool subtree,
                                const char *entity, bool on_last_day, time_t now,
                                char **json_out, dh_err *e)
{
    *json_out = NULL;
    if (!unit && a->role == DH_ROLE_ADMIN)
        return DH_OK;
    if (!unit)
        unit = a->unit_code, subtree = true;
    const dh_unitreg *reg = dh_app_units_acquire(app, e);
    if (!reg)
        return e->status;
    int32_t root = dh_unitreg_find(reg, unit);
    dh_status st = DH_OK;
    if (root < 0)
        st = dh_err_set(e, DH_E_INVALID, "unknown_unit", "unit", "unknown unit '%s'", unit);
    else if (!may_read(reg, a, unit, now)) {
        dh_app_units_release(app, reg);
        char what[96];
        snprintf(what, sizeof what, "read %s data outside their unit", entity);
        return dh_app_deny(app, a, "read", entity, "", unit, now, e, what);
    }
    if (st == DH_OK) {
        json_t *arr = json_array();
        json_array_append_new(arr, json_string(unit));
        if (subtree) {
            /* Every unit that is, or was on its last day, inside the subtree
             * (today's tree, or the one of the unit's last day). */
            dh_date day = dh_date_of_time_vn(now), to = reg->u[root].valid_to;
            if (on_last_day && to != DH_DATE_NONE && to < day)
                day = to;
            for (size_t i = 0; i < reg->n; i++)
                if ((int32_t)i != root &&
                    dh_access_allows(reg, DH_ROLE_VIEWER, root, DH_ACT_READ, (int32_t)i, day))
                    json_array_append_new(arr, json_string(reg->u[i].code));
        }
        *json_out = json_dumps(arr, JSON_COMPACT);
        json_decref(arr);
    }
    dh_app_units_release(app, reg);
    return st;
}

dh_status dh_app_scope_units(dh_app *app, const dh_actor *a, const char *unit, bool subtree,
                             time_t now, char **json_out, dh_err *e)
{
    return dh_app_scope_units_of(app, a, unit, subtree, "dossier", false, now, json_out, e);
}

static int on_list_row(void *cl, const dh_dossier_row *r)
{
    struct list_ctx *l = cl;
    json_array_append_new(l->items, row_json(r, l->now));
    return 0;
}

dh_status dh_app_dossier_list(dh_app *app, const dh_actor *a, const dh_dossier_query *q,
                              time_t now, json_t **items, bool *more, dh_err *e)
{
    static const char *const states[] = {"in_progress", "paused", "resolved", "closed",
                                         "overdue",     "at_risk", "within",  "early",
                                         "on_time",     "late",    NULL};
    if (q->state) {
        bool ok = false;
        for (const char *const *s = states; *s; s++)
            ok |= strcmp(*s, q->state) == 0;
        if (!ok)
            return dh_err_set(e, DH_E_INVALID, "invalid_state", "state",
                              "state must be one of in_progress, paused, resolved, closed, "
                              "overdue, at_risk, within, early, on_time, late");
    }
    if (q->channel && strcmp(q->channel, "counter") && strcmp(q->channel, "online") &&
        strcmp(q->channel, "postal"))
        return dh_err_set(e, DH_E_INVALID, "invalid_channel", "channel",
                          "channel must be counter, online or postal");
    /* a field: the procedures that have (had) it */
    char *procs = NULL;
    if (q->field && *q->field) {
        const dh_procset *ps = dh_app_procedures_acquire(app, e);
        if (!ps)
            return e->status;
        json_t *codes = json_array();
        for (size_t i = 0; i < ps->n; i++)
            if (!strcmp(ps->v[i].field, q->field) &&
                (i == 0 || strcmp(ps->v[i - 1].code, ps->v[i].code) ||
                 strcmp(ps->v[i - 1].field, q->field)))
                json_array_append_new(codes, json_string(ps->v[i].code));
        dh_app_procedures_release(app, ps);
        bool none = json_array_size(codes) == 0;
        procs = json_dumps(codes, JSON_COMPACT);
        json_decref(codes);
        if (none) {
            free(procs);
            return dh_err_set(e, DH_E_INVALID, "unknown_field", "field",
                              "no procedure of the catalogue has the field '%s'", q->field);
        }
    }
    char *units = NULL;
    dh_status st = dh_app_scope_units(app, a, q->unit, q->subtree, now, &units, e);
    if (st) {
        free(procs);
        return st;
    }
    dh_conn *c = dh_store_acquire(app->store, e);
    if (!c) {
        free(units);
        free(procs);
        return e->status;
    }
    dh_dossier_filter f = {units, q->state, q->procedure, q->from, q->to, q->q, now, q->offset,
                           q->limit + 1, q->channel, procs};
    struct list_ctx l = {json_array(), now};
    st = DH_DOSSIERS(c)->list_dossiers(c, &f, on_list_row, &l, e);
    dh_store_release(c);
    free(units);
    free(procs);
    if (st) {
        json_decref(l.items);
        return st;
    }
    *more = json_array_size(l.items) > (size_t)q->limit;
    if (*more)
        json_array_remove(l.items, json_array_size(l.items) - 1);
    *items = l.items;
    return DH_OK;
}

/* ---- Replaying at an instant. -------------------------------------------- */

struct dh_replayer {
    ctx c;
    dh_conn *conn;
    bucket b;
};

dh_replayer *dh_replayer_open(dh_app *app, const dh_actor *a, dh_err *e)
{
    dh_replayer *r = dh_xcalloc(1, sizeof *r);
    r->c = (ctx){app, a, NULL, NULL, NULL, 0, NULL};
    r->c.reg = dh_app_units_acquire(app, e);
    r->c.procs = r->c.reg ? dh_app_procedures_acquire(app, e) : NULL;
    r->c.cals = r->c.procs ? dh_app_calendars_acquire(app, e) : NULL;
    r->conn = r->c.cals ? dh_store_acquire(app->store, e) : NULL;
    if (r->conn)
        return r;
    dh_replayer_close(r);
    return NULL;
}

dh_conn *dh_replayer_conn(dh_replayer *r) { return r->conn; }

static void bucket_clear(bucket *b)
{
    json_decref(b->bodies);
    free(b->ev);
    free(b->code);
    memset(b, 0, sizeof *b);
}

dh_status dh_replayer_view(dh_replayer *r, const char *code, time_t at, dh_dossier_view *v,
                           const dh_proc **proc, dh_err *e)
{
    bucket_clear(&r->b);
    r->b.code = dh_xstrdup(code);
    r->b.bodies = json_array();
    r->c.now = at;
    dh_status st = load_bucket(&r->c, r->conn, &r->b, e);
    if (st)
        return st;
    dh_devents_sort(r->b.ev, r->b.n);
    /* Only what had happened by then. */
    size_t n = 0;
    while (n < r->b.n && r->b.ev[n].at <= at)
        n++;
    const dh_devent *rec = NULL;
    for (size_t k = 0; k < n && !rec; k++)
        if (r->b.ev[k].type == DH_DE_RECEIVED)
            rec = &r->b.ev[k];
    if (!rec)
        return dh_err_set(e, DH_E_NOTFOUND, "not_found", NULL,
                          "dossier %s had no receipt by then", code);
    dh_date day = dh_date_of_time_vn(rec->at);
    const dh_proc *p = dh_procset_at(r->c.procs, rec->procedure, day);
    int32_t u = dh_unitreg_find(r->c.reg, rec->unit);
    const dh_calendar *cal = u >= 0 ? dh_calset_for_unit(r->c.cals, r->c.reg, u, day) : NULL;
    dh_clock_rules rules = {1, 0};
    if (!p || !cal || dh_dossier_replay(r->b.ev, n, cal->wc, &p->limit, &rules, at, v))
        return dh_err_set(e, DH_E_INTERNAL, "cannot_compute", NULL,
                          "dossier %s cannot be replayed", code);
    *proc = p;
    return DH_OK;
}

void dh_replayer_close(dh_replayer *r)
{
    if (!r)
        return;
    bucket_clear(&r->b);
    if (r->conn)
        dh_store_release(r->conn);
    dh_app_calendars_release(r->c.app, r->c.cals);
    dh_app_procedures_release(r->c.app, r->c.procs);
    dh_app_units_release(r->c.app, r->c.reg);
    free(r);
}

dh_status dh_app_dossier_late(dh_app *app, const dh_actor *a, const char *unit, dh_date d,
                              json_t **items, dh_err *e)
{
    /* The end of day d, local time. */
    return dh_app_dossier_late_at(app, a, unit,
                                  (time_t)((int64_t)(d + 1) * 86400 - DH_VN_OFFSET - 1), items, e);
}

dh_status dh_app_dossier_late_at(dh_app *app, const dh_actor *a, const char *unit, time_t at,
                                 json_t **items, dh_err *e)
{
    dh_dossier_query q = {unit, true, NULL, NULL, NULL, 0, at, 0, 100000, NULL, NULL};
    json_t *cands;
    bool more;
    /* Everything received by then that is not known to have ended before. */
    dh_status st = dh_app_dossier_list(app, a, &q, at, &cands, &more, e);
    if (st)
        return st;
    dh_replayer *r = dh_replayer_open(app, a, e);
    if (!r) {
        json_decref(cands);
        return e->status;
    }
    json_t *out = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(cands, i, row)
    {
        dh_dossier_view v;
        const dh_proc *p;
        dh_err ve;
        if (dh_replayer_view(r, json_string_value(json_object_get(row, "code")), at, &v, &p,
                             &ve) != DH_OK)
            continue;
        if (v.state == DH_DS_IN_PROGRESS && v.outcome == DH_OUT_OVERDUE) {
            json_t *o = json_deep_copy(row);
            json_object_set_new(o, "state", json_string("in_progress"));
            json_object_set_new(o, "outcome", json_string("overdue"));
            json_object_set_new(o, "finished_at", json_null());
            json_object_set_new(o, "working_minutes_used", json_integer(v.used_minutes));
            json_object_set_new(o, "late_minutes", json_integer(v.late_minutes));
            json_array_append_new(out, o);
        }
    }
    dh_replayer_close(r);
    json_decref(cands);
    /* Most overdue first. */
    size_t n = json_array_size(out);
    for (size_t x = 1; x < n; x++)
        for (size_t y = x; y > 0; y--) {
            json_int_t l1 = json_integer_value(json_object_get(json_array_get(out, y - 1),
                                                               "late_minutes"));
            json_int_t l2 = json_integer_value(json_object_get(json_array_get(out, y),
                                                               "late_minutes"));
            if (l1 >= l2)
                break;
            json_t *tmp = json_incref(json_array_get(out, y - 1));
            json_array_set(out, y - 1, json_array_get(out, y));
            json_array_set_new(out, y, tmp);
        }
    *items = out;
    return DH_OK;
}
