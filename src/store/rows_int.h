/* rows_int.h - helpers the backends' generic row files share (rows.c);
 * nothing above src/store/ includes it. */
#ifndef DH_STORE_ROWS_INT_H
#define DH_STORE_ROWS_INT_H

#include <stdbool.h>

#include "store/rows.h"
#include "util/buf.h"

/* Appends ident as a quoted SQL identifier ("a""b"). */
void dh_rows_quote(dh_buf *b, const char *ident);
/* Appends "n1","n2",... */
void dh_rows_quote_list(dh_buf *b, char *const *names, int n);

/* A list of names (a table's columns), malloc'd copies. */
typedef struct dh_rows_names {
    char *v[DH_ROWS_COLS_MAX];
    int n;
    bool overflow; /* more than DH_ROWS_COLS_MAX */
} dh_rows_names;
/* A dh_code_cb that appends to the dh_rows_names closure. */
int dh_rows_names_add(void *closure, const char *name);
void dh_rows_names_free(dh_rows_names *l);

#endif
