/* sq_dossiers.c - the SQLite backend of store/dossiers.h: dossier events and derived dossiers. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/dossiers.h"
#include "store/sqlite/sq.h"
#include "util/buf.h"

#define DEVENT_COLS "seq, source, id, dossier, type, at, body, stored_at"

static dh_status devent_rows(dh_conn *c, sqlite3_stmt *st, dh_devent_cb cb, void *closure,
                             bool *any, dh_err *e)
{
    int rc;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_devent_row r = {sqlite3_column_int64(st, 0), dh_sq_col_text(st, 1), dh_sq_col_text(st, 2),
                           dh_sq_col_text(st, 3), dh_sq_col_text(st, 4), dh_sq_col_time(st, 5), dh_sq_col_text(st, 6),
                           dh_sq_col_time(st, 7)};
        *any = true;
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "read dossier events");
}

static dh_status sq_find_devent(dh_conn *c, const char *source, const char *id, dh_devent_cb cb,
                                void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "SELECT " DEVENT_COLS " FROM dossier_events WHERE source = ? AND id = ?",
                            e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, source);
    dh_sq_bind_text(st, 2, id);
    bool any = false;
    dh_status s = devent_rows(c, st, cb, closure, &any, e);
    if (s == DH_OK && !any)
        return dh_err_set(e, DH_E_NOTFOUND, "not_found", NULL, "no such event");
    return s;
}

static dh_status sq_insert_devent(dh_conn *c, const dh_devent_row *r, int64_t *seq, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "INSERT INTO dossier_events(source, id, dossier, type, at, body, "
                            "stored_at) VALUES (?,?,?,?,?,?,?)",
                            e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, r->source);
    dh_sq_bind_text(st, 2, r->id);
    dh_sq_bind_text(st, 3, r->dossier);
    dh_sq_bind_text(st, 4, r->type);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)r->at);
    dh_sq_bind_text(st, 6, r->body);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)r->stored_at);
    dh_status s = dh_sq_run(c, st, "insert dossier event", e);
    if (s == DH_OK)
        *seq = sqlite3_last_insert_rowid(c->db);
    return s;
}

static dh_status sq_load_devents(dh_conn *c, const char *dossier, dh_devent_cb cb, void *closure,
                                 dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "SELECT " DEVENT_COLS " FROM dossier_events WHERE dossier = ? "
                            "ORDER BY at, seq",
                            e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, dossier);
    bool any = false;
    return devent_rows(c, st, cb, closure, &any, e);
}

static dh_status sq_put_dossier(dh_conn *c, const dh_dossier_row *r, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(
        c,
        "INSERT OR REPLACE INTO dossiers(code, unit, receiving_unit, procedure, channel, "
        "by_applicant, received_at, counting_from, due_at, due_effective, at_risk_from, "
        "extended_to, finished_at, state, outcome, used_minutes, budget_minutes, late_minutes, "
        "nsupplements, paid, paid_online, rating, digitised_input, digitised_result, updated_at, "
        "fact) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, r->code);
    dh_sq_bind_text(st, 2, r->unit);
    dh_sq_bind_text(st, 3, r->receiving_unit);
    dh_sq_bind_text(st, 4, r->procedure);
    dh_sq_bind_text(st, 5, r->channel);
    sqlite3_bind_int(st, 6, r->by_applicant);
    dh_sq_bind_time(st, 7, r->received_at);
    dh_sq_bind_time(st, 8, r->counting_from);
    dh_sq_bind_time(st, 9, r->due_at);
    dh_sq_bind_time(st, 10, r->due_effective);
    dh_sq_bind_time(st, 11, r->at_risk_from);
    dh_sq_bind_time(st, 12, r->extended_to);
    dh_sq_bind_time(st, 13, r->finished_at);
    dh_sq_bind_text(st, 14, r->state);
    if (r->outcome)
        dh_sq_bind_text(st, 15, r->outcome);
    else
        sqlite3_bind_null(st, 15);
    sqlite3_bind_int64(st, 16, r->used_minutes);
    sqlite3_bind_int64(st, 17, r->budget_minutes);
    sqlite3_bind_int64(st, 18, r->late_minutes);
    sqlite3_bind_int(st, 19, r->nsupplements);
    sqlite3_bind_int(st, 20, r->paid);
    sqlite3_bind_int(st, 21, r->paid_online);
    sqlite3_bind_int(st, 22, r->rating);
    sqlite3_bind_int(st, 23, r->digitised_input);
    sqlite3_bind_int(st, 24, r->digitised_result);
    sqlite3_bind_int64(st, 25, (sqlite3_int64)r->updated_at);
    unsigned char blob[DH_DFACT_BLOB];
    if (r->fact) {
        dh_dfact_pack(r->fact, blob);
        dh_sq_bound(st, sqlite3_bind_blob(st, 26, blob, sizeof blob, SQLITE_TRANSIENT));
    } else {
        sqlite3_bind_null(st, 26);
    }
    return dh_sq_run(c, st, "save dossier", e);
}

#define DOSSIER_COLS                                                                           \
    "code, unit, receiving_unit, procedure, channel, by_applicant, received_at, counting_from, " \
    "due_at, due_effective, at_risk_from, extended_to, finished_at, state, outcome, "           \
    "used_minutes, budget_minutes, late_minutes, nsupplements, paid, paid_online, rating, "     \
    "digitised_input, digitised_result, updated_at"

static dh_status dossier_rows(dh_conn *c, sqlite3_stmt *st, dh_dossier_cb cb, void *closure,
                              bool *any, dh_err *e)
{
    int rc;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_dossier_row r = {
            dh_sq_col_text(st, 0),  dh_sq_col_text(st, 1),  dh_sq_col_text(st, 2),  dh_sq_col_text(st, 3),
            dh_sq_col_text(st, 4),  sqlite3_column_int(st, 5) != 0,     dh_sq_col_time(st, 6),
            dh_sq_col_time(st, 7),  dh_sq_col_time(st, 8),  dh_sq_col_time(st, 9),  dh_sq_col_time(st, 10),
            dh_sq_col_time(st, 11), dh_sq_col_time(st, 12), dh_sq_col_text(st, 13), dh_sq_col_text_or_null(st, 14),
            sqlite3_column_int64(st, 15),       sqlite3_column_int64(st, 16),
            sqlite3_column_int64(st, 17),       sqlite3_column_int(st, 18),
            sqlite3_column_int(st, 19) != 0,    sqlite3_column_int(st, 20) != 0,
            sqlite3_column_int(st, 21),         sqlite3_column_int(st, 22) != 0,
            sqlite3_column_int(st, 23) != 0,    dh_sq_col_time(st, 24), NULL};
        *any = true;
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "read dossiers");
}

static dh_status sq_get_dossier(dh_conn *c, const char *code, dh_dossier_cb cb, void *closure,
                                dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c, "SELECT " DOSSIER_COLS " FROM dossiers WHERE code = ?", e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, code);
    bool any = false;
    dh_status s = dossier_rows(c, st, cb, closure, &any, e);
    if (s == DH_OK && !any)
        return dh_err_set(e, DH_E_NOTFOUND, "not_found", NULL, "no dossier '%s'", code);
    return s;
}

/* The plain overdue (or open) list, in (due_effective, code) order like
 * every list of dossiers on both engines. The open states are read through
 * the (unit, state, due_effective) index, which holds the rowid but not the
 * code: the deadline D of the page's last row is found from the index alone
 * (the first offset + limit entries in deadline order), then only the rows
 * due by D are read from the table (the page's, and those tied with its
 * last one) and ordered by code within a deadline. */
