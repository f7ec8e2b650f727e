/* lunar.c - see lunar.h. Angles in degrees unless named *_rad; day numbers
 * are Julian day numbers (JDN) inside this file and dh_date outside. */
#include "core/lunar.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#define TZ_HOURS 7.0
#define SYNODIC 29.530588853
#define JD_NM0 2415021.076998695 /* a new moon near 1900-01-01 */
#define JDN_UNIX_EPOCH 2440588L  /* JDN of 1970-01-01 */

static const double DEG = M_PI / 180.0;

/* The instant (Julian date, TT-corrected to UT) of the k-th new moon after the
 * one of 1900-01-01 (Meeus, Astronomical Algorithms, the short series). */
static double new_moon_jd(int k)
{
    double T = k / 1236.85, T2 = T * T, T3 = T2 * T;
    double jd = 2415020.75933 + 29.53058868 * k + 0.0001178 * T2 - 0.000000155 * T3;
    jd += 0.00033 * sin((166.56 + 132.87 * T - 0.009173 * T2) * DEG);
    double M = 359.2242 + 29.10535608 * k - 0.0000333 * T2 - 0.00000347 * T3;   /* sun */
    double Mp = 306.0253 + 385.81691806 * k + 0.0107306 * T2 + 0.00001236 * T3; /* moon */
    double F = 21.2964 + 390.67050646 * k - 0.0016528 * T2 - 0.00000239 * T3;   /* latitude */
    /* The periodic terms (Meeus ch. 49, rounded), each with its own sign. */
    double c = (0.1734 - 0.000393 * T) * sin(M * DEG) + 0.0021 * sin(2 * M * DEG) -
               0.4068 * sin(Mp * DEG) + 0.0161 * sin(2 * Mp * DEG) -
               0.0004 * sin(3 * Mp * DEG) + 0.0104 * sin(2 * F * DEG) -
               0.0051 * sin((M + Mp) * DEG) - 0.0074 * sin((M - Mp) * DEG) +
               0.0004 * sin((2 * F + M) * DEG) - 0.0004 * sin((2 * F - M) * DEG) -
               0.0006 * sin((2 * F + Mp) * DEG) + 0.0010 * sin((2 * F - Mp) * DEG) +
               0.0005 * sin((2 * Mp + M) * DEG);
    double dt; /* ΔT in days */
    if (T < -11)
        dt = 0.001 + 0.000839 * T + 0.0002261 * T2 - 0.00000845 * T3 - 0.000000081 * T * T3;
    else
        dt = -0.000278 + 0.000265 * T + 0.000262 * T2;
    return jd + c - dt;
}

/* The local (UTC+7) day number on which the k-th new moon falls. */
static long new_moon_day(int k) { return (long)floor(new_moon_jd(k) + 0.5 + TZ_HOURS / 24.0); }

/* The sun's apparent longitude in radians, [0, 2π), at Julian date jd. */
static double sun_longitude_rad(double jd)
{
    double T = (jd - 2451545.0) / 36525.0, T2 = T * T;
    double M = 357.52910 + 35999.05030 * T - 0.0001559 * T2 - 0.00000048 * T * T2;
    double L0 = 280.46645 + 36000.76983 * T + 0.0003032 * T2;
    double C = (1.914600 - 0.004817 * T - 0.000014 * T2) * sin(M * DEG) +
               (0.019993 - 0.000101 * T) * sin(2 * M * DEG) + 0.000290 * sin(3 * M * DEG);
    double L = (L0 + C) * DEG;
    L -= 2 * M_PI * floor(L / (2 * M_PI));
    return L;
}

/* Which 30° sector (0..11) the sun is in at the local midnight that starts
 * day number jdn; sector k contains the major term at 30k°. */
static int sun_sector(long jdn)
{
    return (int)floor(sun_longitude_rad((double)jdn - 0.5 - TZ_HOURS / 24.0) / M_PI * 6.0);
}

/* The index k of the lunation whose (local) day is the last new-moon day
 * at or before jdn. Searches instead of trusting the mean-month estimate. */
static int lunation_at(long jdn)
{
    int k = (int)floor((jdn - JD_NM0) / SYNODIC);
    while (new_moon_day(k) > jdn)
        k--;
    while (new_moon_day(k + 1) <= jdn)
        k++;
    return k;
}

/* The lunation index of month 11 of Gregorian year y: the month that
 * contains the winter solstice (sun sector 9 starts at 270°). */
static int month11_k(int y)
{
    long dec31 = (long)dh_date_from_ymd(y, 12, 31) + JDN_UNIX_EPOCH;
    int k = lunation_at(dec31);
    /* The month containing Dec 31 starts after the solstice if the sun is
     * already past 270° at its start; then month 11 is the one before. */
    if (sun_sector(new_moon_day(k)) >= 9)
        k--;
    return k;
}

/* ---- The table of months. ------------------------------------------ */

typedef struct month_rec {
    dh_date start;
    short year;
    signed char month;
    bool leap;
} month_rec;

