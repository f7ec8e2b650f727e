/* units.h - the storage contract for the unit registry: units, their versions, reorganisation events and links, and the units_rev counter.
 *
 * One small table of operations, filled by each backend (src/store/sqlite/
 * sq_units.c, ...) and reached from a connection with DH_UNITS(c). The conventions
 * of store.h hold: rows come back through callbacks (0 goes on, non-zero
 * stops), strings given to a callback are borrowed for the call, every
 * operation returns DH_OK or fills *e. The tables only grow at the end. */
#ifndef DH_STORE_UNITS_H
#define DH_STORE_UNITS_H

#include "store/store.h"

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

typedef int (*dh_unit_cb)(void *closure, const dh_unit_row *row);
typedef int (*dh_unit_version_cb)(void *closure, const dh_unit_version_row *row);
typedef int (*dh_unit_link_cb)(void *closure, const dh_unit_link_row *row);

typedef struct dh_units_ops {
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
} dh_units_ops;

#define DH_UNITS(c) (dh_conn_ops(c)->units)

#endif
