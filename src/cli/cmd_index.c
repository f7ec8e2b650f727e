/* cmd_index.c - dieuhanh index: the Decision 766/QĐ-TTg service index.
 *   index 766 --unit CODE --period P [--json]
 *   index set --unit CODE --period P --indicator CODE --value PCT [--note TEXT]
 *   index config [--import FILE.csv] [--json]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/period.h"

static const char index_help[] =
    "usage: dieuhanh index 766 --unit CODE (--period P | --from DATE --to DATE) [--json]\n"
    "       dieuhanh index set --unit CODE --period P --indicator CODE --value PERCENT\n"
    "                          [--note TEXT]\n"
    "       dieuhanh index config [--import FILE.csv] [--json]\n"
    "       (every form takes --db URL)\n\n"
    "The service index of Decision 766/QĐ-TTg for a unit with its subtree: each indicator\n"
    "with its numerator, denominator, rate and points (N/A with the reason when there is no\n"
    "data), the six group scores, the total out of 100, and the ranking of the unit among its\n"
    "siblings (units that handled fewer dossiers than the minimum volume are not ranked).\n"
    "Points, thresholds and formulas come from the configuration version in force at the end\n"
    "of the period ('index config' lists them; '--import' adds a version from CSV with the\n"
    "columns version,valid_from,ord,group_code,group_name,code,name,max_points,threshold,\n"
    "formula; each version's points must add up to 100). Indicators our data cannot compute\n"
    "(formula manual) take a value entered with 'index set' (admins and leaders).\n"
    "P: 2025, 2025-H1, 2025-Q3, 2025-07, a day, FROM..TO, or cutoff:2025-Q1 (Decree 09).\n";

/* Prints s left-aligned in `width` columns (counting characters, not bytes). */
static void print_padded(const char *s, int width)
{
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xC0) != 0x80;
    printf("%s%*s", s, n < width ? width - n : 1, "");
}

static void print_num(const json_t *v, int width)
{
    if (json_is_number(v))
        printf("%*.2f", width, json_number_value(v));
    else
        printf("%*s", width, "N/A");
}

static void print_index(const json_t *r)
{
    printf("Chỉ số phục vụ người dân, doanh nghiệp (Quyết định 766/QĐ-TTg)\n");
    printf("Đơn vị: %s (%s)   Kỳ: %s đến %s   Cấu hình: %s\n\n",
           json_string_value(json_object_get(r, "name")),
           json_string_value(json_object_get(r, "unit")),
           json_string_value(json_object_get(r, "from")),
           json_string_value(json_object_get(r, "to")),
           json_string_value(json_object_get(json_object_get(r, "config"), "version")));
    size_t i, j;
    json_t *g, *ind;
    json_array_foreach(json_object_get(r, "groups"), i, g)
    {
        print_padded(json_string_value(json_object_get(g, "name")), 58);
        print_num(json_object_get(g, "points"), 8);
        printf(" /%6.2f\n", json_number_value(json_object_get(g, "max_points")));
        json_array_foreach(json_object_get(g, "indicators"), j, ind)
        {
            char line[300];
            snprintf(line, sizeof line, "  %s", json_string_value(json_object_get(ind, "name")));
            print_padded(line, 58);
            print_num(json_object_get(ind, "points"), 8);
            printf(" /%6.2f", json_number_value(json_object_get(ind, "max_points")));
            json_t *num = json_object_get(ind, "numerator"), *rate = json_object_get(ind, "rate");
            if (num)
                printf("   %lld/%lld", (long long)json_integer_value(num),
                       (long long)json_integer_value(json_object_get(ind, "denominator")));
            if (json_is_number(rate))
                printf(" = %.2f%%", json_number_value(rate));
            if (!json_is_number(rate))
                printf("   (%s)", json_string_value(json_object_get(ind, "na_reason")));
            else if (!strcmp(json_string_value(json_object_get(ind, "source")), "manual"))
                printf("   (nhập tay)");
            printf("\n");
        }
    }
    printf("\nTổng điểm: %.2f / 100 (tính được trên %.2f điểm; quy về thang 100: %.2f)\n",
           json_number_value(json_object_get(r, "total")),
           json_number_value(json_object_get(r, "max_available")),
           json_number_value(json_object_get(r, "score_100")));
    json_t *rk = json_object_get(r, "ranking");
    if (rk) {
        printf("\nXếp hạng các đơn vị cùng cấp (tối thiểu %lld hồ sơ):\n",
               (long long)json_integer_value(json_object_get(rk, "min_volume")));
        json_array_foreach(json_object_get(rk, "units"), i, g)
        {
            json_t *rank = json_object_get(g, "rank");
            char pos[16];
            snprintf(pos, sizeof pos, "%lld", (long long)json_integer_value(rank));
            printf("  %4s  ", json_is_integer(rank) ? pos : "-");
            print_padded(json_string_value(json_object_get(g, "name")), 44);
            printf("%7.2f  (%lld hồ sơ)\n", json_number_value(json_object_get(g, "score_100")),
                   (long long)json_integer_value(json_object_get(g, "handled")));
        }
    }
}

