/* bench/aggmem.c - the readers' copy of the service aggregates at the size
 * of issue 20 (a merged mega-province: 50 million dossiers, 30,000 keys,
 * 2016-2026), filled in process with synthetic cells: its bytes, the time
 * to build it, and p50/p99 of the province overview's computation (the
 * figures of every unit's rollup, as dh_agg_query_f does for group "unit")
 * and of a whole-province query by key (group "field"/"procedure": every
 * key) for a period of a day, a month, a quarter, a year and ten years,
 * and a ten-year monthly trend over the unit rollups.
 *
 * The copy is built as its refresh builds it after a start or a rebuild
 * (src/app/aggs.c): every key's cells, in (key, day) order, into its sparse
 * series (core/kseries.h) through dh_kseries_set, then each unit's rollup,
 * a dense cumulative array, as the sum of its keys (dh_kcum_sum_of). With DENSE=1 the representation before issue 20
 * (a 64-byte cell for every day between a series' first and last, plus a
 * cumulative array of as many) is built in the same run from the same
 * cells and timed on the same periods; at full scale it needs ~7 GB, so
 * run it at a fraction (e.g. 3000 keys, 5,000,000 dossiers).
 *
 * The dossiers: each key gets a share of N by a Zipf-like law (a few busy
 * keys, a long tail of quiet ones) and its own first year (keys appear
 * over 2016-2020); receipts on working days, fewer around Tết, more at
 * month ends; 60% online, 36% counter, 4% postal; finished 1-20 days later
 * (5% late, 25% early, the rest on time), 5% overdue first, 30% paid, 35%
 * of the finished rated; 85% digitised. Each dossier becomes a dh_dfact and
 * its contributions (dh_dfact_contribs, the real ones) are summed into
 * day cells: ~3-4 contributions per dossier.
 *
 * The snapshot (src/app/aggsnap.c): with SNAP=FILE the copy is saved as
 * the snapshot saves it (every key's dh_kseries_save, every unit's
 * dh_kcum_save), written into a SQLite file in 8 MiB parts (table agg_snap,
 * one transaction a part), read back in one statement and loaded into a new
 * copy, which is checked against the first for random periods: the time a
 * start takes with a snapshot, apart from the server. With CELLS=1 as well,
 * the baseline in the same run: every key-day cell written into an
 * agg_days table of the same file (key, day, 64-byte cell, rev) and read
 * back as a load from the cells does (ORDER BY rev, key, day; each cell
 * through dh_kseries_set, then the unit rollups).
 *
 * usage: build/bench/aggmem [KEYS [DOSSIERS [UNITS]]]  (30000 50000000 250)
 * env:   DENSE=1 (also the dense copy), RUNS (queries per period kind, 200),
 *        SNAP=FILE (the snapshot through a SQLite file, made afresh), CELLS=1
 * Memory: mallinfo2's bytes in use before and after (exact) and the RSS.
 */
#include <malloc.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/kpiagg.h"
#include "core/kseries.h"
#include "util/buf.h"
#include "util/date.h"

#define BENCH_NAME "aggmem"
#include "bench.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static int below(int n) { return (int)(rnd() % (uint64_t)n); }

static size_t in_use(void) { return mallinfo2().uordblks + mallinfo2().hblkhd; }

static long rss_kb(void)
{
    long pages = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &res) != 2)
            res = 0;
        fclose(f);
    }
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* ---- The dense representation before issue 20 (src/app/aggs.c then). ---- */

typedef struct dense {
    int32_t d0, len;
    dh_kcell *cells, *cum;
} dense;

