/* cmd_report.c - dieuhanh report ii06a (the official statistics form),
 * completeness, late-daily, full-online and trend. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/period.h"

static const char report_help[] =
    "usage: dieuhanh report ii06a --unit CODE (--from DATE --to DATE | --period P)\n"
    "                            [--format json|csv|html|xlsx|pdf] [-o FILE] [--today-units]\n"
    "                            [--exact] [--db URL]\n\n"
    "Biểu số II.06a/VPCP/KSTT for the unit and its subtree: per field of the procedures,\n"
    "dossiers received (online, at the counter or by post, carried over), resolved (early,\n"
    "on time, late) and in progress (within the deadline, overdue) at the end of the period.\n"
    "Both dates are inclusive, local time. P: 2025, 2025-H1, 2025-Q3, 2025-07, a day, a range\n"
    "2025-01-01..2025-03-31, or a Decree 09 cut-off period such as cutoff:2025-Q1.\n"
    "The counting rules are in docs/KPIS.md. Default format: that of -o FILE's extension,\n"
    "else json.\n\n"
    "  --today-units  count the dossiers of units closed since (merged, split) in the units\n"
    "                 that took them over; by default units are shown as they were\n"
    "  --exact        recount by replaying every dossier instead of reading the aggregates\n"
    "                 (slow; the figures are the same — a check)\n";

static const char completeness_help[] =
    "usage: dieuhanh report completeness --obligation ID|CODE --period P [--json] [--db URL]\n\n"
    "Completeness and timeliness of a report obligation for one period: the units expected\n"
    "(those that exist on the period's last day), which reported, which on time (by the due\n"
    "date of the obligation's rule), which are late, partial or missing. P is written as the\n"
    "obligation's period type: 2024-07, 2024-Q3, cutoff:2025-Q1, 2024, ...\n";

static const char late_daily_help[] =
    "usage: dieuhanh report late-daily --unit CODE [--date DATE] [--json] [--db URL]\n"
    "       dieuhanh report late-daily --run [--date DATE] [--force] [--json] [--db URL]\n\n"
    "Báo cáo hồ sơ quá hạn trong ngày: every working day at the report hour\n"
    "(DIEUHANH_LATE_REPORT_AT, default 16:30 local) each unit reports its overdue dossiers\n"
    "(days overdue, apology letter issued or not) to its parent unit; the server does it by\n"
    "itself. The first form prints what CODE reported on DATE (default today) and what its\n"
    "units reported to it. --run makes the day's reports now (once a day: a second run, or\n"
    "one after the server's, writes nothing; --force mails again, never rewrites a report).\n"
    "A unit whose calendar makes DATE a day off reports nothing.\n";

static void print_late_report(json_t *r, const char *indent)
{
    printf("%s%s → %s: %lld hồ sơ quá hạn, %lld đã có phiếu xin lỗi (lập %s)\n", indent,
           json_string_value(json_object_get(r, "unit")),
           json_string_value(json_object_get(r, "parent")),
           (long long)json_integer_value(json_object_get(r, "overdue")),
           (long long)json_integer_value(json_object_get(r, "apologies")),
           json_string_value(json_object_get(r, "made_at")));
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(r, "items"), i, d)
        printf("%s  %-24s %-14s quá hạn %lld ngày  %s\n", indent,
               json_string_value(json_object_get(d, "code")),
               json_string_value(json_object_get(d, "procedure")),
               (long long)json_integer_value(json_object_get(d, "days_overdue")),
               json_is_true(json_object_get(d, "apology_issued")) ? "đã có phiếu xin lỗi"
                                                                  : "chưa có phiếu xin lỗi");
}

/* dieuhanh report late-daily (argv[0] is "late-daily"). */
static int report_late_daily(int argc, char **argv)
{
    const char *db = NULL, *unit = NULL, *date = NULL, *pos[1];
    bool json_out = false, run = false, force = false;
    int npos;
    const dh_cli_opt opts[] = {{"--db", &db, NULL},       {"--unit", &unit, NULL},
                               {"--date", &date, NULL},   {"--json", NULL, &json_out},
                               {"--run", NULL, &run},     {"--force", NULL, &force},
                               {NULL, NULL, NULL}};
    int rc = dh_cli_parse("report late-daily", argc, argv, opts, pos, 0, &npos, late_daily_help);
    if (rc)
        return rc < 0 ? DH_EXIT_OK : rc;
    if (!run && !unit)
        return dh_cli_usage("report late-daily", "--unit CODE (or --run) is required");
    time_t now = time(NULL);
    dh_date d = dh_date_of_time_vn(now);
    if (date && dh_date_parse(date, &d))
        return dh_cli_usage("report late-daily", "--date: '%s' is not a date YYYY-MM-DD", date);
    dh_app *app = dh_cli_open(dh_cli_db(db), false);
    if (!app)
        return DH_EXIT_FAIL;
    dh_actor a;
    dh_actor_cli(&a);
    dh_err e;
    json_t *out = NULL;
    dh_status st = run ? dh_app_late_daily_run(app, d, now, force, &out, &e)
                       : dh_app_late_daily(app, &a, unit, d, now, &out, &e);
    dh_app_close(app);
    if (st)
        return dh_cli_fail(&e);
    if (json_out) {
        dh_cli_print_json(out);
        json_decref(out);
        return DH_EXIT_OK;
    }
    if (run) {
        printf("%s: %lld báo cáo, %lld e-mail%s\n", json_string_value(json_object_get(out, "day")),
               (long long)json_integer_value(json_object_get(out, "reports")),
               (long long)json_integer_value(json_object_get(out, "mailed")),
               json_is_true(json_object_get(out, "ran")) ? "" : " (đã báo cáo trong ngày)");
        json_decref(out);
        return DH_EXIT_OK;
    }
    printf("Báo cáo hồ sơ quá hạn trong ngày %s — %s\n",
           json_string_value(json_object_get(out, "date")), unit);
    json_t *own = json_object_get(out, "report");
    if (json_is_object(own))
        print_late_report(own, "");
    else
        printf("%s chưa có báo cáo trong ngày (không có hồ sơ quá hạn, ngày nghỉ, hoặc chưa đến "
               "giờ báo cáo)\n", unit);
    json_t *recv = json_object_get(out, "received");
    printf("\nĐơn vị trực thuộc đã báo cáo: %zu\n", json_array_size(recv));
    size_t i;
    json_t *r;
    json_array_foreach(recv, i, r)
        print_late_report(r, "  ");
    json_decref(out);
    return DH_EXIT_OK;
}

