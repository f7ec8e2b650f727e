/* pg_plans.c - the PostgreSQL backend of store/plans.h: plans, tasks, updates, files, inbox and contacts.
 *
 * A port of sqlite/sq_plans.c statement by statement. Where SQLite inserts
 * a NULL id to have the next one, PostgreSQL's identity column must not be
 * named at all: a row without an id goes through an INSERT ... RETURNING id
 * and a row with one through the upsert on id. Text orders are bytewise
 * (COLLATE "C"), like SQLite's BINARY. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/plans.h"
#include "store/postgres/pg.h"
#include "store/postgres/pg_save.h"

/* The rows a statement gave, through a per-row function; stops early when
 * it answers non-zero. */
#define PG_ROWS(res, row) for (int row = 0, n_ = PQntuples(res); row < n_; row++)

/* ---- Plans, tasks, progress, inbox (issue 7). ------------------------------ */

static dh_status pg_put_file(dh_conn *c, const dh_file_row *r, int64_t *id, dh_err *e)
{
#define FILE_INSERT                                                                             \
    "INSERT INTO files(name, type, size, sha256, data, unit, uploaded_by, created_at"
    dh_pg_params p = {0};
    dh_pg_text(&p, r->name);
    dh_pg_text(&p, r->type);
    dh_pg_int(&p, (int64_t)r->size);
    dh_pg_text(&p, r->sha256);
    dh_pg_bytes(&p, r->data, r->size);
    dh_pg_text(&p, r->unit);
    dh_pg_text(&p, r->uploaded_by);
    dh_pg_int(&p, (int64_t)r->created_at);
    if (r->id) {
        dh_pg_int(&p, r->id);
        dh_status s = dh_pg_exec(c, FILE_INSERT ", id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)", &p,
                                 NULL, "save file", e);
        if (s == DH_OK)
            *id = r->id;
        return s;
    }
    return dh_pg_exec_id(c, FILE_INSERT ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id", &p,
                         id, "save file", e);
#undef FILE_INSERT
}

static dh_status pg_get_file(dh_conn *c, int64_t id, bool with_data, dh_file_cb cb,
                             void *closure, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, id);
    dh_pg_bool(&p, with_data);
    PGresult *res;
    dh_status s = dh_pg_exec(c,
                             "SELECT id, name, type, sha256, unit, uploaded_by, size, created_at, "
                             "CASE WHEN $2::integer <> 0 THEN data END FROM files WHERE id = $1",
                             &p, &res, "read file", e);
    if (s)
        return s;
    if (PQntuples(res) > 0) {
        size_t n = 0;
        void *data = with_data ? dh_pg_col_bytes(res, 0, 8, &n) : NULL;
        dh_file_row r = {dh_pg_col_int(res, 0, 0),       dh_pg_col_text(res, 0, 1),
                         dh_pg_col_text(res, 0, 2),      dh_pg_col_text(res, 0, 3),
                         dh_pg_col_text(res, 0, 4),      dh_pg_col_text(res, 0, 5),
                         data,                           (size_t)dh_pg_col_int(res, 0, 6),
                         dh_pg_col_time(res, 0, 7)};
        cb(closure, &r);
        free(data);
    } else {
        s = dh_err_set(e, DH_E_NOTFOUND, "unknown_file", NULL, "file %lld does not exist",
                       (long long)id);
    }
    PQclear(res);
    return s;
}

static dh_status pg_put_plan(dh_conn *c, const dh_plan_row *r, int64_t *id, dh_err *e)
{
#define PLAN_COLS                                                                               \
    "key, number, type, date, issuer, title, period_from, period_to, status, parents, cites, " \
    "document_id, note, created_at, updated_at"
#define PLAN_VALUES "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15"
    static const char insert[] =
        "INSERT INTO plans(" PLAN_COLS ") VALUES (" PLAN_VALUES ") RETURNING id";
    static const char upsert[] =
        "INSERT INTO plans(" PLAN_COLS ", id) VALUES (" PLAN_VALUES ",$16) ON CONFLICT(id) DO "
        "UPDATE SET key=excluded.key, number=excluded.number, type=excluded.type, "
        "date=excluded.date, issuer=excluded.issuer, title=excluded.title, "
        "period_from=excluded.period_from, period_to=excluded.period_to, status=excluded.status, "
        "parents=excluded.parents, cites=excluded.cites, document_id=excluded.document_id, "
        "note=excluded.note, updated_at=excluded.updated_at";
#undef PLAN_COLS
#undef PLAN_VALUES
    dh_pg_params p = {0};
    dh_pg_text(&p, r->key);
    dh_pg_text(&p, r->number);
    dh_pg_text(&p, r->type);
    dh_pg_date(&p, r->date);
    dh_pg_text(&p, r->issuer);
    dh_pg_text(&p, r->title);
    dh_pg_date(&p, r->period_from);
    dh_pg_date(&p, r->period_to);
    dh_pg_text(&p, r->status);
    dh_pg_text(&p, r->parents_json);
    dh_pg_text(&p, r->cites_json);
    dh_pg_id(&p, r->document_id);
    dh_pg_text(&p, r->note);
    dh_pg_int(&p, (int64_t)r->created_at);
    dh_pg_int(&p, (int64_t)r->updated_at);
    return dh_pg_save_row(c, insert, upsert, r->id, &p, id, "save plan", e);
}

