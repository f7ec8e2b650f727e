/* page.c - see page.h. */
#include "web/page.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/asset.h"
#include "util/html.h"

void dh_page_raw(dh_page *pg, const char *html) { dh_buf_puts(&pg->b, html); }
void dh_page_text(dh_page *pg, const char *s) { dh_html_escape(&pg->b, s ? s : "", false); }
void dh_page_attr(dh_page *pg, const char *s) { dh_html_escape(&pg->b, s ? s : "", true); }

void dh_page_fmt(dh_page *pg, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    dh_buf_puts(&pg->b, buf);
}

void dh_page_urlenc(dh_page *pg, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            char c[2] = {(char)*p, 0};
            dh_buf_puts(&pg->b, c);
        } else {
            char c[4] = {'%', hex[*p >> 4], hex[*p & 15], 0};
            dh_buf_puts(&pg->b, c);
        }
    }
}

void dh_page_int(dh_page *pg, long long v)
{
    char digits[32], out[48];
    snprintf(digits, sizeof digits, "%lld", v < 0 ? -v : v);
    size_t n = strlen(digits), o = 0;
    if (v < 0)
        out[o++] = '-';
    for (size_t i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            out[o++] = pg->en ? ',' : '.';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    dh_buf_puts(&pg->b, out);
}

void dh_page_pct(dh_page *pg, const json_t *v)
{
    if (!json_is_number(v) || !isfinite(json_number_value(v))) {
        dh_page_raw(pg, "<abbr title=\"");
        dh_page_raw(pg, L(pg, "không có mẫu số: không tính được", "no denominator: N/A"));
        dh_page_raw(pg, "\">—</abbr>");
        return;
    }
    char buf[32];
    snprintf(buf, sizeof buf, "%.2f%%", json_number_value(v));
    if (!pg->en)
        for (char *p = buf; *p; p++)
            if (*p == '.')
                *p = ',';
    dh_buf_puts(&pg->b, buf);
}

void dh_page_csrf(dh_page *pg)
{
    dh_page_raw(pg, "<input type=\"hidden\" name=\"csrf\" value=\"");
    dh_page_attr(pg, pg->csrf);
    dh_page_raw(pg, "\">");
}

const char *dh_page_local_target(const char *s)
{
    if (!s || s[0] != '/' || s[1] == '/')
        return "/";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++)
        if (*p < 0x20 || *p == 0x7f || *p == '\\' || n + 1 >= DH_PAGE_TARGET_MAX)
            return "/";
    return s;
}

static const char *role_vi(dh_role r, bool en)
{
    static const char *const vi[] = {"Quản trị", "Lãnh đạo", "Cán bộ", "Báo cáo viên", "Người xem"};
    static const char *const eng[] = {"Administrator", "Leader", "Officer", "Reporter", "Viewer"};
    return (int)r >= 0 && r < DH_ROLE_COUNT ? (en ? eng[r] : vi[r]) : "";
}

static void nav_item(dh_page *pg, const char *href, const char *label, const char *key,
                     const char *active)
{
    dh_page_raw(pg, "<li><a href=\"");
    dh_page_raw(pg, href);
    dh_page_raw(pg, "\"");
    if (!strcmp(key, active))
        dh_page_raw(pg, " aria-current=\"page\"");
    dh_page_raw(pg, ">");
    dh_page_text(pg, label);
    dh_page_raw(pg, "</a></li>");
}

