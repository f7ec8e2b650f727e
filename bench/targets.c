/* bench/targets.c - indicators and targets at size (issue 8): 1,000 units,
 * 200 indicators, five years of monthly values for every unit x indicator
 * (12,000,000 values) and a target per indicator x unit (200,000).
 *
 * (a) the target-status overview of the province: dh_app_target_status
 *     (the function behind GET /api/v1/targets?unit=ROOT&subtree=1&limit=50,
 *     without the HTTP layer), p50/p99 over RUNS calls, against the
 *     straightforward SQL a BI tool would run for the latest value of every
 *     target (each target's latest period from indicator_latest, then its
 *     value), SQL_RUNS times, in the same run;
 * (b) ingestion of pushed values through dh_app_values_put in batches of
 *     5,000 (200,000 new values for the current month, every unit x
 *     indicator), against a plain prepared INSERT loop of the same rows into
 *     a scratch table of the same shape, and against plain INSERTs of the
 *     rows, their receipts and summaries (migration 008) into the real
 *     tables (the storage floor), one transaction per batch.
 *
 * usage: build/bench/targets [DBPATH]       (default /tmp/dh-bench-targets.db)
 * env:   RUNS (overview calls, 2000), SQL_RUNS (3), BATCH (5000)
 *
 * The database (first run, ~5 minutes, ~3 GB): units through the app
 * (dh_app_unit_import of a generated CSV: province BX, 37 districts, 962
 * communes), indicators through the app (half sums, half percentages with
 * numerator and denominator; pushed and reported), then the values written
 * straight into indicator_values and indicator_receipts with the importer's
 * shape (its receipt content, received ten days after the period) and the
 * summaries filled as migration 008 fills them, in one transaction, and the targets straight into targets (dirty, as
 * dh_app_target_put leaves them: going through it 200,000 times would
 * measure its split check, which reads every target); the app then derives
 * every status (dh_app_targets_refresh, timed). Later runs reuse the file;
 * the values of the ingestion month are removed before (b). */
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/internal.h"
#include "store/store.h"

#define BENCH_NAME "targets"
#include "bench.h"

enum { NDIST = 37, NCOMM = 26, NIND = 200, NMONTHS = 60 };
#define NUNITS (1 + NDIST + NDIST * NCOMM)

/* indicator_periods and indicator_latest from the values, as migration 008
 * fills them */
#define SUMMARIES_SQL                                                                            \
    "DELETE FROM indicator_periods; DELETE FROM indicator_latest;"                               \
    "INSERT INTO indicator_periods(indicator_id, period_from, period_to) SELECT indicator_id, "  \
    "period_from, max(period_to) FROM indicator_values GROUP BY 1, 2;"                           \
    "INSERT INTO indicator_latest(indicator_id, unit, period_from, period_to, received_at) "     \
    "SELECT indicator_id, unit, max(period_from), max(period_to), max(max(received_at, "         \
    "updated_at)) FROM indicator_values GROUP BY 1, 2;"

static void unit_code(int u, char *out, size_t cap)
{
    if (u == 0)
        snprintf(out, cap, "BX");
    else if (u <= NDIST)
        snprintf(out, cap, "BX-D%02d", u);
    else
        snprintf(out, cap, "BX-D%02d-C%02d", (u - 1 - NDIST) / NCOMM + 1, (u - 1 - NDIST) % NCOMM + 1);
}

/* Indicators 0, 2, 4, ... are sums, the others percentages (ratio). */
static bool is_ratio(int k) { return k % 2 == 1; }

/* The synthetic value of (indicator k, unit u, month m): a line with a
 * per-series slope and a little wobble; ratios as counts. */
static void value_of(int k, int u, int m, double *v, double *num, double *den)
{
    uint32_t h = (uint32_t)(k * 2654435761u) ^ (uint32_t)(u * 40503u);
    double slope = ((h >> 8) % 100) / 100.0;
    double wob = (double)((h + (uint32_t)m * 7919u) % 11) - 5;
    if (is_ratio(k)) {
        *den = 200 + (h % 300);
        double rate = 40 + 0.5 * slope * m + wob * 0.5;
        *num = (double)(long)(*den * rate / 100);
        *v = 100.0 * *num / *den;
    } else {
        *v = (double)(long)(100 + (h % 50) + slope * 3 * m + wob);
        *num = *den = 0;
    }
}

