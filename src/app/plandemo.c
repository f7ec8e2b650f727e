/* plandemo.c - the five seed plans of data/plans/ as demo data: the plans
 * (parents before the plans implementing them), their appendices through
 * the ordinary import, progress updates on a few tasks so that every status
 * shows, and directives dated from `now` for the statuses that need a
 * deadline still ahead (at_risk, not_started, in_progress). */
#include <stdlib.h>
#include <string.h>

#include "app/planbook.h"
#include "util/buf.h"
#include "util/csv.h"
#include "util/embed.h"

/* One demo progress update on a seed task. */
typedef struct demo_update {
    const char *plan, *ordinal, *unit;
    const char *date;       /* YYYY-MM-DD, or NULL for "days_ago" days before now */
    int days_ago;
    int percent;            /* -1 none */
    bool done;
    const char *occurrence; /* recurring tasks */
    const char *text;
} demo_update;

static const demo_update updates[] = {
    /* done: the IOC data, on time */
    {"1683/QĐ-UBND", "II.1", "BRVT-STTTT", "2024-08-05", 0, 40, false, NULL,
     "Đã kết nối 12 hệ thống chuyên ngành về IOC tỉnh."},
    {"1683/QĐ-UBND", "II.1", "BRVT-STTTT", "2024-12-20", 0, 100, true, NULL,
     "Hoàn thành kết nối, đồng bộ dữ liệu; App Điều hành công việc vận hành ổn định."},
    /* done_late: the 5G stations */
    /* the figures of the station register (stations.c): 95 of Viettel's
     * 140 on air at the end of September, all 200 by 26/12 */
    {"1683/QĐ-UBND", "II.2", "BRVT-VIETTEL", "2024-10-05", 0, 68, false, NULL,
     "Đã phát sóng 95/140 trạm 5G (đến 30/9/2024)."},
    {"1683/QĐ-UBND", "II.2", "BRVT-VIETTEL", "2025-01-20", 0, 100, true, NULL,
     "Hoàn thành 140 trạm 5G; Viễn thông hoàn thành 60 trạm."},
    /* overdue, then not done at the term's end: 70% online from afar was
     * not reached (the indicator's values of inddemo.c: 65% in September,
     * 68% in December) */
    {"1683/QĐ-UBND", "II.3", "BRVT-VT", "2024-10-08", 0, 65, false, NULL,
     "Tỷ lệ hồ sơ trực tuyến từ xa tháng 9/2024 đạt 65%."},
    /* the city's plan: done and overdue */
    {"TPVT-KH-2024-khau-dot-pha-CDS", "III.1", "VT-PVHTT", "2024-12-15", 0, 100, true, NULL,
     "OC Vũng Tàu đã kết nối với IOC tỉnh."},
    {"TPVT-KH-2024-khau-dot-pha-CDS", "III.3", "VT-P1", "2024-11-10", 0, 50, false, NULL,
     "Phường 1 đạt 50% hồ sơ trực tuyến từ xa."},
    /* continuous duties: one reporting, one that stopped (no_report) */
    {"TPVT-KH-2024-khac-phuc-DTI-2023", "3.4", "VT-PVHTT", NULL, 5, 60, false, NULL,
     "95% cán bộ sử dụng hộp thư điện tử công vụ trong tháng."},
    {"TPVT-KH-2024-khac-phuc-DTI-2023", "3.6", "VT-P2", "2024-09-09", 0, 30, false, NULL,
     "Đã gửi video hướng dẫn qua Zalo khu phố."},
    /* a yearly task: 2023 done, 2024 done late, 2025 overdue */
    {"BRVT-QD-2023-chinh-quyen-so", "II.1", "BRVT-STP", "2023-12-20", 0, 100, true, "2023-12-31",
     "Đã rà soát, cập nhật 14 văn bản."},
    {"BRVT-QD-2023-chinh-quyen-so", "II.1", "BRVT-STP", "2025-01-15", 0, 100, true, "2024-12-31",
     "Hoàn thành rà soát năm 2024."},
    {0, 0, 0, 0, 0, 0, 0, 0, 0},
};

