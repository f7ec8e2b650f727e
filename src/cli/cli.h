/* cli.h - what the subcommand files share: the command table entry type,
 * opening the database, and reporting errors. Exit codes: 0 ok, 1 failure,
 * 2 usage. */
#ifndef DH_CLI_H
#define DH_CLI_H

#include <stdbool.h>

#include "app/app.h"

#define DH_EXIT_OK 0
#define DH_EXIT_FAIL 1
#define DH_EXIT_USAGE 2

typedef struct dh_cmd {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
} dh_cmd;

int dh_cmd_init(int argc, char **argv);
int dh_cmd_serve(int argc, char **argv);
int dh_cmd_demo(int argc, char **argv);
int dh_cmd_unit(int argc, char **argv);
int dh_cmd_user(int argc, char **argv);
int dh_cmd_audit(int argc, char **argv);
int dh_cmd_calendar(int argc, char **argv);
int dh_cmd_procedure(int argc, char **argv);
int dh_cmd_import(int argc, char **argv);
int dh_cmd_dossiers(int argc, char **argv);
int dh_cmd_gen(int argc, char **argv);
int dh_cmd_letter(int argc, char **argv);
int dh_cmd_report(int argc, char **argv);
int dh_cmd_version(int argc, char **argv);
int dh_cmd_rebuild(int argc, char **argv);
int dh_cmd_index(int argc, char **argv);
int dh_cmd_plan(int argc, char **argv);
int dh_cmd_task(int argc, char **argv);
int dh_cmd_indicator(int argc, char **argv);
int dh_cmd_target(int argc, char **argv);
int dh_cmd_copy(int argc, char **argv);
int dh_cmd_backup(int argc, char **argv);
int dh_cmd_restore(int argc, char **argv);
int dh_cmd_dti(int argc, char **argv);
int dh_cmd_feedback(int argc, char **argv);
int dh_cmd_gen_feedback(int argc, char **argv);
int dh_cmd_station(int argc, char **argv);
int dh_cmd_routes(int argc, char **argv);

/* The database URL: the --db value, else $DIEUHANH_DB, else
 * "sqlite:dieuhanh.db". */
const char *dh_cli_db(const char *opt);
/* Reads the settings file at path (NULL or "": $DIEUHANH_CONFIG, and none
 * when that is unset too) into the environment, leaving every variable that
 * is already set as it is (see config.c). The whole file is checked first:
 * on error nothing is set, *e says "FILE:LINE: key 'KEY': reason", and the
 * answer is -1; else 0. Call it before any thread starts. */
int dh_cli_config_load(const char *path, dh_err *e);
/* Opens the app or prints why not (and returns NULL). */
dh_app *dh_cli_open(const char *db, bool migrate);
/* Prints "dieuhanh: <message>" (with field/line when known); returns 1. */
int dh_cli_fail(const dh_err *e);
/* Prints JSON indented, keys in order, on standard output (the caller keeps j). */
void dh_cli_print_json(const json_t *j);
/* Prints a usage error and a hint to --help; returns 2. */
int dh_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Serves until SIGINT/SIGTERM; returns an exit code. */
int dh_cli_serve_until_signal(dh_app *app, const char *listen);

/* An option of dh_cli_parse: "--name VALUE" fills *value; a flag (value
 * NULL) sets *flag. */
typedef struct dh_cli_opt {
    const char *name; /* "--db", "-o", ... */
    const char **value;
    bool *flag;
} dh_cli_opt;

/* Parses argv[1..]: the options of the table anywhere, everything else
 * positional (at most maxpos; "-1" counts as positional). --help/-h prints
 * help and returns -1; a usage error prints why and returns 2; else 0. */
int dh_cli_parse(const char *cmd, int argc, char **argv, const dh_cli_opt *opts,
                 const char **pos, int maxpos, int *npos, const char *help);

/* --period P, or --from DATE --to DATE (inclusive), into *p; prints why and
 * returns the exit code (2 usage, 1 bad value) when wrong, else 0. */
struct dh_period;
int dh_cli_period(const char *cmd, const char *period, const char *from, const char *to,
                  struct dh_period *p);

/* The output format: `format` when given, else the extension of `out`
 * (FILE.ics -> "ics") when it is one of `known` (NULL-terminated), else
 * `dflt`. Every command with -o and --format follows it. */
const char *dh_cli_format_of(const char *format, const char *out, const char *const *known,
                             const char *dflt);

/* Seconds on the monotonic clock since *t0 (read with CLOCK_MONOTONIC). */
struct timespec;
double dh_cli_since(const struct timespec *t0);

/* Reads a whole file (at most 64 MiB) into *data (malloc'd, the caller's)
 * and *len; prints why not and returns -1 on failure. */
int dh_cli_read_file(const char *path, char **data, size_t *len);

/* True when s looks like HOST:PORT with PORT in 0..65535 (checked before any
 * database is opened, so a typo is a usage error, exit 2). */
bool dh_cli_listen_ok(const char *s);

#endif
