/* fbdemo.c - demo citizen feedback (`dieuhanh gen feedback`, issue 17): the
 * categories of a Vietnamese city and a period of synthetic records across
 * the communes valid over it, handled through the same operations as real
 * ones (dh_app_fb_submit_coded, dh_app_fb_act) at made-up instants, so that
 * the clock, the routing and the audit trail are the real ones. Deterministic:
 * a xorshift generator from the seed, codes PA-YEAR-Dnnnnnnn. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/internal.h"

static const char *const cats[][4] = {
    {"chieu-sang", "Chiếu sáng công cộng", "Hạ tầng đô thị", "đèn đường,chiếu sáng"},
    {"giao-thong-thoat-nuoc", "Giao thông, thoát nước", "Hạ tầng đô thị",
     "ổ gà,ngập nước,vỉa hè"},
    {"moi-truong-rac-thai", "Môi trường, rác thải", "Môi trường", "rác,ô nhiễm,tiếng ồn"},
    {"trat-tu-do-thi", "Trật tự đô thị", "Trật tự đô thị", "lấn chiếm,xây dựng trái phép"},
    {"thu-tuc-hanh-chinh", "Thủ tục hành chính", "Hành chính công", "hồ sơ,giấy tờ"},
    {"le-loi-cong-vu", "Thái độ, lề lối làm việc của cán bộ", "Hành chính công",
     "thái độ,nhũng nhiễu"},
};
#define NCATS (sizeof cats / sizeof *cats)

static const char *const texts[NCATS] = {
    "Đèn đường không sáng nhiều đêm liền", "Đường có ổ gà lớn, mưa là ngập",
    "Rác tồn đọng nhiều ngày chưa thu gom", "Quán lấn chiếm vỉa hè, người đi bộ phải xuống lòng đường",
    "Hồ sơ nộp trực tuyến chưa được phản hồi", "Cán bộ tiếp dân thiếu hướng dẫn"};

typedef struct step {
    const char *action;
    json_t *body; /* owned */
} step;

typedef struct rng {
    unsigned long long s;
} rng;

static unsigned long long next(rng *r)
{
    unsigned long long x = r->s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return r->s = x;
}

static long pick(rng *r, long n) { return (long)(next(r) % (unsigned long long)n); }

/* A working instant on or after t: weekends move to Monday 08:00, before
 * 07:30 to 08:00, after 17:00 to the next day 08:00. */
static time_t working(time_t t)
{
    for (;;) {
        dh_date d = dh_date_of_time_vn(t);
        int wd = dh_date_weekday(d);
        time_t start = dh_date_start_vn(d);
        int min = (int)((t - start) / 60);
        if (wd >= 6 || min >= 17 * 60) {
            t = dh_date_start_vn(d + 1) + 8 * 3600;
            continue;
        }
        if (min < 7 * 60 + 30)
            t = start + 8 * 3600;
        return t;
    }
}

