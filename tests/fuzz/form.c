/* form.c - fuzzes the application/x-www-form-urlencoded body reader
 * (dh_req_form, src/http/server.c; the sign-in form, every page form and
 * Open311 requests go through it), with the field names the pages use, a
 * small and a large output buffer: a value is NUL-terminated inside its
 * buffer and valid UTF-8. Query strings are split and decoded by
 * libmicrohttpd, not by us; what our code does with them (UTF-8 check,
 * dates, times, numbers) is fuzzed here too: the input is also read as one
 * query value. */
#include "http/http.h"
#include "lib/fuzz.h"
#include "util/date.h"
#include "util/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    static const char *const names[] = {"csrf", "login", "password", "q", "api_key",
                                        "attribute%5Bcommune%5D", "", "a"};
    dh_req rq;
    memset(&rq, 0, sizeof rq);
    rq.body = (const char *)d;
    rq.body_len = n;
    char small[8], big[4096];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        const char *v = dh_req_form(&rq, names[i], small, sizeof small);
        if (v)
            FZ_CHECK(v == small && memchr(small, 0, sizeof small));
        v = dh_req_form(&rq, names[i], big, sizeof big);
        if (v)
            FZ_CHECK(v == big && dh_utf8_invalid_offset(big, strlen(big)) < 0);
    }
    char *s = fz_cstr(d, n);
    if (dh_utf8_invalid_offset(s, strlen(s)) < 0) {
        dh_date day;
        time_t t;
        if (dh_date_parse(s, &day) == 0) {
            char out[16];
            dh_date_format(day, out);
        }
        (void)dh_time_parse(s, &t);
    }
    free(s);
    return 0;
}