/* The period of --period or --from/--to in *p, then the database opened
 * in *app: 0, or the exit status (the message said). */
static int open_for_period(const char *cmd, const char *period, const char *from, const char *to,
                           const char *db, dh_period *p, dh_app **app)
{
    int rc = dh_cli_period(cmd, period, from, to, p);
    if (rc)
        return rc;
    *app = dh_cli_open(dh_cli_db(db), false);
    return *app ? 0 : DH_EXIT_FAIL;
}

static const char full_online_help[] =
    "usage: dieuhanh report full-online --unit CODE (--period P | --from DATE --to DATE)\n"
    "                                   [--json] [--db URL]\n\n"
    "Dịch vụ công trực tuyến toàn trình: of the procedures the unit offers (the catalogue's\n"
    "versions in force at the period's end at the levels it handles), how many are fully\n"
    "online; of the dossiers its subtree received in the period, how many through them.\n"
    "P as for ii06a: 2025, 2025-Q3, 2025-07, a day, a range 2025-01-01..2025-03-31.\n";

/* dieuhanh report full-online (argv[0] is "full-online"). */
static int report_full_online(int argc, char **argv)
{
    const char *db = NULL, *unit = NULL, *from = NULL, *to = NULL, *period = NULL, *pos[1];
    bool json_out = false;
    int npos;
    const dh_cli_opt opts[] = {{"--db", &db, NULL},         {"--unit", &unit, NULL},
                               {"--from", &from, NULL},     {"--to", &to, NULL},
                               {"--period", &period, NULL}, {"--json", NULL, &json_out},
                               {NULL, NULL, NULL}};
    int rc = dh_cli_parse("report full-online", argc, argv, opts, pos, 0, &npos,
                          full_online_help);
    if (rc)
        return rc < 0 ? DH_EXIT_OK : rc;
    if (!unit)
        return dh_cli_usage("report full-online", "--unit CODE is required");
    dh_period p;
    dh_app *app = NULL;
    int prc = open_for_period("report full-online", period, from, to, db, &p, &app);
    if (prc)
        return prc;
    dh_actor a;
    dh_actor_cli(&a);
    dh_err e;
    json_t *out = NULL;
    dh_status st = dh_app_full_online(app, &a, unit, p.from, p.to, time(NULL), &out, &e);
    dh_app_close(app);
    if (st)
        return dh_cli_fail(&e);
    if (json_out) {
        dh_cli_print_json(out);
        json_decref(out);
        return DH_EXIT_OK;
    }
    json_t *pr = json_object_get(out, "full_online_procedure_rate"),
           *dr = json_object_get(out, "full_online_dossier_rate");
    printf("Dịch vụ công trực tuyến toàn trình — %s, %s đến %s\n", unit,
           json_string_value(json_object_get(out, "from")),
           json_string_value(json_object_get(out, "to")));
    printf("Thủ tục trực tuyến toàn trình: %lld/%lld",
           (long long)json_integer_value(json_object_get(out, "full_online_procedures")),
           (long long)json_integer_value(json_object_get(out, "procedures")));
    if (json_is_number(pr))
        printf(" (%.2f%%)", json_number_value(pr));
    printf("\nHồ sơ tiếp nhận qua dịch vụ toàn trình: %lld/%lld",
           (long long)json_integer_value(json_object_get(out, "full_online_dossiers")),
           (long long)json_integer_value(json_object_get(out, "dossiers")));
    if (json_is_number(dr))
        printf(" (%.2f%%)", json_number_value(dr));
    printf("\n");
    json_decref(out);
    return DH_EXIT_OK;
}

