/* sq_rows.c - the generic row interface (store/rows.h) on SQLite: tables
 * from sqlite_schema in foreign-key order, columns from table_info, rows
 * by rowid (or primary key for WITHOUT ROWID tables), bulk inserts through
 * one prepared INSERT, and AUTOINCREMENT counters set past the largest id.
 *
 * Foreign keys are deferred to the commit in a transaction that writes
 * rows here (PRAGMA defer_foreign_keys, which SQLite resets at the end of
 * the transaction), so that rows of a table may name rows that come later
 * in the same table (a task's parent task, a target's split) as the
 * contract allows; every key is still checked before the commit. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store/rows.h"
#include "store/rows_int.h"
#include "store/sqlite/sq.h"

/* Prepares a statement built here from catalogue names (not cached:
 * finalize it). */
static sqlite3_stmt *prepare_built(dh_conn *c, dh_buf *sql, const char *what, dh_err *e)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, sql->p, -1, &st, NULL) != SQLITE_OK) {
        dh_sq_db_error(c, e, what);
        sqlite3_finalize(st);
        st = NULL;
    }
    dh_buf_free(sql);
    return st;
}

/* DH_OK when `table` is a table of the schema (not SQLite's own). */
static dh_status known_table(dh_conn *c, const char *table, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1 "
                                  "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
                                  e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, table);
    int rc = dh_sq_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return DH_OK;
    if (rc != SQLITE_DONE)
        return dh_sq_db_error(c, e, "look up a table");
    return dh_err_set(e, DH_E_NOTFOUND, "not_found", NULL, "no table '%s' in the database",
                      table);
}

static dh_status each_name(dh_conn *c, sqlite3_stmt *st, const char *bind, dh_code_cb cb,
                           void *closure, const char *what, dh_err *e)
{
    if (bind)
        dh_sq_bind_text(st, 1, bind);
    int rc;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW)
        if (cb(closure, dh_sq_col_text(st, 0)))
            break;
    dh_status s = rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, what);
    sqlite3_reset(st);
    return s;
}

static dh_status sq_tables(dh_conn *c, dh_code_cb cb, void *closure, dh_err *e)
{
    /* Each table's depth is its longest chain of foreign keys to a table
     * that names none (self-references left out; 64 bounds a cycle, which
     * the schema has not). */
    sqlite3_stmt *st = dh_sq_stmt(
        c,
        "WITH RECURSIVE t(name) AS ("
        "  SELECT name FROM sqlite_schema WHERE type = 'table' "
        "  AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'), "
        "fk(child, parent) AS ("
        "  SELECT DISTINCT t.name, f.\"table\" FROM t, pragma_foreign_key_list(t.name) AS f "
        "  WHERE f.\"table\" <> t.name), "
        "d(name, depth) AS ("
        "  SELECT name, 0 FROM t UNION ALL "
        "  SELECT fk.child, d.depth + 1 FROM fk JOIN d ON fk.parent = d.name WHERE d.depth < 64) "
        "SELECT name FROM d GROUP BY name ORDER BY max(depth), name",
        e);
    if (!st)
        return DH_E_DB;
    return each_name(c, st, NULL, cb, closure, "list tables", e);
}

static dh_status sq_columns(dh_conn *c, const char *table, dh_code_cb cb, void *closure,
                            dh_err *e)
{
    dh_status s = known_table(c, table, e);
    if (s)
        return s;
    sqlite3_stmt *st = dh_sq_stmt(c, "SELECT name FROM pragma_table_info(?1) ORDER BY cid", e);
    if (!st)
        return DH_E_DB;
    return each_name(c, st, table, cb, closure, "list columns", e);
}

static dh_status sq_count(dh_conn *c, const char *table, int64_t *n, dh_err *e)
{
    *n = 0;
    dh_status s = known_table(c, table, e);
    if (s)
        return s;
    dh_buf sql = DH_BUF_INIT;
    dh_buf_puts(&sql, "SELECT count(*) FROM ");
    dh_rows_quote(&sql, table);
    sqlite3_stmt *st = prepare_built(c, &sql, "count rows", e);
    if (!st)
        return DH_E_DB;
    if (dh_sq_step(st) == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    else
        s = dh_sq_db_error(c, e, "count rows");
    sqlite3_finalize(st);
    return s;
}

/* The ORDER BY of a scan: rowid, or the primary key of a WITHOUT ROWID
 * table (its storage order either way, so no sort is needed). */
static dh_status scan_order(dh_conn *c, const char *table, dh_buf *sql, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c, "SELECT wr FROM pragma_table_list(?1)", e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, table);
    int rc = dh_sq_step(st);
    bool without_rowid = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
    /* A failed step is an error, not "a table with rowids". */
    dh_status rs = DH_OK;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        rs = dh_sq_db_error(c, e, "read the table's kind");
    sqlite3_reset(st);
    if (rs)
        return rs;
    dh_buf_puts(sql, " ORDER BY ");
    if (!without_rowid) {
        dh_buf_puts(sql, "rowid");
        return DH_OK;
    }
    st = dh_sq_stmt(c, "SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk", e);
    if (!st)
        return DH_E_DB;
    dh_rows_names pk = {0};
    dh_status s = each_name(c, st, table, dh_rows_names_add, &pk, "list the primary key", e);
    dh_rows_quote_list(sql, pk.v, pk.n);
    dh_rows_names_free(&pk);
    return s;
}

