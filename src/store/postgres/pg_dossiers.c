/* pg_dossiers.c - the PostgreSQL backend of store/dossiers.h: dossier events and derived
 * dossiers. A port of sqlite/sq_dossiers.c, operation by operation.
 *
 * Orders: text keys sort with COLLATE "C" (byte order, like SQLite's BINARY)
 * and nullable sort keys with NULLS FIRST (SQLite puts NULLs first). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/dossiers.h"
#include "store/postgres/pg.h"

#define DEVENT_COLS "seq, source, id, dossier, type, at, body, stored_at"

/* The unit (or procedure) codes of a JSON array parameter. */
#define CODES(n) "ARRAY(SELECT json_array_elements_text($" #n "::json))"

static dh_status devent_rows(PGresult *res, dh_devent_cb cb, void *closure, bool *any)
{
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        dh_devent_row r = {dh_pg_col_int(res, i, 0),  dh_pg_col_text(res, i, 1),
                           dh_pg_col_text(res, i, 2), dh_pg_col_text(res, i, 3),
                           dh_pg_col_text(res, i, 4), dh_pg_col_time(res, i, 5),
                           dh_pg_col_text(res, i, 6), dh_pg_col_time(res, i, 7)};
        *any = true;
        if (cb(closure, &r))
            break;
    }
    PQclear(res);
    return DH_OK;
}

static dh_status pg_find_devent(dh_conn *c, const char *source, const char *id, dh_devent_cb cb,
                                void *closure, dh_err *e)
{
    static const char sql[] =
        "SELECT " DEVENT_COLS " FROM dossier_events WHERE source = $1::text AND id = $2::text";
    dh_pg_params p = {0};
    dh_pg_text(&p, source);
    dh_pg_text(&p, id);
    PGresult *res;
    dh_status s = dh_pg_exec(c, sql, &p, &res, "read dossier events", e);
    if (s)
        return s;
    bool any = false;
    devent_rows(res, cb, closure, &any);
    if (!any)
        return dh_err_set(e, DH_E_NOTFOUND, "not_found", NULL, "no such event");
    return DH_OK;
}

/* A repeated (source, id) inserts nothing and answers DH_E_CONFLICT without
 * an error in the database, so that the transaction goes on (ingestion
 * reports the event and continues, app/dossiers.c). */
static dh_status pg_insert_devent(dh_conn *c, const dh_devent_row *r, int64_t *seq, dh_err *e)
{
    static const char sql[] =
        "INSERT INTO dossier_events(source, id, dossier, type, at, body, stored_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (source, id) DO NOTHING RETURNING seq";
    dh_pg_params p = {0};
    dh_pg_text(&p, r->source);
    dh_pg_text(&p, r->id);
    dh_pg_text(&p, r->dossier);
    dh_pg_text(&p, r->type);
    dh_pg_int(&p, (int64_t)r->at);
    dh_pg_text(&p, r->body);
    dh_pg_int(&p, (int64_t)r->stored_at);
    PGresult *res;
    dh_status s = dh_pg_exec(c, sql, &p, &res, "insert dossier event", e);
    if (s)
        return s;
    bool inserted = PQntuples(res) > 0;
    if (inserted)
        *seq = dh_pg_col_int(res, 0, 0);
    PQclear(res);
    if (!inserted)
        return dh_err_set(e, DH_E_CONFLICT, "conflict", NULL,
                          "insert dossier event: event %s/%s exists", r->source ? r->source : "",
                          r->id ? r->id : "");
    return DH_OK;
}

static dh_status pg_load_devents(dh_conn *c, const char *dossier, dh_devent_cb cb, void *closure,
                                 dh_err *e)
{
    static const char sql[] = "SELECT " DEVENT_COLS " FROM dossier_events "
                              "WHERE dossier = $1::text ORDER BY at, seq";
    dh_pg_params p = {0};
    dh_pg_text(&p, dossier);
    PGresult *res;
    dh_status s = dh_pg_exec(c, sql, &p, &res, "read dossier events", e);
    if (s)
        return s;
    bool any = false;
    return devent_rows(res, cb, closure, &any);
}

/* The five flags travel as the bits of one parameter ($6), which keeps the
 * statement within DH_PG_PARAMS_MAX (pg.h) parameters. */
enum {
    F_BY_APPLICANT = 1,
    F_PAID = 2,
    F_PAID_ONLINE = 4,
    F_DIGITISED_INPUT = 8,
    F_DIGITISED_RESULT = 16
};

