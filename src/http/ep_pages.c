/* ep_pages.c - the leaders' dashboard (issue 6): sign-in, the overview
 * (Tổng quan), a unit's page, the 766 index page, the static assets and
 * the language switch.
 *   GET  /                     -> /tong-quan
 *   GET  /dang-nhap, POST /dang-nhap, POST /dang-xuat
 *   GET  /tong-quan?unit=&period=|from=&to=
 *   GET  /don-vi/{code}?period=
 *   GET  /chi-so-766?unit=&period=
 *   GET  /ngon-ngu?lang=vi|en&back=PATH
 *   GET  /static/app.css, /static/app.js, /static/doc.css (the printable documents),
 *        and each at /static/<version>/NAME (cached for a year)
 * Every figure comes from the same app functions as the API (so the pages
 * and the API cannot disagree); permissions are the API's (an officer sees
 * only their subtree). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/period.h"
#include "http/pages.h"
#include "util/asset.h"
#include "util/html.h"

/* ---- Assets and language. ------------------------------------------------- */

/* A static file. At its versioned URL (/static/<version>/NAME, the one the
 * pages link to: util/asset.h) it is cached for a year, as that URL names
 * this content only; at a version that is not the current one (a page
 * cached before an upgrade) the current content is sent, revalidated on
 * every use; at the plain URL it is cached for an hour. */
static void asset(dh_req *rq, dh_resp *rs, const char *content, const char *type)
{
    rs->status = 200;
    rs->body = dh_xstrdup(content);
    rs->content_type = type;
    if (rq->nparams == 0)
        rs->cache = "public, max-age=3600";
    else if (strcmp(rq->params[0], dh_asset_tag(content)) == 0)
        rs->cache = "public, max-age=31536000, immutable";
    else
        rs->cache = "no-cache";
}

static void get_css(dh_req *rq, dh_resp *rs)
{
    asset(rq, rs, dh_web_css, "text/css; charset=utf-8");
}

static void get_doc_css(dh_req *rq, dh_resp *rs)
{
    asset(rq, rs, dh_html_doc_css, "text/css; charset=utf-8");
}

static void get_js(dh_req *rq, dh_resp *rs)
{
    asset(rq, rs, dh_web_js, "text/javascript; charset=utf-8");
}

static void get_icon(dh_req *rq, dh_resp *rs)
{
    rs->status = 200;
    rs->body = dh_xstrdup("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 32 32\">"
                          "<rect width=\"32\" height=\"32\" rx=\"6\" fill=\"#0b2f5c\"/>"
                          "<path d=\"M7 22 13 14 18 18 25 9\" stroke=\"#f2a900\" "
                          "stroke-width=\"3\" fill=\"none\"/></svg>");
    rs->content_type = "image/svg+xml";
    rs->cache = "public, max-age=86400";
}

static void get_lang(dh_req *rq, dh_resp *rs)
{
    const char *lang = dh_req_query(rq, "lang"), *back = dh_req_query(rq, "back");
    bool en = lang && !strcmp(lang, "en");
    snprintf(rs->set_cookie, sizeof rs->set_cookie,
             "dh_lang=%s; Path=/; SameSite=Strict; Max-Age=31536000%s", en ? "en" : "vi",
             rq->secure_cookies ? "; Secure" : "");
    dh_reply_redirect(rs, dh_page_local_target(back));
}

static void get_root(dh_req *rq, dh_resp *rs) { dh_reply_redirect(rs, "/tong-quan"); }

/* ---- Sign-in. ------------------------------------------------------------- */

