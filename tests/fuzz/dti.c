/* dti.c - fuzzes the DTI files (src/app/dti.c), CSV or XLSX by content: the
 * first input byte chooses between a framework (code, parent, name,
 * max_points, method, threshold, source...) imported as a new year of a
 * fuzz framework, and published results (unit, criterion, points...)
 * imported, all or nothing or partial, against the demo framework
 * data/demo/dti-district-2023.csv loaded at start. Every refusal carries a
 * message; DH_E_INTERNAL or DH_E_DB is a finding. */
#include <jansson.h>

#include "lib/fuzz.h"
#include "lib/fzapp.h"
#include "util/embed.h"

static void setup(void)
{
    size_t len = 0;
    const char *fw = dh_embedded_get("demo/dti-district-2023.csv", &len);
    FZ_CHECK(fw != NULL);
    dh_import_report rep;
    dh_err e;
    json_t *out = NULL;
    memset(&rep, 0, sizeof rep);
    if (dh_app_dti_framework_import(fz_app(), fz_cli(), fw, len, "dti-district-2023.csv", "DTI-F",
                                    "Bộ chỉ số thử", "district", 2023, FZ_NOW, &rep, &out, &e)) {
        fprintf(stderr, "fuzz: framework: %s\n", e.message);
        abort();
    }
    json_decref(out);
    dh_import_report_free(&rep);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    static int ready;
    if (!ready) {
        setup();
        ready = 1;
    }
    if (n < 1)
        return 0;
    dh_import_report rep;
    dh_err e;
    json_t *out = NULL;
    dh_status st;
    memset(&rep, 0, sizeof rep);
    const char *data = (const char *)d + 1;
    if (d[0] & 1)
        st = dh_app_dti_framework_import(fz_app(), fz_cli(), data, n - 1, "fuzz.csv", "DTI-Z",
                                         "Khung thử", "commune", 2000 + (d[0] >> 1), FZ_NOW, &rep,
                                         &out, &e);
    else
        st = dh_app_dti_results_import(fz_app(), fz_cli(), data, n - 1, "fuzz.csv", "DTI-F",
                                       2023, d[0] & 2, FZ_NOW, &rep, &out, &e);
    if (getenv("FZ_VERBOSE"))
        fprintf(stderr, "fuzz: %d %s\n", st, st ? e.message : "ok");
    if (st != DH_OK) {
        FZ_CHECK(e.message[0]);
        FZ_CHECK(st != DH_E_INTERNAL && st != DH_E_DB);
    }
    json_decref(out);
    dh_import_report_free(&rep);
    return 0;
}