/* The columns put_dossier writes, and its upsert's update (shared with
 * put_dossiers). */
#define PUT_COLS                                                                               \
    "code, unit, receiving_unit, procedure, channel, "                                          \
    "by_applicant, received_at, counting_from, due_at, due_effective, at_risk_from, "           \
    "extended_to, finished_at, state, outcome, used_minutes, budget_minutes, late_minutes, "    \
    "nsupplements, paid, paid_online, rating, digitised_input, digitised_result, updated_at, "  \
    "fact"
#define PUT_UPDATE                                                                             \
    "ON CONFLICT (code) DO UPDATE SET unit = excluded.unit, "                                   \
    "receiving_unit = excluded.receiving_unit, procedure = excluded.procedure, "                \
    "channel = excluded.channel, by_applicant = excluded.by_applicant, "                        \
    "received_at = excluded.received_at, counting_from = excluded.counting_from, "              \
    "due_at = excluded.due_at, due_effective = excluded.due_effective, "                        \
    "at_risk_from = excluded.at_risk_from, extended_to = excluded.extended_to, "                \
    "finished_at = excluded.finished_at, state = excluded.state, "                              \
    "outcome = excluded.outcome, used_minutes = excluded.used_minutes, "                        \
    "budget_minutes = excluded.budget_minutes, late_minutes = excluded.late_minutes, "          \
    "nsupplements = excluded.nsupplements, paid = excluded.paid, "                              \
    "paid_online = excluded.paid_online, rating = excluded.rating, "                            \
    "digitised_input = excluded.digitised_input, "                                              \
    "digitised_result = excluded.digitised_result, updated_at = excluded.updated_at, "          \
    "fact = excluded.fact"

static dh_status pg_put_dossier(dh_conn *c, const dh_dossier_row *r, dh_err *e)
{
    static const char sql[] =
        "INSERT INTO dossiers(" PUT_COLS ") VALUES ($1, $2, $3, $4, $5, $6::integer & 1, $7, $8, "
        "$9, $10, $11, $12, $13, "
        "$14, $15, $16, $17, $18, $19, ($6::integer >> 1) & 1, ($6::integer >> 2) & 1, $20, "
        "($6::integer >> 3) & 1, ($6::integer >> 4) & 1, $21, $22) " PUT_UPDATE;
    dh_pg_params p = {0};
    dh_pg_text(&p, r->code);
    dh_pg_text(&p, r->unit);
    dh_pg_text(&p, r->receiving_unit);
    dh_pg_text(&p, r->procedure);
    dh_pg_text(&p, r->channel);
    dh_pg_int(&p, (r->by_applicant ? F_BY_APPLICANT : 0) | (r->paid ? F_PAID : 0) |
                      (r->paid_online ? F_PAID_ONLINE : 0) |
                      (r->digitised_input ? F_DIGITISED_INPUT : 0) |
                      (r->digitised_result ? F_DIGITISED_RESULT : 0));
    dh_pg_time(&p, r->received_at);
    dh_pg_time(&p, r->counting_from);
    dh_pg_time(&p, r->due_at);
    dh_pg_time(&p, r->due_effective);
    dh_pg_time(&p, r->at_risk_from);
    dh_pg_time(&p, r->extended_to);
    dh_pg_time(&p, r->finished_at);
    dh_pg_text(&p, r->state);
    dh_pg_text(&p, r->outcome);
    dh_pg_int(&p, r->used_minutes);
    dh_pg_int(&p, r->budget_minutes);
    dh_pg_int(&p, r->late_minutes);
    dh_pg_int(&p, r->nsupplements);
    dh_pg_int(&p, r->rating);
    dh_pg_int(&p, (int64_t)r->updated_at);
    unsigned char blob[DH_DFACT_BLOB];
    if (r->fact) {
        dh_dfact_pack(r->fact, blob);
        dh_pg_bytes(&p, blob, sizeof blob);
    } else {
        dh_pg_null(&p);
    }
    return dh_pg_exec(c, sql, &p, NULL, "save dossier", e);
}

#define DOSSIER_COLS                                                                           \
    "code, unit, receiving_unit, procedure, channel, by_applicant, received_at, counting_from, " \
    "due_at, due_effective, at_risk_from, extended_to, finished_at, state, outcome, "           \
    "used_minutes, budget_minutes, late_minutes, nsupplements, paid, paid_online, rating, "     \
    "digitised_input, digitised_result, updated_at"