static void login_form(dh_req *rq, dh_resp *rs, const char *error, const char *login, int status)
{
    dh_page pg;
    dh_pages_init(rq, &pg);
    pg.a = NULL;
    dh_page_begin(&pg, L(&pg, "Đăng nhập", "Sign in"), "");
    dh_page_raw(&pg, "<form class=\"login\" method=\"post\" action=\"/dang-nhap\">");
    dh_page_csrf(&pg);
    if (error) {
        dh_page_raw(&pg, "<p class=\"err\" role=\"alert\">");
        dh_page_text(&pg, error);
        dh_page_raw(&pg, "</p>");
    }
    const char *next = dh_req_query(rq, "next");
    dh_page_raw(&pg, "<input type=\"hidden\" name=\"next\" value=\"");
    dh_page_attr(&pg, next ? dh_page_local_target(next) : "/tong-quan");
    dh_page_raw(&pg, "\"><label>");
    dh_page_text(&pg, L(&pg, "Tên đăng nhập", "User name"));
    dh_page_raw(&pg, "<input name=\"login\" autocomplete=\"username\" required value=\"");
    dh_page_attr(&pg, login ? login : "");
    dh_page_raw(&pg, "\"></label><label>");
    dh_page_text(&pg, L(&pg, "Mật khẩu", "Password"));
    dh_page_raw(&pg, "<input name=\"password\" type=\"password\" autocomplete=\"current-password\" "
                     "required></label><button type=\"submit\">");
    dh_page_text(&pg, L(&pg, "Đăng nhập", "Sign in"));
    dh_page_raw(&pg, "</button></form><p><a href=\"/tra-cuu\">");
    dh_page_text(&pg, L(&pg, "Tra cứu hồ sơ (không cần đăng nhập)",
                        "Look up a dossier (no sign-in needed)"));
    dh_page_raw(&pg, "</a></p>");
    dh_pages_send(rs, &pg, status);
}

static void get_login(dh_req *rq, dh_resp *rs) { login_form(rq, rs, NULL, NULL, 200); }

static void post_login(dh_req *rq, dh_resp *rs)
{
    char lb[200], pb[300], nb[500];
    const char *login = dh_req_form(rq, "login", lb, sizeof lb),
               *password = dh_req_form(rq, "password", pb, sizeof pb),
               *next = dh_req_form(rq, "next", nb, sizeof nb);
    if (!login || !password || !*login || !*password) {
        login_form(rq, rs, "Nhập tên đăng nhập và mật khẩu.", login, 422);
        return;
    }
    char *token = NULL, *csrf = NULL;
    json_t *user = NULL;
    int retry = 0;
    dh_err e;
    if (dh_app_login(rq->app, login, password, rq->ip, rq->now, &token, &csrf, &user, &retry,
                     &e)) {
        rs->retry_after = retry;
        login_form(rq, rs,
                   e.status == DH_E_THROTTLED ? "Đăng nhập sai quá nhiều lần, hãy thử lại sau."
                                         : "Sai tên đăng nhập hoặc mật khẩu.",
                   login, dh_err_http_status(e.status));
        return;
    }
    dh_reply_session_cookie(rq, rs, token);
    free(token);
    free(csrf);
    json_decref(user);
    dh_reply_redirect(rs, dh_page_local_target(next));
}

static void post_logout(dh_req *rq, dh_resp *rs)
{
    dh_err e;
    if (rq->authed)
        dh_app_logout(rq->app, &rq->actor, rq->now, &e);
    dh_reply_session_cookie(rq, rs, NULL);
    dh_reply_redirect(rs, "/dang-nhap");
}

/* ---- Overview and unit pages. --------------------------------------------- */

static void card(dh_page *pg, const char *cls, const char *label, const char *href,
                 void (*value)(dh_page *, const json_t *), const json_t *v)
{
    dh_page_raw(pg, "<div class=\"card ");
    dh_page_raw(pg, cls);
    dh_page_raw(pg, "\"><div class=\"v\">");
    if (href) {
        dh_page_raw(pg, "<a href=\"");
        dh_page_attr(pg, href);
        dh_page_raw(pg, "\">");
    }
    value(pg, v);
    if (href)
        dh_page_raw(pg, "</a>");
    dh_page_raw(pg, "</div><div class=\"k\">");
    dh_page_text(pg, label);
    dh_page_raw(pg, "</div></div>");
}

static void int_value(dh_page *pg, const json_t *v) { dh_page_int(pg, (long long)json_integer_value(v)); }

/* Citizen feedback (issue 17) of the unit and its subtree in the period: the
 * figures of the `feedback` group of /api/v1/kpis; nothing when unreadable. */
/* Fully online services (issue 19, point 8): the share of the procedures
 * the unit offers that are fully online ("toàn trình") and of the dossiers
 * received through them; nothing when unreadable. */
