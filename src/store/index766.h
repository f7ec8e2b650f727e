/* index766.h - the storage contract for the Decision 766 index: its configuration versions and manual values.
 *
 * One small table of operations, filled by each backend (src/store/sqlite/
 * sq_index766.c, ...) and reached from a connection with DH_I766(c). The conventions
 * of store.h hold: rows come back through callbacks (0 goes on, non-zero
 * stops), strings given to a callback are borrowed for the call, every
 * operation returns DH_OK or fills *e. The tables only grow at the end. */
#ifndef DH_STORE_INDEX766_H
#define DH_STORE_INDEX766_H

#include "store/store.h"

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

typedef struct dh_i766_ops {
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
} dh_i766_ops;

#define DH_I766(c) (dh_conn_ops(c)->i766)

#endif
