/* dossiers.c - dossier events in, dossier state out: idempotent storage on
 * (source, id), the order checks, and the derived dossier rows (always a
 * replay of every event of the dossier, so a late event corrects them);
 * ingestion batches and the rebuild. Parsing one event is in dossparse.c,
 * reading and replaying at an instant in dossread.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/devbody.h"
#include "app/dossint.h"
#include "store/feedback.h"
#include "util/bloom.h"
#include "util/conf.h"
#include "util/buf.h"
#include "util/metrics.h"
#include "util/strmap.h"
#include "util/text.h"
#include "util/worker.h"

#define BATCH_MAX 10000
#define REBUILD_CHUNK 5000 /* dossiers read and written together by the rebuild */
/* A batch of at least this many events asks whether the store is empty (see dh_ingest). */
#define FRESH_MIN 1000

/* ---- Per-dossier buckets during a batch. -------------------------------- */

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
    json_t *o = dh_devent_body_read(r);
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
    if (dh_doss_parse_event(one.c, o, &ev, &pe) == DH_OK) {
        bucket_push(one.b, &ev);
    } else {
        /* Keep the lifecycle facts even when a reference no longer resolves. */
        memset(&ev, 0, sizeof ev);
        dh_de_type_parse(dh_doss_str_of(o, "type"), &ev.type);
        ev.at = r->at;
        ev.source = dh_doss_str_of(o, "source");
        ev.id = dh_doss_str_of(o, "id");
        ev.unit = dh_doss_str_of(o, "unit");
        ev.procedure = dh_doss_str_of(o, "procedure");
        ev.to_unit = dh_doss_str_of(o, "to_unit");
        bucket_push(one.b, &ev);
    }
    return 0;
}

dh_status dh_doss_load_bucket(const ctx *c, dh_conn *conn, bucket *b, dh_err *e)
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
void dh_dossier_row_of_view(dh_dossier_row *row, const dh_dossier_view *v, const dh_workcal *wc)
{
    row->unit = v->unit ? v->unit : "";
    row->receiving_unit = v->receiving_unit ? v->receiving_unit : "";
    row->procedure = v->procedure ? v->procedure : "";
    row->channel = dh_channel_name(v->channel);
    row->by_applicant = v->by_applicant;
    row->received_at = v->received_at;
    row->counting_from = v->counting_from;
    row->due_at = v->due_at;
    row->due_effective = v->due_effective;
    int margin = dh_workcal_day_minutes(wc);
    int64_t risk = v->budget_minutes + v->paused_minutes - margin;
    if (dh_workcal_add_minutes(wc, v->counting_from, risk > 0 ? risk : 0, -1, &row->at_risk_from))
        row->at_risk_from = v->counting_from;
    row->extended_to = v->extended_to;
    row->finished_at = v->finished_at;
    row->state = dh_dstate_name(v->state);
    row->outcome =
        v->state == DH_DS_RESOLVED || v->state == DH_DS_CLOSED ? dh_outcome_name(v->outcome) : NULL;
    row->used_minutes = v->used_minutes;
    row->budget_minutes = v->budget_minutes;
    row->late_minutes = v->late_minutes;
    row->nsupplements = v->nsupplements;
    row->paid = v->paid;
    row->paid_online = v->paid_online;
    row->rating = v->rating;
    row->digitised_input = v->digitised_input;
    row->digitised_result = v->digitised_result;
}

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
    dh_dossier_row_of_view(&row, &v, cal->wc);
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

/* Into an empty store (no dossier event, no dossier when the attempt's
 * transaction began, under the dossiers' lock), whatever is stored was
 * written by this attempt: it remembers the dossier codes and event keys it
 * wrote (Bloom filters), and asks the database only about those it may have
 * written; the others are absent without a read, and their rows go in with
 * insert_dossiers (a COPY on PostgreSQL) instead of an upsert. */
