/* test_ivalues.c - the store's reads of indicator values over a real
 * SQLite file, against a brute-force oracle. Values go in through the app
 * (dh_app_values_put: new values, corrections, several indicators and
 * period types); every read the app makes (list_ivalues with and without
 * an indicator, units, a period range, either order, pages; ivalues_latest
 * with and without units) must equal a plain scan of indicator_values,
 * which uses none of the summaries kept for speed (indicator_periods,
 * indicator_latest: migration 008). Then the database is put back to
 * schema 7 (summaries dropped, the old series index back) and reopened:
 * migration 008 must rebuild the summaries from the values and the reads
 * must still agree. Last, the targets' statuses derived in a thread while
 * values keep coming must end equal to deriving them from scratch. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "app/app.h"
#include "app/internal.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/date.h"

enum { NUNITS = 13, NIND = 3, NCASES = 400 };

static const char *const UNITS[NUNITS] = {"T",     "T-A",   "T-B",   "T-C",   "T-D",
                                          "T-A-1", "T-A-2", "T-B-1", "T-B-2", "T-C-1",
                                          "T-C-2", "T-D-1", "T-D-2"};
/* code, period type, a period of it by index */
static const char *const INDS[NIND] = {"m1", "d1", "q1"};

typedef struct fixture {
    char dir[64];
    char path[128];
    char url[160];
    dh_app *app;
    dh_actor cli;
    int64_t ind_id[NIND];
    unsigned seed;
    int seq, batch; /* ids and instants go on across calls */
} fixture;

static const time_t NOW = 1767225600; /* 2026-01-01T00:00:00Z */

static unsigned rnd(fixture *f)
{
    f->seed = f->seed * 1103515245u + 12345u;
    return (f->seed >> 8) & 0xffffff;
}

static void period_text(int k, int i, char *out, size_t cap)
{
    if (k == 0) /* months of 2024 and 2025 */
        snprintf(out, cap, "%04d-%02d", 2024 + i / 12, i % 12 + 1);
    else if (k == 1) /* days of December 2025 */
        snprintf(out, cap, "2025-12-%02d", i % 31 + 1);
    else /* quarters of 2024 and 2025 */
        snprintf(out, cap, "%04d-Q%d", 2024 + (i / 4) % 2, i % 4 + 1);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/dh-test-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    snprintf(f->url, sizeof f->url, "sqlite:%s", f->path);
    dh_err e;
    f->app = dh_app_open(f->url, true, &e);
    if (!f->app)
        return -1;
    dh_actor_cli(&f->cli);
    f->seed = 20261126;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[200];
    if (f->app)
        dh_app_close(f->app);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static void make_units_and_indicators(fixture *f)
{
    dh_err e;
    for (int u = 0; u < NUNITS; u++) {
        char parent[16] = "";
        const char *kind = u == 0 ? "province" : u <= 4 ? "district" : "commune";
        if (u > 0) {
            snprintf(parent, sizeof parent, "%s", UNITS[u]);
            *strrchr(parent, '-') = 0;
        }
        json_t *in = u ? json_pack("{s:s,s:s,s:s,s:s,s:s}", "code", UNITS[u], "name", UNITS[u],
                                   "kind", kind, "parent", parent, "valid_from", "2000-01-01")
                       : json_pack("{s:s,s:s,s:s,s:s}", "code", UNITS[u], "name", UNITS[u],
                                   "kind", kind, "valid_from", "2000-01-01"),
               *out = NULL;
        dh_status st = dh_app_unit_create(f->app, &f->cli, in, NOW, &out, &e);
        if (st)
            fail_msg("unit %s: %s", UNITS[u], e.message);
        json_decref(in);
        json_decref(out);
    }
    static const char *const pts[NIND] = {"month", "day", "quarter"};
    for (int k = 0; k < NIND; k++) {
        json_t *in = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "code", INDS[k], "name", INDS[k],
                               "direction", "higher", "aggregation", "sum", "source", "pushed",
                               "period_type", pts[k]),
               *out = NULL;
        if (dh_app_indicator_put(f->app, &f->cli, in, NOW, &out, &e))
            fail_msg("indicator %s: %s", INDS[k], e.message);
        json_decref(in);
        json_decref(out);
    }
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    for (int k = 0; k < NIND; k++) {
        sqlite3_stmt *st;
        assert_int_equal(
            sqlite3_prepare_v2(db, "SELECT id FROM indicators WHERE code = ?", -1, &st, NULL),
            SQLITE_OK);
        sqlite3_bind_text(st, 1, INDS[k], -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        f->ind_id[k] = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
}

/* Batches of values: random units and periods, so that a quarter of the
 * keys are written again under a new id (a correction), at later instants
 * (received_at and updated_at differ). */
static void push_values(fixture *f, int batches)
{
    for (int b = 0; b < batches; b++) {
        json_t *arr = json_array();
        for (int i = 0; i < 40; i++) {
            int k = (int)(rnd(f) % NIND), u = (int)(rnd(f) % NUNITS);
            int p = (int)(rnd(f) % (k == 1 ? 31 : k == 0 ? 24 : 8));
            if (u == 3 && k == 0)
                continue; /* a unit without values of m1 */
            char period[16], id[32];
            period_text(k, p, period, sizeof period);
            snprintf(id, sizeof id, "v%d", f->seq++);
            json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:f,s:s,s:s}", "indicator",
                                                 INDS[k], "unit", UNITS[u], "period", period,
                                                 "value", (double)(rnd(f) % 1000), "source",
                                                 "test", "id", id));
        }
        json_t *out = NULL;
        dh_err e;
        /* later batches come later: corrections move updated_at */
        if (dh_app_values_put(f->app, &f->cli, arr, NOW + 3600 * f->batch++, &out, &e))
            fail_msg("batch %d: %s", b, e.message);
        json_decref(out);
        json_decref(arr);
    }
}

