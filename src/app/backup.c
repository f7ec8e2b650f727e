/* backup.c - dieuhanh backup and restore: the checks that do not depend on
 * the engine (which backend the URL names, whether this binary knows the
 * backup's schema); the copying is the backend's (store/backup.h). */
#include "app/app.h"
#include "store/backup.h"

dh_status dh_app_backup(const char *db_url, const char *out, dh_backup_progress progress,
                        void *closure, int64_t *bytes, dh_err *e)
{
    const char *location;
    *bytes = 0;
    const dh_store_ops *ops = dh_store_backend(db_url, &location, e);
    if (!ops)
        return e->status;
    return ops->backup->backup(location, out, progress, closure, bytes, e);
}

dh_status dh_app_restore(const char *file, const char *db_url, bool force,
                         dh_backup_progress progress, void *closure, int *version, dh_err *e)
{
    const char *location;
    *version = 0;
    const dh_store_ops *ops = dh_store_backend(db_url, &location, e);
    if (!ops)
        return e->status;
    dh_status st = ops->backup->inspect(file, version, e);
    if (st)
        return st;
    int known = dh_store_latest_version(ops->scheme);
    if (*version > known)
        return dh_err_set(e, DH_E_VERSION, "backup_too_new", "file",
                          "%s has schema version %d but this dieuhanh knows only up to %d: "
                          "restore it with the dieuhanh that made it, or a newer one",
                          file, *version, known);
    return ops->backup->restore(file, location, force, progress, closure, e);
}
