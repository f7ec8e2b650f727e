/* sq_feedback.c - the SQLite backend of store/feedback.h: feedback
 * categories, routing rules, records, their events and attachments, and the
 * per-unit counts of the KPIs. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/fbagg_sql.h"
#include "store/feedback.h"
#include "store/sqlite/sq.h"

/* Steps st to its end, handing each row to `row`, which calls the user's
 * callback; stops when it returns non-zero. */
static dh_status rows(dh_conn *c, sqlite3_stmt *st, int (*row)(sqlite3_stmt *, void *, void *),
                      void *cb, void *closure, const char *what, dh_err *e)
{
    int rc;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW)
        if (row(st, cb, closure))
            break;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, what);
}

static const char *nz(const char *s) { return s ? s : ""; }

static dh_status sq_put_category(dh_conn *c, const dh_fb_category_row *r, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(
        c,
        "INSERT INTO fb_categories(code, name, description, grp, keywords, accept_days, "
        "answer_days, limits_source, active) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(code) DO "
        "UPDATE SET name = excluded.name, description = excluded.description, grp = "
        "excluded.grp, keywords = excluded.keywords, accept_days = excluded.accept_days, "
        "answer_days = excluded.answer_days, limits_source = excluded.limits_source, active = "
        "excluded.active",
        e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, r->code);
    dh_sq_bind_text(st, 2, r->name);
    dh_sq_bind_text(st, 3, nz(r->description));
    dh_sq_bind_text(st, 4, nz(r->grp));
    dh_sq_bind_text(st, 5, nz(r->keywords));
    sqlite3_bind_int(st, 6, r->accept_days);
    sqlite3_bind_int(st, 7, r->answer_days);
    dh_sq_bind_text(st, 8, r->limits_source ? r->limits_source : "default");
    sqlite3_bind_int(st, 9, r->active ? 1 : 0);
    return dh_sq_run(c, st, "save feedback category", e);
}

static int category_row(sqlite3_stmt *st, void *cb, void *closure)
{
    dh_fb_category_row r = {dh_sq_col_text(st, 0),       dh_sq_col_text(st, 1),
                            dh_sq_col_text(st, 2),       dh_sq_col_text(st, 3),
                            dh_sq_col_text(st, 4),       sqlite3_column_int(st, 5),
                            sqlite3_column_int(st, 6),   dh_sq_col_text(st, 7),
                            sqlite3_column_int(st, 8) != 0};
    return ((dh_fb_category_cb)cb)(closure, &r);
}

static dh_status sq_list_categories(dh_conn *c, const char *code, dh_fb_category_cb cb,
                                    void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "SELECT code, name, description, grp, keywords, accept_days, "
                                  "answer_days, limits_source, active FROM fb_categories WHERE "
                                  "?1 IS NULL OR code = ?1 ORDER BY code",
                                  e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, code);
    return rows(c, st, category_row, (void *)cb, closure, "read feedback categories", e);
}

static dh_status sq_put_route(dh_conn *c, const dh_fb_route_row *r, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "INSERT INTO fb_routes(category, commune, unit) VALUES (?,?,?) "
                                  "ON CONFLICT(category, commune) DO UPDATE SET unit = "
                                  "excluded.unit",
                                  e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, nz(r->category));
    dh_sq_bind_text(st, 2, nz(r->commune));
    dh_sq_bind_text(st, 3, r->unit);
    return dh_sq_run(c, st, "save feedback route", e);
}

static int route_row(sqlite3_stmt *st, void *cb, void *closure)
{
    dh_fb_route_row r = {dh_sq_col_text(st, 0), dh_sq_col_text(st, 1), dh_sq_col_text(st, 2)};
    return ((dh_fb_route_cb)cb)(closure, &r);
}

static dh_status sq_list_routes(dh_conn *c, dh_fb_route_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(
        c, "SELECT category, commune, unit FROM fb_routes ORDER BY category, commune", e);
    if (!st)
        return DH_E_DB;
    return rows(c, st, route_row, (void *)cb, closure, "read feedback routes", e);
}

static dh_status sq_save_row(dh_conn *c, const dh_fb_record_row *r, int64_t *id, dh_err *e);

/* The row and the aggregates (store/fbagg.c). */
static dh_status sq_save_record(dh_conn *c, const dh_fb_record_row *r, int64_t *id, dh_err *e)
{
    return dh_fb_agg_save(c, r, id, sq_save_row, e);
}

