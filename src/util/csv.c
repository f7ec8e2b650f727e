/* csv.c - RFC 4180 reader with line numbers, and the field writer. */
#include "util/csv.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#define FIELD_MAX (64 * 1024)
#define FIELDS_MAX 256

struct dh_csv {
    FILE *f;
    char *name;
    long line;      /* current physical line (1-based) */
    long row_line;  /* line where the last row started */
    long col;       /* characters read on the current physical line */
    long qline, qcol; /* where the open quote of the current field is */
    bool started;
    bool own_f; /* opened by dh_csv_new_mem, closed by dh_csv_free */
    dh_buf fields[FIELDS_MAX];
    char *ptrs[FIELDS_MAX];
    char err[512];
};

dh_csv *dh_csv_new(FILE *f, const char *name)
{
    dh_csv *c = dh_xcalloc(1, sizeof *c);
    c->f = f;
    c->name = dh_xstrdup(name ? name : "-");
    c->line = 1;
    return c;
}

dh_csv *dh_csv_new_mem(const char *p, size_t len, const char *name)
{
    static const char empty[1] = "";
    FILE *f = fmemopen((void *)(len ? p : empty), len, "r");
    if (!f) {
        fputs("dieuhanh: out of memory (fmemopen)\n", stderr);
        abort();
    }
    dh_csv *c = dh_csv_new(f, name);
    c->own_f = true;
    return c;
}

void dh_csv_free(dh_csv *c)
{
    if (!c)
        return;
    if (c->own_f)
        fclose(c->f);
    for (int i = 0; i < FIELDS_MAX; i++)
        dh_buf_free(&c->fields[i]);
    free(c->name);
    free(c);
}

long dh_csv_line(const dh_csv *c) { return c->row_line; }
const char *dh_csv_error(const dh_csv *c) { return c->err; }

/* "NAME:LINE: column COL: reason", at the position given. */
static int fail_at(dh_csv *c, long line, long col, const char *reason)
{
    snprintf(c->err, sizeof c->err, "%s:%ld: column %ld: %s", c->name, line, col, reason);
    return -1;
}

/* Reads a byte of the current row, keeping the column. */
static int rd(dh_csv *c)
{
    int ch = fgetc(c->f);
    if (ch == '\n')
        c->col = 0;
    else if (ch != EOF && (ch & 0xC0) != 0x80) /* count characters, not UTF-8 bytes */
        c->col++;
    return ch;
}

static void unrd(dh_csv *c, int ch)
{
    if (ch == EOF)
        return;
    ungetc(ch, c->f);
    if (ch != '\n' && (ch & 0xC0) != 0x80)
        c->col--;
}

/* Fails at the current position, then skips the rest of the row. */
static void skip_line(dh_csv *c);
static int fail_here(dh_csv *c, const char *reason)
{
    long line = c->line, col = c->col;
    skip_line(c);
    return fail_at(c, line, col, reason);
}

/* Skips the rest of a broken row so that the next call starts cleanly. */
static void skip_line(dh_csv *c)
{
    int ch;
    while ((ch = fgetc(c->f)) != EOF && ch != '\n')
        ;
    if (ch == '\n')
        c->line++;
}

