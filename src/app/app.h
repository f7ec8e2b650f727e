/* app.h - the application layer: every operation a user can perform, shared
 * by the HTTP API and the command line. It joins the pure core (rules), the
 * store (persistence) and the audit trail, and owns transactions.
 *
 * Conventions: "now" is always a parameter (the callers read the clock);
 * JSON values returned through `json_t **out` are new references owned by
 * the caller; JSON bodies passed in are borrowed. Every function fills *e
 * on failure and writes nothing in that case (one transaction per call).
 */
#ifndef DH_APP_H
#define DH_APP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "core/access.h"
#include "core/unit.h"
#include "store/audit.h"
#include "store/backup.h"
#include "store/store.h"
#include "util/err.h"

typedef struct dh_app dh_app;

/* Who is acting. The command line acts as an admin named "cli:<os user>". */
typedef struct dh_actor {
    int64_t user_id; /* 0 for the command line */
    char login[128];
    dh_role role;
    int64_t unit_id; /* scope; 0 for none (admins) */
    char unit_code[DH_UNIT_CODE_MAX + 1];
    int64_t cred_id;  /* the session or token used, 0 for the command line */
    bool is_token;    /* authenticated by a named API token */
    bool via_cookie;  /* authenticated by the session cookie (CSRF applies) */
    bool scoped_admin; /* an admin's token scoped to a unit: acts as officer of that unit */
    char token_name[128];
    char ip[64];
} dh_actor;

/* Opens the database. With migrate, pending migrations are applied;
 * without, a database whose schema differs from this binary is refused. A
 * database newer than the binary is refused either way (DH_E_VERSION).
 * The first call makes Jansson allocate through dh_xmalloc (an allocation
 * failure aborts, as everywhere else). */
dh_app *dh_app_open(const char *db_url, bool migrate, dh_err *e);
void dh_app_close(dh_app *app);
/* How many transactions the runner has run again because the database was
 * busy (since the app was opened). */
long long dh_app_tx_retries(dh_app *app);
dh_store *dh_app_store(dh_app *app);
/* Schema versions before and after dh_app_open's migration. */
void dh_app_schema(const dh_app *app, int *from, int *to);

/* An actor for the command line. */
void dh_actor_cli(dh_actor *a);

/* ---- The unit registry, cached and shared by readers. ---------------- */
/* Returns the current registry (reloaded when another process or node
 * changed units); release it with dh_app_units_release. */
const dh_unitreg *dh_app_units_acquire(dh_app *app, dh_err *e);
void dh_app_units_release(dh_app *app, const dh_unitreg *r);

/* ---- Units. ------------------------------------------------------------ */
/* The JSON of a unit as of d: code, name, short_name, kind, parent,
 * valid_from, valid_to (+ versions when detailed). */
json_t *dh_app_unit_json(const dh_unitreg *r, int32_t u, dh_date d, bool detailed);
dh_status dh_app_unit_create(dh_app *app, const dh_actor *a, json_t *body, time_t now,
                             json_t **out, dh_err *e);
dh_status dh_app_unit_patch(dh_app *app, const dh_actor *a, const char *code, json_t *body,
                            time_t now, json_t **out, dh_err *e);
dh_status dh_app_unit_event(dh_app *app, const dh_actor *a, json_t *body, time_t now,
                            json_t **out, dh_err *e);

/* Result of a CSV import: rows taken, and one line per refused row. */
typedef struct dh_import_report {
    int taken;
    int refused;
    char **messages; /* "FILE:LINE: reason", malloc'd */
    int nmessages;
} dh_import_report;
void dh_import_report_free(dh_import_report *r);

/* Imports units from CSV (header code,name,short_name,kind,parent,
 * valid_from,valid_to; parents before children). All-or-nothing unless
 * partial; either way every bad row is reported. `progress`, if not NULL,
 * is called every 1000 rows. */
dh_status dh_app_unit_import(dh_app *app, const dh_actor *a, FILE *f, const char *name,
                             bool partial, time_t now, dh_import_report *rep,
                             void (*progress)(long rows, void *closure), void *closure,
                             dh_err *e);
/* Imports units' boundaries from a GeoJSON FeatureCollection (text, len
 * bytes; app/geojson.h: the unit's code in property code_prop, the first
 * date in `valid_from` or default_from), all or nothing, one audit row per
 * boundary; admins only. *count: the boundaries stored. */
dh_status dh_app_unit_geo_import(dh_app *app, const dh_actor *a, const char *text, size_t len,
                                 const char *name, const char *code_prop, dh_date default_from,
                                 time_t now, size_t *count, dh_err *e);
/* Writes the units valid on d (all units when d is DH_DATE_NONE) as CSV. */
dh_status dh_app_unit_export(dh_app *app, FILE *f, dh_date d, dh_err *e);

/* ---- People and access. --------------------------------------------- */
typedef struct dh_user_spec {
    const char *login;
    const char *password;
    const char *role;
    const char *unit; /* code; NULL or "" for an admin */
    const char *display_name;
} dh_user_spec;

dh_status dh_app_user_create(dh_app *app, const dh_actor *a, const dh_user_spec *s, time_t now,
                             json_t **out, dh_err *e);
dh_status dh_app_user_list(dh_app *app, const dh_actor *a, time_t now, int64_t after_id,
                           int limit, json_t **items, int64_t *next, dh_err *e);
/* Sets a new password (admins for anyone, everyone for themselves; never
 * through an API token) and ends the user's sessions but the actor's own.
 * API tokens stay valid unless revoke_tokens. *out (may be NULL) gets
 * {"login","sessions_revoked","tokens_revoked"}. */
dh_status dh_app_user_password(dh_app *app, const dh_actor *a, const char *login,
                               const char *password, bool revoke_tokens, time_t now,
                               json_t **out, dh_err *e);
/* Clears the sign-in lockout of a login (unscoped admins); the per-address
 * limit stays. */
dh_status dh_app_user_unlock(dh_app *app, const dh_actor *a, const char *login, time_t now,
                             dh_err *e);

/* Checks the password (throttled per login and per address) and opens a
 * session. *token is the session secret (malloc'd) usable as cookie or
 * bearer; *csrf the CSRF token for cookie-authenticated writes. */
dh_status dh_app_login(dh_app *app, const char *login, const char *password, const char *ip,
                       time_t now, char **token, char **csrf, json_t **user, int *retry_after,
                       dh_err *e);
dh_status dh_app_logout(dh_app *app, const dh_actor *a, time_t now, dh_err *e);
/* Resolves a session or API token secret into an actor. */
dh_status dh_app_authenticate(dh_app *app, const char *secret, time_t now, dh_actor *out,
                              dh_err *e);
/* The CSRF token that belongs to a session secret (malloc'd hex). */
char *dh_app_csrf_for(const char *secret);
json_t *dh_app_actor_json(const dh_actor *a);

/* Creates a named API token for `login` (NULL = the actor), scoped to
 * `unit` (NULL = the user's unit). *secret is shown once (malloc'd). Only
 * a password session or the command line creates tokens: an actor that is
 * itself an API token is refused. */
dh_status dh_app_token_create(dh_app *app, const dh_actor *a, const char *login,
                              const char *name, const char *unit, time_t now, char **secret,
                              json_t **out, dh_err *e);
/* Revokes a token: the owner's session, an admin, or the token itself (a
 * token revokes no other token). */
dh_status dh_app_token_revoke(dh_app *app, const dh_actor *a, int64_t id, time_t now, dh_err *e);

/* ---- Audit. -------------------------------------------------------------- */
/* Records a refused attempt (its own transaction). */
void dh_app_audit_denied(dh_app *app, const dh_actor *a, const char *action, const char *entity,
                         const char *key, const char *unit_code, time_t now);
/* How many refusals the calling thread has recorded so far (a counter that
 * only grows): the server compares it around a handler so that a 403 that
 * no layer below recorded is recorded all the same. */
unsigned long dh_app_denials_recorded(void);
dh_status dh_app_audit_list(dh_app *app, const dh_actor *a, const dh_audit_filter *f,
                            time_t now, json_t **items, int64_t *next, dh_err *e);


/* ---- Working-time calendars (calendar.c). ---------------------------- */

#include "core/workcal.h"

typedef struct dh_calendar {
    char *name;
    char *label;
    dh_week week;
    dh_workcal *wc;
} dh_calendar;