dh_status dh_app_fb_demo(dh_app *app, const dh_actor *a, long n, unsigned long long seed,
                         dh_date from, dh_date to, json_t **summary, dh_err *e)
{
    *summary = NULL;
    if (n < 1 || n > 1000000 || from == DH_DATE_NONE || to == DH_DATE_NONE || to < from)
        return dh_err_set(e, DH_E_INVALID, "bad_arguments", NULL,
                          "records 1 to 1,000,000 and a period with from <= to");
    time_t t0 = dh_date_start_vn(from), t1 = dh_date_start_vn(to + 1);
    dh_status st = DH_OK;
    for (size_t i = 0; i < NCATS && st == DH_OK; i++) {
        json_t *b = json_pack("{s:s, s:s, s:s, s:s}", "code", cats[i][0], "name", cats[i][1],
                              "group", cats[i][2], "keywords", cats[i][3]);
        st = dh_app_fb_category_put(app, a, b, false, t0, e);
        json_decref(b);
    }
    if (st)
        return st;
    /* The communes valid over the whole period. */
    const dh_unitreg *reg = dh_app_units_acquire(app, e);
    if (!reg)
        return e->status;
    char **communes = NULL;
    size_t nc = 0;
    for (size_t i = 0; i < reg->n; i++) {
        const dh_unit *u = &reg->u[i];
        if (u->kind == DH_UNIT_COMMUNE && u->valid_from <= from &&
            (u->valid_to == DH_DATE_NONE || u->valid_to >= to)) {
            communes = realloc(communes, (nc + 1) * sizeof *communes);
            communes[nc++] = strdup(u->code);
        }
    }
    dh_app_units_release(app, reg);
    if (nc == 0) {
        free(communes);
        return dh_err_set(e, DH_E_INVALID, "no_communes", NULL,
                          "no commune is valid over the whole period: load units first");
    }
    rng r = {seed ? seed * 2654435761ULL + 1 : 88172645463325252ULL};
    long counts[6] = {0}; /* submitted, rejected, paused, answered, rated, open */
    for (long k = 0; k < n && st == DH_OK; k++) {
        time_t at = working(t0 + (time_t)pick(&r, (long)(t1 - t0)));
        if (at >= t1)
            at = t0 + 8 * 3600;
        size_t c = (size_t)pick(&r, NCATS);
        const char *commune = communes[pick(&r, (long)nc)];
        static const char *const channels[] = {"portal", "hotline", "zalo", "app", "counter"};
        char code[40];
        int y, m, d;
        dh_date_to_ymd(dh_date_of_time_vn(at), &y, &m, &d);
        snprintf(code, sizeof code, "PA-%d-D%07ld", y, k + 1);
        json_t *b = json_pack("{s:s, s:s, s:s, s:s}", "category", cats[c][0], "description",
                              texts[c], "commune", commune, "channel", channels[pick(&r, 5)]);
        json_t *out = NULL;
        st = dh_app_fb_submit_coded(app, a, b, NULL, false, "", code, at, &out, e);
        json_decref(b);
        json_decref(out);
        if (st)
            break;
        counts[0]++;
        /* What happens next, each step some working hours later; what
         * would happen after `to` does not. */
        int fate = (int)pick(&r, 100);
        time_t t = working(at + 3600 * (1 + pick(&r, fate < 8 ? 40 : 20)));
        step steps[6];
        int ns = 0;
        if (fate < 8) {
            steps[ns++] = (step){"reject", json_pack("{s:s}", "reason",
                                                                 "Không thuộc thẩm quyền giải quyết")};
        } else {
            steps[ns++] = (step){"accept", NULL};
            if (fate < 20)
                steps[ns++] = (step){"request_info",
                                                 json_pack("{s:s}", "note", "Xin ảnh hiện trường")};
            if (fate < 20)
                steps[ns++] = (step){"resume", NULL};
            steps[ns++] = (step){"answer",
                                             json_pack("{s:s}", "answer",
                                                       "Đơn vị đã kiểm tra và xử lý xong.")};
            if (pick(&r, 10) < 7) {
                static const int ratings[] = {5, 5, 5, 5, 4, 4, 4, 3, 3, 2, 1};
                steps[ns++] = (step){
                    "rate", json_pack("{s:i}", "rating", ratings[pick(&r, 11)])};
            }
        }
        steps[ns++] = (step){"close", NULL};
        for (int s = 0; s < ns; s++) {
            if (st == DH_OK && t < t1) {
                st = dh_app_fb_act(app, a, code, steps[s].action, steps[s].body, t, &out, e);
                json_decref(out);
                if (st == DH_OK) {
                    counts[1] += !strcmp(steps[s].action, "reject");
                    counts[2] += !strcmp(steps[s].action, "request_info");
                    counts[3] += !strcmp(steps[s].action, "answer");
                    counts[4] += !strcmp(steps[s].action, "rate");
                }
            } else if (st == DH_OK && s == ns - 1) {
                counts[5]++; /* its close falls after the period: still open or answered */
            }
            json_decref(steps[s].body);
            /* an answer takes 1 to 9 working days (some late), the rest hours */
            bool slow = !strcmp(steps[s].action, "accept") || !strcmp(steps[s].action, "resume");
            long hours = !slow              ? 2 + pick(&r, 30)
                         : pick(&r, 10) == 0 ? 24 * (10 + pick(&r, 6)) /* late */
                                             : 8 * (1 + pick(&r, 9));
            t = working(t + 3600 * hours);
        }
    }
    for (size_t i = 0; i < nc; i++)
        free(communes[i]);
    free(communes);
    if (st == DH_OK)
        *summary = json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:I}", "categories", (int)NCATS,
                             "records", (json_int_t)counts[0], "rejected", (json_int_t)counts[1],
                             "paused", (json_int_t)counts[2], "answered", (json_int_t)counts[3],
                             "rated", (json_int_t)counts[4], "not_closed", (json_int_t)counts[5]);
    return st;
}
