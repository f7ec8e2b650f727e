/* store.h - the storage interface. Everything above this line (core, app,
 * http, cli) sees only these types and functions; every backend lives in its
 * own folder below src/store/ and fills a dh_store_ops table.
 *
 * Model (after SQLite's VFS): a backend is chosen at run time by the scheme
 * of the database URL ("sqlite:PATH", later "postgres://..."). A dh_store is
 * a shared handle (safe to use from many threads); work is done on a
 * dh_conn taken from it with dh_store_acquire and given back with
 * dh_store_release. A dh_conn is used by one thread at a time.
 *
 * Row sets come back through callbacks (`cb`, `closure`) so that no cursor
 * type leaks out of a backend; a callback returns 0 to go on, non-zero to
 * stop. Strings passed to callbacks are borrowed for the duration of the
 * call. Every function returns DH_OK or fills *e.
 *
 * The ops table only grows at the end.
 */
#ifndef DH_STORE_H
#define DH_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/kpiagg.h"
#include "util/date.h"
#include "util/err.h"

typedef struct dh_store dh_store;
typedef struct dh_conn dh_conn;

/* ---- Row types. ---------------------------------------------------- */

typedef struct dh_unit_row {
    int64_t id;
    const char *code;
    const char *kind;
    dh_date valid_from;
    dh_date valid_to; /* DH_DATE_NONE when open */
} dh_unit_row;

typedef struct dh_unit_version_row {
    int64_t unit_id;
    dh_date valid_from;
    int64_t parent_id; /* 0 for none */
    const char *name;
    const char *short_name;
    const char *name_folded;
} dh_unit_version_row;

typedef struct dh_unit_event_row {
    int64_t id;
    const char *kind;
    dh_date effective;
    const char *source;
    const char *note;
    const char *body_json; /* the event as submitted */
    time_t created_at;
    int64_t actor_user_id; /* 0 for the command line */
} dh_unit_event_row;

typedef struct dh_unit_link_row {
    int64_t event_id;
    int64_t from_unit_id;
    int64_t to_unit_id;
    bool partial;
    dh_date effective;
} dh_unit_link_row;

typedef struct dh_user_row {
    int64_t id;
    const char *login;
    const char *display_name;
    const char *role;
    int64_t unit_id; /* 0 for an admin without a unit */
    const char *password_hash;
    bool disabled;
    time_t created_at;
} dh_user_row;

typedef enum dh_cred_kind { DH_CRED_SESSION = 1, DH_CRED_TOKEN = 2 } dh_cred_kind;

typedef struct dh_cred_row {
    int64_t id;
    dh_cred_kind kind;
    int64_t user_id;
    const char *name;    /* tokens: the name given; sessions: "" */
    int64_t unit_id;     /* scope; 0 = the user's own unit */
    const char *hash;    /* hex of a keyed hash of the secret */
    time_t created_at;
    time_t expires_at;   /* 0 = never */
    time_t revoked_at;   /* 0 = live */
} dh_cred_row;

typedef struct dh_audit_row {
    int64_t id;
    time_t at;
    int64_t actor_user_id; /* 0 = command line / system */
    const char *actor;     /* login, "cli:<os user>", or "token:<name>" */
    int64_t token_id;      /* 0 when not through an API token */
    const char *action;    /* create, update, event, login, denied, ... */
    const char *entity;    /* unit, user, token, session, ... */
    const char *entity_key;
    const char *unit_code; /* the unit the change concerns, or "" */
    const char *outcome;   /* "ok" or "denied" */
    const char *before_json; /* NULL when none */
    const char *after_json;  /* NULL when none */
    const char *ip;          /* "" for the command line */
} dh_audit_row;

typedef struct dh_audit_filter {
    const char *entity;    /* NULL = any */
    const char *unit_code; /* NULL = any */
    time_t since;          /* 0 = any */
    int64_t after_id;      /* cursor: rows with id > after_id */
    int limit;
} dh_audit_filter;