static const char trend_help[] =
    "usage: dieuhanh report trend --unit CODE [--by month|quarter|year]\n"
    "                             [--from DATE --to DATE] [--no-subtree] [--procedure CODE]\n"
    "                             [--field NAME] [--json] [--db URL]\n"
    "       dieuhanh report trend --unit CODE --same 2026-Q3|2026-07 [--years N] ...\n\n"
    "Xu hướng: the dossiers received (new in the bucket), resolved, the on-time rate and\n"
    "the online rate of the unit and its subtree for each month, quarter or year of the\n"
    "range (default: the ten years ending with the current month, by month), or with\n"
    "--same for that quarter or month of each of N years (default 11) ending with it —\n"
    "the same quarter over the years. Read from the aggregates; docs/KPIS.md.\n";

static void print_rate(const json_t *r)
{
    if (json_is_number(r))
        printf(" %9.2f%%", json_number_value(r));
    else
        printf(" %10s", "—");
}

/* dieuhanh report trend (argv[0] is "trend"). */
static int report_trend(int argc, char **argv)
{
    const char *db = NULL, *unit = NULL, *from = NULL, *to = NULL, *by = NULL, *same = NULL,
               *years = NULL, *procedure = NULL, *field = NULL, *pos[1];
    bool json_out = false, no_subtree = false;
    int npos;
    const dh_cli_opt opts[] = {{"--db", &db, NULL},
                               {"--unit", &unit, NULL},
                               {"--from", &from, NULL},
                               {"--to", &to, NULL},
                               {"--by", &by, NULL},
                               {"--same", &same, NULL},
                               {"--years", &years, NULL},
                               {"--procedure", &procedure, NULL},
                               {"--field", &field, NULL},
                               {"--no-subtree", NULL, &no_subtree},
                               {"--json", NULL, &json_out},
                               {NULL, NULL, NULL}};
    int rc = dh_cli_parse("report trend", argc, argv, opts, pos, 0, &npos, trend_help);
    if (rc)
        return rc < 0 ? DH_EXIT_OK : rc;
    if (!unit)
        return dh_cli_usage("report trend", "--unit CODE is required");
    dh_trend_query q = {unit, !no_subtree, procedure, field, by, 0, 0, same, 0};
    if ((from || to) && (!from || !to))
        return dh_cli_usage("report trend", "give both --from and --to, or neither");
    if (from && (dh_date_parse(from, &q.from) || dh_date_parse(to, &q.to)))
        return dh_cli_usage("report trend", "--from and --to must be YYYY-MM-DD");
    if (years) {
        char *end;
        long n = strtol(years, &end, 10);
        if (!*years || *end || n < 1 || n > 20)
            return dh_cli_usage("report trend", "--years must be 1 to 20");
        q.years = (int)n;
    }
    dh_app *app = dh_cli_open(dh_cli_db(db), false);
    if (!app)
        return DH_EXIT_FAIL;
    dh_actor a;
    dh_actor_cli(&a);
    dh_err e;
    json_t *out = NULL;
    dh_status st = dh_app_kpi_trend(app, &a, &q, time(NULL), &out, &e);
    dh_app_close(app);
    if (st)
        return dh_cli_fail(&e);
    if (json_out) {
        dh_cli_print_json(out);
        json_decref(out);
        return DH_EXIT_OK;
    }
    printf("Xu hướng — %s, %s đến %s\n", unit, json_string_value(json_object_get(out, "from")),
           json_string_value(json_object_get(out, "to")));
    /* display widths, not bytes: the labels are padded by hand */
    printf("Kỳ        Tiếp nhận Trực tuyến Giải quyết   Đúng hạn Trực tuyến\n");
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(out, "items"), i, it) {
        printf("%-8s %10lld %10lld %10lld", json_string_value(json_object_get(it, "key")),
               (long long)json_integer_value(json_object_get(it, "received")),
               (long long)json_integer_value(json_object_get(it, "received_online")),
               (long long)json_integer_value(json_object_get(it, "resolved")));
        print_rate(json_object_get(it, "on_time_rate"));
        print_rate(json_object_get(it, "online_rate"));
        printf("\n");
    }
    json_decref(out);
    return DH_EXIT_OK;
}

