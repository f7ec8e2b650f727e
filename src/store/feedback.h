/* feedback.h - the storage contract for citizen feedback (phản ánh, kiến
 * nghị; issue 17): categories with their working-time limits, routing rules
 * (category × commune → handling unit), records with their summary (state,
 * handling unit, deadlines, outcome: what core/feedback.c derives from the
 * events, saved by the app after each event so that lists and counts need
 * no replay), the events themselves (append-only) and attachments by
 * content hash.
 *
 * One small table of operations, filled by each backend (src/store/sqlite/
 * sq_feedback.c, src/store/postgres/pg_feedback.c) and reached from a
 * connection with DH_FEEDBACK(c). The conventions of store.h hold: rows come
 * back through callbacks (0 goes on, non-zero stops), strings given to a
 * callback are borrowed for the call, every operation returns DH_OK or fills
 * *e. The table only grows at the end.
 *
 * Personal data: contact_name, contact_email and contact_phone of a record
 * (Decree 13/2023/NĐ-CP). The store hands them back like any column; who may
 * see them is decided in src/app/feedback.c. */
#ifndef DH_STORE_FEEDBACK_H
#define DH_STORE_FEEDBACK_H

#include "core/fbagg.h"
#include "store/store.h"

/* Attachments larger than this (bytes) are refused by the database too. */
#define DH_FB_ATTACH_MAX (5 * 1024 * 1024)

typedef struct dh_fb_category_row {
    const char *code, *name, *description;
    const char *grp;      /* Open311 "group" */
    const char *keywords; /* comma-separated */
    int accept_days, answer_days;
    const char *limits_source; /* provenance of the limits; "default" = demo defaults to check */
    bool active;
} dh_fb_category_row;

typedef struct dh_fb_route_row {
    const char *category; /* "" = any category */
    const char *commune;  /* "" = any commune */
    const char *unit;     /* the handling unit */
} dh_fb_route_row;

typedef struct dh_fb_record_row {
    int64_t id;
    const char *code; /* public, e.g. "PA-2025-000123" */
    const char *channel, *category, *description;
    bool has_location;
    double lat, lon;
    const char *address, *commune;
    const char *unit;  /* the handling unit */
    const char *state; /* core/feedback.h names */
    time_t received_at, accepted_at, answered_at, closed_at, updated_at; /* 0 = none */
    time_t due_at;      /* the deadline that applies now (accept or answer); 0 = none/paused */
    time_t answer_due;  /* the answer deadline, pauses so far included */
    const char *outcome; /* on_time, late, "" */
    int64_t answer_minutes; /* working minutes used to answer, pauses excluded */
    const char *answer, *reason; /* public answer; rejection reason */
    int rating;                  /* 0 = none */
    const char *contact_name, *contact_email, *contact_phone; /* personal data */
    const char *submitted_by; /* the account or token that submitted; "" = public form */
    const char *client_addr;  /* for the per-address limit; never shown */
    int64_t nevents;          /* the events so far (the next seq is nevents + 1) */
    const char *media_url;    /* Open311 media_url as given, or the path of our first
                                 stored image ("" = none) */
} dh_fb_record_row;

typedef struct dh_fb_event_row {
    int64_t record_id, seq;
    const char *type; /* core/feedback.h event names */
    time_t at;
    const char *actor;
    const char *unit; /* received, transfer: the handling unit after it */
    const char *note; /* reason, answer, the information requested */
    int rating;
} dh_fb_event_row;

typedef struct dh_fb_attachment_row {
    int64_t record_id;
    const char *sha256; /* hex */
    const char *mime, *name;
    const void *data;
    size_t size;
} dh_fb_attachment_row;

