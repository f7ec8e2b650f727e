/* planimport.c - fuzzes the plan-appendix importer (dh_app_plan_import,
 * src/app/planimport.c) on CSV or XLSX bytes (chosen by content, as the
 * endpoint and the CLI do), into a plan of the demo province in a real
 * database: header mapping, unit names matched against the registry,
 * deadlines, cadences, targets, parent tasks. Every refusal must carry a
 * message; anything else is a finding. */
#include <jansson.h>

#include "lib/fuzz.h"
#include "lib/fzapp.h"

#define PLAN "FUZZ-PLAN"

static void setup(void)
{
    dh_err e;
    json_t *b = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "key", PLAN, "type", "Kế hoạch", "issuer",
                          "BRVT", "title", "Kế hoạch thử nghiệm", "period_from", "2023-01-01",
                          "period_to", "2025-12-31");
    json_t *out = NULL;
    if (dh_app_plan_create(fz_app(), fz_cli(), b, FZ_NOW, &out, &e)) {
        fprintf(stderr, "fuzz: plan: %s\n", e.message);
        abort();
    }
    json_decref(out);
    json_decref(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    static int ready;
    if (!ready) {
        setup();
        ready = 1;
    }
    dh_import_report rep;
    dh_err e;
    memset(&rep, 0, sizeof rep);
    dh_status st = dh_app_plan_import(fz_app(), fz_cli(), PLAN, (const char *)d, n, "fuzz.csv",
                                      FZ_NOW, &rep, &e);
    if (getenv("FZ_VERBOSE"))
        fprintf(stderr, "fuzz: %d %s\n", st, st ? e.message : "ok");
    if (st != DH_OK) {
        FZ_CHECK(e.message[0]);
        FZ_CHECK(st != DH_E_INTERNAL && st != DH_E_DB);
    }
    dh_import_report_free(&rep);
    return 0;
}
