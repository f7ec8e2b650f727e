/* xlsxout.h - a libxlsxwriter workbook made in memory (this libxlsxwriter
 * writes only to files: a private temporary file is read back and removed). */
#ifndef DH_APP_XLSXOUT_H
#define DH_APP_XLSXOUT_H

#include <xlsxwriter.h>

#include "util/err.h"

typedef struct dh_xlsx {
    char path[512];
    lxw_workbook *wb;
} dh_xlsx;

/* Starts a workbook; NULL (nothing left behind) when it cannot. */
lxw_workbook *dh_xlsx_begin(dh_xlsx *x);
/* Closes it: the bytes in *out (malloc'd) and *len, the file removed. */
dh_status dh_xlsx_end(dh_xlsx *x, char **out, size_t *len, dh_err *e);

#endif
