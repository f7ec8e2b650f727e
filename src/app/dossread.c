/* dossread.c - reading dossiers: one dossier with its events, lists, the
 * units a query covers, and replaying dossiers at an instant (the daily
 * overdue list). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/devbody.h"
#include "app/dossint.h"
#include "util/buf.h"

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
    const char *state; /* the list's (NULL: all states) */
    size_t want;       /* the page's rows (the one after tells whether more) */
    size_t n;          /* rows seen */
    /* the keyset of the page's last row */
    int last_group;
    bool last_null;
    int64_t last_due;
    char *last_code;
};

static int one_row(void *cl, const dh_dossier_row *r)
{
    struct list_ctx *l = cl;
    l->items = row_json(r, l->now);
    return 1;
}

static int collect_event(void *cl, const dh_devent_row *r)
{
    json_t *o = dh_devent_body_read(r);
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
    struct list_ctx one = {NULL, now, NULL, 1, 0, 0, false, 0, NULL};
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

/* ---- The units of recent scopes. ---------------------------------------- */

/* Direct-mapped by (root, subtree, day): a page that ranks a unit among
 * its siblings asks for 168 communes' scopes in turn, which a short list
 * of the last ones would forget before they are asked again. */
enum { SCOPES = 2048 };

typedef struct scope_memo {
    int64_t rev; /* the registry's; 0: an empty slot */
    int32_t root;
    bool subtree;
    dh_date day;
    char *json;
} scope_memo;

struct dh_scopecache {
    pthread_mutex_t mu;
    scope_memo e[SCOPES];
};

static size_t scope_slot(int32_t root, bool subtree, dh_date day)
{
    uint64_t h = ((uint64_t)(uint32_t)root << 33) ^ ((uint64_t)subtree << 32) ^ (uint32_t)day;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return (size_t)(h % SCOPES);
}

struct dh_scopecache *dh_scopecache_new(void)
{
    struct dh_scopecache *sc = dh_xcalloc(1, sizeof *sc);
    pthread_mutex_init(&sc->mu, NULL);
    return sc;
}

void dh_scopecache_free(struct dh_scopecache *sc)
{
    if (!sc)
        return;
    for (int i = 0; i < SCOPES; i++)
        free(sc->e[i].json);
    pthread_mutex_destroy(&sc->mu);
    free(sc);
}

/* A copy of the remembered scope, or NULL. */
static char *scope_get(struct dh_scopecache *sc, int64_t rev, int32_t root, bool subtree,
                       dh_date day)
{
    char *out = NULL;
    pthread_mutex_lock(&sc->mu);
    const scope_memo *m = &sc->e[scope_slot(root, subtree, day)];
    if (m->json && m->rev == rev && m->root == root && m->subtree == subtree && m->day == day)
        out = dh_xstrdup(m->json);
    pthread_mutex_unlock(&sc->mu);
    return out;
}

static void scope_put(struct dh_scopecache *sc, int64_t rev, int32_t root, bool subtree,
                      dh_date day, const char *json)
{
    pthread_mutex_lock(&sc->mu);
    scope_memo *m = &sc->e[scope_slot(root, subtree, day)];
    free(m->json);
    *m = (scope_memo){rev, root, subtree, day, dh_xstrdup(json)};
    pthread_mutex_unlock(&sc->mu);
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
        /* Every unit that is, or was on its last day, inside the subtree
         * (today's tree, or the one of the unit's last day). */
        dh_date day = dh_date_of_time_vn(now), to = reg->u[root].valid_to;
        if (on_last_day && to != DH_DATE_NONE && to < day)
            day = to;
        if (!subtree)
            day = 0;
        const dh_regref *ref = reg->owner;
        int64_t rev = ref ? ref->rev + 1 : 0; /* 0: not remembered */
        *json_out = rev ? scope_get(app->scopes, rev, root, subtree, day) : NULL;
        if (!*json_out) {
            json_t *arr = json_array();
            json_array_append_new(arr, json_string(unit));
            for (size_t i = 0; subtree && i < reg->n; i++)
                if ((int32_t)i != root &&
                    dh_access_allows(reg, DH_ROLE_VIEWER, root, DH_ACT_READ, (int32_t)i, day))
                    json_array_append_new(arr, json_string(reg->u[i].code));
            *json_out = json_dumps(arr, JSON_COMPACT);
            json_decref(arr);
            if (rev)
                scope_put(app->scopes, rev, root, subtree, day, *json_out);
        }
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
    if (++l->n > l->want)
        return 0; /* the extra row: only says there is more */
    if (l->items)
        json_array_append_new(l->items, row_json(r, l->now));
    l->last_group = l->state ? 0 : dh_dossier_group(r, l->now);
    l->last_null = r->due_effective == 0;
    l->last_due = (int64_t)r->due_effective;
    free(l->last_code);
    l->last_code = strdup(r->code);
    return 0;
}

/* Cursors: "k" then the hex bytes of "group|due or -|code" (opaque to
 * clients; a cursor only says where the previous page ended). */
#define CURSOR_CODE_MAX 200

static char *cursor_make(int group, bool null_due, int64_t due, const char *code)
{
    char raw[CURSOR_CODE_MAX + 48];
    int n = null_due ? snprintf(raw, sizeof raw, "%d|-|%s", group, code)
                     : snprintf(raw, sizeof raw, "%d|%lld|%s", group, (long long)due, code);
    if (n < 0 || (size_t)n >= sizeof raw)
        return NULL;
    char *out = malloc(2 * (size_t)n + 2);
    if (!out)
        return NULL;
    out[0] = 'k';
    for (int i = 0; i < n; i++)
        snprintf(out + 1 + 2 * i, 3, "%02x", (unsigned char)raw[i]);
    return out;
}

/* Fills f's keyset from cursor; buf keeps the code. */
static dh_status cursor_read(const char *cursor, dh_dossier_filter *f, char *buf, size_t cap,
                             dh_err *e)
{
    size_t len = strlen(cursor);
    size_t n = (len - 1) / 2;
    bool ok = cursor[0] == 'k' && len % 2 == 1 && n < cap && n > 4;
    for (size_t i = 0; ok && i < n; i++) {
        unsigned v;
        ok = sscanf(cursor + 1 + 2 * i, "%2x", &v) == 1 && v > 0;
        buf[i] = (char)v;
    }
    buf[ok ? n : 0] = 0;
    char *bar1 = ok ? strchr(buf, '|') : NULL;
    char *bar2 = bar1 ? strchr(bar1 + 1, '|') : NULL;
    if (bar2 && bar2[1] && bar1 == buf + 1 && buf[0] >= '0' && buf[0] <= '3') {
        f->after_group = buf[0] - '0';
        f->after_code = bar2 + 1;
        *bar2 = 0;
        char *end;
        f->after_due_null = !strcmp(bar1 + 1, "-");
        f->after_due = f->after_due_null ? 0 : strtoll(bar1 + 1, &end, 10);
        if (f->after_due_null || (end != bar1 + 1 && !*end))
            return DH_OK;
    }
    return dh_err_set(e, DH_E_INVALID, "invalid_cursor", "cursor",
                      "cursor is not one this list gave");
}

/* The list of q from its offset or cursor: at most limit rows to cb
 * (through l). */
static dh_status run_list(dh_app *app, const dh_actor *a, const dh_dossier_query *q, time_t now,
                          int limit, struct list_ctx *l, dh_dossier_cb cb, dh_err *e)
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
    dh_dossier_filter f = {units, q->state, q->procedure, q->from, q->to, q->q, now, q->offset,
                           limit, q->channel, procs, NULL, 0, false, 0, false};
    /* a root's subtree (the province: every unit) is read by segments
     * (dh_dossier_by_unit) */
    const dh_unitreg *reg = units && q->subtree ? dh_app_units_acquire(app, e) : NULL;
    if (reg) {
        int32_t u = dh_unitreg_find(reg, q->unit ? q->unit : "");
        const dh_unit_version *v = u >= 0 ? dh_unitreg_at(reg, u, dh_date_of_time_vn(now)) : NULL;
        f.wide = v && v->parent < 0;
        dh_app_units_release(app, reg);
    }
    char code[CURSOR_CODE_MAX + 48];
    if (q->cursor && *q->cursor)
        st = cursor_read(q->cursor, &f, code, sizeof code, e);
    dh_conn *c = st ? NULL : dh_store_acquire(app->store, e);
    if (c) {
        st = DH_DOSSIERS(c)->list_dossiers(c, &f, cb, l, e);
        dh_store_release(c);
    } else if (!st) {
        st = e->status;
    }
    free(units);
    free(procs);
    return st;
}

