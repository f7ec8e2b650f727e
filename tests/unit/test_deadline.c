/* test_deadline.c - deadline texts from the seed plans (domain.md §6), their
 * occurrences, and task status around due dates, risk margins, recurring
 * periods and reporting deadlines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/deadline.h"
#include "core/taskstatus.h"

static dh_date D(const char *s)
{
    dh_date d;
    if (dh_date_parse(s, &d))
        fail_msg("bad date %s", s);
    return d;
}

static const char *fmt(dh_date d, char *buf)
{
    if (d == DH_DATE_NONE)
        return "none";
    dh_date_format(d, buf);
    return buf;
}

/* ------------------------------------------------------------------ */
/* Parsing.                                                           */

typedef struct dl_case {
    const char *text;
    dh_dl_kind kind;
    const char *start; /* NULL: DH_DATE_NONE */
    const char *due;   /* NULL: DH_DATE_NONE */
} dl_case;

static void check_case(const dl_case *c)
{
    dh_deadline d;
    dh_err e;
    if (dh_deadline_parse(c->text, &d, &e) != DH_OK)
        fail_msg("%s: %s", c->text, e.message);
    dh_date start = c->start ? D(c->start) : DH_DATE_NONE;
    dh_date due = c->due ? D(c->due) : DH_DATE_NONE;
    char a[DH_DATE_TEXT_LEN], b[DH_DATE_TEXT_LEN];
    if (d.kind != c->kind)
        fail_msg("\"%s\": kind %s, want %s", c->text, dh_dl_kind_name(d.kind),
                 dh_dl_kind_name(c->kind));
    if (d.start != start)
        fail_msg("\"%s\": start %s, want %s", c->text, fmt(d.start, a), c->start ? c->start : "none");
    if (d.due != due)
        fail_msg("\"%s\": due %s, want %s", c->text, fmt(d.due, b), c->due ? c->due : "none");
    assert_string_equal(d.text, c->text);
    if (d.needs_review != (c->kind == DH_DL_FREE))
        fail_msg("\"%s\": needs_review %d", c->text, d.needs_review);
    dh_deadline_cleanup(&d);
    assert_null(d.text);
}

/* Every deadline expression found in /work/shared/seeds (grep for "Thời
 * gian", "Thời hạn", "hoàn thành", "Quý", "tháng", "Thường xuyên", "Hàng
 * năm"), as the seed writes it, with the seed it comes from. */
static const dl_case seed_cases[] = {
    /* 000: city plan implementing 1683/QĐ-UBND */
    {"Thời gian hoàn thành: tháng 12/2024.", DH_DL_MONTH, NULL, "2024-12-31"},
    {"Thời gian hoàn thành tháng 12/2024.", DH_DL_MONTH, NULL, "2024-12-31"},
    {"tháng 12/2024", DH_DL_MONTH, NULL, "2024-12-31"},
    {"* Thời gian thực hiện: Quý IV/2024", DH_DL_QUARTER, NULL, "2024-12-31"},
    {"Quý IV/2024", DH_DL_QUARTER, NULL, "2024-12-31"},
    {"* Thời gian thực hiện: năm 2024.", DH_DL_YEAR, NULL, "2024-12-31"},
    {"năm 2024.", DH_DL_YEAR, NULL, "2024-12-31"},
    /* 001: province plan 1683/QĐ-UBND (Markdown bold in the seed) */
    {"- Thời gian hoàn thành: **tháng 12/2024.**", DH_DL_MONTH, NULL, "2024-12-31"},
    {"**tháng 12/2024.**", DH_DL_MONTH, NULL, "2024-12-31"},
    {"Tháng 12/2024", DH_DL_MONTH, NULL, "2024-12-31"},
    {"Từ tháng 7/2024 đến tháng 10/2024", DH_DL_RANGE, "2024-07-01", "2024-10-31"},
    {"Từ tháng 7/2024 đến tháng 11/2024", DH_DL_RANGE, "2024-07-01", "2024-11-30"},
    {"Từ tháng 7/2024 đến tháng 12/2024", DH_DL_RANGE, "2024-07-01", "2024-12-31"},
    {"Từ tháng 7/2024 đến tháng 9/2024", DH_DL_RANGE, "2024-07-01", "2024-09-30"},
    {"Từ tháng 9/2024 đến tháng 10/2024", DH_DL_RANGE, "2024-09-01", "2024-10-31"},
    /* 002: DTI criteria plan of Vũng Tàu city */
    {"Vào khoảng thời gian họp HĐND thành phố trong năm", DH_DL_FREE, NULL, NULL},
    {"* Thời gian: Vào khoảng thời gian họp HĐND thành phố trong năm", DH_DL_FREE, NULL, NULL},
    {"Thực hiện rà soát đăng ký danh sách với Sở Thông tin và Truyền thông; xây dựng Kế "
     "hoạch đào tạo trong năm tập huấn về chuyển đổi số cho cán bộ, công chức, viên chức "
     "thành phố Vũng Tàu.",
     DH_DL_FREE, NULL, NULL},
    {"Thường xuyên", DH_DL_CONTINUOUS, NULL, NULL},
    {"thường xuyên", DH_DL_CONTINUOUS, NULL, NULL},
    {"* Thời gian: thường xuyên", DH_DL_CONTINUOUS, NULL, NULL},
    {"* Thời gian thực hiện: thường xuyên", DH_DL_CONTINUOUS, NULL, NULL},
    {"Hàng ngày.", DH_DL_DAILY, NULL, NULL},
    {"* Thời gian: Hàng ngày. ", DH_DL_DAILY, NULL, NULL},
    {"Quý II năm 2024", DH_DL_QUARTER, NULL, "2024-06-30"},
    {"* Thời gian thực hiện: Quý II năm 2024 ", DH_DL_QUARTER, NULL, "2024-06-30"},
    /* 004: province plan on digital government 2023-2025 (appendix) */
    {"2023-2025", DH_DL_YEAR_RANGE, "2023-01-01", "2025-12-31"},
    {"2023-2025 ", DH_DL_YEAR_RANGE, "2023-01-01", "2025-12-31"},
    {"2023-2024", DH_DL_YEAR_RANGE, "2023-01-01", "2024-12-31"},
    {"2023-2024  ", DH_DL_YEAR_RANGE, "2023-01-01", "2024-12-31"},
    {"2024-2025", DH_DL_YEAR_RANGE, "2024-01-01", "2025-12-31"},
    {"2023", DH_DL_YEAR, NULL, "2023-12-31"},
    {"Hàng năm", DH_DL_YEARLY, NULL, NULL},
    {"Hằng năm", DH_DL_YEARLY, NULL, NULL},
    {"GIAI ĐOẠN 2023-2025", DH_DL_YEAR_RANGE, "2023-01-01", "2025-12-31"},
    /* 003, 004: target horizons */
    {"Đến năm 2025", DH_DL_YEAR, NULL, "2025-12-31"},
    {"đến năm 2030", DH_DL_YEAR, NULL, "2030-12-31"},
    {"Đến cuối năm 2021", DH_DL_YEAR, NULL, "2021-12-31"},
    {"Triển khai ngay", DH_DL_FREE, NULL, NULL},
    {"Cuối năm 2020 đầu năm 2021", DH_DL_FREE, NULL, NULL},
    /* domain.md §6 roadmap milestones */
    {"7/2024–9/2024", DH_DL_RANGE, "2024-07-01", "2024-09-30"},
    {"9/2024–10/2024", DH_DL_RANGE, "2024-09-01", "2024-10-31"},
    {"12/2024", DH_DL_MONTH, NULL, "2024-12-31"},
};

