/* cmd_unit.c - `dieuhanh unit ...`: import, export, tree, show, search,
 * lineage, event. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "util/buf.h"

static const char unit_help[] =
    "usage: dieuhanh unit SUBCOMMAND [--db URL] ...\n\n"
    "  import FILE.csv [--partial]        add units from CSV (header: code,name,short_name,\n"
    "                                     kind,parent,valid_from,valid_to; parents first).\n"
    "                                     All-or-nothing unless --partial.\n"
    "  export [--as-of DATE] [-o FILE]    write the units valid on DATE (default today) as CSV\n"
    "  tree [--as-of DATE] [--root CODE] [--json]\n"
    "                                     the hierarchy as it stood on DATE (default today)\n"
    "  show CODE [--as-of DATE] [--json]  one unit with its history\n"
    "  search TEXT [--as-of DATE]         find units by name, ignoring case and diacritics\n"
    "  lineage CODE [--json]              predecessors and successors through events\n"
    "  event FILE.json                    apply a reorganisation event (an object, or an\n"
    "                                     array applied in order)\n"
    "  geo import FILE.geojson [--valid-from DATE] [--code-property NAME]\n"
    "                                     units' boundaries: a FeatureCollection of Polygon or\n"
    "                                     MultiPolygon features, the unit's code in property\n"
    "                                     NAME (default code), each from its valid_from\n"
    "                                     property or DATE. All-or-nothing.\n\n"
    "DATE is YYYY-MM-DD. Kinds: province, department, district, commune, enterprise,\n"
    "centre, office.\n";

typedef struct unit_opts {
    const char *db;
    const char *as_of_text;
    dh_date as_of;
    const char *root;
    const char *output;
    const char *code_prop;
    dh_date valid_from; /* DH_DATE_NONE unless --valid-from */
    bool json;
    bool partial;
    int argc;
    char **argv; /* positional arguments after the subcommand */
} unit_opts;

static int parse_opts(int argc, char **argv, unit_opts *o)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"as-of", required_argument, 0, 'a'},
                                         {"root", required_argument, 0, 'r'},
                                         {"output", required_argument, 0, 'o'},
                                         {"json", no_argument, 0, 'j'},
                                         {"partial", no_argument, 0, 'p'},
                                         {"valid-from", required_argument, 0, 'f'},
                                         {"code-property", required_argument, 0, 'c'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    memset(o, 0, sizeof *o);
    o->as_of = dh_date_of_time_vn(time(NULL));
    o->valid_from = DH_DATE_NONE;
    o->code_prop = "code";
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:a:r:o:jpf:c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': o->db = optarg; break;
        case 'a':
            o->as_of_text = optarg;
            if (dh_date_parse(optarg, &o->as_of))
                return dh_cli_usage("unit", "--as-of '%s' is not a real date YYYY-MM-DD", optarg);
            break;
        case 'r': o->root = optarg; break;
        case 'o': o->output = optarg; break;
        case 'j': o->json = true; break;
        case 'p': o->partial = true; break;
        case 'f':
            if (dh_date_parse(optarg, &o->valid_from))
                return dh_cli_usage("unit", "--valid-from '%s' is not a real date YYYY-MM-DD",
                                    optarg);
            break;
        case 'c': o->code_prop = optarg; break;
        case 'h': fputs(unit_help, stdout); return -1;
        default: return dh_cli_usage("unit", "unknown option");
        }
    }
    o->argc = argc - optind;
    o->argv = argv + optind;
    return 0;
}

static void progress(long rows, void *closure)
{
    fprintf(stderr, "\r%s: %ld rows read", (const char *)closure, rows);
}