void dh_page_begin(dh_page *pg, const char *title, const char *nav)
{
    dh_page_raw(pg, pg->en ? "<!doctype html><html lang=\"en\">" : "<!doctype html><html lang=\"vi\">");
    dh_page_raw(pg, "<head><meta charset=\"utf-8\"><meta name=\"viewport\" "
                    "content=\"width=device-width, initial-scale=1\"><title>");
    dh_page_text(pg, title);
    /* Versioned URLs (util/asset.h): cached for a year, changed with the content. */
    dh_page_fmt(pg, " — dieuhanh</title><link rel=\"icon\" href=\"/static/icon.svg\" "
                    "type=\"image/svg+xml\"><link rel=\"stylesheet\" href=\"/static/%s/app.css\">"
                    "<script src=\"/static/%s/app.js\" defer></script></head><body>",
                dh_asset_tag(dh_web_css), dh_asset_tag(dh_web_js));
    dh_page_raw(pg, "<a class=\"skip\" href=\"#main\">");
    dh_page_text(pg, L(pg, "Bỏ qua, đến nội dung chính", "Skip to the main content"));
    dh_page_raw(pg, "</a><header class=\"top\"><div class=\"brand\"><a href=\"/tong-quan\">"
                    "điều hành</a><span>");
    dh_page_text(pg, L(pg, "Trung tâm điều hành chuyển đổi số", "Digital transformation operations centre"));
    dh_page_raw(pg, "</span></div>");
    if (pg->a && pg->a->login[0]) {
        dh_page_raw(pg, "<nav aria-label=\"");
        dh_page_text(pg, L(pg, "Điều hướng chính", "Main navigation"));
        dh_page_raw(pg, "\"><ul>");
        nav_item(pg, "/tong-quan", L(pg, "Tổng quan", "Overview"), "tong-quan", nav);
        nav_item(pg, "/nhac-viec", L(pg, "Nhắc việc", "Reminders"), "nhac-viec", nav);
        nav_item(pg, "/ho-so", L(pg, "Hồ sơ", "Dossiers"), "ho-so", nav);
        nav_item(pg, "/ke-hoach", L(pg, "Kế hoạch", "Plans"), "ke-hoach", nav);
        nav_item(pg, "/chi-tieu", L(pg, "Chỉ tiêu", "Targets"), "chi-tieu", nav);
        nav_item(pg, "/bao-cao", L(pg, "Báo cáo", "Reports"), "bao-cao", nav);
        nav_item(pg, "/chi-so-766", L(pg, "Chỉ số 766", "Index 766"), "chi-so", nav);
        nav_item(pg, "/xu-ly-phan-anh", L(pg, "Phản ánh", "Feedback"), "pakn", nav);
        nav_item(pg, "/phan-anh-tong-hop", L(pg, "Tổng hợp phản ánh", "Feedback summary"),
                 "pakn-th", nav);
        nav_item(pg, "/chuyen-doi-so", L(pg, "Chuyển đổi số", "DTI"), "cds", nav);
        if (pg->a->role == DH_ROLE_ADMIN)
            nav_item(pg, "/quan-tri", L(pg, "Quản trị", "Administration"), "quan-tri", nav);
        dh_page_raw(pg, "</ul></nav>");
    }
    dh_page_raw(pg, "<div class=\"tools\"><div class=\"fontsize\" role=\"group\" aria-label=\"");
    dh_page_text(pg, L(pg, "Cỡ chữ", "Text size"));
    dh_page_raw(pg, "\"><button type=\"button\" data-fs=\"-1\" title=\"");
    dh_page_text(pg, L(pg, "Chữ nhỏ hơn", "Smaller text"));
    dh_page_raw(pg, "\">A−</button><button type=\"button\" data-fs=\"0\" title=\"");
    dh_page_text(pg, L(pg, "Cỡ chữ mặc định", "Default text size"));
    dh_page_raw(pg, "\">A</button><button type=\"button\" data-fs=\"1\" title=\"");
    dh_page_text(pg, L(pg, "Chữ lớn hơn", "Larger text"));
    dh_page_raw(pg, "\">A+</button></div><a class=\"lang\" href=\"/ngon-ngu?lang=");
    dh_page_raw(pg, pg->en ? "vi" : "en");
    dh_page_raw(pg, "&amp;back=");
    dh_page_urlenc(pg, pg->path ? pg->path : "/");
    dh_page_raw(pg, pg->en ? "\" lang=\"vi\">Tiếng Việt</a>" : "\" lang=\"en\">English</a>");
    if (pg->a && pg->a->login[0]) {
        dh_page_raw(pg, "<div class=\"who\"><span class=\"name\">");
        dh_page_text(pg, pg->a->login);
        dh_page_raw(pg, "</span> · <span class=\"role\">");
        dh_page_text(pg, role_vi(pg->a->role, pg->en));
        if (pg->a->unit_code[0]) {
            dh_page_raw(pg, "</span> · <span class=\"unit\">");
            dh_page_text(pg, pg->a->unit_code);
        }
        dh_page_raw(pg, "</span><form method=\"post\" action=\"/dang-xuat\">");
        dh_page_csrf(pg);
        dh_page_raw(pg, "<button type=\"submit\">");
        dh_page_text(pg, L(pg, "Đăng xuất", "Sign out"));
        dh_page_raw(pg, "</button></form></div>");
    }
    dh_page_raw(pg, "</div></header><main id=\"main\" tabindex=\"-1\"><h1>");
    dh_page_text(pg, title);
    dh_page_raw(pg, "</h1>");
}