struct dh_ingest {
    ctx c;
    dh_conn *conn; /* the runner's transaction */
    bool partial;
    dh_err first;     /* the first refusal */
    int fresh;        /* 0 not asked yet, 1 the store was empty, -1 it was not */
    dh_bloom written; /* dossier codes written (fresh == 1) */
    dh_bloom keys;    /* event keys (source \x1f id) written (fresh == 1) */
    /* The event keys' filter holds at most key_budget bytes: past them
     * (keys_full), every later chunk asks the database about all its keys,
     * so that memory stays bounded at any size (about 2 bytes a key: the
     * default 64 MiB holds the keys of some 6 million dossiers). */
    size_t key_budget;
    bool keys_full;
    bool facts_cleared; /* no dossier has a stored fact (the rebuild cleared them) */
};

/* The snapshots an ingestion reads (registry, catalogue, calendars), taken
 * once for all the runner's attempts. */
static dh_ingest *ingest_open(dh_app *app, const dh_actor *a, bool partial, time_t now,
                              dh_err *e)
{
    dh_ingest *g = dh_xcalloc(1, sizeof *g);
    g->c = (ctx){app, a, NULL, NULL, NULL, now, NULL};
    g->partial = partial;
    long mib;
    if (dh_env_mib("DIEUHANH_INGEST_KEY_FILTER_MIB", 64, 0, 4096, &mib, e)) {
        free(g);
        return NULL;
    }
    g->key_budget = (size_t)mib << 20;
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
    dh_bloom_clear(&g->written);
    dh_bloom_clear(&g->keys);
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
    g->fresh = 0;
    g->facts_cleared = false;
    g->keys_full = false;
    dh_bloom_clear(&g->written);
    dh_bloom_clear(&g->keys);
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

/* What a chunk's events are on their own (app.h): each parsed, checked
 * against the snapshots and the actor, and written in its stored form (devbody.h). */
struct dh_ingest_prep {
    json_t *events; /* a reference: the events' strings are borrowed from it */
    size_t n;
    dh_devent *ev;
    const char **dossier; /* each event's dossier code (NULL when bad) */
    char **canon;         /* each event's body as stored (NULL when bad) */
    dh_err **err;         /* why each bad event is refused (NULL when good) */
};

/* Before a chunk's events are judged: a bucket for each dossier they name,
 * with its stored events (one call for the chunk's new dossiers), and who
 * holds each (source, id) already stored (one call), so that the events
 * are then judged in memory and written in one call. */
static dh_status load_chunk(dh_ingest *g, const dh_ingest_prep *p, bmap *m, dh_strmap *held,
                            dh_err *e)
{
    size_t n = p->n;
    const dh_devent *ev = p->ev;
    dh_status st = DH_OK;
    if (g->fresh == 0) {
        bool empty = false;
        if (n >= FRESH_MIN)
            st = DH_DOSSIERS(g->conn)->dossiers_empty(g->conn, &empty, e);
        g->fresh = empty ? 1 : -1;
    }
    const char **codes = dh_xcalloc(n ? n : 1, sizeof *codes);
    const char **sources = dh_xcalloc(n ? n : 1, sizeof *sources);
    const char **ids = dh_xcalloc(n ? n : 1, sizeof *ids);
    size_t ncodes = 0, nkeys = 0;
    for (size_t i = 0; i < n && st == DH_OK; i++) {
        if (p->err[i])
            continue;
        bool fresh;
        bucket *b = bmap_get(m, p->dossier[i], &fresh);
        if (fresh && g->fresh == 1 && !dh_bloom_maybe(&g->written, b->code))
            b->absent = true;
        else if (fresh)
            codes[ncodes++] = b->code; /* the string stays where it is when m grows */
        char key[256];
        key_of(key, sizeof key, ev[i].source, ev[i].id);
        if (g->fresh == 1 && !g->keys_full && !dh_bloom_maybe(&g->keys, key))
            continue;
        sources[nkeys] = ev[i].source;
        ids[nkeys++] = ev[i].id;
    }
    if (st == DH_OK)
        st = load_buckets(&g->c, g->conn, m, codes, ncodes, e);
    if (st == DH_OK && nkeys)
        st = DH_DOSSIERS(g->conn)->find_devents_many(g->conn, sources, ids, nkeys,
                                                     on_key_holder, held, e);
    free(codes);
    free(sources);
    free(ids);
    return st;
}

/* After the chunk's events are stored: what the filters must now answer "maybe" for. */
static void note_written(dh_ingest *g, const dh_devent_row *rows, size_t n)
{
    if (g->fresh != 1)
        return;
    char key[256];
    for (size_t i = 0; i < n; i++) {
        key_of(key, sizeof key, rows[i].source, rows[i].id);
        if (!g->keys_full && !dh_bloom_add_max(&g->keys, key, g->key_budget)) {
            g->keys_full = true;
            dh_bloom_clear(&g->keys); /* no longer asked */
        }
        if (i == 0 || strcmp(rows[i].dossier, rows[i - 1].dossier) != 0)
            dh_bloom_add(&g->written, rows[i].dossier);
    }
}

/* Derives the row of every dossier the chunk changed and writes them in
 * one call, after reading their stored facts in one call. */
static dh_status derive_chunk(dh_ingest *g, bmap *m, dh_ingest_report *rep, dh_err *e)
{
    size_t k = 0, nold = 0;
    for (size_t i = 0; i < m->cap; i++) {
        k += m->v[i].code && m->v[i].dirty;
        nold += m->v[i].code && m->v[i].dirty && !m->v[i].absent;
    }
    if (!k)
        return DH_OK;
    /* the stored dossiers first (read and upserted), then the absent ones */
    const char **codes = dh_xcalloc(k, sizeof *codes);
    bucket **bs = dh_xcalloc(k, sizeof *bs);
    dh_dossier_row *rows = dh_xcalloc(k, sizeof *rows);
    dh_dfact *facts = dh_xcalloc(k, sizeof *facts);
    size_t j = 0, a = nold;
    for (size_t i = 0; i < m->cap; i++) {
        bucket *b = &m->v[i];
        if (b->code && b->dirty) {
            size_t at = b->absent ? a++ : j++;
            codes[at] = b->code;
            bs[at] = b;
        }
    }
    dh_status st = dh_aggbatch_prefetch(g->c.agg, g->conn, codes, k, g->facts_cleared ? 0 : nold,
                                          e);
    for (j = 0; j < k && st == DH_OK; j++) {
        st = derive(&g->c, g->conn, bs[j], &rows[j], &facts[j], e);
        rep->dossiers++;
    }
    if (st == DH_OK)
        st = DH_DOSSIERS(g->conn)->put_dossiers(g->conn, rows, nold, e);
    if (st == DH_OK)
        st = DH_DOSSIERS(g->conn)->insert_dossiers(g->conn, rows + nold, k - nold, e);
    free(codes);
    free(bs);
    free(rows);
    free(facts);
    return st;
}

dh_ingest_prep *dh_ingest_prepare(const dh_ingest *g, json_t *events)
{
    const ctx *c = &g->c;
    dh_ingest_prep *p = dh_xcalloc(1, sizeof *p);
    size_t n = json_array_size(events), cap = n ? n : 1;
    p->events = json_incref(events);
    p->n = n;
    p->ev = dh_xcalloc(cap, sizeof *p->ev);
    p->dossier = dh_xcalloc(cap, sizeof *p->dossier);
    p->canon = dh_xcalloc(cap, sizeof *p->canon);
    p->err = dh_xcalloc(cap, sizeof *p->err);
    for (size_t i = 0; i < n; i++) {
        dh_err pe = {0};
        json_t *o = json_array_get(events, i);
        dh_status ps = dh_doss_parse_event(c, o, &p->ev[i], &pe);
        if (ps == DH_OK && p->ev[i].type == DH_DE_RECEIVED && !may_submit(c, p->ev[i].unit))
            ps = dh_err_set(&pe, DH_E_FORBIDDEN, "forbidden", "unit",
                            "this account may not submit events for unit %s", p->ev[i].unit);
        if (ps) {
            p->err[i] = dh_xmalloc(sizeof pe);
            *p->err[i] = pe;
            continue;
        }
        p->dossier[i] = dh_doss_str_of(o, "dossier");
        p->canon[i] = dh_devent_body_stored(o, p->ev[i].source, p->ev[i].id, p->dossier[i],
                                            dh_de_type_name(p->ev[i].type), p->ev[i].at);
    }
    return p;
}

void dh_ingest_prep_free(dh_ingest_prep *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->canon[i]);
        free(p->err[i]);
    }
    free(p->canon);
    free(p->err);
    free(p->dossier);
    free(p->ev);
    json_decref(p->events);
    free(p);
}