static int do_import(dh_app *app, unit_opts *o)
{
    if (o->argc != 1)
        return dh_cli_usage("unit", "import takes one FILE.csv");
    const char *path = o->argv[0];
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "dieuhanh: cannot open %s: %m\n", path);
        return DH_EXIT_FAIL;
    }
    dh_actor a;
    dh_actor_cli(&a);
    dh_import_report rep;
    dh_err e;
    dh_status st = dh_app_unit_import(app, &a, f, path, o->partial, time(NULL), &rep, progress,
                                      (void *)path, &e);
    if (f != stdin)
        fclose(f);
    for (int i = 0; i < rep.nmessages; i++)
        fprintf(stderr, "%s\n", rep.messages[i]);
    if (rep.refused > rep.nmessages)
        fprintf(stderr, "... and %d more\n", rep.refused - rep.nmessages);
    int rc = DH_EXIT_OK;
    if (st)
        rc = dh_cli_fail(&e);
    else
        printf("%s: %d units imported, %d rows refused\n", path, rep.taken, rep.refused);
    if (st == DH_OK && rep.refused)
        rc = DH_EXIT_FAIL; /* --partial: the good rows were taken, still say it failed */
    dh_import_report_free(&rep);
    return rc;
}

static int do_export(dh_app *app, unit_opts *o)
{
    FILE *f = o->output ? fopen(o->output, "w") : stdout;
    if (!f) {
        fprintf(stderr, "dieuhanh: cannot write %s: %m\n", o->output);
        return DH_EXIT_FAIL;
    }
    dh_err e;
    dh_status st = dh_app_unit_export(app, f, o->as_of, &e);
    if (f != stdout && fclose(f) != 0 && st == DH_OK) {
        fprintf(stderr, "dieuhanh: cannot write %s: %m\n", o->output);
        return DH_EXIT_FAIL;
    }
    return st ? dh_cli_fail(&e) : DH_EXIT_OK;
}

static void print_tree(const dh_unitreg *r, int32_t u, dh_date d, int depth)
{
    const dh_unit_version *v = dh_unitreg_at(r, u, d);
    printf("%*s%s  %s  [%s]\n", depth * 2, "", r->u[u].code, v ? v->name : "?",
           dh_unit_kind_name(r->u[u].kind));
    int32_t *kids;
    size_t n = dh_unitreg_children(r, u, d, &kids);
    for (size_t i = 0; i < n && depth < 64; i++)
        print_tree(r, kids[i], d, depth + 1);
    free(kids);
}

static json_t *tree_json(const dh_unitreg *r, int32_t u, dh_date d, int depth)
{
    json_t *o = dh_app_unit_json(r, u, d, false);
    json_t *arr = json_array();
    int32_t *kids;
    size_t n = dh_unitreg_children(r, u, d, &kids);
    for (size_t i = 0; i < n && depth < 64; i++)
        json_array_append_new(arr, tree_json(r, kids[i], d, depth + 1));
    free(kids);
    json_object_set_new(o, "children", arr);
    return o;
}

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2));
    puts(s ? s : "null");
    free(s);
    json_decref(j);
}

static int do_tree(const dh_unitreg *r, unit_opts *o)
{
    int32_t *roots;
    size_t n;
    if (o->root) {
        int32_t u = dh_unitreg_find(r, o->root);
        if (u < 0 || !dh_unitreg_valid_at(r, u, o->as_of)) {
            fprintf(stderr, "dieuhanh: unit '%s' does not exist on that date\n", o->root);
            return DH_EXIT_FAIL;
        }
        roots = dh_xmalloc(sizeof *roots);
        roots[0] = u;
        n = 1;
    } else {
        n = dh_unitreg_roots(r, o->as_of, &roots);
    }
    if (o->json) {
        json_t *items = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(items, tree_json(r, roots[i], o->as_of, 0));
        char ds[DH_DATE_TEXT_LEN];
        dh_date_format(o->as_of, ds);
        print_json(json_pack("{s:s,s:o}", "as_of", ds, "items", items));
    } else {
        for (size_t i = 0; i < n; i++)
            print_tree(r, roots[i], o->as_of, 0);
    }
    free(roots);
    return DH_EXIT_OK;
}

static int32_t code_arg(const dh_unitreg *r, unit_opts *o, const char *what)
{
    if (o->argc != 1) {
        dh_cli_usage("unit", "%s takes one unit CODE", what);
        return -2;
    }
    int32_t u = dh_unitreg_find(r, o->argv[0]);
    if (u < 0)
        fprintf(stderr, "dieuhanh: unit '%s' does not exist\n", o->argv[0]);
    return u;
}

