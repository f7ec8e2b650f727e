/* latereports.h - the storage contract for the daily late-dossier reports
 * (issue 19, point 6): each working day every unit reports its overdue
 * dossiers to its parent unit; one row per (unit, day), kept as history.
 *
 * One small table of operations, filled by each backend (src/store/sqlite/
 * sq_latereports.c, src/store/postgres/pg_latereports.c) and reached from a
 * connection with DH_LATEREPORTS(c). The conventions of store.h hold. */
#ifndef DH_STORE_LATEREPORTS_H
#define DH_STORE_LATEREPORTS_H

#include "store/store.h"

typedef struct dh_late_report_row {
    const char *unit;   /* the reporting unit */
    dh_date day;        /* the local day reported */
    const char *parent; /* the unit it reports to, as of that day */
    int64_t overdue;    /* dossiers overdue */
    int64_t apologies;  /* of which an apology letter (extension) was issued */
    const char *items;  /* a JSON array: each dossier's code, procedure, due,
                           days overdue and apology flag */
    time_t made_at;     /* when the report was made */
    bool mailed;        /* the parent's contact was e-mailed */
} dh_late_report_row;

typedef int (*dh_late_report_cb)(void *closure, const dh_late_report_row *row);

typedef struct dh_latereports_ops {
    /* Inserts the report of (unit, day); a report already there is kept
     * unchanged and *inserted is false (a day is reported once). */
    dh_status (*put_late_report)(dh_conn *c, const dh_late_report_row *r, bool *inserted,
                                 dh_err *e);
    /* Marks the report of (unit, day) as e-mailed; DH_E_NOTFOUND when absent. */
    dh_status (*mark_late_report_mailed)(dh_conn *c, const char *unit, dh_date day, dh_err *e);
    /* The reports sent to `parent` (or made by `unit`, when parent is NULL)
     * on days in [from, to] (DH_DATE_NONE: open), newest day first, then by
     * unit code. */
    dh_status (*list_late_reports)(dh_conn *c, const char *parent, const char *unit,
                                   dh_date from, dh_date to, dh_late_report_cb cb,
                                   void *closure, dh_err *e);
} dh_latereports_ops;

#define DH_LATEREPORTS(c) (dh_conn_ops(c)->latereports)

#endif
