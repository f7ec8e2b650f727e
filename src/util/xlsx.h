/* xlsx.h - a minimal reader of the first worksheet of an .xlsx workbook (a
 * zip of XML parts): enough for the plan appendices users keep in Excel.
 *
 * It reads the zip's central directory, inflates (zlib) only the shared
 * strings and the first worksheet, and scans their XML for cells: shared
 * strings (t="s"), inline strings, plain values. Formulas give their cached
 * value; styles, dates as serial numbers and merged cells are not
 * interpreted. Every size is bounded (a part at most 64 MiB inflated, 256
 * columns, 100,000 rows); anything else is an error, never a crash.
 *
 * Ownership: the rows and their strings are malloc'd; free them with
 * dh_xlsx_free.
 */
#ifndef DH_XLSX_H
#define DH_XLSX_H

#include <stddef.h>

#define DH_XLSX_COLS_MAX 256
#define DH_XLSX_ROWS_MAX 100000

typedef struct dh_xlsx_row {
    long line;  /* the row number shown by Excel (1-based) */
    char **f;   /* fields by column (A = 0), "" when empty */
    size_t n;   /* up to the last non-empty cell */
} dh_xlsx_row;

/* Reads the first worksheet. Returns 0 and the non-empty rows in order, or
 * -1 with a reason in err (NUL-terminated, at most errcap bytes). */
int dh_xlsx_read(const void *data, size_t len, dh_xlsx_row **rows, size_t *nrows, char *err,
                 size_t errcap);
void dh_xlsx_free(dh_xlsx_row *rows, size_t n);

#endif
