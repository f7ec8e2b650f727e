/* aggs.c - the service aggregates (issue 5): the per-batch deltas written
 * with each ingestion, and the readers' in-memory copy with cumulative sums
 * that answers any period in O(1) per key (docs/KPIS.md, "How it is kept").
 */
#include <stdlib.h>
#include <string.h>

#include "app/aggint.h"
#include "app/internal.h"
#include "core/kseries.h"
#include "util/buf.h"
#include "util/strmap.h"
#include "util/text.h"

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

/* ---- A batch's deltas. --------------------------------------------------- */

typedef struct bcell {
    int32_t key, day;
    bool used;
    dh_kcell d;
} bcell;

typedef struct bkey {
    char *name; /* unit \x1f procedure \x1f field */
    int32_t id;
} bkey;

/* A fact read ahead by dh_aggbatch_prefetch (found: the dossier has one). */
typedef struct bfact {
    char *code; /* NULL: an empty slot */
    bool found;
    dh_dfact f;
} bfact;

struct dh_aggbatch {
    bcell *cells;
    size_t ncells, cap;
    bkey *keys;
    size_t nkeys, kcap;
    bfact *facts; /* open addressing, fcap a power of two (0: none read ahead) */
    size_t fcap;
};

dh_aggbatch *dh_aggbatch_new(void) { return dh_xcalloc(1, sizeof(dh_aggbatch)); }

static void facts_clear(dh_aggbatch *b)
{
    for (size_t i = 0; i < b->fcap; i++)
        free(b->facts[i].code);
    if (b->fcap)
        memset(b->facts, 0, b->fcap * sizeof *b->facts);
}

void dh_aggbatch_free(dh_aggbatch *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->kcap; i++)
        free(b->keys[i].name);
    free(b->keys);
    free(b->cells);
    facts_clear(b);
    free(b->facts);
    free(b);
}

static bfact *fact_slot(dh_aggbatch *b, const char *code)
{
    if (!b->fcap)
        return NULL;
    size_t j = dh_hash_str(code) & (b->fcap - 1);
    while (b->facts[j].code && strcmp(b->facts[j].code, code))
        j = (j + 1) & (b->fcap - 1);
    return &b->facts[j];
}

static int on_prefetched(void *closure, const char *code, const dh_dfact *f)
{
    bfact *slot = fact_slot(closure, code);
    if (slot && slot->code) {
        slot->found = true;
        slot->f = *f;
    }
    return 0;
}

dh_status dh_aggbatch_prefetch(dh_aggbatch *b, dh_conn *c, const char *const *codes, size_t n,
                               size_t nread, dh_err *e)
{
    size_t cap = 64;
    while (cap < 2 * n)
        cap *= 2;
    facts_clear(b);
    if (cap != b->fcap) {
        free(b->facts);
        b->facts = dh_xcalloc(cap, sizeof *b->facts);
        b->fcap = cap;
    }
    for (size_t i = 0; i < n; i++) {
        bfact *slot = fact_slot(b, codes[i]);
        if (!slot->code)
            slot->code = dh_xstrdup(codes[i]);
    }
    dh_status st =
        nread ? DH_AGGS(c)->get_facts(c, codes, nread, on_prefetched, b, e) : DH_OK;
    if (st)
        facts_clear(b);
    return st;
}

static bcell *cell_for(dh_aggbatch *b, int32_t key, int32_t day)
{
    if ((b->ncells + 1) * 2 > b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 1024;
        bcell *n = dh_xcalloc(ncap, sizeof *n);
        for (size_t i = 0; i < b->cap; i++) {
            if (!b->cells[i].used)
                continue;
            size_t j = mix(((uint64_t)(uint32_t)b->cells[i].key << 32) |
                           (uint32_t)b->cells[i].day) & (ncap - 1);
            while (n[j].used)
                j = (j + 1) & (ncap - 1);
            n[j] = b->cells[i];
        }
        free(b->cells);
        b->cells = n;
        b->cap = ncap;
    }
    size_t j = mix(((uint64_t)(uint32_t)key << 32) | (uint32_t)day) & (b->cap - 1);
    while (b->cells[j].used && !(b->cells[j].key == key && b->cells[j].day == day))
        j = (j + 1) & (b->cap - 1);
    if (!b->cells[j].used) {
        b->cells[j].used = true;
        b->cells[j].key = key;
        b->cells[j].day = day;
        b->ncells++;
    }
    return &b->cells[j];
}

static void add_fact(dh_aggbatch *b, const dh_dfact *f, int sign)
{
    dh_kcontrib c[DH_DFACT_MAX];
    size_t n = dh_dfact_contribs(f, c);
    for (size_t i = 0; i < n; i++) {
        bcell *cell = cell_for(b, f->key, c[i].day);
        cell->d.n[c[i].counter] += sign;
        cell->d.minutes += sign * c[i].minutes;
    }
}

