/* pg_dti.c - the PostgreSQL backend of store/dti.h: DTI frameworks, their
 * nodes, assessments, entries and revisions. A port of sqlite/sq_dti.c,
 * operation by operation. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/dti.h"
#include "store/postgres/pg.h"

static void opt_real(dh_pg_params *p, bool has, double v)
{
    if (has)
        dh_pg_real(p, v);
    else
        dh_pg_null(p);
}

/* Runs a query and hands each row to `row`, which calls the user's
 * callback; stops when it returns non-zero. */
static dh_status rows(dh_conn *c, const char *sql, const dh_pg_params *p,
                      int (*row)(const PGresult *, int, void *, void *), void *cb, void *closure,
                      const char *what, dh_err *e)
{
    PGresult *res;
    dh_status s = dh_pg_exec(c, sql, p, &res, what, e);
    if (s)
        return s;
    int n = PQntuples(res);
    for (int i = 0; i < n; i++)
        if (row(res, i, cb, closure))
            break;
    PQclear(res);
    return DH_OK;
}

static dh_status pg_put_framework(dh_conn *c, const dh_dti_framework_row *r, int64_t *id, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, r->code);
    dh_pg_text(&p, r->name);
    dh_pg_text(&p, r->level);
    dh_pg_int(&p, r->year);
    dh_pg_text(&p, r->note ? r->note : "");
    dh_pg_int(&p, (int64_t)r->created_at);
    int64_t got = 0;
    dh_status s = dh_pg_exec_id(c,
                                "INSERT INTO dti_frameworks(code, name, level, year, note, "
                                "created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                                &p, &got, "save framework", e);
    if (s == DH_OK && id)
        *id = got;
    return s;
}

static int framework_row(const PGresult *res, int i, void *cb, void *closure)
{
    dh_dti_framework_row r = {dh_pg_col_int(res, i, 0),      dh_pg_col_text(res, i, 1),
                              dh_pg_col_text(res, i, 2),     dh_pg_col_text(res, i, 3),
                              (int)dh_pg_col_int(res, i, 4), dh_pg_col_text(res, i, 5),
                              dh_pg_col_time(res, i, 6)};
    return ((dh_dti_framework_cb)cb)(closure, &r);
}

static dh_status pg_list_frameworks(dh_conn *c, const char *code, int year, dh_dti_framework_cb cb,
                                    void *closure, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, code);
    dh_pg_int(&p, year);
    return rows(c,
                "SELECT id, code, name, level, year, note, created_at FROM dti_frameworks "
                "WHERE ($1::text IS NULL OR code = $1) AND ($2::integer = 0 OR year = $2) "
                "ORDER BY year DESC, code",
                &p, framework_row, (void *)cb, closure, "read frameworks", e);
}

static dh_status pg_put_node(dh_conn *c, const dh_dti_node_row *r, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, r->framework_id);
    dh_pg_int(&p, r->ord);
    dh_pg_text(&p, r->code);
    dh_pg_text(&p, r->parent ? r->parent : "");
    dh_pg_text(&p, r->name);
    dh_pg_real(&p, r->max_points);
    dh_pg_text(&p, r->method ? r->method : "");
    dh_pg_real(&p, r->threshold);
    dh_pg_text(&p, r->source ? r->source : "");
    dh_pg_text(&p, r->responsible ? r->responsible : "");
    dh_pg_text(&p, r->note ? r->note : "");
    dh_pg_int(&p, r->line);
    return dh_pg_exec(c,
                      "INSERT INTO dti_nodes(framework_id, ord, code, parent, name, max_points, "
                      "method, threshold, source, responsible, note, line) VALUES ($1, $2, $3, "
                      "$4, $5, $6, $7, $8, $9, $10, $11, $12)",
                      &p, NULL, "save framework node", e);
}

static int node_row(const PGresult *res, int i, void *cb, void *closure)
{
    dh_dti_node_row r = {
        dh_pg_col_int(res, i, 0),  (int)dh_pg_col_int(res, i, 1), dh_pg_col_text(res, i, 2),
        dh_pg_col_text(res, i, 3), dh_pg_col_text(res, i, 4),     dh_pg_col_real(res, i, 5),
        dh_pg_col_text(res, i, 6), dh_pg_col_real(res, i, 7),     dh_pg_col_text(res, i, 8),
        dh_pg_col_text(res, i, 9), dh_pg_col_text(res, i, 10),    (long)dh_pg_col_int(res, i, 11)};
    return ((dh_dti_node_cb)cb)(closure, &r);
}