static dh_status dossier_rows(PGresult *res, dh_dossier_cb cb, void *closure, bool *any)
{
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        dh_dossier_row r = {dh_pg_col_text(res, i, 0),
                            dh_pg_col_text(res, i, 1),
                            dh_pg_col_text(res, i, 2),
                            dh_pg_col_text(res, i, 3),
                            dh_pg_col_text(res, i, 4),
                            dh_pg_col_int(res, i, 5) != 0,
                            dh_pg_col_time(res, i, 6),
                            dh_pg_col_time(res, i, 7),
                            dh_pg_col_time(res, i, 8),
                            dh_pg_col_time(res, i, 9),
                            dh_pg_col_time(res, i, 10),
                            dh_pg_col_time(res, i, 11),
                            dh_pg_col_time(res, i, 12),
                            dh_pg_col_text(res, i, 13),
                            dh_pg_col_text_or_null(res, i, 14),
                            dh_pg_col_int(res, i, 15),
                            dh_pg_col_int(res, i, 16),
                            dh_pg_col_int(res, i, 17),
                            (int)dh_pg_col_int(res, i, 18),
                            dh_pg_col_int(res, i, 19) != 0,
                            dh_pg_col_int(res, i, 20) != 0,
                            (int)dh_pg_col_int(res, i, 21),
                            dh_pg_col_int(res, i, 22) != 0,
                            dh_pg_col_int(res, i, 23) != 0,
                            dh_pg_col_time(res, i, 24),
                            NULL};
        *any = true;
        if (cb(closure, &r))
            break;
    }
    PQclear(res);
    return DH_OK;
}

static dh_status run_dossiers(dh_conn *c, const char *sql, const dh_pg_params *p,
                              dh_dossier_cb cb, void *closure, bool *any, dh_err *e)
{
    PGresult *res;
    dh_status s = dh_pg_exec(c, sql, p, &res, "read dossiers", e);
    if (s)
        return s;
    return dossier_rows(res, cb, closure, any);
}

static dh_status pg_get_dossier(dh_conn *c, const char *code, dh_dossier_cb cb, void *closure,
                                dh_err *e)
{
    static const char sql[] = "SELECT " DOSSIER_COLS " FROM dossiers WHERE code = $1::text";
    dh_pg_params p = {0};
    dh_pg_text(&p, code);
    bool any = false;
    dh_status s = run_dossiers(c, sql, &p, cb, closure, &any, e);
    if (s == DH_OK && !any)
        return dh_err_set(e, DH_E_NOTFOUND, "not_found", NULL, "no dossier '%s'", code);
    return s;
}

/* LIMIT and OFFSET as SQLite takes them: a negative limit is no limit
 * (NULL: LIMIT ALL), a negative offset none. */
static void limit_offset(dh_pg_params *p, int limit, int64_t offset)
{
    if (limit < 0)
        dh_pg_null(p);
    else
        dh_pg_int(p, limit);
    dh_pg_int(p, offset > 0 ? offset : 0);
}

/* The plain overdue (or open) list of a scope, read like SQLite's backend reads it: the
 * page is chosen from the (unit, state, due_effective) index alone and only its rows are
 * read from the table. First each unit of the scope gives the deadlines of its first
 * offset + limit open dossiers (an index-only range, already in deadline order); the
 * (offset + limit)-th smallest of them all is the page's last deadline t. Then each unit
 * gives its rows with a deadline up to t (offset + limit at most): about the page and
 * the ties of t, instead of offset + limit whole rows from every unit. Ties of the
 * deadline go by code. */