/* What list_records selects; zero / NULL members select everything. */
typedef struct dh_fb_filter {
    int64_t id;
    const char *code, *category, *unit, *commune, *client_addr;
    int open; /* 1: received/accepted/in_progress/needs_info; -1: the others; 0: any */
    bool answered_only;  /* answered or closed with an answer */
    time_t from, to;     /* received_at in [from, to); 0: open end */
    int limit;           /* 0: no limit */
    int order;           /* 0: received_at DESC, id DESC; 1: due_at ASC (open queue, none last);
                            2: answered_at DESC */
    const char *state;      /* only this state (core/feedback.h name); NULL: any */
    time_t answered_before; /* answered_at < this; 0: any */
} dh_fb_filter;

/* A reminder of open feedback at risk or overdue, for its handling unit
 * (the reminders job; one per unit, day, kind and record). */
typedef struct dh_fb_reminder_row {
    int64_t id; /* 0 when inserting */
    const char *unit;
    dh_date day;
    const char *kind; /* "at_risk", "overdue" */
    int64_t record_id;
    const char *message;
    time_t created_at;
    const char *code; /* list_reminders: the record's code; ignored when inserting */
    /* list_reminders: the record's deadline and state now (not when reminded:
     * a pause or an answer since moves them); 0 / NULL when inserting. */
    time_t due_at; /* 0: none (paused) */
    const char *state;
} dh_fb_reminder_row;

/* One unit's feedback in a period (KPIs): counts over records received in
 * [from, to) for `received`, answered in [from, to) for the answer
 * figures, rated in the period's answers for ratings, and open at `at`. */
typedef struct dh_fb_stats_row {
    const char *unit;
    int64_t received, answered, on_time, late, answer_minutes_sum;
    int64_t rated, satisfied; /* ratings given; ratings >= 4 */
    int64_t open_within, open_overdue;
    const char *category; /* stats_by_category only; else NULL */
} dh_fb_stats_row;

typedef int (*dh_fb_category_cb)(void *closure, const dh_fb_category_row *row);
typedef int (*dh_fb_route_cb)(void *closure, const dh_fb_route_row *row);
typedef int (*dh_fb_record_cb)(void *closure, const dh_fb_record_row *row);
typedef int (*dh_fb_event_cb)(void *closure, const dh_fb_event_row *row);
typedef int (*dh_fb_attachment_cb)(void *closure, const dh_fb_attachment_row *row);
typedef int (*dh_fb_stats_cb)(void *closure, const dh_fb_stats_row *row);
typedef int (*dh_fb_reminder_cb)(void *closure, const dh_fb_reminder_row *row);
/* An aggregate cell (agg_cells) and a count by unit (count_open_due). */
typedef int (*dh_fb_cell_cb)(void *closure, const char *unit, dh_date day, const dh_fbcell *cell,
                             int64_t rev);
typedef int (*dh_fb_count_cb)(void *closure, const char *unit, int64_t n);

