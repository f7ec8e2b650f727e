/* app.c - the base of the application layer: the shared unit registry,
 * snapshots, the transaction runner, audit helpers and JSON input helpers.
 * It calls no other file of src/app/: the domain files call it (opening
 * and closing the app, which wires the domains together, is open.c). */
#include <pwd.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/internal.h"
#include "util/buf.h"
#include "util/fault.h"
#include "util/metrics.h"
#include "util/text.h"

static void regref_drop(dh_regref *ref)
{
    /* Called with app->lock held. */
    if (ref && --ref->refs == 0) {
        dh_unitreg_free(ref->reg);
        free(ref);
    }
}

/* Drops the app's reference to the current registry (dh_app_close). */
void dh_app_units_close(dh_app *app)
{
    pthread_mutex_lock(&app->lock);
    regref_drop(app->current);
    app->current = NULL;
    pthread_mutex_unlock(&app->lock);
}

dh_store *dh_app_store(dh_app *app) { return app->store; }

void dh_app_schema(const dh_app *app, int *from, int *to)
{
    *from = app->schema_from;
    *to = app->schema_to;
}

void dh_actor_cli(dh_actor *a)
{
    memset(a, 0, sizeof *a);
    const struct passwd *pw = getpwuid(getuid());
    snprintf(a->login, sizeof a->login, "cli:%s", pw && pw->pw_name ? pw->pw_name : "unknown");
    a->role = DH_ROLE_ADMIN;
}

/* ------------------------------------------------------------------ */
/* Loading and sharing the registry.                                  */

struct load_ctx {
    dh_unitreg *r;
    int64_t *ids; /* storage id -> index, via a sorted array (ids ascend) */
    size_t nids;
    bool bad;
};

static int32_t idx_of(const struct load_ctx *l, int64_t id)
{
    size_t lo = 0, hi = l->nids;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (l->ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < l->nids && l->ids[lo] == id ? (int32_t)lo : -1;
}

static int on_unit(void *closure, const dh_unit_row *row)
{
    struct load_ctx *l = closure;
    dh_unit_kind k;
    if (dh_unit_kind_parse(row->kind, &k)) {
        l->bad = true;
        return 1;
    }
    dh_unitreg_add_unit(l->r, row->id, row->code, k, row->valid_from, row->valid_to);
    l->ids = dh_xrealloc(l->ids, (l->nids + 1) * sizeof *l->ids);
    l->ids[l->nids++] = row->id;
    return 0;
}

static int on_version(void *closure, const dh_unit_version_row *row)
{
    struct load_ctx *l = closure;
    int32_t u = idx_of(l, row->unit_id);
    int32_t p = row->parent_id ? idx_of(l, row->parent_id) : -1;
    if (u < 0) {
        l->bad = true;
        return 1;
    }
    dh_unitreg_add_version(l->r, u, row->valid_from, p, row->name, row->short_name);
    return 0;
}

static int on_link(void *closure, const dh_unit_link_row *row)
{
    struct load_ctx *l = closure;
    int32_t f = idx_of(l, row->from_unit_id), t = idx_of(l, row->to_unit_id);
    if (f >= 0 && t >= 0)
        dh_unitreg_add_link(l->r, f, t, row->partial, row->effective, row->event_id);
    return 0;
}

dh_status dh_app_load_units(dh_conn *c, dh_unitreg **out, dh_err *e)
{
    struct load_ctx l = {dh_unitreg_new(), NULL, 0, false};
    dh_status st = DH_UNITS(c)->load_units(c, on_unit, on_version, on_link, &l, e);
    free(l.ids);
    if (st == DH_OK && l.bad)
        st = dh_err_set(e, DH_E_DB, "database_corrupt", NULL,
                        "the units table holds a row this version cannot read");
    if (st) {
        dh_unitreg_free(l.r);
        *out = NULL;
        return st;
    }
    dh_unitreg_finish(l.r);
    *out = l.r;
    return DH_OK;
}

static void publish(dh_app *app, dh_unitreg *reg, int64_t rev)
{
    dh_regref *ref = dh_xcalloc(1, sizeof *ref);
    ref->reg = reg;
    ref->rev = rev;
    ref->refs = 1; /* held by app->current */
    reg->owner = ref;
    pthread_mutex_lock(&app->lock);
    if (app->current && app->current->rev > rev) {
        /* A newer registry got there first; keep it. */
        pthread_mutex_unlock(&app->lock);
        dh_unitreg_free(reg);
        free(ref);
        return;
    }
    regref_drop(app->current);
    app->current = ref;
    pthread_mutex_unlock(&app->lock);
}

void dh_app_cache_reloaded(const char *name)
{
    char labels[DH_METRIC_LABELS_MAX];
    dh_metric_labels(labels, sizeof labels, "cache", name, (char *)NULL);
    dh_metric_count("dieuhanh_cache_reloads_total",
                    "Shared in-memory copies (units, calendars, catalogue, aggregates...) loaded "
                    "again from the database because their revision counter moved.",
                    labels, 1);
}

const dh_unitreg *dh_app_units_acquire(dh_app *app, dh_err *e)
{
    dh_conn *c = dh_store_acquire(app->store, e);
    if (!c)
        return NULL;
    int64_t rev = 0;
    dh_status st = DH_UNITS(c)->units_rev(c, &rev, e);
    dh_unitreg *fresh = NULL;
    pthread_mutex_lock(&app->lock);
    bool stale = !app->current || app->current->rev != rev;
    pthread_mutex_unlock(&app->lock);
    if (st == DH_OK && stale) {
        /* Read the rev and the rows in one snapshot so they agree. */
        st = DH_OPS(c)->begin(c, false, e);
        if (st == DH_OK)
            st = DH_UNITS(c)->units_rev(c, &rev, e);
        if (st == DH_OK)
            st = dh_app_load_units(c, &fresh, e);
        DH_OPS(c)->rollback(c);
        if (st == DH_OK) {
            publish(app, fresh, rev);
            dh_app_cache_reloaded("units_rev");
        }
    }
    dh_store_release(c);
    if (st)
        return NULL;
    pthread_mutex_lock(&app->lock);
    dh_regref *ref = app->current;
    ref->refs++;
    pthread_mutex_unlock(&app->lock);
    return ref->reg;
}

void dh_app_units_release(dh_app *app, const dh_unitreg *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&app->lock);
    regref_drop(r->owner);
    pthread_mutex_unlock(&app->lock);
}

