/* taskstatus.c - see taskstatus.h.
 *
 * Reporting periods are numbered by month count: month index
 * mi = year * 12 + month - 1, period k = months [k*L, k*L + L - 1] for a
 * period of L months, so the latest period whose report is overdue is
 * found by arithmetic and at most two steps back, whatever the dates.
 */
#include "core/taskstatus.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Reporting periods.                                                 */

static int period_months(dh_report_every e)
{
    switch (e) {
    case DH_REPORT_MONTHLY: return 1;
    case DH_REPORT_QUARTERLY: return 3;
    case DH_REPORT_HALF_YEARLY: return 6;
    case DH_REPORT_YEARLY: return 12;
    case DH_REPORT_NONE: break;
    }
    return 0;
}

static dh_date month_day(int mi, int day)
{
    int y = mi / 12, m = mi % 12 + 1;
    int last = dh_date_days_in_month(y, m);
    return dh_date_from_ymd(y, m, day < 1 ? 1 : day > last ? last : day);
}

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* The report deadline of period k. */
static dh_date report_due_of(const dh_report_rule *r, int L, int k)
{
    return month_day(k * L + L - 1 + clamp(r->month_offset, 0, 12), r->day);
}

/* The latest period whose report deadline is before today, or -1. */
static int last_due_period(const dh_report_rule *r, dh_date today, int L)
{
    int y, m, d;
    dh_date_to_ymd(today, &y, &m, &d);
    int mi = y * 12 + m - 1;
    int k = (mi - clamp(r->month_offset, 0, 12) - L + 1) / L + 1;
    while (k >= 0 && report_due_of(r, L, k) >= today)
        k--;
    return k;
}

bool dh_report_last_due(const dh_report_rule *rule, dh_date today, dh_date *due,
                        dh_date *period_from, dh_date *period_to)
{
    *due = *period_from = *period_to = DH_DATE_NONE;
    int L = period_months(rule->every);
    if (!L)
        return false;
    int k = last_due_period(rule, today, L);
    if (k < 0)
        return false;
    *due = report_due_of(rule, L, k);
    *period_from = month_day(k * L, 1);
    *period_to = month_day(k * L + L - 1, 31);
    return true;
}

/* "tháng 6/2024", "quý II/2024", "6 tháng đầu năm 2024", "năm 2024". */
static void period_label(dh_report_every e, dh_date from, char *out, size_t cap)
{
    static const char *const roman[] = {"I", "II", "III", "IV"};
    int y, m, d;
    dh_date_to_ymd(from, &y, &m, &d);
    switch (e) {
    case DH_REPORT_MONTHLY: snprintf(out, cap, "tháng %d/%d", m, y); break;
    case DH_REPORT_QUARTERLY: snprintf(out, cap, "quý %s/%d", roman[(m - 1) / 3], y); break;
    case DH_REPORT_HALF_YEARLY:
        snprintf(out, cap, "6 tháng %s năm %d", m <= 6 ? "đầu" : "cuối", y);
        break;
    case DH_REPORT_YEARLY: snprintf(out, cap, "năm %d", y); break;
    case DH_REPORT_NONE: snprintf(out, cap, "kỳ trước"); break;
    }
}

/* ------------------------------------------------------------------ */
/* Status.                                                            */

/* dd/mm/yyyy, the form used on Vietnamese administrative documents. */
static void vn_date(dh_date x, char out[11])
{
    int y, m, d;
    dh_date_to_ymd(x, &y, &m, &d);
    snprintf(out, 11, "%02d/%02d/%04d", d, m, y);
}

/* Writes "tiến độ 40%" or "chưa có báo cáo tiến độ". */
static void progress_text(int pct, char *out, size_t cap)
{
    if (pct < 0)
        snprintf(out, cap, "chưa có báo cáo tiến độ");
    else
        snprintf(out, cap, "tiến độ %d%%", pct);
}

static bool report_missed(const dh_task_facts *f, dh_date today, dh_date last_report,
                          dh_task_status *out)
{
    const dh_report_rule *r = &f->report;
    int L = period_months(r->every);
    if (!L)
        return false;
    int k = last_due_period(r, today, L);
    if (k < 0)
        return false;
    dh_date pfrom = month_day(k * L, 1), pto = month_day(k * L + L - 1, 31);
    /* Periods wholly before the work started or after it was due ask for
     * nothing. */
    if (f->start != DH_DATE_NONE && pto < f->start)
        return false;
    if (f->due != DH_DATE_NONE && pfrom > f->due)
        return false;
    dh_date open = k > 0 ? report_due_of(r, L, k - 1) + 1 : pfrom;
    if (last_report != DH_DATE_NONE && last_report >= open)
        return false;
    dh_date due = report_due_of(r, L, k);
    char label[48], d[11];
    period_label(r->every, pfrom, label, sizeof label);
    vn_date(due, d);
    out->state = DH_TS_NO_REPORT;
    out->reason = "report_missed";
    out->days = (int)(today - due);
    out->report_due = due;
    snprintf(out->explain, sizeof out->explain,
             "Chưa báo cáo tiến độ %s, quá hạn báo cáo %d ngày (hạn %s).", label, out->days, d);
    return true;
}

