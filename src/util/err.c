/* err.c - filling and mapping dh_err. */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

dh_status dh_err_set(dh_err *e, dh_status status, const char *code, const char *field,
                     const char *fmt, ...)
{
    va_list ap;
    e->status = status;
    snprintf(e->code, sizeof e->code, "%s", code ? code : "error");
    snprintf(e->field, sizeof e->field, "%s", field ? field : "");
    e->line = 0;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return status;
}

void dh_err_clear(dh_err *e) { memset(e, 0, sizeof *e); }

int dh_err_http_status(dh_status s)
{
    switch (s) {
    case DH_OK: return 200;
    case DH_E_INVALID: return 422;
    case DH_E_MALFORMED: return 400;
    case DH_E_NOTFOUND: return 404;
    case DH_E_CONFLICT: return 409;
    case DH_E_AUTH: return 401;
    case DH_E_FORBIDDEN: return 403;
    case DH_E_TOOLARGE: return 413;
    case DH_E_THROTTLED: return 429;
    case DH_E_VERSION:
    case DH_E_BUSY:
    case DH_E_UNAVAILABLE: return 503;
    case DH_E_DB:
    case DH_E_INTERNAL: return 500;
    }
    return 500;
}

bool dh_err_storage(dh_status s)
{
    return s == DH_E_DB || s == DH_E_BUSY || s == DH_E_UNAVAILABLE;
}