static void full_online_cards(dh_req *rq, dh_page *pg, const char *unit, const dh_period *p)
{
    dh_err e;
    json_t *f = NULL;
    if (dh_app_full_online(rq->app, &rq->actor, unit, p->from, p->to, rq->now, &f, &e))
        return;
    card(pg, "", L(pg, "Thủ tục trực tuyến toàn trình", "Procedures fully online"), NULL,
         dh_page_pct, json_object_get(f, "full_online_procedure_rate"));
    card(pg, "",
         L(pg, "Hồ sơ qua dịch vụ trực tuyến toàn trình", "Dossiers of fully online services"),
         NULL, dh_page_pct, json_object_get(f, "full_online_dossier_rate"));
    json_decref(f);
}

static void feedback_cards(dh_req *rq, dh_page *pg, const char *unit, const dh_period *p)
{
    dh_err e;
    json_t *f = NULL;
    if (dh_app_fb_kpis_scope(rq->app, &rq->actor, unit, true, p->from, p->to, rq->now, &f, &e))
        return;
    char href[600];
    dh_page_raw(pg, "<section aria-labelledby=\"h-pakn\"><h2 id=\"h-pakn\">");
    dh_page_text(pg, L(pg, "Phản ánh, kiến nghị trong kỳ", "Citizen feedback in the period"));
    dh_page_raw(pg, "</h2><div class=\"cards\">");
    card(pg, "", L(pg, "Phản ánh tiếp nhận", "Feedback received"), NULL, int_value,
         json_object_get(f, "received"));
    card(pg, "good", L(pg, "Phản ánh trả lời đúng hạn", "Answered on time"), NULL, int_value,
         json_object_get(f, "answered_on_time"));
    card(pg, "bad", L(pg, "Phản ánh trả lời trễ hạn", "Answered late"), NULL, int_value,
         json_object_get(f, "answered_late"));
    snprintf(href, sizeof href, "/xu-ly-phan-anh?unit=%s", unit);
    card(pg, "bad", L(pg, "Phản ánh đang mở quá hạn", "Open over deadline"), href, int_value,
         json_object_get(f, "open_over_deadline"));
    card(pg, "", L(pg, "Tỷ lệ trả lời phản ánh đúng hạn", "Feedback answered on time"), NULL,
         dh_page_pct, json_object_get(f, "on_time_rate"));
    card(pg, "", L(pg, "Hài lòng với xử lý phản ánh", "Satisfied with feedback handling"), NULL,
         dh_page_pct, json_object_get(f, "satisfaction_rate"));
    dh_page_raw(pg, "</div></section>");
    json_decref(f);
}

/* The figures of a unit (with its subtree) for the period, the trend, the
 * 766 index and the children; shared by /tong-quan and /don-vi/{code}. */
