/* sq_plans.c - the SQLite backend of store/plans.h: plans, tasks, updates, files, inbox and contacts. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/plans.h"
#include "store/sqlite/sq.h"
#include "util/buf.h"

/* ---- Plans, tasks, progress, inbox (issue 7). ------------------------------ */

static dh_status sq_put_file(dh_conn *c, const dh_file_row *r, int64_t *id, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "INSERT INTO files(name, type, size, sha256, data, unit, uploaded_by, "
                            "created_at, id) VALUES (?,?,?,?,?,?,?,?,NULLIF(?9, 0))",
                            e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, r->name);
    dh_sq_bind_text(st, 2, r->type);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)r->size);
    dh_sq_bind_text(st, 4, r->sha256);
    dh_sq_bound(st, sqlite3_bind_blob64(st, 5, r->data, (sqlite3_uint64)r->size, SQLITE_STATIC));
    dh_sq_bind_text(st, 6, r->unit);
    dh_sq_bind_text(st, 7, r->uploaded_by);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)r->created_at);
    sqlite3_bind_int64(st, 9, r->id);
    dh_status s = dh_sq_run(c, st, "save file", e);
    sqlite3_bind_null(st, 5); /* the bytes are the caller's */
    if (s == DH_OK)
        *id = r->id ? r->id : sqlite3_last_insert_rowid(c->db);
    return s;
}

static dh_status sq_get_file(dh_conn *c, int64_t id, bool with_data, dh_file_cb cb,
                             void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "SELECT id, name, type, sha256, unit, uploaded_by, size, created_at, "
                            "CASE WHEN ?2 THEN data END FROM files WHERE id = ?1",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, with_data);
    int rc = dh_sq_step(st);
    dh_status s = DH_OK;
    if (rc == SQLITE_ROW) {
        dh_file_row r = {sqlite3_column_int64(st, 0), dh_sq_col_text(st, 1), dh_sq_col_text(st, 2),
                         dh_sq_col_text(st, 3), dh_sq_col_text(st, 4), dh_sq_col_text(st, 5),
                         with_data ? sqlite3_column_blob(st, 8) : NULL,
                         (size_t)sqlite3_column_int64(st, 6), dh_sq_col_time(st, 7)};
        cb(closure, &r);
    } else if (rc == SQLITE_DONE) {
        s = dh_err_set(e, DH_E_NOTFOUND, "unknown_file", NULL, "file %lld does not exist",
                       (long long)id);
    } else {
        s = dh_sq_db_error(c, e, "read file");
    }
    sqlite3_reset(st);
    return s;
}

static dh_status sq_put_plan(dh_conn *c, const dh_plan_row *r, int64_t *id, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(
        c,
        "INSERT INTO plans(id, key, number, type, date, issuer, title, period_from, period_to, "
        "status, parents, cites, document_id, note, created_at, updated_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
        "key=excluded.key, number=excluded.number, type=excluded.type, date=excluded.date, "
        "issuer=excluded.issuer, title=excluded.title, period_from=excluded.period_from, "
        "period_to=excluded.period_to, status=excluded.status, parents=excluded.parents, "
        "cites=excluded.cites, document_id=excluded.document_id, note=excluded.note, "
        "updated_at=excluded.updated_at",
        e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_id(st, 1, r->id);
    dh_sq_bind_text(st, 2, r->key);
    dh_sq_bind_text(st, 3, r->number);
    dh_sq_bind_text(st, 4, r->type);
    dh_sq_bind_date(st, 5, r->date);
    dh_sq_bind_text(st, 6, r->issuer);
    dh_sq_bind_text(st, 7, r->title);
    dh_sq_bind_date(st, 8, r->period_from);
    dh_sq_bind_date(st, 9, r->period_to);
    dh_sq_bind_text(st, 10, r->status);
    dh_sq_bind_text(st, 11, r->parents_json);
    dh_sq_bind_text(st, 12, r->cites_json);
    dh_sq_bind_id(st, 13, r->document_id);
    dh_sq_bind_text(st, 14, r->note);
    sqlite3_bind_int64(st, 15, (sqlite3_int64)r->created_at);
    sqlite3_bind_int64(st, 16, (sqlite3_int64)r->updated_at);
    return dh_sq_run_save(c, st, "save plan", r->id, id, e);
}

static dh_status sq_load_plans(dh_conn *c, dh_plan_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "SELECT id, key, number, type, date, issuer, title, period_from, "
                            "period_to, status, parents, cites, document_id, note, created_at, "
                            "updated_at FROM plans ORDER BY id",
                            e);
    if (!st)
        return DH_E_DB;
    int rc;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_plan_row r = {sqlite3_column_int64(st, 0), dh_sq_col_text(st, 1), dh_sq_col_text(st, 2),
                         dh_sq_col_text(st, 3), dh_sq_col_date(st, 4), dh_sq_col_text(st, 5), dh_sq_col_text(st, 6),
                         dh_sq_col_date(st, 7), dh_sq_col_date(st, 8), dh_sq_col_text(st, 9), dh_sq_col_text(st, 10),
                         dh_sq_col_text(st, 11), sqlite3_column_int64(st, 12), dh_sq_col_text(st, 13),
                         dh_sq_col_time(st, 14), dh_sq_col_time(st, 15)};
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "read plans");
}

