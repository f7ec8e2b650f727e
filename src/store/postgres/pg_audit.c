/* pg_audit.c - the PostgreSQL backend of store/audit.h: the append-only audit trail. */
#include <libpq-fe.h>
#include <string.h>

#include "store/audit.h"
#include "store/postgres/pg.h"

static dh_status pg_append_audit(dh_conn *c, const dh_audit_row *a, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, (int64_t)a->at);
    dh_pg_id(&p, a->actor_user_id);
    dh_pg_text(&p, a->actor ? a->actor : "");
    dh_pg_id(&p, a->token_id);
    dh_pg_text(&p, a->action);
    dh_pg_text(&p, a->entity);
    dh_pg_text(&p, a->entity_key ? a->entity_key : "");
    dh_pg_text(&p, a->unit_code ? a->unit_code : "");
    dh_pg_text(&p, a->outcome ? a->outcome : "ok");
    dh_pg_text(&p, a->before_json);
    dh_pg_text(&p, a->after_json);
    dh_pg_text(&p, a->ip ? a->ip : "");
    return dh_pg_exec(c,
                      "INSERT INTO audit_log(at, actor_user_id, actor, token_id, action, entity, "
                      "entity_key, unit_code, outcome, before_json, after_json, ip) "
                      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                      &p, NULL, "append audit", e);
}

static dh_status pg_list_audit(dh_conn *c, const dh_audit_filter *f, dh_audit_cb cb,
                               void *closure, dh_err *e)
{
    /* One statement with optional filters: a NULL parameter disables its
     * condition, so no SQL text is ever assembled from input. A negative
     * limit is no limit, as in SQLite. */
    dh_pg_params p = {0};
    PGresult *res;
    dh_pg_int(&p, f->after_id);
    dh_pg_text(&p, f->entity);
    dh_pg_text(&p, f->unit_code);
    if (f->since)
        dh_pg_int(&p, (int64_t)f->since);
    else
        dh_pg_null(&p);
    dh_pg_int(&p, f->limit);
    dh_status s = dh_pg_exec(c,
                             "SELECT id, at, actor_user_id, actor, token_id, action, entity, "
                             "entity_key, unit_code, outcome, before_json, after_json, ip "
                             "FROM audit_log WHERE id > $1 "
                             "AND ($2::text IS NULL OR entity = $2::text) "
                             "AND ($3::text IS NULL OR unit_code = $3::text) "
                             "AND ($4::bigint IS NULL OR at >= $4::bigint) "
                             "ORDER BY id "
                             "LIMIT CASE WHEN $5::bigint < 0 THEN NULL ELSE $5::bigint END",
                             &p, &res, "read audit log", e);
    if (s)
        return s;
    for (int r = 0, n = PQntuples(res); r < n; r++) {
        dh_audit_row a = {dh_pg_col_int(res, r, 0),
                          (time_t)dh_pg_col_int(res, r, 1),
                          dh_pg_col_int(res, r, 2),
                          dh_pg_col_text(res, r, 3),
                          dh_pg_col_int(res, r, 4),
                          dh_pg_col_text(res, r, 5),
                          dh_pg_col_text(res, r, 6),
                          dh_pg_col_text(res, r, 7),
                          dh_pg_col_text(res, r, 8),
                          dh_pg_col_text(res, r, 9),
                          dh_pg_col_text_or_null(res, r, 10),
                          dh_pg_col_text_or_null(res, r, 11),
                          dh_pg_col_text(res, r, 12)};
        if (cb(closure, &a))
            break;
    }
    PQclear(res);
    return DH_OK;
}

/* The triggers of migration 001 refuse UPDATE and DELETE by raising an
 * error, which aborts the statement and (in PostgreSQL) the transaction
 * around it: each try therefore runs inside its own savepoint, rolled back
 * whether the try failed or not, so that the caller's transaction goes on
 * and a schema without the triggers is reported and left as it was.
 * Savepoints need a transaction block: outside one, the check runs inside
 * a write transaction of its own (the backend's begin) rolled back at the
 * end. Inside a read-only transaction the database would refuse the tries
 * for that reason alone, which proves nothing, so that is an error.
 * A refused try is an integrity-constraint error (SQLSTATE class 23, as
 * SQLite's check is for SQLITE_CONSTRAINT; the trigger raises 23001), told
 * by the "(SQLSTATE 23...)" that pg_base.c's error mapping appends; any
 * other error of a try (busy, a missing column, a lost connection) is
 * reported as it is. */
static dh_status pg_check_append_only(dh_conn *c, int64_t id, dh_err *e)
{
    static const char *const tries[] = {"UPDATE audit_log SET outcome = 'changed' WHERE id = $1",
                                        "DELETE FROM audit_log WHERE id = $1"};
    static const char *const names[] = {"an UPDATE", "a DELETE"};
    bool own_tx = !c->in_tx && PQtransactionStatus(c->pg) == PQTRANS_IDLE;
    dh_status s;
    if (own_tx && (s = dh_postgres_ops.begin(c, true, e)))
        return s;

    dh_pg_params p = {0};
    PGresult *res;
    dh_pg_int(&p, id);
    s = dh_pg_exec(c,
                   "SELECT (SELECT count(*) FROM audit_log WHERE id = $1), "
                   "current_setting('transaction_read_only')",
                   &p, &res, "read audit log", e);
    if (s == DH_OK) {
        bool found = PQntuples(res) == 1 && dh_pg_col_int(res, 0, 0) > 0;
        bool read_only = PQntuples(res) == 1 && strcmp(dh_pg_col_text(res, 0, 1), "on") == 0;
        PQclear(res);
        if (!found)
            s = dh_err_set(e, DH_E_NOTFOUND, "not_found", NULL, "there is no audit row %lld",
                           (long long)id);
        else if (read_only)
            s = dh_err_set(e, DH_E_DB, "database_error", NULL,
                           "check audit log: cannot try changes inside a read-only transaction");
    }

    const char *allowed = NULL;
    for (size_t i = 0; i < sizeof tries / sizeof *tries && s == DH_OK; i++) {
        if ((s = dh_pg_command(c, "SAVEPOINT dh_audit_check", "check audit log", e)))
            break;
        dh_err e_try;
        dh_status t = dh_pg_exec(c, tries[i], &p, NULL, "check audit log", &e_try);
        if (t == DH_OK && !allowed)
            allowed = names[i];
        else if (t != DH_OK && !(t == DH_E_DB && strstr(e_try.message, "(SQLSTATE 23")))
            s = dh_err_set(e, e_try.status, e_try.code, NULL, "%s", e_try.message);
        dh_err e2;
        dh_status r = dh_pg_command(c, "ROLLBACK TO SAVEPOINT dh_audit_check", "check audit log",
                                    &e2);
        if (r == DH_OK)
            r = dh_pg_command(c, "RELEASE SAVEPOINT dh_audit_check", "check audit log", &e2);
        if (r && s == DH_OK)
            s = dh_err_set(e, e2.status, e2.code, NULL, "%s", e2.message);
    }
    if (own_tx)
        dh_postgres_ops.rollback(c);
    if (s == DH_OK && allowed)
        s = dh_err_set(e, DH_E_INTERNAL, "audit_not_append_only", NULL,
                       "the database let %s of audit row %lld through (rolled back)", allowed,
                       (long long)id);
    return s;
}

const dh_audit_ops dh_postgres_audit_ops = {
    .append_audit = pg_append_audit,
    .list_audit = pg_list_audit,
    .check_append_only = pg_check_append_only,
};
