/* aggint.h - the readers' copy of the service aggregates as aggs.c keeps
 * it and aggsnap.c saves and loads it; nobody else sees it. */
#ifndef DH_APP_AGGINT_H
#define DH_APP_AGGINT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "app/internal.h"
#include "app/scopememo.h"
#include "core/kseries.h"

/* Each key's day cells are a sparse series with per-block checkpoints;
 * each unit's rollup (the sum of its keys, so that a whole-unit answer
 * reads O(units) series, not O(keys)) a dense cumulative array over the
 * unit's span (core/kseries.h; issue 20). */
typedef struct ckey {
    char *unit, *procedure, *field; /* NULL: no key of this id */
    int32_t uidx;
    dh_kseries s;
} ckey;

typedef struct cunit {
    char *code;
    dh_kcum s;
} cunit;

struct dh_aggcache {
    pthread_mutex_t mu;
    bool loaded;
    int64_t rev, epoch;
    ckey *keys; /* by id; id 0 unused */
    int32_t nkeys, kcap;
    cunit *units;
    int32_t nunits;
    int32_t *uhash; /* open addressing over units, -1 = empty */
    size_t uhcap;
    /* while loading: the units whose rollups are remade from their keys
     * at the end, and whether every changed unit's is instead of being
     * changed cell by cell (a first load, or more than ROLLUP_BULK cells) */
    bool *touched;
    size_t nloaded;
    bool bulk;
    /* cells read into the copy since it was empty (one changed twice
     * counts twice), and since it was last saved or loaded from a snapshot
     * (aggsnap.c) */
    int64_t ncells, since_snap;
    dh_scopememo scopes; /* the units of the copy in a query's scope */
    /* the keys of each unit (ukeys[ustart[u] .. ustart[u+1]]), made when a
     * query by key first needs them after keys were added: a commune's
     * query by procedure reads its 150 keys, not the province's 30,000 */
    int32_t *ustart, *ukeys;
    /* with them, each key's group by procedure (gid[0]) and by field
     * (gid[1], "Khác" for none) as a small number: a query by procedure
     * over a province adds 30,000 keys into a few hundred groups */
    int32_t *gid[2], ngid[2];
    bool ukeys_ok;
    /* the sums of the unit rollups of the last wide scopes (a province's
     * total and trends): made from the rollups when first asked for, then
     * kept up to date cell by cell like them */
    struct stotal {
        char *json; /* the scope's text; NULL: every unit */
        uint64_t hash;
        int32_t n; /* the copy's units when made; in[] has n + 1 */
        bool *in;
        dh_kcum cum;
        bool used, ok;
    } stot[8];
    int stot_next;
    /* the answers of the last queries (app/aggs.c, dh_agg_query_f), each
     * valid while gen is the one it was computed at: gen moves with every
     * cell read into the copy and every clear, so an answer is never older
     * than the copy; a dashboard asks the same few queries again and again */
    uint64_t gen;
    struct qmemo {
        uint64_t hash, gen;
        char *json, *procedure, *field;
        int group;
        dh_date from, to, today;
        dh_agg_group *v;
        size_t n;
        bool used;
    } qm[32];
};

/* Empties c (its keys, units and revision; not its epoch). */
void dh_aggcache_clear(dh_aggcache *c);

/* The index of unit `code` in c->units, added when create (else -1). */
int32_t dh_aggcache_unit(dh_aggcache *c, const char *code, bool create);

/* Locks app's copy and brings it up to date: DH_OK with its mu held, or
 * the error with it released. */
dh_status dh_aggcache_locked(dh_app *app, dh_err *e);

/* Loads the snapshot that meta agg_snap_gen names into c, empty, when it
 * was saved at `epoch` and at a revision not above `rev`: true when
 * loaded (keys, units, rev and counts set), false (c left empty) when
 * there is none or it does not fit (aggsnap.c). */
bool dh_aggsnap_load(dh_aggcache *c, dh_conn *conn, int64_t epoch, int64_t rev);

#endif
