/* test_cadence.c - the printed reporting cadences (core/cadence.h) over
 * the phrases of issue 19 and over every deadline field, content and note of
 * the five transcribed seed plans (data/plans/tasks-*.csv). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/cadence.h"
#include "util/csv.h"
#include "util/text.h"

#ifndef DH_SOURCE_ROOT
#define DH_SOURCE_ROOT "."
#endif

static void rule_is(const char *text, bool field, dh_report_every every, int offset, int day,
                    bool unspecified)
{
    dh_cadence c;
    assert_true(dh_cadence_parse(text, field, &c));
    assert_int_equal(c.rule.every, every);
    assert_int_equal(c.rule.month_offset, offset);
    assert_int_equal(c.rule.day, day);
    assert_int_equal(c.unspecified, unspecified);
    assert_true(c.phrase[0]);
}

static void none_in(const char *text, bool field)
{
    dh_cadence c;
    assert_false(dh_cadence_parse(text, field, &c));
    assert_int_equal(c.rule.every, DH_REPORT_MONTHLY);
    assert_int_equal(c.rule.month_offset, 1);
    assert_int_equal(c.rule.day, 10);
}

/* The phrases of issue 19. */
static void test_phrases(void **state)
{
    rule_is("hàng tháng báo cáo", false, DH_REPORT_MONTHLY, 1, 10, false);
    rule_is("Báo cáo trước ngày 10 hàng tháng", false, DH_REPORT_MONTHLY, 1, 10, false);
    rule_is("báo cáo trước ngày 5 hằng tháng", false, DH_REPORT_MONTHLY, 1, 5, false);
    rule_is("Báo cáo hàng quý", false, DH_REPORT_QUARTERLY, 1, 10, false);
    rule_is("Định kỳ 6 tháng báo cáo", false, DH_REPORT_HALF_YEARLY, 1, 10, false);
    rule_is("Báo cáo hằng năm trước ngày 15/12", false, DH_REPORT_YEARLY, 0, 15, false);
    rule_is("báo cáo hằng năm trước ngày 20/1", false, DH_REPORT_YEARLY, 1, 20, false);
    rule_is("BÁO CÁO HẰNG NĂM (TRƯỚC NGÀY 15/12)", false, DH_REPORT_YEARLY, 0, 15, false);
    rule_is("Định kỳ báo cáo", false, DH_REPORT_MONTHLY, 1, 10, true);
    /* deadline fields */
    rule_is("Hàng năm", true, DH_REPORT_YEARLY, 1, 10, false);
    rule_is("Hằng năm", true, DH_REPORT_YEARLY, 1, 10, false);
    rule_is("Hàng quý", true, DH_REPORT_QUARTERLY, 1, 10, false);
    rule_is("Hàng tháng", true, DH_REPORT_MONTHLY, 1, 10, false);
    /* not cadences */
    none_in("Hàng ngày", true);
    none_in("Thường xuyên", true);
    none_in("Quý IV/2024", true);
    none_in("Quý II năm 2024", true);
    none_in("2023-2025", true);
    none_in("Năng suất lao động hàng năm tăng trên 7%", false);       /* no report */
    none_in("báo cáo theo quy định", false);                          /* quy định, not quý */
    dh_cadence c;
    assert_true(dh_cadence_parse("Định kỳ kiểm tra, báo cáo theo quy chế", false, &c));
    assert_true(c.unspecified);
    none_in(NULL, false);
    /* a clause with a period wins over an earlier bare "định kỳ" */
    rule_is("Định kỳ tổng hợp, báo cáo. Báo cáo hàng quý về Sở", false, DH_REPORT_QUARTERLY, 1, 10,
            false);
}

/* Every deadline field, content and note of the transcriptions. */
static const char *const want[] = {
    "1683_QĐ-UBND IV.1-2 content monthly/1/10",
    "1683_QĐ-UBND IV.2-2 content monthly/1/10 unspecified",
    "1683_QĐ-UBND IV.4 content monthly/1/10",
    "1683_QĐ-UBND IV.4 note monthly/1/10",
    "BRVT-QD-2023-chinh-quyen-so KH-VI.6-5 content half_yearly/0/15",
    "TPVT-KH-2024-khac-phuc-DTI-2023 III.5-3 content monthly/1/10",
    "TPVT-KH-2024-khau-dot-pha-CDS IV.1-2 content quarterly/1/10",
    "TPVT-KH-2024-khau-dot-pha-CDS IV.1-2 note quarterly/1/10",
    "TPVT-KH-NQ02-TU VI.4-5 content half_yearly/1/10",
    "TPVT-KH-NQ02-TU VI.4-5 note half_yearly/1/10",
};

static void test_every_transcribed_string(void **state)
{
    static const char *const plans[] = {"1683_QĐ-UBND", "BRVT-QD-2023-chinh-quyen-so",
                                        "TPVT-KH-2024-khac-phuc-DTI-2023",
                                        "TPVT-KH-2024-khau-dot-pha-CDS", "TPVT-KH-NQ02-TU"};
    size_t found = 0, yearly_fields = 0, rows = 0, deadlines = 0;
    for (size_t p = 0; p < sizeof plans / sizeof *plans; p++) {
        char path[512];
        snprintf(path, sizeof path, "%s/data/plans/tasks-%s.csv", DH_SOURCE_ROOT, plans[p]);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        dh_csv *csv = dh_csv_new(f, path);
        char **fl;
        size_t nf;
        assert_int_equal(dh_csv_next(csv, &fl, &nf), 1); /* header */
        assert_string_equal(fl[5], "Thời gian hoàn thành");
        while (dh_csv_next(csv, &fl, &nf) == 1) {
            assert_int_equal(nf, 11);
            rows++;
            const char *cols[3] = {fl[5], fl[2], fl[10]};
            const char *names[3] = {"deadline", "content", "note"};
            for (int k = 0; k < 3; k++) {
                dh_cadence c;
                bool got = dh_cadence_parse(cols[k], k == 0, &c);
                char *fold = dh_text_fold(cols[k]);
                if (k == 0 && *fold)
                    deadlines++;
                if (k == 0) {
                    /* A deadline field is a cadence exactly when it says "every year". */
                    bool yearly = strcmp(fold, "hang nam") == 0;
                    assert_int_equal(got, yearly);
                    if (yearly) {
                        assert_int_equal(c.rule.every, DH_REPORT_YEARLY);
                        yearly_fields++;
                    }
                } else if (got) {
                    char line[256];
                    snprintf(line, sizeof line, "%s %s %s %s/%d/%d%s", plans[p], fl[0], names[k],
                             dh_report_every_name(c.rule.every), c.rule.month_offset, c.rule.day,
                             c.unspecified ? " unspecified" : "");
                    bool listed = false;
                    for (size_t w = 0; w < sizeof want / sizeof *want && !listed; w++)
                        listed = strcmp(want[w], line) == 0;
                    if (!listed)
                        fail_msg("unexpected cadence: %s (%s)", line, c.phrase);
                    found++;
                } else {
                    /* Nothing missed: no clause speaks of periodic reports. */
                    assert_false(strstr(fold, "dinh ky bao cao") || strstr(fold, "bao cao dinh ky"));
                }
                free(fold);
            }
        }
        dh_csv_free(csv);
        fclose(f);
    }
    assert_int_equal(rows, 228);
    assert_int_equal(found, sizeof want / sizeof *want);
    assert_int_equal(yearly_fields, 10);
    assert_int_equal(deadlines, 83); /* every printed deadline field was read */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phrases),
        cmocka_unit_test(test_every_transcribed_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
