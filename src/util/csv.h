/* csv.h - an RFC 4180 CSV reader that keeps line numbers for error messages,
 * and a field writer.
 *
 * The reader owns the row it returns; the row (fields and strings) stays
 * valid until the next dh_csv_next call or dh_csv_free. A UTF-8 BOM at the
 * start is skipped. Quoted fields may contain commas, doubled quotes and line
 * breaks; CRLF and LF line ends are both accepted. Limits: a field at most
 * 64 KiB, a row at most 256 fields; beyond that the row is an error.
 */
#ifndef DH_CSV_H
#define DH_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct dh_csv dh_csv;

/* Reads from f (not closed by dh_csv_free). name is used in messages. */
dh_csv *dh_csv_new(FILE *f, const char *name);
/* Reads the len bytes at p, which the caller keeps until dh_csv_free (a
 * file read whole, so that it can be read again from the start). */
dh_csv *dh_csv_new_mem(const char *p, size_t len, const char *name);
void dh_csv_free(dh_csv *c);

/* Reads the next row. Returns 1 and sets *fields and *nfields on a row, 0 at end
 * of file, -1 on a malformed row (an unterminated quote, a quote inside an
 * unquoted field, text after a closing quote, a too long field, too many
 * fields, a NUL byte) with a message "NAME:LINE: reason" available from dh_csv_error.
 * Blank lines are skipped. */
int dh_csv_next(dh_csv *c, char ***fields, size_t *nfields);

/* The line on which the last returned row started (1-based). */
long dh_csv_line(const dh_csv *c);
const char *dh_csv_error(const dh_csv *c);

/* True when a spreadsheet would read s as a formula: it starts with '=',
 * '+', '@', a tab or a CR, or with '-' without being a plain number ("-3",
 * "-1.5", "-2e3" are numbers and stay as they are). */
bool dh_csv_formula_like(const char *s);
/* Writes one field, quoting it when it contains a comma, quote, CR or LF.
 * A formula-like field (above) is written with a leading "'" so that a
 * spreadsheet shows it as text (CSV injection, OWASP): every CSV export
 * goes through here. */
void dh_csv_write_field(FILE *f, const char *s);
/* Writes a whole row of n fields followed by CRLF-free "\n". NULL = empty. */
void dh_csv_write_row(FILE *f, const char *const *fields, size_t n);

#endif