static void unit_dashboard(dh_req *rq, dh_resp *rs, dh_page *pg, const char *unit,
                           const char *title, const char *nav)
{
    dh_period p;
    char label[64];
    if (dh_pages_period(rq, rs, pg, &p, label, sizeof label))
        return;
    dh_err e;
    json_t *k = NULL, *trend = NULL, *idx = NULL;
    if (dh_app_kpis(rq->app, &rq->actor, unit, true, p.from, p.to, NULL, 0, rq->now, &k, &e)) {
        dh_pages_error(rs, pg, &e);
        return;
    }
    /* 12 months up to the end of the period */
    int y, m, d;
    dh_date_to_ymd(p.to, &y, &m, &d);
    int y0 = m == 12 ? y : y - 1, m0 = m == 12 ? 1 : m + 1;
    dh_app_kpis(rq->app, &rq->actor, unit, true, dh_date_from_ymd(y0, m0, 1), p.to, "month", 0,
                rq->now, &trend, &e);
    dh_app_index766(rq->app, &rq->actor, unit, p.from, p.to, label, rq->now, &idx, &e);
    const dh_unitreg *reg = dh_app_units_acquire(rq->app, &e);
    char name[400];
    dh_app_unit_name_in(reg, unit, p.to, name, sizeof name);
    char full[600];
    snprintf(full, sizeof full, "%s — %s", title, name);
    dh_page_begin(pg, full, nav);
    dh_pages_period_form(pg, rq->path, strcmp(nav, "tong-quan") ? NULL : unit, label);
    char f[DH_DATE_TEXT_LEN], t[DH_DATE_TEXT_LEN];
    dh_date_format(p.from, f);
    dh_date_format(p.to, t);
    dh_page_raw(pg, "<p>");
    dh_page_text(pg, L(pg, "Số liệu từ ngày ", "Figures from "));
    dh_page_text(pg, f);
    dh_page_text(pg, L(pg, " đến hết ngày ", " to the end of "));
    dh_page_text(pg, t);
    dh_page_text(pg, L(pg, " (đơn vị và các đơn vị trực thuộc).", " (the unit and its subtree)."));
    dh_page_raw(pg, "</p>");
    json_t *o = json_array_get(json_object_get(k, "items"), 0);
    if (!o)
        o = json_object_get(k, "total");
    char href[600];
    dh_page_raw(pg, "<section aria-labelledby=\"h-today\"><h2 id=\"h-today\">");
    dh_page_text(pg, L(pg, "Hồ sơ trong kỳ", "Dossiers in the period"));
    dh_page_raw(pg, "</h2><div class=\"cards\">");
    card(pg, "", L(pg, "Tiếp nhận (kể cả kỳ trước chuyển qua)", "Received (incl. carried over)"),
         NULL, int_value, json_object_get(o, "received_total"));
    card(pg, "", L(pg, "Đã giải quyết", "Resolved"), NULL, int_value,
         json_object_get(o, "resolved_total"));
    card(pg, "", L(pg, "Đang giải quyết", "In progress"), NULL, int_value,
         json_object_get(o, "in_progress_total"));
    snprintf(href, sizeof href, "/ho-so?unit=%s&state=overdue", unit);
    card(pg, "bad", L(pg, "Đang quá hạn", "Overdue now"), href, int_value,
         json_object_get(o, "overdue"));
    snprintf(href, sizeof href, "/ho-so?unit=%s&state=at_risk", unit);
    /* counted up to 500 as before, without making the rows' JSON */
    dh_dossier_query q = {unit, true, "at_risk", NULL, NULL, 0, 0, 0, 500, NULL, NULL, NULL};
    json_t *risk_n = NULL;
    int64_t nrisk = 0;
    if (dh_app_dossier_count(rq->app, &rq->actor, &q, rq->now, 499, &nrisk, &e) == DH_OK)
        risk_n = json_integer((json_int_t)nrisk);
    card(pg, "warn", L(pg, "Sắp đến hạn", "Due soon (at risk)"), href, int_value, risk_n);
    json_decref(risk_n);
    card(pg, "good", L(pg, "Đúng hạn (trước và đúng hạn)", "On time (early or on time)"), NULL,
         dh_page_pct, json_object_get(o, "on_time_rate"));
    card(pg, "", L(pg, "Trực tuyến", "Online"), NULL, dh_page_pct,
         json_object_get(o, "online_rate"));
    card(pg, "", L(pg, "Trực tuyến do người dân tự nộp", "Online by the applicant"), NULL,
         dh_page_pct, json_object_get(o, "online_by_applicant_rate"));
    card(pg, "", L(pg, "Thanh toán trực tuyến", "Paid online"), NULL, dh_page_pct,
         json_object_get(o, "online_payment_rate"));
    full_online_cards(rq, pg, unit, &p);
    card(pg, "", L(pg, "Hài lòng", "Satisfied"), NULL, dh_page_pct,
         json_object_get(o, "satisfaction_rate"));
    dh_page_raw(pg, "</div></section>");
    feedback_cards(rq, pg, unit, &p);
    dh_pages_task_alerts(rq, pg, unit);

    /* the trend */
    json_t *months = json_object_get(trend, "items");
    size_t nm = json_array_size(months);
    if (nm) {
        const char **labels = dh_xcalloc(nm, sizeof *labels);
        double *ot = dh_xcalloc(nm, sizeof *ot), *ap = dh_xcalloc(nm, sizeof *ap);
        char (*lb)[8] = dh_xcalloc(nm, sizeof *lb);
        for (size_t i = 0; i < nm; i++) {
            json_t *it = json_array_get(months, i);
            labels[i] = dh_pages_month_label(it, lb[i]);
            ot[i] = dh_pages_num(it, "on_time_rate");
            ap[i] = dh_pages_num(it, "online_by_applicant_rate");
        }
        dh_page_raw(pg, "<section aria-labelledby=\"h-trend\"><h2 id=\"h-trend\">");
        dh_page_text(pg, L(pg, "Xu hướng 12 tháng", "12-month trend"));
        dh_page_raw(pg, "</h2><div class=\"two\">");
        dh_svg_line(pg, L(pg, "Tỷ lệ giải quyết đúng hạn (%), mục tiêu 98%",
                          "On-time rate (%), target 98%"),
                    labels, ot, nm, 98, "%");
        dh_svg_line(pg, L(pg, "Tỷ lệ nộp trực tuyến do người dân tự nộp (%), mục tiêu 70%",
                          "Online by the applicant (%), target 70%"),
                    labels, ap, nm, 70, "%");
        dh_page_raw(pg, "</div></section>");
        free(labels);
        free(ot);
        free(ap);
        free(lb);
    }

    dh_pages_trends(rq, pg, unit, p.to);

    /* the 766 index */
    if (idx) {
        dh_page_raw(pg, "<section aria-labelledby=\"h-766\"><h2 id=\"h-766\">");
        dh_page_text(pg, L(pg, "Chỉ số phục vụ (Quyết định 766)", "Service index (Decision 766)"));
        dh_page_raw(pg, "</h2><p><a href=\"/chi-so-766?unit=");
        dh_page_urlenc(pg, unit);
        dh_page_raw(pg, "&amp;period=");
        dh_page_urlenc(pg, label);
        dh_page_raw(pg, "\"><strong class=\"score\">");
        dh_page_fmt(pg, "%.2f", json_number_value(json_object_get(idx, "total")));
        dh_page_raw(pg, "</strong></a> / 100 ");
        dh_page_text(pg, L(pg, "điểm (tính được trên ", "points (computable on "));
        dh_page_fmt(pg, "%.0f", json_number_value(json_object_get(idx, "max_available")));
        dh_page_text(pg, L(pg, " điểm; quy về thang 100: ", " points; scaled to 100: "));
        dh_page_fmt(pg, "%.2f", json_number_value(json_object_get(idx, "score_100")));
        dh_page_raw(pg, ")</p>");
        size_t i;
        json_t *g;
        size_t ng = json_array_size(json_object_get(idx, "groups"));
        const char **gl = dh_xcalloc(ng ? ng : 1, sizeof *gl);
        double *gv = dh_xcalloc(ng ? ng : 1, sizeof *gv);
        json_array_foreach(json_object_get(idx, "groups"), i, g)
        {
            gl[i] = json_string_value(json_object_get(g, "name"));
            double avail = json_number_value(json_object_get(g, "max_available"));
            gv[i] = avail > 0 ? 100.0 * json_number_value(json_object_get(g, "points")) / avail
                              : NAN;
        }
        dh_svg_bars(pg, L(pg, "Điểm theo nhóm, % số điểm tính được", "Points by group, % of the computable"),
                    gl, gv, ng, NAN, "%");
        free(gl);
        free(gv);
        dh_page_raw(pg, "</section>");
    }

    /* the children */
    int32_t u = reg ? dh_unitreg_find(reg, unit) : -1;
    int32_t *kids = NULL;
    size_t nk = u >= 0 ? dh_unitreg_children(reg, u, p.to, &kids) : 0;
    if (nk) {
        dh_page_raw(pg, "<section aria-labelledby=\"h-kids\"><h2 id=\"h-kids\">");
        dh_page_text(pg, L(pg, "Xếp hạng đơn vị trực thuộc (tỷ lệ đúng hạn; tối thiểu 30 hồ sơ)",
                           "Ranking of the units below (on-time rate; at least 30 dossiers)"));
        dh_page_raw(pg, "</h2><table><thead><tr><th scope=\"col\">#</th><th scope=\"col\">");
        dh_page_text(pg, L(pg, "Đơn vị", "Unit"));
        dh_page_raw(pg, "</th><th scope=\"col\" class=\"n\">");
        dh_page_text(pg, L(pg, "Tiếp nhận", "Received"));
        dh_page_raw(pg, "</th><th scope=\"col\" class=\"n\">");
        dh_page_text(pg, L(pg, "Đã giải quyết", "Resolved"));
        dh_page_raw(pg, "</th><th scope=\"col\" class=\"n\">");
        dh_page_text(pg, L(pg, "Đúng hạn", "On time"));
        dh_page_raw(pg, "</th><th scope=\"col\" class=\"n\">");
        dh_page_text(pg, L(pg, "Đang quá hạn", "Overdue"));
        dh_page_raw(pg, "</th></tr></thead><tbody>");
        typedef struct kid {
            const char *code;
            json_t *o;
            double rate;
            bool ranked;
        } kid;
        kid *ks = dh_xcalloc(nk, sizeof *ks);
        size_t n = 0;
        for (size_t i = 0; i < nk; i++) {
            json_t *kk = NULL;
            if (dh_app_kpis(rq->app, &rq->actor, reg->u[kids[i]].code, true, p.from, p.to, NULL,
                            0, rq->now, &kk, &e))
                continue;
            json_t *ko = json_array_get(json_object_get(kk, "items"), 0);
            if (!ko) {
                json_decref(kk);
                continue; /* nothing in the period */
            }
            ks[n].code = reg->u[kids[i]].code;
            ks[n].o = kk;
            ks[n].rate = dh_pages_num(ko, "on_time_rate");
            ks[n].ranked = json_integer_value(json_object_get(ko, "resolved_total")) >= 30 &&
                           !isnan(ks[n].rate);
            n++;
        }
        /* ranked by rate (stable selection: n is small) */
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++)
                if ((ks[j].ranked && !ks[i].ranked) ||
                    (ks[j].ranked == ks[i].ranked && ks[j].rate > ks[i].rate)) {
                    kid tmp = ks[i];
                    ks[i] = ks[j];
                    ks[j] = tmp;
                }
        int rank = 0;
        for (size_t i = 0; i < n; i++) {
            json_t *ko = json_array_get(json_object_get(ks[i].o, "items"), 0);
            char kname[400];
            dh_app_unit_name_in(reg, ks[i].code, p.to, kname, sizeof kname);
            dh_page_raw(pg, "<tr><td class=\"n\">");
            if (ks[i].ranked)
                dh_page_fmt(pg, "%d", ++rank);
            else
                dh_page_raw(pg, "—");
            dh_page_raw(pg, "</td><td><a href=\"/don-vi/");
            dh_page_urlenc(pg, ks[i].code);
            dh_page_raw(pg, "?period=");
            dh_page_urlenc(pg, label);
            dh_page_raw(pg, "\">");
            dh_page_text(pg, kname);
            dh_page_raw(pg, "</a></td><td class=\"n\">");
            dh_page_int(pg, json_integer_value(json_object_get(ko, "received_total")));
            dh_page_raw(pg, "</td><td class=\"n\">");
            dh_page_int(pg, json_integer_value(json_object_get(ko, "resolved_total")));
            dh_page_raw(pg, "</td><td class=\"n\">");
            dh_page_pct(pg, json_object_get(ko, "on_time_rate"));
            dh_page_raw(pg, "</td><td class=\"n\"><a href=\"/ho-so?state=overdue&amp;unit=");
            dh_page_urlenc(pg, ks[i].code);
            dh_page_raw(pg, "\">");
            dh_page_int(pg, json_integer_value(json_object_get(ko, "overdue")));
            dh_page_raw(pg, "</a></td></tr>");
            json_decref(ks[i].o);
        }
        free(ks);
        dh_page_raw(pg, "</tbody></table></section>");
    }
    free(kids);
    if (reg)
        dh_app_units_release(rq->app, reg);
    json_decref(k);
    json_decref(trend);
    json_decref(idx);
}

