/* pg_indicators.c - the PostgreSQL backend of store/indicators.h: indicators, values, receipts, obligations and approvals.
 *
 * A port of sqlite/sq_indicators.c. The hot paths (add_ireceipt and
 * put_ivalue, run for every value pushed) take one round trip each in the
 * common case: data-modifying WITH clauses do in one statement what SQLite
 * does in a few cheap steps. Period dates of values are day numbers
 * (integer columns), as in SQLite; text orders are bytewise (COLLATE "C"),
 * like SQLite's BINARY. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/indicators.h"
#include "store/postgres/pg.h"
#include "store/postgres/pg_save.h"

#define PG_ROWS(res, row) for (int row = 0, n_ = PQntuples(res); row < n_; row++)

/* ---- Indicators, values, targets, obligations (issue 8). ------------------ */

static dh_status pg_put_indicator(dh_conn *c, const dh_indicator_row *r, int64_t *id, dh_err *e)
{
#define IND_COLS                                                                                \
    "code, name, uom, direction, aggregation, source, period_type, freshness, formula, note, " \
    "created_at, updated_at"
#define IND_VALUES "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12"
    static const char insert[] =
        "INSERT INTO indicators(" IND_COLS ") VALUES (" IND_VALUES ") RETURNING id";
    static const char upsert[] =
        "INSERT INTO indicators(" IND_COLS ", id) VALUES (" IND_VALUES ",$13) "
        "ON CONFLICT(id) DO UPDATE SET name=excluded.name, uom=excluded.uom, "
        "direction=excluded.direction, aggregation=excluded.aggregation, source=excluded.source, "
        "period_type=excluded.period_type, freshness=excluded.freshness, "
        "formula=excluded.formula, note=excluded.note, updated_at=excluded.updated_at";
#undef IND_COLS
#undef IND_VALUES
    dh_pg_params p = {0};
    dh_pg_text(&p, r->code);
    dh_pg_text(&p, r->name);
    dh_pg_text(&p, r->uom);
    dh_pg_text(&p, r->direction);
    dh_pg_text(&p, r->aggregation);
    dh_pg_text(&p, r->source);
    dh_pg_text(&p, r->period_type);
    dh_pg_text(&p, r->freshness);
    dh_pg_text(&p, r->formula);
    dh_pg_text(&p, r->note);
    dh_pg_int(&p, (int64_t)r->created_at);
    dh_pg_int(&p, (int64_t)r->updated_at);
    return dh_pg_save_row(c, insert, upsert, r->id, &p, id, "save indicator", e);
}

static dh_status pg_load_indicators(dh_conn *c, dh_indicator_cb cb, void *closure, dh_err *e)
{
    PGresult *res;
    dh_status s = dh_pg_exec(c,
                             "SELECT id, code, name, uom, direction, aggregation, source, "
                             "period_type, freshness, formula, note, created_at, updated_at "
                             "FROM indicators ORDER BY code COLLATE \"C\"",
                             NULL, &res, "read indicators", e);
    if (s)
        return s;
    PG_ROWS(res, i)
    {
        dh_indicator_row r = {dh_pg_col_int(res, i, 0),   dh_pg_col_text(res, i, 1),
                              dh_pg_col_text(res, i, 2),  dh_pg_col_text(res, i, 3),
                              dh_pg_col_text(res, i, 4),  dh_pg_col_text(res, i, 5),
                              dh_pg_col_text(res, i, 6),  dh_pg_col_text(res, i, 7),
                              dh_pg_col_text(res, i, 8),  dh_pg_col_text(res, i, 9),
                              dh_pg_col_text(res, i, 10), dh_pg_col_time(res, i, 11),
                              dh_pg_col_time(res, i, 12)};
        if (cb(closure, &r))
            break;
    }
    PQclear(res);
    return DH_OK;
}

static dh_status pg_find_ireceipt(dh_conn *c, const char *source, const char *ext_id,
                                  dh_code_cb cb, void *closure, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, source);
    dh_pg_text(&p, ext_id);
    PGresult *res;
    dh_status s = dh_pg_exec(
        c, "SELECT content FROM indicator_receipts WHERE source = $1 AND ext_id = $2", &p, &res,
        "find receipt", e);
    if (s)
        return s;
    if (PQntuples(res) > 0)
        cb(closure, dh_pg_col_text(res, 0, 0));
    else
        s = dh_err_set(e, DH_E_NOTFOUND, "not_found", "id", "no receipt for id '%s' of '%s'",
                       ext_id, source);
    PQclear(res);
    return s;
}

