/* aggsnap.c - the snapshot of the readers' copy of the service aggregates
 * (issue 20): the copy as aggs.c holds it — every key's encoded day
 * blocks, every unit's cumulative rollup — saved in the database (table
 * agg_snap, store/aggs.h), so that a start, a second node or the first
 * query after a rebuild loads it in one sequential read and then reads
 * only the cells changed since, instead of every cell of agg_days (tens of
 * millions at the mega-province's size: minutes).
 *
 * The format, little-endian: a header — magic "DHAGGSN1", version, the
 * cell size, the aggregates' epoch and the revision the copy had read up
 * to, the counts, the payload's length and checksum — then per key id
 * (1 .. nkeys - 1) a flag, its three names and its unit's index and series
 * (dh_kseries_save), then per unit its code and rollup (dh_kcum_save). It
 * is cut into parts of PART bytes of one generation (meta counter
 * agg_snap_seq); once every part is written, meta agg_snap_gen names the
 * generation and older ones are dropped. A snapshot is used only when its
 * epoch is the current one (a rebuild bumps it) and its revision is not
 * above the current one; a cut, altered or foreign one is ignored and the
 * copy is read from the cells as before. The snapshot is derived data:
 * losing it only makes the next load slower.
 *
 * Who saves: the server's job "aggregates_snapshot" (dh_agg_snapshot_tick)
 * once the copy holds enough cells read from agg_days rather than from a
 * snapshot, and `dieuhanh rebuild` at its end (dh_agg_snapshot_save). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/aggint.h"
#include "util/buf.h"

#define MAGIC "DHAGGSN1"
enum { VERSION = 1, HEADER = 64, PART = 8 << 20 };

static void put_str(dh_buf *b, const char *s)
{
    size_t n = strlen(s);
    dh_buf_le32(b, (uint32_t)n);
    dh_buf_append(b, s, n);
}

typedef struct rd {
    const unsigned char *p, *end;
    bool ok;
} rd;

static uint32_t rd32(rd *r)
{
    uint32_t v = 0;
    r->ok = r->ok && dh_le32_take(&r->p, r->end, &v);
    return v;
}

/* A string of the payload, malloc'd (NULL and r->ok false when cut). */
static char *rd_str(rd *r)
{
    uint32_t n = rd32(r);
    if (!r->ok || (size_t)(r->end - r->p) < n || memchr(r->p, 0, n)) {
        r->ok = false;
        return NULL;
    }
    char *s = dh_xmalloc((size_t)n + 1);
    memcpy(s, r->p, n);
    s[n] = '\0';
    r->p += n;
    return s;
}

/* A checksum of the payload, eight bytes at a time. */
static uint64_t checksum(const unsigned char *p, size_t n)
{
    uint64_t h = 0x6a09e667f3bcc909ULL ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        h = (h ^ dh_le64(p + i)) * 0x9E3779B97F4A7C15ULL;
        h ^= h >> 32;
    }
    for (; i < n; i++)
        h = (h ^ p[i]) * 0x100000001B3ULL;
    return h ^ (h >> 29);
}

/* The copy as a snapshot (c->mu held). */
static void save(const dh_aggcache *c, dh_buf *out)
{
    dh_buf_append(out, MAGIC, 8);
    dh_buf_le32(out, VERSION);
    dh_buf_le32(out, DH_KCELL_BLOB);
    dh_buf_le64(out, (uint64_t)c->epoch);
    dh_buf_le64(out, (uint64_t)c->rev);
    dh_buf_le32(out, (uint32_t)c->nkeys);
    dh_buf_le32(out, (uint32_t)c->nunits);
    dh_buf_le64(out, (uint64_t)c->ncells);
    dh_buf_le64(out, 0); /* the payload's length and checksum, set below */
    dh_buf_le64(out, 0);
    for (int32_t k = 1; k < c->nkeys; k++) {
        const ckey *key = &c->keys[k];
        dh_buf_putc(out, key->unit ? 1 : 0);
        if (!key->unit)
            continue;
        put_str(out, key->unit);
        put_str(out, key->procedure);
        put_str(out, key->field);
        dh_buf_le32(out, (uint32_t)key->uidx);
        dh_kseries_save(&key->s, out);
    }
    for (int32_t u = 0; u < c->nunits; u++) {
        put_str(out, c->units[u].code);
        dh_kcum_save(&c->units[u].s, out);
    }
    size_t n = out->len - HEADER;
    uint64_t sum = checksum((const unsigned char *)out->p + HEADER, n);
    unsigned char *h = (unsigned char *)out->p;
    for (int i = 0; i < 8; i++) {
        h[48 + i] = (unsigned char)((uint64_t)n >> (8 * i));
        h[56 + i] = (unsigned char)(sum >> (8 * i));
    }
}

