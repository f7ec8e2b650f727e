/* pg_rows.c - the generic row interface (store/rows.h) on PostgreSQL:
 * tables of the current schema (the first of search_path) from pg_catalog
 * in foreign-key order, rows read through a cursor in primary-key order,
 * bulk inserts through COPY ... FROM STDIN (text format), and identity
 * sequences set past the largest id.
 *
 * One bulk insert is one COPY command, and PostgreSQL checks the foreign
 * keys of a command (even NOT DEFERRABLE ones) at its end, so rows of a
 * table may name rows that come later in the same table, as the contract
 * allows. No trigger is disabled: the audit trail's triggers refuse
 * UPDATE, DELETE and TRUNCATE, and a copy only inserts. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/postgres/pg.h"
#include "store/rows.h"
#include "store/rows_int.h"

#define COPY_CHUNK (256 * 1024) /* bytes of rows sent to the server at once */

/* The current schema's oid, as a subquery (search_path's first schema). */
#define CUR_NS "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())"

/* Runs SQL built from catalogue names (not prepared: it differs by
 * table); *res as dh_pg_exec's. */
static dh_status run_built(dh_conn *c, dh_buf *sql, PGresult **res, const char *what, dh_err *e)
{
    PGresult *r = PQexec(c->pg, sql->p);
    dh_buf_free(sql);
    dh_status s = dh_pg_check(c, r, what, e);
    if (s == DH_OK && res)
        *res = r;
    else if (s == DH_OK)
        PQclear(r);
    return s;
}

static dh_status each_name(dh_conn *c, const char *sql, const char *bind, dh_code_cb cb,
                           void *closure, const char *what, dh_err *e)
{
    dh_pg_params p = {0};
    if (bind)
        dh_pg_text(&p, bind);
    PGresult *res;
    dh_status s = dh_pg_exec(c, sql, &p, &res, what, e);
    if (s)
        return s;
    for (int r = 0; r < PQntuples(res); r++)
        if (cb(closure, dh_pg_col_text(res, r, 0)))
            break;
    PQclear(res);
    return DH_OK;
}

static dh_status known_table(dh_conn *c, const char *table, dh_err *e)
{
    int64_t found = 0;
    dh_pg_params p = {0};
    dh_pg_text(&p, table);
    dh_status s = dh_pg_exec_id(c,
                                "SELECT count(*) FROM pg_class WHERE relnamespace = " CUR_NS
                                " AND relkind IN ('r', 'p') AND relname = $1::text "
                                "AND relname <> 'dh_schema'",
                                &p, &found, "look up a table", e);
    if (s == DH_OK && !found)
        s = dh_err_set(e, DH_E_NOTFOUND, "not_found", NULL, "no table '%s' in the database",
                       table);
    return s;
}

static dh_status pg_tables(dh_conn *c, dh_code_cb cb, void *closure, dh_err *e)
{
    /* As in sq_rows.c: each table's depth is its longest chain of foreign
     * keys (self-references left out; 64 bounds a cycle). */
    return each_name(
        c,
        "WITH RECURSIVE t AS ("
        "  SELECT oid, relname::text AS name FROM pg_class WHERE relnamespace = " CUR_NS
        "  AND relkind IN ('r', 'p') AND relname <> 'dh_schema'), "
        "fk AS ("
        "  SELECT DISTINCT k.conrelid AS child, k.confrelid AS parent "
        "  FROM pg_constraint k JOIN t ON t.oid = k.conrelid "
        "  WHERE k.contype = 'f' AND k.conrelid <> k.confrelid), "
        "d(oid, depth) AS ("
        "  SELECT oid, 0 FROM t UNION ALL "
        "  SELECT fk.child, d.depth + 1 FROM fk JOIN d ON fk.parent = d.oid WHERE d.depth < 64) "
        "SELECT t.name FROM d JOIN t USING (oid) GROUP BY t.name "
        "ORDER BY max(d.depth), t.name COLLATE \"C\"",
        NULL, cb, closure, "list tables", e);
}

/* Generated columns are left out, as SQLite's table_info leaves them out:
 * the target computes them again. */
