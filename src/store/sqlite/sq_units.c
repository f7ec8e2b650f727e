/* sq_units.c - the SQLite backend of store/units.h: the unit registry. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/units.h"
#include "store/sqlite/sq.h"
#include "util/buf.h"

/* ------------------------------------------------------------------ */
/* Units.                                                             */

static dh_status sq_units_rev(dh_conn *c, int64_t *rev, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c, "SELECT value FROM meta WHERE key = 'units_rev'", e);
    *rev = 0;
    if (!st)
        return DH_E_DB;
    int rc = dh_sq_step(st);
    if (rc == SQLITE_ROW)
        *rev = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "read units_rev");
}

static dh_status sq_bump_units_rev(dh_conn *c, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c, "UPDATE meta SET value = value + 1 WHERE key = 'units_rev'", e);
    return st ? dh_sq_run(c, st, "bump units_rev", e) : DH_E_DB;
}

static dh_status sq_load_units(dh_conn *c, dh_unit_cb ucb, dh_unit_version_cb vcb,
                               dh_unit_link_cb lcb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c, "SELECT id, code, kind, valid_from, valid_to FROM units ORDER BY id",
                            e);
    int rc;
    if (!st)
        return DH_E_DB;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_unit_row u = {sqlite3_column_int64(st, 0), dh_sq_col_text(st, 1), dh_sq_col_text(st, 2),
                         dh_sq_col_date(st, 3), dh_sq_col_date(st, 4)};
        if (ucb(closure, &u))
            break;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return dh_sq_db_error(c, e, "load units");

    st = dh_sq_stmt(c,
              "SELECT unit_id, valid_from, parent_id, name, short_name, name_folded "
              "FROM unit_versions ORDER BY unit_id, valid_from",
              e);
    if (!st)
        return DH_E_DB;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_unit_version_row v = {sqlite3_column_int64(st, 0), dh_sq_col_date(st, 1),
                                 sqlite3_column_int64(st, 2), dh_sq_col_text(st, 3),
                                 dh_sq_col_text(st, 4), dh_sq_col_text(st, 5)};
        if (vcb(closure, &v))
            break;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return dh_sq_db_error(c, e, "load unit versions");

    st = dh_sq_stmt(c,
              "SELECT event_id, from_unit_id, to_unit_id, partial, effective FROM unit_links "
              "ORDER BY event_id, from_unit_id, to_unit_id",
              e);
    if (!st)
        return DH_E_DB;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_unit_link_row l = {sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                              sqlite3_column_int64(st, 2), sqlite3_column_int(st, 3) != 0,
                              dh_sq_col_date(st, 4)};
        if (lcb(closure, &l))
            break;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return dh_sq_db_error(c, e, "load unit links");
    return DH_OK;
}

static dh_status sq_save_unit(dh_conn *c, const dh_unit_row *u, int64_t *new_id, dh_err *e)
{
    sqlite3_stmt *st;
    if (u->id == 0) {
        st = dh_sq_stmt(c, "INSERT INTO units(code, kind, valid_from, valid_to) VALUES (?,?,?,?)", e);
        if (!st)
            return DH_E_DB;
        dh_sq_bind_text(st, 1, u->code);
        dh_sq_bind_text(st, 2, u->kind);
        dh_sq_bind_date(st, 3, u->valid_from);
        dh_sq_bind_date(st, 4, u->valid_to);
        dh_status s = dh_sq_run(c, st, "insert unit", e);
        if (s == DH_OK && new_id)
            *new_id = sqlite3_last_insert_rowid(c->db);
        return s;
    }
    st = dh_sq_stmt(c, "UPDATE units SET kind = ?, valid_from = ?, valid_to = ? WHERE id = ?", e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, u->kind);
    dh_sq_bind_date(st, 2, u->valid_from);
    dh_sq_bind_date(st, 3, u->valid_to);
    sqlite3_bind_int64(st, 4, u->id);
    if (new_id)
        *new_id = u->id;
    return dh_sq_run(c, st, "update unit", e);
}

static dh_status sq_replace_unit_versions(dh_conn *c, int64_t unit_id,
                                          const dh_unit_version_row *v, size_t n, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c, "DELETE FROM unit_versions WHERE unit_id = ?", e);
    dh_status s;
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, unit_id);
    if ((s = dh_sq_run(c, st, "replace unit versions", e)))
        return s;
    for (size_t i = 0; i < n; i++) {
        st = dh_sq_stmt(c,
                  "INSERT INTO unit_versions(unit_id, valid_from, parent_id, name, short_name, "
                  "name_folded) VALUES (?,?,?,?,?,?)",
                  e);
        if (!st)
            return DH_E_DB;
        sqlite3_bind_int64(st, 1, unit_id);
        dh_sq_bind_date(st, 2, v[i].valid_from);
        dh_sq_bind_id(st, 3, v[i].parent_id);
        dh_sq_bind_text(st, 4, v[i].name);
        dh_sq_bind_text(st, 5, v[i].short_name ? v[i].short_name : "");
        dh_sq_bind_text(st, 6, v[i].name_folded);
        if ((s = dh_sq_run(c, st, "insert unit version", e)))
            return s;
    }
    return DH_OK;
}

static dh_status sq_insert_unit_event(dh_conn *c, const dh_unit_event_row *ev, int64_t *id,
                                      dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "INSERT INTO unit_events(kind, effective, source, note, body, "
                            "created_at, actor_user_id) VALUES (?,?,?,?,?,?,?)",
                            e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, ev->kind);
    dh_sq_bind_date(st, 2, ev->effective);
    dh_sq_bind_text(st, 3, ev->source ? ev->source : "");
    dh_sq_bind_text(st, 4, ev->note ? ev->note : "");
    dh_sq_bind_text(st, 5, ev->body_json ? ev->body_json : "{}");
    sqlite3_bind_int64(st, 6, (sqlite3_int64)ev->created_at);
    dh_sq_bind_id(st, 7, ev->actor_user_id);
    dh_status s = dh_sq_run(c, st, "insert unit event", e);
    if (s == DH_OK)
        *id = sqlite3_last_insert_rowid(c->db);
    return s;
}

static dh_status sq_insert_unit_link(dh_conn *c, const dh_unit_link_row *l, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "INSERT INTO unit_links(event_id, from_unit_id, to_unit_id, partial, "
                            "effective) VALUES (?,?,?,?,?)",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, l->event_id);
    sqlite3_bind_int64(st, 2, l->from_unit_id);
    sqlite3_bind_int64(st, 3, l->to_unit_id);
    sqlite3_bind_int(st, 4, l->partial);
    dh_sq_bind_date(st, 5, l->effective);
    return dh_sq_run(c, st, "insert unit link", e);
}

const dh_units_ops dh_sqlite_units_ops = {
    .units_rev = sq_units_rev,
    .bump_units_rev = sq_bump_units_rev,
    .load_units = sq_load_units,
    .save_unit = sq_save_unit,
    .replace_unit_versions = sq_replace_unit_versions,
    .insert_unit_event = sq_insert_unit_event,
    .insert_unit_link = sq_insert_unit_link,
};