/* Reads a snapshot into c, empty: false (c to be cleared by the caller)
 * when the bytes are not a whole one of this epoch at most at rev. */
static bool load(dh_aggcache *c, const unsigned char *p, size_t n, int64_t epoch, int64_t rev)
{
    if (n < HEADER || memcmp(p, MAGIC, 8) || dh_le32(p + 8) != VERSION ||
        dh_le32(p + 12) != DH_KCELL_BLOB || (int64_t)dh_le64(p + 16) != epoch ||
        (int64_t)dh_le64(p + 24) > rev || dh_le64(p + 48) != n - HEADER ||
        dh_le64(p + 56) != checksum(p + HEADER, n - HEADER))
        return false;
    uint32_t nkeys = dh_le32(p + 32), nunits = dh_le32(p + 36);
    if (nkeys > (n - HEADER) || nunits > (n - HEADER))
        return false;
    rd r = {p + HEADER, p + n, true};
    c->keys = dh_xcalloc(nkeys ? nkeys : 1, sizeof *c->keys);
    c->kcap = (int32_t)(nkeys ? nkeys : 1);
    c->nkeys = (int32_t)nkeys;
    for (uint32_t k = 1; r.ok && k < nkeys; k++) {
        if (r.p >= r.end) {
            r.ok = false;
            break;
        }
        if (!*r.p++)
            continue;
        ckey *key = &c->keys[k];
        key->unit = rd_str(&r);
        key->procedure = rd_str(&r);
        key->field = rd_str(&r);
        key->uidx = (int32_t)rd32(&r);
        if (!r.ok || key->uidx < 0 || (uint32_t)key->uidx >= nunits ||
            !dh_kseries_load(&key->s, &r.p, r.end))
            r.ok = false;
    }
    for (uint32_t u = 0; r.ok && u < nunits; u++) {
        char *code = rd_str(&r);
        if (!r.ok)
            break;
        int32_t i = dh_aggcache_unit(c, code, true);
        free(code);
        if (i != (int32_t)u || !dh_kcum_load(&c->units[i].s, &r.p, r.end))
            r.ok = false;
    }
    if (!r.ok || r.p != r.end)
        return false;
    c->rev = (int64_t)dh_le64(p + 24);
    c->ncells = (int64_t)dh_le64(p + 40);
    c->since_snap = 0;
    return true;
}

/* ---- Loading (aggs.c's refresh, c->mu held). ----------------------------- */

typedef struct snap_parts {
    dh_buf b;
    int64_t next, epoch, rev;
    bool ok;
    bool older; /* of an epoch before the current one: a rebuild since */
} snap_parts;

static int on_part(void *closure, int64_t part, const void *data, size_t n)
{
    snap_parts *x = closure;
    if (part != x->next++) {
        x->ok = false;
        return 1;
    }
    dh_buf_append(&x->b, data, n);
    /* another epoch or a newer revision: not worth reading the rest */
    if (part == 0 && x->b.len >= HEADER) {
        const unsigned char *h = (const unsigned char *)x->b.p;
        if (memcmp(h, MAGIC, 8) || (int64_t)dh_le64(h + 16) != x->epoch ||
            (int64_t)dh_le64(h + 24) > x->rev) {
            x->ok = false;
            x->older = !memcmp(h, MAGIC, 8) && (int64_t)dh_le64(h + 16) < x->epoch;
            return 1;
        }
    }
    return 0;
}

bool dh_aggsnap_load(dh_aggcache *c, dh_conn *conn, int64_t epoch, int64_t rev)
{
    dh_err e;
    int64_t gen = 0;
    if (DH_META(conn)->meta_get(conn, "agg_snap_gen", &gen, &e) || gen <= 0)
        return false;
    snap_parts x = {DH_BUF_INIT, 0, epoch, rev, true, false};
    bool ok = DH_AGGS(conn)->snap_get(conn, gen, on_part, &x, &e) == DH_OK && x.ok &&
              load(c, (const unsigned char *)x.b.p, x.b.len, epoch, rev);
    dh_buf_free(&x.b);
    if (!ok) { /* leave it empty: the cells are read instead */
        dh_aggcache_clear(c);
        /* one from before a rebuild is expected (the rebuild's own load
         * meets it, then saves the new one): said only when it should fit */
        if (!x.older)
            fprintf(stderr,
                    "dieuhanh: the aggregates' snapshot (generation %lld) does not fit this "
                    "database; reading every cell instead\n",
                    (long long)gen);
    }
    return ok;
}

