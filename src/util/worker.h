/* worker.h - one background thread that runs one job at a time.
 *
 * The caller submits a job, goes on with its own work, and waits for the job
 * before it submits the next one or reads what the job wrote: the wait is
 * the hand-over (a mutex), so the job's writes are visible after it. The
 * rebuild (app/dossiers.c) parses the next chunk of events on it while the
 * caller's thread derives the chunk before. When no thread can be started,
 * dh_worker_submit runs the job at once on the caller's thread: the same
 * results, without the overlap. */
#ifndef DH_UTIL_WORKER_H
#define DH_UTIL_WORKER_H

#include <stdbool.h>

typedef struct dh_worker dh_worker;

/* A new worker (never NULL; it may have no thread, see above). */
dh_worker *dh_worker_start(void);

/* Runs fn(arg) on the worker. The job submitted before must have been
 * waited for. */
void dh_worker_submit(dh_worker *w, void (*fn)(void *arg), void *arg);

/* Returns once the job submitted last is done (at once when none is). */
void dh_worker_wait(dh_worker *w);

/* Waits for the last job, stops the thread and frees w (NULL: nothing). */
void dh_worker_stop(dh_worker *w);

#endif
