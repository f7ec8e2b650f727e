/* observe.c - per-request metrics, the access log and request ids
 * (observe.h).
 *
 * Metrics: dieuhanh_http_requests_total{route,method,status} and
 * dieuhanh_http_request_duration_seconds{route,method}. Labels are the
 * route's pattern ("/api/v1/units/{}"), never the path, and a method from
 * a fixed list, so that what a client sends cannot make new series (a
 * request matching no route is route="(none)"). Each route keeps the
 * pointers of its series once made, so that counting a request takes no
 * lock after the first of its kind.
 *
 * The access log: one JSON object per line on stderr with time (UTC, ms),
 * method, route (the pattern), status, duration_ms, bytes, user (the
 * signed-in user's id or null), request_id. Never the path's ids, the
 * query, a header, a cookie, a token, a password or the client's address
 * (the audit trail keeps who did what, from where). */
#include <jansson.h>
#include <math.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http/observe.h"
#include "util/buf.h"
#include "util/metrics.h"

/* The statuses counted through a kept pointer; others look theirs up. */
static const int kept_status[] = {200, 201, 204, 206, 301, 302, 303, 304, 400, 401, 403,
                                  404, 405, 409, 410, 413, 414, 415, 422, 429, 500, 503};
#define NKEPT (sizeof kept_status / sizeof *kept_status)

static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
#define NMETHODS (sizeof methods / sizeof *methods)

typedef struct route_series {
    /* by method (NMETHODS + 1: OTHER) */
    _Atomic(dh_metric *) latency[NMETHODS + 1];
    _Atomic(dh_metric *) status[NMETHODS + 1][NKEPT];
} route_series;

struct dh_observer {
    size_t nroutes;
    bool access_log;
    route_series *routes; /* nroutes + 1 */
};

dh_observer *dh_observer_new(size_t nroutes)
{
    dh_observer *o = dh_xcalloc(1, sizeof *o);
    o->nroutes = nroutes;
    o->routes = dh_xcalloc(nroutes + 1, sizeof *o->routes);
    const char *v = getenv("DIEUHANH_ACCESS_LOG");
    o->access_log = !(v && (strcmp(v, "0") == 0 || strcmp(v, "off") == 0));
    return o;
}

void dh_observer_free(dh_observer *o)
{
    if (!o)
        return;
    free(o->routes);
    free(o);
}

void dh_request_id(const char *offered, char *id)
{
    size_t n = offered ? strlen(offered) : 0;
    bool ok = n > 0 && n <= DH_REQUEST_ID_MAX &&
              strspn(offered, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                              "0123456789._:-") == n;
    if (ok) {
        memcpy(id, offered, n + 1);
        return;
    }
    unsigned char r[8];
    randombytes_buf(r, sizeof r);
    for (size_t i = 0; i < sizeof r; i++)
        snprintf(id + 2 * i, 3, "%02x", r[i]);
}

static size_t method_index(const char *m)
{
    for (size_t i = 0; i < NMETHODS; i++)
        if (m && strcmp(m, methods[i]) == 0)
            return i;
    return NMETHODS;
}

/* The series *slot, made on first use (two threads racing both get the same
 * series from the registry, so either store is right). */
static dh_metric *kept(_Atomic(dh_metric *) *slot, dh_metric_kind kind, const char *name,
                       const char *help, const char *labels)
{
    dh_metric *m = atomic_load_explicit(slot, memory_order_acquire);
    if (!m) {
        m = dh_metric_get(kind, name, help, labels);
        atomic_store_explicit(slot, m, memory_order_release);
    }
    return m;
}

static void count(dh_observer *o, const dh_req_record *r, const char *method, size_t mi)
{
    size_t ri = r->route && r->route_index < o->nroutes ? r->route_index : o->nroutes;
    const char *route = r->route && r->route_index < o->nroutes ? r->route : "(none)";
    route_series *rs = &o->routes[ri];
    char status[8], labels[DH_METRIC_LABELS_MAX];
    snprintf(status, sizeof status, "%d", r->status);
    size_t k = 0;
    while (k < NKEPT && kept_status[k] != r->status)
        k++;
    static const char *const requests = "dieuhanh_http_requests_total",
                             *const requests_help =
                                 "HTTP requests answered, by route pattern, method and status.";
    dh_metric *m;
    if (k < NKEPT && atomic_load_explicit(&rs->status[mi][k], memory_order_acquire)) {
        m = atomic_load_explicit(&rs->status[mi][k], memory_order_acquire);
    } else {
        dh_metric_labels(labels, sizeof labels, "route", route, "method", method, "status",
                         status, (char *)NULL);
        m = k < NKEPT ? kept(&rs->status[mi][k], DH_METRIC_COUNTER, requests, requests_help,
                             labels)
                      : dh_metric_get(DH_METRIC_COUNTER, requests, requests_help, labels);
    }
    dh_metric_add(m, 1);
    m = atomic_load_explicit(&rs->latency[mi], memory_order_acquire);
    if (!m) {
        dh_metric_labels(labels, sizeof labels, "route", route, "method", method, (char *)NULL);
        m = kept(&rs->latency[mi], DH_METRIC_HISTOGRAM, "dieuhanh_http_request_duration_seconds",
                 "Time from a request's headers to the end of its reply, by route pattern and "
                 "method.",
                 labels);
    }
    dh_metric_observe(m, r->seconds);
}

static void log_line(const dh_req_record *r, const char *method)
{
    struct timespec ts;
    struct tm tm;
    char when[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + n, sizeof when - n, ".%03ldZ", ts.tv_nsec / 1000000);
    json_t *j = json_pack("{s:s,s:s,s:o,s:i,s:f,s:I,s:o,s:s}", "time", when, "method", method,
                          "route", r->route ? json_string(r->route) : json_null(), "status",
                          r->status, "duration_ms", round(r->seconds * 1e6) / 1e3, "bytes",
                          (json_int_t)r->bytes, "user",
                          r->user_id ? json_integer(r->user_id) : json_null(), "request_id",
                          r->request_id ? r->request_id : "");
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9))
                : NULL;
    json_decref(j);
    if (!s)
        return;
    size_t len = strlen(s);
    s = dh_xrealloc(s, len + 2);
    s[len++] = '\n';
    s[len] = '\0';
    ssize_t w = write(STDERR_FILENO, s, len);
    (void)w; /* nothing better to do with a log that cannot be written */
    free(s);
}

void dh_observer_record(dh_observer *o, const dh_req_record *r)
{
    size_t mi = method_index(r->method);
    const char *method = mi < NMETHODS ? methods[mi] : "OTHER";
    count(o, r, method, mi);
    if (o->access_log)
        log_line(r, method);
}
