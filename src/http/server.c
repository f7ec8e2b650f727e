/* server.c - libmicrohttpd glue: accepting requests with bounded bodies,
 * authenticating them, matching the route table, CSRF checks, and sending
 * replies.
 *
 * The path of a request: MHD shows us the request target as sent
 * (on_target, which creates the request's context), then calls on_request
 * several times per request: the first call judges the headers (admit:
 * route, credentials, body limits; a refusal goes out before any body is
 * read), the middle ones append the body (refusing past the request's
 * limit), the last one dispatches: check CSRF for cookie-authenticated
 * writes (403), call the handler, send its reply.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "http/memory.h"
#include "http/observe.h"
#include "util/buf.h"
#include "util/gzip.h"
#include "util/text.h"

struct dh_server {
    struct MHD_Daemon *d;
    dh_app *app;
    int port;
    pthread_t warm; /* loads the aggregates while the first requests come in */
    bool warming;
    bool secure_cookies; /* DIEUHANH_PUBLIC_URL is https:// */
    char trusted[256];   /* DIEUHANH_TRUSTED_PROXY: ",ADDR,ADDR," or "" */
    dh_server_limits lim;
    atomic_size_t in_flight; /* bytes of request bodies admitted and not yet released */
    dh_observer *obs;        /* metrics and access log (observe.h) */
    size_t nroutes;          /* routes in all groups (their indices in obs) */
};

static void *warm_up(void *arg)
{
    dh_app_aggregates_warm(arg);
    return NULL;
}

/* The id of the request this thread is answering (NULL between requests),
 * so that an error logged on the way names the request whose access-log
 * line follows. */
static _Thread_local const char *current_request_id;

static const dh_route *const groups[] = {dh_routes_health, dh_routes_metrics,
                                         dh_routes_auth, dh_routes_units,
                                         dh_routes_users, dh_routes_audit,
                                         dh_routes_calendars, dh_routes_dossiers,
                                         dh_routes_public, dh_routes_reports, dh_routes_indicators,
                                         dh_routes_pages, dh_routes_pages_dossiers,
                                         dh_routes_pages_admin, dh_routes_pages_plans, dh_routes_pages_targets,
                                         dh_routes_plans, dh_routes_dti, dh_routes_pages_dti,
                                         dh_routes_feedback, dh_routes_open311,
                                         dh_routes_public_feedback, dh_routes_pages_feedback,
                                         dh_routes_pages_inbox,
                                         dh_routes_stations};

/* ------------------------------------------------------------------ */
/* Replies.                                                           */

void dh_reply_json_steal(dh_resp *rs, int status, json_t *body)
{
    rs->status = status;
    free(rs->body);
    rs->body = body ? json_dumps(body, JSON_COMPACT) : NULL;
    rs->content_type = "application/json; charset=utf-8";
    json_decref(body);
}

/* A message may quote input cut at a byte count (jansson's error text quotes
 * the JSON near the error, and a dh_err message is at most 512 bytes), which
 * can end in half a character: JSON strings must be UTF-8, so what is kept
 * is the text up to there, and the reply always has its body. */
static void reply_error_full(dh_resp *rs, int status, const char *code, const char *field,
                             long line, const char *message)
{
    char mbuf[520], fbuf[72];
    message = dh_utf8_prefix(message, mbuf, sizeof mbuf);
    if (field)
        field = dh_utf8_prefix(field, fbuf, sizeof fbuf);
    json_t *err = json_pack("{s:s,s:s,s:o,s:o}", "code", code, "message", message, "field",
                            field && *field ? json_string(field) : json_null(), "line",
                            line > 0 ? json_integer(line) : json_null());
    dh_reply_json_steal(rs, status, json_pack("{s:o}", "error", err));
}

void dh_reply_err(dh_resp *rs, const dh_err *e)
{
    int status = dh_err_http_status(e->status);
    if (e->status == DH_E_BUSY && rs->retry_after <= 0)
        rs->retry_after = 1;
    /* The database is down or restarting: ask again in a few seconds (the
     * pool reconnects on the next request once it is back). */
    if (e->status == DH_E_UNAVAILABLE && rs->retry_after <= 0)
        rs->retry_after = 5;
    reply_error_full(rs, status, e->code[0] ? e->code : "error", e->field, e->line, e->message);
    if (e->status == DH_E_DB || e->status == DH_E_UNAVAILABLE) {
        if (current_request_id)
            fprintf(stderr, "dieuhanh: request %s: %s: %s\n", current_request_id, e->code,
                    e->message);
        else
            fprintf(stderr, "dieuhanh: %s: %s\n", e->code, e->message);
    }
}

