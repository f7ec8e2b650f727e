/* conf.h - reading "key = value" configuration files (/etc/dieuhanh/dieuhanh.conf).
 *
 * The format, one setting a line:
 *
 *     # a comment: the first non-blank character is '#'
 *     listen = 127.0.0.1:8080
 *
 * Keys are made of a-z, 0-9 and '_'. The value is the rest of the line with
 * the blanks around it removed; a '#' inside a value is kept (passwords may
 * hold one), so comments take whole lines. Blank lines are ignored. A key
 * given twice is an error, as is an empty value (comment the line out
 * instead). A file is at most 1 MiB, a line at most 4096 bytes, and holds no
 * NUL byte.
 *
 * The whole file is checked before anything is returned: on error the answer
 * is NULL and the dh_err's message reads "FILE:LINE: key 'KEY': reason"
 * (field = the key, line = the line; "FILE: reason" when no line applies).
 *
 * Ownership: a dh_conf is the caller's, freed with dh_conf_free; the keys and
 * values inside belong to it.
 */
#ifndef DH_CONF_H
#define DH_CONF_H

#include <stddef.h>

#include "util/err.h"

#define DH_CONF_MAX_BYTES ((size_t)1 << 20)
#define DH_CONF_MAX_LINE 4096

typedef struct dh_conf_entry {
    const char *key;
    const char *value;
    long line;
} dh_conf_entry;

typedef struct dh_conf {
    char *path;          /* as given, for messages */
    char *text;          /* the file's bytes; keys and values point into it */
    dh_conf_entry *v;    /* in file order */
    size_t n;
} dh_conf;

/* Parses len bytes of text read from path (named in messages only). */
dh_conf *dh_conf_parse(const char *path, const char *text, size_t len, dh_err *e);
/* Reads and parses the file at path. */
dh_conf *dh_conf_read(const char *path, dh_err *e);
/* The entry of key, or NULL. */
const dh_conf_entry *dh_conf_get(const dh_conf *c, const char *key);
/* Sets *e to "FILE:LINE: key 'KEY': <fmt>" for entry x of c; returns DH_E_INVALID. */
dh_status dh_conf_err(const dh_conf *c, const dh_conf_entry *x, dh_err *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void dh_conf_free(dh_conf *c);

/* A number of MiB from the environment variable name (dflt when unset or
 * empty), within [min, max], or DH_E_INVALID naming the variable. */
dh_status dh_env_mib(const char *name, long dflt, long min, long max, long *out, dh_err *e);

#endif
