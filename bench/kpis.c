/* bench/kpis.c - the service KPIs of a province at N dossiers (default
 * 10,000,000), issue 5: p50/p99 of GET /api/v1/kpis (the province root and
 * its subtree, one row per unit, for 2025 and for 2026-10) on a real
 * `dieuhanh serve`, against (b) the straightforward SQL GROUP BY a BI tool
 * would run over the dossiers table for the same figures, in-process on the
 * same file, and (c) GET /api/v1/health on the same connection (the HTTP
 * floor). Both (a) and (b) are checked to give the same figures for every
 * unit before anything is timed.
 *
 * usage: build/bench/kpis [N] [DB]
 * DB:    a SQLite file (default /tmp/dh-bench-kpis.db, or DH_BENCH_DB) or a PostgreSQL URL
 *        postgres://... (bench/pg.sh kpis N makes a throwaway cluster for it); (b) then runs
 *        on PostgreSQL, written in its dialect (count(*) FILTER (WHERE ...)).
 * env:   DH_BIN (default: the dieuhanh next to build/bench/), RUNS (HTTP requests of each
 *        kind, 2000), SQL_RUNS (GROUP BY runs per period, 10), ROOT (the unit whose subtree
 *        is asked for, HCM: the city the demo province merged into on 2025-07-01, whose
 *        subtree holds every demo unit that receives dossiers)
 *
 * The database: the demo units and procedures (dh_demo_load), then N dossier
 * rows written straight into the dossiers table (building them through the
 * importer would take hours and measure the importer, not the query), with
 * the distribution of `dieuhanh gen events`: receipts on working time over
 * 2024-01-01..2026-10-31 (evenly over the working days, codes in time
 * order), 65% at communes, 20% at district offices, 15% at provincial
 * departments among the units open that day (communes take the district
 * procedures once the offices close on 2025-07-01), a procedure of the
 * unit's level in force that day, 60% online (3/4 by the applicant), 36%
 * counter, 4% postal, 5% late, 10% at the wire, the rest early, 3% refused
 * and 1% withdrawn, payments for fee-bearing procedures, 85% digitised,
 * ratings for 35% of the resolved; dossiers whose work would end after
 * 2026-10-31 are still open. Times come from the default working calendar
 * (working minutes); there are no supplement requests and no events. Each
 * row's fact (core/kpiagg.h) is computed from the same numbers, stored in
 * the `fact` column, and its contributions summed in memory into the
 * per-day cells, written with the store's agg_add under one agg_rev. A
 * DB that already has the N dossiers and their cells is reused.
 * On PostgreSQL the rows and then the cells go in with COPY (the cells
 * packed with dh_kcell_pack, as agg_add stores them; agg_rev and agg_built
 * are bumped through the store), followed by VACUUM ANALYZE (what
 * autovacuum would do after a bulk load).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app/demo.h"
#include "app/internal.h"
#include "store/store.h"

#define BENCH_NAME "kpis"
#include "bench.h"
#include "dossier.h"

/* ---- The synthetic dossiers. --------------------------------------------- */

typedef struct world {
    const dh_unitreg *reg;
    const dh_procset *ps;
    const dh_workcal *wc;
    int daymin;
    time_t end; /* the end of 2026-10-31 */
    dh_date *wdays;
    long nwdays;
    /* candidates of the day `cday`: units per wanted kind, procedures per level */
    dh_date cday;
    int32_t *cu[3];
    size_t ncu[3];
    const dh_proc **cp[3];
    size_t ncp[3];
} world;

static const char *const levels[3] = {"commune", "district", "province"};

static void candidates(world *w, dh_date d)
{
    if (w->cday == d)
        return;
    w->cday = d;
    const dh_unit_kind want[3] = {DH_UNIT_COMMUNE, DH_UNIT_OFFICE, DH_UNIT_DEPARTMENT};
    for (int k = 0; k < 3; k++) {
        w->ncu[k] = 0;
        for (int pass = 0; pass < 2 && w->ncu[k] == 0; pass++)
            for (size_t u = 0; u < w->reg->n; u++)
                if (dh_unitreg_valid_at(w->reg, (int32_t)u, d) &&
                    (w->reg->u[u].kind == want[k] ||
                     (pass == 1 && w->reg->u[u].kind == DH_UNIT_COMMUNE)))
                    w->cu[k][w->ncu[k]++] = (int32_t)u;
        w->ncp[k] = 0;
        for (size_t j = 0; j < w->ps->n; j++) {
            const dh_proc *p = dh_procset_at(w->ps, w->ps->v[j].code, d);
            if (p == &w->ps->v[j] && strcmp(p->level, levels[k]) == 0)
                w->cp[k][w->ncp[k]++] = p;
        }
    }
}

/* The unit and procedure of dossier i (the first draws of its stream):
 * enough for the aggregation key. Returns false when none applies. */