static void build(dh_app *app, const char *path, time_t now)
{
    dh_err e;
    dh_actor cli;
    dh_actor_cli(&cli);
    double t0 = now_s();
    /* units, through the app */
    char *csv = NULL;
    size_t csvlen = 0;
    FILE *f = open_memstream(&csv, &csvlen);
    fprintf(f, "code,name,short_name,kind,parent,valid_from,valid_to\n");
    for (int u = 0; u < NUNITS; u++) {
        char code[32], parent[32] = "";
        unit_code(u, code, sizeof code);
        const char *kind = u == 0 ? "province" : u <= NDIST ? "district" : "commune";
        if (u > 0 && u <= NDIST)
            snprintf(parent, sizeof parent, "BX");
        else if (u > NDIST)
            unit_code(1 + (u - 1 - NDIST) / NCOMM, parent, sizeof parent);
        fprintf(f, "%s,Đơn vị %s,%s,%s,%s,2000-01-01,\n", code, code, code, kind, parent);
    }
    fclose(f);
    f = fmemopen(csv, csvlen, "r");
    dh_import_report rep;
    if (dh_app_unit_import(app, &cli, f, "units.csv", false, now, &rep, NULL, NULL, &e))
        fail("units", e.message);
    dh_import_report_free(&rep);
    fclose(f);
    free(csv);
    /* indicators, through the app */
    int64_t ids[NIND];
    for (int k = 0; k < NIND; k++) {
        char code[32];
        snprintf(code, sizeof code, "b%03d", k);
        json_t *body = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "code", code, "name", code,
                                 "uom", is_ratio(k) ? "%" : "trạm", "direction", "higher",
                                 "aggregation", is_ratio(k) ? "ratio" : "sum", "source",
                                 k % 4 < 2 ? "pushed" : "reported", "period_type", "month",
                                 "freshness", k % 4 < 2 ? "daily:17:00" : "monthly:10"),
               *out;
        if (dh_app_indicator_put(app, &cli, body, now, &out, &e))
            fail("indicator", e.message);
        ids[k] = json_integer_value(json_object_get(out, "id"));
        json_decref(out);
        json_decref(body);
    }
    fprintf(stderr, "targets: %d units and %d indicators through the app (%.1f s)\n", NUNITS, NIND,
            now_s() - t0);
    if (!ids[0]) {
        /* the answer may not carry the id: read them back */
        sqlite3 *db;
        sqlite3_open(path, &db);
        for (int k = 0; k < NIND; k++) {
            char sql[128];
            snprintf(sql, sizeof sql, "SELECT id FROM indicators WHERE code = 'b%03d'", k);
            ids[k] = scalar(db, sql);
        }
        sqlite3_close(db);
    }

    /* values and targets, straight into the tables */
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        fail("sqlite", sqlite3_errmsg(db));
    sqlite3_busy_timeout(db, 60000);
    exec(db, "PRAGMA synchronous=OFF; PRAGMA cache_size=-1048576; BEGIN IMMEDIATE");
    sqlite3_stmt *iv, *ir, *it;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO indicator_values(indicator_id, unit, period_from, "
                           "period_to, value, numerator, denominator, source, ext_id, at, "
                           "received_at, updated_at, entered_by) "
                           "VALUES (?,?,?,?,?,?,?,'bench',?,NULL,?,?,'bench')",
                           -1, &iv, NULL) ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO indicator_receipts(source, ext_id, content) "
                           "VALUES ('bench',?,?)",
                           -1, &ir, NULL) ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO targets(indicator_id, unit, value, due, milestones, "
                           "ext_key, dirty, created_at, updated_at) VALUES (?,?,?,?,?,?,1,?,?)",
                           -1, &it, NULL))
        fail("prepare", sqlite3_errmsg(db));
    int y0, m0, d0;
    dh_date_to_ymd(dh_date_of_time_vn(now), &y0, &m0, &d0);
    /* the 60 months before the current one */
    int ystart = y0, mstart = m0 - NMONTHS;
    while (mstart < 1)
        mstart += 12, ystart--;
    long nv = 0;
    for (int k = 0; k < NIND; k++) {
        char code[32];
        snprintf(code, sizeof code, "b%03d", k);
        for (int u = 0; u < NUNITS; u++) {
            char unit[32];
            unit_code(u, unit, sizeof unit);
            double last = 0;
            for (int m = 0; m < NMONTHS; m++) {
                int y = ystart + (mstart - 1 + m) / 12, mo = (mstart - 1 + m) % 12 + 1;
                dh_date from = dh_date_from_ymd(y, mo, 1);
                dh_date to = dh_date_from_ymd(y + mo / 12, mo % 12 + 1, 1) - 1;
                double v, num, den;
                value_of(k, u, m, &v, &num, &den);
                last = v;
                char id[64], content[256];
                snprintf(id, sizeof id, "h-%d-%d-%d", k, u, m);
                if (is_ratio(k))
                    snprintf(content, sizeof content, "%s|%s|%d|%.15g|%.15g|%.15g", code, unit,
                             from, v, num, den);
                else
                    snprintf(content, sizeof content, "%s|%s|%d|%.15g||", code, unit, from, v);
                time_t rec = ((time_t)to + 10) * 86400 + 3 * 3600;
                sqlite3_bind_int64(iv, 1, ids[k]);
                sqlite3_bind_text(iv, 2, unit, -1, SQLITE_STATIC);
                sqlite3_bind_int(iv, 3, from);
                sqlite3_bind_int(iv, 4, to);
                sqlite3_bind_double(iv, 5, v);
                if (is_ratio(k)) {
                    sqlite3_bind_double(iv, 6, num);
                    sqlite3_bind_double(iv, 7, den);
                } else {
                    sqlite3_bind_null(iv, 6);
                    sqlite3_bind_null(iv, 7);
                }
                sqlite3_bind_text(iv, 8, id, -1, SQLITE_STATIC);
                sqlite3_bind_int64(iv, 9, rec);
                sqlite3_bind_int64(iv, 10, rec);
                sqlite3_bind_text(ir, 1, id, -1, SQLITE_STATIC);
                sqlite3_bind_text(ir, 2, content, -1, SQLITE_STATIC);
                if (sqlite3_step(iv) != SQLITE_DONE || sqlite3_step(ir) != SQLITE_DONE)
                    fail("insert value", sqlite3_errmsg(db));
                sqlite3_reset(iv);
                sqlite3_reset(ir);
                nv++;
            }
            /* the target: a fifth met already, the rest 5-25% above the last
             * value (on track, at risk or off track by the slope) */
            uint32_t h = (uint32_t)(k * 7919u) ^ (uint32_t)(u * 104729u);
            double goal = is_ratio(k) ? last + (h % 5 == 0 ? -2 : (double)(h % 12))
                                      : last * (h % 5 == 0 ? 0.95 : 1.05 + (h % 20) / 100.0);
            if (is_ratio(k) && goal > 100)
                goal = 100;
            char key[48];
            snprintf(key, sizeof key, "bench-%d-%d", k, u);
            sqlite3_bind_int64(it, 1, ids[k]);
            sqlite3_bind_text(it, 2, unit, -1, SQLITE_STATIC);
            sqlite3_bind_double(it, 3, (double)(long)(goal * 10) / 10);
            char due[16];
            snprintf(due, sizeof due, "%04d-12-31", y0);
            sqlite3_bind_text(it, 4, due, -1, SQLITE_STATIC);
            sqlite3_bind_text(it, 5, "[]", -1, SQLITE_STATIC);
            sqlite3_bind_text(it, 6, key, -1, SQLITE_STATIC);
            sqlite3_bind_int64(it, 7, now);
            sqlite3_bind_int64(it, 8, now);
            if (sqlite3_step(it) != SQLITE_DONE)
                fail("insert target", sqlite3_errmsg(db));
            sqlite3_reset(it);
        }
        if (k % 20 == 19)
            fprintf(stderr, "targets: %ld values (%.0f s)\n", nv, now_s() - t0);
    }
    sqlite3_finalize(iv);
    sqlite3_finalize(ir);
    sqlite3_finalize(it);
    /* the summaries the store keeps with every value (migration 008) */
    exec(db, SUMMARIES_SQL);
    exec(db, "COMMIT");
    sqlite3_close(db);
    /* targets_dirty moves, as dh_app_target_put would have moved it */
    dh_conn *c = dh_store_acquire(dh_app_store(app), &e);
    if (!c || DH_META(c)->meta_bump(c, "targets_dirty", &e))
        fail("meta", e.message);
    dh_store_release(c);
    fprintf(stderr, "targets: %ld values and %d targets written (%.0f s)\n", nv, NUNITS * NIND,
            now_s() - t0);
}