static dh_status sq_save_row(dh_conn *c, const dh_fb_record_row *r, int64_t *id, dh_err *e)
{
    /* Both statements take the same numbered parameters; the update leaves
     * out code (?2), received_at (?12) and the contact (?23-?25). */
    sqlite3_stmt *st;
    if (r->id)
        st = dh_sq_stmt(
            c,
            "UPDATE fb_records SET channel = ?3, category = ?4, description = ?5, lat = ?6, lon "
            "= ?7, address = ?8, commune = ?9, unit = ?10, state = ?11, accepted_at = ?13, "
            "answered_at = ?14, closed_at = ?15, updated_at = ?16, due_at = ?17, answer_due = "
            "?18, outcome = ?19, answer_minutes = ?20, answer = ?21, reason = ?22, rating = ?26, "
            "submitted_by = ?27, client_addr = ?28, nevents = ?29, media_url = ?30 WHERE id = ?1",
            e);
    else
        st = dh_sq_stmt(
            c,
            "INSERT INTO fb_records(code, channel, category, description, lat, lon, address, "
            "commune, unit, state, received_at, accepted_at, answered_at, closed_at, updated_at, "
            "due_at, answer_due, outcome, answer_minutes, answer, reason, contact_name, "
            "contact_email, contact_phone, rating, submitted_by, client_addr, nevents, media_url) "
            "VALUES (?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,"
            "?23,?24,?25,?26,?27,?28,?29,?30)",
            e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_id(st, 1, r->id);
    dh_sq_bind_text(st, 2, r->code);
    dh_sq_bind_text(st, 3, r->channel);
    dh_sq_bind_text(st, 4, r->category);
    dh_sq_bind_text(st, 5, r->description);
    if (r->has_location) {
        sqlite3_bind_double(st, 6, r->lat);
        sqlite3_bind_double(st, 7, r->lon);
    } else {
        sqlite3_bind_null(st, 6);
        sqlite3_bind_null(st, 7);
    }
    dh_sq_bind_text(st, 8, nz(r->address));
    dh_sq_bind_text(st, 9, nz(r->commune));
    dh_sq_bind_text(st, 10, r->unit);
    dh_sq_bind_text(st, 11, r->state);
    sqlite3_bind_int64(st, 12, (sqlite3_int64)r->received_at);
    dh_sq_bind_time(st, 13, r->accepted_at);
    dh_sq_bind_time(st, 14, r->answered_at);
    dh_sq_bind_time(st, 15, r->closed_at);
    sqlite3_bind_int64(st, 16, (sqlite3_int64)r->updated_at);
    dh_sq_bind_time(st, 17, r->due_at);
    dh_sq_bind_time(st, 18, r->answer_due);
    dh_sq_bind_text(st, 19, nz(r->outcome));
    sqlite3_bind_int64(st, 20, r->answer_minutes);
    dh_sq_bind_text(st, 21, nz(r->answer));
    dh_sq_bind_text(st, 22, nz(r->reason));
    dh_sq_bind_text(st, 23, nz(r->contact_name));
    dh_sq_bind_text(st, 24, nz(r->contact_email));
    dh_sq_bind_text(st, 25, nz(r->contact_phone));
    sqlite3_bind_int(st, 26, r->rating);
    dh_sq_bind_text(st, 27, nz(r->submitted_by));
    dh_sq_bind_text(st, 28, nz(r->client_addr));
    sqlite3_bind_int64(st, 29, r->nevents);
    dh_sq_bind_text(st, 30, nz(r->media_url));
    dh_status s = dh_sq_run_save(c, st, "save feedback record", r->id, id, e);
    if (s == DH_OK && r->id && sqlite3_changes(c->db) == 0)
        s = dh_err_set(e, DH_E_NOTFOUND, "not_found", NULL, "feedback record %lld does not exist",
                       (long long)r->id);
    return s;
}

static int record_row(sqlite3_stmt *st, void *cb, void *closure)
{
    dh_fb_record_row r = {0};
    r.id = sqlite3_column_int64(st, 0);
    r.code = dh_sq_col_text(st, 1);
    r.channel = dh_sq_col_text(st, 2);
    r.category = dh_sq_col_text(st, 3);
    r.description = dh_sq_col_text(st, 4);
    r.has_location = sqlite3_column_type(st, 5) != SQLITE_NULL;
    r.lat = sqlite3_column_double(st, 5);
    r.lon = sqlite3_column_double(st, 6);
    r.address = dh_sq_col_text(st, 7);
    r.commune = dh_sq_col_text(st, 8);
    r.unit = dh_sq_col_text(st, 9);
    r.state = dh_sq_col_text(st, 10);
    r.received_at = dh_sq_col_time(st, 11);
    r.accepted_at = dh_sq_col_time(st, 12);
    r.answered_at = dh_sq_col_time(st, 13);
    r.closed_at = dh_sq_col_time(st, 14);
    r.updated_at = dh_sq_col_time(st, 15);
    r.due_at = dh_sq_col_time(st, 16);
    r.answer_due = dh_sq_col_time(st, 17);
    r.outcome = dh_sq_col_text(st, 18);
    r.answer_minutes = sqlite3_column_int64(st, 19);
    r.answer = dh_sq_col_text(st, 20);
    r.reason = dh_sq_col_text(st, 21);
    r.contact_name = dh_sq_col_text(st, 22);
    r.contact_email = dh_sq_col_text(st, 23);
    r.contact_phone = dh_sq_col_text(st, 24);
    r.rating = sqlite3_column_int(st, 25);
    r.submitted_by = dh_sq_col_text(st, 26);
    r.client_addr = dh_sq_col_text(st, 27);
    r.nevents = sqlite3_column_int64(st, 28);
    r.media_url = dh_sq_col_text(st, 29);
    return ((dh_fb_record_cb)cb)(closure, &r);
}

/* The filters as "?N IS NULL OR col = ?N" keep SQLite from the indexes (the
 * plan is made once for any value); a statement per key that an index
 * serves (id, code, unit) puts that equality first, where the planner sees
 * it. */
#define RECORD_SELECT(key)                                                                        \
    "SELECT id, code, channel, category, description, lat, lon, address, commune, unit, state, " \
    "received_at, accepted_at, answered_at, closed_at, updated_at, due_at, answer_due, "         \
    "outcome, answer_minutes, answer, reason, contact_name, contact_email, contact_phone, "      \
    "rating, submitted_by, client_addr, nevents, media_url FROM fb_records WHERE " key " (?1 = " \
    "0 OR id = ?1) AND (?12 IS NULL OR state = ?12) AND (?13 IS NULL OR answered_at < ?13) AND " \
    "(?2 IS NULL OR code = ?2) AND (?3 IS NULL OR category = ?3) AND (?4 IS NULL OR unit = ?4) " \
    "AND (?5 IS NULL OR commune = ?5) AND (?6 IS NULL OR client_addr = ?6) AND (?7 = 0 OR "      \
    "(?7 = 1) = (state IN ('received', 'accepted', 'in_progress', 'needs_info'))) AND (?8 = 0 "  \
    "OR answered_at IS NOT NULL) AND (?9 IS NULL OR received_at >= ?9) AND (?10 IS NULL OR "     \
    "received_at < ?10) "
#define RECORD_ORDERS(key)                                                                        \
    {RECORD_SELECT(key) "ORDER BY received_at DESC, id DESC LIMIT ?11",                          \
     RECORD_SELECT(key) "ORDER BY due_at IS NULL, due_at, id LIMIT ?11",                         \
     RECORD_SELECT(key) "ORDER BY answered_at DESC, id DESC LIMIT ?11"}

static dh_status sq_list_records(dh_conn *c, const dh_fb_filter *f, dh_fb_record_cb cb,
                                 void *closure, dh_err *e)
{
    static const char *const sql[5][3] = {
        RECORD_ORDERS(""), RECORD_ORDERS("id = ?1 AND"), RECORD_ORDERS("code = ?2 AND"),
        RECORD_ORDERS("unit = ?4 AND"),
        /* a unit's open records: the partial index fb_records_open_queue */
        RECORD_ORDERS("unit = ?4 AND state IN ('received', 'accepted', 'in_progress', "
                      "'needs_info') AND")};
    int k = f->id ? 1 : f->code ? 2 : f->unit && f->open == 1 ? 4 : f->unit ? 3 : 0;
    int o = f->order >= 0 && f->order < 3 ? f->order : 0;
    sqlite3_stmt *st = dh_sq_stmt(c, sql[k][o], e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, f->id);
    dh_sq_bind_text(st, 2, f->code);
    dh_sq_bind_text(st, 3, f->category);
    dh_sq_bind_text(st, 4, f->unit);
    dh_sq_bind_text(st, 5, f->commune);
    dh_sq_bind_text(st, 6, f->client_addr);
    sqlite3_bind_int(st, 7, f->open);
    sqlite3_bind_int(st, 8, f->answered_only ? 1 : 0);
    dh_sq_bind_time(st, 9, f->from);
    dh_sq_bind_time(st, 10, f->to);
    sqlite3_bind_int64(st, 11, f->limit > 0 ? f->limit : -1);
    dh_sq_bind_text(st, 12, f->state);
    dh_sq_bind_time(st, 13, f->answered_before);
    return rows(c, st, record_row, (void *)cb, closure, "read feedback records", e);
}

static dh_status sq_add_event(dh_conn *c, const dh_fb_event_row *r, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "INSERT INTO fb_events(record_id, seq, type, at, actor, unit, "
                                  "note, rating) VALUES (?,?,?,?,?,?,?,?)",
                                  e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, r->record_id);
    sqlite3_bind_int64(st, 2, r->seq);
    dh_sq_bind_text(st, 3, r->type);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)r->at);
    dh_sq_bind_text(st, 5, nz(r->actor));
    dh_sq_bind_text(st, 6, nz(r->unit));
    dh_sq_bind_text(st, 7, nz(r->note));
    sqlite3_bind_int(st, 8, r->rating);
    return dh_sq_run(c, st, "save feedback event", e);
}

