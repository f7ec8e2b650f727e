/* sq_dti.c - the SQLite backend of store/dti.h: DTI frameworks, their nodes,
 * assessments, entries and revisions. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/dti.h"
#include "store/sqlite/sq.h"

static void bind_opt_real(sqlite3_stmt *st, int i, bool has, double v)
{
    if (has)
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static bool col_has(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) != SQLITE_NULL;
}

/* Steps st to its end, handing each row to `row`, which calls the user's
 * callback; stops when it returns non-zero. */
static dh_status rows(dh_conn *c, sqlite3_stmt *st, int (*row)(sqlite3_stmt *, void *, void *),
                      void *cb, void *closure, const char *what, dh_err *e)
{
    int rc;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW)
        if (row(st, cb, closure))
            break;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, what);
}

static dh_status sq_put_framework(dh_conn *c, const dh_dti_framework_row *r, int64_t *id, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "INSERT INTO dti_frameworks(code, name, level, year, note, "
                                  "created_at) VALUES (?,?,?,?,?,?)",
                                  e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, r->code);
    dh_sq_bind_text(st, 2, r->name);
    dh_sq_bind_text(st, 3, r->level);
    sqlite3_bind_int(st, 4, r->year);
    dh_sq_bind_text(st, 5, r->note ? r->note : "");
    sqlite3_bind_int64(st, 6, (sqlite3_int64)r->created_at);
    return dh_sq_run_save(c, st, "save framework", 0, id, e);
}

static int framework_row(sqlite3_stmt *st, void *cb, void *closure)
{
    dh_dti_framework_row r = {sqlite3_column_int64(st, 0), dh_sq_col_text(st, 1),
                              dh_sq_col_text(st, 2),       dh_sq_col_text(st, 3),
                              sqlite3_column_int(st, 4),   dh_sq_col_text(st, 5),
                              dh_sq_col_time(st, 6)};
    return ((dh_dti_framework_cb)cb)(closure, &r);
}

static dh_status sq_list_frameworks(dh_conn *c, const char *code, int year, dh_dti_framework_cb cb,
                                    void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "SELECT id, code, name, level, year, note, created_at FROM "
                                  "dti_frameworks WHERE (?1 IS NULL OR code = ?1) AND (?2 = 0 OR "
                                  "year = ?2) ORDER BY year DESC, code",
                                  e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, code);
    sqlite3_bind_int(st, 2, year);
    return rows(c, st, framework_row, (void *)cb, closure, "read frameworks", e);
}

static dh_status sq_put_node(dh_conn *c, const dh_dti_node_row *r, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(
        c,
        "INSERT INTO dti_nodes(framework_id, ord, code, parent, name, max_points, method, "
        "threshold, source, responsible, note, line) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, r->framework_id);
    sqlite3_bind_int(st, 2, r->ord);
    dh_sq_bind_text(st, 3, r->code);
    dh_sq_bind_text(st, 4, r->parent ? r->parent : "");
    dh_sq_bind_text(st, 5, r->name);
    sqlite3_bind_double(st, 6, r->max_points);
    dh_sq_bind_text(st, 7, r->method ? r->method : "");
    sqlite3_bind_double(st, 8, r->threshold);
    dh_sq_bind_text(st, 9, r->source ? r->source : "");
    dh_sq_bind_text(st, 10, r->responsible ? r->responsible : "");
    dh_sq_bind_text(st, 11, r->note ? r->note : "");
    sqlite3_bind_int64(st, 12, r->line);
    return dh_sq_run(c, st, "save framework node", e);
}

static int node_row(sqlite3_stmt *st, void *cb, void *closure)
{
    dh_dti_node_row r = {sqlite3_column_int64(st, 0), sqlite3_column_int(st, 1),
                         dh_sq_col_text(st, 2),       dh_sq_col_text(st, 3),
                         dh_sq_col_text(st, 4),       sqlite3_column_double(st, 5),
                         dh_sq_col_text(st, 6),       sqlite3_column_double(st, 7),
                         dh_sq_col_text(st, 8),       dh_sq_col_text(st, 9),
                         dh_sq_col_text(st, 10),      (long)sqlite3_column_int64(st, 11)};
    return ((dh_dti_node_cb)cb)(closure, &r);
}

static dh_status sq_list_nodes(dh_conn *c, int64_t framework_id, dh_dti_node_cb cb, void *closure,
                               dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "SELECT framework_id, ord, code, parent, name, max_points, "
                                  "method, threshold, source, responsible, note, line FROM "
                                  "dti_nodes WHERE framework_id = ? ORDER BY ord",
                                  e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, framework_id);
    return rows(c, st, node_row, (void *)cb, closure, "read framework nodes", e);
}