static dh_status list_open_page(dh_conn *c, const dh_dossier_filter *f, const char *state,
                                int64_t lo, int64_t hi, dh_dossier_cb cb, void *closure,
                                dh_err *e)
{
    static const char sql[] =
        "WITH scope AS (SELECT DISTINCT json_array_elements_text($1::json) AS u), "
        "edge AS (SELECT max(due_effective) AS t FROM (SELECT c.due_effective FROM scope "
        "  CROSS JOIN LATERAL (SELECT due_effective FROM dossiers WHERE unit = scope.u "
        "    AND state = $2::text AND due_effective >= $3::bigint AND due_effective < $4::bigint "
        "    ORDER BY due_effective LIMIT $5::bigint + $6::bigint) AS c "
        "  ORDER BY c.due_effective LIMIT $5::bigint + $6::bigint) AS x) "
        "SELECT " DOSSIER_COLS " FROM scope CROSS JOIN LATERAL (SELECT " DOSSIER_COLS
        "  FROM dossiers WHERE unit = scope.u AND state = $2::text "
        "  AND due_effective >= $3::bigint AND due_effective < $4::bigint "
        "  AND due_effective <= (SELECT t FROM edge) "
        "  ORDER BY due_effective, code COLLATE \"C\" LIMIT $5::bigint + $6::bigint) AS d "
        "ORDER BY due_effective, code COLLATE \"C\" LIMIT $5::bigint OFFSET $6::bigint";
    dh_pg_params p = {0};
    dh_pg_text(&p, f->units_json);
    dh_pg_text(&p, state);
    dh_pg_int(&p, lo);
    dh_pg_int(&p, hi);
    limit_offset(&p, f->limit, f->offset);
    bool any = false;
    return run_dossiers(c, sql, &p, cb, closure, &any, e);
}

static dh_status list_open_dossiers(dh_conn *c, const dh_dossier_filter *f, dh_dossier_cb cb,
                                    void *closure, dh_err *e)
{
    bool plain = !f->procedure && !f->from && !f->to && !f->q && !f->channel &&
                 !f->procedures_json;
    if (plain && !strcmp(f->state, "overdue"))
        return list_open_page(c, f, "in_progress", INT64_MIN, f->now, cb, closure, e);
    static const char sql[] =
        "SELECT " DOSSIER_COLS " FROM dossiers "
        "WHERE unit = ANY(" CODES(1) ") "
        "AND state = $2::text AND due_effective >= $3::bigint AND due_effective < $4::bigint "
        "AND ($5::bigint IS NULL OR at_risk_from <= $5::bigint) "
        "AND ($6::bigint IS NULL OR at_risk_from > $6::bigint) "
        "AND ($7::text IS NULL OR procedure = $7::text) "
        "AND ($8::bigint IS NULL OR received_at >= $8::bigint) "
        "AND ($9::bigint IS NULL OR received_at < $9::bigint) "
        "AND ($10::text IS NULL OR substr(code, 1, length($10::text)) = $10::text) "
        "AND ($13::text IS NULL OR channel = $13::text) "
        "AND ($14::text IS NULL OR procedure = ANY(" CODES(14) ")) "
        "ORDER BY due_effective, code COLLATE \"C\" LIMIT $11::bigint OFFSET $12::bigint";
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
    dh_pg_params p = {0};
    dh_pg_text(&p, f->units_json);    /* $1 */
    dh_pg_text(&p, state);            /* $2 */
    dh_pg_int(&p, lo);                /* $3 */
    dh_pg_int(&p, hi);                /* $4 */
    dh_pg_time(&p, risk_le);          /* $5 */
    dh_pg_time(&p, risk_gt);          /* $6 */
    dh_pg_text(&p, f->procedure);     /* $7 */
    dh_pg_time(&p, f->from);          /* $8 */
    dh_pg_time(&p, f->to);            /* $9 */
    dh_pg_text(&p, f->q);             /* $10 */
    limit_offset(&p, f->limit, f->offset); /* $11, $12 */
    dh_pg_text(&p, f->channel);       /* $13 */
    dh_pg_text(&p, f->procedures_json); /* $14 */
    bool any = false;
    return run_dossiers(c, sql, &p, cb, closure, &any, e);
}

/* ---- Keyset pages (issue 20): as in SQLite's backend, each part of a
 * segment is one index range in (key, due_effective, code) order from the
 * cursor, with the other filters as residual tests; no statement sorts. */
#define SEG_TESTS                                                                             \
    "AND ($6::text IS NULL OR unit = ANY(" CODES(6) ")) "                                    \
    "AND ($7::text IS NULL OR procedure = $7::text) "                                        \
    "AND ($8::bigint IS NULL OR received_at >= $8::bigint) "                                 \
    "AND ($9::bigint IS NULL OR received_at < $9::bigint) "                                  \
    "AND ($10::text IS NULL OR substr(code, 1, length($10::text)) = $10::text) "             \
    "AND ($11::text IS NULL OR channel = $11::text) "                                        \
    "AND ($12::text IS NULL OR procedure = ANY(" CODES(12) ")) "                             \
    "AND (CASE $13::int WHEN 0 THEN true WHEN 1 THEN state = 'in_progress' "                 \
    "  WHEN 2 THEN state = 'in_progress' AND at_risk_from <= $14::bigint "                   \
    "  WHEN 3 THEN state = 'paused' OR (state = 'in_progress' AND (due_effective IS NULL "   \
    "    OR due_effective >= $14::bigint) AND (at_risk_from IS NULL "                         \
    "    OR at_risk_from > $14::bigint)) "                                                    \
    "  WHEN 4 THEN state <> 'incomplete' "                                                   \
    "  WHEN 5 THEN state <> 'incomplete' AND outcome = $15::text "                           \
    "  WHEN 6 THEN at_risk_from > $14::bigint END) "
