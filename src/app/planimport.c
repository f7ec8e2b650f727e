/* planimport.c - a plan's appendix from CSV or XLSX into its tasks, with
 * the unit names as printed matched to unit codes.
 *
 * A printed name is matched, diacritics and case folded, first against the
 * collective and variant names of data/plans/unit-names.csv (a unit code,
 * a group "parent=CODE kind=k1|k2" expanded to the units of that kind below
 * CODE on the plan's date, or "none": a body the registry does not hold,
 * kept as printed), then against the registry's names, short names and
 * codes. A cell may list several names separated by ';' (or by ',' when
 * every piece is a known name). Anything else is a FILE:LINE error listing
 * the closest names. All or nothing: one bad row refuses the file. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "app/planbook.h"
#include "core/cadence.h"
#include "util/buf.h"
#include "util/csv.h"
#include "util/embed.h"
#include "util/text.h"
#include "util/xlsx.h"


/* ------------------------------------------------------------------ */
/* A table: rows of fields with their line numbers, from CSV or XLSX,   */
/* both under the limits of util/xlsx.h.                                */

dh_status dh_app_table_read(const char *data, size_t len, const char *name, dh_sheet *t,
                            dh_err *e)
{
    if (len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0)
        return dh_xlsx_read(data, len, name, NULL, t, e);
    dh_sheet_init(t, name, NULL);
    FILE *f = fmemopen((void *)data, len, "r");
    if (!f)
        return dh_err_set(e, DH_E_INTERNAL, "io", NULL, "%s: cannot read", name);
    dh_csv *csv = dh_csv_new(f, name);
    char **fields;
    size_t nf;
    int rc;
    dh_status st = DH_OK;
    while (st == DH_OK && (rc = dh_csv_next(csv, &fields, &nf)) > 0) {
        st = dh_sheet_row_begin(t, dh_csv_line(csv), e);
        for (size_t i = 0; i < nf && st == DH_OK; i++) {
            size_t n = strlen(fields[i]);
            /* Text must be UTF-8, as in an XLSX part (util/xlsx.h): a file
             * saved in a legacy code page is refused, not stored garbled. */
            if (dh_utf8_invalid_offset(fields[i], n) >= 0) {
                st = dh_err_set(e, DH_E_INVALID, "invalid_utf8", NULL,
                                "%s:%ld: column %zu is not UTF-8 text (save the file as CSV "
                                "UTF-8)",
                                name, dh_csv_line(csv), i + 1);
                e->line = dh_csv_line(csv);
            } else {
                st = dh_sheet_cell_add(t, i, fields[i], n, e);
            }
        }
    }
    if (st == DH_OK && rc < 0)
        st = dh_err_set(e, DH_E_INVALID, "invalid_file", NULL, "%s", dh_csv_error(csv));
    dh_csv_free(csv);
    fclose(f);
    if (st)
        dh_sheet_free(t);
    else
        dh_sheet_end(t);
    return st;
}

/* ------------------------------------------------------------------ */
/* Unit names.                                                        */

typedef struct alias {
    char *folded, *name;
    char *code; /* a unit code, a selector, or "" */
    char kind;  /* 'u' unit, 'g' group, 'n' none */
} alias;

typedef struct names {
    alias *v;
    size_t n;
} names;

static void names_free(names *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].folded);
        free(m->v[i].name);
        free(m->v[i].code);
    }
    free(m->v);
}