/* A named working-time calendar: hours_json is {"mon":"07:30-11:30,..",..}. */
typedef struct dh_calendar_row {
    const char *name;
    const char *label;
    const char *hours_json;
    time_t created_at;
} dh_calendar_row;

/* One entry of the official yearly schedules (days off / make-up days). */
typedef struct dh_sched_row {
    int64_t id;
    dh_date date;
    const char *type; /* "off" or "work" */
    const char *kind; /* off: "statutory","in_lieu","swap","extra"; work: "" */
    const char *name;
    const char *source;
    bool confirmed;
} dh_sched_row;

/* A unit's calendar from a date on. */
typedef struct dh_unit_calendar_row {
    int64_t unit_id;
    dh_date valid_from;
    const char *calendar;
} dh_unit_calendar_row;

/* One version of a procedure of the catalogue. */
typedef struct dh_procedure_row {
    int64_t id;
    const char *code;
    dh_date valid_from;
    const char *name, *field, *level;
    int duration;
    const char *duration_unit, *online_level;
    bool fee_bearing, paper_result;
    const char *cutoff_time; /* "" or "HH:MM" */
} dh_procedure_row;

/* A dossier event as received (body: canonical JSON). */
typedef struct dh_devent_row {
    int64_t seq;
    const char *source, *id, *dossier, *type;
    time_t at;
    const char *body;
    time_t stored_at;
} dh_devent_row;

/* The derived state of a dossier (times: 0 = none). */
typedef struct dh_dossier_row {
    const char *code, *unit, *receiving_unit, *procedure, *channel;
    bool by_applicant;
    time_t received_at, counting_from, due_at, due_effective, at_risk_from, extended_to,
        finished_at;
    const char *state;
    const char *outcome; /* NULL while in progress (it depends on "now") */
    int64_t used_minutes, budget_minutes, late_minutes;
    int nsupplements;
    bool paid, paid_online;
    int rating;
    bool digitised_input, digitised_result;
    time_t updated_at;
    const dh_dfact *fact; /* what the aggregates counted; NULL = nothing (put only) */
} dh_dossier_row;

typedef struct dh_dossier_filter {
    const char *units_json; /* a JSON array of unit codes, or NULL for any */
    const char *state;      /* in_progress|paused|resolved|closed|overdue|at_risk|within|
                               early|on_time|late, or NULL */
    const char *procedure;  /* or NULL */
    time_t from, to;        /* received in [from, to); 0 = open */
    const char *q;          /* dossier code prefix, or NULL */
    time_t now;             /* for overdue / at_risk / within */
    int64_t offset;
    int limit;
    const char *channel;         /* counter|online|postal, or NULL */
    const char *procedures_json; /* a JSON array of procedure codes, or NULL for any */
} dh_dossier_filter;

typedef int (*dh_procedure_cb)(void *closure, const dh_procedure_row *row);
typedef int (*dh_devent_cb)(void *closure, const dh_devent_row *row);
typedef int (*dh_dossier_cb)(void *closure, const dh_dossier_row *row);
typedef int (*dh_agg_key_cb)(void *closure, int32_t id, const char *unit, const char *procedure,
                             const char *field);
typedef int (*dh_agg_cell_cb)(void *closure, int32_t key, int32_t day, const dh_kcell *cell,
                              int64_t rev);
typedef int (*dh_code_cb)(void *closure, const char *code);

/* One indicator of a version of the Decision 766 configuration. */
/* ---- Indicators, values, targets, obligations (issue 8). Period dates
 * of values are dh_date; times 0 mean none. ------------------------------ */
typedef struct dh_indicator_row {
    int64_t id;
    const char *code, *name, *uom, *direction, *aggregation, *source, *period_type, *freshness,
        *formula, *note;
    time_t created_at, updated_at;
} dh_indicator_row;

