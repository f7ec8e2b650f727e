/* ep_metrics.c - GET /metrics: the process's metrics in the Prometheus text
 * format (util/metrics.h; docs/API.md, "Metrics").
 *
 * Who may read them: an administrator (token or session; not a token scoped
 * to a unit), or, without signing in, a client on this machine that no
 * proxy forwarded (dh_req.local: a monitoring agent beside the server).
 * Anyone else signed in gets 403, anyone else 401. The figures name routes
 * and counts, never a user or a record, but they tell how the service is
 * used and how busy it is, which is nobody else's business.
 *
 * Read at each scrape (gauges): the database's size through the storage
 * contract (meta.h db_size), the resident memory of the process, and where
 * it goes: the heap (glibc's mallinfo2, all arenas) and, on SQLite, the
 * engine's share of it (page caches: store.h client_memory). */
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "http/http.h"
#include "store/meta.h"
#include "util/metrics.h"

static void scrape_gauges(dh_req *rq)
{
    dh_err e;
    int64_t size = 0;
    dh_conn *c = dh_store_acquire(dh_app_store(rq->app), &e);
    bool ok = c && DH_META(c)->db_size(c, &size, &e) == DH_OK;
    dh_store_release(c);
    dh_metric_set(dh_metric_get(DH_METRIC_GAUGE, "dieuhanh_database_up",
                                "1 when the database answered this scrape, else 0.", ""),
                  ok);
    if (ok)
        dh_metric_set(dh_metric_get(DH_METRIC_GAUGE, "dieuhanh_database_size_bytes",
                                    "Size of the database (SQLite: its pages, without the WAL; "
                                    "PostgreSQL: pg_database_size).",
                                    ""),
                      size);
    /* /proc/self/statm: size and resident pages. */
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) == 2)
            dh_metric_set(dh_metric_get(DH_METRIC_GAUGE, "process_resident_memory_bytes",
                                        "Resident memory size in bytes.", ""),
                          (int64_t)resident * sysconf(_SC_PAGESIZE));
        fclose(f);
    }
    int64_t engine = dh_store_ops_of(dh_app_store(rq->app))->client_memory();
    if (engine >= 0)
        dh_metric_set(dh_metric_get(DH_METRIC_GAUGE, "dieuhanh_sqlite_memory_bytes",
                                    "Memory SQLite holds (page caches, statements, schemas), "
                                    "all connections.",
                                    ""),
                      engine);
#if defined(__SANITIZE_ADDRESS__)
    /* AddressSanitizer replaces malloc: glibc's arenas are not where the
     * heap is, and mallinfo2 would report zeros as if it were empty. */
    return;
#endif
    struct mallinfo2 mi = mallinfo2();
    const char *help = "The C heap (glibc mallinfo2, all arenas): in use in the arenas, free in "
                       "the arenas, and large blocks mapped on their own.";
    dh_metric_set(dh_metric_get(DH_METRIC_GAUGE, "dieuhanh_heap_bytes", help, "state=\"in_use\""),
                  (int64_t)mi.uordblks);
    dh_metric_set(dh_metric_get(DH_METRIC_GAUGE, "dieuhanh_heap_bytes", help, "state=\"free\""),
                  (int64_t)mi.fordblks);
    dh_metric_set(dh_metric_get(DH_METRIC_GAUGE, "dieuhanh_heap_bytes", help, "state=\"mapped\""),
                  (int64_t)mi.hblkhd);
}

static void get_metrics(dh_req *rq, dh_resp *rs)
{
    bool admin = rq->authed && rq->actor.role == DH_ROLE_ADMIN && !rq->actor.scoped_admin;
    if (!admin && !rq->local) {
        if (rq->authed) {
            dh_app_audit_denied(rq->app, &rq->actor, "read", "metrics", "", "", rq->now);
            dh_reply_error(rs, 403, "forbidden", NULL,
                           "only an administrator, or a client on the server's own machine, "
                           "may read the metrics");
        } else {
            dh_reply_error(rs, 401, "unauthenticated", NULL,
                           "the metrics need an administrator's token or session, or a "
                           "request from the server's own machine");
        }
        return;
    }
    scrape_gauges(rq);
    dh_buf b = DH_BUF_INIT;
    dh_metrics_render(&b);
    rs->status = 200;
    rs->body = dh_buf_steal(&b);
    rs->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

const dh_route dh_routes_metrics[] = {
    {"GET", "/metrics", get_metrics, DH_ROUTE_PUBLIC},
    {0, 0, 0, 0},
};
