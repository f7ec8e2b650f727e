/* pdf.h - a PDF drawn with cairo into memory (the apology letter, Biểu
 * II.06a). */
#ifndef DH_APP_PDF_H
#define DH_APP_PDF_H

#include <cairo.h>

#include "util/buf.h"
#include "util/err.h"

typedef struct dh_pdf {
    dh_buf b;
    cairo_surface_t *s;
    cairo_t *cr;
} dh_pdf;

/* Starts a document of pages w x h points; draw on the returned context. */
cairo_t *dh_pdf_begin(dh_pdf *p, double w, double h);
/* Finishes it: *out (malloc'd) and *len, or an error (everything freed). */
dh_status dh_pdf_end(dh_pdf *p, char **out, size_t *len, dh_err *e);

#endif