dh_status dh_ingest_add(dh_ingest *g, json_t *events, const char *name, const long *lines,
                        size_t index0, dh_ingest_report *rep, dh_err *e)
{
    dh_ingest_prep *p = dh_ingest_prepare(g, events);
    dh_status st = dh_ingest_add_prepared(g, p, name, lines, index0, rep, e);
    dh_ingest_prep_free(p);
    return st;
}

dh_status dh_ingest_add_prepared(dh_ingest *g, const dh_ingest_prep *p, const char *name,
                                 const long *lines, size_t index0, dh_ingest_report *rep,
                                 dh_err *e)
{
    ctx *c = &g->c;
    json_t *events = p->events;
    size_t n = p->n;
    const dh_devent *ev = p->ev;
    char *const *canon = p->canon;
    char at[300];
    dh_status st = DH_OK;
    for (size_t i = 0; i < n; i++) {
        if (!p->err[i])
            continue;
        where(at, sizeof at, name, lines, i, index0);
        refuse(rep, index0 + i, at, p->err[i]);
        note_first(g, p->err[i], at, name, lines, i);
    }
    bmap m = {0};
    dh_strmap held = {0};
    dh_devent_row *rows = dh_xcalloc(n ? n : 1, sizeof *rows);
    size_t nrows = 0;
    bool stop = g->first.status && !g->partial; /* the batch is lost: only report */
    if (!stop)
        st = load_chunk(g, p, &m, &held, e);
    for (size_t i = 0; i < n && st == DH_OK && !stop; i++) {
        if (p->err[i])
            continue;
        json_t *o = json_array_get(events, i);
        const char *dossier = p->dossier[i];
        dh_err pe = {0};
        bucket *b = bmap_find(&m, dossier);
        /* The same (source, id) already stored for this dossier, or earlier here? */
        int dup = 0; /* 1 duplicate, -1 conflict */
        for (size_t k = 0; k < b->n && !dup; k++) {
            /* bodies[k] is the JSON of ev[k] (they are appended together) */
            if (b->ev[k].id && b->ev[k].source && strcmp(b->ev[k].id, ev[i].id) == 0 &&
                strcmp(b->ev[k].source, ev[i].source) == 0) {
                dup = json_equal(json_array_get(b->bodies, k), o) ? 1 : -1;
            }
        }
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
            where(at, sizeof at, name, lines, i, index0);
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
        if (!name && n <= 10000) /* a file's chunks report only their refusals */
            json_array_append_new(rep->results, json_pack("{s:I,s:s}", "index",
                                                          (json_int_t)(index0 + i), "status",
                                                          "accepted"));
    }
    if (st == DH_OK && !stop)
        st = DH_DOSSIERS(g->conn)->insert_devents(g->conn, rows, nrows, e);
    if (st == DH_OK && !stop)
        note_written(g, rows, nrows);
    if (st == DH_OK && !stop)
        st = derive_chunk(g, &m, rep, e);
    if (st == DH_OK && !stop)
        st = dh_aggbatch_spill(c->agg, g->conn, e);
    free(rows);
    dh_strmap_free(&held);
    bmap_free(&m);
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

dh_status dh_app_ingest_run(dh_app *app, const dh_actor *a, bool partial, bool bulk, time_t now,
                            dh_ingest_source src, void *closure, dh_ingest_report *rep, dh_err *e)
{
    if (!rep->results)
        rep->results = json_array();
    dh_ingest *g = ingest_open(app, a, partial, now, e);
    if (!g)
        return e->status;
    struct ingest_run x = {g, src, closure, rep};
    dh_status st = dh_tx_run(app, DH_TX_DOSSIERS | (bulk ? DH_TX_BULK : 0), ingest_tx, &x, e);
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

static void codes_clear(struct codes *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i]);
    c->n = 0;
}