char *dh_page_end(dh_page *pg)
{
    dh_page_raw(pg, "</main><footer><p>dieuhanh · ");
    dh_page_text(pg, L(pg, "Số liệu tính theo docs/KPIS.md; giờ Việt Nam (UTC+7).",
                       "Figures as defined in docs/KPIS.md; Vietnam time (UTC+7)."));
    dh_page_raw(pg, "</p></footer></body></html>");
    dh_buf_append(&pg->b, "", 1);
    char *out = pg->b.p;
    memset(&pg->b, 0, sizeof pg->b);
    return out;
}

/* ---- Charts. ------------------------------------------------------------- */

/* Only finite numbers are drawn or printed: a missing or non-finite value is
 * a gap in the line, an empty bar and a dash in the table (values are bounded
 * at the input, this is the guard of the last resort). */

static void figures_table(dh_page *pg, const char *title, const char *const *labels,
                          const double *v, size_t n, const char *suffix)
{
    dh_page_raw(pg, "<table class=\"sr-only\"><caption>");
    dh_page_text(pg, title);
    dh_page_raw(pg, "</caption><tbody>");
    for (size_t i = 0; i < n; i++) {
        dh_page_raw(pg, "<tr><th scope=\"row\">");
        dh_page_text(pg, labels[i]);
        dh_page_raw(pg, "</th><td>");
        if (!isfinite(v[i]))
            dh_page_raw(pg, "—");
        else
            dh_page_fmt(pg, "%.2f%s", v[i], suffix);
        dh_page_raw(pg, "</td></tr>");
    }
    dh_page_raw(pg, "</tbody></table>");
}

void dh_svg_line(dh_page *pg, const char *title, const char *const *labels, const double *v,
                 size_t n, double target, const char *suffix)
{
    const double W = 640, H = 220, left = 48, right = 26, top = 14, bottom = 34;
    double lo = 0, hi = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]) && v[i] > hi)
            hi = v[i];
    if (isfinite(target) && target > hi)
        hi = target;
    if (hi <= 0)
        hi = 1;
    hi = suffix && !strcmp(suffix, "%") ? 100 : hi * 1.08; /* rates: the whole 0-100 scale */
    if (!isfinite(hi))
        hi = DBL_MAX;
    dh_page_raw(pg, "<figure class=\"chart\"><svg viewBox=\"0 0 640 220\" role=\"img\" "
                    "aria-label=\"");
    dh_page_attr(pg, title);
    dh_page_raw(pg, "\"><title>");
    dh_page_text(pg, title);
    dh_page_raw(pg, "</title>");
    for (int k = 0; k <= 4; k++) {
        double y = top + (H - top - bottom) * (1 - k / 4.0);
        dh_page_fmt(pg, "<line class=\"grid\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>"
                        "<text class=\"axis\" x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>",
                    left, y, W - right, y, left - 6, y + 4, lo + (hi - lo) * k / 4.0);
    }
    double step = n > 1 ? (W - left - right) / (double)(n - 1) : 0;
    if (isfinite(target)) {
        double y = top + (H - top - bottom) * (1 - (target - lo) / (hi - lo));
        dh_page_fmt(pg, "<line class=\"target\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>",
                    left, y, W - right, y);
    }
    dh_page_raw(pg, "<polyline class=\"series\" points=\"");
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            continue;
        double x = left + step * (double)i, y = top + (H - top - bottom) * (1 - (v[i] - lo) / (hi - lo));
        dh_page_fmt(pg, "%.1f,%.1f ", x, y);
    }
    dh_page_raw(pg, "\"/>");
    for (size_t i = 0; i < n; i++) {
        double x = left + step * (double)i;
        if (isfinite(v[i]) && n <= 40) {
            double y = top + (H - top - bottom) * (1 - (v[i] - lo) / (hi - lo));
            dh_page_fmt(pg, "<circle class=\"dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\"/>", x, y);
        }
        /* long series (ten years of months): about twelve labels */
        if (n > 16 && i % ((n + 11) / 12))
            continue;
        dh_page_fmt(pg, "<text class=\"axis\" x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">", x,
                    H - 12);
        dh_page_text(pg, labels[i]);
        dh_page_raw(pg, "</text>");
    }
    dh_page_raw(pg, "</svg>");
    figures_table(pg, title, labels, v, n, suffix);
    dh_page_raw(pg, "<figcaption>");
    dh_page_text(pg, title);
    dh_page_raw(pg, "</figcaption></figure>");
}

