/* kpitrend.c - trends of the KPIs over months, quarters, years and the
 * same quarter of past years, from the readers' copy of the aggregates
 * (issue 20; the buckets and rates are core/trend.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/internal.h"

static json_t *rate_json(double r) { return isnan(r) ? json_null() : json_real(r); }

static json_t *point_json(const char *key, dh_date from, dh_date to, const dh_kfigures *f)
{
    dh_tpoint p;
    dh_tpoint_of(f, &p);
    char a[DH_DATE_TEXT_LEN], b[DH_DATE_TEXT_LEN];
    dh_date_format(from, a);
    dh_date_format(to, b);
    return json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:o,s:o}", "key", key, "from", a, "to", b,
                     "received", (json_int_t)p.received, "received_online",
                     (json_int_t)p.received_online, "resolved", (json_int_t)p.resolved,
                     "resolved_in_time", (json_int_t)p.resolved_in_time, "late",
                     (json_int_t)p.late, "on_time_rate", rate_json(p.on_time_rate),
                     "online_rate", rate_json(p.online_rate));
}

dh_status dh_app_kpi_trend(dh_app *app, const dh_actor *a, const dh_trend_query *q, time_t now,
                           json_t **out, dh_err *e)
{
    if (!q->unit || !*q->unit)
        return dh_err_set(e, DH_E_INVALID, "missing_field", "unit", "unit is required");
    dh_trend_by by = DH_TREND_MONTH;
    if (q->by && *q->by && dh_trend_parse_by(q->by, &by))
        return dh_err_set(e, DH_E_INVALID, "invalid_value", "by",
                          "by must be month, quarter or year");
    dh_agg_filter filter;
    if (dh_app_kpi_filter(app, q->procedure, q->field, &filter, e))
        return e->status;
    dh_tbucket *b = dh_xcalloc(DH_TREND_MAX, sizeof *b);
    int nb;
    if (q->same && *q->same) {
        const char *why = NULL;
        nb = dh_trend_same(q->same, q->years ? q->years : 11, b, 20, &why);
        if (nb < 0) {
            free(b);
            return dh_err_set(e, DH_E_INVALID, "invalid_value",
                              strstr(why, "years") ? "years" : "same", "%s", why);
        }
        by = b[0].label[5] == 'Q' ? DH_TREND_QUARTER : DH_TREND_MONTH;
    } else {
        dh_date from = q->from, to = q->to;
        if (!from && !to)
            dh_trend_default_range(dh_date_of_time_vn(now), by, &from, &to);
        if (to < from) {
            free(b);
            return dh_err_set(e, DH_E_INVALID, "invalid_range", "to", "to is before from");
        }
        nb = dh_trend_buckets(from, to, by, b, DH_TREND_MAX);
        if (nb < 0) {
            free(b);
            return dh_err_set(e, DH_E_INVALID, "invalid_range", "to",
                              "at most %d buckets at once", DH_TREND_MAX);
        }
    }
    char *units = NULL;
    dh_status st = dh_app_scope_units(app, a, q->unit, q->subtree, now, &units, e);
    dh_kfigures *f = NULL;
    if (st == DH_OK) {
        f = dh_xcalloc((size_t)nb, sizeof *f);
        st = dh_agg_query_buckets(app, units, &filter, b, (size_t)nb, f, e);
    }
    free(units);
    if (st == DH_OK) {
        json_t *items = json_array();
        for (int i = 0; i < nb; i++)
            json_array_append_new(items, point_json(b[i].label, b[i].from, b[i].to, &f[i]));
        char fa[DH_DATE_TEXT_LEN], ta[DH_DATE_TEXT_LEN];
        dh_date_format(b[0].from, fa);
        dh_date_format(b[nb - 1].to, ta);
        *out = json_pack("{s:s,s:b,s:s,s:s?,s:s,s:s,s:o}", "unit", q->unit, "subtree",
                         q->subtree, "by", dh_trend_by_name(by), "same",
                         q->same && *q->same ? q->same : NULL, "from", fa, "to", ta, "items",
                         items);
    }
    free(f);
    free(b);
    return st;
}
