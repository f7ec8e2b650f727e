/* route.h - calling an endpoint's handler as the server does (harnesses of
 * request bodies). */
#ifndef DH_FUZZ_ROUTE_H
#define DH_FUZZ_ROUTE_H

#include "http/http.h"

/* The handler of method + pattern in a route table (aborts when absent). */
dh_handler fz_route(const dh_route *table, const char *method, const char *pattern);
/* Calls h and checks the reply: a status below 500 with a body (a 5xx is a
 * finding: bad input must get a clear error). Frees the body. */
void fz_call(dh_handler h, dh_req *rq);

#endif
