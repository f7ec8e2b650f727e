/* dtiimport.c - importing DTI frameworks and published results (issue 16),
 * CSV or XLSX through the shared sheet reader, each in one write
 * transaction.
 *
 * Roles: importing a framework is an administrator's (frameworks are
 * managed centrally); importing results needs the right to write for every
 * unit in the file (an officer of the province writes for its subtree). */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/dtiint.h"
#include "app/internal.h"
#include "core/access.h"
#include "core/dti.h"
#include "store/dti.h"
#include "util/xlsx.h"

/* ------------------------------------------------------------------ */
/* Small helpers.                                                     */

/* A number as people type it: "46.3812", "46,3812", " 6 ". 1 when empty,
 * -1 when not a number, else 0. */
static int parse_num(const char *s, double *out)
{
    char buf[64];
    size_t n = 0;
    for (const char *p = s; *p; p++) {
        if (*p == ' ')
            continue;
        if (n + 1 >= sizeof buf)
            return -1;
        buf[n++] = *p == ',' ? '.' : *p;
    }
    buf[n] = '\0';
    if (!n)
        return 1;
    char *end;
    *out = strtod(buf, &end);
    return *end || !isfinite(*out) ? -1 : 0;
}

/* Maps the header row's columns: col[i] is the column of cols[i] or -1; a
 * required one missing is an error naming the file and the column. */
static dh_status map_header(const dh_sheet *t, const char *name, const char *const *cols, int ncols,
                            int nrequired, int *col, dh_err *e)
{
    if (t->nrows == 0)
        return dh_err_set(e, DH_E_INVALID, "invalid_file", NULL, "%s:1: the file is empty", name);
    const dh_sheet_row *h = &t->rows[0];
    for (int i = 0; i < ncols; i++) {
        col[i] = -1;
        for (size_t j = 0; j < h->nc; j++) {
            const char *v = h->c[j].v;
            while (*v == ' ')
                v++;
            size_t len = strlen(v);
            while (len && v[len - 1] == ' ')
                len--;
            if (len == strlen(cols[i]) && !strncmp(v, cols[i], len))
                col[i] = (int)h->c[j].col;
        }
        if (col[i] < 0 && i < nrequired) {
            char want[200] = "";
            for (int k = 0; k < ncols; k++)
                snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", k ? "," : "",
                         cols[k]);
            return dh_err_set(e, DH_E_INVALID, "invalid_file", cols[i],
                              "%s:%ld: the header has no column '%s' (the header is %s)", name,
                              h->line, cols[i], want);
        }
    }
    return DH_OK;
}

static const char *cell(const dh_sheet_row *r, const int *col, int i)
{
    return col[i] >= 0 ? dh_sheet_at(r, (size_t)col[i]) : "";
}

/* What both imports share, first in their closures: the file read before
 * the transaction (parsed again by every run of fn), its columns, and the
 * output fn sets afresh on each run. */
typedef struct sheet_import {
    const dh_sheet *t;
    int col[16];
    json_t *out;
} sheet_import;

/* Reads the file, maps its header, and runs fn(closure) in the runner;
 * closure starts with a sheet_import. *out gets its output on success. */
static dh_status sheet_import_run(dh_app *app, int flags, dh_tx_fn fn, sheet_import *si,
                                  const char *data, size_t len, const char *name,
                                  const char *const *cols, int ncols, int nrequired,
                                  dh_import_report *rep, json_t **out, dh_err *e)
{
    dh_sheet t;
    dh_status st = dh_app_table_read(data, len, name, &t, e);
    if (st)
        return st;
    st = map_header(&t, name, cols, ncols, nrequired, si->col, e);
    if (st == DH_OK) {
        si->t = &t;
        st = dh_tx_run(app, flags, fn, si, e);
        if (st == DH_OK)
            *out = si->out;
        else
            json_decref(si->out);
        si->out = NULL;
    }
    dh_sheet_free(&t);
    if (st)
        rep->taken = 0;
    return st;
}