static dh_status receipt_taken(const char *source, const char *ext_id, dh_err *e)
{
    return dh_err_set(e, DH_E_CONFLICT, "duplicate_id", "id",
                      "id '%s' of source '%s' was already received", ext_id, source);
}

/* One statement: the insert, and only when it did nothing (the gate is a
 * one-time filter, so a new id reads nothing and takes no predicate lock)
 * the content stored. A row taken by a transaction this one cannot see
 * falls back to a read of its own. */
static dh_status pg_add_ireceipt(dh_conn *c, const char *source, const char *ext_id,
                                 const char *content, dh_code_cb cb, void *closure, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, source);
    dh_pg_text(&p, ext_id);
    dh_pg_text(&p, content);
    PGresult *res;
    dh_status s = dh_pg_exec(
        c,
        "WITH ins AS (INSERT INTO indicator_receipts(source, ext_id, content) VALUES ($1,$2,$3) "
        "ON CONFLICT DO NOTHING RETURNING 1) "
        "SELECT 1, NULL::text FROM ins UNION ALL SELECT 0, content FROM indicator_receipts "
        "WHERE source = $1 AND ext_id = $2 AND NOT EXISTS (SELECT 1 FROM ins)",
        &p, &res, "save receipt", e);
    if (s)
        return s;
    if (PQntuples(res) > 0 && dh_pg_col_int(res, 0, 0) == 1) {
        PQclear(res);
        return DH_OK;
    }
    if (PQntuples(res) > 0) {
        cb(closure, dh_pg_col_text(res, 0, 1));
        PQclear(res);
        return receipt_taken(source, ext_id, e);
    }
    PQclear(res);
    s = pg_find_ireceipt(c, source, ext_id, cb, closure, e);
    return s ? s : receipt_taken(source, ext_id, e);
}

#define IVALUE_COLS                                                                              \
    "indicator_id, unit, period_from, period_to, value, numerator, denominator, source, "     \
    "ext_id, at, received_at, updated_at, entered_by"

static dh_ivalue_row ivalue_of(const PGresult *res, int i)
{
    dh_ivalue_row r = {dh_pg_col_int(res, i, 0),
                       dh_pg_col_text(res, i, 1),
                       (dh_date)dh_pg_col_int(res, i, 2),
                       (dh_date)dh_pg_col_int(res, i, 3),
                       dh_pg_col_real(res, i, 4),
                       !dh_pg_is_null(res, i, 5),
                       dh_pg_col_real(res, i, 5),
                       dh_pg_col_real(res, i, 6),
                       dh_pg_col_text(res, i, 7),
                       dh_pg_col_text(res, i, 8),
                       dh_pg_col_time(res, i, 9),
                       dh_pg_col_time(res, i, 10),
                       dh_pg_col_time(res, i, 11),
                       dh_pg_col_text(res, i, 12)};
    return r;
}

/* The unit's latest period and receipt only move forward (put_ivalue and
 * put_ivalues; the table is aliased l). */
#define LATEST_UPSERT                                                                          \
    "ON CONFLICT (indicator_id, unit) DO UPDATE SET "                                          \
    "period_from = GREATEST(l.period_from, excluded.period_from), "                            \
    "period_to = GREATEST(l.period_to, excluded.period_to), "                                  \
    "received_at = GREATEST(l.received_at, excluded.received_at) "                             \
    "WHERE excluded.period_from > l.period_from OR excluded.period_to > l.period_to OR "        \
    "excluded.received_at > l.received_at"

/* A value's columns as parameters, in IVALUE_COLS's order; received_at is
 * left out for the replacement (which keeps the stored one). */