void dh_reply_import(dh_resp *rs, dh_status st, const dh_err *e, const dh_import_report *rep,
                     int ok_status, json_t *ok)
{
    json_t *msgs = json_array();
    for (int i = 0; i < rep->nmessages; i++)
        json_array_append_new(msgs, json_string(rep->messages[i]));
    if (st) {
        json_decref(ok);
        dh_reply_err(rs, e);
        json_t *err = rs->body ? json_loads(rs->body, 0, NULL) : NULL;
        if (err) {
            json_object_set_new(json_object_get(err, "error"), "rows", msgs);
            dh_reply_json_steal(rs, rs->status, err);
        } else {
            json_decref(msgs);
        }
        return;
    }
    json_object_set_new(ok, "messages", msgs);
    dh_reply_json_steal(rs, ok_status, ok);
}

void dh_reply_error(dh_resp *rs, int status, const char *code, const char *field,
                    const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    reply_error_full(rs, status, code, field, 0, msg);
}

void dh_reply_list_steal(dh_resp *rs, json_t *items, const char *next)
{
    dh_reply_json_steal(rs, 200,
                        json_pack("{s:o,s:o}", "items", items, "next",
                                  next ? json_string(next) : json_null()));
}

void dh_reply_inbox(dh_req *rq, dh_resp *rs, dh_inbox_fn fn)
{
    int limit;
    int64_t cursor, next;
    if (dh_req_limit(rq, rs, &limit) || dh_req_cursor(rq, rs, &cursor))
        return;
    json_t *items;
    dh_err e;
    if (fn(rq->app, &rq->actor, dh_req_query(rq, "unit"), cursor, limit, rq->now, &items, &next,
           &e)) {
        dh_reply_err(rs, &e);
        return;
    }
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)next);
    dh_reply_list_steal(rs, items, next ? buf : NULL);
}

/* ------------------------------------------------------------------ */
/* Request helpers.                                                   */

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                                : -1;
}

int dh_req_files(dh_req *rq, const char *name, const dh_mpart **out, int max)
{
    int n = 0;
    for (int i = 0; i < rq->nparts && n < max; i++)
        if (rq->parts[i].is_file && rq->parts[i].len && !strcmp(rq->parts[i].name, name))
            out[n++] = &rq->parts[i];
    return n;
}

const char *dh_req_form(dh_req *rq, const char *name, char *buf, size_t cap)
{
    if (rq->parts || rq->parts_bad) {
        for (int i = 0; i < rq->nparts; i++) {
            const dh_mpart *m = &rq->parts[i];
            if (m->is_file || strcmp(m->name, name))
                continue;
            size_t n = m->len < cap - 1 ? m->len : cap - 1;
            memcpy(buf, m->data, n);
            buf[n] = '\0';
            return memchr(buf, '\0', n) || dh_utf8_invalid_offset(buf, n) >= 0 ? NULL : buf;
        }
        return NULL;
    }
    const char *p = rq->body, *end = rq->body ? rq->body + rq->body_len : NULL;
    size_t nl = strlen(name);
    while (p && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        if (eq && (size_t)(eq - p) == nl && memcmp(p, name, nl) == 0) {
            size_t o = 0;
            for (const char *q = eq + 1; q < stop && o + 1 < cap; q++) {
                if (*q == '+') {
                    buf[o++] = ' ';
                } else if (*q == '%' && q + 2 < stop &&
                           hexval(q[1]) >= 0 && hexval(q[2]) >= 0) {
                    buf[o++] = (char)(hexval(q[1]) * 16 + hexval(q[2]));
                    q += 2;
                } else {
                    buf[o++] = *q;
                }
            }
            buf[o] = '\0';
            return dh_utf8_invalid_offset(buf, o) >= 0 ? NULL : buf;
        }
        p = amp ? amp + 1 : end;
    }
    return NULL;
}

const char *dh_req_cookie(dh_req *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, name);
}

void dh_reply_redirect(dh_resp *rs, const char *to)
{
    rs->status = 303;
    snprintf(rs->location, sizeof rs->location, "%s", to);
    free(rs->body);
    rs->body = dh_xstrdup("");
    rs->content_type = "text/plain; charset=utf-8";
}

void dh_reply_session_cookie(const dh_req *rq, dh_resp *rs, const char *token)
{
    snprintf(rs->set_cookie, sizeof rs->set_cookie,
             "dh_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s", token ? token : "",
             token ? 43200 : 0, rq->secure_cookies ? "; Secure" : "");
}