static dh_status pg_list_nodes(dh_conn *c, int64_t framework_id, dh_dti_node_cb cb, void *closure,
                               dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, framework_id);
    return rows(c,
                "SELECT framework_id, ord, code, parent, name, max_points, method, threshold, "
                "source, responsible, note, line FROM dti_nodes WHERE framework_id = $1 ORDER BY "
                "ord",
                &p, node_row, (void *)cb, closure, "read framework nodes", e);
}

static dh_status pg_save_assessment(dh_conn *c, const dh_dti_assessment_row *r, int64_t *id,
                                    dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, r->year);
    dh_pg_text(&p, r->status);
    opt_real(&p, r->has_printed, r->printed_total);
    dh_pg_int(&p, r->printed_line);
    dh_pg_text(&p, r->warnings_json ? r->warnings_json : "[]");
    dh_pg_text(&p, r->source ? r->source : "");
    dh_pg_int(&p, r->revision);
    dh_pg_bool(&p, r->synthetic);
    dh_pg_int(&p, (int64_t)r->updated_at); /* $9 */
    int64_t got = 0;
    dh_status s;
    if (r->id) {
        dh_pg_int(&p, r->id); /* $10 */
        s = dh_pg_exec_id(c,
                          "UPDATE dti_assessments SET year = $1, status = $2, printed_total = $3, "
                          "printed_line = $4, warnings = $5, source = $6, revision = $7, "
                          "synthetic = $8, updated_at = $9 WHERE id = $10 RETURNING id",
                          &p, &got, "save assessment", e);
        if (s == DH_OK && !got)
            s = dh_err_set(e, DH_E_NOTFOUND, "not_found", NULL, "assessment %lld does not exist",
                           (long long)r->id);
    } else {
        dh_pg_int(&p, r->framework_id); /* $10 */
        dh_pg_text(&p, r->unit);
        dh_pg_int(&p, (int64_t)r->created_at);
        s = dh_pg_exec_id(c,
                          "INSERT INTO dti_assessments(year, status, printed_total, printed_line, "
                          "warnings, source, revision, synthetic, updated_at, framework_id, unit, "
                          "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
                          "RETURNING id",
                          &p, &got, "save assessment", e);
    }
    if (s == DH_OK && id)
        *id = got;
    return s;
}

static int assessment_row(const PGresult *res, int i, void *cb, void *closure)
{
    dh_dti_assessment_row r = {dh_pg_col_int(res, i, 0),      dh_pg_col_int(res, i, 1),
                               dh_pg_col_text(res, i, 2),     (int)dh_pg_col_int(res, i, 3),
                               dh_pg_col_text(res, i, 4),     !dh_pg_is_null(res, i, 5),
                               dh_pg_col_real(res, i, 5),     (long)dh_pg_col_int(res, i, 6),
                               dh_pg_col_text(res, i, 7),     dh_pg_col_text(res, i, 8),
                               (int)dh_pg_col_int(res, i, 9), dh_pg_col_int(res, i, 10) != 0,
                               dh_pg_col_time(res, i, 11),    dh_pg_col_time(res, i, 12)};
    return ((dh_dti_assessment_cb)cb)(closure, &r);
}

static dh_status pg_list_assessments(dh_conn *c, int64_t framework_id, const char *unit,
                                     dh_dti_assessment_cb cb, void *closure, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, framework_id);
    dh_pg_text(&p, unit);
    return rows(c,
                "SELECT id, framework_id, unit, year, status, printed_total, printed_line, "
                "warnings, source, revision, synthetic, created_at, updated_at FROM "
                "dti_assessments WHERE ($1::bigint = 0 OR framework_id = $1) AND ($2::text IS "
                "NULL OR unit = $2) ORDER BY year DESC, unit, framework_id",
                &p, assessment_row, (void *)cb, closure, "read assessments", e);
}