static dh_status pg_load_plans(dh_conn *c, dh_plan_cb cb, void *closure, dh_err *e)
{
    PGresult *res;
    dh_status s = dh_pg_exec(c,
                             "SELECT id, key, number, type, date, issuer, title, period_from, "
                             "period_to, status, parents, cites, document_id, note, created_at, "
                             "updated_at FROM plans ORDER BY id",
                             NULL, &res, "read plans", e);
    if (s)
        return s;
    PG_ROWS(res, i)
    {
        dh_plan_row r = {dh_pg_col_int(res, i, 0),   dh_pg_col_text(res, i, 1),
                         dh_pg_col_text(res, i, 2),  dh_pg_col_text(res, i, 3),
                         dh_pg_col_date(res, i, 4),  dh_pg_col_text(res, i, 5),
                         dh_pg_col_text(res, i, 6),  dh_pg_col_date(res, i, 7),
                         dh_pg_col_date(res, i, 8),  dh_pg_col_text(res, i, 9),
                         dh_pg_col_text(res, i, 10), dh_pg_col_text(res, i, 11),
                         dh_pg_col_int(res, i, 12),  dh_pg_col_text(res, i, 13),
                         dh_pg_col_time(res, i, 14), dh_pg_col_time(res, i, 15)};
        if (cb(closure, &r))
            break;
    }
    PQclear(res);
    return DH_OK;
}

static dh_status pg_put_task(dh_conn *c, const dh_task_row *r, int64_t *id, dh_err *e)
{
#define TASK_COLS                                                                               \
    "plan_id, kind, ordinal, grp, content, lead, coord, lead_text, coord_text, result, "       \
    "deadline, start, due, needs_review, roadmap, milestones, parent_task_id, target_value, "   \
    "target_uom, note, source, report_every, report_day, created_by, created_at, updated_at, " \
    "report_offset, report_source, report_text"
#define TASK_VALUES                                                                             \
    "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,"  \
    "$25,$26,$27,$28,$29"
    static const char insert[] =
        "INSERT INTO tasks(" TASK_COLS ") VALUES (" TASK_VALUES ") RETURNING id";
    static const char upsert[] =
        "INSERT INTO tasks(" TASK_COLS ", id) VALUES (" TASK_VALUES ",$30) "
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
        "report_source=excluded.report_source, report_text=excluded.report_text";
#undef TASK_COLS
#undef TASK_VALUES
    dh_pg_params p = {0};
    dh_pg_id(&p, r->plan_id);
    const char *texts[] = {r->kind,      r->ordinal,    r->grp,       r->content,
                           r->lead_json, r->coord_json, r->lead_text, r->coord_text,
                           r->result,    r->deadline};
    for (int i = 0; i < 10; i++)
        dh_pg_text(&p, texts[i] ? texts[i] : "");
    dh_pg_date(&p, r->start);
    dh_pg_date(&p, r->due);
    dh_pg_bool(&p, r->needs_review);
    dh_pg_text(&p, r->roadmap ? r->roadmap : "");
    dh_pg_text(&p, r->milestones_json ? r->milestones_json : "[]");
    dh_pg_id(&p, r->parent_task_id);
    if (r->has_target)
        dh_pg_real(&p, r->target_value);
    else
        dh_pg_null(&p);
    dh_pg_text(&p, r->target_uom ? r->target_uom : "");
    dh_pg_text(&p, r->note ? r->note : "");
    dh_pg_text(&p, r->source_json ? r->source_json : "");
    dh_pg_text(&p, r->report_every ? r->report_every : "monthly");
    dh_pg_int(&p, r->report_day);
    dh_pg_text(&p, r->created_by ? r->created_by : "");
    dh_pg_int(&p, (int64_t)r->created_at);
    dh_pg_int(&p, (int64_t)r->updated_at);
    if (r->has_report_offset)
        dh_pg_int(&p, r->report_offset);
    else
        dh_pg_null(&p);
    dh_pg_text(&p, r->report_source ? r->report_source : "default");
    dh_pg_text(&p, r->report_text ? r->report_text : "");
    return dh_pg_save_row(c, insert, upsert, r->id, &p, id, "save task", e);
}

