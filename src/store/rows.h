/* rows.h - the generic row interface of the storage contract: every table
 * of the schema as rows of typed values, for `dieuhanh copy` (moving a
 * whole database from one backend to another, app/copy.c) and nothing
 * else. The domains' own headers remain the way the application reads and
 * writes; this one knows no table by name.
 *
 * Tables and columns come from the database's own catalogue (SQLite's
 * sqlite_schema and table pragmas, PostgreSQL's pg_catalog in the current
 * schema), so a table a later migration adds is copied without an edit
 * here. The two backends share a representation (postgres/pg.h: dates as
 * text, instants as bigint seconds, flags 0/1, ids bigint, blobs bytea,
 * JSON as text), so a row read from one is written to the other unchanged.
 *
 * Identifiers: statements here name tables and columns, which cannot be
 * bound parameters. Every op that takes a table name first looks it up in
 * the catalogue (an unknown name is DH_E_NOTFOUND) and quotes every
 * identifier it writes into SQL; nothing typed by a user reaches SQL text.
 *
 * Ownership: the values given to a callback (text, blob bytes) are
 * borrowed for the call. Callbacks return 0 to go on, non-zero to stop.
 * Every op returns DH_OK or fills *e. */
#ifndef DH_STORE_ROWS_H
#define DH_STORE_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef enum dh_value_type {
    DH_V_NULL,
    DH_V_INT,  /* i */
    DH_V_REAL, /* r */
    DH_V_TEXT, /* p, n bytes (NUL-terminated as well) */
    DH_V_BLOB, /* p, n bytes */
} dh_value_type;

typedef struct dh_value {
    dh_value_type type;
    int64_t i;
    double r;
    const char *p;
    size_t n;
} dh_value;

/* One row: v[0..n-1] in the order of the columns the scan names. */
typedef int (*dh_row_cb)(void *closure, const dh_value *v, int n);

/* The most columns a table may have here (the widest, tasks, has 27). */
#define DH_ROWS_COLS_MAX 64

typedef struct dh_rows_ops {
    /* The tables of the schema, every table after those its foreign keys
     * name (a table referring to itself does not count), ties by name in
     * byte order. The engine's own bookkeeping is left out (SQLite's
     * sqlite_* tables, PostgreSQL's dh_schema). */
    dh_status (*tables)(dh_conn *c, dh_code_cb cb, void *closure, dh_err *e);
    /* The columns of `table`, in the table's order. */
    dh_status (*columns)(dh_conn *c, const char *table, dh_code_cb cb, void *closure,
                         dh_err *e);
    dh_status (*count)(dh_conn *c, const char *table, int64_t *n, dh_err *e);
    /* Every row of `table`, with the columns in `columns` order, in the
     * table's key order (its primary key; SQLite's rowid for a table that
     * has one; a table without a primary key in an order of the backend's
     * choosing). Integers come as DH_V_INT, floating point as DH_V_REAL,
     * blobs (bytea) as DH_V_BLOB, all else as DH_V_TEXT. */
    dh_status (*scan)(dh_conn *c, const char *table, dh_row_cb cb, void *closure, dh_err *e);
    /* A bulk insert into `table` of rows given column by column as
     * `cols`: insert_begin, then insert_row for each row (v[0..ncols-1]),
     * then insert_end, all inside one write transaction, one bulk insert
     * at a time per connection. Ids are taken as given. A row the
     * database refuses fails insert_row or insert_end (PostgreSQL's COPY
     * checks at the end); after a failure call insert_end anyway to free
     * what the bulk insert holds (it then answers the first failure) and
     * roll back. Foreign keys between rows of the same table may point
     * forward within one bulk insert. */
    dh_status (*insert_begin)(dh_conn *c, const char *table, const char *const *cols, int ncols,
                              dh_err *e);
    dh_status (*insert_row)(dh_conn *c, const dh_value *v, dh_err *e);
    dh_status (*insert_end)(dh_conn *c, dh_err *e);
    /* Deletes every row of `table` (the rows a migration seeded, before a
     * copy replaces them). An append-only table refuses it, as always. */
    dh_status (*clear)(dh_conn *c, const char *table, dh_err *e);
    /* Sets every generator of ids (PostgreSQL's identity sequences,
     * SQLite's AUTOINCREMENT counters) past the largest id of its table, so
     * that the next row the application adds gets a new id. */
    dh_status (*reset_sequences)(dh_conn *c, dh_err *e);
} dh_rows_ops;

#define DH_ROWS(c) (dh_conn_ops(c)->rows)

#endif
