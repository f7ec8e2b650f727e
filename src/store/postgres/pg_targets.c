/* pg_targets.c - the PostgreSQL backend of store/targets.h: targets, their series, statuses and
 * marks. A port of sqlite/sq_targets.c, operation by operation. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/postgres/pg.h"
#include "store/targets.h"

/* The columns every put_target statement fills. */
#define TARGET_PUT_COLS                                                                   \
    "indicator_id, unit, value, due, milestones, split_of, plan, task_id, task_ref, name, " \
    "note, ext_key, series, dirty, created_at, updated_at"

static void target_params(dh_pg_params *p, const dh_target_row *r)
{
    dh_pg_int(p, r->indicator_id);
    dh_pg_text(p, r->unit);
    dh_pg_real(p, r->value);
    dh_pg_date(p, r->due);
    dh_pg_text(p, r->milestones_json ? r->milestones_json : "[]");
    dh_pg_id(p, r->split_of);
    dh_pg_text(p, r->plan ? r->plan : "");
    dh_pg_id(p, r->task_id);
    dh_pg_text(p, r->task_ref ? r->task_ref : "");
    dh_pg_text(p, r->name ? r->name : "");
    dh_pg_text(p, r->note ? r->note : "");
    dh_pg_text(p, r->ext_key);
    dh_pg_text(p, r->series_json ? r->series_json : "[]");
    dh_pg_int(p, (int64_t)r->created_at);
    dh_pg_int(p, (int64_t)r->updated_at);
}

/* A new target (no id) takes the next id of the column's default; one with
 * an id is inserted or updated (SQLite's INSERT ... ON CONFLICT(id)). A
 * taken ext_key is DH_E_CONFLICT either way: the new target inserts nothing
 * (ON CONFLICT DO NOTHING: no error, the transaction goes on), the update
 * fails on the unique constraint (dh_pg_exec: 23505). */
static dh_status pg_put_target(dh_conn *c, const dh_target_row *r, int64_t *id, dh_err *e)
{
    static const char insert_sql[] =
        "INSERT INTO targets(" TARGET_PUT_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
        "$10, $11, $12, $13, 1, $14, $15) ON CONFLICT DO NOTHING RETURNING id";
    static const char upsert_sql[] =
        "INSERT INTO targets(" TARGET_PUT_COLS ", id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
        "$9, $10, $11, $12, $13, 1, $14, $15, $16) "
        "ON CONFLICT (id) DO UPDATE SET "
        "indicator_id = excluded.indicator_id, unit = excluded.unit, value = excluded.value, "
        "due = excluded.due, milestones = excluded.milestones, split_of = excluded.split_of, "
        "plan = excluded.plan, task_id = excluded.task_id, task_ref = excluded.task_ref, "
        "name = excluded.name, note = excluded.note, dirty = 1, "
        "updated_at = excluded.updated_at RETURNING id";
    dh_pg_params p = {0};
    target_params(&p, r);
    if (r->id)
        dh_pg_int(&p, r->id); /* $16 */
    int64_t got = 0;
    dh_status s = dh_pg_exec_id(c, r->id ? upsert_sql : insert_sql, &p, &got, "save target", e);
    if (s)
        return s;
    if (!got)
        return dh_err_set(e, DH_E_CONFLICT, "conflict", NULL,
                          "save target: the key '%s' is taken", r->ext_key ? r->ext_key : "");
    if (id)
        *id = got;
    return DH_OK;
}

#define TARGET_COLS                                                                          \
    "id, indicator_id, unit, value, due, milestones, split_of, plan, task_id, task_ref, name, " \
    "note, ext_key, series, (dirty <> 0 OR EXISTS (SELECT 1 FROM target_marks m WHERE "      \
    "m.indicator_id = targets.indicator_id AND m.unit = targets.unit))::integer, status, "    \
    "eval, since, eval_day, created_at, updated_at"

static dh_status target_rows(dh_conn *c, const char *sql, const dh_pg_params *p,
                             dh_target_cb cb, void *closure, dh_err *e)
{
    PGresult *res;
    dh_status s = dh_pg_exec(c, sql, p, &res, "read targets", e);
    if (s)
        return s;
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        dh_target_row r = {dh_pg_col_int(res, i, 0),
                           dh_pg_col_int(res, i, 1),
                           dh_pg_col_text(res, i, 2),
                           dh_pg_col_real(res, i, 3),
                           dh_pg_col_date(res, i, 4),
                           dh_pg_col_text(res, i, 5),
                           dh_pg_col_int(res, i, 6),
                           dh_pg_col_text(res, i, 7),
                           dh_pg_col_int(res, i, 8),
                           dh_pg_col_text(res, i, 9),
                           dh_pg_col_text(res, i, 10),
                           dh_pg_col_text(res, i, 11),
                           dh_pg_col_text_or_null(res, i, 12),
                           dh_pg_col_text(res, i, 13),
                           dh_pg_col_int(res, i, 14) != 0,
                           dh_pg_col_text(res, i, 15),
                           dh_pg_col_text(res, i, 16),
                           dh_pg_col_date(res, i, 17),
                           dh_pg_is_null(res, i, 18) ? DH_DATE_NONE
                                                     : (dh_date)dh_pg_col_int(res, i, 18),
                           dh_pg_col_time(res, i, 19),
                           dh_pg_col_time(res, i, 20)};
        if (cb(closure, &r))
            break;
    }
    PQclear(res);
    return DH_OK;
}

