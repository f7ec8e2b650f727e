/* kseries.c - fuzzes the loading of a saved day series and unit rollup
 * (src/core/kseries.c: dh_kseries_load, dh_kcum_load), the parsers of the
 * aggregates' snapshot (src/app/aggsnap.c): nothing is read past the end,
 * a refused input leaves the series empty, an accepted one answers for
 * each of its days and saves back to the very bytes it was read from. */
#include "core/kseries.h"
#include "lib/fuzz.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    /* a private copy, so that ASan sees a read past the end */
    unsigned char *x = malloc(n ? n : 1);
    if (!x)
        abort();
    memcpy(x, d, n);
    const unsigned char *p = x, *end = x + n;
    dh_kseries s = {0};
    if (dh_kseries_load(&s, &p, end)) {
        FZ_CHECK(p >= x && p <= end);
        for (int32_t i = 0; i < s.nblk; i++)
            for (int j = 0; j < DH_KS_DAYS; j++)
                if (s.blk[i].present >> j & 1) {
                    dh_kcell c;
                    dh_kseries_get(&s, s.blk[i].bno * DH_KS_DAYS + j, &c);
                }
        dh_buf b = DH_BUF_INIT;
        dh_kseries_save(&s, &b);
        FZ_CHECK(b.len == (size_t)(p - x) && (!b.len || !memcmp(b.p, x, b.len)));
        dh_buf_free(&b);
        dh_kcum c = {0};
        const unsigned char *q = p;
        if (dh_kcum_load(&c, &q, end)) {
            FZ_CHECK(q >= p && q <= end);
            dh_kcell v;
            dh_kcum_before(&c, c.d0 + c.len / 2, &v);
        } else {
            FZ_CHECK(!c.cum);
        }
        dh_kcum_free(&c);
    } else {
        FZ_CHECK(s.nblk == 0 && !s.blk);
    }
    dh_kseries_free(&s);
    free(x);
    return 0;
}
