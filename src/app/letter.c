/* letter.c - the apology letter for a late or extended dossier (domain.md
 * §3): the form in force on the letter's date (Circular 01/2018/TT-VPCP
 * "Phiếu xin lỗi và hẹn lại ngày trả kết quả" before 1 July 2025, Circular
 * 03/2025/TT-VPCP form 04 after), as printable HTML and as PDF drawn with
 * cairo and pango (real text, Vietnamese shaped by HarfBuzz). */
#include "app/pdf.h"
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/internal.h"
#include "util/buf.h"
#include "util/html.h"

static void set(json_t *o, const char *k, const char *v) { json_object_set_new(o, k, json_string(v)); }

/* "2025-02-05T08:00:00+07:00" -> "08 giờ 00 ngày 05/02/2025" */
static void vn_time(const char *s, char *out, size_t cap)
{
    if (!s || strlen(s) < 16)
        snprintf(out, cap, "…… giờ …… ngày ……/……/……");
    else
        snprintf(out, cap, "%.2s giờ %.2s ngày %.2s/%.2s/%.4s", s + 11, s + 14, s + 8, s + 5, s);
}

dh_status dh_app_letter(dh_app *app, const dh_actor *a, const char *code, time_t now,
                        json_t **out, dh_err *e)
{
    json_t *d;
    dh_status st = dh_app_dossier_get(app, a, code, false, now, &d, e);
    if (st)
        return st;
    const char *outcome = json_string_value(json_object_get(d, "outcome"));
    bool extended = json_is_string(json_object_get(d, "extended_to"));
    if (!extended && !(outcome && (!strcmp(outcome, "late") || !strcmp(outcome, "overdue")))) {
        json_decref(d);
        return dh_err_set(e, DH_E_CONFLICT, "not_late", NULL,
                          "dossier %s is neither late nor extended: no apology letter", code);
    }
    const dh_unitreg *reg = dh_app_units_acquire(app, e);
    const dh_procset *ps = reg ? dh_app_procedures_acquire(app, e) : NULL;
    if (!ps) {
        dh_app_units_release(app, reg);
        json_decref(d);
        return e->status;
    }
    dh_date today = dh_date_of_time_vn(now);
    const char *unit = json_string_value(json_object_get(d, "unit"));
    int32_t u = dh_unitreg_find(reg, unit);
    const dh_unit_version *v = u >= 0 ? dh_unitreg_nearest(reg, u, today) : NULL;
    /* the place: the province the unit belonged to */
    int32_t top = u;
    for (const dh_unit_version *x = v; x && x->parent >= 0;
         x = dh_unitreg_nearest(reg, x->parent, today))
        top = x->parent;
    const dh_unit_version *tv = top >= 0 ? dh_unitreg_nearest(reg, top, today) : NULL;
    const char *proc = json_string_value(json_object_get(d, "procedure"));
    const dh_proc *p = dh_procset_at(ps, proc, today);
    json_t *l = json_object();
    bool new_form = today >= dh_date_from_ymd(2025, 7, 1);
    set(l, "form", new_form ? "Mẫu số 04 – Thông tư số 03/2025/TT-VPCP"
                            : "Mẫu – Thông tư số 01/2018/TT-VPCP");
    set(l, "title", new_form ? "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT HỒ SƠ"
                             : "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ");
    char agency[400];
    bool government = u >= 0 && (reg->u[u].kind == DH_UNIT_COMMUNE ||
                                 reg->u[u].kind == DH_UNIT_DISTRICT ||
                                 reg->u[u].kind == DH_UNIT_PROVINCE);
    snprintf(agency, sizeof agency, "%s%s", government ? "Ủy ban nhân dân " : "",
             v ? v->name : unit);
    set(l, "agency", agency);
    set(l, "place", tv ? (tv->short_name && *tv->short_name ? tv->short_name : tv->name) : "");
    int y, m, dd;
    dh_date_to_ymd(today, &y, &m, &dd);
    char buf[200];
    snprintf(buf, sizeof buf, "ngày %02d tháng %02d năm %d", dd, m, y);
    set(l, "date", buf);
    set(l, "code", code);
    set(l, "procedure", p ? p->name : proc);
    const char *ra = json_string_value(json_object_get(d, "received_at"));
    vn_time(ra, buf, sizeof buf);
    set(l, "received", buf);
    snprintf(buf, sizeof buf, "%.2s/%.2s/%.4s", ra + 8, ra + 5, ra);
    set(l, "received_date", buf);
    vn_time(json_string_value(json_object_get(d, "due_at")), buf, sizeof buf);
    set(l, "appointment", buf);
    vn_time(json_string_value(json_object_get(d, "extended_to")), buf, sizeof buf);
    set(l, "new_appointment", buf);
    const char *reason = NULL;
    size_t i;
    json_t *ev;
    json_array_foreach(json_object_get(d, "events"), i, ev)
    {
        const char *t = json_string_value(json_object_get(ev, "type"));
        if (t && !strcmp(t, "extended") && json_is_string(json_object_get(ev, "reason")))
            reason = json_string_value(json_object_get(ev, "reason"));
    }
    set(l, "reason", reason ? reason : "Hồ sơ chưa được giải quyết xong trong thời hạn quy định.");
    dh_app_procedures_release(app, ps);
    dh_app_units_release(app, reg);
    json_decref(d);
    *out = l;
    return DH_OK;
}