void dh_svg_bars(dh_page *pg, const char *title, const char *const *labels, const double *v,
                 size_t n, double target, const char *suffix)
{
    const double W = 640, left = 210, right = 60, row = 22;
    double H = row * (double)n + 16, hi = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]) && v[i] > hi)
            hi = v[i];
    if (isfinite(target) && target > hi)
        hi = target;
    if (hi <= 0)
        hi = 1;
    dh_page_fmt(pg, "<figure class=\"chart\"><svg viewBox=\"0 0 640 %.0f\" role=\"img\" "
                    "aria-label=\"",
                H);
    dh_page_attr(pg, title);
    dh_page_raw(pg, "\"><title>");
    dh_page_text(pg, title);
    dh_page_raw(pg, "</title>");
    for (size_t i = 0; i < n; i++) {
        double y = 8 + row * (double)i, w = !isfinite(v[i]) ? 0 : (W - left - right) * v[i] / hi;
        dh_page_fmt(pg, "<text class=\"axis\" x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">",
                    left - 6, y + 14);
        dh_page_text(pg, labels[i]);
        dh_page_fmt(pg, "</text><rect class=\"bar\" x=\"%.0f\" y=\"%.1f\" width=\"%.1f\" "
                        "height=\"16\"/><text class=\"val\" x=\"%.1f\" y=\"%.1f\">",
                    left, y + 2, w, left + w + 4, y + 14);
        if (!isfinite(v[i]))
            dh_page_raw(pg, "—");
        else
            dh_page_fmt(pg, "%.1f%s", v[i], suffix);
        dh_page_raw(pg, "</text>");
    }
    if (isfinite(target)) {
        double x = left + (W - left - right) * target / hi;
        dh_page_fmt(pg, "<line class=\"target\" x1=\"%.1f\" y1=\"4\" x2=\"%.1f\" y2=\"%.0f\"/>",
                    x, x, H - 4);
    }
    dh_page_raw(pg, "</svg>");
    figures_table(pg, title, labels, v, n, suffix);
    dh_page_raw(pg, "<figcaption>");
    dh_page_text(pg, title);
    dh_page_raw(pg, "</figcaption></figure>");
}

/* ---- Assets. -------------------------------------------------------------- */