#define SEG_NULLS(key, type)                                                                  \
    "SELECT " DOSSIER_COLS " FROM dossiers WHERE " key " = $1::" type " "                   \
    "AND due_effective IS NULL AND code COLLATE \"C\" > $3::text "                            \
    "AND ($2::bigint IS NULL OR true) AND ($4::bigint IS NULL OR true) " SEG_TESTS           \
    "ORDER BY due_effective, code COLLATE \"C\" LIMIT $5::bigint"
#define SEG_RANGE(key, type)                                                                  \
    "SELECT " DOSSIER_COLS " FROM dossiers WHERE " key " = $1::" type " "                   \
    "AND (due_effective, code COLLATE \"C\") > ($2::bigint, $3::text) "                       \
    "AND due_effective < $4::bigint " SEG_TESTS                                               \
    "ORDER BY due_effective, code COLLATE \"C\" LIMIT $5::bigint"

static dh_status seg_read(dh_conn *c, const dh_dossier_filter *f, const dh_dseg *g, bool nulls,
                          int64_t after_due, const char *after_code, int64_t limit,
                          dh_dossier_cb cb, void *closure, dh_err *e)
{
    static const char *const sql[3][2] = {
        {SEG_RANGE(DH_DOSSIER_PHASE, "int"), SEG_NULLS(DH_DOSSIER_PHASE, "int")},
        {SEG_RANGE("state", "text"), SEG_NULLS("state", "text")},
        /* one unit's rows of one state (the walk by unit, dsegs.c) */
        {SEG_RANGE("unit = $16::text AND state", "text"),
         SEG_NULLS("unit = $16::text AND state", "text")}};
    dh_pg_params p = {0};
    if (g->state)
        dh_pg_text(&p, g->state);                  /* $1 */
    else
        dh_pg_int(&p, g->phase);
    dh_pg_int(&p, after_due);                      /* $2 */
    dh_pg_text(&p, after_code);                    /* $3 */
    dh_pg_int(&p, g->hi);                          /* $4 */
    if (limit < 0)                                 /* $5 */
        dh_pg_null(&p);
    else
        dh_pg_int(&p, limit);
    dh_pg_text(&p, f->units_json);                 /* $6 */
    dh_pg_text(&p, f->procedure);                  /* $7 */
    dh_pg_time(&p, f->from);                       /* $8 */
    dh_pg_time(&p, f->to);                         /* $9 */
    dh_pg_text(&p, f->q);                          /* $10 */
    dh_pg_text(&p, f->channel);                    /* $11 */
    dh_pg_text(&p, f->procedures_json);            /* $12 */
    dh_pg_int(&p, g->test);                        /* $13 */
    dh_pg_int(&p, (int64_t)f->now);                /* $14 */
    dh_pg_text(&p, f->state);                      /* $15 */
    bool by_unit = g->unit && g->state;
    if (by_unit)
        dh_pg_text(&p, g->unit);                   /* $16 */
    bool any = false;
    return run_dossiers(c, sql[by_unit ? 2 : g->state != NULL][nulls], &p, cb, closure, &any, e);
}

