/* conformance.c - the storage contract (the headers of src/store/) as tests that every
 * backend must pass, through the store API only (no SQL here).
 *
 *   DH_TEST_DB=sqlite:/tmp/x.db build/tests/store_conformance
 *   scripts/pg-test.sh run -- sh -c 'DH_TEST_DB=$DH_PG_URL build/tests/store_conformance'
 *   DH_TEST_ONLY='meta*' ...   (only the tests whose names match)
 *
 * The URL names the backend and a base location; every test gets a fresh,
 * empty database of its own made from it (fresh_db, the one place that
 * knows how each backend makes one) and migrated to the latest schema,
 * except the migration test, which starts from nothing.
 *
 * Covered: migrations (applied once, a newer schema refused untouched),
 * transactions (rollback, commit, isolation of an open write), and each
 * domain's ops: rows written come back, lists in their documented order,
 * paging by cursor or offset, DH_E_NOTFOUND and DH_E_CONFLICT where the
 * contract names them (with *e filled), idempotency receipts, the
 * append-only audit trail, revision counters; last, two apps writing the
 * same counter through the transaction runner (no lost update, retries
 * counted), and (PostgreSQL) the runner and the pool after a connection
 * is lost. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "app/app.h"
#include "app/internal.h"
#include "store/rows.h"
#include "store/backup.h"
#include "store/dti.h"
#include "store/feedback.h"
#include "store/geo.h"
#include "store/store.h"
#include "store/jobs.h"
#include "util/fault.h"
#include "store/latereports.h"
#include "store/stations.h"

/* ------------------------------------------------------------------ */
/* Fresh databases.                                                   */

/* The base URL: DH_TEST_DB, or a file under /tmp named after the process. */
static const char *base_url(void)
{
    static char fallback[128];
    const char *u = getenv("DH_TEST_DB");
    if (u && *u)
        return u;
    if (!fallback[0])
        snprintf(fallback, sizeof fallback, "sqlite:/tmp/dh-store-conformance-%d.db",
                 (int)getpid());
    return fallback;
}

static void quiet(void *arg, const char *message) { (void)arg, (void)message; }

/* Makes (when `make`) or removes the empty database number n of the base
 * URL and writes its URL to url. The one place that knows how a backend
 * makes a fresh database: sqlite: is a file PATH-n (and its -wal, -shm,
 * -journal), removed first; postgres:// (or postgresql://) is a schema
 * dh_test_PID_n of the URL's database, dropped and created here and named
 * in the URL as the connections' search_path (options=-csearch_path=...),
 * dropped again at the end of the test: quick, nothing left behind, and
 * two runs at once on one database do not meet. */
static void fresh_db(int n, bool make, char *url, size_t size)
{
    const char *base = base_url();
    const char *colon = strchr(base, ':');
    size_t scheme = colon ? (size_t)(colon - base) : 0;
    if (scheme == 6 && strncmp(base, "sqlite", 6) == 0) {
        char path[400];
        snprintf(path, sizeof path, "%s-%d", colon + 1, n);
        static const char *const tails[] = {"", "-wal", "-shm", "-journal"};
        for (size_t i = 0; i < sizeof tails / sizeof *tails; i++) {
            char p[420];
            snprintf(p, sizeof p, "%s%s", path, tails[i]);
            unlink(p);
        }
        snprintf(url, size, "sqlite:%s", path);
        (void)make; /* the store makes the file when opened with create */
        return;
    }
    if ((scheme == 8 && strncmp(base, "postgres", 8) == 0) ||
        (scheme == 10 && strncmp(base, "postgresql", 10) == 0)) {
        char schema[64], conninfo[512], sql[256];
        snprintf(schema, sizeof schema, "dh_test_%d_%d", (int)getpid(), n);
        snprintf(conninfo, sizeof conninfo, "postgresql:%s", colon + 1);
        PGconn *pg = PQconnectdb(conninfo);
        if (PQstatus(pg) != CONNECTION_OK)
            fail_msg("DH_TEST_DB=%s: %s", base, PQerrorMessage(pg));
        PQsetNoticeProcessor(pg, quiet, NULL);
        snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE%s%s", schema,
                 make ? "; CREATE SCHEMA " : "", make ? schema : "");
        PGresult *r = PQexec(pg, sql);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            fail_msg("DH_TEST_DB=%s: %s: %s", base, sql, PQerrorMessage(pg));
        PQclear(r);
        PQfinish(pg);
        snprintf(url, size, "%s%coptions=-csearch_path%%3D%s", base, strchr(base, '?') ? '&' : '?',
                 schema);
        return;
    }
    fail_msg("DH_TEST_DB=%s: no fresh-database step for this backend (add one to fresh_db)",
             base);
}

typedef struct fx {
    int n;
    char url[512];
    dh_store *s;
    dh_conn *c;
    const dh_store_ops *ops;
} fx;

static int next_db;

static int open_bare(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->n = ++next_db;
    fresh_db(f->n, true, f->url, sizeof f->url);
    dh_err e;
    f->s = dh_store_open(f->url, true, &e);
    if (!f->s) {
        print_error("open %s: %s\n", f->url, e.message);
        free(f);
        return -1;
    }
    f->c = dh_store_acquire(f->s, &e);
    if (!f->c) {
        print_error("acquire %s: %s\n", f->url, e.message);
        return -1;
    }
    f->ops = dh_conn_ops(f->c);
    *state = f;
    return 0;
}

static int open_migrated(void **state)
{
    if (open_bare(state))
        return -1;
    fx *f = *state;
    dh_err e;
    int from, to;
    if (f->ops->migrate(f->c, dh_store_latest_version(f->ops->scheme), &from, &to, &e)) {
        print_error("migrate %s: %s\n", f->url, e.message);
        return -1;
    }
    return 0;
}