typedef struct dh_unit_calendar {
    int64_t unit_id;
    dh_date from;
    int cal; /* index into cals */
} dh_unit_calendar;

/* An immutable snapshot of every calendar and the schedule entries, shared
 * by readers (acquire/release); or the built-in set when there is no database. */
typedef struct dh_calset {
    dh_calendar *cals;
    size_t ncals;
    dh_sched_entry *entries; /* sorted by date; strings owned */
    size_t nentries;
    dh_unit_calendar *assign; /* sorted by unit, then date */
    size_t nassign;
    void *owner; /* the shared snapshot holding it; NULL for the built-in set */
} dh_calset;

/* The built-in set: calendar "default" and the embedded schedules. Built
 * once, never freed. NULL only if the embedded data is broken (e filled). */
const dh_calset *dh_calset_builtin(dh_err *e);
const dh_calset *dh_app_calendars_acquire(dh_app *app, dh_err *e);
void dh_app_calendars_release(dh_app *app, const dh_calset *s);
/* NULL when there is no such calendar. */
const dh_calendar *dh_calset_find(const dh_calset *s, const char *name);
/* The calendar of unit (registry index) on date d: its own assignment in
 * force, else its nearest ancestor's, else "default". */
const dh_calendar *dh_calset_for_unit(const dh_calset *s, const dh_unitreg *r, int32_t unit,
                                      dh_date d);

/* Answers shared by the command line and the API (new references). */
json_t *dh_calendar_json(const dh_calendar *c);
/* {"year","calendar","law","days_off":[..],"make_up_working_days":[..]};
 * DH_E_INVALID for a year outside 2013..2199. */
dh_status dh_calendar_holidays(const dh_calset *s, const dh_calendar *c, int year, json_t **out,
                               dh_err *e);
/* Writes the year's schedule entries and generated days as CSV
 * (date,type,kind,name,source,confirmed) or iCalendar. */
dh_status dh_calendar_export(const dh_calset *s, int year, bool ics, FILE *f, time_t now,
                             dh_err *e);
/* start: "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM" (local); n >= 0 working days
 * (hours = false) or hours; cutoff "HH:MM" or NULL. field names the
 * offending input in errors ("start", "days", "hours", "cutoff"). */
dh_status dh_calendar_add(const dh_calendar *c, const char *start, const char *n, bool hours,
                          const char *cutoff, json_t **out, dh_err *e);
dh_status dh_calendar_between(const dh_calendar *c, const char *from, const char *to,
                              json_t **out, dh_err *e);

/* Admin writes, audited. Bodies:
 *   calendar: {"name","label","hours":{"mon":"07:30-11:30,13:30-17:00",..,"sun":""}}
 *   schedule entry: {"date","type":"off"|"work","kind"?,"name","source"?,"confirmed"?}
 *   (one entry, or {"entries":[...]} taken all or nothing)
 *   unit calendar: {"calendar","from"} */
dh_status dh_app_calendar_put(dh_app *app, const dh_actor *a, const char *name, json_t *body,
                              bool create, time_t now, json_t **out, dh_err *e);
dh_status dh_app_sched_add(dh_app *app, const dh_actor *a, json_t *body, time_t now,
                           json_t **out, dh_err *e);
dh_status dh_app_sched_patch(dh_app *app, const dh_actor *a, int64_t id, json_t *body,
                             time_t now, json_t **out, dh_err *e);
dh_status dh_app_sched_delete(dh_app *app, const dh_actor *a, int64_t id, time_t now,
                              dh_err *e);
/* Imports CSV (header date,type,kind,name,source,confirmed) or .ics (by the
 * name's extension) all or nothing; *taken set on success. */
dh_status dh_app_sched_import(dh_app *app, const dh_actor *a, const char *text, size_t len,
                              const char *name, time_t now, int *taken, dh_err *e);
dh_status dh_app_unit_calendar_set(dh_app *app, const dh_actor *a, const char *code,
                                   json_t *body, time_t now, json_t **out, dh_err *e);
json_t *dh_sched_entry_json(const dh_sched_entry *x);


/* ---- The procedure catalogue (procedures.c). ------------------------ */

#include "core/dossier.h"

typedef struct dh_proc {
    char *code;
    dh_date valid_from;
    char *name, *field, *level;
    dh_time_limit limit; /* duration, unit, cut-off */
    char online_level[8];
    bool fee_bearing, paper_result;
    char cutoff[6]; /* "" or "HH:MM" */
} dh_proc;

/* Every version, sorted by code then valid_from; shared like the units. */
typedef struct dh_procset {
    dh_proc *v;
    size_t n;
    void *owner; /* the shared snapshot holding it */
} dh_procset;

const dh_procset *dh_app_procedures_acquire(dh_app *app, dh_err *e);
void dh_app_procedures_release(dh_app *app, const dh_procset *s);
/* The version of code in force on d, or NULL. */
const dh_proc *dh_procset_at(const dh_procset *s, const char *code, dh_date d);
/* Whether s->v[i] is the version of its code in force on d. */
bool dh_procset_in_force(const dh_procset *s, size_t i, dh_date d);
json_t *dh_proc_json(const dh_proc *p);
/* Imports CSV (header code,name,field,level,duration,duration_unit,
 * online_level,fee_bearing,paper_result,cutoff_time[,valid_from]); all or
 * nothing unless partial. Admins only. */
dh_status dh_app_procedure_import(dh_app *app, const dh_actor *a, FILE *f, const char *name,
                                  bool partial, time_t now, dh_import_report *rep, dh_err *e);
/* One procedure (an object with the CSV's fields, booleans as JSON) or
 * {"procedures":[...]}, all or nothing. Admins only. */
dh_status dh_app_procedure_create(dh_app *app, const dh_actor *a, json_t *body, time_t now,
                                  json_t **out, dh_err *e);


/* ---- Dossiers (dossiers.c). ------------------------------------------ */

typedef struct dh_ingest_report {
    int accepted, duplicates, refused;
    int dossiers;      /* dossiers recomputed */
    json_t *results;   /* [{"index","status":"accepted|duplicate|refused","error"?}] */
} dh_ingest_report;

/* Ingests events (a JSON array of event objects). All or nothing unless
 * partial; with partial every bad event is refused alone and reported.
 * `line0`: when the events came from a file, the line of events[0] minus
 * one, else -1 (messages then say "event N"). The caller frees
 * rep->results. */
dh_status dh_app_dossier_ingest(dh_app *app, const dh_actor *a, json_t *events, bool partial,
                                const char *name, const long *lines, time_t now,
                                dh_ingest_report *rep, dh_err *e);
/* The same, streamed: begin a transaction, add chunks (index0: the index
 * of the chunk's first event in the whole input; lines index the chunk),
 * then end (commits when keep and nothing was refused in all-or-nothing
 * mode). rep must start zeroed with rep->results an array. */
/* Loads the readers' copy of the service aggregates now rather than on the
 * first query (the server calls it in the background when it starts). */
void dh_app_aggregates_warm(dh_app *app);

/* Saves the readers' copy of the service aggregates as the database's
 * snapshot (aggsnap.c) when due: at least min_cells cells, and a tenth of
 * the copy, read from the cells since it was last saved or loaded from a
 * snapshot. *saved: whether a new snapshot is now the one named. */
dh_status dh_agg_snapshot_save(dh_app *app, int64_t min_cells, bool *saved, dh_err *e);
/* The server's job: dh_agg_snapshot_save with
 * DIEUHANH_AGG_SNAPSHOT_MIN_CELLS (100000), failures logged. */
void dh_agg_snapshot_tick(dh_app *app, time_t now);

/* Recomputes every dossier's row and fact from its events and the
 * aggregates from the facts, in one transaction (dieuhanh rebuild; also run
 * once after the upgrade that adds the aggregates). Admins only at the
 * callers. progress, if not NULL, is called every 10,000 dossiers with total
 * -1 (the codes are read a page at a time: the total is not known before the
 * end), and once at the end with done == total. */
dh_status dh_app_rebuild(dh_app *app, const dh_actor *a, time_t now,
                         void (*progress)(long done, long total, void *closure), void *closure,
                         long *ndossiers, dh_err *e);

/* A streaming ingestion (a file read in chunks) in one all-or-nothing
 * transaction through the runner: src is called for each attempt with rep
 * reset, reads its input from the start and hands it over in chunks with
 * dh_ingest_add (with a name, a file's: rep->results then gets only the refusals);
 * a retry (the database was busy) calls it again, so src
 * must be able to start over (rewind its file). A refusal that src returns,
 * or the first refused event when not partial, rolls everything back. */
