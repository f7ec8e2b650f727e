/* cmd_dti.c - dieuhanh dti: the digital-transformation index (issue 16).
 *   dti framework import FILE --code CODE --name NAME --level LEVEL --year YEAR
 *   dti frameworks
 *   dti import FILE --framework CODE --year YEAR [--partial]
 *   dti score --unit CODE --framework CODE --year YEAR
 *   dti rank --framework CODE --year YEAR
 *   dti assess|submit|appraise|publish|show --unit CODE --framework CODE --year YEAR
 *   dti remediate --unit CODE --framework CODE --year YEAR [--implements PLAN]
 *   dti entry --unit CODE --framework CODE --year YEAR --criterion CODE (--points P |
 *             --value PCT) [--evidence TEXT] [--note TEXT] [--comment TEXT] [--reason TEXT]
 *   dti evidence FILE --unit CODE --framework CODE --year YEAR --criterion CODE
 * (every form takes --db URL and --json)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

static const char dti_help[] =
    "usage: dieuhanh dti framework import FILE --code CODE --name NAME --level LEVEL --year YEAR\n"
    "       dieuhanh dti frameworks\n"
    "       dieuhanh dti import FILE --framework CODE --year YEAR [--partial]\n"
    "       dieuhanh dti score --unit CODE --framework CODE --year YEAR\n"
    "       dieuhanh dti rank --framework CODE --year YEAR\n"
    "       dieuhanh dti assess|submit|appraise|publish|show --unit CODE --framework CODE\n"
    "                --year YEAR\n"
    "       dieuhanh dti remediate --unit CODE --framework CODE --year YEAR\n"
    "                [--implements PLAN]\n"
    "       dieuhanh dti entry --unit CODE --framework CODE --year YEAR --criterion CODE\n"
    "                (--points P | --value PCT) [--evidence TEXT] [--note TEXT]\n"
    "                [--comment TEXT] [--reason TEXT]\n"
    "       dieuhanh dti evidence FILE --unit CODE --framework CODE --year YEAR\n"
    "                --criterion CODE\n"
    "       (every form takes --db URL and --json)\n\n"
    "The digital-transformation index (Chỉ số chuyển đổi số, DTI).\n"
    "A framework (CSV or XLSX) has the header code,parent,name,max_points,method,threshold,\n"
    "source (optionally responsible,note): one row per pillar or criterion, parent empty for\n"
    "a pillar and named on an earlier row; method manual (points entered), boolean (0 or the\n"
    "maximum), ratio (max x min(1, value / threshold), in percent, threshold 100 when empty)\n"
    "or kpi (a ratio computed from our own data; source on_time_rate, online_rate,\n"
    "online_by_applicant_rate, online_payment_rate, satisfaction_rate or plan_coverage); a\n"
    "node with children has no method and its maximum is the sum of its children's.\n"
    "LEVEL: province, department, district or commune.\n"
    "Published results (CSV or XLSX) have the header unit,criterion,points,value,note; points\n"
    "for leaves, pillars or both, value for ratio criteria, and a row with criterion TOTAL for\n"
    "the printed total. What disagrees is imported with a warning naming both numbers and the\n"
    "row. A bad row fails the whole import, unless --partial (bad rows are then skipped).\n"
    "The workflow: assess starts a self-assessment, entry records a criterion's figures\n"
    "(self-assessed, then appraised with --comment; once published only with --reason, as a\n"
    "new revision), submit, appraise and publish move it on; show lists entries and revisions.\n"
    "remediate creates the remediation plan: one task per criterion that lost points.\n"
    "evidence attaches a file (PDF, DOCX, DOC, XLSX, ODT or UTF-8 .txt, at most 20 MB) to a\n"
    "criterion while the unit assesses itself or during the appraisal.\n";

static const char *s_of(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static double n_of(const json_t *o, const char *k)
{
    return json_number_value(json_object_get(o, k));
}

/* Prints s left-aligned in `width` columns (counting characters, not bytes). */
static void print_padded(const char *s, int width)
{
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xC0) != 0x80;
    printf("%s%*s", s, n < width ? width - n : 1, "");
}

