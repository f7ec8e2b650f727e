/* ep_audit.c - GET /api/v1/audit?entity=&unit=&since=&limit=&cursor=
 * (admins: everything; leaders: their own unit). There is no route that
 * changes or deletes audit entries. */
#include <stdio.h>
#include <string.h>

#include "http/http.h"

static void list_audit(dh_req *rq, dh_resp *rs)
{
    int limit;
    int64_t cursor, next;
    json_t *items;
    dh_err e;
    if (dh_req_limit(rq, rs, &limit) || dh_req_cursor(rq, rs, &cursor))
        return;
    dh_audit_filter f = {dh_req_query(rq, "entity"), dh_req_query(rq, "unit"), 0, cursor, limit};
    const char *since = dh_req_query(rq, "since");
    if (since && dh_time_parse(since, &f.since)) {
        dh_reply_error(rs, 422, "invalid_date", "since",
                       "since must be YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|+hh:mm]");
        return;
    }
    if (dh_app_audit_list(rq->app, &rq->actor, &f, rq->now, &items, &next, &e)) {
        dh_reply_err(rs, &e);
        return;
    }
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)next);
    dh_reply_list_steal(rs, items, next ? buf : NULL);
}

const dh_route dh_routes_audit[] = {
    {"GET", "/api/v1/audit", list_audit, 0},
    {0, 0, 0, 0},
};
