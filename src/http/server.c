/* server.c - libmicrohttpd glue: accepting requests with bounded bodies,
 * authenticating them, matching the route table, CSRF checks, and sending
 * replies.
 *
 * The path of a request: MHD calls on_request several times per request;
 * the first call allocates a request context, the middle ones append the
 * body (refusing past DH_HTTP_BODY_MAX), the last one dispatches: match a
 * route (404/405), authenticate (401), check CSRF for cookie-authenticated
 * writes (403), call the handler, send its reply.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "util/buf.h"
#include "util/text.h"

struct dh_server {
    struct MHD_Daemon *d;
    dh_app *app;
    int port;
    pthread_t warm; /* loads the aggregates while the first requests come in */
    bool warming;
    bool secure_cookies; /* DIEUHANH_PUBLIC_URL is https:// */
};

static void *warm_up(void *arg)
{
    dh_app_aggregates_warm(arg);
    return NULL;
}

static const dh_route *const groups[] = {dh_routes_health, dh_routes_auth, dh_routes_units,
                                         dh_routes_users, dh_routes_audit,
                                         dh_routes_calendars, dh_routes_dossiers,
                                         dh_routes_public, dh_routes_reports, dh_routes_indicators,
                                         dh_routes_pages, dh_routes_pages_dossiers,
                                         dh_routes_pages_admin, dh_routes_pages_plans, dh_routes_pages_targets,
                                         dh_routes_plans};

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

static void reply_error_full(dh_resp *rs, int status, const char *code, const char *field,
                             long line, const char *message)
{
    json_t *err = json_pack("{s:s,s:s,s:o,s:o}", "code", code, "message", message, "field",
                            field && *field ? json_string(field) : json_null(), "line",
                            line > 0 ? json_integer(line) : json_null());
    dh_reply_json_steal(rs, status, json_pack("{s:o}", "error", err));
}

void dh_reply_err(dh_resp *rs, const dh_err *e)
{
    int status = dh_err_http_status(e->status);
    reply_error_full(rs, status, e->code[0] ? e->code : "error", e->field, e->line, e->message);
    if (e->status == DH_E_DB)
        fprintf(stderr, "dieuhanh: %s: %s\n", e->code, e->message);
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

/* ------------------------------------------------------------------ */
/* Request helpers.                                                   */

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                                : -1;
}

const char *dh_req_form(dh_req *rq, const char *name, char *buf, size_t cap)
{
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
/* Dispatch.                                                          */

typedef struct req_ctx {
    dh_buf body;
    bool too_large;
    size_t max; /* the body limit of the route */
} req_ctx;

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

static void dispatch(dh_req *rq, dh_resp *rs)
{
    const dh_route *route = NULL;
    bool path_known = false;
    for (size_t g = 0; g < sizeof groups / sizeof *groups && !route; g++) {
        for (const dh_route *r = groups[g]; r->method && !route; r++) {
            if (match(r->pattern, rq->path, rq)) {
                path_known = true;
                if (strcmp(r->method, rq->method) == 0)
                    route = r;
            }
        }
    }
    if (!route) {
        if (path_known)
            dh_reply_error(rs, 405, "method_not_allowed", NULL, "%s is not allowed on %s",
                           rq->method, rq->path);
        else
            dh_reply_error(rs, 404, "not_found", NULL, "no such resource: %s", rq->path);
        return;
    }
    bool ok = true;
    MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, query_utf8_ok, &ok);
    if (!ok) {
        dh_reply_error(rs, 400, "invalid_utf8", NULL, "a query parameter is not valid UTF-8");
        return;
    }
    /* Authenticate: a bearer token first, else the session cookie. */
    const char *authz =
        MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *cookie = MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, "dh_session");
    bool via_cookie = false;
    const char *secret = NULL;
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
        } else if (e.status == DH_E_DB) {
            dh_reply_err(rs, &e);
            return;
        }
    }
    if (route->flags & DH_ROUTE_PAGE) {
        /* pages: the handler decides what a visitor who is not signed in
         * sees; a form write must carry the session's CSRF token */
        if (rq->authed && via_cookie && is_write(rq->method)) {
            char buf[128];
            const char *got = dh_req_form(rq, "csrf", buf, sizeof buf);
            char *want = dh_app_csrf_for(rq->secret);
            bool good = got && strcmp(got, want) == 0;
            free(want);
            if (!good) {
                dh_app_audit_denied(rq->app, &rq->actor, "csrf", "request", rq->path, "",
                                    rq->now);
                rs->status = 403;
                rs->content_type = "text/plain; charset=utf-8";
                rs->body = dh_xstrdup("403: biểu mẫu thiếu mã chống giả mạo (CSRF) — hãy tải "
                                      "lại trang.\n");
                return;
            }
        }
    } else if (!(route->flags & DH_ROUTE_PUBLIC)) {
        if (!rq->authed) {
            dh_reply_error(rs, 401, "unauthenticated", NULL,
                           secret ? "the session or token is unknown, expired or revoked"
                                  : "sign in first (POST /api/v1/login) or send a bearer token");
            return;
        }
        /* A write authenticated by cookie must prove it comes from our own
         * pages: the CSRF token travels in a header a foreign site cannot set. */
        if (via_cookie && is_write(rq->method)) {
            const char *got = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
                                                          "X-CSRF-Token");
            char *want = dh_app_csrf_for(rq->secret);
            bool good = got && strcmp(got, want) == 0;
            free(want);
            if (!good) {
                dh_app_audit_denied(rq->app, &rq->actor, "csrf", "request", rq->path, "",
                                    rq->now);
                dh_reply_error(rs, 403, "csrf_failed", NULL,
                               "a write with the session cookie needs the X-CSRF-Token header "
                               "given at sign-in");
                return;
            }
        }
    }
    route->handler(rq, rs);
}