static int collect(void *closure, const dh_ivalue_row *r)
{
    dh_buf *b = closure;
    dh_buf_printf(b, "%lld|%s|%d|%d|%.6g|%s|%lld|%lld\n", (long long)r->indicator_id, r->unit,
                  r->period_from, r->period_to, r->value, r->ext_id, (long long)r->received_at,
                  (long long)r->updated_at);
    return 0;
}

/* The oracle: every value scanned in rowid-less key order, filtered and
 * ordered in C-free SQL that touches none of the summaries. */
static char *oracle(sqlite3 *db, const dh_ivalue_filter *q)
{
    dh_buf sql = DH_BUF_INIT, out = DH_BUF_INIT;
    dh_buf_printf(&sql,
                  "SELECT indicator_id, unit, period_from, period_to, value, ext_id, "
                  "received_at, updated_at FROM indicator_values NOT INDEXED WHERE 1");
    if (q->indicator_id)
        dh_buf_printf(&sql, " AND indicator_id = %lld", (long long)q->indicator_id);
    if (q->units_json)
        dh_buf_printf(&sql, " AND unit IN (SELECT value FROM json_each('%s'))", q->units_json);
    if (q->from != DH_DATE_NONE)
        dh_buf_printf(&sql, " AND period_to >= %d", q->from);
    if (q->to != DH_DATE_NONE)
        dh_buf_printf(&sql, " AND period_from <= %d", q->to);
    dh_buf_printf(&sql, q->by_period ? " ORDER BY period_from, unit, indicator_id"
                                     : " ORDER BY indicator_id, unit, period_from");
    dh_buf_printf(&sql, " LIMIT %d OFFSET %lld", q->limit > 0 ? q->limit : -1,
                  (long long)q->offset);
    sqlite3_stmt *st;
    char *text = dh_buf_steal(&sql);
    if (sqlite3_prepare_v2(db, text, -1, &st, NULL) != SQLITE_OK)
        fail_msg("oracle: %s", sqlite3_errmsg(db));
    while (sqlite3_step(st) == SQLITE_ROW)
        dh_buf_printf(&out, "%lld|%s|%d|%d|%.6g|%s|%lld|%lld\n",
                      (long long)sqlite3_column_int64(st, 0),
                      (const char *)sqlite3_column_text(st, 1), sqlite3_column_int(st, 2),
                      sqlite3_column_int(st, 3), sqlite3_column_double(st, 4),
                      (const char *)sqlite3_column_text(st, 5),
                      (long long)sqlite3_column_int64(st, 6), (long long)sqlite3_column_int64(st, 7));
    sqlite3_finalize(st);
    free(text);
    char *s = dh_buf_steal(&out);
    return s ? s : calloc(1, 1);
}

