/* fbaggs.c - the readers' in-memory copy of the feedback aggregates (issue
 * 17): per handling unit, a dense cumulative array of the fb_agg day cells
 * (core/fbagg.h), so that a unit's KPIs of any period are two subtractions
 * instead of a sum over the period's cells in SQL.
 *
 * The copy follows the store by two meta counters (store/feedback.h): every
 * save_record writes the cells it changes under a new fb_agg_rev, and the
 * copy loads only the cells whose rev is above the one it has seen; a
 * rebuild bumps fb_agg_epoch and the copy loads every cell again. So another
 * process or node writing feedback is seen at the next query, as for the
 * dossier aggregates (aggs.c).
 *
 * The only figure not in the cells, the open records due earlier on the
 * current day, is one indexed count in the store per query. */
#include <stdlib.h>
#include <string.h>

#include "app/internal.h"
#include "app/scopememo.h"
#include "util/buf.h"

/* A unit's cumulative cells: cum[i] = the cells of the days [d0, d0 + i),
 * len + 1 entries (none while len is 0). */
typedef struct fbunit {
    char *code;
    dh_date d0;
    int32_t len;
    dh_fbcell *cum;
} fbunit;

/* A cell read by a refresh, applied to its unit at the end. */
typedef struct pend {
    int32_t u;
    dh_date day;
    dh_fbcell cell;
} pend;

struct dh_fbaggcache {
    pthread_mutex_t mu;
    bool loaded;
    int64_t rev, epoch;
    fbunit *units; /* stable indexes: pend and sorted refer to them */
    int32_t n, cap;
    int32_t *sorted; /* the units' indexes by ascending code */
    pend *p;         /* while refreshing */
    size_t np, pcap;
    dh_scopememo scopes; /* the units of the copy in a query's scope */
};