static dh_status list_open_page(dh_conn *c, const dh_dossier_filter *f, const char *state,
                                int64_t lo, int64_t hi, dh_dossier_cb cb, void *closure,
                                dh_err *e)
{
#define OPEN_RANGE                                                                         \
    " FROM dossiers INDEXED BY dossiers_unit_state WHERE unit IN (SELECT value FROM "   \
    "json_each(?1)) AND state = ?2 AND due_effective >= ?3 AND due_effective < ?4 "
    sqlite3_stmt *st = dh_sq_stmt(
        c,
        "SELECT " DOSSIER_COLS " FROM dossiers WHERE rowid IN (SELECT rowid" OPEN_RANGE
        "  AND due_effective <= (SELECT max(due_effective) FROM (SELECT due_effective" OPEN_RANGE
        "  ORDER BY due_effective LIMIT CASE WHEN ?5 < 0 THEN -1 ELSE ?5 + max(?6, 0) END))) "
        "ORDER BY due_effective, code LIMIT ?5 OFFSET ?6",
        e);
#undef OPEN_RANGE
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, f->units_json);
    dh_sq_bind_text(st, 2, state);
    sqlite3_bind_int64(st, 3, lo);
    sqlite3_bind_int64(st, 4, hi);
    sqlite3_bind_int(st, 5, f->limit);
    sqlite3_bind_int64(st, 6, f->offset);
    bool any = false;
    return dossier_rows(c, st, cb, closure, &any, e);
}