typedef struct dh_ingest dh_ingest;
typedef dh_status (*dh_ingest_source)(dh_ingest *g, void *closure, dh_ingest_report *rep,
                                      dh_err *e);
/* bulk: the events may be millions (a file): one bulk transaction
 * (DH_TX_BULK, store.h begin_bulk). */
dh_status dh_app_ingest_run(dh_app *app, const dh_actor *a, bool partial, bool bulk, time_t now,
                            dh_ingest_source src, void *closure, dh_ingest_report *rep,
                            dh_err *e);
dh_status dh_ingest_add(dh_ingest *g, json_t *events, const char *name, const long *lines,
                        size_t index0, dh_ingest_report *rep, dh_err *e);
/* dh_ingest_add in two steps, so that a reader thread may prepare the next
 * chunk while the runner's thread adds this one. dh_ingest_prepare judges
 * each event on its own (its fields, the registry, the catalogue, the
 * actor, its canonical body): it touches no store and nothing that
 * dh_ingest_add_prepared changes, so it may run on another thread while
 * the runner's thread adds. The result holds a reference to events (whose
 * strings it borrows) and is the caller's, freed by dh_ingest_prep_free.
 * dh_ingest_add_prepared reports the refusals found while preparing and
 * does the rest, with the same arguments as dh_ingest_add. */
typedef struct dh_ingest_prep dh_ingest_prep;
dh_ingest_prep *dh_ingest_prepare(const dh_ingest *g, json_t *events);
dh_status dh_ingest_add_prepared(dh_ingest *g, const dh_ingest_prep *p, const char *name,
                                 const long *lines, size_t index0, dh_ingest_report *rep,
                                 dh_err *e);
void dh_ingest_prep_free(dh_ingest_prep *p);

/* The dossier with its events; DH_E_NOTFOUND, or DH_E_FORBIDDEN outside
 * the actor's scope. public_view: only what the public lookup may show. */
dh_status dh_app_dossier_get(dh_app *app, const dh_actor *a, const char *code, bool public_view,
                             time_t now, json_t **out, dh_err *e);

typedef struct dh_dossier_query {
    const char *unit; /* NULL: the actor's unit (admins: all) */
    bool subtree;
    const char *state, *procedure, *q;
    time_t from, to;
    int64_t offset;
    int limit;
    const char *channel; /* counter|online|postal, or NULL */
    const char *field;   /* a field (lĩnh vực) of the catalogue, or NULL */
    const char *cursor;  /* a next_cursor of an earlier page (then offset is ignored), or NULL */
} dh_dossier_query;
dh_status dh_app_dossier_list(dh_app *app, const dh_actor *a, const dh_dossier_query *q,
                              time_t now, json_t **items, bool *more, dh_err *e);
/* The same, with the opaque cursor of the next page in *next (malloc'd;
 * NULL when this page is the last). A cursor that is not one of ours is
 * DH_E_INVALID (invalid_cursor). Pages by cursor read an index range from
 * the cursor on: as fast deep in the list as at its start. */
dh_status dh_app_dossier_page(dh_app *app, const dh_actor *a, const dh_dossier_query *q,
                              time_t now, json_t **items, char **next, dh_err *e);
/* How many dossiers the list of q holds, counted up to cap: *n exact when
 * *n <= cap, else *n = cap + 1 ("more than cap"). */
dh_status dh_app_dossier_count(dh_app *app, const dh_actor *a, const dh_dossier_query *q,
                               time_t now, int64_t cap, int64_t *n, dh_err *e);
/* The dossiers of unit's subtree overdue at the end of local day d,
 * replayed at that instant; most overdue first. */
dh_status dh_app_dossier_late(dh_app *app, const dh_actor *a, const char *unit, dh_date d,
                              json_t **items, dh_err *e);
/* The same at instant `at` (the daily late-dossier report's hour). */
dh_status dh_app_dossier_late_at(dh_app *app, const dh_actor *a, const char *unit, time_t at,
                                 json_t **items, dh_err *e);


/* ---- Indicators, values, targets and report obligations (indicators.c,
 * ivalues.c, targets.c, obligations.c; docs/INDICATORS.md). -------------
 * JSON forms: an indicator {code, name, uom, direction (higher|lower),
 * aggregation (sum|ratio|mean|latest|max), source (reported|computed|
 * pushed), period_type (core/indicator.h), freshness, formula, note}; a
 * value {indicator, unit, period, period_from, period_to, value, numerator,
 * denominator, source, id, at, received_at, entered_by}; a target {id,
 * indicator, unit, value, due, milestones:[{date,value}], split_of, plan,
 * task_id, task_ref, name, note, status, status_label (Vietnamese), since,
 * actual, actual_period, gap, met, projection, method, fit_points, slope,
 * missed_milestone, series:[{period,value}] (detailed)}. Reads are open to
 * every signed-in user for indicators and targets in their scope; writes
 * are checked against the unit tree and audited. */

/* An indicator (create, or update when the code exists). Admins and
 * officers. */
dh_status dh_app_indicator_put(dh_app *app, const dh_actor *a, json_t *body, time_t now,
                               json_t **out, dh_err *e);
dh_status dh_app_indicator_list(dh_app *app, const dh_actor *a, json_t **items, dh_err *e);
/* Imports indicators from CSV (header code,name,uom,direction,aggregation,
 * source,period_type,freshness,formula,note): all or nothing, every bad
 * row reported as FILE:LINE. */
dh_status dh_app_indicator_import(dh_app *app, const dh_actor *a, FILE *f, const char *name,
                                  time_t now, dh_import_report *rep, dh_err *e);

/* Takes a batch of values (a JSON array of {indicator, unit, period | at,
 * value, numerator?, denominator?, source, id}) all or nothing: the first
 * bad value refuses the batch, its index in the message ("values[3]: ...")
 * and field. (source, id) seen with the same content is a duplicate
 * (skipped), with other content DH_E_CONFLICT duplicate_id; a value for an
 * approved period DH_E_CONFLICT period_locked; a unit outside the actor's
 * submit scope DH_E_FORBIDDEN (audited). A new id for a period that has a
 * value replaces it (the old one is kept in the history). One audit row
 * per batch. *out {accepted, duplicates, replaced}. */
dh_status dh_app_values_put(dh_app *app, const dh_actor *a, json_t *values, time_t now,
                            json_t **out, dh_err *e);
/* The same from a CSV or XLSX file (by content; header indicator,unit,
 * period,value,numerator,denominator,source,id; `at` may replace period):
 * every bad line reported as FILE:LINE: reason, nothing taken unless all
 * are good. */
dh_status dh_app_values_import(dh_app *app, const dh_actor *a, const char *data, size_t len,
                               const char *name, time_t now, dh_import_report *rep,
                               json_t **out, dh_err *e);
typedef struct dh_value_query {
    const char *indicator; /* code, or NULL for all */
    const char *unit;      /* NULL: the actor's unit (admins: all) */
    bool subtree;
    dh_date from, to; /* DH_DATE_NONE: open */
    int64_t offset;
    int limit;
} dh_value_query;
dh_status dh_app_values_list(dh_app *app, const dh_actor *a, const dh_value_query *q, time_t now,
                             json_t **items, bool *more, dh_err *e);

/* A target: body {indicator, unit, value, due?, milestones?:[{date,value}]
 * or "2024-09-30:65;2024-10-31:70", split_of? (target id, or
 * "indicator/unit"), plan?, task_id?, task_ref?, name?, note?, key?
 * (idempotent: the same key updates)}. Officers over the unit, admins.
 * *out is the target with "warnings": [{code, message}] (a split whose
 * parts do not add up to the whole gives split_mismatch with the
 * numbers). */
dh_status dh_app_target_put(dh_app *app, const dh_actor *a, json_t *body, time_t now,
                            json_t **out, dh_err *e);
typedef struct dh_target_query {
    const char *unit; /* NULL: the actor's unit (admins: all) */
    bool subtree;
    const char *status;    /* on_track|at_risk|off_track|no_data or NULL */
    const char *indicator; /* code or NULL */
    dh_date as_of;         /* DH_DATE_NONE: today (precomputed, fast) */
    int64_t offset;
    int limit; /* 0: all */
    bool detailed; /* with each target's series */
} dh_target_query;
/* Targets with their status: {as_of, counts:{status:n}, total, items:[..],
 * more, split_warnings:[..]}; worst first. Statuses for today are kept
 * derived (recomputed when values arrive or the day changes); another
 * as_of is computed on the fly. */
