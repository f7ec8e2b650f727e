/* fzapp.c - see fzapp.h. */
#include "lib/fzapp.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "app/demo.h"
#include "lib/fuzz.h"

static dh_app *app;
static dh_actor cli;
static char dir[64], path[128];

static void fz_app_cleanup(void)
{
    dh_app_close(app);
    app = NULL;
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof suffix / sizeof *suffix; i++) {
        char p[160];
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        unlink(p);
    }
    rmdir(dir);
}

dh_app *fz_app(void)
{
    if (app)
        return app;
    snprintf(dir, sizeof dir, "%s/dh-fuzz-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    FZ_CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/f.db", dir);
    char url[160];
    snprintf(url, sizeof url, "sqlite:%s", path);
    dh_err e;
    app = dh_app_open(url, true, &e);
    if (!app) {
        fprintf(stderr, "fuzz: %s\n", e.message);
        abort();
    }
    atexit(fz_app_cleanup);
    dh_actor_cli(&cli);
    dh_demo_summary sum;
    if (dh_demo_load(app, &cli, FZ_NOW, &sum, &e)) {
        fprintf(stderr, "fuzz: demo: %s\n", e.message);
        abort();
    }
    return app;
}

const dh_actor *fz_cli(void)
{
    fz_app();
    return &cli;
}