int dh_csv_next(dh_csv *c, char ***fields, size_t *nfields)
{
    int ch;
    *fields = NULL;
    *nfields = 0;
    c->err[0] = '\0';
    if (!c->started) {
        c->started = true;
        /* Skip a UTF-8 byte order mark. */
        int b0 = fgetc(c->f);
        if (b0 == 0xEF) {
            int b1 = fgetc(c->f), b2 = fgetc(c->f);
            if (!(b1 == 0xBB && b2 == 0xBF)) {
                /* Not a BOM: push back what we can (only one byte is
                 * guaranteed); treat it as data by re-reading via ungetc. */
                if (b2 != EOF)
                    ungetc(b2, c->f);
                if (b1 != EOF)
                    ungetc(b1, c->f);
                ungetc(b0, c->f);
            }
        } else if (b0 != EOF) {
            ungetc(b0, c->f);
        }
    }
    /* Skip blank lines. */
    for (;;) {
        ch = fgetc(c->f);
        if (ch == '\r') {
            int n = fgetc(c->f);
            if (n == '\n') {
                c->line++;
                continue;
            }
            if (n != EOF)
                ungetc(n, c->f);
            break;
        }
        if (ch == '\n') {
            c->line++;
            continue;
        }
        break;
    }
    if (ch == EOF)
        return 0;
    ungetc(ch, c->f);
    c->row_line = c->line;
    c->col = 0;
    size_t nf = 0;
    dh_buf_reset(&c->fields[0]);
    bool quoted = false, after_quote = false, field_start = true;
    for (;;) {
        ch = rd(c);
        if (quoted) {
            if (ch == EOF) {
                return fail_at(c, c->qline, c->qcol,
                               "unterminated quoted field (the quote opened here)");
            } else if (ch == '"') {
                int n = rd(c);
                if (n == '"') {
                    dh_buf_putc(&c->fields[nf], '"');
                } else {
                    unrd(c, n);
                    quoted = false;
                    after_quote = true;
                }
                continue;
            }
            if (ch == '\n')
                c->line++;
        } else if (ch == '"' && field_start) {
            quoted = true;
            field_start = false;
            c->qline = c->line;
            c->qcol = c->col;
            continue;
        } else if (ch == ',' || ch == '\n' || ch == EOF || ch == '\r') {
            if (ch == '\r') {
                int n = rd(c);
                if (n != '\n') {
                    unrd(c, n);
                    return fail_here(c, "a carriage return inside an unquoted field");
                }
                ch = '\n';
            }
            nf++;
            if (ch == ',') {
                if (nf >= FIELDS_MAX)
                    return fail_here(c, "too many fields (at most 256)");
                dh_buf_reset(&c->fields[nf]);
                field_start = true;
                after_quote = false;
                continue;
            }
            if (ch == '\n')
                c->line++;
            break;
        } else if (after_quote) {
            return fail_here(c, "text after a closing quote");
        } else if (ch == '"') {
            return fail_here(c, "a quote inside an unquoted field (quote the whole field)");
        }
        if (ch == '\0') {
            /* A NUL would silently end the field for every C-string reader
             * after us: refuse it, naming the field. */
            char why[64];
            snprintf(why, sizeof why, "a NUL byte in field %zu", nf + 1);
            return fail_here(c, why);
        }
        field_start = false;
        if (c->fields[nf].len >= FIELD_MAX)
            return fail_here(c, "a field longer than 64 KiB");
        dh_buf_putc(&c->fields[nf], (char)ch);
    }
    for (size_t i = 0; i < nf; i++) {
        if (!c->fields[i].p)
            dh_buf_puts(&c->fields[i], "");
        c->ptrs[i] = c->fields[i].p;
    }
    *fields = c->ptrs;
    *nfields = nf;
    return 1;
}

/* "-12", "-0.5", "-1.5e3": a negative number a spreadsheet reads as a
 * number, not as a formula. */
static bool plain_negative(const char *s)
{
    const char *p = s + 1;
    size_t digits = 0;
    for (; *p >= '0' && *p <= '9'; p++)
        digits++;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            digits++;
    if (digits && (*p == 'e' || *p == 'E')) {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return s[0] == '-' && digits && !*p;
}

bool dh_csv_formula_like(const char *s)
{
    if (!s)
        return false;
    switch (s[0]) {
    case '=': case '+': case '@': case '\t': case '\r':
        return true;
    case '-':
        return !plain_negative(s);
    default:
        return false;
    }
}

void dh_csv_write_field(FILE *f, const char *s)
{
    if (!s)
        s = "";
    /* OWASP's advice against CSV injection: a leading quote makes a
     * spreadsheet show the cell as text instead of evaluating it. */
    const char *lead = dh_csv_formula_like(s) ? "'" : "";
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(lead, f);
        fputs(s, f);
        return;
    }
    fputc('"', f);
    fputs(lead, f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void dh_csv_write_row(FILE *f, const char *const *fields, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', f);
        dh_csv_write_field(f, fields[i]);
    }
    fputc('\n', f);
}
