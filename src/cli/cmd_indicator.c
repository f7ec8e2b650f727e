/* cmd_indicator.c - `dieuhanh indicator ...` (the catalogue and the data
 * hub's file upload) and `dieuhanh target status` (progress against
 * targets). docs/INDICATORS.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "util/buf.h"

static const char indicator_help[] =
    "usage: dieuhanh indicator list [--db URL]\n"
    "       dieuhanh indicator import FILE.csv [--db URL]\n"
    "       dieuhanh indicator import-values FILE.csv|FILE.xlsx [--db URL]\n\n"
    "  list            every indicator (JSON)\n"
    "  import          indicators from CSV (header code,name,uom,direction,aggregation,source,\n"
    "                  period_type,freshness,formula,note); all or nothing, every bad row\n"
    "                  reported as FILE:LINE\n"
    "  import-values   values from CSV or XLSX (header indicator,unit,period,value,numerator,\n"
    "                  denominator,source,id; 'at' may replace period); all or nothing,\n"
    "                  idempotent on (source, id)\n";

static int print_report(const dh_import_report *rep)
{
    for (int i = 0; i < rep->nmessages; i++)
        fprintf(stderr, "%s\n", rep->messages[i]);
    return 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    dh_buf b = DH_BUF_INIT;
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        dh_buf_append(&b, tmp, n);
    fclose(f);
    *len = b.len;
    if (!b.p)
        dh_buf_puts(&b, "");
    return dh_buf_steal(&b);
}

int dh_cmd_indicator(int argc, char **argv)
{
    const char *db = NULL, *pos[2];
    int npos;
    const dh_cli_opt opts[] = {{"--db", &db, NULL}, {NULL, NULL, NULL}};
    int rc = dh_cli_parse("indicator", argc, argv, opts, pos, 2, &npos, indicator_help);
    if (rc)
        return rc < 0 ? DH_EXIT_OK : rc;
    if (npos < 1)
        return dh_cli_usage("indicator", "give list, import FILE or import-values FILE");
    bool list = !strcmp(pos[0], "list"), imp = !strcmp(pos[0], "import"),
         vals = !strcmp(pos[0], "import-values");
    if (!list && !imp && !vals)
        return dh_cli_usage("indicator", "unknown subcommand '%s'", pos[0]);
    if ((imp || vals) && npos != 2)
        return dh_cli_usage("indicator", "%s needs a FILE", pos[0]);
    dh_app *app = dh_cli_open(dh_cli_db(db), false);
    if (!app)
        return DH_EXIT_FAIL;
    dh_actor a;
    dh_actor_cli(&a);
    dh_err e;
    dh_status st = DH_OK;
    if (list) {
        json_t *items;
        st = dh_app_indicator_list(app, &a, &items, &e);
        if (st == DH_OK) {
            dh_cli_print_json(items);
            json_decref(items);
        }
    } else if (imp) {
        FILE *f = fopen(pos[1], "r");
        if (!f) {
            dh_app_close(app);
            fprintf(stderr, "dieuhanh: cannot read %s\n", pos[1]);
            return DH_EXIT_FAIL;
        }
        dh_import_report rep;
        st = dh_app_indicator_import(app, &a, f, pos[1], time(NULL), &rep, &e);
        fclose(f);
        print_report(&rep);
        if (st == DH_OK)
            printf("Đã nhập %d chỉ tiêu.\n", rep.taken);
        dh_import_report_free(&rep);
    } else {
        size_t len;
        char *data = slurp(pos[1], &len);
        if (!data) {
            dh_app_close(app);
            fprintf(stderr, "dieuhanh: cannot read %s\n", pos[1]);
            return DH_EXIT_FAIL;
        }
        dh_import_report rep;
        json_t *out = NULL;
        st = dh_app_values_import(app, &a, data, len, pos[1], time(NULL), &rep, &out, &e);
        free(data);
        print_report(&rep);
        if (st == DH_OK)
            printf("Đã nhận %lld giá trị (%lld trùng lặp, %lld thay thế).\n",
                   (long long)json_integer_value(json_object_get(out, "accepted")),
                   (long long)json_integer_value(json_object_get(out, "duplicates")),
                   (long long)json_integer_value(json_object_get(out, "replaced")));
        json_decref(out);
        dh_import_report_free(&rep);
    }
    dh_app_close(app);
    return st ? dh_cli_fail(&e) : DH_EXIT_OK;
}

static const char target_help[] =
    "usage: dieuhanh target status [--unit CODE] [--no-subtree] [--status S] [--indicator C]\n"
    "                              [--as-of DATE] [--json] [--db URL]\n\n"
    "Progress against every target of the unit and the units below it: the latest value,\n"
    "the gap, a projection to the target date (a least-squares line through the latest\n"
    "six periods; the last value when there is one) and the status on_track, at_risk or\n"
    "off_track with the day it began. --as-of judges on another day (default today).\n";

int dh_cmd_target(int argc, char **argv)
{
    const char *db = NULL, *unit = NULL, *status = NULL, *ind = NULL, *as_of = NULL, *pos[1];
    bool json_out = false, no_subtree = false;
    int npos;
    const dh_cli_opt opts[] = {{"--db", &db, NULL},         {"--unit", &unit, NULL},
                               {"--status", &status, NULL}, {"--indicator", &ind, NULL},
                               {"--as-of", &as_of, NULL},   {"--json", NULL, &json_out},
                               {"--no-subtree", NULL, &no_subtree},
                               {NULL, NULL, NULL}};
    int rc = dh_cli_parse("target", argc, argv, opts, pos, 1, &npos, target_help);
    if (rc)
        return rc < 0 ? DH_EXIT_OK : rc;
    if (npos != 1 || strcmp(pos[0], "status"))
        return dh_cli_usage("target", "the subcommand is: status");
    dh_target_query q = {unit, !no_subtree, status, ind, DH_DATE_NONE, 0, 0, false};
    if (as_of && dh_date_parse(as_of, &q.as_of))
        return dh_cli_usage("target", "--as-of is YYYY-MM-DD");
    dh_app *app = dh_cli_open(dh_cli_db(db), false);
    if (!app)
        return DH_EXIT_FAIL;
    dh_actor a;
    dh_actor_cli(&a);
    dh_err e;
    json_t *out = NULL;
    /* the whole refresh first: the command waits, a web request would not */
    dh_status st = dh_app_targets_refresh(app, time(NULL), NULL, &e);
    if (st == DH_OK)
        st = dh_app_target_status(app, &a, &q, time(NULL), &out, &e);
    dh_app_close(app);
    if (st)
        return dh_cli_fail(&e);
    if (json_out) {
        dh_cli_print_json(out);
    } else {
        json_t *c = json_object_get(out, "counts");
        printf("Tiến độ chỉ tiêu đến ngày %s: %lld đúng tiến độ, %lld có nguy cơ chậm, %lld chậm "
               "tiến độ, %lld chưa có số liệu\n\n",
               json_string_value(json_object_get(out, "as_of")),
               (long long)json_integer_value(json_object_get(c, "on_track")),
               (long long)json_integer_value(json_object_get(c, "at_risk")),
               (long long)json_integer_value(json_object_get(c, "off_track")),
               (long long)json_integer_value(json_object_get(c, "no_data")));
        printf("%-18s %-14s %-30s %10s %10s %10s %-12s %s\n", "Trạng thái", "Đơn vị", "Chỉ tiêu",
               "Mục tiêu", "Thực hiện", "Dự báo", "Hạn", "Từ ngày");
        size_t i;
        json_t *t;
        json_array_foreach(json_object_get(out, "items"), i, t)
        {
            char target[32], actual[32] = "-", proj[32] = "-";
            snprintf(target, sizeof target, "%g", json_number_value(json_object_get(t, "value")));
            if (json_object_get(t, "actual"))
                snprintf(actual, sizeof actual, "%g",
                         json_number_value(json_object_get(t, "actual")));
            if (json_object_get(t, "projection"))
                snprintf(proj, sizeof proj, "%g",
                         json_number_value(json_object_get(t, "projection")));
            const char *due = json_string_value(json_object_get(t, "due"));
            const char *since = json_string_value(json_object_get(t, "since"));
            printf("%-18s %-14s %-30.30s %10s %10s %10s %-12s %s\n",
                   json_string_value(json_object_get(t, "status_label")),
                   json_string_value(json_object_get(t, "unit")),
                   json_string_value(json_object_get(t, "indicator")), target, actual, proj,
                   due ? due : "-", since ? since : "-");
        }
        json_t *w;
        json_array_foreach(json_object_get(out, "split_warnings"), i, w)
            printf("\nCảnh báo: chỉ tiêu phân bổ không khớp tổng: %s\n",
                   json_string_value(json_object_get(w, "message")));
    }
    json_decref(out);
    return DH_EXIT_OK;
}
