/* route.c - see route.h. */
#include "lib/route.h"

#include "lib/fuzz.h"

dh_handler fz_route(const dh_route *table, const char *method, const char *pattern)
{
    for (const dh_route *r = table; r->method; r++)
        if (strcmp(r->method, method) == 0 && strcmp(r->pattern, pattern) == 0)
            return r->handler;
    fprintf(stderr, "fuzz: no route %s %s\n", method, pattern);
    abort();
}

void fz_call(dh_handler h, dh_req *rq)
{
    dh_resp rs;
    memset(&rs, 0, sizeof rs);
    h(rq, &rs);
    if (rs.status >= 500 || rs.status < 200 || !rs.body) {
        fprintf(stderr, "fuzz: answered %d: %s\n", rs.status, rs.body ? rs.body : "(no body)");
        abort();
    }
    if (getenv("FZ_VERBOSE"))
        fprintf(stderr, "fuzz: %d %.300s\n", rs.status, rs.body);
    free(rs.body);
}
