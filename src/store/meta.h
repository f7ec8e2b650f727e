/* meta.h - the storage contract for named counters (revisions such as units_rev, calendar_rev) in the meta table.
 *
 * One small table of operations, filled by each backend (src/store/sqlite/
 * sq_meta.c, ...) and reached from a connection with DH_META(c). The conventions
 * of store.h hold: rows come back through callbacks (0 goes on, non-zero
 * stops), strings given to a callback are borrowed for the call, every
 * operation returns DH_OK or fills *e. The tables only grow at the end. */
#ifndef DH_STORE_META_H
#define DH_STORE_META_H

#include "store/store.h"

typedef struct dh_meta_ops {
    /* Named counters in the meta table ("calendar_rev", ...); a missing key
     * reads 0 and is created by the first bump. */
    dh_status (*meta_get)(dh_conn *c, const char *key, int64_t *value, dh_err *e);
    dh_status (*meta_bump)(dh_conn *c, const char *key, dh_err *e);
    /* Sets a meta value (meta_bump only counts up). */
    dh_status (*meta_set)(dh_conn *c, const char *key, int64_t value, dh_err *e);
    /* The size of the whole database in bytes, for monitoring (GET /metrics):
     * SQLite, its pages (page_count * page_size: the main file, without the
     * WAL); PostgreSQL, pg_database_size of the current database (every
     * schema in it). Needs no transaction. */
    dh_status (*db_size)(dh_conn *c, int64_t *bytes, dh_err *e);
} dh_meta_ops;

#define DH_META(c) (dh_conn_ops(c)->meta)

#endif
