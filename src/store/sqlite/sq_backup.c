/* sq_backup.c - backups and restores of SQLite databases (store/backup.h)
 * with SQLite's online backup API.
 *
 * A backup holds one read transaction on the live database for the whole
 * copy: in WAL mode readers do not block writers, so servers go on
 * committing while the copy is made, and the copy is the state the read
 * transaction saw when it began (the backup API restarts a copy when the
 * source changes between steps unless the copying connection keeps its read
 * transaction open; it does here, so a busy server cannot starve a backup).
 * Pages are copied in steps of BACKUP_STEP so that progress can be shown.
 * The copy is written into a temporary file beside the output, switched
 * out of WAL mode (a backup is one self-contained file), synced, and linked
 * into place under its name only when whole.
 *
 * A restore copies a backup into the target with the same API: the target
 * is written in one write transaction of its own (the API holds it across
 * steps and commits at the end), so a failure or a crash leaves the
 * target as it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/backup.h"
#include "store/sqlite/sq.h"
#include "util/buf.h"

/* Pages per step: 16 MiB of 4 KiB pages. */
#define BACKUP_STEP 4096
/* How long a step waits for a lock before it gives up (the busy timeout of
 * both connections; a step that still meets a lock is tried again). */
#define LOCK_MS 10000
#define LOCK_TRIES 50

static const char header_magic[16] = "SQLite format 3";

static dh_status sq_fail(dh_err *e, dh_status st, const char *path, sqlite3 *db, const char *what)
{
    return dh_err_set(e, st, st == DH_E_DB ? "database_error" : "backup_invalid", "db",
                      "%s: %s: %s", path, what, db ? sqlite3_errmsg(db) : "out of memory");
}

/* Opens path with flags; NULL with *e set on failure. */
static sqlite3 *open_db(const char *path, int flags, dh_err *e)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        sq_fail(e, DH_E_DB, path, db, "cannot open");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, LOCK_MS);
    return db;
}

static dh_status exec(sqlite3 *db, const char *path, const char *sql, dh_err *e)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return sq_fail(e, DH_E_DB, path, db, sql);
    return DH_OK;
}

/* The first column of the first row of sql as text into out (empty when
 * there is no row). */
static dh_status query_text(sqlite3 *db, const char *path, const char *sql, char *out,
                            size_t size, dh_status bad, dh_err *e)
{
    int rc = dh_sq_text_of(db, sql, out, size);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK
                                                 : sq_fail(e, bad, path, db, "cannot read it");
}

/* Copies every page of src into dst in steps, reporting progress. */
static dh_status copy_pages(sqlite3 *dst, const char *dst_path, sqlite3 *src,
                            dh_backup_progress cb, void *closure, dh_err *e)
{
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (!b)
        return sq_fail(e, DH_E_DB, dst_path, dst, "cannot start the copy");
    int rc, waits = 0;
    do {
        rc = sqlite3_backup_step(b, BACKUP_STEP);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
            if (++waits > LOCK_TRIES)
                break;
            sqlite3_sleep(100);
            continue;
        }
        if (cb && (rc == SQLITE_OK || rc == SQLITE_DONE)) {
            int total = sqlite3_backup_pagecount(b);
            cb(closure, total - sqlite3_backup_remaining(b), total);
        }
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    sqlite3_backup_finish(b);
    if (rc == SQLITE_DONE)
        return DH_OK;
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        return dh_err_set(e, DH_E_BUSY, "busy", "db",
                          "%s: the database stayed locked by another process (a server still "
                          "running on it?)",
                          dst_path);
    if (rc == SQLITE_READONLY)
        return dh_err_set(e, DH_E_DB, "database_error", "db",
                          "%s: cannot write it (read-only, or a WAL database with another page "
                          "size than the backup's)",
                          dst_path);
    return dh_err_set(e, DH_E_DB, "database_error", "db", "%s: the copy failed: %s", dst_path,
                      sqlite3_errstr(rc));
}

/* fsync of a file or folder by path. */
static int sync_path(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Gives the file tmp the name out unless out exists: a hard link, or where
 * the file system has none (FAT and exFAT drives, some network shares) a
 * rename after checking that out is still free. 0 or -1 with errno. */
static int place(const char *tmp, const char *out)
{
    if (link(tmp, out) == 0)
        return 0;
    if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP && errno != ENOSYS &&
        errno != EMLINK)
        return -1;
    struct stat sb;
    if (lstat(out, &sb) == 0) {
        errno = EEXIST;
        return -1;
    }
    return rename(tmp, out);
}

static void dir_of(const char *path, char *dir, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, size, ".");
    else if (slash == path)
        snprintf(dir, size, "/");
    else
        snprintf(dir, size, "%.*s", (int)(slash - path), path);
}

