/* procedures.c - the procedure catalogue: effective-dated versions held in
 * memory (reference-counted, reloaded when procedures_rev moves), CSV import
 * and JSON creation. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/internal.h"
#include "util/buf.h"
#include "util/csv.h"
#include "util/text.h"

#define PROC_BATCH_MAX 10000

static void proc_free_strings(dh_proc *p)
{
    free(p->code);
    free(p->name);
    free(p->field);
    free(p->level);
}

static void procset_free(dh_procset *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        proc_free_strings(&s->v[i]);
    free(s->v);
    free(s);
}

static int parse_cutoff(const char *s, int *min)
{
    if (!s || !*s) {
        *min = -1;
        return 0;
    }
    if (strlen(s) != 5 || s[2] != ':' || s[0] < '0' || s[0] > '2' || s[1] < '0' || s[1] > '9' ||
        s[3] < '0' || s[3] > '5' || s[4] < '0' || s[4] > '9')
        return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0');
    if (h > 23)
        return -1;
    *min = h * 60 + (s[3] - '0') * 10 + (s[4] - '0');
    return 0;
}

static int parse_bool(const char *s, bool *b)
{
    if (s && (strcmp(s, "true") == 0 || strcmp(s, "1") == 0))
        return *b = true, 0;
    if (s && (strcmp(s, "false") == 0 || strcmp(s, "0") == 0 || !*s))
        return *b = false, 0;
    return -1;
}

static bool valid_code(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 40)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
              *p == '.' || *p == '-' || *p == '_'))
            return false;
    return true;
}

/* The error for a yes/no field that is missing or not a boolean; the
 * message names the field (never prints a NULL). */
static dh_status bad_bool(dh_err *e, const char *field, const char *v)
{
    if (!v)
        return dh_err_set(e, DH_E_INVALID, "missing_field", field,
                          "%s is required: true, false, 1 or 0", field);
    return dh_err_set(e, DH_E_INVALID, "invalid_boolean", field,
                      "%s: '%s' must be true, false, 1 or 0", field, v);
}

