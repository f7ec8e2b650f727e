/* sq_indicators.c - the SQLite backend of store/indicators.h: indicators, values, receipts, obligations and approvals. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/indicators.h"
#include "store/sqlite/sq.h"
#include "util/buf.h"

/* ---- Indicators, values, targets, obligations (issue 8). ------------------ */

static dh_status sq_put_indicator(dh_conn *c, const dh_indicator_row *r, int64_t *id, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(
        c,
        "INSERT INTO indicators(id, code, name, uom, direction, aggregation, source, period_type, "
        "freshness, formula, note, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT(id) DO UPDATE SET name=excluded.name, uom=excluded.uom, "
        "direction=excluded.direction, aggregation=excluded.aggregation, source=excluded.source, "
        "period_type=excluded.period_type, freshness=excluded.freshness, "
        "formula=excluded.formula, note=excluded.note, updated_at=excluded.updated_at",
        e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_id(st, 1, r->id);
    dh_sq_bind_text(st, 2, r->code);
    dh_sq_bind_text(st, 3, r->name);
    dh_sq_bind_text(st, 4, r->uom);
    dh_sq_bind_text(st, 5, r->direction);
    dh_sq_bind_text(st, 6, r->aggregation);
    dh_sq_bind_text(st, 7, r->source);
    dh_sq_bind_text(st, 8, r->period_type);
    dh_sq_bind_text(st, 9, r->freshness);
    dh_sq_bind_text(st, 10, r->formula);
    dh_sq_bind_text(st, 11, r->note);
    sqlite3_bind_int64(st, 12, (sqlite3_int64)r->created_at);
    sqlite3_bind_int64(st, 13, (sqlite3_int64)r->updated_at);
    return dh_sq_run_save(c, st, "save indicator", r->id, id, e);
}

static dh_status sq_load_indicators(dh_conn *c, dh_indicator_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "SELECT id, code, name, uom, direction, aggregation, source, "
                            "period_type, freshness, formula, note, created_at, updated_at "
                            "FROM indicators ORDER BY code",
                            e);
    if (!st)
        return DH_E_DB;
    int rc;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_indicator_row r = {sqlite3_column_int64(st, 0), dh_sq_col_text(st, 1), dh_sq_col_text(st, 2),
                              dh_sq_col_text(st, 3), dh_sq_col_text(st, 4), dh_sq_col_text(st, 5),
                              dh_sq_col_text(st, 6), dh_sq_col_text(st, 7), dh_sq_col_text(st, 8),
                              dh_sq_col_text(st, 9), dh_sq_col_text(st, 10), dh_sq_col_time(st, 11),
                              dh_sq_col_time(st, 12)};
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "read indicators");
}

static dh_status sq_find_ireceipt(dh_conn *c, const char *source, const char *ext_id,
                                  dh_code_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st =
        dh_sq_stmt(c, "SELECT content FROM indicator_receipts WHERE source = ? AND ext_id = ?", e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, source);
    dh_sq_bind_text(st, 2, ext_id);
    int rc = dh_sq_step(st);
    dh_status s = DH_OK;
    if (rc == SQLITE_ROW)
        cb(closure, dh_sq_col_text(st, 0));
    else if (rc == SQLITE_DONE)
        s = dh_err_set(e, DH_E_NOTFOUND, "not_found", "id", "no receipt for id '%s' of '%s'",
                       ext_id, source);
    else
        s = dh_sq_db_error(c, e, "find receipt");
    sqlite3_reset(st);
    return s;
}

#define IVALUE_COLS                                                                              \
    "indicator_id, unit, period_from, period_to, value, numerator, denominator, source, "     \
    "ext_id, at, received_at, updated_at, entered_by"

static dh_ivalue_row ivalue_of(sqlite3_stmt *st)
{
    dh_ivalue_row r = {sqlite3_column_int64(st, 0), dh_sq_col_text(st, 1),
                       (dh_date)sqlite3_column_int(st, 2), (dh_date)sqlite3_column_int(st, 3),
                       sqlite3_column_double(st, 4), sqlite3_column_type(st, 5) != SQLITE_NULL,
                       sqlite3_column_double(st, 5), sqlite3_column_double(st, 6),
                       dh_sq_col_text(st, 7), dh_sq_col_text(st, 8), dh_sq_col_time(st, 9), dh_sq_col_time(st, 10),
                       dh_sq_col_time(st, 11), dh_sq_col_text(st, 12)};
    return r;
}