static void ivalue_params(dh_pg_params *p, const dh_ivalue_row *r, bool received)
{
    dh_pg_int(p, r->indicator_id);
    dh_pg_text(p, r->unit);
    dh_pg_int(p, r->period_from);
    dh_pg_int(p, r->period_to);
    dh_pg_real(p, r->value);
    if (r->has_nd) {
        dh_pg_real(p, r->numerator);
        dh_pg_real(p, r->denominator);
    } else {
        dh_pg_null(p);
        dh_pg_null(p);
    }
    dh_pg_text(p, r->source);
    dh_pg_text(p, r->ext_id);
    dh_pg_time(p, r->at);
    if (received)
        dh_pg_int(p, (int64_t)r->received_at);
    dh_pg_int(p, (int64_t)r->updated_at);
    dh_pg_text(p, r->entered_by);
}

/* A replacement ended earlier than the value it replaced (the indicator's
 * period type changed): the maxima kept may have been the old end, so
 * both summary rows are worked out again from the values. */
static dh_status shrink_ivalue_summaries(dh_conn *c, const dh_ivalue_row *r, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, r->indicator_id);
    dh_pg_int(&p, r->period_from);
    dh_status s = dh_pg_exec(c,
                             "UPDATE indicator_periods SET period_to = (SELECT max(period_to) "
                             "FROM indicator_values WHERE indicator_id = $1 AND period_from = $2) "
                             "WHERE indicator_id = $1 AND period_from = $2",
                             &p, NULL, "correct value period", e);
    if (s)
        return s;
    dh_pg_params q = {0};
    dh_pg_int(&q, r->indicator_id);
    dh_pg_text(&q, r->unit);
    return dh_pg_exec(c,
                      "UPDATE indicator_latest SET (period_from, period_to) = (SELECT "
                      "max(v.period_from), max(v.period_to) FROM indicator_periods p JOIN "
                      "indicator_values v ON v.indicator_id = p.indicator_id AND v.period_from = "
                      "p.period_from WHERE p.indicator_id = $1 AND v.unit = $2) "
                      "WHERE indicator_id = $1 AND unit = $2",
                      &q, NULL, "correct latest value", e);
}

/* One statement for a new value: its insert (nothing when the key has
 * one) and the two summaries that stand in for a series index (migration
 * 008): the indicator's periods and the unit's latest period and receipt,
 * both written for a replacement too, as SQLite does. A value already
 * there is then read, kept in the history and replaced (its received_at
 * stays) in a second statement. */
static dh_status pg_put_ivalue(dh_conn *c, const dh_ivalue_row *r, dh_ivalue_cb replaced,
                               void *closure, dh_err *e)
{
    dh_pg_params p = {0};
    ivalue_params(&p, r, true);
    int64_t inserted = 0;
    dh_status s = dh_pg_exec_id(
        c,
        "WITH ins AS (INSERT INTO indicator_values(" IVALUE_COLS ") VALUES "
        "($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) ON CONFLICT DO NOTHING RETURNING 1), "
        "per AS (INSERT INTO indicator_periods(indicator_id, period_from, period_to) "
        "VALUES ($1,$3,$4) ON CONFLICT (indicator_id, period_from) DO UPDATE SET period_to = "
        "excluded.period_to WHERE excluded.period_to > indicator_periods.period_to), "
        "lat AS (INSERT INTO indicator_latest AS l(indicator_id, unit, period_from, period_to, "
        "received_at) VALUES ($1,$2,$3,$4,GREATEST($11::bigint, $12::bigint)) "
        LATEST_UPSERT ") "
        "SELECT count(*) FROM ins",
        &p, &inserted, "save value", e);
    if (s || inserted > 0)
        return s;
    dh_pg_params q = {0};
    ivalue_params(&q, r, false);
    PGresult *res;
    s = dh_pg_exec(
        c,
        "WITH old AS (SELECT " IVALUE_COLS " FROM indicator_values WHERE indicator_id = $1 AND "
        "unit = $2 AND period_from = $3), "
        "h AS (INSERT INTO indicator_value_history(indicator_id, unit, period_from, period_to, "
        "value, numerator, denominator, source, ext_id, received_at, replaced_at, replaced_by) "
        "SELECT indicator_id, unit, period_from, period_to, value, numerator, denominator, "
        "source, ext_id, received_at, $11::bigint, $12::text FROM old), "
        "u AS (UPDATE indicator_values SET period_to = $4, value = $5, numerator = $6, "
        "denominator = $7, source = $8, ext_id = $9, at = $10, updated_at = $11, "
        "entered_by = $12 WHERE indicator_id = $1 AND unit = $2 AND period_from = $3) "
        "SELECT " IVALUE_COLS " FROM old",
        &q, &res, "replace value", e);
    if (s)
        return s;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return dh_err_set(e, DH_E_DB, "db_error", NULL,
                          "read replaced value: no value of indicator %lld for unit '%s'",
                          (long long)r->indicator_id, r->unit);
    }
    dh_ivalue_row old = ivalue_of(res, 0);
    if (replaced)
        replaced(closure, &old);
    dh_date old_to = old.period_to;
    PQclear(res);
    if (old_to > r->period_to)
        s = shrink_ivalue_summaries(c, r, e);
    return s;
}