dh_status dh_app_target_status(dh_app *app, const dh_actor *a, const dh_target_query *q,
                               time_t now, json_t **out, dh_err *e);
/* Recomputes the series of targets whose values changed and the statuses
 * of the day (done by dh_app_target_status when needed). */
dh_status dh_app_targets_refresh(dh_app *app, time_t now, int *recomputed, dh_err *e);

/* A report obligation: body {code, name, indicators:[codes], period_type,
 * due_rule ("next_month_day:10", "days_after_end:N", "yearly:12-15"),
 * window_days?, approval?, units?:[codes], unit_rule? ("parent=CODE
 * kind=commune|district")}. Admins and officers. */
dh_status dh_app_obligation_put(dh_app *app, const dh_actor *a, json_t *body, time_t now,
                                json_t **out, dh_err *e);
dh_status dh_app_obligation_list(dh_app *app, const dh_actor *a, json_t **items, dh_err *e);
/* Approves (and so locks) a unit's values for an obligation and period:
 * leaders, officers and admins with write access to the unit's parent. */
dh_status dh_app_obligation_approve(dh_app *app, const dh_actor *a, const char *obligation,
                                    const char *unit, const char *period, time_t now,
                                    json_t **out, dh_err *e);
/* Completeness and timeliness of an obligation for a period: {obligation,
 * period, period_from, period_to, due, expected, received, on_time, late,
 * missing, completeness_rate, on_time_rate, units:[{unit, name, state
 * (on_time|late|partial|missing), received_at, values, approved}],
 * not_expected:[{unit, reason}]}. The units expected are those valid on
 * the period's last day; rates are of the expected units (never above
 * 100%). obligation: id or code. */
dh_status dh_app_completeness(dh_app *app, const dh_actor *a, const char *obligation,
                              const char *period, time_t now, json_t **out, dh_err *e);
/* The freshness of the sources (docs/INDICATORS.md): for every pushed or
 * reported indicator, {indicator, name, source, freshness, last_value_at,
 * last_period, due, late, late_by_days} judged at `now` on the values of
 * unit and its subtree (NULL: the actor's unit; admins: every unit), the
 * late first: {as_of, late, items}. A rule that cannot be read gives
 * "rule_error" and is not judged; an empty rule is not judged. */
dh_status dh_app_sources_freshness(dh_app *app, const dh_actor *a, const char *unit, time_t now,
                                   json_t **out, dh_err *e);
/* The demo: indicators, every target of data/plans/targets.csv, the 5G
 * and online-by-applicant values of July-December 2024, the telecom
 * operators' monthly obligation. */
dh_status dh_app_indicators_demo(dh_app *app, const dh_actor *a, time_t now, json_t **summary,
                                 dh_err *e);

/* ---- The apology letter (letter.c). ---------------------------------- */

/* The letter's fields for a late or extended dossier (DH_E_CONFLICT when
 * it is neither), with the form in force on the letter's date. */
dh_status dh_app_letter(dh_app *app, const dh_actor *a, const char *code, time_t now,
                        json_t **out, dh_err *e);
/* Printable HTML (malloc'd, every value escaped). link_css: the style is
 * a link to the server's /static/doc.css (pages it serves); else inline,
 * for a file opened without the server (dh_html_doc_style). */
char *dh_letter_html(const json_t *letter, bool link_css);
/* A4 PDF in memory (*pdf malloc'd). */
dh_status dh_letter_pdf(const json_t *letter, char **pdf, size_t *len, dh_err *e);


/* ---- Reports (reports.c). --------------------------------------------- */

/* Biểu II.06a for unit and its subtree over [from, to] (local dates,
 * inclusive): {"unit","from","to","rows":[{"field",<counts>}],"total":{..}};
 * every dossier replayed as it stood at the end of `to`; the identities
 * are checked (DH_E_INTERNAL if they fail). */
/* flags for the reports and KPIs: recount by replaying every dossier
 * instead of reading the aggregates (the reference, slow); roll closed
 * units up into the units open today instead of showing them as they were. */
enum { DH_KPI_EXACT = 1, DH_KPI_TODAY_UNITS = 2 };
dh_status dh_app_report_ii06a(dh_app *app, const dh_actor *a, const char *unit, dh_date from,
                              dh_date to, unsigned flags, time_t now, json_t **out, dh_err *e);
/* The same as CSV (Vietnamese headers, a total row) and as HTML (escaped;
 * link_css as for dh_letter_html); malloc'd. */
char *dh_report_ii06a_csv(const json_t *report);
/* Adds the form's "header" to a report for the printed forms (XLSX, PDF):
 * {"reporting_unit","receiving_unit" (the parent; the Government Office for
 * a province),"place","date" ("ngày dd tháng mm năm yyyy", today)}. */
void dh_app_ii06a_header(dh_app *app, json_t *report, time_t now);
char *dh_report_ii06a_html(const json_t *report, const char *unit_name, bool link_css);
/* The same as a PDF (A4 landscape, cairo + pango): malloc'd bytes in *out. */
dh_status dh_report_ii06a_pdf(const json_t *report, const char *unit_name, char **out,
                              size_t *len, dh_err *e);
/* KPIs of unit (and its subtree) over [from, to], grouped by "unit",
 * "procedure", "field", "month" or nothing (NULL); rates in percent with
 * two decimals, null when the denominator is 0 (docs/KPIS.md). */
dh_status dh_app_kpis(dh_app *app, const dh_actor *a, const char *unit, bool subtree,
                      dh_date from, dh_date to, const char *group_by, unsigned flags, time_t now,
                      json_t **out, dh_err *e);
/* Fully online services (fullonline.c, core/fullonline.h; issue 19): of
 * the procedures unit offers on `to` and of the dossiers its subtree
 * received over [from, to]: {"unit","from","to","procedures",
 * "full_online_procedures","full_online_procedure_rate","dossiers",
 * "full_online_dossiers","full_online_dossier_rate"} (rates in percent
 * with two decimals, null when nothing to divide by). */
dh_status dh_app_full_online(dh_app *app, const dh_actor *a, const char *unit, dh_date from,
                             dh_date to, time_t now, json_t **out, dh_err *e);
/* The same for the dossiers of one procedure and/or one field (NULL: any;
 * an unknown one is DH_E_INVALID). */
dh_status dh_app_kpis_filtered(dh_app *app, const dh_actor *a, const char *unit, bool subtree,
                               const char *procedure, const char *field, dh_date from,
                               dh_date to, const char *group_by, unsigned flags, time_t now,
                               json_t **out, dh_err *e);
/* dh_app_kpis_filtered's document written as JSON text at the end of text
 * (an object: its last byte is the closing brace): the API's reply, the
 * same members and values without building a tree per row (a
 * mega-province's overview by unit has over a thousand rows). On an error
 * what text holds is to be thrown away. */
struct dh_buf;
dh_status dh_app_kpis_text(dh_app *app, const dh_actor *a, const char *unit, bool subtree,
                           const char *procedure, const char *field, dh_date from, dh_date to,
                           const char *group_by, unsigned flags, time_t now,
                           struct dh_buf *text, dh_err *e);
/* Trends of the KPIs from the aggregates (issue 20, core/trend.h): for
 * unit (with its subtree when asked) and the dossiers of a procedure /
 * field (NULL: any), either the months, quarters or years (by: "month",
 * "quarter", "year"; NULL: month) of [from, to] (both 0: the ten years
 * ending with the current month), or, when `same` is given ("2026-Q3",
 * "2026-07"), that quarter or month of each of `years` years (0: 11)
 * ending with its year. {"unit","subtree","by","same"?,"from","to",
 * "items":[{"key","from","to","received","received_online","resolved",
 * "resolved_in_time","late","on_time_rate","online_rate"}]} (received:
 * new in the bucket; rates in percent, null when nothing to divide). */
typedef struct dh_trend_query {
    const char *unit;
    bool subtree;
    const char *procedure, *field;
    const char *by;
    dh_date from, to;
    const char *same;
    int years;
} dh_trend_query;
dh_status dh_app_kpi_trend(dh_app *app, const dh_actor *a, const dh_trend_query *q, time_t now,
                           json_t **out, dh_err *e);