static dh_status ivalue_rows(dh_conn *c, sqlite3_stmt *st, dh_ivalue_cb cb, void *closure,
                             bool *any, dh_err *e)
{
    int rc;
    *any = false;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_ivalue_row r = ivalue_of(st);
        *any = true;
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "read values");
}

static dh_status sq_add_ireceipt(dh_conn *c, const char *source, const char *ext_id,
                                 const char *content, dh_code_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "INSERT INTO indicator_receipts(source, ext_id, content) VALUES "
                            "(?,?,?) ON CONFLICT DO NOTHING",
                            e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, source);
    dh_sq_bind_text(st, 2, ext_id);
    dh_sq_bind_text(st, 3, content);
    dh_status s = dh_sq_run(c, st, "save receipt", e);
    if (s || sqlite3_changes(c->db) > 0)
        return s;
    s = sq_find_ireceipt(c, source, ext_id, cb, closure, e);
    return s ? s
             : dh_err_set(e, DH_E_CONFLICT, "duplicate_id", "id",
                          "id '%s' of source '%s' was already received", ext_id, source);
}

/* The two small tables that stand in for a series index (migration 008):
 * the indicator's periods and the unit's latest period and receipt. */
static dh_status keep_ivalue_summaries(dh_conn *c, const dh_ivalue_row *r, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "INSERT INTO indicator_periods(indicator_id, period_from, period_to) "
                            "VALUES (?1,?2,?3) ON CONFLICT DO UPDATE SET period_to = "
                            "excluded.period_to WHERE excluded.period_to > period_to",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, r->indicator_id);
    sqlite3_bind_int(st, 2, r->period_from);
    sqlite3_bind_int(st, 3, r->period_to);
    dh_status s = dh_sq_run(c, st, "save value period", e);
    if (s)
        return s;
    st = dh_sq_stmt(c,
              "INSERT INTO indicator_latest(indicator_id, unit, period_from, period_to, "
              "received_at) VALUES (?1,?2,?3,?4,?5) ON CONFLICT DO UPDATE SET period_from = "
              "max(period_from, excluded.period_from), period_to = max(period_to, "
              "excluded.period_to), received_at = max(received_at, excluded.received_at)",
              e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, r->indicator_id);
    dh_sq_bind_text(st, 2, r->unit);
    sqlite3_bind_int(st, 3, r->period_from);
    sqlite3_bind_int(st, 4, r->period_to);
    sqlite3_bind_int64(st, 5,
                       (sqlite3_int64)(r->updated_at > r->received_at ? r->updated_at
                                                                      : r->received_at));
    return dh_sq_run(c, st, "save latest value", e);
}

/* A replacement ended earlier than the value it replaced (the indicator's
 * period type changed): the maxima kept may have been the old end, so
 * both rows are worked out again from the values. */
static dh_status shrink_ivalue_summaries(dh_conn *c, const dh_ivalue_row *r, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "UPDATE indicator_periods SET period_to = (SELECT max(period_to) FROM "
                            "indicator_values WHERE indicator_id = ?1 AND period_from = ?2) "
                            "WHERE indicator_id = ?1 AND period_from = ?2",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, r->indicator_id);
    sqlite3_bind_int(st, 2, r->period_from);
    dh_status s = dh_sq_run(c, st, "correct value period", e);
    if (s)
        return s;
    st = dh_sq_stmt(c,
              "UPDATE indicator_latest SET (period_from, period_to) = (SELECT max(v.period_from), "
              "max(v.period_to) FROM indicator_periods p CROSS JOIN indicator_values v WHERE "
              "p.indicator_id = ?1 AND v.indicator_id = ?1 AND v.period_from = p.period_from AND "
              "v.unit = ?2) WHERE indicator_id = ?1 AND unit = ?2",
              e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, r->indicator_id);
    dh_sq_bind_text(st, 2, r->unit);
    return dh_sq_run(c, st, "correct latest value", e);
}

