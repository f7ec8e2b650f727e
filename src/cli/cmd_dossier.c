/* cmd_dossier.c - the procedure catalogue, importing dossier events, and
 * the daily overdue list:
 *   dieuhanh procedure import FILE.csv [--partial] | list [--json]
 *   dieuhanh import events FILE.ndjson|FILE.csv [--partial]
 *   dieuhanh dossiers late --unit CODE [--date DATE] [--json] | show CODE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/evreader.h"
#include "util/buf.h"

typedef struct opts {
    const char *db, *unit, *date;
    bool json, partial;
    const char *pos[3];
    int npos;
} opts;

static int parse(const char *cmd, int argc, char **argv, opts *o, const char *help)
{
    memset(o, 0, sizeof *o);
    const dh_cli_opt table[] = {{"--json", NULL, &o->json},
                                {"--partial", NULL, &o->partial},
                                {"--db", &o->db, NULL},
                                {"--unit", &o->unit, NULL},
                                {"--date", &o->date, NULL},
                                {NULL, NULL, NULL}};
    return dh_cli_parse(cmd, argc, argv, table, o->pos, 3, &o->npos, help);
}

static void print_json(json_t *j)
{
    dh_cli_print_json(j);
    json_decref(j);
}

/* ---- procedure ---------------------------------------------------------- */

static const char procedure_help[] =
    "usage: dieuhanh procedure import FILE.csv [--partial] [--db URL]\n"
    "       dieuhanh procedure list [--json] [--db URL]\n\n"
    "The CSV header: code,name,field,level,duration,duration_unit,online_level,fee_bearing,\n"
    "paper_result,cutoff_time (and optionally valid_from, default 2000-01-01). level: province,\n"
    "district or commune; duration_unit: working_days, working_hours, days or months;\n"
    "online_level: full, partial or none; booleans true/false or 1/0; cutoff_time empty or\n"
    "HH:MM. All or nothing unless --partial.\n";

int dh_cmd_procedure(int argc, char **argv)
{
    opts o;
    int rc = parse("procedure", argc, argv, &o, procedure_help);
    if (rc)
        return rc < 0 ? DH_EXIT_OK : rc;
    if (o.npos < 1 || (strcmp(o.pos[0], "import") && strcmp(o.pos[0], "list")))
        return dh_cli_usage("procedure", "a subcommand is needed: import or list");
    dh_app *app = dh_cli_open(dh_cli_db(o.db), false);
    if (!app)
        return DH_EXIT_FAIL;
    dh_err e;
    if (strcmp(o.pos[0], "list") == 0) {
        const dh_procset *s = dh_app_procedures_acquire(app, &e);
        if (!s) {
            dh_app_close(app);
            return dh_cli_fail(&e);
        }
        json_t *items = json_array();
        for (size_t i = 0; i < s->n; i++) {
            if (o.json)
                json_array_append_new(items, dh_proc_json(&s->v[i]));
            else
                printf("%-12s %3d %-13s %s\n", s->v[i].code, s->v[i].limit.duration,
                       dh_dur_unit_name(s->v[i].limit.unit), s->v[i].name);
        }
        if (o.json)
            print_json(json_pack("{s:o}", "items", items));
        else
            json_decref(items);
        dh_app_procedures_release(app, s);
        dh_app_close(app);
        return DH_EXIT_OK;
    }
    if (o.npos != 2) {
        dh_app_close(app);
        return dh_cli_usage("procedure", "import takes one CSV file");
    }
    FILE *f = fopen(o.pos[1], "r");
    if (!f) {
        dh_app_close(app);
        fprintf(stderr, "dieuhanh: cannot read %s\n", o.pos[1]);
        return DH_EXIT_FAIL;
    }
    dh_actor a;
    dh_actor_cli(&a);
    dh_import_report rep;
    dh_status st = dh_app_procedure_import(app, &a, f, o.pos[1], o.partial, time(NULL), &rep, &e);
    fclose(f);
    for (int i = 0; i < rep.nmessages; i++)
        fprintf(stderr, "%s\n", rep.messages[i]);
    printf("%d procedures taken, %d refused\n", rep.taken, rep.refused);
    dh_import_report_free(&rep);
    dh_app_close(app);
    if (st) {
        fprintf(stderr, "dieuhanh: %s\n", e.message);
        return DH_EXIT_FAIL;
    }
    return DH_EXIT_OK;
}

/* ---- import events ------------------------------------------------------ */

static const char import_help[] =
    "usage: dieuhanh import events FILE [--partial] [--db URL]\n\n"
    "Imports dossier events from NDJSON (one JSON event per line) or CSV (a header naming\n"
    "the event fields: id,source,dossier,type,at,unit,procedure,channel,by_applicant,\n"
    "appointment,to_unit,new_appointment,reason,method,amount,rating,input,result; empty\n"
    "cells are left out). Events already stored with the same content are skipped. All or\n"
    "nothing unless --partial, which takes the good events and reports each bad one.\n";

