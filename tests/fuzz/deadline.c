/* deadline.c - fuzzes the Vietnamese deadline expressions
 * (src/core/deadline.c): every input gives a deadline or a clean
 * DH_E_MALFORMED / DH_E_TOOLARGE; a parsed deadline keeps its text
 * verbatim, has dates in order, resolves, and lists its occurrences over a
 * few years without overrunning the array it is given. */
#include "core/deadline.h"
#include "lib/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    char *s = fz_cstr(d, n);
    dh_deadline dl;
    dh_err e;
    dh_status st = dh_deadline_parse(s, &dl, &e);
    if (st != DH_OK) {
        FZ_CHECK((st == DH_E_MALFORMED || st == DH_E_TOOLARGE) && e.message[0] && !dl.text);
        free(s);
        return 0;
    }
    FZ_CHECK(dl.text && strcmp(dl.text, s) == 0);
    FZ_CHECK(dl.kind >= DH_DL_FREE && dl.kind < DH_DL_KIND_COUNT);
    FZ_CHECK(strcmp(dh_dl_kind_name(dl.kind), "?") != 0);
    if (dl.start != DH_DATE_NONE && dl.due != DH_DATE_NONE)
        FZ_CHECK(dl.start <= dl.due);
    dh_date from = dh_date_from_ymd(2020, 1, 1), to = dh_date_from_ymd(2027, 12, 31);
    (void)dh_deadline_resolve(&dl, from, to);
    dh_dl_occurrence occ[16];
    size_t total = dh_deadline_occurrences(&dl, from, to, occ, 16);
    for (size_t i = 0; i < total && i < 16; i++)
        FZ_CHECK(occ[i].start <= occ[i].due && (i == 0 || occ[i - 1].due <= occ[i].due));
    if (!dh_deadline_is_recurring(&dl))
        FZ_CHECK(total == 0);
    dh_deadline_cleanup(&dl);
    free(s);
    return 0;
}