/* A batch of pushed values for the current month: rows [b*n, (b+1)*n) of
 * the indicator x unit grid. */
static json_t *batch_json(int b, int n, dh_date from, const char *period, const char *nonce)
{
    json_t *arr = json_array();
    for (int i = b * n; i < (b + 1) * n && i < NIND * NUNITS; i++) {
        int k = i / NUNITS, u = i % NUNITS;
        char code[32], unit[32], id[64];
        snprintf(code, sizeof code, "b%03d", k);
        unit_code(u, unit, sizeof unit);
        snprintf(id, sizeof id, "p-%s-%d-%d", nonce, k, u);
        double v, num, den;
        value_of(k, u, NMONTHS, &v, &num, &den);
        json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "indicator", code, "unit", unit, "period",
                              period, "source", "bench-push", "id", id);
        if (is_ratio(k)) {
            json_object_set_new(o, "numerator", json_real(num));
            json_object_set_new(o, "denominator", json_real(den));
        } else {
            json_object_set_new(o, "value", json_real(v));
        }
        json_array_append_new(arr, o);
    }
    (void)from;
    return arr;
}

/* The baselines of (b): the batches' rows by a prepared INSERT (code, unit,
 * from, to, value, numerator, denominator, source, id, received, updated),
 * with their receipts by `ir` when given, one transaction per batch; the
 * time taken. */
