/* kpiagg.h - service KPIs as sums of per-day counters (issue 5).
 *
 * Every figure of Biểu II.06a and of the KPIs, for a period of whole local
 * days [S, E), is a difference of cumulative counts "how many dossiers had
 * X before day D" (docs/KPIS.md). So a dossier reduces to a fact — the days
 * on which it was received, finished, became overdue, was paid and rated —
 * and an aggregate is one counter cell per (key, day). A cell is changed by
 * adding a fact's contributions (sign +1) and removing its old ones (-1);
 * no answer ever looks at a dossier.
 *
 * Pure: no I/O, no clock. Days are dh_date (days since 1970-01-01, local).
 */
#ifndef DH_KPIAGG_H
#define DH_KPIAGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/date.h"

#define DH_NO_DAY INT32_MIN

/* The counters of one (key, day) cell: what happened on that day. */
enum {
    DH_KC_RECV_COUNTER, /* received, by channel */
    DH_KC_RECV_ONLINE,
    DH_KC_RECV_POSTAL,
    DH_KC_BY_APPLICANT, /* received online, filed by the applicant */
    DH_KC_DIGITISED,    /* received, input digitised on the day of receipt */
    DH_KC_FIN_EARLY,    /* finished (resolved or closed), by outcome */
    DH_KC_FIN_ON_TIME,
    DH_KC_FIN_LATE,
    DH_KC_OVERDUE_FROM, /* the first day at whose end it was open and overdue */
    DH_KC_OVERDUE_TO,   /* the day it finished, for those counted in OVERDUE_FROM */
    DH_KC_PAID,         /* first payment, and whether it was online */
    DH_KC_PAID_ONLINE,
    DH_KC_RATED,        /* first rating, and whether it was 4 or 5 */
    DH_KC_SATISFIED,
    DH_KC_N
};

typedef struct dh_kcell {
    int32_t n[DH_KC_N];
    int64_t minutes; /* working minutes used by the dossiers finished that day */
} dh_kcell;

void dh_kcell_add(dh_kcell *into, const dh_kcell *c, int sign);
bool dh_kcell_zero(const dh_kcell *c);

typedef enum dh_kfin { DH_KFIN_NONE, DH_KFIN_EARLY, DH_KFIN_ON_TIME, DH_KFIN_LATE } dh_kfin;

/* One dossier as the aggregates see it. Every day may be DH_NO_DAY. */
typedef struct dh_dfact {
    int32_t key;      /* aggregation key (receiving unit, procedure, field) */
    int32_t r_day;    /* received (never DH_NO_DAY in a stored fact) */
    int32_t f_day;    /* finished */
    int32_t o_day;    /* became overdue while open (only when before f_day) */
    int32_t paid_day; /* first payment */
    int32_t rated_day;
    uint8_t channel; /* 0 counter, 1 online, 2 postal (dh_channel) */
    uint8_t by_applicant, digitised, paid_online, satisfied;
    uint8_t fin; /* dh_kfin */
    int64_t used_minutes; /* at the finish */
} dh_dfact;

/* A fact's contributions: up to DH_DFACT_MAX (day, counter) pairs, each
 * adding one to that counter of that day (and, for DH_KC_FIN_*, `minutes`
 * to the cell's minutes). Returns how many were written. */
#define DH_DFACT_MAX 12
typedef struct dh_kcontrib {
    int32_t day;
    int counter;
    int64_t minutes;
} dh_kcontrib;
size_t dh_dfact_contribs(const dh_dfact *f, dh_kcontrib out[DH_DFACT_MAX]);

/* Applies a fact's contributions (sign +1 or -1) to a day-indexed cell
 * array: cells[day - d0] for d0 <= day < d0 + len (days outside are an
 * error: returns -1 and changes nothing). */
int dh_dfact_apply(const dh_dfact *f, int sign, dh_kcell *cells, int32_t d0, int32_t len);

/* The figures of a period [from, to] (both inclusive) from cumulative
 * counts taken before `from` and before `to + 1`. */
typedef struct dh_kfigures {
    /* Biểu II.06a */
    int64_t received_total, received_online, received_counter_postal, carried_over;
    int64_t resolved_total, early, on_time, late, in_progress_total, within, overdue;
    /* the rest of the KPIs */
    int64_t received_counter, received_postal, received_by_applicant, digitised;
    int64_t paid, paid_online, rated, satisfied, resolved_minutes;
} dh_kfigures;

void dh_kfigures_from_cum(const dh_kcell *before_from, const dh_kcell *before_end,
                          dh_kfigures *out);
void dh_kfigures_add(dh_kfigures *into, const dh_kfigures *f);
/* The II.06a identities (3 = 4+5+6, 7 = 8+9+10, 11 = 12+13, 3 = 7+11). */
bool dh_kfigures_identities(const dh_kfigures *f);

/* Packs a fact to a fixed little-endian blob of DH_DFACT_BLOB bytes and
 * back (-1 when the blob is not one). */
#define DH_DFACT_BLOB 38
void dh_dfact_pack(const dh_dfact *f, unsigned char out[DH_DFACT_BLOB]);
int dh_dfact_unpack(const unsigned char *b, size_t n, dh_dfact *f);

/* A cell as a fixed little-endian blob of DH_KCELL_BLOB bytes. */
#define DH_KCELL_BLOB (DH_KC_N * 4 + 8)
void dh_kcell_pack(const dh_kcell *c, unsigned char out[DH_KCELL_BLOB]);
int dh_kcell_unpack(const unsigned char *b, size_t n, dh_kcell *c);

#endif
