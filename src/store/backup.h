/* backup.h - whole-database backups and restores (dieuhanh backup / restore,
 * issue 18), the one part of the storage contract that works on files
 * rather than on a connection: a backup is made of a live database while
 * servers keep writing to it, and a restore fills a database that may not
 * exist yet. Reached through dh_store_backend(url)->backup; a backend that
 * has its own tools (PostgreSQL: pg_dump, pg_restore) fills the table with
 * functions that refuse and say which tool to use.
 *
 * `location` is the URL without its scheme (what dh_store_ops.open takes).
 * Paths are borrowed for the call. Every function returns DH_OK or fills
 * *e with the file and the reason; nothing is half-written: a backup file
 * appears whole or not at all, a restore replaces the target whole or not
 * at all.
 */
#ifndef DH_STORE_BACKUP_H
#define DH_STORE_BACKUP_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/* Progress of a copy, in the backend's units of storage (SQLite pages):
 * called after each step with done <= total. */
typedef void (*dh_backup_progress)(void *closure, int64_t done, int64_t total);

typedef struct dh_backup_ops {
    /* Writes a consistent copy of the database at `location` (one
     * transaction's view, taken when the copy starts: every commit
     * acknowledged before that is in it) into the new file `out`, in
     * steps, without stopping its writers. `out` must not exist
     * (DH_E_CONFLICT). The copy is written beside `out` and renamed into
     * place once synced. *bytes is the size of the file written. */
    dh_status (*backup)(const char *location, const char *out, dh_backup_progress cb,
                        void *closure, int64_t *bytes, dh_err *e);
    /* Checks that `file` is a backup this backend can restore (a database
     * of dieuhanh's, undamaged) and reads its schema version. A file of
     * anything else is DH_E_INVALID naming the file and the reason. */
    dh_status (*inspect)(const char *file, int *version, dh_err *e);
    /* Replaces the database at `location` (made when missing) by the
     * content of `file`, in one transaction. A target that holds any
     * table is refused (DH_E_CONFLICT) unless `force`. Servers on the
     * target must be stopped. */
    dh_status (*restore)(const char *file, const char *location, bool force,
                         dh_backup_progress cb, void *closure, dh_err *e);
} dh_backup_ops;

#endif