/* ------------------------------------------------------------------ */
/* Transactions.                                                      */

/* The runner's own steps (dh_tx_run): nothing else begins or ends a
 * write transaction. */
static void tx_abort(dh_tx *tx);

/* *connected: a connection was had (false: none could be made). */
static dh_status tx_begin(dh_app *app, dh_tx *tx, int flags, bool *connected, dh_err *e)
{
    memset(tx, 0, sizeof *tx);
    tx->app = app;
    tx->c = dh_store_acquire(app->store, e);
    *connected = tx->c != NULL;
    if (!tx->c)
        return e->status;
    const dh_store_ops *ops = DH_OPS(tx->c);
    dh_status st = (flags & DH_TX_BULK)       ? ops->begin_bulk(tx->c, "dossiers", e)
                   : (flags & DH_TX_DOSSIERS) ? ops->begin_domain(tx->c, "dossiers", e)
                                              : ops->begin(tx->c, true, e);
    if (st == DH_OK && (flags & DH_TX_UNITS))
        st = dh_app_load_units(tx->c, &tx->reg, e);
    if (st) {
        tx_abort(tx);
        return st;
    }
    return DH_OK;
}

static void tx_abort(dh_tx *tx)
{
    if (tx->c) {
        DH_OPS(tx->c)->rollback(tx->c);
        dh_store_release(tx->c);
    }
    dh_unitreg_free(tx->reg);
    memset(tx, 0, sizeof *tx);
}