/* The forms of the brief and of common usage beyond the seeds. */
static const dl_case more_cases[] = {
    {"31/12/2024", DH_DL_DATE, NULL, "2024-12-31"},
    {"30/9/2024", DH_DL_DATE, NULL, "2024-09-30"},
    {"ngày 15/12/2024", DH_DL_DATE, NULL, "2024-12-15"},
    {"trước ngày 15/12/2024", DH_DL_DATE, NULL, "2024-12-15"},
    {"ngày 15 tháng 12 năm 2024", DH_DL_DATE, NULL, "2024-12-15"},
    {"29/02/2024", DH_DL_DATE, NULL, "2024-02-29"},
    {"2024-12-15", DH_DL_DATE, NULL, "2024-12-15"},
    {"Tháng 12 năm 2024", DH_DL_MONTH, NULL, "2024-12-31"},
    {"tháng 2/2024", DH_DL_MONTH, NULL, "2024-02-29"},
    {"tháng 02-2025", DH_DL_MONTH, NULL, "2025-02-28"},
    {"quý 3/2024", DH_DL_QUARTER, NULL, "2024-09-30"},
    {"Quý I/2025", DH_DL_QUARTER, NULL, "2025-03-31"},
    {"Quí IV/2024", DH_DL_QUARTER, NULL, "2024-12-31"},
    {"QUÝ iii - 2024", DH_DL_QUARTER, NULL, "2024-09-30"},
    {"trong quý IV năm 2024", DH_DL_QUARTER, NULL, "2024-12-31"},
    {"6 tháng đầu năm 2024", DH_DL_HALF, NULL, "2024-06-30"},
    {"6 tháng cuối năm 2024", DH_DL_HALF, NULL, "2024-12-31"},
    {"năm 2024", DH_DL_YEAR, NULL, "2024-12-31"},
    {"Năm   2024", DH_DL_YEAR, NULL, "2024-12-31"},
    {"trong năm 2024", DH_DL_YEAR, NULL, "2024-12-31"},
    {"đến hết năm 2025", DH_DL_YEAR, NULL, "2025-12-31"},
    {"2023 - 2025", DH_DL_YEAR_RANGE, "2023-01-01", "2025-12-31"},
    {"2023 – 2025", DH_DL_YEAR_RANGE, "2023-01-01", "2025-12-31"},
    {"giai đoạn 2023-2025", DH_DL_YEAR_RANGE, "2023-01-01", "2025-12-31"},
    {"Giai đoạn 2023 - 2025", DH_DL_YEAR_RANGE, "2023-01-01", "2025-12-31"},
    {"từ năm 2023 đến năm 2025", DH_DL_YEAR_RANGE, "2023-01-01", "2025-12-31"},
    {"01/7/2024 - 30/9/2024", DH_DL_RANGE, "2024-07-01", "2024-09-30"},
    {"Quý III/2024 - Quý I/2025", DH_DL_RANGE, "2024-07-01", "2025-03-31"},
    {"Hàng năm (2023-2025)", DH_DL_YEARLY, "2023-01-01", "2025-12-31"},
    {"Hằng năm, giai đoạn 2023 - 2025", DH_DL_YEARLY, "2023-01-01", "2025-12-31"},
    {"2023-2025 (hàng năm)", DH_DL_YEARLY, "2023-01-01", "2025-12-31"},
    {"Định kỳ hàng năm", DH_DL_YEARLY, NULL, NULL},
    {"HANG NAM", DH_DL_YEARLY, NULL, NULL},
    {"hang  nam", DH_DL_YEARLY, NULL, NULL},
    {"Hàng quý", DH_DL_QUARTERLY, NULL, NULL},
    {"Hằng tháng", DH_DL_MONTHLY, NULL, NULL},
    {"Hằng ngày", DH_DL_DAILY, NULL, NULL},
    {"THƯỜNG XUYÊN", DH_DL_CONTINUOUS, NULL, NULL},
    {"Thuong xuyen", DH_DL_CONTINUOUS, NULL, NULL},
    {"Thường xuyên, liên tục", DH_DL_CONTINUOUS, NULL, NULL},
    {"Thường xuyên 2023-2025", DH_DL_CONTINUOUS, "2023-01-01", "2025-12-31"},
    /* Decomposed input (NFD) folds the same. */
    {"Thu\xcc\x9bo\xcc\x9b\xcc\x80ng xuye\xcc\x82n", DH_DL_CONTINUOUS, NULL, NULL},
    /* Free text: nothing partial, nothing impossible. */
    {"", DH_DL_FREE, NULL, NULL},
    {"   ", DH_DL_FREE, NULL, NULL},
    {"tháng 12/2024 và các năm tiếp theo", DH_DL_FREE, NULL, NULL},
    {"Quý V/2024", DH_DL_FREE, NULL, NULL},
    {"tháng 13/2024", DH_DL_FREE, NULL, NULL},
    {"31/02/2024", DH_DL_FREE, NULL, NULL},
    {"29/02/2023", DH_DL_FREE, NULL, NULL},
    {"2025-2023", DH_DL_FREE, NULL, NULL},
    {"20219", DH_DL_FREE, NULL, NULL},
    {"50%", DH_DL_FREE, NULL, NULL},
    {"giai đoạn 1", DH_DL_FREE, NULL, NULL},
    {"6 tháng đầu năm", DH_DL_FREE, NULL, NULL},
    {"Hàng năm và thường xuyên", DH_DL_FREE, NULL, NULL},
    {"Lập và ban hành Kế hoạch ứng dụng CNTT hàng năm theo đúng thời gian", DH_DL_FREE, NULL,
     NULL},
    {"Định kỳ 6 tháng và hàng năm", DH_DL_FREE, NULL, NULL},
    {"10 ngày", DH_DL_FREE, NULL, NULL},
    {"99999999999999999999/12/2024", DH_DL_FREE, NULL, NULL},
};

