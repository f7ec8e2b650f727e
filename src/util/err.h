/* err.h - the one error value passed up from every layer.
 *
 * A function that can fail takes a `dh_err *` (never NULL), fills it once at
 * the origin with a stable snake_case code, a human message and, where they
 * apply, the offending field and input line, and returns a non-zero status.
 * The HTTP layer maps the status to a response code; the CLI prints the
 * message and exits 1 (2 for usage errors).
 */
#ifndef DH_ERR_H
#define DH_ERR_H

#include <stdbool.h>

typedef enum dh_status {
    DH_OK = 0,
    DH_E_INVALID,   /* 422: well-formed but breaks a rule */
    DH_E_MALFORMED, /* 400: not parseable (JSON, UTF-8, dates) */
    DH_E_NOTFOUND,  /* 404 */
    DH_E_CONFLICT,  /* 409: duplicates, cycles, closed units */
    DH_E_AUTH,      /* 401 */
    DH_E_FORBIDDEN, /* 403 */
    DH_E_TOOLARGE,  /* 413 */
    DH_E_THROTTLED, /* 429 */
    DH_E_DB,        /* 500: storage failure */
    DH_E_VERSION,   /* database schema newer than this binary */
    DH_E_INTERNAL,  /* 500 */
    DH_E_BUSY,      /* 503: the database stayed busy past the transaction runner's retries */
    DH_E_UNAVAILABLE, /* 503: the database cannot be reached (connection refused or lost) */
} dh_status;

typedef struct dh_err {
    dh_status status;
    char code[48];
    char message[512];
    char field[64]; /* "" when no field applies */
    long line;      /* 0 when no line applies */
} dh_err;

/* Sets every member of *e and returns status, so callers can write
 * `return dh_err_set(e, DH_E_INVALID, "bad_kind", "kind", "...")`. */
dh_status dh_err_set(dh_err *e, dh_status status, const char *code, const char *field,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void dh_err_clear(dh_err *e);
/* The HTTP status for a dh_status. */
int dh_err_http_status(dh_status s);
/* True for a failure of the storage itself (an error of the database, busy,
 * unreachable), not of the input: a batch that reports bad rows one by one
 * stops at the first such failure and gives it as the whole answer. */
bool dh_err_storage(dh_status s);

#endif