dh_status dh_app_save_units(dh_conn *c, dh_unitreg *r, int64_t event_id, dh_err *e)
{
    dh_status st = DH_OK;
    bool changed = r->nlinks > r->nlinks_saved;
    /* New units first, so that every id exists before versions refer to it. */
    for (size_t i = 0; i < r->n && st == DH_OK; i++) {
        dh_unit *u = &r->u[i];
        if (!u->dirty)
            continue;
        changed = true;
        dh_unit_row row = {u->id, u->code, dh_unit_kind_name(u->kind), u->valid_from,
                           u->valid_to};
        st = DH_UNITS(c)->save_unit(c, &row, &u->id, e);
    }
    for (size_t i = 0; i < r->n && st == DH_OK; i++) {
        dh_unit *u = &r->u[i];
        if (!u->dirty)
            continue;
        dh_unit_version_row *v = dh_xcalloc(u->nv, sizeof *v);
        for (size_t j = 0; j < u->nv; j++) {
            v[j] = (dh_unit_version_row){u->id, u->v[j].from,
                                         u->v[j].parent >= 0 ? r->u[u->v[j].parent].id : 0,
                                         u->v[j].name, u->v[j].short_name, u->v[j].folded};
        }
        st = DH_UNITS(c)->replace_unit_versions(c, u->id, v, u->nv, e);
        free(v);
    }
    for (size_t i = r->nlinks_saved; i < r->nlinks && st == DH_OK; i++) {
        dh_unit_link *l = &r->links[i];
        l->event_id = event_id;
        dh_unit_link_row row = {event_id, r->u[l->from].id, r->u[l->to].id, l->partial,
                                l->effective};
        st = DH_UNITS(c)->insert_unit_link(c, &row, e);
    }
    if (st == DH_OK && changed)
        st = DH_UNITS(c)->bump_units_rev(c, e);
    if (st == DH_OK) {
        for (size_t i = 0; i < r->n; i++)
            r->u[i].dirty = false;
        r->nlinks_saved = r->nlinks;
    }
    return st;
}

/* Saves dirty units and new links (when the registry was loaded), then
 * commits. The registry is published to readers on success. */
static dh_status tx_commit(dh_tx *tx, dh_err *e)
{
    const dh_store_ops *ops = DH_OPS(tx->c);
    dh_status st = DH_OK;
    int64_t rev = 0;
    if (tx->reg) {
        st = dh_app_save_units(tx->c, tx->reg, 0, e);
        if (st == DH_OK)
            st = DH_UNITS(tx->c)->units_rev(tx->c, &rev, e);
    }
    if (st == DH_OK)
        st = ops->commit(tx->c, e);
    if (st) {
        tx_abort(tx);
        return st;
    }
    dh_store_release(tx->c);
    tx->c = NULL;
    if (tx->reg)
        publish(tx->app, tx->reg, rev);
    tx->reg = NULL;
    return DH_OK;
}

/* A random wait before attempt `attempt` (1, 2, ...): about 2, 4, 8, ...
 * milliseconds, capped at 250, with jitter so that two writers that
 * collided do not collide again in step. */
static void tx_backoff(int attempt)
{
    long cap = 2L << (attempt < 7 ? attempt : 7);
    if (cap > 250)
        cap = 250;
    if (sodium_init() < 0)
        abort();
    long ms = cap / 2 + (long)randombytes_uniform((uint32_t)(cap / 2 + 1));
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Concurrency. What every backend guarantees to a runner's fn, and what
 * the "Concurrency:" comments beside the fns in src/app/ rely on:
 *
 * - SQLite: a write transaction begins with BEGIN IMMEDIATE, which takes the
 *   database's one write lock before fn reads anything. Every row fn reads
 *   is therefore the latest committed one, and no other writer commits until
 *   this transaction ends: a read-then-write in fn is atomic. A writer that
 *   does not get the lock within the busy timeout gets BUSY and is rerun.
 * - The writers of the dossier tables (dossier events, derived dossiers,
 *   facts, aggregate cells and keys: ingestion and rebuild, whose imports
 *   are all-or-nothing and may hold millions of rows) pass DH_TX_DOSSIERS,
 *   and then every one of them, on every engine, runs alone among them: the
 *   backend's begin_domain (store.h). SQLite: BEGIN IMMEDIATE as above.
 *   PostgreSQL: READ COMMITTED, after a transaction-level advisory lock
 *   keyed by the domain taken before anything is read (pg_base.c), so
 *   predicate locks do not grow with the batch (beside other writers, an
 *   import of 40,000 events at SERIALIZABLE failed: 53200, the predicate
 *   lock table full, or 40001 on every attempt) and a long import is not
 *   failed by each small batch committing beside it. What such a fn reads of the
 *   dossier tables stays true until its commit, as on SQLite; what it reads
 *   of other domains (units, catalogue, calendars) comes from snapshots
 *   taken before the transaction, on every engine. Any new writer of those
 *   tables must pass DH_TX_DOSSIERS too (an unlocked SERIALIZABLE writer
 *   would not be seen by them).
 * - PostgreSQL: other write transactions run at SERIALIZABLE. When another
 *   transaction changed, between fn's read and its commit, a row fn read (or
 *   inserted a row fn looked for and did not find), one of the two fails
 *   with 40001 (or 40P01, a deadlock), mapped to DH_E_BUSY: the runner rolls
 *   back and reruns fn, which then reads the new state. A unique violation
 *   on a key fn had checked absent is also reported as 40001 at this level,
 *   so the rerun answers with the domain's own "already exists" error.
 * - The revision counters in meta (units_rev, calendar_rev, targets_dirty,
 *   targets_rev, ...) are updated in the same transaction as the change they
 *   announce: two writers of the same data always write one common row,
 *   so they conflict even where the backend's predicate locks would not
 *   see it, and readers' caches see the change once it is committed.
 * - Unique constraints are the last guard of rows keyed by a natural key:
 *   a duplicate that slips past fn's own check fails DH_E_CONFLICT, never a
 *   second row.
 * A fn's "Concurrency:" comment names the rows it reads to decide what to
 * write and which of these keeps the decision right. */
