/* sq_aggs.c - the SQLite backend of store/aggs.h: the service aggregates. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/aggs.h"
#include "store/sqlite/sq.h"
#include "util/buf.h"

/* ---- Aggregates. ---------------------------------------------------------- */

static dh_status sq_agg_key(dh_conn *c, const char *unit, const char *procedure, const char *field,
                            int32_t *id, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "SELECT id FROM agg_keys WHERE unit = ? AND procedure = ? AND field = ?",
                            e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, unit);
    dh_sq_bind_text(st, 2, procedure);
    dh_sq_bind_text(st, 3, field);
    int rc = dh_sq_step(st);
    if (rc == SQLITE_ROW) {
        *id = (int32_t)sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        return DH_OK;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return dh_sq_db_error(c, e, "read aggregate keys");
    st = dh_sq_stmt(c, "INSERT INTO agg_keys(unit, procedure, field) VALUES (?, ?, ?)", e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, unit);
    dh_sq_bind_text(st, 2, procedure);
    dh_sq_bind_text(st, 3, field);
    dh_status s = dh_sq_run(c, st, "save aggregate key", e);
    if (s == DH_OK)
        *id = (int32_t)sqlite3_last_insert_rowid(c->db);
    return s;
}

static dh_status sq_load_agg_keys(dh_conn *c, int32_t after_id, dh_agg_key_cb cb, void *closure,
                                  dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(
        c, "SELECT id, unit, procedure, field FROM agg_keys WHERE id > ? ORDER BY id", e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, after_id);
    int rc;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW)
        if (cb(closure, (int32_t)sqlite3_column_int64(st, 0), dh_sq_col_text(st, 1), dh_sq_col_text(st, 2),
               dh_sq_col_text(st, 3)))
            break;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "read aggregate keys");
}

static dh_status sq_agg_add(dh_conn *c, int32_t key, int32_t day, const dh_kcell *delta,
                            int64_t rev, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c, "SELECT cell FROM agg_days WHERE key = ? AND day = ?", e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, key);
    sqlite3_bind_int64(st, 2, day);
    dh_kcell cell = {0};
    int rc = dh_sq_step(st);
    if (rc == SQLITE_ROW &&
        dh_kcell_unpack(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), &cell)) {
        sqlite3_reset(st);
        return dh_err_set(e, DH_E_INTERNAL, "corrupt_cell", NULL, "aggregate cell %d/%d", key,
                          day);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return dh_sq_db_error(c, e, "read aggregate cell");
    dh_kcell_add(&cell, delta, 1);
    unsigned char blob[DH_KCELL_BLOB];
    dh_kcell_pack(&cell, blob);
    st = dh_sq_stmt(c, "INSERT OR REPLACE INTO agg_days(key, day, cell, rev) VALUES (?, ?, ?, ?)", e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, key);
    sqlite3_bind_int64(st, 2, day);
    dh_sq_bound(st, sqlite3_bind_blob(st, 3, blob, sizeof blob, SQLITE_TRANSIENT));
    sqlite3_bind_int64(st, 4, rev);
    return dh_sq_run(c, st, "save aggregate cell", e);
}

static dh_status sq_load_agg_cells(dh_conn *c, int64_t after_rev, dh_agg_cell_cb cb,
                                   void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(
        c, "SELECT key, day, cell, rev FROM agg_days WHERE rev > ? ORDER BY rev, key, day", e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, after_rev);
    int rc;
    dh_status s = DH_OK;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_kcell cell;
        if (dh_kcell_unpack(sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
                            &cell)) {
            s = dh_err_set(e, DH_E_INTERNAL, "corrupt_cell", NULL, "aggregate cell");
            break;
        }
        if (cb(closure, (int32_t)sqlite3_column_int64(st, 0), (int32_t)sqlite3_column_int64(st, 1),
               &cell, sqlite3_column_int64(st, 3)))
            break;
    }
    sqlite3_reset(st);
    if (s)
        return s;
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "read aggregate cells");
}

