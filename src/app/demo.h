/* demo.h - loading the demo province (data/demo/, embedded in the binary). */
#ifndef DH_DEMO_H
#define DH_DEMO_H

#include "app/app.h"

#define DH_DEMO_PASSWORD "dieuhanh-demo"

typedef struct dh_demo_user {
    const char *login;
    const char *role;
    const char *unit; /* NULL for the admin */
    const char *display_name;
} dh_demo_user;

extern const dh_demo_user dh_demo_users[];

typedef struct dh_demo_summary {
    int units, events, users, procedures;
    bool already; /* the database had units already: nothing loaded */
} dh_demo_summary;

/* Loads units (demo/units.csv), events (demo/events.json) and users. */
dh_status dh_demo_load(dh_app *app, const dh_actor *a, time_t now, dh_demo_summary *sum,
                       dh_err *e);

#endif