const char dh_web_css[] =
    ":root{--ink:#111;--muted:#444;--bg:#fff;--line:#c8c8c8;--accent:#0b4f9c;--bad:#a1000b;"
    "--warn:#7a4b00;--good:#0b6b2c;--card:#f4f6f9;font-family:\"DejaVu Sans\",\"Liberation Sans\","
    "system-ui,sans-serif;font-size:16px;color:var(--ink);background:var(--bg)}"
    "html.fs-1{font-size:14px}html.fs1{font-size:19px}html.fs2{font-size:22px}"
    "body{margin:0;line-height:1.45}a{color:var(--accent)}a:focus,button:focus,input:focus,"
    "select:focus{outline:3px solid #f2a900;outline-offset:2px}"
    ".skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:6px;"
    "z-index:10}"
    ".top{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.5rem;padding:.5rem 1rem;"
    "background:#0b2f5c;color:#fff}.top a{color:#fff}.brand a{font-weight:bold;font-size:1.3rem;"
    "text-decoration:none;margin-right:.6rem}.brand span{opacity:.9;font-size:.85rem}"
    ".top nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin:0;padding:0}"
    ".top nav a[aria-current]{text-decoration:underline;text-underline-offset:4px;font-weight:bold}"
    ".tools{margin-left:auto;display:flex;flex-wrap:wrap;align-items:center;gap:.6rem}"
    ".tools button{font:inherit;padding:.15rem .45rem;cursor:pointer}"
    ".who form{display:inline;margin-left:.4rem}"
    "main{padding:1rem 1.2rem;max-width:1400px}h1{font-size:1.5rem;margin:.2rem 0 1rem}"
    "h2{font-size:1.2rem;margin:1.4rem 0 .6rem}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(11rem,1fr));gap:.7rem}"
    ".card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.6rem .8rem}"
    ".card .v{font-size:1.6rem;font-weight:bold}.card .k{color:var(--muted);font-size:.9rem}"
    ".card.bad .v{color:var(--bad)}.card.warn .v{color:var(--warn)}.card.good .v{color:var(--good)}"
    "table{border-collapse:collapse;margin:.4rem 0 1rem}th,td{border:1px solid var(--line);"
    "padding:.3rem .5rem;text-align:left;vertical-align:top}td.n,th.n{text-align:right;"
    "font-variant-numeric:tabular-nums}thead th{background:var(--card)}"
    ".state-overdue,.late{color:var(--bad);font-weight:bold}.state-at_risk{color:var(--warn);"
    "font-weight:bold}"
    "form.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;margin-bottom:1rem}"
    "form.filters label{display:flex;flex-direction:column;font-size:.9rem}"
    "input,select,button{font:inherit}.err{color:var(--bad);font-weight:bold}"
    ".chart{margin:.5rem 0 1rem;max-width:720px}.chart svg{width:100%;height:auto}"
    ".grid{stroke:#ddd}.axis{font-size:11px;fill:#333}.series{fill:none;stroke:var(--accent);"
    "stroke-width:2.5}.dot{fill:var(--accent)}.bar{fill:var(--accent)}.val{font-size:11px;"
    "fill:#111}.target{stroke:var(--bad);stroke-width:2;stroke-dasharray:6 4}"
    "figcaption{font-size:.85rem;color:var(--muted)}"
    ".sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}"
    ".two{display:grid;grid-template-columns:repeat(auto-fit,minmax(30rem,1fr));gap:1rem}"
    "footer{padding:1rem 1.2rem;color:var(--muted);font-size:.85rem}"
    ".spark{vertical-align:middle}.spark .series{stroke-width:2}"
    ".login{max-width:24rem}.login label{display:block;margin:.6rem 0}.login input{width:100%}"
    /* issue 19: units by name, long lists collapsed; phones (390 px) */
    "abbr.unit{text-decoration:none}details.units summary{cursor:pointer}"
    "details.units ul{margin:.2rem 0 0;padding-left:1.1rem}"
    ".scroll{max-width:100%;overflow-x:auto}"
    "@media (max-width:640px){main{padding:.6rem .6rem}"
    "table{display:block;max-width:100%;overflow-x:auto}.scroll table{display:table}"
    ".cards{grid-template-columns:repeat(2,minmax(0,1fr))}.card .v{font-size:1.3rem}"
    ".two{grid-template-columns:minmax(0,1fr)}.tools{margin-left:0}"
    "td,th{overflow-wrap:break-word}input,select,textarea{max-width:100%;box-sizing:border-box}"
    "textarea{width:100%}"
    ".login{max-width:100%}"
    "h1{font-size:1.3rem}pre{white-space:pre-wrap}}"
    "@media (min-width:2200px){html{font-size:22px}main{max-width:none}}";