const char *dh_req_query(dh_req *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

int dh_req_as_of(dh_req *rq, dh_resp *rs, dh_date *out)
{
    const char *s = dh_req_query(rq, "as_of");
    *out = dh_date_of_time_vn(rq->now);
    if (!s || !*s)
        return 0;
    if (dh_date_parse(s, out)) {
        dh_reply_error(rs, 422, "invalid_date", "as_of", "as_of must be a real date YYYY-MM-DD");
        return -1;
    }
    return 0;
}

static int parse_nonneg(const char *s, long long max, long long *out)
{
    char *end;
    if (!s || !*s || strlen(s) > 19)
        return -1;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return -1;
    long long v = strtoll(s, &end, 10);
    if (*end || v > max)
        return -1;
    *out = v;
    return 0;
}

int dh_req_limit(dh_req *rq, dh_resp *rs, int *out)
{
    const char *s = dh_req_query(rq, "limit");
    long long v = DH_HTTP_PAGE_DEFAULT;
    if (s && (parse_nonneg(s, DH_HTTP_PAGE_MAX, &v) || v < 1)) {
        dh_reply_error(rs, 422, "invalid_limit", "limit", "limit must be a number from 1 to %d",
                       DH_HTTP_PAGE_MAX);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int dh_req_cursor(dh_req *rq, dh_resp *rs, int64_t *out)
{
    const char *s = dh_req_query(rq, "cursor");
    long long v = 0;
    if (s && parse_nonneg(s, INT64_MAX / 2, &v)) {
        dh_reply_error(rs, 400, "invalid_cursor", "cursor",
                       "cursor must be a value returned as 'next'");
        return -1;
    }
    *out = v;
    return 0;
}

/* Depth of nesting of a JSON text, ignoring brackets inside strings. */
static int json_depth(const char *s, size_t n)
{
    int depth = 0, max = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max)
                max = depth;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return max;
}

json_t *dh_req_json(dh_req *rq, dh_resp *rs)
{
    if (!rq->body_len) {
        dh_reply_error(rs, 400, "invalid_json", NULL, "the request needs a JSON body");
        return NULL;
    }
    long bad = dh_utf8_invalid_offset(rq->body, rq->body_len);
    if (bad >= 0) {
        dh_reply_error(rs, 400, "invalid_utf8", NULL,
                       "the body is not valid UTF-8 at byte offset %ld", bad);
        return NULL;
    }
    if (json_depth(rq->body, rq->body_len) > DH_HTTP_JSON_DEPTH_MAX) {
        dh_reply_error(rs, 400, "too_deep", NULL, "the JSON is nested deeper than %d levels",
                       DH_HTTP_JSON_DEPTH_MAX);
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        reply_error_full(rs, 400, "invalid_json", NULL, je.line,
                         je.text[0] ? je.text : "the body is not valid JSON");
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        dh_reply_error(rs, 400, "invalid_json", NULL, "the body must be a JSON object");
        return NULL;
    }
    return j;
}

/* ------------------------------------------------------------------ */
/* Admission and dispatch.                                            */
/*
 * A request is judged twice. On its headers (the first call of
 * on_request, before MHD reads the body or sends `100 Continue`), `admit`
 * decides everything that does not need the body: a NUL byte, too many
 * parameters or too long a request target (400/414), the route (404/405),
 * the query's UTF-8 (400), the credentials (401 on a private route), the
 * body limit (413: the route's for a signed-in caller,
 * DH_HTTP_ANON_BODY_MAX for anyone else) and the server-wide budget of
 * bodies in flight (503). A refusal is sent at once (a reply queued then
 * makes MHD close the connection instead of reading the body), unless the
 * client is already sending a small body without waiting for `100
 * Continue` (see refuse_later). Only an admitted request has its body
 * kept; `dispatch` then checks CSRF (pages carry it in the body) and calls
 * the handler.
 */

typedef struct req_ctx {
    dh_req rq; /* filled on the headers, completed with the body */
    const dh_route *route;
    bool started; /* the headers have been judged */
    bool refused;     /* the refusal waits for the body, discarded (refuse_later) */
    dh_resp refusal;
    size_t drained;   /* bytes of body discarded */
    bool too_large;
    bool over_budget; /* a body without Content-Length outgrew the budget */
    size_t max;       /* the body limit of this request */
    size_t charged;   /* bytes counted in dh_server.in_flight */
    struct timespec t0; /* when the headers were judged (monotonic) */
    dh_buf body;
    size_t route_index;  /* of route in the groups' order (observe.h) */
    char request_id[DH_REQUEST_ID_MAX + 1];
    char method[16];     /* copied for the access log */
    int status;          /* of the reply queued, 0 before */
    size_t sent;         /* bytes of its body */
    /* From the request target as sent (on_target), before MHD decodes it. */
    long nul_at; /* byte offset of a %00, or -1 */
    bool nul_in_query;
    bool target_too_long;
    bool too_many_params;
} req_ctx;

/* MHD_OPTION_URI_LOG_CALLBACK: creates the request's context from the
 * request target as the client sent it, before MHD splits and decodes it
 * (a %00 decoded is a NUL that silently cuts the path or a parameter).
 *
 * A target that is too long or has too many parameters has its query cut
 * here, so that MHD never parses it: libmicrohttpd 0.9.75 stores each
 * parameter in the connection's memory pool, and when the pool runs out it
 * queues a 431 and then overwrites its own state, leaving the client
 * without an answer until the timeout. `admit` answers 414 instead. The
 * target lives in MHD's writable read buffer, and MHD has already noted
 * where the query starts (the '?', which it replaces by a NUL next), so
 * ending the string after the '?' leaves it an empty query. */
static void *on_target(void *cls, const char *uri, struct MHD_Connection *c)
{
    req_ctx *ctx = dh_xcalloc(1, sizeof *ctx);
    const char *query = strchr(uri, '?');
    const char *nul = strstr(uri, "%00");
    size_t nparams = 0;
    if (query) {
        nparams = 1;
        for (const char *p = query + 1; *p; p++)
            nparams += *p == '&';
    }
    ctx->nul_at = nul ? nul - uri : -1;
    ctx->nul_in_query = nul && query && nul > query;
    ctx->target_too_long = strlen(uri) > DH_HTTP_TARGET_MAX;
    ctx->too_many_params = nparams > DH_HTTP_QUERY_PARAMS_MAX;
    if (query && (ctx->target_too_long || ctx->too_many_params))
        ((char *)query)[1] = '\0';
    return ctx;
}

/* Matches path against pattern, collecting {} segments. */
static bool match(const char *pattern, const char *path, dh_req *rq)
{
    int np = 0;
    static _Thread_local char segbuf[DH_HTTP_PARAMS_MAX][256];
    while (*pattern && *path) {
        if (pattern[0] == '{' && pattern[1] == '}') {
            const char *end = strchr(path, '/');
            size_t n = end ? (size_t)(end - path) : strlen(path);
            if (n == 0 || n >= sizeof segbuf[0] || np >= DH_HTTP_PARAMS_MAX)
                return false;
            memcpy(segbuf[np], path, n);
            segbuf[np][n] = '\0';
            rq->params[np] = segbuf[np];
            np++;
            path += n;
            pattern += 2;
            continue;
        }
        if (*pattern != *path)
            return false;
        pattern++;
        path++;
    }
    if (*pattern || *path)
        return false;
    rq->nparams = np;
    return true;
}

/* The route of a request, or NULL (then *path_known says whether another
 * method would do). HEAD is answered by the GET route: MHD sends the
 * headers of the GET reply without its body. */
void dh_routes_each(void (*fn)(const dh_route *r, void *closure), void *closure)
{
    for (size_t g = 0; g < sizeof groups / sizeof *groups; g++)
        for (const dh_route *r = groups[g]; r->method; r++)
            fn(r, closure);
}

static const dh_route *find_route(dh_req *rq, bool *path_known, size_t *index)
{
    const char *method = strcmp(rq->method, "HEAD") == 0 ? "GET" : rq->method;
    size_t i = 0;
    *path_known = false;
    for (size_t g = 0; g < sizeof groups / sizeof *groups; g++) {
        for (const dh_route *r = groups[g]; r->method; r++, i++) {
            if (match(r->pattern, rq->path, rq)) {
                *path_known = true;
                if (strcmp(r->method, method) == 0) {
                    *index = i;
                    return r;
                }
            }
        }
    }
    return NULL;
}

static void client_ip(struct MHD_Connection *c, char *out, size_t n)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    out[0] = '\0';
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)n);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)n);
}

