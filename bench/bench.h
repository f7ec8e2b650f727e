/* bench.h - what the benchmark programs share: a monotonic clock,
 * percentiles of sorted samples, failing loudly, and the few libpq helpers
 * of the benchmarks that also run on PostgreSQL (a database argument or
 * DH_BENCH_DB of the form postgres://...). Define BENCH_NAME (the program's
 * name, for messages) before including it. */
#ifndef DH_BENCH_H
#define DH_BENCH_H

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* qsort order of doubles */
static inline int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* the p-th percentile of n sorted samples */
static inline double pct(const double *sorted, int n, int p)
{
    int i = (int)((long)n * p / 100);
    return sorted[i < n ? i : n - 1];
}

static inline void fail(const char *what, const char *why)
{
    fprintf(stderr, "%s: %s: %s\n", BENCH_NAME, what, why);
    exit(1);
}

static inline void exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail(sql, err);
}

/* the first column of the first row, 0 when there is none */
static inline sqlite3_int64 scalar(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        fail(sql, sqlite3_errmsg(db));
    sqlite3_int64 v = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    sqlite3_finalize(q);
    return v;
}

#ifdef DH_APP_H
/* Opens the SQLite file at path through the app (migrated) and directly,
 * and fills the command line's actor; fails loudly. */
static inline dh_app *bench_open_sqlite(const char *path, dh_actor *cli, sqlite3 **db)
{
    char url[600];
    snprintf(url, sizeof url, "sqlite:%s", path);
    dh_err e;
    dh_app *app = dh_app_open(url, true, &e);
    if (!app)
        fail("open", e.message);
    dh_actor_cli(cli);
    if (sqlite3_open(path, db) != SQLITE_OK)
        fail("sqlite", sqlite3_errmsg(*db));
    return app;
}
#endif

/* ---- PostgreSQL. --------------------------------------------------------- */

/* true when the database argument names a PostgreSQL database */
static inline bool is_pg_url(const char *db)
{
    return !strncmp(db, "postgres://", 11) || !strncmp(db, "postgresql://", 13);
}

static inline PGconn *pg_open(const char *url)
{
    PGconn *pg = PQconnectdb(url);
    if (PQstatus(pg) != CONNECTION_OK)
        fail("postgres", PQerrorMessage(pg));
    return pg;
}

