/* conf.c - the "key = value" configuration file reader (see conf.h). */
#include "util/conf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static bool is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* "FILE:LINE: key 'KEY': reason", or "FILE:LINE: reason" without a key. */
static dh_status line_err(dh_err *e, const char *path, long line, const char *key,
                          const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
static dh_status line_err(dh_err *e, const char *path, long line, const char *key,
                          const char *fmt, va_list ap)
{
    char why[384];
    vsnprintf(why, sizeof why, fmt, ap);
    if (key)
        dh_err_set(e, DH_E_INVALID, "bad_config", key, "%s:%ld: key '%.64s': %s", path, line,
                   key, why);
    else
        dh_err_set(e, DH_E_INVALID, "bad_config", "", "%s:%ld: %s", path, line, why);
    e->line = line;
    return DH_E_INVALID;
}

static dh_status fail_at(dh_err *e, const char *path, long line, const char *key,
                         const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static dh_status fail_at(dh_err *e, const char *path, long line, const char *key,
                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    line_err(e, path, line, key, fmt, ap);
    va_end(ap);
    return DH_E_INVALID;
}

dh_status dh_conf_err(const dh_conf *c, const dh_conf_entry *x, dh_err *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    line_err(e, c->path, x->line, x->key, fmt, ap);
    va_end(ap);
    return DH_E_INVALID;
}

const dh_conf_entry *dh_conf_get(const dh_conf *c, const char *key)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i].key, key) == 0)
            return &c->v[i];
    return NULL;
}

void dh_conf_free(dh_conf *c)
{
    if (!c)
        return;
    free(c->path);
    free(c->text);
    free(c->v);
    free(c);
}

/* Splits one line (NUL-terminated, in place) into key and value, or says why not. */
static dh_status parse_line(dh_conf *c, char *s, long line, dh_err *e)
{
    while (is_blank(*s))
        s++;
    if (!*s || *s == '#')
        return DH_OK;
    char *key = s;
    while (is_key_char(*s))
        s++;
    char *key_end = s;
    while (is_blank(*s))
        s++;
    if (key_end == key || *s != '=') {
        if (key_end == key || !*s)
            return fail_at(e, c->path, line, NULL,
                           "expected 'key = value' (keys are lower-case letters, digits and _)");
        *key_end = '\0';
        return fail_at(e, c->path, line, key,
                       "expected '=' after the key (keys are lower-case letters, digits and _)");
    }
    *key_end = '\0';
    char *value = s + 1;
    while (is_blank(*value))
        value++;
    char *end = value + strlen(value);
    while (end > value && is_blank(end[-1]))
        *--end = '\0';
    if (!*value)
        return fail_at(e, c->path, line, key,
                       "empty value (comment the line out with '#' to keep the default)");
    const dh_conf_entry *seen = dh_conf_get(c, key);
    if (seen)
        return fail_at(e, c->path, line, key, "given twice (first on line %ld)", seen->line);
    c->v[c->n++] = (dh_conf_entry){.key = key, .value = value, .line = line};
    return DH_OK;
}

dh_conf *dh_conf_parse(const char *path, const char *text, size_t len, dh_err *e)
{
    dh_conf *c = dh_xcalloc(1, sizeof *c);
    c->path = dh_xstrdup(path);
    if (len > DH_CONF_MAX_BYTES) {
        dh_err_set(e, DH_E_INVALID, "bad_config", "", "%s: larger than %zu bytes", path,
                   DH_CONF_MAX_BYTES);
        goto fail;
    }
    c->text = dh_xmalloc(len + 1);
    memcpy(c->text, text, len);
    c->text[len] = '\0';
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    c->v = dh_xcalloc(lines, sizeof *c->v);
    char *s = c->text;
    for (long line = 1; s <= c->text + len; line++) {
        char *nl = memchr(s, '\n', (size_t)(c->text + len - s));
        char *end = nl ? nl : c->text + len;
        if (memchr(s, '\0', (size_t)(end - s))) {
            fail_at(e, path, line, NULL, "a NUL byte (is this a text file?)");
            goto fail;
        }
        if ((size_t)(end - s) > DH_CONF_MAX_LINE) {
            fail_at(e, path, line, NULL, "longer than %d bytes", DH_CONF_MAX_LINE);
            goto fail;
        }
        *end = '\0';
        if (parse_line(c, s, line, e))
            goto fail;
        if (!nl)
            break;
        s = nl + 1;
    }
    return c;
fail:
    dh_conf_free(c);
    return NULL;
}

dh_conf *dh_conf_read(const char *path, dh_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        dh_err_set(e, DH_E_INVALID, "bad_config", "", "%s: cannot read: %s", path,
                   strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0, got;
    char *buf = dh_xmalloc(cap);
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            if (cap > DH_CONF_MAX_BYTES)
                break; /* parse says the file is too large */
            cap *= 2;
            buf = dh_xrealloc(buf, cap);
        }
    }
    bool bad = ferror(f);
    fclose(f);
    dh_conf *c = NULL;
    if (bad)
        dh_err_set(e, DH_E_INVALID, "bad_config", "", "%s: cannot read: %s", path,
                   strerror(errno));
    else
        c = dh_conf_parse(path, buf, n, e);
    free(buf);
    return c;
}

dh_status dh_env_mib(const char *name, long dflt, long min, long max, long *out, dh_err *e)
{
    const char *v = getenv(name);
    char *end = NULL;
    *out = v && *v ? strtol(v, &end, 10) : dflt;
    if (v && *v && (*end || *out < min || *out > max))
        return dh_err_set(e, DH_E_INVALID, "invalid_setting", name,
                          "%s must be a number of MiB from %ld to %ld, not '%s'", name, min, max,
                          v);
    return DH_OK;
}