/* Lunar years 1899 (from month 11) to 2200 (to month 10): 302 × 13 at most. */
#define MAX_MONTHS (302 * 13 + 2)
static month_rec months[MAX_MONTHS];
static int nmonths;
static signed char leap_of[DH_LUNAR_YEAR_MAX - DH_LUNAR_YEAR_MIN + 3]; /* per lunar year */
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void build(void)
{
    /* One "sui" runs from month 11 of year y to month 11 of y + 1. Months 11
     * and 12 (and a leap 11 or 12) belong to lunar year y; 1..10 to y + 1. */
    for (int y = DH_LUNAR_YEAR_MIN - 1; y <= DH_LUNAR_YEAR_MAX; y++) {
        int ka = month11_k(y), kb = month11_k(y + 1);
        int n = kb - ka; /* 12 or 13 */
        int leap_i = 0;  /* position of the leap month in the sui, 0 = none */
        if (n == 13) {
            /* The first month after month 11 with no major term: its start
             * and the next month's start see the sun in the same sector. */
            int prev = sun_sector(new_moon_day(ka + 1)), i;
            for (i = 1; i < 13; i++) {
                int next = sun_sector(new_moon_day(ka + i + 1));
                if (next == prev)
                    break;
                prev = next;
            }
            leap_i = i;
        }
        int num = 11;
        for (int i = 0; i < n; i++) {
            month_rec *m = &months[nmonths++];
            m->start = (dh_date)(new_moon_day(ka + i) - JDN_UNIX_EPOCH);
            m->leap = leap_i && i == leap_i;
            if (i > 0 && !m->leap)
                num = num % 12 + 1;
            m->month = (signed char)num;
            m->year = (short)(num >= 11 && i < 4 ? y : y + 1);
            if (m->leap && m->year >= DH_LUNAR_YEAR_MIN && m->year <= DH_LUNAR_YEAR_MAX + 1)
                leap_of[m->year - DH_LUNAR_YEAR_MIN] = (signed char)num;
        }
    }
    /* A sentinel: the start of month 11 of lunar year 2200. */
    months[nmonths].start = (dh_date)(new_moon_day(month11_k(DH_LUNAR_YEAR_MAX + 1)) -
                                      JDN_UNIX_EPOCH);
    months[nmonths].year = DH_LUNAR_YEAR_MAX + 1;
    months[nmonths].month = 11;
}

static void ensure(void) { pthread_once(&once, build); }

int dh_lunar_from_solar(dh_date d, dh_lunar *out)
{
    ensure();
    if (d > dh_date_from_ymd(DH_LUNAR_YEAR_MAX, 12, 31) || d < months[0].start)
        return -1;
    int lo = 0, hi = nmonths - 1; /* last month with start <= d */
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (months[mid].start <= d)
            lo = mid;
        else
            hi = mid - 1;
    }
    const month_rec *m = &months[lo];
    if (m->year < DH_LUNAR_YEAR_MIN)
        return -1;
    out->day = d - m->start + 1;
    out->month = m->month;
    out->year = m->year;
    out->leap = m->leap;
    return 0;
}

/* Index of the month record, or -1. */
static int find_month(int year, int month, bool leap)
{
    ensure();
    if (year < DH_LUNAR_YEAR_MIN || year > DH_LUNAR_YEAR_MAX || month < 1 || month > 12)
        return -1;
    /* Months are in order; the year starts about 12.37 × (year - 1899) - 2 in. */
    int guess = (int)((year - DH_LUNAR_YEAR_MIN) * 12.3685) - 4;
    if (guess < 0)
        guess = 0;
    for (int i = guess; i < nmonths; i++) {
        const month_rec *m = &months[i];
        if (m->year > year)
            break;
        if (m->year == year && m->month == month && m->leap == leap)
            return i;
    }
    return -1;
}

int dh_lunar_to_solar(const dh_lunar *l, dh_date *out, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    if (l->year < DH_LUNAR_YEAR_MIN || l->year > DH_LUNAR_YEAR_MAX) {
        *why = "the lunar year must be between 1900 and 2199";
        return -1;
    }
    if (l->month < 1 || l->month > 12) {
        *why = "the lunar month must be between 1 and 12";
        return -1;
    }
    int i = find_month(l->year, l->month, l->leap);
    if (i < 0) {
        *why = l->leap ? "that lunar year has no such leap month" : "no such lunar month";
        return -1;
    }
    int len = months[i + 1].start - months[i].start;
    if (l->day < 1 || l->day > len) {
        *why = len == 29 ? "that lunar month has only 29 days" : "the lunar day must be 1..30";
        return -1;
    }
    *out = months[i].start + l->day - 1;
    return 0;
}

int dh_lunar_leap_month(int year)
{
    ensure();
    if (year < DH_LUNAR_YEAR_MIN || year > DH_LUNAR_YEAR_MAX)
        return -1;
    return leap_of[year - DH_LUNAR_YEAR_MIN];
}

int dh_lunar_month_length(int year, int month, bool leap)
{
    int i = find_month(year, month, leap);
    return i < 0 ? 0 : months[i + 1].start - months[i].start;
}
