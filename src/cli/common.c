/* common.c - helpers shared by the subcommands. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <pthread.h>

#include "cli/cli.h"
#include "core/period.h"
#include "http/http.h"

double dh_cli_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

const char *dh_cli_db(const char *opt)
{
    if (opt && *opt)
        return opt;
    const char *env = getenv("DIEUHANH_DB");
    return env && *env ? env : "sqlite:dieuhanh.db";
}

int dh_cli_fail(const dh_err *e)
{
    char at[32];
    snprintf(at, sizeof at, ":%ld: ", e->line);
    if (e->line > 0 && strstr(e->message, at)) /* already "FILE:LINE: ..." */
        fprintf(stderr, "dieuhanh: %s\n", e->message);
    else if (e->line > 0 && e->field[0])
        fprintf(stderr, "dieuhanh: line %ld, %s: %s\n", e->line, e->field, e->message);
    else if (e->field[0])
        fprintf(stderr, "dieuhanh: %s: %s\n", e->field, e->message);
    else
        fprintf(stderr, "dieuhanh: %s\n", e->message);
    return DH_EXIT_FAIL;
}

dh_app *dh_cli_open(const char *db, bool migrate)
{
    dh_err e;
    dh_app *app = dh_app_open(db, migrate, &e);
    if (!app)
        dh_cli_fail(&e);
    return app;
}

const char *dh_cli_format_of(const char *format, const char *out, const char *const *known,
                             const char *dflt)
{
    if (format)
        return format;
    const char *dot = out ? strrchr(out, '.') : NULL;
    if (dot && !strchr(dot, '/'))
        for (size_t i = 0; known[i]; i++)
            if (!strcasecmp(dot + 1, known[i]))
                return known[i];
    return dflt;
}

int dh_cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "dieuhanh %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'dieuhanh %s --help')\n", cmd);
    return DH_EXIT_USAGE;
}

int dh_cli_parse(const char *cmd, int argc, char **argv, const dh_cli_opt *opts,
                 const char **pos, int maxpos, int *npos, const char *help)
{
    *npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(help, stdout);
            return -1;
        }
        bool option = a[0] == '-' && a[1] && !(a[1] >= '0' && a[1] <= '9');
        if (!option) {
            if (*npos == maxpos)
                return dh_cli_usage(cmd, "too many arguments ('%s')", a);
            pos[(*npos)++] = a;
            continue;
        }
        const dh_cli_opt *o = opts;
        while (o->name && strcmp(o->name, a) != 0)
            o++;
        if (!o->name)
            return dh_cli_usage(cmd, "unknown option '%s'", a);
        if (o->flag) {
            *o->flag = true;
        } else {
            if (i + 1 >= argc)
                return dh_cli_usage(cmd, "%s needs a value", a);
            *o->value = argv[++i];
        }
    }
    return 0;
}

bool dh_cli_listen_ok(const char *s)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || !colon[1] || strlen(colon + 1) > 5)
        return false;
    long port = 0;
    for (const char *p = colon + 1; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        port = port * 10 + (*p - '0');
    }
    return port <= 65535;
}

