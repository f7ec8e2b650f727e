/* pg_aggs.c - the PostgreSQL backend of store/aggs.h: the service aggregates (the port of
 * sqlite/sq_aggs.c).
 *
 * Unlike SQLite's agg_days (one packed blob per cell, read, added to and written back), a
 * cell here is one integer column per counter of dh_kcell (in the order of core/kpiagg.h's
 * DH_KC_* and then minutes), so that agg_add, called for every cell an ingestion batch
 * touches, is one prepared upsert that adds the delta in the database: one round trip, no
 * read, and two writers adding to the same cell cannot lose an update. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/aggs.h"
#include "store/postgres/pg.h"

/* The counter columns of agg_days, in the order of dh_kcell's n[] (DH_KC_*), then minutes. */
#define CELL_COLS                                                                              \
    "recv_counter, recv_online, recv_postal, by_applicant, digitised, fin_early, fin_on_time, " \
    "fin_late, overdue_from, overdue_to, paid, paid_online, rated, satisfied, minutes"
_Static_assert(DH_KC_N == 14, "agg_days has one column per counter of dh_kcell");

static dh_status pg_agg_key(dh_conn *c, const char *unit, const char *procedure, const char *field,
                            int32_t *id, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, unit);
    dh_pg_text(&p, procedure);
    dh_pg_text(&p, field);
    int64_t got = 0;
    /* One round trip: the key when it exists (no sequence value taken), else the new one.
     * Nothing comes back only when another transaction inserted the same key meanwhile (at
     * SERIALIZABLE that is usually 40001, a retry); then the key is read again. */
    dh_status s = dh_pg_exec_id(
        c,
        "WITH old AS (SELECT id FROM agg_keys WHERE unit = $1 AND procedure = $2 AND field = $3), "
        "new AS (INSERT INTO agg_keys(unit, procedure, field) SELECT $1, $2, $3 "
        "WHERE NOT EXISTS (SELECT 1 FROM old) ON CONFLICT DO NOTHING RETURNING id) "
        "SELECT id FROM old UNION ALL SELECT id FROM new",
        &p, &got, "save aggregate key", e);
    if (s == DH_OK && got == 0)
        s = dh_pg_exec_id(c,
                          "SELECT id FROM agg_keys WHERE unit = $1 AND procedure = $2 AND field = $3",
                          &p, &got, "read aggregate keys", e);
    if (s == DH_OK)
        *id = (int32_t)got;
    return s;
}

static dh_status pg_load_agg_keys(dh_conn *c, int32_t after_id, dh_agg_key_cb cb, void *closure,
                                  dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, after_id);
    PGresult *res;
    dh_status s = dh_pg_exec(c,
                             "SELECT id, unit, procedure, field FROM agg_keys WHERE id > $1 "
                             "ORDER BY id",
                             &p, &res, "read aggregate keys", e);
    if (s)
        return s;
    for (int i = 0, n = PQntuples(res); i < n; i++)
        if (cb(closure, (int32_t)dh_pg_col_int(res, i, 0), dh_pg_col_text(res, i, 1),
               dh_pg_col_text(res, i, 2), dh_pg_col_text(res, i, 3)))
            break;
    PQclear(res);
    return DH_OK;
}

static dh_status pg_agg_add(dh_conn *c, int32_t key, int32_t day, const dh_kcell *delta,
                            int64_t rev, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, key);
    dh_pg_int(&p, day);
    for (int i = 0; i < DH_KC_N; i++)
        dh_pg_int(&p, delta->n[i]);
    dh_pg_int(&p, delta->minutes);
    dh_pg_int(&p, rev);
    return dh_pg_exec(
        c,
        "INSERT INTO agg_days(key, day, " CELL_COLS ", rev) VALUES "
        "($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18) "
        "ON CONFLICT (key, day) DO UPDATE SET "
        "recv_counter = agg_days.recv_counter + excluded.recv_counter, "
        "recv_online = agg_days.recv_online + excluded.recv_online, "
        "recv_postal = agg_days.recv_postal + excluded.recv_postal, "
        "by_applicant = agg_days.by_applicant + excluded.by_applicant, "
        "digitised = agg_days.digitised + excluded.digitised, "
        "fin_early = agg_days.fin_early + excluded.fin_early, "
        "fin_on_time = agg_days.fin_on_time + excluded.fin_on_time, "
        "fin_late = agg_days.fin_late + excluded.fin_late, "
        "overdue_from = agg_days.overdue_from + excluded.overdue_from, "
        "overdue_to = agg_days.overdue_to + excluded.overdue_to, "
        "paid = agg_days.paid + excluded.paid, "
        "paid_online = agg_days.paid_online + excluded.paid_online, "
        "rated = agg_days.rated + excluded.rated, "
        "satisfied = agg_days.satisfied + excluded.satisfied, "
        "minutes = agg_days.minutes + excluded.minutes, "
        "rev = excluded.rev",
        &p, NULL, "save aggregate cell", e);
}

static dh_status pg_load_agg_cells(dh_conn *c, int64_t after_rev, dh_agg_cell_cb cb,
                                   void *closure, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, after_rev);
    PGresult *res;
    dh_status s = dh_pg_exec(c,
                             "SELECT key, day, " CELL_COLS ", rev FROM agg_days WHERE rev > $1 "
                             "ORDER BY rev, key, day",
                             &p, &res, "read aggregate cells", e);
    if (s)
        return s;
    for (int i = 0, n = PQntuples(res); i < n; i++) {
        dh_kcell cell;
        for (int k = 0; k < DH_KC_N; k++)
            cell.n[k] = (int32_t)dh_pg_col_int(res, i, 2 + k);
        cell.minutes = dh_pg_col_int(res, i, 2 + DH_KC_N);
        if (cb(closure, (int32_t)dh_pg_col_int(res, i, 0), (int32_t)dh_pg_col_int(res, i, 1),
               &cell, dh_pg_col_int(res, i, 3 + DH_KC_N)))
            break;
    }
    PQclear(res);
    return DH_OK;
}

static dh_status pg_agg_reset(dh_conn *c, dh_err *e)
{
    dh_status s = dh_pg_exec(c, "DELETE FROM agg_days", NULL, NULL, "clear aggregates", e);
    if (s)
        return s;
    return dh_pg_exec(c, "UPDATE dossiers SET fact = NULL WHERE fact IS NOT NULL", NULL, NULL,
                      "clear facts", e);
}

static dh_status pg_get_fact(dh_conn *c, const char *code, dh_dfact *f, bool *found, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, code);
    PGresult *res;
    *found = false;
    dh_status s = dh_pg_exec(c, "SELECT fact FROM dossiers WHERE code = $1", &p, &res,
                             "read dossier fact", e);
    if (s)
        return s;
    if (PQntuples(res) > 0 && !dh_pg_is_null(res, 0, 0)) {
        size_t n = 0;
        unsigned char *b = dh_pg_col_bytes(res, 0, 0, &n);
        if (!b || dh_dfact_unpack(b, n, f))
            s = dh_err_set(e, DH_E_INTERNAL, "corrupt_fact", NULL, "dossier %s", code);
        else
            *found = true;
        free(b);
    }
    PQclear(res);
    return s;
}

const dh_aggs_ops dh_postgres_aggs_ops = {
    .agg_key = pg_agg_key,
    .load_agg_keys = pg_load_agg_keys,
    .agg_add = pg_agg_add,
    .load_agg_cells = pg_load_agg_cells,
    .agg_reset = pg_agg_reset,
    .get_fact = pg_get_fact,
};