static dh_status list_open_dossiers(dh_conn *c, const dh_dossier_filter *f, dh_dossier_cb cb,
                                    void *closure, dh_err *e)
{
    bool plain = !f->procedure && !f->from && !f->to && !f->q && !f->channel &&
                 !f->procedures_json;
    if (plain && !strcmp(f->state, "overdue"))
        return list_open_page(c, f, "in_progress", INT64_MIN, f->now, cb, closure, e);
    sqlite3_stmt *st = dh_sq_stmt(
        c,
        "SELECT " DOSSIER_COLS " FROM dossiers INDEXED BY dossiers_unit_state "
        "WHERE unit IN (SELECT value FROM json_each(?1)) "
        "AND state = ?2 AND due_effective >= ?3 AND due_effective < ?4 "
        "AND (?5 IS NULL OR at_risk_from <= ?5) AND (?6 IS NULL OR at_risk_from > ?6) "
        "AND (?7 IS NULL OR procedure = ?7) "
        "AND (?8 IS NULL OR received_at >= ?8) AND (?9 IS NULL OR received_at < ?9) "
        "AND (?10 IS NULL OR substr(code, 1, length(?10)) = ?10) "
        "AND (?13 IS NULL OR channel = ?13) "
        "AND (?14 IS NULL OR procedure IN (SELECT value FROM json_each(?14))) "
        "ORDER BY due_effective, code LIMIT ?11 OFFSET ?12",
        e);
    if (!st)
        return DH_E_DB;
    const char *state = f->state;
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    time_t risk_le = 0, risk_gt = 0;
    if (!strcmp(state, "overdue")) {
        hi = f->now;
        state = "in_progress";
    } else if (!strcmp(state, "at_risk")) {
        lo = f->now;
        risk_le = f->now;
        state = "in_progress";
    } else if (!strcmp(state, "within")) {
        risk_gt = f->now;
        state = "in_progress";
    }
    dh_sq_bind_text(st, 1, f->units_json);
    dh_sq_bind_text(st, 2, state);
    sqlite3_bind_int64(st, 3, lo);
    sqlite3_bind_int64(st, 4, hi);
    dh_sq_bind_time(st, 5, risk_le);
    dh_sq_bind_time(st, 6, risk_gt);
    if (f->procedure)
        dh_sq_bind_text(st, 7, f->procedure);
    dh_sq_bind_time(st, 8, f->from);
    dh_sq_bind_time(st, 9, f->to);
    if (f->q)
        dh_sq_bind_text(st, 10, f->q);
    sqlite3_bind_int(st, 11, f->limit);
    if (f->channel)
        dh_sq_bind_text(st, 13, f->channel);
    if (f->procedures_json)
        dh_sq_bind_text(st, 14, f->procedures_json);
    sqlite3_bind_int64(st, 12, f->offset);
    bool any = false;
    return dossier_rows(c, st, cb, closure, &any, e);
}

/* ---- Keyset pages (issue 20): each segment of dh_dossier_segments is read
 * as two index ranges in (key, due_effective, code) order, the NULL
 * deadlines then [lo, hi), each starting just after the cursor when the
 * cursor is in it; no statement sorts. The filters other than state are
 * residual tests on the rows the range yields. */