/* The Decision 766 service index of a unit with its subtree for [from, to]
 * (period: the label given, or NULL): every indicator of the configuration
 * version in force on `to` with numerator, denominator, rate and points (or
 * N/A and why), group scores, the total, and the ranking of the unit's
 * siblings (those handling fewer dossiers than the minimum volume are
 * listed, not ranked). docs/KPIS.md. */
dh_status dh_app_index766(dh_app *app, const dh_actor *a, const char *unit, dh_date from,
                          dh_date to, const char *period, time_t now, json_t **out, dh_err *e);
/* Enters the value (a percentage) of an indicator the dossiers cannot
 * give, for a unit and period; admins and leaders in scope; audited. */
dh_status dh_app_index766_set(dh_app *app, const dh_actor *a, const char *unit, dh_date from,
                              dh_date to, const char *code, double value, const char *note,
                              time_t now, dh_err *e);
/* Every configuration row (all versions), as a JSON array. */
dh_status dh_app_index766_config(dh_app *app, json_t **out, dh_err *e);
/* Adds configuration versions from CSV (version,valid_from,ord,group_code,
 * group_name,code,name,max_points,threshold,formula); all or nothing; each
 * version's points must add up to 100. Admins only. */
dh_status dh_app_index766_config_import(dh_app *app, const dh_actor *a, FILE *f, const char *name,
                                        time_t now, dh_import_report *rep, dh_err *e);

/* The name of unit `code` on date d (the code itself when unknown). */
void dh_app_unit_name(dh_app *app, const char *code, dh_date d, char *out, size_t cap);
/* the same from a registry the caller holds (NULL: the code) */
void dh_app_unit_name_in(const dh_unitreg *r, const char *code, dh_date d, char *out, size_t cap);
/* The same as an XLSX workbook in memory (*out malloc'd). */
dh_status dh_report_ii06a_xlsx(const json_t *report, const char *unit_name, char **out,
                               size_t *len, dh_err *e);

/* ---- Plans, tasks, progress and directives (plans.c, tasks.c,
 * planimport.c, reminders.c; docs/PLANS.md). ------------------------------
 * Every answer is JSON in the API's form: a plan {id, key, number, type,
 * date, issuer, title, period_from, period_to, status, implements:[{id,key,
 * number}], cites, implemented_by, document_file, tasks, by_status:{state:
 * count}, progress, needs_review}; a task {id, plan:{id,key,number,issuer}|
 * null, kind (task|directive), ordinal, group, content, lead:[codes],
 * coordinating:[codes], lead_text, coordinating_text, expected_result,
 * deadline:{text, kind, start, due, needs_review}, roadmap, milestones:
 * [{from,due,text}], implements_task, target:{value,unit_of_measure}|null,
 * report:{every,day}, source (directives), status:{state, reason, explain,
 * days, ...}, percent, last_report, occurrences (recurring), rollup:
 * {implementing, percent}|null, updates (detailed) or updates_count}.
 * Statuses are derived on `now` (core/taskstatus.h). Reads are open to
 * every signed-in user (plans are public documents inside the system);
 * writes are checked against the unit tree and audited. */

/* A plan: body {number | key, type, date, issuer, title, period_from,
 * period_to, status, implements:[number|key...], document_file, note}.
 * "implements" entries naming plans held here become parents (a cycle is
 * DH_E_CONFLICT plan_cycle), the others are kept as citations. Officers
 * and admins with write access to the issuer. */
dh_status dh_app_plan_create(dh_app *app, const dh_actor *a, json_t *body, time_t now,
                             json_t **out, dh_err *e);
/* Changes the given fields of plan `ref` (id, key or number). */
dh_status dh_app_plan_patch(dh_app *app, const dh_actor *a, const char *ref, json_t *body,
                            time_t now, json_t **out, dh_err *e);
/* Every plan with its task counts by status (array). */
dh_status dh_app_plan_list(dh_app *app, const dh_actor *a, time_t now, json_t **items,
                           dh_err *e);
/* One plan with "task_list": its tasks in order. DH_E_NOTFOUND. */
dh_status dh_app_plan_get(dh_app *app, const dh_actor *a, const char *ref, time_t now,
                          json_t **out, dh_err *e);
/* The tasks of plan `ref` led by `unit`, each covered when a task of a plan
 * issued by the unit implements it: {plan, unit, assigned, covered_count,
 * rate, covered:[..], uncovered:[..]}; every entry has its roll-up. */
dh_status dh_app_plan_coverage(dh_app *app, const dh_actor *a, const char *ref,
                               const char *unit, time_t now, json_t **out, dh_err *e);

/* Stores a file (a plan's document, an update's evidence): at most 20 MB,
 * PDF, DOCX, DOC, XLSX, ODT or UTF-8 .txt judged by its bytes; anything
 * else DH_E_INVALID unsupported_type, larger DH_E_TOOLARGE. *out {id, name,
 * type, size, sha256}. */
dh_status dh_app_file_put(dh_app *app, const dh_actor *a, const char *name, const void *data,
                          size_t len, time_t now, json_t **out, dh_err *e);
/* A file's metadata and (when data is not NULL) its bytes (malloc'd).
 * Readable by admins, its uploader, and (once attached) whoever may read the
 * plan or task it is attached to; anyone else gets DH_E_NOTFOUND, as for a
 * missing file, and the refusal is audited. New files get random ids. */
dh_status dh_app_file_get(dh_app *app, const dh_actor *a, int64_t id, bool with_data,
                          time_t now, json_t **meta, char **data, size_t *len, dh_err *e);

/* A task of a plan: body {plan, ordinal, group, content, lead:[codes],
 * coordinating, lead_text, coordinating_text, expected_result, deadline
 * (text as written), due (a date set by a person when the text gives
 * none), roadmap, implements_task (id of a task in a plan above), target,
 * note, report:{every,day}}. Write access to the plan's issuer. */
dh_status dh_app_task_create(dh_app *app, const dh_actor *a, json_t *body, time_t now,
                             json_t **out, dh_err *e);
dh_status dh_app_task_patch(dh_app *app, const dh_actor *a, int64_t id, json_t *body,
                            time_t now, json_t **out, dh_err *e);
/* One task with its updates and the tasks implementing it. */
dh_status dh_app_task_get(dh_app *app, const dh_actor *a, int64_t id, time_t now, json_t **out,
                          dh_err *e);

typedef struct dh_task_query {
    const char *unit;    /* lead unit code, or NULL for all */
    bool subtree;        /* also tasks led by units below it */
    bool coordinating;   /* also tasks it coordinates */
    const char *status;  /* comma-separated states, or NULL */
    dh_date due_before;  /* due (current occurrence) before this day; DH_DATE_NONE: any */
    const char *plan;    /* id, key or number, or NULL */
    const char *kind;    /* "task", "directive" or NULL */
    bool needs_review;   /* only deadlines flagged for a person */
    bool needs_owner;    /* only plan tasks whose lead could not be resolved (issue 19) */
} dh_task_query;
dh_status dh_app_task_list(dh_app *app, const dh_actor *a, const dh_task_query *q, time_t now,
                           json_t **items, dh_err *e);
/* The same, only the first `limit` tasks as JSON (their status computed
 * for every match: the documents are the cost), and with counts (NULL: not
 * wanted; else DH_TS_COUNT entries) the matching tasks by state. */
dh_status dh_app_task_list_top(dh_app *app, const dh_actor *a, const dh_task_query *q,
                               time_t now, size_t limit, size_t *counts, json_t **items,
                               dh_err *e);

/* A progress update by the lead unit or a comment by a lead or coordinating
 * unit: body {kind: progress|comment, text, percent 0..100, done, date (not
 * after today), occurrence (recurring), evidence:[file ids], unit (when the
 * actor acts for a unit below theirs)}. Anyone else DH_E_FORBIDDEN
 * (audited). *out {update, task}. */
dh_status dh_app_task_update(dh_app *app, const dh_actor *a, int64_t id, json_t *body,
                             time_t now, json_t **out, dh_err *e);

/* A directive (chỉ đạo): body {source: {kind: dossiers, unit, filter:
 * {state, procedure}} | {kind: task, task: id} | {kind: unit, unit},
 * assignee (unit code), deadline (YYYY-MM-DD), content, coordinating,
 * report, note}: a task without a plan led by the assignee; the late
 * dossiers' codes are recorded in its source. Admins, leaders over their
 * subtree, officers with write access. */