/* Fills p from text fields (copies). Messages name the field. */
static dh_status proc_from_text(const char *const v[11], dh_proc *p, dh_err *e)
{
    memset(p, 0, sizeof *p);
    static const char *const names[11] = {"code",        "name",         "field",
                                          "level",       "duration",     "duration_unit",
                                          "online_level", "fee_bearing", "paper_result",
                                          "cutoff_time", "valid_from"};
    /* Every field as text first (UTF-8, no bidirectional controls), so
     * that the messages below can quote them. */
    for (int i = 0; i < 11; i++) {
        char *clean = NULL;
        dh_status st = v[i] ? dh_text_clean_field(v[i], names[i], &clean, e) : DH_OK;
        free(clean);
        if (st)
            return st;
    }
    if (!v[0] || !valid_code(v[0]))
        return dh_err_set(e, DH_E_INVALID, "invalid_code", "code",
                          "'%s' is not a procedure code (letters, digits, '.', '-', '_'; e.g. "
                          "1.004227)",
                          v[0] ? v[0] : "");
    if (!v[1] || !*v[1])
        return dh_err_set(e, DH_E_INVALID, "missing_field", "name", "name is required");
    if (!v[3] || (strcmp(v[3], "province") && strcmp(v[3], "district") && strcmp(v[3], "commune")))
        return dh_err_set(e, DH_E_INVALID, "invalid_level", "level",
                          "'%s' must be province, district or commune", v[3] ? v[3] : "");
    char *end = NULL;
    long d = v[4] ? strtol(v[4], &end, 10) : -1;
    if (!v[4] || !*v[4] || *end || d < 0 || d > 10000)
        return dh_err_set(e, DH_E_INVALID, "invalid_number", "duration",
                          "'%s' must be a whole number from 0 to 10000", v[4] ? v[4] : "");
    if (dh_dur_unit_parse(v[5], &p->limit.unit))
        return dh_err_set(e, DH_E_INVALID, "invalid_unit", "duration_unit",
                          "'%s' must be working_days, working_hours, days or months",
                          v[5] ? v[5] : "");
    if (!v[6] || (strcmp(v[6], "full") && strcmp(v[6], "partial") && strcmp(v[6], "none")))
        return dh_err_set(e, DH_E_INVALID, "invalid_online_level", "online_level",
                          "'%s' must be full, partial or none", v[6] ? v[6] : "");
    if (parse_bool(v[7], &p->fee_bearing))
        return bad_bool(e, "fee_bearing", v[7]);
    if (parse_bool(v[8], &p->paper_result))
        return bad_bool(e, "paper_result", v[8]);
    if (parse_cutoff(v[9], &p->limit.cutoff_min))
        return dh_err_set(e, DH_E_INVALID, "invalid_time", "cutoff_time",
                          "cutoff_time: '%s' must be empty or HH:MM", v[9]);
    p->valid_from = dh_date_from_ymd(2000, 1, 1);
    if (v[10] && *v[10] && dh_date_parse(v[10], &p->valid_from))
        return dh_err_set(e, DH_E_INVALID, "invalid_date", "valid_from",
                          "'%s' is not a date YYYY-MM-DD", v[10]);
    long bad;
    char *name = dh_text_clean(v[1], &bad), *field = dh_text_clean(v[2] ? v[2] : "", &bad);
    if (!*name || dh_text_length(name) > 500) {
        free(name);
        free(field);
        return dh_err_set(e, DH_E_INVALID, "invalid_name", "name",
                          "name must have 1 to 500 characters");
    }
    p->limit.duration = (int)d;
    p->code = dh_xstrdup(v[0]);
    p->name = name;
    p->field = field;
    p->level = dh_xstrdup(v[3]);
    snprintf(p->online_level, sizeof p->online_level, "%s", v[6]);
    snprintf(p->cutoff, sizeof p->cutoff, "%s", v[9] ? v[9] : "");
    return DH_OK;
}

json_t *dh_proc_json(const dh_proc *p)
{
    char d[DH_DATE_TEXT_LEN];
    dh_date_format(p->valid_from, d);
    return json_pack("{s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:b,s:b,s:s?,s:s}", "code", p->code, "name",
                     p->name, "field", p->field, "level", p->level, "duration",
                     p->limit.duration, "duration_unit", dh_dur_unit_name(p->limit.unit),
                     "online_level", p->online_level, "fee_bearing", p->fee_bearing,
                     "paper_result", p->paper_result, "cutoff_time",
                     *p->cutoff ? p->cutoff : NULL, "valid_from", d);
}

/* ---- The shared catalogue. --------------------------------------------- */

struct load_proc {
    dh_procset *s;
};

static int on_proc(void *cl, const dh_procedure_row *r)
{
    dh_procset *s = ((struct load_proc *)cl)->s;
    dh_proc p = {0};
    p.code = dh_xstrdup(r->code);
    p.valid_from = r->valid_from;
    p.name = dh_xstrdup(r->name);
    p.field = dh_xstrdup(r->field);
    p.level = dh_xstrdup(r->level);
    p.limit.duration = r->duration;
    if (dh_dur_unit_parse(r->duration_unit, &p.limit.unit))
        p.limit.unit = DH_DUR_WORKING_DAYS;
    if (parse_cutoff(r->cutoff_time, &p.limit.cutoff_min))
        p.limit.cutoff_min = -1;
    snprintf(p.online_level, sizeof p.online_level, "%s", r->online_level);
    snprintf(p.cutoff, sizeof p.cutoff, "%s", r->cutoff_time);
    p.fee_bearing = r->fee_bearing;
    p.paper_result = r->paper_result;
    s->v = dh_xrealloc(s->v, (s->n + 1) * sizeof *s->v);
    s->v[s->n++] = p;
    return 0;
}

static void procset_free_any(void *obj) { procset_free(obj); }

