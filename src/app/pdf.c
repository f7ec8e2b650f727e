/* pdf.c - see pdf.h. */
#include "app/pdf.h"

#include <cairo-pdf.h>
#include <string.h>

static cairo_status_t sink(void *closure, const unsigned char *data, unsigned int len)
{
    dh_buf_append(closure, data, len);
    return CAIRO_STATUS_SUCCESS;
}

cairo_t *dh_pdf_begin(dh_pdf *p, double w, double h)
{
    memset(p, 0, sizeof *p);
    p->s = cairo_pdf_surface_create_for_stream(sink, &p->b, w, h);
    p->cr = cairo_create(p->s);
    return p->cr;
}

dh_status dh_pdf_end(dh_pdf *p, char **out, size_t *len, dh_err *e)
{
    cairo_destroy(p->cr);
    cairo_surface_finish(p->s);
    cairo_status_t cs = cairo_surface_status(p->s);
    cairo_surface_destroy(p->s);
    if (cs != CAIRO_STATUS_SUCCESS) {
        dh_buf_free(&p->b);
        return dh_err_set(e, DH_E_INTERNAL, "pdf_failed", NULL, "cannot draw the PDF: %s",
                          cairo_status_to_string(cs));
    }
    *out = p->b.p;
    *len = p->b.len;
    return DH_OK;
}