static void test_seed_deadlines(void **state)
{
    for (size_t i = 0; i < sizeof seed_cases / sizeof seed_cases[0]; i++)
        check_case(&seed_cases[i]);
}

static void test_more_deadlines(void **state)
{
    for (size_t i = 0; i < sizeof more_cases / sizeof more_cases[0]; i++)
        check_case(&more_cases[i]);
}

static void rel(const char *text, int days, dh_dl_anchor anchor, bool review, bool work)
{
    dh_deadline d;
    dh_err e;
    assert_int_equal(dh_deadline_parse(text, &d, &e), DH_OK);
    if (d.kind != DH_DL_RELATIVE)
        fail_msg("\"%s\": kind %s", text, dh_dl_kind_name(d.kind));
    assert_int_equal(d.rel_days, days);
    assert_int_equal(d.anchor, anchor);
    assert_int_equal(d.needs_review, review);
    assert_int_equal(d.working_days, work);
    assert_int_equal(d.due, DH_DATE_NONE);
    assert_string_equal(d.text, text);
    dh_deadline_cleanup(&d);
}

static void test_relative(void **state)
{
    /* 002: the city plan is due 7 days after the province's plan. */
    rel("Ban hành sau 07 ngày từ khi có Kế hoạch của UBND Tỉnh", 7, DH_DL_ANCHOR_PARENT, false,
        false);
    rel("* Thời gian: Ban hành sau 07 ngày từ khi có Kế hoạch của UBND Tỉnh ", 7,
        DH_DL_ANCHOR_PARENT, false, false);
    /* 004: units' own plans, 10 days after this plan is issued. */
    rel("Thời gian hoàn thành sau 10 ngày kể từ ngày Kế hoạch này ban hành.", 10,
        DH_DL_ANCHOR_SELF, false, false);
    rel("sau 10 ngày kể từ ngày Kế hoạch này ban hành.", 10, DH_DL_ANCHOR_SELF, false, false);
    rel("trong vòng 15 ngày", 15, DH_DL_ANCHOR_UNKNOWN, true, false);
    rel("Trong vòng 30 ngày kể từ ngày Quyết định này có hiệu lực", 30, DH_DL_ANCHOR_SELF, false,
        false);
    rel("trong 5 ngày làm việc", 5, DH_DL_ANCHOR_UNKNOWN, true, true);
    rel("07 ngày kể từ khi nhận được văn bản", 7, DH_DL_ANCHOR_UNKNOWN, true, false);
    rel("SAU 7 NGAY TU KHI CO KE HOACH CUA UBND TINH", 7, DH_DL_ANCHOR_PARENT, false, false);

    /* Resolution against the plans' dates. */
    dh_deadline d;
    dh_err e;
    assert_int_equal(
        dh_deadline_parse("sau 07 ngày từ khi có Kế hoạch của UBND Tỉnh", &d, &e), DH_OK);
    assert_int_equal(dh_deadline_resolve(&d, D("2024-06-28"), D("2024-07-10")), D("2024-07-05"));
    assert_int_equal(dh_deadline_resolve(&d, DH_DATE_NONE, D("2024-07-10")), DH_DATE_NONE);
    dh_deadline_cleanup(&d);
    assert_int_equal(dh_deadline_parse("trong vòng 10 ngày", &d, &e), DH_OK);
    assert_int_equal(dh_deadline_resolve(&d, D("2024-06-28"), D("2024-07-10")), D("2024-07-20"));
    dh_deadline_cleanup(&d);
    assert_int_equal(dh_deadline_parse("trong 5 ngày làm việc", &d, &e), DH_OK);
    assert_int_equal(dh_deadline_resolve(&d, D("2024-06-28"), D("2024-07-10")), DH_DATE_NONE);
    dh_deadline_cleanup(&d);
    assert_int_equal(dh_deadline_parse("Quý IV/2024", &d, &e), DH_OK);
    assert_int_equal(dh_deadline_resolve(&d, D("2024-06-28"), D("2024-07-10")), D("2024-12-31"));
    dh_deadline_cleanup(&d);
}

