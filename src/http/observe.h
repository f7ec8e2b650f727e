/* observe.h - what the server tells its operators about each request
 * (private to src/http): the per-route request counters and latency
 * histograms of GET /metrics, the JSON access-log line on stderr, and the
 * request id that ties a reply (X-Request-Id) to its line.
 *
 * Ownership: dh_observer_new's result is freed by dh_observer_free; the
 * strings of a dh_req_record are borrowed for the call.
 */
#ifndef DH_HTTP_OBSERVE_H
#define DH_HTTP_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DH_REQUEST_ID_MAX 64

typedef struct dh_observer dh_observer;

/* An observer of nroutes routes (indices 0 to nroutes - 1; nroutes itself
 * stands for a request that matched no route). The access log is on unless
 * DIEUHANH_ACCESS_LOG is "0" or "off". */
dh_observer *dh_observer_new(size_t nroutes);
void dh_observer_free(dh_observer *o);

/* The request's id into id (DH_REQUEST_ID_MAX + 1 bytes): the client's
 * X-Request-Id (offered, may be NULL) when it is 1 to DH_REQUEST_ID_MAX
 * bytes of letters, digits and . _ : -, else 16 random hex digits. */
void dh_request_id(const char *offered, char *id);

typedef struct dh_req_record {
    const char *method;  /* as received (normalised here: GET ... OTHER) */
    const char *route;   /* the route's pattern, NULL when none matched */
    size_t route_index;  /* its index, or nroutes */
    int status;
    double seconds;      /* from the headers to the end of the reply */
    int64_t user_id;     /* 0: nobody signed in */
    const char *request_id;
    size_t bytes;        /* of the reply's body as sent */
} dh_req_record;

/* Counts a finished request in the metrics and writes its access-log line
 * (one write(2), so lines of concurrent requests never interleave). */
void dh_observer_record(dh_observer *o, const dh_req_record *r);

#endif