/* One statement for a new value; a value already there for the key is
 * read, kept in the history and replaced (its received_at stays). */
static dh_status sq_put_ivalue(dh_conn *c, const dh_ivalue_row *r, dh_ivalue_cb replaced,
                               void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "INSERT INTO indicator_values(" IVALUE_COLS
                            ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, r->indicator_id);
    dh_sq_bind_text(st, 2, r->unit);
    sqlite3_bind_int(st, 3, r->period_from);
    sqlite3_bind_int(st, 4, r->period_to);
    sqlite3_bind_double(st, 5, r->value);
    if (r->has_nd) {
        sqlite3_bind_double(st, 6, r->numerator);
        sqlite3_bind_double(st, 7, r->denominator);
    }
    dh_sq_bind_text(st, 8, r->source);
    dh_sq_bind_text(st, 9, r->ext_id);
    dh_sq_bind_time(st, 10, r->at);
    sqlite3_bind_int64(st, 11, (sqlite3_int64)r->received_at);
    sqlite3_bind_int64(st, 12, (sqlite3_int64)r->updated_at);
    dh_sq_bind_text(st, 13, r->entered_by);
    dh_status s = dh_sq_run(c, st, "save value", e);
    if (s)
        return s;
    if (sqlite3_changes(c->db) > 0)
        return keep_ivalue_summaries(c, r, e);
    sqlite3_stmt *q = dh_sq_stmt(c,
                           "SELECT " IVALUE_COLS " FROM indicator_values WHERE indicator_id = ? "
                           "AND unit = ? AND period_from = ?",
                           e);
    if (!q)
        return DH_E_DB;
    sqlite3_bind_int64(q, 1, r->indicator_id);
    dh_sq_bind_text(q, 2, r->unit);
    sqlite3_bind_int(q, 3, r->period_from);
    if (dh_sq_step(q) != SQLITE_ROW) {
        s = dh_sq_db_error(c, e, "read replaced value");
        sqlite3_reset(q);
        return s;
    }
    dh_ivalue_row old = ivalue_of(q);
    if (replaced)
        replaced(closure, &old);
    st = dh_sq_stmt(c,
              "INSERT INTO indicator_value_history(indicator_id, unit, period_from, "
              "period_to, value, numerator, denominator, source, ext_id, received_at, "
              "replaced_at, replaced_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
              e);
    if (!st) {
        sqlite3_reset(q);
        return DH_E_DB;
    }
    sqlite3_bind_int64(st, 1, old.indicator_id);
    dh_sq_bind_text(st, 2, old.unit);
    sqlite3_bind_int(st, 3, old.period_from);
    sqlite3_bind_int(st, 4, old.period_to);
    sqlite3_bind_double(st, 5, old.value);
    if (old.has_nd) {
        sqlite3_bind_double(st, 6, old.numerator);
        sqlite3_bind_double(st, 7, old.denominator);
    }
    dh_sq_bind_text(st, 8, old.source);
    dh_sq_bind_text(st, 9, old.ext_id);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)old.received_at);
    sqlite3_bind_int64(st, 11, (sqlite3_int64)r->updated_at);
    dh_sq_bind_text(st, 12, r->entered_by);
    s = dh_sq_run(c, st, "keep value history", e);
    sqlite3_reset(q);
    if (s)
        return s;
    st = dh_sq_stmt(c,
              "UPDATE indicator_values SET period_to = ?4, value = ?5, numerator = ?6, "
              "denominator = ?7, source = ?8, ext_id = ?9, at = ?10, updated_at = ?12, "
              "entered_by = ?13 WHERE indicator_id = ?1 AND unit = ?2 AND period_from = ?3",
              e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, r->indicator_id);
    dh_sq_bind_text(st, 2, r->unit);
    sqlite3_bind_int(st, 3, r->period_from);
    sqlite3_bind_int(st, 4, r->period_to);
    sqlite3_bind_double(st, 5, r->value);
    if (r->has_nd) {
        sqlite3_bind_double(st, 6, r->numerator);
        sqlite3_bind_double(st, 7, r->denominator);
    }
    dh_sq_bind_text(st, 8, r->source);
    dh_sq_bind_text(st, 9, r->ext_id);
    dh_sq_bind_time(st, 10, r->at);
    sqlite3_bind_int64(st, 12, (sqlite3_int64)r->updated_at);
    dh_sq_bind_text(st, 13, r->entered_by);
    s = dh_sq_run(c, st, "replace value", e);
    if (s == DH_OK)
        s = keep_ivalue_summaries(c, r, e);
    if (s == DH_OK && old.period_to > r->period_to)
        s = shrink_ivalue_summaries(c, r, e);
    return s;
}