#define SEG_TESTS                                                                             \
    "AND (?6 IS NULL OR unit IN (SELECT value FROM json_each(?6))) "                         \
    "AND (?7 IS NULL OR procedure = ?7) "                                                    \
    "AND (?8 IS NULL OR received_at >= ?8) AND (?9 IS NULL OR received_at < ?9) "            \
    "AND (?10 IS NULL OR substr(code, 1, length(?10)) = ?10) "                               \
    "AND (?11 IS NULL OR channel = ?11) "                                                    \
    "AND (?12 IS NULL OR procedure IN (SELECT value FROM json_each(?12))) "                  \
    "AND (CASE ?13 WHEN 0 THEN 1 WHEN 1 THEN state = 'in_progress' "                         \
    "  WHEN 2 THEN state = 'in_progress' AND at_risk_from <= ?14 "                           \
    "  WHEN 3 THEN state = 'paused' OR (state = 'in_progress' AND (due_effective IS NULL "   \
    "    OR due_effective >= ?14) AND (at_risk_from IS NULL OR at_risk_from > ?14)) "        \
    "  WHEN 4 THEN state <> 'incomplete' "                                                   \
    "  WHEN 5 THEN state <> 'incomplete' AND outcome = ?15 "                                 \
    "  WHEN 6 THEN at_risk_from > ?14 END) "
#define SEG_NULLS(index, key)                                                                 \
    "SELECT " DOSSIER_COLS " FROM dossiers INDEXED BY " index " WHERE " key " = ?1 "        \
    "AND due_effective IS NULL AND code > ?3 " SEG_TESTS                                      \
    "ORDER BY due_effective, code LIMIT ?5"
#define SEG_RANGE(index, key)                                                                 \
    "SELECT " DOSSIER_COLS " FROM dossiers INDEXED BY " index " WHERE " key " = ?1 "        \
    "AND (due_effective, code) > (?2, ?3) AND due_effective < ?4 " SEG_TESTS                  \
    "ORDER BY due_effective, code LIMIT ?5"

static dh_status seg_read(dh_conn *c, const dh_dossier_filter *f, const dh_dseg *g, bool nulls,
                          int64_t after_due, const char *after_code, int64_t limit,
                          dh_dossier_cb cb, void *closure, dh_err *e)
{
    static const char *const sql[3][2] = {
        {SEG_RANGE("dossiers_phase_due_code", DH_DOSSIER_PHASE),
         SEG_NULLS("dossiers_phase_due_code", DH_DOSSIER_PHASE)},
        {SEG_RANGE("dossiers_state_due_code", "state"),
         SEG_NULLS("dossiers_state_due_code", "state")},
        /* one unit's rows of one state (the walk by unit, dsegs.c) */
        {SEG_RANGE("dossiers_unit_state", "unit = ?16 AND state"),
         SEG_NULLS("dossiers_unit_state", "unit = ?16 AND state")}};
    sqlite3_stmt *st = dh_sq_stmt(c, sql[g->unit && g->state ? 2 : g->state != NULL][nulls], e);
    if (!st)
        return DH_E_DB;
    if (g->state)
        dh_sq_bind_text(st, 1, g->state);
    else
        sqlite3_bind_int(st, 1, g->phase);
    sqlite3_bind_int64(st, 2, after_due);
    dh_sq_bind_text(st, 3, after_code);
    sqlite3_bind_int64(st, 4, g->hi);
    sqlite3_bind_int64(st, 5, limit);
    if (f->units_json)
        dh_sq_bind_text(st, 6, f->units_json);
    if (f->procedure)
        dh_sq_bind_text(st, 7, f->procedure);
    dh_sq_bind_time(st, 8, f->from);
    dh_sq_bind_time(st, 9, f->to);
    if (f->q)
        dh_sq_bind_text(st, 10, f->q);
    if (f->channel)
        dh_sq_bind_text(st, 11, f->channel);
    if (f->procedures_json)
        dh_sq_bind_text(st, 12, f->procedures_json);

    sqlite3_bind_int(st, 13, g->test);
    sqlite3_bind_int64(st, 14, (sqlite3_int64)f->now);
    if (f->state)
        dh_sq_bind_text(st, 15, f->state);
    if (g->unit && g->state)
        dh_sq_bind_text(st, 16, g->unit);
    bool any = false;
    return dossier_rows(c, st, cb, closure, &any, e);
}