static dh_status pg_set_target_eval(dh_conn *c, int64_t id, const char *status, dh_date since,
                                    const char *eval_json, dh_date day, dh_err *e)
{
    static const char sql[] =
        "UPDATE targets SET status = $1, since = $2, eval = $3, eval_day = $4 WHERE id = $5";
    dh_pg_params p = {0};
    dh_pg_text(&p, status);
    dh_pg_date(&p, since);
    dh_pg_text(&p, eval_json);
    dh_pg_int(&p, day); /* a day number (dh_date), like SQLite's */
    dh_pg_int(&p, id);
    return dh_pg_exec(c, sql, &p, NULL, "save target status", e);
}

/* The unit codes of a JSON array parameter $1. */
#define UNITS "ARRAY(SELECT json_array_elements_text($1::json))"

static dh_status pg_list_targets(dh_conn *c, const dh_target_filter *f, dh_target_cb cb,
                                 void *closure, dh_err *e)
{
    static const char sql[] =
        "SELECT " TARGET_COLS " FROM targets WHERE ($1::text IS NULL OR unit = ANY(" UNITS "))"
        " AND ($2::bigint = 0 OR indicator_id = $2::bigint)"
        " AND ($3::text IS NULL OR status = $3::text) "
        "ORDER BY CASE status WHEN 'off_track' THEN 0 WHEN 'at_risk' THEN 1 WHEN 'on_track' "
        "THEN 2 ELSE 3 END, id LIMIT $4::bigint OFFSET $5::bigint";
    dh_pg_params p = {0};
    dh_pg_text(&p, f->units_json);
    dh_pg_int(&p, f->indicator_id);
    dh_pg_text(&p, f->status);
    if (f->limit > 0)
        dh_pg_int(&p, f->limit);
    else
        dh_pg_null(&p); /* LIMIT ALL */
    dh_pg_int(&p, f->offset > 0 ? f->offset : 0);
    return target_rows(c, sql, &p, cb, closure, e);
}

static dh_status pg_count_targets(dh_conn *c, const dh_target_filter *f, dh_count_cb cb,
                                  void *closure, dh_err *e)
{
    static const char sql[] =
        "SELECT status, count(*) FROM targets WHERE ($1::text IS NULL OR unit = ANY(" UNITS
        ")) AND ($2::bigint = 0 OR indicator_id = $2::bigint) "
        "GROUP BY status ORDER BY status COLLATE \"C\"";
    dh_pg_params p = {0};
    dh_pg_text(&p, f->units_json);
    dh_pg_int(&p, f->indicator_id);
    PGresult *res;
    dh_status s = dh_pg_exec(c, sql, &p, &res, "count targets", e);
    if (s)
        return s;
    int n = PQntuples(res);
    for (int i = 0; i < n; i++)
        if (cb(closure, dh_pg_col_text(res, i, 0), dh_pg_col_int(res, i, 1)))
            break;
    PQclear(res);
    return DH_OK;
}

static dh_status pg_set_target_series(dh_conn *c, int64_t id, const char *series_json, dh_err *e)
{
    /* The series is current: the mark of ingestion goes too (another
     * target of the same key was loaded with it, so it is recomputed). */
    static const char sql[] =
        "WITH cleared AS (DELETE FROM target_marks m USING targets t WHERE t.id = $1::bigint "
        "AND m.indicator_id = t.indicator_id AND m.unit = t.unit) "
        "UPDATE targets SET series = $2::text, dirty = 0 WHERE id = $1::bigint";
    dh_pg_params p = {0};
    dh_pg_int(&p, id);
    dh_pg_text(&p, series_json);
    return dh_pg_exec(c, sql, &p, NULL, "save target series", e);
}

static dh_status pg_list_target_keys(dh_conn *c, dh_target_cb cb, void *closure, dh_err *e)
{
    static const char sql[] =
        "SELECT id, indicator_id, unit, value, split_of, status FROM targets ORDER BY id";
    PGresult *res;
    dh_status s = dh_pg_exec(c, sql, NULL, &res, "read targets", e);
    if (s)
        return s;
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        dh_target_row r = {0};
        r.id = dh_pg_col_int(res, i, 0);
        r.indicator_id = dh_pg_col_int(res, i, 1);
        r.unit = dh_pg_col_text(res, i, 2);
        r.value = dh_pg_col_real(res, i, 3);
        r.split_of = dh_pg_col_int(res, i, 4);
        r.status = dh_pg_col_text(res, i, 5);
        r.due = r.since = r.eval_day = DH_DATE_NONE;
        if (cb(closure, &r))
            break;
    }
    PQclear(res);
    return DH_OK;
}