static dh_status sq_list_ivalues(dh_conn *c, const dh_ivalue_filter *f, dh_ivalue_cb cb,
                                 void *closure, dh_err *e)
{
    /* One text per combination of the filters given: "?1 = 0 OR ..." would
     * keep the planner from the keys (a scan of every value). Given units,
     * the indicator's periods (indicator_periods, a few rows) are walked and
     * each unit is a primary-key seek (indicator, period, unit) in each: a
     * unit's series costs a seek per period, with no index to keep on the
     * write path (migration 008). */
#define IV_PERIODS " AND (?3 IS NULL OR period_to >= ?3) AND (?4 IS NULL OR period_from <= ?4)"
#define IV_ALL(ind, order)                                                                       \
    "SELECT " IVALUE_COLS " FROM indicator_values WHERE " ind IV_PERIODS " ORDER BY " order     \
    " LIMIT ?5 OFFSET ?6"
#define IV_UNITS(ind, order)                                                                     \
    "SELECT v.indicator_id, v.unit, v.period_from, v.period_to, v.value, v.numerator, "         \
    "v.denominator, v.source, v.ext_id, v.at, v.received_at, v.updated_at, v.entered_by "       \
    "FROM indicator_periods p CROSS JOIN indicator_values v WHERE " ind                          \
    " AND (?3 IS NULL OR p.period_to >= ?3) AND (?4 IS NULL OR p.period_from <= ?4) AND "        \
    "v.indicator_id = p.indicator_id AND v.period_from = p.period_from AND v.unit IN (SELECT "  \
    "value FROM json_each(?2)) AND (?3 IS NULL OR v.period_to >= ?3) ORDER BY " order           \
    " LIMIT ?5 OFFSET ?6"
#define IV_BY_KEY "indicator_id, unit, period_from"
#define IV_BY_PERIOD "period_from, unit"
#define IV_V_BY_KEY "v.indicator_id, v.unit, v.period_from"
#define IV_V_BY_PERIOD "v.period_from, v.unit"
    static const char *const texts[2][4] = {
        {IV_ALL("(?1 = 0 OR indicator_id = ?1)", IV_BY_KEY), IV_ALL("indicator_id = ?1", IV_BY_KEY),
         IV_UNITS("(?1 = 0 OR p.indicator_id = ?1)", IV_V_BY_KEY),
         IV_UNITS("p.indicator_id = ?1", IV_V_BY_KEY)},
        {IV_ALL("(?1 = 0 OR indicator_id = ?1)", IV_BY_PERIOD),
         IV_ALL("indicator_id = ?1", IV_BY_PERIOD),
         IV_UNITS("(?1 = 0 OR p.indicator_id = ?1)", IV_V_BY_PERIOD),
         IV_UNITS("p.indicator_id = ?1", IV_V_BY_PERIOD)}};
#undef IV_PERIODS
#undef IV_ALL
#undef IV_UNITS
    int variant = (f->units_json ? 2 : 0) + (f->indicator_id ? 1 : 0);
    sqlite3_stmt *st = dh_sq_stmt(c, texts[f->by_period][variant], e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, f->indicator_id);
    dh_sq_bind_text(st, 2, f->units_json);
    if (f->from != DH_DATE_NONE)
        sqlite3_bind_int(st, 3, f->from);
    if (f->to != DH_DATE_NONE)
        sqlite3_bind_int(st, 4, f->to);
    sqlite3_bind_int64(st, 5, f->limit > 0 ? f->limit : -1);
    sqlite3_bind_int64(st, 6, f->offset);
    bool any;
    return ivalue_rows(c, st, cb, closure, &any, e);
}