/* Whether the client is this machine itself (a monitoring agent beside the
 * server): its address is a loopback one and no proxy forwarded the
 * request, for a reverse proxy on the same machine connects from loopback
 * too and says so with one of these headers (docs/DEPLOY.md). */
static bool is_local(struct MHD_Connection *c, const char *peer)
{
    static const char *const forwarded[] = {"X-Forwarded-For", "X-Real-IP", "Forwarded",
                                            "X-Forwarded-Host", "X-Forwarded-Proto"};
    if (strncmp(peer, "127.", 4) != 0 && strcmp(peer, "::1") != 0 &&
        strncmp(peer, "::ffff:127.", 11) != 0)
        return false;
    for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++)
        if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, forwarded[i]))
            return false;
    return true;
}

/* Behind a reverse proxy (several nodes behind nginx, docs/DEPLOY.md)
 * every request comes from the proxy's address; when that address is one
 * of DIEUHANH_TRUSTED_PROXY, the client is the proxy's X-Real-IP (an
 * address, or nothing is taken), so that the audit trail, the sign-in
 * throttle and the public lookup's limit see the real client. */
static void forwarded_ip(const dh_server *srv, struct MHD_Connection *c, char *ip, size_t n)
{
    char peer[72];
    snprintf(peer, sizeof peer, ",%s,", ip);
    if (!srv->trusted[0] || !ip[0] || !strstr(srv->trusted, peer))
        return;
    const char *real = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Real-IP");
    unsigned char addr[16];
    if (real && strlen(real) < n &&
        (inet_pton(AF_INET, real, addr) == 1 || inet_pton(AF_INET6, real, addr) == 1))
        snprintf(ip, n, "%s", real);
}