static void test_yearly_day(void **state)
{
    dh_deadline d;
    dh_err e;
    assert_int_equal(dh_deadline_parse("hàng năm (trước ngày 15/12)", &d, &e), DH_OK);
    assert_int_equal(d.kind, DH_DL_YEARLY);
    assert_int_equal(d.yearly_month, 12);
    assert_int_equal(d.yearly_day, 15);
    dh_deadline_cleanup(&d);
    assert_int_equal(dh_deadline_parse("Hàng năm", &d, &e), DH_OK);
    assert_int_equal(d.yearly_month, 12);
    assert_int_equal(d.yearly_day, 31);
    dh_deadline_cleanup(&d);
    /* 29/02 is not a day of every year. */
    assert_int_equal(dh_deadline_parse("hàng năm trước ngày 29/02", &d, &e), DH_OK);
    assert_int_equal(d.kind, DH_DL_FREE);
    dh_deadline_cleanup(&d);
    /* A day of the year only makes sense for a yearly deadline. */
    assert_int_equal(dh_deadline_parse("hàng tháng trước ngày 15/12", &d, &e), DH_OK);
    assert_int_equal(d.kind, DH_DL_FREE);
    dh_deadline_cleanup(&d);
}

static void test_parse_errors(void **state)
{
    dh_deadline d;
    dh_err e;
    assert_int_equal(dh_deadline_parse("Qu\xff IV/2024", &d, &e), DH_E_MALFORMED);
    assert_string_equal(e.code, "bad_utf8");
    assert_null(d.text);
    char big[DH_DL_TEXT_MAX + 2];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(dh_deadline_parse(big, &d, &e), DH_E_TOOLARGE);
    assert_null(d.text);
    dh_deadline_cleanup(&d); /* harmless on a zeroed deadline */
    big[DH_DL_TEXT_MAX] = '\0';
    assert_int_equal(dh_deadline_parse(big, &d, &e), DH_OK);
    assert_int_equal(d.kind, DH_DL_FREE);
    dh_deadline_cleanup(&d);
    /* Many tokens: still free text, no overflow. */
    char many[DH_DL_TEXT_MAX + 1];
    size_t n = 0;
    while (n + 2 < sizeof many) {
        many[n++] = '1';
        many[n++] = '/';
    }
    many[n] = '\0';
    assert_int_equal(dh_deadline_parse(many, &d, &e), DH_OK);
    assert_int_equal(d.kind, DH_DL_FREE);
    dh_deadline_cleanup(&d);
    assert_string_equal(dh_dl_kind_name(DH_DL_YEAR_RANGE), "year_range");
    assert_string_equal(dh_dl_kind_name((dh_dl_kind)99), "?");
}

/* ------------------------------------------------------------------ */
/* Occurrences.                                                       */