/* A lost database (DH_E_UNAVAILABLE after a connection was had: it broke)
 * is tried once more, on a fresh connection (the backend drops the lost
 * one and the idle ones with it), when it is safe: the failure came before
 * COMMIT was sent (in BEGIN or fn), so the server rolled the transaction
 * back, and fn is safe to run twice anyway. This hides a database restart
 * from a request that meets a stale connection. A connection lost during
 * COMMIT is never rerun: the server may have committed, and running fn
 * again could do its work twice; the caller gets 503 database_unavailable
 * with words saying the outcome is unknown. No connection could be made at
 * all, or the second attempt fails too: answered at once (503), without
 * waiting, for a database that is down stays down for longer than a
 * request should wait. */
dh_status dh_tx_run(dh_app *app, int flags, dh_tx_fn fn, void *closure, dh_err *e)
{
    bool reconnected = false;
    for (int attempt = 1;; attempt++) {
        dh_tx tx;
        bool connected, committing = false;
        dh_status st = tx_begin(app, &tx, flags, &connected, e);
        if (st == DH_OK) {
            st = fn(&tx, closure, e);
            /* Fault injection for tests (util/fault.h, DH_FAULT_TX): the
             * first attempt is rolled back after fn succeeded, as if the
             * commit had met a busy database, so that fn runs a second
             * time. Running the end-to-end suite with
             * DIEUHANH_TX_FAULT=1 checks the rule that every fn is safe to
             * run twice. */
            if (st == DH_OK && attempt == 1 && dh_fault_hit(DH_FAULT_TX)) {
                tx_abort(&tx);
                st = dh_err_set(e, DH_E_BUSY, "busy", NULL,
                                "injected fault (DIEUHANH_TX_FAULT): the transaction runs again");
            } else if (st == DH_OK) {
                committing = true;
                st = tx_commit(&tx, e);
            } else {
                bool denied = tx.deny.set;
                dh_tx_denial d = tx.deny;
                tx_abort(&tx);
                if (denied) {
                    dh_app_audit_denied(app, &d.actor, d.action, d.entity, d.key, d.unit, d.now);
                    free(d.key);
                    free(d.unit);
                    return st;
                }
            }
        }
        if (st == DH_E_UNAVAILABLE && connected && !committing && !reconnected) {
            reconnected = true;
            dh_metric_count("dieuhanh_store_tx_reconnects_total",
                            "Write transactions run again on a fresh connection after the "
                            "database connection was lost.",
                            "", 1);
            fprintf(stderr, "dieuhanh: lost the database; trying once more: %s\n", e->message);
            continue;
        }
        if (st != DH_E_BUSY)
            return st;
        if (attempt >= DH_TX_ATTEMPTS) {
            dh_metric_count("dieuhanh_store_tx_busy_total",
                            "Write transactions given up as busy after every attempt (503).", "",
                            1);
            /* The last failure's words, copied: e is written again below. */
            char why[sizeof e->message];
            snprintf(why, sizeof why, "%s", e->message);
            return dh_err_set(e, DH_E_BUSY, "busy", NULL,
                              "the database stayed busy after %d attempts; try again in a moment "
                              "(%.300s)",
                              attempt, why);
        }
        long long n = atomic_fetch_add(&app->tx_retries, 1) + 1;
        dh_metric_count("dieuhanh_store_tx_retries_total",
                        "Write transactions run again by the transaction runner (busy database).",
                        "", 1);
        fprintf(stderr, "dieuhanh: transaction retried (attempt %d, %lld retries so far): %s\n",
                attempt + 1, n, e->message);
        tx_backoff(attempt);
    }
}