static bool is_write(const char *method)
{
    return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

static enum MHD_Result query_utf8_ok(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    bool *ok = cls;
    if ((key && dh_utf8_invalid_offset(key, strlen(key)) >= 0) ||
        (value && dh_utf8_invalid_offset(value, strlen(value)) >= 0)) {
        *ok = false;
        return MHD_NO;
    }
    return MHD_YES;
}

/* Counts n more bytes of body against the server's budget; false (and
 * nothing counted) when the budget would be exceeded. */
static bool charge(dh_server *srv, req_ctx *ctx, size_t n)
{
    size_t was = atomic_fetch_add(&srv->in_flight, n);
    if (was + n > srv->lim.bodies_max) {
        atomic_fetch_sub(&srv->in_flight, n);
        return false;
    }
    ctx->charged += n;
    return true;
}

/* Authenticates the bearer token, else the session cookie, into rq.
 * Returns the secret offered (NULL: none); replies and returns NULL with
 * *failed set on a database error. */
static const char *authenticate(dh_req *rq, dh_resp *rs, bool *failed)
{
    const char *authz =
        MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *cookie = MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, "dh_session");
    bool via_cookie = false;
    const char *secret = NULL;
    *failed = false;
    if (authz && strncasecmp(authz, "Bearer ", 7) == 0) {
        secret = authz + 7;
    } else if (cookie) {
        secret = cookie;
        via_cookie = true;
    }
    if (secret && strlen(secret) < sizeof rq->secret) {
        dh_err e;
        if (dh_app_authenticate(rq->app, secret, rq->now, &rq->actor, &e) == DH_OK) {
            rq->authed = true;
            rq->actor.via_cookie = via_cookie;
            snprintf(rq->actor.ip, sizeof rq->actor.ip, "%s", rq->ip);
            snprintf(rq->secret, sizeof rq->secret, "%s", secret);
        } else if (dh_err_storage(e.status)) {
            dh_reply_err(rs, &e);
            *failed = true;
            return NULL;
        }
    }
    return secret;
}

/* Judges a request on its headers (see above). True: read the body; false:
 * rs holds the refusal. */
static bool admit(dh_server *srv, req_ctx *ctx, dh_resp *rs)
{
    dh_req *rq = &ctx->rq;
    if (ctx->nul_at >= 0) {
        const char *where = ctx->nul_in_query ? "query" : "path";
        dh_reply_error(rs, 400, "nul_byte", where,
                       "the %s has a NUL byte (%%00) at byte offset %ld of the request target",
                       where, ctx->nul_at);
        return false;
    }
    if (ctx->too_many_params) {
        dh_reply_error(rs, 414, "too_many_parameters", "query",
                       "the query has more than %d parameters", DH_HTTP_QUERY_PARAMS_MAX);
        return false;
    }
    if (ctx->target_too_long) {
        dh_reply_error(rs, 414, "uri_too_long", NULL,
                       "the request target is longer than %d bytes", DH_HTTP_TARGET_MAX);
        return false;
    }
    bool path_known;
    ctx->route = find_route(rq, &path_known, &ctx->route_index);
    if (!ctx->route) {
        if (path_known)
            dh_reply_error(rs, 405, "method_not_allowed", NULL, "%s is not allowed on %s",
                           rq->method, rq->path);
        else
            dh_reply_error(rs, 404, "not_found", NULL, "no such resource: %s", rq->path);
        return false;
    }
    bool ok = true;
    MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, query_utf8_ok, &ok);
    if (!ok) {
        dh_reply_error(rs, 400, "invalid_utf8", NULL, "a query parameter is not valid UTF-8");
        return false;
    }
    bool failed;
    const char *secret = authenticate(rq, rs, &failed);
    if (failed)
        return false;
    int flags = ctx->route->flags;
    if (!(flags & (DH_ROUTE_PAGE | DH_ROUTE_PUBLIC)) && !rq->authed) {
        dh_reply_error(rs, 401, "unauthenticated", NULL,
                       secret ? "the session or token is unknown, expired or revoked"
                              : "sign in first (POST /api/v1/login) or send a bearer token");
        return false;
    }
    ctx->max = flags & DH_ROUTE_BULK ? DH_HTTP_BULK_MAX : DH_HTTP_BODY_MAX;
    if (!rq->authed && ctx->max > DH_HTTP_ANON_BODY_MAX)
        ctx->max = DH_HTTP_ANON_BODY_MAX;
    if (flags & DH_ROUTE_UPLOAD)
        ctx->max = DH_HTTP_UPLOAD_MAX;
    const char *cl =
        MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned long long announced = cl ? strtoull(cl, NULL, 10) : 0;
    if (announced > ctx->max) {
        dh_reply_error(rs, 413, "too_large", NULL, "the body is larger than %zu bytes%s",
                       ctx->max, rq->authed ? "" : " (the limit before signing in)");
        return false;
    }
    if (announced && !charge(srv, ctx, (size_t)announced)) {
        rs->retry_after = DH_HTTP_BUSY_RETRY;
        dh_reply_error(rs, 503, "busy", NULL,
                       "the server holds too many request bodies; try again shortly");
        return false;
    }
    return true;
}