static void dense_build(dense *s, const dh_kcell *day_cells, int32_t d0, int32_t len)
{
    int32_t lo = 0, hi = len;
    while (lo < hi && dh_kcell_zero(&day_cells[lo]))
        lo++;
    while (hi > lo && dh_kcell_zero(&day_cells[hi - 1]))
        hi--;
    s->d0 = d0 + lo;
    s->len = hi - lo;
    if (!s->len)
        return;
    s->cells = malloc((size_t)s->len * sizeof *s->cells);
    s->cum = malloc(((size_t)s->len + 1) * sizeof *s->cum);
    memcpy(s->cells, day_cells + lo, (size_t)s->len * sizeof *s->cells);
    memset(&s->cum[0], 0, sizeof s->cum[0]);
    for (int32_t i = 0; i < s->len; i++) {
        s->cum[i + 1] = s->cum[i];
        dh_kcell_add(&s->cum[i + 1], &s->cells[i], 1);
    }
}

static void dense_before(const dense *s, int32_t x, dh_kcell *out)
{
    memset(out, 0, sizeof *out);
    if (!s->len || x <= s->d0)
        return;
    int32_t i = x - s->d0;
    *out = s->cum[i > s->len ? s->len : i];
}

/* ---- The synthetic cells. ------------------------------------------------ */

static int32_t D0, DAYS; /* 2016-01-01 .. 2026-12-31 */

/* a receipt day for a key whose dossiers start at first */
static int32_t receipt_day(int32_t first)
{
    for (;;) {
        int32_t d = first + below(D0 + DAYS - 25 - first);
        int wd = dh_date_weekday(d); /* 0 Sunday? either way two days are quiet */
        int y, m, dd;
        dh_date_to_ymd(d, &y, &m, &dd);
        int w = 100;
        if (wd == 0 || wd == 6)
            w = 5;
        if ((m == 1 && dd > 20) || (m == 2 && dd < 12))
            w /= 3; /* around Tết */
        if (dd >= 25)
            w = w * 3 / 2; /* month ends */
        if (below(150) < w)
            return d;
    }
}

static void one_dossier(int32_t key, int32_t first, dh_kcell *cells)
{
    dh_dfact f = {0};
    f.key = key;
    f.r_day = receipt_day(first);
    f.f_day = f.o_day = f.paid_day = f.rated_day = DH_NO_DAY;
    int c = below(100);
    f.channel = c < 60 ? 1 : c < 96 ? 0 : 2;
    f.by_applicant = f.channel == 1 && below(4) < 3;
    f.digitised = below(100) < 85;
    int fin = below(100);
    f.f_day = f.r_day + 1 + below(20);
    f.fin = fin < 5 ? DH_KFIN_LATE : fin < 30 ? DH_KFIN_EARLY : DH_KFIN_ON_TIME;
    f.used_minutes = 60 + below(20 * 480);
    if (fin < 5 && below(2))
        f.o_day = f.f_day - 1 - below(f.f_day - f.r_day);
    if (below(100) < 30) {
        f.paid_day = f.r_day + below(3);
        f.paid_online = below(2);
    }
    if (below(100) < 35) {
        f.rated_day = f.f_day + below(5);
        f.satisfied = below(10) < 8;
    }
    dh_kcontrib k[DH_DFACT_MAX];
    size_t n = dh_dfact_contribs(&f, k);
    for (size_t i = 0; i < n; i++) {
        int32_t at = k[i].day - D0;
        if (at < 0 || at >= DAYS)
            continue;
        cells[at].n[k[i].counter]++;
        cells[at].minutes += k[i].minutes;
    }
}

/* ---- Queries. -------------------------------------------------------------- */

typedef struct period {
    const char *name;
    int days; /* 0: a calendar month */
} period;

static void random_period(const period *p, int32_t *from, int32_t *to)
{
    if (p->days == 1) {
        *from = *to = D0 + below(DAYS);
    } else if (p->days == 0 || p->days == 90 || p->days == 365) {
        /* a calendar month, quarter or year */
        int y = 2016 + below(p->days == 365 ? 11 : 11), m = 1 + below(12);
        if (p->days == 90)
            m = 1 + 3 * below(4);
        if (p->days == 365)
            m = 1;
        int months = p->days == 0 ? 1 : p->days == 90 ? 3 : 12;
        *from = dh_date_from_ymd(y, m, 1);
        int ey = y + (m - 1 + months) / 12, em = (m - 1 + months) % 12 + 1;
        *to = dh_date_from_ymd(ey, em, 1) - 1;
    } else {
        *from = D0 + below(DAYS - p->days);
        *to = *from + p->days - 1;
    }
}