static dh_status pg_list_ivalues(dh_conn *c, const dh_ivalue_filter *f, dh_ivalue_cb cb,
                                 void *closure, dh_err *e)
{
    /* One text per combination of the filters given, as in SQLite; an open
     * end of the range is the least or greatest day. $1 from, $2 to, $3
     * limit (NULL: none), $4 offset, then the indicator and the units when
     * given. Given units, the indicator's periods (indicator_periods, a few
     * rows) are joined to the values so that each unit is a primary-key
     * seek (indicator, period, unit) in each period. */
#define IV_ALL(ind, order)                                                                       \
    "SELECT " IVALUE_COLS " FROM indicator_values WHERE " ind " period_to >= $1 AND "          \
    "period_from <= $2 ORDER BY " order " LIMIT $3 OFFSET $4"
#define IV_UNITS(ind, units, order)                                                              \
    "SELECT v.indicator_id, v.unit, v.period_from, v.period_to, v.value, v.numerator, "         \
    "v.denominator, v.source, v.ext_id, v.at, v.received_at, v.updated_at, v.entered_by "       \
    "FROM indicator_periods p JOIN indicator_values v ON v.indicator_id = p.indicator_id AND "  \
    "v.period_from = p.period_from WHERE " ind " p.period_to >= $1 AND p.period_from <= $2 "    \
    "AND v.unit IN (SELECT json_array_elements_text(" units "::json)) AND v.period_to >= $1 "   \
    "ORDER BY " order " LIMIT $3 OFFSET $4"
#define IV_BY_KEY "indicator_id, unit COLLATE \"C\", period_from"
#define IV_BY_PERIOD "period_from, unit COLLATE \"C\", indicator_id"
#define IV_V_BY_KEY "v.indicator_id, v.unit COLLATE \"C\", v.period_from"
#define IV_V_BY_PERIOD "v.period_from, v.unit COLLATE \"C\", v.indicator_id"
    static const char *const texts[2][4] = {
        {IV_ALL("", IV_BY_KEY), IV_ALL("indicator_id = $5 AND", IV_BY_KEY),
         IV_UNITS("", "$5", IV_V_BY_KEY), IV_UNITS("p.indicator_id = $5 AND", "$6", IV_V_BY_KEY)},
        {IV_ALL("", IV_BY_PERIOD), IV_ALL("indicator_id = $5 AND", IV_BY_PERIOD),
         IV_UNITS("", "$5", IV_V_BY_PERIOD),
         IV_UNITS("p.indicator_id = $5 AND", "$6", IV_V_BY_PERIOD)}};
#undef IV_ALL
#undef IV_UNITS
#undef IV_BY_KEY
#undef IV_BY_PERIOD
#undef IV_V_BY_KEY
#undef IV_V_BY_PERIOD
    int variant = (f->units_json ? 2 : 0) + (f->indicator_id ? 1 : 0);
    dh_pg_params p = {0};
    dh_pg_int(&p, f->from != DH_DATE_NONE ? f->from : INT32_MIN);
    dh_pg_int(&p, f->to != DH_DATE_NONE ? f->to : INT32_MAX);
    if (f->limit > 0)
        dh_pg_int(&p, f->limit);
    else
        dh_pg_null(&p);
    dh_pg_int(&p, f->offset);
    if (f->indicator_id)
        dh_pg_int(&p, f->indicator_id);
    if (f->units_json)
        dh_pg_text(&p, f->units_json);
    PGresult *res;
    dh_status s = dh_pg_exec(c, texts[f->by_period][variant], &p, &res, "read values", e);
    if (s)
        return s;
    PG_ROWS(res, i)
    {
        dh_ivalue_row r = ivalue_of(res, i);
        if (cb(closure, &r))
            break;
    }
    PQclear(res);
    return DH_OK;
}

