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

#endif
