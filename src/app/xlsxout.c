/* xlsxout.c - see xlsxout.h. */
#include "app/xlsxout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/buf.h"

lxw_workbook *dh_xlsx_begin(dh_xlsx *x)
{
    /* libxlsxwriter writes a file: a private temporary one, read back by
     * dh_xlsx_end and removed */
    const char *dir = getenv("TMPDIR");
    int n = snprintf(x->path, sizeof x->path, "%s/dieuhanh-xlsx-XXXXXX",
                     dir && *dir ? dir : "/tmp");
    int fd = n > 0 && (size_t)n < sizeof x->path ? mkstemp(x->path) : -1;
    if (fd < 0)
        return x->wb = NULL;
    close(fd);
    x->wb = workbook_new(x->path);
    if (!x->wb)
        unlink(x->path);
    return x->wb;
}

dh_status dh_xlsx_end(dh_xlsx *x, char **out, size_t *len, dh_err *e)
{
    lxw_error err = workbook_close(x->wb);
    dh_buf b = {0};
    if (err == LXW_NO_ERROR) {
        FILE *f = fopen(x->path, "rb");
        char chunk[65536];
        size_t n;
        while (f && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
            dh_buf_append(&b, chunk, n);
        if (f)
            fclose(f);
    }
    unlink(x->path);
    if (err != LXW_NO_ERROR || !b.len) {
        dh_buf_free(&b);
        return dh_err_set(e, DH_E_INTERNAL, "xlsx_failed", NULL, "cannot write the workbook: %s",
                          err != LXW_NO_ERROR ? lxw_strerror(err) : "empty");
    }
    *out = b.p;
    *len = b.len;
    return DH_OK;
}