static void names_load(names *m)
{
    memset(m, 0, sizeof *m);
    size_t len;
    const char *data = dh_embedded_get("plans/unit-names.csv", &len);
    if (!data)
        return;
    FILE *f = fmemopen((void *)data, len, "r");
    dh_csv *csv = dh_csv_new(f, "unit-names.csv");
    char **fields;
    size_t nf, cap = 0;
    bool header = true;
    while (dh_csv_next(csv, &fields, &nf) > 0) {
        if (header || nf < 3) {
            header = false;
            continue;
        }
        if (m->n == cap) {
            cap = cap ? cap * 2 : 128;
            m->v = dh_xrealloc(m->v, cap * sizeof *m->v);
        }
        alias *a = &m->v[m->n++];
        a->folded = dh_text_fold(fields[0]);
        a->name = dh_xstrdup(fields[0]);
        a->code = dh_xstrdup(fields[1]);
        a->kind = strcmp(fields[2], "unit") == 0 ? 'u' : strcmp(fields[2], "group") == 0 ? 'g' : 'n';
    }
    dh_csv_free(csv);
    fclose(f);
}

static void add_code(json_t *arr, const char *code)
{
    for (size_t i = 0; i < json_array_size(arr); i++)
        if (strcmp(json_string_value(json_array_get(arr, i)), code) == 0)
            return;
    json_array_append_new(arr, json_string(code));
}

/* Expands "parent=CODE kind=k1|k2" into codes (units of those kinds below
 * CODE on d, or on CODE's last day when it was closed before d). */
static void expand_group(const dh_unitreg *r, const char *sel, dh_date d, json_t *codes)
{
    char parent[64] = "", kinds[128] = "";
    const char *p = strstr(sel, "parent="), *k = strstr(sel, "kind=");
    if (p)
        sscanf(p + 7, "%63[^ ]", parent);
    if (k)
        sscanf(k + 5, "%127[^ ]", kinds);
    int32_t root = dh_unitreg_find(r, parent);
    if (root < 0)
        return;
    if (r->u[root].valid_to != DH_DATE_NONE && r->u[root].valid_to <= d)
        d = r->u[root].valid_to - 1;
    int32_t *v = NULL;
    size_t n = dh_unitreg_descendants(r, root, d, &v);
    for (size_t i = 0; i < n; i++) {
        const char *kn = dh_unit_kind_name(r->u[v[i]].kind);
        char buf[130];
        snprintf(buf, sizeof buf, "|%s|", kinds);
        char want[40];
        snprintf(want, sizeof want, "|%s|", kn);
        if (strstr(buf, want))
            add_code(codes, r->u[v[i]].code);
    }
    free(v);
}

/* Matches one folded name; returns true and adds codes when known. */
static bool match_one(const dh_unitreg *r, const names *m, const char *name, dh_date d,
                      json_t *codes)
{
    char *f = dh_text_fold(name);
    bool ok = false;
    for (size_t i = 0; i < m->n && !ok; i++) {
        if (strcmp(m->v[i].folded, f) != 0)
            continue;
        ok = true;
        if (m->v[i].kind == 'u' && dh_unitreg_find(r, m->v[i].code) >= 0)
            add_code(codes, m->v[i].code);
        else if (m->v[i].kind == 'g')
            expand_group(r, m->v[i].code, d, codes);
    }
    for (size_t i = 0; i < r->n && !ok; i++) {
        const dh_unit *u = &r->u[i];
        char *fc = dh_text_fold(u->code);
        ok = strcmp(fc, f) == 0;
        free(fc);
        for (size_t j = 0; j < u->nv && !ok; j++) {
            char *fs = dh_text_fold(u->v[j].short_name);
            ok = strcmp(u->v[j].folded, f) == 0 || (*fs && strcmp(fs, f) == 0);
            free(fs);
        }
        if (ok)
            add_code(codes, u->code);
    }
    free(f);
    return ok;
}

/* Words shared by two folded strings, over the longer's word count. */
static double likeness(const char *a, const char *b)
{
    int na = 0, nb = 0, common = 0;
    char *ca = dh_xstrdup(a), *save = NULL;
    for (char *w = strtok_r(ca, " ,;-", &save); w; w = strtok_r(NULL, " ,;-", &save)) {
        na++;
        size_t wl = strlen(w);
        const char *p = b;
        bool hit = false;
        while (!hit && (p = strstr(p, w)) != NULL) {
            hit = (p == b || strchr(" ,;-", p[-1])) && (!p[wl] || strchr(" ,;-", p[wl]));
            p += wl;
        }
        common += hit;
    }
    free(ca);
    char *cb = dh_xstrdup(b);
    for (char *w = strtok_r(cb, " ,;-", &save); w; w = strtok_r(NULL, " ,;-", &save))
        nb++;
    free(cb);
    int mx = na > nb ? na : nb;
    return mx ? (double)common / mx : 0;
}