static void occ(const char *text, const char *from, const char *to, size_t want,
                const char *first_start, const char *first_due, const char *last_due)
{
    dh_deadline d;
    dh_err e;
    dh_dl_occurrence o[8];
    assert_int_equal(dh_deadline_parse(text, &d, &e), DH_OK);
    size_t n = dh_deadline_occurrences(&d, D(from), D(to), o, 8);
    if (n != want)
        fail_msg("%s %s..%s: %zu occurrences, want %zu", text, from, to, n, want);
    if (want) {
        assert_int_equal(o[0].start, D(first_start));
        assert_int_equal(o[0].due, D(first_due));
        assert_int_equal(o[(n < 8 ? n : 8) - 1].due, D(last_due));
        for (size_t i = 1; i < n && i < 8; i++)
            assert_int_equal(o[i].start, o[i - 1].due + 1 + (d.kind == DH_DL_YEARLY &&
                                                              d.yearly_day != 31
                                                          ? 16 : 0));
    }
    dh_deadline_cleanup(&d);
}

static void test_occurrences(void **state)
{
    /* Yearly within its span (004 appendix: "Hàng năm" over 2023-2025). */
    occ("Hàng năm (2023-2025)", "2020-01-01", "2030-12-31", 3, "2023-01-01", "2023-12-31",
        "2025-12-31");
    occ("Hàng năm (2023-2025)", "2024-06-15", "2024-06-15", 1, "2024-01-01", "2024-12-31",
        "2024-12-31");
    occ("Hàng năm (2023-2025)", "2026-01-01", "2026-12-31", 0, NULL, NULL, NULL);
    occ("Hằng năm", "2023-06-01", "2025-01-01", 3, "2023-01-01", "2023-12-31", "2025-12-31");
    /* Yearly due 15/12: a `from` after the 15th is in no period of its year. */
    occ("hàng năm (trước ngày 15/12)", "2023-12-15", "2024-12-31", 2, "2023-01-01",
        "2023-12-15", "2024-12-15");
    occ("hàng năm (trước ngày 15/12)", "2023-12-16", "2024-12-31", 1, "2024-01-01",
        "2024-12-15", "2024-12-15");
    /* Months and quarters are calendar ones; February of a leap year. */
    occ("Hàng tháng", "2024-01-15", "2024-03-10", 3, "2024-01-01", "2024-01-31", "2024-03-31");
    occ("Hàng tháng", "2024-02-29", "2024-02-29", 1, "2024-02-01", "2024-02-29", "2024-02-29");
    occ("Hàng quý", "2024-03-31", "2024-04-01", 2, "2024-01-01", "2024-03-31", "2024-06-30");
    occ("Hàng ngày", "2024-02-28", "2024-03-01", 3, "2024-02-28", "2024-02-28", "2024-03-01");
    /* Not recurring, or an empty range. */
    occ("Thường xuyên", "2024-01-01", "2024-12-31", 0, NULL, NULL, NULL);
    occ("Quý IV/2024", "2024-01-01", "2024-12-31", 0, NULL, NULL, NULL);
    occ("Hàng năm", "2024-12-31", "2024-01-01", 0, NULL, NULL, NULL);

    /* The total is returned even beyond cap; an open end is clamped. */
    dh_deadline d;
    dh_err e;
    dh_dl_occurrence o[2];
    assert_int_equal(dh_deadline_parse("Hằng ngày", &d, &e), DH_OK);
    assert_int_equal(dh_deadline_occurrences(&d, D("2024-01-01"), D("2024-12-31"), o, 2), 366);
    assert_int_equal(o[1].due, D("2024-01-02"));
    assert_int_equal(dh_deadline_occurrences(&d, D("2024-01-01"), D("2024-12-31"), NULL, 0), 366);
    assert_int_equal(dh_deadline_occurrences(&d, D("9999-12-30"), DH_DATE_NONE, o, 2), 2);
    dh_deadline_cleanup(&d);
}

/* ------------------------------------------------------------------ */
/* Task status.                                                       */

static dh_task_facts facts(const char *start, const char *due)
{
    dh_task_facts f = {
        .start = start ? D(start) : DH_DATE_NONE,
        .due = due ? D(due) : DH_DATE_NONE,
        .progress = -1,
        .progress_date = DH_DATE_NONE,
        .done = false,
        .done_date = DH_DATE_NONE,
        .report = {DH_REPORT_NONE, 0, 0},
        .last_report = DH_DATE_NONE,
        .risk_margin_days = 7,
    };
    return f;
}

static dh_task_status st(const dh_task_facts *f, const char *today, dh_task_state want,
                         const char *reason, int days, const char *explain)
{
    dh_task_status s;
    dh_task_status_derive(f, D(today), &s);
    if (s.state != want || strcmp(s.reason, reason) != 0)
        fail_msg("%s: %s/%s (%s), want %s/%s", today, dh_task_state_name(s.state), s.reason,
                 s.explain, dh_task_state_name(want), reason);
    assert_int_equal(s.days, days);
    if (explain)
        assert_string_equal(s.explain, explain);
    return s;
}