/* The freshness of a unit's sources (the app keeps its answers while no
 * value or indicator is written and no judgment can change: freshness.c). */
static json_t *freshness_of(dh_req *rq, const char *unit)
{
    json_t *fr = NULL;
    dh_err e;
    if (dh_app_sources_freshness(rq->app, &rq->actor, unit, rq->now, &fr, &e))
        return NULL;
    return fr;
}

/* The sources (pushed or reported indicators) that are late, on the overview. */
static void late_sources(dh_req *rq, dh_page *pg, const char *unit)
{
    json_t *fr = freshness_of(rq, unit);
    if (!fr)
        return;
    json_int_t late = json_integer_value(json_object_get(fr, "late"));
    dh_page_raw(pg, "<section aria-labelledby=\"h-fresh\"><h2 id=\"h-fresh\">");
    dh_page_text(pg, L(pg, "Nguồn dữ liệu", "Data sources"));
    dh_page_raw(pg, "</h2><p>");
    if (!late) {
        dh_page_text(pg, L(pg, "Mọi nguồn dữ liệu đều cập nhật đúng hạn.",
                           "Every data source is up to date."));
        dh_page_raw(pg, "</p></section>");
        json_decref(fr);
        return;
    }
    dh_page_raw(pg, "<strong class=\"late\">");
    dh_page_int(pg, (long long)late);
    dh_page_text(pg, L(pg, " nguồn dữ liệu chậm cập nhật", " data sources are late"));
    dh_page_raw(pg, "</strong></p><table><thead><tr><th scope=\"col\">");
    dh_page_text(pg, L(pg, "Chỉ số", "Indicator"));
    dh_page_raw(pg, "</th><th scope=\"col\">");
    dh_page_text(pg, L(pg, "Yêu cầu cập nhật", "Expected"));
    dh_page_raw(pg, "</th><th scope=\"col\">");
    dh_page_text(pg, L(pg, "Số liệu gần nhất", "Latest value"));
    dh_page_raw(pg, "</th><th scope=\"col\" class=\"n\">");
    dh_page_text(pg, L(pg, "Chậm (ngày)", "Late (days)"));
    dh_page_raw(pg, "</th></tr></thead><tbody>");
    size_t i;
    json_t *it;
    int shown = 0;
    json_array_foreach(json_object_get(fr, "items"), i, it)
    {
        if (!json_is_true(json_object_get(it, "late")) || shown++ >= 10)
            continue;
        dh_page_raw(pg, "<tr><td><a href=\"/chi-tieu/chi-so/");
        dh_page_urlenc(pg, json_string_value(json_object_get(it, "indicator")));
        dh_page_raw(pg, "\">");
        dh_page_text(pg, json_string_value(json_object_get(it, "name")));
        dh_page_raw(pg, "</a></td><td>");
        dh_page_text(pg, json_string_value(json_object_get(it, "freshness")));
        dh_page_raw(pg, "</td><td>");
        const char *lp = json_string_value(json_object_get(it, "last_period"));
        dh_page_text(pg, lp ? lp : L(pg, "chưa có", "none"));
        dh_page_raw(pg, "</td><td class=\"n late\">");
        json_t *by = json_object_get(it, "late_by_days");
        if (json_is_integer(by))
            dh_page_int(pg, (long long)json_integer_value(by));
        dh_page_raw(pg, "</td></tr>");
    }
    dh_page_raw(pg, "</tbody></table></section>");
    json_decref(fr);
}