static dh_status pg_ivalues_latest(dh_conn *c, int64_t indicator_id, const char *units_json,
                                   dh_date *from, dh_date *to, time_t *received, dh_err *e)
{
    /* indicator_latest: a row per indicator and unit (migration 008) */
#define IV_LATEST "SELECT max(period_from), max(period_to), max(received_at) " \
                  "FROM indicator_latest WHERE indicator_id = $1"
    dh_pg_params p = {0};
    dh_pg_int(&p, indicator_id);
    if (units_json)
        dh_pg_text(&p, units_json);
    PGresult *res;
    dh_status s = dh_pg_exec(
        c,
        units_json ? IV_LATEST " AND unit IN (SELECT json_array_elements_text($2::json))"
                   : IV_LATEST,
        &p, &res, "read latest values", e);
#undef IV_LATEST
    if (s)
        return s;
    if (PQntuples(res) > 0 && !dh_pg_is_null(res, 0, 0)) {
        *from = (dh_date)dh_pg_col_int(res, 0, 0);
        *to = (dh_date)dh_pg_col_int(res, 0, 1);
        *received = (time_t)dh_pg_col_int(res, 0, 2);
    } else {
        s = dh_err_set(e, DH_E_NOTFOUND, "not_found", NULL, "indicator %lld has no values",
                       (long long)indicator_id);
    }
    PQclear(res);
    return s;
}

static dh_status pg_put_obligation(dh_conn *c, const dh_obligation_row *r, int64_t *id,
                                   dh_err *e)
{
#define OBL_COLS                                                                                \
    "code, name, period_type, due_rule, window_days, approval, indicators, units, unit_rule, " \
    "created_at, updated_at"
#define OBL_VALUES "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11"
    static const char insert[] =
        "INSERT INTO obligations(" OBL_COLS ") VALUES (" OBL_VALUES ") RETURNING id";
    static const char upsert[] =
        "INSERT INTO obligations(" OBL_COLS ", id) VALUES (" OBL_VALUES ",$12) "
        "ON CONFLICT(id) DO UPDATE SET name=excluded.name, period_type=excluded.period_type, "
        "due_rule=excluded.due_rule, window_days=excluded.window_days, "
        "approval=excluded.approval, indicators=excluded.indicators, units=excluded.units, "
        "unit_rule=excluded.unit_rule, updated_at=excluded.updated_at";
#undef OBL_COLS
#undef OBL_VALUES
    dh_pg_params p = {0};
    dh_pg_text(&p, r->code);
    dh_pg_text(&p, r->name);
    dh_pg_text(&p, r->period_type);
    dh_pg_text(&p, r->due_rule);
    if (r->window_days >= 0)
        dh_pg_int(&p, r->window_days);
    else
        dh_pg_null(&p);
    dh_pg_bool(&p, r->approval);
    dh_pg_text(&p, r->indicators_json);
    dh_pg_text(&p, r->units_json);
    dh_pg_text(&p, r->unit_rule ? r->unit_rule : "");
    dh_pg_int(&p, (int64_t)r->created_at);
    dh_pg_int(&p, (int64_t)r->updated_at);
    return dh_pg_save_row(c, insert, upsert, r->id, &p, id, "save obligation", e);
}

static dh_status pg_load_obligations(dh_conn *c, dh_obligation_cb cb, void *closure, dh_err *e)
{
    PGresult *res;
    dh_status s = dh_pg_exec(c,
                             "SELECT id, code, name, period_type, due_rule, window_days, approval, "
                             "indicators, units, unit_rule, created_at, updated_at "
                             "FROM obligations ORDER BY id",
                             NULL, &res, "read obligations", e);
    if (s)
        return s;
    PG_ROWS(res, i)
    {
        dh_obligation_row r = {dh_pg_col_int(res, i, 0),
                               dh_pg_col_text(res, i, 1),
                               dh_pg_col_text(res, i, 2),
                               dh_pg_col_text(res, i, 3),
                               dh_pg_col_text(res, i, 4),
                               dh_pg_is_null(res, i, 5) ? -1 : (int)dh_pg_col_int(res, i, 5),
                               dh_pg_col_bool(res, i, 6),
                               dh_pg_col_text(res, i, 7),
                               dh_pg_col_text(res, i, 8),
                               dh_pg_col_text(res, i, 9),
                               dh_pg_col_time(res, i, 10),
                               dh_pg_col_time(res, i, 11)};
        if (cb(closure, &r))
            break;
    }
    PQclear(res);
    return DH_OK;
}

