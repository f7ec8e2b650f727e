/* evreader.c - an events file read and prepared on its own thread
 * (evreader.h). The chunks go round a ring of SLOTS: the thread fills slot
 * produced % SLOTS while the caller holds slot consumed % SLOTS, so there are
 * at most SLOTS - 1 chunks read ahead; a slot is emptied by the thread when
 * it fills it again, so that what the thread allocated is freed there. */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/evreader.h"
#include "util/buf.h"
#include "util/csv.h"

#define SLOTS 3
#define BAD_MAX 1000 /* bad lines a chunk holds at most */

struct dh_evreader {
    FILE *f;
    const char *path;
    const dh_ingest *g;
    bool stop_at_bad;
    dh_evchunk slot[SLOTS];
    dh_evchunk *cur; /* the slot the thread fills */
    pthread_t thread;
    bool started; /* the thread runs */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t produced, consumed; /* chunks handed over, and given back */
    bool held;                 /* the caller holds slot consumed % SLOTS */
    bool eof, stop;
};

static void chunk_clear(dh_evchunk *c)
{
    dh_ingest_prep_free(c->prep);
    c->prep = NULL;
    json_array_clear(c->events);
    for (size_t i = 0; i < c->nbad; i++)
        free(c->bad[i]);
    free(c->bad);
    c->bad = NULL;
    c->n = c->nbad = 0;
    c->fatal = false;
}

/* The thread: waits for a free slot and empties it; false when stopped. */
static bool begin_chunk(dh_evreader *r)
{
    pthread_mutex_lock(&r->mu);
    while (!r->stop && r->produced - r->consumed >= SLOTS)
        pthread_cond_wait(&r->cv, &r->mu);
    bool go = !r->stop;
    r->cur = &r->slot[r->produced % SLOTS];
    pthread_mutex_unlock(&r->mu);
    if (go)
        chunk_clear(r->cur);
    return go;
}

/* The thread: prepares the filled slot and hands it over, then takes the
 * next one; false when stopped. */
static bool end_chunk(dh_evreader *r)
{
    dh_evchunk *c = r->cur;
    if (c->n)
        c->prep = dh_ingest_prepare(r->g, c->events);
    pthread_mutex_lock(&r->mu);
    r->produced++;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return begin_chunk(r);
}

static bool stopped(dh_evreader *r)
{
    pthread_mutex_lock(&r->mu);
    bool s = r->stop;
    pthread_mutex_unlock(&r->mu);
    return s;
}