static dh_status sq_put_task(dh_conn *c, const dh_task_row *r, int64_t *id, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(
        c,
        "INSERT INTO tasks(id, plan_id, kind, ordinal, grp, content, lead, coord, lead_text, "
        "coord_text, result, deadline, start, due, needs_review, roadmap, milestones, "
        "parent_task_id, target_value, target_uom, note, source, report_every, report_day, "
        "created_by, created_at, updated_at, report_offset, report_source, report_text) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT(id) DO UPDATE SET plan_id=excluded.plan_id, kind=excluded.kind, "
        "ordinal=excluded.ordinal, grp=excluded.grp, content=excluded.content, "
        "lead=excluded.lead, coord=excluded.coord, lead_text=excluded.lead_text, "
        "coord_text=excluded.coord_text, result=excluded.result, deadline=excluded.deadline, "
        "start=excluded.start, due=excluded.due, needs_review=excluded.needs_review, "
        "roadmap=excluded.roadmap, milestones=excluded.milestones, "
        "parent_task_id=excluded.parent_task_id, target_value=excluded.target_value, "
        "target_uom=excluded.target_uom, note=excluded.note, source=excluded.source, "
        "report_every=excluded.report_every, report_day=excluded.report_day, "
        "updated_at=excluded.updated_at, report_offset=excluded.report_offset, "
        "report_source=excluded.report_source, report_text=excluded.report_text",
        e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_id(st, 1, r->id);
    dh_sq_bind_id(st, 2, r->plan_id);
    const char *texts[] = {r->kind,    r->ordinal,  r->grp,        r->content,
                           r->lead_json, r->coord_json, r->lead_text, r->coord_text,
                           r->result,  r->deadline};
    for (int i = 0; i < 10; i++)
        dh_sq_bind_text(st, 3 + i, texts[i] ? texts[i] : "");
    dh_sq_bind_date(st, 13, r->start);
    dh_sq_bind_date(st, 14, r->due);
    sqlite3_bind_int(st, 15, r->needs_review);
    dh_sq_bind_text(st, 16, r->roadmap ? r->roadmap : "");
    dh_sq_bind_text(st, 17, r->milestones_json ? r->milestones_json : "[]");
    dh_sq_bind_id(st, 18, r->parent_task_id);
    if (r->has_target)
        sqlite3_bind_double(st, 19, r->target_value);
    else
        sqlite3_bind_null(st, 19);
    dh_sq_bind_text(st, 20, r->target_uom ? r->target_uom : "");
    dh_sq_bind_text(st, 21, r->note ? r->note : "");
    dh_sq_bind_text(st, 22, r->source_json ? r->source_json : "");
    dh_sq_bind_text(st, 23, r->report_every ? r->report_every : "monthly");
    sqlite3_bind_int(st, 24, r->report_day);
    dh_sq_bind_text(st, 25, r->created_by ? r->created_by : "");
    sqlite3_bind_int64(st, 26, (sqlite3_int64)r->created_at);
    sqlite3_bind_int64(st, 27, (sqlite3_int64)r->updated_at);
    if (r->has_report_offset)
        sqlite3_bind_int(st, 28, r->report_offset);
    else
        sqlite3_bind_null(st, 28);
    dh_sq_bind_text(st, 29, r->report_source ? r->report_source : "default");
    dh_sq_bind_text(st, 30, r->report_text ? r->report_text : "");
    return dh_sq_run_save(c, st, "save task", r->id, id, e);
}

static dh_status sq_load_tasks(dh_conn *c, dh_task_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(
        c,
        "SELECT id, plan_id, kind, ordinal, grp, content, lead, coord, lead_text, coord_text, "
        "result, deadline, start, due, needs_review, roadmap, milestones, parent_task_id, "
        "target_value, target_uom, note, source, report_every, report_day, created_by, "
        "created_at, updated_at, report_offset, report_source, report_text FROM tasks ORDER BY id",
        e);
    if (!st)
        return DH_E_DB;
    int rc;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_task_row r = {0};
        r.id = sqlite3_column_int64(st, 0);
        r.plan_id = sqlite3_column_int64(st, 1);
        const char **texts[] = {&r.kind,      &r.ordinal,    &r.grp,       &r.content,
                                &r.lead_json, &r.coord_json, &r.lead_text, &r.coord_text,
                                &r.result,    &r.deadline};
        for (int i = 0; i < 10; i++)
            *texts[i] = dh_sq_col_text(st, 2 + i);
        r.start = dh_sq_col_date(st, 12);
        r.due = dh_sq_col_date(st, 13);
        r.needs_review = sqlite3_column_int(st, 14) != 0;
        r.roadmap = dh_sq_col_text(st, 15);
        r.milestones_json = dh_sq_col_text(st, 16);
        r.parent_task_id = sqlite3_column_int64(st, 17);
        r.has_target = sqlite3_column_type(st, 18) != SQLITE_NULL;
        r.target_value = sqlite3_column_double(st, 18);
        r.target_uom = dh_sq_col_text(st, 19);
        r.note = dh_sq_col_text(st, 20);
        r.source_json = dh_sq_col_text(st, 21);
        r.report_every = dh_sq_col_text(st, 22);
        r.report_day = sqlite3_column_int(st, 23);
        r.created_by = dh_sq_col_text(st, 24);
        r.created_at = dh_sq_col_time(st, 25);
        r.updated_at = dh_sq_col_time(st, 26);
        r.has_report_offset = sqlite3_column_type(st, 27) != SQLITE_NULL;
        r.report_offset = sqlite3_column_int(st, 27);
        r.report_source = dh_sq_col_text(st, 28);
        r.report_text = dh_sq_col_text(st, 29);
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "read tasks");
}

