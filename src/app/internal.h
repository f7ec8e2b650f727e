/* internal.h - what the files of src/app/ share and nobody else sees. */
#ifndef DH_APP_INTERNAL_H
#define DH_APP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "app/app.h"
#include "core/kpiagg.h"
#include "core/trend.h"
#include "util/buf.h"
#include "store/aggs.h"
#include "store/audit.h"
#include "store/calendars.h"
#include "store/dossiers.h"
#include "store/feedback.h"
#include "store/index766.h"
#include "store/indicators.h"
#include "store/jobs.h"
#include "store/meta.h"
#include "store/people.h"
#include "store/plans.h"
#include "store/procedures.h"
#include "store/targets.h"
#include "store/units.h"

#define DH_OPS(c) dh_conn_ops(c)

/* A registry shared by readers, freed when the last one lets go. */
typedef struct dh_regref {
    dh_unitreg *reg;
    int64_t rev;
    int refs; /* guarded by dh_app.lock */
} dh_regref;

struct dh_app {
    dh_store *store;
    atomic_llong tx_retries; /* transactions the runner ran again (busy) */
    int schema_from, schema_to;
    pthread_mutex_t lock;
    dh_regref *current; /* the newest registry, or NULL */
    struct dh_snap *calendars;  /* the newest calendar set (dh_calset), or NULL */
    struct dh_snap *procedures; /* the newest catalogue (dh_procset), or NULL */
    struct dh_aggcache *agg;    /* the readers' copy of the aggregates */
    struct dh_fbaggcache *fbagg; /* ... of the feedback aggregates (fbaggs.c) */
    struct dh_snap *targets;    /* the targets overview's index (targets.c) */
    struct dh_snap *plans;      /* the readers' plan book (planbook.c), or NULL */
    struct dh_freshcache *fresh; /* the sources' freshness by scope (freshness.c) */
    struct dh_scopecache *scopes; /* the units of recent scopes (dossread.c) */
    atomic_bool stopping;       /* dh_app_request_stop: long jobs stop early */
};

/* A snapshot shared by readers and reloaded when the meta counter `key`
 * moves (another request, process or node changed the data). The object
 * is freed when the last reader lets go. refs is guarded by dh_app.lock. */
typedef struct dh_snap {
    void *obj;
    int64_t rev;
    int refs;
} dh_snap;
/* Loads the object inside a read transaction. */
typedef dh_status (*dh_snap_load)(dh_conn *c, void **obj, dh_err *e);
typedef void (*dh_snap_free)(void *obj);
/* The current snapshot of *slot with a reference for the caller, loaded
 * anew when stale; NULL with e filled on failure. */
/* owner_offset: offsetof the object's `void *owner` field, set to the
 * snapshot before it is published. */
dh_snap *dh_snap_acquire(dh_app *app, dh_snap **slot, const char *key, dh_snap_load load,
                         dh_snap_free free_obj, size_t owner_offset, dh_err *e);
void dh_snap_release(dh_app *app, dh_snap *s, dh_snap_free free_obj);
void dh_snap_close(dh_app *app, dh_snap **slot, dh_snap_free free_obj);

/* ---- The readers' copy of the feedback aggregates (fbaggs.c). ---- */
typedef struct dh_fbaggcache dh_fbaggcache;
dh_fbaggcache *dh_fbaggcache_new(void);
void dh_fbaggcache_free(dh_fbaggcache *c);
/* The feedback KPIs by handling unit, ascending codes, of the units in
 * units_json (a JSON array of codes, as dh_app_scope_units gives; NULL:
 * every unit) for the local days [from, to] and the open records at `at`
 * (core/fbagg.h), from the copy brought up to date first; units whose nine
 * figures are all zero are left out. cb as the store's stats; it runs with
 * the copy locked and must not call this again. */
dh_status dh_fb_agg_stats(dh_app *app, const char *units_json, dh_date from, dh_date to,
                          time_t at, dh_fb_stats_cb cb, void *closure, dh_err *e);