static dh_status sq_list_dossiers(dh_conn *c, const dh_dossier_filter *f, dh_dossier_cb cb,
                                  void *closure, dh_err *e)
{
    /* the first page of an open state over a small subtree goes by unit
     * (dh_dossier_by_unit); every other list and page goes by segments */
    if (dh_dossier_by_unit(f))
        return list_open_dossiers(c, f, cb, closure, e);
    dh_dseg seg[4];
    size_t nseg = dh_dossier_segments(f, seg);
    if (nseg)
        return dh_dossier_walk(c, f, seg, nseg, seg_read, cb, closure, e);
    sqlite3_stmt *st = dh_sq_stmt(
        c,
        "SELECT " DOSSIER_COLS " FROM dossiers WHERE state <> 'incomplete' "
        "AND (?1 IS NULL OR unit IN (SELECT value FROM json_each(?1))) "
        "AND (?2 IS NULL OR procedure = ?2) "
        "AND (?3 IS NULL OR received_at >= ?3) AND (?4 IS NULL OR received_at < ?4) "
        "AND (?5 IS NULL OR substr(code, 1, length(?5)) = ?5) "
        "AND (CASE ?6 WHEN 'any' THEN 1 "
        "  WHEN 'overdue' THEN state = 'in_progress' AND due_effective < ?7 "
        "  WHEN 'at_risk' THEN state = 'in_progress' AND at_risk_from <= ?7 AND due_effective >= ?7 "
        "  WHEN 'within' THEN state = 'in_progress' AND at_risk_from > ?7 "
        "  WHEN 'early' THEN outcome = 'early' WHEN 'on_time' THEN outcome = 'on_time' "
        "  WHEN 'late' THEN outcome = 'late' ELSE state = ?6 END) "
        "AND (?10 IS NULL OR channel = ?10) "
        "AND (?11 IS NULL OR procedure IN (SELECT value FROM json_each(?11))) "
        "ORDER BY CASE WHEN state = 'in_progress' AND due_effective < ?7 THEN 0 "
        "  WHEN state = 'in_progress' AND at_risk_from <= ?7 THEN 1 "
        "  WHEN state IN ('in_progress', 'paused') THEN 2 ELSE 3 END, due_effective, code "
        "LIMIT ?8 OFFSET ?9",
        e);
    if (!st)
        return DH_E_DB;
    if (f->units_json)
        dh_sq_bind_text(st, 1, f->units_json);
    if (f->procedure)
        dh_sq_bind_text(st, 2, f->procedure);
    dh_sq_bind_time(st, 3, f->from);
    dh_sq_bind_time(st, 4, f->to);
    if (f->q)
        dh_sq_bind_text(st, 5, f->q);
    dh_sq_bind_text(st, 6, f->state ? f->state : "any");
    sqlite3_bind_int64(st, 7, (sqlite3_int64)f->now);
    sqlite3_bind_int(st, 8, f->limit);
    sqlite3_bind_int64(st, 9, f->offset);
    if (f->channel)
        dh_sq_bind_text(st, 10, f->channel);
    if (f->procedures_json)
        dh_sq_bind_text(st, 11, f->procedures_json);
    bool any = false;
    return dossier_rows(c, st, cb, closure, &any, e);
}

static dh_status sq_scan_dossiers(dh_conn *c, const char *units_json, time_t since,
                                  time_t before, dh_dossier_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "SELECT " DOSSIER_COLS " FROM dossiers "
                            "WHERE receiving_unit IN (SELECT value FROM json_each(?1)) "
                            "AND state <> 'incomplete' AND received_at < ?2 "
                            "AND (finished_at IS NULL OR finished_at >= ?3) ORDER BY code",
                            e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, units_json);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)before);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)since);
    bool any = false;
    return dossier_rows(c, st, cb, closure, &any, e);
}

