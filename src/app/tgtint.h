/* tgtint.h - what the two target files of src/app/ share: targets.c
 * (create, status overview, the overview's index) and tgtrefresh.c (owned
 * target rows, their series, evaluation and the refresh that derives
 * statuses). Ownership: a tgtlist owns its rows and their strings; free
 * it with dh_tgt_free_all. */
#ifndef DH_APP_TGTINT_H
#define DH_APP_TGTINT_H

#include <math.h>

#include "app/indint.h"

typedef struct tgt {
    int64_t id, indicator_id, split_of, task_id;
    char *unit, *milestones, *plan, *task_ref, *name, *note, *series, *status, *eval, *key;
    double value;
    dh_date due, since, eval_day;
    bool dirty;
} tgt;

typedef struct tgtlist {
    tgt *v;
    size_t n, cap;
} tgtlist;

/* How long a request waits for another thread's refresh, and how long it
 * derives itself before answering with what stands ("refreshing"). */
enum { REFRESH_WAIT_MS = 300, REFRESH_BUDGET_MS = 1000 };

void dh_tgt_free_all(tgtlist *l);
/* A target row callback appending an owned copy to the tgtlist cl. */
int dh_tgt_on_row(void *cl, const dh_target_row *r);
/* Parses a stored series ([[from,to,value],...]) into *out (new, freed by
 * the caller); returns the number of points. */
size_t dh_tgt_series_parse(const char *s, dh_ind_point **out);
/* Evaluates a target on as_of: *ev filled; the eval JSON (new). */
json_t *dh_tgt_evaluate(const tgt *t, const dh_ind *ind, dh_date as_of, dh_tgt_eval *ev);
/* REFRESH_BUDGET_MS, or DIEUHANH_REFRESH_BUDGET_MS when set (0: one
 * indicator at most, as the tests use it). */
int dh_tgt_budget_ms(void);
/* The refresh. With wait_ms >= 0 (a request): *busy when another thread of
 * this process was refreshing for longer than wait_ms (nothing done then)
 * or when the work outlasted budget_ms (what was done is kept, the rest
 * left to the server's job and the next request). */
dh_status dh_tgt_refresh(dh_app *app, time_t now, int wait_ms, int budget_ms, int *recomputed,
                         bool *busy, dh_err *e);

static inline double dh_tgt_round2(double v) { return round(v * 100) / 100; }

#endif