static char *units_json(fixture *f, int *n)
{
    /* one unit, a few, all, or one with no values at all */
    int kind = (int)(rnd(f) % 4);
    json_t *a = json_array();
    if (kind == 0) {
        json_array_append_new(a, json_string(UNITS[rnd(f) % NUNITS]));
    } else if (kind == 1) {
        for (int u = 0; u < NUNITS; u++)
            if (rnd(f) % 3 == 0)
                json_array_append_new(a, json_string(UNITS[u]));
        json_array_append_new(a, json_string("NOPE"));
    } else if (kind == 2) {
        for (int u = 0; u < NUNITS; u++)
            json_array_append_new(a, json_string(UNITS[u]));
    } else {
        json_array_append_new(a, json_string("NOPE"));
    }
    *n = (int)json_array_size(a);
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

static void check_reads(fixture *f)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    dh_err e;
    dh_conn *c = dh_store_acquire(dh_app_store(f->app), &e);
    assert_non_null(c);
    dh_date d2024 = dh_date_from_ymd(2024, 1, 1);
    int nonempty = 0;
    for (int i = 0; i < NCASES; i++) {
        dh_ivalue_filter q = {0};
        int k = (int)(rnd(f) % (NIND + 1));
        q.indicator_id = k < NIND ? f->ind_id[k] : 0;
        int nu = 0;
        char *units = rnd(f) % 4 ? units_json(f, &nu) : NULL;
        q.units_json = units;
        q.from = rnd(f) % 2 ? d2024 + (dh_date)(rnd(f) % 740) : DH_DATE_NONE;
        q.to = rnd(f) % 2 ? d2024 + (dh_date)(rnd(f) % 740) : DH_DATE_NONE;
        /* ordered by period only with an indicator (as the app asks) */
        q.by_period = q.indicator_id && rnd(f) % 2;
        if (rnd(f) % 3 == 0) {
            q.limit = 1 + (int)(rnd(f) % 20);
            q.offset = rnd(f) % 10;
        }
        dh_buf got = DH_BUF_INIT;
        if (DH_INDICATORS(c)->list_ivalues(c, &q, collect, &got, &e))
            fail_msg("list_ivalues: %s", e.message);
        char *g = dh_buf_steal(&got), *want = oracle(db, &q);
        if (!g)
            g = calloc(1, 1);
        if (strcmp(g, want))
            fail_msg("case %d (indicator %lld, units %s, from %d, to %d, by_period %d, limit %d "
                     "offset %lld):\n got:\n%s want:\n%s",
                     i, (long long)q.indicator_id, units ? units : "-", q.from, q.to,
                     q.by_period, q.limit, (long long)q.offset, g, want);
        nonempty += *want != 0;
        free(g);
        free(want);

        /* the latest period and receipt of the indicator for the units */
        if (q.indicator_id) {
            dh_date lf = DH_DATE_NONE, lt = DH_DATE_NONE;
            time_t rec = 0;
            dh_status st = DH_INDICATORS(c)->ivalues_latest(c, q.indicator_id, units, &lf, &lt, &rec, &e);
            char sql[400];
            snprintf(sql, sizeof sql,
                     "SELECT max(period_from), max(period_to), max(max(received_at, "
                     "updated_at)) FROM indicator_values NOT INDEXED WHERE indicator_id = %lld%s%s%s",
                     (long long)q.indicator_id,
                     units ? " AND unit IN (SELECT value FROM json_each('" : "",
                     units ? units : "", units ? "'))" : "");
            sqlite3_stmt *s;
            assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
            assert_int_equal(sqlite3_step(s), SQLITE_ROW);
            if (sqlite3_column_type(s, 0) == SQLITE_NULL) {
                assert_int_equal(st, DH_E_NOTFOUND);
            } else {
                assert_int_equal(st, DH_OK);
                assert_int_equal(lf, sqlite3_column_int(s, 0));
                assert_int_equal(lt, sqlite3_column_int(s, 1));
                assert_int_equal((long long)rec, (long long)sqlite3_column_int64(s, 2));
            }
            sqlite3_finalize(s);
        }
        free(units);
    }
    /* the cases are not all empty answers */
    assert_true(nonempty > NCASES / 3);
    dh_store_release(c);
    sqlite3_close(db);
}

