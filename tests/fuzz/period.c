/* period.c - fuzzes the reporting period parser (src/core/period.c): a
 * period is a range with from <= to, an error has a reason. */
#include "core/period.h"
#include "lib/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    char *s = fz_cstr(d, n);
    dh_period p;
    const char *why = NULL;
    if (dh_period_parse(s, &p, &why) == 0)
        FZ_CHECK(p.from <= p.to);
    else
        FZ_CHECK(why && why[0]);
    free(s);
    return 0;
}