static dh_status sq_save_assessment(dh_conn *c, const dh_dti_assessment_row *r, int64_t *id,
                                    dh_err *e)
{
    /* Both statements take the same numbered parameters; the update leaves
     * out framework_id (?2), created_at (?11) and unit (?13), whose binds
     * it ignores (SQLITE_RANGE for ?13). */
    sqlite3_stmt *st;
    if (r->id)
        st = dh_sq_stmt(c,
                        "UPDATE dti_assessments SET year = ?3, status = ?4, printed_total = ?5, "
                        "printed_line = ?6, warnings = ?7, source = ?8, revision = ?9, "
                        "synthetic = ?10, updated_at = ?12 WHERE id = ?1",
                        e);
    else
        st = dh_sq_stmt(c,
                        "INSERT INTO dti_assessments(framework_id, unit, year, status, "
                        "printed_total, printed_line, warnings, source, revision, synthetic, "
                        "created_at, updated_at) VALUES (?2,?13,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
                        e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_id(st, 1, r->id);
    sqlite3_bind_int64(st, 2, r->framework_id);
    sqlite3_bind_int(st, 3, r->year);
    dh_sq_bind_text(st, 4, r->status);
    bind_opt_real(st, 5, r->has_printed, r->printed_total);
    sqlite3_bind_int64(st, 6, r->printed_line);
    dh_sq_bind_text(st, 7, r->warnings_json ? r->warnings_json : "[]");
    dh_sq_bind_text(st, 8, r->source ? r->source : "");
    sqlite3_bind_int(st, 9, r->revision);
    sqlite3_bind_int(st, 10, r->synthetic ? 1 : 0);
    sqlite3_bind_int64(st, 11, (sqlite3_int64)r->created_at);
    sqlite3_bind_int64(st, 12, (sqlite3_int64)r->updated_at);
    dh_sq_bind_text(st, 13, r->unit);
    dh_status s = dh_sq_run_save(c, st, "save assessment", r->id, id, e);
    if (s == DH_OK && r->id && sqlite3_changes(c->db) == 0)
        s = dh_err_set(e, DH_E_NOTFOUND, "not_found", NULL, "assessment %lld does not exist",
                       (long long)r->id);
    return s;
}

static int assessment_row(sqlite3_stmt *st, void *cb, void *closure)
{
    dh_dti_assessment_row r = {sqlite3_column_int64(st, 0),  sqlite3_column_int64(st, 1),
                               dh_sq_col_text(st, 2),        sqlite3_column_int(st, 3),
                               dh_sq_col_text(st, 4),        col_has(st, 5),
                               sqlite3_column_double(st, 5), (long)sqlite3_column_int64(st, 6),
                               dh_sq_col_text(st, 7),        dh_sq_col_text(st, 8),
                               sqlite3_column_int(st, 9),    sqlite3_column_int(st, 10) != 0,
                               dh_sq_col_time(st, 11),       dh_sq_col_time(st, 12)};
    return ((dh_dti_assessment_cb)cb)(closure, &r);
}

static dh_status sq_list_assessments(dh_conn *c, int64_t framework_id, const char *unit,
                                     dh_dti_assessment_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(
        c,
        "SELECT id, framework_id, unit, year, status, printed_total, printed_line, warnings, "
        "source, revision, synthetic, created_at, updated_at FROM dti_assessments WHERE "
        "(?1 = 0 OR framework_id = ?1) AND (?2 IS NULL OR unit = ?2) ORDER BY year DESC, unit, "
        "framework_id",
        e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, framework_id);
    dh_sq_bind_text(st, 2, unit);
    return rows(c, st, assessment_row, (void *)cb, closure, "read assessments", e);
}

static dh_status sq_put_entry(dh_conn *c, const dh_dti_entry_row *r, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(
        c,
        "INSERT INTO dti_entries(assessment_id, code, self_points, self_value, points, value, "
        "evidence, note, comment, line, task_id) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(assessment_id, "
        "code) DO UPDATE SET self_points = excluded.self_points, self_value = "
        "excluded.self_value, points = excluded.points, value = excluded.value, evidence = "
        "excluded.evidence, note = excluded.note, comment = excluded.comment, line = "
        "excluded.line, task_id = excluded.task_id",
        e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, r->assessment_id);
    dh_sq_bind_text(st, 2, r->code);
    bind_opt_real(st, 3, r->has_self_points, r->self_points);
    bind_opt_real(st, 4, r->has_self_value, r->self_value);
    bind_opt_real(st, 5, r->has_points, r->points);
    bind_opt_real(st, 6, r->has_value, r->value);
    dh_sq_bind_text(st, 7, r->evidence ? r->evidence : "");
    dh_sq_bind_text(st, 8, r->note ? r->note : "");
    dh_sq_bind_text(st, 9, r->comment ? r->comment : "");
    sqlite3_bind_int64(st, 10, r->line);
    dh_sq_bind_id(st, 11, r->task_id);
    return dh_sq_run(c, st, "save assessment entry", e);
}

static int entry_row(sqlite3_stmt *st, void *cb, void *closure)
{
    dh_dti_entry_row r = {sqlite3_column_int64(st, 0),
                          dh_sq_col_text(st, 1),
                          col_has(st, 2),
                          col_has(st, 3),
                          col_has(st, 4),
                          col_has(st, 5),
                          sqlite3_column_double(st, 2),
                          sqlite3_column_double(st, 3),
                          sqlite3_column_double(st, 4),
                          sqlite3_column_double(st, 5),
                          dh_sq_col_text(st, 6),
                          dh_sq_col_text(st, 7),
                          dh_sq_col_text(st, 8),
                          (long)sqlite3_column_int64(st, 9),
                          sqlite3_column_int64(st, 10)};
    return ((dh_dti_entry_cb)cb)(closure, &r);
}

static dh_status sq_list_entries(dh_conn *c, int64_t assessment_id, dh_dti_entry_cb cb,
                                 void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "SELECT assessment_id, code, self_points, self_value, points, "
                                  "value, evidence, note, comment, line, task_id FROM dti_entries WHERE "
                                  "assessment_id = ? ORDER BY code",
                                  e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, assessment_id);
    return rows(c, st, entry_row, (void *)cb, closure, "read assessment entries", e);
}

