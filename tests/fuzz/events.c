/* events.c - fuzzes the dossier events endpoint (POST /api/v1/dossier-events,
 * src/http/ep_dossiers.c): the body checks of dh_req_json (UTF-8, depth,
 * duplicate keys), one event or {"events":[...]}, each event's fields read
 * and checked (src/app/dossiers.c), and the ingestion into a real SQLite
 * database holding the demo province. The handler is called as the server
 * calls it; every answer must be a status with a JSON body, never a 500. */
#include "http/http.h"
#include "lib/fuzz.h"
#include "lib/fzapp.h"
#include "lib/route.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    static dh_handler h;
    if (!h)
        h = fz_route(dh_routes_dossiers, "POST", "/api/v1/dossier-events");
    dh_req rq = {.app = fz_app(), .now = FZ_NOW, .method = "POST",
                 .path = "/api/v1/dossier-events", .body = (const char *)d, .body_len = n,
                 .authed = true, .actor = *fz_cli()};
    fz_call(h, &rq);
    return 0;
}