static dh_status sq_agg_reset(dh_conn *c, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c, "DELETE FROM agg_days", e);
    if (!st || dh_sq_run(c, st, "clear aggregates", e))
        return DH_E_DB;
    st = dh_sq_stmt(c, "UPDATE dossiers SET fact = NULL WHERE fact IS NOT NULL", e);
    if (!st)
        return DH_E_DB;
    return dh_sq_run(c, st, "clear facts", e);
}

static dh_status sq_get_fact(dh_conn *c, const char *code, dh_dfact *f, bool *found, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c, "SELECT fact FROM dossiers WHERE code = ?", e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, code);
    *found = false;
    int rc = dh_sq_step(st);
    dh_status s = DH_OK;
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_BLOB) {
        if (dh_dfact_unpack(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), f))
            s = dh_err_set(e, DH_E_INTERNAL, "corrupt_fact", NULL, "dossier %s", code);
        else
            *found = true;
    }
    sqlite3_reset(st);
    if (s)
        return s;
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "read dossier fact");
}

/* ---- Bulk: loops over the ops above. */

static dh_status sq_get_facts(dh_conn *c, const char *const *codes, size_t n, dh_fact_cb cb,
                              void *closure, dh_err *e)
{
    for (size_t i = 0; i < n; i++) {
        dh_dfact f;
        bool found = false;
        dh_status s = sq_get_fact(c, codes[i], &f, &found, e);
        if (s)
            return s;
        if (found && cb(closure, codes[i], &f))
            break;
    }
    return DH_OK;
}

static dh_status sq_agg_add_many(dh_conn *c, const dh_agg_delta *deltas, size_t n, int64_t rev,
                                 dh_err *e)
{
    dh_status s = DH_OK;
    for (size_t i = 0; i < n && s == DH_OK; i++)
        s = sq_agg_add(c, deltas[i].key, deltas[i].day, &deltas[i].d, rev, e);
    return s;
}

static dh_status sq_snap_put(dh_conn *c, int64_t gen, int64_t part, const void *data, size_t n,
                             dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(
        c, "INSERT OR REPLACE INTO agg_snap(gen, part, data) VALUES (?, ?, ?)", e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, gen);
    sqlite3_bind_int64(st, 2, part);
    dh_sq_bound(st, sqlite3_bind_blob64(st, 3, n ? data : "", (sqlite3_uint64)n, SQLITE_STATIC));
    return dh_sq_run(c, st, "save aggregates snapshot", e);
}

static dh_status sq_snap_get(dh_conn *c, int64_t gen, dh_agg_part_cb cb, void *closure,
                             dh_err *e)
{
    sqlite3_stmt *st =
        dh_sq_stmt(c, "SELECT part, data FROM agg_snap WHERE gen = ? ORDER BY part", e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, gen);
    int rc;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW)
        if (cb(closure, sqlite3_column_int64(st, 0), sqlite3_column_blob(st, 1),
               (size_t)sqlite3_column_bytes(st, 1)))
            break;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE
               ? DH_OK
               : dh_sq_db_error(c, e, "read aggregates snapshot");
}

static dh_status sq_snap_count(dh_conn *c, int64_t gen, int64_t *parts, int64_t *bytes,
                               dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(
        c, "SELECT count(*), coalesce(sum(length(data)), 0) FROM agg_snap WHERE gen = ?", e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, gen);
    int rc = dh_sq_step(st);
    *parts = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    *bytes = rc == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? DH_OK : dh_sq_db_error(c, e, "count aggregates snapshot");
}

static dh_status sq_snap_drop(dh_conn *c, int64_t below_gen, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c, "DELETE FROM agg_snap WHERE gen < ?", e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, below_gen);
    return dh_sq_run(c, st, "drop aggregates snapshot", e);
}

const dh_aggs_ops dh_sqlite_aggs_ops = {
    .agg_key = sq_agg_key,
    .load_agg_keys = sq_load_agg_keys,
    .agg_add = sq_agg_add,
    .load_agg_cells = sq_load_agg_cells,
    .agg_reset = sq_agg_reset,
    .get_fact = sq_get_fact,
    .get_facts = sq_get_facts,
    .agg_add_many = sq_agg_add_many,
    .snap_put = sq_snap_put,
    .snap_get = sq_snap_get,
    .snap_count = sq_snap_count,
    .snap_drop = sq_snap_drop,
};