static int event_row(sqlite3_stmt *st, void *cb, void *closure)
{
    dh_fb_event_row r = {sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                         dh_sq_col_text(st, 2),       dh_sq_col_time(st, 3),
                         dh_sq_col_text(st, 4),       dh_sq_col_text(st, 5),
                         dh_sq_col_text(st, 6),       sqlite3_column_int(st, 7)};
    return ((dh_fb_event_cb)cb)(closure, &r);
}

static dh_status sq_list_events(dh_conn *c, int64_t record_id, dh_fb_event_cb cb, void *closure,
                                dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "SELECT record_id, seq, type, at, actor, unit, note, rating "
                                  "FROM fb_events WHERE record_id = ? ORDER BY seq",
                                  e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, record_id);
    return rows(c, st, event_row, (void *)cb, closure, "read feedback events", e);
}

static dh_status sq_put_attachment(dh_conn *c, const dh_fb_attachment_row *r, dh_err *e)
{
    if (r->size > DH_FB_ATTACH_MAX)
        return dh_err_set(e, DH_E_TOOLARGE, "too_large", "attachment",
                          "an attachment is at most %d bytes; this one has %zu",
                          DH_FB_ATTACH_MAX, r->size);
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "INSERT INTO fb_attachments(record_id, sha256, mime, name, "
                                  "size, data) VALUES (?,?,?,?,?,?)",
                                  e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, r->record_id);
    dh_sq_bind_text(st, 2, r->sha256);
    dh_sq_bind_text(st, 3, r->mime);
    dh_sq_bind_text(st, 4, nz(r->name));
    sqlite3_bind_int64(st, 5, (sqlite3_int64)r->size);
    dh_sq_bound(st, sqlite3_bind_blob64(st, 6, r->data ? r->data : "", r->size, SQLITE_STATIC));
    return dh_sq_run(c, st, "save feedback attachment", e);
}

