/* xlsx.c - fuzzes the XLSX reader (src/util/xlsx.c) on whole files: the
 * zip container (end record, central directory, local headers, inflation)
 * and, behind it, the XML. A failure is DH_E_INVALID or DH_E_TOOLARGE with
 * a message and an empty sheet; a success keeps the documented shape
 * (cells by increasing column, within max_columns, never empty). The part
 * limits are lowered so that a zip bomb costs milliseconds. */
#include "lib/fuzz.h"
#include "lib/xlsxcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    fz_xlsx_read(d, n);
    return 0;
}
