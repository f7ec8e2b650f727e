/* open.c - opening and closing the application: the database and its
 * migrations, the first seeding of calendars and aggregates after a
 * migration that introduces them, and the domains' caches. The top of
 * src/app/: it calls the domain files, and nothing in src/app/ calls it.
 * It reads the clock once, for the rebuild a migration may start: opening
 * the app is an edge, like a command or a request. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "app/internal.h"
#include "util/buf.h"

/* Jansson answers an allocation failure with NULL, which our code takes for
 * "absent" (json_pack, json_object_set_new): a write could then commit a
 * record or an audit row with parts missing. By the house rule an
 * allocation failure aborts instead, so Jansson allocates through
 * dh_xmalloc (tests/unit/test_faults.c sweeps it). */
static void json_alloc_init(void) { json_set_alloc_funcs(dh_xmalloc, free); }

dh_app *dh_app_open(const char *db_url, bool migrate, dh_err *e)
{
    static pthread_once_t json_once = PTHREAD_ONCE_INIT;
    pthread_once(&json_once, json_alloc_init);
    dh_store *s = dh_store_open(db_url, migrate, e);
    if (!s)
        return NULL;
    dh_app *app = dh_xcalloc(1, sizeof *app);
    app->store = s;
    app->agg = dh_aggcache_new();
    app->fbagg = dh_fbaggcache_new();
    app->fresh = dh_freshcache_new();
    app->scopes = dh_scopecache_new();
    pthread_mutex_init(&app->lock, NULL);
    dh_conn *c = dh_store_acquire(s, e);
    if (!c)
        goto fail;
    const dh_store_ops *ops = DH_OPS(c);
    int latest = dh_store_latest_version(ops->scheme);
    dh_status st;
    if (migrate) {
        st = ops->migrate(c, latest, &app->schema_from, &app->schema_to, e);
    } else {
        int v = 0;
        st = ops->schema_version(c, &v, e);
        app->schema_from = app->schema_to = v;
        if (st == DH_OK && v > latest)
            st = dh_err_set(e, DH_E_VERSION, "database_too_new", "db",
                            "the database has schema version %d but this dieuhanh knows only up "
                            "to %d: use a newer dieuhanh",
                            v, latest);
        else if (st == DH_OK && v < latest)
            st = dh_err_set(e, DH_E_VERSION, "database_not_initialised", "db",
                            "the database has schema version %d, this dieuhanh needs %d: run "
                            "'dieuhanh init --db %s' first",
                            v, latest, db_url);
    }
    dh_store_release(c);
    if (st == DH_OK && app->schema_from < 2 && app->schema_to >= 2)
        st = dh_app_calendar_seed(app, e);
    if (st == DH_OK && app->schema_from < 4 && app->schema_to >= 4 && app->schema_from > 0) {
        /* the aggregates are new: count what is already there */
        dh_actor sys;
        dh_actor_cli(&sys);
        long n;
        st = dh_app_rebuild(app, &sys, time(NULL), NULL, NULL, &n, e);
    }
    if (st)
        goto fail;
    return app;
fail:
    dh_aggcache_free(app->agg);
    dh_fbaggcache_free(app->fbagg);
    dh_freshcache_free(app->fresh);
    dh_scopecache_free(app->scopes);
    dh_store_close(s);
    pthread_mutex_destroy(&app->lock);
    free(app);
    return NULL;
}

void dh_app_close(dh_app *app)
{
    if (!app)
        return;
    dh_app_units_close(app);
    dh_app_calendars_close(app);
    dh_app_procedures_close(app);
    dh_app_targets_close(app);
    dh_app_plans_close(app);
    dh_aggcache_free(app->agg);
    dh_fbaggcache_free(app->fbagg);
    dh_freshcache_free(app->fresh);
    dh_scopecache_free(app->scopes);
    dh_store_close(app->store);
    pthread_mutex_destroy(&app->lock);
    free(app);
}