static int attachment_row(sqlite3_stmt *st, void *cb, void *closure)
{
    dh_fb_attachment_row r = {sqlite3_column_int64(st, 0), dh_sq_col_text(st, 1),
                              dh_sq_col_text(st, 2),       dh_sq_col_text(st, 3),
                              sqlite3_column_blob(st, 4),  (size_t)sqlite3_column_bytes(st, 4)};
    return ((dh_fb_attachment_cb)cb)(closure, &r);
}

static dh_status sq_list_attachments(dh_conn *c, int64_t record_id, dh_fb_attachment_cb cb,
                                     void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "SELECT record_id, sha256, mime, name, data FROM "
                                  "fb_attachments WHERE record_id = ? ORDER BY sha256",
                                  e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, record_id);
    return rows(c, st, attachment_row, (void *)cb, closure, "read feedback attachments", e);
}

static int stats_row(sqlite3_stmt *st, void *cb, void *closure)
{
    dh_fb_stats_row r = {dh_sq_col_text(st, 0),        sqlite3_column_int64(st, 1),
                         sqlite3_column_int64(st, 2),  sqlite3_column_int64(st, 3),
                         sqlite3_column_int64(st, 4),  sqlite3_column_int64(st, 5),
                         sqlite3_column_int64(st, 6),  sqlite3_column_int64(st, 7),
                         sqlite3_column_int64(st, 8),  sqlite3_column_int64(st, 9),
                         sqlite3_column_count(st) > 10 ? dh_sq_col_text(st, 10) : NULL};
    return ((dh_fb_stats_cb)cb)(closure, &r);
}