static dh_status sq_backup(const char *location, const char *out, dh_backup_progress cb,
                           void *closure, int64_t *bytes, dh_err *e)
{
    struct stat sb;
    *bytes = 0;
    if (access(location, F_OK) != 0)
        return dh_err_set(e, DH_E_NOTFOUND, "database_missing", "db",
                          "there is no database at %s", location);
    if (lstat(out, &sb) == 0)
        return dh_err_set(e, DH_E_CONFLICT, "backup_exists", "out",
                          "%s already exists: a backup never overwrites a file (choose another "
                          "name or remove it)",
                          out);
    dh_buf tmp = DH_BUF_INIT;
    dh_buf_printf(&tmp, "%s.partial-XXXXXX", out);
    int fd = mkstemp(tmp.p);
    if (fd < 0) {
        dh_status s = dh_err_set(e, DH_E_DB, "backup_write", "out", "cannot write beside %s: %s",
                                 out, strerror(errno));
        dh_buf_free(&tmp);
        return s;
    }
    close(fd);
    dh_status st = DH_OK;
    sqlite3 *src = open_db(location, SQLITE_OPEN_READWRITE, e);
    sqlite3 *dst = src ? open_db(tmp.p, SQLITE_OPEN_READWRITE, e) : NULL;
    char mode[32];
    if (!dst) {
        st = DH_E_DB;
        goto done;
    }
    /* The snapshot: a read transaction begun by a first read. */
    if ((st = exec(src, location, "BEGIN; SELECT count(*) FROM sqlite_master", e)))
        goto done;
    st = copy_pages(dst, tmp.p, src, cb, closure, e);
    sqlite3_exec(src, "COMMIT", NULL, NULL, NULL);
    if (st)
        goto done;
    /* One self-contained file: out of WAL mode (the copied header says WAL). */
    if ((st = query_text(dst, tmp.p, "PRAGMA journal_mode=DELETE", mode, sizeof mode, DH_E_DB,
                         e)))
        goto done;
    if (strcmp(mode, "delete") != 0) {
        st = dh_err_set(e, DH_E_DB, "backup_write", "out",
                        "%s: cannot leave WAL mode (journal mode %s)", tmp.p, mode);
        goto done;
    }
    sqlite3_close(dst);
    dst = NULL;
    char dir[4096];
    dir_of(out, dir, sizeof dir);
    /* Synced, then linked under its name (never over a file made
     * meanwhile), then the folder synced so that the name survives too. */
    if (sync_path(tmp.p, O_RDWR) != 0 || place(tmp.p, out) != 0 ||
        sync_path(dir, O_RDONLY | O_DIRECTORY) != 0) {
        st = dh_err_set(e, DH_E_DB, "backup_write", "out", "cannot write %s: %s", out,
                        strerror(errno));
        goto done;
    }
    if (stat(out, &sb) == 0)
        *bytes = (int64_t)sb.st_size;
done:
    sqlite3_close(dst);
    sqlite3_close(src);
    unlink(tmp.p);
    dh_buf_printf(&tmp, "-journal");
    unlink(tmp.p);
    dh_buf_free(&tmp);
    return st;
}

static dh_status sq_inspect(const char *file, int *version, dh_err *e)
{
    *version = 0;
    char magic[16] = {0};
    FILE *f = fopen(file, "rb");
    if (!f)
        return dh_err_set(e, DH_E_NOTFOUND, "backup_unreadable", "file", "cannot read %s: %s",
                          file, strerror(errno));
    size_t n = fread(magic, 1, sizeof magic, f);
    fclose(f);
    if (n != sizeof magic || memcmp(magic, header_magic, sizeof magic) != 0)
        return dh_err_set(e, DH_E_INVALID, "backup_invalid", "file",
                          "%s is not a dieuhanh backup: it is not an SQLite database file", file);
    sqlite3 *db = open_db(file, SQLITE_OPEN_READONLY, e);
    if (!db)
        return DH_E_DB;
    char text[256], v[32];
    dh_status st = query_text(db, file, "PRAGMA quick_check", text, sizeof text, DH_E_INVALID, e);
    if (st == DH_OK && strcmp(text, "ok") != 0)
        st = dh_err_set(e, DH_E_INVALID, "backup_damaged", "file", "%s is damaged: %s", file,
                        text);
    if (st == DH_OK)
        st = query_text(db, file,
                        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                        "('meta', 'units', 'audit_log')",
                        text, sizeof text, DH_E_INVALID, e);
    if (st == DH_OK)
        st = query_text(db, file, "PRAGMA user_version", v, sizeof v, DH_E_INVALID, e);
    if (st == DH_OK && (strcmp(text, "3") != 0 || atoi(v) < 1))
        st = dh_err_set(e, DH_E_INVALID, "backup_invalid", "file",
                        "%s is an SQLite database but not a dieuhanh one (no schema version, or "
                        "tables meta, units and audit_log missing)",
                        file);
    if (st == DH_OK)
        *version = atoi(v);
    sqlite3_close(db);
    return st;
}

static dh_status sq_restore(const char *file, const char *location, bool force,
                            dh_backup_progress cb, void *closure, dh_err *e)
{
    dh_status st = DH_OK;
    /* A missing target is made as `init` would make it (its folder too),
     * empty and in WAL mode. */
    dh_store *made = dh_sqlite_ops.open(location, true, e);
    if (!made)
        return e->status;
    dh_sqlite_ops.close(made);
    sqlite3 *src = open_db(file, SQLITE_OPEN_READONLY, e);
    sqlite3 *dst = src ? open_db(location, SQLITE_OPEN_READWRITE, e) : NULL;
    char text[32];
    if (!dst) {
        st = DH_E_DB;
        goto done;
    }
    if ((st = query_text(dst, location, "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
                         text, sizeof text, DH_E_DB, e)))
        goto done;
    if (atoi(text) > 0 && !force) {
        st = dh_err_set(e, DH_E_CONFLICT, "restore_target_not_empty", "db",
                        "the database at %s already holds data (%s tables): pass --force to "
                        "replace it, after stopping its servers",
                        location, text);
        goto done;
    }
    if ((st = copy_pages(dst, location, src, cb, closure, e)))
        goto done;
    /* Back in the mode the servers use, with the log folded in. */
    if ((st = query_text(dst, location, "PRAGMA journal_mode=WAL", text, sizeof text, DH_E_DB,
                         e)))
        goto done;
    st = exec(dst, location, "PRAGMA wal_checkpoint(TRUNCATE)", e);
done:
    sqlite3_close(dst);
    sqlite3_close(src);
    return st;
}

const dh_backup_ops dh_sqlite_backup_ops = {
    .backup = sq_backup,
    .inspect = sq_inspect,
    .restore = sq_restore,
};
