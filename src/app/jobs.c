/* jobs.c - the server's background jobs: a thread per job that runs it on
 * start and then every `interval` seconds until stopped (app.h). The one
 * file of src/app/ that reads the clock: a job's run is an edge, like an
 * HTTP request or a command, and gets "now" from here. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "app/internal.h"
#include "util/buf.h"

struct dh_job {
    dh_app *app;
    dh_job_fn fn;
    int interval;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
};

static void *job_main(void *arg)
{
    dh_job *j = arg;
    pthread_mutex_lock(&j->lock);
    while (!j->stop) {
        pthread_mutex_unlock(&j->lock);
        j->fn(j->app, time(NULL));
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

dh_job *dh_job_start(dh_app *app, dh_job_fn fn, int interval)
{
    dh_job *j = dh_xcalloc(1, sizeof *j);
    j->app = app;
    j->fn = fn;
    j->interval = interval > 0 ? interval : 1;
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