static dh_status pg_put_approval(dh_conn *c, const dh_approval_row *r, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, r->obligation_id);
    dh_pg_text(&p, r->unit);
    dh_pg_int(&p, r->period_from);
    dh_pg_int(&p, r->period_to);
    dh_pg_text(&p, r->approved_by);
    dh_pg_int(&p, (int64_t)r->approved_at);
    return dh_pg_exec(c,
                      "INSERT INTO obligation_approvals(obligation_id, unit, period_from, "
                      "period_to, approved_by, approved_at) VALUES ($1,$2,$3,$4,$5,$6)",
                      &p, NULL, "save approval", e);
}

static dh_status pg_load_approvals(dh_conn *c, dh_approval_cb cb, void *closure, dh_err *e)
{
    /* SQLite's table is WITHOUT ROWID: its rows come in primary-key order. */
    PGresult *res;
    dh_status s = dh_pg_exec(c,
                             "SELECT obligation_id, unit, period_from, period_to, approved_by, "
                             "approved_at FROM obligation_approvals "
                             "ORDER BY obligation_id, unit COLLATE \"C\", period_from",
                             NULL, &res, "read approvals", e);
    if (s)
        return s;
    PG_ROWS(res, i)
    {
        dh_approval_row r = {dh_pg_col_int(res, i, 0),          dh_pg_col_text(res, i, 1),
                             (dh_date)dh_pg_col_int(res, i, 2), (dh_date)dh_pg_col_int(res, i, 3),
                             dh_pg_col_text(res, i, 4),         dh_pg_col_time(res, i, 5)};
        if (cb(closure, &r))
            break;
    }
    PQclear(res);
    return DH_OK;
}

/* ---- Bulk (issue 15): a batch of values in a few statements. ------------- */

static dh_status pg_find_ireceipts(dh_conn *c, const char *const *sources, const char *const *ids,
                                   size_t n, dh_ireceipt_cb cb, void *closure, dh_err *e)
{
    if (!n)
        return DH_OK;
    dh_buf a = DH_BUF_INIT, b = DH_BUF_INIT;
    dh_pg_params p = {0};
    dh_pg_array(&p, &a, sources, n);
    dh_pg_array(&p, &b, ids, n);
    PGresult *res;
    dh_status s = dh_pg_exec(c,
                             "SELECT r.source, r.ext_id, r.content "
                             "FROM unnest($1::text[], $2::text[]) AS k(source, ext_id) "
                             "CROSS JOIN LATERAL (SELECT source, ext_id, content FROM "
                             "indicator_receipts x WHERE x.source = k.source "
                             "AND x.ext_id = k.ext_id) AS r",
                             &p, &res, "find receipts", e);
    dh_buf_free(&a);
    dh_buf_free(&b);
    if (s)
        return s;
    PG_ROWS(res, i)
    if (cb(closure, dh_pg_col_text(res, i, 0), dh_pg_col_text(res, i, 1),
           dh_pg_col_text(res, i, 2)))
        break;
    PQclear(res);
    return DH_OK;
}

static dh_status pg_add_ireceipts(dh_conn *c, const char *const *sources, const char *const *ids,
                                  const char *const *contents, size_t n, dh_err *e)
{
    if (!n)
        return DH_OK;
    dh_buf b = DH_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        dh_pg_copy_text(&b, sources[i], '\t');
        dh_pg_copy_text(&b, ids[i], '\t');
        dh_pg_copy_text(&b, contents[i], '\n');
    }
    dh_status s = dh_pg_copy(c, "COPY indicator_receipts(source, ext_id, content) FROM STDIN", &b,
                             "save receipts", e);
    dh_buf_free(&b);
    return s;
}

