/* copy.c - moving a whole database to another (dieuhanh copy): every table
 * of the schema, rows unchanged (ids kept), from any backend to any other,
 * then a check that the two answer alike.
 *
 * The steps, in order, and what each guarantees:
 *  1. The source must have this binary's latest schema (older: migrate it
 *     first; newer: a newer dieuhanh must copy it). Nothing is written.
 *  2. The target must be empty: no table at all, or a schema whose tables
 *     hold nothing but what the migrations themselves seed (compared row
 *     by row with a scratch in-memory SQLite database migrated to the same
 *     version). Otherwise it is refused before anything is written.
 *  3. The target is migrated to the latest version (its own transactions,
 *     as `dieuhanh init` does): an empty schema, still empty.
 *  4. The targets' derived statuses of the source are brought up to date
 *     (what `dieuhanh target status` and the server's job do), so that the
 *     rows copied are the ones the check reads.
 *  5. One write transaction on the target, through the runner: emptiness
 *     checked again inside it, the seeded rows cleared, every table copied
 *     (parents first) from one read snapshot of the source, identity
 *     counters set past the largest ids. All or nothing.
 *  6. The check: row counts per table in both, the II.06a of every unit
 *     that has ever been a root (over its whole life up to today) and the
 *     targets' statuses, each made by the same app functions on both
 *     databases and compared byte for byte.
 * The clock is not read here: `now` comes from the command. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/internal.h"
#include "store/rows.h"

#define PROGRESS_EVERY 10000

void dh_copy_result_free(dh_copy_result *r)
{
    for (size_t i = 0; i < r->ntables; i++)
        free(r->tables[i].name);
    free(r->tables);
    for (size_t i = 0; i < r->nchecks; i++) {
        free(r->checks[i].what);
    }
    free(r->checks);
    memset(r, 0, sizeof *r);
}

/* ------------------------------------------------------------------ */
/* Lists of names.                                                    */

typedef struct names {
    char **v;
    size_t n, cap;
} names;

static int names_add(void *closure, const char *s)
{
    names *l = closure;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 32;
        l->v = dh_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = dh_xstrdup(s);
    return 0;
}

