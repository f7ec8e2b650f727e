/* cmd_gen.c - dieuhanh gen events: realistic synthetic dossier events for
 * the units and procedures of a database, as NDJSON. Deterministic: the
 * same database content, seed and dates give the same bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

static const char gen_help[] =
    "usage: dieuhanh gen events --dossiers N [--seed S] --from DATE --to DATE [-o FILE]\n"
    "                           [--db URL]\n"
    "       dieuhanh gen feedback --records N [--seed S] --from DATE --to DATE [--db URL]\n\n"
    "Writes NDJSON dossier events for the communes, offices and departments of the database\n"
    "(its units and procedure catalogue): receipts on working time between --from and --to,\n"
    "about 60% online (three quarters of them by the applicant), supplement requests, about 5%\n"
    "late, refusals and withdrawals, payments, ratings and digitisation. Dossiers still open\n"
    "at --to end without a result. No event is dated after the moment the command runs (a\n"
    "range ending today stops at the current time). The same seed gives the same bytes for a\n"
    "range in the past.\n";

static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}
static double unif(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }
static long pick(long n) { return (long)(rnd() % (uint64_t)n); }

static void ts(time_t t, char *out)
{
    char s[20];
    dh_time_format_vn(t, s);
    sprintf(out, "%s:00+07:00", s);
}

typedef struct gen {
    FILE *out;
    const char *dossier;
    int k;
} gen;

static void emit(gen *g, const char *type, time_t at, const char *extra)
{
    char t[32];
    ts(at, t);
    fprintf(g->out,
            "{\"id\":\"%s-%d\",\"source\":\"motcua-demo\",\"dossier\":\"%s\",\"type\":\"%s\","
            "\"at\":\"%s\"%s%s}\n",
            g->dossier, ++g->k, g->dossier, type, t, extra ? "," : "", extra ? extra : "");
}

int dh_cmd_gen(int argc, char **argv)
{
    const char *db = NULL, *from = NULL, *to = NULL, *outp = NULL;
    long n = -1;
    unsigned long long seed = 1;
    if (argc < 2)
        return dh_cli_usage("gen", "what to generate: events");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(gen_help, stdout);
        return DH_EXIT_OK;
    }
    if (strcmp(argv[1], "feedback") == 0)
        return dh_cmd_gen_feedback(argc - 1, argv + 1);
    if (strcmp(argv[1], "events") != 0)
        return dh_cli_usage("gen", "unknown subcommand '%s'", argv[1]);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0) {
            fputs(gen_help, stdout);
            return DH_EXIT_OK;
        }
        if (!v)
            return dh_cli_usage("gen", "%s needs a value", a);
        char *end;
        if (strcmp(a, "--dossiers") == 0) {
            n = strtol(v, &end, 10);
            if (*end || n < 1 || n > 100000000)
                return dh_cli_usage("gen", "--dossiers must be 1 to 100000000");
        } else if (strcmp(a, "--seed") == 0) {
            seed = strtoull(v, &end, 10);
            if (*end)
                return dh_cli_usage("gen", "--seed must be a number");
        } else if (strcmp(a, "--from") == 0) {
            from = v;
        } else if (strcmp(a, "--to") == 0) {
            to = v;
        } else if (strcmp(a, "-o") == 0) {
            outp = v;
        } else if (strcmp(a, "--db") == 0) {
            db = v;
        } else {
            return dh_cli_usage("gen", "unknown option '%s'", a);
        }
        i++;
    }
    dh_date d0, d1;
    if (n < 0 || !from || !to)
        return dh_cli_usage("gen", "--dossiers, --from and --to are required");
    if (dh_date_parse(from, &d0) || dh_date_parse(to, &d1) || d1 < d0)
        return dh_cli_usage("gen", "--from and --to must be dates YYYY-MM-DD, from <= to");
    dh_app *app = dh_cli_open(dh_cli_db(db), false);
    if (!app)
        return DH_EXIT_FAIL;
    dh_err e;
    const dh_unitreg *reg = dh_app_units_acquire(app, &e);
    const dh_procset *ps = reg ? dh_app_procedures_acquire(app, &e) : NULL;
    const dh_calset *cs = ps ? dh_app_calendars_acquire(app, &e) : NULL;
    if (!cs) {
        dh_app_procedures_release(app, ps);
        dh_app_units_release(app, reg);
        dh_app_close(app);
        return dh_cli_fail(&e);
    }
    if (ps->n == 0) {
        fprintf(stderr, "dieuhanh: the database has no procedures (dieuhanh procedure import)\n");
        dh_app_calendars_release(app, cs);
        dh_app_procedures_release(app, ps);
        dh_app_units_release(app, reg);
        dh_app_close(app);
        return DH_EXIT_FAIL;
    }
    FILE *out = outp ? fopen(outp, "w") : stdout;
    if (!out) {
        fprintf(stderr, "dieuhanh: cannot write %s\n", outp);
        return DH_EXIT_FAIL;
    }
    rng_state = seed * 0x9E3779B97F4A7C15ULL + 0x1234567ULL;
    const dh_workcal *wc = dh_calset_find(cs, "default")->wc;
    int daymin = dh_workcal_day_minutes(wc);
    time_t end = (time_t)((int64_t)(d1 + 1) * 86400 - DH_VN_OFFSET);
    time_t now = time(NULL);
    if (end > now)
        end = now; /* no event from the future when the range ends today */
    int32_t *cand = malloc(reg->n * sizeof *cand);
    const dh_proc **pc = malloc(ps->n * sizeof *pc);
    long written = 0;
    for (long i = 1; i <= n; i++) {
        /* a working instant on a random day of the range */
        dh_date d = d0 + (dh_date)pick(d1 - d0 + 1);
        time_t midnight = (time_t)((int64_t)d * 86400 - DH_VN_OFFSET), recv;
        if (dh_workcal_add_minutes(wc, midnight, pick(daymin), -1, &recv) || recv >= end)
            continue;
        d = dh_date_of_time_vn(recv);
        /* a unit: communes most, then offices, then departments */
        double r = unif();
        dh_unit_kind want = r < 0.65 ? DH_UNIT_COMMUNE : r < 0.85 ? DH_UNIT_OFFICE : DH_UNIT_DEPARTMENT;
        const char *level = want == DH_UNIT_COMMUNE ? "commune"
                            : want == DH_UNIT_OFFICE ? "district"
                                                     : "province";
        size_t nc = 0;
        for (int pass = 0; pass < 2 && nc == 0; pass++)
            for (size_t u = 0; u < reg->n; u++)
                if (dh_unitreg_valid_at(reg, (int32_t)u, d) &&
                    (reg->u[u].kind == want ||
                     (pass == 1 && reg->u[u].kind == DH_UNIT_COMMUNE)))
                    cand[nc++] = (int32_t)u;
        if (nc == 0)
            continue;
        const dh_unit *unit = &reg->u[cand[pick((long)nc)]];
        size_t np = 0;
        for (size_t k = 0; k < ps->n; k++) {
            const dh_proc *p = dh_procset_at(ps, ps->v[k].code, d);
            if (p == &ps->v[k] && strcmp(p->level, level) == 0)
                pc[np++] = p;
        }
        if (np == 0)
            continue;
        const dh_proc *p = pc[pick((long)np)];
        char code[48];
        snprintf(code, sizeof code, "HS%llu-%08ld", seed, i);
        gen g = {out, code, 0};
        double ch = unif();
        const char *channel = ch < 0.60 ? "online" : ch < 0.96 ? "counter" : "postal";
        bool online = ch < 0.60, by_app = online && unif() < 0.75;
        char extra[512];
        snprintf(extra, sizeof extra,
                 "\"unit\":\"%s\",\"procedure\":\"%s\",\"channel\":\"%s\",\"by_applicant\":%s",
                 unit->code, p->code, channel, by_app ? "true" : "false");
        emit(&g, "received", recv, extra);
        written++;
        if (p->fee_bearing)
            emit(&g, "paid", recv + 300,
                 online && unif() < 0.7 ? "\"method\":\"online\"" : "\"method\":\"offline\"");
        if (unif() < 0.85)
            emit(&g, "digitised", recv + 600, "\"input\":true");
        /* the working time the office will take, as a share of the budget */
        int64_t budget = p->limit.unit == DH_DUR_WORKING_HOURS ? p->limit.duration * 60
                                                                : (int64_t)p->limit.duration * daymin;
        if (p->limit.unit == DH_DUR_DAYS || p->limit.unit == DH_DUR_MONTHS)
            budget = (int64_t)p->limit.duration * daymin * 5 / 7;
        double o = unif();
        int64_t work = o < 0.05   ? budget + 30 + pick(3 * daymin)          /* late */
                       : o < 0.15 ? budget - pick(60)                       /* at the wire */
                                  : (int64_t)(budget * (0.2 + 0.7 * unif())); /* early */
        if (work < 1)
            work = 1;
        time_t at = recv;
        int64_t spent = 0;
        if (unif() < 0.08) { /* one supplement request, rarely two */
            int reqs = unif() < 0.1 ? 2 : 1;
            for (int q = 0; q < reqs; q++) {
                int64_t before = (work - spent) / 3 + 1;
                time_t rq, back;
                if (dh_workcal_add_minutes(wc, at, before, -1, &rq) || rq >= end)
                    break;
                emit(&g, "supplement_requested", rq, "\"reason\":\"Thiếu giấy tờ\"");
                spent += before;
                if (dh_workcal_add_days(wc, rq, 1 + pick(3), -1, &back) || back >= end) {
                    at = end; /* still waiting */
                    break;
                }
                emit(&g, "supplement_completed", back, NULL);
                at = back;
            }
        }
        if (at >= end)
            continue;
        time_t done;
        if (dh_workcal_add_minutes(wc, at, work - spent > 1 ? work - spent : 1, -1, &done) ||
            done >= end)
            continue; /* in progress at the end of the range */
        double fate = unif();
        if (fate < 0.03) {
            emit(&g, "refused", done, "\"reason\":\"Hồ sơ không đủ điều kiện\"");
            continue;
        }
        if (fate < 0.04) {
            emit(&g, "withdrawn", done, "\"reason\":\"Công dân rút hồ sơ\"");
            continue;
        }
        if (o < 0.05 && unif() < 0.5) {
            time_t newap, when = recv + (done - recv) / 2;
            if (dh_workcal_add_days(wc, done, 2, -1, &newap) == 0) {
                char t[32], x[160];
                ts(newap, t);
                snprintf(x, sizeof x, "\"new_appointment\":\"%s\",\"reason\":\"Cần xác minh thêm\"",
                         t);
                emit(&g, "extended", when, x);
            }
        }
        emit(&g, "processed", done, NULL);
        if (unif() < 0.7)
            emit(&g, "digitised", done + 60, "\"result\":true");
        time_t ret;
        if (dh_workcal_add_minutes(wc, done, 30 + pick(600), -1, &ret) == 0 && ret < end) {
            emit(&g, "result_returned", ret, NULL);
            if (unif() < 0.35) {
                double s = unif();
                int rating = s < 0.60 ? 5 : s < 0.85 ? 4 : s < 0.95 ? 3 : s < 0.98 ? 2 : 1;
                char rt[32];
                snprintf(rt, sizeof rt, "\"rating\":%d", rating);
                if (ret + 3600 < end)
                    emit(&g, "rated", ret + 3600, rt);
            }
        }
    }
    free(cand);
    free(pc);
    if (outp)
        fclose(out);
    fprintf(stderr, "generated %ld dossiers\n", written);
    dh_app_calendars_release(app, cs);
    dh_app_procedures_release(app, ps);
    dh_app_units_release(app, reg);
    dh_app_close(app);
    return DH_EXIT_OK;
}
