/* fzapp.h - the application the importer harnesses feed: a real SQLite
 * database in a temporary folder (under /dev/shm when there is one, so
 * that commits cost no disk), migrated and loaded with the demo province
 * (units, procedures, users), opened once per process and removed at exit.
 * Inputs that are accepted stay in the database, as they would on a server
 * that keeps receiving files. */
#ifndef DH_FUZZ_FZAPP_H
#define DH_FUZZ_FZAPP_H

#include <time.h>

#include "app/app.h"

/* 2026-01-01T00:00:00Z, the "now" of every call. */
#define FZ_NOW ((time_t)1767225600)

/* The application (aborts when it cannot be set up). */
dh_app *fz_app(void);
/* The command line's actor, allowed everything. */
const dh_actor *fz_cli(void);

#endif
