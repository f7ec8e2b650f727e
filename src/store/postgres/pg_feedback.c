/* pg_feedback.c - the PostgreSQL backend of store/feedback.h: feedback
 * categories, routing rules, records, their events and attachments, and the
 * per-unit counts of the KPIs. A port of sqlite/sq_feedback.c, operation by
 * operation. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/fbagg_sql.h"
#include "store/feedback.h"
#include "store/postgres/pg.h"

/* Runs a query and hands each row to `row`, which calls the user's
 * callback; stops when it returns non-zero. */
static dh_status rows(dh_conn *c, const char *sql, const dh_pg_params *p,
                      int (*row)(const PGresult *, int, void *, void *), void *cb, void *closure,
                      const char *what, dh_err *e)
{
    PGresult *res;
    dh_status s = dh_pg_exec(c, sql, p, &res, what, e);
    if (s)
        return s;
    int n = PQntuples(res);
    for (int i = 0; i < n; i++)
        if (row(res, i, cb, closure))
            break;
    PQclear(res);
    return DH_OK;
}

static const char *nz(const char *s) { return s ? s : ""; }

static dh_status pg_put_category(dh_conn *c, const dh_fb_category_row *r, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, r->code);
    dh_pg_text(&p, r->name);
    dh_pg_text(&p, nz(r->description));
    dh_pg_text(&p, nz(r->grp));
    dh_pg_text(&p, nz(r->keywords));
    dh_pg_int(&p, r->accept_days);
    dh_pg_int(&p, r->answer_days);
    dh_pg_text(&p, r->limits_source ? r->limits_source : "default");
    dh_pg_bool(&p, r->active);
    return dh_pg_exec(
        c,
        "INSERT INTO fb_categories(code, name, description, grp, keywords, accept_days, "
        "answer_days, limits_source, active) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON "
        "CONFLICT (code) DO UPDATE SET name = excluded.name, description = excluded.description, "
        "grp = excluded.grp, keywords = excluded.keywords, accept_days = excluded.accept_days, "
        "answer_days = excluded.answer_days, limits_source = excluded.limits_source, active = "
        "excluded.active",
        &p, NULL, "save feedback category", e);
}

static int category_row(const PGresult *res, int i, void *cb, void *closure)
{
    dh_fb_category_row r = {dh_pg_col_text(res, i, 0),      dh_pg_col_text(res, i, 1),
                            dh_pg_col_text(res, i, 2),      dh_pg_col_text(res, i, 3),
                            dh_pg_col_text(res, i, 4),      (int)dh_pg_col_int(res, i, 5),
                            (int)dh_pg_col_int(res, i, 6),  dh_pg_col_text(res, i, 7),
                            dh_pg_col_bool(res, i, 8)};
    return ((dh_fb_category_cb)cb)(closure, &r);
}

static dh_status pg_list_categories(dh_conn *c, const char *code, dh_fb_category_cb cb,
                                    void *closure, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, code);
    return rows(c,
                "SELECT code, name, description, grp, keywords, accept_days, answer_days, "
                "limits_source, active FROM fb_categories WHERE $1::text IS NULL OR code = $1 "
                "ORDER BY code",
                &p, category_row, (void *)cb, closure, "read feedback categories", e);
}

static dh_status pg_put_route(dh_conn *c, const dh_fb_route_row *r, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, nz(r->category));
    dh_pg_text(&p, nz(r->commune));
    dh_pg_text(&p, r->unit);
    return dh_pg_exec(c,
                      "INSERT INTO fb_routes(category, commune, unit) VALUES ($1, $2, $3) ON "
                      "CONFLICT (category, commune) DO UPDATE SET unit = excluded.unit",
                      &p, NULL, "save feedback route", e);
}

static int route_row(const PGresult *res, int i, void *cb, void *closure)
{
    dh_fb_route_row r = {dh_pg_col_text(res, i, 0), dh_pg_col_text(res, i, 1),
                         dh_pg_col_text(res, i, 2)};
    return ((dh_fb_route_cb)cb)(closure, &r);
}

static dh_status pg_list_routes(dh_conn *c, dh_fb_route_cb cb, void *closure, dh_err *e)
{
    return rows(c, "SELECT category, commune, unit FROM fb_routes ORDER BY category, commune",
                NULL, route_row, (void *)cb, closure, "read feedback routes", e);
}

