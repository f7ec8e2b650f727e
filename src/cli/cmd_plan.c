/* cmd_plan.c - dieuhanh plan and dieuhanh task: plans, their tasks, the
 * coverage of a higher plan, appendix import, and the reminders job. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "util/text.h"

static const char plan_help[] =
    "usage: dieuhanh plan list [--json]\n"
    "       dieuhanh plan show PLAN [--json]\n"
    "       dieuhanh plan add --issuer CODE --title TEXT (--number N | --key K) [--type T]\n"
    "                         [--date D] [--from D] [--to D] [--implements P1;P2]\n"
    "                         [--document FILE]\n"
    "       dieuhanh plan term PLAN [--from D] [--to D] [--json]\n"
    "       dieuhanh plan import FILE --plan PLAN [--json]\n"
    "       dieuhanh plan coverage --plan PLAN --unit CODE [--json]\n"
    "       (every form takes --db URL)\n\n"
    "PLAN is a plan's number (1683/QĐ-UBND), its key or its id. 'import' reads a plan's\n"
    "appendix from CSV or XLSX (columns STT, Nội dung, Đơn vị chủ trì, Đơn vị phối hợp, Thời\n"
    "gian hoàn thành, Ghi chú; optionally Nhóm, Lộ trình, Sản phẩm, Chỉ tiêu, Nhiệm vụ cấp\n"
    "trên), all or nothing; unit names are matched to units without regard to diacritics.\n"
    "'add' without --from/--to reads the term from the title (\"năm 2024\", \"giai đoạn\n"
    "2023-2025\", \"đến năm 2025\"). 'term' shows a plan's term, or changes it with --from\n"
    "and/or --to (YYYY-MM-DD); recurring and continuous duties end with the term.\n"
    "'coverage' lists the tasks of PLAN led by the unit, covered when a task of a plan the\n"
    "unit issued implements them, with the progress rolled up from those tasks.\n";

static const char task_help[] =
    "usage: dieuhanh task list [--unit CODE [--subtree]] [--status S[,S..]] [--plan PLAN]\n"
    "                          [--due-before DATE] [--review] [--needs-owner] [--json]\n"
    "       dieuhanh task show ID [--json]\n"
    "       dieuhanh task remind [--force] [--json]\n"
    "       dieuhanh task contact --unit CODE --email ADDRESS ('' removes it)\n"
    "       (every form takes --db URL)\n\n"
    "Statuses: not_started, in_progress, done, done_late, overdue, at_risk, no_report,\n"
    "not_done (the plan's term ended first; after the term every status is final),\n"
    "derived today from the deadline, the lead unit's progress updates and the monthly\n"
    "reporting obligation (before the 10th). 'remind' runs the daily reminders job now\n"
    "(once a day unless --force): tasks due within 7 days, overdue tasks and missed\n"
    "reports go to each lead unit's inbox, and by e-mail when DIEUHANH_SMTP_URL is set.\n"
    "--needs-owner lists the plan tasks whose lead unit could not be resolved.\n";

static const char *s_of(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* One line per task: id, ordinal, status, due, percent, lead, content. */
static void print_task_line(json_t *t)
{
    json_t *st = json_object_get(t, "status"), *dl = json_object_get(t, "deadline");
    json_t *pct = json_object_get(t, "percent");
    char p[8] = "-";
    if (json_is_integer(pct))
        snprintf(p, sizeof p, "%lld%%", (long long)json_integer_value(pct));
    const char *due = s_of(dl, "due");
    json_t *lead = json_object_get(t, "lead");
    char clip[300];
    printf("%5lld  %-10s %-12s %-10s %5s  %-14s %s\n",
           (long long)json_integer_value(json_object_get(t, "id")), s_of(t, "ordinal"),
           s_of(st, "state"), *due ? due : "-", p,
           json_array_size(lead) ? json_string_value(json_array_get(lead, 0)) : "-",
           dh_text_clip(s_of(t, "content"), 70, clip, sizeof clip));
}

