/* ep_open311.c - Open311 GeoReport v2 (issue 17) over citizen feedback, in
 * JSON and XML (the format is the resource's extension):
 *   GET  /open311/discovery.{fmt}                  the service discovery document
 *   GET  /open311/v2/services.{fmt}                our categories as services
 *   GET  /open311/v2/services/{code}.{fmt}         a service definition (attribute "commune")
 *   POST /open311/v2/requests.{fmt}                a request (form-encoded, api_key = an API
 *                                                  token of an account that may submit)
 *   GET  /open311/v2/requests.{fmt}                requests: service_request_id (comma-
 *                                                  separated), service_code, start_date,
 *                                                  end_date, status (open|closed); by default
 *                                                  the last 90 days, at most 1,000
 *   GET  /open311/v2/requests/{id}.{fmt}           one request
 * Errors: the HTTP status and [{"code":N,"description":"..."}] (XML <errors><error>).
 * No personal data is ever part of a GET answer. docs/API.md lists what is implemented. */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/http.h"
#include "core/feedback.h"
#include "store/feedback.h"
#include "util/buf.h"
#include "util/text.h"

#define O311_WINDOW_DAYS 90
#define O311_MAX 1000

/* ---- Replies in either format. -------------------------------------- */

typedef enum { FMT_JSON, FMT_XML } fmt;

/* "json" or "xml" (the extension, or a segment's after its last dot);
 * -1 for anything else. */
static int fmt_of(const char *ext)
{
    return !strcmp(ext, "json") ? FMT_JSON : !strcmp(ext, "xml") ? FMT_XML : -1;
}

static void xml_text(dh_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': dh_buf_puts(b, "&amp;"); break;
        case '<': dh_buf_puts(b, "&lt;"); break;
        case '>': dh_buf_puts(b, "&gt;"); break;
        case '"': dh_buf_puts(b, "&quot;"); break;
        case '\'': dh_buf_puts(b, "&apos;"); break;
        case '\t': case '\n': case '\r': dh_buf_putc(b, *s); break;
        default:
            /* XML 1.0 has no other control characters, not even escaped */
            if ((unsigned char)*s >= 0x20)
                dh_buf_putc(b, *s);
        }
    }
}

/* The element name of an array's items, by the array's own name. */
static const char *item_name(const char *array)
{
    static const char *const map[][2] = {
        {"services", "service"},   {"service_requests", "request"}, {"errors", "error"},
        {"attributes", "attribute"}, {"values", "value"},           {"endpoints", "endpoint"},
        {"formats", "format"},     {NULL, NULL}};
    for (int i = 0; map[i][0]; i++)
        if (!strcmp(map[i][0], array))
            return map[i][1];
    return "item";
}

static void xml_value(dh_buf *b, const char *name, json_t *v)
{
    dh_buf_printf(b, "<%s>", name);
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) xml_value(b, k, x);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) xml_value(b, item_name(name), x);
    } else if (json_is_string(v)) {
        xml_text(b, json_string_value(v));
    } else if (json_is_integer(v)) {
        dh_buf_printf(b, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        dh_buf_printf(b, "%.7g", json_real_value(v));
    } else if (json_is_boolean(v)) {
        dh_buf_puts(b, json_is_true(v) ? "true" : "false");
    }
    dh_buf_printf(b, "</%s>", name);
}

/* Replies body (stolen) in format f; root names the XML document element. */
static void reply(dh_resp *rs, int status, fmt f, const char *root, json_t *body)
{
    if (f == FMT_JSON) {
        dh_reply_json_steal(rs, status, body);
        return;
    }
    dh_buf b = {0};
    dh_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml_value(&b, root, body);
    json_decref(body);
    rs->status = status;
    free(rs->body);
    rs->body = dh_buf_steal(&b);
    rs->content_type = "text/xml; charset=utf-8";
}

static void error(dh_resp *rs, fmt f, int status, const char *fmtstr, ...)
    __attribute__((format(printf, 4, 5)));
