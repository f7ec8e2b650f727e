/* rows.c - what both backends' generic row files (sqlite/sq_rows.c,
 * postgres/pg_rows.c) share: quoting an identifier taken from the
 * catalogue, and a list of column names. */
#include <stdlib.h>
#include <string.h>

#include "store/rows.h"
#include "store/rows_int.h"
#include "util/buf.h"

void dh_rows_quote(dh_buf *b, const char *ident)
{
    dh_buf_putc(b, '"');
    for (const char *s = ident; *s; s++) {
        if (*s == '"')
            dh_buf_putc(b, '"');
        dh_buf_putc(b, *s);
    }
    dh_buf_putc(b, '"');
}

void dh_rows_quote_list(dh_buf *b, char *const *names, int n)
{
    for (int i = 0; i < n; i++) {
        if (i)
            dh_buf_putc(b, ',');
        dh_rows_quote(b, names[i]);
    }
}

int dh_rows_names_add(void *closure, const char *name)
{
    dh_rows_names *l = closure;
    if (l->n == DH_ROWS_COLS_MAX) {
        l->overflow = true;
        return 1;
    }
    l->v[l->n++] = dh_xstrdup(name);
    return 0;
}

void dh_rows_names_free(dh_rows_names *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    memset(l, 0, sizeof *l);
}