static void print_warnings(const json_t *ws, const char *file, FILE *f)
{
    size_t i;
    json_t *w;
    json_array_foreach(ws, i, w)
    {
        const char *unit = s_of(w, "unit");
        fprintf(f, "warning: %s%s%s%s%s\n", file ? file : "", file ? ": " : "", unit,
                *unit ? ": " : "", s_of(w, "message"));
    }
}

static void print_score(const json_t *o)
{
    printf("Chỉ số chuyển đổi số %s %d (%s)\n", s_of(o, "framework"),
           (int)json_integer_value(json_object_get(o, "year")), s_of(o, "framework_name"));
    printf("Đơn vị: %s (%s)   Trạng thái: %s\n\n", s_of(o, "name"), s_of(o, "unit"),
           s_of(o, "status"));
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(o, "pillars"), i, p)
    {
        print_padded(s_of(p, "name"), 40);
        printf("%9g / %-6g", n_of(p, "points"), n_of(p, "max"));
        if (json_object_get(p, "previous"))
            printf("  (năm trước %g, %+g)", n_of(p, "previous"), n_of(p, "change"));
        printf("\n");
    }
    printf("\nTổng điểm: %g / %g", n_of(o, "total"), n_of(o, "max"));
    if (json_is_number(json_object_get(o, "printed_total")))
        printf("   (tổng công bố: %g)", n_of(o, "printed_total"));
    printf("\nXếp hạng: %lld/%lld\n", (long long)json_integer_value(json_object_get(o, "rank")),
           (long long)json_integer_value(json_object_get(o, "of")));
    if (json_array_size(json_object_get(o, "lost"))) {
        printf("\nĐiểm bị trừ (nhiều nhất trước):\n");
        json_array_foreach(json_object_get(o, "lost"), i, p)
        {
            printf("  %8g  %-8s ", n_of(p, "lost"), s_of(p, "code"));
            printf("%s\n", s_of(p, "name"));
        }
    }
    if (json_array_size(json_object_get(o, "kpis"))) {
        printf("\nTiêu chí tính từ dữ liệu hồ sơ:\n");
        json_array_foreach(json_object_get(o, "kpis"), i, p)
        {
            printf("  %-8s %-26s %lld/%lld", s_of(p, "code"), s_of(p, "source"),
                   (long long)json_integer_value(json_object_get(p, "numerator")),
                   (long long)json_integer_value(json_object_get(p, "denominator")));
            if (json_is_number(json_object_get(p, "value")))
                printf(" = %g%% -> %g điểm\n", n_of(p, "value"), n_of(p, "points"));
            else
                printf(" (%s)\n", s_of(p, "na_reason"));
        }
    }
    if (json_array_size(json_object_get(o, "tasks"))) {
        printf("\nNhiệm vụ khắc phục:\n");
        json_array_foreach(json_object_get(o, "tasks"), i, p)
        {
            const json_t *t = json_object_get(p, "task");
            printf("  %-8s %s %s (%s)\n", s_of(p, "code"), s_of(t, "plan"), s_of(t, "ordinal"),
                   s_of(t, "state"));
        }
    }
    if (json_array_size(json_object_get(o, "remediation"))) {
        printf("\nSo với năm trước (tiêu chí bị trừ có nhiệm vụ khắc phục):\n");
        json_array_foreach(json_object_get(o, "remediation"), i, p)
        {
            const json_t *t = json_object_get(p, "task");
            printf("  %-8s bị trừ %g, lấy lại %g; nhiệm vụ %s\n", s_of(p, "code"),
                   n_of(p, "lost_before"), n_of(p, "points_back"),
                   json_is_true(json_object_get(t, "done")) ? "đã hoàn thành" : "chưa hoàn thành");
        }
    }
    if (json_array_size(json_object_get(o, "warnings"))) {
        printf("\n");
        print_warnings(json_object_get(o, "warnings"), NULL, stdout);
    }
}