static int close_db(void **state)
{
    fx *f = *state;
    char url[512];
    dh_store_release(f->c);
    dh_store_close(f->s);
    fresh_db(f->n, false, url, sizeof url);
    free(f);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Checks. Each needs a `dh_err e` in scope.                          */

static void ok_(dh_status got, const dh_err *e, const char *what, int line)
{
    if (got != DH_OK) {
        print_error("line %d: %s answered %d (%s: %s)\n", line, what, (int)got, e->code,
                    e->message);
        fail();
    }
}
#define OK(x)                                                                                    \
    do {                                                                                         \
        dh_err_clear(&e);                                                                        \
        ok_((x), &e, #x, __LINE__);                                                              \
    } while (0)

/* The call answers `want` and, as every op must, says so in *e. */
static void fails_(dh_status want, dh_status got, const dh_err *e, const char *what, int line)
{
    if (got != want || e->status != want || !e->code[0]) {
        print_error("line %d: %s answered %d with *e %d '%s' (%s), expected %d with *e filled\n",
                    line, what, (int)got, (int)e->status, e->code, e->message, (int)want);
        fail();
    }
}
#define FAILS(want, x)                                                                           \
    do {                                                                                         \
        dh_err_clear(&e);                                                                        \
        fails_((want), (x), &e, #x, __LINE__);                                                   \
    } while (0)

#define D(y, m, d) dh_date_from_ymd(y, m, d)
#define STR(dst, s) snprintf((dst), sizeof(dst), "%s", (s) ? (s) : "(null)")

/* Collected ids and strings (enough for every test here). */
#define MAXROWS 64
typedef struct rows {
    int n;
    int stop_after; /* 0: never stop */
    int64_t id[MAXROWS];
    char s[MAXROWS][96];
} rows;

static int add_row(rows *r, int64_t id, const char *s)
{
    if (r->n < MAXROWS) {
        r->id[r->n] = id;
        STR(r->s[r->n], s);
    }
    r->n++;
    return r->stop_after && r->n >= r->stop_after;
}

static int on_code(void *cl, const char *code) { return add_row(cl, 0, code); }
static int on_id(void *cl, int64_t id) { return add_row(cl, id, ""); }

/* ------------------------------------------------------------------ */
/* Migrations and transactions.                                       */

static void migrations_once_newer_refused(void **state)
{
    fx *f = *state;
    dh_err e;
    const dh_store_ops *ops = f->ops;
    int latest = dh_store_latest_version(ops->scheme), v = -1, from = -1, to = -1;
    int64_t x;
    assert_true(latest >= 2);
    OK(ops->schema_version(f->c, &v, &e));
    assert_int_equal(v, 0);
    OK(ops->migrate(f->c, 1, &from, &to, &e));
    assert_int_equal(from, 0);
    assert_int_equal(to, 1);
    OK(ops->schema_version(f->c, &v, &e));
    assert_int_equal(v, 1);
    /* the rest, then nothing: a migration applied twice would fail */
    OK(ops->migrate(f->c, latest, &from, &to, &e));
    assert_int_equal(from, 1);
    assert_int_equal(to, latest);
    OK(ops->migrate(f->c, latest, &from, &to, &e));
    assert_int_equal(from, latest);
    assert_int_equal(to, latest);
    OK(DH_META(f->c)->meta_set(f->c, "conformance", 7, &e));
    /* a binary that knows less is refused and touches nothing */
    FAILS(DH_E_VERSION, ops->migrate(f->c, latest - 1, &from, &to, &e));
    OK(ops->schema_version(f->c, &v, &e));
    assert_int_equal(v, latest);
    OK(DH_META(f->c)->meta_get(f->c, "conformance", &x, &e));
    assert_int_equal(x, 7);
    /* and left no transaction open behind it */
    OK(ops->begin(f->c, true, &e));
    OK(DH_META(f->c)->meta_set(f->c, "conformance", 8, &e));
    OK(ops->commit(f->c, &e));
    OK(DH_META(f->c)->meta_get(f->c, "conformance", &x, &e));
    assert_int_equal(x, 8);
}

static void transactions_rollback_commit_isolation(void **state)
{
    fx *f = *state;
    dh_err e;
    const dh_store_ops *ops = f->ops;
    int64_t v;
    OK(ops->begin(f->c, true, &e));
    OK(DH_META(f->c)->meta_set(f->c, "k", 1, &e));
    ops->rollback(f->c);
    OK(DH_META(f->c)->meta_get(f->c, "k", &v, &e));
    assert_int_equal(v, 0);

    OK(ops->begin(f->c, true, &e));
    OK(DH_META(f->c)->meta_set(f->c, "k", 2, &e));
    dh_conn *c2 = dh_store_acquire(f->s, &e);
    assert_non_null(c2);
    OK(DH_META(c2)->meta_get(c2, "k", &v, &e)); /* not yet committed */
    assert_int_equal(v, 0);
    OK(ops->commit(f->c, &e));
    OK(DH_META(c2)->meta_get(c2, "k", &v, &e));
    assert_int_equal(v, 2);
    /* a read transaction sees what was committed */
    OK(ops->begin(c2, false, &e));
    OK(DH_META(c2)->meta_get(c2, "k", &v, &e));
    assert_int_equal(v, 2);
    OK(ops->commit(c2, &e));
    dh_store_release(c2);
}

/* The n-th store call fails (util/fault.h, DH_FAULT_STORE) in each
 * backend's statement helpers, BEGIN and COMMIT included: the call reports
 * DH_E_DB with words, a rollback leaves nothing, and the connection works
 * for the next transaction (tests/unit/test_faults.c sweeps the app's
 * writes on SQLite). */
static void store_call_fault(void **state)
{
    fx *f = *state;
    const dh_store_ops *ops = f->ops;
    long n;
    for (n = 1;; n++) {
        dh_err e = {0};
        dh_fault_arm(DH_FAULT_STORE, n);
        dh_status st = ops->begin(f->c, true, &e);
        if (st == DH_OK)
            st = DH_META(f->c)->meta_set(f->c, "fa", 1, &e);
        if (st == DH_OK)
            st = DH_META(f->c)->meta_bump(f->c, "fb", &e);
        if (st == DH_OK)
            st = ops->commit(f->c, &e);
        long seen = dh_fault_count(DH_FAULT_STORE);
        dh_fault_arm(DH_FAULT_STORE, 0);
        if (st == DH_OK) {
            assert_true(seen < n);
            break;
        }
        assert_int_equal(st, DH_E_DB);
        assert_non_null(strstr(e.message, "injected fault"));
        ops->rollback(f->c);
        int64_t a = -1, b = -1;
        OK(DH_META(f->c)->meta_get(f->c, "fa", &a, &e));
        OK(DH_META(f->c)->meta_get(f->c, "fb", &b, &e));
        assert_int_equal(a, 0);
        assert_int_equal(b, 0);
    }
    assert_true(n > 3); /* begin, two writes and commit were each failed */
    int64_t a = 0, b = 0;
    dh_err e;
    OK(DH_META(f->c)->meta_get(f->c, "fa", &a, &e));
    OK(DH_META(f->c)->meta_get(f->c, "fb", &b, &e));
    assert_int_equal(a, 1);
    assert_int_equal(b, 1);
}

/* ------------------------------------------------------------------ */
/* Meta counters and units.                                           */

static void meta_and_revisions(void **state)
{
    fx *f = *state;
    dh_err e;
    int64_t v = -1;
    OK(DH_META(f->c)->meta_get(f->c, "never_set", &v, &e));
    assert_int_equal(v, 0);
    OK(DH_META(f->c)->meta_bump(f->c, "bumped", &e));
    OK(DH_META(f->c)->meta_get(f->c, "bumped", &v, &e));
    assert_int_equal(v, 1);
    OK(DH_META(f->c)->meta_bump(f->c, "bumped", &e));
    OK(DH_META(f->c)->meta_get(f->c, "bumped", &v, &e));
    assert_int_equal(v, 2);
    OK(DH_META(f->c)->meta_set(f->c, "bumped", 42, &e));
    OK(DH_META(f->c)->meta_bump(f->c, "bumped", &e));
    OK(DH_META(f->c)->meta_get(f->c, "bumped", &v, &e));
    assert_int_equal(v, 43);
    OK(DH_META(f->c)->meta_set(f->c, "bumped", -5, &e));
    OK(DH_META(f->c)->meta_get(f->c, "bumped", &v, &e));
    assert_int_equal(v, -5);
    OK(DH_META(f->c)->meta_get(f->c, "never_set", &v, &e));
    assert_int_equal(v, 0);

    OK(DH_UNITS(f->c)->units_rev(f->c, &v, &e));
    assert_int_equal(v, 0);
    OK(DH_UNITS(f->c)->bump_units_rev(f->c, &e));
    OK(DH_UNITS(f->c)->bump_units_rev(f->c, &e));
    OK(DH_UNITS(f->c)->units_rev(f->c, &v, &e));
    assert_int_equal(v, 2);
}

/* The database's size (GET /metrics): positive, and growing with the rows
 * a committed transaction adds. */
static void database_size(void **state)
{
    fx *f = *state;
    dh_err e;
    int64_t before = 0, after = 0;
    OK(DH_META(f->c)->db_size(f->c, &before, &e));
    assert_true(before > 0);
    OK(f->ops->begin(f->c, true, &e));
    char key[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(key, sizeof key, "size-%05d", i);
        OK(DH_META(f->c)->meta_set(f->c, key, i, &e));
    }
    OK(f->ops->commit(f->c, &e));
    OK(DH_META(f->c)->db_size(f->c, &after, &e));
    assert_true(after > before);
}

/* The memory the engine's client library holds (GET /metrics): SQLite counts
 * its own, which grows while a connection reads pages into its cache;
 * libpq does not count (-1). */
static void client_memory(void **state)
{
    fx *f = *state;
    dh_err e;
    int64_t before = f->ops->client_memory();
    if (strcmp(f->ops->scheme, "sqlite") != 0) {
        assert_int_equal(before, -1);
        return;
    }
    assert_true(before > 0);
    OK(f->ops->begin(f->c, true, &e));
    char key[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(key, sizeof key, "mem-%05d", i);
        OK(DH_META(f->c)->meta_set(f->c, key, i, &e));
    }
    assert_true(f->ops->client_memory() > before);
    OK(f->ops->commit(f->c, &e));
}

typedef struct units_seen {
    rows units, versions, links;
    dh_unit_row u[8];
    char code[8][32], kind[8][32];
    dh_unit_version_row v[8];
    char name[8][64];
    dh_unit_link_row l[8];
} units_seen;

static int on_unit(void *cl, const dh_unit_row *r)
{
    units_seen *s = cl;
    int i = s->units.n;
    if (i < 8) {
        s->u[i] = *r;
        STR(s->code[i], r->code);
        STR(s->kind[i], r->kind);
    }
    return add_row(&s->units, r->id, r->code);
}

static int on_unit_version(void *cl, const dh_unit_version_row *r)
{
    units_seen *s = cl;
    int i = s->versions.n;
    if (i < 8) {
        s->v[i] = *r;
        STR(s->name[i], r->name);
    }
    return add_row(&s->versions, r->unit_id, r->name);
}

static int on_unit_link(void *cl, const dh_unit_link_row *r)
{
    units_seen *s = cl;
    if (s->links.n < 8)
        s->l[s->links.n] = *r;
    return add_row(&s->links, r->event_id, "");
}

static int64_t new_unit(dh_conn *c, const char *code, const char *kind)
{
    dh_err e;
    int64_t id = 0;
    dh_unit_row u = {0, code, kind, D(2020, 1, 1), DH_DATE_NONE};
    OK(DH_UNITS(c)->save_unit(c, &u, &id, &e));
    assert_true(id > 0);
    return id;
}

static void units_save_versions_events_links(void **state)
{
    fx *f = *state;
    dh_err e;
    const dh_units_ops *U = DH_UNITS(f->c);
    int64_t p = new_unit(f->c, "P", "province"), d = new_unit(f->c, "D1", "district"), id;
    assert_true(d != p);
    dh_unit_row dup = {0, "D1", "district", D(2021, 1, 1), DH_DATE_NONE};
    FAILS(DH_E_CONFLICT, U->save_unit(f->c, &dup, &id, &e));
    /* an update keeps the id and changes the row */
    dh_unit_row upd = {d, "D1", "commune", D(2020, 1, 1), D(2025, 6, 30)};
    OK(U->save_unit(f->c, &upd, &id, &e));
    assert_int_equal(id, d);

    dh_unit_version_row two[] = {{d, D(2023, 1, 1), p, "Thị xã A", "TX A", "thi xa a"},
                                 {d, D(2020, 1, 1), p, "Huyện A", "", "huyen a"}};
    OK(U->replace_unit_versions(f->c, d, two, 2, &e));
    dh_unit_version_row pv = {p, D(2020, 1, 1), 0, "Tỉnh", "", "tinh"};
    OK(U->replace_unit_versions(f->c, p, &pv, 1, &e));
    units_seen s = {0};
    OK(U->load_units(f->c, on_unit, on_unit_version, on_unit_link, &s, &e));
    assert_int_equal(s.units.n, 2);
    assert_int_equal(s.u[0].id, p); /* by id */
    assert_int_equal(s.u[1].id, d);
    assert_string_equal(s.code[1], "D1");
    assert_string_equal(s.kind[1], "commune");
    assert_int_equal(s.u[1].valid_from, D(2020, 1, 1));
    assert_int_equal(s.u[1].valid_to, D(2025, 6, 30));
    assert_int_equal(s.u[0].valid_to, DH_DATE_NONE);
    assert_int_equal(s.versions.n, 3); /* by unit, then valid_from */
    assert_int_equal(s.v[0].unit_id, p);
    assert_int_equal(s.v[0].parent_id, 0);
    assert_int_equal(s.v[1].unit_id, d);
    assert_int_equal(s.v[1].valid_from, D(2020, 1, 1));
    assert_string_equal(s.name[1], "Huyện A");
    assert_int_equal(s.v[1].parent_id, p);
    assert_int_equal(s.v[2].valid_from, D(2023, 1, 1));
    assert_string_equal(s.name[2], "Thị xã A");
    assert_int_equal(s.links.n, 0);

    /* versions are replaced, not added to */
    OK(U->replace_unit_versions(f->c, d, &two[0], 1, &e));
    dh_unit_event_row ev = {0, "merge", D(2025, 7, 1), "NQ 1", "note", "{\"kind\":\"merge\"}",
                            1000, 0};
    int64_t evid = 0, evid2 = 0;
    OK(U->insert_unit_event(f->c, &ev, &evid, &e));
    OK(U->insert_unit_event(f->c, &ev, &evid2, &e));
    assert_true(evid > 0 && evid2 > evid);
    dh_unit_link_row l = {evid, d, p, true, D(2025, 7, 1)};
    OK(U->insert_unit_link(f->c, &l, &e));
    FAILS(DH_E_CONFLICT, U->insert_unit_link(f->c, &l, &e));
    memset(&s, 0, sizeof s);
    OK(U->load_units(f->c, on_unit, on_unit_version, on_unit_link, &s, &e));
    assert_int_equal(s.versions.n, 2);
    assert_string_equal(s.name[1], "Thị xã A");
    assert_int_equal(s.links.n, 1);
    assert_int_equal(s.l[0].event_id, evid);
    assert_int_equal(s.l[0].from_unit_id, d);
    assert_int_equal(s.l[0].to_unit_id, p);
    assert_true(s.l[0].partial);
    assert_int_equal(s.l[0].effective, D(2025, 7, 1));
    /* a callback that answers non-zero stops the walk */
    memset(&s, 0, sizeof s);
    s.units.stop_after = 1;
    OK(U->load_units(f->c, on_unit, on_unit_version, on_unit_link, &s, &e));
    assert_int_equal(s.units.n, 1);
}

/* ------------------------------------------------------------------ */
/* People and credentials.                                            */

typedef struct user_seen {
    rows r;
    dh_user_row u;
    char login[32], name[64], role[16], hash[64];
} user_seen;

static int on_user(void *cl, const dh_user_row *u)
{
    user_seen *s = cl;
    if (s->r.n == 0) {
        s->u = *u;
        STR(s->login, u->login);
        STR(s->name, u->display_name);
        STR(s->role, u->role);
        STR(s->hash, u->password_hash);
    }
    return add_row(&s->r, u->id, u->login);
}

static void people_users(void **state)
{
    fx *f = *state;
    dh_err e;
    const dh_people_ops *P = DH_PEOPLE(f->c);
    int64_t unit = new_unit(f->c, "U1", "department"), id[5];
    for (int i = 0; i < 5; i++) {
        char login[16];
        snprintf(login, sizeof login, "user%d", i);
        dh_user_row u = {0,       login, "Nguyễn Văn A", i == 2 ? "officer" : "viewer",
                         i == 2 ? unit : 0, "hash0", i == 2,        1000 + i};
        OK(P->insert_user(f->c, &u, &id[i], &e));
        assert_true(id[i] > 0 && (i == 0 || id[i] > id[i - 1]));
    }
    dh_user_row dup = {0, "user3", "", "viewer", 0, "h", false, 1};
    int64_t dupid;
    FAILS(DH_E_CONFLICT, P->insert_user(f->c, &dup, &dupid, &e));

    user_seen s = {0};
    OK(P->get_user(f->c, id[2], NULL, on_user, &s, &e));
    assert_int_equal(s.r.n, 1);
    assert_int_equal(s.u.id, id[2]);
    assert_string_equal(s.login, "user2");
    assert_string_equal(s.name, "Nguyễn Văn A");
    assert_string_equal(s.role, "officer");
    assert_int_equal(s.u.unit_id, unit);
    assert_string_equal(s.hash, "hash0");
    assert_true(s.u.disabled);
    assert_int_equal(s.u.created_at, 1002);
    memset(&s, 0, sizeof s);
    OK(P->get_user(f->c, 0, "user4", on_user, &s, &e));
    assert_int_equal(s.u.id, id[4]);
    assert_int_equal(s.u.unit_id, 0);
    assert_false(s.u.disabled);
    memset(&s, 0, sizeof s);
    FAILS(DH_E_NOTFOUND, P->get_user(f->c, id[4] + 100, NULL, on_user, &s, &e));
    FAILS(DH_E_NOTFOUND, P->get_user(f->c, 0, "nobody", on_user, &s, &e));
    assert_int_equal(s.r.n, 0);

    /* pages by id: after_id is the cursor */
    int64_t after = 0;
    int pages = 0, seen = 0;
    for (;; pages++) {
        memset(&s, 0, sizeof s);
        OK(P->list_users(f->c, after, 2, on_user, &s, &e));
        if (s.r.n == 0)
            break;
        assert_true(s.r.n <= 2);
        for (int i = 0; i < s.r.n; i++)
            assert_int_equal(s.r.id[i], id[seen + i]);
        seen += s.r.n;
        after = s.r.id[s.r.n - 1];
    }
    assert_int_equal(seen, 5);
    assert_int_equal(pages, 3);
    memset(&s, 0, sizeof s);
    s.r.stop_after = 1;
    OK(P->list_users(f->c, 0, 10, on_user, &s, &e));
    assert_int_equal(s.r.n, 1);

    OK(P->set_password(f->c, id[1], "hash1", &e));
    memset(&s, 0, sizeof s);
    OK(P->get_user(f->c, id[1], NULL, on_user, &s, &e));
    assert_string_equal(s.hash, "hash1");
}

typedef struct cred_seen {
    rows r;
    dh_cred_row c;
    char name[32], hash[32];
} cred_seen;

static int on_cred(void *cl, const dh_cred_row *c)
{
    cred_seen *s = cl;
    s->c = *c;
    STR(s->name, c->name);
    STR(s->hash, c->hash);
    return add_row(&s->r, c->id, c->hash);
}

static void people_credentials_throttling(void **state)
{
    fx *f = *state;
    dh_err e;
    const dh_people_ops *P = DH_PEOPLE(f->c);
    int64_t unit = new_unit(f->c, "U1", "department"), uid, sid, tid, x;
    dh_user_row u = {0, "a", "", "admin", 0, "h", false, 1};
    OK(P->insert_user(f->c, &u, &uid, &e));
    dh_cred_row session = {0, DH_CRED_SESSION, uid, "", 0, "h-session", 100, 0, 0};
    dh_cred_row token = {0, DH_CRED_TOKEN, uid, "ci", unit, "h-token", 200, 5000, 0};
    OK(P->insert_cred(f->c, &session, &sid, &e));
    OK(P->insert_cred(f->c, &token, &tid, &e));
    assert_true(sid > 0 && tid > sid);
    dh_cred_row again = {0, DH_CRED_TOKEN, uid, "other", 0, "h-token", 300, 0, 0};
    FAILS(DH_E_CONFLICT, P->insert_cred(f->c, &again, &x, &e));

    cred_seen s = {0};
    OK(P->get_cred(f->c, tid, on_cred, &s, &e));
    assert_int_equal(s.r.n, 1);
    assert_int_equal(s.c.kind, DH_CRED_TOKEN);
    assert_int_equal(s.c.user_id, uid);
    assert_string_equal(s.name, "ci");
    assert_int_equal(s.c.unit_id, unit);
    assert_string_equal(s.hash, "h-token");
    assert_int_equal(s.c.created_at, 200);
    assert_int_equal(s.c.expires_at, 5000);
    assert_int_equal(s.c.revoked_at, 0);
    memset(&s, 0, sizeof s);
    OK(P->find_cred(f->c, "h-session", on_cred, &s, &e));
    assert_int_equal(s.r.n, 1);
    assert_int_equal(s.c.id, sid);
    assert_int_equal(s.c.kind, DH_CRED_SESSION);
    assert_int_equal(s.c.unit_id, 0);
    assert_string_equal(s.name, "");
    memset(&s, 0, sizeof s);
    FAILS(DH_E_NOTFOUND, P->find_cred(f->c, "h-none", on_cred, &s, &e));
    FAILS(DH_E_NOTFOUND, P->get_cred(f->c, tid + 100, on_cred, &s, &e));
    assert_int_equal(s.r.n, 0);

    /* revoked once: a second revocation keeps the first time */
    OK(P->revoke_cred(f->c, sid, 700, &e));
    OK(P->revoke_cred(f->c, sid, 800, &e));
    OK(P->get_cred(f->c, sid, on_cred, &s, &e));
    assert_int_equal(s.c.revoked_at, 700);
    memset(&s, 0, sizeof s);
    OK(P->get_cred(f->c, tid, on_cred, &s, &e));
    assert_int_equal(s.c.revoked_at, 0);

    int n = -1;
    OK(P->count_login_failures(f->c, "login:a", 0, &n, &e));
    assert_int_equal(n, 0);
    for (int i = 1; i <= 3; i++)
        OK(P->add_login_failure(f->c, "login:a", 100 * i, &e));
    OK(P->add_login_failure(f->c, "ip:1.2.3.4", 250, &e));
    OK(P->count_login_failures(f->c, "login:a", 150, &n, &e));
    assert_int_equal(n, 2); /* at >= since */
    OK(P->count_login_failures(f->c, "login:a", 300, &n, &e));
    assert_int_equal(n, 1);
    OK(P->clear_login_failures(f->c, "login:a", &e));
    OK(P->count_login_failures(f->c, "login:a", 0, &n, &e));
    assert_int_equal(n, 0);
    OK(P->count_login_failures(f->c, "ip:1.2.3.4", 0, &n, &e));
    assert_int_equal(n, 1);
}

/* ------------------------------------------------------------------ */
/* Audit.                                                             */

typedef struct audit_seen {
    rows r;
    dh_audit_row a;
    char actor[32], action[16], entity[16], key[16], unit[8], outcome[8], after[64], ip[16];
    bool before_null, after_null;
} audit_seen;

static int on_audit(void *cl, const dh_audit_row *a)
{
    audit_seen *s = cl;
    if (s->r.n == 0) {
        s->a = *a;
        STR(s->actor, a->actor);
        STR(s->action, a->action);
        STR(s->entity, a->entity);
        STR(s->key, a->entity_key);
        STR(s->unit, a->unit_code);
        STR(s->outcome, a->outcome);
        STR(s->after, a->after_json);
        STR(s->ip, a->ip);
        s->before_null = a->before_json == NULL;
        s->after_null = a->after_json == NULL;
    }
    return add_row(&s->r, a->id, a->entity);
}

static void audit_append_list_page_append_only(void **state)
{
    fx *f = *state;
    dh_err e;
    const dh_audit_ops *A = DH_AUDIT(f->c);
    for (int i = 0; i < 6; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        dh_audit_row a = {0,
                          100 * (i + 1),
                          i == 0 ? 7 : 0,
                          i == 0 ? "admin" : "cli:root",
                          i == 0 ? 3 : 0,
                          i % 2 ? "update" : "create",
                          i % 2 ? "user" : "unit",
                          key,
                          i < 3 ? "A" : "B",
                          i == 5 ? "denied" : "ok",
                          i == 1 ? "{\"x\":1}" : NULL,
                          i == 0 ? "{\"code\":\"A\"}" : NULL,
                          i == 0 ? "10.0.0.1" : ""};
        OK(A->append_audit(f->c, &a, &e));
    }
    audit_seen s = {0};
    dh_audit_filter all = {NULL, NULL, 0, 0, 100};
    OK(A->list_audit(f->c, &all, on_audit, &s, &e));
    assert_int_equal(s.r.n, 6);
    for (int i = 1; i < 6; i++)
        assert_true(s.r.id[i] > s.r.id[i - 1]);
    int64_t first = s.r.id[0], last = s.r.id[5];
    assert_int_equal(s.a.at, 100);
    assert_int_equal(s.a.actor_user_id, 7);
    assert_string_equal(s.actor, "admin");
    assert_int_equal(s.a.token_id, 3);
    assert_string_equal(s.action, "create");
    assert_string_equal(s.entity, "unit");
    assert_string_equal(s.key, "k0");
    assert_string_equal(s.unit, "A");
    assert_string_equal(s.outcome, "ok");
    assert_true(s.before_null);
    assert_false(s.after_null);
    assert_string_equal(s.after, "{\"code\":\"A\"}");
    assert_string_equal(s.ip, "10.0.0.1");

    dh_audit_filter by_entity = {"user", NULL, 0, 0, 100};
    memset(&s, 0, sizeof s);
    OK(A->list_audit(f->c, &by_entity, on_audit, &s, &e));
    assert_int_equal(s.r.n, 3);
    assert_false(s.before_null);
    dh_audit_filter by_unit = {NULL, "B", 0, 0, 100};
    memset(&s, 0, sizeof s);
    OK(A->list_audit(f->c, &by_unit, on_audit, &s, &e));
    assert_int_equal(s.r.n, 3);
    assert_string_equal(s.key, "k3");
    dh_audit_filter since = {NULL, NULL, 400, 0, 100};
    memset(&s, 0, sizeof s);
    OK(A->list_audit(f->c, &since, on_audit, &s, &e));
    assert_int_equal(s.r.n, 3);
    assert_int_equal(s.a.at, 400);
    dh_audit_filter both = {"unit", "B", 0, 0, 100};
    memset(&s, 0, sizeof s);
    OK(A->list_audit(f->c, &both, on_audit, &s, &e));
    assert_int_equal(s.r.n, 1);
    assert_string_equal(s.key, "k4");

    /* a filtered walk by cursor: pages of 2 of the three "unit" rows */
    dh_audit_filter page = {"unit", NULL, 0, 0, 2};
    int seen = 0, pages = 0;
    for (;; pages++) {
        memset(&s, 0, sizeof s);
        OK(A->list_audit(f->c, &page, on_audit, &s, &e));
        if (s.r.n == 0)
            break;
        assert_true(s.r.n <= 2);
        for (int i = 0; i < s.r.n; i++)
            assert_string_equal(s.r.s[i], "unit");
        assert_true(s.r.id[0] > page.after_id);
        seen += s.r.n;
        page.after_id = s.r.id[s.r.n - 1];
    }
    assert_int_equal(seen, 3);
    assert_int_equal(pages, 2);

    /* append-only: the store refuses to change or delete a row, inside a
     * transaction or not, and nothing changed */
    OK(A->check_append_only(f->c, first, &e));
    OK(f->ops->begin(f->c, true, &e));
    OK(A->check_append_only(f->c, last, &e));
    OK(f->ops->commit(f->c, &e));
    FAILS(DH_E_NOTFOUND, A->check_append_only(f->c, last + 100, &e));
    memset(&s, 0, sizeof s);
    OK(A->list_audit(f->c, &all, on_audit, &s, &e));
    assert_int_equal(s.r.n, 6);
    assert_int_equal(s.r.id[0], first);
    assert_string_equal(s.outcome, "ok");
}

/* ------------------------------------------------------------------ */
/* Calendars and procedures.                                          */

typedef struct cal_seen {
    rows cals, scheds, units;
    char label[8][64], hours[8][96], sched_name[8][32], unit_cal[8][32];
    dh_sched_row sched[8];
    dh_unit_calendar_row uc[8];
} cal_seen;

static int on_cal(void *cl, const dh_calendar_row *r)
{
    cal_seen *s = cl;
    if (s->cals.n < 8) {
        STR(s->label[s->cals.n], r->label);
        STR(s->hours[s->cals.n], r->hours_json);
    }
    return add_row(&s->cals, r->created_at, r->name);
}

static int on_sched(void *cl, const dh_sched_row *r)
{
    cal_seen *s = cl;
    if (s->scheds.n < 8) {
        s->sched[s->scheds.n] = *r;
        STR(s->sched_name[s->scheds.n], r->name);
    }
    return add_row(&s->scheds, r->id, r->type);
}

static int on_unit_cal(void *cl, const dh_unit_calendar_row *r)
{
    cal_seen *s = cl;
    if (s->units.n < 8) {
        s->uc[s->units.n] = *r;
        STR(s->unit_cal[s->units.n], r->calendar);
    }
    return add_row(&s->units, r->unit_id, r->calendar);
}

static int find_str(const rows *r, const char *s)
{
    for (int i = 0; i < r->n && i < MAXROWS; i++)
        if (strcmp(r->s[i], s) == 0)
            return i;
    return -1;
}

static void calendars_schedules_assignments(void **state)
{
    fx *f = *state;
    dh_err e;
    const dh_calendars_ops *C = DH_CALENDARS(f->c);
    dh_calendar_row cal = {"shift", "Ca", "{\"mon\":\"07:00-11:00\"}", 50};
    OK(C->put_calendar(f->c, &cal, &e));
    cal.label = "Ca sáng";
    OK(C->put_calendar(f->c, &cal, &e)); /* replaced by name */
    dh_sched_row a = {0, D(2026, 4, 30), "off", "statutory", "Giải phóng", "NĐ", true};
    dh_sched_row b = {0, D(2026, 1, 1), "off", "statutory", "Tết", "", true};
    dh_sched_row w = {0, D(2026, 4, 25), "work", "", "Làm bù", "", false};
    int64_t ida, idb, idw, x;
    OK(C->insert_sched(f->c, &a, &ida, &e));
    OK(C->insert_sched(f->c, &b, &idb, &e));
    OK(C->insert_sched(f->c, &w, &idw, &e));
    dh_sched_row same_day = {0, D(2026, 1, 1), "work", "", "x", "", true};
    FAILS(DH_E_CONFLICT, C->insert_sched(f->c, &same_day, &x, &e));
    int64_t unit = new_unit(f->c, "U1", "department");
    dh_unit_calendar_row uc = {unit, D(2024, 1, 1), "shift"};
    OK(C->put_unit_calendar(f->c, &uc, &e));
    dh_calendar_row night = {"night", "Ca đêm", "{}", 60};
    OK(C->put_calendar(f->c, &night, &e));
    uc.calendar = "night";
    OK(C->put_unit_calendar(f->c, &uc, &e)); /* replaced: same start */
    dh_unit_calendar_row uc2 = {unit, D(2022, 1, 1), "shift"};
    OK(C->put_unit_calendar(f->c, &uc2, &e));

    cal_seen s = {0};
    OK(C->load_calendars(f->c, on_cal, on_sched, on_unit_cal, &s, &e));
    int i = find_str(&s.cals, "shift");
    assert_true(i >= 0);
    assert_string_equal(s.label[i], "Ca sáng");
    assert_string_equal(s.hours[i], "{\"mon\":\"07:00-11:00\"}");
    for (int k = 1; k < s.cals.n; k++) /* by name */
        assert_true(strcmp(s.cals.s[k - 1], s.cals.s[k]) < 0);
    assert_int_equal(s.scheds.n, 3); /* by date */
    assert_int_equal(s.sched[0].id, idb);
    assert_int_equal(s.sched[1].id, idw);
    assert_int_equal(s.sched[2].id, ida);
    assert_string_equal(s.sched_name[1], "Làm bù");
    assert_false(s.sched[1].confirmed);
    assert_true(s.sched[2].confirmed);
    assert_int_equal(s.sched[2].date, D(2026, 4, 30));
    assert_int_equal(s.units.n, 2); /* by unit, then start */
    assert_int_equal(s.uc[0].valid_from, D(2022, 1, 1));
    assert_string_equal(s.unit_cal[0], "shift");
    assert_int_equal(s.uc[1].valid_from, D(2024, 1, 1));
    assert_string_equal(s.unit_cal[1], "night");

    w.id = idw;
    w.name = "Làm bù thứ Bảy";
    w.date = D(2026, 4, 26);
    OK(C->update_sched(f->c, &w, &e));
    w.date = D(2026, 1, 1);
    FAILS(DH_E_CONFLICT, C->update_sched(f->c, &w, &e));
    OK(C->delete_sched(f->c, idb, &e));
    memset(&s, 0, sizeof s);
    OK(C->load_calendars(f->c, on_cal, on_sched, on_unit_cal, &s, &e));
    assert_int_equal(s.scheds.n, 2);
    assert_int_equal(s.sched[0].id, idw);
    assert_int_equal(s.sched[0].date, D(2026, 4, 26));
    assert_string_equal(s.sched_name[0], "Làm bù thứ Bảy");
}

typedef struct proc_seen {
    rows r;
    dh_procedure_row p[8];
    char cutoff[8][8], name[8][32];
} proc_seen;

static int on_proc(void *cl, const dh_procedure_row *p)
{
    proc_seen *s = cl;
    if (s->r.n < 8) {
        s->p[s->r.n] = *p;
        STR(s->cutoff[s->r.n], p->cutoff_time);
        STR(s->name[s->r.n], p->name);
    }
    return add_row(&s->r, p->id, p->code);
}

static void procedures_versions(void **state)
{
    fx *f = *state;
    dh_err e;
    const dh_procedures_ops *P = DH_PROCEDURES(f->c);
    dh_procedure_row v2024 = {0,      "P1",    D(2024, 1, 1), "Cấp phép v2", "XD", "province", 15,
                              "working_days", "full", true,          false,       "15:30"};
    dh_procedure_row v2020 = {0,      "P1",   D(2020, 1, 1), "Cấp phép", "XD", "province", 20,
                              "working_days", "none", false,        true,      ""};
    dh_procedure_row other = {0, "P0", D(2022, 1, 1), "Khác", "", "commune", 3, "days", "partial",
                              false, false, ""};
    int64_t i1, i2, i3, x;
    OK(P->put_procedure(f->c, &v2024, &i1, &e));
    OK(P->put_procedure(f->c, &v2020, &i2, &e));
    OK(P->put_procedure(f->c, &other, &i3, &e));
    FAILS(DH_E_CONFLICT, P->put_procedure(f->c, &v2020, &x, &e));
    proc_seen s = {0};
    OK(P->load_procedures(f->c, on_proc, &s, &e));
    assert_int_equal(s.r.n, 3); /* by code, then valid_from */
    assert_int_equal(s.r.id[0], i3);
    assert_int_equal(s.r.id[1], i2);
    assert_int_equal(s.r.id[2], i1);
    assert_string_equal(s.name[2], "Cấp phép v2");
    assert_int_equal(s.p[2].duration, 15);
    assert_true(s.p[2].fee_bearing);
    assert_false(s.p[2].paper_result);
    assert_string_equal(s.cutoff[2], "15:30");
    assert_true(s.p[1].paper_result);
    assert_string_equal(s.cutoff[1], "");
    assert_int_equal(s.p[1].valid_from, D(2020, 1, 1));
}

/* ------------------------------------------------------------------ */
/* Dossiers and events.                                               */

typedef struct devent_seen {
    rows r;
    dh_devent_row d[8];
    char body[8][64];
} devent_seen;

static int on_devent(void *cl, const dh_devent_row *r)
{
    devent_seen *s = cl;
    if (s->r.n < 8) {
        s->d[s->r.n] = *r;
        STR(s->body[s->r.n], r->body);
    }
    return add_row(&s->r, r->seq, r->id);
}

static void dossier_events_idempotent(void **state)
{
    fx *f = *state;
    dh_err e;
    const dh_dossiers_ops *O = DH_DOSSIERS(f->c);
    dh_devent_row a = {0, "portal", "e1", "HS-1", "received", 2000, "{\"n\":1}", 5000};
    dh_devent_row b = {0, "portal", "e2", "HS-1", "finished", 1000, "{\"n\":2}", 5001};
    dh_devent_row c = {0, "counter", "e1", "HS-1", "paid", 2000, "{\"n\":3}", 5002};
    dh_devent_row other = {0, "portal", "e3", "HS-2", "received", 10, "{}", 5003};
    int64_t sa, sb, sc, so, x;
    OK(O->insert_devent(f->c, &a, &sa, &e));
    OK(O->insert_devent(f->c, &b, &sb, &e));
    OK(O->insert_devent(f->c, &c, &sc, &e)); /* same id, other source */
    OK(O->insert_devent(f->c, &other, &so, &e));
    assert_true(sa < sb && sb < sc && sc < so);
    dh_devent_row again = a;
    again.body = "{\"n\":9}";
    FAILS(DH_E_CONFLICT, O->insert_devent(f->c, &again, &x, &e));

    devent_seen s = {0};
    OK(O->find_devent(f->c, "portal", "e1", on_devent, &s, &e));
    assert_int_equal(s.r.n, 1);
    assert_int_equal(s.d[0].seq, sa);
    assert_string_equal(s.body[0], "{\"n\":1}"); /* the first one stays */
    assert_int_equal(s.d[0].at, 2000);
    assert_int_equal(s.d[0].stored_at, 5000);
    memset(&s, 0, sizeof s);
    FAILS(DH_E_NOTFOUND, O->find_devent(f->c, "portal", "e9", on_devent, &s, &e));
    FAILS(DH_E_NOTFOUND, O->find_devent(f->c, "other", "e1", on_devent, &s, &e));
    assert_int_equal(s.r.n, 0);
    OK(O->load_devents(f->c, "HS-1", on_devent, &s, &e));
    assert_int_equal(s.r.n, 3); /* by at, then seq */
    assert_int_equal(s.d[0].seq, sb);
    assert_int_equal(s.d[1].seq, sa);
    assert_int_equal(s.d[2].seq, sc);
    memset(&s, 0, sizeof s);
    OK(O->load_devents(f->c, "HS-none", on_devent, &s, &e));
    assert_int_equal(s.r.n, 0);
}

typedef struct dossier_seen {
    rows r;
    dh_dossier_row d;
    char unit[16], state[16], outcome[16], channel[16];
    bool outcome_null;
} dossier_seen;

static int on_dossier(void *cl, const dh_dossier_row *d)
{
    dossier_seen *s = cl;
    if (s->r.n == 0) {
        s->d = *d;
        STR(s->unit, d->unit);
        STR(s->state, d->state);
        STR(s->outcome, d->outcome);
        STR(s->channel, d->channel);
        s->outcome_null = d->outcome == NULL;
    }
    return add_row(&s->r, 0, d->code);
}

enum { NOW = 1000000 };

static void put_dossier(dh_conn *c, const char *code, const char *unit, const char *proc,
                        const char *state, time_t received, time_t due, time_t at_risk,
                        const char *outcome, const dh_dfact *fact)
{
    dh_err e;
    dh_dossier_row d = {0};
    d.code = code;
    d.unit = unit;
    d.receiving_unit = unit;
    d.procedure = proc;
    d.channel = strcmp(code, "HS-3") ? "counter" : "online";
    d.received_at = received;
    d.counting_from = received;
    d.due_at = due;
    d.due_effective = due;
    d.at_risk_from = at_risk;
    d.finished_at = outcome ? NOW - 10 : 0;
    d.state = state;
    d.outcome = outcome;
    d.used_minutes = 60;
    d.budget_minutes = 480;
    d.rating = 5;
    d.paid = true;
    d.updated_at = NOW;
    d.fact = fact;
    OK(DH_DOSSIERS(c)->put_dossier(c, &d, &e));
}

static void list_codes(dh_conn *c, dh_dossier_filter flt, const char *want)
{
    dh_err e;
    dossier_seen s = {0};
    OK(DH_DOSSIERS(c)->list_dossiers(c, &flt, on_dossier, &s, &e));
    char got[256] = "";
    for (int i = 0; i < s.r.n; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? " " : "", s.r.s[i]);
    assert_string_equal(got, want);
}

static void dossiers_put_get_list_page(void **state)
{
    fx *f = *state;
    dh_conn *c = f->c;
    dh_err e;
    const dh_dossiers_ops *O = DH_DOSSIERS(c);
    /* HS-1, HS-6 overdue; HS-2 at risk; HS-3 within; HS-5 paused; HS-4
     * resolved; HS-7 of another unit; HS-0 incomplete (never listed) */
    put_dossier(c, "HS-1", "U1", "P1", "in_progress", NOW - 5000, NOW - 100, NOW - 1000, NULL,
                NULL);
    put_dossier(c, "HS-2", "U1", "P2", "in_progress", NOW - 4000, NOW + 5000, NOW - 10, NULL,
                NULL);
    put_dossier(c, "HS-3", "U1", "P1", "in_progress", NOW - 3000, NOW + 9000, NOW + 100, NULL,
                NULL);
    put_dossier(c, "HS-4", "U1", "P1", "resolved", NOW - 9000, NOW - 20, NOW - 500, "on_time",
                NULL);
    put_dossier(c, "HS-5", "U1", "P1", "paused", NOW - 2000, NOW + 7000, NOW + 50, NULL, NULL);
    put_dossier(c, "HS-6", "U1", "P2", "in_progress", NOW - 6000, NOW - 50, NOW - 900, NULL,
                NULL);
    put_dossier(c, "HS-7", "U2", "P1", "in_progress", NOW - 100, NOW - 70, NOW - 80, NULL, NULL);
    put_dossier(c, "HS-0", "U1", "P1", "incomplete", NOW - 1, NOW + 1, NOW, NULL, NULL);
    /* put is an upsert */
    put_dossier(c, "HS-2", "U1", "P2", "in_progress", NOW - 4000, NOW + 5000, NOW - 10, NULL,
                NULL);

    dossier_seen s = {0};
    OK(O->get_dossier(c, "HS-4", on_dossier, &s, &e));
    assert_int_equal(s.r.n, 1);
    assert_string_equal(s.unit, "U1");
    assert_string_equal(s.state, "resolved");
    assert_string_equal(s.outcome, "on_time");
    assert_string_equal(s.channel, "counter");
    assert_int_equal(s.d.received_at, NOW - 9000);
    assert_int_equal(s.d.due_effective, NOW - 20);
    assert_int_equal(s.d.finished_at, NOW - 10);
    assert_int_equal(s.d.extended_to, 0);
    assert_int_equal(s.d.used_minutes, 60);
    assert_int_equal(s.d.budget_minutes, 480);
    assert_int_equal(s.d.rating, 5);
    assert_true(s.d.paid);
    assert_false(s.d.paid_online);
    memset(&s, 0, sizeof s);
    OK(O->get_dossier(c, "HS-1", on_dossier, &s, &e));
    assert_true(s.outcome_null);
    assert_int_equal(s.d.finished_at, 0);
    memset(&s, 0, sizeof s);
    FAILS(DH_E_NOTFOUND, O->get_dossier(c, "HS-99", on_dossier, &s, &e));
    assert_int_equal(s.r.n, 0);

    /* most urgent first: overdue, at risk, open (by deadline), finished */
    dh_dossier_filter any = {.now = NOW, .limit = 100};
    list_codes(c, any, "HS-1 HS-7 HS-6 HS-2 HS-5 HS-3 HS-4");
    dh_dossier_filter u1 = any;
    u1.units_json = "[\"U1\"]";
    list_codes(c, u1, "HS-1 HS-6 HS-2 HS-5 HS-3 HS-4");
    /* pages by offset give the same list, in pieces */
    char all[256] = "";
    for (int off = 0; off < 8; off += 2) {
        dh_dossier_filter pg = u1;
        pg.offset = off;
        pg.limit = 2;
        memset(&s, 0, sizeof s);
        OK(O->list_dossiers(c, &pg, on_dossier, &s, &e));
        assert_true(s.r.n <= 2);
        for (int i = 0; i < s.r.n; i++)
            snprintf(all + strlen(all), sizeof all - strlen(all), "%s%s", all[0] ? " " : "",
                     s.r.s[i]);
    }
    assert_string_equal(all, "HS-1 HS-6 HS-2 HS-5 HS-3 HS-4");

    /* each state, with and without units (two paths in a backend) */
    static const char *const states[][3] = {{"overdue", "HS-1 HS-6", "HS-1 HS-7 HS-6"},
                                            {"at_risk", "HS-2", "HS-2"},
                                            {"within", "HS-3", "HS-3"},
                                            {"in_progress", "HS-1 HS-6 HS-2 HS-3",
                                             "HS-1 HS-7 HS-6 HS-2 HS-3"},
                                            {"paused", "HS-5", "HS-5"},
                                            {"resolved", "HS-4", "HS-4"},
                                            {"on_time", "HS-4", "HS-4"},
                                            {"late", "", ""}};
    for (size_t i = 0; i < sizeof states / sizeof *states; i++) {
        dh_dossier_filter a = u1, b = any;
        a.state = b.state = states[i][0];
        list_codes(c, a, states[i][1]);
        list_codes(c, b, states[i][2]);
    }
    dh_dossier_filter flt = u1;
    flt.state = "overdue";
    flt.procedure = "P2";
    list_codes(c, flt, "HS-6");
    flt.state = NULL;
    list_codes(c, flt, "HS-6 HS-2");
    flt.procedure = NULL;
    flt.procedures_json = "[\"P2\"]";
    list_codes(c, flt, "HS-6 HS-2");
    flt.procedures_json = NULL;
    flt.channel = "online";
    list_codes(c, flt, "HS-3");
    flt.channel = NULL;
    flt.from = NOW - 5000;
    flt.to = NOW - 2000; /* received in [from, to) */
    list_codes(c, flt, "HS-1 HS-2 HS-3");
    flt.from = flt.to = 0;
    flt.q = "HS-";
    list_codes(c, flt, "HS-1 HS-6 HS-2 HS-5 HS-3 HS-4");
    flt.q = "HS-5";
    list_codes(c, flt, "HS-5");
    flt.q = "X";
    list_codes(c, flt, "");

    /* the dossiers a period sees: received before, not finished before */
    memset(&s, 0, sizeof s);
    OK(O->scan_dossiers(c, "[\"U1\"]", NOW - 5, NOW - 2500, on_dossier, &s, &e));
    char got[128] = "";
    for (int i = 0; i < s.r.n; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? " " : "", s.r.s[i]);
    assert_string_equal(got, "HS-1 HS-2 HS-3 HS-6"); /* by code; HS-4 finished at NOW-10 */
    memset(&s, 0, sizeof s);
    OK(O->scan_dossiers(c, "[\"U1\"]", NOW - 50, NOW - 2500, on_dossier, &s, &e));
    assert_int_equal(s.r.n, 5); /* HS-4 too */

    /* a dossier with stored events and no row yet (a restored event log)
     * is listed too, once, among the rows' codes */
    static const char *const ev_dossier[] = {"HS-35", "HS-35", "HS-1"};
    static const char *const ev_id[] = {"HS-35-a", "HS-35-b", "HS-1-a"};
    for (int k = 0; k < 3; k++) {
        dh_devent_row ev = {0, "cs", ev_id[k], ev_dossier[k], "received", NOW - 100, "{}", NOW};
        int64_t seq;
        OK(O->insert_devent(c, &ev, &seq, &e));
    }
    rows codes = {0};
    OK(O->list_dossier_codes(c, NULL, 0, on_code, &codes, &e));
    assert_int_equal(codes.n, 9);
    assert_string_equal(codes.s[4], "HS-35"); /* HS-0 HS-1 HS-2 HS-3 HS-35 HS-4 ... */
    for (int i = 1; i < codes.n; i++)
        assert_true(strcmp(codes.s[i - 1], codes.s[i]) < 0);
    /* page by page (3 a page, after the last of the page before): the same codes */
    rows paged = {0};
    char after[64] = "";
    for (int page = 0; page < 5; page++) {
        int before = paged.n;
        OK(O->list_dossier_codes(c, page ? after : NULL, 3, on_code, &paged, &e));
        assert_true(paged.n - before <= 3);
        if (paged.n == before)
            break;
        snprintf(after, sizeof after, "%s", paged.s[paged.n - 1]);
    }
    assert_int_equal(paged.n, 9);
    for (int i = 0; i < 9; i++)
        assert_string_equal(paged.s[i], codes.s[i]);
    /* after the last code: none */
    rows none = {0};
    OK(O->list_dossier_codes(c, codes.s[8], 0, on_code, &none, &e));
    assert_int_equal(none.n, 0);
}

/* Dossiers due at the same second (common: deadlines fall at the end of
 * a working day) are listed by code on every path of every backend, not in
 * the order they were written, so that a page cut between them is the same
 * on both engines and from one page to the next. */
static void dossiers_ties_by_code(void **state)
{
    fx *f = *state;
    dh_conn *c = f->c;
    dh_err e;
    /* written out of code order, across two units */
    put_dossier(c, "HS-9", "U1", "P1", "in_progress", NOW - 900, NOW - 100, NOW - 500, NULL, NULL);
    put_dossier(c, "HS-8", "U2", "P1", "in_progress", NOW - 900, NOW - 100, NOW - 500, NULL, NULL);
    put_dossier(c, "HS-2", "U2", "P1", "in_progress", NOW - 900, NOW - 300, NOW - 500, NULL, NULL);
    put_dossier(c, "HS-7", "U1", "P1", "in_progress", NOW - 900, NOW - 100, NOW - 500, NULL, NULL);
    put_dossier(c, "HS-5", "U2", "P1", "paused", NOW - 900, NOW + 100, NOW + 50, NULL, NULL);
    put_dossier(c, "HS-4", "U1", "P1", "paused", NOW - 900, NOW + 100, NOW + 50, NULL, NULL);
    static const char *const want[][2] = {{"overdue", "HS-2 HS-7 HS-8 HS-9"},
                                          {"in_progress", "HS-2 HS-7 HS-8 HS-9"},
                                          {"paused", "HS-4 HS-5"},
                                          {NULL, "HS-2 HS-7 HS-8 HS-9 HS-4 HS-5"}};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        /* the plain path, a filtered one, and every page cut */
        dh_dossier_filter a = {.now = NOW, .limit = 100, .units_json = "[\"U1\",\"U2\"]"};
        a.state = want[i][0];
        list_codes(c, a, want[i][1]);
        dh_dossier_filter b = a;
        b.procedure = "P1";
        list_codes(c, b, want[i][1]);
        /* a root's subtree: the first page by segments, not by unit */
        dh_dossier_filter w = a;
        w.wide = true;
        list_codes(c, w, want[i][1]);
        for (int size = 1; size <= 3; size++) {
            char all[128] = "";
            for (int off = 0; off < 8; off += size) {
                dossier_seen s = {0};
                dh_dossier_filter pg = a;
                pg.offset = off;
                pg.limit = size;
                OK(DH_DOSSIERS(c)->list_dossiers(c, &pg, on_dossier, &s, &e));
                assert_true(s.r.n <= size);
                for (int k = 0; k < s.r.n; k++)
                    snprintf(all + strlen(all), sizeof all - strlen(all), "%s%s",
                             all[0] ? " " : "", s.r.s[k]);
            }
            assert_string_equal(all, want[i][1]);
        }
    }
}

/* Keyset pages (issue 20): for every state of the lists, over all units and
 * over a subtree, the pages by cursor (each starting after the previous
 * page's last row) add up to the whole list, which is the rows the state
 * selects in (group, deadline with none first, code) order. */
#define KS_N 64

typedef struct ks_row {
    char code[8], unit[4];
    const char *state, *outcome;
    time_t due, risk;
} ks_row;

static ks_row ks_rows[KS_N];
static time_t ks_now;
static const char *ks_state;

static bool ks_selects(const ks_row *r, const char *st, bool subtree)
{
    if (subtree && !strcmp(r->unit, "U3"))
        return false;
    bool prog = !strcmp(r->state, "in_progress");
    if (!strcmp(r->state, "incomplete"))
        return false;
    if (!st)
        return true;
    if (!strcmp(st, "overdue"))
        return prog && r->due && r->due < ks_now;
    if (!strcmp(st, "at_risk"))
        return prog && r->due && r->due >= ks_now && r->risk && r->risk <= ks_now;
    if (!strcmp(st, "within"))
        return prog && r->risk && r->risk > ks_now;
    if (!strcmp(st, "early") || !strcmp(st, "on_time") || !strcmp(st, "late"))
        return r->outcome && !strcmp(r->outcome, st);
    return !strcmp(r->state, st);
}

static int ks_group(const ks_row *r)
{
    dh_dossier_row d = {0};
    d.state = r->state;
    d.due_effective = r->due;
    d.at_risk_from = r->risk;
    return ks_state ? 0 : dh_dossier_group(&d, ks_now);
}

static int ks_cmp(const void *a, const void *b)
{
    const ks_row *x = a, *y = b;
    int gx = ks_group(x), gy = ks_group(y);
    if (gx != gy)
        return gx - gy;
    if ((x->due != 0) != (y->due != 0))
        return x->due != 0 ? 1 : -1;
    if (x->due != y->due)
        return x->due < y->due ? -1 : 1;
    return strcmp(x->code, y->code);
}

typedef struct ks_page {
    char codes[KS_N * 8];
    int n;
    dh_dossier_row last; /* its strings borrowed: gone after the call */
    int last_group;
    char last_code[16];
} ks_page;

static int ks_on_row(void *cl, const dh_dossier_row *d)
{
    ks_page *p = cl;
    size_t len = strlen(p->codes);
    snprintf(p->codes + len, sizeof p->codes - len, "%s%s", len ? " " : "", d->code);
    p->n++;
    p->last = *d;
    p->last_group = dh_dossier_group(d, NOW);
    snprintf(p->last_code, sizeof p->last_code, "%s", d->code);
    p->last.code = p->last_code;
    return 0;
}

static void dossiers_keyset_pages(void **state)
{
    fx *f = *state;
    dh_conn *c = f->c;
    dh_err e;
    static const char *const states[] = {"in_progress", "in_progress", "in_progress", "paused",
                                         "resolved",    "closed",      "incomplete"};
    static const char *const outcomes[] = {"early", "on_time", "late"};
    ks_now = NOW;
    for (int k = 0; k < KS_N; k++) {
        int i = (k * 37) % KS_N; /* saved out of code order */
        ks_row *r = &ks_rows[i];
        snprintf(r->code, sizeof r->code, "KS-%02d", i);
        snprintf(r->unit, sizeof r->unit, "U%d", 1 + i % 3);
        r->state = states[i % 7];
        r->outcome = i % 7 == 4 || i % 7 == 5 ? outcomes[i % 3] : NULL;
        /* deadlines in runs of ties, some none; risk before (or after) now */
        r->due = i % 9 == 4 ? 0 : NOW + ((i / 3) % 5 - 2) * 1000;
        r->risk = !r->due ? 0 : i % 7 == 2 ? NOW + 50 : NOW - 10;
        put_dossier(c, r->code, r->unit, "P1", r->state, NOW - 5000, r->due, r->risk,
                    r->outcome, NULL);
    }
    static const char *const filters[] = {NULL,     "overdue", "at_risk", "within",
                                          "in_progress", "paused", "resolved", "closed",
                                          "early",  "on_time", "late"};
    for (size_t fi = 0; fi < sizeof filters / sizeof *filters; fi++)
        for (int subtree = 0; subtree <= 2; subtree++) {
            /* 1: two units, walked unit by unit (dsegs.c); 2: the same two
             * as a `wide` scope, walked by segments with the unit tested */
            ks_state = filters[fi];
            ks_row want[KS_N];
            int nw = 0;
            for (int i = 0; i < KS_N; i++)
                if (ks_selects(&ks_rows[i], ks_state, subtree))
                    want[nw++] = ks_rows[i];
            qsort(want, (size_t)nw, sizeof *want, ks_cmp);
            char whole[KS_N * 8] = "";
            for (int i = 0; i < nw; i++)
                snprintf(whole + strlen(whole), sizeof whole - strlen(whole), "%s%s",
                         i ? " " : "", want[i].code);
            dh_dossier_filter all = {.now = NOW, .limit = 1000, .state = ks_state};
            if (subtree)
                all.units_json = "[\"U1\",\"U2\"]";
            all.wide = subtree == 2;
            ks_page one = {0};
            OK(DH_DOSSIERS(c)->list_dossiers(c, &all, ks_on_row, &one, &e));
            if (strcmp(one.codes, whole))
                fprintf(stderr, "state %s subtree %d\n got  %s\n want %s\n",
                        ks_state ? ks_state : "(all)", subtree, one.codes, whole);
            assert_string_equal(one.codes, whole);
            for (int size = 1; size <= 5; size += 2) {
                ks_page walk = {0};
                dh_dossier_filter pg = all;
                pg.limit = size;
                for (int guard = 0; guard <= KS_N; guard++) {
                    ks_page p = {0};
                    OK(DH_DOSSIERS(c)->list_dossiers(c, &pg, ks_on_row, &p, &e));
                    assert_true(p.n <= size);
                    if (p.n == 0)
                        break;
                    size_t len = strlen(walk.codes);
                    snprintf(walk.codes + len, sizeof walk.codes - len, "%s%s",
                             len ? " " : "", p.codes);
                    walk.last = p.last;
                    snprintf(walk.last_code, sizeof walk.last_code, "%s", p.last_code);
                    pg.after_code = walk.last_code;
                    pg.after_group = ks_state ? 0 : p.last_group;
                    pg.after_due_null = p.last.due_effective == 0;
                    pg.after_due = (int64_t)p.last.due_effective;
                    pg.offset = 99; /* ignored with a cursor */
                }
                assert_string_equal(walk.codes, whole);
            }
        }
}

/* ------------------------------------------------------------------ */
/* Aggregates and the 766 index.                                      */

typedef struct agg_seen {
    rows keys, cells;
    char unit[8][16];
    dh_kcell cell[8];
    int32_t day[8];
    int64_t rev[8];
} agg_seen;

static int on_agg_key(void *cl, int32_t id, const char *unit, const char *procedure,
                      const char *field)
{
    agg_seen *s = cl;
    if (s->keys.n < 8)
        STR(s->unit[s->keys.n], unit);
    return add_row(&s->keys, id, procedure);
}

static int on_agg_cell(void *cl, int32_t key, int32_t day, const dh_kcell *cell, int64_t rev)
{
    agg_seen *s = cl;
    if (s->cells.n < 8) {
        s->cell[s->cells.n] = *cell;
        s->day[s->cells.n] = day;
        s->rev[s->cells.n] = rev;
    }
    return add_row(&s->cells, key, "");
}

/* The plain open list of several units (one index range per unit in both backends), cut
 * into pages whose edges fall inside a run of equal deadlines: the pages add up to the
 * whole list, ties in the order of their saving (SQLite's rowid; the code on PostgreSQL:
 * the codes are saved in order here). */
static void dossiers_open_pages_across_units(void **state)
{
    fx *f = *state;
    dh_conn *c = f->c;
    static const struct {
        const char *code, *unit;
        int due;
    } ops[] = {{"OP-01", "A", -900}, {"OP-02", "B", -800}, {"OP-03", "C", -700},
               {"OP-04", "A", -500}, {"OP-05", "B", -500}, {"OP-06", "C", -500},
               {"OP-07", "A", -500}, {"OP-08", "B", -300}, {"OP-09", "C", 100},
               {"OP-10", "A", -100}, {"OP-11", "D", -600}};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        put_dossier(c, ops[i].code, ops[i].unit, "P1", "in_progress", NOW - 5000,
                    NOW + ops[i].due, NOW + ops[i].due - 100, NULL, NULL);
    dh_dossier_filter abc = {.now = NOW, .limit = 100, .state = "overdue",
                             .units_json = "[\"A\",\"B\",\"C\",\"A\"]"};
    const char *whole = "OP-01 OP-02 OP-03 OP-04 OP-05 OP-06 OP-07 OP-08 OP-10";
    list_codes(c, abc, whole);
    for (int size = 1; size <= 4; size++) {
        char all[256] = "";
        for (int off = 0; off < 12; off += size) {
            dh_dossier_filter pg = abc;
            pg.offset = off;
            pg.limit = size;
            dh_err e;
            dossier_seen s = {0};
            OK(DH_DOSSIERS(c)->list_dossiers(c, &pg, on_dossier, &s, &e));
            assert_true(s.r.n <= size);
            for (int i = 0; i < s.r.n; i++)
                snprintf(all + strlen(all), sizeof all - strlen(all), "%s%s",
                         all[0] ? " " : "", s.r.s[i]);
        }
        assert_string_equal(all, whole);
    }
    dh_dossier_filter pg = abc;
    pg.offset = 3;
    pg.limit = 3;
    list_codes(c, pg, "OP-04 OP-05 OP-06");
    pg.units_json = "[\"C\",\"A\"]";
    list_codes(c, pg, "OP-06 OP-07 OP-10");
    pg.state = "in_progress";
    pg.offset = 4;
    list_codes(c, pg, "OP-07 OP-10 OP-09");
    pg.units_json = "[\"X\"]";
    list_codes(c, pg, "");
    pg.units_json = "[\"D\",\"B\"]";
    pg.state = "overdue";
    pg.offset = 0;
    pg.limit = -1; /* no limit */
    list_codes(c, pg, "OP-02 OP-11 OP-05 OP-08");
}

static void aggregates_keys_cells_facts(void **state)
{
    fx *f = *state;
    dh_conn *c = f->c;
    dh_err e;
    const dh_aggs_ops *G = DH_AGGS(c);
    int32_t a, a2, b;
    OK(G->agg_key(c, "U1", "P1", "XD", &a, &e));
    OK(G->agg_key(c, "U2", "P1", "XD", &b, &e));
    OK(G->agg_key(c, "U1", "P1", "XD", &a2, &e));
    assert_int_equal(a, a2); /* found, not created again */
    assert_true(b > a);
    agg_seen s = {0};
    OK(G->load_agg_keys(c, 0, on_agg_key, &s, &e));
    assert_int_equal(s.keys.n, 2);
    assert_int_equal(s.keys.id[0], a);
    assert_string_equal(s.unit[1], "U2");
    assert_string_equal(s.keys.s[1], "P1");
    memset(&s, 0, sizeof s);
    OK(G->load_agg_keys(c, a, on_agg_key, &s, &e));
    assert_int_equal(s.keys.n, 1);
    assert_int_equal(s.keys.id[0], b);

    dh_kcell d1 = {0}, d2 = {0};
    d1.n[0] = 1;
    d1.n[DH_KC_N - 1] = 2;
    d1.minutes = 30;
    d2.n[0] = 2;
    d2.minutes = 15;
    OK(G->agg_add(c, a, 100, &d1, 1, &e));
    OK(G->agg_add(c, a, 100, &d2, 2, &e)); /* added to the cell */
    OK(G->agg_add(c, b, 101, &d1, 3, &e));
    memset(&s, 0, sizeof s);
    OK(G->load_agg_cells(c, 0, on_agg_cell, &s, &e));
    assert_int_equal(s.cells.n, 2); /* by rev */
    assert_int_equal(s.cells.id[0], a);
    assert_int_equal(s.day[0], 100);
    assert_int_equal(s.rev[0], 2);
    assert_int_equal(s.cell[0].n[0], 3);
    assert_int_equal(s.cell[0].n[DH_KC_N - 1], 2);
    assert_int_equal(s.cell[0].minutes, 45);
    memset(&s, 0, sizeof s);
    OK(G->load_agg_cells(c, 2, on_agg_cell, &s, &e));
    assert_int_equal(s.cells.n, 1);
    assert_int_equal(s.cells.id[0], b);

    dh_dfact fact = {.key = a, .r_day = 100, .f_day = 105, .o_day = 103, .paid_day = 101,
                     .rated_day = 106, .channel = 1, .by_applicant = 1, .digitised = 1,
                     .paid_online = 0, .satisfied = 1, .fin = DH_KFIN_LATE, .used_minutes = 999};
    put_dossier(c, "HS-F", "U1", "P1", "resolved", NOW - 100, NOW - 50, NOW - 60, "late", &fact);
    put_dossier(c, "HS-N", "U1", "P1", "in_progress", NOW - 100, NOW + 50, NOW + 40, NULL, NULL);
    dh_dfact got;
    bool found = false;
    OK(G->get_fact(c, "HS-F", &got, &found, &e));
    assert_true(found);
    unsigned char want_blob[DH_DFACT_BLOB], got_blob[DH_DFACT_BLOB];
    dh_dfact_pack(&fact, want_blob); /* every field, without the padding */
    dh_dfact_pack(&got, got_blob);
    assert_memory_equal(got_blob, want_blob, DH_DFACT_BLOB);
    OK(G->get_fact(c, "HS-N", &got, &found, &e));
    assert_false(found);
    OK(G->get_fact(c, "HS-none", &got, &found, &e));
    assert_false(found);

    OK(G->agg_reset(c, &e));
    memset(&s, 0, sizeof s);
    OK(G->load_agg_cells(c, 0, on_agg_cell, &s, &e));
    assert_int_equal(s.cells.n, 0);
    OK(G->get_fact(c, "HS-F", &got, &found, &e));
    assert_false(found);
    memset(&s, 0, sizeof s);
    OK(G->load_agg_keys(c, 0, on_agg_key, &s, &e)); /* keys stay */
    assert_int_equal(s.keys.n, 2);
}

/* ---- The bulk ops (issue 15). ---- */

typedef struct devent_many {
    int n;
    char dossier[16][32], id[16][32], body[16][64];
    int64_t seq[16];
} devent_many;

static int on_devent_many(void *cl, const dh_devent_row *r)
{
    devent_many *m = cl;
    if (m->n < 16) {
        STR(m->dossier[m->n], r->dossier);
        STR(m->id[m->n], r->id);
        STR(m->body[m->n], r->body);
        m->seq[m->n] = r->seq;
    }
    m->n++;
    return 0;
}

static void dossier_events_bulk(void **state)
{
    fx *f = *state;
    dh_err e;
    const dh_dossiers_ops *O = DH_DOSSIERS(f->c);
    /* Texts that a COPY or an array literal must carry unchanged. */
    static const char odd_body[] = "{\"r\":\"a\tb\\nc\\\\ \\\"q\\\" \u1ec7\"}\n\\";
    static const char odd_id[] = "x\"{,}\\ y";
    dh_devent_row evs[] = {
        {0, "s", "b2", "HS-B", "paid", 300, "{\"n\":2}", 9000},
        {0, "s", "a1", "HS-A", "received", 100, odd_body, 9001},
        {0, "s", odd_id, "HS-B", "received", 200, "{}", 9002},
        {0, "t", "b3", "HS-B", "rated", 300, "{\"n\":3}", 9003}, /* same at as b2: by seq */
    };
    OK(O->insert_devents(f->c, evs, 4, &e));
    OK(O->insert_devents(f->c, evs, 0, &e)); /* nothing to do */
    const char *codes[] = {"HS-B", "HS-none", "HS-A"};
    devent_many m = {0};
    OK(O->load_devents_many(f->c, codes, 3, on_devent_many, &m, &e));
    assert_int_equal(m.n, 4); /* dossier after dossier as given, each by at then seq */
    assert_string_equal(m.id[0], odd_id);
    assert_string_equal(m.id[1], "b2");
    assert_string_equal(m.id[2], "b3");
    assert_true(m.seq[1] < m.seq[2]);
    assert_string_equal(m.dossier[3], "HS-A");
    assert_string_equal(m.body[3], odd_body);
    memset(&m, 0, sizeof m);
    OK(O->load_devents_many(f->c, codes, 2, on_devent_many, &m, &e));
    assert_int_equal(m.n, 3);

    const char *sources[] = {"s", "s", "t", "t"};
    const char *ids[] = {odd_id, "zz", "a1", "b3"};
    memset(&m, 0, sizeof m);
    OK(O->find_devents_many(f->c, sources, ids, 4, on_devent_many, &m, &e));
    assert_int_equal(m.n, 2); /* (s, odd) and (t, b3); (s, zz) and (t, a1) are not stored */
    int odd = strcmp(m.id[0], odd_id) == 0 ? 0 : 1;
    assert_string_equal(m.id[odd], odd_id);
    assert_string_equal(m.dossier[odd], "HS-B");
    assert_string_equal(m.id[1 - odd], "b3");

    /* a (source, id) already stored: conflict, and the transaction is rolled back */
    dh_devent_row again[] = {{0, "s", "new", "HS-C", "received", 1, "{}", 1},
                             {0, "s", "a1", "HS-C", "received", 2, "{}", 2}};
    OK(f->ops->begin(f->c, true, &e));
    FAILS(DH_E_CONFLICT, O->insert_devents(f->c, again, 2, &e));
    f->ops->rollback(f->c);
    memset(&m, 0, sizeof m);
    const char *c_only[] = {"HS-C"};
    OK(O->load_devents_many(f->c, c_only, 1, on_devent_many, &m, &e));
    assert_int_equal(m.n, 0);
}

typedef struct fact_seen {
    int n;
    char code[8][16];
    dh_dfact f[8];
} fact_seen;

static int on_fact(void *cl, const char *code, const dh_dfact *f)
{
    fact_seen *s = cl;
    if (s->n < 8) {
        STR(s->code[s->n], code);
        s->f[s->n] = *f;
    }
    s->n++;
    return 0;
}

static void dossiers_and_cells_bulk(void **state)
{
    fx *f = *state;
    dh_conn *c = f->c;
    dh_err e;
    dh_dfact fact = {.key = 3, .r_day = 100, .f_day = 105, .o_day = 103, .paid_day = 101,
                     .rated_day = 106, .channel = 1, .fin = DH_KFIN_LATE, .used_minutes = 77};
    put_dossier(c, "HS-OLD", "U1", "P1", "in_progress", NOW - 100, NOW + 50, NOW + 40, NULL,
                NULL);
    dh_dossier_row ds[2] = {{0}, {0}};
    ds[0].code = "HS-OLD"; /* replaced whole */
    ds[0].unit = ds[0].receiving_unit = "U2";
    ds[0].procedure = "P\t2";
    ds[0].channel = "online";
    ds[0].by_applicant = true;
    ds[0].received_at = NOW - 100;
    ds[0].finished_at = NOW - 5;
    ds[0].state = "resolved";
    ds[0].outcome = "late";
    ds[0].late_minutes = 12;
    ds[0].rating = 4;
    ds[0].paid_online = true;
    ds[0].digitised_result = true;
    ds[0].updated_at = NOW;
    ds[0].fact = &fact;
    ds[1].code = "HS-NEW";
    ds[1].unit = ds[1].receiving_unit = ds[1].procedure = ds[1].channel = "";
    ds[1].state = "incomplete";
    ds[1].updated_at = NOW;
    OK(DH_DOSSIERS(c)->put_dossiers(c, ds, 2, &e));
    OK(DH_DOSSIERS(c)->put_dossiers(c, ds, 0, &e));
    dossier_seen s = {0};
    OK(DH_DOSSIERS(c)->get_dossier(c, "HS-OLD", on_dossier, &s, &e));
    assert_string_equal(s.unit, "U2");
    assert_string_equal(s.state, "resolved");
    assert_string_equal(s.outcome, "late");
    assert_string_equal(s.channel, "online");
    assert_true(s.d.by_applicant && s.d.paid_online && s.d.digitised_result);
    assert_false(s.d.paid || s.d.digitised_input);
    assert_int_equal(s.d.late_minutes, 12);
    assert_int_equal(s.d.rating, 4);
    assert_int_equal(s.d.finished_at, NOW - 5);
    assert_int_equal(s.d.due_at, 0); /* NULL stays none */
    memset(&s, 0, sizeof s);
    OK(DH_DOSSIERS(c)->get_dossier(c, "HS-NEW", on_dossier, &s, &e));
    assert_string_equal(s.state, "incomplete");
    assert_true(s.outcome_null);

    const char *codes[] = {"HS-NEW", "HS-OLD", "HS-none"};
    fact_seen fs = {0};
    OK(DH_AGGS(c)->get_facts(c, codes, 3, on_fact, &fs, &e));
    assert_int_equal(fs.n, 1); /* only the dossiers that have one */
    assert_string_equal(fs.code[0], "HS-OLD");
    unsigned char want[DH_DFACT_BLOB], got[DH_DFACT_BLOB];
    dh_dfact_pack(&fact, want);
    dh_dfact_pack(&fs.f[0], got);
    assert_memory_equal(got, want, DH_DFACT_BLOB);

    dh_agg_delta d[2] = {{7, 100, {{0}, 0}}, {7, 101, {{0}, 0}}};
    d[0].d.n[0] = 1;
    d[0].d.minutes = 10;
    d[1].d.n[DH_KC_N - 1] = -2;
    d[1].d.minutes = -3000000000LL; /* the carry into the high word */
    OK(DH_AGGS(c)->agg_add_many(c, d, 2, 5, &e));
    OK(DH_AGGS(c)->agg_add_many(c, d, 1, 6, &e)); /* added to the stored cell */
    OK(DH_AGGS(c)->agg_add_many(c, d, 0, 7, &e));
    agg_seen a = {0};
    OK(DH_AGGS(c)->load_agg_cells(c, 0, on_agg_cell, &a, &e));
    assert_int_equal(a.cells.n, 2); /* by rev */
    assert_int_equal(a.day[0], 101);
    assert_int_equal(a.rev[0], 5);
    assert_int_equal(a.cell[0].n[DH_KC_N - 1], -2);
    assert_true(a.cell[0].minutes == -3000000000LL);
    assert_int_equal(a.day[1], 100);
    assert_int_equal(a.rev[1], 6);
    assert_int_equal(a.cell[1].n[0], 2);
    assert_int_equal(a.cell[1].minutes, 20);
}

/* The readers' copy's snapshot parts: written, read back in part order
 * (binary bytes, an empty part, a part larger than a cursor's slice),
 * counted, replaced, and older generations dropped. */
typedef struct parts_seen {
    int n;
    int64_t part[8];
    size_t len[8];
    uint64_t sum[8];
} parts_seen;

static uint64_t bytes_sum(const unsigned char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

static int on_part(void *closure, int64_t part, const void *data, size_t n)
{
    parts_seen *s = closure;
    assert_true(s->n < 8);
    s->part[s->n] = part;
    s->len[s->n] = n;
    s->sum[s->n++] = bytes_sum(data, n);
    return 0;
}

static void aggregates_snapshot_parts(void **state)
{
    fx *f = *state;
    dh_conn *c = f->c;
    dh_err e;
    const dh_aggs_ops *A = DH_AGGS(c);
    enum { BIG = 9 << 20 };
    unsigned char *big = malloc(BIG);
    for (size_t i = 0; i < BIG; i++)
        big[i] = (unsigned char)(i * 2654435761u >> 13);
    const unsigned char small[] = {0, 1, 0, 0xFF, '\\', 'x', 0};
    OK(A->snap_put(c, 3, 2, small, sizeof small, &e));
    OK(A->snap_put(c, 3, 0, big, BIG, &e));
    OK(A->snap_put(c, 3, 1, NULL, 0, &e));
    OK(A->snap_put(c, 4, 0, small, 3, &e));
    parts_seen s = {0};
    OK(A->snap_get(c, 3, on_part, &s, &e));
    assert_int_equal(s.n, 3);
    assert_int_equal(s.part[0], 0);
    assert_int_equal(s.len[0], BIG);
    assert_true(s.sum[0] == bytes_sum(big, BIG));
    assert_int_equal(s.part[1], 1);
    assert_int_equal(s.len[1], 0);
    assert_int_equal(s.part[2], 2);
    assert_true(s.sum[2] == bytes_sum(small, sizeof small));
    int64_t parts, bytes;
    OK(A->snap_count(c, 3, &parts, &bytes, &e));
    assert_int_equal(parts, 3);
    assert_int_equal(bytes, BIG + (int64_t)sizeof small);
    OK(A->snap_count(c, 9, &parts, &bytes, &e));
    assert_int_equal(parts, 0);
    assert_int_equal(bytes, 0);
    /* replaced */
    OK(A->snap_put(c, 3, 2, small + 1, 2, &e));
    s = (parts_seen){0};
    OK(A->snap_get(c, 3, on_part, &s, &e));
    assert_int_equal(s.len[2], 2);
    assert_true(s.sum[2] == bytes_sum(small + 1, 2));
    /* generations below 4 dropped, 4 kept */
    OK(A->snap_drop(c, 4, &e));
    OK(A->snap_count(c, 3, &parts, &bytes, &e));
    assert_int_equal(parts, 0);
    s = (parts_seen){0};
    OK(A->snap_get(c, 4, on_part, &s, &e));
    assert_int_equal(s.n, 1);
    assert_true(s.sum[0] == bytes_sum(small, 3));
    free(big);
}

/* insert_dossiers (new codes only, a COPY on PostgreSQL) and dossiers_empty. */
static void dossiers_insert_bulk(void **state)
{
    fx *f = *state;
    dh_conn *c = f->c;
    dh_err e;
    const dh_dossiers_ops *O = DH_DOSSIERS(c);
    bool empty = false;
    OK(O->dossiers_empty(c, &empty, &e));
    assert_true(empty);
    /* events alone make the store not empty */
    dh_devent_row ev = {0, "s", "e1", "HS-X", "received", 1, "{}", 1};
    OK(f->ops->begin(f->c, true, &e));
    OK(O->insert_devents(c, &ev, 1, &e));
    OK(O->dossiers_empty(c, &empty, &e));
    assert_false(empty);
    f->ops->rollback(f->c);
    OK(O->dossiers_empty(c, &empty, &e));
    assert_true(empty);
    dh_dfact fact = {.key = 2, .r_day = 90, .f_day = 95, .o_day = 93, .channel = 1,
                     .fin = DH_KFIN_EARLY, .used_minutes = 5};
    dh_dossier_row ds[2] = {{0}, {0}};
    ds[0].code = "HS-I1";
    ds[0].unit = ds[0].receiving_unit = "U1";
    ds[0].procedure = "P\\1";
    ds[0].channel = "direct";
    ds[0].received_at = NOW - 50;
    ds[0].due_at = ds[0].due_effective = NOW + 10;
    ds[0].state = "in_progress";
    ds[0].paid = true;
    ds[0].nsupplements = 2;
    ds[0].updated_at = NOW;
    ds[0].fact = &fact;
    ds[1].code = "HS-I2";
    ds[1].unit = ds[1].receiving_unit = ds[1].procedure = ds[1].channel = "";
    ds[1].state = "incomplete";
    ds[1].updated_at = NOW;
    OK(O->insert_dossiers(c, ds, 2, &e));
    OK(O->insert_dossiers(c, ds, 0, &e));
    OK(O->dossiers_empty(c, &empty, &e));
    assert_false(empty);
    dossier_seen s = {0};
    OK(O->get_dossier(c, "HS-I1", on_dossier, &s, &e));
    assert_string_equal(s.unit, "U1");
    assert_string_equal(s.state, "in_progress");
    assert_true(s.outcome_null);
    assert_true(s.d.paid && !s.d.paid_online);
    assert_int_equal(s.d.nsupplements, 2);
    assert_int_equal(s.d.due_effective, NOW + 10);
    assert_int_equal(s.d.finished_at, 0);
    const char *codes[] = {"HS-I1", "HS-I2"};
    fact_seen fs = {0};
    OK(DH_AGGS(c)->get_facts(c, codes, 2, on_fact, &fs, &e));
    assert_int_equal(fs.n, 1);
    assert_string_equal(fs.code[0], "HS-I1");
    assert_int_equal(fs.f[0].used_minutes, 5);

    /* a code already stored: conflict, and the transaction is rolled back */
    dh_dossier_row again[2] = {ds[1], ds[1]};
    again[0].code = "HS-I3";
    OK(f->ops->begin(f->c, true, &e));
    FAILS(DH_E_CONFLICT, O->insert_dossiers(c, again, 2, &e));
    f->ops->rollback(f->c);
    memset(&s, 0, sizeof s);
    FAILS(DH_E_NOTFOUND, O->get_dossier(c, "HS-I3", on_dossier, &s, &e));

}

/* More cells than one slice of a backend that reads them in slices (PostgreSQL: a cursor,
 * 16 rows and then up to 5000 at a time): every cell once, in (rev, key, day) order, a stop
 * in the middle of a slice, and reads inside the caller's transaction one after another. */
#define SLICE_CELLS 5100

typedef struct slice_seen {
    int n, stop_after;
    bool ordered, intact;
    int64_t rev;
    int32_t key, day;
    int32_t keys[3];
} slice_seen;

static int on_slice_cell(void *cl, int32_t key, int32_t day, const dh_kcell *cell, int64_t rev)
{
    slice_seen *s = cl;
    if (s->n > 0 && !(rev > s->rev || (rev == s->rev && (key > s->key ||
                                                         (key == s->key && day > s->day)))))
        s->ordered = false;
    int k = key == s->keys[0] ? 0 : key == s->keys[1] ? 1 : key == s->keys[2] ? 2 : -1;
    int32_t i = day * 3 + k; /* the cell's number, written into it */
    if (k < 0 || cell->n[0] != i || cell->minutes != 1000000000000LL + i ||
        rev != (SLICE_CELLS - i) / 2 + 1)
        s->intact = false;
    s->rev = rev;
    s->key = key;
    s->day = day;
    s->n++;
    return s->stop_after && s->n >= s->stop_after;
}

static slice_seen read_slices(dh_conn *c, const int32_t *keys, int64_t after_rev, int stop_after)
{
    slice_seen s = {.stop_after = stop_after, .ordered = true, .intact = true};
    memcpy(s.keys, keys, sizeof s.keys);
    dh_err e;
    OK(DH_AGGS(c)->load_agg_cells(c, after_rev, on_slice_cell, &s, &e));
    assert_true(s.ordered);
    assert_true(s.intact);
    return s;
}

static void aggregates_cells_in_slices(void **state)
{
    fx *f = *state;
    dh_conn *c = f->c;
    dh_err e;
    const dh_aggs_ops *G = DH_AGGS(c);
    int32_t keys[3];
    OK(G->agg_key(c, "U1", "P1", "XD", &keys[0], &e));
    OK(G->agg_key(c, "U2", "P1", "XD", &keys[1], &e));
    OK(G->agg_key(c, "U3", "P1", "XD", &keys[2], &e));
    /* cell i: key i % 3, day i / 3, rev (N - i) / 2 + 1 (falling, two cells a rev: the
     * later-saved cells come first, ties by key) */
    OK(f->ops->begin(c, true, &e));
    for (int32_t i = 0; i < SLICE_CELLS; i++) {
        dh_kcell d = {0};
        d.n[0] = i;
        d.minutes = 1000000000000LL + i;
        OK(G->agg_add(c, keys[i % 3], i / 3, &d, (SLICE_CELLS - i) / 2 + 1, &e));
    }
    OK(f->ops->commit(c, &e));
    assert_int_equal(read_slices(c, keys, 0, 0).n, SLICE_CELLS);
    slice_seen s = read_slices(c, keys, 0, 19); /* stops inside the second slice */
    assert_int_equal(s.n, 19);
    assert_int_equal(s.rev, 10); /* rev 1 has one cell, revs 2..10 two each */
    assert_int_equal(read_slices(c, keys, 10, 0).n, SLICE_CELLS - 19);
    /* in the caller's transaction: a stopped read, then whole ones */
    OK(f->ops->begin(c, false, &e));
    assert_int_equal(read_slices(c, keys, 0, 3000).n, 3000);
    assert_int_equal(read_slices(c, keys, 0, 0).n, SLICE_CELLS);
    agg_seen k = {0};
    OK(G->load_agg_keys(c, 0, on_agg_key, &k, &e));
    OK(G->load_agg_keys(c, 0, on_agg_key, &k, &e));
    assert_int_equal(k.keys.n, 6);
    assert_int_equal(read_slices(c, keys, 2000, 0).n, SLICE_CELLS - 2 * 2000 + 1);
    OK(f->ops->commit(c, &e));
}

typedef struct i766_seen {
    rows r;
    dh_i766_row row[64];
    char version[64][16];
    double value[8];
    char note[8][16];
} i766_seen;

static int on_i766(void *cl, const dh_i766_row *r)
{
    i766_seen *s = cl;
    if (s->r.n < 64) {
        s->row[s->r.n] = *r;
        STR(s->version[s->r.n], r->version);
    }
    return add_row(&s->r, r->ord, r->code);
}

static int on_manual(void *cl, const char *code, double value, const char *note,
                     const char *entered_by)
{
    i766_seen *s = cl;
    if (s->r.n < 8) {
        s->value[s->r.n] = value;
        STR(s->note[s->r.n], note);
    }
    return add_row(&s->r, 0, code);
}

static void index766_config_manual(void **state)
{
    fx *f = *state;
    dh_conn *c = f->c;
    dh_err e;
    const dh_i766_ops *I = DH_I766(c);
    i766_seen s = {0};
    OK(I->load_i766_config(c, DH_DATE_NONE, on_i766, &s, &e));
    int base = s.r.n; /* what the migrations put there */
    dh_i766_row r2 = {"T-2030", D(2030, 1, 1), 2, "g", "G", "second", "Second", 4, 0, "manual"};
    dh_i766_row r1 = {"T-2030", D(2030, 1, 1), 1, "g", "G", "first", "First", 6, 80, "on_time"};
    OK(I->put_i766_config(c, &r2, &e));
    OK(I->put_i766_config(c, &r1, &e));
    FAILS(DH_E_CONFLICT, I->put_i766_config(c, &r1, &e));
    memset(&s, 0, sizeof s);
    OK(I->load_i766_config(c, D(2031, 6, 1), on_i766, &s, &e));
    assert_int_equal(s.r.n, 2); /* the version in force, by ord */
    assert_string_equal(s.r.s[0], "first");
    assert_string_equal(s.version[0], "T-2030");
    assert_true(s.row[0].threshold == 80);
    assert_true(s.row[0].max_points == 6);
    assert_true(s.row[1].threshold <= 0);
    assert_int_equal(s.row[1].valid_from, D(2030, 1, 1));
    memset(&s, 0, sizeof s);
    OK(I->load_i766_config(c, D(2029, 12, 31), on_i766, &s, &e));
    assert_int_equal(s.r.n, base);
    for (int i = 0; i < s.r.n && i < 64; i++)
        assert_string_not_equal(s.version[i], "T-2030");
    memset(&s, 0, sizeof s);
    OK(I->load_i766_config(c, DH_DATE_NONE, on_i766, &s, &e));
    assert_int_equal(s.r.n, base + 2);
    if (base + 2 <= 64) /* by valid_from, then ord */
        assert_string_equal(s.r.s[base], "first");

    dh_date from = D(2025, 1, 1), to = D(2025, 3, 31);
    OK(I->put_i766_manual(c, "U1", from, to, "b", 50, "n1", "admin", 100, &e));
    OK(I->put_i766_manual(c, "U1", from, to, "a", 20, NULL, "admin", 100, &e));
    OK(I->put_i766_manual(c, "U1", from, to, "b", 60, "n2", "admin", 200, &e)); /* replaced */
    OK(I->put_i766_manual(c, "U1", from, D(2025, 6, 30), "b", 70, "", "admin", 200, &e));
    OK(I->put_i766_manual(c, "U2", from, to, "b", 80, "", "admin", 200, &e));
    memset(&s, 0, sizeof s);
    OK(I->load_i766_manual(c, "U1", from, to, on_manual, &s, &e));
    assert_int_equal(s.r.n, 2); /* by code */
    assert_string_equal(s.r.s[0], "a");
    assert_string_equal(s.note[0], "");
    assert_true(s.value[1] == 60);
    assert_string_equal(s.note[1], "n2");
}

/* ------------------------------------------------------------------ */
/* Plans, tasks, files, inbox, contacts.                              */

typedef struct file_seen {
    int n;
    dh_file_row f;
    char name[32], sha[16], data[16];
    bool data_null;
} file_seen;

static int on_file(void *cl, const dh_file_row *r)
{
    file_seen *s = cl;
    s->n++;
    s->f = *r;
    STR(s->name, r->name);
    STR(s->sha, r->sha256);
    s->data_null = r->data == NULL;
    if (r->data && r->size < sizeof s->data) {
        memcpy(s->data, r->data, r->size);
        s->data[r->size] = '\0';
    }
    return 0;
}

typedef struct plan_seen {
    rows plans, tasks, updates;
    dh_plan_row p[4];
    char title[4][32];
    dh_task_row t[8];
    char content[8][32], ordinal[8][8], report_source[8][16], report_text[8][96];
    dh_task_update_row u[4];
} plan_seen;

static int on_plan(void *cl, const dh_plan_row *r)
{
    plan_seen *s = cl;
    if (s->plans.n < 4) {
        s->p[s->plans.n] = *r;
        STR(s->title[s->plans.n], r->title);
    }
    return add_row(&s->plans, r->id, r->key);
}

static int on_task(void *cl, const dh_task_row *r)
{
    plan_seen *s = cl;
    if (s->tasks.n < 8) {
        s->t[s->tasks.n] = *r;
        STR(s->content[s->tasks.n], r->content);
        STR(s->ordinal[s->tasks.n], r->ordinal);
        STR(s->report_source[s->tasks.n], r->report_source);
        STR(s->report_text[s->tasks.n], r->report_text);
    }
    return add_row(&s->tasks, r->id, r->kind);
}

static int on_task_update(void *cl, const dh_task_update_row *r)
{
    plan_seen *s = cl;
    if (s->updates.n < 4)
        s->u[s->updates.n] = *r;
    return add_row(&s->updates, r->id, r->kind);
}

static int64_t put_task(dh_conn *c, int64_t id, int64_t plan, const char *ordinal,
                        const char *content, dh_status want)
{
    dh_err e;
    dh_task_row t = {0};
    t.id = id;
    t.plan_id = plan;
    t.kind = plan ? "task" : "directive";
    t.ordinal = ordinal;
    t.content = content;
    t.lead_json = "[\"U1\"]";
    t.coord_json = "[]";
    t.start = DH_DATE_NONE;
    t.due = D(2026, 6, 30);
    t.milestones_json = "[]";
    t.has_target = plan != 0;
    t.target_value = 12.5;
    t.report_every = "quarterly";
    t.report_day = 5;
    if (plan) { /* the printed rule of migration 012; directives keep the defaults */
        t.has_report_offset = true;
        t.report_offset = 0;
        t.report_source = "printed";
        t.report_text = "Định kỳ hàng quý (trước ngày 5)";
    }
    t.created_at = t.updated_at = 100;
    int64_t out = 0;
    if (want == DH_OK)
        OK(DH_PLANS(c)->put_task(c, &t, &out, &e));
    else
        FAILS(want, DH_PLANS(c)->put_task(c, &t, &out, &e));
    return out;
}

static void plans_files_tasks_updates(void **state)
{
    fx *f = *state;
    dh_conn *c = f->c;
    dh_err e;
    const dh_plans_ops *L = DH_PLANS(c);
    dh_file_row fr = {0, "kh.txt", "txt", "abc123", "U1", "admin", "hello", 5, 77};
    int64_t fid, p1, p2, x;
    OK(L->put_file(c, &fr, &fid, &e));
    file_seen fs = {0};
    OK(L->get_file(c, fid, true, on_file, &fs, &e));
    assert_int_equal(fs.n, 1);
    assert_string_equal(fs.name, "kh.txt");
    assert_string_equal(fs.sha, "abc123");
    assert_int_equal(fs.f.size, 5);
    assert_string_equal(fs.data, "hello");
    assert_int_equal(fs.f.created_at, 77);
    memset(&fs, 0, sizeof fs);
    OK(L->get_file(c, fid, false, on_file, &fs, &e));
    assert_true(fs.data_null);
    assert_int_equal(fs.f.size, 5);
    memset(&fs, 0, sizeof fs);
    FAILS(DH_E_NOTFOUND, L->get_file(c, fid + 100, true, on_file, &fs, &e));
    assert_int_equal(fs.n, 0);

    dh_plan_row pr = {0,        "KH-1", "1/KH", "KH", D(2026, 1, 5), "U1", "Kế hoạch",
                      D(2026, 1, 1), D(2026, 12, 31), "active", "[]", "[]", fid, "", 100, 100};
    OK(L->put_plan(c, &pr, &p1, &e));
    pr.key = "KH-2";
    pr.date = DH_DATE_NONE;
    pr.document_id = 0;
    OK(L->put_plan(c, &pr, &p2, &e));
    assert_true(p2 > p1);
    FAILS(DH_E_CONFLICT, L->put_plan(c, &pr, &x, &e)); /* key taken */
    pr.id = p1;
    pr.key = "KH-1";
    pr.title = "Kế hoạch sửa";
    pr.status = "closed";
    pr.date = D(2026, 1, 5);
    pr.document_id = fid;
    OK(L->put_plan(c, &pr, &x, &e));
    assert_int_equal(x, p1);

    int64_t t1 = put_task(c, 0, p1, "1", "Việc một", DH_OK);
    int64_t t2 = put_task(c, 0, p1, "2", "Việc hai", DH_OK);
    int64_t t3 = put_task(c, 0, 0, "", "Chỉ đạo", DH_OK);
    put_task(c, 0, p1, "1", "again", DH_E_CONFLICT); /* (plan, ordinal) taken */
    assert_int_equal(put_task(c, t1, p1, "1", "Việc một (sửa)", DH_OK), t1);
    put_task(c, 0, 0, "", "Chỉ đạo hai", DH_OK); /* directives have no ordinal */

    dh_task_update_row up = {0, t2, "progress", "U1", "admin", D(2026, 3, 1), D(2026, 3, 31),
                             50, false, "nửa", "[]", 300};
    dh_task_update_row cm = {0, t2, "comment", "U1", "admin", D(2026, 3, 2), DH_DATE_NONE,
                             -1, false, "ghi chú", "[1]", 301};
    int64_t u1, u2;
    OK(L->insert_task_update(c, &up, &u1, &e));
    OK(L->insert_task_update(c, &cm, &u2, &e));

    plan_seen s = {0};
    OK(L->load_plans(c, on_plan, &s, &e));
    OK(L->load_tasks(c, on_task, &s, &e));
    OK(L->load_task_updates(c, on_task_update, &s, &e));
    assert_int_equal(s.plans.n, 2); /* by id */
    assert_int_equal(s.plans.id[0], p1);
    assert_string_equal(s.title[0], "Kế hoạch sửa");
    assert_int_equal(s.p[0].document_id, fid);
    assert_int_equal(s.p[0].date, D(2026, 1, 5));
    assert_int_equal(s.p[0].period_to, D(2026, 12, 31));
    assert_int_equal(s.p[1].date, DH_DATE_NONE);
    assert_int_equal(s.p[1].document_id, 0);
    assert_int_equal(s.tasks.n, 4);
    assert_int_equal(s.tasks.id[0], t1);
    assert_int_equal(s.tasks.id[2], t3);
    assert_string_equal(s.content[0], "Việc một (sửa)");
    assert_int_equal(s.t[0].plan_id, p1);
    assert_true(s.t[0].has_target);
    assert_true(s.t[0].target_value == 12.5);
    assert_int_equal(s.t[0].start, DH_DATE_NONE);
    assert_int_equal(s.t[0].due, D(2026, 6, 30));
    assert_int_equal(s.t[0].report_day, 5);
    assert_true(s.t[0].has_report_offset);
    assert_int_equal(s.t[0].report_offset, 0);
    assert_string_equal(s.report_source[0], "printed");
    assert_string_equal(s.report_text[0], "Định kỳ hàng quý (trước ngày 5)");
    assert_false(s.t[2].has_report_offset);
    assert_string_equal(s.report_source[2], "default");
    assert_string_equal(s.report_text[2], "");
    assert_int_equal(s.t[2].plan_id, 0);
    assert_string_equal(s.tasks.s[2], "directive");
    assert_false(s.t[2].has_target);
    assert_int_equal(s.updates.n, 2);
    assert_int_equal(s.u[0].id, u1);
    assert_int_equal(s.u[0].percent, 50);
    assert_int_equal(s.u[0].occurrence, D(2026, 3, 31));
    assert_int_equal(s.u[1].percent, -1);
    assert_int_equal(s.u[1].occurrence, DH_DATE_NONE);
}

static int on_inbox(void *cl, const dh_inbox_row *r) { return add_row(cl, r->id, r->unit); }

static int on_contact(void *cl, const char *unit, const char *email)
{
    rows *r = cl;
    char both[96];
    snprintf(both, sizeof both, "%s=%s", unit, email);
    return add_row(r, 0, both);
}

static void plans_inbox_contacts(void **state)
{
    fx *f = *state;
    dh_conn *c = f->c;
    dh_err e;
    const dh_plans_ops *L = DH_PLANS(c);
    int64_t t = put_task(c, 0, 0, "", "Chỉ đạo", DH_OK);
    int64_t ids[7];
    for (int i = 0; i < 7; i++) {
        dh_inbox_row r = {0, i < 5 ? "A" : "B", D(2026, 1, 1 + i), "overdue", t, "", "quá hạn",
                          100};
        bool inserted = false;
        OK(L->insert_inbox(c, &r, &inserted, &e));
        assert_true(inserted);
        if (i == 2) { /* the same reminder again is left alone */
            r.message = "other";
            OK(L->insert_inbox(c, &r, &inserted, &e));
            assert_false(inserted);
        }
    }
    rows all = {0};
    OK(L->list_inbox(c, NULL, 0, 100, on_inbox, &all, &e));
    assert_int_equal(all.n, 7);
    for (int i = 1; i < 7; i++) /* newest first */
        assert_true(all.id[i] < all.id[i - 1]);
    /* A's pages of 2, before_id as the cursor */
    int64_t before = 0;
    int seen = 0, pages = 0;
    for (;; pages++) {
        rows pg = {0};
        OK(L->list_inbox(c, "A", before, 2, on_inbox, &pg, &e));
        if (pg.n == 0)
            break;
        assert_true(pg.n <= 2);
        for (int i = 0; i < pg.n; i++) {
            assert_string_equal(pg.s[i], "A");
            ids[seen++] = pg.id[i];
        }
        before = pg.id[pg.n - 1];
    }
    assert_int_equal(seen, 5);
    assert_int_equal(pages, 3);
    for (int i = 0; i < 5; i++)
        assert_int_equal(ids[i], all.id[i + 2]); /* B's two are the newest */

    OK(L->put_contact(c, "B", "b@x.vn", &e));
    OK(L->put_contact(c, "A", "a@x.vn", &e));
    OK(L->put_contact(c, "C", "c@x.vn", &e));
    OK(L->put_contact(c, "A", "a2@x.vn", &e));
    OK(L->put_contact(c, "C", NULL, &e));
    rows ct = {0};
    OK(L->load_contacts(c, on_contact, &ct, &e));
    assert_int_equal(ct.n, 2); /* by unit */
    assert_string_equal(ct.s[0], "A=a2@x.vn");
    assert_string_equal(ct.s[1], "B=b@x.vn");
}

/* ------------------------------------------------------------------ */
/* Indicators, values, receipts, obligations, targets.                */

static int64_t put_indicator(dh_conn *c, int64_t id, const char *code, const char *name,
                             dh_status want)
{
    dh_err e;
    dh_indicator_row r = {id,       code,      name, "%", "higher", "sum", "pushed", "month",
                          "daily:17:00", "", "", 10,   20};
    int64_t out = 0;
    if (want == DH_OK)
        OK(DH_INDICATORS(c)->put_indicator(c, &r, &out, &e));
    else
        FAILS(want, DH_INDICATORS(c)->put_indicator(c, &r, &out, &e));
    return out;
}

typedef struct ival_seen {
    rows r;
    dh_ivalue_row v[8];
    char unit[8][8];
} ival_seen;

static int on_ivalue(void *cl, const dh_ivalue_row *v)
{
    ival_seen *s = cl;
    if (s->r.n < 8) {
        s->v[s->r.n] = *v;
        STR(s->unit[s->r.n], v->unit);
    }
    return add_row(&s->r, v->indicator_id, v->ext_id);
}

static int on_indicator(void *cl, const dh_indicator_row *r)
{
    return add_row(cl, r->id, r->name);
}

static void put_value(dh_conn *c, int64_t ind, const char *unit, dh_date from, dh_date to,
                      double value, const char *ext, time_t at, ival_seen *replaced)
{
    dh_err e;
    dh_ivalue_row v = {ind,  unit, from, to,     value, true, value, 1, "push", ext, 0, at,
                       at, "ci"};
    OK(DH_INDICATORS(c)->put_ivalue(c, &v, on_ivalue, replaced, &e));
}

static void indicators_receipts_values(void **state)
{
    fx *f = *state;
    dh_conn *c = f->c;
    dh_err e;
    const dh_indicators_ops *N = DH_INDICATORS(c);
    int64_t ib = put_indicator(c, 0, "b_ind", "B", DH_OK);
    int64_t ia = put_indicator(c, 0, "a_ind", "A", DH_OK);
    put_indicator(c, 0, "a_ind", "again", DH_E_CONFLICT);
    assert_int_equal(put_indicator(c, ib, "b_ind", "B sửa", DH_OK), ib);
    rows inds = {0};
    OK(N->load_indicators(c, on_indicator, &inds, &e));
    assert_int_equal(inds.n, 2); /* by code */
    assert_int_equal(inds.id[0], ia);
    assert_string_equal(inds.s[1], "B sửa");

    /* idempotency receipts: the first content stays, a second add is a
     * conflict that gives the stored content back */
    rows got = {0};
    FAILS(DH_E_NOTFOUND, N->find_ireceipt(c, "push", "r1", on_code, &got, &e));
    OK(N->add_ireceipt(c, "push", "r1", "{\"v\":1}", on_code, &got, &e));
    assert_int_equal(got.n, 0);
    OK(N->add_ireceipt(c, "other", "r1", "{\"v\":3}", on_code, &got, &e));
    FAILS(DH_E_CONFLICT, N->add_ireceipt(c, "push", "r1", "{\"v\":2}", on_code, &got, &e));
    assert_int_equal(got.n, 1);
    assert_string_equal(got.s[0], "{\"v\":1}");
    OK(N->find_ireceipt(c, "push", "r1", on_code, &got, &e));
    assert_int_equal(got.n, 2);
    assert_string_equal(got.s[1], "{\"v\":1}");

    dh_date jan = D(2026, 1, 1), jan31 = D(2026, 1, 31), feb = D(2026, 2, 1),
            feb28 = D(2026, 2, 28);
    ival_seen rep = {0};
    put_value(c, ib, "U1", jan, jan31, 10, "x1", 1000, &rep);
    put_value(c, ib, "U2", jan, jan31, 20, "x2", 1001, &rep);
    put_value(c, ib, "U1", feb, feb28, 30, "x3", 1002, &rep);
    assert_int_equal(rep.r.n, 0);
    put_value(c, ib, "U1", jan, jan31, 11, "x4", 2000, &rep); /* a correction */
    assert_int_equal(rep.r.n, 1);
    assert_true(rep.v[0].value == 10);
    assert_string_equal(rep.r.s[0], "x1");

    ival_seen s = {0};
    dh_ivalue_filter all = {ib, NULL, DH_DATE_NONE, DH_DATE_NONE, false, 0, 0};
    OK(N->list_ivalues(c, &all, on_ivalue, &s, &e));
    assert_int_equal(s.r.n, 3); /* by indicator, unit, period */
    assert_string_equal(s.unit[0], "U1");
    assert_int_equal(s.v[0].period_from, jan);
    assert_true(s.v[0].value == 11);
    assert_int_equal(s.v[0].received_at, 1000); /* kept from the first */
    assert_int_equal(s.v[0].updated_at, 2000);
    assert_true(s.v[0].has_nd);
    assert_string_equal(s.r.s[0], "x4");
    assert_int_equal(s.v[1].period_from, feb);
    assert_string_equal(s.unit[2], "U2");
    memset(&s, 0, sizeof s);
    dh_ivalue_filter by_period = all;
    by_period.by_period = true;
    OK(N->list_ivalues(c, &by_period, on_ivalue, &s, &e));
    assert_string_equal(s.r.s[0], "x4");
    assert_string_equal(s.r.s[1], "x2");
    assert_string_equal(s.r.s[2], "x3");
    memset(&s, 0, sizeof s);
    by_period.offset = 1;
    by_period.limit = 1;
    OK(N->list_ivalues(c, &by_period, on_ivalue, &s, &e));
    assert_int_equal(s.r.n, 1);
    assert_string_equal(s.r.s[0], "x2");
    memset(&s, 0, sizeof s);
    dh_ivalue_filter u2 = all;
    u2.units_json = "[\"U2\"]";
    OK(N->list_ivalues(c, &u2, on_ivalue, &s, &e));
    assert_int_equal(s.r.n, 1);
    assert_string_equal(s.unit[0], "U2");
    memset(&s, 0, sizeof s);
    dh_ivalue_filter febs = all;
    febs.from = D(2026, 2, 10);
    OK(N->list_ivalues(c, &febs, on_ivalue, &s, &e));
    assert_int_equal(s.r.n, 1);
    assert_string_equal(s.r.s[0], "x3");
    memset(&s, 0, sizeof s);
    febs.from = DH_DATE_NONE;
    febs.to = D(2026, 1, 15);
    febs.units_json = "[\"U1\",\"U2\"]";
    OK(N->list_ivalues(c, &febs, on_ivalue, &s, &e));
    assert_int_equal(s.r.n, 2);
    memset(&s, 0, sizeof s);
    dh_ivalue_filter none = all;
    none.indicator_id = ia;
    OK(N->list_ivalues(c, &none, on_ivalue, &s, &e));
    assert_int_equal(s.r.n, 0);

    dh_date lf, lt;
    time_t rec;
    FAILS(DH_E_NOTFOUND, N->ivalues_latest(c, ia, NULL, &lf, &lt, &rec, &e));
    OK(N->ivalues_latest(c, ib, NULL, &lf, &lt, &rec, &e));
    assert_int_equal(lf, feb);
    assert_int_equal(lt, feb28);
    assert_int_equal(rec, 2000);
    OK(N->ivalues_latest(c, ib, "[\"U2\"]", &lf, &lt, &rec, &e));
    assert_int_equal(lf, jan);
    assert_int_equal(rec, 1001);
    FAILS(DH_E_NOTFOUND, N->ivalues_latest(c, ib, "[\"U9\"]", &lf, &lt, &rec, &e));
}

/* The bulk ops of the data hub (issue 15). */
typedef struct receipt_seen {
    int n;
    char key[8][48], content[8][48];
} receipt_seen;

static int on_receipt_many(void *cl, const char *source, const char *id, const char *content)
{
    receipt_seen *r = cl;
    if (r->n < 8) {
        snprintf(r->key[r->n], sizeof r->key[r->n], "%s/%s", source, id);
        STR(r->content[r->n], content);
    }
    r->n++;
    return 0;
}

static int find_key(const receipt_seen *r, const char *key)
{
    for (int i = 0; i < r->n && i < 8; i++)
        if (strcmp(r->key[i], key) == 0)
            return i;
    return -1;
}

typedef struct replaced_seen {
    int n;
    size_t i[8];
    char ext[8][16];
    double value[8];
    time_t received[8];
} replaced_seen;

static int on_replaced_many(void *cl, size_t i, const dh_ivalue_row *old)
{
    replaced_seen *r = cl;
    if (r->n < 8) {
        r->i[r->n] = i;
        STR(r->ext[r->n], old->ext_id);
        r->value[r->n] = old->value;
        r->received[r->n] = old->received_at;
    }
    r->n++;
    return 0;
}

static void indicators_values_bulk(void **state)
{
    fx *f = *state;
    dh_conn *c = f->c;
    dh_err e;
    const dh_indicators_ops *N = DH_INDICATORS(c);
    int64_t ind = put_indicator(c, 0, "bulk_ind", "Bulk", DH_OK);

    const char *src[] = {"push", "push", "o\"d\\d", "push"};
    const char *ids[] = {"r1", "r2", "{x,y}", "r9"};
    const char *contents[] = {"c1", "c\t2\n", "c3 \\ ệ"};
    OK(N->add_ireceipts(c, src, ids, contents, 3, &e));
    OK(N->add_ireceipts(c, src, ids, contents, 0, &e));
    receipt_seen r = {0};
    OK(N->find_ireceipts(c, src, ids, 4, on_receipt_many, &r, &e));
    assert_int_equal(r.n, 3); /* push/r9 has none */
    assert_true(find_key(&r, "push/r1") >= 0);
    assert_string_equal(r.content[find_key(&r, "push/r2")], "c\t2\n");
    assert_string_equal(r.content[find_key(&r, "o\"d\\d/{x,y}")], "c3 \\ ệ");
    /* a taken key: conflict, and the transaction is rolled back */
    const char *src2[] = {"push", "push"}, *ids2[] = {"r5", "r1"}, *cont2[] = {"c5", "c1"};
    OK(f->ops->begin(c, true, &e));
    FAILS(DH_E_CONFLICT, N->add_ireceipts(c, src2, ids2, cont2, 2, &e));
    f->ops->rollback(c);
    memset(&r, 0, sizeof r);
    OK(N->find_ireceipts(c, src2, ids2, 1, on_receipt_many, &r, &e));
    assert_int_equal(r.n, 0);

    dh_date jan = D(2026, 1, 1), jan31 = D(2026, 1, 31), feb = D(2026, 2, 1),
            feb14 = D(2026, 2, 14), feb28 = D(2026, 2, 28);
    dh_ivalue_row v[] = {
        {ind, "U1", jan, jan31, 10, false, 0, 0, "push", "x1", 0, 1000, 1000, "ci"},
        {ind, "U2", jan, jan31, 20, true, 1, 5, "push", "x2", 0, 1001, 1001, "ci"},
        {ind, "U1", jan, jan31, 11, false, 0, 0, "push", "x3", 0, 1002, 1002, "ci"},
        {ind, "U1", feb, feb28, 30, false, 0, 0, "push", "x4", 0, 1003, 1003, "ci"},
        {ind, "U1", jan, jan31, 12, false, 0, 0, "push", "x5", 0, 1004, 1004, "ci"},
    };
    replaced_seen rep = {0};
    OK(N->put_ivalues(c, v, 5, on_replaced_many, &rep, &e));
    /* the later rows of the same key replace the earlier, in order */
    assert_int_equal(rep.n, 2);
    assert_int_equal(rep.i[0], 2);
    assert_string_equal(rep.ext[0], "x1");
    assert_int_equal(rep.i[1], 4);
    assert_string_equal(rep.ext[1], "x3");
    assert_true(rep.value[1] == 11);
    ival_seen s = {0};
    dh_ivalue_filter all = {ind, NULL, DH_DATE_NONE, DH_DATE_NONE, false, 0, 0};
    OK(N->list_ivalues(c, &all, on_ivalue, &s, &e));
    assert_int_equal(s.r.n, 3);
    assert_string_equal(s.r.s[0], "x5");
    assert_true(s.v[0].value == 12);
    assert_int_equal(s.v[0].received_at, 1000); /* kept from the first */
    assert_int_equal(s.v[0].updated_at, 1004);
    assert_false(s.v[0].has_nd);
    assert_string_equal(s.r.s[2], "x2");
    assert_true(s.v[2].has_nd && s.v[2].numerator == 1 && s.v[2].denominator == 5);
    dh_date lf, lt;
    time_t rec;
    OK(N->ivalues_latest(c, ind, "[\"U1\"]", &lf, &lt, &rec, &e));
    assert_int_equal(lf, feb);
    assert_int_equal(lt, feb28);
    assert_int_equal(rec, 1004);

    /* a replacement that ends earlier: the summaries follow it */
    dh_ivalue_row shorter = {ind, "U1", feb, feb14, 31, false, 0, 0, "push", "x6", 0, 1005,
                             1005, "ci"};
    memset(&rep, 0, sizeof rep);
    OK(N->put_ivalues(c, &shorter, 1, on_replaced_many, &rep, &e));
    assert_int_equal(rep.n, 1);
    assert_int_equal(rep.i[0], 0);
    assert_string_equal(rep.ext[0], "x4");
    assert_int_equal(rep.received[0], 1003);
    OK(N->ivalues_latest(c, ind, "[\"U1\"]", &lf, &lt, &rec, &e));
    assert_int_equal(lt, feb14);
    OK(N->put_ivalues(c, v, 0, on_replaced_many, &rep, &e));
}

typedef struct obl_seen {
    rows r;
    dh_obligation_row o[4];
    dh_approval_row a[4];
    int na;
} obl_seen;

static int on_obligation(void *cl, const dh_obligation_row *r)
{
    obl_seen *s = cl;
    if (s->r.n < 4)
        s->o[s->r.n] = *r;
    return add_row(&s->r, r->id, r->name);
}

static int on_approval(void *cl, const dh_approval_row *r)
{
    obl_seen *s = cl;
    if (s->na < 4)
        s->a[s->na] = *r;
    s->na++;
    return 0;
}

static void indicators_obligations_approvals(void **state)
{
    fx *f = *state;
    dh_conn *c = f->c;
    dh_err e;
    const dh_indicators_ops *N = DH_INDICATORS(c);
    dh_obligation_row o = {0,    "BC-1", "Báo cáo", "month", "day:10", -1, true, "[\"a\"]",
                           "[]", "",     10,        10};
    int64_t o1, o2, x;
    OK(N->put_obligation(c, &o, &o1, &e));
    o.code = "BC-2";
    o.window_days = 5;
    o.approval = false;
    OK(N->put_obligation(c, &o, &o2, &e));
    FAILS(DH_E_CONFLICT, N->put_obligation(c, &o, &x, &e));
    o.id = o1;
    o.code = "BC-1";
    o.name = "Báo cáo tháng";
    o.window_days = -1;
    o.approval = true;
    OK(N->put_obligation(c, &o, &x, &e));
    assert_int_equal(x, o1);
    obl_seen s = {0};
    OK(N->load_obligations(c, on_obligation, &s, &e));
    assert_int_equal(s.r.n, 2); /* by id */
    assert_int_equal(s.r.id[0], o1);
    assert_string_equal(s.r.s[0], "Báo cáo tháng");
    assert_int_equal(s.o[0].window_days, -1);
    assert_true(s.o[0].approval);
    assert_int_equal(s.o[1].window_days, 5);
    assert_false(s.o[1].approval);

    dh_approval_row a = {o1, "U1", D(2026, 1, 1), D(2026, 1, 31), "leader", 500};
    OK(N->put_approval(c, &a, &e));
    FAILS(DH_E_CONFLICT, N->put_approval(c, &a, &e));
    a.unit = "U2";
    OK(N->put_approval(c, &a, &e));
    OK(N->load_approvals(c, on_approval, &s, &e));
    assert_int_equal(s.na, 2);
    assert_int_equal(s.a[0].obligation_id, o1);
    assert_int_equal(s.a[0].period_to, D(2026, 1, 31));
    assert_int_equal(s.a[0].approved_at, 500);
}

typedef struct target_seen {
    rows r;
    dh_target_row t[8];
    char status[8][16], series[8][32];
} target_seen;

static int on_target(void *cl, const dh_target_row *r)
{
    target_seen *s = cl;
    if (s->r.n < 8) {
        s->t[s->r.n] = *r;
        STR(s->status[s->r.n], r->status);
        STR(s->series[s->r.n], r->series_json);
    }
    return add_row(&s->r, r->id, r->unit);
}

static int on_count(void *cl, const char *key, int64_t n)
{
    rows *r = cl;
    char both[64];
    snprintf(both, sizeof both, "%s=%lld", key, (long long)n);
    return add_row(r, n, both);
}

static int64_t put_target(dh_conn *c, int64_t id, int64_t ind, const char *unit,
                          const char *ext_key, int64_t split_of, dh_status want)
{
    dh_err e;
    dh_target_row t = {0};
    t.id = id;
    t.indicator_id = ind;
    t.unit = unit;
    t.value = 90;
    t.due = D(2026, 12, 31);
    t.split_of = split_of;
    t.ext_key = ext_key;
    t.since = t.eval_day = DH_DATE_NONE;
    t.created_at = t.updated_at = 10;
    int64_t out = 0;
    if (want == DH_OK)
        OK(DH_TARGETS(c)->put_target(c, &t, &out, &e));
    else
        FAILS(want, DH_TARGETS(c)->put_target(c, &t, &out, &e));
    return out;
}

static void targets_dirty_eval_list(void **state)
{
    fx *f = *state;
    dh_conn *c = f->c;
    dh_err e;
    const dh_targets_ops *T = DH_TARGETS(c);
    int64_t i1 = put_indicator(c, 0, "i1", "I1", DH_OK), i2 = put_indicator(c, 0, "i2", "I2", DH_OK);
    int64_t t1 = put_target(c, 0, i1, "U1", "k1", 0, DH_OK);
    int64_t t2 = put_target(c, 0, i1, "U2", NULL, t1, DH_OK);
    int64_t t3 = put_target(c, 0, i2, "U1", NULL, 0, DH_OK);
    put_target(c, 0, i2, "U3", "k1", 0, DH_E_CONFLICT); /* ext_key taken */
    rows d = {0};
    OK(T->dirty_target_indicators(c, on_id, &d, &e));
    assert_int_equal(d.n, 2); /* saved since derived; ascending */
    assert_int_equal(d.id[0], i1);
    assert_int_equal(d.id[1], i2);
    OK(T->set_target_series(c, t1, "[[1,2,3]]", &e));
    OK(T->set_target_series(c, t2, "[]", &e));
    OK(T->set_target_series(c, t3, "[]", &e));
    memset(&d, 0, sizeof d);
    OK(T->dirty_target_indicators(c, on_id, &d, &e));
    assert_int_equal(d.n, 0);
    OK(T->mark_targets_dirty(c, i1, "U1", &e));
    OK(T->mark_targets_dirty(c, i1, "U1", &e));
    OK(T->mark_targets_dirty(c, i2, "U9", &e)); /* no target there: nothing */
    OK(T->dirty_target_indicators(c, on_id, &d, &e));
    assert_int_equal(d.n, 1);
    assert_int_equal(d.id[0], i1);
    /* the bulk form: the same pairs at once (U9 has none; i1/U1 again) */
    const int64_t many_ids[] = {i2, i1};
    const char *many_units[] = {"U9", "U1"};
    OK(T->mark_targets_dirty_many(c, many_ids, many_units, 2, &e));
    OK(T->mark_targets_dirty_many(c, many_ids, many_units, 0, &e));
    memset(&d, 0, sizeof d);
    OK(T->dirty_target_indicators(c, on_id, &d, &e));
    assert_int_equal(d.n, 1);
    const int64_t t3_ids[] = {i2};
    const char *t3_units[] = {"U1"};
    OK(T->mark_targets_dirty_many(c, t3_ids, t3_units, 1, &e));
    memset(&d, 0, sizeof d);
    OK(T->dirty_target_indicators(c, on_id, &d, &e));
    assert_int_equal(d.n, 2);
    assert_int_equal(d.id[1], i2);
    OK(T->set_target_series(c, t3, "[]", &e)); /* clears that mark again */

    target_seen s = {0};
    OK(T->load_targets_of(c, i1, NULL, on_target, &s, &e));
    assert_int_equal(s.r.n, 2); /* by id */
    assert_int_equal(s.r.id[0], t1);
    assert_true(s.t[0].dirty);
    assert_false(s.t[1].dirty);
    assert_string_equal(s.series[0], "[[1,2,3]]");
    assert_int_equal(s.t[1].split_of, t1);
    assert_true(s.t[0].value == 90);
    assert_int_equal(s.t[0].due, D(2026, 12, 31));
    assert_string_equal(s.status[0], "no_data");
    memset(&s, 0, sizeof s);
    OK(T->load_targets_of(c, i2, "k1", on_target, &s, &e)); /* and the one with the key */
    assert_int_equal(s.r.n, 2);
    assert_int_equal(s.r.id[0], t1);
    assert_int_equal(s.r.id[1], t3);
    OK(T->set_target_series(c, t1, "[]", &e)); /* clears the mark */
    memset(&d, 0, sizeof d);
    OK(T->dirty_target_indicators(c, on_id, &d, &e));
    assert_int_equal(d.n, 0);

    OK(T->set_target_eval(c, t1, "on_track", D(2026, 2, 1), "{}", D(2026, 3, 1), &e));
    OK(T->set_target_eval(c, t2, "off_track", D(2026, 2, 2), "{\"gap\":1}", D(2026, 3, 1), &e));
    OK(T->set_target_eval(c, t3, "at_risk", D(2026, 2, 3), "{}", D(2026, 3, 1), &e));
    memset(&s, 0, sizeof s);
    dh_target_filter all = {NULL, 0, NULL, 0, 0};
    OK(T->list_targets(c, &all, on_target, &s, &e));
    assert_int_equal(s.r.n, 3); /* by severity, then id */
    assert_int_equal(s.r.id[0], t2);
    assert_int_equal(s.r.id[1], t3);
    assert_int_equal(s.r.id[2], t1);
    assert_string_equal(s.status[0], "off_track");
    assert_int_equal(s.t[0].since, D(2026, 2, 2));
    assert_int_equal(s.t[0].eval_day, D(2026, 3, 1));
    memset(&s, 0, sizeof s);
    dh_target_filter pg = {"[\"U1\"]", 0, NULL, 1, 1};
    OK(T->list_targets(c, &pg, on_target, &s, &e));
    assert_int_equal(s.r.n, 1);
    assert_int_equal(s.r.id[0], t1);
    memset(&s, 0, sizeof s);
    dh_target_filter st = {NULL, i1, "on_track", 0, 0};
    OK(T->list_targets(c, &st, on_target, &s, &e));
    assert_int_equal(s.r.n, 1);
    assert_int_equal(s.r.id[0], t1);
    rows counts = {0};
    dh_target_filter u1 = {"[\"U1\"]", 0, NULL, 0, 0};
    OK(T->count_targets(c, &u1, on_count, &counts, &e));
    assert_int_equal(counts.n, 2);
    assert_true(find_str(&counts, "on_track=1") >= 0);
    assert_true(find_str(&counts, "at_risk=1") >= 0);

    target_seen k = {0};
    OK(T->list_target_keys(c, on_target, &k, &e));
    assert_int_equal(k.r.n, 3);
    for (int i = 0; i < 3; i++)
        if (k.r.id[i] == t2) {
            assert_int_equal(k.t[i].split_of, t1);
            assert_string_equal(k.status[i], "off_track");
            assert_int_equal(k.t[i].indicator_id, i1);
        }
    memset(&s, 0, sizeof s);
    char ids[64];
    snprintf(ids, sizeof ids, "[%lld,%lld]", (long long)t3, (long long)t1);
    OK(T->get_targets(c, ids, on_target, &s, &e));
    assert_int_equal(s.r.n, 2);
    assert_true((s.r.id[0] == t1 && s.r.id[1] == t3) || (s.r.id[0] == t3 && s.r.id[1] == t1));

    /* saving a target makes it dirty again */
    put_target(c, t3, i2, "U1", NULL, 0, DH_OK);
    memset(&d, 0, sizeof d);
    OK(T->dirty_target_indicators(c, on_id, &d, &e));
    assert_int_equal(d.n, 1);
    assert_int_equal(d.id[0], i2);
}

/* ------------------------------------------------------------------ */
/* Two writers through the transaction runner.                        */

enum { INCREMENTS = 60 };
static const char COUNTER[] = "conformance_counter";

typedef struct writer {
    dh_app *app;
    int ok, busy, other, runs;
    unsigned seed;
    int flags; /* the runner's flags (DH_TX_WRITE or DH_TX_DOSSIERS) */
} writer;

static void nap_us(long us)
{
    struct timespec ts = {0, us * 1000L};
    nanosleep(&ts, NULL);
}

/* Read, wait a little holding the transaction, write: a lost update would
 * show if two of these ever overlapped. */
static dh_status increment(dh_tx *tx, void *closure, dh_err *e)
{
    writer *w = closure;
    int64_t v;
    dh_status st = DH_META(tx->c)->meta_get(tx->c, COUNTER, &v, e);
    if (st)
        return st;
    w->runs++;
    nap_us(300);
    return DH_META(tx->c)->meta_set(tx->c, COUNTER, v + 1, e);
}

static void *write_many(void *arg)
{
    writer *w = arg;
    for (int i = 0; i < INCREMENTS; i++) {
        dh_err e;
        dh_err_clear(&e);
        dh_status st = dh_tx_run(w->app, w->flags, increment, w, &e);
        if (st == DH_OK)
            w->ok++;
        else if (st == DH_E_BUSY && strcmp(e.code, "busy") == 0)
            w->busy++;
        else
            w->other++;
        nap_us(100 + (long)(rand_r(&w->seed) % 400));
    }
    return NULL;
}

static void two_writers(fx *f, int flags, const char *busy_ms)
{
    dh_err e;
    setenv("DIEUHANH_BUSY_TIMEOUT_MS", busy_ms, 1);
    writer w[2] = {{.seed = 1, .flags = flags}, {.seed = 2, .flags = flags}};
    for (int i = 0; i < 2; i++) {
        w[i].app = dh_app_open(f->url, true, &e);
        if (!w[i].app)
            fail_msg("open %s: %s", f->url, e.message);
    }
    unsetenv("DIEUHANH_BUSY_TIMEOUT_MS");
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, write_many, &w[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    long long retries = dh_app_tx_retries(w[0].app) + dh_app_tx_retries(w[1].app);
    int64_t v = -1;
    OK(DH_META(f->c)->meta_get(f->c, COUNTER, &v, &e));
    print_message("    %d + %d committed, %d + %d busy after retries, %lld retries, %d fn runs\n",
                  w[0].ok, w[1].ok, w[0].busy, w[1].busy, retries, w[0].runs + w[1].runs);
    assert_int_equal(w[0].other + w[1].other, 0);
    assert_int_equal(w[0].ok + w[0].busy, INCREMENTS);
    assert_int_equal(w[1].ok + w[1].busy, INCREMENTS);
    assert_int_equal(v, w[0].ok + w[1].ok); /* no lost update, none counted twice */
    if (flags == DH_TX_WRITE)
        assert_true(retries > 0);
    for (int i = 0; i < 2; i++)
        dh_app_close(w[i].app);
}

/* A lost connection (PostgreSQL only: a server that restarts or kills a
 * session; SQLite has no connection to lose). The app's connections carry
 * an application_name of their own, so that a side connection can
 * terminate exactly them: an idle pooled connection that died is not
 * handed out; a transaction whose connection dies in fn is run once more
 * on a fresh connection; one that dies on every run answers
 * DH_E_UNAVAILABLE (database_unavailable) after two runs. */
typedef struct killer {
    char name[64];
    int kill_runs; /* runs of fn that terminate their own connection */
    int runs;
} killer;

/* Terminates every backend named k->name and waits until they are gone. */
static void terminate_named(const killer *k)
{
    const char *base = base_url();
    char conninfo[512];
    snprintf(conninfo, sizeof conninfo, "postgresql:%s", strchr(base, ':') + 1);
    PGconn *pg = PQconnectdb(conninfo);
    assert_int_equal(PQstatus(pg), CONNECTION_OK);
    const char *v[1] = {k->name};
    PGresult *r = PQexecParams(pg,
                               "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                               "WHERE application_name = $1",
                               1, NULL, v, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    PQclear(r);
    for (int i = 0; i < 500; i++) {
        r = PQexecParams(pg, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                         1, NULL, v, NULL, NULL, 0);
        bool gone = PQresultStatus(r) == PGRES_TUPLES_OK && atoi(PQgetvalue(r, 0, 0)) == 0;
        PQclear(r);
        if (gone)
            break;
        nap_us(10000);
    }
    PQfinish(pg);
}

static dh_status bump_or_die(dh_tx *tx, void *closure, dh_err *e)
{
    killer *k = closure;
    int64_t v;
    dh_status st = DH_META(tx->c)->meta_get(tx->c, COUNTER, &v, e);
    if (st)
        return st;
    if (k->runs++ < k->kill_runs)
        terminate_named(k);
    return DH_META(tx->c)->meta_set(tx->c, COUNTER, v + 1, e);
}

static void runner_survives_a_lost_connection(void **state)
{
    fx *f = *state;
    dh_err e;
    if (strcmp(f->ops->scheme, "postgres") != 0) {
        print_message("    (PostgreSQL only)\n");
        return;
    }
    killer k = {.kill_runs = 0};
    snprintf(k.name, sizeof k.name, "dh_lost_%d_%d", (int)getpid(), f->n);
    char url[600];
    snprintf(url, sizeof url, "%s&application_name=%s", f->url, k.name);
    dh_app *app = dh_app_open(url, true, &e);
    if (!app)
        fail_msg("open %s: %s", url, e.message);
    OK(dh_tx_run(app, DH_TX_WRITE, bump_or_die, &k, &e)); /* a connection in the pool */

    /* the pooled connection dies while idle: the next transaction runs once */
    terminate_named(&k);
    k.runs = 0;
    OK(dh_tx_run(app, DH_TX_WRITE, bump_or_die, &k, &e));
    assert_int_equal(k.runs, 1);

    /* dies in fn: rerun once on a fresh connection, committed once */
    k.runs = 0;
    k.kill_runs = 1;
    OK(dh_tx_run(app, DH_TX_WRITE, bump_or_die, &k, &e));
    assert_int_equal(k.runs, 2);

    /* dies in fn every time: database_unavailable after the one rerun */
    k.runs = 0;
    k.kill_runs = 100;
    FAILS(DH_E_UNAVAILABLE, dh_tx_run(app, DH_TX_WRITE, bump_or_die, &k, &e));
    assert_string_equal(e.code, "database_unavailable");
    assert_int_equal(k.runs, 2);

    int64_t v = -1;
    OK(DH_META(f->c)->meta_get(f->c, COUNTER, &v, &e));
    assert_int_equal(v, 3); /* each committed transaction counted once */
    dh_app_close(app);
}

/* ------------------------------------------------------------------ */
/* The jobs' leases (several nodes).                                  */

static void lease_is(dh_conn *c, const char *name, const char *holder, int64_t claims,
                     int64_t runs)
{
    dh_err e;
    dh_job_lease_row r;
    bool found = false;
    OK(DH_JOBS(c)->job_get(c, name, &r, &found, &e));
    assert_true(found);
    assert_string_equal(r.holder, holder);
    assert_int_equal(r.claims, claims);
    assert_int_equal(r.runs, runs);
}

static void jobs_claim_done_lapse(void **state)
{
    fx *f = *state;
    dh_err e;
    dh_conn *c = f->c;
    const dh_jobs_ops *J = DH_JOBS(c);
    dh_job_lease_row r;
    bool found = true, ok = false;
    OK(J->job_get(c, "j", &r, &found, &e));
    assert_false(found);
    /* a job never seen: created claimed */
    OK(J->job_claim(c, "j", "A", 1000, 60, 300, &ok, &e));
    assert_true(ok);
    OK(J->job_get(c, "j", &r, &found, &e));
    assert_true(found);
    assert_string_equal(r.holder, "A");
    assert_int_equal(r.lease_until, 1300);
    assert_int_equal(r.due_at, 1060);
    assert_int_equal(r.claims, 1);
    assert_int_equal(r.runs, 0);
    assert_int_equal(r.done_at, 0);
    assert_string_equal(r.done_by, "");
    /* held: nobody else, nor A again, claims it */
    OK(J->job_claim(c, "j", "B", 1000, 60, 300, &ok, &e));
    assert_false(ok);
    OK(J->job_claim(c, "j", "A", 1001, 60, 300, &ok, &e));
    assert_false(ok);
    lease_is(c, "j", "A", 1, 0);
    /* only the holder ends the run */
    OK(J->job_done(c, "j", "B", 1010, &ok, &e));
    assert_false(ok);
    lease_is(c, "j", "A", 1, 0);
    OK(J->job_done(c, "j", "A", 1010, &ok, &e));
    assert_true(ok);
    OK(J->job_get(c, "j", &r, &found, &e));
    assert_string_equal(r.holder, "");
    assert_int_equal(r.lease_until, 0);
    assert_int_equal(r.due_at, 1060);
    assert_int_equal(r.runs, 1);
    assert_int_equal(r.done_at, 1010);
    assert_string_equal(r.done_by, "A");
    OK(J->job_done(c, "j", "A", 1011, &ok, &e)); /* twice: no longer held */
    assert_false(ok);
    lease_is(c, "j", "", 1, 1);
    /* free but not due; then due: the first claimer takes it */
    OK(J->job_claim(c, "j", "B", 1059, 60, 300, &ok, &e));
    assert_false(ok);
    OK(J->job_claim(c, "j", "B", 1060, 60, 300, &ok, &e));
    assert_true(ok);
    OK(J->job_claim(c, "j", "A", 1060, 60, 300, &ok, &e));
    assert_false(ok);
    lease_is(c, "j", "B", 2, 1);
    /* B dies holding it: due again at 1120, but held until its lease lapses */
    OK(J->job_claim(c, "j", "A", 1200, 60, 300, &ok, &e));
    assert_false(ok);
    OK(J->job_claim(c, "j", "A", 1359, 60, 300, &ok, &e));
    assert_false(ok);
    OK(J->job_claim(c, "j", "A", 1360, 60, 300, &ok, &e));
    assert_true(ok);
    OK(J->job_get(c, "j", &r, &found, &e));
    assert_string_equal(r.holder, "A");
    assert_int_equal(r.lease_until, 1660);
    assert_int_equal(r.due_at, 1420);
    /* B's late end changes nothing; A's counts */
    OK(J->job_done(c, "j", "B", 1361, &ok, &e));
    assert_false(ok);
    lease_is(c, "j", "A", 3, 1);
    OK(J->job_done(c, "j", "A", 1362, &ok, &e));
    assert_true(ok);
    lease_is(c, "j", "", 3, 2);
    /* jobs are independent; ending one never seen is no error */
    OK(J->job_claim(c, "k", "B", 1362, 5, 10, &ok, &e));
    assert_true(ok);
    lease_is(c, "k", "B", 1, 0);
    lease_is(c, "j", "", 3, 2);
    OK(J->job_done(c, "never", "A", 1362, &ok, &e));
    assert_false(ok);
    OK(J->job_get(c, "never", &r, &found, &e));
    assert_false(found);
    /* a claim in a transaction rolled back leaves nothing */
    OK(f->ops->begin(c, true, &e));
    OK(J->job_claim(c, "k", "A", 1400, 5, 10, &ok, &e));
    assert_true(ok);
    f->ops->rollback(c);
    lease_is(c, "k", "B", 1, 0);
}

/* Two "nodes" (two apps, each its own connections) claim one job at the
 * same instants through the runner: each instant is claimed exactly once. */
#define CLAIM_ROUNDS 40
typedef struct claimer {
    dh_app *app;
    const char *holder;
    int won, failed;
    unsigned seed;
    bool got[CLAIM_ROUNDS + 1]; /* the instants this node ran */
} claimer;

static void *claim_many(void *arg)
{
    claimer *w = arg;
    for (int i = 1; i <= CLAIM_ROUNDS; i++) {
        dh_err e;
        bool ok = false, held = false;
        /* instant 10*i: due (interval 10); a lease lasts past the run */
        if (dh_app_job_claim(w->app, "race", w->holder, (time_t)10 * i, 10, 1000, &ok, &e)) {
            w->failed++;
            continue;
        }
        if (ok) {
            w->won++;
            w->got[i] = true;
            if (dh_app_job_done(w->app, "race", w->holder, (time_t)10 * i + 1, &held, &e) ||
                !held)
                w->failed++;
        }
        nap_us(50 + (long)(rand_r(&w->seed) % 200));
    }
    return NULL;
}

static void jobs_two_nodes_claim_once(void **state)
{
    fx *f = *state;
    dh_err e;
    claimer w[2] = {{.holder = "node-a", .seed = 3}, {.holder = "node-b", .seed = 4}};
    for (int i = 0; i < 2; i++) {
        w[i].app = dh_app_open(f->url, true, &e);
        if (!w[i].app)
            fail_msg("open %s: %s", f->url, e.message);
    }
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, claim_many, &w[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    print_message("    node-a ran %d, node-b ran %d of %d instants\n", w[0].won, w[1].won,
                  CLAIM_ROUNDS);
    assert_int_equal(w[0].failed + w[1].failed, 0);
    /* no instant run by both; one is missed only when each node tried it
     * while the other still held the previous one */
    for (int i = 1; i <= CLAIM_ROUNDS; i++)
        assert_false(w[0].got[i] && w[1].got[i]);
    dh_job_lease_row r;
    bool found = false;
    OK(DH_JOBS(f->c)->job_get(f->c, "race", &r, &found, &e));
    assert_true(found);
    assert_int_equal(r.claims, w[0].won + w[1].won);
    assert_int_equal(r.runs, r.claims);
    assert_true(w[0].won + w[1].won <= CLAIM_ROUNDS);
    assert_true(w[0].won + w[1].won >= 1);
    for (int i = 0; i < 2; i++)
        dh_app_close(w[i].app);
}

/* ------------------------------------------------------------------ */
/* The generic row interface (rows.h, dieuhanh copy).                 */

typedef struct seen_names {
    char v[64][64];
    int n;
} seen_names;

static int on_name(void *closure, const char *name)
{
    seen_names *s = closure;
    if (s->n < 64)
        snprintf(s->v[s->n++], sizeof s->v[0], "%s", name);
    return 0;
}

static int name_at(const seen_names *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->v[i], name) == 0)
            return i;
    return -1;
}

static void rows_tables_columns_count(void **state)
{
    fx *f = *state;
    dh_err e;
    const dh_rows_ops *R = DH_ROWS(f->c);
    seen_names t = {0};
    OK(R->tables(f->c, on_name, &t, &e));
    /* every table of the schema, none of the engine's own */
    assert_true(t.n >= 30);
    assert_int_equal(name_at(&t, "dh_schema"), -1);
    assert_int_equal(name_at(&t, "sqlite_sequence"), -1);
    /* parents before the tables whose foreign keys name them */
    assert_true(name_at(&t, "units") >= 0);
    assert_true(name_at(&t, "units") < name_at(&t, "unit_versions"));
    assert_true(name_at(&t, "units") < name_at(&t, "users"));
    assert_true(name_at(&t, "users") < name_at(&t, "credentials"));
    assert_true(name_at(&t, "plans") < name_at(&t, "tasks"));
    assert_true(name_at(&t, "tasks") < name_at(&t, "task_updates"));
    assert_true(name_at(&t, "files") < name_at(&t, "plans"));
    assert_true(name_at(&t, "indicators") < name_at(&t, "targets"));
    /* ties by name: meta and audit_log name no table */
    assert_true(name_at(&t, "audit_log") < name_at(&t, "meta"));
    seen_names cols = {0};
    OK(R->columns(f->c, "units", on_name, &cols, &e));
    assert_int_equal(cols.n, 5);
    assert_string_equal(cols.v[0], "id");
    assert_string_equal(cols.v[1], "code");
    assert_string_equal(cols.v[4], "valid_to");
    int64_t n = -1;
    OK(R->count(f->c, "index766_config", &n, &e)); /* seeded by migration 005 */
    assert_int_equal(n, 21);
    OK(R->count(f->c, "units", &n, &e));
    assert_int_equal(n, 0);
    FAILS(DH_E_NOTFOUND, R->count(f->c, "no_such_table", &n, &e));
    FAILS(DH_E_NOTFOUND, R->columns(f->c, "units\"; DROP TABLE units; --", on_name, &cols, &e));
    FAILS(DH_E_NOTFOUND, R->clear(f->c, "dh_schema", &e));
}

typedef struct scanned {
    int n;
    dh_value_type type[8][12];
    int64_t i[8][12];
    double r[8][12];
    char text[8][12][64];
    size_t len[8][12];
} scanned;

static int on_scan_row(void *closure, const dh_value *v, int n)
{
    scanned *s = closure;
    if (s->n >= 8 || n > 12)
        return 1;
    for (int k = 0; k < n; k++) {
        s->type[s->n][k] = v[k].type;
        s->i[s->n][k] = v[k].i;
        s->r[s->n][k] = v[k].r;
        s->len[s->n][k] = v[k].n;
        if (v[k].p)
            memcpy(s->text[s->n][k], v[k].p, v[k].n < 63 ? v[k].n : 63);
    }
    s->n++;
    return 0;
}

static dh_value vint(int64_t i) { return (dh_value){.type = DH_V_INT, .i = i}; }
static dh_value vreal(double r) { return (dh_value){.type = DH_V_REAL, .r = r}; }
static dh_value vtext(const char *s) { return (dh_value){.type = DH_V_TEXT, .p = s, .n = strlen(s)}; }
static dh_value vblob(const char *p, size_t n) { return (dh_value){.type = DH_V_BLOB, .p = p, .n = n}; }
static dh_value vnull(void) { return (dh_value){.type = DH_V_NULL}; }

static void rows_insert_scan_values(void **state)
{
    fx *f = *state;
    dh_err e;
    const dh_rows_ops *R = DH_ROWS(f->c);
    OK(f->ops->begin(f->c, true, &e));
    /* ids as given, out of order; a scan comes back in key order */
    const char *ucols[] = {"id", "code", "kind", "valid_from", "valid_to"};
    OK(R->insert_begin(f->c, "units", ucols, 5, &e));
    dh_value u1[] = {vint(7), vtext("B"), vtext("district"), vtext("2020-01-01"), vnull()};
    dh_value u2[] = {vint(3), vtext("A"), vtext("province"), vtext("2019-01-01"),
                     vtext("2025-06-30")};
    OK(R->insert_row(f->c, u1, &e));
    OK(R->insert_row(f->c, u2, &e));
    OK(R->insert_end(f->c, &e));
    /* bytes that COPY and SQL escape: tab, newline, backslash, NUL in a blob */
    const char *fcols[] = {"id", "name", "type", "size", "sha256", "data", "unit", "uploaded_by",
                           "created_at"};
    static const char blob[] = {'%', 'P', 0, '\t', '\\', '\n', (char)0xff};
    OK(R->insert_begin(f->c, "files", fcols, 9, &e));
    dh_value fr[] = {vint(5),        vtext("a\tb\\c\nd.pdf"), vtext("pdf"),
                     vint(7),        vtext("00ff"),          vblob(blob, sizeof blob),
                     vtext("Sở Y tế"), vtext("cli:x"),         vint(1700000000)};
    OK(R->insert_row(f->c, fr, &e));
    OK(R->insert_end(f->c, &e));
    const char *mcols[] = {"unit", "date_from", "date_to", "code", "value",
                           "note", "entered_by", "entered_at"};
    OK(R->insert_begin(f->c, "index766_manual", mcols, 8, &e));
    dh_value mr[] = {vtext("A"), vtext("2025-01-01"), vtext("2025-03-31"), vtext("reuse"),
                     vreal(0.1 + 0.2), vtext(""), vtext("cli:x"), vint(1)};
    OK(R->insert_row(f->c, mr, &e));
    OK(R->insert_end(f->c, &e));
    OK(f->ops->commit(f->c, &e));

    scanned s = {0};
    OK(R->scan(f->c, "units", on_scan_row, &s, &e));
    assert_int_equal(s.n, 2);
    assert_int_equal(s.type[0][0], DH_V_INT);
    assert_int_equal(s.i[0][0], 3);
    assert_int_equal(s.i[1][0], 7);
    assert_int_equal(s.type[0][1], DH_V_TEXT);
    assert_string_equal(s.text[0][1], "A");
    assert_string_equal(s.text[0][4], "2025-06-30");
    assert_int_equal(s.type[1][4], DH_V_NULL);
    /* the domain op reads what the generic insert wrote */
    int64_t n;
    OK(R->count(f->c, "units", &n, &e));
    assert_int_equal(n, 2);

    memset(&s, 0, sizeof s);
    OK(R->scan(f->c, "files", on_scan_row, &s, &e));
    assert_int_equal(s.n, 1);
    assert_string_equal(s.text[0][1], "a\tb\\c\nd.pdf");
    assert_int_equal(s.type[0][5], DH_V_BLOB);
    assert_int_equal(s.len[0][5], sizeof blob);
    assert_memory_equal(s.text[0][5], blob, sizeof blob);
    assert_string_equal(s.text[0][6], "Sở Y tế");
    assert_int_equal(s.i[0][8], 1700000000);

    memset(&s, 0, sizeof s);
    OK(R->scan(f->c, "index766_manual", on_scan_row, &s, &e));
    assert_int_equal(s.type[0][4], DH_V_REAL);
    assert_true(s.r[0][4] == 0.1 + 0.2); /* exactly: no digits lost on the way */
}

static void rows_forward_reference_and_refusal(void **state)
{
    fx *f = *state;
    dh_err e;
    const dh_rows_ops *R = DH_ROWS(f->c);
    const char *cols[] = {"id", "kind", "content", "parent_task_id", "created_at", "updated_at"};
    /* task 1 names task 2, which comes later in the same bulk insert */
    OK(f->ops->begin(f->c, true, &e));
    OK(R->insert_begin(f->c, "tasks", cols, 6, &e));
    dh_value a[] = {vint(1), vtext("directive"), vtext("x"), vint(2), vint(1), vint(1)};
    dh_value b[] = {vint(2), vtext("directive"), vtext("y"), vnull(), vint(1), vint(1)};
    OK(R->insert_row(f->c, a, &e));
    OK(R->insert_row(f->c, b, &e));
    OK(R->insert_end(f->c, &e));
    OK(f->ops->commit(f->c, &e));
    int64_t n;
    OK(R->count(f->c, "tasks", &n, &e));
    assert_int_equal(n, 2);
    /* a reference to no row is refused before the commit ends: by the end
     * of the bulk insert or by the commit, with *e filled */
    OK(f->ops->begin(f->c, true, &e));
    OK(R->insert_begin(f->c, "tasks", cols, 6, &e));
    dh_value bad[] = {vint(3), vtext("directive"), vtext("z"), vint(99), vint(1), vint(1)};
    dh_err_clear(&e);
    dh_status st = R->insert_row(f->c, bad, &e);
    dh_status end = R->insert_end(f->c, st ? &(dh_err){0} : &e);
    if (st == DH_OK)
        st = end;
    if (st == DH_OK)
        st = f->ops->commit(f->c, &e);
    assert_int_not_equal(st, DH_OK);
    assert_true(e.code[0] != '\0');
    f->ops->rollback(f->c);
    OK(R->count(f->c, "tasks", &n, &e));
    assert_int_equal(n, 2);
    /* a duplicate key: refused as well */
    OK(f->ops->begin(f->c, true, &e));
    OK(R->insert_begin(f->c, "tasks", cols, 6, &e));
    dh_err_clear(&e);
    st = R->insert_row(f->c, b, &e);
    end = R->insert_end(f->c, st ? &(dh_err){0} : &e);
    assert_true(st != DH_OK || end != DH_OK);
    assert_true(e.code[0] != '\0');
    f->ops->rollback(f->c);
}

static void rows_clear_and_sequences(void **state)
{
    fx *f = *state;
    dh_err e;
    const dh_rows_ops *R = DH_ROWS(f->c);
    int64_t n;
    OK(R->clear(f->c, "index766_config", &e));
    OK(R->count(f->c, "index766_config", &n, &e));
    assert_int_equal(n, 0);
    /* units 1..3 by their ids; the next unit the application adds must get
     * a new id (PostgreSQL's identity would otherwise start again at 1) */
    const char *ucols[] = {"id", "code", "kind", "valid_from"};
    OK(R->insert_begin(f->c, "units", ucols, 4, &e));
    const char *codes[] = {"A", "B", "C"};
    for (int i = 0; i < 3; i++) {
        dh_value v[] = {vint(i + 1), vtext(codes[i]), vtext("province"), vtext("2020-01-01")};
        OK(R->insert_row(f->c, v, &e));
    }
    OK(R->insert_end(f->c, &e));
    OK(R->reset_sequences(f->c, &e));
    assert_int_equal(new_unit(f->c, "D", "district"), 4);
    /* the audit trail stays append-only: clearing it is refused */
    const char *acols[] = {"id", "at", "actor", "action", "entity", "outcome"};
    OK(R->insert_begin(f->c, "audit_log", acols, 6, &e));
    dh_value av[] = {vint(41), vint(1), vtext("cli:x"), vtext("create"), vtext("unit"),
                     vtext("ok")};
    OK(R->insert_row(f->c, av, &e));
    OK(R->insert_end(f->c, &e));
    OK(R->reset_sequences(f->c, &e));
    dh_err_clear(&e);
    assert_int_not_equal(R->clear(f->c, "audit_log", &e), DH_OK);
    assert_true(e.code[0] != '\0');
    OK(R->count(f->c, "audit_log", &n, &e));
    assert_int_equal(n, 1);
}

/* ------------------------------------------------------------------ */
/* The digital-transformation index (store/dti.h, issue 16).          */

static int on_framework(void *cl, const dh_dti_framework_row *r)
{
    char s[96];
    snprintf(s, sizeof s, "%s/%d/%s/%s/%s/%lld", r->code, r->year, r->level, r->name, r->note,
             (long long)r->created_at);
    return add_row(cl, r->id, s);
}

static int on_node(void *cl, const dh_dti_node_row *r)
{
    char s[96];
    snprintf(s, sizeof s, "%d:%s<%s|%s|%g|%s|%g|%s|%s|%s|%ld", r->ord, r->code, r->parent,
             r->name, r->max_points, r->method, r->threshold, r->source, r->responsible, r->note,
             r->line);
    return add_row(cl, r->framework_id, s);
}

static int on_assessment(void *cl, const dh_dti_assessment_row *r)
{
    char s[96];
    snprintf(s, sizeof s, "%lld/%s/%d/%s/%s%.4f@%ld/%s/%s/r%d/%d/%lld/%lld",
             (long long)r->framework_id, r->unit, r->year, r->status, r->has_printed ? "" : "-",
             r->printed_total, r->printed_line, r->warnings_json, r->source, r->revision,
             r->synthetic, (long long)r->created_at, (long long)r->updated_at);
    return add_row(cl, r->id, s);
}

static int on_entry(void *cl, const dh_dti_entry_row *r)
{
    char s[96], f[4][16];
    const bool has[4] = {r->has_self_points, r->has_self_value, r->has_points, r->has_value};
    const double v[4] = {r->self_points, r->self_value, r->points, r->value};
    for (int i = 0; i < 4; i++)
        snprintf(f[i], sizeof f[i], has[i] ? "%g" : "-", v[i]);
    snprintf(s, sizeof s, "%s %s %s %s %s|%s|%s|%s|%ld|t%lld", r->code, f[0], f[1], f[2], f[3],
             r->evidence, r->note, r->comment, r->line, (long long)r->task_id);
    return add_row(cl, r->assessment_id, s);
}

static int on_revision(void *cl, const dh_dti_revision_row *r)
{
    char s[96];
    snprintf(s, sizeof s, "%d@%lld %s: %s %s", r->revision, (long long)r->at, r->actor,
             r->reason, r->snapshot_json);
    return add_row(cl, r->assessment_id, s);
}

static void dti_frameworks_assessments(void **state)
{
    fx *f = *state;
    dh_err e;
    const dh_dti_ops *d = DH_DTI(f->c);
    int64_t f23 = 0, f24 = 0, other = 0, a1 = 0, a2 = 0;
    rows r = {0};

    /* frameworks: (code, year) unique; listed by year (latest first), code */
    OK(d->put_framework(f->c, &(dh_dti_framework_row){0, "DTI-H", "Bộ chỉ số cấp huyện",
                                                      "district", 2023, "QĐ 1/2023", 100},
                        &f23, &e));
    OK(d->put_framework(f->c, &(dh_dti_framework_row){0, "DTI-H", "Bộ chỉ số cấp huyện 2024",
                                                      "district", 2024, NULL, 200},
                        &f24, &e));
    OK(d->put_framework(f->c, &(dh_dti_framework_row){0, "DTI-X", "Cấp xã", "commune", 2023,
                                                      NULL, 300},
                        &other, &e));
    assert_true(f23 > 0 && f24 > 0 && other > 0 && f23 != f24);
    FAILS(DH_E_CONFLICT,
          d->put_framework(f->c, &(dh_dti_framework_row){0, "DTI-H", "x", "district", 2023,
                                                         NULL, 1},
                           NULL, &e));
    OK(d->list_frameworks(f->c, NULL, 0, on_framework, &r, &e));
    assert_int_equal(r.n, 3);
    assert_string_equal(r.s[0], "DTI-H/2024/district/Bộ chỉ số cấp huyện 2024//200");
    assert_string_equal(r.s[1], "DTI-H/2023/district/Bộ chỉ số cấp huyện/QĐ 1/2023/100");
    assert_string_equal(r.s[2], "DTI-X/2023/commune/Cấp xã//300");
    r = (rows){0};
    OK(d->list_frameworks(f->c, "DTI-H", 2023, on_framework, &r, &e));
    assert_int_equal(r.n, 1);
    assert_int_equal(r.id[0], f23);
    r = (rows){0};
    OK(d->list_frameworks(f->c, "DTI-Z", 0, on_framework, &r, &e));
    assert_int_equal(r.n, 0);

    /* nodes by ord, not by code; (framework, code) unique */
    OK(d->put_node(f->c, &(dh_dti_node_row){f23, 2, "P1.1", "P1", "Tỷ lệ đúng hạn", 4, "kpi",
                                            98, "on_time_rate", "vp-ubnd", "", 3},
                   &e));
    OK(d->put_node(f->c, &(dh_dti_node_row){f23, 1, "P1", NULL, "Chính quyền số", 4, NULL, 0,
                                            NULL, NULL, NULL, 2},
                   &e));
    OK(d->put_node(f->c, &(dh_dti_node_row){f24, 1, "P1", "", "Khác", 1, "manual", 0, "", "",
                                            "other criteria", 2},
                   &e));
    FAILS(DH_E_CONFLICT, d->put_node(f->c, &(dh_dti_node_row){f23, 3, "P1", "", "x", 1, "manual",
                                                              0, "", "", "", 9},
                                     &e));
    r = (rows){0};
    OK(d->list_nodes(f->c, f23, on_node, &r, &e));
    assert_int_equal(r.n, 2);
    assert_string_equal(r.s[0], "1:P1<|Chính quyền số|4||0||||2");
    assert_string_equal(r.s[1], "2:P1.1<P1|Tỷ lệ đúng hạn|4|kpi|98|on_time_rate|vp-ubnd||3");
    assert_int_equal(r.id[0], f23);

    /* assessments: (framework, unit) unique; a printed total may be absent */
    OK(d->save_assessment(f->c, &(dh_dti_assessment_row){0, f23, "vung-tau", 2023, "published",
                                                         true, 87.381, 10,
                                                         "[{\"code\":\"TOTAL\"}]",
                                                         "import:a.csv", 1, false, 500, 500},
                          &a1, &e));
    OK(d->save_assessment(f->c, &(dh_dti_assessment_row){0, f23, "ba-ria", 2023,
                                                         "self_assessment", false, 0, 0, NULL,
                                                         NULL, 0, true, 600, 600},
                          &a2, &e));
    int64_t a3 = 0;
    OK(d->save_assessment(f->c, &(dh_dti_assessment_row){0, f24, "vung-tau", 2024,
                                                         "self_assessment", false, 0, 0, NULL,
                                                         "self", 0, false, 700, 700},
                          &a3, &e));
    assert_true(a1 > 0 && a2 > 0 && a3 > 0 && a1 != a2);
    FAILS(DH_E_CONFLICT,
          d->save_assessment(f->c, &(dh_dti_assessment_row){0, f23, "ba-ria", 2023, "submitted",
                                                            false, 0, 0, NULL, NULL, 0, false, 1,
                                                            1},
                             NULL, &e));
    r = (rows){0};
    OK(d->list_assessments(f->c, f23, NULL, on_assessment, &r, &e));
    assert_int_equal(r.n, 2);
    char want[96];
    snprintf(want, sizeof want, "%lld/ba-ria/2023/self_assessment/-0.0000@0/[]//r0/1/600/600",
             (long long)f23);
    assert_string_equal(r.s[0], want);
    snprintf(want, sizeof want,
             "%lld/vung-tau/2023/published/87.3810@10/[{\"code\":\"TOTAL\"}]/import:a.csv/r1/0/"
             "500/500",
             (long long)f23);
    assert_string_equal(r.s[1], want);
    /* one unit over the years, latest first */
    r = (rows){0};
    OK(d->list_assessments(f->c, 0, "vung-tau", on_assessment, &r, &e));
    assert_int_equal(r.n, 2);
    assert_int_equal(r.id[0], a3);
    assert_int_equal(r.id[1], a1);
    /* an update changes the status, figures and updated_at, not the keys */
    int64_t got = 0;
    OK(d->save_assessment(f->c, &(dh_dti_assessment_row){a2, 999, "other", 2023, "submitted",
                                                         true, 50.5, 4, "[]", "self", 0, true,
                                                         9, 650},
                          &got, &e));
    assert_int_equal(got, a2);
    r = (rows){0};
    OK(d->list_assessments(f->c, f23, "ba-ria", on_assessment, &r, &e));
    assert_int_equal(r.n, 1);
    snprintf(want, sizeof want, "%lld/ba-ria/2023/submitted/50.5000@4/[]/self/r0/1/600/650",
             (long long)f23);
    assert_string_equal(r.s[0], want);
    FAILS(DH_E_NOTFOUND,
          d->save_assessment(f->c, &(dh_dti_assessment_row){a1 + a2 + a3 + 100, f23, "x", 2023,
                                                            "submitted", false, 0, 0, NULL, NULL,
                                                            0, false, 1, 1},
                             NULL, &e));

    /* entries: absent figures stay absent; a second put replaces; by code */
    OK(d->put_entry(f->c, &(dh_dti_entry_row){a1, "P1.1", true, true, false, false, 3, 75.5, 0,
                                              0, "bc-12.pdf", "tự đánh giá", "", 0, 0},
                    &e));
    OK(d->put_entry(f->c, &(dh_dti_entry_row){a1, "P1", false, false, true, false, 0, 0, 3.5, 0,
                                              NULL, NULL, NULL, 7, 4242},
                    &e));
    r = (rows){0};
    OK(d->list_entries(f->c, a1, on_entry, &r, &e));
    assert_int_equal(r.n, 2);
    assert_string_equal(r.s[0], "P1 - - 3.5 -||||7|t4242");
    assert_string_equal(r.s[1], "P1.1 3 75.5 - -|bc-12.pdf|tự đánh giá||0|t0");
    OK(d->put_entry(f->c, &(dh_dti_entry_row){a1, "P1.1", true, true, true, true, 3, 75.5, 2.5,
                                              60, "bc-12.pdf", "tự đánh giá", "thiếu minh chứng",
                                              0, 0},
                    &e));
    r = (rows){0};
    OK(d->list_entries(f->c, a1, on_entry, &r, &e));
    assert_int_equal(r.n, 2);
    assert_string_equal(r.s[1], "P1.1 3 75.5 2.5 60|bc-12.pdf|tự đánh giá|thiếu minh chứng|0|t0");
    r = (rows){0};
    OK(d->list_entries(f->c, a2, on_entry, &r, &e));
    assert_int_equal(r.n, 0);
    /* clearing one assessment's entries leaves the others' */
    OK(d->put_entry(f->c, &(dh_dti_entry_row){a2, "P1", true, false, false, false, 1, 0, 0, 0,
                                              NULL, NULL, NULL, 0, 0},
                    &e));
    OK(d->clear_entries(f->c, a1, &e));
    r = (rows){0};
    OK(d->list_entries(f->c, a1, on_entry, &r, &e));
    assert_int_equal(r.n, 0);
    r = (rows){0};
    OK(d->list_entries(f->c, a2, on_entry, &r, &e));
    assert_int_equal(r.n, 1);

    /* revisions: by number, (assessment, revision) unique */
    OK(d->add_revision(f->c, &(dh_dti_revision_row){a1, 2, 900, "admin", "sửa điểm P1",
                                                    "[{\"code\":\"P1\",\"points\":3.5}]"},
                       &e));
    OK(d->add_revision(f->c, &(dh_dti_revision_row){a1, 1, 800, "admin", "công bố", NULL}, &e));
    FAILS(DH_E_CONFLICT,
          d->add_revision(f->c, &(dh_dti_revision_row){a1, 1, 801, "x", "y", "[]"}, &e));
    r = (rows){0};
    OK(d->list_revisions(f->c, a1, on_revision, &r, &e));
    assert_int_equal(r.n, 2);
    assert_string_equal(r.s[0], "1@800 admin: công bố []");
    assert_string_equal(r.s[1], "2@900 admin: sửa điểm P1 [{\"code\":\"P1\",\"points\":3.5}]");
    r = (rows){0};
    OK(d->list_revisions(f->c, a2, on_revision, &r, &e));
    assert_int_equal(r.n, 0);
    /* a callback that stops ends the list */
    r = (rows){.stop_after = 1};
    OK(d->list_frameworks(f->c, NULL, 0, on_framework, &r, &e));
    assert_int_equal(r.n, 1);
}

static void runner_two_writers_no_lost_update(void **state)
{
    /* every statement that meets the other writer's lock fails at once, so
     * collisions happen and the runner must retry */
    two_writers(*state, DH_TX_WRITE, "0");
}

/* The same with the writers of a domain's tables (begin_domain: on
 * PostgreSQL a lower isolation level under the domain's lock, which must
 * keep the read-then-write of each atomic). They wait for each other
 * rather than fail, so retries are not required. */
static void runner_domain_writers_no_lost_update(void **state)
{
    two_writers(*state, DH_TX_DOSSIERS, "2000");
}

/* Another store on f's database (another process, as it were) and a
 * connection of it that waits 50 ms for a lock. */
static dh_conn *second_connection(const fx *f, dh_store **s2)
{
    dh_err e;
    setenv("DIEUHANH_BUSY_TIMEOUT_MS", "50", 1);
    *s2 = dh_store_open(f->url, false, &e);
    assert_non_null(*s2);
    dh_conn *c2 = dh_store_acquire(*s2, &e);
    unsetenv("DIEUHANH_BUSY_TIMEOUT_MS");
    assert_non_null(c2);
    return c2;
}

/* begin_domain: a second writer of the same domain waits for the first
 * and, past the busy timeout, is answered busy; once the first commits it
 * begins and reads what the first wrote. */
static void domain_writers_one_at_a_time(void **state)
{
    fx *f = *state;
    dh_err e;
    dh_store *s2;
    dh_conn *c2 = second_connection(f, &s2);
    const dh_store_ops *ops = f->ops;
    int64_t v = -1;
    OK(ops->begin_domain(f->c, "dossiers", &e));
    OK(DH_META(f->c)->meta_set(f->c, "domain_k", 7, &e));
    FAILS(DH_E_BUSY, ops->begin_domain(c2, "dossiers", &e));
    ops->rollback(c2);
    OK(ops->commit(f->c, &e));
    OK(ops->begin_domain(c2, "dossiers", &e));
    OK(DH_META(c2)->meta_get(c2, "domain_k", &v, &e));
    assert_int_equal(v, 7);
    OK(DH_META(c2)->meta_set(c2, "domain_k", 8, &e));
    OK(ops->commit(c2, &e));
    OK(DH_META(f->c)->meta_get(f->c, "domain_k", &v, &e));
    assert_int_equal(v, 8);
    dh_store_release(c2);
    dh_store_close(s2);
}

/* SQLite only: the journal the file's header names (byte 18, the write
 * version: 1 the rollback journal, 2 WAL); 0 for another backend. Read by a
 * child process: closing a descriptor of the file here would drop the
 * locks SQLite holds on it. */
static int header_journal(const fx *f)
{
    if (strcmp(f->ops->scheme, "sqlite") != 0)
        return 0;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        unsigned char h[20] = {0};
        FILE *fp = fopen(f->url + strlen("sqlite:"), "rb");
        _exit(fp && fread(h, 1, sizeof h, fp) == sizeof h ? h[18] : 255);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* begin_bulk: what a bulk writer wrote is there after its commit and gone
 * after its rollback; alone, on SQLite, it writes under the rollback
 * journal, and the file is back in WAL when it has ended either way; with
 * another connection open it stays in WAL; a second writer of the domain
 * waits for it (busy past the timeout) as for begin_domain. */
static void bulk_writer(void **state)
{
    fx *f = *state;
    dh_err e;
    const dh_store_ops *ops = f->ops;
    const dh_meta_ops *m = DH_META(f->c);
    bool sq = strcmp(ops->scheme, "sqlite") == 0;
    int64_t v = -1;
    OK(ops->begin_bulk(f->c, "dossiers", &e));
    OK(m->meta_set(f->c, "bulk_k", 1, &e));
    assert_int_equal(header_journal(f), sq ? 1 : 0);
    OK(ops->commit(f->c, &e));
    assert_int_equal(header_journal(f), sq ? 2 : 0);
    OK(m->meta_get(f->c, "bulk_k", &v, &e));
    assert_int_equal(v, 1);
    OK(ops->begin_bulk(f->c, "dossiers", &e));
    OK(m->meta_set(f->c, "bulk_k", 2, &e));
    ops->rollback(f->c);
    assert_int_equal(header_journal(f), sq ? 2 : 0);
    OK(m->meta_get(f->c, "bulk_k", &v, &e));
    assert_int_equal(v, 1);

    dh_store *s2;
    dh_conn *c2 = second_connection(f, &s2);
    OK(DH_META(c2)->meta_get(c2, "bulk_k", &v, &e)); /* c2 has the file open */
    OK(ops->begin_bulk(f->c, "dossiers", &e));
    OK(m->meta_set(f->c, "bulk_k", 3, &e));
    assert_int_equal(header_journal(f), sq ? 2 : 0);
    FAILS(DH_E_BUSY, ops->begin_domain(c2, "dossiers", &e));
    ops->rollback(c2);
    OK(ops->commit(f->c, &e));
    OK(DH_META(c2)->meta_get(c2, "bulk_k", &v, &e));
    assert_int_equal(v, 3);
    dh_store_release(c2);
    dh_store_close(s2);
}

/* ------------------------------------------------------------------ */
/* Citizen feedback (store/feedback.h, issue 17).                     */

static int on_fb_category(void *cl, const dh_fb_category_row *r)
{
    char s[96];
    snprintf(s, sizeof s, "%s|%s|%s|%s|%s|%d/%d|%s|%d", r->code, r->name, r->description, r->grp,
             r->keywords, r->accept_days, r->answer_days, r->limits_source, r->active);
    return add_row(cl, 0, s);
}

static int on_fb_route(void *cl, const dh_fb_route_row *r)
{
    char s[96];
    snprintf(s, sizeof s, "%s×%s→%s", r->category, r->commune, r->unit);
    return add_row(cl, 0, s);
}

static int on_fb_record(void *cl, const dh_fb_record_row *r)
{
    char s[96];
    if (r->has_location)
        snprintf(s, sizeof s, "%s %s %s %.4f,%.4f %s/%s %s d%lld %s r%d %s n%lld", r->code,
                 r->channel, r->category, r->lat, r->lon, r->commune, r->unit, r->state,
                 (long long)r->due_at, r->outcome, r->rating, r->contact_phone,
                 (long long)r->nevents);
    else
        snprintf(s, sizeof s, "%s %s %s - %s/%s %s d%lld %s r%d %s|%s|%s|%lld|%lld", r->code,
                 r->channel, r->category, r->commune, r->unit, r->state, (long long)r->due_at,
                 r->outcome, r->rating, r->answer, r->reason, r->contact_name,
                 (long long)r->answered_at, (long long)r->answer_minutes);
    return add_row(cl, r->id, s);
}

static int on_fb_event(void *cl, const dh_fb_event_row *r)
{
    char s[96];
    snprintf(s, sizeof s, "%lld:%s@%lld %s %s %s %d", (long long)r->seq, r->type,
             (long long)r->at, r->actor, r->unit, r->note, r->rating);
    return add_row(cl, r->record_id, s);
}

static int on_fb_attachment(void *cl, const dh_fb_attachment_row *r)
{
    char s[96];
    snprintf(s, sizeof s, "%s %s %s %zu %.*s", r->sha256, r->mime, r->name, r->size,
             (int)(r->size < 8 ? r->size : 8), (const char *)r->data);
    return add_row(cl, r->record_id, s);
}

static int on_fb_stats(void *cl, const dh_fb_stats_row *r)
{
    char s[96];
    snprintf(s, sizeof s, "%s rec%lld ans%lld ok%lld late%lld min%lld rated%lld sat%lld in%lld over%lld",
             r->unit, (long long)r->received, (long long)r->answered, (long long)r->on_time,
             (long long)r->late, (long long)r->answer_minutes_sum, (long long)r->rated,
             (long long)r->satisfied, (long long)r->open_within, (long long)r->open_overdue);
    if (r->category)
        snprintf(s + strlen(s), sizeof s - strlen(s), " %s", r->category);
    return add_row(cl, 0, s);
}

/* Refused by a CHECK or foreign key, *e filled. */
#define REFUSED(x)                                                                               \
    do {                                                                                         \
        dh_err_clear(&e);                                                                        \
        assert_int_not_equal((x), DH_OK);                                                        \
        assert_true(e.code[0] != '\0');                                                          \
    } while (0)

static void feedback_records_events(void **state)
{
    fx *f = *state;
    dh_err e;
    const dh_feedback_ops *d = DH_FEEDBACK(f->c);
    rows r = {0};

    /* categories: upsert by code, listed by code, one by code */
    OK(d->put_category(f->c, &(dh_fb_category_row){"roads", "Giao thông", "Đường hư", "Hạ tầng",
                                                   "đường,ổ gà", 1, 7, NULL, true}, &e));
    OK(d->put_category(f->c, &(dh_fb_category_row){"light", "Chiếu sáng", NULL, NULL, NULL, 1, 5,
                                                   "QĐ 12/2024", true}, &e));
    OK(d->put_category(f->c, &(dh_fb_category_row){"roads", "Giao thông, thoát nước", "", "Hạ tầng",
                                                   "", 2, 10, "default", false}, &e));
    OK(d->list_categories(f->c, NULL, on_fb_category, &r, &e));
    assert_int_equal(r.n, 2);
    assert_string_equal(r.s[0], "light|Chiếu sáng||||1/5|QĐ 12/2024|1");
    assert_string_equal(r.s[1], "roads|Giao thông, thoát nước||Hạ tầng||2/10|default|0");
    r = (rows){0};
    OK(d->list_categories(f->c, "light", on_fb_category, &r, &e));
    assert_int_equal(r.n, 1);
    /* a category's limits are positive (a CHECK: refused, the status is the
     * engine's: SQLite says conflict, PostgreSQL a database error) */
    REFUSED(d->put_category(f->c, &(dh_fb_category_row){"bad", "x", NULL, NULL, NULL,
                                                                     0, 7, NULL, true}, &e));

    /* routes: (category, commune) unique, upserted */
    OK(d->put_route(f->c, &(dh_fb_route_row){"light", "P1", "DL-P1"}, &e));
    OK(d->put_route(f->c, &(dh_fb_route_row){"", "P1", "UB-P1"}, &e));
    OK(d->put_route(f->c, &(dh_fb_route_row){"light", "P1", "DL-TP"}, &e));
    r = (rows){0};
    OK(d->list_routes(f->c, on_fb_route, &r, &e));
    assert_int_equal(r.n, 2);
    assert_string_equal(r.s[0], "×P1→UB-P1");
    assert_string_equal(r.s[1], "light×P1→DL-TP");

    /* records: insert, code unique, update keeps code, receipt and contact */
    int64_t a = 0, b = 0, c = 0;
    dh_fb_record_row ra = {0};
    ra.code = "PA-1";
    ra.channel = "portal";
    ra.category = "light";
    ra.description = "Đèn đường hỏng";
    ra.has_location = true;
    ra.lat = 10.3461;
    ra.lon = 107.0843;
    ra.commune = "P1";
    ra.unit = "UB-P1";
    ra.state = "received";
    ra.received_at = 1000;
    ra.updated_at = 1000;
    ra.due_at = 5000;
    ra.answer_due = 9000;
    ra.contact_name = "Nguyễn Văn A";
    ra.contact_phone = "0901";
    ra.client_addr = "10.0.0.1";
    ra.nevents = 1;
    OK(d->save_record(f->c, &ra, &a, &e));
    assert_true(a > 0);
    dh_fb_record_row rb = ra;
    rb.code = "PA-2";
    rb.has_location = false;
    rb.channel = "open311";
    rb.category = "roads";
    rb.commune = "P2";
    rb.unit = "UB-P2";
    rb.received_at = 2000;
    rb.due_at = 3000;
    rb.client_addr = "10.0.0.2";
    OK(d->save_record(f->c, &rb, &b, &e));
    dh_fb_record_row rc = rb;
    rc.code = "PA-3";
    rc.received_at = 3000;
    rc.due_at = 0;
    rc.state = "needs_info";
    OK(d->save_record(f->c, &rc, &c, &e));
    FAILS(DH_E_CONFLICT, d->save_record(f->c, &rc, NULL, &e));
    dh_fb_record_row bad = rc;
    bad.code = "PA-X";
    bad.description = "";
    REFUSED(d->save_record(f->c, &bad, NULL, &e));
    bad.description = "x";
    bad.channel = "fax";
    REFUSED(d->save_record(f->c, &bad, NULL, &e));
    bad.channel = "portal";
    bad.category = "nope";
    REFUSED(d->save_record(f->c, &bad, NULL, &e));
    /* answer b: the contact and the receipt are not changed by an update */
    rb.id = b;
    rb.state = "answered";
    rb.answered_at = 2500;
    rb.due_at = 0;
    rb.outcome = "on_time";
    rb.answer_minutes = 120;
    rb.answer = "Đã sửa";
    rb.rating = 5;
    rb.contact_name = "changed";
    rb.received_at = 1;
    rb.nevents = 3;
    OK(d->save_record(f->c, &rb, NULL, &e));
    rb.id = b + c + a + 100;
    FAILS(DH_E_NOTFOUND, d->save_record(f->c, &rb, NULL, &e));

    r = (rows){0};
    OK(d->list_records(f->c, &(dh_fb_filter){0}, on_fb_record, &r, &e));
    assert_int_equal(r.n, 3);
    assert_int_equal(r.id[0], c); /* received_at DESC */
    assert_int_equal(r.id[2], a);
    assert_string_equal(r.s[2], "PA-1 portal light 10.3461,107.0843 P1/UB-P1 received d5000  r0 "
                                "0901 n1");
    assert_string_equal(r.s[1], "PA-2 open311 roads - P2/UB-P2 answered d0 on_time r5 "
                                "Đã sửa||Nguyễn Văn A|2500|120");
    /* filters */
    r = (rows){0};
    OK(d->list_records(f->c, &(dh_fb_filter){.code = "PA-2"}, on_fb_record, &r, &e));
    assert_int_equal(r.n, 1);
    assert_int_equal(r.id[0], b);
    r = (rows){0};
    OK(d->list_records(f->c, &(dh_fb_filter){.id = a}, on_fb_record, &r, &e));
    assert_int_equal(r.n, 1);
    r = (rows){0};
    OK(d->list_records(f->c, &(dh_fb_filter){.open = 1, .order = 1}, on_fb_record, &r, &e));
    assert_int_equal(r.n, 2);
    assert_int_equal(r.id[0], a); /* by due_at, none last */
    assert_int_equal(r.id[1], c);
    r = (rows){0};
    OK(d->list_records(f->c, &(dh_fb_filter){.open = -1}, on_fb_record, &r, &e));
    assert_int_equal(r.n, 1);
    r = (rows){0};
    OK(d->list_records(f->c, &(dh_fb_filter){.answered_only = true, .order = 2}, on_fb_record, &r,
                       &e));
    assert_int_equal(r.n, 1);
    r = (rows){0};
    OK(d->list_records(f->c, &(dh_fb_filter){.unit = "UB-P2", .category = "roads", .commune = "P2"},
                       on_fb_record, &r, &e));
    assert_int_equal(r.n, 2);
    r = (rows){0};
    OK(d->list_records(f->c, &(dh_fb_filter){.from = 1500, .to = 3000}, on_fb_record, &r, &e));
    assert_int_equal(r.n, 1);
    assert_int_equal(r.id[0], b);
    r = (rows){0};
    OK(d->list_records(f->c, &(dh_fb_filter){.client_addr = "10.0.0.1"}, on_fb_record, &r, &e));
    assert_int_equal(r.n, 1);
    r = (rows){0};
    OK(d->list_records(f->c, &(dh_fb_filter){.limit = 2}, on_fb_record, &r, &e));
    assert_int_equal(r.n, 2);

    /* events: by seq, (record, seq) unique, append-only */
    OK(d->add_event(f->c, &(dh_fb_event_row){b, 2, "accept", 2100, "cb1", "", "", 0}, &e));
    OK(d->add_event(f->c, &(dh_fb_event_row){b, 1, "received", 2000, "", "UB-P2", "", 0}, &e));
    OK(d->add_event(f->c, &(dh_fb_event_row){b, 3, "rate", 2600, "", "", "", 5}, &e));
    FAILS(DH_E_CONFLICT,
          d->add_event(f->c, &(dh_fb_event_row){b, 3, "close", 2700, "", "", "", 0}, &e));
    REFUSED(d->add_event(f->c, &(dh_fb_event_row){b, 4, "nonsense", 2700, "", "", "", 0}, &e));
    r = (rows){0};
    OK(d->list_events(f->c, b, on_fb_event, &r, &e));
    assert_int_equal(r.n, 3);
    assert_string_equal(r.s[0], "1:received@2000  UB-P2  0");
    assert_string_equal(r.s[1], "2:accept@2100 cb1   0");
    assert_string_equal(r.s[2], "3:rate@2600    5");
    r = (rows){0};
    OK(d->list_events(f->c, a, on_fb_event, &r, &e));
    assert_int_equal(r.n, 0);

    /* attachments: by content hash, at most 5 MB */
    OK(d->put_attachment(f->c, &(dh_fb_attachment_row){a, "bb", "image/png", "den.png",
                                                       "\x89PNG\r\n\x1a\n", 8}, &e));
    OK(d->put_attachment(f->c, &(dh_fb_attachment_row){a, "aa", "image/jpeg", "", "\xff\xd8\xff",
                                                       3}, &e));
    FAILS(DH_E_CONFLICT, d->put_attachment(f->c, &(dh_fb_attachment_row){a, "aa", "image/jpeg",
                                                                         "", "x", 1}, &e));
    FAILS(DH_E_TOOLARGE,
          d->put_attachment(f->c, &(dh_fb_attachment_row){a, "cc", "image/png", "", "x",
                                                          DH_FB_ATTACH_MAX + 1}, &e));
    r = (rows){0};
    OK(d->list_attachments(f->c, a, on_fb_attachment, &r, &e));
    assert_int_equal(r.n, 2);
    assert_string_equal(r.s[0], "aa image/jpeg  3 \xff\xd8\xff");
    assert_memory_equal(r.s[1], "bb image/png den.png 8 \x89PNG\r\n\x1a\n", 30);

    /* stats per unit: received in [1500, 4000), answered in it, open at 4000 */
    r = (rows){0};
    OK(d->stats(f->c, 1500, 4000, 4000, on_fb_stats, &r, &e));
    assert_int_equal(r.n, 2);
    assert_string_equal(r.s[0], "UB-P1 rec0 ans0 ok0 late0 min0 rated0 sat0 in1 over0");
    assert_string_equal(r.s[1], "UB-P2 rec2 ans1 ok1 late0 min120 rated1 sat1 in1 over0");
    r = (rows){0};
    OK(d->stats(f->c, 0, 1500, 6000, on_fb_stats, &r, &e));
    assert_string_equal(r.s[0], "UB-P1 rec1 ans0 ok0 late0 min0 rated0 sat0 in0 over1");
    /* per unit and category: a second category in UB-P2 */
    dh_fb_record_row rd = ra;
    rd.code = "PA-4";
    rd.unit = "UB-P2";
    rd.commune = "P2";
    rd.received_at = 2500;
    rd.updated_at = 2500;
    rd.due_at = 3500;
    OK(d->save_record(f->c, &rd, NULL, &e));
    r = (rows){0};
    OK(d->stats_by_category(f->c, 1500, 4000, 4000, on_fb_stats, &r, &e));
    assert_int_equal(r.n, 3);
    assert_string_equal(r.s[0], "UB-P1 rec0 ans0 ok0 late0 min0 rated0 sat0 in1 over0 light");
    assert_string_equal(r.s[1], "UB-P2 rec1 ans0 ok0 late0 min0 rated0 sat0 in0 over1 light");
    assert_string_equal(r.s[2], "UB-P2 rec2 ans1 ok1 late0 min120 rated1 sat1 in1 over0 roads");
    /* a callback that stops ends the list */
    r = (rows){.stop_after = 1};
    OK(d->list_records(f->c, &(dh_fb_filter){0}, on_fb_record, &r, &e));
    assert_int_equal(r.n, 1);
}

static int on_fb_reminder(void *cl, const dh_fb_reminder_row *r)
{
    char s[128], day[DH_DATE_TEXT_LEN];
    dh_date_format(r->day, day);
    snprintf(s, sizeof s, "%s %s %s %s %s @%lld due=%lld %s", r->unit, day, r->kind, r->code,
             r->message, (long long)r->created_at, (long long)r->due_at, r->state);
    return add_row(cl, r->id, s);
}

static int on_fb_media(void *cl, const dh_fb_record_row *r)
{
    return add_row(cl, r->id, r->media_url);
}

/* The feedback aggregates (core/fbagg.h) against a count of the records:
 * random inserts and updates through save_record (units changed, states,
 * answers, ratings, deadlines, a receipt that an update must keep, an
 * update of a record that does not exist), then the KPIs computed from the
 * cells (agg_cells) and the open records due on the day (count_open_due),
 * as the readers' copy (app/fbaggs.c) does, must equal stats, the count of
 * the records, for random periods and instants; and again after
 * agg_rebuild. Then the cells' revisions. */
static int on_fb_stats_nonzero(void *cl, const dh_fb_stats_row *r)
{
    if (!r->received && !r->answered && !r->open_within && !r->open_overdue)
        return 0;
    return on_fb_stats(cl, r);
}

/* Per unit, the sums of the cells that core/fbagg.h dh_fbfigures_of takes. */
typedef struct fbsum {
    char unit[8];
    dh_fbcell period, upto, before;
    int64_t due;
} fbsum;

typedef struct fbsums {
    dh_date from, to, today;
    fbsum v[16];
    int n, ncells;
    int64_t maxrev;
} fbsums;

static fbsum *fbsum_of(fbsums *s, const char *unit)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->v[i].unit, unit))
            return &s->v[i];
    assert_true(s->n < 16);
    fbsum *u = &s->v[s->n++];
    memset(u, 0, sizeof *u);
    STR(u->unit, unit);
    return u;
}

static int on_fb_cell(void *cl, const char *unit, dh_date day, const dh_fbcell *cell, int64_t rev)
{
    fbsums *s = cl;
    fbsum *u = fbsum_of(s, unit);
    if (day >= s->from && day <= s->to)
        dh_fbcell_add(&u->period, cell, +1);
    if (day <= s->today)
        dh_fbcell_add(&u->upto, cell, +1);
    if (day < s->today)
        dh_fbcell_add(&u->before, cell, +1);
    if (rev > s->maxrev)
        s->maxrev = rev;
    s->ncells++;
    return 0;
}

static int on_fb_due(void *cl, const char *unit, int64_t n)
{
    fbsum_of(cl, unit)->due = n;
    return 0;
}

static int cmp_fbsum(const void *a, const void *b)
{
    return strcmp(((const fbsum *)a)->unit, ((const fbsum *)b)->unit);
}

/* The stats rows of the cells for [from, to] at `at`, ascending units. */
static void fb_agg_rows(fx *f, int64_t after_rev, dh_date from, dh_date to, time_t at, rows *out)
{
    dh_err e;
    const dh_feedback_ops *d = DH_FEEDBACK(f->c);
    fbsums s = {0};
    s.from = from;
    s.to = to;
    s.today = dh_date_of_time_vn(at);
    OK(d->agg_cells(f->c, after_rev, on_fb_cell, &s, &e));
    OK(d->count_open_due(f->c, dh_date_start_vn(s.today), at, on_fb_due, &s, &e));
    qsort(s.v, (size_t)s.n, sizeof s.v[0], cmp_fbsum);
    for (int i = 0; i < s.n; i++) {
        dh_fbfigures g;
        dh_fbfigures_of(&s.v[i].period, &s.v[i].upto, &s.v[i].before, s.v[i].due, &g);
        dh_fb_stats_row r = {s.v[i].unit, g.received,  g.answered,    g.on_time,
                             g.late,      g.answer_minutes, g.rated,  g.satisfied,
                             g.open_within, g.open_overdue, NULL};
        on_fb_stats_nonzero(out, &r);
    }
}

static uint64_t fb_rand_state = 88172645463325252ULL;

static int64_t fb_rand(int64_t n)
{
    fb_rand_state ^= fb_rand_state << 13;
    fb_rand_state ^= fb_rand_state >> 7;
    fb_rand_state ^= fb_rand_state << 17;
    return (int64_t)(fb_rand_state % (uint64_t)n);
}

/* A random summary for rec (code, category and the rest kept): times
 * within [base, base + 30 days), a deadline up to ten days later. */
static void fb_random_summary(dh_fb_record_row *r, time_t base)
{
    static const char *const units[] = {"U1", "U2", "U3"};
    static const char *const states[] = {"received", "accepted",  "rejected", "in_progress",
                                         "needs_info", "answered", "closed"};
    static const char *const outcomes[] = {"", "on_time", "late"};
    r->unit = units[fb_rand(3)];
    r->state = states[fb_rand(7)];
    r->received_at = base + (time_t)fb_rand(30 * 86400);
    r->updated_at = r->received_at;
    bool answered = !strcmp(r->state, "answered") || (!strcmp(r->state, "closed") && fb_rand(2));
    r->answered_at = answered ? r->received_at + (time_t)fb_rand(10 * 86400) : 0;
    r->outcome = answered ? outcomes[fb_rand(3)] : "";
    r->answer_minutes = answered ? fb_rand(4000) : 0;
    r->rating = answered ? (int)fb_rand(6) : 0;
    r->due_at = fb_rand(5) ? r->received_at + (time_t)fb_rand(40 * 86400) : 0;
}

static void fb_agg_compare(fx *f, time_t base)
{
    dh_err e;
    const dh_feedback_ops *d = DH_FEEDBACK(f->c);
    dh_date b = dh_date_of_time_vn(base);
    for (int k = 0; k < 12; k++) {
        dh_date from = b - 2 + (dh_date)fb_rand(45), to = from + (dh_date)fb_rand(20);
        /* after every receipt (the count's open figures are "received
         * before at"; the cells' "on or before at's day") */
        time_t at = base + 30 * 86400 + (time_t)fb_rand(12 * 86400);
        rows want = {0}, got = {0};
        OK(d->stats(f->c, dh_date_start_vn(from), dh_date_start_vn(to + 1), at,
                    on_fb_stats_nonzero, &want, &e));
        fb_agg_rows(f, -1, from, to, at, &got);
        assert_int_equal(got.n, want.n);
        for (int i = 0; i < want.n; i++)
            assert_string_equal(got.s[i], want.s[i]);
    }
}

static void feedback_aggregates(void **state)
{
    fx *f = *state;
    dh_err e;
    const dh_feedback_ops *d = DH_FEEDBACK(f->c);
    OK(d->put_category(f->c, &(dh_fb_category_row){"light", "Chiếu sáng", NULL, NULL, NULL, 1, 7,
                                                   NULL, true}, &e));
    time_t base = dh_date_start_vn(D(2025, 1, 20)) + 3600;
    enum { NREC = 40 };
    int64_t ids[NREC];
    char codes[NREC][16];
    for (int i = 0; i < NREC; i++) {
        dh_fb_record_row r = {0};
        snprintf(codes[i], sizeof codes[i], "PA-%d", i);
        r.code = codes[i];
        r.channel = "portal";
        r.category = "light";
        r.description = "Đèn hỏng";
        fb_random_summary(&r, base);
        OK(d->save_record(f->c, &r, &ids[i], &e));
    }
    fb_agg_compare(f, base);
    for (int step = 0; step < 200; step++) {
        dh_fb_record_row r = {0};
        r.id = ids[fb_rand(NREC)];
        r.channel = "portal";
        r.category = "light";
        r.description = "Đèn hỏng";
        fb_random_summary(&r, base); /* its received_at is not written */
        if (step % 50 == 49) {
            r.id = 1000000 + step; /* none: nothing counted */
            FAILS(DH_E_NOTFOUND, d->save_record(f->c, &r, NULL, &e));
        } else {
            OK(d->save_record(f->c, &r, NULL, &e));
        }
        if (step % 40 == 0)
            fb_agg_compare(f, base);
    }
    fb_agg_compare(f, base);
    OK(d->agg_rebuild(f->c, &e));
    fb_agg_compare(f, base);

    /* revisions: a rebuild's cells have rev 0; each save_record bumps
     * fb_agg_rev and writes the cells it changes under it; a cell left all
     * zero is kept with its new rev (a reader must see it change) */
    fbsums all = {0}, none = {0}, since = {0};
    OK(d->agg_cells(f->c, -1, on_fb_cell, &all, &e));
    OK(d->agg_cells(f->c, 0, on_fb_cell, &none, &e));
    assert_true(all.ncells > 0);
    assert_int_equal(all.maxrev, 0);
    assert_int_equal(none.ncells, 0);
    int64_t rev0 = 0, rev1 = 0;
    OK(DH_META(f->c)->meta_get(f->c, DH_FB_AGG_REV, &rev0, &e));
    dh_fb_record_row r = {0};
    r.code = "PA-U9";
    r.channel = "portal";
    r.category = "light";
    r.description = "Đèn hỏng";
    r.unit = "U9";
    r.state = "received";
    r.received_at = r.updated_at = base + 86400;
    r.due_at = base + 3 * 86400;
    int64_t id9;
    OK(d->save_record(f->c, &r, &id9, &e));
    OK(DH_META(f->c)->meta_get(f->c, DH_FB_AGG_REV, &rev1, &e));
    assert_int_equal(rev1, rev0 + 1);
    since.from = since.today = DH_DATE_NONE;
    since.to = 0;
    OK(d->agg_cells(f->c, rev0, on_fb_cell, &since, &e));
    assert_int_equal(since.ncells, 2); /* received and open on its day, due on its deadline's */
    assert_int_equal(since.n, 1);
    assert_string_equal(since.v[0].unit, "U9");
    assert_int_equal(since.maxrev, rev1);
    /* rejected: both cells back to zero, kept, under the next rev */
    r.id = id9;
    r.state = "rejected";
    r.due_at = 0;
    OK(d->save_record(f->c, &r, NULL, &e));
    fbsums after = {0};
    after.from = after.today = DH_DATE_NONE;
    OK(d->agg_cells(f->c, rev1, on_fb_cell, &after, &e));
    assert_int_equal(after.ncells, 2);
    assert_int_equal(after.maxrev, rev1 + 1);
    rows got = {0};
    fb_agg_rows(f, -1, dh_date_of_time_vn(base), dh_date_of_time_vn(base) + 5, base + 86400 + 60,
                &got);
    bool u9 = false;
    for (int i = 0; i < got.n; i++)
        u9 |= !strcmp(got.s[i], "U9 rec1 ans0 ok0 late0 min0 rated0 sat0 in0 over0");
    assert_true(u9); /* received, not open */
    /* agg_add itself: added to the cell, the cell's rev set */
    dh_date day9 = dh_date_of_time_vn(base + 86400);
    OK(d->agg_add(f->c, "U9", day9, &(dh_fbcell){{0, 0, 0, 0, 0, 0, 0, 0, 1}}, rev1 + 7, &e));
    fbsums added = {0};
    added.from = added.to = day9;
    added.today = day9 + 1;
    OK(d->agg_cells(f->c, rev1 + 1, on_fb_cell, &added, &e));
    assert_int_equal(added.ncells, 1);
    assert_int_equal(added.maxrev, rev1 + 7);
    assert_int_equal(added.v[0].period.n[DH_FBC_RECEIVED], 1);
    assert_int_equal(added.v[0].period.n[DH_FBC_DUE], 1);
}

/* Reminders (unique per unit, day, kind, record; newest first, paged), the
 * state and answered_before filters of the auto-close, media_url. */
static void feedback_reminders_media_close(void **state)
{
    fx *f = *state;
    dh_err e;
    const dh_feedback_ops *d = DH_FEEDBACK(f->c);
    rows r = {0};
    OK(d->put_category(f->c, &(dh_fb_category_row){"light", "Chiếu sáng", NULL, NULL, NULL, 1, 7,
                                                   NULL, true}, &e));
    dh_fb_record_row ra = {0};
    ra.code = "PA-1";
    ra.channel = "open311";
    ra.category = "light";
    ra.description = "Đèn hỏng";
    ra.unit = "UB-P1";
    ra.state = "answered";
    ra.received_at = 1000;
    ra.updated_at = 1000;
    ra.answered_at = 2000;
    ra.media_url = "https://example.org/a.jpg";
    int64_t a = 0, b = 0, c = 0;
    OK(d->save_record(f->c, &ra, &a, &e));
    dh_fb_record_row rb = ra;
    rb.code = "PA-2";
    rb.answered_at = 5000;
    rb.media_url = NULL;
    OK(d->save_record(f->c, &rb, &b, &e));
    dh_fb_record_row rc = ra;
    rc.code = "PA-3";
    rc.state = "received";
    rc.answered_at = 0;
    rc.due_at = 1500;
    OK(d->save_record(f->c, &rc, &c, &e));
    OK(d->list_records(f->c, &(dh_fb_filter){.code = "PA-1"}, on_fb_media, &r, &e));
    assert_int_equal(r.n, 1);
    assert_string_equal(r.s[0], "https://example.org/a.jpg");
    /* an update writes it too (an image attached later) */
    rb.id = b;
    rb.media_url = "/api/v1/feedback/PA-2/attachments/aa";
    rb.nevents = 2;
    OK(d->save_record(f->c, &rb, NULL, &e));
    r = (rows){0};
    OK(d->list_records(f->c, &(dh_fb_filter){.code = "PA-2"}, on_fb_media, &r, &e));
    assert_string_equal(r.s[0], "/api/v1/feedback/PA-2/attachments/aa");
    rb.media_url = NULL;
    OK(d->save_record(f->c, &rb, NULL, &e));
    r = (rows){0};
    OK(d->list_records(f->c, &(dh_fb_filter){.code = "PA-2"}, on_fb_media, &r, &e));
    assert_string_equal(r.s[0], "");
    /* answered before 3000: PA-1 only; the state filter alone: both */
    r = (rows){0};
    OK(d->list_records(f->c, &(dh_fb_filter){.state = "answered", .answered_before = 3000},
                       on_fb_media, &r, &e));
    assert_int_equal(r.n, 1);
    assert_int_equal(r.id[0], a);
    r = (rows){0};
    OK(d->list_records(f->c, &(dh_fb_filter){.state = "answered"}, on_fb_media, &r, &e));
    assert_int_equal(r.n, 2);
    r = (rows){0};
    OK(d->list_records(f->c, &(dh_fb_filter){.state = "received"}, on_fb_media, &r, &e));
    assert_int_equal(r.n, 1);
    assert_int_equal(r.id[0], c);

    dh_date d1 = dh_date_from_ymd(2026, 12, 1), d2 = dh_date_from_ymd(2026, 12, 2);
    bool ins = false;
    OK(d->put_reminder(f->c, &(dh_fb_reminder_row){0, "UB-P1", d1, "overdue", c, "Quá hạn", 10,
                                                   NULL, 0, NULL}, &ins, &e));
    assert_true(ins);
    OK(d->put_reminder(f->c, &(dh_fb_reminder_row){0, "UB-P1", d1, "overdue", c, "again", 11,
                                                   NULL, 0, NULL}, &ins, &e));
    assert_false(ins); /* the same unit, day, kind and record: kept once */
    OK(d->put_reminder(f->c, &(dh_fb_reminder_row){0, "UB-P1", d2, "at_risk", c, "Sắp hạn", 20,
                                                   NULL, 0, NULL}, &ins, &e));
    assert_true(ins);
    OK(d->put_reminder(
        f->c, &(dh_fb_reminder_row){0, "UB-P2", d2, "overdue", a, "P2", 30, NULL, 0, NULL}, &ins,
        &e));
    assert_true(ins);
    REFUSED(d->put_reminder(
        f->c, &(dh_fb_reminder_row){0, "UB-P1", d2, "soon", c, "x", 1, NULL, 0, NULL}, &ins, &e));
    r = (rows){0};
    OK(d->list_reminders(f->c, "UB-P1", 0, 10, on_fb_reminder, &r, &e));
    assert_int_equal(r.n, 2);
    assert_string_equal(r.s[0], "UB-P1 2026-12-02 at_risk PA-3 Sắp hạn @20 due=1500 received");
    assert_string_equal(r.s[1], "UB-P1 2026-12-01 overdue PA-3 Quá hạn @10 due=1500 received");
    int64_t newest = r.id[0];
    r = (rows){0};
    OK(d->list_reminders(f->c, "UB-P1", newest, 10, on_fb_reminder, &r, &e));
    assert_int_equal(r.n, 1);
    r = (rows){0};
    OK(d->list_reminders(f->c, NULL, 0, 2, on_fb_reminder, &r, &e));
    assert_int_equal(r.n, 2);
    assert_string_equal(r.s[0], "UB-P2 2026-12-02 overdue PA-1 P2 @30 due=0 answered");
}

/* ------------------------------------------------------------------ */
/* The daily late-dossier reports (issue 19).                         */

typedef struct late_seen {
    int n;
    char unit[8][16], parent[8][16], items[8][64];
    dh_date day[8];
    int64_t overdue[8], apologies[8];
    time_t made_at[8];
    bool mailed[8];
    int stop_after;
} late_seen;

static int on_late(void *closure, const dh_late_report_row *r)
{
    late_seen *s = closure;
    if (s->n < 8) {
        snprintf(s->unit[s->n], 16, "%s", r->unit);
        snprintf(s->parent[s->n], 16, "%s", r->parent);
        snprintf(s->items[s->n], 64, "%s", r->items);
        s->day[s->n] = r->day;
        s->overdue[s->n] = r->overdue;
        s->apologies[s->n] = r->apologies;
        s->made_at[s->n] = r->made_at;
        s->mailed[s->n] = r->mailed;
    }
    s->n++;
    return s->stop_after && s->n >= s->stop_after;
}

static void latereports_put_mark_list(void **state)
{
    fx *f = *state;
    dh_err e;
    dh_conn *c = f->c;
    const dh_latereports_ops *L = DH_LATEREPORTS(c);
    dh_date d1 = dh_date_from_ymd(2026, 12, 1), d2 = dh_date_from_ymd(2026, 12, 2);
    bool ins = false;
    dh_late_report_row a = {"VT-P1", d1, "BRVT-VT", 2, 1, "[{\"code\":\"X\"}]", 1000, false};
    OK(L->put_late_report(c, &a, &ins, &e));
    assert_true(ins);
    /* a day is reported once: the second put keeps the first row */
    dh_late_report_row a2 = {"VT-P1", d1, "BRVT-VT", 9, 9, "[]", 2000, true};
    OK(L->put_late_report(c, &a2, &ins, &e));
    assert_false(ins);
    dh_late_report_row b = {"VT-P2", d1, "BRVT-VT", 1, 0, "[]", 1001, false};
    dh_late_report_row c2 = {"VT-P1", d2, "BRVT-VT", 3, 0, "[]", 1002, false};
    dh_late_report_row x = {"BR-P1", d2, "BRVT-BR", 1, 1, "[]", 1003, false};
    OK(L->put_late_report(c, &b, &ins, &e));
    OK(L->put_late_report(c, &c2, &ins, &e));
    OK(L->put_late_report(c, &x, &ins, &e));
    /* to a parent: newest day first, then by unit */
    late_seen s = {0};
    OK(L->list_late_reports(c, "BRVT-VT", NULL, DH_DATE_NONE, DH_DATE_NONE, on_late, &s, &e));
    assert_int_equal(s.n, 3);
    assert_string_equal(s.unit[0], "VT-P1");
    assert_true(s.day[0] == d2);
    assert_string_equal(s.unit[1], "VT-P1");
    assert_true(s.day[1] == d1);
    assert_int_equal(s.overdue[1], 2);
    assert_int_equal(s.apologies[1], 1);
    assert_string_equal(s.items[1], "[{\"code\":\"X\"}]");
    assert_int_equal((int64_t)s.made_at[1], 1000);
    assert_false(s.mailed[1]);
    assert_string_equal(s.unit[2], "VT-P2");
    assert_string_equal(s.parent[2], "BRVT-VT");
    /* a day range, a unit, both */
    s = (late_seen){0};
    OK(L->list_late_reports(c, "BRVT-VT", NULL, d1, d1, on_late, &s, &e));
    assert_int_equal(s.n, 2);
    s = (late_seen){0};
    OK(L->list_late_reports(c, NULL, "VT-P1", d2, DH_DATE_NONE, on_late, &s, &e));
    assert_int_equal(s.n, 1);
    assert_true(s.day[0] == d2);
    s = (late_seen){0};
    OK(L->list_late_reports(c, NULL, NULL, DH_DATE_NONE, DH_DATE_NONE, on_late, &s, &e));
    assert_int_equal(s.n, 4);
    assert_string_equal(s.unit[0], "BR-P1");
    s = (late_seen){.stop_after = 1};
    OK(L->list_late_reports(c, NULL, NULL, DH_DATE_NONE, DH_DATE_NONE, on_late, &s, &e));
    assert_int_equal(s.n, 1);
    /* mailed: marked once found; a missing report is NOTFOUND */
    OK(L->mark_late_report_mailed(c, "VT-P1", d1, &e));
    FAILS(DH_E_NOTFOUND, L->mark_late_report_mailed(c, "VT-P9", d1, &e));
    s = (late_seen){0};
    OK(L->list_late_reports(c, NULL, "VT-P1", d1, d1, on_late, &s, &e));
    assert_int_equal(s.n, 1);
    assert_true(s.mailed[0]);
}

/* ------------------------------------------------------------------ */
/* The register of 5G stations (issue 19).                            */

typedef struct st_seen {
    int n;
    char site[8][16], op[8][16], commune[8][16], addr[8][32], tech[8][8], src[8][16];
    double lat[8], lon[8];
    bool synthetic[8];
    int rank[8];
    dh_date day[8];
    int stop_after;
} st_seen;

static int on_station(void *closure, const dh_station_row *r)
{
    st_seen *s = closure;
    snprintf(s->site[0], 16, "%s", r->site_code);
    snprintf(s->op[0], 16, "%s", r->operator_unit);
    snprintf(s->commune[0], 16, "%s", r->commune);
    snprintf(s->addr[0], 32, "%s", r->address);
    snprintf(s->tech[0], 8, "%s", r->technology);
    snprintf(s->src[0], 16, "%s", r->source);
    s->lat[0] = r->lat;
    s->lon[0] = r->lon;
    s->synthetic[0] = r->synthetic;
    s->n++;
    return 0;
}

static int on_step(void *closure, const dh_station_step_row *r)
{
    st_seen *s = closure;
    if (s->n < 8) {
        snprintf(s->site[s->n], 16, "%s", r->station->site_code);
        snprintf(s->op[s->n], 16, "%s", r->station->operator_unit);
        snprintf(s->src[s->n], 16, "%s", r->source);
        s->rank[s->n] = r->rank;
        s->day[s->n] = r->date;
        s->lat[s->n] = r->station->lat;
    }
    s->n++;
    return s->stop_after && s->n >= s->stop_after;
}

static void stations_put_get_steps(void **state)
{
    fx *f = *state;
    dh_err e;
    dh_conn *c = f->c;
    const dh_stations_ops *S = DH_STATIONS(c);
    st_seen s = {0};
    FAILS(DH_E_NOTFOUND, S->get_station(c, "VT-001", on_station, &s, &e));
    bool ins = false;
    dh_station_row a = {"VT-001", "BRVT-VIETTEL", "VT-P1", "12 Trần Phú", "5G NR", "import",
                        10.3460, 107.0843, true, 1000};
    OK(S->put_station(c, &a, &ins, &e));
    assert_true(ins);
    dh_station_row a2 = {"VT-001", "BRVT-VNPT", "VT-P2", "", "4G", "", 0, 0, false, 2000};
    OK(S->put_station(c, &a2, &ins, &e));
    assert_false(ins); /* kept */
    OK(S->get_station(c, "VT-001", on_station, &s, &e));
    assert_int_equal(s.n, 1);
    assert_string_equal(s.op[0], "BRVT-VIETTEL");
    assert_string_equal(s.commune[0], "VT-P1");
    assert_string_equal(s.addr[0], "12 Trần Phú");
    assert_string_equal(s.tech[0], "5G NR");
    assert_string_equal(s.src[0], "import");
    assert_true(s.lat[0] == 10.3460 && s.lon[0] == 107.0843);
    assert_true(s.synthetic[0]);
    dh_station_row b = {"BR-001", "BRVT-VNPT", "BR-P1", "", "5G NR", "", 10.5, 107.2, false, 1000};
    OK(S->put_station(c, &b, &ins, &e));
    dh_date d1 = dh_date_from_ymd(2024, 7, 1), d2 = dh_date_from_ymd(2024, 9, 1),
            d3 = dh_date_from_ymd(2024, 11, 1);
    OK(S->put_station_step(c, "VT-001", 0, d1, "kh", 1000, &ins, &e));
    assert_true(ins);
    OK(S->put_station_step(c, "VT-001", 0, d2, "other", 1001, &ins, &e));
    assert_false(ins); /* a rank once */
    OK(S->put_station_step(c, "VT-001", 3, d3, "bc", 1002, &ins, &e));
    OK(S->put_station_step(c, "BR-001", 2, d2, "", 1003, &ins, &e));
    /* every step, by site then rank */
    s = (st_seen){0};
    OK(S->list_station_steps(c, NULL, DH_DATE_NONE, on_step, &s, &e));
    assert_int_equal(s.n, 3);
    assert_string_equal(s.site[0], "BR-001");
    assert_int_equal(s.rank[0], 2);
    assert_string_equal(s.site[1], "VT-001");
    assert_int_equal(s.rank[1], 0);
    assert_true(s.day[1] == d1);
    assert_string_equal(s.src[1], "kh");
    assert_string_equal(s.op[1], "BRVT-VIETTEL");
    assert_true(s.lat[1] == 10.3460);
    assert_int_equal(s.rank[2], 3);
    assert_true(s.day[2] == d3);
    /* as of a date; one site */
    s = (st_seen){0};
    OK(S->list_station_steps(c, NULL, d2, on_step, &s, &e));
    assert_int_equal(s.n, 2);
    s = (st_seen){0};
    OK(S->list_station_steps(c, "VT-001", DH_DATE_NONE, on_step, &s, &e));
    assert_int_equal(s.n, 2);
    s = (st_seen){0};
    OK(S->list_station_steps(c, "VT-001", d1 - 1, on_step, &s, &e));
    assert_int_equal(s.n, 0);
    s = (st_seen){.stop_after = 1};
    OK(S->list_station_steps(c, NULL, DH_DATE_NONE, on_step, &s, &e));
    assert_int_equal(s.n, 1);
    /* a step of a station that does not exist is refused */
    assert_int_not_equal(S->put_station_step(c, "NONE", 0, d1, "", 1, &ins, &e), DH_OK);
}

/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */
/* Units' boundaries (store/geo.h, issue 17).                         */

static int on_boundary(void *cl, const dh_boundary_row *r)
{
    char s[96];
    snprintf(s, sizeof s, "%s@%s %.2f,%.2f-%.2f,%.2f %.20s", r->unit, r->valid_from, r->min_lon,
             r->min_lat, r->max_lon, r->max_lat, r->geometry);
    return add_row(cl, 0, s);
}

static void geo_boundaries(void **state)
{
    fx *f = *state;
    dh_err e;
    const dh_geo_ops *g = DH_GEO(f->c);
    rows r = {0};
    int64_t n = -1;
    OK(g->count_boundaries(f->c, &n, &e));
    assert_int_equal(n, 0);
    const char *sq = "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}";
    OK(g->put_boundary(f->c, &(dh_boundary_row){"VT-P1", "2020-01-01", sq, 107.05, 10.3, 107.1,
                                                  10.35}, &e));
    OK(g->put_boundary(f->c, &(dh_boundary_row){"HCM-VUNGTAU", "2025-07-01", "{}", 107.0, 10.3,
                                                  107.2, 10.4}, &e));
    OK(g->put_boundary(f->c, &(dh_boundary_row){"VT-P1", "2023-01-01", "{\"v\":2}", 107.05, 10.3,
                                                  107.15, 10.35}, &e));
    /* (unit, valid_from) is the key: a second import replaces */
    OK(g->put_boundary(f->c, &(dh_boundary_row){"VT-P1", "2020-01-01", "{\"v\":1}", 107.05, 10.3,
                                                  107.1, 10.35}, &e));
    OK(g->count_boundaries(f->c, &n, &e));
    assert_int_equal(n, 3);
    OK(g->list_boundaries(f->c, true, 0, 0, on_boundary, &r, &e));
    assert_int_equal(r.n, 3);
    assert_string_equal(r.s[0], "HCM-VUNGTAU@2025-07-01 107.00,10.30-107.20,10.40 {}");
    assert_string_equal(r.s[1], "VT-P1@2020-01-01 107.05,10.30-107.10,10.35 {\"v\":1}");
    assert_string_equal(r.s[2], "VT-P1@2023-01-01 107.05,10.30-107.15,10.35 {\"v\":2}");
    /* by bounding box, edges included */
    r = (rows){0};
    OK(g->list_boundaries(f->c, false, 107.12, 10.32, on_boundary, &r, &e));
    assert_int_equal(r.n, 2);
    assert_true(strncmp(r.s[0], "HCM-VUNGTAU@", 12) == 0);
    assert_true(strncmp(r.s[1], "VT-P1@2023-01-01", 16) == 0);
    r = (rows){0};
    OK(g->list_boundaries(f->c, false, 107.1, 10.35, on_boundary, &r, &e));
    assert_int_equal(r.n, 3);
    r = (rows){0};
    OK(g->list_boundaries(f->c, false, 107.3, 10.32, on_boundary, &r, &e));
    assert_int_equal(r.n, 0);
    /* the callback stops the listing */
    r = (rows){.stop_after = 1};
    OK(g->list_boundaries(f->c, true, 0, 0, on_boundary, &r, &e));
    assert_int_equal(r.n, 1);
    /* a box upside down is refused */
    REFUSED(g->put_boundary(f->c, &(dh_boundary_row){"VT-P2", "2020-01-01", "{}", 108, 10.3, 107,
                                                       10.4}, &e));
    OK(g->count_boundaries(f->c, &n, &e));
    assert_int_equal(n, 3);
}

/* ---- store/backup.h -------------------------------------------------- */

static void count_steps(void *closure, int64_t done, int64_t total)
{
    assert_true(done >= 0 && done <= total);
    (*(int *)closure)++;
}

static void set_marker(fx *f, int64_t v)
{
    dh_err e;
    OK(f->ops->begin(f->c, true, &e));
    OK(DH_META(f->c)->meta_set(f->c, "backup_marker", v, &e));
    OK(f->ops->commit(f->c, &e));
}

static int64_t marker_of(const char *url)
{
    dh_err e;
    int64_t v = -1;
    dh_store *s = dh_store_open(url, false, &e);
    assert_non_null(s);
    dh_conn *c = dh_store_acquire(s, &e);
    assert_non_null(c);
    OK(DH_META(c)->meta_get(c, "backup_marker", &v, &e));
    dh_store_release(c);
    dh_store_close(s);
    return v;
}

/* On SQLite: a backup holds what was committed before it and not what came
 * after, never overwrites a file, is recognised by inspect with this
 * binary's schema version, restores into a new database, and restores over
 * a database holding data only with force; a file of anything else is
 * refused naming it. Backends with their own tools (PostgreSQL) refuse
 * every call and name them, writing nothing. */
static void backup_restore_or_refuse(void **state)
{
    fx *f = *state;
    dh_err e;
    const char *loc;
    const dh_store_ops *ops = dh_store_backend(f->url, &loc, &e);
    assert_non_null(ops);
    assert_non_null(ops->backup);
    char out[600], target[640], url[660];
    snprintf(out, sizeof out, "/tmp/dh-conformance-backup-%d-%d.db", (int)getpid(), f->n);
    snprintf(target, sizeof target, "%s-restored", out);
    unlink(out);
    unlink(target);
    int64_t bytes = 0;
    int v = 0, steps = 0;
    if (strcmp(ops->scheme, "sqlite") != 0) {
        assert_int_equal(ops->backup->backup(loc, out, NULL, NULL, &bytes, &e), DH_E_INVALID);
        assert_non_null(strstr(e.message, "pg_dump"));
        assert_int_equal(access(out, F_OK), -1);
        assert_int_equal(ops->backup->inspect(out, &v, &e), DH_E_INVALID);
        assert_non_null(strstr(e.message, "pg_restore"));
        assert_int_equal(ops->backup->restore(out, loc, true, NULL, NULL, &e), DH_E_INVALID);
        return;
    }
    set_marker(f, 7);
    OK(ops->backup->backup(loc, out, count_steps, &steps, &bytes, &e));
    assert_true(bytes > 0 && steps >= 1);
    set_marker(f, 8);
    assert_int_equal(ops->backup->backup(loc, out, NULL, NULL, &bytes, &e), DH_E_CONFLICT);
    OK(ops->backup->inspect(out, &v, &e));
    assert_int_equal(v, dh_store_latest_version("sqlite"));
    OK(ops->backup->restore(out, target, false, NULL, NULL, &e));
    snprintf(url, sizeof url, "sqlite:%s", target);
    assert_int_equal(marker_of(url), 7);
    assert_int_equal(ops->backup->restore(out, loc, false, NULL, NULL, &e), DH_E_CONFLICT);
    assert_int_equal(marker_of(f->url), 8);
    OK(ops->backup->restore(out, loc, true, NULL, NULL, &e));
    assert_int_equal(marker_of(f->url), 7);
    FILE *junk = fopen(target, "w");
    assert_non_null(junk);
    fputs("SQLite format 2, or so it says\n", junk);
    fclose(junk);
    assert_int_equal(ops->backup->inspect(target, &v, &e), DH_E_INVALID);
    assert_non_null(strstr(e.message, target));
    static const char *const tails[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof tails / sizeof *tails; i++) {
        snprintf(url, sizeof url, "%s%s", target, tails[i]);
        unlink(url);
    }
    unlink(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(migrations_once_newer_refused, open_bare, close_db),
#define T(name) cmocka_unit_test_setup_teardown(name, open_migrated, close_db)
        T(transactions_rollback_commit_isolation),
        T(store_call_fault),
        T(meta_and_revisions),
        T(database_size),
        T(client_memory),
        T(units_save_versions_events_links),
        T(people_users),
        T(people_credentials_throttling),
        T(audit_append_list_page_append_only),
        T(calendars_schedules_assignments),
        T(procedures_versions),
        T(dossier_events_idempotent),
        T(dossiers_put_get_list_page),
        T(dossiers_open_pages_across_units),
        T(dossiers_ties_by_code),
        T(dossiers_keyset_pages),
        T(aggregates_keys_cells_facts),
        T(aggregates_cells_in_slices),
        T(aggregates_snapshot_parts),
        T(dossier_events_bulk),
        T(dossiers_insert_bulk),
        T(dossiers_and_cells_bulk),
        T(index766_config_manual),
        T(plans_files_tasks_updates),
        T(plans_inbox_contacts),
        T(indicators_receipts_values),
        T(indicators_values_bulk),
        T(indicators_obligations_approvals),
        T(targets_dirty_eval_list),
        T(dti_frameworks_assessments),
        T(feedback_records_events),
        T(feedback_reminders_media_close),
        T(feedback_aggregates),
        T(geo_boundaries),
        T(runner_two_writers_no_lost_update),
        T(jobs_claim_done_lapse),
        T(jobs_two_nodes_claim_once),
        T(latereports_put_mark_list),
        T(stations_put_get_steps),
        T(rows_tables_columns_count),
        T(rows_insert_scan_values),
        T(rows_forward_reference_and_refusal),
        T(rows_clear_and_sequences),
        T(runner_survives_a_lost_connection),
        T(runner_domain_writers_no_lost_update),
        T(domain_writers_one_at_a_time),
        T(bulk_writer),
        T(backup_restore_or_refuse),
#undef T
    };
    /* DH_TEST_ONLY: only the tests whose names match the pattern (* and ?),
     * e.g. DH_TEST_ONLY='meta*' (cmocka_set_test_filter). */
    const char *only = getenv("DH_TEST_ONLY");
    if (only && *only)
        cmocka_set_test_filter(only);
    print_message("store conformance against %s (each test on a fresh database from it)\n",
                  base_url());
    return cmocka_run_group_tests(tests, NULL, NULL);
}