int dh_cmd_index(int argc, char **argv)
{
    const char *db = NULL, *unit = NULL, *period = NULL, *from = NULL, *to = NULL,
               *indicator = NULL, *value = NULL, *note = NULL, *import = NULL, *pos[2];
    bool as_json = false;
    int npos;
    const dh_cli_opt opts[] = {{"--db", &db, NULL},
                               {"--unit", &unit, NULL},
                               {"--period", &period, NULL},
                               {"--from", &from, NULL},
                               {"--to", &to, NULL},
                               {"--indicator", &indicator, NULL},
                               {"--value", &value, NULL},
                               {"--note", &note, NULL},
                               {"--import", &import, NULL},
                               {"--json", NULL, &as_json},
                               {NULL, NULL, NULL}};
    int rc = dh_cli_parse("index", argc, argv, opts, pos, 2, &npos, index_help);
    if (rc)
        return rc < 0 ? DH_EXIT_OK : rc;
    if (npos != 1 || (strcmp(pos[0], "766") && strcmp(pos[0], "set") && strcmp(pos[0], "config")))
        return dh_cli_usage("index", "what to do: 766, set or config");
    dh_period p = {0};
    double pct = 0;
    if (strcmp(pos[0], "config")) {
        if (!unit)
            return dh_cli_usage("index", "--unit CODE is required");
        if ((rc = dh_cli_period("index", period, from, to, &p)))
            return rc;
    }
    if (!strcmp(pos[0], "set")) {
        char *end;
        if (!indicator || !value)
            return dh_cli_usage("index", "--indicator CODE and --value PERCENT are required");
        pct = strtod(value, &end);
        if (!*value || *end) {
            fprintf(stderr, "dieuhanh: --value: '%s' is not a number\n", value);
            return DH_EXIT_FAIL;
        }
    }
    dh_app *app = dh_cli_open(dh_cli_db(db), false);
    if (!app)
        return DH_EXIT_FAIL;
    dh_actor a;
    dh_actor_cli(&a);
    dh_err e;
    dh_status st = DH_OK;
    json_t *out = NULL;
    if (!strcmp(pos[0], "766")) {
        st = dh_app_index766(app, &a, unit, p.from, p.to, period, time(NULL), &out, &e);
    } else if (!strcmp(pos[0], "set")) {
        st = dh_app_index766_set(app, &a, unit, p.from, p.to, indicator, pct, note, time(NULL),
                                 &e);
        if (st == DH_OK)
            printf("%s: %s = %.2f%%\n", unit, indicator, pct);
    } else if (import) {
        FILE *f = fopen(import, "rb");
        if (!f) {
            fprintf(stderr, "dieuhanh: cannot read %s\n", import);
            dh_app_close(app);
            return DH_EXIT_FAIL;
        }
        dh_import_report rep;
        st = dh_app_index766_config_import(app, &a, f, import, time(NULL), &rep, &e);
        fclose(f);
        for (int i = 0; i < rep.nmessages; i++)
            fprintf(stderr, "%s\n", rep.messages[i]);
        if (st == DH_OK)
            printf("imported %d indicators\n", rep.taken);
        dh_import_report_free(&rep);
    } else {
        st = dh_app_index766_config(app, &out, &e);
    }
    dh_app_close(app);
    if (st) {
        json_decref(out);
        return dh_cli_fail(&e);
    }
    if (out && (as_json || !strcmp(pos[0], "config"))) {
        if (!as_json) {
            size_t i;
            json_t *r;
            json_array_foreach(out, i, r)
            {
                printf("%s %s %-13s %-24s %6.2f", json_string_value(json_object_get(r, "version")),
                       json_string_value(json_object_get(r, "valid_from")),
                       json_string_value(json_object_get(r, "group_code")),
                       json_string_value(json_object_get(r, "code")),
                       json_number_value(json_object_get(r, "max_points")));
                print_num(json_object_get(r, "threshold"), 7);
                printf("  %s\n", json_string_value(json_object_get(r, "formula")));
            }
        } else {
            dh_cli_print_json(out);
        }
    } else if (out) {
        print_index(out);
    }
    json_decref(out);
    return DH_EXIT_OK;
}
