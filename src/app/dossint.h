/* dossint.h - what the dossier files of src/app/ (dossiers.c, dossparse.c,
 * dossread.c) share and nobody else sees: the snapshots an operation works
 * with, one dossier's events, and parsing one event. */
#ifndef DH_APP_DOSSINT_H
#define DH_APP_DOSSINT_H

#include "app/internal.h"

typedef struct ctx {
    dh_app *app;
    const dh_actor *a;
    const dh_unitreg *reg;
    const dh_procset *procs;
    const dh_calset *cals;
    time_t now;
    dh_aggbatch *agg; /* the aggregates' deltas (writers only) */
} ctx;

/* The events of one dossier (during a batch, or a replay). */
typedef struct bucket {
    char *code;
    json_t *bodies; /* array keeping the parsed JSON of every event alive */
    dh_devent *ev;
    size_t n, cap;
    bool dirty;
    bool absent; /* known to have no stored event and no row (not read) */
} bucket;

/* A string member of o, or NULL. */
const char *dh_doss_str_of(json_t *o, const char *k);

/* Fills ev from o (strings borrowed from o). */
dh_status dh_doss_parse_event(const ctx *c, json_t *o, dh_devent *ev, dh_err *e);

/* Adds the stored events of dossier b->code to b. */
dh_status dh_doss_load_bucket(const ctx *c, dh_conn *conn, bucket *b, dh_err *e);

#endif
