/* http.h - the HTTP server: request and response types shared by the route
 * table and the endpoint files (one file per endpoint group, named after
 * its routes).
 *
 * Ownership: a handler fills rs->body with a malloc'd string (or sets it via
 * the reply helpers, which take ownership of the JSON they are given:
 * dh_reply_json_steal). The server frees it after sending.
 */
#ifndef DH_HTTP_H
#define DH_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "app/app.h"
#include "util/multipart.h"

#define DH_HTTP_BODY_MAX (1024 * 1024)
/* Bulk routes (dossier events, schedule and procedure uploads) take more. */
#define DH_HTTP_BULK_MAX (32 * 1024 * 1024)
/* Anyone not signed in (the sign-in form, public pages) sends at most this. */
#define DH_HTTP_ANON_BODY_MAX (64 * 1024)
/* Upload routes (DH_ROUTE_UPLOAD: the public feedback form with its images,
 * three of at most 5 MB) take this from anyone. */
#define DH_HTTP_UPLOAD_MAX (16 * 1024 * 1024)
/* The parts of a multipart/form-data body read, at most. */
#define DH_HTTP_PARTS_MAX 32
/* A refused body announced up to this size, sent without waiting for
 * `100 Continue`, is read and dropped before the refusal (server.c,
 * refuse_later); a larger one is refused at once. */
#define DH_HTTP_DRAIN_MAX (2 * 1024 * 1024)
/* The request target (path and query) and its number of query parameters. */
#define DH_HTTP_TARGET_MAX 8192
#define DH_HTTP_QUERY_PARAMS_MAX 128
/* Retry-After (seconds) of a 503 when the budget of bodies is spent. */
#define DH_HTTP_BUSY_RETRY 5
#define DH_HTTP_JSON_DEPTH_MAX 32
#define DH_HTTP_PAGE_DEFAULT 100
#define DH_HTTP_PAGE_MAX 500
#define DH_HTTP_PARAMS_MAX 4
/* Replies of text (HTML, JSON, CSV, ...) of at least this many bytes are
 * sent gzip-compressed to a client that accepts it. */
#define DH_HTTP_GZIP_MIN 1024

typedef struct dh_req {
    dh_app *app;
    time_t now;
    const char *method;
    const char *path;
    void *conn; /* struct MHD_Connection */
    const char *params[DH_HTTP_PARAMS_MAX];
    int nparams;
    const char *body;
    size_t body_len;
    bool authed;
    dh_actor actor;
    char ip[64];
    char secret[256]; /* the session/token secret used, for logout and CSRF */
    bool secure_cookies; /* served behind HTTPS (DIEUHANH_PUBLIC_URL): cookies say Secure */
    /* The client is this machine (loopback, and no proxy's forwarding
     * header): GET /metrics answers it without sign-in. */
    bool local;
    /* A multipart/form-data body's parts (server.c; NULL otherwise), and
     * whether the body claimed to be one but is malformed. */
    dh_mpart *parts;
    int nparts;
    bool parts_bad;
} dh_req;

typedef struct dh_resp {
    int status;
    char *body;
    size_t body_len; /* 0: strlen(body) (binary bodies set it) */
    const char *content_type;
    char disposition[256]; /* Content-Disposition, or "" */
    char set_cookie[512];
    int retry_after; /* seconds; 0 = no header */
    char location[512]; /* Location of a redirect, or "" */
    const char *cache;  /* Cache-Control, NULL: no-store */
} dh_resp;

/* Options of a route. */
enum {
    DH_ROUTE_PUBLIC = 1, /* no sign-in needed */
    /* An HTML page: signing in is optional at dispatch (the handler
     * redirects to the sign-in page), and a form POST proves its origin with
     * a `csrf` form field instead of the X-CSRF-Token header. */
    DH_ROUTE_PAGE = 2,
    /* takes a bulk body (DH_HTTP_BULK_MAX) rather than DH_HTTP_BODY_MAX */
    DH_ROUTE_BULK = 4,
    /* takes DH_HTTP_UPLOAD_MAX even before signing in (a public form with files) */
    DH_ROUTE_UPLOAD = 8,
};

typedef void (*dh_handler)(dh_req *rq, dh_resp *rs);

typedef struct dh_route {
    const char *method;
    const char *pattern; /* "/api/v1/units/{}/children" */
    dh_handler handler;
    int flags;
} dh_route;

/* ---- Replies. */
void dh_reply_json_steal(dh_resp *rs, int status, json_t *body);
/* {"error":{...}} from a dh_err, with the status it maps to. */
void dh_reply_err(dh_resp *rs, const dh_err *e);
/* A stored file's bytes with its type and an ASCII file name (ep_plans.c);
 * takes data and releases meta. */
void dh_reply_file(dh_resp *rs, int64_t id, json_t *meta, char *data, size_t len);
/* The answer to a file import: on failure the error with the report's
 * per-line messages as error.rows; else `ok` (stolen) with them as
 * "messages", with status ok_status. */
void dh_reply_import(dh_resp *rs, dh_status st, const dh_err *e, const dh_import_report *rep,
                     int ok_status, json_t *ok);