typedef struct timing {
    double p50, p99;
} timing;

static int64_t sink;

typedef void (*before_fn)(void *series, int32_t x, dh_kcell *out);
static void sparse_before(void *s, int32_t x, dh_kcell *out) { dh_kseries_before(s, x, out); }
static void dense_before_v(void *s, int32_t x, dh_kcell *out) { dense_before(s, x, out); }
static void cum_before(void *s, int32_t x, dh_kcell *out) { dh_kcum_before(s, x, out); }

/* p50/p99 of the figures of n series (each `size` bytes from v) summed,
 * over `runs` random periods of kind p. */
static timing time_query(void *v, size_t size, int n, before_fn before, const period *p,
                         int runs)
{
    double *t = malloc((size_t)runs * sizeof *t);
    for (int r = 0; r < runs; r++) {
        int32_t from, to;
        random_period(p, &from, &to);
        double t0 = now_s();
        dh_kfigures sum = {0};
        for (int i = 0; i < n; i++) {
            dh_kcell a, b;
            before((char *)v + (size_t)i * size, from, &a);
            before((char *)v + (size_t)i * size, to + 1, &b);
            dh_kfigures f;
            dh_kfigures_from_cum(&a, &b, &f);
            dh_kfigures_add(&sum, &f);
        }
        t[r] = (now_s() - t0) * 1e3;
        sink += sum.received_total + sum.resolved_minutes;
    }
    qsort(t, (size_t)runs, sizeof *t, cmp_d);
    timing out = {pct(t, runs, 50), pct(t, runs, 99)};
    free(t);
    return out;
}

/* p50/p99 of a ten-year monthly trend over n series, as dh_agg_query_buckets
 * reads it: the cumulative counts once per month boundary (121 lookups). */
static timing time_trend(void *v, size_t size, int n, before_fn before, int runs)
{
    int32_t edge[121];
    for (int m = 0; m <= 120; m++)
        edge[m] = dh_date_from_ymd(2017 + m / 12, 1 + m % 12, 1);
    double *t = malloc((size_t)runs * sizeof *t);
    for (int r = 0; r < runs; r++) {
        double t0 = now_s();
        dh_kfigures sum[120] = {{0}};
        for (int i = 0; i < n; i++) {
            dh_kcell lo, hi;
            before((char *)v + (size_t)i * size, edge[0], &lo);
            for (int m = 0; m < 120; m++) {
                before((char *)v + (size_t)i * size, edge[m + 1], &hi);
                dh_kfigures f;
                dh_kfigures_from_cum(&lo, &hi, &f);
                dh_kfigures_add(&sum[m], &f);
                lo = hi;
            }
        }
        t[r] = (now_s() - t0) * 1e3;
        sink += sum[r % 120].received_total;
    }
    qsort(t, (size_t)runs, sizeof *t, cmp_d);
    timing out = {pct(t, runs, 50), pct(t, runs, 99)};
    free(t);
    return out;
}

/* The same figures from both, for a few periods (the bench checks itself). */
static void agree(void *v, size_t size, before_fn before, dense *d, int n)
{
    for (int r = 0; r < 200; r++) {
        int32_t from = D0 - 5 + below(DAYS + 10), to = from + below(r % 2 ? 40 : DAYS);
        for (int i = 0; i < n; i++) {
            dh_kcell a, b;
            before((char *)v + (size_t)i * size, from, &a);
            dense_before(&d[i], from, &b);
            if (memcmp(&a, &b, sizeof a))
                fail("check", "the sparse and the dense copies differ");
            before((char *)v + (size_t)i * size, to + 1, &a);
            dense_before(&d[i], to + 1, &b);
            if (memcmp(&a, &b, sizeof a))
                fail("check", "the sparse and the dense copies differ");
        }
    }
}

static void db_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail(sql, msg ? msg : "?");
}