static enum MHD_Result send_reply(struct MHD_Connection *c, dh_resp *rs)
{
    const char *body = rs->body ? rs->body : "";
    struct MHD_Response *r =
        MHD_create_response_from_buffer(rs->body_len ? rs->body_len : strlen(body), (void *)body,
                                        MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
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

/* The body limit of the route the request goes to (routes say DH_ROUTE_BULK). */
static size_t body_max(const char *method, const char *url)
{
    dh_req scratch = {0};
    for (size_t g = 0; g < sizeof groups / sizeof *groups; g++)
        for (const dh_route *r = groups[g]; r->method; r++)
            if (!strcmp(r->method, method) && match(r->pattern, url, &scratch))
                return r->flags & DH_ROUTE_BULK ? DH_HTTP_BULK_MAX : DH_HTTP_BODY_MAX;
    return DH_HTTP_BODY_MAX;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    dh_server *srv = cls;
    req_ctx *ctx = *con_cls;
    if (!ctx) {
        ctx = dh_xcalloc(1, sizeof *ctx);
        *con_cls = ctx;
        /* Refuse an announced oversized body before reading it. */
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        ctx->max = body_max(method, url);
        if (cl && strtoull(cl, NULL, 10) > ctx->max)
            ctx->too_large = true;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!ctx->too_large && ctx->body.len + *upload_size <= ctx->max)
            dh_buf_append(&ctx->body, upload_data, *upload_size);
        else
            ctx->too_large = true;
        *upload_size = 0;
        return MHD_YES;
    }
    dh_resp rs = {0};
    if (ctx->too_large) {
        dh_reply_error(&rs, 413, "too_large", NULL, "the body is larger than %zu bytes",
                       ctx->max);
    } else {
        dh_req rq = {0};
        rq.app = srv->app;
        rq.now = time(NULL);
        rq.method = method;
        rq.path = url;
        rq.conn = c;
        rq.body = ctx->body.p ? ctx->body.p : "";
        rq.body_len = ctx->body.len;
        rq.secure_cookies = srv->secure_cookies;
        client_ip(c, rq.ip, sizeof rq.ip);
        dispatch(&rq, &rs);
    }
    if (!rs.status)
        dh_reply_error(&rs, 500, "internal", NULL, "the handler gave no answer");
    enum MHD_Result ret = send_reply(c, &rs);
    free(rs.body);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    req_ctx *ctx = *con_cls;
    if (ctx) {
        dh_buf_free(&ctx->body);
        free(ctx);
        *con_cls = NULL;
    }
}

dh_server *dh_server_start(dh_app *app, const char *listen, dh_err *e)
{
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
    dh_server *s = dh_xcalloc(1, sizeof *s);
    s->app = app;
    s->secure_cookies = public_url && strncmp(public_url, "https://", 8) == 0;
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY |
                                MHD_USE_ERROR_LOG,
                            (uint16_t)port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &sa,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)4,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)512,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
    if (!s->d) {
        dh_err_set(e, DH_E_INTERNAL, "listen_failed", "listen",
                   "cannot listen on %s (is the port in use?)", listen);
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
    free(s);
}
