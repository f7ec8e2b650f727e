/* dti.c - see dti.h. */
#include "core/dti.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const method_names[] = {"", "manual", "boolean", "ratio", "kpi"};

static const char *const sources[] = {
    "on_time_rate",        "online_rate",       "online_by_applicant_rate",
    "online_payment_rate", "satisfaction_rate", "plan_coverage"};

static bool empty(const char *s)
{
    return !s || !*s;
}

static bool problem(dh_dti_problem *p, long line, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static bool problem(dh_dti_problem *p, long line, const char *field, const char *fmt, ...)
{
    va_list ap;
    p->line = line;
    snprintf(p->field, sizeof p->field, "%s", field);
    va_start(ap, fmt);
    vsnprintf(p->message, sizeof p->message, fmt, ap);
    va_end(ap);
    return false;
}

bool dh_dti_method_parse(const char *s, dh_dti_method *m)
{
    if (empty(s)) {
        *m = DH_DTI_GROUP;
        return true;
    }
    for (int i = 1; i < (int)(sizeof method_names / sizeof *method_names); i++)
        if (strcmp(s, method_names[i]) == 0) {
            *m = (dh_dti_method)i;
            return true;
        }
    return false;
}

const char *dh_dti_method_name(dh_dti_method m)
{
    return (unsigned)m < sizeof method_names / sizeof *method_names ? method_names[m] : "";
}

bool dh_dti_source_known(const char *s)
{
    for (size_t i = 0; s && i < sizeof sources / sizeof *sources; i++)
        if (strcmp(s, sources[i]) == 0)
            return true;
    return false;
}

double dh_dti_round4(double x)
{
    /* the small bias keeps 1.23455 (stored as 1.2345499...) rounding up */
    return (x < 0 ? -1 : 1) * floor(fabs(x) * 10000.0 + 0.5 + 1e-7) / 10000.0;
}

char *dh_dti_fmt(double x, char *buf)
{
    snprintf(buf, 32, "%.4f", dh_dti_round4(x));
    char *dot = strchr(buf, '.');
    if (dot) {
        char *end = buf + strlen(buf) - 1;
        while (end > dot && *end == '0')
            *end-- = '\0';
        if (end == dot)
            *end = '\0';
    }
    if (strcmp(buf, "-0") == 0)
        strcpy(buf, "0");
    return buf;
}

long dh_dti_find(const dh_dti_node *nodes, size_t n, const char *code)
{
    for (size_t i = 0; code && i < n; i++)
        if (nodes[i].code && strcmp(nodes[i].code, code) == 0)
            return (long)i;
    return -1;
}

long dh_dti_parent_of(const dh_dti_node *nodes, size_t n, size_t i)
{
    return empty(nodes[i].parent) ? -1 : dh_dti_find(nodes, n, nodes[i].parent);
}

size_t dh_dti_pillar_of(const dh_dti_node *nodes, size_t n, size_t i)
{
    long p;
    /* bounded by n: parents come earlier (invariant 2) */
    for (size_t k = 0; k < n && (p = dh_dti_parent_of(nodes, n, i)) >= 0; k++)
        i = (size_t)p;
    return i;
}

bool dh_dti_has_children(const dh_dti_node *nodes, size_t n, size_t i)
{
    for (size_t k = i + 1; k < n; k++)
        if (!empty(nodes[k].parent) && strcmp(nodes[k].parent, nodes[i].code) == 0)
            return true;
    return false;
}

double dh_dti_ratio_points(double max_points, double threshold, double value)
{
    if (threshold <= 0)
        threshold = 100;
    if (!(value > 0))
        value = 0;
    double share = value / threshold;
    return dh_dti_round4(max_points * (share > 1 ? 1 : share));
}

bool dh_dti_framework_check(const dh_dti_node *nodes, size_t n, dh_dti_problem *p)
{
    char a[32], b[32];
    if (n == 0)
        return problem(p, 0, "code", "the framework has no rows");
    for (size_t i = 0; i < n; i++) {
        const dh_dti_node *d = &nodes[i];
        long ln = d->line;
        if (empty(d->code))
            return problem(p, ln, "code", "the code is empty");
        if (strcmp(d->code, "TOTAL") == 0)
            return problem(p, ln, "code", "'TOTAL' is reserved for the printed total");
        long first = dh_dti_find(nodes, i, d->code);
        if (first >= 0)
            return problem(p, ln, "code", "duplicate code '%s' (first on line %ld)", d->code,
                           nodes[first].line);
        if (!empty(d->parent) && dh_dti_find(nodes, i, d->parent) < 0)
            return problem(p, ln, "parent",
                           "the parent '%s' of '%s' is unknown (a parent must come "
                           "on an earlier line)",
                           d->parent, d->code);
        if (!(d->max_points >= 0) || !isfinite(d->max_points))
            return problem(p, ln, "max_points", "max_points of '%s' must be a number >= 0",
                           d->code);
    }
    /* The rows are well formed and linked; now what each node must be. */
    for (size_t i = 0; i < n; i++) {
        const dh_dti_node *d = &nodes[i];
        long ln = d->line;
        bool group = dh_dti_has_children(nodes, n, i);
        if (group) {
            if (d->method != DH_DTI_GROUP)
                return problem(p, ln, "method",
                               "'%s' has children, so its method must be empty (not "
                               "'%s')",
                               d->code, dh_dti_method_name(d->method));
            if (d->threshold != 0)
                return problem(p, ln, "threshold",
                               "'%s' has children, so its threshold must be empty", d->code);
            if (!empty(d->source))
                return problem(p, ln, "source", "'%s' has children, so its source must be empty",
                               d->code);
            double sum = 0;
            for (size_t k = i + 1; k < n; k++)
                if (!empty(nodes[k].parent) && strcmp(nodes[k].parent, d->code) == 0)
                    sum += nodes[k].max_points;
            if (fabs(sum - d->max_points) >= DH_DTI_EPS)
                return problem(p, ln, "max_points",
                               "max_points of '%s' is %s but its children add up to %s", d->code,
                               dh_dti_fmt(d->max_points, a), dh_dti_fmt(sum, b));
            continue;
        }
        if (d->method == DH_DTI_GROUP)
            return problem(p, ln, "method",
                           "'%s' has no children, so it needs a method (manual, "
                           "boolean, ratio or kpi)",
                           d->code);
        if (d->method == DH_DTI_KPI) {
            if (!dh_dti_source_known(d->source))
                return problem(p, ln, "source",
                               "unknown kpi source '%s' for '%s' (on_time_rate, "
                               "online_rate, online_by_applicant_rate, online_payment_rate, "
                               "satisfaction_rate, plan_coverage)",
                               d->source ? d->source : "", d->code);
        } else if (!empty(d->source)) {
            return problem(p, ln, "source", "only a kpi criterion has a source ('%s')", d->code);
        }
        if (d->method == DH_DTI_RATIO || d->method == DH_DTI_KPI) {
            if (!(d->threshold >= 0 && d->threshold <= 100))
                return problem(p, ln, "threshold",
                               "the threshold of '%s' is %s, not a percent in (0, 100]", d->code,
                               dh_dti_fmt(d->threshold, a));
        } else if (d->threshold != 0) {
            return problem(p, ln, "threshold",
                           "only a ratio or kpi criterion has a threshold ('%s')", d->code);
        }
    }
    return true;
}

bool dh_dti_entry_check(const dh_dti_node *d, bool leaf, const dh_dti_entry *en, dh_dti_problem *p)
{
    char a[32], b[32];
    long ln = en->line;
    if (en->has_points) {
        if (!(en->points >= 0) || !isfinite(en->points))
            return problem(p, ln, "points", "points of '%s' must be >= 0 (got %s)", d->code,
                           dh_dti_fmt(en->points, a));
        if (en->points - d->max_points >= DH_DTI_EPS)
            return problem(p, ln, "points", "points of '%s' are %s, above its maximum %s", d->code,
                           dh_dti_fmt(en->points, a), dh_dti_fmt(d->max_points, b));
        if (leaf && d->method == DH_DTI_BOOLEAN && fabs(en->points) >= DH_DTI_EPS &&
            fabs(en->points - d->max_points) >= DH_DTI_EPS)
            return problem(p, ln, "points",
                           "'%s' is a yes/no criterion: points are 0 or %s, not %s", d->code,
                           dh_dti_fmt(d->max_points, b), dh_dti_fmt(en->points, a));
    }
    if (en->has_value) {
        if (!leaf || (d->method != DH_DTI_RATIO && d->method != DH_DTI_KPI))
            return problem(p, ln, "value", "'%s' is %s: it takes points, not a value", d->code,
                           leaf ? dh_dti_method_name(d->method) : "a group");
        if (!(en->value >= 0) || !isfinite(en->value))
            return problem(p, ln, "value", "the value of '%s' must be >= 0 (got %s)", d->code,
                           dh_dti_fmt(en->value, a));
    }
    return true;
}

static void warn(dh_dti_result *r, long line, const char *code, double printed, double computed,
                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void warn(dh_dti_result *r, long line, const char *code, double printed, double computed,
                 const char *fmt, ...)
{
    dh_dti_warning *w = &r->warnings[r->nwarnings++];
    va_list ap;
    w->line = line;
    w->code = code;
    w->printed = printed;
    w->computed = computed;
    va_start(ap, fmt);
    vsnprintf(w->message, sizeof w->message, fmt, ap);
    va_end(ap);
}

int dh_dti_score(const dh_dti_node *nodes, size_t n, const dh_dti_entry *entries,
                 const dh_dti_entry *printed, dh_dti_result *out)
{
    char a[32], b[32];
    memset(out, 0, sizeof *out);
    out->n = n;
    out->points = calloc(n ? n : 1, sizeof *out->points);
    out->known = calloc(n ? n : 1, sizeof *out->known);
    out->given = calloc(n ? n : 1, sizeof *out->given);
    out->warnings = calloc(n + 1, sizeof *out->warnings);
    double *sum = calloc(n ? n : 1, sizeof *sum);
    size_t *nchild = calloc(n ? n : 1, sizeof *nchild), *nknown = calloc(n ? n : 1, sizeof *nknown);
    long *parent = calloc(n ? n : 1, sizeof *parent);
    if (!out->points || !out->known || !out->given || !out->warnings || !sum || !nchild ||
        !nknown || !parent) {
        free(sum), free(nchild), free(nknown), free(parent);
        dh_dti_result_free(out);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        parent[i] = dh_dti_parent_of(nodes, n, i);
        if (parent[i] >= 0)
            nchild[parent[i]]++;
    }
    /* From the end: every child is scored before its parent (invariant 2). */
    for (size_t j = n; j-- > 0;) {
        const dh_dti_node *d = &nodes[j];
        const dh_dti_entry *en = &entries[j];
        double pts = 0;
        bool known = false;
        if (nchild[j] == 0) {
            if (en->has_value) {
                pts = dh_dti_ratio_points(d->max_points, d->threshold, en->value);
                known = true;
                if (en->has_points && fabs(en->points - pts) >= DH_DTI_EPS)
                    warn(out, en->line, d->code, en->points, pts,
                         "line %ld: '%s' gives %s points but its value %s%% gives %s", en->line,
                         d->code, dh_dti_fmt(en->points, a), dh_dti_fmt(en->value, b),
                         dh_dti_fmt(pts, (char[32]){0}));
            } else if (en->has_points) {
                pts = en->points;
                known = true;
                out->given[j] = true;
            }
        } else if (nknown[j] == nchild[j]) {
            pts = sum[j];
            known = true;
            if (en->has_points && fabs(en->points - pts) >= DH_DTI_EPS)
                warn(out, en->line, d->code, en->points, pts,
                     "line %ld: '%s' is printed as %s points but its criteria add up to %s",
                     en->line, d->code, dh_dti_fmt(en->points, a), dh_dti_fmt(pts, b));
        } else if (en->has_points) {
            pts = en->points;
            known = true;
            out->given[j] = true;
        } else if (nknown[j] > 0) {
            pts = sum[j];
            known = true;
        }
        pts = dh_dti_round4(pts);
        out->points[j] = pts;
        out->known[j] = known;
        if (parent[j] >= 0) {
            sum[parent[j]] += pts;
            if (known)
                nknown[parent[j]]++;
        } else {
            out->total += pts;
            out->max += d->max_points;
        }
    }
    out->total = dh_dti_round4(out->total);
    out->max = dh_dti_round4(out->max);
    if (printed && printed->has_points) {
        out->has_printed = true;
        out->printed_total = printed->points;
        out->printed_line = printed->line;
        if (fabs(printed->points - out->total) >= DH_DTI_EPS)
            warn(out, printed->line, "TOTAL", printed->points, out->total,
                 "line %ld: the printed total %s differs from the sum of the pillars %s",
                 printed->line, dh_dti_fmt(printed->points, a), dh_dti_fmt(out->total, b));
    }
    free(sum), free(nchild), free(nknown), free(parent);
    return 0;
}

void dh_dti_result_free(dh_dti_result *r)
{
    free(r->points);
    free(r->known);
    free(r->given);
    free(r->warnings);
    memset(r, 0, sizeof *r);
}

static int lost_cmp(const void *x, const void *y)
{
    const dh_dti_lost *a = x, *b = y;
    double d = dh_dti_round4(b->lost) - dh_dti_round4(a->lost);
    if (fabs(d) >= DH_DTI_EPS)
        return d > 0 ? 1 : -1;
    return a->node < b->node ? -1 : a->node > b->node;
}

/* Whether an ancestor of node i has its own given points (its criteria are
 * then not scored one by one). */
static bool under_given(const dh_dti_node *nodes, size_t n, const dh_dti_result *r, size_t i)
{
    long p = dh_dti_parent_of(nodes, n, i);
    for (size_t k = 0; p >= 0 && k < n; k++) {
        if (r->given[p])
            return true;
        p = dh_dti_parent_of(nodes, n, (size_t)p);
    }
    return false;
}

size_t dh_dti_lost_points(const dh_dti_node *nodes, size_t n, const dh_dti_result *r,
                          dh_dti_lost *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool leaf = !dh_dti_has_children(nodes, n, i);
        if (!leaf && !(r->known[i] && r->given[i]))
            continue;
        if (leaf && !r->known[i] && under_given(nodes, n, r, i))
            continue;
        double lost = dh_dti_round4(nodes[i].max_points - r->points[i]);
        if (lost < DH_DTI_EPS)
            continue;
        out[k++] = (dh_dti_lost){i, dh_dti_pillar_of(nodes, n, i), lost, !r->known[i]};
    }
    qsort(out, k, sizeof *out, lost_cmp);
    return k;
}

static int rank_cmp(const void *x, const void *y)
{
    const dh_dti_rank_item *a = x, *b = y;
    double d = dh_dti_round4(b->total) - dh_dti_round4(a->total);
    if (fabs(d) >= DH_DTI_EPS)
        return d > 0 ? 1 : -1;
    return strcmp(a->unit ? a->unit : "", b->unit ? b->unit : "");
}

void dh_dti_rank(dh_dti_rank_item *items, size_t n)
{
    qsort(items, n, sizeof *items, rank_cmp);
    for (size_t i = 0; i < n; i++)
        items[i].rank = i > 0 && fabs(dh_dti_round4(items[i].total) -
                                      dh_dti_round4(items[i - 1].total)) < DH_DTI_EPS
                            ? items[i - 1].rank
                            : (int)i + 1;
}
