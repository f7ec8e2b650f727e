/* period.c - see period.h. */
#include "core/period.h"

#include <stdio.h>
#include <string.h>

static int num(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}

/* One calendar period (no cut-off). */
static int plain(const char *s, dh_period *p, const char **why)
{
    size_t n = strlen(s);
    int y, m;
    if (n < 4 || num(s, 4, &y) || y < 1000) {
        *why = "a period starts with a year YYYY";
        return -1;
    }
    if (n == 4) {
        p->from = dh_date_from_ymd(y, 1, 1);
        p->to = dh_date_from_ymd(y, 12, 31);
        return 0;
    }
    if (s[4] != '-') {
        *why = "expected YYYY, YYYY-MM, YYYY-Qn, YYYY-Hn or YYYY-MM-DD";
        return -1;
    }
    if (n == 7 && (s[5] == 'Q' || s[5] == 'q') && s[6] >= '1' && s[6] <= '4') {
        int q = s[6] - '0';
        p->from = dh_date_from_ymd(y, 3 * q - 2, 1);
        p->to = dh_date_from_ymd(y, 3 * q, dh_date_days_in_month(y, 3 * q));
        return 0;
    }
    if (n == 7 && (s[5] == 'H' || s[5] == 'h') && (s[6] == '1' || s[6] == '2')) {
        int h = s[6] - '0';
        p->from = dh_date_from_ymd(y, h == 1 ? 1 : 7, 1);
        p->to = dh_date_from_ymd(y, h == 1 ? 6 : 12, h == 1 ? 30 : 31);
        return 0;
    }
    if (n == 7 && num(s + 5, 2, &m) == 0 && m >= 1 && m <= 12) {
        p->from = dh_date_from_ymd(y, m, 1);
        p->to = dh_date_from_ymd(y, m, dh_date_days_in_month(y, m));
        return 0;
    }
    if (n == 10 && dh_date_parse(s, &p->from) == 0) {
        p->to = p->from;
        return 0;
    }
    *why = "expected YYYY, YYYY-MM, YYYY-Qn, YYYY-Hn or YYYY-MM-DD (a real date)";
    return -1;
}

int dh_period_parse(const char *s, dh_period *out, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    if (!s || !*s || strlen(s) > 40) {
        *why = "the period is empty or too long";
        return -1;
    }
    const char *dots = strstr(s, "..");
    if (dots) {
        char a[16], b[16];
        size_t la = (size_t)(dots - s);
        if (la >= sizeof a || strlen(dots + 2) >= sizeof b) {
            *why = "a range is written YYYY-MM-DD..YYYY-MM-DD";
            return -1;
        }
        memcpy(a, s, la);
        a[la] = '\0';
        snprintf(b, sizeof b, "%s", dots + 2);
        if (dh_date_parse(a, &out->from) || dh_date_parse(b, &out->to)) {
            *why = "a range is written YYYY-MM-DD..YYYY-MM-DD with real dates";
            return -1;
        }
        if (out->to < out->from) {
            *why = "the range ends before it starts";
            return -1;
        }
        return 0;
    }
    if (strncmp(s, "cutoff:", 7) == 0) {
        dh_period p;
        if (plain(s + 7, &p, why))
            return -1;
        size_t n = strlen(s + 7);
        if (n == 10) {
            *why = "a cut-off period is a month, quarter, half-year or year";
            return -1;
        }
        /* From the 15th of the month before the period to the 14th of its
         * last month (a year: 15/12 of the year before to 14/12). */
        int y, m, d;
        dh_date_to_ymd(p.from, &y, &m, &d);
        int py = m == 1 ? y - 1 : y, pm = m == 1 ? 12 : m - 1;
        out->from = dh_date_from_ymd(py, pm, 15);
        dh_date_to_ymd(p.to, &y, &m, &d);
        out->to = dh_date_from_ymd(y, m, 14);
        return 0;
    }
    return plain(s, out, why);
}