static dh_status pg_save_row(dh_conn *c, const dh_fb_record_row *r, int64_t *id, dh_err *e);

/* The row and the aggregates (store/fbagg.c). */
static dh_status pg_save_record(dh_conn *c, const dh_fb_record_row *r, int64_t *id, dh_err *e)
{
    return dh_fb_agg_save(c, r, id, pg_save_row, e);
}

static dh_status pg_save_row(dh_conn *c, const dh_fb_record_row *r, int64_t *id, dh_err *e)
{
    /* $1-$23: what both statements write; the update adds the id and media_url ($24, $25),
     * the insert the code, the receipt, the contact and media_url ($24-$29). */
    dh_pg_params p = {0};
    dh_pg_text(&p, r->channel);
    dh_pg_text(&p, r->category);
    dh_pg_text(&p, r->description);
    if (r->has_location) {
        dh_pg_real(&p, r->lat);
        dh_pg_real(&p, r->lon);
    } else {
        dh_pg_null(&p);
        dh_pg_null(&p);
    }
    dh_pg_text(&p, nz(r->address));
    dh_pg_text(&p, nz(r->commune));
    dh_pg_text(&p, r->unit);
    dh_pg_text(&p, r->state);
    dh_pg_time(&p, r->accepted_at);
    dh_pg_time(&p, r->answered_at);
    dh_pg_time(&p, r->closed_at);
    dh_pg_int(&p, (int64_t)r->updated_at);
    dh_pg_time(&p, r->due_at);
    dh_pg_time(&p, r->answer_due);
    dh_pg_text(&p, nz(r->outcome));
    dh_pg_int(&p, r->answer_minutes);
    dh_pg_text(&p, nz(r->answer));
    dh_pg_text(&p, nz(r->reason));
    dh_pg_int(&p, r->rating);
    dh_pg_text(&p, nz(r->submitted_by));
    dh_pg_text(&p, nz(r->client_addr));
    dh_pg_int(&p, r->nevents);
    if (r->id) {
        dh_pg_int(&p, r->id);
        dh_pg_text(&p, nz(r->media_url));
        int64_t got = 0;
        dh_status s = dh_pg_exec_id(
            c,
            "UPDATE fb_records SET channel = $1, category = $2, description = $3, lat = $4, lon "
            "= $5, address = $6, commune = $7, unit = $8, state = $9, accepted_at = $10, "
            "answered_at = $11, closed_at = $12, updated_at = $13, due_at = $14, answer_due = "
            "$15, outcome = $16, answer_minutes = $17, answer = $18, reason = $19, rating = $20, "
            "submitted_by = $21, client_addr = $22, nevents = $23, media_url = $25 WHERE id = $24 "
            "RETURNING id",
            &p, &got, "save feedback record", e);
        if (s == DH_OK && got == 0)
            s = dh_err_set(e, DH_E_NOTFOUND, "not_found", NULL,
                           "feedback record %lld does not exist", (long long)r->id);
        if (s == DH_OK && id)
            *id = r->id;
        return s;
    }
    dh_pg_text(&p, r->code);
    dh_pg_int(&p, (int64_t)r->received_at);
    dh_pg_text(&p, nz(r->contact_name));
    dh_pg_text(&p, nz(r->contact_email));
    dh_pg_text(&p, nz(r->contact_phone));
    dh_pg_text(&p, nz(r->media_url));
    int64_t got = 0;
    dh_status s = dh_pg_exec_id(
        c,
        "INSERT INTO fb_records(channel, category, description, lat, lon, address, commune, "
        "unit, state, accepted_at, answered_at, closed_at, updated_at, due_at, answer_due, "
        "outcome, answer_minutes, answer, reason, rating, submitted_by, client_addr, nevents, "
        "code, received_at, contact_name, contact_email, contact_phone, media_url) VALUES ($1, "
        "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, "
        "$21, $22, $23, $24, $25, $26, $27, $28, $29) RETURNING id",
        &p, &got, "save feedback record", e);
    if (s == DH_OK && id)
        *id = got;
    return s;
}