static int do_show(const dh_unitreg *r, unit_opts *o)
{
    int32_t u = code_arg(r, o, "show");
    if (u < 0)
        return u == -2 ? DH_EXIT_USAGE : DH_EXIT_FAIL;
    json_t *j = dh_app_unit_json(r, u, o->as_of, true);
    if (o->json) {
        print_json(j);
        return DH_EXIT_OK;
    }
    printf("%s  %s  [%s]  %s .. %s\n", r->u[u].code,
           json_string_value(json_object_get(j, "name")), dh_unit_kind_name(r->u[u].kind),
           json_string_value(json_object_get(j, "valid_from")),
           json_is_null(json_object_get(j, "valid_to"))
               ? "open"
               : json_string_value(json_object_get(j, "valid_to")));
    json_t *vs = json_object_get(j, "versions"), *v;
    size_t i;
    json_array_foreach(vs, i, v)
    {
        json_t *p = json_object_get(v, "parent");
        printf("  from %s: %s (parent %s)\n", json_string_value(json_object_get(v, "valid_from")),
               json_string_value(json_object_get(v, "name")),
               json_is_string(p) ? json_string_value(p) : "none");
    }
    json_decref(j);
    return DH_EXIT_OK;
}

static int do_search(const dh_unitreg *r, unit_opts *o)
{
    if (o->argc < 1)
        return dh_cli_usage("unit", "search takes the TEXT to look for");
    dh_buf q = DH_BUF_INIT;
    for (int i = 0; i < o->argc; i++) {
        if (i)
            dh_buf_putc(&q, ' ');
        dh_buf_puts(&q, o->argv[i]);
    }
    int32_t *v;
    size_t n = dh_unitreg_search(r, q.p, o->as_of_text ? o->as_of : DH_DATE_NONE, &v);
    for (size_t i = 0; i < n; i++) {
        const dh_unit *u = &r->u[v[i]];
        const dh_unit_version *ver = dh_unitreg_nearest(r, v[i], o->as_of);
        char vf[DH_DATE_TEXT_LEN], vt[DH_DATE_TEXT_LEN] = "open";
        dh_date_format(u->valid_from, vf);
        if (u->valid_to != DH_DATE_NONE)
            dh_date_format(u->valid_to, vt);
        printf("%s\t%s\t%s\t%s..%s\n", u->code, ver ? ver->name : "", dh_unit_kind_name(u->kind),
               vf, vt);
    }
    if (!n)
        fprintf(stderr, "no unit matches '%s'\n", q.p);
    free(v);
    dh_buf_free(&q);
    return n ? DH_EXIT_OK : DH_EXIT_FAIL;
}

static int do_lineage(const dh_unitreg *r, unit_opts *o)
{
    int32_t u = code_arg(r, o, "lineage");
    if (u < 0)
        return u == -2 ? DH_EXIT_USAGE : DH_EXIT_FAIL;
    int32_t *pre, *suc;
    size_t np = dh_unitreg_lineage(r, u, false, &pre);
    size_t ns = dh_unitreg_lineage(r, u, true, &suc);
    json_t *jp = json_array(), *js = json_array();
    for (size_t i = 0; i < np; i++)
        json_array_append_new(jp, json_string(r->u[pre[i]].code));
    for (size_t i = 0; i < ns; i++)
        json_array_append_new(js, json_string(r->u[suc[i]].code));
    if (o->json) {
        print_json(json_pack("{s:s,s:o,s:o}", "code", r->u[u].code, "predecessors", jp,
                             "successors", js));
    } else {
        printf("predecessors:");
        for (size_t i = 0; i < np; i++)
            printf(" %s", r->u[pre[i]].code);
        printf("\nsuccessors:");
        for (size_t i = 0; i < ns; i++)
            printf(" %s", r->u[suc[i]].code);
        printf("\n");
        json_decref(jp);
        json_decref(js);
    }
    free(pre);
    free(suc);
    return DH_EXIT_OK;
}