const char dh_web_js[] =
    /* the font-size control, kept in localStorage */
    "(function(){var k='dh_fs',h=document.documentElement;function set(n){h.classList.remove("
    "'fs-1','fs1','fs2');if(n)h.classList.add('fs'+n);try{localStorage.setItem(k,String(n))}"
    "catch(e){}}var s=0;try{s=parseInt(localStorage.getItem(k)||'0',10)||0}catch(e){}set(s);"
    "document.addEventListener('click',function(ev){var b=ev.target.closest('[data-fs]');if(!b)"
    "return;var d=parseInt(b.getAttribute('data-fs'),10);s=d===0?0:Math.max(-1,Math.min(2,s+d));"
    "set(s)});"
    /* the upload page: batches of 1000 lines to the API, progress, errors by line */
    "var f=document.getElementById('upload');if(f)"
    "f.addEventListener('submit',function(ev){ev.preventDefault();var file=f.file.files[0];"
    "if(!file)return;var bar=document.getElementById('upload-progress'),st=document."
    "getElementById('upload-status'),errs=document.getElementById('upload-errors');"
    "errs.textContent='';file.text().then(function(text){var lines=text.split('\\n'),"
    "batches=[],cur=[],taken=0,bad=0;lines.forEach(function(l,i){if(l.trim()){cur.push({line:"
    "i+1,text:l});if(cur.length===1000){batches.push(cur);cur=[]}}});if(cur.length)batches."
    "push(cur);bar.max=batches.length||1;var i=0;function err(msg){var li=document."
    "createElement('li');li.textContent=msg;errs.appendChild(li)}function next(){if(i>=batches"
    ".length){st.textContent='Xong: '+taken+' sự kiện được nhận, '+bad+' dòng lỗi.';return}"
    "var b=batches[i],evs=[];for(var j=0;j<b.length;j++){try{evs.push(JSON.parse(b[j].text))}"
    "catch(e){err(file.name+':'+b[j].line+': không phải JSON hợp lệ');bad++;i++;bar.value=i;"
    "return next()}}fetch('/api/v1/dossier-events',{method:'POST',headers:{'Content-Type':"
    "'application/json','X-CSRF-Token':f.getAttribute('data-csrf')},body:JSON.stringify("
    "{events:evs})}).then(function(r){return r.json().then(function(j){if(r.ok){taken+=j."
    "accepted}else{var rs=(j.refused||[]);if(!rs.length)err(file.name+': dòng '+b[0].line+'–'+"
    "b[b.length-1].line+': '+(j.error?j.error.message:r.status));rs.forEach(function(x){err("
    "file.name+':'+b[x.index].line+': '+x.error)});bad+=rs.length||b.length}i++;bar.value=i;"
    "st.textContent='Lô '+i+'/'+batches.length+' — đã nhận '+taken;next()})}).catch(function("
    "e){err(String(e))})}next()})})"
    /* the values upload: the whole file to the API, its per-line report */
    ";var g=document.getElementById('upload-values');if(g)g.addEventListener('submit',function(ev)"
    "{ev.preventDefault();var file=g.file.files[0];if(!file)return;var st=document.getElementById("
    "'upload-status'),errs=document.getElementById('upload-errors'),bar=document.getElementById("
    "'upload-progress');errs.textContent='';st.textContent='Đang gửi…';file.arrayBuffer().then("
    "function(buf){return fetch('/api/v1/indicator-values/import?name='+encodeURIComponent(file."
    "name),{method:'POST',headers:{'Content-Type':'application/octet-stream','X-CSRF-Token':g."
    "getAttribute('data-csrf')},body:buf})}).then(function(r){return r.json().then(function(j){"
    "bar.value=1;if(r.ok){st.textContent='Xong: '+(j.accepted||0)+' giá trị được nhận.'}else{st."
    "textContent='Không nhận: '+(j.error?j.error.message:r.status);(j.error&&j.error.rows||[])."
    "forEach(function(m){var li=document.createElement('li');li.textContent=m;errs.appendChild(li)"
    "})}})}).catch(function(e){st.textContent=String(e)})});"
    /* a DTI criterion's evidence file: the raw body, then the page again */
    "document.querySelectorAll('form.dti-upload').forEach(function(u){u.addEventListener('submit',"
    "function(ev){ev.preventDefault();var file=u.file.files[0],st=u.querySelector('[role=status]');"
    "if(!file)return;st.textContent='Đang gửi…';file.arrayBuffer().then(function(buf){return fetch("
    "u.getAttribute('data-url')+'&name='+encodeURIComponent(file.name),{method:'POST',headers:{"
    "'Content-Type':'application/octet-stream','X-CSRF-Token':u.getAttribute('data-csrf')},body:"
    "buf})}).then(function(r){if(r.ok){location.reload();return}return r.json().then(function(j){"
    "st.textContent='Không nhận: '+(j.error?j.error.message:r.status)})}).catch(function(e){st."
    "textContent=String(e)})})});"
    "})();";