dh_status dh_app_directive_create(dh_app *app, const dh_actor *a, json_t *body, time_t now,
                                  json_t **out, dh_err *e);

/* The reminders of a unit (default: the actor's; admins may ask for all
 * with NULL), newest first, ids below `before` (0: from the newest). */
dh_status dh_app_inbox(dh_app *app, const dh_actor *a, const char *unit, int64_t before,
                       int limit, time_t now, json_t **items, int64_t *next, dh_err *e);

/* The daily reminders: per lead unit, tasks due within 7 days, overdue
 * tasks and missed reports, into the inbox, and by e-mail to the units'
 * contacts when DIEUHANH_SMTP_URL is set. Runs at most once per local day
 * (the day is kept in meta, so restarts do not repeat it) unless force.
 * *out {ran, day, rows, mailed, mail_errors}. */
dh_status dh_app_reminders_run(dh_app *app, time_t now, bool force, json_t **out, dh_err *e);
/* Sets (email non-empty) or removes a unit's reminder address. Admins. */
dh_status dh_app_contact_set(dh_app *app, const dh_actor *a, const char *unit,
                             const char *email, time_t now, dh_err *e);
/* The reminders as the server's job runs them (dh_job_start; every
 * DIEUHANH_REMINDER_INTERVAL seconds, default 300): errors and runs logged
 * to standard error. */
void dh_reminders_tick(dh_app *app, time_t now);
/* Sends one e-mail through DIEUHANH_SMTP_URL (reminders.c); 0 or why in err. */
int dh_mail_send(const char *url, const char *from, const char *to, const char *subject,
                 const char *body, char *err, size_t errcap);

/* ---- The daily late-dossier report (latedaily.c, issue 19). ------------ */

/* Reports, for local day `day`, each unit's overdue dossiers (as of the
 * report hour, DIEUHANH_LATE_REPORT_AT, default 16:30) to its parent unit:
 * one stored report per unit with overdue dossiers whose calendar makes
 * `day` a working day, then an e-mail per parent with a contact. A day is
 * reported once (meta "late_daily:DAY", written with the reports), unless
 * `force` (which mails the day's reports again but never rewrites a stored
 * one; the mail carries what is computed now). *out:
 * {"ran","day","reports","mailed","mail_errors"}. */
dh_status dh_app_late_daily_run(dh_app *app, dh_date day, time_t now, bool force, json_t **out,
                                dh_err *e);
/* What unit reported on day and what its units reported to it, and the
 * history of what they reported (newest first, at most 200 lines):
 * {"unit","date","reported","report":{..}|null,"received":[..],"history":[..]}. */
dh_status dh_app_late_daily(dh_app *app, const dh_actor *a, const char *unit, dh_date day,
                            time_t now, json_t **out, dh_err *e);
/* The report hour, minutes after local midnight (DIEUHANH_LATE_REPORT_AT). */
int dh_late_daily_minute(void);
/* The server's job: after the report hour of a day, that day's report. */
void dh_late_daily_tick(dh_app *app, time_t now);

/* ---- The register of 5G stations (stations.c, issue 19). --------------- */

/* planned 0, permitted 1, installed 2, on_air 3; -1 / "" otherwise. */
int dh_station_status_rank(const char *s);
const char *dh_station_status_name(int rank);
/* Imports status steps from CSV or XLSX (header site_code,operator,commune,
 * address,lat,long,technology,status,status_date,source; one row per step).
 * All-or-nothing unless partial: DH_E_INVALID for bad lines, DH_E_CONFLICT
 * when one is a site code with other content or a known step with another
 * date. *out (also on failure): {"accepted","duplicates","refused","errors":
 * [{"line","field","code","message"}]}. */
dh_status dh_app_station_import(dh_app *app, const dh_actor *a, const char *data, size_t len,
                                const char *name, bool partial, time_t now, json_t **out,
                                dh_err *e);
/* The same from {"stations":[{site_code, operator, ...}]} (lines: 1-based
 * indexes). */
dh_status dh_app_station_push(dh_app *app, const dh_actor *a, json_t *body, bool partial,
                              time_t now, json_t **out, dh_err *e);
/* The demo's 200 synthetic stations (Viettel 140 + VNPT 60, 70 in Vũng Tàu). */
dh_status dh_app_stations_demo(dh_app *app, const dh_actor *a, time_t now, json_t **out,
                               dh_err *e);
/* Stations at their latest step dated on or before as_of (DH_DATE_NONE:
 * today), of operator op (NULL: any) and in the subtree of unit by commune
 * or operator (NULL: all): {"as_of","planned","permitted","installed",
 * "on_air"} (+ "stations":[..] when list). */
dh_status dh_app_station_count(dh_app *app, const dh_actor *a, const char *op, const char *unit,
                               dh_date as_of, bool list, time_t now, json_t **out, dh_err *e);
/* The targets' statuses derived again when their inputs changed
 * (dh_app_targets_refresh), as the server's job (every
 * DIEUHANH_TARGETS_INTERVAL seconds, default 5), so that the overview
 * rarely waits for it. */
void dh_targets_tick(dh_app *app, time_t now);

/* ---- Background jobs (jobs.c). ------------------------------------------ */

/* A thread that calls fn(app) on start and then every `interval` seconds
 * until dh_job_stop, which waits for a run in progress (a long one stops
 * early once dh_app_request_stop was called). NULL if it cannot start.
 * Several nodes on one database run job `name` once per interval between
 * them: before each run the node claims the job's lease
 * (dh_app_job_claim), and runs it only when the claim succeeds. */
typedef struct dh_job dh_job;
/* now: the instant of the run (jobs.c reads the clock: it is the background
 * edge, as the HTTP server and the CLI are the others). */
typedef void (*dh_job_fn)(dh_app *app, time_t now);
dh_job *dh_job_start(dh_app *app, const char *name, dh_job_fn fn, int interval);
void dh_job_stop(dh_job *j);
/* The positive integer in environment variable `env`, else dflt. */
int dh_job_interval(const char *env, int dflt);
/* Claims job `name` for node `holder` at `now` when it is due (its last
 * claim at least `interval` seconds ago) and free (no holder, or the
 * holder's claim older than `ttl` seconds: a node that died mid-run), in a
 * transaction of the runner: of several nodes claiming at once, one gets
 * it. dh_app_job_done frees it after the run (*held false: the claim had
 * lapsed and another node took it). store/jobs.h. */
dh_status dh_app_job_claim(dh_app *app, const char *name, const char *holder, time_t now,
                           int interval, int ttl, bool *claimed, dh_err *e);
dh_status dh_app_job_done(dh_app *app, const char *name, const char *holder, time_t now,
                          bool *held, dh_err *e);
/* This process's name as a lease holder: "HOST:PID:START" (unique among
 * the nodes of a database as long as host names are). */
const char *dh_job_holder(void);
/* Asks long jobs to stop at their next safe point (the server is stopping). */
void dh_app_request_stop(dh_app *app);

/* Imports a plan's appendix (CSV or XLSX by content) into plan `ref`:
 * columns STT, Nội dung, Đơn vị chủ trì, Đơn vị phối hợp, Thời gian hoàn
 * thành, Ghi chú and optionally Nhóm, Lộ trình, Sản phẩm, Chỉ tiêu, Nhiệm vụ
 * cấp trên. Unit names are matched diacritic-insensitively to units and to
 * the collective names of data/plans/unit-names.csv; an unknown name is a
 * FILE:LINE error listing the closest candidates. All or nothing. */
dh_status dh_app_plan_import(dh_app *app, const dh_actor *a, const char *ref, const char *data,
                             size_t len, const char *name, time_t now, dh_import_report *rep,
                             dh_err *e);
/* Loads data/plans (the five seed plans, their tasks, targets) with
 * progress updates dated around `now` so that every status shows. */
dh_status dh_app_plans_demo(dh_app *app, const dh_actor *a, time_t now, json_t **summary,
                            dh_err *e);

/* ---- Moving a database (copy.c). ---------------------------------------- */

/* Copies every table of the database at `from` into the empty database at
 * `to` (any backends: sqlite:PATH, postgres://...), ids and counters kept,
 * in one transaction on the target, then checks the two: row counts per
 * table, the II.06a of every unit that has been a root and the targets'
 * statuses made from both and compared byte for byte. The source must have
 * this binary's latest schema; the target must be empty (no table, or only
 * what the migrations seed) and is migrated first. `progress` (may be NULL)
 * is called with done -1 when a table starts, then every 10,000 rows and
 * with done == total at its end. *r is filled
 * (free it with dh_copy_result_free) when DH_OK is returned; differences
 * found by the check are in r->differences, not an error. */
