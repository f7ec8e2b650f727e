/* bench/feedback.c - citizen feedback at N records (default 1,000,000; issue
 * 17), each figure with a baseline measured in the same run:
 *   - the officers' queue of one unit (dh_app_fb_list: open, by deadline, at
 *     most 500, as /xu-ly-phan-anh?unit= asks) and the public list of answered
 *     feedback (the 50 latest, all and by commune, as /phan-anh/da-tra-loi),
 *     p50/p99 against a point lookup of one record by code;
 *   - Open311 GET /open311/v2/requests.json with the default window (the last
 *     90 days, at most 1,000 requests) over HTTP on a server in this process,
 *     against GET /api/v1/health on the same connection;
 *   - the feedback KPIs of a year (dh_app_fb_kpis) against a plain GROUP BY
 *     unit count of the same rows.
 *
 * usage: build/bench/feedback [N] [DB]   (DB: a SQLite file, default
 * /tmp/dh-bench-feedback.db or DH_BENCH_DB; kept between runs)
 * The records are written straight into fb_records with the shape the app
 * gives them (a year of receipts over the demo communes, 1% still open with
 * deadlines around now, the rest answered (5% late, 60% rated) or closed):
 * building a million through the transitions would measure the writes, not
 * the reads. */
#include <curl/curl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/app.h"
#include "app/demo.h"
#include "http/http.h"
#include "store/fbagg_sql.h"
#include "store/feedback.h"

#define BENCH_NAME "feedback"
#include "bench.h"

static const char fill[] =
    "PRAGMA synchronous=OFF; PRAGMA cache_size=-262144; BEGIN;"
    "CREATE TEMP TABLE u AS SELECT row_number() OVER (ORDER BY code) - 1 AS ui, code FROM units"
    " WHERE kind = 'commune' AND valid_to IS NULL;"
    "WITH RECURSIVE k(i) AS (SELECT %ld UNION ALL SELECT i + 1 FROM k WHERE i < %ld) "
    "INSERT INTO fb_records(code, channel, category, description, lat, lon, address, commune,"
    " unit, state, received_at, accepted_at, answered_at, closed_at, updated_at, due_at,"
    " answer_due, outcome, answer_minutes, answer, reason, rating, submitted_by, client_addr,"
    " nevents) "
    "SELECT printf('PA-B-%%08d', i), 'portal', c, 'Phản ánh số ' || i, NULL, NULL, '', u.code,"
    " u.code, st, r, r + 3600, CASE WHEN st IN ('answered', 'closed') THEN r + a END,"
    " CASE WHEN st = 'closed' THEN r + a + 86400 END, r,"
    " CASE WHEN st = 'accepted' THEN r + 907200 END, r + 907200,"
    " CASE WHEN st IN ('answered', 'closed') THEN CASE WHEN i %% 20 = 0 THEN 'late'"
    " ELSE 'on_time' END ELSE '' END, CASE WHEN st IN ('answered', 'closed') THEN a / 60 ELSE 0"
    " END, CASE WHEN st IN ('answered', 'closed') THEN 'Đã xử lý.' ELSE '' END, '',"
    " CASE WHEN st IN ('answered', 'closed') AND i %% 5 < 3 THEN 1 + i %% 5 + (i %% 7 > 2)"
    " ELSE 0 END, '', '', 3 FROM ("
    "  SELECT i, %lld - (i * 7919) %% 31536000 AS r, 86400 + (i %% 13) * 43200 AS a,"
    "  CASE WHEN (i * 31) %% 1000 < 10 THEN 'accepted' WHEN (i * 31) %% 1000 < 600 THEN"
    "  'answered' ELSE 'closed' END AS st,"
    "  CASE i %% 6 WHEN 0 THEN 'chieu-sang' WHEN 1 THEN 'giao-thong-thoat-nuoc' WHEN 2 THEN"
    "  'moi-truong-rac-thai' WHEN 3 THEN 'trat-tu-do-thi' WHEN 4 THEN 'thu-tuc-hanh-chinh'"
    "  ELSE 'le-loi-cong-vu' END AS c,"
    "  (i * 13) %% (SELECT count(*) FROM u) AS ui FROM k) x JOIN u USING (ui);"
    /* the open ones: received in the last weeks, so that their deadlines are near now */
    "UPDATE fb_records SET received_at = %lld - (id * 7919) %% 1209600,"
    " updated_at = %lld - (id * 7919) %% 1209600 WHERE state = 'accepted';"
    "UPDATE fb_records SET accepted_at = received_at + 3600, answer_due = received_at + 907200,"
    " due_at = received_at + 907200 WHERE state = 'accepted';"
    "COMMIT; ANALYZE;";