/* One round of put_ivalues: rows of distinct keys, staged by COPY (with
 * their index in the call), then one statement (each stored value found
 * by a primary-key probe, LATERAL, whatever the planner thinks of the
 * unanalysed stage) that keeps every value
 * replaced in the history, upserts the values (a replaced one keeps its
 * received_at) and the two summaries, as pg_put_ivalue does for one, and
 * returns the replaced values with the index of the row replacing each.
 * A replacement that ends earlier than its value corrects the summaries
 * after (rare: the indicator's period type changed). */
static dh_status put_ivalues_round(dh_conn *c, const dh_ivalue_row *rows, const size_t *idx,
                                   size_t n, dh_ivalue_replaced_cb replaced, void *closure,
                                   dh_err *e)
{
    dh_buf b = DH_BUF_INIT;
    for (size_t k = 0; k < n; k++) {
        const dh_ivalue_row *r = &rows[idx[k]];
        char num[32];
        dh_pg_copy_int(&b, (int64_t)idx[k], '\t');
        dh_pg_copy_int(&b, r->indicator_id, '\t');
        dh_pg_copy_text(&b, r->unit, '\t');
        dh_pg_copy_int(&b, r->period_from, '\t');
        dh_pg_copy_int(&b, r->period_to, '\t');
        snprintf(num, sizeof num, "%.17g", r->value);
        dh_pg_copy_text(&b, num, '\t');
        snprintf(num, sizeof num, "%.17g", r->numerator);
        dh_pg_copy_text(&b, r->has_nd ? num : NULL, '\t');
        snprintf(num, sizeof num, "%.17g", r->denominator);
        dh_pg_copy_text(&b, r->has_nd ? num : NULL, '\t');
        dh_pg_copy_text(&b, r->source, '\t');
        dh_pg_copy_text(&b, r->ext_id, '\t');
        dh_pg_copy_time(&b, r->at, '\t');
        dh_pg_copy_int(&b, (int64_t)r->received_at, '\t');
        dh_pg_copy_int(&b, (int64_t)r->updated_at, '\t');
        dh_pg_copy_text(&b, r->entered_by, '\n');
    }
    dh_status s = dh_pg_command(c,
                                "CREATE TEMP TABLE IF NOT EXISTS dh_stage_values (ord bigint, "
                                "LIKE indicator_values)",
                                "stage values", e);
    if (s == DH_OK)
        s = dh_pg_copy(c, "COPY dh_stage_values(ord, " IVALUE_COLS ") FROM STDIN", &b,
                       "save values", e);
    dh_buf_free(&b);
    PGresult *res = NULL;
    if (s == DH_OK)
        s = dh_pg_exec(
            c,
            "WITH old AS (SELECT s.ord, s.period_to AS new_to, s.updated_at AS new_at, "
            "s.entered_by AS new_by, v.indicator_id, v.unit, v.period_from, v.period_to, "
            "v.value, v.numerator, v.denominator, v.source, v.ext_id, v.at, v.received_at, "
            "v.updated_at, v.entered_by FROM dh_stage_values s CROSS JOIN LATERAL (SELECT * "
            "FROM indicator_values x WHERE x.indicator_id = s.indicator_id AND "
            "x.period_from = s.period_from AND x.unit = s.unit) AS v), "
            "h AS (INSERT INTO indicator_value_history(indicator_id, unit, period_from, "
            "period_to, value, numerator, denominator, source, ext_id, received_at, "
            "replaced_at, replaced_by) SELECT indicator_id, unit, period_from, period_to, value, "
            "numerator, denominator, source, ext_id, received_at, new_at, new_by FROM old "
            "ORDER BY ord), "
            "up AS (INSERT INTO indicator_values(" IVALUE_COLS ") SELECT " IVALUE_COLS
            " FROM dh_stage_values ORDER BY ord ON CONFLICT (indicator_id, period_from, unit) "
            "DO UPDATE SET period_to = excluded.period_to, value = excluded.value, "
            "numerator = excluded.numerator, denominator = excluded.denominator, "
            "source = excluded.source, ext_id = excluded.ext_id, at = excluded.at, "
            "updated_at = excluded.updated_at, entered_by = excluded.entered_by), "
            "per AS (INSERT INTO indicator_periods(indicator_id, period_from, period_to) "
            "SELECT indicator_id, period_from, max(period_to) FROM dh_stage_values "
            "GROUP BY indicator_id, period_from "
            "ON CONFLICT (indicator_id, period_from) DO UPDATE SET period_to = "
            "excluded.period_to WHERE excluded.period_to > indicator_periods.period_to), "
            "lat AS (INSERT INTO indicator_latest AS l(indicator_id, unit, period_from, "
            "period_to, received_at) SELECT indicator_id, unit, max(period_from), "
            "max(period_to), max(GREATEST(received_at, updated_at)) FROM dh_stage_values "
            "GROUP BY indicator_id, unit "
            LATEST_UPSERT ") "
            "SELECT indicator_id, unit, period_from, period_to, value, numerator, denominator, "
            "source, ext_id, at, received_at, updated_at, entered_by, ord, new_to FROM old "
            "ORDER BY ord",
            NULL, &res, "save values", e);
    if (s == DH_OK)
        s = dh_pg_command(c, "TRUNCATE dh_stage_values", "stage values", e);
    if (s) {
        PQclear(res);
        return s;
    }
    PG_ROWS(res, i)
    {
        dh_ivalue_row old = ivalue_of(res, i);
        size_t ord = (size_t)dh_pg_col_int(res, i, 13);
        dh_date new_to = (dh_date)dh_pg_col_int(res, i, 14);
        if (replaced)
            replaced(closure, ord, &old);
        if (s == DH_OK && old.period_to > new_to)
            s = shrink_ivalue_summaries(c, &rows[ord], e);
    }
    PQclear(res);
    return s;
}