/* The figures of dh_fb_stats_row grouped by `by` (after unit). */
#define SQ_STATS_SQL(sel, by)                                                                    \
    "WITH r AS (SELECT unit, category, received_at >= ?1 AND received_at < ?2 AS rec, "          \
    "answered_at IS NOT NULL AND answered_at >= ?1 AND answered_at < ?2 AS ans, outcome, "       \
    "answer_minutes, rating, state IN ('received', 'accepted', 'in_progress', 'needs_info') "    \
    "AND received_at <= ?3 AS open, due_at FROM fb_records WHERE (received_at >= ?1 AND "        \
    "received_at < ?2) OR (answered_at >= ?1 AND answered_at < ?2) OR state IN ('received', "    \
    "'accepted', 'in_progress', 'needs_info')) SELECT unit, SUM(rec), SUM(ans), SUM(ans AND "    \
    "outcome = 'on_time'), SUM(ans AND outcome = 'late'), SUM(CASE WHEN ans THEN "               \
    "answer_minutes ELSE 0 END), SUM(ans AND rating > 0), SUM(ans AND rating >= 4), "            \
    "SUM(open AND (due_at IS NULL OR due_at >= ?3)), SUM(open AND due_at < ?3)" sel " FROM r "   \
    "GROUP BY unit" by " ORDER BY unit" by

static dh_status stats_query(dh_conn *c, const char *sql, time_t from, time_t to, time_t at,
                             dh_fb_stats_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c, sql, e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)from);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)to);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)at);
    return rows(c, st, stats_row, (void *)cb, closure, "count feedback", e);
}

static dh_status sq_stats(dh_conn *c, time_t from, time_t to, time_t at, dh_fb_stats_cb cb,
                          void *closure, dh_err *e)
{
    return stats_query(c, SQ_STATS_SQL("", ""), from, to, at, cb, closure, e);
}

static dh_status sq_stats_by_category(dh_conn *c, time_t from, time_t to, time_t at,
                                      dh_fb_stats_cb cb, void *closure, dh_err *e)
{
    return stats_query(c, SQ_STATS_SQL(", category", ", category"), from, to, at, cb, closure,
                       e);
}

static dh_status sq_put_reminder(dh_conn *c, const dh_fb_reminder_row *r, bool *inserted,
                                 dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "INSERT INTO fb_reminders(unit, day, kind, record_id, message, "
                                  "created_at) VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                                  e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, r->unit);
    dh_sq_bind_date(st, 2, r->day);
    dh_sq_bind_text(st, 3, r->kind);
    sqlite3_bind_int64(st, 4, r->record_id);
    dh_sq_bind_text(st, 5, r->message);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)r->created_at);
    dh_status s = dh_sq_run(c, st, "save feedback reminder", e);
    if (s == DH_OK)
        *inserted = sqlite3_changes(c->db) > 0;
    return s;
}

static int reminder_row(sqlite3_stmt *st, void *cb, void *closure)
{
    dh_fb_reminder_row r = {sqlite3_column_int64(st, 0), dh_sq_col_text(st, 1),
                            dh_sq_col_date(st, 2),       dh_sq_col_text(st, 3),
                            sqlite3_column_int64(st, 4), dh_sq_col_text(st, 5),
                            dh_sq_col_time(st, 6),       dh_sq_col_text(st, 7),
                            dh_sq_col_time(st, 8),       dh_sq_col_text(st, 9)};
    return ((dh_fb_reminder_cb)cb)(closure, &r);
}