static int record_row(const PGresult *res, int i, void *cb, void *closure)
{
    dh_fb_record_row r = {0};
    r.id = dh_pg_col_int(res, i, 0);
    r.code = dh_pg_col_text(res, i, 1);
    r.channel = dh_pg_col_text(res, i, 2);
    r.category = dh_pg_col_text(res, i, 3);
    r.description = dh_pg_col_text(res, i, 4);
    r.has_location = !dh_pg_is_null(res, i, 5);
    r.lat = dh_pg_col_real(res, i, 5);
    r.lon = dh_pg_col_real(res, i, 6);
    r.address = dh_pg_col_text(res, i, 7);
    r.commune = dh_pg_col_text(res, i, 8);
    r.unit = dh_pg_col_text(res, i, 9);
    r.state = dh_pg_col_text(res, i, 10);
    r.received_at = dh_pg_col_time(res, i, 11);
    r.accepted_at = dh_pg_col_time(res, i, 12);
    r.answered_at = dh_pg_col_time(res, i, 13);
    r.closed_at = dh_pg_col_time(res, i, 14);
    r.updated_at = dh_pg_col_time(res, i, 15);
    r.due_at = dh_pg_col_time(res, i, 16);
    r.answer_due = dh_pg_col_time(res, i, 17);
    r.outcome = dh_pg_col_text(res, i, 18);
    r.answer_minutes = dh_pg_col_int(res, i, 19);
    r.answer = dh_pg_col_text(res, i, 20);
    r.reason = dh_pg_col_text(res, i, 21);
    r.contact_name = dh_pg_col_text(res, i, 22);
    r.contact_email = dh_pg_col_text(res, i, 23);
    r.contact_phone = dh_pg_col_text(res, i, 24);
    r.rating = (int)dh_pg_col_int(res, i, 25);
    r.submitted_by = dh_pg_col_text(res, i, 26);
    r.client_addr = dh_pg_col_text(res, i, 27);
    r.nevents = dh_pg_col_int(res, i, 28);
    r.media_url = dh_pg_col_text(res, i, 29);
    return ((dh_fb_record_cb)cb)(closure, &r);
}

#define RECORD_SELECT                                                                             \
    "SELECT id, code, channel, category, description, lat, lon, address, commune, unit, state, " \
    "received_at, accepted_at, answered_at, closed_at, updated_at, due_at, answer_due, "         \
    "outcome, answer_minutes, answer, reason, contact_name, contact_email, contact_phone, "      \
    "rating, submitted_by, client_addr, nevents, media_url FROM fb_records WHERE ($1::bigint = " \
    "0 OR id = $1) AND ($12::text IS NULL OR state = $12) AND ($13::bigint IS NULL OR "        \
    "answered_at < $13) AND ($2::text IS NULL OR code = $2) AND ($3::text IS NULL OR category = $3) AND "       \
    "($4::text IS NULL OR unit = $4) AND ($5::text IS NULL OR commune = $5) AND ($6::text IS "   \
    "NULL OR client_addr = $6) AND ($7::integer = 0 OR ($7 = 1) = (state IN ('received', "       \
    "'accepted', 'in_progress', 'needs_info'))) AND ($8::integer = 0 OR answered_at IS NOT "     \
    "NULL) AND ($9::bigint IS NULL OR received_at >= $9) AND ($10::bigint IS NULL OR "           \
    "received_at < $10) "

static dh_status pg_list_records(dh_conn *c, const dh_fb_filter *f, dh_fb_record_cb cb,
                                 void *closure, dh_err *e)
{
    static const char *const sql[3] = {
        RECORD_SELECT "ORDER BY received_at DESC, id DESC LIMIT $11",
        RECORD_SELECT "ORDER BY due_at IS NULL, due_at, id LIMIT $11",
        RECORD_SELECT "ORDER BY answered_at DESC NULLS LAST, id DESC LIMIT $11"};
    int o = f->order >= 0 && f->order < 3 ? f->order : 0;
    dh_pg_params p = {0};
    dh_pg_int(&p, f->id);
    dh_pg_text(&p, f->code);
    dh_pg_text(&p, f->category);
    dh_pg_text(&p, f->unit);
    dh_pg_text(&p, f->commune);
    dh_pg_text(&p, f->client_addr);
    dh_pg_int(&p, f->open);
    dh_pg_int(&p, f->answered_only ? 1 : 0);
    dh_pg_time(&p, f->from);
    dh_pg_time(&p, f->to);
    if (f->limit > 0)
        dh_pg_int(&p, f->limit);
    else
        dh_pg_null(&p); /* LIMIT NULL: no limit */
    dh_pg_text(&p, f->state);
    dh_pg_time(&p, f->answered_before);
    return rows(c, sql[o], &p, record_row, (void *)cb, closure, "read feedback records", e);
}