static dh_status pg_columns(dh_conn *c, const char *table, dh_code_cb cb, void *closure,
                            dh_err *e)
{
    dh_status s = known_table(c, table, e);
    if (s)
        return s;
    return each_name(c,
                     "SELECT a.attname FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid "
                     "WHERE r.relnamespace = " CUR_NS " AND r.relname = $1::text "
                     "AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' "
                     "ORDER BY a.attnum",
                     table, cb, closure, "list columns", e);
}

static dh_status pg_count(dh_conn *c, const char *table, int64_t *n, dh_err *e)
{
    *n = 0;
    dh_status s = known_table(c, table, e);
    if (s)
        return s;
    dh_buf sql = DH_BUF_INIT;
    dh_buf_puts(&sql, "SELECT count(*) FROM ");
    dh_rows_quote(&sql, table);
    PGresult *res;
    if ((s = run_built(c, &sql, &res, "count rows", e)))
        return s;
    *n = dh_pg_col_int(res, 0, 0);
    PQclear(res);
    return DH_OK;
}

/* The value of row r, column i as a typed value; *owned (to free after
 * the callback) gets a decoded bytea. */
static void typed(const PGresult *res, int r, int i, dh_value *x, void **owned)
{
    memset(x, 0, sizeof *x);
    *owned = NULL;
    if (PQgetisnull(res, r, i))
        return;
    const char *s = PQgetvalue(res, r, i);
    switch (PQftype(res, i)) {
    case 20: /* int8 */
    case 21: /* int2 */
    case 23: /* int4 */
    case 26: /* oid */
        x->type = DH_V_INT;
        x->i = strtoll(s, NULL, 10);
        break;
    case 16: /* bool */
        x->type = DH_V_INT;
        x->i = *s == 't';
        break;
    case 700:  /* float4 */
    case 701:  /* float8 */
    case 1700: /* numeric */
        x->type = DH_V_REAL;
        x->r = strtod(s, NULL);
        break;
    case 17: /* bytea */
        x->type = DH_V_BLOB;
        *owned = dh_pg_col_bytes(res, r, i, &x->n);
        x->p = *owned;
        break;
    default:
        x->type = DH_V_TEXT;
        x->p = s;
        x->n = (size_t)PQgetlength(res, r, i);
    }
}

typedef struct scan_reader {
    dh_row_cb cb;
    void *closure;
    int ncols;
} scan_reader;

static int on_scan_row(void *closure, const PGresult *res, int r)
{
    scan_reader *k = closure;
    dh_value v[DH_ROWS_COLS_MAX];
    void *owned[DH_ROWS_COLS_MAX];
    for (int i = 0; i < k->ncols; i++)
        typed(res, r, i, &v[i], &owned[i]);
    int stop = k->cb(k->closure, v, k->ncols);
    for (int i = 0; i < k->ncols; i++)
        free(owned[i]);
    return stop;
}

static dh_status pg_scan(dh_conn *c, const char *table, dh_row_cb cb, void *closure, dh_err *e)
{
    dh_rows_names cols = {0}, pk = {0};
    dh_status s = pg_columns(c, table, dh_rows_names_add, &cols, e);
    if (s == DH_OK && (cols.overflow || cols.n == 0))
        s = dh_err_set(e, DH_E_DB, "database_error", NULL, "table %s has %s columns", table,
                       cols.n ? "too many" : "no");
    if (s == DH_OK)
        s = each_name(c,
                      "SELECT a.attname FROM pg_index i JOIN pg_class r ON r.oid = i.indrelid "
                      "JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum = ANY (i.indkey) "
                      "WHERE r.relnamespace = " CUR_NS " AND r.relname = $1::text "
                      "AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)",
                      table, dh_rows_names_add, &pk, "list the primary key", e);
    if (s) {
        dh_rows_names_free(&cols);
        dh_rows_names_free(&pk);
        return s;
    }
    dh_buf sql = DH_BUF_INIT;
    dh_buf_puts(&sql, "SELECT ");
    dh_rows_quote_list(&sql, cols.v, cols.n);
    dh_buf_puts(&sql, " FROM ");
    dh_rows_quote(&sql, table);
    dh_buf_puts(&sql, " ORDER BY ");
    if (pk.n) {
        dh_rows_quote_list(&sql, pk.v, pk.n);
    } else { /* every column, for want of a key */
        for (int i = 0; i < cols.n; i++)
            dh_buf_printf(&sql, "%s%d", i ? "," : "", i + 1);
    }
    /* Read in slices (a table of stored files holds rows of up to 20 MiB). */
    scan_reader k = {cb, closure, cols.n};
    s = dh_pg_cursor(c, "dh_rows_scan", sql.p, NULL, false, on_scan_row, &k, "scan rows", e);
    dh_buf_free(&sql);
    dh_rows_names_free(&cols);
    dh_rows_names_free(&pk);
    return s;
}