dh_fbaggcache *dh_fbaggcache_new(void)
{
    dh_fbaggcache *c = dh_xcalloc(1, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

static void clear(dh_fbaggcache *c)
{
    for (int32_t i = 0; i < c->n; i++) {
        free(c->units[i].code);
        free(c->units[i].cum);
    }
    free(c->units);
    free(c->sorted);
    free(c->p);
    c->units = NULL;
    c->sorted = NULL;
    c->p = NULL;
    c->n = c->cap = 0;
    c->np = c->pcap = 0;
    c->rev = 0;
    c->loaded = false;
    dh_scopememo_clear(&c->scopes);
}

void dh_fbaggcache_free(dh_fbaggcache *c)
{
    if (!c)
        return;
    clear(c);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* The position in sorted of code, or of where it would go (*found false). */
static int32_t find(const dh_fbaggcache *c, const char *code, bool *found)
{
    int32_t lo = 0, hi = c->n;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        int r = strcmp(c->units[c->sorted[mid]].code, code);
        if (r == 0) {
            *found = true;
            return mid;
        }
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static int32_t unit_of(dh_fbaggcache *c, const char *code)
{
    bool found;
    int32_t at = find(c, code, &found);
    if (found)
        return c->sorted[at];
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->units = dh_xrealloc(c->units, (size_t)c->cap * sizeof *c->units);
        c->sorted = dh_xrealloc(c->sorted, (size_t)c->cap * sizeof *c->sorted);
    }
    int32_t u = c->n++;
    c->units[u] = (fbunit){dh_xstrdup(code), 0, 0, NULL};
    memmove(c->sorted + at + 1, c->sorted + at, (size_t)(u - at) * sizeof *c->sorted);
    c->sorted[at] = u;
    return u;
}

static int on_cell(void *closure, const char *unit, dh_date day, const dh_fbcell *cell,
                   int64_t rev)
{
    dh_fbaggcache *c = closure;
    if (rev > c->rev)
        c->rev = rev;
    if (c->np == c->pcap) {
        c->pcap = c->pcap ? 2 * c->pcap : 256;
        c->p = dh_xrealloc(c->p, c->pcap * sizeof *c->p);
    }
    c->p[c->np++] = (pend){unit_of(c, unit), day, *cell};
    return 0;
}

static int cmp_pend(const void *a, const void *b)
{
    const pend *x = a, *y = b;
    if (x->u != y->u)
        return x->u < y->u ? -1 : 1;
    return (x->day > y->day) - (x->day < y->day);
}

/* Sets the cells p[0 .. n) (one unit's, ascending days) in its cumulative
 * array, widened to take them: O(the unit's span). */
static void apply(fbunit *u, const pend *p, size_t n)
{
    dh_date lo = p[0].day, hi = p[n - 1].day;
    if (u->len) {
        if (u->d0 < lo)
            lo = u->d0;
        if (u->d0 + u->len - 1 > hi)
            hi = u->d0 + u->len - 1;
    }
    int32_t len = (int32_t)(hi - lo + 1);
    dh_fbcell *cum = dh_xcalloc((size_t)len + 1, sizeof *cum);
    /* the cells themselves first (cum[i + 1] holds day lo + i's), then the
     * running sums */
    for (int32_t i = 0; i < u->len; i++) {
        dh_fbcell *d = &cum[u->d0 - lo + i + 1];
        *d = u->cum[i + 1];
        dh_fbcell_add(d, &u->cum[i], -1);
    }
    for (size_t k = 0; k < n; k++)
        cum[p[k].day - lo + 1] = p[k].cell;
    for (int32_t i = 1; i <= len; i++)
        dh_fbcell_add(&cum[i], &cum[i - 1], +1);
    free(u->cum);
    u->cum = cum;
    u->d0 = lo;
    u->len = len;
}

/* Loads the cells above c->rev (all when not loaded) and applies them. */
static dh_status load(dh_fbaggcache *c, dh_conn *conn, dh_err *e)
{
    c->np = 0;
    dh_status st = DH_FEEDBACK(conn)->agg_cells(conn, c->loaded ? c->rev : -1, on_cell, c, e);
    if (st)
        return st;
    if (c->np) /* (qsort wants an array, even of nothing) */
        qsort(c->p, c->np, sizeof *c->p, cmp_pend);
    for (size_t i = 0, j; i < c->np; i = j) {
        for (j = i + 1; j < c->np && c->p[j].u == c->p[i].u; j++)
            ;
        apply(&c->units[c->p[i].u], c->p + i, j - i);
    }
    free(c->p);
    c->p = NULL;
    c->np = c->pcap = 0;
    return DH_OK;
}

/* Brings the copy up to date (c->mu held). */
static dh_status refresh(dh_fbaggcache *c, dh_conn *conn, dh_err *e)
{
    for (int attempt = 0;; attempt++) {
        int64_t epoch = 0, rev = 0, epoch2 = 0;
        dh_status st = DH_META(conn)->meta_get(conn, DH_FB_AGG_EPOCH, &epoch, e);
        if (st == DH_OK)
            st = DH_META(conn)->meta_get(conn, DH_FB_AGG_REV, &rev, e);
        if (st)
            return st;
        if (c->loaded && epoch == c->epoch && rev <= c->rev)
            return DH_OK;
        dh_app_cache_reloaded("feedback aggregates");
        if (!c->loaded || epoch != c->epoch)
            clear(c);
        st = load(c, conn, e);
        /* every write up to rev was committed when rev was read (the
         * bump and its cells are one transaction) */
        if (st == DH_OK && rev > c->rev)
            c->rev = rev;
        if (st == DH_OK) /* a rebuild while loading: load again */
            st = DH_META(conn)->meta_get(conn, DH_FB_AGG_EPOCH, &epoch2, e);
        if (st) {
            clear(c);
            return st;
        }
        c->loaded = true;
        c->epoch = epoch;
        if (epoch2 == epoch || attempt == 2)
            return DH_OK;
    }
}

/* The cells of the days before x. */
static void before(const fbunit *u, dh_date x, dh_fbcell *out)
{
    int64_t i = (int64_t)x - u->d0;
    if (!u->len || i <= 0)
        memset(out, 0, sizeof *out);
    else
        *out = u->cum[i < u->len ? i : u->len];
}

static int on_due(void *closure, const char *unit, int64_t n)
{
    void **cl = closure;
    dh_fbaggcache *c = cl[0];
    int64_t *due = cl[1];
    bool found;
    int32_t at = find(c, unit, &found);
    if (found) /* else written after the copy was read: seen next time */
        due[c->sorted[at]] = n;
    return 0;
}

/* Which units of the copy are in the JSON array of codes units_json (c->mu
 * held); malloc'd. */
static const char *unit_code(const void *copy, size_t i)
{
    return ((const dh_fbaggcache *)copy)->units[i].code;
}

dh_status dh_fb_agg_stats(dh_app *app, const char *units_json, dh_date from, dh_date to,
                          time_t at, dh_fb_stats_cb cb, void *closure, dh_err *e)
{
    dh_conn *conn = dh_store_acquire(app->store, e);
    if (!conn)
        return e->status;
    dh_fbaggcache *c = app->fbagg;
    pthread_mutex_lock(&c->mu);
    dh_status st = refresh(c, conn, e);
    dh_date today = dh_date_of_time_vn(at);
    int64_t *due = dh_xcalloc((size_t)c->n + 1, sizeof *due);
    if (st == DH_OK)
        st = DH_FEEDBACK(conn)->count_open_due(conn, dh_date_start_vn(today), at, on_due,
                                               (void *[]){c, due}, e);
    dh_store_release(conn);
    const bool *in =
        st == DH_OK ? dh_scopememo_get(&c->scopes, units_json, (size_t)c->n, unit_code, c, NULL) : NULL;
    for (int32_t k = 0; st == DH_OK && k < c->n; k++) {
        if (!in[c->sorted[k]])
            continue;
        const fbunit *u = &c->units[c->sorted[k]];
        dh_fbcell period, lo, upto, bef;
        before(u, to + 1, &period);
        before(u, from, &lo);
        dh_fbcell_add(&period, &lo, -1);
        before(u, today + 1, &upto);
        before(u, today, &bef);
        dh_fbfigures g;
        dh_fbfigures_of(&period, &upto, &bef, due[c->sorted[k]], &g);
        if (!g.received && !g.answered && !g.on_time && !g.late && !g.answer_minutes &&
            !g.rated && !g.satisfied && !g.open_within && !g.open_overdue)
            continue;
        dh_fb_stats_row r = {u->code, g.received,       g.answered, g.on_time,
                             g.late,  g.answer_minutes, g.rated,    g.satisfied,
                             g.open_within, g.open_overdue, NULL};
        if (cb(closure, &r))
            break;
    }
    pthread_mutex_unlock(&c->mu);
    free(due);
    return st;
}
