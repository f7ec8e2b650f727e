/* xlsx_xml.c - fuzzes the XML side of the XLSX reader (src/util/xlsx.c):
 * the input is split at the first NUL byte into the worksheet XML and the
 * shared strings XML, which are stored (method 0) in a well-formed zip, so
 * that every input reaches the XML scanner instead of stopping at the
 * container. */
#include "lib/fuzz.h"
#include "lib/xlsxcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    const uint8_t *nul = memchr(d, 0, n);
    size_t n1 = nul ? (size_t)(nul - d) : n;
    const uint8_t *s2 = nul ? nul + 1 : NULL;
    size_t n2 = nul ? n - n1 - 1 : 0;
    size_t zn;
    uint8_t *z = fz_zip_stored(d, n1, s2, n2, &zn);
    fz_xlsx_read(z, zn);
    free(z);
    return 0;
}
