/* test_metrics.c - the metrics registry (util/metrics.h), gzip and
 * Accept-Encoding (util/gzip.h) and the static files' versions
 * (util/asset.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "util/asset.h"
#include "util/buf.h"
#include "util/gzip.h"
#include "util/metrics.h"

static char *render(void)
{
    dh_buf b = DH_BUF_INIT;
    dh_metrics_render(&b);
    return dh_buf_steal(&b);
}

static void test_labels_escaped_and_bounded(void **state)
{
    char l[DH_METRIC_LABELS_MAX];
    dh_metric_labels(l, sizeof l, "route", "/a/{}", "x", "q\"b\\c\nd", (char *)NULL);
    assert_string_equal(l, "route=\"/a/{}\",x=\"q\\\"b\\\\c\\nd\"");
    dh_metric_labels(l, sizeof l, (char *)NULL);
    assert_string_equal(l, "");
    /* a long value is cut, never inside a UTF-8 sequence */
    char v[400];
    for (int i = 0; i + 1 < (int)sizeof v; i += 2)
        memcpy(v + i, "\xc3\xa0", 2); /* à */
    v[sizeof v - 1] = '\0';
    dh_metric_labels(l, sizeof l, "k", v, (char *)NULL);
    assert_int_equal(strlen(l), 3 + DH_METRIC_VALUE_MAX + 1);
    /* a pair that does not fit is left out whole */
    char small[24];
    dh_metric_labels(small, sizeof small, "a", "1", "long", "0123456789abcdef", (char *)NULL);
    assert_string_equal(small, "a=\"1\"");
}

static void test_counters_gauges_render(void **state)
{
    dh_metrics_reset();
    dh_metric *a = dh_metric_get(DH_METRIC_COUNTER, "t_requests_total", "Requests.", "r=\"x\"");
    assert_ptr_equal(a, dh_metric_get(DH_METRIC_COUNTER, "t_requests_total", "", "r=\"x\""));
    dh_metric *b = dh_metric_get(DH_METRIC_COUNTER, "t_requests_total", "", "r=\"y\"");
    assert_ptr_not_equal(a, b);
    dh_metric_add(a, 2);
    dh_metric_add(a, 3);
    dh_metric_count("t_requests_total", "", "r=\"y\"", 1);
    assert_int_equal(dh_metric_value(a), 5);
    dh_metric *g = dh_metric_get(DH_METRIC_GAUGE, "t_size_bytes", "Size.", "");
    dh_metric_set(g, 1234);
    dh_metric_add(g, -4);
    /* the same name as another kind: the sink, never rendered */
    dh_metric *sink = dh_metric_get(DH_METRIC_GAUGE, "t_requests_total", "", "r=\"z\"");
    dh_metric_add(sink, 99);
    char *text = render();
    assert_string_equal(text, "# HELP t_requests_total Requests.\n"
                              "# TYPE t_requests_total counter\n"
                              "t_requests_total{r=\"x\"} 5\n"
                              "t_requests_total{r=\"y\"} 1\n"
                              "# HELP t_size_bytes Size.\n"
                              "# TYPE t_size_bytes gauge\n"
                              "t_size_bytes 1230\n");
    free(text);
    dh_metrics_reset();
}

static void test_histogram_cumulative(void **state)
{
    dh_metrics_reset();
    dh_metric *h = dh_metric_get(DH_METRIC_HISTOGRAM, "t_seconds", "Durations.", "j=\"a\"");
    dh_metric_observe(h, 0.0005); /* le 0.001 */
    dh_metric_observe(h, 0.001);  /* le 0.001: bounds are inclusive */
    dh_metric_observe(h, 0.2);    /* le 0.25 */
    dh_metric_observe(h, 1000);   /* +Inf only */
    dh_metric_observe(h, -1);     /* counts as 0 */
    assert_int_equal(dh_metric_value(h), 5);
    char *text = render();
    assert_non_null(strstr(text, "# TYPE t_seconds histogram\n"));
    assert_non_null(strstr(text, "t_seconds_bucket{j=\"a\",le=\"0.001\"} 3\n"));
    assert_non_null(strstr(text, "t_seconds_bucket{j=\"a\",le=\"0.1\"} 3\n"));
    assert_non_null(strstr(text, "t_seconds_bucket{j=\"a\",le=\"0.25\"} 4\n"));
    assert_non_null(strstr(text, "t_seconds_bucket{j=\"a\",le=\"300\"} 4\n"));
    assert_non_null(strstr(text, "t_seconds_bucket{j=\"a\",le=\"+Inf\"} 5\n"));
    assert_non_null(strstr(text, "t_seconds_sum{j=\"a\"} 1000.201500\n"));
    assert_non_null(strstr(text, "t_seconds_count{j=\"a\"} 5\n"));
    free(text);
    /* without labels, le is the only one */
    dh_metrics_reset();
    dh_metric_observe(dh_metric_get(DH_METRIC_HISTOGRAM, "t_plain", "P.", ""), 0.01);
    text = render();
    assert_non_null(strstr(text, "t_plain_bucket{le=\"0.01\"} 1\n"));
    assert_non_null(strstr(text, "t_plain_sum 0.010000\nt_plain_count 1\n"));
    free(text);
    dh_metrics_reset();
}

