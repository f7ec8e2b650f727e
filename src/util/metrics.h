/* metrics.h - the process's counters, gauges and latency histograms, and
 * their rendering in the Prometheus text exposition format (version 0.0.4),
 * served at GET /metrics (src/http/ep_metrics.c).
 *
 * A series is a family name plus a label set. dh_metric_get finds or makes
 * one under a mutex and returns a pointer that stays valid until the process
 * ends (or dh_metrics_reset, for tests); updating a series through that
 * pointer is lock-free (C11 atomics), so a hot path gets the pointer once
 * and keeps it. The registry is process-wide, as a Prometheus client's is:
 * src/app counts its events here without knowing who reads them, and only
 * src/http renders them.
 *
 * Bounds: at most DH_METRICS_SERIES_MAX series; past that dh_metric_get
 * returns a shared sink that is never rendered (callers never see NULL), so
 * a label taken from input cannot grow memory without bound. Label values
 * are escaped and cut at DH_METRIC_VALUE_MAX bytes.
 */
#ifndef DH_METRICS_H
#define DH_METRICS_H

#include <stdint.h>

#include "util/buf.h"

typedef enum {
    DH_METRIC_COUNTER,
    DH_METRIC_GAUGE,
    DH_METRIC_HISTOGRAM, /* of durations in seconds, buckets dh_metric_buckets */
} dh_metric_kind;

typedef struct dh_metric dh_metric;

#define DH_METRICS_SERIES_MAX 4096
#define DH_METRIC_LABELS_MAX 512
#define DH_METRIC_VALUE_MAX 160

/* The histograms' upper bounds in seconds (the +Inf bucket comes after). */
#define DH_METRIC_NBUCKETS 16
extern const double dh_metric_buckets[DH_METRIC_NBUCKETS];

/* Writes the label set `k1="v1",k2="v2"` of the NULL-terminated list of
 * name, value pairs into out (cap bytes, at least 1) and returns out. Values
 * are escaped as the format wants (backslash, double quote, line feed) and
 * cut at DH_METRIC_VALUE_MAX bytes (never inside a UTF-8 sequence); a pair
 * that does not fit is left out whole. Names must be valid label names. */
char *dh_metric_labels(char *out, size_t cap, ...);

/* The series `name{labels}` of the given kind, made when new. name and help
 * are literals of the program (name a valid metric name; help one line);
 * labels comes from dh_metric_labels ("" for none). A family's kind and help
 * are those of its first series; asking for another kind under the same name
 * gets the sink. Never NULL. */
dh_metric *dh_metric_get(dh_metric_kind kind, const char *name, const char *help,
                         const char *labels);

/* A counter or gauge grows by n (a gauge may take a negative n). */
void dh_metric_add(dh_metric *m, int64_t n);
/* A gauge takes the value v. */
void dh_metric_set(dh_metric *m, int64_t v);
/* A histogram counts one duration (seconds; negative counts as 0). */
void dh_metric_observe(dh_metric *m, double seconds);
/* The value of a counter or gauge; a histogram's count. */
int64_t dh_metric_value(const dh_metric *m);

/* Shorthand for the events counted once in a while (a job run, a cache
 * reload): dh_metric_add(dh_metric_get(COUNTER, name, help, labels), n). */
void dh_metric_count(const char *name, const char *help, const char *labels, int64_t n);

/* Appends every family, in the order they were first asked for, with its
 * HELP and TYPE lines; a histogram's buckets are cumulative and end with
 * le="+Inf", followed by _sum and _count. */
void dh_metrics_render(dh_buf *b);

/* Frees every series (tests only: no other thread may hold a pointer). */
void dh_metrics_reset(void);

#endif
