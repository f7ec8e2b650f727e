/* cmd_serve.c - `dieuhanh init`, `dieuhanh serve` and `dieuhanh demo`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/demo.h"
#include "cli/cli.h"

/* Reads --config FILE (or $DIEUHANH_CONFIG) into the environment; prints
 * why not and returns 1, else 0. */
static int load_config(const char *path)
{
    dh_err e;
    if (dh_cli_config_load(path, &e))
        return dh_cli_fail(&e);
    return 0;
}

int dh_cmd_init(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"config", required_argument, 0, 'c'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *config = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+d:c:h", opts, NULL)) != -1) {
        if (c == 'd')
            db = optarg;
        else if (c == 'c')
            config = optarg;
        else if (c == 'h') {
            printf("usage: dieuhanh init [--db URL] [--config FILE]\n\n"
                   "Creates the database if needed and applies every pending migration.\n"
                   "A database newer than this binary is refused and left untouched.\n"
                   "The database is --db, else $DIEUHANH_DB, else the 'database' key of the\n"
                   "settings file (--config FILE, else $DIEUHANH_CONFIG; see serve --help).\n");
            return DH_EXIT_OK;
        } else
            return dh_cli_usage("init", "unknown option");
    }
    if (optind < argc)
        return dh_cli_usage("init", "unexpected argument '%s'", argv[optind]);
    if (load_config(config))
        return DH_EXIT_FAIL;
    dh_app *app = dh_cli_open(dh_cli_db(db), true);
    if (!app)
        return DH_EXIT_FAIL;
    int from, to;
    dh_app_schema(app, &from, &to);
    if (from == to)
        printf("database %s is up to date (schema %d)\n", dh_cli_db(db), to);
    else
        printf("database %s migrated from schema %d to %d\n", dh_cli_db(db), from, to);
    dh_app_close(app);
    return DH_EXIT_OK;
}

int dh_cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"listen", required_argument, 0, 'l'},
                                         {"config", required_argument, 0, 'c'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *listen = NULL, *config = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+d:l:c:h", opts, NULL)) != -1) {
        if (c == 'd')
            db = optarg;
        else if (c == 'l')
            listen = optarg;
        else if (c == 'c')
            config = optarg;
        else if (c == 'h') {
            printf("usage: dieuhanh serve [--db URL] [--listen HOST:PORT] [--config FILE]\n\n"
                   "Applies pending migrations, then serves the API on HOST:PORT\n"
                   "(default 127.0.0.1:8080; port 0 picks a free one) until Ctrl-C.\n"
                   "Background jobs: the daily reminders, the targets' statuses and the\n"
                   "daily late-dossier report (report late-daily --help).\n\n"
                   "Settings come from the options, else the environment, else the settings\n"
                   "file: --config FILE, else $DIEUHANH_CONFIG (e.g. /etc/dieuhanh/dieuhanh.conf),\n"
                   "lines 'key = value' where each key is the variable's name without\n"
                   "DIEUHANH_ in lower case (database for DIEUHANH_DB), '#' starts a comment\n"
                   "line; an unknown key or a bad value stops the start (FILE:LINE: key).\n\n"
                   "Environment:\n"
                   "  DIEUHANH_CONFIG              the settings file when --config is not given\n"
                   "  DIEUHANH_DB                  the database when --db is not given\n"
                   "  DIEUHANH_LISTEN              HOST:PORT when --listen is not given\n"
                   "  DIEUHANH_REMINDER_INTERVAL   seconds between reminder checks (300)\n"
                   "  DIEUHANH_TARGETS_INTERVAL    seconds between status refreshes (5)\n"
                   "  DIEUHANH_JOB_LEASE           seconds a node's claim on a job lasts (twice\n"
                   "                               the job's interval, at least 60);\n"
                   "                               nodes on one database run each job once per\n"
                   "                               interval between them\n"
                   "  DIEUHANH_LATE_REPORT_AT      the daily late-dossier report's hour, HH:MM\n"
                   "                               local time (16:30)\n"
                   "  DIEUHANH_LATE_REPORT_INTERVAL seconds between its checks (300)\n"
                   "  DIEUHANH_SMTP_URL            send reminders by e-mail (docs/PLANS.md), with\n"
                   "  DIEUHANH_SMTP_FROM, DIEUHANH_SMTP_USER, DIEUHANH_SMTP_PASSWORD\n"
                   "  DIEUHANH_PUBLIC_URL          the address users reach the service at,\n"
                   "                               e.g. https://dieuhanh.example.gov.vn behind a\n"
                   "                               reverse proxy; https:// marks cookies Secure\n"
                   "  DIEUHANH_AGG_SNAPSHOT_INTERVAL seconds between checks whether to save the\n"
                   "                               aggregates' snapshot (300), saved when at least\n"
                   "  DIEUHANH_AGG_SNAPSHOT_MIN_CELLS cells (100000) were read from the cells\n"
                   "  DIEUHANH_PG_POOL             idle PostgreSQL connections kept (16, at most 64)\n"
                   "  DIEUHANH_TRUSTED_PROXY       the reverse proxies' addresses (e.g. 127.0.0.1):\n"
                   "                               their X-Real-IP names the client\n"
                   "  DIEUHANH_MAX_CONNECTIONS     open connections in all (512)\n"
                   "  DIEUHANH_MAX_CONNECTIONS_PER_ADDRESS\n"
                   "                               open connections from one address (64)\n"
                   "  DIEUHANH_IDLE_TIMEOUT        seconds before a silent connection closes (15)\n"
                   "  DIEUHANH_REQUEST_TIMEOUT     seconds allowed to send a request's body (300)\n"
                   "  DIEUHANH_BODIES_MAX_MIB      MiB of request bodies held at once (256)\n"
                   "The limits are described in docs/API.md.\n");
            return DH_EXIT_OK;
        } else
            return dh_cli_usage("serve", "unknown option");
    }
    if (optind < argc)
        return dh_cli_usage("serve", "unexpected argument '%s'", argv[optind]);
    if (load_config(config))
        return DH_EXIT_FAIL;
    if (!listen)
        listen = getenv("DIEUHANH_LISTEN");
    if (!listen || !*listen)
        listen = "127.0.0.1:8080";
    if (!dh_cli_listen_ok(listen))
        return dh_cli_usage("serve", "--listen must be HOST:PORT, e.g. 127.0.0.1:8080 (got '%s')",
                            listen);
    dh_app *app = dh_cli_open(dh_cli_db(db), true);
    if (!app)
        return DH_EXIT_FAIL;
    int rc = dh_cli_serve_until_signal(app, listen);
    dh_app_close(app);
    return rc;
}

