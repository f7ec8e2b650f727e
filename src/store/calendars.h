/* calendars.h - the storage contract for working-time calendars, the official yearly schedules and units' calendar assignments.
 *
 * One small table of operations, filled by each backend (src/store/sqlite/
 * sq_calendars.c, ...) and reached from a connection with DH_CALENDARS(c). The conventions
 * of store.h hold: rows come back through callbacks (0 goes on, non-zero
 * stops), strings given to a callback are borrowed for the call, every
 * operation returns DH_OK or fills *e. The tables only grow at the end. */
#ifndef DH_STORE_CALENDARS_H
#define DH_STORE_CALENDARS_H

#include "store/store.h"

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

typedef int (*dh_calendar_cb)(void *closure, const dh_calendar_row *row);
typedef int (*dh_sched_cb)(void *closure, const dh_sched_row *row);
typedef int (*dh_unit_calendar_cb)(void *closure, const dh_unit_calendar_row *row);

typedef struct dh_calendars_ops {
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
} dh_calendars_ops;

#define DH_CALENDARS(c) (dh_conn_ops(c)->calendars)

#endif