/* "closest: A (CODE), B, C" for an unknown name. */
static void candidates(const dh_unitreg *r, const names *m, const char *name, dh_date d,
                       char *out, size_t cap)
{
    char *f = dh_text_fold(name);
    struct {
        double s;
        char label[200];
    } best[3] = {{0, ""}, {0, ""}, {0, ""}};
    for (size_t i = 0; i < m->n + r->n; i++) {
        char label[200];
        double s;
        if (i < m->n) {
            s = likeness(f, m->v[i].folded);
            snprintf(label, sizeof label, "%s", m->v[i].name);
        } else {
            const dh_unit *u = &r->u[i - m->n];
            const dh_unit_version *v = dh_unitreg_nearest(r, (int32_t)(i - m->n), d);
            if (!v)
                continue;
            s = likeness(f, v->folded);
            snprintf(label, sizeof label, "%s (%s)", v->name, u->code);
        }
        for (int k = 0; k < 3; k++) {
            if (s > best[k].s && strcmp(best[k].label, label) != 0) {
                for (int j = 2; j > k; j--)
                    best[j] = best[j - 1];
                best[k].s = s;
                snprintf(best[k].label, sizeof best[k].label, "%s", label);
                break;
            }
            if (strcmp(best[k].label, label) == 0)
                break;
        }
    }
    free(f);
    out[0] = '\0';
    for (int k = 0; k < 3 && best[k].s > 0; k++)
        snprintf(out + strlen(out), cap - strlen(out), "%s'%s'", k ? ", " : "", best[k].label);
    if (!out[0])
        snprintf(out, cap, "(none)");
}

/* Resolves a cell of names into codes; on an unknown name fills err. */
static bool resolve_cell(const dh_unitreg *r, const names *m, const char *cell, dh_date d,
                         json_t *codes, char *err, size_t errcap)
{
    char *buf = dh_xstrdup(cell), *save = NULL;
    bool ok = true;
    for (char *part = strtok_r(buf, ";", &save); part && ok; part = strtok_r(NULL, ";", &save)) {
        long bad;
        char *name = dh_text_clean(part, &bad);
        if (!name || !*name) {
            free(name);
            continue;
        }
        if (!match_one(r, m, name, d, codes)) {
            /* "A, B" where A and B are each known. */
            bool all = strchr(name, ',') != NULL;
            json_t *tmp = json_array();
            char *b2 = dh_xstrdup(name), *s2 = NULL;
            for (char *p = strtok_r(b2, ",", &s2); p && all; p = strtok_r(NULL, ",", &s2)) {
                char *piece = dh_text_clean(p, &bad);
                all = piece && *piece && match_one(r, m, piece, d, tmp);
                free(piece);
            }
            free(b2);
            if (all) {
                size_t i;
                json_t *x;
                json_array_foreach(tmp, i, x)
                    add_code(codes, json_string_value(x));
            } else {
                char cands[700];
                candidates(r, m, name, d, cands, sizeof cands);
                snprintf(err, errcap, "unknown unit '%s'; closest: %s", name, cands);
                ok = false;
            }
            json_decref(tmp);
        }
        free(name);
    }
    free(buf);
    return ok;
}

/* A lead given by a section heading (issue 19): when the lead cell is
 * empty, the deepest heading of the group path ("VI. Tổ chức thực hiện >
 * 4. Các phòng ban, đơn vị Thành phố, UBND các xã thị trấn") whose text,
 * without its numbering and a leading "Đề nghị", names known units. Writes
 * the heading's text into *from (cap bytes) and returns true when found. */