typedef struct dh_copy_table {
    char *name;
    int64_t source_rows, target_rows; /* target_rows -1: no such table */
} dh_copy_table;
typedef struct dh_copy_check {
    char *what; /* "II.06a BRVT 1991-10-12..2025-06-30", "target statuses" */
    bool same;
} dh_copy_check;
typedef struct dh_copy_result {
    int64_t rows; /* copied */
    dh_copy_table *tables;
    size_t ntables;
    dh_copy_check *checks;
    size_t nchecks;
    int differences; /* tables whose counts differ + checks that differ */
} dh_copy_result;
typedef void (*dh_copy_progress)(void *closure, const char *table, int64_t done, int64_t total);
dh_status dh_app_copy(const char *from, const char *to, time_t now, dh_copy_progress progress,
                      void *closure, dh_copy_result *r, dh_err *e);
void dh_copy_result_free(dh_copy_result *r);

/* ---- Backups and restores (backup.c, issue 18). ------------------------- */

/* Writes a consistent copy of the running database at db_url into the new
 * file out (store/backup.h: every commit acknowledged before the call is in
 * it; writers go on meanwhile); *bytes is its size. `progress` (may be
 * NULL) is called after each step. A backend with its own tools
 * (PostgreSQL) refuses with a message naming them. */
dh_status dh_app_backup(const char *db_url, const char *out, dh_backup_progress progress,
                        void *closure, int64_t *bytes, dh_err *e);
/* Replaces the database at db_url by the backup `file` after checking that
 * the file is a dieuhanh database whose schema this binary knows (a newer
 * one is refused: DH_E_VERSION). A target holding any table is refused
 * unless force. *version is the file's schema version (the next `init` or
 * `serve` migrates an older one). All of it or nothing. */
dh_status dh_app_restore(const char *file, const char *db_url, bool force,
                         dh_backup_progress progress, void *closure, int *version, dh_err *e);
/* ---- The digital-transformation index (dti.c, issue 16). --------------- */
/* Imports a framework (CSV or XLSX by content, header
 * code,parent,name,max_points,method,threshold,source[,responsible,note])
 * as framework `code` of `year` at `level` (province, department, district,
 * commune). Every bad row is reported (FILE:LINE: field: reason); the
 * structure (parents, maxima adding up, methods, sources) is checked whole.
 * All or nothing. Admins only. *out: {code,name,level,year,nodes,pillars,max}. */
dh_status dh_app_dti_framework_import(dh_app *app, const dh_actor *a, const char *data,
                                      size_t len, const char *name, const char *code,
                                      const char *title, const char *level, int year,
                                      time_t now, dh_import_report *rep, json_t **out,
                                      dh_err *e);
/* Imports published results (header unit,criterion,points[,value,note]; a
 * row whose criterion is TOTAL is the printed total) for framework `code`
 * of `year`: one published assessment per unit, disagreements kept with
 * warnings naming both numbers and the row. All or nothing unless partial
 * (then bad rows and refused units are skipped, and reported). *out:
 * {framework,year,units:[{unit,total,printed_total,warnings,rows}],rows,
 * refused,warnings}. */
dh_status dh_app_dti_results_import(dh_app *app, const dh_actor *a, const char *data, size_t len,
                                    const char *name, const char *framework, int year,
                                    bool partial, time_t now, dh_import_report *rep,
                                    json_t **out, dh_err *e);
/* A unit's scorecard: {unit,framework,year,status,total,max,rank,of,
 * pillars:[{code,name,points,max,share[,previous,change]}],
 * lost:[{code,name,pillar,lost[,responsible]}],warnings:[{code,line,printed,
 * computed,message}],printed_total,kpis,notes,revision,name,...}. */
dh_status dh_app_dti_score(dh_app *app, const dh_actor *a, const char *unit,
                           const char *framework, int year, time_t now, json_t **out, dh_err *e);
/* The ranking of a framework's year: {framework,name,year,max,
 * items:[{unit,name,total,rank,printed_total,status,warnings}]} by rank. */
dh_status dh_app_dti_rank(dh_app *app, const dh_actor *a, const char *framework, int year,
                          time_t now, json_t **out, dh_err *e);
/* Every framework: {items:[{code,name,level,year}]}, latest year first. */
dh_status dh_app_dti_frameworks(dh_app *app, const dh_actor *a, json_t **out, dh_err *e);

/* The assessment workflow (dtiflow.c): self_assessment -> submitted ->
 * appraisal -> published, every step audited. Create: the unit's side
 * (write access to the unit); 409 assessment_exists when there is one. */
dh_status dh_app_dti_assessment_create(dh_app *app, const dh_actor *a, const char *unit,
                                       const char *framework, int year, time_t now,
                                       json_t **out, dh_err *e);
/* action: submit (the unit's side), appraise or publish (an officer of a
 * unit above it, or an admin); 409 invalid_transition from another status. */
dh_status dh_app_dti_step(dh_app *app, const dh_actor *a, const char *unit,
                          const char *framework, int year, const char *action, time_t now,
                          json_t **out, dh_err *e);
/* One criterion's figures: body {unit, framework, year, criterion, points |
 * value, evidence?, note?, comment?, reason?}. Self-assessed while the unit
 * assesses itself, appraised (with comment) during appraisal, refused while
 * submitted (409 submitted), and once published only with a reason (409
 * published otherwise): a new revision keeps the entries it replaced. */
dh_status dh_app_dti_entry_put(dh_app *app, const dh_actor *a, json_t *body, time_t now,
                               json_t **out, dh_err *e);
/* An assessment with its entries and revisions (readers of the unit). */
dh_status dh_app_dti_assessment_get(dh_app *app, const dh_actor *a, const char *unit,
                                    const char *framework, int year, time_t now, json_t **out,
                                    dh_err *e);
/* Evidence files per criterion (dtiflow.c): attaches a file (the checks of
 * dh_app_file_put) to criterion of the assessment while the unit assesses
 * itself (its own side) or during the appraisal (the appraiser's side);
 * submitted or published: DH_E_CONFLICT, the files attached stay. At most
 * 20 per criterion. Audited (attach_evidence). *out {unit, framework, year,
 * criterion, status, file:{id,name,type,size,sha256}, files}. */
dh_status dh_app_dti_evidence_put(dh_app *app, const dh_actor *a, const char *unit,
                                  const char *framework, int year, const char *criterion,
                                  const char *name, const void *data, size_t len, time_t now,
                                  json_t **out, dh_err *e);
/* An evidence file of the assessment with its bytes (malloc'd): for those
 * who may read the unit (its officers, the units above it, admins); anyone
 * else, or a file not attached to it, DH_E_NOTFOUND unknown_file (refusals
 * audited). */
dh_status dh_app_dti_evidence_get(dh_app *app, const dh_actor *a, const char *unit,
                                  const char *framework, int year, int64_t id, time_t now,
                                  json_t **meta, char **data, size_t *len, dh_err *e);

/* Creates the remediation plan of an assessment (dtiplan.c): a plan of type
 * remediation issued by the unit for the next year (key FW-YEAR-UNIT-khac-phuc,
 * implementing `implements` when given: a plan key, number or id held here,
 * else cited), one task per criterion that lost points in order of points
 * lost, led by the unit, due 31 October of the next year, each linked to
 * its criterion. Write access to the unit; 409 remediation_exists.
 * *out {plan:{id,key,title}, tasks:[{id,ordinal,criterion,lost,due}]}. */
dh_status dh_app_dti_remediation(dh_app *app, const dh_actor *a, const char *unit,
                                 const char *framework, int year, const char *implements,
                                 time_t now, json_t **out, dh_err *e);
/* Loads the DTI demo (data/demo/dti-*.csv; after the plans demo, whose
 * remediation plan of Vũng Tàu it links to the criteria). */
dh_status dh_app_dti_demo(dh_app *app, const dh_actor *a, time_t now, json_t **summary,
                          dh_err *e);

/* ---- Citizen feedback (feedback.c, issue 17). ------------------------ */