int dh_cli_serve_until_signal(dh_app *app, const char *listen)
{
    dh_err e;
    sigset_t set;
    int sig;
    /* Block the signals in every thread (MHD's included), then wait. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* The server's limits: positive integers, read like the jobs' intervals. */
    dh_server_limits lim = DH_SERVER_LIMITS_DEFAULT;
    lim.max_connections =
        (unsigned)dh_job_interval("DIEUHANH_MAX_CONNECTIONS", (int)lim.max_connections);
    lim.per_address =
        (unsigned)dh_job_interval("DIEUHANH_MAX_CONNECTIONS_PER_ADDRESS", (int)lim.per_address);
    lim.idle_timeout = (unsigned)dh_job_interval("DIEUHANH_IDLE_TIMEOUT", (int)lim.idle_timeout);
    lim.request_timeout =
        (unsigned)dh_job_interval("DIEUHANH_REQUEST_TIMEOUT", (int)lim.request_timeout);
    lim.bodies_max = (size_t)dh_job_interval("DIEUHANH_BODIES_MAX_MIB",
                                             (int)(lim.bodies_max >> 20)) << 20;
    dh_server *s = dh_server_start(app, listen, &lim, &e);
    if (!s)
        return dh_cli_fail(&e);
    /* The daily reminders: on start and every few minutes (once a day);
     * the targets' statuses: soon after their inputs change. */
    dh_job *rem = dh_job_start(app, "reminders", dh_reminders_tick,
                               dh_job_interval("DIEUHANH_REMINDER_INTERVAL", 300));
    dh_job *tgt = dh_job_start(app, "targets", dh_targets_tick,
                               dh_job_interval("DIEUHANH_TARGETS_INTERVAL", 5));
    /* The daily late-dossier report: after its hour, once a day. */
    dh_job *late = dh_job_start(app, "late_daily", dh_late_daily_tick,
                                dh_job_interval("DIEUHANH_LATE_REPORT_INTERVAL", 300));
    /* Feedback: answered records closed after N days, and the reminders. */
    dh_job *fb = dh_job_start(app, "feedback", dh_fb_tick,
                              dh_job_interval("DIEUHANH_FEEDBACK_INTERVAL", 300));
    /* The aggregates' snapshot, so that the next start reads it instead of
     * every cell: after a load from the cells, then when enough changed. */
    dh_job *snap = dh_job_start(app, "aggregates_snapshot", dh_agg_snapshot_tick,
                                dh_job_interval("DIEUHANH_AGG_SNAPSHOT_INTERVAL", 300));
    if (!rem || !tgt || !late || !fb || !snap)
        fprintf(stderr, "dieuhanh: warning: a background job did not start (%s); the server "
                        "answers, but reminders or status refreshes wait for requests\n",
                !rem ? "reminders" : !tgt ? "targets" : !late ? "late_daily" : !fb ? "feedback" : "aggregates_snapshot");
    fprintf(stderr, "dieuhanh: serving on http://%.*s:%d/ (Ctrl-C stops)\n",
            (int)(strrchr(listen, ':') - listen), listen, dh_server_port(s));
    fflush(stderr);
    sigwait(&set, &sig);
    fprintf(stderr, "dieuhanh: stopping\n");
    dh_app_request_stop(app);
    dh_job_stop(snap);
    dh_job_stop(fb);
    dh_job_stop(late);
    dh_job_stop(tgt);
    dh_job_stop(rem);
    dh_server_stop(s);
    return DH_EXIT_OK;
}

int dh_cli_period(const char *cmd, const char *period, const char *from, const char *to,
                  dh_period *p)
{
    const char *why = NULL;
    if (period) {
        if (from || to)
            return dh_cli_usage(cmd, "give --period or --from/--to, not both");
        if (dh_period_parse(period, p, &why)) {
            fprintf(stderr, "dieuhanh: --period: '%s': %s\n", period, why);
            return DH_EXIT_FAIL;
        }
        return 0;
    }
    if (!from || !to)
        return dh_cli_usage(cmd, "--period (or --from and --to) is required");
    if (dh_date_parse(from, &p->from) || dh_date_parse(to, &p->to)) {
        fprintf(stderr, "dieuhanh: --from/--to: dates are written YYYY-MM-DD\n");
        return DH_EXIT_FAIL;
    }
    if (p->to < p->from) {
        fprintf(stderr, "dieuhanh: --to: %s is before --from %s\n", to, from);
        return DH_EXIT_FAIL;
    }
    return 0;
}

void dh_cli_print_json(const json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    puts(s ? s : "null");
    free(s);
}

int dh_cli_read_file(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "dieuhanh: cannot read %s\n", path);
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            if (cap >= (size_t)64 << 20) {
                fprintf(stderr, "dieuhanh: %s is larger than 64 MiB\n", path);
                free(buf);
                fclose(f);
                return -1;
            }
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                buf = NULL;
            } else {
                buf = nb;
            }
        }
    }
    fclose(f);
    if (!buf)
        return -1;
    *data = buf;
    *len = n;
    return 0;
}