static dh_status pg_load_tasks(dh_conn *c, dh_task_cb cb, void *closure, dh_err *e)
{
    PGresult *res;
    dh_status s = dh_pg_exec(
        c,
        "SELECT id, plan_id, kind, ordinal, grp, content, lead, coord, lead_text, coord_text, "
        "result, deadline, start, due, needs_review, roadmap, milestones, parent_task_id, "
        "target_value, target_uom, note, source, report_every, report_day, created_by, "
        "created_at, updated_at, report_offset, report_source, report_text FROM tasks ORDER BY id",
        NULL, &res, "read tasks", e);
    if (s)
        return s;
    PG_ROWS(res, i)
    {
        dh_task_row r = {0};
        r.id = dh_pg_col_int(res, i, 0);
        r.plan_id = dh_pg_col_int(res, i, 1);
        const char **texts[] = {&r.kind,      &r.ordinal,    &r.grp,       &r.content,
                                &r.lead_json, &r.coord_json, &r.lead_text, &r.coord_text,
                                &r.result,    &r.deadline};
        for (int k = 0; k < 10; k++)
            *texts[k] = dh_pg_col_text(res, i, 2 + k);
        r.start = dh_pg_col_date(res, i, 12);
        r.due = dh_pg_col_date(res, i, 13);
        r.needs_review = dh_pg_col_bool(res, i, 14);
        r.roadmap = dh_pg_col_text(res, i, 15);
        r.milestones_json = dh_pg_col_text(res, i, 16);
        r.parent_task_id = dh_pg_col_int(res, i, 17);
        r.has_target = !dh_pg_is_null(res, i, 18);
        r.target_value = dh_pg_col_real(res, i, 18);
        r.target_uom = dh_pg_col_text(res, i, 19);
        r.note = dh_pg_col_text(res, i, 20);
        r.source_json = dh_pg_col_text(res, i, 21);
        r.report_every = dh_pg_col_text(res, i, 22);
        r.report_day = (int)dh_pg_col_int(res, i, 23);
        r.created_by = dh_pg_col_text(res, i, 24);
        r.created_at = dh_pg_col_time(res, i, 25);
        r.updated_at = dh_pg_col_time(res, i, 26);
        r.has_report_offset = !dh_pg_is_null(res, i, 27);
        r.report_offset = (int)dh_pg_col_int(res, i, 27);
        r.report_source = dh_pg_col_text(res, i, 28);
        r.report_text = dh_pg_col_text(res, i, 29);
        if (cb(closure, &r))
            break;
    }
    PQclear(res);
    return DH_OK;
}

static dh_status pg_insert_task_update(dh_conn *c, const dh_task_update_row *r, int64_t *id,
                                       dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, r->task_id);
    dh_pg_text(&p, r->kind);
    dh_pg_text(&p, r->unit);
    dh_pg_text(&p, r->author);
    dh_pg_date(&p, r->date);
    dh_pg_date(&p, r->occurrence);
    if (r->percent >= 0)
        dh_pg_int(&p, r->percent);
    else
        dh_pg_null(&p);
    dh_pg_bool(&p, r->done);
    dh_pg_text(&p, r->text ? r->text : "");
    dh_pg_text(&p, r->files_json ? r->files_json : "[]");
    dh_pg_int(&p, (int64_t)r->created_at);
    return dh_pg_exec_id(c,
                         "INSERT INTO task_updates(task_id, kind, unit, author, date, "
                         "occurrence, percent, done, text, files, created_at) "
                         "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING id",
                         &p, id, "save task update", e);
}

static dh_status pg_load_task_updates(dh_conn *c, dh_task_update_cb cb, void *closure, dh_err *e)
{
    PGresult *res;
    dh_status s = dh_pg_exec(c,
                             "SELECT id, task_id, kind, unit, author, date, occurrence, percent, "
                             "done, text, files, created_at FROM task_updates ORDER BY id",
                             NULL, &res, "read task updates", e);
    if (s)
        return s;
    PG_ROWS(res, i)
    {
        dh_task_update_row r = {
            dh_pg_col_int(res, i, 0),
            dh_pg_col_int(res, i, 1),
            dh_pg_col_text(res, i, 2),
            dh_pg_col_text(res, i, 3),
            dh_pg_col_text(res, i, 4),
            dh_pg_col_date(res, i, 5),
            dh_pg_col_date(res, i, 6),
            dh_pg_is_null(res, i, 7) ? -1 : (int)dh_pg_col_int(res, i, 7),
            dh_pg_col_bool(res, i, 8),
            dh_pg_col_text(res, i, 9),
            dh_pg_col_text(res, i, 10),
            dh_pg_col_time(res, i, 11)};
        if (cb(closure, &r))
            break;
    }
    PQclear(res);
    return DH_OK;
}

