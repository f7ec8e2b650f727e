/* store.c - the front door of the storage interface: picks a backend by the
 * URL's scheme and forwards. The only file outside src/store/<backend>/ that
 * names a backend. */
#include "store/store.h"

#include <string.h>

#include "store/migrations.h"

extern const dh_store_ops dh_sqlite_ops;
extern const dh_store_ops dh_postgres_ops;

/* The backends by URL scheme; a backend may answer to more than one name
 * ("postgresql:" is libpq's other name for "postgres:"). */
static const struct {
    const char *scheme;
    const dh_store_ops *ops;
} backends[] = {
    {"sqlite", &dh_sqlite_ops},
    {"postgres", &dh_postgres_ops},
    {"postgresql", &dh_postgres_ops},
};

#define SUPPORTED "sqlite:PATH, postgres://USER@HOST:PORT/DATABASE"

const dh_store_ops *dh_store_backend(const char *url, const char **location, dh_err *e)
{
    const char *colon = url ? strchr(url, ':') : NULL;
    if (!colon) {
        dh_err_set(e, DH_E_INVALID, "invalid_db_url", "db",
                   "database URL '%s' must look like one of " SUPPORTED, url ? url : "");
        return NULL;
    }
    size_t n = (size_t)(colon - url);
    for (size_t i = 0; i < sizeof backends / sizeof *backends; i++) {
        if (strlen(backends[i].scheme) == n && strncmp(url, backends[i].scheme, n) == 0) {
            if (location)
                *location = colon + 1;
            return backends[i].ops;
        }
    }
    dh_err_set(e, DH_E_INVALID, "invalid_db_url", "db",
               "unsupported database '%.*s' in '%s' (supported: " SUPPORTED ")", (int)n, url, url);
    return NULL;
}

dh_store *dh_store_open(const char *url, bool create, dh_err *e)
{
    const char *location;
    const dh_store_ops *ops = dh_store_backend(url, &location, e);
    return ops ? ops->open(location, create, e) : NULL;
}

const dh_store_ops *dh_store_ops_of(const dh_store *s)
{
    return ((const struct dh_store_base *)s)->ops;
}

void dh_store_close(dh_store *s)
{
    if (s)
        dh_store_ops_of(s)->close(s);
}

dh_conn *dh_store_acquire(dh_store *s, dh_err *e) { return dh_store_ops_of(s)->acquire(s, e); }

const dh_store_ops *dh_conn_ops(const dh_conn *c) { return ((const struct dh_conn_base *)c)->ops; }

void dh_store_release(dh_conn *c)
{
    if (c)
        dh_conn_ops(c)->release(c);
}

int dh_store_latest_version(const char *backend)
{
    int v = 0;
    for (const struct dh_migration *m = dh_migrations; m->backend; m++)
        if (strcmp(m->backend, backend) == 0 && m->number > v)
            v = m->number;
    return v;
}