struct rebuild_run {
    dh_ingest *g;
    void (*progress)(long done, long total, void *closure);
    void *closure;
    long ndossiers;
};

/* A chunk of the rebuild: REBUILD_CHUNK dossier codes and their stored
 * events, copied off the store by the runner's thread (the only one that
 * uses it), then parsed into buckets on the worker (util/worker.h) while the
 * runner's thread derives the chunk before. The parse is most of the reading
 * (json_loads, the members put back, the checks: a quarter of the rebuild's
 * time), and freeing a chunk's objects is done on the worker too. */
typedef struct rawev {
    size_t source, id, dossier, type, body; /* offsets into text */
    int64_t seq;
    time_t at, stored_at;
} rawev;

typedef struct rbchunk {
    struct codes codes;
    rawev *ev;
    size_t n, cap;
    dh_buf text; /* the rows' strings, each with its NUL */
    const ctx *c;
    bmap m; /* the buckets, filled by parse_chunk */
    dh_status st;
    dh_err err;
} rbchunk;

static size_t rb_text(rbchunk *k, const char *s)
{
    size_t at = k->text.len;
    dh_buf_append(&k->text, s, strlen(s) + 1);
    return at;
}

static int rb_copy(void *cl, const dh_devent_row *r)
{
    rbchunk *k = cl;
    if (k->n == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 4096;
        k->ev = dh_xrealloc(k->ev, k->cap * sizeof *k->ev);
    }
    k->ev[k->n++] = (rawev){rb_text(k, r->source), rb_text(k, r->id), rb_text(k, r->dossier),
                            rb_text(k, r->type),   rb_text(k, r->body), r->seq,
                            r->at,                 r->stored_at};
    return 0;
}