static dh_status pg_list_dossiers(dh_conn *c, const dh_dossier_filter *f, dh_dossier_cb cb,
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
    static const char sql[] =
        "SELECT " DOSSIER_COLS " FROM dossiers WHERE state <> 'incomplete' "
        "AND ($1::text IS NULL OR unit = ANY(" CODES(1) ")) "
        "AND ($2::text IS NULL OR procedure = $2::text) "
        "AND ($3::bigint IS NULL OR received_at >= $3::bigint) "
        "AND ($4::bigint IS NULL OR received_at < $4::bigint) "
        "AND ($5::text IS NULL OR substr(code, 1, length($5::text)) = $5::text) "
        "AND (CASE $6::text WHEN 'any' THEN true "
        "  WHEN 'overdue' THEN state = 'in_progress' AND due_effective < $7::bigint "
        "  WHEN 'at_risk' THEN state = 'in_progress' AND at_risk_from <= $7::bigint "
        "    AND due_effective >= $7::bigint "
        "  WHEN 'within' THEN state = 'in_progress' AND at_risk_from > $7::bigint "
        "  WHEN 'early' THEN outcome = 'early' WHEN 'on_time' THEN outcome = 'on_time' "
        "  WHEN 'late' THEN outcome = 'late' ELSE state = $6::text END) "
        "AND ($10::text IS NULL OR channel = $10::text) "
        "AND ($11::text IS NULL OR procedure = ANY(" CODES(11) ")) "
        "ORDER BY CASE WHEN state = 'in_progress' AND due_effective < $7::bigint THEN 0 "
        "  WHEN state = 'in_progress' AND at_risk_from <= $7::bigint THEN 1 "
        "  WHEN state IN ('in_progress', 'paused') THEN 2 ELSE 3 END, "
        "  due_effective NULLS FIRST, code COLLATE \"C\" "
        "LIMIT $8::bigint OFFSET $9::bigint";
    dh_pg_params p = {0};
    dh_pg_text(&p, f->units_json);                 /* $1 */
    dh_pg_text(&p, f->procedure);                  /* $2 */
    dh_pg_time(&p, f->from);                       /* $3 */
    dh_pg_time(&p, f->to);                         /* $4 */
    dh_pg_text(&p, f->q);                          /* $5 */
    dh_pg_text(&p, f->state ? f->state : "any");   /* $6 */
    dh_pg_int(&p, (int64_t)f->now);                /* $7 */
    limit_offset(&p, f->limit, f->offset);         /* $8, $9 */
    dh_pg_text(&p, f->channel);                    /* $10 */
    dh_pg_text(&p, f->procedures_json);            /* $11 */
    bool any = false;
    return run_dossiers(c, sql, &p, cb, closure, &any, e);
}

static dh_status pg_scan_dossiers(dh_conn *c, const char *units_json, time_t since,
                                  time_t before, dh_dossier_cb cb, void *closure, dh_err *e)
{
    static const char sql[] =
        "SELECT " DOSSIER_COLS " FROM dossiers "
        "WHERE receiving_unit = ANY(" CODES(1) ") "
        "AND state <> 'incomplete' AND received_at < $2::bigint "
        "AND (finished_at IS NULL OR finished_at >= $3::bigint) ORDER BY code COLLATE \"C\"";
    dh_pg_params p = {0};
    dh_pg_text(&p, units_json);
    dh_pg_int(&p, (int64_t)before);
    dh_pg_int(&p, (int64_t)since);
    bool any = false;
    return run_dossiers(c, sql, &p, cb, closure, &any, e);
}

static dh_status pg_list_dossier_codes(dh_conn *c, const char *after, size_t limit,
                                       dh_code_cb cb, void *closure, dh_err *e)
{
    /* The union of two ranges, each on its index (the events' by dossier,
     * the rows' key); every text column is COLLATE "C", so the order is
     * the bytes' as on SQLite. Each side is cut to the page before the
     * union: PostgreSQL before 17 does not merge a UNION's ordered inputs,
     * so a bare UNION read and sorted every later event at each page, and
     * the rebuild's paging grew with the square of the dossiers (a NULL
     * limit, for all codes, leaves both sides whole). */
    const char *sql = "SELECT c FROM ("
                      "(SELECT DISTINCT dossier AS c FROM dossier_events WHERE dossier > $2 "
                      "ORDER BY 1 LIMIT $1) UNION "
                      "(SELECT code FROM dossiers WHERE code > $2 ORDER BY 1 LIMIT $1)"
                      ") u ORDER BY 1 LIMIT $1";
    dh_pg_params p = {0};
    if (limit)
        dh_pg_int(&p, (int64_t)limit);
    else
        dh_pg_null(&p);
    dh_pg_text(&p, after ? after : "");
    PGresult *res;
    dh_status s = dh_pg_exec(c, sql, &p, &res, "read dossier codes", e);
    if (s)
        return s;
    int n = PQntuples(res);
    for (int i = 0; i < n; i++)
        if (cb(closure, dh_pg_col_text(res, i, 0)))
            break;
    PQclear(res);
    return DH_OK;
}