/* ------------------------------------------------------------------ */
/* Framework import.                                                  */

enum {
    FC_CODE,
    FC_PARENT,
    FC_NAME,
    FC_MAX,
    FC_METHOD,
    FC_THRESHOLD,
    FC_SOURCE,
    FC_RESP,
    FC_NOTE,
    FC_N
};
static const char *const fw_cols[FC_N] = {
    "code", "parent", "name", "max_points", "method", "threshold", "source", "responsible", "note"};
#define FC_REQUIRED 7

static const char *const levels[] = {"province", "department", "district", "commune", NULL};

typedef struct fw_import_cl {
    sheet_import si; /* first */
    const dh_actor *a;
    const char *name, *code, *title, *level;
    int year;
    time_t now;
    dh_import_report *rep;
} fw_import_cl;

static dh_status fw_refuse(dh_import_report *rep, dh_err *e, const char *name, long line,
                           const char *field, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static dh_status fw_refuse(dh_import_report *rep, dh_err *e, const char *name, long line,
                           const char *field, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line)
        dh_report_add(rep, "%s:%ld: %s: %s", name, line, field, msg);
    else
        dh_report_add(rep, "%s: %s", name, msg);
    if (rep->refused++ == 0) {
        if (line)
            dh_err_set(e, DH_E_INVALID, "invalid_row", field, "%s:%ld: %s: %s", name, line, field,
                       msg);
        else
            dh_err_set(e, DH_E_INVALID, "invalid_row", field, "%s: %s", name, msg);
        e->line = line;
    }
    return DH_E_INVALID;
}

/* Concurrency: reads nothing; the unique key (code, year) of
 * dti_frameworks orders two imports of the same framework (the second
 * fails DH_E_CONFLICT and writes nothing). */
static dh_status fw_import_tx(dh_tx *tx, void *closure, dh_err *e)
{
    fw_import_cl *cl = closure;
    const dh_sheet *t = cl->si.t;
    const int *col = cl->si.col;
    dh_import_report_free(cl->rep);
    json_decref(cl->si.out);
    cl->si.out = NULL;
    size_t n = t->nrows - 1;
    dh_dti_node *nodes = calloc(n ? n : 1, sizeof *nodes);
    for (size_t k = 0; k < n; k++) {
        const dh_sheet_row *r = &t->rows[k + 1];
        const char *v[FC_N];
        for (int i = 0; i < FC_N; i++)
            v[i] = cell(r, col, i);
        dh_dti_node *d = &nodes[k];
        *d = (dh_dti_node){v[FC_CODE], v[FC_PARENT], v[FC_NAME], 0, DH_DTI_GROUP,
                           0,          v[FC_SOURCE], r->line};
        int rc;
        if (!*v[FC_NAME])
            fw_refuse(cl->rep, e, cl->name, r->line, "name", "the name of '%s' is empty",
                      v[FC_CODE]);
        if ((rc = parse_num(v[FC_MAX], &d->max_points)) != 0)
            fw_refuse(cl->rep, e, cl->name, r->line, "max_points", "'%s' is %s", v[FC_MAX],
                      rc > 0 ? "empty" : "not a number");
        if (!dh_dti_method_parse(v[FC_METHOD], &d->method))
            fw_refuse(cl->rep, e, cl->name, r->line, "method",
                      "unknown method '%s' (manual, boolean, ratio, kpi, or empty for a node "
                      "with children)",
                      v[FC_METHOD]);
        if (parse_num(v[FC_THRESHOLD], &d->threshold) < 0)
            fw_refuse(cl->rep, e, cl->name, r->line, "threshold", "'%s' is not a number",
                      v[FC_THRESHOLD]);
    }
    dh_dti_problem p;
    if (!cl->rep->refused && !dh_dti_framework_check(nodes, n, &p))
        fw_refuse(cl->rep, e, cl->name, p.line, p.field, "%s", p.message);
    dh_status st = cl->rep->refused ? DH_E_INVALID : DH_OK;
    int64_t id = 0;
    if (st == DH_OK) {
        st = DH_DTI(tx->c)->put_framework(
            tx->c,
            &(dh_dti_framework_row){0, cl->code, cl->title, cl->level, cl->year, "", cl->now}, &id,
            e);
        if (st == DH_E_CONFLICT)
            st = dh_err_set(e, DH_E_CONFLICT, "framework_exists", "code",
                            "framework '%s' of %d already exists (a new version takes another "
                            "year or code)",
                            cl->code, cl->year);
    }
    int pillars = 0;
    for (size_t k = 0; k < n && st == DH_OK; k++) {
        const dh_sheet_row *r = &t->rows[k + 1];
        pillars += !*nodes[k].parent;
        st = DH_DTI(tx->c)->put_node(
            tx->c,
            &(dh_dti_node_row){id, (int)k + 1, nodes[k].code, nodes[k].parent, nodes[k].name,
                               nodes[k].max_points, dh_dti_method_name(nodes[k].method),
                               nodes[k].threshold, nodes[k].source, cell(r, col, FC_RESP),
                               cell(r, col, FC_NOTE), r->line},
            e);
    }
    double max = 0;
    for (size_t k = 0; k < n; k++)
        if (!*nodes[k].parent)
            max += nodes[k].max_points;
    free(nodes);
    if (st == DH_OK) {
        cl->rep->taken = (int)n;
        cl->si.out = json_pack("{s:s,s:s,s:s,s:i,s:i,s:i,s:o}", "code", cl->code, "name", cl->title,
                               "level", cl->level, "year", cl->year, "nodes", (int)n, "pillars",
                               pillars, "max", dh_dti_num_json(max));
        char key[160];
        snprintf(key, sizeof key, "%s/%d", cl->code, cl->year);
        st = dh_app_audit(tx->c, cl->a, "import", "dti_framework", key, "", "ok", NULL, cl->si.out,
                          cl->now, e);
    }
    return st;
}

