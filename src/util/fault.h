/* fault.h - fault injection for tests, after SQLite's: the events of each
 * kind (a point) are counted, and a test makes a chosen one fail, to walk
 * every cleanup path of an operation (tests/unit/test_faults.c sweeps n
 * over the main writes).
 *
 * Points:
 * - DH_FAULT_TX: the transaction runner (app.c, dh_tx_run) counts each
 *   first attempt whose fn succeeded; a hit rolls it back as if the commit
 *   had met a busy database, so fn runs again. DIEUHANH_TX_FAULT=N in the
 *   environment hits every N-th (the e2e suite's "every write twice" pass).
 * - DH_FAULT_STORE: a store call: each statement a backend runs (SQLite:
 *   dh_sq_stmt, dh_sq_exec; PostgreSQL: dh_pg_exec, dh_pg_command); a hit
 *   fails it with DH_E_DB "injected fault", as a database error would.
 *
 * Counting costs one atomic add per event; nothing fails unless armed (or
 * the environment asks). Thread-safe; the counts are process-wide. */
#ifndef DH_UTIL_FAULT_H
#define DH_UTIL_FAULT_H

#include <stdbool.h>

typedef enum dh_fault_point { DH_FAULT_TX, DH_FAULT_STORE, DH_FAULT_NPOINTS } dh_fault_point;

/* Restarts the count of p; the n-th event from now at p fails (once; the
 * ones after it do not). n 0 fails none (the count still runs). */
void dh_fault_arm(dh_fault_point p, long n);
/* Counts one event at p; true when it is the one to fail. */
bool dh_fault_hit(dh_fault_point p);
/* The events counted at p since it was last armed (or since the start). */
long dh_fault_count(dh_fault_point p);

#endif
