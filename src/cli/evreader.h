/* evreader.h - an events file read on a thread of its own for `dieuhanh
 * import events`: NDJSON (or CSV, by the file's name) turned into chunks of
 * at most DH_EVREADER_CHUNK events, each parsed and prepared
 * (dh_ingest_prepare, app.h) while the caller adds the one before to the
 * store. On two cores the import's own work on each line (reading the JSON,
 * checking its fields, writing its canonical body) then runs beside
 * SQLite's, instead of before it. */
#ifndef DH_CLI_EVREADER_H
#define DH_CLI_EVREADER_H

#include <stdbool.h>
#include <stdio.h>

#include "app/app.h"

#define DH_EVREADER_CHUNK 10000

typedef struct dh_evchunk {
    json_t *events;                 /* the chunk's event objects, in file order */
    long lines[DH_EVREADER_CHUNK];  /* the line of each */
    size_t n;                       /* how many */
    dh_ingest_prep *prep;           /* the events prepared (NULL when n == 0) */
    char **bad;                     /* the lines read with the chunk that are not events, */
    size_t nbad;                    /* "FILE:LINE: reason", in file order, to report first */
    bool fatal; /* the file cannot be read at all (a CSV file without its header): the import
                   fails even with --partial */
} dh_evchunk;

typedef struct dh_evreader dh_evreader;

/* Reads f (named path in messages) from its start on a new thread,
 * preparing each chunk with g. stop_at_bad: stop at the first bad line (all
 * or nothing: nothing after it matters). f and g must outlive the reader
 * and must not be used by the caller until dh_evreader_finish; g's
 * snapshots are read by the thread (dh_ingest_prepare), so the caller may
 * call dh_ingest_add_prepared meanwhile, but nothing else with g. */
dh_evreader *dh_evreader_start(FILE *f, const char *path, const dh_ingest *g, bool stop_at_bad);
/* The next chunk in file order (waiting for it), or NULL after the last.
 * The chunk is the caller's until the next call, which gives it back. */
const dh_evchunk *dh_evreader_next(dh_evreader *r);
/* Stops the thread wherever it is (after the last chunk, or early), waits
 * for it and frees everything. */
void dh_evreader_finish(dh_evreader *r);

#endif