/* The snapshot through the SQLite file `path` (and, with cells, the
 * baseline: the cells through agg_days). */
static void snapshot_run(const char *path, bool with_cells, dh_kseries *keys, int nkeys,
                         dh_kcum *units, int nunits, const int *unit_of)
{
    unlink(path);
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        fail("open", path);
    db_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                "CREATE TABLE agg_snap(gen INTEGER, part INTEGER, data BLOB NOT NULL,"
                " PRIMARY KEY (gen, part)) WITHOUT ROWID;"
                "CREATE TABLE agg_days(key INTEGER, day INTEGER, cell BLOB NOT NULL,"
                " rev INTEGER NOT NULL, PRIMARY KEY (key, day)) WITHOUT ROWID;"
                "CREATE INDEX agg_days_rev ON agg_days(rev)");
    double t0 = now_s();
    dh_buf b = DH_BUF_INIT;
    for (int k = 0; k < nkeys; k++)
        dh_kseries_save(&keys[k], &b);
    for (int u = 0; u < nunits; u++)
        dh_kcum_save(&units[u], &b);
    double t_save = now_s() - t0;
    enum { PART = 8 << 20 };
    t0 = now_s();
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "INSERT INTO agg_snap VALUES (1, ?, ?)", -1, &st, NULL);
    for (size_t at = 0, part = 0; at < b.len; at += PART, part++) {
        db_exec(db, "BEGIN");
        sqlite3_bind_int64(st, 1, (sqlite3_int64)part);
        sqlite3_bind_blob64(st, 2, b.p + at, b.len - at < PART ? b.len - at : PART, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            fail("insert part", sqlite3_errmsg(db));
        sqlite3_reset(st);
        db_exec(db, "COMMIT");
    }
    sqlite3_finalize(st);
    double t_write = now_s() - t0;
    size_t bytes = b.len;
    dh_buf_free(&b);
    /* a start: read the parts back, then load them into a new copy */
    t0 = now_s();
    dh_buf r = DH_BUF_INIT;
    sqlite3_prepare_v2(db, "SELECT data FROM agg_snap WHERE gen = 1 ORDER BY part", -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW)
        dh_buf_append(&r, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
    sqlite3_finalize(st);
    double t_read = now_s() - t0;
    t0 = now_s();
    dh_kseries *k2 = calloc((size_t)nkeys, sizeof *k2);
    dh_kcum *u2 = calloc((size_t)nunits, sizeof *u2);
    const unsigned char *p = (const unsigned char *)r.p, *end = p + r.len;
    for (int k = 0; k < nkeys; k++)
        if (!dh_kseries_load(&k2[k], &p, end))
            fail("snapshot", "a series does not load");
    for (int u = 0; u < nunits; u++)
        if (!dh_kcum_load(&u2[u], &p, end))
            fail("snapshot", "a rollup does not load");
    double t_load = now_s() - t0;
    dh_buf_free(&r);
    for (int i = 0; i < 2000; i++) { /* the same answers */
        int k = below(nkeys), u = below(nunits);
        int32_t x = D0 + below(DAYS + 1);
        dh_kcell a, c;
        dh_kseries_before(&keys[k], x, &a);
        dh_kseries_before(&k2[k], x, &c);
        if (memcmp(&a, &c, sizeof a))
            fail("snapshot", "a loaded series answers otherwise");
        dh_kcum_before(&units[u], x, &a);
        dh_kcum_before(&u2[u], x, &c);
        if (memcmp(&a, &c, sizeof a))
            fail("snapshot", "a loaded rollup answers otherwise");
    }
    printf("  snapshot: %.1f MB; saved in %.2f s, written in %.2f s (%zu parts of 8 MiB); "
           "a start: read %.2f s + loaded %.2f s = %.2f s\n",
           bytes / 1e6, t_save, t_write, (bytes + PART - 1) / PART, t_read, t_load,
           t_read + t_load);
    for (int k = 0; k < nkeys; k++)
        dh_kseries_free(&k2[k]);
    for (int u = 0; u < nunits; u++)
        dh_kcum_free(&u2[u]);
    free(k2);
    free(u2);
    if (!with_cells) {
        sqlite3_close(db);
        return;
    }
    /* the baseline: every cell into agg_days, then a load from the cells */
    t0 = now_s();
    long ncells = 0;
    db_exec(db, "BEGIN");
    sqlite3_prepare_v2(db, "INSERT INTO agg_days VALUES (?, ?, ?, 1)", -1, &st, NULL);
    for (int k = 0; k < nkeys; k++)
        for (int32_t d = D0; d < D0 + DAYS; d++) {
            dh_kcell c;
            dh_kseries_get(&keys[k], d, &c);
            if (dh_kcell_zero(&c))
                continue;
            unsigned char blob[DH_KCELL_BLOB];
            dh_kcell_pack(&c, blob);
            sqlite3_bind_int64(st, 1, k + 1);
            sqlite3_bind_int64(st, 2, d);
            sqlite3_bind_blob(st, 3, blob, sizeof blob, SQLITE_TRANSIENT);
            if (sqlite3_step(st) != SQLITE_DONE)
                fail("insert cell", sqlite3_errmsg(db));
            sqlite3_reset(st);
            ncells++;
        }
    sqlite3_finalize(st);
    db_exec(db, "COMMIT");
    double t_cells_write = now_s() - t0;
    t0 = now_s();
    dh_kseries *k3 = calloc((size_t)nkeys + 1, sizeof *k3);
    sqlite3_prepare_v2(db, "SELECT key, day, cell, rev FROM agg_days WHERE rev > 0"
                           " ORDER BY rev, key, day", -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
        dh_kcell c;
        if (dh_kcell_unpack(sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2), &c))
            fail("cell", "corrupt");
        dh_kseries_set(&k3[sqlite3_column_int(st, 0)], sqlite3_column_int(st, 1), &c, NULL);
    }
    sqlite3_finalize(st);
    dh_kcum *u3 = calloc((size_t)nunits, sizeof *u3);
    dh_kseries **by = malloc((size_t)nkeys * sizeof *by);
    for (int u = 0; u < nunits; u++) {
        size_t n = 0;
        for (int k = 0; k < nkeys; k++)
            if (unit_of[k] == u)
                by[n++] = &k3[k + 1];
        dh_kcum_sum_of(&u3[u], by, n);
    }
    free(by);
    double t_cells = now_s() - t0;
    printf("  baseline, the cells: %ld rows written into agg_days in %.1f s; "
           "a start from them: %.2f s; from the snapshot %.1fx faster\n",
           ncells, t_cells_write, t_cells, t_cells / (t_read + t_load));
    for (int k = 0; k <= nkeys; k++)
        dh_kseries_free(&k3[k]);
    for (int u = 0; u < nunits; u++)
        dh_kcum_free(&u3[u]);
    free(k3);
    free(u3);
    sqlite3_close(db);
}

