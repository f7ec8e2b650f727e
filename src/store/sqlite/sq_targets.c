/* sq_targets.c - the SQLite backend of store/targets.h: targets, their series, statuses and marks. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/targets.h"
#include "store/sqlite/sq.h"
#include "util/buf.h"

static dh_status sq_put_target(dh_conn *c, const dh_target_row *r, int64_t *id, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(
        c,
        "INSERT INTO targets(id, indicator_id, unit, value, due, milestones, split_of, plan, "
        "task_id, task_ref, name, note, ext_key, series, dirty, created_at, updated_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,?,?) ON CONFLICT(id) DO UPDATE SET "
        "indicator_id=excluded.indicator_id, unit=excluded.unit, value=excluded.value, "
        "due=excluded.due, milestones=excluded.milestones, split_of=excluded.split_of, "
        "plan=excluded.plan, task_id=excluded.task_id, task_ref=excluded.task_ref, "
        "name=excluded.name, note=excluded.note, dirty=1, updated_at=excluded.updated_at",
        e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_id(st, 1, r->id);
    sqlite3_bind_int64(st, 2, r->indicator_id);
    dh_sq_bind_text(st, 3, r->unit);
    sqlite3_bind_double(st, 4, r->value);
    dh_sq_bind_date(st, 5, r->due);
    dh_sq_bind_text(st, 6, r->milestones_json ? r->milestones_json : "[]");
    dh_sq_bind_id(st, 7, r->split_of);
    dh_sq_bind_text(st, 8, r->plan ? r->plan : "");
    dh_sq_bind_id(st, 9, r->task_id);
    dh_sq_bind_text(st, 10, r->task_ref ? r->task_ref : "");
    dh_sq_bind_text(st, 11, r->name ? r->name : "");
    dh_sq_bind_text(st, 12, r->note ? r->note : "");
    dh_sq_bind_text(st, 13, r->ext_key);
    dh_sq_bind_text(st, 14, r->series_json ? r->series_json : "[]");
    sqlite3_bind_int64(st, 15, (sqlite3_int64)r->created_at);
    sqlite3_bind_int64(st, 16, (sqlite3_int64)r->updated_at);
    return dh_sq_run_save(c, st, "save target", r->id, id, e);
}

#define TARGET_COLS                                                                              \
    "id, indicator_id, unit, value, due, milestones, split_of, plan, task_id, task_ref, name, " \
    "note, ext_key, series, dirty OR EXISTS (SELECT 1 FROM target_marks m WHERE "            \
    "m.indicator_id = targets.indicator_id AND m.unit = targets.unit), status, eval, since, "   \
    "eval_day, created_at, updated_at"

static dh_status target_rows(dh_conn *c, sqlite3_stmt *st, dh_target_cb cb, void *closure,
                             dh_err *e)
{
    int rc;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_target_row r = {sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                           dh_sq_col_text(st, 2), sqlite3_column_double(st, 3), dh_sq_col_date(st, 4),
                           dh_sq_col_text(st, 5), sqlite3_column_int64(st, 6), dh_sq_col_text(st, 7),
                           sqlite3_column_int64(st, 8), dh_sq_col_text(st, 9), dh_sq_col_text(st, 10),
                           dh_sq_col_text(st, 11), dh_sq_col_text_or_null(st, 12), dh_sq_col_text(st, 13),
                           sqlite3_column_int(st, 14) != 0, dh_sq_col_text(st, 15), dh_sq_col_text(st, 16),
                           dh_sq_col_date(st, 17),
                           sqlite3_column_type(st, 18) == SQLITE_NULL
                               ? DH_DATE_NONE
                               : (dh_date)sqlite3_column_int(st, 18),
                           dh_sq_col_time(st, 19), dh_sq_col_time(st, 20)};
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "read targets");
}

static dh_status sq_set_target_eval(dh_conn *c, int64_t id, const char *status, dh_date since,
                                    const char *eval_json, dh_date day, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(
        c, "UPDATE targets SET status = ?, since = ?, eval = ?, eval_day = ? WHERE id = ?", e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, status);
    dh_sq_bind_date(st, 2, since);
    dh_sq_bind_text(st, 3, eval_json);
    sqlite3_bind_int(st, 4, day);
    sqlite3_bind_int64(st, 5, id);
    return dh_sq_run(c, st, "save target status", e);
}

static dh_status sq_list_targets(dh_conn *c, const dh_target_filter *f, dh_target_cb cb,
                                 void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(
        c,
        "SELECT " TARGET_COLS " FROM targets WHERE (?1 IS NULL OR unit IN (SELECT value FROM "
        "json_each(?1))) AND (?2 = 0 OR indicator_id = ?2) AND (?3 IS NULL OR status = ?3) "
        "ORDER BY CASE status WHEN 'off_track' THEN 0 WHEN 'at_risk' THEN 1 WHEN 'on_track' "
        "THEN 2 ELSE 3 END, id LIMIT ?4 OFFSET ?5",
        e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, f->units_json);
    sqlite3_bind_int64(st, 2, f->indicator_id);
    dh_sq_bind_text(st, 3, f->status);
    sqlite3_bind_int64(st, 4, f->limit > 0 ? f->limit : -1);
    sqlite3_bind_int64(st, 5, f->offset);
    return target_rows(c, st, cb, closure, e);
}

static dh_status sq_count_targets(dh_conn *c, const dh_target_filter *f, dh_count_cb cb,
                                  void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "SELECT status, count(*) FROM targets WHERE (?1 IS NULL OR unit IN "
                            "(SELECT value FROM json_each(?1))) AND (?2 = 0 OR indicator_id = ?2) "
                            "GROUP BY status ORDER BY status",
                            e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, f->units_json);
    sqlite3_bind_int64(st, 2, f->indicator_id);
    int rc;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW)
        if (cb(closure, dh_sq_col_text(st, 0), sqlite3_column_int64(st, 1)))
            break;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "count targets");
}

static dh_status sq_set_target_series(dh_conn *c, int64_t id, const char *series_json, dh_err *e)
{
    /* The series is current: the mark of ingestion goes too (another
     * target of the same key was loaded with it, so it is recomputed). */
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "DELETE FROM target_marks WHERE (indicator_id, unit) = (SELECT "
                            "indicator_id, unit FROM targets WHERE id = ?)",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, id);
    dh_status s = dh_sq_run(c, st, "clear target mark", e);
    if (s)
        return s;
    st = dh_sq_stmt(c, "UPDATE targets SET series = ?, dirty = 0 WHERE id = ?", e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, series_json);
    sqlite3_bind_int64(st, 2, id);
    return dh_sq_run(c, st, "save target series", e);
}

