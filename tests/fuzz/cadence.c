/* cadence.c - fuzzes the reporting cadence phrases (src/core/cadence.c),
 * read as running text and as a deadline field (the first byte chooses):
 * the phrase kept stays a NUL-terminated string in its array and the rule
 * has a known period. */
#include <stdbool.h>

#include "core/cadence.h"
#include "lib/fuzz.h"
#include "util/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (n < 1)
        return 0;
    char *s = fz_cstr(d + 1, n - 1);
    /* The contract asks for valid UTF-8, which every caller checks first. */
    if (dh_utf8_invalid_offset(s, n - 1) < 0) {
        dh_cadence c;
        bool found = dh_cadence_parse(s, d[0] & 1, &c);
        FZ_CHECK(found == c.found);
        FZ_CHECK(memchr(c.phrase, 0, sizeof c.phrase) != NULL);
        FZ_CHECK(strcmp(dh_report_every_name(c.rule.every), "") != 0);
    }
    free(s);
    return 0;
}
