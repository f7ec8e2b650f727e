/* metrics.c - the process-wide registry of metrics (metrics.h).
 *
 * Invariants:
 * 1. Series are only added (under `lock`) and never moved or freed before
 *    dh_metrics_reset, so a pointer handed out stays valid and updates need
 *    no lock.
 * 2. A histogram keeps one count per bucket (not cumulative); rendering sums
 *    them, so the buckets it prints are monotone and the +Inf bucket equals
 *    _count even while other threads observe.
 * 3. Families print in the order they were first asked for, each series
 *    under its family's HELP and TYPE lines.
 */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/metrics.h"

const double dh_metric_buckets[DH_METRIC_NBUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1,    2.5,   5,
                                                      10,    30,     60,    300};

#define FAMILIES_MAX 128

typedef struct family {
    char *name, *help;
    dh_metric_kind kind;
} family;

struct dh_metric {
    int family;
    char *labels;
    atomic_llong value;  /* counter, gauge */
    atomic_llong sum_us; /* histogram: the sum of the durations, in microseconds */
    atomic_llong buckets[DH_METRIC_NBUCKETS + 1]; /* histogram: the last is +Inf */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static family families[FAMILIES_MAX];
static int nfamilies;
static dh_metric *series[DH_METRICS_SERIES_MAX];
static int nseries;
static dh_metric sink; /* what a caller gets past the bounds: counted, never shown */

char *dh_metric_labels(char *out, size_t cap, ...)
{
    va_list ap;
    size_t len = 0;
    out[0] = '\0';
    va_start(ap, cap);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            break;
        const char *v = va_arg(ap, const char *);
        char esc[2 * DH_METRIC_VALUE_MAX + 1];
        size_t o = 0, n = strlen(v ? v : "");
        if (n > DH_METRIC_VALUE_MAX) {
            n = DH_METRIC_VALUE_MAX;
            while (n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80)
                n--; /* not inside a UTF-8 sequence */
        }
        for (size_t i = 0; i < n; i++) {
            char c = v[i];
            if (c == '\\' || c == '"') {
                esc[o++] = '\\';
                esc[o++] = c;
            } else if (c == '\n') {
                esc[o++] = '\\';
                esc[o++] = 'n';
            } else {
                esc[o++] = c;
            }
        }
        esc[o] = '\0';
        size_t need = (len ? 1 : 0) + strlen(k) + 2 + o + 1;
        if (len + need >= cap)
            continue; /* left out whole */
        len += (size_t)snprintf(out + len, cap - len, "%s%s=\"%s\"", len ? "," : "", k, esc);
    }
    va_end(ap);
    return out;
}

static int family_find(const char *name)
{
    for (int i = 0; i < nfamilies; i++)
        if (strcmp(families[i].name, name) == 0)
            return i;
    return -1;
}

dh_metric *dh_metric_get(dh_metric_kind kind, const char *name, const char *help,
                         const char *labels)
{
    dh_metric *m = &sink;
    labels = labels ? labels : "";
    pthread_mutex_lock(&lock);
    int f = family_find(name);
    if (f < 0 && nfamilies < FAMILIES_MAX) {
        f = nfamilies++;
        families[f].name = dh_xstrdup(name);
        families[f].help = dh_xstrdup(help ? help : "");
        families[f].kind = kind;
    }
    if (f < 0 || families[f].kind != kind)
        goto done;
    for (int i = 0; i < nseries; i++) {
        if (series[i]->family == f && strcmp(series[i]->labels, labels) == 0) {
            m = series[i];
            goto done;
        }
    }
    if (nseries < DH_METRICS_SERIES_MAX) {
        m = dh_xcalloc(1, sizeof *m);
        m->family = f;
        m->labels = dh_xstrdup(labels);
        series[nseries++] = m;
    }
done:
    pthread_mutex_unlock(&lock);
    return m;
}

void dh_metric_add(dh_metric *m, int64_t n) { atomic_fetch_add(&m->value, n); }

void dh_metric_set(dh_metric *m, int64_t v) { atomic_store(&m->value, v); }

void dh_metric_observe(dh_metric *m, double seconds)
{
    if (!(seconds > 0))
        seconds = 0;
    int b = 0;
    while (b < DH_METRIC_NBUCKETS && seconds > dh_metric_buckets[b])
        b++;
    atomic_fetch_add(&m->buckets[b], 1);
    atomic_fetch_add(&m->sum_us, (long long)llround(seconds * 1e6));
    atomic_fetch_add(&m->value, 1);
}

int64_t dh_metric_value(const dh_metric *m) { return atomic_load(&m->value); }

void dh_metric_count(const char *name, const char *help, const char *labels, int64_t n)
{
    dh_metric_add(dh_metric_get(DH_METRIC_COUNTER, name, help, labels), n);
}

/* `name_suffix{labels,extra}` */
static void series_name(dh_buf *b, const char *name, const char *suffix, const char *labels,
                        const char *extra)
{
    dh_buf_printf(b, "%s%s", name, suffix);
    if (*labels || *extra)
        dh_buf_printf(b, "{%s%s%s}", labels, *labels && *extra ? "," : "", extra);
}

static void render_histogram(dh_buf *b, const char *name, const dh_metric *m)
{
    long long cum = 0;
    char le[48];
    for (int i = 0; i <= DH_METRIC_NBUCKETS; i++) {
        cum += atomic_load(&m->buckets[i]);
        if (i < DH_METRIC_NBUCKETS)
            snprintf(le, sizeof le, "le=\"%g\"", dh_metric_buckets[i]);
        else
            snprintf(le, sizeof le, "le=\"+Inf\"");
        series_name(b, name, "_bucket", m->labels, le);
        dh_buf_printf(b, " %lld\n", cum);
    }
    series_name(b, name, "_sum", m->labels, "");
    dh_buf_printf(b, " %.6f\n", (double)atomic_load(&m->sum_us) / 1e6);
    series_name(b, name, "_count", m->labels, "");
    dh_buf_printf(b, " %lld\n", cum);
}

void dh_metrics_render(dh_buf *b)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    pthread_mutex_lock(&lock);
    for (int f = 0; f < nfamilies; f++) {
        const family *fa = &families[f];
        dh_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", fa->name, fa->help, fa->name,
                      types[fa->kind]);
        for (int i = 0; i < nseries; i++) {
            const dh_metric *m = series[i];
            if (m->family != f)
                continue;
            if (fa->kind == DH_METRIC_HISTOGRAM) {
                render_histogram(b, fa->name, m);
            } else {
                series_name(b, fa->name, "", m->labels, "");
                dh_buf_printf(b, " %lld\n", (long long)atomic_load(&m->value));
            }
        }
    }
    pthread_mutex_unlock(&lock);
}

void dh_metrics_reset(void)
{
    pthread_mutex_lock(&lock);
    for (int i = 0; i < nseries; i++) {
        free(series[i]->labels);
        free(series[i]);
    }
    for (int f = 0; f < nfamilies; f++) {
        free(families[f].name);
        free(families[f].help);
    }
    nseries = nfamilies = 0;
    pthread_mutex_unlock(&lock);
}