static dh_status sq_clear_entries(dh_conn *c, int64_t assessment_id, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c, "DELETE FROM dti_entries WHERE assessment_id = ?", e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, assessment_id);
    return dh_sq_run(c, st, "clear assessment entries", e);
}

static dh_status sq_add_revision(dh_conn *c, const dh_dti_revision_row *r, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "INSERT INTO dti_revisions(assessment_id, revision, at, actor, "
                                  "reason, snapshot) VALUES (?,?,?,?,?,?)",
                                  e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, r->assessment_id);
    sqlite3_bind_int(st, 2, r->revision);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)r->at);
    dh_sq_bind_text(st, 4, r->actor ? r->actor : "");
    dh_sq_bind_text(st, 5, r->reason ? r->reason : "");
    dh_sq_bind_text(st, 6, r->snapshot_json ? r->snapshot_json : "[]");
    return dh_sq_run(c, st, "save assessment revision", e);
}

static int revision_row(sqlite3_stmt *st, void *cb, void *closure)
{
    dh_dti_revision_row r = {sqlite3_column_int64(st, 0), sqlite3_column_int(st, 1),
                             dh_sq_col_time(st, 2),       dh_sq_col_text(st, 3),
                             dh_sq_col_text(st, 4),       dh_sq_col_text(st, 5)};
    return ((dh_dti_revision_cb)cb)(closure, &r);
}

static dh_status sq_list_revisions(dh_conn *c, int64_t assessment_id, dh_dti_revision_cb cb,
                                   void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "SELECT assessment_id, revision, at, actor, reason, snapshot "
                                  "FROM dti_revisions WHERE assessment_id = ? ORDER BY revision",
                                  e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, assessment_id);
    return rows(c, st, revision_row, (void *)cb, closure, "read assessment revisions", e);
}

const dh_dti_ops dh_sqlite_dti_ops = {
    .put_framework = sq_put_framework,
    .list_frameworks = sq_list_frameworks,
    .put_node = sq_put_node,
    .list_nodes = sq_list_nodes,
    .save_assessment = sq_save_assessment,
    .list_assessments = sq_list_assessments,
    .put_entry = sq_put_entry,
    .list_entries = sq_list_entries,
    .clear_entries = sq_clear_entries,
    .add_revision = sq_add_revision,
    .list_revisions = sq_list_revisions,
};