static void error(dh_resp *rs, fmt f, int status, const char *fmtstr, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmtstr);
    vsnprintf(msg, sizeof msg, fmtstr, ap);
    va_end(ap);
    /* a message quoting input is cut at a byte count, maybe inside a
     * character: its valid UTF-8 prefix, or json_pack refuses it and the
     * error goes out without a body (fuzzing finding 5) */
    char cut[sizeof msg];
    reply(rs, status, f, "errors",
          json_pack("[{s:i, s:s}]", "code", status, "description",
                    dh_utf8_prefix(msg, cut, sizeof cut)));
}

static void error_of(dh_resp *rs, fmt f, const dh_err *e)
{
    int status = dh_err_http_status(e->status);
    /* the spec's codes: bad input is 400 */
    if (status == 422)
        status = 400;
    error(rs, f, status, "%s", e->message);
}

/* The format of a ".../name.{fmt}" route, or replies 404 and returns -1. */
static int fmt_param(dh_req *rq, dh_resp *rs, int i)
{
    int f = fmt_of(rq->params[i]);
    if (f < 0)
        dh_reply_error(rs, 404, "unknown_format", NULL, "formats: .json and .xml");
    return f;
}

/* Splits "ID.fmt" (a copy in out) into the ID and the format; -1 and a 404
 * reply when there is no known extension. */
static int split_id(dh_req *rq, dh_resp *rs, char *out, size_t cap)
{
    snprintf(out, cap, "%s", rq->params[0]);
    char *dot = strrchr(out, '.');
    int f = dot ? fmt_of(dot + 1) : -1;
    if (f < 0) {
        dh_reply_error(rs, 404, "unknown_format", NULL, "formats: .json and .xml");
        return -1;
    }
    *dot = '\0';
    return f;
}

/* ---- Discovery and services. ----------------------------------------- */

static void discovery(dh_req *rq, dh_resp *rs)
{
    int f = fmt_param(rq, rs, 0);
    if (f < 0)
        return;
    const char *base = getenv("DIEUHANH_PUBLIC_URL");
    char url[512];
    snprintf(url, sizeof url, "%s/open311/v2", base && *base ? base : "");
    json_t *d = json_pack(
        "{s:s, s:s, s:s, s:[{s:s, s:s, s:s, s:s, s:[s, s]}]}", "changeset",
        "2026-01-01T00:00:00+07:00", "contact", "Văn phòng UBND tỉnh (dieuhanh)", "key_service",
        "api_key: an API token, `dieuhanh user token LOGIN --name NAME`", "endpoints",
        "specification", "http://wiki.open311.org/GeoReport_v2", "url", url, "changeset",
        "2026-01-01T00:00:00+07:00", "type", "production", "formats", "text/xml",
        "application/json");
    reply(rs, 200, (fmt)f, "discovery", d);
}

static json_t *service_json(json_t *c)
{
    const char *code = json_string_value(json_object_get(c, "code"));
    const char *desc = json_string_value(json_object_get(c, "description"));
    return json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:s}", "service_code", code,
                     "service_name", json_string_value(json_object_get(c, "name")),
                     "description", desc ? desc : "", "metadata", 1, "type", "realtime",
                     "keywords", json_string_value(json_object_get(c, "keywords")), "group",
                     json_string_value(json_object_get(c, "group")));
}

static void services(dh_req *rq, dh_resp *rs)
{
    int f = fmt_param(rq, rs, 0);
    if (f < 0)
        return;
    dh_err e;
    json_t *cats;
    if (dh_app_fb_categories(rq->app, NULL, false, &cats, &e)) {
        error_of(rs, (fmt)f, &e);
        return;
    }
    json_t *out = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(cats, i, c) if (json_is_true(json_object_get(c, "active")))
        json_array_append_new(out, service_json(c));
    json_decref(cats);
    reply(rs, 200, (fmt)f, "services", out);
}