/* The slot of key name in b's table (empty when unknown), the table grown
 * first if one more key would fill it past half. */
static bkey *key_slot(dh_aggbatch *b, const char *name)
{
    if ((b->nkeys + 1) * 2 > b->kcap) {
        size_t ncap = b->kcap ? b->kcap * 2 : 64;
        bkey *n = dh_xcalloc(ncap, sizeof *n);
        for (size_t i = 0; i < b->kcap; i++) {
            if (!b->keys[i].name)
                continue;
            size_t j = dh_hash_str(b->keys[i].name) & (ncap - 1);
            while (n[j].name)
                j = (j + 1) & (ncap - 1);
            n[j] = b->keys[i];
        }
        free(b->keys);
        b->keys = n;
        b->kcap = ncap;
    }
    size_t j = dh_hash_str(name) & (b->kcap - 1);
    while (b->keys[j].name && strcmp(b->keys[j].name, name))
        j = (j + 1) & (b->kcap - 1);
    return &b->keys[j];
}

static void key_name(char *name, size_t cap, const char *unit, const char *procedure,
                     const char *field)
{
    snprintf(name, cap, "%s\x1f%s\x1f%s", unit, procedure, field);
}

dh_status dh_aggbatch_key(dh_aggbatch *b, dh_conn *c, const char *unit, const char *procedure,
                          const char *field, int32_t *id, dh_err *e)
{
    char name[512];
    key_name(name, sizeof name, unit, procedure, field);
    bkey *k = key_slot(b, name);
    if (k->name) {
        *id = k->id;
        return DH_OK;
    }
    dh_status st = DH_AGGS(c)->agg_key(c, unit, procedure, field, id, e);
    if (st)
        return st;
    k->name = dh_xstrdup(name);
    k->id = *id;
    b->nkeys++;
    return DH_OK;
}

static int on_stored_key(void *closure, int32_t id, const char *unit, const char *procedure,
                         const char *field)
{
    dh_aggbatch *b = closure;
    char name[512];
    key_name(name, sizeof name, unit, procedure, field);
    bkey *k = key_slot(b, name);
    if (!k->name) {
        k->name = dh_xstrdup(name);
        k->id = id;
        b->nkeys++;
    }
    return 0;
}

dh_status dh_aggbatch_load_keys(dh_aggbatch *b, dh_conn *c, dh_err *e)
{
    return DH_AGGS(c)->load_agg_keys(c, 0, on_stored_key, b, e);
}

dh_status dh_aggbatch_change(dh_aggbatch *b, dh_conn *c, const char *code, const dh_dfact *f,
                             dh_err *e)
{
    dh_dfact old;
    bool found = false;
    bfact *pre = fact_slot(b, code);
    if (pre && pre->code) {
        found = pre->found;
        old = pre->f;
        /* what will be stored once the dossier row is written */
        pre->found = f != NULL;
        if (f)
            pre->f = *f;
    } else {
        dh_status st = DH_AGGS(c)->get_fact(c, code, &old, &found, e);
        if (st)
            return st;
    }
    if (found && f && memcmp(&old, f, sizeof old) == 0)
        return DH_OK;
    if (found)
        add_fact(b, &old, -1);
    if (f)
        add_fact(b, f, +1);
    return DH_OK;
}

static int delta_order(const void *pa, const void *pb)
{
    const dh_agg_delta *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return (a->day > b->day) - (a->day < b->day);
}

dh_status dh_aggbatch_flush(dh_aggbatch *b, dh_conn *c, dh_err *e)
{
    size_t live = 0;
    for (size_t i = 0; i < b->cap; i++)
        live += b->cells[i].used && !dh_kcell_zero(&b->cells[i].d);
    if (!live)
        return DH_OK;
    dh_status st = DH_META(c)->meta_bump(c, "agg_rev", e);
    int64_t rev = 0;
    if (st == DH_OK)
        st = DH_META(c)->meta_get(c, "agg_rev", &rev, e);
    /* The changed cells in the stored order, (key, day), so that the
     * table's pages are met one after the other (in hash order, each
     * spill of a long import read and wrote pages all over the table), many
     * at a time (a COPY each on PostgreSQL). A long transaction spills
     * (dh_aggbatch_spill), so the batch, and this copy of it, stay bounded. */
    enum { SLICE = 8192 };
    dh_agg_delta *d = dh_xmalloc(live * sizeof *d);
    size_t n = 0;
    for (size_t i = 0; i < b->cap; i++)
        if (b->cells[i].used && !dh_kcell_zero(&b->cells[i].d))
            d[n++] = (dh_agg_delta){b->cells[i].key, b->cells[i].day, b->cells[i].d};
    qsort(d, n, sizeof *d, delta_order);
    for (size_t i = 0; i < n && st == DH_OK; i += SLICE)
        st = DH_AGGS(c)->agg_add_many(c, d + i, n - i < SLICE ? n - i : SLICE, rev, e);
    free(d);
    if (st == DH_OK) {
        memset(b->cells, 0, b->cap * sizeof *b->cells);
        b->ncells = 0;
    }
    return st;
}

