/* cmd_calendar.c - dieuhanh calendar: lunar and solar dates, holidays, and
 * working-time arithmetic. Without --db the built-in "default" calendar and
 * schedules are used; with --db, that database's calendars and corrections. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/lunar.h"
#include "util/buf.h"

static const char usage_text[] =
    "usage: dieuhanh calendar SUBCOMMAND [--db URL] [--calendar NAME] [--json] ...\n\n"
    "  lunar DATE                        the lunar date of a solar date (YYYY-MM-DD)\n"
    "  solar YYYY-MM-DD [--leap]         the solar date of a lunar date (--leap: the leap month)\n"
    "  holidays YEAR                     days off (weekdays) and make-up working days\n"
    "  add START N days|hours [--cutoff HH:MM]\n"
    "                                    when N working days/hours have elapsed from START\n"
    "  between A B                       working minutes from A to B\n"
    "  list                              the calendars and their working hours\n"
    "  export YEAR [--format csv|ics] [-o FILE]\n"
    "                                    the year's days off and make-up days, as CSV or\n"
    "                                    iCalendar (default: FILE's extension, else csv)\n"
    "  import FILE.csv|FILE.ics --db URL add or correct schedule entries (all or nothing)\n"
    "  assign UNIT CALENDAR --from DATE --db URL\n"
    "                                    give a unit another calendar from DATE on\n\n"
    "START, A and B are local times YYYY-MM-DD or YYYY-MM-DDTHH:MM (Asia/Ho_Chi_Minh).\n"
    "Without --db the built-in calendar 'default' (Monday-Friday 07:30-11:30,\n"
    "13:30-17:00) and the shipped schedules are used. Years 2013-2199 (holidays),\n"
    "1900-2199 (lunar dates).\n";

typedef struct cal_opts {
    const char *db, *calendar, *cutoff, *format, *out, *from;
    bool json, leap;
    const char *pos[4];
    int npos;
} cal_opts;

static int parse(int argc, char **argv, cal_opts *o)
{
    memset(o, 0, sizeof *o);
    o->calendar = "default";
    const dh_cli_opt opts[] = {{"--json", NULL, &o->json},
                               {"--leap", NULL, &o->leap},
                               {"--db", &o->db, NULL},
                               {"--calendar", &o->calendar, NULL},
                               {"--cutoff", &o->cutoff, NULL},
                               {"--format", &o->format, NULL},
                               {"-o", &o->out, NULL},
                               {"--output", &o->out, NULL},
                               {"--from", &o->from, NULL},
                               {NULL, NULL, NULL}};
    return dh_cli_parse("calendar", argc, argv, opts, o->pos, 4, &o->npos, usage_text);
}

static void print_json(json_t *j)
{
    dh_cli_print_json(j);
    json_decref(j);
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "dieuhanh: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return DH_EXIT_FAIL;
}

static int do_lunar(cal_opts *o)
{
    if (o->npos != 2)
        return dh_cli_usage("calendar", "lunar takes one date YYYY-MM-DD");
    dh_date d;
    if (dh_date_parse(o->pos[1], &d))
        return fail("date: '%s' is not a date YYYY-MM-DD", o->pos[1]);
    dh_lunar l;
    if (dh_lunar_from_solar(d, &l))
        return fail("date: %s is outside the lunar calendar's range (lunar years 1900-2199)",
                    o->pos[1]);
    if (o->json)
        print_json(json_pack("{s:i,s:i,s:i,s:b}", "day", l.day, "month", l.month, "year", l.year,
                             "leap", l.leap));
    else
        printf("%d/%d%s/%d\n", l.day, l.month, l.leap ? " (leap)" : "", l.year);
    return DH_EXIT_OK;
}

static int do_solar(cal_opts *o)
{
    if (o->npos != 2)
        return dh_cli_usage("calendar", "solar takes one lunar date YYYY-MM-DD");
    int y, m, d;
    char extra;
    if (sscanf(o->pos[1], "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3 || strlen(o->pos[1]) != 10)
        return fail("lunar date: '%s' is not written YYYY-MM-DD", o->pos[1]);
    dh_lunar l = {d, m, y, o->leap};
    dh_date out;
    const char *why = NULL;
    if (dh_lunar_to_solar(&l, &out, &why))
        return fail("lunar date %s: %s", o->pos[1], why);
    char s[DH_DATE_TEXT_LEN];
    dh_date_format(out, s);
    if (o->json)
        print_json(json_pack("{s:s}", "date", s));
    else
        puts(s);
    return DH_EXIT_OK;
}

static int parse_year(const char *s, int *y)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || end == s || v < 1 || v > 9999)
        return -1;
    *y = (int)v;
    return 0;
}

static void print_holidays(json_t *j)
{
    printf("%lld — %s\n", (long long)json_integer_value(json_object_get(j, "year")),
           json_string_value(json_object_get(j, "law")));
    json_t *v;
    size_t i;
    printf("Days off (weekdays):\n");
    json_array_foreach(json_object_get(j, "days_off"), i, v)
    {
        bool ok = json_is_true(json_object_get(v, "confirmed"));
        printf("  %s  %-9s %s%s\n", json_string_value(json_object_get(v, "date")),
               json_string_value(json_object_get(v, "kind")),
               json_string_value(json_object_get(v, "name")), ok ? "" : "  [unconfirmed]");
    }
    printf("Make-up working days:\n");
    json_array_foreach(json_object_get(j, "make_up_working_days"), i, v)
    {
        bool ok = json_is_true(json_object_get(v, "confirmed"));
        printf("  %s  %s%s\n", json_string_value(json_object_get(v, "date")),
               json_string_value(json_object_get(v, "name")), ok ? "" : "  [unconfirmed]");
    }
    json_decref(j);
}

static int run(cal_opts *o, const dh_calset *s, dh_app *app)
{
    const char *sub = o->pos[0];
    dh_err e;
    json_t *out = NULL;
    dh_status st = DH_OK;
    const dh_calendar *c = dh_calset_find(s, o->calendar);
    if (!c && strcmp(sub, "list") != 0 && strcmp(sub, "import") != 0 &&
        strcmp(sub, "assign") != 0) {
        fprintf(stderr, "dieuhanh: calendar: no calendar named '%s'\n", o->calendar);
        return DH_EXIT_FAIL;
    }
    if (strcmp(sub, "holidays") == 0 || strcmp(sub, "export") == 0) {
        int y;
        if (o->npos != 2)
            return dh_cli_usage("calendar", "%s takes a year", sub);
        if (parse_year(o->pos[1], &y))
            return fail("year: '%s' is not a year", o->pos[1]);
        if (strcmp(sub, "export") == 0) {
            static const char *const fmts[] = {"csv", "ics", NULL};
            const char *fmt = dh_cli_format_of(o->format, o->out, fmts, "csv");
            bool ics = strcmp(fmt, "ics") == 0;
            if (!ics && strcmp(fmt, "csv") != 0)
                return dh_cli_usage("calendar", "--format must be csv or ics");
            FILE *f = o->out ? fopen(o->out, "w") : stdout;
            if (!f)
                return fail("cannot write %s", o->out);
            st = dh_calendar_export(s, y, ics, f, time(NULL), &e);
            if (o->out && fclose(f) != 0 && st == DH_OK)
                return fail("cannot write %s", o->out);
            return st ? dh_cli_fail(&e) : DH_EXIT_OK;
        }
        st = dh_calendar_holidays(s, c, y, &out, &e);
        if (st)
            return dh_cli_fail(&e);
        if (o->json)
            print_json(out);
        else
            print_holidays(out);
        return DH_EXIT_OK;
    }
    if (strcmp(sub, "add") == 0) {
        if (o->npos != 4)
            return dh_cli_usage("calendar", "add takes START N days|hours");
        bool hours = strcmp(o->pos[3], "hours") == 0;
        if (!hours && strcmp(o->pos[3], "days") != 0)
            return dh_cli_usage("calendar", "add: the unit must be days or hours, not '%s'",
                                o->pos[3]);
        st = dh_calendar_add(c, o->pos[1], o->pos[2], hours, o->cutoff, &out, &e);
        if (st)
            return dh_cli_fail(&e);
        if (o->json)
            print_json(out);
        else {
            printf("%s\n", json_string_value(json_object_get(out, "due")));
            json_decref(out);
        }
        return DH_EXIT_OK;
    }
    if (strcmp(sub, "between") == 0) {
        if (o->npos != 3)
            return dh_cli_usage("calendar", "between takes two times A B");
        st = dh_calendar_between(c, o->pos[1], o->pos[2], &out, &e);
        if (st)
            return dh_cli_fail(&e);
        if (o->json)
            print_json(out);
        else {
            printf("%lld\n", (long long)json_integer_value(json_object_get(out, "working_minutes")));
            json_decref(out);
        }
        return DH_EXIT_OK;
    }
    if (strcmp(sub, "list") == 0) {
        json_t *items = json_array();
        for (size_t i = 0; i < s->ncals; i++)
            json_array_append_new(items, dh_calendar_json(&s->cals[i]));
        if (o->json) {
            print_json(json_pack("{s:o}", "items", items));
        } else {
            for (size_t i = 0; i < s->ncals; i++) {
                printf("%s  %s\n", s->cals[i].name, s->cals[i].label);
                for (int d = 0; d < 7; d++) {
                    char buf[128];
                    dh_week_format_day(&s->cals[i].week, d, buf, sizeof buf);
                    static const char *const n[7] = {"Mon", "Tue", "Wed", "Thu",
                                                     "Fri", "Sat", "Sun"};
                    printf("  %s %s\n", n[d], *buf ? buf : "-");
                }
            }
            json_decref(items);
        }
        return DH_EXIT_OK;
    }
    if (!app)
        return dh_cli_usage("calendar", "%s changes a database: give --db URL", sub);
    dh_actor a;
    dh_actor_cli(&a);
    if (strcmp(sub, "import") == 0) {
        if (o->npos != 2)
            return dh_cli_usage("calendar", "import takes one file");
        FILE *f = fopen(o->pos[1], "rb");
        if (!f)
            return fail("cannot read %s: no such file or not readable", o->pos[1]);
        dh_buf b = {0};
        char chunk[65536];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len < 16u << 20)
            dh_buf_append(&b, chunk, n);
        fclose(f);
        if (b.len >= 16u << 20) {
            dh_buf_free(&b);
            return fail("%s: larger than 16 MiB", o->pos[1]);
        }
        int taken = 0;
        st = dh_app_sched_import(app, &a, b.p ? b.p : "", b.len, o->pos[1], time(NULL),
                                 &taken, &e);
        dh_buf_free(&b);
        if (st)
            return dh_cli_fail(&e);
        printf("imported %d schedule entries from %s\n", taken, o->pos[1]);
        return DH_EXIT_OK;
    }
    if (strcmp(sub, "assign") == 0) {
        if (o->npos != 3 || !o->from)
            return dh_cli_usage("calendar", "assign takes UNIT CALENDAR --from DATE");
        json_t *body = json_pack("{s:s,s:s}", "calendar", o->pos[2], "from", o->from);
        st = dh_app_unit_calendar_set(app, &a, o->pos[1], body, time(NULL), &out, &e);
        json_decref(body);
        if (st)
            return dh_cli_fail(&e);
        printf("%s uses calendar %s from %s\n", o->pos[1], o->pos[2], o->from);
        json_decref(out);
        return DH_EXIT_OK;
    }
    return dh_cli_usage("calendar", "unknown subcommand '%s'", sub);
}

int dh_cmd_calendar(int argc, char **argv)
{
    cal_opts o;
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc < 0 ? DH_EXIT_OK : rc;
    if (o.npos == 0)
        return dh_cli_usage("calendar", "a subcommand is needed");
    const char *sub = o.pos[0];
    if (strcmp(sub, "lunar") == 0)
        return do_lunar(&o);
    if (strcmp(sub, "solar") == 0)
        return do_solar(&o);
    static const char *const known[] = {"holidays", "add", "between", "list", "export",
                                        "import", "assign"};
    bool ok = false;
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        ok |= strcmp(sub, known[i]) == 0;
    if (!ok)
        return dh_cli_usage("calendar", "unknown subcommand '%s'", sub);
    dh_err e;
    if (!o.db) {
        const dh_calset *s = dh_calset_builtin(&e);
        return s ? run(&o, s, NULL) : dh_cli_fail(&e);
    }
    dh_app *app = dh_cli_open(o.db, false);
    if (!app)
        return DH_EXIT_FAIL;
    const dh_calset *s = dh_app_calendars_acquire(app, &e);
    if (!s) {
        dh_app_close(app);
        return dh_cli_fail(&e);
    }
    rc = run(&o, s, app);
    dh_app_calendars_release(app, s);
    dh_app_close(app);
    return rc;
}