static dh_status pg_insert_inbox(dh_conn *c, const dh_inbox_row *r, bool *inserted, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, r->unit);
    dh_pg_date(&p, r->day);
    dh_pg_text(&p, r->kind);
    dh_pg_int(&p, r->task_id);
    dh_pg_text(&p, r->occurrence ? r->occurrence : "");
    dh_pg_text(&p, r->message);
    dh_pg_int(&p, (int64_t)r->created_at);
    PGresult *res;
    dh_status s = dh_pg_exec(c,
                             "INSERT INTO inbox(unit, day, kind, task_id, occurrence, message, "
                             "created_at) VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT DO NOTHING",
                             &p, &res, "save inbox row", e);
    if (s)
        return s;
    *inserted = atoll(PQcmdTuples(res)) > 0;
    PQclear(res);
    return DH_OK;
}

static dh_status pg_list_inbox(dh_conn *c, const char *unit, int64_t before_id, int limit,
                               dh_inbox_cb cb, void *closure, dh_err *e)
{
    /* One text with a unit and one without (an "$1 IS NULL OR" would keep
     * a generic plan from the (unit, id) index); no cursor is the greatest
     * id. A negative limit is none, as in SQLite. */
#define INBOX_SELECT                                                                            \
    "SELECT id, unit, day, kind, task_id, occurrence, message, created_at FROM inbox WHERE "
    dh_pg_params p = {0};
    dh_pg_int(&p, before_id ? before_id : INT64_MAX);
    if (limit >= 0)
        dh_pg_int(&p, limit);
    else
        dh_pg_null(&p);
    if (unit)
        dh_pg_text(&p, unit);
    PGresult *res;
    dh_status s = dh_pg_exec(
        c,
        unit ? INBOX_SELECT "unit = $3 AND id < $1 ORDER BY id DESC LIMIT $2"
             : INBOX_SELECT "id < $1 ORDER BY id DESC LIMIT $2",
        &p, &res, "read inbox", e);
#undef INBOX_SELECT
    if (s)
        return s;
    PG_ROWS(res, i)
    {
        dh_inbox_row r = {dh_pg_col_int(res, i, 0),  dh_pg_col_text(res, i, 1),
                          dh_pg_col_date(res, i, 2), dh_pg_col_text(res, i, 3),
                          dh_pg_col_int(res, i, 4),  dh_pg_col_text(res, i, 5),
                          dh_pg_col_text(res, i, 6), dh_pg_col_time(res, i, 7)};
        if (cb(closure, &r))
            break;
    }
    PQclear(res);
    return DH_OK;
}

static dh_status pg_put_contact(dh_conn *c, const char *unit, const char *email, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, unit);
    if (!email)
        return dh_pg_exec(c, "DELETE FROM unit_contacts WHERE unit = $1", &p, NULL,
                          "save contact", e);
    dh_pg_text(&p, email);
    return dh_pg_exec(c,
                      "INSERT INTO unit_contacts(unit, email) VALUES ($1, $2) "
                      "ON CONFLICT(unit) DO UPDATE SET email = excluded.email",
                      &p, NULL, "save contact", e);
}

static dh_status pg_load_contacts(dh_conn *c, dh_contact_cb cb, void *closure, dh_err *e)
{
    PGresult *res;
    dh_status s = dh_pg_exec(c, "SELECT unit, email FROM unit_contacts ORDER BY unit COLLATE \"C\"",
                             NULL, &res, "read contacts", e);
    if (s)
        return s;
    PG_ROWS(res, i)
    if (cb(closure, dh_pg_col_text(res, i, 0), dh_pg_col_text(res, i, 1)))
        break;
    PQclear(res);
    return DH_OK;
}

const dh_plans_ops dh_postgres_plans_ops = {
    .put_file = pg_put_file,
    .get_file = pg_get_file,
    .put_plan = pg_put_plan,
    .load_plans = pg_load_plans,
    .put_task = pg_put_task,
    .load_tasks = pg_load_tasks,
    .insert_task_update = pg_insert_task_update,
    .load_task_updates = pg_load_task_updates,
    .insert_inbox = pg_insert_inbox,
    .list_inbox = pg_list_inbox,
    .put_contact = pg_put_contact,
    .load_contacts = pg_load_contacts,
};