static void test_status_deadline(void **state)
{
    /* "Thời gian hoàn thành: tháng 12/2024", started with the plan. */
    dh_task_facts f = facts("2024-07-01", "2024-12-31");
    f.progress = 40;
    f.progress_date = D("2024-09-15");
    st(&f, "2024-10-01", DH_TS_IN_PROGRESS, "on_track", 91,
       "Đang thực hiện, tiến độ 40%, còn 91 ngày đến hạn (31/12/2024).");
    /* Exactly on the due date: not overdue (at risk, being behind). */
    st(&f, "2024-12-31", DH_TS_AT_RISK, "behind_pace", 0,
       "Đến hạn hôm nay (31/12/2024), tiến độ 40%, chậm so với mức cần đạt 100%.");
    /* The day after: overdue. */
    st(&f, "2025-01-01", DH_TS_OVERDUE, "overdue", 1,
       "Quá hạn 1 ngày, tiến độ 40% (hạn 31/12/2024).");
    st(&f, "2025-01-12", DH_TS_OVERDUE, "overdue", 12,
       "Quá hạn 12 ngày, tiến độ 40% (hạn 31/12/2024).");
    f.progress = -1;
    st(&f, "2025-01-12", DH_TS_OVERDUE, "overdue", 12,
       "Quá hạn 12 ngày, chưa có báo cáo tiến độ (hạn 31/12/2024).");

    /* Done on the due date is on time, the day after is late. */
    f.progress = 100;
    f.done = true;
    f.done_date = D("2024-12-31");
    st(&f, "2025-03-01", DH_TS_DONE, "done_on_time", 0,
       "Đã hoàn thành ngày 31/12/2024, đúng hạn.");
    f.done_date = D("2025-01-05");
    st(&f, "2025-03-01", DH_TS_DONE_LATE, "done_late", 5,
       "Hoàn thành ngày 05/01/2025, trễ 5 ngày so với hạn 31/12/2024.");
    /* ... but not before it happened: asked on 2/1 it was overdue. */
    st(&f, "2025-01-02", DH_TS_OVERDUE, "overdue", 2, NULL);
    f.done_date = DH_DATE_NONE;
    st(&f, "2025-03-01", DH_TS_DONE, "done_undated", 0, "Đã hoàn thành.");

    /* Before the start; no progress after it. */
    f = facts("2024-07-01", "2024-12-31");
    st(&f, "2024-06-30", DH_TS_NOT_STARTED, "before_start", 184,
       "Chưa đến ngày bắt đầu (01/07/2024).");
    st(&f, "2024-07-01", DH_TS_NOT_STARTED, "no_progress", 183,
       "Chưa bắt đầu thực hiện, còn 183 ngày đến hạn (31/12/2024).");
    f.progress = 0;
    st(&f, "2024-08-01", DH_TS_NOT_STARTED, "no_progress", 152, NULL);
    /* A progress figure dated after today is not known yet. */
    f.progress = 30;
    f.progress_date = D("2024-08-02");
    st(&f, "2024-08-01", DH_TS_NOT_STARTED, "no_progress", 152, NULL);
    st(&f, "2024-08-02", DH_TS_IN_PROGRESS, "on_track", 151, NULL);
}

static void test_status_margin(void **state)
{
    /* 31 days, margin 7: the pace asks for elapsed/31 at the end of today. */
    dh_task_facts f = facts("2024-12-01", "2024-12-31");
    f.progress = 70;
    f.progress_date = D("2024-12-20");
    /* 8 days left: outside the margin, whatever the pace. */
    st(&f, "2024-12-23", DH_TS_IN_PROGRESS, "on_track", 8, NULL);
    /* 7 days left: inside; 24/31 = 77% expected, 70% is behind. */
    dh_task_status s = st(&f, "2024-12-24", DH_TS_AT_RISK, "behind_pace", 7,
                          "Còn 7 ngày đến hạn (31/12/2024), tiến độ 70%, chậm so với mức cần "
                          "đạt 77%.");
    assert_int_equal(s.expected_progress, 77);
    /* 80% is ahead of 77%. */
    f.progress = 80;
    s = st(&f, "2024-12-24", DH_TS_IN_PROGRESS, "on_track", 7, NULL);
    assert_int_equal(s.expected_progress, -1);
    /* Exactly at pace is not behind: 27/31 = 87%. */
    f.progress = 87;
    st(&f, "2024-12-27", DH_TS_IN_PROGRESS, "on_track", 4, NULL);
    st(&f, "2024-12-28", DH_TS_AT_RISK, "behind_pace", 3, NULL);
    /* Margin 0: only the due date itself. */
    f.risk_margin_days = 0;
    st(&f, "2024-12-30", DH_TS_IN_PROGRESS, "on_track", 1, NULL);
    st(&f, "2024-12-31", DH_TS_AT_RISK, "behind_pace", 0, NULL);
    /* Without a start the pace asks for 100%. */
    f = facts(NULL, "2024-12-31");
    f.progress = 95;
    st(&f, "2024-12-23", DH_TS_IN_PROGRESS, "on_track", 8, NULL);
    s = st(&f, "2024-12-24", DH_TS_AT_RISK, "behind_pace", 7, NULL);
    assert_int_equal(s.expected_progress, 100);
    /* Never reported: counted as 0%. */
    f.progress = -1;
    st(&f, "2024-12-24", DH_TS_AT_RISK, "behind_pace", 7,
       "Còn 7 ngày đến hạn (31/12/2024), chưa có báo cáo tiến độ, chậm so với mức cần đạt "
       "100%.");
}