/* ------------------------------------------------------------------ */
/* Bulk insert: COPY ... FROM STDIN in text format.                   */

static void copy_text(dh_buf *b, const char *p, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        char ch = p[k];
        if (ch == '\\')
            dh_buf_puts(b, "\\\\");
        else if (ch == '\t')
            dh_buf_puts(b, "\\t");
        else if (ch == '\n')
            dh_buf_puts(b, "\\n");
        else if (ch == '\r')
            dh_buf_puts(b, "\\r");
        else
            dh_buf_putc(b, ch);
    }
}

static void copy_value(dh_buf *b, const dh_value *x)
{
    static const char hex[] = "0123456789abcdef";
    switch (x->type) {
    case DH_V_INT:
        dh_buf_printf(b, "%" PRId64, x->i);
        break;
    case DH_V_REAL:
        if (isnan(x->r))
            dh_buf_puts(b, "NaN");
        else if (isinf(x->r))
            dh_buf_puts(b, x->r > 0 ? "Infinity" : "-Infinity");
        else
            dh_buf_printf(b, "%.17g", x->r);
        break;
    case DH_V_TEXT:
        copy_text(b, x->p, x->n);
        break;
    case DH_V_BLOB: /* bytea's hex input, its backslash escaped for COPY */
        dh_buf_puts(b, "\\\\x");
        for (size_t k = 0; k < x->n; k++) {
            unsigned char ch = (unsigned char)x->p[k];
            dh_buf_putc(b, hex[ch >> 4]);
            dh_buf_putc(b, hex[ch & 15]);
        }
        break;
    default:
        dh_buf_puts(b, "\\N");
    }
}

static dh_status pg_insert_begin(dh_conn *c, const char *table, const char *const *cols,
                                 int ncols, dh_err *e)
{
    if (c->in_copy)
        return dh_err_set(e, DH_E_INTERNAL, "internal_error", NULL,
                          "a bulk insert is already in progress on this connection");
    if (ncols < 1 || ncols > DH_ROWS_COLS_MAX)
        return dh_err_set(e, DH_E_INVALID, "invalid", NULL, "a bulk insert takes 1 to %d columns",
                          DH_ROWS_COLS_MAX);
    dh_status s = known_table(c, table, e);
    if (s)
        return s;
    dh_buf sql = DH_BUF_INIT;
    dh_buf_puts(&sql, "COPY ");
    dh_rows_quote(&sql, table);
    dh_buf_puts(&sql, " (");
    dh_rows_quote_list(&sql, (char *const *)cols, ncols);
    dh_buf_puts(&sql, ") FROM STDIN");
    PGresult *res = PQexec(c->pg, sql.p);
    dh_buf_free(&sql);
    if (!res || PQresultStatus(res) != PGRES_COPY_IN)
        return dh_pg_check(c, res, "bulk insert", e);
    PQclear(res);
    c->in_copy = true;
    c->copy_failed = false;
    if (!c->copy_buf)
        c->copy_buf = dh_xcalloc(1, sizeof *c->copy_buf);
    dh_buf_reset(c->copy_buf);
    c->copy_cols = ncols;
    return DH_OK;
}

static dh_status send_rows(dh_conn *c, dh_err *e)
{
    dh_buf *b = c->copy_buf;
    if (b->len && PQputCopyData(c->pg, b->p, (int)b->len) != 1) {
        c->copy_failed = true;
        dh_buf_reset(b);
        return dh_err_set(e, DH_E_DB, "database_unavailable", NULL,
                          "bulk insert: cannot send rows: %s", PQerrorMessage(c->pg));
    }
    dh_buf_reset(b);
    return DH_OK;
}

