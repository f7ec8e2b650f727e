/* stations.h - the storage contract for the register of 5G stations (issue
 * 19, point 7): each station (site code, operator, commune, address,
 * coordinates, technology, source) and its status steps (planned ->
 * permitted -> installed -> on_air), each with its date.
 *
 * One small table of operations, filled by each backend (src/store/sqlite/
 * sq_stations.c, src/store/postgres/pg_stations.c) and reached from a
 * connection with DH_STATIONS(c). The conventions of store.h hold. The
 * order and content rules (a step after the latest one, a site's content
 * unchanged) are the application's (app/stations.c). */
#ifndef DH_STORE_STATIONS_H
#define DH_STORE_STATIONS_H

#include "store/store.h"

typedef struct dh_station_row {
    const char *site_code, *operator_unit, *commune, *address, *technology, *source;
    double lat, lon;
    bool synthetic; /* demo data */
    time_t created_at;
} dh_station_row;

/* A station with one of its steps (rank 0 planned, 1 permitted,
 * 2 installed, 3 on_air). */
typedef struct dh_station_step_row {
    const dh_station_row *station;
    int rank;
    dh_date date;
    const char *source;
} dh_station_step_row;

typedef int (*dh_station_cb)(void *closure, const dh_station_row *row);
typedef int (*dh_station_step_cb)(void *closure, const dh_station_step_row *row);

typedef struct dh_stations_ops {
    /* The station of site_code; DH_E_NOTFOUND when absent. */
    dh_status (*get_station)(dh_conn *c, const char *site_code, dh_station_cb cb, void *closure,
                             dh_err *e);
    /* Inserts a new station; one already there is kept and *inserted is false. */
    dh_status (*put_station)(dh_conn *c, const dh_station_row *r, bool *inserted, dh_err *e);
    /* Inserts a step of a station (which must exist); a step of that rank
     * already there is kept and *inserted is false. */
    dh_status (*put_station_step)(dh_conn *c, const char *site_code, int rank, dh_date date,
                                  const char *source, time_t now, bool *inserted, dh_err *e);
    /* Every step dated on or before as_of (DH_DATE_NONE: all) of the station
     * site_code (NULL: every station), by site code then rank; stations
     * without such a step are not given. */
    dh_status (*list_station_steps)(dh_conn *c, const char *site_code, dh_date as_of,
                                    dh_station_step_cb cb, void *closure, dh_err *e);
} dh_stations_ops;

#define DH_STATIONS(c) (dh_conn_ops(c)->stations)

#endif