dh_status dh_app_dti_framework_import(dh_app *app, const dh_actor *a, const char *data, size_t len,
                                      const char *name, const char *code, const char *title,
                                      const char *level, int year, time_t now,
                                      dh_import_report *rep, json_t **out, dh_err *e)
{
    memset(rep, 0, sizeof *rep);
    *out = NULL;
    if (a->role != DH_ROLE_ADMIN)
        return dh_app_deny(app, a, "write", "dti_framework", code ? code : "", "", now, e,
                           "import a DTI framework (admins only)");
    if (!code || !*code || strlen(code) > 64)
        return dh_err_set(e, DH_E_INVALID, "invalid_code", "code",
                          "--code: a framework code of 1 to 64 characters is required");
    if (!title || !*title)
        return dh_err_set(e, DH_E_INVALID, "invalid_name", "name", "--name is required");
    bool known = false;
    for (int i = 0; levels[i]; i++)
        known |= level && !strcmp(level, levels[i]);
    if (!known)
        return dh_err_set(e, DH_E_INVALID, "invalid_level", "level",
                          "--level '%s' is not province, department, district or commune",
                          level ? level : "");
    if (year < 2000 || year > 2100)
        return dh_err_set(e, DH_E_INVALID, "invalid_year", "year",
                          "--year %d is not a year from 2000 to 2100", year);
    fw_import_cl cl = {{0}, a, name, code, title, level, year, now, rep};
    return sheet_import_run(app, DH_TX_WRITE, fw_import_tx, &cl.si, data, len, name, fw_cols, FC_N,
                            FC_REQUIRED, rep, out, e);
}


/* ------------------------------------------------------------------ */
/* Published results import.                                          */

enum { RC_UNIT, RC_CRITERION, RC_POINTS, RC_VALUE, RC_NOTE, RC_N };
static const char *const res_cols[RC_N] = {"unit", "criterion", "points", "value", "note"};
#define RC_REQUIRED 3

