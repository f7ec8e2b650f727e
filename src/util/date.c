/* date.c - civil date arithmetic (days from civil, after H. Hinnant). */
#include "util/date.h"

#include <stdio.h>
#include <string.h>

dh_date dh_date_from_ymd(int y, int m, int d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (dh_date)(era * 146097 + (int)doe - 719468);
}

void dh_date_to_ymd(dh_date date, int *y, int *m, int *d)
{
    int z = (int)date + 719468;
    const int era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned dd = doy - (153 * mp + 2) / 5 + 1;
    const unsigned mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)yoe + era * 400 + (mm <= 2);
    *m = (int)mm;
    *d = (int)dd;
}

int dh_date_days_in_month(int y, int m)
{
    static const int len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return len[m - 1];
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Parses the "YYYY-MM-DD" prefix of s. */
static int parse_ymd(const char *s, int *y, int *m, int *d)
{
    if (strlen(s) < 10 || s[4] != '-' || s[7] != '-')
        return -1;
    if (digits(s, 4, y) || digits(s + 5, 2, m) || digits(s + 8, 2, d))
        return -1;
    if (*y < 1000 || *m < 1 || *m > 12 || *d < 1 || *d > dh_date_days_in_month(*y, *m))
        return -1;
    return 0;
}

int dh_date_parse(const char *s, dh_date *out)
{
    int y, m, d;
    *out = 0;
    if (!s || strlen(s) != 10 || parse_ymd(s, &y, &m, &d))
        return -1;
    *out = dh_date_from_ymd(y, m, d);
    return 0;
}

void dh_date_format(dh_date date, char *out)
{
    int y, m, d;
    dh_date_to_ymd(date, &y, &m, &d);
    snprintf(out, DH_DATE_TEXT_LEN, "%04d-%02d-%02d", y % 10000, m, d);
}

int dh_date_weekday(dh_date date)
{
    /* 1970-01-01 was a Thursday (ISO 4). */
    int w = (int)((date % 7 + 7) % 7); /* 0 = Thursday */
    return (w + 3) % 7 + 1;
}

dh_date dh_date_of_time_vn(time_t t)
{
    long long s = (long long)t + DH_VN_OFFSET;
    long long day = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
    return (dh_date)day;
}

void dh_time_format_utc(time_t t, char *out)
{
    long long s = (long long)t;
    long long day = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
    long long rem = s - day * 86400;
    int y, m, d;
    dh_date_to_ymd((dh_date)day, &y, &m, &d);
    snprintf(out, 21, "%04d-%02d-%02dT%02d:%02d:%02dZ", y % 10000, m, d, (int)(rem / 3600),
             (int)(rem / 60 % 60), (int)(rem % 60));
}

void dh_time_format_iso_vn(time_t t, char *out)
{
    long long s = (long long)t + DH_VN_OFFSET;
    long long day = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
    long long rem = s - day * 86400;
    int v[6];
    dh_date_to_ymd((dh_date)day, &v[0], &v[1], &v[2]);
    v[0] %= 10000; /* as dh_time_format_vn: four digits */
    if (v[0] < 0)
        v[0] += 10000;
    v[3] = (int)(rem / 3600);
    v[4] = (int)(rem / 60 % 60);
    v[5] = (int)(rem % 60);
    /* the last digit of each number at end[i] */
    static const int end[6] = {3, 6, 9, 12, 15, 18}, len[6] = {4, 2, 2, 2, 2, 2};
    memcpy(out, "0000-00-00T00:00:00+07:00", DH_TIME_ISO_VN_LEN);
    for (int i = 0; i < 6; i++)
        for (int d = end[i], x = v[i]; d > end[i] - len[i]; d--, x /= 10)
            out[d] = (char)('0' + x % 10);
}

void dh_time_format_vn(time_t t, char *out)
{
    char iso[DH_TIME_ISO_VN_LEN];
    dh_time_format_iso_vn(t, iso);
    memcpy(out, iso, 16); /* "YYYY-MM-DDTHH:MM" */
    out[16] = '\0';
}

int dh_time_parse(const char *s, time_t *out)
{
    int y, m, d, hh = 0, mi = 0, ss = 0, off = 7 * 60;
    *out = 0;
    if (!s || parse_ymd(s, &y, &m, &d))
        return -1;
    const char *p = s + 10;
    if (*p == 'T' || *p == ' ') {
        if (strlen(p) < 6 || digits(p + 1, 2, &hh) || p[3] != ':' || digits(p + 4, 2, &mi))
            return -1;
        p += 6;
        if (*p == ':') {
            if (digits(p + 1, 2, &ss))
                return -1;
            p += 3;
        }
        if (hh > 23 || mi > 59 || ss > 59)
            return -1;
        if (*p == 'Z') {
            off = 0;
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om;
            if (strlen(p) != 6 || digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) ||
                oh > 14 || om > 59)
                return -1;
            off = (oh * 60 + om) * (*p == '-' ? -1 : 1);
            p += 6;
        }
    }
    if (*p != '\0')
        return -1;
    long long days = dh_date_from_ymd(y, m, d);
    *out = (time_t)(days * 86400 + hh * 3600 + mi * 60 + ss - off * 60);
    return 0;
}

time_t dh_date_start_vn(dh_date d) { return (time_t)((int64_t)d * 86400 - DH_VN_OFFSET); }