static void get_overview(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    dh_page pg;
    dh_pages_init(rq, &pg);
    const char *unit = dh_pages_unit_or_root(rq, dh_req_query(rq, "unit"));
    unit_dashboard(rq, rs, &pg, unit, L(&pg, "Tổng quan", "Overview"), "tong-quan");
    if (rs->body)
        return; /* an error page */
    late_sources(rq, &pg, unit);
    dh_pages_send(rs, &pg, 200);
}

static void unit_history(dh_req *rq, dh_page *pg, const char *code)
{
    dh_err e;
    const dh_unitreg *reg = dh_app_units_acquire(rq->app, &e);
    if (!reg)
        return;
    int32_t u = dh_unitreg_find(reg, code);
    if (u >= 0) {
        dh_page_raw(pg, "<section aria-labelledby=\"h-hist\"><h2 id=\"h-hist\">");
        dh_page_text(pg, L(pg, "Lịch sử đơn vị", "The unit's history"));
        dh_page_raw(pg, "</h2><ul>");
        const dh_unit *un = &reg->u[u];
        for (size_t i = 0; i < un->nv; i++) {
            char d[DH_DATE_TEXT_LEN];
            dh_date_format(un->v[i].from, d);
            dh_page_raw(pg, "<li>");
            dh_page_text(pg, L(pg, "Từ ", "From "));
            dh_page_text(pg, d);
            dh_page_raw(pg, ": ");
            dh_page_text(pg, un->v[i].name);
            dh_page_raw(pg, "</li>");
        }
        if (un->valid_to != DH_DATE_NONE) {
            char d[DH_DATE_TEXT_LEN];
            dh_date_format(un->valid_to, d);
            dh_page_raw(pg, "<li>");
            dh_page_text(pg, L(pg, "Chấm dứt hoạt động sau ngày ", "Closed after "));
            dh_page_text(pg, d);
            dh_page_raw(pg, "</li>");
        }
        for (int dir = 0; dir < 2; dir++) {
            int32_t *ln = NULL;
            size_t n = dh_unitreg_lineage(reg, u, dir == 1, &ln);
            if (n) {
                dh_page_raw(pg, "<li>");
                dh_page_text(pg, dir ? L(pg, "Đơn vị kế thừa: ", "Successors: ")
                                     : L(pg, "Đơn vị tiền thân: ", "Predecessors: "));
                for (size_t i = 0; i < n; i++) {
                    dh_page_raw(pg, i ? ", <a href=\"/don-vi/" : "<a href=\"/don-vi/");
                    dh_page_urlenc(pg, reg->u[ln[i]].code);
                    dh_page_raw(pg, "\">");
                    const dh_unit_version *v = dh_unitreg_nearest(reg, ln[i], DH_DATE_NONE - 1);
                    dh_page_text(pg, v ? v->name : reg->u[ln[i]].code);
                    dh_page_raw(pg, "</a>");
                }
                dh_page_raw(pg, "</li>");
            }
            free(ln);
        }
        dh_page_raw(pg, "</ul></section>");
    }
    dh_app_units_release(rq->app, reg);
}

