/* ep_health.c - GET /api/v1/health: liveness and database reachability,
 * without sign-in (for load balancers and the IOC's monitors). */
#include "http/http.h"
#include "version.h"

static void get_health(dh_req *rq, dh_resp *rs)
{
    dh_err e;
    const char *db = "ok";
    dh_conn *c = dh_store_acquire(dh_app_store(rq->app), &e);
    int v = 0;
    if (!c || dh_conn_ops(c)->schema_version(c, &v, &e) != DH_OK)
        db = "error";
    dh_store_release(c);
    dh_reply_json_steal(rs, *db == 'o' ? 200 : 503,
                        json_pack("{s:s,s:s,s:s,s:i}", "status", *db == 'o' ? "ok" : "degraded",
                                  "version", DH_VERSION, "db", db, "schema", v));
}

const dh_route dh_routes_health[] = {
    {"GET", "/api/v1/health", get_health, DH_ROUTE_PUBLIC},
    {0, 0, 0, 0},
};
