/* index766.c - see index766.h. */
#include "core/index766.h"

#include <math.h>
#include <string.h>

double dh_i766_round2(double x)
{
    /* the small bias keeps 12.345 (stored as 12.3449999...) rounding up */
    return (x < 0 ? -1 : 1) * floor(fabs(x) * 100.0 + 0.5 + 1e-9) / 100.0;
}

double dh_i766_points(double rate_pct, double max_points, double threshold_pct)
{
    if (rate_pct < 0)
        rate_pct = 0;
    if (rate_pct > 100)
        rate_pct = 100;
    double p;
    if (threshold_pct > 0)
        p = rate_pct >= threshold_pct ? max_points : rate_pct * max_points / threshold_pct;
    else
        p = rate_pct * max_points / 100.0;
    return dh_i766_round2(p);
}

void dh_i766_fb_add(dh_i766_fb *f, int64_t answered, int64_t on_time, int64_t open_overdue,
                    int64_t rated, int64_t satisfied)
{
    f->on_time += on_time;
    f->handled += answered + open_overdue;
    f->satisfied += satisfied;
    f->rated += rated;
}

bool dh_i766_fb_fraction(const dh_i766_fb *f, const char *code, int64_t *num, int64_t *den)
{
    *num = *den = 0;
    if (!strcmp(code, "feedback_on_time"))
        *num = f->on_time, *den = f->handled;
    else if (!strcmp(code, "feedback_satisfaction"))
        *num = f->satisfied, *den = f->rated;
    return *den > 0;
}
