/* cmd_audit.c - `dieuhanh audit` (read the trail) and `dieuhanh version`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"
#include "version.h"

int dh_cmd_audit(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"since", required_argument, 0, 's'},
                                         {"entity", required_argument, 0, 'e'},
                                         {"unit", required_argument, 0, 'u'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = NULL;
    dh_audit_filter f = {NULL, NULL, 0, 0, 500};
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:s:e:u:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 's':
            if (dh_time_parse(optarg, &f.since))
                return dh_cli_usage("audit", "--since '%s' is not a date YYYY-MM-DD", optarg);
            break;
        case 'e': f.entity = optarg; break;
        case 'u': f.unit_code = optarg; break;
        case 'j': json = true; break;
        case 'h':
            printf("usage: dieuhanh audit [--since DATE] [--entity E] [--unit CODE] [--json]\n\n"
                   "Prints the audit trail: every write and every refused attempt, oldest\n"
                   "first: time (UTC), actor, action, entity, key, unit, outcome.\n");
            return DH_EXIT_OK;
        default: return dh_cli_usage("audit", "unknown option");
        }
    }
    if (optind < argc)
        return dh_cli_usage("audit", "unexpected argument '%s'", argv[optind]);
    dh_app *app = dh_cli_open(dh_cli_db(db), false);
    if (!app)
        return DH_EXIT_FAIL;
    dh_actor a;
    dh_actor_cli(&a);
    dh_err e;
    int rc = DH_EXIT_OK;
    int64_t next;
    do {
        json_t *items;
        if (dh_app_audit_list(app, &a, &f, time(NULL), &items, &next, &e)) {
            rc = dh_cli_fail(&e);
            break;
        }
        size_t i;
        json_t *it;
        json_array_foreach(items, i, it)
        {
            if (json) {
                char *s = json_dumps(it, JSON_COMPACT);
                puts(s);
                free(s);
                continue;
            }
            printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
                   json_string_value(json_object_get(it, "at")),
                   json_string_value(json_object_get(it, "actor")),
                   json_string_value(json_object_get(it, "action")),
                   json_string_value(json_object_get(it, "entity")),
                   json_string_value(json_object_get(it, "key")),
                   json_string_value(json_object_get(it, "unit")),
                   json_string_value(json_object_get(it, "outcome")));
        }
        json_decref(items);
        f.after_id = next;
    } while (next);
    dh_app_close(app);
    return rc;
}

int dh_cmd_version(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: dieuhanh version\n");
        return DH_EXIT_OK;
    }
    printf("dieuhanh %s (database schema %d)\n", DH_VERSION, dh_store_latest_version("sqlite"));
    return DH_EXIT_OK;
}
