/* xlsx.h - a minimal reader of the first worksheet of an .xlsx workbook (a
 * zip of XML parts), enough for the plan appendices and value sheets users
 * keep in Excel, and the sparse table it fills (also filled from CSV by the
 * importers, so that both kinds of file meet the same limits).
 *
 * The reader finds the zip's central directory, inflates (zlib) only the
 * shared strings and the first worksheet, and scans their XML once for cells:
 * shared strings (t="s"), inline strings, plain values. Formulas give their
 * cached value; styles, dates as serial numbers and merged cells are not
 * interpreted.
 *
 * Every pass is linear in the inflated XML, and the input is untrusted (any
 * officer may upload a file), so everything it can make us keep or spend is
 * bounded by dh_xlsx_limits. The defaults (DH_XLSX_LIMITS_DEFAULT):
 *
 *   max_part_bytes   64 MiB  inflated size of one part (zip-bomb guard: the
 *                            declared size is checked before allocating, and
 *                            inflation stops at it)
 *   max_total_bytes  96 MiB  inflated size of both parts together
 *   max_strings     200,000  shared strings (<si> entries)
 *   max_text_bytes   32 MiB  text kept: shared strings plus cell values
 *   max_cells     1,000,000  non-empty cells kept
 *   max_rows        100,000  non-empty rows kept
 *   max_columns          64  columns A..BL; a cell further right is refused
 *   budget_ms         5,000  wall time on the monotonic clock, checked every
 *                            few thousand elements and between inflated chunks
 *
 * Memory is proportional to the cells actually present, never to the shape a
 * sheet declares: a row holding one cell in column BL stores one cell. Past a
 * limit the read fails with DH_E_TOOLARGE, code "file_limit", the limit's
 * name as the field (e.g. "max_cells"), the row as the line where one
 * applies, and a message naming the file, the part, the row or cell and the
 * limit. A malformed file fails with DH_E_INVALID, code "invalid_file"; so
 * does a part that is not UTF-8 text (a NUL byte, a malformed sequence).
 * A character reference that is not an XML character ("&#0;", a surrogate)
 * is kept as written, so every cell value is valid UTF-8 without NUL.
 *
 * Ownership: a dh_sheet owns its rows, cells and text; free it with
 * dh_sheet_free. Cell values stay valid until then.
 */
#ifndef DH_XLSX_H
#define DH_XLSX_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

typedef struct dh_xlsx_limits {
    size_t max_part_bytes, max_total_bytes;
    size_t max_strings, max_text_bytes;
    size_t max_cells, max_rows, max_columns;
    long budget_ms;
    /* Milliseconds on a monotonic clock; NULL reads CLOCK_MONOTONIC.
     * Tests pass a fake one to exhaust the budget deterministically. */
    double (*clock_ms)(void);
} dh_xlsx_limits;

#define DH_XLSX_LIMITS_DEFAULT                                                                   \
    ((dh_xlsx_limits){64u << 20, 96u << 20, 200000, 32u << 20, 1000000, 100000, 64, 5000, NULL})

typedef struct dh_sheet_cell {
    size_t col;    /* A = 0 */
    const char *v; /* never empty: empty cells are not stored */
} dh_sheet_cell;

typedef struct dh_sheet_row {
    long line;               /* the row number shown by Excel, or the CSV line */
    const dh_sheet_cell *c;  /* by increasing column */
    size_t nc;
} dh_sheet_row;

/* A sparse table: only non-empty rows and cells are stored. */
typedef struct dh_sheet {
    dh_sheet_row *rows;
    size_t nrows;
    /* Private to xlsx.c. */
    const char *name, *part; /* part: NULL for a CSV file */
    dh_xlsx_limits lim;
    long pending_line; /* the row started by dh_sheet_row_begin, stored at its first cell */
    int pending;
    dh_sheet_cell *cells;
    size_t *offs; /* each cell's text offset until dh_sheet_end */
    size_t ncells, capcells, caprows;
    size_t *first; /* each row's first cell until dh_sheet_end */
    dh_buf text;
    double deadline;
    unsigned ticks;
} dh_sheet;

/* Starts an empty sheet; name (kept, not copied) is used in messages and lim
 * may be NULL for the defaults. */
void dh_sheet_init(dh_sheet *s, const char *name, const dh_xlsx_limits *lim);
void dh_sheet_free(dh_sheet *s);
/* Starts a row numbered line; a row left without cells is dropped. */
dh_status dh_sheet_row_begin(dh_sheet *s, long line, dh_err *e);
/* Adds the value [v, v+n) in column col (after the previous cell of the row;
 * an empty value is skipped). Fails past max_columns, max_cells, max_rows or
 * max_text_bytes, or with a cell left of the previous one. */
dh_status dh_sheet_cell_add(dh_sheet *s, size_t col, const char *v, size_t n, dh_err *e);
/* Ends the table: the row and cell pointers are valid from here on. */
void dh_sheet_end(dh_sheet *s);
/* The value in column col of row r, "" when empty. */
const char *dh_sheet_at(const dh_sheet_row *r, size_t col);

/* Reads the first worksheet of the workbook [data, data+len) into s (which
 * this initialises, with name and lim as for dh_sheet_init). Returns DH_OK,
 * or an error (see above) with s left empty. */
dh_status dh_xlsx_read(const void *data, size_t len, const char *name,
                       const dh_xlsx_limits *lim, dh_sheet *s, dh_err *e);

#endif