typedef struct dh_ivalue_row {
    int64_t indicator_id;
    const char *unit;
    dh_date period_from, period_to;
    double value;
    bool has_nd; /* numerator and denominator given */
    double numerator, denominator;
    const char *source, *ext_id;
    time_t at; /* the instant given instead of a period, 0: none */
    time_t received_at, updated_at;
    const char *entered_by;
} dh_ivalue_row;

typedef struct dh_ivalue_filter {
    int64_t indicator_id;   /* 0: any */
    const char *units_json; /* a JSON array of unit codes, NULL: any */
    dh_date from, to;       /* periods ending on/after from and starting on/before to;
                               DH_DATE_NONE: open */
    bool by_period;         /* ordered by period then unit (else indicator, unit, period) */
    int64_t offset;
    int limit; /* 0: no limit */
} dh_ivalue_filter;

typedef struct dh_target_row {
    int64_t id, indicator_id;
    const char *unit;
    double value;
    dh_date due; /* DH_DATE_NONE: none */
    const char *milestones_json;
    int64_t split_of; /* 0: none */
    const char *plan;
    int64_t task_id; /* 0: none */
    const char *task_ref, *name, *note;
    const char *ext_key; /* NULL: none */
    const char *series_json;
    bool dirty;
    const char *status, *eval_json; /* derived on eval_day */
    dh_date since, eval_day;        /* DH_DATE_NONE: none */
    time_t created_at, updated_at;
} dh_target_row;

typedef struct dh_target_filter {
    const char *units_json; /* NULL: any */
    int64_t indicator_id;   /* 0: any */
    const char *status;     /* NULL: any */
    int64_t offset;
    int limit; /* 0: no limit */
} dh_target_filter;
typedef int (*dh_count_cb)(void *closure, const char *key, int64_t n);

typedef struct dh_obligation_row {
    int64_t id;
    const char *code, *name, *period_type, *due_rule;
    int window_days; /* -1: entries never close */
    bool approval;
    const char *indicators_json, *units_json, *unit_rule;
    time_t created_at, updated_at;
} dh_obligation_row;

typedef struct dh_approval_row {
    int64_t obligation_id;
    const char *unit;
    dh_date period_from, period_to;
    const char *approved_by;
    time_t approved_at;
} dh_approval_row;

typedef int (*dh_indicator_cb)(void *closure, const dh_indicator_row *row);
typedef int (*dh_ivalue_cb)(void *closure, const dh_ivalue_row *row);
typedef int (*dh_target_cb)(void *closure, const dh_target_row *row);
typedef int (*dh_id_cb)(void *closure, int64_t id);
typedef int (*dh_obligation_cb)(void *closure, const dh_obligation_row *row);
typedef int (*dh_approval_cb)(void *closure, const dh_approval_row *row);

typedef struct dh_i766_row {
    const char *version;
    dh_date valid_from;
    int ord;
    const char *group_code, *group_name, *code, *name;
    double max_points;
    double threshold; /* <= 0: none */
    const char *formula;
} dh_i766_row;
typedef int (*dh_i766_cb)(void *closure, const dh_i766_row *row);
typedef int (*dh_i766_manual_cb)(void *closure, const char *code, double value, const char *note,
                                 const char *entered_by);

typedef int (*dh_calendar_cb)(void *closure, const dh_calendar_row *row);
typedef int (*dh_sched_cb)(void *closure, const dh_sched_row *row);
typedef int (*dh_unit_calendar_cb)(void *closure, const dh_unit_calendar_row *row);

typedef int (*dh_unit_cb)(void *closure, const dh_unit_row *row);
typedef int (*dh_unit_version_cb)(void *closure, const dh_unit_version_row *row);
typedef int (*dh_unit_link_cb)(void *closure, const dh_unit_link_row *row);
typedef int (*dh_user_cb)(void *closure, const dh_user_row *row);
typedef int (*dh_cred_cb)(void *closure, const dh_cred_row *row);
typedef int (*dh_audit_cb)(void *closure, const dh_audit_row *row);