void dh_task_status_derive(const dh_task_facts *f, dh_date today, dh_task_status *out)
{
    memset(out, 0, sizeof *out);
    out->expected_progress = -1;
    out->report_due = DH_DATE_NONE;

    /* What was known on `today`. */
    int pct = f->progress < 0 ? -1 : clamp(f->progress, 0, 100);
    if (f->progress_date != DH_DATE_NONE && f->progress_date > today)
        pct = -1;
    dh_date last_report = f->last_report;
    if (last_report != DH_DATE_NONE && last_report > today)
        last_report = DH_DATE_NONE;
    bool done = f->done && (f->done_date == DH_DATE_NONE || f->done_date <= today);

    char due_s[11] = "", d2[11], prog[48];
    if (f->due != DH_DATE_NONE)
        vn_date(f->due, due_s);
    progress_text(pct, prog, sizeof prog);
    int left = f->due != DH_DATE_NONE ? (int)(f->due - today) : 0;

    /* 1. Done beats everything. */
    if (done) {
        if (f->done_date == DH_DATE_NONE) {
            out->state = DH_TS_DONE;
            out->reason = "done_undated";
            snprintf(out->explain, sizeof out->explain, "Đã hoàn thành.");
            return;
        }
        vn_date(f->done_date, d2);
        if (f->due != DH_DATE_NONE && f->done_date > f->due) {
            out->state = DH_TS_DONE_LATE;
            out->reason = "done_late";
            out->days = (int)(f->done_date - f->due);
            snprintf(out->explain, sizeof out->explain,
                     "Hoàn thành ngày %s, trễ %d ngày so với hạn %s.", d2, out->days, due_s);
            return;
        }
        out->state = DH_TS_DONE;
        out->reason = "done_on_time";
        if (f->due != DH_DATE_NONE)
            snprintf(out->explain, sizeof out->explain, "Đã hoàn thành ngày %s, đúng hạn.", d2);
        else
            snprintf(out->explain, sizeof out->explain, "Đã hoàn thành ngày %s.", d2);
        return;
    }

    /* 2. Overdue: from the day after the due date. */
    if (f->due != DH_DATE_NONE && today > f->due) {
        out->state = DH_TS_OVERDUE;
        out->reason = "overdue";
        out->days = -left;
        snprintf(out->explain, sizeof out->explain, "Quá hạn %d ngày, %s (hạn %s).", out->days,
                 prog, due_s);
        return;
    }

    /* 3. A missed report. */
    if (report_missed(f, today, last_report, out))
        return;

    /* 4. At risk: close to the due date and behind a linear pace. */
    if (f->due != DH_DATE_NONE && left <= f->risk_margin_days) {
        int expected = 100;
        if (f->start != DH_DATE_NONE && f->start <= f->due) {
            int64_t total = (int64_t)f->due - f->start + 1;
            int64_t elapsed = (int64_t)today - f->start + 1;
            if (elapsed < 0)
                elapsed = 0;
            expected = (int)(elapsed * 100 / total);
        }
        if ((pct < 0 ? 0 : pct) < expected) {
            out->state = DH_TS_AT_RISK;
            out->reason = "behind_pace";
            out->days = left;
            out->expected_progress = expected;
            if (left == 0)
                snprintf(out->explain, sizeof out->explain,
                         "Đến hạn hôm nay (%s), %s, chậm so với mức cần đạt %d%%.", due_s, prog,
                         expected);
            else
                snprintf(out->explain, sizeof out->explain,
                         "Còn %d ngày đến hạn (%s), %s, chậm so với mức cần đạt %d%%.", left,
                         due_s, prog, expected);
            return;
        }
    }

    /* 5. Not started: before the start date, or nothing done yet (a
     * continuous task counts as started once it has reported). */
    out->days = left;
    if (f->start != DH_DATE_NONE && today < f->start) {
        vn_date(f->start, d2);
        out->state = DH_TS_NOT_STARTED;
        out->reason = "before_start";
        snprintf(out->explain, sizeof out->explain, "Chưa đến ngày bắt đầu (%s).", d2);
        return;
    }
    bool continuous = f->due == DH_DATE_NONE;
    if (pct <= 0 && !(continuous && last_report != DH_DATE_NONE)) {
        out->state = DH_TS_NOT_STARTED;
        out->reason = "no_progress";
        if (continuous)
            snprintf(out->explain, sizeof out->explain,
                     "Chưa bắt đầu thực hiện (nhiệm vụ thường xuyên).");
        else if (left == 0)
            snprintf(out->explain, sizeof out->explain,
                     "Chưa bắt đầu thực hiện, đến hạn hôm nay (%s).", due_s);
        else
            snprintf(out->explain, sizeof out->explain,
                     "Chưa bắt đầu thực hiện, còn %d ngày đến hạn (%s).", left, due_s);
        return;
    }

    /* 6. In progress. */
    out->state = DH_TS_IN_PROGRESS;
    if (continuous) {
        out->reason = "continuous";
        if (pct < 0) {
            vn_date(last_report, d2);
            snprintf(out->explain, sizeof out->explain,
                     "Đang thực hiện thường xuyên, báo cáo gần nhất ngày %s.", d2);
        } else
            snprintf(out->explain, sizeof out->explain, "Đang thực hiện thường xuyên, %s.", prog);
        return;
    }
    out->reason = "on_track";
    if (left == 0)
        snprintf(out->explain, sizeof out->explain, "Đang thực hiện, %s, đến hạn hôm nay (%s).",
                 prog, due_s);
    else
        snprintf(out->explain, sizeof out->explain, "Đang thực hiện, %s, còn %d ngày đến hạn (%s).",
                 prog, left, due_s);
}

const char *dh_task_state_name(dh_task_state s)
{
    static const char *const names[DH_TS_COUNT] = {
        [DH_TS_NOT_STARTED] = "not_started", [DH_TS_IN_PROGRESS] = "in_progress",
        [DH_TS_DONE] = "done",               [DH_TS_DONE_LATE] = "done_late",
        [DH_TS_OVERDUE] = "overdue",         [DH_TS_AT_RISK] = "at_risk",
        [DH_TS_NO_REPORT] = "no_report",   [DH_TS_NOT_DONE] = "not_done",
    };
    if ((unsigned)s >= DH_TS_COUNT)
        return "?";
    return names[s];
}