dh_status dh_app_dossier_page(dh_app *app, const dh_actor *a, const dh_dossier_query *q,
                              time_t now, json_t **items, char **next, dh_err *e)
{
    struct list_ctx l = {json_array(), now, q->state, (size_t)q->limit, 0, 0, false, 0, NULL};
    *next = NULL;
    dh_status st = run_list(app, a, q, now, q->limit + 1, &l, on_list_row, e);
    if (st == DH_OK && l.n > l.want && l.last_code &&
        !(*next = cursor_make(l.last_group, l.last_null, l.last_due, l.last_code)))
        st = dh_err_set(e, DH_E_INTERNAL, "internal", NULL, "dossier code too long for a cursor");
    free(l.last_code);
    if (st) {
        json_decref(l.items);
        return st;
    }
    *items = l.items;
    return DH_OK;
}

dh_status dh_app_dossier_list(dh_app *app, const dh_actor *a, const dh_dossier_query *q,
                              time_t now, json_t **items, bool *more, dh_err *e)
{
    char *next = NULL;
    dh_status st = dh_app_dossier_page(app, a, q, now, items, &next, e);
    *more = next != NULL;
    free(next);
    return st;
}

dh_status dh_app_dossier_count(dh_app *app, const dh_actor *a, const dh_dossier_query *q,
                               time_t now, int64_t cap, int64_t *n, dh_err *e)
{
    dh_dossier_query all = *q;
    all.offset = 0;
    all.cursor = NULL;
    struct list_ctx l = {NULL, now, q->state, (size_t)cap + 1, 0, 0, false, 0, NULL};
    dh_status st = run_list(app, a, &all, now, (int)cap + 1, &l, on_list_row, e);
    free(l.last_code);
    *n = (int64_t)l.n;
    return st;
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
    dh_status st = dh_doss_load_bucket(&r->c, r->conn, &r->b, e);
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
    dh_dossier_query q = {unit, true, NULL, NULL, NULL, 0, at, 0, 100000, NULL, NULL, NULL};
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
