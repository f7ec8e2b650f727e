/* sq_meta.c - the SQLite backend of store/meta.h: named counters. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/meta.h"
#include "store/sqlite/sq.h"
#include "util/buf.h"

/* ------------------------------------------------------------------ */
/* Meta counters, calendars and schedules.                            */

static dh_status sq_meta_get(dh_conn *c, const char *key, int64_t *value, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c, "SELECT value FROM meta WHERE key = ?", e);
    *value = 0;
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, key);
    int rc = dh_sq_step(st);
    if (rc == SQLITE_ROW)
        *value = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "read meta");
}

static dh_status sq_meta_bump(dh_conn *c, const char *key, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "INSERT INTO meta(key, value) VALUES (?, 1) "
                            "ON CONFLICT(key) DO UPDATE SET value = value + 1",
                            e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, key);
    return dh_sq_run(c, st, "bump meta", e);
}

static dh_status sq_meta_set(dh_conn *c, const char *key, int64_t value, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "INSERT INTO meta(key, value) VALUES (?, ?) "
                            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                            e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, key);
    sqlite3_bind_int64(st, 2, value);
    return dh_sq_run(c, st, "set meta", e);
}

static dh_status sq_db_size(dh_conn *c, int64_t *bytes, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "SELECT p.page_count * s.page_size "
                                  "FROM pragma_page_count() AS p, pragma_page_size() AS s",
                                  e);
    *bytes = 0;
    if (!st)
        return DH_E_DB;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *bytes = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? DH_OK : dh_sq_db_error(c, e, "read the database size");
}

const dh_meta_ops dh_sqlite_meta_ops = {
    .meta_get = sq_meta_get,
    .meta_bump = sq_meta_bump,
    .meta_set = sq_meta_set,
    .db_size = sq_db_size,
};