static dh_status pg_dirty_target_indicators(dh_conn *c, dh_id_cb cb, void *closure, dh_err *e)
{
    static const char sql[] = "SELECT indicator_id FROM targets WHERE dirty = 1 UNION SELECT "
                              "indicator_id FROM target_marks ORDER BY 1";
    PGresult *res;
    dh_status s = dh_pg_exec(c, sql, NULL, &res, "read dirty targets", e);
    if (s)
        return s;
    int n = PQntuples(res);
    for (int i = 0; i < n; i++)
        if (cb(closure, dh_pg_col_int(res, i, 0)))
            break;
    PQclear(res);
    return DH_OK;
}

static dh_status pg_load_targets_of(dh_conn *c, int64_t indicator_id, const char *key,
                                    dh_target_cb cb, void *closure, dh_err *e)
{
    static const char sql[] = "SELECT " TARGET_COLS " FROM targets WHERE indicator_id = "
                              "$1::bigint OR ext_key = $2::text ORDER BY id";
    dh_pg_params p = {0};
    dh_pg_int(&p, indicator_id);
    dh_pg_text(&p, key);
    return target_rows(c, sql, &p, cb, closure, e);
}

static dh_status pg_get_targets(dh_conn *c, const char *ids_json, dh_target_cb cb, void *closure,
                                dh_err *e)
{
    static const char sql[] =
        "SELECT " TARGET_COLS " FROM targets WHERE id = ANY(ARRAY(SELECT "
        "json_array_elements_text($1::json)::bigint)) ORDER BY id";
    dh_pg_params p = {0};
    dh_pg_text(&p, ids_json);
    return target_rows(c, sql, &p, cb, closure, e);
}

static dh_status pg_mark_targets_dirty(dh_conn *c, int64_t indicator_id, const char *unit,
                                       dh_err *e)
{
    /* A small row in its own table rather than an UPDATE of the wide target
     * rows: read with the targets (TARGET_COLS), cleared when the series is
     * saved. */
    static const char sql[] =
        "INSERT INTO target_marks(indicator_id, unit) SELECT $1::bigint, $2::text WHERE "
        "EXISTS (SELECT 1 FROM targets WHERE indicator_id = $1::bigint AND unit = $2::text) "
        "ON CONFLICT DO NOTHING";
    dh_pg_params p = {0};
    dh_pg_int(&p, indicator_id);
    dh_pg_text(&p, unit);
    return dh_pg_exec(c, sql, &p, NULL, "flag targets", e);
}

/* Bulk: the pairs as two arrays, one statement. */
static dh_status pg_mark_targets_dirty_many(dh_conn *c, const int64_t *indicator_ids,
                                            const char *const *units, size_t n, dh_err *e)
{
    if (!n)
        return DH_OK;
    char **ids = dh_xcalloc(n, sizeof *ids);
    for (size_t i = 0; i < n; i++) {
        ids[i] = dh_xmalloc(24);
        snprintf(ids[i], 24, "%lld", (long long)indicator_ids[i]);
    }
    dh_buf a = DH_BUF_INIT, b = DH_BUF_INIT;
    dh_pg_params p = {0};
    dh_pg_array(&p, &a, (const char *const *)ids, n);
    dh_pg_array(&p, &b, units, n);
    dh_status s = dh_pg_exec(c,
                             "INSERT INTO target_marks(indicator_id, unit) SELECT k.i, k.u "
                             "FROM unnest($1::bigint[], $2::text[]) AS k(i, u) WHERE EXISTS "
                             "(SELECT 1 FROM targets t WHERE t.indicator_id = k.i AND "
                             "t.unit = k.u) ON CONFLICT DO NOTHING",
                             &p, NULL, "flag targets", e);
    dh_buf_free(&a);
    dh_buf_free(&b);
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    return s;
}

const dh_targets_ops dh_postgres_targets_ops = {
    .put_target = pg_put_target,
    .dirty_target_indicators = pg_dirty_target_indicators,
    .load_targets_of = pg_load_targets_of,
    .set_target_series = pg_set_target_series,
    .set_target_eval = pg_set_target_eval,
    .list_targets = pg_list_targets,
    .count_targets = pg_count_targets,
    .mark_targets_dirty = pg_mark_targets_dirty,
    .list_target_keys = pg_list_target_keys,
    .get_targets = pg_get_targets,
    .mark_targets_dirty_many = pg_mark_targets_dirty_many,
};