/* Rounds of distinct keys, in order: a row whose (indicator, unit,
 * period_from) came earlier in the call waits for the next round (an
 * upsert may not touch a row twice), so that it replaces the earlier. */
static dh_status pg_put_ivalues(dh_conn *c, const dh_ivalue_row *rows, size_t n,
                                dh_ivalue_replaced_cb replaced, void *closure, dh_err *e)
{
    size_t *idx = dh_xmalloc((n ? n : 1) * sizeof *idx), *later = dh_xmalloc((n ? n : 1) * sizeof *later);
    size_t cap = 64;
    while (cap < 2 * n + 2)
        cap *= 2;
    size_t *slot = dh_xmalloc(cap * sizeof *slot); /* index + 1 of the row holding a key */
    size_t left = n;
    for (size_t i = 0; i < n; i++)
        later[i] = i;
    dh_status s = DH_OK;
    while (left && s == DH_OK) {
        memset(slot, 0, cap * sizeof *slot);
        size_t nround = 0, nlater = 0;
        for (size_t k = 0; k < left; k++) {
            const dh_ivalue_row *r = &rows[later[k]];
            uint64_t h = 1469598103934665603ULL ^ (uint64_t)r->indicator_id;
            h = (h ^ (uint64_t)(uint32_t)r->period_from) * 1099511628211ULL;
            for (const char *u = r->unit; *u; u++)
                h = (h ^ (unsigned char)*u) * 1099511628211ULL;
            size_t j = h & (cap - 1);
            bool taken = false;
            for (; slot[j]; j = (j + 1) & (cap - 1)) {
                const dh_ivalue_row *o = &rows[slot[j] - 1];
                if (o->indicator_id == r->indicator_id && o->period_from == r->period_from &&
                    strcmp(o->unit, r->unit) == 0) {
                    taken = true;
                    break;
                }
            }
            if (taken) {
                later[nlater++] = later[k];
            } else {
                slot[j] = later[k] + 1;
                idx[nround++] = later[k];
            }
        }
        s = put_ivalues_round(c, rows, idx, nround, replaced, closure, e);
        left = nlater;
    }
    free(slot);
    free(idx);
    free(later);
    return s;
}

const dh_indicators_ops dh_postgres_indicators_ops = {
    .put_indicator = pg_put_indicator,
    .load_indicators = pg_load_indicators,
    .find_ireceipt = pg_find_ireceipt,
    .add_ireceipt = pg_add_ireceipt,
    .put_ivalue = pg_put_ivalue,
    .list_ivalues = pg_list_ivalues,
    .ivalues_latest = pg_ivalues_latest,
    .put_obligation = pg_put_obligation,
    .load_obligations = pg_load_obligations,
    .put_approval = pg_put_approval,
    .load_approvals = pg_load_approvals,
    .find_ireceipts = pg_find_ireceipts,
    .add_ireceipts = pg_add_ireceipts,
    .put_ivalues = pg_put_ivalues,
};