static dh_status sq_ivalues_latest(dh_conn *c, int64_t indicator_id, const char *units_json,
                                   dh_date *from, dh_date *to, time_t *received, dh_err *e)
{
    /* indicator_latest: a row per indicator and unit (migration 008) */
#define IV_LATEST "SELECT max(period_from), max(period_to), max(received_at) " \
                  "FROM indicator_latest WHERE indicator_id = ?1"
    sqlite3_stmt *st = dh_sq_stmt(c,
                            units_json ? IV_LATEST " AND unit IN (SELECT value FROM json_each(?2))"
                                       : IV_LATEST,
                            e);
#undef IV_LATEST
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, indicator_id);
    if (units_json)
        dh_sq_bind_text(st, 2, units_json);
    int rc = dh_sq_step(st);
    dh_status s = DH_OK;
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        *from = (dh_date)sqlite3_column_int(st, 0);
        *to = (dh_date)sqlite3_column_int(st, 1);
        *received = (time_t)sqlite3_column_int64(st, 2);
    } else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
        s = dh_err_set(e, DH_E_NOTFOUND, "not_found", NULL, "indicator %lld has no values",
                       (long long)indicator_id);
    } else {
        s = dh_sq_db_error(c, e, "read latest values");
    }
    sqlite3_reset(st);
    return s;
}

static dh_status sq_put_obligation(dh_conn *c, const dh_obligation_row *r, int64_t *id,
                                   dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(
        c,
        "INSERT INTO obligations(id, code, name, period_type, due_rule, window_days, approval, "
        "indicators, units, unit_rule, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT(id) DO UPDATE SET name=excluded.name, period_type=excluded.period_type, "
        "due_rule=excluded.due_rule, window_days=excluded.window_days, "
        "approval=excluded.approval, indicators=excluded.indicators, units=excluded.units, "
        "unit_rule=excluded.unit_rule, updated_at=excluded.updated_at",
        e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_id(st, 1, r->id);
    dh_sq_bind_text(st, 2, r->code);
    dh_sq_bind_text(st, 3, r->name);
    dh_sq_bind_text(st, 4, r->period_type);
    dh_sq_bind_text(st, 5, r->due_rule);
    if (r->window_days >= 0)
        sqlite3_bind_int(st, 6, r->window_days);
    sqlite3_bind_int(st, 7, r->approval);
    dh_sq_bind_text(st, 8, r->indicators_json);
    dh_sq_bind_text(st, 9, r->units_json);
    dh_sq_bind_text(st, 10, r->unit_rule ? r->unit_rule : "");
    sqlite3_bind_int64(st, 11, (sqlite3_int64)r->created_at);
    sqlite3_bind_int64(st, 12, (sqlite3_int64)r->updated_at);
    return dh_sq_run_save(c, st, "save obligation", r->id, id, e);
}

static dh_status sq_load_obligations(dh_conn *c, dh_obligation_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "SELECT id, code, name, period_type, due_rule, window_days, approval, "
                            "indicators, units, unit_rule, created_at, updated_at "
                            "FROM obligations ORDER BY id",
                            e);
    if (!st)
        return DH_E_DB;
    int rc;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_obligation_row r = {sqlite3_column_int64(st, 0),
                               dh_sq_col_text(st, 1),
                               dh_sq_col_text(st, 2),
                               dh_sq_col_text(st, 3),
                               dh_sq_col_text(st, 4),
                               sqlite3_column_type(st, 5) == SQLITE_NULL
                                   ? -1
                                   : sqlite3_column_int(st, 5),
                               sqlite3_column_int(st, 6) != 0,
                               dh_sq_col_text(st, 7),
                               dh_sq_col_text(st, 8),
                               dh_sq_col_text(st, 9),
                               dh_sq_col_time(st, 10),
                               dh_sq_col_time(st, 11)};
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "read obligations");
}