static void rb_free(rbchunk *k)
{
    if (!k)
        return;
    codes_clear(&k->codes);
    free(k->codes.v);
    free(k->ev);
    dh_buf_free(&k->text);
    bmap_free(&k->m);
    free(k);
}

/* The codes after `after` and their events, or *out NULL when none is left. */
static dh_status rb_read(const ctx *c, dh_conn *conn, const char *after, rbchunk **out,
                         dh_err *e)
{
    rbchunk *k = dh_xcalloc(1, sizeof *k);
    k->c = c;
    *out = NULL;
    dh_status st = DH_DOSSIERS(conn)->list_dossier_codes(conn, after, REBUILD_CHUNK, on_code,
                                                         &k->codes, e);
    if (st == DH_OK && k->codes.n)
        st = DH_DOSSIERS(conn)->load_devents_many(conn, (const char *const *)k->codes.v,
                                                  k->codes.n, rb_copy, k, e);
    if (st || !k->codes.n) {
        rb_free(k);
        return st;
    }
    *out = k;
    return DH_OK;
}

/* On the worker: drop the chunk done with, parse the next one. */
struct rb_job {
    rbchunk *parse, *drop;
};

static void rb_parse(void *arg)
{
    struct rb_job *j = arg;
    rb_free(j->drop);
    rbchunk *k = j->parse;
    for (size_t i = 0; i < k->codes.n; i++) {
        bool fresh;
        bmap_get(&k->m, k->codes.v[i], &fresh)->dirty = true;
    }
    struct load_ev l = {k->c, NULL, &k->m, DH_OK, &k->err};
    for (size_t i = 0; i < k->n && l.st == DH_OK; i++) {
        const rawev *v = &k->ev[i];
        const char *t = k->text.p;
        dh_devent_row r = {v->seq,  t + v->source, t + v->id,     t + v->dossier,
                           t + v->type, v->at,     t + v->body, v->stored_at};
        on_stored_event(&l, &r);
    }
    k->st = l.st;
    free(k->ev); /* the buckets keep what they need (the parsed bodies) */
    k->ev = NULL;
    dh_buf_free(&k->text);
}