typedef struct importer {
    dh_ingest_report rep;
    FILE *f;
    const char *path;
    bool partial, tty;
    size_t total, bad_lines;
    double t0;
    dh_status st;
    dh_err e;
} importer;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A line of the file that is not an event (msg: "FILE:LINE: reason"). */
static void bad_line(importer *im, const char *msg, bool fatal)
{
    im->bad_lines++;
    im->rep.refused++;
    if (json_array_size(im->rep.results) < 1000)
        json_array_append_new(im->rep.results,
                              json_pack("{s:s,s:s}", "status", "refused", "error", msg));
    if ((!im->partial || fatal) && im->st == DH_OK)
        im->st = dh_err_set(&im->e, DH_E_INVALID, "invalid_file", NULL, "%s", msg);
}

/* Adds a chunk the reader prepared, keeping only the refusals among the
 * results (the accepted are counted). */
static void add_chunk(importer *im, dh_ingest *g, const dh_evchunk *c)
{
    for (size_t i = 0; i < c->nbad; i++)
        bad_line(im, c->bad[i], c->fatal);
    if (c->n && im->st == DH_OK) {
        im->st = dh_ingest_add_prepared(g, c->prep, im->path, c->lines, im->total, &im->rep,
                                        &im->e);
        json_t *keep = json_array();
        size_t i;
        json_t *r;
        json_array_foreach(im->rep.results, i, r)
        {
            if (strcmp(json_string_value(json_object_get(r, "status")), "refused") == 0 &&
                json_array_size(keep) < 1000)
                json_array_append(keep, r);
        }
        json_decref(im->rep.results);
        im->rep.results = keep;
    }
    im->total += c->n;
    if (im->tty)
        fprintf(stderr, "\r%zu events read, %d accepted (%.0f events/s)   ", im->total,
                im->rep.accepted, im->total / (now_s() - im->t0 + 1e-9));
}

/* The runner's source: reads the whole file from its start in chunks (a
 * retry, when the database was busy, starts over), read and prepared on a
 * thread of their own (evreader.h) while each is added here. */
static dh_status import_source(dh_ingest *g, void *closure, dh_ingest_report *rep, dh_err *e)
{
    importer *im = closure;
    im->total = im->bad_lines = 0;
    im->st = DH_OK;
    dh_evreader *r = dh_evreader_start(im->f, im->path, g, !im->partial);
    const dh_evchunk *c;
    while ((im->st == DH_OK || im->partial) && (c = dh_evreader_next(r)))
        add_chunk(im, g, c);
    dh_evreader_finish(r);
    if (im->tty)
        fputc('\n', stderr);
    if (im->total == 0 && im->bad_lines == 0 && im->st == DH_OK)
        im->st = dh_err_set(&im->e, DH_E_INVALID, "empty", NULL, "%s: no events", im->path);
    if (im->st)
        *e = im->e;
    return im->st;
}

int dh_cmd_import(int argc, char **argv)
{
    opts o;
    int rc = parse("import", argc, argv, &o, import_help);
    if (rc)
        return rc < 0 ? DH_EXIT_OK : rc;
    if (o.npos != 2 || strcmp(o.pos[0], "events") != 0)
        return dh_cli_usage("import", "what to import: events FILE");
    FILE *f = fopen(o.pos[1], "r");
    if (!f) {
        fprintf(stderr, "dieuhanh: cannot read %s\n", o.pos[1]);
        return DH_EXIT_FAIL;
    }
    dh_app *app = dh_cli_open(dh_cli_db(o.db), false);
    if (!app) {
        fclose(f);
        return DH_EXIT_FAIL;
    }
    dh_actor a;
    dh_actor_cli(&a);
    importer *im = dh_xcalloc(1, sizeof *im);
    im->path = o.pos[1];
    im->partial = o.partial;
    im->tty = isatty(2);
    im->rep.results = json_array();
    im->t0 = now_s();
    im->f = f;
    dh_err e2;
    dh_status st = dh_app_ingest_run(app, &a, o.partial, true, time(NULL), import_source, im, &im->rep,
                                     &e2);
    fclose(f);
    size_t i;
    json_t *r;
    json_array_foreach(im->rep.results, i, r)
        fprintf(stderr, "%s\n", json_string_value(json_object_get(r, "error")));
    if (st)
        fprintf(stderr, "dieuhanh: %s\n", e2.message);
    bool all_or_nothing_failed = st && !o.partial;
    printf("%s: %d events accepted, %d already stored, %d refused; %d dossiers updated "
           "(%.1f s)\n",
           o.pos[1], all_or_nothing_failed ? 0 : im->rep.accepted, im->rep.duplicates,
           im->rep.refused, all_or_nothing_failed ? 0 : im->rep.dossiers, now_s() - im->t0);
    rc = st || im->rep.refused ? DH_EXIT_FAIL : DH_EXIT_OK;
    json_decref(im->rep.results);
    free(im);
    dh_app_close(app);
    return rc;
}

/* ---- dossiers ------------------------------------------------------------ */