static void names_free(names *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static bool names_has(const names *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return true;
    return false;
}

/* ------------------------------------------------------------------ */
/* Rows as text, to compare.                                          */

static void value_text(dh_buf *b, const dh_value *x)
{
    switch (x->type) {
    case DH_V_INT:
        dh_buf_printf(b, "i%lld", (long long)x->i);
        break;
    case DH_V_REAL:
        dh_buf_printf(b, "r%.17g", x->r);
        break;
    case DH_V_TEXT:
        dh_buf_putc(b, 't');
        dh_buf_append(b, x->p, x->n);
        break;
    case DH_V_BLOB:
        dh_buf_printf(b, "b%zu:", x->n);
        dh_buf_append(b, x->p, x->n);
        break;
    default:
        dh_buf_putc(b, 'n');
    }
    dh_buf_putc(b, '\x1f');
}

static int row_text(void *closure, const dh_value *v, int n)
{
    dh_buf b = DH_BUF_INIT;
    for (int i = 0; i < n; i++)
        value_text(&b, &v[i]);
    char *row = dh_buf_steal(&b);
    names_add(closure, row);
    free(row);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The rows of a table as one text, sorted (the engines' scan orders
 * differ for a rowid table keyed otherwise); small tables only: seeds. */
static dh_status table_text(dh_conn *c, const char *table, char **out, dh_err *e)
{
    names rows = {0};
    dh_status st = DH_ROWS(c)->scan(c, table, row_text, &rows, e);
    if (rows.n)
        qsort(rows.v, rows.n, sizeof *rows.v, cmp_str);
    dh_buf b = DH_BUF_INIT;
    for (size_t i = 0; i < rows.n; i++) {
        dh_buf_puts(&b, rows.v[i]);
        dh_buf_putc(&b, '\x1e');
    }
    names_free(&rows);
    *out = dh_buf_steal(&b);
    return st;
}

/* ------------------------------------------------------------------ */
/* Is the target empty?                                               */

static dh_status not_empty(const char *table, int64_t n, const char *why, dh_err *e)
{
    return dh_err_set(e, DH_E_CONFLICT, "target_not_empty", "to",
                      "the target database is not empty: table %s has %lld rows%s; copy "
                      "only into an empty database (nothing was written)",
                      table, (long long)n, why);
}

/* DH_OK when every table of c (at schema `version`) holds exactly what a
 * fresh database migrated to that version holds (nothing, or the rows the
 * migrations seed); otherwise "target_not_empty". */
static dh_status check_empty(dh_conn *c, int version, dh_err *e)
{
    names tables = {0};
    dh_status st = DH_ROWS(c)->tables(c, names_add, &tables, e);
    if (st == DH_OK && version == 0 && tables.n > 0)
        st = dh_err_set(e, DH_E_CONFLICT, "target_not_empty", "to",
                        "the target database is not empty: it has a table %s but no dieuhanh "
                        "schema; copy only into an empty database (nothing was written)",
                        tables.v[0]);
    if (st || version == 0) {
        names_free(&tables);
        return st;
    }
    dh_store *scratch = dh_store_open("sqlite::memory:", true, e);
    dh_conn *sc = scratch ? dh_store_acquire(scratch, e) : NULL;
    int from, to;
    st = sc ? DH_OPS(sc)->migrate(sc, version, &from, &to, e) : e->status;
    for (size_t i = 0; i < tables.n && st == DH_OK; i++) {
        const char *t = tables.v[i];
        int64_t n = 0, seeded = 0;
        if ((st = DH_ROWS(c)->count(c, t, &n, e)) || n == 0)
            continue;
        dh_err e2;
        if (DH_ROWS(sc)->count(sc, t, &seeded, &e2) != DH_OK || seeded != n) {
            st = not_empty(t, n, "", e);
            break;
        }
        char *mine = NULL, *fresh = NULL;
        st = table_text(c, t, &mine, e);
        if (st == DH_OK)
            st = table_text(sc, t, &fresh, e);
        if (st == DH_OK && strcmp(mine, fresh) != 0)
            st = not_empty(t, n, " that differ from a fresh database's", e);
        free(mine);
        free(fresh);
    }
    if (sc)
        dh_store_release(sc);
    if (scratch)
        dh_store_close(scratch);
    names_free(&tables);
    return st;
}

/* ------------------------------------------------------------------ */
/* The copy transaction.                                              */

typedef struct copier {
    dh_store *src;
    dh_copy_progress progress;
    void *closure;
    /* per run */
    dh_conn *dst;
    const char *table;
    int64_t done, total;
    dh_status st;
    dh_err *e;
    int64_t rows;
} copier;

static int copy_row(void *closure, const dh_value *v, int n)
{
    copier *k = closure;
    (void)n;
    k->st = DH_ROWS(k->dst)->insert_row(k->dst, v, k->e);
    if (k->st)
        return 1;
    k->done++;
    if (k->progress && k->done % PROGRESS_EVERY == 0)
        k->progress(k->closure, k->table, k->done, k->total);
    return 0;
}

/* The source's columns of a table must be the target's (the same schema
 * version on both; a migration that differs between the engines shows
 * here). */
static dh_status same_columns(dh_conn *sc, dh_conn *dc, const char *t, names *cols, dh_err *e)
{
    names dcols = {0};
    dh_status st = DH_ROWS(sc)->columns(sc, t, names_add, cols, e);
    if (st == DH_OK)
        st = DH_ROWS(dc)->columns(dc, t, names_add, &dcols, e);
    if (st == DH_OK && dcols.n != cols->n)
        st = dh_err_set(e, DH_E_INTERNAL, "schema_differs", NULL,
                        "table %s has %zu columns in the source and %zu in the target", t,
                        cols->n, dcols.n);
    for (size_t i = 0; i < cols->n && st == DH_OK; i++)
        if (!names_has(&dcols, cols->v[i]))
            st = dh_err_set(e, DH_E_INTERNAL, "schema_differs", NULL,
                            "column %s.%s of the source is not in the target", t, cols->v[i]);
    names_free(&dcols);
    return st;
}

static dh_status copy_tables(copier *k, dh_conn *sc, dh_conn *dc, dh_err *e)
{
    names st_tables = {0}, dt_tables = {0};
    dh_status st = DH_ROWS(sc)->tables(sc, names_add, &st_tables, e);
    if (st == DH_OK)
        st = DH_ROWS(dc)->tables(dc, names_add, &dt_tables, e);
    /* The same tables on both sides, or nothing is copied. */
    for (size_t i = 0; i < st_tables.n && st == DH_OK; i++)
        if (!names_has(&dt_tables, st_tables.v[i]))
            st = dh_err_set(e, DH_E_INTERNAL, "schema_differs", NULL,
                            "table %s of the source is not in the target", st_tables.v[i]);
    for (size_t i = 0; i < dt_tables.n && st == DH_OK; i++)
        if (!names_has(&st_tables, dt_tables.v[i]))
            st = dh_err_set(e, DH_E_INTERNAL, "schema_differs", NULL,
                            "table %s of the target is not in the source", dt_tables.v[i]);
    /* The seeded rows go, children first. */
    for (size_t i = dt_tables.n; i-- > 0 && st == DH_OK;) {
        int64_t n = 0;
        st = DH_ROWS(dc)->count(dc, dt_tables.v[i], &n, e);
        if (st == DH_OK && n > 0)
            st = DH_ROWS(dc)->clear(dc, dt_tables.v[i], e);
    }
    /* Then every table, parents first (the target's order). */
    for (size_t i = 0; i < dt_tables.n && st == DH_OK; i++) {
        const char *t = dt_tables.v[i];
        names cols = {0};
        k->table = t;
        k->done = 0;
        st = DH_ROWS(sc)->count(sc, t, &k->total, e);
        if (st == DH_OK && k->progress)
            k->progress(k->closure, t, -1, k->total);
        if (st == DH_OK)
            st = same_columns(sc, dc, t, &cols, e);
        if (st == DH_OK)
            st = DH_ROWS(dc)->insert_begin(dc, t, (const char *const *)cols.v, (int)cols.n, e);
        if (st == DH_OK) {
            k->st = DH_OK;
            k->e = e;
            st = DH_ROWS(sc)->scan(sc, t, copy_row, k, e);
            if (st == DH_OK)
                st = k->st;
            dh_err e2;
            dh_status end = DH_ROWS(dc)->insert_end(dc, st ? &e2 : e);
            if (st == DH_OK)
                st = end;
        }
        names_free(&cols);
        if (st == DH_OK) {
            k->rows += k->done;
            if (k->progress)
                k->progress(k->closure, t, k->done, k->total);
        } else {
            char msg[sizeof e->message];
            snprintf(msg, sizeof msg, "copying table %s: %s", t, e->message);
            snprintf(e->message, sizeof e->message, "%s", msg);
        }
    }
    if (st == DH_OK)
        st = DH_ROWS(dc)->reset_sequences(dc, e);
    names_free(&st_tables);
    names_free(&dt_tables);
    return st;
}

/* Concurrency: the target was checked empty before and is checked again
 * here, inside the write transaction (SQLite's write lock; PostgreSQL's
 * SERIALIZABLE, where a concurrent writer makes one of the two run again),
 * so two copies into one database cannot both succeed. Safe to run twice:
 * the counters are set afresh and nothing outside the transaction changes. */
static dh_status copy_tx(dh_tx *tx, void *closure, dh_err *e)
{
    copier *k = closure;
    k->rows = 0;
    k->dst = tx->c;
    dh_status st = check_empty(tx->c, dh_store_latest_version(DH_OPS(tx->c)->scheme), e);
    if (st)
        return st;
    dh_conn *sc = dh_store_acquire(k->src, e);
    if (!sc)
        return e->status;
    /* One snapshot of the source for the whole copy. */
    st = DH_OPS(sc)->begin(sc, false, e);
    if (st == DH_OK)
        st = copy_tables(k, sc, tx->c, e);
    DH_OPS(sc)->rollback(sc);
    dh_store_release(sc);
    return st;
}

/* ------------------------------------------------------------------ */
/* The check.                                                         */

static void add_check(dh_copy_result *r, bool same, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_check(dh_copy_result *r, bool same, const char *fmt, ...)
{
    r->checks = dh_xrealloc(r->checks, (r->nchecks + 1) * sizeof *r->checks);
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    r->checks[r->nchecks++] = (dh_copy_check){s, same};
    if (!same)
        r->differences++;
}

static dh_status count_tables(dh_app *src, dh_app *dst, dh_copy_result *r, dh_err *e)
{
    dh_conn *sc = dh_store_acquire(dh_app_store(src), e);
    dh_conn *dc = sc ? dh_store_acquire(dh_app_store(dst), e) : NULL;
    names tables = {0};
    dh_status st = dc ? DH_ROWS(sc)->tables(sc, names_add, &tables, e) : e->status;
    r->tables = dh_xcalloc(tables.n ? tables.n : 1, sizeof *r->tables);
    for (size_t i = 0; i < tables.n && st == DH_OK; i++) {
        dh_copy_table *t = &r->tables[r->ntables++];
        t->name = dh_xstrdup(tables.v[i]);
        st = DH_ROWS(sc)->count(sc, t->name, &t->source_rows, e);
        dh_err e2;
        if (st == DH_OK && DH_ROWS(dc)->count(dc, t->name, &t->target_rows, &e2))
            t->target_rows = -1; /* missing in the target */
        if (t->source_rows != t->target_rows)
            r->differences++;
    }
    names_free(&tables);
    if (dc)
        dh_store_release(dc);
    if (sc)
        dh_store_release(sc);
    return st;
}

typedef dh_status (*make_fn)(dh_app *app, void *arg, time_t now, char **out, dh_err *e);

/* Makes the same output from both apps and records whether they agree. */
static dh_status compare(dh_app *src, dh_app *dst, make_fn make, void *arg, time_t now,
                         dh_copy_result *r, const char *what, dh_err *e)
{
    char *a = NULL, *b = NULL;
    dh_status st = make(src, arg, now, &a, e);
    if (st == DH_OK)
        st = make(dst, arg, now, &b, e);
    if (st == DH_OK)
        add_check(r, strcmp(a, b) == 0, "%s", what);
    free(a);
    free(b);
    return st;
}

typedef struct ii06a_arg {
    const char *unit;
    dh_date from, to;
} ii06a_arg;

static dh_status make_ii06a(dh_app *app, void *arg, time_t now, char **out, dh_err *e)
{
    ii06a_arg *q = arg;
    dh_actor a;
    dh_actor_cli(&a);
    json_t *rep = NULL;
    dh_status st = dh_app_report_ii06a(app, &a, q->unit, q->from, q->to, 0, now, &rep, e);
    if (st)
        return st;
    char *json = json_dumps(rep, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    char *csv = dh_report_ii06a_csv(rep);
    json_decref(rep);
    if (asprintf(out, "%s\n%s", json ? json : "", csv ? csv : "") < 0)
        abort();
    free(json);
    free(csv);
    return DH_OK;
}

static dh_status make_targets(dh_app *app, void *arg, time_t now, char **out, dh_err *e)
{
    (void)arg;
    dh_actor a;
    dh_actor_cli(&a);
    dh_target_query q = {NULL, true, NULL, NULL, DH_DATE_NONE, 0, 0, true};
    json_t *j = NULL;
    dh_status st = dh_app_targets_refresh(app, now, NULL, e);
    if (st == DH_OK)
        st = dh_app_target_status(app, &a, &q, now, &j, e);
    if (st)
        return st;
    *out = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (!*out)
        *out = dh_xstrdup("");
    return DH_OK;
}

/* The II.06a of every unit that has been a root (a province) over its
 * life up to today, and the targets' statuses. */
static dh_status compare_reports(dh_app *src, dh_app *dst, time_t now, dh_copy_result *r,
                                 dh_err *e)
{
    const dh_unitreg *reg = dh_app_units_acquire(src, e);
    if (!reg)
        return e->status;
    dh_date today = dh_date_of_time_vn(now);
    dh_status st = DH_OK;
    for (size_t i = 0; i < reg->n && st == DH_OK; i++) {
        const dh_unit *u = &reg->u[i];
        bool root = false;
        for (size_t j = 0; j < u->nv; j++)
            root = root || u->v[j].parent < 0;
        ii06a_arg q = {u->code, u->valid_from,
                       u->valid_to != DH_DATE_NONE && u->valid_to < today ? u->valid_to : today};
        if (!root || q.from > q.to)
            continue;
        char f[DH_DATE_TEXT_LEN], t[DH_DATE_TEXT_LEN], what[200];
        dh_date_format(q.from, f);
        dh_date_format(q.to, t);
        snprintf(what, sizeof what, "II.06a %s %s..%s", u->code, f, t);
        st = compare(src, dst, make_ii06a, &q, now, r, what, e);
    }
    dh_app_units_release(src, reg);
    if (st == DH_OK)
        st = compare(src, dst, make_targets, NULL, now, r, "target statuses", e);
    return st;
}

/* ------------------------------------------------------------------ */
/* The command.                                                       */

static dh_status source_version(const char *from, dh_err *e)
{
    dh_store *s = dh_store_open(from, false, e);
    if (!s)
        return e->status;
    dh_conn *c = dh_store_acquire(s, e);
    int v = 0, latest = 0;
    dh_status st = c ? DH_OPS(c)->schema_version(c, &v, e) : e->status;
    if (c) {
        latest = dh_store_latest_version(DH_OPS(c)->scheme);
        dh_store_release(c);
    }
    dh_store_close(s);
    if (st)
        return st;
    if (v > latest)
        return dh_err_set(e, DH_E_VERSION, "database_too_new", "from",
                          "the source database has schema version %d but this dieuhanh knows "
                          "only up to %d: copy it with a newer dieuhanh (nothing was written)",
                          v, latest);
    if (v < latest)
        return dh_err_set(e, DH_E_VERSION, "source_not_migrated", "from",
                          "the source database has schema version %d, this dieuhanh has %d: "
                          "migrate it first with 'dieuhanh init --db %s' (nothing was written)",
                          v, latest, from);
    return DH_OK;
}

/* Opens the target, checks it is empty at the version it has, and
 * migrates it to the latest schema. */
static dh_status prepare_target(const char *to, dh_err *e)
{
    dh_store *s = dh_store_open(to, true, e);
    if (!s)
        return e->status;
    dh_conn *c = dh_store_acquire(s, e);
    int v = 0, from, top;
    dh_status st = c ? DH_OPS(c)->schema_version(c, &v, e) : e->status;
    int latest = c ? dh_store_latest_version(DH_OPS(c)->scheme) : 0;
    if (st == DH_OK && v > latest)
        st = dh_err_set(e, DH_E_VERSION, "database_too_new", "to",
                        "the target database has schema version %d but this dieuhanh knows "
                        "only up to %d (nothing was written)",
                        v, latest);
    if (st == DH_OK)
        st = check_empty(c, v, e);
    if (st == DH_OK)
        st = DH_OPS(c)->migrate(c, latest, &from, &top, e);
    if (c)
        dh_store_release(c);
    dh_store_close(s);
    return st;
}

/* Prefixes e's message with which database it is about. */
static dh_status about(const char *which, dh_status st, dh_err *e)
{
    if (st)
        e->field[0] = '\0'; /* the message says which */
    if (st && strncmp(e->message, which, strlen(which)) != 0) {
        char msg[sizeof e->message];
        snprintf(msg, sizeof msg, "%s: %s", which, e->message);
        snprintf(e->message, sizeof e->message, "%s", msg);
    }
    return st;
}

dh_status dh_app_copy(const char *from, const char *to, time_t now, dh_copy_progress progress,
                      void *closure, dh_copy_result *r, dh_err *e)
{
    memset(r, 0, sizeof *r);
    if (strcmp(from, to) == 0)
        return dh_err_set(e, DH_E_INVALID, "same_database", "to",
                          "--from and --to name the same database");
    dh_status st = about("source", source_version(from, e), e);
    if (st)
        return st;
    if ((st = about("target", prepare_target(to, e), e)))
        return st;
    dh_app *src = dh_app_open(from, false, e);
    if (!src)
        return about("source", e->status, e);
    dh_app *dst = dh_app_open(to, false, e);
    if (!dst) {
        dh_app_close(src);
        return about("target", e->status, e);
    }
    st = about("source", dh_app_targets_refresh(src, now, NULL, e), e);
    copier k = {.src = dh_app_store(src), .progress = progress, .closure = closure};
    if (st == DH_OK)
        st = about("target", dh_tx_run(dst, DH_TX_WRITE, copy_tx, &k, e), e);
    if (st == DH_OK) {
        r->rows = k.rows;
        st = count_tables(src, dst, r, e);
    }
    if (st == DH_OK)
        st = compare_reports(src, dst, now, r, e);
    dh_app_close(dst);
    dh_app_close(src);
    if (st)
        dh_copy_result_free(r);
    return st;
}
