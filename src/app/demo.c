/* demo.c - the demo province: units and events from the embedded files
 * data/demo/units.csv and data/demo/events.json, plus demo users. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/demo.h"
#include "app/internal.h"
#include "util/embed.h"

const dh_demo_user dh_demo_users[] = {
    {"admin", "admin", NULL, "Quản trị hệ thống"},
    {"lanhdao.tinh", "leader", "BRVT", "Lãnh đạo UBND tỉnh"},
    {"lanhdao.hcm", "leader", "HCM", "Lãnh đạo UBND Thành phố Hồ Chí Minh"},
    {"canbo.stttt", "officer", "BRVT-STTTT", "Chuyên viên Sở Thông tin và Truyền thông"},
    {"vanphong.vt", "officer", "BRVT-VT", "Văn phòng UBND thành phố Vũng Tàu"},
    {"canbo.vungtau", "officer", "HCM-VUNGTAU", "Cán bộ UBND phường Vũng Tàu"},
    {"baocao.viettel", "reporter", "BRVT-VIETTEL", "Viettel Bà Rịa – Vũng Tàu"},
    {"xem.tinh", "viewer", "BRVT", "Người xem"},
    {0, 0, 0, 0},
};

dh_status dh_demo_load(dh_app *app, const dh_actor *a, time_t now, dh_demo_summary *sum,
                       dh_err *e)
{
    memset(sum, 0, sizeof *sum);
    const dh_unitreg *r = dh_app_units_acquire(app, e);
    if (!r)
        return e->status;
    bool have = r->n > 0;
    dh_app_units_release(app, r);
    if (have) {
        sum->already = true;
        return DH_OK;
    }
    size_t len;
    const char *csv = dh_embedded_get("demo/units.csv", &len);
    const char *events = dh_embedded_get("demo/events.json", NULL);
    if (!csv || !events)
        return dh_err_set(e, DH_E_INTERNAL, "no_demo_data", NULL,
                          "this binary was built without data/demo/");
    FILE *f = fmemopen((void *)csv, len, "r");
    if (!f)
        return dh_err_set(e, DH_E_INTERNAL, "io", NULL, "cannot read the embedded units");
    dh_import_report rep;
    dh_status st = dh_app_unit_import(app, a, f, "demo/units.csv", false, now, &rep, NULL, NULL,
                                      e);
    fclose(f);
    if (st && rep.nmessages)
        snprintf(e->message, sizeof e->message, "%s", rep.messages[0]);
    sum->units = rep.taken;
    dh_import_report_free(&rep);
    if (st)
        return st;
    json_error_t je;
    json_t *arr = json_loads(events, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_array(arr)) {
        json_decref(arr);
        return dh_err_set(e, DH_E_INTERNAL, "bad_demo_data", NULL,
                          "demo/events.json:%d: %s", je.line, je.text);
    }
    for (size_t i = 0; i < json_array_size(arr) && st == DH_OK; i++) {
        json_t *out = NULL;
        st = dh_app_unit_event(app, a, json_array_get(arr, i), now, &out, e);
        json_decref(out);
        if (st) {
            char msg[sizeof e->message];
            snprintf(msg, sizeof msg, "demo/events.json: event %zu: %s", i + 1, e->message);
            snprintf(e->message, sizeof e->message, "%s", msg);
        } else {
            sum->events++;
        }
    }
    json_decref(arr);
    const char *procs = dh_embedded_get("demo/procedures.csv", &len);
    if (st == DH_OK && procs) {
        FILE *pf = fmemopen((void *)procs, len, "r");
        dh_import_report prep;
        st = dh_app_procedure_import(app, a, pf, "demo/procedures.csv", false, now, &prep, e);
        fclose(pf);
        sum->procedures = prep.taken;
        dh_import_report_free(&prep);
    }
    for (size_t i = 0; dh_demo_users[i].login && st == DH_OK; i++) {
        const dh_demo_user *u = &dh_demo_users[i];
        dh_user_spec s = {u->login, DH_DEMO_PASSWORD, u->role, u->unit, u->display_name};
        json_t *out = NULL;
        st = dh_app_user_create(app, a, &s, now, &out, e);
        json_decref(out);
        if (st == DH_OK)
            sum->users++;
    }
    if (st == DH_OK) {
        json_t *plans = NULL;
        st = dh_app_plans_demo(app, a, now, &plans, e);
        json_decref(plans);
    }
    /* The station register before the indicators: the operators' 5G
     * reports are its counts (inddemo.c). */
    if (st == DH_OK) {
        json_t *stations = NULL;
        st = dh_app_stations_demo(app, a, now, &stations, e);
        json_decref(stations);
    }
    if (st == DH_OK) {
        json_t *ind = NULL;
        st = dh_app_indicators_demo(app, a, now, &ind, e);
        json_decref(ind);
    }
    if (st == DH_OK) {
        json_t *dti = NULL;
        st = dh_app_dti_demo(app, a, now, &dti, e);
        json_decref(dti);
    }
    return st;
}