static const char dossiers_help[] =
    "usage: dieuhanh dossiers late --unit CODE [--date DATE] [--json] [--db URL]\n"
    "       dieuhanh dossiers show CODE [--db URL]\n\n"
    "late: the dossiers of the unit and its subtree that are overdue at the end of DATE\n"
    "(default today), most overdue first: the daily report the plans ask for.\n";

int dh_cmd_dossiers(int argc, char **argv)
{
    opts o;
    int rc = parse("dossiers", argc, argv, &o, dossiers_help);
    if (rc)
        return rc < 0 ? DH_EXIT_OK : rc;
    if (o.npos < 1)
        return dh_cli_usage("dossiers", "a subcommand is needed: late or show");
    bool late = strcmp(o.pos[0], "late") == 0;
    if (late && (!o.unit || o.npos != 1))
        return dh_cli_usage("dossiers", "late needs --unit CODE");
    if (!late && (strcmp(o.pos[0], "show") != 0 || o.npos != 2))
        return dh_cli_usage("dossiers", "a subcommand is needed: late --unit CODE or show CODE");
    dh_date d = dh_date_of_time_vn(time(NULL));
    if (o.date && dh_date_parse(o.date, &d)) {
        fprintf(stderr, "dieuhanh: --date: '%s' is not a date YYYY-MM-DD\n", o.date);
        return DH_EXIT_FAIL;
    }
    dh_app *app = dh_cli_open(dh_cli_db(o.db), false);
    if (!app)
        return DH_EXIT_FAIL;
    dh_actor a;
    dh_actor_cli(&a);
    dh_err e;
    json_t *out;
    dh_status st = late ? dh_app_dossier_late(app, &a, o.unit, d, &out, &e)
                        : dh_app_dossier_get(app, &a, o.pos[1], false, time(NULL), &out, &e);
    dh_app_close(app);
    if (st)
        return dh_cli_fail(&e);
    if (!late || o.json) {
        char ds[DH_DATE_TEXT_LEN];
        dh_date_format(d, ds);
        print_json(late ? json_pack("{s:s,s:s,s:o}", "unit", o.unit, "date", ds, "items", out)
                        : out);
        return DH_EXIT_OK;
    }
    size_t i;
    json_t *r;
    printf("%zu dossiers overdue at the end of %s in %s and its units\n", json_array_size(out),
           o.date ? o.date : "today", o.unit);
    json_array_foreach(out, i, r)
    {
        json_int_t m = json_integer_value(json_object_get(r, "late_minutes"));
        printf("  %-24s %-12s %-14s due %s  late %lldh%02lld\n",
               json_string_value(json_object_get(r, "code")),
               json_string_value(json_object_get(r, "unit")),
               json_string_value(json_object_get(r, "procedure")),
               json_string_value(json_object_get(r, "due_effective")), (long long)(m / 60),
               (long long)(m % 60));
    }
    json_decref(out);
    return DH_EXIT_OK;
}

/* ---- letter --------------------------------------------------------------- */

static const char letter_help[] =
    "usage: dieuhanh letter CODE -o FILE.pdf|FILE.html [--db URL]\n\n"
    "Writes the apology letter of a late or extended dossier (form 04 of Circular\n"
    "03/2025/TT-VPCP from 1 July 2025; the 2018 form before) as PDF or printable HTML.\n";

int dh_cmd_letter(int argc, char **argv)
{
    const char *db = NULL, *out = NULL, *code = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(letter_help, stdout);
            return DH_EXIT_OK;
        }
        if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--db")) && i + 1 < argc) {
            *(!strcmp(argv[i], "-o") ? &out : &db) = argv[i + 1];
            i++;
        } else if (argv[i][0] == '-') {
            return dh_cli_usage("letter", "unknown option '%s'", argv[i]);
        } else if (!code) {
            code = argv[i];
        } else {
            return dh_cli_usage("letter", "one dossier code only");
        }
    }
    if (!code || !out)
        return dh_cli_usage("letter", "the dossier CODE and -o FILE.pdf or FILE.html are needed");
    size_t ol = strlen(out);
    bool html = ol > 5 && strcasecmp(out + ol - 5, ".html") == 0;
    dh_app *app = dh_cli_open(dh_cli_db(db), false);
    if (!app)
        return DH_EXIT_FAIL;
    dh_actor a;
    dh_actor_cli(&a);
    dh_err e;
    json_t *l;
    dh_status st = dh_app_letter(app, &a, code, time(NULL), &l, &e);
    dh_app_close(app);
    if (st)
        return dh_cli_fail(&e);
    char *body;
    size_t len;
    if (html) {
        body = dh_letter_html(l, false);
        len = strlen(body);
    } else if (dh_letter_pdf(l, &body, &len, &e)) {
        json_decref(l);
        return dh_cli_fail(&e);
    }
    json_decref(l);
    FILE *f = fopen(out, "wb");
    bool ok = f && fwrite(body, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = false;
    free(body);
    if (!ok) {
        fprintf(stderr, "dieuhanh: cannot write %s\n", out);
        return DH_EXIT_FAIL;
    }
    printf("wrote %s (%zu bytes)\n", out, len);
    return DH_EXIT_OK;
}
