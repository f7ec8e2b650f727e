/* bench/overdue.c - the overdue list of a unit subtree at N dossiers (default
 * 10,000,000): p50/p99 of dh_app_dossier_list(state=overdue, subtree) against
 * the p99 of a point lookup of one dossier by code, both measured in the same
 * run on the same database.
 *
 * usage: build/bench/overdue [N] [DB]
 * DB: a SQLite file (default /tmp/dh-bench-overdue.db, or DH_BENCH_DB) or a
 * PostgreSQL URL postgres://... (bench/pg.sh overdue N makes a throwaway
 * cluster for it).
 * The dossier rows are written straight into the dossiers table with the
 * shape the importer gives them: 1% in progress and 0.2% paused, received in
 * the last 10 days with 5-15 day deadlines (about 14% of them overdue), the
 * rest resolved over 2024-2026, across the demo units): building 10M rows through the
 * importer would take half an hour and measure the importer, not the query.
 * On PostgreSQL the same rows come from one INSERT ... SELECT over
 * generate_series, followed by VACUUM ANALYZE (what autovacuum would do
 * after a bulk load). */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/app.h"
#include "app/demo.h"

#define BENCH_NAME "overdue"
#include "bench.h"

/* The fill of rows [from, to], in SQLite's SQL or PostgreSQL's: the dialects differ in
 * the transaction's settings, the source of the numbers i and the code's formatting. */
static void fill_sql(char *out, size_t cap, bool pg, long from, long to, time_t now)
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

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 10000000L;
    const char *db_arg = argc > 2 ? argv[2] : getenv("DH_BENCH_DB");
    const char *path = db_arg ? db_arg : "/tmp/dh-bench-overdue.db";
    bool pg = is_pg_url(path);
    char url[600];
    snprintf(url, sizeof url, pg ? "%s" : "sqlite:%s", path);
    dh_err e;
    time_t now;
    dh_time_parse("2026-11-22T10:00:00+07:00", &now);
    dh_app *app = dh_app_open(url, true, &e);
    if (!app)
        fail("open", e.message);
    dh_actor cli;
    dh_actor_cli(&cli);
    dh_demo_summary sum;
    if (dh_demo_load(app, &cli, now, &sum, &e))
        fail("demo", e.message);
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
        fprintf(stderr, "overdue: writing %ld dossier rows...\n", n - have);
        char sql[4096];
        fill_sql(sql, sizeof sql, pg, have, n - 1, now);
        if (pg) {
            pg_exec(pc, sql);
            fprintf(stderr, "overdue: rows written in %.0f s\n", now_s() - t0);
            pg_exec(pc, "VACUUM ANALYZE dossiers");
            fprintf(stderr, "overdue: vacuum analyze done at %.0f s\n", now_s() - t0);
        } else {
            exec(db, sql);
            fprintf(stderr, "overdue: rows written in %.0f s\n", now_s() - t0);
        }
    }
    if (pg)
        PQfinish(pc);
    else
        sqlite3_close(db);

    enum { RUNS = 2000 };
    static double tl[RUNS], tg[RUNS];
    const char *roots[] = {"BRVT", "HCM", "BRVT-VT", "HCM-VUNGTAU"};
    long found = 0;
    for (int i = 0; i < RUNS; i++) {
        dh_dossier_query qy = {roots[i % 4], true, "overdue", NULL, NULL, 0, 0, 0, 100, NULL,
                               NULL, NULL};
        json_t *items;
        bool more;
        double t0 = now_s();
        if (dh_app_dossier_list(app, &cli, &qy, now, &items, &more, &e))
            fail("list", e.message);
        tl[i] = now_s() - t0;
        found += (long)json_array_size(items);
        json_decref(items);
        char code[32];
        snprintf(code, sizeof code, "B%09ld", (long)((i * 104729L) % n));
        json_t *d;
        t0 = now_s();
        if (dh_app_dossier_get(app, &cli, code, false, now, &d, &e))
            fail("get", e.message);
        tg[i] = now_s() - t0;
        json_decref(d);
    }
    qsort(tl, RUNS, sizeof *tl, cmp_d);
    qsort(tg, RUNS, sizeof *tg, cmp_d);
    double p50 = tl[RUNS / 2] * 1e3, p99 = tl[RUNS * 99 / 100] * 1e3;
    double g99 = tg[RUNS * 99 / 100] * 1e3;
    printf("overdue list (subtree, first page of 100) at %ld dossiers: p50 %.2f ms, p99 %.2f ms;"
           " point lookup by code p99 %.2f ms; ratio p99/p99 %.1fx (%ld rows returned) [%s]\n",
           n, p50, p99, g99, p99 / g99, found, pg ? "postgresql" : "sqlite");
    dh_app_close(app);
    return 0;
}