static dh_status pg_insert_row(dh_conn *c, const dh_value *v, dh_err *e)
{
    if (!c->in_copy || c->copy_failed)
        return dh_err_set(e, DH_E_INTERNAL, "internal_error", NULL, "no bulk insert in progress");
    dh_buf *b = c->copy_buf;
    for (int i = 0; i < c->copy_cols; i++) {
        if (i)
            dh_buf_putc(b, '\t');
        copy_value(b, &v[i]);
    }
    dh_buf_putc(b, '\n');
    return b->len >= COPY_CHUNK ? send_rows(c, e) : DH_OK;
}

/* Ends the COPY: the server checks the rows and the foreign keys now. A
 * refusal names the table, the line (row) and the column (PostgreSQL's
 * context). */
static dh_status pg_insert_end(dh_conn *c, dh_err *e)
{
    if (!c->in_copy)
        return DH_OK;
    dh_status s = c->copy_failed ? DH_E_DB : send_rows(c, e);
    bool failed = c->copy_failed;
    if (PQputCopyEnd(c->pg, failed ? "abandoned by the client" : NULL) != 1 && !failed) {
        failed = true;
        s = dh_err_set(e, DH_E_DB, "database_unavailable", NULL,
                       "bulk insert: cannot end: %s", PQerrorMessage(c->pg));
    }
    c->in_copy = false;
    PGresult *res;
    while ((res = PQgetResult(c->pg)) != NULL) {
        if (s == DH_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
            char where[300] = "";
            const char *ctx = PQresultErrorField(res, PG_DIAG_CONTEXT);
            if (ctx)
                snprintf(where, sizeof where, "%.*s", (int)strcspn(ctx, "\n"), ctx);
            s = dh_pg_check(c, res, "bulk insert", e);
            if (where[0]) {
                char msg[sizeof e->message];
                snprintf(msg, sizeof msg, "%s (%s)", e->message, where);
                snprintf(e->message, sizeof e->message, "%s", msg);
            }
            continue; /* dh_pg_check cleared it */
        }
        PQclear(res);
    }
    return s;
}

static dh_status pg_clear(dh_conn *c, const char *table, dh_err *e)
{
    dh_status s = known_table(c, table, e);
    if (s)
        return s;
    dh_buf sql = DH_BUF_INIT;
    dh_buf_puts(&sql, "DELETE FROM ");
    dh_rows_quote(&sql, table);
    return run_built(c, &sql, NULL, "clear a table", e);
}

/* Every sequence behind a column of the current schema (identity or
 * serial) set so that its next value is the column's largest plus one. */
static dh_status pg_reset_sequences(dh_conn *c, dh_err *e)
{
    return dh_pg_command(
        c,
        "DO $$ DECLARE r record; BEGIN "
        "FOR r IN SELECT t.relname AS tbl, a.attname AS col, "
        "  pg_get_serial_sequence(format('%I.%I', current_schema(), t.relname), a.attname) AS seq "
        "  FROM pg_class t JOIN pg_attribute a ON a.attrelid = t.oid "
        "  WHERE t.relnamespace = " CUR_NS " AND t.relkind IN ('r', 'p') "
        "  AND a.attnum > 0 AND NOT a.attisdropped LOOP "
        "  IF r.seq IS NOT NULL THEN "
        "    EXECUTE format('SELECT setval(%L, coalesce((SELECT max(%I) FROM %I), 0) + 1, false)', "
        "                   r.seq, r.col, r.tbl); "
        "  END IF; "
        "END LOOP; END $$",
        "reset sequences", e);
}

const dh_rows_ops dh_postgres_rows_ops = {
    .tables = pg_tables,
    .columns = pg_columns,
    .count = pg_count,
    .scan = pg_scan,
    .insert_begin = pg_insert_begin,
    .insert_row = pg_insert_row,
    .insert_end = pg_insert_end,
    .clear = pg_clear,
    .reset_sequences = pg_reset_sequences,
};