static void test_status_reports(void **state)
{
    /* 001: "Định kỳ trước ngày 10 hàng tháng ... báo cáo tiến độ": the report
     * on a month is due by the 10th of the next. */
    dh_task_facts f = facts("2024-01-01", "2024-12-31");
    f.report = (dh_report_rule){DH_REPORT_MONTHLY, 1, 10};
    f.progress = 30;
    f.progress_date = D("2024-05-08");
    f.last_report = D("2024-05-08"); /* April's report */
    /* On the 10th May's report is not yet late... */
    st(&f, "2024-06-10", DH_TS_IN_PROGRESS, "on_track", 204, NULL);
    /* ... on the 11th it is. */
    dh_task_status s = st(&f, "2024-06-11", DH_TS_NO_REPORT, "report_missed", 1,
                          "Chưa báo cáo tiến độ tháng 5/2024, quá hạn báo cáo 1 ngày (hạn "
                          "10/06/2024).");
    assert_int_equal(s.report_due, D("2024-06-10"));
    /* A report on the 10th meets May's obligation, and not June's. */
    f.last_report = D("2024-06-10");
    st(&f, "2024-06-11", DH_TS_IN_PROGRESS, "on_track", 203, NULL);
    st(&f, "2024-07-10", DH_TS_IN_PROGRESS, "on_track", 174, NULL);
    st(&f, "2024-07-11", DH_TS_NO_REPORT, "report_missed", 1, NULL);
    /* A late report ends the breach from its date on. */
    f.last_report = D("2024-07-15");
    st(&f, "2024-07-14", DH_TS_NO_REPORT, "report_missed", 4, NULL);
    st(&f, "2024-07-15", DH_TS_IN_PROGRESS, "on_track", 169, NULL);

    /* Overdue beats no_report; no_report beats at_risk. */
    f.last_report = D("2024-11-05");
    st(&f, "2025-01-20", DH_TS_OVERDUE, "overdue", 20, NULL);
    st(&f, "2024-12-11", DH_TS_NO_REPORT, "report_missed", 1, NULL);
    f.last_report = D("2024-12-10");
    st(&f, "2024-12-11", DH_TS_IN_PROGRESS, "on_track", 20, NULL);
    st(&f, "2024-12-26", DH_TS_AT_RISK, "behind_pace", 5, NULL);
    /* Done beats all. */
    f.done = true;
    f.done_date = D("2024-12-20");
    st(&f, "2025-02-11", DH_TS_DONE, "done_on_time", 0, NULL);

    /* No obligation before the work starts: a task starting 5/7 owes
     * nothing for June. */
    f = facts("2024-07-05", "2024-12-31");
    f.report = (dh_report_rule){DH_REPORT_MONTHLY, 1, 10};
    st(&f, "2024-07-11", DH_TS_NOT_STARTED, "no_progress", 173, NULL);
    st(&f, "2024-08-11", DH_TS_NO_REPORT, "report_missed", 1,
       "Chưa báo cáo tiến độ tháng 7/2024, quá hạn báo cáo 1 ngày (hạn 10/08/2024).");

    /* 000: "Định kỳ báo cáo số liệu thực hiện theo quý": quarterly, by the
     * 10th after the quarter. */
    f = facts("2024-07-01", "2024-12-31");
    f.report = (dh_report_rule){DH_REPORT_QUARTERLY, 1, 10};
    f.progress = 50;
    f.last_report = D("2024-09-30");
    st(&f, "2024-10-10", DH_TS_IN_PROGRESS, "on_track", 82, NULL);
    f.last_report = D("2024-07-09"); /* before the window (10/7, 10/10] */
    st(&f, "2024-10-11", DH_TS_NO_REPORT, "report_missed", 1,
       "Chưa báo cáo tiến độ quý III/2024, quá hạn báo cáo 1 ngày (hạn 10/10/2024).");
}

static void test_status_continuous(void **state)
{
    /* "Thường xuyên": never overdue, its status is its reporting. */
    dh_task_facts f = facts("2024-01-01", NULL);
    f.report = (dh_report_rule){DH_REPORT_MONTHLY, 1, 10};
    st(&f, "2024-01-20", DH_TS_NOT_STARTED, "no_progress", 0,
       "Chưa bắt đầu thực hiện (nhiệm vụ thường xuyên).");
    f.last_report = D("2024-07-05");
    st(&f, "2024-07-10", DH_TS_IN_PROGRESS, "continuous", 0,
       "Đang thực hiện thường xuyên, báo cáo gần nhất ngày 05/07/2024.");
    st(&f, "2024-08-10", DH_TS_IN_PROGRESS, "continuous", 0, NULL);
    st(&f, "2024-08-11", DH_TS_NO_REPORT, "report_missed", 1, NULL);
    st(&f, "2030-08-11", DH_TS_NO_REPORT, "report_missed", 1, NULL);
    f.progress = 60;
    f.last_report = D("2030-08-09");
    st(&f, "2030-08-11", DH_TS_IN_PROGRESS, "continuous", 0,
       "Đang thực hiện thường xuyên, tiến độ 60%.");
    /* No obligation: nothing to miss. */
    f.report.every = DH_REPORT_NONE;
    f.last_report = DH_DATE_NONE;
    st(&f, "2031-01-01", DH_TS_IN_PROGRESS, "continuous", 0, NULL);
}

