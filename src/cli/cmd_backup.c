/* cmd_backup.c - dieuhanh backup and dieuhanh restore (app/backup.c and the
 * backends' store/backup.h do the work; this parses, shows progress and
 * says what was done). */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

static const char backup_help[] =
    "usage: dieuhanh backup [--db URL] -o FILE\n\n"
    "Writes a consistent copy of the database into the new file FILE while servers keep\n"
    "running and writing: every change acknowledged before the command started is in it\n"
    "(SQLite's online backup API, from one read snapshot; writers are not stopped). FILE\n"
    "is one self-contained SQLite file; it must not exist, and it appears only when\n"
    "whole and synced to disk (it is written beside, then named). Put it back with\n"
    "'dieuhanh restore FILE --db URL'.\n\n"
    "PostgreSQL databases are backed up with PostgreSQL's own tools (pg_dump, or\n"
    "pg_basebackup for a whole cluster): the command refuses them and says how;\n"
    "docs/DEPLOY.md, \"Backups and restores\", has the commands.\n\n"
    "Progress (pages copied / total) goes to standard error for databases larger than\n"
    "16 MiB. Exit codes: 0 written, 1 failure (nothing written), 2 usage.\n";

static const char restore_help[] =
    "usage: dieuhanh restore FILE [--db URL] [--force]\n\n"
    "Replaces the database at URL (an SQLite file, made when missing) by the backup FILE\n"
    "written by 'dieuhanh backup'. FILE is checked first: an SQLite database, undamaged\n"
    "(quick_check), with dieuhanh's tables and a schema version this dieuhanh knows (a\n"
    "backup from a newer dieuhanh is refused; an older one is migrated by the next\n"
    "'dieuhanh init' or 'serve'). A target that already holds data is refused unless\n"
    "--force is given. Stop the servers on the target first.\n\n"
    "The target is written in one transaction: after a failure or a crash it is exactly\n"
    "as before, never half-restored. For PostgreSQL use pg_restore, or move an SQLite\n"
    "backup there with 'dieuhanh copy --from sqlite:FILE --to URL' (docs/DEPLOY.md).\n\n"
    "Progress goes to standard error for backups larger than 16 MiB. Exit codes: 0\n"
    "restored, 1 failure (the target unchanged), 2 usage.\n";

typedef struct progress {
    const char *what;
    bool tty;
    bool shown;
    struct timespec t0; /* the command's start */
} progress;

static progress progress_start(const char *what)
{
    progress p = {.what = what, .tty = isatty(2) == 1};
    clock_gettime(CLOCK_MONOTONIC, &p.t0);
    return p;
}

static void on_progress(void *closure, int64_t done, int64_t total)
{
    progress *p = closure;
    bool end = done >= total;
    /* One step copies 16 MiB: smaller databases are done in one step and
     * show nothing. */
    if (end && !p->shown)
        return;
    p->shown = true;
    if (end || p->tty || total > 0)
        fprintf(stderr, "%s%s: %lld / %lld pages (%d%%)%s", p->tty ? "\r" : "", p->what,
                (long long)done, (long long)total, total ? (int)(100 * done / total) : 100,
                end || !p->tty ? "\n" : "   ");
}

int dh_cmd_backup(int argc, char **argv)
{
    const char *db = NULL, *out = NULL, *pos[1];
    int npos;
    const dh_cli_opt opts[] = {{"--db", &db, NULL}, {"-o", &out, NULL}, {NULL, NULL, NULL}};
    int rc = dh_cli_parse("backup", argc, argv, opts, pos, 0, &npos, backup_help);
    if (rc)
        return rc < 0 ? DH_EXIT_OK : rc;
    if (!out || !*out)
        return dh_cli_usage("backup", "-o FILE is required");
    progress p = progress_start("backup");
    int64_t bytes;
    dh_err e;
    if (dh_app_backup(dh_cli_db(db), out, on_progress, &p, &bytes, &e))
        return dh_cli_fail(&e);
    printf("backup written to %s (%lld bytes) in %.1f s\n", out, (long long)bytes,
           dh_cli_since(&p.t0));
    return DH_EXIT_OK;
}

int dh_cmd_restore(int argc, char **argv)
{
    const char *db = NULL, *pos[1];
    int npos;
    bool force = false;
    const dh_cli_opt opts[] = {{"--db", &db, NULL}, {"--force", NULL, &force}, {NULL, NULL, NULL}};
    int rc = dh_cli_parse("restore", argc, argv, opts, pos, 1, &npos, restore_help);
    if (rc)
        return rc < 0 ? DH_EXIT_OK : rc;
    if (npos != 1)
        return dh_cli_usage("restore", "the backup FILE is required");
    progress p = progress_start("restore");
    int version;
    dh_err e;
    const char *url = dh_cli_db(db);
    if (dh_app_restore(pos[0], url, force, on_progress, &p, &version, &e))
        return dh_cli_fail(&e);
    printf("restored %s (schema version %d) into %s in %.1f s\n", pos[0], version, url,
           dh_cli_since(&p.t0));
    return DH_EXIT_OK;
}