static bool draw_key(world *w, long i, long n, dossier *x, int *minute)
{
    rng_seed(0, i);
    dh_date d = w->wdays[(long)((double)i * w->nwdays / n)];
    *minute = (int)pick(w->daymin - 1);
    candidates(w, d);
    double r = unif();
    int k = r < 0.65 ? 0 : r < 0.85 ? 1 : 2;
    if (!w->ncu[k] || !w->ncp[k])
        return false;
    x->unit = w->reg->u[w->cu[k][pick((long)w->ncu[k])]].code;
    x->proc = w->cp[k][pick((long)w->ncp[k])];
    snprintf(x->code, sizeof x->code, "K%09ld", i);
    return true;
}

static void draw(world *w, long i, long n, dossier *x, int32_t key)
{
    int minute;
    draw_key(w, i, n, x, &minute);
    dh_date d = w->wdays[(long)((double)i * w->nwdays / n)];
    dossier_fill(w->wc, w->daymin, w->end, d, minute, x, key);
}

/* ---- The rows, written into SQLite. -------------------------------------- */

static sqlite3_stmt *dossier_insert_prepare(sqlite3 *db)
{
    sqlite3_stmt *ins = NULL;
    if (sqlite3_prepare_v2(
            db,
            "INSERT INTO dossiers(code, unit, receiving_unit, procedure, channel, by_applicant,"
            " received_at, counting_from, due_at, due_effective, at_risk_from, finished_at,"
            " state, outcome, used_minutes, budget_minutes, late_minutes, paid, paid_online,"
            " rating, digitised_input, digitised_result, updated_at, fact) VALUES"
            " (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
            " ?16, ?17, ?18, ?19, ?20, ?21)",
            -1, &ins, NULL) != SQLITE_OK)
        fail("sqlite", sqlite3_errmsg(db));
    return ins;
}

