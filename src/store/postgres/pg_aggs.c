/* pg_aggs.c - the PostgreSQL backend of store/aggs.h: the service aggregates (the port of
 * sqlite/sq_aggs.c).
 *
 * agg_days.cell is the packed cell of core/kpiagg.h (dh_kcell_pack: 14 int32 counters and the
 * int64 minutes, little-endian, 64 bytes), as in SQLite, so that rows move between the two
 * unchanged. agg_add, called for every cell an ingestion batch touches, is nevertheless one
 * prepared upsert and no read: the delta travels packed too, and on a conflict the database
 * adds the two cells word by word (16 unsigned 32-bit words, modulo 2^32, which is two's
 * complement addition; the carry of the minutes' low word goes into its high word). Two
 * writers adding to the same cell cannot lose an update. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/aggs.h"
#include "store/postgres/pg.h"

_Static_assert(DH_KCELL_BLOB == 64, "agg_add's SQL adds 16 little-endian 32-bit words");

/* The unsigned little-endian 32-bit word of bytea B at byte offset O, as a bigint. */
#define LE32(B, O)                                                                         \
    "(get_byte(" B ", " O ") | (get_byte(" B ", " O " + 1) << 8) | (get_byte(" B ", " O  \
    " + 2) << 16) | (get_byte(" B ", " O " + 3)::bigint << 24))"

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

typedef struct key_reader {
    dh_agg_key_cb cb;
    void *closure;
} key_reader;

static int on_key_row(void *closure, const PGresult *res, int r)
{
    key_reader *k = closure;
    return k->cb(k->closure, (int32_t)dh_pg_col_int(res, r, 0), dh_pg_col_text(res, r, 1),
                 dh_pg_col_text(res, r, 2), dh_pg_col_text(res, r, 3));
}

/* Keys and cells are read through a cursor (dh_pg_cursor): at 10 million
 * dossiers the cells are 2 million rows, which libpq would otherwise hold
 * whole in memory before the first callback. The cells come in binary
 * format: their 64 bytes as they are rather than 130 hex digits to encode
 * and decode. */
static dh_status pg_load_agg_keys(dh_conn *c, int32_t after_id, dh_agg_key_cb cb, void *closure,
                                  dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, after_id);
    key_reader k = {cb, closure};
    return dh_pg_cursor(c, "dh_agg_keys",
                        "SELECT id, unit, procedure, field FROM agg_keys WHERE id > $1 ORDER BY id",
                        &p, false, on_key_row, &k, "read aggregate keys", e);
}

/* The upsert's arm that adds a conflicting cell to the stored one (agg_add
 * and agg_add_many). */
#define CELL_SUM                                                                                \
    "ON CONFLICT (key, day) DO UPDATE SET rev = excluded.rev, cell = ("                         \
    "SELECT string_agg(substring(int8send(((s & 255) << 24) | (((s >> 8) & 255) << 16) | "      \
    "(((s >> 16) & 255) << 8) | ((s >> 24) & 255)) FROM 5 FOR 4), ''::bytea ORDER BY i) "        \
    "FROM (SELECT i, (CASE WHEN i < 15 THEN w.a + w.b "                                         \
    "ELSE w.a + w.b + ((lo.a + lo.b) >> 32) END) & 4294967295 AS s "                            \
    "FROM generate_series(0, 15) AS i, "                                                        \
    "LATERAL (SELECT " LE32("agg_days.cell", "4 * i") " AS a, "                                 \
    LE32("excluded.cell", "4 * i") " AS b) AS w, "                                              \
    "LATERAL (SELECT " LE32("agg_days.cell", "56") " AS a, "                                    \
    LE32("excluded.cell", "56") " AS b) AS lo) AS t)"

static dh_status pg_agg_add(dh_conn *c, int32_t key, int32_t day, const dh_kcell *delta,
                            int64_t rev, dh_err *e)
{
    unsigned char blob[DH_KCELL_BLOB];
    dh_kcell_pack(delta, blob);
    dh_pg_params p = {0};
    dh_pg_int(&p, key);
    dh_pg_int(&p, day);
    dh_pg_bytes(&p, blob, sizeof blob);
    dh_pg_int(&p, rev);
    /* Word i of the sum is s = (a + b) mod 2^32 (word 15, the minutes' high word, adds the
     * carry of word 14); it is written back little-endian as the last 4 bytes of int8send
     * (big-endian) of s with its bytes swapped. */
    return dh_pg_exec(c,
                      "INSERT INTO agg_days(key, day, cell, rev) VALUES ($1, $2, $3, $4) " CELL_SUM,
                      &p, NULL, "save aggregate cell", e);
}