/* The 403 of a refusal: who may not do what (one wording for the runner's
 * refusals and the others). */
static dh_status forbidden(const dh_actor *a, const char *what, dh_err *e)
{
    return dh_err_set(e, DH_E_FORBIDDEN, "forbidden", NULL, "role %s of %s may not %s",
                      dh_role_name(a->role), a->unit_code[0] ? a->unit_code : "(no unit)", what);
}

dh_status dh_tx_deny(dh_tx *tx, const dh_actor *a, const char *action, const char *entity,
                     const char *key, const char *unit_code, time_t now, dh_err *e,
                     const char *what)
{
    tx->deny.set = true;
    tx->deny.actor = *a;
    snprintf(tx->deny.action, sizeof tx->deny.action, "%s", action);
    snprintf(tx->deny.entity, sizeof tx->deny.entity, "%s", entity);
    free(tx->deny.key);
    free(tx->deny.unit);
    tx->deny.key = dh_xstrdup(key ? key : "");
    tx->deny.unit = dh_xstrdup(unit_code ? unit_code : "");
    tx->deny.now = now;
    return forbidden(a, what, e);
}

long long dh_app_tx_retries(dh_app *app) { return atomic_load(&app->tx_retries); }

/* ------------------------------------------------------------------ */
/* Audit.                                                             */

dh_status dh_app_audit(dh_conn *c, const dh_actor *a, const char *action, const char *entity,
                       const char *key, const char *unit_code, const char *outcome,
                       json_t *before, json_t *after, time_t now, dh_err *e)
{
    char *bj = before ? json_dumps(before, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    char *aj = after ? json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    char actor[300];
    if (a->is_token)
        snprintf(actor, sizeof actor, "%s (token %s)", a->login, a->token_name);
    else
        snprintf(actor, sizeof actor, "%s", a->login);
    dh_audit_row row = {0,
                        now,
                        a->user_id,
                        actor,
                        a->is_token ? a->cred_id : 0,
                        action,
                        entity,
                        key ? key : "",
                        unit_code ? unit_code : "",
                        outcome ? outcome : "ok",
                        bj,
                        aj,
                        a->ip};
    dh_status st = DH_AUDIT(c)->append_audit(c, &row, e);
    free(bj);
    free(aj);
    return st;
}

typedef struct audit_denied_cl {
    const dh_actor *a;
    const char *action, *entity, *key, *unit_code;
    time_t now;
} audit_denied_cl;

/* One "denied" row; never refuses, so the runner, which calls
 * dh_app_audit_denied for the refusals of other transactions, does not
 * come back here from it. */
static dh_status audit_denied_tx(dh_tx *tx, void *closure, dh_err *e)
{
    audit_denied_cl *cl = closure;
    return dh_app_audit(tx->c, cl->a, cl->action, cl->entity, cl->key, cl->unit_code, "denied",
                        NULL, NULL, cl->now, e);
}

static _Thread_local unsigned long denials_recorded;

unsigned long dh_app_denials_recorded(void) { return denials_recorded; }

void dh_app_audit_denied(dh_app *app, const dh_actor *a, const char *action, const char *entity,
                         const char *key, const char *unit_code, time_t now)
{
    denials_recorded++;
    dh_err e2;
    audit_denied_cl cl = {a, action, entity, key, unit_code, now};
    (void)dh_tx_run(app, DH_TX_WRITE, audit_denied_tx, &cl, &e2);
}

dh_status dh_app_deny(dh_app *app, const dh_actor *a, const char *action, const char *entity,
                      const char *key, const char *unit_code, time_t now, dh_err *e,
                      const char *what)
{
    dh_app_audit_denied(app, a, action, entity, key, unit_code, now);
    return forbidden(a, what, e);
}

int32_t dh_app_actor_scope(const dh_unitreg *r, const dh_actor *a)
{
    return a->unit_code[0] ? dh_unitreg_find(r, a->unit_code) : -1;
}

struct audit_list_ctx {
    json_t *items;
    int64_t last;
    int n;
};

static json_t *parse_or_null(const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_loads(s, 0, NULL);
    return j ? j : json_string(s);
}

static int on_audit(void *closure, const dh_audit_row *a)
{
    struct audit_list_ctx *l = closure;
    char at[24];
    dh_time_format_utc(a->at, at);
    json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:s}", "id", (json_int_t)a->id,
                          "at", at, "actor", a->actor, "action", a->action, "entity", a->entity,
                          "key", a->entity_key, "unit", a->unit_code, "outcome", a->outcome,
                          "before", parse_or_null(a->before_json), "after",
                          parse_or_null(a->after_json), "ip", a->ip);
    if (o)
        json_array_append_new(l->items, o);
    l->last = a->id;
    l->n++;
    return 0;
}