static dh_status sq_list_target_keys(dh_conn *c, dh_target_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st =
        dh_sq_stmt(c,
                   "SELECT id, indicator_id, unit, value, split_of, status FROM targets ORDER BY id",
                   e);
    if (!st)
        return DH_E_DB;
    int rc;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_target_row r = {0};
        r.id = sqlite3_column_int64(st, 0);
        r.indicator_id = sqlite3_column_int64(st, 1);
        r.unit = dh_sq_col_text(st, 2);
        r.value = sqlite3_column_double(st, 3);
        r.split_of = sqlite3_column_int64(st, 4);
        r.status = dh_sq_col_text(st, 5);
        r.due = r.since = r.eval_day = DH_DATE_NONE;
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "read targets");
}

static dh_status sq_dirty_target_indicators(dh_conn *c, dh_id_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "SELECT indicator_id FROM targets WHERE dirty = 1 UNION SELECT "
                            "indicator_id FROM target_marks ORDER BY 1",
                            e);
    if (!st)
        return DH_E_DB;
    int rc;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW)
        if (cb(closure, sqlite3_column_int64(st, 0)))
            break;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "read dirty targets");
}

static dh_status sq_load_targets_of(dh_conn *c, int64_t indicator_id, const char *key,
                                    dh_target_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "SELECT " TARGET_COLS " FROM targets WHERE indicator_id = ?1 OR "
                            "ext_key = ?2 ORDER BY id",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, indicator_id);
    dh_sq_bind_text(st, 2, key);
    return target_rows(c, st, cb, closure, e);
}

static dh_status sq_get_targets(dh_conn *c, const char *ids_json, dh_target_cb cb, void *closure,
                                dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "SELECT " TARGET_COLS " FROM targets WHERE id IN (SELECT value FROM "
                            "json_each(?1)) ORDER BY id",
                            e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, ids_json);
    return target_rows(c, st, cb, closure, e);
}

static dh_status sq_mark_targets_dirty(dh_conn *c, int64_t indicator_id, const char *unit,
                                       dh_err *e)
{
    /* A small row in its own table rather than an UPDATE of the wide target
     * rows (two a page): read with the targets (TARGET_COLS), cleared when
     * the series is saved. */
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "INSERT INTO target_marks(indicator_id, unit) SELECT ?1, ?2 WHERE "
                            "EXISTS (SELECT 1 FROM targets WHERE indicator_id = ?1 AND unit = ?2) "
                            "ON CONFLICT DO NOTHING",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, indicator_id);
    dh_sq_bind_text(st, 2, unit);
    return dh_sq_run(c, st, "flag targets", e);
}

/* Bulk: a loop (the statements stay in the process). */
static dh_status sq_mark_targets_dirty_many(dh_conn *c, const int64_t *indicator_ids,
                                            const char *const *units, size_t n, dh_err *e)
{
    dh_status s = DH_OK;
    for (size_t i = 0; i < n && s == DH_OK; i++)
        s = sq_mark_targets_dirty(c, indicator_ids[i], units[i], e);
    return s;
}

const dh_targets_ops dh_sqlite_targets_ops = {
    .put_target = sq_put_target,
    .set_target_eval = sq_set_target_eval,
    .list_targets = sq_list_targets,
    .count_targets = sq_count_targets,
    .set_target_series = sq_set_target_series,
    .list_target_keys = sq_list_target_keys,
    .dirty_target_indicators = sq_dirty_target_indicators,
    .load_targets_of = sq_load_targets_of,
    .get_targets = sq_get_targets,
    .mark_targets_dirty = sq_mark_targets_dirty,
    .mark_targets_dirty_many = sq_mark_targets_dirty_many,
};