typedef struct cell_reader {
    dh_agg_cell_cb cb;
    void *closure;
    bool corrupt;
} cell_reader;

/* A bigint column of a binary result (8 bytes, big-endian): false when it
 * is anything else. */
static bool bin_int8(const PGresult *res, int r, int i, int64_t *v)
{
    if (PQgetlength(res, r, i) != 8 || PQgetisnull(res, r, i))
        return false;
    const unsigned char *b = (const unsigned char *)PQgetvalue(res, r, i);
    uint64_t x = 0;
    for (int k = 0; k < 8; k++)
        x = x << 8 | b[k];
    *v = (int64_t)x;
    return true;
}

static int on_cell_row(void *closure, const PGresult *res, int r)
{
    cell_reader *k = closure;
    dh_kcell cell;
    int64_t key, day, rev;
    k->corrupt = !bin_int8(res, r, 0, &key) || !bin_int8(res, r, 1, &day) ||
                 !bin_int8(res, r, 3, &rev) || PQgetisnull(res, r, 2) ||
                 dh_kcell_unpack((const unsigned char *)PQgetvalue(res, r, 2),
                                 (size_t)PQgetlength(res, r, 2), &cell);
    if (k->corrupt)
        return 1;
    return k->cb(k->closure, (int32_t)key, (int32_t)day, &cell, rev);
}

static dh_status pg_load_agg_cells(dh_conn *c, int64_t after_rev, dh_agg_cell_cb cb,
                                   void *closure, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, after_rev);
    cell_reader k = {cb, closure, false};
    dh_status s = dh_pg_cursor(c, "dh_agg_cells",
                               "SELECT key, day, cell, rev FROM agg_days WHERE rev > $1 "
                               "ORDER BY rev, key, day",
                               &p, true, on_cell_row, &k, "read aggregate cells", e);
    if (s == DH_OK && k.corrupt)
        s = dh_err_set(e, DH_E_INTERNAL, "corrupt_cell", NULL, "aggregate cell");
    return s;
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

/* ---- Bulk (issue 15). ---------------------------------------------------- */

static dh_status pg_get_facts(dh_conn *c, const char *const *codes, size_t n, dh_fact_cb cb,
                              void *closure, dh_err *e)
{
    if (!n)
        return DH_OK;
    dh_buf a = DH_BUF_INIT;
    dh_pg_params p = {0};
    dh_pg_array(&p, &a, codes, n);
    PGresult *res;
    dh_status s = dh_pg_exec(c,
                             "SELECT d.code, d.fact FROM unnest($1::text[]) AS k(code) "
                             "CROSS JOIN LATERAL (SELECT code, fact FROM dossiers x "
                             "WHERE x.code = k.code AND x.fact IS NOT NULL) AS d",
                             &p, &res, "read dossier facts", e);
    dh_buf_free(&a);
    if (s)
        return s;
    for (int i = 0, rows = PQntuples(res); i < rows; i++) {
        size_t len = 0;
        dh_dfact f;
        unsigned char *b = dh_pg_col_bytes(res, i, 1, &len);
        int bad = !b || dh_dfact_unpack(b, len, &f);
        free(b);
        if (bad) {
            s = dh_err_set(e, DH_E_INTERNAL, "corrupt_fact", NULL, "dossier %s",
                           dh_pg_col_text(res, i, 0));
            break;
        }
        if (cb(closure, dh_pg_col_text(res, i, 0), &f))
            break;
    }
    PQclear(res);
    return s;
}

/* COPY into a temporary table of the connection, then one upsert adding
 * each delta to its stored cell (CELL_SUM), then emptied. */