static int do_event(dh_app *app, unit_opts *o)
{
    if (o->argc != 1)
        return dh_cli_usage("unit", "event takes one FILE.json");
    json_error_t je;
    json_t *j = json_load_file(o->argv[0], JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        fprintf(stderr, "dieuhanh: %s:%d:%d: %s\n", o->argv[0], je.line, je.column, je.text);
        return DH_EXIT_FAIL;
    }
    json_t *arr = json_is_array(j) ? j : NULL;
    size_t n = arr ? json_array_size(arr) : 1;
    dh_actor a;
    dh_actor_cli(&a);
    int rc = DH_EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        json_t *ev = arr ? json_array_get(arr, i) : j, *out = NULL;
        dh_err e;
        if (dh_app_unit_event(app, &a, ev, time(NULL), &out, &e)) {
            fprintf(stderr, "dieuhanh: %s: event %zu refused (%zu applied before it): %s\n",
                    o->argv[0], i + 1, i, e.message);
            rc = DH_EXIT_FAIL;
            break;
        }
        printf("event %zu applied: %s on %s (id %lld)\n", i + 1,
               json_string_value(json_object_get(out, "kind")),
               json_string_value(json_object_get(out, "effective")),
               (long long)json_integer_value(json_object_get(out, "id")));
        json_decref(out);
    }
    json_decref(j);
    return rc;
}

static int do_geo(dh_app *app, unit_opts *o)
{
    if (o->argc != 2 || strcmp(o->argv[0], "import") != 0)
        return dh_cli_usage("unit", "geo takes: import FILE.geojson");
    const char *path = o->argv[1];
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "dieuhanh: cannot open %s: %m\n", path);
        return DH_EXIT_FAIL;
    }
    dh_buf data = DH_BUF_INIT;
    dh_buf_read_all(&data, f);
    if (f != stdin)
        fclose(f);
    dh_actor a;
    dh_actor_cli(&a);
    dh_err e;
    size_t n;
    dh_status st = dh_app_unit_geo_import(app, &a, data.p ? data.p : "", data.len, path,
                                          o->code_prop, o->valid_from, time(NULL), &n, &e);
    dh_buf_free(&data);
    if (st)
        return dh_cli_fail(&e);
    printf("%s: %zu boundaries imported\n", path, n);
    return DH_EXIT_OK;
}

int dh_cmd_unit(int argc, char **argv)
{
    if (argc < 2)
        return dh_cli_usage("unit", "a subcommand is needed: import, export, tree, show, search, lineage or event");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(unit_help, stdout);
        return DH_EXIT_OK;
    }
    const char *sub = argv[1];
    static const char *const subs[] = {"import", "export", "tree", "show",
                                       "search", "lineage", "event", "geo", NULL};
    bool known = false;
    for (const char *const *s = subs; *s; s++)
        known |= strcmp(*s, sub) == 0;
    if (!known)
        return dh_cli_usage("unit", "unknown subcommand '%s'", sub);
    unit_opts o;
    int prc = parse_opts(argc - 1, argv + 1, &o);
    if (prc)
        return prc < 0 ? DH_EXIT_OK : prc;
    bool writes = strcmp(sub, "import") == 0 || strcmp(sub, "event") == 0 ||
                  strcmp(sub, "geo") == 0;
    dh_app *app = dh_cli_open(dh_cli_db(o.db), writes);
    if (!app)
        return DH_EXIT_FAIL;
    int rc;
    if (strcmp(sub, "import") == 0) {
        rc = do_import(app, &o);
    } else if (strcmp(sub, "export") == 0) {
        rc = do_export(app, &o);
    } else if (strcmp(sub, "event") == 0) {
        rc = do_event(app, &o);
    } else if (strcmp(sub, "geo") == 0) {
        rc = do_geo(app, &o);
    } else {
        dh_err e;
        const dh_unitreg *r = dh_app_units_acquire(app, &e);
        if (!r) {
            dh_app_close(app);
            return dh_cli_fail(&e);
        }
        if (strcmp(sub, "tree") == 0)
            rc = do_tree(r, &o);
        else if (strcmp(sub, "show") == 0)
            rc = do_show(r, &o);
        else if (strcmp(sub, "search") == 0)
            rc = do_search(r, &o);
        else
            rc = do_lineage(r, &o);
        dh_app_units_release(app, r);
    }
    dh_app_close(app);
    return rc;
}
