/* pg_save.h - saving a row with an id in the PostgreSQL backend (the
 * domains whose put_* inserts when the id is 0 and updates otherwise). */
#ifndef DH_STORE_PG_SAVE_H
#define DH_STORE_PG_SAVE_H

#include "store/postgres/pg.h"

/* SQLite inserts a NULL id to have the next one; PostgreSQL's identity
 * column must not be named at all. So a row without an id (given 0) runs
 * `insert`, an INSERT ... RETURNING id, and a row with one runs `upsert`,
 * the INSERT ... ON CONFLICT(id) DO UPDATE whose last parameter is the id,
 * appended here to the row's parameters p. *id (when not NULL) gets the
 * row's id. */
dh_status dh_pg_save_row(dh_conn *c, const char *insert, const char *upsert, int64_t given,
                         dh_pg_params *p, int64_t *id, const char *what, dh_err *e);

#endif