static void test_status_recurring(void **state)
{
    /* 004 appendix: "Hàng năm" over 2023-2025, reported yearly before
     * 15/12 ("Định kỳ 6 tháng và hàng năm (trước ngày 15/12)"). Each
     * occurrence gets a status of its own. */
    dh_deadline d;
    dh_err e;
    dh_dl_occurrence o[4];
    assert_int_equal(dh_deadline_parse("Hàng năm (2023-2025)", &d, &e), DH_OK);
    assert_int_equal(dh_deadline_occurrences(&d, d.start, d.due, o, 4), 3);
    dh_deadline_cleanup(&d);

    dh_task_facts f = facts(NULL, NULL);
    f.report = (dh_report_rule){DH_REPORT_YEARLY, 0, 15};

    /* 2023: done in time. */
    f.start = o[0].start;
    f.due = o[0].due;
    f.done = true;
    f.done_date = D("2023-12-28");
    st(&f, "2024-03-01", DH_TS_DONE, "done_on_time", 0, NULL);

    /* 2024: reported on 15/12 (the last day), open at year end. */
    f = facts(NULL, NULL);
    f.report = (dh_report_rule){DH_REPORT_YEARLY, 0, 15};
    f.start = o[1].start;
    f.due = o[1].due;
    f.progress = 90;
    f.last_report = D("2024-12-15");
    f.risk_margin_days = 30; /* 351/366 days gone: the pace asks for 95% */
    st(&f, "2024-12-16", DH_TS_AT_RISK, "behind_pace", 15, NULL);
    st(&f, "2024-12-31", DH_TS_AT_RISK, "behind_pace", 0, NULL);
    st(&f, "2025-01-01", DH_TS_OVERDUE, "overdue", 1, NULL);

    /* 2025: nothing reported; the yearly report is missed from 16/12. */
    f = facts(NULL, NULL);
    f.report = (dh_report_rule){DH_REPORT_YEARLY, 0, 15};
    f.start = o[2].start;
    f.due = o[2].due;
    f.progress = 50;
    f.progress_date = D("2025-06-30");
    f.last_report = D("2025-06-30");
    f.risk_margin_days = 0;
    st(&f, "2025-12-15", DH_TS_IN_PROGRESS, "on_track", 16, NULL);
    st(&f, "2025-12-16", DH_TS_IN_PROGRESS, "on_track", 15, NULL); /* 30/6 is in the window */
    f.last_report = D("2024-12-01");
    st(&f, "2025-12-16", DH_TS_NO_REPORT, "report_missed", 1,
       "Chưa báo cáo tiến độ năm 2025, quá hạn báo cáo 1 ngày (hạn 15/12/2025).");
}

static void test_report_last_due(void **state)
{
    dh_report_rule r = {DH_REPORT_MONTHLY, 1, 10};
    dh_date due, from, to;
    assert_true(dh_report_last_due(&r, D("2024-03-10"), &due, &from, &to));
    assert_int_equal(due, D("2024-02-10"));
    assert_int_equal(from, D("2024-01-01"));
    assert_int_equal(to, D("2024-01-31"));
    assert_true(dh_report_last_due(&r, D("2024-03-11"), &due, &from, &to));
    assert_int_equal(due, D("2024-03-10"));
    assert_int_equal(to, D("2024-02-29"));
    /* Day 31 clamps to the month's length. */
    r = (dh_report_rule){DH_REPORT_HALF_YEARLY, 2, 31};
    assert_true(dh_report_last_due(&r, D("2024-09-01"), &due, &from, &to));
    assert_int_equal(due, D("2024-08-31"));
    assert_int_equal(from, D("2024-01-01"));
    assert_int_equal(to, D("2024-06-30"));
    r = (dh_report_rule){DH_REPORT_MONTHLY, 0, 31};
    assert_true(dh_report_last_due(&r, D("2024-03-01"), &due, &from, &to));
    assert_int_equal(due, D("2024-02-29"));
    r.every = DH_REPORT_NONE;
    assert_false(dh_report_last_due(&r, D("2024-03-01"), &due, &from, &to));
    assert_int_equal(due, DH_DATE_NONE);
    assert_string_equal(dh_task_state_name(DH_TS_NO_REPORT), "no_report");
    assert_string_equal(dh_task_state_name((dh_task_state)42), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_deadlines),  cmocka_unit_test(test_more_deadlines),
        cmocka_unit_test(test_relative),        cmocka_unit_test(test_yearly_day),
        cmocka_unit_test(test_parse_errors),    cmocka_unit_test(test_occurrences),
        cmocka_unit_test(test_status_deadline), cmocka_unit_test(test_status_margin),
        cmocka_unit_test(test_status_reports),  cmocka_unit_test(test_status_continuous),
        cmocka_unit_test(test_status_recurring), cmocka_unit_test(test_report_last_due),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