typedef struct res_import_cl {
    sheet_import si; /* first */
    const dh_actor *a;
    const char *name, *framework;
    int year;
    bool partial;
    time_t now;
    dh_import_report *rep;
} res_import_cl;

/* A unit of the file: its valid rows' indices (into the sheet). */
typedef struct res_unit {
    const char *code;
    long first_line;
    size_t *rows;
    size_t n;
    bool refused;
} res_unit;

/* Concurrency: reads the framework and the units' assessments and writes
 * those assessments; on SQLite the write lock is taken up front, on
 * PostgreSQL a concurrent import or workflow step on the same assessment
 * makes one of the two run again (SERIALIZABLE), and the unique key
 * (framework_id, unit) guards two first imports. */
static dh_status res_import_tx(dh_tx *tx, void *closure, dh_err *e)
{
    res_import_cl *cl = closure;
    const dh_sheet *t = cl->si.t;
    const int *col = cl->si.col;
    dh_import_report *rep = cl->rep;
    dh_import_report_free(rep);
    json_decref(cl->si.out);
    cl->si.out = NULL;
    dti_fw fw;
    dh_status st = dh_dti_fw_load(tx->c, cl->framework, cl->year, &fw, e);
    if (st)
        return st;
    const dh_unitreg *reg = tx->reg;
    int32_t scope = dh_app_actor_scope(reg, cl->a);
    dh_date jan1 = dh_date_from_ymd(cl->year, 1, 1), dec31 = dh_date_from_ymd(cl->year, 12, 31);
    json_t *unit_ix = json_object(), *seen = json_object();
    res_unit *units = calloc(t->nrows, sizeof *units);
    size_t nunits = 0;
    for (size_t k = 1; k < t->nrows && st == DH_OK; k++) {
        const dh_sheet_row *r = &t->rows[k];
        const char *unit = cell(r, col, RC_UNIT), *crit = cell(r, col, RC_CRITERION),
                   *ps = cell(r, col, RC_POINTS), *vs = cell(r, col, RC_VALUE);
        double pts = 0, val = 0;
        int pr = parse_num(ps, &pts), vr = parse_num(vs, &val);
        int32_t u = dh_unitreg_find(reg, unit);
        long ni = dh_dti_find(fw.nodes, fw.n, crit);
        bool total = !strcmp(crit, "TOTAL");
        char key[512];
        snprintf(key, sizeof key, "%s\x1f%s", unit, crit);
        json_t *dup = json_object_get(seen, key);
        dh_dti_problem p;
#define REFUSE(field, ...) (fw_refuse(rep, e, cl->name, r->line, field, __VA_ARGS__), true)
        bool bad =
            !*unit  ? REFUSE("unit", "the unit is empty")
            : u < 0 ? REFUSE("unit", "unknown unit '%s'", unit)
            : reg->u[u].valid_from > dec31 ||
                    (reg->u[u].valid_to != DH_DATE_NONE && reg->u[u].valid_to < jan1)
                ? REFUSE("unit", "unit '%s' did not exist in %d", unit, cl->year)
            : !*crit           ? REFUSE("criterion", "the criterion is empty")
            : !total && ni < 0 ? REFUSE("criterion", "'%s' is not a criterion of framework %s %d",
                                        crit, fw.code, fw.year)
            : dup    ? REFUSE("criterion", "'%s' of unit '%s' is given again (first on line %lld)",
                              crit, unit, (long long)json_integer_value(dup))
            : pr < 0 ? REFUSE("points", "'%s' is not a number", ps)
            : vr < 0 ? REFUSE("value", "'%s' is not a number", vs)
            : pr && vr ? REFUSE("points", "neither points nor a value for '%s'", crit)
            : total && vr == 0
                ? REFUSE("value", "the printed total (TOTAL) takes points, not a value")
            : total && pts < 0 ? REFUSE("points", "the printed total must be >= 0 (got %s)", ps)
            : !total &&
                    !dh_dti_entry_check(&fw.nodes[ni], !dh_dti_has_children(fw.nodes, fw.n, ni),
                                        &(dh_dti_entry){pr == 0, pts, vr == 0, val, r->line}, &p)
                ? REFUSE(p.field, "%s", p.message)
                : false;
#undef REFUSE
        if (*unit && *crit && !dup)
            json_object_set_new(seen, key, json_integer(r->line));
        if (bad)
            continue;
        if (!dh_access_allows(reg, cl->a->role, scope, DH_ACT_WRITE, u, dec31)) {
            st = dh_tx_deny(tx, cl->a, "import", "dti_assessment", cl->name, unit, cl->now, e,
                            "import DTI results for a unit outside their own");
            break;
        }
        json_t *ix = json_object_get(unit_ix, unit);
        if (!ix) {
            ix = json_integer((json_int_t)nunits);
            json_object_set_new(unit_ix, unit, ix);
            units[nunits++] = (res_unit){unit, r->line, NULL, 0, false};
        }
        res_unit *ru = &units[json_integer_value(ix)];
        ru->rows = realloc(ru->rows, (ru->n + 1) * sizeof *ru->rows);
        ru->rows[ru->n++] = k;
    }
    /* A published assessment is changed only by a revision. */
    dh_dti_assessment_row *cur = calloc(nunits ? nunits : 1, sizeof *cur);
    for (size_t i = 0; i < nunits && st == DH_OK; i++) {
        dti_arows found = {0};
        st = DH_DTI(tx->c)->list_assessments(tx->c, fw.id, units[i].code, dh_dti_arows_add, &found,
                                             e);
        bool published = found.n && !strcmp(found.v[0].status, "published");
        if (found.n)
            cur[i] = (dh_dti_assessment_row){.id = found.v[0].id, .revision = found.v[0].revision};
        dh_dti_arows_free(&found);
        if (st == DH_OK) {
            if (published) {
                units[i].refused = true;
                fw_refuse(rep, e, cl->name, units[i].first_line, "unit",
                          "the assessment of '%s' on %s %d is published: a correction is a "
                          "revision with its reason, not an import",
                          units[i].code, fw.code, fw.year);
                e->status = DH_E_CONFLICT;
            }
        }
    }
    if (st == DH_OK && rep->refused && !cl->partial) {
        st = e->status ? e->status : DH_E_INVALID; /* all or nothing: e holds the first reason */
    }
    if (st == DH_OK && nunits == 0)
        st = dh_err_set(e, DH_E_INVALID, "empty", NULL, "%s: no rows to import", cl->name);
    json_t *uout = json_array(), *wall = json_array();
    for (size_t i = 0; i < nunits && st == DH_OK; i++) {
        res_unit *ru = &units[i];
        if (ru->refused)
            continue;
        dh_dti_entry *en = calloc(fw.n ? fw.n : 1, sizeof *en);
        dh_dti_entry printed = {0};
        for (size_t j = 0; j < ru->n; j++) {
            const dh_sheet_row *r = &t->rows[ru->rows[j]];
            const char *crit = cell(r, col, RC_CRITERION);
            double pts = 0, val = 0;
            int pr = parse_num(cell(r, col, RC_POINTS), &pts);
            int vr = parse_num(cell(r, col, RC_VALUE), &val);
            dh_dti_entry x = {pr == 0, pts, vr == 0, val, r->line};
            if (!strcmp(crit, "TOTAL"))
                printed = x;
            else
                en[dh_dti_find(fw.nodes, fw.n, crit)] = x;
        }
        dh_dti_result res;
        if (dh_dti_score(fw.nodes, fw.n, en, printed.has_points ? &printed : NULL, &res)) {
            free(en);
            st = dh_err_set(e, DH_E_INTERNAL, "no_memory", NULL, "out of memory scoring");
            break;
        }
        json_t *w = dh_dti_warnings_json(&res, NULL);
        char *wj = json_dumps(w, JSON_COMPACT);
        char source[300];
        snprintf(source, sizeof source, "import:%s", cl->name);
        dh_dti_assessment_row row = {
            cur[i].id,          fw.id,          ru->code,     fw.year, "published",
            printed.has_points, printed.points, printed.line, wj,      source,
            cur[i].revision,    false,          cl->now,      cl->now};
        int64_t aid = 0;
        st = DH_DTI(tx->c)->save_assessment(tx->c, &row, &aid, e);
        if (st == DH_OK && cur[i].id)
            st = DH_DTI(tx->c)->clear_entries(tx->c, aid, e);
        for (size_t j = 0; j < ru->n && st == DH_OK; j++) {
            const dh_sheet_row *r = &t->rows[ru->rows[j]];
            double pts = 0, val = 0;
            int pr = parse_num(cell(r, col, RC_POINTS), &pts);
            int vr = parse_num(cell(r, col, RC_VALUE), &val);
            st = DH_DTI(tx->c)->put_entry(
                tx->c,
                &(dh_dti_entry_row){aid, cell(r, col, RC_CRITERION), false, false, pr == 0, vr == 0,
                                    0, 0, pts, val, "", cell(r, col, RC_NOTE), "", r->line, 0},
                e);
        }
        json_t *uo =
            json_pack("{s:s,s:o,s:o,s:o,s:I}", "unit", ru->code, "total", dh_dti_num_json(res.total),
                      "printed_total", printed.has_points ? dh_dti_num_json(printed.points) : json_null(),
                      "warnings", json_copy(w), "rows", (json_int_t)ru->n);
        size_t wi;
        json_t *wv;
        json_array_foreach(w, wi, wv)
        {
            json_t *c2 = json_copy(wv);
            json_object_set_new(c2, "unit", json_string(ru->code));
            json_array_append_new(wall, c2);
        }
        if (st == DH_OK) {
            char key[200];
            snprintf(key, sizeof key, "%s/%d/%s", fw.code, fw.year, ru->code);
            st = dh_app_audit(tx->c, cl->a, "import", "dti_assessment", key, ru->code, "ok", NULL,
                              uo, cl->now, e);
        }
        json_array_append_new(uout, uo);
        rep->taken += (int)ru->n;
        free(wj);
        json_decref(w);
        dh_dti_result_free(&res);
        free(en);
    }
    if (st == DH_OK)
        cl->si.out =
            json_pack("{s:s,s:i,s:O,s:i,s:i,s:O}", "framework", fw.code, "year", fw.year, "units",
                      uout, "rows", rep->taken, "refused", rep->refused, "warnings", wall);
    json_decref(uout);
    json_decref(wall);
    for (size_t i = 0; i < nunits; i++)
        free(units[i].rows);
    free(units);
    free(cur);
    json_decref(unit_ix);
    json_decref(seen);
    dh_dti_fw_free(&fw);
    return st;
}

dh_status dh_app_dti_results_import(dh_app *app, const dh_actor *a, const char *data, size_t len,
                                    const char *name, const char *framework, int year, bool partial,
                                    time_t now, dh_import_report *rep, json_t **out, dh_err *e)
{
    memset(rep, 0, sizeof *rep);
    *out = NULL;
    if (a->role != DH_ROLE_ADMIN && a->role != DH_ROLE_OFFICER)
        return dh_app_deny(app, a, "import", "dti_assessment", name, "", now, e,
                           "import DTI results (admins and officers only)");
    res_import_cl cl = {{0}, a, name, framework ? framework : "", year, partial, now, rep};
    return sheet_import_run(app, DH_TX_UNITS, res_import_tx, &cl.si, data, len, name, res_cols,
                            RC_N, RC_REQUIRED, rep, out, e);
}