/* ---- Plans, tasks and their progress (issue 7). Lists travel as JSON
 * array text; dates DH_DATE_NONE and ids 0 mean none. ---------------- */

/* A stored file: a plan's source document or a progress update's evidence. */
typedef struct dh_file_row {
    int64_t id;
    const char *name, *type, *sha256, *unit, *uploaded_by;
    const void *data; /* NULL when not asked for */
    size_t size;
    time_t created_at;
} dh_file_row;

typedef struct dh_plan_row {
    int64_t id;
    const char *key, *number, *type;
    dh_date date;
    const char *issuer, *title;
    dh_date period_from, period_to;
    const char *status;
    const char *parents_json; /* plan ids it implements */
    const char *cites_json;   /* documents it implements that are not held here */
    int64_t document_id;
    const char *note;
    time_t created_at, updated_at;
} dh_plan_row;

typedef struct dh_task_row {
    int64_t id, plan_id; /* plan_id 0: a directive */
    const char *kind, *ordinal, *grp, *content;
    const char *lead_json, *coord_json; /* unit codes */
    const char *lead_text, *coord_text, *result, *deadline;
    dh_date start, due;
    bool needs_review;
    const char *roadmap, *milestones_json;
    int64_t parent_task_id;
    bool has_target;
    double target_value;
    const char *target_uom, *note, *source_json, *report_every;
    int report_day;
    const char *created_by;
    time_t created_at, updated_at;
} dh_task_row;

typedef struct dh_task_update_row {
    int64_t id, task_id;
    const char *kind; /* "progress" or "comment" */
    const char *unit, *author;
    dh_date date, occurrence;
    int percent; /* -1: none */
    bool done;
    const char *text, *files_json;
    time_t created_at;
} dh_task_update_row;

typedef struct dh_inbox_row {
    int64_t id;
    const char *unit;
    dh_date day;
    const char *kind; /* due_soon, overdue, no_report */
    int64_t task_id;
    const char *occurrence; /* "" or YYYY-MM-DD */
    const char *message;
    time_t created_at;
} dh_inbox_row;

typedef int (*dh_file_cb)(void *closure, const dh_file_row *row);
typedef int (*dh_plan_cb)(void *closure, const dh_plan_row *row);
typedef int (*dh_task_cb)(void *closure, const dh_task_row *row);
typedef int (*dh_task_update_cb)(void *closure, const dh_task_update_row *row);
typedef int (*dh_inbox_cb)(void *closure, const dh_inbox_row *row);
typedef int (*dh_contact_cb)(void *closure, const char *unit, const char *email);

/* ---- The backend table. --------------------------------------------- */

