/* inddemo.c - the indicators of the demo: every target of the embedded
 * data/plans/targets.csv (a collective unit such as "UBND các phường, xã"
 * becomes one target per ward of its selector in unit-names.csv), the
 * monthly values of July-December 2024, and the telecom operators' monthly
 * obligation with three approved months (docs/INDICATORS.md).
 *
 * The demo agrees with itself (issue 19, point 5): the operators' 5G
 * reports are the on-air counts of the station register at each month's
 * end (stations.c loads it first), and the online rates are those the plan
 * updates of plandemo.c quote (65% in September, short of 70% in
 * December: task II.3 is not done). Those 2024 rates are typed because the
 * demo's dossiers cover only the last year; for the months the dossiers
 * cover, the computed value wins over a typed one (tgtrefresh.c). */
#include <stdlib.h>
#include <string.h>

#include "app/indint.h"
#include "util/buf.h"
#include "util/csv.h"
#include "util/embed.h"

/* Monthly values from July 2024 and the day of the next month they came;
 * from_register: the value is the unit's on-air station count at the end
 * of the month. */
typedef struct demo_series {
    const char *indicator, *unit;
    double v[6];
    int day[6];
    bool from_register;
} demo_series;

static const demo_series series[] = {
    /* Viettel's 140 by December: on track all along, met. */
    {"5g_stations", "BRVT-VIETTEL", {0}, {8, 9, 7, 10, 9, 8}, true},
    /* VNPT's 60 by December, two reports late. */
    {"5g_stations", "BRVT-VNPT", {0}, {9, 12, 10, 15, 10, 9}, true},
    /* Vũng Tàu's 70: the stations in the city's wards. */
    {"5g_stations", "BRVT-VT", {0}, {5, 5, 5, 5, 5, 5}, true},
    /* 70% with milestones 65% (30/9) and 70% (31/10): 65% reached in
     * September (the city's update of II.3), 70% missed in October and still
     * short in December: not met. */
    {"online_by_applicant_rate", "BRVT", {55, 60, 65, 66, 67, 68}, {3, 3, 3, 3, 3, 3}, false},
    {"online_by_applicant_rate", "BRVT-VT", {57, 61, 65, 66, 66, 67}, {3, 3, 3, 3, 3, 3}, false},
};

/* The unit's stations on air at the end of the month (the register). */
static dh_status register_count(dh_app *app, const dh_actor *a, const char *unit, int year,
                                int month, time_t now, double *v, dh_err *e)
{
    dh_date end = (month == 12 ? dh_date_from_ymd(year + 1, 1, 1)
                               : dh_date_from_ymd(year, month + 1, 1)) - 1;
    json_t *cnt = NULL;
    dh_status st = dh_app_station_count(app, a, NULL, unit, end, false, now, &cnt, e);
    if (st == DH_OK)
        *v = (double)json_integer_value(json_object_get(cnt, "on_air"));
    json_decref(cnt);
    return st;
}

static const char *agg_for(const char *code, const char *uom)
{
    if (!strcmp(code, "5g_stations"))
        return "sum";
    if (!strcmp(uom, "%"))
        return "ratio";
    return "mean";
}

/* The selector of a collective name in unit-names.csv ("parent=X kind=k"). */
static char *group_selector(const char *name)
{
    size_t len;
    const char *csv = dh_embedded_get("plans/unit-names.csv", &len);
    if (!csv)
        return NULL;
    FILE *f = fmemopen((void *)csv, len, "r");
    dh_csv *c = dh_csv_new(f, "plans/unit-names.csv");
    char **fl, *out = NULL;
    size_t nf;
    while (dh_csv_next(c, &fl, &nf) > 0 && !out)
        if (nf >= 3 && !strcmp(fl[0], name) && !strcmp(fl[2], "group"))
            out = dh_xstrdup(fl[1]);
    dh_csv_free(c);
    fclose(f);
    return out;
}

static int64_t task_id_of(dh_app *app, const dh_actor *a, const char *plan, const char *ordinal,
                          time_t now)
{
    if (!*ordinal)
        return 0;
    json_t *p = NULL;
    dh_err e;
    if (dh_app_plan_get(app, a, plan, now, &p, &e))
        return 0;
    int64_t id = 0;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(p, "task_list"), i, t)
    {
        const char *o = json_string_value(json_object_get(t, "ordinal"));
        if (o && !strcmp(o, ordinal))
            id = json_integer_value(json_object_get(t, "id"));
    }
    json_decref(p);
    return id;
}

