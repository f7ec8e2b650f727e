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
    bool started;
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

void dh_csv_free(dh_csv *c)
{
    if (!c)
        return;
    for (int i = 0; i < FIELDS_MAX; i++)
        dh_buf_free(&c->fields[i]);
    free(c->name);
    free(c);
}

long dh_csv_line(const dh_csv *c) { return c->row_line; }
const char *dh_csv_error(const dh_csv *c) { return c->err; }

static int fail(dh_csv *c, const char *reason)
{
    snprintf(c->err, sizeof c->err, "%s:%ld: %s", c->name, c->row_line, reason);
    return -1;
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
    size_t nf = 0;
    dh_buf_reset(&c->fields[0]);
    bool quoted = false, after_quote = false, field_start = true;
    for (;;) {
        ch = fgetc(c->f);
        if (quoted) {
            if (ch == EOF) {
                return fail(c, "unterminated quoted field");
            } else if (ch == '"') {
                int n = fgetc(c->f);
                if (n == '"') {
                    dh_buf_putc(&c->fields[nf], '"');
                } else {
                    if (n != EOF)
                        ungetc(n, c->f);
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
            continue;
        } else if (ch == ',' || ch == '\n' || ch == EOF || ch == '\r') {
            if (ch == '\r') {
                int n = fgetc(c->f);
                if (n != '\n') {
                    if (n != EOF)
                        ungetc(n, c->f);
                    skip_line(c);
                    return fail(c, "a carriage return inside an unquoted field");
                }
                ch = '\n';
            }
            nf++;
            if (ch == ',') {
                if (nf >= FIELDS_MAX) {
                    skip_line(c);
                    return fail(c, "too many fields (at most 256)");
                }
                dh_buf_reset(&c->fields[nf]);
                field_start = true;
                after_quote = false;
                continue;
            }
            if (ch == '\n')
                c->line++;
            break;
        } else if (after_quote) {
            skip_line(c);
            return fail(c, "text after a closing quote");
        } else if (ch == '"') {
            skip_line(c);
            return fail(c, "a quote inside an unquoted field (quote the whole field)");
        }
        field_start = false;
        if (c->fields[nf].len >= FIELD_MAX) {
            skip_line(c);
            return fail(c, "a field longer than 64 KiB");
        }
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

void dh_csv_write_field(FILE *f, const char *s)
{
    if (!s)
        s = "";
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
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
