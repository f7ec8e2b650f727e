/* cmd_routes.c - `dieuhanh routes`: the HTTP routes the server answers,
 * listed from the very table it matches requests against (dh_routes_each),
 * so that a test can check that every route has an entry in the permission
 * matrix (tests/e2e/test_permissions.py). */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "http/http.h"

static const char usage_text[] =
    "usage: dieuhanh routes [--json]\n\n"
    "Lists the HTTP routes of the server in the order it matches them: method,\n"
    "pattern ({} is one path segment) and what a request needs before the\n"
    "handler runs:\n"
    "  public     nothing (the handler serves anyone)\n"
    "  page       an HTML page: signing in is checked by the page itself, which\n"
    "             sends a visitor to the sign-in form; form posts carry a csrf field\n"
    "  signed-in  a session cookie or a bearer token, else 401\n"
    "\"bulk\" marks routes that take a large body. Role and unit checks happen in\n"
    "the handlers (src/core/access.c); the permission matrix test covers them.\n"
    "  --json   one JSON array of {method, pattern, auth, bulk}\n";

static const char *auth_of(const dh_route *r)
{
    return r->flags & DH_ROUTE_PUBLIC ? "public" : r->flags & DH_ROUTE_PAGE ? "page" : "signed-in";
}

static void add_json(const dh_route *r, void *closure)
{
    json_array_append_new(closure, json_pack("{s:s,s:s,s:s,s:b}", "method", r->method, "pattern",
                                             r->pattern, "auth", auth_of(r), "bulk",
                                             (r->flags & DH_ROUTE_BULK) != 0));
}

static void print_line(const dh_route *r, void *closure)
{
    (void)closure;
    printf("%-6s %-46s %s%s\n", r->method, r->pattern, auth_of(r),
           r->flags & DH_ROUTE_BULK ? " bulk" : "");
}

int dh_cmd_routes(int argc, char **argv)
{
    bool json = false;
    const dh_cli_opt opts[] = {{"--json", NULL, &json}, {NULL, NULL, NULL}};
    int npos = 0;
    int rc = dh_cli_parse("routes", argc, argv, opts, NULL, 0, &npos, usage_text);
    if (rc)
        return rc < 0 ? DH_EXIT_OK : rc;
    if (!json) {
        dh_routes_each(print_line, NULL);
        return DH_EXIT_OK;
    }
    json_t *all = json_array();
    dh_routes_each(add_json, all);
    char *s = json_dumps(all, JSON_COMPACT);
    json_decref(all);
    if (!s)
        return DH_EXIT_FAIL;
    puts(s);
    free(s);
    return DH_EXIT_OK;
}
