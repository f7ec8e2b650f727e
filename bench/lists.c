/* bench/lists.c - the dossier lists of any state by keyset pages (issue 20)
 * at N dossiers (default 10,000,000): p50/p99 of dh_app_dossier_page for
 * the open list, the list of all states and the resolved list, first page
 * and a deep page (by cursor), against the same lists read the old way
 * (ORDER BY ... LIMIT 100 OFFSET k on the table, the statement the lists
 * of all states used before) in the same run on the same database.
 *
 * usage: build/bench/lists [N] [DB]
 * DB: a SQLite file (default /tmp/dh-bench-lists.db, or DH_BENCH_DB) or a
 * PostgreSQL URL. The rows are bench/overdue.c's (dossier_fill_sql). */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/app.h"
#include "app/demo.h"

#define BENCH_NAME "lists"
#include "bench.h"

enum { RUNS = 300, PAGE = 100 };

static dh_app *app;
static dh_actor cli;
static time_t now;
static long rows_seen; /* rows returned (a check that pages are full) */

/* One page of (unit, state) after cursor (NULL: the first); its next cursor
 * in *next when asked. */
static double page_ms(const char *unit, const char *state, const char *cursor, char **next)
{
    dh_dossier_query q = {0};
    q.unit = unit;
    q.subtree = true;
    q.state = state;
    q.limit = PAGE;
    q.cursor = cursor;
    json_t *items;
    char *nx = NULL;
    dh_err e;
    double t0 = now_s();
    if (dh_app_dossier_page(app, &cli, &q, now, &items, &nx, &e))
        fail("list", e.message);
    double t = (now_s() - t0) * 1e3;
    rows_seen += (long)json_array_size(items);
    json_decref(items);
    if (next)
        *next = nx;
    else
        free(nx);
    return t;
}

/* The cursor after `pages` pages of (unit, state). */
static char *deep_cursor(const char *unit, const char *state, int pages)
{
    char *cur = NULL;
    for (int i = 0; i < pages; i++) {
        char *nx;
        page_ms(unit, state, cur, &nx);
        free(cur);
        cur = nx;
    }
    return cur;
}

static void report(const char *what, double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_d);
    printf("  %-44s p50 %8.2f ms  p99 %8.2f ms  (%d runs)\n", what, pct(t, n, 50), pct(t, n, 99),
           n);
}

static void keyset_case(const char *what, const char *const *units, const char *state,
                        int deep_pages)
{
    static double t[RUNS];
    char *cur[4] = {NULL, NULL, NULL, NULL};
    for (int u = 0; u < 4 && deep_pages; u++)
        cur[u] = deep_cursor(units[u], state, deep_pages);
    rows_seen = 0;
    for (int i = 0; i < RUNS; i++)
        t[i] = page_ms(units[i % 4], state, cur[i % 4], NULL);
    report(what, t, RUNS);
    printf("    %.1f rows a page on average\n", (double)rows_seen / RUNS);
    for (int u = 0; u < 4; u++)
        free(cur[u]);
}

/* The old statement of the list of all states (before issue 20), over
 * every unit: a sort of every row the filter keeps. */
static void baseline(const char *path, bool pg, long offset, int runs)
{
    static const char order[] =
        " ORDER BY CASE WHEN state = 'in_progress' AND due_effective < %lld THEN 0"
        " WHEN state = 'in_progress' AND at_risk_from <= %lld THEN 1"
        " WHEN state IN ('in_progress', 'paused') THEN 2 ELSE 3 END, due_effective%s, code%s"
        " LIMIT 100 OFFSET %ld";
    char sql[1024], tail[512];
    snprintf(tail, sizeof tail, order, (long long)now, (long long)now, pg ? " NULLS FIRST" : "",
             pg ? " COLLATE \"C\"" : "", offset);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM (SELECT code, unit, state, due_effective FROM dossiers"
             " WHERE state <> 'incomplete'%s) x",
             tail);
    double t[16];
    PGconn *pc = pg ? pg_open(path) : NULL;
    sqlite3 *db = NULL;
    if (!pg && sqlite3_open(path, &db) != SQLITE_OK)
        fail("sqlite", sqlite3_errmsg(db));
    for (int i = 0; i < runs; i++) {
        double t0 = now_s();
        if (pg)
            pg_scalar(pc, sql);
        else
            scalar(db, sql);
        t[i] = (now_s() - t0) * 1e3;
    }
    char what[96];
    snprintf(what, sizeof what, "baseline: all states, ORDER BY ... OFFSET %ld", offset);
    report(what, t, runs);
    if (pg)
        PQfinish(pc);
    else
        sqlite3_close(db);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 10000000L;
    const char *db_arg = argc > 2 ? argv[2] : getenv("DH_BENCH_DB");
    const char *path = db_arg ? db_arg : "/tmp/dh-bench-lists.db";
    bool pg = is_pg_url(path);
    char url[600];
    snprintf(url, sizeof url, pg ? "%s" : "sqlite:%s", path);
    dh_err e;
    dh_time_parse("2026-11-22T10:00:00+07:00", &now);
    app = dh_app_open(url, true, &e);
    if (!app)
        fail("open", e.message);
    dh_actor_cli(&cli);
    dh_demo_summary sum;
    if (dh_demo_load(app, &cli, now, &sum, &e))
        fail("demo", e.message);
    dossier_rows_ensure(path, pg, n, now, BENCH_NAME);

    const char *roots[] = {"BRVT", "HCM", "BRVT-VT", "HCM-VUNGTAU"};
    const char *all[] = {NULL, NULL, NULL, NULL}; /* every unit (the administrator) */
    const int deep = 200;                          /* pages: 20,000 rows in */
    printf("dossier lists at %ld dossiers, pages of %d [%s]\n", n, PAGE,
           pg ? "postgresql" : "sqlite");
    keyset_case("open (in_progress), subtree, first page", roots, "in_progress", 0);
    keyset_case("all states, subtree, first page", roots, NULL, 0);
    keyset_case("all states, every unit, first page", all, NULL, 0);
    keyset_case("resolved, subtree, first page", roots, "resolved", 0);
    keyset_case("open (in_progress), subtree, page 201", roots, "in_progress", deep);
    keyset_case("all states, subtree, page 201", roots, NULL, deep);
    keyset_case("resolved, subtree, page 201", roots, "resolved", deep);
    baseline(path, pg, 0, 5);
    baseline(path, pg, (long)deep * PAGE, 5);
    dh_app_close(app);
    return 0;
}
