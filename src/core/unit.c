/* unit.c - the unit registry: effective-dated hierarchy, events, lineage.
 *
 * The registry is small (a province has hundreds of units, the whole
 * country about twelve thousand), so queries scan it linearly where that
 * keeps the code obvious; the code index is a hash table because lookups by
 * code are on every request path.
 */
#include "core/unit.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/text.h"

static const char *const kind_names[DH_UNIT_KIND_COUNT] = {
    "province", "department", "district", "commune", "enterprise", "centre", "office",
};

const char *dh_unit_kind_name(dh_unit_kind k)
{
    return (unsigned)k < DH_UNIT_KIND_COUNT ? kind_names[k] : "?";
}

int dh_unit_kind_parse(const char *s, dh_unit_kind *k)
{
    for (int i = 0; i < DH_UNIT_KIND_COUNT; i++) {
        if (s && strcmp(s, kind_names[i]) == 0) {
            *k = (dh_unit_kind)i;
            return 0;
        }
    }
    return -1;
}

static const char *const event_names[] = {"create", "merge", "split", "rename",
                                          "move",   "close", "edit"};

const char *dh_event_kind_name(dh_event_kind k)
{
    return (unsigned)k < sizeof event_names / sizeof *event_names ? event_names[k] : "?";
}

int dh_event_kind_parse(const char *s, dh_event_kind *k)
{
    for (size_t i = 0; i < sizeof event_names / sizeof *event_names; i++) {
        if (s && strcmp(s, event_names[i]) == 0) {
            *k = (dh_event_kind)i;
            return 0;
        }
    }
    return -1;
}

/* ------------------------------------------------------------------ */
/* Code index (open addressing, linear probing, power-of-two size).   */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void index_insert(dh_unitreg *r, int32_t idx)
{
    size_t mask = r->nslots - 1;
    size_t i = hash_str(r->u[idx].code) & mask;
    while (r->slots[i] >= 0)
        i = (i + 1) & mask;
    r->slots[i] = idx;
}

static void index_grow(dh_unitreg *r)
{
    size_t n = r->nslots ? r->nslots * 2 : 64;
    free(r->slots);
    r->slots = dh_xmalloc(n * sizeof *r->slots);
    for (size_t i = 0; i < n; i++)
        r->slots[i] = -1;
    r->nslots = n;
    for (size_t i = 0; i < r->n; i++)
        index_insert(r, (int32_t)i);
}

int32_t dh_unitreg_find(const dh_unitreg *r, const char *code)
{
    if (!code || !r->nslots)
        return -1;
    size_t mask = r->nslots - 1;
    for (size_t i = hash_str(code) & mask;; i = (i + 1) & mask) {
        int32_t idx = r->slots[i];
        if (idx < 0)
            return -1;
        if (strcmp(r->u[idx].code, code) == 0)
            return idx;
    }
}

/* ------------------------------------------------------------------ */
/* Building.                                                          */

dh_unitreg *dh_unitreg_new(void) { return dh_xcalloc(1, sizeof(dh_unitreg)); }

void dh_unitreg_free(dh_unitreg *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        for (size_t j = 0; j < r->u[i].nv; j++) {
            free(r->u[i].v[j].name);
            free(r->u[i].v[j].short_name);
            free(r->u[i].v[j].folded);
        }
        free(r->u[i].v);
        free(r->u[i].code);
    }
    free(r->u);
    free(r->links);
    free(r->slots);
    free(r);
}

int32_t dh_unitreg_add_unit(dh_unitreg *r, int64_t id, const char *code, dh_unit_kind kind,
                            dh_date valid_from, dh_date valid_to)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->u = dh_xrealloc(r->u, r->cap * sizeof *r->u);
    }
    dh_unit *u = &r->u[r->n];
    memset(u, 0, sizeof *u);
    u->id = id;
    u->code = dh_xstrdup(code);
    u->kind = kind;
    u->valid_from = valid_from;
    u->valid_to = valid_to;
    int32_t idx = (int32_t)r->n++;
    if (r->n * 2 > r->nslots)
        index_grow(r);
    else
        index_insert(r, idx);
    return idx;
}