/* "term: 2024-01-01 .. 2024-12-31 (title), ended" */
static void print_term(json_t *t)
{
    json_t *hz = json_object_get(t, "horizon");
    printf("term: %s .. %s (%s)", json_is_string(json_object_get(t, "from")) ? s_of(t, "from") : "-",
           json_is_string(json_object_get(t, "to")) ? s_of(t, "to") : "-", s_of(t, "source"));
    if (json_is_integer(hz))
        printf(", horizon %lld", (long long)json_integer_value(hz));
    printf("%s\n", json_is_true(json_object_get(t, "ended")) ? ", ended" : "");
}

int dh_cmd_plan(int argc, char **argv)
{
    const char *db = NULL, *plan = NULL, *unit = NULL, *number = NULL, *key = NULL, *type = NULL,
               *date = NULL, *from = NULL, *to = NULL, *issuer = NULL, *title = NULL,
               *implements = NULL, *document = NULL, *pos[2];
    bool as_json = false;
    int npos;
    const dh_cli_opt opts[] = {{"--db", &db, NULL},         {"--plan", &plan, NULL},
                               {"--unit", &unit, NULL},     {"--number", &number, NULL},
                               {"--key", &key, NULL},       {"--type", &type, NULL},
                               {"--date", &date, NULL},     {"--from", &from, NULL},
                               {"--to", &to, NULL},         {"--issuer", &issuer, NULL},
                               {"--title", &title, NULL},   {"--implements", &implements, NULL},
                               {"--document", &document, NULL},
                               {"--json", NULL, &as_json},  {NULL, NULL, NULL}};
    int rc = dh_cli_parse("plan", argc, argv, opts, pos, 2, &npos, plan_help);
    if (rc)
        return rc < 0 ? DH_EXIT_OK : rc;
    const char *what = npos ? pos[0] : "";
    if (strcmp(what, "list") && strcmp(what, "show") && strcmp(what, "import") &&
        strcmp(what, "coverage") && strcmp(what, "add") && strcmp(what, "term"))
        return dh_cli_usage("plan", "what to do: list, show, add, term, import or coverage");
    if (!strcmp(what, "show") && npos != 2)
        return dh_cli_usage("plan", "show needs a PLAN");
    if (!strcmp(what, "term") && npos != 2)
        return dh_cli_usage("plan", "term needs a PLAN");
    if (!strcmp(what, "import") && (npos != 2 || !plan))
        return dh_cli_usage("plan", "import needs a FILE and --plan PLAN");
    if (!strcmp(what, "coverage") && (!plan || !unit))
        return dh_cli_usage("plan", "coverage needs --plan PLAN and --unit CODE");
    if (!strcmp(what, "add") && (!issuer || !title || (!number && !key)))
        return dh_cli_usage("plan", "add needs --issuer, --title and --number or --key");
    char *data = NULL;
    size_t len = 0;
    if ((!strcmp(what, "import") && dh_cli_read_file(pos[1], &data, &len)) ||
        (!strcmp(what, "add") && document && dh_cli_read_file(document, &data, &len)))
        return DH_EXIT_FAIL;
    dh_app *app = dh_cli_open(dh_cli_db(db), false);
    if (!app) {
        free(data);
        return DH_EXIT_FAIL;
    }
    dh_actor a;
    dh_actor_cli(&a);
    dh_err e;
    dh_status st = DH_OK;
    json_t *out = NULL;
    time_t now = time(NULL);
    if (!strcmp(what, "list")) {
        st = dh_app_plan_list(app, &a, now, &out, &e);
        if (st == DH_OK && !as_json) {
            size_t i;
            json_t *p;
            json_array_foreach(out, i, p)
            {
                json_t *by = json_object_get(p, "by_status");
                char clip[300];
                printf("%3lld  %-34s %-11s %-10s %3lld tasks  %3lld overdue  %s\n",
                       (long long)json_integer_value(json_object_get(p, "id")), s_of(p, "key"),
                       s_of(p, "issuer"), json_is_string(json_object_get(p, "date"))
                                              ? s_of(p, "date") : "-",
                       (long long)json_integer_value(json_object_get(p, "tasks")),
                       (long long)json_integer_value(json_object_get(by, "overdue")),
                       dh_text_clip(s_of(p, "title"), 60, clip, sizeof clip));
            }
        }
    } else if (!strcmp(what, "term")) {
        if (from || to) {
            json_t *body = json_object();
            if (from)
                json_object_set_new(body, "period_from", json_string(from));
            if (to)
                json_object_set_new(body, "period_to", json_string(to));
            st = dh_app_plan_patch(app, &a, pos[1], body, now, &out, &e);
            json_decref(body);
            json_decref(out);
            out = NULL;
        }
        if (st == DH_OK)
            st = dh_app_plan_get(app, &a, pos[1], now, &out, &e);
        if (st == DH_OK) {
            json_t *term = json_incref(json_object_get(out, "term"));
            json_decref(out);
            out = term;
            if (!as_json)
                print_term(out);
        }
    } else if (!strcmp(what, "show")) {
        st = dh_app_plan_get(app, &a, pos[1], now, &out, &e);
        if (st == DH_OK && !as_json) {
            printf("%s  %s  %s  (%s)\n%s\n", s_of(out, "key"), s_of(out, "type"),
                   json_is_string(json_object_get(out, "date")) ? s_of(out, "date") : "-",
                   s_of(out, "issuer"), s_of(out, "title"));
            print_term(json_object_get(out, "term"));
            printf("\n");
            size_t i;
            json_t *t;
            json_array_foreach(json_object_get(out, "task_list"), i, t)
                print_task_line(t);
        }
    } else if (!strcmp(what, "import")) {
        dh_import_report rep;
        st = dh_app_plan_import(app, &a, plan, data, len, pos[1], now, &rep, &e);
        for (int i = 0; i < rep.nmessages; i++)
            fprintf(stderr, "%s\n", rep.messages[i]);
        if (st == DH_OK) {
            if (as_json)
                out = json_pack("{s:s,s:i}", "plan", plan, "imported", rep.taken);
            else
                printf("imported %d tasks into %s\n", rep.taken, plan);
        }
        dh_import_report_free(&rep);
    } else if (!strcmp(what, "coverage")) {
        st = dh_app_plan_coverage(app, &a, plan, unit, now, &out, &e);
        if (st == DH_OK && !as_json) {
            printf("Kế hoạch %s, đơn vị %s: %lld/%lld nhiệm vụ được giao đã có nhiệm vụ triển "
                   "khai\n",
                   s_of(out, "plan"), s_of(out, "unit"),
                   (long long)json_integer_value(json_object_get(out, "covered_count")),
                   (long long)json_integer_value(json_object_get(out, "assigned")));
            const char *parts[] = {"covered", "uncovered"};
            for (int k = 0; k < 2; k++) {
                size_t i;
                json_t *t;
                json_array_foreach(json_object_get(out, parts[k]), i, t)
                {
                    json_t *ru = json_object_get(t, "rollup");
                    char r[8] = "-";
                    if (json_is_integer(ru))
                        snprintf(r, sizeof r, "%lld%%", (long long)json_integer_value(ru));
                    char clip[300];
                    printf("  %-9s %-10s %5s  %s\n", parts[k], s_of(t, "ordinal"), r,
                           dh_text_clip(s_of(t, "content"), 70, clip, sizeof clip));
                }
            }
        }
    } else {
        json_t *body = json_object();
        const char *keys[] = {"number", "key", "type", "date", "period_from", "period_to",
                              "issuer", "title"};
        const char *vals[] = {number, key, type, date, from, to, issuer, title};
        for (int i = 0; i < 8; i++)
            if (vals[i])
                json_object_set_new(body, keys[i], json_string(vals[i]));
        if (implements) {
            json_t *arr = json_array();
            char *buf = strdup(implements), *save = NULL;
            for (char *p = strtok_r(buf, ";", &save); p; p = strtok_r(NULL, ";", &save))
                json_array_append_new(arr, json_string(p));
            free(buf);
            json_object_set_new(body, "implements", arr);
        }
        if (data) {
            json_t *f = NULL;
            const char *base = strrchr(document, '/');
            st = dh_app_file_put(app, &a, base ? base + 1 : document, data, len, now, &f, &e);
            if (st == DH_OK)
                json_object_set(body, "document_file", json_object_get(f, "id"));
            json_decref(f);
        }
        if (st == DH_OK)
            st = dh_app_plan_create(app, &a, body, now, &out, &e);
        json_decref(body);
        if (st == DH_OK && !as_json)
            printf("plan %s created (id %lld)\n", s_of(out, "key"),
                   (long long)json_integer_value(json_object_get(out, "id")));
    }
    free(data);
    dh_app_close(app);
    if (st) {
        json_decref(out);
        return dh_cli_fail(&e);
    }
    if (out && as_json)
        dh_cli_print_json(out);
    json_decref(out);
    return DH_EXIT_OK;
}