static dh_status pg_add_event(dh_conn *c, const dh_fb_event_row *r, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, r->record_id);
    dh_pg_int(&p, r->seq);
    dh_pg_text(&p, r->type);
    dh_pg_int(&p, (int64_t)r->at);
    dh_pg_text(&p, nz(r->actor));
    dh_pg_text(&p, nz(r->unit));
    dh_pg_text(&p, nz(r->note));
    dh_pg_int(&p, r->rating);
    return dh_pg_exec(c,
                      "INSERT INTO fb_events(record_id, seq, type, at, actor, unit, note, "
                      "rating) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                      &p, NULL, "save feedback event", e);
}

static int event_row(const PGresult *res, int i, void *cb, void *closure)
{
    dh_fb_event_row r = {dh_pg_col_int(res, i, 0),  dh_pg_col_int(res, i, 1),
                         dh_pg_col_text(res, i, 2), dh_pg_col_time(res, i, 3),
                         dh_pg_col_text(res, i, 4), dh_pg_col_text(res, i, 5),
                         dh_pg_col_text(res, i, 6), (int)dh_pg_col_int(res, i, 7)};
    return ((dh_fb_event_cb)cb)(closure, &r);
}

static dh_status pg_list_events(dh_conn *c, int64_t record_id, dh_fb_event_cb cb, void *closure,
                                dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, record_id);
    return rows(c,
                "SELECT record_id, seq, type, at, actor, unit, note, rating FROM fb_events "
                "WHERE record_id = $1 ORDER BY seq",
                &p, event_row, (void *)cb, closure, "read feedback events", e);
}

static dh_status pg_put_attachment(dh_conn *c, const dh_fb_attachment_row *r, dh_err *e)
{
    if (r->size > DH_FB_ATTACH_MAX)
        return dh_err_set(e, DH_E_TOOLARGE, "too_large", "attachment",
                          "an attachment is at most %d bytes; this one has %zu",
                          DH_FB_ATTACH_MAX, r->size);
    dh_pg_params p = {0};
    dh_pg_int(&p, r->record_id);
    dh_pg_text(&p, r->sha256);
    dh_pg_text(&p, r->mime);
    dh_pg_text(&p, nz(r->name));
    dh_pg_int(&p, (int64_t)r->size);
    dh_pg_bytes(&p, r->data ? r->data : "", r->size);
    return dh_pg_exec(c,
                      "INSERT INTO fb_attachments(record_id, sha256, mime, name, size, data) "
                      "VALUES ($1, $2, $3, $4, $5, $6)",
                      &p, NULL, "save feedback attachment", e);
}

static int attachment_row(const PGresult *res, int i, void *cb, void *closure)
{
    size_t n = 0;
    void *data = dh_pg_col_bytes(res, i, 4, &n);
    dh_fb_attachment_row r = {dh_pg_col_int(res, i, 0),  dh_pg_col_text(res, i, 1),
                              dh_pg_col_text(res, i, 2), dh_pg_col_text(res, i, 3), data, n};
    int rc = ((dh_fb_attachment_cb)cb)(closure, &r);
    free(data);
    return rc;
}

static dh_status pg_list_attachments(dh_conn *c, int64_t record_id, dh_fb_attachment_cb cb,
                                     void *closure, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, record_id);
    return rows(c,
                "SELECT record_id, sha256, mime, name, data FROM fb_attachments WHERE "
                "record_id = $1 ORDER BY sha256",
                &p, attachment_row, (void *)cb, closure, "read feedback attachments", e);
}

static int stats_row(const PGresult *res, int i, void *cb, void *closure)
{
    dh_fb_stats_row r = {dh_pg_col_text(res, i, 0), dh_pg_col_int(res, i, 1),
                         dh_pg_col_int(res, i, 2),  dh_pg_col_int(res, i, 3),
                         dh_pg_col_int(res, i, 4),  dh_pg_col_int(res, i, 5),
                         dh_pg_col_int(res, i, 6),  dh_pg_col_int(res, i, 7),
                         dh_pg_col_int(res, i, 8),  dh_pg_col_int(res, i, 9),
                         PQnfields(res) > 10 ? dh_pg_col_text(res, i, 10) : NULL};
    return ((dh_fb_stats_cb)cb)(closure, &r);
}