static int parse_year(const char *s, int *year)
{
    char *end;
    long y = s ? strtol(s, &end, 10) : 0;
    if (!s || !*s || *end || y < 2000 || y > 2100) {
        fprintf(stderr, "dieuhanh: --year: '%s' is not a year from 2000 to 2100\n", s ? s : "");
        return -1;
    }
    *year = (int)y;
    return 0;
}

/* A number option: fills *v and sets it into body; prints why not. */
static int num_opt(const char *name, const char *s, json_t *body, const char *key)
{
    char *end;
    double v = strtod(s, &end);
    if (!*s || *end) {
        fprintf(stderr, "dieuhanh: %s: '%s' is not a number\n", name, s);
        return -1;
    }
    json_object_set_new(body, key, json_real(v));
    return 0;
}

static dh_status entry(dh_app *app, const dh_actor *a, const char *unit, const char *framework,
                       int year, const char *crit, const char *points, const char *value,
                       const char *evidence, const char *note, const char *comment,
                       const char *reason, time_t now, json_t **out, dh_err *e)
{
    json_t *b = json_pack("{s:s,s:s,s:i,s:s}", "unit", unit, "framework", framework, "year", year,
                          "criterion", crit);
    const char *const texts[][2] = {
        {"evidence", evidence}, {"note", note}, {"comment", comment}, {"reason", reason}};
    for (size_t i = 0; i < 4; i++)
        if (texts[i][1])
            json_object_set_new(b, texts[i][0], json_string(texts[i][1]));
    dh_status st = DH_OK;
    if ((points && num_opt("--points", points, b, "points")) ||
        (value && num_opt("--value", value, b, "value")))
        st = dh_err_set(e, DH_E_INVALID, "invalid_type", points ? "points" : "value",
                        "--points and --value take numbers");
    if (st == DH_OK)
        st = dh_app_dti_entry_put(app, a, b, now, out, e);
    json_decref(b);
    return st;
}