typedef struct dh_store_ops {
    const char *scheme; /* "sqlite" */

    /* create: make the database when it does not exist (init, serve, demo);
     * otherwise a missing database is an error. */
    dh_store *(*open)(const char *location, bool create, dh_err *e);
    void (*close)(dh_store *s);
    dh_conn *(*acquire)(dh_store *s, dh_err *e);
    void (*release)(dh_conn *c);

    /* Schema: the version the database has, and applying migrations up to
     * `target`; a database newer than `target` is DH_E_VERSION. */
    dh_status (*schema_version)(dh_conn *c, int *version, dh_err *e);
    dh_status (*migrate)(dh_conn *c, int target, int *from, int *to, dh_err *e);

    /* Transactions: `write` takes the write lock up front. */
    dh_status (*begin)(dh_conn *c, bool write, dh_err *e);
    dh_status (*commit)(dh_conn *c, dh_err *e);
    void (*rollback)(dh_conn *c);

    /* A counter bumped by every change to units, so readers can tell when a
     * cached registry is stale (also across processes and nodes). */
    dh_status (*units_rev)(dh_conn *c, int64_t *rev, dh_err *e);
    dh_status (*bump_units_rev)(dh_conn *c, dh_err *e);

    dh_status (*load_units)(dh_conn *c, dh_unit_cb ucb, dh_unit_version_cb vcb,
                            dh_unit_link_cb lcb, void *closure, dh_err *e);
    /* Inserts (id == 0, *new_id set) or updates a unit row. */
    dh_status (*save_unit)(dh_conn *c, const dh_unit_row *u, int64_t *new_id, dh_err *e);
    /* Replaces all versions of a unit with the given ones. */
    dh_status (*replace_unit_versions)(dh_conn *c, int64_t unit_id, const dh_unit_version_row *v,
                                       size_t n, dh_err *e);
    dh_status (*insert_unit_event)(dh_conn *c, const dh_unit_event_row *ev, int64_t *id,
                                   dh_err *e);
    dh_status (*insert_unit_link)(dh_conn *c, const dh_unit_link_row *l, dh_err *e);

    dh_status (*insert_user)(dh_conn *c, const dh_user_row *u, int64_t *id, dh_err *e);
    /* Finds by login (id == 0) or by id; DH_E_NOTFOUND when absent. */
    dh_status (*get_user)(dh_conn *c, int64_t id, const char *login, dh_user_cb cb,
                          void *closure, dh_err *e);
    dh_status (*list_users)(dh_conn *c, int64_t after_id, int limit, dh_user_cb cb,
                            void *closure, dh_err *e);
    dh_status (*set_password)(dh_conn *c, int64_t user_id, const char *hash, dh_err *e);

    dh_status (*insert_cred)(dh_conn *c, const dh_cred_row *cr, int64_t *id, dh_err *e);
    dh_status (*find_cred)(dh_conn *c, const char *hash, dh_cred_cb cb, void *closure,
                           dh_err *e);
    dh_status (*get_cred)(dh_conn *c, int64_t id, dh_cred_cb cb, void *closure, dh_err *e);
    dh_status (*revoke_cred)(dh_conn *c, int64_t id, time_t at, dh_err *e);

    /* Login throttling: failures recorded per key ("login:x", "ip:y"). */
    dh_status (*add_login_failure)(dh_conn *c, const char *key, time_t at, dh_err *e);
    dh_status (*count_login_failures)(dh_conn *c, const char *key, time_t since, int *n,
                                      dh_err *e);
    dh_status (*clear_login_failures)(dh_conn *c, const char *key, dh_err *e);

    /* The audit log is append-only: there is no update or delete op, and the
     * backend refuses them at the database level too. */
    dh_status (*append_audit)(dh_conn *c, const dh_audit_row *a, dh_err *e);
    dh_status (*list_audit)(dh_conn *c, const dh_audit_filter *f, dh_audit_cb cb, void *closure,
                            dh_err *e);

    /* Named counters in the meta table ("calendar_rev", ...); a missing key
     * reads 0 and is created by the first bump. */
    dh_status (*meta_get)(dh_conn *c, const char *key, int64_t *value, dh_err *e);
    dh_status (*meta_bump)(dh_conn *c, const char *key, dh_err *e);

    /* Calendars, schedule entries (ordered by date) and unit assignments. */
    dh_status (*load_calendars)(dh_conn *c, dh_calendar_cb ccb, dh_sched_cb scb,
                                dh_unit_calendar_cb ucb, void *closure, dh_err *e);
    /* Inserts or replaces a calendar by name. */
    dh_status (*put_calendar)(dh_conn *c, const dh_calendar_row *r, dh_err *e);
    /* A second entry on the same date is DH_E_CONFLICT. */
    dh_status (*insert_sched)(dh_conn *c, const dh_sched_row *r, int64_t *id, dh_err *e);
    dh_status (*update_sched)(dh_conn *c, const dh_sched_row *r, dh_err *e);
    dh_status (*delete_sched)(dh_conn *c, int64_t id, dh_err *e);
    /* Inserts or replaces the assignment starting on valid_from. */
    dh_status (*put_unit_calendar)(dh_conn *c, const dh_unit_calendar_row *r, dh_err *e);

    /* The procedure catalogue: a version per (code, valid_from). */
    dh_status (*put_procedure)(dh_conn *c, const dh_procedure_row *r, int64_t *id, dh_err *e);
    dh_status (*load_procedures)(dh_conn *c, dh_procedure_cb cb, void *closure, dh_err *e);

    /* Dossier events: found by (source, id) (DH_E_NOTFOUND when absent),
     * inserted, and read back per dossier. */
    dh_status (*find_devent)(dh_conn *c, const char *source, const char *id, dh_devent_cb cb,
                             void *closure, dh_err *e);
    dh_status (*insert_devent)(dh_conn *c, const dh_devent_row *r, int64_t *seq, dh_err *e);
    dh_status (*load_devents)(dh_conn *c, const char *dossier, dh_devent_cb cb, void *closure,
                              dh_err *e);
    /* Derived dossier rows: upsert, one by code (DH_E_NOTFOUND), a filtered
     * page ordered most urgent first. */
    dh_status (*put_dossier)(dh_conn *c, const dh_dossier_row *r, dh_err *e);
    dh_status (*get_dossier)(dh_conn *c, const char *code, dh_dossier_cb cb, void *closure,
                             dh_err *e);
    dh_status (*list_dossiers)(dh_conn *c, const dh_dossier_filter *f, dh_dossier_cb cb,
                               void *closure, dh_err *e);
    /* Every dossier received by the units (a JSON array of codes) before
     * `before` and not finished before `since` (the dossiers a period sees). */
    dh_status (*scan_dossiers)(dh_conn *c, const char *units_json, time_t since, time_t before,
                               dh_dossier_cb cb, void *closure, dh_err *e);

    /* Indicators and the data hub (issue 8). put_* inserts when id is 0
     * (*id set) and updates otherwise. find_ireceipt gives the content
     * stored for (source, id) through cb, DH_E_NOTFOUND when absent;
     * add_ireceipt stores it unless (source, id) is taken, and then gives
     * the stored content through cb and answers DH_E_CONFLICT (one seek for
     * a new id). put_ivalue writes the value; when (indicator, unit,
     * period_from) has one, it gives it through `replaced` first, keeps it in
     * the history and replaces it, keeping its received_at.
     * mark_targets_dirty flags the targets of (indicator, unit) whose series
     * must be recomputed (a small mark read with the targets, not a write of
     * their rows). */
    dh_status (*put_indicator)(dh_conn *c, const dh_indicator_row *r, int64_t *id, dh_err *e);
    dh_status (*load_indicators)(dh_conn *c, dh_indicator_cb cb, void *closure, dh_err *e);
    dh_status (*find_ireceipt)(dh_conn *c, const char *source, const char *ext_id, dh_code_cb cb,
                               void *closure, dh_err *e);
    dh_status (*add_ireceipt)(dh_conn *c, const char *source, const char *ext_id,
                              const char *content, dh_code_cb cb, void *closure, dh_err *e);
    dh_status (*put_ivalue)(dh_conn *c, const dh_ivalue_row *r, dh_ivalue_cb replaced,
                            void *closure, dh_err *e);
    dh_status (*list_ivalues)(dh_conn *c, const dh_ivalue_filter *f, dh_ivalue_cb cb,
                              void *closure, dh_err *e);
    dh_status (*put_target)(dh_conn *c, const dh_target_row *r, int64_t *id, dh_err *e);
    /* The ids of the indicators that have dirty targets (saved since
     * derived, or marked by values), ascending. */
    dh_status (*dirty_target_indicators)(dh_conn *c, dh_id_cb cb, void *closure, dh_err *e);
    /* The targets of one indicator and the one with ext_key `key` (any
     * indicator; NULL: none), by id: what saving a target needs to see. */
    dh_status (*load_targets_of)(dh_conn *c, int64_t indicator_id, const char *key,
                                 dh_target_cb cb, void *closure, dh_err *e);
    dh_status (*set_target_series)(dh_conn *c, int64_t id, const char *series_json, dh_err *e);
    dh_status (*set_target_eval)(dh_conn *c, int64_t id, const char *status, dh_date since,
                                 const char *eval_json, dh_date day, dh_err *e);
    /* A page of targets (by status severity, then id) and their counts by
     * status, filtered. */
    dh_status (*list_targets)(dh_conn *c, const dh_target_filter *f, dh_target_cb cb,
                              void *closure, dh_err *e);
    dh_status (*count_targets)(dh_conn *c, const dh_target_filter *f, dh_count_cb cb,
                               void *closure, dh_err *e);
    dh_status (*mark_targets_dirty)(dh_conn *c, int64_t indicator_id, const char *unit,
                                    dh_err *e);
    dh_status (*put_obligation)(dh_conn *c, const dh_obligation_row *r, int64_t *id, dh_err *e);
    dh_status (*load_obligations)(dh_conn *c, dh_obligation_cb cb, void *closure, dh_err *e);
    dh_status (*put_approval)(dh_conn *c, const dh_approval_row *r, dh_err *e);
    dh_status (*load_approvals)(dh_conn *c, dh_approval_cb cb, void *closure, dh_err *e);

    /* The service aggregates (core/kpiagg.h). A key is found or created;
     * keys and cells are read back in id / rev order after a given one;
     * agg_add adds a delta to a cell and stamps it with rev; agg_reset
     * deletes every cell and every dossier's fact; get_fact reads one
     * dossier's fact (found = false when it has none). */
    dh_status (*agg_key)(dh_conn *c, const char *unit, const char *procedure, const char *field,
                         int32_t *id, dh_err *e);
    dh_status (*load_agg_keys)(dh_conn *c, int32_t after_id, dh_agg_key_cb cb, void *closure,
                               dh_err *e);
    dh_status (*agg_add)(dh_conn *c, int32_t key, int32_t day, const dh_kcell *delta, int64_t rev,
                         dh_err *e);
    dh_status (*load_agg_cells)(dh_conn *c, int64_t after_rev, dh_agg_cell_cb cb, void *closure,
                                dh_err *e);
    dh_status (*agg_reset)(dh_conn *c, dh_err *e);
    dh_status (*get_fact)(dh_conn *c, const char *code, dh_dfact *f, bool *found, dh_err *e);
    /* Every dossier code, in code order. */
    dh_status (*list_dossier_codes)(dh_conn *c, dh_code_cb cb, void *closure, dh_err *e);

    /* The Decision 766 index: the configuration version in force on d (the
     * greatest valid_from <= d; every version when d is DH_DATE_NONE), in
     * (valid_from, ord) order; a new row; manual values per unit and period. */
    dh_status (*load_i766_config)(dh_conn *c, dh_date d, dh_i766_cb cb, void *closure, dh_err *e);
    dh_status (*put_i766_config)(dh_conn *c, const dh_i766_row *r, dh_err *e);
    dh_status (*load_i766_manual)(dh_conn *c, const char *unit, dh_date from, dh_date to,
                                  dh_i766_manual_cb cb, void *closure, dh_err *e);
    dh_status (*put_i766_manual)(dh_conn *c, const char *unit, dh_date from, dh_date to,
                                 const char *code, double value, const char *note,
                                 const char *entered_by, time_t at, dh_err *e);

    /* Plans and tasks (issue 7). put_* inserts when id is 0 (*id set) and
     * updates otherwise; loads return every row in id order (the app keeps
     * them in memory: a plan has tens to hundreds of tasks). get_file is
     * DH_E_NOTFOUND when absent; with_data loads the bytes too. */
    /* put_file takes r->id when not 0 (the application draws random ids),
     * else the next integer. */
    dh_status (*put_file)(dh_conn *c, const dh_file_row *r, int64_t *id, dh_err *e);
    dh_status (*get_file)(dh_conn *c, int64_t id, bool with_data, dh_file_cb cb, void *closure,
                          dh_err *e);
    dh_status (*put_plan)(dh_conn *c, const dh_plan_row *r, int64_t *id, dh_err *e);
    dh_status (*load_plans)(dh_conn *c, dh_plan_cb cb, void *closure, dh_err *e);
    dh_status (*put_task)(dh_conn *c, const dh_task_row *r, int64_t *id, dh_err *e);
    dh_status (*load_tasks)(dh_conn *c, dh_task_cb cb, void *closure, dh_err *e);
    dh_status (*insert_task_update)(dh_conn *c, const dh_task_update_row *r, int64_t *id,
                                    dh_err *e);
    dh_status (*load_task_updates)(dh_conn *c, dh_task_update_cb cb, void *closure, dh_err *e);
    /* The reminders inbox: a row already there (same unit, day, kind, task,
     * occurrence) is left alone (*inserted false); a page of a unit's rows
     * (every unit when unit is NULL), newest first, ids below before_id
     * (0: from the newest). */
    dh_status (*insert_inbox)(dh_conn *c, const dh_inbox_row *r, bool *inserted, dh_err *e);
    dh_status (*list_inbox)(dh_conn *c, const char *unit, int64_t before_id, int limit,
                            dh_inbox_cb cb, void *closure, dh_err *e);
    /* Sets a meta value (meta_bump only counts up). */
    dh_status (*meta_set)(dh_conn *c, const char *key, int64_t value, dh_err *e);
    /* E-mail addresses for reminders, one per unit; email NULL deletes. */
    dh_status (*put_contact)(dh_conn *c, const char *unit, const char *email, dh_err *e);
    dh_status (*load_contacts)(dh_conn *c, dh_contact_cb cb, void *closure, dh_err *e);
    /* The targets overview's index (issue 8): every target's id,
     * indicator_id, unit, value, split_of and status, the other fields
     * empty; and the whole rows of the targets whose ids are in a JSON
     * array, in no particular order. */
    dh_status (*list_target_keys)(dh_conn *c, dh_target_cb cb, void *closure, dh_err *e);
    dh_status (*get_targets)(dh_conn *c, const char *ids_json, dh_target_cb cb, void *closure,
                             dh_err *e);
    /* The latest values of an indicator among units (a JSON array of
     * codes, NULL: all): the greatest period_from and period_to and the
     * last receipt (received_at or, when later, updated_at); DH_E_NOTFOUND
     * when there is none. */
    dh_status (*ivalues_latest)(dh_conn *c, int64_t indicator_id, const char *units_json,
                                dh_date *from, dh_date *to, time_t *received, dh_err *e);
    /* Revokes every live credential of a kind (sessions or tokens) of a
     * user but except_id (0: none); *n (may be NULL) counts them. */
    dh_status (*revoke_user_creds)(dh_conn *c, int64_t user_id, dh_cred_kind kind,
                                   int64_t except_id, time_t at, int *n, dh_err *e);
} dh_store_ops;

/* ---- Front door. ------------------------------------------------------ */

/* Opens the database named by url ("sqlite:PATH"). */
dh_store *dh_store_open(const char *url, bool create, dh_err *e);
void dh_store_close(dh_store *s);
const dh_store_ops *dh_store_ops_of(const dh_store *s);
dh_conn *dh_store_acquire(dh_store *s, dh_err *e);
void dh_store_release(dh_conn *c);
const dh_store_ops *dh_conn_ops(const dh_conn *c);

/* The schema version this binary's migrations produce for the backend. */
int dh_store_latest_version(const char *backend);

/* Every backend's dh_store / dh_conn begins with this header. */
struct dh_store_base {
    const dh_store_ops *ops;
};
struct dh_conn_base {
    const dh_store_ops *ops;
    dh_store *store;
};

#endif