static dh_status rebuild_tx(dh_tx *tx, void *closure, dh_err *e)
{
    struct rebuild_run *x = closure;
    dh_ingest *g = x->g;
    dh_conn *conn = tx->c;
    ingest_reset(g, conn);
    g->facts_cleared = true; /* by agg_reset below */
    x->ndossiers = 0;
    long done = 0;
    dh_status st = DH_AGGS(conn)->agg_reset(conn, e);
    if (st == DH_OK) /* and the feedback aggregates (core/fbagg.h) */
        st = DH_FEEDBACK(conn)->agg_rebuild(conn, e);
    if (st == DH_OK)
        st = DH_META(conn)->meta_bump(conn, DH_FB_AGG_EPOCH, e);
    if (st == DH_OK)
        st = DH_META(conn)->meta_bump(conn, "agg_epoch", e);
    if (st == DH_OK)
        st = dh_aggbatch_load_keys(g->c.agg, conn, e);
    /* REBUILD_CHUNK dossiers at a time, their codes read a page at a time
     * (after the last one of the page before: the codes do not change
     * here, so memory stays bounded however many dossiers there are): their
     * events in one read, their stored facts in one, their rows in one write
     * (derive_chunk), instead of three round trips per dossier. While chunk
     * k is derived, chunk k+1 is parsed on the worker and chunk k-1 freed. */
    dh_worker *w = dh_worker_start();
    struct rb_job job = {0};
    rbchunk *cur = NULL, *next = NULL, *old = NULL;
    if (st == DH_OK)
        st = rb_read(&g->c, conn, NULL, &cur, e);
    if (st == DH_OK && cur) {
        job = (struct rb_job){cur, NULL};
        dh_worker_submit(w, rb_parse, &job);
    }
    while (st == DH_OK && cur) {
        st = rb_read(&g->c, conn, cur->codes.v[cur->codes.n - 1], &next, e);
        dh_worker_wait(w); /* cur is parsed, the chunk before it freed */
        if (st == DH_OK && cur->st) {
            *e = cur->err;
            st = cur->st;
        }
        if (st)
            break;
        if (next) { /* parse next and free old (derived last time) while cur is derived */
            job = (struct rb_job){next, old};
            old = NULL;
            dh_worker_submit(w, rb_parse, &job);
        }
        size_t k = cur->codes.n;
        dh_ingest_report rep = {0};
        st = derive_chunk(g, &cur->m, &rep, e);
        if (st == DH_OK)
            st = dh_aggbatch_spill(g->c.agg, conn, e);
        if (x->progress && st == DH_OK && done / 10000 != (done + (long)k) / 10000)
            x->progress(done + (long)k, -1, x->closure);
        done += (long)k;
        rb_free(old); /* the last chunk's predecessor: no job left to free it */
        old = cur;
        cur = next;
        next = NULL;
    }
    dh_worker_stop(w);
    rb_free(old);
    rb_free(cur);
    rb_free(next);
    if (x->progress && st == DH_OK)
        x->progress(done, done, x->closure);
    if (st == DH_OK)
        st = DH_META(conn)->meta_bump(conn, "agg_built", e);
    if (st == DH_OK) {
        json_t *audit = json_pack("{s:I}", "dossiers", (json_int_t)done);
        st = dh_app_audit(conn, g->c.a, "rebuild", "aggregates", "", "", "ok", NULL, audit,
                          g->c.now, e);
        json_decref(audit);
    }
    if (st == DH_OK)
        st = dh_aggbatch_flush(g->c.agg, conn, e);
    if (st == DH_OK)
        x->ndossiers = done;
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
    dh_status st = dh_tx_run(app, DH_TX_DOSSIERS | DH_TX_BULK, rebuild_tx, &x, e);
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
    return dh_app_ingest_run(app, a, partial, false, now, batch_source, &s, rep, e);
}

