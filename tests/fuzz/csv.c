/* csv.c - fuzzes the CSV reader (src/util/csv.c) read from memory and, on
 * the same bytes, from a FILE: both must give the same rows, lines and
 * errors, every error must have a "NAME:LINE: reason" message. */
#include <stdbool.h>

#include "lib/fuzz.h"
#include "util/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    dh_csv *a = dh_csv_new_mem((const char *)d, n, "fuzz.csv");
    FILE *f = n ? fmemopen((void *)d, n, "rb") : NULL;
    dh_csv *b = f ? dh_csv_new(f, "fuzz.csv") : NULL;
    for (int rows = 0; rows < 100000; rows++) {
        char **fa, **fb;
        size_t na, nb;
        int ra = dh_csv_next(a, &fa, &na);
        if (ra < 0)
            FZ_CHECK(strncmp(dh_csv_error(a), "fuzz.csv:", 9) == 0);
        if (b) {
            int rb = dh_csv_next(b, &fb, &nb);
            FZ_CHECK(ra == rb);
            if (ra < 0)
                FZ_CHECK(strcmp(dh_csv_error(a), dh_csv_error(b)) == 0);
            if (ra > 0) {
                FZ_CHECK(na == nb && dh_csv_line(a) == dh_csv_line(b));
                for (size_t i = 0; i < na; i++)
                    FZ_CHECK(strcmp(fa[i], fb[i]) == 0);
            }
        }
        if (ra <= 0)
            break;
        FZ_CHECK(na >= 1 && na <= 256 && dh_csv_line(a) >= 1);
        for (size_t i = 0; i < na; i++)
            (void)dh_csv_formula_like(fa[i]);
    }
    dh_csv_free(a);
    dh_csv_free(b);
    if (f)
        fclose(f);
    return 0;
}