static bool heading_lead(const dh_unitreg *r, const names *m, const char *group, dh_date d,
                         json_t *codes, char *from, size_t cap)
{
    char *buf = dh_xstrdup(group);
    bool found = false;
    for (;;) {
        char *sep = NULL;
        for (char *p = strstr(buf, " > "); p; p = strstr(p + 1, " > "))
            sep = p;
        char *h = sep ? sep + 3 : buf;
        /* "4. ", "a. ", "VI. ", "2b. " */
        char *dot = strstr(h, ". ");
        if (dot && dot - h <= 5 && memchr(h, ' ', (size_t)(dot - h)) == NULL)
            h = dot + 2;
        if (strncmp(h, "Đề nghị ", strlen("Đề nghị ")) == 0)
            h += strlen("Đề nghị ");
        char err[8];
        json_t *tmp = json_array();
        if (*h && resolve_cell(r, m, h, d, tmp, err, sizeof err) && json_array_size(tmp)) {
            size_t i;
            json_t *x;
            json_array_foreach(tmp, i, x)
                add_code(codes, json_string_value(x));
            snprintf(from, cap, "%s", h);
            found = true;
        }
        json_decref(tmp);
        if (found || !sep)
            break;
        *sep = '\0';
    }
    free(buf);
    return found;
}

/* ------------------------------------------------------------------ */
/* Columns.                                                           */

enum { C_STT, C_GROUP, C_CONTENT, C_LEAD, C_COORD, C_DEADLINE, C_ROADMAP, C_RESULT, C_TARGET,
       C_PARENT, C_NOTE, C_COUNT };
static const char *const col_names[C_COUNT] = {
    "STT",        "Nhóm",     "Nội dung", "Đơn vị chủ trì", "Đơn vị phối hợp", "Thời gian hoàn thành",
    "Lộ trình",   "Sản phẩm", "Chỉ tiêu", "Nhiệm vụ cấp trên", "Ghi chú"};

static const char *cell(const dh_sheet_row *r, const int *map, int c)
{
    return map[c] >= 0 ? dh_sheet_at(r, (size_t)map[c]) : "";
}

/* "70%" -> 70 "%", "200 trạm" -> 200 "trạm"; false when no leading number. */
static bool parse_target(const char *s, double *v, char *uom, size_t cap)
{
    while (*s == ' ')
        s++;
    if (!isdigit((unsigned char)*s))
        return false;
    char num[32];
    size_t k = 0;
    for (; (isdigit((unsigned char)*s) || *s == '.' || *s == ',') && k < sizeof num - 1; s++)
        num[k++] = *s == ',' ? '.' : *s;
    num[k] = '\0';
    *v = strtod(num, NULL);
    while (*s == ' ')
        s++;
    snprintf(uom, cap, "%s", s);
    return true;
}

/* ------------------------------------------------------------------ */
/* The import.                                                        */

/* Maps the columns of the header row t->rows[0] to map (-1: absent). */
static dh_status map_header(const dh_sheet *t, const char *name, int *map, dh_err *e)
{
    for (int c = 0; c < C_COUNT; c++)
        map[c] = -1;
    const dh_sheet_row *h = &t->rows[0];
    for (size_t j = 0; j < h->nc; j++) {
        const char *hn = h->c[j].v;
        if (strncmp(hn, "\xEF\xBB\xBF", 3) == 0)
            hn += 3;
        char *fh = dh_text_fold(hn);
        for (int c = 0; c < C_COUNT; c++) {
            char *fc = dh_text_fold(col_names[c]);
            if (strcmp(fh, fc) == 0 && map[c] < 0)
                map[c] = (int)h->c[j].col;
            free(fc);
        }
        free(fh);
    }
    static const int required[] = {C_STT, C_CONTENT, C_LEAD};
    for (size_t k = 0; k < 3; k++)
        if (map[required[k]] < 0) {
            dh_status st = dh_err_set(e, DH_E_INVALID, "invalid_file", col_names[required[k]],
                                      "%s:%ld: header: missing column '%s' (the columns are STT, "
                                      "Nội dung, Đơn vị chủ trì, Đơn vị phối hợp, Thời gian hoàn "
                                      "thành, Ghi chú and optionally Nhóm, Lộ trình, Sản phẩm, "
                                      "Chỉ tiêu, Nhiệm vụ cấp trên)",
                                      name, h->line, col_names[required[k]]);
            e->line = h->line;
            return st;
        }
    return DH_OK;
}