dh_status dh_app_audit_list(dh_app *app, const dh_actor *a, const dh_audit_filter *f,
                            time_t now, json_t **items, int64_t *next, dh_err *e)
{
    *items = NULL;
    *next = 0;
    if (a->role != DH_ROLE_ADMIN && a->role != DH_ROLE_LEADER)
        return dh_app_deny(app, a, "read", "audit", "", "", now, e, "read the audit log");
    dh_audit_filter g = *f;
    /* A leader sees the trail of their own unit only. */
    if (a->role == DH_ROLE_LEADER) {
        if (g.unit_code && strcmp(g.unit_code, a->unit_code) != 0)
            return dh_app_deny(app, a, "read", "audit", "", g.unit_code, now, e,
                               "read the audit log of another unit");
        g.unit_code = a->unit_code;
    }
    dh_conn *c = dh_store_acquire(app->store, e);
    if (!c)
        return e->status;
    struct audit_list_ctx l = {json_array(), 0, 0};
    dh_status st = DH_AUDIT(c)->list_audit(c, &g, on_audit, &l, e);
    dh_store_release(c);
    if (st) {
        json_decref(l.items);
        return st;
    }
    *items = l.items;
    *next = l.n == g.limit ? l.last : 0;
    return DH_OK;
}

/* ------------------------------------------------------------------ */
/* JSON input helpers.                                                */

dh_status dh_json_text(json_t *obj, const char *key, bool required, char **out, dh_err *e)
{
    *out = NULL;
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required)
            return dh_err_set(e, DH_E_INVALID, "missing_field", key, "%s is required", key);
        return DH_OK;
    }
    if (!json_is_string(v))
        return dh_err_set(e, DH_E_INVALID, "invalid_type", key, "%s must be a string", key);
    char *s;
    dh_status st = dh_text_clean_field(json_string_value(v), key, &s, e);
    if (st)
        return st;
    if (required && !*s) {
        free(s);
        return dh_err_set(e, DH_E_INVALID, "missing_field", key, "%s must not be empty", key);
    }
    *out = s;
    return DH_OK;
}

dh_status dh_json_date(json_t *obj, const char *key, bool required, dh_date *out, dh_err *e)
{
    *out = DH_DATE_NONE;
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required)
            return dh_err_set(e, DH_E_INVALID, "missing_field", key, "%s is required", key);
        return DH_OK;
    }
    dh_date d;
    if (!json_is_string(v) || dh_date_parse(json_string_value(v), &d))
        return dh_err_set(e, DH_E_INVALID, "invalid_date", key,
                          "%s must be a real date written YYYY-MM-DD", key);
    *out = d;
    return DH_OK;
}