/* Whether a refusal on the headers should wait for the end of the body.
 * A client that announced a small body without `Expect: 100-continue` is
 * sending it already (browsers, most libraries); closing the connection
 * with part of it unread makes the kernel answer with a reset, and the
 * client may lose the reply. Such a body, at most DH_HTTP_DRAIN_MAX, is
 * read and dropped (no memory kept) and the refusal sent after it. Larger
 * or awaited bodies are refused at once and never read. */
static bool refuse_later(struct MHD_Connection *c)
{
    const char *expect = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_TRANSFER_ENCODING);
    if (expect)
        return false;
    if (cl)
        return strtoull(cl, NULL, 10) - 1 < DH_HTTP_DRAIN_MAX; /* 1 to DH_HTTP_DRAIN_MAX */
    return te != NULL; /* chunked: drained up to DH_HTTP_DRAIN_MAX, then cut */
}

/* Whether `got` is the CSRF token of the request's session; a refusal is
 * written to the audit log. */
static bool csrf_ok(dh_req *rq, const char *got)
{
    char *want = dh_app_csrf_for(rq->secret);
    /* In constant time: the lengths first (the token's length is no
     * secret), then every byte, so that timing tells nothing of how much
     * of a guess was right. */
    size_t n = strlen(want);
    bool good = got && strlen(got) == n && sodium_memcmp(got, want, n) == 0;
    free(want);
    if (!good)
        dh_app_audit_denied(rq->app, &rq->actor, "csrf", "request", rq->path, "", rq->now);
    return good;
}

/* Runs an admitted request whose body has arrived: the CSRF checks, then
 * the handler. */
static void dispatch(req_ctx *ctx, dh_resp *rs)
{
    dh_req *rq = &ctx->rq;
    /* the {} segments again: match() keeps them in a per-thread buffer
     * that other requests have used since the headers */
    match(ctx->route->pattern, rq->path, rq);
    bool cookie_write = rq->authed && rq->actor.via_cookie && is_write(rq->method);
    if ((ctx->route->flags & DH_ROUTE_PAGE) && cookie_write) {
        /* pages: the handler decides what a visitor who is not signed in
         * sees; a form write must carry the session's CSRF token */
        char buf[128];
        if (!csrf_ok(rq, dh_req_form(rq, "csrf", buf, sizeof buf))) {
            rs->status = 403;
            rs->content_type = "text/plain; charset=utf-8";
            rs->body = dh_xstrdup("403: biểu mẫu thiếu mã chống giả mạo (CSRF) — hãy tải "
                                  "lại trang.\n");
            return;
        }
    } else if (!(ctx->route->flags & (DH_ROUTE_PAGE | DH_ROUTE_PUBLIC)) && cookie_write) {
        /* A write authenticated by cookie must prove it comes from our own
         * pages: the CSRF token travels in a header a foreign site cannot set. */
        if (!csrf_ok(rq, MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
                                                     "X-CSRF-Token"))) {
            dh_reply_error(rs, 403, "csrf_failed", NULL,
                           "a write with the session cookie needs the X-CSRF-Token header "
                           "given at sign-in");
            return;
        }
    }
    unsigned long recorded = dh_app_denials_recorded();
    ctx->route->handler(rq, rs);
    /* Every refusal of a signed-in user is in the audit log: the app layer
     * records its own with what was refused; a 403 decided elsewhere (a
     * page's role check, a validation that found the actor outside its
     * scope) is recorded here with the route's path. Requests of nobody
     * are not: anyone could fill the log with them. */
    if (rs->status == 403 && rq->authed && dh_app_denials_recorded() == recorded)
        dh_app_audit_denied(rq->app, &rq->actor, is_write(rq->method) ? "write" : "read",
                            "request", rq->path, "", rq->now);
}

/* Replaces rs's body by its gzip form when the client accepts gzip and the
 * body is text of at least DH_HTTP_GZIP_MIN bytes (below that the header
 * costs more than it saves). Returns whether it did. */
static bool gzip_reply(struct MHD_Connection *c, dh_resp *rs, size_t len)
{
    if (len < DH_HTTP_GZIP_MIN || !dh_gzip_compressible(rs->content_type) || rs->status == 204 ||
        rs->status == 304 ||
        !dh_accepts_gzip(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_ACCEPT_ENCODING)))
        return false;
    size_t zlen;
    char *z = dh_gzip(rs->body, len, &zlen);
    if (!z)
        return false;
    free(rs->body);
    rs->body = z;
    rs->body_len = zlen;
    return true;
}