/* Splits "a;b" into a JSON array of strings. */
static json_t *split_list(const char *s)
{
    json_t *arr = json_array();
    char *buf = dh_xstrdup(s), *save = NULL;
    for (char *p = strtok_r(buf, ";", &save); p; p = strtok_r(NULL, ";", &save))
        if (*p)
            json_array_append_new(arr, json_string(p));
    free(buf);
    return arr;
}

static void set_opt(json_t *o, const char *key, const char *v)
{
    if (v && *v)
        json_object_set_new(o, key, json_string(v));
}

/* The plans of plans.csv as create bodies, in file order. */
static dh_status read_plans(json_t **out, dh_err *e)
{
    size_t len;
    const char *data = dh_embedded_get("plans/plans.csv", &len);
    if (!data)
        return dh_err_set(e, DH_E_INTERNAL, "no_demo_data", NULL,
                          "this binary was built without data/plans/");
    FILE *f = fmemopen((void *)data, len, "r");
    dh_csv *csv = dh_csv_new(f, "plans/plans.csv");
    char **fl;
    size_t nf;
    bool header = true;
    json_t *arr = json_array();
    while (dh_csv_next(csv, &fl, &nf) > 0) {
        if (header || nf < 11) {
            header = false;
            continue;
        }
        json_t *o = json_object();
        set_opt(o, "key", fl[0]);
        set_opt(o, "number", fl[1]);
        set_opt(o, "type", fl[2]);
        set_opt(o, "date", fl[3]);
        set_opt(o, "issuer", fl[4]);
        set_opt(o, "title", fl[5]);
        set_opt(o, "period_from", fl[6]);
        set_opt(o, "period_to", fl[7]);
        json_object_set_new(o, "implements", split_list(fl[8]));
        set_opt(o, "note", fl[10]);
        json_array_append_new(arr, o);
    }
    dh_csv_free(csv);
    fclose(f);
    *out = arr;
    return DH_OK;
}

static bool implements_any(json_t *plan, json_t *plans, size_t upto)
{
    json_t *impl = json_object_get(plan, "implements");
    for (size_t i = 0; i < json_array_size(impl); i++)
        for (size_t k = 0; k < json_array_size(plans); k++)
            if (k != upto && strcmp(json_string_value(json_array_get(impl, i)),
                                    json_string_value(json_object_get(json_array_get(plans, k),
                                                                      "key"))) == 0)
                return true;
    return false;
}

static int64_t task_id_of(dh_app *app, const char *plan, const char *ordinal, dh_err *e)
{
    const dh_planbook *b = pb_acquire(app, e);
    if (!b)
        return 0;
    size_t p = pb_plan_find(b, plan);
    size_t t = p != PB_NONE ? pb_task_by_ordinal(b, p, ordinal) : PB_NONE;
    int64_t id = t != PB_NONE ? b->t[t].id : 0;
    pb_release(app, b);
    if (!id)
        dh_err_set(e, DH_E_INTERNAL, "bad_demo_data", NULL, "demo: no task %s in plan %s",
                   ordinal, plan);
    return id;
}

static dh_status directive(dh_app *app, const dh_actor *a, const char *assignee, int days,
                           int percent, time_t now, const char *content, dh_err *e)
{
    char due[DH_DATE_TEXT_LEN];
    dh_date_format(dh_date_of_time_vn(now) + days, due);
    json_t *body = json_pack("{s:{s:s,s:s},s:s,s:s,s:s}", "source", "kind", "unit", "unit",
                             assignee, "assignee", assignee, "deadline", due, "content", content);
    json_t *out = NULL;
    dh_status st = dh_app_directive_create(app, a, body, now, &out, e);
    json_decref(body);
    if (st == DH_OK && percent >= 0) {
        int64_t id = json_integer_value(json_object_get(out, "id"));
        json_t *u = json_pack("{s:s,s:i,s:s}", "unit", assignee, "percent", percent, "text",
                              "Đã triển khai, đang thực hiện.");
        json_t *o2 = NULL;
        st = dh_app_task_update(app, a, id, u, now, &o2, e);
        json_decref(u);
        json_decref(o2);
    }
    json_decref(out);
    return st;
}

