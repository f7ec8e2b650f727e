/* open311.c - fuzzes Open311 request bodies (POST /open311/v2/requests.json
 * and .xml, src/http/ep_open311.c): the form fields read by dh_req_form,
 * lat/long, the contact, and the submission into a real database with the
 * demo province and two categories. The first input byte chooses the
 * format; the rest is the body, sent after a valid api_key (an officer's
 * token) so that every input reaches the checks behind the key. A 5xx is a
 * finding. */
#include <jansson.h>

#include "http/http.h"
#include "lib/fuzz.h"
#include "lib/fzapp.h"
#include "lib/route.h"

static char *prefix; /* "api_key=SECRET&" */

static void setup(void)
{
    dh_app *app = fz_app();
    dh_err e;
    static const char *const cats[] = {
        "{\"code\":\"light\",\"name\":\"Chiếu sáng công cộng\",\"keywords\":\"đèn\"}",
        "{\"code\":\"roads\",\"name\":\"Giao thông\",\"accept_days\":2,\"answer_days\":10}"};
    for (size_t i = 0; i < 2; i++) {
        json_t *b = json_loads(cats[i], 0, NULL);
        FZ_CHECK(b && dh_app_fb_category_put(app, fz_cli(), b, false, FZ_NOW, &e) == DH_OK);
        json_decref(b);
    }
    char *secret = NULL;
    json_t *out = NULL;
    if (dh_app_token_create(app, fz_cli(), "canbo.vungtau", "fuzz", NULL, FZ_NOW, &secret, &out,
                            &e)) {
        fprintf(stderr, "fuzz: token: %s\n", e.message);
        abort();
    }
    json_decref(out);
    size_t n = strlen(secret) + 10;
    prefix = malloc(n);
    snprintf(prefix, n, "api_key=%s&", secret);
    free(secret);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    static dh_handler h;
    if (!h) {
        setup();
        h = fz_route(dh_routes_open311, "POST", "/open311/v2/requests.{}");
    }
    if (n < 1)
        return 0;
    size_t pn = strlen(prefix);
    char *body = malloc(pn + n - 1 + 1);
    memcpy(body, prefix, pn);
    memcpy(body + pn, d + 1, n - 1);
    dh_req rq = {.app = fz_app(), .now = FZ_NOW, .method = "POST",
                 .path = "/open311/v2/requests.json", .body = body, .body_len = pn + n - 1};
    rq.params[0] = (d[0] & 1) ? "xml" : "json";
    rq.nparams = 1;
    snprintf(rq.ip, sizeof rq.ip, "192.0.2.%d", d[0]);
    fz_call(h, &rq);
    free(body);
    return 0;
}
