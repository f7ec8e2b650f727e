/* config.c - the settings file of `serve` and `init` (--config FILE or
 * $DIEUHANH_CONFIG, e.g. /etc/dieuhanh/dieuhanh.conf from the Debian package).
 *
 * Each key of the file stands for one of the environment variables that
 * `serve --help` lists; the file is checked whole (syntax, known keys,
 * values) and then each setting is put in the environment unless the
 * variable is already set there, so that, as documented, an option wins
 * over the environment and the environment over the file. This runs before
 * any thread starts (setenv is not thread-safe). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/conf.h"

typedef enum value_kind {
    V_TEXT,     /* any text */
    V_INT,      /* a whole number in [1, max] */
    V_LISTEN,   /* HOST:PORT */
    V_DB,       /* sqlite:PATH or postgres(ql)://... */
    V_WEB_URL,  /* http:// or https:// */
    V_SMTP_URL, /* smtp:// or smtps:// */
    V_HHMM      /* HH:MM, 00:00 to 23:59 */
} value_kind;

typedef struct setting {
    const char *key;
    const char *env;
    value_kind kind;
    long max; /* V_INT only */
} setting;

/* Keep in step with `serve --help`, the package's dieuhanh.conf and dieuhanh.1. */
static const setting settings[] = {
    {"listen", "DIEUHANH_LISTEN", V_LISTEN, 0},
    {"database", "DIEUHANH_DB", V_DB, 0},
    {"public_url", "DIEUHANH_PUBLIC_URL", V_WEB_URL, 0},
    {"trusted_proxy", "DIEUHANH_TRUSTED_PROXY", V_TEXT, 0},
    {"smtp_url", "DIEUHANH_SMTP_URL", V_SMTP_URL, 0},
    {"smtp_from", "DIEUHANH_SMTP_FROM", V_TEXT, 0},
    {"smtp_user", "DIEUHANH_SMTP_USER", V_TEXT, 0},
    {"smtp_password", "DIEUHANH_SMTP_PASSWORD", V_TEXT, 0},
    {"reminder_interval", "DIEUHANH_REMINDER_INTERVAL", V_INT, 86400},
    {"targets_interval", "DIEUHANH_TARGETS_INTERVAL", V_INT, 86400},
    {"late_report_at", "DIEUHANH_LATE_REPORT_AT", V_HHMM, 0},
    {"late_report_interval", "DIEUHANH_LATE_REPORT_INTERVAL", V_INT, 86400},
    {"job_lease", "DIEUHANH_JOB_LEASE", V_INT, 7 * 86400},
    {"agg_snapshot_interval", "DIEUHANH_AGG_SNAPSHOT_INTERVAL", V_INT, 86400},
    {"agg_snapshot_min_cells", "DIEUHANH_AGG_SNAPSHOT_MIN_CELLS", V_INT, 1000000000},
    {"pg_pool", "DIEUHANH_PG_POOL", V_INT, 64},
    {"max_connections", "DIEUHANH_MAX_CONNECTIONS", V_INT, 65536},
    {"max_connections_per_address", "DIEUHANH_MAX_CONNECTIONS_PER_ADDRESS", V_INT, 65536},
    {"idle_timeout", "DIEUHANH_IDLE_TIMEOUT", V_INT, 86400},
    {"request_timeout", "DIEUHANH_REQUEST_TIMEOUT", V_INT, 86400},
    {"bodies_max_mib", "DIEUHANH_BODIES_MAX_MIB", V_INT, 65536},
    {NULL, NULL, V_TEXT, 0}};

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Checks one value against its kind; returns the reason it is wrong, or NULL. */
static const char *bad_value(const setting *st, const char *v, char *why, size_t whylen)
{
    switch (st->kind) {
    case V_TEXT:
        return NULL;
    case V_INT: {
        char *end;
        errno = 0;
        long n = strtol(v, &end, 10);
        if (v[0] < '0' || v[0] > '9' || *end || errno || n < 1 || n > st->max) {
            snprintf(why, whylen, "'%.64s' is not a whole number from 1 to %ld", v, st->max);
            return why;
        }
        return NULL;
    }
    case V_LISTEN:
        return dh_cli_listen_ok(v) ? NULL : "must be HOST:PORT, e.g. 127.0.0.1:8080";
    case V_DB:
        return starts(v, "sqlite:") || starts(v, "postgres://") || starts(v, "postgresql://")
                   ? NULL
                   : "must be sqlite:PATH or postgres://USER@HOST:PORT/DB";
    case V_WEB_URL:
        return starts(v, "https://") || starts(v, "http://") ? NULL
                                                             : "must start with https:// or http://";
    case V_SMTP_URL:
        return starts(v, "smtp://") || starts(v, "smtps://") ? NULL
                                                             : "must start with smtp:// or smtps://";
    case V_HHMM: {
        int h, m;
        char extra;
        if (strlen(v) == 5 && sscanf(v, "%2d:%2d%c", &h, &m, &extra) == 2 && h >= 0 && h < 24 &&
            m >= 0 && m < 60)
            return NULL;
        return "must be HH:MM (local time), e.g. 16:30";
    }
    }
    return "unknown kind";
}

static const setting *find(const char *key)
{
    const setting *st = settings;
    while (st->key && strcmp(st->key, key) != 0)
        st++;
    return st->key ? st : NULL;
}

int dh_cli_config_load(const char *path, dh_err *e)
{
    if (!path || !*path)
        path = getenv("DIEUHANH_CONFIG");
    if (!path || !*path)
        return 0;
    dh_conf *c = dh_conf_read(path, e);
    if (!c)
        return -1;
    for (size_t i = 0; i < c->n; i++) {
        const dh_conf_entry *x = &c->v[i];
        const setting *st = find(x->key);
        if (!st) {
            dh_conf_err(c, x, e, "unknown key (the keys are listed in dieuhanh(1))");
            goto fail;
        }
        char buf[160];
        const char *why = bad_value(st, x->value, buf, sizeof buf);
        if (why) {
            dh_conf_err(c, x, e, "%s", why);
            goto fail;
        }
    }
    /* Only once the whole file is known good does anything change. */
    for (size_t i = 0; i < c->n; i++) {
        const char *env = find(c->v[i].key)->env;
        const char *now = getenv(env);
        if (!now || !*now)
            setenv(env, c->v[i].value, 1);
    }
    dh_conf_free(c);
    return 0;
fail:
    dh_conf_free(c);
    return -1;
}