dh_status dh_aggbatch_spill(dh_aggbatch *b, dh_conn *c, dh_err *e)
{
    /* DIEUHANH_AGG_SPILL_CELLS: a lower bound for the tests */
    size_t at = (size_t)dh_job_interval("DIEUHANH_AGG_SPILL_CELLS", DH_AGGBATCH_SPILL);
    return b->ncells >= at ? dh_aggbatch_flush(b, c, e) : DH_OK;
}

/* ---- The readers' copy. --------------------------------------------------- */

/* Each key's day cells are a sparse series with per-block checkpoints;
 * each unit's rollup (the sum of its keys, so that a whole-unit answer
 * reads O(units) series, not O(keys)) a dense cumulative array over the
 * unit's span (core/kseries.h; issue 20). */
typedef dh_kseries series;

/* A key's series or a unit's rollup, read alike. */
typedef struct reader {
    series *key;
    const dh_kcum *unit;
} reader;

static void before_of(reader r, dh_date x, dh_kcell *out)
{
    if (r.unit)
        dh_kcum_before(r.unit, x, out);
    else
        dh_kseries_before(r.key, x, out);
}

enum { ROLLUP_BULK = 4096 };

void dh_aggcache_clear(dh_aggcache *c)
{
    for (int32_t i = 0; i < c->nkeys; i++) {
        free(c->keys[i].unit);
        free(c->keys[i].procedure);
        free(c->keys[i].field);
        dh_kseries_free(&c->keys[i].s);
    }
    for (int32_t i = 0; i < c->nunits; i++) {
        free(c->units[i].code);
        dh_kcum_free(&c->units[i].s);
    }
    free(c->keys);
    free(c->units);
    free(c->uhash);
    c->keys = NULL;
    c->units = NULL;
    c->uhash = NULL;
    c->nkeys = c->kcap = c->nunits = 0;
    c->uhcap = 0;
    c->rev = 0;
    c->ncells = c->since_snap = 0;
    c->loaded = false;
    dh_scopememo_clear(&c->scopes);
    free(c->ustart);
    free(c->ukeys);
    free(c->gid[0]);
    free(c->gid[1]);
    c->ustart = c->ukeys = c->gid[0] = c->gid[1] = NULL;
    c->ukeys_ok = false;
    for (int i = 0; i < 8; i++) {
        free(c->stot[i].json);
        free(c->stot[i].in);
        dh_kcum_free(&c->stot[i].cum);
    }
    memset(c->stot, 0, sizeof c->stot);
    c->stot_next = 0;
    for (int i = 0; i < 32; i++) {
        struct qmemo *m = &c->qm[i];
        free(m->json);
        free(m->procedure);
        free(m->field);
        dh_agg_groups_free(m->v, m->n);
    }
    memset(c->qm, 0, sizeof c->qm);
    c->gen++;
}