/* The units of the last scopes asked for (dh_app_scope_units_of), by
 * registry revision, root, subtree and day: a mega-province's registry
 * has over a thousand units with their history, and walking them costs
 * milliseconds a request (dossread.c). */
struct dh_scopecache *dh_scopecache_new(void);
void dh_scopecache_free(struct dh_scopecache *sc);

/* The cache of the sources' freshness answers (freshness.c). */
struct dh_freshcache *dh_freshcache_new(void);
void dh_freshcache_free(struct dh_freshcache *fc);

/* Copies the built-in schedules into a database just migrated to calendars. */
dh_status dh_app_calendar_seed(dh_app *app, dh_err *e);
/* Drops the app's reference to the current unit registry (dh_app_close). */
void dh_app_units_close(dh_app *app);
/* Drops the app's reference to its catalogue (dh_app_close). */
void dh_app_procedures_close(dh_app *app);
/* Drops the app's reference to its calendar set (dh_app_close). */
void dh_app_calendars_close(dh_app *app);
/* Drops the app's reference to the targets overview's index (dh_app_close). */
void dh_app_targets_close(dh_app *app);
/* Drops the app's reference to the readers' plan book (dh_app_close). */
void dh_app_plans_close(dh_app *app);

/* One write transaction with the unit registry loaded inside it, so that
 * validation sees exactly what the transaction will change. */
/* A refusal asked for by the runner's fn (dh_tx_deny), written to the
 * audit trail after the rollback. */
typedef struct dh_tx_denial {
    bool set;
    dh_actor actor;
    char action[32], entity[32];
    char *key, *unit; /* malloc'd copies, whole as given; freed by the runner */
    time_t now;
} dh_tx_denial;

typedef struct dh_tx {
    dh_app *app;
    dh_conn *c;
    dh_unitreg *reg; /* NULL unless loaded */
    dh_tx_denial deny;
} dh_tx;

/* Counts a reload of a shared in-memory copy named name (the meta counter
 * that moved: "units_rev", "calendar_rev", ..., or "aggregates") in the
 * metric dieuhanh_cache_reloads_total{cache}. */
void dh_app_cache_reloaded(const char *name);

/* The transaction runner: the one way src/app/ writes.
 *
 * fn states what a write does inside one transaction. dh_tx_run begins a
 * write transaction (the unit registry loaded into tx->reg when flags has
 * DH_TX_UNITS), calls fn, and commits. A retryable failure (DH_E_BUSY: SQLite
 * BUSY or LOCKED; a PostgreSQL serialization failure or deadlock) rolls back
 * and runs fn again after a short random back-off, at most DH_TX_ATTEMPTS
 * times in all; past that the caller gets DH_E_BUSY with code "busy" (503
 * with Retry-After over HTTP), never a half-written change. Every retry is
 * counted (dh_app_tx_retries and the metric dieuhanh_store_tx_retries_total)
 * and logged on stderr.
 *
 * fn must be safe to run twice: it changes nothing outside the transaction
 * (audit rows are written inside it; publishing the unit registry happens in
 * the commit; files, e-mails and caches only after dh_tx_run returns), and it
 * sets its outputs in the closure afresh on every run (freeing what an earlier
 * run left). To refuse, fn returns dh_tx_deny(...): the runner rolls back and
 * then records the refusal in the audit trail in a transaction of its own. */
#define DH_TX_WRITE 0
#define DH_TX_UNITS 1
/* A writer of the dossier tables: runs alone among them (begin_domain;
 * the concurrency comment above dh_tx_run in app.c). */
#define DH_TX_DOSSIERS 2
/* With DH_TX_DOSSIERS: a writer of a large part of the database (a file
 * import, a rebuild), begun with begin_bulk (store.h). */