/* one row, updated at `stamp`, with its packed fact */
static void dossier_insert(sqlite3 *db, sqlite3_stmt *ins, const dossier *x, time_t stamp,
                           const unsigned char *blob, size_t bloblen)
{
    int64_t used = x->open ? 0 : x->work;
    sqlite3_bind_text(ins, 1, x->code, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 2, x->unit, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 3, x->proc->code, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 4, dossier_channel[x->channel], -1, SQLITE_STATIC);
    sqlite3_bind_int(ins, 5, x->by_applicant);
    sqlite3_bind_int64(ins, 6, x->recv);
    sqlite3_bind_int64(ins, 7, x->due);
    sqlite3_bind_int64(ins, 8, x->risk);
    if (x->open)
        sqlite3_bind_null(ins, 9);
    else
        sqlite3_bind_int64(ins, 9, x->done);
    sqlite3_bind_text(ins, 10, x->state, -1, SQLITE_STATIC);
    if (x->outcome)
        sqlite3_bind_text(ins, 11, x->outcome, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(ins, 11);
    sqlite3_bind_int64(ins, 12, used);
    sqlite3_bind_int64(ins, 13, x->budget);
    sqlite3_bind_int64(ins, 14, x->open ? -x->budget : used - x->budget);
    sqlite3_bind_int(ins, 15, x->paid);
    sqlite3_bind_int(ins, 16, x->paid_online);
    sqlite3_bind_int(ins, 17, x->rating);
    sqlite3_bind_int(ins, 18, x->digitised);
    sqlite3_bind_int(ins, 19, !x->open && x->digitised);
    sqlite3_bind_int64(ins, 20, stamp);
    sqlite3_bind_blob(ins, 21, blob, (int)bloblen, SQLITE_STATIC);
    if (sqlite3_step(ins) != SQLITE_DONE)
        fail("insert", sqlite3_errmsg(db));
    sqlite3_reset(ins);
}

/* ---- Building the database. ---------------------------------------------- */

static void build(dh_app *app, const char *path, bool pg, long n)
{
    dh_err e;
    world w = {0};
    w.reg = dh_app_units_acquire(app, &e);
    w.ps = w.reg ? dh_app_procedures_acquire(app, &e) : NULL;
    const dh_calset *cs = w.ps ? dh_app_calendars_acquire(app, &e) : NULL;
    if (!cs)
        fail("registries", e.message);
    w.wc = dh_calset_find(cs, "default")->wc;
    w.daymin = dh_workcal_day_minutes(w.wc);
    dh_date d0 = dh_date_from_ymd(2024, 1, 1), d1 = dh_date_from_ymd(2026, 10, 31);
    w.end = (time_t)((int64_t)(d1 + 1) * 86400 - DH_VN_OFFSET);
    w.wdays = malloc((size_t)(d1 - d0 + 1) * sizeof *w.wdays);
    for (dh_date d = d0; d <= d1; d++)
        if (dh_workcal_day(w.wc, d) > 0)
            w.wdays[w.nwdays++] = d;
    for (int k = 0; k < 3; k++) {
        w.cu[k] = malloc(w.reg->n * sizeof *w.cu[k]);
        w.cp[k] = malloc(w.ps->n * sizeof *w.cp[k]);
    }
    w.cday = DH_NO_DAY;

    /* 1. the keys met, given ids by the store (dh_aggbatch_key) */
    double t0 = now_s();
    keyset ks = {0};
    char name[512];
    for (long i = 0; i < n; i++) {
        dossier x;
        int minute;
        if (!draw_key(&w, i, n, &x, &minute))
            fail("data", "no unit or procedure for a day");
        key_name(&x, name, sizeof name);
        key_slot(&ks, name);
    }
    dh_conn *conn = dh_store_acquire(app->store, &e);
    if (!conn || DH_OPS(conn)->begin(conn, true, &e))
        fail("store", e.message);
    dh_aggbatch *batch = dh_aggbatch_new();
    int32_t maxid = 0;
    for (size_t j = 0; j < ks.cap; j++) {
        if (!ks.name[j])
            continue;
        char *u = strdup(ks.name[j]), *p = strchr(u, '\x1f'), *f = strchr(p + 1, '\x1f');
        *p++ = 0;
        *f++ = 0;
        if (dh_aggbatch_key(batch, conn, u, p, f, &ks.id[j], &e))
            fail("agg key", e.message);
        if (ks.id[j] > maxid)
            maxid = ks.id[j];
        free(u);
    }
    if (DH_OPS(conn)->commit(conn, &e))
        fail("commit", e.message);
    dh_aggbatch_free(batch);
    dh_store_release(conn);
    fprintf(stderr, "kpis: %zu aggregation keys (%.1f s)\n", ks.n, now_s() - t0);

    /* 2. the rows with their facts; the cells summed in memory */
    int32_t c0 = d0, clen = (int32_t)(dh_date_from_ymd(2027, 12, 31) - d0 + 1);
    dh_kcell *cells = calloc((size_t)(maxid + 1) * (size_t)clen, sizeof *cells);
    if (!cells)
        fail("memory", "cells");
    sqlite3 *db = NULL;
    sqlite3_stmt *ins = NULL;
    PGconn *pc = NULL;
    static pg_copy cp;
    if (pg) {
        pc = pg_open(path);
        pg_exec(pc, "BEGIN");
        pg_copy_begin(&cp, pc,
                      "COPY dossiers(code, unit, receiving_unit, procedure, channel, by_applicant,"
                      " received_at, counting_from, due_at, due_effective, at_risk_from,"
                      " finished_at, state, outcome, used_minutes, budget_minutes, late_minutes,"
                      " paid, paid_online, rating, digitised_input, digitised_result, updated_at,"
                      " fact) FROM STDIN");
    } else {
        if (sqlite3_open(path, &db) != SQLITE_OK)
            fail("sqlite", sqlite3_errmsg(db));
        sqlite3_busy_timeout(db, 10000);
        exec(db, "PRAGMA synchronous=OFF; PRAGMA cache_size=-1048576; BEGIN IMMEDIATE");
        ins = dossier_insert_prepare(db);
    }
        time_t stamp;
    dh_time_parse("2026-11-01T00:00:00+07:00", &stamp);
    for (long i = 0; i < n; i++) {
        dossier x;
        int minute;
        draw_key(&w, i, n, &x, &minute);
        key_name(&x, name, sizeof name);
        int32_t key = ks.id[key_slot(&ks, name)];
        draw(&w, i, n, &x, key);
        dh_kcontrib c[DH_DFACT_MAX];
        size_t nc = dh_dfact_contribs(&x.f, c);
        for (size_t k = 0; k < nc; k++) {
            if (c[k].day < c0 || c[k].day >= c0 + clen)
                fail("data", "a day after 2027");
            dh_kcell *cell = &cells[(size_t)key * (size_t)clen + (size_t)(c[k].day - c0)];
            cell->n[c[k].counter]++;
            cell->minutes += c[k].minutes;
        }
        unsigned char blob[DH_DFACT_BLOB];
        dh_dfact_pack(&x.f, blob);
        int64_t used = x.open ? 0 : x.work;
        if (pg) {
            char row[1024], done[24] = "\\N";
            if (!x.open)
                snprintf(done, sizeof done, "%lld", (long long)x.done);
            int k = snprintf(row, sizeof row,
                             "%s\t%s\t%s\t%s\t%s\t%d\t%lld\t%lld\t%lld\t%lld\t%lld\t%s\t%s\t%s\t"
                             "%lld\t%lld\t%lld\t%d\t%d\t%d\t%d\t%d\t%lld\t",
                             x.code, x.unit, x.unit, x.proc->code, dossier_channel[x.channel],
                             x.by_applicant, (long long)x.recv, (long long)x.recv,
                             (long long)x.due, (long long)x.due, (long long)x.risk, done, x.state,
                             x.outcome ? x.outcome : "\\N", (long long)used, (long long)x.budget,
                             (long long)(x.open ? -x.budget : used - x.budget), x.paid,
                             x.paid_online, x.rating, x.digitised, !x.open && x.digitised,
                             (long long)stamp);
            k += (int)pg_copy_bytea(row + k, blob, sizeof blob);
            row[k++] = '\n';
            pg_copy_put(&cp, row, (size_t)k);
        } else {
            dossier_insert(db, ins, &x, stamp, blob, sizeof blob);
        }
        if ((i + 1) % 1000000 == 0)
            fprintf(stderr, "kpis: %ld rows (%.0f s)\n", i + 1, now_s() - t0);
    }
    if (pg) {
        pg_copy_end(&cp);
        pg_exec(pc, "COMMIT");
    } else {
        sqlite3_finalize(ins);
        exec(db, "COMMIT");
        sqlite3_close(db);
    }
    fprintf(stderr, "kpis: %ld rows written (%.0f s)\n", n, now_s() - t0);

    /* 3. the cells, under one revision, through the store */
    conn = dh_store_acquire(app->store, &e);
    if (!conn || DH_OPS(conn)->begin(conn, true, &e))
        fail("store", e.message);
    int64_t rev = 0;
    if (DH_META(conn)->meta_bump(conn, "agg_rev", &e) ||
        DH_META(conn)->meta_get(conn, "agg_rev", &rev, &e))
        fail("meta", e.message);
    long ncells = 0;
    if (pg) {
        /* the revision is taken in its own transaction, the cells copied in another */
        if (DH_OPS(conn)->commit(conn, &e))
            fail("commit", e.message);
        pg_exec(pc, "BEGIN");
        pg_copy_begin(&cp, pc, "COPY agg_days(key, day, cell, rev) FROM STDIN");
    }
    for (int32_t k = 1; k <= maxid; k++)
        for (int32_t d = 0; d < clen; d++) {
            const dh_kcell *cell = &cells[(size_t)k * (size_t)clen + (size_t)d];
            if (dh_kcell_zero(cell))
                continue;
            if (pg) {
                unsigned char blob[DH_KCELL_BLOB];
                dh_kcell_pack(cell, blob);
                char row[256];
                int len = snprintf(row, sizeof row, "%d\t%d\t", k, c0 + d);
                len += (int)pg_copy_bytea(row + len, blob, sizeof blob);
                len += snprintf(row + len, sizeof row - (size_t)len, "\t%lld\n", (long long)rev);
                pg_copy_put(&cp, row, (size_t)len);
            } else if (DH_AGGS(conn)->agg_add(conn, k, c0 + d, cell, rev, &e)) {
                fail("agg_add", e.message);
            }
            ncells++;
        }
    if (pg) {
        pg_copy_end(&cp);
        pg_exec(pc, "COMMIT");
        if (DH_OPS(conn)->begin(conn, true, &e))
            fail("store", e.message);
    }
    /* every dossier has its fact (what 'dieuhanh rebuild' records) */
    if (DH_META(conn)->meta_bump(conn, "agg_built", &e) || DH_OPS(conn)->commit(conn, &e))
        fail("commit", e.message);
    dh_store_release(conn);
    fprintf(stderr, "kpis: %ld cells written under agg_rev %lld (%.0f s in all)\n", ncells,
            (long long)rev, now_s() - t0);
    if (pg) {
        pg_exec(pc, "VACUUM ANALYZE dossiers");
        pg_exec(pc, "VACUUM ANALYZE agg_days");
        fprintf(stderr, "kpis: vacuum analyze done (%.0f s in all)\n", now_s() - t0);
        PQfinish(pc);
    }
    free(cells);
    for (size_t j = 0; j < ks.cap; j++)
        free(ks.name[j]);
    free(ks.name);
    free(ks.id);
    for (int k = 0; k < 3; k++) {
        free(w.cu[k]);
        free(w.cp[k]);
    }
    free(w.wdays);
    dh_app_calendars_release(app, cs);
    dh_app_procedures_release(app, w.ps);
    dh_app_units_release(app, w.reg);
}

/* ---- A keep-alive HTTP/1.1 client. --------------------------------------- */

typedef struct conn {
    int fd;
    char *buf; /* received, not yet consumed */
    size_t len, cap;
} conn;

static int http_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int fill(conn *c)
{
    if (c->cap - c->len < 65536) {
        c->cap = c->cap * 2 + 131072;
        c->buf = realloc(c->buf, c->cap);
    }
    ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
    if (r <= 0)
        return -1;
    c->len += (size_t)r;
    c->buf[c->len] = 0;
    return 0;
}

static void consume(conn *c, size_t k)
{
    memmove(c->buf, c->buf + k, c->len - k);
    c->len -= k;
}

/* One request; the body (malloc'd, NUL-terminated) in *body; returns the
 * status, or -1 on a broken connection. */
static int http(conn *c, const char *method, const char *path, const char *token,
                const char *json, char **body)
{
    char req[4096], auth[320] = "", len[64] = "";
    if (token)
        snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n", token);
    if (json)
        snprintf(len, sizeof len, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                 strlen(json));
    int k = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s\r\n%s", method,
                     path, auth, len, json ? json : "");
    for (int off = 0; off < k;) {
        ssize_t w = send(c->fd, req + off, (size_t)(k - off), MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        off += (int)w;
    }
    char *end;
    while (!c->len || !(end = strstr(c->buf, "\r\n\r\n")))
        if (fill(c))
            return -1;
    size_t hlen = (size_t)(end - c->buf) + 4;
    int status = atoi(c->buf + 9);
    long clen = -1;
    bool chunked = false;
    for (char *h = strstr(c->buf, "\r\n") + 2; h < end; h = strstr(h, "\r\n") + 2) {
        if (!strncasecmp(h, "content-length:", 15))
            clen = atol(h + 15);
        else if (!strncasecmp(h, "transfer-encoding:", 18) && strstr(h, "chunked") &&
                 strstr(h, "chunked") < strstr(h, "\r\n"))
            chunked = true;
    }
    consume(c, hlen);
    size_t blen = 0, bcap = 4096;
    char *b = malloc(bcap);
    if (!chunked) {
        if (clen < 0)
            fail("http", "a reply without Content-Length");
        while (c->len < (size_t)clen)
            if (fill(c))
                return -1;
        b = realloc(b, (size_t)clen + 1);
        memcpy(b, c->buf, (size_t)clen);
        blen = (size_t)clen;
        consume(c, (size_t)clen);
    } else {
        for (;;) {
            char *nl;
            while (!c->len || !(nl = strstr(c->buf, "\r\n")))
                if (fill(c))
                    return -1;
            size_t sz = strtoul(c->buf, NULL, 16);
            size_t head = (size_t)(nl - c->buf) + 2;
            while (c->len < head + sz + 2)
                if (fill(c))
                    return -1;
            if (blen + sz + 1 > bcap) {
                bcap = (blen + sz + 1) * 2;
                b = realloc(b, bcap);
            }
            memcpy(b + blen, c->buf + head, sz);
            blen += sz;
            consume(c, head + sz + 2);
            if (sz == 0)
                break;
        }
    }
    b[blen] = 0;
    if (body)
        *body = b;
    else
        free(b);
    return status;
}

static long rss_kb(pid_t pid)
{
    char p[64], line[256];
    snprintf(p, sizeof p, "/proc/%d/status", (int)pid);
    FILE *f = fopen(p, "r");
    long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6))
            v = atol(line + 6);
    if (f)
        fclose(f);
    return v;
}

