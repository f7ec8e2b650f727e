/* test_app.c - the application layer over a real SQLite file: migrations
 * and the newer-schema refusal, unit writes with audit rows, the
 * append-only audit table, passwords and tokens, throttling, and
 * all-or-nothing CSV import. */
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
#include "app/demo.h"
#include "app/internal.h"
#include "util/buf.h"

typedef struct fixture {
    char dir[64];
    char path[128];
    char url[160];
    dh_app *app;
    dh_actor cli;
} fixture;

static const time_t NOW = 1767225600; /* 2026-01-01T00:00:00Z */

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
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[200];
    dh_app_close(f->app);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static json_t *J(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!j)
        fail_msg("bad test JSON: %s", je.text);
    return j;
}

static dh_status create(fixture *f, const dh_actor *a, const char *body, dh_err *e)
{
    json_t *in = J(body), *out = NULL;
    dh_status st = dh_app_unit_create(f->app, a, in, NOW, &out, e);
    json_decref(in);
    json_decref(out);
    return st;
}

static int count_rows(fixture *f, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    int n = -1;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void test_newer_schema_refused(void **state)
{
    fixture *f = *state;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=999", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    dh_err e;
    assert_null(dh_app_open(f->url, true, &e));
    assert_int_equal(e.status, DH_E_VERSION);
    assert_string_equal(e.code, "database_too_new");
    assert_non_null(strstr(e.message, "999"));
    assert_null(dh_app_open(f->url, false, &e));
    assert_int_equal(e.status, DH_E_VERSION);
}

static void test_wal_and_foreign_keys(void **state)
{
    fixture *f = *state;
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
    dh_err e;
    assert_null(dh_app_open("mysql:x", true, &e));
    assert_string_equal(e.code, "invalid_db_url");
}

static void test_create_audited_and_audit_append_only(void **state)
{
    fixture *f = *state;
    dh_err e;
    assert_int_equal(create(f, &f->cli,
                            "{\"code\":\"P\",\"name\":\"Tỉnh A\",\"kind\":\"province\","
                            "\"valid_from\":\"2000-01-01\"}",
                            &e),
                     DH_OK);
    assert_int_equal(count_rows(f, "SELECT count(*) FROM audit_log WHERE entity='unit' AND "
                                   "action='create' AND entity_key='P' AND after_json LIKE "
                                   "'%Tỉnh A%'"),
                     1);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db, "UPDATE audit_log SET actor='x'", NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db, "DELETE FROM audit_log", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    /* A refused write changes nothing and writes no "ok" audit row. */
    assert_int_equal(create(f, &f->cli,
                            "{\"code\":\"X\",\"name\":\"X\",\"kind\":\"commune\",\"parent\":\"NO\","
                            "\"valid_from\":\"2000-01-01\"}",
                            &e),
                     DH_E_CONFLICT);
    assert_int_equal(count_rows(f, "SELECT count(*) FROM units"), 1);
    assert_int_equal(count_rows(f, "SELECT count(*) FROM audit_log"), 1);
}

/* The units of a scope are remembered by registry revision: a unit added
 * under a district is in the district's next scope. */
static void test_scope_follows_the_registry(void **state)
{
    fixture *f = *state;
    dh_err e;
    assert_int_equal(create(f, &f->cli,
                            "{\"code\":\"P\",\"name\":\"Tỉnh A\",\"kind\":\"province\","
                            "\"valid_from\":\"2000-01-01\"}",
                            &e),
                     DH_OK);
    assert_int_equal(create(f, &f->cli,
                            "{\"code\":\"D1\",\"name\":\"Huyện 1\",\"kind\":\"district\","
                            "\"parent\":\"P\",\"valid_from\":\"2000-01-01\"}",
                            &e),
                     DH_OK);
    char *u = NULL;
    for (int i = 0; i < 2; i++) { /* computed, then remembered */
        assert_int_equal(dh_app_scope_units(f->app, &f->cli, "P", true, NOW, &u, &e), DH_OK);
        assert_string_equal(u, "[\"P\",\"D1\"]");
        free(u);
    }
    assert_int_equal(dh_app_scope_units(f->app, &f->cli, "P", false, NOW, &u, &e), DH_OK);
    assert_string_equal(u, "[\"P\"]");
    free(u);
    assert_int_equal(create(f, &f->cli,
                            "{\"code\":\"C1\",\"name\":\"Xã 1\",\"kind\":\"commune\","
                            "\"parent\":\"D1\",\"valid_from\":\"2000-01-01\"}",
                            &e),
                     DH_OK);
    assert_int_equal(dh_app_scope_units(f->app, &f->cli, "P", true, NOW, &u, &e), DH_OK);
    assert_string_equal(u, "[\"P\",\"D1\",\"C1\"]");
    free(u);
}

static void test_officer_scope_and_denied_audit(void **state)
{
    fixture *f = *state;
    dh_err e;
    assert_int_equal(create(f, &f->cli,
                            "{\"code\":\"P\",\"name\":\"Tỉnh\",\"kind\":\"province\","
                            "\"valid_from\":\"2000-01-01\"}",
                            &e),
                     DH_OK);
    assert_int_equal(create(f, &f->cli,
                            "{\"code\":\"A\",\"name\":\"Sở A\",\"kind\":\"department\","
                            "\"parent\":\"P\",\"valid_from\":\"2000-01-01\"}",
                            &e),
                     DH_OK);
    assert_int_equal(create(f, &f->cli,
                            "{\"code\":\"B\",\"name\":\"Sở B\",\"kind\":\"department\","
                            "\"parent\":\"P\",\"valid_from\":\"2000-01-01\"}",
                            &e),
                     DH_OK);
    dh_user_spec s = {"off.a", "password-a", "officer", "A", "Officer A"};
    json_t *out = NULL;
    assert_int_equal(dh_app_user_create(f->app, &f->cli, &s, NOW, &out, &e), DH_OK);
    json_decref(out);
    char *token = NULL, *csrf = NULL;
    json_t *user = NULL;
    int retry;
    assert_int_equal(dh_app_login(f->app, "off.a", "password-a", "127.0.0.1", NOW, &token, &csrf,
                                  &user, &retry, &e),
                     DH_OK);
    json_decref(user);
    dh_actor a;
    assert_int_equal(dh_app_authenticate(f->app, token, NOW, &a, &e), DH_OK);
    assert_string_equal(a.unit_code, "A");
    assert_int_equal(a.role, DH_ROLE_OFFICER);
    assert_int_equal(create(f, &a,
                            "{\"code\":\"A1\",\"name\":\"Phòng A1\",\"kind\":\"office\","
                            "\"parent\":\"A\",\"valid_from\":\"2001-01-01\"}",
                            &e),
                     DH_OK);
    assert_int_equal(create(f, &a,
                            "{\"code\":\"B1\",\"name\":\"Phòng B1\",\"kind\":\"office\","
                            "\"parent\":\"B\",\"valid_from\":\"2001-01-01\"}",
                            &e),
                     DH_E_FORBIDDEN);
    assert_int_equal(count_rows(f, "SELECT count(*) FROM audit_log WHERE outcome='denied' AND "
                                   "actor='off.a' AND entity_key='B1'"),
                     1);
    assert_int_equal(count_rows(f, "SELECT count(*) FROM units WHERE code='B1'"), 0);
    /* A session expires after 12 hours. */
    assert_int_equal(dh_app_authenticate(f->app, token, NOW + 13 * 3600, &a, &e), DH_E_AUTH);
    free(token);
    free(csrf);
}

static void test_passwords_tokens_throttle(void **state)
{
    fixture *f = *state;
    dh_err e;
    json_t *out = NULL;
    dh_user_spec weak = {"w", "short", "admin", NULL, NULL};
    assert_int_equal(dh_app_user_create(f->app, &f->cli, &weak, NOW, &out, &e), DH_E_INVALID);
    assert_string_equal(e.code, "weak_password");
    dh_user_spec s = {"root.admin", "correct horse", "admin", NULL, NULL};
    assert_int_equal(dh_app_user_create(f->app, &f->cli, &s, NOW, &out, &e), DH_OK);
    json_decref(out);
    assert_int_equal(dh_app_user_create(f->app, &f->cli, &s, NOW, &out, &e), DH_E_CONFLICT);
    /* Stored as an Argon2id hash, never in clear. */
    assert_int_equal(count_rows(f, "SELECT count(*) FROM users WHERE password_hash LIKE "
                                   "'$argon2id$%' AND password_hash NOT LIKE '%correct horse%'"),
                     1);
    char *token = NULL, *csrf = NULL;
    json_t *user = NULL;
    int retry = 0;
    for (int i = 0; i < 5; i++)
        assert_int_equal(dh_app_login(f->app, "root.admin", "wrong", "10.0.0.1", NOW, &token,
                                      &csrf, &user, &retry, &e),
                         DH_E_AUTH);
    assert_int_equal(dh_app_login(f->app, "root.admin", "correct horse", "10.0.0.1", NOW, &token,
                                  &csrf, &user, &retry, &e),
                     DH_E_THROTTLED);
    assert_true(retry > 0);
    /* After the window the right password works again. */
    assert_int_equal(dh_app_login(f->app, "root.admin", "correct horse", "10.0.0.1",
                                  NOW + 16 * 60, &token, &csrf, &user, &retry, &e),
                     DH_OK);
    json_decref(user);
    free(csrf);
    dh_actor a;
    assert_int_equal(dh_app_authenticate(f->app, token, NOW + 16 * 60, &a, &e), DH_OK);
    char *secret = NULL;
    assert_int_equal(dh_app_token_create(f->app, &a, NULL, "sync", NULL, NOW, &secret, &out, &e),
                     DH_OK);
    int64_t id = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    /* Only a hash of the token is stored. */
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM credentials WHERE hash = '%s'", secret);
    assert_int_equal(count_rows(f, sql), 0);
    dh_actor t;
    assert_int_equal(dh_app_authenticate(f->app, secret, NOW, &t, &e), DH_OK);
    assert_true(t.is_token);
    assert_string_equal(t.token_name, "sync");
    assert_int_equal(dh_app_token_revoke(f->app, &a, id, NOW, &e), DH_OK);
    assert_int_equal(dh_app_authenticate(f->app, secret, NOW, &t, &e), DH_E_AUTH);
    free(secret);
    free(token);
}

static void test_import_all_or_nothing(void **state)
{
    fixture *f = *state;
    dh_err e;
    const char *csv = "code,name,short_name,kind,parent,valid_from,valid_to\n"
                      "P,Tỉnh,,province,,2000-01-01,\n"
                      "C1,\"Xã 1, mới\",,commune,P,2000-01-01,\n"
                      "C2,Xã 2,,village,P,2000-01-01,\n"
                      "C3,Xã 3,,commune,P,2000-02-30,\n";
    FILE *in = fmemopen((void *)csv, strlen(csv), "r");
    dh_import_report rep;
    assert_int_equal(dh_app_unit_import(f->app, &f->cli, in, "u.csv", false, NOW, &rep, NULL, NULL,
                                        &e),
                     DH_E_INVALID);
    fclose(in);
    assert_int_equal(rep.refused, 2);
    assert_int_equal(rep.nmessages, 2);
    assert_non_null(strstr(rep.messages[0], "u.csv:4:"));
    assert_non_null(strstr(rep.messages[0], "kind"));
    assert_non_null(strstr(rep.messages[1], "u.csv:5:"));
    assert_non_null(strstr(rep.messages[1], "valid_from"));
    dh_import_report_free(&rep);
    assert_int_equal(count_rows(f, "SELECT count(*) FROM units"), 0);

    in = fmemopen((void *)csv, strlen(csv), "r");
    assert_int_equal(dh_app_unit_import(f->app, &f->cli, in, "u.csv", true, NOW, &rep, NULL, NULL,
                                        &e),
                     DH_OK);
    fclose(in);
    assert_int_equal(rep.taken, 2);
    assert_int_equal(rep.refused, 2);
    dh_import_report_free(&rep);
    assert_int_equal(count_rows(f, "SELECT count(*) FROM units"), 2);
    assert_int_equal(count_rows(f, "SELECT count(*) FROM unit_versions WHERE name='Xã 1, mới'"),
                     1);
}

/* The KPIs written as text (the API's reply) are the KPIs as a tree, member
 * for member, for every grouping, on the demo's dossiers. */
static void test_kpis_text_is_the_tree(void **state)
{
    fixture *f = *state;
    dh_err e;
    dh_demo_summary sum;
    assert_int_equal(dh_demo_load(f->app, &f->cli, NOW, &sum, &e), DH_OK);
    const char *groups[] = {NULL, "unit", "procedure", "field", "month"};
    const char *units[] = {"HCM", "BRVT-VT", "VT-P1"};
    dh_date from = dh_date_from_ymd(2024, 1, 1), to = dh_date_from_ymd(2025, 12, 31);
    int rows = 0;
    for (size_t u = 0; u < 3; u++)
        for (size_t g = 0; g < 5; g++)
            for (int sub = 0; sub < 2; sub++) {
                json_t *tree;
                assert_int_equal(dh_app_kpis_filtered(f->app, &f->cli, units[u], sub, NULL, NULL,
                                                      from, to, groups[g], 0, NOW, &tree, &e),
                                 DH_OK);
                dh_buf b = DH_BUF_INIT;
                dh_buf_puts(&b, "x"); /* written at the end of what is there */
                assert_int_equal(dh_app_kpis_text(f->app, &f->cli, units[u], sub, NULL, NULL,
                                                  from, to, groups[g], 0, NOW, &b, &e),
                                 DH_OK);
                assert_int_equal(b.p[0], 'x');
                json_error_t je;
                json_t *text = json_loadb(b.p + 1, b.len - 1, 0, &je);
                assert_non_null(text);
                if (!json_equal(text, tree)) {
                    char *x = json_dumps(tree, JSON_SORT_KEYS), *y = json_dumps(text, JSON_SORT_KEYS);
                    assert_string_equal(y, x);
                }
                rows += (int)json_array_size(json_object_get(tree, "items"));
                json_decref(text);
                json_decref(tree);
                dh_buf_free(&b);
            }
    assert_true(rows > 20);
    /* an unknown unit: the same error */
    dh_buf b = DH_BUF_INIT;
    assert_int_equal(dh_app_kpis_text(f->app, &f->cli, "NO", true, NULL, NULL, from, to, "unit", 0,
                                      NOW, &b, &e),
                     DH_E_INVALID);
    dh_buf_free(&b);
}

static void test_demo_loads(void **state)
{
    fixture *f = *state;
    dh_err e;
    dh_demo_summary sum;
    assert_int_equal(dh_demo_load(f->app, &f->cli, NOW, &sum, &e), DH_OK);
    assert_false(sum.already);
    assert_true(sum.units > 30);
    assert_true(sum.events >= 5);
    const dh_unitreg *r = dh_app_units_acquire(f->app, &e);
    assert_non_null(r);
    int32_t vt = dh_unitreg_find(r, "BRVT-VT");
    assert_true(vt >= 0);
    int32_t *kids;
    dh_date d;
    dh_date_parse("2024-12-31", &d);
    size_t n = dh_unitreg_children(r, vt, d, &kids);
    size_t communes = 0;
    for (size_t i = 0; i < n; i++)
        communes += r->u[kids[i]].kind == DH_UNIT_COMMUNE;
    free(kids);
    assert_int_equal(communes, 17);
    int32_t nu = dh_unitreg_find(r, "HCM-VUNGTAU");
    int32_t *pre;
    n = dh_unitreg_lineage(r, nu, false, &pre);
    const char *want[] = {"VT-P1", "VT-P2", "VT-P3", "VT-P4", "VT-P5", "VT-TNHI", "VT-TTAM"};
    assert_int_equal(n, 7);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(r->u[pre[i]].code, want[i]);
    free(pre);
    dh_app_units_release(f->app, r);
    assert_int_equal(dh_demo_load(f->app, &f->cli, NOW, &sum, &e), DH_OK);
    assert_true(sum.already);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wal_and_foreign_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_audited_and_audit_append_only, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_scope_follows_the_registry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kpis_text_is_the_tree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_officer_scope_and_denied_audit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_passwords_tokens_throttle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_demo_loads, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
