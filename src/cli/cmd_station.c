/* cmd_station.c - dieuhanh station: the register of 5G stations (issue 19):
 * import status steps from CSV/XLSX, count stations by status as of a date. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

static const char station_help[] =
    "usage: dieuhanh station import FILE [--partial] [--json] [--db URL]\n"
    "       dieuhanh station count [--operator CODE] [--unit CODE] [--as-of DATE] [--json]\n"
    "                              [--db URL]\n\n"
    "The register of 5G stations, one by one. import reads CSV or XLSX with the header\n"
    "site_code,operator,commune,address,lat,long,technology,status,status_date,source, one\n"
    "row per status step (planned, permitted, installed, on_air); operator and commune are\n"
    "unit codes, the commune as of the step's date. A step must follow the station's latest\n"
    "one and not be in the future; a known step sent again changes nothing; a site code with\n"
    "other content is a conflict. Nothing is imported when a line is bad, unless --partial\n"
    "(then the good lines are). count gives each station at its latest step dated on or\n"
    "before DATE (default today), of an operator and/or in a unit's subtree (by commune or\n"
    "operator).\n";

int dh_cmd_station(int argc, char **argv)
{
    const char *db = NULL, *op = NULL, *unit = NULL, *as_of = NULL, *pos[2];
    bool json_out = false, partial = false;
    int npos;
    const dh_cli_opt opts[] = {{"--db", &db, NULL},         {"--operator", &op, NULL},
                               {"--unit", &unit, NULL},     {"--as-of", &as_of, NULL},
                               {"--json", NULL, &json_out}, {"--partial", NULL, &partial},
                               {NULL, NULL, NULL}};
    int rc = dh_cli_parse("station", argc, argv, opts, pos, 2, &npos, station_help);
    if (rc)
        return rc < 0 ? DH_EXIT_OK : rc;
    bool import = npos >= 1 && !strcmp(pos[0], "import");
    if (npos < 1 || (strcmp(pos[0], "import") && strcmp(pos[0], "count")))
        return dh_cli_usage("station", "what to do: import FILE or count");
    if (import && npos != 2)
        return dh_cli_usage("station", "import needs a FILE");
    if (!import && npos != 1)
        return dh_cli_usage("station", "count takes no FILE");
    dh_date d = DH_DATE_NONE;
    if (as_of && dh_date_parse(as_of, &d))
        return dh_cli_usage("station", "--as-of: '%s' is not a date YYYY-MM-DD", as_of);
    char *data = NULL;
    size_t len = 0;
    if (import && dh_cli_read_file(pos[1], &data, &len))
        return DH_EXIT_FAIL;
    dh_app *app = dh_cli_open(dh_cli_db(db), false);
    if (!app) {
        free(data);
        return DH_EXIT_FAIL;
    }
    dh_actor a;
    dh_actor_cli(&a);
    dh_err e;
    json_t *out = NULL;
    dh_status st = import ? dh_app_station_import(app, &a, data, len, pos[1], partial, time(NULL),
                                                  &out, &e)
                          : dh_app_station_count(app, &a, op, unit, d, false, time(NULL), &out,
                                                 &e);
    dh_app_close(app);
    free(data);
    if (import && out && !json_out) {
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(out, "errors"), i, x)
            fprintf(stderr, "%s\n", json_string_value(json_object_get(x, "message")));
    }
    if (st) {
        if (out && json_out)
            dh_cli_print_json(out);
        json_decref(out);
        return dh_cli_fail(&e);
    }
    if (json_out)
        dh_cli_print_json(out);
    else if (import)
        printf("%s: %lld steps imported, %lld already known, %lld lines refused\n", pos[1],
               (long long)json_integer_value(json_object_get(out, "accepted")),
               (long long)json_integer_value(json_object_get(out, "duplicates")),
               (long long)json_integer_value(json_object_get(out, "refused")));
    else
        printf("Trạm 5G đến ngày %s: quy hoạch %lld, đã cấp phép %lld, đã lắp đặt %lld, "
               "đã phát sóng %lld\n",
               json_string_value(json_object_get(out, "as_of")),
               (long long)json_integer_value(json_object_get(out, "planned")),
               (long long)json_integer_value(json_object_get(out, "permitted")),
               (long long)json_integer_value(json_object_get(out, "installed")),
               (long long)json_integer_value(json_object_get(out, "on_air")));
    json_decref(out);
    return DH_EXIT_OK;
}