dh_status dh_app_plans_demo(dh_app *app, const dh_actor *a, time_t now, json_t **summary,
                            dh_err *e)
{
    *summary = NULL;
    json_t *plans = NULL;
    dh_status st = read_plans(&plans, e);
    if (st)
        return st;
    int nplans = 0, ntasks = 0, nupdates = 0;
    /* Two passes: plans implementing another seed plan come second. */
    for (int pass = 0; pass < 2 && st == DH_OK; pass++) {
        for (size_t i = 0; i < json_array_size(plans) && st == DH_OK; i++) {
            json_t *p = json_array_get(plans, i);
            if (implements_any(p, plans, i) != (pass == 1))
                continue;
            json_t *out = NULL;
            st = dh_app_plan_create(app, a, p, now, &out, e);
            json_decref(out);
            if (st)
                break;
            nplans++;
            const char *key = json_string_value(json_object_get(p, "key"));
            char path[256];
            snprintf(path, sizeof path, "plans/tasks-%s.csv", key);
            for (char *s = path + 12; *s; s++)
                if (*s == '/')
                    *s = '_';
            size_t len;
            const char *data = dh_embedded_get(path, &len);
            if (!data)
                continue;
            dh_import_report rep;
            st = dh_app_plan_import(app, a, key, data, len, path, now, &rep, e);
            if (st && rep.nmessages)
                snprintf(e->message, sizeof e->message, "%s", rep.messages[0]);
            ntasks += rep.taken;
            dh_import_report_free(&rep);
        }
    }
    json_decref(plans);
    dh_date today = dh_date_of_time_vn(now);
    for (const demo_update *u = updates; u->plan && st == DH_OK; u++) {
        int64_t id = task_id_of(app, u->plan, u->ordinal, e);
        if (!id) {
            st = e->status;
            break;
        }
        json_t *body = json_object();
        json_object_set_new(body, "unit", json_string(u->unit));
        char d[DH_DATE_TEXT_LEN];
        if (u->date)
            snprintf(d, sizeof d, "%s", u->date);
        else
            dh_date_format(today - u->days_ago, d);
        json_object_set_new(body, "date", json_string(d));
        if (u->percent >= 0)
            json_object_set_new(body, "percent", json_integer(u->percent));
        if (u->done)
            json_object_set_new(body, "done", json_true());
        if (u->occurrence)
            json_object_set_new(body, "occurrence", json_string(u->occurrence));
        json_object_set_new(body, "text", json_string(u->text));
        json_t *out = NULL;
        st = dh_app_task_update(app, a, id, body, now, &out, e);
        json_decref(body);
        json_decref(out);
        nupdates += st == DH_OK;
    }
    /* Directives with deadlines ahead: at risk, in progress, not started. */
    if (st == DH_OK)
        st = directive(app, a, "BRVT-TTPVHCC", 5, 5, now,
                       "Rà soát, công khai đầy đủ thủ tục hành chính trên Cổng dịch vụ công.", e);
    if (st == DH_OK)
        st = directive(app, a, "BRVT-STTTT", 120, 30, now,
                       "Hướng dẫn các phường mới sau sắp xếp kết nối hệ thống một cửa điện tử.",
                       e);
    if (st == DH_OK)
        st = directive(app, a, "BRVT-SNV", 90, -1, now,
                       "Tham mưu đưa kết quả chuyển đổi số vào chấm điểm cải cách hành chính.", e);
    if (st == DH_OK)
        *summary = json_pack("{s:i,s:i,s:i,s:i}", "plans", nplans, "tasks", ntasks, "updates",
                             nupdates, "directives", 3);
    return st;
}