#define S(k) json_string_value(json_object_get(l, k))

/* The paragraphs of the letter, shared by HTML and PDF. kind: 0 normal,
 * 1 bold centred, 2 centred, 3 italic centred, 4 right block. */
typedef struct para {
    int kind;
    char text[1200];
} para;

static size_t paragraphs(const json_t *lj, para *p, size_t cap)
{
    json_t *l = (json_t *)lj;
    size_t n = 0;
#define P(k, ...) (n < cap ? (p[n].kind = (k), snprintf(p[n].text, sizeof p[n].text, __VA_ARGS__), n++) : 0)
    P(1, "%s", S("agency"));
    P(2, "Số: ……/PXL");
    P(1, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM");
    P(1, "Độc lập – Tự do – Hạnh phúc");
    P(3, "%s, %s", S("place"), S("date"));
    P(1, "%s", S("title"));
    P(2, "Kính gửi: Ông/Bà ………………………………………… (người nộp hồ sơ)");
    P(0, "Ngày %s, %s tiếp nhận hồ sơ của Ông/Bà, mã hồ sơ %s, thủ tục \"%s\". Thời hạn trả kết "
         "quả ghi trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả là %s.",
      S("received_date"),
      S("agency"), S("code"), S("procedure"), S("appointment"));
    P(0, "Tuy nhiên, đến thời hạn trên, hồ sơ của Ông/Bà chưa được giải quyết xong. Lý do: %s",
      S("reason"));
    P(0, "%s xin lỗi Ông/Bà vì sự chậm trễ này và hẹn trả kết quả giải quyết hồ sơ vào %s.",
      S("agency"), S("new_appointment"));
    P(0, "Mong Ông/Bà thông cảm. Trân trọng!");
    P(4, "THỦ TRƯỞNG CƠ QUAN\n(Ký, ghi rõ họ tên và đóng dấu)");
    P(3, "%s", S("form"));
#undef P
    return n;
}


char *dh_letter_html(const json_t *l, bool link_css)
{
    para p[16];
    size_t n = paragraphs(l, p, 16);
    dh_buf b = {0};
    dh_buf_puts(&b, "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">"
                    "<title>Văn bản xin lỗi</title>");
    dh_html_doc_style(&b, link_css);
    dh_buf_puts(&b, "</head><body class=\"letter\">");
    static const char *const cls[] = {"", "b", "c", "i", "r"};
    for (size_t i = 0; i < n; i++) {
        dh_buf_puts(&b, "<p class=\"");
        dh_buf_puts(&b, cls[p[i].kind]);
        dh_buf_puts(&b, "\">");
        dh_html_escape(&b, p[i].text, true);
        dh_buf_puts(&b, "</p>");
    }
    dh_buf_puts(&b, "</body></html>");
    dh_buf_append(&b, "", 1);
    return b.p;
}

dh_status dh_letter_pdf(const json_t *l, char **pdf, size_t *len, dh_err *e)
{
    para p[16];
    size_t n = paragraphs(l, p, 16);
    const double W = 595.0, H = 842.0, margin = 70.0; /* A4 in points */
    dh_pdf doc;
    cairo_t *cr = dh_pdf_begin(&doc, W, H);
    PangoLayout *layout = pango_cairo_create_layout(cr);
    pango_layout_set_width(layout, (int)((W - 2 * margin) * PANGO_SCALE));
    pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
    double y = margin;
    for (size_t i = 0; i < n; i++) {
        PangoFontDescription *fd =
            pango_font_description_from_string(p[i].kind == 1 ? "Liberation Serif, DejaVu Serif Bold 13"
                                               : p[i].kind == 3 ? "Liberation Serif, DejaVu Serif Italic 12"
                                                                : "Liberation Serif, DejaVu Serif 13");
        pango_layout_set_font_description(layout, fd);
        pango_font_description_free(fd);
        pango_layout_set_alignment(layout, p[i].kind == 0   ? PANGO_ALIGN_LEFT
                                           : p[i].kind == 4 ? PANGO_ALIGN_RIGHT
                                                            : PANGO_ALIGN_CENTER);
        pango_layout_set_justify(layout, p[i].kind == 0);
        pango_layout_set_text(layout, p[i].text, -1);
        int pw, ph;
        pango_layout_get_pixel_size(layout, &pw, &ph);
        cairo_move_to(cr, margin, y);
        pango_cairo_show_layout(cr, layout);
        y += ph + (p[i].kind == 0 ? 10 : 6);
        if (i == 1 || i == 4 || i == 5)
            y += 12;
    }
    g_object_unref(layout);
    return dh_pdf_end(&doc, pdf, len, e);
}