static dh_status load_procset(dh_conn *c, void **out, dh_err *e)
{
    dh_procset *fresh = dh_xcalloc(1, sizeof *fresh);
    struct load_proc l = {fresh};
    dh_status st = DH_PROCEDURES(c)->load_procedures(c, on_proc, &l, e);
    if (st) {
        procset_free(fresh);
        return st;
    }
    *out = fresh;
    return DH_OK;
}

const dh_procset *dh_app_procedures_acquire(dh_app *app, dh_err *e)
{
    dh_snap *s = dh_snap_acquire(app, &app->procedures, "procedures_rev", load_procset,
                                 procset_free_any, offsetof(dh_procset, owner), e);
    return s ? s->obj : NULL;
}

void dh_app_procedures_release(dh_app *app, const dh_procset *s)
{
    if (s)
        dh_snap_release(app, s->owner, procset_free_any);
}

void dh_app_procedures_close(dh_app *app) { dh_snap_close(app, &app->procedures, procset_free_any); }

const dh_proc *dh_procset_at(const dh_procset *s, const char *code, dh_date d)
{
    size_t lo = 0, hi = s->n; /* first index with code >= code */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(s->v[mid].code, code) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    const dh_proc *best = NULL;
    for (size_t i = lo; i < s->n && strcmp(s->v[i].code, code) == 0; i++)
        if (s->v[i].valid_from <= d)
            best = &s->v[i];
    return best;
}

bool dh_procset_in_force(const dh_procset *s, size_t i, dh_date d)
{
    return s->v[i].valid_from <= d &&
           !(i + 1 < s->n && !strcmp(s->v[i + 1].code, s->v[i].code) &&
             s->v[i + 1].valid_from <= d);
}

/* ---- Writes. ----------------------------------------------------------- */

static dh_status insert_proc(dh_conn *c, const dh_actor *a, const dh_proc *p, time_t now,
                             dh_err *e)
{
    dh_procedure_row r = {0,
                          p->code,
                          p->valid_from,
                          p->name,
                          p->field,
                          p->level,
                          p->limit.duration,
                          dh_dur_unit_name(p->limit.unit),
                          p->online_level,
                          p->fee_bearing,
                          p->paper_result,
                          p->cutoff};
    int64_t id;
    dh_status st = DH_PROCEDURES(c)->put_procedure(c, &r, &id, e);
    if (st == DH_E_CONFLICT) {
        char d[DH_DATE_TEXT_LEN];
        dh_date_format(p->valid_from, d);
        return dh_err_set(e, DH_E_CONFLICT, "duplicate_procedure", "code",
                          "procedure %s already has a version from %s", p->code, d);
    }
    if (st == DH_OK) {
        json_t *after = dh_proc_json(p);
        st = dh_app_audit(c, a, "create", "procedure", p->code, "", "ok", NULL, after, now, e);
        json_decref(after);
    }
    return st;
}

static dh_status admin_only(dh_app *app, const dh_actor *a, time_t now, dh_err *e)
{
    if (a->role == DH_ROLE_ADMIN)
        return DH_OK;
    return dh_app_deny(app, a, "create", "procedure", "", "", now, e,
                       "change the procedure catalogue");
}

/* NULL-terminated, so that dh_json_only can take it as the allowed keys. */
static const char *const csv_cols[12] = {"code",          "name",         "field",
                                         "level",         "duration",     "duration_unit",
                                         "online_level",  "fee_bearing",  "paper_result",
                                         "cutoff_time",   "valid_from",   NULL};

typedef struct proc_import_cl {
    const dh_actor *a;
    const dh_buf *data; /* the whole file, read again by every run */
    const char *name;
    const int *map;
    bool partial;
    time_t now;
    dh_import_report *rep;
} proc_import_cl;

/* Concurrency: reads nothing to decide: each row inserts a new version
 * (code, valid_from) and procedures_rev is bumped in the same transaction
 * (readers reload the catalogue once it commits). Two imports of one
 * version: the unique (code, valid_from) of procedures refuses the second
 * row as a duplicate, whichever commits first. */
