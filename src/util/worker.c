/* worker.c - one background thread that runs one job at a time: see worker.h. */
#include "util/worker.h"

#include <pthread.h>
#include <stdlib.h>

#include "util/buf.h"

struct dh_worker {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool threaded, stopping;
    void (*fn)(void *arg); /* the job submitted and not done yet, or NULL */
    void *arg;
};

static void *run(void *p)
{
    dh_worker *w = p;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->fn && !w->stopping)
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->fn)
            break; /* stopping, nothing left */
        void (*fn)(void *) = w->fn;
        void *arg = w->arg;
        pthread_mutex_unlock(&w->mu);
        fn(arg);
        pthread_mutex_lock(&w->mu);
        w->fn = NULL;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Waits, w->mu held, until the job submitted last is done. */
static void wait_done(dh_worker *w)
{
    while (w->fn)
        pthread_cond_wait(&w->cv, &w->mu);
}

dh_worker *dh_worker_start(void)
{
    dh_worker *w = dh_xcalloc(1, sizeof *w);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->threaded = pthread_create(&w->thread, NULL, run, w) == 0;
    return w;
}

void dh_worker_submit(dh_worker *w, void (*fn)(void *arg), void *arg)
{
    if (!w->threaded) {
        fn(arg);
        return;
    }
    pthread_mutex_lock(&w->mu);
    wait_done(w); /* a caller that did not wait: wait for it here */
    w->fn = fn;
    w->arg = arg;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void dh_worker_wait(dh_worker *w)
{
    if (!w->threaded)
        return;
    pthread_mutex_lock(&w->mu);
    wait_done(w);
    pthread_mutex_unlock(&w->mu);
}

void dh_worker_stop(dh_worker *w)
{
    if (!w)
        return;
    if (w->threaded) {
        pthread_mutex_lock(&w->mu);
        wait_done(w);
        w->stopping = true;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->thread, NULL);
    }
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}