static double insert_batches(sqlite3 *db, sqlite3_stmt *ins, sqlite3_stmt *ir, sqlite3_stmt *ip,
                             sqlite3_stmt *il, json_t **batches, int nb, dh_date from, dh_date to,
                             time_t now)
{
    double t = 0;
    for (int b = 0; b < nb; b++) {
        double t0 = now_s();
        exec(db, "BEGIN IMMEDIATE");
        size_t i;
        json_t *o;
        json_array_foreach(batches[b], i, o)
        {
            const char *code = json_string_value(json_object_get(o, "indicator"));
            const char *unit = json_string_value(json_object_get(o, "unit"));
            const char *id = json_string_value(json_object_get(o, "id"));
            json_t *num = json_object_get(o, "numerator"), *den = json_object_get(o, "denominator");
            double v = num ? 100 * json_number_value(num) / json_number_value(den)
                           : json_number_value(json_object_get(o, "value"));
            sqlite3_bind_text(ins, 1, code, -1, SQLITE_STATIC);
            sqlite3_bind_text(ins, 2, unit, -1, SQLITE_STATIC);
            sqlite3_bind_int(ins, 3, from);
            sqlite3_bind_int(ins, 4, to);
            sqlite3_bind_double(ins, 5, v);
            if (num) {
                sqlite3_bind_double(ins, 6, json_number_value(num));
                sqlite3_bind_double(ins, 7, json_number_value(den));
            } else {
                sqlite3_bind_null(ins, 6);
                sqlite3_bind_null(ins, 7);
            }
            sqlite3_bind_text(ins, 8, "bench-push", -1, SQLITE_STATIC);
            sqlite3_bind_text(ins, 9, id, -1, SQLITE_STATIC);
            sqlite3_bind_int64(ins, 10, now);
            sqlite3_bind_int64(ins, 11, now);
            if (sqlite3_step(ins) != SQLITE_DONE)
                fail("insert", sqlite3_errmsg(db));
            sqlite3_reset(ins);
            if (ir) {
                char content[256];
                if (num)
                    snprintf(content, sizeof content, "%s|%s|%d|%.15g|%.15g|%.15g", code, unit,
                             from, v, json_number_value(num), json_number_value(den));
                else
                    snprintf(content, sizeof content, "%s|%s|%d|%.15g||", code, unit, from, v);
                sqlite3_bind_text(ir, 1, id, -1, SQLITE_STATIC);
                sqlite3_bind_text(ir, 2, content, -1, SQLITE_STATIC);
                if (sqlite3_step(ir) != SQLITE_DONE)
                    fail("insert receipt", sqlite3_errmsg(db));
                sqlite3_reset(ir);
            }
            if (ip) { /* (code, from, to) */
                sqlite3_bind_text(ip, 1, code, -1, SQLITE_STATIC);
                sqlite3_bind_int(ip, 2, from);
                sqlite3_bind_int(ip, 3, to);
                if (sqlite3_step(ip) != SQLITE_DONE)
                    fail("insert period", sqlite3_errmsg(db));
                sqlite3_reset(ip);
            }
            if (il) { /* (code, unit, from, to, received) */
                sqlite3_bind_text(il, 1, code, -1, SQLITE_STATIC);
                sqlite3_bind_text(il, 2, unit, -1, SQLITE_STATIC);
                sqlite3_bind_int(il, 3, from);
                sqlite3_bind_int(il, 4, to);
                sqlite3_bind_int64(il, 5, now);
                if (sqlite3_step(il) != SQLITE_DONE)
                    fail("insert latest", sqlite3_errmsg(db));
                sqlite3_reset(il);
            }
        }
        exec(db, "COMMIT");
        t += now_s() - t0;
    }
    return t;
}