static dh_status sq_scan(dh_conn *c, const char *table, dh_row_cb cb, void *closure, dh_err *e)
{
    dh_rows_names cols = {0};
    dh_status s = sq_columns(c, table, dh_rows_names_add, &cols, e);
    if (s == DH_OK && (cols.overflow || cols.n == 0))
        s = dh_err_set(e, DH_E_DB, "database_error", NULL, "table %s has %s columns", table,
                       cols.n ? "too many" : "no");
    dh_buf sql = DH_BUF_INIT;
    if (s == DH_OK) {
        dh_buf_puts(&sql, "SELECT ");
        dh_rows_quote_list(&sql, cols.v, cols.n);
        dh_buf_puts(&sql, " FROM ");
        dh_rows_quote(&sql, table);
        s = scan_order(c, table, &sql, e);
    }
    sqlite3_stmt *st = s == DH_OK ? prepare_built(c, &sql, "scan rows", e) : NULL;
    dh_buf_free(&sql);
    if (s == DH_OK && !st)
        s = DH_E_DB;
    dh_value v[DH_ROWS_COLS_MAX];
    int rc = SQLITE_DONE;
    while (s == DH_OK && (rc = dh_sq_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < cols.n; i++) {
            dh_value *x = &v[i];
            memset(x, 0, sizeof *x);
            switch (sqlite3_column_type(st, i)) {
            case SQLITE_INTEGER:
                x->type = DH_V_INT;
                x->i = sqlite3_column_int64(st, i);
                break;
            case SQLITE_FLOAT:
                x->type = DH_V_REAL;
                x->r = sqlite3_column_double(st, i);
                break;
            case SQLITE_TEXT:
                x->type = DH_V_TEXT;
                x->p = (const char *)sqlite3_column_text(st, i);
                x->n = (size_t)sqlite3_column_bytes(st, i);
                break;
            case SQLITE_BLOB:
                x->type = DH_V_BLOB;
                x->p = sqlite3_column_blob(st, i);
                x->n = (size_t)sqlite3_column_bytes(st, i);
                break;
            default:
                x->type = DH_V_NULL;
            }
        }
        if (cb(closure, v, cols.n))
            break;
    }
    if (s == DH_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        s = dh_sq_db_error(c, e, "scan rows");
    sqlite3_finalize(st);
    dh_rows_names_free(&cols);
    return s;
}

static dh_status sq_insert_begin(dh_conn *c, const char *table, const char *const *cols,
                                 int ncols, dh_err *e)
{
    if (c->bulk)
        return dh_err_set(e, DH_E_INTERNAL, "internal_error", NULL,
                          "a bulk insert is already in progress on this connection");
    if (ncols < 1 || ncols > DH_ROWS_COLS_MAX)
        return dh_err_set(e, DH_E_INVALID, "invalid", NULL, "a bulk insert takes 1 to %d columns",
                          DH_ROWS_COLS_MAX);
    dh_status s = known_table(c, table, e);
    if (s)
        return s;
    if ((s = dh_sq_exec(c, "PRAGMA defer_foreign_keys = ON", "defer foreign keys", e)))
        return s;
    dh_buf sql = DH_BUF_INIT;
    dh_buf_puts(&sql, "INSERT INTO ");
    dh_rows_quote(&sql, table);
    dh_buf_puts(&sql, "(");
    dh_rows_quote_list(&sql, (char *const *)cols, ncols);
    dh_buf_puts(&sql, ") VALUES (");
    for (int i = 0; i < ncols; i++)
        dh_buf_puts(&sql, i ? ",?" : "?");
    dh_buf_puts(&sql, ")");
    c->bulk = prepare_built(c, &sql, "bulk insert", e);
    c->bulk_cols = ncols;
    return c->bulk ? DH_OK : DH_E_DB;
}

static dh_status sq_insert_row(dh_conn *c, const dh_value *v, dh_err *e)
{
    sqlite3_stmt *st = c->bulk;
    if (!st)
        return dh_err_set(e, DH_E_INTERNAL, "internal_error", NULL, "no bulk insert in progress");
    for (int i = 0; i < c->bulk_cols; i++) {
        const dh_value *x = &v[i];
        switch (x->type) {
        case DH_V_INT:
            sqlite3_bind_int64(st, i + 1, x->i);
            break;
        case DH_V_REAL:
            sqlite3_bind_double(st, i + 1, x->r);
            break;
        case DH_V_TEXT:
            dh_sq_bound(st, sqlite3_bind_text(st, i + 1, x->p, (int)x->n, SQLITE_STATIC));
            break;
        case DH_V_BLOB:
            dh_sq_bound(st,
                        sqlite3_bind_blob(st, i + 1, x->n ? x->p : "", (int)x->n, SQLITE_STATIC));
            break;
        default:
            sqlite3_bind_null(st, i + 1);
        }
    }
    return dh_sq_run(c, st, "insert a row", e);
}

static dh_status sq_insert_end(dh_conn *c, dh_err *e)
{
    (void)e;
    sqlite3_finalize(c->bulk);
    c->bulk = NULL;
    c->bulk_cols = 0;
    return DH_OK;
}

static dh_status sq_clear(dh_conn *c, const char *table, dh_err *e)
{
    dh_status s = known_table(c, table, e);
    if (s)
        return s;
    dh_buf sql = DH_BUF_INIT;
    dh_buf_puts(&sql, "DELETE FROM ");
    dh_rows_quote(&sql, table);
    sqlite3_stmt *st = prepare_built(c, &sql, "clear a table", e);
    if (!st)
        return DH_E_DB;
    s = dh_sq_run(c, st, "clear a table", e);
    sqlite3_finalize(st);
    return s;
}

/* SQLite's own counter of an AUTOINCREMENT table set to its largest rowid
 * when it is below it (an INTEGER PRIMARY KEY without AUTOINCREMENT takes
 * the largest rowid plus one by itself). */
static dh_status sq_reset_sequences(dh_conn *c, dh_err *e)
{
    dh_rows_names auto_tables = {0};
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "SELECT name FROM sqlite_schema WHERE type = 'table' "
                                  "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                                  "AND upper(sql) LIKE '%AUTOINCREMENT%' ORDER BY name",
                                  e);
    dh_status s = st ? each_name(c, st, NULL, dh_rows_names_add, &auto_tables,
                                 "list AUTOINCREMENT tables", e)
                     : DH_E_DB;
    for (int i = 0; i < auto_tables.n && s == DH_OK; i++) {
        dh_buf sql = DH_BUF_INIT;
        dh_buf_puts(&sql, "SELECT coalesce(max(rowid), 0) FROM ");
        dh_rows_quote(&sql, auto_tables.v[i]);
        sqlite3_stmt *mx = prepare_built(c, &sql, "largest id", e);
        if (!mx) {
            s = DH_E_DB;
            break;
        }
        /* A failed step is an error, not a counter of 0. */
        int64_t top = 0;
        if (dh_sq_step(mx) == SQLITE_ROW)
            top = sqlite3_column_int64(mx, 0);
        else
            s = dh_sq_db_error(c, e, "largest id");
        sqlite3_finalize(mx);
        if (s)
            break;
        st = dh_sq_stmt(c,
                        "INSERT INTO sqlite_sequence(name, seq) SELECT ?1, ?2 WHERE NOT EXISTS "
                        "(SELECT 1 FROM sqlite_sequence WHERE name = ?1)",
                        e);
        if (!st)
            s = DH_E_DB;
        if (s == DH_OK) {
            dh_sq_bind_text(st, 1, auto_tables.v[i]);
            sqlite3_bind_int64(st, 2, top);
            s = dh_sq_run(c, st, "set a counter", e);
        }
        st = s == DH_OK ? dh_sq_stmt(c,
                                     "UPDATE sqlite_sequence SET seq = ?2 "
                                     "WHERE name = ?1 AND seq < ?2",
                                     e)
                        : NULL;
        if (s == DH_OK && !st)
            s = DH_E_DB;
        if (s == DH_OK) {
            dh_sq_bind_text(st, 1, auto_tables.v[i]);
            sqlite3_bind_int64(st, 2, top);
            s = dh_sq_run(c, st, "set a counter", e);
        }
    }
    dh_rows_names_free(&auto_tables);
    return s;
}

const dh_rows_ops dh_sqlite_rows_ops = {
    .tables = sq_tables,
    .columns = sq_columns,
    .count = sq_count,
    .scan = sq_scan,
    .insert_begin = sq_insert_begin,
    .insert_row = sq_insert_row,
    .insert_end = sq_insert_end,
    .clear = sq_clear,
    .reset_sequences = sq_reset_sequences,
};
