/* main.c - the dieuhanh command: a table of subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "version.h"

static const dh_cmd commands[] = {
    {"init", "create or upgrade a database (apply migrations)", dh_cmd_init},
    {"serve", "serve the API and dashboard over HTTP", dh_cmd_serve},
    {"demo", "load the demo province and serve it", dh_cmd_demo},
    {"unit", "units and their history: import, export, tree, show, search, lineage, event, geo",
     dh_cmd_unit},
    {"user", "people and API tokens: add, list, token, passwd, unlock", dh_cmd_user},
    {"calendar", "working-time calendar: lunar dates, holidays, add and count working time",
     dh_cmd_calendar},
    {"procedure", "the procedure catalogue: import, list", dh_cmd_procedure},
    {"import", "import dossier events (NDJSON or CSV)", dh_cmd_import},
    {"dossiers", "dossiers: the daily overdue list, one dossier", dh_cmd_dossiers},
    {"gen", "generate synthetic dossier events (NDJSON)", dh_cmd_gen},
    {"letter", "the apology letter of a late dossier (PDF or HTML)", dh_cmd_letter},
    {"report",
     "official reports: ii06a (Biểu II.06a), completeness, late-daily, full-online, trend",
     dh_cmd_report},
    {"indicator", "indicators: list, import, import values (CSV/XLSX)", dh_cmd_indicator},
    {"target", "progress against targets: status", dh_cmd_target},
    {"station", "5G stations one by one: import, count", dh_cmd_station},
    {"index", "the Decision 766 service index of a unit and period", dh_cmd_index},
    {"dti", "the digital-transformation index: frameworks, results, score, rank", dh_cmd_dti},
    {"feedback", "citizen feedback: categories, routing, submit, handle, answer, KPIs",
     dh_cmd_feedback},
    {"rebuild", "recompute dossiers and the service aggregates from the events", dh_cmd_rebuild},
    {"plan", "plans: list, show, add, import an appendix, coverage of a higher plan",
     dh_cmd_plan},
    {"task", "plan tasks and directives: list, show, remind (daily reminders), contact",
     dh_cmd_task},
    {"audit", "read the audit trail", dh_cmd_audit},
    {"routes", "list the HTTP routes and what each needs (--json for tests)", dh_cmd_routes},
    {"copy", "copy a whole database into an empty one (SQLite <-> PostgreSQL)", dh_cmd_copy},
    {"backup", "write a consistent copy of a running SQLite database to a file", dh_cmd_backup},
    {"restore", "put a backup back into an empty (or, with --force, any) database",
     dh_cmd_restore},
    {"version", "print the version", dh_cmd_version},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: dieuhanh COMMAND [OPTIONS]\n\n"
               "dieuhanh, the operations centre for digital government.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nEvery command takes --help. The database is chosen with --db URL\n"
               "(sqlite:PATH or postgres://USER@HOST:PORT/DB; default $DIEUHANH_DB,\n"
               "else sqlite:dieuhanh.db). init and serve also read a settings file,\n"
               "--config FILE or $DIEUHANH_CONFIG (serve --help, man dieuhanh).\n"
               "Exit codes: 0 ok, 1 failure, 2 usage error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return DH_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return DH_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0)
        return dh_cmd_version(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "dieuhanh: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return DH_EXIT_USAGE;
}