/* The figures of dh_fb_stats_row grouped by `by` (after unit). */
#define PG_STATS_SQL(sel, by)                                                                    \
    "WITH r AS (SELECT unit, category, received_at >= $1 AND received_at < $2 AS rec, "          \
    "coalesce(answered_at >= $1 AND answered_at < $2, false) AS ans, outcome, "                  \
    "answer_minutes, rating, state IN ('received', 'accepted', 'in_progress', 'needs_info') "    \
    "AND received_at <= $3 AS open, due_at FROM fb_records WHERE (received_at >= $1 AND "        \
    "received_at < $2) OR (answered_at >= $1 AND answered_at < $2) OR state IN ('received', "    \
    "'accepted', 'in_progress', 'needs_info')) SELECT unit, count(*) FILTER (WHERE rec), "       \
    "count(*) FILTER (WHERE ans), count(*) FILTER (WHERE ans AND outcome = 'on_time'), "         \
    "count(*) FILTER (WHERE ans AND outcome = 'late'), coalesce(sum(answer_minutes) FILTER "     \
    "(WHERE ans), 0), count(*) FILTER (WHERE ans AND rating > 0), count(*) FILTER (WHERE ans "   \
    "AND rating >= 4), count(*) FILTER (WHERE open AND (due_at IS NULL OR due_at >= $3)), "      \
    "count(*) FILTER (WHERE open AND due_at < $3)" sel " FROM r GROUP BY unit" by                \
    " ORDER BY unit" by

static dh_status stats_query(dh_conn *c, const char *sql, time_t from, time_t to, time_t at,
                             dh_fb_stats_cb cb, void *closure, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, (int64_t)from);
    dh_pg_int(&p, (int64_t)to);
    dh_pg_int(&p, (int64_t)at);
    return rows(c, sql, &p, stats_row, (void *)cb, closure, "count feedback", e);
}

static dh_status pg_stats(dh_conn *c, time_t from, time_t to, time_t at, dh_fb_stats_cb cb,
                          void *closure, dh_err *e)
{
    return stats_query(c, PG_STATS_SQL("", ""), from, to, at, cb, closure, e);
}

static dh_status pg_stats_by_category(dh_conn *c, time_t from, time_t to, time_t at,
                                      dh_fb_stats_cb cb, void *closure, dh_err *e)
{
    return stats_query(c, PG_STATS_SQL(", category", ", category"), from, to, at, cb, closure,
                       e);
}

static dh_status pg_put_reminder(dh_conn *c, const dh_fb_reminder_row *r, bool *inserted,
                                 dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, r->unit);
    dh_pg_date(&p, r->day);
    dh_pg_text(&p, r->kind);
    dh_pg_int(&p, r->record_id);
    dh_pg_text(&p, r->message);
    dh_pg_int(&p, (int64_t)r->created_at);
    PGresult *res;
    dh_status s = dh_pg_exec(c,
                             "INSERT INTO fb_reminders(unit, day, kind, record_id, message, "
                             "created_at) VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING",
                             &p, &res, "save feedback reminder", e);
    if (s)
        return s;
    *inserted = atoll(PQcmdTuples(res)) > 0;
    PQclear(res);
    return DH_OK;
}

static int reminder_row(const PGresult *res, int i, void *cb, void *closure)
{
    dh_fb_reminder_row r = {dh_pg_col_int(res, i, 0),  dh_pg_col_text(res, i, 1),
                            dh_pg_col_date(res, i, 2), dh_pg_col_text(res, i, 3),
                            dh_pg_col_int(res, i, 4),  dh_pg_col_text(res, i, 5),
                            dh_pg_col_time(res, i, 6), dh_pg_col_text(res, i, 7),
                            dh_pg_col_time(res, i, 8), dh_pg_col_text(res, i, 9)};
    return ((dh_fb_reminder_cb)cb)(closure, &r);
}

