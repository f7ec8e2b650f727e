/* kseries.h - the day cells of one aggregation key, kept sparse, and a
 * unit's rollup as a dense cumulative array (issue 20): a key's memory
 * follows the days that have a cell, not the days between the first and
 * the last.
 *
 * Days are grouped in blocks of DH_KS_DAYS (64) aligned days. A block that
 * holds no cell is not stored. A stored block keeps a bitmap of its days
 * that have a cell, the cells of those days compactly encoded (a 2-byte
 * mask of the nonzero counters, then a byte per nonzero counter — a longer
 * escape for values past 254 or negative — and the minutes as a varint: a
 * typical cell takes 6 to 12 bytes instead of 64), and the
 * cumulative cell before its first day (its checkpoint). So a cumulative
 * count "before day D" is one checkpoint plus the decoding of at most one
 * block's cells (docs/ARCHITECTURE.md, "Sparse aggregates").
 *
 * Changes: setting or adding to the cell of a day after the last one
 * appends to the last block (what a rebuild and ordinary ingestion mostly
 * do); any other day rewrites its block, and the checkpoints after it are
 * recomputed lazily, at the next read.
 *
 * Pure: no I/O. A series is owned by its holder; zero-initialised is
 * empty; dh_kseries_free releases it. Not thread-safe (the holder locks):
 * reads update the lazy checkpoints.
 */
#ifndef DH_KSERIES_H
#define DH_KSERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/kpiagg.h"

#define DH_KS_SHIFT 6
#define DH_KS_DAYS (1 << DH_KS_SHIFT)

typedef struct dh_kblock {
    int32_t bno;      /* floor(day / DH_KS_DAYS) of its days */
    uint32_t len;     /* bytes of encoded cells */
    uint64_t present; /* bit i: day bno * DH_KS_DAYS + i has a cell */
    unsigned char *bytes;
    dh_kcell base; /* cumulative before its first day (valid below `clean`) */
} dh_kblock;

typedef struct dh_kseries {
    dh_kblock *blk; /* ascending bno */
    int32_t nblk, cap;
    int32_t clean; /* blk[0 .. clean) have a valid base */
    int32_t b0;    /* blk[0].bno (meaningful when nblk), read without
                      touching the blocks */
    int32_t last;  /* the last day with a cell (meaningful when nblk) */
    dh_kcell total;
    /* The last two answers of dh_kseries_before: a query reads each series
     * at its period's two boundaries, and pages ask the same periods again
     * and again, so a repeated boundary costs a compare instead of a block's
     * decoding. Cleared by every change (memo_n = 0). */
    int32_t memo_x[2];
    uint8_t memo_n, memo_next;
    dh_kcell memo_v[2];
} dh_kseries;

void dh_kseries_free(dh_kseries *s);

/* Sets the cell of `day` to *cell; *old (when not NULL) receives what it
 * was. */
void dh_kseries_set(dh_kseries *s, int32_t day, const dh_kcell *cell, dh_kcell *old);
/* Adds *delta to the cell of `day`. */
void dh_kseries_add(dh_kseries *s, int32_t day, const dh_kcell *delta);
/* The sum of every cell of a day before x. */
void dh_kseries_before(dh_kseries *s, int32_t x, dh_kcell *out);
/* The cell of one day (zero when none). */
void dh_kseries_get(const dh_kseries *s, int32_t day, dh_kcell *out);

/* Replaces dst by the sum of the n series src[i] (dst not among them). */
void dh_kseries_sum_of(dh_kseries *dst, dh_kseries *const *src, size_t n);

/* A unit's rollup: the sum of its keys as a dense cumulative array over
 * the unit's span, cum[i] = the cells of days [d0, d0 + i), len + 1
 * entries. Units are few (hundreds against tens of thousands of keys), and
 * the province overview and its trends read every unit's rollup at every
 * period boundary: one load each instead of a block's decoding. Zero-
 * initialised is empty; owned by its holder. */
typedef struct dh_kcum {
    int32_t d0, len;
    dh_kcell *cum;
} dh_kcum;

void dh_kcum_free(dh_kcum *c);
/* Replaces c by the sum of the n series src[i]. */
void dh_kcum_sum_of(dh_kcum *c, dh_kseries *const *src, size_t n);
/* Adds delta to the cell of day: false (and nothing changed) when day is
 * outside c's span; the holder then remakes it with dh_kcum_sum_of. */
bool dh_kcum_add(dh_kcum *c, int32_t day, const dh_kcell *delta);
void dh_kcum_before(const dh_kcum *c, int32_t x, dh_kcell *out);
/* Replaces c by the sum of the n cumulative arrays src[i] (each read as
 * dh_kcum_before reads it: nothing before its span, its total after):
 * O(n x the union of their spans), no series read. */
void dh_kcum_sum_cums(dh_kcum *c, const dh_kcum *const *src, size_t n);

/* Saving and loading (the readers' copy's snapshot, app/aggsnap.c): a
 * series as its blocks' encoded cells and its total, little-endian (its
 * checkpoints are remade at the next read); a rollup as its cumulative
 * cells. Save appends to out; load reads from *p (moved past what it read)
 * up to end and replaces *s: false (and *s left empty) when the bytes are
 * not a saved one. */
struct dh_buf;
void dh_kseries_save(const dh_kseries *s, struct dh_buf *out);
bool dh_kseries_load(dh_kseries *s, const unsigned char **p, const unsigned char *end);
void dh_kcum_save(const dh_kcum *c, struct dh_buf *out);
bool dh_kcum_load(dh_kcum *c, const unsigned char **p, const unsigned char *end);

/* Bytes allocated for s (block array and encoded cells, with an estimate
 * of the allocator's overhead), not counting the dh_kseries itself. */
size_t dh_kseries_bytes(const dh_kseries *s);

#endif