/* ---- Saving. --------------------------------------------------------------- */

typedef struct put_cl {
    const dh_buf *b;
    int64_t gen, part;
} put_cl;

static dh_status tx_seq(dh_tx *tx, void *closure, dh_err *e)
{
    int64_t *gen = closure;
    dh_status st = DH_META(tx->c)->meta_bump(tx->c, "agg_snap_seq", e);
    return st ? st : DH_META(tx->c)->meta_get(tx->c, "agg_snap_seq", gen, e);
}

static dh_status tx_part(dh_tx *tx, void *closure, dh_err *e)
{
    put_cl *k = closure;
    size_t at = (size_t)k->part * PART, n = k->b->len - at < PART ? k->b->len - at : PART;
    return DH_AGGS(tx->c)->snap_put(tx->c, k->gen, k->part, k->b->p + at, n, e);
}

typedef struct flip_cl {
    int64_t gen, parts, bytes;
    bool named;
} flip_cl;

/* Names the generation once all its parts are there, unless a newer one
 * is named already (another node saved meanwhile); drops the older ones. */
static dh_status tx_flip(dh_tx *tx, void *closure, dh_err *e)
{
    flip_cl *k = closure;
    k->named = false;
    int64_t parts, bytes, cur = 0;
    dh_status st = DH_AGGS(tx->c)->snap_count(tx->c, k->gen, &parts, &bytes, e);
    if (st == DH_OK && (parts != k->parts || bytes != k->bytes))
        return dh_err_set(e, DH_E_CONFLICT, "snapshot_incomplete", NULL,
                          "the aggregates' snapshot %lld lost parts while being written "
                          "(a newer one was named meanwhile)",
                          (long long)k->gen);
    if (st == DH_OK)
        st = DH_META(tx->c)->meta_get(tx->c, "agg_snap_gen", &cur, e);
    if (st || cur > k->gen)
        return st;
    st = DH_META(tx->c)->meta_set(tx->c, "agg_snap_gen", k->gen, e);
    if (st == DH_OK)
        st = DH_AGGS(tx->c)->snap_drop(tx->c, k->gen, e);
    k->named = st == DH_OK;
    return st;
}

dh_status dh_agg_snapshot_save(dh_app *app, int64_t min_cells, bool *saved, dh_err *e)
{
    *saved = false;
    dh_status st = dh_aggcache_locked(app, e);
    if (st)
        return st;
    dh_aggcache *c = app->agg;
    /* due: enough cells read from agg_days since the copy was last saved or
     * loaded from a snapshot, and at least a tenth of the copy */
    if (c->since_snap < (min_cells > 0 ? min_cells : 1) || c->since_snap * 10 < c->ncells) {
        pthread_mutex_unlock(&c->mu);
        return DH_OK;
    }
    dh_buf b = DH_BUF_INIT;
    save(c, &b);
    int64_t since = c->since_snap;
    c->since_snap = 0;
    pthread_mutex_unlock(&c->mu);
    int64_t gen = 0;
    st = dh_tx_run(app, DH_TX_WRITE, tx_seq, &gen, e);
    int64_t nparts = (int64_t)((b.len + PART - 1) / PART);
    for (int64_t i = 0; st == DH_OK && i < nparts; i++) {
        put_cl k = {&b, gen, i};
        st = dh_tx_run(app, DH_TX_WRITE, tx_part, &k, e);
    }
    flip_cl f = {gen, nparts, (int64_t)b.len, false};
    if (st == DH_OK)
        st = dh_tx_run(app, DH_TX_WRITE, tx_flip, &f, e);
    dh_buf_free(&b);
    if (st) { /* due again next time */
        pthread_mutex_lock(&c->mu);
        c->since_snap += since;
        pthread_mutex_unlock(&c->mu);
        return st;
    }
    *saved = f.named;
    return DH_OK;
}

void dh_agg_snapshot_tick(dh_app *app, time_t now)
{
    (void)now;
    dh_err e;
    bool saved = false;
    int min = dh_job_interval("DIEUHANH_AGG_SNAPSHOT_MIN_CELLS", 100000);
    if (dh_agg_snapshot_save(app, min, &saved, &e))
        fprintf(stderr, "dieuhanh: aggregates snapshot: %s\n", e.message);
}