int main(int argc, char **argv)
{
    int nkeys = argc > 1 ? atoi(argv[1]) : 30000;
    long ndoss = argc > 2 ? atol(argv[2]) : 50000000L;
    int nunits = argc > 3 ? atoi(argv[3]) : 250;
    bool with_dense = getenv("DENSE") && atoi(getenv("DENSE"));
    int runs = getenv("RUNS") ? atoi(getenv("RUNS")) : 200;
    if (nkeys < 1 || ndoss < 1 || nunits < 1 || nunits > nkeys || runs < 1)
        fail("usage", "aggmem [KEYS [DOSSIERS [UNITS]]]");
    D0 = dh_date_from_ymd(2016, 1, 1);
    DAYS = dh_date_from_ymd(2027, 1, 1) - D0;

    /* each key's share: Zipf-like weights 1/(rank+10)^0.9, keys shuffled over units */
    double *w = malloc((size_t)nkeys * sizeof *w), wsum = 0;
    for (int k = 0; k < nkeys; k++)
        wsum += (w[k] = 1.0 / __builtin_pow(k + 10.0, 0.9));
    int *unit_of = malloc((size_t)nkeys * sizeof *unit_of);
    for (int k = 0; k < nkeys; k++)
        unit_of[k] = below(nunits);

    size_t mem0 = in_use();
    long rss0 = rss_kb();
    dh_kseries *keys = calloc((size_t)nkeys, sizeof *keys);
    dh_kcum *units = calloc((size_t)nunits, sizeof *units);
    dense *dkeys = with_dense ? calloc((size_t)nkeys, sizeof *dkeys) : NULL;
    dense *dunits = with_dense ? calloc((size_t)nunits, sizeof *dunits) : NULL;
    dh_kcell *day = malloc((size_t)DAYS * sizeof *day);
    dh_kcell **udense = with_dense ? calloc((size_t)nunits, sizeof *udense) : NULL;
    double t_gen = 0, t_sparse = 0, t_dense = 0;
    long cells = 0, contribs_days = 0, dossiers = 0;
    for (int k = 0; k < nkeys; k++) {
        long nk = (long)(ndoss * w[k] / wsum + 0.5);
        int32_t first = dh_date_from_ymd(2016 + below(5), 1 + below(12), 1);
        double t0 = now_s();
        memset(day, 0, (size_t)DAYS * sizeof *day);
        for (long i = 0; i < nk; i++)
            one_dossier(k + 1, first, day);
        dossiers += nk;
        double t1 = now_s();
        t_gen += t1 - t0;
        /* what on_cell does for each stored cell of a first load */
        for (int32_t i = 0; i < DAYS; i++)
            if (!dh_kcell_zero(&day[i])) {
                dh_kseries_set(&keys[k], D0 + i, &day[i], NULL);
                cells++;
                for (int c = 0; c < DH_KC_N; c++)
                    contribs_days += day[i].n[c];
            }
        double t2 = now_s();
        t_sparse += t2 - t1;
        if (with_dense) {
            dense_build(&dkeys[k], day, D0, DAYS);
            dh_kcell **u = &udense[unit_of[k]];
            if (!*u)
                *u = calloc((size_t)DAYS, sizeof **u);
            for (int32_t i = 0; i < DAYS; i++)
                dh_kcell_add(&(*u)[i], &day[i], 1);
            t_dense += now_s() - t2;
        }
    }
    free(day);
    size_t mem_keys = in_use() - mem0;
    /* the unit rollups, as rollups_rebuild makes them */
    double t0 = now_s();
    {
        dh_kseries **by = malloc((size_t)nkeys * sizeof *by);
        for (int u = 0; u < nunits; u++) {
            size_t n = 0;
            for (int k = 0; k < nkeys; k++)
                if (unit_of[k] == u)
                    by[n++] = &keys[k];
            dh_kcum_sum_of(&units[u], by, n);
        }
        free(by);
    }
    double t_roll = now_s() - t0, t_keys = t_sparse;
    /* the first read makes every checkpoint */
    dh_kcell x;
    for (int k = 0; k < nkeys; k++)
        dh_kseries_before(&keys[k], D0 + DAYS, &x);
    t_sparse += now_s() - t0;
    double t_ckpt = t_sparse - t_keys - t_roll;
    size_t series_bytes = 0;
    for (int k = 0; k < nkeys; k++)
        series_bytes += dh_kseries_bytes(&keys[k]);
    for (int u = 0; u < nunits; u++)
        series_bytes += units[u].cum ? ((size_t)units[u].len + 1) * sizeof(dh_kcell) : 0;
    if (with_dense) {
        double t3 = now_s();
        for (int u = 0; u < nunits; u++)
            if (udense[u]) {
                dense_build(&dunits[u], udense[u], D0, DAYS);
                free(udense[u]);
            }
        free(udense);
        t_dense += now_s() - t3;
    }
    size_t mem_all = in_use() - mem0;
    long rss = rss_kb() - rss0;
    size_t dense_bytes = 0;
    if (with_dense) {
        for (int k = 0; k < nkeys; k++)
            dense_bytes += (size_t)(2 * dkeys[k].len + 1) * sizeof(dh_kcell) * (dkeys[k].len > 0);
        for (int u = 0; u < nunits; u++)
            dense_bytes += (size_t)(2 * dunits[u].len + 1) * sizeof(dh_kcell) * (dunits[u].len > 0);
        agree(keys, sizeof *keys, sparse_before, dkeys, nkeys);
        agree(units, sizeof *units, cum_before, dunits, nunits);
    }
    size_t sparse_bytes = with_dense ? mem_all - dense_bytes : mem_all;
    printf("aggmem: %d keys, %d units, %ld dossiers, %ld nonzero key-day cells "
           "(%.2f per dossier, %.1f counters per cell)\n",
           nkeys, nunits, dossiers, cells, (double)cells / dossiers,
           (double)contribs_days / cells);
    printf("  sparse copy: %.1f MB in use (malloc; keys alone %.1f MB; series' own count "
           "%.1f MB), %.1f bytes per key-day cell; built in %.2f s (generation %.1f s apart)\n",
           sparse_bytes / 1e6, (with_dense ? 0 : 1) * mem_keys / 1e6, series_bytes / 1e6,
           (double)sparse_bytes / cells, t_sparse, t_gen);
    if (with_dense)
        printf("  dense copy (before issue 20): %.1f MB, built in %.2f s; "
               "sparse/dense bytes = 1/%.1f\n",
               dense_bytes / 1e6, t_dense, (double)dense_bytes / sparse_bytes);
    printf("  RSS growth %.1f MB; build: key cells %.2f s, unit rollups %.2f s, checkpoints "
           "%.2f s (CPU time of the whole process: %.1f s)\n",
           rss / 1024.0, t_keys, t_roll, t_ckpt, (double)clock() / CLOCKS_PER_SEC);
    const period periods[] = {{"a day", 1}, {"a month", 0}, {"a quarter", 90},
                              {"a year", 365}, {"ten years", 3652}};
    for (size_t i = 0; i < sizeof periods / sizeof *periods; i++) {
        timing su = time_query(units, sizeof *units, nunits, cum_before, &periods[i], runs);
        timing sk = time_query(keys, sizeof *keys, nkeys, sparse_before, &periods[i], runs / 4 ? runs / 4 : 1);
        printf("  %-9s  overview (%d unit rollups) p50 %.3f ms p99 %.3f ms;"
               " all %d keys p50 %.2f ms p99 %.2f ms",
               periods[i].name, nunits, su.p50, su.p99, nkeys, sk.p50, sk.p99);
        if (with_dense) {
            timing du = time_query(dunits, sizeof *dunits, nunits, dense_before_v, &periods[i], runs);
            timing dk = time_query(dkeys, sizeof *dkeys, nkeys, dense_before_v, &periods[i], runs / 4 ? runs / 4 : 1);
            printf(" | dense: overview p50 %.3f p99 %.3f ms, keys p50 %.2f p99 %.2f ms", du.p50,
                   du.p99, dk.p50, dk.p99);
        }
        printf("\n");
    }
    timing tu = time_trend(units, sizeof *units, nunits, cum_before, runs / 4 ? runs / 4 : 1);
    printf("  trend, 120 months (2017-2026) over the %d unit rollups: p50 %.2f ms p99 %.2f ms",
           nunits, tu.p50, tu.p99);
    if (with_dense) {
        timing td = time_trend(dunits, sizeof *dunits, nunits, dense_before_v, runs / 4 ? runs / 4 : 1);
        printf(" | dense: p50 %.2f ms p99 %.2f ms", td.p50, td.p99);
    }
    printf("\n");
    if (getenv("SNAP") && *getenv("SNAP"))
        snapshot_run(getenv("SNAP"), getenv("CELLS") && atoi(getenv("CELLS")), keys, nkeys,
                     units, nunits, unit_of);
    if (sink == 42)
        printf("\n");
    return 0;
}