int dh_cmd_task(int argc, char **argv)
{
    const char *db = NULL, *unit = NULL, *status = NULL, *plan = NULL, *due_before = NULL,
               *email = NULL, *pos[2];
    bool as_json = false, subtree = false, force = false, review = false, owner = false;
    int npos;
    const dh_cli_opt opts[] = {{"--db", &db, NULL},
                               {"--unit", &unit, NULL},
                               {"--status", &status, NULL},
                               {"--plan", &plan, NULL},
                               {"--due-before", &due_before, NULL},
                               {"--email", &email, NULL},
                               {"--subtree", NULL, &subtree},
                               {"--force", NULL, &force},
                               {"--review", NULL, &review},
                               {"--needs-owner", NULL, &owner},
                               {"--json", NULL, &as_json},
                               {NULL, NULL, NULL}};
    int rc = dh_cli_parse("task", argc, argv, opts, pos, 2, &npos, task_help);
    if (rc)
        return rc < 0 ? DH_EXIT_OK : rc;
    const char *what = npos ? pos[0] : "";
    if (strcmp(what, "list") && strcmp(what, "show") && strcmp(what, "remind") &&
        strcmp(what, "contact"))
        return dh_cli_usage("task", "what to do: list, show, remind or contact");
    dh_date before = DH_DATE_NONE;
    if (due_before && dh_date_parse(due_before, &before))
        return dh_cli_usage("task", "--due-before: dates are written YYYY-MM-DD");
    long long id = 0;
    if (!strcmp(what, "show")) {
        char *end;
        if (npos != 2 || (id = strtoll(pos[1], &end, 10)) <= 0 || *end)
            return dh_cli_usage("task", "show needs a task ID");
    }
    if (!strcmp(what, "contact") && (!unit || !email))
        return dh_cli_usage("task", "contact needs --unit CODE and --email ADDRESS");
    dh_app *app = dh_cli_open(dh_cli_db(db), false);
    if (!app)
        return DH_EXIT_FAIL;
    dh_actor a;
    dh_actor_cli(&a);
    dh_err e;
    dh_status st;
    json_t *out = NULL;
    time_t now = time(NULL);
    if (!strcmp(what, "list")) {
        dh_task_query q = {unit, subtree, false, status, before, plan, NULL, review, owner};
        st = dh_app_task_list(app, &a, &q, now, &out, &e);
        if (st == DH_OK && !as_json) {
            size_t i;
            json_t *t;
            json_array_foreach(out, i, t)
                print_task_line(t);
        }
    } else if (!strcmp(what, "show")) {
        st = dh_app_task_get(app, &a, id, now, &out, &e);
        if (st == DH_OK && !as_json) {
            json_t *s = json_object_get(out, "status");
            printf("#%lld %s (%s)\n%s\n\nTrạng thái: %s: %s\nHạn: %s\n", id, s_of(out, "ordinal"),
                   s_of(json_object_get(out, "plan"), "key"), s_of(out, "content"),
                   s_of(s, "state"), s_of(s, "explain"),
                   s_of(json_object_get(out, "deadline"), "text"));
        }
    } else if (!strcmp(what, "remind")) {
        st = dh_app_reminders_run(app, now, force, &out, &e);
        if (st == DH_OK && !as_json)
            printf("%s: %lld reminders, %lld e-mails%s\n", s_of(out, "day"),
                   (long long)json_integer_value(json_object_get(out, "rows")),
                   (long long)json_integer_value(json_object_get(out, "mailed")),
                   json_is_true(json_object_get(out, "ran")) ? "" : " (already ran today)");
    } else {
        st = dh_app_contact_set(app, &a, unit, email, now, &e);
        if (st == DH_OK && !as_json)
            printf("%s: reminders go to %s\n", unit, *email ? email : "(nobody)");
    }
    dh_app_close(app);
    if (st) {
        json_decref(out);
        return dh_cli_fail(&e);
    }
    if (out && as_json)
        dh_cli_print_json(out);
    json_decref(out);
    return DH_EXIT_OK;
}