int dh_cmd_dti(int argc, char **argv)
{
    const char *db = NULL, *code = NULL, *name = NULL, *level = NULL, *year_s = NULL,
               *framework = NULL, *unit = NULL, *crit = NULL, *points = NULL, *value = NULL,
               *evidence = NULL, *note = NULL, *comment = NULL, *reason = NULL, *implements = NULL,
               *pos[3];
    bool as_json = false, partial = false;
    int npos;
    const dh_cli_opt opts[] = {{"--db", &db, NULL},
                               {"--code", &code, NULL},
                               {"--name", &name, NULL},
                               {"--level", &level, NULL},
                               {"--year", &year_s, NULL},
                               {"--framework", &framework, NULL},
                               {"--unit", &unit, NULL},
                               {"--json", NULL, &as_json},
                               {"--partial", NULL, &partial},
                               {"--criterion", &crit, NULL},
                               {"--points", &points, NULL},
                               {"--value", &value, NULL},
                               {"--evidence", &evidence, NULL},
                               {"--note", &note, NULL},
                               {"--comment", &comment, NULL},
                               {"--reason", &reason, NULL},
                               {"--implements", &implements, NULL},
                               {NULL, NULL, NULL}};
    int rc = dh_cli_parse("dti", argc, argv, opts, pos, 3, &npos, dti_help);
    if (rc)
        return rc < 0 ? DH_EXIT_OK : rc;
    const char *what = npos ? pos[0] : "";
    const char *file = NULL;
    if (!strcmp(what, "framework")) {
        if (npos != 3 || strcmp(pos[1], "import"))
            return dh_cli_usage("dti", "framework import needs a FILE");
        if (!code || !name || !level || !year_s)
            return dh_cli_usage("dti", "framework import needs --code, --name, --level, --year");
        file = pos[2];
    } else if (!strcmp(what, "import")) {
        if (npos != 2 || !framework || !year_s)
            return dh_cli_usage("dti", "import needs a FILE, --framework CODE and --year YEAR");
        file = pos[1];
    } else if (!strcmp(what, "score")) {
        if (npos != 1 || !unit || !framework || !year_s)
            return dh_cli_usage("dti", "score needs --unit, --framework and --year");
    } else if (!strcmp(what, "rank")) {
        if (npos != 1 || !framework || !year_s)
            return dh_cli_usage("dti", "rank needs --framework and --year");
    } else if (!strcmp(what, "assess") || !strcmp(what, "submit") || !strcmp(what, "appraise") ||
               !strcmp(what, "publish") || !strcmp(what, "show") || !strcmp(what, "entry") ||
               !strcmp(what, "remediate")) {
        if (npos != 1 || !unit || !framework || !year_s)
            return dh_cli_usage("dti", "%s needs --unit, --framework and --year", what);
        if (!strcmp(what, "entry") && (!crit || (!points && !value)))
            return dh_cli_usage("dti", "entry needs --criterion and --points or --value");
    } else if (!strcmp(what, "evidence")) {
        if (npos != 2 || !unit || !framework || !year_s || !crit)
            return dh_cli_usage("dti", "evidence needs a FILE, --unit, --framework, --year and "
                                       "--criterion");
        file = pos[1];
    } else if (strcmp(what, "frameworks") || npos != 1) {
        return dh_cli_usage("dti", "what to do: framework import, frameworks, import, score or "
                                   "rank");
    }
    int year = 0;
    if (strcmp(what, "frameworks") && parse_year(year_s, &year))
        return DH_EXIT_FAIL;
    char *data = NULL;
    size_t len = 0;
    if (file && dh_cli_read_file(file, &data, &len))
        return DH_EXIT_FAIL;
    dh_app *app = dh_cli_open(dh_cli_db(db), false);
    if (!app) {
        free(data);
        return DH_EXIT_FAIL;
    }
    dh_actor a;
    dh_actor_cli(&a);
    dh_err e;
    dh_status st;
    json_t *out = NULL;
    time_t now = time(NULL);
    dh_import_report rep = {0};
    if (!strcmp(what, "framework"))
        st = dh_app_dti_framework_import(app, &a, data, len, file, code, name, level, year, now,
                                         &rep, &out, &e);
    else if (!strcmp(what, "import"))
        st = dh_app_dti_results_import(app, &a, data, len, file, framework, year, partial, now,
                                       &rep, &out, &e);
    else if (!strcmp(what, "score"))
        st = dh_app_dti_score(app, &a, unit, framework, year, now, &out, &e);
    else if (!strcmp(what, "rank"))
        st = dh_app_dti_rank(app, &a, framework, year, now, &out, &e);
    else if (!strcmp(what, "assess"))
        st = dh_app_dti_assessment_create(app, &a, unit, framework, year, now, &out, &e);
    else if (!strcmp(what, "remediate"))
        st = dh_app_dti_remediation(app, &a, unit, framework, year, implements, now, &out, &e);
    else if (!strcmp(what, "show"))
        st = dh_app_dti_assessment_get(app, &a, unit, framework, year, now, &out, &e);
    else if (!strcmp(what, "evidence")) {
        const char *base = strrchr(file, '/');
        st = dh_app_dti_evidence_put(app, &a, unit, framework, year, crit, base ? base + 1 : file,
                                     data, len, now, &out, &e);
    } else if (!strcmp(what, "entry"))
        st = entry(app, &a, unit, framework, year, crit, points, value, evidence, note, comment,
                   reason, now, &out, &e);
    else if (strcmp(what, "frameworks"))
        st = dh_app_dti_step(app, &a, unit, framework, year, what, now, &out, &e);
    else
        st = dh_app_dti_frameworks(app, &a, &out, &e);
    dh_app_close(app);
    free(data);
    for (int i = 0; i < rep.nmessages; i++)
        fprintf(stderr, "%s\n", rep.messages[i]);
    dh_import_report_free(&rep);
    if (st) {
        json_decref(out);
        return dh_cli_fail(&e);
    }
    if (as_json) {
        dh_cli_print_json(out);
    } else if (!strcmp(what, "framework")) {
        printf("imported framework %s %d (%s): %lld nodes, %lld pillars, %g points\n",
               s_of(out, "code"), year, s_of(out, "level"),
               (long long)json_integer_value(json_object_get(out, "nodes")),
               (long long)json_integer_value(json_object_get(out, "pillars")), n_of(out, "max"));
    } else if (!strcmp(what, "import")) {
        print_warnings(json_object_get(out, "warnings"), file, stderr);
        printf("imported %lld rows for %zu units of %s %d",
               (long long)json_integer_value(json_object_get(out, "rows")),
               json_array_size(json_object_get(out, "units")), s_of(out, "framework"), year);
        if (json_integer_value(json_object_get(out, "refused")))
            printf(" (%lld rows refused)",
                   (long long)json_integer_value(json_object_get(out, "refused")));
        printf(", %zu warnings\n", json_array_size(json_object_get(out, "warnings")));
    } else if (!strcmp(what, "score")) {
        print_score(out);
    } else if (!strcmp(what, "rank")) {
        size_t i;
        json_t *it;
        printf("Xếp hạng chỉ số chuyển đổi số %s %d\n", s_of(out, "framework"), year);
        json_array_foreach(json_object_get(out, "items"), i, it)
        {
            printf("  %3lld  ", (long long)json_integer_value(json_object_get(it, "rank")));
            print_padded(s_of(it, "name"), 44);
            printf("%9g", n_of(it, "total"));
            if (json_is_number(json_object_get(it, "printed_total")))
                printf("  (công bố %g)", n_of(it, "printed_total"));
            printf("\n");
        }
    } else if (!strcmp(what, "remediate")) {
        const json_t *p = json_object_get(out, "plan");
        printf("created plan %s (%zu tasks): %s\n", s_of(p, "key"),
               json_array_size(json_object_get(out, "tasks")), s_of(p, "title"));
    } else if (!strcmp(what, "evidence")) {
        const json_t *f = json_object_get(out, "file");
        printf("%s %s: attached %s as file %lld (%lld files)\n", unit, crit, s_of(f, "name"),
               (long long)json_integer_value(json_object_get(f, "id")),
               (long long)json_integer_value(json_object_get(out, "files")));
    } else if (!strcmp(what, "entry")) {
        printf("%s %s: %s (revision %lld)\n", unit, crit, s_of(out, "status"),
               (long long)json_integer_value(json_object_get(out, "revision")));
    } else if (strcmp(what, "frameworks")) {
        printf("%s %s %d: %s (revision %lld)\n", unit, framework, year, s_of(out, "status"),
               (long long)json_integer_value(json_object_get(out, "revision")));
        if (!strcmp(what, "show")) {
            size_t i;
            json_t *it;
            json_array_foreach(json_object_get(out, "entries"), i, it)
            {
                char *j = json_dumps(it, JSON_COMPACT);
                printf("  %s\n", j);
                free(j);
            }
            json_array_foreach(json_object_get(out, "revisions"), i, it)
                printf("  revision %lld by %s: %s\n",
                       (long long)json_integer_value(json_object_get(it, "revision")),
                       s_of(it, "actor"), s_of(it, "reason"));
        }
    } else {
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(out, "items"), i, it)
            printf("%-16s %d  %-10s %s\n", s_of(it, "code"),
                   (int)json_integer_value(json_object_get(it, "year")), s_of(it, "level"),
                   s_of(it, "name"));
    }
    json_decref(out);
    return DH_EXIT_OK;
}