#define DH_TX_BULK 4
#define DH_TX_ATTEMPTS 6
typedef dh_status (*dh_tx_fn)(dh_tx *tx, void *closure, dh_err *e);
dh_status dh_tx_run(dh_app *app, int flags, dh_tx_fn fn, void *closure, dh_err *e);
/* Asks the runner to refuse `what` (403 "forbidden") and audit it. */
dh_status dh_tx_deny(dh_tx *tx, const dh_actor *a, const char *action, const char *entity,
                     const char *key, const char *unit_code, time_t now, dh_err *e,
                     const char *what);


/* What a runner's fn needs to import a file read up front (index766.c,
 * indicators.c): who, the whole file (parsed again by every run), its name
 * for messages, the column of each field, when, and the report it fills. */
typedef struct dh_import_cl {
    const dh_actor *a;
    const dh_buf *data;
    const char *name;
    const int *col;
    time_t now;
    dh_import_report *rep;
} dh_import_cl;

/* Reads CSV or XLSX (a zip: "PK") into a sheet (ivalues.c), both under the
 * limits of util/xlsx.h; a malformed CSV line is reported in rep and skipped. */
struct dh_sheet;
dh_status dh_sheet_read_any(const char *data, size_t len, const char *name, struct dh_sheet *rs,
                            dh_import_report *rep, dh_err *e);

/* Loads the registry through a connection. */
dh_status dh_app_load_units(dh_conn *c, dh_unitreg **out, dh_err *e);
/* Saves dirty units and new links; links get event_id. */
dh_status dh_app_save_units(dh_conn *c, dh_unitreg *r, int64_t event_id, dh_err *e);

/* Appends an audit row inside the caller's transaction. before/after are
 * borrowed JSON (NULL for none). */
dh_status dh_app_audit(dh_conn *c, const dh_actor *a, const char *action, const char *entity,
                       const char *key, const char *unit_code, const char *outcome,
                       json_t *before, json_t *after, time_t now, dh_err *e);

/* A 403 for `what`, recorded in the audit trail. */
dh_status dh_app_deny(dh_app *app, const dh_actor *a, const char *action, const char *entity,
                      const char *key, const char *unit_code, time_t now, dh_err *e,
                      const char *what);

/* A read: a connection with a read transaction begun (NULL and *e on
 * failure); dh_app_read_end rolls it back and releases the connection. */
dh_conn *dh_app_read_begin(dh_app *app, dh_err *e);
void dh_app_read_end(dh_conn *c);
/* The unit's name nearest to d (its code when unknown) into out. */
void dh_app_reg_unit_name(const dh_unitreg *reg, const char *code, dh_date d, char *out, size_t cap);

/* Registry index of the actor's scope unit, or -1. */
int32_t dh_app_actor_scope(const dh_unitreg *r, const dh_actor *a);

/* Cleans a JSON string member: NULL when absent or null; DH_E_MALFORMED
 * when not a string; the NFC-cleaned copy (malloc'd) in *out. */
dh_status dh_json_text(json_t *obj, const char *key, bool required, char **out, dh_err *e);
dh_status dh_json_date(json_t *obj, const char *key, bool required, dh_date *out, dh_err *e);
/* Refuses members other than those listed (NULL-terminated). */
dh_status dh_json_only(json_t *obj, const char *const *allowed, dh_err *e);

/* Replaying dossiers at an instant (reports, the overdue list of a day). */
typedef struct dh_replayer dh_replayer;
dh_replayer *dh_replayer_open(dh_app *app, const dh_actor *a, dh_err *e);
/* Fills v as dossier `code` stood at instant `at` (strings valid until the
 * next call) and *proc with the procedure version it uses. Returns DH_OK,
 * DH_E_NOTFOUND when it has no receipt, or an error. */
dh_status dh_replayer_view(dh_replayer *r, const char *code, time_t at, dh_dossier_view *v,
                           const dh_proc **proc, dh_err *e);
dh_conn *dh_replayer_conn(dh_replayer *r);
void dh_replayer_close(dh_replayer *r);
/* The JSON array of unit codes a query over `unit` (and its subtree) covers,
 * access checked; NULL in *json_out means every unit (admins only). */