dh_aggcache *dh_aggcache_new(void)
{
    dh_aggcache *c = dh_xcalloc(1, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void dh_aggcache_free(dh_aggcache *c)
{
    if (!c)
        return;
    dh_aggcache_clear(c);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

int32_t dh_aggcache_unit(dh_aggcache *c, const char *code, bool create)
{
    if (c->uhcap && c->uhcap >= 1) {
        size_t j = dh_hash_str(code) & (c->uhcap - 1);
        while (c->uhash[j] >= 0) {
            if (!strcmp(c->units[c->uhash[j]].code, code))
                return c->uhash[j];
            j = (j + 1) & (c->uhcap - 1);
        }
    }
    if (!create)
        return -1;
    c->units = dh_xrealloc(c->units, ((size_t)c->nunits + 1) * sizeof *c->units);
    memset(&c->units[c->nunits], 0, sizeof c->units[0]);
    c->units[c->nunits].code = dh_xstrdup(code);
    int32_t u = c->nunits++;
    c->ukeys_ok = false;
    if ((size_t)c->nunits * 2 > c->uhcap) {
        free(c->uhash);
        c->uhcap = c->uhcap ? c->uhcap * 2 : 64;
        c->uhash = dh_xmalloc(c->uhcap * sizeof *c->uhash);
        for (size_t i = 0; i < c->uhcap; i++)
            c->uhash[i] = -1;
        for (int32_t i = 0; i < c->nunits; i++) {
            size_t j = dh_hash_str(c->units[i].code) & (c->uhcap - 1);
            while (c->uhash[j] >= 0)
                j = (j + 1) & (c->uhcap - 1);
            c->uhash[j] = i;
        }
    } else {
        size_t j = dh_hash_str(code) & (c->uhcap - 1);
        while (c->uhash[j] >= 0)
            j = (j + 1) & (c->uhcap - 1);
        c->uhash[j] = u;
    }
    return u;
}

static int on_key(void *cl, int32_t id, const char *unit, const char *procedure, const char *field)
{
    dh_aggcache *c = cl;
    if (id >= c->kcap) {
        int32_t ncap = c->kcap ? c->kcap : 64;
        while (ncap <= id)
            ncap *= 2;
        c->keys = dh_xrealloc(c->keys, (size_t)ncap * sizeof *c->keys);
        memset(c->keys + c->kcap, 0, (size_t)(ncap - c->kcap) * sizeof *c->keys);
        c->kcap = ncap;
    }
    ckey *k = &c->keys[id];
    k->unit = dh_xstrdup(unit);
    k->procedure = dh_xstrdup(procedure);
    k->field = dh_xstrdup(field);
    k->uidx = dh_aggcache_unit(c, unit, true);
    if (id >= c->nkeys)
        c->nkeys = id + 1;
    c->ukeys_ok = false;
    return 0;
}

static int on_cell(void *cl, int32_t key, int32_t day, const dh_kcell *cell, int64_t rev)
{
    dh_aggcache *c = cl;
    if (rev > c->rev)
        c->rev = rev;
    if (key <= 0 || key >= c->nkeys || !c->keys[key].unit)
        return 0; /* a key added after we read the keys: picked up next time */
    ckey *k = &c->keys[key];
    dh_kcell old;
    dh_kseries_set(&k->s, day, cell, &old);
    if (++c->nloaded > ROLLUP_BULK)
        c->bulk = true;
    c->ncells++;
    c->gen++;
    c->since_snap++;
    dh_kcell delta = *cell;
    dh_kcell_add(&delta, &old, -1);
    if (c->bulk || (!dh_kcell_zero(&delta) && !dh_kcum_add(&c->units[k->uidx].s, day, &delta)))
        c->touched[k->uidx] = true; /* a day outside the rollup's span: remade */
    for (int i = 0; i < 8; i++) {
        struct stotal *t = &c->stot[i];
        if (t->ok && k->uidx < t->n && t->in[k->uidx] &&
            (c->bulk || (!dh_kcell_zero(&delta) && !dh_kcum_add(&t->cum, day, &delta))))
            t->ok = false; /* remade from the rollups when next asked for */
    }
    return 0;
}

/* Remakes the rollup of every touched unit from its keys (c->mu held). */
static void rollups_rebuild(dh_aggcache *c)
{
    int32_t any = 0;
    while (any < c->nunits && !c->touched[any])
        any++;
    if (any == c->nunits)
        return;
    /* the keys of each unit, by a counting sort */
    int32_t *start = dh_xcalloc((size_t)c->nunits + 1, sizeof *start);
    for (int32_t k = 1; k < c->nkeys; k++)
        if (c->keys[k].unit)
            start[c->keys[k].uidx + 1]++;
    for (int32_t u = 0; u < c->nunits; u++)
        start[u + 1] += start[u];
    series **by = dh_xmalloc(((size_t)start[c->nunits] + 1) * sizeof *by);
    int32_t *at = dh_xmalloc(((size_t)c->nunits + 1) * sizeof *at);
    memcpy(at, start, (size_t)c->nunits * sizeof *at);
    for (int32_t k = 1; k < c->nkeys; k++)
        if (c->keys[k].unit)
            by[at[c->keys[k].uidx]++] = &c->keys[k].s;
    for (int32_t u = 0; u < c->nunits; u++)
        if (c->touched[u])
            dh_kcum_sum_of(&c->units[u].s, by + start[u], (size_t)(start[u + 1] - start[u]));
    free(at);
    free(by);
    free(start);
}

/* Brings the copy up to date (c->mu held). */
static dh_status refresh(dh_aggcache *c, dh_conn *conn, dh_err *e)
{
    int64_t rev = 0, epoch = 0;
    dh_status st = DH_META(conn)->meta_get(conn, "agg_epoch", &epoch, e);
    if (st == DH_OK)
        st = DH_META(conn)->meta_get(conn, "agg_rev", &rev, e);
    if (st)
        return st;
    if (c->loaded && epoch == c->epoch && rev == c->rev)
        return DH_OK;
    dh_app_cache_reloaded("aggregates");
    if (epoch != c->epoch)
        dh_aggcache_clear(c);
    c->epoch = epoch;
    /* an empty copy starts from the snapshot when there is a fitting one
     * (aggsnap.c), then reads only the cells changed since */
    if (!c->loaded && !c->nkeys && dh_aggsnap_load(c, conn, epoch, rev))
        dh_app_cache_reloaded("aggregates snapshot");
    st = DH_AGGS(conn)->load_agg_keys(conn, c->nkeys ? c->nkeys - 1 : 0, on_key, c, e);
    c->touched = dh_xcalloc((size_t)c->nunits + 1, sizeof *c->touched);
    c->nloaded = 0;
    c->bulk = c->rev == 0; /* a first load: the rollups are made at the end */
    if (st == DH_OK)
        st = DH_AGGS(conn)->load_agg_cells(conn, c->rev, on_cell, c, e);
    if (st == DH_OK)
        rollups_rebuild(c);
    free(c->touched);
    c->touched = NULL;
    if (st) {
        dh_aggcache_clear(c);
        return st;
    }
    c->loaded = true;
    return DH_OK;
}

/* ---- Queries. ------------------------------------------------------------ */

/* The groups of one query, found by key through a small hash. */
typedef struct groups {
    dh_agg_group *v;
    size_t n, cap;
    int32_t *slot; /* index into v, -1 = empty */
    size_t scap;
} groups;

static dh_agg_group *group_for(groups *g, const char *key)
{
    if ((g->n + 1) * 2 > g->scap) {
        free(g->slot);
        g->scap = g->scap ? g->scap * 2 : 64;
        g->slot = dh_xmalloc(g->scap * sizeof *g->slot);
        for (size_t i = 0; i < g->scap; i++)
            g->slot[i] = -1;
        for (size_t i = 0; i < g->n; i++) {
            size_t j = dh_hash_str(g->v[i].key) & (g->scap - 1);
            while (g->slot[j] >= 0)
                j = (j + 1) & (g->scap - 1);
            g->slot[j] = (int32_t)i;
        }
    }
    size_t j = dh_hash_str(key) & (g->scap - 1);
    while (g->slot[j] >= 0) {
        if (!strcmp(g->v[g->slot[j]].key, key))
            return &g->v[g->slot[j]];
        j = (j + 1) & (g->scap - 1);
    }
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 16;
        g->v = dh_xrealloc(g->v, g->cap * sizeof *g->v);
    }
    dh_agg_group *r = &g->v[g->n];
    memset(r, 0, sizeof *r);
    r->key = dh_xstrdup(key);
    g->slot[j] = (int32_t)g->n++;
    return r;
}

static int cmp_groups(const void *a, const void *b)
{
    return dh_text_collate(((const dh_agg_group *)a)->key, ((const dh_agg_group *)b)->key);
}

static int cmp_groups_code(const void *a, const void *b)
{
    return strcmp(((const dh_agg_group *)a)->key, ((const dh_agg_group *)b)->key);
}

static void figures_of(reader s, dh_date from, dh_date to, dh_kfigures *f)
{
    dh_kcell a, b;
    before_of(s, from, &a);
    before_of(s, to + 1, &b);
    dh_kfigures_from_cum(&a, &b, f);
}

const char *dh_agg_today_unit(const dh_unitreg *reg, const char *code, dh_date today)
{
    int32_t u = reg ? dh_unitreg_find(reg, code) : -1;
    if (u < 0 || dh_unitreg_valid_at(reg, u, today))
        return code;
    int32_t *succ = NULL;
    size_t n = dh_unitreg_lineage(reg, u, true, &succ);
    const char *out = code;
    for (size_t i = 0; i < n; i++) {
        if (dh_unitreg_valid_at(reg, succ[i], today)) {
            out = reg->u[succ[i]].code;
            break;
        }
    }
    free(succ);
    return out;
}

dh_status dh_agg_query(dh_app *app, const char *units_json, int group, bool rollup_today,
                       dh_date from, dh_date to, dh_date today, dh_agg_group **out, size_t *nout,
                       dh_err *e)
{
    return dh_agg_query_f(app, units_json, group, rollup_today, NULL, from, to, today, out, nout,
                          e);
}

static bool key_passes(const ckey *ck, const dh_agg_filter *f)
{
    if (!f)
        return true;
    if (f->procedure && strcmp(f->procedure, ck->procedure))
        return false;
    if (f->field && strcmp(f->field, *ck->field ? ck->field : "Khác"))
        return false;
    return true;
}

dh_status dh_aggcache_locked(dh_app *app, dh_err *e)
{
    dh_conn *conn = dh_store_acquire(app->store, e);
    if (!conn)
        return e->status;
    pthread_mutex_lock(&app->agg->mu);
    dh_status st = refresh(app->agg, conn, e);
    dh_store_release(conn);
    if (st)
        pthread_mutex_unlock(&app->agg->mu);
    return st;
}

static const char *unit_code(const void *copy, size_t i)
{
    return ((const dh_aggcache *)copy)->units[i].code;
}

/* Makes c->ustart and c->ukeys current (c->mu held): the keys of each
 * unit by a counting sort, in ascending id. */
static void keys_by_unit(dh_aggcache *c)
{
    if (c->ukeys_ok)
        return;
    free(c->ustart);
    free(c->ukeys);
    c->ustart = dh_xcalloc((size_t)c->nunits + 1, sizeof *c->ustart);
    for (int32_t k = 1; k < c->nkeys; k++)
        if (c->keys[k].unit)
            c->ustart[c->keys[k].uidx + 1]++;
    for (int32_t u = 0; u < c->nunits; u++)
        c->ustart[u + 1] += c->ustart[u];
    c->ukeys = dh_xmalloc(((size_t)c->ustart[c->nunits] + 1) * sizeof *c->ukeys);
    int32_t *at = dh_xmalloc(((size_t)c->nunits + 1) * sizeof *at);
    memcpy(at, c->ustart, (size_t)c->nunits * sizeof *at);
    for (int32_t k = 1; k < c->nkeys; k++)
        if (c->keys[k].unit)
            c->ukeys[at[c->keys[k].uidx]++] = k;
    free(at);
    /* the groups' numbers: the names interned in a small hash */
    size_t cap = 64;
    while (cap < 2 * (size_t)c->nkeys)
        cap *= 2;
    const char **name = dh_xmalloc(cap * sizeof *name);
    int32_t *id = dh_xmalloc(cap * sizeof *id);
    for (int w = 0; w < 2; w++) {
        free(c->gid[w]);
        c->gid[w] = dh_xcalloc((size_t)c->nkeys + 1, sizeof *c->gid[w]);
        c->ngid[w] = 0;
        for (size_t j = 0; j < cap; j++)
            name[j] = NULL;
        for (int32_t k = 1; k < c->nkeys; k++) {
            const ckey *ck = &c->keys[k];
            if (!ck->unit)
                continue;
            const char *nm = w == 0 ? ck->procedure : *ck->field ? ck->field : "Khác";
            size_t j = dh_hash_str(nm) & (cap - 1);
            while (name[j] && strcmp(name[j], nm))
                j = (j + 1) & (cap - 1);
            if (!name[j]) {
                name[j] = nm;
                id[j] = c->ngid[w]++;
            }
            c->gid[w][k] = id[j];
        }
    }
    free(name);
    free(id);
    c->ukeys_ok = true;
}

/* Which units of the copy are in the scope units_json (NULL: every unit);
 * valid while c->mu is held. *nin: how many. */
static const bool *in_scope(dh_aggcache *c, const char *units_json, size_t *nin)
{
    return dh_scopememo_get(&c->scopes, units_json, (size_t)c->nunits, unit_code, c, nin);
}

/* A scope of at least this many units of the copy (16;
 * DIEUHANH_AGG_SCOPE_TOTAL_MIN, for the tests) is read as the sum of their
 * rollups, kept (struct stotal); a smaller one unit by unit. */
static size_t stot_min_units(void)
{
    static int v;
    if (!v)
        v = dh_job_interval("DIEUHANH_AGG_SCOPE_TOTAL_MIN", 16);
    return (size_t)v;
}

/* The sum of the rollups of the units in[] of scope units_json (c->mu
 * held): remembered for the last 8 wide scopes. */
static const dh_kcum *scope_total(dh_aggcache *c, const char *units_json, const bool *in)
{
    uint64_t h = units_json ? dh_hash_str(units_json) : 0;
    struct stotal *t = NULL;
    for (int i = 0; i < 8 && !t; i++) {
        struct stotal *s = &c->stot[i];
        if (s->used && s->hash == h && s->n == c->nunits &&
            (units_json ? s->json && !strcmp(s->json, units_json) : !s->json))
            t = s;
    }
    if (!t) {
        t = &c->stot[c->stot_next];
        c->stot_next = (c->stot_next + 1) % 8;
        free(t->json);
        free(t->in);
        t->json = units_json ? dh_xstrdup(units_json) : NULL;
        t->hash = h;
        t->n = c->nunits;
        t->in = dh_xmalloc(((size_t)c->nunits + 1) * sizeof *t->in);
        memcpy(t->in, in, ((size_t)c->nunits + 1) * sizeof *t->in);
        t->used = true;
        t->ok = false;
    }
    if (!t->ok) {
        const dh_kcum **src = dh_xmalloc(((size_t)c->nunits + 1) * sizeof *src);
        size_t n = 0;
        for (int32_t u = 0; u < c->nunits; u++)
            if (in[u])
                src[n++] = &c->units[u].s;
        dh_kcum_sum_cums(&t->cum, src, n);
        free(src);
        t->ok = true;
    }
    return &t->cum;
}

static dh_agg_group *groups_copy(const dh_agg_group *v, size_t n)
{
    dh_agg_group *out = dh_xmalloc((n ? n : 1) * sizeof *out);
    for (size_t i = 0; i < n; i++)
        out[i] = (dh_agg_group){dh_xstrdup(v[i].key), v[i].f};
    return out;
}

static bool same_str(const char *a, const char *b)
{
    return a ? b && !strcmp(a, b) : !b;
}

/* The slot of a query's answer in c->qm, and its hash. */
static struct qmemo *qmemo_slot(dh_aggcache *c, const char *units_json, int group,
                                const char *proc, const char *field, dh_date from, dh_date to,
                                dh_date today, uint64_t *h)
{
    *h = mix(((uint64_t)(uint32_t)from << 32 | (uint32_t)to) ^ mix((uint64_t)(uint32_t)today) ^
             (uint64_t)group * 0x9e3779b97f4a7c15ULL) ^
         (units_json ? dh_hash_str(units_json) : 1) ^ (proc ? dh_hash_str(proc) * 3 : 2) ^
         (field ? dh_hash_str(field) * 5 : 4);
    return &c->qm[*h % 32];
}

static bool qmemo_is(const struct qmemo *m, uint64_t h, const char *units_json, int group,
                     const char *proc, const char *field, dh_date from, dh_date to, dh_date today)
{
    return m->used && m->hash == h && m->group == group && m->from == from && m->to == to &&
           m->today == today && same_str(m->json, units_json) && same_str(m->procedure, proc) &&
           same_str(m->field, field);
}

/* The groups of one query into gs (c->mu held; reg: today's units when
 * rollup_today). */
static void query_groups(dh_aggcache *c, const dh_unitreg *reg, const char *units_json, int group,
                         bool rollup_today, const dh_agg_filter *filter, dh_date from, dh_date to,
                         dh_date today, groups *gs)
{
    bool filtered = filter && (filter->procedure || filter->field);
    dh_kfigures f;
    size_t nin;
    const bool *in = in_scope(c, units_json, &nin);
    bool by_unit = group == DH_GROUP_UNIT || group == DH_GROUP_NONE;
    if (group == DH_GROUP_NONE && !filtered && nin >= stot_min_units()) {
        figures_of((reader){NULL, scope_total(c, units_json, in)}, from, to, &f);
        dh_kfigures_add(&group_for(gs, "*")->f, &f);
    } else if (by_unit && !filtered) {
        for (int32_t u = 0; u < c->nunits; u++) {
            if (!in[u])
                continue;
            figures_of((reader){NULL, &c->units[u].s}, from, to, &f);
            const char *key = group == DH_GROUP_NONE ? "*"
                              : rollup_today ? dh_agg_today_unit(reg, c->units[u].code, today)
                                             : c->units[u].code;
            dh_kfigures_add(&group_for(gs, key)->f, &f);
        }
    } else {
        /* by key: the keys of the units in scope (the unit rollups hold
         * every procedure, so a filtered query by unit adds up keys too) */
        keys_by_unit(c);
        /* by procedure or field: each key's group found by its number */
        int w = group == DH_GROUP_PROCEDURE ? 0 : group == DH_GROUP_FIELD ? 1 : -1;
        int32_t *slot = w >= 0 ? dh_xmalloc(((size_t)c->ngid[w] + 1) * sizeof *slot) : NULL;
        for (int32_t i = 0; w >= 0 && i < c->ngid[w]; i++)
            slot[i] = -1;
        for (int32_t u = 0; u < c->nunits; u++)
            for (int32_t j = in[u] ? c->ustart[u] : 0; in[u] && j < c->ustart[u + 1]; j++) {
                int32_t k = c->ukeys[j];
                ckey *ck = &c->keys[k];
                if (!key_passes(ck, filter))
                    continue;
                figures_of((reader){&ck->s, NULL}, from, to, &f);
                if (w >= 0) {
                    int32_t *s = &slot[c->gid[w][k]];
                    if (*s < 0)
                        *s = (int32_t)(group_for(gs, w == 0          ? ck->procedure
                                                      : *ck->field ? ck->field
                                                                   : "Khác") -
                                       gs->v);
                    dh_kfigures_add(&gs->v[*s].f, &f);
                    continue;
                }
                const char *key = group == DH_GROUP_NONE ? "*"
                                  : rollup_today ? dh_agg_today_unit(reg, ck->unit, today)
                                                 : ck->unit;
                dh_kfigures_add(&group_for(gs, key)->f, &f);
            }
        free(slot);
    }
}

/* gs's groups as the answer: those with nothing at all in the period left
 * out, in the order of the grouping. */
static void groups_finish(groups *gs, int group, dh_agg_group **out, size_t *nout)
{
    free(gs->slot);
    size_t k = 0;
    for (size_t i = 0; i < gs->n; i++) {
        dh_kfigures zero = {0};
        if (memcmp(&gs->v[i].f, &zero, sizeof zero) == 0)
            free(gs->v[i].key);
        else
            gs->v[k++] = gs->v[i];
    }
    if (k)
        qsort(gs->v, k, sizeof *gs->v, group == DH_GROUP_FIELD ? cmp_groups : cmp_groups_code);
    *out = gs->v;
    *nout = k;
}

/* Remembered answers (struct qmemo): a query of the same scope, grouping,
 * filter, period and day as one answered since the copy last changed gets
 * that answer again. Not for rollup_today, whose answer also follows the
 * registry. One refresh and one hold of the copy's lock either way. */
dh_status dh_agg_query_f(dh_app *app, const char *units_json, int group, bool rollup_today,
                         const dh_agg_filter *filter, dh_date from, dh_date to, dh_date today,
                         dh_agg_group **out, size_t *nout, dh_err *e)
{
    *out = NULL;
    *nout = 0;
    const char *proc = filter ? filter->procedure : NULL, *field = filter ? filter->field : NULL;
    const dh_unitreg *reg = rollup_today ? dh_app_units_acquire(app, e) : NULL;
    if (rollup_today && !reg)
        return e->status;
    dh_aggcache *c = app->agg;
    dh_status st = dh_aggcache_locked(app, e);
    if (st == DH_OK) {
        uint64_t h;
        struct qmemo *m = qmemo_slot(c, units_json, group, proc, field, from, to, today, &h);
        if (!rollup_today && m->gen == c->gen &&
            qmemo_is(m, h, units_json, group, proc, field, from, to, today)) {
            *out = groups_copy(m->v, m->n);
            *nout = m->n;
        } else {
            groups gs = {0};
            query_groups(c, reg, units_json, group, rollup_today, filter, from, to, today, &gs);
            groups_finish(&gs, group, out, nout);
            if (!rollup_today) {
                free(m->json);
                free(m->procedure);
                free(m->field);
                dh_agg_groups_free(m->v, m->n);
                *m = (struct qmemo){h,
                                    c->gen,
                                    units_json ? dh_xstrdup(units_json) : NULL,
                                    proc ? dh_xstrdup(proc) : NULL,
                                    field ? dh_xstrdup(field) : NULL,
                                    group,
                                    from,
                                    to,
                                    today,
                                    groups_copy(*out, *nout),
                                    *nout,
                                    true};
            }
        }
        pthread_mutex_unlock(&c->mu);
    }
    if (reg)
        dh_app_units_release(app, reg);
    return st;
}

dh_status dh_agg_query_buckets(dh_app *app, const char *units_json, const dh_agg_filter *filter,
                               const dh_tbucket *b, size_t nb, dh_kfigures *out, dh_err *e)
{
    bool filtered = filter && (filter->procedure || filter->field);
    memset(out, 0, nb * sizeof *out);
    dh_aggcache *c = app->agg;
    dh_status st = dh_aggcache_locked(app, e);
    if (st == DH_OK) {
        size_t nin;
        const bool *in = in_scope(c, units_json, &nin);
        bool whole = !filtered && nin >= stot_min_units();
        /* a series' cumulative counts are read once per bucket boundary:
         * the buckets are usually contiguous, so a bucket's start is the
         * previous one's end; every unit at once: their sum, read once */
        for (int32_t i = filtered ? 1 : 0; i < (filtered ? c->nkeys : whole ? 1 : c->nunits);
             i++) {
            reader s = {NULL, NULL};
            if (whole) {
                s.unit = scope_total(c, units_json, in);
            } else if (filtered) {
                ckey *ck = &c->keys[i];
                if (!ck->unit || !in[ck->uidx] || !key_passes(ck, filter))
                    continue;
                s.key = &ck->s;
            } else {
                if (!in[i])
                    continue;
                s.unit = &c->units[i].s;
            }
            dh_kcell lo, hi;
            dh_date hi_day = 0;
            for (size_t k = 0; k < nb; k++) {
                if (k == 0 || b[k].from != hi_day)
                    before_of(s, b[k].from, &lo);
                else
                    lo = hi;
                hi_day = b[k].to + 1;
                before_of(s, hi_day, &hi);
                dh_kfigures f;
                dh_kfigures_from_cum(&lo, &hi, &f);
                dh_kfigures_add(&out[k], &f);
            }
        }
        pthread_mutex_unlock(&c->mu);
    }
    return st;
}

void dh_agg_groups_free(dh_agg_group *g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(g[i].key);
    free(g);
}

void dh_app_aggregates_warm(dh_app *app)
{
    dh_err e;
    dh_agg_group *g = NULL;
    size_t n = 0;
    if (dh_agg_query(app, "[]", DH_GROUP_NONE, false, 0, 0, 0, &g, &n, &e) == DH_OK)
        dh_agg_groups_free(g, n);
}