static int count(fixture *f, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void test_reads_equal_a_scan(void **state)
{
    fixture *f = *state;
    make_units_and_indicators(f);
    push_values(f, 30);
    /* corrections happened, and the history kept what they replaced */
    assert_true(count(f, "SELECT count(*) FROM indicator_value_history") > 50);
    assert_true(count(f, "SELECT count(*) FROM indicator_values") > 500);
    check_reads(f);
    push_values(f, 10); /* more after the first reads */
    check_reads(f);
    /* q1 becomes monthly: October 2025 for every unit replaces the fourth
     * quarters there were (same start, an earlier end), and the summaries
     * must follow the end back */
    json_t *in = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "code", "q1", "name", "q1", "direction",
                           "higher", "aggregation", "sum", "source", "pushed", "period_type",
                           "month"),
           *out = NULL, *arr = json_array();
    dh_err e;
    if (dh_app_indicator_put(f->app, &f->cli, in, NOW, &out, &e))
        fail_msg("indicator: %s", e.message);
    json_decref(in);
    json_decref(out);
    for (int u = 0; u < NUNITS; u++) {
        char id[32];
        snprintf(id, sizeof id, "oct-%d", u);
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:f,s:s,s:s}", "indicator", "q1",
                                             "unit", UNITS[u], "period", "2025-10", "value",
                                             1.0 + u, "source", "test", "id", id));
    }
    if (dh_app_values_put(f->app, &f->cli, arr, NOW + 3600 * f->batch++, &out, &e))
        fail_msg("october: %s", e.message);
    assert_true(json_integer_value(json_object_get(out, "replaced")) > 0);
    json_decref(out);
    json_decref(arr);
    check_reads(f);
}

static void test_migration_008_rebuilds_the_summaries(void **state)
{
    fixture *f = *state;
    make_units_and_indicators(f);
    push_values(f, 20);
    int periods = count(f, "SELECT count(*) FROM indicator_periods");
    int latest = count(f, "SELECT count(*) FROM indicator_latest");
    assert_true(periods > 0 && latest > 0);
    dh_app_close(f->app);
    f->app = NULL;
    /* back to schema 7: the old index, no summaries */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "DROP TABLE indicator_periods; DROP TABLE indicator_latest; "
                                  "CREATE INDEX indicator_values_series ON "
                                  "indicator_values(indicator_id, unit, period_from); "
                                  "PRAGMA user_version=7",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    dh_err e;
    /* Migration 008 alone (the later ones' tables are still there): then
     * the database is at the latest version again. */
    dh_store *s = dh_store_open(f->url, false, &e);
    assert_non_null(s);
    dh_conn *c = dh_store_acquire(s, &e);
    assert_non_null(c);
    int from = 0, to = 0;
    assert_int_equal(dh_conn_ops(c)->migrate(c, 8, &from, &to, &e), DH_OK);
    assert_int_equal(from, 7);
    assert_int_equal(to, 8);
    dh_store_release(c);
    dh_store_close(s);
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version=%d", dh_store_latest_version("sqlite"));
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    f->app = dh_app_open(f->url, true, &e);
    assert_non_null(f->app);
    assert_int_equal(count(f, "PRAGMA user_version"), dh_store_latest_version("sqlite"));
    assert_int_equal(count(f, "SELECT count(*) FROM sqlite_master WHERE name = "
                              "'indicator_values_series'"),
                     0);
    assert_int_equal(count(f, "SELECT count(*) FROM indicator_periods"), periods);
    assert_int_equal(count(f, "SELECT count(*) FROM indicator_latest"), latest);
    check_reads(f);
    push_values(f, 5);
    check_reads(f);
}

/* ---- The targets' refresh alongside pushes. ------------------------------ */

static char *all_series(fixture *f)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    dh_buf b = DH_BUF_INIT;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT id, series, status FROM targets ORDER BY id", -1,
                                        &st, NULL),
                     SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW)
        dh_buf_printf(&b, "%lld %s %s\n", (long long)sqlite3_column_int64(st, 0),
                      (const char *)sqlite3_column_text(st, 1),
                      (const char *)sqlite3_column_text(st, 2));
    sqlite3_finalize(st);
    sqlite3_close(db);
    char *s = dh_buf_steal(&b);
    return s ? s : calloc(1, 1);
}

typedef struct refresher {
    dh_app *app;
    volatile int stop, runs;
    int failures;
} refresher;

static void *refresh_loop(void *arg)
{
    refresher *r = arg;
    while (!r->stop) {
        dh_err e;
        int n = 0;
        if (dh_app_targets_refresh(r->app, NOW + 86400, &n, &e))
            r->failures++;
        r->runs++;
    }
    return NULL;
}

/* Statuses are derived one indicator per transaction while values keep
 * coming: whatever a refresh did not see must stay dirty for the next one.
 * After the pushes and one more refresh, every stored series must equal
 * what deriving every target from scratch gives. */
