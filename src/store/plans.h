/* plans.h - the storage contract for plans, tasks, progress updates, stored files, the reminders inbox and units' contacts.
 *
 * One small table of operations, filled by each backend (src/store/sqlite/
 * sq_plans.c, ...) and reached from a connection with DH_PLANS(c). The conventions
 * of store.h hold: rows come back through callbacks (0 goes on, non-zero
 * stops), strings given to a callback are borrowed for the call, every
 * operation returns DH_OK or fills *e. The tables only grow at the end. */
#ifndef DH_STORE_PLANS_H
#define DH_STORE_PLANS_H

#include "store/store.h"

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
    /* Issue 19 (migration 012): the months after the period's end the
     * report is due in (has_report_offset false: by the period), where the
     * rule came from ("default", "printed", "set"; NULL: "default") and the
     * printed phrase. */
    bool has_report_offset;
    int report_offset;
    const char *report_source, *report_text;
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

typedef struct dh_plans_ops {
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
    /* E-mail addresses for reminders, one per unit; email NULL deletes. */
    dh_status (*put_contact)(dh_conn *c, const char *unit, const char *email, dh_err *e);
    dh_status (*load_contacts)(dh_conn *c, dh_contact_cb cb, void *closure, dh_err *e);
} dh_plans_ops;

#define DH_PLANS(c) (dh_conn_ops(c)->plans)

#endif
