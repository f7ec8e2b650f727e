/* planbook.h - what the plan files of src/app/ (planbook.c, plans.c,
 * files.c, tasks.c, planimport.c, reminders.c, plandemo.c) share and nobody
 * else sees: the in-memory book of every plan, task and progress update.
 *
 * Plans hold tens to hundreds of tasks, so the whole book is loaded at once:
 * readers share a snapshot (dh_snap on the meta counter `plans_rev`, bumped
 * by every write); a write loads a fresh book inside its transaction so that
 * validation (cycles, parents, ordinals) sees exactly what it will change.
 *
 * Ownership: a book owns its JSON documents and arrays; pb_free releases
 * everything. The `j` documents hold the stored fields in their API form;
 * computed parts (status, occurrences, roll-up) are added to copies.
 */
#ifndef DH_APP_PLANBOOK_H
#define DH_APP_PLANBOOK_H

#include "app/internal.h"
#include "core/plan.h"

#define PB_NONE ((size_t)-1)
/* A stored file (source document, evidence) may not be larger. */
#define DH_FILE_MAX (20 * 1024 * 1024)

typedef struct pb_plan {
    int64_t id;
    json_t *j;                /* key, number, type, date, issuer, title, ... */
    const char *key, *number, *issuer; /* borrowed from j */
    dh_date date, period_from, period_to;
    size_t *parents;          /* indexes of the plans it implements */
    size_t nparents;
} pb_plan;

typedef struct pb_task {
    int64_t id;
    json_t *j;        /* the stored fields in API form */
    size_t plan;      /* index, or PB_NONE for a directive */
    int64_t parent_id;
    char **lead, **coord; /* unit codes, borrowed from j */
    size_t nlead, ncoord;
    dh_tdef def;
    json_t *updates;  /* update documents, oldest first */
    dh_tupdate *u;    /* the progress updates, for the status */
    size_t nu, capu;
} pb_task;

typedef struct dh_planbook {
    pb_plan *p;
    size_t np, capp;
    pb_task *t;
    size_t nt, capt;
    void *owner; /* the shared snapshot holding it */
} dh_planbook;

/* Loads every plan, task and update through c (inside a transaction). */
dh_status pb_load(dh_conn *c, dh_planbook **out, dh_err *e);
void pb_free(dh_planbook *b);
/* The current shared book (release with pb_release), or NULL with e set. */
const dh_planbook *pb_acquire(dh_app *app, dh_err *e);
void pb_release(dh_app *app, const dh_planbook *b);

/* Lookups: index or PB_NONE. A plan reference is its id (digits), its key
 * or its number. */
size_t pb_plan_find(const dh_planbook *b, const char *ref);
size_t pb_plan_by_id(const dh_planbook *b, int64_t id);
size_t pb_task_by_id(const dh_planbook *b, int64_t id);
size_t pb_task_by_ordinal(const dh_planbook *b, size_t plan, const char *ordinal);

/* Writes a plan or task document (API form, see pb_plan_doc / the task
 * fields in PLANS.md) as a row; *id set for a new one. */
dh_status pb_put_plan(dh_conn *c, json_t *doc, time_t now, int64_t *id, dh_err *e);
dh_status pb_put_task(dh_conn *c, json_t *doc, time_t now, int64_t *id, dh_err *e);

/* The task's status on today with its computed parts: a new object with
 * the stored fields plus plan, status, percent, occurrences, rollup. */
json_t *pb_task_json(const dh_planbook *b, size_t t, dh_date today, const dh_unitreg *r,
                     bool detailed);
/* The status of a task on today (and the latest percent, -1 for none). */
void pb_task_status(const pb_task *t, dh_date today, dh_task_status *st, int *percent);
/* The date a task's plan counts from: its date, else the start of its
 * period, else DH_DATE_NONE. */
dh_date pb_plan_ref_date(const pb_plan *p);
/* The plan's term as shown: {from, to, horizon, source, ended}. */
json_t *pb_term_json(const pb_plan *p, dh_date today);
/* A plan task whose lead names no unit (a body with no unit, or nothing
 * printed and no heading to take it from): flagged for the plan's issuer,
 * never silently ownerless (issue 19). */
bool pb_task_needs_owner(const pb_task *t);
/* True when the plan's term is over on today (its duties have ended). */
bool pb_term_ended(const pb_plan *p, dh_date today);

/* Does the unit (code) lead the task? */
bool pb_task_led_by(const pb_task *t, const char *code);
bool pb_task_coordinated_by(const pb_task *t, const char *code);

/* Is unit code `u` root or below `root` (codes) — on d, or when u no longer
 * exists on d, on its last valid day? */
bool pb_in_subtree(const dh_unitreg *r, const char *u, const char *root, dh_date d);

/* Fills a task document's deadline members from its text, resolving a
 * relative deadline against the plan (and its parent plan): "deadline":
 * {text, kind, start, due, needs_review, anchor, rel_days}. due_override,
 * when not DH_DATE_NONE, is a date a person set for a text that did not
 * give one. */
dh_status pb_set_deadline(const dh_planbook *b, size_t plan, json_t *doc, const char *text,
                          dh_date due_override, dh_err *e);
/* Fills "roadmap" and "milestones" from the roadmap text. */
void pb_set_roadmap(json_t *doc, const char *text);

json_t *pb_date_json(dh_date d);
dh_date pb_json_date(json_t *v);
/* A string member of o, or NULL. */
const char *pb_str_of(json_t *o, const char *key);
/* Checks that every id in arr names a stored file that a may read (one
 * cannot attach, and so publish, a file one may not read: such an id is
 * answered as unknown; files.c). */
dh_status pb_check_files(dh_conn *c, const dh_planbook *b, const dh_actor *a, json_t *arr,
                         const char *field, dh_err *e);
/* A write of the book goes through the runner (DH_TX_UNITS): pb_run runs
 * fn and hands over the answer fn left in *answer (a member of closure)
 * to *out, or frees it on failure. fn starts with pb_fresh, which drops
 * the answer of an earlier run and loads the book through tx. */
dh_status pb_run(dh_app *app, dh_tx_fn fn, void *closure, json_t **answer, json_t **out,
                 dh_err *e);
dh_status pb_fresh(dh_tx *tx, json_t **answer, dh_planbook **b, dh_err *e);
/* Bumps plans_rev (every write does, before commit). */
dh_status pb_bump(dh_conn *c, dh_err *e);

/* A new task of plan pi built from an API body inside tx (checked, not
 * written; tasks.c), and its insertion: row, audit under `action`. The
 * caller bumps plans_rev (planimport.c, dtiplan.c). */
dh_status pb_task_from_body(dh_tx *tx, const dh_planbook *b, size_t pi, json_t *body,
                            json_t **out, dh_err *e);
dh_status pb_insert_task(dh_tx *tx, const dh_actor *a, json_t *doc, const char *action,
                         time_t now, dh_err *e);

#endif