typedef struct plan_import_cl {
    const dh_actor *a;
    const char *ref, *data, *name;
    size_t len;
    dh_date today;
    time_t now;
    dh_import_report *rep;
    const names *m;
    dh_sheet t;  /* the file, parsed by the first run that may read it */
    bool parsed;
} plan_import_cl;

/* Concurrency: reads, inside the write transaction, the whole plan book
 * (the plan, the ordinals already in it, the tasks of the plans it
 * implements) and the unit registry (DH_TX_UNITS: the plan's issuer, the
 * actor's subtree, the units the printed names resolve to); inserts every
 * task and bumps plans_rev in the same transaction, so the file is taken
 * all or nothing against one book: another writer of plans waits for the
 * write lock (SQLite) or conflicts on plans_rev and one of the two is
 * rerun on the other's book (PostgreSQL); the unique (plan_id, ordinal)
 * of tasks is the last guard. The file is parsed once (it is only read
 * after the access check, as before) and kept for a rerun; the report is
 * started afresh on each run. */
/* The reporting rule the row prints (issue 19), over the default of a new
 * task: a reporting clause of the content, else of the note, else a
 * recurring deadline field ("Hàng năm"); a clause naming a period beats a
 * bare "định kỳ", which keeps the default rule but says it was printed. */
static void printed_rule(json_t *doc, const char *content, const char *note,
                         const char *deadline)
{
    json_t *rep = json_object_get(doc, "report");
    const char *source = json_string_value(json_object_get(rep, "source"));
    if (!source || strcmp(source, "default") != 0)
        return;
    const char *texts[3] = {content, note, deadline};
    dh_cadence best = {0}, c;
    for (int i = 0; i < 3; i++)
        if (dh_cadence_parse(texts[i], i == 2, &c) && (!best.found || (best.unspecified &&
                                                                       !c.unspecified)))
            best = c;
    if (!best.found)
        return;
    json_object_set_new(rep, "every", json_string(dh_report_every_name(best.rule.every)));
    json_object_set_new(rep, "day", json_integer(best.rule.day));
    json_object_set_new(rep, "month_offset", json_integer(best.rule.month_offset));
    json_object_set_new(rep, "source", json_string("printed"));
    json_object_set_new(rep, "text", json_string(best.phrase));
}

