/* ep_public_feedback.c - the public pages of citizen feedback (issue 17), no
 * sign-in, no JavaScript, no personal data shown:
 *   GET  /phan-anh                 the submission form
 *   POST /phan-anh                 a submission (form-encoded, or multipart/form-data with
 *                                  up to 3 images, each by content and <= 5 MB; a filled
 *                                  honeypot field is refused and nothing written; at most 5
 *                                  an hour from one address: 429 with Retry-After) -> 303 to
 *                                  the lookup
 *   GET  /phan-anh/tra-cuu?ma=     lookup by code: state, deadline, answer (30 lookups a
 *                                  minute from one address, with the dossiers' lookup: 429)
 *   GET  /phan-anh/da-tra-loi[?xa=&linh-vuc=]  recent answered feedback
 * Every interpolated value is HTML-escaped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/feedback.h"
#include "http/http.h"
#include "store/feedback.h"
#include "util/buf.h"
#include "util/html.h"

#define FB_RETRY_AFTER 600

static void page_start(dh_buf *b, const char *title)
{
    dh_buf_puts(b, "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                   "<title>");
    dh_html_escape(b, title, false);
    dh_buf_puts(b, " — dieuhanh</title>");
    dh_html_doc_style(b, true);
    dh_buf_puts(b, "</head><body "
                   "class=\"lookup\"><main><h1>");
    dh_html_escape(b, title, false);
    dh_buf_puts(b, "</h1><p><a href=\"/phan-anh\">Gửi phản ánh</a> · <a "
                   "href=\"/phan-anh/tra-cuu\">Tra cứu</a> · <a href=\"/phan-anh/da-tra-loi\">"
                   "Phản ánh đã trả lời</a></p>");
}

static void page_end(dh_resp *rs, dh_buf *b, int status)
{
    dh_buf_puts(b, "</main></body></html>");
    rs->status = status;
    free(rs->body);
    rs->body = dh_buf_steal(b);
    rs->content_type = "text/html; charset=utf-8";
}

static void alert(dh_buf *b, const char *msg)
{
    dh_buf_puts(b, "<p role=\"alert\">");
    dh_html_escape(b, msg, false);
    dh_buf_puts(b, "</p>");
}

static void form_page(dh_req *rq, dh_resp *rs)
{
    dh_buf b = {0};
    page_start(&b, "Gửi phản ánh, kiến nghị");
    dh_err e;
    json_t *cats = NULL;
    dh_app_fb_categories(rq->app, NULL, false, &cats, &e);
    dh_buf_puts(&b, "<form method=\"post\" action=\"/phan-anh\" enctype=\"multipart/form-data\">"
                    "<p><label for=\"lv\">Lĩnh vực"
                    "</label> <select id=\"lv\" name=\"category\" required>");
    size_t i;
    json_t *c;
    json_array_foreach(cats, i, c)
    {
        if (!json_is_true(json_object_get(c, "active")))
            continue;
        dh_buf_puts(&b, "<option value=\"");
        dh_html_escape(&b, json_string_value(json_object_get(c, "code")), false);
        dh_buf_puts(&b, "\">");
        dh_html_escape(&b, json_string_value(json_object_get(c, "name")), false);
        dh_buf_puts(&b, "</option>");
    }
    json_decref(cats);
    dh_buf_puts(&b,
                "</select></p><p><label for=\"xa\">Mã phường, xã</label> <input id=\"xa\" "
                "name=\"commune\" maxlength=\"64\"></p><p><label for=\"dc\">Địa chỉ</label> "
                "<input id=\"dc\" name=\"address\" maxlength=\"500\"></p><p><label "
                "for=\"nd\">Nội dung phản ánh</label><br><textarea id=\"nd\" name=\"description\" "
                "rows=\"6\" cols=\"60\" maxlength=\"4000\" required></textarea></p><p><label "
                "for=\"ten\">Họ và tên (không công khai)</label> <input id=\"ten\" name=\"name\" "
                "maxlength=\"200\"></p><p><label for=\"dt\">Số điện thoại (không công khai)"
                "</label> <input id=\"dt\" name=\"phone\" maxlength=\"30\"></p><p><label "
                "for=\"em\">Thư điện tử (không công khai)</label> <input id=\"em\" name=\"email\" "
                "maxlength=\"200\"></p><p><label for=\"anh\">Hình ảnh (tối đa 3 ảnh JPEG, PNG, "
                "WebP hoặc GIF, mỗi ảnh không quá 5 MB; không công khai)</label> <input id=\"anh\" "
                "name=\"image\" type=\"file\" accept=\"image/jpeg,image/png,image/webp,"
                "image/gif\" multiple></p><p class=\"hp\" aria-hidden=\"true\"><label for=\"web\">"
                "Không điền vào ô này</label> <input id=\"web\" name=\"website\" tabindex=\"-1\" "
                "autocomplete=\"off\"></p><p><button type=\"submit\">Gửi phản ánh</button></p>"
                "</form>");
    page_end(rs, &b, 200);
}

static void form_post(dh_req *rq, dh_resp *rs)
{
    static _Thread_local char v[7][4096];
    static const char *const names[] = {"category", "commune", "address", "description",
                                        "name",     "phone",   "email"};
    const char *p[7];
    for (int i = 0; i < 7; i++)
        p[i] = dh_req_form(rq, names[i], v[i], sizeof v[i]);
    char hp[256];
    const char *honey = dh_req_form(rq, "website", hp, sizeof hp);
    dh_buf b = {0};
    page_start(&b, "Gửi phản ánh, kiến nghị");
    if (honey && *honey) {
        alert(&b, "Không gửi được phản ánh.");
        page_end(rs, &b, 400);
        return;
    }
    if (rq->parts_bad) {
        alert(&b, "Không đọc được biểu mẫu gửi lên (dữ liệu multipart không hợp lệ).");
        page_end(rs, &b, 400);
        return;
    }
    const dh_mpart *img[DH_FB_UPLOADS_MAX + 1];
    int nimg = dh_req_files(rq, "image", img, DH_FB_UPLOADS_MAX + 1);
    if (nimg > DH_FB_UPLOADS_MAX) {
        alert(&b, "Chỉ gửi được tối đa 3 ảnh cùng một phản ánh.");
        dh_buf_puts(&b, "<p><a href=\"/phan-anh\">Quay lại</a></p>");
        page_end(rs, &b, 422);
        return;
    }
    dh_fb_upload up[DH_FB_UPLOADS_MAX];
    for (int i = 0; i < nimg; i++)
        up[i] = (dh_fb_upload){img[i]->data, img[i]->len, img[i]->filename};
    json_t *body = json_object();
    const char *keys[] = {"category", "commune", "address", "description"};
    for (int i = 0; i < 4; i++)
        if (p[i] && *p[i])
            json_object_set_new(body, keys[i], json_string(p[i]));
    if ((p[4] && *p[4]) || (p[5] && *p[5]) || (p[6] && *p[6]))
        json_object_set_new(body, "contact",
                            json_pack("{s:s, s:s, s:s}", "name", p[4] ? p[4] : "", "phone",
                                      p[5] ? p[5] : "", "email", p[6] ? p[6] : ""));
    dh_actor anon;
    dh_public_actor(rq, &anon);
    dh_err e;
    json_t *out = NULL;
    dh_status st = dh_app_fb_submit_files(rq->app, &anon, body, "portal", true, rq->ip, up,
                                          (size_t)nimg, rq->now, &out, &e);
    json_decref(body);
    if (st) {
        int status = dh_err_http_status(e.status);
        if (st == DH_E_THROTTLED) {
            rs->retry_after = FB_RETRY_AFTER;
            alert(&b, "Bạn đã gửi quá nhiều phản ánh trong một giờ. Vui lòng thử lại sau.");
        } else if (!strcmp(e.code, "too_large") || !strcmp(e.code, "not_an_image")) {
            char msg[700];
            snprintf(msg, sizeof msg, "%s. Phản ánh chưa được gửi; vui lòng chọn lại ảnh (%s).",
                     !strcmp(e.code, "too_large") ? "Có ảnh lớn hơn 5 MB"
                                                  : "Có tệp không phải là ảnh JPEG, PNG, WebP "
                                                    "hoặc GIF",
                     e.message);
            alert(&b, msg);
        } else {
            char msg[600];
            snprintf(msg, sizeof msg, "Không gửi được phản ánh: %s", e.message);
            alert(&b, msg);
        }
        dh_buf_puts(&b, "<p><a href=\"/phan-anh\">Quay lại</a></p>");
        page_end(rs, &b, status);
        return;
    }
    char to[160];
    snprintf(to, sizeof to, "/phan-anh/tra-cuu?ma=%s",
             json_string_value(json_object_get(out, "code")));
    json_decref(out);
    dh_buf_free(&b);
    dh_reply_redirect(rs, to);
}

static void row(dh_buf *b, const char *label, const char *value)
{
    dh_buf_puts(b, "<tr><th scope=\"row\">");
    dh_html_escape(b, label, false);
    dh_buf_puts(b, "</th><td>");
    dh_html_escape(b, value ? value : "—", true);
    dh_buf_puts(b, "</td></tr>");
}

static void lookup(dh_req *rq, dh_resp *rs)
{
    dh_buf b = {0};
    page_start(&b, "Tra cứu phản ánh, kiến nghị");
    const char *code = dh_req_query(rq, "ma");
    dh_buf_puts(&b, "<form method=\"get\" action=\"/phan-anh/tra-cuu\"><label for=\"ma\">Mã "
                    "phản ánh</label> <input id=\"ma\" name=\"ma\" maxlength=\"64\" required "
                    "value=\"");
    dh_html_escape(&b, code ? code : "", false);
    dh_buf_puts(&b, "\"> <button type=\"submit\">Tra cứu</button></form>");
    int status = 200;
    json_t *d = NULL;
    dh_err e;
    if (code && *code && !dh_public_lookup_allow(rs, rq->ip, rq->now)) {
        status = 429;
        alert(&b, "Bạn tra cứu quá nhiều lần trong một phút. Vui lòng thử lại sau.");
    } else if (code && *code) {
        if (strlen(code) > 64 || dh_app_fb_get(rq->app, NULL, code, rq->now, &d, &e)) {
            status = 404;
            alert(&b, "Không tìm thấy phản ánh có mã này.");
        } else {
            char t1[40], t2[40], t3[40];
            dh_public_vn_time(json_object_get(d, "received_at"), t1, sizeof t1);
            dh_public_vn_time(json_object_get(d, "answer_due"), t2, sizeof t2);
            dh_public_vn_time(json_object_get(d, "answered_at"), t3, sizeof t3);
            dh_buf_puts(&b, "<table>");
            row(&b, "Mã phản ánh", code);
            row(&b, "Nội dung", json_string_value(json_object_get(d, "description")));
            row(&b, "Đơn vị xử lý", json_string_value(json_object_get(d, "unit_name")));
            row(&b, "Ngày tiếp nhận", t1);
            row(&b, "Hạn trả lời", t2);
            row(&b, "Tình trạng", dh_fb_state_label(json_string_value(json_object_get(d, "state"))));
            if (json_is_string(json_object_get(d, "answer"))) {
                row(&b, "Ngày trả lời", t3);
                row(&b, "Nội dung trả lời", json_string_value(json_object_get(d, "answer")));
            }
            if (json_is_string(json_object_get(d, "reason")))
                row(&b, "Lý do không thụ lý", json_string_value(json_object_get(d, "reason")));
            dh_buf_puts(&b, "</table>");
            json_decref(d);
        }
    }
    page_end(rs, &b, status);
}

static void answered(dh_req *rq, dh_resp *rs)
{
    dh_buf b = {0};
    page_start(&b, "Phản ánh, kiến nghị đã trả lời");
    dh_fb_filter f = {0};
    f.commune = dh_req_query(rq, "xa");
    f.category = dh_req_query(rq, "linh-vuc");
    if (f.commune && !*f.commune)
        f.commune = NULL;
    if (f.category && !*f.category)
        f.category = NULL;
    f.answered_only = true;
    f.order = 2;
    f.limit = 50;
    json_t *items = NULL;
    dh_err e;
    if (dh_app_fb_list(rq->app, NULL, &f, rq->now, &items, &e)) {
        alert(&b, "Không đọc được danh sách.");
        page_end(rs, &b, dh_err_http_status(e.status));
        return;
    }
    if (json_array_size(items) == 0)
        dh_buf_puts(&b, "<p>Chưa có phản ánh nào được trả lời.</p>");
    size_t i;
    json_t *x;
    json_array_foreach(items, i, x)
    {
        char t[40];
        dh_public_vn_time(json_object_get(x, "answered_at"), t, sizeof t);
        dh_buf_puts(&b, "<article><h2><a href=\"/phan-anh/tra-cuu?ma=");
        dh_html_escape(&b, json_string_value(json_object_get(x, "code")), false);
        dh_buf_puts(&b, "\">");
        dh_html_escape(&b, json_string_value(json_object_get(x, "code")), false);
        dh_buf_puts(&b, "</a></h2><p>");
        dh_html_escape(&b, json_string_value(json_object_get(x, "description")), true);
        dh_buf_puts(&b, "</p><p><strong>");
        dh_html_escape(&b, json_string_value(json_object_get(x, "unit_name")), false);
        dh_buf_puts(&b, "</strong>, ");
        dh_html_escape(&b, t, false);
        dh_buf_puts(&b, ": ");
        dh_html_escape(&b, json_string_value(json_object_get(x, "answer")), true);
        dh_buf_puts(&b, "</p></article>");
    }
    json_decref(items);
    page_end(rs, &b, 200);
}

const dh_route dh_routes_public_feedback[] = {
    {"GET", "/phan-anh", form_page, DH_ROUTE_PUBLIC},
    {"POST", "/phan-anh", form_post, DH_ROUTE_PUBLIC | DH_ROUTE_UPLOAD},
    {"GET", "/phan-anh/tra-cuu", lookup, DH_ROUTE_PUBLIC},
    {"GET", "/phan-anh/da-tra-loi", answered, DH_ROUTE_PUBLIC},
    {0, 0, 0, 0},
};