dh_status dh_app_scope_units(dh_app *app, const dh_actor *a, const char *unit, bool subtree,
                             time_t now, char **json_out, dh_err *e);
/* The same, a refusal audited for `entity`, and with on_last_day a closed
 * unit's subtree as it stood on its last day rather than today's. */
dh_status dh_app_scope_units_of(dh_app *app, const dh_actor *a, const char *unit, bool subtree,
                                const char *entity, bool on_last_day, time_t now,
                                char **json_out, dh_err *e);

/* ---- The service aggregates (aggs.c, core/kpiagg.h). ---------------------- */

/* The deltas of one write transaction, keyed by (key, day). */
typedef struct dh_aggbatch dh_aggbatch;
dh_aggbatch *dh_aggbatch_new(void);
void dh_aggbatch_free(dh_aggbatch *b);
/* The row of a replayed dossier v (all but code, updated_at and fact), as
 * the import stores it; wc: the calendar its deadline counts in
 * (dossiers.c; bench/mega.c writes rows without the importer). */
void dh_dossier_row_of_view(dh_dossier_row *row, const dh_dossier_view *v, const dh_workcal *wc);
/* The id of (unit, procedure, field), created when new. */
dh_status dh_aggbatch_key(dh_aggbatch *b, dh_conn *c, const char *unit, const char *procedure,
                          const char *field, int32_t *id, dh_err *e);
/* Reads every stored key in one call (for a batch that will ask for most
 * of them: the rebuild), so that dh_aggbatch_key finds them without one. */
dh_status dh_aggbatch_load_keys(dh_aggbatch *b, dh_conn *c, dh_err *e);
/* Reads the stored facts of the first nread of the n dossiers (distinct
 * codes) in one call, for the dh_aggbatch_change of each that follows
 * (forgetting those read by an earlier call); the other n - nread are known
 * to have none (not stored yet, or their facts cleared) and are not read. */
dh_status dh_aggbatch_prefetch(dh_aggbatch *b, dh_conn *c, const char *const *codes, size_t n,
                               size_t nread, dh_err *e);
/* Replaces dossier `code`'s contribution by f's (NULL: none). Call before
 * the dossier row (with its new fact) is written; the stored fact is the
 * one prefetched, else read now. */
dh_status dh_aggbatch_change(dh_aggbatch *b, dh_conn *c, const char *code, const dh_dfact *f,
                             dh_err *e);
/* Adds the deltas to the stored cells under a new revision. */
dh_status dh_aggbatch_flush(dh_aggbatch *b, dh_conn *c, dh_err *e);
/* dh_aggbatch_flush once the batch holds DH_AGGBATCH_SPILL cells or more
 * (else nothing): a transaction of millions of dossiers (a file import, a
 * rebuild) calls it between its chunks, so that its memory is bounded by
 * that, not by the keys times the days it touched. The cells are sums, so
 * adding a part of them early changes nothing at the commit. */
#define DH_AGGBATCH_SPILL 524288
dh_status dh_aggbatch_spill(dh_aggbatch *b, dh_conn *c, dh_err *e);

typedef struct dh_aggcache dh_aggcache;
dh_aggcache *dh_aggcache_new(void);
void dh_aggcache_free(dh_aggcache *c);

enum { DH_GROUP_FIELD, DH_GROUP_UNIT, DH_GROUP_PROCEDURE, DH_GROUP_NONE };
typedef struct dh_agg_group {
    char *key; /* a field, a unit code, a procedure code, or "*" */
    dh_kfigures f;
} dh_agg_group;
/* Figures of [from, to] for the dossiers received by the units of
 * units_json (NULL: all), grouped, sorted by key; groups with nothing in
 * the period are left out. rollup_today: a closed unit's figures go to its
 * successor open on `today`. Free with dh_agg_groups_free. */
dh_status dh_agg_query(dh_app *app, const char *units_json, int group, bool rollup_today,
                       dh_date from, dh_date to, dh_date today, dh_agg_group **out, size_t *n,
                       dh_err *e);