static dh_status proc_import_tx(dh_tx *tx, void *closure, dh_err *e)
{
    proc_import_cl *cl = closure;
    const char *name = cl->name;
    const int *map = cl->map;
    dh_import_report *rep = cl->rep;
    dh_import_report_free(rep);
    dh_csv *csv = dh_csv_new_mem(cl->data->p, cl->data->len, name);
    char **fl;
    size_t nf;
    int rc;
    dh_status st = DH_OK;
    (void)dh_csv_next(csv, &fl, &nf); /* the header, checked by the caller */
    while ((rc = dh_csv_next(csv, &fl, &nf)) != 0) {
        if (rc < 0) {
            dh_report_add(rep, "%s", dh_csv_error(csv));
            rep->refused++;
            break; /* the reader cannot resynchronise after a broken quote */
        }
        long line = dh_csv_line(csv);
        const char *v[11];
        for (int i = 0; i < 11; i++)
            v[i] = map[i] >= 0 && (size_t)map[i] < nf ? fl[map[i]] : NULL;
        dh_proc p;
        dh_err pe;
        dh_status ps = proc_from_text(v, &p, &pe);
        if (ps == DH_OK) {
            ps = insert_proc(tx->c, cl->a, &p, cl->now, &pe);
            proc_free_strings(&p);
        }
        if (dh_err_storage(ps)) {
            *e = pe;
            st = ps;
            break;
        }
        if (ps) {
            dh_report_add(rep, "%s:%ld: %s%s%s", name, line, pe.field[0] ? pe.field : "",
                          pe.field[0] ? ": " : "", pe.message);
            rep->refused++;
        } else {
            rep->taken++;
        }
    }
    dh_csv_free(csv);
    if (st == DH_OK && rep->refused && !cl->partial) {
        st = dh_err_set(e, DH_E_INVALID, "invalid_rows", NULL,
                        "%s: %d bad rows, nothing imported (first: %s)", name, rep->refused,
                        rep->nmessages ? rep->messages[0] : "?");
        rep->taken = 0;
    }
    if (st == DH_OK && rep->taken)
        st = DH_META(tx->c)->meta_bump(tx->c, "procedures_rev", e);
    return st;
}

dh_status dh_app_procedure_import(dh_app *app, const dh_actor *a, FILE *f, const char *name,
                                  bool partial, time_t now, dh_import_report *rep, dh_err *e)
{
    memset(rep, 0, sizeof *rep);
    dh_status st = admin_only(app, a, now, e);
    if (st)
        return st;
    /* The whole file first: a transaction run again reads it again. */
    dh_buf data = DH_BUF_INIT;
    dh_buf_read_all(&data, f);
    dh_csv *csv = dh_csv_new_mem(data.p, data.len, name);
    char **fl;
    size_t nf;
    int map[11];
    int rc = dh_csv_next(csv, &fl, &nf);
    if (rc <= 0) {
        dh_report_add(rep, "%s", rc < 0 ? dh_csv_error(csv) : "the file is empty (no header)");
        st = dh_err_set(e, DH_E_INVALID, "invalid_csv", NULL, "%s:1: %s", name,
                        rc < 0 ? dh_csv_error(csv) : "the file is empty (no header)");
        goto done;
    }
    for (int i = 0; i < 11; i++) {
        map[i] = -1;
        for (size_t j = 0; j < nf; j++)
            if (strcmp(fl[j], csv_cols[i]) == 0)
                map[i] = (int)j;
        if (map[i] < 0 && i != 10) {
            st = dh_err_set(e, DH_E_INVALID, "invalid_csv", csv_cols[i],
                            "%s:1: header: missing column '%s' (expected code,name,field,level,"
                            "duration,duration_unit,online_level,fee_bearing,paper_result,"
                            "cutoff_time)",
                            name, csv_cols[i]);
            dh_report_add(rep, "%s", e->message);
            goto done;
        }
    }
    proc_import_cl cl = {a, &data, name, map, partial, now, rep};
    st = dh_tx_run(app, DH_TX_WRITE, proc_import_tx, &cl, e);
done:
    dh_csv_free(csv);
    dh_buf_free(&data);
    if (st == DH_OK && rep->refused)
        st = dh_err_set(e, DH_E_INVALID, "invalid_rows", NULL,
                        "%s: %d rows taken, %d refused", name, rep->taken, rep->refused);
    return st;
}