static dh_status pg_put_entry(dh_conn *c, const dh_dti_entry_row *r, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, r->assessment_id);
    dh_pg_text(&p, r->code);
    opt_real(&p, r->has_self_points, r->self_points);
    opt_real(&p, r->has_self_value, r->self_value);
    opt_real(&p, r->has_points, r->points);
    opt_real(&p, r->has_value, r->value);
    dh_pg_text(&p, r->evidence ? r->evidence : "");
    dh_pg_text(&p, r->note ? r->note : "");
    dh_pg_text(&p, r->comment ? r->comment : "");
    dh_pg_int(&p, r->line);
    dh_pg_id(&p, r->task_id);
    return dh_pg_exec(c,
                      "INSERT INTO dti_entries(assessment_id, code, self_points, self_value, "
                      "points, value, evidence, note, comment, line, task_id) VALUES ($1, $2, "
                      "$3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (assessment_id, code) DO UPDATE SET "
                      "self_points = excluded.self_points, self_value = excluded.self_value, "
                      "points = excluded.points, value = excluded.value, evidence = "
                      "excluded.evidence, note = excluded.note, comment = excluded.comment, "
                      "line = excluded.line, task_id = excluded.task_id",
                      &p, NULL, "save assessment entry", e);
}

static int entry_row(const PGresult *res, int i, void *cb, void *closure)
{
    dh_dti_entry_row r = {
        dh_pg_col_int(res, i, 0),  dh_pg_col_text(res, i, 1),     !dh_pg_is_null(res, i, 2),
        !dh_pg_is_null(res, i, 3), !dh_pg_is_null(res, i, 4),     !dh_pg_is_null(res, i, 5),
        dh_pg_col_real(res, i, 2), dh_pg_col_real(res, i, 3),     dh_pg_col_real(res, i, 4),
        dh_pg_col_real(res, i, 5), dh_pg_col_text(res, i, 6),     dh_pg_col_text(res, i, 7),
        dh_pg_col_text(res, i, 8), (long)dh_pg_col_int(res, i, 9),  dh_pg_col_int(res, i, 10)};
    return ((dh_dti_entry_cb)cb)(closure, &r);
}

static dh_status pg_list_entries(dh_conn *c, int64_t assessment_id, dh_dti_entry_cb cb,
                                 void *closure, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, assessment_id);
    return rows(c,
                "SELECT assessment_id, code, self_points, self_value, points, value, evidence, "
                "note, comment, line, task_id FROM dti_entries WHERE assessment_id = $1 ORDER BY "
                "code",
                &p, entry_row, (void *)cb, closure, "read assessment entries", e);
}

static dh_status pg_clear_entries(dh_conn *c, int64_t assessment_id, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, assessment_id);
    return dh_pg_exec(c, "DELETE FROM dti_entries WHERE assessment_id = $1", &p, NULL,
                      "clear assessment entries", e);
}

static dh_status pg_add_revision(dh_conn *c, const dh_dti_revision_row *r, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, r->assessment_id);
    dh_pg_int(&p, r->revision);
    dh_pg_int(&p, (int64_t)r->at);
    dh_pg_text(&p, r->actor ? r->actor : "");
    dh_pg_text(&p, r->reason ? r->reason : "");
    dh_pg_text(&p, r->snapshot_json ? r->snapshot_json : "[]");
    return dh_pg_exec(c,
                      "INSERT INTO dti_revisions(assessment_id, revision, at, actor, reason, "
                      "snapshot) VALUES ($1, $2, $3, $4, $5, $6)",
                      &p, NULL, "save assessment revision", e);
}

static int revision_row(const PGresult *res, int i, void *cb, void *closure)
{
    dh_dti_revision_row r = {dh_pg_col_int(res, i, 0),  (int)dh_pg_col_int(res, i, 1),
                             dh_pg_col_time(res, i, 2), dh_pg_col_text(res, i, 3),
                             dh_pg_col_text(res, i, 4), dh_pg_col_text(res, i, 5)};
    return ((dh_dti_revision_cb)cb)(closure, &r);
}

static dh_status pg_list_revisions(dh_conn *c, int64_t assessment_id, dh_dti_revision_cb cb,
                                   void *closure, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, assessment_id);
    return rows(c,
                "SELECT assessment_id, revision, at, actor, reason, snapshot FROM dti_revisions "
                "WHERE assessment_id = $1 ORDER BY revision",
                &p, revision_row, (void *)cb, closure, "read assessment revisions", e);
}

const dh_dti_ops dh_postgres_dti_ops = {
    .put_framework = pg_put_framework,
    .list_frameworks = pg_list_frameworks,
    .put_node = pg_put_node,
    .list_nodes = pg_list_nodes,
    .save_assessment = pg_save_assessment,
    .list_assessments = pg_list_assessments,
    .put_entry = pg_put_entry,
    .list_entries = pg_list_entries,
    .clear_entries = pg_clear_entries,
    .add_revision = pg_add_revision,
    .list_revisions = pg_list_revisions,
};
