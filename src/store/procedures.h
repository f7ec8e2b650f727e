/* procedures.h - the storage contract for the procedure catalogue (versions by date).
 *
 * One small table of operations, filled by each backend (src/store/sqlite/
 * sq_procedures.c, ...) and reached from a connection with DH_PROCEDURES(c). The conventions
 * of store.h hold: rows come back through callbacks (0 goes on, non-zero
 * stops), strings given to a callback are borrowed for the call, every
 * operation returns DH_OK or fills *e. The tables only grow at the end. */
#ifndef DH_STORE_PROCEDURES_H
#define DH_STORE_PROCEDURES_H

#include "store/store.h"

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

typedef int (*dh_procedure_cb)(void *closure, const dh_procedure_row *row);

typedef struct dh_procedures_ops {
    /* The procedure catalogue: a version per (code, valid_from). */
    dh_status (*put_procedure)(dh_conn *c, const dh_procedure_row *r, int64_t *id, dh_err *e);
    dh_status (*load_procedures)(dh_conn *c, dh_procedure_cb cb, void *closure, dh_err *e);
} dh_procedures_ops;

#define DH_PROCEDURES(c) (dh_conn_ops(c)->procedures)

#endif