struct dh_fb_filter;
struct dh_fb_record_row;
/* Inserts or replaces a category ({code, name, description, group, keywords,
 * accept_days, answer_days, limits_source, active}; limits not given are the
 * demo defaults 1 and 7 working days, marked "default") or, with route, a
 * routing rule ({category, commune, unit}; "" or absent = any). Admins. */
dh_status dh_app_fb_category_put(dh_app *app, const dh_actor *a, json_t *body, bool route,
                                 time_t now, dh_err *e);
/* The categories (code NULL: all; unknown code: DH_E_NOTFOUND), as an array,
 * or with_routes {"categories":[..],"routes":[..]}. Public. */
dh_status dh_app_fb_categories(dh_app *app, const char *code, bool with_routes, json_t **out,
                               dh_err *e);
/* Submits feedback ({category, description, lat, long, address, commune,
 * contact:{name,email,phone}, channel, media_url (an http(s) URL, kept as
 * given)}); channel overrides the body's. The
 * handling unit comes from the routing rules or the commune's unit valid
 * today. public_form: an anonymous submission, at most 5 an hour from
 * client_addr (DH_E_THROTTLED). *out: the record without the contact. */
dh_status dh_app_fb_submit(dh_app *app, const dh_actor *a, json_t *body, const char *channel,
                           bool public_form, const char *client_addr, time_t now, json_t **out,
                           dh_err *e);
/* An image sent with a submission (borrowed). */
typedef struct dh_fb_upload {
    const void *data;
    size_t len;
    const char *name; /* the file's name as sent, or NULL */
} dh_fb_upload;
#define DH_FB_UPLOADS_MAX 3
/* dh_app_fb_submit with up to DH_FB_UPLOADS_MAX images, each checked by
 * content before anything is written (DH_E_TOOLARGE "too_large" over 5 MB,
 * DH_E_INVALID "not_an_image", naming the file) and stored with the record
 * in its transaction; the first becomes its media_url when none is given. */
dh_status dh_app_fb_submit_files(dh_app *app, const dh_actor *a, json_t *body,
                                 const char *channel, bool public_form, const char *client_addr,
                                 const dh_fb_upload *files, size_t nfiles, time_t now,
                                 json_t **out, dh_err *e);
/* Whether s is an http:// or https:// URL with a host and no spaces or
 * control characters (at most 2000 bytes): an Open311 media_url. */
bool dh_fb_media_url_valid(const char *s);
/* dh_app_fb_submit with the public code given (demo data, imports): a code
 * taken is DH_E_CONFLICT. */
dh_status dh_app_fb_submit_coded(dh_app *app, const dh_actor *a, json_t *body,
                                 const char *channel, bool public_form, const char *client_addr,
                                 const char *code, time_t now, json_t **out, dh_err *e);
/* The feedback figures of dh_app_fb_kpis summed over a unit (with its
 * subtree when asked; NULL: the caller's scope) for /api/v1/kpis. */
dh_status dh_app_fb_kpis_scope(dh_app *app, const dh_actor *a, const char *unit, bool subtree,
                               dh_date from, dh_date to, time_t now, json_t **out, dh_err *e);
/* Attaches an image (by content: JPEG, PNG, WebP or GIF, at most 5 MB; else
 * DH_E_INVALID "not_an_image" / DH_E_TOOLARGE) to record `code`, kept by its
 * SHA-256 (the same image twice: DH_E_CONFLICT). Officers of the handling
 * unit and admins. *out: {sha256, mime, name, size}. */
dh_status dh_app_fb_attach(dh_app *app, const dh_actor *a, const char *code, const void *data,
                           size_t len, const char *name, time_t now, json_t **out, dh_err *e);
/* Demo data (`dieuhanh gen feedback`): the six categories of a Vietnamese
 * city with the default limits, and n records received in [from, to] across
 * the communes valid then, handled by their officers' clock: accepted,
 * some rejected or paused, answered (some late), rated and closed; those
 * near `to` left open. Deterministic for a seed. *summary: counts. */
dh_status dh_app_fb_demo(dh_app *app, const dh_actor *a, long n, unsigned long long seed,
                         dh_date from, dh_date to, json_t **summary, dh_err *e);
/* One transition of record `code` (accept, reject {reason}, start,
 * request_info {note}, resume, transfer {unit, note}, answer {answer},
 * rate {rating}, close): officers of the handling unit's subtree and admins;
 * rate by anyone who has the code. A transition the state does not allow
 * is DH_E_CONFLICT "transition_refused". */
dh_status dh_app_fb_act(dh_app *app, const dh_actor *a, const char *code, const char *action,
                        json_t *body, time_t now, json_t **out, dh_err *e);
/* Records selected by f (a NULL: the public; else only the units a may
 * read); the contact only where a may handle the record. */
dh_status dh_app_fb_list(dh_app *app, const dh_actor *a, const struct dh_fb_filter *f, time_t now,
                         json_t **out, dh_err *e);
/* The records f selects as stored, for public answers built straight from
 * the summary columns (Open311 GET): each is handed to cb with the name of
 * its handling unit on now's date; no working-time status is computed. The
 * callback must not hand on the contact columns (personal data). cb returns
 * non-zero to stop. */
typedef int (*dh_app_fb_row_cb)(void *closure, const struct dh_fb_record_row *r,
                                const char *unit_name);
dh_status dh_app_fb_each_public(dh_app *app, const struct dh_fb_filter *f, time_t now,
                                dh_app_fb_row_cb cb, void *closure, dh_err *e);
/* One record with its events (a NULL: the public view). */
dh_status dh_app_fb_get(dh_app *app, const dh_actor *a, const char *code, time_t now,
                        json_t **out, dh_err *e);
/* Per unit a may read and in total, for [from, to]: received, answered on
 * time and late, open within and over deadline (now), average working days
 * to answer, ratings and satisfied (>= 4). */
dh_status dh_app_fb_kpis(dh_app *app, const dh_actor *a, dh_date from, dh_date to, time_t now,
                         json_t **out, dh_err *e);
/* An image of record `code` by its SHA-256, for the handling unit's
 * officers and admins only (images are never public: they may show faces,
 * plates or house numbers). *mime is static, *data malloc'd. */
dh_status dh_app_fb_attachment(dh_app *app, const dh_actor *a, const char *code,
                               const char *sha256, time_t now, const char **mime, void **data,
                               size_t *len, dh_err *e);
/* Days after its answer an answered record without a rating is closed by
 * the feedback job (DIEUHANH_FEEDBACK_CLOSE_DAYS, 0 to 3650; default 10:
 * a choice of ours, to check against the province's rules). */
#define DH_FB_CLOSE_DAYS_DEFAULT 10
int dh_fb_close_days(void);
/* Closes the answered records answered at least `days` days before now
 * and not rated (at most 1,000 a run), each by the transition `close` of
 * actor system:feedback (audited). *out {days, closed, codes}. */
dh_status dh_app_fb_autoclose(dh_app *app, time_t now, int days, json_t **out, dh_err *e);
/* The daily reminders of open feedback at risk or overdue: a row per
 * handling unit, day, kind and record (GET /api/v1/feedback/reminders), and
 * an e-mail per unit with a contact when DIEUHANH_SMTP_URL is set. Once per
 * local day (meta fb_reminders_day) unless force (which mails the day's
 * rows again but never writes one twice). *out {ran, day, rows, mailed,
 * mail_errors}. */
dh_status dh_app_fb_reminders_run(dh_app *app, time_t now, bool force, json_t **out, dh_err *e);
/* The server's job "feedback" (every DIEUHANH_FEEDBACK_INTERVAL seconds,
 * default 300): the auto-close, then the reminders. */
void dh_fb_tick(dh_app *app, time_t now);
/* A unit's feedback reminders, newest first (unit NULL: the actor's; every
 * unit for an admin), as dh_app_inbox. */
dh_status dh_app_fb_reminders(dh_app *app, const dh_actor *a, const char *unit, int64_t before,
                              int limit, time_t now, json_t **items, int64_t *next, dh_err *e);
/* The codes of the overdue open feedback of unit's subtree (at most 500),
 * for a directive from the overdue list. */
dh_status dh_app_fb_overdue_codes(dh_app *app, const dh_actor *a, const char *unit, time_t now,
                                  json_t **codes, dh_err *e);
/* dh_app_fb_kpis per unit and category (each item with its "category"). */
dh_status dh_app_fb_kpis_by_category(dh_app *app, const dh_actor *a, dh_date from, dh_date to,
                                     time_t now, json_t **out, dh_err *e);

#endif