static void test_series_bounded(void **state)
{
    dh_metrics_reset();
    char l[64];
    dh_metric *first = NULL, *last = NULL;
    for (int i = 0; i < DH_METRICS_SERIES_MAX + 10; i++) {
        snprintf(l, sizeof l, "i=\"%d\"", i);
        last = dh_metric_get(DH_METRIC_COUNTER, "t_many_total", "", l);
        if (!first)
            first = last;
    }
    dh_metric_add(last, 1); /* the sink: accepted, not shown */
    char *text = render();
    assert_null(strstr(text, "i=\"4100\""));
    assert_non_null(strstr(text, "i=\"4095\""));
    free(text);
    dh_metrics_reset();
}

static void test_accept_encoding(void **state)
{
    assert_true(dh_accepts_gzip("gzip"));
    assert_true(dh_accepts_gzip("gzip, deflate, br"));
    assert_true(dh_accepts_gzip("deflate, GZIP;q=0.5"));
    assert_true(dh_accepts_gzip("x-gzip"));
    assert_true(dh_accepts_gzip("*"));
    assert_true(dh_accepts_gzip("br;q=1.0, gzip;q=0.8, *;q=0.1"));
    assert_false(dh_accepts_gzip(NULL));
    assert_false(dh_accepts_gzip(""));
    assert_false(dh_accepts_gzip("identity"));
    assert_false(dh_accepts_gzip("br, deflate"));
    assert_false(dh_accepts_gzip("gzip;q=0"));
    assert_false(dh_accepts_gzip("gzip; q=0.000"));
    assert_false(dh_accepts_gzip("*;q=0"));
    assert_false(dh_accepts_gzip("gzip;q=0, *"));
    assert_false(dh_accepts_gzip("gzipx"));
}

static void test_compressible(void **state)
{
    assert_true(dh_gzip_compressible("text/html; charset=utf-8"));
    assert_true(dh_gzip_compressible("text/csv; charset=utf-8"));
    assert_true(dh_gzip_compressible("application/json; charset=utf-8"));
    assert_true(dh_gzip_compressible("image/svg+xml"));
    assert_false(dh_gzip_compressible(NULL));
    assert_false(dh_gzip_compressible("application/pdf"));
    assert_false(dh_gzip_compressible("application/vnd.openxmlformats-officedocument."
                                      "spreadsheetml.sheet"));
    assert_false(dh_gzip_compressible("image/png"));
}

static void test_gzip_round_trip(void **state)
{
    dh_buf in = DH_BUF_INIT;
    for (int i = 0; i < 2000; i++)
        dh_buf_printf(&in, "{\"đơn vị\":\"VT-P%d\"},", i % 7);
    size_t zlen;
    char *z = dh_gzip(in.p, in.len, &zlen);
    assert_non_null(z);
    assert_true(zlen < in.len / 5);
    assert_int_equal((unsigned char)z[0], 0x1f); /* the gzip magic */
    assert_int_equal((unsigned char)z[1], 0x8b);
    char *out = malloc(in.len + 1);
    z_stream s;
    memset(&s, 0, sizeof s);
    assert_int_equal(inflateInit2(&s, 15 + 16), Z_OK);
    s.next_in = (Bytef *)z;
    s.avail_in = (uInt)zlen;
    s.next_out = (Bytef *)out;
    s.avail_out = (uInt)in.len + 1;
    assert_int_equal(inflate(&s, Z_FINISH), Z_STREAM_END);
    assert_int_equal(s.total_out, in.len);
    assert_memory_equal(out, in.p, in.len);
    inflateEnd(&s);
    free(out);
    free(z);
    /* empty input is a valid, empty member */
    z = dh_gzip("", 0, &zlen);
    assert_non_null(z);
    assert_true(zlen >= 20);
    free(z);
    dh_buf_free(&in);
}

static void test_asset_tags(void **state)
{
    static const char a[] = "body{color:red}", b[] = "body{color:blue}";
    const char *ta = dh_asset_tag(a), *tb = dh_asset_tag(b);
    assert_int_equal(strlen(ta), DH_ASSET_TAG_LEN);
    assert_int_equal(strspn(ta, "0123456789abcdef"), DH_ASSET_TAG_LEN);
    assert_string_not_equal(ta, tb);
    assert_ptr_equal(ta, dh_asset_tag(a)); /* computed once */
    /* FNV-1a 64 of "a" is af63dc4c8601ec8c */
    static const char one[] = "a";
    assert_string_equal(dh_asset_tag(one), "af63dc4c8601");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels_escaped_and_bounded),
        cmocka_unit_test(test_counters_gauges_render),
        cmocka_unit_test(test_histogram_cumulative),
        cmocka_unit_test(test_series_bounded),
        cmocka_unit_test(test_accept_encoding),
        cmocka_unit_test(test_compressible),
        cmocka_unit_test(test_gzip_round_trip),
        cmocka_unit_test(test_asset_tags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