static dh_status sq_insert_task_update(dh_conn *c, const dh_task_update_row *r, int64_t *id,
                                       dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "INSERT INTO task_updates(task_id, kind, unit, author, date, "
                            "occurrence, percent, done, text, files, created_at) "
                            "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, r->task_id);
    dh_sq_bind_text(st, 2, r->kind);
    dh_sq_bind_text(st, 3, r->unit);
    dh_sq_bind_text(st, 4, r->author);
    dh_sq_bind_date(st, 5, r->date);
    dh_sq_bind_date(st, 6, r->occurrence);
    if (r->percent >= 0)
        sqlite3_bind_int(st, 7, r->percent);
    else
        sqlite3_bind_null(st, 7);
    sqlite3_bind_int(st, 8, r->done);
    dh_sq_bind_text(st, 9, r->text ? r->text : "");
    dh_sq_bind_text(st, 10, r->files_json ? r->files_json : "[]");
    sqlite3_bind_int64(st, 11, (sqlite3_int64)r->created_at);
    dh_status s = dh_sq_run(c, st, "save task update", e);
    if (s == DH_OK)
        *id = sqlite3_last_insert_rowid(c->db);
    return s;
}

static dh_status sq_load_task_updates(dh_conn *c, dh_task_update_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "SELECT id, task_id, kind, unit, author, date, occurrence, percent, "
                            "done, text, files, created_at FROM task_updates ORDER BY id",
                            e);
    if (!st)
        return DH_E_DB;
    int rc;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_task_update_row r = {
            sqlite3_column_int64(st, 0),
            sqlite3_column_int64(st, 1),
            dh_sq_col_text(st, 2),
            dh_sq_col_text(st, 3),
            dh_sq_col_text(st, 4),
            dh_sq_col_date(st, 5),
            dh_sq_col_date(st, 6),
            sqlite3_column_type(st, 7) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 7),
            sqlite3_column_int(st, 8) != 0,
            dh_sq_col_text(st, 9),
            dh_sq_col_text(st, 10),
            dh_sq_col_time(st, 11)};
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "read task updates");
}