/* Queues rs (and frees its body), noting its status for the access log. */
static enum MHD_Result send_reply(struct MHD_Connection *c, req_ctx *ctx, dh_resp *rs)
{
    if (!rs->body)
        rs->body = dh_xstrdup("");
    bool gz = gzip_reply(c, rs, rs->body_len ? rs->body_len : strlen(rs->body));
    size_t len = rs->body_len ? rs->body_len : strlen(rs->body);
    /* MHD frees the body with free() once sent: no copy. */
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, rs->body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(rs->body);
        rs->body = NULL;
        return MHD_NO;
    }
    rs->body = NULL;
    ctx->status = rs->status;
    ctx->sent = len;
    MHD_add_response_header(r, "X-Request-Id", ctx->request_id);
    if (gz)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    if (dh_gzip_compressible(rs->content_type))
        MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            rs->content_type ? rs->content_type : "application/json");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (rs->content_type && strncmp(rs->content_type, "text/html", 9) == 0) {
        MHD_add_response_header(r, "Content-Security-Policy",
                                "default-src 'none'; script-src 'self'; connect-src 'self'; "
                                "style-src 'self'; img-src 'self' data:; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
        MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
        MHD_add_response_header(r, "X-Frame-Options", "DENY");
    }
    MHD_add_response_header(r, "Cache-Control", rs->cache ? rs->cache : "no-store");
    if (rs->location[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, rs->location);
    if (rs->disposition[0])
        MHD_add_response_header(r, "Content-Disposition", rs->disposition);
    if (rs->set_cookie[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, rs->set_cookie);
    if (rs->retry_after > 0) {
        char buf[16];
        snprintf(buf, sizeof buf, "%d", rs->retry_after);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, buf);
    }
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)rs->status, r);
    MHD_destroy_response(r);
    return ret;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    dh_server *srv = cls;
    req_ctx *ctx = *con_cls; /* made by on_target */
    dh_resp rs = {0};
    if (!ctx)
        return MHD_NO;
    if (!ctx->started) {
        dh_req *rq = &ctx->rq;
        ctx->started = true;
        clock_gettime(CLOCK_MONOTONIC, &ctx->t0);
        rq->app = srv->app;
        rq->now = time(NULL);
        rq->secure_cookies = srv->secure_cookies;
        rq->method = method;
        rq->path = url;
        rq->conn = c;
        snprintf(ctx->method, sizeof ctx->method, "%s", method);
        dh_request_id(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Request-Id"),
                      ctx->request_id);
        client_ip(c, rq->ip, sizeof rq->ip);
        rq->local = is_local(c, rq->ip);
        forwarded_ip(srv, c, rq->ip, sizeof rq->ip);
        current_request_id = ctx->request_id;
        bool admitted = admit(srv, ctx, &rs);
        current_request_id = NULL;
        if (admitted)
            return MHD_YES;
        if (!refuse_later(c))
            return send_reply(c, ctx, &rs);
        ctx->refused = true;
        ctx->refusal = rs;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        /* A body this slow holds a connection and memory: hang up. */
        if (seconds_since(&ctx->t0) > srv->lim.request_timeout)
            return MHD_NO;
        if (ctx->refused) {
            ctx->drained += n;
            return ctx->drained <= DH_HTTP_DRAIN_MAX ? MHD_YES : MHD_NO;
        }
        if (ctx->too_large || ctx->over_budget)
            return MHD_YES;
        size_t len = ctx->body.len + n;
        if (len > ctx->max)
            ctx->too_large = true;
        else if (len > ctx->charged && !charge(srv, ctx, len - ctx->charged))
            ctx->over_budget = true;
        if (ctx->too_large || ctx->over_budget)
            dh_buf_free(&ctx->body);
        else
            dh_buf_append(&ctx->body, upload_data, n);
        return MHD_YES;
    }
    if (ctx->refused) {
        rs = ctx->refusal;
        ctx->refusal.body = NULL;
    } else if (ctx->too_large) {
        dh_reply_error(&rs, 413, "too_large", NULL, "the body is larger than %zu bytes",
                       ctx->max);
    } else if (ctx->over_budget) {
        rs.retry_after = DH_HTTP_BUSY_RETRY;
        dh_reply_error(&rs, 503, "busy", NULL,
                       "the server holds too many request bodies; try again shortly");
    } else {
        ctx->rq.body = ctx->body.p ? ctx->body.p : "";
        ctx->rq.body_len = ctx->body.len;
        char boundary[80];
        const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_TYPE);
        if (dh_multipart_boundary(ct, boundary, sizeof boundary) == 0) {
            ctx->rq.parts = dh_xcalloc(DH_HTTP_PARTS_MAX, sizeof *ctx->rq.parts);
            ctx->rq.nparts = dh_multipart_parse(ctx->rq.body, ctx->rq.body_len, boundary,
                                                ctx->rq.parts, DH_HTTP_PARTS_MAX);
            ctx->rq.parts_bad = ctx->rq.nparts < 0;
            if (ctx->rq.nparts < 0)
                ctx->rq.nparts = 0;
        }
        current_request_id = ctx->request_id;
        dispatch(ctx, &rs);
        current_request_id = NULL;
        free(ctx->rq.parts);
        ctx->rq.parts = NULL;
        ctx->rq.nparts = 0;
    }
    if (!rs.status)
        dh_reply_error(&rs, 500, "internal", NULL, "the handler gave no answer");
    return send_reply(c, ctx, &rs);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    dh_server *srv = cls;
    req_ctx *ctx = *con_cls;
    if (ctx) {
        if (ctx->started && ctx->status) {
            dh_req_record rec = {ctx->method,
                                 ctx->route ? ctx->route->pattern : NULL,
                                 ctx->route ? ctx->route_index : srv->nroutes,
                                 ctx->status,
                                 seconds_since(&ctx->t0),
                                 ctx->rq.authed ? ctx->rq.actor.user_id : 0,
                                 ctx->request_id,
                                 ctx->sent};
            dh_observer_record(srv->obs, &rec);
        }
        atomic_fetch_sub(&srv->in_flight, ctx->charged);
        dh_buf_free(&ctx->body);
        free(ctx->refusal.body);
        free(ctx);
        *con_cls = NULL;
        dh_memory_trim_maybe();
    }
}