static dh_status pg_agg_add_many(dh_conn *c, const dh_agg_delta *deltas, size_t n, int64_t rev,
                                 dh_err *e)
{
    if (!n)
        return DH_OK;
    dh_buf b = DH_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        unsigned char blob[DH_KCELL_BLOB];
        dh_kcell_pack(&deltas[i].d, blob);
        dh_pg_copy_int(&b, deltas[i].key, '\t');
        dh_pg_copy_int(&b, deltas[i].day, '\t');
        dh_pg_copy_bytes(&b, blob, sizeof blob, '\n');
    }
    dh_pg_params p = {0};
    dh_pg_int(&p, rev);
    dh_status s = dh_pg_command(c,
                                "CREATE TEMP TABLE IF NOT EXISTS dh_stage_cells "
                                "(key bigint, day bigint, cell bytea)",
                                "stage aggregate cells", e);
    if (s == DH_OK)
        s = dh_pg_copy(c, "COPY dh_stage_cells(key, day, cell) FROM STDIN", &b,
                       "save aggregate cells", e);
    if (s == DH_OK)
        s = dh_pg_exec(c,
                       "INSERT INTO agg_days(key, day, cell, rev) "
                       "SELECT key, day, cell, $1::bigint FROM dh_stage_cells " CELL_SUM,
                       &p, NULL, "save aggregate cells", e);
    if (s == DH_OK)
        s = dh_pg_command(c, "TRUNCATE dh_stage_cells", "stage aggregate cells", e);
    dh_buf_free(&b);
    return s;
}

static dh_status pg_snap_put(dh_conn *c, int64_t gen, int64_t part, const void *data, size_t n,
                             dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, gen);
    dh_pg_int(&p, part);
    dh_pg_bytes(&p, n ? data : "", n);
    return dh_pg_exec(c,
                      "INSERT INTO agg_snap(gen, part, data) VALUES ($1, $2, $3) ON CONFLICT "
                      "(gen, part) DO UPDATE SET data = excluded.data",
                      &p, NULL, "save aggregates snapshot", e);
}

typedef struct part_reader {
    dh_agg_part_cb cb;
    void *closure;
    bool corrupt;
} part_reader;

static int on_part_row(void *closure, const PGresult *res, int r)
{
    part_reader *k = closure;
    int64_t part;
    k->corrupt = !bin_int8(res, r, 0, &part) || PQgetisnull(res, r, 1);
    if (k->corrupt)
        return 1;
    return k->cb(k->closure, part, PQgetvalue(res, r, 1), (size_t)PQgetlength(res, r, 1));
}

static dh_status pg_snap_get(dh_conn *c, int64_t gen, dh_agg_part_cb cb, void *closure,
                             dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, gen);
    part_reader k = {cb, closure, false};
    dh_status s = dh_pg_cursor(c, "dh_agg_snap",
                               "SELECT part, data FROM agg_snap WHERE gen = $1 ORDER BY part", &p,
                               true, on_part_row, &k, "read aggregates snapshot", e);
    if (s == DH_OK && k.corrupt)
        s = dh_err_set(e, DH_E_INTERNAL, "corrupt_snapshot", NULL, "aggregates snapshot part");
    return s;
}

static dh_status pg_snap_count(dh_conn *c, int64_t gen, int64_t *parts, int64_t *bytes,
                               dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, gen);
    PGresult *res;
    dh_status s = dh_pg_exec(c,
                             "SELECT count(*), coalesce(sum(length(data)), 0)::bigint FROM "
                             "agg_snap WHERE gen = $1",
                             &p, &res, "count aggregates snapshot", e);
    if (s)
        return s;
    *parts = dh_pg_col_int(res, 0, 0);
    *bytes = dh_pg_col_int(res, 0, 1);
    PQclear(res);
    return DH_OK;
}

static dh_status pg_snap_drop(dh_conn *c, int64_t below_gen, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, below_gen);
    return dh_pg_exec(c, "DELETE FROM agg_snap WHERE gen < $1", &p, NULL,
                      "drop aggregates snapshot", e);
}

const dh_aggs_ops dh_postgres_aggs_ops = {
    .agg_key = pg_agg_key,
    .load_agg_keys = pg_load_agg_keys,
    .agg_add = pg_agg_add,
    .load_agg_cells = pg_load_agg_cells,
    .agg_reset = pg_agg_reset,
    .get_fact = pg_get_fact,
    .get_facts = pg_get_facts,
    .agg_add_many = pg_agg_add_many,
    .snap_put = pg_snap_put,
    .snap_get = pg_snap_get,
    .snap_count = pg_snap_count,
    .snap_drop = pg_snap_drop,
};
