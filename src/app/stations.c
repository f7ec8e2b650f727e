/* stations.c - the register of 5G stations (issue 19, point 7; breakthrough
 * 2 of Decision 1683: 200 stations, Viettel 140 + VNPT 60, 70 in Vũng Tàu).
 *
 * Operators send one row per status step (CSV/XLSX file or the API):
 * site_code, operator, commune (unit codes; the commune must exist on the
 * step's date), address, lat, long, technology, status (planned, permitted,
 * installed, on_air), status_date, source. A step must come after the
 * station's latest one (in order and in date) and not in the future; a row
 * that repeats a known step is a duplicate (nothing changes); a site code
 * sent with other content (operator, commune, address, coordinates,
 * technology), or a known step with another date, is a conflict (409).
 * All-or-nothing unless partial; every bad line is reported with its line
 * and field.
 *
 * Counting: each station at its latest step dated on or before the date
 * asked, in the subtree of a unit (by its commune, or by its operator: an
 * operator's stations are its own wherever they stand). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/internal.h"
#include "store/indicators.h"
#include "store/stations.h"
#include "store/targets.h"
#include "util/buf.h"
#include "util/xlsx.h"

static const char *const STATUS[] = {"planned", "permitted", "installed", "on_air"};
#define NSTATUS 4
enum { F_SITE, F_OP, F_COMMUNE, F_ADDR, F_LAT, F_LON, F_TECH, F_STATUS, F_DATE, F_SOURCE, NF };
static const char *const FIELDS[NF] = {"site_code", "operator", "commune",   "address",
                                       "lat",       "long",     "technology", "status",
                                       "status_date", "source"};

int dh_station_status_rank(const char *s)
{
    for (int i = 0; s && i < NSTATUS; i++)
        if (!strcmp(s, STATUS[i]))
            return i;
    return -1;
}

const char *dh_station_status_name(int rank)
{
    return rank >= 0 && rank < NSTATUS ? STATUS[rank] : "";
}

/* One row to import: its line (or index) and its fields (borrowed). */
typedef struct srow {
    long line;
    const char *f[NF];
} srow;

typedef struct import_cl {
    const dh_actor *a;
    const char *name;
    srow *rows;
    size_t n;
    bool partial;
    time_t now;
    /* the result */
    int accepted, duplicates, conflicts, refused;
    json_t *errors;
    bool synthetic; /* the demo's stations */
} import_cl;