static dh_status sq_put_approval(dh_conn *c, const dh_approval_row *r, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "INSERT INTO obligation_approvals(obligation_id, unit, period_from, "
                            "period_to, approved_by, approved_at) VALUES (?,?,?,?,?,?)",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, r->obligation_id);
    dh_sq_bind_text(st, 2, r->unit);
    sqlite3_bind_int(st, 3, r->period_from);
    sqlite3_bind_int(st, 4, r->period_to);
    dh_sq_bind_text(st, 5, r->approved_by);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)r->approved_at);
    return dh_sq_run(c, st, "save approval", e);
}

static dh_status sq_load_approvals(dh_conn *c, dh_approval_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "SELECT obligation_id, unit, period_from, period_to, approved_by, "
                            "approved_at FROM obligation_approvals "
                            "ORDER BY obligation_id, unit, period_from",
                            e);
    if (!st)
        return DH_E_DB;
    int rc;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_approval_row r = {sqlite3_column_int64(st, 0), dh_sq_col_text(st, 1),
                             (dh_date)sqlite3_column_int(st, 2),
                             (dh_date)sqlite3_column_int(st, 3), dh_sq_col_text(st, 4),
                             dh_sq_col_time(st, 5)};
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "read approvals");
}

/* ---- Bulk: loops over the ops above. ---- */

struct one_receipt {
    dh_ireceipt_cb cb;
    void *closure;
    const char *source, *ext_id;
};

static int on_one_receipt(void *cl, const char *content)
{
    struct one_receipt *r = cl;
    return r->cb(r->closure, r->source, r->ext_id, content);
}

static dh_status sq_find_ireceipts(dh_conn *c, const char *const *sources, const char *const *ids,
                                   size_t n, dh_ireceipt_cb cb, void *closure, dh_err *e)
{
    for (size_t i = 0; i < n; i++) {
        struct one_receipt r = {cb, closure, sources[i], ids[i]};
        dh_status s = sq_find_ireceipt(c, sources[i], ids[i], on_one_receipt, &r, e);
        if (s && s != DH_E_NOTFOUND)
            return s;
    }
    return DH_OK;
}

static int ignore_content(void *cl, const char *content)
{
    (void)cl, (void)content;
    return 1;
}

static dh_status sq_add_ireceipts(dh_conn *c, const char *const *sources, const char *const *ids,
                                  const char *const *contents, size_t n, dh_err *e)
{
    dh_status s = DH_OK;
    for (size_t i = 0; i < n && s == DH_OK; i++)
        s = sq_add_ireceipt(c, sources[i], ids[i], contents[i], ignore_content, NULL, e);
    return s;
}

struct one_old {
    dh_ivalue_replaced_cb cb;
    void *closure;
    size_t i;
};

static int on_one_old(void *cl, const dh_ivalue_row *old)
{
    struct one_old *o = cl;
    return o->cb ? o->cb(o->closure, o->i, old) : 0;
}

static dh_status sq_put_ivalues(dh_conn *c, const dh_ivalue_row *rows, size_t n,
                                dh_ivalue_replaced_cb replaced, void *closure, dh_err *e)
{
    dh_status s = DH_OK;
    for (size_t i = 0; i < n && s == DH_OK; i++) {
        struct one_old o = {replaced, closure, i};
        s = sq_put_ivalue(c, &rows[i], on_one_old, &o, e);
    }
    return s;
}

const dh_indicators_ops dh_sqlite_indicators_ops = {
    .put_indicator = sq_put_indicator,
    .load_indicators = sq_load_indicators,
    .find_ireceipt = sq_find_ireceipt,
    .add_ireceipt = sq_add_ireceipt,
    .put_ivalue = sq_put_ivalue,
    .list_ivalues = sq_list_ivalues,
    .ivalues_latest = sq_ivalues_latest,
    .put_obligation = sq_put_obligation,
    .load_obligations = sq_load_obligations,
    .put_approval = sq_put_approval,
    .load_approvals = sq_load_approvals,
    .find_ireceipts = sq_find_ireceipts,
    .add_ireceipts = sq_add_ireceipts,
    .put_ivalues = sq_put_ivalues,
};
