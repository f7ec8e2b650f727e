/* cmd_feedback.c - dieuhanh feedback: citizen feedback (phản ánh, kiến
 * nghị; issue 17). Every form prints the JSON of the API (docs/API.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "store/feedback.h"

static const char fb_help[] =
    "usage: dieuhanh feedback categories [--routes]\n"
    "       dieuhanh feedback category --code CODE --name NAME [--description TEXT]\n"
    "                [--group TEXT] [--keywords K1,K2] [--accept-days N --answer-days N\n"
    "                --source TEXT] [--inactive]\n"
    "       dieuhanh feedback route --unit UNIT [--category CODE] [--commune UNIT]\n"
    "       dieuhanh feedback submit --category CODE --description TEXT [--commune UNIT]\n"
    "                [--address TEXT] [--lat LAT --long LONG] [--channel CHANNEL]\n"
    "                [--name NAME] [--email EMAIL] [--phone PHONE]\n"
    "       dieuhanh feedback list [--unit UNIT] [--state open|closed] [--queue] [--limit N]\n"
    "       dieuhanh feedback show CODE\n"
    "       dieuhanh feedback accept|start|resume|close CODE\n"
    "       dieuhanh feedback reject CODE --reason TEXT\n"
    "       dieuhanh feedback request_info CODE [--note TEXT]\n"
    "       dieuhanh feedback transfer CODE --unit UNIT [--note TEXT]\n"
    "       dieuhanh feedback answer CODE --answer TEXT\n"
    "       dieuhanh feedback rate CODE --rating 1..5\n"
    "       dieuhanh feedback kpis --from DATE --to DATE\n"
    "       dieuhanh feedback job [--days N] [--force] [--at YYYY-MM-DDTHH:MM]\n"
    "       dieuhanh feedback reminders [--unit UNIT] [--limit N]\n"
    "       (every form takes --db URL; the output is JSON)\n\n"
    "Citizen feedback (phản ánh, kiến nghị). A record is received, then accepted or\n"
    "rejected (with a reason), in progress, answered (the answer is public) and closed;\n"
    "request_info pauses its clock until resume. Each category has a time to accept and a\n"
    "time to answer in working days of the handling unit's calendar (1 and 7 when not given,\n"
    "marked \"default\": check them against the province's rules). The handling unit comes\n"
    "from the routing rules (category x commune -> unit, empty = any), else the commune's\n"
    "own unit valid today. transfer moves it to another unit: the clock keeps running.\n"
    "CHANNEL: portal, hotline, zalo, app, counter, letter or open311 (default portal).\n"
    "The submitter's contact is personal data: shown only to the handling unit's officers\n"
    "and to admins.\n"
    "job runs what the server's feedback job does every DIEUHANH_FEEDBACK_INTERVAL seconds:\n"
    "answered records without a rating are closed --days N days after their answer\n"
    "(default DIEUHANH_FEEDBACK_CLOSE_DAYS, else 10), then once a day each handling unit gets a\n"
    "reminder of its open feedback at risk or overdue (listed by reminders, and mailed to\n"
    "the unit's contact when DIEUHANH_SMTP_URL is set; --force mails today's again). --at runs\n"
    "it as at that instant (Vietnam's time) instead of now.\n";

static void set_str(json_t *o, const char *k, const char *v)
{
    if (v)
        json_object_set_new(o, k, json_string(v));
}

static int set_num(json_t *o, const char *k, const char *v, bool integer)
{
    if (!v)
        return 0;
    char *end;
    double d = strtod(v, &end);
    if (!*v || *end) {
        fprintf(stderr, "dieuhanh feedback: --%s: '%s' is not a number\n", k, v);
        return -1;
    }
    json_object_set_new(o, k, integer ? json_integer((json_int_t)d) : json_real(d));
    return 0;
}

static int print_out(dh_status st, const dh_err *e, json_t *out)
{
    if (st)
        return dh_cli_fail(e);
    dh_cli_print_json(out);
    json_decref(out);
    return DH_EXIT_OK;
}

int dh_cmd_feedback(int argc, char **argv)
{
    const char *db = NULL, *code = NULL, *name = NULL, *desc = NULL, *group = NULL,
               *keywords = NULL, *accept = NULL, *answer_days = NULL, *source = NULL,
               *unit = NULL, *category = NULL, *commune = NULL, *address = NULL, *lat = NULL,
               *lon = NULL, *channel = NULL, *email = NULL, *phone = NULL, *state = NULL,
               *limit = NULL, *reason = NULL, *note = NULL, *answer = NULL, *rating = NULL,
               *from = NULL, *to = NULL, *pos[2];
    const char *days = NULL, *at_s = NULL;
    bool as_json = false, routes = false, inactive = false, queue = false, force = false;
    int npos;
    const dh_cli_opt opts[] = {{"--db", &db, NULL},
                               {"--json", NULL, &as_json},
                               {"--routes", NULL, &routes},
                               {"--inactive", NULL, &inactive},
                               {"--queue", NULL, &queue},
                               {"--code", &code, NULL},
                               {"--name", &name, NULL},
                               {"--description", &desc, NULL},
                               {"--group", &group, NULL},
                               {"--keywords", &keywords, NULL},
                               {"--accept-days", &accept, NULL},
                               {"--answer-days", &answer_days, NULL},
                               {"--source", &source, NULL},
                               {"--unit", &unit, NULL},
                               {"--category", &category, NULL},
                               {"--commune", &commune, NULL},
                               {"--address", &address, NULL},
                               {"--lat", &lat, NULL},
                               {"--long", &lon, NULL},
                               {"--channel", &channel, NULL},
                               {"--email", &email, NULL},
                               {"--phone", &phone, NULL},
                               {"--state", &state, NULL},
                               {"--limit", &limit, NULL},
                               {"--reason", &reason, NULL},
                               {"--note", &note, NULL},
                               {"--answer", &answer, NULL},
                               {"--rating", &rating, NULL},
                               {"--from", &from, NULL},
                               {"--to", &to, NULL},
                               {"--days", &days, NULL},
                               {"--at", &at_s, NULL},
                               {"--force", NULL, &force},
                               {NULL, NULL, NULL}};
    int rc = dh_cli_parse("feedback", argc, argv, opts, pos, 2, &npos, fb_help);
    if (rc)
        return rc < 0 ? DH_EXIT_OK : rc;
    const char *what = npos ? pos[0] : "";
    static const char *const actions[] = {"accept",   "reject", "start", "request_info", "resume",
                                          "transfer", "answer", "rate",  "close",        NULL};
    bool is_action = false;
    for (int i = 0; actions[i]; i++)
        is_action |= !strcmp(what, actions[i]);
    if (is_action || !strcmp(what, "show")) {
        if (npos != 2)
            return dh_cli_usage("feedback", "%s needs the record's CODE", what);
    } else if (npos != 1) {
        return dh_cli_usage("feedback", "what to do: categories, category, route, submit, list, "
                                        "show, kpis, job, reminders or an action (accept, "
                                        "reject, ...)");
    }
    if (!strcmp(what, "category") && (!code || !name))
        return dh_cli_usage("feedback", "category needs --code and --name");
    if (!strcmp(what, "route") && !unit)
        return dh_cli_usage("feedback", "route needs --unit");
    if (!strcmp(what, "submit") && (!category || !desc))
        return dh_cli_usage("feedback", "submit needs --category and --description");
    if (!strcmp(what, "kpis") && (!from || !to))
        return dh_cli_usage("feedback", "kpis needs --from and --to");
    char *end = NULL;
    long ndays = days ? strtol(days, &end, 10) : dh_fb_close_days();
    if (days && (!*days || *end || ndays < 0 || ndays > 3650))
        return dh_cli_usage("feedback", "--days is a whole number, 0 to 3650");
    time_t at = 0;
    if (at_s && dh_time_parse(at_s, &at))
        return dh_cli_usage("feedback", "--at is an instant YYYY-MM-DDTHH:MM");
    dh_app *app = dh_cli_open(dh_cli_db(db), false);
    if (!app)
        return DH_EXIT_FAIL;
    dh_actor a;
    dh_actor_cli(&a);
    time_t now = at ? at : time(NULL);
    dh_err e;
    json_t *out = NULL, *b = json_object();
    dh_status st;
    if (!strcmp(what, "categories")) {
        st = dh_app_fb_categories(app, NULL, routes, &out, &e);
        rc = print_out(st, &e, out);
    } else if (!strcmp(what, "category") || !strcmp(what, "route")) {
        bool route = !strcmp(what, "route");
        if (route) {
            set_str(b, "unit", unit);
            set_str(b, "category", category);
            set_str(b, "commune", commune);
        } else {
            set_str(b, "code", code);
            set_str(b, "name", name);
            set_str(b, "description", desc);
            set_str(b, "group", group);
            set_str(b, "keywords", keywords);
            set_str(b, "limits_source", source);
            if (inactive)
                json_object_set_new(b, "active", json_false());
        }
        if (!route && (set_num(b, "accept_days", accept, true) ||
                       set_num(b, "answer_days", answer_days, true))) {
            rc = DH_EXIT_USAGE;
        } else {
            st = dh_app_fb_category_put(app, &a, b, route, now, &e);
            rc = print_out(st, &e, st ? NULL : json_pack("{s:b}", "ok", 1));
        }
    } else if (!strcmp(what, "submit")) {
        set_str(b, "category", category);
        set_str(b, "description", desc);
        set_str(b, "commune", commune);
        set_str(b, "address", address);
        set_str(b, "channel", channel);
        if (name || email || phone) {
            json_t *c = json_object();
            set_str(c, "name", name);
            set_str(c, "email", email);
            set_str(c, "phone", phone);
            json_object_set_new(b, "contact", c);
        }
        if (set_num(b, "lat", lat, false) || set_num(b, "long", lon, false))
            rc = DH_EXIT_USAGE;
        else {
            st = dh_app_fb_submit(app, &a, b, NULL, false, "", now, &out, &e);
            rc = print_out(st, &e, out);
        }
    } else if (!strcmp(what, "list")) {
        dh_fb_filter f = {0};
        f.unit = unit;
        f.category = category;
        f.commune = commune;
        f.open = !state ? 0 : !strcmp(state, "open") ? 1 : -1;
        if (queue)
            f.open = 1, f.order = 1;
        f.limit = limit ? atoi(limit) : 0;
        st = dh_app_fb_list(app, &a, &f, now, &out, &e);
        rc = print_out(st, &e, out);
    } else if (!strcmp(what, "job")) {
        json_t *closed = NULL, *rem = NULL;
        st = dh_app_fb_autoclose(app, now, (int)ndays, &closed, &e);
        if (st == DH_OK)
            st = dh_app_fb_reminders_run(app, now, force, &rem, &e);
        else
            closed = NULL;
        rc = print_out(st, &e, st ? NULL : json_pack("{s:o, s:o}", "autoclose", closed,
                                                    "reminders", rem));
        if (st)
            json_decref(closed);
    } else if (!strcmp(what, "reminders")) {
        int64_t next = 0;
        st = dh_app_fb_reminders(app, &a, unit, 0, limit ? atoi(limit) : 100, now, &out, &next,
                                 &e);
        rc = print_out(st, &e, out);
    } else if (!strcmp(what, "show")) {
        st = dh_app_fb_get(app, &a, pos[1], now, &out, &e);
        rc = print_out(st, &e, out);
    } else if (!strcmp(what, "kpis")) {
        dh_date f, t;
        if (dh_date_parse(from, &f) || dh_date_parse(to, &t)) {
            rc = dh_cli_usage("feedback", "--from and --to are dates YYYY-MM-DD");
        } else {
            st = dh_app_fb_kpis(app, &a, f, t, now, &out, &e);
            rc = print_out(st, &e, out);
        }
    } else {
        set_str(b, "reason", reason);
        set_str(b, "note", note);
        set_str(b, "answer", answer);
        set_str(b, "unit", unit);
        if (set_num(b, "rating", rating, true))
            rc = DH_EXIT_USAGE;
        else {
            st = dh_app_fb_act(app, &a, pos[1], what, b, now, &out, &e);
            rc = print_out(st, &e, out);
        }
    }
    json_decref(b);
    dh_app_close(app);
    return rc;
}

static const char gen_fb_help[] =
    "usage: dieuhanh gen feedback --records N [--seed S] --from DATE --to DATE [--db URL]\n\n"
    "Loads demo citizen feedback into the database: the six categories of a Vietnamese city\n"
    "(public lighting, roads and drainage, environment and waste, urban order, administrative\n"
    "procedures, officials' conduct; limits 1 and 7 working days, marked \"default\") and N\n"
    "records received between --from and --to in the communes valid over the whole period,\n"
    "handled at made-up instants through the real operations: accepted (some rejected or\n"
    "paused for information), answered (some late), rated and closed; those whose next step\n"
    "falls after --to stay open. The same seed and database give the same records.\n";

int dh_cmd_gen_feedback(int argc, char **argv)
{
    const char *db = NULL, *n_s = NULL, *seed_s = NULL, *from_s = NULL, *to_s = NULL;
    int npos;
    const dh_cli_opt opts[] = {{"--db", &db, NULL},         {"--records", &n_s, NULL},
                               {"--seed", &seed_s, NULL},   {"--from", &from_s, NULL},
                               {"--to", &to_s, NULL},       {NULL, NULL, NULL}};
    int rc = dh_cli_parse("gen feedback", argc, argv, opts, NULL, 0, &npos, gen_fb_help);
    if (rc)
        return rc < 0 ? DH_EXIT_OK : rc;
    char *end = NULL;
    long n = n_s ? strtol(n_s, &end, 10) : 0;
    dh_date from, to;
    if (!n_s || *end || n < 1 || n > 1000000)
        return dh_cli_usage("gen feedback", "--records must be 1 to 1000000");
    if (!from_s || !to_s || dh_date_parse(from_s, &from) || dh_date_parse(to_s, &to))
        return dh_cli_usage("gen feedback", "--from and --to are dates YYYY-MM-DD");
    unsigned long long seed = seed_s ? strtoull(seed_s, &end, 10) : 1;
    if (seed_s && *end)
        return dh_cli_usage("gen feedback", "--seed must be a number");
    dh_app *app = dh_cli_open(dh_cli_db(db), false);
    if (!app)
        return DH_EXIT_FAIL;
    dh_actor a;
    dh_actor_cli(&a);
    dh_err e;
    json_t *sum = NULL;
    dh_status st = dh_app_fb_demo(app, &a, n, seed, from, to, &sum, &e);
    rc = print_out(st, &e, sum);
    dh_app_close(app);
    return rc;
}