/* ---- (b): the GROUP BY a BI tool would run. ------------------------------- */

enum { F_RON, F_RCP, F_CARRY, F_EARLY, F_ONTIME, F_LATE, F_OPEN, F_OVERDUE, F_BYAPP, F_DIGI,
       F_PAID, F_PAIDON, F_RATED, F_SATIS, F_MIN, NF };
static const char *const fnames[NF] = {
    "received_online", "received_counter_postal", "carried_over", "early", "on_time", "late",
    "in_progress_total", "overdue", "received_by_applicant", "digitised", "paid", "paid_online",
    "rated", "satisfied", "resolved_working_minutes"};

static const char group_sql[] =
    "SELECT receiving_unit,"
    " SUM(received_at >= ?1 AND channel = 'online'),"
    " SUM(received_at >= ?1 AND channel <> 'online'),"
    " SUM(received_at < ?1),"
    " SUM(finished_at < ?2 AND outcome = 'early'),"
    " SUM(finished_at < ?2 AND outcome = 'on_time'),"
    " SUM(finished_at < ?2 AND outcome = 'late'),"
    " SUM(finished_at IS NULL OR finished_at >= ?2),"
    " SUM((finished_at IS NULL OR finished_at >= ?2) AND due_effective < ?2),"
    " SUM(received_at >= ?1 AND channel = 'online' AND by_applicant),"
    " SUM(received_at >= ?1 AND digitised_input),"
    " SUM(received_at >= ?1 AND paid),"
    " SUM(received_at >= ?1 AND paid_online),"
    " SUM(finished_at < ?2 AND rating > 0),"
    " SUM(finished_at < ?2 AND rating >= 4),"
    " SUM(CASE WHEN finished_at < ?2 THEN used_minutes ELSE 0 END)"
    " FROM dossiers"
    " WHERE %s state <> 'incomplete' AND received_at < ?2"
    " AND (finished_at IS NULL OR finished_at >= ?1)"
    " GROUP BY receiving_unit";