/* dieuhanh report completeness (argv[0] is "completeness"). */
static int report_completeness(int argc, char **argv)
{
    const char *db = NULL, *obligation = NULL, *period = NULL, *pos[1];
    bool json_out = false;
    int npos;
    const dh_cli_opt opts[] = {{"--db", &db, NULL},         {"--obligation", &obligation, NULL},
                               {"--period", &period, NULL}, {"--json", NULL, &json_out},
                               {NULL, NULL, NULL}};
    int rc = dh_cli_parse("report completeness", argc, argv, opts, pos, 0, &npos,
                          completeness_help);
    if (rc)
        return rc < 0 ? DH_EXIT_OK : rc;
    if (!obligation || !period)
        return dh_cli_usage("report completeness", "--obligation and --period are required");
    dh_app *app = dh_cli_open(dh_cli_db(db), false);
    if (!app)
        return DH_EXIT_FAIL;
    dh_actor a;
    dh_actor_cli(&a);
    dh_err e;
    json_t *out = NULL;
    dh_status st = dh_app_completeness(app, &a, obligation, period, time(NULL), &out, &e);
    dh_app_close(app);
    if (st)
        return dh_cli_fail(&e);
    if (json_out) {
        dh_cli_print_json(out);
        json_decref(out);
        return DH_EXIT_OK;
    }
    static const char *const states[][2] = {{"on_time", "Đúng hạn"},
                                            {"late", "Trễ hạn"},
                                            {"partial", "Chưa đủ"},
                                            {"missing", "Chưa báo cáo"}};
    printf("%s (%s), kỳ %s, hạn %s\n", json_string_value(json_object_get(out, "name")),
           json_string_value(json_object_get(out, "obligation")),
           json_string_value(json_object_get(out, "period")),
           json_string_value(json_object_get(out, "due")));
    printf("Phải báo cáo: %lld; đã báo cáo: %lld (đúng hạn %lld, trễ %lld); chưa đủ: %lld; "
           "chưa báo cáo: %lld\n\n",
           (long long)json_integer_value(json_object_get(out, "expected")),
           (long long)json_integer_value(json_object_get(out, "received")),
           (long long)json_integer_value(json_object_get(out, "on_time")),
           (long long)json_integer_value(json_object_get(out, "late")),
           (long long)json_integer_value(json_object_get(out, "partial")),
           (long long)json_integer_value(json_object_get(out, "missing")));
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(out, "units"), i, u)
    {
        const char *st2 = json_string_value(json_object_get(u, "state")), *label = st2;
        for (size_t k = 0; k < 4; k++)
            if (!strcmp(states[k][0], st2))
                label = states[k][1];
        const char *at = json_string_value(json_object_get(u, "received_at"));
        printf("  %-16s %-14s %s%s\n", json_string_value(json_object_get(u, "unit")), label,
               at ? at : "", json_is_true(json_object_get(u, "approved")) ? " (đã duyệt)" : "");
    }
    json_array_foreach(json_object_get(out, "not_expected"), i, u)
        printf("  %-16s %-14s %s\n", json_string_value(json_object_get(u, "unit")),
               "Không phải báo cáo", json_string_value(json_object_get(u, "reason")));
    json_decref(out);
    return DH_EXIT_OK;
}

