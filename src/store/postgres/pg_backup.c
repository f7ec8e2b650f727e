/* pg_backup.c - store/backup.h for PostgreSQL: refusals that name the
 * right tools. A PostgreSQL database is backed up by the server's own
 * tools (pg_dump for one database, pg_basebackup and WAL archiving for a
 * cluster), which take a consistent snapshot while the servers run and
 * keep roles, grants and settings that a file copy of ours would not;
 * docs/DEPLOY.md ("Backups") shows the commands. */
#include "store/backup.h"
#include "store/postgres/pg.h"

#define SEE_DEPLOY "see docs/DEPLOY.md, \"Backups and restores\""

static dh_status pg_backup(const char *location, const char *out, dh_backup_progress cb,
                           void *closure, int64_t *bytes, dh_err *e)
{
    (void)location, (void)out, (void)cb, (void)closure;
    *bytes = 0;
    return dh_err_set(e, DH_E_INVALID, "backup_unsupported", "db",
                      "dieuhanh backup copies SQLite databases; back a PostgreSQL database up "
                      "with its own tools while the servers run: pg_dump -Fc -f FILE DATABASE "
                      "(or pg_basebackup for the whole cluster); " SEE_DEPLOY);
}

static dh_status pg_inspect(const char *file, int *version, dh_err *e)
{
    (void)file;
    *version = 0;
    return dh_err_set(e, DH_E_INVALID, "backup_unsupported", "db",
                      "dieuhanh restore fills SQLite databases; restore a PostgreSQL dump with "
                      "pg_restore -d DATABASE FILE, or move an SQLite backup into PostgreSQL "
                      "with 'dieuhanh copy --from sqlite:FILE --to URL'; " SEE_DEPLOY);
}

static dh_status pg_restore(const char *file, const char *location, bool force,
                            dh_backup_progress cb, void *closure, dh_err *e)
{
    (void)location, (void)force, (void)cb, (void)closure;
    int v;
    return pg_inspect(file, &v, e);
}

const dh_backup_ops dh_postgres_backup_ops = {
    .backup = pg_backup,
    .inspect = pg_inspect,
    .restore = pg_restore,
};