/* the same in PostgreSQL's dialect (its booleans do not add up) */
static const char group_sql_pg[] =
    "SELECT receiving_unit,"
    " count(*) FILTER (WHERE received_at >= $1 AND channel = 'online'),"
    " count(*) FILTER (WHERE received_at >= $1 AND channel <> 'online'),"
    " count(*) FILTER (WHERE received_at < $1),"
    " count(*) FILTER (WHERE finished_at < $2 AND outcome = 'early'),"
    " count(*) FILTER (WHERE finished_at < $2 AND outcome = 'on_time'),"
    " count(*) FILTER (WHERE finished_at < $2 AND outcome = 'late'),"
    " count(*) FILTER (WHERE finished_at IS NULL OR finished_at >= $2),"
    " count(*) FILTER (WHERE (finished_at IS NULL OR finished_at >= $2) AND due_effective < $2),"
    " count(*) FILTER (WHERE received_at >= $1 AND channel = 'online' AND by_applicant <> 0),"
    " count(*) FILTER (WHERE received_at >= $1 AND digitised_input <> 0),"
    " count(*) FILTER (WHERE received_at >= $1 AND paid <> 0),"
    " count(*) FILTER (WHERE received_at >= $1 AND paid_online <> 0),"
    " count(*) FILTER (WHERE finished_at < $2 AND rating > 0),"
    " count(*) FILTER (WHERE finished_at < $2 AND rating >= 4),"
    " coalesce(sum(used_minutes) FILTER (WHERE finished_at < $2), 0)"
    " FROM dossiers"
    " WHERE %s state <> 'incomplete' AND received_at < $2"
    " AND (finished_at IS NULL OR finished_at >= $1)"
    " GROUP BY receiving_unit";