dh_status dh_app_indicators_demo(dh_app *app, const dh_actor *a, time_t now, json_t **summary,
                                 dh_err *e)
{
    *summary = NULL;
    size_t len;
    const char *csv = dh_embedded_get("plans/targets.csv", &len);
    if (!csv)
        return dh_err_set(e, DH_E_INTERNAL, "no_demo_data", NULL,
                          "this binary was built without data/plans/");
    /* Pass 1: the indicators, named after their first row. */
    FILE *f = fmemopen((void *)csv, len, "r");
    dh_csv *c = dh_csv_new(f, "plans/targets.csv");
    char **fl;
    size_t nf;
    dh_status st = DH_OK;
    json_t *seen = json_object(), *rows = json_array();
    int nind = 0, ntargets = 0, nvalues = 0;
    dh_csv_next(c, &fl, &nf); /* header */
    while (st == DH_OK && dh_csv_next(c, &fl, &nf) > 0) {
        if (nf < 12)
            continue;
        json_t *row = json_array();
        for (size_t i = 0; i < 12; i++)
            json_array_append_new(row, json_string(fl[i]));
        json_array_append_new(rows, row);
        if (json_object_get(seen, fl[2]))
            continue;
        json_object_set_new(seen, fl[2], json_true());
        bool online = !strcmp(fl[2], "online_by_applicant_rate");
        /* "mức độ 4" became "toàn trình" (Decree 42/2022): the share of the
         * procedures offered fully online, from the catalogue (issue 19,
         * point 8; every procedure offered counts, the catalogue not saying
         * which are eligible) */
        bool level4 = !strcmp(fl[2], "eligible_procedures_level4_rate");
        const char *formula = online ? "kpi:online_by_applicant"
                              : level4 ? "full_online:procedures"
                                       : "";
        /* Figures published once a year (the DTI, GRDP statistics, the yearly
         * productivity growth): yearly indicators, late only after the
         * year's due date (issue 19). */
        bool yearly = !strcmp(fl[2], "dti_rank") || !strcmp(fl[2], "digital_economy_grdp_share") ||
                      !strcmp(fl[2], "digital_economy_sector_share") ||
                      !strcmp(fl[2], "labour_productivity_growth");
        char name[400];
        snprintf(name, sizeof name, "%s", fl[3]);
        json_t *body = json_pack(
            "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "code", fl[2], "name", name, "uom", fl[4],
            "direction", fl[5], "aggregation", agg_for(fl[2], fl[4]), "source",
            *formula ? "computed" : "reported", "period_type", yearly ? "year" : "month",
            "freshness", yearly ? "yearly:31" : "monthly:10", "formula", formula);
        json_t *out = NULL;
        st = dh_app_indicator_put(app, a, body, now, &out, e);
        json_decref(body);
        json_decref(out);
        nind += st == DH_OK;
    }
    dh_csv_free(c);
    fclose(f);
    /* Fully online services (seed 004, issue 19 point 8), computed from the
     * catalogue and the dossiers for any unit and month. */
    static const char *const fo[][3] = {
        {"full_online_procedure_rate", "thủ tục hành chính được cung cấp dịch vụ công trực tuyến "
                                       "toàn trình", "full_online:procedures"},
        {"full_online_dossier_rate", "hồ sơ tiếp nhận qua dịch vụ công trực tuyến toàn trình",
         "full_online:dossiers"}};
    for (size_t i = 0; st == DH_OK && i < 2; i++) {
        json_t *body = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "code", fo[i][0], "name",
                                 fo[i][1], "uom", "%", "direction", "higher", "aggregation",
                                 "ratio", "source", "computed", "period_type", "month",
                                 "freshness", "monthly:10", "formula", fo[i][2]);
        json_t *out = NULL;
        st = dh_app_indicator_put(app, a, body, now, &out, e);
        json_decref(body);
        json_decref(out);
        nind += st == DH_OK;
    }
    /* Pass 2: the targets, wholes before their parts (the file's order). */
    const dh_unitreg *reg = st == DH_OK ? dh_app_units_acquire(app, e) : NULL;
    if (st == DH_OK && !reg)
        st = e->status;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        if (st)
            break;
        const char *g[12];
        for (int k = 0; k < 12; k++)
            g[k] = json_string_value(json_array_get(row, (size_t)k));
        json_t *units = json_array();
        if (dh_unitreg_find(reg, g[6]) >= 0) {
            json_array_append_new(units, json_string(g[6]));
        } else {
            char *sel = group_selector(g[6]);
            char parent[64] = "", kind[32] = "";
            if (sel)
                sscanf(sel, "parent=%63s kind=%31s", parent, kind);
            int32_t p = dh_unitreg_find(reg, parent);
            /* The wards as they were on the target's date, or on their
             * parent's last day when it closed before. */
            dh_date d = dh_date_of_time_vn(now);
            if (*g[8])
                dh_date_parse(g[8], &d);
            if (p >= 0 && reg->u[p].valid_to != DH_DATE_NONE && reg->u[p].valid_to < d)
                d = reg->u[p].valid_to;
            for (size_t u = 0; p >= 0 && u < reg->n; u++) {
                const dh_unit_version *v = dh_unitreg_at(reg, (int32_t)u, d);
                if (v && v->parent == p && !strcmp(dh_unit_kind_name(reg->u[u].kind), kind))
                    json_array_append_new(units, json_string(reg->u[u].code));
            }
            free(sel);
        }
        int64_t task = task_id_of(app, a, g[0], g[1], now);
        size_t k;
        json_t *u;
        json_array_foreach(units, k, u)
        {
            char key[300];
            snprintf(key, sizeof key, "seed:%zu:%s", i + 2, json_string_value(u));
            json_t *body = json_pack("{s:s,s:s,s:f,s:s,s:s,s:s,s:s,s:s}", "indicator", g[2],
                                     "unit", json_string_value(u), "value", atof(g[7]), "plan",
                                     g[0], "task_ref", g[1], "name", g[3], "note", g[11], "key",
                                     key);
            if (*g[8])
                json_object_set_new(body, "due", json_string(g[8]));
            if (*g[9])
                json_object_set_new(body, "milestones", json_string(g[9]));
            if (*g[10])
                json_object_set_new(body, "split_of", json_string(g[10]));
            if (task)
                json_object_set_new(body, "task_id", json_integer(task));
            json_t *out = NULL;
            st = dh_app_target_put(app, a, body, now, &out, e);
            json_decref(body);
            json_decref(out);
            if (st) {
                char msg[sizeof e->message];
                snprintf(msg, sizeof msg, "plans/targets.csv:%zu: %s", i + 2, e->message);
                snprintf(e->message, sizeof e->message, "%s", msg);
                break;
            }
            ntargets++;
        }
        json_decref(units);
    }
    if (reg)
        dh_app_units_release(app, reg);
    json_decref(rows);
    json_decref(seen);
    /* The operators' monthly obligation, then the values as they came. */
    if (st == DH_OK) {
        json_t *body = json_pack(
            "{s:s,s:s,s:[s],s:s,s:s,s:b,s:[s,s]}", "code", "BC-5G-THANG", "name",
            "Báo cáo tiến độ phát triển trạm 5G hằng tháng (trước ngày 10 tháng sau)",
            "indicators", "5g_stations", "period_type", "month", "due_rule", "next_month_day:10",
            "approval", 1, "units", "BRVT-VIETTEL", "BRVT-VNPT");
        json_t *out = NULL;
        st = dh_app_obligation_put(app, a, body, now, &out, e);
        json_decref(body);
        json_decref(out);
    }
    if (st == DH_OK) {
        json_t *body = json_pack(
            "{s:s,s:s,s:[s],s:s,s:s,s:s}", "code", "BC-TTTX-PHUONG", "name",
            "Báo cáo tỷ lệ hồ sơ trực tuyến từ xa của các phường, xã (trước ngày 10 tháng sau)",
            "indicators", "online_by_applicant_rate", "period_type", "month", "due_rule",
            "next_month_day:10", "unit_rule", "parent=BRVT-VT kind=commune");
        json_t *out = NULL;
        st = dh_app_obligation_put(app, a, body, now, &out, e);
        json_decref(body);
        json_decref(out);
    }
    for (size_t s = 0; st == DH_OK && s < sizeof series / sizeof *series; s++)
        for (int m = 0; st == DH_OK && m < 6; m++) {
            int month = 7 + m, next = month == 12 ? 1 : month + 1, year = month == 12 ? 2025 : 2024;
            char period[8], id[96];
            snprintf(period, sizeof period, "2024-%02d", month);
            snprintf(id, sizeof id, "demo:%s:%s:%s", series[s].indicator, series[s].unit, period);
            double v = series[s].v[m];
            if (series[s].from_register &&
                (st = register_count(app, a, series[s].unit, 2024, month, now, &v, e)))
                break;
            json_t *vals = json_pack("[{s:s,s:s,s:s,s:f,s:s,s:s}]", "indicator",
                                     series[s].indicator, "unit", series[s].unit, "period", period,
                                     "value", v, "source", "demo", "id", id);
            /* Received at 09:00 local time on that day of the next month. */
            time_t at = (time_t)dh_date_from_ymd(year, next, series[s].day[m]) * 86400 + 2 * 3600;
            json_t *out = NULL;
            st = dh_app_values_put(app, a, vals, at, &out, e);
            json_decref(vals);
            json_decref(out);
            nvalues += st == DH_OK;
        }
    static const char *const approve[] = {"2024-07", "2024-08", "2024-09"};
    for (size_t p = 0; st == DH_OK && p < 3; p++)
        for (int u = 0; st == DH_OK && u < 2; u++) {
            json_t *out = NULL;
            st = dh_app_obligation_approve(app, a, "BC-5G-THANG", u ? "BRVT-VNPT" : "BRVT-VIETTEL",
                                           approve[p], now, &out, e);
            json_decref(out);
        }
    if (st == DH_OK)
        *summary = json_pack("{s:i,s:i,s:i}", "indicators", nind, "targets", ntargets, "values",
                             nvalues);
    return st;
}