static inline void pg_exec(PGconn *pg, const char *sql)
{
    PGresult *r = PQexec(pg, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        fail(sql, PQerrorMessage(pg));
    PQclear(r);
}

/* the first column of the first row, 0 when there is none or it is NULL */
static inline long long pg_scalar(PGconn *pg, const char *sql)
{
    PGresult *r = PQexec(pg, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        fail(sql, PQerrorMessage(pg));
    long long v = PQntuples(r) && !PQgetisnull(r, 0, 0) ? atoll(PQgetvalue(r, 0, 0)) : 0;
    PQclear(r);
    return v;
}

/* COPY ... FROM STDIN in text format, written through a buffer: pg_copy_begin,
 * then rows (tab-separated fields, \N for NULL, ending in a newline) added
 * with pg_copy_put, then pg_copy_end. */
typedef struct pg_copy {
    PGconn *pg;
    char buf[1 << 20];
    size_t len;
} pg_copy;

static inline void pg_copy_begin(pg_copy *c, PGconn *pg, const char *sql)
{
    c->pg = pg;
    c->len = 0;
    PGresult *r = PQexec(pg, sql);
    if (PQresultStatus(r) != PGRES_COPY_IN)
        fail(sql, PQerrorMessage(pg));
    PQclear(r);
}

static inline void pg_copy_flush(pg_copy *c)
{
    if (c->len && PQputCopyData(c->pg, c->buf, (int)c->len) != 1)
        fail("copy", PQerrorMessage(c->pg));
    c->len = 0;
}

/* one row of at most 64 KB */
static inline void pg_copy_put(pg_copy *c, const char *row, size_t n)
{
    if (c->len + n > sizeof c->buf)
        pg_copy_flush(c);
    memcpy(c->buf + c->len, row, n);
    c->len += n;
}

static inline void pg_copy_end(pg_copy *c)
{
    pg_copy_flush(c);
    if (PQputCopyEnd(c->pg, NULL) != 1)
        fail("copy end", PQerrorMessage(c->pg));
    PGresult *r;
    while ((r = PQgetResult(c->pg))) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            fail("copy", PQerrorMessage(c->pg));
        PQclear(r);
    }
}

/* bytes as a bytea field of COPY's text format (\\x then hex: the backslash
 * itself escaped); returns the characters written at out (2 * n + 3) */
static inline size_t pg_copy_bytea(char *out, const unsigned char *b, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    out[k++] = '\\';
    out[k++] = '\\';
    out[k++] = 'x';
    for (size_t i = 0; i < n; i++) {
        out[k++] = hex[b[i] >> 4];
        out[k++] = hex[b[i] & 15];
    }
    return k;
}

/* The dossier rows of bench/overdue.c and bench/lists.c (see overdue.c). */
/* The fill of rows [from, to], in SQLite's SQL or PostgreSQL's: the dialects differ in
 * the transaction's settings, the source of the numbers i and the code's formatting. */
static inline void dossier_fill_sql(char *out, size_t cap, bool pg, long from, long to, time_t now)
{
    char src[160], with[160] = "";
    if (pg) {
        snprintf(src, sizeof src, "generate_series(%ld::bigint, %ld::bigint) AS i", from, to);
    } else {
        snprintf(src, sizeof src, "k");
        snprintf(with, sizeof with,
                 "WITH RECURSIVE k(i) AS (SELECT %ld UNION ALL SELECT i + 1 FROM k WHERE i < %ld) ",
                 from, to);
    }
    snprintf(out, cap,
             "%s"
             "CREATE TEMP TABLE u AS SELECT row_number() OVER (ORDER BY code) - 1 AS ui, code "
             "FROM units WHERE kind IN ('commune','office','department','centre');"
             "%s"
             "INSERT INTO dossiers(code, unit, receiving_unit, procedure, channel, received_at,"
             " counting_from, due_at, due_effective, at_risk_from, finished_at, state, outcome,"
             " used_minutes, budget_minutes, late_minutes, updated_at) "
             "SELECT %s, u.code, u.code, '1.004227', 'online', r, r, r + d,"
             " r + d, r + d - 27000, CASE WHEN s >= 12 THEN r + d / 2 END,"
             " CASE WHEN s < 10 THEN 'in_progress' WHEN s < 12 THEN 'paused' ELSE 'resolved' END,"
             " CASE WHEN s >= 12 THEN CASE WHEN s %% 19 = 0 THEN 'late' ELSE 'early' END END,"
             " 600, 1350, -750, 0 FROM ("
             "  SELECT i, CASE WHEN (i * 31) %% 1000 < 12 THEN %lld - (i * 7919) %% 864000"
             "  ELSE 1704067200 + (i * 7919) %% 94608000 END AS r, 432000 + (i %% 11) * 86400 AS d,"
             "  (i * 31) %% 1000 AS s, (i * 13) %% (SELECT count(*) FROM u) AS ui FROM %s) x"
             " JOIN u USING (ui);"
             "COMMIT;",
             pg ? "BEGIN;" : "PRAGMA synchronous=OFF; PRAGMA cache_size=-262144; BEGIN;",
             with, pg ? "'B' || lpad(i::text, 9, '0')" : "printf('B%09d', i)", (long long)now,
             src);
}

/* Writes dossier rows into the database at path (a SQLite file, or a
 * PostgreSQL URL when pg) until it holds n. */
static inline void dossier_rows_ensure(const char *path, bool pg, long n, time_t now,
                                       const char *name)
{
    PGconn *pc = NULL;
    sqlite3 *db = NULL;
    long have;
    if (pg) {
        pc = pg_open(path);
        have = (long)pg_scalar(pc, "SELECT count(*) FROM dossiers");
    } else {
        if (sqlite3_open(path, &db) != SQLITE_OK)
            fail("sqlite", sqlite3_errmsg(db));
        have = (long)scalar(db, "SELECT count(*) FROM dossiers");
    }
    if (have < n) {
        double t0 = now_s();
        fprintf(stderr, "%s: writing %ld dossier rows...\n", name, n - have);
        char sql[4096];
        dossier_fill_sql(sql, sizeof sql, pg, have, n - 1, now);
        if (pg) {
            pg_exec(pc, sql);
            fprintf(stderr, "%s: rows written in %.0f s\n", name, now_s() - t0);
            pg_exec(pc, "VACUUM ANALYZE dossiers");
            fprintf(stderr, "%s: vacuum analyze done at %.0f s\n", name, now_s() - t0);
        } else {
            exec(db, sql);
            fprintf(stderr, "%s: rows written in %.0f s\n", name, now_s() - t0);
        }
    }
    if (pg)
        PQfinish(pc);
    else
        sqlite3_close(db);

}

#endif