typedef struct urow {
    char code[64];
    long v[NF];
} urow;

/* Runs the GROUP BY for [from, to] days; rows in *out (malloc'd). */
static int run_sql(sqlite3_stmt *q, dh_date from, dh_date to, urow **out)
{
    sqlite3_bind_int64(q, 1, (sqlite3_int64)from * 86400 - DH_VN_OFFSET);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)(to + 1) * 86400 - DH_VN_OFFSET);
    int n = 0, cap = 16;
    urow *r = malloc((size_t)cap * sizeof *r);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (n == cap)
            r = realloc(r, (size_t)(cap *= 2) * sizeof *r);
        snprintf(r[n].code, sizeof r[n].code, "%s", (const char *)sqlite3_column_text(q, 0));
        for (int k = 0; k < NF; k++)
            r[n].v[k] = (long)sqlite3_column_int64(q, k + 1);
        n++;
    }
    if (rc != SQLITE_DONE)
        fail("group by", "step");
    sqlite3_reset(q);
    *out = r;
    return n;
}

/* The same on PostgreSQL (the statement prepared as "g"). */
static int run_sql_pg(PGconn *pg, const char *scope, dh_date from, dh_date to, urow **out)
{
    char a[32], b[32];
    snprintf(a, sizeof a, "%lld", (long long)from * 86400 - DH_VN_OFFSET);
    snprintf(b, sizeof b, "%lld", (long long)(to + 1) * 86400 - DH_VN_OFFSET);
    const char *v[3] = {a, b, scope};
    PGresult *r = PQexecPrepared(pg, "g", scope ? 3 : 2, v, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        fail("group by", PQerrorMessage(pg));
    int n = PQntuples(r);
    urow *u = malloc((size_t)(n ? n : 1) * sizeof *u);
    for (int i = 0; i < n; i++) {
        snprintf(u[i].code, sizeof u[i].code, "%s", PQgetvalue(r, i, 0));
        for (int k = 0; k < NF; k++)
            u[i].v[k] = atol(PQgetvalue(r, i, k + 1));
    }
    PQclear(r);
    *out = u;
    return n;
}

static int run_group(sqlite3_stmt *q, PGconn *pg, const char *scope, dh_date from, dh_date to,
                     urow **out)
{
    return pg ? run_sql_pg(pg, scope, from, to, out) : run_sql(q, from, to, out);
}

/* Compares the API's items with the SQL rows: returns the number of
 * differing figures (printing the first few). */
static int compare(const char *label, const char *body, const urow *r, int n)
{
    json_t *o = json_loads(body, 0, NULL);
    json_t *items = json_object_get(o, "items");
    if (!json_is_array(items))
        fail("kpis reply", body);
    int bad = 0, matched = 0;
    for (int i = 0; i < n; i++) {
        const json_t *it = NULL;
        size_t j;
        json_t *x;
        json_array_foreach(items, j, x)
        {
            if (!strcmp(json_string_value(json_object_get(x, "key")), r[i].code))
                it = x;
        }
        if (!it) {
            bool zero = true;
            for (int k = 0; k < NF; k++)
                zero = zero && r[i].v[k] == 0;
            if (!zero && bad++ < 5)
                fprintf(stderr, "kpis: %s: unit %s missing from the reply\n", label, r[i].code);
            continue;
        }
        matched++;
        for (int k = 0; k < NF; k++) {
            long a = (long)json_integer_value(json_object_get(it, fnames[k]));
            if (a != r[i].v[k] && bad++ < 5)
                fprintf(stderr, "kpis: %s: unit %s %s: API %ld, SQL %ld\n", label, r[i].code,
                        fnames[k], a, r[i].v[k]);
        }
    }
    if ((size_t)matched != json_array_size(items) && bad++ < 5)
        fprintf(stderr, "kpis: %s: the API has %zu units, SQL %d\n", label,
                json_array_size(items), matched);
    json_decref(o);
    return bad;
}

/* ---- main. ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 10000000L;
    const char *db_arg = argc > 2 ? argv[2] : getenv("DH_BENCH_DB");
    const char *path = db_arg ? db_arg : "/tmp/dh-bench-kpis.db";
    bool pg = is_pg_url(path);
    int runs = getenv("RUNS") ? atoi(getenv("RUNS")) : 2000;
    int sql_runs = getenv("SQL_RUNS") ? atoi(getenv("SQL_RUNS")) : 10;
    const char *root = getenv("ROOT") ? getenv("ROOT") : "HCM";
    char bin[1024];
    if (getenv("DH_BIN")) {
        snprintf(bin, sizeof bin, "%s", getenv("DH_BIN"));
    } else {
        snprintf(bin, sizeof bin, "%s", argv[0]);
        char *s = strrchr(bin, '/');
        if (s)
            snprintf(s, sizeof bin - (size_t)(s - bin), "/../dieuhanh");
        else
            snprintf(bin, sizeof bin, "build/dieuhanh");
    }
    char url[600];
    snprintf(url, sizeof url, pg ? "%s" : "sqlite:%s", path);
    dh_err e;
    time_t now = time(NULL);
    dh_app *app = dh_app_open(url, true, &e);
    if (!app)
        fail("open", e.message);
    dh_actor cli;
    dh_actor_cli(&cli);
    dh_demo_summary sum;
    if (dh_demo_load(app, &cli, now, &sum, &e))
        fail("demo", e.message);
    sqlite3 *db = NULL;
    PGconn *pc = NULL;
    long have, cells;
    if (pg) {
        pc = pg_open(path);
        have = (long)pg_scalar(pc, "SELECT count(*) FROM dossiers");
        cells = (long)pg_scalar(pc, "SELECT count(*) FROM agg_days");
    } else {
        if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
            fail("sqlite", sqlite3_errmsg(db));
        have = (long)scalar(db, "SELECT count(*) FROM dossiers");
        cells = (long)scalar(db, "SELECT count(*) FROM agg_days");
    }
    if (have == 0) {
        build(app, path, pg, n);
        if (pg) {
            have = (long)pg_scalar(pc, "SELECT count(*) FROM dossiers");
            cells = (long)pg_scalar(pc, "SELECT count(*) FROM agg_days");
        } else {
            have = (long)scalar(db, "SELECT count(*) FROM dossiers");
            cells = (long)scalar(db, "SELECT count(*) FROM agg_days");
        }
    } else if (have != n || cells == 0) {
        fprintf(stderr, "kpis: %s has %ld dossiers and %ld cells, not the %ld asked for: remove it\n",
                path, have, cells, n);
        return 1;
    }
    char *scope = NULL;
    if (dh_app_scope_units(app, &cli, root, true, now, &scope, &e))
        fail("scope", e.message);
    dh_app_close(app);

    /* the server */
    int port;
    {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {0};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t al = sizeof a;
        if (bind(s, (struct sockaddr *)&a, sizeof a) || getsockname(s, (struct sockaddr *)&a, &al))
            fail("port", strerror(errno));
        port = ntohs(a.sin_port);
        close(s);
    }
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    pid_t pid = fork();
    if (pid == 0) {
        FILE *log = freopen("/tmp/dh-bench-kpis-server.log", "w", stderr);
        (void)log;
        if (!freopen("/dev/null", "w", stdout))
            _exit(127);
        execl(bin, bin, "serve", "--db", url, "--listen", listen, (char *)NULL);
        _exit(127);
    }
    conn c = {-1, NULL, 0, 0};
    double ts = now_s();
    while ((c.fd = http_connect(port)) < 0) {
        if (waitpid(pid, NULL, WNOHANG) == pid || now_s() - ts > 120)
            fail("server", "did not start (see /tmp/dh-bench-kpis-server.log)");
        usleep(20000);
    }
    if (http(&c, "GET", "/api/v1/health", NULL, NULL, NULL) != 200)
        fail("server", "health");
    long rss0 = rss_kb(pid);
    char *body;
    if (http(&c, "POST", "/api/v1/login", NULL,
             "{\"login\":\"admin\",\"password\":\"dieuhanh-demo\"}", &body) != 200)
        fail("login", body);
    json_t *lj = json_loads(body, 0, NULL);
    char token[256];
    snprintf(token, sizeof token, "%s", json_string_value(json_object_get(lj, "token")));
    json_decref(lj);
    free(body);

    char qa[2][256];
    const char *periods[2] = {"2025", "2026-10"};
    for (int p = 0; p < 2; p++)
        snprintf(qa[p], sizeof qa[p], "/api/v1/kpis?unit=%s&subtree=1&period=%s&group_by=unit",
                 root, periods[p]);
    /* the first answer loads the readers' copy */
    double t0 = now_s();
    int status = http(&c, "GET", qa[0], token, NULL, &body);
    double first = now_s() - t0;
    if (status != 200)
        fail("kpis", body);
    long rss1 = rss_kb(pid);
    free(body);

    /* (b) checked against (a) before anything is timed */
    char where[96];
    snprintf(where, sizeof where, "%s",
             !scope ? ""
             : pg   ? "receiving_unit IN (SELECT json_array_elements_text($3::json)) AND"
                    : "receiving_unit IN (SELECT value FROM json_each(?3)) AND");
    char sql[sizeof group_sql_pg + 96];
    snprintf(sql, sizeof sql, pg ? group_sql_pg : group_sql, where);
    sqlite3_stmt *q = NULL;
    if (pg) {
        PGresult *r = PQprepare(pc, "g", sql, 0, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            fail("group by", PQerrorMessage(pc));
        PQclear(r);
    } else {
        if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
            fail("sqlite", sqlite3_errmsg(db));
        if (scope)
            sqlite3_bind_text(q, 3, scope, -1, SQLITE_STATIC);
    }
    dh_date pf[2] = {dh_date_from_ymd(2025, 1, 1), dh_date_from_ymd(2026, 10, 1)};
    dh_date pt[2] = {dh_date_from_ymd(2025, 12, 31), dh_date_from_ymd(2026, 10, 31)};
    double *tb = malloc((size_t)(2 * sql_runs) * sizeof *tb);
    int bad = 0, nunits[2] = {0, 0};
    for (int p = 0; p < 2; p++) {
        urow *r;
        t0 = now_s();
        int nr = run_group(q, pc, scope, pf[p], pt[p], &r);
        tb[p] = now_s() - t0;
        if (http(&c, "GET", qa[p], token, NULL, &body) != 200)
            fail("kpis", body);
        bad += compare(periods[p], body, r, nr);
        nunits[p] = nr;
        free(body);
        free(r);
    }
    fprintf(stderr, "kpis: the API and the GROUP BY agree on %d + %d unit rows%s\n", nunits[0],
            nunits[1], bad ? ": NO, see above" : "");

    /* (a) and (c) interleaved on one connection */
    double *ta = malloc((size_t)(2 * runs) * sizeof *ta), *tc = malloc((size_t)runs * sizeof *tc);
    double *tap[2] = {malloc((size_t)runs * sizeof(double)), malloc((size_t)runs * sizeof(double))};
    for (int i = 0; i < runs; i++) {
        for (int p = 0; p < 2; p++) {
            t0 = now_s();
            if (http(&c, "GET", qa[p], token, NULL, NULL) != 200)
                fail("kpis", "status");
            ta[2 * i + p] = tap[p][i] = now_s() - t0;
        }
        t0 = now_s();
        if (http(&c, "GET", "/api/v1/health", NULL, NULL, NULL) != 200)
            fail("health", "status");
        tc[i] = now_s() - t0;
    }
    long rss2 = rss_kb(pid);
    /* (b), the rest of its runs */
    for (int i = 1; i < sql_runs; i++)
        for (int p = 0; p < 2; p++) {
            urow *r;
            t0 = now_s();
            run_group(q, pc, scope, pf[p], pt[p], &r);
            tb[2 * i + p] = now_s() - t0;
            free(r);
        }
    if (pg) {
        PQfinish(pc);
    } else {
        sqlite3_finalize(q);
        sqlite3_close(db);
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);

    int na = 2 * runs, nb = 2 * sql_runs;
    qsort(ta, (size_t)na, sizeof *ta, cmp_d);
    qsort(tb, (size_t)nb, sizeof *tb, cmp_d);
    qsort(tc, (size_t)runs, sizeof *tc, cmp_d);
    for (int p = 0; p < 2; p++) {
        qsort(tap[p], (size_t)runs, sizeof(double), cmp_d);
        fprintf(stderr, "kpis:   period=%s: p50 %.3f ms, p99 %.3f ms (%d units)\n", periods[p],
                pct(tap[p], runs, 50) * 1e3, pct(tap[p], runs, 99) * 1e3, nunits[p]);
    }
    double a50 = pct(ta, na, 50) * 1e3, a99 = pct(ta, na, 99) * 1e3;
    double b50 = pct(tb, nb, 50) * 1e3, b99 = pct(tb, nb, 99) * 1e3;
    double c50 = pct(tc, runs, 50) * 1e3, c99 = pct(tc, runs, 99) * 1e3;
    printf("kpis at %ld dossiers (%ld cells), %s subtree by unit, 2025 and 2026-10:"
           " (a) GET /kpis p50 %.2f ms p99 %.2f ms [%d]; (b) SQL GROUP BY p50 %.0f ms p99 %.0f ms"
           " [%d]; (c) GET /health p50 %.2f ms p99 %.2f ms [%d]; (b)/(a) p99 %.0fx, p50 %.0fx;"
           " (a)/(c) p99 %.1fx; first answer %.0f ms; server RSS %ld MB before, %ld MB after the"
           " first query, %ld MB at the end [%s]%s\n",
           have, cells, root, a50, a99, na, b50, b99, nb, c50, c99, runs, b99 / a99, b50 / a50,
           a99 / c99, first * 1e3, rss0 / 1024, rss1 / 1024, rss2 / 1024,
           pg ? "postgresql" : "sqlite", bad ? " (API and SQL DISAGREE)" : "");
    free(ta);
    free(tb);
    free(tc);
    free(tap[0]);
    free(tap[1]);
    free(c.buf);
    free(scope);
    return bad ? 1 : 0;
}