/* A line that is not an event; false when the reading ends here. */
static bool bad(dh_evreader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool bad(dh_evreader *r, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dh_evchunk *c = r->cur;
    if ((c->nbad & (c->nbad - 1)) == 0) /* 0, 1, 2, 4, ...: doubled when full */
        c->bad = dh_xrealloc(c->bad, (c->nbad ? 2 * c->nbad : 1) * sizeof *c->bad);
    c->bad[c->nbad++] = dh_xstrdup(msg);
    if (r->stop_at_bad)
        return false;
    /* a file of bad lines is handed over BAD_MAX at a time, not held whole */
    return c->nbad < BAD_MAX || end_chunk(r);
}

/* An event read; false when stopped. */
static bool add(dh_evreader *r, json_t *o, long line)
{
    dh_evchunk *c = r->cur;
    json_array_append_new(c->events, o);
    c->lines[c->n++] = line;
    if (c->n % 1024 == 0 && stopped(r))
        return false; /* the caller has stopped: the rest of the chunk would be thrown away */
    return c->n < DH_EVREADER_CHUNK || end_chunk(r);
}

static const char *const bool_fields[] = {"by_applicant", "input", "result", NULL};
static const char *const num_fields[] = {"amount", "rating", NULL};

static bool in(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

/* One CSV record as an event object (empty cells left out), or NULL after
 * reporting why not. */
static json_t *csv_event(dh_evreader *r, char **head, char **fl, size_t nf, long line)
{
    json_t *o = json_object();
    for (size_t i = 0; i < nf; i++) {
        if (!*fl[i])
            continue;
        json_t *v;
        if (in(bool_fields, head[i]) && (strcmp(fl[i], "true") == 0 || strcmp(fl[i], "false") == 0))
            v = json_boolean(strcmp(fl[i], "true") == 0);
        else if (in(num_fields, head[i]) && strspn(fl[i], "0123456789.") == strlen(fl[i]))
            v = strchr(fl[i], '.') ? json_real(atof(fl[i])) : json_integer(atoll(fl[i]));
        else
            v = json_string(fl[i]);
        if (!v) {
            bad(r, "%s:%ld: column %s is not valid UTF-8", r->path, line, head[i]);
            json_decref(o);
            return NULL;
        }
        json_object_set_new(o, head[i], v);
    }
    return o;
}

static void read_csv(dh_evreader *r)
{
    dh_csv *c = dh_csv_new(r->f, r->path);
    char **fl;
    size_t nf;
    int k = dh_csv_next(c, &fl, &nf);
    if (k <= 0) {
        bad(r, "%s:1: %s", r->path, k < 0 ? dh_csv_error(c) : "the file is empty");
        r->cur->fatal = true;
        dh_csv_free(c);
        return;
    }
    size_t nh = nf;
    char **head = dh_xcalloc(nh, sizeof *head);
    for (size_t i = 0; i < nh; i++)
        head[i] = dh_xstrdup(fl[i]);
    bool go = true;
    while (go && (k = dh_csv_next(c, &fl, &nf)) != 0) {
        if (k < 0) {
            bad(r, "%s", dh_csv_error(c));
            break; /* a broken quote: the rest cannot be trusted */
        }
        long line = dh_csv_line(c);
        if (nf != nh) {
            go = bad(r, "%s:%ld: %zu fields, the header has %zu", r->path, line, nf, nh);
            continue;
        }
        json_t *o = csv_event(r, head, fl, nf, line);
        go = o ? add(r, o, line) : !r->stop_at_bad;
    }
    for (size_t i = 0; i < nh; i++)
        free(head[i]);
    free(head);
    dh_csv_free(c);
}

static void read_ndjson(dh_evreader *r)
{
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    long no = 0;
    bool go = true;
    while (go && (len = getline(&line, &lcap, r->f)) >= 0) {
        no++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        json_error_t je;
        json_t *o = json_loadb(line, (size_t)len, JSON_REJECT_DUPLICATES, &je);
        go = o ? add(r, o, no) : bad(r, "%s:%ld: column %d: %s", r->path, no, je.column, je.text);
    }
    free(line);
}

static void *run(void *arg)
{
    dh_evreader *r = arg;
    if (begin_chunk(r)) {
        size_t plen = strlen(r->path);
        if (plen > 4 && strcasecmp(r->path + plen - 4, ".csv") == 0)
            read_csv(r);
        else
            read_ndjson(r);
        dh_evchunk *c = r->cur;
        if (!stopped(r) && (c->n || c->nbad))
            end_chunk(r);
    }
    pthread_mutex_lock(&r->mu);
    r->eof = true;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

dh_evreader *dh_evreader_start(FILE *f, const char *path, const dh_ingest *g, bool stop_at_bad)
{
    dh_evreader *r = dh_xcalloc(1, sizeof *r);
    r->f = f;
    r->path = path;
    r->g = g;
    r->stop_at_bad = stop_at_bad;
    for (int i = 0; i < SLOTS; i++)
        r->slot[i].events = json_array();
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    json_object_seed(0); /* jansson's hash seed, set once before two threads make objects */
    rewind(f);
    r->started = pthread_create(&r->thread, NULL, run, r) == 0;
    if (!r->started) { /* the file is then not read: a failure of the import */
        r->eof = true;
        r->slot[0].bad = dh_xcalloc(1, sizeof *r->slot[0].bad);
        char msg[600];
        snprintf(msg, sizeof msg, "%s: cannot start the reader thread", path);
        r->slot[0].bad[0] = dh_xstrdup(msg);
        r->slot[0].nbad = 1;
        r->slot[0].fatal = true;
        r->produced = 1;
    }
    return r;
}

const dh_evchunk *dh_evreader_next(dh_evreader *r)
{
    pthread_mutex_lock(&r->mu);
    if (r->held) {
        r->consumed++;
        r->held = false;
        pthread_cond_broadcast(&r->cv);
    }
    while (r->consumed == r->produced && !r->eof)
        pthread_cond_wait(&r->cv, &r->mu);
    const dh_evchunk *c = NULL;
    if (r->consumed < r->produced) {
        c = &r->slot[r->consumed % SLOTS];
        r->held = true;
    }
    pthread_mutex_unlock(&r->mu);
    return c;
}

void dh_evreader_finish(dh_evreader *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    if (r->started)
        pthread_join(r->thread, NULL);
    for (int i = 0; i < SLOTS; i++) {
        chunk_clear(&r->slot[i]);
        json_decref(r->slot[i].events);
    }
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
}