int dh_cmd_demo(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"listen", required_argument, 0, 'l'},
                                         {"no-serve", no_argument, 0, 'n'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = "sqlite:demo/dieuhanh.db", *listen = "127.0.0.1:8080";
    bool serve = true;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+d:l:nh", opts, NULL)) != -1) {
        if (c == 'd')
            db = optarg;
        else if (c == 'l')
            listen = optarg;
        else if (c == 'n')
            serve = false;
        else if (c == 'h') {
            printf("usage: dieuhanh demo [--db URL] [--listen HOST:PORT] [--no-serve]\n\n"
                   "Loads the demo province of Ba Ria - Vung Tau (2024) with the 1 July 2025\n"
                   "reorganisation of Vung Tau city's wards, and demo users, into the database\n"
                   "(default sqlite:demo/dieuhanh.db), then serves it (default\n"
                   "127.0.0.1:8080) unless --no-serve. Loading twice changes nothing.\n");
            return DH_EXIT_OK;
        } else
            return dh_cli_usage("demo", "unknown option");
    }
    if (optind < argc)
        return dh_cli_usage("demo", "unexpected argument '%s'", argv[optind]);
    if (!dh_cli_listen_ok(listen))
        return dh_cli_usage("demo", "--listen must be HOST:PORT, e.g. 127.0.0.1:8080 (got '%s')",
                            listen);
    dh_app *app = dh_cli_open(db, true);
    if (!app)
        return DH_EXIT_FAIL;
    dh_err e;
    dh_actor a;
    dh_actor_cli(&a);
    dh_demo_summary sum;
    if (dh_demo_load(app, &a, time(NULL), &sum, &e)) {
        dh_app_close(app);
        return dh_cli_fail(&e);
    }
    if (sum.already)
        printf("demo data already loaded in %s\n", db);
    else
        printf("loaded %d units, %d reorganisation events, %d procedure versions and %d users "
               "into %s\n",
               sum.units, sum.events, sum.procedures, sum.users, db);
    printf("\nSign in (all demo passwords: %s):\n", DH_DEMO_PASSWORD);
    for (size_t i = 0; dh_demo_users[i].login; i++)
        printf("  %-16s %-9s %s\n", dh_demo_users[i].login, dh_demo_users[i].role,
               dh_demo_users[i].unit ? dh_demo_users[i].unit : "(everywhere)");
    printf("\nExample: curl -s -X POST http://%s/api/v1/login -d "
           "'{\"login\":\"admin\",\"password\":\"%s\"}'\n",
           listen, DH_DEMO_PASSWORD);
    fflush(stdout);
    int rc = serve ? dh_cli_serve_until_signal(app, listen) : DH_EXIT_OK;
    dh_app_close(app);
    return rc;
}