static void service_def(dh_req *rq, dh_resp *rs)
{
    char code[256];
    int f = split_id(rq, rs, code, sizeof code);
    if (f < 0)
        return;
    dh_err e;
    json_t *cats;
    if (dh_app_fb_categories(rq->app, code, false, &cats, &e)) {
        error(rs, (fmt)f, 404, "unknown service_code '%s'", code);
        return;
    }
    json_decref(cats);
    json_t *d = json_pack(
        "{s:s, s:[{s:b, s:s, s:s, s:b, s:s, s:i, s:s}]}", "service_code", code, "attributes",
        "variable", 1, "code", "commune", "datatype", "string", "required", 0,
        "datatype_description", "Mã phường, xã (đơn vị hành chính cấp xã đang có hiệu lực)",
        "order", 1, "description", "Phường, xã nơi phản ánh");
    reply(rs, 200, (fmt)f, "service_definition", d);
}

/* ---- Requests. ------------------------------------------------------- */

static void post_requests(dh_req *rq, dh_resp *rs)
{
    int f = fmt_param(rq, rs, 0);
    if (f < 0)
        return;
    static _Thread_local char v[13][4096];
    static const char *const names[] = {"api_key", "service_code", "lat", "long",
                                        "address_string", "address_id", "description", "email",
                                        "first_name", "last_name", "phone", "attribute[commune]",
                                        "media_url"};
    const char *p[13];
    for (int i = 0; i < 13; i++)
        p[i] = dh_req_form(rq, names[i], v[i], sizeof v[i]) ? v[i] : NULL;
    /* dh_req_form compares names as sent: attribute[commune] may come
     * percent-encoded. */
    if (!p[11])
        p[11] = dh_req_form(rq, "attribute%5Bcommune%5D", v[11], sizeof v[11]);
    if (!p[11])
        p[11] = dh_req_form(rq, "attribute%5bcommune%5d", v[11], sizeof v[11]);
    dh_actor a;
    dh_err e;
    if (!p[0] || !*p[0] || dh_app_authenticate(rq->app, p[0], rq->now, &a, &e) != DH_OK) {
        error(rs, (fmt)f, 403, "%s", "Invalid api_key received -- can't proceed with create_request.");
        return;
    }
    snprintf(a.ip, sizeof a.ip, "%s", rq->ip);
    if (!p[1] || !*p[1]) {
        error(rs, (fmt)f, 400, "%s", "service_code is required");
        return;
    }
    if (!(p[2] && p[3]) && !(p[4] && *p[4]) && !(p[5] && *p[5])) {
        error(rs, (fmt)f, 400, "%s",
              "a location is required: lat and long, address_string or address_id");
        return;
    }
    json_t *b = json_pack("{s:s}", "category", p[1]);
    if (p[6])
        json_object_set_new(b, "description", json_string(p[6]));
    if (p[2] && p[3]) {
        char *e1, *e2;
        double la = strtod(p[2], &e1), lo = strtod(p[3], &e2);
        if (!*p[2] || *e1 || !*p[3] || *e2) {
            json_decref(b);
            error(rs, (fmt)f, 400, "%s", "lat and long are decimal degrees (WGS84)");
            return;
        }
        json_object_set_new(b, "lat", json_real(la));
        json_object_set_new(b, "long", json_real(lo));
    }
    if (p[4] && *p[4])
        json_object_set_new(b, "address", json_string(p[4]));
    if (p[11] && *p[11])
        json_object_set_new(b, "commune", json_string(p[11]));
    if (p[12] && *p[12]) {
        if (!dh_fb_media_url_valid(p[12])) {
            json_decref(b);
            error(rs, (fmt)f, 400, "%s", "media_url must be an http:// or https:// URL");
            return;
        }
        json_object_set_new(b, "media_url", json_string(p[12]));
    }
    if (p[7] || p[8] || p[9] || p[10]) {
        char name[8300];
        snprintf(name, sizeof name, "%s%s%s", p[8] ? p[8] : "", p[8] && p[9] ? " " : "",
                 p[9] ? p[9] : "");
        json_object_set_new(b, "contact", json_pack("{s:s, s:s, s:s}", "name", name, "email",
                                                     p[7] ? p[7] : "", "phone",
                                                     p[10] ? p[10] : ""));
    }
    json_t *out = NULL;
    dh_status st = dh_app_fb_submit(rq->app, &a, b, "open311", false, rq->ip, rq->now, &out, &e);
    json_decref(b);
    if (st) {
        if (st == DH_E_INVALID && !strcmp(e.code, "unknown_category"))
            error(rs, (fmt)f, 404, "unknown service_code '%s'", p[1]);
        else
            error_of(rs, (fmt)f, &e);
        return;
    }
    char notice[512];
    snprintf(notice, sizeof notice,
             "Đã tiếp nhận phản ánh %s. Thời hạn trả lời: %s. Tra cứu bằng mã này.",
             json_string_value(json_object_get(out, "code")),
             json_string_value(json_object_get(out, "answer_due")));
    json_t *r = json_pack("[{s:s, s:s, s:n}]", "service_request_id",
                          json_string_value(json_object_get(out, "code")), "service_notice",
                          notice, "account_id");
    json_decref(out);
    reply(rs, 201, (fmt)f, "service_requests", r);
}

