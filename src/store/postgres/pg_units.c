/* pg_units.c - the PostgreSQL backend of store/units.h: the unit registry. */
#include <libpq-fe.h>

#include "store/units.h"
#include "store/postgres/pg.h"

static dh_status pg_units_rev(dh_conn *c, int64_t *rev, dh_err *e)
{
    *rev = 0;
    return dh_pg_exec_id(c, "SELECT value FROM meta WHERE key = 'units_rev'", NULL, rev,
                         "read units_rev", e);
}

static dh_status pg_bump_units_rev(dh_conn *c, dh_err *e)
{
    return dh_pg_exec(c, "UPDATE meta SET value = value + 1 WHERE key = 'units_rev'", NULL, NULL,
                      "bump units_rev", e);
}

static dh_status pg_load_units(dh_conn *c, dh_unit_cb ucb, dh_unit_version_cb vcb,
                               dh_unit_link_cb lcb, void *closure, dh_err *e)
{
    PGresult *res;
    dh_status s = dh_pg_exec(c, "SELECT id, code, kind, valid_from, valid_to FROM units ORDER BY id",
                             NULL, &res, "load units", e);
    if (s)
        return s;
    for (int r = 0, n = PQntuples(res); r < n; r++) {
        dh_unit_row u = {dh_pg_col_int(res, r, 0), dh_pg_col_text(res, r, 1),
                         dh_pg_col_text(res, r, 2), dh_pg_col_date(res, r, 3),
                         dh_pg_col_date(res, r, 4)};
        if (ucb(closure, &u))
            break;
    }
    PQclear(res);

    s = dh_pg_exec(c,
                   "SELECT unit_id, valid_from, parent_id, name, short_name, name_folded "
                   "FROM unit_versions ORDER BY unit_id, valid_from",
                   NULL, &res, "load unit versions", e);
    if (s)
        return s;
    for (int r = 0, n = PQntuples(res); r < n; r++) {
        dh_unit_version_row v = {dh_pg_col_int(res, r, 0),  dh_pg_col_date(res, r, 1),
                                 dh_pg_col_int(res, r, 2),  dh_pg_col_text(res, r, 3),
                                 dh_pg_col_text(res, r, 4), dh_pg_col_text(res, r, 5)};
        if (vcb(closure, &v))
            break;
    }
    PQclear(res);

    s = dh_pg_exec(c,
                   "SELECT event_id, from_unit_id, to_unit_id, partial, effective FROM unit_links "
                   "ORDER BY event_id, from_unit_id, to_unit_id",
                   NULL, &res, "load unit links", e);
    if (s)
        return s;
    for (int r = 0, n = PQntuples(res); r < n; r++) {
        dh_unit_link_row l = {dh_pg_col_int(res, r, 0), dh_pg_col_int(res, r, 1),
                              dh_pg_col_int(res, r, 2), dh_pg_col_int(res, r, 3) != 0,
                              dh_pg_col_date(res, r, 4)};
        if (lcb(closure, &l))
            break;
    }
    PQclear(res);
    return DH_OK;
}

static dh_status pg_save_unit(dh_conn *c, const dh_unit_row *u, int64_t *new_id, dh_err *e)
{
    dh_pg_params p = {0};
    if (u->id == 0) {
        int64_t id = 0;
        dh_pg_text(&p, u->code);
        dh_pg_text(&p, u->kind);
        dh_pg_date(&p, u->valid_from);
        dh_pg_date(&p, u->valid_to);
        dh_status s = dh_pg_exec_id(c,
                                    "INSERT INTO units(code, kind, valid_from, valid_to) "
                                    "VALUES ($1, $2, $3, $4) RETURNING id",
                                    &p, &id, "insert unit", e);
        if (s == DH_OK && new_id)
            *new_id = id;
        return s;
    }
    dh_pg_text(&p, u->kind);
    dh_pg_date(&p, u->valid_from);
    dh_pg_date(&p, u->valid_to);
    dh_pg_int(&p, u->id);
    if (new_id)
        *new_id = u->id;
    return dh_pg_exec(c, "UPDATE units SET kind = $1, valid_from = $2, valid_to = $3 WHERE id = $4",
                      &p, NULL, "update unit", e);
}

static dh_status pg_replace_unit_versions(dh_conn *c, int64_t unit_id,
                                          const dh_unit_version_row *v, size_t n, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, unit_id);
    dh_status s = dh_pg_exec(c, "DELETE FROM unit_versions WHERE unit_id = $1", &p, NULL,
                             "replace unit versions", e);
    for (size_t i = 0; i < n && s == DH_OK; i++) {
        dh_pg_params q = {0};
        dh_pg_int(&q, unit_id);
        dh_pg_date(&q, v[i].valid_from);
        dh_pg_id(&q, v[i].parent_id);
        dh_pg_text(&q, v[i].name);
        dh_pg_text(&q, v[i].short_name ? v[i].short_name : "");
        dh_pg_text(&q, v[i].name_folded);
        s = dh_pg_exec(c,
                       "INSERT INTO unit_versions(unit_id, valid_from, parent_id, name, "
                       "short_name, name_folded) VALUES ($1, $2, $3, $4, $5, $6)",
                       &q, NULL, "insert unit version", e);
    }
    return s;
}

static dh_status pg_insert_unit_event(dh_conn *c, const dh_unit_event_row *ev, int64_t *id,
                                      dh_err *e)
{
    dh_pg_params p = {0};
    int64_t new_id = 0;
    dh_pg_text(&p, ev->kind);
    dh_pg_date(&p, ev->effective);
    dh_pg_text(&p, ev->source ? ev->source : "");
    dh_pg_text(&p, ev->note ? ev->note : "");
    dh_pg_text(&p, ev->body_json ? ev->body_json : "{}");
    dh_pg_int(&p, (int64_t)ev->created_at);
    dh_pg_id(&p, ev->actor_user_id);
    dh_status s = dh_pg_exec_id(c,
                                "INSERT INTO unit_events(kind, effective, source, note, body, "
                                "created_at, actor_user_id) VALUES ($1, $2, $3, $4, $5, $6, $7) "
                                "RETURNING id",
                                &p, &new_id, "insert unit event", e);
    if (s == DH_OK)
        *id = new_id;
    return s;
}

static dh_status pg_insert_unit_link(dh_conn *c, const dh_unit_link_row *l, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, l->event_id);
    dh_pg_int(&p, l->from_unit_id);
    dh_pg_int(&p, l->to_unit_id);
    dh_pg_bool(&p, l->partial);
    dh_pg_date(&p, l->effective);
    return dh_pg_exec(c,
                      "INSERT INTO unit_links(event_id, from_unit_id, to_unit_id, partial, "
                      "effective) VALUES ($1, $2, $3, $4, $5)",
                      &p, NULL, "insert unit link", e);
}

const dh_units_ops dh_postgres_units_ops = {
    .units_rev = pg_units_rev,
    .bump_units_rev = pg_bump_units_rev,
    .load_units = pg_load_units,
    .save_unit = pg_save_unit,
    .replace_unit_versions = pg_replace_unit_versions,
    .insert_unit_event = pg_insert_unit_event,
    .insert_unit_link = pg_insert_unit_link,
};
