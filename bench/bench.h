/* bench.h - what the benchmark programs share: a monotonic clock,
 * percentiles of sorted samples, and failing loudly. Define BENCH_NAME (the
 * program's name, for messages) before including it. */
#ifndef DH_BENCH_H
#define DH_BENCH_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
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

#endif