static char *fold_names(const char *name, const char *short_name)
{
    char *a = dh_text_fold(name);
    char *b = dh_text_fold(short_name ? short_name : "");
    dh_buf buf = DH_BUF_INIT;
    dh_buf_puts(&buf, a);
    if (*b) {
        dh_buf_putc(&buf, '\n');
        dh_buf_puts(&buf, b);
    }
    free(a);
    free(b);
    return dh_buf_steal(&buf);
}

static void set_version(dh_unit_version *v, dh_date from, int32_t parent, const char *name,
                        const char *short_name)
{
    v->from = from;
    v->parent = parent;
    v->name = dh_xstrdup(name);
    v->short_name = dh_xstrdup(short_name ? short_name : "");
    v->folded = fold_names(name, short_name);
}

void dh_unitreg_add_version(dh_unitreg *r, int32_t unit, dh_date from, int32_t parent,
                            const char *name, const char *short_name)
{
    dh_unit *u = &r->u[unit];
    u->v = dh_xrealloc(u->v, (u->nv + 1) * sizeof *u->v);
    set_version(&u->v[u->nv++], from, parent, name, short_name);
}

void dh_unitreg_add_link(dh_unitreg *r, int32_t from, int32_t to, bool partial,
                         dh_date effective, int64_t event_id)
{
    if (r->nlinks == r->caplinks) {
        r->caplinks = r->caplinks ? r->caplinks * 2 : 64;
        r->links = dh_xrealloc(r->links, r->caplinks * sizeof *r->links);
    }
    r->links[r->nlinks++] = (dh_unit_link){from, to, partial, effective, event_id};
}

static int cmp_version(const void *a, const void *b)
{
    const dh_unit_version *x = a, *y = b;
    return (x->from > y->from) - (x->from < y->from);
}

void dh_unitreg_finish(dh_unitreg *r)
{
    for (size_t i = 0; i < r->n; i++) {
        qsort(r->u[i].v, r->u[i].nv, sizeof *r->u[i].v, cmp_version);
        r->u[i].dirty = false;
    }
    r->nlinks_saved = r->nlinks;
}

int32_t dh_unitreg_by_id(const dh_unitreg *r, int64_t id)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->u[i].id == id)
            return (int32_t)i;
    return -1;
}

/* ------------------------------------------------------------------ */
/* Queries.                                                           */

bool dh_unitreg_valid_at(const dh_unitreg *r, int32_t unit, dh_date d)
{
    const dh_unit *u = &r->u[unit];
    return d >= u->valid_from && (u->valid_to == DH_DATE_NONE || d <= u->valid_to);
}