static dh_status sq_list_dossier_codes(dh_conn *c, const char *after, size_t limit,
                                       dh_code_cb cb, void *closure, dh_err *e)
{
    /* The union of two ranges, each read in order on its index (the
     * events' by dossier, the rows' key) and merged: UNION ... ORDER BY
     * lets SQLite merge the two ordered scans and stop at the limit. */
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "SELECT dossier FROM dossier_events WHERE dossier > ?1 "
                                  "UNION SELECT code FROM dossiers WHERE code > ?1 "
                                  "ORDER BY 1 LIMIT ?2",
                                  e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, after ? after : "");
    sqlite3_bind_int64(st, 2, limit ? (sqlite3_int64)limit : -1);
    int rc;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW)
        if (cb(closure, dh_sq_col_text(st, 0)))
            break;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "read dossier codes");
}

/* ---- Bulk: loops over the ops above (statements stay in the process). */

static dh_status sq_load_devents_many(dh_conn *c, const char *const *dossiers, size_t n,
                                      dh_devent_cb cb, void *closure, dh_err *e)
{
    dh_status s = DH_OK;
    for (size_t i = 0; i < n && s == DH_OK; i++)
        s = sq_load_devents(c, dossiers[i], cb, closure, e);
    return s;
}

static dh_status sq_find_devents_many(dh_conn *c, const char *const *sources,
                                      const char *const *ids, size_t n, dh_devent_cb cb,
                                      void *closure, dh_err *e)
{
    for (size_t i = 0; i < n; i++) {
        dh_status s = sq_find_devent(c, sources[i], ids[i], cb, closure, e);
        if (s && s != DH_E_NOTFOUND)
            return s;
    }
    return DH_OK;
}

static dh_status sq_insert_devents(dh_conn *c, const dh_devent_row *rows, size_t n, dh_err *e)
{
    dh_status s = DH_OK;
    int64_t seq;
    for (size_t i = 0; i < n && s == DH_OK; i++)
        s = sq_insert_devent(c, &rows[i], &seq, e);
    return s;
}

static dh_status sq_put_dossiers(dh_conn *c, const dh_dossier_row *rows, size_t n, dh_err *e)
{
    dh_status s = DH_OK;
    for (size_t i = 0; i < n && s == DH_OK; i++)
        s = sq_put_dossier(c, &rows[i], e);
    return s;
}

/* Whether a row of `sql` (one text parameter, or none) exists. */
static dh_status sq_exists(dh_conn *c, const char *sql, const char *arg, bool *found, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c, sql, e);
    if (!st)
        return DH_E_DB;
    if (arg)
        dh_sq_bind_text(st, 1, arg);
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "read dossiers");
}

static dh_status sq_insert_dossiers(dh_conn *c, const dh_dossier_row *rows, size_t n, dh_err *e)
{
    dh_status s = DH_OK;
    for (size_t i = 0; i < n && s == DH_OK; i++) {
        bool found;
        s = sq_exists(c, "SELECT 1 FROM dossiers WHERE code = ?", rows[i].code, &found, e);
        if (s == DH_OK && found)
            s = dh_err_set(e, DH_E_CONFLICT, "conflict", NULL, "insert dossiers: %s exists",
                           rows[i].code);
        if (s == DH_OK)
            s = sq_put_dossier(c, &rows[i], e);
    }
    return s;
}

static dh_status sq_dossiers_empty(dh_conn *c, bool *empty, dh_err *e)
{
    bool found;
    dh_status s = sq_exists(c,
                            "SELECT 1 WHERE EXISTS (SELECT 1 FROM dossier_events) "
                            "OR EXISTS (SELECT 1 FROM dossiers)",
                            NULL, &found, e);
    *empty = !found;
    return s;
}

const dh_dossiers_ops dh_sqlite_dossiers_ops = {
    .find_devent = sq_find_devent,
    .insert_devent = sq_insert_devent,
    .load_devents = sq_load_devents,
    .put_dossier = sq_put_dossier,
    .get_dossier = sq_get_dossier,
    .list_dossiers = sq_list_dossiers,
    .scan_dossiers = sq_scan_dossiers,
    .list_dossier_codes = sq_list_dossier_codes,
    .load_devents_many = sq_load_devents_many,
    .find_devents_many = sq_find_devents_many,
    .insert_devents = sq_insert_devents,
    .put_dossiers = sq_put_dossiers,
    .insert_dossiers = sq_insert_dossiers,
    .dossiers_empty = sq_dossiers_empty,
};