void dh_agg_groups_free(dh_agg_group *g, size_t n);
/* Only the dossiers of a procedure and/or a field (NULL: any). */
typedef struct dh_agg_filter {
    const char *procedure, *field;
} dh_agg_filter;
/* dh_agg_query with a filter (NULL: none). */
dh_status dh_agg_query_f(dh_app *app, const char *units_json, int group, bool rollup_today,
                         const dh_agg_filter *filter, dh_date from, dh_date to, dh_date today,
                         dh_agg_group **out, size_t *n, dh_err *e);
/* The filter of a KPI query (procedure / field, NULL or "": any),
 * checked against the catalogue (DH_E_INVALID when unknown). */
dh_status dh_app_kpi_filter(dh_app *app, const char *procedure, const char *field,
                            dh_agg_filter *f, dh_err *e);
/* The figures of each bucket of a trend (core/trend.h) into out[0..nb),
 * for the dossiers received by the units of units_json (NULL: all), with
 * a filter (NULL: none); one pass over the readers' copy under one lock
 * (issue 20). Units are as they were (no roll-up). */
dh_status dh_agg_query_buckets(dh_app *app, const char *units_json, const dh_agg_filter *filter,
                               const dh_tbucket *b, size_t nb, dh_kfigures *out, dh_err *e);
/* The unit code a unit's figures roll up into on `today`: itself while
 * open, else its first successor (by code) open then. */
const char *dh_agg_today_unit(const dh_unitreg *reg, const char *code, dh_date today);

/* Reads CSV or XLSX (a zip, by content) into a sheet whose rows keep their
 * line numbers, both under the limits of util/xlsx.h (planimport.c). A
 * malformed CSV line, or a cell that is not UTF-8 ("invalid_utf8"), fails
 * the read with its "NAME:LINE: reason". */
struct dh_sheet;
dh_status dh_app_table_read(const char *data, size_t len, const char *name, struct dh_sheet *t,
                            dh_err *e);

/* Adds a message to an import report (the first 1000 are kept). */
void dh_report_add(dh_import_report *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Stored files (plans.c): a new file checked (at most 20 MB; PDF, DOCX,
 * DOC, XLSX, ODT or UTF-8 .txt judged by its bytes; DH_E_TOOLARGE,
 * DH_E_INVALID otherwise), then inserted inside a write transaction under a
 * random id; *out {id, name, type, size, sha256}. The caller audits. */
typedef struct dh_file_new {
    char *name; /* cleaned, malloc'd */
    const char *type;
    char sha256[65];
    const void *data;
    size_t len;
} dh_file_new;
dh_status dh_file_prepare(const char *name, const void *data, size_t len, dh_file_new *f,
                          dh_err *e);
void dh_file_new_free(dh_file_new *f);
dh_status dh_file_insert(dh_conn *c, const dh_actor *a, const dh_file_new *f, time_t now,
                         json_t **out, dh_err *e);

/* One reminder line for a unit's e-mail (both strings owned by the caller). */
typedef struct dh_mail_item {
    char *unit;
    char *line;
} dh_mail_item;

/* Mails each unit with a contact address its lines of v (reminders.c), when
 * DIEUHANH_SMTP_URL is set: subject "Nhắc việc ngày DAY: N <what> của
 * UNIT". Counts the messages sent; each failure is appended to errors
 * ({unit, error}). */
void dh_mail_units(dh_app *app, const dh_mail_item *v, size_t n, dh_date today,
                   const char *what, int *sent, json_t *errors);
/* Frees v and the strings of its n items. */
void dh_mail_items_free(dh_mail_item *v, size_t n);

/* The unit whose reminders a reads (reminders.c): *unit as given, else a's own
 * unit; NULL stays only for an admin (every unit). An unknown unit is
 * DH_E_INVALID, one outside a's subtree DH_E_FORBIDDEN (audited for
 * `entity`). */
dh_status dh_app_inbox_scope(dh_app *app, const dh_actor *a, const char **unit,
                             const char *entity, time_t now, dh_err *e);

#endif