static void test_refresh_alongside_pushes(void **state)
{
    fixture *f = *state;
    make_units_and_indicators(f);
    for (int k = 0; k < NIND; k++)
        for (int u = 0; u < NUNITS; u++) {
            json_t *in = json_pack("{s:s,s:s,s:f,s:s}", "indicator", INDS[k], "unit", UNITS[u],
                                   "value", 500.0 + u, "due", "2026-12-31"),
                   *out = NULL;
            dh_err e;
            if (dh_app_target_put(f->app, &f->cli, in, NOW, &out, &e))
                fail_msg("target: %s", e.message);
            json_decref(in);
            json_decref(out);
        }
    push_values(f, 5);
    /* rounds: a lost mark shows when the last push of a round fell inside
     * the last refresh's window, which happens often but not always */
    for (int round = 0; round < 20; round++) {
        refresher r = {f->app, 0, 0, 0};
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, refresh_loop, &r), 0);
        push_values(f, 4);
        while (!r.runs)
            usleep(1000);
        r.stop = 1;
        pthread_join(th, NULL);
        assert_int_equal(r.failures, 0);
        assert_true(r.runs > 0);
        dh_err e;
        assert_int_equal(dh_app_targets_refresh(f->app, NOW + 86400, NULL, &e), DH_OK);
        char *kept = all_series(f);
        /* from scratch: every target dirty */
        sqlite3 *db;
        assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db,
                                      "UPDATE targets SET dirty = 1; UPDATE meta SET value = "
                                      "value + 1 WHERE key = 'targets_dirty'",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
        sqlite3_close(db);
        /* each target's units sought, where the refreshes above read each
         * indicator's values at once (many dirty targets): the two ways
         * must agree */
        setenv("DIEUHANH_TARGETS_BULK", "1000000", 1);
        int n = 0;
        assert_int_equal(dh_app_targets_refresh(f->app, NOW + 86400, &n, &e), DH_OK);
        unsetenv("DIEUHANH_TARGETS_BULK");
        assert_int_equal(n, NIND * NUNITS);
        char *fresh = all_series(f);
        if (strcmp(kept, fresh))
            fail_msg("round %d: a series kept after the pushes is stale", round);
        /* and the series are not all empty */
        assert_non_null(strstr(fresh, "[["));
        free(kept);
        free(fresh);
    }
}

/* A request does not derive for long: past its budget it answers with the
 * statuses as they stand and "refreshing"; the rest is derived later. */
static void test_overview_within_its_budget(void **state)
{
    fixture *f = *state;
    make_units_and_indicators(f);
    for (int k = 0; k < NIND; k++) {
        json_t *in = json_pack("{s:s,s:s,s:f,s:s}", "indicator", INDS[k], "unit", "T", "value",
                               100.0, "due", "2026-12-31"),
               *out = NULL;
        dh_err e;
        if (dh_app_target_put(f->app, &f->cli, in, NOW, &out, &e))
            fail_msg("target: %s", e.message);
        json_decref(in);
        json_decref(out);
    }
    push_values(f, 3);
    dh_target_query q = {"T", true, NULL, NULL, DH_DATE_NONE, 0, 50, false};
    json_t *out = NULL;
    dh_err e;
    /* one indicator, then the budget is spent */
    setenv("DIEUHANH_REFRESH_BUDGET_MS", "0", 1);
    assert_int_equal(dh_app_target_status(f->app, &f->cli, &q, NOW + 86400, &out, &e), DH_OK);
    unsetenv("DIEUHANH_REFRESH_BUDGET_MS");
    assert_true(json_is_true(json_object_get(out, "refreshing")));
    json_decref(out);
    /* the rest, and then an answer that is not refreshing */
    int n = 0;
    assert_int_equal(dh_app_targets_refresh(f->app, NOW + 86400, &n, &e), DH_OK);
    assert_int_equal(n, NIND - 1);
    assert_int_equal(dh_app_target_status(f->app, &f->cli, &q, NOW + 86400, &out, &e), DH_OK);
    assert_null(json_object_get(out, "refreshing"));
    assert_int_equal(json_integer_value(json_object_get(out, "total")), NIND);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(out, "counts"),
                                                        "no_data")),
                     0);
    json_decref(out);
}

/* The sources' freshness keeps its answer per scope (freshness.c) while
 * nothing is written and no judgment can change: "as_of" tells a kept
 * answer (its own instant) from a new one. */
