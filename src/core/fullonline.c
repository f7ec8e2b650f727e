/* fullonline.c - fully online public services (see fullonline.h). */
#include "core/fullonline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void dh_proc_unit_levels(const dh_unitreg *reg, int32_t u, dh_date d, bool lv[3])
{
    lv[0] = lv[1] = lv[2] = false;
    if (u < 0 || (size_t)u >= reg->n)
        return;
    dh_unit_kind k = reg->u[u].kind;
    if (k == DH_UNIT_PROVINCE) {
        lv[0] = lv[1] = lv[2] = true;
        return;
    }
    if (k == DH_UNIT_DISTRICT) {
        lv[1] = lv[2] = true;
        return;
    }
    if (k == DH_UNIT_COMMUNE) {
        lv[2] = true;
        return;
    }
    int32_t *anc = NULL;
    size_t n = dh_unitreg_ancestors(reg, u, d, &anc);
    for (size_t i = 0; i < n; i++) {
        dh_unit_kind ak = reg->u[anc[i]].kind;
        if (ak == DH_UNIT_PROVINCE || ak == DH_UNIT_DISTRICT || ak == DH_UNIT_COMMUNE) {
            lv[ak == DH_UNIT_PROVINCE ? 0 : ak == DH_UNIT_DISTRICT ? 1 : 2] = true;
            break;
        }
    }
    free(anc);
}

bool dh_proc_level_in(const char *level, const bool lv[3])
{
    return level &&
           ((lv[0] && !strcmp(level, "province")) || (lv[1] && !strcmp(level, "district")) ||
            (lv[2] && !strcmp(level, "commune")));
}

static bool is_full(const char *online_level) { return online_level && !strcmp(online_level, "full"); }

void dh_fo_add_procedure(dh_fo_figures *f, const char *online_level)
{
    f->procedures++;
    f->full_procedures += is_full(online_level);
}

void dh_fo_add_dossiers(dh_fo_figures *f, const char *online_level, int64_t n)
{
    if (n <= 0)
        return;
    f->dossiers += n;
    if (is_full(online_level))
        f->full_dossiers += n;
}

bool dh_fo_rate(int64_t num, int64_t den, double *pct)
{
    *pct = 0;
    if (den <= 0)
        return false;
    *pct = round((double)num * 10000.0 / (double)den) / 100.0;
    return true;
}