static dh_status sq_insert_inbox(dh_conn *c, const dh_inbox_row *r, bool *inserted, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "INSERT OR IGNORE INTO inbox(unit, day, kind, task_id, occurrence, "
                            "message, created_at) VALUES (?,?,?,?,?,?,?)",
                            e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, r->unit);
    dh_sq_bind_date(st, 2, r->day);
    dh_sq_bind_text(st, 3, r->kind);
    sqlite3_bind_int64(st, 4, r->task_id);
    dh_sq_bind_text(st, 5, r->occurrence ? r->occurrence : "");
    dh_sq_bind_text(st, 6, r->message);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)r->created_at);
    dh_status s = dh_sq_run(c, st, "save inbox row", e);
    if (s == DH_OK)
        *inserted = sqlite3_changes(c->db) > 0;
    return s;
}

static dh_status sq_list_inbox(dh_conn *c, const char *unit, int64_t before_id, int limit,
                               dh_inbox_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "SELECT id, unit, day, kind, task_id, occurrence, message, created_at "
                            "FROM inbox WHERE (?1 IS NULL OR unit = ?1) AND (?2 = 0 OR id < ?2) "
                            "ORDER BY id DESC LIMIT ?3",
                            e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, unit);
    sqlite3_bind_int64(st, 2, before_id);
    sqlite3_bind_int(st, 3, limit);
    int rc;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_inbox_row r = {sqlite3_column_int64(st, 0), dh_sq_col_text(st, 1), dh_sq_col_date(st, 2),
                          dh_sq_col_text(st, 3),             sqlite3_column_int64(st, 4),
                          dh_sq_col_text(st, 5),             dh_sq_col_text(st, 6),
                          dh_sq_col_time(st, 7)};
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "read inbox");
}

static dh_status sq_put_contact(dh_conn *c, const char *unit, const char *email, dh_err *e)
{
    sqlite3_stmt *st =
        email ? dh_sq_stmt(c,
                     "INSERT INTO unit_contacts(unit, email) VALUES (?1, ?2) "
                     "ON CONFLICT(unit) DO UPDATE SET email = excluded.email",
                     e)
              : dh_sq_stmt(c, "DELETE FROM unit_contacts WHERE unit = ?1", e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, unit);
    if (email)
        dh_sq_bind_text(st, 2, email);
    return dh_sq_run(c, st, "save contact", e);
}

static dh_status sq_load_contacts(dh_conn *c, dh_contact_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c, "SELECT unit, email FROM unit_contacts ORDER BY unit", e);
    if (!st)
        return DH_E_DB;
    int rc;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW)
        if (cb(closure, dh_sq_col_text(st, 0), dh_sq_col_text(st, 1)))
            break;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "read contacts");
}

const dh_plans_ops dh_sqlite_plans_ops = {
    .put_file = sq_put_file,
    .get_file = sq_get_file,
    .put_plan = sq_put_plan,
    .load_plans = sq_load_plans,
    .put_task = sq_put_task,
    .load_tasks = sq_load_tasks,
    .insert_task_update = sq_insert_task_update,
    .load_task_updates = sq_load_task_updates,
    .insert_inbox = sq_insert_inbox,
    .list_inbox = sq_list_inbox,
    .put_contact = sq_put_contact,
    .load_contacts = sq_load_contacts,
};