/* ---- Bulk (issue 15): one statement or one COPY for many rows. --------- */

/* Runs sql with the array literal of v (n strings) as $1 and gives the
 * event rows through cb. */
static dh_status devents_by_array(dh_conn *c, const char *sql, const char *const *v, size_t n,
                                  const char *const *v2, dh_devent_cb cb, void *closure,
                                  dh_err *e)
{
    dh_buf a = DH_BUF_INIT, a2 = DH_BUF_INIT;
    dh_pg_params p = {0};
    dh_pg_array(&p, &a, v, n);
    if (v2)
        dh_pg_array(&p, &a2, v2, n);
    PGresult *res;
    dh_status s = dh_pg_exec(c, sql, &p, &res, "read dossier events", e);
    dh_buf_free(&a);
    dh_buf_free(&a2);
    if (s)
        return s;
    bool any = false;
    return devent_rows(res, cb, closure, &any);
}

static dh_status pg_load_devents_many(dh_conn *c, const char *const *dossiers, size_t n,
                                      dh_devent_cb cb, void *closure, dh_err *e)
{
    /* LATERAL: one index probe per code, whatever the planner believes of
     * the table (within an import's transaction its statistics are those
     * of before the import, and a hash join would scan the whole table for
     * every chunk). */
    static const char sql[] =
        "SELECT d.seq, d.source, d.id, d.dossier, d.type, d.at, d.body, d.stored_at "
        "FROM unnest($1::text[]) WITH ORDINALITY AS k(code, ord) CROSS JOIN LATERAL "
        "(SELECT " DEVENT_COLS " FROM dossier_events e WHERE e.dossier = k.code "
        "ORDER BY e.at, e.seq) AS d ORDER BY k.ord";
    return n ? devents_by_array(c, sql, dossiers, n, NULL, cb, closure, e) : DH_OK;
}

static dh_status pg_find_devents_many(dh_conn *c, const char *const *sources,
                                      const char *const *ids, size_t n, dh_devent_cb cb,
                                      void *closure, dh_err *e)
{
    static const char sql[] =
        "SELECT d.seq, d.source, d.id, d.dossier, d.type, d.at, d.body, d.stored_at "
        "FROM unnest($1::text[], $2::text[]) AS k(source, id) CROSS JOIN LATERAL "
        "(SELECT " DEVENT_COLS " FROM dossier_events e WHERE e.source = k.source "
        "AND e.id = k.id) AS d";
    return n ? devents_by_array(c, sql, sources, n, ids, cb, closure, e) : DH_OK;
}

/* COPY straight into the table: the caller checked every (source, id)
 * absent, and a taken one fails the COPY (23505, DH_E_CONFLICT). */
static dh_status pg_insert_devents(dh_conn *c, const dh_devent_row *rows, size_t n, dh_err *e)
{
    if (!n)
        return DH_OK;
    dh_buf b = DH_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        const dh_devent_row *r = &rows[i];
        dh_pg_copy_text(&b, r->source, '\t');
        dh_pg_copy_text(&b, r->id, '\t');
        dh_pg_copy_text(&b, r->dossier, '\t');
        dh_pg_copy_text(&b, r->type, '\t');
        dh_pg_copy_int(&b, (int64_t)r->at, '\t');
        dh_pg_copy_text(&b, r->body, '\t');
        dh_pg_copy_int(&b, (int64_t)r->stored_at, '\n');
    }
    dh_status s = dh_pg_copy(
        c, "COPY dossier_events(source, id, dossier, type, at, body, stored_at) FROM STDIN", &b,
        "insert dossier events", e);
    dh_buf_free(&b);
    return s;
}