static void get_unit(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    dh_page pg;
    dh_pages_init(rq, &pg);
    const char *code = rq->params[0];
    unit_dashboard(rq, rs, &pg, code, L(&pg, "Đơn vị", "Unit"), "");
    if (rs->body)
        return; /* an error page */
    unit_history(rq, &pg, code);
    dh_pages_directive_form(&pg, "unit", code, NULL);
    dh_pages_send(rs, &pg, 200);
}

/* ---- The 766 index page. --------------------------------------------------- */

static void get_index_page(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    dh_page pg;
    dh_pages_init(rq, &pg);
    dh_period p;
    char label[64];
    dh_err e;
    const char *unit = dh_pages_unit(rq, dh_req_query(rq, "unit"));
    if (!unit)
        unit = "";
    if (dh_pages_period(rq, rs, &pg, &p, label, sizeof label))
        return;
    json_t *idx = NULL;
    if (dh_app_index766(rq->app, &rq->actor, unit, p.from, p.to, label, rq->now, &idx, &e)) {
        dh_pages_error(rs, &pg, &e);
        return;
    }
    char title[600];
    snprintf(title, sizeof title, "%s — %s", L(&pg, "Chỉ số 766", "Index 766"),
             json_string_value(json_object_get(idx, "name")));
    dh_page_begin(&pg, title, "chi-so");
    dh_pages_period_form(&pg, "/chi-so-766", unit, label);
    dh_pages_index766(&pg, idx, true);
    json_decref(idx);
    dh_pages_send(rs, &pg, 200);
}

