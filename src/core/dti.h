/* dti.h - the digital-transformation index (DTI, issue 16, domain.md §7):
 * a framework's tree of pillars and criteria, scoring per method, totals per
 * pillar, points lost per criterion, ranking, and the checks that turn a
 * published result's inconsistencies into warnings. Pure: no I/O, no clock.
 *
 * A framework is an array of nodes in file order. Invariants checked by
 * dh_dti_framework_check (and relied on by everything else here):
 *   1. Codes are non-empty, unique, and not "TOTAL" (the printed total's row).
 *   2. A parent is named on an earlier row, so the tree has no cycle and a
 *      walk from the end visits every child before its parent.
 *   3. A node with children has no method, threshold or source, and its
 *      maximum equals the sum of its children's maxima.
 *   4. A leaf has a method; a kpi leaf a known source; only ratio and kpi
 *      leaves have a threshold (percent, in (0, 100]; 0 means 100).
 *
 * Points are kept to 4 decimals (the published results print 46.3812);
 * two figures agree when they differ by less than DH_DTI_EPS.
 *
 * Problems carry their line apart (callers prefix "FILE:LINE:"); warnings
 * name their row in the message too ("line 10: ..."), for a scorecard has no
 * file to prefix.
 *
 * Ownership: nodes and entries are the caller's (strings borrowed); a
 * dh_dti_result owns its arrays, freed by dh_dti_result_free. */
#ifndef DH_CORE_DTI_H
#define DH_CORE_DTI_H

#include <stdbool.h>
#include <stddef.h>

#define DH_DTI_EPS 0.00005

typedef enum dh_dti_method {
    DH_DTI_GROUP = 0, /* a node with children: no method of its own */
    DH_DTI_MANUAL,    /* points entered */
    DH_DTI_BOOLEAN,   /* 0 or the maximum */
    DH_DTI_RATIO,     /* max × min(1, value / threshold), value in percent */
    DH_DTI_KPI,       /* a ratio whose value the system computes (source) */
} dh_dti_method;

typedef struct dh_dti_node {
    const char *code;
    const char *parent; /* NULL or "": a pillar */
    const char *name;
    double max_points;
    dh_dti_method method;
    double threshold; /* percent; 0: 100 */
    const char *source; /* kpi only; NULL or "" otherwise */
    long line;          /* the file's line, for messages; 0: none */
} dh_dti_node;

/* A problem found in input: the line (0: none), the field and a message
 * that names the numbers involved. */
typedef struct dh_dti_problem {
    long line;
    char field[32];
    char message[384];
} dh_dti_problem;

/* "" or NULL → DH_DTI_GROUP; "manual", "boolean", "ratio", "kpi". False for
 * anything else. */
bool dh_dti_method_parse(const char *s, dh_dti_method *m);
const char *dh_dti_method_name(dh_dti_method m);
/* The kpi sources the system can compute: on_time_rate, online_rate,
 * online_by_applicant_rate, online_payment_rate, satisfaction_rate,
 * plan_coverage. */
bool dh_dti_source_known(const char *s);

/* Rounds to 4 decimals, halves away from zero. */
double dh_dti_round4(double x);
/* Writes x with at most 4 decimals and no trailing zeros ("87.381",
 * "88.3812", "6") into buf (at least 32 bytes); returns buf. */
char *dh_dti_fmt(double x, char *buf);

/* Checks the invariants above. True when the framework is valid;
 * otherwise false with the first problem (in file order) in *p. */
bool dh_dti_framework_check(const dh_dti_node *nodes, size_t n, dh_dti_problem *p);

/* The index of the node with this code, or -1. */
long dh_dti_find(const dh_dti_node *nodes, size_t n, const char *code);
/* The index of a node's parent (-1 for a pillar) and of its pillar. */
long dh_dti_parent_of(const dh_dti_node *nodes, size_t n, size_t i);
size_t dh_dti_pillar_of(const dh_dti_node *nodes, size_t n, size_t i);
bool dh_dti_has_children(const dh_dti_node *nodes, size_t n, size_t i);

/* Points of a ratio or kpi leaf for a value in percent:
 * max × min(1, value / threshold), threshold 100 when 0; rounded to 4
 * decimals. A negative value counts as 0. */
double dh_dti_ratio_points(double max_points, double threshold, double value);

/* What an assessment or a published file gives for one node. */
typedef struct dh_dti_entry {
    bool has_points;
    double points;
    bool has_value; /* percent, ratio and kpi leaves */
    double value;
    long line; /* where it came from; 0: none */
} dh_dti_entry;

/* Checks one entry against its node: points negative or above the
 * maximum, a boolean's points neither 0 nor the maximum, a value for a
 * node that is not a ratio or kpi leaf, a negative value. True when
 * acceptable; otherwise false with *p. */
bool dh_dti_entry_check(const dh_dti_node *node, bool leaf, const dh_dti_entry *en,
                        dh_dti_problem *p);

typedef struct dh_dti_warning {
    long line;
    const char *code; /* the node's code, or "TOTAL" (borrowed from the nodes) */
    double printed, computed;
    char message[384];
} dh_dti_warning;

/* The scores of one assessment. points[i] is the node's points (unknown
 * leaves count 0, known[i] false); a group's points are the sum of its
 * children when all are known, else its own given points, else the sum of
 * the known ones. total is the sum of the pillars, max theirs. */
typedef struct dh_dti_result {
    size_t n;
    double *points;
    bool *known;
    bool *given; /* the node's points came from its entry (not its children) */
    double total, max;
    bool has_printed;
    double printed_total;
    long printed_line;
    dh_dti_warning *warnings;
    size_t nwarnings;
} dh_dti_result;

/* Scores entries[0..n) (one per node, aligned with nodes) of a checked
 * framework; printed, when not NULL and has_points, is the printed total.
 * Disagreements become warnings naming both numbers and the row: a group's
 * given points against the sum of its children (when all are known), a
 * ratio's given points against those of its value, the printed total
 * against the sum of the pillars. Returns 0, or -1 on allocation failure. */
int dh_dti_score(const dh_dti_node *nodes, size_t n, const dh_dti_entry *entries,
                 const dh_dti_entry *printed, dh_dti_result *out);
void dh_dti_result_free(dh_dti_result *r);

/* Points lost: one item per node scored at its finest level (a known
 * leaf, a group known only from its own given points, or a leaf not scored
 * at all and not under such a group: it lost its maximum, `unscored`) that
 * lost more than DH_DTI_EPS, sorted by points lost (largest first), then
 * file order. out has room for n items; returns the count. */
typedef struct dh_dti_lost {
    size_t node, pillar;
    double lost;
    bool unscored;
} dh_dti_lost;
size_t dh_dti_lost_points(const dh_dti_node *nodes, size_t n, const dh_dti_result *r,
                          dh_dti_lost *out);

/* Ranking: sorts items by total (to 4 decimals, largest first), then unit
 * code, and gives ties the same rank, the next rank skipping (1, 2, 2, 4). */
typedef struct dh_dti_rank_item {
    const char *unit;
    double total;
    int rank;
    void *data; /* the caller's */
} dh_dti_rank_item;
void dh_dti_rank(dh_dti_rank_item *items, size_t n);

#endif