static dh_status proc_from_json(json_t *o, dh_proc *p, dh_err *e)
{
    if (!json_is_object(o))
        return dh_err_set(e, DH_E_MALFORMED, "invalid_type", NULL, "a procedure is an object");
    dh_status st = dh_json_only(o, (const char *const *)csv_cols, e);
    if (st)
        return st;
    char num[32];
    const char *v[11] = {0};
    for (int i = 0; i < 11; i++) {
        json_t *j = json_object_get(o, csv_cols[i]);
        if (!j || json_is_null(j))
            continue;
        if (i == 4 && json_is_integer(j)) {
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(j));
            v[i] = num;
        } else if ((i == 7 || i == 8) && json_is_boolean(j)) {
            v[i] = json_is_true(j) ? "true" : "false";
        } else if (json_is_string(j)) {
            v[i] = json_string_value(j);
        } else {
            return dh_err_set(e, DH_E_INVALID, "invalid_type", csv_cols[i], "%s has the wrong type",
                              csv_cols[i]);
        }
    }
    return proc_from_text(v, p, e);
}

typedef struct proc_create_cl {
    const dh_actor *a;
    json_t *body, *arr;
    time_t now;
    json_t *items;
} proc_create_cl;

/* Concurrency: as proc_import_tx: each procedure inserts a new version,
 * the unique (code, valid_from) of procedures refusing a duplicate, and
 * procedures_rev is bumped in the same transaction. */
static dh_status proc_create_tx(dh_tx *tx, void *closure, dh_err *e)
{
    proc_create_cl *cl = closure;
    json_t *arr = cl->arr;
    size_t n = arr ? json_array_size(arr) : 1;
    dh_status st = DH_OK;
    json_decref(cl->items);
    cl->items = json_array();
    for (size_t i = 0; i < n && st == DH_OK; i++) {
        dh_proc p;
        st = proc_from_json(arr ? json_array_get(arr, i) : cl->body, &p, e);
        if (st == DH_OK) {
            st = insert_proc(tx->c, cl->a, &p, cl->now, e);
            if (st == DH_OK)
                json_array_append_new(cl->items, dh_proc_json(&p));
            proc_free_strings(&p);
        }
        if (st && arr) {
            char f[sizeof e->field];
            snprintf(f, sizeof f, "procedures[%zu].%s", i, e->field);
            snprintf(e->field, sizeof e->field, "%s", f);
        }
    }
    if (st == DH_OK)
        st = DH_META(tx->c)->meta_bump(tx->c, "procedures_rev", e);
    return st;
}

dh_status dh_app_procedure_create(dh_app *app, const dh_actor *a, json_t *body, time_t now,
                                  json_t **out, dh_err *e)
{
    dh_status st = admin_only(app, a, now, e);
    if (st)
        return st;
    json_t *arr = json_object_get(body, "procedures");
    if (arr && (!json_is_array(arr) || json_array_size(arr) == 0 ||
                json_array_size(arr) > PROC_BATCH_MAX))
        return dh_err_set(e, DH_E_INVALID, "invalid_type", "procedures",
                          "procedures must be an array of 1 to %d procedures", PROC_BATCH_MAX);
    proc_create_cl cl = {a, body, arr, now, NULL};
    st = dh_tx_run(app, DH_TX_WRITE, proc_create_tx, &cl, e);
    json_t *items = cl.items;
    if (st) {
        json_decref(items);
        return st;
    }
    *out = arr ? json_pack("{s:o}", "items", items) : json_incref(json_array_get(items, 0));
    if (!arr)
        json_decref(items);
    return DH_OK;
}