static dh_status sq_list_reminders(dh_conn *c, const char *unit, int64_t before_id, int limit,
                                   dh_fb_reminder_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(
        c,
        "SELECT m.id, m.unit, m.day, m.kind, m.record_id, m.message, m.created_at, r.code, r.due_at, "
        "r.state FROM "
        "fb_reminders m JOIN fb_records r ON r.id = m.record_id WHERE (?1 IS NULL OR m.unit = "
        "?1) AND (?2 = 0 OR m.id < ?2) ORDER BY m.id DESC LIMIT ?3",
        e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, unit);
    sqlite3_bind_int64(st, 2, before_id);
    sqlite3_bind_int(st, 3, limit > 0 ? limit : -1);
    return rows(c, st, reminder_row, (void *)cb, closure, "read feedback reminders", e);
}

static dh_status sq_agg_add(dh_conn *c, const char *unit, dh_date day, const dh_fbcell *d,
                            int64_t rev, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(
        c,
        "INSERT INTO fb_agg(unit, day, received, answered, on_time, late, rated, satisfied, "
        "minutes, open, due, rev) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(day, unit) DO "
        "UPDATE SET received = received + excluded.received, answered = answered + "
        "excluded.answered, on_time = on_time + excluded.on_time, late = late + excluded.late, "
        "rated = rated + excluded.rated, satisfied = satisfied + excluded.satisfied, minutes = "
        "minutes + excluded.minutes, open = open + excluded.open, due = due + excluded.due, rev "
        "= excluded.rev",
        e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, unit);
    sqlite3_bind_int64(st, 2, day);
    for (int i = 0; i < DH_FBC_N; i++)
        sqlite3_bind_int64(st, 3 + i, d->n[fb_cell_order[i]]);
    sqlite3_bind_int64(st, 12, rev);
    return dh_sq_run(c, st, "count feedback", e);
}

static dh_status sq_agg_rebuild(dh_conn *c, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c, "DELETE FROM fb_agg", e);
    dh_status s = st ? dh_sq_run(c, st, "recount feedback", e) : DH_E_DB;
    if (s)
        return s;
    st = dh_sq_stmt(c, DH_FB_AGG_REBUILD_SQL, e);
    return st ? dh_sq_run(c, st, "recount feedback", e) : DH_E_DB;
}

static int agg_cell_row(sqlite3_stmt *st, void *cb, void *closure)
{
    dh_fbcell cell;
    for (int i = 0; i < DH_FBC_N; i++)
        cell.n[fb_cell_order[i]] = sqlite3_column_int64(st, 2 + i);
    return ((dh_fb_cell_cb)cb)(closure, dh_sq_col_text(st, 0), (dh_date)sqlite3_column_int64(st, 1),
                               &cell, sqlite3_column_int64(st, 11));
}

static dh_status sq_agg_cells(dh_conn *c, int64_t after_rev, dh_fb_cell_cb cb, void *closure,
                              dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "SELECT unit, day, received, answered, on_time, late, rated, "
                                  "satisfied, minutes, open, due, rev FROM fb_agg WHERE rev > ?",
                                  e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, after_rev);
    return rows(c, st, agg_cell_row, (void *)cb, closure, "read feedback aggregates", e);
}

static int count_row(sqlite3_stmt *st, void *cb, void *closure)
{
    return ((dh_fb_count_cb)cb)(closure, dh_sq_col_text(st, 0), sqlite3_column_int64(st, 1));
}

static dh_status sq_count_open_due(dh_conn *c, time_t from, time_t to, dh_fb_count_cb cb,
                                   void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "SELECT unit, count(*) FROM fb_records WHERE state IN "
                                  "('received', 'accepted', 'in_progress', 'needs_info') AND "
                                  "due_at >= ? AND due_at < ? GROUP BY unit",
                                  e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)from);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)to);
    return rows(c, st, count_row, (void *)cb, closure, "count feedback", e);
}

const dh_feedback_ops dh_sqlite_feedback_ops = {
    .put_category = sq_put_category,
    .list_categories = sq_list_categories,
    .put_route = sq_put_route,
    .list_routes = sq_list_routes,
    .save_record = sq_save_record,
    .list_records = sq_list_records,
    .add_event = sq_add_event,
    .list_events = sq_list_events,
    .put_attachment = sq_put_attachment,
    .list_attachments = sq_list_attachments,
    .stats = sq_stats,
    .stats_by_category = sq_stats_by_category,
    .put_reminder = sq_put_reminder,
    .list_reminders = sq_list_reminders,
    .agg_add = sq_agg_add,
    .agg_rebuild = sq_agg_rebuild,
    .agg_cells = sq_agg_cells,
    .count_open_due = sq_count_open_due,
};