typedef struct dh_feedback_ops {
    /* Inserts or replaces the category `code`. */
    dh_status (*put_category)(dh_conn *c, const dh_fb_category_row *r, dh_err *e);
    /* Categories by code; code NULL: all. */
    dh_status (*list_categories)(dh_conn *c, const char *code, dh_fb_category_cb cb,
                                 void *closure, dh_err *e);
    /* Inserts or replaces the rule (category, commune). */
    dh_status (*put_route)(dh_conn *c, const dh_fb_route_row *r, dh_err *e);
    /* Rules by category, commune. */
    dh_status (*list_routes)(dh_conn *c, dh_fb_route_cb cb, void *closure, dh_err *e);
    /* Inserts a record (id 0; code taken is DH_E_CONFLICT) or updates every
     * field but code, received_at and the contact of the one with that id
     * (DH_E_NOTFOUND if none). */
    dh_status (*save_record)(dh_conn *c, const dh_fb_record_row *r, int64_t *id, dh_err *e);
    /* Records as selected by f, in its order. */
    dh_status (*list_records)(dh_conn *c, const dh_fb_filter *f, dh_fb_record_cb cb,
                              void *closure, dh_err *e);
    /* Appends an event; (record_id, seq) taken is DH_E_CONFLICT. Events are
     * never changed. */
    dh_status (*add_event)(dh_conn *c, const dh_fb_event_row *r, dh_err *e);
    /* A record's events by seq. */
    dh_status (*list_events)(dh_conn *c, int64_t record_id, dh_fb_event_cb cb, void *closure,
                             dh_err *e);
    /* Inserts an attachment; (record_id, sha256) taken is DH_E_CONFLICT, more
     * than DH_FB_ATTACH_MAX bytes DH_E_TOOLARGE. */
    dh_status (*put_attachment)(dh_conn *c, const dh_fb_attachment_row *r, dh_err *e);
    /* A record's attachments by sha256. */
    dh_status (*list_attachments)(dh_conn *c, int64_t record_id, dh_fb_attachment_cb cb,
                                  void *closure, dh_err *e);
    /* Per handling unit (by unit), the figures of dh_fb_stats_row. */
    dh_status (*stats)(dh_conn *c, time_t from, time_t to, time_t at, dh_fb_stats_cb cb,
                       void *closure, dh_err *e);
    /* stats per handling unit and category (by unit, category). */
    dh_status (*stats_by_category)(dh_conn *c, time_t from, time_t to, time_t at,
                                   dh_fb_stats_cb cb, void *closure, dh_err *e);
    /* Appends a reminder; one already there (same unit, day, kind and
     * record) is left alone and *inserted is false. */
    dh_status (*put_reminder)(dh_conn *c, const dh_fb_reminder_row *r, bool *inserted,
                              dh_err *e);
    /* Reminders of `unit` (NULL: every unit), newest first (id DESC), ids
     * below before_id (0: from the newest), at most limit; with the
     * record's code. */
    dh_status (*list_reminders)(dh_conn *c, const char *unit, int64_t before_id, int limit,
                                dh_fb_reminder_cb cb, void *closure, dh_err *e);

    /* The per (unit, day) counters of core/fbagg.h (table fb_agg, migrations
     * 017 and 018). save_record keeps them: it removes the contributions of
     * the record as stored and adds those of the record as saved, in the
     * same transaction as the write (dh_fb_agg_save). */
    /* Adds delta to the cell (unit, day) and sets the cell's rev (a cell
     * left all zero is kept: readers see its change by its rev). */
    dh_status (*agg_add)(dh_conn *c, const char *unit, dh_date day, const dh_fbcell *delta,
                         int64_t rev, dh_err *e);
    /* Recomputes every cell from the records (dieuhanh rebuild, after a bulk
     * write straight into fb_records); the cells' rev is 0. */
    dh_status (*agg_rebuild)(dh_conn *c, dh_err *e);
    /* The cells whose rev is above after_rev (-1: every cell), in no
     * particular order, with their values and rev. */
    dh_status (*agg_cells)(dh_conn *c, int64_t after_rev, dh_fb_cell_cb cb, void *closure,
                           dh_err *e);
    /* Per handling unit, the open records (received, accepted, in_progress,
     * needs_info) whose deadline is in [from, to); units without one are
     * not given. */
    dh_status (*count_open_due)(dh_conn *c, time_t from, time_t to, dh_fb_count_cb cb,
                                void *closure, dh_err *e);
} dh_feedback_ops;

/* The meta counters of the aggregates: fb_agg_rev, bumped by every
 * save_record (the rev of the cells it changes); fb_agg_epoch, bumped after
 * agg_rebuild (every cell changed: readers load them all again). */
#define DH_FB_AGG_REV "fb_agg_rev"
#define DH_FB_AGG_EPOCH "fb_agg_epoch"

/* What both backends' save_record do (src/store/fbagg.c): remove the
 * contributions of the record as stored (if any), write the row with
 * save_row, add the contributions of the record as saved (its stored
 * receipt kept on update). On a failed write the stored contributions are
 * put back. */
dh_status dh_fb_agg_save(dh_conn *c, const dh_fb_record_row *r, int64_t *id,
                         dh_status (*save_row)(dh_conn *, const dh_fb_record_row *, int64_t *,
                                               dh_err *),
                         dh_err *e);

#define DH_FEEDBACK(c) (dh_conn_ops(c)->feedback)

#endif