int dh_cmd_report(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "completeness") == 0)
        return report_completeness(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "late-daily") == 0)
        return report_late_daily(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "full-online") == 0)
        return report_full_online(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "trend") == 0)
        return report_trend(argc - 1, argv + 1);
    const char *db = NULL, *unit = NULL, *from = NULL, *to = NULL, *period = NULL,
               *format = NULL, *out = NULL, *pos[2];
    int npos;
    bool exact = false, today_units = false;
    const dh_cli_opt opts[] = {{"--db", &db, NULL},         {"--unit", &unit, NULL},
                               {"--from", &from, NULL},     {"--to", &to, NULL},
                               {"--period", &period, NULL}, {"--format", &format, NULL},
                               {"-o", &out, NULL},          {"--exact", NULL, &exact},
                               {"--today-units", NULL, &today_units},
                               {NULL, NULL, NULL}};
    int rc = dh_cli_parse("report", argc, argv, opts, pos, 2, &npos, report_help);
    if (rc)
        return rc < 0 ? DH_EXIT_OK : rc;
    if (npos != 1 || strcmp(pos[0], "ii06a") != 0)
        return dh_cli_usage("report", "the report to make: ii06a");
    if (!unit)
        return dh_cli_usage("report", "--unit CODE is required");
    static const char *const fmts[] = {"json", "csv", "html", "xlsx", "pdf", NULL};
    format = dh_cli_format_of(format, out, fmts, "json");
    if (strcmp(format, "json") && strcmp(format, "csv") && strcmp(format, "html") &&
        strcmp(format, "xlsx") && strcmp(format, "pdf"))
        return dh_cli_usage("report", "--format must be json, csv, html, xlsx or pdf");
    if ((!strcmp(format, "xlsx") || !strcmp(format, "pdf")) && !out)
        return dh_cli_usage("report", "--format %s needs -o FILE.%s", format, format);
    dh_period p;
    dh_app *app = NULL;
    int prc = open_for_period("report", period, from, to, db, &p, &app);
    if (prc)
        return prc;
    dh_actor a;
    dh_actor_cli(&a);
    dh_err e;
    json_t *rep;
    dh_status st = dh_app_report_ii06a(
        app, &a, unit, p.from, p.to,
        (exact ? DH_KPI_EXACT : 0u) | (today_units ? DH_KPI_TODAY_UNITS : 0u), time(NULL), &rep, &e);
    char *text = NULL;
    size_t len = 0;
    if (st == DH_OK) {
        char name[400];
        dh_app_unit_name(app, unit, p.to, name, sizeof name);
        if (!strcmp(format, "xlsx") || !strcmp(format, "pdf"))
            dh_app_ii06a_header(app, rep, time(NULL));
        if (!strcmp(format, "csv"))
            text = dh_report_ii06a_csv(rep);
        else if (!strcmp(format, "html"))
            text = dh_report_ii06a_html(rep, name, false);
        else if (!strcmp(format, "xlsx"))
            st = dh_report_ii06a_xlsx(rep, name, &text, &len, &e);
        else if (!strcmp(format, "pdf"))
            st = dh_report_ii06a_pdf(rep, name, &text, &len, &e);
        else
            text = json_dumps(rep, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (text && !len)
            len = strlen(text);
        json_decref(rep);
    }
    dh_app_close(app);
    if (st)
        return dh_cli_fail(&e);
    FILE *f = out ? fopen(out, "wb") : stdout;
    if (!f) {
        free(text);
        fprintf(stderr, "dieuhanh: cannot write %s\n", out);
        return DH_EXIT_FAIL;
    }
    fwrite(text, 1, len, f);
    if (!strcmp(format, "json"))
        fputc('\n', f);
    free(text);
    if (out && fclose(f) != 0) {
        fprintf(stderr, "dieuhanh: cannot write %s\n", out);
        return DH_EXIT_FAIL;
    }
    return DH_EXIT_OK;
}
