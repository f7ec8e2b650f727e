/* pg_meta.c - the PostgreSQL backend of store/meta.h: named counters. */
#include <libpq-fe.h>

#include "store/meta.h"
#include "store/postgres/pg.h"

static dh_status pg_meta_get(dh_conn *c, const char *key, int64_t *value, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, key);
    *value = 0;
    return dh_pg_exec_id(c, "SELECT value FROM meta WHERE key = $1", &p, value, "read meta", e);
}

/* One statement, so two bumps racing on a new key both count (the loser of
 * the insert goes through the DO UPDATE arm). */
static dh_status pg_meta_bump(dh_conn *c, const char *key, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, key);
    return dh_pg_exec(c,
                      "INSERT INTO meta(key, value) VALUES ($1, 1) "
                      "ON CONFLICT (key) DO UPDATE SET value = meta.value + 1",
                      &p, NULL, "bump meta", e);
}

static dh_status pg_meta_set(dh_conn *c, const char *key, int64_t value, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, key);
    dh_pg_int(&p, value);
    return dh_pg_exec(c,
                      "INSERT INTO meta(key, value) VALUES ($1, $2) "
                      "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                      &p, NULL, "set meta", e);
}

static dh_status pg_db_size(dh_conn *c, int64_t *bytes, dh_err *e)
{
    dh_pg_params p = {0};
    *bytes = 0;
    return dh_pg_exec_id(c, "SELECT pg_database_size(current_database())", &p, bytes,
                         "read the database size", e);
}

const dh_meta_ops dh_postgres_meta_ops = {
    .meta_get = pg_meta_get,
    .meta_bump = pg_meta_bump,
    .meta_set = pg_meta_set,
    .db_size = pg_db_size,
};
