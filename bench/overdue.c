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
    dossier_rows_ensure(path, pg, n, now, BENCH_NAME);

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
