/* fullonline.c - fully online public services per unit and period (issue
 * 19, point 8; seed 004's "dịch vụ công trực tuyến toàn trình"): the share
 * of the procedures the unit offers that are fully online (the catalogue's
 * online_level "full" of the version in force at the period's end), and
 * the share of the dossiers its subtree received through them. The rules
 * are in core/fullonline.h; the figures come from the catalogue and the
 * service aggregates grouped by procedure. */
#include <stdlib.h>
#include <string.h>

#include "app/internal.h"
#include "core/fullonline.h"

static json_t *rate_json(int64_t num, int64_t den)
{
    double pct;
    return dh_fo_rate(num, den, &pct) ? json_real(pct) : json_null();
}

dh_status dh_app_full_online(dh_app *app, const dh_actor *a, const char *unit, dh_date from,
                             dh_date to, time_t now, json_t **out, dh_err *e)
{
    *out = NULL;
    if (!unit || !*unit)
        return dh_err_set(e, DH_E_INVALID, "missing_field", "unit", "unit is required");
    if (to < from)
        return dh_err_set(e, DH_E_INVALID, "invalid_range", "to", "to is before from");
    if (to - from > 3660)
        return dh_err_set(e, DH_E_INVALID, "invalid_range", "to", "at most ten years at once");
    char *units = NULL;
    /* a closed unit (a province merged in 2025) with its subtree as it
     * stood on its last day */
    dh_status st = dh_app_scope_units_of(app, a, unit, true, "kpis", true, now, &units, e);
    if (st)
        return st;
    dh_agg_group *byproc = NULL;
    size_t nbyproc = 0;
    st = dh_agg_query(app, units, DH_GROUP_PROCEDURE, false, from, to, dh_date_of_time_vn(now),
                      &byproc, &nbyproc, e);
    free(units);
    if (st)
        return st;
    const dh_unitreg *reg = dh_app_units_acquire(app, e);
    const dh_procset *ps = reg ? dh_app_procedures_acquire(app, e) : NULL;
    if (!ps) {
        if (reg)
            dh_app_units_release(app, reg);
        dh_agg_groups_free(byproc, nbyproc);
        return e->status;
    }
    dh_fo_figures f = {0};
    bool lv[3];
    int32_t u = dh_unitreg_find(reg, unit);
    dh_date on = to;
    if (u >= 0 && reg->u[u].valid_to != DH_DATE_NONE && reg->u[u].valid_to < on)
        on = reg->u[u].valid_to; /* the levels it handled on its last day */
    dh_proc_unit_levels(reg, u, on, lv);
    for (size_t i = 0; i < ps->n; i++)
        if (dh_procset_in_force(ps, i, to) && dh_proc_level_in(ps->v[i].level, lv))
            dh_fo_add_procedure(&f, ps->v[i].online_level);
    for (size_t i = 0; i < nbyproc; i++) {
        const dh_proc *p = dh_procset_at(ps, byproc[i].key, to);
        dh_fo_add_dossiers(&f, p ? p->online_level : NULL,
                           byproc[i].f.received_online + byproc[i].f.received_counter_postal);
    }
    dh_app_procedures_release(app, ps);
    dh_app_units_release(app, reg);
    dh_agg_groups_free(byproc, nbyproc);
    char fs[DH_DATE_TEXT_LEN], ts[DH_DATE_TEXT_LEN];
    dh_date_format(from, fs);
    dh_date_format(to, ts);
    *out = json_pack("{s:s,s:s,s:s,s:I,s:I,s:o,s:I,s:I,s:o}", "unit", unit, "from", fs, "to", ts,
                     "procedures", (json_int_t)f.procedures, "full_online_procedures",
                     (json_int_t)f.full_procedures, "full_online_procedure_rate",
                     rate_json(f.full_procedures, f.procedures), "dossiers",
                     (json_int_t)f.dossiers, "full_online_dossiers", (json_int_t)f.full_dossiers,
                     "full_online_dossier_rate", rate_json(f.full_dossiers, f.dossiers));
    return DH_OK;
}