/* Index of the last version starting on or before d, or -1. */
static long version_index(const dh_unit *u, dh_date d)
{
    long lo = 0, hi = (long)u->nv - 1, best = -1;
    while (lo <= hi) {
        long mid = (lo + hi) / 2;
        if (u->v[mid].from <= d) {
            best = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return best;
}

const dh_unit_version *dh_unitreg_at(const dh_unitreg *r, int32_t unit, dh_date d)
{
    if (unit < 0 || !dh_unitreg_valid_at(r, unit, d))
        return NULL;
    long i = version_index(&r->u[unit], d);
    return i < 0 ? NULL : &r->u[unit].v[i];
}

const dh_unit_version *dh_unitreg_nearest(const dh_unitreg *r, int32_t unit, dh_date d)
{
    const dh_unit *u = &r->u[unit];
    if (!u->nv)
        return NULL;
    if (u->valid_to != DH_DATE_NONE && d > u->valid_to)
        d = u->valid_to;
    long i = version_index(u, d);
    return &u->v[i < 0 ? 0 : i];
}

/* Sorting unit indices by the name they carry on a date. */
struct sort_ctx {
    const dh_unitreg *r;
    dh_date d;
};
static struct sort_ctx *sort_ctx_tls(void)
{
    static _Thread_local struct sort_ctx ctx;
    return &ctx;
}

/* A unit index with the collation key of its name (made once per unit,
 * not once per comparison). */
typedef struct named {
    int32_t i;
    dh_text_key key;
} named;

static int cmp_by_name(const void *a, const void *b)
{
    const struct sort_ctx *c = sort_ctx_tls();
    const named *x = a, *y = b;
    int k = dh_text_key_cmp(&x->key, &y->key);
    return k ? k : strcmp(c->r->u[x->i].code, c->r->u[y->i].code);
}

static void sort_by_name(const dh_unitreg *r, dh_date d, int32_t *v, size_t n)
{
    struct sort_ctx *c = sort_ctx_tls();
    c->r = r;
    c->d = d;
    named *w = dh_xmalloc((n + 1) * sizeof *w);
    for (size_t i = 0; i < n; i++) {
        const dh_unit_version *ver = dh_unitreg_nearest(r, v[i], d);
        w[i].i = v[i];
        dh_text_key_make(ver ? ver->name : "", &w[i].key);
    }
    qsort(w, n, sizeof *w, cmp_by_name);
    for (size_t i = 0; i < n; i++) {
        v[i] = w[i].i;
        dh_text_key_free(&w[i].key);
    }
    free(w);
}

static int cmp_by_code(const void *a, const void *b)
{
    const struct sort_ctx *c = sort_ctx_tls();
    return strcmp(c->r->u[*(const int32_t *)a].code, c->r->u[*(const int32_t *)b].code);
}

static size_t filter_children(const dh_unitreg *r, int32_t parent, dh_date d, int32_t **out)
{
    int32_t *v = dh_xmalloc((r->n + 1) * sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++) {
        const dh_unit_version *ver = dh_unitreg_at(r, (int32_t)i, d);
        if (ver && ver->parent == parent)
            v[n++] = (int32_t)i;
    }
    sort_by_name(r, d, v, n);
    *out = v;
    return n;
}

size_t dh_unitreg_children(const dh_unitreg *r, int32_t parent, dh_date d, int32_t **out)
{
    return filter_children(r, parent, d, out);
}

size_t dh_unitreg_roots(const dh_unitreg *r, dh_date d, int32_t **out)
{
    return filter_children(r, -1, d, out);
}

size_t dh_unitreg_ancestors(const dh_unitreg *r, int32_t unit, dh_date d, int32_t **out)
{
    int32_t *v = dh_xmalloc((r->n + 1) * sizeof *v);
    size_t n = 0;
    const dh_unit_version *ver = dh_unitreg_at(r, unit, d);
    /* The bound on n guards against a cycle in a registry not yet checked. */
    while (ver && ver->parent >= 0 && n < r->n) {
        v[n++] = ver->parent;
        ver = dh_unitreg_at(r, ver->parent, d);
    }
    *out = v;
    return n;
}

bool dh_unitreg_in_subtree(const dh_unitreg *r, int32_t unit, int32_t root, dh_date d)
{
    if (unit < 0 || root < 0)
        return false;
    if (unit == root)
        return true;
    int32_t *anc;
    size_t n = dh_unitreg_ancestors(r, unit, d, &anc);
    bool found = false;
    for (size_t i = 0; i < n && !found; i++)
        found = anc[i] == root;
    free(anc);
    return found;
}

size_t dh_unitreg_descendants(const dh_unitreg *r, int32_t unit, dh_date d, int32_t **out)
{
    /* An explicit stack of children lists gives pre-order without recursion. */
    int32_t *res = dh_xmalloc((r->n + 1) * sizeof *res);
    size_t n = 0;
    int32_t *stack = dh_xmalloc((r->n + 1) * sizeof *stack);
    size_t sp = 0;
    stack[sp++] = unit;
    while (sp) {
        int32_t cur = stack[--sp];
        if (cur != unit)
            res[n++] = cur;
        int32_t *kids;
        size_t k = dh_unitreg_children(r, cur, d, &kids);
        for (size_t i = k; i > 0 && sp < r->n; i--)
            stack[sp++] = kids[i - 1];
        free(kids);
        if (n >= r->n)
            break;
    }
    free(stack);
    *out = res;
    return n;
}

size_t dh_unitreg_lineage(const dh_unitreg *r, int32_t unit, bool successors, int32_t **out)
{
    char *seen = dh_xcalloc(r->n + 1, 1);
    int32_t *queue = dh_xmalloc((r->n + 1) * sizeof *queue);
    size_t head = 0, tail = 0;
    seen[unit] = 1;
    queue[tail++] = unit;
    while (head < tail) {
        int32_t cur = queue[head++];
        for (size_t i = 0; i < r->nlinks; i++) {
            const dh_unit_link *l = &r->links[i];
            int32_t src = successors ? l->from : l->to;
            int32_t dst = successors ? l->to : l->from;
            if (src == cur && !seen[dst]) {
                seen[dst] = 1;
                queue[tail++] = dst;
            }
        }
    }
    free(seen);
    /* Drop the unit itself (queue[0]) and sort the rest by code. */
    size_t n = tail - 1;
    memmove(queue, queue + 1, n * sizeof *queue);
    struct sort_ctx *c = sort_ctx_tls();
    c->r = r;
    qsort(queue, n, sizeof *queue, cmp_by_code);
    *out = queue;
    return n;
}

size_t dh_unitreg_search(const dh_unitreg *r, const char *q, dh_date d, int32_t **out)
{
    char *fq = dh_text_fold(q ? q : "");
    int32_t *v = dh_xmalloc((r->n + 1) * sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++) {
        const dh_unit *u = &r->u[i];
        bool hit = false;
        if (d != DH_DATE_NONE) {
            const dh_unit_version *ver = dh_unitreg_at(r, (int32_t)i, d);
            hit = ver && strstr(ver->folded, fq);
        } else {
            for (size_t j = 0; j < u->nv && !hit; j++)
                hit = strstr(u->v[j].folded, fq) != NULL;
        }
        if (!hit && *fq) {
            char *fc = dh_text_fold(u->code);
            hit = strcmp(fc, fq) == 0;
            free(fc);
        }
        if (hit)
            v[n++] = (int32_t)i;
    }
    free(fq);
    sort_by_name(r, d == DH_DATE_NONE ? DH_DATE_NONE - 1 : d, v, n);
    *out = v;
    return n;
}

/* ------------------------------------------------------------------ */
/* Validation.                                                        */

static void fmt_date(dh_date d, char *out)
{
    if (d == DH_DATE_NONE)
        strcpy(out, "open");
    else
        dh_date_format(d, out);
}

/* The last day version j of u is in force. */
static dh_date version_end(const dh_unit *u, size_t j)
{
    return j + 1 < u->nv ? u->v[j + 1].from - 1 : u->valid_to;
}

static int cmp_date(const void *a, const void *b)
{
    dh_date x = *(const dh_date *)a, y = *(const dh_date *)b;
    return (x > y) - (x < y);
}

dh_status dh_unitreg_check(const dh_unitreg *r, dh_err *e)
{
    char d1[DH_DATE_TEXT_LEN], d2[DH_DATE_TEXT_LEN];
    size_t ndates = 0;
    for (size_t i = 0; i < r->n; i++)
        ndates += r->u[i].nv;
    dh_date *dates = dh_xmalloc((ndates + 1) * sizeof *dates);
    ndates = 0;
    dh_status st = DH_OK;

    for (size_t i = 0; i < r->n && st == DH_OK; i++) {
        const dh_unit *u = &r->u[i];
        if (u->valid_to != DH_DATE_NONE && u->valid_to < u->valid_from) {
            fmt_date(u->valid_from, d1);
            fmt_date(u->valid_to, d2);
            st = dh_err_set(e, DH_E_INVALID, "invalid_validity", "valid_to",
                            "unit %s: valid_to %s is before valid_from %s", u->code, d2, d1);
            break;
        }
        if (!u->nv || u->v[0].from != u->valid_from) {
            st = dh_err_set(e, DH_E_INVALID, "invalid_validity", "valid_from",
                            "unit %s: its first name/parent record must start on valid_from",
                            u->code);
            break;
        }
        for (size_t j = 0; j < u->nv; j++) {
            const dh_unit_version *v = &u->v[j];
            if (j && v->from <= u->v[j - 1].from) {
                st = dh_err_set(e, DH_E_CONFLICT, "overlapping_validity", "valid_from",
                                "unit %s: two records start on the same day", u->code);
                break;
            }
            if (u->valid_to != DH_DATE_NONE && v->from > u->valid_to) {
                fmt_date(v->from, d1);
                fmt_date(u->valid_to, d2);
                st = dh_err_set(e, DH_E_CONFLICT, "unit_closed", "effective",
                                "unit %s: a change on %s falls after the unit closed (valid to %s)",
                                u->code, d1, d2);
                break;
            }
            dates[ndates++] = v->from;
            if (v->parent < 0)
                continue;
            if ((size_t)v->parent == i) {
                st = dh_err_set(e, DH_E_CONFLICT, "cycle", "parent",
                                "unit %s cannot be its own parent", u->code);
                break;
            }
            /* The parent must exist over the whole span of this version. */
            const dh_unit *p = &r->u[v->parent];
            dh_date end = version_end(u, j);
            bool covers = p->valid_from <= v->from &&
                          (p->valid_to == DH_DATE_NONE ||
                           (end != DH_DATE_NONE && end <= p->valid_to));
            if (!covers) {
                fmt_date(v->from, d1);
                fmt_date(end, d2);
                st = dh_err_set(e, DH_E_CONFLICT, "parent_not_valid", "parent",
                                "unit %s: parent %s does not exist over %s..%s", u->code,
                                p->code, d1, d2);
                break;
            }
        }
    }

    /* The parent relation only changes on a version start date, so checking
     * acyclicity on each of those dates covers every date. */
    if (st == DH_OK) {
        qsort(dates, ndates, sizeof *dates, cmp_date);
        unsigned char *mark = dh_xmalloc(r->n + 1);
        for (size_t k = 0; k < ndates && st == DH_OK; k++) {
            if (k && dates[k] == dates[k - 1])
                continue;
            dh_date d = dates[k];
            memset(mark, 0, r->n + 1); /* 0 new, 1 on path, 2 done */
            for (size_t i = 0; i < r->n && st == DH_OK; i++) {
                int32_t cur = (int32_t)i;
                size_t steps = 0;
                while (cur >= 0 && mark[cur] == 0 && steps++ <= r->n) {
                    mark[cur] = 1;
                    const dh_unit_version *v = dh_unitreg_at(r, cur, d);
                    cur = v ? v->parent : -1;
                }
                if (cur >= 0 && mark[cur] == 1) {
                    fmt_date(d, d1);
                    st = dh_err_set(e, DH_E_CONFLICT, "cycle", "parent",
                                    "the parent of %s would make a cycle on %s",
                                    r->u[cur].code, d1);
                }
                /* Everything on this path is now known to end at a root. */
                cur = (int32_t)i;
                steps = 0;
                while (cur >= 0 && mark[cur] == 1 && steps++ <= r->n) {
                    mark[cur] = 2;
                    const dh_unit_version *v = dh_unitreg_at(r, cur, d);
                    cur = v ? v->parent : -1;
                }
            }
        }
        free(mark);
    }
    free(dates);
    return st;
}

/* ------------------------------------------------------------------ */
/* Changes.                                                           */

static dh_status check_code(const char *code, dh_err *e)
{
    size_t n = code ? strlen(code) : 0;
    if (n == 0 || n > DH_UNIT_CODE_MAX)
        return dh_err_set(e, DH_E_INVALID, "invalid_code", "code",
                          "code must be 1 to %d characters", DH_UNIT_CODE_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)code[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
        if (!ok)
            return dh_err_set(e, DH_E_INVALID, "invalid_code", "code",
                              "code '%s' may contain only letters A-Z, digits, '-', '_' and '.'",
                              code);
    }
    return DH_OK;
}

static dh_status check_name(const char *name, const char *field, bool required, dh_err *e)
{
    if (!name || !*name) {
        if (required)
            return dh_err_set(e, DH_E_INVALID, "missing_field", field, "%s is required", field);
        return DH_OK;
    }
    if (dh_text_length(name) > DH_UNIT_NAME_MAX)
        return dh_err_set(e, DH_E_INVALID, "too_long", field, "%s is longer than %d characters",
                          field, DH_UNIT_NAME_MAX);
    return DH_OK;
}

/* Resolves a parent code valid on d into *out (-1 for none). */
static dh_status resolve_parent(const dh_unitreg *r, const char *code, dh_date d, int32_t *out,
                                dh_err *e)
{
    *out = -1;
    if (!code || !*code)
        return DH_OK;
    int32_t p = dh_unitreg_find(r, code);
    char ds[DH_DATE_TEXT_LEN];
    fmt_date(d, ds);
    if (p < 0)
        return dh_err_set(e, DH_E_CONFLICT, "unknown_parent", "parent",
                          "parent unit '%s' does not exist", code);
    if (!dh_unitreg_valid_at(r, p, d))
        return dh_err_set(e, DH_E_CONFLICT, "parent_not_valid", "parent",
                          "parent unit '%s' does not exist on %s", code, ds);
    *out = p;
    return DH_OK;
}

static dh_status create_unit(dh_unitreg *r, const dh_unit_spec *s, int32_t *out, dh_err *e)
{
    dh_status st;
    *out = -1;
    if ((st = check_code(s->code, e)) || (st = check_name(s->name, "name", true, e)) ||
        (st = check_name(s->short_name, "short_name", false, e)))
        return st;
    if ((unsigned)s->kind >= DH_UNIT_KIND_COUNT)
        return dh_err_set(e, DH_E_INVALID, "invalid_kind", "kind", "unknown unit kind");
    if (s->valid_from == DH_DATE_NONE)
        return dh_err_set(e, DH_E_INVALID, "missing_field", "valid_from", "valid_from is required");
    if (s->valid_to != DH_DATE_NONE && s->valid_to < s->valid_from)
        return dh_err_set(e, DH_E_INVALID, "invalid_validity", "valid_to",
                          "valid_to is before valid_from");
    if (dh_unitreg_find(r, s->code) >= 0)
        return dh_err_set(e, DH_E_CONFLICT, "duplicate_code", "code",
                          "unit code '%s' is already used (codes are never reused)", s->code);
    int32_t parent;
    if ((st = resolve_parent(r, s->parent, s->valid_from, &parent, e)))
        return st;
    int32_t idx = dh_unitreg_add_unit(r, 0, s->code, s->kind, s->valid_from, s->valid_to);
    dh_unitreg_add_version(r, idx, s->valid_from, parent, s->name, s->short_name);
    r->u[idx].dirty = true;
    *out = idx;
    return DH_OK;
}

/* Removes the unit added last (it has no links and no children yet). */
static void pop_unit(dh_unitreg *r)
{
    dh_unit *u = &r->u[r->n - 1];
    for (size_t j = 0; j < u->nv; j++) {
        free(u->v[j].name);
        free(u->v[j].short_name);
        free(u->v[j].folded);
    }
    free(u->v);
    free(u->code);
    r->n--;
    for (size_t i = 0; i < r->nslots; i++)
        r->slots[i] = -1;
    for (size_t i = 0; i < r->n; i++)
        index_insert(r, (int32_t)i);
}

dh_status dh_unitreg_create(dh_unitreg *r, const dh_unit_spec *s, int32_t *out, dh_err *e)
{
    dh_status st = create_unit(r, s, out, e);
    if (st)
        return st;
    /* Unlike the other changes, a refused create leaves the registry as it
     * was, so that an import can go on with the next row. */
    st = dh_unitreg_check(r, e);
    if (st) {
        pop_unit(r);
        *out = -1;
    }
    return st;
}

/* Makes (or finds) the version starting on `from` and returns it. */
static dh_unit_version *version_on(dh_unit *u, dh_date from)
{
    long i = version_index(u, from);
    if (i >= 0 && u->v[i].from == from)
        return &u->v[i];
    const dh_unit_version *src = &u->v[i < 0 ? 0 : i];
    dh_unit_version nv;
    set_version(&nv, from, src->parent, src->name, src->short_name);
    u->v = dh_xrealloc(u->v, (u->nv + 1) * sizeof *u->v);
    size_t pos = (size_t)(i + 1);
    memmove(&u->v[pos + 1], &u->v[pos], (u->nv - pos) * sizeof *u->v);
    u->v[pos] = nv;
    u->nv++;
    return &u->v[pos];
}

static void replace_str(char **dst, const char *src)
{
    free(*dst);
    *dst = dh_xstrdup(src);
}

static dh_status change_unit(dh_unitreg *r, int32_t unit, dh_date from, const char *name,
                             const char *short_name, const char *parent, dh_err *e)
{
    dh_status st;
    dh_unit *u = &r->u[unit];
    char ds[DH_DATE_TEXT_LEN];
    if ((st = check_name(name, "name", false, e)) ||
        (st = check_name(short_name, "short_name", false, e)))
        return st;
    if (name && !*name)
        return dh_err_set(e, DH_E_INVALID, "missing_field", "name", "name cannot be empty");
    dh_date d = from == DH_DATE_NONE ? u->v[u->nv - 1].from : from;
    fmt_date(d, ds);
    if (!dh_unitreg_valid_at(r, unit, d))
        return dh_err_set(e, DH_E_CONFLICT, "unit_closed", "effective",
                          "unit %s does not exist on %s", u->code, ds);
    int32_t p = -2;
    if (parent && (st = resolve_parent(r, parent, d, &p, e)))
        return st;
    dh_unit_version *v = version_on(u, d);
    if (name)
        replace_str(&v->name, name);
    if (short_name)
        replace_str(&v->short_name, short_name);
    if (name || short_name) {
        free(v->folded);
        v->folded = fold_names(v->name, v->short_name);
    }
    if (p != -2)
        v->parent = p;
    u->dirty = true;
    return DH_OK;
}

dh_status dh_unitreg_change(dh_unitreg *r, int32_t unit, dh_date from, const char *name,
                            const char *short_name, const char *parent, dh_err *e)
{
    dh_status st = change_unit(r, unit, from, name, short_name, parent, e);
    return st ? st : dh_unitreg_check(r, e);
}

static dh_status close_unit(dh_unitreg *r, int32_t unit, dh_date effective, dh_err *e)
{
    dh_unit *u = &r->u[unit];
    char ds[DH_DATE_TEXT_LEN];
    fmt_date(effective, ds);
    if (!dh_unitreg_valid_at(r, unit, effective) || effective <= u->valid_from)
        return dh_err_set(e, DH_E_CONFLICT, "unit_closed", "effective",
                          "unit %s is not open on %s (closed or not yet created)", u->code, ds);
    /* A child in force on or after the closing day would lose its parent. */
    for (size_t i = 0; i < r->n; i++) {
        const dh_unit *c = &r->u[i];
        for (size_t j = 0; j < c->nv; j++) {
            dh_date end = version_end(c, j);
            if (c->v[j].parent == unit && (end == DH_DATE_NONE || end >= effective)) {
                return dh_err_set(e, DH_E_CONFLICT, "has_children", "unit",
                                  "unit %s still has unit %s below it on %s: move or close it "
                                  "first",
                                  u->code, c->code, ds);
            }
        }
    }
    u->valid_to = effective - 1;
    u->dirty = true;
    return DH_OK;
}

dh_status dh_unitreg_close(dh_unitreg *r, int32_t unit, dh_date effective, dh_err *e)
{
    dh_status st = close_unit(r, unit, effective, e);
    return st ? st : dh_unitreg_check(r, e);
}

void dh_unitreg_link(dh_unitreg *r, int32_t from, int32_t to, bool partial, dh_date effective)
{
    dh_unitreg_add_link(r, from, to, partial, effective, 0);
}

/* Looks up a unit named by an event and requires it to exist on d. */
static dh_status event_unit(const dh_unitreg *r, const char *code, const char *field, dh_date d,
                            int32_t *out, dh_err *e)
{
    char ds[DH_DATE_TEXT_LEN];
    *out = -1;
    if (!code || !*code)
        return dh_err_set(e, DH_E_INVALID, "missing_field", field, "%s is required", field);
    int32_t u = dh_unitreg_find(r, code);
    if (u < 0)
        return dh_err_set(e, DH_E_NOTFOUND, "unknown_unit", field, "unit '%s' does not exist",
                          code);
    fmt_date(d, ds);
    if (!dh_unitreg_valid_at(r, u, d))
        return dh_err_set(e, DH_E_CONFLICT, "unit_closed", field,
                          "unit '%s' does not exist on %s (closed or not yet created)", code, ds);
    *out = u;
    return DH_OK;
}

/* Moves every child of `from` that is in force on `d` to `to` from d on. */
static dh_status move_children(dh_unitreg *r, int32_t from, int32_t to, dh_date d, dh_err *e)
{
    int32_t *kids;
    size_t n = dh_unitreg_children(r, from, d, &kids);
    dh_status st = DH_OK;
    for (size_t i = 0; i < n && st == DH_OK; i++)
        st = change_unit(r, kids[i], d, NULL, NULL, r->u[to].code, e);
    free(kids);
    return st;
}

static dh_status apply_transfer(dh_unitreg *r, const dh_unit_event *ev, dh_err *e)
{
    dh_status st = DH_OK;
    dh_date d = ev->effective;
    const char *what = ev->kind == DH_EV_MERGE ? "merge" : "split";
    if (ev->nfrom < 1 || ev->nto < 1)
        return dh_err_set(e, DH_E_INVALID, "invalid_event", ev->nfrom < 1 ? "from" : "to",
                          "a %s needs at least one unit in 'from' and one in 'to'", what);
    if (ev->kind == DH_EV_MERGE && ev->nto != 1)
        return dh_err_set(e, DH_E_INVALID, "invalid_event", "to",
                          "a merge has exactly one successor in 'to'");
    if (ev->kind == DH_EV_SPLIT && (ev->nfrom != 1 || ev->nto < 2))
        return dh_err_set(e, DH_E_INVALID, "invalid_event", "to",
                          "a split has one unit in 'from' and at least two in 'to'");
    int32_t *from = dh_xmalloc(ev->nfrom * sizeof *from);
    int32_t *to = dh_xmalloc(ev->nto * sizeof *to);
    for (size_t i = 0; i < ev->nfrom && st == DH_OK; i++) {
        st = event_unit(r, ev->from[i].code, "from", d, &from[i], e);
        for (size_t j = 0; j < i && st == DH_OK; j++)
            if (from[j] == from[i])
                st = dh_err_set(e, DH_E_INVALID, "invalid_event", "from",
                                "unit '%s' is listed twice", ev->from[i].code);
    }
    for (size_t i = 0; i < ev->nto && st == DH_OK; i++) {
        if (ev->to[i].spec) {
            dh_unit_spec s = *ev->to[i].spec;
            s.code = ev->to[i].code;
            s.valid_from = d;
            st = create_unit(r, &s, &to[i], e);
        } else {
            st = event_unit(r, ev->to[i].code, "to", d, &to[i], e);
        }
        for (size_t j = 0; j < ev->nfrom && st == DH_OK; j++)
            if (from[j] == to[i] && !ev->from[j].partial)
                st = dh_err_set(e, DH_E_INVALID, "invalid_event", "to",
                                "unit '%s' is both a whole predecessor and a successor; mark it "
                                "partial",
                                ev->to[i].code);
    }
    for (size_t i = 0; i < ev->nfrom && st == DH_OK; i++) {
        for (size_t j = 0; j < ev->nto; j++)
            if (from[i] != to[j])
                dh_unitreg_link(r, from[i], to[j], ev->from[i].partial, d);
        if (ev->from[i].partial)
            continue;
        if (ev->nto == 1)
            st = move_children(r, from[i], to[0], d, e);
        if (st == DH_OK)
            st = close_unit(r, from[i], d, e);
    }
    free(from);
    free(to);
    return st;
}

dh_status dh_unitreg_apply_event(dh_unitreg *r, const dh_unit_event *ev, dh_err *e)
{
    dh_status st;
    int32_t u;
    if (ev->effective == DH_DATE_NONE)
        return dh_err_set(e, DH_E_INVALID, "missing_field", "effective", "effective is required");
    switch (ev->kind) {
    case DH_EV_MERGE:
    case DH_EV_SPLIT:
        st = apply_transfer(r, ev, e);
        break;
    case DH_EV_RENAME:
        if ((st = event_unit(r, ev->unit, "unit", ev->effective, &u, e)))
            return st;
        if (!ev->name || !*ev->name)
            return dh_err_set(e, DH_E_INVALID, "missing_field", "name", "a rename needs a name");
        st = change_unit(r, u, ev->effective, ev->name, ev->short_name, NULL, e);
        break;
    case DH_EV_MOVE:
        if ((st = event_unit(r, ev->unit, "unit", ev->effective, &u, e)))
            return st;
        if (!ev->parent)
            return dh_err_set(e, DH_E_INVALID, "missing_field", "parent",
                              "a move needs a parent (\"\" for none)");
        st = change_unit(r, u, ev->effective, NULL, NULL, ev->parent, e);
        break;
    case DH_EV_CLOSE:
        if ((st = event_unit(r, ev->unit, "unit", ev->effective, &u, e)))
            return st;
        st = close_unit(r, u, ev->effective, e);
        break;
    default:
        return dh_err_set(e, DH_E_INVALID, "invalid_event", "kind",
                          "event kind must be merge, split, rename, move or close");
    }
    return st ? st : dh_unitreg_check(r, e);
}
