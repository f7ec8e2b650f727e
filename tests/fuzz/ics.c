/* ics.c - fuzzes the iCalendar reader (src/util/ics.c): an error has a
 * "NAME:LINE: reason" message and no events; a success gives events within
 * the documented limits. */
#include "lib/fuzz.h"
#include "util/ics.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    dh_ics_event *ev = NULL;
    size_t nev = 99;
    char msg[512];
    int rc = dh_ics_parse((const char *)d, n, "fuzz.ics", &ev, &nev, msg, sizeof msg);
    if (rc != 0) {
        FZ_CHECK(ev == NULL && nev == 0 && strncmp(msg, "fuzz.ics:", 9) == 0);
        return 0;
    }
    FZ_CHECK(nev <= DH_ICS_MAX_EVENTS && (nev == 0) == (ev == NULL));
    for (size_t i = 0; i < nev; i++) {
        FZ_CHECK(ev[i].ndays >= 1 && ev[i].ndays <= DH_ICS_MAX_DAYS && ev[i].line >= 1);
        FZ_CHECK(ev[i].summary && ev[i].description && ev[i].categories && ev[i].x_type &&
                 ev[i].x_kind && ev[i].x_confirmed);
    }
    dh_ics_events_free(ev, nev);
    return 0;
}