static const char *nz(const char *s) { return s ? s : ""; }

/* ---- Requests, written straight into the reply. ----------------------- */

/* A list of requests is written into one buffer as it is read, in either
 * format: a thousand requests built as jansson trees and then serialised
 * cost three times the reading of their rows (docs/benchmarks.md). The
 * output is what reply() gives for the same values. */
typedef struct req_writer {
    dh_buf b;
    fmt f;
    size_t n;     /* requests written */
    bool first;   /* no field yet in the current request */
    json_t *names; /* {category code: name} */
} req_writer;

static void rw_begin(req_writer *w, fmt f, json_t *names)
{
    *w = (req_writer){DH_BUF_INIT, f, 0, true, names};
    if (f == FMT_JSON)
        dh_buf_putc(&w->b, '[');
    else
        dh_buf_puts(&w->b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<service_requests>");
}

/* The start of a field: its key (JSON) or its opening tag (XML). */
static void rw_key(req_writer *w, const char *k)
{
    /* no printf here: a page of requests has 17,000 fields */
    if (w->f == FMT_JSON) {
        dh_buf_puts(&w->b, w->first ? "\"" : ",\"");
        dh_buf_puts(&w->b, k);
        dh_buf_puts(&w->b, "\":");
    } else {
        dh_buf_putc(&w->b, '<');
        dh_buf_puts(&w->b, k);
        dh_buf_putc(&w->b, '>');
    }
    w->first = false;
}

static void rw_end_key(req_writer *w, const char *k)
{
    if (w->f == FMT_XML) {
        dh_buf_puts(&w->b, "</");
        dh_buf_puts(&w->b, k);
        dh_buf_putc(&w->b, '>');
    }
}

/* A string field; NULL is JSON null (an empty element in XML). Stored text
 * is valid UTF-8 (checked on input); were it not, its valid prefix and "…"
 * are written, as the error replies do. */
static void rw_str(req_writer *w, const char *k, const char *v)
{
    rw_key(w, k);
    char cut[4096];
    if (v)
        v = dh_utf8_prefix(v, cut, sizeof cut);
    if (w->f == FMT_XML)
        xml_text(&w->b, nz(v));
    else if (v)
        dh_buf_json_str(&w->b, v); /* valid UTF-8: see above */
    else
        dh_buf_puts(&w->b, "null");
    rw_end_key(w, k);
}

/* An instant as ISO 8601 with the +07:00 offset; null for none. */
static void rw_time(req_writer *w, const char *k, time_t t)
{
    char s[DH_TIME_ISO_VN_LEN];
    if (t)
        dh_time_format_iso_vn(t, s);
    rw_str(w, k, t ? s : NULL);
}

/* A coordinate: jansson's form in JSON (17 digits, always a fraction or an
 * exponent), 7 digits in XML as xml_value writes reals; absent is null. */
static void rw_real(req_writer *w, const char *k, bool has, double v)
{
    rw_key(w, k);
    if (!has || !isfinite(v)) { /* JSON has no NaN or infinity */
        if (w->f == FMT_JSON)
            dh_buf_puts(&w->b, "null");
    } else if (w->f == FMT_XML) {
        dh_buf_printf(&w->b, "%.7g", v);
    } else {
        char s[40];
        snprintf(s, sizeof s, "%.17g", v);
        dh_buf_puts(&w->b, s);
        if (!strpbrk(s, ".eEna"))
            dh_buf_puts(&w->b, ".0");
    }
    rw_end_key(w, k);
}

/* A stored record as an Open311 request, from its summary columns: no
 * contact, whatever the caller. */
static int rw_request(void *closure, const dh_fb_record_row *rec, const char *unit_name)
{
    req_writer *w = closure;
    dh_fb_state st = DH_FB_RECEIVED;
    dh_fb_state_parse(nz(rec->state), &st);
    const char *notes = *nz(rec->answer) ? rec->answer : nz(rec->reason);
    const char *cat = nz(rec->category);
    const char *sname = json_string_value(json_object_get(w->names, cat));
    if (w->f == FMT_JSON)
        dh_buf_puts(&w->b, w->n ? ",{" : "{");
    else
        dh_buf_puts(&w->b, "<request>");
    w->first = true;
    rw_str(w, "service_request_id", nz(rec->code));
    rw_str(w, "status", dh_fb_state_open(st) ? "open" : "closed");
    rw_str(w, "status_notes", notes);
    rw_str(w, "service_name", sname ? sname : cat);
    rw_str(w, "service_code", cat);
    rw_str(w, "description", nz(rec->description));
    rw_str(w, "agency_responsible", unit_name);
    rw_str(w, "service_notice", "");
    rw_time(w, "requested_datetime", rec->received_at);
    rw_time(w, "updated_datetime", rec->updated_at);
    rw_time(w, "expected_datetime", rec->answer_due);
    rw_str(w, "address", nz(rec->address));
    rw_str(w, "address_id", "");
    rw_str(w, "zipcode", "");
    rw_real(w, "lat", rec->has_location, rec->lat);
    rw_real(w, "long", rec->has_location, rec->lon);
    /* as the client gave it, or our first stored image (its path made
     * absolute with DIEUHANH_PUBLIC_URL when set); the image itself is
     * served to the handling unit's officers only */
    const char *media = nz(rec->media_url);
    const char *base = getenv("DIEUHANH_PUBLIC_URL");
    char url[2400];
    size_t bl = base ? strlen(base) : 0;
    if (bl && base[bl - 1] == '/')
        bl--;
    if (media[0] == '/' && bl)
        snprintf(url, sizeof url, "%.*s%s", (int)bl, base, media);
    else
        snprintf(url, sizeof url, "%s", media);
    rw_str(w, "media_url", url);
    dh_buf_puts(&w->b, w->f == FMT_JSON ? "}" : "</request>");
    w->n++;
    return 0;
}

/* Replies the list written so far (200) and frees the writer. */
static void rw_reply(req_writer *w, dh_resp *rs)
{
    dh_buf_puts(&w->b, w->f == FMT_JSON ? "]" : "</service_requests>");
    rs->status = 200;
    free(rs->body);
    rs->body = dh_buf_steal(&w->b);
    rs->content_type =
        w->f == FMT_JSON ? "application/json; charset=utf-8" : "text/xml; charset=utf-8";
}

/* {category code: name} */
static json_t *service_names(dh_app *app)
{
    json_t *cats, *m = json_object();
    dh_err e;
    if (dh_app_fb_categories(app, NULL, false, &cats, &e) == DH_OK) {
        size_t i;
        json_t *c;
        json_array_foreach(cats, i, c) json_object_set(
            m, json_string_value(json_object_get(c, "code")), json_object_get(c, "name"));
        json_decref(cats);
    }
    return m;
}

/* Writes the public records f selects as requests, built from the
 * records' summary columns (no working-time status). */
static dh_status append_requests(dh_req *rq, const dh_fb_filter *f, req_writer *w, dh_err *e)
{
    return dh_app_fb_each_public(rq->app, f, rq->now, rw_request, w, e);
}

static int time_param(dh_req *rq, const char *name, time_t *out)
{
    const char *s = dh_req_query(rq, name);
    if (!s)
        return 0;
    return dh_time_parse(s, out) ? -1 : 1;
}

static void get_requests(dh_req *rq, dh_resp *rs)
{
    int f = fmt_param(rq, rs, 0);
    if (f < 0)
        return;
    time_t start = 0, end = 0;
    int hs = time_param(rq, "start_date", &start), he = time_param(rq, "end_date", &end);
    if (hs < 0 || he < 0) {
        error(rs, (fmt)f, 400, "%s", "start_date and end_date are ISO 8601 date-times");
        return;
    }
    const char *status = dh_req_query(rq, "status");
    if (status && strcmp(status, "open") && strcmp(status, "closed")) {
        error(rs, (fmt)f, 400, "%s", "status is open or closed");
        return;
    }
    /* The default window: the last 90 days (before end_date when given). */
    if (!hs)
        start = (he ? end : rq->now) - (time_t)O311_WINDOW_DAYS * 86400;
    if (!he)
        end = hs ? start + (time_t)O311_WINDOW_DAYS * 86400 : rq->now + 1;
    dh_fb_filter flt = {0};
    flt.category = dh_req_query(rq, "service_code");
    flt.open = !status ? 0 : !strcmp(status, "open") ? 1 : -1;
    flt.from = start;
    flt.to = end;
    flt.limit = O311_MAX;
    req_writer w;
    rw_begin(&w, (fmt)f, service_names(rq->app));
    const char *ids = dh_req_query(rq, "service_request_id");
    dh_err e;
    dh_status st = DH_OK;
    if (ids && *ids) {
        /* Given ids: the window does not apply. */
        char buf[4096];
        snprintf(buf, sizeof buf, "%s", ids);
        char *save = NULL;
        int n = 0;
        for (char *id = strtok_r(buf, ",", &save); id && st == DH_OK && n < O311_MAX;
             id = strtok_r(NULL, ",", &save), n++) {
            dh_fb_filter one = {.code = id, .category = flt.category, .open = flt.open};
            st = append_requests(rq, &one, &w, &e);
        }
    } else {
        st = append_requests(rq, &flt, &w, &e);
    }
    json_decref(w.names);
    if (st) {
        dh_buf_free(&w.b);
        error_of(rs, (fmt)f, &e);
        return;
    }
    rw_reply(&w, rs);
}

static void get_request(dh_req *rq, dh_resp *rs)
{
    char id[256];
    int f = split_id(rq, rs, id, sizeof id);
    if (f < 0)
        return;
    dh_fb_filter one = {.code = id};
    req_writer w;
    rw_begin(&w, (fmt)f, service_names(rq->app));
    dh_err e;
    dh_status st = append_requests(rq, &one, &w, &e);
    json_decref(w.names);
    if (st || w.n == 0) {
        dh_buf_free(&w.b);
        if (st)
            error_of(rs, (fmt)f, &e);
        else
            error(rs, (fmt)f, 404, "unknown service_request_id '%s'", id);
        return;
    }
    rw_reply(&w, rs);
}

const dh_route dh_routes_open311[] = {
    {"GET", "/open311/discovery.{}", discovery, DH_ROUTE_PUBLIC},
    {"GET", "/open311/v2/services.{}", services, DH_ROUTE_PUBLIC},
    {"GET", "/open311/v2/services/{}", service_def, DH_ROUTE_PUBLIC},
    {"POST", "/open311/v2/requests.{}", post_requests, DH_ROUTE_PUBLIC},
    {"GET", "/open311/v2/requests.{}", get_requests, DH_ROUTE_PUBLIC},
    {"GET", "/open311/v2/requests/{}", get_request, DH_ROUTE_PUBLIC},
    {0, 0, 0, 0},
};