dh_status dh_json_only(json_t *obj, const char *const *allowed, dh_err *e)
{
    if (!json_is_object(obj))
        return dh_err_set(e, DH_E_MALFORMED, "invalid_body", NULL,
                          "the body must be a JSON object");
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        bool ok = false;
        for (const char *const *p = allowed; *p && !ok; p++)
            ok = strcmp(*p, key) == 0;
        if (!ok)
            return dh_err_set(e, DH_E_INVALID, "unknown_field", key, "unknown field '%s'", key);
    }
    return DH_OK;
}

void dh_report_add(dh_import_report *rep, const char *fmt, ...)
{
    /* Keep the first thousand messages; a file that bad needs no more. */
    if (rep->nmessages >= 1000)
        return;
    va_list ap;
    dh_buf b = DH_BUF_INIT;
    va_start(ap, fmt);
    char tmp[1024];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    dh_buf_puts(&b, tmp);
    rep->messages = dh_xrealloc(rep->messages, (size_t)(rep->nmessages + 1) * sizeof(char *));
    rep->messages[rep->nmessages++] = dh_buf_steal(&b);
}

/* ------------------------------------------------------------------ */
/* Shared snapshots reloaded by a meta counter.                       */

static void snap_drop(dh_snap *s, dh_snap_free free_obj)
{
    /* Called with app->lock held. */
    if (s && --s->refs == 0) {
        free_obj(s->obj);
        free(s);
    }
}

dh_snap *dh_snap_acquire(dh_app *app, dh_snap **slot, const char *key, dh_snap_load load,
                         dh_snap_free free_obj, size_t owner_offset, dh_err *e)
{
    dh_conn *c = dh_store_acquire(app->store, e);
    if (!c)
        return NULL;
    int64_t rev = 0;
    dh_status st = DH_META(c)->meta_get(c, key, &rev, e);
    pthread_mutex_lock(&app->lock);
    bool stale = !*slot || (*slot)->rev != rev;
    pthread_mutex_unlock(&app->lock);
    if (st == DH_OK && stale) {
        void *obj = NULL;
        /* Read the counter and the rows in one snapshot so they agree. */
        st = DH_OPS(c)->begin(c, false, e);
        if (st == DH_OK)
            st = DH_META(c)->meta_get(c, key, &rev, e);
        if (st == DH_OK)
            st = load(c, &obj, e);
        DH_OPS(c)->rollback(c);
        if (st == DH_OK) {
            dh_snap *fresh = dh_xcalloc(1, sizeof *fresh);
            fresh->obj = obj;
            fresh->rev = rev;
            fresh->refs = 1;
            *(void **)((char *)obj + owner_offset) = fresh;
            pthread_mutex_lock(&app->lock);
            snap_drop(*slot, free_obj);
            *slot = fresh;
            pthread_mutex_unlock(&app->lock);
            dh_app_cache_reloaded(key);
        }
    }
    dh_store_release(c);
    if (st)
        return NULL;
    pthread_mutex_lock(&app->lock);
    dh_snap *s = *slot;
    s->refs++;
    pthread_mutex_unlock(&app->lock);
    return s;
}

void dh_snap_release(dh_app *app, dh_snap *s, dh_snap_free free_obj)
{
    if (!s)
        return;
    pthread_mutex_lock(&app->lock);
    snap_drop(s, free_obj);
    pthread_mutex_unlock(&app->lock);
}

void dh_snap_close(dh_app *app, dh_snap **slot, dh_snap_free free_obj)
{
    pthread_mutex_lock(&app->lock);
    snap_drop(*slot, free_obj);
    *slot = NULL;
    pthread_mutex_unlock(&app->lock);
}

dh_conn *dh_app_read_begin(dh_app *app, dh_err *e)
{
    dh_conn *c = dh_store_acquire(dh_app_store(app), e);
    if (c && DH_OPS(c)->begin(c, false, e)) {
        dh_store_release(c);
        return NULL;
    }
    return c;
}

void dh_app_read_end(dh_conn *c)
{
    DH_OPS(c)->rollback(c);
    dh_store_release(c);
}

void dh_app_reg_unit_name(const dh_unitreg *reg, const char *code, dh_date d, char *out, size_t cap)
{
    int32_t u = dh_unitreg_find(reg, code);
    const dh_unit_version *v = u >= 0 ? dh_unitreg_nearest(reg, u, d) : NULL;
    snprintf(out, cap, "%s", v ? v->name : code);
}