void dh_reply_error(dh_resp *rs, int status, const char *code, const char *field,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* {"items":[...],"next":"<cursor>"|null}; steals items. */
void dh_reply_list_steal(dh_resp *rs, json_t *items, const char *next);
/* A unit's reminders (the tasks' inbox, the feedback reminders): ?unit=,
 * ?limit= and ?cursor= read, fn called, its items replied as a list with
 * the next cursor. */
typedef dh_status (*dh_inbox_fn)(dh_app *app, const dh_actor *a, const char *unit,
                                 int64_t before, int limit, time_t now, json_t **items,
                                 int64_t *next, dh_err *e);
void dh_reply_inbox(dh_req *rq, dh_resp *rs, dh_inbox_fn fn);

/* ---- Request helpers. */
/* Parses the body as a JSON object (size, UTF-8, depth, duplicates
 * checked); on failure replies and returns NULL. */
json_t *dh_req_json(dh_req *rq, dh_resp *rs);
/* A query parameter, or NULL. Values that are not UTF-8 are refused by
 * the server before any handler runs. */
const char *dh_req_query(dh_req *rq, const char *name);
/* The file parts named `name` of a multipart/form-data body that carry
 * bytes (an empty file input sends none), at most max, into out; their
 * number. */
int dh_req_files(dh_req *rq, const char *name, const dh_mpart **out, int max);
/* A field of an application/x-www-form-urlencoded body (decoded into a
 * thread-local buffer valid until the next call), or NULL. */
const char *dh_req_form(dh_req *rq, const char *name, char *buf, size_t cap);
/* A cookie of the request, or NULL. */
const char *dh_req_cookie(dh_req *rq, const char *name);
/* 303 See Other to `to` (a path on this site). */
void dh_reply_redirect(dh_resp *rs, const char *to);
/* Sets the session cookie (HttpOnly, SameSite=Strict, 12 hours; token NULL
 * clears it), marked Secure when the server is reached over HTTPS. */
void dh_reply_session_cookie(const dh_req *rq, dh_resp *rs, const char *token);

/* Parses ?as_of= (default: today in Vietnam); replies 422 and returns -1 on
 * a bad date. */
int dh_req_as_of(dh_req *rq, dh_resp *rs, dh_date *out);
/* Parses ?limit= (default DH_HTTP_PAGE_DEFAULT, at most DH_HTTP_PAGE_MAX). */
int dh_req_limit(dh_req *rq, dh_resp *rs, int *out);
/* Parses ?cursor= as a non-negative integer (0 when absent). */
int dh_req_cursor(dh_req *rq, dh_resp *rs, int64_t *out);

/* ---- Endpoint groups (each file exports its routes). */
extern const dh_route dh_routes_health[];
extern const dh_route dh_routes_metrics[]; /* ep_metrics.c (issue 18) */
extern const dh_route dh_routes_auth[];
extern const dh_route dh_routes_units[];
extern const dh_route dh_routes_users[];
extern const dh_route dh_routes_audit[];
extern const dh_route dh_routes_calendars[];
extern const dh_route dh_routes_dossiers[];
extern const dh_route dh_routes_public[];
extern const dh_route dh_routes_reports[];
extern const dh_route dh_routes_stations[]; /* ep_stations.c (issue 19) */
extern const dh_route dh_routes_indicators[];
extern const dh_route dh_routes_pages[];
extern const dh_route dh_routes_pages_dossiers[];
extern const dh_route dh_routes_pages_admin[];
extern const dh_route dh_routes_pages_plans[];
extern const dh_route dh_routes_pages_targets[];
extern const dh_route dh_routes_plans[];
extern const dh_route dh_routes_dti[];
extern const dh_route dh_routes_pages_dti[];
extern const dh_route dh_routes_feedback[];
extern const dh_route dh_routes_open311[];
extern const dh_route dh_routes_public_feedback[];
extern const dh_route dh_routes_pages_feedback[];
extern const dh_route dh_routes_pages_inbox[];

/* ---- What the public pages and APIs share (public.c). */

/* The actor of an anonymous request: a viewer named "public:IP". */
void dh_public_actor(const dh_req *rq, dh_actor *out);
/* The per-address limit of lookups by code (30 a minute, dossiers and
 * feedback together): false, with rs->status 429 and retry_after set to the
 * seconds left in the window, when ip is over it. */
bool dh_public_lookup_allow(dh_resp *rs, const char *ip, time_t now);
/* An ISO 8601 instant ("2025-02-05T08:00:00+07:00") as "08:00 ngày
 * 05/02/2025"; "—" for anything else. */
void dh_public_vn_time(const json_t *v, char *out, size_t cap);

/* ---- The server. */
/* Calls fn(route, closure) for every route of the table the server matches
 * requests against, in matching order (`dieuhanh routes` lists them). */
void dh_routes_each(void (*fn)(const dh_route *r, void *closure), void *closure);

typedef struct dh_server dh_server;

/* Limits against slow and greedy clients (docs/API.md, "Limits");
 * `dieuhanh serve` reads them from DIEUHANH_* variables. */
typedef struct dh_server_limits {
    unsigned max_connections; /* open connections, all clients together */
    unsigned per_address;     /* open connections from one IP address */
    unsigned idle_timeout;    /* seconds a connection may stay silent */
    unsigned request_timeout; /* seconds from a request's headers to the end of its body */
    size_t bodies_max;        /* bytes of request bodies held at once, server-wide */
} dh_server_limits;
#define DH_SERVER_LIMITS_DEFAULT {512, 64, 15, 300, (size_t)256 * 1024 * 1024}

/* Starts serving on "HOST:PORT" (PORT 0 picks a free port) with the given
 * limits (NULL: DH_SERVER_LIMITS_DEFAULT). The environment variable
 * DIEUHANH_PUBLIC_URL, when set, is the address users reach the service at
 * (behind a reverse proxy): with https:// every cookie is marked Secure; a
 * value that is not an http:// or https:// URL is refused. */
dh_server *dh_server_start(dh_app *app, const char *listen, const dh_server_limits *lim,
                           dh_err *e);
/* The port actually bound. */
int dh_server_port(const dh_server *s);
void dh_server_stop(dh_server *s);

#endif