static void row_error(import_cl *cl, const srow *r, const char *field, const char *code,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void row_error(import_cl *cl, const srow *r, const char *field, const char *code,
                      const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char full[700];
    snprintf(full, sizeof full, "%s:%ld: %s: %s", cl->name, r->line, field, msg);
    json_array_append_new(cl->errors, json_pack("{s:I,s:s,s:s,s:s}", "line", (json_int_t)r->line,
                                                "field", field, "code", code, "message", full));
    if (!strcmp(code, "conflict"))
        cl->conflicts++;
}

static int parse_coord(const char *s, double lo, double hi, double *out)
{
    char *end;
    if (!s || !*s)
        return -1;
    *out = strtod(s, &end);
    return *end || !isfinite(*out) || *out < lo || *out > hi ? -1 : 0;
}

typedef struct known {
    bool found;
    char op[64], commune[64], addr[256], tech[64];
    double lat, lon;
    dh_date step[NSTATUS]; /* DH_DATE_NONE: not reached */
} known;

static int on_known_station(void *closure, const dh_station_row *r)
{
    known *k = closure;
    k->found = true;
    snprintf(k->op, sizeof k->op, "%s", r->operator_unit);
    snprintf(k->commune, sizeof k->commune, "%s", r->commune);
    snprintf(k->addr, sizeof k->addr, "%s", r->address);
    snprintf(k->tech, sizeof k->tech, "%s", r->technology);
    k->lat = r->lat;
    k->lon = r->lon;
    return 0;
}

static int on_known_step(void *closure, const dh_station_step_row *r)
{
    known *k = closure;
    if (r->rank >= 0 && r->rank < NSTATUS)
        k->step[r->rank] = r->date;
    return 0;
}

/* Whose stations an actor may register (access.h): an admin any; a
 * reporter its own unit's, as their operator; an officer those of an
 * operator in its subtree or standing in a commune of its subtree. */
static bool may_register(const dh_unitreg *reg, const dh_actor *a, int32_t op, int32_t cm,
                         dh_date today)
{
    if (a->role == DH_ROLE_ADMIN)
        return true;
    int32_t scope = dh_app_actor_scope(reg, a);
    return dh_access_allows(reg, a->role, scope, DH_ACT_SUBMIT, op, today) ||
           dh_access_allows(reg, a->role, scope, DH_ACT_WRITE, cm, today);
}

/* Checks and writes one row inside the transaction. */
static dh_status import_row(dh_tx *tx, import_cl *cl, const srow *r, dh_err *e)
{
    const dh_unitreg *reg = tx->reg;
    dh_date today = dh_date_of_time_vn(cl->now), day;
    size_t before = json_array_size(cl->errors);
    const char *site = r->f[F_SITE];
    double lat = 0, lon = 0;
    int rank = dh_station_status_rank(r->f[F_STATUS]);
    if (!*site || strlen(site) > 64)
        row_error(cl, r, "site_code", "invalid_value", "a site code of 1 to 64 characters is "
                                                      "required");
    int32_t op = dh_unitreg_find(reg, r->f[F_OP]);
    if (op < 0)
        row_error(cl, r, "operator", "unknown_unit", "unknown operator '%s'", r->f[F_OP]);
    bool date_ok = dh_date_parse(r->f[F_DATE], &day) == 0;
    if (!date_ok)
        row_error(cl, r, "status_date", "invalid_date", "'%s' is not a date YYYY-MM-DD",
                  r->f[F_DATE]);
    else if (day > today)
        row_error(cl, r, "status_date", "future_date", "%s is in the future", r->f[F_DATE]);
    int32_t cm = dh_unitreg_find(reg, r->f[F_COMMUNE]);
    if (cm < 0)
        row_error(cl, r, "commune", "unknown_unit", "unknown commune '%s'", r->f[F_COMMUNE]);
    else if (date_ok && day <= today && !dh_unitreg_at(reg, cm, day))
        row_error(cl, r, "commune", "unknown_unit", "commune '%s' did not exist on %s",
                  r->f[F_COMMUNE], r->f[F_DATE]);
    if (parse_coord(r->f[F_LAT], -90, 90, &lat))
        row_error(cl, r, "lat", "invalid_value", "'%s' is not a latitude", r->f[F_LAT]);
    if (parse_coord(r->f[F_LON], -180, 180, &lon))
        row_error(cl, r, "long", "invalid_value", "'%s' is not a longitude", r->f[F_LON]);
    if (!*r->f[F_TECH])
        row_error(cl, r, "technology", "invalid_value", "the technology is required");
    if (rank < 0)
        row_error(cl, r, "status", "invalid_value",
                  "status '%s' is not planned, permitted, installed or on_air", r->f[F_STATUS]);
    if (json_array_size(cl->errors) > before)
        return DH_OK;
    if (!may_register(reg, cl->a, op, cm, today)) {
        char what[256];
        snprintf(what, sizeof what, "register a station of %s in %s (%s %ld)", r->f[F_OP],
                 r->f[F_COMMUNE], cl->name, r->line);
        return dh_tx_deny(tx, cl->a, "import", "stations", cl->name, r->f[F_OP], cl->now, e,
                          what);
    }
    known k = {0};
    for (int i = 0; i < NSTATUS; i++)
        k.step[i] = DH_DATE_NONE;
    dh_status st = DH_STATIONS(tx->c)->get_station(tx->c, site, on_known_station, &k, e);
    if (st == DH_E_NOTFOUND)
        st = DH_OK;
    if (st == DH_OK && k.found)
        st = DH_STATIONS(tx->c)->list_station_steps(tx->c, site, DH_DATE_NONE, on_known_step, &k,
                                                    e);
    if (st)
        return st;
    if (k.found) {
        const char *diff = strcmp(k.op, r->f[F_OP])           ? "operator"
                           : strcmp(k.commune, r->f[F_COMMUNE]) ? "commune"
                           : strcmp(k.addr, r->f[F_ADDR])     ? "address"
                           : fabs(k.lat - lat) > 1e-9         ? "lat"
                           : fabs(k.lon - lon) > 1e-9         ? "long"
                           : strcmp(k.tech, r->f[F_TECH])     ? "technology"
                                                              : NULL;
        if (diff) {
            row_error(cl, r, diff, "conflict",
                      "station %s is registered with another %s; a site code names one station",
                      site, diff);
            return DH_OK;
        }
    }
    int latest = -1;
    for (int i = 0; i < NSTATUS; i++)
        if (k.step[i] != DH_DATE_NONE)
            latest = i;
    if (k.step[rank] != DH_DATE_NONE) {
        if (k.step[rank] == day) {
            cl->duplicates++;
            return DH_OK;
        }
        char was[DH_DATE_TEXT_LEN];
        dh_date_format(k.step[rank], was);
        row_error(cl, r, "status_date", "conflict", "station %s reached %s on %s, not %s", site,
                  STATUS[rank], was, r->f[F_DATE]);
        return DH_OK;
    }
    if (rank < latest) {
        row_error(cl, r, "status", "out_of_order",
                  "station %s is already %s: %s comes before it (planned, permitted, installed, "
                  "on_air)",
                  site, STATUS[latest], STATUS[rank]);
        return DH_OK;
    }
    if (latest >= 0 && day < k.step[latest]) {
        char was[DH_DATE_TEXT_LEN];
        dh_date_format(k.step[latest], was);
        row_error(cl, r, "status_date", "out_of_order",
                  "station %s became %s on %s: %s cannot be dated %s, before it", site,
                  STATUS[latest], was, STATUS[rank], r->f[F_DATE]);
        return DH_OK;
    }
    bool ins = false;
    if (!k.found) {
        dh_station_row s = {site, r->f[F_OP], r->f[F_COMMUNE], r->f[F_ADDR], r->f[F_TECH],
                            r->f[F_SOURCE], lat, lon, cl->synthetic, cl->now};
        st = DH_STATIONS(tx->c)->put_station(tx->c, &s, &ins, e);
    }
    if (st == DH_OK)
        st = DH_STATIONS(tx->c)->put_station_step(tx->c, site, rank, day, r->f[F_SOURCE],
                                                  cl->now, &ins, e);
    if (st == DH_OK)
        cl->accepted++;
    return st;
}

/* The computed indicators counted from the register (formula
 * stations:on_air). */
#define STATIONS_FORMULA "stations:on_air"

typedef struct ids {
    int64_t *v;
    size_t n;
} ids;

static int on_station_indicator(void *closure, const dh_indicator_row *r)
{
    ids *x = closure;
    if (r->formula && !strcmp(r->formula, STATIONS_FORMULA)) {
        x->v = dh_xrealloc(x->v, (x->n + 1) * sizeof *x->v);
        x->v[x->n++] = r->id;
    }
    return 0;
}

typedef struct mark_cl {
    dh_conn *c;
    dh_status st;
    dh_err *e;
} mark_cl;

static int on_target_mark(void *closure, const dh_target_row *r)
{
    mark_cl *m = closure;
    if (m->st == DH_OK)
        m->st = DH_TARGETS(m->c)->mark_targets_dirty(m->c, r->indicator_id, r->unit, m->e);
    return m->st != DH_OK;
}

/* New steps change the on-air counts: the targets of those indicators are
 * derived again (the targets job, or the next read). */
static dh_status mark_station_targets(dh_conn *c, dh_err *e)
{
    ids x = {0};
    dh_status st = DH_INDICATORS(c)->load_indicators(c, on_station_indicator, &x, e);
    mark_cl m = {c, DH_OK, e};
    for (size_t i = 0; i < x.n && st == DH_OK; i++) {
        st = DH_TARGETS(c)->load_targets_of(c, x.v[i], NULL, on_target_mark, &m, e);
        if (st == DH_OK)
            st = m.st;
    }
    free(x.v);
    if (st == DH_OK && x.n)
        st = DH_META(c)->meta_bump(c, "targets_dirty", e);
    return st;
}

/* Concurrency: reads each site's station and steps and writes the new ones
 * in one write transaction (DH_TX_UNITS for the codes), so two imports of
 * one site take turns and the second sees the first's steps (a duplicate or
 * a conflict). Run twice (DIEUHANH_TX_FAULT), the counts start again. */
static dh_status import_tx(dh_tx *tx, void *closure, dh_err *e)
{
    import_cl *cl = closure;
    cl->accepted = cl->duplicates = cl->conflicts = 0;
    json_array_clear(cl->errors);
    cl->refused = 0;
    dh_status st = DH_OK;
    for (size_t i = 0; i < cl->n && st == DH_OK; i++) {
        size_t before = json_array_size(cl->errors);
        st = import_row(tx, cl, &cl->rows[i], e);
        cl->refused += json_array_size(cl->errors) > before;
    }
    if (st == DH_OK && json_array_size(cl->errors) && !cl->partial)
        return cl->conflicts ? dh_err_set(e, DH_E_CONFLICT, "conflict", NULL,
                                          "%s: %d bad lines (a site code with other content); "
                                          "nothing imported",
                                          cl->name, cl->refused)
                             : dh_err_set(e, DH_E_INVALID, "invalid_rows", NULL,
                                          "%s: %d bad lines; nothing imported", cl->name,
                                          cl->refused);
    if (st == DH_OK && cl->accepted)
        st = mark_station_targets(tx->c, e);
    if (st == DH_OK && cl->accepted) {
        json_t *after = json_pack("{s:s,s:i,s:i,s:i}", "file", cl->name, "accepted",
                                  cl->accepted, "duplicates", cl->duplicates, "refused",
                                  cl->refused);
        st = dh_app_audit(tx->c, cl->a, "import", "stations", cl->name, "", "ok", NULL, after,
                          cl->now, e);
        json_decref(after);
    }
    return st;
}

static dh_status run_import(dh_app *app, import_cl *cl, json_t **out, dh_err *e)
{
    cl->errors = json_array();
    dh_status st = dh_tx_run(app, DH_TX_UNITS, import_tx, cl, e);
    *out = json_pack("{s:i,s:i,s:i,s:O}", "accepted", st == DH_OK ? cl->accepted : 0,
                     "duplicates", st == DH_OK ? cl->duplicates : 0, "refused", cl->refused,
                     "errors", cl->errors);
    json_decref(cl->errors);
    return st;
}

static bool may_import(const dh_actor *a)
{
    return a->role == DH_ROLE_ADMIN || a->role == DH_ROLE_OFFICER ||
           a->role == DH_ROLE_REPORTER;
}

dh_status dh_app_station_import(dh_app *app, const dh_actor *a, const char *data, size_t len,
                                const char *name, bool partial, time_t now, json_t **out,
                                dh_err *e)
{
    *out = NULL;
    if (!may_import(a))
        return dh_app_deny(app, a, "import", "stations", name, "", now, e, "register stations");
    dh_import_report rep = {0};
    dh_sheet sh;
    dh_status st = dh_sheet_read_any(data, len, name, &sh, &rep, e);
    dh_import_report_free(&rep);
    if (st)
        return st;
    int col[NF];
    for (int k = 0; k < NF; k++)
        col[k] = -1;
    if (sh.nrows)
        for (size_t i = 0; i < sh.rows[0].nc; i++)
            for (int k = 0; k < NF; k++)
                if (!strcmp(sh.rows[0].c[i].v, FIELDS[k]))
                    col[k] = (int)sh.rows[0].c[i].col;
    for (int k = 0; k < NF; k++)
        if (col[k] < 0 && k != F_ADDR && k != F_SOURCE) {
            dh_sheet_free(&sh);
            return dh_err_set(e, DH_E_INVALID, "missing_column", FIELDS[k],
                              "%s:1: the header has no column %s (site_code,operator,commune,"
                              "address,lat,long,technology,status,status_date,source)",
                              name, FIELDS[k]);
        }
    import_cl cl = {a, name, NULL, 0, partial, now, 0, 0, 0, 0, NULL, false};
    cl.rows = dh_xcalloc(sh.nrows ? sh.nrows : 1, sizeof *cl.rows);
    for (size_t i = 1; i < sh.nrows; i++) {
        srow *r = &cl.rows[cl.n++];
        r->line = sh.rows[i].line;
        for (int k = 0; k < NF; k++)
            r->f[k] = col[k] >= 0 ? dh_sheet_at(&sh.rows[i], (size_t)col[k]) : "";
    }
    st = run_import(app, &cl, out, e);
    free(cl.rows);
    dh_sheet_free(&sh);
    return st;
}

static dh_status push(dh_app *app, const dh_actor *a, json_t *body, bool partial,
                     bool synthetic, time_t now, json_t **out, dh_err *e)
{
    json_t *items = json_is_array(body) ? body : json_object_get(body, "stations");
    if (!json_is_array(items))
        return dh_err_set(e, DH_E_MALFORMED, "malformed", "stations",
                          "expected {\"stations\": [{site_code, operator, ...}, ...]}");
    import_cl cl = {a, synthetic ? "demo" : "api", NULL, 0, partial, now, 0, 0, 0, 0, NULL,
                    synthetic};
    cl.rows = dh_xcalloc(json_array_size(items) + 1, sizeof *cl.rows);
    char (*nums)[2][32] = dh_xcalloc(json_array_size(items) + 1, sizeof *nums);
    size_t i;
    json_t *o;
    dh_status st = DH_OK;
    json_array_foreach(items, i, o)
    {
        srow *r = &cl.rows[cl.n++];
        r->line = (long)i + 1;
        if (!json_is_object(o)) {
            st = dh_err_set(e, DH_E_MALFORMED, "malformed", "stations",
                            "stations[%zu] is not an object", i);
            break;
        }
        for (int k = 0; k < NF; k++) {
            json_t *v = json_object_get(o, FIELDS[k]);
            if (json_is_number(v) && (k == F_LAT || k == F_LON)) {
                snprintf(nums[i][k == F_LON], 32, "%.10g", json_number_value(v));
                r->f[k] = nums[i][k == F_LON];
            } else {
                r->f[k] = json_is_string(v) ? json_string_value(v) : "";
            }
        }
    }
    if (st == DH_OK)
        st = run_import(app, &cl, out, e);
    free(nums);
    free(cl.rows);
    return st;
}

dh_status dh_app_station_push(dh_app *app, const dh_actor *a, json_t *body, bool partial,
                              time_t now, json_t **out, dh_err *e)
{
    *out = NULL;
    if (!may_import(a))
        return dh_app_deny(app, a, "import", "stations", "api", "", now, e, "register stations");
    return push(app, a, body, partial, false, now, out, e);
}

/* The demo's register, marked synthetic, consistent with the seeds
 * (Decision 1683 II.2: 200 stations by December 2024, Viettel 140 + VNPT
 * 60; the Vũng Tàu plan III.2: 70 in the city): each operator's stations
 * come on air month by month from July 2024 (Viettel 60, 80, 95, 110, 125,
 * 140; VNPT 10 more a month to 60), every 20th-in-7 in one of Vũng Tàu's
 * 17 wards, the rest in the other districts. */
dh_status dh_app_stations_demo(dh_app *app, const dh_actor *a, time_t now, json_t **out,
                               dh_err *e)
{
    static const int viettel[6] = {60, 80, 95, 110, 125, 140}, vnpt[6] = {10, 20, 30, 40, 50, 60};
    static const char *const wards[] = {"VT-P1",  "VT-P2",  "VT-P3",    "VT-P4",   "VT-P5",
                                        "VT-P7",  "VT-P8",  "VT-P9",    "VT-P10",  "VT-P11",
                                        "VT-P12", "VT-TNHAT", "VT-TNHI", "VT-TTAM", "VT-NAN",
                                        "VT-RD",  "VT-LS"};
    static const char *const districts[] = {"BRVT-BR", "BRVT-PM", "BRVT-CD", "BRVT-XM",
                                            "BRVT-LD", "BRVT-DD", "BRVT-CDAO"};
    json_t *rows = json_array();
    int in_vt = 0, other = 0;
    for (int i = 0; i < 200; i++) {
        bool vtl = i < 140;
        int k = vtl ? i : i - 140; /* the operator's k-th station */
        const int *cum = vtl ? viettel : vnpt;
        int m = 0;
        while (m < 5 && k >= cum[m])
            m++;
        bool vt = i % 20 < 7; /* 70 of 200 */
        const char *where = vt ? wards[in_vt++ % 17] : districts[other++ % 7];
        char site[32], addr[96], d[4][DH_DATE_TEXT_LEN];
        snprintf(site, sizeof site, "BRVT-5G-%03d", i + 1);
        snprintf(addr, sizeof addr, "Trạm mẫu số %d", i + 1);
        dh_date on = dh_date_from_ymd(2024, 7 + m, 2 + k % 25);
        dh_date_format(on - 75, d[0]);
        dh_date_format(on - 40, d[1]);
        dh_date_format(on - 12, d[2]);
        dh_date_format(on, d[3]);
        double lat = (vt ? 10.34 : 10.50) + (i % 13) * 0.007, lon = (vt ? 107.07 : 107.20) +
                                                                    (i % 11) * 0.009;
        for (int s = 0; s < NSTATUS; s++)
            json_array_append_new(
                rows, json_pack("{s:s,s:s,s:s,s:s,s:f,s:f,s:s,s:s,s:s,s:s}", "site_code", site,
                                "operator", vtl ? "BRVT-VIETTEL" : "BRVT-VNPT", "commune", where,
                                "address", addr, "lat", lat, "long", lon, "technology",
                                "5G NR", "status", STATUS[s], "status_date", d[s], "source",
                                "dữ liệu mẫu (QĐ 1683/QĐ-UBND II.2)"));
    }
    json_t *body = json_pack("{s:o}", "stations", rows);
    dh_status st = push(app, a, body, false, true, now, out, e);
    json_decref(body);
    return st;
}

/* ---- Counting. -------------------------------------------------------- */

typedef struct count_cl {
    const dh_unitreg *reg;
    int32_t unit; /* -1: every unit */
    const char *op;
    dh_date as_of;
    int64_t n[NSTATUS];
    char last_site[128];
    int last_rank;
    bool last_in;
    json_t *list; /* the stations when listing */
} count_cl;

static bool in_subtree(const dh_unitreg *reg, int32_t root, const char *code, dh_date d)
{
    int32_t u = dh_unitreg_find(reg, code);
    if (u < 0)
        return false;
    for (int guard = 0; u >= 0 && guard < 64; guard++) {
        if (u == root)
            return true;
        const dh_unit_version *v = dh_unitreg_nearest(reg, u, d);
        u = v ? v->parent : -1;
    }
    return false;
}

static void count_flush(count_cl *c)
{
    if (c->last_site[0] && c->last_in && c->last_rank >= 0)
        c->n[c->last_rank]++;
    c->last_site[0] = '\0';
}

static int on_count_step(void *closure, const dh_station_step_row *r)
{
    count_cl *c = closure;
    if (strcmp(c->last_site, r->station->site_code)) {
        count_flush(c);
        snprintf(c->last_site, sizeof c->last_site, "%s", r->station->site_code);
        c->last_in = (!c->op || !strcmp(c->op, r->station->operator_unit)) &&
                     (c->unit < 0 || in_subtree(c->reg, c->unit, r->station->commune, c->as_of) ||
                      in_subtree(c->reg, c->unit, r->station->operator_unit, c->as_of));
        if (c->last_in && c->list)
            json_array_append_new(
                c->list, json_pack("{s:s,s:s,s:s,s:s,s:f,s:f,s:s,s:b,s:{}}", "site_code",
                                   r->station->site_code, "operator", r->station->operator_unit,
                                   "commune", r->station->commune, "address",
                                   r->station->address, "lat", r->station->lat, "long",
                                   r->station->lon, "technology", r->station->technology,
                                   "synthetic", r->station->synthetic, "steps"));
    }
    c->last_rank = r->rank; /* by rank: the last is the latest */
    if (c->last_in && c->list) {
        json_t *st = json_array_get(c->list, json_array_size(c->list) - 1);
        char d[DH_DATE_TEXT_LEN];
        dh_date_format(r->date, d);
        json_object_set_new(json_object_get(st, "steps"), STATUS[r->rank], json_string(d));
        json_object_set_new(st, "status", json_string(STATUS[r->rank]));
    }
    return 0;
}

dh_status dh_app_station_count(dh_app *app, const dh_actor *a, const char *op, const char *unit,
                               dh_date as_of, bool list, time_t now, json_t **out, dh_err *e)
{
    *out = NULL;
    if (as_of == DH_DATE_NONE)
        as_of = dh_date_of_time_vn(now);
    const dh_unitreg *reg = dh_app_units_acquire(app, e);
    if (!reg)
        return e->status;
    count_cl c = {reg, -1, op, as_of, {0}, "", -1, false, list ? json_array() : NULL};
    dh_status st = DH_OK;
    /* Stations are data of units (access.h): others than admins read
     * those of units they read, their own unit's subtree by default. */
    int32_t scope = dh_app_actor_scope(reg, a);
    if (!unit && a->role != DH_ROLE_ADMIN)
        unit = a->unit_code;
    if (unit && (c.unit = dh_unitreg_find(reg, unit)) < 0)
        st = dh_err_set(e, DH_E_INVALID, "unknown_unit", "unit", "unknown unit '%s'", unit);
    bool denied = st == DH_OK && a->role != DH_ROLE_ADMIN &&
                  !dh_access_allows(reg, a->role, scope, DH_ACT_READ, c.unit,
                                      dh_date_of_time_vn(now));
    if (denied) {
        dh_app_units_release(app, reg);
        json_decref(c.list);
        return dh_app_deny(app, a, "read", "stations", op ? op : "", unit, now, e,
                           "read the stations of that unit");
    }
    if (st == DH_OK && op && dh_unitreg_find(reg, op) < 0)
        st = dh_err_set(e, DH_E_INVALID, "unknown_unit", "operator", "unknown operator '%s'",
                        op);
    if (st == DH_OK) {
        dh_conn *conn = dh_store_acquire(dh_app_store(app), e);
        if (!conn)
            st = e->status;
        else {
            st = DH_STATIONS(conn)->list_station_steps(conn, NULL, as_of, on_count_step, &c, e);
            count_flush(&c);
            dh_store_release(conn);
        }
    }
    dh_app_units_release(app, reg);
    if (st) {
        json_decref(c.list);
        return st;
    }
    char d[DH_DATE_TEXT_LEN];
    dh_date_format(as_of, d);
    *out = json_pack("{s:s,s:I,s:I,s:I,s:I}", "as_of", d, "planned", (json_int_t)c.n[0],
                     "permitted", (json_int_t)c.n[1], "installed", (json_int_t)c.n[2], "on_air",
                     (json_int_t)c.n[3]);
    if (op)
        json_object_set_new(*out, "operator", json_string(op));
    if (unit)
        json_object_set_new(*out, "unit", json_string(unit));
    if (c.list)
        json_object_set_new(*out, "stations", c.list);
    return DH_OK;
}