const dh_route dh_routes_pages[] = {
    {"GET", "/", get_root, DH_ROUTE_PUBLIC},
    {"GET", "/static/app.css", get_css, DH_ROUTE_PUBLIC},
    {"GET", "/static/app.js", get_js, DH_ROUTE_PUBLIC},
    {"GET", "/static/doc.css", get_doc_css, DH_ROUTE_PUBLIC},
    {"GET", "/static/{}/app.css", get_css, DH_ROUTE_PUBLIC},
    {"GET", "/static/{}/app.js", get_js, DH_ROUTE_PUBLIC},
    {"GET", "/static/{}/doc.css", get_doc_css, DH_ROUTE_PUBLIC},
    {"GET", "/static/icon.svg", get_icon, DH_ROUTE_PUBLIC},
    {"GET", "/favicon.ico", get_icon, DH_ROUTE_PUBLIC},
    {"GET", "/ngon-ngu", get_lang, DH_ROUTE_PUBLIC},
    {"GET", "/dang-nhap", get_login, DH_ROUTE_PAGE},
    {"POST", "/dang-nhap", post_login, DH_ROUTE_PAGE},
    {"POST", "/dang-xuat", post_logout, DH_ROUTE_PAGE},
    {"GET", "/tong-quan", get_overview, DH_ROUTE_PAGE},
    {"GET", "/don-vi/{}", get_unit, DH_ROUTE_PAGE},
    {"GET", "/chi-so-766", get_index_page, DH_ROUTE_PAGE},
    {0, 0, 0, 0},
};