static dh_status pg_list_reminders(dh_conn *c, const char *unit, int64_t before_id, int limit,
                                   dh_fb_reminder_cb cb, void *closure, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, unit);
    dh_pg_int(&p, before_id ? before_id : INT64_MAX);
    if (limit > 0)
        dh_pg_int(&p, limit);
    else
        dh_pg_null(&p);
    return rows(c,
                "SELECT m.id, m.unit, m.day, m.kind, m.record_id, m.message, m.created_at, r.code, "
                "r.due_at, r.state "
                "FROM fb_reminders m JOIN fb_records r ON r.id = m.record_id WHERE ($1::text IS "
                "NULL OR m.unit = $1) AND m.id < $2 ORDER BY m.id DESC LIMIT $3",
                &p, reminder_row, (void *)cb, closure, "read feedback reminders", e);
}

static dh_status pg_agg_add(dh_conn *c, const char *unit, dh_date day, const dh_fbcell *d,
                            int64_t rev, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, unit);
    dh_pg_int(&p, day);
    for (int i = 0; i < DH_FBC_N; i++)
        dh_pg_int(&p, d->n[fb_cell_order[i]]);
    dh_pg_int(&p, rev);
    return dh_pg_exec(
        c,
        "INSERT INTO fb_agg AS a(unit, day, received, answered, on_time, late, rated, satisfied, "
        "minutes, open, due, rev) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON "
        "CONFLICT (day, unit) DO UPDATE SET received = a.received + excluded.received, answered "
        "= a.answered + excluded.answered, on_time = a.on_time + excluded.on_time, late = a.late "
        "+ excluded.late, rated = a.rated + excluded.rated, satisfied = a.satisfied + "
        "excluded.satisfied, minutes = a.minutes + excluded.minutes, open = a.open + "
        "excluded.open, due = a.due + excluded.due, rev = excluded.rev",
        &p, NULL, "count feedback", e);
}

static dh_status pg_agg_rebuild(dh_conn *c, dh_err *e)
{
    dh_status s = dh_pg_command(c, "DELETE FROM fb_agg", "recount feedback", e);
    return s ? s : dh_pg_command(c, DH_FB_AGG_REBUILD_SQL, "recount feedback", e);
}

static int agg_cell_row(const PGresult *res, int i, void *cb, void *closure)
{
    dh_fbcell cell;
    for (int k = 0; k < DH_FBC_N; k++)
        cell.n[fb_cell_order[k]] = dh_pg_col_int(res, i, 2 + k);
    return ((dh_fb_cell_cb)cb)(closure, dh_pg_col_text(res, i, 0),
                               (dh_date)dh_pg_col_int(res, i, 1), &cell,
                               dh_pg_col_int(res, i, 11));
}

static dh_status pg_agg_cells(dh_conn *c, int64_t after_rev, dh_fb_cell_cb cb, void *closure,
                              dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, after_rev);
    return rows(c,
                "SELECT unit, day, received, answered, on_time, late, rated, satisfied, minutes, "
                "open, due, rev FROM fb_agg WHERE rev > $1",
                &p, agg_cell_row, (void *)cb, closure, "read feedback aggregates", e);
}

static int count_row(const PGresult *res, int i, void *cb, void *closure)
{
    return ((dh_fb_count_cb)cb)(closure, dh_pg_col_text(res, i, 0), dh_pg_col_int(res, i, 1));
}

static dh_status pg_count_open_due(dh_conn *c, time_t from, time_t to, dh_fb_count_cb cb,
                                   void *closure, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, (int64_t)from);
    dh_pg_int(&p, (int64_t)to);
    return rows(c,
                "SELECT unit, count(*) FROM fb_records WHERE state IN ('received', 'accepted', "
                "'in_progress', 'needs_info') AND due_at >= $1 AND due_at < $2 GROUP BY unit",
                &p, count_row, (void *)cb, closure, "count feedback", e);
}

const dh_feedback_ops dh_postgres_feedback_ops = {
    .put_category = pg_put_category,
    .list_categories = pg_list_categories,
    .put_route = pg_put_route,
    .list_routes = pg_list_routes,
    .save_record = pg_save_record,
    .list_records = pg_list_records,
    .add_event = pg_add_event,
    .list_events = pg_list_events,
    .put_attachment = pg_put_attachment,
    .list_attachments = pg_list_attachments,
    .stats = pg_stats,
    .stats_by_category = pg_stats_by_category,
    .put_reminder = pg_put_reminder,
    .list_reminders = pg_list_reminders,
    .agg_add = pg_agg_add,
    .agg_rebuild = pg_agg_rebuild,
    .agg_cells = pg_agg_cells,
    .count_open_due = pg_count_open_due,
};