dh_server *dh_server_start(dh_app *app, const char *listen, const dh_server_limits *lim,
                           dh_err *e)
{
    static const dh_server_limits defaults = DH_SERVER_LIMITS_DEFAULT;
    dh_memory_setup();
    char host[64];
    const char *colon = listen ? strrchr(listen, ':') : NULL;
    long port = colon ? strtol(colon + 1, NULL, 10) : -1;
    if (!colon || (size_t)(colon - listen) >= sizeof host || port < 0 || port > 65535) {
        dh_err_set(e, DH_E_INVALID, "invalid_listen", "listen",
                   "--listen must be HOST:PORT, e.g. 127.0.0.1:8080 (got '%s')",
                   listen ? listen : "");
        return NULL;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        dh_err_set(e, DH_E_INVALID, "invalid_listen", "listen",
                   "--listen host must be an IPv4 address such as 127.0.0.1 (got '%s')", host);
        return NULL;
    }
    const char *public_url = getenv("DIEUHANH_PUBLIC_URL");
    if (public_url && *public_url && strncmp(public_url, "https://", 8) != 0 &&
        strncmp(public_url, "http://", 7) != 0) {
        dh_err_set(e, DH_E_INVALID, "invalid_public_url", "DIEUHANH_PUBLIC_URL",
                   "DIEUHANH_PUBLIC_URL must start with https:// or http:// (got '%s')",
                   public_url);
        return NULL;
    }
    /* DIEUHANH_TRUSTED_PROXY: addresses separated by commas, each checked. */
    char trusted[256] = "";
    const char *tp = getenv("DIEUHANH_TRUSTED_PROXY");
    if (tp && *tp) {
        size_t len = 1;
        trusted[0] = ',';
        for (const char *p = tp; *p;) {
            size_t k = strcspn(p, ", ");
            char one[64];
            unsigned char addr[16];
            if (k && (k >= sizeof one || len + k + 2 > sizeof trusted ||
                      (snprintf(one, sizeof one, "%.*s", (int)k, p),
                       inet_pton(AF_INET, one, addr) != 1 && inet_pton(AF_INET6, one, addr) != 1))) {
                dh_err_set(e, DH_E_INVALID, "invalid_trusted_proxy", "DIEUHANH_TRUSTED_PROXY",
                           "DIEUHANH_TRUSTED_PROXY lists the proxies' addresses separated by "
                           "commas, e.g. 127.0.0.1,::1 (got '%.*s')", (int)k, p);
                return NULL;
            }
            if (k) {
                memcpy(trusted + len, p, k);
                len += k;
                trusted[len++] = ',';
                trusted[len] = '\0';
            }
            p += k;
            p += strspn(p, ", ");
        }
    }
    dh_server *s = dh_xcalloc(1, sizeof *s);
    s->app = app;
    snprintf(s->trusted, sizeof s->trusted, "%s", trusted[1] ? trusted : "");
    s->secure_cookies = public_url && strncmp(public_url, "https://", 8) == 0;
    s->lim = lim ? *lim : defaults;
    atomic_init(&s->in_flight, 0);
    for (size_t g = 0; g < sizeof groups / sizeof *groups; g++)
        for (const dh_route *r = groups[g]; r->method; r++)
            s->nroutes++;
    s->obs = dh_observer_new(s->nroutes);
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY |
                                MHD_USE_ERROR_LOG,
                            (uint16_t)port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &sa,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)4,
                            MHD_OPTION_CONNECTION_TIMEOUT, s->lim.idle_timeout,
                            MHD_OPTION_CONNECTION_LIMIT, s->lim.max_connections,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, s->lim.per_address,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
                            MHD_OPTION_URI_LOG_CALLBACK, on_target, s,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
    if (!s->d) {
        dh_err_set(e, DH_E_INTERNAL, "listen_failed", "listen",
                   "cannot listen on %s (is the port in use?)", listen);
        dh_observer_free(s->obs);
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : (int)port;
    s->warming = pthread_create(&s->warm, NULL, warm_up, app) == 0;
    return s;
}

int dh_server_port(const dh_server *s) { return s->port; }

void dh_server_stop(dh_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->d);
    if (s->warming)
        pthread_join(s->warm, NULL);
    dh_observer_free(s->obs);
    free(s);
}
