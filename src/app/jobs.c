/* jobs.c - the server's background jobs: a thread per job that runs it on
 * start and then every `interval` seconds until stopped (app.h). The one
 * file of src/app/ that reads the clock: a job's run is an edge, like an
 * HTTP request or a command, and gets "now" from here.
 *
 * Several nodes: before each run the thread claims the job's lease in the
 * database (store/jobs.h, table job_leases), so that of the nodes on one
 * database one runs the job per interval. The claim lasts
 * DIEUHANH_JOB_LEASE seconds (default twice the interval, at least 60): a
 * node that dies mid-run keeps it that long, then another node takes the
 * job over. What the dead node did is
 * whole transactions (each job writes through the runner, and its work is
 * idempotent: the reminders' day and unique rows, the targets' dirty
 * counter), so the next run finishes it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/internal.h"
#include "util/buf.h"
#include "util/metrics.h"

struct dh_job {
    dh_app *app;
    char name[32];
    dh_job_fn fn;
    int interval, ttl;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
};

static char holder_name[96];
static pthread_once_t holder_once = PTHREAD_ONCE_INIT;

static void holder_init(void)
{
    char host[64] = "";
    if (gethostname(host, sizeof host - 1) != 0 || !host[0])
        snprintf(host, sizeof host, "localhost");
    snprintf(holder_name, sizeof holder_name, "%s:%ld:%lld", host, (long)getpid(), (long long)time(NULL));
}

const char *dh_job_holder(void)
{
    pthread_once(&holder_once, holder_init);
    return holder_name;
}

typedef struct claim_cl {
    const char *name, *holder;
    time_t now;
    int interval, ttl;
    bool done; /* job_done rather than job_claim */
    bool ok;   /* claimed, or still held */
} claim_cl;

static dh_status claim_tx(dh_tx *tx, void *closure, dh_err *e)
{
    claim_cl *cl = closure;
    cl->ok = false;
    if (cl->done)
        return DH_JOBS(tx->c)->job_done(tx->c, cl->name, cl->holder, cl->now, &cl->ok, e);
    return DH_JOBS(tx->c)->job_claim(tx->c, cl->name, cl->holder, cl->now, cl->interval, cl->ttl,
                                     &cl->ok, e);
}

dh_status dh_app_job_claim(dh_app *app, const char *name, const char *holder, time_t now,
                           int interval, int ttl, bool *claimed, dh_err *e)
{
    claim_cl cl = {name, holder, now, interval, ttl, false, false};
    dh_status st = dh_tx_run(app, DH_TX_WRITE, claim_tx, &cl, e);
    *claimed = st == DH_OK && cl.ok;
    return st;
}

dh_status dh_app_job_done(dh_app *app, const char *name, const char *holder, time_t now,
                          bool *held, dh_err *e)
{
    claim_cl cl = {name, holder, now, 0, 0, true, false};
    dh_status st = dh_tx_run(app, DH_TX_WRITE, claim_tx, &cl, e);
    *held = st == DH_OK && cl.ok;
    return st;
}

/* One turn of the job: claim, run, release. DIEUHANH_JOB_HOLD_MS (tests
 * only) waits that long between the claim and the run, so that a test can
 * kill a node that holds a job. */
static void job_turn(dh_job *j)
{
    dh_err e;
    bool claimed = false, held = false;
    const char *me = dh_job_holder();
    if (dh_app_job_claim(j->app, j->name, me, time(NULL), j->interval, j->ttl, &claimed, &e)) {
        fprintf(stderr, "dieuhanh: %s: cannot claim the job: %s\n", j->name, e.message);
        return;
    }
    if (!claimed)
        return; /* another node runs it this interval */
    int hold = dh_job_interval("DIEUHANH_JOB_HOLD_MS", 0);
    if (hold) { /* dh_job_stop cuts it short */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += hold / 1000;
        until.tv_nsec += (long)(hold % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&j->lock);
        while (!j->stop && pthread_cond_timedwait(&j->wake, &j->lock, &until) == 0)
            ;
        pthread_mutex_unlock(&j->lock);
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    j->fn(j->app, time(NULL));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    char labels[DH_METRIC_LABELS_MAX];
    dh_metric_labels(labels, sizeof labels, "job", j->name, (char *)NULL);
    dh_metric_count("dieuhanh_jobs_runs_total", "Runs of a background job on this node.", labels,
                    1);
    dh_metric_observe(dh_metric_get(DH_METRIC_HISTOGRAM, "dieuhanh_job_duration_seconds",
                                    "Duration of a background job's runs on this node.", labels),
                      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    if (dh_app_job_done(j->app, j->name, me, time(NULL), &held, &e))
        fprintf(stderr, "dieuhanh: %s: cannot release the job: %s\n", j->name, e.message);
    else if (!held)
        fprintf(stderr, "dieuhanh: %s: the run outlived its lease (DIEUHANH_JOB_LEASE=%d s) and "
                        "another node took the job\n", j->name, j->ttl);
}

static void *job_main(void *arg)
{
    dh_job *j = arg;
    pthread_mutex_lock(&j->lock);
    while (!j->stop) {
        pthread_mutex_unlock(&j->lock);
        job_turn(j);
        pthread_mutex_lock(&j->lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += j->interval;
        while (!j->stop && pthread_cond_timedwait(&j->wake, &j->lock, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

int dh_job_interval(const char *env, int dflt)
{
    const char *v = getenv(env);
    return v && atoi(v) > 0 ? atoi(v) : dflt;
}

dh_job *dh_job_start(dh_app *app, const char *name, dh_job_fn fn, int interval)
{
    dh_job *j = dh_xcalloc(1, sizeof *j);
    j->app = app;
    snprintf(j->name, sizeof j->name, "%s", name);
    j->fn = fn;
    j->interval = interval > 0 ? interval : 1;
    j->ttl = dh_job_interval("DIEUHANH_JOB_LEASE", j->interval * 2 > 60 ? j->interval * 2 : 60);
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->wake, NULL);
    if (pthread_create(&j->thread, NULL, job_main, j) != 0) {
        pthread_mutex_destroy(&j->lock);
        pthread_cond_destroy(&j->wake);
        free(j);
        return NULL;
    }
    return j;
}

void dh_job_stop(dh_job *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->lock);
    j->stop = true;
    pthread_cond_signal(&j->wake);
    pthread_mutex_unlock(&j->lock);
    pthread_join(j->thread, NULL);
    pthread_mutex_destroy(&j->lock);
    pthread_cond_destroy(&j->wake);
    free(j);
}

void dh_app_request_stop(dh_app *app) { atomic_store(&app->stopping, true); }
