/* cmd_copy.c - dieuhanh copy: moves a whole database to another backend
 * (app/copy.c does the work; this prints progress and the verdict). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

static const char copy_help[] =
    "usage: dieuhanh copy --from URL --to URL\n\n"
    "Copies a whole database into an empty one: every table (units and their history,\n"
    "users, credentials, the audit trail with its ids, calendars, procedures, dossier\n"
    "events and the rows derived from them, aggregates, plans, files, indicators,\n"
    "targets, and the revision counters) with every id kept, in one transaction on the\n"
    "target: all of it or nothing. Either URL is sqlite:PATH or postgres://USER@HOST:PORT/DB,\n"
    "so a database moves from SQLite to PostgreSQL and back.\n\n"
    "The source must have this dieuhanh's schema version (migrate it first with\n"
    "'dieuhanh init --db URL'); stop the servers writing to it. The target must be\n"
    "empty: a new SQLite file, a new PostgreSQL database or schema, or one only\n"
    "migrated; anything else is refused and nothing is written. The target is migrated\n"
    "to the same version, then filled.\n\n"
    "Progress goes to standard error (table, rows done / total, rows/s). At the end the\n"
    "two databases are checked: row counts per table, and the II.06a report of every\n"
    "province (every unit that has been a root) and the targets' statuses made from both\n"
    "and compared byte for byte. Exit codes: 0 the copy matches, 1 a failure or a\n"
    "difference, 2 usage.\n";

typedef struct progress {
    bool tty;
    struct timespec t0;    /* the current table's start */
    struct timespec first; /* the first table's start (the last run of the transaction) */
    double copying;        /* seconds from there to the last table's end */
    char first_table[128];
} progress;

static void on_progress(void *closure, const char *table, int64_t done, int64_t total)
{
    progress *p = closure;
    if (done < 0) { /* the table starts */
        clock_gettime(CLOCK_MONOTONIC, &p->t0);
        if (!p->first_table[0] || strcmp(p->first_table, table) == 0) {
            /* the first table, again when the transaction runs again */
            snprintf(p->first_table, sizeof p->first_table, "%s", table);
            p->first = p->t0;
        }
        return;
    }
    double s = dh_cli_since(&p->t0);
    double rate = s > 0 ? (double)done / s : 0;
    bool end = done == total;
    if (end)
        p->copying = dh_cli_since(&p->first);
    if (end || p->tty)
        fprintf(stderr, "%s%-26s %10lld / %-10lld rows %10.0f rows/s%s", p->tty ? "\r" : "",
                table, (long long)done, (long long)total, rate, end ? "\n" : "   ");
}

int dh_cmd_copy(int argc, char **argv)
{
    const char *from = NULL, *to = NULL, *pos[1];
    int npos;
    const dh_cli_opt opts[] = {{"--from", &from, NULL}, {"--to", &to, NULL}, {NULL, NULL, NULL}};
    int rc = dh_cli_parse("copy", argc, argv, opts, pos, 0, &npos, copy_help);
    if (rc)
        return rc < 0 ? DH_EXIT_OK : rc;
    if (!from || !to)
        return dh_cli_usage("copy", "--from URL and --to URL are both required");
    progress p = {.tty = isatty(2) == 1};
    dh_copy_result r;
    dh_err e;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fprintf(stderr, "dieuhanh: copying %s into %s\n", from, to);
    if (dh_app_copy(from, to, time(NULL), on_progress, &p, &r, &e))
        return dh_cli_fail(&e);
    double s = dh_cli_since(&t0);
    printf("copied %lld rows of %zu tables in %.1f s (%.0f rows/s); %.1f s in all with the "
           "checks\n",
           (long long)r.rows, r.ntables, p.copying, p.copying > 0 ? (double)r.rows / p.copying : 0,
           s);
    printf("\nrow counts          source     target\n");
    for (size_t i = 0; i < r.ntables; i++) {
        const dh_copy_table *t = &r.tables[i];
        bool same = t->source_rows == t->target_rows;
        printf("  %-26s %10lld %10lld%s\n", t->name, (long long)t->source_rows,
               (long long)t->target_rows, same ? "" : "  DIFFERENT");
    }
    printf("\nreports made from both\n");
    for (size_t i = 0; i < r.nchecks; i++)
        printf("  %-50s %s\n", r.checks[i].what, r.checks[i].same ? "identical" : "DIFFERENT");
    bool ok = r.differences == 0;
    printf("\nverdict: %s\n", ok ? "the copy matches the source"
                                 : "the copy DIFFERS from the source (see above)");
    dh_copy_result_free(&r);
    return ok ? DH_EXIT_OK : DH_EXIT_FAIL;
}