static void freshness_at(fixture *f, const char *unit, time_t at, time_t want_as_of, int want_late)
{
    json_t *out = NULL;
    dh_err e;
    assert_int_equal(dh_app_sources_freshness(f->app, &f->cli, unit, at, &out, &e), DH_OK);
    char want[32];
    dh_time_format_utc(want_as_of, want);
    assert_string_equal(json_string_value(json_object_get(out, "as_of")), want);
    if (want_late >= 0)
        assert_int_equal(json_integer_value(json_object_get(out, "late")), want_late);
    json_decref(out);
}

static void test_freshness_answers_follow_the_clock(void **state)
{
    fixture *f = *state;
    make_units_and_indicators(f); /* m1, d1, q1: no freshness rule, never judged */
    dh_err e;
    json_t *in = json_pack("[{s:s,s:s,s:s,s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s,s:s,s:s,s:s}]",
                           "code", "fm", "name", "fm", "direction", "higher", "aggregation",
                           "sum", "source", "pushed", "period_type", "month", "freshness",
                           "monthly:10", "code", "fd", "name", "fd", "direction", "higher",
                           "aggregation", "sum", "source", "pushed", "period_type", "day",
                           "freshness", "daily:17:00"),
           *out = NULL;
    for (size_t i = 0; i < json_array_size(in); i++) {
        if (dh_app_indicator_put(f->app, &f->cli, json_array_get(in, i), NOW, &out, &e))
            fail_msg("indicator: %s", e.message);
        json_decref(out);
    }
    json_decref(in);
    time_t t;
    /* November's value of fm (December's is due by the end of 10 January) and a
     * value of fd on the morning of 10 January */
    assert_int_equal(dh_time_parse("2026-01-10T10:00:00+07:00", &t), 0);
    in = json_pack("[{s:s,s:s,s:s,s:f,s:s,s:s},{s:s,s:s,s:s,s:f,s:s,s:s}]", "indicator", "fm",
                   "unit", "T", "period", "2025-11", "value", 1.0, "source", "test", "id", "f1",
                   "indicator", "fd", "unit", "T", "period", "2026-01-10", "value", 1.0,
                   "source", "test", "id", "f2");
    if (dh_app_values_put(f->app, &f->cli, in, t, &out, &e))
        fail_msg("values: %s", e.message);
    json_decref(out);
    json_decref(in);
    time_t h16 = t + 6 * 3600, h1630 = h16 + 1800, h17 = t + 7 * 3600, h2359 = t + 14 * 3600 - 60,
           midnight = t + 14 * 3600;
    freshness_at(f, "T", h16, h16, 0);
    freshness_at(f, "T", h1630, h16, 0);           /* kept */
    freshness_at(f, "T-A", h1630, h1630, -1);      /* another scope: its own answer */
    freshness_at(f, "T", h17, h17, -1);            /* fd's deadline: judged again */
    freshness_at(f, "T", h2359, h17, -1);          /* kept */
    freshness_at(f, "T", midnight, midnight, -1);  /* a new day: December's fm is late */
    out = NULL;
    assert_int_equal(dh_app_sources_freshness(f->app, &f->cli, "T", midnight, &out, &e), DH_OK);
    json_t *it;
    size_t i;
    int fm_late = -1;
    json_array_foreach(json_object_get(out, "items"), i, it) if (
        !strcmp(json_string_value(json_object_get(it, "indicator")), "fm")) fm_late =
        json_is_true(json_object_get(it, "late"));
    assert_int_equal(fm_late, 1);
    json_decref(out);
    freshness_at(f, "T", h16, h16, 0); /* an instant before the kept answer's: judged again */
    /* a value written: judged again at once */
    in = json_pack("[{s:s,s:s,s:s,s:f,s:s,s:s}]", "indicator", "fm", "unit", "T", "period",
                   "2025-12", "value", 2.0, "source", "test", "id", "f3");
    if (dh_app_values_put(f->app, &f->cli, in, h16 + 60, &out, &e))
        fail_msg("values: %s", e.message);
    json_decref(out);
    json_decref(in);
    freshness_at(f, "T", h16 + 120, h16 + 120, 0);
    freshness_at(f, "T", midnight + 60, midnight + 60, 0); /* December is in: fm on time */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reads_equal_a_scan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migration_008_rebuilds_the_summaries, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refresh_alongside_pushes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overview_within_its_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_freshness_answers_follow_the_clock, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