/* The COPY text of n dossier rows, in the column order of PUT_COLS. */
static void copy_dossier_rows(dh_buf *b, const dh_dossier_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const dh_dossier_row *r = &rows[i];
        dh_pg_copy_text(b, r->code, '\t');
        dh_pg_copy_text(b, r->unit, '\t');
        dh_pg_copy_text(b, r->receiving_unit, '\t');
        dh_pg_copy_text(b, r->procedure, '\t');
        dh_pg_copy_text(b, r->channel, '\t');
        dh_pg_copy_int(b, r->by_applicant, '\t');
        dh_pg_copy_time(b, r->received_at, '\t');
        dh_pg_copy_time(b, r->counting_from, '\t');
        dh_pg_copy_time(b, r->due_at, '\t');
        dh_pg_copy_time(b, r->due_effective, '\t');
        dh_pg_copy_time(b, r->at_risk_from, '\t');
        dh_pg_copy_time(b, r->extended_to, '\t');
        dh_pg_copy_time(b, r->finished_at, '\t');
        dh_pg_copy_text(b, r->state, '\t');
        dh_pg_copy_text(b, r->outcome, '\t');
        dh_pg_copy_int(b, r->used_minutes, '\t');
        dh_pg_copy_int(b, r->budget_minutes, '\t');
        dh_pg_copy_int(b, r->late_minutes, '\t');
        dh_pg_copy_int(b, r->nsupplements, '\t');
        dh_pg_copy_int(b, r->paid, '\t');
        dh_pg_copy_int(b, r->paid_online, '\t');
        dh_pg_copy_int(b, r->rating, '\t');
        dh_pg_copy_int(b, r->digitised_input, '\t');
        dh_pg_copy_int(b, r->digitised_result, '\t');
        dh_pg_copy_int(b, (int64_t)r->updated_at, '\t');
        unsigned char blob[DH_DFACT_BLOB];
        if (r->fact)
            dh_dfact_pack(r->fact, blob);
        dh_pg_copy_bytes(b, r->fact ? blob : NULL, sizeof blob, '\n');
    }
}

/* COPY into a temporary table of the connection (made on first use, or
 * again after a rollback undid its making), then one upsert from it, then
 * emptied for the next call. */
static dh_status pg_put_dossiers(dh_conn *c, const dh_dossier_row *rows, size_t n, dh_err *e)
{
    if (!n)
        return DH_OK;
    dh_buf b = DH_BUF_INIT;
    copy_dossier_rows(&b, rows, n);
    dh_status s = dh_pg_command(c,
                                "CREATE TEMP TABLE IF NOT EXISTS dh_stage_dossiers "
                                "(LIKE dossiers INCLUDING DEFAULTS)",
                                "stage dossiers", e);
    if (s == DH_OK)
        s = dh_pg_copy(c, "COPY dh_stage_dossiers(" PUT_COLS ") FROM STDIN", &b, "save dossiers",
                       e);
    if (s == DH_OK)
        s = dh_pg_exec(c,
                       "INSERT INTO dossiers(" PUT_COLS ") SELECT " PUT_COLS
                       " FROM dh_stage_dossiers " PUT_UPDATE,
                       NULL, NULL, "save dossiers", e);
    if (s == DH_OK)
        s = dh_pg_command(c, "TRUNCATE dh_stage_dossiers", "stage dossiers", e);
    dh_buf_free(&b);
    return s;
}

/* COPY straight into the table: the caller knows every code absent, and a
 * taken one fails the COPY (23505, DH_E_CONFLICT). */
static dh_status pg_insert_dossiers(dh_conn *c, const dh_dossier_row *rows, size_t n, dh_err *e)
{
    if (!n)
        return DH_OK;
    dh_buf b = DH_BUF_INIT;
    copy_dossier_rows(&b, rows, n);
    dh_status s = dh_pg_copy(c, "COPY dossiers(" PUT_COLS ") FROM STDIN", &b, "insert dossiers",
                             e);
    dh_buf_free(&b);
    return s;
}

static dh_status pg_dossiers_empty(dh_conn *c, bool *empty, dh_err *e)
{
    static const char sql[] = "SELECT NOT EXISTS (SELECT 1 FROM dossier_events) "
                              "AND NOT EXISTS (SELECT 1 FROM dossiers)";
    PGresult *res;
    dh_status s = dh_pg_exec(c, sql, NULL, &res, "read dossier events", e);
    if (s)
        return s;
    *empty = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    return DH_OK;
}

const dh_dossiers_ops dh_postgres_dossiers_ops = {
    .find_devent = pg_find_devent,
    .insert_devent = pg_insert_devent,
    .load_devents = pg_load_devents,
    .put_dossier = pg_put_dossier,
    .get_dossier = pg_get_dossier,
    .list_dossiers = pg_list_dossiers,
    .scan_dossiers = pg_scan_dossiers,
    .list_dossier_codes = pg_list_dossier_codes,
    .load_devents_many = pg_load_devents_many,
    .find_devents_many = pg_find_devents_many,
    .insert_devents = pg_insert_devents,
    .put_dossiers = pg_put_dossiers,
    .insert_dossiers = pg_insert_dossiers,
    .dossiers_empty = pg_dossiers_empty,
};