static dh_status plan_import_tx(dh_tx *tx, void *closure, dh_err *e)
{
    plan_import_cl *cl = closure;
    const dh_actor *a = cl->a;
    const char *name = cl->name;
    const names *mp = cl->m;
    dh_import_report *rep = cl->rep;
    dh_sheet *t = &cl->t;
    time_t now = cl->now;
    dh_date today = cl->today;
    int map[C_COUNT];
    char err[512];
    dh_import_report_free(rep);
    dh_planbook *b = NULL;
    dh_status st = pb_load(tx->c, &b, e);
    size_t pi = st == DH_OK ? pb_plan_find(b, cl->ref) : PB_NONE;
    if (st == DH_OK && pi == PB_NONE)
        st = dh_err_set(e, DH_E_NOTFOUND, "unknown_plan", "plan", "plan '%s' does not exist",
                        cl->ref);
    if (st == DH_OK) {
        const pb_plan *p = &b->p[pi];
        int32_t u = dh_unitreg_find(tx->reg, p->issuer);
        dh_date d = pb_plan_ref_date(p);
        if (d == DH_DATE_NONE || d > today)
            d = today;
        if (u < 0 ? a->role != DH_ROLE_ADMIN
                  : !dh_access_allows(tx->reg, a->role, dh_app_actor_scope(tx->reg, a),
                                      DH_ACT_WRITE, u, d)) {
            st = dh_tx_deny(tx, a, "import", "plan", p->key, p->issuer, now, e,
                            "import tasks into a plan of that unit (outside their subtree)");
            pb_free(b);
            return st;
        }
    }
    if (st == DH_OK && !cl->parsed) {
        st = dh_app_table_read(cl->data, cl->len, name, t, e);
        cl->parsed = st == DH_OK;
    }
    if (st == DH_OK && t->nrows == 0)
        st = dh_err_set(e, DH_E_INVALID, "invalid_file", NULL, "%s:1: the file is empty", name);
    if (st == DH_OK)
        st = map_header(t, name, map, e);
    /* The date unit groups are expanded on: the plan's, else its period's
     * end, else today. */
    dh_date gd = today;
    if (st == DH_OK) {
        const pb_plan *p = &b->p[pi];
        gd = pb_plan_ref_date(p) != DH_DATE_NONE ? pb_plan_ref_date(p)
             : p->period_to != DH_DATE_NONE     ? p->period_to
                                                : today;
    }
    for (size_t i = 1; i < t->nrows && st == DH_OK; i++) {
        const dh_sheet_row *row = &t->rows[i];
        json_t *body = json_object();
        json_t *lead = json_array(), *coord = json_array();
        char why[1024] = "";
        const char *stt = cell(row, map, C_STT);
        if (!resolve_cell(tx->reg, mp, cell(row, map, C_LEAD), gd, lead, err, sizeof err))
            snprintf(why, sizeof why, "%s: %s", col_names[C_LEAD], err);
        else if (!resolve_cell(tx->reg, mp, cell(row, map, C_COORD), gd, coord, err, sizeof err))
            snprintf(why, sizeof why, "%s: %s", col_names[C_COORD], err);
        char heading[512] = "";
        if (!why[0] && !*cell(row, map, C_LEAD))
            heading_lead(tx->reg, mp, cell(row, map, C_GROUP), gd, lead, heading, sizeof heading);
        json_object_set_new(body, "ordinal", json_string(stt));
        json_object_set_new(body, "group", json_string(cell(row, map, C_GROUP)));
        json_object_set_new(body, "content", json_string(cell(row, map, C_CONTENT)));
        json_object_set_new(body, "lead", lead);
        json_object_set_new(body, "coordinating", coord);
        json_object_set_new(body, "lead_text",
                            json_string(*heading ? heading : cell(row, map, C_LEAD)));
        json_object_set_new(body, "coordinating_text", json_string(cell(row, map, C_COORD)));
        json_object_set_new(body, "expected_result", json_string(cell(row, map, C_RESULT)));
        json_object_set_new(body, "deadline", json_string(cell(row, map, C_DEADLINE)));
        json_object_set_new(body, "roadmap", json_string(cell(row, map, C_ROADMAP)));
        dh_buf note = {0};
        dh_buf_puts(&note, cell(row, map, C_NOTE));
        if (*heading)
            dh_buf_printf(&note, "%sChủ trì theo tiêu đề mục: %s.", note.len ? " " : "", heading);
        const char *tg = cell(row, map, C_TARGET);
        double tv;
        char uom[128];
        if (*tg && parse_target(tg, &tv, uom, sizeof uom)) {
            json_object_set_new(body, "target",
                                json_pack("{s:f,s:s}", "value", tv, "unit_of_measure", uom));
        } else if (*tg) {
            dh_buf_printf(&note, "%sChỉ tiêu: %s", note.len ? " " : "", tg);
        }
        json_object_set_new(body, "note", json_string(note.p ? note.p : ""));
        dh_buf_free(&note);
        const char *up = cell(row, map, C_PARENT);
        if (!why[0] && *up) {
            /* A task of one of the plans this plan implements. */
            size_t found = PB_NONE;
            for (size_t k = 0; k < b->p[pi].nparents && found == PB_NONE; k++)
                found = pb_task_by_ordinal(b, b->p[pi].parents[k], up);
            if (found == PB_NONE)
                snprintf(why, sizeof why,
                         "%s: no task '%s' in the plans that plan %s implements",
                         col_names[C_PARENT], up, b->p[pi].key);
            else
                json_object_set_new(body, "implements_task", json_integer(b->t[found].id));
        }
        if (!why[0] && !*stt)
            snprintf(why, sizeof why, "STT is empty");
        json_t *doc = NULL;
        dh_err re;
        dh_err_clear(&re);
        if (!why[0]) {
            dh_status rs = pb_task_from_body(tx, b, pi, body, &doc, &re);
            if (rs == DH_OK)
                printed_rule(doc, cell(row, map, C_CONTENT), cell(row, map, C_NOTE),
                             cell(row, map, C_DEADLINE));
            /* Two rows of the file with one STT. */
            for (size_t k = 1; k < i && rs == DH_OK; k++)
                if (strcmp(cell(&t->rows[k], map, C_STT), stt) == 0)
                    rs = dh_err_set(&re, DH_E_CONFLICT, "duplicate_ordinal", "STT",
                                    "STT %s appears twice (line %ld)", stt, t->rows[k].line);
            if (rs == DH_OK)
                rs = pb_insert_task(tx, a, doc, "import", now, &re);
            if (dh_err_storage(rs)) {
                *e = re;
                st = rs;
            } else if (rs) {
                snprintf(why, sizeof why, "%s", re.message);
            }
        }
        if (why[0]) {
            dh_report_add(rep, "%s:%ld: %s", name, row->line, why);
            rep->refused++;
        } else if (st == DH_OK) {
            rep->taken++;
        }
        json_decref(doc);
        json_decref(body);
    }
    if (st == DH_OK && rep->refused) {
        st = dh_err_set(e, DH_E_INVALID, "invalid_file", NULL,
                        "%d of %d rows refused; nothing imported", rep->refused,
                        rep->refused + rep->taken);
        rep->taken = 0;
    }
    if (st == DH_OK) {
        json_t *after = json_pack("{s:s,s:s,s:i}", "plan", b->p[pi].key, "file", name, "tasks",
                                  rep->taken);
        st = dh_app_audit(tx->c, a, "import", "plan", b->p[pi].key, b->p[pi].issuer, "ok", NULL,
                          after, now, e);
        json_decref(after);
    }
    if (st == DH_OK)
        st = pb_bump(tx->c, e);
    pb_free(b);
    return st;
}

dh_status dh_app_plan_import(dh_app *app, const dh_actor *a, const char *ref, const char *data,
                             size_t len, const char *name, time_t now, dh_import_report *rep,
                             dh_err *e)
{
    memset(rep, 0, sizeof *rep);
    /* The file is read only once the actor is known to may write this plan
     * (an upload is untrusted and costs time to parse): a role that never
     * writes plans is refused at once, any other after the plan's unit is
     * checked in plan_import_tx. */
    if (a->role != DH_ROLE_ADMIN && !(a->role == DH_ROLE_OFFICER && a->unit_code[0]))
        return dh_app_deny(app, a, "import", "plan", ref, "", now, e, "import tasks into a plan");
    names m;
    names_load(&m);
    plan_import_cl cl = {a, ref, data, name, len, dh_date_of_time_vn(now), now, rep, &m,
                         {0}, false};
    dh_sheet_init(&cl.t, name, NULL);
    dh_status st = dh_tx_run(app, DH_TX_UNITS, plan_import_tx, &cl, e);
    names_free(&m);
    dh_sheet_free(&cl.t);
    return st;
}
