/* sq_audit.c - the SQLite backend of store/audit.h: the append-only audit trail. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/audit.h"
#include "store/sqlite/sq.h"
#include "util/buf.h"

/* ------------------------------------------------------------------ */
/* Audit.                                                             */

static dh_status sq_append_audit(dh_conn *c, const dh_audit_row *a, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "INSERT INTO audit_log(at, actor_user_id, actor, token_id, action, "
                            "entity, entity_key, unit_code, outcome, before_json, after_json, ip) "
                            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)a->at);
    dh_sq_bind_id(st, 2, a->actor_user_id);
    dh_sq_bind_text(st, 3, a->actor ? a->actor : "");
    dh_sq_bind_id(st, 4, a->token_id);
    dh_sq_bind_text(st, 5, a->action);
    dh_sq_bind_text(st, 6, a->entity);
    dh_sq_bind_text(st, 7, a->entity_key ? a->entity_key : "");
    dh_sq_bind_text(st, 8, a->unit_code ? a->unit_code : "");
    dh_sq_bind_text(st, 9, a->outcome ? a->outcome : "ok");
    dh_sq_bind_text(st, 10, a->before_json);
    dh_sq_bind_text(st, 11, a->after_json);
    dh_sq_bind_text(st, 12, a->ip ? a->ip : "");
    return dh_sq_run(c, st, "append audit", e);
}

static dh_status sq_list_audit(dh_conn *c, const dh_audit_filter *f, dh_audit_cb cb,
                               void *closure, dh_err *e)
{
    /* One statement with optional filters: a NULL parameter disables its
     * condition, so no SQL text is ever assembled from input. */
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "SELECT id, at, actor_user_id, actor, token_id, action, entity, "
                            "entity_key, unit_code, outcome, before_json, after_json, ip "
                            "FROM audit_log WHERE id > ?1 "
                            "AND (?2 IS NULL OR entity = ?2) "
                            "AND (?3 IS NULL OR unit_code = ?3) "
                            "AND (?4 IS NULL OR at >= ?4) "
                            "ORDER BY id LIMIT ?5",
                            e);
    int rc;
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, f->after_id);
    dh_sq_bind_text(st, 2, f->entity);
    dh_sq_bind_text(st, 3, f->unit_code);
    if (f->since)
        sqlite3_bind_int64(st, 4, (sqlite3_int64)f->since);
    sqlite3_bind_int(st, 5, f->limit);
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_audit_row a = {sqlite3_column_int64(st, 0),
                          (time_t)sqlite3_column_int64(st, 1),
                          sqlite3_column_int64(st, 2),
                          dh_sq_col_text(st, 3),
                          sqlite3_column_int64(st, 4),
                          dh_sq_col_text(st, 5),
                          dh_sq_col_text(st, 6),
                          dh_sq_col_text(st, 7),
                          dh_sq_col_text(st, 8),
                          dh_sq_col_text(st, 9),
                          dh_sq_col_text_or_null(st, 10),
                          dh_sq_col_text_or_null(st, 11),
                          dh_sq_col_text(st, 12)};
        if (cb(closure, &a))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "read audit log");
}

/* The triggers of migration 001 refuse UPDATE and DELETE with RAISE(ABORT),
 * which SQLite reports as a constraint failure of the one statement; the
 * savepoint is rolled back anyway, so that a backend (or a schema) without
 * the triggers is reported and left as it was. */
static dh_status sq_check_append_only(dh_conn *c, int64_t id, dh_err *e)
{
    static const char *const tries[] = {"UPDATE audit_log SET outcome = 'changed' WHERE id = ?",
                                        "DELETE FROM audit_log WHERE id = ?"};
    static const char *const names[] = {"an UPDATE", "a DELETE"};
    sqlite3_stmt *st = dh_sq_stmt(c, "SELECT 1 FROM audit_log WHERE id = ?", e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, id);
    int rc = dh_sq_step(st);
    dh_status s = rc == SQLITE_ROW    ? DH_OK
                  : rc == SQLITE_DONE ? dh_err_set(e, DH_E_NOTFOUND, "not_found", NULL,
                                                   "there is no audit row %lld", (long long)id)
                                      : dh_sq_db_error(c, e, "read audit log");
    sqlite3_reset(st);
    if (s || (s = dh_sq_exec(c, "SAVEPOINT dh_audit_check", "check audit log", e)))
        return s;
    const char *allowed = NULL;
    for (size_t i = 0; i < sizeof tries / sizeof *tries && s == DH_OK; i++) {
        if (!(st = dh_sq_stmt(c, tries[i], e))) {
            s = DH_E_DB;
            break;
        }
        sqlite3_bind_int64(st, 1, id);
        rc = dh_sq_step(st);
        if (rc == SQLITE_DONE && !allowed)
            allowed = names[i];
        else if (rc != SQLITE_DONE && (rc & 0xff) != SQLITE_CONSTRAINT)
            s = dh_sq_db_error(c, e, "check audit log");
        sqlite3_reset(st);
    }
    dh_err e2;
    if (dh_sq_exec(c, "ROLLBACK TO dh_audit_check; RELEASE dh_audit_check", "check audit log",
                   &e2) &&
        s == DH_OK)
        s = dh_err_set(e, e2.status, e2.code, NULL, "%s", e2.message);
    if (s == DH_OK && allowed)
        s = dh_err_set(e, DH_E_INTERNAL, "audit_not_append_only", NULL,
                       "the database let %s of audit row %lld through (rolled back)", allowed,
                       (long long)id);
    return s;
}

const dh_audit_ops dh_sqlite_audit_ops = {
    .append_audit = sq_append_audit,
    .list_audit = sq_list_audit,
    .check_append_only = sq_check_append_only,
};