typedef struct sink {
    size_t n;
} sink;

static size_t on_body(char *p, size_t size, size_t n, void *cl)
{
    (void)p;
    ((sink *)cl)->n += size * n;
    return size * n;
}

/* p50 and p99 (ms) of runs GETs of url on one kept-alive connection. */
static void http_times(CURL *h, const char *url, int runs, double *p50, double *p99, size_t *bytes)
{
    double *t = malloc(sizeof *t * (size_t)runs);
    sink s = {0};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    for (int i = 0; i < runs; i++) {
        s.n = 0;
        double t0 = now_s();
        if (curl_easy_perform(h) != CURLE_OK)
            fail("GET", url);
        t[i] = now_s() - t0;
        long code = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        if (code != 200)
            fail("GET not 200", url);
    }
    qsort(t, (size_t)runs, sizeof *t, cmp_d);
    *p50 = pct(t, runs, 50) * 1e3;
    *p99 = pct(t, runs, 99) * 1e3;
    *bytes = s.n;
    free(t);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000L;
    const char *db_arg = argc > 2 ? argv[2] : getenv("DH_BENCH_DB");
    const char *path = db_arg ? db_arg : "/tmp/dh-bench-feedback.db";
    dh_err e;
    time_t now;
    dh_time_parse("2026-11-25T10:00:00+07:00", &now);
    dh_actor cli;
    sqlite3 *db;
    dh_app *app = bench_open_sqlite(path, &cli, &db);
    if (scalar(db, "SELECT count(*) FROM units") == 0) {
        dh_demo_summary sum;
        if (dh_demo_load(app, &cli, now, &sum, &e))
            fail("demo", e.message);
        json_t *s = NULL;
        dh_date to = dh_date_of_time_vn(now);
        if (dh_app_fb_demo(app, &cli, 10, 1, to - 30, to, &s, &e))
            fail("feedback demo", e.message);
        json_decref(s);
    }
    long have = (long)scalar(db, "SELECT count(*) FROM fb_records");
    if (have < n) {
        double t0 = now_s();
        fprintf(stderr, "feedback: writing %ld records...\n", n - have);
        char sql[sizeof fill + 256];
        snprintf(sql, sizeof sql, fill, have, n - 1, (long long)now, (long long)now,
                 (long long)now);
        exec(db, sql);
        /* the rows were written around save_record: recount the aggregates, as
         * `dieuhanh rebuild` does */
        exec(db, "BEGIN; DELETE FROM fb_agg; " DH_FB_AGG_REBUILD_SQL "; INSERT INTO meta(key, "
                 "value) VALUES ('" DH_FB_AGG_EPOCH "', 1) ON CONFLICT(key) DO UPDATE SET value "
                 "= value + 1; COMMIT; ANALYZE;");
        fprintf(stderr, "feedback: written in %.0f s\n", now_s() - t0);
    }
    long open = (long)scalar(db, "SELECT count(*) FROM fb_records WHERE state = 'accepted'");

    enum { RUNS = 400 };
    static double tq[RUNS], tp[RUNS], tc[RUNS], tg[RUNS];
    const char *units[] = {"HCM-VUNGTAU", "HCM-RACHDUA", "HCM-TAMTHANG", "HCM-CONDAO"};
    long found_q = 0, found_p = 0;
    for (int i = 0; i < RUNS; i++) {
        json_t *items;
        dh_fb_filter q = {.unit = units[i % 4], .open = 1, .order = 1, .limit = 500};
        double t0 = now_s();
        if (dh_app_fb_list(app, &cli, &q, now, &items, &e))
            fail("queue", e.message);
        tq[i] = now_s() - t0;
        found_q += (long)json_array_size(items);
        json_decref(items);
        dh_fb_filter p = {.answered_only = true, .order = 2, .limit = 50};
        t0 = now_s();
        if (dh_app_fb_list(app, NULL, &p, now, &items, &e))
            fail("public list", e.message);
        tp[i] = now_s() - t0;
        found_p += (long)json_array_size(items);
        json_decref(items);
        dh_fb_filter pc = {.answered_only = true, .order = 2, .limit = 50,
                           .commune = units[i % 4]};
        t0 = now_s();
        if (dh_app_fb_list(app, NULL, &pc, now, &items, &e))
            fail("public list by commune", e.message);
        tc[i] = now_s() - t0;
        json_decref(items);
        char code[32];
        snprintf(code, sizeof code, "PA-B-%08ld", 100 + (long)((i * 104729L) % (n - 100)));
        t0 = now_s();
        if (dh_app_fb_get(app, NULL, code, now, &items, &e))
            fail("get", e.message);
        tg[i] = now_s() - t0;
        json_decref(items);
    }
    qsort(tq, RUNS, sizeof *tq, cmp_d);
    qsort(tp, RUNS, sizeof *tp, cmp_d);
    qsort(tc, RUNS, sizeof *tc, cmp_d);
    qsort(tg, RUNS, sizeof *tg, cmp_d);
    double g99 = pct(tg, RUNS, 99) * 1e3;
    printf("feedback at %ld records (%ld open), SQLite:\n", n, open);
    printf("  officers' queue of a unit (open, by deadline, <= 500): p50 %.2f ms, p99 %.2f ms"
           " (%.0f rows on average)\n",
           pct(tq, RUNS, 50) * 1e3, pct(tq, RUNS, 99) * 1e3, (double)found_q / RUNS);
    printf("  public list of answered feedback (50 latest): p50 %.2f ms, p99 %.2f ms (%.0f rows)\n",
           pct(tp, RUNS, 50) * 1e3, pct(tp, RUNS, 99) * 1e3, (double)found_p / RUNS);
    printf("  public list by commune: p50 %.2f ms, p99 %.2f ms\n", pct(tc, RUNS, 50) * 1e3,
           pct(tc, RUNS, 99) * 1e3);
    printf("  baseline: one record by code (with its events) p99 %.2f ms; queue p99 / lookup p99"
           " %.1fx\n",
           g99, pct(tq, RUNS, 99) * 1e3 / g99);

    /* Open311 over HTTP: a server in this process (the real clock: the window is the 90 days
     * before now, which the fill's dates cover). */
    dh_server *srv = dh_server_start(app, "127.0.0.1:0", NULL, &e);
    if (!srv)
        fail("server", e.message);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *h = curl_easy_init();
    char u1[128], u2[128];
    snprintf(u1, sizeof u1, "http://127.0.0.1:%d/open311/v2/requests.json", dh_server_port(srv));
    snprintf(u2, sizeof u2, "http://127.0.0.1:%d/api/v1/health", dh_server_port(srv));
    double o50, o99, h50, h99;
    size_t ob, hb;
    http_times(h, u1, 200, &o50, &o99, &ob);
    http_times(h, u2, 200, &h50, &h99, &hb);
    printf("  Open311 GET requests.json, default window (%zu bytes, <= 1,000 requests): p50 %.2f"
           " ms, p99 %.2f ms; GET /api/v1/health p99 %.2f ms on the same connection\n",
           ob, o50, o99, h99);
    curl_easy_cleanup(h);
    dh_server_stop(srv);

    /* KPIs of a year against a GROUP BY of the same rows. */
    enum { KRUNS = 20 };
    static double tk[KRUNS], tb[KRUNS];
    dh_date to = dh_date_of_time_vn(now), from = to - 364;
    char gsql[256];
    snprintf(gsql, sizeof gsql,
             "SELECT unit, count(*), sum(outcome = 'on_time'), sum(rating >= 4) FROM fb_records"
             " WHERE received_at >= %lld GROUP BY unit",
             (long long)dh_date_start_vn(from));
    /* the first answer loads the readers' copy (app/fbaggs.c) */
    json_t *k0;
    double first = now_s();
    if (dh_app_fb_kpis(app, &cli, from, to, now, &k0, &e))
        fail("kpis", e.message);
    first = now_s() - first;
    json_decref(k0);
    for (int i = 0; i < KRUNS; i++) {
        json_t *k;
        double t0 = now_s();
        if (dh_app_fb_kpis(app, &cli, from, to, now, &k, &e))
            fail("kpis", e.message);
        tk[i] = now_s() - t0;
        json_decref(k);
        sqlite3_stmt *st;
        t0 = now_s();
        if (sqlite3_prepare_v2(db, gsql, -1, &st, NULL) != SQLITE_OK)
            fail(gsql, sqlite3_errmsg(db));
        while (sqlite3_step(st) == SQLITE_ROW)
            ;
        sqlite3_finalize(st);
        tb[i] = now_s() - t0;
    }
    qsort(tk, KRUNS, sizeof *tk, cmp_d);
    qsort(tb, KRUNS, sizeof *tb, cmp_d);
    printf("  feedback KPIs of a year: first answer %.1f ms, then p50 %.3f ms; GROUP BY unit of"
           " the same rows p50 %.1f ms; GROUP BY / KPIs %.2fx\n",
           first * 1e3, pct(tk, KRUNS, 50) * 1e3, pct(tb, KRUNS, 50) * 1e3,
           pct(tb, KRUNS, 50) / pct(tk, KRUNS, 50));
    sqlite3_close(db);
    dh_app_close(app);
    return 0;
}