struct refresh_arg {
    dh_app *app;
    time_t now;
    int n;
    double secs;
    dh_status st;
};

static void *refresh_main(void *arg)
{
    struct refresh_arg *r = arg;
    dh_err e;
    double t0 = now_s();
    r->st = dh_app_targets_refresh(r->app, r->now, &r->n, &e);
    if (r->st)
        fprintf(stderr, "targets: refresh: %s\n", e.message);
    r->secs = now_s() - t0;
    return NULL;
}

/* The pushed month's values, its period and the pushes' receipts removed */
static void empty_month(sqlite3 *db, dh_date from)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "DELETE FROM indicator_values WHERE period_from = %d;"
             "DELETE FROM indicator_periods WHERE period_from = %d;"
             "DELETE FROM indicator_receipts WHERE source = 'bench-push';",
             from, from);
    exec(db, sql);
}

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "/tmp/dh-bench-targets.db";
    int runs = getenv("RUNS") ? atoi(getenv("RUNS")) : 2000;
    int sql_runs = getenv("SQL_RUNS") ? atoi(getenv("SQL_RUNS")) : 3;
    int bsize = getenv("BATCH") ? atoi(getenv("BATCH")) : 5000;
    dh_err e;
    time_t now;
    dh_time_parse("2026-11-26T10:00:00+07:00", &now);
    dh_actor cli;
    sqlite3 *db;
    dh_app *app = bench_open_sqlite(path, &cli, &db);
    sqlite3_busy_timeout(db, 60000);
    /* as the store's connections are set (src/store/sqlite/sqlite.c) */
    exec(db, "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536");
    long have = (long)scalar(db, "SELECT count(*) FROM targets");
    if (have == 0)
        build(app, path, now);
    {
        double t0 = now_s();
        int n = 0;
        if (dh_app_targets_refresh(app, now, &n, &e))
            fail("refresh", e.message);
        if (n)
            printf("    the app derived %d series and statuses in %.1f s\n", n, now_s() - t0);
    }
    long nvalues = (long)scalar(db, "SELECT count(*) FROM indicator_values");
    long ntargets = (long)scalar(db, "SELECT count(*) FROM targets");

    bool only_b = getenv("ONLY_B") != NULL; /* for profiling the ingestion */
    if (only_b)
        runs = sql_runs = 1;
    /* (a) the overview */
    double *ta = malloc((size_t)runs * sizeof *ta);
    dh_target_query q = {"BX", true, NULL, NULL, DH_DATE_NONE, 0, 50, false};
    json_t *out;
    double t0 = now_s();
    if (dh_app_target_status(app, &cli, &q, now, &out, &e))
        fail("status", e.message);
    double first = now_s() - t0;
    char counts[256];
    char *cs = json_dumps(json_object_get(out, "counts"), JSON_COMPACT);
    snprintf(counts, sizeof counts, "%s", cs);
    free(cs);
    json_int_t total = json_integer_value(json_object_get(out, "total"));
    json_decref(out);
    for (int i = 0; i < runs; i++) {
        t0 = now_s();
        if (dh_app_target_status(app, &cli, &q, now, &out, &e))
            fail("status", e.message);
        ta[i] = now_s() - t0;
        json_decref(out);
    }
    /* the baseline: the latest value of every target in SQL */
    sqlite3_stmt *bq;
    if (sqlite3_prepare_v2(
            db,
            "SELECT t.id, t.value, v.value, v.period_from FROM targets t JOIN indicator_latest l "
            "ON l.indicator_id = t.indicator_id AND l.unit = t.unit JOIN indicator_values v ON "
            "v.indicator_id = t.indicator_id AND v.period_from = l.period_from AND v.unit = "
            "t.unit WHERE t.unit IN (SELECT code FROM units WHERE code = 'BX' OR code LIKE "
            "'BX-%')",
            -1, &bq, NULL) != SQLITE_OK)
        fail("baseline", sqlite3_errmsg(db));
    double *tb = malloc((size_t)sql_runs * sizeof *tb);
    long brows = 0;
    for (int i = 0; i < sql_runs; i++) {
        t0 = now_s();
        brows = 0;
        while (sqlite3_step(bq) == SQLITE_ROW)
            brows++;
        sqlite3_reset(bq);
        tb[i] = now_s() - t0;
    }
    sqlite3_finalize(bq);
    qsort(ta, (size_t)runs, sizeof *ta, cmp_d);
    qsort(tb, (size_t)sql_runs, sizeof *tb, cmp_d);
    double a50 = pct(ta, runs, 50) * 1e3, a99 = pct(ta, runs, 99) * 1e3;
    double b50 = pct(tb, sql_runs, 50) * 1e3, b99 = pct(tb, sql_runs, 99) * 1e3;
    printf("(a) overview of BX (subtree, first 50, counts) at %ld values, %ld targets: "
           "p50 %.2f ms, p99 %.2f ms [%d]; first call %.1f ms; total %lld %s;\n"
           "    baseline SQL latest value per target: p50 %.0f ms, p99 %.0f ms [%d, %ld rows];"
           " ratio p99 %.0fx\n",
           nvalues, ntargets, a50, a99, runs, first * 1e3, (long long)total, counts, b50, b99,
           sql_runs, brows, b99 / a99);
    /* for the record (no requirement): the sources' freshness of the province */
    t0 = now_s();
    if (dh_app_sources_freshness(app, &cli, "BX", now, &out, &e))
        fail("freshness", e.message);
    printf("    sources freshness of BX (%zu sources, %lld late): %.0f ms\n",
           json_array_size(json_object_get(out, "items")),
           (long long)json_integer_value(json_object_get(out, "late")), (now_s() - t0) * 1e3);
    json_decref(out);
    fflush(stdout);

    /* for the record (no requirement): saving one target (a split part of
     * b000/BX, by key, so reruns update it) among 200,000, against the bare
     * UPSERT of the same row */
    {
        enum { NPUT = 20 };
        double tput[NPUT], tsql[NPUT];
        json_t *body = json_pack("{s:s,s:s,s:f,s:s,s:s,s:s}", "indicator", "b000", "unit",
                                 "BX-D01", "value", 1.0, "due", "2026-12-31", "split_of",
                                 "b000/BX", "key", "bench-put");
        sqlite3_stmt *up;
        if (sqlite3_prepare_v2(db,
                               "INSERT INTO targets(indicator_id, unit, value, due, milestones, "
                               "ext_key, dirty, created_at, updated_at) VALUES ((SELECT id FROM "
                               "indicators WHERE code = 'b000'), 'BX-D01', 1, '2026-12-31', '[]', "
                               "'bench-put-sql', 1, ?1, ?1) ON CONFLICT(ext_key) DO UPDATE SET "
                               "value = excluded.value, dirty = 1, updated_at = excluded.updated_at",
                               -1, &up, NULL) != SQLITE_OK)
            fail("upsert", sqlite3_errmsg(db));
        for (int i = 0; i < NPUT; i++) {
            t0 = now_s();
            if (dh_app_target_put(app, &cli, body, now, &out, &e))
                fail("target put", e.message);
            tput[i] = now_s() - t0;
            json_decref(out);
            t0 = now_s();
            exec(db, "BEGIN IMMEDIATE");
            sqlite3_bind_int64(up, 1, now);
            if (sqlite3_step(up) != SQLITE_DONE)
                fail("upsert", sqlite3_errmsg(db));
            sqlite3_reset(up);
            exec(db, "COMMIT");
            tsql[i] = now_s() - t0;
        }
        sqlite3_finalize(up);
        exec(db, "DELETE FROM targets WHERE ext_key = 'bench-put-sql'");
        json_decref(body);
        qsort(tput, NPUT, sizeof *tput, cmp_d);
        qsort(tsql, NPUT, sizeof *tsql, cmp_d);
        printf("    saving a target among %ld (dh_app_target_put, split part by key): p50 %.2f ms; "
               "the bare UPSERT p50 %.2f ms; ratio %.1fx\n",
               ntargets, pct(tput, NPUT, 50) * 1e3, pct(tsql, NPUT, 50) * 1e3,
               pct(tput, NPUT, 50) / pct(tsql, NPUT, 50));
        fflush(stdout);
    }

    /* (b) ingestion: the month in progress, every indicator x unit */
    int y, m, d;
    dh_date_to_ymd(dh_date_of_time_vn(now), &y, &m, &d);
    dh_date from = dh_date_from_ymd(y, m, 1);
    char period[16], nonce[32];
    snprintf(period, sizeof period, "%04d-%02d", y, m);
    snprintf(nonce, sizeof nonce, "%ld", (long)time(NULL));
    char sql[512];
    snprintf(sql, sizeof sql,
             "DELETE FROM indicator_values WHERE period_from = %d;"
             "DELETE FROM indicator_periods WHERE period_from = %d;"
             "DELETE FROM indicator_receipts WHERE source = 'bench-push';"
             "DROP TABLE IF EXISTS bench_scratch;"
             "CREATE TABLE bench_scratch AS SELECT * FROM indicator_values WHERE 0;",
             from, from);
    exec(db, sql);
    int total_v = NIND * NUNITS, nb = (total_v + bsize - 1) / bsize;
    json_t **batches = malloc((size_t)nb * sizeof *batches);
    for (int b = 0; b < nb; b++)
        batches[b] = batch_json(b, bsize, from, period, nonce);
    double ti = 0, *tbatch = malloc((size_t)nb * sizeof *tbatch);
    for (int b = 0; b < nb; b++) {
        t0 = now_s();
        if (dh_app_values_put(app, &cli, batches[b], now, &out, &e))
            fail("values", e.message);
        tbatch[b] = now_s() - t0;
        ti += tbatch[b];
        json_decref(out);
    }
    /* the baseline: the same rows, a prepared INSERT loop */
    sqlite3_stmt *ins;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO bench_scratch(indicator_id, unit, period_from, period_to, "
                           "value, numerator, denominator, source, ext_id, at, received_at, "
                           "updated_at, entered_by) VALUES ((SELECT id FROM indicators WHERE code "
                           "= ?),?,?,?,?,?,?,?,?,NULL,?,?,'bench')",
                           -1, &ins, NULL) != SQLITE_OK)
        fail("scratch", sqlite3_errmsg(db));
    dh_date to = dh_date_from_ymd(y + m / 12, m % 12 + 1, 1) - 1;
    double tp = insert_batches(db, ins, NULL, NULL, NULL, batches, nb, from, to, now);
    sqlite3_finalize(ins);
    exec(db, "DROP TABLE bench_scratch");
    /* (b2) the storage floor: the same rows and their receipts by plain
     * INSERTs into the very tables (their places in the big B-trees) */
    empty_month(db, from);
    sqlite3_stmt *iv, *ir, *ip, *il;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO indicator_values(indicator_id, unit, period_from, "
                           "period_to, value, numerator, denominator, source, ext_id, at, "
                           "received_at, updated_at, entered_by) VALUES ((SELECT id FROM "
                           "indicators WHERE code = ?),?,?,?,?,?,?,?,?,NULL,?,?,'bench')",
                           -1, &iv, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO indicator_receipts(source, ext_id, content) "
                           "VALUES ('bench-push',?,?)",
                           -1, &ir, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO indicator_periods(indicator_id, period_from, period_to) "
                           "VALUES ((SELECT id FROM indicators WHERE code = ?),?,?) ON CONFLICT "
                           "DO NOTHING",
                           -1, &ip, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO indicator_latest(indicator_id, unit, period_from, "
                           "period_to, received_at) VALUES ((SELECT id FROM indicators WHERE "
                           "code = ?1),?2,?3,?4,?5) ON CONFLICT DO UPDATE SET period_from = "
                           "excluded.period_from, period_to = excluded.period_to, received_at = "
                           "excluded.received_at",
                           -1, &il, NULL) != SQLITE_OK)
        fail("floor", sqlite3_errmsg(db));
    double tf = insert_batches(db, iv, ir, ip, il, batches, nb, from, to, now);
    sqlite3_finalize(iv);
    sqlite3_finalize(ir);
    sqlite3_finalize(ip);
    sqlite3_finalize(il);
    qsort(tbatch, (size_t)nb, sizeof *tbatch, cmp_d);
    double bmax = tbatch[nb - 1];
    printf("(b) ingestion of %d values in %d batches of %d: dh_app_values_put %.2f s = %.0f "
           "values/s (batch p50 %.0f ms, max %.0f ms); plain INSERT loop into a scratch table "
           "%.2f s = %.0f values/s, ratio %.1fx; plain INSERTs into indicator_values, "
           "indicator_receipts and the summaries %.2f s = %.0f values/s, ratio %.1fx\n",
           total_v, nb, bsize, ti, total_v / ti, pct(tbatch, nb, 50) * 1e3,
           tbatch[nb - 1] * 1e3, tp, total_v / tp, ti / tp, tf, total_v / tf, ti / tf);
    fflush(stdout);
    if (only_b)
        exit(0);
    /* (d) pushes while the statuses are derived again (every target is
     * dirty after (b)): the month's values pushed again under new ids by
     * this thread while another runs dh_app_targets_refresh, as the
     * server's job does; each batch's time is what a sector system waits */
    empty_month(db, from);
    snprintf(nonce, sizeof nonce, "%ld-d", (long)time(NULL));
    for (int b = 0; b < nb; b++) {
        json_decref(batches[b]);
        batches[b] = batch_json(b, bsize, from, period, nonce);
    }
    struct refresh_arg ra = {app, now, 0, 0, DH_OK};
    pthread_t th;
    t0 = now_s();
    if (pthread_create(&th, NULL, refresh_main, &ra))
        fail("thread", "pthread_create");
    while (now_s() - t0 < 2) /* the refresh is under way */
        nap_ms(50);
    double tpush = 0;
    int refused = 0;
    for (int b = 0; b < nb; b++) {
        double t1 = now_s();
        if (dh_app_values_put(app, &cli, batches[b], now, &out, &e))
            refused++;
        tbatch[b] = now_s() - t1;
        tpush += tbatch[b];
        json_decref(out);
    }
    pthread_join(th, NULL);
    if (ra.st)
        fail("refresh", "the refresh failed");
    qsort(tbatch, (size_t)nb, sizeof *tbatch, cmp_d);
    printf("(d) %d batches of %d pushed during a refresh of every status (%d series in %.1f s): "
           "%d refused, %.0f values/s, batch p50 %.0f ms, max %.0f ms (in (b), alone: max %.0f "
           "ms)\n",
           nb, bsize, ra.n, ra.secs, refused, total_v / tpush, pct(tbatch, nb, 50) * 1e3,
           tbatch[nb - 1] * 1e3, bmax * 1e3);
    /* the first overview after: what the pushes of (d) left dirty */
    t0 = now_s();
    if (dh_app_target_status(app, &cli, &q, now, &out, &e))
        fail("status", e.message);
    printf("    the first overview after (d) (re-deriving what the pushes touched) took %.1f s\n",
           now_s() - t0);
    json_decref(out);
    for (int b = 0; b < nb; b++)
        json_decref(batches[b]);
    free(batches);
    free(tbatch);
    free(ta);
    free(tb);
    sqlite3_close(db);
    dh_app_close(app);
    return 0;
}
