/* kseries.c - sparse day cells with per-block checkpoints (kseries.h). */
#include "core/kseries.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

static int32_t bno_of(int32_t day)
{
    return (int32_t)(((int64_t)day - ((day < 0) ? DH_KS_DAYS - 1 : 0)) / DH_KS_DAYS);
}

/* ---- The cell codec. ------------------------------------------------------ */

static size_t put_varint(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

static uint64_t get_varint(const unsigned char **p)
{
    uint64_t v = 0;
    int shift = 0;
    const unsigned char *q = *p;
    while (*q & 0x80) {
        v |= (uint64_t)(*q++ & 0x7f) << shift;
        shift += 7;
    }
    v |= (uint64_t)*q++ << shift;
    *p = q;
    return v;
}

static uint64_t zz(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static int64_t unzz(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

/* A cell: a 2-byte mask of its nonzero counters (bit DH_KC_N: minutes),
 * then each nonzero counter as one byte when in 1..254, else 0xFF and a
 * zigzag varint, then the minutes as a zigzag varint. Most counters of a
 * day are 0 or small, and a byte per counter decodes without a loop. */
enum { CELL_MAX = 2 + DH_KC_N * 6 + 10 };

static size_t encode(unsigned char *p, const dh_kcell *c)
{
    uint32_t mask = 0;
    for (int i = 0; i < DH_KC_N; i++)
        if (c->n[i])
            mask |= 1u << i;
    if (c->minutes)
        mask |= 1u << DH_KC_N;
    p[0] = (unsigned char)mask;
    p[1] = (unsigned char)(mask >> 8);
    size_t n = 2;
    for (int i = 0; i < DH_KC_N; i++) {
        if (!c->n[i])
            continue;
        if (c->n[i] > 0 && c->n[i] < 0xFF) {
            p[n++] = (unsigned char)c->n[i];
        } else {
            p[n++] = 0xFF;
            n += put_varint(p + n, zz(c->n[i]));
        }
    }
    if (c->minutes)
        n += put_varint(p + n, zz(c->minutes));
    return n;
}

/* Adds the next cell at *pp to *acc (when acc is not NULL) and moves on. */
static inline void decode_add(const unsigned char **pp, dh_kcell *acc)
{
    const unsigned char *p = *pp;
    uint32_t mask = p[0] | (uint32_t)p[1] << 8;
    p += 2;
    for (uint32_t m = mask & ((1u << DH_KC_N) - 1); m; m &= m - 1) {
        int64_t v;
        if (*p != 0xFF) {
            v = *p++;
        } else {
            p++;
            v = unzz(get_varint(&p));
        }
        if (acc)
            acc->n[__builtin_ctz(m)] += (int32_t)v;
    }
    if (mask >> DH_KC_N) {
        int64_t v = unzz(get_varint(&p));
        if (acc)
            acc->minutes += v;
    }
    *pp = p;
}

static int popcount64(uint64_t x) { return __builtin_popcountll(x); }

/* ---- Blocks. -------------------------------------------------------------- */

void dh_kseries_free(dh_kseries *s)
{
    for (int32_t i = 0; i < s->nblk; i++)
        free(s->blk[i].bytes);
    free(s->blk);
    memset(s, 0, sizeof *s);
}

static size_t cap_of(uint32_t len) { return len ? ((size_t)len + 31) & ~(size_t)31 : 0; }

/* Makes room for len bytes in b (its content kept). */
static void reserve(dh_kblock *b, uint32_t len)
{
    if (cap_of(len) != cap_of(b->len) || !b->bytes)
        b->bytes = dh_xrealloc(b->bytes, cap_of(len) ? cap_of(len) : 32);
}

/* The index of the last block whose bno <= bno, or -1. */
static int32_t find(const dh_kseries *s, int32_t bno)
{
    int32_t lo = 0, hi = s->nblk; /* answer in [lo - 1, hi) */
    if (!hi || s->b0 > bno)
        return -1;
    if (s->last >> DH_KS_SHIFT <= bno) /* s->last is in the last block */
        return hi - 1;
    /* blocks are mostly contiguous: the answer is at most bno - first's
     * bno, and usually that */
    int64_t guess = (int64_t)bno - s->b0;
    if (guess < hi) {
        if (s->blk[guess].bno == bno)
            return (int32_t)guess;
        hi = (int32_t)guess + 1;
    }
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (s->blk[mid].bno <= bno)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1;
}

static dh_kblock *insert_block(dh_kseries *s, int32_t at, int32_t bno)
{
    if (s->nblk == s->cap) {
        s->cap = s->cap ? s->cap + s->cap / 2 + 1 : 2;
        s->blk = dh_xrealloc(s->blk, (size_t)s->cap * sizeof *s->blk);
    }
    memmove(&s->blk[at + 1], &s->blk[at], (size_t)(s->nblk - at) * sizeof *s->blk);
    s->nblk++;
    dh_kblock *b = &s->blk[at];
    memset(b, 0, sizeof *b);
    b->bno = bno;
    s->b0 = s->blk[0].bno;
    /* its base, and those after it, are recomputed at the next read */
    if (s->clean > at)
        s->clean = at;
    return b;
}

/* Decodes block b into cells[64] (zero where no cell). */
static void unpack(const dh_kblock *b, dh_kcell cells[DH_KS_DAYS])
{
    memset(cells, 0, DH_KS_DAYS * sizeof *cells);
    const unsigned char *p = b->bytes;
    for (uint64_t m = b->present; m; m &= m - 1)
        decode_add(&p, &cells[__builtin_ctzll(m)]);
}

/* Encodes cells[64] into b. */
static void pack(dh_kblock *b, const dh_kcell cells[DH_KS_DAYS])
{
    unsigned char tmp[DH_KS_DAYS * CELL_MAX];
    uint32_t n = 0;
    uint64_t present = 0;
    for (int i = 0; i < DH_KS_DAYS; i++) {
        if (dh_kcell_zero(&cells[i]))
            continue;
        present |= 1ull << i;
        n += (uint32_t)encode(tmp + n, &cells[i]);
    }
    if (n != b->len || !b->bytes) {
        free(b->bytes);
        b->bytes = dh_xmalloc(cap_of(n) ? cap_of(n) : 32);
    }
    memcpy(b->bytes, tmp, n);
    b->len = n;
    b->present = present;
}

static void update(dh_kseries *s, int32_t day, const dh_kcell *v, int add, dh_kcell *old)
{
    s->memo_n = 0;
    int32_t bno = bno_of(day), off = day - bno * DH_KS_DAYS;
    int32_t i = find(s, bno);
    if (i < 0 || s->blk[i].bno != bno) {
        if (dh_kcell_zero(v)) {
            if (old)
                memset(old, 0, sizeof *old);
            return;
        }
        insert_block(s, i + 1, bno);
        i++;
    }
    dh_kblock *b = &s->blk[i];
    if (i == s->nblk - 1 && (!b->present || day > s->last)) {
        /* a day after the last one: appended */
        if (old)
            memset(old, 0, sizeof *old);
        if (dh_kcell_zero(v))
            return;
        unsigned char tmp[CELL_MAX];
        uint32_t n = (uint32_t)encode(tmp, v);
        reserve(b, b->len + n);
        memcpy(b->bytes + b->len, tmp, n);
        b->len += n;
        b->present |= 1ull << off;
        s->last = day;
        dh_kcell_add(&s->total, v, 1);
        return;
    }
    dh_kcell cells[DH_KS_DAYS];
    unpack(b, cells);
    if (old)
        *old = cells[off];
    dh_kcell_add(&s->total, &cells[off], -1);
    if (add)
        dh_kcell_add(&cells[off], v, 1);
    else
        cells[off] = *v;
    dh_kcell_add(&s->total, &cells[off], 1);
    pack(b, cells);
    if (s->clean > i + 1)
        s->clean = i + 1;
    if (i == s->nblk - 1 && b->present) {
        s->last = bno * DH_KS_DAYS + 63 - __builtin_clzll(b->present);
    } else if (i == s->nblk - 1) {
        /* the last block emptied: drop it, so that appends stay appends */
        free(b->bytes);
        s->nblk--;
        if (s->clean > s->nblk)
            s->clean = s->nblk;
        while (s->nblk && !s->blk[s->nblk - 1].present) {
            free(s->blk[s->nblk - 1].bytes);
            s->nblk--;
        }
        if (s->nblk) {
            dh_kblock *l = &s->blk[s->nblk - 1];
            s->last = l->bno * DH_KS_DAYS + 63 - __builtin_clzll(l->present);
        }
    }
}

void dh_kseries_set(dh_kseries *s, int32_t day, const dh_kcell *cell, dh_kcell *old)
{
    update(s, day, cell, 0, old);
}

void dh_kseries_add(dh_kseries *s, int32_t day, const dh_kcell *delta)
{
    update(s, day, delta, 1, NULL);
}

static void block_sum(const dh_kblock *b, dh_kcell *acc)
{
    const unsigned char *p = b->bytes;
    for (uint64_t m = b->present; m; m &= m - 1)
        decode_add(&p, acc);
}

static void before_decoded(dh_kseries *s, int32_t x, dh_kcell *out);

void dh_kseries_before(dh_kseries *s, int32_t x, dh_kcell *out)
{
    for (int i = 0; i < s->memo_n; i++)
        if (s->memo_x[i] == x) {
            *out = s->memo_v[i];
            return;
        }
    before_decoded(s, x, out);
    int slot = s->memo_next;
    s->memo_x[slot] = x;
    s->memo_v[slot] = *out;
    s->memo_next = (uint8_t)(slot ^ 1);
    if (s->memo_n < 2)
        s->memo_n++;
}

static void before_decoded(dh_kseries *s, int32_t x, dh_kcell *out)
{
    memset(out, 0, sizeof *out);
    if (!s->nblk)
        return;
    if (s->clean < s->nblk) {
        int32_t i = s->clean;
        if (i == 0) {
            memset(&s->blk[0].base, 0, sizeof s->blk[0].base);
            i = 1;
        }
        for (; i < s->nblk; i++) {
            s->blk[i].base = s->blk[i - 1].base;
            block_sum(&s->blk[i - 1], &s->blk[i].base);
        }
        s->clean = s->nblk;
    }
    int32_t d = x - 1, bno = bno_of(d);
    int32_t i = find(s, bno);
    if (i < 0)
        return;
    const dh_kblock *b = &s->blk[i];
    int32_t upto = b->bno < bno ? DH_KS_DAYS : d - bno * DH_KS_DAYS + 1; /* days of b before x */
    uint64_t below = upto >= DH_KS_DAYS ? ~0ull : (1ull << upto) - 1;
    if ((b->present & below) == b->present) {
        *out = i + 1 < s->nblk ? s->blk[i + 1].base : s->total;
        return;
    }
    int k = popcount64(b->present & below), all = popcount64(b->present);
    const unsigned char *p = b->bytes;
    if (2 * k <= all || i + 1 == s->nblk) {
        *out = b->base;
        for (int j = 0; j < k; j++)
            decode_add(&p, out);
    } else {
        /* nearer the end: the next checkpoint less the cells from x on */
        dh_kcell rest = {0};
        for (int j = 0; j < k; j++)
            decode_add(&p, NULL);
        for (int j = k; j < all; j++)
            decode_add(&p, &rest);
        *out = s->blk[i + 1].base;
        dh_kcell_add(out, &rest, -1);
    }
}

void dh_kseries_get(const dh_kseries *s, int32_t day, dh_kcell *out)
{
    memset(out, 0, sizeof *out);
    int32_t bno = bno_of(day), off = day - bno * DH_KS_DAYS;
    int32_t i = find(s, bno);
    if (i < 0 || s->blk[i].bno != bno || !(s->blk[i].present & (1ull << off)))
        return;
    const dh_kblock *b = &s->blk[i];
    const unsigned char *p = b->bytes;
    int k = popcount64(b->present & ((1ull << off) - 1));
    for (int j = 0; j < k; j++)
        decode_add(&p, NULL);
    decode_add(&p, out);
}

static void sum_into(const dh_kseries *s, dh_kcell *dense, int32_t d0, int32_t len)
{
    for (int32_t i = 0; i < s->nblk; i++) {
        const dh_kblock *b = &s->blk[i];
        const unsigned char *p = b->bytes;
        for (uint64_t m = b->present; m; m &= m - 1) {
            int32_t day = b->bno * DH_KS_DAYS + __builtin_ctzll(m);
            if (day >= d0 && day - d0 < len)
                decode_add(&p, &dense[day - d0]);
            else
                decode_add(&p, NULL);
        }
    }
}

static void from_dense(dh_kseries *s, const dh_kcell *dense, int32_t d0, int32_t len)
{
    dh_kseries_free(s);
    for (int32_t i = 0; i < len; i++)
        if (!dh_kcell_zero(&dense[i]))
            update(s, d0 + i, &dense[i], 0, NULL);
}

/* The span [*lo, *hi) of the days of the n series (empty: lo >= hi). */
static void span_of(dh_kseries *const *src, size_t n, int32_t *lo, int32_t *hi)
{
    *lo = INT32_MAX;
    *hi = INT32_MIN;
    for (size_t i = 0; i < n; i++) {
        if (!src[i]->nblk)
            continue;
        if (src[i]->blk[0].bno * DH_KS_DAYS < *lo)
            *lo = src[i]->blk[0].bno * DH_KS_DAYS;
        if (src[i]->last + 1 > *hi)
            *hi = src[i]->last + 1;
    }
}

void dh_kcum_free(dh_kcum *c)
{
    free(c->cum);
    memset(c, 0, sizeof *c);
}

/* Empties c and gives it the zeroed span [lo, hi): false when empty. */
static bool cum_span(dh_kcum *c, int32_t lo, int32_t hi)
{
    dh_kcum_free(c);
    if (lo >= hi)
        return false;
    c->cum = dh_xcalloc((size_t)(hi - lo) + 1, sizeof *c->cum);
    c->d0 = lo;
    c->len = hi - lo;
    return true;
}

void dh_kcum_sum_of(dh_kcum *c, dh_kseries *const *src, size_t n)
{
    int32_t lo, hi;
    span_of(src, n, &lo, &hi);
    if (!cum_span(c, lo, hi))
        return;
    /* cum[i + 1] first holds day i's cell, then the running sum */
    for (size_t i = 0; i < n; i++)
        sum_into(src[i], c->cum + 1, lo, hi - lo);
    for (int32_t i = 1; i <= c->len; i++)
        dh_kcell_add(&c->cum[i], &c->cum[i - 1], 1);
}

bool dh_kcum_add(dh_kcum *c, int32_t day, const dh_kcell *delta)
{
    if (!c->cum || day < c->d0 || day >= c->d0 + c->len)
        return false;
    for (int32_t i = day - c->d0 + 1; i <= c->len; i++)
        dh_kcell_add(&c->cum[i], delta, 1);
    return true;
}

void dh_kcum_sum_cums(dh_kcum *c, const dh_kcum *const *src, size_t n)
{
    int32_t lo = INT32_MAX, hi = INT32_MIN;
    for (size_t i = 0; i < n; i++)
        if (src[i]->cum && src[i]->len > 0) {
            if (src[i]->d0 < lo)
                lo = src[i]->d0;
            if (src[i]->d0 + src[i]->len > hi)
                hi = src[i]->d0 + src[i]->len;
        }
    if (!cum_span(c, lo, hi))
        return;
    for (size_t k = 0; k < n; k++) {
        const dh_kcum *s = src[k];
        if (!s->cum || s->len <= 0)
            continue;
        /* cum[i] holds the days before lo + i: s's entry i - (s->d0 - lo),
         * nothing before s's start, its total after its end */
        int32_t off = s->d0 - lo;
        for (int32_t i = off + 1; i <= c->len; i++)
            dh_kcell_add(&c->cum[i], &s->cum[i - off > s->len ? s->len : i - off], 1);
    }
}

void dh_kcum_before(const dh_kcum *c, int32_t x, dh_kcell *out)
{
    if (!c->cum || x <= c->d0) {
        memset(out, 0, sizeof *out);
        return;
    }
    int64_t i = (int64_t)x - c->d0;
    *out = c->cum[i > c->len ? c->len : i];
}

void dh_kseries_sum_of(dh_kseries *dst, dh_kseries *const *src, size_t n)
{
    int32_t lo, hi;
    span_of(src, n, &lo, &hi);
    dh_kseries_free(dst);
    if (lo >= hi)
        return;
    dh_kcell *dense = dh_xcalloc((size_t)(hi - lo), sizeof *dense);
    for (size_t i = 0; i < n; i++)
        sum_into(src[i], dense, lo, hi - lo);
    from_dense(dst, dense, lo, hi - lo);
    free(dense);
}

size_t dh_kseries_bytes(const dh_kseries *s)
{
    size_t n = s->cap ? (size_t)s->cap * sizeof *s->blk + 16 : 0;
    for (int32_t i = 0; i < s->nblk; i++)
        n += (cap_of(s->blk[i].len) ? cap_of(s->blk[i].len) : 32) + 16;
    return n;
}

/* ---- Saving and loading (a snapshot of the readers' copy). ---------------- */

static void put_cell(dh_buf *out, const dh_kcell *c)
{
    unsigned char b[DH_KCELL_BLOB];
    dh_kcell_pack(c, b);
    dh_buf_append(out, b, sizeof b);
}

static bool get_cell(const unsigned char **p, const unsigned char *end, dh_kcell *c)
{
    if (end - *p < DH_KCELL_BLOB || dh_kcell_unpack(*p, DH_KCELL_BLOB, c))
        return false;
    *p += DH_KCELL_BLOB;
    return true;
}

void dh_kseries_save(const dh_kseries *s, dh_buf *out)
{
    dh_buf_le32(out, (uint32_t)s->nblk);
    if (!s->nblk)
        return;
    dh_buf_le32(out, (uint32_t)s->last);
    put_cell(out, &s->total);
    for (int32_t i = 0; i < s->nblk; i++) {
        const dh_kblock *b = &s->blk[i];
        dh_buf_le32(out, (uint32_t)b->bno);
        dh_buf_le64(out, b->present);
        dh_buf_le32(out, b->len);
        dh_buf_append(out, b->bytes, b->len);
    }
}

/* Whether p[0 .. len) is exactly n cells as encode writes them: no read
 * past len, no undefined mask bit, varints of at most 10 bytes. */
static bool cells_ok(const unsigned char *p, uint32_t len, int n)
{
    const unsigned char *end = p + len;
    for (int i = 0; i < n; i++) {
        if (end - p < 2)
            return false;
        uint32_t mask = p[0] | (uint32_t)p[1] << 8;
        p += 2;
        if (mask >> (DH_KC_N + 1))
            return false;
        int fields = __builtin_popcount(mask);
        for (int f = 0; f < fields; f++) {
            bool varint = f == fields - 1 && (mask >> DH_KC_N);
            if (!varint) {
                if (p == end)
                    return false;
                if (*p++ != 0xFF)
                    continue;
            }
            int k = 0;
            while (p < end && (*p & 0x80) && k < 9)
                p++, k++;
            if (p == end || (*p & 0x80))
                return false;
            p++;
        }
    }
    return p == end;
}

bool dh_kseries_load(dh_kseries *s, const unsigned char **p, const unsigned char *end)
{
    dh_kseries_free(s);
    uint32_t n, last;
    if (!dh_le32_take(p, end, &n) || n > (uint32_t)(end - *p) / 16)
        return false;
    if (!n)
        return true;
    if (!dh_le32_take(p, end, &last) || !get_cell(p, end, &s->total))
        goto bad;
    s->blk = dh_xcalloc(n, sizeof *s->blk);
    s->cap = (int32_t)n;
    for (uint32_t i = 0; i < n; i++) {
        dh_kblock *b = &s->blk[i];
        uint32_t bno, len;
        if (!dh_le32_take(p, end, &bno) || !dh_le64_take(p, end, &b->present) ||
            !dh_le32_take(p, end, &len) || len > (uint32_t)(end - *p) || !b->present ||
            len < (uint32_t)popcount64(b->present) * 2 ||
            (i && (int32_t)bno <= s->blk[i - 1].bno) ||
            (int32_t)bno < (INT32_MIN >> DH_KS_SHIFT) || (int32_t)bno > (INT32_MAX >> DH_KS_SHIFT))
            goto bad; /* a block's days are int32 days */
        if (!cells_ok(*p, len, popcount64(b->present)))
            goto bad;
        b->bno = (int32_t)bno;
        b->len = len;
        b->bytes = dh_xmalloc(cap_of(len));
        memcpy(b->bytes, *p, len);
        *p += len;
        s->nblk = (int32_t)i + 1;
    }
    s->last = (int32_t)last;
    s->b0 = s->blk[0].bno;
    if (bno_of(s->last) != s->blk[n - 1].bno)
        goto bad;
    s->clean = 0; /* the checkpoints are remade at the next read */
    return true;
bad:
    dh_kseries_free(s);
    return false;
}

/* The rollup as its day cells (each the difference of two cumulative
 * entries: cum[0] is always zero) encoded as a block's cells are: a busy
 * unit's day is ~10 bytes instead of 64. */
void dh_kcum_save(const dh_kcum *c, dh_buf *out)
{
    dh_buf_le32(out, (uint32_t)(c->cum ? c->len : 0));
    if (!c->cum || !c->len)
        return;
    dh_buf_le32(out, (uint32_t)c->d0);
    size_t at = out->len;
    dh_buf_le32(out, 0); /* the cells' bytes, set below */
    unsigned char tmp[CELL_MAX];
    for (int32_t i = 0; i < c->len; i++) {
        dh_kcell d = c->cum[i + 1];
        dh_kcell_add(&d, &c->cum[i], -1);
        dh_buf_append(out, tmp, encode(tmp, &d));
    }
    uint32_t n = (uint32_t)(out->len - at - 4);
    for (int k = 0; k < 4; k++)
        out->p[at + (size_t)k] = (char)(n >> (8 * k));
}

/* acc += d, false when a sum leaves its type. */
static bool add_checked(dh_kcell *acc, const dh_kcell *d)
{
    for (int i = 0; i < DH_KC_N; i++)
        if (__builtin_add_overflow(acc->n[i], d->n[i], &acc->n[i]))
            return false;
    return !__builtin_add_overflow(acc->minutes, d->minutes, &acc->minutes);
}

bool dh_kcum_load(dh_kcum *c, const unsigned char **p, const unsigned char *end)
{
    dh_kcum_free(c);
    uint32_t len, d0, n;
    if (!dh_le32_take(p, end, &len))
        return false;
    if (!len)
        return true;
    if (len > (uint32_t)(end - *p) / 2 || !dh_le32_take(p, end, &d0) || !dh_le32_take(p, end, &n) ||
        n > (uint32_t)(end - *p) || !cells_ok(*p, n, (int)len))
        return false;
    c->cum = dh_xcalloc((size_t)len + 1, sizeof *c->cum);
    const unsigned char *q = *p;
    for (uint32_t i = 0; i < len; i++) {
        dh_kcell d = {{0}, 0};
        decode_add(&q, &d);
        c->cum[i + 1] = c->cum[i];
        if (!add_checked(&c->cum[i + 1], &d)) {
            dh_kcum_free(c);
            return false;
        }
    }
    *p += n;
    c->d0 = (int32_t)d0;
    c->len = (int32_t)len;
    return true;
}
