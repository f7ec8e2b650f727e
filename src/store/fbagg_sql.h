/* fbagg_sql.h - the statement that recomputes the feedback aggregates
 * from the records (fb_agg, migration 017), portable to both engines: the
 * day is (instant + 7 h) / 86400 (instants after 1970), the counters those
 * of core/fbagg.h dh_fbfact_contribs. Both backends' agg_rebuild run it
 * after deleting every cell; the migration runs the same text. The cells'
 * rev is left 0. */
#ifndef DH_STORE_FBAGG_SQL_H
#define DH_STORE_FBAGG_SQL_H

#include "core/fbagg.h"

/* The counters of core/fbagg.h in the order of fb_agg's columns (received,
 * answered, on_time, late, rated, satisfied, minutes, open, due). */
static const int fb_cell_order[DH_FBC_N] = {DH_FBC_RECEIVED, DH_FBC_ANSWERED,  DH_FBC_ON_TIME,
                                            DH_FBC_LATE,     DH_FBC_RATED,     DH_FBC_SATISFIED,
                                            DH_FBC_MINUTES,  DH_FBC_OPEN,      DH_FBC_DUE};

#define DH_FB_AGG_REBUILD_SQL \
    "INSERT INTO fb_agg(unit, day, received, answered, on_time, late, rated, satisfied, minutes, open, due) " \
    "SELECT unit, day, SUM(received), SUM(answered), SUM(on_time), SUM(late), SUM(rated), " \
    "       SUM(satisfied), SUM(minutes), SUM(open), SUM(due) " \
    "FROM (SELECT unit, (received_at + 25200) / 86400 AS day, 1 AS received, 0 AS answered, " \
    "             0 AS on_time, 0 AS late, 0 AS rated, 0 AS satisfied, 0 AS minutes, " \
    "             CASE WHEN state IN ('received', 'accepted', 'in_progress', 'needs_info') THEN 1 ELSE 0 END AS open, " \
    "             0 AS due " \
    "      FROM fb_records " \
    "      UNION ALL " \
    "      SELECT unit, (answered_at + 25200) / 86400, 0, 1, " \
    "             CASE WHEN outcome = 'on_time' THEN 1 ELSE 0 END, CASE WHEN outcome = 'late' THEN 1 ELSE 0 END, " \
    "             CASE WHEN rating > 0 THEN 1 ELSE 0 END, CASE WHEN rating >= 4 THEN 1 ELSE 0 END, " \
    "             answer_minutes, 0, 0 " \
    "      FROM fb_records WHERE answered_at IS NOT NULL " \
    "      UNION ALL " \
    "      SELECT unit, (due_at + 25200) / 86400, 0, 0, 0, 0, 0, 0, 0, 0, 1 " \
    "      FROM fb_records " \
    "      WHERE state IN ('received', 'accepted', 'in_progress', 'needs_info') AND due_at IS NOT NULL) x " \
    "GROUP BY unit, day"

#endif
