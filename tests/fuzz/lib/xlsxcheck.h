/* xlsxcheck.h - the XLSX harnesses' shared parts: reading a workbook with
 * the checks of its contract, and building a stored zip of a worksheet and
 * its shared strings (also for the plan-import harness). */
#ifndef DH_FUZZ_XLSXCHECK_H
#define DH_FUZZ_XLSXCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "util/xlsx.h"

/* Reads [d, d+n) as a workbook and checks the result; aborts on a broken
 * contract. */
void fz_xlsx_read(const uint8_t *d, size_t n);

/* A zip (malloc'd, its size in *zn) holding xl/worksheets/sheet1.xml =
 * [sheet, sheet+ns) and, when strings is not NULL, xl/sharedStrings.xml =
 * [strings, strings+nstr), both stored uncompressed. */
uint8_t *fz_zip_stored(const uint8_t *sheet, size_t ns, const uint8_t *strings, size_t nstr,
                       size_t *zn);

#endif
